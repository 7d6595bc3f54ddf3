/*
 * sql_func_time.c — date/time operators and functions: date ± integer, date - date, timestamp
 * and timestamptz ± interval, timestamp - timestamp, interval arithmetic, now() and its
 * relatives, date_trunc, date_part/extract, age, make_*, to_timestamp. The calendar work is
 * sql_datetime.h's; these are the rows and the argument plumbing.
 */
#include "sql_func_int.h"

#include <assert.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "sql_datetime.h"
#include "sql_numeric.h"
#include "sql_types.h"

#define DATE PZ_TY_DATE
#define TIME PZ_TY_TIME
#define TS PZ_TY_TIMESTAMP
#define TSTZ PZ_TY_TIMESTAMPTZ
#define IVL PZ_TY_INTERVAL
#define I4 PZ_TY_INT4
#define F8 PZ_TY_FLOAT8
#define TXT PZ_TY_TEXT

static int s_date_pli(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    bool date_first = v[0].type == DATE;
    int64_t d = date_first ? v[0].v.i : v[1].v.i, n = date_first ? v[1].v.i : v[0].v.i, r;
    int rc = pz_dt_date_add_days(d, n, &r, ctx->err);
    *out = pz_datum_int(DATE, r);
    return rc;
}

static int s_date_mii(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    int64_t r;
    if (v[1].v.i == INT64_MIN) {
        return pz_sql_err_set(ctx->err, "22008", "date out of range");
    }
    int rc = pz_dt_date_add_days(v[0].v.i, -v[1].v.i, &r, ctx->err);
    *out = pz_datum_int(DATE, r);
    return rc;
}

static int s_date_mi(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    if (v[0].v.i == PZ_DT_DATE_NOBEGIN || v[0].v.i == PZ_DT_DATE_NOEND ||
        v[1].v.i == PZ_DT_DATE_NOBEGIN || v[1].v.i == PZ_DT_DATE_NOEND) {
        return pz_sql_err_set(ctx->err, "22008", "cannot subtract infinite dates");
    }
    return pz__fn_int(ctx, I4, v[0].v.i - v[1].v.i, out);
}

/* The timestamp of a date (midnight), for date ± interval. */
static int64_t s_date_ts(int64_t d)
{
    if (d == PZ_DT_DATE_NOBEGIN || d == PZ_DT_DATE_NOEND) {
        return d == PZ_DT_DATE_NOBEGIN ? PZ_DT_NOBEGIN : PZ_DT_NOEND;
    }
    return d * PZ_DT_USECS_PER_DAY;
}

/* ts ± interval for timestamp, timestamptz and date (as a timestamp), either order for +. */
static int s_ts_iv(pz_sql_fnctx_t *ctx, const pz_datum_t *v, int sign, pz_datum_t *out)
{
    const pz_datum_t *ts = v[0].type == IVL ? &v[1] : &v[0];
    const pz_datum_t *iv = v[0].type == IVL ? &v[0] : &v[1];
    pz_ty_t rt = (pz_ty_t)ctx->ret.id;
    int64_t t = ts->type == DATE ? s_date_ts(ts->v.i) : ts->v.i, r;
    int rc = pz_dt_ts_add_interval(ctx->env, rt, t, iv, sign, &r, ctx->err);
    *out = pz_datum_int(rt, r);
    return rc;
}

static int s_ts_pl_iv(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return s_ts_iv(ctx, v, 1, out);
}

static int s_ts_mi_iv(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return s_ts_iv(ctx, v, -1, out);
}

static int s_ts_mi(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    *out = (pz_datum_t){.type = IVL};
    return pz_dt_ts_diff(v[0].v.i, v[1].v.i, out, ctx->err);
}

static int s_iv_pl(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return pz_dt_iv_add(&v[0], &v[1], 1, out, ctx->err);
}

static int s_iv_mi(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return pz_dt_iv_add(&v[0], &v[1], -1, out, ctx->err);
}

static int s_iv_neg(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    pz_datum_t zero = {.type = IVL};
    return pz_dt_iv_add(&zero, &v[0], -1, out, ctx->err);
}

static int s_iv_mul(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    bool iv_first = v[0].type == IVL;
    return pz_dt_iv_mul(iv_first ? &v[0] : &v[1], iv_first ? v[1].v.f : v[0].v.f, out, ctx->err);
}

static int s_iv_div(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return pz_dt_iv_div(&v[0], v[1].v.f, out, ctx->err);
}

