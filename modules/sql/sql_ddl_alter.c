/*
 * sql_ddl_alter.c — ALTER TABLE, RENAME, and the table rewrites they need: index backfill,
 * writing a new column's default into existing rows, checking existing rows against a new NOT
 * NULL or CHECK. Rewrites go in batches of S_BATCH rows (see sql_ddl.c for the race this leaves
 * until schema changes become jobs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_bind_int.h"
#include "sql_ddl.h"
#include "sql_rowenc.h"

#define S_BATCH 2000u
#define S_KEY_BYTES 4096u

typedef int (*s_row_fn)(pz_binder_t *b, void *arg, const pz_datum_t *row, pz_view_t key,
                        pz_kv_req_t *out, int *n_out);

/* Runs fn over every row of table d (all columns), sending the writes it produces in batches.
 * fn may add up to 2 requests per row. */
static int s_each_row(pz_binder_t *b, const pz_cat_desc_t *d, s_row_fn fn, void *arg)
{
    uint8_t lo[S_KEY_BYTES], hi[64];
    uint32_t ll = (uint32_t)pz_rowenc_index_prefix(lo, sizeof lo, d->id, d->indexes[0].id);
    uint32_t hl = (uint32_t)pz_rowenc_prefix_end(hi, sizeof hi, lo, ll);
    uint32_t *ids = pz_ex_alloc(b->ex, sizeof *ids * (d->cols_len + 1));
    pz_sql_type_t *ty = pz_ex_alloc(b->ex, sizeof *ty * (d->cols_len + 1));
    pz_datum_t *row = pz_ex_alloc(b->ex, sizeof *row * (d->cols_len + 1));
    pz_kv_req_t *w = pz_ex_alloc(b->ex, sizeof *w * (2 * S_BATCH + 2));
    if (ids == NULL || ty == NULL || row == NULL || w == NULL) {
        return PZ_ENOMEM;
    }
    for (uint32_t i = 0; i < d->cols_len; i++) {
        ids[i] = d->cols[i].id;
        ty[i] = pz_cat_col_type(&d->cols[i]);
    }
    int rc = 0;
    for (bool more = true; more && rc == 0;) {
        pz_kv_req_t r = {.op = PZ_KV_SCAN, .key = {lo, ll}, .end_key = {hi, hl}, .limit = S_BATCH};
        pz_msg_t *reply = NULL, *wr = NULL;
        pz_kv_batch_resp_t resp, wresp;
        b->ex->kv->read_ts = (pz_hlc_t){0};
        if ((rc = pz_sql_kv_send(b->ex->kv, &r, 1, true, &reply, &resp, b->ex->err)) != 0) {
            break;
        }
        const pz_kv_resp_t *x = &resp.resps[0];
        int n = 0;
        for (uint32_t i = 0; i < x->kvs_len && rc == 0; i++) {
            rc = pz_rowenc_value_get(b->ex->tmp, x->kvs[i].value.ptr, x->kvs[i].value.len, ids, ty,
                                     d->cols_len, row);
            rc = rc ? pz_sql_err_set(b->ex->err, "XX001", "a row is corrupt")
                    : fn(b, arg, row, x->kvs[i].key, w, &n);
        }
        if (rc == 0 && n > 0) {
            rc = pz_sql_kv_send(b->ex->kv, w, (uint32_t)n, false, &wr, &wresp, b->ex->err);
            if (rc == 0 && wresp.error.code == PZ_ECONDFAILED) {
                rc = pz_sql_err_set(b->ex->err, "23505", "could not create unique index");
                pz_sql_err_detail(b->ex->err, "The table has duplicate values in the index's "
                                              "columns.");
            }
            pz_msg_free(&wr);
        }
        more = rc == 0 && x->has_resume && x->resume_key.len <= sizeof lo;
        if (more) {
            memcpy(lo, x->resume_key.ptr, x->resume_key.len);
            ll = x->resume_key.len;
        }
        pz_msg_free(&reply);
        pz_ex_tmp_reset(b->ex);
    }
    return rc;
}

typedef struct {
    const pz_cat_desc_t *d;
    const pz_cat_index_t *ix;
} s_bf_t;

