/*
 * session_auth.c — authentication in the startup phase (see session_auth.h for the modes):
 * the role's record, trust / cleartext password / SCRAM-SHA-256 (SASL), and the SCRAM server
 * exchange of RFC 5802 / RFC 7677 as PostgreSQL runs it (auth-scram.c): mechanism list
 * "SCRAM-SHA-256" only (no -PLUS: channel binding is not offered), nonce, salt and iteration
 * count from the stored verifier, the client proof checked against StoredKey, the server
 * signature from ServerKey.
 *
 * Messages: AuthenticationCleartextPassword (R 3) -> PasswordMessage ('p', a C string);
 * AuthenticationSASL (R 10, mechanisms) -> SASLInitialResponse ('p': mechanism, int32 length,
 * client-first) -> AuthenticationSASLContinue (R 11, server-first) -> SASLResponse ('p',
 * client-final) -> AuthenticationSASLFinal (R 12, server-final); AuthenticationOk follows in
 * session.c's welcome.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "session_auth.h"
#include "session_int.h"

#define S_KV_TIMEOUT_MS 10000u

/* ---- the SCRAM exchange ----------------------------------------------------------------- */

static int s_why(char *why, size_t cap, const char *m)
{
    snprintf(why, cap, "%s", m);
    return PZ_EPROTO;
}

/* The value of attribute `a` at *p ("a=value"), up to the next ',' or the end; advances *p past
 * it (and its comma). NULL when the attribute is not next. */
static const char *s_attr(const char **p, const char *end, char a, size_t *vlen)
{
    const char *q = *p;
    if (end - q < 2 || q[0] != a || q[1] != '=') {
        return NULL;
    }
    q += 2;
    const char *v = q;
    while (q < end && *q != ',') {
        q++;
    }
    *vlen = (size_t)(q - v);
    *p = q < end ? q + 1 : q;
    return v;
}

int pz_scram_server_first(pz_scram_server_t *st, const pz_scram_secret_t *sec, const char *msg,
                          size_t len, const char *server_nonce, char *out, size_t cap, char *why,
                          size_t why_cap)
{
    memset(st, 0, sizeof *st);
    st->sec = *sec;
    const char *p = msg, *end = msg + len;
    if (memchr(msg, '\0', len) != NULL) {
        return s_why(why, why_cap, "malformed SCRAM message (NUL byte)");
    }
    /* gs2-cbind-flag: n (no channel binding), y (client could, thinks we cannot: we do not
     * offer -PLUS, so that is the truth), p=... (we never offered it). */
    if (len < 3 || (p[0] != 'n' && p[0] != 'y') || p[1] != ',') {
        return s_why(why, why_cap,
                     len && p[0] == 'p' ? "channel binding is not supported by this server"
                                        : "malformed SCRAM message (gs2 header)");
    }
    p += 2;
    if (*p == 'a') {
        return s_why(why, why_cap, "client uses authorization identity, but it is not supported");
    }
    if (*p != ',') {
        return s_why(why, why_cap, "malformed SCRAM message (gs2 header)");
    }
    p++;
    size_t gl = (size_t)(p - msg), bl = (size_t)(end - p);
    if (bl >= sizeof st->client_first_bare) {
        return s_why(why, why_cap, "SCRAM message too long");
    }
    memcpy(st->gs2, msg, gl);
    memcpy(st->client_first_bare, p, bl);
    if (*p == 'm') {
        return s_why(why, why_cap, "client requires an unsupported SCRAM extension");
    }
    size_t ul, nl;
    if (s_attr(&p, end, 'n', &ul) == NULL) { /* the name: PostgreSQL uses the startup's */
        return s_why(why, why_cap, "malformed SCRAM message (username expected)");
    }
    const char *cn = s_attr(&p, end, 'r', &nl);
    if (cn == NULL || nl == 0) {
        return s_why(why, why_cap, "malformed SCRAM message (nonce expected)");
    }
    char sn[64];
    if (server_nonce == NULL) {
        uint8_t raw[18];
        if (RAND_bytes(raw, sizeof raw) != 1) {
            return s_why(why, why_cap, "could not generate a random nonce");
        }
        pz_b64_encode(raw, sizeof raw, sn);
        server_nonce = sn;
    }
    if (nl + strlen(server_nonce) >= sizeof st->nonce) {
        return s_why(why, why_cap, "SCRAM nonce too long");
    }
    snprintf(st->nonce, sizeof st->nonce, "%.*s%s", (int)nl, cn, server_nonce);
    char salt[100];
    pz_b64_encode(sec->salt, sec->salt_len, salt);
    int n = snprintf(st->server_first, sizeof st->server_first, "r=%s,s=%s,i=%d", st->nonce, salt,
                     sec->iterations);
    if (n < 0 || (size_t)n >= sizeof st->server_first || (size_t)n >= cap) {
        return s_why(why, why_cap, "SCRAM message too long");
    }
    memcpy(out, st->server_first, (size_t)n + 1);
    return 0;
}

