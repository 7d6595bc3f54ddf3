/*
 * sql_ddl.h — schema changes: CREATE / DROP / ALTER of databases, schemas, tables, indexes,
 * views and sequences, TRUNCATE, and the catalog's bootstrap. Each statement's catalog writes go
 * down as one KV batch (atomic); index backfills and column rewrites of large tables run in
 * batches first (see sql_ddl.c).
 */
#ifndef PZ_SQL_DDL_H
#define PZ_SQL_DDL_H

#include "sql_bind.h"

/* Runs a DDL (or other non-query) statement; tag gets the command tag. Returns 0 or an error
 * (err set; 0A000 for statements not supported). */
int pz_sql_ddl(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag);

/* Sequence functions at run time: sql_seq.h. */
#include "sql_seq.h"

/* EXPLAIN [ANALYZE] of a query or DML statement: the plan's lines as rows (sql_explain.c). */
int pz_sql_explain(pz_binder_t *b, const pz_ast_stmt_t *s, const void *sink, char *tag);

#endif
