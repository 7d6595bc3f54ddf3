/*
 * sql_bind_semi.c — subquery decorrelation: WHERE conjuncts that are simple EXISTS / IN
 * subqueries become semi joins, NOT EXISTS / NOT IN anti joins (PostgreSQL's
 * pull_up_sublinks, in its simple form).
 *
 * Without this, a correlated subquery runs once per outer row (a KV round trip each), and an
 * uncorrelated IN compares each outer row with the whole cached list. A semi join reads the
 * subquery's table once (hash) or in batches keyed by the outer rows (lookup), and stops at a
 * row's first match so duplicates on the inner side never repeat an outer row.
 *
 * The forms taken, each a conjunct at the top level of WHERE:
 *   [NOT] EXISTS (SELECT <constants / columns> FROM <one table or subquery>
 *                 WHERE <local conjuncts> AND <inner expr> = <outer expr> AND ...)
 *   x [NOT] IN (SELECT <column> FROM <one item> WHERE <the same>)   (correlated or not)
 * EXISTS needs at least one correlating equality (an uncorrelated EXISTS runs once already).
 * Correlated conjuncts that are not such equalities join the semi join's residual predicate.
 * NOT IN is taken only when x and the column are proved non-NULL (NOT NULL columns of plain
 * table scans): otherwise SQL's NULL rule (x NOT IN a set holding NULL is never true) is not an
 * anti join's, and the subplan keeps it. Everything else — aggregates, GROUP BY, LIMIT, set
 * operations, several FROM items, subqueries under OR, nested subqueries — stays a subplan, as
 * do UPDATE / DELETE (their target scan streams first: sql_bind_select.c's fixed order).
 *
 * How: the WHERE clause was bound already (so errors are the ones PostgreSQL reports, in its
 * order). A SUBPLAN conjunct of a candidate form is found again in the AST by its location and
 * its subquery is bound a second time, piece by piece, in a scope whose outer scope is the
 * FROM row: the FROM item, each WHERE conjunct (classified by the references it makes), the IN
 * column. Any failure restores the binder's state and keeps the subplan.
 */
#include <assert.h>
#include <string.h>

#include "sql_bind_int.h"
#include "sql_cost.h"

/* The correlating equalities of one subquery (the hash / lookup join's keys). */
#define S_SEMI_KEYS_MAX 32
/* WHERE conjuncts of one subquery considered (more: it stays a subplan). */
#define S_SEMI_CONJUNCTS_MAX 64

/* What an expression of the subquery's WHERE refers to. */
typedef struct {
    bool inner; /* a column of the subquery's FROM item */
    bool outer; /* a column of the FROM row (one level out) */
    bool bad;   /* a subquery or nextval: not movable */
} s_refs_t;

static void s_refs(const pz_bx_t *x, s_refs_t *r)
{
    r->inner |= x->kind == PZ_BX_COL;
    r->outer |= x->kind == PZ_BX_OUTER && x->level == 1;
    r->bad |= x->kind == PZ_BX_SUBPLAN || x->kind == PZ_BX_NEXTVAL || x->kind == PZ_BX_SRF;
    for (int i = 0; i < x->n_args; i++) {
        s_refs(x->args[i], r);
    }
}

static void s_lift_fix(pz_bx_t *y, const void *arg)
{
    if (y->kind == PZ_BX_COL) {
        y->idx += *(const int *)arg;
    } else if (y->kind == PZ_BX_OUTER && y->level == 1) {
        y->kind = PZ_BX_COL;
        y->level = 0;
    } else if (y->kind == PZ_BX_OUTER) {
        y->level--;
    }
}

/* A subquery expression moved up one level, over the FROM row followed by the subquery's row
 * at offset `off`: its columns shift by off, references to the FROM row become its columns,
 * references further out come one level closer. */
static pz_bx_t *s_lift(pz_binder_t *b, const pz_bx_t *x, int off)
{
    return pz__bx_map(b, x, s_lift_fix, &off);
}

/* The SUBLINK at `location` among the AND / NOT nodes at the top of WHERE. */
static const pz_ast_expr_t *s_find(const pz_ast_expr_t *e, int location)
{
    if (e->kind == PZ_AX_SUBLINK) {
        return e->location == location ? e : NULL;
    }
    if (e->kind != PZ_AX_AND && e->kind != PZ_AX_NOT) {
        return NULL;
    }
    for (int i = 0; i < e->n_args; i++) {
        const pz_ast_expr_t *f = s_find(e->args[i], location);
        if (f != NULL) {
            return f;
        }
    }
    return NULL;
}

