/*
 * sql_func_catalog.c — the catalog functions clients call beside pg_catalog's tables:
 * format_type, pg_get_userbyid, pg_table_is_visible, pg_get_indexdef, pg_get_constraintdef,
 * pg_get_expr, pg_get_viewdef, pg_get_serial_sequence, to_regclass, current_schemas, the
 * description functions (no comments are stored: always NULL), the privilege functions (no
 * privileges yet: always true), the size functions (0: the KV layer keeps no per-table sizes
 * yet), and the array functions psql's queries use (array_to_string, array_upper, ...).
 *
 * A function context has no catalog handle, so the functions that need the catalog read this
 * thread's latest catalog snapshot, taken when a virtual table of the same statement opened
 * (sql_vtab_int.h). psql's and the drivers' queries that call them always read pg_class or
 * pg_index too; called alone, they answer from the previous snapshot, or as for an unknown OID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_func_int.h"
#include "sql_vtab_int.h"

static int s_null(pz_ty_t t, pz_datum_t *out)
{
    *out = pz_datum_null(t);
    return 0;
}

static int s_text(pz_sql_fnctx_t *ctx, pz_ty_t t, const char *s, size_t n, pz_datum_t *out)
{
    return pz__fn_bytes(ctx, t, s, n, out);
}

static int s_sbuf_text(pz_sql_fnctx_t *ctx, pz_sbuf_t *b, pz_datum_t *out)
{
    int rc = b->oom ? pz__fn_oom(ctx) : s_text(ctx, PZ_TY_TEXT, b->p ? b->p : "", b->len, out);
    pz_sbuf_free(b);
    return rc;
}

/* format_type(type oid, typmod): not strict, as PostgreSQL's (a NULL typmod is "none"). */
static int s_format_type(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    if (argv[0].null) {
        return s_null(PZ_TY_TEXT, out);
    }
    pz_sql_type_t t;
    char buf[128];
    if (!pz_ty_from_oid((uint32_t)argv[0].v.i, &t)) {
        return s_text(ctx, PZ_TY_TEXT, "???", 3, out);
    }
    t.typmod = argv[1].null ? -1 : (int32_t)argv[1].v.i;
    size_t n = pz_ty_format(t, buf, sizeof buf);
    return s_text(ctx, PZ_TY_TEXT, buf, n < sizeof buf ? n : sizeof buf - 1, out);
}

static int s_userbyid(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    uint32_t oid = (uint32_t)argv[0].v.i;
    const char *name = pz__vt_role_name(pz__vt_snap(), oid);
    char buf[48];
    if (name == NULL) {
        snprintf(buf, sizeof buf, "unknown (OID=%u)", oid);
        name = buf;
    }
    return s_text(ctx, PZ_TY_NAME, name, strlen(name), out);
}

static int s_table_visible(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)ctx, (void)argc;
    const pz_vt_snap_t *s = pz__vt_snap();
    *out = pz_datum_bool(s != NULL && pz__vt_visible(s, (uint32_t)argv[0].v.i));
    return 0;
}

static int s_true(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)ctx, (void)argc, (void)argv;
    *out = pz_datum_bool(true);
    return 0;
}

static int s_false(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)ctx, (void)argc, (void)argv;
    *out = pz_datum_bool(false);
    return 0;
}

static int s_null_text(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)ctx, (void)argc, (void)argv;
    return s_null(PZ_TY_TEXT, out);
}

static int s_zero8(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)ctx, (void)argc, (void)argv;
    *out = pz_datum_int(PZ_TY_INT8, 0);
    return 0;
}

/* The table holding a derived OID (index / constraint), with its kind and sub id. */
static const pz_cat_desc_t *s_holder(uint32_t oid, int *kind, uint32_t *sub)
{
    uint32_t tid;
    const pz_vt_snap_t *s = pz__vt_snap();
    if (s == NULL || !pz__vt_oid_split(oid, kind, &tid, sub)) {
        return NULL;
    }
    const pz_cat_desc_t *t = pz__vt_find(s, tid);
    return t && t->kind == PZ_CAT_TABLE ? t : NULL;
}

