/*
 * sql_vtab_pg.c — the rows of pg_catalog's tables and views, from the catalog snapshot
 * (sql_vtab_int.h). Column values follow PostgreSQL 15 where a client reads them (psql's
 * meta-commands, SQLAlchemy's and JDBC's reflection); the rest keep PostgreSQL's defaults.
 *
 * What is ours rather than PostgreSQL's: relations are tables ('r'), views ('v'), sequences
 * ('S') and indexes ('i') only; every index is a btree; the hidden rowid of a table without a
 * primary key and its primary index are not shown (PostgreSQL has neither); column numbers
 * (attnum) are the visible columns' positions; the catalogs' own tables are listed with their
 * columns but without their indexes.
 */
#include <assert.h>
#include <string.h>

#include "sql_vtab_int.h"

#define S_ARR_MAX (PZ_CAT_INDEX_COLS_MAX * 2)

static char s_typalign(pz_sql_type_t t)
{
    if (t.id == PZ_TY_ARRAY) {
        return (t.elem == PZ_TY_INT8 || t.elem == PZ_TY_FLOAT8 || t.elem == PZ_TY_TIMESTAMP ||
                t.elem == PZ_TY_TIMESTAMPTZ || t.elem == PZ_TY_INTERVAL || t.elem == PZ_TY_TIME)
                   ? 'd'
                   : 'i';
    }
    switch (pz_ty_len((pz_ty_t)t.id)) {
    case 1:
    case 16:
    case 64:
        return t.id == PZ_TY_INTERVAL ? 'd' : 'c';
    case 2:
        return 's';
    case 8:
        return 'd';
    default:
        return 'i';
    }
}

static bool s_byval(pz_ty_t t)
{
    int len = pz_ty_len(t);
    return len == 1 || len == 2 || len == 4 || len == 8;
}

static uint32_t s_collation(pz_sql_type_t t)
{
    uint8_t id = t.id == PZ_TY_ARRAY ? t.elem : t.id;
    if (id == PZ_TY_NAME) {
        return PZ_VT_COLL_C;
    }
    return id == PZ_TY_TEXT || id == PZ_TY_VARCHAR || id == PZ_TY_BPCHAR ? PZ_VT_COLL_DEFAULT : 0;
}

const char *pz__vt_typname(pz_sql_type_t t)
{
    static const char *const names[PZ_TY_COUNT_] = {
        [PZ_TY_UNKNOWN] = "unknown",
        [PZ_TY_BOOL] = "bool",
        [PZ_TY_INT2] = "int2",
        [PZ_TY_INT4] = "int4",
        [PZ_TY_INT8] = "int8",
        [PZ_TY_FLOAT4] = "float4",
        [PZ_TY_FLOAT8] = "float8",
        [PZ_TY_NUMERIC] = "numeric",
        [PZ_TY_TEXT] = "text",
        [PZ_TY_VARCHAR] = "varchar",
        [PZ_TY_BPCHAR] = "bpchar",
        [PZ_TY_NAME] = "name",
        [PZ_TY_BYTEA] = "bytea",
        [PZ_TY_DATE] = "date",
        [PZ_TY_TIME] = "time",
        [PZ_TY_TIMESTAMP] = "timestamp",
        [PZ_TY_TIMESTAMPTZ] = "timestamptz",
        [PZ_TY_INTERVAL] = "interval",
        [PZ_TY_UUID] = "uuid",
        [PZ_TY_JSON] = "json",
        [PZ_TY_JSONB] = "jsonb",
        [PZ_TY_OID] = "oid",
        [PZ_TY_REGCLASS] = "regclass",
        [PZ_TY_REGTYPE] = "regtype",
        [PZ_TY_REGPROC] = "regproc",
        [PZ_TY_CHAR] = "char",
        [PZ_TY_VOID] = "void",
        [PZ_TY_RECORD] = "record",
    };
    static const char *const arrays[PZ_TY_COUNT_] = {
        [PZ_TY_BOOL] = "_bool",
        [PZ_TY_INT2] = "_int2",
        [PZ_TY_INT4] = "_int4",
        [PZ_TY_INT8] = "_int8",
        [PZ_TY_FLOAT4] = "_float4",
        [PZ_TY_FLOAT8] = "_float8",
        [PZ_TY_NUMERIC] = "_numeric",
        [PZ_TY_TEXT] = "_text",
        [PZ_TY_VARCHAR] = "_varchar",
        [PZ_TY_BPCHAR] = "_bpchar",
        [PZ_TY_NAME] = "_name",
        [PZ_TY_BYTEA] = "_bytea",
        [PZ_TY_DATE] = "_date",
        [PZ_TY_TIME] = "_time",
        [PZ_TY_TIMESTAMP] = "_timestamp",
        [PZ_TY_TIMESTAMPTZ] = "_timestamptz",
        [PZ_TY_INTERVAL] = "_interval",
        [PZ_TY_UUID] = "_uuid",
        [PZ_TY_JSON] = "_json",
        [PZ_TY_JSONB] = "_jsonb",
        [PZ_TY_OID] = "_oid",
        [PZ_TY_REGCLASS] = "_regclass",
        [PZ_TY_REGTYPE] = "_regtype",
        [PZ_TY_REGPROC] = "_regproc",
        [PZ_TY_CHAR] = "_char",
        [PZ_TY_RECORD] = "_record",
    };
    if (t.id == PZ_TY_ARRAY) {
        return t.elem < PZ_TY_COUNT_ ? arrays[t.elem] : NULL;
    }
    return t.id < PZ_TY_COUNT_ ? names[t.id] : NULL;
}

