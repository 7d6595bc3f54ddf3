/*
 * sql_datetime.h — PostgreSQL's date, time, timestamp, timestamptz and interval: text I/O in
 * the ISO DateStyle, casts between them, and the calendar arithmetic the function library
 * (sql_func*.c) calls for operators (+, -), date_trunc, extract/date_part and justify_*.
 *
 * Representation (sql_value.h): DATE is days since 2000-01-01 in v.i; TIME is µs since
 * midnight; TIMESTAMP and TIMESTAMPTZ are µs since 2000-01-01 00:00 (TIMESTAMPTZ in UTC); an
 * INTERVAL is months, days and µs kept apart as PostgreSQL keeps them. 'infinity' and
 * '-infinity' are PZ_DT_NOEND / PZ_DT_NOBEGIN (timestamps) and PZ_DT_DATE_NOEND /
 * PZ_DT_DATE_NOBEGIN (dates), as PostgreSQL's.
 *
 * Time zones: the session's zone (pz_sql_tyenv_t.tz, sql_tz.h: an IANA zone, a POSIX string or
 * a fixed offset); input may carry its own offset (+02, +05:30, Z, UTC), abbreviation (EST,
 * CEST) or zone name (Europe/Berlin). Local wall times convert to instants as PostgreSQL's
 * DetermineTimeZoneOffset does across DST changes. Errors: 22007 invalid format, 22008 field out
 * of range, 22015 interval out of range, 22023 unsupported unit or unknown zone. Thread-safe: no
 * global state (the zone cache of sql_tz.c locks itself).
 */
#ifndef PZ_SQL_DATETIME_H
#define PZ_SQL_DATETIME_H

#include "sql_types.h"
#include "sql_tz.h"

#define PZ_DT_USECS_PER_SEC 1000000LL
#define PZ_DT_USECS_PER_DAY 86400000000LL
#define PZ_DT_NOBEGIN INT64_MIN
#define PZ_DT_NOEND INT64_MAX
#define PZ_DT_DATE_NOBEGIN ((int64_t)INT32_MIN)
#define PZ_DT_DATE_NOEND ((int64_t)INT32_MAX)

/* Text input of DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL (typmod: fractional-second
 * precision, rounds). 'now', 'today', 'yesterday' and 'tomorrow' read now_us (µs since
 * 2000-01-01 UTC: the statement's timestamp, as PostgreSQL uses the transaction's);
 * pz_dt_in passes the wall clock. */
int pz_dt_in(const pz_sql_tyenv_t *env, pz_sql_type_t t, const char *s, size_t len, pz_datum_t *out,
             pz_sql_err_t *err);
int pz_dt_in_at(const pz_sql_tyenv_t *env, int64_t now_us, pz_sql_type_t t, const char *s,
                size_t len, pz_datum_t *out, pz_sql_err_t *err);
/* ISO output: "2024-01-31", "12:34:56.789", "2024-01-31 12:34:56.789", "...+05:30",
 * "1 year 2 mons 3 days 04:05:06.5", "infinity", BC years as "0044-03-15 BC". */
void pz_dt_out(const pz_sql_tyenv_t *env, const pz_datum_t *d, pz_sbuf_t *out);

/* Casts among DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL (and typmod precision rounding when
 * in and to are the same type): date → timestamp (midnight), timestamp ↔ timestamptz (through
 * the session offset), timestamp(tz) → date/time, interval → time, time → interval. */
int pz_dt_cast(const pz_sql_tyenv_t *env, const pz_datum_t *in, pz_sql_type_t to, pz_datum_t *out,
               pz_sql_err_t *err);

/* Calendar helpers: days since 2000-01-01 ↔ proleptic Gregorian y/m/d (year 0 = 1 BC). */
int64_t pz_dt_days_from_ymd(int64_t y, int m, int d);
void pz_dt_ymd_from_days(int64_t days, int64_t *y, int *m, int *d);

/* timestamp(tz) ± interval (sign +1 or -1): months first (clamping the day of month, e.g.
 * 2024-01-31 + 1 month = 2024-02-29), then days, then µs; for TIMESTAMPTZ the month/day steps
 * happen in the session's local time. type is TIMESTAMP or TIMESTAMPTZ. Infinite inputs stay
 * infinite. 22008 "timestamp out of range". */
int pz_dt_ts_add_interval(const pz_sql_tyenv_t *env, pz_ty_t type, int64_t ts, const pz_datum_t *iv,
                          int sign, int64_t *out, pz_sql_err_t *err);
/* date ± integer days → date (22008 "date out of range"). */
int pz_dt_date_add_days(int64_t date, int64_t days, int64_t *out, pz_sql_err_t *err);
/* timestamp - timestamp → interval (days and µs as PostgreSQL's timestamp_mi, which applies
 * justify_hours). date - date is an integer: the caller subtracts. */
int pz_dt_ts_diff(int64_t a, int64_t b, pz_datum_t *out, pz_sql_err_t *err);
/* interval + interval, interval - interval, -interval, interval * double, interval / double
 * (PostgreSQL's interval_mul rules carrying fractions of months to days and days to µs). */
int pz_dt_iv_add(const pz_datum_t *a, const pz_datum_t *b, int sign, pz_datum_t *out,
                 pz_sql_err_t *err);
int pz_dt_iv_mul(const pz_datum_t *a, double f, pz_datum_t *out, pz_sql_err_t *err);
int pz_dt_iv_div(const pz_datum_t *a, double f, pz_datum_t *out, pz_sql_err_t *err);
/* justify_hours / justify_days / justify_interval. */
void pz_dt_justify(const pz_datum_t *in, bool hours, bool days, pz_datum_t *out);

/* date_trunc(field, ts) for TIMESTAMP, TIMESTAMPTZ (in session local time) and INTERVAL;
 * fields microseconds, milliseconds, second, minute, hour, day, week, month, quarter, year,
 * decade, century, millennium. 22023 'unit "x" not recognized' / 0A000 not supported. */
int pz_dt_trunc(const pz_sql_tyenv_t *env, const char *field, const pz_datum_t *in, pz_datum_t *out,
                pz_sql_err_t *err);
/* extract(field FROM x) / date_part(field, x) for DATE, TIME, TIMESTAMP, TIMESTAMPTZ and
 * INTERVAL. The value is given exactly as a decimal: *num_unscaled * 10^-*num_scale (so
 * extract's numeric result and date_part's float8 can both be made; second is "56.789000",
 * epoch "1706704496.789000"). *is_inf: +1/-1 for infinite inputs where the field is
 * infinite. 22023 'unit "x" not recognized' / 0A000 'unit "x" not supported for type date'. */
int pz_dt_part(const pz_sql_tyenv_t *env, const char *field, const pz_datum_t *in,
               int64_t *num_unscaled, int *num_scale, int *is_inf, pz_sql_err_t *err);

/* The session's zone (UTC when env has none). */
const pz_tz_t *pz_dt_zone(const pz_sql_tyenv_t *env);
/* An instant (µs since 2000-01-01 UTC) as wall time in zone z, and back (PostgreSQL's
 * DetermineTimeZoneOffset for times in a DST gap or overlap). z NULL: no conversion (timestamp
 * without time zone); infinite values pass unchanged. */
int64_t pz_dt_to_local(const pz_tz_t *z, int64_t utc_us);
int64_t pz_dt_from_local(const pz_tz_t *z, int64_t local_us);

#endif
