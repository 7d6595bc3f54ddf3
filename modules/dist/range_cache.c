/* range_cache.c — see range_cache.h. A sorted array: lookups are a binary search, and the
 * number of ranges a node routes to changes slowly. */
#include "range_cache.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pz_view_t s_dup(pz_view_t v)
{
    uint8_t *p = malloc(v.len ? v.len : 1);
    if (p && v.len) {
        memcpy(p, v.ptr, v.len);
    }
    return (pz_view_t){p, p ? v.len : 0};
}

static void s_free(pz__range_t *r)
{
    free((void *)r->start.ptr);
    free((void *)r->end.ptr);
}

/* Index of the first entry whose end key is > key. */
static uint32_t s_upper(const pz__range_cache_t *c, pz_view_t key)
{
    uint32_t lo = 0, hi = c->len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (pz_view_cmp(c->items[mid].end, key) > 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

const pz__range_t *pz__range_cache_find(const pz__range_cache_t *c, pz_view_t key)
{
    uint32_t i = s_upper(c, key);
    if (i == c->len || pz_view_cmp(c->items[i].start, key) > 0) {
        return NULL;
    }
    return &c->items[i];
}

static void s_remove_at(pz__range_cache_t *c, uint32_t i)
{
    assert(i < c->len);
    s_free(&c->items[i]);
    memmove(&c->items[i], &c->items[i + 1], (c->len - i - 1) * sizeof *c->items);
    c->len--;
}

int pz__range_cache_put(pz__range_cache_t *c, const pz_range_desc_t *d)
{
    if (d->replicas_len == 0 || pz_view_cmp(d->start_key, d->end_key) >= 0) {
        return PZ_EINVAL;
    }
    /* Drop entries overlapping [start, end); refuse if one of them is newer. */
    for (uint32_t i = s_upper(c, d->start_key); i < c->len;) {
        pz__range_t *r = &c->items[i];
        if (pz_view_cmp(r->start, d->end_key) >= 0) {
            break;
        }
        if (r->range_id == d->range_id && r->generation > d->generation) {
            return 0;
        }
        s_remove_at(c, i);
    }
    if (c->len >= PZ_RANGE_CACHE_MAX) {
        pz__range_cache_clear(c);
    }
    if (c->len == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 16;
        pz__range_t *items = realloc(c->items, cap * sizeof *items);
        if (items == NULL) {
            return PZ_ENOMEM;
        }
        c->items = items;
        c->cap = cap;
    }
    pz__range_t r = {.range_id = d->range_id,
                     .generation = d->generation,
                     .start = s_dup(d->start_key),
                     .end = s_dup(d->end_key)};
    if (r.start.ptr == NULL || r.end.ptr == NULL) {
        s_free(&r);
        return PZ_ENOMEM;
    }
    pz_view_t a = d->replicas[0].addr;
    snprintf(r.addr, sizeof r.addr, "%.*s", (int)a.len, (const char *)a.ptr);
    uint32_t at = s_upper(c, d->start_key);
    memmove(&c->items[at + 1], &c->items[at], (c->len - at) * sizeof *c->items);
    c->items[at] = r;
    c->len++;
    return 0;
}

void pz__range_cache_evict(pz__range_cache_t *c, pz_view_t key)
{
    uint32_t i = s_upper(c, key);
    if (i < c->len && pz_view_cmp(c->items[i].start, key) <= 0) {
        s_remove_at(c, i);
    }
}

void pz__range_cache_clear(pz__range_cache_t *c)
{
    for (uint32_t i = 0; i < c->len; i++) {
        s_free(&c->items[i]);
    }
    free(c->items);
    *c = (pz__range_cache_t){0};
}
