/*
 * mvcc.c — evaluates a KV batch with MVCC over an engine snapshot (see kv.h for the semantics
 * of each request and mvcc_key.h for how versions are stored).
 *
 * Correctness rests on the repl layer's latches: no two batches with overlapping keys are in
 * flight at once (a batch holds its latches until storage replies, and storage replies to a
 * write only after its group commit). So evaluating against the last *committed* snapshot plus
 * the batch's own overlay is correct even while earlier, non-overlapping groups are still being
 * committed by the committer thread: nothing this batch reads or writes can be in them.
 *
 * Evaluation, as CockroachDB evaluates a batch:
 *   1. Validation of every request (PZ_EINVAL with the request's index) before anything else
 *      (mvcc_check.c), and the range's GC threshold: nothing reads below it.
 *   2. Write-too-old: a write may not land at or below an existing version of its key. A
 *      pre-check raises the timestamp above the newest version of every key a point write
 *      (PUT, CPUT, DEL) touches; the whole batch, reads included, is then evaluated at that
 *      timestamp, which the response reports. DEL_RANGE learns the keys it writes only while it
 *      scans, so a pass whose DEL_RANGE passes a version at or above the pass timestamp is
 *      rerun just above it (bounded by PZ_MVCC_EVAL_PASSES_MAX).
 *   3. Requests in order, reads looking at the overlay of the batch's own writes first.
 *   4. The overlay becomes the write set: one version (value or tombstone) per key at the
 *      batch timestamp. A failed batch writes nothing.
 *
 * A transactional batch (header.txn) reads at txn.read_ts and writes at txn.write_ts (the pass
 * timestamp, raised by write-too-old exactly as above): its reads see its own intents and stop at
 * other transactions' (mvcc_intent.c), its writes become intents rather than versions, and its
 * locking reads add lock-only intents — or fail the batch with PZ_EWRITE_TOO_OLD when the key
 * has a committed version above read_ts, since the lock would otherwise be taken on a value
 * already overwritten. The response's txn carries the final write_ts, and its ts is the read
 * timestamp.
 *
 * Transaction record, resolve, refresh and GC ops go alone or among themselves (mvcc_check.c);
 * each adds its engine writes to the same write set, so what one batch changes (a record and
 * the intents it resolves) commits in one engine batch.
 *
 * Nothing returned points into the snapshot: values read through iterators are copied into the
 * arena (the engine ABI keeps them valid only until the iterator moves), so the caller can close
 * the snapshot before the reply is encoded.
 */
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

/* ---------------------------------------------------------------------------------------- */
/* Point reads and writes                                                                    */

/* Fails request i with a read's error (a conflict keeps its own message). */
static int s_read_failed(pz_mvcc_ctx_t *ctx, int rc, uint32_t i)
{
    bool conflict = rc == PZ_EWRITE_INTENT || rc == PZ_EUNCERTAIN || rc == PZ_EWRITE_TOO_OLD;
    return pz__mvcc_set_error(ctx, rc, (int32_t)i,
                              conflict ? pz_strerror(rc) : "reading the key failed");
}

/* The version of k visible to the batch: its own write, else the snapshot's as rd sees it. A
 * snapshot value lives until the point iterator moves. */
static int s_read(pz_mvcc_ctx_t *ctx, const pz_mvcc_rd_t *rd, pz_view_t k, pz_mvcc_ver_t *ver)
{
    const pz_ovl_node_t *n = pz__ovl_get(&ctx->ov, k);
    if (n != NULL) {
        memset(ver, 0, sizeof *ver);
        ver->found = true;
        ver->live = n->live;
        ver->value = n->value;
        ver->ts = ctx->ts;
        ver->own = true;
        return 0;
    }
    size_t len = 0;
    int rc = pz__mvcc_prefix(ctx, k, &len);
    return rc ? rc : pz__mvcc_read_key(rd, &ctx->it, &ctx->kb, len, ver);
}

/* A point write's key: another transaction's intent or shared lock refuses the batch; the
 * transaction's own intent (this epoch) may sit above write_ts (a push moved it), and the write
 * goes there too. */
