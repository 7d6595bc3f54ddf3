/*
 * sql_bind_query.c — the query shapes above FROM/WHERE: grouping and aggregates, the target
 * list (with * expansion), ORDER BY (by output name, position or expression), DISTINCT [ON],
 * LIMIT/OFFSET; VALUES lists; UNION/INTERSECT/EXCEPT; WITH; views.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_bind_int.h"

int pz__bind_from_where(pz_binder_t *b, pz_ast_from_t *const *from, int n_from,
                        const pz_ast_expr_t *where, pz_pn_t **plan, pz_scope_t **scope);

/* Output names PostgreSQL gives unnamed targets (its FigureColname): a column's or function's
 * name is strong (2); a cast's type name, "case", "array" are weak (1) and give way to a strong
 * name underneath; anything else is ?column? (0). */
static int s_colname(const pz_ast_expr_t *e, const char **name)
{
    int st;
    switch (e->kind) {
    case PZ_AX_COLREF:
        if (e->n_names == 0 || e->star) {
            return 0;
        }
        *name = e->names[e->n_names - 1];
        return 2;
    case PZ_AX_FUNC:
        *name = e->name;
        return 2;
    case PZ_AX_CAST:
        st = s_colname(e->args[0], name);
        if (st <= 1 && e->type.name != NULL) {
            *name = e->type.name;
            return 1;
        }
        return st;
    case PZ_AX_SUBSCRIPT:
    case PZ_AX_COLLATE:
        return s_colname(e->args[0], name);
    case PZ_AX_CASE:
        st = e->case_else ? s_colname(e->case_else, name) : 0;
        if (st <= 1) {
            *name = "case";
            return 1;
        }
        return st;
    case PZ_AX_ARRAY:
        *name = "array";
        return 2;
    case PZ_AX_SUBLINK:
        if (e->sublink == PZ_SUBLINK_EXISTS || e->sublink == PZ_SUBLINK_ARRAY) {
            *name = e->sublink == PZ_SUBLINK_EXISTS ? "exists" : "array";
            return 2;
        }
        if (e->sublink == PZ_SUBLINK_EXPR && e->subquery != NULL &&
            e->subquery->setop == PZ_SETOP_NONE && e->subquery->n_targets == 1) {
            const pz_ast_target_t *t = &e->subquery->targets[0];
            if (t->alias != NULL) {
                *name = t->alias;
                return 2;
            }
            return s_colname(t->expr, name);
        }
        return 0;
    case PZ_AX_COALESCE:
        *name = "coalesce";
        return 2;
    case PZ_AX_NULLIF:
        *name = "nullif";
        return 2;
    case PZ_AX_GREATEST:
        *name = "greatest";
        return 2;
    case PZ_AX_LEAST:
        *name = "least";
        return 2;
    default:
        return 0;
    }
}

static const char *s_target_name(const pz_ast_target_t *t)
{
    const char *name = "?column?";
    if (t->alias != NULL) {
        return t->alias;
    }
    s_colname(t->expr, &name);
    return name;
}

const char *pz__target_name(const pz_ast_target_t *t)
{
    return s_target_name(t);
}

typedef struct {
    pz_bx_t **exprs;
    const char **names;
    int n, cap;
    int n_visible;
} s_tl_t;

static int s_tl_add(pz_binder_t *b, s_tl_t *tl, pz_bx_t *x, const char *name)
{
    if (tl->n == tl->cap) {
        int cap = tl->cap ? tl->cap * 2 : 16;
        pz_bx_t **e = pz__bind_alloc(b, sizeof *e * (size_t)cap);
        const char **nm = pz__bind_alloc(b, sizeof *nm * (size_t)cap);
        if (e == NULL || nm == NULL) {
            return PZ_ENOMEM;
        }
        if (tl->n) {
            memcpy(e, tl->exprs, sizeof *e * (size_t)tl->n);
            memcpy(nm, tl->names, sizeof *nm * (size_t)tl->n);
        }
        tl->exprs = e;
        tl->names = nm;
        tl->cap = cap;
    }
    if (x->type.id == PZ_TY_UNKNOWN) {
        int rc = pz_bind_coerce(b, x, PZ_SQL_TYPE(PZ_TY_TEXT), PZ_CAST_IMPLICIT, NULL, &x);
        if (rc != 0) {
            return rc;
        }
    }
    tl->exprs[tl->n] = x;
    tl->names[tl->n++] = name;
    return 0;
}

