/*
 * test_binary.c — proves binary send/recv (pgwire format 1, sql_types_bin.c and sql_array.c) is
 * byte for byte PostgreSQL 15's typsend/typreceive, and that recv refuses malformed bytes with
 * PostgreSQL's errors instead of reading past them.
 *
 * How: each value is parsed from text, sent, and compared with the hex PostgreSQL 15 printed for
 * `select encode(<type>send('<value>'::type), 'hex')`; the same bytes are then received and
 * printed back as text. Malformed inputs (short, trailing bytes, bad array headers, element
 * lengths past the end, out-of-range dates) expect the SQLSTATE PostgreSQL's recv functions
 * raise; every truncation of every good value is received too (it must fail cleanly or, for
 * the types whose value is "the rest of the message", succeed), under ASan in the test run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/codec.h"
#include "sql_types.h"

static const struct {
    const char *type;
    const char *in;
    const char *hex; /* PostgreSQL 15's send output */
    const char *out; /* the type's text output of the received value */
} send_cases[] = {
    {"boolean", "t", "01", "t"},
    {"boolean", "f", "00", "f"},
    {"smallint", "-2", "fffe", "-2"},
    {"smallint", "32767", "7fff", "32767"},
    {"integer", "5", "00000005", "5"},
    {"integer", "-2147483648", "80000000", "-2147483648"},
    {"bigint", "-9223372036854775808", "8000000000000000", "-9223372036854775808"},
    {"bigint", "1234567890123", "0000011f71fb04cb", "1234567890123"},
    {"real", "1.5", "3fc00000", "1.5"},
    {"real", "-Infinity", "ff800000", "-Infinity"},
    {"double precision", "0.1", "3fb999999999999a", "0.1"},
    {"double precision", "NaN", "7ff8000000000000", "NaN"},
    {"double precision", "-0", "8000000000000000", "-0"},
    {"text", "héllo", "68c3a96c6c6f", "héllo"},
    {"text", "", "", ""},
    {"varchar(5)", "ab", "6162", "ab"},
    {"char(3)", "a", "612020", "a  "},
    {"name", "abc", "616263", "abc"},
    {"bytea", "\\x00ff10", "00ff10", "\\x00ff10"},
    {"date", "2000-01-01", "00000000", "2000-01-01"},
    {"date", "1999-12-31", "ffffffff", "1999-12-31"},
    {"date", "2024-02-29", "00002279", "2024-02-29"},
    {"date", "infinity", "7fffffff", "infinity"},
    {"date", "-infinity", "80000000", "-infinity"},
    {"time", "12:34:56.789", "0000000a8be62608", "12:34:56.789"},
    {"time", "24:00:00", "000000141dd76000", "24:00:00"},
    {"timestamp", "2024-01-31 12:34:56.5", "0002b33be0083d20", "2024-01-31 12:34:56.5"},
    {"timestamp", "1970-01-01", "fffca2fec4c82000", "1970-01-01 00:00:00"},
    {"timestamp", "infinity", "7fffffffffffffff", "infinity"},
    {"timestamptz", "2024-01-31 12:34:56+02", "0002b33a32d95400", "2024-01-31 10:34:56+00"},
    {"interval", "1 year 2 mons 3 days 04:05:06.5", "000000036c9361a0000000030000000e",
     "1 year 2 mons 3 days 04:05:06.5"},
    {"interval", "-1 days -00:00:01", "fffffffffff0bdc0ffffffff00000000", "-1 days -00:00:01"},
    {"uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
     "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
    {"oid", "4294967295", "ffffffff", "4294967295"},
    {"numeric", "-1234.5670", "000200004000000404d21626", "-1234.5670"},
    {"numeric", "0", "0000000000000000", "0"},
    {"numeric", "NaN", "00000000c0000000", "NaN"},
    {"numeric", "0.0001", "0001ffff000000040001", "0.0001"},
    {"jsonb", "{\"b\":1,\"a\":[1.0,\"x\"]}", "017b2261223a205b312e302c202278225d2c202262223a20317d",
     "{\"a\": [1.0, \"x\"], \"b\": 1}"},
    {"json", "{\"b\":1, \"a\":2}", "7b2262223a312c202261223a327d", "{\"b\":1, \"a\":2}"},
    {"\"char\"", "a", "61", "a"},
    {"integer[]", "{1,2}",
     "000000010000000000000017000000020000000100000004000000010000000400000002", "{1,2}"},
    {"integer[]", "{}", "000000000000000000000017", "{}"},
    {"integer[]", "{1,NULL,3}",
     "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003",
     "{1,NULL,3}"},
    {"text[]", "{\"a b\",NULL,\"\"}",
     "000000010000000100000019000000030000000100000003612062ffffffff00000000",
     "{\"a b\",NULL,\"\"}"},
    {"numeric[]", "{1.5,-2}",
     "0000000100000000000006a400000002000000010000000c0002000000000001000113880000000a0001000040000"
     "0000002",
     "{1.5,-2}"},
    {"boolean[]", "{t}", "00000001000000000000001000000001000000010000000101", "{t}"},
    {"date[]", "{2000-01-02}", "00000001000000000000043a00000001000000010000000400000001",
     "{2000-01-02}"},
    {"jsonb[]", "{\"{\\\"a\\\":1}\"}",
     "000000010000000000000eda000000010000000100000009017b2261223a20317d", "{\"{\\\"a\\\": 1}\"}"},
    {"bigint[]", "{}", "000000000000000000000014", "{}"},

};

static pz_sql_type_t type_of(const char *name)
{
    pz_sql_err_t err;
    pz_sql_err_clear(&err);
    pz_sql_type_t t;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", name);
    size_t n = strlen(buf);
    bool arr = n > 2 && strcmp(buf + n - 2, "[]") == 0;
    if (arr)
        buf[n - 2] = '\0';
    if (pz_ty_from_name(buf, NULL, 0, arr, &t, &err) != 0)
        fail_msg("type %s: %s", name, err.message);
    return t;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void test_send_recv(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    assert_non_null(a);
    pz_sql_tyenv_t env = pz_sql_tyenv_default();
    int bad = 0;
    for (size_t i = 0; i < sizeof send_cases / sizeof send_cases[0]; i++) {
        pz_sql_type_t t = type_of(send_cases[i].type);
        assert_true(pz_ty_has_binary(t));
        pz_sql_err_t err;
        pz_sql_err_clear(&err);
        pz_datum_t d, back;
        const char *in = send_cases[i].in;
        if (pz_datum_from_text(a, &env, t, in, strlen(in), &d, &err) != 0)
            fail_msg("'%s'::%s: %s", in, send_cases[i].type, err.message);
        pz_sbuf_t b = {0}, hex = {0}, txt = {0};
        pz_datum_to_binary(&d, &b);
        for (size_t k = 0; k < b.len; k++)
            pz_sbuf_printf(&hex, "%02x", (uint8_t)b.p[k]);
        if (strcmp(hex.p ? hex.p : "", send_cases[i].hex) != 0) {
            print_error("send '%s'::%s: %s, want %s\n", in, send_cases[i].type, hex.p ? hex.p : "",
                        send_cases[i].hex);
            bad++;
        }
        uint8_t raw[256];
        size_t n = unhex(send_cases[i].hex, raw, sizeof raw);
        if (pz_datum_from_binary(a, t, raw, n, &back, &err) != 0) {
            print_error("recv %s as %s: %s\n", send_cases[i].hex, send_cases[i].type, err.message);
            bad++;
        } else {
            pz_datum_to_text(&env, &back, &txt);
            if (strcmp(txt.p ? txt.p : "", send_cases[i].out) != 0) {
                print_error("recv %s: %s, want %s\n", send_cases[i].hex, txt.p ? txt.p : "",
                            send_cases[i].out);
                bad++;
            }
        }
        pz_sbuf_free(&b);
        pz_sbuf_free(&hex);
        pz_sbuf_free(&txt);
    }
    pz_arena_destroy(&a);
    assert_int_equal(bad, 0);
}

/* Malformed bytes and the SQLSTATE PostgreSQL 15 gives (08P01 short value, 22P03 trailing bytes
 * or bad array structure, 42804 wrong element type, 54000 too many dimensions, 22008 range,
 * XX000 jsonb version, 22021 bad UTF-8, 0A000 what our one-dimensional arrays cannot hold).
 * The array and short-value states were checked against PostgreSQL 15 with binary COPY FROM
 * files carrying these bytes (an element length past the end is 22P03, an element whose own
 * recv runs short is 08P01, as ReadArrayBinary and pq_getmsgint raise them). */
static const struct {
    const char *type;
    const char *hex;
    const char *state;
} bad_cases[] = {
    {"integer", "000005", "08P01"},
    {"integer", "0000000500", "22P03"},
    {"smallint", "00", "08P01"},
    {"bigint", "00000000000000", "08P01"},
    {"boolean", "", "08P01"},
    {"boolean", "0101", "22P03"},
    {"double precision", "3fb99999", "08P01"},
    {"real", "3fc0000000", "22P03"},
    {"uuid", "a0eebc999c0b4ef8bb6d6bb9bd380a", "08P01"},
    {"uuid", "a0eebc999c0b4ef8bb6d6bb9bd380a1100", "22P03"},
    {"date", "7ffffffe", "22008"},
    {"time", "ffffffffffffffff", "22008"},
    {"time", "000000141dd76001", "22008"},
    {"timestamp", "7ffffffffffffffe", "22008"},
    {"interval", "000000036c9361a000000003", "08P01"},
    {"text", "c328", "22021"},
    {"varchar(2)", "616263", "22001"},
    {"jsonb", "027b7d", "XX000"},
    {"jsonb", "", "08P01"},
    {"jsonb", "017b", "22P02"},
    {"json", "7b", "22P02"},
    {"numeric", "0001", "08P01"},
    {"integer[]", "", "08P01"},
    {"integer[]", "ffffffff0000000000000017", "22P03"},
    {"integer[]", "000000070000000000000017", "54000"},
    {"integer[]", "000000010000000200000017", "22P03"},
    {"integer[]", "000000010000000000000014000000010000000100000004", "42804"},
    {"integer[]", "000000010000000000000017000000010000000100000004000001", "22P03"},
    {"integer[]", "0000000100000000000000170000000200000001000000040000000100000004", "22P03"},
    {"integer[]", "000000010000000000000017000000010000000100000008000000010000000100", "22P03"},
    {"integer[]", "00000001000000000000001700000001000000010000000300000001", "08P01"},
    {"integer[]", "00000001000000000000001700000001000000010000000500000001", "22P03"},
    {"integer[]", "000000010000000000000017000000010000000100000002000000", "08P01"},
    {"integer[]", "00000001000000000000001700000001000000010000000400000001ff", "22P03"},
    {"integer[]", "000000010000000000000017fffffffe0000000100000004", "54000"},
    {"integer[]", "0000000100000000000000170000000100000000000000040000000a", "0A000"},
    {"integer[]",
     "00000002000000000000001700000001000000010000000100000001"
     "0000000400000007",
     "0A000"},
    {"integer[]", "000000000000000000000017ff", "22P03"},
    {"integer[]", "00000001000000000000001700000001000000010000000a00000001", "22P03"},
};

static void test_recv_malformed(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    assert_non_null(a);
    int bad = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        uint8_t raw[256];
        size_t n = unhex(bad_cases[i].hex, raw, sizeof raw);
        /* A heap copy of exactly n bytes, so ASan sees any read past the end. */
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, raw, n);
        pz_sql_err_t err;
        pz_sql_err_clear(&err);
        pz_datum_t d;
        int rc = pz_datum_from_binary(a, type_of(bad_cases[i].type), p, n, &d, &err);
        if (rc == 0 || strcmp(err.sqlstate, bad_cases[i].state) != 0) {
            print_error("recv %s as %s: rc %d state %s (%s), want %s\n", bad_cases[i].hex,
                        bad_cases[i].type, rc, err.sqlstate, err.message, bad_cases[i].state);
            bad++;
        }
        free(p);
    }
    pz_arena_destroy(&a);
    assert_int_equal(bad, 0);
}

/* Every prefix of every good value is received from an exact-size heap copy: no crash, no read
 * past the end (ASan), and either an error or a value. */
static void test_recv_truncations(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    assert_non_null(a);
    for (size_t i = 0; i < sizeof send_cases / sizeof send_cases[0]; i++) {
        uint8_t raw[256];
        size_t n = unhex(send_cases[i].hex, raw, sizeof raw);
        for (size_t k = 0; k < n; k++) {
            uint8_t *p = malloc(k ? k : 1);
            assert_non_null(p);
            memcpy(p, raw, k);
            pz_sql_err_t err;
            pz_sql_err_clear(&err);
            pz_datum_t d;
            if (pz_datum_from_binary(a, type_of(send_cases[i].type), p, k, &d, &err) != 0)
                assert_true(pz_sql_err_is_set(&err));
            free(p);
        }
    }
    pz_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_recv),
        cmocka_unit_test(test_recv_malformed),
        cmocka_unit_test(test_recv_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
