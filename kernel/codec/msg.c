/*
 * msg.c — outgoing (pz_out_*) and received (pz_msg_*) messages, msg.h.
 *
 * An outgoing body is packed into a msgpack_sbuffer that the kernel detaches (pz__out_take) and
 * hands to ZeroMQ, which frees it with free(): one encode, no copy. Its growth is capped at
 * PZ_MSG_BODY_BYTES_MAX, so an oversized body fails while encoding (the schema encoders report
 * any packer failure as PZ_ENOMEM) instead of at the receiver.
 *
 * A received message owns its body bytes and decodes them lazily, straight from the bytes with
 * the schema's cursor decoder (T_decode_cur: no object tree, no allocation but the arena's).
 * The body is first proven to be one complete, bounded msgpack document (pz__cur_init, the scan
 * pz__unpack runs); that result is kept, so a handler that decodes twice (error check, then
 * body) scans once. Decoded views point into the body and decoded arrays into the message's
 * arena, which is created on first use: messages that are only forwarded never allocate one.
 *
 * Ownership of the body on pz__msg_new: taken on success only. On failure no message exists and
 * the caller still owns, and frees, the body (the house rule for consuming calls).
 */
#include "phantomzero/msg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct pz_out {
    uint16_t type;
    msgpack_sbuffer sb;
    msgpack_packer pk;
};

struct pz_msg {
    pz_envelope_t env;
    const uint8_t *body;
    size_t body_len;
    void (*body_free)(void *hint);
    void *body_hint;
    pz_arena_t *arena;      /* NULL until first needed */
    bool scanned;           /* scan_rc is final */
    int scan_rc;            /* pz__cur_init on the body: 0 or PZ_EPROTO */
    const char *error_text; /* pz_msg_error's copy, once made */
};

/* ---------------------------------------------------------------------------------------- */
/* Outgoing                                                                                  */

#define S_OUT_BYTES_INITIAL 256u

static int s_out_write(void *data, const char *buf, size_t len)
{
    pz_out_t *o = data;
    assert(o->sb.size <= PZ_MSG_BODY_BYTES_MAX);
    if (len == 0) {
        return 0; /* an empty write (an empty body copied as it is): nothing to do */
    }
    if (len > PZ_MSG_BODY_BYTES_MAX - o->sb.size) {
        return -1;
    }
    /* Grow from a small buffer (msgpack_sbuffer starts at 8 KiB, past glibc's tcache, on every
     * message): most bodies are a few hundred bytes. */
    if (o->sb.alloc - o->sb.size < len) {
        size_t cap = o->sb.alloc ? o->sb.alloc * 2 : S_OUT_BYTES_INITIAL;
        while (cap < o->sb.size + len) {
            cap *= 2;
        }
        char *grown = realloc(o->sb.data, cap);
        if (grown == NULL) {
            return -1;
        }
        o->sb.data = grown;
        o->sb.alloc = cap;
    }
    memcpy(o->sb.data + o->sb.size, buf, len);
    o->sb.size += len;
    return 0;
}

pz_out_t *pz_out_new(uint16_t type)
{
    pz_out_t *o = calloc(1, sizeof *o);
    if (o == NULL) {
        return NULL;
    }
    o->type = type;
    msgpack_sbuffer_init(&o->sb);
    msgpack_packer_init(&o->pk, o, s_out_write);
    return o;
}

msgpack_packer *pz_out_packer(pz_out_t *o)
{
    assert(o != NULL);
    assert(o->pk.data == o);
    return &o->pk;
}

uint16_t pz_out_type(const pz_out_t *o)
{
    assert(o != NULL);
    return o->type;
}

size_t pz_out_len(const pz_out_t *o)
{
    assert(o != NULL);
    assert(o->sb.size <= PZ_MSG_BODY_BYTES_MAX);
    return o->sb.size;
}

void pz_out_free(pz_out_t **o)
{
    if (o == NULL || *o == NULL) {
        return;
    }
    msgpack_sbuffer_destroy(&(*o)->sb);
    free(*o);
    *o = NULL;
}

/* An empty body still yields a non-NULL buffer, so NULL always means allocation failure. */
uint8_t *pz__out_take(pz_out_t *o, size_t *len)
{
    assert(o != NULL);
    assert(len != NULL);
    if (o->sb.size == 0) {
        *len = 0;
        return malloc(1);
    }
    *len = o->sb.size;
    uint8_t *data = (uint8_t *)msgpack_sbuffer_release(&o->sb);
    assert(data != NULL && o->sb.size == 0);
    return data;
}

/* ---------------------------------------------------------------------------------------- */
/* Received                                                                                  */

