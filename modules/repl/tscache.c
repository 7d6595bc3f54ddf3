/* tscache.c — see tscache.h. */
#include "tscache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/errors.h"

typedef struct {
    uint8_t *key; /* owned; NULL: free slot */
    uint32_t len;
    uint32_t hash;
    pz__tsc_read_t read;
} s_point_t;

typedef struct {
    pz_view_t start, end; /* owned; start < end; pieces never overlap */
    pz__tsc_read_t read;
} s_span_t;

struct pz__tscache {
    pz_hlc_t low_water;
    s_point_t *slots;   /* open addressing, linear probing, no deletes but rebuilds */
    uint32_t slots_cap; /* a power of two, at least twice points_max */
    uint32_t points, points_max;
    s_span_t *spans; /* sorted by start */
    uint32_t spans_len, spans_max;
};

static uint32_t s_hash(pz_view_t k)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (uint32_t i = 0; i < k.len; i++) {
        h = (h ^ k.ptr[i]) * 16777619u;
    }
    return h;
}

static pz__tsc_read_t s_read(pz_hlc_t ts, pz_view_t txn_id)
{
    pz__tsc_read_t r = {.ts = ts, .has_txn = txn_id.len > 0};
    uint32_t n = txn_id.len < PZ_TXN_ID_BYTES ? txn_id.len : PZ_TXN_ID_BYTES;
    if (n > 0) {
        memcpy(r.txn, txn_id.ptr, n);
    }
    return r;
}

static bool s_same_reader(const pz__tsc_read_t *a, const pz__tsc_read_t *b)
{
    return a->has_txn && b->has_txn && memcmp(a->txn, b->txn, PZ_TXN_ID_BYTES) == 0;
}

/* Keeps the newer read; two different readers at the same timestamp leave no reader. */
static void s_merge(pz__tsc_read_t *into, const pz__tsc_read_t *r)
{
    int c = pz_hlc_cmp(r->ts, into->ts);
    if (c > 0) {
        *into = *r;
    } else if (c == 0 && !s_same_reader(into, r)) {
        into->has_txn = false;
    }
}

pz__tscache_t *pz__tscache_new(pz_hlc_t low_water, uint32_t points_max, uint32_t spans_max)
{
    pz__tscache_t *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->low_water = low_water;
    c->points_max = points_max ? points_max : PZ_TSCACHE_POINTS_MAX;
    c->spans_max = spans_max ? spans_max : PZ_TSCACHE_SPANS_MAX;
    assert(c->points_max <= PZ_TSCACHE_POINTS_MAX && c->spans_max <= PZ_TSCACHE_SPANS_MAX);
    c->slots_cap = 16;
    while (c->slots_cap < 2 * c->points_max) {
        c->slots_cap *= 2;
    }
    c->slots = calloc(c->slots_cap, sizeof *c->slots);
    c->spans = calloc(c->spans_max, sizeof *c->spans);
    if (c->slots == NULL || c->spans == NULL) {
        pz__tscache_free(&c);
    }
    return c;
}

