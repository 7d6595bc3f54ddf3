/*
 * session.c — the state machine of one pgwire connection: startup, then simple and extended
 * query messages, until the client leaves.
 *
 * The protocol is written by hand because no Debian library implements the backend side of
 * pgwire. Framing is in pgwire_in.c / pgwire_out.c; this file does the socket I/O (waits with
 * timeouts, which park the session's task: sql_sched.c; blocking is allowed in SQL session
 * workers by DESIGN.md rule 3) and the message flow of the PostgreSQL docs, "Message Flow":
 *
 *   startup:  [SSLRequest|GSSENCRequest -> 'N']*  StartupMessage 3.x
 *             -> AuthenticationOk, ParameterStatus*, BackendKeyData, ReadyForQuery
 *             (CancelRequest -> close; another protocol -> FATAL 0A000)
 *   ready:    Query -> (EmptyQueryResponse | ErrorResponse) ReadyForQuery
 *             Parse/Bind/Describe/Execute/Close -> ErrorResponse, then skip to Sync
 *             Sync -> ReadyForQuery; Flush -> flush; Terminate -> close
 *             bad bytes -> FATAL 08P01, close this connection only
 *
 * There is no executor yet: a statement that parses is answered 0A000 naming its kind, never a
 * fake result. SSLRequest gets 'S' when TLS is configured (session_tls.c); authentication
 * follows the StartupMessage (session_auth.c).
 */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "session_int.h"
#include "sql_parse.h"
#include "sql_sched.h"

static uint64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool s_stopping(const s_sess_t *s)
{
    return atomic_load_explicit(s->cfg->stop, memory_order_relaxed);
}

/* Waits for `events` on the socket until deadline_ms (0 = none). 0 ready, PZ_ETIMEDOUT,
 * PZ_ECLOSED (server stopping), PZ_EIO. */
static int s_wait(s_sess_t *s, short events, uint64_t deadline_ms)
{
    for (;;) {
        if (s_stopping(s)) {
            return PZ_ECLOSED;
        }
        int slice = PZ_SQL_POLL_MS;
        if (deadline_ms != 0) {
            uint64_t now = s_now_ms();
            if (now >= deadline_ms) {
                return PZ_ETIMEDOUT;
            }
            slice = deadline_ms - now < (uint64_t)slice ? (int)(deadline_ms - now) : slice;
        }
        int n = pz_task_wait_fd(s->cfg->fd, events, slice);
        if (n > 0) {
            return 0; /* readable, writable, or an error/hangup the next syscall reports */
        }
        if (n < 0 && errno != EINTR) {
            return PZ_EIO;
        }
    }
}

/* session_auth.c / session_tls.c reach the wait and the clock through these. */
int pz__sess_wait(s_sess_t *s, short events, uint64_t deadline_ms)
{
    return s_wait(s, events, deadline_ms);
}

uint64_t pz__sess_now_ms(void)
{
    return s_now_ms();
}

/* Writes the whole output buffer. 0, or a negative code (the connection is lost). */
int pz__sess_flush(s_sess_t *s)
{
    size_t off = 0;
    s->flushes += s->out.len > 0;
    uint64_t deadline = s_now_ms() + PZ_SQL_WRITE_TIMEOUT_MS;
    while (off < s->out.len) {
        ssize_t n = pz__sess_io_write(s, s->out.buf + off, s->out.len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            s->out.len = 0;
            return PZ_EIO;
        }
        int rc = s_wait(s, pz__sess_io_events(s, POLLOUT), deadline);
        if (rc != 0) {
            s->out.len = 0;
            return rc;
        }
    }
    s->out.len = 0;
    return 0;
}

