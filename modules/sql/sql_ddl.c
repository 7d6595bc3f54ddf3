/*
 * sql_ddl.c — schema changes. A statement builds the new descriptors in memory, then writes
 * them, their name entries (conditional puts: a name taken concurrently fails the statement
 * with 42P07) and any data removal (range deletes) as one KV batch, and flushes the catalog
 * cache. CREATE INDEX on a table with rows backfills the entries first, in batches; until
 * schema changes run as jobs with descriptor states (CockroachDB's write-only → public), a
 * write to the table that races with the backfill can miss the new index.
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/keys.h"
#include "sql_bind_int.h"
#include "sql_ddl.h"
#include "sql_rowenc.h"
#include "sql_role.h"

#define S_KEY_BYTES 4096u
#define S_BACKFILL_BATCH 5000u

typedef struct {
    pz_kv_req_t *reqs;
    uint32_t n, cap;
    pz_arena_t *a;
} s_batch_t;

static int s_add(pz_binder_t *b, s_batch_t *w, pz_kv_req_t r)
{
    if (w->n == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 16;
        pz_kv_req_t *n = pz_ex_alloc(b->ex, sizeof *n * cap);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (w->n) {
            memcpy(n, w->reqs, sizeof *n * w->n);
        }
        w->reqs = n;
        w->cap = cap;
    }
    w->reqs[w->n++] = r;
    return 0;
}

static pz_view_t s_dup(pz_binder_t *b, const void *p, size_t n)
{
    return pz_arena_dup(b->ex->arena, p, n);
}

static int s_put_desc(pz_binder_t *b, s_batch_t *w, const pz_cat_desc_t *d)
{
    uint8_t key[PZ_CAT_KEY_BYTES];
    size_t kl = pz_cat_key_desc(key, d->id);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pz_cat_desc_pack(d, &buf, &len);
    if (rc != 0) {
        return pz_sql_err_code(b->ex->err, rc, "encoding a descriptor");
    }
    pz_kv_req_t r = {.op = PZ_KV_PUT, .key = s_dup(b, key, kl), .value = s_dup(b, buf, len)};
    free(buf);
    return s_add(b, w, r);
}

static int s_del_desc(pz_binder_t *b, s_batch_t *w, uint32_t id)
{
    uint8_t key[PZ_CAT_KEY_BYTES];
    size_t kl = pz_cat_key_desc(key, id);
    return s_add(b, w, (pz_kv_req_t){.op = PZ_KV_DEL, .key = s_dup(b, key, kl)});
}

/* A name entry: created with a conditional put (absent), or deleted. */
static int s_name(pz_binder_t *b, s_batch_t *w, uint32_t db, uint32_t sch, const char *name,
                  uint32_t id, uint32_t index_id, bool create)
{
    uint8_t key[PZ_CAT_KEY_BYTES], val[8];
    size_t kl = pz_cat_key_name(key, db, sch, name);
    if (kl == 0) {
        return pz_sql_err_set(b->ex->err, "42622", "name \"%.40s...\" is too long", name);
    }
    size_t vl = pz_cat_name_value(val, id, index_id);
    pz_kv_req_t r = {.op = create ? PZ_KV_CPUT : PZ_KV_DEL, .key = s_dup(b, key, kl)};
    if (create) {
        r.value = s_dup(b, val, vl);
    }
    return s_add(b, w, r);
}

/* Sends the batch; a failed conditional put is a name already taken. */
static int s_commit(pz_binder_t *b, s_batch_t *w, const char *what, const char *name)
{
    if (w->n == 0) {
        return 0;
    }
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    int rc = pz_sql_kv_send(b->ex->kv, w->reqs, w->n, false, &reply, &resp, b->ex->err);
    if (rc == 0 && resp.error.code == PZ_ECONDFAILED) {
        /* duplicate_database, duplicate_schema, duplicate_table: PostgreSQL's codes. */
        const char *state = strcmp(what, "database") == 0 ? "42P04"
                            : strcmp(what, "schema") == 0 ? "42P06"
                                                          : "42P07";
        rc = pz_sql_err_set(b->ex->err, state, "%s \"%s\" already exists", what, name);
    }
    pz_msg_free(&reply);
    pz_cat_flush(b->ex->cat);
    return rc;
}

/* The schema a new object goes into: named, or the first existing one on the search path. */
static int s_target_schema(pz_binder_t *b, const pz_ast_qname_t *q, uint32_t *sid)
{
    if (q->schema != NULL) {
        if (strcmp(q->schema, "pg_catalog") == 0 || strcmp(q->schema, "information_schema") == 0) {
            return pz_sql_err_set(b->ex->err, "42501", "permission denied to create \"%s.%s\"",
                                  q->schema, q->name);
        }
        return pz_bind_schema(b, q->schema, sid);
    }
    if (b->n_search_path == 0) {
        return pz_sql_err_set(b->ex->err, "3F000", "no schema has been selected to create in");
    }
    *sid = b->search_path[0];
    return 0;
}

/* Whether a relation name is taken in the schema (tables, views, sequences and indexes share
 * the namespace). */
static bool s_taken(pz_binder_t *b, uint32_t sid, const char *name)
{
    uint32_t id;
    return pz_cat_lookup(b->ex->cat, b->ex->kv, b->db_id, sid, name, &id, NULL, b->ex->err) == 0;
}

static pz_view_t s_v(const char *s)
{
    return pz_view_str(s);
}

/* ---- CREATE TABLE --------------------------------------------------------------------------- */

typedef struct {
    pz_cat_desc_t d;
    pz_cat_col_t cols[PZ_CAT_COLS_MAX];
    pz_cat_index_t idx[PZ_CAT_INDEXES_MAX];
    pz_cat_icol_t icols[PZ_CAT_INDEXES_MAX][PZ_CAT_INDEX_COLS_MAX];
    pz_cat_check_t checks[PZ_CAT_CONS_MAX];
    pz_cat_fk_t fks[PZ_CAT_CONS_MAX];
    pz_cat_icol_t fk_cols[PZ_CAT_CONS_MAX][PZ_CAT_INDEX_COLS_MAX];
    pz_cat_icol_t fk_ref[PZ_CAT_CONS_MAX][PZ_CAT_INDEX_COLS_MAX];
    pz_cat_entry_t *parents[PZ_CAT_CONS_MAX];         /* tables referenced (not this one) */
    const pz_ast_cons_t *pending_fk[PZ_CAT_CONS_MAX]; /* resolved after every column and key */
    const char *pending_col[PZ_CAT_CONS_MAX];
    int n_pending;
    int n_parents;
    bool self_ref;
    const char *seq_names[PZ_CAT_COLS_MAX];
    uint32_t seq_ids[PZ_CAT_COLS_MAX];
    int n_seqs;
    const char *schema; /* named in CREATE TABLE and not public: serial defaults qualify by it */
} s_newtab_t;

static char *s_printf(pz_binder_t *b, const char *fmt, const char *a, const char *c)
{
    char buf[256];
    snprintf(buf, sizeof buf, fmt, a, c);
    return (char *)pz__bind_strdup(b, buf, strlen(buf));
}

static int s_col_idx(const s_newtab_t *t, const char *name)
{
    for (uint32_t i = 0; i < t->d.cols_len; i++) {
        if (pz_cat_name_eq(t->cols[i].name, name)) {
            return (int)i;
        }
    }
    return -1;
}