static int s_precheck_intent(pz_mvcc_ctx_t *ctx, uint32_t i, pz_hlc_t *floor)
{
    size_t len = 0;
    pz_mvcc_intent_t in;
    bool found = false;
    int rc = pz__mvcc_prefix(ctx, ctx->b->reqs[i].key, &len);
    rc = rc ? rc
            : pz__mvcc_intent_load(ctx->snap, (pz_view_t){ctx->kb.p, (uint32_t)len}, ctx->a, &in,
                                   &found);
    if (rc != 0 || !found) {
        return rc;
    }
    const pz_kv_txn_t *holder = pz__mvcc_intent_blocker(&in, ctx->txn, false);
    if (holder != NULL) {
        ctx->conflict.key = ctx->b->reqs[i].key;
        ctx->conflict.txn = *holder;
        return PZ_EWRITE_INTENT;
    }
    PZ_ST_ASSERT(ctx->txn != NULL); /* a record always has a holder */
    if (in.hist_len > 0 && in.txn.epoch == ctx->txn->epoch &&
        pz_hlc_cmp(in.txn.write_ts, *floor) > 0) {
        *floor = in.txn.write_ts;
    }
    return 0;
}

/* Raises *ts above the newest version of every key a point write of the batch touches (and to
 * the batch's own intents there), and refuses the batch on another transaction's intent. */
static int s_precheck_point_writes(pz_mvcc_ctx_t *ctx, pz_hlc_t start, pz_hlc_t *ts)
{
    pz_hlc_t wto = {0, 0}, floor = start;
    for (uint32_t i = 0; i < ctx->b->reqs_len; i++) {
        const pz_kv_req_t *r = &ctx->b->reqs[i];
        if (!pz_kv_op_is_write(r->op) || pz_kv_op_is_span(r->op)) {
            continue;
        }
        size_t len = 0;
        pz_mvcc_ver_t ver;
        int rc = pz__mvcc_prefix(ctx, r->key, &len);
        rc = rc ? rc : pz__mvcc_read_at(&ctx->it, &ctx->kb, len, start, &ver);
        if (rc == 0 && ver.has_meta) {
            rc = s_precheck_intent(ctx, i, &floor);
        }
        if (rc != 0) {
            return s_read_failed(ctx, rc, i);
        }
        pz__mvcc_note_wto(&wto, start, ver.newest);
    }
    *ts = pz_hlc_is_zero(wto) ? start : pz_hlc_next(wto);
    if (pz_hlc_cmp(floor, *ts) > 0) {
        *ts = floor;
    }
    return 0;
}

int pz__mvcc_lock_key(pz_mvcc_ctx_t *ctx, pz_view_t key, uint8_t strength, bool own,
                      pz_hlc_t newest)
{
    PZ_ST_ASSERT(ctx != NULL && ctx->txn != NULL && key.len > 0);
    PZ_ST_ASSERT(strength == PZ_LOCK_SHARED || strength == PZ_LOCK_EXCLUSIVE);
    pz__mvcc_note_wto(&ctx->wto, ctx->ts, newest);
    bool excl = strength == PZ_LOCK_EXCLUSIVE;
    const pz_ovl_node_t *n = pz__ovl_get(&ctx->locks, key);
    if (own || (n != NULL && (n->live || !excl))) {
        return 0;
    }
    pz_view_t copy;
    int rc = pz__mvcc_dup(ctx->a, key, &copy);
    return rc ? rc : pz__ovl_put(&ctx->locks, copy, excl, (pz_view_t){NULL, 0});
}

/* A locking read: reads as strict as a write (pz__mvcc_locking_rd) and, unless the key is
 * the transaction's own, refuses to return a value older than the newest committed one. */
static int s_get(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    pz_mvcc_rd_t rd = ctx->rd;
    if (q->lock != PZ_LOCK_NONE) {
        pz__mvcc_locking_rd(&rd, q->lock);
    }
    pz_mvcc_ver_t ver;
    int rc = s_read(ctx, &rd, q->key, &ver);
    if (rc == 0 && rd.strict && !ver.own && pz_hlc_cmp(ver.newest, rd.read_ts) > 0) {
        ctx->conflict.ts = ver.newest;
        rc = PZ_EWRITE_TOO_OLD;
    }
    if (rc == 0 && ver.live) {
        r->found = true;
        r->ts = ver.ts;
        rc = pz__mvcc_dup(ctx->a, ver.value, &r->value);
        ctx->bytes_used += ver.value.len;
        if (rc == 0 && rd.strict) {
            rc = pz__mvcc_lock_key(ctx, q->key, q->lock, ver.own, ver.newest);
        }
    }
    return rc ? s_read_failed(ctx, rc, i) : 0;
}

/* Adds a write of the batch: to the overlay, which becomes versions or intents. */
static int s_write(pz_mvcc_ctx_t *ctx, uint32_t i, bool live, pz_view_t value)
{
    int rc = pz__ovl_put(&ctx->ov, ctx->b->reqs[i].key, live, value);
    return rc ? pz__mvcc_set_error(ctx, rc, (int32_t)i, "out of memory") : 0;
}

