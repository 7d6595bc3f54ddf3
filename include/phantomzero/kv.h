/*
 * kv.h — the KV protocol: one batch of requests flows down sql → txn → dist → repl → storage,
 * each layer filling in what it owns, and one batch response flows back up.
 *
 *   txn      sets header.ts (an HLC timestamp) for non-transactional batches; later, header.txn
 *   dist     sets header.range_id after addressing the keys to a range, and splits a batch that
 *            spans ranges
 *   repl     latches the keys, checks the range, and hands the batch to storage
 *   storage  evaluates it with MVCC at header.ts and applies the writes atomically
 *
 * Semantics of each request (op):
 *   GET         newest version of key at or below ts; resp.found, value, ts
 *   PUT         writes value at ts (if a newer version exists, the write moves above it and the
 *               batch response's ts says where it landed)
 *   CPUT        PUT only if the current value equals exp_value (exp_exists) or the key is absent
 *               (!exp_exists); otherwise the batch fails with PZ_ECONDFAILED, error.index naming
 *               the request and error.actual_value the value found
 *   DEL         writes a tombstone at ts; resp.num_deleted is 1 if a live value was there
 *   DEL_RANGE   tombstones every live key in [key, end_key); resp.num_deleted counts them
 *   SCAN        live keys in [key, end_key) ascending, at most limit (0: batch max_keys or
 *               PZ_SCAN_KEYS_MAX); resp.kvs, and resume_key when it stopped early
 *   RSCAN       the same, descending from end_key
 *
 * A batch is atomic: either every write in it applies, or none does (error set).
 *
 * Transactions (CockroachDB's protocol; docs/ARCHITECTURE.md "Transactions" tells the whole
 * story). A batch whose header carries txn is part of that transaction:
 *   reads       at txn.read_ts. A committed version in (read_ts, txn.uncertainty_limit] fails
 *               the batch with PZ_EUNCERTAIN (error.existing_ts: the coordinator refreshes to
 *               it). Another transaction's intent at or below the uncertainty limit fails the
 *               batch with PZ_EWRITE_INTENT (error.intent); repl turns that into a wait and a
 *               push and re-runs the batch, so it reaches txn only if the wait failed. The
 *               transaction's own intents are read (the newest sequence not in txn.ignored).
 *   writes      provisional values ("intents") at txn.write_ts, visible only to their
 *               transaction until resolved. A write under a newer committed version, or under the
 *               timestamp cache (a read at or above write_ts by anyone else), moves write_ts up:
 *               the batch response's txn carries it, and the coordinator must refresh its reads
 *               before it commits at the higher timestamp. Writes meet foreign intents at any
 *               timestamp as PZ_EWRITE_INTENT.
 *   req.lock    on GET/SCAN/RSCAN: a lock on every key returned. PZ_LOCK_EXCLUSIVE (SELECT FOR
 *               UPDATE, and the rows UPDATE and DELETE fetch) is an intent with no new value;
 *               PZ_LOCK_SHARED (FOR SHARE) joins the key's set of shared holders, which coexist
 *               with each other, while a write or an exclusive lock of another transaction
 *               meets them as PZ_EWRITE_INTENT (error.intent names one holder; repl waits on it
 *               and meets the next when it is resolved). A holder alone may upgrade (write).
 *               Plain reads never wait on locks of either kind. Commit, abort and RESOLVE
 *               release shared locks as they resolve intents; a RESOLVE with status PENDING
 *               drops the entries (history and shared) whose seq is in pushee.ignored.
 *               A locking read waits on every foreign intent, has no uncertainty window, and
 *               never returns an older value than the newest committed one: a committed version
 *               above read_ts on a key it reads (or passes, for a scan) fails the batch with
 *               PZ_EWRITE_TOO_OLD, nothing written (error.existing_ts: the newest such version;
 *               the coordinator moves the transaction above it and sends the batch again).
 *   pipelining  header.pipeline (set by txn on its batches that write or lock, with durable
 *               false): storage answers once the batch is evaluated and commits it in the
 *               background. Either its writes are shown to every later evaluation until the
 *               commit (storage's pending table: the answer is an ordinary one, repl releases
 *               the latches) or the answer carries resp.pending = a token and repl keeps the
 *               batch's latches until PZ_MSG_KV_COMMIT_WAIT(token) answers that the commit is
 *               done. Either way nobody reads around a write that is not in the engine yet. An
 *               END_TXN commit is committed after every pipelined batch of its transaction,
 *               and fails (the transaction is aborted) if one of them failed; its durable commit
 *               then makes them durable too (one store: the engine syncs every earlier commit).
 *               With intents on several stores the END_TXN will have to ask each one (a later
 *               issue; CockroachDB's QueryIntent).
 * A batch without txn is a transaction of its own that commits at once (reads at header.ts,
 * writes at header.ts or above): it obeys intents and the timestamp cache the same way.
 *
 * Transaction ops (key = the transaction's anchor key, txn.key: dist routes them to the range
 * holding it; the record itself lives in that range's local keyspace, keys.h):
 *   HEARTBEAT_TXN  creates the PENDING record or refreshes its heartbeat (header.txn);
 *                  PZ_ETXN_ABORTED if it was aborted. resp.ext.record: the record after.
 *   END_TXN        ext.commit: COMMITTED at header.txn.write_ts, else ABORTED; ext.spans are the
 *                  transaction's lock spans, and those inside this range are resolved in the
 *                  same batch (the rest is the coordinator's to resolve). PZ_ETXN_ABORTED if the
 *                  record is aborted; PZ_ETXN_RETRY if the record's write_ts was pushed above
 *                  header.txn.write_ts (error.existing_ts: where to refresh to).
 *   PUSH_TXN       ext.pushee (from the intent), ext.pusher (absent for a non-transactional
 *                  request), ext.push_type. Succeeds when the pushee is finalized, expired (no
 *                  heartbeat for PZ_TXN_EXPIRY_MS), ext.force, has lower priority, or (a timestamp
 *                  push) is READ COMMITTED; a timestamp push moves the record's write_ts above
 *                  ext.push_to, an abort push writes an ABORTED record. Otherwise
 *                  PZ_EPUSH_FAILED, and repl queues the push until the record changes.
 *                  resp.ext.record: the pushee's record after.
 *   QUERY_TXN      resp.ext.record, and resp.ext.deps: the transactions whose pushes wait on it
 *                  at this range (deadlock detection).
 *   RESOLVE        [key, end_key) or key: every intent of ext.pushee (id, epoch) is committed at
 *                  pushee.write_ts (ext.status COMMITTED: the newest sequence not in
 *                  pushee.ignored becomes a version), removed (ABORTED) or moved up to
 *                  pushee.write_ts (PENDING, which also drops the history entries and shared
 *                  locks of seqs in pushee.ignored: a savepoint rollback releases its locks;
 *                  nothing left, the intent goes). Its shared locks go on COMMITTED and
 *                  ABORTED. resp.num_deleted: intents (and locks) resolved.
 *   REFRESH        [key, end_key) or key: PZ_ETXN_RETRY (reason "refresh") if a version committed
 *                  in (ext.from_ts, header.txn.write_ts] or a foreign intent at or below it.
 *   GC             [key, end_key): removes versions shadowed at or below ext.gc_ts (a tombstone
 *                  that is the newest below it goes too) and raises the range's GC threshold;
 *                  reads below the threshold fail with PZ_EGC_THRESHOLD.
 *   SPLIT          admin: splits the range holding key at key (key becomes the new range's
 *                  start). resp.ext.ranges: the two descriptors.
 */
