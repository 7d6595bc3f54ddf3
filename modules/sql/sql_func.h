/*
 * sql_func.h — the built-in operators and scalar functions, and how a call is resolved.
 *
 * Every operator (`+`, `||`, `~~` for LIKE, unary `-`) and scalar function (`abs`, `lower`,
 * `now`, `date_trunc`, ...) is one row of a static table: name, argument types, result type,
 * flags and the C function. The binder resolves a call by name and argument types with
 * PostgreSQL's rules ("Function Type Resolution" / "Operator Type Resolution" in the docs):
 * exact match; else candidates reachable by implicit casts, preferring more exact matches, then
 * preferred types; an UNKNOWN argument (a string literal) takes the candidate's type. It then
 * inserts the casts the chosen row wants. The executor calls `fn` with non-NULL arguments when
 * the row is STRICT (NULL in → NULL out without a call).
 *
 * Comparisons (= <> < <= > >=) are rows too, implemented on pz_datum_cmp, so `1 = 1.5` resolves
 * exactly as in PostgreSQL (int4 vs numeric → numeric = numeric).
 *
 * Aggregates and window functions are not here: the executor owns their state machines; it uses
 * these rows for the arithmetic (sum's `+`, avg's division).
 */
#ifndef PZ_SQL_FUNC_H
#define PZ_SQL_FUNC_H

#include "sql_types.h"

/* What a function may read while it runs: the arena for its result, the session's settings, the
 * statement's timestamp (now() and current_timestamp are stable within a statement), an error. */
typedef struct {
    pz_arena_t *arena;
    const pz_sql_tyenv_t *env;
    int64_t stmt_ts_us;  /* statement start, µs since 2000-01-01 UTC */
    int64_t txn_ts_us;   /* transaction start (now()); equal to stmt_ts_us outside a txn */
    uint64_t *rand_seed; /* random() state, per session */
    pz_sql_err_t *err;
    pz_sql_type_t ret;   /* the resolved result type (typmod included) */
    const void *session; /* for current_user, current_database, version(): sql_exec.h's type */
} pz_sql_fnctx_t;

typedef int (*pz_sql_fn_t)(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv, pz_datum_t *out);

enum {
    PZ_FN_STRICT = 1,   /* NULL in any argument → NULL result, fn not called */
    PZ_FN_VOLATILE = 2, /* random(), clock_timestamp(): never constant-folded */
    PZ_FN_STABLE = 4,   /* now(): constant within a statement, not foldable at plan time */
    PZ_FN_VARIADIC = 8, /* the last argument type repeats (concat, coalesce-like) */
    PZ_FN_OPERATOR = 16 /* an operator row (name is the symbol) */
};

/* Argument type wildcards beside concrete pz_ty_t values. */
#define PZ_FN_ANY 0xF0        /* any type; result ANY means "the first argument's type" */
#define PZ_FN_ANYARRAY 0xF1   /* any array; result ANYELEM means its element type */
#define PZ_FN_ANYELEM 0xF2    /* any non-array type, the same across ANY* args of one call */

#define PZ_FN_ARGS_MAX 6
typedef struct {
    const char *name;  /* lower-case function name or operator symbol */
    int8_t nargs;      /* fixed count; with VARIADIC, the minimum */
    uint8_t args[PZ_FN_ARGS_MAX]; /* pz_ty_t or PZ_FN_* wildcards */
    uint8_t ret;       /* pz_ty_t or a wildcard */
    uint8_t flags;     /* PZ_FN_* */
    pz_sql_fn_t fn;
    uint32_t oid;      /* pg_proc OID when PostgreSQL has one (for the catalogs), else 0 */
} pz_sql_fndef_t;

/* Resolves name(args) — an operator when is_op (binary: argc 2; prefix: argc 1). On success
 * *def is the row, cast_to[i] the type argument i must be cast to (equal to argt[i] when no
 * cast is needed) and *ret the result type. Errors: 42883 "function f(integer, text) does not
 * exist" / "operator does not exist: integer + text" with a hint, 42725 ambiguous. */
int pz_sql_fn_resolve(const char *name, bool is_op, int argc, const pz_sql_type_t *argt,
                      const pz_sql_fndef_t **def, pz_sql_type_t *cast_to, pz_sql_type_t *ret,
                      pz_sql_err_t *err);

/* Whether any row has this name (to tell "no such function" from "wrong arguments"). */
bool pz_sql_fn_exists(const char *name);

/* Runs a resolved function: handles STRICT, then calls def->fn. */
int pz_sql_fn_call(const pz_sql_fndef_t *def, pz_sql_fnctx_t *ctx, int argc,
                   const pz_datum_t *argv, pz_datum_t *out);

/* The whole table, for pg_proc. */
const pz_sql_fndef_t *pz_sql_fn_table(size_t *n);

/* LIKE / ILIKE matching with PostgreSQL's escape rules ('\' default escape, ESCAPE '' none):
 * the executor uses it for LIKE with a non-constant pattern; rows `~~`, `~~*`, `!~~` use it. */
bool pz_sql_like(const uint8_t *s, size_t slen, const uint8_t *pat, size_t plen, bool icase,
                 int escape);

#endif
