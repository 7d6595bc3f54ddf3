/*
 * sql_exec.c — the plan nodes that stream or buffer rows: VALUES, FILTER, PROJECT, nested-loop
 * and hash joins, LIMIT, DISTINCT, sort, set operations; and the open/next/close dispatch.
 * (SCAN is sql_scan.c; aggregation and windows sql_agg.c; DML sql_dml.c.)
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sql_exec.h"
#include "sql_stats.h"

int pz_scan_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_scan_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
void pz_scan_close(pz_ex_t *ex, pz_pn_t *pn);
int pz_agg_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_agg_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
void pz_agg_close(pz_ex_t *ex, pz_pn_t *pn);
void pz_dml_close(pz_ex_t *ex, pz_pn_t *pn);
int pz_window_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_window_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
int pz_dml_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_dml_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
int pz_vtab_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_funcscan_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_recursive_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_recursive_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
int pz_worktable_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_join_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_join_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
void pz_join_close(pz_ex_t *ex, pz_pn_t *pn);
int pz_sort_open(pz_ex_t *ex, pz_pn_t *pn, int64_t bound);
int pz_sort_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
void pz_sort_close(pz_ex_t *ex, pz_pn_t *pn);
int pz_hashjoin_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_hashjoin_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
void pz_hashjoin_close(pz_ex_t *ex, pz_pn_t *pn);
int pz_hashset_open(pz_ex_t *ex, pz_pn_t *pn);
int pz_hashset_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
void pz_hashset_close(pz_ex_t *ex, pz_pn_t *pn);

/* ---- VALUES, FILTER, PROJECT -------------------------------------------------------------- */

typedef struct {
    int pos;
    pz_datum_t *row;
    /* buffered rows (sort, set operations, CTE reads, nested-loop right side) */
    pz_datum_t **rows;
    uint64_t n_rows, cap_rows, rpos;
    pz_datum_t **srf_items; /* ProjectSet: each set-returning column's elements and count */
    int64_t *srf_n;
    pz_datum_t *left_row; /* joins: the current left row */
    bool left_matched;
    pz_datum_t *out;
    int64_t limit, offset, seen;
    bool right_done;
    uint8_t *right_matched; /* FULL/RIGHT joins: right rows that matched */
    int phase;
    uint64_t hpos_b;
    pz_hent_t *hpos_e;
} s_st_t;

static int s_push_row(pz_ex_t *ex, s_st_t *st, const pz_datum_t *row, int n)
{
    if (st->n_rows == st->cap_rows) {
        uint64_t cap = st->cap_rows ? st->cap_rows * 2 : 64;
        pz_datum_t **r = pz_ex_alloc(ex, sizeof *r * cap);
        if (r == NULL) {
            return PZ_ENOMEM;
        }
        if (st->n_rows) {
            memcpy(r, st->rows, sizeof *r * st->n_rows);
        }
        st->rows = r;
        st->cap_rows = cap;
    }
    st->rows[st->n_rows] = pz_ex_keep_row(ex, row, n);
    return st->rows[st->n_rows++] ? 0 : PZ_ENOMEM;
}

static int s_values_next(pz_ex_t *ex, pz_pn_t *pn, s_st_t *st, pz_datum_t **row)
{
    if (st->pos >= pn->n_rows) {
        return 0;
    }
    pz_bx_t **r = pn->rows[st->pos++];
    for (int i = 0; i < pn->n_cols; i++) {
        int rc = pz_bx_eval(ex, r[i], NULL, &st->row[i]);
        if (rc != 0) {
            return rc;
        }
    }
    *row = st->row;
    return 1;
}

static int s_filter_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    for (;;) {
        int rc = pz_pn_next(ex, pn->left, row);
        if (rc <= 0) {
            return rc;
        }
        bool ok = false;
        if ((rc = pz_bx_test(ex, pn->pred, *row, &ok)) != 0) {
            return rc;
        }
        if (ok) {
            return 1;
        }
    }
}