#ifndef PHANTOMZERO_KV_H
#define PHANTOMZERO_KV_H

#include "phantomzero/codec.h"
#include "phantomzero/hlc.h"
#include "phantomzero/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pz_kv_op {
    PZ_KV_GET = 1,
    PZ_KV_PUT = 2,
    PZ_KV_CPUT = 3,
    PZ_KV_DEL = 4,
    PZ_KV_DEL_RANGE = 5,
    PZ_KV_SCAN = 6,
    PZ_KV_RSCAN = 7,
    PZ_KV_HEARTBEAT_TXN = 8,
    PZ_KV_END_TXN = 9,
    PZ_KV_PUSH_TXN = 10,
    PZ_KV_QUERY_TXN = 11,
    PZ_KV_RESOLVE = 12,
    PZ_KV_REFRESH = 13,
    PZ_KV_GC = 14,
    PZ_KV_SPLIT = 15,
};

/* Transaction status, in records and in RESOLVE. */
enum pz_txn_status {
    PZ_TXN_PENDING = 1,
    PZ_TXN_COMMITTED = 2,
    PZ_TXN_ABORTED = 3,
};

enum pz_txn_isolation {
    PZ_ISO_SERIALIZABLE = 0,
    PZ_ISO_READ_COMMITTED = 1,
};

