/*
 * mvcc_scan.c — SCAN, RSCAN and DEL_RANGE: the snapshot's live keys merged with the batch's
 * own writes (read-your-writes), in key order or reverse key order.
 *
 * Bounds, as CockroachDB's MaxSpanRequestKeys / TargetBytes: a scan returns at most `limit`
 * keys (0: header.max_keys, else PZ_SCAN_KEYS_MAX; never more than PZ_SCAN_KEYS_MAX, the
 * response array's bound), the keys of all scans and DEL_RANGEs of a batch together stay
 * within header.max_keys, and a scan stops before the response passes PZ_BATCH_RESP_BYTES_MAX
 * (the first key of a batch always goes, so a huge value still makes progress).
 *
 * A stopped scan sets has_resume and resume_key only when a key is actually left (it looks one
 * key ahead):
 *   SCAN       continue with [resume_key, end_key)   resume_key = the first key not returned
 *   RSCAN      continue with [key, resume_key)       resume_key = the last key returned, or
 *                                                    end_key when none was
 *   DEL_RANGE  continue with [resume_key, end_key)   the same rule as SCAN; keys_left applies
 * A request reached after the batch's max_keys is used up is not evaluated: it resumes over its
 * whole span.
 */
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

/* Per-key overhead charged to the response byte bound: timestamp and msgpack framing. */
#define S_KV_OVERHEAD_BYTES 24u

typedef struct s_merge {
    pz_mvcc_cur_t cur;
    const pz_overlay_t *ov;
    const pz_ovl_node_t *on; /* the overlay's next node in the span, or NULL */
    pz_view_t start, end;
    bool reverse;
    bool from_ovl; /* the peeked entry is the overlay's */
} s_merge_t;

/* One live key of the merged view; views live until s_merge_advance. */
typedef struct s_ent {
    pz_view_t key;
    pz_view_t value;
    pz_hlc_t ts;
} s_ent_t;

static const pz_ovl_node_t *s_clip(const s_merge_t *m, const pz_ovl_node_t *n)
{
    if (n == NULL) {
        return NULL;
    }
    bool in = pz_view_cmp(n->key, m->start) >= 0 && pz_view_cmp(n->key, m->end) < 0;
    return in ? n : NULL;
}

static int s_merge_open(s_merge_t *m, pz_mvcc_ctx_t *ctx, const pz_mvcc_rd_t *rd,
                        const pz_kv_req_t *q, bool reverse)
{
    memset(m, 0, sizeof *m);
    m->ov = &ctx->ov;
    m->start = q->key;
    m->end = q->end_key;
    m->reverse = reverse;
    m->on = reverse ? pz__ovl_seek_lt(m->ov, m->end) : pz__ovl_seek_ge(m->ov, m->start);
    m->on = s_clip(m, m->on);
    return pz__mvcc_cur_open(&m->cur, rd, m->start, m->end, reverse);
}

static void s_ovl_advance(s_merge_t *m)
{
    PZ_ST_ASSERT(m->on != NULL);
    m->on = s_clip(m, m->reverse ? pz__ovl_seek_lt(m->ov, m->on->key) : m->on->next[0]);
}

/* Settles on the next live key in the merged view without consuming it. The overlay shadows
 * the snapshot on equal keys; overlay tombstones hide keys. */
static int s_merge_peek(s_merge_t *m, pz_hlc_t ts, s_ent_t *e, bool *have)
{
    for (;;) {
        bool hs = !m->cur.done, ho = m->on != NULL;
        if (!hs && !ho) {
            *have = false;
            return 0;
        }
        /* c < 0: the snapshot's key comes first in the scan's direction. */
        int c = hs && ho ? pz_view_cmp(m->cur.key, m->on->key) : (hs ? -1 : 1);
        if (m->reverse && hs && ho) {
            c = -c;
        }
        if (c < 0) {
            *e = (s_ent_t){m->cur.key, m->cur.ver.value, m->cur.ver.ts};
            m->from_ovl = false;
            *have = true;
            return 0;
        }
        if (c == 0) {
            int rc = pz__mvcc_cur_next(&m->cur); /* shadowed by the batch's own write */
            if (rc != 0) {
                return rc;
            }
        }
        if (m->on->live) {
            *e = (s_ent_t){m->on->key, m->on->value, ts};
            m->from_ovl = true;
            *have = true;
            return 0;
        }
        s_ovl_advance(m);
    }
}