int pz__sess_emit(s_sess_t *s, uint8_t type, const void *body, size_t len)
{
    if (pz_pgw_put_raw(&s->out, type, body, len)) {
        return 0;
    }
    int rc = pz__sess_flush(s);
    if (rc != 0 || pz_pgw_put_raw(&s->out, type, body, len)) {
        return rc;
    }
    /* Larger than the whole buffer: the header from the buffer, the body straight out. */
    uint8_t hdr[5] = {type, (uint8_t)((len + 4) >> 24), (uint8_t)((len + 4) >> 16),
                      (uint8_t)((len + 4) >> 8), (uint8_t)(len + 4)};
    memcpy(s->out.buf, hdr, 5);
    s->out.len = 5;
    if ((rc = pz__sess_flush(s)) != 0) {
        return rc;
    }
    size_t off = 0;
    uint64_t deadline = s_now_ms() + PZ_SQL_WRITE_TIMEOUT_MS;
    while (off < len) {
        ssize_t n = pz__sess_io_write(s, (const uint8_t *)body + off, len - off);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return PZ_EIO;
        }
        if ((rc = s_wait(s, pz__sess_io_events(s, POLLOUT), deadline)) != 0) {
            return rc;
        }
    }
    return 0;
}

/* Appends an error; flushes first if the buffer is too full (never loses the error). */
void pz__sess_error(s_sess_t *s, const char *severity, const char *sqlstate, const char *message,
                    int position)
{
    pz_pgw_error_t e = {
        .severity = severity, .sqlstate = sqlstate, .message = message, .position = position};
    pz__sess_put_error(s, &e);
}

void pz__sess_put_error(s_sess_t *s, const pz_pgw_error_t *ep)
{
    pz_pgw_error_t e = *ep;
    if (!pz_pgw_put_error(&s->out, &e)) {
        pz__sess_flush(s);
        bool ok = pz_pgw_put_error(&s->out, &e);
        assert(ok);
        (void)ok;
    }
}

/* A FATAL error ends the connection: send it (best effort) and log why. */
int pz__sess_fatal(s_sess_t *s, const char *sqlstate, const char *message)
{
    pz_log(s->cfg->log, PZ_LOG_INFO, "session %u: FATAL %s: %s", s->cfg->pid, sqlstate, message);
    pz__sess_error(s, "FATAL", sqlstate, message, 0);
    pz__sess_flush(s);
    return S_DONE;
}

/* The next message, reading as needed until deadline_ms (0 = none). 1 with *msg set, or a
 * negative code: PZ_ECLOSED (client left or server stopping), PZ_ETIMEDOUT, PZ_EPROTO /
 * PZ_ETOOBIG (bad bytes: s->in.error says why), PZ_EIO, PZ_ENOMEM. */
static int s_next(s_sess_t *s, pz_pgw_msg_t *msg, uint64_t deadline_ms)
{
    for (;;) {
        int rc = pz_pgw_in_next(&s->in, msg);
        if (rc != 0) {
            return rc;
        }
        uint8_t *p;
        size_t n;
        if ((rc = pz_pgw_in_space(&s->in, &p, &n)) != 0) {
            return rc;
        }
        ssize_t got = pz__sess_io_read(s, p, n);
        if (got > 0) {
            pz_pgw_in_commit(&s->in, (size_t)got);
        } else if (got == 0) {
            return PZ_ECLOSED;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if ((rc = s_wait(s, pz__sess_io_events(s, POLLIN), deadline_ms)) != 0) {
                return rc;
            }
        } else {
            return PZ_EIO;
        }
    }
}

/* Ends the session after s_next failed, answering as PostgreSQL would. */
static int s_read_failed(s_sess_t *s, int rc, bool started)
{
    switch (rc) {
    case PZ_EPROTO:
    case PZ_ETOOBIG:
        return pz__sess_fatal(s, "08P01", s->in.error);
    case PZ_ECLOSED:
        if (s_stopping(s)) {
            return pz__sess_fatal(s, "57P01",
                                  "terminating connection due to administrator command");
        }
        return S_DONE; /* the client closed: nothing to say */
    case PZ_ETIMEDOUT:
        return started ? pz__sess_fatal(s, "57P05",
                                        "terminating connection due to idle-session timeout")
                       : pz__sess_fatal(s, "08006", "timeout expired during startup");
    case PZ_ENOMEM:
        return pz__sess_fatal(s, "53200", "out of memory");
    default:
        pz_log(s->cfg->log, PZ_LOG_DEBUG, "session %u: connection lost: %s", s->cfg->pid,
               pz_strerror(rc));
        return S_DONE;
    }
}

