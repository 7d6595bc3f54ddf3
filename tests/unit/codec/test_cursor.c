/*
 * test_cursor.c — proves the cursor decoders (T_decode_cur, pz__cur_*) are the object-tree
 * decoders (T_decode over pz__unpack, pz__dec_*) in another form: for the same bytes both
 * accept or both refuse, with the same code, and what they accept is equal field for field.
 *
 * How, differentially, with the tree decoder as the reference:
 *   - every scalar reader against its pz__dec_* twin on every header byte 0x00..0xff followed by
 *     random payloads (this is where integer widths, signed encodings of non-negative values,
 *     float32 widening, str vs bin and ext are pinned down);
 *   - every schema (all of codec_test.h's list plus t_all below, which has every field kind,
 *     F64 and the narrow integers included), many fill_random seeds: encode, decode both ways;
 *   - every proper prefix of those encodings, and thousands of random mutations (bytes changed,
 *     inserted, deleted), each decoded by every schema both ways;
 *   - older and newer senders: the top-level array cut short or extended with extra trailing
 *     fields of every msgpack shape (ext, map, nested arrays, float32, nil);
 *   - the message path (T_from_msg, now the cursor) against the tree decoder on the same body.
 * Where the cursor decoder succeeds it must also have consumed the whole document.
 */
#include "codec_test.h"

/* A test-only schema with every field kind, so the generated cursor code for kinds no wire
 * schema uses yet (F64, U8, U16, I64) is exercised too. */
#define PZ_SCHEMA_t_all(X)                                                                       \
    X(U8, u8, _, _)                                                                              \
    X(U16, u16, _, _)                                                                            \
    X(U32, u32, _, _)                                                                            \
    X(U64, u64, _, _)                                                                            \
    X(I32, i32, _, _)                                                                            \
    X(I64, i64, _, _)                                                                            \
    X(BOOL, b, _, _)                                                                             \
    X(F64, f, _, _)                                                                              \
    X(BYTES, bytes, _, _)                                                                        \
    X(STR, str, _, _)                                                                            \
    X(STRUCT, hlc, pz_hlc, _)                                                                    \
    X(OPT, txn, pz_kv_txn, _)                                                                    \
    X(ARR, kvs, pz_kv_kv, 3)
PZ_SCHEMA_DECLARE(t_all)
PZ_SCHEMA_DEFINE(t_all)

#define S_SCHEMAS(X) PZ_TEST_SCHEMAS(X) X(t_all)
#define S_COUNT_(T) +1
enum { S_NSCHEMAS = 0 S_SCHEMAS(S_COUNT_) };

/* Decodes buf both ways as T and asserts they agree; returns the shared code. On success *tree
 * and *cur hold the two values. */
