/*
 * codec_test.h — helpers shared by the codec unit tests: the list of every schema, and building
 * a received message (pz_msg_t) the way the kernel does, from an outgoing one.
 */
#ifndef PZ_TEST_CODEC_TEST_H
#define PZ_TEST_CODEC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/codec.h"
#include "phantomzero/hlc.h"
#include "phantomzero/kv.h"
#include "phantomzero/msg.h"

/* Every schema the codec defines, for tests that run all decoders. */
#define PZ_TEST_SCHEMAS(X) PZ_SCHEMAS(X) /* every schema: kv.h keeps the one list */

/* Encodes an envelope for `type` into env (cap PZ_ENVELOPE_BYTES_MAX); returns its length. */
static inline size_t t_envelope(uint16_t type, uint8_t flags, uint64_t corr, uint8_t *env)
{
    pz_envelope_t e;
    memset(&e, 0, sizeof e);
    e.proto_version = PZ_PROTO_VERSION;
    e.type = type;
    e.type_version = pz_msg_type_version(type);
    e.flags = flags;
    e.corr = corr;
    strcpy(e.to, "test.to");
    strcpy(e.from, "test.from@tcp://127.0.0.1:26357");
    size_t len = 0;
    assert_int_equal(pz_envelope_encode(&e, env, PZ_ENVELOPE_BYTES_MAX, &len), 0);
    return len;
}

static inline void t_free(void *hint)
{
    free(hint);
}

/* Turns an outgoing message into a received one, as the kernel does: the body buffer is
 * detached from *out and owned by the message from then on. Consumes *out. */
static inline pz_msg_t *t_receive(pz_out_t **out, uint8_t flags, uint64_t corr)
{
    uint8_t env[PZ_ENVELOPE_BYTES_MAX];
    size_t env_len = t_envelope(pz_out_type(*out), flags, corr, env);
    size_t body_len = 0;
    uint8_t *body = pz__out_take(*out, &body_len);
    assert_non_null(body);
    pz_out_free(out);
    pz_msg_t *m = NULL;
    assert_int_equal(pz__msg_new(env, env_len, body, body_len, t_free, body, &m), 0);
    assert_non_null(m);
    return m;
}

/* A received message whose body is borrowed bytes (not freed by the message). */
static inline int t_receive_bytes(uint16_t type, uint8_t flags, const uint8_t *body,
                                  size_t body_len, pz_msg_t **m)
{
    uint8_t env[PZ_ENVELOPE_BYTES_MAX];
    size_t env_len = t_envelope(type, flags, 1, env);
    return pz__msg_new(env, env_len, body, body_len, NULL, NULL, m);
}

/* Encodes with a schema encoder into a malloc'd buffer (free it). */
#define T_ENCODE(T, value, buf_out, len_out)                                                     \
    do {                                                                                         \
        msgpack_sbuffer sb_;                                                                     \
        msgpack_packer pk_;                                                                      \
        msgpack_sbuffer_init(&sb_);                                                              \
        msgpack_packer_init(&pk_, &sb_, msgpack_sbuffer_write);                                  \
        assert_int_equal(T##_encode(&pk_, (value)), 0);                                          \
        *(len_out) = sb_.size;                                                                   \
        *(buf_out) = (uint8_t *)msgpack_sbuffer_release(&sb_);                                   \
    } while (0)

#endif
