/*
 * sql_rowenc.c — the key and value encodings of sql_rowenc.h: index keys that sort bytewise in
 * the SQL order of their columns, and row values that carry every non-NULL column.
 *
 * Key columns. Each value is a marker byte then the value's bytes; a descending column is the
 * ascending encoding with every byte inverted (marker included). Every ascending encoding is
 * prefix-free (no value's bytes are a proper prefix of another's), so its inversion is too, and
 * the bytewise order of a concatenation of columns is the lexicographic order of the tuples.
 * Markers (ascending):
 *   0x00  NULL (sorts first; inverted, 0xff, it sorts last in a descending column)
 *   0x10/0x11 false/true
 *   0x12  int2/int4/int8, oid, reg*, "char", date, time, timestamp(tz): keys.h's varint, so
 *         every integer width compares with every other
 *   0x13  float4/float8: the 8 bytes of the double, big-endian, sign bit flipped for positives
 *         and every bit flipped for negatives; -0 is written as +0 and every NaN as the one
 *         positive quiet NaN, which lands above +Infinity (PostgreSQL's NaN order)
 *   0x14..0x19  numeric: -Infinity, negative, zero, positive, +Infinity, NaN. A finite value is
 *         0.d1d2...dn * 10^e with d1 != 0 and dn != 0 (so 1.0 and 1.00 encode alike): e as a
 *         keys.h varint, then the digits in pairs, one byte 1 + (10 * d + d') per pair (an odd
 *         last digit is paired with 0), then a 0x00 terminator that sorts below any pair. A
 *         negative value writes the same bytes inverted, so larger magnitudes sort first.
 *   0x1a  text/varchar/bpchar/name: keys.h's escaped bytes (bpchar without trailing spaces)
 *   0x1b  bytea: the same escaped bytes
 *   0x1c  interval: its total span in µs with 30-day months (PostgreSQL compares intervals so)
 *         as a 128-bit integer, big-endian, sign bit flipped; decoded back as months (whole 30
 *         days), days (whole 24 hours) and µs, a value equal to the original under comparison
 *   0x1d  uuid: the 16 bytes
 * Keys are decoded to values that compare equal to what was written, not always identical:
 * bpchar loses trailing spaces, numeric its display scale, interval its field split. The row
 * value holds the exact values.
 *
 * Row values: a format byte (1), then for each non-NULL column the column id delta (LEB128
 * uvarint, the first from 0), a tag byte and the value: bool 1 byte; integers zigzag LEB128;
 * floats 8 bytes little-endian; text-like, bytea and json as length + bytes; numeric as zigzag
 * scale + length + its ASCII digits (so a decoded numeric is a view); interval as zigzag µs,
 * days, months; uuid 16 bytes; arrays as element tag, count, a null bitmap and the non-NULL
 * elements without tags. Decoding checks every length against the bytes left.
 */
#include "sql_rowenc.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "phantomzero/keys.h"

/* Key markers (ascending). */
#define S_K_NULL 0x00
#define S_K_FALSE 0x10
#define S_K_TRUE 0x11
#define S_K_INT 0x12
#define S_K_FLOAT 0x13
#define S_K_NUM_NINF 0x14
#define S_K_NUM_NEG 0x15
#define S_K_NUM_ZERO 0x16
#define S_K_NUM_POS 0x17
#define S_K_NUM_PINF 0x18
#define S_K_NUM_NAN 0x19
#define S_K_TEXT 0x1a
#define S_K_BYTES 0x1b
#define S_K_IVL 0x1c
#define S_K_UUID 0x1d

/* Value tags. */
#define S_V_BOOL 1
#define S_V_INT 2
#define S_V_FLOAT 3
#define S_V_BYTES 4
#define S_V_NUMERIC 5
#define S_V_IVL 6
#define S_V_UUID 7
#define S_V_ARRAY 8

#define S_VALUE_FORMAT 1
#define S_UUID_BYTES 16
#define S_IVL_BYTES 16
#define S_MONTH_US ((__int128)30 * 86400 * 1000000)
#define S_DAY_US ((int64_t)86400 * 1000000)
/* Digits of a decoded numeric key: PostgreSQL's numeric holds at most 131072 digits before the
 * point and 16383 after; a longer or farther exponent is corrupt, not a value. */
#define S_NUM_DIGITS_MAX (131072 + 16383)
#define S_NUM_EXP_MAX 131072
#define S_NUM_EXP_MIN (-16383)
/* Elements of a decoded array: PostgreSQL's MaxArraySize is about 134 million; each element
 * takes at least one bit of bitmap here, which bounds it further by the value's size. */
#define S_ARRAY_ITEMS_MAX (128u * 1024u * 1024u)

