/*
 * fuzz_pgwire.c — libFuzzer target for the bytes a pgwire client sends: framing (pgwire_in.c),
 * the startup-packet and Query decoders, and whole sessions (session.c) with the parse glue.
 *
 * Input layout (the seeds in corpus_pgwire/ follow it): byte 0 is a control byte, the rest is
 * the client's byte stream, exactly what it would write to the socket.
 *   bits 0-5  read size: each recv returns at most this many bytes (0 = as many as asked), so the
 *             framing sees messages split at every boundary
 *   bit 6     over_limit: the session only answers 53300 after the startup packet
 *   bit 7     write size: each send takes at most 7 bytes, exercising s_flush's loop
 *
 * Two passes per input:
 *  1. The framing alone: pz_pgw_in with a small message limit (64 bytes, so ETOOBIG and buffer
 *     growth are reachable with short inputs), every message checked to lie inside the buffer,
 *     startup packets through pz_pgw_startup_parse (after the first protocol-3 one, regular
 *     messages follow, as in the session) and Query bodies through pz_pgw_query_text.
 *  2. A whole session, pz_sql_session_run, single-threaded: session.c is compiled with recv and
 *     send renamed (see CMakeLists.txt) to functions here that read the input and collect the
 *     output in memory; the end of the input is the client closing. recv never answers EAGAIN
 *     and send always takes something, so the session never polls its (fake) socket. Every byte
 *     the session wrote must be a well-formed backend message stream (s_check_output).
 * Nothing may crash, leak, trip ASan/UBSan or an assertion; a broken property aborts.
 *
 * The session runs on libFuzzer's thread, not on a PZ_SQL_SESSION_STACK_BYTES session thread:
 * with inputs of a few KiB (smoke.sh passes -max_len=4096) the parse tree stays far below the
 * depth that needs that stack.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "phantomzero/errors.h"
#include "phantomzero/kernel.h"
#include "pgwire.h"
#include "session.h"

#define S_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The fake socket the session reads and writes (session.c calls these as recv and send). */
static struct {
    const uint8_t *in;
    size_t in_len, in_off;
    size_t read_max;  /* 0 = unbounded */
    size_t write_max; /* 0 = unbounded */
    uint8_t *out;
    size_t out_len, out_cap;
} s_sock;

ssize_t pz_fuzz_recv(int fd, void *buf, size_t n, int flags);
ssize_t pz_fuzz_send(int fd, const void *buf, size_t n, int flags);

ssize_t pz_fuzz_recv(int fd, void *buf, size_t n, int flags)
{
    (void)fd;
    (void)flags;
    S_CHECK(n > 0);
    size_t left = s_sock.in_len - s_sock.in_off;
    if (left == 0) {
        return 0; /* the client closed */
    }
    if (n > left) {
        n = left;
    }
    if (s_sock.read_max != 0 && n > s_sock.read_max) {
        n = s_sock.read_max;
    }
    memcpy(buf, s_sock.in + s_sock.in_off, n);
    s_sock.in_off += n;
    return (ssize_t)n;
}

ssize_t pz_fuzz_send(int fd, const void *buf, size_t n, int flags)
{
    (void)fd;
    (void)flags;
    S_CHECK(n > 0);
    if (s_sock.write_max != 0 && n > s_sock.write_max) {
        n = s_sock.write_max;
    }
    if (s_sock.out_len + n > s_sock.out_cap) {
        size_t cap = s_sock.out_cap ? s_sock.out_cap : 4096;
        while (cap < s_sock.out_len + n) {
            cap *= 2;
        }
        uint8_t *p = realloc(s_sock.out, cap);
        S_CHECK(p != NULL);
        s_sock.out = p;
        s_sock.out_cap = cap;
    }
    memcpy(s_sock.out + s_sock.out_len, buf, n);
    s_sock.out_len += n;
    return (ssize_t)n;
}

static uint32_t s_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

/* Length of the NUL-terminated string at p within n bytes, or SIZE_MAX if unterminated. */
static size_t s_strlen(const uint8_t *p, size_t n)
{
    const uint8_t *nul = memchr(p, 0, n);
    return nul == NULL ? SIZE_MAX : (size_t)(nul - p);
}

