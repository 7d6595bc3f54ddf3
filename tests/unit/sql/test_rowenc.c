/*
 * test_rowenc.c — proves the key and value encodings of sql_rowenc.c:
 *   - every key type round-trips (asc and desc) to a value equal under pz_datum_cmp, consuming
 *     exactly its bytes;
 *   - keys sort as their values: for random pairs, sign(memcmp(enc(a), enc(b))) is
 *     sign(pz_datum_cmp(a, b)) ascending and its opposite descending, NULL first ascending and
 *     last descending, and tuples of several columns sort lexicographically;
 *   - the special cases PostgreSQL defines: -0 = 0, NaN above Infinity, 1.0 = 1.00, 'a' = 'a  '
 *     for bpchar, int4 and int8 keys alike, '1 day' = '24 hours' and '1 mon' = '30 days';
 *   - row values round-trip every storable type (arrays with NULLs included), columns absent
 *     decode as NULL, columns not asked for are skipped;
 *   - malformed input (every truncation of valid bytes, single-byte corruptions, random bytes)
 *     is refused with PZ_ECORRUPT or decodes to something, never reads out of bounds (the ASan
 *     build checks that).
 * How: seeded random values of every type (a fixed seed, so a failure replays).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/errors.h"
#include "sql_rowenc.h"

#define KEY_CAP 4096
#define ROUNDS 3000

static uint64_t g_seed = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    uint64_t x = g_seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    g_seed = x;
    return x;
}

static int sgn(int v)
{
    return (v > 0) - (v < 0);
}

static const pz_ty_t KEY_TYPES[] = {
    PZ_TY_BOOL,        PZ_TY_INT2,     PZ_TY_INT4, PZ_TY_INT8,    PZ_TY_FLOAT4,
    PZ_TY_FLOAT8,      PZ_TY_NUMERIC,  PZ_TY_TEXT, PZ_TY_VARCHAR, PZ_TY_BPCHAR,
    PZ_TY_NAME,        PZ_TY_BYTEA,    PZ_TY_DATE, PZ_TY_TIME,    PZ_TY_TIMESTAMP,
    PZ_TY_TIMESTAMPTZ, PZ_TY_INTERVAL, PZ_TY_UUID, PZ_TY_OID,
};
#define N_KEY_TYPES (sizeof KEY_TYPES / sizeof KEY_TYPES[0])

static int64_t rnd_int(int bits)
{
    switch (rnd() % 4) {
    case 0:
        return (int64_t)(rnd() % 7) - 3;
    case 1:
        return (int64_t)(rnd() % 400) - 200;
    default: {
        int64_t v = (int64_t)rnd();
        if (bits < 64) {
            v >>= 64 - bits; /* arithmetic: stays in range */
        }
        return v;
    }
    }
}

static double rnd_float(bool f4)
{
    static const double specials[] = {0.0,  -0.0,   INFINITY, -INFINITY, NAN,   1.0,
                                      -1.0, 1e-310, -1e-310,  0.5,       1e300, -1e300};
    double f;
    if (rnd() % 3 == 0) {
        f = specials[rnd() % (sizeof specials / sizeof specials[0])];
    } else if (rnd() % 2) {
        f = (double)((int64_t)(rnd() % 2001) - 1000) / 8;
    } else {
        uint64_t bits = rnd();
        memcpy(&f, &bits, sizeof f);
    }
    return f4 ? (double)(float)f : f;
}

/* Random bytes from an alphabet that exercises the escapes (0x00, 0xff) and padding (' '). */
static pz_datum_t rnd_bytes(pz_arena_t *a, pz_ty_t t)
{
    static const uint8_t bin[] = {0x00, 0x01, 0xfe, 0xff, 'a'};
    static const uint8_t txt[] = {' ', 'a', 'b', 0x01, 0xc3, 0xa9};
    uint32_t n = (uint32_t)(rnd() % 6);
    uint8_t *p = pz_arena_alloc(a, n + 1);
    for (uint32_t i = 0; i < n; i++) {
        p[i] = t == PZ_TY_BYTEA ? bin[rnd() % sizeof bin] : txt[rnd() % sizeof txt];
    }
    return pz_datum_bytes(t, p, n);
}