/* date + time → timestamp. */
static int s_date_pl_time(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2 && ctx != NULL);
    const pz_datum_t *d = v[0].type == DATE ? &v[0] : &v[1];
    const pz_datum_t *t = v[0].type == DATE ? &v[1] : &v[0];
    int64_t ts = s_date_ts(d->v.i);
    if (ts != PZ_DT_NOBEGIN && ts != PZ_DT_NOEND) {
        ts += t->v.i;
    }
    *out = pz_datum_int(TS, ts);
    return 0;
}

/* time ± interval: wraps around midnight, as PostgreSQL's time_pl_interval. */
static int s_time_iv(pz_sql_fnctx_t *ctx, const pz_datum_t *v, int sign, pz_datum_t *out)
{
    assert(ctx != NULL);
    const pz_datum_t *t = v[0].type == TIME ? &v[0] : &v[1];
    const pz_datum_t *iv = v[0].type == TIME ? &v[1] : &v[0];
    int64_t r = (t->v.i + sign * (iv->v.iv.us % PZ_DT_USECS_PER_DAY)) % PZ_DT_USECS_PER_DAY;
    *out = pz_datum_int(TIME, r < 0 ? r + PZ_DT_USECS_PER_DAY : r);
    return 0;
}

static int s_time_pl_iv(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return s_time_iv(ctx, v, 1, out);
}

static int s_time_mi_iv(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return s_time_iv(ctx, v, -1, out);
}

static int s_time_mi(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2 && ctx != NULL);
    *out = (pz_datum_t){.type = IVL};
    out->v.iv.us = v[0].v.i - v[1].v.i;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Functions                                                                                   */

/* Unix epoch in µs since 2000-01-01. */
#define S_UNIX_EPOCH_US (-946684800LL * PZ_DT_USECS_PER_SEC)
/* A field name argument ("day", "epoch"): longer is not a field. */
#define S_FIELD_BYTES_MAX 32

static int s_now(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 0 && v != NULL);
    *out = pz_datum_int(TSTZ, ctx->txn_ts_us);
    return 0;
}

static int s_stmt_ts(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 0 && v != NULL);
    *out = pz_datum_int(TSTZ, ctx->stmt_ts_us);
    return 0;
}

static int s_clock_ts(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 0 && v != NULL && ctx != NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t us = (int64_t)ts.tv_sec * PZ_DT_USECS_PER_SEC + ts.tv_nsec / 1000;
    *out = pz_datum_int(TSTZ, us + S_UNIX_EPOCH_US);
    return 0;
}

/* The transaction timestamp cast to the result type (current_date, localtimestamp, ...). */
static int s_now_as(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 0 && v != NULL);
    pz_datum_t now = pz_datum_int(TSTZ, ctx->txn_ts_us);
    return pz_dt_cast(ctx->env, &now, ctx->ret, out, ctx->err);
}

