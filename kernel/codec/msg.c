/*
 * msg.c — outgoing (pz_out_*) and received (pz_msg_*) messages, msg.h.
 *
 * An outgoing body is packed into the pz_out itself while it is small (S_OUT_INLINE_BYTES), else
 * into a heap buffer with room in front for the envelope, which the kernel then hands to ZeroMQ
 * as one frame without a copy (pz__out_take_framed). Its growth is capped at
 * PZ_MSG_BODY_BYTES_MAX, so an oversized body fails while encoding (the schema encoders report
 * any packer failure as PZ_ENOMEM) instead of at the receiver.
 *
 * A received message owns its body bytes and decodes them lazily, straight from the bytes with
 * the schema's cursor decoder (T_decode_cur: no object tree, no allocation but the arena's).
 * The readers check every bound, so the scan that proves a body one complete, bounded document
 * (pz__cur_init) runs only where its verdict could differ (s_decode). Decoded views point into
 * the body and decoded arrays into the message's arena, which is created on first use: messages
 * that are only forwarded never allocate one.
 *
 * Ownership of the body on pz__msg_new: taken on success only. On failure no message exists and
 * the caller still owns, and frees, the body (the house rule for consuming calls).
 */
#include "phantomzero/msg.h"

#include "cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A body up to this size is packed inside the pz_out itself and copied once, with the envelope,
 * into ZeroMQ's message: one allocation per send (ZeroMQ's), against three for a hand-over (the
 * buffer, its growth, ZeroMQ's content record). The struct stays under glibc's tcache limit. */
#define S_OUT_INLINE_BYTES 960u
/* Room in front of a heap body for the envelope, so a large body is handed over as is. */
#define S_OUT_HEADROOM PZ_ENVELOPE_BYTES_MAX

struct pz_out {
    uint16_t type;
    msgpack_packer pk;
    uint8_t *heap; /* NULL: the body is in `in`; else S_OUT_HEADROOM bytes, then the body */
    size_t size;   /* body bytes written */
    size_t cap;    /* body bytes that fit where the body is now */
    uint8_t in[S_OUT_INLINE_BYTES];
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
    bool cached;            /* the block goes back to the thread's free list (cache.c) */
};

/* ---------------------------------------------------------------------------------------- */
/* Outgoing                                                                                  */

static uint8_t *s_out_data(pz_out_t *o)
{
    return o->heap ? o->heap + S_OUT_HEADROOM : o->in;
}

static int s_out_grow_write(pz_out_t *o, const char *buf, size_t len);

/* msgpack's packer calls this for every header and scalar, mostly 1 to 9 bytes: those are
 * copied here by hand rather than through a memcpy call. */
static int s_out_write(void *data, const char *buf, size_t len)
{
    pz_out_t *o = data;
    assert(o->size <= PZ_MSG_BODY_BYTES_MAX);
    if (len <= 16 && o->cap - o->size >= len) {
        uint8_t *d = s_out_data(o) + o->size;
        for (size_t i = 0; i < len; i++) {
            d[i] = (uint8_t)buf[i];
        }
        o->size += len;
        return 0;
    }
    return s_out_grow_write(o, buf, len);
}

static int s_out_grow_write(pz_out_t *o, const char *buf, size_t len)
{
    if (len == 0) {
        return 0; /* an empty write (an empty body copied as it is): nothing to do */
    }
    if (len > PZ_MSG_BODY_BYTES_MAX - o->size) {
        return -1;
    }
    if (o->cap - o->size < len) {
        size_t cap = o->cap * 2;
        while (cap < o->size + len) {
            cap *= 2;
        }
        cap = cap < PZ_MSG_BODY_BYTES_MAX ? cap : PZ_MSG_BODY_BYTES_MAX;
        uint8_t *grown = realloc(o->heap, S_OUT_HEADROOM + cap);
        if (grown == NULL) {
            return -1;
        }
        if (o->heap == NULL) {
            memcpy(grown + S_OUT_HEADROOM, o->in, o->size);
        }
        o->heap = grown;
        o->cap = cap;
    }
    memcpy(s_out_data(o) + o->size, buf, len);
    o->size += len;
    return 0;
}

/* From the thread's free list (cache.c), not zeroed: the inline bytes need none. */
pz_out_t *pz_out_new(uint16_t type)
{
    pz_out_t *o = pz__cache_get(PZ__CACHE_OUT, sizeof *o);
    if (o == NULL) {
        return NULL;
    }
    o->type = type;
    o->heap = NULL;
    o->size = 0;
    o->cap = S_OUT_INLINE_BYTES;
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
    assert(o->size <= PZ_MSG_BODY_BYTES_MAX);
    return o->size;
}

void pz_out_free(pz_out_t **o)
{
    if (o == NULL || *o == NULL) {
        return;
    }
    free((*o)->heap);
    pz__cache_put(PZ__CACHE_OUT, *o);
    *o = NULL;
}

/* Leaves o with an empty inline body. */
static void s_out_reset(pz_out_t *o)
{
    free(o->heap);
    o->heap = NULL;
    o->size = 0;
    o->cap = S_OUT_INLINE_BYTES;
}

/* An empty body still yields a non-NULL buffer, so NULL always means allocation failure. */
uint8_t *pz__out_take(pz_out_t *o, size_t *len)
{
    assert(o != NULL);
    assert(len != NULL);
    uint8_t *copy = malloc(o->size ? o->size : 1);
    if (copy == NULL) {
        return NULL;
    }
    memcpy(copy, s_out_data(o), o->size);
    *len = o->size;
    s_out_reset(o);
    return copy;
}

const uint8_t *pz__out_body(const pz_out_t *o, size_t *len)
{
    assert(o != NULL && len != NULL);
    *len = o->size;
    return o->heap ? o->heap + S_OUT_HEADROOM : o->in;
}

bool pz__out_take_framed(pz_out_t *o, const uint8_t *head, size_t head_len, uint8_t **frame,
                         size_t *frame_len, void **block)
{
    assert(o != NULL && frame != NULL && frame_len != NULL && block != NULL);
    if (o->heap == NULL || head_len > S_OUT_HEADROOM) {
        return false;
    }
    uint8_t *f = o->heap + S_OUT_HEADROOM - head_len;
    memcpy(f, head, head_len);
    *frame = f;
    *frame_len = head_len + o->size;
    *block = o->heap;
    o->heap = NULL;
    o->size = 0;
    o->cap = S_OUT_INLINE_BYTES;
    return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Received                                                                                  */

/* The envelope's two address arrays make most of the struct: malloc, not calloc — the decode
 * fills and terminates them, and zeroing ~600 bytes per message showed in profiles. */
#define S_HOLD_ALIGN 16u
#define S_MSG_BYTES ((sizeof(pz_msg_t) + S_HOLD_ALIGN - 1) & ~(size_t)(S_HOLD_ALIGN - 1))

/* Holds up to this size (a zmq_msg_t is 64 bytes) fit the blocks of the thread's free list. */
#define S_HOLD_CACHED 64u

pz_msg_t *pz__msg_alloc(size_t hold_bytes, void **hold)
{
    assert(hold_bytes == 0 || hold != NULL);
    bool cached = hold_bytes <= S_HOLD_CACHED;
    pz_msg_t *m = cached ? pz__cache_get(PZ__CACHE_MSG, S_MSG_BYTES + S_HOLD_CACHED)
                         : malloc(S_MSG_BYTES + hold_bytes);
    if (m == NULL) {
        return NULL;
    }
    m->cached = cached;
    if (hold != NULL) {
        *hold = (uint8_t *)m + S_MSG_BYTES;
    }
    return m;
}

void pz__msg_discard(pz_msg_t *m)
{
    if (m != NULL && m->cached) {
        pz__cache_put(PZ__CACHE_MSG, m);
    } else {
        free(m);
    }
}

static void s_msg_set_body(pz_msg_t *m, const uint8_t *body, size_t body_len,
                           void (*body_free)(void *hint), void *body_hint)
{
    m->body = body;
    m->body_len = body_len;
    m->body_free = body_free;
    m->body_hint = body_hint;
    m->arena = NULL;
    m->scanned = false;
    m->scan_rc = 0;
    m->error_text = NULL;
}

int pz__msg_init_frame(pz_msg_t *m, const uint8_t *frame, size_t len, void (*body_free)(void *hint),
                       void *body_hint)
{
    assert(m != NULL);
    assert(frame != NULL || len == 0);
    size_t elen = pz_envelope_len(frame, len);
    if (elen == 0 || elen > len) {
        return PZ_EPROTO; /* shorter than its envelope says */
    }
    int rc = pz_envelope_decode(frame, elen, &m->env);
    if (rc == 0) {
        s_msg_set_body(m, frame + elen, len - elen, body_free, body_hint);
    }
    return rc;
}

int pz__msg_new(const uint8_t *env, size_t env_len, const uint8_t *body, size_t body_len,
                void (*body_free)(void *hint), void *body_hint, pz_msg_t **out)
{
    assert(out != NULL);
    assert(env != NULL || env_len == 0);
    assert(body != NULL || body_len == 0);
    *out = NULL;
    pz_msg_t *m = pz__msg_alloc(0, NULL);
    if (m == NULL) {
        return PZ_ENOMEM;
    }
    int rc = pz_envelope_decode(env, env_len, &m->env);
    if (rc != 0) {
        pz__msg_discard(m);
        return rc;
    }
    s_msg_set_body(m, body, body_len, body_free, body_hint);
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
    pz__msg_discard(msg);
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

/* Decodes in place, straight from the body. The cursor readers check every bound themselves
 * (a count is held to the bytes left), so the scan pz__cur_init runs first elsewhere — proving
 * the body one complete document of bounded nesting — is not needed for safety, and skipping it
 * saves a pass over every body on every hop. It is run only where its verdict could differ from
 * the decoder's: when the decoder stepped over objects its schema does not name (a newer
 * sender's fields, which may nest deeper than any schema) or failed; trailing bytes are refused
 * here. What a decoder read itself nests no deeper than its schema, far below the scan's limit,
 * so a body is accepted exactly when it was with the scan first (fuzz_msg checks this against
 * the object-tree decoder). The scan's answer is kept: it allocates nothing, so it is final. */
static int s_decode(pz_msg_t *m, pz_decode_cur_fn fn, void *out)
{
    if (m->scanned && m->scan_rc != 0) {
        return m->scan_rc;
    }
    if (m->body_len == 0 || m->body_len > PZ_MSG_BODY_BYTES_MAX) {
        return PZ_EPROTO;
    }
    pz_arena_t *a = pz_msg_arena(m);
    if (a == NULL) {
        return PZ_ENOMEM;
    }
    pz_cur_t c = {.p = m->body, .end = m->body + m->body_len, .skipped = false};
    int rc = fn(&c, out, a, 0);
    if (rc == 0 && c.p != c.end) {
        rc = PZ_EPROTO; /* trailing bytes after the document */
    }
    if ((rc != 0 || c.skipped) && !m->scanned) {
        pz_cur_t scan;
        m->scan_rc = pz__cur_init(m->body, m->body_len, &scan);
        m->scanned = true;
    }
    return m->scanned && m->scan_rc != 0 ? m->scan_rc : rc;
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