/* Why a record is ABORTED: the coordinator turns it into the client's error (a deadlock victim
 * gets 40P01, the others 40001). */
enum pz_abort_reason {
    PZ_ABORT_CLIENT = 1,   /* ROLLBACK, or the coordinator gave up */
    PZ_ABORT_EXPIRED = 2,  /* no heartbeat for PZ_TXN_EXPIRY_MS: a pusher aborted it */
    PZ_ABORT_PUSHED = 3,   /* a pusher of higher priority */
    PZ_ABORT_DEADLOCK = 4, /* chosen to break a deadlock (a PUSH_TXN with ext.force) */
};

/* PUSH_TXN: what the pusher needs. */
enum pz_push_type {
    PZ_PUSH_TIMESTAMP = 1, /* a reader: the pushee must commit above push_to */
    PZ_PUSH_ABORT = 2,     /* a writer: the pushee must be finished */
    PZ_PUSH_TOUCH = 3,     /* only if finished or expired (a waiter checking on the holder) */
};

/* req.lock */
enum pz_lock_strength {
    PZ_LOCK_NONE = 0,
    PZ_LOCK_EXCLUSIVE = 1, /* FOR UPDATE / FOR NO KEY UPDATE, and UPDATE/DELETE's row reads */
    PZ_LOCK_SHARED = 2,    /* FOR SHARE / FOR KEY SHARE: coexists with other shared holders */
};

/* header.wait_policy: what a request does when it meets a lock it cannot push. */
enum pz_wait_policy {
    PZ_WAIT_BLOCK = 0, /* wait (up to header.lock_timeout_ms when set) */
    PZ_WAIT_ERROR = 1, /* NOWAIT: fail at once with PZ_ELOCK_NOWAIT */
    /* Internal, non-transactional reads only (a split's middle-key scan): foreign intents are
     * passed over as if absent and nothing is uncertain — no consistency, never a conflict. */
    PZ_WAIT_INCONSISTENT = 2,
};

/* "GET" ... or NULL. */
const char *pz_kv_op_name(uint8_t op);
/* True for ops that write. */
bool pz_kv_op_is_write(uint8_t op);
/* True for ops over [key, end_key) rather than one key (GC; RESOLVE and REFRESH are spans
 * when end_key is set). */
bool pz_kv_op_is_span(uint8_t op);
/* True for the transaction record ops (HEARTBEAT_TXN ... QUERY_TXN): key is an anchor, and the
 * op reads or writes the record in that range's local keyspace. */
bool pz_kv_op_is_txn(uint8_t op);

/* Sequence numbers [start, end] of a transaction's writes that a savepoint rollback undid. */
#define PZ_SCHEMA_pz_kv_seq_range(X)                                                             \
    X(U32, start, _, _)                                                                          \
    X(U32, end, _, _)
PZ_SCHEMA_DECLARE(pz_kv_seq_range)

/* A key span: [key, end_key), or the one key when end_key is empty. */
#define PZ_SCHEMA_pz_kv_span(X)                                                                  \
    X(BYTES, key, _, _)                                                                          \
    X(BYTES, end_key, _, _)
PZ_SCHEMA_DECLARE(pz_kv_span)

/* A transaction's identity and timestamps, as the coordinator (txn) fills them; the same struct
 * is the meta of every intent and the body of the record. */
