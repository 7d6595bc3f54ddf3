/*
 * codec.h — one schema definition generates a message's struct, encoder, decoder, equality and
 * random-fill (for round-trip tests).
 *
 * A schema is an X-macro field list. Every row has four arguments: X(kind, name, type, max).
 *
 *     #define PZ_SCHEMA_pz_hlc(X)          \
 *         X(U64, wall, _, _)               \
 *         X(U32, logical, _, _)
 *     PZ_SCHEMA_DECLARE(pz_hlc)            // in a header: struct pz_hlc_t + prototypes
 *     PZ_SCHEMA_DEFINE(pz_hlc)             // in one .c file: the functions
 *
 * Kinds and their C fields:
 *     U8 U16 U32 U64 I32 I64   fixed-width integers
 *     BOOL                     bool
 *     F64                      double
 *     BYTES, STR               pz_view_t (msgpack bin / str) — a view into the received message
 *     STRUCT, T                T_t, encoded as a nested array
 *     OPT, T                   bool has_<name>; T_t <name> — nil when absent
 *     ARR, T, max              T_t *<name>; uint32_t <name>_len — at most `max` elements
 *
 * Wire form: a struct is a msgpack array of its fields in order. Fields are appended only, each
 * with a comment saying the version that added it. A decoder fills fields the sender did not
 * have with zeros (an older sender) and ignores fields it does not know (a newer sender).
 *
 * Decoded views and arrays live in the message's arena and in the received bytes: they die with
 * the message. Decoders never trust input: wrong types, oversized arrays, too deep nesting give
 * PZ_EPROTO, never a crash or an unbounded allocation.
 *
 * Two decoders are generated with the same semantics (what they accept, the zeros for missing
 * fields, the bounds): T_decode_cur reads the bytes in place through a cursor (pz_cur_t) with no
 * intermediate tree, and is the one received messages use; T_decode reads a msgpack-c object
 * tree (pz__unpack) and is kept as the reference the cursor decoder is tested against.
 */
#ifndef PHANTOMZERO_CODEC_H
#define PHANTOMZERO_CODEC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "phantomzero/errors.h"
#include "phantomzero/limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that belong to someone else (a message, an engine snapshot): never freed through it. */
typedef struct pz_view {
    const uint8_t *ptr;
    uint32_t len;
} pz_view_t;

static inline pz_view_t pz_view_str(const char *s)
{
    pz_view_t v = {(const uint8_t *)s, s ? (uint32_t)strlen(s) : 0};
    return v;
}

