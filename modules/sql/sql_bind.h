/*
 * sql_bind.h — the binder and planner: from the AST (sql_ast.h) to a plan (sql_plan.h).
 *
 * Binding resolves names against the catalog and the FROM scopes, types every expression with
 * PostgreSQL's rules (literals are `unknown` until context types them; operators and functions
 * resolve through sql_func.h and get implicit casts), and checks what PostgreSQL checks (GROUP
 * BY rules, ambiguous columns). Planning is rule-based for now: WHERE conjuncts are pushed down
 * to the table they read, become key spans of the primary or a secondary index where they
 * constrain its leading columns, and equalities between FROM items become hash-join keys.
 */
#ifndef PZ_SQL_BIND_H
#define PZ_SQL_BIND_H

#include "sql_exec.h"

typedef struct pz_scope pz_scope_t;

typedef struct pz_cte_def {
    const char *name;
    int id;
    pz_pn_t *plan;
    const char **cols;
    int n_cols;
    struct pz_cte_def *next;
    pz_pn_t *rec; /* WITH RECURSIVE: the RECURSIVE node while its recursive arm is bound (plan
                     is NULL then, and a reference reads the working table) */
} pz_cte_def_t;

typedef struct pz_agg_ctx pz_agg_ctx_t;

typedef struct {
    pz_ex_t *ex; /* arena, kv, catalog, env, err */
    uint32_t db_id;
    uint32_t *search_path; /* schema ids, in order */
    int n_search_path;
    const char *db_name;
    pz_sql_type_t *params; /* parameter types: given, or inferred (UNKNOWN until then) */
    int n_params;
    int params_cap;
    bool params_fixed;     /* types given by the client: no inference past n_params */
    pz_cat_entry_t **refs; /* descriptors held by the plan: released with it */
    int n_refs, cap_refs;
    pz_cte_def_t *ctes;
    int n_ctes;
    pz_scope_t *scope; /* the innermost scope while binding expressions */
    pz_agg_ctx_t *agg; /* set while binding a grouped query's targets / HAVING / ORDER BY */
    int depth;
    const char *query; /* the whole query text (error positions, view definitions) */
    bool corr;         /* the query being bound refers to an enclosing one */
    void *win;         /* pz_win_ctx_t of the query level whose targets are being bound */
    bool has_sub;      /* a subquery was bound: its plan caches rows per run (no plan reuse) */
    struct pz_sql_lits *lits; /* a statement cached by shape (sql_shape.h): its literals bind as
                                 parameters; NULL otherwise, and while binding stored text */
    bool fixed_order;  /* UPDATE / DELETE: FROM items joined in order, the target streaming
                          first (its scan's row bytes condition the write) */
} pz_binder_t;

/* Binds a SELECT / VALUES / INSERT / UPDATE / DELETE statement. *plan's top node yields the
 * result rows (RETURNING's for DML). Returns 0 or PZ_EINVAL with ex->err set. */
int pz_bind_stmt(pz_binder_t *b, const pz_ast_stmt_t *s, pz_pn_t **plan);
/* Releases the descriptors the binder acquired. */
void pz_bind_release(pz_binder_t *b);

/* Resolves a relation name to its descriptor (tables, views, sequences) through the search
 * path; 42P01 when absent. The reference is held by the binder. */
int pz_bind_relation(pz_binder_t *b, const char *schema, const char *name, int location,
                     pz_cat_entry_t **out);
/* A schema's id by name in the binder's database; 3F000 when absent. */
int pz_bind_schema(pz_binder_t *b, const char *name, uint32_t *id);

/* Binds an expression with no FROM scope (DEFAULT values, SET values, LIMIT). */
int pz_bind_expr_noscope(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out);
/* Coerces a bound expression to a type in a cast context (wrapping a cast; constants fold). */
int pz_bind_coerce(pz_binder_t *b, pz_bx_t *x, pz_sql_type_t to, pz_cast_ctx_t ctx,
                   const char *what, pz_bx_t **out);
/* Parses and binds a stored expression text (a column DEFAULT, a CHECK) over a table's row. */
int pz_bind_stored_expr(pz_binder_t *b, const pz_cat_desc_t *table, const char *text,
                        pz_bx_t **out);

#endif
