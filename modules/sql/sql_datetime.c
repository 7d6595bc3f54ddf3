/*
 * sql_datetime.c — date, time, timestamp, timestamptz and interval: PostgreSQL's ISO input forms
 * and output, casts among them, and the calendar arithmetic behind +, -, date_trunc, extract and
 * justify_* (see sql_datetime.h for the representation).
 *
 * Why our own calendar code instead of libc's: PostgreSQL's range (4713 BC to 294276 AD), its
 * proleptic Gregorian calendar and its month-clamping rules are not what mktime/gmtime give, and
 * the session zone comes in the caller's env (sql_tz.h: no global TZ state, thread-safe).
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sql_datetime.h"
#include "sql_types_int.h"
#include "sql_tz.h"

#define S_USEC_HOUR (3600LL * PZ_DT_USECS_PER_SEC)
#define S_USEC_MIN (60LL * PZ_DT_USECS_PER_SEC)
/* PostgreSQL's limits: dates from 4714-11-24 BC (Julian day 0) to 5874897 AD; timestamps to
 * 294276 AD. As days since 2000-01-01: */
#define S_DATE_MIN (-2451545LL)
#define S_DATE_MAX (2147483494LL - 2451545LL)
#define S_TS_MIN_DAYS (-2451545LL)
#define S_TS_MAX_DAYS (106751991LL - 1)
/* A zone name inside a literal: PostgreSQL's TZ_STRLEN_MAX is 255, real names are under 40. */
#define S_ZONE_TOKEN_BYTES_MAX 256
/* Tokens of one date/time or interval literal: far above any real literal. */
#define S_TOKENS_MAX 64

/* ------------------------------------------------------------------------------------------ */
/* Calendar                                                                                    */

int64_t pz_dt_days_from_ymd(int64_t y, int m, int d)
{
    assert(m >= 1 && m <= 12);
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 - 10957; /* 1970-01-01 is day 719468; 2000 is +10957 */
}

void pz_dt_ymd_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    assert(y != NULL && m != NULL && d != NULL);
    int64_t z = days + 10957 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int s_mdays(int64_t y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : md[m - 1];
}

static int64_t s_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static bool s_ts_ok(int64_t ts)
{
    int64_t days = s_floordiv(ts, PZ_DT_USECS_PER_DAY);
    return days >= S_TS_MIN_DAYS && days <= S_TS_MAX_DAYS;
}

const pz_tz_t *pz_dt_zone(const pz_sql_tyenv_t *env)
{
    assert(env != NULL);
    return env->tz != NULL ? env->tz : pz_tz_utc();
}

int64_t pz_dt_to_local(const pz_tz_t *z, int64_t utc_us)
{
    if (z == NULL || utc_us == PZ_DT_NOBEGIN || utc_us == PZ_DT_NOEND)
        return utc_us;
    return utc_us + (int64_t)pz_tz_utc_offset(z, utc_us, NULL) * PZ_DT_USECS_PER_SEC;
}