/* "[-]digits" with a scale: leading and trailing zeros and special values included. */
static pz_datum_t rnd_numeric(pz_arena_t *a)
{
    static const char *const specials[] = {"NaN", "0", "-0", "000", "Infinity", "-Infinity"};
    pz_datum_t d = {.type = PZ_TY_NUMERIC};
    if (rnd() % 8 == 0) {
        const char *s = specials[rnd() % (sizeof specials / sizeof specials[0])];
        d.v.p = (const uint8_t *)s;
        d.len = (uint32_t)strlen(s);
        return d;
    }
    char *p = pz_arena_alloc(a, 64);
    size_t n = 0;
    if (rnd() % 2) {
        p[n++] = '-';
    }
    size_t digits = 1 + rnd() % 12;
    for (size_t i = 0; i < digits; i++) {
        p[n++] = (char)('0' + (rnd() % 3 == 0 ? 0 : rnd() % 10));
    }
    d.v.p = (const uint8_t *)p;
    d.len = (uint32_t)n;
    d.scale = (int16_t)(rnd() % 10);
    return d;
}

static pz_datum_t rnd_datum(pz_arena_t *a, pz_ty_t t)
{
    pz_datum_t d = {.type = (uint8_t)t};
    switch (t) {
    case PZ_TY_BOOL:
        return pz_datum_bool(rnd() % 2);
    case PZ_TY_INT2:
        return pz_datum_int(t, rnd_int(16));
    case PZ_TY_INT4:
    case PZ_TY_DATE:
        return pz_datum_int(t, rnd_int(32));
    case PZ_TY_OID:
        return pz_datum_int(t, (int64_t)(rnd() % 4294967296ull));
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        return pz_datum_float(t, rnd_float(t == PZ_TY_FLOAT4));
    case PZ_TY_NUMERIC:
        return rnd_numeric(a);
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
    case PZ_TY_BYTEA:
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        return rnd_bytes(a, t);
    case PZ_TY_INTERVAL:
        d.v.iv.months = (int32_t)(rnd() % 5) - 2;
        d.v.iv.days = (int32_t)(rnd() % 91) - 45;
        d.v.iv.us = (rnd() % 2) ? (int64_t)(rnd() % 5 - 2) * 86400000000ll : rnd_int(40);
        if (rnd() % 16 == 0) {
            d.v.iv.months = rnd() % 2 ? INT32_MAX : INT32_MIN;
            d.v.iv.days = rnd() % 2 ? INT32_MAX : INT32_MIN;
            d.v.iv.us = rnd() % 2 ? INT64_MAX : INT64_MIN;
        }
        return d;
    case PZ_TY_UUID: {
        uint8_t *p = pz_arena_alloc(a, 16);
        for (int i = 0; i < 16; i++) {
            p[i] = (uint8_t)(rnd() % 3 == 0 ? 0 : rnd());
        }
        return pz_datum_bytes(t, p, 16);
    }
    default:
        return pz_datum_int(t, rnd_int(64));
    }
}

static size_t enc1(uint8_t *buf, const pz_datum_t *d, bool desc)
{
    size_t n = pz_rowenc_key_put(buf, KEY_CAP, 0, d, desc);
    assert_true(n > 0);
    return n;
}

static int keycmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c != 0 ? sgn(c) : (na > nb) - (na < nb);
}

/* NULL-aware: NULL first. */
static int dcmp(const pz_datum_t *a, const pz_datum_t *b)
{
    if (a->null || b->null) {
        return (int)b->null - (int)a->null == 0 ? 0 : (a->null ? -1 : 1);
    }
    return sgn(pz_datum_cmp(a, b));
}

static void test_prefixes(void **state)
{
    (void)state;
    uint8_t t[16], ix[16], end[16];
    size_t nt = pz_rowenc_table_prefix(t, sizeof t, 52);
    size_t ni = pz_rowenc_index_prefix(ix, sizeof ix, 52, 1);
    assert_true(nt == 2 && ni == 3);
    assert_int_equal(t[0], 0x88);
    assert_memory_equal(t, ix, nt);
    size_t ne = pz_rowenc_prefix_end(end, sizeof end, ix, ni);
    assert_int_equal(ne, ni);
    assert_true(keycmp(ix, ni, end, ne) < 0);
    /* Every key under the prefix sorts before its end. */
    uint8_t k[64];
    memcpy(k, ix, ni);
    pz_datum_t big = pz_datum_int(PZ_TY_INT8, INT64_MAX);
    size_t nk = pz_rowenc_key_put(k, sizeof k, ni, &big, true);
    assert_true(nk > ni && keycmp(k, nk, end, ne) < 0);
    const uint8_t ff[] = {0x88, 0xff, 0xff}, allff[] = {0xff, 0xff};
    assert_int_equal(pz_rowenc_prefix_end(end, sizeof end, ff, 3), 1);
    assert_int_equal(end[0], 0x89);
    assert_int_equal(pz_rowenc_prefix_end(end, sizeof end, allff, 2), 0);
    assert_int_equal(pz_rowenc_index_prefix(ix, 2, 52, 1), 0);
    assert_int_equal(pz_rowenc_table_prefix(ix, 0, 52), 0);
    uint8_t big_ids[16];
    size_t nb = pz_rowenc_index_prefix(big_ids, sizeof big_ids, UINT32_MAX, UINT32_MAX);
    assert_true(nb > 0 && keycmp(ix, ni, big_ids, nb) < 0);
}

