/*
 * sql_sort.c — the SORT node: an in-memory quicksort while the rows fit in work_mem, an external
 * merge sort past it (PostgreSQL's tuplesort does the same, and prints the same EXPLAIN line).
 *
 * Rows carry their sort key values after their columns (evaluated once, at input). They are
 * copied into a run arena of the node's own, not the statement's: when the run passes work_mem
 * it is sorted, written to a temp file (sql_spill.h) and the arena is destroyed, so the memory is
 * really returned — the statement arena is a bump allocator that frees nothing before the
 * statement ends. At the end of the input, runs are merged PZ_SPILL_MERGE_MAX at a time into
 * longer runs until one merge can produce the output; that last merge streams, one row per
 * next() from a binary heap over the runs' current rows.
 *
 * A sort under LIMIT keeps only the first limit + offset rows (a bounded heap, PostgreSQL's
 * top-N heapsort) when that count is known at open (pz_sort_set_bound).
 */
#include <stdlib.h>
#include <string.h>

#include "sql_limits.h"
#include "sql_sched.h"
#include "sql_spill.h"

typedef struct {
    pz_spill_file_t *f;
    pz_arena_t *a; /* the current row's bytes */
    pz_datum_t *row;
    bool live;
} s_reader_t;

typedef struct {
    int w;           /* columns + sort keys */
    pz_arena_t *mem; /* the current run's rows */
    pz_datum_t **rows;
    uint64_t n, cap, pos;
    pz_spill_file_t **runs;
    int n_runs, cap_runs;
    s_reader_t *rd; /* the final merge */
    int *heap;
    int n_rd, n_heap, last;
    int64_t bound;       /* top-N: rows kept, -1 all */
    uint64_t topn_bytes; /* top-N: the run arena's size after the last compaction */
    pz_spill_stat_t *stat;
} s_sort_t;

typedef struct {
    const pz_pn_t *pn;
} s_cmpctx_t;

static int s_cmp_rows(const pz_pn_t *pn, const pz_datum_t *x, const pz_datum_t *y)
{
    int base = pn->n_cols;
    for (int i = 0; i < pn->n_sort; i++) {
        const pz_sortkey_t *k = &pn->keys[i];
        int r = pz_sort_cmp(&x[base + i], &y[base + i], k->desc, k->nulls_first);
        if (r != 0) {
            return r;
        }
    }
    return 0;
}

static int s_qcmp(const void *a, const void *b, void *arg)
{
    const s_cmpctx_t *c = arg;
    return s_cmp_rows(c->pn, *(pz_datum_t *const *)a, *(pz_datum_t *const *)b);
}

/* ---- runs ------------------------------------------------------------------------------- */

static uint64_t s_mem_bytes(const s_sort_t *st)
{
    return (st->mem ? pz_arena_used(st->mem) : 0) + st->cap * sizeof *st->rows;
}

static int s_add_run(pz_ex_t *ex, s_sort_t *st, pz_spill_file_t *f)
{
    if (st->n_runs == st->cap_runs) {
        int cap = st->cap_runs ? st->cap_runs * 2 : 16;
        pz_spill_file_t **r = realloc(st->runs, sizeof *r * (size_t)cap);
        if (r == NULL) {
            pz_spill_close(ex, &f);
            return pz_sql_err_set(ex->err, "53200", "out of memory");
        }
        st->runs = r;
        st->cap_runs = cap;
    }
    st->runs[st->n_runs++] = f;
    if (st->stat != NULL) {
        st->stat->runs++;
    }
    return 0;
}

/* Sorts rows in memory; a big sort on a helper thread, not on the worker other sessions share. */
static void s_qsort(pz_datum_t **rows, uint64_t n, s_cmpctx_t *c)
{
    bool detach = n >= PZ_SQL_DETACH_ROWS;
    if (detach) {
        pz_task_detach();
    }
    qsort_r(rows, n, sizeof *rows, s_qcmp, c);
    if (detach) {
        pz_task_attach();
    }
}

