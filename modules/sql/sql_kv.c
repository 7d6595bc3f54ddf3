/*
 * sql_kv.c — KV batches from a SQL session to the txn actor (see sql_kv.h): a session's task
 * parks until the reply (sql_sched.c); another thread blocks on its own client.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phantomzero/keys.h"
#include "phantomzero/limits.h"

#include "sql_kv.h"
#include "sql_sched.h"

int pz_sql_kv_open(pz_sql_kv_t *kv, const char *to, uint32_t timeout_ms)
{
    assert(kv != NULL && to != NULL);
    memset(kv, 0, sizeof *kv);
    snprintf(kv->to, sizeof kv->to, "%s", to);
    kv->timeout_ms = timeout_ms;
    if (pz_task_in()) {
        return 0; /* a session's task calls over its worker's client (sql_sched.c) */
    }
    kv->client = pz_client_new(NULL);
    return kv->client != NULL ? 0 : PZ_EUNAVAILABLE;
}

/* One request/reply: over the worker's client in a session's task, else our own client. */
static int s_call(pz_sql_kv_t *kv, pz_out_t **out, pz_msg_t **reply)
{
    if (kv->client == NULL) {
        return pz_task_call(kv->to, out, kv->timeout_ms, reply);
    }
    return pz_client_call(kv->client, kv->to, out, kv->timeout_ms, reply);
}

void pz_sql_kv_close(pz_sql_kv_t *kv)
{
    if (kv != NULL) {
        pz_client_destroy(&kv->client);
    }
}

static int s_fail(pz_sql_err_t *err, int code, const char *what)
{
    return pz_sql_err_code(err, code, what);
}

/* One slice of a lock wait below (header.lock_timeout_ms, sql_kv.h): well under each hop's
 * request timeout (PZ_REQUEST_TIMEOUT_MS_DEFAULT) so a slice ends in repl with a clean
 * PZ_ELOCK_TIMEOUT (nothing applied) rather than a hop's timeout (the batch's fate unknown), and
 * short enough that a cancel is seen within about half a second. */
#define S_LOCK_WAIT_SLICE_MS 500u

/* What bounds the next slice: the slice itself, lock_timeout, or statement_timeout. */
typedef enum { S_BOUND_SLICE, S_BOUND_LOCK, S_BOUND_STMT } s_bound_t;

static uint64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The wait bound of a send at now_ms for a batch first sent at start_ms: the smallest of the
 * slice, what lock_timeout leaves and what statement_timeout leaves (at least 1 ms: 0 would
 * mean no bound). */
static s_bound_t s_wait_bound(const pz_sql_kv_t *kv, uint64_t start_ms, uint64_t now_ms,
                              uint32_t *bound_ms)
{
    assert(start_ms <= now_ms);
    s_bound_t why = S_BOUND_SLICE;
    uint64_t ms = S_LOCK_WAIT_SLICE_MS;
    if (kv->lock_timeout_ms > 0) {
        uint64_t end = start_ms + kv->lock_timeout_ms;
        uint64_t left = end > now_ms ? end - now_ms : 1;
        if (left <= ms) {
            ms = left, why = S_BOUND_LOCK;
        }
    }
    if (kv->deadline_ms > 0) {
        uint64_t left = kv->deadline_ms > now_ms ? kv->deadline_ms - now_ms : 1;
        if (left < ms) {
            ms = left, why = S_BOUND_STMT;
        }
    }
    *bound_ms = (uint32_t)ms;
    assert(*bound_ms > 0);
    return why;
}

