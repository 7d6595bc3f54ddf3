/*
 * sql_bind_int.h — what the binder's files share: scopes and internal entry points.
 */
#ifndef PZ_SQL_BIND_INT_H
#define PZ_SQL_BIND_INT_H

#include "sql_bind.h"

typedef struct {
    const char *rel;  /* the FROM item's name or alias (NULL: none) */
    const char *name; /* column name */
    pz_sql_type_t type;
    bool hidden;    /* not expanded by * (rowid) */
    bool using_dup; /* the other side's copy of a JOIN USING / NATURAL column: reachable only
                       qualified (b.id), and by b.* */
} pz_scol_t;

struct pz_scope {
    pz_scol_t *cols;
    int n;
    pz_scope_t *outer;
    bool correlated; /* an expression inside referred to a scope outside this one */
};

struct pz_agg_ctx {
    pz_bx_t **groups;
    int n_groups;
    pz_agg_t *aggs;
    int n_aggs, cap_aggs;
    pz_scope_t *input; /* the scope aggregate arguments and groups are bound in */
};

/* Arguments of one call: PostgreSQL's FUNC_MAX_ARGS (sql_func.c resolves up to the same). */
#define PZ_BIND_CALL_ARGS_MAX 100

/* Window functions of the query level being bound: their results are columns after the input's,
 * numbered with placeholders (PZ_WIN_COL_BASE - k) until the input's width is known. */
#define PZ_WIN_COL_BASE (-1000)
typedef struct {
    const pz_ast_window_t *named; /* the WINDOW clause */
    int n_named;
    pz_win_t *wins;
    int n, cap;
} pz_win_ctx_t;

/* Binds a call with OVER into the current window context (sql_bind_window.c). */
int pz__bind_window(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out);
/* An aggregate's argument binding and result types without registering it (sql_bind_func.c):
 * arguments bound in the current scope. */
int pz__agg_build(pz_binder_t *b, const pz_ast_expr_t *e, int kind, pz_agg_t *out);
/* Replaces window placeholders in x by n_input + k. */
void pz__win_fix(pz_bx_t *x, int n_input);

void *pz__bind_alloc(pz_binder_t *b, size_t bytes);
const char *pz__bind_strdup(pz_binder_t *b, const char *s, size_t n);
pz_bx_t *pz__bx_new(pz_binder_t *b, uint8_t kind, pz_sql_type_t type);
int pz__bind_expr(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out);
/* Binds a predicate (WHERE, HAVING, ON, JOIN): coerced to boolean. */
int pz__bind_pred(pz_binder_t *b, const pz_ast_expr_t *e, const char *what, pz_bx_t **out);
/* Binds a SELECT (or VALUES / set operation) as a plan with the current scope as its outer
 * scope (for correlated references). */
int pz__bind_select(pz_binder_t *b, const pz_ast_select_t *s, pz_pn_t **out);
/* Builds a scope over a plan's output columns named by rel. */
pz_scope_t *pz__scope_of(pz_binder_t *b, const pz_pn_t *pn, const char *rel);
/* True when x refers to no column of the current row (constants, params, outer refs) and
 * calls nothing volatile: a value fixed for the statement. */
bool pz__bx_is_const(const pz_bx_t *x);
/* Structural equality (GROUP BY matching). */
bool pz__bx_equal(const pz_bx_t *a, const pz_bx_t *b);
/* Copy of x with column references shifted by -off (pushing a predicate into a FROM item). */
pz_bx_t *pz__bx_shift(pz_binder_t *b, const pz_bx_t *x, int off);
/* A copy of x in which fix(node, arg) has adjusted every node (its args are copied after). */
pz_bx_t *pz__bx_map(pz_binder_t *b, const pz_bx_t *x, void (*fix)(pz_bx_t *y, const void *arg),
                    const void *arg);
