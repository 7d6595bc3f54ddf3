/*
 * sql_window.c — the WINDOW node: window functions over partitions of its input.
 *
 * At open the input is materialized; for each window function the rows are ordered by its
 * partition and order keys (an index array sorted once per function), and its value is computed
 * for every row: ranking functions from peer groups, lag/lead by offset within the partition,
 * value functions and aggregates over the row's frame. Aggregates whose frame starts at the
 * partition's first row (the default frame and ROWS/RANGE UNBOUNDED PRECEDING) accumulate
 * incrementally; other frames are recomputed per row. Rows come out in input order with the
 * window values appended; the query's ORDER BY sorts above.
 */
#include <stdlib.h>
#include <string.h>

#include "sql_limits.h"
#include "sql_sched.h"
#include "sql_exec.h"

typedef struct {
    pz_rowbuf_t in;
    pz_datum_t **vals; /* [row][window] */
    pz_datum_t *out;
    uint64_t pos;
} s_win_st_t;

typedef struct {
    pz_datum_t **keys; /* [row]: partition keys then order keys */
    const pz_win_t *w;
} s_sortctx_t;

static int s_cmp_range(const s_sortctx_t *c, uint64_t a, uint64_t b, int from, int to)
{
    for (int i = from; i < to; i++) {
        bool desc = false, nf = false;
        if (i >= c->w->n_partition) {
            desc = c->w->order[i - c->w->n_partition].desc;
            nf = c->w->order[i - c->w->n_partition].nulls_first;
        }
        int r = pz_sort_cmp(&c->keys[a][i], &c->keys[b][i], desc, nf);
        if (r != 0) {
            return r;
        }
    }
    return 0;
}

static int s_sort_cmp(const void *x, const void *y, void *arg)
{
    const s_sortctx_t *c = arg;
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    int r = s_cmp_range(c, a, b, 0, c->w->n_partition + c->w->n_order);
    return r != 0 ? r : (a < b ? -1 : a > b); /* stable: input order among equals */
}

/* The frame [*fs, *fe] (inclusive) of the row at sorted position i in partition [ps, pe). */
static int s_frame(pz_ex_t *ex, const pz_win_t *w, uint64_t i, uint64_t ps, uint64_t pe,
                   uint64_t peer_lo, uint64_t peer_hi, int64_t *fs, int64_t *fe)
{
    if (!w->has_frame) {
        *fs = (int64_t)ps;
        *fe = w->n_order > 0 ? (int64_t)peer_hi : (int64_t)pe - 1;
        return 0;
    }
    int64_t off[2] = {0, 0};
    pz_bx_t *offs[2] = {w->start_off, w->end_off};
    for (int k = 0; k < 2; k++) {
        if (offs[k] == NULL) {
            continue;
        }
        pz_datum_t v;
        int rc = pz_bx_eval(ex, offs[k], NULL, &v);
        if (rc != 0) {
            return rc;
        }
        if (v.null || v.v.i < 0) {
            return pz_sql_err_set(ex->err, "22013", "frame %s offset must not be %s",
                                  k ? "ending" : "starting", v.null ? "null" : "negative");
        }
        off[k] = v.v.i;
    }
    bool rows = w->frame_mode == 0;
    int kinds[2] = {w->start_kind, w->end_kind};
    int64_t *res[2] = {fs, fe};
    for (int k = 0; k < 2; k++) {
        switch (kinds[k]) {
        case PZ_FRAME_UNBOUNDED_PRECEDING:
            *res[k] = (int64_t)ps;
            break;
        case PZ_FRAME_PRECEDING:
            *res[k] = (int64_t)i - off[k];
            break;
        case PZ_FRAME_CURRENT_ROW:
            *res[k] = rows ? (int64_t)i : (int64_t)(k ? peer_hi : peer_lo);
            break;
        case PZ_FRAME_FOLLOWING:
            *res[k] = (int64_t)i + off[k];
            break;
        default:
            *res[k] = (int64_t)pe - 1;
            break;
        }
    }
    *fs = *fs < (int64_t)ps ? (int64_t)ps : *fs;
    *fe = *fe > (int64_t)pe - 1 ? (int64_t)pe - 1 : *fe;
    return 0;
}

static int s_eval_arg(pz_ex_t *ex, const pz_win_t *w, int k, const pz_datum_t *row, pz_datum_t *out)
{
    int rc = pz_bx_eval(ex, w->args[k], row, out);
    return rc ? rc : (pz_datum_copy(ex->arena, out, out) ? PZ_ENOMEM : 0);
}