static void test_key_types_ok(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_KEY_TYPES; i++) {
        assert_true(pz_rowenc_key_type_ok(KEY_TYPES[i]));
    }
    assert_false(pz_rowenc_key_type_ok(PZ_TY_JSON));
    assert_false(pz_rowenc_key_type_ok(PZ_TY_JSONB));
    assert_false(pz_rowenc_key_type_ok(PZ_TY_ARRAY));
    pz_datum_t j = pz_datum_bytes(PZ_TY_JSONB, "{}", 2);
    uint8_t buf[16];
    assert_int_equal(pz_rowenc_key_put(buf, sizeof buf, 0, &j, false), 0);
    pz_datum_t jn = pz_datum_null(PZ_TY_JSONB); /* NULL has no type to refuse */
    assert_int_equal(pz_rowenc_key_put(buf, sizeof buf, 0, &jn, false), 1);
}

static void test_key_roundtrip(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    uint8_t buf[KEY_CAP];
    for (int round = 0; round < ROUNDS; round++) {
        pz_ty_t t = KEY_TYPES[round % N_KEY_TYPES];
        pz_datum_t d = rnd_datum(a, t);
        if (rnd() % 10 == 0) {
            d = pz_datum_null(t);
        }
        for (int desc = 0; desc < 2; desc++) {
            /* After a prefix, so decoders start mid-key. */
            size_t n = pz_rowenc_key_put(buf, sizeof buf, 3, &d, desc);
            assert_true(n > 3);
            size_t pos = 3;
            pz_datum_t out;
            assert_int_equal(pz_rowenc_key_get(a, buf, n, &pos, PZ_SQL_TYPE(t), desc, &out), 0);
            assert_int_equal(pos, n);
            assert_int_equal(out.type, t);
            assert_int_equal(out.null, d.null);
            assert_int_equal(dcmp(&d, &out), 0);
            /* Decoding then encoding again reproduces the key. */
            uint8_t again[KEY_CAP];
            size_t n2 = pz_rowenc_key_put(again, sizeof again, 0, &out, desc);
            assert_int_equal(n2, n - 3);
            assert_memory_equal(again, buf + 3, n2);
        }
    }
    pz_arena_destroy(&a);
}

static void test_key_order(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    uint8_t ka[KEY_CAP], kb[KEY_CAP];
    for (int round = 0; round < ROUNDS * 4; round++) {
        pz_ty_t t = KEY_TYPES[round % N_KEY_TYPES];
        pz_datum_t x = rnd_datum(a, t), y = rnd_datum(a, t);
        if (rnd() % 16 == 0) {
            x = pz_datum_null(t);
        }
        if (rnd() % 4 == 0) {
            y = x; /* equal pairs too */
        }
        int want = dcmp(&x, &y);
        for (int desc = 0; desc < 2; desc++) {
            size_t na = enc1(ka, &x, desc), nb = enc1(kb, &y, desc);
            int got = keycmp(ka, na, kb, nb);
            if (got != (desc ? -want : want)) {
                fail_msg("type %d desc %d: cmp %d, keys %d (%g %g)", t, desc, want, got, x.v.f,
                         y.v.f);
            }
        }
    }
    pz_arena_destroy(&a);
}