/* The elements of a set-returning function's value for the current input row. */
static int s_srf_items(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *in, pz_datum_t **items,
                       int64_t *n)
{
    pz_datum_t v[3];
    *n = 0;
    for (int i = 0; i < x->n_args; i++) {
        int rc = pz_bx_eval(ex, x->args[i], in, &v[i]);
        if (rc != 0) {
            return rc;
        }
        if (v[i].null) {
            return 0; /* strict: no rows */
        }
    }
    if (x->idx == 1) {
        *items = v[0].v.arr->items;
        *n = v[0].v.arr->n;
        return 0;
    }
    if (x->idx == 2) { /* generate_subscripts(array, 1): 1 .. its length (one dimension) */
        int64_t cnt = v[1].v.i == 1 ? (int64_t)v[0].v.arr->n : 0;
        pz_datum_t *out = pz_ex_tmp_alloc(ex, sizeof *out * (size_t)(cnt + 1));
        for (int64_t i = 0; out != NULL && i < cnt; i++) {
            out[i] = pz_datum_int(PZ_TY_INT4, i + 1);
        }
        *items = out;
        *n = cnt;
        return out ? 0 : PZ_ENOMEM;
    }
    int64_t step = x->n_args == 3 ? v[2].v.i : 1;
    if (step == 0) {
        return pz_sql_err_set(ex->err, "22023", "step size cannot equal zero");
    }
    int64_t cnt = (v[1].v.i - v[0].v.i) / step + 1;
    cnt = cnt < 0 ? 0 : cnt;
    if (cnt > 100000000) {
        return pz_sql_err_set(ex->err, "54000", "generate_series of %lld rows in a select list",
                              (long long)cnt);
    }
    pz_datum_t *out = pz_ex_tmp_alloc(ex, sizeof *out * (size_t)(cnt + 1));
    if (out == NULL) {
        return PZ_ENOMEM;
    }
    for (int64_t i = 0; i < cnt; i++) {
        out[i] = pz_datum_int(x->type.id, v[0].v.i + i * step);
    }
    *items = out;
    *n = cnt;
    return 0;
}

/* ProjectSet: each input row yields as many rows as its longest set-returning function, the
 * shorter ones padded with NULLs (PostgreSQL 10+'s rule); other columns repeat. */
static int s_projectset_next(pz_ex_t *ex, pz_pn_t *pn, s_st_t *st, pz_datum_t **row)
{
    for (;;) {
        if (st->left_row != NULL && st->seen < st->limit) {
            int64_t k = st->seen++;
            for (int i = 0; i < pn->n_exprs; i++) {
                const pz_bx_t *x = pn->exprs[i];
                if (x->kind != PZ_BX_SRF) {
                    continue;
                }
                st->row[i] = k < st->srf_n[i] ? st->srf_items[i][k] : pz_datum_null(x->type.id);
            }
            *row = st->row;
            return 1;
        }
        int rc = pz_pn_next(ex, pn->left, &st->left_row);
        if (rc <= 0) {
            return rc;
        }
        if (st->srf_items == NULL) {
            st->srf_items = pz_ex_alloc(ex, sizeof *st->srf_items * (size_t)pn->n_exprs);
            st->srf_n = pz_ex_alloc(ex, sizeof *st->srf_n * (size_t)pn->n_exprs);
            if (st->srf_items == NULL || st->srf_n == NULL) {
                return PZ_ENOMEM;
            }
        }
        st->seen = 0;
        st->limit = 0;
        for (int i = 0; i < pn->n_exprs; i++) {
            const pz_bx_t *x = pn->exprs[i];
            if (x->kind != PZ_BX_SRF) {
                rc = pz_bx_eval(ex, x, st->left_row, &st->row[i]);
            } else {
                rc = s_srf_items(ex, x, st->left_row, &st->srf_items[i], &st->srf_n[i]);
                st->limit = st->srf_n[i] > st->limit ? st->srf_n[i] : st->limit;
            }
            if (rc != 0) {
                return rc;
            }
        }
    }
}

static int s_project_next(pz_ex_t *ex, pz_pn_t *pn, s_st_t *st, pz_datum_t **row)
{
    if (pn->has_srf) {
        return s_projectset_next(ex, pn, st, row);
    }
    pz_datum_t *in = NULL;
    int rc = pz_pn_next(ex, pn->left, &in);
    if (rc <= 0) {
        return rc;
    }
    for (int i = 0; i < pn->n_exprs; i++) {
        if ((rc = pz_bx_eval(ex, pn->exprs[i], in, &st->row[i])) != 0) {
            return rc;
        }
    }
    *row = st->row;
    return 1;
}

/* ---- joins -------------------------------------------------------------------------------- */