/* Sends b once and decodes the answer (pz_sql_kv_send's contract, without the wait loop). */
static int s_send_once(pz_sql_kv_t *kv, const pz_kv_batch_t *b, bool read, pz_msg_t **reply,
                       pz_kv_batch_resp_t *resp, pz_sql_err_t *err)
{
    pz_out_t *out = NULL;
    *reply = NULL;
    int rc = pz_kv_batch_to_out(b, PZ_MSG_KV_BATCH, &out);
    if (rc != 0) {
        return s_fail(err, rc, "encoding a KV batch");
    }
    rc = s_call(kv, &out, reply);
    pz_out_free(&out);
    kv->batches++;
    if (rc != 0) {
        return s_fail(err, rc, "sending a KV batch");
    }
    const char *text = NULL;
    rc = pz_msg_error(*reply, &text);
    if (rc == 0) {
        rc = pz_kv_batch_resp_from_msg(*reply, PZ_MSG_KV_BATCH_RESP, resp);
        text = "decoding a KV reply";
    }
    if (rc == 0 && resp->error.code == PZ_ETOOBIG && !read) {
        /* The engine refused a key or value past its limits (LMDB: 511-byte keys). */
        rc = pz_sql_kv_err_too_big(err);
    } else if (rc == 0 && resp->error.code != 0 && resp->error.code != PZ_ECONDFAILED) {
        rc = resp->error.code;
        pz_sql_err_code(err, rc, NULL);
        if (resp->error.message.len > 0) {
            snprintf(err->message, sizeof err->message, "%.*s", (int)resp->error.message.len,
                     (const char *)resp->error.message.ptr);
        }
        if (rc == PZ_EGC_THRESHOLD) {
            pz_sql_err_detail(err,
                              "The range's GC threshold is %" PRIu64 ".%010" PRIu32
                              ": versions older than gc.ttl have been garbage-collected.",
                              resp->error.existing_ts.wall, resp->error.existing_ts.logical);
        }
    }
    if (rc != 0) {
        pz_sql_err_code(err, rc, text);
        pz_msg_free(reply);
        return rc < 0 ? rc : PZ_EINTERNAL;
    }
    return 0;
}

/* Sends b until it is answered by something other than the end of a wait slice (sql_kv.h). */
static int s_send_waiting(pz_sql_kv_t *kv, pz_kv_batch_t *b, bool read, pz_msg_t **reply,
                          pz_kv_batch_resp_t *resp, pz_sql_err_t *err)
{
    uint64_t start_ms = s_now_ms();
    for (;;) {
        uint32_t bound_ms = 0;
        s_bound_t why = s_wait_bound(kv, start_ms, s_now_ms(), &bound_ms);
        b->header.lock_timeout_ms = bound_ms;
        int rc = s_send_once(kv, b, read, reply, resp, err);
        if (rc != PZ_ELOCK_TIMEOUT || why == S_BOUND_LOCK) {
            return rc;
        }
        pz_sql_err_clear(err);
        if (kv->cancel != NULL && atomic_load_explicit(kv->cancel, memory_order_relaxed)) {
            pz_sql_err_set(err, "57014", "canceling statement due to user request");
            return PZ_ETIMEDOUT;
        }
        if (why == S_BOUND_STMT || (kv->deadline_ms != 0 && s_now_ms() >= kv->deadline_ms)) {
            pz_sql_err_set(err, "57014", "canceling statement due to statement timeout");
            return PZ_ETIMEDOUT;
        }
    }
}

int pz_sql_kv_err_too_big(pz_sql_err_t *err)
{
    pz_sql_err_set(err, "54000", "row or index entry is too large for the storage engine");
    pz_sql_err_detail(err, "A primary key or index entry, as stored, is longer than the "
                           "engine's key limit (511 bytes with LMDB, the default engine).");
    return PZ_ETOOBIG;
}

int pz_sql_kv_send(pz_sql_kv_t *kv, const pz_kv_req_t *reqs, uint32_t n, bool read,
                   pz_msg_t **reply, pz_kv_batch_resp_t *resp, pz_sql_err_t *err)
{
    assert(kv != NULL && (kv->client != NULL || pz_task_in()) && reply != NULL && resp != NULL);
    assert(n > 0 && n <= PZ_BATCH_REQS_MAX);
    *reply = NULL;
    if (!read && !pz_hlc_is_zero(kv->as_of)) {
        /* Every write of a statement AS OF SYSTEM TIME, sequences' included (sql_aost.c). */
        return pz_sql_err_set(err, "25006",
                              "cannot execute a write in a read-only transaction (AS OF "
                              "SYSTEM TIME)");
    }
    pz_kv_batch_t b = {.header = {.durable = true, .wait_policy = kv->wait_policy},
                       .reqs = (pz_kv_req_t *)reqs,
                       .reqs_len = n};
    /* The system keyspace (catalog, sequences, statistics, roles) is not part of transactions
     * (sql_txn.h): only table data is. */
    bool txn = kv->in_txn && !kv->no_txn && reqs[0].key.len > 0 &&
               reqs[0].key.ptr[0] >= PZ_KEY_TABLE_PREFIX;
    if (txn) {
        b.header.has_txn = true;
        b.header.txn.id = (pz_view_t){kv->txn_id, PZ_TXN_ID_BYTES};
    } else if (read) {
        b.header.ts = kv->read_ts;
    }
    pz_kv_req_t *locked = NULL;
    if (txn && read && kv->lock != PZ_LOCK_NONE) {
        /* FOR UPDATE: every read of the statement locks what it returns. */
        locked = malloc(sizeof *locked * n);
        if (locked == NULL) {
            return pz_sql_err_set(err, "53200", "out of memory");
        }
        memcpy(locked, reqs, sizeof *locked * n);
        for (uint32_t i = 0; i < n; i++) {
            locked[i].lock = kv->lock;
        }
        b.reqs = locked; /* the coordinator sends it pipelined, not durable (txn_coord.c) */
    }
    int rc = s_send_waiting(kv, &b, read, reply, resp, err);
    free(locked);
    if (rc != 0) {
        return rc;
    }
    if (read && !txn && pz_hlc_is_zero(kv->read_ts)) {
        kv->read_ts = resp->ts;
    }
    return 0;
}

