/*
 * sql_hashset.c — DISTINCT [ON] and the set operations UNION, INTERSECT [ALL], EXCEPT [ALL] over
 * a hash table of rows that spills to temp files past work_mem (UNION ALL needs no table and
 * stays in sql_exec.c).
 *
 * One batch reads up to two sources, each a child node or a spilled partition file:
 *   DISTINCT   its input, returning each row whose key is new
 *   UNION      left then right, the same way
 *   INTERSECT / EXCEPT  first the right side, counting each distinct row, then the left side,
 *              returning rows by the counts (ALL: as many as remain; else once)
 * The table, its entries and their row copies live in the batch's own arena (destroyed when the
 * batch ends: the statement arena frees nothing before the statement ends). Once the arena
 * passes work_mem the table takes no new rows: a row found in it is handled as always, and a row
 * that is not is written to one of PZ_SPILL_FANOUT partition files by its hash — a left-side
 * row to the left partitions, a right-side row to the right ones. Every occurrence of a value is
 * then either decided by the table or waiting in one partition, so each partition (its left and
 * right files) is a smaller instance of the same problem, run later as its own batch with other
 * hash bits (PZ_SPILL_DEPTH_MAX levels; past them a batch stays in memory under the budget).
 *
 * Rows are returned in the order they arrive within a batch, but rows of later batches come
 * after all of the first batch's: a DISTINCT over the query's own ORDER BY (the binder puts the
 * SORT below it, and DISTINCT ON must keep each key's first row in that order) therefore never
 * spills; its table grows under the statement budget as before.
 */
#include <stdlib.h>
#include <string.h>

#include "sql_spill.h"

typedef struct s_batch {
    pz_spill_file_t *f[2]; /* the batch's sources, in reading order (NULL: none) */
    int depth;
    struct s_batch *next;
} s_batch_t;

typedef struct {
    pz_arena_t *mem;
    pz_htab_t ht;
    bool full;
    int depth, phase;
    int nkeys;               /* leading columns that decide equality */
    bool counting;           /* INTERSECT / EXCEPT: phase 0 counts the right side */
    bool ordered;            /* the input is sorted for the output: never spill */
    pz_pn_t *child[2];       /* the first batch's sources */
    pz_spill_file_t *src[2]; /* a later batch's sources */
    pz_spill_file_t *parts[2][PZ_SPILL_FANOUT]; /* [0]: rows of source 0, [1]: of source 1 */
    s_batch_t *pending;
    pz_arena_t *scratch;
    pz_datum_t *in;
    pz_spill_stat_t *stat;
} s_hs_t;

static void s_batch_end_free(s_hs_t *st)
{
    pz_ht_free(&st->ht);
    pz_arena_destroy(&st->mem);
}