int pz__msg_new(const uint8_t *env, size_t env_len, const uint8_t *body, size_t body_len,
                void (*body_free)(void *hint), void *body_hint, pz_msg_t **out)
{
    assert(out != NULL);
    assert(env != NULL || env_len == 0);
    assert(body != NULL || body_len == 0);
    *out = NULL;
    /* malloc, not calloc: the struct is mostly the envelope's two address arrays, which the
     * decode fills and terminates; zeroing ~600 bytes per message showed in profiles. */
    pz_msg_t *m = malloc(sizeof *m);
    if (m == NULL) {
        return PZ_ENOMEM;
    }
    int rc = pz_envelope_decode(env, env_len, &m->env);
    if (rc != 0) {
        free(m);
        return rc;
    }
    m->body = body;
    m->body_len = body_len;
    m->body_free = body_free;
    m->body_hint = body_hint;
    m->arena = NULL;
    m->scanned = false;
    m->scan_rc = 0;
    m->error_text = NULL;
    *out = m;
    return 0;
}

void pz_msg_free(pz_msg_t **m)
{
    if (m == NULL || *m == NULL) {
        return;
    }
    pz_msg_t *msg = *m;
    pz_arena_destroy(&msg->arena);
    if (msg->body_free != NULL) {
        msg->body_free(msg->body_hint);
    }
    free(msg);
    *m = NULL;
}

const pz_envelope_t *pz_msg_envelope(const pz_msg_t *m)
{
    assert(m != NULL);
    return &m->env;
}

uint16_t pz_msg_type(const pz_msg_t *m)
{
    assert(m != NULL);
    return m->env.type;
}

uint64_t pz_msg_corr(const pz_msg_t *m)
{
    assert(m != NULL);
    return m->env.corr;
}

bool pz_msg_is_reply(const pz_msg_t *m)
{
    assert(m != NULL);
    return (m->env.flags & PZ_MSGF_REPLY) != 0;
}

const char *pz_msg_sender(const pz_msg_t *m)
{
    assert(m != NULL);
    return m->env.from;
}

pz_view_t pz_msg_body(const pz_msg_t *m)
{
    assert(m != NULL);
    assert(m->body_len <= UINT32_MAX);
    pz_view_t v = {m->body, (uint32_t)m->body_len};
    return v;
}

/* NULL only on allocation failure. */
pz_arena_t *pz_msg_arena(pz_msg_t *m)
{
    assert(m != NULL);
    if (m->arena == NULL) {
        m->arena = pz_arena_new();
    }
    return m->arena;
}

/* Scans the body once (the scan allocates nothing, so its answer is final), then decodes it in
 * place. A decoder that succeeds has read exactly the one document the scan proved there. */
static int s_decode(pz_msg_t *m, pz_decode_cur_fn fn, void *out)
{
    pz_cur_t c;
    if (!m->scanned) {
        m->scan_rc = pz__cur_init(m->body, m->body_len, &c);
        m->scanned = true;
    }
    if (m->scan_rc != 0) {
        return m->scan_rc;
    }
    pz_arena_t *a = pz_msg_arena(m);
    if (a == NULL) {
        return PZ_ENOMEM;
    }
    c.p = m->body;
    c.end = m->body + m->body_len;
    int rc = fn(&c, out, a, 0);
    assert(rc != 0 || c.p == c.end);
    return rc;
}

/* An error reply's body is pz_error_body whatever its type says, so decoding it as anything
 * else would misread it: it is refused like a type mismatch. */
int pz_msg_decode(pz_msg_t *m, uint16_t expect_type, pz_decode_cur_fn fn, void *out)
{
    assert(m != NULL);
    assert(fn != NULL && out != NULL);
    if (m->env.type != expect_type) {
        return PZ_EUNKNOWN_TYPE;
    }
    if ((m->env.flags & PZ_MSGF_ERROR) && expect_type != PZ_MSG_ERROR) {
        return PZ_EUNKNOWN_TYPE;
    }
    return s_decode(m, fn, out);
}

static int s_dec_error_body(pz_cur_t *c, void *out, pz_arena_t *a, int depth)
{
    return pz_error_body_decode_cur(c, out, a, depth);
}

/* A message is an error reply if flagged so or typed ERROR: either way its body is
 * pz_error_body. The text is copied once and cached. */
int pz_msg_error(pz_msg_t *m, const char **message)
{
    assert(m != NULL);
    if (message != NULL) {
        *message = "";
    }
    if (!(m->env.flags & PZ_MSGF_ERROR) && m->env.type != PZ_MSG_ERROR) {
        return 0;
    }
    pz_error_body_t b;
    int rc = s_decode(m, s_dec_error_body, &b);
    if (rc != 0) {
        return rc == PZ_ENOMEM ? rc : PZ_EPROTO;
    }
    if (b.code >= 0) {
        return PZ_EPROTO; /* an error reply must carry an error */
    }
    if (message != NULL) {
        if (m->error_text == NULL) {
            char *s = pz_arena_alloc(m->arena, (size_t)b.message.len + 1);
            if (s != NULL && b.message.len > 0) {
                memcpy(s, b.message.ptr, b.message.len);
            }
            m->error_text = s; /* zeroed: NUL-terminated; NULL leaves "" and the code */
        }
        *message = m->error_text ? m->error_text : "";
    }
    return b.code;
}