int pz_sql_kv_txn_ctl(pz_sql_kv_t *kv, pz_txn_ctl_t *q, pz_msg_t **reply, pz_txn_ctl_resp_t *resp,
                      pz_sql_err_t *err)
{
    assert(kv != NULL && q != NULL && reply != NULL && resp != NULL);
    if (q->op != PZ_TXC_BEGIN) {
        q->id = (pz_view_t){kv->txn_id, PZ_TXN_ID_BYTES};
    }
    pz_out_t *out = NULL;
    *reply = NULL;
    int rc = pz_txn_ctl_to_out(q, PZ_MSG_TXN_CTL, &out);
    if (rc != 0) {
        return s_fail(err, rc, "encoding a transaction request");
    }
    rc = s_call(kv, &out, reply);
    pz_out_free(&out);
    if (rc != 0) {
        /* A COMMIT whose answer is lost may have committed. */
        return s_fail(err, q->op == PZ_TXC_COMMIT && rc == PZ_ETIMEDOUT ? PZ_EAMBIGUOUS : rc,
                      "the transaction coordinator did not answer");
    }
    const char *text = NULL;
    rc = pz_msg_error(*reply, &text);
    if (rc == 0) {
        rc = pz_txn_ctl_resp_from_msg(*reply, PZ_MSG_TXN_CTL_RESP, resp);
        text = "decoding a transaction reply";
        if (rc == 0 && resp->error.code != 0) {
            rc = resp->error.code;
            pz_sql_err_code(err, rc, NULL);
            if (resp->error.message.len > 0) {
                snprintf(err->message, sizeof err->message, "%.*s", (int)resp->error.message.len,
                         (const char *)resp->error.message.ptr);
            }
        }
    }
    if (rc != 0) {
        pz_sql_err_code(err, rc < 0 ? rc : PZ_EINTERNAL, text);
        pz_msg_free(reply);
        return rc < 0 ? rc : PZ_EINTERNAL;
    }
    return 0;
}

int pz_sql_kv_scan_chunks(pz_sql_kv_t *kv, pz_view_t lo, pz_view_t hi, uint32_t limit,
                          int (*fn)(void *arg, const pz_kv_resp_t *x), void *arg, pz_sql_err_t *err)
{
    assert(kv != NULL && fn != NULL && limit > 0);
    uint8_t *resume = malloc(PZ_KEY_BYTES_MAX);
    if (resume == NULL) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    pz_view_t from = lo;
    int rc = 0;
    for (bool more = true; more && rc == 0;) {
        pz_kv_req_t r = {.op = PZ_KV_SCAN, .key = from, .end_key = hi, .limit = limit};
        pz_msg_t *reply = NULL;
        pz_kv_batch_resp_t resp;
        if ((rc = pz_sql_kv_send(kv, &r, 1, true, &reply, &resp, err)) != 0) {
            break;
        }
        const pz_kv_resp_t *x = &resp.resps[0];
        rc = fn(arg, x);
        more = x->has_resume;
        if (more && x->resume_key.len > PZ_KEY_BYTES_MAX) {
            rc = pz_sql_err_set(err, "XX000", "a scan's resume key is longer than any key");
        } else if (more) {
            memcpy(resume, x->resume_key.ptr, x->resume_key.len);
            from = (pz_view_t){.ptr = resume, .len = x->resume_key.len};
        }
        pz_msg_free(&reply);
    }
    free(resume);
    return rc;
}
