/*
 * pgwire_in.c — framing of frontend bytes into pgwire messages, and parsing of the startup packet
 * and the Query message.
 *
 * Hand-written (no Debian library implements the backend side of pgwire) and free of I/O so the
 * unit tests can feed it any bytes. Lengths are checked as soon as the header is complete, before
 * the buffer grows for the body: a client claiming a 1 GiB message is refused with 5 bytes read,
 * not after we allocated for it. The buffer holds at most one whole message plus what followed it
 * in the same read.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/errors.h"
#include "pgwire.h"

/* First allocation: most messages (a Query with a short statement) fit in it. */
#define S_INITIAL_CAP 8192u

static uint32_t s_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

int pz_pgw_in_init(pz_pgw_in_t *in, size_t msg_max)
{
    assert(in != NULL);
    assert(msg_max >= 4 && msg_max <= PZ_SQL_MSG_BYTES_MAX);
    memset(in, 0, sizeof *in);
    in->buf = malloc(S_INITIAL_CAP);
    if (in->buf == NULL) {
        return PZ_ENOMEM;
    }
    in->cap = S_INITIAL_CAP;
    in->msg_max = msg_max;
    return 0;
}

void pz_pgw_in_free(pz_pgw_in_t *in)
{
    assert(in != NULL);
    free(in->buf);
    in->buf = NULL;
    in->cap = in->start = in->end = 0;
}

size_t pz_pgw_in_pending(const pz_pgw_in_t *in)
{
    assert(in->start <= in->end);
    return in->end - in->start;
}

/* Bytes the message at `start` needs in total, as far as its header tells: the header size while
 * the header is incomplete. Only called after pz_pgw_in_next validated the lengths it could see,
 * so the result is bounded by a whole message. */
static size_t s_needed(const pz_pgw_in_t *in)
{
    size_t have = in->end - in->start;
    size_t hdr = in->started ? 5 : 4;
    if (have < hdr) {
        return hdr;
    }
    uint32_t len = s_be32(in->buf + in->start + (in->started ? 1 : 0));
    size_t total = (size_t)len + (in->started ? 1 : 0);
    size_t max = in->started ? in->msg_max + 5 : PZ_SQL_STARTUP_BYTES_MAX;
    /* Defensive: an unvalidated length never sizes the buffer. */
    return total > hdr && total <= max ? total : hdr;
}

int pz_pgw_in_space(pz_pgw_in_t *in, uint8_t **p, size_t *n)
{
    assert(in != NULL && in->buf != NULL && p != NULL && n != NULL);
    size_t need = s_needed(in);
    if (in->start > 0 && (in->end == in->cap || in->start + need > in->cap)) {
        size_t have = in->end - in->start;
        memmove(in->buf, in->buf + in->start, have);
        in->start = 0;
        in->end = have;
    }
    if (need > in->cap) {
        uint8_t *nb = realloc(in->buf, need);
        if (nb == NULL) {
            return PZ_ENOMEM;
        }
        in->buf = nb;
        in->cap = need;
    }
    if (in->end == in->cap) {
        /* Full with a whole message still unread: the caller must drain with next() first. */
        assert(in->end - in->start >= need);
        return PZ_ELIMIT;
    }
    *p = in->buf + in->end;
    *n = in->cap - in->end;
    assert(*n > 0);
    return 0;
}

void pz_pgw_in_commit(pz_pgw_in_t *in, size_t n)
{
    assert(in->end + n <= in->cap);
    in->end += n;
}

void pz_pgw_in_start_done(pz_pgw_in_t *in)
{
    assert(!in->started);
    in->started = true;
}

static int s_fail(pz_pgw_in_t *in, int code, const char *fmt, uint32_t a)
{
    snprintf(in->error, sizeof in->error, fmt, a);
    return code;
}

/* Regular message types a frontend may send (protocol 3.0, "Message Formats"). Anything else is
 * garbage: PostgreSQL answers "invalid frontend message type" and closes. */
static bool s_frontend_type(uint8_t t)
{
    return strchr("QPBDECSHXFdcfp", t) != NULL && t != 0;
}

