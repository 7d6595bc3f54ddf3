/*
 * sql_bind_outer.c — WHERE conjuncts pushed into outer joins (PostgreSQL's reduce_outer_joins
 * and its pushing of quals below a join's nullable side's partner).
 *
 * An outer join is one FROM item, planned (method chosen) when the FROM clause is bound, before
 * WHERE. The conjuncts WHERE puts on that item are then looked at here:
 *   - a conjunct that cannot be true when every column of one side is NULL (a comparison, IS
 *     NOT NULL, ...: "null-rejecting") drops the rows that side's NULL extension makes, so a
 *     LEFT join whose right side it rejects is an inner join, a FULL join a LEFT or RIGHT one;
 *   - a conjunct that reads only a side whose rows the join keeps as they are (the left of a
 *     LEFT or INNER join, the right of a RIGHT or INNER join) is applied to that side's input
 *     instead of the join's output: a scan gets its key spans and index from it, estimates
 *     shrink, and the join has fewer rows to hash or probe. Nested joins take it further down.
 * A hash or nested-loop join is planned again from its keys (its method may change: a lookup
 * join into a table whose other side shrank); a lookup or merge join keeps its method, valid
 * for the narrower type (lookup joins are never RIGHT / FULL, and a type only ever loses a
 * preserved side).
 * Inputs a join reads in a form of its own are left alone: a lookup join's right table (read
 * by key, never scanned) and a merge join's inputs (their index order is the method).
 *
 * Written by hand: the project's own planner (sql_bind_join.c).
 */
#include <assert.h>
#include <string.h>

#include "sql_bind_int.h"

/* Whether x is NULL or false whenever every column in [lo, hi) is NULL (a strict operator or
 * function of such a column, IS NOT NULL of one, AND of anything with one ...). */
static bool s_rejects(const pz_bx_t *x, int lo, int hi)
{
    switch (x->kind) {
    case PZ_BX_COL:
        return x->idx >= lo && x->idx < hi;
    case PZ_BX_FUNC: /* strict: any argument NULL makes it NULL */
    case PZ_BX_AND:
        if (x->kind == PZ_BX_FUNC && (x->fn == NULL || !(x->fn->flags & PZ_FN_STRICT))) {
            return false;
        }
        for (int i = 0; i < x->n_args; i++) {
            if (s_rejects(x->args[i], lo, hi)) {
                return true;
            }
        }
        return false;
    case PZ_BX_OR:
        for (int i = 0; i < x->n_args; i++) {
            if (!s_rejects(x->args[i], lo, hi)) {
                return false;
            }
        }
        return x->n_args > 0;
    case PZ_BX_CAST:
    case PZ_BX_NOT:
    case PZ_BX_IN:
        return x->n_args > 0 && s_rejects(x->args[0], lo, hi);
    case PZ_BX_NULLTEST:
        return x->negated && s_rejects(x->args[0], lo, hi);
    default:
        return false;
    }
}

/* Whether side (0 left, 1 right) of join node j may take a conjunct into its input. */
static bool s_side_open(const pz_pn_t *j, int side)
{
    bool kept = side == 0 ? j->join == PZ_JOIN_INNER || j->join == PZ_JOIN_LEFT
                          : j->join == PZ_JOIN_INNER || j->join == PZ_JOIN_RIGHT;
    bool method = j->kind == PZ_PN_HASHJOIN || j->kind == PZ_PN_NLJOIN ||
                  (j->kind == PZ_PN_LOOKUPJOIN && side == 0);
    return kept && method;
}

/* Narrows the join type by the null-rejecting conjuncts (columns over the item at off). */
static void s_reduce(pz_pn_t *j, pz_bx_t **cj, int n, int off)
{
    int nl = j->left->n_cols, nr = j->right->n_cols;
    for (int i = 0; i < n; i++) {
        bool l = s_rejects(cj[i], off, off + nl), r = s_rejects(cj[i], off + nl, off + nl + nr);
        if (r && (j->join == PZ_JOIN_LEFT || j->join == PZ_JOIN_FULL)) {
            j->join = j->join == PZ_JOIN_LEFT ? PZ_JOIN_INNER : PZ_JOIN_RIGHT;
        }
        if (l && (j->join == PZ_JOIN_RIGHT || j->join == PZ_JOIN_FULL)) {
            j->join = j->join == PZ_JOIN_RIGHT ? PZ_JOIN_INNER : PZ_JOIN_LEFT;
        }
    }
}

/* Moves the conjuncts that read only one open side into it (recursively). */
static int s_push_side(pz_binder_t *b, pz_pn_t *j, int side, pz_bx_t **cj, int *n, int off)
{
    pz_pn_t *child = side == 0 ? j->left : j->right;
    int first = side == 0 ? off : off + j->left->n_cols, m = 0, w = 0;
    pz_bx_t **mine = pz__bind_alloc(b, sizeof *mine * (size_t)(*n + 1));
    if (mine == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < *n; i++) {
        int lo = -1, hi = -1;
        bool sub = false;
        pz__bx_cols(cj[i], &lo, &hi, &sub);
        if (!sub && lo >= first && hi < first + child->n_cols) {
            mine[m++] = cj[i];
        } else {
            cj[w++] = cj[i];
        }
    }
    *n = w;
    if (m == 0) {
        return 0;
    }
    pz_jitem_t it = {.plan = child, .off = first};
    double rows = child->est_rows, cost = child->est_cost;
    int rc = pz__push_outer(b, &it, mine, &m);
    rc = rc ? rc : pz__push_into(b, &it, mine, m);
    if (rc != 0) {
        return rc;
    }
    *(side == 0 ? &j->left : &j->right) = it.plan;
    /* The join's estimates shrink with its input (its method stays). */
    j->est_rows *= rows > 0 ? it.plan->est_rows / rows : 1;
    j->est_rows = j->est_rows < 1 ? 1 : j->est_rows;
    j->est_cost += it.plan->est_cost - cost;
    return 0;
}

int pz__push_outer(pz_binder_t *b, pz_jitem_t *it, pz_bx_t **cj, int *n)
{
    assert(it != NULL && n != NULL);
    pz_pn_t *j = it->plan;
    bool join = j->kind == PZ_PN_HASHJOIN || j->kind == PZ_PN_NLJOIN ||
                j->kind == PZ_PN_LOOKUPJOIN || j->kind == PZ_PN_MERGEJOIN;
    if (!join || *n == 0 || j->join > PZ_JOIN_FULL ||
        j->n_cols != j->left->n_cols + j->right->n_cols) {
        return 0;
    }
    uint8_t type = j->join;
    s_reduce(j, cj, *n, it->off);
    pz_pn_t *l = j->left, *r = j->right;
    for (int side = 0; side < 2; side++) {
        if (s_side_open(j, side)) {
            int rc = s_push_side(b, j, side, cj, n, it->off);
            if (rc != 0) {
                return rc;
            }
        }
    }
    /* A hash or nested-loop join holds the keys and residual it was planned from: with smaller
     * inputs or another type the method is chosen again (a lookup join may win now). */
    bool again = (j->kind == PZ_PN_HASHJOIN || (j->kind == PZ_PN_NLJOIN && j->n_keys == 0)) &&
                 (l != j->left || r != j->right || type != j->join);
    if (again && (it->plan = pz__join_node(b, j->left, j->right, j->join, j->lkeys, j->rkeys,
                                           j->n_keys, j->pred)) == NULL) {
        return PZ_ENOMEM;
    }
    return 0;
}
