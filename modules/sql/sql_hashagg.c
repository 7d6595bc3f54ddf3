/*
 * sql_hashagg.c — the AGG node: hash aggregation that spills past work_mem (PostgreSQL 13's
 * HashAgg spilling, the same design).
 *
 * A batch reads its input (the child, or a spilled partition file) into a hash table of groups.
 * Groups, their keys and their aggregate states live in the batch's own arena, so the batch's
 * size is that arena's size and destroying it after the batch's groups are returned frees them
 * all (the statement arena is a bump allocator that frees nothing before the statement ends).
 * While the batch is under work_mem every new group is created. Past it, rows of groups already
 * in the table are still aggregated in place, and rows of new groups are written to one of
 * PZ_SPILL_FANOUT partition files chosen by their group key's hash; every row of a group not
 * in the table goes to the same partition, so each partition is later aggregated on its own as
 * a new batch, repartitioned on other hash bits when it is still too big. Past
 * PZ_SPILL_DEPTH_MAX levels (all keys equal cannot split) a batch stays in memory, bounded by
 * the statement budget (53200).
 *
 * Without GROUP BY there is one group, even over no rows, and nothing spills.
 */
#include <stdlib.h>
#include <string.h>

#include "sql_spill.h"

typedef struct s_group {
    pz_datum_t *keys;
    pz_agg_state_t **states;
    struct s_group *next;
} s_group_t;

typedef struct s_pending {
    pz_spill_file_t *f;
    int depth;
    struct s_pending *next;
} s_pending_t;

typedef struct {
    pz_arena_t *mem; /* the current batch: table, groups, states */
    pz_htab_t ht;
    s_group_t *first, *last, *cur;
    bool full; /* past work_mem: rows of new groups go to parts */
    int depth; /* the current batch's repartitioning level */
    pz_spill_file_t *parts[PZ_SPILL_FANOUT];
    s_pending_t *pending; /* partitions still to aggregate (malloc'd) */
    pz_arena_t *scratch;  /* one row read back from a partition */
    pz_datum_t *in;       /* that row */
    pz_datum_t *out, *keys;
    pz_spill_stat_t *stat;
} s_agg_t;

static s_group_t *s_group_new(pz_ex_t *ex, pz_pn_t *pn, s_agg_t *st, pz_datum_t *keys)
{
    s_group_t *g = pz_arena_alloc(st->mem, sizeof *g);
    pz_agg_state_t **states =
        g ? pz_arena_alloc(st->mem, sizeof *states * (size_t)(pn->n_aggs + 1)) : NULL;
    if (states == NULL) {
        pz_sql_err_set(ex->err, "53200", "out of memory");
        return NULL;
    }
    g->keys = keys;
    g->states = states;
    for (int i = 0; i < pn->n_aggs; i++) {
        if ((states[i] = pz_agg_new_in(ex, &pn->aggs[i], st->mem)) == NULL) {
            return NULL;
        }
    }
    if (st->last) {
        st->last->next = g;
    } else {
        st->first = g;
    }
    st->last = g;
    return g;
}

/* Frees the current batch: its groups' outside-the-arena state, then the arena. */
static void s_batch_free(pz_pn_t *pn, s_agg_t *st)
{
    for (s_group_t *g = st->first; g != NULL; g = g->next) {
        for (int i = 0; i < pn->n_aggs; i++) {
            pz_agg_free(g->states[i]);
        }
    }
    pz_ht_free(&st->ht);
    pz_arena_destroy(&st->mem);
    st->first = st->last = st->cur = NULL;
}

