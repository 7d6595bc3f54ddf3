/*
 * test_keys.c — proves the key encodings preserve order and round-trip: for random pairs of
 * unsigned, signed and byte-string values (spread over every width and full of 0x00/0xff bytes),
 * sign(cmp(a, b)) == sign(memcmp-order(enc(a), enc(b))); a sorted list of boundary values
 * encodes to strictly increasing keys; composite keys order as tuples; decoding returns the
 * value, advances past exactly its bytes, and refuses truncated, non-canonical and malformed
 * input; encoders refuse a buffer one byte too small; and the key-space helpers (meta2, replica
 * descriptor keys, next, format, the constants) lay keys out as keys.h says.
 *
 * How: seeded random values (pz__rand_next), with widths chosen uniformly so every tag is hit.
 */
#include "codec_test.h"

#include "phantomzero/keys.h"

static int s_sign(int c)
{
    return (c > 0) - (c < 0);
}

static pz_view_t s_v(const uint8_t *p, size_t n)
{
    pz_view_t v = {p, (uint32_t)n};
    return v;
}

/* A random value of a random width, so every encoding length appears. */
static uint64_t s_rand_width(uint64_t *seed)
{
    uint64_t r = pz__rand_next(seed);
    unsigned bits = (unsigned)(pz__rand_next(seed) % 65);
    return bits == 64 ? r : r & ((1ull << bits) - 1);
}

/* Negative values as the complement of a random-width value: every width, INT64_MIN too. */
static int64_t s_rand_int(uint64_t *seed)
{
    uint64_t u = s_rand_width(seed);
    return (int64_t)((pz__rand_next(seed) & 1) ? ~u : u);
}

static void test_uvarint_order_and_roundtrip(void **state)
{
    (void)state;
    uint64_t seed = 1;
    for (int i = 0; i < 100000; i++) {
        uint64_t a = s_rand_width(&seed), b = s_rand_width(&seed);
        uint8_t ea[9], eb[9];
        size_t la = pz_key_put_uvarint(ea, sizeof ea, 0, a);
        size_t lb = pz_key_put_uvarint(eb, sizeof eb, 0, b);
        assert_true(la > 0 && lb > 0);
        int want = (a > b) - (a < b);
        assert_int_equal(s_sign(pz_view_cmp(s_v(ea, la), s_v(eb, lb))), want);
        size_t pos = 0;
        uint64_t back = 0;
        assert_int_equal(pz_key_get_uvarint(s_v(ea, la), &pos, &back), 0);
        assert_true(back == a);
        assert_int_equal(pos, la);
        assert_int_equal(pz_key_put_uvarint(ea, la - 1, 0, a), 0); /* one byte short */
    }
}

static void test_int_order_and_roundtrip(void **state)
{
    (void)state;
    uint64_t seed = 2;
    for (int i = 0; i < 100000; i++) {
        int64_t a = s_rand_int(&seed), b = s_rand_int(&seed);
        uint8_t ea[9], eb[9];
        size_t la = pz_key_put_int(ea, sizeof ea, 0, a);
        size_t lb = pz_key_put_int(eb, sizeof eb, 0, b);
        assert_true(la > 0 && lb > 0);
        int want = (a > b) - (a < b);
        assert_int_equal(s_sign(pz_view_cmp(s_v(ea, la), s_v(eb, lb))), want);
        size_t pos = 0;
        int64_t back = 0;
        assert_int_equal(pz_key_get_int(s_v(ea, la), &pos, &back), 0);
        assert_true(back == a);
        assert_int_equal(pos, la);
        assert_int_equal(pz_key_put_int(ea, la - 1, 0, a), 0);
    }
}

