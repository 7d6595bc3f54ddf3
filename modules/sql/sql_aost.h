/*
 * sql_aost.h — CockroachDB's AS OF SYSTEM TIME: the clause taken out of the text before
 * libpg_query parses it (PostgreSQL's grammar has no such clause), and its timestamp evaluated
 * when the statement runs (sql_aost.c says what each form means).
 */
#ifndef PZ_SQL_AOST_H
#define PZ_SQL_AOST_H

#include "phantomzero/codec.h"
#include "phantomzero/hlc.h"
#include "sql_ast.h"
#include "sql_kv.h"
#include "sql_types.h"
#include "sql_value.h"

/* Clauses one query string may carry (a script of more statements with the clause fails). */
#define PZ_AOST_CLAUSES_MAX 64
/* Bytes of one clause's timestamp expression. */
#define PZ_AOST_EXPR_BYTES_MAX 256
/* follower_read_timestamp(): now minus this (CockroachDB's 4.8 s: far enough in the past that
 * every replica has closed it, so the read never waits on a write in flight). */
#define PZ_AOST_FOLLOWER_LAG_NS 4800000000LL

/* One clause found in a query: the offset of its AS keyword and its expression's text. */
typedef struct {
    int at;
    const char *expr;
} pz_aost_clause_t;

/* Finds every top-level `AS OF SYSTEM TIME expr` in *query (tokenized by PostgreSQL's scanner,
 * so strings and comments that contain the words are left alone) and, when there is one, sets
 * *query to a copy in a where each clause is blanked — with the same length, so positions hold —
 * or, in BEGIN / START TRANSACTION / SET TRANSACTION, replaced by READ ONLY (what it implies, and
 * what keeps the statement valid for the grammar). Returns 0, or PZ_EINVAL with err set (a clause
 * inside parentheses, a malformed expression, too many clauses). */
int pz_aost_strip(pz_arena_t *a, const char **query, pz_aost_clause_t *out, int max, int *n,
                  pz_sql_err_t *err);

/* The timestamp expr means when evaluated at now: an HLC decimal ('wall.logical' or an integer
 * of nanoseconds, quoted or not), a timestamp string (in the session's zone when it has none), a
 * negative interval ('-5s', interval '-10m', '-1h'::interval) added to now, or
 * follower_read_timestamp(). Errors: 42601/22023 malformed, 22023 a non-negative interval or a
 * timestamp in the future, 0A000 another expression. */
int pz_aost_eval(const char *expr, const pz_sql_tyenv_t *env, pz_hlc_t now, pz_hlc_t *out,
                 pz_sql_err_t *err);

/* "1700000000000000000.0000000001": the form the decimal input takes (at least 32 bytes). */
void pz_aost_format(pz_hlc_t t, char *buf, size_t cap);

/* Prepares kv for a statement carrying expr (NULL: none; kv->as_of is cleared) in a session
 * whose status is `status` ('I': no block) and whose block reads at txn_as_of (zero: a block
 * without one). Outside a block the statement reads at the timestamp (kv->read_ts) and may not
 * write (kv->as_of: sql_kv.c refuses writes with 25006); in a block the timestamp must be the
 * block's (42601 otherwise). what: NULL for a query, else the statement's name (INSERT, ...),
 * which cannot run AS OF SYSTEM TIME (25006). */
int pz_aost_stmt_start(pz_sql_kv_t *kv, const char *expr, const char *what, char status,
                       pz_hlc_t txn_as_of, const pz_sql_tyenv_t *env, pz_sql_err_t *err);

/* pz_aost_stmt_start for statement s of a session: a transaction statement's clause is the
 * block's (sql_txn.c) and sets nothing here; EXPLAIN's is its statement's. */
int pz_aost_stmt(pz_sql_kv_t *kv, const pz_ast_stmt_t *s, char status, pz_hlc_t txn_as_of,
                 const pz_sql_tyenv_t *env, pz_sql_err_t *err);

#endif
