/*
 * sql_bind_dml.c — binding statements: SELECT, INSERT (VALUES with DEFAULT, or a query; ON
 * CONFLICT), UPDATE (with FROM) and DELETE (with USING), RETURNING; relation and schema names
 * through the search path; views; stored DEFAULT and CHECK expressions.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_bind_int.h"

int pz__bind_from_where(pz_binder_t *b, pz_ast_from_t *const *from, int n_from,
                        const pz_ast_expr_t *where, pz_pn_t **plan, pz_scope_t **scope);

int pz_bind_schema(pz_binder_t *b, const char *name, uint32_t *id)
{
    int rc = pz_cat_lookup(b->ex->cat, b->ex->kv, b->db_id, 0, name, id, NULL, b->ex->err);
    if (rc == PZ_ENOTFOUND) {
        return pz_sql_err_set(b->ex->err, "3F000", "schema \"%s\" does not exist", name);
    }
    return rc;
}

int pz_bind_relation(pz_binder_t *b, const char *schema, const char *name, int location,
                     pz_cat_entry_t **out)
{
    uint32_t id = 0, index_id = 0;
    int rc = PZ_ENOTFOUND;
    if (schema != NULL) {
        uint32_t sid = 0;
        if ((rc = pz_bind_schema(b, schema, &sid)) != 0) {
            if (strcmp(b->ex->err->sqlstate, "3F000") == 0) {
                pz_sql_err_clear(b->ex->err); /* PostgreSQL names the relation, not the schema */
                rc = PZ_ENOTFOUND;
            } else {
                b->ex->err->position = location;
                return rc;
            }
        }
        rc = rc ? rc
                : pz_cat_lookup(b->ex->cat, b->ex->kv, b->db_id, sid, name, &id, &index_id,
                                b->ex->err);
    } else {
        for (int i = 0; rc == PZ_ENOTFOUND && i < b->n_search_path; i++) {
            rc = pz_cat_lookup(b->ex->cat, b->ex->kv, b->db_id, b->search_path[i], name, &id,
                               &index_id, b->ex->err);
        }
    }
    if (rc == 0 && index_id != 0) {
        rc = PZ_ENOTFOUND; /* an index's name: not a relation one can read here */
    }
    if (rc == PZ_ENOTFOUND) {
        if (schema) {
            return pz__bind_err(b, location, "42P01", "relation \"%s.%s\" does not exist", schema,
                                name);
        }
        return pz__bind_err(b, location, "42P01", "relation \"%s\" does not exist", name);
    }
    pz_cat_entry_t *e = NULL;
    rc = rc ? rc : pz_cat_get(b->ex->cat, b->ex->kv, id, &e, b->ex->err);
    if (rc == PZ_ENOTFOUND) {
        return pz__bind_err(b, location, "42P01", "relation \"%s\" does not exist", name);
    }
    rc = rc ? rc : pz__bind_hold(b, e);
    if (rc == 0) {
        *out = e;
    }
    return rc;
}

/* A scope over a table's columns named rel. */
static pz_scope_t *s_table_scope(pz_binder_t *b, const pz_cat_desc_t *d, const char *rel)
{
    pz_scope_t *s = pz__bind_alloc(b, sizeof *s);
    if (s == NULL || (s->cols = pz__bind_alloc(b, sizeof *s->cols * (d->cols_len + 1))) == NULL) {
        return NULL;
    }
    s->n = (int)d->cols_len;
    for (uint32_t i = 0; i < d->cols_len; i++) {
        s->cols[i] = (pz_scol_t){.rel = rel,
                                 .name = pz__view_cstr(b, d->cols[i].name),
                                 .type = pz_cat_col_type(&d->cols[i]),
                                 .hidden = d->cols[i].hidden};
    }
    return s;
}

