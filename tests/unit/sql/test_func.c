/*
 * test_func.c — proves the function library (sql_func*.c): PostgreSQL's resolution of operators
 * and functions over the table (which row wins, which casts it asks for, the result type, the
 * 42883/42725 messages and hints), and the results and errors of the rows themselves: integer
 * overflow per width, division by zero, truncating division, float inf/NaN rules, numeric,
 * UTF-8 string functions, LIKE with escapes and wildcards at the edges, regexes, date arithmetic.
 *
 * How: table-driven cases whose expectations were taken from PostgreSQL 15 (psql against a
 * private instance: `select pg_typeof(1 + 1.5)`, `select 2147483647 + 1`, ...). Calls go
 * through pz_sql_fn_resolve and pz_sql_fn_call as the executor makes them; text results are
 * compared with pz_datum_to_text's output, PostgreSQL's text format.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/errors.h"
#include "sql_func.h"

#define MAXA 8

static pz_sql_type_t ty(pz_ty_t t)
{
    return PZ_SQL_TYPE(t);
}

/* Resolution: name, operator?, argument types → result type (or an error state). */
static void test_resolve(void **state)
{
    (void)state;
    const struct {
        const char *name;
        bool op;
        int argc;
        pz_ty_t args[3];
        pz_ty_t ret;       /* PZ_TY_COUNT_: expect an error */
        const char *state; /* expected SQLSTATE on error */
        pz_ty_t cast0;     /* the type argument 0 is cast to (0: not checked) */
    } cases[] = {
        {"+", true, 2, {PZ_TY_INT4, PZ_TY_NUMERIC}, PZ_TY_NUMERIC, NULL, PZ_TY_NUMERIC},
        {"+", true, 2, {PZ_TY_UNKNOWN, PZ_TY_INT4}, PZ_TY_INT4, NULL, PZ_TY_INT4},
        {"+", true, 2, {PZ_TY_INT2, PZ_TY_INT8}, PZ_TY_INT8, NULL, PZ_TY_INT2},
        {"+", true, 2, {PZ_TY_INT4, PZ_TY_INT4}, PZ_TY_INT4, NULL, PZ_TY_INT4},
        {"+", true, 2, {PZ_TY_INT4, PZ_TY_FLOAT8}, PZ_TY_FLOAT8, NULL, PZ_TY_FLOAT8},
        {"+", true, 2, {PZ_TY_FLOAT4, PZ_TY_FLOAT8}, PZ_TY_FLOAT8, NULL, PZ_TY_FLOAT4},
        {"+", true, 2, {PZ_TY_NUMERIC, PZ_TY_FLOAT8}, PZ_TY_FLOAT8, NULL, PZ_TY_FLOAT8},
        {"/", true, 2, {PZ_TY_INT8, PZ_TY_INT2}, PZ_TY_INT8, NULL, PZ_TY_INT8},
        {"||", true, 2, {PZ_TY_TEXT, PZ_TY_INT4}, PZ_TY_TEXT, NULL, PZ_TY_TEXT},
        {"||", true, 2, {PZ_TY_INT4, PZ_TY_TEXT}, PZ_TY_TEXT, NULL, PZ_TY_INT4},
        {"||", true, 2, {PZ_TY_UNKNOWN, PZ_TY_UNKNOWN}, PZ_TY_TEXT, NULL, PZ_TY_TEXT},
        {"||", true, 2, {PZ_TY_VARCHAR, PZ_TY_VARCHAR}, PZ_TY_TEXT, NULL, PZ_TY_TEXT},
        {"=", true, 2, {PZ_TY_INT4, PZ_TY_NUMERIC}, PZ_TY_BOOL, NULL, PZ_TY_NUMERIC},
        {"=", true, 2, {PZ_TY_INT4, PZ_TY_INT8}, PZ_TY_BOOL, NULL, PZ_TY_INT4},
        {"=", true, 2, {PZ_TY_TEXT, PZ_TY_UNKNOWN}, PZ_TY_BOOL, NULL, PZ_TY_TEXT},
        {"=", true, 2, {PZ_TY_BPCHAR, PZ_TY_TEXT}, PZ_TY_BOOL, NULL, PZ_TY_TEXT},
        {"<", true, 2, {PZ_TY_DATE, PZ_TY_TIMESTAMP}, PZ_TY_BOOL, NULL, PZ_TY_TIMESTAMP},
        {"-", true, 2, {PZ_TY_DATE, PZ_TY_DATE}, PZ_TY_INT4, NULL, PZ_TY_DATE},
        {"-", true, 1, {PZ_TY_INT2}, PZ_TY_INT2, NULL, PZ_TY_INT2},
        {"-", true, 1, {PZ_TY_UNKNOWN}, PZ_TY_COUNT_, "42725", 0},
        {"~~", true, 2, {PZ_TY_VARCHAR, PZ_TY_UNKNOWN}, PZ_TY_BOOL, NULL, PZ_TY_TEXT},
        {"+", true, 2, {PZ_TY_INT4, PZ_TY_TEXT}, PZ_TY_COUNT_, "42883", 0},
        {"+", true, 2, {PZ_TY_UNKNOWN, PZ_TY_UNKNOWN}, PZ_TY_COUNT_, "42725", 0},
        {"length", false, 1, {PZ_TY_UNKNOWN}, PZ_TY_INT4, NULL, PZ_TY_TEXT},
        {"length", false, 1, {PZ_TY_VARCHAR}, PZ_TY_INT4, NULL, PZ_TY_TEXT},
        {"abs", false, 1, {PZ_TY_INT2}, PZ_TY_INT2, NULL, PZ_TY_INT2},
        {"abs", false, 1, {PZ_TY_UNKNOWN}, PZ_TY_FLOAT8, NULL, PZ_TY_FLOAT8},
        {"round", false, 1, {PZ_TY_INT4}, PZ_TY_FLOAT8, NULL, PZ_TY_FLOAT8},
        {"round", false, 2, {PZ_TY_NUMERIC, PZ_TY_INT4}, PZ_TY_NUMERIC, NULL, PZ_TY_NUMERIC},
        {"round", false, 2, {PZ_TY_FLOAT8, PZ_TY_INT4}, PZ_TY_COUNT_, "42883", 0},
        {"sqrt", false, 1, {PZ_TY_INT4}, PZ_TY_FLOAT8, NULL, PZ_TY_FLOAT8},
        {"power", false, 2, {PZ_TY_INT4, PZ_TY_NUMERIC}, PZ_TY_NUMERIC, NULL, PZ_TY_NUMERIC},
        {"substr", false, 3, {PZ_TY_TEXT, PZ_TY_INT8, PZ_TY_INT4}, PZ_TY_COUNT_, "42883", 0},
        {"substr", false, 2, {PZ_TY_VARCHAR, PZ_TY_INT2}, PZ_TY_TEXT, NULL, PZ_TY_TEXT},
        {"concat", false, 3, {PZ_TY_INT4, PZ_TY_UNKNOWN, PZ_TY_BOOL}, PZ_TY_TEXT, NULL, PZ_TY_INT4},
        {"foo", false, 1, {PZ_TY_INT4}, PZ_TY_COUNT_, "42883", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pz_sql_type_t at[3], cast[3], ret;
        for (int k = 0; k < cases[i].argc; k++) {
            at[k] = ty(cases[i].args[k]);
        }
        const pz_sql_fndef_t *def = NULL;
        pz_sql_err_t err;
        pz_sql_err_clear(&err);
        int rc = pz_sql_fn_resolve(cases[i].name, cases[i].op, cases[i].argc, at, &def, cast, &ret,
                                   &err);
        if (cases[i].ret == PZ_TY_COUNT_) {
            if (rc == 0 || strcmp(err.sqlstate, cases[i].state) != 0) {
                fail_msg("case %zu (%s): rc %d state %s", i, cases[i].name, rc, err.sqlstate);
            }
            continue;
        }
        if (rc != 0 || ret.id != cases[i].ret ||
            (cases[i].cast0 != 0 && cast[0].id != cases[i].cast0)) {
            fail_msg("case %zu (%s): rc %d %s, ret %d, cast0 %d", i, cases[i].name, rc, err.message,
                     ret.id, rc == 0 ? cast[0].id : -1);
        }
    }
}

static void test_resolve_messages(void **state)
{
    (void)state;
    pz_sql_type_t at[2] = {ty(PZ_TY_INT4), ty(PZ_TY_TEXT)}, cast[2], ret;
    const pz_sql_fndef_t *def;
    pz_sql_err_t err;
    pz_sql_err_clear(&err);
    assert_int_equal(pz_sql_fn_resolve("+", true, 2, at, &def, cast, &ret, &err), PZ_EINVAL);
    assert_string_equal(err.sqlstate, "42883");
    assert_string_equal(err.message, "operator does not exist: integer + text");
    assert_string_equal(err.hint, "No operator matches the given name and argument types. You "
                                  "might need to add explicit type casts.");
    pz_sql_err_clear(&err);
    assert_int_equal(pz_sql_fn_resolve("foo", false, 1, at, &def, cast, &ret, &err), PZ_EINVAL);
    assert_string_equal(err.message, "function foo(integer) does not exist");
    assert_string_equal(err.hint, "No function matches the given name and argument types. You "
                                  "might need to add explicit type casts.");
    pz_sql_err_clear(&err);
    at[0] = ty(PZ_TY_UNKNOWN);
    at[1] = ty(PZ_TY_UNKNOWN);
    assert_int_equal(pz_sql_fn_resolve("+", true, 2, at, &def, cast, &ret, &err), PZ_EINVAL);
    assert_string_equal(err.sqlstate, "42725");
    assert_string_equal(err.message, "operator is not unique: unknown + unknown");
    pz_sql_err_clear(&err);
    at[0] = ty(PZ_TY_TEXT);
    assert_int_equal(pz_sql_fn_resolve("-", true, 1, at, &def, cast, &ret, &err), PZ_EINVAL);
    assert_string_equal(err.message, "operator does not exist: - text");
    pz_sql_err_clear(&err);
    pz_sql_type_t three[3] = {ty(PZ_TY_INT4), ty(PZ_TY_UNKNOWN), ty(PZ_TY_BOOL)};
    assert_int_equal(pz_sql_fn_resolve("bar", false, 3, three, &def, cast, &ret, &err), PZ_EINVAL);
    assert_string_equal(err.message, "function bar(integer, unknown, boolean) does not exist");
    assert_true(pz_sql_fn_exists("lower"));
    assert_false(pz_sql_fn_exists("no_such_fn"));
    size_t n;
    assert_non_null(pz_sql_fn_table(&n));
    assert_true(n > 300);
}

/* ------------------------------------------------------------------------------------------ */
/* Calls                                                                                       */

static pz_arena_t *g_arena;
static uint64_t g_seed = 42;

/* A literal argument: its type and its text (NULL: SQL NULL). */
typedef struct {
    pz_ty_t t;
    const char *text;
} arg_t;

/* Resolves and calls name(args) with text inputs; writes the text result ("NULL" or
 * "ERROR <sqlstate>: <message>") into out. */
static void call(const char *name, bool op, int argc, const arg_t *args, char *out, size_t cap)
{
    pz_sql_tyenv_t env = pz_sql_tyenv_default();
    pz_sql_type_t at[MAXA], cast[MAXA], ret;
    pz_datum_t argv[MAXA];
    pz_sql_err_t err;
    pz_sql_err_clear(&err);
    for (int i = 0; i < argc; i++) {
        at[i] = ty(args[i].t);
    }
    const pz_sql_fndef_t *def;
    int rc = pz_sql_fn_resolve(name, op, argc, at, &def, cast, &ret, &err);
    for (int i = 0; rc == 0 && i < argc; i++) {
        if (args[i].text == NULL) {
            argv[i] = pz_datum_null((pz_ty_t)cast[i].id);
        } else {
            rc = pz_datum_from_text(g_arena, &env, cast[i], args[i].text, strlen(args[i].text),
                                    &argv[i], &err);
        }
    }
    pz_datum_t res;
    if (rc == 0) {
        pz_sql_fnctx_t ctx = {.arena = g_arena,
                              .env = &env,
                              .stmt_ts_us = 0,
                              .txn_ts_us = 0,
                              .rand_seed = &g_seed,
                              .err = &err,
                              .ret = ret};
        rc = pz_sql_fn_call(def, &ctx, argc, argv, &res);
    }
    if (rc != 0) {
        snprintf(out, cap, "ERROR %s: %s", err.sqlstate, err.message);
        return;
    }
    if (res.null) {
        snprintf(out, cap, "NULL");
        return;
    }
    pz_sbuf_t b = {0};
    pz_datum_to_text(&env, &res, &b);
    snprintf(out, cap, "%.*s", (int)b.len, b.p);
    pz_sbuf_free(&b);
}

typedef struct {
    const char *name;
    bool op;
    int argc;
    arg_t args[MAXA];
    const char *want;
} case_t;

#define I4(s)                                                                                      \
    {                                                                                              \
        PZ_TY_INT4, s                                                                              \
    }
#define I2(s)                                                                                      \
    {                                                                                              \
        PZ_TY_INT2, s                                                                              \
    }
#define I8(s)                                                                                      \
    {                                                                                              \
        PZ_TY_INT8, s                                                                              \
    }
#define F8(s)                                                                                      \
    {                                                                                              \
        PZ_TY_FLOAT8, s                                                                            \
    }
#define F4(s)                                                                                      \
    {                                                                                              \
        PZ_TY_FLOAT4, s                                                                            \
    }
#define N(s)                                                                                       \
    {                                                                                              \
        PZ_TY_NUMERIC, s                                                                           \
    }
#define T(s)                                                                                       \
    {                                                                                              \
        PZ_TY_TEXT, s                                                                              \
    }
#define U(s)                                                                                       \
    {                                                                                              \
        PZ_TY_UNKNOWN, s                                                                           \
    }
#define B(s)                                                                                       \
    {                                                                                              \
        PZ_TY_BOOL, s                                                                              \
    }
#define D(s)                                                                                       \
    {                                                                                              \
        PZ_TY_DATE, s                                                                              \
    }

static void run_cases(const case_t *cases, size_t n)
{
    g_arena = pz_arena_new();
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        char got[512];
        call(cases[i].name, cases[i].op, cases[i].argc, cases[i].args, got, sizeof got);
        if (strcmp(got, cases[i].want) != 0) {
            print_error("case %zu %s: got \"%s\", want \"%s\"\n", i, cases[i].name, got,
                        cases[i].want);
            failures++;
        }
    }
    pz_arena_destroy(&g_arena);
    assert_int_equal(failures, 0);
}

