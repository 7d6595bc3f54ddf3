/*
 * test_pgwire.c — proves the pgwire framing (pgwire_in.c) turns bytes into exactly the messages
 * they hold, however they are split, and refuses bad lengths and garbage before buffering past
 * them; that startup packets and Query bodies parse or are refused as PostgreSQL does; and that
 * the encoders (pgwire_out.c) produce the byte layouts of the protocol docs.
 *
 * How: byte buffers built by hand (good, truncated, oversized, garbage) fed through
 * pz_pgw_in_space/commit/next, whole and one byte at a time; encoded messages compared byte for
 * byte. No sockets.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pgwire.h"
#include "phantomzero/errors.h"

typedef struct {
    uint8_t b[4096];
    size_t n;
} s_bytes_t;

static void s_be32(s_bytes_t *b, uint32_t v)
{
    uint32_t be = htonl(v);
    memcpy(b->b + b->n, &be, 4);
    b->n += 4;
}

static void s_raw(s_bytes_t *b, const void *p, size_t n)
{
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

/* A StartupMessage 3.0 with the given NUL-separated pairs ("user\0root\0"), terminated. */
static void s_startup(s_bytes_t *b, uint32_t version, const char *pairs, size_t pairs_len)
{
    s_be32(b, (uint32_t)(4 + 4 + pairs_len + 1));
    s_be32(b, version);
    s_raw(b, pairs, pairs_len);
    b->b[b->n++] = 0;
}

static void s_msg(s_bytes_t *b, char type, const void *body, size_t n)
{
    b->b[b->n++] = (uint8_t)type;
    s_be32(b, (uint32_t)(n + 4));
    s_raw(b, body, n);
}

/* Feeds bytes in chunks of `chunk` and collects messages; returns the first error or the
 * number of messages. The startup phase ends after the first message. */
static int s_feed(pz_pgw_in_t *in, const s_bytes_t *b, size_t chunk, pz_pgw_msg_t *msgs,
                  uint8_t copies[][256], int max)
{
    size_t off = 0;
    int got = 0;
    for (;;) {
        pz_pgw_msg_t m;
        int rc;
        while ((rc = pz_pgw_in_next(in, &m)) == 1) {
            assert_true(got < max);
            memcpy(copies[got], m.body, m.len < 256 ? m.len : 256);
            msgs[got] = m;
            msgs[got].body = copies[got];
            got++;
            if (!in->started) {
                pz_pgw_in_start_done(in);
            }
        }
        if (rc < 0) {
            return rc;
        }
        if (off == b->n) {
            return got;
        }
        uint8_t *p;
        size_t n;
        assert_int_equal(pz_pgw_in_space(in, &p, &n), 0);
        size_t k = b->n - off < chunk ? b->n - off : chunk;
        k = k < n ? k : n;
        memcpy(p, b->b + off, k);
        pz_pgw_in_commit(in, k);
        off += k;
    }
}

static void test_startup_and_query_any_split(void **state)
{
    (void)state;
    static const char pairs[] = "user\0root\0database\0defaultdb\0";
    s_bytes_t b = {.n = 0};
    s_startup(&b, PZ_PGW_PROTO_3_0, pairs, sizeof pairs - 1);
    s_msg(&b, 'Q', "SELECT 1", 9);
    s_msg(&b, 'S', "", 0);
    s_msg(&b, 'X', "", 0);
    for (size_t chunk = 1; chunk <= b.n; chunk = chunk < 8 ? chunk + 1 : chunk * 3) {
        pz_pgw_in_t in;
        assert_int_equal(pz_pgw_in_init(&in, 1024), 0);
        pz_pgw_msg_t m[8];
        uint8_t copies[8][256];
        assert_int_equal(s_feed(&in, &b, chunk, m, copies, 8), 4);
        assert_int_equal(m[0].type, 0);
        pz_pgw_startup_t st;
        char why[160];
        assert_int_equal(pz_pgw_startup_parse(&m[0], &st, why, sizeof why), 0);
        assert_int_equal(st.code, PZ_PGW_PROTO_3_0);
        assert_int_equal(st.n_params, 2);
        assert_string_equal(pz_pgw_startup_get(&st, "user"), "root");
        assert_string_equal(pz_pgw_startup_get(&st, "database"), "defaultdb");
        assert_null(pz_pgw_startup_get(&st, "options"));
        assert_int_equal(m[1].type, 'Q');
        const char *q;
        assert_int_equal(pz_pgw_query_text(&m[1], &q), 0);
        assert_string_equal(q, "SELECT 1");
        assert_int_equal(m[2].type, 'S');
        assert_int_equal(m[2].len, 0);
        assert_int_equal(m[3].type, 'X');
        assert_int_equal(pz_pgw_in_pending(&in), 0);
        pz_pgw_in_free(&in);
    }
}