/* pg_get_indexdef(index oid [, column, pretty]): the CREATE INDEX text, or column's name. */
static int s_indexdef(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    int kind;
    uint32_t sub;
    const pz_cat_desc_t *t = s_holder((uint32_t)argv[0].v.i, &kind, &sub);
    const pz_cat_index_t *ix = t && kind == PZ_VT_OID_INDEX ? pz__vt_index_of(t, sub) : NULL;
    if (ix == NULL) {
        return s_null(PZ_TY_TEXT, out);
    }
    pz_sbuf_t b = {0};
    pz__vt_indexdef(pz__vt_snap(), t, ix, argc > 1 ? (int)argv[1].v.i : 0, argc > 2 && argv[2].v.b,
                    &b);
    return s_sbuf_text(ctx, &b, out);
}

static int s_constraintdef(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    int kind;
    uint32_t sub;
    const pz_cat_desc_t *t = s_holder((uint32_t)argv[0].v.i, &kind, &sub);
    if (t == NULL) {
        return s_null(PZ_TY_TEXT, out);
    }
    pz_sbuf_t b = {0};
    pz__vt_condef(pz__vt_snap(), t, kind, sub, &b);
    if (b.len == 0 && !b.oom) {
        pz_sbuf_free(&b);
        return s_null(PZ_TY_TEXT, out);
    }
    return s_sbuf_text(ctx, &b, out);
}

/* pg_get_expr(expr, relation [, pretty]): our stored expressions are their text already. */
static int s_get_expr(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)ctx, (void)argc;
    *out = argv[0];
    out->type = PZ_TY_TEXT;
    return 0;
}

static int s_viewdef(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    const pz_vt_snap_t *s = pz__vt_snap();
    const pz_cat_desc_t *v = s ? pz__vt_find(s, (uint32_t)argv[0].v.i) : NULL;
    if (v == NULL || v->kind != PZ_CAT_VIEW) {
        return s_null(PZ_TY_TEXT, out);
    }
    return s_text(ctx, PZ_TY_TEXT, (const char *)v->view_query.ptr, v->view_query.len, out);
}

static int s_encoding(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    const char *n = argv[0].v.i == PZ_VT_ENC_UTF8 ? "UTF8" : argv[0].v.i == 0 ? "SQL_ASCII" : "";
    return s_text(ctx, PZ_TY_NAME, n, strlen(n), out);
}

/* A relation by (optionally schema-qualified) name, as the search path finds it; 0 if none. */
static uint32_t s_relation_by_name(const pz_vt_snap_t *s, const char *text, size_t len)
{
    char buf[256];
    if (s == NULL || len >= sizeof buf) {
        return 0;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    const char *schema = NULL, *name = buf;
    char *dot = strchr(buf, '.');
    if (dot != NULL) {
        *dot = '\0';
        schema = buf;
        name = dot + 1;
    }
    int n;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    for (int i = 0; i < n; i++) {
        bool ns = schema ? strcmp(schema, defs[i].schema) == 0
                         : strcmp(defs[i].schema, "pg_catalog") == 0;
        if (ns && strcmp(defs[i].name, name) == 0) {
            return defs[i].oid;
        }
    }
    for (int i = 0; i < s->n_objs; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind == PZ_CAT_SCHEMA || !pz_cat_name_eq(d->name, name)) {
            continue;
        }
        const char *dns = pz__vt_schema_name(s, d->schema_id);
        if (schema ? (dns && strcmp(dns, schema) == 0) : pz__vt_visible(s, d->id)) {
            return d->id;
        }
    }
    return 0;
}

static int s_to_regclass(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)ctx, (void)argc;
    uint32_t oid = s_relation_by_name(pz__vt_snap(), (const char *)argv[0].v.p, argv[0].len);
    if (oid == 0) {
        return s_null(PZ_TY_REGCLASS, out);
    }
    *out = pz_datum_int(PZ_TY_REGCLASS, oid);
    return 0;
}

