/*
 * sql_kv.h — how a SQL session talks to the KV layers: one blocking request/reply per batch to
 * the txn actor, through a kernel client (kernel.h: pz_client_*). Session threads may block
 * (DESIGN.md rule 3); the lower layers never do.
 *
 * A statement reads at one snapshot: the first read batch is stamped by txn and its reply's
 * timestamp is kept (kv->read_ts) for the statement's later reads. Writes go with a zero
 * timestamp (txn stamps them now) so they land above everything the statement read.
 */
#ifndef PZ_SQL_KV_H
#define PZ_SQL_KV_H

#include <stdatomic.h>

#include "phantomzero/kernel.h"
#include "phantomzero/kv.h"
#include "sql_value.h"

typedef struct {
    pz_client_t *client;
    char to[64];         /* the txn actor's address */
    uint32_t timeout_ms; /* per batch */
    pz_hlc_t read_ts;    /* the statement's snapshot; zero until its first read */
    uint64_t batches;    /* sent, for EXPLAIN ANALYZE */
    /* The open transaction (sql_txn.c): batches carry its id and the coordinator fills in the
     * rest. Work that must not be part of it (sequences, DDL) sets no_txn around its batches. */
    bool in_txn;
    bool no_txn;
    uint8_t txn_id[PZ_TXN_ID_BYTES];
    uint32_t lock_timeout_ms;  /* lock_timeout (0: wait until statement_timeout) */
    uint64_t deadline_ms;      /* statement_timeout: monotonic ms, 0 none (lock waits end there) */
    const atomic_bool *cancel; /* a CancelRequest for the statement (NULL: none) */
    uint8_t wait_policy;       /* FOR UPDATE NOWAIT: PZ_WAIT_ERROR for the statement */
    uint8_t lock;              /* FOR UPDATE/SHARE: reads lock what they return */
    /* AS OF SYSTEM TIME outside a block (sql_aost.c): the statement reads at it (read_ts) and
     * any write batch is refused with 25006. Zero: none. */
    pz_hlc_t as_of;
} pz_sql_kv_t;

/* Opens an in-process client to actor `to`. Returns 0 or PZ_EUNAVAILABLE. */
int pz_sql_kv_open(pz_sql_kv_t *kv, const char *to, uint32_t timeout_ms);
void pz_sql_kv_close(pz_sql_kv_t *kv);
/* A new statement: forget the snapshot (and the last statement's AS OF SYSTEM TIME). */
static inline void pz_sql_kv_stmt_begin(pz_sql_kv_t *kv)
{
    kv->read_ts = (pz_hlc_t){0};
    kv->as_of = (pz_hlc_t){0};
}

/* 54000 "row or index entry is too large for the storage engine" into err; returns PZ_ETOOBIG. */
int pz_sql_kv_err_too_big(pz_sql_err_t *err);

/* Sends n requests as one batch. A batch that waits for another transaction's lock waits as
 * long as the lock is held, as in PostgreSQL: the lower layers bound every request (each hop's
 * timeout_ms), so the wait goes down in slices of S_LOCK_WAIT_SLICE_MS (header.lock_timeout_ms)
 * and a slice that ends is sent again — a failed wait applied nothing. Between slices the
 * statement's cancel flag and deadline are looked at: a cancel or statement_timeout ends the wait
 * with 57014, lock_timeout with 55P03.
 * Reads at the statement's snapshot when `read`, else at a fresh timestamp; durable writes.
 * On 0, *reply holds the message and *resp its decoded body (views into the message: free it
 * with pz_msg_free when done). A transport failure, an error reply,
 * or a batch error other than PZ_ECONDFAILED becomes err (with its SQLSTATE) and a negative
 * return; PZ_ECONDFAILED returns 0 with resp->error set, for the caller to name the constraint. */
int pz_sql_kv_send(pz_sql_kv_t *kv, const pz_kv_req_t *reqs, uint32_t n, bool read,
                   pz_msg_t **reply, pz_kv_batch_resp_t *resp, pz_sql_err_t *err);

/* One transaction control request to the coordinator (kv.h: TXN_CTL); q->id is filled from
 * kv for every op but BEGIN. On 0, *resp is the answer (views into *reply, which the caller
 * frees). An error answer becomes err (its SQLSTATE: 40001, 40P01, 40003, ...) and a negative
 * return, with *reply already freed. */
int pz_sql_kv_txn_ctl(pz_sql_kv_t *kv, pz_txn_ctl_t *q, pz_msg_t **reply, pz_txn_ctl_resp_t *resp,
                      pz_sql_err_t *err);

/* Reads the span [lo, hi) in chunks of at most `limit` keys, each one Scan sent as a read
 * (pz_sql_kv_send: at kv->read_ts as the caller leaves it between chunks), and calls fn with each
 * chunk's response, whose keys and values are views valid only during the call. Stops when the
 * span is done or fn returns nonzero (that code is returned; fn sets err). The resume key is
 * copied between chunks whatever its length (up to PZ_KEY_BYTES_MAX), so a scan never ends early
 * on a long key. */
int pz_sql_kv_scan_chunks(pz_sql_kv_t *kv, pz_view_t lo, pz_view_t hi, uint32_t limit,
                          int (*fn)(void *arg, const pz_kv_resp_t *x), void *arg,
                          pz_sql_err_t *err);

#endif
