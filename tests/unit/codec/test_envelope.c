/*
 * test_envelope.c — proves the envelope frame round-trips every field (random values, longest
 * addresses), and that decoding refuses what the contract says: wrong magic (PZ_EPROTO), another
 * protocol version (PZ_EVERSION, checked before the other fields), an address with a NUL inside,
 * non-zero reserved bytes, lengths that disagree with the frame size (every truncation and every
 * extension), frames over PZ_ENVELOPE_BYTES_MAX. Encoding refuses a too-small buffer and an
 * unterminated address with PZ_ETOOBIG.
 *
 * How: pz_envelope_encode for valid frames; invalid ones are valid frames with one byte or the
 * length changed (the layout is in envelope.c).
 */
#include "codec_test.h"

static void s_random_env(pz_envelope_t *e, uint64_t *seed)
{
    memset(e, 0, sizeof *e);
    e->proto_version = PZ_PROTO_VERSION;
    e->type = (uint16_t)pz__rand_next(seed);
    e->type_version = (uint16_t)pz__rand_next(seed);
    e->flags = (uint8_t)pz__rand_next(seed);
    e->corr = pz__rand_next(seed);
    e->deadline_ns = pz__rand_next(seed) >> (pz__rand_next(seed) % 64);
    size_t to_len = pz__rand_next(seed) % PZ_ADDR_BYTES_MAX;
    size_t from_len = pz__rand_next(seed) % 40;
    for (size_t i = 0; i < to_len; i++) {
        e->to[i] = (char)(1 + pz__rand_next(seed) % 255); /* any byte but NUL */
    }
    for (size_t i = 0; i < from_len; i++) {
        e->from[i] = (char)('a' + pz__rand_next(seed) % 26);
    }
}

static void s_assert_env_eq(const pz_envelope_t *x, const pz_envelope_t *y)
{
    assert_int_equal(x->proto_version, y->proto_version);
    assert_int_equal(x->type, y->type);
    assert_int_equal(x->type_version, y->type_version);
    assert_int_equal(x->flags, y->flags);
    assert_true(x->corr == y->corr);
    assert_true(x->deadline_ns == y->deadline_ns);
    assert_string_equal(x->to, y->to);
    assert_string_equal(x->from, y->from);
}

static void test_roundtrip(void **state)
{
    (void)state;
    uint64_t seed = 9;
    for (int i = 0; i < 2000; i++) {
        pz_envelope_t in, out;
        s_random_env(&in, &seed);
        uint8_t buf[PZ_ENVELOPE_BYTES_MAX];
        size_t len = 0;
        assert_int_equal(pz_envelope_encode(&in, buf, sizeof buf, &len), 0);
        assert_int_equal(pz_envelope_decode(buf, len, &out), 0);
        s_assert_env_eq(&in, &out);
        for (size_t cut = 0; cut < len; cut++) {
            assert_int_equal(pz_envelope_decode(buf, cut, &out), PZ_EPROTO);
        }
        for (size_t cap = 0; cap < len; cap += 1 + cap / 8) {
            size_t l2 = 0;
            assert_int_equal(pz_envelope_encode(&in, buf, cap, &l2), PZ_ETOOBIG);
        }
    }
}

static void test_longest_addresses(void **state)
{
    (void)state;
    pz_envelope_t in, out;
    memset(&in, 0, sizeof in);
    memset(in.to, 'x', PZ_ADDR_BYTES_MAX - 1);
    memset(in.from, 'y', PZ_ADDR_BYTES_MAX - 1);
    uint8_t buf[PZ_ENVELOPE_BYTES_MAX];
    size_t len = 0;
    assert_int_equal(pz_envelope_encode(&in, buf, sizeof buf, &len), 0);
    assert_int_equal(pz_envelope_decode(buf, len, &out), 0);
    assert_int_equal(out.proto_version, PZ_PROTO_VERSION); /* 0 in means "mine" */
    assert_int_equal(strlen(out.to), PZ_ADDR_BYTES_MAX - 1);
    assert_int_equal(strlen(out.from), PZ_ADDR_BYTES_MAX - 1);
    /* An address filling its array has no NUL: too long. */
    in.to[PZ_ADDR_BYTES_MAX - 1] = 'x';
    assert_int_equal(pz_envelope_encode(&in, buf, sizeof buf, &len), PZ_ETOOBIG);
}

static size_t s_valid(uint8_t *buf, size_t cap)
{
    pz_envelope_t e = {.proto_version = PZ_PROTO_VERSION, .type = 10, .corr = 7};
    strcpy(e.to, "repl");
    strcpy(e.from, "dist@tcp://127.0.0.1:26357");
    size_t len = 0;
    assert_int_equal(pz_envelope_encode(&e, buf, cap, &len), 0);
    return len;
}

static void test_rejections(void **state)
{
    (void)state;
    uint8_t buf[PZ_ENVELOPE_BYTES_MAX + 8], bad[sizeof buf];
    pz_envelope_t e;
    size_t len = s_valid(buf, sizeof buf);
    assert_int_equal(pz_envelope_decode(buf, len, &e), 0);
    memcpy(bad, buf, len);
    bad[0] ^= 1; /* magic */
    assert_int_equal(pz_envelope_decode(bad, len, &e), PZ_EPROTO);
    memcpy(bad, buf, len);
    bad[4] = PZ_PROTO_VERSION + 1; /* version, checked before the rest */
    bad[13] = 1;
    assert_int_equal(pz_envelope_decode(bad, len, &e), PZ_EVERSION);
    memcpy(bad, buf, len);
    bad[14] = 1; /* reserved */
    assert_int_equal(pz_envelope_decode(bad, len, &e), PZ_EPROTO);
    memcpy(bad, buf, len);
    bad[33] = '\0'; /* NUL inside `to` */
    assert_int_equal(pz_envelope_decode(bad, len, &e), PZ_EPROTO);
    for (size_t n = 0; n < len; n++) { /* every truncation */
        assert_int_not_equal(pz_envelope_decode(buf, n, &e), 0);
    }
    memcpy(bad, buf, len);
    bad[len] = 'x'; /* a trailing byte the lengths do not cover */
    assert_int_equal(pz_envelope_decode(bad, len + 1, &e), PZ_EPROTO);
    memcpy(bad, buf, len);
    bad[11] = 200; /* a length past the frame */
    assert_int_equal(pz_envelope_decode(bad, len, &e), PZ_EPROTO);
    assert_int_equal(pz_envelope_decode(buf, PZ_ENVELOPE_BYTES_MAX + 1, &e), PZ_EPROTO);
    assert_int_equal(pz_envelope_decode(NULL, 0, &e), PZ_EPROTO);
}

static void test_encode_limits(void **state)
{
    (void)state;
    uint8_t buf[PZ_ENVELOPE_BYTES_MAX];
    size_t len = 0;
    pz_envelope_t e = {.proto_version = PZ_PROTO_VERSION};
    memset(e.to, 'a', sizeof e.to); /* unterminated */
    assert_int_equal(pz_envelope_encode(&e, buf, sizeof buf, &len), PZ_ETOOBIG);
    memset(&e, 0, sizeof e);
    strcpy(e.to, "repl");
    assert_int_equal(pz_envelope_encode(&e, buf, 10, &len), PZ_ETOOBIG);
    assert_int_equal(pz_envelope_encode(&e, buf, sizeof buf, &len), 0);
    pz_envelope_t d;
    assert_int_equal(pz_envelope_decode(buf, len, &d), 0);
    assert_int_equal(d.proto_version, PZ_PROTO_VERSION); /* 0 is written as the current one */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_longest_addresses),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_encode_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
