/*
 * sql_conn.h — the SQL engine as a session sees it: a process-wide engine (catalog cache, where
 * the txn actor is) and one connection object per client session that runs statements and hands
 * results to the protocol layer through a sink.
 *
 * Thread-safety: the engine is shared by all sessions (its catalog cache locks itself); a
 * connection belongs to one session (one task).
 */
#ifndef PZ_SQL_CONN_H
#define PZ_SQL_CONN_H

#include <stdatomic.h>

#include "sql_ast.h"
#include "sql_types.h"

typedef struct pz_sql_engine pz_sql_engine_t;
typedef struct pz_sql_conn pz_sql_conn_t;

/* txn_actor: where KV batches go ("txn"). NULL on allocation failure. */
pz_sql_engine_t *pz_sql_engine_new(const char *txn_actor);
void pz_sql_engine_destroy(pz_sql_engine_t **e);
/* Where the engine's operators spill past work_mem (sql_spill.h); the env outlives the engine.
 * Without one (unit tests), nothing spills. Call before sessions start. */
struct pz_spill_env;
void pz_sql_engine_set_spill(pz_sql_engine_t *e, struct pz_spill_env *env);

/* A result column for RowDescription. */
typedef struct {
    const char *name;
    pz_sql_type_t type;
} pz_sql_col_t;

/* Where a sink's output stood (sink->mark), to take back what followed (sink->rewind). */
typedef struct {
    uint64_t flushes; /* the sink's count of writes to the client */
    size_t len;       /* bytes buffered */
} pz_sql_mark_t;

/* How results leave the engine. Every callback returns 0, or a negative code when the client is
 * gone (the statement then stops). */
typedef struct {
    void *ctx;
    int (*columns)(void *ctx, const pz_sql_col_t *cols, int n); /* before a query's rows */
    int (*row)(void *ctx, const pz_datum_t *row, int n);
    int (*complete)(void *ctx, const char *tag); /* CommandComplete */
    int (*empty)(void *ctx);                     /* EmptyQueryResponse */
    int (*notice)(void *ctx, const pz_sql_err_t *n);
    int (*param_status)(void *ctx, const char *name, const char *value);
    /* COPY (sql_copy.c), added for COPY; NULL where the protocol layer has no COPY.
     * copy_start: CopyInResponse (in) or CopyOutResponse with n_cols text columns.
     * copy_read: the next CopyData: 1 with *p / *n (valid until the next call), 0 at CopyDone,
     * or a negative code: err set (57014 CopyFail, 08P01 an unexpected message) or not (the
     * client is gone). copy_write: one CopyData. copy_done: CopyDone. */
    int (*copy_start)(void *ctx, bool in, int n_cols);
    int (*copy_read)(void *ctx, const uint8_t **p, size_t *n, pz_sql_err_t *err);
    int (*copy_write)(void *ctx, const void *p, size_t n);
    int (*copy_done)(void *ctx);
    /* Replaying a transaction block (pz_sql_conn_simple); NULL where output is never held back.
     * mark: where the output stands now. rewind: drops everything emitted since m — 0, or -1
     * (nothing dropped) when some of it has already been written to the client. */
    void (*mark)(void *ctx, pz_sql_mark_t *m);
    int (*rewind)(void *ctx, const pz_sql_mark_t *m);
} pz_sql_sink_t;

/* Opens a connection for user to database. 3D000 when the database does not exist. */
int pz_sql_conn_open(pz_sql_engine_t *e, const char *user, const char *database,
                     const atomic_bool *cancel, pz_sql_conn_t **out, pz_sql_err_t *err);
void pz_sql_conn_close(pz_sql_conn_t **c);

/* Runs a simple-protocol query string: every statement in order, results to sink, stopping at
 * the first error (returned, err set). An empty string calls sink->empty. */
int pz_sql_conn_simple(pz_sql_conn_t *c, const char *query, const pz_sql_sink_t *sink,
                       pz_sql_err_t *err);

