/*
 * sql_fk.c — FOREIGN KEY enforcement for INSERT, UPDATE and DELETE.
 *
 * A child row's key (MATCH SIMPLE: skipped when any of its columns is NULL) must exist in the
 * parent's primary key or unique index: one GET batch per constraint probes them all. A parent
 * row that is deleted, or whose referenced columns change, is looked up in every table that
 * references it (descriptor field referenced_by): the child table is scanned (an index on the
 * child's columns is not used yet) and matching rows make the statement fail (NO ACTION,
 * RESTRICT: 23503), are deleted too (ON DELETE CASCADE, recursively), or get NULLs (ON DELETE
 * SET NULL) — all in the statement's one batch. Until transactions land the checks read the
 * committed state just before the batch, so a concurrent statement can slip between them.
 */
#include <stdio.h>
#include <string.h>

#include "sql_exec.h"
#include "sql_rowenc.h"

#define S_KEY_BYTES 4096u
/* ON DELETE CASCADE through this many levels of tables at most (PostgreSQL has no bound but
 * its stack; a cycle of cascades through self-references stops here with 54001). */
#define S_CASCADE_DEPTH_MAX 16

static void s_key_text(pz_ex_t *ex, const pz_cat_desc_t *d, const pz_cat_icol_t *cols, uint32_t n,
                       const pz_datum_t *row, pz_sbuf_t *names, pz_sbuf_t *vals)
{
    for (uint32_t i = 0; i < n; i++) {
        int c = pz_cat_col_index(d, cols[i].col);
        if (i) {
            pz_sbuf_puts(names, ", ");
            pz_sbuf_puts(vals, ", ");
        }
        pz_sbuf_put(names, d->cols[c].name.ptr, d->cols[c].name.len);
        pz_datum_to_text(ex->env, &row[c], vals);
    }
}

