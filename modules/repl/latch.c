/* latch.c — see latch.h. */
#include "latch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/limits.h"

static bool s_overlap(const pz__latch_span_t *a, const pz__latch_span_t *b)
{
    return pz_view_cmp(a->start, b->end) < 0 && pz_view_cmp(b->start, a->end) < 0;
}

static bool s_conflict(const pz__latch_guard_t *x, const pz__latch_guard_t *y)
{
    for (uint32_t i = 0; i < x->spans_len; i++) {
        for (uint32_t j = 0; j < y->spans_len; j++) {
            const pz__latch_span_t *a = &x->spans[i], *b = &y->spans[j];
            if ((a->write || b->write) && s_overlap(a, b)) {
                return true;
            }
        }
    }
    return false;
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