/* COPY FROM STDIN's reader (session_copy.c): the next message under the idle timeout. */
int pz__sess_read(s_sess_t *s, pz_pgw_msg_t *msg)
{
    uint64_t deadline = s->cfg->idle_timeout_ms ? s_now_ms() + s->cfg->idle_timeout_ms : 0;
    int rc = s_next(s, msg, deadline);
    if (rc < 0) {
        s_read_failed(s, rc, true);
        return rc;
    }
    return 1;
}

/* The authentication exchange's reader (session_auth.c): failures as in the startup phase. */
int pz__sess_next(s_sess_t *s, pz_pgw_msg_t *msg, uint64_t deadline_ms)
{
    int rc = s_next(s, msg, deadline_ms);
    if (rc < 0) {
        s_read_failed(s, rc, false);
        return rc;
    }
    return 1;
}

static void s_copy_param(char *dst, const char *src)
{
    snprintf(dst, PZ_SQL_NAME_BYTES_MAX, "%s", src ? src : "");
}

/* AuthenticationOk, the ParameterStatus set libpq and drivers read, BackendKeyData, ready. */
static int s_welcome(s_sess_t *s)
{
    uint32_t secret = s->cfg->secret;
    const char *tz = s->conn != NULL ? pz_sql_conn_setting(s->conn, "timezone") : NULL;
    tz = tz != NULL ? tz : "UTC";
    const char *params[][2] = {
        {"server_version", "15.0"},         {"server_encoding", "UTF8"},
        {"client_encoding", "UTF8"},        {"DateStyle", "ISO, MDY"},
        {"IntervalStyle", "postgres"},      {"TimeZone", tz},
        {"integer_datetimes", "on"},        {"standard_conforming_strings", "on"},
        {"application_name", s->app},       {"is_superuser", "on"},
        {"session_authorization", s->user},
    };
    bool ok = pz_pgw_put_auth_ok(&s->out);
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        ok = ok && pz_pgw_put_param_status(&s->out, params[i][0], params[i][1]);
    }
    ok = ok && pz_pgw_put_backend_key(&s->out, s->cfg->pid, secret);
    ok = ok && pz_pgw_put_ready(&s->out, 'I');
    assert(ok); /* a few hundred bytes into an empty 64 KiB buffer */
    (void)ok;
    if (!s->in.started) { /* authentication may have started typed messages */
        pz_pgw_in_start_done(&s->in);
    }
    pz_log(s->cfg->log, PZ_LOG_DEBUG, "session %u: user=%s database=%s application=%s", s->cfg->pid,
           s->user, s->database, s->app);
    return pz__sess_flush(s) == 0 ? 0 : S_DONE;
}

/* Words of the options parameter: PostgreSQL has no bound but the packet's size; libpq users
 * pass a few -c switches. Words past this are ignored. */
#define PZ_SQL_STARTUP_OPTION_WORDS_MAX 32

/* Splits options at unescaped whitespace, '\\' escaping the next byte (pg_split_opts). */
static int s_split_options(const char *opts, char (*words)[PZ_SQL_NAME_BYTES_MAX * 2], int max)
{
    int n = 0;
    const char *p = opts;
    while (n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        size_t len = 0;
        for (; *p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r'; p++) {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
            if (len + 1 < sizeof words[0]) {
                words[n][len++] = *p;
            }
        }
        words[n++][len] = '\0';
    }
    return n;
}

/* One "-c name=value" or "--name=value" word of the options parameter (PostgreSQL's
 * pg_split_opts and process_postgres_switches: '\\' escapes the next byte, '-' in the name may
 * stand for '_'); other switches are ignored. */
