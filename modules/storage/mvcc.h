/*
 * mvcc.h — evaluation of a KV batch with MVCC over an engine snapshot (internal).
 *
 * Pure logic over the engine wrapper: no kernel runtime (no logging, metrics or messaging), so
 * unit tests drive it directly against a real engine plugin.
 *
 * Threading: one evaluation uses its snapshot and arena from one thread.
 */
#ifndef PZ_STORAGE_MVCC_H
#define PZ_STORAGE_MVCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_wrap.h"
#include "phantomzero/kv.h"

/* Evaluation passes for write-too-old. A pass that finds a version at or above its timestamp
 * on a written key reruns the batch just above it; point writes are settled by a pre-check, so
 * only a DEL_RANGE that reaches new keys at the higher timestamp needs a third pass. Past this
 * bound the batch fails with PZ_EBUSY (the caller retries) rather than loop on a hot span. */
#define PZ_MVCC_EVAL_PASSES_MAX 8

/* What evaluation needs from the storage actor, which owns the clock and the caches (so that
 * evaluation itself stays free of kernel calls). */
typedef struct pz_mvcc_env {
    pz_hlc_t now;          /* the actor's clock (pz_hlc_now()): heartbeats and expiry */
    bool gc_known;         /* gc_threshold is header.range_id's; else evaluation reads it */
    pz_hlc_t gc_threshold; /* reads below it fail with PZ_EGC_THRESHOLD; zero: none */
} pz_mvcc_env_t;

/* The outcome of evaluating one batch. */
typedef struct pz_mvcc_result {
    /* The batch response. On success resp.error.code is 0 and resps has one entry per request;
     * on failure resps is empty and error says why. Its views point into the batch's own bytes
     * and the arena given to pz__mvcc_eval, never into the snapshot: the snapshot may close as
     * soon as evaluation returns. */
    pz_kv_batch_resp_t resp;
    /* The write set as engine ops (PUTs of versions and tombstones at resp.ts), in key order,
     * in the arena. Empty on failure or when nothing is written. */
    const pz_engine_op_t *ops;
    size_t ops_len;
    size_t ops_bytes; /* key + value bytes of ops: the group commit's byte bound */
    /* The range's GC threshold as evaluation knows it (read from the snapshot when env did not
     * know it, or raised by a GC request): gc_known says the actor should cache it. */
    bool gc_known;
    pz_hlc_t gc_threshold;
} pz_mvcc_result_t;

/* Evaluates batch b at b->header.ts (raised by write-too-old, see mvcc.c) against snap; a
 * transactional batch reads at txn.read_ts and writes intents at txn.write_ts (kv.h).
 * Returns 0 on success; otherwise the negative code that is also in out->resp.error.code:
 *   PZ_EINVAL        a malformed request (error.index names it) or a zero header.ts
 *   PZ_ECONDFAILED   a CPUT's condition (error.index, has_actual, actual_value)
 *   PZ_EWRITE_INTENT another transaction's intent (error.intent, error.index)
 *   PZ_EUNCERTAIN    a version in the uncertainty window (error.existing_ts)
 *   PZ_EWRITE_TOO_OLD  a locking read met a version above read_ts (error.existing_ts)
 *   PZ_EGC_THRESHOLD a read below the range's GC threshold (error.existing_ts)
 *   PZ_ETXN_ABORTED, PZ_ETXN_RETRY, PZ_EPUSH_FAILED  transaction ops (kv.h)
 *   PZ_ELIMIT        an intent's history or a record's spans past their bound
 *   PZ_ENOMEM        the arena is exhausted (PZ_ARENA_BYTES_MAX) or malloc failed
 *   PZ_ECORRUPT, PZ_EIO, ...  from the engine
 *   PZ_EBUSY         write-too-old did not settle in PZ_MVCC_EVAL_PASSES_MAX passes
 * The arena must outlive every use of out. */
int pz__mvcc_eval(pz_eng_snap_t *snap, const pz_kv_batch_t *b, const pz_mvcc_env_t *env,
                  pz_arena_t *a, pz_mvcc_result_t *out);

/* Turns a response into a failed one: error code, request index (-1: the whole batch), a
 * static message; the per-request responses are dropped. Used for commit failures. */
void pz__mvcc_fail(pz_kv_batch_resp_t *resp, int code, int32_t index, const char *message);

#endif
