/*
 * sql_role.c — role records in the system keyspace, CREATE/ALTER/DROP USER|ROLE, and the
 * SCRAM-SHA-256 verifier math (OpenSSL: PKCS5_PBKDF2_HMAC, HMAC, SHA256). See sql_role.h.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <msgpack.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "phantomzero/keys.h"
#include "sql_exec.h"
#include "sql_limits.h"
#include "sql_role.h"
#include "sql_vtab_int.h"

PZ_SCHEMA_DEFINE(pz_role)

#define S_KEY_BYTES 256

/* ---- base64 and SCRAM ------------------------------------------------------------------- */

size_t pz_b64_encode(const uint8_t *p, size_t n, char *out)
{
    return (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

int pz_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    uint8_t tmp[512]; /* EVP_DecodeBlock writes whole 3-byte groups, padding included */
    if (n % 4 != 0 || n / 4 * 3 > sizeof tmp) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || (c == '=' && i >= n - 2);
        if (!ok || (c != '=' && i > 0 && s[i - 1] == '=')) {
            return -1;
        }
    }
    if (n == 0) {
        return 0;
    }
    int len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (len < 0) {
        return -1;
    }
    /* EVP_DecodeBlock counts padding as zero bytes. */
    len -= (s[n - 1] == '=') + (s[n - 2] == '=');
    if ((size_t)len > cap) {
        return -1;
    }
    memcpy(out, tmp, (size_t)len);
    return len;
}

void pz_scram_hmac(const uint8_t *key, size_t key_len, const void *msg, size_t msg_len,
                   uint8_t out[PZ_SCRAM_KEY_BYTES])
{
    unsigned int len = PZ_SCRAM_KEY_BYTES;
    HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &len);
}

int pz_scram_keys(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
                  uint8_t stored_key[PZ_SCRAM_KEY_BYTES], uint8_t server_key[PZ_SCRAM_KEY_BYTES])
{
    uint8_t salted[PZ_SCRAM_KEY_BYTES], client_key[PZ_SCRAM_KEY_BYTES];
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, iterations,
                          EVP_sha256(), sizeof salted, salted) != 1) {
        return PZ_EIO;
    }
    pz_scram_hmac(salted, sizeof salted, "Client Key", 10, client_key);
    SHA256(client_key, sizeof client_key, stored_key);
    pz_scram_hmac(salted, sizeof salted, "Server Key", 10, server_key);
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    return 0;
}

static const char s_prefix[] = "SCRAM-SHA-256$";

bool pz_scram_parse(const char *s, pz_scram_secret_t *out)
{
    size_t pl = sizeof s_prefix - 1;
    if (s == NULL || strncmp(s, s_prefix, pl) != 0) {
        return false;
    }
    const char *p = s + pl;
    char *end = NULL;
    long it = strtol(p, &end, 10);
    if (end == p || *end != ':' || it < 1 || it > 100000000) {
        return false;
    }
    const char *salt = end + 1, *dollar = strchr(salt, '$');
    if (dollar == NULL) {
        return false;
    }
    const char *sk = dollar + 1, *colon = strchr(sk, ':');
    if (colon == NULL) {
        return false;
    }
    const char *svk = colon + 1;
    int sl = pz_b64_decode(salt, (size_t)(dollar - salt), out->salt, sizeof out->salt);
    uint8_t tmp[48];
    int kl = pz_b64_decode(sk, (size_t)(colon - sk), tmp, sizeof tmp);
    if (sl <= 0 || kl != PZ_SCRAM_KEY_BYTES) {
        return false;
    }
    memcpy(out->stored_key, tmp, PZ_SCRAM_KEY_BYTES);
    kl = pz_b64_decode(svk, strlen(svk), tmp, sizeof tmp);
    if (kl != PZ_SCRAM_KEY_BYTES) {
        return false;
    }
    memcpy(out->server_key, tmp, PZ_SCRAM_KEY_BYTES);
    out->salt_len = (size_t)sl;
    out->iterations = (int)it;
    return true;
}

int pz_scram_make(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
                  char *out)
{
    uint8_t rnd[PZ_SCRAM_SALT_BYTES];
    if (salt == NULL) {
        if (RAND_bytes(rnd, sizeof rnd) != 1) {
            return PZ_EIO;
        }
        salt = rnd;
        salt_len = sizeof rnd;
    }
    if (password == NULL || salt_len == 0 || salt_len > 64 || iterations < 1) {
        return PZ_EINVAL;
    }
    uint8_t stored[PZ_SCRAM_KEY_BYTES], server[PZ_SCRAM_KEY_BYTES];
    int rc = pz_scram_keys(password, salt, salt_len, iterations, stored, server);
    if (rc != 0) {
        return rc;
    }
    char b_salt[90], b_stored[48], b_server[48];
    pz_b64_encode(salt, salt_len, b_salt);
    pz_b64_encode(stored, sizeof stored, b_stored);
    pz_b64_encode(server, sizeof server, b_server);
    snprintf(out, PZ_SCRAM_VERIFIER_MAX, "%s%d:%s$%s:%s", s_prefix, iterations, b_salt, b_stored,
             b_server);
    return 0;
}