static void test_int_boundaries_increasing(void **state)
{
    (void)state;
    const int64_t vals[] = {INT64_MIN, INT64_MIN + 1, -(1ll << 56) - 1, -(1ll << 56),
                            -65537, -65536, -65535, -257, -256, -255, -2, -1, 0, 1, 108, 109,
                            110, 255, 256, 65535, 65536, (1ll << 56) - 1, 1ll << 56,
                            INT64_MAX - 1, INT64_MAX};
    uint8_t prev[9];
    size_t prev_len = 0;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t e[9];
        size_t n = pz_key_put_int(e, sizeof e, 0, vals[i]);
        assert_true(n > 0);
        if (i > 0) {
            assert_true(pz_view_cmp(s_v(prev, prev_len), s_v(e, n)) < 0);
        }
        size_t pos = 0;
        int64_t back;
        assert_int_equal(pz_key_get_int(s_v(e, n), &pos, &back), 0);
        assert_true(back == vals[i]);
        memcpy(prev, e, n);
        prev_len = n;
    }
    uint8_t e[9];
    assert_int_equal(pz_key_put_int(e, sizeof e, 0, 0), 1);
    assert_int_equal(e[0], 0x88);
    assert_int_equal(pz_key_put_uvarint(e, sizeof e, 0, 109), 1);
    assert_int_equal(pz_key_put_uvarint(e, sizeof e, 0, 110), 2);
    assert_int_equal(e[0], 0xf6);
    assert_int_equal(pz_key_put_uvarint(e, sizeof e, 0, UINT64_MAX), 9);
    assert_int_equal(e[0], 0xfd);
    assert_int_equal(pz_key_put_int(e, sizeof e, 0, INT64_MIN), 9);
    assert_int_equal(e[0], 0x80);
}

static int s_get_int(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    int64_t v;
    return pz_key_get_int(s_v(p, n), &pos, &v);
}

static int s_get_uvarint(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    uint64_t v;
    return pz_key_get_uvarint(s_v(p, n), &pos, &v);
}

static void test_int_malformed(void **state)
{
    (void)state;
    const uint8_t short5[] = {0xf6, 0x05};          /* 5 in the long form */
    const uint8_t lead0[] = {0xf7, 0x00, 0xff};     /* a leading zero byte */
    const uint8_t trunc[] = {0xf7, 0x01};           /* two bytes announced, one there */
    const uint8_t low[] = {0x7f};                   /* below every tag */
    const uint8_t high[] = {0xfe};                  /* above every tag */
    const uint8_t negpad[] = {0x86, 0xff, 0x00};    /* -256 in two bytes (fits in one) */
    const uint8_t neg1[] = {0x87, 0xff};            /* -1 */
    const uint8_t huge[] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(s_get_int(short5, 2), PZ_EPROTO);
    assert_int_equal(s_get_uvarint(short5, 2), PZ_EPROTO);
    assert_int_equal(s_get_int(lead0, 3), PZ_EPROTO);
    assert_int_equal(s_get_uvarint(trunc, 2), PZ_EPROTO);
    assert_int_equal(s_get_int(low, 1), PZ_EPROTO);
    assert_int_equal(s_get_int(high, 1), PZ_EPROTO);
    assert_int_equal(s_get_int(negpad, 3), PZ_EPROTO);
    assert_int_equal(s_get_int(neg1, 2), 0);
    assert_int_equal(s_get_uvarint(neg1, 2), PZ_EPROTO); /* negative is not unsigned */
    assert_int_equal(s_get_uvarint(huge, 9), 0);
    assert_int_equal(s_get_int(huge, 9), PZ_EPROTO); /* past INT64_MAX */
    assert_int_equal(s_get_int(huge, 0), PZ_EPROTO);
    /* A failed read does not move pos. */
    size_t pos = 1;
    int64_t v;
    assert_int_equal(pz_key_get_int(s_v(trunc, 2), &pos, &v), PZ_EPROTO);
    assert_int_equal(pos, 1);
}

/* Byte strings with many 0x00 and 0xff, some prefixes of others. */
static size_t s_rand_bytes(uint64_t *seed, uint8_t *out, size_t cap)
{
    size_t n = pz__rand_next(seed) % (cap + 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = pz__rand_next(seed);
        out[i] = (r & 3) == 0 ? 0x00 : (r & 3) == 1 ? 0xff : (r & 3) == 2 ? 0x01 : (uint8_t)r;
    }
    return n;
}

static void test_bytes_order_and_roundtrip(void **state)
{
    (void)state;
    uint64_t seed = 3;
    for (int i = 0; i < 50000; i++) {
        uint8_t a[12], b[12], ea[26], eb[26], back[12];
        size_t na = s_rand_bytes(&seed, a, sizeof a), nb;
        uint64_t mode = pz__rand_next(&seed) % 4;
        if (mode == 0) { /* equal */
            memcpy(b, a, na);
            nb = na;
        } else if (mode == 1) { /* a proper prefix of a */
            memcpy(b, a, na);
            nb = na == 0 ? 0 : (size_t)(pz__rand_next(&seed) % na);
        } else {
            nb = s_rand_bytes(&seed, b, sizeof b);
        }
        size_t la = pz_key_put_bytes(ea, sizeof ea, 0, s_v(a, na));
        size_t lb = pz_key_put_bytes(eb, sizeof eb, 0, s_v(b, nb));
        assert_true(la >= na + 2 && lb >= nb + 2);
        assert_int_equal(s_sign(pz_view_cmp(s_v(ea, la), s_v(eb, lb))),
                         s_sign(pz_view_cmp(s_v(a, na), s_v(b, nb))));
        size_t pos = 0, n = 0;
        assert_int_equal(pz_key_get_bytes(s_v(ea, la), &pos, back, sizeof back, &n), 0);
        assert_int_equal(n, na);
        assert_int_equal(pos, la);
        assert_true(na == 0 || memcmp(back, a, na) == 0);
        assert_int_equal(pz_key_put_bytes(ea, la - 1, 0, s_v(a, na)), 0);
    }
}

