/*
 * mvcc_overlay.h — a batch's own pending writes, ordered by user key (internal).
 *
 * Read-your-writes inside a batch: every read of the batch looks here before the snapshot, and
 * scans merge it with the snapshot. At the end the overlay is the batch's write set: one engine
 * op per distinct key, in key order.
 *
 * A skip list in the evaluation's arena: inserts and ordered seeks in O(log n) without freeing
 * (the arena frees everything at once). Keys and values are views the caller keeps alive for
 * the overlay's life (request bytes or arena copies). Levels come from a fixed-seed generator so
 * evaluation is deterministic. Single-threaded.
 */
#ifndef PZ_STORAGE_MVCC_OVERLAY_H
#define PZ_STORAGE_MVCC_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/codec.h"

/* Skip list height: with p = 1/4, 12 levels keep searches logarithmic to ~16M entries, far
 * above what one batch can write (PZ_BATCH_REQS_MAX plus DEL_RANGE limits). */
#define PZ_OVL_LEVELS_MAX 12

typedef struct pz_ovl_node {
    pz_view_t key;
    pz_view_t value; /* empty for a tombstone */
    bool live;       /* false: a tombstone (DEL, DEL_RANGE) */
    uint8_t levels;
    struct pz_ovl_node *next[]; /* levels entries */
} pz_ovl_node_t;

typedef struct pz_overlay {
    pz_arena_t *a;
    pz_ovl_node_t *head; /* sentinel with PZ_OVL_LEVELS_MAX levels, no key */
    uint8_t levels;      /* levels in use, >= 1 */
    uint64_t rng;
    size_t len;          /* distinct keys */
} pz_overlay_t;

/* A new node's height for a skip list (this one and storage_pend.c's): xorshift64 on *rng,
 * two bits per level, so p = 1/4; at most max. */
static inline uint8_t pz__skip_levels(uint64_t *rng, uint8_t max)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    uint64_t r = *rng;
    uint8_t levels = 1;
    while (levels < max && (r & 3u) == 0) {
        levels++;
        r >>= 2;
    }
    return levels;
}

/* PZ_ENOMEM when the arena is exhausted. */
int pz__ovl_init(pz_overlay_t *o, pz_arena_t *a);
/* The node of key, or NULL. */
const pz_ovl_node_t *pz__ovl_get(const pz_overlay_t *o, pz_view_t key);
/* Sets key to a value (live) or a tombstone, replacing an earlier write of the same key.
 * PZ_ENOMEM when the arena is exhausted. */
int pz__ovl_put(pz_overlay_t *o, pz_view_t key, bool live, pz_view_t value);
/* First node with key >= k, or NULL. */
const pz_ovl_node_t *pz__ovl_seek_ge(const pz_overlay_t *o, pz_view_t k);
/* Last node with key < k, or NULL. */
const pz_ovl_node_t *pz__ovl_seek_lt(const pz_overlay_t *o, pz_view_t k);
/* First node in key order, or NULL; next in order: node->next[0]. */
const pz_ovl_node_t *pz__ovl_first(const pz_overlay_t *o);

#endif