/* ------------------------------------------------------------------------------------------ */
/* Prefixes                                                                                    */

size_t pz_rowenc_table_prefix(uint8_t *buf, size_t cap, uint32_t table_id)
{
    assert(buf != NULL || cap == 0);
    if (cap < 1) {
        return 0;
    }
    buf[0] = PZ_KEY_TABLE_PREFIX;
    return pz_key_put_uvarint(buf, cap, 1, table_id);
}

size_t pz_rowenc_index_prefix(uint8_t *buf, size_t cap, uint32_t table_id, uint32_t index_id)
{
    assert(buf != NULL || cap == 0);
    size_t n = pz_rowenc_table_prefix(buf, cap, table_id);
    if (n == 0) {
        return 0;
    }
    return pz_key_put_uvarint(buf, cap, n, index_id);
}

size_t pz_rowenc_prefix_end(uint8_t *buf, size_t cap, const uint8_t *prefix, size_t len)
{
    assert(buf != NULL || cap == 0);
    assert(prefix != NULL || len == 0);
    size_t n = len;
    while (n > 0 && prefix[n - 1] == 0xff) {
        n--;
    }
    if (n == 0 || n > cap) {
        return 0; /* empty or all 0xff: no key is greater than every extension */
    }
    memmove(buf, prefix, n);
    buf[n - 1]++;
    return n;
}

