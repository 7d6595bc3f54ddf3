/*
 * sql_bind_select.c — binding and planning a query: WITH, FROM (tables, views, subqueries,
 * joins, set-returning functions, WITH references), WHERE with pushdown into scans and hash-join
 * keys, GROUP BY / aggregates / HAVING, the target list, DISTINCT [ON], ORDER BY, LIMIT/OFFSET,
 * VALUES and set operations.
 *
 * The plan stack of a plain SELECT, bottom up:
 *   FROM items joined left-deep (hash join on equalities, else nested loop)
 *   → FILTER (what could not be pushed) → AGG → FILTER (HAVING)
 *   → PROJECT (targets, then hidden ORDER BY columns) → SORT → DISTINCT → LIMIT
 *   → PROJECT dropping the hidden columns.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_bind_int.h"
#include "sql_cost.h"

/* FROM items of one query level, in order, with their column offsets. */
typedef pz_jitem_t s_item_t;

#define S_ITEMS_MAX 64
#define S_VIEW_DEPTH_MAX 32

static int s_from(pz_binder_t *b, const pz_ast_from_t *f, pz_pn_t **plan, pz_scope_t **scope);

/* Concatenates two scopes (a join's output). */
static pz_scope_t *s_scope_cat(pz_binder_t *b, const pz_scope_t *l, const pz_scope_t *r)
{
    pz_scope_t *s = pz__bind_alloc(b, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    s->n = l->n + r->n;
    s->cols = pz__bind_alloc(b, sizeof *s->cols * (size_t)(s->n + 1));
    if (s->cols == NULL) {
        return NULL;
    }
    memcpy(s->cols, l->cols, sizeof *s->cols * (size_t)l->n);
    memcpy(s->cols + l->n, r->cols, sizeof *s->cols * (size_t)r->n);
    return s;
}

static pz_pn_t *s_join_node(pz_binder_t *b, pz_pn_t *l, pz_pn_t *r, uint8_t join)
{
    return pz__join_shell(b, PZ_PN_NLJOIN, l, r, join);
}

/* ---- conjuncts, spans and join keys -----------------------------------------------------------
 */

static int s_conjuncts(pz_binder_t *b, pz_bx_t *x, pz_bx_t ***out, int *n, int *cap)
{
    if (x->kind == PZ_BX_AND) {
        for (int i = 0; i < x->n_args; i++) {
            int rc = s_conjuncts(b, x->args[i], out, n, cap);
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 8;
        pz_bx_t **g = pz__bind_alloc(b, sizeof *g * (size_t)c);
        if (g == NULL) {
            return PZ_ENOMEM;
        }
        if (*n) {
            memcpy(g, *out, sizeof *g * (size_t)*n);
        }
        *out = g;
        *cap = c;
    }
    (*out)[(*n)++] = x;
    return 0;
}

pz_bx_t *pz__bx_and(pz_binder_t *b, pz_bx_t **xs, int n)
{
    if (n == 0) {
        return NULL;
    }
    if (n == 1) {
        return xs[0];
    }
    pz_bx_t *x = pz__bx_new(b, PZ_BX_AND, PZ_SQL_TYPE(PZ_TY_BOOL));
    if (x != NULL) {
        x->args = xs;
        x->n_args = n;
    }
    return x;
}

int pz__push_into(pz_binder_t *b, s_item_t *it, pz_bx_t **cj, int n)
{
    if (n == 0) {
        return 0;
    }
    pz_bx_t **local = pz__bind_alloc(b, sizeof *local * (size_t)n);
    if (local == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        if ((local[i] = pz__bx_shift(b, cj[i], it->off)) == NULL) {
            return PZ_ENOMEM;
        }
    }
    if (it->plan->kind == PZ_PN_SCAN) {
        pz_cost_choose_index(it->plan, local, n);
    }
    pz_pn_t *f = pz__pn_new(b, PZ_PN_FILTER, it->plan->n_cols);
    if (f == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(f->types, it->plan->types, sizeof *f->types * (size_t)f->n_cols);
    memcpy(f->names, it->plan->names, sizeof *f->names * (size_t)f->n_cols);
    f->left = it->plan;
    f->pred = pz__bx_and(b, local, n);
    /* The filter keeps its selectivity of the table's rows; the scan's span read some of
     * them already (the conjuncts it used are in pred too: never below the span's rows). */
    pz_pn_t *scan = it->plan;
    double read = scan->est_rows;
    if (scan->kind == PZ_PN_SCAN) {
        scan->est_rows = scan->table_rows; /* selectivities are of the whole table */
    }
    f->est_rows = scan->est_rows * pz_cost_sel(scan, f->pred);
    scan->est_rows = read;
    f->est_rows = f->est_rows > read ? read : f->est_rows;
    f->est_cost = scan->est_cost + scan->est_rows * PZ_COST_OUT_ROW;
    it->plan = f;
    return 0;
}

/* Joins by cost (sql_bind_join.c) what the conjuncts not pushed into one item connect; those
 * with subqueries or no column at all stay above the joins (*rest). */
static int s_join_ordered(pz_binder_t *b, s_item_t *items, int n_items, pz_bx_t **cj, int n_cj,
                          const bool *used, pz_pn_t **out, pz_bx_t **rest)
{
    pz_bx_t **join = pz__bind_alloc(b, sizeof *join * (size_t)(n_cj + 1));
    pz_bx_t **top = pz__bind_alloc(b, sizeof *top * (size_t)(n_cj + 1));
    if (join == NULL || top == NULL) {
        return PZ_ENOMEM;
    }
    int nj = 0, nt = 0;
    for (int i = 0; i < n_cj; i++) {
        int lo = -1, hi = -1;
        bool sub = false;
        pz__bx_cols(cj[i], &lo, &hi, &sub);
        if (used[i]) {
            continue;
        }
        if (sub || hi < 0) {
            top[nt++] = cj[i];
        } else {
            join[nj++] = cj[i];
        }
    }
    *rest = nt ? pz__bx_and(b, top, nt) : NULL;
    return pz__join_plan(b, items, n_items, join, nj, out);
}

/* Semi / anti joins of decorrelated subqueries (sql_bind_semi.c): with top false, those that
 * read one item join it (its rows shrink before the join order is chosen); with top true, the
 * others join the whole FROM row in *plan. */
static int s_semis(pz_binder_t *b, s_item_t *items, int n_items, pz_semi_t *semis, int n_semi,
                   bool top, pz_pn_t **plan)
{
    int n_from = items[n_items - 1].off + items[n_items - 1].plan->n_cols;
    for (int k = 0; k < n_semi; k++) {
        int it = -1;
        for (int i = 0; i < n_items && semis[k].lo >= 0; i++) {
            it = semis[k].lo >= items[i].off && semis[k].hi < items[i].off + items[i].plan->n_cols
                     ? i
                     : it;
        }
        int rc = 0;
        if (!top && it >= 0) {
            rc = pz__semi_join(b, &semis[k], &items[it].plan, n_from, items[it].off);
        } else if (top && it < 0) {
            rc = pz__semi_join(b, &semis[k], plan, n_from, 0);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Joins the FROM items left-deep, pushing WHERE conjuncts as low as they go. *rest gets what
 * must stay above the joins. */
static int s_join_items(pz_binder_t *b, s_item_t *items, int n_items, pz_bx_t **cj, int n_cj,
                        pz_semi_t *semis, int n_semi, bool fixed, pz_pn_t **out, pz_bx_t **rest)
{
    bool *used = pz__bind_alloc(b, (size_t)n_cj + 1);
    pz_bx_t **tmp = pz__bind_alloc(b, sizeof *tmp * (size_t)(n_cj + 1));
    if (used == NULL || tmp == NULL) {
        return PZ_ENOMEM;
    }
    for (int it = 0; it < n_items; it++) {
        int m = 0;
        for (int i = 0; i < n_cj; i++) {
            int lo = -1, hi = -1;
            bool sub = false;
            pz__bx_cols(cj[i], &lo, &hi, &sub);
            if (!used[i] && !sub && lo >= items[it].off &&
                hi < items[it].off + items[it].plan->n_cols) {
                tmp[m++] = cj[i];
                used[i] = true;
            }
        }
        int rc = pz__push_outer(b, &items[it], tmp, &m);
        rc = rc ? rc : pz__push_into(b, &items[it], tmp, m);
        if (rc != 0) {
            return rc;
        }
    }
    int rc = s_semis(b, items, n_items, semis, n_semi, false, NULL);
    if (rc == 0 && !fixed && n_items >= 2) {
        rc = s_join_ordered(b, items, n_items, cj, n_cj, used, out, rest);
        return rc ? rc : s_semis(b, items, n_items, semis, n_semi, true, out);
    }
    if (rc != 0) {
        return rc;
    }
    pz_pn_t *cur = items[0].plan;
    for (int it = 1; it < n_items; it++) {
        pz_pn_t *j = s_join_node(b, cur, items[it].plan, PZ_JOIN_INNER);
        if (j == NULL) {
            return PZ_ENOMEM;
        }
        int end = items[it].off + items[it].plan->n_cols, m = 0, nk = 0;
        pz_bx_t **lk = pz__bind_alloc(b, sizeof *lk * (size_t)(n_cj + 1));
        pz_bx_t **rk = pz__bind_alloc(b, sizeof *rk * (size_t)(n_cj + 1));
        if (lk == NULL || rk == NULL) {
            return PZ_ENOMEM;
        }
        for (int i = 0; i < n_cj; i++) {
            int lo = -1, hi = -1;
            bool sub = false;
            pz__bx_cols(cj[i], &lo, &hi, &sub);
            if (used[i] || sub || hi >= end || hi < 0) {
                continue;
            }
            used[i] = true;
            const pz_bx_t *x = cj[i];
            bool eq = x->kind == PZ_BX_FUNC && x->fn && (x->fn->flags & PZ_FN_OPERATOR) &&
                      strcmp(x->fn->name, "=") == 0 && x->n_args == 2 && nk < 32;
            int l0 = -1, h0 = -1, l1 = -1, h1 = -1;
            if (eq) {
                pz__bx_cols(x->args[0], &l0, &h0, &sub);
                pz__bx_cols(x->args[1], &l1, &h1, &sub);
            }
            int roff = items[it].off;
            if (eq && l0 >= 0 && l1 >= 0 && h0 < roff && l1 >= roff) {
                lk[nk] = x->args[0];
                rk[nk++] = pz__bx_shift(b, x->args[1], roff);
            } else if (eq && l0 >= 0 && l1 >= 0 && h1 < roff && l0 >= roff) {
                lk[nk] = x->args[1];
                rk[nk++] = pz__bx_shift(b, x->args[0], roff);
            } else {
                tmp[m++] = cj[i];
            }
        }
        if (nk > 0) {
            j->kind = PZ_PN_HASHJOIN;
            j->lkeys = lk;
            j->rkeys = rk;
            j->n_keys = nk;
        }
        if (m > 0) {
            pz_bx_t **p = pz__bind_alloc(b, sizeof *p * (size_t)m);
            if (p == NULL) {
                return PZ_ENOMEM;
            }
            memcpy(p, tmp, sizeof *p * (size_t)m);
            j->pred = pz__bx_and(b, p, m);
        }
        cur = j;
    }
    int m = 0;
    for (int i = 0; i < n_cj; i++) {
        if (!used[i]) {
            tmp[m++] = cj[i];
        }
    }
    *rest = m ? pz__bx_and(b, tmp, m) : NULL;
    *out = cur;
    return s_semis(b, items, n_items, semis, n_semi, true, out);
}

/* ---- FROM items ----------------------------------------------------------------------------- */

static int s_scan(pz_binder_t *b, pz_cat_entry_t *t, const char *alias, pz_pn_t **plan,
                  pz_scope_t **scope)
{
    const pz_cat_desc_t *d = &t->d;
    pz_pn_t *pn = pz__pn_new(b, PZ_PN_SCAN, (int)d->cols_len);
    pz_scope_t *s = pz__bind_alloc(b, sizeof *s);
    if (pn == NULL || s == NULL) {
        return PZ_ENOMEM;
    }
    pn->table = t;
    int rc = pz_cat_stats_get(b->ex->cat, b->ex->kv, d->id, b->ex->arena, &pn->stats, b->ex->err);
    if (rc != 0) {
        return rc;
    }
    pz_cost_scan_init(pn);
    pn->col_ids = pz__bind_alloc(b, sizeof *pn->col_ids * (d->cols_len + 1));
    s->cols = pz__bind_alloc(b, sizeof *s->cols * (d->cols_len + 1));
    if (pn->col_ids == NULL || s->cols == NULL) {
        return PZ_ENOMEM;
    }
    s->n = (int)d->cols_len;
    for (uint32_t i = 0; i < d->cols_len; i++) {
        pn->col_ids[i] = d->cols[i].id;
        pn->types[i] = pz_cat_col_type(&d->cols[i]);
        pn->names[i] = pz__view_cstr(b, d->cols[i].name);
        s->cols[i] = (pz_scol_t){
            .rel = alias, .name = pn->names[i], .type = pn->types[i], .hidden = d->cols[i].hidden};
    }
    *plan = pn;
    *scope = s;
    return 0;
}

/* Renames a FROM item's columns by its alias list. */
static int s_col_aliases(pz_binder_t *b, const pz_ast_from_t *f, pz_pn_t *pn, pz_scope_t *s)
{
    int vis = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->cols[i].hidden) {
            continue;
        }
        if (vis < f->n_col_aliases) {
            s->cols[i].name = f->col_aliases[vis];
            pn->names[i] = f->col_aliases[vis];
        }
        vis++;
    }
    if (f->n_col_aliases > vis) {
        return pz__bind_err(b, f->location, "42P10",
                            "table \"%s\" has %d columns available but %d "
                            "columns specified",
                            f->alias ? f->alias : f->name, vis, f->n_col_aliases);
    }
    return 0;
}

int pz__bind_view(pz_binder_t *b, pz_cat_entry_t *v, int location, pz_pn_t **plan);
int pz__bind_vtab(pz_binder_t *b, const char *schema, const char *name, int location,
                  pz_pn_t **plan);

static int s_from_table(pz_binder_t *b, const pz_ast_from_t *f, pz_pn_t **plan, pz_scope_t **scope)
{
    const char *rel = f->alias ? f->alias : f->name;
    if (f->schema == NULL) {
        for (pz_cte_def_t *c = b->ctes; c != NULL; c = c->next) {
            if (strcmp(c->name, f->name) != 0) {
                continue;
            }
            const pz_pn_t *src = c->plan ? c->plan : c->rec;
            pz_pn_t *pn = pz__pn_new(b, c->plan ? PZ_PN_CTE : PZ_PN_WORKTABLE, src->n_cols);
            if (pn == NULL) {
                return PZ_ENOMEM;
            }
            pn->left = c->plan;
            pn->rec = c->plan ? NULL : c->rec;
            pn->cte_id = c->id;
            memcpy(pn->types, src->types, sizeof *pn->types * (size_t)pn->n_cols);
            for (int i = 0; i < pn->n_cols; i++) {
                pn->names[i] = i < c->n_cols ? c->cols[i] : src->names[i];
            }
            *plan = pn;
            *scope = pz__scope_of(b, pn, rel);
            return *scope ? s_col_aliases(b, f, pn, *scope) : PZ_ENOMEM;
        }
    }
    int rc = pz__bind_vtab(b, f->schema, f->name, f->location, plan);
    if (rc == 0) {
        *scope = pz__scope_of(b, *plan, rel);
        return *scope ? s_col_aliases(b, f, *plan, *scope) : PZ_ENOMEM;
    }
    if (rc != PZ_ENOTFOUND) {
        return rc;
    }
    pz_cat_entry_t *t = NULL;
    if ((rc = pz_bind_relation(b, f->schema, f->name, f->location, &t)) != 0) {
        return rc;
    }
    if (t->d.kind == PZ_CAT_VIEW) {
        if ((rc = pz__bind_view(b, t, f->location, plan)) != 0) {
            return rc;
        }
        *scope = pz__scope_of(b, *plan, rel);
    } else if (t->d.kind == PZ_CAT_TABLE) {
        rc = s_scan(b, t, rel, plan, scope);
    } else {
        return pz__bind_err(b, f->location, "0A000",
                            "reading a sequence as a table is not "
                            "supported yet");
    }
    return rc ? rc : s_col_aliases(b, f, *plan, *scope);
}

static int s_from_func(pz_binder_t *b, const pz_ast_from_t *f, pz_pn_t **plan, pz_scope_t **scope)
{
    const pz_ast_expr_t *e = f->func;
    bool series = strcmp(e->name, "generate_series") == 0;
    bool unnest = strcmp(e->name, "unnest") == 0;
    /* pg_partition_ancestors(rel): with no partitioning, the relation itself (psql's \d). */
    bool ancestors = strcmp(e->name, "pg_partition_ancestors") == 0 && e->n_args == 1;
    if (ancestors) {
        series = false;
    } else if ((!series && !unnest) || (series && (e->n_args < 2 || e->n_args > 3)) ||
               (unnest && e->n_args != 1)) {
        return pz__bind_err(b, f->location, "0A000", "function %s in FROM is not supported yet",
                            e->name);
    }
    pz_pn_t *pn = pz__pn_new(b, PZ_PN_FUNCSCAN, f->ordinality ? 2 : 1);
    if (pn == NULL) {
        return PZ_ENOMEM;
    }
    pz_scope_t *keep = b->scope;
    /* No LATERAL: the arguments see no column of this FROM clause, but an enclosing query's
     * (a correlated subquery's generate_series(1, outer.n)): one empty level stands for this
     * query, so those references count as outer ones. */
    pz_scope_t here = {.outer = keep};
    b->scope = &here;
    int rc = 0;
    pz_sql_type_t t = PZ_SQL_TYPE(PZ_TY_INT4);
    for (int i = 0; i < e->n_args && rc == 0; i++) {
        rc = pz__bind_expr(b, e->args[i], &pn->func_args[i]);
        if (rc == 0 && series && pn->func_args[i]->type.id == PZ_TY_INT8) {
            t = PZ_SQL_TYPE(PZ_TY_INT8);
        }
    }
    b->scope = keep;
    b->corr |= here.correlated;
    for (int i = 0; series && rc == 0 && i < e->n_args; i++) {
        rc = pz_bind_coerce(b, pn->func_args[i], t, PZ_CAST_IMPLICIT, NULL, &pn->func_args[i]);
    }
    if (rc == 0 && ancestors) {
        t = PZ_SQL_TYPE(PZ_TY_REGCLASS);
        rc = pz_bind_coerce(b, pn->func_args[0], t, PZ_CAST_IMPLICIT, NULL, &pn->func_args[0]);
    }
    if (rc != 0) {
        return rc;
    }
    if (unnest) {
        if (pn->func_args[0]->type.id != PZ_TY_ARRAY) {
            return pz__bind_err(b, f->location, "42883", "function unnest(%s) does not exist",
                                pz_ty_name(pn->func_args[0]->type.id));
        }
        t = PZ_SQL_TYPE(pn->func_args[0]->type.elem);
    }
    pn->n_func_args = e->n_args;
    pn->func = unnest ? 1 : ancestors ? 2 : 0;
    pn->types[0] = t;
    pn->names[0] = ancestors && !f->alias ? "relid" : f->alias ? f->alias : e->name;
    if (f->ordinality) { /* the row's number, as PostgreSQL names it */
        pn->types[1] = PZ_SQL_TYPE(PZ_TY_INT8);
        pn->names[1] = "ordinality";
    }
    *plan = pn;
    *scope = pz__scope_of(b, pn, f->alias ? f->alias : e->name);
    return *scope ? s_col_aliases(b, f, pn, *scope) : PZ_ENOMEM;
}

/* USING / NATURAL: the equality of the named columns on both sides. */
static int s_using(pz_binder_t *b, const pz_ast_from_t *f, pz_scope_t *ls, pz_scope_t *rs,
                   pz_bx_t **pred)
{
    const char *names[PZ_CAT_COLS_MAX];
    int n = 0;
    if (f->natural) {
        for (int i = 0; i < ls->n && n < PZ_CAT_COLS_MAX; i++) {
            for (int j = 0; j < rs->n; j++) {
                if (!ls->cols[i].hidden && strcmp(ls->cols[i].name, rs->cols[j].name) == 0) {
                    names[n++] = ls->cols[i].name;
                    break;
                }
            }
        }
    } else {
        for (int i = 0; i < f->n_using && n < PZ_CAT_COLS_MAX; i++) {
            names[n++] = f->using_cols[i];
        }
    }
    pz_bx_t **eqs = pz__bind_alloc(b, sizeof *eqs * (size_t)(n + 1));
    if (eqs == NULL) {
        return PZ_ENOMEM;
    }
    for (int k = 0; k < n; k++) {
        int li = -1, ri = -1;
        for (int i = 0; i < ls->n; i++) {
            li = strcmp(ls->cols[i].name, names[k]) == 0 ? i : li;
        }
        for (int j = 0; j < rs->n; j++) {
            ri = strcmp(rs->cols[j].name, names[k]) == 0 ? j : ri;
        }
        if (li < 0 || ri < 0) {
            return pz__bind_err(b, f->location, "42703",
                                "column \"%s\" specified in USING clause "
                                "does not exist in %s table",
                                names[k], li < 0 ? "left" : "right");
        }
        pz_bx_t *a = pz__bx_new(b, PZ_BX_COL, ls->cols[li].type);
        pz_bx_t *c = pz__bx_new(b, PZ_BX_COL, rs->cols[ri].type);
        if (a == NULL || c == NULL) {
            return PZ_ENOMEM;
        }
        a->idx = li;
        c->idx = ls->n + ri;
        pz_sql_type_t argt[2] = {a->type, c->type}, cast_to[2], ret;
        const pz_sql_fndef_t *def;
        int rc = pz_sql_fn_resolve("=", true, 2, argt, &def, cast_to, &ret, b->ex->err);
        pz_bx_t *x = rc ? NULL : pz__bx_new(b, PZ_BX_FUNC, ret);
        if (x == NULL || (x->args = pz__bind_alloc(b, sizeof *x->args * 2)) == NULL) {
            return rc ? rc : PZ_ENOMEM;
        }
        rc = pz_bind_coerce(b, a, cast_to[0], PZ_CAST_IMPLICIT, NULL, &x->args[0]);
        rc = rc ? rc : pz_bind_coerce(b, c, cast_to[1], PZ_CAST_IMPLICIT, NULL, &x->args[1]);
        if (rc != 0) {
            return rc;
        }
        x->n_args = 2;
        x->fn = def;
        eqs[k] = x;
    }
    *pred = pz__bx_and(b, eqs, n);
    return 0;
}

/* Whether a column name is one the join merges (USING list, or common to both for NATURAL). */
static bool s_using_has(const pz_ast_from_t *f, const pz_scope_t *ls, const pz_scope_t *rs,
                        const char *name)
{
    if (!f->natural) {
        for (int i = 0; i < f->n_using; i++) {
            if (strcmp(f->using_cols[i], name) == 0) {
                return true;
            }
        }
        return false;
    }
    bool l = false, r = false;
    for (int i = 0; i < ls->n; i++) {
        l |= !ls->cols[i].hidden && strcmp(ls->cols[i].name, name) == 0;
    }
    for (int i = 0; i < rs->n; i++) {
        r |= !rs->cols[i].hidden && strcmp(rs->cols[i].name, name) == 0;
    }
    return l && r;
}

static int s_from_join(pz_binder_t *b, const pz_ast_from_t *f, pz_pn_t **plan, pz_scope_t **scope)
{
    pz_pn_t *l, *r;
    pz_scope_t *ls, *rs;
    int rc = s_from(b, f->larg, &l, &ls);
    rc = rc ? rc : s_from(b, f->rarg, &r, &rs);
    if (rc != 0) {
        return rc;
    }
    pz_pn_t *j = s_join_node(b, l, r, f->join == PZ_JOIN_CROSS ? PZ_JOIN_INNER : f->join);
    pz_scope_t *s = s_scope_cat(b, ls, rs);
    if (j == NULL || s == NULL) {
        return PZ_ENOMEM;
    }
    pz_bx_t *pred = NULL;
    if (f->natural || f->n_using > 0) {
        rc = s_using(b, f, ls, rs, &pred);
        /* One column per USING name, as PostgreSQL shows it: the left side's (the right
         * side's for a RIGHT join, whose left values can be NULL); the other copy is reachable
         * qualified only. A FULL join would need COALESCE of both: both stay visible. */
        for (int i = 0; rc == 0 && f->join != PZ_JOIN_FULL && i < s->n; i++) {
            bool left = i < ls->n;
            if (left != (f->join == PZ_JOIN_RIGHT) || !s_using_has(f, ls, rs, s->cols[i].name)) {
                continue;
            }
            s->cols[i].hidden = true;
            s->cols[i].using_dup = true;
        }
    } else if (f->on != NULL) {
        pz_scope_t *keep = b->scope;
        s->outer = keep;
        b->scope = s;
        rc = pz__bind_pred(b, f->on, "JOIN/ON", &pred);
        b->scope = keep;
    }
    if (rc != 0) {
        return rc;
    }
    /* Equalities between the sides make it a hash join. */
    pz_bx_t **cj = NULL, **rest = NULL, **lk = NULL, **rk = NULL;
    int n = 0, cap = 0, nr = 0, nk = 0;
    if (pred != NULL && (rc = s_conjuncts(b, pred, &cj, &n, &cap)) != 0) {
        return rc;
    }
    rest = pz__bind_alloc(b, sizeof *rest * (size_t)(n + 1));
    lk = pz__bind_alloc(b, sizeof *lk * (size_t)(n + 1));
    rk = pz__bind_alloc(b, sizeof *rk * (size_t)(n + 1));
    if (rest == NULL || lk == NULL || rk == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        const pz_bx_t *x = cj[i];
        int l0 = -1, h0 = -1, l1 = -1, h1 = -1;
        bool sub = false;
        bool eq = x->kind == PZ_BX_FUNC && x->fn && (x->fn->flags & PZ_FN_OPERATOR) &&
                  strcmp(x->fn->name, "=") == 0 && x->n_args == 2 && nk < 32;
        if (eq) {
            pz__bx_cols(x->args[0], &l0, &h0, &sub);
            pz__bx_cols(x->args[1], &l1, &h1, &sub);
        }
        if (eq && !sub && l0 >= 0 && l1 >= 0 && h0 < ls->n && l1 >= ls->n) {
            lk[nk] = x->args[0];
            rk[nk++] = pz__bx_shift(b, x->args[1], ls->n);
        } else if (eq && !sub && l0 >= 0 && l1 >= 0 && h1 < ls->n && l0 >= ls->n) {
            lk[nk] = x->args[1];
            rk[nk++] = pz__bx_shift(b, x->args[0], ls->n);
        } else {
            rest[nr++] = cj[i];
        }
    }
    /* The method by cost: lookup, merge, hash or nested loop (sql_bind_join.c). */
    j = pz__join_node(b, l, r, j->join, lk, rk, nk, pz__bx_and(b, rest, nr));
    if (j == NULL) {
        return PZ_ENOMEM;
    }
    *plan = j;
    *scope = s;
    return 0;
}

int pz__bind_from_item(pz_binder_t *b, const pz_ast_from_t *f, pz_pn_t **plan, pz_scope_t **scope)
{
    return s_from(b, f, plan, scope);
}

static int s_from(pz_binder_t *b, const pz_ast_from_t *f, pz_pn_t **plan, pz_scope_t **scope)
{
    switch (f->kind) {
    case PZ_FROM_TABLE:
        return s_from_table(b, f, plan, scope);
    case PZ_FROM_SUBQUERY: {
        if (f->lateral) {
            return pz__bind_err(b, f->location, "0A000", "LATERAL is not supported yet");
        }
        pz_scope_t *keep = b->scope;
        b->scope = NULL;
        int rc = pz__bind_select(b, f->subquery, plan);
        b->scope = keep;
        if (rc != 0) {
            return rc;
        }
        *scope = pz__scope_of(b, *plan, f->alias);
        return *scope ? s_col_aliases(b, f, *plan, *scope) : PZ_ENOMEM;
    }
    case PZ_FROM_JOIN:
        return s_from_join(b, f, plan, scope);
    case PZ_FROM_FUNC:
        return s_from_func(b, f, plan, scope);
    }
    return pz__bind_err(b, f->location, "0A000", "this FROM item is not supported");
}

/* INNER / CROSS JOIN trees (without USING, NATURAL or an alias) are flattened into the FROM
 * list so their items can be reordered; each ON clause is bound over the slice of the FROM row
 * its join covered, exactly the scope the join would have given it. */
typedef struct {
    const pz_ast_expr_t *on;
    int first, end; /* leaves [first, end) */
} s_on_t;

static bool s_flattens(const pz_ast_from_t *f, bool fixed)
{
    return !fixed && f->kind == PZ_FROM_JOIN &&
           (f->join == PZ_JOIN_INNER || f->join == PZ_JOIN_CROSS) && !f->natural &&
           f->n_using == 0 && f->alias == NULL;
}

static int s_flatten(pz_binder_t *b, const pz_ast_from_t *f, bool fixed,
                     const pz_ast_from_t **leaves, int *nl, s_on_t *ons, int *non)
{
    if (!s_flattens(f, fixed)) {
        if (*nl >= S_ITEMS_MAX) {
            return pz__bind_err(b, f->location, "54000", "too many FROM items");
        }
        leaves[(*nl)++] = f;
        return 0;
    }
    int first = *nl;
    int rc = s_flatten(b, f->larg, fixed, leaves, nl, ons, non);
    rc = rc ? rc : s_flatten(b, f->rarg, fixed, leaves, nl, ons, non);
    if (rc == 0 && f->on != NULL) {
        ons[(*non)++] = (s_on_t){.on = f->on, .first = first, .end = *nl};
    }
    return rc;
}

/* Binds the flattened joins' ON clauses into conjuncts over the FROM row. */
static int s_bind_ons(pz_binder_t *b, const s_item_t *items, const pz_scope_t *all,
                      const s_on_t *ons, int non, pz_bx_t ***cj, int *n, int *cap)
{
    for (int i = 0; i < non; i++) {
        int off = items[ons[i].first].off;
        const s_item_t *last = &items[ons[i].end - 1];
        pz_scope_t slice = {
            .cols = all->cols + off, .n = last->off + last->plan->n_cols - off, .outer = b->scope};
        pz_scope_t *keep = b->scope;
        b->scope = &slice;
        pz_bx_t *pred = NULL;
        int rc = pz__bind_pred(b, ons[i].on, "JOIN/ON", &pred);
        b->scope = keep;
        b->corr |= slice.correlated;
        pz_bx_t *x = rc ? NULL : pz__bx_shift(b, pred, -off);
        if (rc != 0 || x == NULL) {
            return rc ? rc : PZ_ENOMEM;
        }
        if ((rc = s_conjuncts(b, x, cj, n, cap)) != 0) {
            return rc;
        }
    }
    return 0;
}

/* The FROM clause and WHERE: the joined plan, its scope and what WHERE left over. */
int pz__bind_from_where(pz_binder_t *b, pz_ast_from_t *const *from, int n_from,
                        const pz_ast_expr_t *where, pz_pn_t **plan, pz_scope_t **scope)
{
    if (n_from > S_ITEMS_MAX) {
        return pz__bind_err(b, from[0]->location, "54000", "too many FROM items");
    }
    s_item_t items[S_ITEMS_MAX];
    const pz_ast_from_t *leaves[S_ITEMS_MAX];
    s_on_t ons[S_ITEMS_MAX];
    int non = 0, nl = 0;
    pz_scope_t *s = NULL;
    bool fixed = b->fixed_order;
    b->fixed_order = false; /* for this level only, not the subqueries bound below */
    for (int i = 0; i < n_from; i++) {
        int rc = s_flatten(b, from[i], fixed, leaves, &nl, ons, &non);
        if (rc != 0) {
            return rc;
        }
    }
    n_from = nl;
    int off = 0;
    for (int i = 0; i < n_from; i++) {
        int rc = s_from(b, leaves[i], &items[i].plan, &items[i].scope);
        if (rc != 0) {
            return rc;
        }
        items[i].off = off;
        off += items[i].plan->n_cols;
        s = s ? s_scope_cat(b, s, items[i].scope) : items[i].scope;
        if (s == NULL) {
            return PZ_ENOMEM;
        }
    }
    if (n_from == 0) {
        pz_pn_t *one = pz__pn_new(b, PZ_PN_VALUES, 0);
        s = pz__bind_alloc(b, sizeof *s);
        if (one == NULL || s == NULL ||
            (one->rows = pz__bind_alloc(b, sizeof *one->rows)) == NULL) {
            return PZ_ENOMEM;
        }
        one->n_rows = 1;
        items[0] = (s_item_t){.plan = one, .scope = s};
        n_from = 1;
    }
    s->outer = b->scope;
    pz_bx_t *pred = NULL, **cj = NULL;
    int n = 0, cap = 0;
    int rc0 = s_bind_ons(b, items, s, ons, non, &cj, &n, &cap);
    if (rc0 != 0) {
        return rc0;
    }
    if (where != NULL) {
        pz_scope_t *keep = b->scope;
        b->scope = s;
        int rc = pz__bind_pred(b, where, "WHERE", &pred);
        b->scope = keep;
        rc = rc ? rc : s_conjuncts(b, pred, &cj, &n, &cap);
        if (rc != 0) {
            return rc;
        }
    }
    /* Simple EXISTS / IN subqueries become semi / anti joins (not for UPDATE / DELETE, whose
     * target scan must stream first, row by row). */
    pz_semi_t *semis = NULL;
    int n_semi = 0;
    if (!fixed) {
        int rc = pz__semi_extract(b, where, s, items, n_from, cj, &n, &semis, &n_semi);
        if (rc != 0) {
            return rc;
        }
    }
    pz_bx_t *rest = NULL;
    int rc = s_join_items(b, items, n_from, cj, n, semis, n_semi, fixed, plan, &rest);
    if (rc == 0 && rest != NULL) {
        pz_pn_t *f = pz__pn_new(b, PZ_PN_FILTER, (*plan)->n_cols);
        if (f == NULL) {
            return PZ_ENOMEM;
        }
        memcpy(f->types, (*plan)->types, sizeof *f->types * (size_t)f->n_cols);
        memcpy(f->names, (*plan)->names, sizeof *f->names * (size_t)f->n_cols);
        f->left = *plan;
        f->pred = rest;
        *plan = f;
    }
    *scope = s;
    return rc;
}
