/*
 * sql_cost.c — cardinality and cost estimates, and the choice of a scan's index by cost (see
 * sql_cost.h for the units and the defaults used without statistics).
 *
 * Estimates follow PostgreSQL's textbook rules: an equality keeps (1 - null_frac) / ndv of the
 * rows, an inequality a third, conjuncts multiply (independence), a join on col_l = col_r
 * yields |L|·|R| / max(ndv_l, ndv_r). The index of a scan is the cheapest of a full scan of
 * the primary index and every index whose leading columns the conjuncts constrain: the rows
 * its span reads, a KV batch per span, and for a secondary index a second read of each row.
 */
#include <assert.h>
#include <string.h>

#include "sql_bind_int.h"
#include "sql_cost.h"

static double s_max(double a, double b)
{
    return a > b ? a : b;
}

static double s_clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

double pz_cost_eq_sel(double ndv, double null_frac)
{
    return s_clamp01((1.0 - s_clamp01(null_frac)) / s_max(ndv, 1.0));
}

double pz_cost_join_rows(double l_rows, double r_rows, double ndv_l, double ndv_r)
{
    return l_rows * r_rows / s_max(s_max(ndv_l, ndv_r), 1.0);
}

double pz_cost_semi_rows(double l_rows, double ndv_l, double ndv_r, bool anti)
{
    double keep = ndv_r >= ndv_l ? 1.0 : ndv_r / s_max(ndv_l, 1.0);
    return l_rows * (anti ? 1.0 - keep : keep);
}

double pz_cost_or_sel(double a, double b)
{
    return s_clamp01(a + b - a * b);
}

double pz_cost_index_read(double rows, double spans, bool secondary)
{
    double c = rows + s_max(spans, 1.0) * PZ_COST_KV_BATCH;
    if (secondary) {
        c += rows * PZ_COST_LOOKUP_ROW + PZ_COST_KV_BATCH; /* the rows, by primary key */
    }
    return c;
}

void pz_cost_scan_init(pz_pn_t *scan)
{
    assert(scan->kind == PZ_PN_SCAN);
    double rows = scan->stats != NULL ? (double)scan->stats->rows : PZ_COST_DEFAULT_ROWS;
    scan->table_rows = rows;
    scan->est_rows = rows;
    scan->est_cost = pz_cost_index_read(rows, 1 + rows / 10000, false);
}

bool pz_cost_col_origin(const pz_pn_t *pn, int col, const pz_pn_t **scan, int *tc)
{
    while (pn != NULL && col >= 0 && col < pn->n_cols) {
        switch (pn->kind) {
        case PZ_PN_SCAN:
            *scan = pn;
            *tc = col; /* a scan's output is the table's columns in order */
            return true;
        case PZ_PN_FILTER:
        case PZ_PN_LIMIT:
        case PZ_PN_SORT:
            pn = pn->left;
            break;
        case PZ_PN_PROJECT:
            if (pn->has_srf || pn->exprs[col]->kind != PZ_BX_COL) {
                return false;
            }
            col = pn->exprs[col]->idx;
            pn = pn->left;
            break;
        case PZ_PN_NLJOIN:
        case PZ_PN_HASHJOIN:
        case PZ_PN_LOOKUPJOIN:
        case PZ_PN_MERGEJOIN:
            if (col >= pn->left->n_cols) {
                col -= pn->left->n_cols;
                pn = pn->right;
            } else {
                pn = pn->left;
            }
            break;
        default:
            return false;
        }
    }
    return false;
}

static const pz_cat_colstat_t *s_colstat(const pz_pn_t *scan, int tc)
{
    const pz_cat_stats_t *st = scan->stats;
    uint32_t id = scan->col_ids[tc];
    for (uint32_t i = 0; st != NULL && i < st->cols_len; i++) {
        if (st->cols[i].col == id) {
            return &st->cols[i];
        }
    }
    return NULL;
}

double pz_cost_ndv(const pz_pn_t *pn, int col)
{
    const pz_pn_t *scan = NULL;
    int tc = -1;
    double ndv = PZ_COST_DEFAULT_NDV;
    if (pz_cost_col_origin(pn, col, &scan, &tc)) {
        const pz_cat_colstat_t *cs = s_colstat(scan, tc);
        const pz_cat_desc_t *d = &scan->table->d;
        pz_cat_icol_t one = {.col = scan->col_ids[tc]};
        if (cs != NULL) {
            ndv = (double)cs->distinct;
        } else if (pz_cat_unique_on(d, &one, 1) != NULL) {
            ndv = scan->table_rows; /* a single-column key: every row its own value */
        } else if (scan->table_rows < ndv) {
            ndv = scan->table_rows;
        }
    }
    ndv = ndv > pn->est_rows ? pn->est_rows : ndv;
    return s_max(ndv, 1.0);
}

double pz_cost_null_frac(const pz_pn_t *pn, int col)
{
    const pz_pn_t *scan = NULL;
    int tc = -1;
    if (!pz_cost_col_origin(pn, col, &scan, &tc)) {
        return 0;
    }
    const pz_cat_colstat_t *cs = s_colstat(scan, tc);
    if (cs == NULL || scan->stats->rows == 0) {
        return 0;
    }
    return s_clamp01((double)cs->nulls / (double)scan->stats->rows);
}

