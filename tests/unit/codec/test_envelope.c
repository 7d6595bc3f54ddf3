/*
 * test_envelope.c — proves the envelope frame round-trips every field (random values, longest
 * addresses), and that decoding refuses what the contract says: wrong magic (PZ_EPROTO), another
 * protocol version (PZ_EVERSION, checked before the other fields), addresses of
 * PZ_ADDR_BYTES_MAX bytes or with NUL inside, non-string addresses, out-of-range integers, fewer
 * than nine fields, frames over PZ_ENVELOPE_BYTES_MAX, and every truncation. Extra trailing
 * fields are ignored. Encoding refuses a too-small buffer and an unterminated address with
 * PZ_ETOOBIG.
 *
 * How: pz_envelope_encode for valid frames; hand-packed msgpack (s_pack) for invalid ones, with
 * one field changed at a time.
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

/* Field overrides for s_decode_spec: S_KEEP keeps the valid value. */
#define S_KEEP INT64_MIN
typedef struct {
    int64_t magic, version, type, flags;
    int fields;            /* elements in the array */
    size_t to_len;         /* bytes of 'a' in `to` */
    bool to_nul;           /* a NUL inside `to` */
    bool to_bin;           /* `to` as bin instead of str */
    size_t extra_str_len;  /* a tenth field: a string of this length (0: none) */
} s_spec_t;

static const s_spec_t S_VALID = {S_KEEP, S_KEEP, S_KEEP, S_KEEP, 9, 4, false, false, 0};

static void s_pack_addr(msgpack_packer *pk, const s_spec_t *s)
{
    char to[2 * PZ_ADDR_BYTES_MAX];
    assert_true(s->to_len < sizeof to);
    memset(to, 'a', s->to_len);
    if (s->to_nul && s->to_len > 1) {
        to[1] = '\0';
    }
    if (s->to_bin) {
        msgpack_pack_bin_with_body(pk, to, s->to_len);
    } else {
        msgpack_pack_str_with_body(pk, to, s->to_len);
    }
}

static int s_decode_spec(const s_spec_t *s, pz_envelope_t *out)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int n = s->fields + (s->extra_str_len ? 1 : 0);
    msgpack_pack_array(&pk, (size_t)n);
    int64_t v[7] = {s->magic == S_KEEP ? PZ_MSG_MAGIC : s->magic,
                    s->version == S_KEEP ? PZ_PROTO_VERSION : s->version,
                    s->type == S_KEEP ? PZ_MSG_PING : s->type,
                    1,
                    s->flags == S_KEEP ? PZ_MSGF_REPLY : s->flags,
                    42,
                    0};
    for (int i = 0; i < s->fields && i < 7; i++) {
        msgpack_pack_int64(&pk, v[i]);
    }
    if (s->fields > 7) {
        s_pack_addr(&pk, s);
    }
    if (s->fields > 8) {
        msgpack_pack_str_with_body(&pk, "me", 2);
    }
    if (s->extra_str_len) {
        char *x = calloc(1, s->extra_str_len);
        msgpack_pack_str_with_body(&pk, x, s->extra_str_len);
        free(x);
    }
    int rc = pz_envelope_decode((const uint8_t *)sb.data, sb.size, out);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static void test_rejections(void **state)
{
    (void)state;
    pz_envelope_t e;
    s_spec_t s = S_VALID;
    assert_int_equal(s_decode_spec(&s, &e), 0);
    assert_int_equal(e.type, PZ_MSG_PING);
    assert_int_equal(e.flags, PZ_MSGF_REPLY);
    assert_true(e.corr == 42);
    assert_string_equal(e.to, "aaaa");
    assert_string_equal(e.from, "me");

    s = S_VALID, s.magic = PZ_MSG_MAGIC + 1;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.magic = 0;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.version = 2;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EVERSION);
    s = S_VALID, s.version = 0;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EVERSION);
    s = S_VALID, s.version = 2, s.fields = 3; /* version is judged before the layout */
    assert_int_equal(s_decode_spec(&s, &e), PZ_EVERSION);
    s = S_VALID, s.type = 65536;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.flags = 256;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.fields = 8;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.fields = 1;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.to_len = PZ_ADDR_BYTES_MAX - 1;
    assert_int_equal(s_decode_spec(&s, &e), 0);
    s = S_VALID, s.to_len = PZ_ADDR_BYTES_MAX;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.to_nul = true;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.to_bin = true;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.to_len = 0;
    assert_int_equal(s_decode_spec(&s, &e), 0);
    assert_string_equal(e.to, "");
    /* Appended fields are ignored while the frame stays within its bound. */
    s = S_VALID, s.extra_str_len = 100;
    assert_int_equal(s_decode_spec(&s, &e), 0);
    s = S_VALID, s.extra_str_len = PZ_ENVELOPE_BYTES_MAX;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    /* Negative integers are the wrong type for every unsigned field. */
    s = S_VALID, s.magic = -1;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.version = -1;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
    s = S_VALID, s.flags = -1;
    assert_int_equal(s_decode_spec(&s, &e), PZ_EPROTO);
}

static void test_not_an_array(void **state)
{
    (void)state;
    pz_envelope_t e;
    const uint8_t map[] = {0x80};
    const uint8_t nil[] = {0xc0};
    const uint8_t two[] = {0x90, 0x90};
    assert_int_equal(pz_envelope_decode(map, sizeof map, &e), PZ_EPROTO);
    assert_int_equal(pz_envelope_decode(nil, sizeof nil, &e), PZ_EPROTO);
    assert_int_equal(pz_envelope_decode(two, sizeof two, &e), PZ_EPROTO);
    assert_int_equal(pz_envelope_decode(NULL, 0, &e), PZ_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_longest_addresses),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_not_an_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
