/* dist_plan.c — see dist_plan.h: cutting a batch at range boundaries, choosing what to send
 * next, and merging the parts' answers. */
#include "dist_plan.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Per-key overhead charged against PZ_BATCH_RESP_BYTES_MAX when concatenating scan pieces: the
 * same charge storage makes (timestamp and msgpack framing). */
#define S_KV_OVERHEAD_BYTES 24u

static bool s_is_scan(uint8_t op)
{
    return op == PZ_KV_SCAN || op == PZ_KV_RSCAN;
}

/* True when the request is cut at range boundaries: a span with a non-empty [key, end). */
static bool s_cuts(const pz_kv_req_t *q)
{
    return pz_kv_req_is_span(q) && pz_view_cmp(q->key, q->end_key) < 0;
}

/* A scan with its own limit: visits its ranges one after another. */
static bool s_limited(const pz__plan_t *p, uint32_t req)
{
    const pz_kv_req_t *q = &p->b->reqs[req];
    return s_is_scan(q->op) && q->limit > 0;
}

/* The plan's arena, made on first use (a batch routed whole to one range never needs one). */
static pz_arena_t *s_arena(pz__plan_t *p)
{
    if (p->arena == NULL) {
        p->arena = pz_arena_new();
    }
    return p->arena;
}

/* A copy in the plan's arena; an empty view when there is no memory for it. */
static pz_view_t s_dup(pz__plan_t *p, const void *ptr, size_t len)
{
    pz_arena_t *a = s_arena(p);
    return a != NULL ? pz_arena_dup(a, ptr, len) : (pz_view_t){0};
}

int pz__plan_init(pz__plan_t *p, const pz_kv_batch_t *b)
{
    assert(p != NULL && b != NULL);
    assert(b->reqs_len > 0 && b->reqs_len <= PZ_BATCH_REQS_MAX);
    *p = (pz__plan_t){.b = b, .len = b->reqs_len, .budget = b->header.max_keys};
    if (b->reqs_len <= PZ__PLAN_INLINE) {
        p->pieces = p->own_pieces;
        p->first = p->own_first;
        p->count = p->own_count;
        p->left = p->own_left;
    } else {
        p->pieces = calloc(b->reqs_len, sizeof *p->pieces);
        p->first = calloc(b->reqs_len, sizeof *p->first);
        p->count = calloc(b->reqs_len, sizeof *p->count);
        p->left = calloc(b->reqs_len, sizeof *p->left);
        if (!p->pieces || !p->first || !p->count || !p->left) {
            pz__plan_free(p);
            return PZ_ENOMEM;
        }
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        p->pieces[i] = (pz__piece_t){.req = i, .key = q->key};
        if (pz_kv_req_is_span(q)) {
            p->pieces[i].end_key = q->end_key;
        }
        p->first[i] = i;
        p->count[i] = 1;
        p->left[i] = q->limit;
    }
    return 0;
}

void pz__plan_free(pz__plan_t *p)
{
    assert(p != NULL);
    pz_arena_destroy(&p->arena);
    if (p->pieces != p->own_pieces) {
        free(p->pieces);
    }
    if (p->first != p->own_first) { /* the three per-request arrays live in the same place */
        free(p->first);
        free(p->count);
        free(p->left);
    }
    p->pieces = NULL;
    p->first = p->count = p->left = NULL;
    p->len = 0;
}

/* A growing array of pieces that starts in a caller's buffer of PZ__PLAN_INLINE. */
typedef struct {
    pz__piece_t *arr;
    uint32_t len, cap;
    pz__piece_t *local; /* the caller's buffer: arr until it outgrows it */
} s_pieces_t;

static int s_emit(s_pieces_t *a, const pz__piece_t *pc)
{
    if (a->len == a->cap) {
        uint32_t ncap = a->cap * 2;
        pz__piece_t *n =
            a->arr == a->local ? malloc(ncap * sizeof *n) : realloc(a->arr, ncap * sizeof *n);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (a->arr == a->local) {
            memcpy(n, a->local, a->len * sizeof *n);
        }
        a->arr = n;
        a->cap = ncap;
    }
    a->arr[a->len++] = *pc;
    return 0;
}

