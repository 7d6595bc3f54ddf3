/*
 * mvcc_gc.c — GC over [key, end_key) and the range's GC threshold (kv.h).
 *
 * For each key, the newest version at or below gc_ts is what a read at gc_ts sees: it stays
 * (unless it is a tombstone, which then hides nothing anyone may still read and goes too), and
 * every older version goes. Intents are never touched: they are not versions, and their
 * transaction still has to resolve them.
 *
 * The threshold (one per range, a store-local key, mvcc_key.h) is raised to gc_ts by every GC
 * request, before anything is deleted: from then on a batch that reads below it fails with
 * PZ_EGC_THRESHOLD instead of reading a history with holes. The storage actor caches it
 * (pz_mvcc_env_t) so that reads do not look it up.
 *
 * A request deletes at most S_GC_DELETES_MAX versions (or req.limit), and looks at most at
 * S_GC_KEYS_MAX keys, and then answers with a resume key, as a scan does: GC never builds an
 * unbounded write set nor walks an unbounded span in one message. A key left half done keeps
 * its tombstone until its older versions are gone, so a resumed GC never sees an older value
 * as the newest below gc_ts.
 */
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

/* Versions one GC request deletes (an engine batch of 10k small deletes: a few hundred KB). */
#define S_GC_DELETES_MAX 10000u
/* Keys one GC request looks at: a range with millions of live keys and nothing to delete is
 * walked in pieces too (the storage actor answers other batches in between), not in one
 * message. */
#define S_GC_KEYS_MAX 20000u
/* Stored threshold: BE64 wall + BE32 logical. */
#define S_TS_BYTES 12u

int pz__mvcc_gc_threshold_load(pz_mvcc_ctx_t *ctx, pz_hlc_t *out)
{
    PZ_ST_ASSERT(ctx != NULL && out != NULL);
    uint8_t k[PZ_MVCC_GC_KEY_BYTES];
    size_t klen = pz__mvcc_key_gc(k, sizeof k, ctx->b->header.range_id);
    const uint8_t *v = NULL;
    size_t len = 0;
    *out = (pz_hlc_t){0, 0};
    int rc = pz_engine_get(ctx->snap, k, klen, &v, &len);
    if (rc == PZ_ENOTFOUND) {
        return 0;
    }
    if (rc != 0 || len != S_TS_BYTES) {
        return rc ? rc : PZ_ECORRUPT;
    }
    for (int i = 0; i < 8; i++) {
        out->wall = (out->wall << 8) | v[i];
    }
    for (int i = 0; i < 4; i++) {
        out->logical = (out->logical << 8) | v[8 + i];
    }
    return 0;
}

static int s_threshold_store(pz_mvcc_ctx_t *ctx, pz_hlc_t t)
{
    uint8_t *k = pz_arena_alloc(ctx->a, PZ_MVCC_GC_KEY_BYTES);
    uint8_t *v = pz_arena_alloc(ctx->a, S_TS_BYTES);
    if (k == NULL || v == NULL) {
        return PZ_ENOMEM;
    }
    size_t klen = pz__mvcc_key_gc(k, PZ_MVCC_GC_KEY_BYTES, ctx->b->header.range_id);
    for (int i = 0; i < 8; i++) {
        v[i] = (uint8_t)(t.wall >> (56 - 8 * i));
    }
    for (int i = 0; i < 4; i++) {
        v[8 + i] = (uint8_t)(t.logical >> (24 - 8 * i));
    }
    return pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_PUT, (pz_view_t){k, (uint32_t)klen},
                            (pz_view_t){v, S_TS_BYTES});
}

/* The iterator's entry when it is a version of the walk's key; else *same false. */
static int s_version(const pz_mvcc_walk_t *w, pz_mvcc_key_t *mk, bool *same)
{
    *same = false;
    if (!pz_engine_iter_valid(w->it)) {
        return 0;
    }
    const uint8_t *k = NULL;
    size_t len = 0;
    pz_engine_iter_key(w->it, &k, &len);
    int rc = pz__mvcc_key_split(k, len, mk);
    *same = rc == 0 && mk->has_ts &&
            pz_view_eq(mk->prefix, (pz_view_t){w->pfx.p, (uint32_t)w->pfx_len});
    return rc;
}

