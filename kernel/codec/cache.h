/*
 * cache.h — per-thread free lists for the fixed-size blocks every message allocates (cache.c).
 */
#ifndef PZ_CODEC_CACHE_H
#define PZ_CODEC_CACHE_H

#include <stddef.h>

/* One list per kind; every block of a kind has the same size. */
typedef enum {
    PZ__CACHE_MSG,   /* a received message and its frame holder (msg.c) */
    PZ__CACHE_OUT,   /* an outgoing message with its inline body (msg.c) */
    PZ__CACHE_ARENA, /* an arena's header (arena.c) */
    PZ__CACHE_CHUNK, /* an arena's first, smallest chunk (arena.c) */
    PZ__CACHE_KINDS
} pz__cache_kind_t;

/* A block of `size` bytes (always the same size for a kind), uninitialized: from this thread's
 * list, else malloc. NULL on allocation failure. */
void *pz__cache_get(pz__cache_kind_t kind, size_t size);
/* Gives a block back to this thread's list, or free() when the list is full. Safe on NULL. */
void pz__cache_put(pz__cache_kind_t kind, void *block);

#endif
