/*
 * txn_module.c — the txn actor: the transaction coordinator's front door.
 *
 * Non-transactional batches (every single SQL statement outside BEGIN) get an HLC timestamp
 * here, at the top of the KV path, so every layer below sees the same timestamp for the batch,
 * and their replies move the node's clock forward. One that dist refuses because its writes span
 * two ranges (PZ_ERANGE_SPAN) runs again as a transaction of its own (txn_coord.c), so it stays
 * atomic. Batches that name a transaction, and the SQL session's TXN_CTL requests, go to the
 * coordinator (txn_coord.c); this file owns the config, the timers and the dispatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/module.h"
#include "txn_int.h"

typedef pz__coord_t s_txn_t;

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    s_txn_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return PZ_ENOMEM;
    }
    *state = t;
    t->self = self;
    snprintf(t->next, sizeof t->next, "%s", pz_cfg_str(cfg, "next", "dist"));
    int64_t timeout = 0, offset = 0;
    int rc = pz_cfg_int(cfg, "timeout_ms", PZ_REQUEST_TIMEOUT_MS_DEFAULT, &timeout);
    if (rc != 0 || timeout <= 0) {
        pz_log(self, PZ_LOG_ERROR, "timeout_ms must be a positive integer");
        return PZ_ECONFIG;
    }
    rc = pz_cfg_int(cfg, "max_offset_ms", 500, &offset);
    if (rc != 0 || offset < 0 || offset > 60000) {
        pz_log(self, PZ_LOG_ERROR, "max_offset_ms must be an integer in [0, 60000]");
        return PZ_ECONFIG;
    }
    t->timeout_ms = (uint32_t)timeout;
    t->max_offset_ns = (uint64_t)offset * 1000000u;
    rc = pz__txn_table_init(&t->txns, 4u * PZ_TXN_OPEN_MAX);
    if (rc != 0) {
        return rc;
    }
    t->m_batches = pz_metric_counter("pz_txn_batches_total", "KV batches coordinated");
    t->m_errors = pz_metric_counter("pz_txn_errors_total", "KV batches answered with an error");
    t->m_commits = pz_metric_counter("pz_txn_commits_total", "transactions committed");
    t->m_aborts = pz_metric_counter("pz_txn_aborts_total", "transactions aborted");
    t->m_refreshes = pz_metric_counter("pz_txn_refreshes_total", "read refreshes attempted");
    t->m_refresh_fails = pz_metric_counter("pz_txn_refresh_fails_total", "read refreshes failed");
    t->m_open = pz_metric_gauge("pz_txn_open", "transactions open on this coordinator");
    t->hb_timer = pz_timer_arm(self, PZ_TXN_HEARTBEAT_MS, PZ__TXN_TIMER_HEARTBEAT);
    return t->hb_timer > 0 ? 0 : (int)t->hb_timer;
}

static void s_fini(pz_actor_t *self, void *state)
{
    (void)self;
    s_txn_t *t = state;
    if (t != NULL && t->txns.slots != NULL) {
        pz__txn_table_free(&t->txns);
    }
    free(state);
}

static void s_on_timer(pz_actor_t *self, void *state, uint64_t id)
{
    (void)self;
    if (id == PZ__TXN_TIMER_HEARTBEAT) {
        pz__coord_heartbeat(state);
    }
}

/* A client's batch: stamp it and pass it down; the client's message waits as the ctx. A
 * non-transactional batch is read only as far as its header: the timestamp goes into a new
 * header and the requests follow as they came (dist decodes and checks them). */
static int s_on_batch(pz_actor_t *self, s_txn_t *t, pz_msg_t *msg)
{
    pz_kv_header_t h;
    uint32_t fields = 0;
    pz_view_t rest;
    int rc = pz_kv_batch_peek(msg, &h, &fields, &rest);
    if (rc != 0) {
        pz_reply_error(self, msg, rc, "malformed KV batch");
        return rc;
    }
    if (h.has_txn) {
        pz_kv_batch_t b;
        if ((rc = pz_kv_batch_from_msg(msg, PZ_MSG_KV_BATCH, &b)) != 0) {
            pz_reply_error(self, msg, rc, "malformed KV batch");
            return rc;
        }
        return pz__coord_on_txn_batch(t, msg, &b);
    }
    if (pz_hlc_is_zero(h.ts)) {
        h.ts = pz_hlc_now();
    } else if ((rc = pz_hlc_update(h.ts)) != 0) {
        pz_reply_error(self, msg, rc, "batch timestamp is too far in the future");
        return rc;
    }
    pz_out_t *out = NULL;
    rc = pz_kv_batch_splice_to_out(fields, &h, rest, &out);
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
    void *ctx = pz_reply_ctx(self);
    if (ctx == NULL) {
        return PZ_EINTERNAL;
    }
    if ((uintptr_t)ctx & PZ__TXN_CTX_COORD) {
        pz__coord_on_reply(t, (void *)((uintptr_t)ctx & ~(uintptr_t)PZ__TXN_CTX_COORD), reply);
        return 0;
    }
    pz_msg_t *req = ctx;
    const char *text = NULL;
    int err = pz_msg_error(reply, &text);
    if (err != 0) {
        pz_reply_error(self, req, err, text);
        pz_metric_add(t->m_errors, 1);
    } else {
        /* Always observe the reply's timestamp, even from a local sender: dist forwards replies
         * produced in other processes, whose clocks may have pushed a write above ours; a read
         * stamped below it would miss an acknowledged write. */
        pz_hlc_t ts;
        pz_kv_error_t e;
        if (pz_kv_batch_resp_peek(reply, &ts, &e) == 0) {
            pz_hlc_update(ts);
            if (e.code == PZ_ERANGE_SPAN) {
                pz__coord_implicit(t, req); /* takes req */
                return 0;
            }
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
    if (pz_msg_type(msg) == PZ_MSG_TXN_CTL) {
        return pz__coord_on_ctl(t, msg);
    }
    pz_reply_error(self, msg, PZ_EUNKNOWN_TYPE, "txn does not handle this message type");
    return PZ_EUNKNOWN_TYPE;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("txn"),    .init = s_init,         .fini = s_fini,
    .on_message = s_on_message, .on_timer = s_on_timer,
};

PZ_MODULE_DEFINE(s_desc)
