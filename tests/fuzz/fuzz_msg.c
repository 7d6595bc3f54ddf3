/*
 * fuzz_msg.c — libFuzzer target for everything a received message goes through.
 *
 * Input layout (fuzz_msg_seeds.c writes the same): byte 0 is the envelope frame's length n
 * (clamped to what is there), the next n bytes are the envelope frame, the rest is the body
 * frame. Each frame is copied into its own allocation so ASan sees a read past either one.
 *
 * For every input: pz__msg_new, and the input but its first byte as one frame (envelope, then
 * body: pz__msg_alloc + pz__msg_init_frame, the kernel's receive path); then, if either built a
 * message, every schema's cursor decoder through pz_msg_decode (with the message's own type, so
 * the decoder really runs), every message type's typed helper (so type mismatches are
 * exercised), pz_msg_error, and the head-only readers against the full decoders (s_peeks). Independently of the
 * envelope, the body goes through every schema twice: the object-tree decoder (pz__unpack +
 * T_decode, the reference) and the cursor decoder (pz__cur_init + T_decode_cur). Nothing may
 * crash, leak or trip UBSan, and two properties are checked beyond that (a failure traps, so
 * libFuzzer saves the input): the two decoders agree on every body, the same code and, on
 * success, equal values, also through the message path; and whatever a decoder accepts
 * re-encodes to bytes that decode to an equal value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/codec.h"
#include "phantomzero/hlc.h"
#include "phantomzero/kv.h"
#include "phantomzero/msg.h"

#define S_SCHEMAS(X) PZ_SCHEMAS(X) /* every schema: kv.h keeps the one list */

/* Re-encodes a decoded value and checks it decodes back equal. */
#define S_CHECK_REENCODE_(T)                                                                     \
    static void s_reencode_##T(const T##_t *x)                                                   \
    {                                                                                            \
        msgpack_sbuffer sb;                                                                      \
        msgpack_packer pk;                                                                       \
        msgpack_sbuffer_init(&sb);                                                               \
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);                                    \
        if (T##_encode(&pk, x) != 0) {                                                           \
            abort(); /* a decoded value always fits: it came from fewer bytes */                 \
        }                                                                                        \
        msgpack_unpacked u;                                                                      \
        pz_arena_t *a = pz_arena_new();                                                          \
        T##_t y;                                                                                 \
        if (a == NULL || pz__unpack((const uint8_t *)sb.data, sb.size, &u) != 0 ||              \
            T##_decode(&u.data, &y, a, 0) != 0 || !T##_eq(x, &y)) {                              \
            abort();                                                                             \
        }                                                                                        \
        msgpack_unpacked_destroy(&u);                                                            \
        pz_arena_destroy(&a);                                                                    \
        msgpack_sbuffer_destroy(&sb);                                                            \
    }                                                                                            \
    static int s_any_##T(pz_cur_t *c, void *out, pz_arena_t *a, int depth)                      \
    {                                                                                            \
        return T##_decode_cur(c, (T##_t *)out, a, depth);                                        \
    }                                                                                            \
    /* The reference: the object-tree decoder on the same bytes; PZ_EPROTO if they do not      \
     * parse. The tree dies here: views point into body, arrays into the arena. */             \
    static int s_tree_##T(const uint8_t *body, size_t len, pz_arena_t *a, T##_t *out)            \
    {                                                                                            \
        msgpack_unpacked u;                                                                      \
        int rc = pz__unpack(body, len, &u);                                                      \
        if (rc == 0) {                                                                           \
            rc = T##_decode(&u.data, out, a, 0);                                                 \
        }                                                                                        \
        msgpack_unpacked_destroy(&u);                                                            \
        return rc;                                                                               \
    }                                                                                            \
    /* The cursor decoder's answer (rc, *v) must be the tree decoder's. */                      \
    static void s_agree_##T(const uint8_t *body, size_t len, pz_arena_t *a, int rc,              \
                            const T##_t *v)                                                      \
    {                                                                                            \
        T##_t ref;                                                                               \
        if (s_tree_##T(body, len, a, &ref) != rc || (rc == 0 && !T##_eq(&ref, v))) {             \
            __builtin_trap();                                                                    \
        }                                                                                        \
    }
S_SCHEMAS(S_CHECK_REENCODE_)

