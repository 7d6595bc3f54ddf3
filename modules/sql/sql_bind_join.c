/*
 * sql_bind_join.c — join ordering and the choice of join method, by cost (sql_cost.h).
 *
 * Inner joins (the FROM list, and INNER / CROSS JOIN trees flattened into it) are reordered:
 * dynamic programming over subsets of items, as System R and PostgreSQL's standard planner do,
 * for up to PZ_JOIN_DP_MAX items (every split of every subset, bushy trees included); greedy
 * beyond (join the pair of components whose result is smallest, as PostgreSQL's GEQO is a
 * fallback for its DP). A split is considered only when a conjunct connects its sides, unless
 * the subset has no connected split at all (a cross product then cannot be avoided).
 *
 * The size of a subset's join does not depend on the order: the product of its items' rows and
 * of the selectivities of the conjuncts inside it (an equality between items: 1 / max(ndv)).
 * For each split the cheapest method is taken:
 *   lookup join  the right side is one table whose index prefix the join keys fix: left rows in
 *                batches, one KV batch of point reads or short scans per batch
 *   merge join   both sides are single scans ordered on the keys (index order): no buffering
 *   hash join    builds the right side
 *   nested loop  no equality to key on
 * Outer joins keep their order (they are one FROM item) but get a method the same way, and so
 * do semi / anti joins (decorrelated subqueries, sql_bind_semi.c; never merge joins).
 */
#include <assert.h>
#include <string.h>

#include "sql_bind_int.h"
#include "sql_cost.h"

enum { S_HASH, S_NL, S_LOOKUP, S_MERGE };

/* A join candidate: the index a lookup join reads (k leading columns fixed), the keys a merge
 * join orders on. key_of[p] is the key (index into the key arrays) for index column p. */
typedef struct {
    int method;
    double cost;
    const pz_cat_index_t *ix; /* LOOKUP: NULL primary */
    int n_fixed;              /* LOOKUP: index columns fixed; MERGE: merge keys */
    int key_of[PZ_CAT_INDEX_COLS_MAX];
} s_choice_t;

/* The column an expression reads, through casts; -1 for anything else. */
static int s_key_col(const pz_bx_t *x)
{
    while (x->kind == PZ_BX_CAST && x->n_args == 1) {
        x = x->args[0];
    }
    return x->kind == PZ_BX_COL ? x->idx : -1;
}

/* The SCAN under a scan-or-filtered-scan plan, else NULL. */
static const pz_pn_t *s_base_scan(const pz_pn_t *pn)
{
    if (pn->kind == PZ_PN_FILTER && pn->left != NULL && pn->left->kind == PZ_PN_SCAN) {
        return pn->left;
    }
    return pn->kind == PZ_PN_SCAN ? pn : NULL;
}

/* The index of table scan whose longest prefix the keys fix (rcol[k]: the right-side column of
 * key k, -1 when not a column). */
static bool s_lookup_index(const pz_pn_t *scan, const int *rcol, int nk, s_choice_t *ch)
{
    const pz_cat_desc_t *d = &scan->table->d;
    int best = 0;
    for (uint32_t i = 0; i < d->indexes_len; i++) {
        const pz_cat_index_t *ix = &d->indexes[i];
        int keys[PZ_CAT_INDEX_COLS_MAX], k = 0;
        for (; k < (int)ix->cols_len; k++) {
            int tc = pz_cat_col_index(d, ix->cols[k].col), found = -1;
            for (int j = 0; j < nk && found < 0; j++) {
                found = rcol[j] == tc ? j : -1;
            }
            if (found < 0) {
                break;
            }
            keys[k] = found;
        }
        /* A full unique key beats a longer prefix of a non-unique index. */
        int score = k * 2 + (ix->unique && k == (int)ix->cols_len ? 100 : 0);
        if (k > 0 && score > best) {
            best = score;
            ch->ix = i == 0 ? NULL : ix;
            ch->n_fixed = k;
            memcpy(ch->key_of, keys, sizeof keys[0] * (size_t)k);
        }
    }
    return best > 0;
}

/* Key types a merge join compares the way the index orders them. */
static bool s_merge_type_ok(pz_ty_t t)
{
    switch (t) {
    case PZ_TY_INT2:
    case PZ_TY_INT4:
    case PZ_TY_INT8:
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_DATE:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
    case PZ_TY_BOOL:
        return true;
    default:
        return false;
    }
}

static bool s_int(pz_ty_t t)
{
    return t == PZ_TY_INT2 || t == PZ_TY_INT4 || t == PZ_TY_INT8;
}

