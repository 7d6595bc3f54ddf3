/*
 * repl_module.c — replicas: one per range this store holds (replication factor 1 until the
 * replication issue brings Raft).
 *
 * At start the replica set is loaded from the store-local replica descriptors (\x01rdsc<id>).
 * On a fresh store with `bootstrap = true` (single-node), range 1 covering the whole key space is
 * created: its descriptor is written, in one durable batch, both store-locally and to meta2
 * (\x03\xff\xff) where dist finds it. Batches that arrive before the load finishes are parked.
 *
 * This file holds the hooks, the replica set and the dispatch of messages and timers; a batch's
 * path is repl_batch.c, lock waits, pushes and the txnwait queue are repl_wait.c (repl.h).
 * Ranges split (repl_split.c) on a SPLIT batch or when one grows past range_max_bytes.
 * Config: storage (actor), dist (actor pushes and queries go through), bootstrap, node_id,
 * timeout_ms, range_max_bytes.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/kernel.h"
#include "phantomzero/keys.h"
#include "phantomzero/kv.h"
#include "phantomzero/module.h"

#include "repl.h"
#include "repl_gcq.h"

#define S_LOAD 1 /* timer id: retry loading the replica set */

typedef pz__repl_t s_repl_t;
typedef pz__replica_t s_replica_t;

static void s_replica_free(s_replica_t *r)
{
    free((void *)r->start.ptr);
    free((void *)r->end.ptr);
    free(r->packed);
}

static int s_replica_add(s_repl_t *p, const uint8_t *packed, size_t len)
{
    pz_arena_t *a = pz_arena_new();
    pz_range_desc_t d;
    int rc = a ? pz_range_desc_unpack(packed, len, a, &d) : PZ_ENOMEM;
    s_replica_t *grown =
        rc == 0 ? realloc(p->replicas, (p->replicas_len + 1) * sizeof *grown) : NULL;
    if (rc == 0 && grown == NULL) {
        rc = PZ_ENOMEM;
    }
    if (rc == 0) {
        p->replicas = grown;
        s_replica_t *r = &p->replicas[p->replicas_len];
        *r = (s_replica_t){.range_id = d.range_id, .generation = d.generation};
        uint8_t *s = malloc(d.start_key.len + 1), *e = malloc(d.end_key.len + 1);
        r->packed = malloc(len);
        if (!s || !e || !r->packed) {
            free(s), free(e), free(r->packed);
            rc = PZ_ENOMEM;
        } else {
            memcpy(s, d.start_key.ptr, d.start_key.len);
            memcpy(e, d.end_key.ptr, d.end_key.len);
            memcpy(r->packed, packed, len);
            r->start = (pz_view_t){s, d.start_key.len};
            r->end = (pz_view_t){e, d.end_key.len};
            r->packed_len = len;
            p->replicas_len++;
        }
    }
    pz_arena_destroy(&a);
    return rc;
}

int pz__repl_replica_put(pz__repl_t *p, const uint8_t *packed, size_t len, uint64_t bytes)
{
    int rc = s_replica_add(p, packed, len);
    if (rc != 0) {
        return rc;
    }
    s_replica_t *n = &p->replicas[p->replicas_len - 1];
    n->bytes = bytes;
    for (uint32_t i = 0; i + 1 < p->replicas_len; i++) {
        if (p->replicas[i].range_id == n->range_id) {
            s_replica_free(&p->replicas[i]);
            p->replicas[i] = *n;
            p->replicas_len--;
            break;
        }
    }
    return 0;
}

