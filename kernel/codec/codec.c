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

static uint64_t s_be(const uint8_t *p, size_t n)
{
    assert(n <= 8);
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
static int s_scan_one(const uint8_t *d, size_t len, size_t *pos, uint64_t *children,
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