/* Whether both scans come ordered on a prefix of the keys: their indexes' leading columns,
 * ascending, pairwise keys. lcol/rcol: each key's column on either side. */
static bool s_merge_keys(const pz_pn_t *ls, const pz_pn_t *rs, const int *lcol, const int *rcol,
                         pz_bx_t **lk, int nk, s_choice_t *ch)
{
    if (ls->reverse || rs->reverse || ls->scan_limit >= 0 || rs->scan_limit >= 0) {
        return false;
    }
    const pz_cat_index_t *li = ls->index ? ls->index : &ls->table->d.indexes[0];
    const pz_cat_index_t *ri = rs->index ? rs->index : &rs->table->d.indexes[0];
    int m = 0;
    for (; m < (int)li->cols_len && m < (int)ri->cols_len; m++) {
        if (li->cols[m].desc || ri->cols[m].desc) {
            break;
        }
        int lt = pz_cat_col_index(&ls->table->d, li->cols[m].col);
        int rt = pz_cat_col_index(&rs->table->d, ri->cols[m].col), key = -1;
        for (int j = 0; j < nk && key < 0; j++) {
            key = lcol[j] == lt && rcol[j] == rt ? j : -1;
        }
        if (key < 0) {
            break;
        }
        pz_ty_t a = ls->types[lt].id, c = rs->types[rt].id, k = lk[key]->type.id;
        if (!s_merge_type_ok(a) || !(a == c || (s_int(a) && s_int(c))) ||
            !(k == a || (s_int(a) && s_int(k)))) {
            break;
        }
        ch->key_of[m] = key;
    }
    ch->n_fixed = m;
    return m > 0;
}

/* Rows one lookup fetches: the right table's rows a fixed index prefix selects. */
static double s_lookup_fetch(const pz_pn_t *scan, const s_choice_t *ch)
{
    const pz_cat_desc_t *d = &scan->table->d;
    const pz_cat_index_t *ix = ch->ix ? ch->ix : &d->indexes[0];
    if (ix->unique && ch->n_fixed == (int)ix->cols_len) {
        return 1;
    }
    double rows = scan->table_rows;
    for (int k = 0; k < ch->n_fixed; k++) {
        int tc = pz_cat_col_index(d, ix->cols[k].col);
        rows *= pz_cost_eq_sel(pz_cost_ndv(scan, tc), pz_cost_null_frac(scan, tc));
    }
    return rows;
}

/* The cheapest method for joining sides of (rows, cost) with keys. lp / rp may be NULL when a
 * side is not a single plan yet (the DP's multi-item subsets): then only hash / NL apply on
 * that account. lcol/rcol: each key's column on either side (-1: not a plain column). */
static void s_choose(const pz_pn_t *lp, double lrows, double lcost, const pz_pn_t *rp, double rrows,
                     double rcost, double out_rows, uint8_t join, pz_bx_t **lk, const int *lcol,
                     const int *rcol, int nk, s_choice_t *best)
{
    double out = out_rows * PZ_COST_OUT_ROW;
    best->method = nk > 0 ? S_HASH : S_NL;
    best->cost =
        nk > 0 ? lcost + rcost + lrows * PZ_COST_HASH_PROBE + rrows * PZ_COST_HASH_BUILD + out
               : lcost + rcost + rrows * PZ_COST_HASH_BUILD + lrows * rrows * PZ_COST_NL_PAIR + out;
    const pz_pn_t *rs = rp ? s_base_scan(rp) : NULL, *ls = lp ? s_base_scan(lp) : NULL;
    s_choice_t c;
    if (nk > 0 && rs != NULL && join != PZ_JOIN_RIGHT && join != PZ_JOIN_FULL &&
        s_lookup_index(rs, rcol, nk, &c)) {
        double fetched = lrows * s_lookup_fetch(rs, &c);
        double batches = (1.0 + lrows / PZ_LOOKUP_BATCH_ROWS) * (c.ix ? 2 : 1);
        c.cost = lcost + batches * PZ_COST_KV_BATCH + lrows * (PZ_COST_MERGE_ROW + PZ_COST_SEEK) +
                 fetched * (1 + (c.ix ? PZ_COST_LOOKUP_ROW : 0)) + out;
        c.method = S_LOOKUP;
        if (c.cost < best->cost) {
            *best = c;
        }
    }
    if (nk > 0 && rs != NULL && ls != NULL && join < PZ_JOIN_SEMI &&
        s_merge_keys(ls, rs, lcol, rcol, lk, nk, &c)) {
        c.cost = lcost + rcost + (lrows + rrows) * PZ_COST_MERGE_ROW + out;
        c.method = S_MERGE;
        if (c.cost < best->cost) {
            *best = c;
        }
    }
}

