/*
 * test_session.c — proves a whole pgwire session (session.c) follows the protocol's message
 * flow: SSLRequest answered 'N', the startup reply set (AuthenticationOk, ParameterStatus,
 * BackendKeyData, ReadyForQuery), 0A000 naming the statement for every statement that parses,
 * 42601 with a position for syntax errors, EmptyQueryResponse, extended-protocol messages refused
 * and skipped until Sync, the session surviving its own errors, and the FATAL endings: garbage
 * (08P01), an unsupported protocol (0A000), no user (28000), past the connection limit (53300),
 * idle timeout (57P05), server stop (57P01); Terminate and a cancel request close silently.
 *
 * How: the session runs on a thread over one end of a socketpair; the test is the client on the
 * other end, writing frontend bytes and reading backend messages with a timeout.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "phantomzero/errors.h"
#include "session.h"
#include "sql_limits.h"

typedef struct {
    int fd;        /* the client's end */
    int server_fd; /* the session's end */
    atomic_bool stop;
    pz_sql_session_cfg_t cfg;
    pthread_t thread;
} s_conn_t;

typedef struct {
    char type;
    uint32_t len;
    uint8_t body[4096];
} s_reply_t;

static void *s_run(void *arg)
{
    s_conn_t *c = arg;
    pz_sql_session_run(&c->cfg);
    shutdown(c->server_fd, SHUT_RDWR); /* what closing does for the client: EOF */
    return NULL;
}

static s_conn_t *s_open(bool over_limit, uint32_t idle_ms)
{
    s_conn_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    c->fd = sv[0];
    c->server_fd = sv[1];
    c->cfg = (pz_sql_session_cfg_t){.fd = sv[1],
                                    .pid = 42,
                                    .idle_timeout_ms = idle_ms,
                                    .over_limit = over_limit,
                                    .stop = &c->stop};
    assert_int_equal(pthread_create(&c->thread, NULL, s_run, c), 0);
    return c;
}

static void s_close(s_conn_t *c)
{
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    close(c->fd);
    close(c->server_fd);
    free(c);
}

static void s_send(s_conn_t *c, const void *p, size_t n)
{
    assert_int_equal(write(c->fd, p, n), (ssize_t)n);
}

static void s_send_msg(s_conn_t *c, char type, const void *body, size_t n)
{
    uint8_t hdr[5] = {(uint8_t)type};
    uint32_t be = htonl((uint32_t)n + 4);
    memcpy(hdr + 1, &be, 4);
    s_send(c, hdr, 5);
    if (n > 0) {
        s_send(c, body, n);
    }
}

static void s_query(s_conn_t *c, const char *sql)
{
    s_send_msg(c, 'Q', sql, strlen(sql) + 1);
}

/* Reads exactly n bytes within 5 s; false on EOF. */
static bool s_read(s_conn_t *c, void *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, 5000), 1);
        ssize_t k = read(c->fd, (uint8_t *)p + off, n - off);
        if (k <= 0) {
            return false;
        }
        off += (size_t)k;
    }
    return true;
}

static void s_recv(s_conn_t *c, s_reply_t *r)
{
    uint8_t hdr[5];
    assert_true(s_read(c, hdr, 5));
    uint32_t be;
    memcpy(&be, hdr + 1, 4);
    r->type = (char)hdr[0];
    r->len = ntohl(be) - 4;
    assert_true(r->len < sizeof r->body);
    assert_true(s_read(c, r->body, r->len));
}

static void s_expect_eof(s_conn_t *c)
{
    uint8_t b;
    assert_false(s_read(c, &b, 1));
}

/* The text of error field `code`, or NULL. */
static const char *s_field(const s_reply_t *r, char code)
{
    size_t off = 0;
    while (off < r->len && r->body[off] != 0) {
        const char *text = (const char *)r->body + off + 1;
        if (r->body[off] == code) {
            return text;
        }
        off += 1 + strlen(text) + 1;
    }
    return NULL;
}