/* Cuts one unresolved piece over the cached ranges, appending the results. */
static int s_cut(pz__plan_t *p, const pz__range_cache_t *c, const pz__piece_t *pc, s_pieces_t *out,
                 pz_view_t *miss)
{
    const pz_kv_req_t *q = &p->b->reqs[pc->req];
    pz_view_t k = pc->key;
    for (;;) {
        const pz__range_t *r = pz__range_cache_find(c, k);
        if (r == NULL) {
            *miss = k;
            return PZ_ENOTFOUND;
        }
        pz__piece_t np = *pc;
        np.key = k;
        np.range_id = r->range_id;
        if (!s_cuts(q) || pz_view_cmp(pc->end_key, r->end) <= 0) {
            return s_emit(out, &np);
        }
        np.end_key = s_dup(p, r->end.ptr, r->end.len);
        if (np.end_key.ptr == NULL && r->end.len > 0) {
            return PZ_ENOMEM;
        }
        int rc = s_emit(out, &np);
        if (rc != 0) {
            return rc;
        }
        p->multi = true;
        k = np.end_key;
    }
}

/* Recomputes where each request's pieces are, and whether the plan needs several ranges. */
static void s_index(pz__plan_t *p)
{
    memset(p->count, 0, p->b->reqs_len * sizeof *p->count);
    for (uint32_t i = 0; i < p->len; i++) {
        const pz__piece_t *pc = &p->pieces[i];
        if (p->count[pc->req]++ == 0) {
            p->first[pc->req] = i;
        }
        if (pc->range_id != p->pieces[0].range_id) {
            p->multi = true;
        }
    }
    if (p->multi && p->b->header.max_keys > 0) {
        p->seq_all = true;
    }
}

int pz__plan_resolve(pz__plan_t *p, const pz__range_cache_t *c, pz_view_t *miss)
{
    assert(p != NULL && c != NULL && miss != NULL);
    if (p->sent > 0) {
        return 0; /* see dist_plan.h: indices of parts in flight must stay valid */
    }
    pz__piece_t local[PZ__PLAN_INLINE];
    s_pieces_t a = {.arr = local, .cap = PZ__PLAN_INLINE, .local = local};
    int rc = 0;
    for (uint32_t i = 0; i < p->len && rc == 0; i++) {
        const pz__piece_t *pc = &p->pieces[i];
        if (pc->state != PZ__PIECE_TODO || pc->range_id != 0) {
            rc = s_emit(&a, pc);
        } else {
            rc = s_cut(p, c, pc, &a, miss);
        }
    }
    if (rc != 0) {
        if (a.arr != local) {
            free(a.arr);
        }
        return rc;
    }
    if (p->pieces != p->own_pieces) {
        free(p->pieces);
    }
    if (a.arr == local) { /* the pieces fit the plan (the old ones were read from it already) */
        memcpy(p->own_pieces, local, a.len * sizeof *local);
        a.arr = p->own_pieces;
    }
    p->pieces = a.arr;
    p->len = a.len;
    s_index(p);
    return 0;
}

int pz__plan_check_span(const pz__plan_t *p)
{
    assert(p != NULL && p->len > 0);
    if (p->b->header.has_txn || !p->multi) {
        return 0;
    }
    /* Reads and writes together count too: a write can move the batch above its timestamp in
     * its range (write too old) while the other ranges read at the first one. */
    for (uint32_t i = 0; i < p->b->reqs_len; i++) {
        if (pz_kv_op_is_write(p->b->reqs[i].op)) {
            return PZ_ERANGE_SPAN;
        }
    }
    return 0;
}

/* True when piece j is its request's next in scan order and no piece of it is in flight. */
static bool s_next_of_req(const pz__plan_t *p, uint32_t j)
{
    uint32_t req = p->pieces[j].req;
    bool rev = p->b->reqs[req].op == PZ_KV_RSCAN;
    for (uint32_t k = p->first[req]; k < p->first[req] + p->count[req]; k++) {
        uint8_t st = p->pieces[k].state;
        if (k != j && (st == PZ__PIECE_SENT || (st == PZ__PIECE_TODO && (rev ? k > j : k < j)))) {
            return false;
        }
    }
    return true;
}

static bool s_sendable(const pz__plan_t *p, uint32_t j)
{
    const pz__piece_t *pc = &p->pieces[j];
    if (pc->state != PZ__PIECE_TODO || pc->range_id == 0) {
        return false;
    }
    if (s_limited(p, pc->req) && p->count[pc->req] > 1) {
        return s_next_of_req(p, j);
    }
    return true;
}

