/*
 * mvcc_intent.h — the stored form of an intent (internal).
 *
 * An intent is a transaction's provisional write of one key, kept in the key's meta record
 * prefix(k) (mvcc_key.h), never as a version: it becomes a version only when its transaction
 * commits and the intent is resolved (mvcc_resolve.c). So a key has at most one intent, and a
 * reader finds it with the same seek that finds the newest version (the meta record sorts first).
 *
 * The record holds the transaction's meta (the fields of pz_kv_txn that a reader or a pusher
 * needs: id, epoch, write_ts, priority, key = the anchor, min_ts, isolation; the others stay
 * zero) and a history: one entry per write sequence of the transaction on this key, ascending
 * by seq. Why a history rather than the last value: a savepoint rollback marks sequences as
 * ignored, and then the newest entry not ignored is the intent's value again (CockroachDB's
 * IntentHistory). An entry is a value, a tombstone, or a lock (SELECT FOR UPDATE: no value).
 *
 * Shared locks (SELECT FOR SHARE / FOR KEY SHARE, req.lock PZ_LOCK_SHARED) are a set beside the
 * history: one holder per transaction, each with its meta and the seq that took it (a savepoint
 * rollback past that seq drops it, mvcc_resolve.c). Holders coexist with each other; a writer
 * or an exclusive locking read of another transaction waits on them (PZ_EWRITE_INTENT naming
 * one). So a record is one of:
 *   hist only                 one transaction's intent or exclusive lock (txn is its meta)
 *   shared only               txn is zero (no id), hist is empty, shared has >= 1 holder
 *   hist + shared             the transaction of txn also holds a shared lock, and it is the
 *                             only holder (it upgraded: it wrote or locked the key exclusively
 *                             after taking the shared lock; a rollback of the write leaves it)
 * A record is deleted when both are empty. Records written before shared locks existed decode
 * with no holders (the field is appended, codec.h).
 */
#ifndef PZ_STORAGE_MVCC_INTENT_H
#define PZ_STORAGE_MVCC_INTENT_H

#include "phantomzero/codec.h"
#include "phantomzero/kv.h"

/* Write sequences one intent remembers: a transaction that writes one key in more statements
 * than this gets PZ_ELIMIT (a history is rewritten whole on every write of the key, so its size
 * is also the cost of the next write). */
#define PZ_MVCC_INTENT_HISTORY_MAX 1024
/* Shared holders one key keeps: one more FOR SHARE reader gets PZ_ELIMIT (the set is rewritten
 * whole on each new holder, so its size is also the cost of the next one). */
#define PZ_MVCC_SHARED_MAX 256

#define PZ_SCHEMA_pz_mvcc_hist(X)                                                                \
    X(U32, seq, _, _)                                                                            \
    X(U8, tag, _, _)      /* PZ_MVCC_TAG_VALUE, _TOMBSTONE or _LOCK */                           \
    X(BYTES, value, _, _) /* VALUE: the user value */
PZ_SCHEMA_DECLARE(pz_mvcc_hist)

/* A shared lock holder: the transaction's meta (pz__mvcc_txn_meta) and the seq of its first
 * shared lock on the key. */
#define PZ_SCHEMA_pz_mvcc_holder(X)                                                              \
    X(STRUCT, txn, pz_kv_txn, _)                                                                 \
    X(U32, seq, _, _)
PZ_SCHEMA_DECLARE(pz_mvcc_holder)

#define PZ_SCHEMA_pz_mvcc_intent(X)                                                              \
    X(STRUCT, txn, pz_kv_txn, _)                                                                 \
    X(ARR, hist, pz_mvcc_hist, PZ_MVCC_INTENT_HISTORY_MAX)                                       \
    X(ARR, shared, pz_mvcc_holder, PZ_MVCC_SHARED_MAX) /* added with shared locks */
PZ_SCHEMA_DECLARE(pz_mvcc_intent)

/* The newest entry of in->hist that is not a lock and whose seq is outside the ignored ranges
 * of txn (the reader, or the committing transaction); NULL when there is none. */
const pz_mvcc_hist_t *pz__mvcc_intent_visible(const pz_mvcc_intent_t *in, const pz_kv_txn_t *txn);

/* The first holder of in that blocks a request of transaction t (NULL: non-transactional):
 * another transaction's intent or exclusive lock, and unless the request only wants a shared
 * lock (shared), another transaction's shared lock. NULL when nothing blocks it. */
const pz_kv_txn_t *pz__mvcc_intent_blocker(const pz_mvcc_intent_t *in, const pz_kv_txn_t *t,
                                           bool shared);

/* True when seq lies in one of txn's ignored ranges. */
bool pz__mvcc_seq_ignored(const pz_kv_txn_t *txn, uint32_t seq);

/* The meta an intent or a record keeps of txn: everything but the per-batch fields (read_ts,
 * uncertainty_limit, seq, ignored), with write_ts as given. Views point into txn. */
pz_kv_txn_t pz__mvcc_txn_meta(const pz_kv_txn_t *txn, pz_hlc_t write_ts);

#endif
