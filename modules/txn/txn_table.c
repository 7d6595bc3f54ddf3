/*
 * txn_table.c — the coordinator's open transactions by id (txn_int.h): open addressing with
 * linear probing over random ids (their first bytes are the hash), backward-shift deletion so
 * no tombstones pile up. At most PZ_TXN_OPEN_MAX, the table at most half full.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "txn_int.h"

int pz__txn_table_init(pz__txn_table_t *t, uint32_t cap)
{
    assert(t != NULL);
    assert(cap >= 2 * PZ_TXN_OPEN_MAX && (cap & (cap - 1)) == 0);
    t->slots = calloc(cap, sizeof *t->slots);
    t->cap = cap;
    t->len = 0;
    return t->slots ? 0 : PZ_ENOMEM;
}

void pz__txn_free(pz__txn_t *x)
{
    if (x == NULL) {
        return;
    }
    pz__spans_free(&x->locks);
    pz__spans_free(&x->reads);
    free(x->anchor);
    free(x);
}

void pz__txn_table_free(pz__txn_table_t *t)
{
    for (uint32_t i = 0; t->slots != NULL && i < t->cap; i++) {
        pz__txn_free(t->slots[i]);
    }
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static uint32_t s_hash(const uint8_t *id, uint32_t cap)
{
    uint32_t h;
    memcpy(&h, id, sizeof h); /* ids are random */
    return h & (cap - 1);
}

pz__txn_t *pz__txn_find(const pz__txn_table_t *t, pz_view_t id)
{
    assert(t != NULL && t->slots != NULL);
    if (id.len != PZ_TXN_ID_BYTES) {
        return NULL;
    }
    for (uint32_t i = s_hash(id.ptr, t->cap);; i = (i + 1) & (t->cap - 1)) {
        pz__txn_t *x = t->slots[i];
        if (x == NULL) {
            return NULL;
        }
        if (memcmp(x->id, id.ptr, PZ_TXN_ID_BYTES) == 0) {
            return x;
        }
    }
}

int pz__txn_insert(pz__txn_table_t *t, pz__txn_t *x)
{
    assert(t != NULL && x != NULL);
    if (t->len >= PZ_TXN_OPEN_MAX) {
        return PZ_ELIMIT;
    }
    uint32_t i = s_hash(x->id, t->cap);
    while (t->slots[i] != NULL) {
        if (memcmp(t->slots[i]->id, x->id, PZ_TXN_ID_BYTES) == 0) {
            return PZ_EEXISTS;
        }
        i = (i + 1) & (t->cap - 1);
    }
    t->slots[i] = x;
    x->slot = i;
    t->len++;
    assert(t->len * 2 <= t->cap);
    return 0;
}

void pz__txn_remove(pz__txn_table_t *t, pz__txn_t *x)
{
    assert(t != NULL && x != NULL);
    uint32_t i = x->slot;
    assert(t->slots[i] == x);
    t->slots[i] = NULL;
    t->len--;
    /* Backward shift: move later members of the probe run into the hole when their home slot
     * does not lie (cyclically) between the hole and them. */
    for (uint32_t j = (i + 1) & (t->cap - 1); t->slots[j] != NULL; j = (j + 1) & (t->cap - 1)) {
        uint32_t home = s_hash(t->slots[j]->id, t->cap);
        bool stays = (j > i) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            t->slots[i]->slot = i;
            t->slots[j] = NULL;
            i = j;
        }
    }
    pz__txn_free(x);
}

int pz__txn_meta(const pz__txn_t *x, pz_arena_t *a, pz_kv_txn_t *out)
{
    assert(x != NULL && a != NULL && out != NULL);
    pz_kv_txn_t m = {
        .id = {x->id, PZ_TXN_ID_BYTES},
        .epoch = x->epoch,
        .read_ts = x->read_ts,
        .write_ts = x->write_ts,
        .priority = x->priority,
        .key = {x->anchor, x->anchor_len},
        .min_ts = x->min_ts,
        .uncertainty_limit = x->unc_limit,
        .seq = x->seq,
        .isolation = x->isolation,
    };
    if (x->ignored_len > 0) {
        m.ignored = pz_arena_alloc(a, sizeof *m.ignored * x->ignored_len);
        if (m.ignored == NULL) {
            return PZ_ENOMEM;
        }
        memcpy(m.ignored, x->ignored, sizeof *m.ignored * x->ignored_len);
        m.ignored_len = x->ignored_len;
    }
    *out = m;
    return 0;
}