/* Whether a subquery has the shape a semi join can stand for (see the top comment). */
static bool s_simple(const pz_ast_select_t *q, bool in)
{
    if (q->setop != PZ_SETOP_NONE || q->n_values > 0 || q->n_ctes > 0 || q->n_distinct_on > 0 ||
        q->n_group_by > 0 || q->having != NULL || q->n_windows > 0 || q->n_order_by > 0 ||
        q->limit != NULL || q->offset != NULL || q->locking != 0 || q->n_from != 1) {
        return false;
    }
    const pz_ast_from_t *f = q->from[0];
    if (f->kind != PZ_FROM_TABLE && (f->kind != PZ_FROM_SUBQUERY || f->lateral)) {
        return false;
    }
    if (in) {
        return q->n_targets == 1 && q->targets[0].expr->kind == PZ_AX_COLREF &&
               !q->targets[0].expr->star;
    }
    for (int i = 0; i < q->n_targets; i++) { /* no aggregate, no set-returning function */
        uint8_t k = q->targets[i].expr->kind;
        if (k != PZ_AX_CONST && k != PZ_AX_COLREF) {
            return false;
        }
    }
    return true;
}

/* A semi join being built from one subquery. */
typedef struct {
    pz_jitem_t in; /* the subquery's FROM item: plan, scope */
    pz_bx_t *lk[S_SEMI_KEYS_MAX], *rk[S_SEMI_KEYS_MAX];
    int nk;
    pz_bx_t *local[S_SEMI_CONJUNCTS_MAX], *resid[S_SEMI_CONJUNCTS_MAX];
    int n_local, n_resid;
    int n_from; /* the FROM row's width */
} s_build_t;

/* Files one bound WHERE conjunct of the subquery: local, key or residual. false: not movable. */
static bool s_classify(pz_binder_t *b, s_build_t *sb, pz_bx_t *y)
{
    s_refs_t r = {0};
    s_refs(y, &r);
    if (r.bad) {
        return false;
    }
    if (!r.outer) {
        if (sb->n_local == S_SEMI_CONJUNCTS_MAX) {
            return false;
        }
        sb->local[sb->n_local] = s_lift(b, y, 0); /* references further out: one level less */
        return sb->local[sb->n_local++] != NULL;
    }
    if (y->kind == PZ_BX_FUNC && y->fn != NULL && (y->fn->flags & PZ_FN_OPERATOR) &&
        strcmp(y->fn->name, "=") == 0 && y->n_args == 2 && sb->nk < S_SEMI_KEYS_MAX) {
        s_refs_t a = {0}, c = {0};
        s_refs(y->args[0], &a);
        s_refs(y->args[1], &c);
        int side = a.inner && !a.outer && c.outer && !c.inner   ? 0
                   : c.inner && !c.outer && a.outer && !a.inner ? 1
                                                                : -1;
        if (side >= 0) {
            sb->rk[sb->nk] = s_lift(b, y->args[side], 0);
            sb->lk[sb->nk] = s_lift(b, y->args[1 - side], 0);
            return sb->rk[sb->nk] != NULL && sb->lk[sb->nk++] != NULL;
        }
    }
    if (sb->n_resid == S_SEMI_CONJUNCTS_MAX) {
        return false;
    }
    sb->resid[sb->n_resid] = s_lift(b, y, sb->n_from);
    return sb->resid[sb->n_resid++] != NULL;
}

/* Binds the subquery's WHERE conjuncts (AND nodes flattened) in its scope and files them. */
static bool s_where(pz_binder_t *b, s_build_t *sb, const pz_ast_expr_t *e)
{
    if (e->kind == PZ_AX_AND) {
        for (int i = 0; i < e->n_args; i++) {
            if (!s_where(b, sb, e->args[i])) {
                return false;
            }
        }
        return true;
    }
    pz_bx_t *y = NULL;
    return pz__bind_pred(b, e, "WHERE", &y) == 0 && s_classify(b, sb, y);
}

/* Whether x (through casts) is a NOT NULL column of a table scan that nothing can make NULL:
 * plans is the FROM items (the x's row is theirs side by side) or the subquery's item. */
