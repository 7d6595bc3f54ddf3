/*
 * envelope.c — the envelope (msg.h): a fixed little-endian header, then the two addresses; the
 * body follows it in the same frame.
 *
 *   offset  size  field
 *        0     4  magic PZ_MSG_MAGIC
 *        4     2  proto_version
 *        6     2  type
 *        8     2  type_version
 *       10     1  flags
 *       11     1  to_len    (< PZ_ADDR_BYTES_MAX)
 *       12     1  from_len  (< PZ_ADDR_BYTES_MAX)
 *       13     3  reserved, zero
 *       16     8  corr
 *       24     8  deadline_ns
 *       32        to bytes, then from bytes; the body starts right after
 *
 * Why not msgpack like the bodies: every hop decodes an envelope, and a msgpack decode (object
 * tree, zone allocation) cost ~2,600 instructions against ~100 for this; a request through five
 * layers decodes ten of them. The body keeps the schema codec and its versioning rules; the
 * envelope's own evolution goes through proto_version.
 */
#include "phantomzero/msg.h"

#include <assert.h>
#include <string.h>

#define S_HEADER_BYTES 32u

static void s_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void s_put32(uint8_t *p, uint32_t v)
{
    s_put16(p, (uint16_t)v);
    s_put16(p + 2, (uint16_t)(v >> 16));
}

static void s_put64(uint8_t *p, uint64_t v)
{
    s_put32(p, (uint32_t)v);
    s_put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t s_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t)s_get16(p) | ((uint32_t)s_get16(p + 2) << 16);
}

static uint64_t s_get64(const uint8_t *p)
{
    return (uint64_t)s_get32(p) | ((uint64_t)s_get32(p + 4) << 32);
}

int pz_envelope_encode(const pz_envelope_t *e, uint8_t *buf, size_t cap, size_t *len)
{
    assert(e != NULL && buf != NULL && len != NULL);
    size_t to_len = strnlen(e->to, PZ_ADDR_BYTES_MAX);
    size_t from_len = strnlen(e->from, PZ_ADDR_BYTES_MAX);
    if (to_len >= PZ_ADDR_BYTES_MAX || from_len >= PZ_ADDR_BYTES_MAX) {
        return PZ_ETOOBIG; /* unterminated address */
    }
    size_t n = S_HEADER_BYTES + to_len + from_len;
    if (n > cap || n > PZ_ENVELOPE_BYTES_MAX) {
        return PZ_ETOOBIG;
    }
    s_put32(buf, PZ_MSG_MAGIC);
    s_put16(buf + 4, e->proto_version ? e->proto_version : PZ_PROTO_VERSION);
    s_put16(buf + 6, e->type);
    s_put16(buf + 8, e->type_version);
    buf[10] = e->flags;
    buf[11] = (uint8_t)to_len;
    buf[12] = (uint8_t)from_len;
    buf[13] = buf[14] = buf[15] = 0;
    s_put64(buf + 16, e->corr);
    s_put64(buf + 24, e->deadline_ns);
    memcpy(buf + S_HEADER_BYTES, e->to, to_len);
    memcpy(buf + S_HEADER_BYTES + to_len, e->from, from_len);
    *len = n;
    return 0;
}

static int s_addr(const uint8_t *p, size_t n, char *out)
{
    assert(n < PZ_ADDR_BYTES_MAX);
    if (n > 0 && memchr(p, '\0', n) != NULL) {
        return PZ_EPROTO;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

int pz_envelope_decode(const uint8_t *buf, size_t len, pz_envelope_t *e)
{
    assert(e != NULL);
    if (buf == NULL || len < S_HEADER_BYTES || len > PZ_ENVELOPE_BYTES_MAX) {
        return PZ_EPROTO;
    }
    if (s_get32(buf) != PZ_MSG_MAGIC) {
        return PZ_EPROTO;
    }
    uint16_t version = s_get16(buf + 4);
    if (version != PZ_PROTO_VERSION) {
        return PZ_EVERSION;
    }
    size_t to_len = buf[11], from_len = buf[12];
    if (buf[13] || buf[14] || buf[15] || S_HEADER_BYTES + to_len + from_len != len) {
        return PZ_EPROTO;
    }
    e->proto_version = version;
    e->type = s_get16(buf + 6);
    e->type_version = s_get16(buf + 8);
    e->flags = buf[10];
    e->corr = s_get64(buf + 16);
    e->deadline_ns = s_get64(buf + 24);
    int rc = s_addr(buf + S_HEADER_BYTES, to_len, e->to);
    return rc ? rc : s_addr(buf + S_HEADER_BYTES + to_len, from_len, e->from);
}

size_t pz_envelope_len(const uint8_t *buf, size_t len)
{
    if (buf == NULL || len < S_HEADER_BYTES) {
        return 0;
    }
    return S_HEADER_BYTES + (size_t)buf[11] + (size_t)buf[12];
}
