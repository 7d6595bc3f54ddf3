/*
 * sql_vtab_info.c — the rows of information_schema's views (the SQL standard's, as PostgreSQL 15
 * fills them) from the catalog snapshot (sql_vtab_int.h): schemata, tables, columns,
 * table_constraints, key_column_usage, views, sequences.
 *
 * Unlike PostgreSQL, they list the user's objects only (not pg_catalog's and
 * information_schema's own relations), and every object is visible to every user (there are
 * no privileges yet).
 */
#include <stdio.h>
#include <string.h>

#include "sql_vtab_int.h"

static void s_rel(pz_vt_ctx_t *c, const char *prefix, const pz_cat_desc_t *d)
{
    char col[64];
    snprintf(col, sizeof col, "%s_catalog", prefix);
    pz__vt_text(c, col, c->snap->db_name);
    snprintf(col, sizeof col, "%s_schema", prefix);
    pz__vt_text(c, col, pz__vt_schema_name(c->snap, d->schema_id));
    snprintf(col, sizeof col, "%s_name", prefix);
    pz__vt_view(c, col, d->name);
}

int pz__vt_build_is_schemata(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    static const char *const fixed[] = {"information_schema", "pg_catalog", "pg_toast"};
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        pz__vt_begin(c);
        pz__vt_text(c, "catalog_name", s->db_name);
        pz__vt_text(c, "schema_name", fixed[i]);
        pz__vt_text(c, "schema_owner", "root");
        pz__vt_null(c, "default_character_set_catalog");
        pz__vt_null(c, "default_character_set_schema");
        pz__vt_null(c, "default_character_set_name");
        rc = pz__vt_push(c);
    }
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_SCHEMA) {
            continue;
        }
        pz__vt_begin(c);
        pz__vt_text(c, "catalog_name", s->db_name);
        pz__vt_view(c, "schema_name", d->name);
        pz__vt_view(c, "schema_owner", d->owner);
        pz__vt_null(c, "default_character_set_catalog");
        pz__vt_null(c, "default_character_set_schema");
        pz__vt_null(c, "default_character_set_name");
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_is_tables(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_TABLE && d->kind != PZ_CAT_VIEW) {
            continue;
        }
        bool table = d->kind == PZ_CAT_TABLE;
        pz__vt_begin(c);
        s_rel(c, "table", d);
        pz__vt_text(c, "table_type", table ? "BASE TABLE" : "VIEW");
        pz__vt_null(c, "self_referencing_column_name");
        pz__vt_null(c, "user_defined_type_catalog");
        pz__vt_null(c, "user_defined_type_schema");
        pz__vt_null(c, "user_defined_type_name");
        pz__vt_text(c, "is_insertable_into", table ? "YES" : "NO");
        pz__vt_text(c, "is_typed", "NO");
        rc = pz__vt_push(c);
    }
    return rc;
}

/* numeric_precision / radix / scale, character lengths, datetime precision of a column type. */
static void s_type_facts(pz_vt_ctx_t *c, pz_sql_type_t t)
{
    static const struct {
        uint8_t id;
        int prec;
    } binprec[] = {{PZ_TY_INT2, 16},
                   {PZ_TY_INT4, 32},
                   {PZ_TY_INT8, 64},
                   {PZ_TY_FLOAT4, 24},
                   {PZ_TY_FLOAT8, 53}};
    for (size_t i = 0; i < sizeof binprec / sizeof binprec[0]; i++) {
        if (binprec[i].id == t.id) {
            pz__vt_int(c, "numeric_precision", binprec[i].prec);
            pz__vt_int(c, "numeric_precision_radix", 2);
            if (t.id <= PZ_TY_INT8) {
                pz__vt_int(c, "numeric_scale", 0);
            }
        }
    }
    if (t.id == PZ_TY_NUMERIC) {
        pz__vt_int(c, "numeric_precision_radix", 10);
        if (t.typmod >= 4) {
            pz__vt_int(c, "numeric_precision", ((t.typmod - 4) >> 16) & 0xFFFF);
            pz__vt_int(c, "numeric_scale", (t.typmod - 4) & 0xFFFF);
        }
    }
    if (t.id == PZ_TY_VARCHAR || t.id == PZ_TY_BPCHAR || t.id == PZ_TY_TEXT) {
        if (t.typmod >= 4) {
            pz__vt_int(c, "character_maximum_length", t.typmod - 4);
            pz__vt_int(c, "character_octet_length", (t.typmod - 4) * 4);
        } else {
            pz__vt_int(c, "character_octet_length", 1073741824);
        }
    }
    if (t.id == PZ_TY_DATE) {
        pz__vt_int(c, "datetime_precision", 0);
    } else if (t.id == PZ_TY_TIME || t.id == PZ_TY_TIMESTAMP || t.id == PZ_TY_TIMESTAMPTZ ||
               t.id == PZ_TY_INTERVAL) {
        pz__vt_int(c, "datetime_precision", t.typmod >= 0 ? t.typmod : 6);
    }
}

