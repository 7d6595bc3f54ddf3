/*
 * sql_hashjoin.c — the HASHJOIN node: an equi-join that builds a hash table over its right side
 * and probes it with the left rows, for inner, left, right and full joins; a grace hash join
 * past work_mem.
 *
 * The build side's rows, the table and its chains live in the batch's own arena: its size is
 * what work_mem bounds, and destroying it after the batch frees it all (the statement arena is a
 * bump allocator that frees nothing before the statement ends). When the right side passes
 * work_mem while it is read, the join turns into a grace hash join: the right rows (those read
 * and the rest) and then all left rows are written to PZ_SPILL_FANOUT partition files by the
 * hash of their join key, and each pair of partitions is joined on its own, one batch at a
 * time. A right partition still too big is split again on other hash bits, its left partner
 * with it (PZ_SPILL_DEPTH_MAX levels; equal keys never split, and past the last level the batch
 * stays in memory under the statement budget).
 *
 * NULL keys never match. A right row with a NULL key is kept only by RIGHT and FULL joins (as an
 * unmatched row) and a left one only by LEFT and FULL joins; when partitioning, such rows go to
 * partition 0 (any partition would do: they meet no partner there). Unmatched right rows of a
 * RIGHT/FULL join are returned after each batch's left rows, so each right row is reported once
 * by the batch that holds it.
 */
#include <stdlib.h>
#include <string.h>

#include "sql_spill.h"

typedef struct s_hjbatch {
    pz_spill_file_t *r, *l;
    int depth;
    struct s_hjbatch *next;
} s_hjbatch_t;

typedef struct {
    pz_arena_t *mem; /* the current batch's right rows, table and chains */
    pz_datum_t **rows;
    uint64_t n, cap, rpos;
    uint8_t *matched; /* RIGHT/FULL: right rows that matched (malloc'd) */
    pz_htab_t ht;
    pz_datum_t *out, *keys, *rin, *lin;
    pz_datum_t *left_row;
    bool left_matched, keep_left, keep_right;
    pz_hent_t *chain;
    int phase; /* 0 probing with left rows, 1 unmatched right rows, 2 done */
    int depth;
    pz_spill_file_t *lsrc; /* the current batch's left rows (NULL: the left child) */
    pz_spill_file_t *rparts[PZ_SPILL_FANOUT], *lparts[PZ_SPILL_FANOUT];
    s_hjbatch_t *pending;
    pz_arena_t *lscratch, *rscratch;
    pz_spill_stat_t *stat;
} s_hj_t;

/* The join keys of row (lkeys or rkeys) into st->keys: *has_null when one is NULL. */
static int s_keys(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st, pz_bx_t **kx, const pz_datum_t *row,
                  bool *has_null)
{
    *has_null = false;
    for (int j = 0; j < pn->n_keys; j++) {
        int rc = pz_bx_eval(ex, kx[j], row, &st->keys[j]);
        if (rc != 0) {
            return rc;
        }
        *has_null |= st->keys[j].null;
    }
    return 0;
}

static void s_batch_free(s_hj_t *st)
{
    pz_ht_free(&st->ht);
    pz_arena_destroy(&st->mem);
    free(st->rows);
    free(st->matched);
    st->rows = NULL;
    st->matched = NULL;
    st->n = st->cap = st->rpos = 0;
}

static uint64_t s_mem_bytes(const s_hj_t *st)
{
    return pz_arena_used(st->mem) + st->cap * sizeof *st->rows;
}

/* Keeps a right row of the batch. */
static int s_keep(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st, const pz_datum_t *row)
{
    return pz_spill_rows_push(ex, st->mem, &st->rows, &st->n, &st->cap, row, pn->right->n_cols);
}

/* Writes a row of side `right` to its partition by key hash (NULL keys: partition 0). */
static int s_part_put(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st, bool right, const pz_datum_t *row)
{
    bool has_null;
    int rc = s_keys(ex, pn, st, right ? pn->rkeys : pn->lkeys, row, &has_null);
    if (rc != 0 || (has_null && !(right ? st->keep_right : st->keep_left))) {
        return rc; /* a NULL key nothing keeps */
    }
    unsigned p = has_null ? 0 : pz_spill_part(pz_row_hash(st->keys, pn->n_keys), st->depth);
    pz_spill_file_t **f = right ? &st->rparts[p] : &st->lparts[p];
    rc = *f == NULL ? pz_spill_open(ex, f) : 0;
    return rc ? rc : pz_spill_put(ex, *f, row, right ? pn->right->n_cols : pn->left->n_cols);
}

