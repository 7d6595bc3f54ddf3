/*
 * sql_ast.h — the project's own syntax tree, translated from libpg_query's protobuf parse tree
 * (sql_ast_build.c). Everything past parsing (binder, planner, plan cache) reads this tree, never
 * the protobuf one, so the grammar's representation is confined to one file.
 *
 * The translator refuses, with SQLSTATE 0A000 naming the construct ("WITH ORDINALITY is not
 * supported"), every node and every field it does not carry into this tree: a statement is
 * either represented exactly or rejected — never silently simplified.
 *
 * All nodes, arrays and strings live in the arena given to pz_ast_build; names are
 * NUL-terminated, already case-folded by the grammar (quoted identifiers keep their case).
 * Locations are 1-based character offsets into the whole query string (0 = unknown), ready for
 * ErrorResponse's position field (for ASCII queries: the grammar's byte offset + 1). Some nodes
 * carry none because the grammar records none (joins, subqueries in FROM, nested SELECTs); a
 * whole statement's SELECT carries the statement's start.
 */
#ifndef PZ_SQL_AST_H
#define PZ_SQL_AST_H

#include "sql_value.h"

typedef struct pz_ast_expr pz_ast_expr_t;
typedef struct pz_ast_select pz_ast_select_t;

/* A type as written: last name component ("int4", "varchar", "numeric", "timestamptz",
 * "bpchar", "interval", "float8", a user's "serial"/"bigserial"), typmod arguments and array
 * bounds. pg_catalog qualification is dropped; other schemas are refused (no user types). */
typedef struct {
    const char *name;
    int32_t mods[2];
    int n_mods;
    bool array;
    int location;
} pz_ast_type_t;

typedef enum {
    PZ_AX_CONST,     /* val: INT8 (an integer literal that fits int8; the binder narrows to
                        int4 as PostgreSQL does), NUMERIC (any other number: val.v.p/val.len
                        hold the literal's text as written, e.g. "1.5", "1e10", "-0.5",
                        "99999999999999999999", and val.scale is -1 to mark this unparsed
                        form; the binder parses it), UNKNOWN (a string literal: bytes in val),
                        BOOL, NULL (type UNKNOWN, null true). A minus sign before a numeric
                        literal is folded into it as PostgreSQL's doNegate does: -5 is INT8 -5,
                        -9223372036854775808 is INT8, -1.5 is NUMERIC "-1.5". */
    PZ_AX_PARAM,     /* $param */
    PZ_AX_COLREF,    /* names[0..n_names) e.g. {"t", "a"}; star: t.* or * (n_names 0) */
    PZ_AX_OP,        /* name: operator symbol ("+", "=", "~~" LIKE, "~~*" ILIKE, "!~~", "||");
                        args: 1 (prefix) or 2 */
    PZ_AX_AND,       /* args (2 or more) */
    PZ_AX_OR,        /* args (2 or more) */
    PZ_AX_NOT,       /* args[0] */
    PZ_AX_FUNC,      /* name (as the grammar folded it: lower-case unless quoted; pg_catalog.
                        dropped; SQL-syntax forms arrive as their functions: CURRENT_DATE is
                        "current_date", EXTRACT "extract", x AT TIME ZONE z "timezone"), args; agg_star (count(*)),
                        agg_distinct, agg_filter, agg_order (ORDER BY inside the call), over */
    PZ_AX_CAST,      /* args[0]::type */
    PZ_AX_CASE,      /* case_arg (simple CASE) or NULL; args = when0, then0, when1, then1, ...;
                        case_else or NULL */
    PZ_AX_NULLTEST,  /* args[0] IS [NOT] NULL (negated) */
    PZ_AX_BOOLTEST,  /* args[0] IS [NOT] TRUE/FALSE/UNKNOWN: booltest, negated */
    PZ_AX_IN,        /* args[0] [NOT] IN (args[1..]) */
    PZ_AX_BETWEEN,   /* args[0] [NOT] BETWEEN [SYMMETRIC] args[1] AND args[2] */
    PZ_AX_DISTINCT,  /* args[0] IS [NOT] DISTINCT FROM args[1] */
    PZ_AX_SUBLINK,   /* sublink kind; args[0] the tested expression (IN/ANY/ALL); name the
                        operator for ANY/ALL ("=" for IN); subquery */
    PZ_AX_ANY,       /* args[0] op ANY/ALL (args[1]) over an array: name op, all */
    PZ_AX_COALESCE,  /* args */
    PZ_AX_NULLIF,    /* args[0], args[1] */
    PZ_AX_GREATEST,  /* args */
    PZ_AX_LEAST,     /* args */
    PZ_AX_ARRAY,     /* ARRAY[args] */
    PZ_AX_SUBSCRIPT, /* args[0][args[1]] (one index; slices are refused) */
    PZ_AX_ROW,       /* ROW(args) / (a, b) */
    PZ_AX_DEFAULT,   /* DEFAULT in INSERT ... VALUES / UPDATE SET */
    PZ_AX_COLLATE,   /* args[0] COLLATE name: only "C"/"default"/"POSIX" accepted */
} pz_ax_kind_t;