static int s_batch_new(pz_ex_t *ex, pz_pn_t *pn, s_agg_t *st, int depth)
{
    st->mem = pz_arena_new();
    if (st->mem == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    st->full = false;
    st->depth = depth;
    if (st->stat != NULL) {
        st->stat->batches++;
    }
    int rc = pz_ht_init_in(ex, &st->ht, pn->n_groups, st->mem, 1024);
    if (rc == 0 && pn->n_groups == 0 && s_group_new(ex, pn, st, NULL) == NULL) {
        return PZ_ENOMEM; /* no GROUP BY: one group, even over no rows */
    }
    return rc;
}

/* Writes row to the partition of its group key hash. */
static int s_spill_row(pz_ex_t *ex, pz_pn_t *pn, s_agg_t *st, const pz_datum_t *row)
{
    unsigned p = pz_spill_part(pz_row_hash(st->keys, pn->n_groups), st->depth);
    int rc = st->parts[p] == NULL ? pz_spill_open(ex, &st->parts[p]) : 0;
    return rc ? rc : pz_spill_put(ex, st->parts[p], row, pn->left->n_cols);
}

/* Aggregates one input row into its group, creating the group while under work_mem. */
static int s_add_row(pz_ex_t *ex, pz_pn_t *pn, s_agg_t *st, const pz_datum_t *row)
{
    s_group_t *g = st->first;
    int rc;
    for (int i = 0; i < pn->n_groups; i++) {
        if ((rc = pz_bx_eval(ex, pn->groups[i], row, &st->keys[i])) != 0) {
            return rc;
        }
    }
    if (pn->n_groups > 0) {
        bool created;
        pz_hent_t *e = pz_ht_find(ex, &st->ht, st->keys, pn->n_groups, !st->full, &created);
        if (e == NULL) {
            return st->full ? s_spill_row(ex, pn, st, row) : PZ_ENOMEM;
        }
        if (created && (e->aux = s_group_new(ex, pn, st, e->row)) == NULL) {
            return PZ_ENOMEM;
        }
        g = e->aux;
    }
    for (int i = 0; i < pn->n_aggs; i++) {
        if ((rc = pz_agg_step(ex, &pn->aggs[i], g->states[i], row)) != 0) {
            return rc;
        }
    }
    uint64_t used = pz_arena_used(st->mem);
    pz_spill_stat_mem(st->stat, used);
    if (used > pz_spill_work_mem(ex) && pn->n_groups > 0 && pz_spill_enabled(ex) &&
        st->depth < PZ_SPILL_DEPTH_MAX) {
        st->full = true;
    }
    return 0;
}

/* Ends a batch's input: its partitions become pending batches one level deeper. */
static int s_batch_input_done(pz_ex_t *ex, s_agg_t *st)
{
    for (int p = 0; p < PZ_SPILL_FANOUT; p++) {
        if (st->parts[p] == NULL) {
            continue;
        }
        s_pending_t *b = malloc(sizeof *b);
        int rc = b ? pz_spill_rewind(ex, st->parts[p]) : pz_sql_err_set(ex->err, "53200", "oom");
        if (rc != 0) {
            free(b);
            return rc;
        }
        if (st->stat != NULL) {
            st->stat->disk_bytes += pz_spill_bytes(st->parts[p]);
        }
        *b = (s_pending_t){st->parts[p], st->depth + 1, st->pending};
        st->pending = b;
        st->parts[p] = NULL;
    }
    st->cur = st->first;
    return 0;
}

/* Aggregates a spilled partition as a new batch. */
static int s_batch_from_file(pz_ex_t *ex, pz_pn_t *pn, s_agg_t *st)
{
    s_pending_t *b = st->pending;
    st->pending = b->next;
    int rc = s_batch_new(ex, pn, st, b->depth);
    pz_spill_tmp_t t = {0};
    rc = rc ? rc : pz_spill_tmp_begin(ex, NULL, &t);
    uint64_t n = 0;
    while (rc == 0 && (rc = pz_spill_scratch_reset(ex, &st->scratch)) == 0 &&
           (rc = pz_spill_get(ex, b->f, st->scratch, st->in, pn->left->n_cols)) == 1) {
        rc = s_add_row(ex, pn, st, st->in);
        rc = rc ? rc : pz_spill_tmp_next(ex, &t);
        if (rc == 0 && (++n & 4095) == 0) {
            rc = pz_ex_check_cancel(ex); /* no child rows are pulled here */
        }
    }
    pz_spill_tmp_end(ex, &t);
    pz_spill_close(ex, &b->f);
    free(b);
    return rc ? rc : s_batch_input_done(ex, st);
}

int pz_agg_open(pz_ex_t *ex, pz_pn_t *pn)
{
    s_agg_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    st->stat = pz_spill_stat(ex, pn);
    st->out = pz_ex_alloc(ex, sizeof *st->out * (size_t)(pn->n_cols + 1));
    st->keys = pz_ex_alloc(ex, sizeof *st->keys * (size_t)(pn->n_groups + 1));
    st->in = pz_ex_alloc(ex, sizeof *st->in * (size_t)(pn->left->n_cols + 1));
    int rc = st->out && st->keys && st->in ? pz_pn_open(ex, pn->left) : PZ_ENOMEM;
    rc = rc ? rc : s_batch_new(ex, pn, st, 0);
    if (rc != 0) {
        return rc;
    }
    pz_spill_tmp_t t;
    rc = pz_spill_tmp_begin(ex, pn->left, &t);
    pz_datum_t *row;
    while (rc == 0 && (rc = pz_pn_next(ex, pn->left, &row)) == 1) {
        rc = s_add_row(ex, pn, st, row);
        rc = rc ? rc : pz_spill_tmp_next(ex, &t);
    }
    pz_spill_tmp_end(ex, &t);
    return rc ? rc : s_batch_input_done(ex, st);
}

int pz_agg_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    s_agg_t *st = pn->st;
    while (st->cur == NULL) {
        s_batch_free(pn, st); /* the previous row (in this batch) is no longer needed */
        if (st->pending == NULL) {
            return 0;
        }
        int rc = s_batch_from_file(ex, pn, st);
        if (rc != 0) {
            return rc;
        }
    }
    s_group_t *g = st->cur;
    st->cur = g->next;
    for (int i = 0; i < pn->n_groups; i++) {
        st->out[i] = g->keys[i];
    }
    for (int i = 0; i < pn->n_aggs; i++) {
        int rc = pz_agg_final(ex, &pn->aggs[i], g->states[i], &st->out[pn->n_groups + i]);
        if (rc != 0) {
            return rc;
        }
    }
    *row = st->out;
    return 1;
}

void pz_agg_close(pz_ex_t *ex, pz_pn_t *pn)
{
    s_agg_t *st = pn->st;
    s_batch_free(pn, st);
    for (int p = 0; p < PZ_SPILL_FANOUT; p++) {
        pz_spill_close(ex, &st->parts[p]);
    }
    while (st->pending != NULL) {
        s_pending_t *b = st->pending;
        st->pending = b->next;
        pz_spill_close(ex, &b->f);
        free(b);
    }
    pz_arena_destroy(&st->scratch);
}