/* Child side: every new row's key must exist in the parent. */
static int s_check_child(pz_ex_t *ex, const pz_cat_desc_t *d, const pz_cat_fk_t *fk,
                         const pz_rowbuf_t *news)
{
    pz_cat_entry_t *pe = NULL;
    int rc = pz_cat_get(ex->cat, ex->kv, fk->ref_table, &pe, ex->err);
    if (rc != 0) {
        return rc == PZ_ENOTFOUND ? pz_sql_err_set(ex->err, "XX000", "referenced table is gone")
                                  : rc;
    }
    const pz_cat_index_t *ix = pz_cat_unique_on(&pe->d, fk->ref_cols, fk->ref_cols_len);
    if (ix == NULL) {
        pz_cat_release(&pe);
        return pz_sql_err_set(ex->err, "XX000", "the referenced key of \"%.*s\" is gone",
                              (int)fk->name.len, fk->name.ptr);
    }
    /* A self-reference may point at a row of this same statement (checked at its end, as
     * PostgreSQL's constraint triggers are): those keys need no probe. */
    pz_htab_t own = {0};
    bool self = fk->ref_table == d->id;
    pz_datum_t *kv = pz_ex_tmp_alloc(ex, sizeof *kv * (fk->cols_len + 1));
    rc = kv ? (self ? pz_ht_init(ex, &own, (int)fk->ref_cols_len) : 0) : PZ_ENOMEM;
    for (uint64_t r = 0; rc == 0 && self && r < news->n; r++) {
        bool created;
        for (uint32_t k = 0; k < fk->ref_cols_len; k++) {
            kv[k] = news->rows[r][pz_cat_col_index(d, fk->ref_cols[k].col)];
        }
        rc = pz_ht_find(ex, &own, kv, (int)fk->ref_cols_len, true, &created) ? 0 : PZ_ENOMEM;
    }
    if (rc != 0) {
        pz_ht_free(&own);
        pz_cat_release(&pe);
        return rc;
    }
    pz_kv_req_t *reqs = pz_ex_tmp_alloc(ex, sizeof *reqs * (news->n + 1));
    uint32_t *which = pz_ex_tmp_alloc(ex, sizeof *which * (news->n + 1));
    uint32_t n = 0;
    rc = reqs && which ? 0 : PZ_ENOMEM;
    for (uint64_t r = 0; rc == 0 && r < news->n; r++) {
        const pz_datum_t *row = news->rows[r];
        uint8_t key[S_KEY_BYTES];
        size_t kl = pz_rowenc_index_prefix(key, sizeof key, pe->d.id, ix->id);
        bool skip = false;
        for (uint32_t k = 0; k < fk->cols_len && kl && !skip; k++) {
            const pz_datum_t *v = &row[pz_cat_col_index(d, fk->cols[k].col)];
            const pz_cat_col_t *pc = pz_cat_col_by_id(&pe->d, ix->cols[k].col);
            pz_datum_t cv;
            skip = v->null;
            if (!skip && (rc = pz_datum_cast(ex->tmp, ex->env, v, pz_cat_col_type(pc),
                                             PZ_CAST_EXPLICIT, &cv, ex->err)) == 0) {
                kl = pz_rowenc_key_put(key, sizeof key, kl, &cv, ix->cols[k].desc);
            }
        }
        if (rc == 0 && !skip && self) {
            bool created;
            for (uint32_t k = 0; k < fk->cols_len; k++) {
                kv[k] = row[pz_cat_col_index(d, fk->cols[k].col)];
            }
            skip = pz_ht_find(ex, &own, kv, (int)fk->cols_len, false, &created) != NULL;
        }
        if (rc == 0 && !skip && kl > 0) {
            reqs[n] = (pz_kv_req_t){.op = PZ_KV_GET, .key = pz_arena_dup(ex->tmp, key, kl)};
            which[n++] = (uint32_t)r;
        }
    }
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    if (rc == 0 && n > 0) {
        pz_hlc_t keep = ex->kv->read_ts;
        ex->kv->read_ts = (pz_hlc_t){0}; /* the present, as the batch will see it */
        rc = pz_sql_kv_send(ex->kv, reqs, n, true, &reply, &resp, ex->err);
        ex->kv->read_ts = keep;
    }
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        if (resp.resps[i].found) {
            continue;
        }
        pz_sql_err_set(ex->err, "23503",
                       "insert or update on table \"%.*s\" violates foreign key constraint "
                       "\"%.*s\"",
                       (int)d->name.len, d->name.ptr, (int)fk->name.len, fk->name.ptr);
        pz_sbuf_t names = {0}, vals = {0};
        s_key_text(ex, d, fk->cols, fk->cols_len, news->rows[which[i]], &names, &vals);
        pz_sql_err_detail(ex->err, "Key (%.*s)=(%.*s) is not present in table \"%.*s\".",
                          (int)names.len, names.p ? names.p : "", (int)vals.len,
                          vals.p ? vals.p : "", (int)pe->d.name.len, pe->d.name.ptr);
        pz_sbuf_free(&names);
        pz_sbuf_free(&vals);
        rc = PZ_EINVAL;
    }
    pz_msg_free(&reply);
    pz_ht_free(&own);
    pz_cat_release(&pe);
    return rc;
}

/* Parent side. olds: the parent rows going away (or being re-keyed). */
static int s_parent(pz_ex_t *ex, const pz_dml_t *m, const pz_rowbuf_t *olds, bool is_delete,
                    pz_dml_writes_t *w, int depth);

typedef struct {
    pz_cat_entry_t *child_entry;
    const pz_cat_desc_t *child;
    const pz_cat_fk_t *fk;
    const pz_cat_desc_t *parent;
    pz_htab_t keys; /* referenced keys of the rows going away */
    int nk;
} s_ref_t;

/* The child row's FK columns as a key row (cast to the parent's types); false if NULL. */
static bool s_child_key(pz_ex_t *ex, const s_ref_t *r, const pz_datum_t *row, pz_datum_t *key)
{
    for (uint32_t k = 0; k < r->fk->cols_len; k++) {
        const pz_datum_t *v = &row[pz_cat_col_index(r->child, r->fk->cols[k].col)];
        const pz_cat_col_t *pc = pz_cat_col_by_id(r->parent, r->fk->ref_cols[k].col);
        if (v->null || pz_datum_cast(ex->tmp, ex->env, v, pz_cat_col_type(pc), PZ_CAST_EXPLICIT,
                                     &key[k], ex->err) != 0) {
            pz_sql_err_clear(ex->err);
            return false;
        }
    }
    return true;
}

