/*
 * test_shape.c — proves the simple-protocol plan cache's shapes and literals (sql_shape.c):
 * queries that differ only in number and plain-string literals share a key and no others do
 * (classes, identifiers, token boundaries, escape/dollar strings and continued strings are part of
 * the key; whitespace and comments are not); what is not cacheable is refused (several
 * statements, $n, lexical errors, past the length and literal bounds); the binder's question
 * (pz__lits_match) turns a constant into a parameter only when its value is the literal's, with
 * the minus PostgreSQL folds into `-5`, typed as the constant would be (-2147483648 is int4, so
 * its int8-class literal stays fixed), equal numbers sharing a parameter and strings never;
 * fixed literals and shared parameters must match for a hit; literals decode into their
 * parameters' types ('' and a folded minus included) and a bad one is an error.
 *
 * How: real query strings through PostgreSQL's scanner; AST constants built by hand as the AST
 * builder makes them (INT8 for integers, unparsed NUMERIC text, UNKNOWN bytes for strings).
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
#include "sql_shape.h"

static pz_shape_t s_a, s_b;

static bool s_same(const char *x, const char *y)
{
    assert_true(pz_shape_scan(x, &s_a));
    assert_true(pz_shape_scan(y, &s_b));
    return s_a.key_len == s_b.key_len && memcmp(s_a.key, s_b.key, s_a.key_len) == 0 &&
           s_a.hash == s_b.hash;
}

static void test_keys(void **state)
{
    (void)state;
    assert_true(s_same("SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id = 4567"));
    assert_true(
        s_same("SELECT c FROM t WHERE id=1", "SELECT  c\n FROM t /* x */ WHERE id = 2 -- y"));
    assert_true(s_same("SELECT 'a', 1.5", "SELECT 'it''s', 2e10"));
    assert_true(s_same("SELECT 1;", "SELECT 2 ;"));
    assert_false(s_same("SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id = 'x'"));
    assert_false(s_same("SELECT 1", "SELECT 2147483648")); /* int4 and int8 classes */
    assert_false(s_same("SELECT 1", "SELECT 1.0"));
    assert_false(s_same("SELECT 2147483648", "SELECT 99999999999999999999"));
    assert_false(s_same("SELECT c FROM t", "SELECT d FROM t"));
    assert_false(s_same("SELECT c FROM t", "SELECT C FROM t")); /* folded later, by the grammar */
    assert_false(s_same("SELECT ab", "SELECT \"ab\""));
    assert_false(s_same("SELECT E'a'", "SELECT E'b'"));         /* escape strings stay as text */
    assert_false(s_same("SELECT $$a$$", "SELECT $$b$$"));       /* so do dollar-quoted ones */
    assert_false(s_same("SELECT 'a'\n'b'", "SELECT 'a'\n'c'")); /* and continued ones */
    assert_false(s_same("SELECT B'1'", "SELECT B'0'"));
    assert_true(s_same("SELECT 1 - 2", "SELECT 3 - 4"));
    assert_false(s_same("SELECT 1 - 2", "SELECT 1 + 2"));
}

static void test_not_cacheable(void **state)
{
    (void)state;
    pz_shape_t sh;
    assert_false(pz_shape_scan("SELECT 1; SELECT 2", &sh));
    assert_false(pz_shape_scan("SELECT $1", &sh));
    assert_false(pz_shape_scan("SELECT 'unterminated", &sh));
    assert_false(pz_shape_scan("", &sh));
    assert_false(pz_shape_scan("-- only a comment", &sh));
    char *big = malloc(PZ_SQL_SHAPE_QUERY_BYTES_MAX + 16);
    assert_non_null(big);
    memset(big, ' ', PZ_SQL_SHAPE_QUERY_BYTES_MAX + 8);
    memcpy(big, "SELECT 1", 8);
    big[PZ_SQL_SHAPE_QUERY_BYTES_MAX + 8] = '\0';
    assert_false(pz_shape_scan(big, &sh));
    size_t n = 0;
    n += (size_t)snprintf(big, 64, "SELECT 0");
    for (int i = 1; i <= PZ_SQL_SHAPE_LITS_MAX; i++) {
        n += (size_t)snprintf(big + n, 16, ",%d", i);
    }
    assert_false(pz_shape_scan(big, &sh)); /* one literal too many */
    free(big);
}

static void test_literals(void **state)
{
    (void)state;
    pz_shape_t sh;
    const char *q = "SELECT - 5, 7 - 3, 'x''y', 1.5, 3000000000, 99999999999999999999";
    assert_true(pz_shape_scan(q, &sh));
    assert_int_equal(sh.n_lits, 7);
    assert_int_equal(sh.lits[0].cls, PZ_LIT_INT4);
    assert_int_equal(sh.lits[0].minus, 7); /* the '-' before 5 */
    assert_int_equal(sh.lits[1].minus, -1);
    assert_int_equal(sh.lits[2].minus, 14); /* `7 - 3`: a minus too; the binder decides */
    assert_int_equal(sh.lits[3].cls, PZ_LIT_STRING);
    assert_int_equal(sh.lits[4].cls, PZ_LIT_NUMERIC);
    assert_int_equal(sh.lits[5].cls, PZ_LIT_INT8);
    assert_int_equal(sh.lits[6].cls, PZ_LIT_NUMERIC);
}

static pz_ast_expr_t s_int(int loc, int64_t v)
{
    return (pz_ast_expr_t){
        .kind = PZ_AX_CONST, .location = loc, .val = pz_datum_int(PZ_TY_INT8, v)};
}