bool pz_scram_check_password(const char *verifier, const char *password)
{
    pz_scram_secret_t sec;
    uint8_t stored[PZ_SCRAM_KEY_BYTES], server[PZ_SCRAM_KEY_BYTES];
    if (password == NULL || !pz_scram_parse(verifier, &sec) ||
        pz_scram_keys(password, sec.salt, sec.salt_len, sec.iterations, stored, server) != 0) {
        return false;
    }
    return CRYPTO_memcmp(stored, sec.stored_key, sizeof stored) == 0 &&
           CRYPTO_memcmp(server, sec.server_key, sizeof server) == 0;
}

/* ---- records ---------------------------------------------------------------------------- */

static size_t s_key(uint8_t *buf, const char *name)
{
    buf[0] = PZ_KEY_SYSTEM_PREFIX;
    buf[1] = 'u';
    return pz_key_put_bytes(buf, S_KEY_BYTES, 2, pz_view_str(name));
}

static int s_decode(pz_view_t v, pz_arena_t *a, pz_role_t *out, pz_sql_err_t *err)
{
    pz_cur_t cur;
    int rc = pz__cur_init(v.ptr, v.len, &cur);
    rc = rc ? rc : pz_role_decode_cur(&cur, out, a, 0);
    return rc ? pz_sql_err_set(err, "XX001", "a role record is corrupt") : 0;
}

int pz_role_get(pz_sql_kv_t *kv, const char *name, pz_arena_t *a, pz_role_t *out, pz_sql_err_t *err)
{
    uint8_t key[S_KEY_BYTES];
    size_t kl = s_key(key, name);
    if (kl == 0) {
        return PZ_ENOTFOUND; /* a name too long to be stored */
    }
    pz_kv_req_t r = {.op = PZ_KV_GET, .key = {.ptr = key, .len = (uint32_t)kl}};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    pz_hlc_t keep = kv->read_ts;
    kv->read_ts = (pz_hlc_t){0}; /* the present, as catalog reads */
    int rc = pz_sql_kv_send(kv, &r, 1, true, &reply, &resp, err);
    kv->read_ts = keep;
    if (rc != 0) {
        return rc;
    }
    if (resp.resps_len != 1 || !resp.resps[0].found) {
        rc = PZ_ENOTFOUND;
    } else {
        /* The record's views must outlive the reply: copy its bytes into the arena first. */
        pz_view_t v = pz_arena_dup(a, resp.resps[0].value.ptr, resp.resps[0].value.len);
        rc = v.ptr == NULL && resp.resps[0].value.len
                 ? pz_sql_err_set(err, "53200", "out of memory")
                 : s_decode(v, a, out, err);
    }
    pz_msg_free(&reply);
    return rc;
}

typedef struct {
    pz_arena_t *a;
    pz_role_t *arr;
    int len, cap;
    pz_sql_err_t *err;
} s_list_t;

static int s_list_chunk(void *arg, const pz_kv_resp_t *x)
{
    s_list_t *l = arg;
    int rc = 0;
    for (uint32_t i = 0; i < x->kvs_len && rc == 0; i++) {
        if (l->len == l->cap) {
            int ncap = l->cap ? l->cap * 2 : 16;
            pz_role_t *na = pz_arena_alloc(l->a, sizeof *na * (size_t)ncap);
            if (na == NULL) {
                return pz_sql_err_set(l->err, "53200", "out of memory");
            }
            if (l->len) {
                memcpy(na, l->arr, sizeof *na * (size_t)l->len);
            }
            l->arr = na;
            l->cap = ncap;
        }
        pz_view_t v = pz_arena_dup(l->a, x->kvs[i].value.ptr, x->kvs[i].value.len);
        rc = v.ptr == NULL ? pz_sql_err_set(l->err, "53200", "out of memory")
                           : s_decode(v, l->a, &l->arr[l->len], l->err);
        l->len += rc == 0;
    }
    return rc;
}