static pz_bx_t *s_and2(pz_binder_t *b, pz_bx_t *x, pz_bx_t *y)
{
    if (x == NULL || y == NULL) {
        return x ? x : y;
    }
    pz_bx_t *a = pz__bx_new(b, PZ_BX_AND, PZ_SQL_TYPE(PZ_TY_BOOL));
    if (a != NULL && (a->args = pz__bind_alloc(b, sizeof *a->args * 2)) != NULL) {
        a->args[0] = x;
        a->args[1] = y;
        a->n_args = 2;
        return a;
    }
    return NULL;
}

pz_pn_t *pz__join_shell(pz_binder_t *b, uint8_t kind, pz_pn_t *l, pz_pn_t *r, uint8_t join)
{
    pz_pn_t *j = pz__pn_new(b, kind, l->n_cols + r->n_cols);
    if (j == NULL) {
        return NULL;
    }
    j->left = l;
    j->right = r;
    j->join = join;
    memcpy(j->types, l->types, sizeof *j->types * (size_t)l->n_cols);
    memcpy(j->names, l->names, sizeof *j->names * (size_t)l->n_cols);
    memcpy(j->types + l->n_cols, r->types, sizeof *j->types * (size_t)r->n_cols);
    memcpy(j->names + l->n_cols, r->names, sizeof *j->names * (size_t)r->n_cols);
    if (join == PZ_JOIN_SEMI || join == PZ_JOIN_ANTI) {
        j->n_cols = l->n_cols; /* the left row alone; its predicate still sees both */
    }
    return j;
}

/* Builds the node a choice names. pred: the residual over l ++ r, key equalities excluded. */
static pz_pn_t *s_build(pz_binder_t *b, const s_choice_t *ch, pz_pn_t *l, pz_pn_t *r, uint8_t join,
                        pz_bx_t **lk, pz_bx_t **rk, int nk, pz_bx_t *pred, pz_bx_t *key_eqs)
{
    pz_pn_t *j;
    if (ch->method == S_LOOKUP) {
        /* The right scan is read by the join, never opened: its own filter joins the
         * residual, and the key equalities stay there too (the lookup casts each key to
         * its index column's type, which must not decide a match on its own). */
        pz_pn_t *scan = (pz_pn_t *)s_base_scan(r);
        pz_bx_t *local = r->kind == PZ_PN_FILTER ? pz__bx_shift(b, r->pred, -l->n_cols) : NULL;
        if ((j = pz__join_shell(b, PZ_PN_LOOKUPJOIN, l, scan, join)) == NULL ||
            (r->kind == PZ_PN_FILTER && local == NULL) ||
            (j->lkeys = pz__bind_alloc(b, sizeof *j->lkeys * (size_t)ch->n_fixed)) == NULL) {
            return NULL;
        }
        scan->index = ch->ix;
        scan->has_span = false;
        for (int k = 0; k < ch->n_fixed; k++) {
            j->lkeys[k] = lk[ch->key_of[k]];
        }
        j->n_keys = ch->n_fixed;
        j->pred = s_and2(b, s_and2(b, pred, key_eqs), local);
        return j;
    }
    if ((j = pz__join_shell(b,
                            ch->method == S_NL     ? PZ_PN_NLJOIN
                            : ch->method == S_HASH ? PZ_PN_HASHJOIN
                                                   : PZ_PN_MERGEJOIN,
                            l, r, join)) == NULL) {
        return NULL;
    }
    j->pred = pred;
    if (ch->method == S_HASH) {
        j->lkeys = lk;
        j->rkeys = rk;
        j->n_keys = nk;
    } else if (ch->method == S_MERGE) {
        /* The merge keys in index order; the other equalities are checked as a residual. */
        j->lkeys = pz__bind_alloc(b, sizeof *j->lkeys * (size_t)ch->n_fixed);
        j->rkeys = pz__bind_alloc(b, sizeof *j->rkeys * (size_t)ch->n_fixed);
        if (j->lkeys == NULL || j->rkeys == NULL) {
            return NULL;
        }
        bool used[PZ_CAT_INDEX_COLS_MAX + 32] = {0};
        for (int k = 0; k < ch->n_fixed; k++) {
            j->lkeys[k] = lk[ch->key_of[k]];
            j->rkeys[k] = rk[ch->key_of[k]];
            used[ch->key_of[k]] = true;
        }
        j->n_keys = ch->n_fixed;
        for (int k = 0; k < nk; k++) {
            if (!used[k]) {
                j->pred = s_and2(b, j->pred,
                                 key_eqs->kind == PZ_BX_AND && nk > 1 ? key_eqs->args[k] : key_eqs);
            }
        }
    }
    return j;
}

