/*
 * sql_agg.c — aggregate functions (the AGG node that groups rows is sql_hashagg.c), plus the
 * buffering leaf nodes that build their rows at open: WITH queries (CTE) and set-returning
 * functions (generate_series, unnest).
 *
 * Aggregates follow PostgreSQL's result types: count → bigint; sum(int2/int4) → bigint,
 * sum(int8/numeric) → numeric, sum(float) → the float; avg(ints/numeric) → numeric, avg(float)
 * → float8; min/max → the input type; NULL inputs are skipped; an empty input yields NULL (0 for
 * count). sum/avg add with the function row the binder resolved (agg->add) in acc_type.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql_exec.h"

struct pz_agg_state {
    int64_t count;
    pz_datum_t acc; /* sum / min / max / bool / string_agg (TEXT in acc_buf) */
    bool has;
    double m, s2;      /* variance: Welford's running mean and sum of squares */
    pz_sbuf_t buf;     /* string_agg */
    pz_datum_t *items; /* array_agg */
    uint32_t n_items, cap_items;
    pz_htab_t seen; /* DISTINCT */
    bool seen_init;
    pz_arena_t *mem; /* where the state keeps values: the statement's or a spilling AGG's */
};

pz_agg_state_t *pz_agg_new_in(pz_ex_t *ex, const pz_agg_t *agg, pz_arena_t *mem)
{
    pz_agg_state_t *st = pz_arena_alloc(mem, sizeof *st);
    if (st == NULL) {
        pz_sql_err_set(ex->err, "53200", "out of memory");
        pz_sql_err_detail(ex->err, "The statement used more than its memory budget.");
        return NULL;
    }
    st->acc = pz_datum_null(agg->type.id);
    st->mem = mem;
    return st;
}

pz_agg_state_t *pz_agg_new(pz_ex_t *ex, const pz_agg_t *agg)
{
    return pz_agg_new_in(ex, agg, ex->arena);
}

static int s_keep(pz_ex_t *ex, pz_agg_state_t *st, pz_datum_t *dst, const pz_datum_t *src)
{
    return pz_datum_copy(st->mem, src, dst) == 0
               ? 0
               : pz_sql_err_set(ex->err, "53200", "out of memory");
}

static int s_add(pz_ex_t *ex, const pz_agg_t *agg, pz_agg_state_t *st, const pz_datum_t *v)
{
    pz_datum_t c, r;
    int rc = pz_datum_cast(ex->tmp, ex->env, v, agg->acc_type, PZ_CAST_IMPLICIT, &c, ex->err);
    if (rc != 0) {
        return rc;
    }
    if (!st->has) {
        st->has = true;
        return s_keep(ex, st, &st->acc, &c);
    }
    pz_datum_t argv[2] = {st->acc, c};
    ex->fn.ret = agg->acc_type;
    rc = pz_sql_fn_call(agg->add, &ex->fn, 2, argv, &r);
    return rc ? rc : s_keep(ex, st, &st->acc, &r);
}