static void s_expect_error(s_conn_t *c, const char *severity, const char *sqlstate,
                           const char *words)
{
    s_reply_t r;
    s_recv(c, &r);
    assert_int_equal(r.type, 'E');
    assert_string_equal(s_field(&r, 'S'), severity);
    assert_string_equal(s_field(&r, 'V'), severity);
    assert_string_equal(s_field(&r, 'C'), sqlstate);
    assert_non_null(strstr(s_field(&r, 'M'), words));
}

static void s_expect_ready(s_conn_t *c)
{
    s_reply_t r;
    s_recv(c, &r);
    assert_int_equal(r.type, 'Z');
    assert_int_equal(r.len, 1);
    assert_int_equal(r.body[0], 'I');
}

static void s_startup_msg(s_conn_t *c, uint32_t version, const char *pairs, size_t pairs_len)
{
    uint8_t b[512];
    uint32_t len = htonl((uint32_t)(9 + pairs_len)), ver = htonl(version);
    memcpy(b, &len, 4);
    memcpy(b + 4, &ver, 4);
    memcpy(b + 8, pairs, pairs_len);
    b[8 + pairs_len] = 0;
    s_send(c, b, 9 + pairs_len);
}

static void s_ssl_request(s_conn_t *c)
{
    static const uint8_t req[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
    s_send(c, req, sizeof req);
    uint8_t answer;
    assert_true(s_read(c, &answer, 1));
    assert_int_equal(answer, 'N');
}

/* Startup as root and read the whole welcome. */
static void s_handshake(s_conn_t *c)
{
    static const char pairs[] = "user\0root\0application_name\0unit\0";
    s_startup_msg(c, 196608, pairs, sizeof pairs - 1);
    s_reply_t r;
    s_recv(c, &r);
    assert_int_equal(r.type, 'R');
    int params = 0;
    bool saw_version = false, saw_app = false;
    for (s_recv(c, &r); r.type == 'S'; s_recv(c, &r)) {
        params++;
        const char *name = (const char *)r.body, *value = name + strlen(name) + 1;
        saw_version |= strcmp(name, "server_version") == 0 && strcmp(value, "15.0") == 0;
        saw_app |= strcmp(name, "application_name") == 0 && strcmp(value, "unit") == 0;
    }
    assert_true(params >= 10 && saw_version && saw_app);
    assert_int_equal(r.type, 'K');
    assert_int_equal(r.len, 8);
    assert_int_equal(ntohl(*(uint32_t *)r.body), 42);
    s_expect_ready(c);
}

static void test_queries_and_errors(void **state)
{
    (void)state;
    s_conn_t *c = s_open(false, 0);
    s_ssl_request(c);
    s_ssl_request(c); /* GSS then SSL is allowed too; twice is within the bound */
    s_handshake(c);
    s_query(c, "SELECT 1");
    s_expect_error(c, "ERROR", "0A000", "SELECT statements are not supported yet");
    s_expect_ready(c);
    s_query(c, "SELEC 1");
    s_reply_t r;
    s_recv(c, &r);
    assert_int_equal(r.type, 'E');
    assert_string_equal(s_field(&r, 'C'), "42601");
    assert_string_equal(s_field(&r, 'P'), "1");
    s_expect_ready(c);
    s_query(c, " ; ");
    s_recv(c, &r);
    assert_int_equal(r.type, 'I');
    s_expect_ready(c);
    s_query(c, "create table t (a int); select 1");
    s_expect_error(c, "ERROR", "0A000", "CREATE TABLE statements");
    s_expect_ready(c);
    /* Extended protocol: Parse refused, Bind/Execute skipped, Sync answers ready. */
    s_send_msg(c, 'P', "\0SELECT 1\0\0\0", 13);
    s_send_msg(c, 'B', "\0\0\0\0\0\0\0\0", 8);
    s_send_msg(c, 'E', "\0\0\0\0\0", 5);
    s_send_msg(c, 'S', "", 0);
    s_expect_error(c, "ERROR", "0A000", "extended query protocol");
    s_expect_ready(c);
    /* Still usable; then Terminate closes without a word. */
    s_query(c, "BEGIN");
    s_expect_error(c, "ERROR", "0A000", "BEGIN statements");
    s_expect_ready(c);
    s_send_msg(c, 'X', "", 0);
    s_expect_eof(c);
    s_close(c);
}

static void test_garbage_is_fatal(void **state)
{
    (void)state;
    s_conn_t *c = s_open(false, 0);
    s_handshake(c);
    s_send(c, "GET / HTTP/1.1\r\n\r\n", 18);
    s_expect_error(c, "FATAL", "08P01", "invalid frontend message type 71");
    s_expect_eof(c);
    s_close(c);

    c = s_open(false, 0);
    s_handshake(c);
    uint8_t huge[5] = {'Q', 0x7f, 0xff, 0xff, 0xff};
    s_send(c, huge, 5);
    s_expect_error(c, "FATAL", "08P01", "invalid frontend message length");
    s_expect_eof(c);
    s_close(c);

    c = s_open(false, 0);
    s_handshake(c);
    s_send_msg(c, 'Q', "SELECT 1", 8); /* no terminating NUL */
    s_expect_error(c, "FATAL", "08P01", "invalid frontend message");
    s_expect_eof(c);
    s_close(c);
}

static void test_startup_refusals(void **state)
{
    (void)state;
    s_conn_t *c = s_open(false, 0);
    s_startup_msg(c, 4u << 16, "user\0root\0", 10);
    s_expect_error(c, "FATAL", "0A000", "unsupported frontend protocol 4.0");
    s_expect_eof(c);
    s_close(c);

    c = s_open(false, 0);
    s_startup_msg(c, 196608, "database\0x\0", 11);
    s_expect_error(c, "FATAL", "28000", "no PostgreSQL user name");
    s_expect_eof(c);
    s_close(c);

    c = s_open(true, 0);
    s_ssl_request(c);
    s_startup_msg(c, 196608, "user\0root\0", 10);
    s_expect_error(c, "FATAL", "53300", "sorry, too many clients already");
    s_expect_eof(c);
    s_close(c);

    c = s_open(false, 0);
    static const uint8_t cancel[16] = {0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1};
    s_send(c, cancel, sizeof cancel);
    s_expect_eof(c);
    s_close(c);

    c = s_open(false, 0);
    static const uint8_t ssl_and_more[12] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f, 'x', 'y'};
    s_send(c, ssl_and_more, sizeof ssl_and_more);
    s_expect_error(c, "FATAL", "08P01", "unencrypted data after SSL request");
    s_expect_eof(c);
    s_close(c);

    c = s_open(false, 0);
    static const uint8_t short_len[8] = {0, 0, 0, 3};
    s_send(c, short_len, sizeof short_len);
    s_expect_error(c, "FATAL", "08P01", "invalid length of startup packet");
    s_expect_eof(c);
    s_close(c);
}

