/*
 * storage_pend.c — the skip list of queued pipelined writes (storage_pend.h).
 *
 * Written here rather than taken from a library: the module's only ordered in-memory structure
 * is the arena-backed batch overlay (mvcc_overlay.c), which never deletes; this one must delete
 * single keys as their commits are reaped and free the memory, and seek backwards for reverse
 * iterators. Debian offers ordered maps only inside larger frameworks (GLib), not worth a
 * dependency for ~200 lines.
 */
#include "storage_pend.h"

#include <stdlib.h>
#include <string.h>

#include "mvcc_overlay.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

struct pz__pend {
    pz__pend_node_t *head; /* sentinel with PZ_PEND_LEVELS_MAX levels, no key */
    uint8_t levels;        /* levels in use, >= 1 */
    uint64_t rng;
    size_t len;
};

int pz__pend_key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    size_t n = a_len < b_len ? a_len : b_len;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c;
    }
    return a_len < b_len ? -1 : (a_len > b_len ? 1 : 0);
}

static pz__pend_node_t *s_node_new(uint8_t levels)
{
    pz__pend_node_t *n = calloc(1, sizeof *n + (size_t)levels * sizeof n->next[0]);
    if (n != NULL) {
        n->levels = levels;
    }
    return n;
}

pz__pend_t *pz__pend_new(void)
{
    pz__pend_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return NULL;
    }
    p->head = s_node_new(PZ_PEND_LEVELS_MAX);
    if (p->head == NULL) {
        free(p);
        return NULL;
    }
    p->levels = 1;
    p->rng = 0x9E3779B97F4A7C15ull;
    return p;
}

void pz__pend_clear(pz__pend_t *p)
{
    PZ_ST_ASSERT(p != NULL);
    pz__pend_node_t *n = p->head->next[0];
    while (n != NULL) {
        pz__pend_node_t *next = n->next[0];
        free(n);
        n = next;
    }
    memset(p->head->next, 0, sizeof p->head->next[0] * PZ_PEND_LEVELS_MAX);
    p->levels = 1;
    p->len = 0;
}

void pz__pend_destroy(pz__pend_t **pp)
{
    PZ_ST_ASSERT(pp != NULL);
    if (*pp == NULL) {
        return;
    }
    pz__pend_clear(*pp);
    free((*pp)->head);
    free(*pp);
    *pp = NULL;
}

size_t pz__pend_len(const pz__pend_t *p)
{
    PZ_ST_ASSERT(p != NULL);
    return p->len;
}

/* Fills prev[l] with the last node at level l whose key is < key (the head if none); returns
 * the node after prev[0], the first with key >= key (or NULL). */
static pz__pend_node_t *s_find(const pz__pend_t *p, const uint8_t *key, size_t key_len,
                               pz__pend_node_t **prev)
{
    pz__pend_node_t *x = p->head;
    for (int l = PZ_PEND_LEVELS_MAX - 1; l >= 0; l--) {
        if (l < p->levels) {
            while (x->next[l] != NULL &&
                   pz__pend_key_cmp(x->next[l]->key, x->next[l]->key_len, key, key_len) < 0) {
                x = x->next[l];
            }
        }
        if (prev != NULL) {
            prev[l] = x;
        }
    }
    return x->next[0];
}

static bool s_is(const pz__pend_node_t *n, const uint8_t *key, size_t key_len)
{
    return n != NULL && pz__pend_key_cmp(n->key, n->key_len, key, key_len) == 0;
}

static void s_set(pz__pend_node_t *n, const pz_engine_op_t *op, const void *owner)
{
    n->key = op->key;
    n->key_len = op->key_len;
    n->live = op->kind == PZ_ENGINE_PUT;
    n->val = n->live ? op->value : NULL;
    n->val_len = n->live ? op->value_len : 0;
    n->owner = owner;
}