static int s_step_value(pz_ex_t *ex, const pz_agg_t *agg, pz_agg_state_t *st, pz_datum_t *v,
                        const pz_datum_t *row)
{
    switch (agg->kind) {
    case PZ_AGG_COUNT:
        st->count++;
        return 0;
    case PZ_AGG_SUM:
    case PZ_AGG_AVG:
        st->count++;
        return s_add(ex, agg, st, v);
    case PZ_AGG_MIN:
    case PZ_AGG_MAX: {
        int c = st->has ? pz_datum_cmp(v, &st->acc) : 0;
        if (!st->has || (agg->kind == PZ_AGG_MIN ? c < 0 : c > 0)) {
            st->has = true;
            return s_keep(ex, st, &st->acc, v);
        }
        return 0;
    }
    case PZ_AGG_BOOL_AND:
    case PZ_AGG_BOOL_OR:
        if (!st->has) {
            st->has = true;
            st->acc = *v;
        } else if (agg->kind == PZ_AGG_BOOL_AND) {
            st->acc.v.b = st->acc.v.b && v->v.b;
        } else {
            st->acc.v.b = st->acc.v.b || v->v.b;
        }
        return 0;
    case PZ_AGG_STRING_AGG: {
        pz_datum_t d = pz_datum_null(PZ_TY_TEXT);
        int rc = agg->arg2 ? pz_bx_eval(ex, agg->arg2, row, &d) : 0;
        if (rc != 0) {
            return rc;
        }
        if (st->has && !d.null) {
            pz_sbuf_put(&st->buf, d.v.p, d.len);
        }
        st->has = true;
        pz_sbuf_put(&st->buf, v->v.p, v->len);
        return st->buf.oom ? pz_sql_err_set(ex->err, "53200", "out of memory") : 0;
    }
    case PZ_AGG_STDDEV_SAMP:
    case PZ_AGG_STDDEV_POP:
    case PZ_AGG_VAR_SAMP:
    case PZ_AGG_VAR_POP: {
        pz_datum_t f;
        int rc = pz_datum_cast(ex->tmp, ex->env, v, PZ_SQL_TYPE(PZ_TY_FLOAT8), PZ_CAST_EXPLICIT, &f,
                               ex->err);
        if (rc != 0) {
            return rc;
        }
        st->count++;
        double d = f.v.f - st->m;
        st->m += d / (double)st->count;
        st->s2 += d * (f.v.f - st->m);
        return 0;
    }
    default:
        return pz_sql_err_set(ex->err, "XX000", "unknown aggregate %d", agg->kind);
    }
}

static int s_array_push(pz_ex_t *ex, pz_agg_state_t *st, const pz_datum_t *v)
{
    if (st->n_items == st->cap_items) {
        uint32_t cap = st->cap_items ? st->cap_items * 2 : 8;
        pz_datum_t *n = pz_arena_alloc(st->mem, sizeof *n * cap);
        if (n == NULL) {
            return pz_sql_err_set(ex->err, "53200", "out of memory");
        }
        if (st->n_items) {
            memcpy(n, st->items, sizeof *n * st->n_items);
        }
        st->items = n;
        st->cap_items = cap;
    }
    return s_keep(ex, st, &st->items[st->n_items++], v);
}

int pz_agg_step(pz_ex_t *ex, const pz_agg_t *agg, pz_agg_state_t *st, const pz_datum_t *row)
{
    int rc;
    if (agg->filter != NULL) {
        bool ok = false;
        if ((rc = pz_bx_test(ex, agg->filter, row, &ok)) != 0 || !ok) {
            return rc;
        }
    }
    if (agg->kind == PZ_AGG_COUNT_STAR) {
        st->count++;
        return 0;
    }
    pz_datum_t v;
    if ((rc = pz_bx_eval(ex, agg->arg, row, &v)) != 0) {
        return rc;
    }
    if (agg->kind == PZ_AGG_ARRAY_AGG) {
        return s_array_push(ex, st, &v); /* array_agg keeps NULLs */
    }
    if (v.null) {
        return 0;
    }
    if (agg->distinct) {
        /* few buckets to start: a GROUP BY with a DISTINCT aggregate has one set per group */
        if (!st->seen_init && (rc = pz_ht_init_in(ex, &st->seen, 1, st->mem, 16)) != 0) {
            return rc;
        }
        st->seen_init = true;
        bool created;
        if (pz_ht_find(ex, &st->seen, &v, 1, true, &created) == NULL) {
            return PZ_ENOMEM;
        }
        if (!created) {
            return 0;
        }
    }
    return s_step_value(ex, agg, st, &v, row);
}

static int s_final_avg(pz_ex_t *ex, const pz_agg_t *agg, pz_agg_state_t *st, pz_datum_t *out)
{
    pz_datum_t cnt = pz_datum_int(PZ_TY_INT8, st->count), c;
    int rc = pz_datum_cast(ex->tmp, ex->env, &cnt, agg->acc_type, PZ_CAST_EXPLICIT, &c, ex->err);
    pz_sql_type_t argt[2] = {agg->acc_type, agg->acc_type}, cast_to[2], ret;
    const pz_sql_fndef_t *div = NULL;
    rc = rc ? rc : pz_sql_fn_resolve("/", true, 2, argt, &div, cast_to, &ret, ex->err);
    if (rc != 0) {
        return rc;
    }
    pz_datum_t argv[2] = {st->acc, c};
    ex->fn.ret = ret;
    rc = pz_sql_fn_call(div, &ex->fn, 2, argv, out);
    if (rc == 0 && agg->type.id != ret.id) {
        pz_datum_t t = *out;
        rc = pz_datum_cast(ex->tmp, ex->env, &t, agg->type, PZ_CAST_EXPLICIT, out, ex->err);
    }
    return rc;
}

