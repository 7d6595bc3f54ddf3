/*
 * fake_storage.c — a storage actor for repl's wiring tests (test_repl_wiring.c): it answers the
 * way storage will once it holds intents and records (kv.h), from a script keyed by key names,
 * and counts what it was asked. Loaded as module "fake_storage"; the test also names it repl's
 * `dist`, so pushes and queries come here too.
 *
 *   load scan, bootstrap CPUTs       an empty store: repl bootstraps range 1
 *   "lockN" (any op)                 PZ_EWRITE_INTENT until a RESOLVE of that key; the holder's
 *                                    anchor is "anchor" (pushes succeed: COMMITTED) except for
 *                                    lock3, held by "stubborn" (pushes always fail)
 *   PUSH_TXN                         TOUCH: PZ_EPUSH_FAILED; pushee anchor "expiring": first
 *                                    PZ_EPUSH_FAILED with a heartbeat that expires in 300 ms,
 *                                    then ABORTED
 *   GET "stats"                      value: the counters, as text
 *   anything else                    success, resp.ts = the timestamp it was asked to write at
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/kernel.h"
#include "phantomzero/kv.h"
#include "phantomzero/module.h"

typedef struct {
    bool resolved[8];
    int pushes, resolves, expiring_evals, intents;
    uint8_t last_push_type, last_resolve_status;
    uint64_t last_write_wall;
    uint32_t last_write_logical;
    char stats[256];
} s_fake_t;

static uint8_t s_holder_id[PZ_TXN_ID_BYTES] = {0x11, 0x11};

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    (void)self, (void)cfg;
    *state = calloc(1, sizeof(s_fake_t));
    return *state ? 0 : PZ_ENOMEM;
}

static void s_fini(pz_actor_t *self, void *state)
{
    (void)self;
    free(state);
}

static int s_lock_index(pz_view_t k)
{
    if (k.len == 5 && memcmp(k.ptr, "lock", 4) == 0 && k.ptr[4] >= '0' && k.ptr[4] <= '7') {
        return k.ptr[4] - '0';
    }
    return -1;
}

static void s_push(s_fake_t *s, const pz_kv_req_t *q, pz_kv_batch_resp_t *r, pz_kv_resp_t *a,
                   pz_kv_txn_record_t *rec)
{
    s->pushes++;
    s->last_push_type = q->ext.push_type;
    *rec = (pz_kv_txn_record_t){
        .txn = q->ext.pushee, .status = PZ_TXN_PENDING, .last_heartbeat = pz_hlc_now()};
    pz_view_t anchor = q->ext.pushee.key;
    bool expiring = pz_view_eq(anchor, pz_view_str("expiring"));
    if (expiring && s->expiring_evals++ == 0) {
        rec->last_heartbeat.wall -= (uint64_t)(PZ_TXN_EXPIRY_MS - 300) * 1000000u;
    } else if (!expiring && q->ext.push_type != PZ_PUSH_TOUCH &&
               !pz_view_eq(anchor, pz_view_str("stubborn"))) {
        rec->status = PZ_TXN_COMMITTED;
    }
    if (expiring && s->expiring_evals > 1) {
        rec->status = PZ_TXN_ABORTED;
    }
    if (rec->status == PZ_TXN_PENDING) {
        r->error = (pz_kv_error_t){
            .code = PZ_EPUSH_FAILED, .index = 0, .has_record = true, .record = *rec};
        return;
    }
    a->has_ext = true;
    a->ext.has_record = true;
    a->ext.record = *rec;
}

/* Fills r for request i; returns false when the batch fails there (r->error set). */
static bool s_eval(s_fake_t *s, const pz_kv_batch_t *b, uint32_t i, pz_kv_batch_resp_t *r,
                   pz_kv_txn_record_t *rec)
{
    const pz_kv_req_t *q = &b->reqs[i];
    pz_kv_resp_t *a = &r->resps[i];
    a->op = q->op;
    int lock = s_lock_index(q->key);
    if (q->op == PZ_KV_RESOLVE) {
        s->resolves++;
        s->last_resolve_status = q->ext.status;
        if (lock >= 0) {
            s->resolved[lock] = true;
        }
        return true;
    }
    if (lock >= 0 && !s->resolved[lock]) {
        s->intents++;
        r->error =
            (pz_kv_error_t){.code = PZ_EWRITE_INTENT, .index = (int32_t)i, .has_intent = true};
        r->error.intent.key = q->key;
        r->error.intent.txn = (pz_kv_txn_t){.id = {s_holder_id, PZ_TXN_ID_BYTES},
                                            .priority = 1000,
                                            .key = pz_view_str(lock == 3 ? "stubborn" : "anchor")};
        return false;
    }
    if (q->op == PZ_KV_PUSH_TXN) {
        s_push(s, q, r, a, rec);
        return r->error.code == 0;
    }
    if (q->op == PZ_KV_GET && pz_view_eq(q->key, pz_view_str("stats"))) {
        snprintf(s->stats, sizeof s->stats,
                 "pushes=%d resolves=%d intents=%d push_type=%u resolve_status=%u ts=%llu.%u",
                 s->pushes, s->resolves, s->intents, s->last_push_type, s->last_resolve_status,
                 (unsigned long long)s->last_write_wall, s->last_write_logical);
        a->found = true;
        a->value = pz_view_str(s->stats);
    } else if (pz_kv_op_is_write(q->op)) {
        s->last_write_wall = b->header.ts.wall;
        s->last_write_logical = b->header.ts.logical;
    }
    return true;
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_fake_t *s = state;
    pz_kv_batch_t b;
    int rc = pz_kv_batch_from_msg(msg, PZ_MSG_KV_BATCH, &b);
    if (rc != 0) {
        pz_reply_error(self, msg, rc, "fake storage: not a batch");
        return rc;
    }
    pz_kv_resp_t resps[8];
    pz_kv_txn_record_t rec;
    memset(resps, 0, sizeof resps);
    pz_kv_batch_resp_t r = {.ts = b.header.ts, .resps = resps, .resps_len = b.reqs_len};
    for (uint32_t i = 0; i < b.reqs_len && i < 8 && s_eval(s, &b, i, &r, &rec); i++) {
    }
    if (r.error.code != 0) {
        r.resps_len = 0;
    }
    pz_out_t *out = NULL;
    if (pz_kv_batch_resp_to_out(&r, PZ_MSG_KV_BATCH_RESP, &out) != 0 ||
        pz_reply(self, msg, &out) != 0) {
        pz_out_free(&out);
    }
    return 0;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("fake_storage"),
    .init = s_init,
    .fini = s_fini,
    .on_message = s_on_message,
};

PZ_MODULE_DEFINE(s_desc)