/* The next row of one side of the current batch: the child in the first batch (depth 0), its
 * partition file (if any) in later ones, decoded into that side's scratch arena. */
static int s_side_next(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st, bool right, pz_spill_file_t *f,
                       pz_datum_t **row)
{
    pz_pn_t *child = right ? pn->right : pn->left;
    if (st->depth == 0) {
        return pz_pn_next(ex, child, row);
    }
    if (f == NULL) {
        return 0;
    }
    pz_arena_t **scratch = right ? &st->rscratch : &st->lscratch;
    pz_datum_t *buf = right ? st->rin : st->lin;
    int rc = pz_spill_scratch_reset(ex, scratch);
    rc = rc ? rc : pz_spill_get(ex, f, *scratch, buf, child->n_cols);
    if (rc == 1 && (++ex->ticks & 4095) == 0) {
        int c = pz_ex_check_cancel(ex); /* a file's rows do not pass through pz_pn_next */
        rc = c ? c : 1;
    }
    *row = buf;
    return rc;
}

/* Past work_mem: the batch's right rows so far and the rest of its right source go to the
 * right partitions, its left source to the left ones; the pairs become pending batches. */
static int s_partition(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st, pz_spill_file_t *rsrc)
{
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < st->n; i++) {
        rc = s_part_put(ex, pn, st, true, st->rows[i]);
    }
    s_batch_free(st);
    pz_datum_t *r;
    while (rc == 0 && (rc = s_side_next(ex, pn, st, true, rsrc, &r)) == 1) {
        rc = s_part_put(ex, pn, st, true, r);
    }
    pz_spill_tmp_t t = {0};
    rc = rc ? rc : pz_spill_tmp_begin(ex, st->depth == 0 ? pn->left : NULL, &t);
    while (rc == 0 && (rc = s_side_next(ex, pn, st, false, st->lsrc, &r)) == 1) {
        rc = s_part_put(ex, pn, st, false, r);
        rc = rc ? rc : pz_spill_tmp_next(ex, &t);
    }
    pz_spill_tmp_end(ex, &t);
    for (int p = 0; rc == 0 && p < PZ_SPILL_FANOUT; p++) {
        if (st->rparts[p] == NULL && (st->lparts[p] == NULL || !st->keep_left)) {
            pz_spill_close(ex, &st->lparts[p]); /* no right rows: only LEFT/FULL need these */
            continue;
        }
        s_hjbatch_t *b = calloc(1, sizeof *b);
        if (b == NULL) {
            return pz_sql_err_set(ex->err, "53200", "out of memory");
        }
        *b = (s_hjbatch_t){st->rparts[p], st->lparts[p], st->depth + 1, st->pending};
        st->pending = b;
        st->rparts[p] = st->lparts[p] = NULL;
        rc = b->r ? pz_spill_rewind(ex, b->r) : 0;
        rc = rc ? rc : (b->l ? pz_spill_rewind(ex, b->l) : 0);
        if (st->stat != NULL) {
            st->stat->disk_bytes += pz_spill_bytes(b->r) + pz_spill_bytes(b->l);
        }
    }
    return rc;
}

/* Reads a batch's right rows; 1 when they fit (in st->rows), 0 when the batch was partitioned
 * instead. */
static int s_build_read(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st, pz_spill_file_t *rsrc,
                        pz_spill_tmp_t *t)
{
    pz_datum_t *r;
    int rc;
    while ((rc = s_side_next(ex, pn, st, true, rsrc, &r)) == 1) {
        bool has_null;
        if ((rc = s_keys(ex, pn, st, pn->rkeys, r, &has_null)) != 0) {
            return rc;
        }
        /* a NULL key never matches: only RIGHT/FULL return the row (unmatched) */
        rc = has_null && !st->keep_right ? 0 : s_keep(ex, pn, st, r);
        rc = rc ? rc : pz_spill_tmp_next(ex, t);
        if (rc != 0) {
            return rc;
        }
        uint64_t used = s_mem_bytes(st);
        pz_spill_stat_mem(st->stat, used);
        if (used > pz_spill_work_mem(ex) && pz_spill_enabled(ex) &&
            st->depth < PZ_SPILL_DEPTH_MAX) {
            rc = s_partition(ex, pn, st, rsrc);
            return rc ? rc : 0;
        }
    }
    return rc < 0 ? rc : 1;
}

