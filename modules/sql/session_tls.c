/*
 * session_tls.c — a session's socket I/O: plain recv/send, or OpenSSL once the client's
 * SSLRequest was answered 'S' and the handshake done.
 *
 * The socket stays non-blocking either way. pz__sess_io_read/write answer like recv/send (> 0,
 * 0 = the peer closed, -1 with errno; EAGAIN when the caller should poll): with TLS, a read may
 * need the socket writable and a write readable, so pz__sess_io_events tells session.c's poll
 * which. The plain path calls recv and send by those names, so the fuzz target
 * (tests/fuzz/fuzz_pgwire.c) still redirects them to memory.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "session_auth.h"
#include "session_int.h"

int pz_sql_tls_ctx_new(const char *cert_file, const char *key_file, void **out, char *why,
                       size_t why_cap)
{
    *out = NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        snprintf(why, why_cap, "cannot create a TLS context");
        return PZ_EINVAL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    const char *what = NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        what = "cannot load the TLS certificate";
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        what = "cannot load the TLS key";
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        what = "the TLS key does not match the certificate";
    }
    if (what != NULL) {
        char e[160];
        ERR_error_string_n(ERR_get_error(), e, sizeof e);
        snprintf(why, why_cap, "%s (%s, %s): %s", what, cert_file, key_file, e);
        ERR_clear_error();
        SSL_CTX_free(ctx);
        return PZ_EINVAL;
    }
    *out = ctx;
    return 0;
}

void pz_sql_tls_ctx_free(void **ctx)
{
    if (ctx != NULL && *ctx != NULL) {
        SSL_CTX_free(*ctx);
        *ctx = NULL;
    }
}

bool pz__sess_tls_offered(const s_sess_t *s)
{
    return s->tls == NULL && s->cfg->auth != NULL && s->cfg->auth->tls_ctx != NULL;
}

/* An SSL call's outcome as recv/send's: sets errno and s->tls_want. */
static ssize_t s_result(s_sess_t *s, int n, short want_default)
{
    if (n > 0) {
        return n;
    }
    int e = SSL_get_error(s->tls, n);
    ERR_clear_error();
    switch (e) {
    case SSL_ERROR_WANT_READ:
        s->tls_want = POLLIN;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        s->tls_want = POLLOUT;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    default:
        (void)want_default;
        errno = EIO;
        return -1;
    }
}

ssize_t pz__sess_io_read(s_sess_t *s, void *p, size_t n)
{
    if (s->tls == NULL) {
        return recv(s->cfg->fd, p, n, MSG_DONTWAIT);
    }
    ERR_clear_error();
    return s_result(s, SSL_read(s->tls, p, n > INT32_MAX ? INT32_MAX : (int)n), POLLIN);
}

ssize_t pz__sess_io_write(s_sess_t *s, const void *p, size_t n)
{
    if (s->tls == NULL) {
        return send(s->cfg->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    ERR_clear_error();
    return s_result(s, SSL_write(s->tls, p, n > INT32_MAX ? INT32_MAX : (int)n), POLLOUT);
}

short pz__sess_io_events(const s_sess_t *s, short dflt)
{
    return s->tls != NULL && s->tls_want != 0 ? s->tls_want : dflt;
}

int pz__sess_tls_start(s_sess_t *s, uint64_t deadline_ms)
{
    SSL *ssl = SSL_new(s->cfg->auth->tls_ctx);
    if (ssl == NULL || SSL_set_fd(ssl, s->cfg->fd) != 1) {
        SSL_free(ssl);
        pz_log(s->cfg->log, PZ_LOG_WARN, "session %u: cannot start TLS", s->cfg->pid);
        return S_DONE;
    }
    s->tls = ssl;
    for (;;) {
        ERR_clear_error();
        int n = SSL_accept(ssl);
        if (n == 1) {
            s->tls_want = 0;
            pz_log(s->cfg->log, PZ_LOG_DEBUG, "session %u: TLS %s %s", s->cfg->pid,
                   SSL_get_version(ssl), SSL_get_cipher_name(ssl));
            return 0;
        }
        int e = SSL_get_error(ssl, n);
        short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (ev == 0) {
            char m[160];
            ERR_error_string_n(ERR_get_error(), m, sizeof m);
            ERR_clear_error();
            pz_log(s->cfg->log, PZ_LOG_INFO, "session %u: TLS handshake failed: %s", s->cfg->pid,
                   m);
            return S_DONE; /* the client expects TLS: no plain-text error is possible */
        }
        if (pz__sess_wait(s, ev, deadline_ms) != 0) {
            return S_DONE;
        }
    }
}

void pz__sess_tls_end(s_sess_t *s)
{
    if (s->tls != NULL) {
        SSL_shutdown(s->tls); /* best effort close_notify; never waits (non-blocking) */
        SSL_free(s->tls);
        s->tls = NULL;
        ERR_clear_error();
    }
}