static void test_bytes_escaping(void **state)
{
    (void)state;
    const uint8_t v[] = {'a', 0x00, 0x00, 'b', 0xff};
    uint8_t e[16];
    size_t n = pz_key_put_bytes(e, sizeof e, 0, s_v(v, sizeof v));
    const uint8_t want[] = {'a', 0x00, 0xff, 0x00, 0xff, 'b', 0xff, 0x00, 0x01};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(e, want, sizeof want);
    uint8_t out[8];
    size_t pos = 0, len = 0;
    assert_int_equal(pz_key_get_bytes(s_v(e, n), &pos, out, sizeof out, &len), 0);
    assert_int_equal(len, sizeof v);
    assert_memory_equal(out, v, sizeof v);
    pos = 0;
    assert_int_equal(pz_key_get_bytes(s_v(e, n), &pos, out, 4, &len), PZ_ETOOBIG);
    /* Malformed: no terminator, a bad escape, a 0x00 at the very end. */
    const uint8_t noterm[] = {'a', 'b'};
    const uint8_t badesc[] = {'a', 0x00, 0x02, 0x00, 0x01};
    const uint8_t cut[] = {'a', 0x00};
    pos = 0;
    assert_int_equal(pz_key_get_bytes(s_v(noterm, 2), &pos, out, 8, &len), PZ_EPROTO);
    assert_int_equal(pz_key_get_bytes(s_v(badesc, 5), &pos, out, 8, &len), PZ_EPROTO);
    assert_int_equal(pz_key_get_bytes(s_v(cut, 2), &pos, out, 8, &len), PZ_EPROTO);
    assert_int_equal(pos, 0);
    /* The empty string is just the terminator. */
    n = pz_key_put_bytes(e, sizeof e, 0, s_v(NULL, 0));
    assert_int_equal(n, 2);
    assert_int_equal(e[0], 0x00);
    assert_int_equal(e[1], 0x01);
}

/* Prefixes sort first, and encoded tuples order like tuples. */
static void test_prefix_and_tuple_order(void **state)
{
    (void)state;
    const char *sorted[] = {"", "a", "a\0", "a\0\0", "a\x01", "ab", "b"};
    const size_t lens[] = {0, 1, 2, 3, 2, 2, 1};
    uint8_t prev[16];
    size_t prev_len = 0;
    for (size_t i = 0; i < 7; i++) {
        uint8_t e[16];
        size_t n = pz_key_put_bytes(e, sizeof e, 0, s_v((const uint8_t *)sorted[i], lens[i]));
        if (i > 0) {
            assert_true(pz_view_cmp(s_v(prev, prev_len), s_v(e, n)) < 0);
        }
        memcpy(prev, e, n);
        prev_len = n;
    }
    uint64_t seed = 4;
    for (int i = 0; i < 20000; i++) {
        uint8_t sa[4], sb[4], ka[32], kb[32];
        size_t na = s_rand_bytes(&seed, sa, 2), nb = s_rand_bytes(&seed, sb, 2);
        int64_t ia = s_rand_int(&seed) % 300, ib = s_rand_int(&seed) % 300;
        size_t la = pz_key_put_bytes(ka, sizeof ka, 0, s_v(sa, na));
        la = pz_key_put_int(ka, sizeof ka, la, ia);
        size_t lb = pz_key_put_bytes(kb, sizeof kb, 0, s_v(sb, nb));
        lb = pz_key_put_int(kb, sizeof kb, lb, ib);
        int want = s_sign(pz_view_cmp(s_v(sa, na), s_v(sb, nb)));
        if (want == 0) {
            want = (ia > ib) - (ia < ib);
        }
        assert_int_equal(s_sign(pz_view_cmp(s_v(ka, la), s_v(kb, lb))), want);
        /* And the tuple decodes back in sequence. */
        uint8_t out[4];
        size_t pos = 0, n = 0;
        int64_t iv;
        assert_int_equal(pz_key_get_bytes(s_v(ka, la), &pos, out, sizeof out, &n), 0);
        assert_int_equal(pz_key_get_int(s_v(ka, la), &pos, &iv), 0);
        assert_true(iv == ia);
        assert_int_equal(pos, la);
    }
}