static int s_merge_advance(s_merge_t *m)
{
    if (m->from_ovl) {
        s_ovl_advance(m);
        return 0;
    }
    return pz__mvcc_cur_next(&m->cur);
}

/* The message of a failed scan: a conflict keeps its own. */
static const char *s_why(int rc, const char *other)
{
    bool conflict = rc == PZ_EWRITE_INTENT || rc == PZ_EUNCERTAIN || rc == PZ_EWRITE_TOO_OLD;
    return conflict ? pz_strerror(rc) : other;
}

/* Keys this request may return: its limit, the batch's max_keys and what is left of it. */
static uint64_t s_limit(const pz_mvcc_ctx_t *ctx, const pz_kv_req_t *q)
{
    uint64_t lim = q->limit ? q->limit : ctx->b->header.max_keys;
    if (lim == 0 || lim > PZ_SCAN_KEYS_MAX) {
        lim = PZ_SCAN_KEYS_MAX;
    }
    return lim < ctx->keys_left ? lim : ctx->keys_left;
}

/* Appends a copy of e to the response's kvs, growing the array by doubling in the arena. */
static int s_push_kv(pz_mvcc_ctx_t *ctx, pz_kv_resp_t *r, uint32_t *cap, const s_ent_t *e)
{
    if (r->kvs_len == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 16;
        pz_kv_kv_t *n = pz_arena_alloc(ctx->a, sizeof *n * ncap);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (r->kvs_len > 0) {
            memcpy(n, r->kvs, sizeof *n * r->kvs_len);
        }
        r->kvs = n;
        *cap = ncap;
    }
    pz_kv_kv_t *kv = &r->kvs[r->kvs_len];
    int rc = pz__mvcc_dup(ctx->a, e->key, &kv->key);
    rc = rc ? rc : pz__mvcc_dup(ctx->a, e->value, &kv->value);
    if (rc == 0) {
        kv->ts = e->ts;
        r->kvs_len++;
    }
    return rc;
}

/* Fills r with the span's live keys; returns with r's resume set when it stopped early. A
 * locking scan locks every key it returns that the batch does not write itself. */
static int s_scan_fill(pz_mvcc_ctx_t *ctx, s_merge_t *m, const pz_kv_req_t *q, uint64_t limit,
                       pz_kv_resp_t *r)
{
    bool lock = q->lock != PZ_LOCK_NONE;
    uint32_t cap = 0;
    for (;;) {
        s_ent_t e;
        bool have = false;
        int rc = s_merge_peek(m, ctx->ts, &e, &have);
        if (rc != 0 || !have) {
            return rc;
        }
        uint64_t sz = (uint64_t)e.key.len + e.value.len + S_KV_OVERHEAD_BYTES;
        bool full = ctx->bytes_used > 0 && ctx->bytes_used + sz > PZ_BATCH_RESP_BYTES_MAX;
        if (r->kvs_len == limit || full) {
            r->has_resume = true;
            if (!m->reverse) {
                return pz__mvcc_dup(ctx->a, e.key, &r->resume_key);
            }
            r->resume_key = r->kvs_len ? r->kvs[r->kvs_len - 1].key : q->end_key;
            return 0;
        }
        if ((rc = s_push_kv(ctx, r, &cap, &e)) != 0) {
            return rc;
        }
        if (lock && !m->from_ovl) {
            const pz_kv_kv_t *kv = &r->kvs[r->kvs_len - 1];
            rc = pz__mvcc_lock_key(ctx, kv->key, q->lock, m->cur.ver.own, (pz_hlc_t){0, 0});
            if (rc != 0) {
                return rc;
            }
        }
        ctx->bytes_used += sz;
        if ((rc = s_merge_advance(m)) != 0) {
            return rc;
        }
    }
}