#define PZ_SCHEMA_pz_kv_txn(X)                                                                   \
    X(BYTES, id, _, _)                /* PZ_TXN_ID_BYTES random bytes */                         \
    X(U32, epoch, _, _)               /* restarts; intents of older epochs are discarded */      \
    X(STRUCT, read_ts, pz_hlc, _)     /* the snapshot reads see */                               \
    X(STRUCT, write_ts, pz_hlc, _)    /* provisional commit timestamp, >= read_ts */             \
    X(U32, priority, _, _)            /* higher wins a push; random within a class */            \
    X(BYTES, key, _, _)               /* anchor: the record lives in this key's range */         \
    X(STRUCT, min_ts, pz_hlc, _)      /* when it began (expiry before the first heartbeat) */    \
    X(STRUCT, uncertainty_limit, pz_hlc, _) /* read_ts + the clock's max offset */               \
    X(U32, seq, _, _)                 /* sequence of this batch's writes */                      \
    X(U8, isolation, _, _)            /* enum pz_txn_isolation */                                \
    X(ARR, ignored, pz_kv_seq_range, PZ_TXN_IGNORED_MAX)
PZ_SCHEMA_DECLARE(pz_kv_txn)

/* A transaction record (PZ_KV_HEARTBEAT_TXN ... QUERY_TXN answers). */
#define PZ_SCHEMA_pz_kv_txn_record(X)                                                            \
    X(STRUCT, txn, pz_kv_txn, _)                                                                 \
    X(U8, status, _, _)                  /* enum pz_txn_status */                                \
    X(STRUCT, last_heartbeat, pz_hlc, _)                                                         \
    X(ARR, lock_spans, pz_kv_span, PZ_TXN_SPANS_MAX) /* COMMITTED/ABORTED: left to resolve */ \
    X(U8, abort_reason, _, _)            /* ABORTED: enum pz_abort_reason */
PZ_SCHEMA_DECLARE(pz_kv_txn_record)

#define PZ_SCHEMA_pz_kv_header(X)                                                                \
    X(STRUCT, ts, pz_hlc, _)  /* read and write timestamp; zero until txn sets it */             \
    X(U64, range_id, _, _)    /* set by dist; 0 until then */                                    \
    X(OPT, txn, pz_kv_txn, _) /* absent: a non-transactional batch */                            \
    X(BOOL, durable, _, _)    /* writes fsynced before the reply (default for clients) */        \
    X(U32, max_keys, _, _)    /* bound on keys returned by all scans of the batch; 0 = default */ \
    X(STR, gateway, _, _)     /* node that took the request from the client (diagnostics) */ \
    X(U32, lock_timeout_ms, _, _) /* a wait for a lock longer than this: PZ_ELOCK_TIMEOUT */     \
    X(U8, wait_policy, _, _)  /* enum pz_wait_policy */                                      \
    X(BOOL, pipeline, _, _)   /* a transaction's write: answer after evaluation (see top) */
PZ_SCHEMA_DECLARE(pz_kv_header)

/* What the transaction ops carry (absent on reads and writes). */
#define PZ_SCHEMA_pz_kv_req_ext(X)                                                               \
    X(BOOL, commit, _, _)             /* END_TXN */                                              \
    X(ARR, spans, pz_kv_span, PZ_TXN_SPANS_MAX) /* END_TXN: lock spans */                        \
    X(U8, push_type, _, _)            /* PUSH_TXN: enum pz_push_type */                          \
    X(STRUCT, push_to, pz_hlc, _)     /* PUSH_TXN timestamp */                                   \
    X(BOOL, force, _, _)              /* PUSH_TXN: break a deadlock regardless of priority */    \
    X(OPT, pusher, pz_kv_txn, _)      /* PUSH_TXN */                                             \
    X(OPT, pushee, pz_kv_txn, _)      /* PUSH_TXN, QUERY_TXN, RESOLVE: the other transaction */  \
    X(U8, status, _, _)               /* RESOLVE: enum pz_txn_status */                          \
    X(STRUCT, from_ts, pz_hlc, _)     /* REFRESH */                                              \
    X(STRUCT, gc_ts, pz_hlc, _)       /* GC */
PZ_SCHEMA_DECLARE(pz_kv_req_ext)