/* Integers of every width, and int-like types, share an encoding; so do the text types. */
static void test_key_cross_type(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    uint8_t ka[KEY_CAP], kb[KEY_CAP];
    for (int i = 0; i < ROUNDS; i++) {
        int64_t x = rnd_int(16), y = rnd_int(64);
        pz_datum_t a2 = pz_datum_int(PZ_TY_INT2, x), a8 = pz_datum_int(PZ_TY_INT8, x);
        pz_datum_t b4 = pz_datum_int(PZ_TY_INT4, (int32_t)y), b8 = pz_datum_int(PZ_TY_INT8, y);
        size_t n1 = enc1(ka, &a2, false), n2 = enc1(kb, &a8, false);
        assert_int_equal(keycmp(ka, n1, kb, n2), 0);
        n1 = enc1(ka, &a2, false);
        n2 = enc1(kb, &b8, false);
        assert_int_equal(keycmp(ka, n1, kb, n2), sgn((x > y) - (x < y)));
        n1 = enc1(ka, &b4, false);
        int64_t y4 = (int32_t)y;
        assert_int_equal(keycmp(ka, n1, kb, n2), (y4 > y) - (y4 < y));
        pz_datum_t f4 = pz_datum_float(PZ_TY_FLOAT4, (float)x);
        pz_datum_t f8 = pz_datum_float(PZ_TY_FLOAT8, (double)(float)x);
        n1 = enc1(ka, &f4, true);
        n2 = enc1(kb, &f8, true);
        assert_int_equal(keycmp(ka, n1, kb, n2), 0);
    }
    pz_datum_t t = pz_datum_bytes(PZ_TY_TEXT, "ab", 2);
    pz_datum_t v = pz_datum_bytes(PZ_TY_VARCHAR, "ab", 2);
    pz_datum_t nm = pz_datum_bytes(PZ_TY_NAME, "ab", 2);
    size_t n1 = enc1(ka, &t, false), n2 = enc1(kb, &v, false);
    assert_int_equal(keycmp(ka, n1, kb, n2), 0);
    n2 = enc1(kb, &nm, false);
    assert_int_equal(keycmp(ka, n1, kb, n2), 0);
    pz_arena_destroy(&a);
}

static pz_datum_t num(const char *digits, int scale)
{
    pz_datum_t d = pz_datum_bytes(PZ_TY_NUMERIC, digits, (uint32_t)strlen(digits));
    d.scale = (int16_t)scale;
    return d;
}

static pz_datum_t ivl(int32_t months, int32_t days, int64_t us)
{
    pz_datum_t d = {.type = PZ_TY_INTERVAL};
    d.v.iv.months = months;
    d.v.iv.days = days;
    d.v.iv.us = us;
    return d;
}

/* Pairs that must encode equal (rel 0) or in order (rel -1: a before b), asc and desc. */
static void test_key_specials(void **state)
{
    (void)state;
    const struct {
        pz_datum_t a, b;
        int rel;
    } cases[] = {
        {pz_datum_float(PZ_TY_FLOAT8, -0.0), pz_datum_float(PZ_TY_FLOAT8, 0.0), 0},
        {pz_datum_float(PZ_TY_FLOAT8, INFINITY), pz_datum_float(PZ_TY_FLOAT8, NAN), -1},
        {pz_datum_float(PZ_TY_FLOAT8, -NAN), pz_datum_float(PZ_TY_FLOAT8, NAN), 0},
        {pz_datum_float(PZ_TY_FLOAT8, -INFINITY), pz_datum_float(PZ_TY_FLOAT8, -1e308), -1},
        {pz_datum_null(PZ_TY_FLOAT8), pz_datum_float(PZ_TY_FLOAT8, -INFINITY), -1},
        {num("10", 1), num("100", 2), 0},
        {num("1", 0), num("0001000", 3), 0},
        {num("-0", 0), num("000", 2), 0},
        {num("-5", 0), num("-49", 1), -1},
        {num("-1", 0), num("-9", 1), -1},
        {num("9", 0), num("10", 0), -1},
        {num("99", 3), num("1", 1), -1},
        {num("1", 1), num("101", 3), -1},
        {num("Infinity", 0), num("NaN", 0), -1},
        {num("-Infinity", 0), num("-99999999", 0), -1},
        {num("999999999999", 0), num("Infinity", 0), -1},
        {pz_datum_bytes(PZ_TY_BPCHAR, "a", 1), pz_datum_bytes(PZ_TY_BPCHAR, "a  ", 3), 0},
        {pz_datum_bytes(PZ_TY_TEXT, "a", 1), pz_datum_bytes(PZ_TY_TEXT, "a ", 2), -1},
        {pz_datum_bytes(PZ_TY_TEXT, "", 0), pz_datum_bytes(PZ_TY_TEXT, "\x01", 1), -1},
        {pz_datum_bytes(PZ_TY_BYTEA, "a", 1), pz_datum_bytes(PZ_TY_BYTEA, "a\0", 2), -1},
        {pz_datum_bytes(PZ_TY_BYTEA, "a\0", 2), pz_datum_bytes(PZ_TY_BYTEA, "a\x01", 2), -1},
        {ivl(0, 1, 0), ivl(0, 0, 86400000000ll), 0},
        {ivl(1, 0, 0), ivl(0, 30, 0), 0},
        {ivl(1, 0, 1), ivl(0, 31, 0), -1},
        {ivl(INT32_MIN, INT32_MIN, INT64_MIN), ivl(-INT32_MAX, INT32_MIN, INT64_MIN), -1},
        {pz_datum_int(PZ_TY_TIMESTAMP, INT64_MIN), pz_datum_int(PZ_TY_TIMESTAMP, 0), -1},
        {pz_datum_bool(false), pz_datum_bool(true), -1},
    };
    uint8_t ka[KEY_CAP], kb[KEY_CAP];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int desc = 0; desc < 2; desc++) {
            size_t na = enc1(ka, &cases[i].a, desc), nb = enc1(kb, &cases[i].b, desc);
            int want = desc ? -cases[i].rel : cases[i].rel;
            if (keycmp(ka, na, kb, nb) != want) {
                fail_msg("case %zu desc %d", i, desc);
            }
        }
    }
}

