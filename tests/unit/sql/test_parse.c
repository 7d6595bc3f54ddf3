/*
 * test_parse.c — proves the libpg_query glue (sql_parse.c) names the kind of the first statement
 * for the common statements and for any other parse node, reports syntax errors with
 * PostgreSQL's message and 1-based cursor position, and counts statements (0 for an empty or
 * comment-only string, which the session answers with EmptyQueryResponse).
 *
 * Also that trees too deep for the stack are refused with PZ_ELIMIT (54001) instead of
 * overflowing it, by either guard: the nesting-token count of long queries before parsing, the
 * message depth before unpacking.
 *
 * How: real query strings through pz_sql_parse, expectations taken from PostgreSQL 15's own
 * answers (e.g. `SELEC 1` is `syntax error at or near "SELEC"` at position 1); deep queries are
 * parsed on a thread with a session thread's stack (PZ_SQL_SESSION_STACK_BYTES).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/errors.h"
#include "sql_limits.h"
#include "sql_parse.h"

static void test_kinds(void **state)
{
    (void)state;
    const struct {
        const char *sql;
        const char *kind;
        int n;
    } cases[] = {
        {"SELECT 1", "SELECT", 1},
        {"select 1; select 2", "SELECT", 2},
        {"INSERT INTO t VALUES (1)", "INSERT", 1},
        {"UPDATE t SET a = 1", "UPDATE", 1},
        {"DELETE FROM t", "DELETE", 1},
        {"CREATE TABLE t (a int primary key)", "CREATE TABLE", 1},
        {"BEGIN", "BEGIN", 1},
        {"COMMIT", "COMMIT", 1},
        {"SET search_path = public", "SET", 1},
        {"SHOW TimeZone", "SHOW", 1},
        {"ALTER TABLE t OWNER TO bob", "ALTER TABLE", 1},
        {"ALTER DATABASE d OWNER TO bob", "AlterOwnerStmt", 1},
        {"CHECKPOINT", "CheckPointStmt", 1},
        {"VALUES (1)", "SELECT", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pz_sql_parse_t p;
        assert_int_equal(pz_sql_parse(cases[i].sql, NULL, &p), 0);
        assert_int_equal(p.n_stmts, cases[i].n);
        assert_string_equal(p.kind, cases[i].kind);
    }
}

static void test_empty(void **state)
{
    (void)state;
    const char *empty[] = {"", "   ", ";", "-- only a comment", "/* c */ ;;"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        pz_sql_parse_t p;
        assert_int_equal(pz_sql_parse(empty[i], NULL, &p), 0);
        assert_int_equal(p.n_stmts, 0);
    }
}

static void test_syntax_errors(void **state)
{
    (void)state;
    pz_sql_parse_t p;
    assert_int_equal(pz_sql_parse("SELEC 1", NULL, &p), PZ_EINVAL);
    assert_string_equal(p.error, "syntax error at or near \"SELEC\"");
    assert_int_equal(p.cursorpos, 1);
    assert_int_equal(pz_sql_parse("SELECT 1 FROM", NULL, &p), PZ_EINVAL);
    assert_string_equal(p.error, "syntax error at end of input");
    assert_int_equal(p.cursorpos, 14);
    /* The position counts characters, not bytes (PostgreSQL's P field): `t` is character 16,
     * byte 17 (FRM parses as a column alias). */
    assert_int_equal(pz_sql_parse("SELECT 'é' FRM t", NULL, &p), PZ_EINVAL);
    assert_int_equal(p.cursorpos, 16);
    /* A good statement before a bad one: the whole string is refused, as PostgreSQL does. */
    assert_int_equal(pz_sql_parse("SELECT 1; SELEC 2", NULL, &p), PZ_EINVAL);
    assert_int_equal(p.cursorpos, 11);
    assert_int_equal(pz_sql_parse("SELECT 'unterminated", NULL, &p), PZ_EINVAL);
    assert_non_null(strstr(p.error, "unterminated quoted string"));
}

typedef struct {
    char *sql;
    int rc;
    pz_sql_parse_t p;
} s_job_t;

static void *s_parse_job(void *arg)
{
    s_job_t *j = arg;
    j->rc = pz_sql_parse(j->sql, NULL, &j->p);
    return NULL;
}

/* Parses "SELECT " + unit * n + "1" on a thread with a session's stack. */
static int s_parse_deep(const char *unit, size_t n, pz_sql_parse_t *out)
{
    size_t ul = strlen(unit);
    s_job_t *j = calloc(1, sizeof *j);
    assert_non_null(j);
    j->sql = malloc(16 + ul * n);
    assert_non_null(j->sql);
    char *e = j->sql + sprintf(j->sql, "SELECT ");
    for (size_t i = 0; i < n; i++, e += ul) {
        memcpy(e, unit, ul);
    }
    strcpy(e, "1");
    pthread_attr_t attr;
    pthread_t t;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, PZ_SQL_SESSION_STACK_BYTES), 0);
    assert_int_equal(pthread_create(&t, &attr, s_parse_job, j), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);
    int rc = j->rc;
    *out = j->p;
    free(j->sql);
    free(j);
    return rc;
}

static void test_deep_trees_refused(void **state)
{
    (void)state;
    pz_sql_parse_t p;
    assert_int_equal(s_parse_deep("1+", 500, &p), 0); /* deep but fine */
    assert_string_equal(p.kind, "SELECT");
    /* Short enough to parse, too deep to unpack. */
    assert_int_equal(s_parse_deep("1+", 5000, &p), PZ_ELIMIT);
    assert_string_equal(p.error, "stack depth limit exceeded");
    assert_int_equal(s_parse_deep("1::int+", 3000, &p), PZ_ELIMIT);
    /* Long: refused before libpg_query recurses over it (these overflowed 16 MiB). */
    assert_int_equal(s_parse_deep("1+", 100000, &p), PZ_ELIMIT);
    assert_non_null(strstr(p.error, "statement too complex"));
    assert_int_equal(s_parse_deep("1+", 2000000, &p), PZ_ELIMIT);
    /* A long flat statement is not refused: names, constants and commas do not nest... */
    assert_int_equal(s_parse_deep("1,", 200000, &p), 0);
    assert_int_equal(s_parse_deep("'abc',", 100000, &p), 0);
    /* ...up to the token bound. */
    assert_int_equal(s_parse_deep("1,", PZ_SQL_PARSE_TOKENS_MAX / 2 + 1, &p), PZ_ELIMIT);
    assert_non_null(strstr(p.error, "statement too complex"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_deep_trees_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