#define PZ_SCHEMA_pz_kv_req(X)                                                                   \
    X(U8, op, _, _)                                                                              \
    X(BYTES, key, _, _)                                                                          \
    X(BYTES, end_key, _, _)                                                                      \
    X(BYTES, value, _, _)                                                                        \
    X(BYTES, exp_value, _, _)                                                                    \
    X(BOOL, exp_exists, _, _)                                                                    \
    X(U32, limit, _, _)                                                                          \
    X(U8, lock, _, _)                 /* GET/SCAN/RSCAN in a txn: enum pz_lock_strength */       \
    X(OPT, ext, pz_kv_req_ext, _)
PZ_SCHEMA_DECLARE(pz_kv_req)

#define PZ_SCHEMA_pz_kv_kv(X)                                                                    \
    X(BYTES, key, _, _)                                                                          \
    X(BYTES, value, _, _)                                                                        \
    X(STRUCT, ts, pz_hlc, _)
PZ_SCHEMA_DECLARE(pz_kv_kv)

/* One replica of a range: where it lives. */
#define PZ_SCHEMA_pz_replica_desc(X)                                                             \
    X(U32, node_id, _, _)                                                                        \
    X(U32, store_id, _, _)                                                                       \
    X(U32, replica_id, _, _)                                                                     \
    X(STR, addr, _, _) /* the repl actor's address */
PZ_SCHEMA_DECLARE(pz_replica_desc)

/* A range: the key span [start_key, end_key) and its replicas. Stored in the meta keyspace. */
#define PZ_SCHEMA_pz_range_desc(X)                                                               \
    X(U64, range_id, _, _)                                                                       \
    X(BYTES, start_key, _, _)                                                                    \
    X(BYTES, end_key, _, _)                                                                      \
    X(U64, generation, _, _)                                                                     \
    X(ARR, replicas, pz_replica_desc, PZ_REPLICAS_MAX)
PZ_SCHEMA_DECLARE(pz_range_desc)

/* Answers of the transaction ops and SPLIT. */
#define PZ_SCHEMA_pz_kv_resp_ext(X)                                                              \
    X(OPT, record, pz_kv_txn_record, _) /* HEARTBEAT/END/PUSH/QUERY_TXN */                       \
    X(ARR, deps, pz_kv_txn, PZ_TXN_DEPS_MAX) /* QUERY_TXN: pushers waiting on it */              \
    X(ARR, ranges, pz_range_desc, 2)  /* SPLIT: left and right */
PZ_SCHEMA_DECLARE(pz_kv_resp_ext)

#define PZ_SCHEMA_pz_kv_resp(X)                                                                  \
    X(U8, op, _, _)                                                                              \
    X(BOOL, found, _, _)                                                                         \
    X(BYTES, value, _, _)                                                                        \
    X(STRUCT, ts, pz_hlc, _)                                                                     \
    X(ARR, kvs, pz_kv_kv, PZ_SCAN_KEYS_MAX)                                                      \
    X(BOOL, has_resume, _, _)                                                                    \
    X(BYTES, resume_key, _, _)                                                                   \
    X(U64, num_deleted, _, _)                                                                    \
    X(OPT, ext, pz_kv_resp_ext, _)
PZ_SCHEMA_DECLARE(pz_kv_resp)

/* An intent met by a request: its key and its transaction's meta. */
#define PZ_SCHEMA_pz_kv_intent(X)                                                                \
    X(BYTES, key, _, _)                                                                          \
    X(STRUCT, txn, pz_kv_txn, _)
PZ_SCHEMA_DECLARE(pz_kv_intent)

#define PZ_SCHEMA_pz_kv_error(X)                                                                 \
    X(I32, code, _, _)   /* 0: no error */                                                       \
    X(I32, index, _, _)  /* request that failed, -1 for the whole batch */                       \
    X(STR, message, _, _)                                                                        \
    X(STR, detail, _, _)                                                                         \
    X(BOOL, has_actual, _, _)                                                                    \
    X(BYTES, actual_value, _, _)      /* CPUT: the value found */                                \
    X(OPT, range, pz_range_desc, _)   /* RANGE_MISMATCH: the replica's current descriptor */     \
    X(OPT, intent, pz_kv_intent, _)   /* WRITE_INTENT: the conflicting intent */                 \
    X(STRUCT, existing_ts, pz_hlc, _) /* UNCERTAIN, TXN_RETRY, WRITE_TOO_OLD, GC_THRESHOLD */   \
    X(OPT, record, pz_kv_txn_record, _) /* TXN_ABORTED, PUSH_FAILED: the record as found */