static void test_truncated_needs_more(void **state)
{
    (void)state;
    s_bytes_t b = {.n = 0};
    s_startup(&b, PZ_PGW_PROTO_3_0, "user\0u\0", 7);
    s_msg(&b, 'Q', "SELECT 1", 9);
    b.n -= 3; /* the Query is cut short */
    pz_pgw_in_t in;
    assert_int_equal(pz_pgw_in_init(&in, 1024), 0);
    pz_pgw_msg_t m[4];
    uint8_t copies[4][256];
    assert_int_equal(s_feed(&in, &b, 5, m, copies, 4), 1);
    assert_int_equal(pz_pgw_in_pending(&in), 5 + 9 - 3);
    pz_pgw_in_free(&in);
}

static int s_one_error(const s_bytes_t *b, size_t msg_max, char *error, size_t cap)
{
    pz_pgw_in_t in;
    assert_int_equal(pz_pgw_in_init(&in, msg_max), 0);
    pz_pgw_msg_t m[4];
    uint8_t copies[4][256];
    int rc = s_feed(&in, b, 7, m, copies, 4);
    snprintf(error, cap, "%s", in.error);
    pz_pgw_in_free(&in);
    return rc;
}

static void test_bad_lengths_and_garbage(void **state)
{
    (void)state;
    char err[160];
    /* Startup: too short, too long (checked from the 4 length bytes alone). */
    s_bytes_t b = {.n = 0};
    s_be32(&b, 7);
    s_be32(&b, PZ_PGW_PROTO_3_0);
    assert_int_equal(s_one_error(&b, 1024, err, sizeof err), PZ_EPROTO);
    assert_non_null(strstr(err, "startup packet"));
    b.n = 0;
    s_be32(&b, PZ_SQL_STARTUP_BYTES_MAX + 1);
    assert_int_equal(s_one_error(&b, 1024, err, sizeof err), PZ_EPROTO);

    /* After startup: an unknown type byte, a length under 4, one past the limit, a negative. */
    const struct {
        uint8_t type;
        uint32_t len;
        int rc;
        const char *word;
    } cases[] = {
        {'G', 4, PZ_EPROTO, "type 71"},   {0xff, 4, PZ_EPROTO, "type 255"},
        {'Q', 3, PZ_EPROTO, "length 3"},  {'Q', 0, PZ_EPROTO, "length 0"},
        {'Q', 1029, PZ_ETOOBIG, "limit"}, {'Q', 0x80000000u, PZ_EPROTO, "length"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b.n = 0;
        s_startup(&b, PZ_PGW_PROTO_3_0, "user\0u\0", 7);
        b.b[b.n++] = cases[i].type;
        s_be32(&b, cases[i].len);
        assert_int_equal(s_one_error(&b, 1024, err, sizeof err), cases[i].rc);
        assert_non_null(strstr(err, cases[i].word));
        assert_non_null(strstr(err, "invalid frontend message"));
    }
    /* Exactly at the limit is fine. */
    b.n = 0;
    s_startup(&b, PZ_PGW_PROTO_3_0, "user\0u\0", 7);
    uint8_t body[1024] = {0};
    s_msg(&b, 'd', body, sizeof body);
    assert_int_equal(s_one_error(&b, 1024, err, sizeof err), 2);
}

static void test_big_message_grows_buffer(void **state)
{
    (void)state;
    pz_pgw_in_t in;
    assert_int_equal(pz_pgw_in_init(&in, PZ_SQL_MSG_BYTES_MAX), 0);
    pz_pgw_in_start_done(&in);
    size_t body = 3u * 1024u * 1024u;
    uint8_t *buf = malloc(body + 5);
    assert_non_null(buf);
    buf[0] = 'Q';
    uint32_t be = htonl((uint32_t)(body + 4));
    memcpy(buf + 1, &be, 4);
    memset(buf + 5, 'x', body - 1);
    buf[5 + body - 1] = 0;
    size_t off = 0;
    pz_pgw_msg_t m;
    int rc;
    while ((rc = pz_pgw_in_next(&in, &m)) == 0) {
        uint8_t *p;
        size_t n;
        assert_int_equal(pz_pgw_in_space(&in, &p, &n), 0);
        assert_true(in.cap <= body + 5);
        n = n < body + 5 - off ? n : body + 5 - off;
        assert_true(n > 0);
        memcpy(p, buf + off, n);
        pz_pgw_in_commit(&in, n);
        off += n;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(m.len, body);
    const char *q;
    assert_int_equal(pz_pgw_query_text(&m, &q), 0);
    assert_int_equal(strlen(q), body - 1);
    free(buf);
    pz_pgw_in_free(&in);
}

static pz_pgw_msg_t s_body(const void *p, size_t n)
{
    return (pz_pgw_msg_t){.type = 0, .body = p, .len = (uint32_t)n};
}

static void test_startup_parse_refusals(void **state)
{
    (void)state;
    pz_pgw_startup_t st;
    char why[160];
    /* Missing final terminator, unterminated name, name without value. */
    static const uint8_t no_term[] = {0, 3, 0, 0, 'u', 's', 'e', 'r', 0, 'x', 0};
    static const uint8_t open_name[] = {0, 3, 0, 0, 'u', 's'};
    static const uint8_t no_value[] = {0, 3, 0, 0, 'u', 0, 0}; /* u = "", no terminator */
    static const uint8_t empty_value[] = {0, 3, 0, 0, 'u', 0, 0, 0};
    static const uint8_t trailing[] = {0, 3, 0, 0, 'u', 0, 'v', 0, 0, 'z'};
    pz_pgw_msg_t m = s_body(no_term, sizeof no_term);
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), PZ_EPROTO);
    assert_non_null(strstr(why, "terminator"));
    m = s_body(open_name, sizeof open_name);
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), PZ_EPROTO);
    m = s_body(no_value, sizeof no_value);
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), PZ_EPROTO);
    m = s_body(empty_value, sizeof empty_value);
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), 0);
    assert_string_equal(pz_pgw_startup_get(&st, "u"), "");
    m = s_body(trailing, sizeof trailing);
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), PZ_EPROTO);
    /* SSL, GSS and cancel requests. */
    uint8_t req[12] = {0x04, 0xd2, 0x16, 0x2f};
    m = s_body(req, 4);
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), 0);
    assert_int_equal(st.code, PZ_PGW_SSL_REQUEST);
    req[3] = 0x30;
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), 0);
    assert_int_equal(st.code, PZ_PGW_GSSENC_REQUEST);
    req[3] = 0x2e;
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), PZ_EPROTO);
    m = s_body(req, 12);
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), 0);
    assert_int_equal(st.code, PZ_PGW_CANCEL_REQUEST);
    /* Too many parameters. */
    uint8_t many[4 + 4 * (PZ_SQL_STARTUP_PARAMS_MAX + 1) + 1] = {0, 3, 0, 0};
    for (int i = 0; i <= PZ_SQL_STARTUP_PARAMS_MAX; i++) {
        memcpy(many + 4 + 4 * i, "a\0b", 4);
    }
    m = s_body(many, sizeof many);
    assert_int_equal(pz_pgw_startup_parse(&m, &st, why, sizeof why), PZ_ELIMIT);
}

