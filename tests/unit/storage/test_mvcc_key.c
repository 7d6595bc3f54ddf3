/*
 * test_mvcc_key.c — proves the MVCC engine-key layout (modules/storage/mvcc_key.c): engine key
 * order is (user key ascending, timestamp descending) with the meta record first, for keys
 * full of 0x00 / 0xFF bytes and prefixes of each other; split and unescape invert the encoding;
 * prefix_after sorts after every entry of its key and before every later key; malformed engine
 * keys are refused as PZ_ECORRUPT.
 *
 * How: a seeded random property over many pairs of (key, timestamp) compares memcmp order of
 * the encodings with the intended order; fixed examples cover malformed bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mvcc_key.h"
#include "phantomzero/errors.h"

static uint64_t s_rng = 0x1234567u;

static uint64_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

/* Short keys over a tiny alphabet: collisions and shared prefixes are frequent. */
static pz_view_t s_rand_key(uint8_t *buf)
{
    static const uint8_t alpha[] = {0x00, 0x01, 0x02, 0xFE, 0xFF, 'a'};
    size_t n = 1 + s_rand() % 5;
    for (size_t i = 0; i < n; i++) {
        buf[i] = alpha[s_rand() % sizeof alpha];
    }
    return (pz_view_t){buf, (uint32_t)n};
}

static pz_hlc_t s_rand_ts(void)
{
    static const uint64_t walls[] = {1, 2, 0xFF, 0x100, UINT64_MAX - 1, UINT64_MAX};
    return (pz_hlc_t){walls[s_rand() % 6], (uint32_t)(s_rand() % 3) * 0x7FFFFFFFu};
}

static int s_sign(int x)
{
    return (x > 0) - (x < 0);
}

static int s_enc_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    return s_sign(pz_view_cmp((pz_view_t){a, (uint32_t)an}, (pz_view_t){b, (uint32_t)bn}));
}

static void test_order_is_key_then_newest_first(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++) {
        uint8_t ka[8], kb[8], ea[64], eb[64];
        pz_view_t a = s_rand_key(ka), b = s_rand_key(kb);
        pz_hlc_t ta = s_rand_ts(), tb = s_rand_ts();
        bool meta_a = s_rand() % 4 == 0, meta_b = s_rand() % 4 == 0;
        size_t na = meta_a ? pz__mvcc_key_prefix(ea, sizeof ea, a)
                           : pz__mvcc_key_version(ea, sizeof ea, a, ta);
        size_t nb = meta_b ? pz__mvcc_key_prefix(eb, sizeof eb, b)
                           : pz__mvcc_key_version(eb, sizeof eb, b, tb);
        int want = s_sign(pz_view_cmp(a, b));
        if (want == 0 && meta_a != meta_b) {
            want = meta_a ? -1 : 1; /* the meta record first */
        } else if (want == 0 && !meta_a) {
            want = -s_sign(pz_hlc_cmp(ta, tb)); /* newer first */
        }
        assert_int_equal(s_enc_cmp(ea, na, eb, nb), want);

        pz_mvcc_key_t mk;
        assert_int_equal(pz__mvcc_key_split(ea, na, &mk), 0);
        assert_int_equal(mk.has_ts, !meta_a);
        if (!meta_a) {
            assert_int_equal(pz_hlc_cmp(mk.ts, ta), 0);
        }
        uint8_t user[16];
        size_t ulen = 0;
        assert_int_equal(pz__mvcc_key_user(mk.prefix, user, sizeof user, &ulen), 0);
        assert_true(pz_view_eq((pz_view_t){user, (uint32_t)ulen}, a));

        /* prefix_after(a) is above every entry of a and at or below every entry of b > a. */
        uint8_t after[64];
        size_t nafter = pz__mvcc_key_prefix_after(after, sizeof after, mk.prefix.ptr,
                                                  mk.prefix.len);
        assert_int_equal(s_enc_cmp(after, nafter, ea, na), 1);
        if (pz_view_cmp(b, a) > 0) {
            assert_true(s_enc_cmp(after, nafter, eb, nb) <= 0);
        }
    }
}

static void test_malformed_keys_are_corrupt(void **state)
{
    (void)state;
    static const struct {
        const char *p;
        size_t n;
    } bad[] = {
        {"abc", 3},                          /* no terminator */
        {"a\x00", 2},                        /* cut inside the terminator */
        {"a\x00\x02", 3},                    /* 0x00 followed by neither 0x01 nor 0xFF */
        {"a\x00\x01" "x", 4},                /* a suffix that is not a timestamp */
        {"a\x00\x01" "0123456789abc", 16},   /* 13 bytes of suffix */
        {"", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pz_mvcc_key_t mk;
        assert_int_equal(pz__mvcc_key_split((const uint8_t *)bad[i].p, bad[i].n, &mk),
                         PZ_ECORRUPT);
    }
    pz_mvcc_key_t mk;
    assert_int_equal(pz__mvcc_key_split((const uint8_t *)"a\x00\xff\x00\x01", 5, &mk), 0);
    assert_false(mk.has_ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_is_key_then_newest_first),
        cmocka_unit_test(test_malformed_keys_are_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