/* key_eqs for s_build: the key equalities as one conjunction, in key order (lookup and merge
 * joins check some or all of them as a residual). */
static pz_bx_t *s_key_eqs(pz_binder_t *b, pz_bx_t **eqs, int nk)
{
    if (nk <= 1) {
        return nk ? eqs[0] : NULL;
    }
    pz_bx_t *a = pz__bx_new(b, PZ_BX_AND, PZ_SQL_TYPE(PZ_TY_BOOL));
    if (a != NULL) {
        a->args = eqs;
        a->n_args = nk;
    }
    return a;
}

/* An equality of two expressions, over one row, as the binder resolved them. */
static pz_bx_t *s_eq_of(pz_binder_t *b, const pz_bx_t *proto, pz_bx_t *l, pz_bx_t *r)
{
    pz_bx_t *x = pz__bx_new(b, PZ_BX_FUNC, proto->type);
    if (x == NULL || (x->args = pz__bind_alloc(b, sizeof *x->args * 2)) == NULL) {
        return NULL;
    }
    x->fn = proto->fn;
    x->n_args = 2;
    x->args[0] = l;
    x->args[1] = r;
    return x;
}

pz_pn_t *pz__join_node(pz_binder_t *b, pz_pn_t *l, pz_pn_t *r, uint8_t join, pz_bx_t **lk,
                       pz_bx_t **rk, int nk, pz_bx_t *pred)
{
    int lcol[32], rcol[32];
    pz_bx_t *eqs[32];
    assert(nk <= 32);
    for (int k = 0; k < nk; k++) {
        lcol[k] = s_key_col(lk[k]);
        rcol[k] = s_key_col(rk[k]);
    }
    double out = l->est_rows * r->est_rows;
    if (nk > 0) {
        double nl = lcol[0] >= 0 ? pz_cost_ndv(l, lcol[0]) : l->est_rows;
        double nr = rcol[0] >= 0 ? pz_cost_ndv(r, rcol[0]) : r->est_rows;
        out = join >= PZ_JOIN_SEMI ? pz_cost_semi_rows(l->est_rows, nl, nr, join == PZ_JOIN_ANTI)
                                   : pz_cost_join_rows(l->est_rows, r->est_rows, nl, nr);
    }
    if (join == PZ_JOIN_LEFT || join == PZ_JOIN_FULL) {
        out = out < l->est_rows ? l->est_rows : out;
    }
    if (join == PZ_JOIN_RIGHT || join == PZ_JOIN_FULL) {
        out = out < r->est_rows ? r->est_rows : out;
    }
    s_choice_t ch;
    s_choose(l, l->est_rows, l->est_cost, r, r->est_rows, r->est_cost, out, join, lk, lcol, rcol,
             nk, &ch);
    pz_bx_t *key_eqs = NULL;
    if (ch.method == S_LOOKUP || ch.method == S_MERGE) {
        /* The equalities over the joined row: the right keys shifted past the left columns. */
        for (int k = 0; k < nk; k++) {
            pz_bx_t *rs = pz__bx_shift(b, rk[k], -l->n_cols);
            const pz_sql_fndef_t *fn = NULL;
            pz_sql_type_t argt[2] = {lk[k]->type, rk[k]->type}, cast_to[2], ret;
            int rc = pz_sql_fn_resolve("=", true, 2, argt, &fn, cast_to, &ret, b->ex->err);
            pz_bx_t proto = {.type = ret, .fn = fn};
            if (rc != 0 || rs == NULL || (eqs[k] = s_eq_of(b, &proto, lk[k], rs)) == NULL) {
                ch.method = nk ? S_HASH : S_NL; /* cannot restate: fall back to hashing */
                pz_sql_err_clear(b->ex->err);
                break;
            }
        }
        if (ch.method == S_LOOKUP || ch.method == S_MERGE) {
            pz_bx_t **keep = pz__bind_alloc(b, sizeof *keep * (size_t)(nk + 1));
            if (keep == NULL) {
                return NULL;
            }
            memcpy(keep, eqs, sizeof *keep * (size_t)nk);
            key_eqs = s_key_eqs(b, keep, nk);
        }
    }
    pz_pn_t *j = s_build(b, &ch, l, r, join, lk, rk, nk, pred, key_eqs);
    if (j != NULL) {
        j->est_rows = out < 1 ? 1 : out;
        j->est_cost = ch.cost;
    }
    return j;
}