static int s_bf_row(pz_binder_t *b, void *arg, const pz_datum_t *row, pz_view_t key,
                    pz_kv_req_t *out, int *n)
{
    (void)key;
    s_bf_t *bf = arg;
    uint8_t k[S_KEY_BYTES], v[S_KEY_BYTES];
    size_t kl, vl;
    bool cond;
    int rc = pz_dml_index_entry(b->ex, bf->d, bf->ix, row, k, &kl, v, &vl, &cond);
    if (rc != 0) {
        return rc;
    }
    out[(*n)++] = (pz_kv_req_t){.op = cond ? PZ_KV_CPUT : PZ_KV_PUT,
                                .key = pz_arena_dup(b->ex->tmp, k, kl),
                                .value = pz_arena_dup(b->ex->tmp, v, vl)};
    return 0;
}

int pz__ddl_backfill(pz_binder_t *b, const pz_cat_desc_t *d, const pz_cat_index_t *ix)
{
    /* The new index's columns must be found through d's columns: ix lives beside d. */
    s_bf_t bf = {d, ix};
    return s_each_row(b, d, s_bf_row, &bf);
}

/* ---- ALTER TABLE ------------------------------------------------------------------------- */

typedef struct {
    pz_cat_desc_t d;
    pz_cat_col_t *cols;
    pz_cat_check_t *checks;
    pz_cat_index_t *idx;
} s_mut_t;

static int s_col_of(pz_binder_t *b, s_mut_t *m, const char *name);

/* A mutable copy of a descriptor (arrays with room for one more). */
static int s_mut(pz_binder_t *b, const pz_cat_desc_t *src, s_mut_t *m)
{
    m->d = *src;
    m->cols = pz_ex_alloc(b->ex, sizeof *m->cols * (src->cols_len + 2));
    m->checks = pz_ex_alloc(b->ex, sizeof *m->checks * (src->checks_len + 2));
    m->idx = pz_ex_alloc(b->ex, sizeof *m->idx * (src->indexes_len + 2));
    if (m->cols == NULL || m->checks == NULL || m->idx == NULL) {
        return PZ_ENOMEM;
    }
    if (src->cols_len) { /* an empty array's pointer may be NULL: memcpy must not see it */
        memcpy(m->cols, src->cols, sizeof *m->cols * src->cols_len);
    }
    if (src->checks_len) {
        memcpy(m->checks, src->checks, sizeof *m->checks * src->checks_len);
    }
    if (src->indexes_len) {
        memcpy(m->idx, src->indexes, sizeof *m->idx * src->indexes_len);
    }
    m->d.cols = m->cols;
    m->d.checks = m->checks;
    m->d.indexes = m->idx;
    m->d.version++;
    return 0;
}

static int s_write_desc(pz_binder_t *b, const pz_cat_desc_t *d, const pz_kv_req_t *extra, int n)
{
    uint8_t key[PZ_CAT_KEY_BYTES];
    size_t kl = pz_cat_key_desc(key, d->id);
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pz_cat_desc_pack(d, &buf, &len);
    if (rc != 0) {
        return pz_sql_err_code(b->ex->err, rc, "encoding a descriptor");
    }
    pz_kv_req_t reqs[4];
    reqs[0] =
        (pz_kv_req_t){.op = PZ_KV_PUT, .key = {key, (uint32_t)kl}, .value = {buf, (uint32_t)len}};
    for (int i = 0; i < n && i < 3; i++) {
        reqs[1 + i] = extra[i];
    }
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    rc = pz_sql_kv_send(b->ex->kv, reqs, (uint32_t)(1 + (n < 3 ? n : 3)), false, &reply, &resp,
                        b->ex->err);
    if (rc == 0 && resp.error.code == PZ_ECONDFAILED) {
        rc = pz_sql_err_set(b->ex->err, "42P07", "the new name is already in use");
    }
    pz_msg_free(&reply);
    free(buf);
    pz_cat_flush(b->ex->cat);
    return rc;
}

typedef struct {
    int col;
    pz_bx_t *check; /* NOT NULL when NULL */
    const char *name;
    const pz_cat_desc_t *d;
} s_verify_t;

