/*
 * session_auth.h — client authentication and TLS for pgwire sessions (session_auth.c,
 * session_tls.c): the server-wide settings the sql module builds from its config, the TLS
 * context, and the SCRAM-SHA-256 server exchange as a pure state machine (unit-tested against
 * RFC 7677's vector).
 *
 * Modes (sql module config; CockroachDB's model):
 *   insecure = true      trust for every existing role with LOGIN (`--insecure`)
 *   otherwise            a role must exist and have LOGIN, and
 *     - off loopback, the connection must use TLS (FATAL 28000 otherwise);
 *     - a role with a password authenticates with `auth`: scram-sha-256 (default; SASL,
 *       RFC 5802/7677 as PostgreSQL, no channel binding) or password (cleartext,
 *       AuthenticationCleartextPassword), checked against the stored verifier; `trust` skips
 *       the check;
 *     - a role without a password may log in only as root from loopback (the node's own
 *       operator, as CockroachDB's root uses the node's certificates); anyone else: 28P01.
 * TLS is offered (SSLRequest -> 'S') whenever a certificate and key are configured, else 'N'.
 */
#ifndef PZ_SQL_SESSION_AUTH_H
#define PZ_SQL_SESSION_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "sql_role.h"

enum { PZ_SQL_AUTH_SCRAM = 0, PZ_SQL_AUTH_PASSWORD, PZ_SQL_AUTH_TRUST };

typedef struct pz_sql_auth_cfg {
    int mode;      /* PZ_SQL_AUTH_* for roles with a password */
    bool insecure; /* trust everyone (the role must still exist and have LOGIN) */
    void *tls_ctx; /* SSL_CTX, NULL: no TLS (SSLRequest answered 'N') */
    char txn[64];  /* the txn actor: where role records are read */
} pz_sql_auth_cfg_t;

/* A server TLS context from PEM files. 0, or PZ_EINVAL with why set. */
int pz_sql_tls_ctx_new(const char *cert_file, const char *key_file, void **out, char *why,
                       size_t why_cap);
void pz_sql_tls_ctx_free(void **ctx);

/* The SCRAM-SHA-256 server side of one exchange. */
typedef struct {
    pz_scram_secret_t sec;
    char gs2[128]; /* the client's GS2 header ("n,," or "y,,") */
    char client_first_bare[512];
    char server_first[512];
    char nonce[256]; /* client nonce + server nonce */
} pz_scram_server_t;

/* client-first-message -> server-first-message (out, NUL-terminated). server_nonce NULL: 18
 * random bytes, base64 (PostgreSQL's). 0, or PZ_EPROTO with why set (a malformed or
 * unsupported message: channel binding, authzid, extensions). */
int pz_scram_server_first(pz_scram_server_t *st, const pz_scram_secret_t *sec,
                          const char *client_first, size_t len, const char *server_nonce, char *out,
                          size_t cap, char *why, size_t why_cap);
/* client-final-message -> server-final-message ("v=..."). 0 when the proof is right; 1 when it
 * is wrong (password authentication failed); PZ_EPROTO with why set when malformed. */
int pz_scram_server_final(pz_scram_server_t *st, const char *client_final, size_t len, char *out,
                          size_t cap, char *why, size_t why_cap);

#endif