/* seq_all: the first piece still to send, in request order and scan order; UINT32_MAX if none. */
static uint32_t s_global_next(const pz__plan_t *p)
{
    for (uint32_t req = 0; req < p->b->reqs_len; req++) {
        bool rev = p->b->reqs[req].op == PZ_KV_RSCAN;
        uint32_t n = p->count[req];
        for (uint32_t t = 0; t < n; t++) {
            uint32_t k = rev ? p->first[req] + n - 1 - t : p->first[req] + t;
            if (p->pieces[k].state == PZ__PIECE_TODO) {
                return p->pieces[k].range_id ? k : UINT32_MAX;
            }
        }
    }
    return UINT32_MAX;
}

uint32_t pz__plan_next(pz__plan_t *p, uint32_t *idx, uint32_t cap, uint64_t *range_id)
{
    assert(p != NULL && idx != NULL && cap > 0 && range_id != NULL);
    if (p->has_error) {
        return 0;
    }
    uint32_t j = UINT32_MAX;
    if (p->seq_all) {
        j = p->sent == 0 ? s_global_next(p) : UINT32_MAX;
    } else {
        for (uint32_t i = 0; i < p->len && j == UINT32_MAX; i++) {
            j = s_sendable(p, i) ? i : UINT32_MAX;
        }
    }
    if (j == UINT32_MAX) {
        return 0;
    }
    uint64_t r = p->pieces[j].range_id;
    uint32_t n = 0;
    for (uint32_t k = j; k < p->len && n < cap; k++) {
        if ((k == j || (!p->seq_all && p->pieces[k].range_id == r && s_sendable(p, k)))) {
            p->pieces[k].state = PZ__PIECE_SENT;
            idx[n++] = k;
        }
    }
    p->sent += n;
    *range_id = r;
    return n;
}

void pz__plan_part(const pz__plan_t *p, const uint32_t *idx, uint32_t n, uint64_t range_id,
                   pz_kv_batch_t *out, pz_kv_req_t *reqs)
{
    assert(p != NULL && idx != NULL && n > 0 && out != NULL && reqs != NULL);
    *out = (pz_kv_batch_t){.header = p->b->header, .reqs = reqs, .reqs_len = n};
    out->header.range_id = range_id;
    if (p->seq_all && p->budget > 0) {
        out->header.max_keys = (uint32_t)p->budget;
    }
    for (uint32_t k = 0; k < n; k++) {
        const pz__piece_t *pc = &p->pieces[idx[k]];
        assert(pc->range_id == range_id);
        reqs[k] = p->b->reqs[pc->req];
        reqs[k].key = pc->key;
        if (pz_kv_req_is_span(&reqs[k])) {
            reqs[k].end_key = pc->end_key;
        }
        if (s_limited(p, pc->req)) {
            assert(p->left[pc->req] > 0);
            reqs[k].limit = p->left[pc->req];
        }
    }
}

/* Marks every piece still to send of request req (or of every scan and DEL_RANGE when req is
 * UINT32_MAX) as skipped. */
static void s_skip(pz__plan_t *p, uint32_t req)
{
    for (uint32_t k = 0; k < p->len; k++) {
        pz__piece_t *pc = &p->pieces[k];
        uint8_t op = p->b->reqs[pc->req].op;
        bool hit = req == UINT32_MAX ? (s_is_scan(op) || op == PZ_KV_DEL_RANGE) : pc->req == req;
        if (hit && pc->state == PZ__PIECE_TODO) {
            pc->state = PZ__PIECE_SKIP;
        }
    }
}

static uint32_t s_min_req(const pz__plan_t *p, const uint32_t *idx, uint32_t n)
{
    uint32_t m = UINT32_MAX;
    for (uint32_t k = 0; k < n; k++) {
        m = p->pieces[idx[k]].req < m ? p->pieces[idx[k]].req : m;
    }
    return m;
}

/* Keeps e as the batch's error if it belongs to a lower request than the one kept so far. */
static void s_set_error(pz__plan_t *p, uint32_t rank, const pz_kv_error_t *e, bool envelope)
{
    if (p->has_error && rank >= p->error_rank) {
        return;
    }
    p->has_error = true;
    p->error_rank = rank;
    p->error = *e;
    p->error_envelope = envelope;
}

