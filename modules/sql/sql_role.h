/*
 * sql_role.h — users and roles, stored in the system keyspace as CockroachDB stores its
 * system.users table, and the SCRAM-SHA-256 math their passwords use.
 *
 * Keys (under PZ_KEY_SYSTEM_PREFIX, next to the catalog's, see sql_catalog.h):
 *   \x04 'u' <name>    a role record (pz_role msgpack); <name> as keys.h bytes
 *
 * A role's OID is a hash of its name (pz__vt_role_oid, as CockroachDB's oidHasher does), so the
 * catalog's owner columns, which hold names, map to the same OIDs as pg_roles. `root` is the
 * built-in superuser (OID 10), created without a password at bootstrap; it cannot be dropped.
 *
 * Passwords are stored only as PostgreSQL's SCRAM-SHA-256 verifier:
 *   SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
 * (RFC 5802 / 7677; 4096 iterations and a random 16-byte salt, as PostgreSQL's defaults). A
 * verifier given in that form (pg_dump's output) is stored as is. Passwords are not SASLprep-
 * normalized: ASCII passwords (the usual case) hash exactly as PostgreSQL's do.
 */
#ifndef PZ_SQL_ROLE_H
#define PZ_SQL_ROLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/codec.h"
#include "sql_ast.h"
#include "sql_bind.h"
#include "sql_kv.h"
#include "sql_value.h"

#define PZ_ROLE_ROOT "root"

#define PZ_SCHEMA_pz_role(X)                                                                       \
    X(STR, name, _, _)                                                                             \
    X(U32, oid, _, _)                                                                              \
    X(STR, password, _, _) /* SCRAM-SHA-256 verifier; empty: no password */                        \
    X(BOOL, login, _, _)                                                                           \
    X(BOOL, superuser, _, _)
PZ_SCHEMA_DECLARE(pz_role)

/* ---- records ---------------------------------------------------------------------------- */

/* The record of `name`, decoded into arena a (views into it). PZ_ENOTFOUND when absent (err
 * untouched); 0; or a negative code with err set. Reads the present, not a snapshot. */
int pz_role_get(pz_sql_kv_t *kv, const char *name, pz_arena_t *a, pz_role_t *out,
                pz_sql_err_t *err);
/* Every record, in name order, decoded into a: *out is an arena array of *n. */
int pz_role_list(pz_sql_kv_t *kv, pz_arena_t *a, pz_role_t **out, int *n, pz_sql_err_t *err);
/* Creates `root` (superuser, login, no password) unless it exists. Idempotent. */
int pz_role_bootstrap(pz_sql_kv_t *kv, pz_sql_err_t *err);

/* CREATE / ALTER / DROP USER|ROLE (a PZ_AS_ROLE statement); tag gets the command tag. Only a
 * superuser manages roles; anyone may change their own password. */
int pz_role_ddl(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag);

/* ---- SCRAM-SHA-256 ---------------------------------------------------------------------- */

#define PZ_SCRAM_ITERATIONS 4096
#define PZ_SCRAM_SALT_BYTES 16
#define PZ_SCRAM_KEY_BYTES 32
#define PZ_SCRAM_VERIFIER_MAX 256

typedef struct {
    int iterations;
    uint8_t salt[64];
    size_t salt_len;
    uint8_t stored_key[PZ_SCRAM_KEY_BYTES];
    uint8_t server_key[PZ_SCRAM_KEY_BYTES];
} pz_scram_secret_t;

/* Whether s looks like a SCRAM-SHA-256 verifier (and parses). */
bool pz_scram_parse(const char *s, pz_scram_secret_t *out);
/* A verifier for password with this salt and iteration count into out (PZ_SCRAM_VERIFIER_MAX
 * bytes). 0, PZ_EINVAL (bad arguments) or PZ_EIO (OpenSSL failed). salt NULL: a random one. */
int pz_scram_make(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
                  char *out);
/* Whether password matches the verifier (the cleartext-password check). */
bool pz_scram_check_password(const char *verifier, const char *password);
/* SaltedPassword's two keys: StoredKey = H(HMAC(SP, "Client Key")), ServerKey. */
int pz_scram_keys(const char *password, const uint8_t *salt, size_t salt_len, int iterations,
                  uint8_t stored_key[PZ_SCRAM_KEY_BYTES], uint8_t server_key[PZ_SCRAM_KEY_BYTES]);
/* HMAC-SHA-256. */
void pz_scram_hmac(const uint8_t *key, size_t key_len, const void *msg, size_t msg_len,
                   uint8_t out[PZ_SCRAM_KEY_BYTES]);
/* Base64 (standard alphabet, padded). Encode returns the length written (out needs
 * 4*ceil(n/3)+1); decode returns the length decoded or -1. */
size_t pz_b64_encode(const uint8_t *p, size_t n, char *out);
int pz_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap);

#endif