/* The column a (possibly cast) expression reads, or -1. */
static int s_col_of(const pz_bx_t *x)
{
    while (x->kind == PZ_BX_CAST && x->n_args == 1) {
        x = x->args[0];
    }
    return x->kind == PZ_BX_COL ? x->idx : -1;
}

static double s_op_sel(const pz_pn_t *pn, const pz_bx_t *x)
{
    const char *op = x->fn->name;
    int c0 = s_col_of(x->args[0]), c1 = s_col_of(x->args[1]);
    bool k0 = pz__bx_is_const(x->args[0]), k1 = pz__bx_is_const(x->args[1]);
    int col = c0 >= 0 && k1 ? c0 : c1 >= 0 && k0 ? c1 : -1;
    if (strcmp(op, "=") == 0 || strcmp(op, "<>") == 0) {
        double s;
        if (col >= 0) {
            s = pz_cost_eq_sel(pz_cost_ndv(pn, col), pz_cost_null_frac(pn, col));
        } else if (c0 >= 0 && c1 >= 0) {
            s = 1.0 / s_max(pz_cost_ndv(pn, c0), pz_cost_ndv(pn, c1));
        } else {
            s = PZ_COST_DEFAULT_EQ_SEL;
        }
        return op[0] == '=' ? s : 1.0 - s;
    }
    if (strchr("<>", op[0]) != NULL) {
        return PZ_COST_DEFAULT_INEQ_SEL;
    }
    return PZ_COST_DEFAULT_INEQ_SEL;
}

double pz_cost_sel(const pz_pn_t *pn, const pz_bx_t *x)
{
    switch (x->kind) {
    case PZ_BX_AND: {
        double s = 1;
        for (int i = 0; i < x->n_args; i++) {
            s *= pz_cost_sel(pn, x->args[i]);
        }
        return s;
    }
    case PZ_BX_OR: {
        double s = 0;
        for (int i = 0; i < x->n_args; i++) {
            s = pz_cost_or_sel(s, pz_cost_sel(pn, x->args[i]));
        }
        return s;
    }
    case PZ_BX_NOT:
        return x->n_args == 1 ? 1.0 - pz_cost_sel(pn, x->args[0]) : 0.5;
    case PZ_BX_FUNC:
        if (x->fn != NULL && (x->fn->flags & PZ_FN_OPERATOR) && x->n_args == 2) {
            return s_clamp01(s_op_sel(pn, x));
        }
        break;
    case PZ_BX_IN: {
        int col = s_col_of(x->args[0]);
        double e = col >= 0 ? pz_cost_eq_sel(pz_cost_ndv(pn, col), pz_cost_null_frac(pn, col))
                            : PZ_COST_DEFAULT_EQ_SEL;
        double s = s_clamp01(e * (x->n_args - 1));
        return x->negated ? 1.0 - s : s;
    }
    case PZ_BX_NULLTEST: {
        int col = x->n_args == 1 ? s_col_of(x->args[0]) : -1;
        double nf = col >= 0 ? pz_cost_null_frac(pn, col) : PZ_COST_DEFAULT_EQ_SEL;
        return x->negated ? 1.0 - nf : nf;
    }
    default:
        break;
    }
    return PZ_COST_DEFAULT_INEQ_SEL;
}

/* ---- index choice ------------------------------------------------------------------------- */

static const char *s_flip(const char *op)
{
    if (strcmp(op, "<") == 0) {
        return ">";
    }
    if (strcmp(op, ">") == 0) {
        return "<";
    }
    if (strcmp(op, "<=") == 0) {
        return ">=";
    }
    if (strcmp(op, ">=") == 0) {
        return "<=";
    }
    return op;
}

/* `col op const` (either side): the column, the operator as if the column were on the left,
 * and the constant side. */
static bool s_col_cmp(const pz_bx_t *x, int *col, const char **op, pz_bx_t **val)
{
    if (x->kind != PZ_BX_FUNC || x->n_args != 2 || x->fn == NULL ||
        !(x->fn->flags & PZ_FN_OPERATOR)) {
        return false;
    }
    const char *o = x->fn->name;
    if (strcmp(o, "=") && strcmp(o, "<") && strcmp(o, ">") && strcmp(o, "<=") && strcmp(o, ">=")) {
        return false;
    }
    for (int side = 0; side < 2; side++) {
        const pz_bx_t *c = x->args[side], *v = x->args[1 - side];
        if (c->kind == PZ_BX_COL && pz__bx_is_const(v)) {
            *col = c->idx;
            *op = side == 0 ? o : s_flip(o);
            *val = (pz_bx_t *)v;
            return true;
        }
    }
    return false;
}

/* Fills a span for index ix from the scan's conjuncts; returns 0 when nothing constrains the
 * index (else a positive number). */