PZ_SCHEMA_DECLARE(pz_kv_error)

#define PZ_SCHEMA_pz_kv_batch(X)                                                                 \
    X(STRUCT, header, pz_kv_header, _)                                                           \
    X(ARR, reqs, pz_kv_req, PZ_BATCH_REQS_MAX)
PZ_SCHEMA_DECLARE(pz_kv_batch)

#define PZ_SCHEMA_pz_kv_batch_resp(X)                                                            \
    X(STRUCT, ts, pz_hlc, _) /* where the writes landed; the read timestamp for reads */         \
    X(STRUCT, error, pz_kv_error, _)                                                             \
    X(ARR, resps, pz_kv_resp, PZ_BATCH_REQS_MAX)                                                 \
    X(OPT, txn, pz_kv_txn, _) /* a transactional batch: the txn as it left (write_ts pushed) */ \
    X(U64, pending, _, _)     /* pipelined and not committed yet: the COMMIT_WAIT token */
PZ_SCHEMA_DECLARE(pz_kv_batch_resp)

/* repl ↔ storage: PZ_MSG_KV_COMMIT_WAIT asks for the commit of a pipelined batch (token);
 * storage answers PZ_MSG_KV_COMMIT_DONE with the same token and the commit's code (0: done). */
#define PZ_SCHEMA_pz_kv_commit(X)                                                                \
    X(U64, token, _, _)                                                                          \
    X(I32, code, _, _)        /* COMMIT_DONE: 0, or the PZ_E* code the commit failed with */
PZ_SCHEMA_DECLARE(pz_kv_commit)

/* The SQL session's conversation with its coordinator (the txn actor). A transaction's KV
 * batches carry header.txn with only the id set; the coordinator fills in the rest.
 *   BEGIN        opens a transaction (isolation, read_only, priority, as_of: a fixed read
 *                timestamp for AS OF SYSTEM TIME, read-only); resp.txn.id names it
 *   COMMIT       refreshes if it must, commits, resolves its intents; PZ_ETXN_RETRY/ABORTED
 *                (40001) when it cannot commit, PZ_EAMBIGUOUS (40003) when it cannot know
 *   ROLLBACK     aborts and resolves its intents; always ends the transaction
 *   SAVEPOINT    resp.savepoint: the sequence to roll back to
 *   ROLLBACK_TO  the writes after savepoint are ignored from now on (and at commit)
 *   STEP         a new statement: READ COMMITTED takes a fresh snapshot
 *   RESTART      a retryable error reached SQL: new epoch (and snapshot), intents discarded */
enum pz_txn_ctl_op {
    PZ_TXC_BEGIN = 1,
    PZ_TXC_COMMIT = 2,
    PZ_TXC_ROLLBACK = 3,
    PZ_TXC_SAVEPOINT = 4,
    PZ_TXC_ROLLBACK_TO = 5,
    PZ_TXC_STEP = 6,
    PZ_TXC_RESTART = 7,
};

#define PZ_SCHEMA_pz_txn_ctl(X)                                                                  \
    X(U8, op, _, _)               /* enum pz_txn_ctl_op */                                       \
    X(BYTES, id, _, _)            /* all but BEGIN */                                            \
    X(U8, isolation, _, _)        /* BEGIN: enum pz_txn_isolation */                             \
    X(BOOL, read_only, _, _)      /* BEGIN */                                                    \
    X(U32, priority, _, _)        /* BEGIN: 0 = PZ_TXN_PRIORITY_NORMAL */                        \
    X(STRUCT, as_of, pz_hlc, _)   /* BEGIN: AS OF SYSTEM TIME; zero = now */                     \
    X(U32, savepoint, _, _)       /* ROLLBACK_TO */                                              \
    X(BOOL, durable, _, _)        /* COMMIT: fsync the record before answering */
PZ_SCHEMA_DECLARE(pz_txn_ctl)