bool pz_rowenc_key_type_ok(pz_ty_t t)
{
    switch (t) {
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
    case PZ_TY_ARRAY:
    case PZ_TY_VOID:
    case PZ_TY_RECORD:
    case PZ_TY_COUNT_:
        return false;
    default:
        return true;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Key encoders                                                                                */

static size_t s_put_u8(uint8_t *buf, size_t cap, size_t len, uint8_t b)
{
    if (cap - len < 1) {
        return 0;
    }
    buf[len] = b;
    return len + 1;
}

static size_t s_put_be64(uint8_t *buf, size_t cap, size_t len, uint64_t v)
{
    if (cap - len < 8) {
        return 0;
    }
    for (int i = 7; i >= 0; i--) {
        buf[len++] = (uint8_t)(v >> (8 * i));
    }
    return len;
}

/* The float's sortable bits: PostgreSQL's order with -0 == 0 and NaN above +Infinity. */
static uint64_t s_float_key(double f)
{
    if (isnan(f)) {
        return 0x7ff8000000000000ull | 0x8000000000000000ull; /* the positive quiet NaN */
    }
    if (f == 0) {
        f = 0; /* -0 */
    }
    uint64_t bits;
    memcpy(&bits, &f, sizeof bits);
    return (bits & 0x8000000000000000ull) ? ~bits : bits | 0x8000000000000000ull;
}

static double s_float_unkey(uint64_t k)
{
    uint64_t bits = (k & 0x8000000000000000ull) ? k & ~0x8000000000000000ull : ~k;
    double f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* A numeric datum's class: the key marker. *sig and *nsig: its significant digits (no leading
 * or trailing zeros), *exp: e in 0.d1d2... * 10^e. */
static uint8_t s_num_parse(const pz_datum_t *d, const uint8_t **sig, size_t *nsig, int64_t *exp)
{
    const uint8_t *p = d->v.p;
    size_t n = d->len;
    if (n == 3 && memcmp(p, "NaN", 3) == 0) {
        return S_K_NUM_NAN;
    }
    if (n == 8 && memcmp(p, "Infinity", 8) == 0) {
        return S_K_NUM_PINF;
    }
    if (n == 9 && memcmp(p, "-Infinity", 9) == 0) {
        return S_K_NUM_NINF;
    }
    bool neg = n > 0 && p[0] == '-';
    if (neg) {
        p++, n--;
    }
    while (n > 0 && p[0] == '0') {
        p++, n--;
    }
    int64_t int_digits = (int64_t)n - d->scale; /* digits left of the point */
    while (n > 0 && p[n - 1] == '0') {
        n--;
    }
    if (n == 0) {
        return S_K_NUM_ZERO;
    }
    *sig = p;
    *nsig = n;
    *exp = int_digits;
    return neg ? S_K_NUM_NEG : S_K_NUM_POS;
}

static size_t s_put_numeric(uint8_t *buf, size_t cap, size_t len, const pz_datum_t *d)
{
    const uint8_t *sig = NULL;
    size_t nsig = 0;
    int64_t exp = 0;
    uint8_t m = s_num_parse(d, &sig, &nsig, &exp);
    len = s_put_u8(buf, cap, len, m);
    if (len == 0 || (m != S_K_NUM_NEG && m != S_K_NUM_POS)) {
        return len;
    }
    size_t start = len;
    len = pz_key_put_int(buf, cap, len, exp);
    for (size_t i = 0; len != 0 && i < nsig; i += 2) {
        int hi = sig[i] - '0', lo = i + 1 < nsig ? sig[i + 1] - '0' : 0;
        len = s_put_u8(buf, cap, len, (uint8_t)(1 + 10 * hi + lo));
    }
    len = len == 0 ? 0 : s_put_u8(buf, cap, len, 0);
    if (len != 0 && m == S_K_NUM_NEG) {
        for (size_t i = start; i < len; i++) {
            buf[i] = (uint8_t)~buf[i];
        }
    }
    return len;
}

static size_t s_put_text(uint8_t *buf, size_t cap, size_t len, const pz_datum_t *d, uint8_t m)
{
    uint32_t n = d->len;
    if (d->type == PZ_TY_BPCHAR) {
        while (n > 0 && d->v.p[n - 1] == ' ') {
            n--;
        }
    }
    len = s_put_u8(buf, cap, len, m);
    if (len == 0) {
        return 0;
    }
    pz_view_t v = {.ptr = n > 0 ? d->v.p : NULL, .len = n};
    return pz_key_put_bytes(buf, cap, len, v);
}

static __int128 s_ivl_span(const pz_datum_t *d)
{
    return (__int128)d->v.iv.months * S_MONTH_US + (__int128)d->v.iv.days * S_DAY_US + d->v.iv.us;
}

static size_t s_put_interval(uint8_t *buf, size_t cap, size_t len, const pz_datum_t *d)
{
    unsigned __int128 u = (unsigned __int128)s_ivl_span(d) ^ ((unsigned __int128)1 << 127);
    len = s_put_u8(buf, cap, len, S_K_IVL);
    len = len == 0 ? 0 : s_put_be64(buf, cap, len, (uint64_t)(u >> 64));
    return len == 0 ? 0 : s_put_be64(buf, cap, len, (uint64_t)u);
}

/* The ascending encoding of one non-NULL value. */
static size_t s_key_put_asc(uint8_t *buf, size_t cap, size_t len, const pz_datum_t *d)
{
    switch ((pz_ty_t)d->type) {
    case PZ_TY_BOOL:
        return s_put_u8(buf, cap, len, d->v.b ? S_K_TRUE : S_K_FALSE);
    case PZ_TY_INT2:
    case PZ_TY_INT4:
    case PZ_TY_INT8:
    case PZ_TY_OID:
    case PZ_TY_REGCLASS:
    case PZ_TY_REGTYPE:
    case PZ_TY_REGPROC:
    case PZ_TY_REGNAMESPACE:
    case PZ_TY_REGROLE:
    case PZ_TY_CHAR:
    case PZ_TY_DATE:
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
        len = s_put_u8(buf, cap, len, S_K_INT);
        return len == 0 ? 0 : pz_key_put_int(buf, cap, len, d->v.i);
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        len = s_put_u8(buf, cap, len, S_K_FLOAT);
        return len == 0 ? 0 : s_put_be64(buf, cap, len, s_float_key(d->v.f));
    case PZ_TY_NUMERIC:
        return s_put_numeric(buf, cap, len, d);
    case PZ_TY_UNKNOWN:
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
        return s_put_text(buf, cap, len, d, S_K_TEXT);
    case PZ_TY_BYTEA:
        return s_put_text(buf, cap, len, d, S_K_BYTES);
    case PZ_TY_INTERVAL:
        return s_put_interval(buf, cap, len, d);
    case PZ_TY_UUID:
        len = s_put_u8(buf, cap, len, S_K_UUID);
        if (len == 0 || cap - len < S_UUID_BYTES || d->len != S_UUID_BYTES) {
            return 0;
        }
        memcpy(buf + len, d->v.p, S_UUID_BYTES);
        return len + S_UUID_BYTES;
    default:
        return 0;
    }
}

size_t pz_rowenc_key_put(uint8_t *buf, size_t cap, size_t len, const pz_datum_t *d, bool desc)
{
    assert(buf != NULL || cap == 0);
    assert(d != NULL && len <= cap);
    size_t n;
    if (d->null) {
        n = s_put_u8(buf, cap, len, S_K_NULL);
    } else if (!pz_rowenc_key_type_ok((pz_ty_t)d->type)) {
        return 0;
    } else {
        n = s_key_put_asc(buf, cap, len, d);
    }
    if (n != 0 && desc) {
        for (size_t i = len; i < n; i++) {
            buf[i] = (uint8_t)~buf[i];
        }
    }
    assert(n == 0 || n > len);
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Key decoders                                                                                */

/* A key being read: bytes, position, and the mask every byte is XORed with (0xff: desc). */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t pos;
    uint8_t mask;
} s_krd_t;

static int s_kbyte(s_krd_t *r, uint8_t *b)
{
    if (r->pos >= r->len) {
        return PZ_ECORRUPT;
    }
    *b = r->p[r->pos++] ^ r->mask;
    return 0;
}

/* keys.h's varint, through the mask (it is at most 9 bytes long). */
static int s_kint(s_krd_t *r, int64_t *v)
{
    uint8_t tmp[9];
    size_t n = r->len - r->pos < sizeof tmp ? r->len - r->pos : sizeof tmp;
    for (size_t i = 0; i < n; i++) {
        tmp[i] = r->p[r->pos + i] ^ r->mask;
    }
    size_t pos = 0;
    pz_view_t view = {.ptr = tmp, .len = (uint32_t)n};
    if (pz_key_get_int(view, &pos, v) != 0) {
        return PZ_ECORRUPT;
    }
    r->pos += pos;
    return 0;
}

static int s_kbe64(s_krd_t *r, uint64_t *v)
{
    if (r->len - r->pos < 8) {
        return PZ_ECORRUPT;
    }
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) {
        x = (x << 8) | (uint8_t)(r->p[r->pos++] ^ r->mask);
    }
    *v = x;
    return 0;
}

/* keys.h's escaped bytes, unescaped into the arena. */
static int s_kbytes(pz_arena_t *a, s_krd_t *r, pz_datum_t *out)
{
    size_t max = r->len - r->pos;
    uint8_t *dst = pz_arena_alloc(a, max + 1);
    if (dst == NULL) {
        return PZ_ENOMEM;
    }
    size_t n = 0;
    for (;;) {
        uint8_t b;
        if (s_kbyte(r, &b) != 0) {
            return PZ_ECORRUPT;
        }
        if (b == 0x00) {
            uint8_t e;
            if (s_kbyte(r, &e) != 0) {
                return PZ_ECORRUPT;
            }
            if (e == 0x01) {
                break;
            }
            if (e != 0xff) {
                return PZ_ECORRUPT;
            }
        }
        assert(n < max);
        dst[n++] = b;
    }
    out->v.p = dst;
    out->len = (uint32_t)n;
    return 0;
}

/* Rebuilds "[-]digits" with a scale from e and the digit pairs. */
static int s_knumeric(pz_arena_t *a, s_krd_t *r, bool neg, pz_datum_t *out)
{
    s_krd_t rr = *r;
    rr.mask ^= neg ? 0xff : 0x00;
    int64_t exp;
    if (s_kint(&rr, &exp) != 0 || exp > S_NUM_EXP_MAX || exp < S_NUM_EXP_MIN) {
        return PZ_ECORRUPT;
    }
    size_t npairs = 0;
    for (;; npairs++) {
        if (rr.pos + npairs >= rr.len || npairs * 2 > S_NUM_DIGITS_MAX) {
            return PZ_ECORRUPT;
        }
        uint8_t b = rr.p[rr.pos + npairs] ^ rr.mask;
        if (b == 0) {
            break;
        }
        if (b > 100) {
            return PZ_ECORRUPT;
        }
    }
    if (npairs == 0) {
        return PZ_ECORRUPT;
    }
    size_t zeros_max = exp > 0 ? (size_t)exp : 0;
    uint8_t *dst = pz_arena_alloc(a, 1 + 2 * npairs + zeros_max);
    if (dst == NULL) {
        return PZ_ENOMEM;
    }
    size_t n = 0;
    if (neg) {
        dst[n++] = '-';
    }
    for (size_t i = 0; i < npairs; i++) {
        uint8_t b = (uint8_t)((rr.p[rr.pos + i] ^ rr.mask) - 1);
        dst[n++] = (uint8_t)('0' + b / 10);
        dst[n++] = (uint8_t)('0' + b % 10);
    }
    if (dst[n - 1] == '0') {
        n--; /* an odd count's padding */
    }
    size_t ndig = n - (neg ? 1 : 0);
    if (dst[neg ? 1 : 0] == '0' || dst[n - 1] == '0') {
        return PZ_ECORRUPT; /* not canonical: leading or trailing zero digits */
    }
    int64_t scale = (int64_t)ndig - exp;
    if (scale > INT16_MAX) {
        return PZ_ECORRUPT;
    }
    if (scale < 0) {
        memset(dst + n, '0', (size_t)-scale);
        n += (size_t)-scale;
        scale = 0;
    }
    out->scale = (int16_t)scale;
    out->v.p = dst;
    out->len = (uint32_t)n;
    r->pos = rr.pos + npairs + 1;
    return 0;
}

static int s_kinterval(s_krd_t *r, pz_datum_t *out)
{
    uint64_t hi, lo;
    if (s_kbe64(r, &hi) != 0 || s_kbe64(r, &lo) != 0) {
        return PZ_ECORRUPT;
    }
    unsigned __int128 u = ((unsigned __int128)hi << 64) | lo;
    __int128 span = (__int128)(u ^ ((unsigned __int128)1 << 127));
    __int128 months = span / S_MONTH_US;
    if (months > INT32_MAX || months < INT32_MIN) {
        months = months > 0 ? INT32_MAX : INT32_MIN;
    }
    span -= months * S_MONTH_US;
    __int128 days = span / S_DAY_US;
    if (days > INT32_MAX || days < INT32_MIN) {
        days = days > 0 ? INT32_MAX : INT32_MIN;
    }
    span -= days * S_DAY_US;
    if (span > INT64_MAX || span < INT64_MIN) {
        return PZ_ECORRUPT; /* no interval has this span */
    }
    out->v.iv.months = (int32_t)months;
    out->v.iv.days = (int32_t)days;
    out->v.iv.us = (int64_t)span;
    return 0;
}

/* The marker family a column of type t is written with (0: not a key type). */
static uint8_t s_key_family(pz_ty_t t)
{
    switch (t) {
    case PZ_TY_BOOL:
        return S_K_FALSE;
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        return S_K_FLOAT;
    case PZ_TY_NUMERIC:
        return S_K_NUM_ZERO;
    case PZ_TY_UNKNOWN:
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
        return S_K_TEXT;
    case PZ_TY_BYTEA:
        return S_K_BYTES;
    case PZ_TY_INTERVAL:
        return S_K_IVL;
    case PZ_TY_UUID:
        return S_K_UUID;
    default:
        return pz_rowenc_key_type_ok(t) ? S_K_INT : 0;
    }
}

/* Decodes the value after marker m for a column whose family is fam. */
static int s_key_get_value(pz_arena_t *a, s_krd_t *r, uint8_t fam, uint8_t m, pz_datum_t *out)
{
    uint64_t u;
    switch (fam) {
    case S_K_FALSE:
        if (m != S_K_FALSE && m != S_K_TRUE) {
            return PZ_ECORRUPT;
        }
        out->v.b = m == S_K_TRUE;
        return 0;
    case S_K_INT:
        return m == S_K_INT ? s_kint(r, &out->v.i) : PZ_ECORRUPT;
    case S_K_FLOAT:
        if (m != S_K_FLOAT || s_kbe64(r, &u) != 0) {
            return PZ_ECORRUPT;
        }
        out->v.f = s_float_unkey(u);
        if (out->type == PZ_TY_FLOAT4) {
            out->v.f = (float)out->v.f;
        }
        return 0;
    case S_K_NUM_ZERO: {
        static const char *const fixed[] = {"-Infinity", NULL, "0", NULL, "Infinity", "NaN"};
        if (m < S_K_NUM_NINF || m > S_K_NUM_NAN) {
            return PZ_ECORRUPT;
        }
        if (m == S_K_NUM_NEG || m == S_K_NUM_POS) {
            return s_knumeric(a, r, m == S_K_NUM_NEG, out);
        }
        out->v.p = (const uint8_t *)fixed[m - S_K_NUM_NINF];
        out->len = (uint32_t)strlen(fixed[m - S_K_NUM_NINF]);
        out->scale = 0;
        return 0;
    }
    case S_K_TEXT:
    case S_K_BYTES:
        return m == fam ? s_kbytes(a, r, out) : PZ_ECORRUPT;
    case S_K_IVL:
        return m == S_K_IVL ? s_kinterval(r, out) : PZ_ECORRUPT;
    case S_K_UUID: {
        if (m != S_K_UUID || r->len - r->pos < S_UUID_BYTES) {
            return PZ_ECORRUPT;
        }
        uint8_t *dst = pz_arena_alloc(a, S_UUID_BYTES);
        if (dst == NULL) {
            return PZ_ENOMEM;
        }
        for (int i = 0; i < S_UUID_BYTES; i++) {
            dst[i] = r->p[r->pos++] ^ r->mask;
        }
        out->v.p = dst;
        out->len = S_UUID_BYTES;
        return 0;
    }
    default:
        return PZ_ECORRUPT;
    }
}

int pz_rowenc_key_get(pz_arena_t *a, const uint8_t *key, size_t key_len, size_t *pos,
                      pz_sql_type_t t, bool desc, pz_datum_t *out)
{
    assert(a != NULL && pos != NULL && out != NULL);
    assert(key != NULL || key_len == 0);
    s_krd_t r = {.p = key, .len = key_len, .pos = *pos, .mask = desc ? 0xff : 0x00};
    uint8_t fam = s_key_family((pz_ty_t)t.id);
    uint8_t m;
    if (fam == 0 || *pos > key_len || s_kbyte(&r, &m) != 0) {
        return PZ_ECORRUPT;
    }
    pz_datum_t d = {.type = t.id};
    if (m == S_K_NULL) {
        d.null = true;
    } else {
        int rc = s_key_get_value(a, &r, fam, m, &d);
        if (rc != 0) {
            return rc == PZ_ENOMEM ? rc : PZ_ECORRUPT;
        }
    }
    assert(r.pos > *pos && r.pos <= key_len);
    *pos = r.pos;
    *out = d;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Row values                                                                                  */

/* The value tag of a type (0: cannot be stored). */
static uint8_t s_value_tag(pz_ty_t t)
{
    switch (t) {
    case PZ_TY_BOOL:
        return S_V_BOOL;
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        return S_V_FLOAT;
    case PZ_TY_NUMERIC:
        return S_V_NUMERIC;
    case PZ_TY_UNKNOWN:
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
    case PZ_TY_BYTEA:
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        return S_V_BYTES;
    case PZ_TY_INTERVAL:
        return S_V_IVL;
    case PZ_TY_UUID:
        return S_V_UUID;
    case PZ_TY_ARRAY:
        return S_V_ARRAY;
    case PZ_TY_VOID:
    case PZ_TY_RECORD:
    case PZ_TY_COUNT_:
        return 0;
    default:
        return S_V_INT; /* integers, oid, reg*, "char", date, time, timestamp(tz) */
    }
}

static void s_vput_uvarint(pz_sbuf_t *out, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    pz_sbuf_put(out, tmp, n);
}

static void s_vput_int(pz_sbuf_t *out, int64_t v)
{
    s_vput_uvarint(out, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); /* zigzag */
}

static void s_vput_bytes(pz_sbuf_t *out, const uint8_t *p, uint32_t n)
{
    s_vput_uvarint(out, n);
    if (n > 0) {
        pz_sbuf_put(out, p, n);
    }
}

/* One scalar (non-NULL, not an array) without its tag. */
static void s_vput_scalar(pz_sbuf_t *out, uint8_t tag, const pz_datum_t *d)
{
    switch (tag) {
    case S_V_BOOL:
        pz_sbuf_putc(out, d->v.b ? 1 : 0);
        break;
    case S_V_INT:
        s_vput_int(out, d->v.i);
        break;
    case S_V_FLOAT: {
        uint64_t bits;
        uint8_t le[8];
        memcpy(&bits, &d->v.f, sizeof bits);
        for (int i = 0; i < 8; i++) {
            le[i] = (uint8_t)(bits >> (8 * i));
        }
        pz_sbuf_put(out, le, sizeof le);
        break;
    }
    case S_V_NUMERIC:
        s_vput_int(out, d->scale);
        s_vput_bytes(out, d->v.p, d->len);
        break;
    case S_V_BYTES:
        s_vput_bytes(out, d->v.p, d->len);
        break;
    case S_V_IVL:
        s_vput_int(out, d->v.iv.us);
        s_vput_int(out, d->v.iv.days);
        s_vput_int(out, d->v.iv.months);
        break;
    case S_V_UUID:
        assert(d->len == S_UUID_BYTES);
        pz_sbuf_put(out, d->v.p, S_UUID_BYTES);
        break;
    default:
        assert(!"not a scalar tag");
    }
}

static int s_vput_array(pz_sbuf_t *out, const pz_sql_array_t *arr)
{
    uint8_t tag = s_value_tag((pz_ty_t)arr->elem);
    if (tag == 0 || tag == S_V_ARRAY) {
        return PZ_EINVAL;
    }
    pz_sbuf_putc(out, (char)tag);
    s_vput_uvarint(out, arr->n);
    for (uint32_t i = 0; i < arr->n; i += 8) {
        uint8_t bits = 0;
        for (uint32_t j = i; j < arr->n && j < i + 8; j++) {
            bits |= (uint8_t)(arr->items[j].null ? 1u << (j - i) : 0);
        }
        pz_sbuf_putc(out, (char)bits);
    }
    for (uint32_t i = 0; i < arr->n; i++) {
        if (!arr->items[i].null) {
            s_vput_scalar(out, tag, &arr->items[i]);
        }
    }
    return 0;
}

int pz_rowenc_value_put(pz_sbuf_t *out, const uint32_t *col_ids, const pz_datum_t *datums,
                        uint32_t n)
{
    assert(out != NULL);
    assert((col_ids != NULL && datums != NULL) || n == 0);
    pz_sbuf_putc(out, S_VALUE_FORMAT);
    uint32_t prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert(i == 0 || col_ids[i] > col_ids[i - 1]);
        const pz_datum_t *d = &datums[i];
        if (d->null) {
            continue;
        }
        uint8_t tag = s_value_tag((pz_ty_t)d->type);
        if (tag == 0) {
            return PZ_EINVAL;
        }
        s_vput_uvarint(out, col_ids[i] - prev);
        prev = col_ids[i];
        pz_sbuf_putc(out, (char)tag);
        if (tag == S_V_ARRAY) {
            int rc = s_vput_array(out, d->v.arr);
            if (rc != 0) {
                return rc;
            }
        } else {
            s_vput_scalar(out, tag, d);
        }
    }
    return out->oom ? PZ_ENOMEM : 0;
}

/* A value being read. */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t pos;
} s_vrd_t;