static int s_verify_row(pz_binder_t *b, void *arg, const pz_datum_t *row, pz_view_t key,
                        pz_kv_req_t *out, int *n)
{
    (void)key;
    (void)out;
    (void)n;
    s_verify_t *v = arg;
    if (v->check == NULL) {
        if (row[v->col].null) {
            return pz_sql_err_set(b->ex->err, "23502",
                                  "column \"%s\" of relation \"%.*s\" "
                                  "contains null values",
                                  v->name, (int)v->d->name.len, v->d->name.ptr);
        }
        return 0;
    }
    pz_datum_t r;
    int rc = pz_bx_eval(b->ex, v->check, row, &r);
    if (rc == 0 && !r.null && !r.v.b) {
        rc = pz_sql_err_set(b->ex->err, "23514",
                            "check constraint \"%s\" of relation \"%.*s\" is "
                            "violated by some row",
                            v->name, (int)v->d->name.len, v->d->name.ptr);
    }
    return rc;
}

typedef struct {
    const pz_cat_desc_t *d; /* the new descriptor */
    pz_bx_t *dflt;
    int col;
} s_fill_t;

static int s_fill_row(pz_binder_t *b, void *arg, const pz_datum_t *row, pz_view_t key,
                      pz_kv_req_t *out, int *n)
{
    s_fill_t *f = arg;
    uint32_t nc = f->d->cols_len;
    pz_datum_t *nr = pz_ex_tmp_alloc(b->ex, sizeof *nr * nc);
    uint32_t *ids = pz_ex_tmp_alloc(b->ex, sizeof *ids * nc);
    if (nr == NULL || ids == NULL) {
        return PZ_ENOMEM;
    }
    for (uint32_t i = 0; i < nc; i++) {
        nr[i] = row[i];
        ids[i] = f->d->cols[i].id;
    }
    int rc = pz_bx_eval(b->ex, f->dflt, nr, &nr[f->col]);
    pz_sbuf_t val = {0};
    if (rc == 0 && pz_rowenc_value_put(&val, ids, nr, nc) != 0) {
        rc = pz_sql_err_set(b->ex->err, "53200", "out of memory");
    }
    if (rc == 0) {
        out[(*n)++] = (pz_kv_req_t){.op = PZ_KV_PUT,
                                    .key = pz_arena_dup(b->ex->tmp, key.ptr, key.len),
                                    .value = pz_arena_dup(b->ex->tmp, val.p, val.len)};
    }
    pz_sbuf_free(&val);
    return rc;
}

/* ADD PRIMARY KEY on a table keyed by its hidden rowid: every row is rewritten under a new
 * primary index keyed by the new columns (conditional puts: a duplicate fails with 23505), the
 * secondary indexes are rebuilt (their entries carry the primary key), and the rowid column and
 * the old entries go. CockroachDB calls this ALTER PRIMARY KEY. In batches, like the backfills. */
typedef struct {
    const pz_cat_desc_t *old, *neu;
    uint32_t *ids;
    pz_datum_t *nrow;
    int *map; /* new column i = old column map[i] */
} s_rekey_t;

static int s_rekey_row(pz_binder_t *b, void *arg, const pz_datum_t *row, pz_view_t key,
                       pz_kv_req_t *out, int *n)
{
    (void)key;
    s_rekey_t *r = arg;
    for (uint32_t i = 0; i < r->neu->cols_len; i++) {
        r->nrow[i] = row[r->map[i]];
    }
    uint8_t k[S_KEY_BYTES];
    size_t kl = pz_rowenc_index_prefix(k, sizeof k, r->neu->id, r->neu->indexes[0].id);
    for (uint32_t i = 0; i < r->neu->indexes[0].cols_len && kl; i++) {
        const pz_cat_icol_t *ic = &r->neu->indexes[0].cols[i];
        for (uint32_t c = 0; c < r->neu->cols_len; c++) {
            if (r->neu->cols[c].id == ic->col) {
                kl = pz_rowenc_key_put(k, sizeof k, kl, &r->nrow[c], ic->desc);
            }
        }
    }
    pz_sbuf_t val = {0};
    int rc = kl ? pz_rowenc_value_put(&val, r->ids, r->nrow, r->neu->cols_len) : PZ_ETOOBIG;
    if (rc == 0) {
        out[(*n)++] = (pz_kv_req_t){.op = PZ_KV_CPUT,
                                    .key = pz_arena_dup(b->ex->tmp, k, kl),
                                    .value = pz_arena_dup(b->ex->tmp, val.p, val.len)};
    }
    pz_sbuf_free(&val);
    return rc ? pz_sql_err_set(b->ex->err, "54000", "a primary key value is too large") : 0;
}