static int s_column_row(pz_vt_ctx_t *c, const pz_cat_desc_t *d, const pz_cat_col_t *col, int attnum)
{
    pz_sql_type_t t = pz_cat_col_type(col);
    char dtd[16];
    snprintf(dtd, sizeof dtd, "%d", attnum);
    pz__vt_begin(c);
    s_rel(c, "table", d);
    pz__vt_view(c, "column_name", col->name);
    pz__vt_int(c, "ordinal_position", attnum);
    if (col->default_expr.len > 0 && col->identity == 0) {
        pz__vt_view(c, "column_default", col->default_expr);
    }
    pz__vt_text(c, "is_nullable", col->not_null ? "NO" : "YES");
    pz__vt_text(c, "data_type", t.id == PZ_TY_ARRAY ? "ARRAY" : pz_ty_name((pz_ty_t)t.id));
    for (int i = 0; i < c->def->n_cols; i++) {
        if (c->def->types[i].id == PZ_TY_INT4 && strcmp(c->def->names[i], "ordinal_position")) {
            c->row[i] = pz_datum_null(PZ_TY_INT4); /* the type's facts below, NULL if none */
        }
    }
    s_type_facts(c, t);
    pz__vt_text(c, "udt_catalog", c->snap->db_name);
    pz__vt_text(c, "udt_schema", "pg_catalog");
    pz__vt_text(c, "udt_name", pz__vt_typname(t));
    pz__vt_text(c, "dtd_identifier", dtd);
    pz__vt_text(c, "is_self_referencing", "NO");
    pz__vt_text(c, "is_identity", col->identity ? "YES" : "NO");
    if (col->identity) {
        pz__vt_text(c, "identity_generation", col->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
        const pz_cat_desc_t *seq = pz__vt_find(c->snap, col->seq_id);
        char v[32];
        if (seq != NULL) {
            snprintf(v, sizeof v, "%lld", (long long)seq->seq_start);
            pz__vt_text(c, "identity_start", v);
            snprintf(v, sizeof v, "%lld", (long long)seq->seq_inc);
            pz__vt_text(c, "identity_increment", v);
            snprintf(v, sizeof v, "%lld", (long long)seq->seq_max);
            pz__vt_text(c, "identity_maximum", v);
            snprintf(v, sizeof v, "%lld", (long long)seq->seq_min);
            pz__vt_text(c, "identity_minimum", v);
            pz__vt_text(c, "identity_cycle", seq->seq_cycle ? "YES" : "NO");
        }
    }
    pz__vt_text(c, "is_generated", "NEVER");
    pz__vt_text(c, "is_updatable", d->kind == PZ_CAT_TABLE ? "YES" : "NO");
    return pz__vt_push(c);
}

int pz__vt_build_is_columns(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_TABLE && d->kind != PZ_CAT_VIEW) {
            continue;
        }
        for (uint32_t k = 0; k < d->cols_len && rc == 0; k++) {
            if (!d->cols[k].hidden) {
                rc = s_column_row(c, d, &d->cols[k], pz__vt_attnum(d, d->cols[k].id));
            }
        }
    }
    return rc;
}

static void s_con(pz_vt_ctx_t *c, const pz_cat_desc_t *d, pz_view_t name)
{
    pz__vt_begin(c);
    pz__vt_text(c, "constraint_catalog", c->snap->db_name);
    pz__vt_text(c, "constraint_schema", pz__vt_schema_name(c->snap, d->schema_id));
    pz__vt_view(c, "constraint_name", name);
    s_rel(c, "table", d);
}

