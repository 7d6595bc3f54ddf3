/*
 * sql_recursive.c — WITH RECURSIVE: the RECURSIVE node runs its non-recursive arm once, then its
 * recursive arm again and again over the rows the previous round produced (the working table,
 * which WORKTABLE nodes in that arm read), until a round produces nothing new. UNION (without
 * ALL) drops rows already produced, which is what makes most recursive queries terminate. The
 * rows are bounded by the statement's memory budget (53200), not by a round count.
 */
#include <string.h>

#include "sql_exec.h"

typedef struct {
    pz_rowbuf_t result, work;
    pz_htab_t seen;
} s_rec_t;

/* Adds a row unless UNION has seen it; *added tells. */
static int s_add(pz_ex_t *ex, pz_pn_t *pn, s_rec_t *st, pz_rowbuf_t *into, const pz_datum_t *r)
{
    if (!pn->setop_all) {
        bool created = false;
        if (pz_ht_find(ex, &st->seen, r, pn->n_cols, true, &created) == NULL) {
            return PZ_ENOMEM;
        }
        if (!created) {
            return 0;
        }
    }
    int rc = pz_rowbuf_push(ex, into, r, pn->n_cols);
    return rc ? rc : pz_rowbuf_push(ex, &st->result, r, pn->n_cols);
}

static int s_round(pz_ex_t *ex, pz_pn_t *pn, pz_pn_t *arm, s_rec_t *st, pz_rowbuf_t *into)
{
    int rc = pz_pn_open(ex, arm);
    pz_datum_t *r;
    while (rc == 0 && (rc = pz_pn_next(ex, arm, &r)) == 1) {
        rc = s_add(ex, pn, st, into, r);
    }
    pz_pn_close(ex, arm);
    return rc < 0 ? rc : 0;
}

int pz_recursive_open(pz_ex_t *ex, pz_pn_t *pn)
{
    s_rec_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    int rc = pn->setop_all ? 0 : pz_ht_init(ex, &st->seen, pn->n_cols);
    rc = rc ? rc : s_round(ex, pn, pn->left, st, &st->work);
    while (rc == 0 && st->work.n > 0) {
        pz_rowbuf_t next = {0};
        rc = pz_ex_check_cancel(ex);
        rc = rc ? rc : s_round(ex, pn, pn->right, st, &next);
        st->work = next; /* the recursive arm's WORKTABLE reads the previous round's rows */
    }
    if (!pn->setop_all) {
        pz_ht_free(&st->seen);
    }
    st->result.pos = 0;
    return rc;
}

int pz_recursive_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    (void)ex;
    return pz_rowbuf_next(&((s_rec_t *)pn->st)->result, row);
}

int pz_worktable_open(pz_ex_t *ex, pz_pn_t *pn)
{
    pz_rowbuf_t *b = pz_ex_alloc(ex, sizeof *b);
    if (b == NULL) {
        return PZ_ENOMEM;
    }
    const s_rec_t *rec = pn->rec->st;
    *b = rec->work;
    b->pos = 0;
    pn->st = b;
    return 0;
}