void pz__tscache_free(pz__tscache_t **cp)
{
    pz__tscache_t *c = *cp;
    if (c == NULL) {
        return;
    }
    for (uint32_t i = 0; c->slots && i < c->slots_cap; i++) {
        free(c->slots[i].key);
    }
    for (uint32_t i = 0; i < c->spans_len; i++) {
        free((void *)c->spans[i].start.ptr);
        free((void *)c->spans[i].end.ptr);
    }
    free(c->slots);
    free(c->spans);
    free(c);
    *cp = NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Eviction: drop the older half, raise the low-water mark to the newest dropped              */

static int s_ts_cmp(const void *a, const void *b)
{
    return pz_hlc_cmp(*(const pz_hlc_t *)a, *(const pz_hlc_t *)b);
}

/* The timestamp at or below which at least half of ts[0..n) lies (ts is sorted in place). */
static pz_hlc_t s_median(pz_hlc_t *ts, uint32_t n)
{
    assert(n > 0);
    qsort(ts, n, sizeof *ts, s_ts_cmp);
    return ts[(n - 1) / 2];
}

static void s_raise_low_water(pz__tscache_t *c, pz_hlc_t to)
{
    if (pz_hlc_cmp(to, c->low_water) > 0) {
        c->low_water = to;
    }
}

/* Drops every point at or below the low-water mark, rehashing the rest in place. */
static void s_points_prune(pz__tscache_t *c)
{
    s_point_t *old = c->slots;
    s_point_t *fresh = calloc(c->slots_cap, sizeof *fresh);
    if (fresh == NULL) {
        return; /* nothing dropped: the caller's insert fails with PZ_ENOMEM */
    }
    uint32_t mask = c->slots_cap - 1, kept = 0;
    for (uint32_t i = 0; i < c->slots_cap; i++) {
        if (old[i].key == NULL) {
            continue;
        }
        if (pz_hlc_cmp(old[i].read.ts, c->low_water) <= 0) {
            free(old[i].key);
            continue;
        }
        uint32_t j = old[i].hash & mask;
        while (fresh[j].key != NULL) {
            j = (j + 1) & mask;
        }
        fresh[j] = old[i];
        kept++;
    }
    free(old);
    c->slots = fresh;
    c->points = kept;
}

static void s_points_evict(pz__tscache_t *c)
{
    pz_hlc_t *ts = malloc(c->points * sizeof *ts);
    if (ts == NULL) {
        return;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->slots_cap; i++) {
        if (c->slots[i].key != NULL) {
            ts[n++] = c->slots[i].read.ts;
        }
    }
    assert(n == c->points);
    s_raise_low_water(c, s_median(ts, n));
    free(ts);
    s_points_prune(c);
}

static void s_spans_prune(pz__tscache_t *c)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < c->spans_len; i++) {
        s_span_t *s = &c->spans[i];
        if (pz_hlc_cmp(s->read.ts, c->low_water) <= 0) {
            free((void *)s->start.ptr);
            free((void *)s->end.ptr);
        } else {
            c->spans[kept++] = *s;
        }
    }
    c->spans_len = kept;
}

static void s_spans_evict(pz__tscache_t *c)
{
    pz_hlc_t *ts = malloc(c->spans_len * sizeof *ts);
    if (ts == NULL) {
        return;
    }
    for (uint32_t i = 0; i < c->spans_len; i++) {
        ts[i] = c->spans[i].read.ts;
    }
    s_raise_low_water(c, s_median(ts, c->spans_len));
    free(ts);
    s_spans_prune(c);
}

/* ---------------------------------------------------------------------------------------- */
/* Points                                                                                     */

static s_point_t *s_point_find(const pz__tscache_t *c, pz_view_t k, uint32_t h)
{
    uint32_t mask = c->slots_cap - 1;
    for (uint32_t j = h & mask;; j = (j + 1) & mask) {
        s_point_t *p = &c->slots[j];
        if (p->key == NULL || (p->hash == h && pz_view_eq((pz_view_t){p->key, p->len}, k))) {
            return p; /* the key's slot, or the free slot it would take */
        }
    }
}