/* An ErrorResponse body: (code, text NUL)* then NUL, nothing after; S, V, C (five characters)
 * and M present. Returns whether its severity is FATAL. */
static bool s_check_error(const uint8_t *b, size_t n)
{
    bool has_s = false, has_v = false, has_c = false, has_m = false, fatal = false;
    size_t off = 0;
    for (;;) {
        S_CHECK(off < n);
        uint8_t code = b[off++];
        if (code == 0) {
            break;
        }
        size_t l = s_strlen(b + off, n - off);
        S_CHECK(l != SIZE_MAX);
        const char *text = (const char *)b + off;
        switch (code) {
        case 'S':
            has_s = true;
            fatal = strcmp(text, "FATAL") == 0;
            S_CHECK(fatal || strcmp(text, "ERROR") == 0);
            break;
        case 'V':
            has_v = true;
            break;
        case 'C':
            has_c = true;
            S_CHECK(l == 5);
            break;
        case 'M':
            has_m = true;
            break;
        case 'D':
        case 'H':
            break;
        case 'P':
            S_CHECK(l > 0 && l < 12 && text[0] >= '1' && text[0] <= '9');
            break;
        default:
            S_CHECK(false);
        }
        off += l + 1;
    }
    S_CHECK(off == n && has_s && has_v && has_c && has_m);
    return fatal;
}

/* The whole output of a session: lone 'N' answers to SSL/GSSENC requests, then framed backend
 * messages, each well formed; the welcome (optionally after NegotiateProtocolVersion) before any
 * query answer; a FATAL error only as the last message. */
static void s_check_output(const uint8_t *p, size_t n)
{
    size_t off = 0;
    int negotiations = 0;
    while (off < n && p[off] == 'N') { /* the session never sends NoticeResponse */
        off++;
        negotiations++;
    }
    S_CHECK(negotiations < PZ_SQL_NEGOTIATIONS_MAX);
    bool welcomed = false, negotiated = false;
    while (off < n) {
        S_CHECK(n - off >= 5);
        uint8_t type = p[off];
        uint32_t len = s_be32(p + off + 1);
        S_CHECK(len >= 4 && len - 4 <= n - off - 5);
        const uint8_t *b = p + off + 5;
        size_t bl = len - 4;
        off += 1 + (size_t)len;
        switch (type) {
        case 'v': { /* NegotiateProtocolVersion: minor, count, count option names */
            S_CHECK(!welcomed && !negotiated && bl >= 8);
            negotiated = true;
            uint32_t count = s_be32(b + 4);
            size_t o = 8;
            for (uint32_t i = 0; i < count; i++) {
                S_CHECK(o < bl);
                size_t l = s_strlen(b + o, bl - o);
                S_CHECK(l != SIZE_MAX);
                o += l + 1;
            }
            S_CHECK(o == bl);
            break;
        }
        case 'R':
            S_CHECK(!welcomed && bl == 4 && s_be32(b) == 0);
            welcomed = true;
            break;
        case 'S': {
            S_CHECK(welcomed);
            size_t l1 = s_strlen(b, bl);
            S_CHECK(l1 != SIZE_MAX && l1 > 0);
            size_t l2 = s_strlen(b + l1 + 1, bl - l1 - 1);
            S_CHECK(l2 != SIZE_MAX && l1 + 1 + l2 + 1 == bl);
            break;
        }
        case 'K':
            S_CHECK(welcomed && bl == 8);
            break;
        case 'Z':
            S_CHECK(welcomed && bl == 1 && (b[0] == 'I' || b[0] == 'T' || b[0] == 'E'));
            break;
        case 'I':
            S_CHECK(welcomed && bl == 0);
            break;
        case 'E':
            if (s_check_error(b, bl)) {
                S_CHECK(off == n); /* FATAL closes the connection */
            } else {
                S_CHECK(welcomed); /* an ERROR answers a message after startup */
            }
            break;
        default:
            S_CHECK(false);
        }
    }
    S_CHECK(!negotiated || welcomed || off == n);
}