static int s_span_for(const pz_cat_desc_t *d, const pz_cat_index_t *ix, pz_bx_t **cj, int n,
                      pz_span_t *sp)
{
    memset(sp, 0, sizeof *sp);
    uint32_t k = 0;
    for (; k < ix->cols_len; k++) {
        int tc = pz_cat_col_index(d, ix->cols[k].col);
        pz_bx_t *eq = NULL;
        for (int i = 0; i < n && eq == NULL; i++) {
            int c;
            const char *op;
            pz_bx_t *v;
            if (s_col_cmp(cj[i], &c, &op, &v) && c == tc && strcmp(op, "=") == 0) {
                eq = v;
            }
        }
        if (eq == NULL) {
            break;
        }
        sp->eq[sp->n_eq++] = eq;
    }
    if (k == 0) {
        /* col IN (constants) on the first column: point spans. */
        int tc = pz_cat_col_index(d, ix->cols[0].col);
        for (int i = 0; i < n; i++) {
            const pz_bx_t *x = cj[i];
            bool consts = x->kind == PZ_BX_IN && !x->negated && x->args[0]->kind == PZ_BX_COL &&
                          x->args[0]->idx == tc;
            for (int a = 1; consts && a < x->n_args; a++) {
                consts = pz__bx_is_const(x->args[a]);
            }
            if (consts) {
                sp->in_list = x->args + 1;
                sp->n_in = x->n_args - 1;
                return 1;
            }
        }
    }
    if (k < ix->cols_len && !ix->cols[k].desc) {
        int tc = pz_cat_col_index(d, ix->cols[k].col);
        for (int i = 0; i < n; i++) {
            int c;
            const char *op;
            pz_bx_t *v;
            if (!s_col_cmp(cj[i], &c, &op, &v) || c != tc) {
                continue;
            }
            if (op[0] == '>' && sp->lo == NULL) {
                sp->lo = v;
                sp->lo_incl = op[1] == '=';
            } else if (op[0] == '<' && sp->hi == NULL) {
                sp->hi = v;
                sp->hi_incl = op[1] == '=';
            }
        }
    }
    return sp->n_eq * 10 + (sp->lo || sp->hi ? 5 : 0);
}

/* The rows a span of index ix reads out of `rows` (through the scan's statistics). */
static double s_span_rows(const pz_pn_t *scan, const pz_cat_index_t *ix, const pz_span_t *sp,
                          double rows)
{
    const pz_cat_desc_t *d = &scan->table->d;
    if (sp->n_in > 0) {
        int tc = pz_cat_col_index(d, ix->cols[0].col);
        double e = pz_cost_eq_sel(pz_cost_ndv(scan, tc), pz_cost_null_frac(scan, tc));
        return s_max(rows * s_clamp01(e * sp->n_in), sp->n_in < rows ? sp->n_in : rows);
    }
    if (ix->unique && sp->n_eq == (int)ix->cols_len) {
        return 1; /* a unique point */
    }
    double s = 1;
    for (int k = 0; k < sp->n_eq; k++) {
        int tc = pz_cat_col_index(d, ix->cols[k].col);
        s *= pz_cost_eq_sel(pz_cost_ndv(scan, tc), pz_cost_null_frac(scan, tc));
    }
    if (sp->lo != NULL) {
        s *= PZ_COST_DEFAULT_INEQ_SEL;
    }
    if (sp->hi != NULL) {
        s *= PZ_COST_DEFAULT_INEQ_SEL;
    }
    return s_max(rows * s, 1.0);
}

void pz_cost_choose_index(pz_pn_t *scan, pz_bx_t **cj, int n)
{
    const pz_cat_desc_t *d = &scan->table->d;
    double rows = scan->table_rows;
    /* The full scan of the primary index is the baseline every span must beat. */
    double best_cost = pz_cost_index_read(rows, 1 + rows / 10000, false), best_rows = rows;
    const pz_cat_index_t *best_ix = NULL;
    pz_span_t best, sp;
    bool have = false;
    for (uint32_t i = 0; i < d->indexes_len; i++) {
        if (s_span_for(d, &d->indexes[i], cj, n, &sp) == 0) {
            continue;
        }
        double r = s_span_rows(scan, &d->indexes[i], &sp, rows);
        double c = pz_cost_index_read(r, sp.n_in > 0 ? sp.n_in : 1, i > 0);
        if (d->indexes[i].unique && sp.n_in == 0 && sp.n_eq == (int)d->indexes[i].cols_len) {
            /* A unique point always wins, whatever the (possibly stale) row count says: it
             * reads at most one row. The primary key's before a secondary one's. */
            c = i == 0 ? 0 : 1;
        }
        /* Strictly cheaper: on a tie the earlier index (the primary one) stays. */
        if (c < best_cost) {
            best_cost = c;
            best_rows = r;
            best = sp;
            best_ix = i == 0 ? NULL : &d->indexes[i];
            have = true;
        }
    }
    if (have) {
        scan->has_span = true;
        scan->span = best;
        scan->index = best_ix;
    }
    scan->est_rows = best_rows;
    scan->est_cost = best_cost;
}
