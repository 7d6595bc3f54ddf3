/*
 * sql_kv.c — blocking KV batches from a SQL session to the txn actor (see sql_kv.h).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "sql_kv.h"

int pz_sql_kv_open(pz_sql_kv_t *kv, const char *to, uint32_t timeout_ms)
{
    assert(kv != NULL && to != NULL);
    memset(kv, 0, sizeof *kv);
    snprintf(kv->to, sizeof kv->to, "%s", to);
    kv->timeout_ms = timeout_ms;
    kv->client = pz_client_new(NULL);
    return kv->client != NULL ? 0 : PZ_EUNAVAILABLE;
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

int pz_sql_kv_send(pz_sql_kv_t *kv, const pz_kv_req_t *reqs, uint32_t n, bool read,
                   pz_msg_t **reply, pz_kv_batch_resp_t *resp, pz_sql_err_t *err)
{
    assert(kv != NULL && kv->client != NULL && reply != NULL && resp != NULL);
    assert(n > 0 && n <= PZ_BATCH_REQS_MAX);
    pz_kv_batch_t b = {.header = {.durable = true}, .reqs = (pz_kv_req_t *)reqs, .reqs_len = n};
    if (read) {
        b.header.ts = kv->read_ts;
    }
    pz_out_t *out = NULL;
    *reply = NULL;
    int rc = pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out);
    if (rc != 0) {
        return s_fail(err, rc, "encoding a KV batch");
    }
    rc = pz_client_call(kv->client, kv->to, &out, kv->timeout_ms, reply);
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
    if (rc == 0 && resp->error.code != 0 && resp->error.code != PZ_ECONDFAILED) {
        rc = resp->error.code;
        pz_sql_err_code(err, rc, NULL);
        if (resp->error.message.len > 0) {
            snprintf(err->message, sizeof err->message, "%.*s", (int)resp->error.message.len,
                     (const char *)resp->error.message.ptr);
        }
    }
    if (rc != 0) {
        pz_sql_err_code(err, rc, text);
        pz_msg_free(reply);
        return rc < 0 ? rc : PZ_EINTERNAL;
    }
    if (read && pz_hlc_is_zero(kv->read_ts)) {
        kv->read_ts = resp->ts;
    }
    return 0;
}