static void test_keyspace(void **state)
{
    (void)state;
    assert_int_equal(PZ_KEY_MAX[0], 0xff);
    assert_int_equal(PZ_KEY_MAX[1], 0xff);
    assert_int_equal(PZ_KEY_MIN_ADDR[0], 0x02);
    uint8_t k[32];
    assert_true(pz_key_is_local(s_v((const uint8_t *)"\x01x", 2)));
    assert_false(pz_key_is_local(s_v((const uint8_t *)"\x02x", 2)));
    assert_false(pz_key_is_local(s_v(NULL, 0)));

    size_t n = pz_key_meta2(k, sizeof k, s_v((const uint8_t *)"abc", 3));
    assert_int_equal(n, 4);
    assert_memory_equal(k, "\x03" "abc", 4);
    assert_int_equal(pz_key_meta2(k, 3, s_v((const uint8_t *)"abc", 3)), 0);
    n = pz_key_meta2(k, sizeof k, s_v(PZ_KEY_MAX, 2));
    assert_int_equal(n, 3);

    uint8_t p[8], r1[16], r2[16];
    size_t np = pz_key_replica_desc_prefix(p, sizeof p);
    assert_int_equal(np, 5);
    assert_memory_equal(p, "\x01rdsc", 5);
    assert_int_equal(pz_key_replica_desc_prefix(p, 4), 0);
    size_t n1 = pz_key_replica_desc(r1, sizeof r1, 255);
    size_t n2 = pz_key_replica_desc(r2, sizeof r2, 256);
    assert_int_equal(n1, 13);
    assert_int_equal(pz_key_replica_desc(r1, 12, 1), 0);
    assert_memory_equal(r1, p, np);
    assert_true(pz_view_cmp(s_v(r1, n1), s_v(r2, n2)) < 0); /* ordered by range id */
    assert_true(pz_key_is_local(s_v(r1, n1)));

    /* The key space in order: local < meta1 < meta2 < system < table < KEY_MAX. */
    const uint8_t order[][2] = {{0x01, 0xff}, {0x02, 0}, {0x03, 0xff}, {0x04, 0},
                                {0x88, 0xff}, {0xff, 0xff}};
    for (int i = 0; i + 1 < 6; i++) {
        assert_true(pz_view_cmp(s_v(order[i], 2), s_v(order[i + 1], 2)) < 0);
    }
}

static void test_next_and_format(void **state)
{
    (void)state;
    uint8_t buf[8] = {'a', 'b'};
    size_t n = pz_key_next(buf, sizeof buf, s_v(buf, 2)); /* in place */
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "ab\0", 3);
    assert_true(pz_view_cmp(s_v((const uint8_t *)"ab", 2), s_v(buf, n)) < 0);
    assert_int_equal(pz_key_next(buf, 3, s_v(buf, 3)), 0);

    char out[64];
    const uint8_t key[] = {'t', 0x00, 0x88, '\\', '~'};
    assert_int_equal(pz_key_format(s_v(key, sizeof key), out, sizeof out), 11);
    assert_string_equal(out, "t\\x00\\x88\\~");
    /* Truncation keeps whole characters and escapes, always terminated. */
    assert_int_equal(pz_key_format(s_v(key, sizeof key), out, 4), 11);
    assert_string_equal(out, "t");
    assert_int_equal(pz_key_format(s_v(key, sizeof key), out, 6), 11);
    assert_string_equal(out, "t\\x00");
    assert_int_equal(pz_key_format(s_v(key, sizeof key), NULL, 0), 11);
    assert_int_equal(pz_key_format(s_v(NULL, 0), out, sizeof out), 0);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uvarint_order_and_roundtrip),
        cmocka_unit_test(test_int_order_and_roundtrip),
        cmocka_unit_test(test_int_boundaries_increasing),
        cmocka_unit_test(test_int_malformed),
        cmocka_unit_test(test_bytes_order_and_roundtrip),
        cmocka_unit_test(test_bytes_escaping),
        cmocka_unit_test(test_prefix_and_tuple_order),
        cmocka_unit_test(test_keyspace),
        cmocka_unit_test(test_next_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