static bool s_not_null(const pz_bx_t *x, const pz_jitem_t *items, int n)
{
    while (x->kind == PZ_BX_CAST && x->n_args == 1) {
        x = x->args[0];
    }
    if (x->kind != PZ_BX_COL) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        const pz_pn_t *p = items[i].plan;
        int c = x->idx - items[i].off;
        if (c >= 0 && c < p->n_cols) {
            return p->kind == PZ_PN_SCAN && p->table->d.cols[c].not_null;
        }
    }
    return false;
}

/* Binds the pieces of one candidate subquery into sb. false: it stays a subplan. */
static bool s_bind_sub(pz_binder_t *b, const pz_ast_expr_t *e, const pz_bx_t *sp, bool anti,
                       pz_scope_t *from, const pz_jitem_t *items, int n_items, s_build_t *sb)
{
    const pz_ast_select_t *q = e->subquery;
    b->scope = from;
    if (pz__bind_from_item(b, q->from[0], &sb->in.plan, &sb->in.scope) != 0) {
        return false;
    }
    sb->in.scope->outer = from;
    b->scope = sb->in.scope;
    if (q->where != NULL && !s_where(b, sb, q->where)) {
        return false;
    }
    if (e->sublink == PZ_SUBLINK_EXISTS) {
        return sb->nk > 0;
    }
    /* x IN (SELECT col ...): one more key, x over the FROM row as the first binding typed it. */
    pz_bx_t *col = NULL;
    s_refs_t r = {0}, t = {0};
    if (pz__bind_expr(b, q->targets[0].expr, &col) != 0 || sb->nk == S_SEMI_KEYS_MAX) {
        return false;
    }
    s_refs(col, &r);
    s_refs(sp->args[0], &t);
    if (r.bad || r.outer || t.bad || col->type.id != sp->plan->types[0].id) {
        return false;
    }
    if (anti && !(s_not_null(col, &sb->in, 1) && s_not_null(sp->args[0], items, n_items))) {
        return false; /* NOT IN's NULL rule: see the top comment */
    }
    sb->lk[sb->nk] = sp->args[0];
    sb->rk[sb->nk++] = s_lift(b, col, 0);
    return sb->rk[sb->nk - 1] != NULL;
}

/* The lowest and highest FROM-row column (below n_from) an expression reads. */
static void s_from_cols(const pz_bx_t *x, int n_from, int *lo, int *hi)
{
    if (x->kind == PZ_BX_COL && x->idx < n_from) {
        *lo = *lo < 0 || x->idx < *lo ? x->idx : *lo;
        *hi = x->idx > *hi ? x->idx : *hi;
    }
    for (int i = 0; i < x->n_args; i++) {
        s_from_cols(x->args[i], n_from, lo, hi);
    }
}

