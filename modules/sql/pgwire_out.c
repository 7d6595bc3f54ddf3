/*
 * pgwire_out.c — encoding of backend pgwire messages into a session's output buffer.
 *
 * Hand-written for the same reason as pgwire_in.c (no library implements the backend side).
 * Each function appends one whole message or nothing: a message is sized before a byte is
 * written, so a full buffer never leaves half a message for the client to choke on.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "pgwire.h"

/* A message under construction: type, length word patched at the end. */
typedef struct {
    pz_pgw_out_t *o;
    size_t start;
} s_msg_t;

static bool s_begin(pz_pgw_out_t *o, uint8_t type, size_t body_len, s_msg_t *m)
{
    assert(o->len <= sizeof o->buf);
    if (body_len > sizeof o->buf - o->len || sizeof o->buf - o->len - body_len < 5) {
        return false;
    }
    m->o = o;
    m->start = o->len;
    o->buf[o->len++] = type;
    o->len += 4; /* length, patched by s_end */
    return true;
}

static void s_bytes(s_msg_t *m, const void *p, size_t n)
{
    memcpy(m->o->buf + m->o->len, p, n);
    m->o->len += n;
}

static void s_u32(s_msg_t *m, uint32_t v)
{
    uint32_t be = htonl(v);
    s_bytes(m, &be, 4);
}

static void s_cstr(s_msg_t *m, const char *s, size_t n)
{
    s_bytes(m, s, n);
    m->o->buf[m->o->len++] = 0;
}

static bool s_end(s_msg_t *m, size_t body_len)
{
    uint32_t len = (uint32_t)(m->o->len - m->start - 1);
    assert(len == body_len + 4);
    uint32_t be = htonl(len);
    memcpy(m->o->buf + m->start + 1, &be, 4);
    return true;
}

bool pz_pgw_put_byte(pz_pgw_out_t *o, uint8_t b)
{
    if (o->len >= sizeof o->buf) {
        return false;
    }
    o->buf[o->len++] = b;
    return true;
}

bool pz_pgw_put_auth_ok(pz_pgw_out_t *o)
{
    s_msg_t m;
    if (!s_begin(o, 'R', 4, &m)) {
        return false;
    }
    s_u32(&m, 0);
    return s_end(&m, 4);
}

bool pz_pgw_put_param_status(pz_pgw_out_t *o, const char *name, const char *value)
{
    assert(name != NULL && value != NULL);
    size_t nl = strlen(name), vl = strlen(value);
    s_msg_t m;
    if (!s_begin(o, 'S', nl + vl + 2, &m)) {
        return false;
    }
    s_cstr(&m, name, nl);
    s_cstr(&m, value, vl);
    return s_end(&m, nl + vl + 2);
}

bool pz_pgw_put_backend_key(pz_pgw_out_t *o, uint32_t pid, uint32_t secret)
{
    s_msg_t m;
    if (!s_begin(o, 'K', 8, &m)) {
        return false;
    }
    s_u32(&m, pid);
    s_u32(&m, secret);
    return s_end(&m, 8);
}

bool pz_pgw_put_ready(pz_pgw_out_t *o, char status)
{
    assert(status == 'I' || status == 'T' || status == 'E');
    s_msg_t m;
    if (!s_begin(o, 'Z', 1, &m)) {
        return false;
    }
    uint8_t b = (uint8_t)status;
    s_bytes(&m, &b, 1);
    return s_end(&m, 1);
}

bool pz_pgw_put_empty_query(pz_pgw_out_t *o)
{
    s_msg_t m;
    if (!s_begin(o, 'I', 0, &m)) {
        return false;
    }
    return s_end(&m, 0);
}

/* Length of a field's text as sent: truncated to the field bound, and never in the middle of a
 * UTF-8 sequence (the client decodes it as UTF-8). */
static size_t s_field_len(const char *s)
{
    size_t n = strnlen(s, PZ_SQL_ERR_FIELD_BYTES_MAX + 1);
    if (n <= PZ_SQL_ERR_FIELD_BYTES_MAX) {
        return n;
    }
    n = PZ_SQL_ERR_FIELD_BYTES_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
    }
    return n;
}

bool pz_pgw_put_error(pz_pgw_out_t *o, const pz_pgw_error_t *e)
{
    assert(e != NULL && e->severity != NULL && e->sqlstate != NULL);
    assert(strlen(e->sqlstate) == 5);
    char pos[16] = "";
    if (e->position > 0) {
        snprintf(pos, sizeof pos, "%d", e->position);
    }
    /* S and V carry the same severity: V (non-localized) exists since PostgreSQL 9.6. */
    const struct {
        char code;
        const char *text;
    } fields[] = {{'S', e->severity}, {'V', e->severity},
                  {'C', e->sqlstate}, {'M', e->message ? e->message : ""},
                  {'D', e->detail},   {'H', e->hint},
                  {'P', pos},         {'W', e->context}};
    size_t body = 1; /* the final terminator */
    size_t lens[sizeof fields / sizeof fields[0]];
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        bool keep = fields[i].text != NULL && (fields[i].text[0] != '\0' || fields[i].code == 'M');
        lens[i] = keep ? s_field_len(fields[i].text) : SIZE_MAX;
        body += keep ? lens[i] + 2 : 0;
    }
    s_msg_t m;
    if (!s_begin(o, e->notice ? 'N' : 'E', body, &m)) {
        return false;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (lens[i] != SIZE_MAX) {
            uint8_t c = (uint8_t)fields[i].code;
            s_bytes(&m, &c, 1);
            s_cstr(&m, fields[i].text, lens[i]);
        }
    }
    uint8_t z = 0;
    s_bytes(&m, &z, 1);
    return s_end(&m, body);
}

bool pz_pgw_put_negotiate(pz_pgw_out_t *o, uint32_t minor, const char *const *options,
                          uint32_t n_options)
{
    size_t body = 8;
    for (uint32_t i = 0; i < n_options; i++) {
        body += strnlen(options[i], PZ_SQL_ERR_FIELD_BYTES_MAX) + 1;
    }
    s_msg_t m;
    if (!s_begin(o, 'v', body, &m)) {
        return false;
    }
    s_u32(&m, minor);
    s_u32(&m, n_options);
    for (uint32_t i = 0; i < n_options; i++) {
        s_cstr(&m, options[i], strnlen(options[i], PZ_SQL_ERR_FIELD_BYTES_MAX));
    }
    return s_end(&m, body);
}

bool pz_pgw_put_raw(pz_pgw_out_t *o, uint8_t type, const void *body, size_t len)
{
    s_msg_t m;
    if (!s_begin(o, type, len, &m)) {
        return false;
    }
    s_bytes(&m, body, len);
    return s_end(&m, len);
}