/* Sorts the rows in memory, writes them as a run and frees them. */
static int s_spill_run(pz_ex_t *ex, const pz_pn_t *pn, s_sort_t *st)
{
    s_cmpctx_t c = {pn};
    s_qsort(st->rows, st->n, &c);
    pz_spill_file_t *f = NULL;
    int rc = pz_spill_open(ex, &f);
    for (uint64_t i = 0; rc == 0 && i < st->n; i++) {
        rc = pz_spill_put(ex, f, st->rows[i], st->w);
    }
    rc = rc ? rc : pz_spill_rewind(ex, f);
    if (rc != 0) {
        pz_spill_close(ex, &f);
        return rc;
    }
    st->n = 0;
    pz_arena_destroy(&st->mem);
    return s_add_run(ex, st, f);
}

static int s_keep(pz_ex_t *ex, const pz_pn_t *pn, s_sort_t *st, const pz_datum_t *row)
{
    if (st->mem == NULL && (st->mem = pz_arena_new()) == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    int rc = pz_spill_rows_push(ex, st->mem, &st->rows, &st->n, &st->cap, row, st->w);
    if (rc != 0) {
        return rc;
    }
    uint64_t used = s_mem_bytes(st);
    pz_spill_stat_mem(st->stat, used);
    if (used <= pz_spill_work_mem(ex) || !pz_spill_enabled(ex)) {
        return 0;
    }
    st->bound = -1; /* the top-N rows do not fit in work_mem either: a plain external sort */
    if (st->stat != NULL) {
        st->stat->topn = false;
    }
    return s_spill_run(ex, pn, st);
}

/* ---- top-N ------------------------------------------------------------------------------ */

/* Max-heap on the sort order over rows[0..n): the root is the worst row kept. */
static void s_topn_sift(const pz_pn_t *pn, pz_datum_t **h, uint64_t n, uint64_t i)
{
    for (;;) {
        uint64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && s_cmp_rows(pn, h[l], h[m]) > 0) {
            m = l;
        }
        if (r < n && s_cmp_rows(pn, h[r], h[m]) > 0) {
            m = r;
        }
        if (m == i) {
            return;
        }
        pz_datum_t *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Replaced rows stay in the run arena: once it holds twice what the kept rows took at the last
 * compaction, the kept rows move to a fresh arena (input in reverse order replaces every row). */
static int s_topn_compact(pz_ex_t *ex, s_sort_t *st)
{
    if (pz_arena_used(st->mem) < 2 * st->topn_bytes + 64 * 1024) {
        return 0;
    }
    pz_arena_t *a = pz_arena_new();
    for (uint64_t i = 0; a != NULL && i < st->n; i++) {
        if ((st->rows[i] = pz_spill_row_copy(ex, a, st->rows[i], st->w)) == NULL) {
            pz_arena_destroy(&a);
            return PZ_ENOMEM;
        }
    }
    if (a == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    pz_arena_destroy(&st->mem);
    st->mem = a;
    st->topn_bytes = pz_arena_used(a);
    return 0;
}

/* Keeps row when fewer than bound rows are kept or it sorts before the worst one kept. */
static int s_topn_add(pz_ex_t *ex, const pz_pn_t *pn, s_sort_t *st, const pz_datum_t *row)
{
    if (st->bound == 0) {
        return 0;
    }
    if (st->n < (uint64_t)st->bound) {
        int rc = s_keep(ex, pn, st, row);
        if (rc == 0 && st->bound > 0 && st->n == (uint64_t)st->bound) {
            for (uint64_t i = st->n / 2; i-- > 0;) {
                s_topn_sift(pn, st->rows, st->n, i);
            }
            st->topn_bytes = pz_arena_used(st->mem);
        }
        return rc;
    }
    if (s_cmp_rows(pn, row, st->rows[0]) >= 0) {
        return 0;
    }
    if ((st->rows[0] = pz_spill_row_copy(ex, st->mem, row, st->w)) == NULL) {
        return PZ_ENOMEM;
    }
    s_topn_sift(pn, st->rows, st->n, 0);
    return s_topn_compact(ex, st);
}

/* ---- merging ---------------------------------------------------------------------------- */

static int s_rd_advance(pz_ex_t *ex, s_reader_t *r, int w)
{
    int rc = pz_spill_scratch_reset(ex, &r->a);
    rc = rc ? rc : pz_spill_get(ex, r->f, r->a, r->row, w);
    r->live = rc == 1;
    return rc < 0 ? rc : 0;
}

static bool s_heap_less(const pz_pn_t *pn, const s_reader_t *rd, int a, int b)
{
    int c = s_cmp_rows(pn, rd[a].row, rd[b].row);
    return c < 0 || (c == 0 && a < b); /* earlier runs first among equals: stable */
}

static void s_heap_down(const pz_pn_t *pn, s_sort_t *st, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < st->n_heap && s_heap_less(pn, st->rd, st->heap[l], st->heap[m])) {
            m = l;
        }
        if (r < st->n_heap && s_heap_less(pn, st->rd, st->heap[r], st->heap[m])) {
            m = r;
        }
        if (m == i) {
            return;
        }
        int t = st->heap[i];
        st->heap[i] = st->heap[m];
        st->heap[m] = t;
        i = m;
    }
}

static void s_merge_free(pz_ex_t *ex, s_sort_t *st)
{
    for (int i = 0; i < st->n_rd; i++) {
        pz_spill_close(ex, &st->rd[i].f);
        pz_arena_destroy(&st->rd[i].a);
        free(st->rd[i].row);
    }
    free(st->rd);
    free(st->heap);
    st->rd = NULL;
    st->heap = NULL;
    st->n_rd = st->n_heap = 0;
}

/* Starts merging runs[from .. from+k): the readers take the files over. */
static int s_merge_start(pz_ex_t *ex, const pz_pn_t *pn, s_sort_t *st, int from, int k)
{
    st->rd = calloc((size_t)k, sizeof *st->rd);
    st->heap = calloc((size_t)k, sizeof *st->heap);
    if (st->rd == NULL || st->heap == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    st->n_rd = k;
    for (int i = 0; i < k; i++) {
        st->rd[i].f = st->runs[from + i];
        st->runs[from + i] = NULL;
        st->rd[i].row = calloc((size_t)st->w, sizeof *st->rd[i].row);
        if (st->rd[i].row == NULL) {
            return pz_sql_err_set(ex->err, "53200", "out of memory");
        }
        int rc = s_rd_advance(ex, &st->rd[i], st->w);
        if (rc != 0) {
            return rc;
        }
        if (st->rd[i].live) {
            st->heap[st->n_heap++] = i;
        }
    }
    for (int i = st->n_heap / 2; i-- > 0;) {
        s_heap_down(pn, st, i);
    }
    st->last = -1;
    return 0;
}

/* The next merged row: 1 with *row (valid until the next call), 0 at the end. */
static int s_merge_next(pz_ex_t *ex, const pz_pn_t *pn, s_sort_t *st, pz_datum_t **row)
{
    if (st->last >= 0) {
        s_reader_t *r = &st->rd[st->last];
        int rc = s_rd_advance(ex, r, st->w);
        if (rc != 0) {
            return rc;
        }
        if (!r->live) {
            st->heap[0] = st->heap[--st->n_heap];
        }
        s_heap_down(pn, st, 0);
        st->last = -1;
    }
    if (st->n_heap == 0) {
        return 0;
    }
    st->last = st->heap[0];
    *row = st->rd[st->last].row;
    return 1;
}

/* Merges the first PZ_SPILL_MERGE_MAX runs into one, until one merge covers them all. */
static int s_merge_passes(pz_ex_t *ex, const pz_pn_t *pn, s_sort_t *st)
{
    while (st->n_runs > PZ_SPILL_MERGE_MAX) {
        pz_spill_file_t *out = NULL;
        int rc = pz_spill_open(ex, &out);
        rc = rc ? rc : s_merge_start(ex, pn, st, 0, PZ_SPILL_MERGE_MAX);
        pz_datum_t *row;
        uint64_t n = 0;
        while (rc == 0 && (rc = s_merge_next(ex, pn, st, &row)) == 1) {
            rc = pz_spill_put(ex, out, row, st->w);
            if (rc == 0 && (++n & 4095) == 0) {
                rc = pz_ex_check_cancel(ex); /* a long pass reads no child rows */
            }
        }
        s_merge_free(ex, st);
        rc = rc ? rc : pz_spill_rewind(ex, out);
        if (rc != 0) {
            pz_spill_close(ex, &out);
            return rc;
        }
        memmove(st->runs, st->runs + PZ_SPILL_MERGE_MAX,
                sizeof *st->runs * (size_t)(st->n_runs - PZ_SPILL_MERGE_MAX));
        st->n_runs -= PZ_SPILL_MERGE_MAX;
        if ((rc = s_add_run(ex, st, out)) != 0) {
            return rc;
        }
    }
    return 0;
}

/* ---- the node --------------------------------------------------------------------------- */

static int s_drain(pz_ex_t *ex, pz_pn_t *pn, s_sort_t *st, pz_datum_t *tmp, pz_spill_tmp_t *t)
{
    pz_datum_t *r;
    int rc;
    while ((rc = pz_pn_next(ex, pn->left, &r)) == 1) {
        memcpy(tmp, r, sizeof *tmp * (size_t)pn->n_cols);
        for (int i = 0; i < pn->n_sort && rc == 1; i++) {
            rc = pz_bx_eval(ex, pn->keys[i].expr, r, &tmp[pn->n_cols + i]) == 0 ? 1 : -1;
        }
        if (rc != 1) {
            return PZ_EINVAL;
        }
        rc = st->bound >= 0 ? s_topn_add(ex, pn, st, tmp) : s_keep(ex, pn, st, tmp);
        rc = rc ? rc : pz_spill_tmp_next(ex, t); /* the row is copied: its scratch can go */
        if (rc != 0) {
            return rc;
        }
    }
    return rc;
}

int pz_sort_open(pz_ex_t *ex, pz_pn_t *pn, int64_t bound)
{
    s_sort_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    st->w = pn->n_cols + pn->n_sort;
    st->bound = bound;
    st->last = -1;
    st->stat = pz_spill_stat(ex, pn);
    if (st->stat != NULL) {
        st->stat->topn = bound >= 0;
    }
    pz_datum_t *tmp = pz_ex_alloc(ex, sizeof *tmp * (size_t)st->w);
    int rc = tmp ? pz_pn_open(ex, pn->left) : PZ_ENOMEM;
    if (rc != 0) {
        return rc;
    }
    pz_spill_tmp_t t;
    rc = pz_spill_tmp_begin(ex, pn->left, &t);
    rc = rc ? rc : s_drain(ex, pn, st, tmp, &t);
    pz_spill_tmp_end(ex, &t);
    if (rc != 0) {
        return rc;
    }
    if (st->n_runs == 0) {
        s_cmpctx_t c = {pn};
        if (st->n > 1) {
            s_qsort(st->rows, st->n, &c);
        }
        return 0;
    }
    if (st->n > 0 && (rc = s_spill_run(ex, pn, st)) != 0) {
        return rc;
    }
    for (int i = 0; st->stat != NULL && i < st->n_runs; i++) {
        st->stat->disk_bytes += pz_spill_bytes(st->runs[i]);
    }
    rc = s_merge_passes(ex, pn, st);
    return rc ? rc : s_merge_start(ex, pn, st, 0, st->n_runs);
}

int pz_sort_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    s_sort_t *st = pn->st;
    if (st->rd != NULL) {
        return s_merge_next(ex, pn, st, row);
    }
    if (st->pos >= st->n) {
        return 0;
    }
    *row = st->rows[st->pos++];
    return 1;
}

void pz_sort_close(pz_ex_t *ex, pz_pn_t *pn)
{
    s_sort_t *st = pn->st;
    s_merge_free(ex, st);
    for (int i = 0; i < st->n_runs; i++) {
        pz_spill_close(ex, &st->runs[i]);
    }
    free(st->runs);
    free(st->rows);
    pz_arena_destroy(&st->mem);
    st->runs = NULL;
    st->rows = NULL;
    st->n_runs = 0;
    st->n = 0;
}
