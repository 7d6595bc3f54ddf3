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
};

/* "GET" ... or NULL. */
const char *pz_kv_op_name(uint8_t op);
/* True for ops that write. */
bool pz_kv_op_is_write(uint8_t op);
/* True for ops over [key, end_key) rather than one key. */
bool pz_kv_op_is_span(uint8_t op);

/* A transaction's identity and timestamps; filled by txn (the transactions issue). */
#define PZ_SCHEMA_pz_kv_txn(X)                                                                   \
    X(BYTES, id, _, _)                                                                           \
    X(U32, epoch, _, _)                                                                          \
    X(STRUCT, read_ts, pz_hlc, _)                                                                \
    X(STRUCT, write_ts, pz_hlc, _)                                                               \
    X(U32, priority, _, _)
PZ_SCHEMA_DECLARE(pz_kv_txn)

#define PZ_SCHEMA_pz_kv_header(X)                                                                \
    X(STRUCT, ts, pz_hlc, _)  /* read and write timestamp; zero until txn sets it */             \
    X(U64, range_id, _, _)    /* set by dist; 0 until then */                                    \
    X(OPT, txn, pz_kv_txn, _) /* absent: a non-transactional batch */                            \
    X(BOOL, durable, _, _)    /* writes fsynced before the reply (default for clients) */        \
    X(U32, max_keys, _, _)    /* bound on keys returned by all scans of the batch; 0 = default */ \
    X(STR, gateway, _, _)     /* node that took the request from the client (diagnostics) */
PZ_SCHEMA_DECLARE(pz_kv_header)

#define PZ_SCHEMA_pz_kv_req(X)                                                                   \
    X(U8, op, _, _)                                                                              \
    X(BYTES, key, _, _)                                                                          \
    X(BYTES, end_key, _, _)                                                                      \
    X(BYTES, value, _, _)                                                                        \
    X(BYTES, exp_value, _, _)                                                                    \
    X(BOOL, exp_exists, _, _)                                                                    \
    X(U32, limit, _, _)
PZ_SCHEMA_DECLARE(pz_kv_req)

#define PZ_SCHEMA_pz_kv_kv(X)                                                                    \
    X(BYTES, key, _, _)                                                                          \
    X(BYTES, value, _, _)                                                                        \
    X(STRUCT, ts, pz_hlc, _)
PZ_SCHEMA_DECLARE(pz_kv_kv)

#define PZ_SCHEMA_pz_kv_resp(X)                                                                  \
    X(U8, op, _, _)                                                                              \
    X(BOOL, found, _, _)                                                                         \
    X(BYTES, value, _, _)                                                                        \
    X(STRUCT, ts, pz_hlc, _)                                                                     \
    X(ARR, kvs, pz_kv_kv, PZ_SCAN_KEYS_MAX)                                                      \
    X(BOOL, has_resume, _, _)                                                                    \
    X(BYTES, resume_key, _, _)                                                                   \
    X(U64, num_deleted, _, _)
PZ_SCHEMA_DECLARE(pz_kv_resp)

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

#define PZ_SCHEMA_pz_kv_error(X)                                                                 \
    X(I32, code, _, _)   /* 0: no error */                                                       \
    X(I32, index, _, _)  /* request that failed, -1 for the whole batch */                       \
    X(STR, message, _, _)                                                                        \
    X(STR, detail, _, _)                                                                         \
    X(BOOL, has_actual, _, _)                                                                    \
    X(BYTES, actual_value, _, _)      /* CPUT: the value found */                                \
    X(OPT, range, pz_range_desc, _)   /* RANGE_MISMATCH: the replica's current descriptor */
PZ_SCHEMA_DECLARE(pz_kv_error)

#define PZ_SCHEMA_pz_kv_batch(X)                                                                 \
    X(STRUCT, header, pz_kv_header, _)                                                           \
    X(ARR, reqs, pz_kv_req, PZ_BATCH_REQS_MAX)
PZ_SCHEMA_DECLARE(pz_kv_batch)

#define PZ_SCHEMA_pz_kv_batch_resp(X)                                                            \
    X(STRUCT, ts, pz_hlc, _) /* where the writes landed; the read timestamp for reads */         \
    X(STRUCT, error, pz_kv_error, _)                                                             \
    X(ARR, resps, pz_kv_resp, PZ_BATCH_REQS_MAX)
PZ_SCHEMA_DECLARE(pz_kv_batch_resp)

/* Every schema of the wire protocol, once (hlc.h, msg.h and this file declare them): the codec
 * defines them from this list and the round-trip tests and fuzzers cover exactly these, so a new
 * schema is added here and nowhere else. Order matters: a schema follows the ones it nests. */
#define PZ_SCHEMAS(X)                                                                            \
    X(pz_hlc)                                                                                    \
    X(pz_error_body)                                                                             \
    X(pz_ping)                                                                                   \
    X(pz_kv_txn)                                                                                 \
    X(pz_kv_header)                                                                              \
    X(pz_kv_req)                                                                                 \
    X(pz_kv_kv)                                                                                  \
    X(pz_kv_resp)                                                                                \
    X(pz_replica_desc)                                                                           \
    X(pz_range_desc)                                                                             \
    X(pz_kv_error)                                                                               \
    X(pz_kv_batch)                                                                               \
    X(pz_kv_batch_resp)

PZ_MSG_HELPERS_DECLARE(pz_kv_batch)
PZ_MSG_HELPERS_DECLARE(pz_kv_batch_resp)
PZ_MSG_HELPERS_DECLARE(pz_range_desc)

/* Encodes a range descriptor into a malloc'd buffer (for storing it as a value). */
int pz_range_desc_pack(const pz_range_desc_t *d, uint8_t **buf, size_t *len);
/* Decodes a stored descriptor; views point into buf, arrays into the arena. */
int pz_range_desc_unpack(const uint8_t *buf, size_t len, pz_arena_t *a, pz_range_desc_t *d);

#ifdef __cplusplus
}
#endif
#endif
