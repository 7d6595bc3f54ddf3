/*
 * msg.h — the message envelope, outgoing and received messages, and the message type table.
 *
 * On the wire: a ZeroMQ message of one frame, the envelope followed by the body.
 *   the envelope: a fixed 32-byte little-endian header (magic, proto_version, type,
 *       type_version, flags, address lengths, corr, deadline_ns) and the two addresses; the
 *       layout is in kernel/codec/envelope.c (binary, not msgpack: it is decoded on every hop)
 *   the body: the msgpack encoding of the type's schema (codec.h).
 * One frame, not two: every ZeroMQ send and receive costs its bookkeeping once per frame, and a
 * request through five layers makes eight hops. The body is encoded once by the sender; a small
 * one is copied once with the envelope into ZeroMQ's message (cheaper than the allocations a
 * hand-over needs), a large one is handed over without a copy, the envelope written into room
 * left in front of it. Inside a process the receiver reads the very same bytes.
 *
 * A malformed envelope or body, or an unknown type, is answered with an error reply when the
 * envelope can be read well enough to know where to, and always counted; never a crash.
 */
#ifndef PHANTOMZERO_MSG_H
#define PHANTOMZERO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/codec.h"
#include "phantomzero/limits.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PZ_MSG_MAGIC 0x505A4D31u /* "PZM1" */
#define PZ_PROTO_VERSION 2u /* 2: one frame per message (1: envelope and body apart) */

enum pz_msg_flags {
    PZ_MSGF_REPLY = 1u << 0, /* answers the sender's request with the same corr */
    PZ_MSGF_ERROR = 1u << 1, /* body is pz_error_body */
};

/* The decoded envelope. Addresses are copied and NUL-terminated. */
typedef struct pz_envelope {
    uint16_t proto_version;
    uint16_t type;
    uint16_t type_version;
    uint8_t flags;
    uint64_t corr;
    uint64_t deadline_ns; /* CLOCK_REALTIME ns after which the sender no longer waits; 0 = none */
    char to[PZ_ADDR_BYTES_MAX];
    char from[PZ_ADDR_BYTES_MAX];
} pz_envelope_t;

/* Encodes into buf. PZ_ETOOBIG if cap is too small or an address too long. */
int pz_envelope_encode(const pz_envelope_t *e, uint8_t *buf, size_t cap, size_t *len);
/* Decodes and validates (magic, protocol version, address lengths). PZ_EPROTO on bad bytes,
 * PZ_EVERSION on a protocol version this build does not speak. */
int pz_envelope_decode(const uint8_t *buf, size_t len, pz_envelope_t *e);
/* The length of the envelope at the front of buf[0..len) as its fixed header declares it; 0 when
 * len cannot hold even that header. Not a validation: decode buf[0..result) for that. */
size_t pz_envelope_len(const uint8_t *buf, size_t len);

/* ---------------------------------------------------------------------------------------- */
/* Message types. One row per type: name, wire id, schema version, body schema.              */

/* Error replies (flags has PZ_MSGF_ERROR). */
#define PZ_SCHEMA_pz_error_body(X)                                                               \
    X(I32, code, _, _)   /* a PZ_E* code */                                                      \
    X(STR, message, _, _)                                                                        \
    X(STR, detail, _, _)
PZ_SCHEMA_DECLARE(pz_error_body)

/* Liveness and round-trip measurement. */
#define PZ_SCHEMA_pz_ping(X)                                                                     \
    X(U64, seq, _, _)                                                                            \
    X(BYTES, payload, _, _)
PZ_SCHEMA_DECLARE(pz_ping)

/* Rows: PZ_MSGTYPE(NAME, id, version, schema). Ids are never reused. The KV family's schemas
 * are in kv.h. */
#define PZ_MSGTYPES(X)                                                                           \
    X(ERROR, 1, 1, pz_error_body)                                                                \
    X(PING, 2, 1, pz_ping)                                                                       \
    X(PONG, 3, 1, pz_ping)                                                                       \
    X(KV_BATCH, 10, 1, pz_kv_batch)                                                              \
    X(KV_BATCH_RESP, 11, 1, pz_kv_batch_resp)                                                   \
    X(TXN_CTL, 12, 1, pz_txn_ctl)                                                                \
    X(TXN_CTL_RESP, 13, 1, pz_txn_ctl_resp)                                                      \
    X(KV_COMMIT_WAIT, 14, 1, pz_kv_commit)                                                       \
    X(KV_COMMIT_DONE, 15, 1, pz_kv_commit)

enum pz_msg_type {
#define PZ_MSGTYPE_ENUM_(name, id, ver, schema) PZ_MSG_##name = id,
    PZ_MSGTYPES(PZ_MSGTYPE_ENUM_)
#undef PZ_MSGTYPE_ENUM_
};

/* "KV_BATCH" for a known type, NULL otherwise. */
const char *pz_msg_type_name(uint16_t type);
/* The schema version of a known type, 0 otherwise. */
uint16_t pz_msg_type_version(uint16_t type);

/* ---------------------------------------------------------------------------------------- */
/* Outgoing messages                                                                         */

typedef struct pz_out pz_out_t;

/* A new outgoing message of `type` with an empty body. NULL on allocation failure. */
pz_out_t *pz_out_new(uint16_t type);
/* The packer that writes the body. Valid until the message is sent or freed. */
msgpack_packer *pz_out_packer(pz_out_t *o);
uint16_t pz_out_type(const pz_out_t *o);
/* Body bytes written so far. */
size_t pz_out_len(const pz_out_t *o);
/* Frees and sets *o to NULL. Safe on NULL. */
void pz_out_free(pz_out_t **o);