static void test_query_text(void **state)
{
    (void)state;
    const char *q;
    pz_pgw_msg_t m = s_body("SELECT 1", 9);
    assert_int_equal(pz_pgw_query_text(&m, &q), 0);
    m = s_body("SELECT 1", 8); /* no terminator */
    assert_int_equal(pz_pgw_query_text(&m, &q), PZ_EPROTO);
    m = s_body("SEL\0ECT", 8); /* an embedded NUL */
    assert_int_equal(pz_pgw_query_text(&m, &q), PZ_EPROTO);
    m = s_body("", 0);
    assert_int_equal(pz_pgw_query_text(&m, &q), PZ_EPROTO);
}

static void test_encoders(void **state)
{
    (void)state;
    pz_pgw_out_t *o = calloc(1, sizeof *o);
    assert_non_null(o);
    assert_true(pz_pgw_put_auth_ok(o));
    assert_true(pz_pgw_put_param_status(o, "TimeZone", "UTC"));
    assert_true(pz_pgw_put_backend_key(o, 7, 0x01020304));
    assert_true(pz_pgw_put_ready(o, 'I'));
    assert_true(pz_pgw_put_empty_query(o));
    static const uint8_t want[] = {
        'R', 0,   0,   0,   8,   0, 0,   0,   0,   'S', 0,   0,   0,   17, 'T', 'i', 'm',
        'e', 'Z', 'o', 'n', 'e', 0, 'U', 'T', 'C', 0,   'K', 0,   0,   0,  12,  0,   0,
        0,   7,   1,   2,   3,   4, 'Z', 0,   0,   0,   5,   'I', 'I', 0,  0,   0,   4,
    };
    assert_int_equal(o->len, sizeof want);
    assert_memory_equal(o->buf, want, sizeof want);

    o->len = 0;
    pz_pgw_error_t e = {.severity = "ERROR", .sqlstate = "42601", .message = "bad", .position = 3};
    assert_true(pz_pgw_put_error(o, &e));
    static const uint8_t want_e[] = {'E', 0,   0,   0,   34,  'S', 'E', 'R', 'R', 'O', 'R', 0,
                                     'V', 'E', 'R', 'R', 'O', 'R', 0,   'C', '4', '2', '6', '0',
                                     '1', 0,   'M', 'b', 'a', 'd', 0,   'P', '3', 0,   0};
    assert_int_equal(o->len, sizeof want_e);
    assert_memory_equal(o->buf, want_e, sizeof want_e);

    /* A huge message field is truncated, so the error still fits. */
    char *big = malloc(100000);
    memset(big, 'm', 99999);
    big[99999] = 0;
    o->len = 0;
    e.message = big;
    assert_true(pz_pgw_put_error(o, &e));
    assert_true(o->len < PZ_SQL_ERR_FIELD_BYTES_MAX + 100);
    free(big);

    /* A full buffer takes nothing, not half a message. */
    o->len = sizeof o->buf - 5; /* ReadyForQuery needs 6 bytes, EmptyQueryResponse 5 */
    assert_false(pz_pgw_put_ready(o, 'I'));
    assert_int_equal(o->len, sizeof o->buf - 5);
    assert_true(pz_pgw_put_empty_query(o));
    assert_int_equal(o->len, sizeof o->buf);
    assert_false(pz_pgw_put_byte(o, 'N'));
    free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_startup_and_query_any_split),
        cmocka_unit_test(test_truncated_needs_more),
        cmocka_unit_test(test_bad_lengths_and_garbage),
        cmocka_unit_test(test_big_message_grows_buffer),
        cmocka_unit_test(test_startup_parse_refusals),
        cmocka_unit_test(test_query_text),
        cmocka_unit_test(test_encoders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