int pz_role_list(pz_sql_kv_t *kv, pz_arena_t *a, pz_role_t **out, int *n, pz_sql_err_t *err)
{
    uint8_t start[2] = {PZ_KEY_SYSTEM_PREFIX, 'u'}, end[2] = {PZ_KEY_SYSTEM_PREFIX, 'v'};
    pz_hlc_t keep = kv->read_ts;
    kv->read_ts = (pz_hlc_t){0}; /* the latest roles, not the statement's snapshot */
    s_list_t l = {.a = a, .err = err};
    int rc = pz_sql_kv_scan_chunks(kv, (pz_view_t){start, 2}, (pz_view_t){end, 2}, 1000,
                                   s_list_chunk, &l, err);
    kv->read_ts = keep;
    *out = l.arr;
    *n = l.len;
    return rc;
}

/* Writes a record: a conditional put (absent) when `create`, else a put. *exists (create only)
 * is set when the name was taken. */
static int s_put(pz_sql_kv_t *kv, const pz_role_t *r, bool create, bool *exists, pz_sql_err_t *err)
{
    char name[PZ_SQL_NAME_BYTES_MAX + 1];
    snprintf(name, sizeof name, "%.*s", (int)r->name.len, (const char *)r->name.ptr);
    uint8_t key[S_KEY_BYTES];
    size_t kl = s_key(key, name);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = kl ? pz_role_encode(&pk, r) : PZ_EINVAL;
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return pz_sql_err_code(err, rc, "encoding a role");
    }
    pz_kv_req_t q = {.op = create ? PZ_KV_CPUT : PZ_KV_PUT,
                     .key = {.ptr = key, .len = (uint32_t)kl},
                     .value = {.ptr = (const uint8_t *)sb.data, .len = (uint32_t)sb.size},
                     .exp_exists = false};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    rc = pz_sql_kv_send(kv, &q, 1, false, &reply, &resp, err);
    if (rc == 0 && exists != NULL) {
        *exists = resp.error.code == PZ_ECONDFAILED;
    }
    pz_msg_free(&reply);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static int s_del(pz_sql_kv_t *kv, const char *name, pz_sql_err_t *err)
{
    uint8_t key[S_KEY_BYTES];
    size_t kl = s_key(key, name);
    pz_kv_req_t q = {.op = PZ_KV_DEL, .key = {.ptr = key, .len = (uint32_t)kl}};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    int rc = pz_sql_kv_send(kv, &q, 1, false, &reply, &resp, err);
    pz_msg_free(&reply);
    return rc;
}

int pz_role_bootstrap(pz_sql_kv_t *kv, pz_sql_err_t *err)
{
    pz_role_t r = {.name = pz_view_str(PZ_ROLE_ROOT),
                   .oid = pz__vt_role_oid(PZ_ROLE_ROOT),
                   .login = true,
                   .superuser = true};
    bool exists = false;
    return s_put(kv, &r, true, &exists, err);
}

/* ---- DDL -------------------------------------------------------------------------------- */

/* Whether the session's user is a superuser (root is, even before its record exists). */
static int s_is_super(pz_binder_t *b, bool *super)
{
    const char *me = b->ex->user ? b->ex->user : "";
    pz_role_t r;
    int rc = pz_role_get(b->ex->kv, me, b->ex->arena, &r, b->ex->err);
    if (rc == PZ_ENOTFOUND) {
        *super = strcmp(me, PZ_ROLE_ROOT) == 0;
        return 0;
    }
    *super = rc == 0 && r.superuser;
    return rc;
}

/* The PASSWORD option into r->password: hashed, a verifier kept, NULL / '' clearing it. */
static int s_password(pz_binder_t *b, const pz_ast_stmt_t *s, pz_role_t *r)
{
    if (s->password_null || (s->password != NULL && s->password[0] == '\0')) {
        r->password = (pz_view_t){0}; /* PostgreSQL: an empty password clears it */
        return 0;
    }
    if (s->password == NULL) {
        return 0;
    }
    pz_scram_secret_t sec;
    if (strncmp(s->password, s_prefix, sizeof s_prefix - 1) == 0) {
        if (!pz_scram_parse(s->password, &sec)) {
            return pz_sql_err_set(b->ex->err, "22023", "invalid SCRAM-SHA-256 password verifier");
        }
        r->password = pz_arena_dup(b->ex->arena, s->password, strlen(s->password));
        return r->password.ptr ? 0 : pz_sql_err_set(b->ex->err, "53200", "out of memory");
    }
    if (strncmp(s->password, "md5", 3) == 0 && strlen(s->password) == 35) {
        return pz_sql_err_set(b->ex->err, "0A000",
                              "MD5 password verifiers are not supported: use SCRAM-SHA-256");
    }
    char v[PZ_SCRAM_VERIFIER_MAX];
    int rc = pz_scram_make(s->password, NULL, 0, PZ_SCRAM_ITERATIONS, v);
    if (rc != 0) {
        return pz_sql_err_code(b->ex->err, rc, "hashing a password");
    }
    r->password = pz_arena_dup(b->ex->arena, v, strlen(v));
    return r->password.ptr ? 0 : pz_sql_err_set(b->ex->err, "53200", "out of memory");
}