/* * or t.*: every visible column of the FROM scope (of relation t). */
static int s_star(pz_binder_t *b, const pz_ast_expr_t *e, pz_scope_t *from, s_tl_t *tl)
{
    const char *rel = e->n_names >= 1 ? e->names[e->n_names - 1] : NULL;
    int added = 0;
    for (int i = 0; from != NULL && i < from->n; i++) {
        bool shown = !from->cols[i].hidden || (rel != NULL && from->cols[i].using_dup);
        if (!shown || (rel && (!from->cols[i].rel || strcmp(rel, from->cols[i].rel)))) {
            continue;
        }
        pz_bx_t *x = pz__bx_new(b, PZ_BX_COL, from->cols[i].type);
        if (x == NULL) {
            return PZ_ENOMEM;
        }
        x->idx = i;
        if (b->agg != NULL) {
            /* In a grouped query * must name grouped columns: bind it as a column reference. */
            pz_ast_expr_t c = {.kind = PZ_AX_COLREF, .n_names = 1, .location = e->location};
            c.names[0] = from->cols[i].name;
            if (from->cols[i].rel) {
                c.names[0] = from->cols[i].rel;
                c.names[1] = from->cols[i].name;
                c.n_names = 2;
            }
            int rc = pz__bind_expr(b, &c, &x);
            if (rc != 0) {
                return rc;
            }
        }
        int rc = s_tl_add(b, tl, x, from->cols[i].name);
        if (rc != 0) {
            return rc;
        }
        added++;
    }
    if (rel != NULL && added == 0) {
        return pz__bind_err(b, e->location, "42P01", "missing FROM-clause entry for table \"%s\"",
                            rel);
    }
    if (rel == NULL && from != NULL && from->n == 0) {
        return pz__bind_err(b, e->location, "42601",
                            "SELECT * with no tables specified is not "
                            "valid");
    }
    return 0;
}

static pz_pn_t *s_project(pz_binder_t *b, pz_pn_t *in, pz_bx_t **exprs, const char **names, int n)
{
    pz_pn_t *p = pz__pn_new(b, PZ_PN_PROJECT, n);
    if (p == NULL) {
        return NULL;
    }
    p->left = in;
    p->exprs = exprs;
    p->n_exprs = n;
    for (int i = 0; i < n; i++) {
        p->types[i] = exprs[i]->type;
        p->names[i] = names[i];
    }
    p->est_rows = in->est_rows;
    return p;
}

/* ORDER BY item: an output column by name or position, else an expression over the input (in
 * the grouped context when grouping), added as a hidden column. */
static int s_order_item(pz_binder_t *b, const pz_ast_sort_t *o, s_tl_t *tl, int *col)
{
    const pz_ast_expr_t *e = o->expr;
    if (e->kind == PZ_AX_CONST && !e->val.null && e->val.type == PZ_TY_INT8) {
        if (e->val.v.i < 1 || e->val.v.i > tl->n_visible) {
            return pz__bind_err(b, e->location, "42P10",
                                "ORDER BY position %lld is not in select list",
                                (long long)e->val.v.i);
        }
        *col = (int)e->val.v.i - 1;
        return 0;
    }
    if (e->kind == PZ_AX_COLREF && e->n_names == 1 && !e->star) {
        int found = -1;
        for (int i = 0; i < tl->n_visible; i++) {
            if (strcmp(tl->names[i], e->names[0]) == 0) {
                if (found >= 0 && !pz__bx_equal(tl->exprs[found], tl->exprs[i])) {
                    return pz__bind_err(b, e->location, "42702", "ORDER BY \"%s\" is ambiguous",
                                        e->names[0]);
                }
                found = found < 0 ? i : found;
            }
        }
        if (found >= 0) {
            *col = found;
            return 0;
        }
    }
    pz_bx_t *x;
    int rc = pz__bind_expr(b, e, &x);
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < tl->n; i++) {
        if (pz__bx_equal(tl->exprs[i], x)) {
            *col = i;
            return 0;
        }
    }
    *col = tl->n;
    return s_tl_add(b, tl, x, "?order?");
}

static pz_bx_t *s_colref(pz_binder_t *b, int idx, pz_sql_type_t t)
{
    pz_bx_t *x = pz__bx_new(b, PZ_BX_COL, t);
    if (x != NULL) {
        x->idx = idx;
    }
    return x;
}

/* SORT by output columns (cols[i] with the AST's directions). */
static pz_pn_t *s_sort(pz_binder_t *b, pz_pn_t *in, const pz_ast_sort_t *ord, const int *cols,
                       int n)
{
    pz_pn_t *s = pz__pn_new(b, PZ_PN_SORT, in->n_cols);
    if (s == NULL || (s->keys = pz__bind_alloc(b, sizeof *s->keys * (size_t)n)) == NULL) {
        return NULL;
    }
    memcpy(s->types, in->types, sizeof *s->types * (size_t)in->n_cols);
    memcpy(s->names, in->names, sizeof *s->names * (size_t)in->n_cols);
    s->left = in;
    s->n_sort = n;
    for (int i = 0; i < n; i++) {
        s->keys[i].expr = s_colref(b, cols[i], in->types[cols[i]]);
        s->keys[i].desc = ord[i].desc;
        /* NULLs sort as larger than any value: last ascending, first descending. */
        s->keys[i].nulls_first = ord[i].nulls == 1 || (ord[i].nulls == 0 && ord[i].desc);
        if (s->keys[i].expr == NULL) {
            return NULL;
        }
    }
    s->est_rows = in->est_rows;
    return s;
}