/* ---- ordering ----------------------------------------------------------------------------- */

typedef struct {
    uint64_t mask, lmask; /* lmask 0: a single item */
    double rows, cost;
} s_ent_t;

typedef struct {
    pz_binder_t *b;
    pz_jitem_t *items;
    int n, ncols;
    int *col_item; /* FROM-row column → item */
    pz_bx_t **cj;
    int n_cj;
    uint64_t *cmask, *amask, *bmask; /* a conjunct's items; an equality's sides' items */
    double *csel;
    s_ent_t *tab; /* open addressing by mask */
    uint32_t cap;
} s_ctx_t;

static uint64_t s_mask(const s_ctx_t *c, const pz_bx_t *x)
{
    uint64_t m = x->kind == PZ_BX_COL && x->idx >= 0 && x->idx < c->ncols
                     ? (uint64_t)1 << c->col_item[x->idx]
                     : 0;
    for (int i = 0; i < x->n_args; i++) {
        m |= s_mask(c, x->args[i]);
    }
    return m;
}

static s_ent_t *s_ent(s_ctx_t *c, uint64_t mask, bool add)
{
    uint32_t h = (uint32_t)((mask * 0x9e3779b97f4a7c15ull) >> 40) & (c->cap - 1);
    for (uint32_t i = 0; i < c->cap; i++, h = (h + 1) & (c->cap - 1)) {
        if (c->tab[h].mask == mask) {
            return &c->tab[h];
        }
        if (c->tab[h].mask == 0) {
            if (!add) {
                return NULL;
            }
            c->tab[h].mask = mask;
            return &c->tab[h];
        }
    }
    return NULL;
}

static bool s_is_eq(const pz_bx_t *x)
{
    return x->kind == PZ_BX_FUNC && x->fn != NULL && (x->fn->flags & PZ_FN_OPERATOR) &&
           strcmp(x->fn->name, "=") == 0 && x->n_args == 2;
}

static int s_single(uint64_t m)
{
    return m != 0 && (m & (m - 1)) == 0 ? __builtin_ctzll(m) : -1;
}

static double s_rows(const s_ctx_t *c, uint64_t s)
{
    double r = 1;
    for (int i = 0; i < c->n; i++) {
        r *= s & ((uint64_t)1 << i) ? c->items[i].plan->est_rows : 1;
    }
    for (int i = 0; i < c->n_cj; i++) {
        if ((c->cmask[i] & ~s) == 0 && s_single(c->cmask[i]) < 0) {
            r *= c->csel[i];
        }
    }
    return r < 1 ? 1 : r;
}

/* The keys of joining l and r inside s: conjunct numbers, with each side's expression. */
static int s_keys(const s_ctx_t *c, uint64_t l, uint64_t r, int *which, pz_bx_t **lx, pz_bx_t **rx)
{
    int nk = 0;
    for (int i = 0; i < c->n_cj && nk < 32; i++) {
        uint64_t m = c->cmask[i];
        if ((m & ~(l | r)) != 0 || (m & ~l) == 0 || (m & ~r) == 0 || c->amask[i] == 0) {
            continue;
        }
        bool fwd = (c->amask[i] & ~l) == 0 && (c->bmask[i] & ~r) == 0;
        bool back = (c->amask[i] & ~r) == 0 && (c->bmask[i] & ~l) == 0;
        if (fwd || back) {
            which[nk] = i;
            lx[nk] = c->cj[i]->args[fwd ? 0 : 1];
            rx[nk++] = c->cj[i]->args[fwd ? 1 : 0];
        }
    }
    return nk;
}

/* The choice for joining l (left) and r; local columns of single-item sides. */
static void s_eval(s_ctx_t *c, uint64_t l, uint64_t r, s_choice_t *ch)
{
    int which[32], lcol[32], rcol[32];
    pz_bx_t *lx[32], *rx[32];
    int nk = s_keys(c, l, r, which, lx, rx);
    int li = s_single(l), ri = s_single(r);
    for (int k = 0; k < nk; k++) {
        int a = s_key_col(lx[k]), d = s_key_col(rx[k]);
        lcol[k] = li >= 0 && a >= 0 ? a - c->items[li].off : -1;
        rcol[k] = ri >= 0 && d >= 0 ? d - c->items[ri].off : -1;
    }
    const s_ent_t *le = s_ent(c, l, false), *re = s_ent(c, r, false);
    s_choose(li >= 0 ? c->items[li].plan : NULL, le->rows, le->cost,
             ri >= 0 ? c->items[ri].plan : NULL, re->rows, re->cost, s_rows(c, l | r),
             PZ_JOIN_INNER, lx, lcol, rcol, nk, ch);
}

