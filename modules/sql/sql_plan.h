/*
 * sql_plan.h — bound expressions and plan trees: what the binder (sql_bind*.c) produces from the
 * AST and the executor (sql_exec*.c) runs.
 *
 * Written here rather than borrowed: no Debian library offers a SQL executor for C, and the
 * executor must read KV batches through the project's own layers (DESIGN.md: "where the project
 * does write something itself (Raft, the executor), say why").
 *
 * Execution is pull-based (Volcano): each node's next() yields one row (an array of datums) that
 * stays valid until the next call on that node. Rows are streamed to the client as the top node
 * yields them; only sort, aggregation, hash joins, DISTINCT and set operations buffer, into the
 * statement's arena, whose size limit is the statement's memory budget (53200 past it).
 */
#ifndef PZ_SQL_PLAN_H
#define PZ_SQL_PLAN_H

#include "sql_ast.h"
#include "sql_catalog.h"
#include "sql_func.h"
#include "sql_types.h"

typedef struct pz_bx pz_bx_t;
typedef struct pz_pn pz_pn_t;
typedef struct pz_ex pz_ex_t;

typedef enum {
    PZ_BX_CONST,
    PZ_BX_COL,   /* idx: column of the input row */
    PZ_BX_OUTER, /* a correlated reference: column idx of the row `level` scopes out */
    PZ_BX_PARAM, /* idx: 0-based parameter */
    PZ_BX_FUNC,  /* fn(args) */
    PZ_BX_AND,
    PZ_BX_OR,
    PZ_BX_NOT,
    PZ_BX_CASE,     /* args: when, then, ...; [else] when has_else */
    PZ_BX_CAST,     /* args[0] to type (cast_ctx) */
    PZ_BX_NULLTEST, /* negated: IS NOT NULL */
    PZ_BX_BOOLTEST, /* booltest, negated */
    PZ_BX_IN,       /* args[0] IN (args[1..]) via fn (=), negated */
    PZ_BX_DISTINCT, /* args[0] IS DISTINCT FROM args[1] via fn (=), negated */
    PZ_BX_COALESCE,
    PZ_BX_NULLIF, /* via fn (=) */
    PZ_BX_GREATEST,
    PZ_BX_LEAST,
    PZ_BX_SUBPLAN, /* sub: EXISTS / scalar / ANY / ALL / ARRAY over plan */
    PZ_BX_ANY,     /* args[0] fn ANY/ALL (args[1] an array) */
    PZ_BX_ARRAY,   /* ARRAY[args] */
    PZ_BX_SUBSCRIPT,
    PZ_BX_TYPEOF,  /* pg_typeof(args[0]): its type's name, known at bind time */
    PZ_BX_NEXTVAL, /* a sequence function (sublink: sql_seq.h pz_seqfn_t) of sequence idx */
    PZ_BX_SESSION, /* a session value by idx: current_user, current_database, version ... */
    PZ_BX_SRF      /* a set-returning function in a select list (idx 0 generate_series,
                      1 unnest): the PROJECT node returns one row per element (ProjectSet) */
} pz_bx_kind_t;

struct pz_bx {
    uint8_t kind;
    pz_sql_type_t type; /* the result type */
    int n_args;
    pz_bx_t **args;
    pz_datum_t val; /* CONST */
    int idx;        /* COL / OUTER / PARAM */
    int level;      /* OUTER: 1 = the enclosing query */
    const pz_sql_fndef_t *fn;
    uint8_t cast_ctx;
    bool negated, has_else, all;
    uint8_t booltest;
    uint8_t sublink; /* pz_sublink_t */
    pz_pn_t *plan;   /* SUBPLAN */
    bool correlated; /* SUBPLAN: refers to outer rows; else evaluated once and cached */
    int location;
};

/* Aggregates the executor knows. */
typedef enum {
    PZ_AGG_COUNT_STAR,
    PZ_AGG_COUNT,
    PZ_AGG_SUM,
    PZ_AGG_AVG,
    PZ_AGG_MIN,
    PZ_AGG_MAX,
    PZ_AGG_BOOL_AND,
    PZ_AGG_BOOL_OR,
    PZ_AGG_STRING_AGG,
    PZ_AGG_ARRAY_AGG,
    PZ_AGG_STDDEV_SAMP,
    PZ_AGG_STDDEV_POP,
    PZ_AGG_VAR_SAMP,
    PZ_AGG_VAR_POP
} pz_agg_kind_t;

