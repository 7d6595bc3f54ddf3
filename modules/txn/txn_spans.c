/*
 * txn_spans.c — a transaction's span sets (txn_int.h): the keys it wrote or locked, which its
 * end resolves, and the keys it read, which a refresh re-checks.
 *
 * Written by hand: the sets are small arrays of owned byte strings with one unusual operation,
 * condensing (CockroachDB's condensableSpanSet): past the bound, neighbouring spans merge into one
 * covering span. The result is still correct for both uses — resolving a wider span only visits
 * more keys, refreshing a wider span can only fail more often — so a transaction never fails
 * because it touched too many keys.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "txn_int.h"

void pz__spans_init(pz__spans_t *s, uint32_t max)
{
    assert(s != NULL && max >= 2);
    memset(s, 0, sizeof *s);
    s->max = max;
}

static void s_span_free(pz__span_t *p)
{
    free(p->key);
    free(p->end);
    memset(p, 0, sizeof *p);
}

void pz__spans_clear(pz__spans_t *s)
{
    for (uint32_t i = 0; i < s->len; i++) {
        s_span_free(&s->v[i]);
    }
    s->len = 0;
}

void pz__spans_free(pz__spans_t *s)
{
    pz__spans_clear(s);
    free(s->v);
    s->v = NULL;
    s->cap = 0;
}

static uint8_t *s_dup(pz_view_t v)
{
    uint8_t *p = malloc(v.len > 0 ? v.len : 1);
    if (p != NULL && v.len > 0) {
        memcpy(p, v.ptr, v.len);
    }
    return p;
}

static int s_cmp(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
    return pz_view_cmp((pz_view_t){a, al}, (pz_view_t){b, bl});
}

/* The exclusive end of a span: its end, or key + "\x00" for one key, compared without
 * allocating: a point p ends "just after p". */
static int s_end_cmp(const pz__span_t *a, const pz__span_t *b)
{
    if (a->end_len > 0 && b->end_len > 0) {
        return s_cmp(a->end, a->end_len, b->end, b->end_len);
    }
    if (a->end_len == 0 && b->end_len == 0) {
        return s_cmp(a->key, a->key_len, b->key, b->key_len);
    }
    /* One point p against an end e: p+"\x00" < e iff p < e and p+"\x00" != e. */
    const pz__span_t *pt = a->end_len == 0 ? a : b;
    const pz__span_t *sp = a->end_len == 0 ? b : a;
    int c = s_cmp(pt->key, pt->key_len, sp->end, sp->end_len);
    if (c < 0 && !(sp->end_len == pt->key_len + 1 && sp->end[pt->key_len] == 0 &&
                   memcmp(sp->end, pt->key, pt->key_len) == 0)) {
        c = -1;
    } else {
        c = c < 0 ? 0 : 1;
    }
    return a == pt ? c : -c;
}

int pz__spans_add(pz__spans_t *s, pz_view_t key, pz_view_t end)
{
    assert(s != NULL && s->max >= 2);
    assert(key.len > 0);
    if (s->len >= s->max) {
        int rc = pz__spans_condense(s, s->max / 2);
        if (rc != 0) {
            return rc;
        }
    }
    if (s->len == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 8;
        pz__span_t *v = realloc(s->v, sizeof *v * cap);
        if (v == NULL) {
            return PZ_ENOMEM;
        }
        s->v = v;
        s->cap = cap;
    }
    pz__span_t p = {.key = s_dup(key),
                    .end = end.len ? s_dup(end) : NULL,
                    .key_len = (uint32_t)key.len,
                    .end_len = (uint32_t)end.len};
    if (p.key == NULL || (end.len > 0 && p.end == NULL)) {
        s_span_free(&p);
        return PZ_ENOMEM;
    }
    s->v[s->len++] = p;
    return 0;
}

static int s_by_key(const void *a, const void *b)
{
    const pz__span_t *x = a, *y = b;
    return s_cmp(x->key, x->key_len, y->key, y->key_len);
}

/* Whether b starts at or before a's exclusive end (so [a ∪ b] is one span). */
static bool s_touches(const pz__span_t *a, const pz__span_t *b)
{
    if (a->end_len == 0) {
        return s_cmp(b->key, b->key_len, a->key, a->key_len) == 0;
    }
    return s_cmp(b->key, b->key_len, a->end, a->end_len) <= 0;
}

/* a becomes the span covering a and b (b starts at or after a). Takes b's memory. */
static int s_absorb(pz__span_t *a, pz__span_t *b)
{
    if (s_end_cmp(b, a) > 0) {
        if (b->end_len == 0) {
            /* The covering end of a point is key + "\x00". */
            uint8_t *e = malloc(b->key_len + 1u);
            if (e == NULL) {
                return PZ_ENOMEM;
            }
            memcpy(e, b->key, b->key_len);
            e[b->key_len] = 0;
            free(a->end);
            a->end = e;
            a->end_len = b->key_len + 1u;
        } else {
            free(a->end);
            a->end = b->end;
            a->end_len = b->end_len;
            b->end = NULL;
        }
    } else if (a->end_len == 0 && s_cmp(a->key, a->key_len, b->key, b->key_len) != 0) {
        return PZ_EINTERNAL; /* not reached: b starts at or after a and ends no later */
    }
    s_span_free(b);
    return 0;
}

int pz__spans_condense(pz__spans_t *s, uint32_t target)
{
    assert(s != NULL);
    if (s->len < 2) {
        return 0;
    }
    qsort(s->v, s->len, sizeof *s->v, s_by_key);
    uint32_t w = 0;
    for (uint32_t r = 1; r < s->len; r++) {
        if (s_touches(&s->v[w], &s->v[r])) {
            int rc = s_absorb(&s->v[w], &s->v[r]);
            if (rc != 0) {
                return rc;
            }
        } else {
            s->v[++w] = s->v[r];
        }
    }
    s->len = w + 1;
    /* Still too many: merge pairs of neighbours until the bound holds. */
    while (s->len > target && s->len >= 2) {
        uint32_t out = 0;
        for (uint32_t r = 0; r < s->len; r += 2) {
            pz__span_t a = s->v[r];
            if (r + 1 < s->len) {
                int rc = s_absorb(&a, &s->v[r + 1]);
                if (rc != 0) {
                    return rc;
                }
            }
            s->v[out++] = a;
        }
        s->len = out;
    }
    return 0;
}

pz_kv_span_t *pz__spans_view(const pz__spans_t *s, pz_arena_t *a)
{
    assert(s != NULL && a != NULL);
    pz_kv_span_t *v = pz_arena_alloc(a, sizeof *v * (s->len ? s->len : 1));
    for (uint32_t i = 0; v != NULL && i < s->len; i++) {
        v[i] = (pz_kv_span_t){.key = {s->v[i].key, s->v[i].key_len},
                              .end_key = {s->v[i].end, s->v[i].end_len}};
    }
    return v;
}