/* Pass 1: the framing and the decoders alone, with a small message limit. */
static void s_framing(const uint8_t *data, size_t size, size_t read_max)
{
    pz_pgw_in_t in;
    if (pz_pgw_in_init(&in, 64) != 0) {
        return;
    }
    size_t off = 0;
    for (;;) {
        pz_pgw_msg_t msg;
        int rc = pz_pgw_in_next(&in, &msg);
        if (rc < 0) {
            S_CHECK(rc == PZ_EPROTO || rc == PZ_ETOOBIG);
            S_CHECK(in.error[0] != '\0');
            break;
        }
        if (rc == 1) {
            S_CHECK(msg.body >= in.buf && msg.body + msg.len <= in.buf + in.end);
            if (!in.started) {
                S_CHECK(msg.type == 0 && msg.len >= 4 && msg.len + 4 <= PZ_SQL_STARTUP_BYTES_MAX);
                pz_pgw_startup_t st;
                char why[160];
                int prc = pz_pgw_startup_parse(&msg, &st, why, sizeof why);
                S_CHECK(prc == 0 || ((prc == PZ_EPROTO || prc == PZ_ELIMIT) && why[0] != '\0'));
                if (prc == 0) {
                    S_CHECK(st.n_params <= PZ_SQL_STARTUP_PARAMS_MAX);
                    for (uint32_t i = 0; i < st.n_params; i++) {
                        const uint8_t *nm = (const uint8_t *)st.names[i];
                        const uint8_t *v = (const uint8_t *)st.values[i];
                        S_CHECK(nm >= msg.body && nm < msg.body + msg.len);
                        S_CHECK(v >= msg.body && v < msg.body + msg.len);
                    }
                    (void)pz_pgw_startup_get(&st, "user");
                    if (st.code >> 16 == 3) {
                        pz_pgw_in_start_done(&in);
                    }
                }
            } else {
                S_CHECK(msg.type != 0 && msg.len <= 64);
                if (msg.type == 'Q') {
                    const char *text;
                    if (pz_pgw_query_text(&msg, &text) == 0) {
                        S_CHECK(strlen(text) + 1 == msg.len);
                    }
                }
            }
            continue;
        }
        if (off == size) {
            break;
        }
        uint8_t *p;
        size_t n;
        rc = pz_pgw_in_space(&in, &p, &n);
        S_CHECK(rc == 0 && n > 0);
        S_CHECK(p >= in.buf && p + n <= in.buf + in.cap);
        if (n > size - off) {
            n = size - off;
        }
        if (read_max != 0 && n > read_max) {
            n = read_max;
        }
        memcpy(p, data + off, n);
        pz_pgw_in_commit(&in, n);
        off += n;
    }
    pz_pgw_in_free(&in);
}

/* PZ_FUZZ_PGWIRE_DUMP=1 (when running a reproducer): the session's output on stderr. */
static bool s_dump;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    s_dump = getenv("PZ_FUZZ_PGWIRE_DUMP") != NULL;
    pz_log_set_level(PZ_LOG_ERROR); /* the session logs every FATAL at INFO */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    uint8_t ctl = data[0];
    data++;
    size--;
    size_t read_max = ctl & 0x3f;
    s_framing(data, size, read_max);

    s_sock.in = data;
    s_sock.in_len = size;
    s_sock.in_off = 0;
    s_sock.read_max = read_max;
    s_sock.write_max = (ctl & 0x80) ? 7 : 0;
    s_sock.out_len = 0;
    atomic_bool stop = false;
    pz_sql_session_cfg_t cfg = {
        .fd = 0, /* never used: recv and send are ours, and they never make the session poll */
        .pid = 1,
        .over_limit = (ctl & 0x40) != 0,
        .stop = &stop,
        .log = NULL,
    };
    pz_sql_session_run(&cfg);
    if (s_dump) {
        fprintf(stderr, "session output, %zu bytes:\n", s_sock.out_len);
        for (size_t i = 0; i < s_sock.out_len; i++) {
            uint8_t c = s_sock.out[i];
            fprintf(stderr, c >= 0x20 && c < 0x7f ? "%c" : "\\x%02x", c);
        }
        fprintf(stderr, "\n");
    }
    s_check_output(s_sock.out, s_sock.out_len);
    free(s_sock.out);
    s_sock.out = NULL;
    s_sock.out_cap = 0;
    return 0;
}