/* The flag a CancelRequest sets for this session (may be NULL): each statement clears it when
 * it starts and stops with 57014 when it is set. */
void pz_sql_conn_set_cancel(pz_sql_conn_t *c, atomic_bool *flag);

/* A setting from the startup packet (a parameter or -c in options), applied as SET applies it
 * but without ParameterStatus (the welcome reports it): 0, or the setting's error (22023 for a
 * bad TimeZone) which PostgreSQL makes FATAL. Settings the engine does not keep are ignored.
 * pz_sql_conn_setting: the current text of a setting (as SHOW prints it), NULL when unknown. */
int pz_sql_conn_set_param(pz_sql_conn_t *c, const char *name, const char *value, pz_sql_err_t *err);
const char *pz_sql_conn_setting(const pz_sql_conn_t *c, const char *name);

/* The sequence state (currval, lastval: sql_seq.h) of the connection an executor runs for;
 * session is pz_ex_t.session (NULL: none). Owned by the connection, used by its thread only. */
struct pz_sql_seqs *pz_sql_conn_seqs(const void *session);

/* ReadyForQuery's status: 'I' idle, 'T' in a transaction block, 'E' in a failed one. */
char pz_sql_conn_status(const pz_sql_conn_t *c);
/* A failed statement inside a transaction block makes it 'E' until ROLLBACK. */
void pz_sql_conn_failed(pz_sql_conn_t *c, const pz_sql_err_t *err);
/* The session's type settings (time zone, float digits) for formatting rows. */
const pz_sql_tyenv_t *pz_sql_conn_env(const pz_sql_conn_t *c);

/* Extended protocol: a prepared statement (one statement of a Parse message). */
typedef struct pz_sql_prep pz_sql_prep_t;
/* Parses and binds query with the given parameter types (PZ_TY_UNKNOWN entries are inferred).
 * An empty query is allowed (Execute then answers EmptyQueryResponse). */
int pz_sql_prepare(pz_sql_conn_t *c, const char *query, const uint32_t *param_oids, int n_params,
                   pz_sql_prep_t **out, pz_sql_err_t *err);
void pz_sql_prep_free(pz_sql_prep_t **p);
/* Parameter types (after inference) and result columns (n_cols 0: no rows, NoData). */
void pz_sql_prep_describe(const pz_sql_prep_t *p, const pz_sql_type_t **params, int *n_params,
                          const pz_sql_col_t **cols, int *n_cols);

/* A portal: a prepared statement with parameter values, run in steps of at most max_rows. */
typedef struct pz_sql_portal pz_sql_portal_t;
/* params: n datums in the statement's parameter types (NULLs allowed); copied. */
int pz_sql_bind_portal(pz_sql_conn_t *c, pz_sql_prep_t *p, const pz_datum_t *params, int n,
                       pz_sql_portal_t **out, pz_sql_err_t *err);
/* Replaying an extended-protocol batch (the messages up to a Sync, whose output the sink holds
 * until then): batch_start at its first message; batch_replay after an Execute failed with err
 * — true when the batch's block was rolled back and its output taken back (err cleared), and
 * the caller must send every message of the batch again, in order. */
void pz_sql_conn_batch_start(pz_sql_conn_t *c, const pz_sql_sink_t *sink);
bool pz_sql_conn_batch_replay(pz_sql_conn_t *c, const pz_sql_sink_t *sink, pz_sql_err_t *err);
/* Runs up to max_rows (0: all) rows to sink->row. *suspended true when rows remain
 * (PortalSuspended); else the statement completed (sink->complete was called). */
int pz_sql_portal_run(pz_sql_conn_t *c, pz_sql_portal_t *p, uint32_t max_rows,
                      const pz_sql_sink_t *sink, bool *suspended, pz_sql_err_t *err);
/* The portal's result columns, for Describe of a portal. */
void pz_sql_portal_describe(const pz_sql_portal_t *p, const pz_sql_col_t **cols, int *n_cols);
void pz_sql_portal_free(pz_sql_portal_t **p);

#endif
