/*
 * test_stats_show.c — proves pz_sql_show_statistics_query (sql_stats_show.c), the rewrite of
 * CockroachDB's SHOW STATISTICS FOR TABLE t into a PostgreSQL SELECT:
 *   - the query is valid PostgreSQL (it parses, as one SELECT) for plain, qualified,
 *     database-qualified and quoted names, and names the table as '<schema.>table'::regclass
 *     with plain parts folded to lower case and quoted parts kept;
 *   - it returns the six columns CockroachDB shows, by those names;
 *   - a quote in a quoted name cannot end the literal (it is doubled), and malformed names
 *     (empty, unterminated quotes, four parts, trailing text, a digit first) are PZ_EINVAL;
 *   - a buffer too small is PZ_ETOOBIG, never an overflow (the byte past cap stays untouched).
 * How: fixed names; pz_sql_parse (libpg_query) checks the text is a SELECT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sql_parse.h"
#include "sql_stats.h"

static void s_expect(const char *name, const char *literal)
{
    char q[2048];
    assert_int_equal(pz_sql_show_statistics_query(name, q, sizeof q), 0);
    assert_non_null(strstr(q, literal));
    pz_sql_parse_t p;
    assert_int_equal(pz_sql_parse(q, NULL, &p), 0);
    assert_int_equal(p.n_stmts, 1);
    assert_string_equal(p.kind, "SELECT");
    const char *cols[] = {"AS statistics_name", "AS column_names",   "AS created",
                          "AS row_count",       "AS distinct_count", "AS null_count"};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        assert_non_null(strstr(q, cols[i]));
    }
}

static void test_names(void **state)
{
    (void)state;
    s_expect("t", "'t'::regclass");
    s_expect("  Orders ;", "'orders'::regclass");
    s_expect("public.T1", "'public.t1'::regclass");
    s_expect("defaultdb.s.t", "'s.t'::regclass");
    s_expect("\"MixedCase\"", "'MixedCase'::regclass");
    s_expect("\"it's\"", "'it''s'::regclass");
    s_expect("\"a\"\"b\"", "'a\"b'::regclass");
}

static void test_bad_names(void **state)
{
    (void)state;
    const char *bad[] = {
        "",     "  ", "\"unterminated", "\"\"",           "a.b.c.d", "t extra", "1t",
        "a..b", "t.", "\"a.b\"",        "t; DROP TABLE x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char q[2048];
        assert_int_equal(pz_sql_show_statistics_query(bad[i], q, sizeof q), PZ_EINVAL);
    }
    assert_int_equal(pz_sql_show_statistics_query(NULL, (char[8]){0}, 8), PZ_EINVAL);
}

static void test_small_buffer(void **state)
{
    (void)state;
    char q[2048];
    assert_int_equal(pz_sql_show_statistics_query("t", q, sizeof q), 0);
    size_t need = strlen(q) + 1;
    for (size_t cap = 1; cap < need; cap += 37) {
        memset(q, 'x', sizeof q);
        assert_int_equal(pz_sql_show_statistics_query("t", q, cap), PZ_ETOOBIG);
        assert_int_equal(q[cap], 'x');
    }
    assert_int_equal(pz_sql_show_statistics_query("t", q, need), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_names),
                                       cmocka_unit_test(test_bad_names),
                                       cmocka_unit_test(test_small_buffer)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
