/*
 * test_aost.c — proves AS OF SYSTEM TIME's clause handling and timestamps (sql_aost.c): the
 * clause is cut out of the text by tokens (same length; a string or comment saying the words is
 * untouched; in BEGIN / SET TRANSACTION it becomes READ ONLY; the expression's extent follows its
 * form so a WHERE after it stays), a clause in a subquery or with no timestamp is refused, and
 * the AST builder hangs the expression on its statement; every form evaluates to the HLC
 * timestamp CockroachDB gives it (integer nanos, wall.logical decimals, timestamps in UTC and
 * with an offset, negative intervals in both spellings, casts, follower_read_timestamp()), and
 * future timestamps, non-negative intervals, junk and other functions are refused with their
 * SQLSTATE; outside a block a statement reads at the timestamp and refuses writes, inside one
 * its timestamp must be the block's.
 *
 * How: query strings through PostgreSQL's scanner and parser, a fixed `now`, the default type
 * environment (UTC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/errors.h"
#include "sql_aost.h"

/* 2023-11-14 22:13:20 UTC */
static const pz_hlc_t s_now = {.wall = 1700000000000000000ull, .logical = 7};

static const char *s_strip(pz_arena_t *a, const char *q, pz_aost_clause_t *c, int *n)
{
    pz_sql_err_t err = {0};
    assert_int_equal(pz_aost_strip(a, &q, c, PZ_AOST_CLAUSES_MAX, n, &err), 0);
    return q;
}

static void test_strip(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_aost_clause_t c[PZ_AOST_CLAUSES_MAX];
    int n = 0;
    const char *q = "SELECT * FROM t AS OF SYSTEM TIME '-5s' WHERE a = 1";
    const char *r = s_strip(a, q, c, &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].expr, "'-5s'");
    assert_int_equal(c[0].at, 16);
    assert_string_equal(r, "SELECT * FROM t                         WHERE a = 1");
    /* Words inside strings and comments are not the clause. */
    q = "SELECT 'as of system time 1' /* AS OF SYSTEM TIME 2 */ FROM t";
    assert_ptr_equal(s_strip(a, q, c, &n), q);
    assert_int_equal(n, 0);
    /* BEGIN keeps a valid statement that says what the clause implies. */
    r = s_strip(a, "BEGIN TRANSACTION AS OF SYSTEM TIME 1700000000000000000.0000000001", c, &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].expr, "1700000000000000000.0000000001");
    assert_int_equal(strncmp(r, "BEGIN TRANSACTION READ ONLY ", 28), 0);
    r = s_strip(a, "SELECT 1; SET TRANSACTION AS OF SYSTEM TIME interval '-1h'; SELECT 2", c, &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0].expr, "interval '-1h'");
    assert_int_equal(strncmp(r + 10, "SET TRANSACTION READ ONLY", 25), 0);
    assert_string_equal(r + strlen(r) - 10, "; SELECT 2");
    r = s_strip(a, "SELECT * FROM t AS OF SYSTEM TIME follower_read_timestamp() ORDER BY 1", c, &n);
    assert_string_equal(c[0].expr, "follower_read_timestamp()");
    assert_non_null(strstr(r, " ORDER BY 1"));
    r = s_strip(a, "select * from t as of system time '-1s'::interval limit 1", c, &n);
    assert_string_equal(c[0].expr, "'-1s'::interval");
    /* Refused: in a subquery, and without a timestamp. */
    pz_sql_err_t err = {0};
    q = "SELECT * FROM (SELECT * FROM t AS OF SYSTEM TIME '-1s') s";
    assert_int_equal(pz_aost_strip(a, &q, c, PZ_AOST_CLAUSES_MAX, &n, &err), PZ_EINVAL);
    assert_string_equal(err.sqlstate, "0A000");
    pz_sql_err_clear(&err);
    q = "SELECT * FROM t AS OF SYSTEM TIME WHERE a = 1";
    assert_int_equal(pz_aost_strip(a, &q, c, PZ_AOST_CLAUSES_MAX, &n, &err), PZ_EINVAL);
    assert_string_equal(err.sqlstate, "42601");
    pz_arena_destroy(&a);
}

static void test_ast(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_ast_stmt_t **st = NULL;
    int n = 0;
    pz_sql_err_t err = {0};
    assert_int_equal(pz_ast_build(a,
                                  "SELECT 1; SELECT a FROM t AS OF SYSTEM TIME '-2s' WHERE a > 0",
                                  NULL, &st, &n, &err),
                     0);
    assert_int_equal(n, 2);
    assert_null(st[0]->as_of);
    assert_string_equal(st[1]->as_of, "'-2s'");
    assert_int_equal(pz_ast_build(a, "BEGIN AS OF SYSTEM TIME '-1s'", NULL, &st, &n, &err), 0);
    assert_int_equal(st[0]->kind, PZ_AS_TXN);
    assert_int_equal(st[0]->read_only, 1);
    assert_string_equal(st[0]->as_of, "'-1s'");
    assert_int_equal(pz_ast_build(a,
                                  "SELECT * FROM a AS OF SYSTEM TIME '-1s' UNION "
                                  "SELECT * FROM b AS OF SYSTEM TIME '-2s'",
                                  NULL, &st, &n, &err),
                     PZ_EINVAL);
    assert_string_equal(err.sqlstate, "0A000");
    pz_arena_destroy(&a);
}