static int s_cput(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    pz_mvcc_ver_t ver;
    int rc = s_read(ctx, &ctx->rd, q->key, &ver);
    if (rc != 0) {
        return s_read_failed(ctx, rc, i);
    }
    bool ok = q->exp_exists ? (ver.live && pz_view_eq(ver.value, q->exp_value)) : !ver.live;
    if (!ok) {
        pz_view_t actual = {NULL, 0};
        if (pz__mvcc_dup(ctx->a, ver.value, &actual) != 0) {
            return pz__mvcc_set_error(ctx, PZ_ENOMEM, (int32_t)i, "out of memory");
        }
        pz__mvcc_set_error(ctx, PZ_ECONDFAILED, (int32_t)i, "condition failed");
        ctx->resp->error.has_actual = ver.live;
        ctx->resp->error.actual_value = actual;
        return PZ_ECONDFAILED;
    }
    r->ts = ctx->ts;
    return s_write(ctx, i, true, q->value);
}

static int s_put_or_del(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    bool del = q->op == PZ_KV_DEL;
    if (del) {
        pz_mvcc_ver_t ver;
        int rc = s_read(ctx, &ctx->rd, q->key, &ver);
        if (rc != 0) {
            return s_read_failed(ctx, rc, i);
        }
        r->num_deleted = ver.live ? 1 : 0;
    }
    r->ts = ctx->ts;
    /* A DEL writes its tombstone even over nothing, as CockroachDB does: the write is what
     * orders it against later readers. */
    return s_write(ctx, i, !del, del ? (pz_view_t){NULL, 0} : q->value);
}