#define S_DIFF_(T)                                                                               \
    static int s_diff_##T(const uint8_t *buf, size_t len, pz_arena_t *a, T##_t *tree,            \
                          T##_t *cur)                                                            \
    {                                                                                            \
        msgpack_unpacked u;                                                                      \
        int rc_tree = pz__unpack(buf, len, &u);                                                  \
        if (rc_tree == 0) {                                                                      \
            rc_tree = T##_decode(&u.data, tree, a, 0);                                           \
        }                                                                                        \
        msgpack_unpacked_destroy(&u);                                                            \
        pz_cur_t c;                                                                              \
        int rc_cur = pz__cur_init(buf, len, &c);                                                 \
        if (rc_cur == 0) {                                                                       \
            rc_cur = T##_decode_cur(&c, cur, a, 0);                                              \
            assert_true(rc_cur != 0 || c.p == buf + len);                                        \
        }                                                                                        \
        assert_int_equal(rc_tree, rc_cur);                                                       \
        if (rc_tree == 0) {                                                                      \
            assert_true(T##_eq(tree, cur));                                                      \
        }                                                                                        \
        return rc_tree;                                                                          \
    }                                                                                            \
    static int s_diff_any_##T(const uint8_t *buf, size_t len, pz_arena_t *a)                     \
    {                                                                                            \
        T##_t x, y;                                                                              \
        return s_diff_##T(buf, len, a, &x, &y);                                                  \
    }
S_SCHEMAS(S_DIFF_)

typedef int (*s_diff_fn)(const uint8_t *buf, size_t len, pz_arena_t *a);
#define S_FN_(T) s_diff_any_##T,
static const s_diff_fn s_diffs[] = {S_SCHEMAS(S_FN_)};

/* Every schema on the same bytes; returns how many accepted them. */
static int s_diff_all(const uint8_t *buf, size_t len)
{
    pz_arena_t *a = pz_arena_new();
    assert_non_null(a);
    int accepted = 0;
    for (int i = 0; i < S_NSCHEMAS; i++) {
        accepted += s_diffs[i](buf, len, a) == 0;
    }
    pz_arena_destroy(&a);
    return accepted;
}

/* One to three bytes changed, removed or inserted, into mut (capacity len + 4). */
static size_t s_mutate(const uint8_t *buf, size_t len, uint8_t *mut, uint64_t *seed)
{
    memcpy(mut, buf, len);
    size_t mlen = len;
    for (uint64_t k = pz__rand_next(seed) % 3 + 1; k > 0 && mlen > 0; k--) {
        uint64_t r = pz__rand_next(seed);
        size_t at = (size_t)(r % mlen);
        uint8_t byte = (r >> 36) & 1 ? (uint8_t)(r >> 40) : (uint8_t)(0xc0 + (r >> 40) % 0x20);
        if ((r >> 32) % 4 == 0) {
            memmove(mut + at, mut + at + 1, mlen - at - 1);
            mlen--;
        } else if ((r >> 32) % 4 == 1) {
            memmove(mut + at + 1, mut + at, mlen - at);
            mut[at] = byte;
            mlen++;
        } else {
            mut[at] = byte;
        }
    }
    return mlen;
}

/* ---------------------------------------------------------------------------------------- */
/* Scalar readers                                                                            */

/* The same bytes, and for an empty view the same NULL-ness: where msgpack-c points an empty
 * str 8 or bin 8 (at its length byte) is no reader's business. */
static bool s_same_view(pz_view_t a, pz_view_t b)
{
    return a.len == b.len && (a.ptr == NULL) == (b.ptr == NULL) && (a.len == 0 || a.ptr == b.ptr);
}

/* Runs every reader both ways on one document and asserts agreement. */
static void s_scalar_doc(const uint8_t *doc, size_t len)
{
    msgpack_unpacked u;
    pz_cur_t c0;
    int rc_tree = pz__unpack(doc, len, &u);
    assert_int_equal(rc_tree, pz__cur_init(doc, len, &c0));
    if (rc_tree != 0) {
        msgpack_unpacked_destroy(&u);
        return;
    }
    const msgpack_object *o = &u.data;
    static const uint64_t umax[] = {0, 1, 127, UINT8_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX};
    for (size_t k = 0; k < sizeof umax / sizeof umax[0]; k++) {
        uint64_t a = 7, b = 7;
        pz_cur_t c = c0;
        int r1 = pz__dec_uint(o, umax[k], &a), r2 = pz__cur_uint(&c, umax[k], &b);
        assert_int_equal(r1, r2);
        assert_true(r1 != 0 || (a == b && c.p == c.end));
    }
    static const int64_t lo[] = {INT64_MIN, INT32_MIN, -1, 0, 1};
    static const int64_t hi[] = {INT64_MAX, INT32_MAX, 0, 0, 100};
    for (size_t k = 0; k < sizeof lo / sizeof lo[0]; k++) {
        int64_t a = 7, b = 7;
        pz_cur_t c = c0;
        int r1 = pz__dec_int(o, lo[k], hi[k], &a), r2 = pz__cur_int(&c, lo[k], hi[k], &b);
        assert_int_equal(r1, r2);
        assert_true(r1 != 0 || (a == b && c.p == c.end));
    }
    bool ba = false, bb = false;
    pz_cur_t c = c0;
    assert_int_equal(pz__dec_bool(o, &ba), pz__cur_bool(&c, &bb));
    assert_true(ba == bb);
    double da = 0, db = 0;
    c = c0;
    int r1 = pz__dec_f64(o, &da), r2 = pz__cur_f64(&c, &db);
    assert_int_equal(r1, r2);
    assert_true(r1 != 0 || (memcmp(&da, &db, sizeof da) == 0 && c.p == c.end));
    pz_view_t va = {NULL, 0}, vb = {NULL, 0};
    c = c0;
    r1 = pz__dec_bytes(o, &va);
    r2 = pz__cur_bytes(&c, &vb);
    assert_int_equal(r1, r2);
    assert_true(r1 != 0 || (s_same_view(va, vb) && c.p == c.end));
    c = c0;
    r1 = pz__dec_str(o, &va);
    r2 = pz__cur_str(&c, &vb);
    assert_int_equal(r1, r2);
    assert_true(r1 != 0 || (s_same_view(va, vb) && c.p == c.end));
    static const uint32_t amax[] = {0, 1, 15, 16, 1024, UINT32_MAX};
    for (size_t k = 0; k < sizeof amax / sizeof amax[0]; k++) {
        const msgpack_object *items = NULL;
        uint32_t na = 0, nb = 0;
        c = c0;
        r1 = pz__dec_arr(o, amax[k], &items, &na);
        r2 = pz__cur_arr(&c, amax[k], &nb);
        assert_int_equal(r1, r2);
        assert_true(r1 != 0 || na == nb);
    }
    c = c0;
    assert_true(pz__cur_nil(&c) == (o->type == MSGPACK_OBJECT_NIL));
    assert_true(c.p == (o->type == MSGPACK_OBJECT_NIL ? c.end : doc));
    c = c0;
    assert_int_equal(pz__cur_skip(&c, 1), 0); /* any one whole document */
    assert_ptr_equal(c.p, c.end);
    msgpack_unpacked_destroy(&u);
}

/* Every header byte, each followed by random bytes; every prefix is a candidate document (most
 * are refused by both, the one that is exactly an object is accepted by both). */
static void test_scalars_agree(void **state)
{
    (void)state;
    uint64_t seed = 99;
    uint8_t doc[40];
    int accepted = 0;
    for (unsigned b = 0; b <= 0xff; b++) {
        for (int i = 0; i < 64; i++) {
            doc[0] = (uint8_t)b;
            for (size_t j = 1; j < sizeof doc; j++) {
                uint64_t x = pz__rand_next(&seed);
                /* Edges often: 0 and 0xff (lengths, signs), small lengths that fit. */
                doc[j] = (x & 3) == 0 ? 0x00 : (x & 3) == 1 ? 0xff : (uint8_t)(x >> 8);
                if (j == 1 && (x & 4)) {
                    doc[j] = (uint8_t)((x >> 16) % 24);
                }
            }
            for (size_t len = 0; len <= sizeof doc; len++) {
                s_scalar_doc(doc, len);
                pz_cur_t c;
                accepted += pz__cur_init(doc, len, &c) == 0;
            }
        }
    }
    print_message("%d of %d prefixes were documents\n", accepted, 256 * 64 * 41);
    assert_true(accepted > 10000);
}

/* The encodings the packer does not choose on its own, checked by value. */
static void test_scalar_edges(void **state)
{
    (void)state;
    static const struct {
        uint8_t doc[10];
        size_t len;
    } cases[] = {
        {{0xd0, 0x05}, 2},                                         /* int8 5: an unsigned 5 */
        {{0xd0, 0xfb}, 2},                                         /* int8 -5 */
        {{0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9}, /* int64 max */
        {{0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9},                    /* int64 min */
        {{0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0}, 9},                    /* uint64 past INT64_MAX */
        {{0xd1, 0xff, 0xff}, 3},                                   /* int16 -1 */
        {{0xd2, 0x00, 0x00, 0x01, 0x00}, 5},                       /* int32 256 */
        {{0xca, 0x7f, 0xc0, 0x00, 0x01}, 5},                       /* float32 NaN, payload */
        {{0xca, 0x3f, 0x00, 0x00, 0x00}, 5},                       /* float32 0.5 */
        {{0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, 9},                 /* float64 1.5 */
        {{0xa0}, 1},                                               /* empty str */
        {{0xc4, 0x00}, 2},                                         /* empty bin */
        {{0xd9, 0x01, 'x'}, 3},                                    /* str 8 */
        {{0xd4, 0x01, 0x02}, 3},                                   /* fixext 1 */
        {{0xc7, 0x00, 0x05}, 3},                                   /* ext 8, empty */
        {{0xdc, 0x00, 0x00}, 3},                                   /* array 16, empty */
        {{0xde, 0x00, 0x00}, 3},                                   /* map 16, empty */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_scalar_doc(cases[i].doc, cases[i].len);
    }
    pz_cur_t c;
    uint64_t u = 0;
    int64_t v = 0;
    double d = 0;
    assert_int_equal(pz__cur_init(cases[0].doc, cases[0].len, &c), 0);
    assert_int_equal(pz__cur_uint(&c, UINT8_MAX, &u), 0);
    assert_int_equal(u, 5);
    assert_int_equal(pz__cur_init(cases[3].doc, cases[3].len, &c), 0);
    assert_int_equal(pz__cur_int(&c, INT64_MIN, INT64_MAX, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(pz__cur_init(cases[4].doc, cases[4].len, &c), 0);
    assert_int_equal(pz__cur_int(&c, INT64_MIN, INT64_MAX, &v), PZ_EPROTO);
    assert_int_equal(pz__cur_init(cases[8].doc, cases[8].len, &c), 0);
    assert_int_equal(pz__cur_f64(&c, &d), 0);
    assert_true(d == 0.5);
    /* Readers check bounds on their own, even on bytes no scan has seen. */
    static const uint8_t cut[] = {0xcf, 0x01};
    c.p = cut;
    c.end = cut + sizeof cut;
    assert_int_equal(pz__cur_uint(&c, UINT64_MAX, &u), PZ_EPROTO);
    static const uint8_t big[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x90};
    uint32_t n = 0;
    c.p = big;
    c.end = big + sizeof big;
    assert_int_equal(pz__cur_arr(&c, UINT32_MAX, &n), PZ_EPROTO);
    c.p = big;
    assert_int_equal(pz__cur_skip(&c, 1), PZ_EPROTO);
}

/* ---------------------------------------------------------------------------------------- */
/* Schemas                                                                                   */

#define S_SEEDS 200

/* Random values of every schema decode both ways to the value encoded; so does every proper
 * prefix agree (all refused), and thousands of mutations agree schema by schema. */
#define S_ROUNDTRIP_(T)                                                                          \
    for (uint64_t s = 0; s < S_SEEDS; s++) {                                                     \
        uint64_t seed = s * 0x9E3779B9ull + 17;                                                  \
        T##_t in, x, y;                                                                          \
        T##_fill_random(&in, a, &seed, 0);                                                       \
        uint8_t *buf = NULL;                                                                     \
        size_t len = 0;                                                                          \
        T_ENCODE(T, &in, &buf, &len);                                                            \
        assert_int_equal(s_diff_##T(buf, len, a, &x, &y), 0);                                    \
        assert_true(T##_eq(&in, &y));                                                            \
        for (size_t cut = 0; s < 16 && cut < len; cut++) {                                       \
            assert_int_equal(s_diff_##T(buf, cut, a, &x, &y), PZ_EPROTO);                        \
        }                                                                                        \
        uint8_t *mut = malloc(len + 4);                                                          \
        assert_non_null(mut);                                                                    \
        for (int k = 0; k < 20; k++) {                                                           \
            size_t mlen = s_mutate(buf, len, mut, &seed);                                        \
            accepted += s_diff_##T(mut, mlen, a, &x, &y) == 0;                                   \
            mutations++;                                                                         \
        }                                                                                        \
        free(mut);                                                                               \
        free(buf);                                                                               \
        pz_arena_destroy(&a);                                                                    \
        a = pz_arena_new();                                                                      \
        assert_non_null(a);                                                                      \
    }

static void test_schemas_agree(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    int accepted = 0, mutations = 0;
    S_SCHEMAS(S_ROUNDTRIP_)
    pz_arena_destroy(&a);
    assert_int_equal(mutations, S_NSCHEMAS * S_SEEDS * 20);
    assert_true(accepted > 0); /* some mutations still decode: the success path is compared */
    assert_true(accepted < mutations);
}

/* Mutated encodings of the biggest message read as every schema, and biased random bytes. */
static void test_cross_schema_mutations(void **state)
{
    (void)state;
    uint64_t seed = 4242;
    pz_arena_t *a = pz_arena_new();
    int accepted = 0;
    for (int i = 0; i < 3000; i++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (i % 2) {
            pz_kv_batch_resp_t in;
            pz_kv_batch_resp_fill_random(&in, a, &seed, 0);
            T_ENCODE(pz_kv_batch_resp, &in, &buf, &len);
        } else {
            pz_kv_batch_t in;
            pz_kv_batch_fill_random(&in, a, &seed, 0);
            T_ENCODE(pz_kv_batch, &in, &buf, &len);
        }
        uint8_t *mut = malloc(len + 4);
        assert_non_null(mut);
        size_t mlen = s_mutate(buf, len, mut, &seed);
        accepted += s_diff_all(mut, mlen) > 0;
        free(mut);
        free(buf);
    }
    uint8_t rnd[128];
    static const uint8_t hot[] = {0x90, 0x92, 0x93, 0x97, 0xc0, 0xc2, 0xc3, 0xc4, 0xa1, 0x00,
                                  0x01, 0xff, 0xcf, 0xd2, 0xdc, 0x80, 0xca, 0xd0, 0xd4, 0xc7};
    for (int i = 0; i < 20000; i++) {
        size_t len = pz__rand_next(&seed) % sizeof rnd;
        for (size_t j = 0; j < len; j++) {
            uint64_t r = pz__rand_next(&seed);
            rnd[j] = (r & 1) ? hot[(r >> 1) % sizeof hot] : (uint8_t)(r >> 8);
        }
        accepted += s_diff_all(rnd, len) > 0;
    }
    assert_true(accepted > 0);
    pz_arena_destroy(&a);
}

/* ---------------------------------------------------------------------------------------- */
/* Older and newer senders                                                                   */

/* Extra trailing fields of every shape a newer sender might add. */
static const uint8_t s_future[] = {
    0xa6, 'f', 'u', 't', 'u', 'r', 'e',       /* str */
    0x92, 0x01, 0x81, 0xc0, 0xcb, 0x40, 0x04, /* [1, {nil: 2.5}] */
    0, 0, 0, 0, 0, 0,                         /*   (the double's tail) */
    0xc0, 0xff,                               /* nil, -1 */
    0xd4, 0x01, 0x02,                         /* fixext 1 */
    0xc7, 0x00, 0x05,                         /* ext 8, empty */
    0xca, 0x3f, 0x00, 0x00, 0x00,             /* float32 */
    0x91, 0x91, 0x91, 0x90,                   /* [[[[]]]] */
    0xc4, 0x00,                               /* empty bin */
    0xde, 0x00, 0x01, 0xa1, 'k', 0xc3,        /* map 16 {"k": true} */
};
#define S_FUTURE_FIELDS 10u

/* Rebuilds a struct encoding with its first `keep` fields (an older sender) or with all of
 * them and `extra` of s_future's fields after (a newer one), under an array 16 header. */
static size_t s_reshape(const uint8_t *buf, size_t len, uint32_t keep, uint32_t extra,
                        uint8_t *out)
{
    pz_cur_t c = {buf, buf + len, false};
    uint32_t n = 0;
    assert_int_equal(pz__cur_arr(&c, 1024, &n), 0);
    assert_true(keep <= n);
    const uint8_t *fields = c.p;
    assert_int_equal(pz__cur_skip(&c, keep), 0);
    size_t body = (size_t)(c.p - fields);
    pz_cur_t f = {s_future, s_future + sizeof s_future, false};
    assert_int_equal(pz__cur_skip(&f, extra), 0);
    size_t more = (size_t)(f.p - s_future);
    uint32_t count = keep + extra;
    out[0] = 0xdc;
    out[1] = (uint8_t)(count >> 8);
    out[2] = (uint8_t)count;
    memcpy(out + 3, fields, body);
    memcpy(out + 3 + body, s_future, more);
    return 3 + body + more;
}

#define S_VERSIONS_(T)                                                                           \
    for (uint64_t s = 0; s < 16; s++) {                                                          \
        uint64_t seed = s + 31;                                                                  \
        T##_t in, x, y;                                                                          \
        T##_fill_random(&in, a, &seed, 0);                                                       \
        uint8_t *buf = NULL;                                                                     \
        size_t len = 0;                                                                          \
        T_ENCODE(T, &in, &buf, &len);                                                            \
        uint8_t *re = malloc(len + sizeof s_future + 3);                                         \
        assert_non_null(re);                                                                     \
        uint32_t nf = 0 PZ_SCHEMA_##T(PZ_F_COUNT);                                               \
        for (uint32_t keep = 0; keep <= nf; keep++) {                                            \
            size_t rlen = s_reshape(buf, len, keep, 0, re);                                      \
            assert_int_equal(s_diff_##T(re, rlen, a, &x, &y), 0);                                \
        }                                                                                        \
        for (uint32_t extra = 1; extra <= S_FUTURE_FIELDS; extra++) {                            \
            size_t rlen = s_reshape(buf, len, nf, extra, re);                                    \
            assert_int_equal(s_diff_##T(re, rlen, a, &x, &y), 0);                                \
            assert_true(T##_eq(&in, &y));                                                        \
        }                                                                                        \
        free(re);                                                                                \
        free(buf);                                                                               \
        versions++;                                                                              \
    }

static void test_older_and_newer_senders(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    int versions = 0;
    S_SCHEMAS(S_VERSIONS_)
    assert_int_equal(versions, S_NSCHEMAS * 16);
    pz_arena_destroy(&a);
}

/* Nested: a batch whose hlc has extra fields of every shape and whose header is older. Both
 * decoders must skip the nested extras and land on the batch's next field. */
static void test_nested_newer(void **state)
{
    (void)state;
    uint8_t doc[256];
    size_t n = 0;
    doc[n++] = 0x92;       /* batch: header, reqs */
    doc[n++] = 0x91;       /* header: ts only */
    doc[n++] = 0xdc;       /* hlc: 2 fields + the future */
    doc[n++] = 0;
    doc[n++] = 2 + S_FUTURE_FIELDS;
    doc[n++] = 0xcd;       /* wall 1000 as uint 16 */
    doc[n++] = 0x03;
    doc[n++] = 0xe8;
    doc[n++] = 0xd0;       /* logical 2 as int 8 */
    doc[n++] = 0x02;
    memcpy(doc + n, s_future, sizeof s_future);
    n += sizeof s_future;
    doc[n++] = 0x91;       /* reqs: one, op GET and key "a" */
    doc[n++] = 0x92;
    doc[n++] = PZ_KV_GET;
    doc[n++] = 0xc4;
    doc[n++] = 0x01;
    doc[n++] = 'a';
    pz_arena_t *a = pz_arena_new();
    pz_kv_batch_t x, y;
    assert_int_equal(s_diff_pz_kv_batch(doc, n, a, &x, &y), 0);
    assert_int_equal(y.header.ts.wall, 1000);
    assert_int_equal(y.header.ts.logical, 2);
    assert_int_equal(y.reqs_len, 1);
    assert_true(pz_view_eq(y.reqs[0].key, pz_view_str("a")));
    pz_arena_destroy(&a);
}

/* ---------------------------------------------------------------------------------------- */
/* The message path                                                                          */

/* T_from_msg (cursor) and the tree decoder on the same body, valid and mutated. */
#define S_MSG_(name, id, ver, schema)                                                            \
    for (uint64_t s = 0; s < 64; s++) {                                                          \
        uint64_t seed = s * 7 + id;                                                              \
        schema##_t in, x, y;                                                                     \
        schema##_fill_random(&in, a, &seed, 0);                                                  \
        uint8_t *buf = NULL;                                                                     \
        size_t len = 0;                                                                          \
        T_ENCODE(schema, &in, &buf, &len);                                                       \
        uint8_t *mut = malloc(len + 4);                                                          \
        assert_non_null(mut);                                                                    \
        size_t mlen = s ? s_mutate(buf, len, mut, &seed) : (memcpy(mut, buf, len), len);         \
        int rc = s_diff_##schema(mut, mlen, a, &x, &y);                                          \
        pz_msg_t *m = NULL;                                                                      \
        assert_int_equal(t_receive_bytes(id, 0, mut, mlen, &m), 0);                              \
        assert_int_equal(schema##_from_msg(m, id, &y), rc);                                      \
        assert_true(rc != 0 || schema##_eq(&x, &y));                                             \
        assert_int_equal(schema##_from_msg(m, id, &y), rc); /* the cached scan answers alike */  \
        pz_msg_free(&m);                                                                         \
        free(mut);                                                                               \
        free(buf);                                                                               \
    }

static void test_message_path_agrees(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    PZ_MSGTYPES(S_MSG_)
    pz_arena_destroy(&a);
}

/* pz_msg_error reads its body through the cursor too: code and text as sent. */
static void test_error_through_cursor(void **state)
{
    (void)state;
    pz_error_body_t b = {.code = PZ_EPROTO, .message = pz_view_str("bad bytes")};
    pz_out_t *o = NULL;
    assert_int_equal(pz_error_body_to_out(&b, PZ_MSG_ERROR, &o), 0);
    pz_msg_t *m = t_receive(&o, PZ_MSGF_REPLY | PZ_MSGF_ERROR, 3);
    const char *text = NULL;
    assert_int_equal(pz_msg_error(m, &text), PZ_EPROTO);
    assert_string_equal(text, "bad bytes");
    pz_msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_agree),
        cmocka_unit_test(test_scalar_edges),
        cmocka_unit_test(test_schemas_agree),
        cmocka_unit_test(test_cross_schema_mutations),
        cmocka_unit_test(test_older_and_newer_senders),
        cmocka_unit_test(test_nested_newer),
        cmocka_unit_test(test_message_path_agrees),
        cmocka_unit_test(test_error_through_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
