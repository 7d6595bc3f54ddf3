/*
 * mvcc_resolve.c — RESOLVE and REFRESH over a key or a span (kv.h), and the key walk they and
 * GC share.
 *
 * RESOLVE turns a finished transaction's intents into what its record says: COMMITTED (this
 * epoch) writes the newest history entry not rolled back as a version at the commit timestamp
 * and deletes the meta record; ABORTED, or COMMITTED with an older epoch, only deletes it;
 * PENDING moves the intent up to the pushed write_ts (so a reader that pushed it may read below)
 * and drops the history entries whose seq pushee.ignored names (ROLLBACK TO SAVEPOINT releases
 * what it undid; an intent left with no entry goes). The transaction's shared locks
 * (mvcc_intent.h) go with COMMITTED and ABORTED, and with PENDING when their seq is ignored.
 * Intents and shared locks of other transactions are left alone.
 *
 * REFRESH proves a transaction's reads still hold at a higher timestamp: nothing committed in
 * (from_ts, write_ts] and no other transaction's intent at or below write_ts in the span.
 *
 * The walk visits each key of a span once: it stands on the key's first entry (the meta record
 * when there is one) and then seeks past the key, so a key with many versions costs one seek.
 */
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

/* Intents one RESOLVE request resolves; past it the response resumes (resume_key). */
#define S_RESOLVE_MAX 10000u

int pz__mvcc_walk_open(pz_mvcc_walk_t *w, pz_eng_iter_t *it, pz_view_t start, pz_view_t end)
{
    PZ_ST_ASSERT(w != NULL && it != NULL && start.len > 0 && pz_view_cmp(start, end) < 0);
    memset(w, 0, sizeof *w);
    w->it = it;
    int rc = pz__mvcc_buf_reserve(&w->bound, pz__mvcc_key_cap(end.len));
    rc = rc ? rc : pz__mvcc_buf_reserve(&w->pfx, pz__mvcc_key_cap(start.len) + 2);
    if (rc != 0) {
        return rc;
    }
    w->bound_len = pz__mvcc_key_prefix(w->bound.p, w->bound.cap, end);
    w->pfx_len = pz__mvcc_key_prefix(w->pfx.p, w->pfx.cap, start);
    rc = pz_engine_iter_seek_ge(it, w->pfx.p, w->pfx_len);
    return rc ? rc : pz__mvcc_walk_settle(w);
}

int pz__mvcc_walk_settle(pz_mvcc_walk_t *w)
{
    w->done = true;
    if (!pz_engine_iter_valid(w->it)) {
        return 0;
    }
    const uint8_t *k = NULL;
    size_t len = 0;
    pz_engine_iter_key(w->it, &k, &len);
    pz_mvcc_key_t mk;
    int rc = pz__mvcc_key_split(k, len, &mk);
    if (rc != 0 || pz_view_cmp(mk.prefix, (pz_view_t){w->bound.p, (uint32_t)w->bound_len}) >= 0) {
        return rc;
    }
    rc = pz__mvcc_buf_reserve(&w->pfx, mk.prefix.len + PZ_MVCC_TS_BYTES + 2);
    if (rc != 0) {
        return rc;
    }
    memmove(w->pfx.p, mk.prefix.ptr, mk.prefix.len);
    w->pfx_len = mk.prefix.len;
    w->has_meta = !mk.has_ts;
    w->done = false;
    return 0;
}

int pz__mvcc_walk_next(pz_mvcc_walk_t *w)
{
    PZ_ST_ASSERT(w != NULL && !w->done);
    size_t n = pz__mvcc_key_prefix_after(w->pfx.p, w->pfx.cap, w->pfx.p, w->pfx_len);
    int rc = pz_engine_iter_seek_ge(w->it, w->pfx.p, n);
    return rc ? rc : pz__mvcc_walk_settle(w);
}

void pz__mvcc_walk_close(pz_mvcc_walk_t *w)
{
    pz__mvcc_buf_free(&w->bound);
    pz__mvcc_buf_free(&w->pfx);
}