/* Decoded keys are canonical: the numeric digits and scale, the interval split. */
static void test_key_decoded_forms(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    const struct {
        pz_datum_t in;
        const char *digits;
        int scale;
    } nums[] = {
        {num("00120", 3), "12", 2},    {num("-5", 0), "-5", 0},
        {num("5", 4), "5", 4},         {num("500", 0), "500", 0},
        {num("-0", 3), "0", 0},        {num("NaN", 0), "NaN", 0},
        {num("12345", 1), "12345", 1}, {num("-Infinity", 0), "-Infinity", 0},
    };
    uint8_t buf[KEY_CAP];
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        for (int desc = 0; desc < 2; desc++) {
            size_t n = enc1(buf, &nums[i].in, desc), pos = 0;
            pz_datum_t out;
            assert_int_equal(
                pz_rowenc_key_get(a, buf, n, &pos, PZ_SQL_TYPE(PZ_TY_NUMERIC), desc, &out), 0);
            assert_int_equal(out.len, strlen(nums[i].digits));
            assert_memory_equal(out.v.p, nums[i].digits, out.len);
            assert_int_equal(out.scale, nums[i].scale);
        }
    }
    pz_datum_t iv = ivl(0, 45, 86400000000ll + 5), out;
    size_t n = enc1(buf, &iv, false), pos = 0;
    assert_int_equal(pz_rowenc_key_get(a, buf, n, &pos, PZ_SQL_TYPE(PZ_TY_INTERVAL), false, &out),
                     0);
    assert_int_equal(out.v.iv.months, 1);
    assert_int_equal(out.v.iv.days, 16);
    assert_int_equal(out.v.iv.us, 5);
    iv = ivl(0, 0, -86400000000ll - 7);
    n = enc1(buf, &iv, true);
    pos = 0;
    assert_int_equal(pz_rowenc_key_get(a, buf, n, &pos, PZ_SQL_TYPE(PZ_TY_INTERVAL), true, &out),
                     0);
    assert_int_equal(out.v.iv.months, 0);
    assert_int_equal(out.v.iv.days, -1);
    assert_int_equal(out.v.iv.us, -7);
    pz_datum_t bp = pz_datum_bytes(PZ_TY_BPCHAR, "ab  ", 4);
    n = enc1(buf, &bp, false);
    pos = 0;
    assert_int_equal(pz_rowenc_key_get(a, buf, n, &pos, PZ_SQL_TYPE(PZ_TY_BPCHAR), false, &out), 0);
    assert_int_equal(out.len, 2);
    pz_arena_destroy(&a);
}

#define TUPLE_COLS 3
static const pz_ty_t TUPLE_TYPES[TUPLE_COLS] = {PZ_TY_INT4, PZ_TY_TEXT, PZ_TY_FLOAT8};
static const bool TUPLE_DESC[TUPLE_COLS] = {false, true, false};