static int s_request(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    r->op = ctx->b->reqs[i].op;
    switch (r->op) {
    case PZ_KV_GET:
        return s_get(ctx, i, r);
    case PZ_KV_PUT:
    case PZ_KV_DEL:
        return s_put_or_del(ctx, i, r);
    case PZ_KV_CPUT:
        return s_cput(ctx, i, r);
    case PZ_KV_DEL_RANGE:
        return pz__mvcc_del_range(ctx, i, r);
    case PZ_KV_SCAN:
    case PZ_KV_RSCAN:
        return pz__mvcc_scan(ctx, i, r);
    case PZ_KV_HEARTBEAT_TXN:
        return pz__mvcc_heartbeat(ctx, i, r);
    case PZ_KV_END_TXN:
        return pz__mvcc_end_txn(ctx, i, r);
    case PZ_KV_PUSH_TXN:
        return pz__mvcc_push_txn(ctx, i, r);
    case PZ_KV_QUERY_TXN:
        return pz__mvcc_query_txn(ctx, i, r);
    case PZ_KV_RESOLVE:
        return pz__mvcc_resolve(ctx, i, r);
    case PZ_KV_REFRESH:
        return pz__mvcc_refresh(ctx, i, r);
    case PZ_KV_GC:
        return pz__mvcc_gc(ctx, i, r);
    default:
        PZ_ST_ASSERT(!"op passed validation"); /* pz__mvcc_validate refused it */
        return PZ_EINVAL;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Passes and the write set                                                                  */

/* How the pass's plain reads see intents: a transaction at its read timestamp up to its
 * uncertainty limit, a non-transactional batch at the pass timestamp. */
static void s_reader(pz_mvcc_ctx_t *ctx)
{
    const pz_kv_txn_t *t = ctx->txn;
    ctx->rd = (pz_mvcc_rd_t){.txn = t, .snap = ctx->snap, .a = ctx->a, .conflict = &ctx->conflict};
    ctx->rd.read_ts = t != NULL ? t->read_ts : ctx->ts;
    ctx->rd.limit = ctx->rd.read_ts;
    ctx->rd.inconsistent = t == NULL && ctx->b->header.wait_policy == PZ_WAIT_INCONSISTENT;
    if (t != NULL && pz_hlc_cmp(t->uncertainty_limit, ctx->rd.limit) > 0) {
        ctx->rd.limit = t->uncertainty_limit;
    }
}

/* Evaluates every request at ts from a fresh overlay; ctx->wto says whether to rerun. */
static int s_pass(pz_mvcc_ctx_t *ctx, pz_hlc_t ts)
{
    const pz_kv_batch_t *b = ctx->b;
    ctx->ts = ts;
    ctx->wto = (pz_hlc_t){0, 0};
    ctx->keys_left = b->header.max_keys ? b->header.max_keys : UINT64_MAX;
    ctx->bytes_used = 0;
    ctx->resp->ts = ctx->txn != NULL ? ctx->txn->read_ts : ts;
    s_reader(ctx);
    int rc = pz__ovl_init(&ctx->ov, ctx->a);
    rc = rc ? rc : pz__ovl_init(&ctx->locks, ctx->a);
    pz_kv_resp_t *resps = NULL;
    if (rc == 0 && b->reqs_len > 0) {
        resps = pz_arena_alloc(ctx->a, sizeof *resps * b->reqs_len);
        rc = resps != NULL ? 0 : PZ_ENOMEM;
    }
    if (rc != 0) {
        return pz__mvcc_set_error(ctx, rc, -1, "out of memory");
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        if ((rc = s_request(ctx, i, &resps[i])) != 0) {
            PZ_ST_ASSERT(ctx->resp->error.code == rc);
            return rc;
        }
    }
    ctx->resp->resps = resps;
    ctx->resp->resps_len = b->reqs_len;
    return 0;
}

/* The engine value of a version: tag byte + user value. */
static int s_version_value(pz_arena_t *a, const pz_ovl_node_t *x, pz_view_t *out)
{
    uint8_t *v = pz_arena_alloc(a, 1 + (size_t)x->value.len);
    if (v == NULL) {
        return PZ_ENOMEM;
    }
    v[0] = x->live ? PZ_MVCC_TAG_VALUE : PZ_MVCC_TAG_TOMBSTONE;
    if (x->value.len > 0) {
        memcpy(v + 1, x->value.ptr, x->value.len);
    }
    *out = (pz_view_t){v, 1 + x->value.len};
    return 0;
}

/* The overlay as engine ops: versions at the batch timestamp, or a transaction's intents (and
 * the locks of its locking reads). */
static int s_build_ops(pz_mvcc_ctx_t *ctx)
{
    int rc = 0;
    for (const pz_ovl_node_t *x = pz__ovl_first(&ctx->ov); rc == 0 && x != NULL; x = x->next[0]) {
        if (ctx->txn != NULL) {
            uint8_t tag = x->live ? PZ_MVCC_TAG_VALUE : PZ_MVCC_TAG_TOMBSTONE;
            rc = pz__mvcc_intent_write(ctx, x->key, tag, x->value);
            continue;
        }
        size_t cap = pz__mvcc_key_cap(x->key.len);
        uint8_t *k = pz_arena_alloc(ctx->a, cap);
        pz_view_t v = {NULL, 0};
        rc = k != NULL ? s_version_value(ctx->a, x, &v) : PZ_ENOMEM;
        if (rc == 0) {
            pz_view_t key = {k, (uint32_t)pz__mvcc_key_version(k, cap, x->key, ctx->ts)};
            rc = pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_PUT, key, v);
        }
    }
    for (const pz_ovl_node_t *x = pz__ovl_first(&ctx->locks); rc == 0 && x != NULL;
         x = x->next[0]) {
        if (pz__ovl_get(&ctx->ov, x->key) != NULL) {
            continue; /* written by the batch: the intent is the lock */
        }
        rc = x->live ? pz__mvcc_intent_write(ctx, x->key, PZ_MVCC_TAG_LOCK, (pz_view_t){NULL, 0})
                     : pz__mvcc_intent_share(ctx, x->key);
    }
    return rc;
}

/* Reads below the range's GC threshold could miss versions GC removed. Loads the threshold
 * once per batch (when the actor did not know it); read_ts zero only loads it. */
static int s_check_gc(pz_mvcc_ctx_t *ctx, pz_mvcc_result_t *out, pz_hlc_t read_ts)
{
    if (!ctx->gc_loaded) {
        ctx->gc_cur = ctx->env->gc_threshold;
        if (!ctx->env->gc_known) {
            int rc = pz__mvcc_gc_threshold_load(ctx, &ctx->gc_cur);
            if (rc != 0) {
                return pz__mvcc_set_error(ctx, rc, -1, "reading the GC threshold failed");
            }
            out->gc_known = true;
            out->gc_threshold = ctx->gc_cur;
        }
        ctx->gc_loaded = true;
    }
    pz_hlc_t t = ctx->gc_cur;
    if (!pz_hlc_is_zero(read_ts) && !pz_hlc_is_zero(t) && pz_hlc_cmp(read_ts, t) < 0) {
        ctx->conflict.ts = t;
        return pz__mvcc_set_error(ctx, PZ_EGC_THRESHOLD, -1, pz_strerror(PZ_EGC_THRESHOLD));
    }
    return 0;
}

/* Reads and writes of versions: the passes of write-too-old. */
static int s_eval_mvcc(pz_mvcc_ctx_t *ctx, pz_mvcc_result_t *out)
{
    const pz_kv_txn_t *t = ctx->txn;
    pz_hlc_t start = ctx->b->header.ts;
    if (t != NULL) {
        start = pz_hlc_cmp(t->write_ts, t->read_ts) > 0 ? t->write_ts : t->read_ts;
    }
    int rc = s_check_gc(ctx, out, t != NULL ? t->read_ts : start);
    pz_hlc_t ts;
    rc = rc ? rc : s_precheck_point_writes(ctx, start, &ts);
    for (int pass = 0; rc == 0; pass++) {
        if (pass == PZ_MVCC_EVAL_PASSES_MAX) {
            return pz__mvcc_set_error(ctx, PZ_EBUSY, -1, "write timestamp did not settle");
        }
        if ((rc = s_pass(ctx, ts)) != 0) {
            return rc;
        }
        if (pz_hlc_is_zero(ctx->wto)) {
            break;
        }
        PZ_ST_ASSERT(pz_hlc_cmp(ctx->wto, ts) >= 0);
        ts = pz_hlc_next(ctx->wto);
    }
    if (rc == 0 && (rc = s_build_ops(ctx)) != 0) {
        return pz__mvcc_set_error(ctx, rc, -1,
                                  rc == PZ_ELIMIT ? "intent history or shared lock set is full"
                                                  : "out of memory");
    }
    return rc;
}

/* Transaction record, resolve, refresh and GC ops: one pass, at the transaction's write
 * timestamp or the batch's. */
static int s_eval_ops(pz_mvcc_ctx_t *ctx, pz_mvcc_result_t *out)
{
    const pz_kv_txn_t *t = ctx->txn;
    ctx->ts = ctx->b->header.ts;
    if (t != NULL) {
        ctx->ts = pz_hlc_cmp(t->write_ts, t->read_ts) > 0 ? t->write_ts : t->read_ts;
    }
    for (uint32_t i = 0; i < ctx->b->reqs_len; i++) {
        const pz_kv_req_t *q = &ctx->b->reqs[i];
        /* A refresh below the threshold cannot see what GC removed; a GC raises it. */
        int rc = 0;
        if (q->op == PZ_KV_REFRESH) {
            rc = s_check_gc(ctx, out, q->ext.from_ts);
        } else if (q->op == PZ_KV_GC) {
            rc = s_check_gc(ctx, out, (pz_hlc_t){0, 0});
        }
        if (rc != 0) {
            return rc;
        }
    }
    int rc = s_pass(ctx, ctx->ts);
    if (rc == 0 && ctx->gc_raised) {
        out->gc_known = true;
        out->gc_threshold = ctx->gc_cur;
    }
    return rc;
}

int pz__mvcc_eval(pz_eng_snap_t *snap, const pz_kv_batch_t *b, const pz_mvcc_env_t *env,
                  pz_arena_t *a, pz_mvcc_result_t *out)
{
    PZ_ST_ASSERT(snap != NULL && snap->s != NULL && b != NULL && a != NULL && out != NULL);
    PZ_ST_ASSERT(env != NULL);
    memset(out, 0, sizeof *out);
    out->resp.ts = b->header.ts;
    out->resp.error.index = -1;
    pz_mvcc_ctx_t ctx = {.snap = snap, .a = a, .b = b, .env = env, .resp = &out->resp};
    ctx.txn = b->header.has_txn ? &b->header.txn : NULL;
    int rc = pz__mvcc_validate(&ctx);
    if (rc == 0 && (rc = pz_engine_iter_open(snap, &ctx.it)) != 0) {
        pz__mvcc_set_error(&ctx, rc, -1, "opening an engine iterator failed");
    }
    bool mvcc = b->reqs_len == 0 || b->reqs[0].op <= PZ_KV_RSCAN; /* never mixed (validate) */
    if (rc == 0) {
        rc = mvcc ? s_eval_mvcc(&ctx, out) : s_eval_ops(&ctx, out);
    }
    if (ctx.it.it != NULL) {
        pz_engine_iter_close(&ctx.it);
    }
    pz__mvcc_buf_free(&ctx.kb);
    if (ctx.txn != NULL && rc != PZ_EINVAL) {
        out->resp.has_txn = true;
        out->resp.txn = *ctx.txn;
        if (mvcc && pz_hlc_cmp(ctx.ts, ctx.txn->write_ts) > 0) {
            out->resp.txn.write_ts = ctx.ts;
        }
    }
    if (rc == 0) {
        out->ops = ctx.ops.v;
        out->ops_len = ctx.ops.len;
        out->ops_bytes = ctx.ops.bytes;
    }
    PZ_ST_ASSERT(rc == out->resp.error.code);
    PZ_ST_ASSERT(rc == 0 || out->ops_len == 0);
    return rc;
}
