/*
 * test_codec.c — proves the decoding side never trusts its input: the scalar helpers refuse
 * every wrong msgpack type and every out-of-range value with PZ_EPROTO; pz__unpack accepts
 * exactly one complete document (every proper prefix of a valid encoding of every message type
 * is refused, trailing bytes are refused), keeps strings pointing into the input, refuses
 * element counts the input cannot hold before allocating for them, and refuses nesting past
 * its bound (a 100 000-level depth bomb included); arrays over a schema's max are refused;
 * and thousands of seeded random and mutated inputs run through every schema decoder without
 * a crash, every accepted one re-encoding to an equal value.
 *
 * How: hand-built msgpack with msgpack-c's packer, the schema generators' fill_random for valid
 * inputs, and a seeded generator for garbage (biased to msgpack type bytes so it gets past the
 * first byte). The ASan/UBSan build turns any out-of-bounds read or leak into a failure.
 */
#include "codec_test.h"

static msgpack_object s_obj_u(uint64_t v)
{
    msgpack_object o = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = v};
    return o;
}

static msgpack_object s_obj_i(int64_t v)
{
    msgpack_object o = {.type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = v};
    return o;
}

static void test_scalar_types_strict(void **state)
{
    (void)state;
    uint64_t u = 0;
    int64_t i = 0;
    bool b = false;
    double d = 0;
    pz_view_t v;
    const msgpack_object *items = NULL;
    uint32_t n = 0;
    msgpack_object nil = {.type = MSGPACK_OBJECT_NIL};
    msgpack_object str = {.type = MSGPACK_OBJECT_STR, .via.str = {1, "x"}};
    msgpack_object bin = {.type = MSGPACK_OBJECT_BIN, .via.bin = {1, "x"}};
    msgpack_object boo = {.type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = true};
    msgpack_object f64 = {.type = MSGPACK_OBJECT_FLOAT64, .via.f64 = 1.5};
    msgpack_object f32 = {.type = MSGPACK_OBJECT_FLOAT32, .via.f64 = 0.5};
    msgpack_object map = {.type = MSGPACK_OBJECT_MAP};
    msgpack_object arr = {.type = MSGPACK_OBJECT_ARRAY, .via.array = {3, NULL}};
    msgpack_object pos = s_obj_u(5), neg = s_obj_i(-5);

    assert_int_equal(pz__dec_uint(&pos, 5, &u), 0);
    assert_int_equal(u, 5);
    assert_int_equal(pz__dec_uint(&pos, 4, &u), PZ_EPROTO);
    assert_int_equal(pz__dec_uint(&neg, UINT64_MAX, &u), PZ_EPROTO);
    assert_int_equal(pz__dec_uint(&f64, UINT64_MAX, &u), PZ_EPROTO);
    assert_int_equal(pz__dec_uint(&boo, UINT64_MAX, &u), PZ_EPROTO);
    assert_int_equal(pz__dec_uint(&nil, UINT64_MAX, &u), PZ_EPROTO);

    assert_int_equal(pz__dec_int(&neg, -5, 0, &i), 0);
    assert_int_equal(i, -5);
    assert_int_equal(pz__dec_int(&neg, -4, 0, &i), PZ_EPROTO);
    assert_int_equal(pz__dec_int(&pos, INT32_MIN, 4, &i), PZ_EPROTO);
    msgpack_object big = s_obj_u((uint64_t)INT64_MAX + 1);
    assert_int_equal(pz__dec_int(&big, INT64_MIN, INT64_MAX, &i), PZ_EPROTO);
    msgpack_object top = s_obj_u((uint64_t)INT64_MAX);
    assert_int_equal(pz__dec_int(&top, INT64_MIN, INT64_MAX, &i), 0);
    assert_true(i == INT64_MAX);
    assert_int_equal(pz__dec_int(&str, INT64_MIN, INT64_MAX, &i), PZ_EPROTO);

    assert_int_equal(pz__dec_bool(&boo, &b), 0);
    assert_true(b);
    assert_int_equal(pz__dec_bool(&pos, &b), PZ_EPROTO);
    assert_int_equal(pz__dec_bool(&nil, &b), PZ_EPROTO);

    assert_int_equal(pz__dec_f64(&f64, &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(pz__dec_f64(&f32, &d), 0);
    assert_true(d == 0.5);
    assert_int_equal(pz__dec_f64(&pos, &d), PZ_EPROTO);

    assert_int_equal(pz__dec_bytes(&bin, &v), 0);
    assert_int_equal(v.len, 1);
    assert_int_equal(pz__dec_bytes(&str, &v), PZ_EPROTO);
    assert_int_equal(pz__dec_bytes(&nil, &v), PZ_EPROTO);
    assert_int_equal(pz__dec_str(&str, &v), 0);
    assert_int_equal(pz__dec_str(&bin, &v), PZ_EPROTO);

    assert_int_equal(pz__dec_arr(&arr, 3, &items, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(pz__dec_arr(&arr, 2, &items, &n), PZ_EPROTO);
    assert_int_equal(pz__dec_arr(&map, 100, &items, &n), PZ_EPROTO);
    assert_int_equal(pz__dec_arr(&str, 100, &items, &n), PZ_EPROTO);
}

/* Wrong types inside a schema: each is PZ_EPROTO, never a partial success. */
static void test_schema_wrong_types(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    static const uint8_t cases[][8] = {
        {0x92, 0xff, 0x00},                /* hlc wall = -1 */
        {0x92, 0xa1, 'x', 0x00},           /* hlc wall = "x" */
        {0x92, 0x00, 0xcf, 0, 0, 0, 1, 0}, /* logical = 2^32 > U32 (truncated on purpose) */
        {0x81, 0x00, 0x00},                /* a map, not an array */
        {0xc0},                            /* nil */
        {0x92, 0x00, 0xc3},                /* logical = true */
    };
    static const size_t lens[] = {3, 4, 8, 3, 1, 3};
    for (size_t c = 0; c < sizeof lens / sizeof lens[0]; c++) {
        msgpack_unpacked u;
        int rc = pz__unpack(cases[c], lens[c], &u);
        pz_hlc_t h;
        if (rc == 0) {
            rc = pz_hlc_decode(&u.data, &h, a, 0);
        }
        assert_int_equal(rc, PZ_EPROTO);
        msgpack_unpacked_destroy(&u);
    }
    /* logical = 2^32, complete this time: the value check, not the parser, refuses it. */
    const uint8_t over[] = {0x92, 0x00, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0};
    msgpack_unpacked u;
    pz_hlc_t h;
    assert_int_equal(pz__unpack(over, sizeof over, &u), 0);
    assert_int_equal(pz_hlc_decode(&u.data, &h, a, 0), PZ_EPROTO);
    /* And the generator's depth guard. */
    assert_int_equal(pz_hlc_decode(&u.data, &h, a, PZ_DECODE_DEPTH_MAX + 1), PZ_EPROTO);
    msgpack_unpacked_destroy(&u);
    pz_arena_destroy(&a);
}

static void test_unpack_references_input(void **state)
{
    (void)state;
    const uint8_t doc[] = {0x92, 0xa3, 'a', 'b', 'c', 0xc4, 0x02, 0x00, 0xff};
    msgpack_unpacked u;
    assert_int_equal(pz__unpack(doc, sizeof doc, &u), 0);
    assert_int_equal(u.data.type, MSGPACK_OBJECT_ARRAY);
    assert_ptr_equal(u.data.via.array.ptr[0].via.str.ptr, (const char *)doc + 2);
    assert_ptr_equal(u.data.via.array.ptr[1].via.bin.ptr, (const char *)doc + 7);
    msgpack_unpacked_destroy(&u);
}

static void test_unpack_trailing_and_empty(void **state)
{
    (void)state;
    const uint8_t two[] = {0x90, 0x90};
    const uint8_t one[] = {0x90};
    msgpack_unpacked u;
    assert_int_equal(pz__unpack(two, sizeof two, &u), PZ_EPROTO);
    msgpack_unpacked_destroy(&u); /* harmless after a failure */
    assert_int_equal(pz__unpack(one, 0, &u), PZ_EPROTO);
    assert_int_equal(pz__unpack(NULL, 0, &u), PZ_EPROTO);
    const uint8_t reserved[] = {0xc1};
    assert_int_equal(pz__unpack(reserved, 1, &u), PZ_EPROTO);
    assert_int_equal(pz__unpack(one, 1, &u), 0);
    msgpack_unpacked_destroy(&u);
}

/* Counts the bytes cannot hold are refused before msgpack-c allocates for them. */
static void test_unpack_huge_counts(void **state)
{
    (void)state;
    static const uint8_t cases[][10] = {
        {0xdd, 0xff, 0xff, 0xff, 0xff},       /* array32 of 4 billion, no elements */
        {0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0}, /* map32 of 4 billion */
        {0xdc, 0x00, 0x03, 0xc0, 0xc0},       /* array16 of 3 with 2 elements */
        {0xdb, 0xff, 0xff, 0xff, 0xff, 'x'},  /* str32 of 4 GB */
        {0xc6, 0x00, 0x00, 0x00, 0x05, 'x'},  /* bin32 of 5, 1 byte */
        {0xc9, 0x00, 0x00, 0x00, 0x02, 0x01}, /* ext32 without data */
        {0x9f, 0xc0},                         /* fixarray 15 with 1 */
        {0x81, 0xc0},                         /* fixmap 1 without value */
    };
    static const size_t lens[] = {5, 6, 5, 6, 6, 6, 2, 2};
    for (size_t c = 0; c < sizeof lens / sizeof lens[0]; c++) {
        msgpack_unpacked u;
        assert_int_equal(pz__unpack(cases[c], lens[c], &u), PZ_EPROTO);
        msgpack_unpacked_destroy(&u);
    }
}

static int s_unpack_nested(size_t levels)
{
    uint8_t *doc = malloc(levels + 1);
    assert_non_null(doc);
    memset(doc, 0x91, levels);
    doc[levels] = 0xc0;
    msgpack_unpacked u;
    int rc = pz__unpack(doc, levels + 1, &u);
    msgpack_unpacked_destroy(&u);
    free(doc);
    return rc;
}

static void test_unpack_depth(void **state)
{
    (void)state;
    assert_int_equal(s_unpack_nested(2 * PZ_DECODE_DEPTH_MAX), 0);
    assert_int_equal(s_unpack_nested(2 * PZ_DECODE_DEPTH_MAX + 1), PZ_EPROTO);
    assert_int_equal(s_unpack_nested(100000), PZ_EPROTO); /* the bomb */
    /* Maps nest too. */
    uint8_t maps[80];
    for (size_t i = 0; i < 78; i += 2) {
        maps[i] = 0x81;
        maps[i + 1] = 0xc0; /* key nil, value: the next map */
    }
    maps[78] = 0xc0;
    maps[79] = 0xc0;
    msgpack_unpacked u;
    assert_int_equal(pz__unpack(maps, 79, &u), PZ_EPROTO);
    msgpack_unpacked_destroy(&u);
}

/* A batch of exactly PZ_BATCH_REQS_MAX (oldest-form, empty) requests decodes; one more is
 * refused by the count check, not by the elements. */
static void test_oversized_arrays(void **state)
{
    (void)state;
    for (uint32_t n = PZ_BATCH_REQS_MAX; n <= PZ_BATCH_REQS_MAX + 1; n++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 2);
        msgpack_pack_array(&pk, 0); /* header */
        msgpack_pack_array(&pk, n);
        for (uint32_t i = 0; i < n; i++) {
            msgpack_pack_array(&pk, 0);
        }
        pz_msg_t *m = NULL;
        assert_int_equal(t_receive_bytes(PZ_MSG_KV_BATCH, 0, (const uint8_t *)sb.data, sb.size, &m),
                         0);
        pz_kv_batch_t b;
        int rc = pz_kv_batch_from_msg(m, PZ_MSG_KV_BATCH, &b);
        assert_int_equal(rc, n == PZ_BATCH_REQS_MAX ? 0 : PZ_EPROTO);
        if (rc == 0) {
            assert_int_equal(b.reqs_len, n);
        }
        pz_msg_free(&m);
        msgpack_sbuffer_destroy(&sb);
    }
    /* A struct with more than 1024 fields is refused too. */
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1025);
    for (int i = 0; i < 1025; i++) {
        msgpack_pack_uint8(&pk, 0);
    }
    msgpack_unpacked u;
    pz_arena_t *a = pz_arena_new();
    pz_hlc_t h;
    assert_int_equal(pz__unpack((const uint8_t *)sb.data, sb.size, &u), 0);
    assert_int_equal(pz_hlc_decode(&u.data, &h, a, 0), PZ_EPROTO);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
    pz_arena_destroy(&a);
}

/* Every proper prefix of a valid encoding, for every schema, is refused both by pz__unpack and
 * through the message path. */
#define S_TRUNC_(T)                                                                                \
    for (uint64_t s = 0; s < 8; s++) {                                                             \
        uint64_t seed = s + 1000;                                                                  \
        T##_t in, out;                                                                             \
        T##_fill_random(&in, a, &seed, 0);                                                         \
        uint8_t *buf = NULL;                                                                       \
        size_t len = 0;                                                                            \
        T_ENCODE(T, &in, &buf, &len);                                                              \
        for (size_t cut = 0; cut < len; cut++) {                                                   \
            msgpack_unpacked u;                                                                    \
            assert_int_equal(pz__unpack(buf, cut, &u), PZ_EPROTO);                                 \
            msgpack_unpacked_destroy(&u);                                                          \
        }                                                                                          \
        msgpack_unpacked u;                                                                        \
        assert_int_equal(pz__unpack(buf, len, &u), 0);                                             \
        assert_int_equal(T##_decode(&u.data, &out, a, 0), 0);                                      \
        assert_true(T##_eq(&in, &out));                                                            \
        msgpack_unpacked_destroy(&u);                                                              \
        free(buf);                                                                                 \
        checked++;                                                                                 \
    }

static void test_every_truncation(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    int checked = 0;
    PZ_TEST_SCHEMAS(S_TRUNC_)
#define S_ONE_(T) +1
    assert_int_equal(checked, (0 PZ_TEST_SCHEMAS(S_ONE_)) * 8);
#undef S_ONE_
    assert_true(checked >= 21 * 8); /* the list did not shrink by accident */
    pz_arena_destroy(&a);
}

#define S_TRUNC_MSG_(name, id, ver, schema)                                                        \
    {                                                                                              \
        uint64_t seed = id;                                                                        \
        schema##_t in, out;                                                                        \
        schema##_fill_random(&in, a, &seed, 0);                                                    \
        uint8_t *buf = NULL;                                                                       \
        size_t len = 0;                                                                            \
        T_ENCODE(schema, &in, &buf, &len);                                                         \
        for (size_t cut = 0; cut < len; cut++) {                                                   \
            pz_msg_t *m = NULL;                                                                    \
            assert_int_equal(t_receive_bytes(id, 0, buf, cut, &m), 0);                             \
            assert_int_equal(schema##_from_msg(m, id, &out), PZ_EPROTO);                           \
            pz_msg_free(&m);                                                                       \
        }                                                                                          \
        free(buf);                                                                                 \
    }

static void test_every_truncation_msg(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    PZ_MSGTYPES(S_TRUNC_MSG_)
    pz_arena_destroy(&a);
}

/* Decodes bytes with every schema; whatever decodes must re-encode to an equal value. */
#define S_ALL_(T)                                                                                  \
    {                                                                                              \
        T##_t x, y;                                                                                \
        if (T##_decode(&u.data, &x, a, 0) == 0) {                                                  \
            accepted++;                                                                            \
            uint8_t *re = NULL;                                                                    \
            size_t re_len = 0;                                                                     \
            T_ENCODE(T, &x, &re, &re_len);                                                         \
            msgpack_unpacked u2;                                                                   \
            assert_int_equal(pz__unpack(re, re_len, &u2), 0);                                      \
            assert_int_equal(T##_decode(&u2.data, &y, a, 0), 0);                                   \
            assert_true(T##_eq(&x, &y));                                                           \
            msgpack_unpacked_destroy(&u2);                                                         \
            free(re);                                                                              \
        }                                                                                          \
    }

static int s_decode_all(const uint8_t *buf, size_t len)
{
    msgpack_unpacked u;
    int accepted = 0;
    if (pz__unpack(buf, len, &u) != 0) {
        return -1;
    }
    pz_arena_t *a = pz_arena_new();
    assert_non_null(a);
    PZ_TEST_SCHEMAS(S_ALL_)
    pz_arena_destroy(&a);
    msgpack_unpacked_destroy(&u);
    pz_envelope_t e;
    (void)pz_envelope_decode(buf, len, &e);
    return accepted;
}

/* Random bytes biased toward msgpack type bytes and small lengths, so inputs get past the
 * first byte often. */
static void test_random_garbage(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    uint8_t buf[256];
    int parsed = 0;
    for (int i = 0; i < 20000; i++) {
        size_t len = pz__rand_next(&seed) % sizeof buf;
        for (size_t j = 0; j < len; j++) {
            uint64_t r = pz__rand_next(&seed);
            static const uint8_t hot[] = {0x90, 0x92, 0x93, 0x97, 0xc0, 0xc2, 0xc3, 0xc4,
                                          0xa1, 0x00, 0x01, 0xff, 0xcf, 0xd2, 0xdc, 0x80};
            buf[j] = (r & 1) ? hot[(r >> 1) % sizeof hot] : (uint8_t)(r >> 8);
        }
        parsed += s_decode_all(buf, len) >= 0;
    }
    assert_true(parsed > 0);
}

/* Valid encodings with one to three bytes changed, removed or inserted. */
static void test_mutated_valid(void **state)
{
    (void)state;
    uint64_t seed = 777;
    pz_arena_t *a = pz_arena_new();
    int accepted = 0;
    for (int i = 0; i < 4000; i++) {
        pz_kv_batch_resp_t in;
        pz_kv_batch_resp_fill_random(&in, a, &seed, 0);
        uint8_t *buf = NULL;
        size_t len = 0;
        T_ENCODE(pz_kv_batch_resp, &in, &buf, &len);
        uint8_t *mut = malloc(len + 4);
        assert_non_null(mut);
        memcpy(mut, buf, len);
        size_t mlen = len;
        for (uint64_t k = pz__rand_next(&seed) % 3 + 1; k > 0 && mlen > 0; k--) {
            uint64_t r = pz__rand_next(&seed);
            size_t at = (size_t)(r % mlen);
            if ((r >> 32) % 4 == 0) {
                memmove(mut + at, mut + at + 1, mlen - at - 1);
                mlen--;
            } else if ((r >> 32) % 4 == 1) {
                memmove(mut + at + 1, mut + at, mlen - at);
                mut[at] = (uint8_t)(r >> 40);
                mlen++;
            } else {
                mut[at] = (uint8_t)(r >> 40);
            }
        }
        accepted += s_decode_all(mut, mlen) > 0;
        free(mut);
        free(buf);
    }
    assert_true(accepted > 0);
    pz_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_types_strict),
        cmocka_unit_test(test_schema_wrong_types),
        cmocka_unit_test(test_unpack_references_input),
        cmocka_unit_test(test_unpack_trailing_and_empty),
        cmocka_unit_test(test_unpack_huge_counts),
        cmocka_unit_test(test_unpack_depth),
        cmocka_unit_test(test_oversized_arrays),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_every_truncation_msg),
        cmocka_unit_test(test_random_garbage),
        cmocka_unit_test(test_mutated_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