static void test_key_multi_column(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    for (int round = 0; round < ROUNDS; round++) {
        pz_datum_t x[TUPLE_COLS], y[TUPLE_COLS];
        uint8_t ka[KEY_CAP], kb[KEY_CAP];
        size_t na = 0, nb = 0;
        int want = 0;
        for (int c = 0; c < TUPLE_COLS; c++) {
            x[c] = rnd_datum(a, TUPLE_TYPES[c]);
            y[c] = rnd() % 2 ? x[c] : rnd_datum(a, TUPLE_TYPES[c]);
            if (TUPLE_TYPES[c] == PZ_TY_INT4) {
                x[c].v.i %= 3, y[c].v.i %= 3; /* ties, so later columns matter */
            }
            if (rnd() % 8 == 0) {
                x[c] = pz_datum_null(TUPLE_TYPES[c]);
            }
            na = pz_rowenc_key_put(ka, sizeof ka, na, &x[c], TUPLE_DESC[c]);
            nb = pz_rowenc_key_put(kb, sizeof kb, nb, &y[c], TUPLE_DESC[c]);
            assert_true(na > 0 && nb > 0);
            if (want == 0) {
                want = dcmp(&x[c], &y[c]) * (TUPLE_DESC[c] ? -1 : 1);
            }
        }
        assert_int_equal(keycmp(ka, na, kb, nb), want);
        size_t pos = 0;
        for (int c = 0; c < TUPLE_COLS; c++) {
            pz_datum_t out;
            assert_int_equal(pz_rowenc_key_get(a, ka, na, &pos, PZ_SQL_TYPE(TUPLE_TYPES[c]),
                                               TUPLE_DESC[c], &out),
                             0);
            assert_int_equal(dcmp(&out, &x[c]), 0);
        }
        assert_int_equal(pos, na);
    }
    pz_arena_destroy(&a);
}

static void test_key_corrupt(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    uint8_t buf[KEY_CAP];
    for (int round = 0; round < ROUNDS; round++) {
        pz_ty_t t = KEY_TYPES[round % N_KEY_TYPES];
        pz_datum_t d = rnd_datum(a, t), out;
        bool desc = rnd() % 2;
        size_t n = enc1(buf, &d, desc);
        /* Every truncation is refused (each encoding is self-delimiting and complete). */
        for (size_t cut = 0; cut < n; cut++) {
            uint8_t *copy = malloc(cut + 1); /* exact size: ASan sees any overread */
            memcpy(copy, buf, cut);
            size_t pos = 0;
            int rc = pz_rowenc_key_get(a, copy, cut, &pos, PZ_SQL_TYPE(t), desc, &out);
            assert_int_equal(rc, PZ_ECORRUPT);
            assert_int_equal(pos, 0);
            free(copy);
        }
        /* Random corruption: refused or decoded inside the bounds. */
        uint8_t *copy = malloc(n);
        memcpy(copy, buf, n);
        copy[rnd() % n] = (uint8_t)rnd();
        size_t pos = 0;
        int rc = pz_rowenc_key_get(a, copy, n, &pos, PZ_SQL_TYPE(t), desc, &out);
        assert_true(rc == PZ_ECORRUPT || (rc == 0 && pos <= n));
        free(copy);
    }
    /* A wrong marker for the column's type, and a position past the end. */
    pz_datum_t i = pz_datum_int(PZ_TY_INT8, 5), out;
    size_t n = enc1(buf, &i, false), pos = 0;
    assert_int_equal(pz_rowenc_key_get(a, buf, n, &pos, PZ_SQL_TYPE(PZ_TY_TEXT), false, &out),
                     PZ_ECORRUPT);
    pos = n + 1;
    assert_int_equal(pz_rowenc_key_get(a, buf, n, &pos, PZ_SQL_TYPE(PZ_TY_INT8), false, &out),
                     PZ_ECORRUPT);
    /* Non-canonical numerics: a zero first pair, a "00" last pair, no pairs. */
    const uint8_t bad[][5] = {{0x17, 0x89, 0x01, 0x00},
                              {0x17, 0x89, 0x0b, 0x01, 0x00},
                              {0x17, 0x89, 0x00},
                              {0x17, 0x89, 0x66, 0x00}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        pos = 0;
        assert_int_equal(pz_rowenc_key_get(a, bad[k], sizeof bad[k], &pos,
                                           PZ_SQL_TYPE(PZ_TY_NUMERIC), false, &out),
                         PZ_ECORRUPT);
    }
    pz_arena_destroy(&a);
}

static const pz_ty_t VALUE_TYPES[] = {
    PZ_TY_BOOL,    PZ_TY_INT2,  PZ_TY_INT4,      PZ_TY_INT8,        PZ_TY_FLOAT4,   PZ_TY_FLOAT8,
    PZ_TY_NUMERIC, PZ_TY_TEXT,  PZ_TY_VARCHAR,   PZ_TY_BPCHAR,      PZ_TY_NAME,     PZ_TY_BYTEA,
    PZ_TY_DATE,    PZ_TY_TIME,  PZ_TY_TIMESTAMP, PZ_TY_TIMESTAMPTZ, PZ_TY_INTERVAL, PZ_TY_UUID,
    PZ_TY_JSON,    PZ_TY_JSONB, PZ_TY_OID,       PZ_TY_ARRAY,
};
#define N_VALUE_TYPES (sizeof VALUE_TYPES / sizeof VALUE_TYPES[0])
#define ROW_COLS_MAX 12