static int s_limit(pz_binder_t *b, const pz_ast_select_t *q, pz_pn_t **plan)
{
    if (q->limit == NULL && q->offset == NULL) {
        return 0;
    }
    pz_pn_t *l = pz__pn_new(b, PZ_PN_LIMIT, (*plan)->n_cols);
    if (l == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(l->types, (*plan)->types, sizeof *l->types * (size_t)l->n_cols);
    memcpy(l->names, (*plan)->names, sizeof *l->names * (size_t)l->n_cols);
    l->left = *plan;
    int rc = 0;
    if (q->limit) {
        rc = pz_bind_expr_noscope(b, q->limit, &l->limit);
    }
    if (rc == 0 && q->offset) {
        rc = pz_bind_expr_noscope(b, q->offset, &l->offset);
    }
    *plan = l;
    return rc;
}

/* Drops hidden ORDER BY columns past n. */
static int s_trim(pz_binder_t *b, pz_pn_t **plan, int n)
{
    if ((*plan)->n_cols == n) {
        return 0;
    }
    pz_bx_t **ex = pz__bind_alloc(b, sizeof *ex * (size_t)(n + 1));
    if (ex == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        if ((ex[i] = s_colref(b, i, (*plan)->types[i])) == NULL) {
            return PZ_ENOMEM;
        }
    }
    *plan = s_project(b, *plan, ex, (*plan)->names, n);
    return *plan ? 0 : PZ_ENOMEM;
}

static bool s_has_agg(const pz_ast_expr_t *e);

static bool s_has_agg_list(pz_ast_expr_t *const *xs, int n)
{
    for (int i = 0; i < n; i++) {
        if (xs[i] && s_has_agg(xs[i])) {
            return true;
        }
    }
    return false;
}

int pz__agg_kind(const char *name);

/* Whether an expression calls an aggregate at this query level (subqueries are their own). */
static bool s_has_agg(const pz_ast_expr_t *e)
{
    if (e->kind == PZ_AX_FUNC && e->over == NULL && pz__agg_kind(e->name) >= 0 &&
        (e->agg_star || e->n_args > 0)) {
        return true;
    }
    if (e->kind == PZ_AX_SUBLINK) {
        return e->n_args > 0 && s_has_agg(e->args[0]);
    }
    if ((e->case_arg && s_has_agg(e->case_arg)) || (e->case_else && s_has_agg(e->case_else))) {
        return true;
    }
    return s_has_agg_list(e->args, e->n_args);
}

static int s_group(pz_binder_t *b, const pz_ast_select_t *q, pz_scope_t *from, pz_pn_t **plan,
                   pz_agg_ctx_t *ac)
{
    ac->input = from;
    ac->groups = pz__bind_alloc(b, sizeof *ac->groups * (size_t)(q->n_group_by + 1));
    if (ac->groups == NULL) {
        return PZ_ENOMEM;
    }
    pz_scope_t *keep = b->scope;
    b->scope = from;
    for (int i = 0; i < q->n_group_by; i++) {
        const pz_ast_expr_t *g = q->group_by[i];
        int rc;
        if (g->kind == PZ_AX_CONST && !g->val.null && g->val.type == PZ_TY_INT8) {
            /* GROUP BY 1: the first target's expression. */
            int64_t k = g->val.v.i;
            if (k < 1 || k > q->n_targets || q->targets[k - 1].expr->star) {
                b->scope = keep;
                return pz__bind_err(b, g->location, "42P10",
                                    "GROUP BY position %lld is not in select list", (long long)k);
            }
            g = q->targets[k - 1].expr;
        } else if (g->kind == PZ_AX_COLREF && g->n_names == 1) {
            /* An output column name that is not an input column (GROUP BY alias). */
            bool input = false;
            for (int c = 0; c < from->n && !input; c++) {
                input = strcmp(from->cols[c].name, g->names[0]) == 0;
            }
            for (int t = 0; !input && t < q->n_targets; t++) {
                if (q->targets[t].alias && strcmp(q->targets[t].alias, g->names[0]) == 0) {
                    g = q->targets[t].expr;
                    break;
                }
            }
        }
        if ((rc = pz__bind_expr(b, g, &ac->groups[ac->n_groups++])) != 0) {
            b->scope = keep;
            return rc;
        }
    }
    b->scope = keep;
    (void)plan;
    return 0;
}

static pz_pn_t *s_agg_node(pz_binder_t *b, pz_pn_t *in, pz_agg_ctx_t *ac)
{
    pz_pn_t *a = pz__pn_new(b, PZ_PN_AGG, ac->n_groups + ac->n_aggs);
    if (a == NULL) {
        return NULL;
    }
    a->left = in;
    a->groups = ac->groups;
    a->n_groups = ac->n_groups;
    a->aggs = ac->aggs;
    a->n_aggs = ac->n_aggs;
    for (int i = 0; i < ac->n_groups; i++) {
        a->types[i] = ac->groups[i]->type;
        a->names[i] = "?group?";
    }
    for (int i = 0; i < ac->n_aggs; i++) {
        a->types[ac->n_groups + i] = ac->aggs[i].type;
        a->names[ac->n_groups + i] = "?agg?";
    }
    a->est_rows = ac->n_groups ? in->est_rows / 10 : 1;
    return a;
}

/* generate_series / unnest at the top of a select-list item: a set-returning column. */
static bool s_is_srf(const pz_ast_expr_t *e)
{
    return e->kind == PZ_AX_FUNC && e->over == NULL && !e->agg_star &&
           ((strcmp(e->name, "unnest") == 0 && e->n_args == 1) ||
            (strcmp(e->name, "generate_subscripts") == 0 && e->n_args == 2) ||
            (strcmp(e->name, "pg_partition_ancestors") == 0 && e->n_args == 1) ||
            (strcmp(e->name, "generate_series") == 0 && (e->n_args == 2 || e->n_args == 3)));
}

static int s_bind_srf(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    bool unnest = e->name[0] == 'u';
    bool subs = strcmp(e->name, "generate_subscripts") == 0;
    if (strcmp(e->name, "pg_partition_ancestors") == 0) {
        /* No partitioning: one row, the relation itself (a one-element "array" of it). */
        pz_ast_expr_t arr = {
            .kind = PZ_AX_ARRAY, .args = e->args, .n_args = 1, .location = e->location};
        pz_bx_t *x = pz__bx_new(b, PZ_BX_SRF, PZ_SQL_TYPE(PZ_TY_REGCLASS));
        if (x == NULL || (x->args = pz__bind_alloc(b, sizeof *x->args)) == NULL) {
            return PZ_ENOMEM;
        }
        pz_bx_t *a;
        int rc = pz__bind_expr(b, &arr, &a);
        pz_sql_type_t rt = {.id = PZ_TY_ARRAY, .elem = PZ_TY_REGCLASS, .typmod = -1};
        rc = rc ? rc
                : pz_bind_coerce(b, a->args[0], PZ_SQL_TYPE(PZ_TY_REGCLASS), PZ_CAST_IMPLICIT, NULL,
                                 &a->args[0]);
        if (rc != 0) {
            return rc;
        }
        a->type = rt;
        x->idx = 1; /* unnest of that array */
        x->args[0] = a;
        x->n_args = 1;
        *out = x;
        return 0;
    }
    pz_bx_t *x = pz__bx_new(b, PZ_BX_SRF, PZ_SQL_TYPE(PZ_TY_INT4));
    if (x == NULL || (x->args = pz__bind_alloc(b, sizeof *x->args * 3)) == NULL) {
        return PZ_ENOMEM;
    }
    x->idx = unnest ? 1 : subs ? 2 : 0;
    x->n_args = e->n_args;
    x->location = e->location;
    pz_sql_type_t t = PZ_SQL_TYPE(PZ_TY_INT4);
    for (int i = 0; i < e->n_args; i++) {
        int rc = pz__bind_expr(b, e->args[i], &x->args[i]);
        if (rc != 0) {
            return rc;
        }
        if (!unnest && x->args[i]->type.id == PZ_TY_INT8) {
            t = PZ_SQL_TYPE(PZ_TY_INT8);
        }
    }
    if (subs) {
        if (x->args[0]->type.id != PZ_TY_ARRAY) {
            return pz__bind_err(b, e->location, "42883",
                                "function generate_subscripts(%s, "
                                "integer) does not exist",
                                pz_ty_name(x->args[0]->type.id));
        }
        x->type = PZ_SQL_TYPE(PZ_TY_INT4);
        return pz_bind_coerce(b, x->args[1], x->type, PZ_CAST_IMPLICIT, NULL, &x->args[1]) == 0
                   ? (*out = x, 0)
                   : PZ_EINVAL;
    }
    if (unnest) {
        if (x->args[0]->type.id != PZ_TY_ARRAY) {
            return pz__bind_err(b, e->location, "42883", "function unnest(%s) does not exist",
                                pz_ty_name(x->args[0]->type.id));
        }
        x->type = PZ_SQL_TYPE(x->args[0]->type.elem);
    } else {
        for (int i = 0; i < e->n_args; i++) {
            int rc = pz_bind_coerce(b, x->args[i], t, PZ_CAST_IMPLICIT, NULL, &x->args[i]);
            if (rc != 0) {
                return rc;
            }
        }
        x->type = t;
    }
    *out = x;
    return 0;
}

static int s_targets(pz_binder_t *b, const pz_ast_select_t *q, pz_scope_t *from, s_tl_t *tl)
{
    for (int i = 0; i < q->n_targets; i++) {
        const pz_ast_expr_t *e = q->targets[i].expr;
        int rc;
        if (e->kind == PZ_AX_COLREF && e->star) {
            rc = s_star(b, e, from, tl);
        } else {
            pz_bx_t *x;
            rc = s_is_srf(e) ? s_bind_srf(b, e, &x) : pz__bind_expr(b, e, &x);
            rc = rc ? rc : s_tl_add(b, tl, x, s_target_name(&q->targets[i]));
        }
        if (rc != 0) {
            return rc;
        }
    }
    tl->n_visible = tl->n;
    return 0;
}

static int s_distinct(pz_binder_t *b, const pz_ast_select_t *q, s_tl_t *tl, pz_pn_t **plan,
                      int *on_cols, int n_on)
{
    pz_pn_t *d = pz__pn_new(b, PZ_PN_DISTINCT, (*plan)->n_cols);
    if (d == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(d->types, (*plan)->types, sizeof *d->types * (size_t)d->n_cols);
    memcpy(d->names, (*plan)->names, sizeof *d->names * (size_t)d->n_cols);
    d->left = *plan;
    if (n_on > 0) {
        /* DISTINCT ON: key columns first, so the hash keys are the leading n_on columns. */
        pz_bx_t **ex = pz__bind_alloc(b, sizeof *ex * (size_t)(n_on + (*plan)->n_cols));
        const char **nm = pz__bind_alloc(b, sizeof *nm * (size_t)(n_on + (*plan)->n_cols));
        if (ex == NULL || nm == NULL) {
            return PZ_ENOMEM;
        }
        for (int i = 0; i < n_on; i++) {
            ex[i] = s_colref(b, on_cols[i], (*plan)->types[on_cols[i]]);
            nm[i] = "?on?";
        }
        for (int i = 0; i < (*plan)->n_cols; i++) {
            ex[n_on + i] = s_colref(b, i, (*plan)->types[i]);
            nm[n_on + i] = (*plan)->names[i];
        }
        pz_pn_t *p = s_project(b, *plan, ex, nm, n_on + (*plan)->n_cols);
        if (p == NULL) {
            return PZ_ENOMEM;
        }
        d = pz__pn_new(b, PZ_PN_DISTINCT, p->n_cols);
        if (d == NULL) {
            return PZ_ENOMEM;
        }
        memcpy(d->types, p->types, sizeof *d->types * (size_t)d->n_cols);
        memcpy(d->names, p->names, sizeof *d->names * (size_t)d->n_cols);
        d->left = p;
        d->n_keys = n_on;
        /* Then drop the key columns again. */
        pz_bx_t **back = pz__bind_alloc(b, sizeof *back * (size_t)(*plan)->n_cols);
        if (back == NULL) {
            return PZ_ENOMEM;
        }
        for (int i = 0; i < (*plan)->n_cols; i++) {
            back[i] = s_colref(b, n_on + i, (*plan)->types[i]);
        }
        *plan = s_project(b, d, back, (*plan)->names, (*plan)->n_cols);
        return *plan ? 0 : PZ_ENOMEM;
    }
    d->n_keys = tl->n_visible;
    (void)q;
    *plan = d;
    return 0;
}

/* The WINDOW node over the (grouped) input: its columns, then one per window function; the
 * targets' placeholders become those columns. */
static int s_window_node(pz_binder_t *b, pz_win_ctx_t *wc, pz_bx_t **exprs, int n, pz_pn_t **plan)
{
    int n_in = (*plan)->n_cols;
    pz_pn_t *w = pz__pn_new(b, PZ_PN_WINDOW, n_in + wc->n);
    if (w == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(w->types, (*plan)->types, sizeof *w->types * (size_t)n_in);
    memcpy(w->names, (*plan)->names, sizeof *w->names * (size_t)n_in);
    for (int i = 0; i < wc->n; i++) {
        w->types[n_in + i] = wc->wins[i].type;
        w->names[n_in + i] = "?window?";
    }
    for (int i = 0; i < n; i++) {
        pz__win_fix(exprs[i], n_in);
    }
    w->left = *plan;
    w->wins = wc->wins;
    w->n_wins = wc->n;
    w->est_rows = (*plan)->est_rows;
    *plan = w;
    return 0;
}

/* A plain SELECT (no set operation, no VALUES). */
static int s_plain(pz_binder_t *b, const pz_ast_select_t *q, pz_pn_t **out)
{
    pz_pn_t *plan;
    pz_scope_t *from;
    int rc = pz__bind_from_where(b, q->from, q->n_from, q->where, &plan, &from);
    if (rc != 0) {
        return rc;
    }
    pz_agg_ctx_t ac = {0};
    bool grouped =
        q->n_group_by > 0 || q->having != NULL || s_has_agg_list((pz_ast_expr_t *const *)NULL, 0);
    for (int i = 0; !grouped && i < q->n_targets; i++) {
        grouped = !q->targets[i].expr->star && s_has_agg(q->targets[i].expr);
    }
    for (int i = 0; !grouped && i < q->n_order_by; i++) {
        grouped = s_has_agg(q->order_by[i].expr);
    }
    pz_scope_t *keep = b->scope;
    b->scope = from;
    if (grouped) {
        if ((rc = s_group(b, q, from, &plan, &ac)) != 0) {
            b->scope = keep;
            return rc;
        }
        b->agg = &ac;
    }
    s_tl_t tl = {0};
    pz_bx_t *having = NULL;
    if (rc == 0 && q->having != NULL) {
        rc = pz__bind_pred(b, q->having, "HAVING", &having);
    }
    pz_win_ctx_t wc = {.named = q->windows, .n_named = q->n_windows};
    void *keep_win = b->win;
    b->win = &wc;
    rc = rc ? rc : s_targets(b, q, from, &tl);
    int *ord = pz__bind_alloc(b, sizeof *ord * (size_t)(q->n_order_by + 1));
    int *on = pz__bind_alloc(b, sizeof *on * (size_t)(q->n_distinct_on + 1));
    rc = rc ? rc : (ord && on ? 0 : PZ_ENOMEM);
    for (int i = 0; rc == 0 && i < q->n_order_by; i++) {
        rc = s_order_item(b, &q->order_by[i], &tl, &ord[i]);
    }
    for (int i = 0; rc == 0 && i < q->n_distinct_on; i++) {
        pz_ast_sort_t s = {.expr = q->distinct_on[i]};
        rc = s_order_item(b, &s, &tl, &on[i]);
    }
    b->agg = NULL;
    b->win = keep_win;
    b->scope = keep;
    b->corr |= from->correlated;
    if (rc != 0) {
        return rc;
    }
    if (q->distinct && tl.n > tl.n_visible && q->n_distinct_on == 0) {
        return pz__bind_err(b, q->order_by[0].expr->location, "42P10",
                            "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
    }
    if (grouped && (plan = s_agg_node(b, plan, &ac)) == NULL) {
        return PZ_ENOMEM;
    }
    if (having != NULL) {
        pz_pn_t *f = pz__pn_new(b, PZ_PN_FILTER, plan->n_cols);
        if (f == NULL) {
            return PZ_ENOMEM;
        }
        memcpy(f->types, plan->types, sizeof *f->types * (size_t)f->n_cols);
        memcpy(f->names, plan->names, sizeof *f->names * (size_t)f->n_cols);
        f->left = plan;
        f->pred = having;
        plan = f;
    }
    if (wc.n > 0 && (rc = s_window_node(b, &wc, tl.exprs, tl.n, &plan)) != 0) {
        return rc;
    }
    if ((plan = s_project(b, plan, tl.exprs, tl.names, tl.n)) == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < tl.n; i++) {
        plan->has_srf |= tl.exprs[i]->kind == PZ_BX_SRF;
    }
    if (q->n_order_by > 0 && (plan = s_sort(b, plan, q->order_by, ord, q->n_order_by)) == NULL) {
        return PZ_ENOMEM;
    }
    if (q->distinct && (rc = s_distinct(b, q, &tl, &plan, on, q->n_distinct_on)) != 0) {
        return rc;
    }
    rc = s_limit(b, q, &plan);
    rc = rc ? rc : s_trim(b, &plan, tl.n_visible);
    *out = plan;
    return rc;
}

static int s_values(pz_binder_t *b, const pz_ast_select_t *q, pz_pn_t **out)
{
    int nc = q->n_values_cols;
    pz_pn_t *v = pz__pn_new(b, PZ_PN_VALUES, nc);
    if (v == NULL || (v->rows = pz__bind_alloc(b, sizeof *v->rows * (size_t)q->n_values)) == NULL) {
        return PZ_ENOMEM;
    }
    v->n_rows = q->n_values;
    for (int r = 0; r < q->n_values; r++) {
        if ((v->rows[r] = pz__bind_alloc(b, sizeof **v->rows * (size_t)(nc + 1))) == NULL) {
            return PZ_ENOMEM;
        }
        for (int c = 0; c < nc; c++) {
            int rc = pz_bind_expr_noscope(b, q->values[r][c], &v->rows[r][c]);
            if (rc != 0) {
                return rc;
            }
        }
    }
    pz_bx_t **col = pz__bind_alloc(b, sizeof *col * (size_t)(q->n_values + 1));
    pz_sql_type_t *tys = pz__bind_alloc(b, sizeof *tys * (size_t)(q->n_values + 1));
    if (col == NULL || tys == NULL) {
        return PZ_ENOMEM;
    }
    for (int c = 0; c < nc; c++) {
        for (int r = 0; r < q->n_values; r++) {
            tys[r] = v->rows[r][c]->type;
        }
        pz_sql_type_t t;
        int rc = pz_ty_common(tys, q->n_values, "VALUES", &t, b->ex->err);
        for (int r = 0; rc == 0 && r < q->n_values; r++) {
            rc = pz_bind_coerce(b, v->rows[r][c], t, PZ_CAST_IMPLICIT, NULL, &v->rows[r][c]);
        }
        if (rc != 0) {
            return rc;
        }
        char *name = pz__bind_alloc(b, 24);
        if (name == NULL) {
            return PZ_ENOMEM;
        }
        snprintf(name, 24, "column%d", c + 1);
        v->types[c] = t;
        v->names[c] = name;
    }
    v->est_rows = q->n_values;
    *out = v;
    return 0;
}

/* Casts a plan's columns to the given types (set operation arms). */
static int s_cast_cols(pz_binder_t *b, pz_pn_t **plan, const pz_sql_type_t *t)
{
    bool need = false;
    for (int i = 0; i < (*plan)->n_cols; i++) {
        need |= (*plan)->types[i].id != t[i].id;
    }
    if (!need) {
        return 0;
    }
    pz_bx_t **ex = pz__bind_alloc(b, sizeof *ex * (size_t)(*plan)->n_cols);
    if (ex == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < (*plan)->n_cols; i++) {
        pz_bx_t *c = s_colref(b, i, (*plan)->types[i]);
        int rc = c ? pz_bind_coerce(b, c, t[i], PZ_CAST_IMPLICIT, NULL, &ex[i]) : PZ_ENOMEM;
        if (rc != 0) {
            return rc;
        }
    }
    *plan = s_project(b, *plan, ex, (*plan)->names, (*plan)->n_cols);
    return *plan ? 0 : PZ_ENOMEM;
}

static int s_setop(pz_binder_t *b, const pz_ast_select_t *q, pz_pn_t **out)
{
    static const char *names[] = {"", "UNION", "INTERSECT", "EXCEPT"};
    pz_pn_t *l, *r;
    int rc = pz__bind_select(b, q->larg, &l);
    rc = rc ? rc : pz__bind_select(b, q->rarg, &r);
    if (rc != 0) {
        return rc;
    }
    if (l->n_cols != r->n_cols) {
        return pz__bind_err(b, q->location, "42601",
                            "each %s query must have the same number of columns", names[q->setop]);
    }
    pz_sql_type_t *t = pz__bind_alloc(b, sizeof *t * (size_t)(l->n_cols + 1));
    if (t == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < l->n_cols; i++) {
        pz_sql_type_t two[2] = {l->types[i], r->types[i]};
        if ((rc = pz_ty_common(two, 2, names[q->setop], &t[i], b->ex->err)) != 0) {
            return rc;
        }
    }
    rc = s_cast_cols(b, &l, t);
    rc = rc ? rc : s_cast_cols(b, &r, t);
    pz_pn_t *s = rc ? NULL : pz__pn_new(b, PZ_PN_SETOP, l->n_cols);
    if (s == NULL) {
        return rc ? rc : PZ_ENOMEM;
    }
    memcpy(s->types, t, sizeof *t * (size_t)l->n_cols);
    memcpy(s->names, l->names, sizeof *s->names * (size_t)l->n_cols);
    s->left = l;
    s->right = r;
    s->setop = (uint8_t)q->setop;
    s->setop_all = q->setop_all;
    *out = s;
    return 0;
}

/* ORDER BY / LIMIT over a set operation or VALUES: output columns only. */
static int s_outer_order(pz_binder_t *b, const pz_ast_select_t *q, pz_pn_t **plan)
{
    if (q->n_order_by > 0) {
        s_tl_t tl = {.n = (*plan)->n_cols, .n_visible = (*plan)->n_cols, .names = (*plan)->names};
        tl.exprs = pz__bind_alloc(b, sizeof *tl.exprs * (size_t)(tl.n + 1));
        int *ord = pz__bind_alloc(b, sizeof *ord * (size_t)q->n_order_by);
        if (tl.exprs == NULL || ord == NULL) {
            return PZ_ENOMEM;
        }
        for (int i = 0; i < tl.n; i++) {
            tl.exprs[i] = s_colref(b, i, (*plan)->types[i]);
        }
        tl.cap = tl.n;
        pz_scope_t *keep = b->scope;
        b->scope = pz__scope_of(b, *plan, NULL);
        int rc = 0;
        for (int i = 0; rc == 0 && i < q->n_order_by; i++) {
            rc = s_order_item(b, &q->order_by[i], &tl, &ord[i]);
        }
        b->scope = keep;
        if (rc != 0) {
            return rc;
        }
        if (tl.n > tl.n_visible) {
            return pz__bind_err(b, q->order_by[0].expr->location, "0A000",
                                "ORDER BY on a UNION/INTERSECT/EXCEPT result must name result "
                                "columns");
        }
        if ((*plan = s_sort(b, *plan, q->order_by, ord, q->n_order_by)) == NULL) {
            return PZ_ENOMEM;
        }
    }
    return s_limit(b, q, plan);
}

/* Whether a query refers to the name (a recursive CTE's self-reference), anywhere in FROM. */
static bool s_refers(const pz_ast_select_t *q, const char *name);

static bool s_from_refers(const pz_ast_from_t *f, const char *name)
{
    if (f == NULL) {
        return false;
    }
    switch (f->kind) {
    case PZ_FROM_TABLE:
        return f->schema == NULL && strcmp(f->name, name) == 0;
    case PZ_FROM_SUBQUERY:
        return s_refers(f->subquery, name);
    case PZ_FROM_JOIN:
        return s_from_refers(f->larg, name) || s_from_refers(f->rarg, name);
    default:
        return false;
    }
}

static bool s_refers(const pz_ast_select_t *q, const char *name)
{
    if (q == NULL) {
        return false;
    }
    if (q->setop != PZ_SETOP_NONE) {
        return s_refers(q->larg, name) || s_refers(q->rarg, name);
    }
    for (int i = 0; i < q->n_from; i++) {
        if (s_from_refers(q->from[i], name)) {
            return true;
        }
    }
    return false;
}

/* WITH RECURSIVE name AS (non-recursive UNION [ALL] recursive): the first arm fixes the
 * columns; the second is bound with the name reading the working table. */
static int s_recursive(pz_binder_t *b, const pz_ast_cte_t *c, pz_cte_def_t *d)
{
    const pz_ast_select_t *q = c->query;
    if (q->setop != PZ_SETOP_UNION || s_refers(q->larg, c->name) || q->n_order_by > 0 ||
        q->limit != NULL || q->offset != NULL) {
        return pz__bind_err(b, c->location, "42P19",
                            "recursive query \"%s\" does not have the "
                            "form non-recursive-term UNION [ALL] recursive-term",
                            c->name);
    }
    pz_pn_t *l = NULL, *r = NULL;
    int rc = pz__bind_select(b, q->larg, &l);
    pz_pn_t *rec = rc ? NULL : pz__pn_new(b, PZ_PN_RECURSIVE, l->n_cols);
    if (rec == NULL) {
        return rc ? rc : PZ_ENOMEM;
    }
    for (int i = 0; i < l->n_cols; i++) {
        rec->types[i] = l->types[i].id == PZ_TY_UNKNOWN ? PZ_SQL_TYPE(PZ_TY_TEXT) : l->types[i];
        rec->names[i] = i < c->n_col_names ? c->col_names[i] : l->names[i];
    }
    rc = s_cast_cols(b, &l, rec->types);
    d->rec = rec;
    d->next = b->ctes;
    b->ctes = d; /* visible to its own recursive arm */
    rc = rc ? rc : pz__bind_select(b, q->rarg, &r);
    if (rc == 0 && r->n_cols != l->n_cols) {
        rc = pz__bind_err(b, c->location, "42601",
                          "each UNION query must have the same number of columns");
    }
    rc = rc ? rc : s_cast_cols(b, &r, rec->types);
    if (rc != 0) {
        return rc;
    }
    rec->left = l;
    rec->right = r;
    rec->setop_all = q->setop_all;
    rec->cte_id = d->id;
    d->plan = rec;
    d->rec = NULL;
    return 0;
}

static int s_with(pz_binder_t *b, const pz_ast_select_t *q)
{
    for (int i = 0; i < q->n_ctes; i++) {
        const pz_ast_cte_t *c = &q->ctes[i];
        pz_cte_def_t *d = pz__bind_alloc(b, sizeof *d);
        if (d == NULL) {
            return PZ_ENOMEM;
        }
        d->name = c->name;
        d->id = b->n_ctes++;
        d->cols = c->col_names;
        d->n_cols = c->n_col_names;
        if (d->id >= 64) {
            return pz__bind_err(b, c->location, "54000", "too many WITH queries");
        }
        pz_scope_t *keep = b->scope;
        b->scope = NULL;
        int rc;
        if (q->recursive && s_refers(c->query, c->name)) {
            rc = s_recursive(b, c, d);
        } else {
            rc = pz__bind_select(b, c->query, &d->plan);
            d->next = b->ctes;
            b->ctes = d;
        }
        b->scope = keep;
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int pz__bind_select(pz_binder_t *b, const pz_ast_select_t *q, pz_pn_t **out)
{
    if (++b->depth > 200) {
        b->depth--;
        return pz__bind_err(b, q->location, "54001", "query nests too deeply");
    }
    pz_cte_def_t *keep_ctes = b->ctes;
    pz_scope_t *outer = b->scope;
    bool keep_corr = b->corr;
    void *keep_win = b->win;
    b->corr = false;
    b->win = NULL; /* an enclosing query's windows are not this query's */
    int rc = q->n_ctes > 0 ? s_with(b, q) : 0;
    /* Set-operation arms and VALUES bind at this same level: a correlated reference counts
     * one level per query, matching the outer rows the executor stacks. */
    if (rc == 0 && q->setop != PZ_SETOP_NONE) {
        rc = s_setop(b, q, out);
        rc = rc ? rc : s_outer_order(b, q, out);
    } else if (rc == 0 && q->n_values > 0) {
        rc = s_values(b, q, out);
        rc = rc ? rc : s_outer_order(b, q, out);
    } else if (rc == 0) {
        /* FOR UPDATE/SHARE binds as a plain query: the session makes its reads lock
         * (sql_conn.c, s_lock_mode). */
        rc = s_plain(b, q, out);
    }
    b->scope = outer;
    b->ctes = keep_ctes;
    b->win = keep_win;
    b->depth--;
    if (rc == 0) {
        /* Whether a reference reached past this query (s_plain sets b->corr from its FROM
         * scope): handed to the SUBPLAN binder in sub_done, which resets it. */
        (*out)->sub_done = b->corr;
    }
    b->corr = keep_corr || false;
    return rc;
}