/* A field name as a lower-case C string. */
static int s_field(pz_sql_fnctx_t *ctx, const pz_datum_t *d, char *buf)
{
    if (d->len >= S_FIELD_BYTES_MAX) {
        return pz_sql_err_set(ctx->err, "22023", "unit \"%.*s\" not recognized", (int)d->len,
                              (const char *)d->v.p);
    }
    for (uint32_t i = 0; i < d->len; i++) {
        uint8_t c = d->v.p[i];
        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    buf[d->len] = '\0';
    return 0;
}

static int s_date_trunc(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    char f[S_FIELD_BYTES_MAX];
    int rc = s_field(ctx, &v[0], f);
    return rc != 0 ? rc : pz_dt_trunc(ctx->env, f, &v[1], out, ctx->err);
}

static int s_part(pz_sql_fnctx_t *ctx, const pz_datum_t *v, bool numeric, pz_datum_t *out)
{
    char f[S_FIELD_BYTES_MAX];
    int64_t unscaled = 0;
    int scale = 0, inf = 0;
    int rc = s_field(ctx, &v[0], f);
    rc = rc != 0 ? rc : pz_dt_part(ctx->env, f, &v[1], &unscaled, &scale, &inf, ctx->err);
    if (rc != 0) {
        return rc;
    }
    if (!numeric) {
        double x = inf ? inf * INFINITY : (double)unscaled / pow(10, scale);
        *out = pz_datum_float(F8, x);
        return 0;
    }
    if (inf) {
        const char *s = inf > 0 ? "Infinity" : "-Infinity";
        *out = pz_datum_bytes(PZ_TY_NUMERIC, s, (uint32_t)strlen(s));
        return 0;
    }
    rc = pz_num_from_int(ctx->arena, unscaled, out, ctx->err);
    out->scale = (int16_t)scale; /* digits * 10^-scale: the unscaled integer with its scale */
    return rc;
}

static int s_date_part(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return s_part(ctx, v, false, out);
}

static int s_extract(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return s_part(ctx, v, true, out);
}

/* A valid y/m/d (year <= 0 means BC as make_date takes it: -44 is 44 BC) as days. */
static int s_ymd(pz_sql_fnctx_t *ctx, int64_t y, int64_t m, int64_t d, int64_t *days)
{
    int64_t iy = y < 0 ? y + 1 : y; /* astronomical year: 1 BC is 0 */
    int64_t ry;
    int rm, rd;
    if (y == 0 || m < 1 || m > 12 || d < 1 || d > 31 || iy < -4713 || iy > 5874897) {
        return pz_sql_err_set(ctx->err, "22008",
                              "date field value out of range: %lld-%02lld-%02lld", (long long)y,
                              (long long)m, (long long)d);
    }
    *days = pz_dt_days_from_ymd(iy, (int)m, (int)d);
    pz_dt_ymd_from_days(*days, &ry, &rm, &rd);
    if (ry != iy || rm != m || rd != d) {
        return pz_sql_err_set(ctx->err, "22008",
                              "date field value out of range: %lld-%02lld-%02lld", (long long)y,
                              (long long)m, (long long)d);
    }
    return 0;
}

static int s_make_date(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 3);
    int64_t days;
    int rc = s_ymd(ctx, v[0].v.i, v[1].v.i, v[2].v.i, &days);
    *out = pz_datum_int(DATE, days);
    return rc;
}

static int s_make_ts(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 6);
    int64_t days;
    int rc = s_ymd(ctx, v[0].v.i, v[1].v.i, v[2].v.i, &days);
    if (rc != 0) {
        return rc;
    }
    double sec = v[5].v.f;
    if (v[3].v.i < 0 || v[3].v.i > 24 || v[4].v.i < 0 || v[4].v.i > 59 || !(sec >= 0) || sec > 60 ||
        (v[3].v.i == 24 && (v[4].v.i > 0 || sec > 0))) {
        return pz_sql_err_set(ctx->err, "22008", "time field value out of range: %lld:%02lld:%02g",
                              (long long)v[3].v.i, (long long)v[4].v.i, sec);
    }
    int64_t us = (v[3].v.i * 3600 + v[4].v.i * 60) * PZ_DT_USECS_PER_SEC +
                 (int64_t)llround(sec * PZ_DT_USECS_PER_SEC);
    *out = pz_datum_int(TS, days * PZ_DT_USECS_PER_DAY + us);
    return 0;
}

static int s_to_timestamp(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    double s = v[0].v.f;
    if (isnan(s)) {
        return pz_sql_err_set(ctx->err, "22008", "timestamp cannot be NaN");
    }
    if (isinf(s)) {
        *out = pz_datum_int(TSTZ, s > 0 ? PZ_DT_NOEND : PZ_DT_NOBEGIN);
        return 0;
    }
    /* PostgreSQL's range: 4714-11-24 BC .. 294277 AD, in Unix seconds. */
    if (s < -210866803200.0 || s >= 9224318016000.0) {
        return pz_sql_err_set(ctx->err, "22008", "timestamp out of range: \"%g\"", s);
    }
    *out = pz_datum_int(TSTZ, (int64_t)rint(s * PZ_DT_USECS_PER_SEC) + S_UNIX_EPOCH_US);
    return 0;
}

/* PostgreSQL's timestamp range (MIN_TIMESTAMP, END_TIMESTAMP): 4714-11-24 BC to 294276 AD. */
#define S_TS_MIN_US (-211813488000000000LL)
#define S_TS_MAX_US (9223371331200000000LL - 1)
/* Longest zone text looked up: PostgreSQL's TZ_STRLEN_MAX. */
#define S_ZONE_BYTES_MAX 256

/* The zone timezone(text, ...) / AT TIME ZONE names, as PostgreSQL's timestamp_zone looks it up:
 * an abbreviation first (a fixed offset in *east_s with *z NULL, or the zone defining it), then
 * a zone name or POSIX string. 22023 'time zone "x" not recognized'. */
