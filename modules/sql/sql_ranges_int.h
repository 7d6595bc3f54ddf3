/*
 * sql_ranges_int.h — what the range statements' files share (sql_ranges.c, sql_ranges_key.c).
 */
#ifndef PZ_SQL_RANGES_INT_H
#define PZ_SQL_RANGES_INT_H

#include "sql_catalog.h"
#include "sql_types.h"

/* What printing a key needs: descriptors (through the catalog and KV), the session's type
 * settings, and an arena for decoded values. */
typedef struct {
    pz_cat_t *cat;
    pz_sql_kv_t *kv;
    const pz_sql_tyenv_t *env;
    pz_arena_t *arena;
} pz_ranges_ctx_t;

/* CockroachDB's pretty form of a key (/Table/104/1/5, /Min, /Max), appended to out. */
void pz__ranges_pretty(const pz_ranges_ctx_t *c, pz_view_t key, pz_sbuf_t *out);

/* The key columns of index ix of table d in key order (a secondary index's own columns, then the
 * primary key's columns it lacks): at most max into cols; returns how many. */
uint32_t pz__ranges_key_cols(const pz_cat_desc_t *d, const pz_cat_index_t *ix,
                             const pz_cat_icol_t **cols, uint32_t max);

#endif