/* pg_get_serial_sequence(table, column): "schema.sequence" of a serial / identity column. The
 * table may also come as its OID in text (what `attrelid::regclass::text` gives here). */
static int s_serial_seq(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    const pz_vt_snap_t *s = pz__vt_snap();
    char num[16];
    uint32_t oid = 0;
    if (argv[0].len > 0 && argv[0].len < sizeof num) {
        memcpy(num, argv[0].v.p, argv[0].len);
        num[argv[0].len] = '\0';
        char *end;
        unsigned long v = strtoul(num, &end, 10);
        oid = *end == '\0' ? (uint32_t)v : 0;
    }
    if (oid == 0) {
        oid = s_relation_by_name(s, (const char *)argv[0].v.p, argv[0].len);
    }
    const pz_cat_desc_t *t = s && oid ? pz__vt_find(s, oid) : NULL;
    for (uint32_t i = 0; t && i < t->cols_len; i++) {
        const pz_cat_col_t *c = &t->cols[i];
        if (c->seq_id == 0 || c->name.len != argv[1].len ||
            memcmp(c->name.ptr, argv[1].v.p, argv[1].len) != 0) {
            continue;
        }
        const pz_cat_desc_t *seq = pz__vt_find(s, c->seq_id);
        const char *ns = seq ? pz__vt_schema_name(s, seq->schema_id) : NULL;
        if (ns == NULL) {
            break;
        }
        pz_sbuf_t b = {0};
        pz_sbuf_printf(&b, "%s.%.*s", ns, (int)seq->name.len, (const char *)seq->name.ptr);
        return s_sbuf_text(ctx, &b, out);
    }
    return s_null(PZ_TY_TEXT, out);
}

/* current_schemas(include implicit): the search path's schemas, pg_catalog first when asked
 * for. PostgreSQL's result is name[]; a row's result can only be an array of the polymorphic
 * element, which is text here without arguments to bind it: text[] (prints the same). */
static int s_current_schemas(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    const pz_vt_snap_t *s = pz__vt_snap();
    const char *names[PZ_VT_PATH_MAX + 1];
    int n = 0;
    if (argv[0].v.b) {
        names[n++] = "pg_catalog";
    }
    for (int i = 0; s && i < s->n_path; i++) {
        const char *ns = pz__vt_schema_name(s, s->path[i]);
        if (ns != NULL && strcmp(ns, "pg_catalog") != 0) {
            names[n++] = ns;
        }
    }
    if (s == NULL) {
        names[n++] = "public"; /* no snapshot yet: the default search path */
    }
    pz_sql_array_t *a = (pz_sql_array_t *)pz__fn_alloc(ctx, sizeof *a);
    pz_datum_t *items = (pz_datum_t *)pz__fn_alloc(ctx, sizeof *items * (size_t)n);
    if (a == NULL || items == NULL) {
        return pz__fn_oom(ctx);
    }
    for (int i = 0; i < n; i++) {
        int rc = s_text(ctx, PZ_TY_TEXT, names[i], strlen(names[i]), &items[i]);
        if (rc != 0) {
            return rc;
        }
    }
    *a = (pz_sql_array_t){.elem = PZ_TY_TEXT, .n = (uint32_t)n, .items = items};
    *out = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = a};
    return 0;
}

static int s_size_pretty(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
    int64_t v = argv[0].v.i;
    int u = 0;
    /* PostgreSQL: switch unit past 10 * 1024 (of the current unit), rounding half up. */
    while (u < 5 && (v >= 10 * 1024 || v <= -10 * 1024)) {
        v = (v + (v < 0 ? -512 : 512)) / 1024;
        u++;
    }
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%lld %s", (long long)v, units[u]);
    return s_text(ctx, PZ_TY_TEXT, buf, (size_t)n, out);
}

/* ---- arrays ------------------------------------------------------------------------------- */