int pz_scram_server_final(pz_scram_server_t *st, const char *msg, size_t len, char *out, size_t cap,
                          char *why, size_t why_cap)
{
    const char *p = msg, *end = msg + len;
    if (memchr(msg, '\0', len) != NULL) {
        return s_why(why, why_cap, "malformed SCRAM message (NUL byte)");
    }
    size_t cl, nl, pl;
    const char *cb = s_attr(&p, end, 'c', &cl);
    char gs2_b64[200];
    pz_b64_encode((const uint8_t *)st->gs2, strlen(st->gs2), gs2_b64);
    if (cb == NULL || cl != strlen(gs2_b64) || memcmp(cb, gs2_b64, cl) != 0) {
        return s_why(why, why_cap, "SCRAM channel binding check failed");
    }
    const char *nonce = s_attr(&p, end, 'r', &nl);
    if (nonce == NULL || nl != strlen(st->nonce) || memcmp(nonce, st->nonce, nl) != 0) {
        return s_why(why, why_cap, "SCRAM nonce mismatch");
    }
    /* Extensions up to the proof, which must come last. */
    const char *proof = NULL;
    const char *without_proof_end = NULL;
    while (p < end) {
        const char *at = p;
        if ((proof = s_attr(&p, end, 'p', &pl)) != NULL) {
            without_proof_end = at - 1; /* the comma before "p=" */
            break;
        }
        while (p < end && *p != ',') {
            p++;
        }
        p += p < end;
    }
    if (proof == NULL || p != end) {
        return s_why(why, why_cap, "malformed SCRAM message (proof expected at the end)");
    }
    uint8_t client_proof[64];
    if (pz_b64_decode(proof, pl, client_proof, sizeof client_proof) != PZ_SCRAM_KEY_BYTES) {
        return s_why(why, why_cap, "malformed SCRAM message (invalid proof)");
    }
    /* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
    size_t fb = strlen(st->client_first_bare), sf = strlen(st->server_first),
           cf = (size_t)(without_proof_end - msg);
    char *auth = malloc(fb + sf + cf + 3);
    if (auth == NULL) {
        return s_why(why, why_cap, "out of memory");
    }
    memcpy(auth, st->client_first_bare, fb);
    auth[fb] = ',';
    memcpy(auth + fb + 1, st->server_first, sf);
    auth[fb + 1 + sf] = ',';
    memcpy(auth + fb + sf + 2, msg, cf);
    size_t al = fb + sf + 2 + cf;
    uint8_t sig[PZ_SCRAM_KEY_BYTES], client_key[PZ_SCRAM_KEY_BYTES], stored[PZ_SCRAM_KEY_BYTES];
    pz_scram_hmac(st->sec.stored_key, PZ_SCRAM_KEY_BYTES, auth, al, sig);
    for (int i = 0; i < PZ_SCRAM_KEY_BYTES; i++) {
        client_key[i] = client_proof[i] ^ sig[i];
    }
    SHA256(client_key, sizeof client_key, stored);
    bool ok = CRYPTO_memcmp(stored, st->sec.stored_key, PZ_SCRAM_KEY_BYTES) == 0;
    uint8_t server_sig[PZ_SCRAM_KEY_BYTES];
    pz_scram_hmac(st->sec.server_key, PZ_SCRAM_KEY_BYTES, auth, al, server_sig);
    free(auth);
    if (!ok) {
        return 1;
    }
    char b[64];
    pz_b64_encode(server_sig, sizeof server_sig, b);
    snprintf(out, cap, "v=%s", b);
    return 0;
}

/* ---- the session's side ----------------------------------------------------------------- */

static bool s_loopback(int fd)
{
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    if (getpeername(fd, (struct sockaddr *)&sa, &sl) != 0) {
        return false;
    }
    if (sa.ss_family == AF_UNIX) {
        return true;
    }
    if (sa.ss_family == AF_INET) {
        return (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

static int s_failed(s_sess_t *s)
{
    char m[160];
    snprintf(m, sizeof m, "password authentication failed for user \"%s\"", s->user);
    return pz__sess_fatal(s, "28P01", m);
}

/* An R message: code and optional data. 0 or S_DONE (connection lost). */
static int s_auth_msg(s_sess_t *s, uint32_t code, const void *data, size_t len, bool flush)
{
    uint8_t body[600];
    if (len + 4 > sizeof body) {
        return S_DONE;
    }
    body[0] = (uint8_t)(code >> 24);
    body[1] = (uint8_t)(code >> 16);
    body[2] = (uint8_t)(code >> 8);
    body[3] = (uint8_t)code;
    if (len) {
        memcpy(body + 4, data, len);
    }
    if (pz__sess_emit(s, 'R', body, len + 4) != 0) {
        return S_DONE;
    }
    return flush && pz__sess_flush(s) != 0 ? S_DONE : 0;
}

/* The client's next 'p' message. 0 with *msg, or S_DONE (answered). */
static int s_read_p(s_sess_t *s, pz_pgw_msg_t *msg, uint64_t deadline)
{
    int rc = pz__sess_next(s, msg, deadline);
    if (rc < 0) {
        return S_DONE;
    }
    if (msg->type != 'p') {
        char m[96];
        snprintf(m, sizeof m, "expected password response, got message type %u", msg->type);
        return pz__sess_fatal(s, "08P01", m);
    }
    return 0;
}

static int s_cleartext(s_sess_t *s, const char *verifier, uint64_t deadline)
{
    pz_pgw_msg_t msg;
    int rc = s_auth_msg(s, 3, NULL, 0, true);
    rc = rc ? rc : s_read_p(s, &msg, deadline);
    if (rc != 0) {
        return rc;
    }
    if (msg.len == 0 || memchr(msg.body, '\0', msg.len) != (const void *)(msg.body + msg.len - 1)) {
        return pz__sess_fatal(s, "08P01", "invalid password packet size");
    }
    return pz_scram_check_password(verifier, (const char *)msg.body) ? 0 : s_failed(s);
}

static int s_scram(s_sess_t *s, const char *verifier, uint64_t deadline)
{
    pz_scram_secret_t sec;
    if (!pz_scram_parse(verifier, &sec)) {
        pz_log(s->cfg->log, PZ_LOG_WARN, "session %u: role \"%s\" has an unusable password",
               s->cfg->pid, s->user);
        return s_failed(s);
    }
    static const char mechs[] = "SCRAM-SHA-256\0"; /* the list ends with an empty name */
    pz_pgw_msg_t msg;
    int rc = s_auth_msg(s, 10, mechs, sizeof mechs, true);
    rc = rc ? rc : s_read_p(s, &msg, deadline);
    if (rc != 0) {
        return rc;
    }
    /* SASLInitialResponse: mechanism, int32 length (-1: none), data. */
    const uint8_t *b = msg.body, *nul = memchr(b, '\0', msg.len);
    if (nul == NULL || (size_t)(nul - b) + 5 > msg.len) {
        return pz__sess_fatal(s, "08P01", "malformed SASLInitialResponse message");
    }
    if (strcmp((const char *)b, "SCRAM-SHA-256") != 0) {
        return pz__sess_fatal(s, "08P01",
                              "client selected an invalid SASL authentication mechanism");
    }
    const uint8_t *q = nul + 1;
    int32_t dl =
        (int32_t)((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]);
    q += 4;
    if (dl < 0 || (size_t)dl != msg.len - (size_t)(q - b)) {
        return pz__sess_fatal(s, "08P01", "malformed SASLInitialResponse message");
    }
    pz_scram_server_t *st = malloc(sizeof *st);
    if (st == NULL) {
        return pz__sess_fatal(s, "53200", "out of memory");
    }
    char out[600], why[128];
    rc = pz_scram_server_first(st, &sec, (const char *)q, (size_t)dl, NULL, out, sizeof out, why,
                               sizeof why);
    if (rc != 0) {
        free(st);
        return pz__sess_fatal(s, "08P01", why);
    }
    rc = s_auth_msg(s, 11, out, strlen(out), true);
    rc = rc ? rc : s_read_p(s, &msg, deadline);
    if (rc == 0) {
        rc = pz_scram_server_final(st, (const char *)msg.body, msg.len, out, sizeof out, why,
                                   sizeof why);
        rc = rc == 0   ? s_auth_msg(s, 12, out, strlen(out), false)
             : rc == 1 ? s_failed(s)
                       : pz__sess_fatal(s, "08P01", why);
    }
    OPENSSL_cleanse(st, sizeof *st);
    free(st);
    return rc;
}

/* Reads the role and decides. 0: authenticated; S_DONE: refused (answered). */
static int s_check(s_sess_t *s, pz_sql_kv_t *kv, const pz_sql_auth_cfg_t *cfg)
{
    pz_arena_t *a = pz_arena_new();
    if (a == NULL) {
        return pz__sess_fatal(s, "53200", "out of memory");
    }
    pz_sql_err_t err = {0};
    pz_role_t r;
    int rc = pz_role_get(kv, s->user, a, &r, &err);
    char m[320];
    if (rc == PZ_ENOTFOUND && strcmp(s->user, PZ_ROLE_ROOT) == 0) {
        r = (pz_role_t){.login = true, .superuser = true}; /* before bootstrap wrote it */
        rc = 0;
    }
    if (rc == PZ_ENOTFOUND) {
        snprintf(m, sizeof m, "role \"%s\" does not exist", s->user);
        rc = pz__sess_fatal(s, "28000", m);
    } else if (rc != 0) {
        rc = pz__sess_fatal(s, err.sqlstate[0] ? err.sqlstate : "XX000",
                            err.message[0] ? err.message : "cannot read the role");
    } else if (!r.login) {
        snprintf(m, sizeof m, "role \"%s\" is not permitted to log in", s->user);
        rc = pz__sess_fatal(s, "28000", m);
    }
    if (rc != 0 || cfg->insecure) {
        pz_arena_destroy(&a);
        return rc;
    }
    bool loop = s_loopback(s->cfg->fd);
    uint64_t deadline = pz__sess_now_ms() + PZ_SQL_STARTUP_TIMEOUT_MS;
    char verifier[PZ_SCRAM_VERIFIER_MAX];
    snprintf(verifier, sizeof verifier, "%.*s", (int)r.password.len, (const char *)r.password.ptr);
    pz_arena_destroy(&a);
    if (!loop && s->tls == NULL) {
        snprintf(m, sizeof m,
                 "no encryption: connections from other hosts must use TLS (sslmode=require), "
                 "user \"%s\", database \"%s\"",
                 s->user, s->database);
        return pz__sess_fatal(s, "28000", m);
    }
    if (cfg->mode == PZ_SQL_AUTH_TRUST) {
        return 0;
    }
    if (verifier[0] == '\0') {
        /* Without a password only root, from this host, gets in. */
        return loop && strcmp(s->user, PZ_ROLE_ROOT) == 0 ? 0 : s_failed(s);
    }
    return cfg->mode == PZ_SQL_AUTH_PASSWORD ? s_cleartext(s, verifier, deadline)
                                             : s_scram(s, verifier, deadline);
}

int pz__sess_auth(s_sess_t *s)
{
    const pz_sql_auth_cfg_t *cfg = s->cfg->auth;
    if (cfg == NULL || s->cfg->engine == NULL) {
        return 0; /* no settings (unit tests): trust, as before authentication existed */
    }
    pz_sql_kv_t kv;
    if (pz_sql_kv_open(&kv, cfg->txn, S_KV_TIMEOUT_MS) != 0) {
        return pz__sess_fatal(s, "08006", "cannot reach the KV layer to authenticate");
    }
    /* From here the client sends typed messages (password responses). */
    pz_pgw_in_start_done(&s->in);
    int rc = s_check(s, &kv, cfg);
    pz_sql_kv_close(&kv);
    if (rc == 0) {
        pz_log(s->cfg->log, PZ_LOG_DEBUG, "session %u: authenticated user=%s%s", s->cfg->pid,
               s->user, s->tls ? " (TLS)" : "");
    }
    return rc;
}