static int s_batch_begin(pz_ex_t *ex, s_hs_t *st, int depth)
{
    st->mem = pz_arena_new();
    if (st->mem == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    st->full = false;
    st->depth = depth;
    st->phase = 0;
    if (st->stat != NULL) {
        st->stat->batches++;
    }
    return pz_ht_init_in(ex, &st->ht, st->nkeys, st->mem, 1024);
}

/* The next row of source `which`: 1, 0 at its end, negative on error. */
static int s_src_next(pz_ex_t *ex, pz_pn_t *pn, s_hs_t *st, int which, pz_datum_t **row)
{
    if (st->child[which] != NULL) {
        return pz_pn_next(ex, st->child[which], row);
    }
    if (st->src[which] == NULL) {
        return 0;
    }
    int rc = pz_spill_scratch_reset(ex, &st->scratch);
    rc = rc ? rc : pz_spill_get(ex, st->src[which], st->scratch, st->in, pn->n_cols);
    if (rc == 1 && (++ex->ticks & 4095) == 0) {
        int c = pz_ex_check_cancel(ex); /* a file's rows do not pass through pz_pn_next */
        rc = c ? c : 1;
    }
    *row = st->in;
    return rc;
}

/* A row the table cannot decide: to partition `side` by its key hash. */
static int s_spill(pz_ex_t *ex, pz_pn_t *pn, s_hs_t *st, int side, const pz_datum_t *row)
{
    unsigned p = pz_spill_part(pz_row_hash(row, st->nkeys), st->depth);
    pz_spill_file_t **f = &st->parts[side][p];
    int rc = *f == NULL ? pz_spill_open(ex, f) : 0;
    return rc ? rc : pz_spill_put(ex, *f, row, pn->n_cols);
}

/* Looks row up, adding it while under work_mem. NULL with *rc 0: not there and the table is
 * full (the caller spills it). */
static pz_hent_t *s_find(pz_ex_t *ex, s_hs_t *st, const pz_datum_t *row, int ncols, bool add,
                         bool *created, int *rc)
{
    pz_hent_t *e = pz_ht_find(ex, &st->ht, row, ncols, add && !st->full, created);
    *rc = e == NULL && add && !st->full ? PZ_ENOMEM : 0;
    if (*created) {
        uint64_t used = pz_arena_used(st->mem);
        pz_spill_stat_mem(st->stat, used);
        st->full = used > pz_spill_work_mem(ex) && pz_spill_enabled(ex) && !st->ordered &&
                   st->depth < PZ_SPILL_DEPTH_MAX;
    }
    return e;
}

/* INTERSECT / EXCEPT: counts the right side's rows (phase 0). */
static int s_count_right(pz_ex_t *ex, pz_pn_t *pn, s_hs_t *st)
{
    pz_spill_tmp_t t = {0};
    int rc = pz_spill_tmp_begin(ex, st->child[0], &t);
    pz_datum_t *r;
    while (rc == 0 && (rc = s_src_next(ex, pn, st, 0, &r)) == 1) {
        bool created;
        pz_hent_t *e = s_find(ex, st, r, pn->n_cols, true, &created, &rc);
        if (e != NULL) {
            e->count++;
        } else if (rc == 0) {
            rc = s_spill(ex, pn, st, 0, r);
        }
        rc = rc ? rc : pz_spill_tmp_next(ex, &t);
    }
    pz_spill_tmp_end(ex, &t);
    return rc;
}

/* Whether a row of the returning phase is returned: 1 yes, 0 no, negative on error. */
static int s_decide(pz_ex_t *ex, pz_pn_t *pn, s_hs_t *st, const pz_datum_t *row)
{
    bool created = false;
    int rc;
    if (!st->counting) { /* DISTINCT, UNION: new rows are returned */
        pz_hent_t *e = s_find(ex, st, row, pn->n_cols, true, &created, &rc);
        if (e == NULL) {
            return rc ? rc : s_spill(ex, pn, st, 0, row);
        }
        return created;
    }
    bool intersect = pn->setop == PZ_SETOP_INTERSECT;
    pz_hent_t *e = s_find(ex, st, row, pn->n_cols, !intersect, &created, &rc);
    if (e == NULL) {
        if (rc != 0) {
            return rc;
        }
        unsigned p = pz_spill_part(pz_row_hash(row, st->nkeys), st->depth);
        if (intersect && st->parts[0][p] == NULL) {
            return 0; /* no right row of this value anywhere: not in the intersection */
        }
        return intersect || st->full ? s_spill(ex, pn, st, 1, row) : 0;
    }
    /* count > 0: copies left on the right side; -1 marks a row already returned (no ALL) */
    if (intersect) {
        if (e->count > 0) {
            e->count = pn->setop_all ? e->count - 1 : -1;
            return 1;
        }
    } else if (created || e->count == 0) {
        e->count = pn->setop_all ? 0 : -1;
        return 1;
    } else if (e->count > 0 && pn->setop_all) {
        e->count--;
    }
    return 0;
}

/* Ends the current batch: its partitions become pending batches one level deeper. */
static int s_batch_done(pz_ex_t *ex, s_hs_t *st)
{
    s_batch_end_free(st);
    for (int i = 0; i < 2; i++) {
        pz_spill_close(ex, &st->src[i]);
        st->child[i] = NULL;
    }
    for (int p = 0; p < PZ_SPILL_FANOUT; p++) {
        if (st->parts[0][p] == NULL && st->parts[1][p] == NULL) {
            continue;
        }
        s_batch_t *b = calloc(1, sizeof *b);
        if (b == NULL) {
            return pz_sql_err_set(ex->err, "53200", "out of memory");
        }
        b->depth = st->depth + 1;
        b->next = st->pending;
        st->pending = b;
        for (int i = 0; i < 2; i++) {
            b->f[i] = st->parts[i][p];
            st->parts[i][p] = NULL;
            int rc = b->f[i] ? pz_spill_rewind(ex, b->f[i]) : 0;
            if (rc != 0) {
                return rc;
            }
            if (st->stat != NULL) {
                st->stat->disk_bytes += pz_spill_bytes(b->f[i]);
            }
        }
    }
    return 0;
}

/* Starts the next pending batch: 1, or 0 when none is left. */
static int s_batch_next(pz_ex_t *ex, pz_pn_t *pn, s_hs_t *st)
{
    s_batch_t *b = st->pending;
    if (b == NULL) {
        return 0;
    }
    st->pending = b->next;
    st->src[0] = b->f[0];
    st->src[1] = b->f[1];
    int rc = s_batch_begin(ex, st, b->depth);
    free(b);
    rc = rc ? rc : (st->counting ? s_count_right(ex, pn, st) : 0);
    st->phase = st->counting ? 1 : 0;
    return rc ? rc : 1;
}

int pz_hashset_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    s_hs_t *st = pn->st;
    for (;;) {
        if (st->phase >= 2) {
            int rc = s_batch_done(ex, st);
            rc = rc ? rc : s_batch_next(ex, pn, st);
            if (rc <= 0) {
                st->phase = 3;
                return rc;
            }
            continue;
        }
        int rc = s_src_next(ex, pn, st, st->phase, row);
        if (rc == 0) {
            st->phase++;
            continue;
        }
        rc = rc < 0 ? rc : s_decide(ex, pn, st, *row);
        if (rc != 0) {
            return rc;
        }
    }
}