static void test_arithmetic(void **state)
{
    (void)state;
    static const case_t cases[] = {
        {"+", true, 2, {I4("1"), N("1.5")}, "2.5"},
        {"+", true, 2, {U("1"), I4("2")}, "3"},
        {"+", true, 2, {I4("2147483647"), I4("1")}, "ERROR 22003: integer out of range"},
        {"+", true, 2, {I2("32767"), I2("1")}, "ERROR 22003: smallint out of range"},
        {"+", true, 2, {I2("32767"), I4("1")}, "32768"},
        {"+", true, 2, {I8("9223372036854775807"), I8("1")}, "ERROR 22003: bigint out of range"},
        {"*", true, 2, {I4("65536"), I4("65536")}, "ERROR 22003: integer out of range"},
        {"*", true, 2, {I8("4294967296"), I4("2")}, "8589934592"},
        {"-", true, 2, {I4("-2147483648"), I4("1")}, "ERROR 22003: integer out of range"},
        {"/", true, 2, {I4("7"), I4("2")}, "3"},
        {"/", true, 2, {I4("-7"), I4("2")}, "-3"},
        {"/", true, 2, {I4("1"), I4("0")}, "ERROR 22012: division by zero"},
        {"/", true, 2, {I4("-2147483648"), I4("-1")}, "ERROR 22003: integer out of range"},
        {"%", true, 2, {I4("-7"), I4("3")}, "-1"},
        {"%", true, 2, {I4("-2147483648"), I4("-1")}, "0"},
        {"%", true, 2, {I4("5"), I4("0")}, "ERROR 22012: division by zero"},
        {"-", true, 1, {I4("-2147483648")}, "ERROR 22003: integer out of range"},
        {"-", true, 1, {I2("5")}, "-5"},
        {"@", true, 1, {I4("-5")}, "5"},
        {"&", true, 2, {I4("12"), I4("10")}, "8"},
        {"|", true, 2, {I4("12"), I4("10")}, "14"},
        {"#", true, 2, {I4("12"), I4("10")}, "6"},
        {"~", true, 1, {I4("12")}, "-13"},
        {"<<", true, 2, {I4("1"), I4("31")}, "-2147483648"},
        {"<<", true, 2, {I4("1"), I4("33")}, "2"},
        {">>", true, 2, {I4("-8"), I4("1")}, "-4"},
        {"/", true, 2, {F8("1"), F8("0")}, "ERROR 22012: division by zero"},
        {"/", true, 2, {F8("1"), F8("3")}, "0.3333333333333333"},
        {"*", true, 2, {F8("1e300"), F8("1e300")}, "ERROR 22003: value out of range: overflow"},
        {"*", true, 2, {F8("1e-300"), F8("1e-300")}, "ERROR 22003: value out of range: underflow"},
        {"+", true, 2, {F8("Infinity"), F8("1")}, "Infinity"},
        {"-", true, 2, {F8("Infinity"), F8("Infinity")}, "NaN"},
        {"/", true, 2, {F8("NaN"), F8("0")}, "NaN"},
        {"*", true, 2, {F4("1e30"), F4("1e30")}, "ERROR 22003: value out of range: overflow"},
        {"+", true, 2, {F4("1.5"), F8("2.25")}, "3.75"},
        {"^", true, 2, {F8("2"), F8("10")}, "1024"},
        {"^",
         true,
         2,
         {F8("0"), F8("-1")},
         "ERROR 2201F: zero raised to a negative power is undefined"},
        {"^",
         true,
         2,
         {F8("-8"), F8("0.5")},
         "ERROR 2201F: a negative number raised to a non-integer power yields a complex result"},
        {"|/", true, 1, {F8("16")}, "4"},
        {"|/", true, 1, {F8("-1")}, "ERROR 2201F: cannot take square root of a negative number"},
        {"+", true, 2, {N("1.10"), N("2.205")}, "3.305"},
        {"*", true, 2, {N("1.5"), N("2.25")}, "3.375"},
        {"/", true, 2, {N("1"), N("3")}, "0.33333333333333333333"},
        {"/", true, 2, {N("1"), N("0")}, "ERROR 22012: division by zero"},
        {"%", true, 2, {N("10.5"), N("3")}, "1.5"},
        {"-", true, 1, {N("1.50")}, "-1.50"},
        {"^", true, 2, {N("2"), N("10")}, "1024.0000000000000000"},
        {"^", true, 2, {N("0.5"), N("3")}, "0.1250000000000000"},
        {"^", true, 2, {N("2"), N("-2")}, "0.2500000000000000"},
        {"=", true, 2, {I4("1"), N("1.0")}, "t"},
        {"<", true, 2, {I2("1"), I8("2")}, "t"},
        {"<>", true, 2, {F4("0.5"), F8("0.5")}, "f"},
        {"=", true, 2, {F8("NaN"), F8("NaN")}, "t"},
        {">", true, 2, {F8("NaN"), F8("Infinity")}, "t"},
        {"<", true, 2, {T("abc"), T("abd")}, "t"},
        {"=", true, 2, {{PZ_TY_BPCHAR, "a  "}, {PZ_TY_BPCHAR, "a"}}, "t"},
        {">=", true, 2, {B("true"), B("false")}, "t"},
        {"+", true, 2, {I4(NULL), I4("1")}, "NULL"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_math_functions(void **state)
{
    (void)state;
    static const case_t cases[] = {
        {"abs", false, 1, {I4("-3")}, "3"},
        {"abs", false, 1, {I4("-2147483648")}, "ERROR 22003: integer out of range"},
        {"abs", false, 1, {N("-1.50")}, "1.50"},
        {"round", false, 1, {F8("2.5")}, "2"},
        {"round", false, 1, {F8("3.5")}, "4"},
        {"round", false, 1, {N("2.5")}, "3"},
        {"round", false, 2, {N("3.14159"), I4("2")}, "3.14"},
        {"round", false, 2, {N("1234.5"), I4("-2")}, "1200"},
        {"trunc", false, 1, {F8("-2.7")}, "-2"},
        {"ceil", false, 1, {F8("-2.7")}, "-2"},
        {"floor", false, 1, {N("-2.5")}, "-3"},
        {"sign", false, 1, {F8("-0.5")}, "-1"},
        {"mod", false, 2, {I4("-7"), I4("3")}, "-1"},
        {"mod", false, 2, {I4("7"), I4("0")}, "ERROR 22012: division by zero"},
        {"div", false, 2, {N("7"), N("2")}, "3"},
        {"power", false, 2, {F8("2"), F8("0.5")}, "1.4142135623730951"},
        {"sqrt", false, 1, {F8("2")}, "1.4142135623730951"},
        {"cbrt", false, 1, {F8("64")}, "4"},
        {"exp", false, 1, {F8("0")}, "1"},
        {"exp", false, 1, {F8("1000")}, "ERROR 22003: value out of range: overflow"},
        {"ln", false, 1, {F8("0")}, "ERROR 2201E: cannot take logarithm of zero"},
        {"ln", false, 1, {F8("-1")}, "ERROR 2201E: cannot take logarithm of a negative number"},
        {"log", false, 1, {F8("1000")}, "3"},
        {"pi", false, 0, {{0, NULL}}, "3.141592653589793"},
        {"degrees", false, 1, {F8("3.141592653589793")}, "180"},
        {"atan2", false, 2, {F8("1"), F8("1")}, "0.7853981633974483"},
        {"gcd", false, 2, {I4("12"), I4("-18")}, "6"},
        {"lcm", false, 2, {I4("4"), I4("6")}, "12"},
        {"width_bucket", false, 4, {F8("5.35"), F8("0.024"), F8("10.06"), I4("5")}, "3"},
        {"width_bucket", false, 4, {F8("-1"), F8("0"), F8("10"), I4("5")}, "0"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_string_functions(void **state)
{
    (void)state;
    static const case_t cases[] = {
        {"length", false, 1, {T("héllo")}, "5"},
        {"octet_length", false, 1, {T("héllo")}, "6"},
        {"bit_length", false, 1, {T("héllo")}, "48"},
        {"length", false, 1, {{PZ_TY_BPCHAR, "ab  "}}, "2"},
        {"char_length", false, 1, {U("日本語")}, "3"},
        {"lower", false, 1, {T("HeLLo")}, "hello"},
        {"upper", false, 1, {T("hello")}, "HELLO"},
        {"initcap", false, 1, {T("hi THOMAS, x2y")}, "Hi Thomas, X2y"},
        {"substr", false, 2, {T("héllo"), I4("2")}, "éllo"},
        {"substr", false, 3, {T("héllo"), I4("2"), I4("2")}, "él"},
        {"substr", false, 3, {T("hello"), I4("0"), I4("2")}, "h"},
        {"substr", false, 3, {T("hello"), I4("-5"), I4("3")}, ""},
        {"substr",
         false,
         3,
         {T("hello"), I4("2"), I4("-1")},
         "ERROR 22011: negative substring length not allowed"},
        {"substring", false, 2, {T("日本語"), I4("3")}, "語"},
        {"strpos", false, 2, {T("héllo"), T("llo")}, "3"},
        {"strpos", false, 2, {T("abc"), T("x")}, "0"},
        {"position", false, 2, {T("abc"), T("")}, "1"},
        {"left", false, 2, {T("héllo"), I4("2")}, "hé"},
        {"left", false, 2, {T("héllo"), I4("-2")}, "hél"},
        {"right", false, 2, {T("héllo"), I4("2")}, "lo"},
        {"right", false, 2, {T("héllo"), I4("-1")}, "éllo"},
        {"lpad", false, 3, {T("hi"), I4("5"), T("xy")}, "xyxhi"},
        {"lpad", false, 2, {T("hello"), I4("2")}, "he"},
        {"rpad", false, 3, {T("hi"), I4("5"), T("é")}, "hiééé"},
        {"ltrim", false, 1, {T("  a  ")}, "a  "},
        {"rtrim", false, 2, {T("xaxx"), T("x")}, "xa"},
        {"btrim", false, 2, {T("éaé"), T("é")}, "a"},
        {"replace", false, 3, {T("abcabc"), T("b"), T("XY")}, "aXYcaXYc"},
        {"repeat", false, 2, {T("ab"), I4("3")}, "ababab"},
        {"repeat", false, 2, {T("ab"), I4("-1")}, ""},
        {"reverse", false, 1, {T("héllo")}, "olléh"},
        {"split_part", false, 3, {T("a,b,c"), T(","), I4("2")}, "b"},
        {"split_part", false, 3, {T("a,b,c"), T(","), I4("-1")}, "c"},
        {"split_part", false, 3, {T("a,b,c"), T(","), I4("4")}, ""},
        {"split_part",
         false,
         3,
         {T("a,b"), T(","), I4("0")},
         "ERROR 22023: field position must not be zero"},
        {"concat", false, 3, {T("a"), I4(NULL), I4("1")}, "a1"},
        {"concat_ws", false, 4, {T(","), T("a"), T(NULL), I4("2")}, "a,2"},
        {"concat_ws", false, 2, {T(NULL), T("a")}, "NULL"},
        {"chr", false, 1, {I4("233")}, "é"},
        {"chr", false, 1, {I4("0")}, "ERROR 54000: null character not permitted"},
        {"ascii", false, 1, {T("é")}, "233"},
        {"to_hex", false, 1, {I4("-1")}, "ffffffff"},
        {"to_hex", false, 1, {I8("255")}, "ff"},
        {"translate", false, 3, {T("12345"), T("143"), T("ax")}, "a2x5"},
        {"starts_with", false, 2, {T("alphabet"), T("alph")}, "t"},
        {"quote_ident", false, 1, {T("Foo bar")}, "\"Foo bar\""},
        {"quote_ident", false, 1, {T("foo")}, "foo"},
        {"quote_literal", false, 1, {T("O'Reilly")}, "'O''Reilly'"},
        {"quote_literal", false, 1, {T("a\\b")}, "E'a\\\\b'"},
        {"||", true, 2, {T("a"), I4("1")}, "a1"},
        {"||", true, 2, {U("a"), U("b")}, "ab"},
        {"||", true, 2, {T("a"), T(NULL)}, "NULL"},
        {"~~", true, 2, {T("hello"), T("h%o")}, "t"},
        {"~~", true, 2, {T("hello"), T("%")}, "t"},
        {"~~", true, 2, {T(""), T("%")}, "t"},
        {"~~", true, 2, {T(""), T("_")}, "f"},
        {"~~", true, 2, {T("héllo"), T("h_llo")}, "t"},
        {"~~", true, 2, {T("hello"), T("_ello%")}, "t"},
        {"~~", true, 2, {T("a%b"), T("a\\%b")}, "t"},
        {"~~", true, 2, {T("axb"), T("a\\%b")}, "f"},
        {"~~", true, 2, {T("a_"), T("%\\_")}, "t"},
        {"~~", true, 2, {T("ab"), T("%\\_")}, "f"},
        {"~~",
         true,
         2,
         {T("abc"), T("abc\\")},
         "ERROR 22025: LIKE pattern must not end with escape character"},
        {"!~~", true, 2, {T("hello"), T("H%")}, "t"},
        {"~~*", true, 2, {T("hello"), T("H%")}, "t"},
        {"!~~*", true, 2, {T("hello"), T("H%")}, "f"},
        {"~", true, 2, {T("foobar"), T("o+b")}, "t"},
        {"~", true, 2, {T("foobar"), T("^o")}, "f"},
        {"~*", true, 2, {T("FOO"), T("^fo")}, "t"},
        {"!~", true, 2, {T("foo"), T("x")}, "t"},
        /* PostgreSQL's own text after the colon differs (its regex engine's words). */
        {"~",
         true,
         2,
         {T("foo"), T("(")},
         "ERROR 2201B: invalid regular expression: Unmatched ( or \\("},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_like_direct(void **state)
{
    (void)state;
    const struct {
        const char *s, *p;
        bool icase;
        int esc;
        bool want;
    } cases[] = {
        {"abc", "abc", false, '\\', true},
        {"abc", "ab", false, '\\', false},
        {"abc", "%c", false, '\\', true},
        {"abc", "a%", false, '\\', true},
        {"abc", "%b%", false, '\\', true},
        {"abc", "%%%", false, '\\', true},
        {"abc", "___", false, '\\', true},
        {"abc", "____", false, '\\', false},
        {"abc", "%_", false, '\\', true},
        {"", "%_", false, '\\', false},
        {"ABC", "abc", true, '\\', true},
        {"a%c", "a!%c", false, '!', true},
        {"a\\c", "a\\c", false, -1, true},
        {"aXc", "a!%c", false, '!', false},
        {"日本語", "日_語", false, '\\', true},
        {"日本語", "%語", false, '\\', true},
        {"aaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%c", false, '\\', false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = pz_sql_like((const uint8_t *)cases[i].s, strlen(cases[i].s),
                               (const uint8_t *)cases[i].p, strlen(cases[i].p), cases[i].icase,
                               cases[i].esc);
        if (got != cases[i].want) {
            fail_msg("case %zu: '%s' LIKE '%s'", i, cases[i].s, cases[i].p);
        }
    }
}

static void test_date_functions(void **state)
{
    (void)state;
    static const case_t cases[] = {
        {"-", true, 2, {D("2024-03-01"), D("2024-02-01")}, "29"},
        {"+", true, 2, {D("2024-02-28"), I4("2")}, "2024-03-01"},
        {"+", true, 2, {I4("1"), D("2024-02-28")}, "2024-02-29"},
        {"-", true, 2, {D("2024-03-01"), I4("1")}, "2024-02-29"},
        {"+", true, 2, {D("2024-01-31"), {PZ_TY_INTERVAL, "1 month"}}, "2024-02-29 00:00:00"},
        {"+",
         true,
         2,
         {{PZ_TY_TIMESTAMP, "2024-01-31 10:00"}, {PZ_TY_INTERVAL, "1 mon 1 day 1 h"}},
         "2024-03-01 11:00:00"},
        {"-",
         true,
         2,
         {{PZ_TY_TIMESTAMP, "2024-03-01"}, {PZ_TY_TIMESTAMP, "2024-02-01 12:00"}},
         "28 days 12:00:00"},
        {"*", true, 2, {{PZ_TY_INTERVAL, "1 day"}, F8("1.5")}, "1 day 12:00:00"},
        {"/", true, 2, {{PZ_TY_INTERVAL, "1 mon"}, F8("4")}, "7 days 12:00:00"},
        {"-", true, 1, {{PZ_TY_INTERVAL, "1 day 2 hours"}}, "-1 days -02:00:00"},
        {"+", true, 2, {{PZ_TY_INTERVAL, "1 h"}, {PZ_TY_INTERVAL, "30 min"}}, "01:30:00"},
        {"+",
         true,
         2,
         {{PZ_TY_TIMESTAMPTZ, "2024-01-01 00:00+00"}, {PZ_TY_INTERVAL, "1 day"}},
         "2024-01-02 00:00:00+00"},
        {"date_trunc",
         false,
         2,
         {T("month"), {PZ_TY_TIMESTAMP, "2024-05-17 13:14"}},
         "2024-05-01 00:00:00"},
        {"date_part", false, 2, {T("year"), {PZ_TY_TIMESTAMP, "2024-05-17"}}, "2024"},
        {"date_part", false, 2, {T("dow"), D("2024-05-17")}, "5"},
        {"extract",
         false,
         2,
         {T("epoch"), {PZ_TY_TIMESTAMP, "2000-01-02 00:00:01.5"}},
         "946771201.500000"},
        {"extract", false, 2, {T("day"), D("2024-05-17")}, "17"},
        {"make_date", false, 3, {I4("2024"), I4("2"), I4("29")}, "2024-02-29"},
        {"make_date",
         false,
         3,
         {I4("2023"), I4("2"), I4("29")},
         "ERROR 22008: date field value out of range: 2023-02-29"},
        {"make_date", false, 3, {I4("-44"), I4("3"), I4("15")}, "0044-03-15 BC"},
        {"make_timestamp",
         false,
         6,
         {I4("2024"), I4("1"), I4("2"), I4("3"), I4("4"), F8("5.5")},
         "2024-01-02 03:04:05.5"},
        {"+", true, 2, {D("2024-02-28"), {PZ_TY_TIME, "12:30"}}, "2024-02-28 12:30:00"},
        {"-", true, 2, {{PZ_TY_TIME, "12:30"}, {PZ_TY_TIME, "10:00"}}, "02:30:00"},
        {"+", true, 2, {{PZ_TY_TIME, "23:30"}, {PZ_TY_INTERVAL, "1 hour"}}, "00:30:00"},
        {"to_timestamp", false, 1, {F8("0")}, "1970-01-01 00:00:00+00"},
        {"to_timestamp", false, 1, {F8("NaN")}, "ERROR 22008: timestamp cannot be NaN"},
        {"now", false, 0, {{0, NULL}}, "2000-01-01 00:00:00+00"},
        {"current_date", false, 0, {{0, NULL}}, "2000-01-01"},
        {"date", false, 1, {{PZ_TY_TIMESTAMP, "2024-05-06 07:08:09"}}, "2024-05-06"},
    };
    run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_volatile_random(void **state)
{
    (void)state;
    g_arena = pz_arena_new();
    double prev = -1;
    for (int i = 0; i < 1000; i++) {
        char got[64];
        call("random", false, 0, NULL, got, sizeof got);
        double r = strtod(got, NULL);
        assert_true(r >= 0 && r < 1 && r != prev);
        prev = r;
    }
    pz_arena_destroy(&g_arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve),          cmocka_unit_test(test_resolve_messages),
        cmocka_unit_test(test_arithmetic),       cmocka_unit_test(test_math_functions),
        cmocka_unit_test(test_string_functions), cmocka_unit_test(test_like_direct),
        cmocka_unit_test(test_date_functions),   cmocka_unit_test(test_volatile_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