/* Ranking and offset functions for one row. */
static int s_rank_fn(pz_ex_t *ex, const pz_win_t *w, s_win_st_t *st, const uint64_t *idx,
                     uint64_t i, uint64_t ps, uint64_t pe, uint64_t peer_lo, uint64_t peer_hi,
                     uint64_t dense, pz_datum_t *out)
{
    uint64_t n = pe - ps;
    int rc = 0;
    switch (w->kind) {
    case PZ_WIN_ROW_NUMBER:
        *out = pz_datum_int(PZ_TY_INT8, (int64_t)(i - ps + 1));
        return 0;
    case PZ_WIN_RANK:
        *out = pz_datum_int(PZ_TY_INT8, (int64_t)(peer_lo - ps + 1));
        return 0;
    case PZ_WIN_DENSE_RANK:
        *out = pz_datum_int(PZ_TY_INT8, (int64_t)dense);
        return 0;
    case PZ_WIN_PERCENT_RANK:
        *out = pz_datum_float(PZ_TY_FLOAT8, n > 1 ? (double)(peer_lo - ps) / (double)(n - 1) : 0);
        return 0;
    case PZ_WIN_CUME_DIST:
        *out = pz_datum_float(PZ_TY_FLOAT8, (double)(peer_hi - ps + 1) / (double)n);
        return 0;
    case PZ_WIN_NTILE: {
        pz_datum_t b;
        if ((rc = pz_bx_eval(ex, w->args[0], st->in.rows[idx[i]], &b)) != 0) {
            return rc;
        }
        if (b.null || b.v.i <= 0) {
            return pz_sql_err_set(ex->err, "22014", "argument of ntile must be greater than zero");
        }
        uint64_t buckets = (uint64_t)b.v.i, r = i - ps, size = n / buckets, extra = n % buckets;
        uint64_t big = extra * (size + 1);
        uint64_t t = r < big ? r / (size + 1) : extra + (size ? (r - big) / size : 0);
        *out = pz_datum_int(PZ_TY_INT8, (int64_t)t + 1);
        return 0;
    }
    default: { /* LAG / LEAD */
        int64_t off = 1;
        if (w->n_args >= 2) {
            pz_datum_t o;
            if ((rc = pz_bx_eval(ex, w->args[1], st->in.rows[idx[i]], &o)) != 0) {
                return rc;
            }
            if (o.null) {
                *out = pz_datum_null(w->type.id);
                return 0;
            }
            off = o.v.i;
        }
        int64_t j = w->kind == PZ_WIN_LAG ? (int64_t)i - off : (int64_t)i + off;
        if (j < (int64_t)ps || j >= (int64_t)pe) {
            if (w->n_args == 3) {
                return s_eval_arg(ex, w, 2, st->in.rows[idx[i]], out);
            }
            *out = pz_datum_null(w->type.id);
            return 0;
        }
        return s_eval_arg(ex, w, 0, st->in.rows[idx[j]], out);
    }
    }
}

/* Value functions and aggregates over the frame. */
static int s_frame_fn(pz_ex_t *ex, const pz_win_t *w, s_win_st_t *st, const uint64_t *idx,
                      int64_t fs, int64_t fe, pz_agg_state_t **run, int64_t *run_end,
                      pz_datum_t *out)
{
    if (w->kind != PZ_WIN_AGG) {
        int64_t j = w->kind == PZ_WIN_FIRST_VALUE ? fs : fe;
        if (w->kind == PZ_WIN_NTH_VALUE) {
            pz_datum_t nth;
            int rc = pz_bx_eval(ex, w->args[1], st->in.rows[idx[fs >= 0 ? fs : 0]], &nth);
            if (rc != 0) {
                return rc;
            }
            if (!nth.null && nth.v.i <= 0) {
                return pz_sql_err_set(ex->err, "22016",
                                      "argument of nth_value must be greater "
                                      "than zero");
            }
            j = nth.null ? fe + 1 : fs + nth.v.i - 1;
        }
        if (fs > fe || j < fs || j > fe) {
            *out = pz_datum_null(w->type.id);
            return 0;
        }
        return s_eval_arg(ex, w, 0, st->in.rows[idx[j]], out);
    }
    bool incremental = !w->has_frame || w->start_kind == PZ_FRAME_UNBOUNDED_PRECEDING;
    if (!incremental || *run == NULL) {
        pz_agg_free(*run);
        *run = pz_agg_new(ex, &w->agg);
        *run_end = fs - 1;
        if (*run == NULL) {
            return PZ_ENOMEM;
        }
    }
    for (int64_t j = *run_end + 1; j <= fe; j++) {
        int rc = pz_agg_step(ex, &w->agg, *run, st->in.rows[idx[j]]);
        if (rc != 0) {
            return rc;
        }
    }
    *run_end = fe > *run_end ? fe : *run_end;
    int rc = pz_agg_final(ex, &w->agg, *run, out);
    return rc ? rc : (pz_datum_copy(ex->arena, out, out) ? PZ_ENOMEM : 0);
}

