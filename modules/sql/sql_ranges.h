/*
 * sql_ranges.h — CockroachDB's range statements: `ALTER TABLE t SPLIT AT VALUES (...)` / `SPLIT AT
 * SELECT ...`, `ALTER INDEX t@i SPLIT AT ...`, and `SHOW RANGES [FROM TABLE t | FROM INDEX t@i |
 * FROM DATABASE d]`.
 *
 * PostgreSQL's grammar has neither, so they are recognised in the text before libpg_query parses
 * it (sql_ranges_parse.c, called from pz_ast_build): SPLIT AT's rows are an ordinary VALUES or
 * SELECT statement, parsed and bound as one, and wrapped in a PZ_AS_SPLIT_AT statement; SHOW
 * RANGES becomes a PZ_AS_SHOW_RANGES statement with no parse at all. sql_ranges.c runs them:
 * one KV SPLIT request per row (kv.h) and a scan of meta2 for SHOW RANGES.
 */
#ifndef PZ_SQL_RANGES_H
#define PZ_SQL_RANGES_H

#include "sql_ast.h"
#include "sql_bind.h"
#include "sql_conn.h"

/* What the text named, between recognition and the parse. kind 0: not a range statement. */
typedef struct {
    uint8_t kind;       /* PZ_AS_SPLIT_AT, PZ_AS_SHOW_RANGES or 0 */
    uint8_t obj;        /* SHOW RANGES: PZ_OBJ_TABLE / INDEX / DATABASE (database NULL: the
                           current one) */
    pz_ast_qname_t rel; /* the table (rel.name NULL for ALTER INDEX i / FROM INDEX i) */
    const char *index;  /* t@i's i, or ALTER INDEX i's i; NULL: the primary index */
    const char *database;
} pz_ranges_stmt_t;

/* Recognises a whole query (one statement, trailing ';' allowed) that is a range statement and
 * fills *rs (names in arena a). For SPLIT AT, returns a same-length copy of the query with
 * everything up to AT blanked, so the rows' statement parses where it was written (error
 * positions hold); otherwise the query itself. rs->kind is 0 when the query is none of them. */
const char *pz_ranges_rewrite(pz_arena_t *a, const char *query, pz_ranges_stmt_t *rs);

/* The statement rs means: SHOW RANGES alone (inner NULL), SPLIT AT around the parsed rows'
 * statement `rows` (which must be a SELECT / VALUES: 42601 otherwise). Returns 0, PZ_ENOMEM or
 * PZ_EINVAL with err set. */
int pz_ranges_stmt(pz_arena_t *a, const pz_ranges_stmt_t *rs, pz_ast_stmt_t *rows,
                   pz_ast_stmt_t **out, pz_sql_err_t *err);

/* The result columns of a range statement (for Describe). */
int pz_sql_ranges_columns(const pz_ast_stmt_t *s, const pz_sql_col_t **cols);

/* Runs a PZ_AS_SPLIT_AT or PZ_AS_SHOW_RANGES statement in the binder's statement context: rows
 * to sink, the command tag into tag (64 bytes). Splits are not part of an open transaction (as
 * DDL here, and CockroachDB's AdminSplit). Returns 0 or an error with b->ex->err set. */
int pz_sql_ranges_run(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_sql_sink_t *sink, char *tag);

#endif
