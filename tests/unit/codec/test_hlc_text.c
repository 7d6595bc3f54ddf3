/*
 * test_hlc_text.c — proves the HLC text form round-trips (format then parse is the identity for
 * random timestamps and the extremes), matches CockroachDB's decimal form ("wall.logical" with
 * ten fractional digits, a shorter fraction scaled as a decimal), and that parsing refuses
 * everything else: empty parts, signs, spaces, hex, more than ten fractional digits, and values
 * past UINT64_MAX or UINT32_MAX. Also pins pz_hlc_cmp, pz_hlc_next (including the carry into
 * wall) and pz_hlc_is_zero, and the formatter's behaviour on a short buffer.
 *
 * How: table-driven cases plus 100 000 seeded random timestamps.
 */
#include "codec_test.h"

#include <stdio.h>

static void test_format_known(void **state)
{
    (void)state;
    char buf[64];
    pz_hlc_t t = {.wall = 1700000000000000000ull, .logical = 1};
    assert_int_equal(pz_hlc_format(t, buf, sizeof buf), 0);
    assert_string_equal(buf, "1700000000000000000.0000000001");
    pz_hlc_t z = {0, 0};
    assert_int_equal(pz_hlc_format(z, buf, sizeof buf), 0);
    assert_string_equal(buf, "0.0000000000");
    pz_hlc_t max = {UINT64_MAX, UINT32_MAX};
    assert_int_equal(pz_hlc_format(max, buf, 32), 0); /* 32 bytes always suffice */
    assert_string_equal(buf, "18446744073709551615.4294967295");
    for (size_t cap = 0; cap < 32; cap++) {
        memset(buf, 'x', sizeof buf);
        assert_int_equal(pz_hlc_format(max, buf, cap), PZ_ETOOBIG);
        if (cap > 0) {
            assert_string_equal(buf, "");
        }
    }
}

static void test_roundtrip_random(void **state)
{
    (void)state;
    uint64_t seed = 5;
    for (int i = 0; i < 100000; i++) {
        pz_hlc_t t = {pz__rand_next(&seed) >> (pz__rand_next(&seed) % 64),
                      (uint32_t)(pz__rand_next(&seed) >> (pz__rand_next(&seed) % 64))};
        char buf[32];
        assert_int_equal(pz_hlc_format(t, buf, sizeof buf), 0);
        pz_hlc_t back = {1, 1};
        assert_int_equal(pz_hlc_parse(buf, &back), 0);
        assert_int_equal(pz_hlc_cmp(t, back), 0);
    }
}

static void test_parse_accepts(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t wall;
        uint32_t logical;
    } ok[] = {
        {"0", 0, 0},
        {"123", 123, 0},
        {"123.0000000007", 123, 7},
        {"5.1", 5, 1000000000}, /* a decimal fraction, as CockroachDB reads it */
        {"5.25", 5, 2500000000u},
        {"007.0000000001", 7, 1},
        {"18446744073709551615", UINT64_MAX, 0},
        {"18446744073709551615.4294967295", UINT64_MAX, UINT32_MAX},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        pz_hlc_t t;
        assert_int_equal(pz_hlc_parse(ok[i].s, &t), 0);
        assert_true(t.wall == ok[i].wall);
        assert_int_equal(t.logical, ok[i].logical);
    }
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", ".", "1.", ".1", "+1", "-1", " 1", "1 ", "1\n", "0x10", "1e9", "1.2.3", "1..2",
        "abc", "1a", "1.a", "1.-1", "1.00000000001",  /* eleven fractional digits */
        "18446744073709551616",                       /* wall overflow */
        "99999999999999999999999",
        "1.4294967296",                               /* logical overflow */
        "1.9999999999",
        "1,5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pz_hlc_t t = {77, 77};
        assert_int_equal(pz_hlc_parse(bad[i], &t), PZ_EINVAL);
        assert_true(t.wall == 77 && t.logical == 77); /* untouched on failure */
    }
    pz_hlc_t t;
    assert_int_equal(pz_hlc_parse(NULL, &t), PZ_EINVAL);
}

static void test_cmp_next_zero(void **state)
{
    (void)state;
    pz_hlc_t a = {10, 5}, b = {10, 6}, c = {11, 0};
    assert_int_equal(pz_hlc_cmp(a, b), -1);
    assert_int_equal(pz_hlc_cmp(b, a), 1);
    assert_int_equal(pz_hlc_cmp(b, c), -1);
    assert_int_equal(pz_hlc_cmp(c, c), 0);
    pz_hlc_t n = pz_hlc_next(a);
    assert_int_equal(pz_hlc_cmp(n, b), 0);
    pz_hlc_t edge = {10, UINT32_MAX};
    n = pz_hlc_next(edge);
    assert_true(n.wall == 11 && n.logical == 0);
    assert_int_equal(pz_hlc_cmp(edge, n), -1);
    pz_hlc_t z = {0, 0};
    assert_true(pz_hlc_is_zero(z));
    assert_false(pz_hlc_is_zero(pz_hlc_next(z)));
    /* next(t) is the smallest timestamp above t: nothing sorts between. */
    uint64_t seed = 6;
    for (int i = 0; i < 10000; i++) {
        pz_hlc_t t = {pz__rand_next(&seed) % 4, (uint32_t)(pz__rand_next(&seed) % 4)};
        pz_hlc_t u = {pz__rand_next(&seed) % 4, (uint32_t)(pz__rand_next(&seed) % 4)};
        if (pz_hlc_cmp(t, u) < 0) {
            assert_true(pz_hlc_cmp(pz_hlc_next(t), u) <= 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_cmp_next_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