typedef enum {
    PZ_SUBLINK_EXISTS,
    PZ_SUBLINK_ANY,  /* x op ANY (subquery); IN is ANY with "=" */
    PZ_SUBLINK_ALL,  /* x op ALL (subquery); NOT IN is NOT (x = ANY ...) as PostgreSQL parses */
    PZ_SUBLINK_EXPR, /* (SELECT ...) scalar */
    PZ_SUBLINK_ARRAY /* ARRAY(SELECT ...) */
} pz_sublink_t;

typedef enum {
    PZ_BT_TRUE,
    PZ_BT_FALSE,
    PZ_BT_UNKNOWN
} pz_booltest_t;

typedef struct {
    pz_ast_expr_t *expr;
    bool desc;
    int nulls; /* 0 default (LAST for ASC, FIRST for DESC), 1 FIRST, 2 LAST */
} pz_ast_sort_t;

enum {
    PZ_FRAME_UNBOUNDED_PRECEDING = 1,
    PZ_FRAME_PRECEDING,
    PZ_FRAME_CURRENT_ROW,
    PZ_FRAME_FOLLOWING,
    PZ_FRAME_UNBOUNDED_FOLLOWING
};

typedef struct {
    const char *name;    /* WINDOW w AS (...): its name; else NULL */
    const char *refname; /* OVER (w ...) / OVER w: the window it copies */
    pz_ast_expr_t **partition;
    int n_partition;
    pz_ast_sort_t *order;
    int n_order;
    bool has_frame; /* false: the default frame (RANGE UNBOUNDED PRECEDING to CURRENT ROW) */
    int frame_mode; /* 0 ROWS, 1 RANGE, 2 GROUPS */
    int start_kind, end_kind;        /* PZ_FRAME_* */
    pz_ast_expr_t *start_off, *end_off; /* for PRECEDING / FOLLOWING with an offset */
    int exclude; /* 0 none (EXCLUDE NO OTHERS); others refused for now */
    int location;
} pz_ast_window_t;

struct pz_ast_expr {
    uint8_t kind; /* pz_ax_kind_t */
    int location;
    const char *name;
    pz_datum_t val;
    int param;
    const char *names[4];
    int n_names;
    bool star;
    pz_ast_expr_t **args;
    int n_args;
    bool negated;
    bool symmetric;
    bool all;
    uint8_t booltest; /* pz_booltest_t */
    uint8_t sublink;  /* pz_sublink_t */
    pz_ast_select_t *subquery;
    pz_ast_type_t type;          /* CAST */
    pz_ast_expr_t *case_arg, *case_else;
    bool agg_star, agg_distinct;
    pz_ast_expr_t *agg_filter;
    pz_ast_sort_t *agg_order;
    int n_agg_order;
    pz_ast_window_t *over; /* a window function call */
};