static inline bool pz_view_eq(pz_view_t a, pz_view_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Bytewise order, shorter first on a common prefix: the order of keys everywhere. */
static inline int pz_view_cmp(pz_view_t a, pz_view_t b)
{
    uint32_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c != 0) {
        return c;
    }
    return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Arena: bump allocation for one message's decoded arrays; freed all at once.              */

typedef struct pz_arena pz_arena_t;

/* NULL on allocation failure. */
pz_arena_t *pz_arena_new(void);
/* Frees everything allocated from it and sets *a to NULL. Safe on NULL. */
void pz_arena_destroy(pz_arena_t **a);
/* Zeroed memory, 16-byte aligned, living until the arena dies. NULL past PZ_ARENA_BYTES_MAX or
 * on allocation failure. */
void *pz_arena_alloc(pz_arena_t *a, size_t bytes);
/* Copies bytes into the arena. */
pz_view_t pz_arena_dup(pz_arena_t *a, const void *p, size_t len);
/* Bytes allocated so far. */
size_t pz_arena_used(const pz_arena_t *a);

/* ---------------------------------------------------------------------------------------- */
/* Scalar helpers used by the generated code (pz__ = internal, not for modules).             */

int pz__dec_uint(const msgpack_object *o, uint64_t max, uint64_t *out);
int pz__dec_int(const msgpack_object *o, int64_t min, int64_t max, int64_t *out);
int pz__dec_bool(const msgpack_object *o, bool *out);
int pz__dec_f64(const msgpack_object *o, double *out);
int pz__dec_bytes(const msgpack_object *o, pz_view_t *out);
int pz__dec_str(const msgpack_object *o, pz_view_t *out);
int pz__dec_arr(const msgpack_object *o, uint32_t max, const msgpack_object **items,
                uint32_t *n);
int pz__enc_bytes(msgpack_packer *pk, pz_view_t v);
int pz__enc_str(msgpack_packer *pk, pz_view_t v);
uint64_t pz__rand_next(uint64_t *seed);
pz_view_t pz__rand_bytes(pz_arena_t *a, uint64_t *seed);

/* Decodes a whole msgpack document into an object tree whose strings point into `data`
 * (data must outlive the tree). *zone receives the tree's memory: msgpack_unpacked_destroy it. */
int pz__unpack(const uint8_t *data, size_t len, msgpack_unpacked *out);

/* A read position in received msgpack bytes: the next object starts at p, the bytes end at end.
 * The pz__cur_* readers consume one object of the expected type and return 0, or PZ_EPROTO
 * (wrong type, out of range, or past end; *c is then unspecified and decoding stops). They
 * accept exactly what the pz__dec_* helpers accept from msgpack-c's tree: any integer encoding
 * whose value fits (a signed encoding of a non-negative value is fine for an unsigned field),
 * float32 (widened) or float64 for F64, bin for BYTES, str for STR, an array for a struct. */
typedef struct pz_cur {
    const uint8_t *p;
    const uint8_t *end;
    bool skipped; /* pz__cur_skip ran: objects the schema does not name were stepped over */
} pz_cur_t;

/* Proves data[0..len) is one complete msgpack document within pz__unpack's bounds (the same
 * scan, the same answer) and points *c at it. A decoder then reads it without re-checking
 * nesting or counts against the input, though every reader still checks bounds. */
int pz__cur_init(const uint8_t *data, size_t len, pz_cur_t *c);
int pz__cur_arr(pz_cur_t *c, uint32_t max, uint32_t *n);
int pz__cur_uint(pz_cur_t *c, uint64_t max, uint64_t *out);
int pz__cur_int(pz_cur_t *c, int64_t min, int64_t max, int64_t *out);
int pz__cur_bool(pz_cur_t *c, bool *out);
int pz__cur_f64(pz_cur_t *c, double *out);
int pz__cur_bytes(pz_cur_t *c, pz_view_t *out);
int pz__cur_str(pz_cur_t *c, pz_view_t *out);
/* True, and the nil consumed, if the next object is nil; false and nothing consumed otherwise. */
bool pz__cur_nil(pz_cur_t *c);
/* Skips n whole objects of any type (a newer sender's extra fields), containers included. */
int pz__cur_skip(pz_cur_t *c, uint64_t n);

/* ---------------------------------------------------------------------------------------- */
/* Generators                                                                                */

#define PZ_F_DECL(kind, name, T, max) PZ_F_DECL_##kind(name, T)
#define PZ_F_DECL_U8(n, T) uint8_t n;
#define PZ_F_DECL_U16(n, T) uint16_t n;
#define PZ_F_DECL_U32(n, T) uint32_t n;
#define PZ_F_DECL_U64(n, T) uint64_t n;
#define PZ_F_DECL_I32(n, T) int32_t n;
#define PZ_F_DECL_I64(n, T) int64_t n;
#define PZ_F_DECL_BOOL(n, T) bool n;
#define PZ_F_DECL_F64(n, T) double n;
#define PZ_F_DECL_BYTES(n, T) pz_view_t n;
#define PZ_F_DECL_STR(n, T) pz_view_t n;
#define PZ_F_DECL_STRUCT(n, T) T##_t n;
#define PZ_F_DECL_OPT(n, T) bool has_##n; T##_t n;
#define PZ_F_DECL_ARR(n, T) T##_t *n; uint32_t n##_len;

#define PZ_SCHEMA_DECLARE(T)                                                                     \
    typedef struct T { PZ_SCHEMA_##T(PZ_F_DECL) } T##_t;                                         \
    int T##_encode(msgpack_packer *pk, const T##_t *m);                                          \
    int T##_decode(const msgpack_object *o, T##_t *m, pz_arena_t *a, int depth);                 \
    int T##_decode_cur(pz_cur_t *c, T##_t *m, pz_arena_t *a, int depth);                         \
    bool T##_eq(const T##_t *x, const T##_t *y);                                                 \
    void T##_fill_random(T##_t *m, pz_arena_t *a, uint64_t *seed, int depth);

/* --- encode ------------------------------------------------------------------------------ */
#define PZ_F_COUNT(kind, name, T, max) +1
#define PZ_F_ENC(kind, name, T, max)                                                             \
    if ((rc = PZ_F_ENC_##kind(pk, m, name, T)) != 0) {                                           \
        return PZ_ENOMEM;                                                                        \
    }
#define PZ_F_ENC_U8(pk, m, n, T) msgpack_pack_uint64(pk, (m)->n)
#define PZ_F_ENC_U16(pk, m, n, T) msgpack_pack_uint64(pk, (m)->n)
#define PZ_F_ENC_U32(pk, m, n, T) msgpack_pack_uint64(pk, (m)->n)
#define PZ_F_ENC_U64(pk, m, n, T) msgpack_pack_uint64(pk, (m)->n)
#define PZ_F_ENC_I32(pk, m, n, T) msgpack_pack_int64(pk, (m)->n)
#define PZ_F_ENC_I64(pk, m, n, T) msgpack_pack_int64(pk, (m)->n)
#define PZ_F_ENC_BOOL(pk, m, n, T) ((m)->n ? msgpack_pack_true(pk) : msgpack_pack_false(pk))
#define PZ_F_ENC_F64(pk, m, n, T) msgpack_pack_double(pk, (m)->n)
#define PZ_F_ENC_BYTES(pk, m, n, T) pz__enc_bytes(pk, (m)->n)
#define PZ_F_ENC_STR(pk, m, n, T) pz__enc_str(pk, (m)->n)
#define PZ_F_ENC_STRUCT(pk, m, n, T) T##_encode(pk, &(m)->n)
#define PZ_F_ENC_OPT(pk, m, n, T) ((m)->has_##n ? T##_encode(pk, &(m)->n) : msgpack_pack_nil(pk))
#define PZ_F_ENC_ARR(pk, m, n, T)                                                                \
    __extension__({                                                                              \
        int r_ = msgpack_pack_array(pk, (m)->n##_len);                                           \
        for (uint32_t i_ = 0; r_ == 0 && i_ < (m)->n##_len; i_++) {                             \
            r_ = T##_encode(pk, &(m)->n[i_]);                                                    \
        }                                                                                        \
        r_;                                                                                      \
    })

/* --- decode ------------------------------------------------------------------------------ */
#define PZ_F_DEC(kind, name, T, max)                                                             \
    if (i_ < n_) {                                                                               \
        if ((rc = PZ_F_DEC_##kind(&f_[i_], m, name, T, max)) != 0) {                             \
            return rc;                                                                           \
        }                                                                                        \
    }                                                                                            \
    i_++;
#define PZ_F_DEC_UINT_(o, m, n, max_)                                                            \
    __extension__({                                                                              \
        uint64_t v_ = 0;                                                                         \
        int r_ = pz__dec_uint(o, max_, &v_);                                                     \
        (m)->n = v_;                                                                             \
        r_;                                                                                      \
    })
#define PZ_F_DEC_U8(o, m, n, T, max) PZ_F_DEC_UINT_(o, m, n, UINT8_MAX)
#define PZ_F_DEC_U16(o, m, n, T, max) PZ_F_DEC_UINT_(o, m, n, UINT16_MAX)
#define PZ_F_DEC_U32(o, m, n, T, max) PZ_F_DEC_UINT_(o, m, n, UINT32_MAX)
#define PZ_F_DEC_U64(o, m, n, T, max) PZ_F_DEC_UINT_(o, m, n, UINT64_MAX)
#define PZ_F_DEC_INT_(o, m, n, lo_, hi_)                                                         \
    __extension__({                                                                              \
        int64_t v_ = 0;                                                                          \
        int r_ = pz__dec_int(o, lo_, hi_, &v_);                                                  \
        (m)->n = v_;                                                                             \
        r_;                                                                                      \
    })
#define PZ_F_DEC_I32(o, m, n, T, max) PZ_F_DEC_INT_(o, m, n, INT32_MIN, INT32_MAX)
#define PZ_F_DEC_I64(o, m, n, T, max) PZ_F_DEC_INT_(o, m, n, INT64_MIN, INT64_MAX)
#define PZ_F_DEC_BOOL(o, m, n, T, max) pz__dec_bool(o, &(m)->n)
#define PZ_F_DEC_F64(o, m, n, T, max) pz__dec_f64(o, &(m)->n)
#define PZ_F_DEC_BYTES(o, m, n, T, max) pz__dec_bytes(o, &(m)->n)
#define PZ_F_DEC_STR(o, m, n, T, max) pz__dec_str(o, &(m)->n)
#define PZ_F_DEC_STRUCT(o, m, n, T, max) T##_decode(o, &(m)->n, a, depth + 1)
#define PZ_F_DEC_OPT(o, m, n, T, max)                                                            \
    ((o)->type == MSGPACK_OBJECT_NIL                                                             \
         ? ((m)->has_##n = false, 0)                                                             \
         : ((m)->has_##n = true, T##_decode(o, &(m)->n, a, depth + 1)))
#define PZ_F_DEC_ARR(o, m, n, T, max)                                                            \
    __extension__({                                                                              \
        const msgpack_object *it_ = NULL;                                                        \
        uint32_t cnt_ = 0;                                                                       \
        int r_ = pz__dec_arr(o, max, &it_, &cnt_);                                               \
        if (r_ == 0 && cnt_ > 0) {                                                               \
            (m)->n = pz_arena_alloc(a, sizeof(T##_t) * cnt_);                                    \
            r_ = (m)->n ? 0 : PZ_ENOMEM;                                                         \
        }                                                                                        \
        for (uint32_t j_ = 0; r_ == 0 && j_ < cnt_; j_++) {                                      \
            r_ = T##_decode(&it_[j_], &(m)->n[j_], a, depth + 1);                                \
        }                                                                                        \
        (m)->n##_len = r_ == 0 ? cnt_ : 0;                                                       \
        r_;                                                                                      \
    })

/* --- decode through a cursor: the same steps as above, in place -------------------------- */
#define PZ_F_CDEC(kind, name, T, max)                                                            \
    if (i_ < n_) {                                                                               \
        if ((rc = PZ_F_CDEC_##kind(c, m, name, T, max)) != 0) {                                  \
            return rc;                                                                           \
        }                                                                                        \
    }                                                                                            \
    i_++;
#define PZ_F_CDEC_UINT_(c, m, n, max_)                                                           \
    __extension__({                                                                              \
        uint64_t v_ = 0;                                                                         \
        int r_ = pz__cur_uint(c, max_, &v_);                                                     \
        (m)->n = v_;                                                                             \
        r_;                                                                                      \
    })
#define PZ_F_CDEC_U8(c, m, n, T, max) PZ_F_CDEC_UINT_(c, m, n, UINT8_MAX)
#define PZ_F_CDEC_U16(c, m, n, T, max) PZ_F_CDEC_UINT_(c, m, n, UINT16_MAX)
#define PZ_F_CDEC_U32(c, m, n, T, max) PZ_F_CDEC_UINT_(c, m, n, UINT32_MAX)
#define PZ_F_CDEC_U64(c, m, n, T, max) PZ_F_CDEC_UINT_(c, m, n, UINT64_MAX)
#define PZ_F_CDEC_INT_(c, m, n, lo_, hi_)                                                        \
    __extension__({                                                                              \
        int64_t v_ = 0;                                                                          \
        int r_ = pz__cur_int(c, lo_, hi_, &v_);                                                  \
        (m)->n = v_;                                                                             \
        r_;                                                                                      \
    })
#define PZ_F_CDEC_I32(c, m, n, T, max) PZ_F_CDEC_INT_(c, m, n, INT32_MIN, INT32_MAX)
#define PZ_F_CDEC_I64(c, m, n, T, max) PZ_F_CDEC_INT_(c, m, n, INT64_MIN, INT64_MAX)
#define PZ_F_CDEC_BOOL(c, m, n, T, max) pz__cur_bool(c, &(m)->n)
#define PZ_F_CDEC_F64(c, m, n, T, max) pz__cur_f64(c, &(m)->n)
#define PZ_F_CDEC_BYTES(c, m, n, T, max) pz__cur_bytes(c, &(m)->n)
#define PZ_F_CDEC_STR(c, m, n, T, max) pz__cur_str(c, &(m)->n)
#define PZ_F_CDEC_STRUCT(c, m, n, T, max) T##_decode_cur(c, &(m)->n, a, depth + 1)
#define PZ_F_CDEC_OPT(c, m, n, T, max)                                                           \
    (pz__cur_nil(c) ? ((m)->has_##n = false, 0)                                                  \
                    : ((m)->has_##n = true, T##_decode_cur(c, &(m)->n, a, depth + 1)))
#define PZ_F_CDEC_ARR(c, m, n, T, max)                                                           \
    __extension__({                                                                              \
        uint32_t cnt_ = 0;                                                                       \
        int r_ = pz__cur_arr(c, max, &cnt_);                                                     \
        if (r_ == 0 && cnt_ > 0) {                                                               \
            (m)->n = pz_arena_alloc(a, sizeof(T##_t) * cnt_);                                    \
            r_ = (m)->n ? 0 : PZ_ENOMEM;                                                         \
        }                                                                                        \
        for (uint32_t j_ = 0; r_ == 0 && j_ < cnt_; j_++) {                                      \
            r_ = T##_decode_cur(c, &(m)->n[j_], a, depth + 1);                                   \
        }                                                                                        \
        (m)->n##_len = r_ == 0 ? cnt_ : 0;                                                       \
        r_;                                                                                      \
    })

/* --- equality (tests) --------------------------------------------------------------------- */
#define PZ_F_EQ(kind, name, T, max)                                                              \
    if (!(PZ_F_EQ_##kind(x, y, name, T))) {                                                      \
        return false;                                                                            \
    }
#define PZ_F_EQ_SCALAR_(x, y, n) ((x)->n == (y)->n)
#define PZ_F_EQ_U8(x, y, n, T) PZ_F_EQ_SCALAR_(x, y, n)
#define PZ_F_EQ_U16(x, y, n, T) PZ_F_EQ_SCALAR_(x, y, n)
#define PZ_F_EQ_U32(x, y, n, T) PZ_F_EQ_SCALAR_(x, y, n)
#define PZ_F_EQ_U64(x, y, n, T) PZ_F_EQ_SCALAR_(x, y, n)
#define PZ_F_EQ_I32(x, y, n, T) PZ_F_EQ_SCALAR_(x, y, n)
#define PZ_F_EQ_I64(x, y, n, T) PZ_F_EQ_SCALAR_(x, y, n)
#define PZ_F_EQ_BOOL(x, y, n, T) PZ_F_EQ_SCALAR_(x, y, n)
#define PZ_F_EQ_F64(x, y, n, T) (memcmp(&(x)->n, &(y)->n, sizeof(double)) == 0)
#define PZ_F_EQ_BYTES(x, y, n, T) pz_view_eq((x)->n, (y)->n)
#define PZ_F_EQ_STR(x, y, n, T) pz_view_eq((x)->n, (y)->n)
#define PZ_F_EQ_STRUCT(x, y, n, T) T##_eq(&(x)->n, &(y)->n)
#define PZ_F_EQ_OPT(x, y, n, T)                                                                  \
    ((x)->has_##n == (y)->has_##n && (!(x)->has_##n || T##_eq(&(x)->n, &(y)->n)))
#define PZ_F_EQ_ARR(x, y, n, T)                                                                  \
    __extension__({                                                                              \
        bool e_ = (x)->n##_len == (y)->n##_len;                                                  \
        for (uint32_t i_ = 0; e_ && i_ < (x)->n##_len; i_++) {                                   \
            e_ = T##_eq(&(x)->n[i_], &(y)->n[i_]);                                               \
        }                                                                                        \
        e_;                                                                                      \
    })

/* --- random fill (round-trip tests and fuzz seeds) ----------------------------------------- */
#define PZ_F_RND(kind, name, T, max) PZ_F_RND_##kind(m, name, T, max);
#define PZ_F_RND_U8(m, n, T, max) (m)->n = (uint8_t)pz__rand_next(seed)
#define PZ_F_RND_U16(m, n, T, max) (m)->n = (uint16_t)pz__rand_next(seed)
#define PZ_F_RND_U32(m, n, T, max) (m)->n = (uint32_t)pz__rand_next(seed)
#define PZ_F_RND_U64(m, n, T, max) (m)->n = pz__rand_next(seed)
#define PZ_F_RND_I32(m, n, T, max) (m)->n = (int32_t)pz__rand_next(seed)
#define PZ_F_RND_I64(m, n, T, max) (m)->n = (int64_t)pz__rand_next(seed)
#define PZ_F_RND_BOOL(m, n, T, max) (m)->n = pz__rand_next(seed) & 1
#define PZ_F_RND_F64(m, n, T, max) (m)->n = (double)(pz__rand_next(seed) % 1000000) / 7.0
#define PZ_F_RND_BYTES(m, n, T, max) (m)->n = pz__rand_bytes(a, seed)
#define PZ_F_RND_STR(m, n, T, max) (m)->n = pz__rand_bytes(a, seed)
#define PZ_F_RND_STRUCT(m, n, T, max) T##_fill_random(&(m)->n, a, seed, depth + 1)
#define PZ_F_RND_OPT(m, n, T, max)                                                                    \
    do {                                                                                         \
        (m)->has_##n = depth < 3 && (pz__rand_next(seed) & 1);                                   \
        if ((m)->has_##n) {                                                                      \
            T##_fill_random(&(m)->n, a, seed, depth + 1);                                        \
        }                                                                                        \
    } while (0)
#define PZ_F_RND_ARR(m, n, T, max)                                                                    \
    do {                                                                                         \
        uint32_t c_ = depth < 3 ? (uint32_t)(pz__rand_next(seed) % 4) : 0;                       \
        c_ = c_ > (uint32_t)(max) ? (uint32_t)(max) : c_;                                        \
        (m)->n = c_ ? pz_arena_alloc(a, sizeof(T##_t) * c_) : NULL;                              \
        (m)->n##_len = (m)->n ? c_ : 0;                                                          \
        for (uint32_t i_ = 0; i_ < (m)->n##_len; i_++) {                                         \
            T##_fill_random(&(m)->n[i_], a, seed, depth + 1);                                    \
        }                                                                                        \
    } while (0)

#define PZ_SCHEMA_DEFINE(T)                                                                      \
    int T##_encode(msgpack_packer *pk, const T##_t *m)                                           \
    {                                                                                            \
        int rc = msgpack_pack_array(pk, 0 PZ_SCHEMA_##T(PZ_F_COUNT));                            \
        if (rc != 0) {                                                                           \
            return PZ_ENOMEM;                                                                    \
        }                                                                                        \
        PZ_SCHEMA_##T(PZ_F_ENC) return 0;                                                        \
    }                                                                                            \
    int T##_decode(const msgpack_object *o, T##_t *m, pz_arena_t *a, int depth)                  \
    {                                                                                            \
        const msgpack_object *f_ = NULL;                                                         \
        uint32_t n_ = 0, i_ = 0;                                                                 \
        int rc;                                                                                  \
        memset(m, 0, sizeof *m);                                                                 \
        if (depth > PZ_DECODE_DEPTH_MAX) {                                                       \
            return PZ_EPROTO;                                                                    \
        }                                                                                        \
        if ((rc = pz__dec_arr(o, 1024, &f_, &n_)) != 0) {                                        \
            return rc;                                                                           \
        }                                                                                        \
        PZ_SCHEMA_##T(PZ_F_DEC)(void) i_;                                                        \
        (void)a;                                                                                 \
        return 0;                                                                                \
    }                                                                                            \
    /* Fields past the schema's (a newer sender's) are skipped whole: the cursor must end up     \
     * after this struct, where the enclosing one's next field starts. */                        \
    int T##_decode_cur(pz_cur_t *c, T##_t *m, pz_arena_t *a, int depth)                          \
    {                                                                                            \
        uint32_t n_ = 0, i_ = 0;                                                                 \
        int rc;                                                                                  \
        memset(m, 0, sizeof *m);                                                                 \
        if (depth > PZ_DECODE_DEPTH_MAX) {                                                       \
            return PZ_EPROTO;                                                                    \
        }                                                                                        \
        if ((rc = pz__cur_arr(c, 1024, &n_)) != 0) {                                             \
            return rc;                                                                           \
        }                                                                                        \
        PZ_SCHEMA_##T(PZ_F_CDEC)(void) a;                                                        \
        return i_ < n_ ? pz__cur_skip(c, n_ - i_) : 0;                                           \
    }                                                                                            \
    bool T##_eq(const T##_t *x, const T##_t *y)                                                  \
    {                                                                                            \
        PZ_SCHEMA_##T(PZ_F_EQ) return true;                                                      \
    }                                                                                            \
    void T##_fill_random(T##_t *m, pz_arena_t *a, uint64_t *seed, int depth)                     \
    {                                                                                            \
        memset(m, 0, sizeof *m);                                                                 \
        PZ_SCHEMA_##T(PZ_F_RND)(void) a;                                                         \
        (void)depth;                                                                             \
    }

#ifdef __cplusplus
}
#endif
#endif