static uint32_t s_owner(const pz_vt_snap_t *s, pz_view_t owner)
{
    return owner.len ? pz__vt_role_oid(pz__vt_str(s, owner)) : PZ_VT_ROLE_BOOTSTRAP;
}

static uint32_t s_def_ns(const pz_vt_def_t *d)
{
    return strcmp(d->schema, "pg_catalog") == 0 ? PZ_VT_NS_PG_CATALOG : PZ_VT_NS_INFO;
}

static int s_nshown(const pz_cat_desc_t *t)
{
    int n = 0;
    for (uint32_t i = 0; i < t->indexes_len; i++) {
        n += pz__vt_index_shown(t, &t->indexes[i]);
    }
    return n;
}

static int s_nvisible(const pz_cat_desc_t *t)
{
    int n = 0;
    for (uint32_t i = 0; i < t->cols_len; i++) {
        n += !t->cols[i].hidden;
    }
    return n;
}

/* ---- pg_class ------------------------------------------------------------------------------ */

static void s_class_common(pz_vt_ctx_t *c, uint32_t oid, uint32_t ns, char kind, int natts)
{
    pz__vt_begin(c);
    pz__vt_int(c, "oid", oid);
    pz__vt_int(c, "relnamespace", ns);
    pz__vt_int(c, "relfilenode", kind == 'v' ? 0 : oid);
    pz__vt_int(c, "relam", kind == 'r' ? PZ_VT_AM_HEAP : kind == 'i' ? PZ_VT_AM_BTREE : 0);
    pz__vt_int(c, "relowner", PZ_VT_ROLE_BOOTSTRAP);
    pz__vt_char(c, "relpersistence", 'p');
    pz__vt_char(c, "relkind", kind);
    pz__vt_int(c, "relnatts", natts);
    pz__vt_float(c, "reltuples", kind == 'r' ? -1 : 0);
    pz__vt_bool(c, "relispopulated", true);
    pz__vt_char(c, "relreplident", kind == 'r' ? 'd' : 'n');
}

int pz__vt_build_pg_class(pz_vt_ctx_t *c)
{
    int n, rc = 0;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    for (int i = 0; i < n && rc == 0; i++) {
        s_class_common(c, defs[i].oid, s_def_ns(&defs[i]), defs[i].relkind, defs[i].n_cols);
        pz__vt_text(c, "relname", defs[i].name);
        rc = pz__vt_push(c);
    }
    const pz_vt_snap_t *s = c->snap;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        char kind = d->kind == PZ_CAT_TABLE      ? 'r'
                    : d->kind == PZ_CAT_VIEW     ? 'v'
                    : d->kind == PZ_CAT_SEQUENCE ? 'S'
                                                 : 0;
        if (kind == 0) {
            continue;
        }
        s_class_common(c, d->id, d->schema_id, kind, kind == 'S' ? 3 : s_nvisible(d));
        pz__vt_view(c, "relname", d->name);
        pz__vt_int(c, "relowner", s_owner(s, d->owner));
        pz__vt_bool(c, "relhasindex", s_nshown(d) > 0);
        pz__vt_int(c, "relchecks", d->checks_len);
        /* PostgreSQL enforces foreign keys with (internal) triggers on both tables, and psql's
         * \d lists a table's foreign keys and referrers only when this is set. */
        pz__vt_bool(c, "relhastriggers", d->fks_len > 0 || d->referenced_by_len > 0);
        if (kind == 'r') {
            /* The row count of the last statistics collection; -1 (PostgreSQL 15's "never
             * analyzed") without one. The catalog caches statistics, absence included. */
            pz_cat_stats_t *st = NULL;
            pz_sql_err_t e = {0};
            (void)pz_cat_stats_get(c->ex->cat, c->ex->kv, d->id, c->tmp, &st, &e);
            pz__vt_float(c, "reltuples", st ? (double)st->rows : -1);
        }
        rc = pz__vt_push(c);
        for (uint32_t k = 0; k < d->indexes_len && rc == 0; k++) {
            const pz_cat_index_t *ix = &d->indexes[k];
            if (!pz__vt_index_shown(d, ix)) {
                continue;
            }
            s_class_common(c, pz__vt_oid(PZ_VT_OID_INDEX, d->id, ix->id), d->schema_id, 'i',
                           (int)(ix->cols_len + ix->include_len));
            pz__vt_view(c, "relname", ix->name);
            pz__vt_int(c, "relowner", s_owner(s, d->owner));
            rc = pz__vt_push(c);
        }
    }
    return rc;
}