/* An index over named columns (PRIMARY KEY / UNIQUE). */
static int s_add_index(pz_binder_t *b, s_newtab_t *t, const char *name, const char **cols, int n,
                       bool primary, int location)
{
    if (t->d.indexes_len >= PZ_CAT_INDEXES_MAX || n > PZ_CAT_INDEX_COLS_MAX) {
        return pz_sql_err_set(b->ex->err, "54011", "too many indexes or index columns");
    }
    uint32_t k = primary ? 0 : t->d.indexes_len;
    if (primary && t->d.indexes_len > 0 && t->idx[0].cols_len > 0) {
        pz_sql_err_set(b->ex->err, "42P16",
                       "multiple primary keys for table \"%.*s\" are not "
                       "allowed",
                       (int)t->d.name.len, t->d.name.ptr);
        b->ex->err->position = location;
        return PZ_EINVAL;
    }
    pz_cat_index_t *ix = &t->idx[k];
    ix->id = primary ? 1 : ++t->d.next_index_id;
    ix->unique = true;
    ix->constraint = true;
    ix->cols = t->icols[k];
    ix->cols_len = 0;
    for (int i = 0; i < n; i++) {
        int c = s_col_idx(t, cols[i]);
        if (c < 0) {
            pz_sql_err_set(b->ex->err, "42703", "column \"%s\" named in key does not exist",
                           cols[i]);
            b->ex->err->position = location;
            return PZ_EINVAL;
        }
        if (!pz_rowenc_key_type_ok(t->cols[c].type)) {
            return pz_sql_err_set(b->ex->err, "0A000",
                                  "column \"%s\" of type %s cannot be a key "
                                  "column",
                                  cols[i], pz_ty_name(t->cols[c].type));
        }
        if (primary) {
            t->cols[c].not_null = true;
        }
        ix->cols[ix->cols_len++] = (pz_cat_icol_t){.col = t->cols[c].id};
    }
    if (name == NULL) {
        char buf[200] = "";
        size_t len = 0;
        for (int i = 0; i < n && len < sizeof buf; i++) {
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? "_" : "", cols[i]);
        }
        char tn[128];
        snprintf(tn, sizeof tn, "%.*s", (int)t->d.name.len, t->d.name.ptr);
        name = primary ? s_printf(b, "%s_pkey", tn, NULL) : s_printf(b, "%s_%s_key", tn, buf);
    }
    ix->name = s_v(name);
    if (!primary) {
        t->d.indexes_len++;
    }
    return 0;
}

static int s_check(pz_binder_t *b, s_newtab_t *t, const pz_ast_cons_t *c, const char *col)
{
    if (t->d.checks_len >= PZ_CAT_CONS_MAX) {
        return pz_sql_err_set(b->ex->err, "54011", "too many constraints");
    }
    char tn[128];
    snprintf(tn, sizeof tn, "%.*s", (int)t->d.name.len, t->d.name.ptr);
    const char *name = c->name ? c->name
                       : col   ? s_printf(b, "%s_%s_check", tn, col)
                               : s_printf(b, "%s_check", tn, NULL);
    t->checks[t->d.checks_len++] = (pz_cat_check_t){.name = s_v(name), .expr = s_v(c->expr_text)};
    return 0;
}

/* A FOREIGN KEY (column or table constraint). The parent is resolved now; its referenced_by
 * gains the new table when the batch is written. */
static int s_fk(pz_binder_t *b, s_newtab_t *t, const pz_ast_cons_t *c, const char *col)
{
    const char *const *cols = col ? &col : c->cols;
    int n = col ? 1 : c->n_cols;
    if (t->d.fks_len >= PZ_CAT_CONS_MAX || n > PZ_CAT_INDEX_COLS_MAX) {
        return pz_sql_err_set(b->ex->err, "54011", "too many constraints");
    }
    if (c->on_update == PZ_FK_CASCADE || c->on_update == PZ_FK_SET_NULL ||
        c->on_update == PZ_FK_SET_DEFAULT || c->on_delete == PZ_FK_SET_DEFAULT) {
        return pz_sql_err_set(b->ex->err, "0A000",
                              "ON UPDATE CASCADE/SET NULL/SET DEFAULT and "
                              "ON DELETE SET DEFAULT are not supported yet");
    }
    const pz_cat_desc_t *p = &t->d;
    bool self = c->ref_schema == NULL && pz_cat_name_eq(t->d.name, c->ref_table);
    if (!self) {
        pz_cat_entry_t *pe = NULL;
        int rc = pz_bind_relation(b, c->ref_schema, c->ref_table, c->location, &pe);
        if (rc == 0 && pe->d.kind != PZ_CAT_TABLE) {
            rc = pz_sql_err_set(b->ex->err, "42809", "referenced relation \"%s\" is not a table",
                                c->ref_table);
        }
        if (rc != 0) {
            return rc;
        }
        p = &pe->d;
        bool seen = false;
        for (int i = 0; i < t->n_parents; i++) {
            seen |= t->parents[i] == pe;
        }
        if (!seen) {
            t->parents[t->n_parents++] = pe; /* held by the binder */
        }
    }
    t->self_ref |= self;
    uint32_t k = t->d.fks_len;
    pz_cat_fk_t *fk = &t->fks[k];
    *fk = (pz_cat_fk_t){.cols = t->fk_cols[k],
                        .ref_cols = t->fk_ref[k],
                        .ref_table = p->id,
                        .on_delete = c->on_delete,
                        .on_update = c->on_update};
    for (int i = 0; i < n; i++) {
        int ci = s_col_idx(t, cols[i]);
        if (ci < 0) {
            return pz_sql_err_set(b->ex->err, "42703",
                                  "column \"%s\" referenced in foreign key "
                                  "constraint does not exist",
                                  cols[i]);
        }
        fk->cols[fk->cols_len++] = (pz_cat_icol_t){.col = t->cols[ci].id};
    }
    if (c->n_ref_cols == 0) { /* the parent's primary key */
        for (uint32_t i = 0; i < p->indexes[0].cols_len && i < PZ_CAT_INDEX_COLS_MAX; i++) {
            fk->ref_cols[fk->ref_cols_len++] = p->indexes[0].cols[i];
        }
    }
    for (int i = 0; i < c->n_ref_cols; i++) {
        const pz_cat_col_t *pc = pz_cat_col_by_name(p, c->ref_cols[i]);
        if (pc == NULL) {
            return pz_sql_err_set(b->ex->err, "42703",
                                  "column \"%s\" referenced in foreign key "
                                  "constraint does not exist",
                                  c->ref_cols[i]);
        }
        fk->ref_cols[fk->ref_cols_len++] = (pz_cat_icol_t){.col = pc->id};
    }
    if (fk->ref_cols_len != fk->cols_len) {
        return pz_sql_err_set(b->ex->err, "42830",
                              "number of referencing and referenced columns "
                              "for foreign key disagree");
    }
    if (pz_cat_unique_on(p, fk->ref_cols, fk->ref_cols_len) == NULL) {
        return pz_sql_err_set(b->ex->err, "42830",
                              "there is no unique constraint matching given "
                              "keys for referenced table \"%s\"",
                              c->ref_table);
    }
    char tn[128];
    snprintf(tn, sizeof tn, "%.*s", (int)t->d.name.len, t->d.name.ptr);
    fk->name = s_v(c->name ? c->name : s_printf(b, "%s_%s_fkey", tn, cols[0]));
    t->d.fks_len++;
    return 0;
}

