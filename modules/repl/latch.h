/*
 * latch.h — repl's latch manager (internal to repl).
 *
 * A batch declares the key spans it reads and writes. Two batches conflict when a span of one
 * overlaps a span of the other and at least one of the two is a write. A batch runs when it
 * conflicts with no running batch and with no batch that queued before it (FIFO: a later batch
 * never overtakes an earlier one it conflicts with, so writers are not starved). Non-conflicting
 * batches run concurrently.
 *
 * Spans are copied in. Running and waiting batches are kept in plain arrays: concurrency at one
 * replica is small (bounded by PZ_LATCH_WAITERS_MAX). Within a guard, though, a batch may carry
 * thousands of spans (a COPY chunk writes 10,000 rows): comparing every span of one with every
 * span of another took ~100 ms per pair of such batches, and 16 concurrent COPYs spent seconds in
 * it. So each guard also keeps its spans sorted and merged — all of them, and the writes alone —
 * and two guards conflict iff one's writes meet the other's spans: two lists sorted by start are
 * compared in one merge pass, O(n + m).
 */
#ifndef PZ_REPL_LATCH_H
#define PZ_REPL_LATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "phantomzero/codec.h"

typedef struct {
    pz_view_t start; /* owned by the guard */
    pz_view_t end;   /* exclusive; a point key k is [k, k + "\x00") */
    bool write;
} pz__latch_span_t;

typedef struct pz__latch_guard {
    pz__latch_span_t *spans;
    uint32_t spans_len;
    /* The spans, and the write spans, sorted by start with overlapping ones merged (views into
     * spans[]' buffers; their `write` flags mean nothing). */
    pz__latch_span_t *all, *writes;
    uint32_t all_len, writes_len;
    void *owner; /* the caller's: what to resume when the guard is granted */
    bool granted;
} pz__latch_guard_t;

typedef struct {
    pz__latch_guard_t **running;
    uint32_t running_len, running_cap;
    pz__latch_guard_t **waiting; /* FIFO */
    uint32_t waiting_len, waiting_cap;
} pz__latches_t;

/* A new guard for a batch's spans (copied). NULL on allocation failure. */
pz__latch_guard_t *pz__latch_guard_new(const pz__latch_span_t *spans, uint32_t n, void *owner);
/* Acquires: returns 0 with g->granted true, 0 with g->granted false (queued: it will come back
 * from pz__latch_release's list), or PZ_EBUSY when PZ_LATCH_WAITERS_MAX batches already wait. */
int pz__latch_acquire(pz__latches_t *l, pz__latch_guard_t *g);
/* Releases a granted guard and frees it. Guards that can now run are granted and written to
 * ready[] (capacity ready_cap); returns how many. Call again with the rest if it was full. */
uint32_t pz__latch_release(pz__latches_t *l, pz__latch_guard_t *g, pz__latch_guard_t **ready,
                           uint32_t ready_cap);
/* Frees a guard that was never granted, or is abandoned at shutdown. */
void pz__latch_guard_free(pz__latch_guard_t *g);
void pz__latches_clear(pz__latches_t *l);

#endif