/* Inserts op with a node from spare (taken only when the key is new). */
static void s_put(pz__pend_t *p, const pz_engine_op_t *op, const void *owner,
                  pz__pend_node_t **spare)
{
    pz__pend_node_t *prev[PZ_PEND_LEVELS_MAX];
    pz__pend_node_t *at = s_find(p, op->key, op->key_len, prev);
    if (s_is(at, op->key, op->key_len)) {
        s_set(at, op, owner);
        return;
    }
    pz__pend_node_t *n = *spare;
    *spare = NULL;
    PZ_ST_ASSERT(n != NULL);
    s_set(n, op, owner);
    if (n->levels > p->levels) {
        p->levels = n->levels; /* prev[] above the old height is already the head */
    }
    for (uint8_t l = 0; l < n->levels; l++) {
        n->next[l] = prev[l]->next[l];
        prev[l]->next[l] = n;
    }
    p->len++;
}

int pz__pend_add(pz__pend_t *p, const pz_engine_op_t *ops, size_t n, const void *owner)
{
    PZ_ST_ASSERT(p != NULL && (ops != NULL || n == 0));
    for (size_t i = 0; i < n; i++) {
        if (ops[i].kind != PZ_ENGINE_PUT && ops[i].kind != PZ_ENGINE_DEL) {
            return PZ_EINVAL;
        }
    }
    /* Every node is allocated before the first insert, so a failure changes nothing. */
    pz__pend_node_t **spares = calloc(n > 0 ? n : 1, sizeof *spares);
    if (spares == NULL) {
        return PZ_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        spares[i] = s_node_new(pz__skip_levels(&p->rng, PZ_PEND_LEVELS_MAX));
        rc = spares[i] != NULL ? 0 : PZ_ENOMEM;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        s_put(p, &ops[i], owner, &spares[i]);
    }
    for (size_t i = 0; i < n; i++) {
        free(spares[i]); /* the unused ones: keys already present, or all of them on failure */
    }
    free(spares);
    return rc;
}

void pz__pend_drop(pz__pend_t *p, const pz_engine_op_t *ops, size_t n, const void *owner)
{
    PZ_ST_ASSERT(p != NULL && (ops != NULL || n == 0));
    for (size_t i = 0; i < n; i++) {
        pz__pend_node_t *prev[PZ_PEND_LEVELS_MAX];
        pz__pend_node_t *at = s_find(p, ops[i].key, ops[i].key_len, prev);
        if (!s_is(at, ops[i].key, ops[i].key_len) || at->owner != owner) {
            continue; /* gone already (a clear), or a later batch's now */
        }
        for (uint8_t l = 0; l < at->levels; l++) {
            PZ_ST_ASSERT(prev[l]->next[l] == at);
            prev[l]->next[l] = at->next[l];
        }
        free(at);
        p->len--;
    }
    while (p->levels > 1 && p->head->next[p->levels - 1] == NULL) {
        p->levels--;
    }
}

const pz__pend_node_t *pz__pend_get(const pz__pend_t *p, const uint8_t *key, size_t key_len)
{
    PZ_ST_ASSERT(p != NULL);
    const pz__pend_node_t *n = s_find(p, key, key_len, NULL);
    return s_is(n, key, key_len) ? n : NULL;
}

const pz__pend_node_t *pz__pend_seek_ge(const pz__pend_t *p, const uint8_t *key, size_t key_len)
{
    PZ_ST_ASSERT(p != NULL);
    return s_find(p, key, key_len, NULL);
}

const pz__pend_node_t *pz__pend_seek_lt(const pz__pend_t *p, const uint8_t *key, size_t key_len)
{
    PZ_ST_ASSERT(p != NULL);
    const pz__pend_node_t *x = p->head;
    for (int l = p->levels - 1; l >= 0; l--) {
        while (x->next[l] != NULL &&
               (key_len == 0 ||
                pz__pend_key_cmp(x->next[l]->key, x->next[l]->key_len, key, key_len) < 0)) {
            x = x->next[l];
        }
    }
    return x == p->head ? NULL : x;
}
