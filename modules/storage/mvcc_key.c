/*
 * mvcc_key.c — engine key layout of MVCC versions (see mvcc_key.h for the shape and why).
 */
#include "mvcc_key.h"

#include <string.h>

#include "phantomzero/errors.h"
#include "phantomzero/keys.h"
#include "storage_assert.h"

size_t pz__mvcc_key_prefix(uint8_t *buf, size_t cap, pz_view_t k)
{
    PZ_ST_ASSERT(buf != NULL && (k.ptr != NULL || k.len == 0));
    PZ_ST_ASSERT(cap >= pz__mvcc_key_cap(k.len) - PZ_MVCC_TS_BYTES);
    /* pz_key_put_bytes is exactly escape + 0x00 0x01, the order-preserving bytes encoding the
     * rest of the key space uses. */
    size_t n = pz_key_put_bytes(buf, cap, 0, k);
    PZ_ST_ASSERT(n >= k.len + PZ_MVCC_TERM_BYTES);
    PZ_ST_ASSERT(buf[n - 2] == 0x00 && buf[n - 1] == 0x01);
    return n;
}

size_t pz__mvcc_key_put_ts(uint8_t *buf, size_t cap, size_t prefix_len, pz_hlc_t ts)
{
    PZ_ST_ASSERT(buf != NULL && cap >= prefix_len + PZ_MVCC_TS_BYTES);
    uint64_t w = ~ts.wall;
    uint32_t l = ~ts.logical;
    uint8_t *p = buf + prefix_len;
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(w >> (56 - 8 * i));
    }
    for (int i = 0; i < 4; i++) {
        p[8 + i] = (uint8_t)(l >> (24 - 8 * i));
    }
    return prefix_len + PZ_MVCC_TS_BYTES;
}

size_t pz__mvcc_key_version(uint8_t *buf, size_t cap, pz_view_t k, pz_hlc_t ts)
{
    PZ_ST_ASSERT(!pz_hlc_is_zero(ts));
    size_t n = pz__mvcc_key_prefix(buf, cap, k);
    return pz__mvcc_key_put_ts(buf, cap, n, ts);
}

size_t pz__mvcc_key_prefix_after(uint8_t *buf, size_t cap, const uint8_t *prefix,
                                 size_t prefix_len)
{
    PZ_ST_ASSERT(buf != NULL && prefix != NULL && prefix_len >= PZ_MVCC_TERM_BYTES);
    PZ_ST_ASSERT(cap >= prefix_len + 2);
    /* escape(k + "\x00") = escape(k) 0x00 0xFF, then the terminator. */
    size_t body = prefix_len - PZ_MVCC_TERM_BYTES;
    memmove(buf, prefix, body);
    buf[body] = 0x00;
    buf[body + 1] = 0xFF;
    buf[body + 2] = 0x00;
    buf[body + 3] = 0x01;
    return body + 4;
}

size_t pz__mvcc_key_record(uint8_t *buf, size_t cap, pz_view_t anchor, pz_view_t id)
{
    PZ_ST_ASSERT(buf != NULL && (id.ptr != NULL || id.len == 0));
    PZ_ST_ASSERT(cap >= pz__mvcc_record_key_cap(anchor.len, id.len));
    buf[0] = 0x00;
    buf[1] = 0x00;
    buf[2] = PZ_MVCC_LOCAL_RECORD;
    /* The anchor's terminator ends it: ids of one anchor follow it, and a longer anchor sorts
     * after every record of its prefix, as user keys do. */
    size_t n = pz_key_put_bytes(buf, cap, PZ_MVCC_LOCAL_HDR_BYTES, anchor);
    PZ_ST_ASSERT(n >= PZ_MVCC_LOCAL_HDR_BYTES + anchor.len + PZ_MVCC_TERM_BYTES);
    if (id.len > 0) {
        memcpy(buf + n, id.ptr, id.len);
    }
    return n + id.len;
}

size_t pz__mvcc_key_gc(uint8_t *buf, size_t cap, uint64_t range_id)
{
    PZ_ST_ASSERT(buf != NULL && cap >= PZ_MVCC_GC_KEY_BYTES);
    buf[0] = 0x00;
    buf[1] = 0x00;
    buf[2] = PZ_MVCC_LOCAL_GC;
    for (int i = 0; i < 8; i++) {
        buf[PZ_MVCC_LOCAL_HDR_BYTES + i] = (uint8_t)(range_id >> (56 - 8 * i));
    }
    return PZ_MVCC_GC_KEY_BYTES;
}

/* Length of the prefix (through the terminator) at the start of key, or 0 if malformed. */
static size_t s_prefix_len(const uint8_t *key, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *z = memchr(key + pos, 0x00, len - pos);
        if (z == NULL || (size_t)(z - key) + 1 >= len) {
            return 0;
        }
        size_t at = (size_t)(z - key);
        if (key[at + 1] == 0x01) {
            return at + 2;
        }
        if (key[at + 1] != 0xFF) {
            return 0;
        }
        pos = at + 2;
    }
    return 0;
}

int pz__mvcc_key_split(const uint8_t *key, size_t len, pz_mvcc_key_t *out)
{
    PZ_ST_ASSERT(key != NULL && out != NULL);
    size_t n = s_prefix_len(key, len);
    if (n == 0 || (len != n && len != n + PZ_MVCC_TS_BYTES)) {
        return PZ_ECORRUPT;
    }
    out->prefix.ptr = key;
    out->prefix.len = (uint32_t)n;
    out->has_ts = len > n;
    out->ts.wall = 0;
    out->ts.logical = 0;
    if (out->has_ts) {
        uint64_t w = 0;
        uint32_t l = 0;
        for (int i = 0; i < 8; i++) {
            w = (w << 8) | key[n + i];
        }
        for (int i = 0; i < 4; i++) {
            l = (l << 8) | key[n + 8 + i];
        }
        out->ts.wall = ~w;
        out->ts.logical = ~l;
    }
    return 0;
}

int pz__mvcc_key_user(pz_view_t prefix, uint8_t *out, size_t cap, size_t *out_len)
{
    PZ_ST_ASSERT(prefix.ptr != NULL && out != NULL && out_len != NULL);
    size_t pos = 0;
    int rc = pz_key_get_bytes(prefix, &pos, out, cap, out_len);
    if (rc != 0 || pos != prefix.len) {
        return PZ_ECORRUPT;
    }
    PZ_ST_ASSERT(*out_len <= prefix.len - PZ_MVCC_TERM_BYTES);
    return 0;
}