/* Each referenced table's descriptor gains child_id in referenced_by (same batch). */
static int s_fk_parents(pz_binder_t *b, s_batch_t *w, s_newtab_t *t)
{
    for (int i = 0; i < t->n_parents; i++) {
        const pz_cat_desc_t *p = &t->parents[i]->d;
        pz_cat_desc_t *d = pz_ex_alloc(b->ex, sizeof *d);
        pz_cat_icol_t *refs = pz_ex_alloc(b->ex, sizeof *refs * (p->referenced_by_len + 1));
        if (d == NULL || refs == NULL) {
            return PZ_ENOMEM;
        }
        if (p->referenced_by_len >= PZ_CAT_CONS_MAX) {
            return pz_sql_err_set(b->ex->err, "54011", "too many tables reference \"%.*s\"",
                                  (int)p->name.len, p->name.ptr);
        }
        *d = *p;
        if (p->referenced_by_len) {
            memcpy(refs, p->referenced_by, sizeof *refs * p->referenced_by_len);
        }
        refs[d->referenced_by_len++] = (pz_cat_icol_t){.col = t->d.id};
        d->referenced_by = refs;
        d->version++;
        int rc = s_put_desc(b, w, d);
        if (rc != 0) {
            return rc;
        }
    }
    if (t->self_ref) {
        static pz_cat_icol_t self[1];
        self[0] = (pz_cat_icol_t){.col = t->d.id};
        pz_cat_icol_t *one = pz_ex_alloc(b->ex, sizeof *one);
        if (one == NULL) {
            return PZ_ENOMEM;
        }
        *one = self[0];
        t->d.referenced_by = one;
        t->d.referenced_by_len = 1;
    }
    return 0;
}

static int s_serial(pz_binder_t *b, s_newtab_t *t, pz_cat_col_t *col, const char *cname)
{
    char tn[128];
    snprintf(tn, sizeof tn, "%.*s", (int)t->d.name.len, t->d.name.ptr);
    const char *sname = s_printf(b, "%s_%s_seq", tn, cname);
    uint32_t sid = 0;
    int rc = pz_cat_alloc_id(b->ex->kv, &sid, b->ex->err);
    if (rc != 0) {
        return rc;
    }
    t->seq_names[t->n_seqs] = sname;
    t->seq_ids[t->n_seqs++] = sid;
    col->seq_id = sid;
    col->not_null = true;
    /* Qualified outside public, as PostgreSQL prints it: the default must find the sequence
     * whatever the search path of the session inserting. */
    col->default_expr = s_v(t->schema ? s_printf(b, "nextval('%s.%s'::regclass)", t->schema, sname)
                                      : s_printf(b, "nextval('%s'::regclass)", sname, NULL));
    return 0;
}