static pz_sql_type_t rnd_col_type(void)
{
    pz_sql_type_t t = PZ_SQL_TYPE(VALUE_TYPES[rnd() % N_VALUE_TYPES]);
    if (t.id == PZ_TY_ARRAY) {
        static const pz_ty_t elems[] = {PZ_TY_INT4, PZ_TY_TEXT, PZ_TY_FLOAT8,  PZ_TY_NUMERIC,
                                        PZ_TY_BOOL, PZ_TY_UUID, PZ_TY_INTERVAL};
        t.elem = elems[rnd() % (sizeof elems / sizeof elems[0])];
    }
    return t;
}

static pz_datum_t rnd_value(pz_arena_t *a, pz_sql_type_t t)
{
    if (rnd() % 6 == 0) {
        return pz_datum_null((pz_ty_t)t.id);
    }
    if (t.id != PZ_TY_ARRAY) {
        return rnd_datum(a, (pz_ty_t)t.id);
    }
    pz_sql_array_t *arr = pz_arena_alloc(a, sizeof *arr);
    arr->elem = t.elem;
    arr->n = (uint32_t)(rnd() % 11);
    arr->items = pz_arena_alloc(a, sizeof(pz_datum_t) * (arr->n + 1));
    for (uint32_t i = 0; i < arr->n; i++) {
        arr->items[i] =
            rnd() % 4 == 0 ? pz_datum_null((pz_ty_t)t.elem) : rnd_datum(a, (pz_ty_t)t.elem);
    }
    pz_datum_t d = {.type = PZ_TY_ARRAY, .v.arr = arr};
    return d;
}

/* Exact equality for values (stricter than pz_datum_cmp: the same bits and bytes). */
static void assert_same(const pz_datum_t *x, const pz_datum_t *y)
{
    assert_int_equal(x->type, y->type);
    assert_int_equal(x->null, y->null);
    if (x->null) {
        return;
    }
    switch (x->type) {
    case PZ_TY_BOOL:
        assert_int_equal(x->v.b, y->v.b);
        break;
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        assert_memory_equal(&x->v.f, &y->v.f, sizeof x->v.f);
        break;
    case PZ_TY_INTERVAL:
        assert_true(x->v.iv.us == y->v.iv.us && x->v.iv.days == y->v.iv.days &&
                    x->v.iv.months == y->v.iv.months);
        break;
    case PZ_TY_ARRAY:
        assert_int_equal(x->v.arr->elem, y->v.arr->elem);
        assert_int_equal(x->v.arr->n, y->v.arr->n);
        for (uint32_t i = 0; i < x->v.arr->n; i++) {
            assert_same(&x->v.arr->items[i], &y->v.arr->items[i]);
        }
        break;
    case PZ_TY_NUMERIC:
        assert_int_equal(x->scale, y->scale);
        /* fall through */
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
    case PZ_TY_BYTEA:
    case PZ_TY_UUID:
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        assert_int_equal(x->len, y->len);
        if (x->len > 0) {
            assert_memory_equal(x->v.p, y->v.p, x->len);
        }
        break;
    default:
        assert_int_equal(x->v.i, y->v.i);
    }
}

typedef struct {
    uint32_t n;
    uint32_t ids[ROW_COLS_MAX];
    pz_sql_type_t types[ROW_COLS_MAX];
    pz_datum_t d[ROW_COLS_MAX];
} row_t;

static void rnd_row(pz_arena_t *a, row_t *r)
{
    r->n = (uint32_t)(rnd() % ROW_COLS_MAX) + 1;
    uint32_t id = (uint32_t)(rnd() % 2);
    for (uint32_t i = 0; i < r->n; i++) {
        id += 1 + (uint32_t)(rnd() % 3 == 0 ? rnd() % 1000 : 0);
        r->ids[i] = id;
        r->types[i] = rnd_col_type();
        r->d[i] = rnd_value(a, r->types[i]);
    }
}