int64_t pz_dt_from_local(const pz_tz_t *z, int64_t local_us)
{
    if (z == NULL || local_us == PZ_DT_NOBEGIN || local_us == PZ_DT_NOEND)
        return local_us;
    return local_us - (int64_t)pz_tz_local_offset(z, local_us) * PZ_DT_USECS_PER_SEC;
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                      */

static void s_put_date(int64_t days, pz_sbuf_t *out, bool *bc)
{
    int64_t y;
    int m, d;
    pz_dt_ymd_from_days(days, &y, &m, &d);
    *bc = y <= 0;
    pz_sbuf_printf(out, "%04lld-%02d-%02d", (long long)(y <= 0 ? 1 - y : y), m, d);
}

/* HH:MM:SS[.ffffff without trailing zeros]; hours may exceed 24 (intervals). */
static void s_put_time(int64_t us, pz_sbuf_t *out)
{
    assert(us >= 0);
    int64_t h = us / S_USEC_HOUR, mi = us / S_USEC_MIN % 60, s = us / PZ_DT_USECS_PER_SEC % 60;
    int64_t f = us % PZ_DT_USECS_PER_SEC;
    pz_sbuf_printf(out, "%02lld:%02lld:%02lld", (long long)h, (long long)mi, (long long)s);
    if (f != 0) {
        char frac[8];
        snprintf(frac, sizeof frac, "%06lld", (long long)f);
        int n = 6;
        while (n > 0 && frac[n - 1] == '0')
            n--;
        pz_sbuf_printf(out, ".%.*s", n, frac);
    }
}

static void s_put_offset(int32_t off_s, pz_sbuf_t *out)
{
    int a = off_s < 0 ? -off_s : off_s;
    pz_sbuf_printf(out, "%c%02d", off_s < 0 ? '-' : '+', a / 3600);
    if (a % 3600 != 0)
        pz_sbuf_printf(out, ":%02d", a / 60 % 60);
    if (a % 60 != 0)
        pz_sbuf_printf(out, ":%02d", a % 60);
}

static void s_put_ts(int64_t ts, const pz_tz_t *tz, pz_sbuf_t *out)
{
    if (ts == PZ_DT_NOBEGIN || ts == PZ_DT_NOEND) {
        pz_sbuf_puts(out, ts == PZ_DT_NOEND ? "infinity" : "-infinity");
        return;
    }
    int32_t off_s = tz != NULL ? pz_tz_utc_offset(tz, ts, NULL) : 0;
    ts += (int64_t)off_s * PZ_DT_USECS_PER_SEC;
    int64_t days = s_floordiv(ts, PZ_DT_USECS_PER_DAY);
    bool bc;
    s_put_date(days, out, &bc);
    pz_sbuf_putc(out, ' ');
    s_put_time(ts - days * PZ_DT_USECS_PER_DAY, out);
    if (tz)
        s_put_offset(off_s, out);
    if (bc)
        pz_sbuf_puts(out, " BC");
}

static void s_put_part(pz_sbuf_t *out, bool *zero, bool *before, int64_t v, const char *unit)
{
    if (v == 0)
        return;
    pz_sbuf_printf(out, "%s%s%lld %s%s", *zero ? "" : " ", (*before && v > 0) ? "+" : "",
                   (long long)v, unit, v != 1 ? "s" : "");
    *before = v < 0;
    *zero = false;
}

static void s_put_interval(const pz_datum_t *d, pz_sbuf_t *out)
{
    bool zero = true, before = false;
    int32_t mo = d->v.iv.months;
    s_put_part(out, &zero, &before, mo / 12, "year");
    s_put_part(out, &zero, &before, mo % 12, "mon");
    s_put_part(out, &zero, &before, d->v.iv.days, "day");
    int64_t us = d->v.iv.us;
    if (us != 0 || zero) {
        bool minus = us < 0;
        pz_sbuf_printf(out, "%s%s", zero ? "" : " ", minus ? "-" : (before ? "+" : ""));
        s_put_time(minus ? -(us + 1) + 1 : us, out);
    }
}

void pz_dt_out(const pz_sql_tyenv_t *env, const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(env != NULL && d != NULL && out != NULL);
    assert(!d->null);
    bool bc;
    switch (d->type) {
    case PZ_TY_DATE:
        if (d->v.i == PZ_DT_DATE_NOBEGIN || d->v.i == PZ_DT_DATE_NOEND) {
            pz_sbuf_puts(out, d->v.i == PZ_DT_DATE_NOEND ? "infinity" : "-infinity");
            return;
        }
        s_put_date(d->v.i, out, &bc);
        if (bc)
            pz_sbuf_puts(out, " BC");
        return;
    case PZ_TY_TIME:
        s_put_time(d->v.i, out);
        return;
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
        s_put_ts(d->v.i, d->type == PZ_TY_TIMESTAMPTZ ? pz_dt_zone(env) : NULL, out);
        return;
    default:
        assert(d->type == PZ_TY_INTERVAL);
        s_put_interval(d, out);
        return;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Date/time input                                                                             */

typedef struct {
    int64_t y;
    int m, d;
    int64_t us; /* time of day */
    bool has_date, has_time, has_tz, bc, range;
    int32_t tz_s;
    const pz_tz_t *zone; /* a zone name in the literal ("Europe/Berlin", "MSK") */
    int bad_zone;        /* > 0: the length of a zone name with punctuation not found */
    const char *bad_zone_at;
} s_dt_t;

/* Digits at s[*i] as a number (at most 9 digits); -1 if none. */
static int64_t s_num(const char *s, size_t n, size_t *i, int *ndig)
{
    int64_t v = 0;
    int k = 0;
    while (*i < n && isdigit((unsigned char)s[*i]) && k < 9) {
        v = v * 10 + (s[(*i)++] - '0');
        k++;
    }
    if (ndig != NULL)
        *ndig = k;
    return k ? v : -1;
}

/* HH:MM[:SS[.ffffff]] into µs; false if malformed or out of range. */
static bool s_parse_time(const char *s, size_t n, size_t *i, int64_t *us)
{
    int64_t h = s_num(s, n, i, NULL), mi = 0, sec = 0, f = 0;
    if (h < 0 || *i >= n || s[*i] != ':')
        return false;
    (*i)++;
    if ((mi = s_num(s, n, i, NULL)) < 0)
        return false;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if ((sec = s_num(s, n, i, NULL)) < 0)
            return false;
        if (*i < n && s[*i] == '.') {
            (*i)++;
            int k = 0;
            double frac = 0, scale = 0.1;
            for (; *i < n && isdigit((unsigned char)s[*i]); (*i)++, k++, scale /= 10)
                frac += (s[*i] - '0') * scale;
            f = (int64_t)rint(frac * 1e6);
        }
    }
    if (mi > 59 || sec > 60 || h > 24 || (h == 24 && (mi || sec || f))) {
        *us = -1; /* well-formed but out of range: the caller reports 22008 */
        return false;
    }
    *us = ((h * 60 + mi) * 60 + sec) * PZ_DT_USECS_PER_SEC + f;
    return true;
}

/* Zone suffix: Z, UTC, GMT, +HH, +HH:MM, +HHMM, +HH:MM:SS. */
static bool s_parse_tz(const char *s, size_t n, size_t *i, int32_t *off)
{
    if (n - *i >= 3 && (strncmp(s + *i, "utc", 3) == 0 || strncmp(s + *i, "gmt", 3) == 0)) {
        *i += 3;
        *off = 0;
        return true;
    }
    if (s[*i] == 'z') {
        (*i)++;
        *off = 0;
        return true;
    }
    if (s[*i] != '+' && s[*i] != '-')
        return false;
    int sign = s[(*i)++] == '-' ? -1 : 1;
    int nd;
    int64_t h = s_num(s, n, i, &nd), m = 0, sec = 0;
    if (h < 0)
        return false;
    if (nd == 4) {
        m = h % 100;
        h /= 100;
    } else if (*i < n && s[*i] == ':') {
        (*i)++;
        m = s_num(s, n, i, NULL);
        if (*i < n && s[*i] == ':') {
            (*i)++;
            sec = s_num(s, n, i, NULL);
        }
    }
    if (h > 15 || m < 0 || m > 59 || sec < 0 || sec > 59)
        return false;
    *off = (int32_t)(sign * (h * 3600 + m * 60 + sec));
    return true;
}

/* A zone token s[*i, n): an offset, or an abbreviation or zone name as PostgreSQL's
 * DecodeDateTime reads them (letters only: abbreviation, then zone; with punctuation: zone). */
static bool s_parse_zone(const char *s, size_t n, size_t *i, s_dt_t *r)
{
    size_t k = *i;
    if (s_parse_tz(s, n, &k, &r->tz_s) && k == n) {
        *i = n;
        return true;
    }
    char tok[S_ZONE_TOKEN_BYTES_MAX];
    size_t len = n - *i;
    bool alpha = true;
    if (len >= sizeof tok || !isalpha((unsigned char)s[*i]))
        return false;
    memcpy(tok, s + *i, len);
    tok[len] = '\0';
    for (size_t q = 0; q < len; q++)
        alpha = alpha && isalpha((unsigned char)tok[q]);
    const pz_tz_t *z = NULL;
    int32_t off;
    if (alpha && pz_tz_abbrev(tok, &off, &z)) {
        r->tz_s = off;
        r->zone = z;
    } else if ((r->zone = pz_tz_find(tok)) == NULL) {
        r->bad_zone = alpha ? 0 : (int)len;
        r->bad_zone_at = s + *i;
        return false;
    }
    *i = n;
    return true;
}

/* The lower-cased, trimmed literal: date [T| ] time [zone] [BC|AD]. */
static bool s_parse_dt(const char *s, size_t n, bool time_only, s_dt_t *r)
{
    size_t i = 0;
    memset(r, 0, sizeof *r);
    if (!time_only) {
        int nd;
        int64_t y = s_num(s, n, &i, &nd), m, d;
        if (y < 0 || i >= n || s[i] != '-')
            return false;
        i++;
        m = s_num(s, n, &i, NULL);
        if (m < 0 || i >= n || s[i] != '-')
            return false;
        i++;
        if ((d = s_num(s, n, &i, NULL)) < 0)
            return false;
        r->y = y, r->m = (int)m, r->d = (int)d, r->has_date = true;
        if (i < n && (s[i] == 't' || s[i] == ' '))
            i++;
        while (i < n && s[i] == ' ')
            i++;
    }
    if (i < n && isdigit((unsigned char)s[i])) {
        if (!s_parse_time(s, n, &i, &r->us)) {
            r->range = r->us == -1;
            return false;
        }
        r->has_time = true;
    }
    while (i < n && s[i] == ' ')
        i++;
    size_t j = i;
    while (j < n && s[j] != ' ')
        j++;
    bool era = j - i == 2 && (strncmp(s + i, "bc", 2) == 0 || strncmp(s + i, "ad", 2) == 0);
    if (i < n && !era) {
        if (!s_parse_zone(s, j, &i, r))
            return false;
        r->has_tz = true;
    }
    while (i < n && s[i] == ' ')
        i++;
    if (n - i == 2 && (strncmp(s + i, "bc", 2) == 0 || strncmp(s + i, "ad", 2) == 0)) {
        r->bc = s[i] == 'b';
        i += 2;
    }
    return i == n && (time_only ? r->has_time : true);
}

static int s_bad_dt(pz_sql_err_t *err, pz_ty_t t, const char *s, size_t len)
{
    int n = (int)(len > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : len);
    return pz_sql_err_set(err, t == PZ_TY_INTERVAL ? "22007" : "22007",
                          "invalid input syntax for type %s: \"%.*s\"", pz_ty_name(t), n, s);
}

static int s_range_dt(pz_sql_err_t *err, const char *s, size_t len)
{
    int n = (int)(len > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : len);
    return pz_sql_err_set(err, "22008", "date/time field value out of range: \"%.*s\"", n, s);
}

/* 'epoch', 'infinity', 'now', 'today', ... as a UTC timestamp; false if not special. */
static bool s_special(const char *w, const pz_sql_tyenv_t *env, int64_t now_us, int64_t *ts)
{
    const pz_tz_t *z = pz_dt_zone(env);
    int64_t midnight = s_floordiv(pz_dt_to_local(z, now_us), PZ_DT_USECS_PER_DAY);
    midnight *= PZ_DT_USECS_PER_DAY; /* local: each day's start converts on its own */
    if (strcmp(w, "epoch") == 0)
        *ts = -10957LL * PZ_DT_USECS_PER_DAY;
    else if (strcmp(w, "infinity") == 0 || strcmp(w, "+infinity") == 0)
        *ts = PZ_DT_NOEND;
    else if (strcmp(w, "-infinity") == 0)
        *ts = PZ_DT_NOBEGIN;
    else if (strcmp(w, "now") == 0)
        *ts = now_us;
    else if (strcmp(w, "today") == 0)
        *ts = pz_dt_from_local(z, midnight);
    else if (strcmp(w, "yesterday") == 0)
        *ts = pz_dt_from_local(z, midnight - PZ_DT_USECS_PER_DAY);
    else if (strcmp(w, "tomorrow") == 0)
        *ts = pz_dt_from_local(z, midnight + PZ_DT_USECS_PER_DAY);
    else
        return false;
    return true;
}

/* A UTC instant to the type's value (timestamp: the session's local wall time). */
static void s_from_instant(const pz_sql_tyenv_t *env, pz_ty_t t, int64_t ts, pz_datum_t *out)
{
    bool inf = ts == PZ_DT_NOBEGIN || ts == PZ_DT_NOEND;
    int64_t local = pz_dt_to_local(pz_dt_zone(env), ts);
    switch (t) {
    case PZ_TY_DATE:
        *out = pz_datum_int(t, inf ? (ts == PZ_DT_NOEND ? PZ_DT_DATE_NOEND : PZ_DT_DATE_NOBEGIN)
                                   : s_floordiv(local, PZ_DT_USECS_PER_DAY));
        return;
    case PZ_TY_TIME:
        *out =
            pz_datum_int(t, local - s_floordiv(local, PZ_DT_USECS_PER_DAY) * PZ_DT_USECS_PER_DAY);
        return;
    case PZ_TY_TIMESTAMP:
        *out = pz_datum_int(t, local);
        return;
    default:
        *out = pz_datum_int(t, ts);
        return;
    }
}

static int s_round_prec(pz_ty_t t, int32_t typmod, int64_t *v)
{
    if (typmod < 0 || (typmod & 0xffff) >= 6 || *v == PZ_DT_NOBEGIN || *v == PZ_DT_NOEND)
        return 0;
    (void)t;
    int64_t q = 1;
    for (int i = (int)(typmod & 0xffff); i < 6; i++)
        q *= 10;
    int64_t r = *v % q;
    *v -= r;
    if (r * 2 >= q)
        *v += q;
    else if (r * 2 <= -q)
        *v -= q;
    return 0;
}

static int s_interval_in(const char *s, size_t n, pz_datum_t *out);

int pz_dt_in_at(const pz_sql_tyenv_t *env, int64_t now_us, pz_sql_type_t t, const char *s,
                size_t len, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(env != NULL && out != NULL && err != NULL && (s != NULL || len == 0));
    char buf[128];
    size_t b = 0, e = len, n = 0;
    while (b < e && isspace((unsigned char)s[b]))
        b++;
    while (e > b && isspace((unsigned char)s[e - 1]))
        e--;
    if (e - b >= sizeof buf)
        return s_bad_dt(err, (pz_ty_t)t.id, s, len);
    for (size_t i = b; i < e; i++)
        buf[n++] = (char)tolower((unsigned char)s[i]);
    buf[n] = '\0';
    pz_ty_t ty = (pz_ty_t)t.id;
    if (ty == PZ_TY_INTERVAL) {
        if (s_interval_in(buf, n, out) != 0)
            return s_bad_dt(err, ty, s, len);
        return s_round_prec(ty, t.typmod, &out->v.iv.us);
    }
    int64_t ts;
    if (s_special(buf, env, now_us, &ts)) {
        if (ty == PZ_TY_TIME && strcmp(buf, "now") != 0)
            return s_bad_dt(err, ty, s, len);
        s_from_instant(env, ty, ts, out);
        return 0;
    }
    s_dt_t r;
    if (!s_parse_dt(buf, n, ty == PZ_TY_TIME, &r)) {
        if (r.bad_zone > 0)
            return pz_sql_err_set(err, "22023", "time zone \"%.*s\" not recognized", r.bad_zone,
                                  r.bad_zone_at);
        return r.range ? s_range_dt(err, s, len) : s_bad_dt(err, ty, s, len);
    }
    if (ty == PZ_TY_TIME) {
        *out = pz_datum_int(ty, r.us);
        return s_round_prec(ty, t.typmod, &out->v.i);
    }
    int64_t y = r.bc ? 1 - r.y : r.y;
    if (r.m < 1 || r.m > 12 || r.d < 1 || r.d > s_mdays(y, r.m) || (r.bc && r.y == 0))
        return s_range_dt(err, s, len);
    int64_t days = pz_dt_days_from_ymd(y, r.m, r.d);
    if (days < S_DATE_MIN || days > S_DATE_MAX)
        return pz_sql_err_set(err, "22008", "date out of range: \"%.*s\"", (int)(e - b), s + b);
    if (ty == PZ_TY_DATE) {
        *out = pz_datum_int(ty, days);
        return 0;
    }
    int64_t v = days * PZ_DT_USECS_PER_DAY + r.us;
    if (ty == PZ_TY_TIMESTAMPTZ && r.zone != NULL)
        v = pz_dt_from_local(r.zone, v);
    else if (ty == PZ_TY_TIMESTAMPTZ)
        v = r.has_tz ? v - (int64_t)r.tz_s * PZ_DT_USECS_PER_SEC
                     : pz_dt_from_local(pz_dt_zone(env), v);
    if (!s_ts_ok(v))
        return pz_sql_err_set(err, "22008", "timestamp out of range: \"%.*s\"", (int)(e - b),
                              s + b);
    s_round_prec(ty, t.typmod, &v);
    *out = pz_datum_int(ty, v);
    return 0;
}

int pz_dt_in(const pz_sql_tyenv_t *env, pz_sql_type_t t, const char *s, size_t len, pz_datum_t *out,
             pz_sql_err_t *err)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t us = ((int64_t)now.tv_sec - 946684800LL) * PZ_DT_USECS_PER_SEC + now.tv_nsec / 1000;
    return pz_dt_in_at(env, us, t, s, len, out, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Interval input                                                                              */

typedef struct {
    double months, days, us;
} s_iv_acc_t;

/* Adds v units to acc: months, days and µs kept apart as PostgreSQL's. */
static bool s_iv_unit(const char *u, double v, s_iv_acc_t *acc)
{
    static const struct {
        const char *name;
        int kind; /* 0 µs, 1 days, 2 months */
        double mul;
    } units[] = {
        {"microsecond", 0, 1},
        {"microseconds", 0, 1},
        {"us", 0, 1},
        {"usec", 0, 1},
        {"usecs", 0, 1},
        {"millisecond", 0, 1e3},
        {"milliseconds", 0, 1e3},
        {"ms", 0, 1e3},
        {"msec", 0, 1e3},
        {"msecs", 0, 1e3},
        {"second", 0, 1e6},
        {"seconds", 0, 1e6},
        {"s", 0, 1e6},
        {"sec", 0, 1e6},
        {"secs", 0, 1e6},
        {"minute", 0, 6e7},
        {"minutes", 0, 6e7},
        {"m", 0, 6e7},
        {"min", 0, 6e7},
        {"mins", 0, 6e7},
        {"hour", 0, 3.6e9},
        {"hours", 0, 3.6e9},
        {"h", 0, 3.6e9},
        {"hr", 0, 3.6e9},
        {"hrs", 0, 3.6e9},
        {"day", 1, 1},
        {"days", 1, 1},
        {"d", 1, 1},
        {"week", 1, 7},
        {"weeks", 1, 7},
        {"w", 1, 7},
        {"month", 2, 1},
        {"months", 2, 1},
        {"mon", 2, 1},
        {"mons", 2, 1},
        {"year", 2, 12},
        {"years", 2, 12},
        {"y", 2, 12},
        {"yr", 2, 12},
        {"yrs", 2, 12},
        {"decade", 2, 120},
        {"decades", 2, 120},
        {"century", 2, 1200},
        {"centuries", 2, 1200},
        {"millennium", 2, 12000},
        {"millennia", 2, 12000},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(u, units[i].name) != 0)
            continue;
        double x = v * units[i].mul;
        if (units[i].kind == 2) {
            double whole = trunc(x);
            acc->months += whole;
            x = (x - whole) * 30; /* fractional months become days */
            whole = trunc(x);
            acc->days += whole;
            acc->us += (x - whole) * (double)PZ_DT_USECS_PER_DAY;
        } else if (units[i].kind == 1) {
            double whole = trunc(x);
            acc->days += whole;
            acc->us += (x - whole) * (double)PZ_DT_USECS_PER_DAY;
        } else {
            acc->us += x;
        }
        return true;
    }
    return false;
}

/* ISO 8601 "P1Y2M3DT4H5M6S" (and "PT..."). */
static bool s_iv_iso(const char *s, size_t n, s_iv_acc_t *acc)
{
    bool in_time = false;
    for (size_t i = 1; i < n;) {
        if (s[i] == 't') {
            in_time = true;
            i++;
            continue;
        }
        char *end;
        double v = strtod(s + i, &end);
        if (end == s + i || (size_t)(end - s) >= n)
            return false;
        i = (size_t)(end - s);
        char c = s[i++];
        const char *u = c == 'y'   ? "year"
                        : c == 'w' ? "week"
                        : c == 'd' ? "day"
                        : c == 'h' ? "hour"
                        : c == 's' ? "second"
                        : c == 'm' ? (in_time ? "minute" : "month")
                                   : NULL;
        if (u == NULL || !s_iv_unit(u, v, acc))
            return false;
    }
    return n > 1;
}

static bool s_iv_token(const char *tok, const char *next, bool *used_next, s_iv_acc_t *acc)
{
    size_t tl = strlen(tok);
    *used_next = false;
    if (strchr(tok, ':') != NULL) {
        size_t i = tok[0] == '-' || tok[0] == '+' ? 1 : 0;
        int64_t us;
        if (!s_parse_time(tok, tl, &i, &us) || i != tl) {
            /* hours may exceed 24 in intervals: "100:00:00" */
            char *end;
            long h = strtol(tok + (tok[0] == '-' || tok[0] == '+'), &end, 10);
            size_t j = 0;
            char rest[64];
            int rn = snprintf(rest, sizeof rest, "0%s", end);
            if (h < 0 || rn <= 0 || (size_t)rn >= sizeof rest ||
                !s_parse_time(rest, (size_t)rn, &j, &us) || j != (size_t)rn)
                return false;
            us += h * S_USEC_HOUR;
        }
        acc->us += tok[0] == '-' ? -(double)us : (double)us;
        return true;
    }
    char *end;
    double v = strtod(tok, &end);
    if (end == tok)
        return false;
    if (*end != '\0')
        return s_iv_unit(end, v, acc);
    if (next == NULL)
        return s_iv_unit("second", v, acc);
    *used_next = true;
    return s_iv_unit(next, v, acc);
}

static int s_interval_in(const char *s, size_t n, pz_datum_t *out)
{
    s_iv_acc_t acc = {0, 0, 0};
    bool ok = true, ago = false;
    if (n > 0 && s[0] == 'p') {
        ok = s_iv_iso(s, n, &acc);
    } else {
        char copy[128], *toks[S_TOKENS_MAX];
        int nt = 0;
        memcpy(copy, s, n + 1);
        for (char *save, *t = strtok_r(copy, " \t", &save); t != NULL && nt < S_TOKENS_MAX;
             t = strtok_r(NULL, " \t", &save))
            toks[nt++] = t;
        int i = nt > 0 && strcmp(toks[0], "@") == 0 ? 1 : 0;
        if (nt > i && strcmp(toks[nt - 1], "ago") == 0) {
            ago = true;
            nt--;
        }
        ok = nt > i;
        for (; i < nt && ok; i++) {
            bool used;
            ok = s_iv_token(toks[i], i + 1 < nt ? toks[i + 1] : NULL, &used, &acc);
            i += used;
        }
    }
    if (!ok || fabs(acc.months) > 2147483647.0 || fabs(acc.days) > 2147483647.0 ||
        fabs(acc.us) > 9.2e18)
        return PZ_EINVAL;
    double sign = ago ? -1 : 1;
    *out = (pz_datum_t){.type = PZ_TY_INTERVAL};
    out->v.iv.months = (int32_t)(sign * acc.months);
    out->v.iv.days = (int32_t)(sign * acc.days);
    out->v.iv.us = (int64_t)llrint(sign * acc.us);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Casts                                                                                       */

/* A value as a UTC instant (DATE, TIMESTAMP: local wall time through the session offset). */
static int64_t s_instant(const pz_sql_tyenv_t *env, const pz_datum_t *in)
{
    int64_t v = in->v.i;
    if (in->type == PZ_TY_DATE) {
        if (v == PZ_DT_DATE_NOBEGIN || v == PZ_DT_DATE_NOEND)
            return v == PZ_DT_DATE_NOEND ? PZ_DT_NOEND : PZ_DT_NOBEGIN;
        return pz_dt_from_local(pz_dt_zone(env), v * PZ_DT_USECS_PER_DAY);
    }
    return in->type == PZ_TY_TIMESTAMP ? pz_dt_from_local(pz_dt_zone(env), v) : v;
}

int pz_dt_cast(const pz_sql_tyenv_t *env, const pz_datum_t *in, pz_sql_type_t to, pz_datum_t *out,
               pz_sql_err_t *err)
{
    assert(env != NULL && in != NULL && out != NULL && err != NULL);
    pz_ty_t f = (pz_ty_t)in->type, t = (pz_ty_t)to.id;
    if (f == PZ_TY_INTERVAL || t == PZ_TY_INTERVAL || f == PZ_TY_TIME) {
        if (f == t) {
            *out = *in;
            return s_round_prec(t, to.typmod, &out->v.iv.us);
        }
        if (f == PZ_TY_TIME && t == PZ_TY_TIME) {
            *out = *in;
            return s_round_prec(t, to.typmod, &out->v.i);
        }
        if (f == PZ_TY_TIME && t == PZ_TY_INTERVAL) {
            *out = (pz_datum_t){.type = PZ_TY_INTERVAL, .v.iv = {.us = in->v.i}};
            return 0;
        }
        if (f == PZ_TY_INTERVAL && t == PZ_TY_TIME) {
            int64_t us = in->v.iv.us % PZ_DT_USECS_PER_DAY;
            *out = pz_datum_int(PZ_TY_TIME, us < 0 ? us + PZ_DT_USECS_PER_DAY : us);
            return 0;
        }
        return pz_sql_err_set(err, "42846", "cannot cast type %s to %s", pz_ty_name(f),
                              pz_ty_name(t));
    }
    int64_t ts = s_instant(env, in);
    if (t == PZ_TY_TIME && (ts == PZ_DT_NOBEGIN || ts == PZ_DT_NOEND))
        return pz_sql_err_set(err, "22008", "timestamp out of range");
    s_from_instant(env, t, ts, out);
    if (t != PZ_TY_DATE)
        s_round_prec(t, to.typmod, &out->v.i);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Arithmetic                                                                                  */

int pz_dt_date_add_days(int64_t date, int64_t days, int64_t *out, pz_sql_err_t *err)
{
    assert(out != NULL && err != NULL);
    if (date == PZ_DT_DATE_NOBEGIN || date == PZ_DT_DATE_NOEND) {
        *out = date;
        return 0;
    }
    int64_t r = date + days;
    if (days > INT32_MAX || days < INT32_MIN || r < S_DATE_MIN || r > S_DATE_MAX)
        return pz_sql_err_set(err, "22008", "date out of range");
    *out = r;
    return 0;
}

int pz_dt_ts_add_interval(const pz_sql_tyenv_t *env, pz_ty_t type, int64_t ts, const pz_datum_t *iv,
                          int sign, int64_t *out, pz_sql_err_t *err)
{
    assert(env != NULL && iv != NULL && out != NULL && (sign == 1 || sign == -1));
    assert(type == PZ_TY_TIMESTAMP || type == PZ_TY_TIMESTAMPTZ);
    if (ts == PZ_DT_NOBEGIN || ts == PZ_DT_NOEND) {
        *out = ts;
        return 0;
    }
    /* As PostgreSQL's timestamptz_pl_interval: months, then days, each in local time and
     * converted back (so a day across a DST change is 23 or 25 hours), then µs as elapsed time. */
    const pz_tz_t *z = type == PZ_TY_TIMESTAMPTZ ? pz_dt_zone(env) : NULL;
    if (iv->v.iv.months != 0) {
        int64_t local = pz_dt_to_local(z, ts), days = s_floordiv(local, PZ_DT_USECS_PER_DAY), y;
        int64_t tod = local - days * PZ_DT_USECS_PER_DAY;
        int m, d;
        pz_dt_ymd_from_days(days, &y, &m, &d);
        int64_t mm = y * 12 + (m - 1) + (int64_t)sign * iv->v.iv.months;
        y = s_floordiv(mm, 12);
        m = (int)(mm - y * 12) + 1;
        if (d > s_mdays(y, m))
            d = s_mdays(y, m);
        days = pz_dt_days_from_ymd(y, m, d);
        if (days < S_TS_MIN_DAYS - 1 || days > S_TS_MAX_DAYS + 1)
            return pz_sql_err_set(err, "22008", "timestamp out of range");
        ts = pz_dt_from_local(z, days * PZ_DT_USECS_PER_DAY + tod);
    }
    if (iv->v.iv.days != 0) {
        __int128 local =
            (__int128)pz_dt_to_local(z, ts) + (__int128)sign * iv->v.iv.days * PZ_DT_USECS_PER_DAY;
        if (local < INT64_MIN / 2 || local > INT64_MAX / 2)
            return pz_sql_err_set(err, "22008", "timestamp out of range");
        ts = pz_dt_from_local(z, (int64_t)local);
    }
    __int128 r = (__int128)ts + (__int128)sign * iv->v.iv.us;
    if (r < INT64_MIN / 2 || r > INT64_MAX / 2 || !s_ts_ok((int64_t)r))
        return pz_sql_err_set(err, "22008", "timestamp out of range");
    *out = (int64_t)r;
    return 0;
}

void pz_dt_justify(const pz_datum_t *in, bool hours, bool days, pz_datum_t *out)
{
    assert(in != NULL && out != NULL && in->type == PZ_TY_INTERVAL);
    int64_t mo = in->v.iv.months, d = in->v.iv.days, us = in->v.iv.us;
    if (hours) {
        d += us / PZ_DT_USECS_PER_DAY;
        us %= PZ_DT_USECS_PER_DAY;
        if (d > 0 && us < 0) {
            us += PZ_DT_USECS_PER_DAY;
            d--;
        } else if (d < 0 && us > 0) {
            us -= PZ_DT_USECS_PER_DAY;
            d++;
        }
    }
    if (days) {
        mo += d / 30;
        d %= 30;
        if (mo > 0 && (d < 0 || (d == 0 && us < 0))) {
            d += 30;
            mo--;
        } else if (mo < 0 && (d > 0 || (d == 0 && us > 0))) {
            d -= 30;
            mo++;
        }
    }
    *out = *in;
    out->v.iv.months = (int32_t)mo;
    out->v.iv.days = (int32_t)d;
    out->v.iv.us = us;
}

int pz_dt_ts_diff(int64_t a, int64_t b, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(out != NULL && err != NULL);
    if (a == PZ_DT_NOBEGIN || a == PZ_DT_NOEND || b == PZ_DT_NOBEGIN || b == PZ_DT_NOEND)
        return pz_sql_err_set(err, "22008", "cannot subtract infinite timestamps");
    pz_datum_t iv = {.type = PZ_TY_INTERVAL, .v.iv = {.us = a - b}};
    pz_dt_justify(&iv, true, false, out);
    return 0;
}

int pz_dt_iv_add(const pz_datum_t *a, const pz_datum_t *b, int sign, pz_datum_t *out,
                 pz_sql_err_t *err)
{
    assert(a != NULL && b != NULL && out != NULL && (sign == 1 || sign == -1));
    int64_t mo = (int64_t)a->v.iv.months + sign * (int64_t)b->v.iv.months;
    int64_t d = (int64_t)a->v.iv.days + sign * (int64_t)b->v.iv.days;
    __int128 us = (__int128)a->v.iv.us + sign * (__int128)b->v.iv.us;
    if (mo > INT32_MAX || mo < INT32_MIN || d > INT32_MAX || d < INT32_MIN || us > INT64_MAX ||
        us < INT64_MIN)
        return pz_sql_err_set(err, "22008", "interval out of range");
    *out = (pz_datum_t){.type = PZ_TY_INTERVAL,
                        .v.iv = {.us = (int64_t)us, .days = (int32_t)d, .months = (int32_t)mo}};
    return 0;
}

/* interval_mul: fractional months carry to days (30 per month), fractional days to µs. */
int pz_dt_iv_mul(const pz_datum_t *a, double f, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL);
    double mo = a->v.iv.months * f, d = a->v.iv.days * f;
    if (isnan(f) || fabs(mo) > INT32_MAX || fabs(d) > INT32_MAX ||
        fabs((double)a->v.iv.us * f) > 9.2e18)
        return pz_sql_err_set(err, "22008", "interval out of range");
    double rmo = trunc(mo), dd = (mo - rmo) * 30 + d, rd = trunc(dd);
    double us = (dd - rd) * (double)PZ_DT_USECS_PER_DAY + (double)a->v.iv.us * f;
    *out = (pz_datum_t){.type = PZ_TY_INTERVAL,
                        .v.iv = {.us = llrint(us), .days = (int32_t)rd, .months = (int32_t)rmo}};
    return 0;
}

int pz_dt_iv_div(const pz_datum_t *a, double f, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL);
    if (f == 0.0)
        return pz_sql_err_set(err, "22012", "division by zero");
    return pz_dt_iv_mul(a, 1.0 / f, out, err);
}

/* ------------------------------------------------------------------------------------------ */
/* date_trunc, extract                                                                         */

static const char *const s_fields[] = {
    "microseconds", "milliseconds", "second", "minute", "hour",    "day",       "week",
    "month",        "quarter",      "year",   "decade", "century", "millennium"};

static int s_field(const char *f)
{
    for (int i = 0; i < (int)(sizeof s_fields / sizeof s_fields[0]); i++)
        if (strcasecmp(f, s_fields[i]) == 0)
            return i;
    return -1;
}

int pz_dt_trunc(const pz_sql_tyenv_t *env, const char *field, const pz_datum_t *in, pz_datum_t *out,
                pz_sql_err_t *err)
{
    assert(env != NULL && field != NULL && in != NULL && out != NULL);
    int fi = s_field(field);
    if (fi < 0)
        return pz_sql_err_set(err, "22023", "unit \"%s\" not recognized for type %s", field,
                              pz_ty_name((pz_ty_t)in->type));
    if (in->type != PZ_TY_TIMESTAMP && in->type != PZ_TY_TIMESTAMPTZ)
        return pz_sql_err_set(err, "0A000", "unit \"%s\" not supported for type %s", field,
                              pz_ty_name((pz_ty_t)in->type));
    *out = *in;
    if (in->v.i == PZ_DT_NOBEGIN || in->v.i == PZ_DT_NOEND)
        return 0;
    const pz_tz_t *z = in->type == PZ_TY_TIMESTAMPTZ ? pz_dt_zone(env) : NULL;
    int64_t local = pz_dt_to_local(z, in->v.i), off = local - in->v.i;
    int64_t days = s_floordiv(local, PZ_DT_USECS_PER_DAY);
    int64_t tod = local - days * PZ_DT_USECS_PER_DAY, y;
    int m, d;
    static const int64_t unit[] = {1,          1000,        PZ_DT_USECS_PER_SEC,
                                   S_USEC_MIN, S_USEC_HOUR, PZ_DT_USECS_PER_DAY};
    if (fi < 5) { /* below a day the instant keeps its offset, as PostgreSQL's (redotz) */
        out->v.i = days * PZ_DT_USECS_PER_DAY + tod / unit[fi] * unit[fi] - off;
        return 0;
    }
    pz_dt_ymd_from_days(days, &y, &m, &d);
    if (fi == 6) {                              /* ISO week: back to Monday */
        int64_t dow = ((days % 7) + 7 + 5) % 7; /* 2000-01-01 was a Saturday: 0 = Monday */
        days -= dow;
    } else if (fi > 6) { /* (day: midnight of the same local day) */
        int64_t yy = y;
        if (fi == 7)
            d = 1;
        else if (fi == 8)
            m = (m - 1) / 3 * 3 + 1, d = 1;
        else {
            m = 1, d = 1;
            if (fi == 10)
                yy = s_floordiv(y, 10) * 10;
            else if (fi == 11)
                yy = y > 0 ? (y - 1) / 100 * 100 + 1 : -((-y) / 100) * 100 - 99;
            else if (fi == 12)
                yy = y > 0 ? (y - 1) / 1000 * 1000 + 1 : -((-y) / 1000) * 1000 - 999;
        }
        days = pz_dt_days_from_ymd(yy, m, d);
    }
    out->v.i = pz_dt_from_local(z, days * PZ_DT_USECS_PER_DAY);
    return 0;
}

int pz_dt_part(const pz_sql_tyenv_t *env, const char *field, const pz_datum_t *in,
               int64_t *num_unscaled, int *num_scale, int *is_inf, pz_sql_err_t *err)
{
    assert(env != NULL && field != NULL && in != NULL && num_unscaled != NULL);
    assert(num_scale != NULL && is_inf != NULL);
    *is_inf = 0;
    *num_scale = 0;
    int64_t v = in->v.i, off = 0;
    if (in->type == PZ_TY_TIMESTAMPTZ && v != PZ_DT_NOBEGIN && v != PZ_DT_NOEND)
        off = pz_dt_to_local(pz_dt_zone(env), v) - v;
    if (in->type == PZ_TY_INTERVAL || in->type == PZ_TY_TIME)
        return pz_sql_err_set(err, "0A000", "extract from %s is not supported yet",
                              pz_ty_name((pz_ty_t)in->type));
    if (in->type == PZ_TY_DATE)
        v = v * PZ_DT_USECS_PER_DAY;
    if (strcasecmp(field, "epoch") == 0) {
        *num_unscaled = (in->v.i + 10957LL * PZ_DT_USECS_PER_DAY);
        if (in->type == PZ_TY_DATE)
            *num_unscaled = v + 10957LL * PZ_DT_USECS_PER_DAY;
        *num_scale = 6;
        return 0;
    }
    int64_t local = v + off, days = s_floordiv(local, PZ_DT_USECS_PER_DAY);
    int64_t tod = local - days * PZ_DT_USECS_PER_DAY, y, r;
    int m, d;
    pz_dt_ymd_from_days(days, &y, &m, &d);
    int64_t dow = ((days % 7) + 7 + 6) % 7; /* 0 = Sunday; 2000-01-01 was a Saturday */
    if (strcasecmp(field, "year") == 0)
        r = y > 0 ? y : y - 1;
    else if (strcasecmp(field, "month") == 0)
        r = m;
    else if (strcasecmp(field, "day") == 0)
        r = d;
    else if (strcasecmp(field, "hour") == 0)
        r = tod / S_USEC_HOUR;
    else if (strcasecmp(field, "minute") == 0)
        r = tod / S_USEC_MIN % 60;
    else if (strcasecmp(field, "second") == 0)
        r = tod % S_USEC_MIN, *num_scale = 6;
    else if (strcasecmp(field, "milliseconds") == 0)
        r = tod % S_USEC_MIN, *num_scale = 3;
    else if (strcasecmp(field, "microseconds") == 0)
        r = tod % S_USEC_MIN;
    else if (strncasecmp(field, "timezone", 8) == 0 &&
             (field[8] == '\0' || strcasecmp(field + 8, "_hour") == 0 ||
              strcasecmp(field + 8, "_minute") == 0)) {
        if (in->type != PZ_TY_TIMESTAMPTZ)
            return pz_sql_err_set(err, "0A000", "unit \"%s\" not supported for type %s", field,
                                  pz_ty_name((pz_ty_t)in->type));
        int64_t tz_s = off / PZ_DT_USECS_PER_SEC; /* east: C division truncates as PostgreSQL */
        r = field[8] == '\0' ? tz_s : field[9] == 'h' ? tz_s / 3600 : tz_s / 60 % 60;
    } else if (strcasecmp(field, "dow") == 0)
        r = dow;
    else if (strcasecmp(field, "isodow") == 0)
        r = dow == 0 ? 7 : dow;
    else if (strcasecmp(field, "doy") == 0)
        r = days - pz_dt_days_from_ymd(y, 1, 1) + 1;
    else if (strcasecmp(field, "quarter") == 0)
        r = (m - 1) / 3 + 1;
    else if (strcasecmp(field, "decade") == 0)
        r = s_floordiv(y, 10);
    else if (strcasecmp(field, "century") == 0)
        r = y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100);
    else if (strcasecmp(field, "week") == 0) {
        /* ISO week: the week with the year's first Thursday is week 1 */
        int64_t thu = days - ((dow + 6) % 7) + 3, ty;
        int tm, td;
        pz_dt_ymd_from_days(thu, &ty, &tm, &td);
        r = (thu - pz_dt_days_from_ymd(ty, 1, 1)) / 7 + 1;
    } else
        return pz_sql_err_set(err, "22023", "unit \"%s\" not recognized for type %s", field,
                              pz_ty_name((pz_ty_t)in->type));
    *num_unscaled = r;
    return 0;
}