int pz__vt_build_pg_namespace(pz_vt_ctx_t *c)
{
    static const struct {
        uint32_t oid;
        const char *name;
    } fixed[] = {{PZ_VT_NS_PG_CATALOG, "pg_catalog"},
                 {PZ_VT_NS_INFO, "information_schema"},
                 {PZ_VT_NS_TOAST, "pg_toast"}};
    int rc = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && rc == 0; i++) {
        pz__vt_begin(c);
        pz__vt_int(c, "oid", fixed[i].oid);
        pz__vt_text(c, "nspname", fixed[i].name);
        pz__vt_int(c, "nspowner", PZ_VT_ROLE_BOOTSTRAP);
        rc = pz__vt_push(c);
    }
    const pz_vt_snap_t *s = c->snap;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_SCHEMA) {
            continue;
        }
        pz__vt_begin(c);
        pz__vt_int(c, "oid", d->id);
        pz__vt_view(c, "nspname", d->name);
        pz__vt_int(c, "nspowner", s_owner(s, d->owner));
        rc = pz__vt_push(c);
    }
    return rc;
}

/* ---- pg_attribute -------------------------------------------------------------------------- */

static int s_attr(pz_vt_ctx_t *c, uint32_t rel, pz_view_t name, pz_sql_type_t t, int attnum,
                  bool not_null)
{
    pz__vt_begin(c);
    pz__vt_int(c, "attrelid", rel);
    pz__vt_view(c, "attname", name);
    pz__vt_int(c, "atttypid", pz_ty_oid(t));
    pz__vt_int(c, "attstattarget", -1);
    pz__vt_int(c, "attlen", t.id == PZ_TY_ARRAY ? -1 : pz_ty_len((pz_ty_t)t.id));
    pz__vt_int(c, "attnum", attnum);
    pz__vt_int(c, "attndims", t.id == PZ_TY_ARRAY);
    pz__vt_int(c, "attcacheoff", -1);
    pz__vt_int(c, "atttypmod", t.typmod);
    pz__vt_bool(c, "attbyval", t.id != PZ_TY_ARRAY && s_byval((pz_ty_t)t.id));
    pz__vt_char(c, "attalign", s_typalign(t));
    pz__vt_char(c, "attstorage", t.id == PZ_TY_ARRAY || pz_ty_len((pz_ty_t)t.id) == -1 ? 'x' : 'p');
    pz__vt_bool(c, "attnotnull", not_null);
    pz__vt_bool(c, "attislocal", true);
    pz__vt_int(c, "attcollation", s_collation(t));
    return 0;
}

static pz_view_t s_cv(const char *s)
{
    return (pz_view_t){.ptr = (const uint8_t *)s, .len = (uint32_t)strlen(s)};
}

static int s_attrs_of_table(pz_vt_ctx_t *c, const pz_cat_desc_t *d)
{
    int rc = 0;
    if (d->kind == PZ_CAT_SEQUENCE) {
        static const char *const names[] = {"last_value", "log_cnt", "is_called"};
        for (int k = 0; k < 3 && rc == 0; k++) {
            s_attr(c, d->id, s_cv(names[k]), PZ_SQL_TYPE(k < 2 ? PZ_TY_INT8 : PZ_TY_BOOL), k + 1,
                   true);
            rc = pz__vt_push(c);
        }
        return rc;
    }
    for (uint32_t k = 0; k < d->cols_len && rc == 0; k++) {
        const pz_cat_col_t *col = &d->cols[k];
        if (col->hidden) {
            continue;
        }
        s_attr(c, d->id, col->name, pz_cat_col_type(col), pz__vt_attnum(d, col->id), col->not_null);
        pz__vt_bool(c, "atthasdef", col->default_expr.len > 0 && col->identity == 0);
        pz__vt_char(c, "attidentity", (char)col->identity);
        rc = pz__vt_push(c);
    }
    for (uint32_t k = 0; k < d->indexes_len && rc == 0; k++) {
        const pz_cat_index_t *ix = &d->indexes[k];
        if (!pz__vt_index_shown(d, ix)) {
            continue;
        }
        uint32_t oid = pz__vt_oid(PZ_VT_OID_INDEX, d->id, ix->id);
        uint32_t n = ix->cols_len + ix->include_len;
        for (uint32_t j = 0; j < n && rc == 0; j++) {
            const pz_cat_icol_t *ic =
                j < ix->cols_len ? &ix->cols[j] : &ix->include[j - ix->cols_len];
            const pz_cat_col_t *col = pz_cat_col_by_id(d, ic->col);
            if (col == NULL) {
                continue;
            }
            s_attr(c, oid, col->name, pz_cat_col_type(col), (int)j + 1, false);
            rc = pz__vt_push(c);
        }
    }
    return rc;
}