static int s_coldef(pz_binder_t *b, s_newtab_t *t, const pz_ast_coldef_t *cd)
{
    if (t->d.cols_len >= PZ_CAT_COLS_MAX - 1) {
        return pz_sql_err_set(b->ex->err, "54011", "tables can have at most %d columns",
                              PZ_CAT_COLS_MAX - 1);
    }
    if (s_col_idx(t, cd->name) >= 0) {
        return pz_sql_err_set(b->ex->err, "42701", "column \"%s\" specified more than once",
                              cd->name);
    }
    pz_cat_col_t *col = &t->cols[t->d.cols_len++];
    *col = (pz_cat_col_t){.id = ++t->d.next_col_id, .name = s_v(cd->name)};
    const char *tn = cd->type.name;
    bool serial = strcmp(tn, "serial") == 0 || strcmp(tn, "serial4") == 0 ||
                  strcmp(tn, "bigserial") == 0 || strcmp(tn, "serial8") == 0 ||
                  strcmp(tn, "smallserial") == 0 || strcmp(tn, "serial2") == 0;
    pz_sql_type_t ty;
    const char *real = !serial                        ? tn
                       : tn[0] == 'b' || tn[6] == '8' ? "int8"
                       : tn[1] == 'm' || tn[6] == '2' ? "int2"
                                                      : "int4";
    int rc = pz_ty_from_name(real, cd->type.mods, cd->type.n_mods, cd->type.array, &ty, b->ex->err);
    if (rc != 0) {
        b->ex->err->position = cd->type.location;
        return rc;
    }
    col->type = ty.id;
    col->elem = ty.elem;
    col->typmod = ty.typmod;
    if (serial && (rc = s_serial(b, t, col, cd->name)) != 0) {
        return rc;
    }
    for (int i = 0; i < cd->n_cons; i++) {
        const pz_ast_cons_t *c = &cd->cons[i];
        const char *one[1] = {cd->name};
        switch (c->kind) {
        case PZ_CONS_NOT_NULL:
            col->not_null = true;
            break;
        case PZ_CONS_NULL:
            break;
        case PZ_CONS_DEFAULT:
            col->default_expr = s_v(c->expr_text);
            break;
        case PZ_CONS_PRIMARY:
            rc = s_add_index(b, t, c->name, one, 1, true, c->location);
            break;
        case PZ_CONS_UNIQUE:
            rc = s_add_index(b, t, c->name, one, 1, false, c->location);
            break;
        case PZ_CONS_CHECK:
            rc = s_check(b, t, c, cd->name);
            break;
        case PZ_CONS_IDENTITY:
            rc = s_serial(b, t, col, cd->name);
            col->identity = c->identity_always ? 'a' : 'd';
            break;
        default:
            if (t->n_pending >= PZ_CAT_CONS_MAX) {
                return pz_sql_err_set(b->ex->err, "54011", "too many constraints");
            }
            t->pending_col[t->n_pending] = cd->name;
            t->pending_fk[t->n_pending++] = c;
            break;
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Binds each DEFAULT and CHECK once, so a bad expression fails the CREATE, not a later INSERT. */
static int s_validate_exprs(pz_binder_t *b, s_newtab_t *t)
{
    for (uint32_t i = 0; i < t->d.cols_len; i++) {
        const pz_cat_col_t *c = &t->cols[i];
        if (c->default_expr.len == 0 || c->seq_id != 0) {
            continue;
        }
        pz_bx_t *x;
        int rc = pz_bind_stored_expr(b, NULL, pz__view_cstr(b, c->default_expr), &x);
        char what[128];
        snprintf(what, sizeof what, "column \"%.*s\"", (int)c->name.len, c->name.ptr);
        rc = rc ? rc : pz_bind_coerce(b, x, pz_cat_col_type(c), PZ_CAST_ASSIGN, what, &x);
        if (rc != 0) {
            return rc;
        }
    }
    for (uint32_t i = 0; i < t->d.checks_len; i++) {
        pz_bx_t *x;
        int rc = pz_bind_stored_expr(b, &t->d, pz__view_cstr(b, t->checks[i].expr), &x);
        if (rc == 0 && x->type.id != PZ_TY_BOOL) {
            rc = pz_sql_err_set(b->ex->err, "42804",
                                "argument of CHECK must be type boolean, "
                                "not type %s",
                                pz_ty_name(x->type.id));
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int s_seq_desc(pz_binder_t *b, s_batch_t *w, uint32_t sid, uint32_t id, const char *name,
                      int64_t start, int64_t inc, int64_t min, int64_t max, bool cycle)
{
    pz_cat_desc_t d = {.id = id,
                       .kind = PZ_CAT_SEQUENCE,
                       .db_id = b->db_id,
                       .schema_id = sid,
                       .name = s_v(name),
                       .version = 1,
                       .seq_start = start,
                       .seq_inc = inc,
                       .seq_min = min,
                       .seq_max = max,
                       .seq_cycle = cycle};
    int rc = s_name(b, w, b->db_id, sid, name, id, 0, true);
    return rc ? rc : s_put_desc(b, w, &d);
}

static int s_create_table(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    uint32_t sid;
    int rc = s_target_schema(b, &s->rel, &sid);
    if (rc != 0) {
        return rc;
    }
    snprintf(tag, 64, "CREATE TABLE");
    if (s_taken(b, sid, s->rel.name)) {
        if (s->if_not_exists) {
            return 0;
        }
        pz_sql_err_set(b->ex->err, "42P07", "relation \"%s\" already exists", s->rel.name);
        return PZ_EINVAL;
    }
    s_newtab_t *t = pz_ex_alloc(b->ex, sizeof *t);
    if (t == NULL) {
        return PZ_ENOMEM;
    }
    t->d = (pz_cat_desc_t){.kind = PZ_CAT_TABLE,
                           .db_id = b->db_id,
                           .schema_id = sid,
                           .name = s_v(s->rel.name),
                           .version = 1,
                           .owner = s_v("root"),
                           .fks = t->fks,
                           .cols = t->cols,
                           .indexes = t->idx,
                           .checks = t->checks,
                           .next_index_id = 1};
    t->d.indexes_len = 1; /* slot 0: the primary index, filled below */
    t->schema = s->rel.schema && strcmp(s->rel.schema, "public") ? s->rel.schema : NULL;
    for (int i = 0; rc == 0 && i < s->n_coldefs; i++) {
        rc = s_coldef(b, t, &s->coldefs[i]);
    }
    for (int i = 0; rc == 0 && i < s->n_tcons; i++) {
        const pz_ast_cons_t *c = &s->tcons[i];
        if (c->kind == PZ_CONS_PRIMARY || c->kind == PZ_CONS_UNIQUE) {
            rc = s_add_index(b, t, c->name, c->cols, c->n_cols, c->kind == PZ_CONS_PRIMARY,
                             c->location);
        } else if (c->kind == PZ_CONS_CHECK) {
            rc = s_check(b, t, c, NULL);
        } else {
            if (t->n_pending >= PZ_CAT_CONS_MAX) {
                return pz_sql_err_set(b->ex->err, "54011", "too many constraints");
            }
            t->pending_col[t->n_pending] = NULL;
            t->pending_fk[t->n_pending++] = c;
        }
    }
    if (rc == 0 && t->idx[0].cols_len == 0) {
        /* No primary key: a hidden unique row id, as CockroachDB's rowid. */
        pz_cat_col_t *col = &t->cols[t->d.cols_len++];
        *col = (pz_cat_col_t){.id = ++t->d.next_col_id,
                              .name = s_v("rowid"),
                              .type = PZ_TY_INT8,
                              .typmod = -1,
                              .not_null = true,
                              .hidden = true};
        const char *one[1] = {"rowid"};
        rc = s_add_index(b, t, NULL, one, 1, true, 0);
    }
    for (int i = 0; rc == 0 && i < t->n_pending; i++) {
        rc = s_fk(b, t, t->pending_fk[i], t->pending_col[i]);
    }
    rc = rc ? rc : s_validate_exprs(b, t);
    rc = rc ? rc : pz_cat_alloc_id(b->ex->kv, &t->d.id, b->ex->err);
    for (uint32_t i = 0; rc == 0 && i < t->d.fks_len; i++) {
        if (t->fks[i].ref_table == 0) {
            t->fks[i].ref_table = t->d.id; /* a self-reference: the id is known only now */
        }
    }
    if (rc != 0) {
        return rc;
    }
    s_batch_t w = {0};
    rc = s_name(b, &w, b->db_id, sid, s->rel.name, t->d.id, 0, true);
    for (uint32_t i = 0; rc == 0 && i < t->d.indexes_len; i++) {
        rc = s_name(b, &w, b->db_id, sid, pz__view_cstr(b, t->idx[i].name), t->d.id, t->idx[i].id,
                    true);
    }
    for (int i = 0; rc == 0 && i < t->n_seqs; i++) {
        rc = s_seq_desc(b, &w, sid, t->seq_ids[i], t->seq_names[i], 1, 1, 1, INT64_MAX, false);
    }
    rc = rc ? rc : s_fk_parents(b, &w, t);
    rc = rc ? rc : s_put_desc(b, &w, &t->d);
    return rc ? rc : s_commit(b, &w, "relation", s->rel.name);
}

/* ---- DROP -------------------------------------------------------------------------------------
 */

static int s_table_data(pz_binder_t *b, s_batch_t *w, uint32_t id)
{
    uint8_t lo[64], hi[64];
    size_t ll = pz_rowenc_table_prefix(lo, sizeof lo, id);
    size_t hl = pz_rowenc_prefix_end(hi, sizeof hi, lo, ll);
    return s_add(
        b, w,
        (pz_kv_req_t){.op = PZ_KV_DEL_RANGE, .key = s_dup(b, lo, ll), .end_key = s_dup(b, hi, hl)});
}

/* Dropping a table with foreign keys: each parent forgets it (referenced_by). A table other
 * tables reference cannot be dropped (2BP01; CASCADE, which drops their constraints, is not
 * built yet). */
/* The relations one statement drops together (DROP SCHEMA / DATABASE): foreign keys among them
 * neither block the drop nor rewrite each other's descriptors. */
typedef struct {
    uint32_t *ids;
    int n;
} s_dropset_t;

static bool s_dropping(const s_dropset_t *set, uint32_t id)
{
    for (int i = 0; set != NULL && i < set->n; i++) {
        if (set->ids[i] == id) {
            return true;
        }
    }
    return false;
}

static int s_drop_fks(pz_binder_t *b, s_batch_t *w, const pz_cat_desc_t *d, const s_dropset_t *set)
{
    pz_sbuf_t deps = {0};
    for (uint32_t i = 0; i < d->referenced_by_len; i++) {
        pz_cat_entry_t *ce = NULL;
        if (d->referenced_by[i].col == d->id || s_dropping(set, d->referenced_by[i].col) ||
            pz_cat_get(b->ex->cat, b->ex->kv, d->referenced_by[i].col, &ce, b->ex->err) != 0) {
            pz_sql_err_clear(b->ex->err);
            continue;
        }
        for (uint32_t f = 0; f < ce->d.fks_len; f++) {
            if (ce->d.fks[f].ref_table == d->id) {
                pz_sbuf_printf(&deps, "%sconstraint %.*s on table %.*s depends on table %.*s",
                               deps.len ? "\n" : "", (int)ce->d.fks[f].name.len,
                               ce->d.fks[f].name.ptr, (int)ce->d.name.len, ce->d.name.ptr,
                               (int)d->name.len, d->name.ptr);
            }
        }
        pz_cat_release(&ce);
    }
    if (deps.len > 0) {
        pz_sql_err_set(b->ex->err, "2BP01",
                       "cannot drop table %.*s because other objects "
                       "depend on it",
                       (int)d->name.len, d->name.ptr);
        pz_sql_err_detail(b->ex->err, "%.*s", (int)deps.len, deps.p);
        pz_sql_err_hint(b->ex->err, "Use DROP ... CASCADE to drop the dependent objects too.");
        pz_sbuf_free(&deps);
        return PZ_EINVAL;
    }
    pz_sbuf_free(&deps);
    for (uint32_t f = 0; f < d->fks_len; f++) {
        pz_cat_entry_t *pe = NULL;
        if (d->fks[f].ref_table == d->id || s_dropping(set, d->fks[f].ref_table) ||
            pz_cat_get(b->ex->cat, b->ex->kv, d->fks[f].ref_table, &pe, b->ex->err) != 0) {
            pz_sql_err_clear(b->ex->err);
            continue;
        }
        int rc = pz__bind_hold(b, pe);
        pz_cat_desc_t *p = rc ? NULL : pz_ex_alloc(b->ex, sizeof *p);
        pz_cat_icol_t *refs =
            p ? pz_ex_alloc(b->ex, sizeof *refs * (pe->d.referenced_by_len + 1)) : NULL;
        if (refs == NULL) {
            return rc ? rc : PZ_ENOMEM;
        }
        *p = pe->d;
        p->referenced_by = refs;
        p->referenced_by_len = 0;
        for (uint32_t i = 0; i < pe->d.referenced_by_len; i++) {
            if (pe->d.referenced_by[i].col != d->id) {
                refs[p->referenced_by_len++] = pe->d.referenced_by[i];
            }
        }
        p->version++;
        if ((rc = s_put_desc(b, w, p)) != 0) {
            return rc;
        }
    }
    return 0;
}

static int s_drop_rel(pz_binder_t *b, s_batch_t *w, const pz_cat_desc_t *d, const s_dropset_t *set)
{
    int rc = d->kind == PZ_CAT_TABLE ? s_drop_fks(b, w, d, set) : 0;
    rc = rc ? rc : s_name(b, w, d->db_id, d->schema_id, pz__view_cstr(b, d->name), 0, 0, false);
    for (uint32_t i = 0; rc == 0 && d->kind == PZ_CAT_TABLE && i < d->indexes_len; i++) {
        rc =
            s_name(b, w, d->db_id, d->schema_id, pz__view_cstr(b, d->indexes[i].name), 0, 0, false);
    }
    for (uint32_t i = 0; rc == 0 && d->kind == PZ_CAT_TABLE && i < d->cols_len; i++) {
        pz_cat_entry_t *seq = NULL;
        if (d->cols[i].seq_id == 0 ||
            pz_cat_get(b->ex->cat, b->ex->kv, d->cols[i].seq_id, &seq, b->ex->err) != 0) {
            pz_sql_err_clear(b->ex->err);
            continue;
        }
        rc = s_name(b, w, seq->d.db_id, seq->d.schema_id, pz__view_cstr(b, seq->d.name), 0, 0,
                    false);
        rc = rc ? rc : s_del_desc(b, w, seq->d.id);
        pz_cat_release(&seq);
    }
    if (rc == 0 && d->kind == PZ_CAT_TABLE) {
        rc = s_table_data(b, w, d->id);
    }
    if (rc == 0 && d->kind == PZ_CAT_SEQUENCE) {
        uint8_t key[PZ_CAT_KEY_BYTES];
        size_t kl = pz_cat_key_seq(key, d->id);
        rc = s_add(b, w, (pz_kv_req_t){.op = PZ_KV_DEL, .key = s_dup(b, key, kl)});
    }
    return rc ? rc : s_del_desc(b, w, d->id);
}

static int s_drop_index(pz_binder_t *b, s_batch_t *w, const pz_ast_qname_t *q, bool if_exists,
                        bool *dropped)
{
    uint32_t sid, id = 0, index_id = 0;
    int rc = PZ_ENOTFOUND;
    for (int i = 0; rc == PZ_ENOTFOUND && i < (q->schema ? 1 : b->n_search_path); i++) {
        if (q->schema && (rc = pz_bind_schema(b, q->schema, &sid)) != 0) {
            return rc;
        }
        sid = q->schema ? sid : b->search_path[i];
        rc = pz_cat_lookup(b->ex->cat, b->ex->kv, b->db_id, sid, q->name, &id, &index_id,
                           b->ex->err);
    }
    if (rc == PZ_ENOTFOUND || (rc == 0 && index_id == 0)) {
        if (if_exists && rc == PZ_ENOTFOUND) {
            return 0;
        }
        return pz_sql_err_set(b->ex->err, rc ? "42704" : "42809",
                              rc ? "index \"%s\" does not exist" : "\"%s\" is not an index",
                              q->name);
    }
    pz_cat_entry_t *e = NULL;
    rc = rc ? rc : pz_cat_get(b->ex->cat, b->ex->kv, id, &e, b->ex->err);
    if (rc != 0) {
        return rc;
    }
    rc = pz__bind_hold(b, e);
    if (rc != 0) {
        return rc;
    }
    pz_cat_desc_t *d = pz_ex_alloc(b->ex, sizeof *d);
    pz_cat_index_t *ix = pz_ex_alloc(b->ex, sizeof *ix * (e->d.indexes_len + 1));
    if (d == NULL || ix == NULL) {
        return PZ_ENOMEM;
    }
    *d = e->d;
    d->indexes = ix;
    d->indexes_len = 0;
    for (uint32_t i = 0; i < e->d.indexes_len; i++) {
        const pz_cat_index_t *x = &e->d.indexes[i];
        if (x->id != index_id) {
            ix[d->indexes_len++] = *x;
        } else if (x->constraint) {
            return pz_sql_err_set(b->ex->err, "2BP01",
                                  "cannot drop index %s because constraint "
                                  "%s on table %.*s requires it",
                                  q->name, q->name, (int)e->d.name.len, e->d.name.ptr);
        }
    }
    d->version++;
    uint8_t lo[64], hi[64];
    size_t ll = pz_rowenc_index_prefix(lo, sizeof lo, id, index_id);
    size_t hl = pz_rowenc_prefix_end(hi, sizeof hi, lo, ll);
    rc = s_add(
        b, w,
        (pz_kv_req_t){.op = PZ_KV_DEL_RANGE, .key = s_dup(b, lo, ll), .end_key = s_dup(b, hi, hl)});
    rc = rc ? rc : s_name(b, w, b->db_id, e->d.schema_id, q->name, 0, 0, false);
    rc = rc ? rc : s_put_desc(b, w, d);
    *dropped = rc == 0;
    return rc;
}

static const char *s_obj_name(uint8_t obj)
{
    switch (obj) {
    case PZ_OBJ_TABLE:
        return "table";
    case PZ_OBJ_VIEW:
        return "view";
    case PZ_OBJ_SEQUENCE:
        return "sequence";
    case PZ_OBJ_INDEX:
        return "index";
    default:
        return "object";
    }
}

/* ---- DROP SCHEMA / DATABASE ------------------------------------------------------------------
 */

typedef struct {
    pz_binder_t *b;
    uint32_t db_id, schema_id; /* schema_id 0: every schema of the database */
    pz_cat_desc_t *objs;       /* copies (arena), relations first, then schemas */
    int n, cap;
} s_contents_t;

static int s_collect(void *arg, const pz_cat_desc_t *d)
{
    s_contents_t *c = arg;
    bool rel = d->kind == PZ_CAT_TABLE || d->kind == PZ_CAT_VIEW || d->kind == PZ_CAT_SEQUENCE;
    bool mine = d->db_id == c->db_id && (c->schema_id == 0 || d->schema_id == c->schema_id);
    if (!mine || !(rel || (c->schema_id == 0 && d->kind == PZ_CAT_SCHEMA))) {
        return 0;
    }
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        pz_cat_desc_t *n = pz_ex_alloc(c->b->ex, sizeof *n * (size_t)cap);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (c->n > 0) {
            memcpy(n, c->objs, sizeof *n * (size_t)c->n);
        }
        c->objs = n;
        c->cap = cap;
    }
    /* The descriptor's arrays stay valid: the binder holds the entries it reads below. */
    c->objs[c->n++] = *d;
    return 0;
}

static const char *s_kind_name(uint8_t kind)
{
    return kind == PZ_CAT_TABLE ? "table" : kind == PZ_CAT_VIEW ? "view" : "sequence";
}

/* Drops every relation of c (and, for a database, its schemas' names and descriptors) into w. */
static int s_drop_contents(pz_binder_t *b, s_batch_t *w, const s_contents_t *c)
{
    s_dropset_t set = {.ids = pz_ex_alloc(b->ex, sizeof *set.ids * (size_t)(c->n + 1))};
    if (set.ids == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < c->n; i++) {
        set.ids[set.n++] = c->objs[i].id;
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < c->n; i++) {
        const pz_cat_desc_t *d = &c->objs[i];
        pz_cat_entry_t *e = NULL;
        if (d->kind == PZ_CAT_SCHEMA) {
            rc = s_name(b, w, d->db_id, 0, pz__view_cstr(b, d->name), 0, 0, false);
            rc = rc ? rc : s_del_desc(b, w, d->id);
            continue;
        }
        /* The full descriptor, held for the statement (the copy's arrays point into it). */
        rc = pz_cat_get(b->ex->cat, b->ex->kv, d->id, &e, b->ex->err);
        rc = rc ? rc : pz__bind_hold(b, e);
        rc = rc ? rc : s_drop_rel(b, w, &e->d, &set);
    }
    return rc;
}

static int s_drop_one_container(pz_binder_t *b, const pz_ast_stmt_t *s, const char *name)
{
    bool db = s->obj == PZ_OBJ_DATABASE;
    uint32_t id = 0;
    int rc =
        pz_cat_lookup(b->ex->cat, b->ex->kv, db ? 0 : b->db_id, 0, name, &id, NULL, b->ex->err);
    if (rc == PZ_ENOTFOUND) {
        pz_sql_err_clear(b->ex->err);
        return s->if_exists
                   ? 0
                   : pz_sql_err_set(b->ex->err, db ? "3D000" : "3F000", "%s \"%s\" does not exist",
                                    db ? "database" : "schema", name);
    }
    if (rc == 0 && db && id == b->db_id) {
        return pz_sql_err_set(b->ex->err, "55006", "cannot drop the currently open database");
    }
    s_contents_t c = {.b = b, .db_id = db ? id : b->db_id, .schema_id = db ? 0 : id};
    rc = rc ? rc : pz_cat_each(b->ex->cat, b->ex->kv, s_collect, &c, b->ex->err);
    if (rc == 0 && !db && !s->cascade && c.n > 0) {
        /* RESTRICT, the default: PostgreSQL's 2BP01 listing what is in the way. */
        pz_sbuf_t deps = {0};
        for (int i = 0; i < c.n && i < 100; i++) {
            pz_sbuf_printf(&deps, "%s%s %s.%.*s depends on schema %s", i ? "\n" : "",
                           s_kind_name(c.objs[i].kind), name, (int)c.objs[i].name.len,
                           c.objs[i].name.ptr, name);
        }
        pz_sql_err_set(b->ex->err, "2BP01",
                       "cannot drop schema %s because other objects depend on it", name);
        pz_sql_err_detail(b->ex->err, "%.*s", (int)deps.len, deps.p);
        pz_sql_err_hint(b->ex->err, "Use DROP ... CASCADE to drop the dependent objects too.");
        pz_sbuf_free(&deps);
        return PZ_EINVAL;
    }
    s_batch_t w = {0};
    rc = rc ? rc : s_drop_contents(b, &w, &c);
    rc = rc ? rc : s_name(b, &w, db ? 0 : b->db_id, 0, name, 0, 0, false);
    rc = rc ? rc : s_del_desc(b, &w, id);
    return rc ? rc : s_commit(b, &w, db ? "database" : "schema", name);
}

/* DROP SCHEMA [IF EXISTS] a, b [CASCADE] and DROP DATABASE [IF EXISTS] d: one atomic batch per
 * name, dropping what it holds (a database always, as PostgreSQL does; a schema with CASCADE). */
static int s_drop_container(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    bool db = s->obj == PZ_OBJ_DATABASE;
    snprintf(tag, 64, db ? "DROP DATABASE" : "DROP SCHEMA");
    int rc = 0;
    for (int i = 0; rc == 0 && i < s->n_objs; i++) {
        const char *name = s->objs[i].name;
        if (!db && (strcmp(name, "pg_catalog") == 0 || strcmp(name, "information_schema") == 0)) {
            return pz_sql_err_set(b->ex->err, "2BP01",
                                  "cannot drop schema %s because it is required by the database "
                                  "system",
                                  name);
        }
        rc = s_drop_one_container(b, s, name);
    }
    return rc;
}

static int s_drop(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    s_batch_t w = {0};
    int rc = 0;
    uint8_t want = s->obj == PZ_OBJ_TABLE  ? PZ_CAT_TABLE
                   : s->obj == PZ_OBJ_VIEW ? PZ_CAT_VIEW
                                           : PZ_CAT_SEQUENCE;
    snprintf(tag, 64, "DROP %s",
             s->obj == PZ_OBJ_TABLE   ? "TABLE"
             : s->obj == PZ_OBJ_VIEW  ? "VIEW"
             : s->obj == PZ_OBJ_INDEX ? "INDEX"
                                      : "SEQUENCE");
    if (s->obj == PZ_OBJ_SCHEMA || s->obj == PZ_OBJ_DATABASE) {
        return s_drop_container(b, s, tag);
    }
    for (int i = 0; rc == 0 && i < s->n_objs; i++) {
        const pz_ast_qname_t *q = &s->objs[i];
        if (s->obj == PZ_OBJ_INDEX) {
            bool dropped = false;
            rc = s_drop_index(b, &w, q, s->if_exists, &dropped);
            continue;
        }
        pz_cat_entry_t *e = NULL;
        rc = pz_bind_relation(b, q->schema, q->name, q->location, &e);
        if (rc != 0 && s->if_exists && strcmp(b->ex->err->sqlstate, "42P01") == 0) {
            pz_sql_err_clear(b->ex->err);
            rc = 0;
            continue;
        }
        if (rc == 0 && e->d.kind != want) {
            rc = pz_sql_err_set(b->ex->err, "42809", "\"%s\" is not a %s", q->name,
                                s_obj_name(s->obj));
            pz_sql_err_hint(b->ex->err, "Use DROP %s to remove a %s.",
                            e->d.kind == PZ_CAT_TABLE  ? "TABLE"
                            : e->d.kind == PZ_CAT_VIEW ? "VIEW"
                                                       : "SEQUENCE",
                            e->d.kind == PZ_CAT_TABLE  ? "table"
                            : e->d.kind == PZ_CAT_VIEW ? "view"
                                                       : "sequence");
        }
        rc = rc ? rc : s_drop_rel(b, &w, &e->d, NULL);
    }
    return rc ? rc : s_commit(b, &w, "relation", "");
}

/* ---- CREATE INDEX ------------------------------------------------------------------------------
 */

int pz__ddl_backfill(pz_binder_t *b, const pz_cat_desc_t *d, const pz_cat_index_t *ix);

static int s_create_index(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    snprintf(tag, 64, "CREATE INDEX");
    pz_cat_entry_t *e = NULL;
    int rc = pz_bind_relation(b, s->rel.schema, s->rel.name, s->rel.location, &e);
    if (rc == 0 && e->d.kind != PZ_CAT_TABLE) {
        return pz_sql_err_set(b->ex->err, "42809", "\"%s\" is not a table", s->rel.name);
    }
    if (rc != 0) {
        return rc;
    }
    if (s->n_include > 0) {
        return pz_sql_err_set(b->ex->err, "0A000", "INCLUDE columns are not supported yet");
    }
    if (e->d.indexes_len >= PZ_CAT_INDEXES_MAX || s->n_idx_cols > PZ_CAT_INDEX_COLS_MAX) {
        return pz_sql_err_set(b->ex->err, "54011", "too many indexes or index columns");
    }
    pz_cat_desc_t *d = pz_ex_alloc(b->ex, sizeof *d);
    pz_cat_index_t *ix = pz_ex_alloc(b->ex, sizeof *ix * (e->d.indexes_len + 1));
    pz_cat_icol_t *ic = pz_ex_alloc(b->ex, sizeof *ic * (size_t)(s->n_idx_cols + 1));
    if (d == NULL || ix == NULL || ic == NULL) {
        return PZ_ENOMEM;
    }
    *d = e->d;
    memcpy(ix, e->d.indexes, sizeof *ix * e->d.indexes_len);
    d->indexes = ix;
    pz_cat_index_t *n = &ix[d->indexes_len];
    *n = (pz_cat_index_t){.id = ++d->next_index_id, .unique = s->unique, .cols = ic};
    char names[200] = "";
    size_t nl = 0;
    for (int i = 0; i < s->n_idx_cols; i++) {
        const pz_ast_expr_t *x = s->idx_cols[i].expr;
        const char *cn = x->names[x->n_names - 1];
        const pz_cat_col_t *c = pz_cat_col_by_name(&e->d, cn);
        if (c == NULL || c->hidden) {
            return pz_sql_err_set(b->ex->err, "42703", "column \"%s\" does not exist", cn);
        }
        if (!pz_rowenc_key_type_ok(c->type)) {
            return pz_sql_err_set(b->ex->err, "0A000",
                                  "column \"%s\" of type %s cannot be "
                                  "indexed",
                                  cn, pz_ty_name(c->type));
        }
        ic[n->cols_len++] = (pz_cat_icol_t){.col = c->id, .desc = s->idx_cols[i].desc};
        nl += (size_t)snprintf(names + nl, nl < sizeof names ? sizeof names - nl : 0, "%s%s",
                               i ? "_" : "", cn);
    }
    const char *name = s->name ? s->name
                               : s_printf(b, s->unique ? "%s_%s_key" : "%s_%s_idx",
                                          pz__view_cstr(b, e->d.name), names);
    n->name = s_v(name);
    d->indexes_len++;
    d->version++;
    if (s_taken(b, e->d.schema_id, name)) {
        if (s->if_not_exists) {
            return 0;
        }
        return pz_sql_err_set(b->ex->err, "42P07", "relation \"%s\" already exists", name);
    }
    if ((rc = pz__ddl_backfill(b, &e->d, n)) != 0) {
        return rc;
    }
    s_batch_t w = {0};
    rc = s_name(b, &w, b->db_id, e->d.schema_id, name, e->d.id, n->id, true);
    rc = rc ? rc : s_put_desc(b, &w, d);
    return rc ? rc : s_commit(b, &w, "relation", name);
}

/* ---- views, schemas, databases, sequences --------------------------------------------------- */

static int s_create_view(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    snprintf(tag, 64, "CREATE VIEW");
    uint32_t sid;
    int rc = s_target_schema(b, &s->rel, &sid);
    pz_pn_t *plan = NULL;
    rc = rc ? rc
            : pz_bind_stmt(b, &(pz_ast_stmt_t){.kind = PZ_AS_SELECT, .select = s->select}, &plan);
    if (rc != 0) {
        return rc;
    }
    if (s->n_cols > plan->n_cols) {
        return pz_sql_err_set(b->ex->err, "42601",
                              "CREATE VIEW specifies more column names than "
                              "columns");
    }
    pz_cat_col_t *cols = pz_ex_alloc(b->ex, sizeof *cols * (size_t)(plan->n_cols + 1));
    if (cols == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < plan->n_cols; i++) {
        pz_sql_type_t t = plan->types[i];
        cols[i] = (pz_cat_col_t){.id = (uint32_t)i + 1,
                                 .name = s_v(i < s->n_cols ? s->cols[i] : plan->names[i]),
                                 .type = t.id,
                                 .elem = t.elem,
                                 .typmod = t.typmod};
    }
    pz_cat_desc_t d = {.kind = PZ_CAT_VIEW,
                       .db_id = b->db_id,
                       .schema_id = sid,
                       .name = s_v(s->rel.name),
                       .version = 1,
                       .owner = s_v("root"),
                       .cols = cols,
                       .cols_len = (uint32_t)plan->n_cols,
                       .view_query = s_v(s->query_text)};
    s_batch_t w = {0};
    uint32_t old = 0;
    if (s->or_replace && pz_cat_lookup(b->ex->cat, b->ex->kv, b->db_id, sid, s->rel.name, &old,
                                       NULL, b->ex->err) == 0) {
        pz_cat_entry_t *e = NULL;
        if ((rc = pz_cat_get(b->ex->cat, b->ex->kv, old, &e, b->ex->err)) != 0) {
            return rc;
        }
        bool view = e->d.kind == PZ_CAT_VIEW;
        pz_cat_release(&e);
        if (!view) {
            return pz_sql_err_set(b->ex->err, "42809", "\"%s\" is not a view", s->rel.name);
        }
        d.id = old;
    } else {
        rc = pz_cat_alloc_id(b->ex->kv, &d.id, b->ex->err);
        rc = rc ? rc : s_name(b, &w, b->db_id, sid, s->rel.name, d.id, 0, true);
    }
    rc = rc ? rc : s_put_desc(b, &w, &d);
    return rc ? rc : s_commit(b, &w, "relation", s->rel.name);
}

static int s_create_schema(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    snprintf(tag, 64, "CREATE SCHEMA");
    uint32_t id;
    if (pz_cat_lookup(b->ex->cat, b->ex->kv, b->db_id, 0, s->name, &id, NULL, b->ex->err) == 0) {
        return s->if_not_exists ? 0
                                : pz_sql_err_set(b->ex->err, "42P06",
                                                 "schema \"%s\" already "
                                                 "exists",
                                                 s->name);
    }
    if (strncmp(s->name, "pg_", 3) == 0) {
        return pz_sql_err_set(b->ex->err, "42939", "unacceptable schema name \"%s\"", s->name);
    }
    int rc = pz_cat_alloc_id(b->ex->kv, &id, b->ex->err);
    pz_cat_desc_t d = {.id = id,
                       .kind = PZ_CAT_SCHEMA,
                       .db_id = b->db_id,
                       .name = s_v(s->name),
                       .version = 1,
                       .owner = s_v("root")};
    s_batch_t w = {0};
    rc = rc ? rc : s_name(b, &w, b->db_id, 0, s->name, id, 0, true);
    rc = rc ? rc : s_put_desc(b, &w, &d);
    return rc ? rc : s_commit(b, &w, "schema", s->name);
}

/* A database and its public schema, in one batch. */
static int s_make_db(pz_binder_t *b, const char *name, bool if_not_exists)
{
    uint32_t id = 0, sid = 0;
    if (pz_cat_lookup(b->ex->cat, b->ex->kv, 0, 0, name, &id, NULL, b->ex->err) == 0) {
        return if_not_exists
                   ? 0
                   : pz_sql_err_set(b->ex->err, "42P04", "database \"%s\" already exists", name);
    }
    int rc = pz_cat_alloc_id(b->ex->kv, &id, b->ex->err);
    rc = rc ? rc : pz_cat_alloc_id(b->ex->kv, &sid, b->ex->err);
    pz_cat_desc_t db = {
        .id = id, .kind = PZ_CAT_DATABASE, .name = s_v(name), .version = 1, .owner = s_v("root")};
    pz_cat_desc_t sc = {.id = sid,
                        .kind = PZ_CAT_SCHEMA,
                        .db_id = id,
                        .name = s_v("public"),
                        .version = 1,
                        .owner = s_v("root")};
    s_batch_t w = {0};
    rc = rc ? rc : s_name(b, &w, 0, 0, name, id, 0, true);
    rc = rc ? rc : s_name(b, &w, id, 0, "public", sid, 0, true);
    rc = rc ? rc : s_put_desc(b, &w, &db);
    rc = rc ? rc : s_put_desc(b, &w, &sc);
    rc = rc ? rc : s_commit(b, &w, "database", name);
    if (rc != 0 && if_not_exists && strcmp(b->ex->err->sqlstate, "42P04") == 0) {
        pz_sql_err_clear(b->ex->err); /* created concurrently: fine */
        return 0;
    }
    return rc;
}

int pz_cat_bootstrap(pz_cat_t *c, pz_sql_kv_t *kv, pz_sql_err_t *err)
{
    pz_ex_t ex = {.arena = pz_arena_new(), .kv = kv, .cat = c, .err = err};
    pz_binder_t b = {.ex = &ex};
    int rc = ex.arena ? 0 : pz_sql_err_set(err, "53200", "out of memory");
    rc = rc ? rc : s_make_db(&b, "defaultdb", true);
    rc = rc ? rc : s_make_db(&b, "postgres", true);
    rc = rc ? rc : pz_role_bootstrap(kv, err); /* sql_role.c: the built-in root */
    pz_arena_destroy(&ex.arena);
    return rc;
}

static int s_create_seq(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    snprintf(tag, 64, "CREATE SEQUENCE");
    uint32_t sid, id;
    int rc = s_target_schema(b, &s->rel, &sid);
    if (rc != 0) {
        return rc;
    }
    if (s_taken(b, sid, s->rel.name)) {
        return s->if_not_exists ? 0
                                : pz_sql_err_set(b->ex->err, "42P07",
                                                 "relation \"%s\" already "
                                                 "exists",
                                                 s->rel.name);
    }
    int64_t start = 1, inc = 1, min = 1, max = INT64_MAX;
    bool cycle = false, has_start = false, has_min = false, has_max = false;
    for (int i = 0; i < s->n_seq_opts; i++) {
        const char *o = s->seq_opt_names[i];
        int64_t v = s->seq_opt_values[i];
        if (strcmp(o, "start") == 0) {
            start = v;
            has_start = true;
        } else if (strcmp(o, "increment") == 0) {
            inc = v;
        } else if (strcmp(o, "minvalue") == 0) {
            min = v;
            has_min = true;
        } else if (strcmp(o, "maxvalue") == 0) {
            max = v;
            has_max = true;
        } else if (strcmp(o, "cycle") == 0) {
            cycle = v != 0;
        }
    }
    if (inc == 0) {
        return pz_sql_err_set(b->ex->err, "22023", "INCREMENT must not be zero");
    }
    if (inc < 0) {
        min = has_min ? min : INT64_MIN;
        max = has_max ? max : -1;
    }
    start = has_start ? start : (inc > 0 ? min : max);
    if (start < min || start > max) {
        return pz_sql_err_set(b->ex->err, "22023", "START value (%lld) cannot be %s than %s",
                              (long long)start, start < min ? "less" : "greater",
                              start < min ? "MINVALUE" : "MAXVALUE");
    }
    s_batch_t w = {0};
    rc = pz_cat_alloc_id(b->ex->kv, &id, b->ex->err);
    rc = rc ? rc : s_seq_desc(b, &w, sid, id, s->rel.name, start, inc, min, max, cycle);
    return rc ? rc : s_commit(b, &w, "relation", s->rel.name);
}

static int s_truncate(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    snprintf(tag, 64, "TRUNCATE TABLE");
    s_batch_t w = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < s->n_objs; i++) {
        pz_cat_entry_t *e = NULL;
        rc = pz_bind_relation(b, s->objs[i].schema, s->objs[i].name, s->objs[i].location, &e);
        if (rc == 0 && e->d.kind != PZ_CAT_TABLE) {
            rc = pz_sql_err_set(b->ex->err, "42809", "\"%s\" is not a table", s->objs[i].name);
        }
        for (uint32_t k = 0; rc == 0 && k < e->d.referenced_by_len; k++) {
            pz_cat_entry_t *ce = NULL;
            if (e->d.referenced_by[k].col == e->d.id ||
                pz_cat_get(b->ex->cat, b->ex->kv, e->d.referenced_by[k].col, &ce, b->ex->err)) {
                pz_sql_err_clear(b->ex->err);
                continue;
            }
            rc = pz_sql_err_set(b->ex->err, "0A000",
                                "cannot truncate a table referenced in a "
                                "foreign key constraint");
            pz_sql_err_detail(b->ex->err, "Table \"%.*s\" references \"%.*s\".",
                              (int)ce->d.name.len, ce->d.name.ptr, (int)e->d.name.len,
                              e->d.name.ptr);
            pz_sql_err_hint(b->ex->err,
                            "Truncate table \"%.*s\" at the same time, or use "
                            "TRUNCATE ... CASCADE.",
                            (int)ce->d.name.len, ce->d.name.ptr);
            pz_cat_release(&ce);
        }
        rc = rc ? rc : s_table_data(b, &w, e->d.id);
    }
    return rc ? rc : s_commit(b, &w, "relation", "");
}

int pz__ddl_alter(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag);
int pz__ddl_rename(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag);

int pz_sql_ddl(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    switch (s->kind) {
    case PZ_AS_CREATE_TABLE:
        return s_create_table(b, s, tag);
    case PZ_AS_DROP:
        return s_drop(b, s, tag);
    case PZ_AS_CREATE_INDEX:
        return s_create_index(b, s, tag);
    case PZ_AS_CREATE_VIEW:
        return s_create_view(b, s, tag);
    case PZ_AS_CREATE_SCHEMA:
        return s_create_schema(b, s, tag);
    case PZ_AS_CREATE_DATABASE:
        snprintf(tag, 64, "CREATE DATABASE");
        return s_make_db(b, s->name, s->if_not_exists);
    case PZ_AS_CREATE_SEQUENCE:
        return s_create_seq(b, s, tag);
    case PZ_AS_TRUNCATE:
        return s_truncate(b, s, tag);
    case PZ_AS_ALTER_TABLE:
        return pz__ddl_alter(b, s, tag);
    case PZ_AS_RENAME:
        return pz__ddl_rename(b, s, tag);
    case PZ_AS_ROLE:
        return pz_role_ddl(b, s, tag); /* sql_role.c */
    default:
        break;
    }
    static const char *const kinds[] = {[PZ_AS_CREATE_TABLE_AS] = "CREATE TABLE AS",
                                        [PZ_AS_EXPLAIN] = "EXPLAIN",
                                        [PZ_AS_COPY] = "COPY",
                                        [PZ_AS_ROLE] = "ROLE",
                                        [PZ_AS_PREPARE] = "PREPARE",
                                        [PZ_AS_EXECUTE] = "EXECUTE",
                                        [PZ_AS_DEALLOCATE] = "DEALLOCATE"};
    const char *k = s->kind < sizeof kinds / sizeof kinds[0] && kinds[s->kind] ? kinds[s->kind]
                                                                               : "this statement";
    return pz_sql_err_set(b->ex->err, "0A000", "%s is not supported yet", k);
}