/* Makes the semi join of sb (locals pushed into its item). */
static int s_finish(pz_binder_t *b, s_build_t *sb, uint8_t join, pz_semi_t *out)
{
    int rc = pz__push_into(b, &sb->in, sb->local, sb->n_local);
    if (rc != 0) {
        return rc;
    }
    *out = (pz_semi_t){.plan = sb->in.plan, .join = join, .nk = sb->nk, .lo = -1, .hi = -1};
    out->lk = pz__bind_alloc(b, sizeof *out->lk * (size_t)sb->nk);
    out->rk = pz__bind_alloc(b, sizeof *out->rk * (size_t)sb->nk);
    pz_bx_t **resid = pz__bind_alloc(b, sizeof *resid * (size_t)(sb->n_resid + 1));
    if (out->lk == NULL || out->rk == NULL || resid == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(out->lk, sb->lk, sizeof *out->lk * (size_t)sb->nk);
    memcpy(out->rk, sb->rk, sizeof *out->rk * (size_t)sb->nk);
    memcpy(resid, sb->resid, sizeof *resid * (size_t)sb->n_resid);
    out->pred = pz__bx_and(b, resid, sb->n_resid);
    for (int k = 0; k < sb->nk; k++) {
        s_from_cols(out->lk[k], sb->n_from, &out->lo, &out->hi);
    }
    if (out->pred != NULL) {
        s_from_cols(out->pred, sb->n_from, &out->lo, &out->hi);
    }
    return 0;
}

/* Tries one WHERE conjunct x: 1 when it became *out, 0 when it stays, <0 on an error. */
static int s_try(pz_binder_t *b, const pz_ast_expr_t *where, pz_bx_t *x, pz_scope_t *from,
                 const pz_jitem_t *items, int n_items, pz_semi_t *out)
{
    bool anti = x->kind == PZ_BX_NOT;
    const pz_bx_t *sp = anti ? x->args[0] : x;
    if (sp->kind != PZ_BX_SUBPLAN ||
        !(sp->sublink == PZ_SUBLINK_EXISTS ? sp->correlated
                                           : sp->sublink == PZ_SUBLINK_ANY && sp->fn != NULL &&
                                                 strcmp(sp->fn->name, "=") == 0)) {
        return 0;
    }
    const pz_ast_expr_t *e = s_find(where, sp->location);
    if (e == NULL || !s_simple(e->subquery, e->sublink == PZ_SUBLINK_ANY)) {
        return 0;
    }
    pz_sql_err_t saved = *b->ex->err;
    pz_scope_t *keep = b->scope;
    bool keep_corr = b->corr;
    s_build_t *sb = pz__bind_alloc(b, sizeof *sb);
    if (sb == NULL) {
        return PZ_ENOMEM;
    }
    sb->n_from = from->n;
    bool ok = s_bind_sub(b, e, sp, anti, from, items, n_items, sb);
    b->scope = keep;
    b->corr = keep_corr;
    if (!ok) {
        *b->ex->err = saved; /* the subplan stays, bound and checked already */
        return 0;
    }
    int rc = s_finish(b, sb, anti ? PZ_JOIN_ANTI : PZ_JOIN_SEMI, out);
    return rc != 0 ? rc : 1;
}

int pz__semi_extract(pz_binder_t *b, const pz_ast_expr_t *where, pz_scope_t *from,
                     const pz_jitem_t *items, int n_items, pz_bx_t **cj, int *n_cj, pz_semi_t **out,
                     int *n_out)
{
    assert(from != NULL && n_cj != NULL && out != NULL && n_out != NULL);
    *n_out = 0;
    *out = NULL;
    if (where == NULL || *n_cj == 0) {
        return 0;
    }
    pz_semi_t *semis = pz__bind_alloc(b, sizeof *semis * (size_t)*n_cj);
    if (semis == NULL) {
        return PZ_ENOMEM;
    }
    int w = 0;
    for (int i = 0; i < *n_cj; i++) {
        int rc = s_try(b, where, cj[i], from, items, n_items, &semis[*n_out]);
        if (rc < 0) {
            return rc;
        }
        if (rc == 1) {
            (*n_out)++;
        } else {
            cj[w++] = cj[i];
        }
    }
    *n_cj = w;
    *out = semis;
    return 0;
}

typedef struct {
    int n_from, off, width;
} s_rebase_t;

static void s_rebase_fix(pz_bx_t *y, const void *arg)
{
    const s_rebase_t *r = arg;
    if (y->kind == PZ_BX_COL) {
        y->idx = y->idx < r->n_from ? y->idx - r->off : y->idx - r->n_from + r->width;
    }
}

int pz__semi_join(pz_binder_t *b, const pz_semi_t *s, pz_pn_t **plan, int n_from, int off)
{
    assert(plan != NULL && *plan != NULL && s->nk > 0);
    int width = (*plan)->n_cols;
    /* The residual over (item ++ subquery row) instead of (FROM row ++ subquery row). */
    s_rebase_t rb = {.n_from = n_from, .off = off, .width = width};
    pz_bx_t **lk = pz__bind_alloc(b, sizeof *lk * (size_t)s->nk);
    pz_bx_t *pred = NULL;
    if (lk == NULL ||
        (s->pred != NULL && (pred = pz__bx_map(b, s->pred, s_rebase_fix, &rb)) == NULL)) {
        return PZ_ENOMEM;
    }
    for (int k = 0; k < s->nk; k++) {
        if ((lk[k] = pz__bx_shift(b, s->lk[k], off)) == NULL) {
            return PZ_ENOMEM;
        }
    }
    pz_pn_t *j = pz__join_node(b, *plan, s->plan, s->join, lk, s->rk, s->nk, pred);
    if (j == NULL) {
        return PZ_ENOMEM;
    }
    assert(j->n_cols == width);
    *plan = j;
    return 0;
}