static int s_final_var(pz_ex_t *ex, const pz_agg_t *agg, pz_agg_state_t *st, pz_datum_t *out)
{
    bool samp = agg->kind == PZ_AGG_STDDEV_SAMP || agg->kind == PZ_AGG_VAR_SAMP;
    if (st->count == 0 || (samp && st->count == 1)) {
        *out = pz_datum_null(agg->type.id);
        return 0;
    }
    double var = st->s2 / (double)(samp ? st->count - 1 : st->count);
    bool sd = agg->kind == PZ_AGG_STDDEV_SAMP || agg->kind == PZ_AGG_STDDEV_POP;
    pz_datum_t f = pz_datum_float(PZ_TY_FLOAT8, sd ? sqrt(var) : var);
    if (agg->type.id == PZ_TY_FLOAT8) {
        *out = f;
        return 0;
    }
    return pz_datum_cast(ex->tmp, ex->env, &f, agg->type, PZ_CAST_EXPLICIT, out, ex->err);
}

int pz_agg_final(pz_ex_t *ex, const pz_agg_t *agg, pz_agg_state_t *st, pz_datum_t *out)
{
    switch (agg->kind) {
    case PZ_AGG_COUNT_STAR:
    case PZ_AGG_COUNT:
        *out = pz_datum_int(PZ_TY_INT8, st->count);
        return 0;
    case PZ_AGG_AVG:
        if (!st->has) {
            *out = pz_datum_null(agg->type.id);
            return 0;
        }
        return s_final_avg(ex, agg, st, out);
    case PZ_AGG_STRING_AGG:
        if (!st->has) {
            *out = pz_datum_null(agg->type.id);
            return 0;
        }
        uint8_t *p = pz_ex_tmp_alloc(ex, st->buf.len + 1);
        if (p == NULL) {
            return PZ_ENOMEM;
        }
        memcpy(p, st->buf.p, st->buf.len);
        *out = pz_datum_bytes(agg->type.id, p, (uint32_t)st->buf.len);
        return 0;
    case PZ_AGG_ARRAY_AGG: {
        if (st->n_items == 0) {
            *out = pz_datum_null(PZ_TY_ARRAY);
            return 0;
        }
        pz_sql_array_t *a = pz_ex_tmp_alloc(ex, sizeof *a);
        if (a == NULL) {
            return PZ_ENOMEM;
        }
        *a = (pz_sql_array_t){.elem = agg->type.elem, .n = st->n_items, .items = st->items};
        *out = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = a};
        return 0;
    }
    case PZ_AGG_STDDEV_SAMP:
    case PZ_AGG_STDDEV_POP:
    case PZ_AGG_VAR_SAMP:
    case PZ_AGG_VAR_POP:
        return s_final_var(ex, agg, st, out);
    default:
        *out = st->has ? st->acc : pz_datum_null(agg->type.id);
        if (!out->null && agg->type.id != out->type && agg->type.id != PZ_TY_ARRAY) {
            pz_datum_t t = *out;
            return pz_datum_cast(ex->tmp, ex->env, &t, agg->type, PZ_CAST_EXPLICIT, out, ex->err);
        }
        return 0;
    }
}

void pz_agg_free(pz_agg_state_t *st)
{
    if (st != NULL) {
        pz_sbuf_free(&st->buf);
        if (st->seen_init) {
            pz_ht_free(&st->seen);
            st->seen_init = false;
        }
    }
}

/* ---- WITH queries, set-returning functions ------------------------------------------------ */

struct pz_cte_buf {
    pz_rowbuf_t rows;
    bool done;
};