static int s_table_constraints(pz_vt_ctx_t *c, const pz_cat_desc_t *d)
{
    int rc = 0;
    for (uint32_t k = 0; k < d->indexes_len && rc == 0; k++) {
        const pz_cat_index_t *ix = &d->indexes[k];
        if (!ix->constraint || !pz__vt_index_shown(d, ix)) {
            continue;
        }
        s_con(c, d, ix->name);
        pz__vt_text(c, "constraint_type", ix->id == 1 ? "PRIMARY KEY" : "UNIQUE");
        pz__vt_text(c, "nulls_distinct", "YES");
        pz__vt_text(c, "is_deferrable", "NO");
        pz__vt_text(c, "initially_deferred", "NO");
        pz__vt_text(c, "enforced", "YES");
        rc = pz__vt_push(c);
    }
    for (uint32_t k = 0; k < d->checks_len + d->fks_len && rc == 0; k++) {
        bool check = k < d->checks_len;
        s_con(c, d, check ? d->checks[k].name : d->fks[k - d->checks_len].name);
        pz__vt_text(c, "constraint_type", check ? "CHECK" : "FOREIGN KEY");
        pz__vt_text(c, "is_deferrable", "NO");
        pz__vt_text(c, "initially_deferred", "NO");
        pz__vt_text(c, "enforced", "YES");
        rc = pz__vt_push(c);
    }
    /* NOT NULL columns: PostgreSQL lists them as CHECK constraints named
     * <namespace oid>_<table oid>_<attnum>_not_null. */
    for (uint32_t k = 0; k < d->cols_len && rc == 0; k++) {
        const pz_cat_col_t *col = &d->cols[k];
        if (!col->not_null || col->hidden) {
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "%u_%u_%d_not_null", d->schema_id, d->id,
                 pz__vt_attnum(d, col->id));
        s_con(c, d, (pz_view_t){.ptr = (const uint8_t *)name, .len = (uint32_t)strlen(name)});
        pz__vt_text(c, "constraint_type", "CHECK");
        pz__vt_text(c, "is_deferrable", "NO");
        pz__vt_text(c, "initially_deferred", "NO");
        pz__vt_text(c, "enforced", "YES");
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_is_table_constraints(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        if (s->objs[i].kind == PZ_CAT_TABLE) {
            rc = s_table_constraints(c, &s->objs[i]);
        }
    }
    return rc;
}

static int s_key_cols(pz_vt_ctx_t *c, const pz_cat_desc_t *d, pz_view_t name,
                      const pz_cat_icol_t *cols, int n, const pz_cat_desc_t *ref,
                      const pz_cat_icol_t *ref_cols)
{
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const pz_cat_col_t *col = pz_cat_col_by_id(d, cols[i].col);
        if (col == NULL) {
            continue;
        }
        s_con(c, d, name);
        pz__vt_view(c, "column_name", col->name);
        pz__vt_int(c, "ordinal_position", i + 1);
        if (ref != NULL) {
            /* The position of the referenced column in the referenced key: ours are the
             * referenced columns in order. */
            (void)ref_cols;
            pz__vt_int(c, "position_in_unique_constraint", i + 1);
        } else {
            pz__vt_null(c, "position_in_unique_constraint");
        }
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_is_key_column_usage(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_TABLE) {
            continue;
        }
        for (uint32_t k = 0; k < d->indexes_len && rc == 0; k++) {
            const pz_cat_index_t *ix = &d->indexes[k];
            if (ix->constraint && pz__vt_index_shown(d, ix)) {
                rc = s_key_cols(c, d, ix->name, ix->cols, (int)ix->cols_len, NULL, NULL);
            }
        }
        for (uint32_t k = 0; k < d->fks_len && rc == 0; k++) {
            const pz_cat_fk_t *fk = &d->fks[k];
            rc = s_key_cols(c, d, fk->name, fk->cols, (int)fk->cols_len,
                            pz__vt_find(s, fk->ref_table), fk->ref_cols);
        }
    }
    return rc;
}

int pz__vt_build_is_views(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_VIEW) {
            continue;
        }
        pz__vt_begin(c);
        s_rel(c, "table", d);
        pz__vt_view(c, "view_definition", d->view_query);
        pz__vt_text(c, "check_option", "NONE");
        pz__vt_text(c, "is_updatable", "NO");
        pz__vt_text(c, "is_insertable_into", "NO");
        pz__vt_text(c, "is_trigger_updatable", "NO");
        pz__vt_text(c, "is_trigger_deletable", "NO");
        pz__vt_text(c, "is_trigger_insertable_into", "NO");
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_is_sequences(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_SEQUENCE) {
            continue;
        }
        char start[32], min[32], max[32], inc[32];
        snprintf(start, sizeof start, "%lld", (long long)d->seq_start);
        snprintf(min, sizeof min, "%lld", (long long)d->seq_min);
        snprintf(max, sizeof max, "%lld", (long long)d->seq_max);
        snprintf(inc, sizeof inc, "%lld", (long long)d->seq_inc);
        pz__vt_begin(c);
        s_rel(c, "sequence", d);
        pz__vt_text(c, "data_type", "bigint");
        pz__vt_int(c, "numeric_precision", 64);
        pz__vt_int(c, "numeric_precision_radix", 2);
        pz__vt_int(c, "numeric_scale", 0);
        pz__vt_text(c, "start_value", start);
        pz__vt_text(c, "minimum_value", min);
        pz__vt_text(c, "maximum_value", max);
        pz__vt_text(c, "increment", inc);
        pz__vt_text(c, "cycle_option", d->seq_cycle ? "YES" : "NO");
        rc = pz__vt_push(c);
    }
    return rc;
}
