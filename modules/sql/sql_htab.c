/*
 * sql_htab.c — a hash table of rows keyed by their leading columns (NULLs equal), for DISTINCT,
 * set operations, hash joins and aggregation. Buckets double past two entries per bucket.
 */
#include <stdlib.h>
#include <string.h>

#include "sql_exec.h"

int pz_ht_init(pz_ex_t *ex, pz_htab_t *h, int nkeys)
{
    h->nb = 1024;
    h->n = 0;
    h->nkeys = nkeys;
    h->b = calloc(h->nb, sizeof *h->b);
    return h->b ? 0 : pz_sql_err_set(ex->err, "53200", "out of memory");
}

void pz_ht_free(pz_htab_t *h)
{
    free(h->b);
    h->b = NULL;
}

static void s_ht_grow(pz_htab_t *h)
{
    uint32_t nb = h->nb * 2;
    pz_hent_t **b = calloc(nb, sizeof *b);
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
    free(h->b);
    h->b = b;
    h->nb = nb;
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
    pz_hent_t *e = pz_ex_alloc(ex, sizeof *e);
    if (e == NULL || (e->row = pz_ex_keep_row(ex, row, ncols)) == NULL) {
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
