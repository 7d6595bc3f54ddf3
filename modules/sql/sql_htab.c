/*
 * sql_htab.c — a hash table of rows keyed by their leading columns (NULLs equal), for DISTINCT,
 * set operations, hash joins and aggregation. Buckets double past two entries per bucket.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sql_exec.h"

int pz_ht_init(pz_ex_t *ex, pz_htab_t *h, int nkeys)
{
    h->nb = 1024;
    h->n = 0;
    h->nkeys = nkeys;
    h->mem = NULL;
    h->b = calloc(h->nb, sizeof *h->b);
    return h->b ? 0 : pz_sql_err_set(ex->err, "53200", "out of memory");
}

int pz_ht_init_in(pz_ex_t *ex, pz_htab_t *h, int nkeys, pz_arena_t *mem, uint32_t nb)
{
    assert(mem != NULL && nb > 0 && (nb & (nb - 1)) == 0);
    h->nb = nb;
    h->n = 0;
    h->nkeys = nkeys;
    h->mem = mem;
    h->b = pz_arena_alloc(mem, sizeof *h->b * nb);
    return h->b ? 0 : pz_sql_err_set(ex->err, "53200", "out of memory");
}

void pz_ht_free(pz_htab_t *h)
{
    if (h->mem == NULL) {
        free(h->b); /* an arena's table dies with its arena */
    }
    h->b = NULL;
}

/* Bucket arrays of an arena table are left behind when it doubles: at most as much as the
 * current array, and counted in the arena's size, which is what work_mem compares. */
static void s_ht_grow(pz_htab_t *h)
{
    uint32_t nb = h->nb * 2;
    pz_hent_t **b = h->mem ? pz_arena_alloc(h->mem, sizeof *b * nb) : calloc(nb, sizeof *b);
    if (b == NULL) {
        return; /* keep the longer chains */
    }
    for (uint32_t i = 0; i < h->nb; i++) {
        for (pz_hent_t *e = h->b[i], *n; e != NULL; e = n) {
            n = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    if (h->mem == NULL) {
        free(h->b);
    }
    h->b = b;
    h->nb = nb;
}

/* An entry and a copy of row's ncols columns in one allocation of mem. */
static pz_hent_t *s_keep_in(pz_ex_t *ex, pz_arena_t *mem, const pz_datum_t *row, int ncols)
{
    pz_hent_t *e =
        pz_arena_alloc(mem, sizeof *e + sizeof *e->row * (size_t)(ncols > 0 ? ncols : 1));
    if (e != NULL) {
        e->row = (pz_datum_t *)(e + 1);
        for (int i = 0; i < ncols; i++) {
            if (pz_datum_copy(mem, &row[i], &e->row[i]) != 0) {
                e = NULL;
                break;
            }
        }
    }
    if (e == NULL) {
        pz_sql_err_set(ex->err, "53200", "out of memory");
        pz_sql_err_detail(ex->err, "The statement used more than its memory budget.");
    }
    return e;
}

/* Finds the entry equal to row (first nkeys columns); inserts a copy when absent and `add`. */
pz_hent_t *pz_ht_find(pz_ex_t *ex, pz_htab_t *h, const pz_datum_t *row, int ncols, bool add,
                      bool *created)
{
    uint64_t hv = pz_row_hash(row, h->nkeys);
    for (pz_hent_t *e = h->b[hv & (h->nb - 1)]; e != NULL; e = e->next) {
        if (e->hash == hv && pz_row_eq(e->row, row, h->nkeys)) {
            *created = false;
            return e;
        }
    }
    *created = false;
    if (!add) {
        return NULL;
    }
    pz_hent_t *e = h->mem ? s_keep_in(ex, h->mem, row, ncols) : pz_ex_alloc(ex, sizeof *e);
    if (e == NULL || (h->mem == NULL && (e->row = pz_ex_keep_row(ex, row, ncols)) == NULL)) {
        return NULL;
    }
    e->hash = hv;
    e->next = h->b[hv & (h->nb - 1)];
    h->b[hv & (h->nb - 1)] = e;
    *created = true;
    if (++h->n > (uint64_t)h->nb * 2) {
        s_ht_grow(h);
    }
    return e;
}
