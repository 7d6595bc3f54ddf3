/*
 * tscache.h — repl's timestamp cache (internal to repl): the newest timestamp at which each key
 * span was read, and by which transaction.
 *
 * Why: a write must never land at or below a read of the same key by another transaction that
 * has already been served, or that read would stop being repeatable (serializability breaks).
 * Before a write batch goes to storage, repl asks the cache for the newest read over the written
 * spans and moves the write timestamp just above it unless that read was the writer's own
 * (CockroachDB's tscache). Reads of the writer's own transaction are always at or below its
 * write timestamp, so keeping only the newest read (with its reader) per span is enough; when two
 * different readers share the newest timestamp the entry keeps no reader, which counts as
 * "another".
 *
 * Layout: point keys (GET, and everything else read as one key) live in an open-addressing hash,
 * key spans (scans, refreshes) in a sorted array of non-overlapping intervals. Both are bounded;
 * when one is full, the older half of it is dropped and the low-water mark is raised to the
 * newest timestamp dropped, so every key still reads at least as new as anything forgotten —
 * exactly what CockroachDB does when it rotates its cache pages. A fresh cache starts with the
 * low-water mark at the replica's start time, because reads served before a restart are unknown.
 *
 * Pure: no kernel calls; time comes in as arguments. One actor owns a cache: not thread-safe.
 */
#ifndef PZ_REPL_TSCACHE_H
#define PZ_REPL_TSCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "phantomzero/hlc.h"
#include "phantomzero/limits.h"

/* Point keys remembered before the older half is dropped (each owns a copy of its key). */
#define PZ_TSCACHE_POINTS_MAX 65536u
/* Non-overlapping span pieces remembered; inserting one moves the array's tail, so this stays
 * small enough for a memmove to be cheap (a scan's span is one piece or a few). */
#define PZ_TSCACHE_SPANS_MAX 4096u

/* A cached read: its timestamp and, when one transaction alone read at it, that transaction's
 * id (has_txn false: a non-transactional read, several readers, or the low-water mark). */
typedef struct {
    pz_hlc_t ts;
    bool has_txn;
    uint8_t txn[PZ_TXN_ID_BYTES];
} pz__tsc_read_t;

typedef struct pz__tscache pz__tscache_t;

/* A cache whose low-water mark is low_water; points_max/spans_max 0 mean the defaults above
 * (tests pass small bounds to exercise eviction). NULL on allocation failure. */
pz__tscache_t *pz__tscache_new(pz_hlc_t low_water, uint32_t points_max, uint32_t spans_max);
void pz__tscache_free(pz__tscache_t **c);

/* Records a read of [start, end) — or of the key start when end is empty — at ts by txn_id
 * (empty: non-transactional; only the first PZ_TXN_ID_BYTES bytes count). A span whose end is
 * not above its start records nothing. PZ_ENOMEM leaves the cache as it was, except that it may
 * have raised the low-water mark, which is always safe. */
int pz__tscache_add(pz__tscache_t *c, pz_view_t start, pz_view_t end, pz_hlc_t ts,
                    pz_view_t txn_id);

/* The newest read over [start, end) (or the key start): at least the low-water mark. */
pz__tsc_read_t pz__tscache_get(const pz__tscache_t *c, pz_view_t start, pz_view_t end);

/* Where a write by txn_id (empty: non-transactional) at wts over [start, end) may land: wts, or
 * just above the newest read over the span by someone else when that read is at or above wts. */
pz_hlc_t pz__tscache_write_ts(const pz__tscache_t *c, pz_view_t start, pz_view_t end, pz_hlc_t wts,
                              pz_view_t txn_id);

pz_hlc_t pz__tscache_low_water(const pz__tscache_t *c);
/* Raises the low-water mark to ts (never lowers it): always safe, e.g. when a read cannot be
 * recorded for lack of memory. */
void pz__tscache_raise_low_water(pz__tscache_t *c, pz_hlc_t ts);
/* Entries held (points, span pieces): for tests and metrics. */
uint32_t pz__tscache_points(const pz__tscache_t *c);
uint32_t pz__tscache_spans(const pz__tscache_t *c);

#endif