static int s_drain(pz_ex_t *ex, pz_pn_t *child, s_st_t *st)
{
    pz_datum_t *r;
    int rc;
    while ((rc = pz_pn_next(ex, child, &r)) == 1) {
        if ((rc = s_push_row(ex, st, r, child->n_cols)) != 0) {
            return rc;
        }
    }
    return rc;
}

void pz_join_row(const pz_pn_t *pn, pz_datum_t *out, const pz_datum_t *l, const pz_datum_t *r)
{
    int nl = pn->left->n_cols, nr = pn->right->n_cols;
    for (int i = 0; i < nl; i++) {
        out[i] = l ? l[i] : pz_datum_null(pn->types[i].id);
    }
    for (int i = 0; i < nr; i++) {
        out[nl + i] = r ? r[i] : pz_datum_null(pn->types[nl + i].id);
    }
}

static void s_join_out(pz_pn_t *pn, s_st_t *st, const pz_datum_t *l, const pz_datum_t *r)
{
    pz_join_row(pn, st->out, l, r);
}

/* Unmatched right rows of a RIGHT/FULL join, after the left side is exhausted. */
static int s_right_rest(pz_pn_t *pn, s_st_t *st, pz_datum_t **row)
{
    while (st->rpos < st->n_rows) {
        uint64_t i = st->rpos++;
        if (!st->right_matched[i]) {
            s_join_out(pn, st, NULL, st->rows[i]);
            *row = st->out;
            return 1;
        }
    }
    return 0;
}

static int s_nljoin_next(pz_ex_t *ex, pz_pn_t *pn, s_st_t *st, pz_datum_t **row)
{
    bool keep_right = pn->join == PZ_JOIN_RIGHT || pn->join == PZ_JOIN_FULL;
    bool keep_left = pn->join == PZ_JOIN_LEFT || pn->join == PZ_JOIN_FULL;
    for (;;) {
        if (st->phase == 1) {
            return s_right_rest(pn, st, row);
        }
        if (st->left_row == NULL) {
            int rc = pz_pn_next(ex, pn->left, &st->left_row);
            if (rc < 0) {
                return rc;
            }
            if (rc == 0) {
                st->phase = 1;
                st->rpos = 0;
                if (!keep_right) {
                    return 0;
                }
                continue;
            }
            st->rpos = 0;
            st->left_matched = false;
        }
        while (st->rpos < st->n_rows) {
            uint64_t i = st->rpos++;
            s_join_out(pn, st, st->left_row, st->rows[i]);
            bool ok = true;
            int rc = pn->pred ? pz_bx_test(ex, pn->pred, st->out, &ok) : 0;
            if (rc != 0) {
                return rc;
            }
            if (ok && pn->join >= PZ_JOIN_SEMI) { /* the first match decides */
                st->left_matched = true;
                break;
            }
            if (ok) {
                st->left_matched = true;
                if (keep_right) {
                    st->right_matched[i] = 1;
                }
                *row = st->out;
                return 1;
            }
        }
        pz_datum_t *l = st->left_row;
        st->left_row = NULL;
        if (pz_join_semi_emits(pn->join, st->left_matched)) {
            *row = l; /* the left row alone, still valid: the left child has not moved */
            return 1;
        }
        if (keep_left && !st->left_matched) {
            s_join_out(pn, st, l, NULL);
            *row = st->out;
            return 1;
        }
    }
}

static int s_join_open(pz_ex_t *ex, pz_pn_t *pn, s_st_t *st)
{
    /* Both sides' columns: a semi / anti join outputs only the left ones but tests pairs. */
    int width = pn->left->n_cols + pn->right->n_cols;
    st->out = pz_ex_alloc(ex, sizeof *st->out * (size_t)(width + 1));
    if (st->out == NULL) {
        return PZ_ENOMEM;
    }
    int rc = s_drain(ex, pn->right, st);
    if (rc != 0) {
        return rc;
    }
    if (pn->join == PZ_JOIN_RIGHT || pn->join == PZ_JOIN_FULL) {
        st->right_matched = pz_ex_alloc(ex, st->n_rows + 1);
        if (st->right_matched == NULL) {
            return PZ_ENOMEM;
        }
    }
    return 0;
}

/* ---- LIMIT, DISTINCT, SORT, set operations ------------------------------------------------ */