static bool s_connected(const s_ctx_t *c, uint64_t l, uint64_t r)
{
    for (int i = 0; i < c->n_cj; i++) {
        uint64_t m = c->cmask[i];
        if ((m & ~(l | r)) == 0 && (m & l) && (m & r)) {
            return true;
        }
    }
    return false;
}

/* Considers joining l and r as the plan of l | r. */
static void s_try(s_ctx_t *c, uint64_t l, uint64_t r)
{
    s_choice_t ch;
    s_eval(c, l, r, &ch);
    s_ent_t *e = s_ent(c, l | r, true);
    if (e != NULL && (e->lmask == 0 || ch.cost < e->cost)) {
        e->lmask = l;
        e->cost = ch.cost;
        e->rows = s_rows(c, l | r);
    }
}

/* Whether the conjuncts connect every item (then no cross product is ever needed). */
static bool s_graph_connected(const s_ctx_t *c)
{
    uint64_t all = ((uint64_t)1 << c->n) - 1, seen = 1;
    for (bool grew = true; grew;) {
        grew = false;
        for (int i = 0; i < c->n_cj; i++) {
            uint64_t m = c->cmask[i];
            if ((m & seen) && (m & ~seen)) {
                seen |= m;
                grew = true;
            }
        }
    }
    return seen == all;
}

static void s_dp(s_ctx_t *c)
{
    uint64_t all = ((uint64_t)1 << c->n) - 1;
    /* A connected query never builds a cross product, not even inside a subset: subsets the
     * conjuncts do not connect get no plan. A disconnected one falls back to any split. */
    int passes = s_graph_connected(c) ? 1 : 2;
    for (uint64_t s = 1; s <= all; s++) {
        if (s_single(s) >= 0) {
            continue;
        }
        bool any = false;
        for (int pass = 0; pass < passes && !any; pass++) {
            for (uint64_t l = (s - 1) & s; l != 0; l = (l - 1) & s) {
                uint64_t r = s ^ l;
                if (s_ent(c, l, false) == NULL || s_ent(c, r, false) == NULL) {
                    continue;
                }
                if (pass == 0 && !s_connected(c, l, r)) {
                    continue;
                }
                s_try(c, l, r);
                any = true;
            }
        }
    }
}

/* Greedy: repeatedly joins the two components (connected ones first) whose join is cheapest. */
static void s_greedy(s_ctx_t *c)
{
    uint64_t comp[64];
    int k = c->n;
    for (int i = 0; i < k; i++) {
        comp[i] = (uint64_t)1 << i;
    }
    while (k > 1) {
        int bi = -1, bj = -1;
        double best = 0;
        for (int pass = 0; pass < 2 && bi < 0; pass++) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    if (i == j || (pass == 0 && !s_connected(c, comp[i], comp[j]))) {
                        continue;
                    }
                    s_choice_t ch;
                    s_eval(c, comp[i], comp[j], &ch);
                    if (bi < 0 || ch.cost < best) {
                        best = ch.cost;
                        bi = i;
                        bj = j;
                    }
                }
            }
        }
        s_try(c, comp[bi], comp[bj]);
        comp[bi] |= comp[bj];
        comp[bj] = comp[--k];
    }
}

/* ---- building the chosen plan ------------------------------------------------------------- */

/* A copy of x with each column c read at map[c]. */
static pz_bx_t *s_remap(pz_binder_t *b, const pz_bx_t *x, const int *map)
{
    pz_bx_t *y = pz__bind_alloc(b, sizeof *y);
    if (y == NULL) {
        return NULL;
    }
    *y = *x;
    if (y->kind == PZ_BX_COL) {
        y->idx = map[x->idx];
        assert(y->idx >= 0);
    }
    if (x->n_args > 0) {
        if ((y->args = pz__bind_alloc(b, sizeof *y->args * (size_t)x->n_args)) == NULL) {
            return NULL;
        }
        for (int i = 0; i < x->n_args; i++) {
            if ((y->args[i] = s_remap(b, x->args[i], map)) == NULL) {
                return NULL;
            }
        }
    }
    return y;
}

