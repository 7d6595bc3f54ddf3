/*
 * test_stats.c — proves the pure parts of statistics and costing:
 *   - HyperLogLog (sql_hll.c) estimates known cardinalities (1 .. 1,000,000 distinct values,
 *     with and without repeats) within 5% (its standard error is 1.6%; 5% is three sigma),
 *     small sets nearly exactly (linear counting), and merging two sketches estimates the
 *     union; hashes of equal datums agree and the mixer spreads consecutive integers;
 *   - the cost arithmetic (sql_cost.c): equality selectivity 1/ndv scaled by non-NULLs and
 *     clamped, join size |L|·|R|/max(ndv), OR of independent predicates, and that reading
 *     through a secondary index costs more than the same rows through the primary one.
 * How: integer datums hashed as the collector hashes them; fixed inputs, so failures replay.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sql_cost.h"
#include "sql_stats.h"

static double s_estimate_ints(uint64_t distinct, int repeats)
{
    pz_hll_t *h = malloc(sizeof *h);
    assert_non_null(h);
    pz_hll_init(h);
    for (int r = 0; r < repeats; r++) {
        for (uint64_t i = 0; i < distinct; i++) {
            pz_datum_t d = {.type = PZ_TY_INT8, .v.i = (int64_t)(i * 7919 + 13)};
            pz_hll_add(h, pz_hll_datum_hash(&d));
        }
    }
    double e = pz_hll_estimate(h);
    free(h);
    return e;
}

static void test_hll_accuracy(void **state)
{
    (void)state;
    const uint64_t sizes[] = {1000, 10000, 100000, 1000000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        double e = s_estimate_ints(sizes[i], 1);
        double err = fabs(e - (double)sizes[i]) / (double)sizes[i];
        assert_true(err < 0.05);
    }
    /* Repeats do not count. */
    double e = s_estimate_ints(20000, 3);
    assert_true(fabs(e - 20000) / 20000 < 0.05);
}

static void test_hll_small(void **state)
{
    (void)state;
    assert_true(s_estimate_ints(0, 1) < 0.5);
    double one = s_estimate_ints(1, 5);
    assert_true(one > 0.5 && one < 1.5);
    double ten = s_estimate_ints(10, 2);
    assert_true(ten > 9.5 && ten < 10.5);
    double e = s_estimate_ints(300, 1);
    assert_true(fabs(e - 300) < 6);
}

static void test_hll_merge(void **state)
{
    (void)state;
    pz_hll_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_true(a != NULL && b != NULL);
    pz_hll_init(a);
    pz_hll_init(b);
    for (int64_t i = 0; i < 60000; i++) {
        pz_datum_t d = {.type = PZ_TY_INT8, .v.i = i};
        pz_hll_add(i < 40000 ? a : b, pz_hll_datum_hash(&d));
        if (i >= 20000 && i < 40000) {
            pz_hll_add(b, pz_hll_datum_hash(&d)); /* overlap 20000..40000 */
        }
    }
    pz_hll_merge(a, b);
    double e = pz_hll_estimate(a);
    assert_true(fabs(e - 60000) / 60000 < 0.05);
    free(a);
    free(b);
}

static void test_hash(void **state)
{
    (void)state;
    pz_datum_t x = {.type = PZ_TY_INT8, .v.i = 42}, y = {.type = PZ_TY_INT8, .v.i = 42};
    assert_true(pz_hll_datum_hash(&x) == pz_hll_datum_hash(&y));
    /* Consecutive inputs land in different registers (the top bits differ). */
    int same = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        same += (pz_hll_mix(i) >> 52) == (pz_hll_mix(i + 1) >> 52);
    }
    assert_true(same < 10);
}

static void test_cost_math(void **state)
{
    (void)state;
    assert_true(fabs(pz_cost_eq_sel(100, 0) - 0.01) < 1e-12);
    assert_true(fabs(pz_cost_eq_sel(100, 0.5) - 0.005) < 1e-12);
    assert_true(pz_cost_eq_sel(0, 0) == 1.0); /* ndv below 1 counts as 1 */
    assert_true(pz_cost_eq_sel(10, 2.0) == 0.0);
    assert_true(fabs(pz_cost_join_rows(1000, 100, 100, 50) - 1000) < 1e-9);
    assert_true(fabs(pz_cost_join_rows(1e6, 1e3, 1e3, 1e3) - 1e6) < 1e-6);
    assert_true(fabs(pz_cost_or_sel(0.5, 0.5) - 0.75) < 1e-12);
    assert_true(pz_cost_or_sel(1, 1) == 1.0);
    assert_true(pz_cost_index_read(100, 1, true) > pz_cost_index_read(100, 1, false));
    assert_true(pz_cost_index_read(1, 1, false) < pz_cost_index_read(1000, 1, false));
    /* Semi joins: every left row when the right side has as many distinct keys, else the
     * fraction it has; an anti join keeps the rest; never more rows than the left side. */
    assert_true(fabs(pz_cost_semi_rows(1000, 100, 500, false) - 1000) < 1e-9);
    assert_true(fabs(pz_cost_semi_rows(1000, 100, 25, false) - 250) < 1e-9);
    assert_true(fabs(pz_cost_semi_rows(1000, 100, 25, true) - 750) < 1e-9);
    assert_true(fabs(pz_cost_semi_rows(1000, 100, 500, true)) < 1e-9);
    assert_true(pz_cost_semi_rows(1000, 0, 0, false) <= 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hll_accuracy), cmocka_unit_test(test_hll_small),
        cmocka_unit_test(test_hll_merge),    cmocka_unit_test(test_hash),
        cmocka_unit_test(test_cost_math),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
