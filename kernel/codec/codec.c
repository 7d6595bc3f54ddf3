/*
 * codec.c — the helpers the schema generators in codec.h call: strict scalar decoders, view
 * encoders, the seeded generator behind fill_random, and pz__unpack, the one place received
 * bytes become a msgpack object tree.
 *
 * pz__unpack walks the bytes once before msgpack-c sees them (s_scan). msgpack-c allocates a
 * container's element array as soon as it reads the header, so a five-byte "array of 4 billion"
 * would otherwise be a 100 GB allocation; it also accepts trailing bytes and nests as deep as it
 * is told. The walk proves the document is one complete object, that every count fits in the
 * bytes that remain (each element takes at least one byte, so the tree is at most one object
 * per input byte), and that nesting stays within S_NEST_MAX. Only then does msgpack-c build the
 * tree, and its strings point into the caller's buffer rather than being copied.
 */
#include "phantomzero/codec.h"

#include <assert.h>
#include <stdint.h>

/* Containers open at once. Schemas nest a few levels; an ARR field adds a level between two
 * structs, hence twice the decoder's struct depth. This is also msgpack-c's embedded parse
 * stack, past which it would start allocating. */
#define S_NEST_MAX (2 * PZ_DECODE_DEPTH_MAX)

/* ---------------------------------------------------------------------------------------- */
/* Scalars                                                                                   */

int pz__dec_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
    assert(o != NULL);
    assert(out != NULL);
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max) {
        return PZ_EPROTO;
    }
    *out = o->via.u64;
    return 0;
}

int pz__dec_int(const msgpack_object *o, int64_t min, int64_t max, int64_t *out)
{
    assert(o != NULL && out != NULL);
    assert(min <= max);
    int64_t v;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX) {
            return PZ_EPROTO;
        }
        v = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        v = o->via.i64;
    } else {
        return PZ_EPROTO;
    }
    if (v < min || v > max) {
        return PZ_EPROTO;
    }
    *out = v;
    return 0;
}

int pz__dec_bool(const msgpack_object *o, bool *out)
{
    assert(o != NULL);
    assert(out != NULL);
    if (o->type != MSGPACK_OBJECT_BOOLEAN) {
        return PZ_EPROTO;
    }
    *out = o->via.boolean;
    return 0;
}

int pz__dec_f64(const msgpack_object *o, double *out)
{
    assert(o != NULL);
    assert(out != NULL);
    /* msgpack-c widens float32 into via.f64; both are floats, integers are not. */
    if (o->type != MSGPACK_OBJECT_FLOAT64 && o->type != MSGPACK_OBJECT_FLOAT32) {
        return PZ_EPROTO;
    }
    *out = o->via.f64;
    return 0;
}

int pz__dec_bytes(const msgpack_object *o, pz_view_t *out)
{
    assert(o != NULL);
    assert(out != NULL);
    if (o->type != MSGPACK_OBJECT_BIN) {
        return PZ_EPROTO;
    }
    out->ptr = (const uint8_t *)o->via.bin.ptr;
    out->len = o->via.bin.size;
    return 0;
}

int pz__dec_str(const msgpack_object *o, pz_view_t *out)
{
    assert(o != NULL);
    assert(out != NULL);
    if (o->type != MSGPACK_OBJECT_STR) {
        return PZ_EPROTO;
    }
    out->ptr = (const uint8_t *)o->via.str.ptr;
    out->len = o->via.str.size;
    return 0;
}

int pz__dec_arr(const msgpack_object *o, uint32_t max, const msgpack_object **items, uint32_t *n)
{
    assert(o != NULL);
    assert(items != NULL && n != NULL);
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > max) {
        return PZ_EPROTO;
    }
    *items = o->via.array.ptr;
    *n = o->via.array.size;
    return 0;
}

int pz__enc_bytes(msgpack_packer *pk, pz_view_t v)
{
    assert(pk != NULL);
    assert(v.ptr != NULL || v.len == 0);
    int rc = msgpack_pack_bin(pk, v.len);
    /* No body call for an empty view: its ptr may be NULL, which memcpy must not see. */
    if (rc == 0 && v.len > 0) {
        rc = msgpack_pack_bin_body(pk, v.ptr, v.len);
    }
    return rc == 0 ? 0 : PZ_ENOMEM;
}