/* Kernel side: a copy of the body (ownership passes to the caller, free() it); the message's
 * body is empty afterwards. */
uint8_t *pz__out_take(pz_out_t *o, size_t *len);
/* Kernel side: the body written so far, valid until the next write to o or its free. */
const uint8_t *pz__out_body(const pz_out_t *o, size_t *len);
/* Kernel side, for handing a large body over without copying it: when the body lives in a heap
 * buffer of its own (bodies past the inline bytes do) with room for `head_len` bytes in front,
 * writes `head` there and detaches the buffer: *frame is head followed by the body, *block is
 * what free() takes, and o's body is empty. False, changing nothing, otherwise. */
bool pz__out_take_framed(pz_out_t *o, const uint8_t *head, size_t head_len, uint8_t **frame,
                         size_t *frame_len, void **block);

/* ---------------------------------------------------------------------------------------- */
/* Received messages                                                                         */

typedef struct pz_msg pz_msg_t;

const pz_envelope_t *pz_msg_envelope(const pz_msg_t *m);
uint16_t pz_msg_type(const pz_msg_t *m);
uint64_t pz_msg_corr(const pz_msg_t *m);
bool pz_msg_is_reply(const pz_msg_t *m);
/* The sender's address, to reply to. */
const char *pz_msg_sender(const pz_msg_t *m);
/* The raw body. A view into the message. */
pz_view_t pz_msg_body(const pz_msg_t *m);
/* The message's arena: decoded arrays live here. */
pz_arena_t *pz_msg_arena(pz_msg_t *m);

/* For an error reply: its code (< 0) and, if message is not NULL, its text (a NUL-terminated
 * copy in the message's arena, "" if none). 0 for any other message. A malformed error body
 * yields PZ_EPROTO. */
int pz_msg_error(pz_msg_t *m, const char **message);

/* Decodes the body with a schema's cursor decoder (T_decode_cur) into *out, whose views and
 * arrays live as long as the message. Returns 0, PZ_EPROTO (bad bytes), PZ_ENOMEM, or
 * PZ_EUNKNOWN_TYPE if the type differs from `expect_type`. Use the typed wrappers below. */
typedef int (*pz_decode_cur_fn)(pz_cur_t *c, void *out, pz_arena_t *a, int depth);
int pz_msg_decode(pz_msg_t *m, uint16_t expect_type, pz_decode_cur_fn fn, void *out);

/* Frees a message and sets *m to NULL. Safe on NULL. Used for messages taken with pz_msg_keep
 * and for ones a pz_client received. */
void pz_msg_free(pz_msg_t **m);

/* Kernel side: builds a message from an envelope and a body buffer. On success the body is
 * owned by the message, released with body_free(body_hint); on failure it stays the caller's.
 * PZ_EPROTO on a bad envelope. */
int pz__msg_new(const uint8_t *env, size_t env_len, const uint8_t *body, size_t body_len,
                void (*body_free)(void *hint), void *body_hint, pz_msg_t **out);
/* Kernel side, for a message received as one frame (the envelope, then the body): a message with
 * `hold_bytes` more bytes (aligned for any type) in the same allocation, *hold pointing at them,
 * for what keeps the frame alive. Nothing in it is set until pz__msg_init_frame; a message that
 * never got there is released with pz__msg_discard. NULL on allocation failure. */
pz_msg_t *pz__msg_alloc(size_t hold_bytes, void **hold);
/* Decodes the envelope at the front of frame[0..len) and makes the rest the body, released with
 * body_free(body_hint) when the message is freed. PZ_EPROTO on a bad or truncated envelope,
 * PZ_EVERSION on another protocol version: then nothing is taken. */
int pz__msg_init_frame(pz_msg_t *m, const uint8_t *frame, size_t len,
                       void (*body_free)(void *hint), void *body_hint);
void pz__msg_discard(pz_msg_t *m);

/* Typed helpers generated for every schema T:
 *     int T_to_out(const T_t *m, uint16_t type, pz_out_t **out)  -- new message, body encoded
 *     int T_from_msg(pz_msg_t *m, uint16_t type, T_t *out)         -- decoded body
 */
#define PZ_MSG_HELPERS_DECLARE(T)                                                                \
    int T##_to_out(const T##_t *m, uint16_t type, pz_out_t **out);                               \
    int T##_from_msg(pz_msg_t *msg, uint16_t type, T##_t *out);

#define PZ_MSG_HELPERS_DEFINE(T)                                                                 \
    int T##_to_out(const T##_t *m, uint16_t type, pz_out_t **out)                                \
    {                                                                                            \
        pz_out_t *o = pz_out_new(type);                                                          \
        if (o == NULL) {                                                                         \
            return PZ_ENOMEM;                                                                    \
        }                                                                                        \
        int rc = T##_encode(pz_out_packer(o), m);                                                \
        if (rc != 0) {                                                                           \
            pz_out_free(&o);                                                                     \
            return rc;                                                                           \
        }                                                                                        \
        *out = o;                                                                                \
        return 0;                                                                                \
    }                                                                                            \
    static int T##_decode_any_(pz_cur_t *c, void *out, pz_arena_t *a, int depth)                 \
    {                                                                                            \
        return T##_decode_cur(c, (T##_t *)out, a, depth);                                        \
    }                                                                                            \
    int T##_from_msg(pz_msg_t *msg, uint16_t type, T##_t *out)                                   \
    {                                                                                            \
        return pz_msg_decode(msg, type, T##_decode_any_, out);                                   \
    }

PZ_MSG_HELPERS_DECLARE(pz_error_body)
PZ_MSG_HELPERS_DECLARE(pz_ping)

#ifdef __cplusplus
}
#endif
#endif
