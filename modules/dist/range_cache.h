/*
 * range_cache.h — dist's cache of range descriptors, ordered by end key (internal to dist).
 *
 * The range holding key k is the first entry whose end key is greater than k, provided its
 * start key is at or below k. Entries own their bytes. Bounded by PZ_RANGE_CACHE_MAX: past it the
 * cache is cleared (a miss only costs a lookup).
 */
#ifndef PZ_DIST_RANGE_CACHE_H
#define PZ_DIST_RANGE_CACHE_H

#include "phantomzero/kv.h"

typedef struct {
    uint64_t range_id;
    uint64_t generation;
    pz_view_t start;              /* owned */
    pz_view_t end;                /* owned */
    char addr[PZ_ADDR_BYTES_MAX]; /* the replica to send to (the first replica, for now) */
} pz__range_t;

typedef struct {
    pz__range_t *items;
    uint32_t len;
    uint32_t cap;
} pz__range_cache_t;

/* The cached range holding key, or NULL. The pointer is valid until the next put/evict. */
const pz__range_t *pz__range_cache_find(const pz__range_cache_t *c, pz_view_t key);
/* Inserts or replaces (an older generation never replaces a newer one); overlapping stale
 * entries are removed. */
int pz__range_cache_put(pz__range_cache_t *c, const pz_range_desc_t *d);
/* Removes the entry holding key, if any. */
void pz__range_cache_evict(pz__range_cache_t *c, pz_view_t key);
void pz__range_cache_clear(pz__range_cache_t *c);

#endif