static void test_value_roundtrip(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_sbuf_t b = {0};
    for (int round = 0; round < ROUNDS; round++) {
        row_t r;
        rnd_row(a, &r);
        pz_sbuf_reset(&b);
        assert_int_equal(pz_rowenc_value_put(&b, r.ids, r.d, r.n), 0);
        pz_datum_t out[ROW_COLS_MAX + 1];
        assert_int_equal(pz_rowenc_value_get(a, (uint8_t *)b.p, b.len, r.ids, r.types, r.n, out),
                         0);
        for (uint32_t i = 0; i < r.n; i++) {
            assert_same(&r.d[i], &out[i]);
        }
        /* Every other column, plus one the row never had (added later: NULL). */
        uint32_t ids[ROW_COLS_MAX + 1], k = 0;
        pz_sql_type_t types[ROW_COLS_MAX + 1];
        for (uint32_t i = rnd() % 2; i < r.n; i += 2, k++) {
            ids[k] = r.ids[i];
            types[k] = r.types[i];
        }
        ids[k] = r.ids[r.n - 1] + 1;
        types[k++] = PZ_SQL_TYPE(PZ_TY_INT4);
        assert_int_equal(pz_rowenc_value_get(a, (uint8_t *)b.p, b.len, ids, types, k, out), 0);
        for (uint32_t j = 0; j + 1 < k; j++) {
            uint32_t i = 0;
            while (r.ids[i] != ids[j]) {
                i++;
            }
            assert_same(&r.d[i], &out[j]);
        }
        assert_true(out[k - 1].null && out[k - 1].type == PZ_TY_INT4);
    }
    /* The empty row: the format byte alone, every column NULL. */
    pz_sbuf_reset(&b);
    assert_int_equal(pz_rowenc_value_put(&b, NULL, NULL, 0), 0);
    assert_int_equal(b.len, 1);
    uint32_t id = 1;
    pz_sql_type_t ty = PZ_SQL_TYPE(PZ_TY_TEXT);
    pz_datum_t out;
    assert_int_equal(pz_rowenc_value_get(a, (uint8_t *)b.p, b.len, &id, &ty, 1, &out), 0);
    assert_true(out.null);
    pz_sbuf_free(&b);
    pz_arena_destroy(&a);
}

static void test_value_corrupt(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_sbuf_t b = {0};
    for (int round = 0; round < ROUNDS; round++) {
        row_t r;
        rnd_row(a, &r);
        pz_sbuf_reset(&b);
        assert_int_equal(pz_rowenc_value_put(&b, r.ids, r.d, r.n), 0);
        pz_datum_t out[ROW_COLS_MAX];
        /* Truncations: refused, or (cut at a column boundary) a row missing its last columns. */
        for (size_t cut = 0; cut < b.len; cut++) {
            uint8_t *copy = malloc(cut + 1);
            memcpy(copy, b.p, cut);
            int rc = pz_rowenc_value_get(a, copy, cut, r.ids, r.types, r.n, out);
            assert_true(rc == 0 || rc == PZ_ECORRUPT);
            free(copy);
        }
        for (int k = 0; k < 4; k++) {
            uint8_t *copy = malloc(b.len);
            memcpy(copy, b.p, b.len);
            copy[rnd() % b.len] = (uint8_t)rnd();
            int rc = pz_rowenc_value_get(a, copy, b.len, r.ids, r.types, r.n, out);
            assert_true(rc == 0 || rc == PZ_ECORRUPT);
            free(copy);
        }
    }
    /* Specific refusals: empty, a wrong format byte, a tag that is not the column's type, a
     * length past the end, a zero column delta, an int2 column holding a wider integer. */
    uint32_t ids[2] = {1, 2};
    pz_sql_type_t ty[2] = {PZ_SQL_TYPE(PZ_TY_TEXT), PZ_SQL_TYPE(PZ_TY_INT2)};
    const struct {
        const char *bytes;
        size_t n;
    } bad[] = {
        {"", 0},
        {"\x02", 1},
        {"\x01\x01\x02\x04", 4},
        {"\x01\x01\x04\x05"
         "ab",
         6},
        {"\x01\x01\x04\x01"
         "a"
         "\x00\x02\x02",
         7},
        {"\x01\x02\x02\xff\xff\x04", 6},
        {"\x01\x01\x04\x01"
         "a"
         "\x01\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
         17},
    };
    pz_datum_t out[2];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (pz_rowenc_value_get(a, (const uint8_t *)bad[i].bytes, bad[i].n, ids, ty, 2, out) !=
            PZ_ECORRUPT) {
            fail_msg("bad value %zu accepted", i);
        }
    }
    pz_sbuf_free(&b);
    pz_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefixes),          cmocka_unit_test(test_key_types_ok),
        cmocka_unit_test(test_key_roundtrip),     cmocka_unit_test(test_key_order),
        cmocka_unit_test(test_key_cross_type),    cmocka_unit_test(test_key_specials),
        cmocka_unit_test(test_key_decoded_forms), cmocka_unit_test(test_key_multi_column),
        cmocka_unit_test(test_key_corrupt),       cmocka_unit_test(test_value_roundtrip),
        cmocka_unit_test(test_value_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