static int s_vget_uvarint(s_vrd_t *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->pos >= r->len) {
            return PZ_ECORRUPT;
        }
        uint8_t b = r->p[r->pos++];
        if (shift == 63 && b > 1) {
            return PZ_ECORRUPT; /* more than 64 bits */
        }
        x |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = x;
            return 0;
        }
    }
    return PZ_ECORRUPT;
}

static int s_vget_int(s_vrd_t *r, int64_t *v)
{
    uint64_t u;
    if (s_vget_uvarint(r, &u) != 0) {
        return PZ_ECORRUPT;
    }
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

static int s_vget_int32(s_vrd_t *r, int32_t *v)
{
    int64_t x;
    if (s_vget_int(r, &x) != 0 || x < INT32_MIN || x > INT32_MAX) {
        return PZ_ECORRUPT;
    }
    *v = (int32_t)x;
    return 0;
}

/* A length-prefixed byte string, as a view into the value. */
static int s_vget_bytes(s_vrd_t *r, const uint8_t **p, uint32_t *n)
{
    uint64_t len;
    if (s_vget_uvarint(r, &len) != 0 || len > r->len - r->pos || len > UINT32_MAX) {
        return PZ_ECORRUPT;
    }
    *p = r->p + r->pos;
    *n = (uint32_t)len;
    r->pos += (size_t)len;
    return 0;
}

/* Whether s is a numeric's text in the datum's form: "[-]digits", "NaN", "[-]Infinity". */
static bool s_numeric_ok(const uint8_t *s, uint32_t n)
{
    if ((n == 3 && memcmp(s, "NaN", 3) == 0) || (n == 8 && memcmp(s, "Infinity", 8) == 0) ||
        (n == 9 && memcmp(s, "-Infinity", 9) == 0)) {
        return true;
    }
    uint32_t i = n > 0 && s[0] == '-' ? 1 : 0;
    if (i == n) {
        return false;
    }
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

static int s_vget_scalar(s_vrd_t *r, uint8_t tag, pz_datum_t *d)
{
    switch (tag) {
    case S_V_BOOL:
        if (r->pos >= r->len || r->p[r->pos] > 1) {
            return PZ_ECORRUPT;
        }
        d->v.b = r->p[r->pos++] == 1;
        return 0;
    case S_V_INT:
        return s_vget_int(r, &d->v.i);
    case S_V_FLOAT: {
        if (r->len - r->pos < 8) {
            return PZ_ECORRUPT;
        }
        uint64_t bits = 0;
        for (int i = 7; i >= 0; i--) {
            bits = (bits << 8) | r->p[r->pos + (size_t)i];
        }
        r->pos += 8;
        memcpy(&d->v.f, &bits, sizeof bits);
        return 0;
    }
    case S_V_NUMERIC: {
        int32_t scale;
        if (s_vget_int32(r, &scale) != 0 || scale < INT16_MIN || scale > INT16_MAX ||
            s_vget_bytes(r, &d->v.p, &d->len) != 0 || !s_numeric_ok(d->v.p, d->len)) {
            return PZ_ECORRUPT;
        }
        d->scale = (int16_t)scale;
        return 0;
    }
    case S_V_BYTES:
        return s_vget_bytes(r, &d->v.p, &d->len);
    case S_V_IVL:
        if (s_vget_int(r, &d->v.iv.us) != 0 || s_vget_int32(r, &d->v.iv.days) != 0 ||
            s_vget_int32(r, &d->v.iv.months) != 0) {
            return PZ_ECORRUPT;
        }
        return 0;
    case S_V_UUID:
        if (r->len - r->pos < S_UUID_BYTES) {
            return PZ_ECORRUPT;
        }
        d->v.p = r->p + r->pos;
        d->len = S_UUID_BYTES;
        r->pos += S_UUID_BYTES;
        return 0;
    default:
        return PZ_ECORRUPT;
    }
}

/* An array of elem (the column's element type); items land in the arena (a NULL arena only
 * skips the array). */
static int s_vget_array(pz_arena_t *a, s_vrd_t *r, uint8_t elem, pz_datum_t *d)
{
    uint64_t n;
    if (r->pos >= r->len) {
        return PZ_ECORRUPT;
    }
    uint8_t tag = r->p[r->pos++];
    if (tag == 0 || tag == S_V_ARRAY || s_vget_uvarint(r, &n) != 0 || n > S_ARRAY_ITEMS_MAX ||
        (n + 7) / 8 > r->len - r->pos) {
        return PZ_ECORRUPT;
    }
    const uint8_t *bitmap = r->p + r->pos;
    r->pos += (size_t)(n + 7) / 8;
    pz_sql_array_t *arr = a ? pz_arena_alloc(a, sizeof *arr) : NULL;
    pz_datum_t *items = a && n > 0 ? pz_arena_alloc(a, sizeof *items * (size_t)n) : NULL;
    if (a != NULL && (arr == NULL || (n > 0 && items == NULL))) {
        return PZ_ENOMEM;
    }
    for (uint64_t i = 0; i < n; i++) {
        pz_datum_t it = {.type = elem, .null = (bitmap[i / 8] >> (i % 8)) & 1};
        if (!it.null && s_vget_scalar(r, tag, &it) != 0) {
            return PZ_ECORRUPT;
        }
        if (items != NULL) {
            items[i] = it;
        }
    }
    if (arr != NULL) {
        arr->elem = elem;
        arr->n = (uint32_t)n;
        arr->items = items;
        d->v.arr = arr;
    }
    return 0;
}

/* Reads one tagged value as type t (array: t.elem its element). check: the tag must be t's;
 * otherwise the value is only skipped (a NULL arena skips arrays). */
static int s_vget_tagged(pz_arena_t *a, s_vrd_t *r, pz_sql_type_t t, bool check, pz_datum_t *d)
{
    if (r->pos >= r->len) {
        return PZ_ECORRUPT;
    }
    uint8_t tag = r->p[r->pos++];
    if (check && tag != s_value_tag((pz_ty_t)t.id)) {
        return PZ_ECORRUPT;
    }
    *d = (pz_datum_t){.type = t.id};
    if (tag == S_V_ARRAY) {
        return s_vget_array(a, r, t.elem, d);
    }
    int rc = s_vget_scalar(r, tag, d);
    if (rc == 0 && check && t.id == PZ_TY_INT2 && (d->v.i < INT16_MIN || d->v.i > INT16_MAX)) {
        return PZ_ECORRUPT;
    }
    if (rc == 0 && check && t.id == PZ_TY_INT4 && (d->v.i < INT32_MIN || d->v.i > INT32_MAX)) {
        return PZ_ECORRUPT;
    }
    if (rc == 0 && check && t.id == PZ_TY_FLOAT4) {
        d->v.f = (float)d->v.f;
    }
    return rc;
}

int pz_rowenc_value_get(pz_arena_t *a, const uint8_t *value, size_t len, const uint32_t *col_ids,
                        const pz_sql_type_t *types, uint32_t n, pz_datum_t *datums)
{
    assert(value != NULL || len == 0);
    assert((col_ids != NULL && types != NULL && datums != NULL) || n == 0);
    for (uint32_t i = 0; i < n; i++) {
        datums[i] = pz_datum_null((pz_ty_t)types[i].id);
    }
    if (len < 1 || value[0] != S_VALUE_FORMAT) {
        return PZ_ECORRUPT;
    }
    s_vrd_t r = {.p = value, .len = len, .pos = 1};
    uint64_t col = 0;
    uint32_t want = 0;
    for (bool first = true; r.pos < r.len; first = false) {
        uint64_t delta;
        if (s_vget_uvarint(&r, &delta) != 0 || (!first && delta == 0) || delta > UINT32_MAX - col) {
            return PZ_ECORRUPT;
        }
        col += delta;
        while (want < n && col_ids[want] < col) {
            want++;
        }
        bool keep = want < n && col_ids[want] == col;
        pz_datum_t d;
        pz_sql_type_t t = keep ? types[want] : PZ_SQL_TYPE(PZ_TY_UNKNOWN);
        int rc = s_vget_tagged(keep ? a : NULL, &r, t, keep, &d);
        if (rc != 0) {
            return rc == PZ_ENOMEM ? rc : PZ_ECORRUPT;
        }
        if (keep) {
            datums[want] = d;
        }
    }
    return 0;
}
