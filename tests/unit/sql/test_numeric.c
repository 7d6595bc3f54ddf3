/*
 * test_numeric.c — proves numeric arithmetic (sql_numeric.c) gives PostgreSQL 15's values and
 * display scales: select_div_scale for division, the power and sqrt result scales, round with a
 * larger scale, mod's sign, and division by zero's 22012.
 *
 * How: each case parses two operands with pz_num_in, applies the operation and prints with
 * pz_num_out; expectations are PostgreSQL 15's answers to the same expressions through psql.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/codec.h"
#include "sql_numeric.h"

typedef struct {
    char op; /* + - * / % ^ (integer power) r (round to y) q (sqrt of x) */
    const char *x, *y, *want;
} num_case_t;

static const num_case_t cases[] = {
    {'^', "2", "3", "8.0000000000000000"},
    {'^', "1.5", "2", "2.2500000000000000"},
    {'^', "2", "-2", "0.2500000000000000"},
    {'^', "0.5", "100", "0.0000000000000000"},
    {'q', "2", "", "1.414213562373095"},
    {'q', "100.00", "", "10.000000000000000"},
    {'q', "0.0001", "", "0.01000000000000000"},
    {'/', "1", "3", "0.33333333333333333333"},
    {'/', "10", "4", "2.5000000000000000"},
    {'/', "123456789.123", "7", "17636684.160428571429"},
    {'/', "1", "0", "!22012"},
    {'r', "1.5", "3", "1.500"},
    {'r', "1234.5", "-2", "1200"},
    {'%', "5.5", "2", "1.5"},
    {'%', "-5.5", "2", "-1.5"},
    {'+', "1.50", "2.005", "3.505"},
    {'-', "1", "1.00", "0.00"},
    {'*', "1.5", "-2.25", "-3.375"},
};

static void test_arith(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    assert_non_null(a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const num_case_t *c = &cases[i];
        pz_sql_err_t err;
        pz_sql_err_clear(&err);
        pz_datum_t x, y, r;
        assert_int_equal(pz_num_in(a, c->x, strlen(c->x), -1, &x, &err), 0);
        if (c->op != 'q' && c->op != '^' && c->op != 'r')
            assert_int_equal(pz_num_in(a, c->y, strlen(c->y), -1, &y, &err), 0);
        int rc;
        switch (c->op) {
        case '+':
            rc = pz_num_add(a, &x, &y, &r, &err);
            break;
        case '-':
            rc = pz_num_sub(a, &x, &y, &r, &err);
            break;
        case '*':
            rc = pz_num_mul(a, &x, &y, &r, &err);
            break;
        case '/':
            rc = pz_num_div(a, &x, &y, &r, &err);
            break;
        case '%':
            rc = pz_num_mod(a, &x, &y, &r, &err);
            break;
        case '^':
            rc = pz_num_power_int(a, &x, atoi(c->y), &r, &err);
            break;
        case 'r':
            rc = pz_num_round(a, &x, atoi(c->y), &r, &err);
            break;
        default:
            rc = pz_num_sqrt(a, &x, &r, &err);
            break;
        }
        char got[128];
        if (rc != 0) {
            snprintf(got, sizeof got, "!%s", err.sqlstate);
        } else {
            pz_sbuf_t b = {0};
            pz_num_out(&r, &b);
            snprintf(got, sizeof got, "%s", b.p);
            pz_sbuf_free(&b);
        }
        if (strcmp(got, c->want) != 0)
            fail_msg("%s %c %s: got %s, want %s", c->x, c->op, c->y, got, c->want);
    }
    pz_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arith),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