int pz__mvcc_scan(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    bool reverse = q->op == PZ_KV_RSCAN;
    PZ_ST_ASSERT(q->op == PZ_KV_SCAN || reverse);
    r->ts = ctx->ts;
    uint64_t limit = s_limit(ctx, q);
    if (limit == 0) {
        r->has_resume = true;
        r->resume_key = reverse ? q->end_key : q->key;
        return 0;
    }
    pz_mvcc_rd_t rd = ctx->rd;
    if (q->lock != PZ_LOCK_NONE) {
        pz__mvcc_locking_rd(&rd, q->lock);
    }
    s_merge_t m;
    int rc = s_merge_open(&m, ctx, &rd, q, reverse);
    if (rc == 0) {
        rc = s_scan_fill(ctx, &m, q, limit, r);
        if (rc == 0 && !pz_hlc_is_zero(m.cur.newer)) {
            /* A key the locking scan passed changed after the snapshot: the rows it returned
             * may be stale, and locking them would hide that (kv.h req.lock). */
            ctx->conflict.ts = m.cur.newer;
            rc = PZ_EWRITE_TOO_OLD;
        } else if (rd.strict) {
            /* A version at read_ts itself (the pass timestamp) moves write_ts above it. */
            pz__mvcc_note_wto(&ctx->wto, ctx->ts, m.cur.wto);
        }
        pz__mvcc_cur_close(&m.cur);
    }
    PZ_ST_ASSERT(rc != 0 || r->kvs_len <= limit);
    ctx->keys_left -= r->kvs_len;
    return rc ? pz__mvcc_set_error(ctx, rc, (int32_t)i, s_why(rc, "scan failed")) : 0;
}

/* Keys a DEL_RANGE found, in the arena; grown by doubling (most spans hold few keys, so the
 * array is not sized by the limit up front). */
typedef struct s_keys {
    pz_view_t *v;
    uint64_t len, cap;
} s_keys_t;

static int s_keys_push(pz_arena_t *a, s_keys_t *ks, pz_view_t key)
{
    if (ks->len == ks->cap) {
        uint64_t ncap = ks->cap ? ks->cap * 2 : 16;
        pz_view_t *n = pz_arena_alloc(a, sizeof *n * ncap);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (ks->len > 0) {
            memcpy(n, ks->v, sizeof *n * ks->len);
        }
        ks->v = n;
        ks->cap = ncap;
    }
    int rc = pz__mvcc_dup(a, key, &ks->v[ks->len]);
    ks->len += rc == 0;
    return rc;
}

/* Collects up to limit live keys of the span (copies) into ks; sets r's resume. */
static int s_collect(pz_mvcc_ctx_t *ctx, s_merge_t *m, uint64_t limit, pz_kv_resp_t *r,
                     s_keys_t *ks)
{
    for (;;) {
        s_ent_t e;
        bool have = false;
        int rc = s_merge_peek(m, ctx->ts, &e, &have);
        if (rc != 0 || !have) {
            return rc;
        }
        if (ks->len == limit) {
            r->has_resume = true;
            return pz__mvcc_dup(ctx->a, e.key, &r->resume_key);
        }
        if ((rc = s_keys_push(ctx->a, ks, e.key)) != 0) {
            return rc;
        }
        if ((rc = s_merge_advance(m)) != 0) {
            return rc;
        }
    }
}

int pz__mvcc_del_range(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    PZ_ST_ASSERT(q->op == PZ_KV_DEL_RANGE);
    r->ts = ctx->ts;
    uint64_t limit = s_limit(ctx, q);
    if (limit == 0) {
        r->has_resume = true;
        r->resume_key = q->key;
        return 0;
    }
    /* A write: every intent of another transaction in the span conflicts, and the keys are
     * read at the snapshot without an uncertainty window. */
    pz_mvcc_rd_t rd = ctx->rd;
    rd.strict = true;
    rd.limit = rd.read_ts;
    s_keys_t ks = {0};
    s_merge_t m;
    int rc = s_merge_open(&m, ctx, &rd, q, false);
    if (rc == 0) {
        rc = s_collect(ctx, &m, limit, r, &ks);
        pz__mvcc_note_wto(&ctx->wto, ctx->ts, m.cur.wto);
        pz__mvcc_cur_close(&m.cur);
    }
    /* Tombstones go in after the walk: the walk reads the overlay it would otherwise change. */
    for (uint64_t k = 0; rc == 0 && k < ks.len; k++) {
        rc = pz__ovl_put(&ctx->ov, ks.v[k], false, (pz_view_t){NULL, 0});
    }
    PZ_ST_ASSERT(rc != 0 || ks.len <= limit);
    r->num_deleted = ks.len;
    ctx->keys_left -= ks.len;
    return rc ? pz__mvcc_set_error(ctx, rc, (int32_t)i, s_why(rc, "delete range failed")) : 0;
}