static void test_newer_minor_negotiates(void **state)
{
    (void)state;
    s_conn_t *c = s_open(false, 0);
    static const char pairs[] = "user\0root\0_pq_.x\0y\0";
    s_startup_msg(c, 196608 + 2, pairs, sizeof pairs - 1);
    s_reply_t r;
    s_recv(c, &r);
    assert_int_equal(r.type, 'v');
    assert_int_equal(ntohl(*(uint32_t *)r.body), 0);
    assert_int_equal(ntohl(*(uint32_t *)(r.body + 4)), 1);
    assert_string_equal((const char *)r.body + 8, "_pq_.x");
    s_recv(c, &r);
    assert_int_equal(r.type, 'R');
    s_close(c);
}

static void test_idle_timeout_and_stop(void **state)
{
    (void)state;
    s_conn_t *c = s_open(false, 200);
    s_handshake(c);
    s_expect_error(c, "FATAL", "57P05", "idle-session timeout");
    s_expect_eof(c);
    s_close(c);

    c = s_open(false, 0);
    s_handshake(c);
    atomic_store(&c->stop, true);
    s_expect_error(c, "FATAL", "57P01", "administrator command");
    s_expect_eof(c);
    s_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queries_and_errors),    cmocka_unit_test(test_garbage_is_fatal),
        cmocka_unit_test(test_startup_refusals),      cmocka_unit_test(test_newer_minor_negotiates),
        cmocka_unit_test(test_idle_timeout_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