/* Keys the batch's right rows (rows with a NULL key stay out of the table). */
static int s_build_table(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st)
{
    int rc = pz_ht_init_in(ex, &st->ht, pn->n_keys, st->mem, 1024);
    if (rc == 0 && st->keep_right && (st->matched = calloc(st->n + 1, 1)) == NULL) {
        rc = pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    for (uint64_t i = 0; rc == 0 && i < st->n; i++) {
        bool has_null, created;
        if ((rc = s_keys(ex, pn, st, pn->rkeys, st->rows[i], &has_null)) != 0 || has_null) {
            continue;
        }
        pz_hent_t *e = pz_ht_find(ex, &st->ht, st->keys, pn->n_keys, true, &created);
        if (e == NULL) {
            return PZ_ENOMEM;
        }
        /* count holds the index of the right row; equal keys chain through `chain`. */
        pz_hent_t *node = e;
        if (!created) {
            if ((node = pz_arena_alloc(st->mem, sizeof *node)) == NULL) {
                return pz_sql_err_set(ex->err, "53200", "out of memory");
            }
            node->chain = e->chain;
            e->chain = node;
        }
        node->count = (int64_t)i;
    }
    pz_spill_stat_mem(st->stat, s_mem_bytes(st));
    return rc;
}

/* Starts a batch: its right rows from rsrc (NULL: the right child), its left rows from lsrc. */
static int s_batch_start(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st, pz_spill_file_t *rsrc, int depth)
{
    st->mem = pz_arena_new();
    if (st->mem == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    st->depth = depth;
    st->phase = 0;
    st->left_row = NULL;
    st->chain = NULL;
    if (st->stat != NULL) {
        st->stat->batches++;
    }
    pz_spill_tmp_t t = {0};
    int rc = pz_spill_tmp_begin(ex, depth == 0 ? pn->right : NULL, &t);
    rc = rc ? rc : s_build_read(ex, pn, st, rsrc, &t);
    pz_spill_tmp_end(ex, &t);
    if (rc == 1) {
        return s_build_table(ex, pn, st);
    }
    pz_spill_close(ex, &st->lsrc); /* partitioned: the batch's rows are all in pending */
    st->phase = 2;
    return rc;
}

/* Moves to the next pending batch: 1, or 0 when none is left. */
static int s_next_batch(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st)
{
    for (;;) {
        s_batch_free(st);
        pz_spill_close(ex, &st->lsrc);
        s_hjbatch_t *b = st->pending;
        if (b == NULL) {
            return 0;
        }
        st->pending = b->next;
        st->lsrc = b->l;
        pz_spill_file_t *r = b->r;
        int depth = b->depth;
        free(b);
        int rc = s_batch_start(ex, pn, st, r, depth);
        pz_spill_close(ex, &r);
        if (rc != 0 || st->phase == 0) {
            return rc ? rc : 1;
        }
    }
}

/* The next unmatched right row of a RIGHT/FULL join's batch. */
static bool s_right_rest(pz_pn_t *pn, s_hj_t *st, pz_datum_t **row);

static void s_out(pz_pn_t *pn, s_hj_t *st, const pz_datum_t *l, const pz_datum_t *r)
{
    pz_join_row(pn, st->out, l, r);
}

static bool s_right_rest(pz_pn_t *pn, s_hj_t *st, pz_datum_t **row)
{
    while (st->keep_right && st->rpos < st->n) {
        uint64_t i = st->rpos++;
        if (!st->matched[i]) {
            s_out(pn, st, NULL, st->rows[i]);
            *row = st->out;
            return true;
        }
    }
    return false;
}

/* Takes the batch's next left row and finds its chain: 1, or 0 at the end of the left rows. */
static int s_probe_row(pz_ex_t *ex, pz_pn_t *pn, s_hj_t *st)
{
    int rc = s_side_next(ex, pn, st, false, st->lsrc, &st->left_row);
    if (rc <= 0) {
        st->left_row = NULL;
        return rc;
    }
    st->left_matched = false;
    bool has_null, created;
    if ((rc = s_keys(ex, pn, st, pn->lkeys, st->left_row, &has_null)) != 0) {
        return rc;
    }
    st->chain = has_null ? NULL : pz_ht_find(ex, &st->ht, st->keys, pn->n_keys, false, &created);
    return 1;
}

int pz_hashjoin_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    s_hj_t *st = pn->st;
    for (;;) {
        if (st->phase == 1 && s_right_rest(pn, st, row)) {
            return 1;
        }
        if (st->phase >= 1) {
            int rc = s_next_batch(ex, pn, st);
            if (rc <= 0) {
                st->phase = 2;
                return rc;
            }
            continue;
        }
        if (st->left_row == NULL) {
            int rc = s_probe_row(ex, pn, st);
            if (rc <= 0) {
                st->phase = 1;
                if (rc < 0) {
                    return rc;
                }
                continue;
            }
        }
        while (st->chain != NULL) {
            pz_hent_t *e = st->chain;
            st->chain = e->chain;
            s_out(pn, st, st->left_row, st->rows[e->count]);
            bool ok = true;
            int rc = pn->pred ? pz_bx_test(ex, pn->pred, st->out, &ok) : 0;
            if (rc != 0) {
                return rc;
            }
            if (ok && pn->join >= PZ_JOIN_SEMI) { /* semi / anti: the first match decides */
                st->left_matched = true;
                st->chain = NULL;
                break;
            }
            if (ok) {
                st->left_matched = true;
                if (st->keep_right) {
                    st->matched[e->count] = 1;
                }
                *row = st->out;
                return 1;
            }
        }
        pz_datum_t *l = st->left_row;
        st->left_row = NULL;
        if (pz_join_semi_emits(pn->join, st->left_matched)) {
            *row = l; /* the left row alone, still valid: the probe side has not moved */
            return 1;
        }
        if (st->keep_left && !st->left_matched) {
            s_out(pn, st, l, NULL);
            *row = st->out;
            return 1;
        }
    }
}

int pz_hashjoin_open(pz_ex_t *ex, pz_pn_t *pn)
{
    s_hj_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    st->stat = pz_spill_stat(ex, pn);
    st->keep_right = pn->join == PZ_JOIN_RIGHT || pn->join == PZ_JOIN_FULL;
    /* An anti join keeps left rows without a match (NULL keys, empty partitions) as LEFT does. */
    st->keep_left =
        pn->join == PZ_JOIN_LEFT || pn->join == PZ_JOIN_FULL || pn->join == PZ_JOIN_ANTI;
    /* Both sides' columns: a semi / anti join outputs only the left ones but tests pairs. */
    st->out = pz_ex_alloc(ex, sizeof *st->out * (size_t)(pn->left->n_cols + pn->right->n_cols + 1));
    st->keys = pz_ex_alloc(ex, sizeof *st->keys * (size_t)(pn->n_keys + 1));
    st->rin = pz_ex_alloc(ex, sizeof *st->rin * (size_t)(pn->right->n_cols + 1));
    st->lin = pz_ex_alloc(ex, sizeof *st->lin * (size_t)(pn->left->n_cols + 1));
    if (st->out == NULL || st->keys == NULL || st->rin == NULL || st->lin == NULL) {
        return PZ_ENOMEM;
    }
    int rc = pz_pn_open(ex, pn->left);
    rc = rc ? rc : pz_pn_open(ex, pn->right);
    rc = rc ? rc : s_batch_start(ex, pn, st, NULL, 0);
    if (rc == 0 && st->phase == 2) {
        rc = s_next_batch(ex, pn, st); /* partitioned: start with the first partition */
        st->phase = rc == 1 ? 0 : 2;
        rc = rc < 0 ? rc : 0;
    }
    return rc;
}

void pz_hashjoin_close(pz_ex_t *ex, pz_pn_t *pn)
{
    s_hj_t *st = pn->st;
    s_batch_free(st);
    pz_spill_close(ex, &st->lsrc);
    for (int p = 0; p < PZ_SPILL_FANOUT; p++) {
        pz_spill_close(ex, &st->rparts[p]);
        pz_spill_close(ex, &st->lparts[p]);
    }
    while (st->pending != NULL) {
        s_hjbatch_t *b = st->pending;
        st->pending = b->next;
        pz_spill_close(ex, &b->r);
        pz_spill_close(ex, &b->l);
        free(b);
    }
    pz_arena_destroy(&st->lscratch);
    pz_arena_destroy(&st->rscratch);
}