static int s_point_add(pz__tscache_t *c, pz_view_t k, const pz__tsc_read_t *r)
{
    uint32_t h = s_hash(k);
    s_point_t *p = s_point_find(c, k, h);
    if (p->key != NULL) {
        s_merge(&p->read, r);
        return 0;
    }
    if (c->points >= c->points_max) {
        s_points_evict(c);
        if (pz_hlc_cmp(r->ts, c->low_water) <= 0) {
            return 0; /* the low-water mark now covers this read */
        }
        if (c->points >= c->points_max) {
            return PZ_ENOMEM; /* eviction could not allocate */
        }
        p = s_point_find(c, k, h);
    }
    uint8_t *copy = malloc(k.len ? k.len : 1);
    if (copy == NULL) {
        return PZ_ENOMEM;
    }
    if (k.len) {
        memcpy(copy, k.ptr, k.len);
    }
    *p = (s_point_t){.key = copy, .len = k.len, .hash = h, .read = *r};
    c->points++;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Spans                                                                                      */

/* The first piece whose end is above k (pieces are sorted and disjoint, so ends are sorted). */
static uint32_t s_span_first(const pz__tscache_t *c, pz_view_t k)
{
    uint32_t lo = 0, hi = c->spans_len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pz_view_cmp(c->spans[mid].end, k) > 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

static pz_view_t s_dup(pz_view_t v)
{
    uint8_t *p = malloc(v.len ? v.len : 1);
    if (p != NULL && v.len) {
        memcpy(p, v.ptr, v.len);
    }
    return (pz_view_t){p, p ? v.len : 0};
}

static pz_view_t s_max_key(pz_view_t a, pz_view_t b)
{
    return pz_view_cmp(a, b) >= 0 ? a : b;
}

static pz_view_t s_min_key(pz_view_t a, pz_view_t b)
{
    return pz_view_cmp(a, b) <= 0 ? a : b;
}

/* The pieces that replace the ones overlapping [s, e): built with their own key copies. */
typedef struct {
    s_span_t *v;
    uint32_t len, cap;
    bool oom;
} s_pieces_t;

static void s_piece(s_pieces_t *ps, pz_view_t s, pz_view_t e, const pz__tsc_read_t *r)
{
    assert(ps->len < ps->cap);
    if (pz_view_cmp(s, e) >= 0) {
        return;
    }
    s_span_t *p = &ps->v[ps->len];
    p->start = s_dup(s);
    p->end = s_dup(e);
    p->read = *r;
    ps->len++;
    ps->oom = ps->oom || p->start.ptr == NULL || p->end.ptr == NULL;
}

static void s_pieces_free(s_pieces_t *ps)
{
    for (uint32_t i = 0; i < ps->len; i++) {
        free((void *)ps->v[i].start.ptr);
        free((void *)ps->v[i].end.ptr);
    }
    free(ps->v);
}

/* Cuts the pieces overlapping [s, e) at s and e and merges r into the overlap; the gaps in
 * [s, e) become pieces of r alone. Writes the replacement to ps; [*from, *to) is what it replaces.
 */
static void s_cut(const pz__tscache_t *c, pz_view_t s, pz_view_t e, const pz__tsc_read_t *r,
                  s_pieces_t *ps, uint32_t *from, uint32_t *to)
{
    uint32_t i = s_span_first(c, s), j = i;
    pz_view_t cur = s;
    for (; j < c->spans_len && pz_view_cmp(c->spans[j].start, e) < 0; j++) {
        const s_span_t *x = &c->spans[j];
        pz__tsc_read_t both = x->read;
        s_merge(&both, r);
        s_piece(ps, x->start, cur, &x->read); /* x's part left of s (first piece only) */
        s_piece(ps, cur, x->start, r);        /* the gap before x */
        pz_view_t mid_end = s_min_key(x->end, e);
        s_piece(ps, s_max_key(x->start, cur), mid_end, &both);
        s_piece(ps, e, x->end, &x->read); /* x's part right of e (last piece only) */
        cur = mid_end;
    }
    s_piece(ps, cur, e, r);
    *from = i;
    *to = j;
}

static int s_span_add(pz__tscache_t *c, pz_view_t s, pz_view_t e, const pz__tsc_read_t *r)
{
    uint32_t i = s_span_first(c, s), n = 0;
    while (i + n < c->spans_len && pz_view_cmp(c->spans[i + n].start, e) < 0) {
        n++;
    }
    s_pieces_t ps = {.cap = 4 * n + 1}; /* per piece replaced: left, gap, overlap, right */
    if ((ps.v = calloc(ps.cap, sizeof *ps.v)) == NULL) {
        return PZ_ENOMEM;
    }
    uint32_t from, to;
    s_cut(c, s, e, r, &ps, &from, &to);
    assert(to - from == n);
    if (ps.oom || c->spans_len - n + ps.len > c->spans_max) {
        bool full = !ps.oom;
        s_pieces_free(&ps);
        if (!full || c->spans_len == 0) {
            return PZ_ENOMEM;
        }
        s_spans_evict(c);
        /* Retry against the halved array; a read now under the low-water mark needs nothing. */
        return pz_hlc_cmp(r->ts, c->low_water) <= 0 ? 0 : s_span_add(c, s, e, r);
    }
    for (uint32_t k = from; k < to; k++) {
        free((void *)c->spans[k].start.ptr);
        free((void *)c->spans[k].end.ptr);
    }
    memmove(&c->spans[from + ps.len], &c->spans[to], (c->spans_len - to) * sizeof *c->spans);
    memcpy(&c->spans[from], ps.v, ps.len * sizeof *ps.v);
    c->spans_len = c->spans_len - n + ps.len;
    free(ps.v); /* the keys now belong to the array */
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The interface                                                                              */

int pz__tscache_add(pz__tscache_t *c, pz_view_t start, pz_view_t end, pz_hlc_t ts, pz_view_t txn_id)
{
    assert(c != NULL);
    assert(!pz_hlc_is_zero(ts));
    pz__tsc_read_t r = s_read(ts, txn_id);
    if (pz_hlc_cmp(ts, c->low_water) <= 0) {
        return 0; /* the low-water mark already says as much */
    }
    if (end.len == 0) {
        return s_point_add(c, start, &r);
    }
    if (pz_view_cmp(start, end) >= 0) {
        return 0;
    }
    return s_span_add(c, start, end, &r);
}

pz__tsc_read_t pz__tscache_get(const pz__tscache_t *c, pz_view_t start, pz_view_t end)
{
    assert(c != NULL);
    pz__tsc_read_t r = {.ts = c->low_water};
    bool point = end.len == 0;
    if (point) {
        s_point_t *p = s_point_find(c, start, s_hash(start));
        if (p->key != NULL) {
            s_merge(&r, &p->read);
        }
    } else {
        for (uint32_t i = 0; i < c->slots_cap; i++) {
            const s_point_t *p = &c->slots[i];
            pz_view_t k = {p->key, p->len};
            if (p->key != NULL && pz_view_cmp(k, start) >= 0 && pz_view_cmp(k, end) < 0) {
                s_merge(&r, &p->read);
            }
        }
    }
    for (uint32_t i = s_span_first(c, start); i < c->spans_len; i++) {
        const s_span_t *x = &c->spans[i];
        /* A point k overlaps [x.start, x.end) when x.start <= k (x.end > k by s_span_first). */
        if (point ? pz_view_cmp(x->start, start) > 0 : pz_view_cmp(x->start, end) >= 0) {
            break;
        }
        s_merge(&r, &x->read);
    }
    return r;
}

pz_hlc_t pz__tscache_write_ts(const pz__tscache_t *c, pz_view_t start, pz_view_t end, pz_hlc_t wts,
                              pz_view_t txn_id)
{
    pz__tsc_read_t r = pz__tscache_get(c, start, end);
    pz__tsc_read_t me = s_read(wts, txn_id);
    if (pz_hlc_cmp(r.ts, wts) < 0 || s_same_reader(&r, &me)) {
        return wts;
    }
    return pz_hlc_next(r.ts);
}

void pz__tscache_raise_low_water(pz__tscache_t *c, pz_hlc_t ts)
{
    s_raise_low_water(c, ts);
}

pz_hlc_t pz__tscache_low_water(const pz__tscache_t *c)
{
    return c->low_water;
}

uint32_t pz__tscache_points(const pz__tscache_t *c)
{
    return c->points;
}

uint32_t pz__tscache_spans(const pz__tscache_t *c)
{
    return c->spans_len;
}
