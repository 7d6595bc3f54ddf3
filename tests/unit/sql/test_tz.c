/*
 * test_tz.c — proves the time zone reader (sql_tz.c) answers as PostgreSQL 15 does with Debian's
 * tzdata: offsets and abbreviations at instants before, inside and past a zone's transition
 * table (the POSIX footer), local wall times in a spring-forward gap (read with the offset
 * before) and a fall-back overlap (the offset after), POSIX TZ strings (northern and southern
 * rules, quoted names, PostgreSQL's SQL-sign offsets), case-insensitive names with their
 * spelling on disk, refusal of unknown names and of paths leaving the zone directory, the
 * abbreviation table, and that concurrent lookups share one cached zone.
 *
 * How: expected values were read from a PostgreSQL 15 server (SET TimeZone; SELECT
 * 'literal'::timestamptz, to_char(..., 'TZ')).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sql_datetime.h"
#include "sql_tz.h"

#define H 3600

static int64_t at(int64_t y, int m, int d, int hh, int mi)
{
    return (pz_dt_days_from_ymd(y, m, d) * 86400 + hh * 3600 + mi * 60) * 1000000LL;
}

static void check_utc(const pz_tz_t *z, int64_t us, int32_t off, const char *abbr)
{
    const char *a = NULL;
    assert_int_equal(pz_tz_utc_offset(z, us, &a), off);
    assert_string_equal(a, abbr);
}

static void test_new_york(void **state)
{
    (void)state;
    const pz_tz_t *z = pz_tz_find("america/new_york");
    assert_non_null(z);
    assert_string_equal(pz_tz_name(z), "America/New_York");
    assert_ptr_equal(pz_tz_find("America/New_York"), z);
    check_utc(z, at(1800, 1, 1, 5, 0), -(4 * H + 56 * 60 + 2), "LMT"); /* before the table */
    check_utc(z, at(2024, 7, 1, 12, 0), -4 * H, "EDT");
    check_utc(z, at(2024, 1, 1, 12, 0), -5 * H, "EST");
    check_utc(z, at(2200, 7, 1, 12, 0), -4 * H, "EDT"); /* the footer's rule */
    check_utc(z, at(2500, 1, 1, 12, 0), -5 * H, "EST");
    /* 2024-03-10 02:30 does not exist: PostgreSQL reads it as EST (03:30 EDT). */
    assert_int_equal(pz_tz_local_offset(z, at(2024, 3, 10, 2, 30)), -5 * H);
    /* 2024-11-03 01:30 happens twice: PostgreSQL takes the later one (EST). */
    assert_int_equal(pz_tz_local_offset(z, at(2024, 11, 3, 1, 30)), -5 * H);
    assert_int_equal(pz_tz_local_offset(z, at(2024, 11, 3, 0, 59)), -4 * H);
    assert_int_equal(pz_tz_local_offset(z, at(2100, 3, 14, 2, 30)), -5 * H);
    assert_int_equal(pz_tz_local_offset(z, at(2100, 3, 14, 3, 0)), -4 * H);
}

static void test_southern_and_odd(void **state)
{
    (void)state;
    const pz_tz_t *syd = pz_tz_find("Australia/Sydney");
    assert_non_null(syd);
    check_utc(syd, at(2090, 1, 1, 0, 0), 11 * H, "AEDT");
    check_utc(syd, at(2090, 7, 1, 0, 0), 10 * H, "AEST");
    assert_int_equal(pz_tz_local_offset(syd, at(2024, 10, 6, 2, 30)), 10 * H);
    assert_int_equal(pz_tz_local_offset(syd, at(2024, 4, 7, 2, 30)), 10 * H);
    const pz_tz_t *ktm = pz_tz_find("Asia/Kathmandu");
    assert_non_null(ktm);
    check_utc(ktm, at(2024, 1, 1, 0, 0), 5 * H + 45 * 60, "+0545");
    /* Moscow 2014-10-26: both sides are standard time; the later offset wins. */
    const pz_tz_t *msk = pz_tz_find("Europe/Moscow");
    assert_int_equal(pz_tz_local_offset(msk, at(2014, 10, 26, 1, 30)), 3 * H);
}

static void test_posix(void **state)
{
    (void)state;
    const pz_tz_t *z = pz_tz_find("utc+3");
    assert_non_null(z);
    assert_string_equal(pz_tz_name(z), "UTC+3");
    check_utc(z, at(2024, 7, 1, 0, 0), -3 * H, "UTC");
    z = pz_tz_find("+05:30"); /* POSIX sign: west */
    assert_non_null(z);
    check_utc(z, at(2024, 7, 1, 0, 0), -(5 * H + 30 * 60), "");
    z = pz_tz_find("AEST-10AEDT,M10.1.0,M4.1.0/3");
    assert_non_null(z);
    check_utc(z, at(2024, 1, 15, 0, 0), 11 * H, "AEDT");
    check_utc(z, at(2024, 6, 15, 0, 0), 10 * H, "AEST");
    z = pz_tz_offset(2 * H);
    assert_non_null(z);
    assert_string_equal(pz_tz_name(z), "<+02>-02");
    check_utc(z, 0, 2 * H, "+02");
    assert_string_equal(pz_tz_name(pz_tz_offset(-(5 * H + 30 * 60))), "<-05:30>+05:30");
    assert_null(pz_tz_offset(200 * H));
    assert_string_equal(pz_tz_name(pz_tz_find("gmt")), "GMT");
}

static void test_unknown(void **state)
{
    (void)state;
    assert_null(pz_tz_find("Foo/Bar"));
    assert_null(pz_tz_find("z"));
    assert_null(pz_tz_find("America"));
    assert_null(pz_tz_find("../../etc/passwd"));
    assert_null(pz_tz_find("America/../Europe/Berlin"));
    assert_null(pz_tz_find(""));
    assert_null(pz_tz_find("zone.tab"));
}

static void test_abbrev(void **state)
{
    (void)state;
    int32_t off;
    const pz_tz_t *z;
    assert_true(pz_tz_abbrev("cest", &off, &z));
    assert_int_equal(off, 2 * H);
    assert_null(z);
    assert_true(pz_tz_abbrev("EST", &off, &z));
    assert_int_equal(off, -5 * H);
    assert_true(pz_tz_abbrev("MSK", &off, &z));
    assert_ptr_equal(z, pz_tz_find("Europe/Moscow"));
    assert_false(pz_tz_abbrev("XYZ", &off, &z));
}

static void *finder(void *arg)
{
    const pz_tz_t **out = arg;
    static const char *const names[] = {"Europe/Paris", "asia/tokyo", "PST8PDT", "<+07>-07"};
    for (int i = 0; i < 200; i++) {
        out[i % 4] = pz_tz_find(names[i % 4]);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    const pz_tz_t *got[4][4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, finder, got[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    for (int i = 1; i < 4; i++) {
        for (int k = 0; k < 4; k++) {
            assert_non_null(got[i][k]);
            assert_ptr_equal(got[i][k], got[0][k]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_york), cmocka_unit_test(test_southern_and_odd),
        cmocka_unit_test(test_posix),    cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_abbrev),   cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