int pz__mvcc_walk_user_key(pz_arena_t *a, const pz_mvcc_walk_t *w, pz_view_t *out)
{
    uint8_t *k = pz_arena_alloc(a, w->pfx_len);
    size_t len = 0;
    if (k == NULL) {
        return PZ_ENOMEM;
    }
    int rc = pz__mvcc_key_user((pz_view_t){w->pfx.p, (uint32_t)w->pfx_len}, k, w->pfx_len, &len);
    *out = (pz_view_t){k, (uint32_t)len};
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* RESOLVE                                                                                   */

/* The version a committed intent becomes: prefix + ts -> tag + value. */
static int s_commit_version(pz_mvcc_ctx_t *ctx, pz_view_t prefix, pz_hlc_t ts,
                            const pz_mvcc_hist_t *h)
{
    size_t cap = prefix.len + PZ_MVCC_TS_BYTES;
    uint8_t *k = pz_arena_alloc(ctx->a, cap);
    uint8_t *v = pz_arena_alloc(ctx->a, 1 + (size_t)h->value.len);
    if (k == NULL || v == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(k, prefix.ptr, prefix.len);
    size_t klen = pz__mvcc_key_put_ts(k, cap, prefix.len, ts);
    v[0] = h->tag;
    if (h->value.len > 0) {
        memcpy(v + 1, h->value.ptr, h->value.len);
    }
    return pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_PUT, (pz_view_t){k, (uint32_t)klen},
                            (pz_view_t){v, 1 + h->value.len});
}

/* The history of in (txn's intent) as status leaves it; *changed when it changes. COMMITTED
 * in the epoch writes the version. PENDING drops the entries txn->ignored names (a savepoint
 * rollback: its locks go) and moves the intent up to txn->write_ts. */
static int s_resolve_hist(pz_mvcc_ctx_t *ctx, const pz_kv_txn_t *txn, uint8_t status,
                          pz_view_t prefix, pz_mvcc_intent_t *in, bool *changed)
{
    PZ_ST_ASSERT(in->hist_len > 0 && pz_view_eq(in->txn.id, txn->id));
    if (status == PZ_TXN_PENDING) {
        uint32_t m = 0;
        for (uint32_t k = 0; k < in->hist_len; k++) {
            bool drop = in->txn.epoch == txn->epoch && pz__mvcc_seq_ignored(txn, in->hist[k].seq);
            if (!drop) {
                in->hist[m++] = in->hist[k];
            }
        }
        *changed = m != in->hist_len;
        in->hist_len = m;
        if (m > 0 && pz_hlc_cmp(txn->write_ts, in->txn.write_ts) > 0) {
            in->txn.write_ts = txn->write_ts;
            *changed = true;
        }
        return 0;
    }
    if (status == PZ_TXN_COMMITTED && in->txn.epoch > txn->epoch) {
        return 0; /* not the epoch that committed: cannot be, leave it to be seen */
    }
    if (status == PZ_TXN_COMMITTED && in->txn.epoch == txn->epoch) {
        const pz_mvcc_hist_t *h = pz__mvcc_intent_visible(in, txn);
        int rc = h != NULL ? s_commit_version(ctx, prefix, txn->write_ts, h) : 0;
        if (rc != 0) {
            return rc;
        }
    }
    in->hist_len = 0;
    *changed = true;
    return 0;
}

/* Drops txn's shared locks from in as status says: all when it is finished; when PENDING,
 * those of older epochs and those taken at an ignored seq. *changed when one went. */
static void s_resolve_shared(const pz_kv_txn_t *txn, uint8_t status, pz_mvcc_intent_t *in,
                             bool *changed)
{
    uint32_t m = 0;
    for (uint32_t k = 0; k < in->shared_len; k++) {
        const pz_mvcc_holder_t *h = &in->shared[k];
        bool drop = pz_view_eq(h->txn.id, txn->id) &&
                    (status != PZ_TXN_PENDING || h->txn.epoch < txn->epoch ||
                     (h->txn.epoch == txn->epoch && pz__mvcc_seq_ignored(txn, h->seq)));
        if (!drop) {
            in->shared[m++] = *h;
        }
    }
    *changed = *changed || m != in->shared_len;
    in->shared_len = m;
}

/* Resolves txn's intent and shared lock under prefix (an arena copy); *done says whether
 * anything changed. A record left with neither goes; one left with shared locks only loses
 * its transaction meta (mvcc_intent.h). */
static int s_resolve_one(pz_mvcc_ctx_t *ctx, const pz_kv_txn_t *txn, uint8_t status,
                         pz_view_t prefix, bool *done)
{
    pz_mvcc_intent_t in;
    bool found = false;
    *done = false;
    /* Spans of one batch may overlap (END_TXN's lock spans, several RESOLVEs): each intent is
     * resolved once, the overlay (unused by these ops otherwise) remembers which. */
    if (pz__ovl_get(&ctx->ov, prefix) != NULL) {
        return 0;
    }
    int rc = pz__ovl_put(&ctx->ov, prefix, false, (pz_view_t){NULL, 0});
    rc = rc ? rc : pz__mvcc_intent_load(ctx->snap, prefix, ctx->a, &in, &found);
    if (rc != 0 || !found) {
        return rc;
    }
    bool changed = false;
    if (in.hist_len > 0 && pz_view_eq(in.txn.id, txn->id)) {
        rc = s_resolve_hist(ctx, txn, status, prefix, &in, &changed);
    }
    s_resolve_shared(txn, status, &in, &changed);
    if (rc != 0 || !changed) {
        return rc;
    }
    *done = true;
    if (in.hist_len == 0 && in.shared_len == 0) {
        return pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_DEL, prefix, (pz_view_t){NULL, 0});
    }
    if (in.hist_len == 0) {
        memset(&in.txn, 0, sizeof in.txn);
    }
    pz_view_t packed;
    rc = pz__mvcc_pack_intent(ctx->a, &in, &packed);
    return rc ? rc : pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_PUT, prefix, packed);
}