int pz_rowbuf_push(pz_ex_t *ex, pz_rowbuf_t *b, const pz_datum_t *row, int ncols)
{
    if (b->n == b->cap) {
        uint64_t c = b->cap ? b->cap * 2 : 16;
        pz_datum_t **r = pz_ex_alloc(ex, sizeof *r * c);
        if (r == NULL) {
            return PZ_ENOMEM;
        }
        if (b->n) {
            memcpy(r, b->rows, sizeof *r * b->n);
        }
        b->rows = r;
        b->cap = c;
    }
    b->rows[b->n] = pz_ex_keep_row(ex, row, ncols);
    return b->rows[b->n++] ? 0 : PZ_ENOMEM;
}

int pz_rowbuf_next(pz_rowbuf_t *b, pz_datum_t **row)
{
    if (b->pos >= b->n) {
        return 0;
    }
    *row = b->rows[b->pos++];
    return 1;
}

/* A CTE node reads the shared buffer of its WITH query, running the query on first use. */
int pz_cte_open(pz_ex_t *ex, pz_pn_t *pn)
{
    assert(pn->cte_id >= 0 && pn->cte_id < ex->n_ctes);
    pz_cte_buf_t *b = ex->ctes[pn->cte_id];
    if (b == NULL) {
        b = ex->ctes[pn->cte_id] = pz_ex_alloc(ex, sizeof *b);
        if (b == NULL) {
            return PZ_ENOMEM;
        }
    }
    pz_rowbuf_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    if (!b->done) {
        int rc = pz_pn_open(ex, pn->left);
        pz_datum_t *r;
        while (rc == 0 && (rc = pz_pn_next(ex, pn->left, &r)) == 1) {
            rc = pz_rowbuf_push(ex, &b->rows, r, pn->n_cols);
        }
        pz_pn_close(ex, pn->left);
        if (rc != 0) {
            return rc;
        }
        b->done = true;
    }
    *st = b->rows;
    st->pos = 0;
    return 0;
}

/* One row of a function scan: the value, and its number when WITH ORDINALITY asked for it. */
static int s_fs_push(pz_ex_t *ex, pz_pn_t *pn, pz_rowbuf_t *b, const pz_datum_t *v)
{
    pz_datum_t row[2] = {*v, pz_datum_int(PZ_TY_INT8, (int64_t)b->n + 1)};
    return pz_rowbuf_push(ex, b, row, pn->n_cols);
}

/* generate_series(start, stop [, step]) over integers and unnest(array): rows built at open. */
int pz_funcscan_open(pz_ex_t *ex, pz_pn_t *pn)
{
    pz_rowbuf_t *b = pz_ex_alloc(ex, sizeof *b);
    if (b == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = b;
    pz_datum_t v[3];
    for (int i = 0; i < pn->n_func_args; i++) {
        int rc = pz_bx_eval(ex, pn->func_args[i], NULL, &v[i]);
        if (rc != 0) {
            return rc;
        }
        if (v[i].null) {
            return 0; /* strict: no rows */
        }
    }
    int rc = 0;
    if (pn->func == 2) {
        return s_fs_push(ex, pn, b, &v[0]); /* pg_partition_ancestors: the relation */
    }
    if (pn->func == 1) {
        for (uint32_t i = 0; i < v[0].v.arr->n && rc == 0; i++) {
            rc = s_fs_push(ex, pn, b, &v[0].v.arr->items[i]);
        }
        return rc;
    }
    int64_t step = pn->n_func_args == 3 ? v[2].v.i : 1;
    if (step == 0) {
        return pz_sql_err_set(ex->err, "22023", "step size cannot equal zero");
    }
    for (int64_t i = v[0].v.i; rc == 0 && (step > 0 ? i <= v[1].v.i : i >= v[1].v.i);) {
        pz_datum_t d = pz_datum_int(pn->types[0].id, i);
        rc = s_fs_push(ex, pn, b, &d);
        if (__builtin_add_overflow(i, step, &i)) {
            break;
        }
        if ((b->n & 1023) == 0 && rc == 0) {
            rc = pz_ex_check_cancel(ex);
        }
    }
    return rc;
}
