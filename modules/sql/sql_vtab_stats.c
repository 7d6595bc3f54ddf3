/*
 * sql_vtab_stats.c — pg_catalog's statistics views over the table statistics ANALYZE and the
 * automatic refresher collect (sql_stats.h): pg_stats (one row per column of an analyzed table)
 * and pg_stat_user_tables (a row per user table: live rows and when they were counted).
 *
 * pg_stats follows PostgreSQL's conventions for what the numbers mean: null_frac is the fraction
 * of rows that are NULL; n_distinct is the number of distinct non-NULL values, or, when that
 * grows with the table (more than a tenth of the rows, PostgreSQL's ANALYZE rule), minus its
 * fraction of the rows (-1: unique, as a single-column unique index proves it); avg_width is
 * the type's size for fixed-size types and NULL otherwise (widths are not sampled); the value
 * arrays (most common values, histogram) are not collected and not shown. last_analyze is the
 * collection's time whether ANALYZE or the refresher made it; last_autoanalyze stays NULL.
 */
#include <string.h>

#include "sql_vtab_int.h"

/* The row count above which PostgreSQL's ANALYZE stores n_distinct as a negative fraction. */
#define S_NDISTINCT_SCALE_FRACTION 0.1
/* PostgreSQL's epoch (2000-01-01) in Unix seconds: timestamptz datums count from it. */
#define S_PG_EPOCH_UNIX_S 946684800LL

/* The table's statistics, or NULL when never collected (any read error: as never collected). */
static const pz_cat_stats_t *s_stats(pz_vt_ctx_t *c, const pz_cat_desc_t *d)
{
    pz_cat_stats_t *st = NULL;
    pz_sql_err_t e = {0};
    (void)pz_cat_stats_get(c->ex->cat, c->ex->kv, d->id, c->tmp, &st, &e);
    return st;
}

static double s_n_distinct(const pz_cat_desc_t *d, const pz_cat_colstat_t *cs, uint64_t rows)
{
    pz_cat_icol_t one = {.col = cs->col};
    if (rows == 0) {
        return 0;
    }
    if (pz_cat_unique_on(d, &one, 1) != NULL && cs->nulls == 0) {
        return -1;
    }
    double nd = (double)cs->distinct;
    if (nd > S_NDISTINCT_SCALE_FRACTION * (double)rows) {
        nd = -(nd / (double)rows);
        return nd < -1 ? -1 : nd; /* a HyperLogLog estimate may pass the row count */
    }
    return nd;
}

static int s_stats_rows(pz_vt_ctx_t *c, const pz_cat_desc_t *d, const pz_cat_stats_t *st)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (uint32_t i = 0; i < d->cols_len && rc == 0; i++) {
        const pz_cat_col_t *col = &d->cols[i];
        const pz_cat_colstat_t *cs = NULL;
        for (uint32_t k = 0; k < st->cols_len && cs == NULL; k++) {
            cs = st->cols[k].col == col->id ? &st->cols[k] : NULL;
        }
        if (col->hidden || cs == NULL) {
            continue;
        }
        pz__vt_begin(c);
        pz__vt_text(c, "schemaname", pz__vt_schema_name(s, d->schema_id));
        pz__vt_view(c, "tablename", d->name);
        pz__vt_view(c, "attname", col->name);
        pz__vt_float(c, "null_frac", st->rows ? (double)cs->nulls / (double)st->rows : 0);
        pz__vt_float(c, "n_distinct", s_n_distinct(d, cs, st->rows));
        int len = pz_ty_len((pz_ty_t)pz_cat_col_type(col).id);
        if (len > 0) {
            pz__vt_int(c, "avg_width", len);
        } else {
            pz__vt_null(c, "avg_width");
        }
        pz__vt_null(c, "correlation");
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_stats(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        const pz_cat_stats_t *st = d->kind == PZ_CAT_TABLE ? s_stats(c, d) : NULL;
        rc = st ? s_stats_rows(c, d, st) : 0;
    }
    return rc;
}

int pz__vt_build_pg_stat_user_tables(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_TABLE) {
            continue;
        }
        const pz_cat_stats_t *st = s_stats(c, d);
        pz__vt_begin(c);
        pz__vt_int(c, "relid", d->id);
        pz__vt_text(c, "schemaname", pz__vt_schema_name(s, d->schema_id));
        pz__vt_view(c, "relname", d->name);
        pz__vt_int(c, "n_live_tup", st ? (int64_t)st->rows : 0);
        if (st != NULL) {
            pz__vt_int(c, "last_analyze", st->created_us - S_PG_EPOCH_UNIX_S * 1000000);
        } else {
            pz__vt_null(c, "last_analyze");
        }
        pz__vt_null(c, "last_autoanalyze");
        rc = pz__vt_push(c);
    }
    return rc;
}