typedef struct {
    uint8_t kind; /* pz_agg_kind_t */
    bool distinct;
    pz_bx_t *arg;              /* NULL for count(*) */
    pz_bx_t *arg2;             /* string_agg's delimiter */
    pz_bx_t *filter;           /* FILTER (WHERE ...) or NULL */
    pz_sql_type_t type;        /* result */
    const pz_sql_fndef_t *add; /* sum/avg: the + row for the accumulator type */
    pz_sql_type_t acc_type;    /* sum/avg accumulator */
} pz_agg_t;

/* Window functions: row_number, rank, dense_rank, lag, lead, first_value, last_value,
 * ntile, and aggregates over a frame. */
typedef enum {
    PZ_WIN_ROW_NUMBER,
    PZ_WIN_RANK,
    PZ_WIN_DENSE_RANK,
    PZ_WIN_PERCENT_RANK,
    PZ_WIN_CUME_DIST,
    PZ_WIN_NTILE,
    PZ_WIN_LAG,
    PZ_WIN_LEAD,
    PZ_WIN_FIRST_VALUE,
    PZ_WIN_LAST_VALUE,
    PZ_WIN_NTH_VALUE,
    PZ_WIN_AGG
} pz_win_kind_t;

typedef struct {
    pz_bx_t *expr;
    bool desc;
    bool nulls_first;
} pz_sortkey_t;

typedef struct {
    uint8_t kind; /* pz_win_kind_t */
    pz_agg_t agg; /* WIN_AGG */
    pz_bx_t *args[3];
    int n_args;
    pz_bx_t **partition;
    int n_partition;
    pz_sortkey_t *order;
    int n_order;
    bool has_frame;
    int frame_mode, start_kind, end_kind;
    pz_bx_t *start_off, *end_off;
    pz_sql_type_t type;
} pz_win_t;

typedef enum {
    PZ_PN_SCAN,   /* a table: primary or secondary index, spans from constraints */
    PZ_PN_VALUES, /* rows of expressions (VALUES, or one empty row for FROM-less SELECT) */
    PZ_PN_FILTER,
    PZ_PN_PROJECT,
    PZ_PN_NLJOIN,   /* nested loop over a materialized right side */
    PZ_PN_HASHJOIN, /* equi-join: builds the right side */
    PZ_PN_AGG,      /* hash aggregation; output: group columns then aggregates */
    PZ_PN_SORT,
    PZ_PN_LIMIT,
    PZ_PN_DISTINCT, /* hash; distinct_on: the first n_keys columns decide */
    PZ_PN_SETOP,
    PZ_PN_WINDOW,   /* input columns then one per window function */
    PZ_PN_VTAB,     /* a virtual table (pg_catalog, information_schema) built at open */
    PZ_PN_FUNCSCAN, /* generate_series / unnest */
    PZ_PN_CTE,      /* a WITH query's rows, materialized once and shared */
    PZ_PN_RECURSIVE,
    PZ_PN_WORKTABLE,
    PZ_PN_INSERT,
    PZ_PN_UPDATE,
    PZ_PN_DELETE,
    /* added with the cost-based planner (sql_join.c): */
    PZ_PN_LOOKUPJOIN, /* left rows in batches; right: a SCAN node naming the table and index
                         whose leading columns lkeys fix (read, never opened); pred over the
                         joined row; inner and left */
    PZ_PN_MERGEJOIN   /* both inputs ordered ascending on lkeys / rkeys (NULLs first): no
                         buffering but one right key group; every join type */
} pz_pn_kind_t;

/* A key span to scan: [lo, hi) built at open from constant/parameter bounds. */
typedef struct {
    int n_eq; /* leading index columns fixed by equality */
    pz_bx_t *eq[PZ_CAT_INDEX_COLS_MAX];
    pz_bx_t *lo, *hi; /* range on column n_eq, or NULL */
    bool lo_incl, hi_incl;
    pz_bx_t **in_list; /* col[0] IN (list): one point span per item */
    int n_in;
} pz_span_t;

