/*
 * sql_crdb.h — CockroachDB-only statements (UPSERT, SHOW TABLES/DATABASES/SCHEMAS/COLUMNS)
 * rewritten into PostgreSQL ones before parsing (sql_crdb.c says why and what each means).
 */
#ifndef PZ_SQL_CRDB_H
#define PZ_SQL_CRDB_H

#include "phantomzero/codec.h"

/* The text to parse for query: query itself, or a rewritten copy in a. upsert_at[0..*n_upsert)
 * get the byte offsets of UPSERT keywords turned into INSERT (at most max): the statements
 * starting there are upserts (pz_ast_stmt_t.upsert). */
const char *pz_crdb_rewrite(pz_arena_t *a, const char *query, int *upsert_at, int max,
                            int *n_upsert);

#endif