static int s_array_to_string(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    if (argv[0].null || argv[1].null) {
        return s_null(PZ_TY_TEXT, out);
    }
    const pz_sql_array_t *a = argv[0].v.arr;
    bool with_null = argc > 2 && !argv[2].null;
    pz_sbuf_t b = {0};
    bool first = true;
    for (uint32_t i = 0; i < a->n; i++) {
        if (a->items[i].null && !with_null) {
            continue;
        }
        if (!first) {
            pz_sbuf_put(&b, argv[1].v.p, argv[1].len);
        }
        first = false;
        if (a->items[i].null) {
            pz_sbuf_put(&b, argv[2].v.p, argv[2].len);
        } else {
            pz_datum_to_text(ctx->env, &a->items[i], &b);
        }
    }
    return s_sbuf_text(ctx, &b, out);
}

/* array_lower / array_upper / array_length over dimension 1 (our arrays have one, from 1). */
static int s_array_dim(pz_sql_fnctx_t *ctx, const pz_datum_t *argv, pz_datum_t *out, int which)
{
    (void)ctx;
    const pz_sql_array_t *a = argv[0].v.arr;
    if (argv[1].v.i != 1 || a->n == 0) {
        return s_null(PZ_TY_INT4, out);
    }
    *out = pz_datum_int(PZ_TY_INT4, which == 0 ? 1 : (int64_t)a->n);
    return 0;
}

static int s_array_lower(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    return s_array_dim(ctx, argv, out, 0);
}

static int s_array_upper(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)argc;
    return s_array_dim(ctx, argv, out, 1);
}

static int s_cardinality(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    (void)ctx, (void)argc;
    *out = pz_datum_int(PZ_TY_INT4, argv[0].v.arr->n);
    return 0;
}

#define S PZ_FN_STRICT
#define O PZ_TY_OID
#define I4 PZ_TY_INT4
#define TXT PZ_TY_TEXT
#define B PZ_TY_BOOL
#define ANY PZ_FN_ANY
#define ARR PZ_FN_ANYARRAY
#define F(name, n, r, fl, fn, oid, ...)                                                            \
    {                                                                                              \
        name, n, {__VA_ARGS__}, r, fl, fn, oid                                                     \
    }