typedef struct {
    pz_ast_expr_t *expr;
    const char *alias; /* AS name, or NULL */
    int location;
} pz_ast_target_t;

/* SEMI and ANTI never come from the grammar: the planner makes them of EXISTS / IN subqueries
 * (sql_bind_semi.c); such a join's output is its left row alone. */
typedef enum {
    PZ_JOIN_INNER,
    PZ_JOIN_LEFT,
    PZ_JOIN_RIGHT,
    PZ_JOIN_FULL,
    PZ_JOIN_CROSS,
    PZ_JOIN_SEMI,
    PZ_JOIN_ANTI
} pz_join_t;

/* Whether a semi / anti join returns a left row that did (matched) or did not find a partner. */
static inline bool pz_join_semi_emits(uint8_t join, bool matched)
{
    return join == PZ_JOIN_SEMI ? matched : join == PZ_JOIN_ANTI && !matched;
}

typedef struct pz_ast_from pz_ast_from_t;
struct pz_ast_from {
    enum { PZ_FROM_TABLE, PZ_FROM_SUBQUERY, PZ_FROM_JOIN, PZ_FROM_FUNC } kind;
    const char *schema; /* TABLE: schema or NULL (search_path); catalog name refused unless
                           it is the current database */
    const char *name;   /* TABLE: relation name */
    const char *alias;
    const char **col_aliases;
    int n_col_aliases;
    pz_ast_select_t *subquery; /* SUBQUERY */
    bool lateral;
    bool ordinality;           /* FUNC: WITH ORDINALITY (a bigint row number) */
    pz_ast_expr_t *func;       /* FUNC: a PZ_AX_FUNC call (generate_series, unnest) */
    pz_join_t join;            /* JOIN */
    bool natural;
    pz_ast_from_t *larg, *rarg;
    pz_ast_expr_t *on;
    const char **using_cols;
    int n_using;
    int location;
};

typedef struct {
    const char *name;
    const char **col_names;
    int n_col_names;
    pz_ast_select_t *query;
    int materialized; /* 0 default, 1 MATERIALIZED, 2 NOT MATERIALIZED */
    int location;
} pz_ast_cte_t;

typedef enum { PZ_SETOP_NONE, PZ_SETOP_UNION, PZ_SETOP_INTERSECT, PZ_SETOP_EXCEPT } pz_setop_t;

struct pz_ast_select {
    pz_setop_t setop; /* NONE: a plain SELECT or VALUES; else larg setop [ALL] rarg */
    bool setop_all;
    pz_ast_select_t *larg, *rarg;
    pz_ast_cte_t *ctes;
    int n_ctes;
    bool recursive;
    bool distinct;
    pz_ast_expr_t **distinct_on;
    int n_distinct_on;
    pz_ast_target_t *targets;
    int n_targets;
    pz_ast_from_t **from;
    int n_from;
    pz_ast_expr_t *where;
    pz_ast_expr_t **group_by;
    int n_group_by;
    pz_ast_expr_t *having;
    pz_ast_window_t *windows; /* WINDOW clause */
    int n_windows;
    pz_ast_sort_t *order_by; /* also on a set operation (applies to its result) */
    int n_order_by;
    pz_ast_expr_t *limit, *offset; /* LIMIT ALL: limit NULL */
    pz_ast_expr_t ***values;       /* VALUES rows (a plain VALUES list when n_values > 0) */
    int n_values;
    int n_values_cols;
    int locking; /* 0 none, 1 FOR UPDATE, 2 FOR NO KEY UPDATE, 3 FOR SHARE, 4 FOR KEY SHARE */
    bool lock_nowait; /* ... NOWAIT */
    int location;
};

/* Column and table constraints. */
typedef enum {
    PZ_CONS_NOT_NULL,
    PZ_CONS_NULL,
    PZ_CONS_DEFAULT,
    PZ_CONS_PRIMARY,
    PZ_CONS_UNIQUE,
    PZ_CONS_CHECK,
    PZ_CONS_FOREIGN,
    PZ_CONS_IDENTITY /* GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY */
} pz_cons_kind_t;