int pz_bind_stored_expr(pz_binder_t *b, const pz_cat_desc_t *table, const char *text, pz_bx_t **out)
{
    size_t n = strlen(text);
    char *q = pz__bind_alloc(b, n + 8);
    if (q == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(q, "SELECT ", 7);
    memcpy(q + 7, text, n + 1);
    pz_ast_stmt_t **stmts = NULL;
    int ns = 0;
    int rc = pz_ast_build(b->ex->arena, q, NULL, &stmts, &ns, b->ex->err);
    if (rc != 0 || ns != 1 || stmts[0]->kind != PZ_AS_SELECT || stmts[0]->select->n_targets != 1) {
        pz_sql_err_clear(b->ex->err);
        return pz_sql_err_set(b->ex->err, "XX000", "stored expression \"%s\" does not parse", text);
    }
    pz_scope_t *keep = b->scope;
    struct pz_sql_lits *keep_lits = b->lits; /* the stored text's constants are not the query's */
    b->scope = table ? s_table_scope(b, table, pz__view_cstr(b, table->name)) : NULL;
    b->lits = NULL;
    rc = pz__bind_expr(b, stmts[0]->select->targets[0].expr, out);
    b->scope = keep;
    b->lits = keep_lits;
    return rc;
}

int pz__bind_view(pz_binder_t *b, pz_cat_entry_t *v, int location, pz_pn_t **plan)
{
    if (b->depth > 32) {
        return pz__bind_err(b, location, "54001", "views nest too deeply");
    }
    char *q = pz__bind_alloc(b, v->d.view_query.len + 1);
    if (q == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(q, v->d.view_query.ptr, v->d.view_query.len);
    q[v->d.view_query.len] = '\0';
    pz_ast_stmt_t **stmts = NULL;
    int ns = 0;
    int rc = pz_ast_build(b->ex->arena, q, NULL, &stmts, &ns, b->ex->err);
    if (rc != 0 || ns != 1 || stmts[0]->kind != PZ_AS_SELECT) {
        pz_sql_err_clear(b->ex->err);
        return pz_sql_err_set(b->ex->err, "XX000", "view \"%.*s\" has a bad definition",
                              (int)v->d.name.len, v->d.name.ptr);
    }
    pz_scope_t *keep = b->scope;
    pz_cte_def_t *keep_ctes = b->ctes;
    struct pz_sql_lits *keep_lits = b->lits; /* the view's constants are not the query's */
    b->scope = NULL;
    b->ctes = NULL;
    b->lits = NULL;
    b->depth++;
    rc = pz__bind_select(b, stmts[0]->select, plan);
    b->depth--;
    b->scope = keep;
    b->ctes = keep_ctes;
    b->lits = keep_lits;
    for (uint32_t i = 0; rc == 0 && i < v->d.cols_len && (int)i < (*plan)->n_cols; i++) {
        (*plan)->names[i] = pz__view_cstr(b, v->d.cols[i].name);
    }
    return rc;
}

/* ---- INSERT / UPDATE / DELETE --------------------------------------------------------------- */

static int s_col(pz_binder_t *b, const pz_cat_desc_t *d, const char *name, int location)
{
    for (uint32_t i = 0; i < d->cols_len; i++) {
        if (!d->cols[i].hidden && pz_cat_name_eq(d->cols[i].name, name)) {
            return (int)i;
        }
    }
    pz__bind_err(b, location, "42703", "column \"%s\" of relation \"%.*s\" does not exist", name,
                 (int)d->name.len, d->name.ptr);
    return -1;
}

static int s_default(pz_binder_t *b, const pz_cat_desc_t *d, int c, pz_bx_t **out)
{
    const pz_cat_col_t *col = &d->cols[c];
    pz_sql_type_t t = pz_cat_col_type(col);
    if (col->default_expr.len == 0) {
        *out = pz__bx_new(b, PZ_BX_CONST, t);
        if (*out == NULL) {
            return PZ_ENOMEM;
        }
        (*out)->val = pz_datum_null(t.id);
        return 0;
    }
    pz_bx_t *x;
    int rc = pz_bind_stored_expr(b, NULL, pz__view_cstr(b, col->default_expr), &x);
    char what[128];
    snprintf(what, sizeof what, "column \"%.*s\"", (int)col->name.len, col->name.ptr);
    return rc ? rc : pz_bind_coerce(b, x, t, PZ_CAST_ASSIGN, what, out);
}

static int s_assign(pz_binder_t *b, const pz_cat_desc_t *d, int c, pz_bx_t *x, pz_bx_t **out)
{
    char what[128];
    snprintf(what, sizeof what, "column \"%.*s\"", (int)d->cols[c].name.len, d->cols[c].name.ptr);
    return pz_bind_coerce(b, x, pz_cat_col_type(&d->cols[c]), PZ_CAST_ASSIGN, what, out);
}

static int s_dml_common(pz_binder_t *b, const pz_ast_stmt_t *s, pz_cat_entry_t *t, pz_pn_t *pn,
                        const char *rel)
{
    const pz_cat_desc_t *d = &t->d;
    pz_dml_t *m = pz__bind_alloc(b, sizeof *m);
    if (m == NULL) {
        return PZ_ENOMEM;
    }
    pn->dml = m;
    m->table = t;
    m->n_tcols = (int)d->cols_len;
    pz_scope_t *ts = s_table_scope(b, d, rel);
    if (ts == NULL) {
        return PZ_ENOMEM;
    }
    if (pn->kind != PZ_PN_DELETE && d->checks_len > 0) {
        m->checks = pz__bind_alloc(b, sizeof *m->checks * d->checks_len);
        m->check_names = pz__bind_alloc(b, sizeof *m->check_names * d->checks_len);
        if (m->checks == NULL || m->check_names == NULL) {
            return PZ_ENOMEM;
        }
        for (uint32_t i = 0; i < d->checks_len; i++) {
            int rc = pz_bind_stored_expr(b, d, pz__view_cstr(b, d->checks[i].expr), &m->checks[i]);
            if (rc != 0) {
                return rc;
            }
            m->check_names[i] = pz__view_cstr(b, d->checks[i].name);
        }
        m->n_checks = (int)d->checks_len;
    }
    pn->n_cols = 0;
    if (s->n_returning > 0) {
        m->returning =
            pz__bind_alloc(b, sizeof *m->returning * (size_t)(s->n_returning + d->cols_len));
        pn->types = pz__bind_alloc(b, sizeof *pn->types * (size_t)(s->n_returning + d->cols_len));
        pn->names = pz__bind_alloc(b, sizeof *pn->names * (size_t)(s->n_returning + d->cols_len));
        if (m->returning == NULL || pn->types == NULL || pn->names == NULL) {
            return PZ_ENOMEM;
        }
        pz_scope_t *keep = b->scope;
        b->scope = ts;
        for (int i = 0; i < s->n_returning; i++) {
            const pz_ast_target_t *r = &s->returning[i];
            if (r->expr->kind == PZ_AX_COLREF && r->expr->star) {
                for (int c = 0; c < ts->n; c++) {
                    if (ts->cols[c].hidden) {
                        continue;
                    }
                    pz_bx_t *x = pz__bx_new(b, PZ_BX_COL, ts->cols[c].type);
                    if (x == NULL) {
                        return PZ_ENOMEM;
                    }
                    x->idx = c;
                    pn->types[pn->n_cols] = x->type;
                    pn->names[pn->n_cols] = ts->cols[c].name;
                    m->returning[pn->n_cols++] = x;
                }
                continue;
            }
            pz_bx_t *x;
            int rc = pz__bind_expr(b, r->expr, &x);
            if (rc == 0 && x->type.id == PZ_TY_UNKNOWN) {
                rc = pz_bind_coerce(b, x, PZ_SQL_TYPE(PZ_TY_TEXT), PZ_CAST_IMPLICIT, NULL, &x);
            }
            if (rc != 0) {
                b->scope = keep;
                return rc;
            }
            pn->types[pn->n_cols] = x->type;
            pn->names[pn->n_cols] = pz__target_name(r);
            m->returning[pn->n_cols++] = x;
        }
        b->scope = keep;
        m->n_returning = pn->n_cols;
    }
    return 0;
}

/* INSERT ... VALUES: each row padded to the table's columns, DEFAULT allowed. */
static int s_insert_values(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_cat_desc_t *d,
                           const int *target, int n_target, pz_pn_t **out)
{
    const pz_ast_select_t *q = s->select;
    int nc = (int)d->cols_len;
    pz_pn_t *v = pz__pn_new(b, PZ_PN_VALUES, nc);
    if (v == NULL || (v->rows = pz__bind_alloc(b, sizeof *v->rows * (size_t)q->n_values)) == NULL) {
        return PZ_ENOMEM;
    }
    v->n_rows = q->n_values;
    for (int r = 0; r < q->n_values; r++) {
        if (q->n_values_cols != n_target) {
            return pz__bind_err(b, q->location, "42601", "INSERT has more %s than %s",
                                q->n_values_cols > n_target ? "expressions" : "target columns",
                                q->n_values_cols > n_target ? "target columns" : "expressions");
        }
        pz_bx_t **row = pz__bind_alloc(b, sizeof *row * (size_t)(nc + 1));
        if (row == NULL) {
            return PZ_ENOMEM;
        }
        v->rows[r] = row;
        for (int c = 0; c < nc; c++) {
            int p = -1;
            for (int k = 0; k < n_target; k++) {
                p = target[k] == c ? k : p;
            }
            int rc;
            if (p < 0 || q->values[r][p]->kind == PZ_AX_DEFAULT) {
                rc = s_default(b, d, c, &row[c]);
            } else {
                pz_bx_t *x;
                rc = pz_bind_expr_noscope(b, q->values[r][p], &x);
                rc = rc ? rc : s_assign(b, d, c, x, &row[c]);
            }
            if (rc != 0) {
                return rc;
            }
        }
    }
    for (int c = 0; c < nc; c++) {
        v->types[c] = pz_cat_col_type(&d->cols[c]);
        v->names[c] = "?col?";
    }
    *out = v;
    return 0;
}

static int s_insert_query(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_cat_desc_t *d,
                          const int *target, int n_target, pz_pn_t **out)
{
    pz_pn_t *src = NULL;
    int rc = 0;
    if (!s->default_values) {
        pz_scope_t *keep = b->scope;
        b->scope = NULL;
        rc = pz__bind_select(b, s->select, &src);
        b->scope = keep;
        if (rc == 0 && src->n_cols != n_target) {
            return pz__bind_err(b, s->location + 1, "42601", "INSERT has more %s than %s",
                                src->n_cols > n_target ? "expressions" : "target columns",
                                src->n_cols > n_target ? "target columns" : "expressions");
        }
    } else {
        src = pz__pn_new(b, PZ_PN_VALUES, 0);
        if (src == NULL || (src->rows = pz__bind_alloc(b, sizeof *src->rows)) == NULL) {
            return PZ_ENOMEM;
        }
        src->n_rows = 1;
        n_target = 0;
    }
    int nc = (int)d->cols_len;
    pz_bx_t **ex = rc ? NULL : pz__bind_alloc(b, sizeof *ex * (size_t)(nc + 1));
    const char **nm = rc ? NULL : pz__bind_alloc(b, sizeof *nm * (size_t)(nc + 1));
    if (ex == NULL || nm == NULL) {
        return rc ? rc : PZ_ENOMEM;
    }
    for (int c = 0; c < nc; c++) {
        int p = -1;
        for (int k = 0; k < n_target; k++) {
            p = target[k] == c ? k : p;
        }
        nm[c] = "?col?";
        if (p < 0) {
            rc = s_default(b, d, c, &ex[c]);
        } else {
            pz_bx_t *x = pz__bx_new(b, PZ_BX_COL, src->types[p]);
            if (x == NULL) {
                return PZ_ENOMEM;
            }
            x->idx = p;
            rc = s_assign(b, d, c, x, &ex[c]);
        }
        if (rc != 0) {
            return rc;
        }
    }
    pz_pn_t *p = pz__pn_new(b, PZ_PN_PROJECT, nc);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    p->left = src;
    p->exprs = ex;
    p->n_exprs = nc;
    for (int c = 0; c < nc; c++) {
        p->types[c] = ex[c]->type;
        p->names[c] = nm[c];
    }
    *out = p;
    return 0;
}

/* CockroachDB's UPSERT: a row whose primary key exists gets the written columns (every column
 * without a column list, so unlisted ones take their defaults), others are inserted; other
 * unique indexes are not arbiters. As INSERT ... ON CONFLICT (pk) DO UPDATE SET c = excluded.c. */
static int s_upsert(pz_binder_t *b, const pz_ast_stmt_t *s, pz_pn_t *pn)
{
    pz_dml_t *m = pn->dml;
    const pz_cat_desc_t *d = &m->table->d;
    if (s->on_conflict != 0) {
        return pz__bind_err(b, s->location, "42601", "UPSERT cannot have an ON CONFLICT clause");
    }
    m->conflict_set = pz__bind_alloc(b, sizeof *m->conflict_set * (d->cols_len + 1));
    if (m->conflict_set == NULL) {
        return PZ_ENOMEM;
    }
    const pz_cat_index_t *pk = &d->indexes[0];
    int n_set = 0;
    for (uint32_t c = 0; c < d->cols_len; c++) {
        bool key = false, listed = s->n_cols == 0;
        for (uint32_t k = 0; k < pk->cols_len; k++) {
            key |= pk->cols[k].col == d->cols[c].id;
        }
        for (int i = 0; !listed && i < s->n_cols; i++) {
            listed = pz_cat_name_eq(d->cols[c].name, s->cols[i]);
        }
        if (key || !listed || d->cols[c].hidden) {
            continue;
        }
        pz_bx_t *x = pz__bx_new(b, PZ_BX_COL, pz_cat_col_type(&d->cols[c]));
        if (x == NULL) {
            return PZ_ENOMEM;
        }
        x->idx = (int)(d->cols_len + c); /* the excluded (proposed) row's column */
        m->conflict_set[c] = x;
        n_set++;
    }
    m->on_conflict = n_set > 0 ? 2 : 1;
    m->conflict_any = false;
    m->conflict_index = 0; /* UPSERT's arbiter is the primary key */
    return 0;
}

/* Whether index ix has exactly the named columns (in any order, as PostgreSQL infers it). */
static bool s_index_is(const pz_cat_desc_t *d, const pz_cat_index_t *ix, const char **cols, int n)
{
    bool all = ix->unique && ix->cols_len == (uint32_t)n;
    for (int i = 0; all && i < n; i++) {
        const pz_cat_col_t *c = pz_cat_col_by_name(d, cols[i]);
        bool in = false;
        for (uint32_t k = 0; c != NULL && k < ix->cols_len; k++) {
            in |= ix->cols[k].col == c->id;
        }
        all = in;
    }
    return all;
}

/* The arbiter of ON CONFLICT: the unique index whose columns the target names (the primary
 * key first), or the constraint named by ON CONSTRAINT. */
static int s_arbiter(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_cat_desc_t *d, int *out)
{
    bool named = s->conflict_constraint != NULL && s->conflict_constraint[0] != '\0';
    for (uint32_t x = 0; x < d->indexes_len; x++) {
        const pz_cat_index_t *ix = &d->indexes[x];
        bool hit;
        if (named) { /* a constraint: the primary key or a UNIQUE one, not a bare index */
            char pk[160];
            snprintf(pk, sizeof pk, "%.*s_pkey", (int)d->name.len, d->name.ptr);
            const char *name = x == 0 && ix->name.len == 0 ? pk : NULL;
            hit = ix->unique && (x == 0 || ix->constraint) &&
                  (name ? strcmp(name, s->conflict_constraint) == 0
                        : ix->name.len == strlen(s->conflict_constraint) &&
                              memcmp(ix->name.ptr, s->conflict_constraint, ix->name.len) == 0);
        } else {
            hit = s_index_is(d, ix, s->conflict_cols, s->n_conflict_cols);
        }
        if (hit) {
            *out = (int)x;
            return 0;
        }
    }
    if (named) {
        return pz__bind_err(b, -1, "42704", "constraint \"%s\" for table \"%.*s\" does not exist",
                            s->conflict_constraint, (int)d->name.len, d->name.ptr);
    }
    return pz__bind_err(b, 0, "42P10",
                        "there is no unique or exclusion constraint matching the ON CONFLICT "
                        "specification");
}

static int s_on_conflict(pz_binder_t *b, const pz_ast_stmt_t *s, pz_pn_t *pn, const char *rel)
{
    pz_dml_t *m = pn->dml;
    const pz_cat_desc_t *d = &m->table->d;
    m->on_conflict = s->on_conflict;
    bool named = s->conflict_constraint != NULL && s->conflict_constraint[0] != '\0';
    m->conflict_any = s->on_conflict == 1 && s->n_conflict_cols == 0 && !named;
    m->conflict_index = 0;
    if (s->n_conflict_cols > 0 || named) {
        int rc = s_arbiter(b, s, d, &m->conflict_index);
        if (rc != 0) {
            return rc;
        }
    } else if (s->on_conflict == 2) {
        return pz__bind_err(b, s->location + 1, "42601",
                            "ON CONFLICT DO UPDATE requires "
                            "inference specification or constraint name");
    }
    if (s->on_conflict != 2) {
        return 0;
    }
    pz_scope_t *ts = s_table_scope(b, d, rel), *ex = s_table_scope(b, d, "excluded");
    pz_scope_t *both = pz__bind_alloc(b, sizeof *both);
    if (ts == NULL || ex == NULL || both == NULL) {
        return PZ_ENOMEM;
    }
    both->n = ts->n * 2;
    both->cols = pz__bind_alloc(b, sizeof *both->cols * (size_t)(both->n + 1));
    m->conflict_set = pz__bind_alloc(b, sizeof *m->conflict_set * (size_t)(ts->n + 1));
    if (both->cols == NULL || m->conflict_set == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(both->cols, ts->cols, sizeof *both->cols * (size_t)ts->n);
    memcpy(both->cols + ts->n, ex->cols, sizeof *both->cols * (size_t)ts->n);
    pz_scope_t *keep = b->scope;
    b->scope = both;
    int rc = 0;
    for (int i = 0; rc == 0 && i < s->n_sets; i++) {
        int c = s_col(b, d, s->sets[i].col, s->sets[i].location);
        pz_bx_t *x = NULL;
        rc = c < 0                                    ? PZ_EINVAL
             : s->sets[i].expr->kind == PZ_AX_DEFAULT ? s_default(b, d, c, &x)
                                                      : pz__bind_expr(b, s->sets[i].expr, &x);
        rc = rc ? rc : s_assign(b, d, c, x, &m->conflict_set[c]);
    }
    if (rc == 0 && s->where != NULL) {
        rc = pz__bind_pred(b, s->where, "WHERE", &m->conflict_where);
    }
    b->scope = keep;
    return rc;
}

static int s_target_table(pz_binder_t *b, const pz_ast_stmt_t *s, pz_cat_entry_t **t)
{
    int rc = pz_bind_relation(b, s->rel.schema, s->rel.name, s->rel.location, t);
    if (rc == 0 && (*t)->d.kind != PZ_CAT_TABLE) {
        return pz__bind_err(b, s->rel.location, "42809", "cannot change %s \"%s\"",
                            (*t)->d.kind == PZ_CAT_VIEW ? "view" : "sequence", s->rel.name);
    }
    return rc;
}

static int s_insert(pz_binder_t *b, const pz_ast_stmt_t *s, pz_pn_t **out)
{
    pz_cat_entry_t *t;
    int rc = s_target_table(b, s, &t);
    if (rc != 0) {
        return rc;
    }
    const pz_cat_desc_t *d = &t->d;
    int *target = pz__bind_alloc(b, sizeof *target * (d->cols_len + (size_t)s->n_cols + 1));
    int n_target = 0;
    if (target == NULL) {
        return PZ_ENOMEM;
    }
    if (s->n_cols > 0) {
        for (int i = 0; i < s->n_cols; i++) {
            int c = s_col(b, d, s->cols[i], s->location + 1);
            if (c < 0) {
                return PZ_EINVAL;
            }
            for (int k = 0; k < n_target; k++) {
                if (target[k] == c) {
                    return pz__bind_err(b, s->location + 1, "42701",
                                        "column \"%s\" specified more than once", s->cols[i]);
                }
            }
            target[n_target++] = c;
        }
    } else {
        /* No column list: the leading columns, as many as the source gives (PostgreSQL fills
         * the rest with their defaults). */
        int given = s->select && s->select->n_values > 0 ? s->select->n_values_cols : -1;
        for (uint32_t i = 0; i < d->cols_len; i++) {
            if (!d->cols[i].hidden && (given < 0 || n_target < given)) {
                target[n_target++] = (int)i;
            }
        }
    }
    pz_pn_t *src = NULL;
    const pz_ast_select_t *q = s->select;
    bool plain_values = q && q->n_values > 0 && q->setop == PZ_SETOP_NONE && q->n_order_by == 0 &&
                        q->limit == NULL && q->offset == NULL && q->n_ctes == 0;
    rc = plain_values ? s_insert_values(b, s, d, target, n_target, &src)
                      : s_insert_query(b, s, d, target, n_target, &src);
    pz_pn_t *pn = rc ? NULL : pz__pn_new(b, PZ_PN_INSERT, 0);
    if (pn == NULL) {
        return rc ? rc : PZ_ENOMEM;
    }
    pn->left = src;
    const char *rel = s->rel_alias ? s->rel_alias : s->rel.name;
    rc = s_dml_common(b, s, t, pn, rel);
    rc = rc          ? rc
         : s->upsert ? s_upsert(b, s, pn)
                     : (s->on_conflict ? s_on_conflict(b, s, pn, rel) : 0);
    *out = pn;
    return rc;
}

/* The leftmost scan of a table in a plan: the UPDATE target (the first FROM item). */
static pz_pn_t *s_find_scan(pz_pn_t *pn, uint32_t table_id)
{
    if (pn == NULL) {
        return NULL;
    }
    if (pn->kind == PZ_PN_SCAN && pn->table->d.id == table_id) {
        return pn;
    }
    pz_pn_t *l = s_find_scan(pn->left, table_id);
    return l ? l : s_find_scan(pn->right, table_id);
}

/* UPDATE and DELETE read the rows they will write with locking reads (an implicit SELECT FOR
 * UPDATE, as CockroachDB does and as PostgreSQL locks a row before it modifies it): a row held
 * by another transaction is waited for and then read as that transaction left it, rather than
 * read at the snapshot and written over, which moved the write above the holder's commit and
 * failed the whole transaction's refresh at COMMIT. Only the target table's own scan locks —
 * not subqueries, not the other tables of FROM/USING, not a secondary index's entries (the rows
 * they lead to are) — and only a constrained one (a span): rows it returns that the WHERE
 * clause then rejects stay locked until the transaction ends, which over a whole table would
 * block every other writer of it; an unconstrained UPDATE keeps the commit-time refresh. */
static void s_lock_target(pz_pn_t *scan)
{
    if (scan != NULL && scan->has_span) {
        assert(scan->kind == PZ_PN_SCAN);
        scan->lock_rows = true;
    }
}

/* UPDATE and DELETE: the target table as the first FROM item, then FROM/USING. */
static int s_update_delete(pz_binder_t *b, const pz_ast_stmt_t *s, pz_pn_t **out)
{
    pz_cat_entry_t *t;
    int rc = s_target_table(b, s, &t);
    if (rc != 0) {
        return rc;
    }
    const pz_cat_desc_t *d = &t->d;
    int nc = (int)d->cols_len;
    pz_ast_from_t **from = pz__bind_alloc(b, sizeof *from * (size_t)(s->n_from + 1));
    pz_ast_from_t *me = pz__bind_alloc(b, sizeof *me);
    if (from == NULL || me == NULL) {
        return PZ_ENOMEM;
    }
    *me = (pz_ast_from_t){.kind = PZ_FROM_TABLE,
                          .schema = s->rel.schema,
                          .name = s->rel.name,
                          .alias = s->rel_alias,
                          .location = s->rel.location};
    from[0] = me;
    for (int i = 0; i < s->n_from; i++) {
        from[i + 1] = s->from[i];
    }
    pz_pn_t *plan;
    pz_scope_t *scope;
    pz_scope_t *keep = b->scope;
    b->scope = NULL;
    bool keep_order = b->fixed_order;
    b->fixed_order = true; /* the target's scan streams first: see pz_binder_t */
    rc = pz__bind_from_where(b, from, s->n_from + 1, s->where, &plan, &scope);
    b->fixed_order = keep_order;
    bool upd = s->kind == PZ_AS_UPDATE;
    int n_set = upd ? s->n_sets : 0;
    pz_bx_t **ex = rc ? NULL : pz__bind_alloc(b, sizeof *ex * (size_t)(nc + n_set + 1));
    const char **nm = rc ? NULL : pz__bind_alloc(b, sizeof *nm * (size_t)(nc + n_set + 1));
    int *set_cols = rc ? NULL : pz__bind_alloc(b, sizeof *set_cols * (size_t)(n_set + 1));
    if (ex == NULL || nm == NULL || set_cols == NULL) {
        b->scope = keep;
        return rc ? rc : PZ_ENOMEM;
    }
    for (int c = 0; c < nc; c++) {
        if ((ex[c] = pz__bx_new(b, PZ_BX_COL, plan->types[c])) == NULL) {
            return PZ_ENOMEM;
        }
        ex[c]->idx = c;
        nm[c] = plan->names[c];
    }
    b->scope = scope;
    for (int i = 0; rc == 0 && i < n_set; i++) {
        int c = s_col(b, d, s->sets[i].col, s->sets[i].location);
        pz_bx_t *x = NULL;
        for (int k = 0; c >= 0 && k < i; k++) {
            if (set_cols[k] == c) {
                c = -1;
                rc = pz__bind_err(b, s->sets[i].location, "42601",
                                  "multiple assignments to same column \"%s\"", s->sets[i].col);
            }
        }
        rc = rc                                       ? rc
             : c < 0                                  ? PZ_EINVAL
             : s->sets[i].expr->kind == PZ_AX_DEFAULT ? s_default(b, d, c, &x)
                                                      : pz__bind_expr(b, s->sets[i].expr, &x);
        rc = rc ? rc : s_assign(b, d, c, x, &ex[nc + i]);
        set_cols[i] = c;
        nm[nc + i] = "?set?";
    }
    b->scope = keep;
    if (rc != 0) {
        return rc;
    }
    pz_pn_t *p = pz__pn_new(b, PZ_PN_PROJECT, nc + n_set);
    pz_pn_t *pn = pz__pn_new(b, upd ? PZ_PN_UPDATE : PZ_PN_DELETE, 0);
    if (p == NULL || pn == NULL) {
        return PZ_ENOMEM;
    }
    p->left = plan;
    p->exprs = ex;
    p->n_exprs = nc + n_set;
    for (int c = 0; c < nc + n_set; c++) {
        p->types[c] = ex[c]->type;
        p->names[c] = nm[c];
    }
    pn->left = p;
    rc = s_dml_common(b, s, t, pn, s->rel_alias ? s->rel_alias : s->rel.name);
    if (rc == 0) {
        pn->dml->set_cols = set_cols;
        pn->dml->n_set = n_set;
        pz_pn_t *target = s_find_scan(plan, t->d.id);
        pn->dml->target_scan = upd ? target : NULL;
        s_lock_target(target);
    }
    *out = pn;
    return rc;
}

int pz_bind_stmt(pz_binder_t *b, const pz_ast_stmt_t *s, pz_pn_t **plan)
{
    switch (s->kind) {
    case PZ_AS_SELECT: {
        int rc = pz__bind_select(b, s->select, plan);
        if (rc == 0) {
            (*plan)->sub_done = false;
        }
        return rc;
    }
    case PZ_AS_INSERT:
        return s_insert(b, s, plan);
    case PZ_AS_UPDATE:
    case PZ_AS_DELETE:
        return s_update_delete(b, s, plan);
    default:
        return pz__bind_err(b, s->location + 1, "XX000", "statement kind %d is not a query",
                            s->kind);
    }
}
