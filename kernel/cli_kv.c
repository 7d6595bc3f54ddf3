/*
 * cli_kv.c — `phantomzero kv`: a debug KV client. It builds one KV batch with one request,
 * sends it to the node's txn actor over ZeroMQ tcp (no kernel runs in the CLI process), and
 * prints the result.
 *
 * Exit codes: 0 success; 1 key not found or condition failed; 2 an error (message on stderr
 * with its SQLSTATE); 64 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"
#include "phantomzero/keys.h"
#include "phantomzero/kv.h"

typedef struct {
    const char *host;
    const char *to;
    bool no_sync;
    bool reverse;
    bool expect_absent;
    const char *expect;
    uint32_t limit;
    uint32_t timeout_ms;
    const char *pos[3];
    int npos;
} s_args_t;

/* A strict unsigned number flag: digits only, within [1, max]. */
static bool s_number(const char *flag, const char *v, uint32_t max, uint32_t *out)
{
    char *end = NULL;
    unsigned long n = strtoul(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || n == 0 || n > max) {
        fprintf(stderr, "phantomzero kv: --%s must be a number from 1 to %u\n", flag, max);
        return false;
    }
    *out = (uint32_t)n;
    return true;
}

static int s_parse(int argc, char **argv, s_args_t *a)
{
    *a = (s_args_t){.host = "127.0.0.1:26357", .to = "txn", .timeout_ms = 10000};
    for (int i = 2; i < argc; i++) {
        const char *v;
        if ((v = pz__flag(argc, argv, &i, "host")) != NULL) {
            a->host = v;
        } else if ((v = pz__flag(argc, argv, &i, "to")) != NULL) {
            a->to = v;
        } else if ((v = pz__flag(argc, argv, &i, "limit")) != NULL) {
            if (!s_number("limit", v, PZ_SCAN_KEYS_MAX, &a->limit)) {
                return PZ_EXIT_USAGE;
            }
        } else if ((v = pz__flag(argc, argv, &i, "timeout-ms")) != NULL) {
            if (!s_number("timeout-ms", v, 3600000, &a->timeout_ms)) {
                return PZ_EXIT_USAGE;
            }
        } else if ((v = pz__flag(argc, argv, &i, "expect")) != NULL) {
            a->expect = v;
        } else if (pz__flag_bool(argv, i, "expect-absent")) {
            a->expect_absent = true;
        } else if (pz__flag_bool(argv, i, "no-sync")) {
            a->no_sync = true;
        } else if (pz__flag_bool(argv, i, "reverse")) {
            a->reverse = true;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            fprintf(stderr, "phantomzero kv: unknown flag %s\n", argv[i]);
            return PZ_EXIT_USAGE;
        } else if (a->npos < 3) {
            a->pos[a->npos++] = argv[i];
        } else {
            fprintf(stderr, "phantomzero kv: too many arguments\n");
            return PZ_EXIT_USAGE;
        }
    }
    return 0;
}

static int s_error(int code, const char *message)
{
    fprintf(stderr, "error: %s (SQLSTATE %s)\n", message && *message ? message : pz_strerror(code),
            pz_err_sqlstate(code));
    return PZ_EXIT_ERROR;
}

/* Sends `out` and returns the reply, or an exit code after printing the error. */
static int s_call(const s_args_t *a, pz_out_t **out, pz_msg_t **reply)
{
    char ep[PZ_ADDR_BYTES_MAX];
    snprintf(ep, sizeof ep, "%s%s", strstr(a->host, "://") ? "" : "tcp://", a->host);
    pz_client_t *c = pz_client_new(ep);
    if (c == NULL) {
        return s_error(PZ_EUNAVAILABLE, "cannot open a connection");
    }
    int rc = pz_client_call(c, a->to, out, a->timeout_ms, reply);
    pz_client_destroy(&c);
    if (rc != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s",
                 rc == PZ_ETIMEDOUT      ? "timed out: no reply from the node"
                 : rc == PZ_EUNAVAILABLE ? "cannot connect to the node"
                                         : pz_strerror(rc));
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof msg - n, " at %s", ep);
        return s_error(rc, msg);
    }
    const char *text = NULL;
    int err = pz_msg_error(*reply, &text);
    if (err != 0) {
        int x = s_error(err, text);
        pz_msg_free(reply);
        return x;
    }
    return 0;
}

static void s_print_bytes(pz_view_t v)
{
    fwrite(v.ptr, 1, v.len, stdout);
}

/* SPLIT: one line per range, "<id>\t<start>\t<end>", keys escaped as pz_key_format does. */
static void s_print_ranges(const pz_kv_resp_ext_t *x)
{
    static char s[4 * PZ_KEY_BYTES_MAX + 1], e[4 * PZ_KEY_BYTES_MAX + 1];
    for (uint32_t i = 0; i < x->ranges_len; i++) {
        pz_key_format(x->ranges[i].start_key, s, sizeof s);
        pz_key_format(x->ranges[i].end_key, e, sizeof e);
        printf("%llu\t%s\t%s\n", (unsigned long long)x->ranges[i].range_id, s, e);
    }
}