static int s_drop_span(pz_binder_t *b, uint32_t table, uint32_t index)
{
    uint8_t lo[64], hi[64];
    size_t ll = pz_rowenc_index_prefix(lo, sizeof lo, table, index);
    size_t hl = pz_rowenc_prefix_end(hi, sizeof hi, lo, ll);
    pz_kv_req_t r = {
        .op = PZ_KV_DEL_RANGE, .key = {lo, (uint32_t)ll}, .end_key = {hi, (uint32_t)hl}};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    int rc = pz_sql_kv_send(b->ex->kv, &r, 1, false, &reply, &resp, b->ex->err);
    pz_msg_free(&reply);
    return rc;
}

static int s_add_pk(pz_binder_t *b, s_mut_t *m, const pz_ast_cons_t *c)
{
    const pz_cat_desc_t old = m->d; /* its arrays are m's: read what is needed before changing */
    const uint32_t old_pk = old.indexes[0].id;
    int rowid = -1;
    for (uint32_t i = 0; i < old.cols_len; i++) {
        rowid = old.cols[i].hidden && old.indexes[0].cols_len == 1 &&
                        old.indexes[0].cols[0].col == old.cols[i].id
                    ? (int)i
                    : rowid;
    }
    if (rowid < 0) {
        return pz_sql_err_set(b->ex->err, "42P16",
                              "multiple primary keys for table \"%.*s\" are "
                              "not allowed",
                              (int)old.name.len, old.name.ptr);
    }
    if (c->n_cols > PZ_CAT_INDEX_COLS_MAX) {
        return pz_sql_err_set(b->ex->err, "54011", "too many key columns");
    }
    s_rekey_t r = {.old = &m->d};
    pz_cat_icol_t *ic = pz_ex_alloc(b->ex, sizeof *ic * (size_t)(c->n_cols + 1));
    r.map = pz_ex_alloc(b->ex, sizeof *r.map * old.cols_len);
    r.ids = pz_ex_alloc(b->ex, sizeof *r.ids * old.cols_len);
    r.nrow = pz_ex_alloc(b->ex, sizeof *r.nrow * old.cols_len);
    pz_cat_desc_t *neu = pz_ex_alloc(b->ex, sizeof *neu);
    if (ic == NULL || r.map == NULL || r.ids == NULL || r.nrow == NULL || neu == NULL) {
        return PZ_ENOMEM;
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < c->n_cols; i++) {
        int col = s_col_of(b, m, c->cols[i]);
        if (col < 0) {
            return PZ_EINVAL;
        }
        if (!pz_rowenc_key_type_ok(m->cols[col].type)) {
            return pz_sql_err_set(b->ex->err, "0A000", "column \"%s\" cannot be a key column",
                                  c->cols[i]);
        }
        s_verify_t v = {.col = col, .name = c->cols[i], .d = &old};
        rc = s_each_row(b, &old, s_verify_row, &v);
        m->cols[col].not_null = true;
        ic[i] = (pz_cat_icol_t){.col = m->cols[col].id};
    }
    /* The new descriptor: rowid gone, a new primary index id. */
    *neu = m->d;
    neu->cols = pz_ex_alloc(b->ex, sizeof *neu->cols * old.cols_len);
    if (neu->cols == NULL) {
        return PZ_ENOMEM;
    }
    neu->cols_len = 0;
    for (uint32_t i = 0; i < old.cols_len; i++) {
        if ((int)i != rowid) {
            r.map[neu->cols_len] = (int)i;
            r.ids[neu->cols_len] = m->cols[i].id;
            neu->cols[neu->cols_len++] = m->cols[i];
        }
    }
    char name[160];
    snprintf(name, sizeof name, "%.*s_pkey", (int)old.name.len, old.name.ptr);
    m->idx[0] = (pz_cat_index_t){
        .id = ++neu->next_index_id,
        .unique = true,
        .constraint = true,
        .name = pz_view_str(c->name ? c->name : pz__bind_strdup(b, name, strlen(name))),
        .cols = ic,
        .cols_len = (uint32_t)c->n_cols};
    neu->indexes = m->idx;
    r.neu = neu;
    pz_cat_desc_t before = old;
    pz_cat_index_t *old_idx = pz_ex_alloc(b->ex, sizeof *old_idx * (old.indexes_len + 1));
    if (old_idx == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(old_idx, old.indexes, sizeof *old_idx * old.indexes_len);
    old_idx[0].id = old_pk;
    before.indexes = old_idx;
    rc = rc ? rc : s_each_row(b, &before, s_rekey_row, &r);
    for (uint32_t i = 1; rc == 0 && i < neu->indexes_len; i++) {
        rc = s_drop_span(b, neu->id, neu->indexes[i].id);
        rc = rc ? rc : pz__ddl_backfill(b, neu, &neu->indexes[i]);
    }
    rc = rc ? rc : s_drop_span(b, neu->id, old_pk);
    if (rc != 0) {
        /* Nothing was published: remove what the rewrite wrote under the new index id. */
        pz_sql_err_t keep = *b->ex->err;
        pz_sql_err_clear(b->ex->err);
        s_drop_span(b, neu->id, neu->indexes[0].id);
        *b->ex->err = keep;
        return rc;
    }
    m->d = *neu;
    m->cols = neu->cols;
    return 0;
}

static int s_col_of(pz_binder_t *b, s_mut_t *m, const char *name)
{
    for (uint32_t i = 0; i < m->d.cols_len; i++) {
        if (!m->cols[i].hidden && pz_cat_name_eq(m->cols[i].name, name)) {
            return (int)i;
        }
    }
    pz_sql_err_set(b->ex->err, "42703", "column \"%s\" of relation \"%.*s\" does not exist", name,
                   (int)m->d.name.len, m->d.name.ptr);
    return -1;
}

static int s_add_column(pz_binder_t *b, s_mut_t *m, const pz_ast_alter_t *a)
{
    const pz_ast_coldef_t *cd = a->coldef;
    for (uint32_t i = 0; i < m->d.cols_len; i++) {
        if (pz_cat_name_eq(m->cols[i].name, cd->name)) {
            if (a->if_not_exists) {
                return 0;
            }
            return pz_sql_err_set(b->ex->err, "42701",
                                  "column \"%s\" of relation \"%.*s\" "
                                  "already exists",
                                  cd->name, (int)m->d.name.len, m->d.name.ptr);
        }
    }
    pz_sql_type_t t;
    int rc = pz_ty_from_name(cd->type.name, cd->type.mods, cd->type.n_mods, cd->type.array, &t,
                             b->ex->err);
    if (rc != 0) {
        return rc;
    }
    pz_cat_col_t *c = &m->cols[m->d.cols_len];
    *c = (pz_cat_col_t){.id = ++m->d.next_col_id,
                        .name = pz_view_str(cd->name),
                        .type = t.id,
                        .elem = t.elem,
                        .typmod = t.typmod};
    for (int i = 0; i < cd->n_cons; i++) {
        const pz_ast_cons_t *k = &cd->cons[i];
        if (k->kind == PZ_CONS_NOT_NULL) {
            c->not_null = true;
        } else if (k->kind == PZ_CONS_DEFAULT) {
            c->default_expr = pz_view_str(k->expr_text);
        } else if (k->kind != PZ_CONS_NULL) {
            return pz_sql_err_set(b->ex->err, "0A000",
                                  "ADD COLUMN with this constraint is not "
                                  "supported yet");
        }
    }
    m->d.cols_len++;
    if (c->default_expr.len > 0) {
        /* Existing rows get the default, as PostgreSQL's ADD COLUMN ... DEFAULT does. */
        s_fill_t f = {.d = &m->d, .col = (int)m->d.cols_len - 1};
        rc = pz_bind_stored_expr(b, NULL, cd->cons ? pz__view_cstr(b, c->default_expr) : "NULL",
                                 &f.dflt);
        rc = rc ? rc : pz_bind_coerce(b, f.dflt, t, PZ_CAST_ASSIGN, cd->name, &f.dflt);
        if (rc == 0 && !pz__bx_is_const(f.dflt)) {
            return pz_sql_err_set(b->ex->err, "0A000",
                                  "ADD COLUMN with a volatile DEFAULT is not "
                                  "supported yet");
        }
        rc = rc ? rc : s_each_row(b, &m->d, s_fill_row, &f);
    } else if (c->not_null) {
        s_verify_t v = {.col = (int)m->d.cols_len - 1, .name = cd->name, .d = &m->d};
        rc = s_each_row(b, &m->d, s_verify_row, &v);
    }
    return rc;
}

static int s_alter_one(pz_binder_t *b, s_mut_t *m, const pz_ast_alter_t *a)
{
    int c, rc = 0;
    switch (a->kind) {
    case PZ_ALTER_ADD_COLUMN:
        return s_add_column(b, m, a);
    case PZ_ALTER_DROP_COLUMN:
        if ((c = s_col_of(b, m, a->name)) < 0) {
            if (a->if_exists) {
                pz_sql_err_clear(b->ex->err);
                return 0;
            }
            return PZ_EINVAL;
        }
        for (uint32_t i = 0; i < m->d.indexes_len; i++) {
            for (uint32_t k = 0; k < m->idx[i].cols_len; k++) {
                if (m->idx[i].cols[k].col == m->cols[c].id) {
                    return pz_sql_err_set(b->ex->err, "0A000",
                                          "dropping column \"%s\" used by "
                                          "index \"%.*s\" is not supported yet",
                                          a->name, (int)m->idx[i].name.len, m->idx[i].name.ptr);
                }
            }
        }
        memmove(&m->cols[c], &m->cols[c + 1], sizeof *m->cols * (m->d.cols_len - (uint32_t)c - 1));
        m->d.cols_len--;
        return 0;
    case PZ_ALTER_SET_DEFAULT:
        if ((c = s_col_of(b, m, a->name)) < 0) {
            return PZ_EINVAL;
        }
        m->cols[c].default_expr = pz_view_str(a->expr ? a->expr_text : "");
        return 0;
    case PZ_ALTER_DROP_NOT_NULL:
        if ((c = s_col_of(b, m, a->name)) < 0) {
            return PZ_EINVAL;
        }
        for (uint32_t k = 0; k < m->idx[0].cols_len; k++) {
            if (m->idx[0].cols[k].col == m->cols[c].id) {
                return pz_sql_err_set(b->ex->err, "42P16", "column \"%s\" is in a primary key",
                                      a->name);
            }
        }
        m->cols[c].not_null = false;
        return 0;
    case PZ_ALTER_SET_NOT_NULL: {
        if ((c = s_col_of(b, m, a->name)) < 0) {
            return PZ_EINVAL;
        }
        s_verify_t v = {.col = c, .name = a->name, .d = &m->d};
        rc = s_each_row(b, &m->d, s_verify_row, &v);
        m->cols[c].not_null = rc == 0;
        return rc;
    }
    case PZ_ALTER_ADD_CONSTRAINT:
        if (a->cons->kind == PZ_CONS_CHECK) {
            char nm[160];
            snprintf(nm, sizeof nm, "%.*s_check", (int)m->d.name.len, m->d.name.ptr);
            const char *name = a->cons->name ? a->cons->name : pz__bind_strdup(b, nm, strlen(nm));
            s_verify_t v = {.col = -1, .name = name, .d = &m->d};
            rc = pz_bind_stored_expr(b, &m->d, a->cons->expr_text, &v.check);
            rc = rc ? rc : s_each_row(b, &m->d, s_verify_row, &v);
            if (rc == 0) {
                m->checks[m->d.checks_len++] = (pz_cat_check_t){
                    .name = pz_view_str(name), .expr = pz_view_str(a->cons->expr_text)};
            }
            return rc;
        }
        if (a->cons->kind == PZ_CONS_PRIMARY) {
            return s_add_pk(b, m, a->cons);
        }
        return pz_sql_err_set(b->ex->err, "0A000",
                              "ADD CONSTRAINT of this kind is not supported "
                              "yet (use CREATE UNIQUE INDEX for UNIQUE)");
    case PZ_ALTER_DROP_CONSTRAINT:
        for (uint32_t i = 0; i < m->d.checks_len; i++) {
            if (pz_cat_name_eq(m->checks[i].name, a->name)) {
                memmove(&m->checks[i], &m->checks[i + 1],
                        sizeof *m->checks * (m->d.checks_len - i - 1));
                m->d.checks_len--;
                return 0;
            }
        }
        if (a->if_exists) {
            return 0;
        }
        return pz_sql_err_set(b->ex->err, "42704",
                              "constraint \"%s\" of relation \"%.*s\" does "
                              "not exist",
                              a->name, (int)m->d.name.len, m->d.name.ptr);
    default:
        return pz_sql_err_set(b->ex->err, "0A000", "this ALTER TABLE command is not supported yet");
    }
}

int pz__ddl_alter(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    snprintf(tag, 64, "ALTER TABLE");
    pz_cat_entry_t *e = NULL;
    int rc = pz_bind_relation(b, s->rel.schema, s->rel.name, s->rel.location, &e);
    if (rc != 0 && s->if_exists && strcmp(b->ex->err->sqlstate, "42P01") == 0) {
        pz_sql_err_clear(b->ex->err);
        return 0;
    }
    if (rc == 0 && e->d.kind != PZ_CAT_TABLE) {
        rc = pz_sql_err_set(b->ex->err, "42809", "\"%s\" is not a table", s->rel.name);
    }
    s_mut_t m;
    rc = rc ? rc : s_mut(b, &e->d, &m);
    for (int i = 0; rc == 0 && i < s->n_alters; i++) {
        if (m.d.cols_len + 1 >= PZ_CAT_COLS_MAX || m.d.checks_len + 1 >= PZ_CAT_CONS_MAX) {
            return pz_sql_err_set(b->ex->err, "54011", "too many columns or constraints");
        }
        rc = s_alter_one(b, &m, &s->alters[i]);
        if (rc == 0 && i + 1 < s->n_alters) {
            s_mut_t next; /* the next command sees this one's result, with room to grow */
            rc = s_mut(b, &m.d, &next);
            m = next;
            m.d.version--;
        }
    }
    return rc ? rc : s_write_desc(b, &m.d, NULL, 0);
}

/* RENAME of a table/view/sequence, a column, or an index. */
int pz__ddl_rename(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    snprintf(tag, 64, s->obj == PZ_OBJ_INDEX ? "ALTER INDEX" : "ALTER TABLE");
    if (s->obj == PZ_OBJ_INDEX || s->obj == PZ_OBJ_CONSTRAINT || s->obj == PZ_OBJ_SCHEMA ||
        s->obj == PZ_OBJ_DATABASE || s->obj == PZ_OBJ_ROLE) {
        return pz_sql_err_set(b->ex->err, "0A000", "this RENAME is not supported yet");
    }
    pz_cat_entry_t *e = NULL;
    int rc = pz_bind_relation(b, s->rel.schema, s->rel.name, s->rel.location, &e);
    s_mut_t m;
    rc = rc ? rc : s_mut(b, &e->d, &m);
    if (rc != 0) {
        return rc;
    }
    if (s->obj == PZ_OBJ_COLUMN) {
        int c = s_col_of(b, &m, s->subname);
        if (c < 0) {
            return PZ_EINVAL;
        }
        for (uint32_t i = 0; i < m.d.cols_len; i++) {
            if (pz_cat_name_eq(m.cols[i].name, s->name)) {
                return pz_sql_err_set(b->ex->err, "42701",
                                      "column \"%s\" of relation \"%s\" "
                                      "already exists",
                                      s->name, s->rel.name);
            }
        }
        m.cols[c].name = pz_view_str(s->name);
        return s_write_desc(b, &m.d, NULL, 0);
    }
    uint8_t ok[PZ_CAT_KEY_BYTES], nk[PZ_CAT_KEY_BYTES], val[8];
    size_t ol = pz_cat_key_name(ok, m.d.db_id, m.d.schema_id, s->rel.name);
    size_t nl = pz_cat_key_name(nk, m.d.db_id, m.d.schema_id, s->name);
    size_t vl = pz_cat_name_value(val, m.d.id, 0);
    pz_kv_req_t extra[2] = {
        {.op = PZ_KV_DEL, .key = {ok, (uint32_t)ol}},
        {.op = PZ_KV_CPUT, .key = {nk, (uint32_t)nl}, .value = {val, (uint32_t)vl}}};
    m.d.name = pz_view_str(s->name);
    return s_write_desc(b, &m.d, extra, 2);
}
