/*
 * test_scram.c — the SCRAM-SHA-256 math (sql_role.c) and server exchange (session_auth.c).
 *
 * 1. RFC 7677 section 3's test vector: user "user", password "pencil", the given nonces, salt
 *    and 4096 iterations; the server-first message, the acceptance of the client's proof and
 *    the server signature must be exactly the RFC's; a changed proof must be refused.
 * 2. PostgreSQL 15's own verifier for password 'y' (SET password_encryption='scram-sha-256';
 *    CREATE ROLE x PASSWORD 'y'; SELECT rolpassword FROM pg_authid) parses, accepts 'y' and
 *    rejects others; a verifier we make with its salt is byte-identical to it.
 * 3. The verifiers we make (random salt) have PostgreSQL's shape and verify.
 * 4. Malformed messages: channel binding requested, wrong nonce, wrong GS2 header echo.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session_auth.h"
#include "sql_role.h"

static const char s_pg_verifier[] =
    "SCRAM-SHA-256$4096:LsdfLXnk2wf3r0IernG8xA==$EUAMc3cyyWbsui6LjzwDwwymwzwJaPEGu4W1xgYAT5c=:"
    "D2ftGNA4ynSgaJNoQdEBnWCZ31VpyZsCdO8m/bDLTUY=";

/* RFC 7677, section 3. */
static const char s_client_first[] = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
static const char s_server_nonce[] = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
static const char s_server_first[] =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
static const char s_client_final[] = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                     "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
static const char s_server_final[] = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

static void s_rfc_secret(pz_scram_secret_t *sec)
{
    memset(sec, 0, sizeof *sec);
    int n = pz_b64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, sec->salt, sizeof sec->salt);
    assert_int_equal(n, 16);
    sec->salt_len = 16;
    sec->iterations = 4096;
    assert_int_equal(pz_scram_keys("pencil", sec->salt, 16, 4096, sec->stored_key, sec->server_key),
                     0);
}

static void test_rfc7677_vector(void **state)
{
    (void)state;
    pz_scram_secret_t sec;
    s_rfc_secret(&sec);
    pz_scram_server_t st;
    char out[600], why[128];
    assert_int_equal(pz_scram_server_first(&st, &sec, s_client_first, strlen(s_client_first),
                                           s_server_nonce, out, sizeof out, why, sizeof why),
                     0);
    assert_string_equal(out, s_server_first);
    pz_scram_server_t copy = st;
    assert_int_equal(pz_scram_server_final(&st, s_client_final, strlen(s_client_final), out,
                                           sizeof out, why, sizeof why),
                     0);
    assert_string_equal(out, s_server_final);

    /* A proof from another password fails (1), not a protocol error. */
    char bad[sizeof s_client_final];
    memcpy(bad, s_client_final, sizeof bad);
    char *p = strstr(bad, ",p=") + 3;
    p[0] = p[0] == 'A' ? 'B' : 'A';
    assert_int_equal(
        pz_scram_server_final(&copy, bad, strlen(bad), out, sizeof out, why, sizeof why), 1);
}

static void test_rfc7677_verifier(void **state)
{
    (void)state;
    /* The same secret through the verifier text PostgreSQL would store. */
    uint8_t salt[16];
    assert_int_equal(pz_b64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, salt, sizeof salt), 16);
    char v[PZ_SCRAM_VERIFIER_MAX];
    assert_int_equal(pz_scram_make("pencil", salt, 16, 4096, v), 0);
    assert_true(strncmp(v, "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$", 44) == 0);
    pz_scram_secret_t a, b;
    assert_true(pz_scram_parse(v, &a));
    s_rfc_secret(&b);
    assert_memory_equal(a.stored_key, b.stored_key, 32);
    assert_memory_equal(a.server_key, b.server_key, 32);
    assert_true(pz_scram_check_password(v, "pencil"));
    assert_false(pz_scram_check_password(v, "pencil "));
}