/* Whether the rows reach pn in the order of a SORT of the same query (through projections and
 * filters, which keep order). */
static bool s_sorted_below(const pz_pn_t *pn)
{
    for (pn = pn->left; pn != NULL; pn = pn->left) {
        if (pn->kind == PZ_PN_SORT) {
            return true;
        }
        if (pn->kind != PZ_PN_PROJECT && pn->kind != PZ_PN_FILTER) {
            return false;
        }
    }
    return false;
}

int pz_hashset_open(pz_ex_t *ex, pz_pn_t *pn)
{
    s_hs_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    st->stat = pz_spill_stat(ex, pn);
    st->in = pz_ex_alloc(ex, sizeof *st->in * (size_t)(pn->n_cols + 1));
    bool distinct = pn->kind == PZ_PN_DISTINCT;
    st->nkeys = distinct && pn->n_keys > 0 ? pn->n_keys : pn->n_cols;
    st->counting = !distinct && pn->setop != PZ_SETOP_UNION;
    st->ordered = distinct && s_sorted_below(pn);
    /* sources in reading order: INTERSECT / EXCEPT read the right side first */
    st->child[0] = st->counting ? pn->right : pn->left;
    st->child[1] = distinct ? NULL : (st->counting ? pn->left : pn->right);
    int rc = st->in ? pz_pn_open(ex, pn->left) : PZ_ENOMEM;
    rc = rc ? rc : (pn->right ? pz_pn_open(ex, pn->right) : 0);
    rc = rc ? rc : s_batch_begin(ex, st, 0);
    rc = rc ? rc : (st->counting ? s_count_right(ex, pn, st) : 0);
    st->phase = st->counting ? 1 : 0;
    return rc;
}

void pz_hashset_close(pz_ex_t *ex, pz_pn_t *pn)
{
    s_hs_t *st = pn->st;
    s_batch_end_free(st);
    for (int i = 0; i < 2; i++) {
        pz_spill_close(ex, &st->src[i]);
        for (int p = 0; p < PZ_SPILL_FANOUT; p++) {
            pz_spill_close(ex, &st->parts[i][p]);
        }
    }
    while (st->pending != NULL) {
        s_batch_t *b = st->pending;
        st->pending = b->next;
        pz_spill_close(ex, &b->f[0]);
        pz_spill_close(ex, &b->f[1]);
        free(b);
    }
    pz_arena_destroy(&st->scratch);
}