static int s_resolve_walk(pz_mvcc_ctx_t *ctx, const pz_kv_txn_t *txn, uint8_t status,
                          pz_mvcc_walk_t *w, uint64_t *budget, pz_view_t *resume, uint64_t *n)
{
    int rc = 0;
    for (; rc == 0 && !w->done; rc = pz__mvcc_walk_next(w)) {
        if (!w->has_meta) {
            continue;
        }
        if (*budget == 0) {
            return pz__mvcc_walk_user_key(ctx->a, w, resume);
        }
        pz_view_t prefix = pz_arena_dup(ctx->a, w->pfx.p, w->pfx_len);
        bool done = false;
        rc = prefix.ptr != NULL ? s_resolve_one(ctx, txn, status, prefix, &done) : PZ_ENOMEM;
        *budget -= done;
        *n += done;
    }
    return rc;
}

int pz__mvcc_resolve_span(pz_mvcc_ctx_t *ctx, const pz_kv_txn_t *txn, uint8_t status,
                          pz_view_t start, pz_view_t end, uint64_t *budget, pz_view_t *resume,
                          uint64_t *n)
{
    PZ_ST_ASSERT(ctx != NULL && txn != NULL && budget != NULL && resume != NULL && n != NULL);
    *resume = (pz_view_t){NULL, 0};
    if (end.len == 0) {
        if (*budget == 0) {
            *resume = start;
            return 0;
        }
        size_t len = 0;
        int rc = pz__mvcc_prefix(ctx, start, &len);
        pz_view_t prefix = rc == 0 ? pz_arena_dup(ctx->a, ctx->kb.p, len) : (pz_view_t){NULL, 0};
        bool done = false;
        rc = rc ? rc : (prefix.ptr ? s_resolve_one(ctx, txn, status, prefix, &done) : PZ_ENOMEM);
        *budget -= done;
        *n += done;
        return rc;
    }
    pz_mvcc_walk_t w;
    int rc = pz__mvcc_walk_open(&w, &ctx->it, start, end);
    rc = rc ? rc : s_resolve_walk(ctx, txn, status, &w, budget, resume, n);
    pz__mvcc_walk_close(&w);
    return rc;
}