enum { PZ_FK_NO_ACTION, PZ_FK_RESTRICT, PZ_FK_CASCADE, PZ_FK_SET_NULL, PZ_FK_SET_DEFAULT };

typedef struct {
    uint8_t kind;       /* pz_cons_kind_t */
    const char *name;   /* CONSTRAINT name, or NULL */
    const char **cols;  /* table constraint columns (PK/UNIQUE/FK local); column ones: NULL */
    int n_cols;
    pz_ast_expr_t *expr; /* CHECK / DEFAULT */
    const char *expr_text; /* CHECK / DEFAULT as written (for the catalog and \d) */
    const char *ref_schema, *ref_table; /* FOREIGN */
    const char **ref_cols;
    int n_ref_cols;
    uint8_t on_delete, on_update; /* PZ_FK_* */
    bool identity_always;
    int location;
} pz_ast_cons_t;

typedef struct {
    const char *name;
    pz_ast_type_t type;
    pz_ast_cons_t *cons;
    int n_cons;
    int location;
} pz_ast_coldef_t;

typedef struct {
    const char *schema, *name;
    int location;
} pz_ast_qname_t;

typedef struct {
    const char *col; /* INSERT column / UPDATE SET target */
    pz_ast_expr_t *expr;
    int location;
} pz_ast_set_t;

typedef enum {
    PZ_AS_SELECT,
    PZ_AS_INSERT,
    PZ_AS_UPDATE,
    PZ_AS_DELETE,
    PZ_AS_CREATE_TABLE,
    PZ_AS_CREATE_TABLE_AS,
    PZ_AS_CREATE_INDEX,
    PZ_AS_CREATE_VIEW,
    PZ_AS_CREATE_SCHEMA,
    PZ_AS_CREATE_DATABASE,
    PZ_AS_CREATE_SEQUENCE,
    PZ_AS_DROP,
    PZ_AS_ALTER_TABLE,
    PZ_AS_RENAME,
    PZ_AS_TRUNCATE,
    PZ_AS_SET,
    PZ_AS_SHOW,
    PZ_AS_TXN,
    PZ_AS_EXPLAIN,
    PZ_AS_COPY,
    PZ_AS_ROLE, /* CREATE / ALTER / DROP ROLE|USER */
    PZ_AS_PREPARE,
    PZ_AS_EXECUTE,
    PZ_AS_DEALLOCATE,
    PZ_AS_DISCARD,
    PZ_AS_VACUUM, /* VACUUM / ANALYZE: analyze true for ANALYZE (added after the first set) */
    PZ_AS_SPLIT_AT,    /* CockroachDB's ALTER TABLE t / INDEX t@i SPLIT AT rows (sql_ranges.h):
                          rel, name = the index (NULL: primary), inner = the rows' SELECT */
    PZ_AS_SHOW_RANGES, /* SHOW RANGES [FROM ...] (sql_ranges.h): obj TABLE (rel), INDEX (rel,
                          name), DATABASE (name; NULL: the current one) */
} pz_as_kind_t;

/* DROP / RENAME / COMMENT object kinds. */
typedef enum {
    PZ_OBJ_TABLE,
    PZ_OBJ_INDEX,
    PZ_OBJ_VIEW,
    PZ_OBJ_SEQUENCE,
    PZ_OBJ_SCHEMA,
    PZ_OBJ_DATABASE,
    PZ_OBJ_COLUMN,
    PZ_OBJ_CONSTRAINT,
    PZ_OBJ_ROLE
} pz_obj_t;