/* Deletes the iterator's entry (a copy of its key goes to the write set). */
static int s_delete_here(pz_mvcc_ctx_t *ctx, const pz_mvcc_walk_t *w, pz_view_t *key)
{
    const uint8_t *k = NULL;
    size_t len = 0;
    pz_engine_iter_key(w->it, &k, &len);
    *key = pz_arena_dup(ctx->a, k, len);
    return key->ptr ? pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_DEL, *key, (pz_view_t){0})
                    : PZ_ENOMEM;
}

/* GCs the walk's key; *finished false when the budget ran out inside it. */
static int s_gc_key(pz_mvcc_ctx_t *ctx, pz_mvcc_walk_t *w, pz_hlc_t gc_ts, uint64_t *budget,
                    bool *finished, uint64_t *n)
{
    *finished = true;
    size_t sk = pz__mvcc_key_put_ts(w->pfx.p, w->pfx.cap, w->pfx_len, gc_ts);
    pz_mvcc_key_t mk;
    bool same = false;
    int rc = pz_engine_iter_seek_ge(w->it, w->pfx.p, sk);
    rc = rc ? rc : s_version(w, &mk, &same);
    if (rc != 0 || !same) {
        return rc; /* nothing at or below gc_ts */
    }
    const uint8_t *v = NULL;
    size_t vlen = 0;
    pz_engine_iter_value(w->it, &v, &vlen);
    bool tomb = vlen >= 1 && v[0] == PZ_MVCC_TAG_TOMBSTONE;
    pz_view_t tomb_key = {NULL, 0};
    if (tomb) {
        const uint8_t *k = NULL;
        size_t len = 0;
        pz_engine_iter_key(w->it, &k, &len);
        if ((tomb_key = pz_arena_dup(ctx->a, k, len)).ptr == NULL) {
            return PZ_ENOMEM;
        }
    }
    for (rc = pz_engine_iter_next(w->it); rc == 0; rc = pz_engine_iter_next(w->it)) {
        if ((rc = s_version(w, &mk, &same)) != 0 || !same) {
            break;
        }
        if (*budget == 0) {
            *finished = false;
            return 0;
        }
        pz_view_t key;
        if ((rc = s_delete_here(ctx, w, &key)) != 0) {
            return rc;
        }
        (*budget)--;
        (*n)++;
    }
    if (rc != 0 || !tomb) {
        return rc;
    }
    if (*budget == 0) {
        *finished = false; /* the tombstone goes once nothing older is left under it */
        return 0;
    }
    (*budget)--;
    (*n)++;
    return pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_DEL, tomb_key, (pz_view_t){NULL, 0});
}

int pz__mvcc_gc(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    PZ_ST_ASSERT(q->has_ext && ctx->gc_loaded);
    pz_hlc_t gc_ts = q->ext.gc_ts;
    int rc = 0;
    if (pz_hlc_cmp(gc_ts, ctx->gc_cur) > 0) {
        rc = s_threshold_store(ctx, gc_ts);
        ctx->gc_cur = gc_ts;
        ctx->gc_raised = true;
    }
    uint64_t budget = q->limit && q->limit < S_GC_DELETES_MAX ? q->limit : S_GC_DELETES_MAX;
    uint64_t n = 0;
    pz_mvcc_walk_t w = {0};
    bool finished = true;
    rc = rc ? rc : pz__mvcc_walk_open(&w, &ctx->it, q->key, q->end_key);
    for (uint32_t keys = 0; rc == 0 && !w.done; rc = pz__mvcc_walk_next(&w), keys++) {
        if (keys == S_GC_KEYS_MAX) {
            finished = false; /* resumes at this key, not yet looked at */
            break;
        }
        if ((rc = s_gc_key(ctx, &w, gc_ts, &budget, &finished, &n)) != 0 || !finished) {
            break;
        }
    }
    if (rc == 0 && !finished) {
        rc = pz__mvcc_walk_user_key(ctx->a, &w, &r->resume_key);
        r->has_resume = rc == 0;
    }
    pz__mvcc_walk_close(&w);
    if (rc != 0) {
        return pz__mvcc_set_error(ctx, rc, (int32_t)i, "GC failed");
    }
    r->num_deleted = n;
    return 0;
}