static void s_fail_pieces(pz__plan_t *p, const uint32_t *idx, uint32_t n, const pz_kv_error_t *e,
                          int32_t index, bool envelope)
{
    uint32_t rank =
        index >= 0 && (uint32_t)index < n ? p->pieces[idx[index]].req : s_min_req(p, idx, n);
    pz_kv_error_t m = *e;
    m.index = index >= 0 && (uint32_t)index < n ? (int32_t)rank : -1;
    for (uint32_t k = 0; k < n; k++) {
        p->pieces[idx[k]].state = PZ__PIECE_DONE;
    }
    s_set_error(p, rank, &m, envelope);
}

void pz__plan_on_error(pz__plan_t *p, const uint32_t *idx, uint32_t n, int code, const char *text)
{
    assert(p != NULL && idx != NULL && n > 0 && p->sent >= n && code != 0);
    p->sent -= n;
    pz_kv_error_t e = {.code = code, .index = -1};
    if (text != NULL) {
        e.message = s_dup(p, text, strlen(text));
    }
    s_fail_pieces(p, idx, n, &e, -1, true);
}

void pz__plan_fail(pz__plan_t *p, int code, const char *text, bool envelope)
{
    assert(p != NULL && code != 0);
    pz_kv_error_t e = {.code = code, .index = -1};
    if (text != NULL) {
        e.message = s_dup(p, text, strlen(text));
    }
    s_set_error(p, 0, &e, envelope);
}

/* Records one piece's answer and what it used of its request's limit and the batch budget. */
static void s_take(pz__plan_t *p, uint32_t j, const pz_kv_resp_t *r)
{
    pz__piece_t *pc = &p->pieces[j];
    pc->resp = *r;
    pc->state = PZ__PIECE_DONE;
    uint8_t op = p->b->reqs[pc->req].op;
    bool stop = r->has_resume;
    if (s_limited(p, pc->req)) {
        uint32_t used = r->kvs_len < p->left[pc->req] ? r->kvs_len : p->left[pc->req];
        p->left[pc->req] -= used;
        stop = stop || p->left[pc->req] == 0;
    }
    if (p->seq_all && (s_is_scan(op) || op == PZ_KV_DEL_RANGE)) {
        uint64_t used = s_is_scan(op) ? r->kvs_len : r->num_deleted;
        p->budget -= used < p->budget ? used : p->budget;
        if (p->budget == 0) {
            s_skip(p, UINT32_MAX);
        }
    }
    if (stop) {
        s_skip(p, pc->req);
    }
}

static void s_note_ts(pz__plan_t *p, const pz_kv_batch_resp_t *r)
{
    if (pz_hlc_cmp(r->ts, p->ts) > 0) {
        p->ts = r->ts;
    }
    if (r->has_txn && (!p->has_txn || pz_hlc_cmp(r->txn.write_ts, p->txn.write_ts) > 0)) {
        p->has_txn = true;
        p->txn = r->txn;
    }
}

int pz__plan_on_reply(pz__plan_t *p, const uint32_t *idx, uint32_t n, const pz_kv_batch_resp_t *r)
{
    assert(p != NULL && idx != NULL && r != NULL);
    assert(n > 0 && p->sent >= n);
    p->sent -= n;
    s_note_ts(p, r);
    if (r->error.code == PZ_ERANGE_MISMATCH) {
        for (uint32_t k = 0; k < n; k++) {
            pz__piece_t *pc = &p->pieces[idx[k]];
            pc->state = PZ__PIECE_TODO;
            pc->range_id = 0;
            if (++pc->attempts > PZ__PIECE_ATTEMPTS_MAX) {
                pz_kv_error_t e = {.code = PZ_EUNAVAILABLE,
                                   .message = pz_view_str("cannot find the range of a key")};
                s_fail_pieces(p, idx, n, &e, -1, false);
                return 0;
            }
        }
        return p->has_error ? 0 : PZ_ERANGE_MISMATCH;
    }
    if (r->error.code != 0) {
        s_fail_pieces(p, idx, n, &r->error, r->error.index, false);
        return 0;
    }
    if (r->resps_len != n) {
        pz_kv_error_t e = {.code = PZ_EPROTO, .message = pz_view_str("part answer has no result")};
        s_fail_pieces(p, idx, n, &e, -1, false);
        return 0;
    }
    for (uint32_t k = 0; k < n; k++) {
        s_take(p, idx[k], &r->resps[k]);
    }
    return 0;
}