static pz_hlc_t s_eval_ok(const char *expr)
{
    pz_sql_tyenv_t env = pz_sql_tyenv_default();
    pz_sql_err_t err = {0};
    pz_hlc_t t = {0, 0};
    int rc = pz_aost_eval(expr, &env, s_now, &t, &err);
    if (rc != 0) {
        fail_msg("%s: %s %s", expr, err.sqlstate, err.message);
    }
    return t;
}

static void s_eval_fails(const char *expr, const char *state)
{
    pz_sql_tyenv_t env = pz_sql_tyenv_default();
    pz_sql_err_t err = {0};
    pz_hlc_t t;
    assert_int_not_equal(pz_aost_eval(expr, &env, s_now, &t, &err), 0);
    if (strcmp(err.sqlstate, state) != 0) {
        fail_msg("%s: %s (%s), expected %s", expr, err.sqlstate, err.message, state);
    }
}

static void test_eval(void **state)
{
    (void)state;
    const uint64_t w = s_now.wall, s = 1000000000ull;
    pz_hlc_t t = s_eval_ok("1600000000000000000");
    assert_true(t.wall == 1600000000000000000ull && t.logical == 0);
    t = s_eval_ok("'1600000000000000000.0000000042'");
    assert_true(t.wall == 1600000000000000000ull && t.logical == 42);
    t = s_eval_ok("1600000000000000000.0000000001");
    assert_true(t.wall == 1600000000000000000ull && t.logical == 1);
    t = s_eval_ok("'-5s'");
    assert_true(t.wall == w - 5 * s && t.logical == 0);
    t = s_eval_ok("interval '-10m'");
    assert_true(t.wall == w - 600 * s);
    t = s_eval_ok("'-1h'::interval");
    assert_true(t.wall == w - 3600 * s);
    t = s_eval_ok("'-1 day'");
    assert_true(t.wall == w - 86400 * s);
    t = s_eval_ok("'-100ms'");
    assert_true(t.wall == w - s / 10);
    t = s_eval_ok("follower_read_timestamp()");
    assert_true(t.wall == w - 4800000000ull);
    t = s_eval_ok("'2023-11-14 22:13:19.5'");
    assert_true(t.wall == w - s / 2 && t.logical == 0);
    t = s_eval_ok("timestamp '2023-11-14 23:13:10+01'");
    assert_true(t.wall == w - 10 * s);
    t = s_eval_ok("'2023-11-14T22:00:00Z'::timestamptz");
    assert_true(t.wall == w - 800 * s);
    /* The present is allowed (logical included), the future is not. */
    t = s_eval_ok("1700000000000000000.0000000007");
    assert_true(t.wall == w && t.logical == 7);
    s_eval_fails("1700000000000000000.0000000008", "22023");
    s_eval_fails("'2030-01-01'", "22023");
    s_eval_fails("'5s'", "22023");
    s_eval_fails("interval '0s'", "22023");
    s_eval_fails("-1", "22023");
    s_eval_fails("0", "22023");
    s_eval_fails("'1.00000000001'", "22023");       /* 11 logical digits */
    s_eval_fails("1600000000000000000.5", "22023"); /* logical 5e9: past 32 bits */
    s_eval_fails("'yesterday-ish'", "22023");
    s_eval_fails("now()", "0A000");
    s_eval_fails("'-1s'::text", "0A000");
    s_eval_fails("1 + 1", "42601");
}

static void test_stmt_start(void **state)
{
    (void)state;
    pz_sql_tyenv_t env = pz_sql_tyenv_default();
    pz_sql_kv_t kv = {0};
    pz_sql_err_t err = {0};
    pz_hlc_t zero = {0, 0}, then = {.wall = 1600000000000000000ull};
    assert_int_equal(pz_aost_stmt_start(&kv, "1600000000000000000", NULL, 'I', zero, &env, &err),
                     0);
    assert_true(kv.read_ts.wall == then.wall && kv.as_of.wall == then.wall);
    assert_int_equal(pz_aost_stmt_start(&kv, NULL, NULL, 'I', zero, &env, &err), 0);
    assert_true(pz_hlc_is_zero(kv.as_of));
    assert_int_not_equal(pz_aost_stmt_start(&kv, "'-1s'", "UPDATE", 'I', zero, &env, &err), 0);
    assert_string_equal(err.sqlstate, "25006");
    pz_sql_err_clear(&err);
    /* In a block: the block's own timestamp only, and nothing set on kv (the block reads there). */
    kv.read_ts = zero;
    assert_int_equal(pz_aost_stmt_start(&kv, "1600000000000000000", NULL, 'T', then, &env, &err),
                     0);
    assert_true(pz_hlc_is_zero(kv.read_ts) && pz_hlc_is_zero(kv.as_of));
    assert_int_not_equal(
        pz_aost_stmt_start(&kv, "1600000000000000001", NULL, 'T', then, &env, &err), 0);
    assert_string_equal(err.sqlstate, "42601");
    pz_sql_err_clear(&err);
    assert_int_not_equal(pz_aost_stmt_start(&kv, "'-1s'", NULL, 'T', zero, &env, &err), 0);
    assert_string_equal(err.sqlstate, "42601");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_ast),
        cmocka_unit_test(test_eval),
        cmocka_unit_test(test_stmt_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