/* map[FROM-row column] = position in a plan whose items are `order` (unset: -1). */
static int *s_map(const s_ctx_t *c, const int *order, int n)
{
    int *map = pz__bind_alloc(c->b, sizeof *map * (size_t)(c->ncols + 1));
    if (map == NULL) {
        return NULL;
    }
    for (int i = 0; i < c->ncols; i++) {
        map[i] = -1;
    }
    int pos = 0;
    for (int k = 0; k < n; k++) {
        const pz_jitem_t *it = &c->items[order[k]];
        for (int j = 0; j < it->plan->n_cols; j++) {
            map[it->off + j] = pos++;
        }
    }
    return map;
}

typedef struct {
    pz_pn_t *plan;
    int *order; /* the items, in column order */
    int n;
} s_built_t;

static int s_materialize(s_ctx_t *c, uint64_t s, s_built_t *out);

/* The conjuncts of the join of l and r: keys (remapped to each side) and the residual. */
static int s_join_at(s_ctx_t *c, uint64_t l, uint64_t r, const s_built_t *lb, const s_built_t *rb,
                     s_built_t *out)
{
    pz_binder_t *b = c->b;
    int *lmap = s_map(c, lb->order, lb->n), *rmap = s_map(c, rb->order, rb->n);
    int *smap = s_map(c, out->order, out->n);
    pz_bx_t **lk = pz__bind_alloc(b, sizeof *lk * 33), **rk = pz__bind_alloc(b, sizeof *rk * 33);
    pz_bx_t **eqs = pz__bind_alloc(b, sizeof *eqs * 33), *pred = NULL, *lx[32], *rx[32];
    if (!lmap || !rmap || !smap || !lk || !rk || !eqs) {
        return PZ_ENOMEM;
    }
    int which[32], nk = s_keys(c, l, r, which, lx, rx);
    bool *is_key = pz__bind_alloc(b, (size_t)c->n_cj + 1); /* zeroed */
    if (is_key == NULL) {
        return PZ_ENOMEM;
    }
    for (int k = 0; k < nk; k++) {
        lk[k] = s_remap(b, lx[k], lmap);
        rk[k] = s_remap(b, rx[k], rmap);
        eqs[k] = s_remap(b, c->cj[which[k]], smap);
        if (!lk[k] || !rk[k] || !eqs[k]) {
            return PZ_ENOMEM;
        }
        is_key[which[k]] = true;
    }
    for (int i = 0; i < c->n_cj; i++) {
        uint64_t m = c->cmask[i];
        if (is_key[i] || (m & ~(l | r)) != 0 || (m & ~l) == 0 || (m & ~r) == 0) {
            continue;
        }
        pz_bx_t *x = s_remap(b, c->cj[i], smap);
        if (x == NULL || (pred = s_and2(b, pred, x)) == NULL) {
            return PZ_ENOMEM;
        }
    }
    s_choice_t ch;
    s_eval(c, l, r, &ch);
    out->plan =
        s_build(b, &ch, lb->plan, rb->plan, PZ_JOIN_INNER, lk, rk, nk, pred, s_key_eqs(b, eqs, nk));
    if (out->plan == NULL) {
        return PZ_ENOMEM;
    }
    const s_ent_t *e = s_ent(c, l | r, false);
    out->plan->est_rows = e->rows;
    out->plan->est_cost = e->cost;
    return 0;
}

static int s_materialize(s_ctx_t *c, uint64_t s, s_built_t *out)
{
    int one = s_single(s);
    out->order = pz__bind_alloc(c->b, sizeof *out->order * (size_t)(c->n + 1));
    if (out->order == NULL) {
        return PZ_ENOMEM;
    }
    if (one >= 0) {
        out->plan = c->items[one].plan;
        out->order[0] = one;
        out->n = 1;
        return 0;
    }
    const s_ent_t *e = s_ent(c, s, false);
    assert(e != NULL && e->lmask != 0);
    uint64_t l = e->lmask, r = s ^ l;
    s_built_t lb, rb;
    int rc = s_materialize(c, l, &lb);
    rc = rc ? rc : s_materialize(c, r, &rb);
    if (rc != 0) {
        return rc;
    }
    memcpy(out->order, lb.order, sizeof *out->order * (size_t)lb.n);
    memcpy(out->order + lb.n, rb.order, sizeof *out->order * (size_t)rb.n);
    out->n = lb.n + rb.n;
    return s_join_at(c, l, r, &lb, &rb, out);
}