/* Every schema decoder on the message's body, through pz_msg_decode, against the tree. */
#define S_VIA_MSG_(T)                                                                            \
    {                                                                                            \
        T##_t v;                                                                                 \
        int rc = pz_msg_decode(m, pz_msg_type(m), s_any_##T, &v);                                \
        if (rc != PZ_ENOMEM && rc != PZ_EUNKNOWN_TYPE) { /* an error reply's flag refuses */     \
            s_agree_##T(pz_msg_body(m).ptr, pz_msg_body(m).len, pz_msg_arena(m), rc, &v);        \
        }                                                                                        \
        if (rc == 0) {                                                                           \
            s_reencode_##T(&v);                                                                  \
        }                                                                                        \
    }

/* Every message type's typed helper: all but the matching one must refuse the type. */
#define S_BY_TYPE_(name, id, ver, schema)                                                        \
    {                                                                                            \
        schema##_t v;                                                                            \
        int rc = schema##_from_msg(m, id, &v);                                                   \
        if (rc == 0) {                                                                           \
            s_reencode_##schema(&v);                                                             \
        } else if (pz_msg_type(m) != id && rc != PZ_EUNKNOWN_TYPE) {                             \
            abort();                                                                             \
        }                                                                                        \
    }

/* The head-only readers (kv.h) must never crash, and must agree with the full decoders: a batch
 * that decodes whole peeks to the same header, and splicing that header in front of the peeked
 * rest gives a batch that decodes equal to it; an answer that decodes whole peeks to the same
 * timestamp and error. */
static void s_peeks(pz_msg_t *m)
{
    pz_kv_header_t h;
    uint32_t fields = 0;
    pz_view_t rest;
    int prc = pz_kv_batch_peek(m, &h, &fields, &rest);
    pz_kv_batch_t b;
    if (pz_kv_batch_from_msg(m, PZ_MSG_KV_BATCH, &b) == 0) {
        if (prc != 0 || !pz_kv_header_eq(&h, &b.header)) {
            __builtin_trap();
        }
        pz_out_t *o = NULL;
        size_t len = 0;
        if (pz_kv_batch_splice_to_out(fields, &h, rest, &o) == 0) {
            const uint8_t *bytes = pz__out_body(o, &len);
            pz_arena_t *a = pz_arena_new();
            pz_cur_t c;
            pz_kv_batch_t again;
            if (a != NULL && pz__cur_init(bytes, len, &c) == 0 &&
                (pz_kv_batch_decode_cur(&c, &again, a, 0) != 0 || !pz_kv_batch_eq(&again, &b))) {
                __builtin_trap();
            }
            pz_arena_destroy(&a);
        }
        pz_out_free(&o);
    }
    pz_hlc_t ts;
    pz_kv_error_t e;
    prc = pz_kv_batch_resp_peek(m, &ts, &e);
    pz_kv_batch_resp_t r;
    if (pz_kv_batch_resp_from_msg(m, PZ_MSG_KV_BATCH_RESP, &r) == 0 &&
        (prc != 0 || !pz_hlc_eq(&ts, &r.ts) || !pz_kv_error_eq(&e, &r.error))) {
        __builtin_trap();
    }
}

static void s_message(pz_msg_t *m)
{
    S_SCHEMAS(S_VIA_MSG_)
    PZ_MSGTYPES(S_BY_TYPE_)
    s_peeks(m);
    const char *text = NULL;
    int rc = pz_msg_error(m, &text);
    if (rc > 0 || text == NULL || (rc < 0 && strlen(text) > pz_msg_body(m).len)) {
        abort();
    }
    (void)pz_msg_sender(m);
    (void)pz_msg_is_reply(m);
}

/* Every schema decoder on the bytes directly, without an envelope: the cursor decoder against
 * the tree decoder, then the re-encoding check. */
#define S_DIRECT_(T)                                                                             \
    {                                                                                            \
        T##_t v;                                                                                 \
        pz_cur_t c;                                                                              \
        int rc = pz__cur_init(body, len, &c);                                                    \
        if (rc == 0) {                                                                           \
            rc = T##_decode_cur(&c, &v, a, 0);                                                   \
            if (rc == 0 && c.p != body + len) {                                                  \
                __builtin_trap(); /* success reads the whole document */                         \
            }                                                                                    \
        }                                                                                        \
        if (rc != PZ_ENOMEM) {                                                                   \
            s_agree_##T(body, len, a, rc, &v);                                                   \
        }                                                                                        \
        if (rc == 0) {                                                                           \
            s_reencode_##T(&v);                                                                  \
        }                                                                                        \
    }

static void s_direct(const uint8_t *body, size_t len)
{
    pz_arena_t *a = pz_arena_new();
    if (a != NULL) {
        S_SCHEMAS(S_DIRECT_)
        pz_arena_destroy(&a);
    }
}

static uint8_t *s_copy(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (c != NULL && n > 0) {
        memcpy(c, p, n);
    }
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t env_len = data[0] < size - 1 ? data[0] : size - 1;
    size_t body_len = size - 1 - env_len;
    uint8_t *env = s_copy(data + 1, env_len);
    uint8_t *body = s_copy(data + 1 + env_len, body_len);
    if (env == NULL || body == NULL) {
        free(env);
        free(body);
        return 0;
    }
    pz_envelope_t e;
    (void)pz_envelope_decode(env, env_len, &e);
    pz_msg_t *m = NULL;
    if (pz__msg_new(env, env_len, body, body_len, free, body, &m) == 0) {
        s_message(m);
        s_direct(body, body_len);
        pz_msg_free(&m); /* frees body */
    } else {
        s_direct(body, body_len);
        free(body);
    }
    free(env);
    /* The same bytes as one frame, the envelope at its front, as the kernel receives them. */
    uint8_t *frame = s_copy(data + 1, size - 1);
    void *hold = NULL;
    pz_msg_t *fm = frame ? pz__msg_alloc(16, &hold) : NULL;
    if (fm != NULL && pz__msg_init_frame(fm, frame, size - 1, free, frame) == 0) {
        s_message(fm);
        pz_msg_free(&fm); /* frees frame */
    } else {
        pz__msg_discard(fm);
        free(frame);
    }
    return 0;
}