static int s_eval_count(pz_ex_t *ex, pz_bx_t *x, const char *what, int64_t *out)
{
    *out = -1;
    if (x == NULL) {
        return 0;
    }
    pz_datum_t v, c;
    int rc = pz_bx_eval(ex, x, NULL, &v);
    if (rc != 0 || v.null) {
        return rc;
    }
    rc = pz_datum_cast(ex->tmp, ex->env, &v, PZ_SQL_TYPE(PZ_TY_INT8), PZ_CAST_ASSIGN, &c, ex->err);
    if (rc != 0) {
        return rc;
    }
    if (c.v.i < 0) {
        return pz_sql_err_set(ex->err, "2201W", "%s must not be negative", what);
    }
    *out = c.v.i;
    return 0;
}

/* LIMIT evaluates its counts before its input opens, so a SORT below keeps only the rows the
 * limit can return (top-N, sql_sort.c). */
static int s_limit_open(pz_ex_t *ex, pz_pn_t *pn, s_st_t *st)
{
    int rc = s_eval_count(ex, pn->limit, "LIMIT", &st->limit);
    rc = rc ? rc : s_eval_count(ex, pn->offset, "OFFSET", &st->offset);
    if (rc != 0) {
        return rc;
    }
    int64_t off = st->offset > 0 ? st->offset : 0;
    if (pn->left->kind != PZ_PN_SORT || st->limit < 0 || st->limit > INT64_MAX - off) {
        return pz_pn_open(ex, pn->left);
    }
    return pz_sort_open(ex, pn->left, st->limit + off);
}

static int s_limit_next(pz_ex_t *ex, pz_pn_t *pn, s_st_t *st, pz_datum_t **row)
{
    for (;;) {
        if (st->limit >= 0 && st->seen >= st->limit + (st->offset > 0 ? st->offset : 0)) {
            return 0;
        }
        int rc = pz_pn_next(ex, pn->left, row);
        if (rc <= 0) {
            return rc;
        }
        if (st->seen++ >= (st->offset > 0 ? st->offset : 0)) {
            return 1;
        }
    }
}

/* UNION ALL: the left rows, then the right ones (the other set operations and DISTINCT hash
 * their rows: sql_hashset.c). */
static int s_union_all_next(pz_ex_t *ex, pz_pn_t *pn, s_st_t *st, pz_datum_t **row)
{
    int rc = pz_pn_next(ex, st->phase == 0 ? pn->left : pn->right, row);
    if (rc == 0 && st->phase == 0) {
        st->phase = 1;
        rc = pz_pn_next(ex, pn->right, row);
    }
    return rc;
}

static bool s_hashset(const pz_pn_t *pn)
{
    return pn->kind == PZ_PN_DISTINCT ||
           (pn->kind == PZ_PN_SETOP && !(pn->setop == PZ_SETOP_UNION && pn->setop_all));
}

/* ---- dispatch ----------------------------------------------------------------------------- */

int pz_cte_open(pz_ex_t *ex, pz_pn_t *pn);

int pz_pn_open(pz_ex_t *ex, pz_pn_t *pn)
{
    assert(ex != NULL && pn != NULL);
    switch (pn->kind) {
    case PZ_PN_SCAN:
        return pz_scan_open(ex, pn);
    case PZ_PN_AGG:
        return pz_agg_open(ex, pn);
    case PZ_PN_WINDOW:
        return pz_window_open(ex, pn);
    case PZ_PN_INSERT:
    case PZ_PN_UPDATE:
    case PZ_PN_DELETE:
        return pz_dml_open(ex, pn);
    case PZ_PN_VTAB:
        return pz_vtab_open(ex, pn);
    case PZ_PN_FUNCSCAN:
        return pz_funcscan_open(ex, pn);
    case PZ_PN_CTE:
        return pz_cte_open(ex, pn);
    case PZ_PN_RECURSIVE:
        return pz_recursive_open(ex, pn);
    case PZ_PN_WORKTABLE:
        return pz_worktable_open(ex, pn);
    case PZ_PN_LOOKUPJOIN:
    case PZ_PN_MERGEJOIN:
        return pz_join_open(ex, pn); /* sql_join.c */
    case PZ_PN_SORT:
        return pz_sort_open(ex, pn, -1); /* sql_sort.c */
    case PZ_PN_HASHJOIN:
        return pz_hashjoin_open(ex, pn); /* sql_hashjoin.c */
    default:
        if (s_hashset(pn)) {
            return pz_hashset_open(ex, pn);
        }
        break;
    }
    s_st_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    st->row = pz_ex_alloc(ex, sizeof *st->row * (size_t)(pn->n_cols + 1));
    if (st->row == NULL) {
        return PZ_ENOMEM;
    }
    if (pn->kind == PZ_PN_LIMIT) {
        return s_limit_open(ex, pn, st);
    }
    int rc = pn->left ? pz_pn_open(ex, pn->left) : 0;
    rc = rc ? rc : (pn->right ? pz_pn_open(ex, pn->right) : 0);
    if (rc != 0) {
        return rc;
    }
    switch (pn->kind) {
    case PZ_PN_NLJOIN:
        return s_join_open(ex, pn, st);
    default:
        return 0;
    }
}