/* What an INSERT / UPDATE / DELETE node writes (sql_dml.c). Its input (left) yields:
 *   INSERT  rows in the table's column order, already cast to the column types
 *   UPDATE  the old row (table columns) followed by the new values of set_cols
 *   DELETE  the old row */
typedef struct {
    pz_cat_entry_t *table;
    int n_tcols;   /* table columns */
    int *set_cols; /* UPDATE: table column index of each new value */
    int n_set;
    pz_bx_t **checks; /* CHECK constraints over the new row */
    const char **check_names;
    int n_checks;
    pz_bx_t **returning; /* over the new row (old for DELETE) */
    int n_returning;
    int on_conflict;        /* 1 DO NOTHING, 2 DO UPDATE */
    bool conflict_any;      /* DO NOTHING without a target: any unique index's conflict */
    int conflict_index;     /* the arbiter: an index of the table's (0: the primary key) */
    pz_bx_t **conflict_set; /* DO UPDATE: new value per table column (NULL: unchanged), over
                               the existing row followed by the excluded row */
    pz_bx_t *conflict_where;
    pz_pn_t *target_scan; /* UPDATE: the scan reading the target table (its rows' stored bytes
                             make each rewrite conditional: a concurrent change fails it) */
    uint64_t count;       /* rows written: the command tag */
} pz_dml_t;

struct pz_pn {
    uint8_t kind;
    int n_cols;
    pz_sql_type_t *types;
    const char **names; /* output column names (for RowDescription) */
    pz_pn_t *left, *right;
    double est_rows; /* the planner's estimate, for EXPLAIN */

    /* SCAN */
    pz_cat_entry_t *table;
    const pz_cat_index_t *index; /* NULL: the primary index */
    uint32_t *col_ids;           /* the table columns produced, in output order */
    pz_span_t span;
    bool has_span;
    bool reverse;
    int64_t scan_limit; /* a LIMIT pushed into the scan, -1 none */
    bool lock_rows;     /* UPDATE/DELETE's target: the rows are fetched by locking reads */
    /* FILTER / join predicate */
    pz_bx_t *pred;
    /* PROJECT / VALUES */
    bool has_srf; /* PROJECT: some exprs are PZ_BX_SRF at top level */
    pz_bx_t **exprs;
    int n_exprs;
    pz_bx_t ***rows; /* VALUES */
    int n_rows;
    /* joins */
    uint8_t join; /* pz_join_t */
    pz_bx_t **lkeys, **rkeys;
    int n_keys;
    /* AGG */
    pz_bx_t **groups;
    int n_groups;
    pz_agg_t *aggs;
    int n_aggs;
    /* SORT */
    pz_sortkey_t *keys;
    int n_sort;
    /* LIMIT */
    pz_bx_t *limit, *offset;
    /* DISTINCT: n_keys leading columns (0: all) */
    /* SETOP */
    uint8_t setop;
    bool setop_all;
    /* WINDOW */
    pz_win_t *wins;
    int n_wins;
    /* VTAB */
    int vtab; /* sql_vtab.c's table number */
    /* FUNCSCAN */
    pz_bx_t *func_args[3];
    int n_func_args;
    int func; /* 0 generate_series, 1 unnest */
    /* CTE */
    int cte_id;
    pz_pn_t *rec; /* WORKTABLE: its RECURSIVE node (not a child: no recursion on close) */
    /* DML */
    pz_dml_t *dml;

    void *st;          /* executor state, set at open */
    uint64_t act_rows; /* rows produced (EXPLAIN ANALYZE) */
    /* A subquery's plan: its rows cached after the first run when it is not correlated. */
    bool sub_done;
    pz_datum_t *sub_rows; /* first column of each row */
    uint32_t sub_n;
    uint32_t sub_run; /* the pz_ex_t run that cached them */

    /* Added with table statistics and the cost-based planner (sql_cost.c, sql_bind_join.c). */
    pz_cat_stats_t *stats; /* SCAN: the table's statistics, NULL when never collected */
    double est_cost;       /* the planner's cost of producing every row (rows-read units) */
    double table_rows;     /* SCAN: the table's estimated row count */
};

#endif
