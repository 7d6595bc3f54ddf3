/*
 * envelope.c — the first frame of every message (msg.h):
 *     [magic, proto_version, type, type_version, flags, corr, deadline_ns, to, from]
 *
 * Decoding checks magic and protocol version before anything else, so a peer speaking another
 * protocol generation gets PZ_EVERSION rather than a confusing PZ_EPROTO about a later field.
 * Like a schema struct, the envelope tolerates elements appended after the nine (ignored), so a
 * field can be added within protocol version 1 without breaking older receivers; fewer than nine
 * is malformed. Addresses are msgpack strings, shorter than PZ_ADDR_BYTES_MAX and without NUL
 * bytes, because the receiver stores them as C strings. An encoder given proto_version 0 writes
 * PZ_PROTO_VERSION: 0 is no version, and the sender means its own.
 */
#include "phantomzero/msg.h"

#include <assert.h>
#include <string.h>

#define S_FIELDS 9
/* Elements accepted in the array: the nine plus room for appended ones. */
#define S_FIELDS_MAX 64

/* A msgpack write callback into a fixed buffer: fails instead of growing. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
} s_fixed_t;

static int s_fixed_write(void *data, const char *p, size_t n)
{
    s_fixed_t *f = data;
    assert(f->len <= f->cap);
    if (n > f->cap - f->len) {
        return -1;
    }
    if (n > 0) {
        memcpy(f->buf + f->len, p, n);
    }
    f->len += n;
    return 0;
}

static int s_pack_addr(msgpack_packer *pk, const char *addr)
{
    size_t n = strnlen(addr, PZ_ADDR_BYTES_MAX);
    assert(n < PZ_ADDR_BYTES_MAX);
    int rc = msgpack_pack_str(pk, n);
    if (rc == 0 && n > 0) {
        rc = msgpack_pack_str_body(pk, addr, n);
    }
    return rc;
}

int pz_envelope_encode(const pz_envelope_t *e, uint8_t *buf, size_t cap, size_t *len)
{
    assert(e != NULL && len != NULL);
    assert(buf != NULL || cap == 0);
    /* An address filling its whole array has no NUL: too long to be one. */
    if (strnlen(e->to, PZ_ADDR_BYTES_MAX) == PZ_ADDR_BYTES_MAX ||
        strnlen(e->from, PZ_ADDR_BYTES_MAX) == PZ_ADDR_BYTES_MAX) {
        return PZ_ETOOBIG;
    }
    s_fixed_t f = {buf, cap < PZ_ENVELOPE_BYTES_MAX ? cap : PZ_ENVELOPE_BYTES_MAX, 0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &f, s_fixed_write);
    int rc = msgpack_pack_array(&pk, S_FIELDS);
    rc = rc ? rc : msgpack_pack_uint32(&pk, PZ_MSG_MAGIC);
    uint16_t version = e->proto_version ? e->proto_version : PZ_PROTO_VERSION;
    rc = rc ? rc : msgpack_pack_uint16(&pk, version);
    rc = rc ? rc : msgpack_pack_uint16(&pk, e->type);
    rc = rc ? rc : msgpack_pack_uint16(&pk, e->type_version);
    rc = rc ? rc : msgpack_pack_uint8(&pk, e->flags);
    rc = rc ? rc : msgpack_pack_uint64(&pk, e->corr);
    rc = rc ? rc : msgpack_pack_uint64(&pk, e->deadline_ns);
    rc = rc ? rc : s_pack_addr(&pk, e->to);
    rc = rc ? rc : s_pack_addr(&pk, e->from);
    if (rc != 0) {
        return PZ_ETOOBIG;
    }
    assert(f.len > 0 && f.len <= PZ_ENVELOPE_BYTES_MAX);
    *len = f.len;
    return 0;
}

static int s_dec_addr(const msgpack_object *o, char *out)
{
    pz_view_t v;
    int rc = pz__dec_str(o, &v);
    if (rc != 0) {
        return rc;
    }
    if (v.len >= PZ_ADDR_BYTES_MAX || (v.len > 0 && memchr(v.ptr, 0, v.len) != NULL)) {
        return PZ_EPROTO;
    }
    if (v.len > 0) {
        memcpy(out, v.ptr, v.len);
    }
    out[v.len] = '\0';
    return 0;
}

/* The nine fields of a version-1 envelope; magic and version were checked by the caller. */
static int s_dec_fields(const msgpack_object *f, pz_envelope_t *e)
{
    uint64_t type, type_version, flags;
    int rc = pz__dec_uint(&f[2], UINT16_MAX, &type);
    rc = rc ? rc : pz__dec_uint(&f[3], UINT16_MAX, &type_version);
    rc = rc ? rc : pz__dec_uint(&f[4], UINT8_MAX, &flags);
    rc = rc ? rc : pz__dec_uint(&f[5], UINT64_MAX, &e->corr);
    rc = rc ? rc : pz__dec_uint(&f[6], UINT64_MAX, &e->deadline_ns);
    rc = rc ? rc : s_dec_addr(&f[7], e->to);
    rc = rc ? rc : s_dec_addr(&f[8], e->from);
    if (rc != 0) {
        return rc;
    }
    e->type = (uint16_t)type;
    e->type_version = (uint16_t)type_version;
    e->flags = (uint8_t)flags;
    return 0;
}

int pz_envelope_decode(const uint8_t *buf, size_t len, pz_envelope_t *e)
{
    assert(e != NULL);
    assert(buf != NULL || len == 0);
    memset(e, 0, sizeof *e);
    if (len > PZ_ENVELOPE_BYTES_MAX) {
        return PZ_EPROTO;
    }
    msgpack_unpacked u;
    int rc = pz__unpack(buf, len, &u);
    const msgpack_object *f = NULL;
    uint32_t n = 0;
    uint64_t magic = 0, version = 0;
    rc = rc ? rc : pz__dec_arr(&u.data, S_FIELDS_MAX, &f, &n);
    rc = rc ? rc : (n >= 2 ? 0 : PZ_EPROTO);
    rc = rc ? rc : pz__dec_uint(&f[0], UINT32_MAX, &magic);
    rc = rc ? rc : (magic == PZ_MSG_MAGIC ? 0 : PZ_EPROTO);
    rc = rc ? rc : pz__dec_uint(&f[1], UINT64_MAX, &version);
    rc = rc ? rc : (version == PZ_PROTO_VERSION ? 0 : PZ_EVERSION);
    rc = rc ? rc : (n >= S_FIELDS ? 0 : PZ_EPROTO);
    rc = rc ? rc : s_dec_fields(f, e);
    msgpack_unpacked_destroy(&u);
    if (rc != 0) {
        memset(e, 0, sizeof *e);
        return rc;
    }
    e->proto_version = (uint16_t)version;
    return 0;
}