static int s_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);

int pz_pn_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    /* Every few thousand rows anywhere in the plan: a CancelRequest, statement_timeout or the
     * server stopping ends even a statement that reads nothing more (a big join or sort). */
    if ((++ex->ticks & 4095) == 0) {
        int rc = pz_ex_check_cancel(ex);
        if (rc != 0) {
            return rc;
        }
    }
    int rc = s_next(ex, pn, row);
    pn->act_rows += rc == 1;
    return rc;
}

static int s_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    s_st_t *st = pn->st;
    switch (pn->kind) {
    case PZ_PN_SCAN:
        return pz_scan_next(ex, pn, row);
    case PZ_PN_VALUES:
        return s_values_next(ex, pn, st, row);
    case PZ_PN_FILTER:
        return s_filter_next(ex, pn, row);
    case PZ_PN_PROJECT:
        return s_project_next(ex, pn, st, row);
    case PZ_PN_NLJOIN:
        return s_nljoin_next(ex, pn, st, row);
    case PZ_PN_HASHJOIN:
        return pz_hashjoin_next(ex, pn, row);
    case PZ_PN_AGG:
        return pz_agg_next(ex, pn, row);
    case PZ_PN_WINDOW:
        return pz_window_next(ex, pn, row);
    case PZ_PN_SORT:
        return pz_sort_next(ex, pn, row);
    case PZ_PN_LIMIT:
        return s_limit_next(ex, pn, st, row);
    case PZ_PN_DISTINCT:
        return pz_hashset_next(ex, pn, row);
    case PZ_PN_SETOP:
        return s_hashset(pn) ? pz_hashset_next(ex, pn, row) : s_union_all_next(ex, pn, st, row);
    case PZ_PN_INSERT:
    case PZ_PN_UPDATE:
    case PZ_PN_DELETE:
        return pz_dml_next(ex, pn, row);
    case PZ_PN_VTAB:
    case PZ_PN_FUNCSCAN:
    case PZ_PN_CTE:
    case PZ_PN_WORKTABLE:
        return pz_rowbuf_next(pn->st, row);
    case PZ_PN_RECURSIVE:
        return pz_recursive_next(ex, pn, row);
    case PZ_PN_LOOKUPJOIN:
    case PZ_PN_MERGEJOIN:
        return pz_join_next(ex, pn, row);
    default:
        return pz_sql_err_set(ex->err, "XX000", "plan node %d cannot run", pn->kind);
    }
}

bool pz_pn_holds_rows(const pz_pn_t *pn)
{
    if (pn == NULL) {
        return false;
    }
    /* A nested loop or hash join returns several rows for one left row it keeps as its child
     * made it (its values may live in the scratch arena); the lookup and merge joins copy what
     * they keep into their own memory. */
    if (pn->kind == PZ_PN_NLJOIN || pn->kind == PZ_PN_HASHJOIN) {
        return true;
    }
    return pz_pn_holds_rows(pn->left) || pz_pn_holds_rows(pn->right);
}