bool pz__plan_done(const pz__plan_t *p)
{
    assert(p != NULL);
    if (p->sent > 0) {
        return false;
    }
    for (uint32_t k = 0; !p->has_error && k < p->len; k++) {
        if (p->pieces[k].state == PZ__PIECE_TODO) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Merging                                                                                   */

/* Appends a piece's keys to o, stopping at the key or byte bound of one response; true when o
 * stopped (o's resume set). */
static bool s_append(pz_kv_resp_t *o, const pz_kv_resp_t *r, bool rev, uint64_t *bytes)
{
    for (uint32_t i = 0; i < r->kvs_len; i++) {
        const pz_kv_kv_t *kv = &r->kvs[i];
        uint64_t sz = (uint64_t)kv->key.len + kv->value.len + S_KV_OVERHEAD_BYTES;
        if (o->kvs_len == PZ_SCAN_KEYS_MAX ||
            (o->kvs_len > 0 && *bytes + sz > PZ_BATCH_RESP_BYTES_MAX)) {
            o->has_resume = true;
            o->resume_key = rev ? o->kvs[o->kvs_len - 1].key : kv->key;
            return true;
        }
        o->kvs[o->kvs_len++] = *kv;
        *bytes += sz;
    }
    if (r->has_resume) {
        o->has_resume = true;
        o->resume_key = r->resume_key;
        return true;
    }
    return false;
}

/* One request's answer from its pieces, in scan order. */
static int s_merge_req(pz__plan_t *p, uint32_t req, pz_kv_resp_t *o)
{
    uint32_t f = p->first[req], n = p->count[req];
    assert(n > 0);
    if (n == 1 && p->pieces[f].state == PZ__PIECE_DONE) {
        *o = p->pieces[f].resp;
        return 0;
    }
    const pz_kv_req_t *q = &p->b->reqs[req];
    bool rev = q->op == PZ_KV_RSCAN;
    *o = (pz_kv_resp_t){.op = q->op};
    uint64_t total = 0, bytes = 0;
    for (uint32_t t = 0; t < n; t++) {
        total += p->pieces[f + t].state == PZ__PIECE_DONE ? p->pieces[f + t].resp.kvs_len : 0;
    }
    total = total < PZ_SCAN_KEYS_MAX ? total : PZ_SCAN_KEYS_MAX;
    if (total > 0 && (s_arena(p) == NULL ||
                      (o->kvs = pz_arena_alloc(p->arena, total * sizeof *o->kvs)) == NULL)) {
        return PZ_ENOMEM;
    }
    bool stopped = false;
    for (uint32_t t = 0; t < n; t++) {
        const pz__piece_t *pc = &p->pieces[rev ? f + n - 1 - t : f + t];
        assert(pc->state == PZ__PIECE_DONE || pc->state == PZ__PIECE_SKIP);
        if (pc->state == PZ__PIECE_SKIP) {
            if (!stopped) {
                o->has_resume = true;
                o->resume_key = rev ? pc->end_key : pc->key;
                stopped = true;
            }
            continue;
        }
        o->num_deleted += pc->resp.num_deleted;
        if (pz_hlc_cmp(pc->resp.ts, o->ts) > 0) {
            o->ts = pc->resp.ts;
        }
        if (!stopped) {
            stopped = s_append(o, &pc->resp, rev, &bytes);
        }
    }
    return 0;
}

int pz__plan_merge(pz__plan_t *p, pz_kv_batch_resp_t *out)
{
    assert(p != NULL && out != NULL);
    assert(pz__plan_done(p));
    *out = (pz_kv_batch_resp_t){.ts = p->ts, .has_txn = p->has_txn, .txn = p->txn};
    if (p->has_error) {
        out->error = p->error;
        return 0;
    }
    uint32_t n = p->b->reqs_len;
    out->resps = s_arena(p) != NULL ? pz_arena_alloc(p->arena, n * sizeof *out->resps) : NULL;
    if (out->resps == NULL) {
        return PZ_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        int rc = s_merge_req(p, i, &out->resps[i]);
        if (rc != 0) {
            return rc;
        }
    }
    out->resps_len = n;
    return 0;
}