const pz_sql_fndef_t pz__fn_catalog[] = {
    F("format_type", 2, TXT, PZ_FN_STABLE, s_format_type, 1081, O, I4),
    F("pg_get_userbyid", 1, PZ_TY_NAME, S | PZ_FN_STABLE, s_userbyid, 1642, O),
    F("pg_table_is_visible", 1, B, S | PZ_FN_STABLE, s_table_visible, 2079, O),
    F("pg_type_is_visible", 1, B, S | PZ_FN_STABLE, s_true, 2080, O),
    F("pg_function_is_visible", 1, B, S | PZ_FN_STABLE, s_true, 2081, O),
    F("pg_get_indexdef", 1, TXT, S | PZ_FN_STABLE, s_indexdef, 1643, O),
    F("pg_get_indexdef", 3, TXT, S | PZ_FN_STABLE, s_indexdef, 2507, O, I4, B),
    F("pg_get_constraintdef", 1, TXT, S | PZ_FN_STABLE, s_constraintdef, 1387, O),
    F("pg_get_constraintdef", 2, TXT, S | PZ_FN_STABLE, s_constraintdef, 2508, O, B),
    F("pg_get_expr", 2, TXT, S | PZ_FN_STABLE, s_get_expr, 1716, TXT, O),
    F("pg_get_expr", 3, TXT, S | PZ_FN_STABLE, s_get_expr, 2509, TXT, O, B),
    F("pg_get_viewdef", 1, TXT, S | PZ_FN_STABLE, s_viewdef, 1641, O),
    F("pg_get_viewdef", 2, TXT, S | PZ_FN_STABLE, s_viewdef, 2506, O, B),
    F("pg_get_serial_sequence", 2, TXT, S | PZ_FN_STABLE, s_serial_seq, 1665, TXT, TXT),
    F("pg_get_statisticsobjdef_columns", 1, TXT, S | PZ_FN_STABLE, s_null_text, 6174, O),
    F("pg_get_partkeydef", 1, TXT, S | PZ_FN_STABLE, s_null_text, 3352, O),
    /* No user triggers exist (pg_trigger is empty): psql's \d query names it all the same. */
    F("pg_get_triggerdef", 1, TXT, S | PZ_FN_STABLE, s_null_text, 1662, O),
    F("pg_get_triggerdef", 2, TXT, S | PZ_FN_STABLE, s_null_text, 2730, O, B),
    F("pg_relation_is_publishable", 1, B, S | PZ_FN_STABLE, s_false, 6121, O),
    F("to_regclass", 1, PZ_TY_REGCLASS, S | PZ_FN_STABLE, s_to_regclass, 3495, TXT),
    F("obj_description", 1, TXT, PZ_FN_STABLE, s_null_text, 1215, O),
    F("obj_description", 2, TXT, PZ_FN_STABLE, s_null_text, 1215, O, PZ_TY_NAME),
    F("col_description", 2, TXT, PZ_FN_STABLE, s_null_text, 1216, O, I4),
    F("shobj_description", 2, TXT, PZ_FN_STABLE, s_null_text, 1993, O, PZ_TY_NAME),
    F("pg_encoding_to_char", 1, PZ_TY_NAME, S, s_encoding, 1597, I4),
    F("current_schemas", 1, ARR, S | PZ_FN_STABLE, s_current_schemas, 1403, B),
    F("has_table_privilege", 2, B, S | PZ_FN_STABLE, s_true, 0, ANY, TXT),
    F("has_table_privilege", 3, B, S | PZ_FN_STABLE, s_true, 0, ANY, ANY, TXT),
    F("has_schema_privilege", 2, B, S | PZ_FN_STABLE, s_true, 0, ANY, TXT),
    F("has_schema_privilege", 3, B, S | PZ_FN_STABLE, s_true, 0, ANY, ANY, TXT),
    F("has_database_privilege", 2, B, S | PZ_FN_STABLE, s_true, 0, ANY, TXT),
    F("has_database_privilege", 3, B, S | PZ_FN_STABLE, s_true, 0, ANY, ANY, TXT),
    F("has_column_privilege", 3, B, S | PZ_FN_STABLE, s_true, 0, ANY, ANY, TXT),
    F("has_column_privilege", 4, B, S | PZ_FN_STABLE, s_true, 0, ANY, ANY, ANY, TXT),
    F("has_sequence_privilege", 2, B, S | PZ_FN_STABLE, s_true, 0, ANY, TXT),
    F("pg_has_role", 2, B, S | PZ_FN_STABLE, s_true, 0, ANY, TXT),
    F("pg_has_role", 3, B, S | PZ_FN_STABLE, s_true, 0, ANY, ANY, TXT),
    F("pg_relation_size", 1, PZ_TY_INT8, S, s_zero8, 2325, O),
    F("pg_total_relation_size", 1, PZ_TY_INT8, S, s_zero8, 2286, O),
    F("pg_table_size", 1, PZ_TY_INT8, S, s_zero8, 2997, O),
    F("pg_indexes_size", 1, PZ_TY_INT8, S, s_zero8, 2998, O),
    F("pg_database_size", 1, PZ_TY_INT8, S, s_zero8, 2168, PZ_TY_NAME),
    F("pg_size_pretty", 1, TXT, S, s_size_pretty, 2288, PZ_TY_INT8),
    F("pg_is_in_recovery", 0, B, PZ_FN_VOLATILE, s_false, 3810, 0),
    F("array_to_string", 2, TXT, PZ_FN_STABLE, s_array_to_string, 395, ARR, TXT),
    F("array_to_string", 3, TXT, PZ_FN_STABLE, s_array_to_string, 384, ARR, TXT, TXT),
    F("array_lower", 2, I4, S, s_array_lower, 2091, ARR, I4),
    F("array_upper", 2, I4, S, s_array_upper, 2092, ARR, I4),
    F("array_length", 2, I4, S, s_array_upper, 2176, ARR, I4),
    F("cardinality", 1, I4, S, s_cardinality, 3179, ARR),
};
const size_t pz__fn_catalog_n = sizeof pz__fn_catalog / sizeof pz__fn_catalog[0];
