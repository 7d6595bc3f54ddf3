/*
 * test_ranges_parse.c — proves the recognition of CockroachDB's SPLIT AT and SHOW RANGES before
 * the parse (sql_ranges_parse.c, through pz_ast_build):
 *   - ALTER TABLE [schema.]t SPLIT AT VALUES/SELECT, ALTER INDEX t@i / ALTER INDEX i SPLIT AT
 *     become one PZ_AS_SPLIT_AT statement naming the table and index (unquoted names folded,
 *     quoted kept) around the rows' SELECT, whose error positions still point into the text as
 *     written (the head is blanked, not cut);
 *   - SHOW RANGES, FROM TABLE / INDEX / DATABASE become PZ_AS_SHOW_RANGES with the right object;
 *   - other statements that start alike (ALTER TABLE ... ADD COLUMN, SHOW search_path, two
 *     statements, SPLIT AT with no rows) are left to the grammar.
 * How: fixed query strings into pz_ast_build with an arena.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sql_ast.h"

static pz_ast_stmt_t *s_one(pz_arena_t *a, const char *sql, pz_sql_err_t *err)
{
    pz_ast_stmt_t **v = NULL;
    int n = 0;
    if (pz_ast_build(a, sql, NULL, &v, &n, err) != 0 || n != 1) {
        return NULL;
    }
    return v[0];
}

static void test_split(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_sql_err_t err = {0};
    pz_ast_stmt_t *s = s_one(a, "ALTER TABLE Public.\"T x\" SPLIT AT VALUES (1), (2);", &err);
    assert_non_null(s);
    assert_int_equal(s->kind, PZ_AS_SPLIT_AT);
    assert_string_equal(s->rel.schema, "public");
    assert_string_equal(s->rel.name, "T x");
    assert_null(s->name);
    assert_non_null(s->inner);
    assert_int_equal(s->inner->kind, PZ_AS_SELECT);
    s = s_one(a, "alter index t@Idx split at select 5", &err);
    assert_non_null(s);
    assert_int_equal(s->kind, PZ_AS_SPLIT_AT);
    assert_string_equal(s->rel.name, "t");
    assert_string_equal(s->name, "idx");
    s = s_one(a, "ALTER INDEX s.i SPLIT AT VALUES ('a')", &err);
    assert_non_null(s);
    assert_null(s->rel.name);
    assert_string_equal(s->rel.schema, "s");
    assert_string_equal(s->name, "i");
    /* A syntax error in the rows points where it was written. */
    const char *bad = "ALTER TABLE t SPLIT AT VALUES (1 +)";
    assert_null(s_one(a, bad, &err));
    assert_string_equal(err.sqlstate, "42601");
    assert_int_equal(err.position, (int)(strchr(bad, ')') - bad) + 1);
    pz_arena_destroy(&a);
}

static void test_show(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_sql_err_t err = {0};
    pz_ast_stmt_t *s = s_one(a, "SHOW RANGES", &err);
    assert_non_null(s);
    assert_int_equal(s->kind, PZ_AS_SHOW_RANGES);
    assert_int_equal(s->obj, PZ_OBJ_DATABASE);
    assert_null(s->name);
    s = s_one(a, "show ranges from table s.t;", &err);
    assert_non_null(s);
    assert_int_equal(s->obj, PZ_OBJ_TABLE);
    assert_string_equal(s->rel.schema, "s");
    assert_string_equal(s->rel.name, "t");
    s = s_one(a, "SHOW RANGES FROM INDEX t@i", &err);
    assert_non_null(s);
    assert_int_equal(s->obj, PZ_OBJ_INDEX);
    assert_string_equal(s->rel.name, "t");
    assert_string_equal(s->name, "i");
    s = s_one(a, "SHOW RANGES FROM DATABASE \"D\"", &err);
    assert_non_null(s);
    assert_int_equal(s->obj, PZ_OBJ_DATABASE);
    assert_string_equal(s->name, "D");
    pz_arena_destroy(&a);
}

static void test_not_ours(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_sql_err_t err = {0};
    pz_ast_stmt_t *s = s_one(a, "ALTER TABLE t ADD COLUMN split int", &err);
    assert_non_null(s);
    assert_int_equal(s->kind, PZ_AS_ALTER_TABLE);
    s = s_one(a, "SHOW search_path", &err);
    assert_non_null(s);
    assert_int_equal(s->kind, PZ_AS_SHOW);
    pz_ast_stmt_t **v = NULL;
    int n = 0;
    /* Two statements: not recognised, so the grammar refuses SPLIT AT. */
    assert_int_equal(
        pz_ast_build(a, "ALTER TABLE t SPLIT AT VALUES (1); SELECT 1", NULL, &v, &n, &err),
        PZ_EINVAL);
    assert_string_equal(err.sqlstate, "42601");
    assert_null(s_one(a, "ALTER TABLE t SPLIT AT", &err));
    assert_null(s_one(a, "SHOW RANGES FROM TABLE", &err));
    pz_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_split), cmocka_unit_test(test_show),
                                       cmocka_unit_test(test_not_ours)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
