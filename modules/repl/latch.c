/* latch.c — see latch.h. */
#include "latch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/limits.h"

/* Whether a span of a overlaps a span of b (both sorted by start): one merge pass. */
static bool s_lists_meet(const pz__latch_span_t *a, uint32_t na, const pz__latch_span_t *b,
                         uint32_t nb)
{
    uint32_t i = 0, j = 0;
    while (i < na && j < nb) {
        if (pz_view_cmp(a[i].end, b[j].start) <= 0) {
            i++; /* a[i] ends before b[j] (and every later b) starts */
        } else if (pz_view_cmp(b[j].end, a[i].start) <= 0) {
            j++;
        } else {
            return true;
        }
    }
    return false;
}

static bool s_conflict(const pz__latch_guard_t *x, const pz__latch_guard_t *y)
{
    return s_lists_meet(x->writes, x->writes_len, y->all, y->all_len) ||
           s_lists_meet(x->all, x->all_len, y->writes, y->writes_len);
}

static int s_span_cmp(const void *a, const void *b)
{
    const pz__latch_span_t *x = a, *y = b;
    return pz_view_cmp(x->start, y->start);
}

/* spans[0..n) sorted by start in place, then merged where they overlap (not where they only
 * touch: an empty span [k, k) counts as overlapping what strictly surrounds k, so merging
 * [j, k) and [k, m) would make it conflict with what neither does). Returns the new length. */
static uint32_t s_coalesce(pz__latch_span_t *spans, uint32_t n)
{
    if (n == 0) {
        return 0;
    }
    qsort(spans, n, sizeof *spans, s_span_cmp);
    uint32_t k = 0;
    for (uint32_t i = 1; i < n; i++) {
        if (pz_view_cmp(spans[i].start, spans[k].end) < 0) {
            if (pz_view_cmp(spans[i].end, spans[k].end) > 0) {
                spans[k].end = spans[i].end;
            }
        } else {
            spans[++k] = spans[i];
        }
    }
    return k + 1;
}

/* Builds g->all and g->writes from g->spans. */
static int s_index(pz__latch_guard_t *g)
{
    uint32_t n = g->spans_len, nw = 0;
    g->all = malloc((n ? n : 1) * sizeof *g->all);
    g->writes = malloc((n ? n : 1) * sizeof *g->writes);
    if (g->all == NULL || g->writes == NULL) {
        return PZ_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        g->all[i] = g->spans[i];
        if (g->spans[i].write) {
            g->writes[nw++] = g->spans[i];
        }
    }
    g->all_len = s_coalesce(g->all, n);
    g->writes_len = s_coalesce(g->writes, nw);
    return 0;
}

void pz__latch_guard_free(pz__latch_guard_t *g)
{
    if (g == NULL) {
        return;
    }
    for (uint32_t i = 0; i < g->spans_len; i++) {
        free((void *)g->spans[i].start.ptr);
        free((void *)g->spans[i].end.ptr);
    }
    free(g->spans);
    free(g->all);
    free(g->writes);
    free(g);
}

static pz_view_t s_dup(pz_view_t v, bool add_zero)
{
    uint32_t n = v.len + (add_zero ? 1 : 0);
    uint8_t *p = malloc(n ? n : 1);
    if (p == NULL) {
        return (pz_view_t){NULL, 0};
    }
    if (v.len) {
        memcpy(p, v.ptr, v.len);
    }
    if (add_zero) {
        p[v.len] = 0;
    }
    return (pz_view_t){p, n};
}

pz__latch_guard_t *pz__latch_guard_new(const pz__latch_span_t *spans, uint32_t n, void *owner)
{
    pz__latch_guard_t *g = calloc(1, sizeof *g);
    if (g == NULL || (n > 0 && (g->spans = calloc(n, sizeof *g->spans)) == NULL)) {
        free(g);
        return NULL;
    }
    g->owner = owner;
    for (uint32_t i = 0; i < n; i++) {
        bool point = spans[i].end.len == 0;
        g->spans[i].start = s_dup(spans[i].start, false);
        g->spans[i].end = point ? s_dup(spans[i].start, true) : s_dup(spans[i].end, false);
        g->spans[i].write = spans[i].write;
        g->spans_len = i + 1;
        if (g->spans[i].start.ptr == NULL || g->spans[i].end.ptr == NULL) {
            pz__latch_guard_free(g);
            return NULL;
        }
    }
    if (s_index(g) != 0) {
        pz__latch_guard_free(g);
        return NULL;
    }
    return g;
}

static int s_push(pz__latch_guard_t ***arr, uint32_t *len, uint32_t *cap, pz__latch_guard_t *g)
{
    if (*len == *cap) {
        uint32_t c = *cap ? *cap * 2 : 16;
        pz__latch_guard_t **a = realloc(*arr, c * sizeof *a);
        if (a == NULL) {
            return PZ_ENOMEM;
        }
        *arr = a;
        *cap = c;
    }
    (*arr)[(*len)++] = g;
    return 0;
}

/* Can g run now, given the running set and the waiters queued before position `before`? */
static bool s_can_run(const pz__latches_t *l, const pz__latch_guard_t *g, uint32_t before)
{
    for (uint32_t i = 0; i < l->running_len; i++) {
        if (s_conflict(g, l->running[i])) {
            return false;
        }
    }
    for (uint32_t i = 0; i < before; i++) {
        if (s_conflict(g, l->waiting[i])) {
            return false;
        }
    }
    return true;
}

int pz__latch_acquire(pz__latches_t *l, pz__latch_guard_t *g)
{
    assert(g != NULL && !g->granted);
    if (s_can_run(l, g, l->waiting_len)) {
        int rc = s_push(&l->running, &l->running_len, &l->running_cap, g);
        g->granted = rc == 0;
        return rc;
    }
    if (l->waiting_len >= PZ_LATCH_WAITERS_MAX) {
        return PZ_EBUSY;
    }
    return s_push(&l->waiting, &l->waiting_len, &l->waiting_cap, g);
}

uint32_t pz__latch_release(pz__latches_t *l, pz__latch_guard_t *g, pz__latch_guard_t **ready,
                           uint32_t ready_cap)
{
    if (g != NULL) {
        assert(g->granted);
        for (uint32_t i = 0; i < l->running_len; i++) {
            if (l->running[i] == g) {
                l->running[i] = l->running[--l->running_len];
                break;
            }
        }
        pz__latch_guard_free(g);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->waiting_len && n < ready_cap;) {
        pz__latch_guard_t *w = l->waiting[i];
        if (!s_can_run(l, w, i) || s_push(&l->running, &l->running_len, &l->running_cap, w) != 0) {
            i++;
            continue;
        }
        w->granted = true;
        ready[n++] = w;
        memmove(&l->waiting[i], &l->waiting[i + 1], (l->waiting_len - i - 1) * sizeof *l->waiting);
        l->waiting_len--;
    }
    return n;
}

void pz__latches_clear(pz__latches_t *l)
{
    for (uint32_t i = 0; i < l->running_len; i++) {
        pz__latch_guard_free(l->running[i]);
    }
    for (uint32_t i = 0; i < l->waiting_len; i++) {
        pz__latch_guard_free(l->waiting[i]);
    }
    free(l->running);
    free(l->waiting);
    *l = (pz__latches_t){0};
}
