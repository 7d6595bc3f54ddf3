/*
 * sql_txn.h — a session's transaction block, over the coordinator (kv.h TXN_CTL).
 *
 * BEGIN opens a transaction at the coordinator at once, and every statement until COMMIT or
 * ROLLBACK sends its table reads and writes as part of it (sql_kv.c puts its id on the batches).
 * What stays outside, as in PostgreSQL for sequences: the system keyspace — catalog changes
 * (DDL), sequences, statistics and roles commit on their own.
 *
 * Status, as ReadyForQuery reports it: 'I' idle, 'T' in a block, 'E' in a failed block (only
 * ROLLBACK, COMMIT — which rolls back — and ROLLBACK TO SAVEPOINT are accepted).
 */
#ifndef PZ_SQL_TXN_H
#define PZ_SQL_TXN_H

#include "sql_ast.h"
#include "sql_conn.h"
#include "sql_kv.h"

/* Savepoints one block keeps (PostgreSQL has no fixed bound; each here is 68 bytes). */
#define PZ_SQL_SAVEPOINTS_MAX 64

typedef struct pz_sql_txn {
    uint8_t isolation; /* PZ_ISO_* of the open block */
    bool read_only;
    bool retryable;    /* the block failed with 40001/40P01 */
    uint32_t stmts;    /* statements run in the block (SET TRANSACTION comes before any) */
    pz_hlc_t as_of;    /* BEGIN / SET TRANSACTION AS OF SYSTEM TIME; zero: none */
    int n_sp;
    struct {
        char name[64];
        uint32_t seq;
    } sp[PZ_SQL_SAVEPOINTS_MAX];
} pz_sql_txn_t;

/* Defaults for BEGIN without options (the session's default_transaction_* settings). */
typedef struct {
    const char *isolation; /* "serializable", "read committed", ... */
    bool read_only;
    pz_hlc_t as_of; /* the statement's AS OF SYSTEM TIME, evaluated (sql_aost.h); zero: none */
} pz_sql_txn_defaults_t;

/* Runs a transaction statement (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK TO,
 * SET TRANSACTION) against kv's coordinator, moving *status. Writes the command tag. */
int pz_sql_txn_run(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status, const pz_ast_stmt_t *s,
                   const pz_sql_txn_defaults_t *dflt, const pz_sql_sink_t *sink,
                   pz_sql_err_t *err, char *tag);
/* A write statement outside a block runs as its own SERIALIZABLE transaction (CockroachDB's
 * implicit transaction): begin it before the statement's plan opens, and end it right after —
 * before any row reaches the client, so a commit that fails with 40001 can be retried by the
 * server. end with commit = false rolls back (err untouched). */
int pz_sql_txn_implicit_begin(pz_sql_txn_t *t, pz_sql_kv_t *kv, bool read_only, pz_sql_err_t *err);
int pz_sql_txn_implicit_end(pz_sql_txn_t *t, pz_sql_kv_t *kv, bool commit, pz_sql_err_t *err);
/* Before a statement of the block: READ COMMITTED takes a fresh snapshot. */
int pz_sql_txn_step(pz_sql_txn_t *t, pz_sql_kv_t *kv, pz_sql_err_t *err);
/* The first statement of the block failed with err before any of its rows reached the client
 * (only BEGIN's tag has): when err is a serialization failure or a deadlock (40001, 40P01)
 * and no savepoint was taken, restarts the transaction so the statement can run again — the
 * client never sees the failure (CockroachDB's automatic retry of a transaction whose results
 * were not sent). 0: run it again; -1: it cannot be replayed (err unchanged). */
int pz_sql_txn_replay_first(pz_sql_txn_t *t, pz_sql_kv_t *kv, pz_sql_err_t *err);
/* A block's options: what BEGIN and SET TRANSACTION chose. */
typedef struct {
    uint8_t isolation;
    bool read_only;
    pz_hlc_t as_of;
} pz_sql_txn_opts_t;
pz_sql_txn_opts_t pz_sql_txn_opts(const pz_sql_txn_t *t);
/* Rolls back whatever block is open and begins a new one with opts ('T'), or stays 'I' (err). */
int pz_sql_txn_rebegin(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status, const pz_sql_txn_opts_t *o,
                       pz_sql_err_t *err);
/* True for the errors a block may be replayed after: 40001 and 40P01 (nothing committed). */
bool pz_sql_txn_err_retryable(const pz_sql_err_t *err);
/* A statement of the block failed with err: the block is failed ('E'). */
void pz_sql_txn_failed(pz_sql_txn_t *t, char *status, const pz_sql_err_t *err);
/* The session ends (or the block must go): roll back whatever is open. */
void pz_sql_txn_abandon(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status);
/* The same without asking the coordinator: for a session ending while the server stops, when
 * the coordinator's kernel thread may be the one waiting for this session (a ROLLBACK would
 * wait out its timeout). The record expires after PZ_TXN_EXPIRY_MS instead, and whoever meets
 * the transaction's intents then removes them — as after a crash of the node. */
void pz_sql_txn_forget(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status);
/* The isolation level's name as SHOW transaction_isolation prints it. */
const char *pz_sql_txn_isolation_name(const pz_sql_txn_t *t);

#endif