int pz__vt_build_pg_attribute(pz_vt_ctx_t *c)
{
    int n, rc = 0;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    for (int i = 0; i < n && rc == 0; i++) {
        for (int k = 0; k < defs[i].n_cols && rc == 0; k++) {
            s_attr(c, defs[i].oid, s_cv(defs[i].names[k]), defs[i].types[k], k + 1, false);
            rc = pz__vt_push(c);
        }
    }
    const pz_vt_snap_t *s = c->snap;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        if (s->objs[i].kind != PZ_CAT_SCHEMA) {
            rc = s_attrs_of_table(c, &s->objs[i]);
        }
    }
    return rc;
}

/* ---- pg_type ------------------------------------------------------------------------------- */

static int s_type_row(pz_vt_ctx_t *c, pz_sql_type_t t)
{
    const char *name = pz__vt_typname(t);
    uint32_t oid = pz_ty_oid(t);
    if (name == NULL || oid == 0) {
        return 0;
    }
    bool arr = t.id == PZ_TY_ARRAY;
    char cat = arr ? 'A' : pz_ty_category((pz_ty_t)t.id);
    pz__vt_begin(c);
    pz__vt_int(c, "oid", oid);
    pz__vt_text(c, "typname", name);
    pz__vt_int(c, "typnamespace", PZ_VT_NS_PG_CATALOG);
    pz__vt_int(c, "typowner", PZ_VT_ROLE_BOOTSTRAP);
    pz__vt_int(c, "typlen", arr ? -1 : pz_ty_len((pz_ty_t)t.id));
    pz__vt_bool(c, "typbyval", !arr && s_byval((pz_ty_t)t.id));
    pz__vt_char(c, "typtype", cat == 'P' || cat == 'X' ? 'p' : 'b');
    pz__vt_char(c, "typcategory", cat);
    pz__vt_bool(c, "typispreferred", !arr && pz_ty_is_preferred((pz_ty_t)t.id));
    pz__vt_bool(c, "typisdefined", true);
    pz__vt_char(c, "typdelim", ',');
    pz__vt_int(c, "typelem", arr ? pz_ty_oid(PZ_SQL_TYPE(t.elem)) : 0);
    pz_sql_type_t at = {.id = PZ_TY_ARRAY, .elem = t.id, .typmod = -1};
    pz__vt_int(c, "typarray", arr || pz__vt_typname(at) == NULL ? 0 : pz_ty_oid(at));
    pz__vt_char(c, "typalign", s_typalign(t));
    pz__vt_char(c, "typstorage", arr || pz_ty_len((pz_ty_t)t.id) == -1 ? 'x' : 'p');
    pz__vt_int(c, "typtypmod", -1);
    pz__vt_int(c, "typcollation", s_collation(t));
    return pz__vt_push(c);
}

int pz__vt_build_pg_type(pz_vt_ctx_t *c)
{
    int rc = 0;
    for (int id = 0; id < PZ_TY_COUNT_ && rc == 0; id++) {
        if (id == PZ_TY_ARRAY) {
            continue;
        }
        rc = s_type_row(c, PZ_SQL_TYPE(id));
        pz_sql_type_t at = {.id = PZ_TY_ARRAY, .elem = (uint8_t)id, .typmod = -1};
        rc = rc ? rc : s_type_row(c, at);
    }
    return rc;
}

/* ---- pg_index, pg_constraint, pg_attrdef ---------------------------------------------------- */

static int s_attnums(const pz_cat_desc_t *t, const pz_cat_icol_t *cols, int n, int64_t *out)
{
    for (int i = 0; i < n; i++) {
        out[i] = pz__vt_attnum(t, cols[i].col);
    }
    return n;
}