static void test_postgres_verifier(void **state)
{
    (void)state;
    pz_scram_secret_t sec;
    assert_true(pz_scram_parse(s_pg_verifier, &sec));
    assert_int_equal(sec.iterations, 4096);
    assert_int_equal(sec.salt_len, 16);
    assert_true(pz_scram_check_password(s_pg_verifier, "y"));
    assert_false(pz_scram_check_password(s_pg_verifier, "Y"));
    assert_false(pz_scram_check_password(s_pg_verifier, "yy"));
    assert_false(pz_scram_check_password(s_pg_verifier, ""));
    /* Ours, with PostgreSQL's salt, is the same string. */
    char v[PZ_SCRAM_VERIFIER_MAX];
    assert_int_equal(pz_scram_make("y", sec.salt, sec.salt_len, 4096, v), 0);
    assert_string_equal(v, s_pg_verifier);
}

static void test_made_verifier(void **state)
{
    (void)state;
    char v1[PZ_SCRAM_VERIFIER_MAX], v2[PZ_SCRAM_VERIFIER_MAX];
    assert_int_equal(pz_scram_make("secret", NULL, 0, PZ_SCRAM_ITERATIONS, v1), 0);
    assert_int_equal(pz_scram_make("secret", NULL, 0, PZ_SCRAM_ITERATIONS, v2), 0);
    assert_string_not_equal(v1, v2); /* random salts */
    pz_scram_secret_t sec;
    assert_true(pz_scram_parse(v1, &sec));
    assert_int_equal(sec.salt_len, PZ_SCRAM_SALT_BYTES);
    assert_int_equal(strlen(v1), strlen(s_pg_verifier)); /* the same shape */
    assert_true(pz_scram_check_password(v1, "secret"));
    assert_false(pz_scram_check_password(v1, "Secret"));
    /* Not verifiers. */
    assert_false(pz_scram_parse("secret", &sec));
    assert_false(pz_scram_parse("SCRAM-SHA-256$4096:abc$def:ghi", &sec));
    assert_false(pz_scram_parse("SCRAM-SHA-256$0:LsdfLXnk2wf3r0IernG8xA==$x:y", &sec));
}

static void test_malformed(void **state)
{
    (void)state;
    pz_scram_secret_t sec;
    s_rfc_secret(&sec);
    pz_scram_server_t st;
    char out[600], why[128];
    const char *cb = "p=tls-server-end-point,,n=,r=abc";
    assert_int_equal(
        pz_scram_server_first(&st, &sec, cb, strlen(cb), NULL, out, sizeof out, why, sizeof why),
        PZ_EPROTO);
    const char *authz = "n,a=bob,n=,r=abc";
    assert_int_equal(pz_scram_server_first(&st, &sec, authz, strlen(authz), NULL, out, sizeof out,
                                           why, sizeof why),
                     PZ_EPROTO);
    /* libpq sends an empty user name; a random server nonce is appended to the client's. */
    const char *libpq = "n,,n=,r=clientnonce";
    assert_int_equal(pz_scram_server_first(&st, &sec, libpq, strlen(libpq), NULL, out, sizeof out,
                                           why, sizeof why),
                     0);
    assert_true(strncmp(out, "r=clientnonce", 13) == 0);
    assert_int_equal(strlen(out), strlen("r=clientnonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096") + 24);
    const char *wrong_nonce = "c=biws,r=clientnonceXXXXXXXXXXXXXXXXXXXXXXXX,p=AAAA";
    assert_int_equal(pz_scram_server_final(&st, wrong_nonce, strlen(wrong_nonce), out, sizeof out,
                                           why, sizeof why),
                     PZ_EPROTO);
    const char *wrong_cb = "c=eSws,r=x,p=AAAA";
    assert_int_equal(
        pz_scram_server_final(&st, wrong_cb, strlen(wrong_cb), out, sizeof out, why, sizeof why),
        PZ_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7677_vector),    cmocka_unit_test(test_rfc7677_verifier),
        cmocka_unit_test(test_postgres_verifier), cmocka_unit_test(test_made_verifier),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
