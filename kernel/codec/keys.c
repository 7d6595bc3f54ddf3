/*
 * keys.c — the key space constants and the order-preserving key encodings of keys.h.
 *
 * Integers use CockroachDB's ascending varint layout, so keys sort by value with memcmp:
 *   0 .. 109                    one byte, 0x88 + v                     (0x88 .. 0xf5)
 *   110 .. 2^64-1               0xf5 + n, then v in n big-endian bytes  (0xf6 .. 0xfd, n = 1..8)
 *   -2^(8n) .. -2^(8(n-1))-1    0x88 - n, then the low n bytes of v     (0x87 .. 0x80, n = 1..8)
 * (The negative boundaries differ from CockroachDB's by one: here n bytes hold every value
 * whose complement ~v fits in n bytes, so one byte covers -256 .. -1.) A larger tag always
 * means a larger value, and within a tag the big-endian bytes order the values. Decoders
 * accept only the canonical (shortest) form, so each value has one encoding and
 * decode-then-encode reproduces the key byte for byte.
 *
 * Bytes escape 0x00 as 0x00 0xff and end with 0x00 0x01: the terminator sorts below any
 * continuation, so a string sorts before every string it is a prefix of.
 */
#include "phantomzero/keys.h"

#include <assert.h>
#include <stdio.h>

const uint8_t PZ_KEY_MAX[2] = {0xff, 0xff};
const uint8_t PZ_KEY_MIN_ADDR[1] = {PZ_KEY_META1_PREFIX};

#define S_INT_MIN 0x80u  /* tag of the most negative 8-byte integers */
#define S_INT_ZERO 0x88u /* one-byte encoding of 0 */
#define S_INT_SMALL 109u /* the largest value encoded in its tag byte */
#define S_INT_MAX 0xfdu  /* tag of the largest 8-byte integers */
#define S_ESC 0x00u
#define S_ESC_ZERO 0xffu /* 0x00 0xff: an escaped 0x00 */
#define S_ESC_END 0x01u  /* 0x00 0x01: end of a bytes value */

static const uint8_t s_rdsc[] = {PZ_KEY_LOCAL_PREFIX, 'r', 'd', 's', 'c'};

bool pz_key_is_local(pz_view_t key)
{
    return key.len > 0 && key.ptr[0] == PZ_KEY_LOCAL_PREFIX;
}

size_t pz_key_meta2(uint8_t *buf, size_t cap, pz_view_t end_key)
{
    assert(buf != NULL || cap == 0);
    assert(end_key.ptr != NULL || end_key.len == 0);
    if ((size_t)end_key.len + 1 > cap) {
        return 0;
    }
    buf[0] = PZ_KEY_META2_PREFIX;
    if (end_key.len > 0) {
        memmove(buf + 1, end_key.ptr, end_key.len);
    }
    return (size_t)end_key.len + 1;
}

size_t pz_key_replica_desc_prefix(uint8_t *buf, size_t cap)
{
    assert(buf != NULL || cap == 0);
    if (sizeof s_rdsc > cap) {
        return 0;
    }
    memcpy(buf, s_rdsc, sizeof s_rdsc);
    return sizeof s_rdsc;
}

size_t pz_key_replica_desc(uint8_t *buf, size_t cap, uint64_t range_id)
{
    assert(buf != NULL || cap == 0);
    size_t n = pz_key_replica_desc_prefix(buf, cap);
    if (n == 0 || cap - n < 8) {
        return 0;
    }
    for (int i = 7; i >= 0; i--) {
        buf[n++] = (uint8_t)(range_id >> (8 * i));
    }
    assert(n == sizeof s_rdsc + 8);
    return n;
}

/* Bytes needed for v in big-endian without leading zero bytes (at least 1). */
static size_t s_width(uint64_t v)
{
    size_t n = 1;
    while (n < 8 && (v >> (8 * n)) != 0) {
        n++;
    }
    return n;
}

static size_t s_put_be(uint8_t *buf, size_t cap, size_t len, uint8_t tag, uint64_t v, size_t n)
{
    assert(n >= 1 && n <= 8);
    if (cap - len < 1 + n) {
        return 0;
    }
    buf[len++] = tag;
    for (size_t i = n; i > 0; i--) {
        buf[len++] = (uint8_t)(v >> (8 * (i - 1)));
    }
    return len;
}

size_t pz_key_put_uvarint(uint8_t *buf, size_t cap, size_t len, uint64_t v)
{
    assert(buf != NULL || cap == 0);
    assert(len <= cap);
    if (v <= S_INT_SMALL) {
        if (cap - len < 1) {
            return 0;
        }
        buf[len] = (uint8_t)(S_INT_ZERO + v);
        return len + 1;
    }
    size_t n = s_width(v);
    return s_put_be(buf, cap, len, (uint8_t)(S_INT_MAX - 8 + n), v, n);
}

size_t pz_key_put_int(uint8_t *buf, size_t cap, size_t len, int64_t v)
{
    assert(buf != NULL || cap == 0);
    assert(len <= cap);
    if (v >= 0) {
        return pz_key_put_uvarint(buf, cap, len, (uint64_t)v);
    }
    /* The width of ~v (|v| - 1) picks the tag: -1 .. -255 fit one byte, and so on. */
    size_t n = s_width(~(uint64_t)v);
    return s_put_be(buf, cap, len, (uint8_t)(S_INT_ZERO - n), (uint64_t)v, n);
}