#define PZ_SCHEMA_pz_txn_ctl_resp(X)                                                             \
    X(STRUCT, error, pz_kv_error, _)                                                             \
    X(STRUCT, txn, pz_kv_txn, _)  /* the transaction after the op */                             \
    X(U32, savepoint, _, _)       /* SAVEPOINT */                                                \
    X(U8, status, _, _)           /* enum pz_txn_status after the op */
PZ_SCHEMA_DECLARE(pz_txn_ctl_resp)

/* Every schema of the wire protocol, once (hlc.h, msg.h and this file declare them): the codec
 * defines them from this list and the round-trip tests and fuzzers cover exactly these, so a new
 * schema is added here and nowhere else. Order matters: a schema follows the ones it nests. */
#define PZ_SCHEMAS(X)                                                                            \
    X(pz_hlc)                                                                                    \
    X(pz_error_body)                                                                             \
    X(pz_ping)                                                                                   \
    X(pz_kv_seq_range)                                                                           \
    X(pz_kv_span)                                                                                \
    X(pz_kv_txn)                                                                                 \
    X(pz_kv_txn_record)                                                                          \
    X(pz_kv_header)                                                                              \
    X(pz_kv_req_ext)                                                                             \
    X(pz_kv_req)                                                                                 \
    X(pz_kv_kv)                                                                                  \
    X(pz_replica_desc)                                                                           \
    X(pz_range_desc)                                                                             \
    X(pz_kv_resp_ext)                                                                            \
    X(pz_kv_resp)                                                                                \
    X(pz_kv_intent)                                                                              \
    X(pz_kv_error)                                                                               \
    X(pz_kv_batch)                                                                               \
    X(pz_kv_batch_resp)                                                                          \
    X(pz_kv_commit)                                                                              \
    X(pz_txn_ctl)                                                                                \
    X(pz_txn_ctl_resp)

/* True when the request covers [key, end_key): the span ops, and RESOLVE/REFRESH with an
 * end key. */
bool pz_kv_req_is_span(const pz_kv_req_t *r);

PZ_MSG_HELPERS_DECLARE(pz_kv_batch)
PZ_MSG_HELPERS_DECLARE(pz_kv_batch_resp)
PZ_MSG_HELPERS_DECLARE(pz_range_desc)
PZ_MSG_HELPERS_DECLARE(pz_txn_ctl)
PZ_MSG_HELPERS_DECLARE(pz_txn_ctl_resp)
PZ_MSG_HELPERS_DECLARE(pz_kv_txn_record)
PZ_MSG_HELPERS_DECLARE(pz_kv_commit)

/* Reading and rewriting a batch's head without the rest. A layer that sets one header field
 * (txn the timestamp, dist the range id) or reads the answer's timestamp and error need not
 * decode the requests and results — the layer that uses them decodes and checks them in full.
 *
 * pz_kv_batch_peek decodes a KV_BATCH message's header only: *fields is the batch's field count
 * (0: an empty batch, header defaults) and *rest the encoded bytes after the header (the
 * requests and any newer fields), unchecked, a view into the message. pz_kv_batch_splice_to_out makes the batch again from those pieces
 * with a new header. pz_kv_batch_resp_peek decodes a KV_BATCH_RESP's timestamp and error only.
 * Each returns what pz_msg_decode returns (PZ_EPROTO for a body too short to hold them). */
int pz_kv_batch_peek(pz_msg_t *m, pz_kv_header_t *header, uint32_t *fields, pz_view_t *rest);
int pz_kv_batch_splice_to_out(uint32_t fields, const pz_kv_header_t *header, pz_view_t rest,
                              pz_out_t **out);
int pz_kv_batch_resp_peek(pz_msg_t *m, pz_hlc_t *ts, pz_kv_error_t *error);

/* Encodes a range descriptor into a malloc'd buffer (for storing it as a value). */
int pz_range_desc_pack(const pz_range_desc_t *d, uint8_t **buf, size_t *len);
/* Decodes a stored descriptor; views point into buf, arrays into the arena. */
int pz_range_desc_unpack(const uint8_t *buf, size_t len, pz_arena_t *a, pz_range_desc_t *d);

#ifdef __cplusplus
}
#endif
#endif