/* Computes window function k for every row. */
static int s_one_window(pz_ex_t *ex, const pz_win_t *w, s_win_st_t *st, int k)
{
    uint64_t n = st->in.n;
    int nk = w->n_partition + w->n_order;
    uint64_t *idx = pz_ex_alloc(ex, sizeof *idx * (n + 1));
    pz_datum_t **keys = pz_ex_alloc(ex, sizeof *keys * (n + 1));
    if (idx == NULL || keys == NULL) {
        return PZ_ENOMEM;
    }
    for (uint64_t r = 0; r < n; r++) {
        idx[r] = r;
        if ((keys[r] = pz_ex_alloc(ex, sizeof **keys * (size_t)(nk + 1))) == NULL) {
            return PZ_ENOMEM;
        }
        for (int j = 0; j < nk; j++) {
            const pz_bx_t *x =
                j < w->n_partition ? w->partition[j] : w->order[j - w->n_partition].expr;
            int rc = pz_bx_eval(ex, x, st->in.rows[r], &keys[r][j]);
            if (rc != 0 || pz_datum_copy(ex->arena, &keys[r][j], &keys[r][j]) != 0) {
                return rc ? rc : PZ_ENOMEM;
            }
        }
    }
    s_sortctx_t c = {keys, w};
    if (n >= PZ_SQL_DETACH_ROWS) {
        pz_task_detach(); /* a big sort: not on the worker other sessions share */
    }
    qsort_r(idx, n, sizeof *idx, s_sort_cmp, &c);
    pz_task_attach();
    for (uint64_t ps = 0, pe; ps < n; ps = pe) {
        for (pe = ps + 1; pe < n && s_cmp_range(&c, idx[ps], idx[pe], 0, w->n_partition) == 0;) {
            pe++;
        }
        pz_agg_state_t *run = NULL;
        int64_t run_end = -1;
        uint64_t dense = 0;
        for (uint64_t lo = ps, hi; lo < pe; lo = hi + 1) {
            for (hi = lo;
                 hi + 1 < pe && s_cmp_range(&c, idx[lo], idx[hi + 1], w->n_partition, nk) == 0;) {
                hi++;
            }
            dense++;
            for (uint64_t i = lo; i <= hi; i++) {
                pz_datum_t *out = &st->vals[idx[i]][k];
                int rc;
                if (w->kind <= PZ_WIN_LEAD) {
                    rc = s_rank_fn(ex, w, st, idx, i, ps, pe, lo, hi, dense, out);
                } else {
                    int64_t fs = 0, fe = -1;
                    rc = s_frame(ex, w, i, ps, pe, lo, hi, &fs, &fe);
                    rc = rc ? rc : s_frame_fn(ex, w, st, idx, fs, fe, &run, &run_end, out);
                }
                if (rc != 0) {
                    pz_agg_free(run);
                    return rc;
                }
            }
        }
        pz_agg_free(run); /* the partition's running aggregate */
        int rc = pz_ex_check_cancel(ex);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int pz_window_open(pz_ex_t *ex, pz_pn_t *pn)
{
    s_win_st_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    int rc = pz_pn_open(ex, pn->left);
    pz_datum_t *r;
    while (rc == 0 && (rc = pz_pn_next(ex, pn->left, &r)) == 1) {
        rc = pz_rowbuf_push(ex, &st->in, r, pn->left->n_cols);
    }
    if (rc != 0) {
        return rc;
    }
    st->vals = pz_ex_alloc(ex, sizeof *st->vals * (st->in.n + 1));
    st->out = pz_ex_alloc(ex, sizeof *st->out * (size_t)(pn->n_cols + 1));
    if (st->vals == NULL || st->out == NULL) {
        return PZ_ENOMEM;
    }
    for (uint64_t i = 0; i < st->in.n; i++) {
        if ((st->vals[i] = pz_ex_alloc(ex, sizeof **st->vals * (size_t)pn->n_wins)) == NULL) {
            return PZ_ENOMEM;
        }
    }
    for (int k = 0; k < pn->n_wins && rc == 0; k++) {
        rc = s_one_window(ex, &pn->wins[k], st, k);
    }
    return rc;
}

int pz_window_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    (void)ex;
    s_win_st_t *st = pn->st;
    if (st->pos >= st->in.n) {
        return 0;
    }
    int n_in = pn->left->n_cols;
    memcpy(st->out, st->in.rows[st->pos], sizeof *st->out * (size_t)n_in);
    memcpy(st->out + n_in, st->vals[st->pos], sizeof *st->out * (size_t)pn->n_wins);
    st->pos++;
    *row = st->out;
    return 1;
}