size_t pz_key_put_bytes(uint8_t *buf, size_t cap, size_t len, pz_view_t v)
{
    assert(buf != NULL || cap == 0);
    assert(len <= cap);
    assert(v.ptr != NULL || v.len == 0);
    for (uint32_t i = 0; i < v.len; i++) {
        size_t need = v.ptr[i] == 0 ? 2 : 1;
        if (cap - len < need) {
            return 0;
        }
        buf[len++] = v.ptr[i];
        if (v.ptr[i] == 0) {
            buf[len++] = S_ESC_ZERO;
        }
    }
    if (cap - len < 2) {
        return 0;
    }
    buf[len++] = S_ESC;
    buf[len++] = S_ESC_END;
    return len;
}

/* Reads the tag and the big-endian bytes after it. */
static int s_get_tagged(pz_view_t key, size_t *pos, uint8_t *tag, uint64_t *v, size_t *n)
{
    assert(pos != NULL && tag != NULL && v != NULL && n != NULL);
    if (*pos >= key.len) {
        return PZ_EPROTO;
    }
    size_t p = *pos;
    uint8_t t = key.ptr[p++];
    size_t w = 0;
    if (t >= S_INT_MIN && t < S_INT_ZERO) {
        w = S_INT_ZERO - t;
    } else if (t > S_INT_ZERO + S_INT_SMALL && t <= S_INT_MAX) {
        w = t - (S_INT_MAX - 8);
    } else if (t < S_INT_MIN || t > S_INT_MAX) {
        return PZ_EPROTO;
    }
    if (w > key.len - p) {
        return PZ_EPROTO;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < w; i++) {
        x = (x << 8) | key.ptr[p++];
    }
    *tag = t;
    *v = x;
    *n = w;
    *pos = p;
    return 0;
}

int pz_key_get_int(pz_view_t key, size_t *pos, int64_t *v)
{
    assert(pos != NULL && v != NULL);
    assert(key.ptr != NULL || key.len == 0);
    size_t p = *pos, n = 0;
    uint8_t tag = 0;
    uint64_t x = 0;
    int rc = s_get_tagged(key, &p, &tag, &x, &n);
    if (rc != 0) {
        return rc;
    }
    int64_t r;
    if (tag >= S_INT_ZERO) {
        if (n == 0) {
            x = tag - S_INT_ZERO;
        } else if (x <= S_INT_SMALL || s_width(x) != n) {
            return PZ_EPROTO; /* not the shortest form */
        }
        if (x > (uint64_t)INT64_MAX) {
            return PZ_EPROTO;
        }
        r = (int64_t)x;
    } else {
        /* Sign-extend the n low bytes; canonical iff ~r needs exactly n bytes. */
        uint64_t ext = n == 8 ? 0 : ~(uint64_t)0 << (8 * n);
        r = (int64_t)(x | ext);
        if (s_width(~(uint64_t)r) != n) {
            return PZ_EPROTO;
        }
    }
    *v = r;
    *pos = p;
    return 0;
}

int pz_key_get_uvarint(pz_view_t key, size_t *pos, uint64_t *v)
{
    assert(pos != NULL && v != NULL);
    assert(key.ptr != NULL || key.len == 0);
    size_t p = *pos, n = 0;
    uint8_t tag = 0;
    uint64_t x = 0;
    int rc = s_get_tagged(key, &p, &tag, &x, &n);
    if (rc != 0) {
        return rc;
    }
    if (tag < S_INT_ZERO) {
        return PZ_EPROTO; /* a negative integer */
    }
    if (n == 0) {
        x = tag - S_INT_ZERO;
    } else if (x <= S_INT_SMALL || s_width(x) != n) {
        return PZ_EPROTO;
    }
    *v = x;
    *pos = p;
    return 0;
}

int pz_key_get_bytes(pz_view_t key, size_t *pos, uint8_t *out, size_t out_cap, size_t *out_len)
{
    assert(pos != NULL && out_len != NULL);
    assert(out != NULL || out_cap == 0);
    assert(key.ptr != NULL || key.len == 0);
    size_t p = *pos, n = 0;
    while (p < key.len) {
        uint8_t b = key.ptr[p++];
        if (b == S_ESC) {
            if (p >= key.len) {
                return PZ_EPROTO;
            }
            uint8_t e = key.ptr[p++];
            if (e == S_ESC_END) {
                *out_len = n;
                *pos = p;
                return 0;
            }
            if (e != S_ESC_ZERO) {
                return PZ_EPROTO;
            }
        }
        if (n >= out_cap) {
            return PZ_ETOOBIG;
        }
        out[n++] = b;
    }
    return PZ_EPROTO; /* no terminator */
}

size_t pz_key_next(uint8_t *buf, size_t cap, pz_view_t k)
{
    assert(buf != NULL || cap == 0);
    assert(k.ptr != NULL || k.len == 0);
    if ((size_t)k.len + 1 > cap) {
        return 0;
    }
    if (k.len > 0) {
        memmove(buf, k.ptr, k.len); /* buf may be k's own buffer */
    }
    buf[k.len] = 0x00;
    return (size_t)k.len + 1;
}

/* Like snprintf: returns the full length, writes what fits (whole characters or escapes) and
 * always NUL-terminates when cap > 0. */
size_t pz_key_format(pz_view_t key, char *buf, size_t cap)
{
    assert(buf != NULL || cap == 0);
    assert(key.ptr != NULL || key.len == 0);
    size_t n = 0;
    if (cap > 0) {
        buf[0] = '\0';
    }
    for (uint32_t i = 0; i < key.len; i++) {
        uint8_t b = key.ptr[i];
        char tmp[5];
        size_t w = 1;
        if (b >= 0x20 && b < 0x7f) {
            tmp[0] = (char)b;
        } else {
            snprintf(tmp, sizeof tmp, "\\x%02x", b);
            w = 4;
        }
        if (cap > 0 && n + w < cap) {
            memcpy(buf + n, tmp, w);
            buf[n + w] = '\0';
        }
        n += w;
    }
    return n;
}