static pz_ast_expr_t s_text(int loc, pz_ty_t t, const char *v)
{
    pz_ast_expr_t e = {.kind = PZ_AX_CONST, .location = loc};
    e.val = pz_datum_bytes(t, v, (uint32_t)strlen(v));
    if (t == PZ_TY_NUMERIC) {
        e.val.scale = -1; /* the AST's unparsed form */
    }
    return e;
}

static void test_match(void **state)
{
    (void)state;
    pz_shape_t sh;
    /*                0         1         2         3         4
     *                0123456789012345678901234567890123456789012345678 */
    const char *q = "SELECT -5, 7, 7, 'a', 'a', -2147483648, 1.5, 8";
    assert_true(pz_shape_scan(q, &sh));
    assert_int_equal(sh.n_lits, 8);
    pz_sql_lits_t *l = malloc(sizeof *l);
    assert_non_null(l);
    pz_lits_init(l, &sh);
    pz_ast_expr_t e = s_int(7, -5); /* the folded minus: located at the '-' */
    assert_int_equal(pz__lits_match(l, &e), 0);
    assert_true(l->v[0].neg);
    assert_int_equal(l->v[0].param, 0);
    assert_int_equal(pz__lits_match(l, &e), 0); /* bound again: the same answer */
    e = s_int(11, 7);
    assert_int_equal(pz__lits_match(l, &e), 1);
    e = s_int(14, 7);
    assert_int_equal(pz__lits_match(l, &e), 2);
    assert_int_equal(l->v[2].param, l->v[1].param); /* equal numbers share */
    e = s_text(17, PZ_TY_UNKNOWN, "a");
    assert_int_equal(pz__lits_match(l, &e), 3);
    e = s_text(22, PZ_TY_UNKNOWN, "a");
    assert_int_equal(pz__lits_match(l, &e), 4);
    assert_int_not_equal(l->v[4].param, l->v[3].param); /* strings never share */
    e = s_int(27, -2147483648LL); /* int4 once negated: the int8-class literal stays fixed */
    assert_int_equal(pz__lits_match(l, &e), -1);
    assert_int_equal(l->v[5].state, PZ_LIT_FIXED);
    e = s_text(40, PZ_TY_NUMERIC, "1.5");
    assert_int_equal(pz__lits_match(l, &e), 6);
    e = s_int(45, 9); /* a constant at a literal's place with another value: fixed */
    assert_int_equal(pz__lits_match(l, &e), -1);
    assert_int_equal(l->v[7].state, PZ_LIT_FIXED);
    e = s_int(3, 1); /* not at a literal */
    assert_int_equal(pz__lits_match(l, &e), -1);
    assert_int_equal(l->n_params, 5);

    pz_shape_t hit;
    assert_true(pz_shape_scan("SELECT -6, 9, 9, 'b', 'c', -2147483648, 2.5, 8", &hit));
    assert_true(pz_lits_fixed_match(l, &hit));
    assert_true(pz_shape_scan("SELECT -6, 9, 10, 'b', 'c', -2147483648, 2.5, 8", &hit));
    assert_false(pz_lits_fixed_match(l, &hit)); /* the shared parameter's texts differ */
    assert_true(pz_shape_scan("SELECT -6, 9, 9, 'b', 'c', -2147483647, 2.5, 8", &hit));
    assert_false(pz_lits_fixed_match(l, &hit)); /* a fixed literal differs */
    assert_true(pz_shape_scan("SELECT -6, 9, 9, 'b', 'c', -2147483648, 2.5, 7", &hit));
    assert_false(pz_lits_fixed_match(l, &hit));

    assert_true(
        pz_shape_scan("SELECT -6, 9, 9, 'it''s', '2020-02-29', -2147483648, 0.25, 8", &hit));
    assert_true(pz_lits_fixed_match(l, &hit));
    pz_sql_type_t types[5] = {PZ_SQL_TYPE(PZ_TY_INT4), PZ_SQL_TYPE(PZ_TY_INT4),
                              PZ_SQL_TYPE(PZ_TY_TEXT), PZ_SQL_TYPE(PZ_TY_DATE),
                              PZ_SQL_TYPE(PZ_TY_NUMERIC)};
    pz_arena_t *a = pz_arena_new();
    pz_sql_tyenv_t env = pz_sql_tyenv_default();
    pz_datum_t params[5];
    pz_sql_err_t err = {0};
    assert_int_equal(pz_lits_params(l, &hit, types, a, &env, params, &err), 0);
    assert_int_equal(params[0].v.i, -6);
    assert_int_equal(params[1].v.i, 9);
    assert_int_equal(params[2].len, 4);
    assert_memory_equal(params[2].v.p, "it's", 4);
    assert_int_equal(params[3].type, PZ_TY_DATE);
    assert_int_equal(params[4].type, PZ_TY_NUMERIC);
    pz_sbuf_t b = {0};
    pz_datum_to_text(&env, &params[4], &b);
    pz_sbuf_putc(&b, '\0');
    assert_string_equal(b.p, "0.25");
    pz_sbuf_free(&b);

    assert_true(pz_shape_scan("SELECT -6, 9, 9, 'x', '2020-02-30', -2147483648, 2.5, 8", &hit));
    assert_int_not_equal(pz_lits_params(l, &hit, types, a, &env, params, &err), 0);
    assert_string_equal(err.sqlstate, "22008");
    pz_arena_destroy(&a);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_not_cacheable),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
