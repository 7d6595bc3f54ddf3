/*
 * repl_gcq.h — the MVCC GC queue of one repl actor (repl_gcq.c says how it decides): a timer
 * walks the replicas and sends storage GC requests, in bounded chunks, for ranges whose history
 * is older than gc.ttl.
 *
 * The decision part (pz__gcq_due, pz__gcq_passed, pz__gcq_parse_duration) is pure and tested on
 * its own; the actor's glue is declared in repl.h and hooked into repl_module.c by four calls
 * (init, fini, the timer, the reply).
 */
#ifndef PZ_REPL_GCQ_H
#define PZ_REPL_GCQ_H

#include <stdbool.h>
#include <stdint.h>

#include "phantomzero/hlc.h"

/* Timer id of the queue (repl_module.c's are small numbers; this one stays out of their way). */
#define PZ_REPL_GCQ_TIMER 0x6763u

/* What the queue knows of one range. */
typedef struct {
    uint64_t range_id;
    pz_hlc_t threshold;  /* gc_ts of the last pass this process finished (zero: none yet) */
    uint64_t next_ms;    /* no pass before this (monotonic ms) */
    uint64_t backoff_ms; /* the wait after a pass that deleted nothing (doubles up to the TTL) */
    bool seen;           /* still a replica here (the sync's mark) */
} pz__gcq_range_t;

/* Parses a duration: an integer with a unit (ms, s, m, h, d; several, "1h30m"), or a bare
 * integer of seconds (CockroachDB's ttlseconds). *ms > 0 on success; PZ_EINVAL otherwise. */
int pz__gcq_parse_duration(const char *s, uint64_t *ms);

/* The queue's interval for a TTL: `interval_ms`, but at most a quarter of the TTL (a test TTL of
 * seconds is looked at within it) and at least PZ_GC_QUEUE_INTERVAL_MIN_MS. */
uint32_t pz__gcq_interval(uint64_t ttl_ms, uint64_t interval_ms);

/* Whether r is due for a pass at now (HLC) / now_ms (monotonic) with this TTL; *gc_ts: the
 * pass's timestamp, now - ttl. */
bool pz__gcq_due(const pz__gcq_range_t *r, pz_hlc_t now, uint64_t now_ms, uint64_t ttl_ms,
                 pz_hlc_t *gc_ts);

/* A pass over r at gc_ts ended: ok (every chunk answered) with `deleted` versions removed.
 * Schedules the next one (see repl_gcq.c). */
void pz__gcq_passed(pz__gcq_range_t *r, bool ok, pz_hlc_t gc_ts, uint64_t deleted,
                    uint64_t now_ms, uint64_t ttl_ms, uint32_t interval_ms);

#endif