static int s_print(const s_args_t *a, uint8_t op, const pz_kv_batch_resp_t *r)
{
    if (r->error.code == PZ_ECONDFAILED) {
        fprintf(stderr, "condition failed: %s\n",
                r->error.has_actual ? "the key has another value" : "the key is absent");
        return PZ_EXIT_NOTFOUND;
    }
    if (r->error.code != 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%.*s", (int)r->error.message.len, r->error.message.ptr);
        return s_error(r->error.code, msg);
    }
    if (r->resps_len != 1) {
        return s_error(PZ_EPROTO, "reply has no result");
    }
    const pz_kv_resp_t *x = &r->resps[0];
    if (op == PZ_KV_GET) {
        if (!x->found) {
            return PZ_EXIT_NOTFOUND;
        }
        s_print_bytes(x->value);
        putchar('\n');
    } else if (op == PZ_KV_DEL_RANGE) {
        printf("%llu\n", (unsigned long long)x->num_deleted);
    } else if (op == PZ_KV_SPLIT && x->has_ext) {
        s_print_ranges(&x->ext);
    } else if (op == PZ_KV_SCAN || op == PZ_KV_RSCAN) {
        for (uint32_t i = 0; i < x->kvs_len; i++) {
            s_print_bytes(x->kvs[i].key);
            putchar('\t');
            s_print_bytes(x->kvs[i].value);
            putchar('\n');
        }
    }
    (void)a;
    return PZ_EXIT_OK;
}

static int s_op(const char *name, const s_args_t *a, pz_kv_req_t *req)
{
    static const struct {
        const char *name;
        uint8_t op;
        int npos;
    } ops[] = {{"get", PZ_KV_GET, 1},
               {"put", PZ_KV_PUT, 2},
               {"cput", PZ_KV_CPUT, 2},
               {"del", PZ_KV_DEL, 1},
               {"delrange", PZ_KV_DEL_RANGE, 2},
               {"scan", PZ_KV_SCAN, 2},
               {"split", PZ_KV_SPLIT, 1}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(ops[i].name, name) != 0) {
            continue;
        }
        if (a->npos != ops[i].npos) {
            fprintf(stderr, "phantomzero kv %s: expected %d arguments\n", name, ops[i].npos);
            return PZ_EXIT_USAGE;
        }
        req->op = ops[i].op;
        req->key = pz_view_str(a->pos[0]);
        bool span = req->op == PZ_KV_DEL_RANGE || req->op == PZ_KV_SCAN;
        if (span) {
            req->end_key = pz_view_str(a->pos[1]);
        } else if (ops[i].npos == 2) {
            req->value = pz_view_str(a->pos[1]);
        }
        if (req->op == PZ_KV_SCAN && a->reverse) {
            req->op = PZ_KV_RSCAN;
        }
        return 0;
    }
    fprintf(stderr, "phantomzero kv: unknown operation \"%s\"\n", name);
    return PZ_EXIT_USAGE;
}

static int s_ping(const s_args_t *a)
{
    pz_ping_t p = {.seq = 1};
    pz_out_t *out = NULL;
    pz_msg_t *reply = NULL;
    if (pz_ping_to_out(&p, PZ_MSG_PING, &out) != 0) {
        return s_error(PZ_ENOMEM, NULL);
    }
    int rc = s_call(a, &out, &reply);
    pz_out_free(&out);
    if (rc == 0) {
        rc = pz_msg_type(reply) == PZ_MSG_PONG ? PZ_EXIT_OK : s_error(PZ_EPROTO, "not a pong");
        pz_msg_free(&reply);
    }
    return rc;
}

int pz__cli_kv(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: phantomzero kv ping|put|get|cput|del|delrange|scan|split ...\n");
        return PZ_EXIT_USAGE;
    }
    s_args_t a;
    int rc = s_parse(argc, argv, &a);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(argv[1], "ping") == 0) {
        return s_ping(&a);
    }
    pz_kv_req_t req = {0};
    if ((rc = s_op(argv[1], &a, &req)) != 0) {
        return rc;
    }
    if (req.op == PZ_KV_CPUT) {
        if ((a.expect == NULL) == !a.expect_absent) {
            fprintf(stderr, "phantomzero kv cput: give exactly one of --expect, --expect-absent\n");
            return PZ_EXIT_USAGE;
        }
        req.exp_exists = a.expect != NULL;
        req.exp_value = pz_view_str(a.expect);
    }
    req.limit = a.limit;
    pz_kv_batch_t b = {.header = {.durable = !a.no_sync, .gateway = pz_view_str("cli")},
                       .reqs = &req,
                       .reqs_len = 1};
    pz_out_t *out = NULL;
    pz_msg_t *reply = NULL;
    if (pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out) != 0) {
        return s_error(PZ_ENOMEM, NULL);
    }
    rc = s_call(&a, &out, &reply);
    pz_out_free(&out);
    if (rc != 0) {
        return rc;
    }
    pz_kv_batch_resp_t r;
    rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r);
    rc = rc != 0 ? s_error(rc, "malformed reply") : s_print(&a, req.op, &r);
    pz_msg_free(&reply);
    return rc;
}