static int s_index_row(pz_vt_ctx_t *c, const pz_cat_desc_t *d, const pz_cat_index_t *ix)
{
    int64_t keys[S_ARR_MAX], opts[S_ARR_MAX], coll[S_ARR_MAX], zero[S_ARR_MAX] = {0};
    int nk = s_attnums(d, ix->cols, (int)ix->cols_len, keys);
    int n = nk + s_attnums(d, ix->include, (int)ix->include_len, keys + nk);
    for (int i = 0; i < n; i++) {
        const pz_cat_icol_t *ic = i < nk ? &ix->cols[i] : &ix->include[i - nk];
        const pz_cat_col_t *col = pz_cat_col_by_id(d, ic->col);
        opts[i] = i < nk && ic->desc ? 3 : 0; /* INDOPTION_DESC | INDOPTION_NULLS_FIRST */
        coll[i] = col ? s_collation(pz_cat_col_type(col)) : 0;
    }
    pz__vt_begin(c);
    pz__vt_int(c, "indexrelid", pz__vt_oid(PZ_VT_OID_INDEX, d->id, ix->id));
    pz__vt_int(c, "indrelid", d->id);
    pz__vt_int(c, "indnatts", n);
    pz__vt_int(c, "indnkeyatts", nk);
    pz__vt_bool(c, "indisunique", ix->unique);
    pz__vt_bool(c, "indisprimary", ix->id == 1);
    pz__vt_bool(c, "indimmediate", true);
    pz__vt_bool(c, "indisvalid", true);
    pz__vt_bool(c, "indisready", true);
    pz__vt_bool(c, "indislive", true);
    int rc = pz__vt_int_array(c, "indkey", keys, n);
    rc = rc ? rc : pz__vt_int_array(c, "indoption", opts, n);
    rc = rc ? rc : pz__vt_int_array(c, "indcollation", coll, n);
    rc = rc ? rc : pz__vt_int_array(c, "indclass", zero, n);
    return rc ? rc : pz__vt_push(c);
}

int pz__vt_build_pg_index(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        for (uint32_t k = 0; d->kind == PZ_CAT_TABLE && k < d->indexes_len && rc == 0; k++) {
            if (pz__vt_index_shown(d, &d->indexes[k])) {
                rc = s_index_row(c, d, &d->indexes[k]);
            }
        }
    }
    return rc;
}

static void s_con_common(pz_vt_ctx_t *c, const pz_cat_desc_t *d, uint32_t oid, pz_view_t name,
                         char type)
{
    pz__vt_begin(c);
    pz__vt_int(c, "oid", oid);
    pz__vt_view(c, "conname", name);
    pz__vt_int(c, "connamespace", d->schema_id);
    pz__vt_char(c, "contype", type);
    pz__vt_bool(c, "convalidated", true);
    pz__vt_int(c, "conrelid", d->id);
    pz__vt_bool(c, "conislocal", true);
    pz__vt_bool(c, "connoinherit", type == 'p' || type == 'u');
    pz__vt_char(c, "confupdtype", ' ');
    pz__vt_char(c, "confdeltype", ' ');
    pz__vt_char(c, "confmatchtype", ' ');
}

static char s_fk_char(uint8_t a)
{
    static const char m[] = {[PZ_FK_NO_ACTION] = 'a',
                             [PZ_FK_RESTRICT] = 'r',
                             [PZ_FK_CASCADE] = 'c',
                             [PZ_FK_SET_NULL] = 'n',
                             [PZ_FK_SET_DEFAULT] = 'd'};
    return a < sizeof m ? m[a] : 'a';
}

static int s_table_cons(pz_vt_ctx_t *c, const pz_cat_desc_t *d)
{
    int64_t keys[S_ARR_MAX], refs[S_ARR_MAX];
    int rc = 0;
    for (uint32_t k = 0; k < d->indexes_len && rc == 0; k++) {
        const pz_cat_index_t *ix = &d->indexes[k];
        if (!ix->constraint || !pz__vt_index_shown(d, ix)) {
            continue;
        }
        s_con_common(c, d, pz__vt_oid(PZ_VT_OID_KEYCON, d->id, ix->id), ix->name,
                     ix->id == 1 ? 'p' : 'u');
        pz__vt_int(c, "conindid", pz__vt_oid(PZ_VT_OID_INDEX, d->id, ix->id));
        int n = s_attnums(d, ix->cols, (int)ix->cols_len, keys);
        rc = pz__vt_int_array(c, "conkey", keys, n);
        rc = rc ? rc : pz__vt_push(c);
    }
    for (uint32_t k = 0; k < d->checks_len && rc == 0; k++) {
        s_con_common(c, d, pz__vt_oid(PZ_VT_OID_CHECK, d->id, k + 1), d->checks[k].name, 'c');
        pz__vt_view(c, "conbin", d->checks[k].expr);
        rc = pz__vt_push(c);
    }
    for (uint32_t k = 0; k < d->fks_len && rc == 0; k++) {
        const pz_cat_fk_t *fk = &d->fks[k];
        const pz_cat_desc_t *ref = pz__vt_find(c->snap, fk->ref_table);
        s_con_common(c, d, pz__vt_oid(PZ_VT_OID_FK, d->id, k + 1), fk->name, 'f');
        pz__vt_int(c, "confrelid", fk->ref_table);
        pz__vt_char(c, "confupdtype", s_fk_char(fk->on_update));
        pz__vt_char(c, "confdeltype", s_fk_char(fk->on_delete));
        pz__vt_char(c, "confmatchtype", 's');
        int n = s_attnums(d, fk->cols, (int)fk->cols_len, keys);
        int nr = ref ? s_attnums(ref, fk->ref_cols, (int)fk->ref_cols_len, refs) : 0;
        rc = pz__vt_int_array(c, "conkey", keys, n);
        rc = rc ? rc : pz__vt_int_array(c, "confkey", refs, nr);
        rc = rc ? rc : pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_constraint(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        if (s->objs[i].kind == PZ_CAT_TABLE) {
            rc = s_table_cons(c, &s->objs[i]);
        }
    }
    return rc;
}

int pz__vt_build_pg_attrdef(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        for (uint32_t k = 0; d->kind == PZ_CAT_TABLE && k < d->cols_len && rc == 0; k++) {
            const pz_cat_col_t *col = &d->cols[k];
            if (col->hidden || col->default_expr.len == 0 || col->identity != 0) {
                continue;
            }
            int attnum = pz__vt_attnum(d, col->id);
            pz__vt_begin(c);
            pz__vt_int(c, "oid", pz__vt_oid(PZ_VT_OID_ATTRDEF, d->id, (uint32_t)attnum));
            pz__vt_int(c, "adrelid", d->id);
            pz__vt_int(c, "adnum", attnum);
            pz__vt_view(c, "adbin", col->default_expr); /* pg_get_expr gives it back */
            rc = pz__vt_push(c);
        }
    }
    return rc;
}