static int s_create(pz_binder_t *b, const pz_ast_stmt_t *s)
{
    if (strcmp(s->name, "public") == 0 || strcmp(s->name, "none") == 0 ||
        strncmp(s->name, "pg_", 3) == 0) {
        return pz_sql_err_set(b->ex->err, "42939", "role name \"%s\" is reserved", s->name);
    }
    if (strlen(s->name) >= PZ_SQL_NAME_BYTES_MAX) {
        return pz_sql_err_set(b->ex->err, "42622", "role name \"%s\" is too long", s->name);
    }
    pz_role_t r = {.name = pz_view_str(s->name),
                   .oid = pz__vt_role_oid(s->name),
                   .login = s->login == 1,
                   .superuser = s->superuser == 1};
    int rc = s_password(b, s, &r);
    bool exists = false;
    rc = rc ? rc : s_put(b->ex->kv, &r, true, &exists, b->ex->err);
    if (rc == 0 && exists) {
        rc = pz_sql_err_set(b->ex->err, "42710", "role \"%s\" already exists", s->name);
    }
    return rc;
}

static int s_alter(pz_binder_t *b, const pz_ast_stmt_t *s, bool super)
{
    pz_role_t r;
    int rc = pz_role_get(b->ex->kv, s->name, b->ex->arena, &r, b->ex->err);
    if (rc == PZ_ENOTFOUND) {
        return pz_sql_err_set(b->ex->err, "42704", "role \"%s\" does not exist", s->name);
    }
    if (rc != 0) {
        return rc;
    }
    bool self = b->ex->user != NULL && strcmp(b->ex->user, s->name) == 0;
    if (!super && (!self || s->login != -1 || s->superuser != -1)) {
        return pz_sql_err_set(b->ex->err, "42501", "permission denied to alter role");
    }
    if (s->login != -1) {
        r.login = s->login == 1;
    }
    if (s->superuser != -1) {
        if (strcmp(s->name, PZ_ROLE_ROOT) == 0 && s->superuser == 0) {
            return pz_sql_err_set(b->ex->err, "42501",
                                  "the superuser status of role \"root\" cannot be changed");
        }
        r.superuser = s->superuser == 1;
    }
    rc = s_password(b, s, &r);
    return rc ? rc : s_put(b->ex->kv, &r, false, NULL, b->ex->err);
}

static int s_drop(pz_binder_t *b, const pz_ast_stmt_t *s)
{
    /* Check every name first: PostgreSQL drops all or none. */
    for (int i = 0; i < s->n_objs; i++) {
        const char *name = s->objs[i].name;
        if (strcmp(name, PZ_ROLE_ROOT) == 0) {
            return pz_sql_err_set(b->ex->err, "42501", "cannot drop role \"root\"");
        }
        if (b->ex->user != NULL && strcmp(b->ex->user, name) == 0) {
            return pz_sql_err_set(b->ex->err, "55006", "current user cannot be dropped");
        }
        pz_role_t r;
        int rc = pz_role_get(b->ex->kv, name, b->ex->arena, &r, b->ex->err);
        if (rc == PZ_ENOTFOUND && !s->if_exists) {
            return pz_sql_err_set(b->ex->err, "42704", "role \"%s\" does not exist", name);
        }
        if (rc != 0 && rc != PZ_ENOTFOUND) {
            return rc;
        }
    }
    for (int i = 0; i < s->n_objs; i++) {
        int rc = s_del(b->ex->kv, s->objs[i].name, b->ex->err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int pz_role_ddl(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    static const char *const tags[] = {"CREATE ROLE", "ALTER ROLE", "DROP ROLE"};
    snprintf(tag, 64, "%s", tags[s->role_op >= 0 && s->role_op <= 2 ? s->role_op : 0]);
    bool super = false;
    int rc = s_is_super(b, &super);
    if (rc != 0) {
        return rc;
    }
    if (!super && s->role_op != 1) {
        return pz_sql_err_set(b->ex->err, "42501", "permission denied to %s role",
                              s->role_op == 0 ? "create" : "drop");
    }
    switch (s->role_op) {
    case 0:
        return s_create(b, s);
    case 1:
        return s_alter(b, s, super);
    default:
        return s_drop(b, s);
    }
}