typedef enum {
    PZ_ALTER_ADD_COLUMN,
    PZ_ALTER_DROP_COLUMN,
    PZ_ALTER_ADD_CONSTRAINT,
    PZ_ALTER_DROP_CONSTRAINT,
    PZ_ALTER_SET_DEFAULT,  /* expr NULL: DROP DEFAULT */
    PZ_ALTER_SET_NOT_NULL,
    PZ_ALTER_DROP_NOT_NULL,
    PZ_ALTER_TYPE          /* ALTER COLUMN TYPE: refused by the executor for now */
} pz_alter_kind_t;

typedef struct {
    uint8_t kind; /* pz_alter_kind_t */
    const char *name; /* column or constraint name */
    pz_ast_coldef_t *coldef; /* ADD COLUMN */
    pz_ast_cons_t *cons;     /* ADD CONSTRAINT */
    pz_ast_expr_t *expr;     /* SET DEFAULT */
    const char *expr_text;
    pz_ast_type_t type;      /* ALTER TYPE */
    bool if_exists, if_not_exists, cascade;
    int location;
} pz_ast_alter_t;

enum {
    PZ_TXN_BEGIN,
    PZ_TXN_COMMIT,
    PZ_TXN_ROLLBACK,
    PZ_TXN_SAVEPOINT,
    PZ_TXN_RELEASE,
    PZ_TXN_ROLLBACK_TO,
    PZ_TXN_SET /* SET TRANSACTION ... */
};

typedef struct pz_ast_stmt pz_ast_stmt_t;
struct pz_ast_stmt {
    uint8_t kind;   /* pz_as_kind_t */
    int location;   /* where this statement starts in the query string (0-based byte) */
    int length;     /* its length in bytes (0: to the end) */

    pz_ast_select_t *select; /* SELECT; INSERT ... SELECT/VALUES source; CREATE VIEW / TABLE AS
                                query; EXPLAIN's statement is in `inner` */
    pz_ast_qname_t rel;      /* INSERT/UPDATE/DELETE/CREATE TABLE|INDEX|VIEW|SEQUENCE target,
                                ALTER TABLE, RENAME's object, CREATE INDEX's index name is
                                `name` */
    const char *rel_alias;   /* INSERT (INSERT INTO t AS x) / UPDATE / DELETE target alias */
    const char *name;        /* index name (NULL: unnamed), schema name, database name,
                                SET/SHOW variable, savepoint, prepared statement (DEALLOCATE:
                                NULL for ALL), role (DROP ROLE: the first), new name for
                                RENAME */
    bool if_exists, if_not_exists, cascade, or_replace, unique, temp;

    /* INSERT */
    const char **cols; /* column list (INSERT), index columns by name (CREATE INDEX uses
                          idx_cols), view column names (CREATE VIEW) */
    int n_cols;
    bool default_values;
    int on_conflict;            /* 0 none, 1 DO NOTHING, 2 DO UPDATE */
    bool upsert;                /* CockroachDB's UPSERT INTO (sql_crdb.c): INSERT that updates
                                   the written columns of a row whose primary key exists */
    const char **conflict_cols; /* ON CONFLICT (cols) */
    int n_conflict_cols;
    const char *conflict_constraint; /* ON CONFLICT ON CONSTRAINT name */
    pz_ast_set_t *sets;         /* UPDATE SET / ON CONFLICT DO UPDATE SET */
    int n_sets;
    pz_ast_expr_t *where;       /* UPDATE/DELETE WHERE, ON CONFLICT DO UPDATE WHERE, partial
                                   index WHERE (refused for now) */
    pz_ast_from_t **from;       /* UPDATE FROM, DELETE USING */
    int n_from;
    pz_ast_target_t *returning;
    int n_returning;

    /* CREATE TABLE */
    pz_ast_coldef_t *coldefs;
    int n_coldefs;
    pz_ast_cons_t *tcons;
    int n_tcons;

    /* CREATE INDEX */
    pz_ast_sort_t *idx_cols; /* key columns (exprs are COLREFs; expression indexes refused) */
    int n_idx_cols;
    const char **include_cols; /* INCLUDE / STORING */
    int n_include;

