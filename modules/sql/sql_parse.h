/*
 * sql_parse.h — the glue between a query string and libpg_query (the PostgreSQL 15 grammar).
 *
 * One call parses a whole simple-query string and returns, per statement, the kind of statement
 * (for now all the session needs: every kind is answered 0A000 until the executor exists), or the
 * syntax error with libpg_query's message and cursor position. pz_ast_build (sql_ast.h) shares
 * the same guarded parse + unpack step (pz__sql_parse_tree, sql_ast_int.h) and translates the
 * tree into the project's AST.
 *
 * Thread-safe: libpg_query keeps its memory context per thread.
 */
#ifndef PZ_SQL_PARSE_H
#define PZ_SQL_PARSE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n_stmts;     /* statements parsed (0 for an empty or comment-only string) */
    char kind[64];   /* kind of the first statement: "SELECT", "CREATE TABLE", "AlterOwnerStmt" */
    char error[512]; /* syntax error message, when the call returned PZ_EINVAL */
    int cursorpos;   /* 1-based character position of the error, 0 if unknown */
} pz_sql_parse_t;

/* Parses `query` (NUL-terminated). A long query waits for the other long ones (one at a time,
 * process-wide) and gives up with PZ_ECLOSED when `cancel` (may be NULL) becomes true. Returns 0
 * (n_stmts and kind set), PZ_EINVAL (a syntax error: error and cursorpos set; SQLSTATE 42601),
 * PZ_ELIMIT (the tree nests deeper than PZ_SQL_PARSE_DEPTH_MAX, or a long query has too many
 * operators: SQLSTATE 54001), or PZ_EINTERNAL when the parse tree cannot be read. Needs
 * PZ_SQL_SESSION_STACK_BYTES of stack (sessions have it). */
int pz_sql_parse(const char *query, const atomic_bool *cancel, pz_sql_parse_t *out);

/* A token of a query: bytes [start, end) and libpg_query's token number (PgQuery__Token, e.g.
 * 266 ICONST, 261 SCONST; single characters are their ASCII code). */
typedef struct {
    uint32_t start, end;
    int token;
} pz_sql_token_t;

/* Tokenizes query with PostgreSQL's scanner (pg_query_scan, ~3 µs for a short statement; no
 * parse), comments dropped, into toks[0..*n). Returns 0, PZ_ELIMIT past max tokens, or PZ_EINVAL
 * on a lexical error (an unterminated string: the parse reports it). */
int pz_sql_scan(const char *query, pz_sql_token_t *toks, int max, int *n);
/* True when token t of query q is `word` (ASCII case-insensitive): keyword tests on a scan. */
bool pz_sql_tok_is(const char *q, const pz_sql_token_t *t, const char *word);
/* True when s contains word anywhere, case-insensitively: the cheap test before a scan. */
bool pz_sql_contains_ci(const char *s, const char *word);

#endif