static int s_zone_arg(pz_sql_fnctx_t *ctx, const pz_datum_t *d, const pz_tz_t **z, int32_t *east_s)
{
    char name[S_ZONE_BYTES_MAX];
    int n = (int)(d->len < sizeof name ? d->len : sizeof name - 1);
    memcpy(name, d->v.p, (size_t)n);
    name[n] = '\0';
    *z = NULL;
    *east_s = 0;
    if (d->len < sizeof name && (pz_tz_abbrev(name, east_s, z) || (*z = pz_tz_find(name)))) {
        return 0;
    }
    return pz_sql_err_set(ctx->err, "22023", "time zone \"%s\" not recognized", name);
}

/* The interval of timezone(interval, ...) as seconds east; 22023 with months or days. */
static int s_zone_iv(pz_sql_fnctx_t *ctx, const pz_datum_t *d, int32_t *east_s)
{
    if (d->v.iv.months != 0 || d->v.iv.days != 0) {
        pz_sbuf_t b = {0};
        pz_datum_to_text(ctx->env, d, &b);
        int rc = pz_sql_err_set(ctx->err, "22023",
                                "interval time zone \"%.*s\" must not include months or days",
                                (int)b.len, b.p ? b.p : "");
        pz_sbuf_free(&b);
        return rc;
    }
    *east_s = (int32_t)(d->v.iv.us / PZ_DT_USECS_PER_SEC);
    return 0;
}

/* timezone(zone, timestamptz) → timestamp: the instant's wall time in zone;
 * timezone(zone, timestamp) → timestamptz: the instant at that wall time in zone. */
static int s_timezone(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    const pz_tz_t *z = NULL;
    int32_t east = 0;
    int rc = v[0].type == IVL ? s_zone_iv(ctx, &v[0], &east) : s_zone_arg(ctx, &v[0], &z, &east);
    if (rc != 0) {
        return rc;
    }
    int64_t ts = v[1].v.i, r;
    bool inf = ts == PZ_DT_NOBEGIN || ts == PZ_DT_NOEND;
    if (v[1].type == TSTZ) {
        r = inf || z != NULL ? pz_dt_to_local(z, ts) : ts + (int64_t)east * PZ_DT_USECS_PER_SEC;
    } else {
        r = inf || z != NULL ? pz_dt_from_local(z, ts) : ts - (int64_t)east * PZ_DT_USECS_PER_SEC;
    }
    if (!inf && (r < S_TS_MIN_US || r > S_TS_MAX_US)) {
        return pz_sql_err_set(ctx->err, "22008", "timestamp out of range");
    }
    *out = pz_datum_int(v[1].type == TSTZ ? TS : TSTZ, r);
    return 0;
}

/* date(x), and other one-argument casts spelled as functions. */
static int s_cast_fn(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    return pz_dt_cast(ctx->env, &v[0], ctx->ret, out, ctx->err);
}

#define OP2 PZ__OP2
#define OP1 PZ__OP1
#define FN(name, n, r, fl, fn, oid, ...)                                                           \
    {                                                                                              \
        name, n, {__VA_ARGS__}, r, PZ_FN_STRICT | (fl), fn, oid                                    \
    }