/* Restores the FROM clause's column order over a reordered plan. */
static pz_pn_t *s_restore(s_ctx_t *c, const s_built_t *bt)
{
    bool same = true;
    for (int k = 0; k < bt->n; k++) {
        same &= bt->order[k] == k;
    }
    if (same) {
        return bt->plan;
    }
    int *map = s_map(c, bt->order, bt->n);
    pz_pn_t *p = pz__pn_new(c->b, PZ_PN_PROJECT, c->ncols);
    if (map == NULL || p == NULL ||
        (p->exprs = pz__bind_alloc(c->b, sizeof *p->exprs * (size_t)c->ncols)) == NULL) {
        return NULL;
    }
    p->left = bt->plan;
    p->n_exprs = c->ncols;
    for (int i = 0; i < c->ncols; i++) {
        p->types[i] = bt->plan->types[map[i]];
        p->names[i] = bt->plan->names[map[i]];
        if ((p->exprs[i] = pz__bx_new(c->b, PZ_BX_COL, p->types[i])) == NULL) {
            return NULL;
        }
        p->exprs[i]->idx = map[i];
    }
    p->est_rows = bt->plan->est_rows;
    p->est_cost = bt->plan->est_cost;
    return p;
}

static int s_ctx_init(s_ctx_t *c, pz_binder_t *b, pz_jitem_t *items, int n, pz_bx_t **cj, int n_cj)
{
    *c = (s_ctx_t){.b = b, .items = items, .n = n, .cj = cj, .n_cj = n_cj};
    for (int i = 0; i < n; i++) {
        c->ncols += items[i].plan->n_cols;
    }
    c->cap = 16;
    while (c->cap < (n <= PZ_JOIN_DP_MAX ? 4u << n : 8u * (uint32_t)n)) {
        c->cap *= 2;
    }
    c->col_item = pz__bind_alloc(b, sizeof *c->col_item * (size_t)(c->ncols + 1));
    c->cmask = pz__bind_alloc(b, sizeof *c->cmask * (size_t)(n_cj + 1));
    c->amask = pz__bind_alloc(b, sizeof *c->amask * (size_t)(n_cj + 1));
    c->bmask = pz__bind_alloc(b, sizeof *c->bmask * (size_t)(n_cj + 1));
    c->csel = pz__bind_alloc(b, sizeof *c->csel * (size_t)(n_cj + 1));
    c->tab = pz__bind_alloc(b, sizeof *c->tab * c->cap);
    if (!c->col_item || !c->cmask || !c->amask || !c->bmask || !c->csel || !c->tab) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < items[i].plan->n_cols; j++) {
            c->col_item[items[i].off + j] = i;
        }
        s_ent_t *e = s_ent(c, (uint64_t)1 << i, true);
        e->rows = items[i].plan->est_rows;
        e->cost = items[i].plan->est_cost;
    }
    return 0;
}

/* What each conjunct joins and how much it keeps. */
static void s_ctx_conjuncts(s_ctx_t *c)
{
    for (int i = 0; i < c->n_cj; i++) {
        const pz_bx_t *x = c->cj[i];
        c->cmask[i] = s_mask(c, x);
        c->csel[i] = PZ_COST_DEFAULT_INEQ_SEL;
        if (!s_is_eq(x)) {
            continue;
        }
        uint64_t a = s_mask(c, x->args[0]), d = s_mask(c, x->args[1]);
        if (a == 0 || d == 0 || (a & d) != 0) {
            continue;
        }
        c->amask[i] = a;
        c->bmask[i] = d;
        int ca = s_key_col(x->args[0]), cb = s_key_col(x->args[1]);
        int ia = s_single(a), ib = s_single(d);
        if (ca >= 0 && cb >= 0 && ia >= 0 && ib >= 0) {
            double na = pz_cost_ndv(c->items[ia].plan, ca - c->items[ia].off);
            double nb = pz_cost_ndv(c->items[ib].plan, cb - c->items[ib].off);
            c->csel[i] = 1.0 / (na > nb ? na : nb);
        } else {
            c->csel[i] = PZ_COST_DEFAULT_EQ_SEL;
        }
    }
}

int pz__join_plan(pz_binder_t *b, pz_jitem_t *items, int n, pz_bx_t **cj, int n_cj, pz_pn_t **out)
{
    assert(n >= 2 && n <= 64);
    s_ctx_t c;
    int rc = s_ctx_init(&c, b, items, n, cj, n_cj);
    if (rc != 0) {
        return rc;
    }
    s_ctx_conjuncts(&c);
    if (n <= PZ_JOIN_DP_MAX) {
        s_dp(&c);
    } else {
        s_greedy(&c);
    }
    s_built_t bt;
    uint64_t all = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
    rc = s_materialize(&c, all, &bt);
    if (rc != 0) {
        return rc;
    }
    *out = s_restore(&c, &bt);
    return *out ? 0 : PZ_ENOMEM;
}