static int s_option(s_sess_t *s, const char *word, const char *next, bool *used)
{
    char name[PZ_SQL_NAME_BYTES_MAX], *eq;
    const char *nv = NULL;
    *used = false;
    if (strcmp(word, "-c") == 0 && next != NULL) {
        nv = next;
        *used = true;
    } else if (strncmp(word, "-c", 2) == 0) {
        nv = word + 2;
    } else if (strncmp(word, "--", 2) == 0) {
        nv = word + 2;
    }
    if (nv == NULL) {
        return 0;
    }
    snprintf(name, sizeof name, "%s", nv);
    if ((eq = strchr(name, '=')) == NULL) {
        char m[PZ_SQL_NAME_BYTES_MAX + 32];
        snprintf(m, sizeof m, "%s%s requires a value",
                 nv == word + 2 && word[1] == '-' ? "--" : "-c ", nv);
        pz__sess_fatal(s, "42601", m);
        return S_DONE;
    }
    *eq = '\0';
    for (char *p = name; *p; p++) {
        *p = *p == '-' ? '_' : *p;
    }
    pz_sql_err_t err = {0};
    if (pz_sql_conn_set_param(s->conn, name, strchr(nv, '=') + 1, &err) != 0) {
        pz__sess_fatal(s, err.sqlstate, err.message);
        return S_DONE;
    }
    return 0;
}

/* The settings of the startup packet: each parameter PostgreSQL treats as a setting (TimeZone,
 * DateStyle, search_path, ...), then the -c switches of options. A bad value is FATAL. */
