/*
 * txn_module.c — the transaction coordinator, single-node foundation.
 *
 * For now it does one job of the layer: non-transactional batches get an HLC timestamp here,
 * at the top of the KV path, so every layer below (and every replica) sees the same timestamp
 * for the batch. Replies pass back up unchanged, and their timestamps move the node's clock
 * forward (a batch whose writes were pushed above its timestamp returns the higher one).
 * Transactions (records, intents, heartbeats, refresh) arrive with the transactions issue, and
 * header.txn is reserved for them: a batch that carries one is refused here until then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/kernel.h"
#include "phantomzero/kv.h"
#include "phantomzero/module.h"

typedef struct {
    char next[PZ_ADDR_BYTES_MAX]; /* the dist actor */
    uint32_t timeout_ms;
    pz_metric_t *m_batches;
    pz_metric_t *m_errors;
} s_txn_t;

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    s_txn_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return PZ_ENOMEM;
    }
    *state = t;
    snprintf(t->next, sizeof t->next, "%s", pz_cfg_str(cfg, "next", "dist"));
    int64_t timeout = 0;
    int rc = pz_cfg_int(cfg, "timeout_ms", PZ_REQUEST_TIMEOUT_MS_DEFAULT, &timeout);
    if (rc != 0 || timeout <= 0) {
        pz_log(self, PZ_LOG_ERROR, "timeout_ms must be a positive integer");
        return PZ_ECONFIG;
    }
    t->timeout_ms = (uint32_t)timeout;
    t->m_batches = pz_metric_counter("pz_txn_batches_total", "KV batches coordinated");
    t->m_errors = pz_metric_counter("pz_txn_errors_total", "KV batches answered with an error");
    return 0;
}

static void s_fini(pz_actor_t *self, void *state)
{
    (void)self;
    free(state);
}

/* A client's batch: stamp it and pass it down; the client's message waits as the ctx. */
static int s_on_batch(pz_actor_t *self, s_txn_t *t, pz_msg_t *msg)
{
    pz_kv_batch_t b;
    int rc = pz_kv_batch_from_msg(msg, PZ_MSG_KV_BATCH, &b);
    if (rc != 0) {
        pz_reply_error(self, msg, rc, "malformed KV batch");
        return rc;
    }
    if (b.header.has_txn) {
        pz_reply_error(self, msg, PZ_EINVAL, "transactional batches are not supported yet");
        return PZ_EINVAL;
    }
    if (pz_hlc_is_zero(b.header.ts)) {
        b.header.ts = pz_hlc_now();
    } else if ((rc = pz_hlc_update(b.header.ts)) != 0) {
        pz_reply_error(self, msg, rc, "batch timestamp is too far in the future");
        return rc;
    }
    pz_out_t *out = NULL;
    rc = pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out);
    if (rc == 0) {
        rc = pz_request(self, t->next, &out, t->timeout_ms, msg, NULL);
    }
    if (rc != 0) {
        pz_out_free(&out);
        pz_reply_error(self, msg, rc, NULL);
        pz_metric_add(t->m_errors, 1);
        return rc;
    }
    pz_msg_keep(msg);
    pz_metric_add(t->m_batches, 1);
    return 0;
}

/* The reply from below: observe its timestamp, answer the client, release its request. */
static int s_on_reply(pz_actor_t *self, s_txn_t *t, pz_msg_t *reply)
{
    pz_msg_t *req = pz_reply_ctx(self);
    if (req == NULL) {
        return PZ_EINTERNAL;
    }
    const char *text = NULL;
    int err = pz_msg_error(reply, &text);
    if (err != 0) {
        pz_reply_error(self, req, err, text);
        pz_metric_add(t->m_errors, 1);
    } else {
        /* Always observe the reply's timestamp, even from a local sender: dist forwards replies
         * produced in other processes, whose clocks may have pushed a write above ours; a read
         * stamped below it would miss an acknowledged write. */
        pz_kv_batch_resp_t r;
        if (pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r) == 0) {
            pz_hlc_update(r.ts);
        }
        int rc = pz_reply_forward(self, req, reply);
        if (rc != 0) {
            pz_log(self, PZ_LOG_WARN, "cannot answer %s: %s", pz_msg_sender(req), pz_strerror(rc));
        }
    }
    pz_msg_free(&req);
    return 0;
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_txn_t *t = state;
    if (pz_msg_is_reply(msg)) {
        return s_on_reply(self, t, msg);
    }
    if (pz_msg_type(msg) == PZ_MSG_KV_BATCH) {
        return s_on_batch(self, t, msg);
    }
    pz_reply_error(self, msg, PZ_EUNKNOWN_TYPE, "txn does not handle this message type");
    return PZ_EUNKNOWN_TYPE;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("txn"),
    .init = s_init,
    .fini = s_fini,
    .on_message = s_on_message,
};

PZ_MODULE_DEFINE(s_desc)