/* The lowest and highest column referenced (-1 none); *has_sub when a subplan is inside. */
void pz__bx_cols(const pz_bx_t *x, int *lo, int *hi, bool *has_sub);
int pz__bind_err(pz_binder_t *b, int location, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A plan node with n output columns. */
pz_pn_t *pz__pn_new(pz_binder_t *b, uint8_t kind, int n_cols);
/* Keeps a descriptor reference until pz_bind_release. */
int pz__bind_hold(pz_binder_t *b, pz_cat_entry_t *e);
/* A FROM item being joined: its plan (local conjuncts already pushed in), scope, and the offset
 * of its first column in the FROM clause's row. */
typedef struct {
    pz_pn_t *plan;
    pz_scope_t *scope;
    int off;
} pz_jitem_t;

/* Inner joins of up to this many items are ordered by dynamic programming over subsets (3^n
 * splits); more are ordered greedily. */
#define PZ_JOIN_DP_MAX 8

/* Orders and joins FROM items by cost (sql_bind_join.c): cj are the conjuncts over the FROM
 * row not pushed into one item and free of subqueries. The result's columns are in the FROM
 * clause's order (a PROJECT restores it when the order changed). */
int pz__join_plan(pz_binder_t *b, pz_jitem_t *items, int n, pz_bx_t **cj, int n_cj, pz_pn_t **out);
/* The join of l and r (join type, equi-keys lk over l / rk over r, residual pred over l ++ r)
 * with the cheapest method: lookup, merge, hash or nested loop. */
pz_pn_t *pz__join_node(pz_binder_t *b, pz_pn_t *l, pz_pn_t *r, uint8_t join, pz_bx_t **lk,
                       pz_bx_t **rk, int nk, pz_bx_t *pred);

/* A join node of kind over l and r: the columns of l then r, no keys yet. */
pz_pn_t *pz__join_shell(pz_binder_t *b, uint8_t kind, pz_pn_t *l, pz_pn_t *r, uint8_t join);

/* ---- FROM items and conjuncts (sql_bind_select.c) ---- */

/* Binds one FROM item (table, view, WITH reference, subquery, join, function). */
int pz__bind_from_item(pz_binder_t *b, const pz_ast_from_t *f, pz_pn_t **plan, pz_scope_t **scope);
/* Puts conjuncts over the FROM row that read only item it into it: a FILTER over it, spans and
 * the index for a scan, estimates. */
int pz__push_into(pz_binder_t *b, pz_jitem_t *it, pz_bx_t **cj, int n);
/* Of the conjuncts cj[0 .. *n) put on FROM item it (an outer join, else nothing happens):
 * narrows its join type by those that reject a side's NULLs and moves those that read one
 * side the join keeps into that side's input, leaving the others in cj (sql_bind_outer.c). */
int pz__push_outer(pz_binder_t *b, pz_jitem_t *it, pz_bx_t **cj, int *n);
/* The conjunction of xs (NULL when n is 0, xs[0] when 1); xs is kept, not copied. */
pz_bx_t *pz__bx_and(pz_binder_t *b, pz_bx_t **xs, int n);

/* ---- decorrelated subqueries (sql_bind_semi.c) ---- */

/* A WHERE conjunct turned into a semi (EXISTS, IN) or anti (NOT EXISTS, NOT IN) join of the
 * FROM row with plan: keys lk (over the FROM row) = rk (over plan's row), and a residual pred
 * over the FROM row followed by plan's row (NULL: none). [lo, hi]: the FROM-row columns lk
 * and pred read (-1: none). */
typedef struct {
    pz_pn_t *plan;
    uint8_t join; /* PZ_JOIN_SEMI / PZ_JOIN_ANTI */
    pz_bx_t **lk, **rk;
    int nk;
    pz_bx_t *pred;
    int lo, hi;
} pz_semi_t;

/* Takes the conjuncts cj[0 .. *n_cj) (bound from the AST where, over the FROM row of scope
 * from and items, not yet pushed anywhere) that are simple EXISTS / IN subqueries out of cj
 * into *out (*n_out of them, in the binder's arena). */
int pz__semi_extract(pz_binder_t *b, const pz_ast_expr_t *where, pz_scope_t *from,
                     const pz_jitem_t *items, int n_items, pz_bx_t **cj, int *n_cj, pz_semi_t **out,
                     int *n_out);
/* Joins *plan (columns n_from wide starting at FROM-row column off: a FROM item, or the whole
 * row with off 0) with a semi's subquery; *plan keeps its columns. */
int pz__semi_join(pz_binder_t *b, const pz_semi_t *s, pz_pn_t **plan, int n_from, int off);

/* The column name PostgreSQL gives a select-list or RETURNING item (its alias, the column or
 * function name underneath, else "?column?"). */
const char *pz__target_name(const pz_ast_target_t *t);
/* The type of a descriptor column; name as C string. */
const char *pz__view_cstr(pz_binder_t *b, pz_view_t v);

#endif