const pz_sql_fndef_t pz__fn_time[] = {
    OP2("+", DATE, I4, DATE, s_date_pli, 1100),
    OP2("+", I4, DATE, DATE, s_date_pli, 2555),
    OP2("-", DATE, I4, DATE, s_date_mii, 1101),
    OP2("-", DATE, DATE, I4, s_date_mi, 1099),
    OP2("+", DATE, IVL, TS, s_ts_pl_iv, 2071),
    OP2("+", IVL, DATE, TS, s_ts_pl_iv, 2551),
    OP2("-", DATE, IVL, TS, s_ts_mi_iv, 2072),
    OP2("+", DATE, TIME, TS, s_date_pl_time, 2025),
    OP2("+", TIME, DATE, TS, s_date_pl_time, 2548),
    OP2("+", TS, IVL, TS, s_ts_pl_iv, 2032),
    OP2("+", IVL, TS, TS, s_ts_pl_iv, 2548),
    OP2("-", TS, IVL, TS, s_ts_mi_iv, 2033),
    OP2("-", TS, TS, IVL, s_ts_mi, 2031),
    OP2("+", TSTZ, IVL, TSTZ, s_ts_pl_iv, 1189),
    OP2("+", IVL, TSTZ, TSTZ, s_ts_pl_iv, 2549),
    OP2("-", TSTZ, IVL, TSTZ, s_ts_mi_iv, 1190),
    OP2("-", TSTZ, TSTZ, IVL, s_ts_mi, 1188),
    OP2("+", TIME, IVL, TIME, s_time_pl_iv, 1747),
    OP2("+", IVL, TIME, TIME, s_time_pl_iv, 2552),
    OP2("-", TIME, IVL, TIME, s_time_mi_iv, 1748),
    OP2("-", TIME, TIME, IVL, s_time_mi, 1690),
    OP2("+", IVL, IVL, IVL, s_iv_pl, 1169),
    OP2("-", IVL, IVL, IVL, s_iv_mi, 1170),
    OP1("-", IVL, IVL, s_iv_neg, 1168),
    OP2("*", IVL, F8, IVL, s_iv_mul, 1583),
    OP2("*", F8, IVL, IVL, s_iv_mul, 1584),
    OP2("/", IVL, F8, IVL, s_iv_div, 1585),
    FN("now", 0, TSTZ, PZ_FN_STABLE, s_now, 1299, 0),
    FN("current_timestamp", 0, TSTZ, PZ_FN_STABLE, s_now, 1299, 0),
    FN("transaction_timestamp", 0, TSTZ, PZ_FN_STABLE, s_now, 2647, 0),
    FN("statement_timestamp", 0, TSTZ, PZ_FN_STABLE, s_stmt_ts, 2648, 0),
    FN("clock_timestamp", 0, TSTZ, PZ_FN_VOLATILE, s_clock_ts, 2649, 0),
    FN("current_date", 0, DATE, PZ_FN_STABLE, s_now_as, 0, 0),
    FN("localtimestamp", 0, TS, PZ_FN_STABLE, s_now_as, 0, 0),
    FN("current_time", 0, TIME, PZ_FN_STABLE, s_now_as, 0, 0),
    FN("localtime", 0, TIME, PZ_FN_STABLE, s_now_as, 0, 0),
    FN("date_trunc", 2, TS, 0, s_date_trunc, 2020, TXT, TS),
    FN("date_trunc", 2, TSTZ, PZ_FN_STABLE, s_date_trunc, 1217, TXT, TSTZ),
    FN("date_trunc", 2, IVL, 0, s_date_trunc, 1218, TXT, IVL),
    FN("date_part", 2, F8, 0, s_date_part, 2021, TXT, TS),
    FN("date_part", 2, F8, PZ_FN_STABLE, s_date_part, 1171, TXT, TSTZ),
    FN("date_part", 2, F8, 0, s_date_part, 1172, TXT, IVL),
    FN("date_part", 2, F8, 0, s_date_part, 1385, TXT, TIME),
    FN("date_part", 2, F8, 0, s_date_part, 1384, TXT, DATE),
    FN("extract", 2, PZ_TY_NUMERIC, 0, s_extract, 6202, TXT, TS),
    FN("extract", 2, PZ_TY_NUMERIC, PZ_FN_STABLE, s_extract, 6203, TXT, TSTZ),
    FN("extract", 2, PZ_TY_NUMERIC, 0, s_extract, 6204, TXT, IVL),
    FN("extract", 2, PZ_TY_NUMERIC, 0, s_extract, 6200, TXT, TIME),
    FN("extract", 2, PZ_TY_NUMERIC, 0, s_extract, 6199, TXT, DATE),
    FN("make_date", 3, DATE, 0, s_make_date, 3846, I4, I4, I4),
    FN("make_timestamp", 6, TS, 0, s_make_ts, 3461, I4, I4, I4, I4, I4, F8),
    FN("to_timestamp", 1, TSTZ, 0, s_to_timestamp, 1158, F8),
    FN("timezone", 2, TS, 0, s_timezone, 1159, TXT, TSTZ),
    FN("timezone", 2, TSTZ, 0, s_timezone, 2069, TXT, TS),
    FN("timezone", 2, TS, 0, s_timezone, 1026, IVL, TSTZ),
    FN("timezone", 2, TSTZ, 0, s_timezone, 2070, IVL, TS),
    FN("date", 1, DATE, 0, s_cast_fn, 2029, TS),
    FN("date", 1, DATE, PZ_FN_STABLE, s_cast_fn, 1178, TSTZ),
};
const size_t pz__fn_time_n = sizeof pz__fn_time / sizeof pz__fn_time[0];