/* ---- databases, roles, fixed rows ----------------------------------------------------------- */

int pz__vt_build_pg_database(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_dbs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->dbs[i];
        pz__vt_begin(c);
        pz__vt_int(c, "oid", d->id);
        pz__vt_view(c, "datname", d->name);
        pz__vt_int(c, "datdba", s_owner(s, d->owner));
        pz__vt_int(c, "encoding", PZ_VT_ENC_UTF8);
        pz__vt_char(c, "datlocprovider", 'c');
        pz__vt_bool(c, "datallowconn", true);
        pz__vt_int(c, "datconnlimit", -1);
        pz__vt_int(c, "dattablespace", PZ_VT_TBLSPC_DEFAULT);
        pz__vt_text(c, "datcollate", "C"); /* text compares bytewise */
        pz__vt_text(c, "datctype", "C");
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_roles(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    const pz_role_t *me = pz__vt_role_rec(s, s->user);
    bool me_super = me ? me->superuser : strcmp(s->user, "root") == 0;
    for (int i = 0; i < s->n_roles && rc == 0; i++) {
        /* A stored role (sql_role.c), or an owner name without a record (root before its
         * record exists: the built-in superuser). */
        const pz_role_t *r = pz__vt_role_rec(s, s->roles[i]);
        bool super = r ? r->superuser : strcmp(s->roles[i], "root") == 0;
        pz__vt_begin(c);
        pz__vt_text(c, "rolname", s->roles[i]);
        pz__vt_bool(c, "rolsuper", super);
        pz__vt_bool(c, "rolinherit", true);
        pz__vt_bool(c, "rolcreaterole", super);
        pz__vt_bool(c, "rolcreatedb", super);
        pz__vt_bool(c, "rolcanlogin", r ? r->login : true);
        pz__vt_bool(c, "rolreplication", super);
        pz__vt_bool(c, "rolbypassrls", super);
        pz__vt_int(c, "rolconnlimit", -1);
        pz__vt_text(c, "rolpassword", "********");
        pz__vt_int(c, "oid", pz__vt_role_oid(s->roles[i]));
        if (strcmp(c->def->name, "pg_authid") == 0) {
            /* The verifier, to superusers only (PostgreSQL's pg_authid is theirs alone). */
            if (me_super && r != NULL && r->password.len > 0) {
                pz__vt_view(c, "rolpassword", r->password);
            } else {
                pz__vt_null(c, "rolpassword");
            }
        }
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_user(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_roles && rc == 0; i++) {
        const pz_role_t *r = pz__vt_role_rec(s, s->roles[i]);
        bool super = r ? r->superuser : strcmp(s->roles[i], "root") == 0;
        if (r != NULL && !r->login) {
            continue; /* pg_user lists the roles that can log in */
        }
        pz__vt_begin(c);
        pz__vt_text(c, "usename", s->roles[i]);
        pz__vt_int(c, "usesysid", pz__vt_role_oid(s->roles[i]));
        pz__vt_bool(c, "usecreatedb", super);
        pz__vt_bool(c, "usesuper", super);
        pz__vt_bool(c, "userepl", super);
        pz__vt_bool(c, "usebypassrls", super);
        pz__vt_text(c, "passwd", "********");
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_am(pz_vt_ctx_t *c)
{
    pz__vt_begin(c);
    pz__vt_int(c, "oid", PZ_VT_AM_HEAP);
    pz__vt_text(c, "amname", "heap");
    pz__vt_char(c, "amtype", 't');
    int rc = pz__vt_push(c);
    if (rc == 0) {
        pz__vt_begin(c);
        pz__vt_int(c, "oid", PZ_VT_AM_BTREE);
        pz__vt_text(c, "amname", "btree");
        pz__vt_char(c, "amtype", 'i');
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_tablespace(pz_vt_ctx_t *c)
{
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        pz__vt_begin(c);
        pz__vt_int(c, "oid", i ? PZ_VT_TBLSPC_GLOBAL : PZ_VT_TBLSPC_DEFAULT);
        pz__vt_text(c, "spcname", i ? "pg_global" : "pg_default");
        pz__vt_int(c, "spcowner", PZ_VT_ROLE_BOOTSTRAP);
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_collation(pz_vt_ctx_t *c)
{
    static const struct {
        uint32_t oid;
        const char *name;
        char provider;
        const char *locale;
    } rows[] = {{PZ_VT_COLL_DEFAULT, "default", 'd', NULL},
                {PZ_VT_COLL_C, "C", 'c', "C"},
                {PZ_VT_COLL_POSIX, "POSIX", 'c', "POSIX"}};
    int rc = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && rc == 0; i++) {
        pz__vt_begin(c);
        pz__vt_int(c, "oid", rows[i].oid);
        pz__vt_text(c, "collname", rows[i].name);
        pz__vt_int(c, "collnamespace", PZ_VT_NS_PG_CATALOG);
        pz__vt_int(c, "collowner", PZ_VT_ROLE_BOOTSTRAP);
        pz__vt_char(c, "collprovider", rows[i].provider);
        pz__vt_bool(c, "collisdeterministic", true);
        pz__vt_int(c, "collencoding", -1);
        pz__vt_text(c, "collcollate", rows[i].locale);
        pz__vt_text(c, "collctype", rows[i].locale);
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_empty(pz_vt_ctx_t *c)
{
    (void)c;
    return 0;
}

/* ---- sequences ----------------------------------------------------------------------------- */

int pz__vt_build_pg_sequence(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_SEQUENCE) {
            continue;
        }
        pz__vt_begin(c);
        pz__vt_int(c, "seqrelid", d->id);
        pz__vt_int(c, "seqtypid", pz_ty_oid(PZ_SQL_TYPE(PZ_TY_INT8)));
        pz__vt_int(c, "seqstart", d->seq_start);
        pz__vt_int(c, "seqincrement", d->seq_inc);
        pz__vt_int(c, "seqmax", d->seq_max);
        pz__vt_int(c, "seqmin", d->seq_min);
        pz__vt_int(c, "seqcache", 1);
        pz__vt_bool(c, "seqcycle", d->seq_cycle);
        rc = pz__vt_push(c);
    }
    return rc;
}

/* A sequence a column draws from depends on the column: 'a' for serial, 'i' for identity. */
int pz__vt_build_pg_depend(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        for (uint32_t k = 0; d->kind == PZ_CAT_TABLE && k < d->cols_len && rc == 0; k++) {
            const pz_cat_col_t *col = &d->cols[k];
            if (col->seq_id == 0 || col->hidden) {
                continue;
            }
            pz__vt_begin(c);
            pz__vt_int(c, "classid", 1259);
            pz__vt_int(c, "objid", col->seq_id);
            pz__vt_int(c, "refclassid", 1259);
            pz__vt_int(c, "refobjid", d->id);
            pz__vt_int(c, "refobjsubid", pz__vt_attnum(d, col->id));
            pz__vt_char(c, "deptype", col->identity ? 'i' : 'a');
            rc = pz__vt_push(c);
        }
    }
    return rc;
}

int pz__vt_build_pg_sequences(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_SEQUENCE) {
            continue;
        }
        pz__vt_begin(c);
        pz__vt_text(c, "schemaname", pz__vt_schema_name(s, d->schema_id));
        pz__vt_view(c, "sequencename", d->name);
        pz__vt_view(c, "sequenceowner", d->owner);
        pz__vt_int(c, "data_type", pz_ty_oid(PZ_SQL_TYPE(PZ_TY_INT8)));
        pz__vt_int(c, "start_value", d->seq_start);
        pz__vt_int(c, "min_value", d->seq_min);
        pz__vt_int(c, "max_value", d->seq_max);
        pz__vt_int(c, "increment_by", d->seq_inc);
        pz__vt_bool(c, "cycle", d->seq_cycle);
        pz__vt_int(c, "cache_size", 1);
        pz__vt_null(c, "last_value"); /* would need a read of the sequence's value */
        rc = pz__vt_push(c);
    }
    return rc;
}

/* ---- pg_proc: the function table ------------------------------------------------------------ */

static uint32_t s_arg_oid(uint8_t a)
{
    switch (a) {
    case PZ_FN_ANY:
        return 2276; /* "any" */
    case PZ_FN_ANYARRAY:
        return 2277;
    case PZ_FN_ANYELEM:
        return 2283;
    default:
        return a < PZ_TY_COUNT_ ? pz_ty_oid(PZ_SQL_TYPE(a)) : 0;
    }
}

int pz__vt_build_pg_proc(pz_vt_ctx_t *c)
{
    size_t n;
    const pz_sql_fndef_t *t = pz_sql_fn_table(&n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const pz_sql_fndef_t *f = &t[i];
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++) {
            dup = t[k].oid == f->oid;
        }
        if (f->oid == 0 || (f->flags & PZ_FN_OPERATOR) || dup) {
            continue;
        }
        int64_t args[PZ_FN_ARGS_MAX];
        int na = f->nargs < PZ_FN_ARGS_MAX ? f->nargs : PZ_FN_ARGS_MAX;
        for (int k = 0; k < na; k++) {
            args[k] = s_arg_oid(f->args[k]);
        }
        pz__vt_begin(c);
        pz__vt_int(c, "oid", f->oid);
        pz__vt_text(c, "proname", f->name);
        pz__vt_int(c, "pronamespace", PZ_VT_NS_PG_CATALOG);
        pz__vt_int(c, "proowner", PZ_VT_ROLE_BOOTSTRAP);
        pz__vt_int(c, "prolang", 12); /* internal */
        pz__vt_float(c, "procost", 1);
        pz__vt_char(c, "prokind", 'f');
        pz__vt_bool(c, "proisstrict", (f->flags & PZ_FN_STRICT) != 0);
        pz__vt_char(c, "provolatile",
                    (f->flags & PZ_FN_VOLATILE) ? 'v'
                    : (f->flags & PZ_FN_STABLE) ? 's'
                                                : 'i');
        pz__vt_char(c, "proparallel", 's');
        pz__vt_int(c, "pronargs", na);
        pz__vt_int(c, "prorettype", s_arg_oid(f->ret));
        pz__vt_text(c, "prosrc", f->name);
        rc = pz__vt_int_array(c, "proargtypes", args, na);
        rc = rc ? rc : pz__vt_push(c);
    }
    return rc;
}

/* ---- system views ---------------------------------------------------------------------------- */

int pz__vt_build_pg_views(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_VIEW) {
            continue;
        }
        pz__vt_begin(c);
        pz__vt_text(c, "schemaname", pz__vt_schema_name(s, d->schema_id));
        pz__vt_view(c, "viewname", d->name);
        pz__vt_view(c, "viewowner", d->owner);
        pz__vt_view(c, "definition", d->view_query);
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_tables(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    int n, rc = 0;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    for (int i = 0; i < n && rc == 0; i++) {
        if (defs[i].relkind != 'r') {
            continue;
        }
        pz__vt_begin(c);
        pz__vt_text(c, "schemaname", defs[i].schema);
        pz__vt_text(c, "tablename", defs[i].name);
        pz__vt_text(c, "tableowner", "root");
        pz__vt_null(c, "tablespace");
        rc = pz__vt_push(c);
    }
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        if (d->kind != PZ_CAT_TABLE) {
            continue;
        }
        pz__vt_begin(c);
        pz__vt_text(c, "schemaname", pz__vt_schema_name(s, d->schema_id));
        pz__vt_view(c, "tablename", d->name);
        pz__vt_view(c, "tableowner", d->owner);
        pz__vt_null(c, "tablespace");
        pz__vt_bool(c, "hasindexes", s_nshown(d) > 0);
        rc = pz__vt_push(c);
    }
    return rc;
}

int pz__vt_build_pg_indexes(pz_vt_ctx_t *c)
{
    const pz_vt_snap_t *s = c->snap;
    pz_sbuf_t b = {0};
    int rc = 0;
    for (int i = 0; i < s->n_objs && rc == 0; i++) {
        const pz_cat_desc_t *d = &s->objs[i];
        for (uint32_t k = 0; d->kind == PZ_CAT_TABLE && k < d->indexes_len && rc == 0; k++) {
            const pz_cat_index_t *ix = &d->indexes[k];
            if (!pz__vt_index_shown(d, ix)) {
                continue;
            }
            pz_sbuf_reset(&b);
            pz__vt_indexdef(s, d, ix, 0, false, &b);
            pz__vt_begin(c);
            pz__vt_text(c, "schemaname", pz__vt_schema_name(s, d->schema_id));
            pz__vt_view(c, "tablename", d->name);
            pz__vt_view(c, "indexname", ix->name);
            pz__vt_null(c, "tablespace");
            pz__vt_textn(c, "indexdef", b.p ? b.p : "", b.len);
            rc = b.oom ? pz_sql_err_set(c->ex->err, "53200", "out of memory") : pz__vt_push(c);
        }
    }
    pz_sbuf_free(&b);
    return rc;
}
