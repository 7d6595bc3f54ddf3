/*
 * mvcc_overlay.c — the skip list behind a batch's read-your-writes overlay (mvcc_overlay.h).
 */
#include "mvcc_overlay.h"

#include <string.h>

#include "phantomzero/errors.h"
#include "storage_assert.h"

static pz_ovl_node_t *s_node_new(pz_arena_t *a, uint8_t levels)
{
    size_t bytes = sizeof(pz_ovl_node_t) + (size_t)levels * sizeof(pz_ovl_node_t *);
    pz_ovl_node_t *n = pz_arena_alloc(a, bytes);
    if (n != NULL) {
        n->levels = levels; /* next[] is zeroed by the arena */
    }
    return n;
}

int pz__ovl_init(pz_overlay_t *o, pz_arena_t *a)
{
    PZ_ST_ASSERT(o != NULL && a != NULL);
    memset(o, 0, sizeof *o);
    o->a = a;
    o->head = s_node_new(a, PZ_OVL_LEVELS_MAX);
    if (o->head == NULL) {
        return PZ_ENOMEM;
    }
    o->levels = 1;
    o->rng = 0x9E3779B97F4A7C15ull; /* fixed: evaluation must be deterministic */
    return 0;
}

/* Fills prev[i] with the last node at level i whose key is < k (the head if none); returns the
 * level-0 successor of prev[0] (first node >= k). */
static pz_ovl_node_t *s_find(const pz_overlay_t *o, pz_view_t k, pz_ovl_node_t **prev)
{
    pz_ovl_node_t *x = o->head;
    for (int i = o->levels - 1; i >= 0; i--) {
        while (x->next[i] != NULL && pz_view_cmp(x->next[i]->key, k) < 0) {
            x = x->next[i];
        }
        if (prev != NULL) {
            prev[i] = x;
        }
    }
    return x->next[0];
}

const pz_ovl_node_t *pz__ovl_get(const pz_overlay_t *o, pz_view_t key)
{
    PZ_ST_ASSERT(o != NULL && o->head != NULL);
    const pz_ovl_node_t *n = s_find(o, key, NULL);
    return (n != NULL && pz_view_eq(n->key, key)) ? n : NULL;
}

int pz__ovl_put(pz_overlay_t *o, pz_view_t key, bool live, pz_view_t value)
{
    PZ_ST_ASSERT(o != NULL && o->head != NULL && key.len > 0);
    PZ_ST_ASSERT(live || value.len == 0);
    pz_ovl_node_t *prev[PZ_OVL_LEVELS_MAX];
    pz_ovl_node_t *n = s_find(o, key, prev);
    if (n != NULL && pz_view_eq(n->key, key)) {
        n->live = live;
        n->value = value;
        return 0;
    }
    uint8_t levels = pz__skip_levels(&o->rng, PZ_OVL_LEVELS_MAX);
    n = s_node_new(o->a, levels);
    if (n == NULL) {
        return PZ_ENOMEM;
    }
    for (uint8_t i = o->levels; i < levels; i++) {
        prev[i] = o->head;
    }
    if (levels > o->levels) {
        o->levels = levels;
    }
    n->key = key;
    n->value = value;
    n->live = live;
    for (uint8_t i = 0; i < levels; i++) {
        n->next[i] = prev[i]->next[i];
        prev[i]->next[i] = n;
    }
    o->len++;
    return 0;
}

const pz_ovl_node_t *pz__ovl_seek_ge(const pz_overlay_t *o, pz_view_t k)
{
    PZ_ST_ASSERT(o != NULL && o->head != NULL);
    return s_find(o, k, NULL);
}

const pz_ovl_node_t *pz__ovl_seek_lt(const pz_overlay_t *o, pz_view_t k)
{
    PZ_ST_ASSERT(o != NULL && o->head != NULL);
    pz_ovl_node_t *prev[PZ_OVL_LEVELS_MAX];
    (void)s_find(o, k, prev);
    return prev[0] == o->head ? NULL : prev[0];
}

const pz_ovl_node_t *pz__ovl_first(const pz_overlay_t *o)
{
    PZ_ST_ASSERT(o != NULL && o->head != NULL);
    return o->head->next[0];
}