static int s_startup_settings(s_sess_t *s, const pz_pgw_startup_t *st)
{
    char words[PZ_SQL_STARTUP_OPTION_WORDS_MAX][PZ_SQL_NAME_BYTES_MAX * 2];
    int n = 0;
    for (uint32_t i = 0; i < st->n_params; i++) {
        const char *k = st->names[i];
        if (strcmp(k, "options") == 0) {
            n = s_split_options(st->values[i], words, PZ_SQL_STARTUP_OPTION_WORDS_MAX);
        } else if (strcmp(k, "user") != 0 && strcmp(k, "database") != 0 &&
                   strcmp(k, "replication") != 0 && strncmp(k, "_pq_.", 5) != 0) {
            pz_sql_err_t err = {0};
            if (pz_sql_conn_set_param(s->conn, k, st->values[i], &err) != 0) {
                pz__sess_fatal(s, err.sqlstate, err.message);
                return S_DONE;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        bool used;
        if (s_option(s, words[i], i + 1 < n ? words[i + 1] : NULL, &used) != 0) {
            return S_DONE;
        }
        i += used;
    }
    return 0;
}

/* A StartupMessage: check the version and the user, then welcome (or refuse past the limit). */
static int s_on_startup(s_sess_t *s, const pz_pgw_startup_t *st)
{
    uint32_t major = st->code >> 16, minor = st->code & 0xffffu;
    if (major != 3) {
        char m[128];
        snprintf(m, sizeof m, "unsupported frontend protocol %u.%u: server supports 3.0 to 3.0",
                 major, minor);
        return pz__sess_fatal(s, "0A000", m);
    }
    const char *user = pz_pgw_startup_get(st, "user");
    if (user == NULL || user[0] == '\0') {
        return pz__sess_fatal(s, "28000", "no PostgreSQL user name specified in startup packet");
    }
    if (s->cfg->over_limit) {
        return pz__sess_fatal(s, "53300", "sorry, too many clients already");
    }
    if (minor > 0) {
        /* A newer 3.x client: tell it we speak 3.0 and which _pq_ options we ignored. */
        const char *ignored[PZ_SQL_STARTUP_PARAMS_MAX];
        uint32_t n = 0;
        for (uint32_t i = 0; i < st->n_params; i++) {
            if (strncmp(st->names[i], "_pq_.", 5) == 0) {
                ignored[n++] = st->names[i];
            }
        }
        bool ok = pz_pgw_put_negotiate(&s->out, 0, ignored, n);
        assert(ok);
        (void)ok;
    }
    const char *db = pz_pgw_startup_get(st, "database");
    s_copy_param(s->user, user);
    s_copy_param(s->database, db && db[0] ? db : "defaultdb");
    s_copy_param(s->app, pz_pgw_startup_get(st, "application_name"));
    if (pz__sess_auth(s) != 0) { /* session_auth.c: trust, password or SCRAM */
        return S_DONE;
    }
    if (s->cfg->engine != NULL) {
        pz_sql_err_t err = {0};
        int rc =
            pz_sql_conn_open(s->cfg->engine, s->user, s->database, s->cfg->stop, &s->conn, &err);
        if (rc != 0 && strcmp(err.sqlstate, "3D000") == 0 && strcmp(s->database, s->user) == 0) {
            /* psql sends the user's name as the database when none is given; CockroachDB's
             * default database stands in for it, as `cockroach sql` does. */
            pz_sql_err_clear(&err);
            s_copy_param(s->database, "defaultdb");
            rc = pz_sql_conn_open(s->cfg->engine, s->user, s->database, s->cfg->stop, &s->conn,
                                  &err);
        }
        if (rc != 0) {
            return pz__sess_fatal(s, err.sqlstate, err.message);
        }
        pz_sql_conn_set_cancel(s->conn, s->cfg->cancel);
        if (s_startup_settings(s, st) != 0) {
            return S_DONE;
        }
    }
    return s_welcome(s);
}

/* The startup phase: negotiations answered 'N', then one StartupMessage. 0 when the session
 * is ready for queries, S_DONE when it ended. */
static int s_startup(s_sess_t *s)
{
    uint64_t deadline = s_now_ms() + PZ_SQL_STARTUP_TIMEOUT_MS;
    for (int round = 0;; round++) {
        pz_pgw_msg_t msg;
        int rc = s_next(s, &msg, deadline);
        if (rc < 0) {
            return s_read_failed(s, rc, false);
        }
        pz_pgw_startup_t st;
        char why[160];
        if ((rc = pz_pgw_startup_parse(&msg, &st, why, sizeof why)) != 0) {
            return pz__sess_fatal(s, rc == PZ_ELIMIT ? "54000" : "08P01", why);
        }
        if (st.code == PZ_PGW_CANCEL_REQUEST) {
            /* Body: code, process id, secret. PostgreSQL closes without an answer. */
            if (msg.len == 12 && s->cfg->cancel_fn != NULL) {
                const uint8_t *p = msg.body;
                uint32_t pid =
                    (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
                uint32_t key =
                    (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
                s->cfg->cancel_fn(s->cfg->server, pid, key);
            }
            return S_DONE;
        }
        if (st.code != PZ_PGW_SSL_REQUEST && st.code != PZ_PGW_GSSENC_REQUEST) {
            return s_on_startup(s, &st);
        }
        if (round + 1 >= PZ_SQL_NEGOTIATIONS_MAX) {
            return pz__sess_fatal(s, "08P01", "too many encryption negotiation requests");
        }
        if (pz_pgw_in_pending(&s->in) != 0) {
            /* Bytes sent before our answer could be an injection (CVE-2021-23214). */
            return pz__sess_fatal(s, "08P01", "received unencrypted data after SSL request");
        }
        bool tls = st.code == PZ_PGW_SSL_REQUEST && pz__sess_tls_offered(s);
        bool ok = pz_pgw_put_byte(&s->out, tls ? 'S' : 'N');
        assert(ok);
        (void)ok;
        if (pz__sess_flush(s) != 0) {
            return S_DONE;
        }
        if (tls && pz__sess_tls_start(s, deadline) != 0) { /* session_tls.c */
            return S_DONE;
        }
    }
}

void pz__sess_ready(s_sess_t *s)
{
    char st = s->conn ? pz_sql_conn_status(s->conn) : 'I';
    if (!pz_pgw_put_ready(&s->out, st)) {
        pz__sess_flush(s);
        bool ok = pz_pgw_put_ready(&s->out, st);
        assert(ok);
        (void)ok;
    }
}

/* A simple Query: parse it all; answer each statement in order, stopping at the first error —
 * which, with no executor, is the first statement. */
static int s_on_query(s_sess_t *s, const pz_pgw_msg_t *msg)
{
    const char *text;
    if (pz_pgw_query_text(msg, &text) != 0) {
        return pz__sess_fatal(s, "08P01", "invalid frontend message: malformed query string");
    }
    if (s->conn != NULL) {
        return pz__sess_query(s, text);
    }
    pz_sql_parse_t p;
    int rc = pz_sql_parse(text, s->cfg->stop, &p);
    if (rc == PZ_ECLOSED) {
        return s_read_failed(s, rc, true); /* stopping: 57P01 */
    }
    if (rc == PZ_EINVAL) {
        pz__sess_error(s, "ERROR", "42601", p.error, p.cursorpos);
    } else if (rc == PZ_ELIMIT) {
        pz__sess_error(s, "ERROR", "54001", p.error, 0);
    } else if (rc != 0) {
        pz__sess_error(s, "ERROR", pz_err_sqlstate(rc), p.error, 0);
    } else if (p.n_stmts == 0) {
        bool ok = pz_pgw_put_empty_query(&s->out);
        assert(ok);
        (void)ok;
    } else {
        char m[128];
        snprintf(m, sizeof m, "%s statements are not supported yet", p.kind);
        pz__sess_error(s, "ERROR", "0A000", m, 0);
    }
    pz__sess_ready(s);
    return pz__sess_flush(s) == 0 ? 0 : S_DONE;
}

/* One message in the ready state. 0 to go on, S_DONE to close. */
static int s_on_message(s_sess_t *s, const pz_pgw_msg_t *msg)
{
    if (s->skip_to_sync && msg->type != 'S' && msg->type != 'X') {
        return 0;
    }
    switch (msg->type) {
    case 'Q':
        s->in_batch = false;
        return s_on_query(s, msg);
    case 'P':
    case 'B':
    case 'D':
    case 'E':
    case 'C':
        if (s->conn != NULL) {
            pz__sess_batch_log(s, msg);
            return pz__sess_extended(s, msg);
        }
        pz__sess_error(s, "ERROR", "0A000", "extended query protocol is not supported yet", 0);
        s->skip_to_sync = true;
        return pz__sess_flush(s) == 0 ? 0 : S_DONE;
    case 'S':
        s->skip_to_sync = false;
        s->in_batch = false;
        pz__sess_ready(s);
        return pz__sess_flush(s) == 0 ? 0 : S_DONE;
    case 'H':
        return pz__sess_flush(s) == 0 ? 0 : S_DONE;
    case 'F':
        pz__sess_error(s, "ERROR", "0A000", "function calls are not supported yet", 0);
        pz__sess_ready(s);
        return pz__sess_flush(s) == 0 ? 0 : S_DONE;
    case 'd':
    case 'c':
    case 'f':
        return 0; /* copy messages outside COPY: ignored, per the protocol */
    case 'X':
        return S_DONE;
    default: {
        char m[64];
        snprintf(m, sizeof m, "invalid frontend message type %u", msg->type);
        return pz__sess_fatal(s, "08P01", m);
    }
    }
}

void pz_sql_session_run(const pz_sql_session_cfg_t *cfg)
{
    assert(cfg != NULL && cfg->fd >= 0 && cfg->stop != NULL);
    s_sess_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        pz_log(cfg->log, PZ_LOG_WARN, "session %u: out of memory", cfg->pid);
        return;
    }
    s->cfg = cfg;
    if (pz_pgw_in_init(&s->in, PZ_SQL_MSG_BYTES_MAX) != 0) {
        pz_log(cfg->log, PZ_LOG_WARN, "session %u: out of memory", cfg->pid);
        free(s);
        return;
    }
    int rc = s_startup(s);
    while (rc == 0) {
        uint64_t deadline = cfg->idle_timeout_ms ? s_now_ms() + cfg->idle_timeout_ms : 0;
        pz_pgw_msg_t msg;
        int got = s_next(s, &msg, deadline);
        rc = got < 0 ? s_read_failed(s, got, true) : s_on_message(s, &msg);
    }
    pz__sess_sql_free(s);
    pz__sess_tls_end(s);
    pz_pgw_in_free(&s->in);
    free(s);
}