int pz_pgw_in_next(pz_pgw_in_t *in, pz_pgw_msg_t *msg)
{
    assert(in != NULL && msg != NULL);
    size_t have = in->end - in->start;
    const uint8_t *p = in->buf + in->start;
    if (!in->started) {
        if (have < 4) {
            return 0;
        }
        uint32_t len = s_be32(p);
        if (len < 8 || len > PZ_SQL_STARTUP_BYTES_MAX) {
            return s_fail(in, PZ_EPROTO, "invalid length of startup packet: %u", len);
        }
        if (have < len) {
            return 0;
        }
        *msg = (pz_pgw_msg_t){.type = 0, .body = p + 4, .len = len - 4};
        in->start += len;
        return 1;
    }
    if (have < 1) {
        return 0;
    }
    if (!s_frontend_type(p[0])) {
        return s_fail(in, PZ_EPROTO, "invalid frontend message type %u", p[0]);
    }
    if (have < 5) {
        return 0;
    }
    uint32_t len = s_be32(p + 1);
    if (len < 4 || len > 0x7fffffffu) {
        return s_fail(in, PZ_EPROTO, "invalid frontend message length %u", len);
    }
    if (len - 4 > in->msg_max) {
        return s_fail(in, PZ_ETOOBIG, "invalid frontend message length %u: over the limit", len);
    }
    if (have < (size_t)len + 1) {
        return 0;
    }
    *msg = (pz_pgw_msg_t){.type = p[0], .body = p + 5, .len = len - 4};
    in->start += (size_t)len + 1;
    return 1;
}

/* Next NUL-terminated string at *off within [body, body+len): NULL if no NUL before the end. */
static const char *s_str(const pz_pgw_msg_t *m, uint32_t *off)
{
    const uint8_t *start = m->body + *off;
    const uint8_t *nul = memchr(start, 0, m->len - *off);
    if (nul == NULL) {
        return NULL;
    }
    *off += (uint32_t)(nul - start) + 1;
    return (const char *)start;
}

static int s_params(const pz_pgw_msg_t *m, pz_pgw_startup_t *out, char *why, size_t why_cap)
{
    uint32_t off = 4;
    for (;;) {
        if (off >= m->len) {
            snprintf(why, why_cap,
                     "invalid startup packet layout: expected terminator as "
                     "last byte");
            return PZ_EPROTO;
        }
        const char *name = s_str(m, &off);
        if (name == NULL) {
            snprintf(why, why_cap, "invalid startup packet layout: unterminated name");
            return PZ_EPROTO;
        }
        if (name[0] == '\0') {
            break;
        }
        const char *value = s_str(m, &off);
        if (value == NULL) {
            snprintf(why, why_cap, "invalid startup packet layout: missing value for %.64s", name);
            return PZ_EPROTO;
        }
        if (out->n_params == PZ_SQL_STARTUP_PARAMS_MAX) {
            snprintf(why, why_cap, "too many startup parameters (at most %d)",
                     PZ_SQL_STARTUP_PARAMS_MAX);
            return PZ_ELIMIT;
        }
        out->names[out->n_params] = name;
        out->values[out->n_params] = value;
        out->n_params++;
    }
    if (off != m->len) {
        snprintf(why, why_cap,
                 "invalid startup packet layout: expected terminator as last "
                 "byte");
        return PZ_EPROTO;
    }
    return 0;
}

int pz_pgw_startup_parse(const pz_pgw_msg_t *msg, pz_pgw_startup_t *out, char *why, size_t why_cap)
{
    assert(msg != NULL && out != NULL && why != NULL && why_cap > 0);
    memset(out, 0, sizeof *out);
    why[0] = '\0';
    if (msg->len < 4) {
        snprintf(why, why_cap, "invalid length of startup packet");
        return PZ_EPROTO;
    }
    out->code = s_be32(msg->body);
    switch (out->code) {
    case PZ_PGW_SSL_REQUEST:
    case PZ_PGW_GSSENC_REQUEST:
        return 0;
    case PZ_PGW_CANCEL_REQUEST:
        if (msg->len != 12) {
            snprintf(why, why_cap, "invalid length of cancel request packet");
            return PZ_EPROTO;
        }
        return 0;
    default:
        return s_params(msg, out, why, why_cap);
    }
}

const char *pz_pgw_startup_get(const pz_pgw_startup_t *s, const char *name)
{
    assert(s != NULL && name != NULL);
    for (uint32_t i = 0; i < s->n_params; i++) {
        if (strcmp(s->names[i], name) == 0) {
            return s->values[i];
        }
    }
    return NULL;
}

int pz_pgw_query_text(const pz_pgw_msg_t *msg, const char **text)
{
    assert(msg != NULL && text != NULL);
    if (msg->len == 0 || memchr(msg->body, 0, msg->len) != msg->body + msg->len - 1) {
        return PZ_EPROTO;
    }
    *text = (const char *)msg->body;
    return 0;
}