/* Scans the child table for rows referencing the keys; acts on each. */
static int s_scan_children(pz_ex_t *ex, s_ref_t *r, bool is_delete, pz_dml_writes_t *w, int depth)
{
    const pz_cat_desc_t *c = r->child;
    uint8_t lo[S_KEY_BYTES], hi[64];
    uint32_t ll = (uint32_t)pz_rowenc_index_prefix(lo, sizeof lo, c->id, c->indexes[0].id);
    uint32_t hl = (uint32_t)pz_rowenc_prefix_end(hi, sizeof hi, lo, ll);
    uint32_t *ids = pz_ex_alloc(ex, sizeof *ids * (c->cols_len + 1));
    pz_sql_type_t *ty = pz_ex_alloc(ex, sizeof *ty * (c->cols_len + 1));
    pz_datum_t *key = pz_ex_alloc(ex, sizeof *key * (r->fk->cols_len + 1));
    /* The child's writes name its descriptor (for 23505 on a unique entry): it is held until the
     * statement ends (pz_ex_hold), so these stay valid until the batch is answered. */
    pz_dml_t *cmp = pz_ex_alloc(ex, sizeof *cmp);
    if (cmp == NULL) {
        return PZ_ENOMEM;
    }
    pz_dml_t cm = {.n_tcols = (int)c->cols_len, .table = r->child_entry};
    *cmp = cm;
    pz_rowbuf_t gone = {0};
    if (ids == NULL || ty == NULL || key == NULL) {
        return PZ_ENOMEM;
    }
    for (uint32_t i = 0; i < c->cols_len; i++) {
        ids[i] = c->cols[i].id;
        ty[i] = pz_cat_col_type(&c->cols[i]);
    }
    int rc = 0;
    for (bool more = true; more && rc == 0;) {
        pz_kv_req_t q = {.op = PZ_KV_SCAN, .key = {lo, ll}, .end_key = {hi, hl}, .limit = 2000};
        pz_msg_t *reply = NULL;
        pz_kv_batch_resp_t resp;
        pz_hlc_t keep = ex->kv->read_ts;
        ex->kv->read_ts = (pz_hlc_t){0};
        rc = pz_sql_kv_send(ex->kv, &q, 1, true, &reply, &resp, ex->err);
        ex->kv->read_ts = keep;
        const pz_kv_resp_t *x = rc ? NULL : &resp.resps[0];
        for (uint32_t i = 0; x != NULL && rc == 0 && i < x->kvs_len; i++) {
            pz_datum_t *row = pz_ex_alloc(ex, sizeof *row * (c->cols_len + 1));
            rc = row ? pz_rowenc_value_get(ex->arena, x->kvs[i].value.ptr, x->kvs[i].value.len, ids,
                                           ty, c->cols_len, row)
                     : PZ_ENOMEM;
            bool created = false;
            if (rc != 0 || !s_child_key(ex, r, row, key) ||
                pz_ht_find(ex, &r->keys, key, r->nk, false, &created) == NULL) {
                continue;
            }
            uint8_t action = is_delete ? r->fk->on_delete : r->fk->on_update;
            if (action == PZ_FK_CASCADE && is_delete) {
                if ((rc = pz_dml_delete_row(ex, cmp, w, row)) == 0) {
                    rc = pz_rowbuf_push(ex, &gone, row, (int)c->cols_len);
                }
            } else if (action == PZ_FK_SET_NULL) {
                pz_datum_t *nr = pz_ex_keep_row(ex, row, (int)c->cols_len);
                for (uint32_t k = 0; nr && k < r->fk->cols_len; k++) {
                    int ci = pz_cat_col_index(c, r->fk->cols[k].col);
                    nr[ci] = pz_datum_null(c->cols[ci].type);
                }
                rc = nr ? pz_dml_update_row(ex, cmp, w, nr, row) : PZ_ENOMEM;
            } else {
                pz_sql_err_set(ex->err, "23503",
                               "update or delete on table \"%.*s\" violates foreign key "
                               "constraint \"%.*s\" on table \"%.*s\"",
                               (int)r->parent->name.len, r->parent->name.ptr, (int)r->fk->name.len,
                               r->fk->name.ptr, (int)c->name.len, c->name.ptr);
                pz_sbuf_t names = {0}, vals = {0};
                for (uint32_t k = 0; k < r->fk->ref_cols_len; k++) {
                    const pz_cat_col_t *pc = pz_cat_col_by_id(r->parent, r->fk->ref_cols[k].col);
                    pz_sbuf_puts(&names, k ? ", " : "");
                    pz_sbuf_puts(&vals, k ? ", " : "");
                    pz_sbuf_put(&names, pc->name.ptr, pc->name.len);
                    pz_datum_to_text(ex->env, &key[k], &vals);
                }
                pz_sql_err_detail(ex->err,
                                  "Key (%.*s)=(%.*s) is still referenced from table "
                                  "\"%.*s\".",
                                  (int)names.len, names.p ? names.p : "", (int)vals.len,
                                  vals.p ? vals.p : "", (int)c->name.len, c->name.ptr);
                pz_sbuf_free(&names);
                pz_sbuf_free(&vals);
                rc = PZ_EINVAL;
            }
        }
        more = x != NULL && rc == 0 && x->has_resume && x->resume_key.len <= sizeof lo;
        if (more) {
            memcpy(lo, x->resume_key.ptr, x->resume_key.len);
            ll = x->resume_key.len;
        }
        pz_msg_free(&reply);
    }
    if (rc == 0 && gone.n > 0) {
        rc = s_parent(ex, cmp, &gone, true, w, depth + 1); /* the cascade goes on */
    }
    return rc;
}