    /* CREATE VIEW */
    const char *query_text; /* the view's (or CREATE TABLE AS) query as written */

    /* CREATE SEQUENCE: options as name = value (start, increment, minvalue, maxvalue, cache,
       cycle) */
    const char *seq_opt_names[8];
    int64_t seq_opt_values[8];
    int n_seq_opts;

    /* DROP / RENAME / TRUNCATE */
    uint8_t obj;           /* pz_obj_t */
    pz_ast_qname_t *objs;  /* DROP's / TRUNCATE's object list */
    int n_objs;
    const char *subname;   /* RENAME COLUMN / CONSTRAINT old name; RENAME of a SCHEMA,
                              DATABASE or ROLE: its old name (rel unset) */
    bool restart_identity; /* TRUNCATE ... RESTART IDENTITY (added by the translator) */

    /* ALTER TABLE */
    pz_ast_alter_t *alters;
    int n_alters;

    /* SET / SHOW / RESET */
    pz_ast_expr_t **set_values; /* constants; NULL with set_default for SET x TO DEFAULT */
    int n_set_values;
    bool set_local, set_default, reset, reset_all, show_all;

    /* TXN */
    int txn;           /* PZ_TXN_* */
    int isolation;     /* 0 default, 1 SERIALIZABLE, 2 REPEATABLE READ, 3 READ COMMITTED,
                          4 READ UNCOMMITTED */
    int read_only;     /* 0 unspecified, 1 READ ONLY, 2 READ WRITE */

    /* AS OF SYSTEM TIME (sql_aost.c): the timestamp expression's text, evaluated when the
       statement runs (SELECT, EXPLAIN, BEGIN, SET TRANSACTION); NULL without the clause */
    const char *as_of;

    /* EXPLAIN (and PREPARE): the statement explained / prepared, same location and length */
    pz_ast_stmt_t *inner;
    bool analyze, verbose;

    /* COPY */
    bool copy_from;  /* FROM STDIN (true) / TO STDOUT (false); files refused */
    bool copy_csv;
    bool copy_header;
    char copy_delim; /* 0 default */
    const char *copy_null; /* NULL default */
    pz_ast_select_t *copy_query; /* COPY (SELECT ...) TO STDOUT */

    /* ROLE: CREATE/ALTER/DROP (role_op 0/1/2), password (NULL = none), login, superuser.
       CREATE USER sets login 1 unless NOLOGIN is given, as PostgreSQL does. DROP ROLE's names
       are in objs. */
    int role_op;
    const char *password;
    bool password_null;
    int login, superuser; /* -1 unspecified, 0 no, 1 yes */

    /* PREPARE name (types) AS stmt (the statement in `inner`) / EXECUTE name (params) */
    const char *query; /* PREPARE: the query text it was parsed from (a copy in the AST's arena) */
    pz_ast_type_t *prep_types;
    int n_prep_types;
    pz_ast_expr_t **exec_params;
    int n_exec_params;

    /* VACUUM (ANALYZE): statistics are collected too (added with table statistics); the
       relations of VACUUM / ANALYZE are in objs */
    bool vacuum_analyze;
};

/* Parses a whole query string with the PostgreSQL 15 grammar and translates every statement.
 * *stmts gets an array of *n statements in arena a. Errors: 42601 syntax (position set), 0A000
 * unsupported construct (position set where the tree has one), 54001 too deep / too complex.
 * Returns 0 or PZ_EINVAL with err set; also PZ_ENOMEM (53200: the arena is exhausted) and
 * PZ_ECLOSED (57014: `cancel` became true while a long query waited its turn), err set.
 * `cancel` as pz_sql_parse. Thread-safe. Needs PZ_SQL_SESSION_STACK_BYTES of stack as
 * pz_sql_parse does. */
int pz_ast_build(pz_arena_t *a, const char *query, const _Atomic bool *cancel,
                 pz_ast_stmt_t ***stmts, int *n, pz_sql_err_t *err);

#endif
