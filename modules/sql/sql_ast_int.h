/*
 * sql_ast_int.h — internals shared by the libpg_query glue (sql_parse.c) and the translator of
 * its protobuf tree into the project's AST (sql_ast_build.c: statements, sql_ast_expr.c:
 * expressions, SELECT, FROM and types). Not for use outside modules/sql.
 */
#ifndef PZ_SQL_AST_INT_H
#define PZ_SQL_AST_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <pg_query/pg_query.pb-c.h>

#include "sql_ast.h"
#include "sql_parse.h"

/* ---- sql_parse.c: the guarded parse + unpack step shared by pz_sql_parse and pz_ast_build -- */

/* Called with the unpacked tree, which dies when it returns. Returns 0 or a PZ_E* code, passed
 * through as pz__sql_parse_tree's result. */
typedef int (*pz__sql_tree_fn)(const PgQuery__ParseResult *tree, void *ctx);

/* Parses `query` behind the guards (complexity scan of long queries, depth check before
 * unpacking, one long query at a time process-wide, `cancel`), then calls fn(tree, ctx).
 * Returns fn's result, or as pz_sql_parse does: PZ_EINVAL (syntax: out->error/cursorpos),
 * PZ_ELIMIT (54001: out->error), PZ_EINTERNAL, PZ_ECLOSED (cancelled while waiting). */
int pz__sql_parse_tree(const char *query, const atomic_bool *cancel, pz__sql_tree_fn fn, void *ctx,
                       pz_sql_parse_t *out);

/* The kind of a statement node: "SELECT", "CREATE TABLE", or the parse node's name
 * ("AlterOwnerStmt"); also names any other node ("GroupingFunc"). Never NULL. */
const char *pz__sql_kind(const PgQuery__Node *n);

/* ---- the translator's state (sql_ast_build.c / sql_ast_expr.c) ---- */

/* One scanned token of the statement being translated: byte offsets into the whole query. */
typedef struct {
    int start, end;
    int token; /* PgQuery__Token */
} pz__ab_tok_t;

typedef struct {
    pz_arena_t *a;
    const char *query;
    size_t query_len;
    pz_sql_err_t *err;
    /* Byte offset -> character position: NULL when the query is ASCII; else the number of
     * characters before every PZ__AB_CHARS_STEP-th byte. */
    uint32_t *char_marks;
    /* The statement being translated (byte range of the query) and its tokens, scanned on first
     * need (text of DEFAULT / CHECK expressions, view queries). */
    int stmt_start, stmt_end;
    pz__ab_tok_t *toks;
    int n_toks;
    bool scanned;
} pz__ab_t;

#define PZ__AB_CHARS_STEP 256

/* 1-based character position of a 0-based byte location from the tree (-1: unknown -> 0). */
int pz__ab_loc(const pz__ab_t *b, int32_t location);
/* Sets 0A000 "<printf> is not supported"-style messages with the position of `location`
 * (a tree location, -1 for none). Returns PZ_EINVAL. */
int pz__ab_refuse(pz__ab_t *b, int32_t location, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Any SQLSTATE, same position rule. */
int pz__ab_fail(pz__ab_t *b, const char *state, int32_t location, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Arena exhausted: 53200. Returns PZ_ENOMEM. */
int pz__ab_nomem(pz__ab_t *b);
/* Arena allocations that set the error on failure (NULL then). */
void *pz__ab_alloc(pz__ab_t *b, size_t bytes);
/* A NUL-terminated arena copy of s (NULL stays NULL); *ok false on exhaustion. */
const char *pz__ab_str(pz__ab_t *b, const char *s, bool *ok);
/* An arena copy of query bytes [start, end), NUL-terminated. NULL with the error set. */
const char *pz__ab_slice(pz__ab_t *b, int start, int end);

/* The string of a String node, NULL for any other node. */
const char *pz__ab_string(const PgQuery__Node *n);
/* Names from a list of String nodes into an arena array. 0 or PZ_EINVAL / PZ_ENOMEM. */
int pz__ab_names(pz__ab_t *b, PgQuery__Node **items, size_t n, int32_t location, const char ***out,
                 int *n_out);
/* A qualified name from a RangeVar (catalog refused). */
int pz__ab_rangevar(pz__ab_t *b, const PgQuery__RangeVar *rv, pz_ast_qname_t *out);
/* A qualified name from a list of 1 or 2 String nodes (DROP's objects). */
int pz__ab_qname_list(pz__ab_t *b, PgQuery__Node **items, size_t n, int32_t location,
                      pz_ast_qname_t *out);

/* sql_ast_build.c: option values (DefElem args): a bare name is true; 22023 otherwise. */
int pz__ab_def_bool(pz__ab_t *b, const PgQuery__DefElem *d, bool *out);
int pz__ab_def_int(pz__ab_t *b, const PgQuery__DefElem *d, int64_t *out);

/* sql_ast_ddl.c: CREATE / DROP / ALTER / RENAME / TRUNCATE. */
bool pz__ab_ddl_handles(const PgQuery__Node *n);
int pz__ab_ddl(pz__ab_t *b, const PgQuery__Node *n, pz_ast_stmt_t *st);

/* sql_ast_expr.c: expressions, sort lists, types */
int pz__ab_expr(pz__ab_t *b, const PgQuery__Node *n, pz_ast_expr_t **out);
int pz__ab_exprs(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_expr_t ***out, int *n_out);
int pz__ab_sort(pz__ab_t *b, const PgQuery__Node *n, pz_ast_sort_t *out);
int pz__ab_sort_list(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_sort_t **out, int *n_out);
int pz__ab_type(pz__ab_t *b, const PgQuery__TypeName *t, pz_ast_type_t *out);
/* sql_ast_select.c: SELECT, FROM, windows, target lists */
int pz__ab_select(pz__ab_t *b, const PgQuery__Node *n, pz_ast_select_t **out);
/* OVER (...) (is_over: OVER w names the window it copies) or a WINDOW clause entry. */
int pz__ab_window(pz__ab_t *b, const PgQuery__WindowDef *w, bool is_over, pz_ast_window_t *out);
int pz__ab_targets(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_target_t **out, int *n_out);
int pz__ab_from_list(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_from_t ***out,
                     int *n_out);
/* sql_ast_expr.c: checks a COLLATE name list: only "C", "POSIX" and "default" (optionally
 * pg_catalog.). */
int pz__ab_collation(pz__ab_t *b, PgQuery__Node **names, size_t n, int32_t location,
                     const char **out);

/* sql_ast_text.c: source text of expressions and queries, sliced from the statement. */
/* The expression after the DEFAULT keyword found at or after byte `from` (a constraint's
 * location), ending before byte `limit` (the next constraint of the column; INT32_MAX: none) or
 * at a ',' / ')' / ';' outside parentheses. */
int pz__ab_default_text(pz__ab_t *b, int from, int limit, const char **out);
/* The expression inside CHECK ( ... ) found at or after byte `from`. */
int pz__ab_check_text(pz__ab_t *b, int from, const char **out);
/* ALTER TABLE ... SET DEFAULT: the expression of the nth (0-based) SET DEFAULT of the statement
 * (ON DELETE / ON UPDATE SET DEFAULT skipped). */
int pz__ab_set_default_text(pz__ab_t *b, int nth, const char **out);
/* The query after the first AS outside parentheses at or after byte `from` (CREATE VIEW,
 * CREATE TABLE AS), up to the statement's end (a trailing WITH [NO] DATA excluded). */
int pz__ab_query_text(pz__ab_t *b, int from, const char **out);

#endif
