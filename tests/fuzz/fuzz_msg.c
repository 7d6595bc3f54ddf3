/*
 * fuzz_msg.c — libFuzzer target for everything a received message goes through.
 *
 * Input layout (fuzz_msg_seeds.c writes the same): byte 0 is the envelope frame's length n
 * (clamped to what is there), the next n bytes are the envelope frame, the rest is the body
 * frame. Each frame is copied into its own allocation so ASan sees a read past either one.
 *
 * For every input: pz__msg_new; then, if it built a message, every schema decoder through
 * pz_msg_decode (with the message's own type, so the decoder really runs), every message type's
 * typed helper (so type mismatches are exercised), and pz_msg_error. Independently of the
 * envelope, the body goes through pz__unpack and every schema decoder directly. Nothing may
 * crash, leak or trip UBSan, and one property is checked beyond that: whatever a decoder
 * accepts re-encodes to bytes that decode to an equal value (a failure aborts, so libFuzzer
 * saves the input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/codec.h"
#include "phantomzero/hlc.h"
#include "phantomzero/kv.h"
#include "phantomzero/msg.h"

#define S_SCHEMAS(X)                                                                             \
    X(pz_hlc)                                                                                    \
    X(pz_error_body)                                                                             \
    X(pz_ping)                                                                                   \
    X(pz_kv_txn)                                                                                 \
    X(pz_kv_header)                                                                              \
    X(pz_kv_req)                                                                                 \
    X(pz_kv_kv)                                                                                  \
    X(pz_kv_resp)                                                                                \
    X(pz_replica_desc)                                                                           \
    X(pz_range_desc)                                                                             \
    X(pz_kv_error)                                                                               \
    X(pz_kv_batch)                                                                               \
    X(pz_kv_batch_resp)

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
    static int s_any_##T(const msgpack_object *o, void *out, pz_arena_t *a, int depth)           \
    {                                                                                            \
        return T##_decode(o, (T##_t *)out, a, depth);                                            \
    }
S_SCHEMAS(S_CHECK_REENCODE_)

/* Every schema decoder on the message's body, through pz_msg_decode. */
#define S_VIA_MSG_(T)                                                                            \
    {                                                                                            \
        T##_t v;                                                                                 \
        if (pz_msg_decode(m, pz_msg_type(m), s_any_##T, &v) == 0) {                              \
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

static void s_message(pz_msg_t *m)
{
    S_SCHEMAS(S_VIA_MSG_)
    PZ_MSGTYPES(S_BY_TYPE_)
    const char *text = NULL;
    int rc = pz_msg_error(m, &text);
    if (rc > 0 || text == NULL || (rc < 0 && strlen(text) > pz_msg_body(m).len)) {
        abort();
    }
    (void)pz_msg_sender(m);
    (void)pz_msg_is_reply(m);
}

/* Every schema decoder on the bytes directly, without an envelope. */
#define S_DIRECT_(T)                                                                             \
    {                                                                                            \
        T##_t v;                                                                                 \
        if (T##_decode(&u.data, &v, a, 0) == 0) {                                                \
            s_reencode_##T(&v);                                                                  \
        }                                                                                        \
    }

static void s_direct(const uint8_t *body, size_t len)
{
    msgpack_unpacked u;
    if (pz__unpack(body, len, &u) != 0) {
        msgpack_unpacked_destroy(&u);
        return;
    }
    pz_arena_t *a = pz_arena_new();
    if (a != NULL) {
        S_SCHEMAS(S_DIRECT_)
        pz_arena_destroy(&a);
    }
    msgpack_unpacked_destroy(&u);
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
    return 0;
}