void pz_pn_close(pz_ex_t *ex, pz_pn_t *pn)
{
    if (pn == NULL) {
        return;
    }
    switch (pn->st == NULL ? -1 : pn->kind) {
    case PZ_PN_SCAN:
        pz_scan_close(ex, pn);
        break;
    case PZ_PN_AGG:
        pz_agg_close(ex, pn);
        break;
    case PZ_PN_SORT:
        pz_sort_close(ex, pn);
        break;
    case PZ_PN_INSERT:
    case PZ_PN_UPDATE:
    case PZ_PN_DELETE:
        pz_stats_note_dml(ex, pn); /* rows written make statistics stale (sql_stats.c) */
        pz_dml_close(ex, pn);
        break;
    case PZ_PN_LOOKUPJOIN:
    case PZ_PN_MERGEJOIN:
        pz_join_close(ex, pn);
        break;
    case PZ_PN_HASHJOIN:
        pz_hashjoin_close(ex, pn);
        break;
    case PZ_PN_DISTINCT:
    case PZ_PN_SETOP:
        if (s_hashset(pn)) {
            pz_hashset_close(ex, pn);
        }
        break;
    default:
        break; /* everything else lives in the statement arena */
    }
    pn->st = NULL;
    pz_pn_close(ex, pn->left);
    pz_pn_close(ex, pn->right);
}

/* ---- subqueries in expressions ------------------------------------------------------------ */

/* Runs a subquery's plan to its end (or its first row when `first`), collecting its first
 * column. */
static int s_sub_run(pz_ex_t *ex, pz_pn_t *plan, bool first, pz_datum_t **rows, uint32_t *n)
{
    int rc = pz_pn_open(ex, plan);
    uint32_t cap = 0;
    *n = 0;
    *rows = NULL;
    pz_datum_t *r;
    while (rc == 0 && (rc = pz_pn_next(ex, plan, &r)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            pz_datum_t *g = pz_ex_alloc(ex, sizeof *g * cap);
            if (g == NULL) {
                rc = PZ_ENOMEM;
                break;
            }
            if (*n) {
                memcpy(g, *rows, sizeof *g * *n);
            }
            *rows = g;
        }
        if (pz_datum_copy(ex->arena, &r[0], &(*rows)[(*n)++]) != 0) {
            rc = pz_sql_err_set(ex->err, "53200", "out of memory");
            break;
        }
        if (first && *n == 2) {
            break; /* a scalar subquery needs to know only whether there is a second row */
        }
        rc = 0;
    }
    pz_pn_close(ex, plan);
    return rc < 0 ? rc : 0;
}

int pz_bx_subplan_eval(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    pz_pn_t *plan = x->plan;
    pz_datum_t *rows = plan->sub_rows;
    uint32_t n = plan->sub_n;
    if (x->correlated || !plan->sub_done || plan->sub_run != ex->run) {
        if (ex->n_outer >= PZ_SQL_OUTER_MAX) {
            return pz_sql_err_set(ex->err, "54001", "subqueries nest too deeply");
        }
        memmove(&ex->outer[1], &ex->outer[0], sizeof ex->outer[0] * (size_t)ex->n_outer);
        ex->outer[0] = row;
        ex->n_outer++;
        bool first = x->sublink == PZ_SUBLINK_EXPR || x->sublink == PZ_SUBLINK_EXISTS;
        int rc = s_sub_run(ex, plan, first, &rows, &n);
        ex->n_outer--;
        memmove(&ex->outer[0], &ex->outer[1], sizeof ex->outer[0] * (size_t)ex->n_outer);
        if (rc != 0) {
            return rc;
        }
        if (!x->correlated) {
            plan->sub_done = true;
            plan->sub_run = ex->run;
            plan->sub_rows = rows;
            plan->sub_n = n;
        }
    }
    switch (x->sublink) {
    case PZ_SUBLINK_EXISTS:
        *out = pz_datum_bool(n > 0);
        return 0;
    case PZ_SUBLINK_EXPR:
        if (n > 1) {
            return pz_sql_err_set(ex->err, "21000",
                                  "more than one row returned by a subquery used as an "
                                  "expression");
        }
        *out = n == 1 ? rows[0] : pz_datum_null(x->type.id);
        return 0;
    case PZ_SUBLINK_ARRAY: {
        pz_sql_array_t *a = pz_ex_tmp_alloc(ex, sizeof *a);
        if (a == NULL) {
            return PZ_ENOMEM;
        }
        a->elem = x->type.elem;
        a->n = n;
        a->items = rows;
        *out = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = a};
        return 0;
    }
    default:
        break;
    }
    /* ANY / ALL over the collected rows, as over an array. */
    pz_datum_t l;
    int rc = pz_bx_eval(ex, x->args[0], row, &l);
    return rc ? rc : pz_bx_any(ex, x->fn, x->sublink == PZ_SUBLINK_ALL, &l, rows, n, out);
}