int pz__mvcc_resolve(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    PZ_ST_ASSERT(q->has_ext && q->ext.has_pushee);
    uint64_t budget = q->limit && q->limit < S_RESOLVE_MAX ? q->limit : S_RESOLVE_MAX;
    pz_view_t resume = {NULL, 0};
    uint64_t n = 0;
    int rc = pz__mvcc_resolve_span(ctx, &q->ext.pushee, q->ext.status, q->key, q->end_key, &budget,
                                   &resume, &n);
    if (rc != 0) {
        return pz__mvcc_set_error(ctx, rc, (int32_t)i, "resolving intents failed");
    }
    r->num_deleted = n;
    r->has_resume = resume.len > 0;
    r->resume_key = resume;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* REFRESH                                                                                   */

/* The walk's key against the refresh: another transaction's intent at or below write_ts
 * (locks hold no value and cannot change what was read), or a version in (from, write_ts]. */
static int s_refresh_key(pz_mvcc_ctx_t *ctx, pz_mvcc_walk_t *w, pz_hlc_t from, bool *stale)
{
    const pz_kv_txn_t *t = ctx->txn;
    pz_view_t prefix = {w->pfx.p, (uint32_t)w->pfx_len};
    if (w->has_meta) {
        pz_mvcc_rd_t rd = {.txn = t,
                           .read_ts = t->write_ts,
                           .limit = t->write_ts,
                           .snap = ctx->snap,
                           .a = ctx->a,
                           .conflict = &ctx->conflict};
        pz_mvcc_ver_t ver = {.has_meta = true};
        bool shadow = false;
        int rc = pz__mvcc_see_meta(&rd, prefix, &ver, &shadow);
        if (rc == PZ_EWRITE_INTENT) {
            ctx->conflict.ts = ctx->conflict.txn.write_ts;
            *stale = true;
            return 0;
        }
        if (rc != 0) {
            return rc;
        }
    }
    size_t n = pz__mvcc_key_put_ts(w->pfx.p, w->pfx.cap, w->pfx_len, t->write_ts);
    int rc = pz_engine_iter_seek_ge(w->it, w->pfx.p, n);
    pz_mvcc_key_t mk;
    if (rc != 0 || !pz_engine_iter_valid(w->it)) {
        return rc;
    }
    const uint8_t *k = NULL;
    size_t len = 0;
    pz_engine_iter_key(w->it, &k, &len);
    if ((rc = pz__mvcc_key_split(k, len, &mk)) != 0) {
        return rc;
    }
    if (pz_view_eq(mk.prefix, prefix) && mk.has_ts && pz_hlc_cmp(mk.ts, from) > 0) {
        ctx->conflict.ts = mk.ts;
        *stale = true;
    }
    return 0;
}

int pz__mvcc_refresh(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    PZ_ST_ASSERT(ctx->txn != NULL && q->has_ext);
    pz_view_t end = q->end_key;
    if (end.len == 0) {
        /* One key: the span [key, key + "\x00"). */
        uint8_t *after = pz_arena_alloc(ctx->a, (size_t)q->key.len + 1);
        if (after == NULL) {
            return pz__mvcc_set_error(ctx, PZ_ENOMEM, (int32_t)i, "out of memory");
        }
        memcpy(after, q->key.ptr, q->key.len);
        end = (pz_view_t){after, q->key.len + 1};
    }
    pz_mvcc_walk_t w;
    bool stale = false;
    int rc = pz__mvcc_walk_open(&w, &ctx->it, q->key, end);
    for (; rc == 0 && !w.done && !stale; rc = stale ? 0 : pz__mvcc_walk_next(&w)) {
        rc = s_refresh_key(ctx, &w, q->ext.from_ts, &stale);
    }
    pz__mvcc_walk_close(&w);
    if (rc != 0) {
        return pz__mvcc_set_error(ctx, rc, (int32_t)i, "refresh failed");
    }
    if (stale) {
        pz__mvcc_set_error(ctx, PZ_ETXN_RETRY, (int32_t)i,
                           "restart transaction: refresh failed, a newer write in the span");
        if (ctx->conflict.key.len > 0) {
            ctx->resp->error.has_intent = true; /* which intent, for the curious */
            ctx->resp->error.intent.key = ctx->conflict.key;
            ctx->resp->error.intent.txn = ctx->conflict.txn;
        }
        return PZ_ETXN_RETRY;
    }
    r->ts = ctx->txn->write_ts;
    return 0;
}