const pz__replica_t *pz__repl_replica(const pz__repl_t *p, uint64_t range_id)
{
    for (uint32_t i = 0; i < p->replicas_len; i++) {
        if (p->replicas[i].range_id == range_id) {
            return &p->replicas[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Talking to storage                                                                        */

static int s_to_storage(pz_actor_t *self, s_repl_t *p, const pz_kv_batch_t *b, pz__repl_flight_t *f)
{
    return pz__repl_send(self, p->storage, b, p->timeout_ms, f);
}

static void s_load(pz_actor_t *self, s_repl_t *p)
{
    static pz__repl_flight_t load = {.kind = PZ_RF_LOAD};
    uint8_t start[32], end[32];
    size_t slen = pz_key_replica_desc_prefix(start, sizeof start);
    memcpy(end, start, slen);
    end[slen - 1]++; /* the prefix's successor bounds the scan */
    pz_kv_req_t req = {
        .op = PZ_KV_SCAN, .key = {start, (uint32_t)slen}, .end_key = {end, (uint32_t)slen}};
    pz_kv_batch_t b = {.header = {.ts = pz_hlc_now()}, .reqs = &req, .reqs_len = 1};
    int rc = s_to_storage(self, p, &b, &load);
    if (rc != 0) {
        pz_log(self, PZ_LOG_ERROR, "cannot ask storage for the replica set: %s", pz_strerror(rc));
    }
}

static int s_bootstrap(pz_actor_t *self, s_repl_t *p)
{
    static pz__repl_flight_t boot = {.kind = PZ_RF_BOOTSTRAP};
    pz_replica_desc_t rep = {.node_id = (uint32_t)p->node_id,
                             .store_id = 1,
                             .replica_id = 1,
                             .addr = pz_view_str(p->self_addr)};
    pz_range_desc_t d = {.range_id = 1,
                         .start_key = {PZ_KEY_MIN_ADDR, 0},
                         .end_key = {PZ_KEY_MAX, sizeof PZ_KEY_MAX},
                         .generation = 1,
                         .replicas = &rep,
                         .replicas_len = 1};
    uint8_t *packed = NULL;
    size_t len = 0;
    int rc = pz_range_desc_pack(&d, &packed, &len);
    if (rc != 0) {
        return rc;
    }
    uint8_t lk[32], mk[32];
    size_t lklen = pz_key_replica_desc(lk, sizeof lk, 1);
    size_t mklen = pz_key_meta2(mk, sizeof mk, d.end_key);
    pz_kv_req_t reqs[2] = {
        {.op = PZ_KV_CPUT, .key = {lk, (uint32_t)lklen}, .value = {packed, (uint32_t)len}},
        {.op = PZ_KV_CPUT, .key = {mk, (uint32_t)mklen}, .value = {packed, (uint32_t)len}},
    };
    pz_kv_batch_t b = {
        .header = {.ts = pz_hlc_now(), .durable = true}, .reqs = reqs, .reqs_len = 2};
    rc = s_to_storage(self, p, &b, &boot);
    if (rc == 0) {
        rc = s_replica_add(p, packed, len);
    }
    free(packed);
    pz_log(self, PZ_LOG_INFO, "bootstrapping range 1 on a new store");
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Start-up replies                                                                          */

static void s_set_ready(pz_actor_t *self, s_repl_t *p)
{
    p->ready = true;
    pz_log(self, PZ_LOG_INFO, "ready: %u replica(s)", p->replicas_len);
    for (uint32_t i = 0; i < p->parked_len; i++) {
        bool kept = false;
        pz__repl_on_batch(self, p, p->parked[i], &kept);
        if (!kept) {
            pz_msg_free(&p->parked[i]);
        }
    }
    p->parked_len = 0;
}

/* The outcome of a storage reply: an envelope error, a malformed body, the batch's KV error, or
 * 0 with the decoded response in *r. */
static int s_batch_result(pz_msg_t *reply, pz_kv_batch_resp_t *r)
{
    int rc = pz_msg_error(reply, NULL);
    if (rc == 0) {
        rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, r);
    }
    return rc != 0 ? rc : r->error.code;
}

static void s_on_load(pz_actor_t *self, s_repl_t *p, pz_msg_t *reply)
{
    pz_kv_batch_resp_t r;
    int rc = s_batch_result(reply, &r);
    if (rc != 0) {
        pz_log(self, PZ_LOG_ERROR, "cannot load the replica set: %s (retrying)", pz_strerror(rc));
        pz_timer_arm(self, 1000, S_LOAD);
        return;
    }
    for (uint32_t i = 0; r.resps_len == 1 && i < r.resps[0].kvs_len; i++) {
        pz_view_t v = r.resps[0].kvs[i].value;
        if ((rc = s_replica_add(p, v.ptr, v.len)) != 0) {
            pz_log(self, PZ_LOG_ERROR, "bad replica descriptor in the store: %s", pz_strerror(rc));
        }
    }
    if (p->replicas_len == 0 && p->bootstrap) {
        if ((rc = s_bootstrap(self, p)) != 0) {
            pz_log(self, PZ_LOG_ERROR, "bootstrap failed: %s", pz_strerror(rc));
        }
        return; /* ready once the bootstrap write is acknowledged */
    }
    s_set_ready(self, p);
}

static void s_on_bootstrap(pz_actor_t *self, s_repl_t *p, pz_msg_t *reply)
{
    pz_kv_batch_resp_t r;
    int rc = s_batch_result(reply, &r);
    if (rc != 0) {
        pz_log(self, PZ_LOG_ERROR, "bootstrap write failed: %s (retrying)", pz_strerror(rc));
        for (uint32_t i = 0; i < p->replicas_len; i++) {
            s_replica_free(&p->replicas[i]);
        }
        p->replicas_len = 0;
        pz_timer_arm(self, 1000, S_LOAD);
        return;
    }
    s_set_ready(self, p);
}

/* ---------------------------------------------------------------------------------------- */
/* Hooks                                                                                     */

static void s_metrics(s_repl_t *p)
{
    p->m_batches = pz_metric_counter("pz_repl_batches_total", "KV batches evaluated");
    p->m_latch_waits =
        pz_metric_counter("pz_repl_latch_waits_total", "batches that waited for latches");
    p->m_mismatch =
        pz_metric_counter("pz_repl_range_mismatch_total", "batches for a range not held here");
    p->m_lock_waits =
        pz_metric_counter("pz_repl_lock_waits_total", "batches that waited on an intent");
    p->m_pushes = pz_metric_counter("pz_repl_pushes_total", "PUSH_TXN sent for waiters");
    p->m_tscache_bumps =
        pz_metric_counter("pz_repl_tscache_bumps_total", "write batches moved above a cached read");
    p->m_deadlocks =
        pz_metric_counter("pz_repl_deadlock_pushes_total", "pushes forced to break a deadlock");
}

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    s_repl_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    *state = p;
    snprintf(p->storage, sizeof p->storage, "%s", pz_cfg_str(cfg, "storage", "storage"));
    snprintf(p->dist, sizeof p->dist, "%s", pz_cfg_str(cfg, "dist", "dist"));
    /* Descriptors name the actor, not a process endpoint: which process runs it is the
     * topology's business (routes now, gossip later), so a restart on another port still works */
    snprintf(p->self_addr, sizeof p->self_addr, "%s", pz_actor_name(self));
    int64_t timeout = 0;
    int rc = pz_cfg_bool(cfg, "bootstrap", false, &p->bootstrap);
    if (rc == 0) {
        rc = pz_cfg_int(cfg, "node_id", 1, &p->node_id);
    }
    if (rc == 0) {
        rc = pz_cfg_int(cfg, "timeout_ms", PZ_REQUEST_TIMEOUT_MS_DEFAULT, &timeout);
    }
    int64_t range_max = 0;
    if (rc == 0) {
        rc = pz_cfg_int(cfg, "range_max_bytes", PZ_RANGE_BYTES_MAX_DEFAULT, &range_max);
    }
    if (rc != 0 || timeout <= 0 || p->node_id <= 0 || p->node_id > UINT32_MAX ||
        range_max < PZ_RANGE_BYTES_MAX_MIN) {
        pz_log(self, PZ_LOG_ERROR,
               "bad repl settings (bootstrap, node_id, timeout_ms, range_max_bytes)");
        return PZ_ECONFIG;
    }
    p->range_max_bytes = (uint64_t)range_max;
    p->timeout_ms = (uint32_t)timeout;
    /* Reads served before this start are unknown: every key reads at least now (tscache.h). */
    p->tscache = pz__tscache_new(pz_hlc_now(), 0, 0);
    p->locks = pz__lt_new();
    p->txnwait = pz__tw_new();
    if (p->tscache == NULL || p->locks == NULL || p->txnwait == NULL) {
        return PZ_ENOMEM;
    }
    s_metrics(p);
    s_load(self, p);
    return pz__gcq_init(self, p, cfg); /* the MVCC GC queue (repl_gcq.c) */
}

static void s_fini(pz_actor_t *self, void *state)
{
    (void)self;
    s_repl_t *p = state;
    for (uint32_t i = 0; i < p->parked_len; i++) {
        pz_msg_free(&p->parked[i]);
    }
    for (uint32_t i = 0; i < p->replicas_len; i++) {
        s_replica_free(&p->replicas[i]);
    }
    free(p->replicas);
    if (p->locks != NULL && p->txnwait != NULL) {
        pz__repl_wait_fini(p);
    }
    pz__lt_free(&p->locks);
    pz__tw_free(&p->txnwait);
    pz__tscache_free(&p->tscache);
    pz__latches_clear(&p->latches);
    pz__gcq_fini(p); /* the MVCC GC queue (repl_gcq.c) */
    free(p);
}

static void s_on_timer(pz_actor_t *self, void *state, uint64_t id)
{
    if (id == S_LOAD) {
        s_load(self, state);
    } else if (id == PZ_REPL_TICK_TIMER) {
        pz__repl_tick(self, state);
    } else if (id == PZ_REPL_GCQ_TIMER) {
        pz__gcq_tick(self, state); /* the MVCC GC queue (repl_gcq.c) */
    }
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_repl_t *p = state;
    if (pz_msg_is_reply(msg)) {
        pz__repl_flight_t *f = pz_reply_ctx(self);
        assert(f != NULL);
        switch (f->kind) {
        case PZ_RF_LOAD:
            s_on_load(self, p, msg);
            break;
        case PZ_RF_BOOTSTRAP:
            s_on_bootstrap(self, p, msg);
            break;
        case PZ_RF_BATCH:
            pz__repl_batch_done(self, p, f, msg);
            break;
        case PZ_RF_PUSH:
            pz__repl_push_done(self, p, f, msg);
            break;
        case PZ_RF_QUERY:
            pz__repl_query_done(self, p, f, msg);
            break;
        case PZ_RF_SPLIT:
            pz__repl_split_reply(self, p, f, msg);
            break;
        case PZ_RF_GC: /* the MVCC GC queue (repl_gcq.c) */
            pz__gcq_done(self, p, msg);
            break;
        case PZ_RF_COMMIT: /* a pipelined batch's commit (repl_batch.c) */
            pz__repl_commit_done(self, p, f, msg);
            break;
        }
        return 0;
    }
    if (pz_msg_type(msg) != PZ_MSG_KV_BATCH) {
        pz_reply_error(self, msg, PZ_EUNKNOWN_TYPE, "repl does not handle this message type");
        return PZ_EUNKNOWN_TYPE;
    }
    if (!p->ready) {
        if (p->parked_len == PZ_REPL_PARKED_MAX) {
            pz_reply_error(self, msg, PZ_ENOTREADY, "replicas are still loading");
            return PZ_ENOTREADY;
        }
        p->parked[p->parked_len++] = pz_msg_keep(msg);
        return 0;
    }
    bool kept = false;
    int rc = pz__repl_on_batch(self, p, msg, &kept);
    if (kept) {
        pz_msg_keep(msg);
    }
    return rc;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("repl"),   .init = s_init,         .fini = s_fini,
    .on_message = s_on_message, .on_timer = s_on_timer,
};

PZ_MODULE_DEFINE(s_desc)