int pz__enc_str(msgpack_packer *pk, pz_view_t v)
{
    assert(pk != NULL);
    assert(v.ptr != NULL || v.len == 0);
    int rc = msgpack_pack_str(pk, v.len);
    if (rc == 0 && v.len > 0) {
        rc = msgpack_pack_str_body(pk, v.ptr, v.len);
    }
    return rc == 0 ? 0 : PZ_ENOMEM;
}

/* splitmix64: a full-period generator whose every seed, including 0, gives a good stream, so
 * tests can use small seeds. */
uint64_t pz__rand_next(uint64_t *seed)
{
    assert(seed != NULL);
    uint64_t z = (*seed += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Short random byte strings, sometimes empty, often with 0x00 and 0xff inside: the bytes that
 * break escaping and length handling. Empty on arena exhaustion. */
pz_view_t pz__rand_bytes(pz_arena_t *a, uint64_t *seed)
{
    assert(a != NULL);
    assert(seed != NULL);
    pz_view_t v = {NULL, 0};
    uint64_t r = pz__rand_next(seed);
    uint32_t n = (r & 7) == 0 ? 0 : (uint32_t)((r >> 3) % 33);
    uint8_t *p = pz_arena_alloc(a, n);
    if (p == NULL) {
        return v;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t b = pz__rand_next(seed);
        p[i] = (b & 3) == 0 ? ((b & 4) ? 0x00 : 0xff) : (uint8_t)(b >> 8);
    }
    v.ptr = p;
    v.len = n;
    return v;
}

/* ---------------------------------------------------------------------------------------- */
/* Unpacking                                                                                 */

/* The scan and the cursor readers run over every byte of every received body: their small
 * helpers are forced inline (GCC would otherwise keep an out-of-line copy of s_scan_one, shared
 * with the skip path, at twice the scan's instructions). */
#define S_INLINE static inline __attribute__((always_inline))

/* A big-endian number of n <= 8 bytes; the widths msgpack uses are single loads. */
S_INLINE uint64_t s_be(const uint8_t *p, size_t n)
{
    assert(n <= 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (n) {
    case 1:
        return p[0];
    case 2:
        memcpy(&v16, p, sizeof v16);
        return __builtin_bswap16(v16);
    case 4:
        memcpy(&v32, p, sizeof v32);
        return __builtin_bswap32(v32);
    case 8:
        memcpy(&v64, p, sizeof v64);
        return __builtin_bswap64(v64);
    default:
        break;
    }
#endif
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* How each header byte 0xc0..0xdf continues: `skip` fixed payload bytes (S_BAD: a byte msgpack
 * never uses), a length of `lenw` bytes followed by that many payload bytes (ext: after its type
 * byte, counted in skip), or a count of `cntw` bytes followed by count * `per` objects (1 for an
 * array, 2 for a map's keys and values). */
#define S_BAD 0xff
typedef struct {
    uint8_t skip;
    uint8_t lenw;
    uint8_t cntw;
    uint8_t per;
} s_fmt_t;

static const s_fmt_t s_fmt[0x20] = {
    [0x00] = {0, 0, 0, 0},     /* nil */
    [0x01] = {S_BAD, 0, 0, 0}, /* never used */
    [0x02] = {0, 0, 0, 0},     /* false */
    [0x03] = {0, 0, 0, 0},     /* true */
    [0x04] = {0, 1, 0, 0},     /* bin 8 */
    [0x05] = {0, 2, 0, 0},     /* bin 16 */
    [0x06] = {0, 4, 0, 0},     /* bin 32 */
    [0x07] = {1, 1, 0, 0},     /* ext 8 */
    [0x08] = {1, 2, 0, 0},     /* ext 16 */
    [0x09] = {1, 4, 0, 0},     /* ext 32 */
    [0x0a] = {4, 0, 0, 0},     /* float 32 */
    [0x0b] = {8, 0, 0, 0},     /* float 64 */
    [0x0c] = {1, 0, 0, 0},     /* uint 8 */
    [0x0d] = {2, 0, 0, 0},     /* uint 16 */
    [0x0e] = {4, 0, 0, 0},     /* uint 32 */
    [0x0f] = {8, 0, 0, 0},     /* uint 64 */
    [0x10] = {1, 0, 0, 0},     /* int 8 */
    [0x11] = {2, 0, 0, 0},     /* int 16 */
    [0x12] = {4, 0, 0, 0},     /* int 32 */
    [0x13] = {8, 0, 0, 0},     /* int 64 */
    [0x14] = {2, 0, 0, 0},     /* fixext 1 (type byte + data) */
    [0x15] = {3, 0, 0, 0},     /* fixext 2 */
    [0x16] = {5, 0, 0, 0},     /* fixext 4 */
    [0x17] = {9, 0, 0, 0},     /* fixext 8 */
    [0x18] = {17, 0, 0, 0},    /* fixext 16 */
    [0x19] = {0, 1, 0, 0},     /* str 8 */
    [0x1a] = {0, 2, 0, 0},     /* str 16 */
    [0x1b] = {0, 4, 0, 0},     /* str 32 */
    [0x1c] = {0, 0, 2, 1},     /* array 16 */
    [0x1d] = {0, 0, 4, 1},     /* array 32 */
    [0x1e] = {0, 0, 2, 2},     /* map 16 */
    [0x1f] = {0, 0, 4, 2},     /* map 32 */
};

/* Reads one object header at *pos and skips a scalar's payload. For a container, sets
 * *is_container and *children (the objects it holds: map entries count twice). */
S_INLINE int s_scan_one(const uint8_t *d, size_t len, size_t *pos, uint64_t *children,
                        bool *is_container)
{
    assert(*pos < len);
    uint8_t b = d[(*pos)++];
    uint64_t skip = 0;
    *children = 0;
    *is_container = false;
    if (b <= 0x7f || b >= 0xe0) {
        return 0; /* positive and negative fixint */
    }
    if (b <= 0x9f) {
        *is_container = true; /* fixmap 0x80.., fixarray 0x90.. */
        *children = (uint64_t)(b & 0x0f) * (b <= 0x8f ? 2 : 1);
    } else if (b <= 0xbf) {
        skip = b & 0x1f; /* fixstr */
    } else {
        const s_fmt_t *f = &s_fmt[b - 0xc0];
        size_t w = (size_t)f->lenw + f->cntw;
        if (f->skip == S_BAD || w > len - *pos) {
            return PZ_EPROTO;
        }
        uint64_t v = s_be(d + *pos, w);
        *pos += w;
        skip = f->skip + (f->lenw ? v : 0);
        if (f->cntw) {
            *is_container = true;
            *children = v * f->per;
        }
    }
    if (skip > len - *pos || *children > len - *pos) {
        return PZ_EPROTO; /* payload past the end, or more elements than bytes left */
    }
    *pos += (size_t)skip;
    return 0;
}

/* Proves data[0..len) is exactly one complete msgpack object within the bounds above. */
static int s_scan(const uint8_t *d, size_t len)
{
    uint64_t left[S_NEST_MAX + 1];
    int top = 0;
    size_t pos = 0;
    left[0] = 1; /* the root: one object */
    while (top >= 0) {
        if (left[top] == 0) {
            top--;
            continue;
        }
        if (pos >= len) {
            return PZ_EPROTO; /* truncated */
        }
        left[top]--;
        uint64_t children = 0;
        bool container = false;
        int rc = s_scan_one(d, len, &pos, &children, &container);
        if (rc != 0) {
            return rc;
        }
        if (container) {
            if (top + 1 > S_NEST_MAX) {
                return PZ_EPROTO;
            }
            left[++top] = children;
        }
    }
    assert(pos <= len);
    return pos == len ? 0 : PZ_EPROTO; /* trailing bytes after the document */
}

#define S_UNPACK_ZONE_BYTES 960u

int pz__unpack(const uint8_t *data, size_t len, msgpack_unpacked *out)
{
    assert(out != NULL);
    assert(data != NULL || len == 0);
    msgpack_unpacked_init(out);
    if (len == 0 || len > PZ_MSG_BODY_BYTES_MAX) {
        return PZ_EPROTO;
    }
    int rc = s_scan(data, len);
    if (rc != 0) {
        return rc;
    }
    /* msgpack-c's default zone chunk is 8 KiB, past glibc's tcache: a small first chunk keeps
     * the common small message on the allocator's fast path (the zone grows when needed). */
    out->zone = msgpack_zone_new(S_UNPACK_ZONE_BYTES);
    if (out->zone == NULL) {
        return PZ_ENOMEM;
    }
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack_next(out, (const char *)data, len, &off);
    if (r == MSGPACK_UNPACK_SUCCESS && off == len) {
        return 0;
    }
    /* Unreachable after s_scan but for allocation failure; never trust that. */
    msgpack_unpacked_destroy(out);
    msgpack_unpacked_init(out);
    return r == MSGPACK_UNPACK_NOMEM_ERROR ? PZ_ENOMEM : PZ_EPROTO;
}

/* ---------------------------------------------------------------------------------------- */
/* Cursor decoding                                                                           */
/*
 * The readers below mirror msgpack-c's tree building (unpack.c's template callbacks) as seen
 * through the pz__dec_* helpers: every integer encoding becomes POSITIVE_INTEGER when its value
 * is >= 0 and NEGATIVE_INTEGER otherwise (int8..int64 included), float32 is widened to double,
 * str and bin stay apart, and ext is accepted by no field. A view points at its payload in the
 * input as msgpack-c's does. Of an empty one only the pointer's NULL-ness can matter to a
 * reader, and it is kept: NULL for an empty fixstr (0xa0), as msgpack-c leaves it, and inside
 * the input otherwise (msgpack-c then points at the length bytes, here at the empty payload).
 */

int pz__cur_init(const uint8_t *data, size_t len, pz_cur_t *c)
{
    assert(c != NULL);
    assert(data != NULL || len == 0);
    c->p = data;
    c->end = data;
    c->skipped = false;
    if (len == 0 || len > PZ_MSG_BODY_BYTES_MAX) {
        return PZ_EPROTO;
    }
    int rc = s_scan(data, len);
    if (rc != 0) {
        return rc;
    }
    c->end = data + len;
    return 0;
}

S_INLINE size_t s_left(const pz_cur_t *c)
{
    assert(c->p <= c->end);
    return (size_t)(c->end - c->p);
}

/* Reads a header byte followed by a w-byte big-endian number. */
S_INLINE int s_cur_num(pz_cur_t *c, size_t w, uint64_t *v)
{
    if (s_left(c) < 1 + w) {
        return PZ_EPROTO;
    }
    *v = s_be(c->p + 1, w);
    c->p += 1 + w;
    return 0;
}

/* Any integer encoding: *v is its value as two's complement, *neg whether it is below zero. */
S_INLINE int s_cur_integer(pz_cur_t *c, uint64_t *v, bool *neg)
{
    if (s_left(c) < 1) {
        return PZ_EPROTO;
    }
    uint8_t b = *c->p;
    *neg = false;
    if (b <= 0x7f) {
        c->p++;
        *v = b;
        return 0;
    }
    if (b >= 0xe0) {
        c->p++;
        *v = (uint64_t)(int64_t)(int8_t)b;
        *neg = true;
        return 0;
    }
    if (b >= 0xcc && b <= 0xcf) { /* uint 8/16/32/64 */
        return s_cur_num(c, (size_t)1 << (b - 0xcc), v);
    }
    if (b >= 0xd0 && b <= 0xd3) { /* int 8/16/32/64: sign-extend from the width */
        size_t w = (size_t)1 << (b - 0xd0);
        int rc = s_cur_num(c, w, v);
        if (rc == 0 && w < 8 && (*v >> (8 * w - 1)) != 0) {
            *v |= ~(uint64_t)0 << (8 * w);
        }
        *neg = rc == 0 && (int64_t)*v < 0;
        return rc;
    }
    return PZ_EPROTO;
}

int pz__cur_uint(pz_cur_t *c, uint64_t max, uint64_t *out)
{
    assert(c != NULL);
    assert(out != NULL);
    uint64_t v = 0;
    bool neg = false;
    int rc = s_cur_integer(c, &v, &neg);
    if (rc != 0 || neg || v > max) {
        return PZ_EPROTO;
    }
    *out = v;
    return 0;
}

int pz__cur_int(pz_cur_t *c, int64_t min, int64_t max, int64_t *out)
{
    assert(c != NULL && out != NULL);
    assert(min <= max);
    uint64_t v = 0;
    bool neg = false;
    int rc = s_cur_integer(c, &v, &neg);
    if (rc != 0 || (!neg && v > (uint64_t)INT64_MAX)) {
        return PZ_EPROTO;
    }
    int64_t s = (int64_t)v;
    if (s < min || s > max) {
        return PZ_EPROTO;
    }
    *out = s;
    return 0;
}

int pz__cur_bool(pz_cur_t *c, bool *out)
{
    assert(c != NULL);
    assert(out != NULL);
    if (s_left(c) < 1 || (*c->p != 0xc2 && *c->p != 0xc3)) {
        return PZ_EPROTO;
    }
    *out = *c->p++ == 0xc3;
    return 0;
}

int pz__cur_f64(pz_cur_t *c, double *out)
{
    assert(c != NULL);
    assert(out != NULL);
    uint64_t bits = 0;
    if (s_left(c) < 1) {
        return PZ_EPROTO;
    }
    if (*c->p == 0xca) {
        if (s_cur_num(c, 4, &bits) != 0) {
            return PZ_EPROTO;
        }
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        *out = f; /* widened the way msgpack-c does, NaN payloads included */
        return 0;
    }
    if (*c->p == 0xcb && s_cur_num(c, 8, &bits) == 0) {
        memcpy(out, &bits, sizeof *out);
        return 0;
    }
    return PZ_EPROTO;
}

/* A str (is_str) or bin: header, then len payload bytes that the view points at. */
S_INLINE int s_cur_blob(pz_cur_t *c, bool is_str, pz_view_t *out)
{
    uint64_t len = 0;
    int rc = PZ_EPROTO;
    if (s_left(c) < 1) {
        return PZ_EPROTO;
    }
    uint8_t b = *c->p;
    if (is_str && b >= 0xa0 && b <= 0xbf) {
        c->p++;
        len = b & 0x1f;
        rc = 0;
    } else if (is_str && b >= 0xd9 && b <= 0xdb) { /* str 8/16/32 */
        rc = s_cur_num(c, (size_t)1 << (b - 0xd9), &len);
    } else if (!is_str && b >= 0xc4 && b <= 0xc6) { /* bin 8/16/32 */
        rc = s_cur_num(c, (size_t)1 << (b - 0xc4), &len);
    }
    if (rc != 0 || len > s_left(c)) {
        return PZ_EPROTO;
    }
    out->ptr = b == 0xa0 ? NULL : c->p;
    out->len = (uint32_t)len;
    c->p += len;
    return 0;
}

int pz__cur_bytes(pz_cur_t *c, pz_view_t *out)
{
    assert(c != NULL);
    assert(out != NULL);
    return s_cur_blob(c, false, out);
}

int pz__cur_str(pz_cur_t *c, pz_view_t *out)
{
    assert(c != NULL);
    assert(out != NULL);
    return s_cur_blob(c, true, out);
}

/* The count is also held to the bytes left (each element takes at least one), as s_scan does,
 * so a decoder handed bytes that skipped pz__cur_init still allocates no more than the input
 * justifies. */
int pz__cur_arr(pz_cur_t *c, uint32_t max, uint32_t *n)
{
    assert(c != NULL);
    assert(n != NULL);
    uint64_t cnt = 0;
    int rc = PZ_EPROTO;
    if (s_left(c) < 1) {
        return PZ_EPROTO;
    }
    uint8_t b = *c->p;
    if (b >= 0x90 && b <= 0x9f) {
        c->p++;
        cnt = b & 0x0f;
        rc = 0;
    } else if (b == 0xdc || b == 0xdd) { /* array 16/32 */
        rc = s_cur_num(c, b == 0xdc ? 2 : 4, &cnt);
    }
    if (rc != 0 || cnt > max || cnt > s_left(c)) {
        return PZ_EPROTO;
    }
    *n = (uint32_t)cnt;
    return 0;
}

bool pz__cur_nil(pz_cur_t *c)
{
    assert(c != NULL);
    if (s_left(c) >= 1 && *c->p == 0xc0) {
        c->p++;
        return true;
    }
    return false;
}

/* Iterative, not recursive: a container only adds its element count to the objects still to
 * skip, so nesting costs no stack. Every object takes at least one byte and s_scan_one refuses
 * counts past the bytes left, so the loop ends within s_left(c) steps and `pending` stays
 * below n + s_left(c). */
int pz__cur_skip(pz_cur_t *c, uint64_t n)
{
    assert(c != NULL);
    size_t len = s_left(c);
    size_t pos = 0;
    uint64_t pending = n;
    c->skipped = true;
    while (pending > 0) {
        if (pos >= len) {
            return PZ_EPROTO;
        }
        pending--;
        uint64_t children = 0;
        bool container = false;
        int rc = s_scan_one(c->p, len, &pos, &children, &container);
        if (rc != 0) {
            return rc;
        }
        pending += children;
    }
    assert(pos <= len);
    c->p += pos;
    return 0;
}