static int s_parent(pz_ex_t *ex, const pz_dml_t *m, const pz_rowbuf_t *olds, bool is_delete,
                    pz_dml_writes_t *w, int depth)
{
    const pz_cat_desc_t *p = &m->table->d;
    if (depth > S_CASCADE_DEPTH_MAX) {
        return pz_sql_err_set(ex->err, "54001", "foreign key cascades nest too deeply");
    }
    int rc = 0;
    for (uint32_t t = 0; rc == 0 && t < p->referenced_by_len; t++) {
        pz_cat_entry_t *ce = NULL;
        rc = pz_cat_get(ex->cat, ex->kv, p->referenced_by[t].col, &ce, ex->err);
        if (rc == PZ_ENOTFOUND) {
            pz_sql_err_clear(ex->err);
            rc = 0;
            continue;
        }
        for (uint32_t f = 0; rc == 0 && f < ce->d.fks_len; f++) {
            const pz_cat_fk_t *fk = &ce->d.fks[f];
            if (fk->ref_table != p->id) {
                continue;
            }
            s_ref_t r = {.child_entry = ce,
                         .child = &ce->d,
                         .fk = fk,
                         .parent = p,
                         .nk = (int)fk->ref_cols_len};
            pz_datum_t *key = pz_ex_alloc(ex, sizeof *key * (fk->ref_cols_len + 1));
            rc = key ? pz_ht_init(ex, &r.keys, r.nk) : PZ_ENOMEM;
            for (uint64_t i = 0; rc == 0 && i < olds->n; i++) {
                bool null = false, created;
                for (uint32_t k = 0; k < fk->ref_cols_len; k++) {
                    key[k] = olds->rows[i][pz_cat_col_index(p, fk->ref_cols[k].col)];
                    null |= key[k].null;
                }
                if (!null && pz_ht_find(ex, &r.keys, key, r.nk, true, &created) == NULL) {
                    rc = PZ_ENOMEM;
                }
            }
            if (rc == 0 && r.keys.n > 0) {
                rc = s_scan_children(ex, &r, is_delete, w, depth);
            }
            pz_ht_free(&r.keys);
        }
        rc = rc ? rc : pz_ex_hold(ex, ce); /* cascaded writes may name it (see above) */
        if (rc != 0) {
            pz_cat_release(&ce);
        }
    }
    return rc;
}

int pz_fk_check(pz_ex_t *ex, const pz_dml_t *m, uint8_t kind, const pz_rowbuf_t *news,
                const pz_rowbuf_t *olds, pz_dml_writes_t *w)
{
    const pz_cat_desc_t *d = &m->table->d;
    int rc = 0;
    for (uint32_t f = 0; rc == 0 && news != NULL && news->n > 0 && f < d->fks_len; f++) {
        rc = s_check_child(ex, d, &d->fks[f], news);
    }
    if (rc == 0 && olds != NULL && olds->n > 0 && d->referenced_by_len > 0) {
        rc = s_parent(ex, m, olds, kind == PZ_PN_DELETE, w, 0);
    }
    return rc;
}
