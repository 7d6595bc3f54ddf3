/*
 * sql_func_fmt.c — formatting functions: to_char for timestamps, timestamptz and intervals
 * (PostgreSQL's formatting.c templates: YYYY MM DD HH24 HH12 MI SS MS US AM/PM Mon Month Day Dy
 * DDD IW WW Q TZ OF ..., the FM prefix, TH suffix, "quoted text"), format() (%s %I %L %% with
 * positions and widths), md5(), age() and similar_to_escape() (what SIMILAR TO compiles to).
 *
 * Written from PostgreSQL's documented behaviour and checked against a PostgreSQL 15 server by
 * the sql_diff cases; there is no library for PostgreSQL's template language.
 */
#include <assert.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql_datetime.h"
#include "sql_func_int.h"

#define TXT PZ_TY_TEXT
#define TS PZ_TY_TIMESTAMP
#define TSTZ PZ_TY_TIMESTAMPTZ
#define IVL PZ_TY_INTERVAL
/* A to_char result or format() output: PostgreSQL bounds neither but by memory (1 GB); one
 * value's text here is bounded by the statement arena anyway, this stops runaway widths. */
#define S_OUT_BYTES_MAX (16u * 1024u * 1024u)

/* The broken-down time to_char formats. */
typedef struct {
    int64_t year; /* astronomical for timestamps (0 = 1 BC); the interval's years */
    int mon, mday, min, sec;
    int64_t hour; /* an interval's hours may pass 24 */
    int64_t us;
    int64_t days; /* days since 2000-01-01 (timestamps) */
    bool interval, has_tz;
    int32_t gmtoff;
    const char *abbrev;
} s_tm_t;

static const char *const s_months[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};
static const char *const s_wdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                      "Thursday", "Friday", "Saturday"};
static const char *const s_roman[] = {"I",   "II",   "III", "IV", "V",  "VI",
                                      "VII", "VIII", "IX",  "X",  "XI", "XII"};

/* Template keywords, longer before shorter where one is the other's prefix. */
static const char *const s_kw[] = {
    "A.D.", "A.M.", "AD",   "AM",  "B.C.",  "BC",   "CC",    "DAY",  "DDD",  "DD",    "DY",
    "D",    "FF1",  "FF2",  "FF3", "FF4",   "FF5",  "FF6",   "HH24", "HH12", "HH",    "IDDD",
    "ID",   "IW",   "IYYY", "IYY", "IY",    "I",    "J",     "MI",   "MM",   "MONTH", "MON",
    "MS",   "OF",   "P.M.", "PM",  "Q",     "RM",   "SSSSS", "SSSS", "SS",   "TZH",   "TZM",
    "TZ",   "US",   "WW",   "W",   "Y,YYY", "YYYY", "YYY",   "YY",   "Y",
};

/* Case of a text keyword as written: 2 all upper, 1 capitalized, 0 lower. */
static int s_case(const char *p)
{
    if (!isupper((unsigned char)p[0])) {
        return 0;
    }
    return isupper((unsigned char)p[1]) || p[1] == '.' ? 2 : 1;
}

static void s_put_cased(pz_sbuf_t *b, const char *w, int cs, int width)
{
    char t[16];
    size_t n = strlen(w);
    assert(n < sizeof t);
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)w[i];
        t[i] = (char)(cs == 2 ? toupper(c) : (cs == 1 && i == 0) ? toupper(c) : tolower(c));
    }
    pz_sbuf_printf(b, "%-*.*s", width, (int)n, t);
}

static const char *s_ordinal(int64_t v)
{
    int64_t a = v < 0 ? -v : v;
    if (a % 100 >= 11 && a % 100 <= 13) {
        return "th";
    }
    return a % 10 == 1 ? "st" : a % 10 == 2 ? "nd" : a % 10 == 3 ? "rd" : "th";
}

/* A number field: zero-padded to width unless FM, then the TH/th suffix. */
static void s_put_num(pz_sbuf_t *b, int64_t v, int width, bool fm, int th)
{
    pz_sbuf_printf(b, "%0*lld", fm ? 0 : (v < 0 ? width + 1 : width), (long long)v);
    if (th) {
        const char *o = s_ordinal(v);
        pz_sbuf_printf(b, "%c%c", th == 2 ? toupper(o[0]) : o[0], th == 2 ? toupper(o[1]) : o[1]);
    }
}

/* ISO 8601 year and week of a day (days since 2000-01-01). */
static void s_iso(int64_t days, int64_t *iyear, int *week, int *idow)
{
    int64_t dow = ((days % 7) + 7 + 5) % 7; /* 0 = Monday; 2000-01-01 was a Saturday */
    int64_t thu = days - dow + 3, y;
    int m, d;
    pz_dt_ymd_from_days(thu, &y, &m, &d);
    *iyear = y;
    *week = (int)((thu - pz_dt_days_from_ymd(y, 1, 1)) / 7 + 1);
    *idow = (int)dow + 1;
}

/* One keyword k (index into s_kw) written as p, for tm. */
static void s_field(pz_sbuf_t *b, int k, const char *p, const s_tm_t *tm, bool fm, int th)
{
    const char *kw = s_kw[k];
    int64_t y = tm->interval ? tm->year : (tm->year <= 0 ? 1 - tm->year : tm->year);
    int64_t doy = tm->interval ? 0 : tm->days - pz_dt_days_from_ymd(tm->year, 1, 1) + 1;
    int64_t wday = ((tm->days % 7) + 7 + 6) % 7, iy = 0;
    int iw = 0, idow = 0, cs = s_case(p);
    bool bc = !tm->interval && tm->year <= 0, pm = tm->hour % 24 >= 12;
    if (kw[0] == 'I') { /* ISO year, week and day: only their keywords start with I */
        s_iso(tm->days, &iy, &iw, &idow);
    }
    if (!strcmp(kw, "HH24")) {
        s_put_num(b, tm->hour, 2, fm, th);
    } else if (!strcmp(kw, "HH12") || !strcmp(kw, "HH")) {
        s_put_num(b, tm->hour % 12 == 0 ? 12 : tm->hour % 12, 2, fm, th);
    } else if (!strcmp(kw, "MI")) {
        s_put_num(b, tm->min, 2, fm, th);
    } else if (!strcmp(kw, "SS")) {
        s_put_num(b, tm->sec, 2, fm, th);
    } else if (!strcmp(kw, "MS")) {
        s_put_num(b, tm->us / 1000, 3, fm, th);
    } else if (!strcmp(kw, "US")) {
        s_put_num(b, tm->us, 6, fm, th);
    } else if (!strncmp(kw, "FF", 2)) {
        int n = kw[2] - '0';
        int64_t v = tm->us;
        for (int i = n; i < 6; i++) {
            v /= 10;
        }
        s_put_num(b, v, n, false, th);
    } else if (!strcmp(kw, "SSSSS") || !strcmp(kw, "SSSS")) {
        s_put_num(b, tm->hour * 3600 + tm->min * 60 + tm->sec, 0, true, th);
    } else if (!strcmp(kw, "AM") || !strcmp(kw, "PM")) {
        s_put_cased(b, pm ? "pm" : "am", cs, 0);
    } else if (!strcmp(kw, "A.M.") || !strcmp(kw, "P.M.")) {
        s_put_cased(b, pm ? "p.m." : "a.m.", cs, 0);
    } else if (!strcmp(kw, "AD") || !strcmp(kw, "BC")) {
        s_put_cased(b, bc ? "bc" : "ad", cs, 0);
    } else if (!strcmp(kw, "A.D.") || !strcmp(kw, "B.C.")) {
        s_put_cased(b, bc ? "b.c." : "a.d.", cs, 0);
    } else if (!strcmp(kw, "Y,YYY")) {
        pz_sbuf_printf(b, "%lld,%03lld", (long long)(y / 1000), (long long)(y % 1000));
    } else if (!strcmp(kw, "YYYY") || !strcmp(kw, "IYYY")) {
        s_put_num(b, kw[0] == 'I' ? iy : y, 4, fm, th);
    } else if (!strcmp(kw, "YYY") || !strcmp(kw, "IYY")) {
        s_put_num(b, (kw[0] == 'I' ? iy : y) % 1000, 3, fm, th);
    } else if (!strcmp(kw, "YY") || !strcmp(kw, "IY")) {
        s_put_num(b, (kw[0] == 'I' ? iy : y) % 100, 2, fm, th);
    } else if (!strcmp(kw, "Y") || !strcmp(kw, "I")) {
        s_put_num(b, (kw[0] == 'I' ? iy : y) % 10, 1, fm, th);
    } else if (!strcmp(kw, "MM")) {
        s_put_num(b, tm->mon, 2, fm, th);
    } else if (!strcmp(kw, "MONTH") || !strcmp(kw, "MON")) {
        if (tm->mon >= 1) {
            char a[4];
            snprintf(a, sizeof a, "%s", s_months[tm->mon - 1]);
            s_put_cased(b, kw[3] ? s_months[tm->mon - 1] : a, cs, kw[3] && !fm ? 9 : 0);
        }
    } else if (!strcmp(kw, "DAY") || !strcmp(kw, "DY")) {
        char a[4];
        snprintf(a, sizeof a, "%s", s_wdays[wday]);
        s_put_cased(b, kw[2] ? s_wdays[wday] : a, cs, kw[2] && !fm ? 9 : 0);
    } else if (!strcmp(kw, "DDD") || !strcmp(kw, "IDDD")) {
        s_put_num(b, kw[0] == 'I' ? (iw - 1) * 7 + idow : doy, 3, fm, th);
    } else if (!strcmp(kw, "DD")) {
        s_put_num(b, tm->mday, 2, fm, th);
    } else if (!strcmp(kw, "D") || !strcmp(kw, "ID")) {
        s_put_num(b, kw[0] == 'I' ? idow : wday + 1, 1, fm, th);
    } else if (!strcmp(kw, "IW")) {
        s_put_num(b, iw, 2, fm, th);
    } else if (!strcmp(kw, "WW")) {
        s_put_num(b, (doy - 1) / 7 + 1, 2, fm, th);
    } else if (!strcmp(kw, "W")) {
        s_put_num(b, (tm->mday - 1) / 7 + 1, 1, fm, th);
    } else if (!strcmp(kw, "Q")) {
        if (tm->mon >= 1) {
            s_put_num(b, (tm->mon - 1) / 3 + 1, 1, fm, th);
        }
    } else if (!strcmp(kw, "CC")) {
        int64_t cc = tm->interval
                         ? tm->year / 100
                         : (tm->year > 0 ? (tm->year + 99) / 100 : -((99 - (tm->year - 1)) / 100));
        s_put_num(b, cc, 2, fm, th);
    } else if (!strcmp(kw, "J")) {
        s_put_num(b, tm->days + 2451545, 0, true, th);
    } else if (!strcmp(kw, "RM")) {
        if (tm->mon >= 1) {
            s_put_cased(b, s_roman[tm->mon - 1], cs == 0 ? 0 : 2, fm ? 0 : 4);
        }
    } else if (!strcmp(kw, "TZ")) {
        if (tm->has_tz && tm->abbrev != NULL) {
            for (const char *q = tm->abbrev; *q; q++) {
                pz_sbuf_putc(b,
                             (char)(cs ? toupper((unsigned char)*q) : tolower((unsigned char)*q)));
            }
        }
    } else {
        int32_t a = tm->gmtoff < 0 ? -tm->gmtoff : tm->gmtoff;
        char sign = tm->gmtoff < 0 ? '-' : '+';
        if (!strcmp(kw, "TZH")) {
            pz_sbuf_printf(b, "%c%02d", sign, a / 3600);
        } else if (!strcmp(kw, "TZM")) {
            pz_sbuf_printf(b, "%02d", a / 60 % 60);
        } else { /* OF */
            pz_sbuf_printf(b, fm ? "%c%d" : "%c%02d", sign, a / 3600);
            if (a / 60 % 60 != 0) {
                pz_sbuf_printf(b, ":%02d", a / 60 % 60);
            }
        }
    }
}

/* The keyword at p (case-insensitive), or -1. */
static int s_match(const char *p, size_t left)
{
    if (!isalpha((unsigned char)*p)) { /* separators: most of a template */
        return -1;
    }
    for (size_t k = 0; k < sizeof s_kw / sizeof s_kw[0]; k++) {
        size_t n = strlen(s_kw[k]);
        if (n <= left && strncasecmp(p, s_kw[k], n) == 0) {
            return (int)k;
        }
    }
    return -1;
}

/* Applies template f (n bytes) to tm. */
static void s_format(const char *f, size_t n, const s_tm_t *tm, pz_sbuf_t *b)
{
    for (size_t i = 0; i < n && b->len < S_OUT_BYTES_MAX;) {
        bool fm = false;
        if (n - i >= 2 && strncasecmp(f + i, "FM", 2) == 0) {
            fm = true;
            i += 2;
        }
        int k = i < n ? s_match(f + i, n - i) : -1;
        if (k >= 0) {
            size_t kl = strlen(s_kw[k]);
            int th = 0;
            if (n - i - kl >= 2 &&
                (strncmp(f + i + kl, "TH", 2) == 0 || strncmp(f + i + kl, "th", 2) == 0)) {
                th = f[i + kl] == 'T' ? 2 : 1;
            }
            s_field(b, k, f + i, tm, fm, th);
            i += kl + (th ? 2 : 0);
            continue;
        }
        if (fm) {
            continue;
        }
        if (f[i] == '"') {
            for (i++; i < n && f[i] != '"'; i++) {
                if (f[i] == '\\' && i + 1 < n) {
                    i++;
                }
                pz_sbuf_putc(b, f[i]);
            }
            i++;
        } else if (f[i] == '\\' && i + 1 < n && f[i + 1] == '"') {
            pz_sbuf_putc(b, '"');
            i += 2;
        } else {
            pz_sbuf_putc(b, f[i++]);
        }
    }
}

static void s_tm_from_ts(int64_t local, s_tm_t *tm)
{
    int64_t days = local / PZ_DT_USECS_PER_DAY - (local % PZ_DT_USECS_PER_DAY < 0);
    int64_t tod = local - days * PZ_DT_USECS_PER_DAY;
    tm->days = days;
    pz_dt_ymd_from_days(days, &tm->year, &tm->mon, &tm->mday);
    tm->hour = tod / 3600000000LL;
    tm->min = (int)(tod / 60000000LL % 60);
    tm->sec = (int)(tod / PZ_DT_USECS_PER_SEC % 60);
    tm->us = tod % PZ_DT_USECS_PER_SEC;
}

static int s_to_char_dt(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    s_tm_t tm = {0};
    if (v[0].type == IVL) {
        tm.interval = true;
        tm.year = v[0].v.iv.months / 12;
        tm.mon = v[0].v.iv.months % 12;
        tm.mday = v[0].v.iv.days;
        int64_t t = v[0].v.iv.us;
        tm.hour = t / 3600000000LL;
        tm.min = (int)(t / 60000000LL % 60);
        tm.sec = (int)(t / PZ_DT_USECS_PER_SEC % 60);
        tm.us = t % PZ_DT_USECS_PER_SEC;
    } else {
        int64_t ts = v[0].v.i;
        if (ts == PZ_DT_NOBEGIN || ts == PZ_DT_NOEND) {
            return 0; /* NULL, as PostgreSQL's */
        }
        if (v[0].type == TSTZ) {
            tm.has_tz = true;
            tm.gmtoff = pz_tz_utc_offset(pz_dt_zone(ctx->env), ts, &tm.abbrev);
            ts += (int64_t)tm.gmtoff * PZ_DT_USECS_PER_SEC;
        }
        s_tm_from_ts(ts, &tm);
    }
    pz_sbuf_t b = {0};
    s_format((const char *)v[1].v.p, v[1].len, &tm, &b);
    int rc = b.oom ? pz__fn_oom(ctx) : pz__fn_bytes(ctx, TXT, b.p, b.len, out);
    pz_sbuf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* format()                                                                                   */

/* Words PostgreSQL's quote_ident quotes although they look like plain identifiers: the reserved,
 * type/function-name and column-name keywords (every keyword but the unreserved ones). */
static const char *const s_reserved[] = {
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
};

static void s_quote_ident(const char *s, size_t n, pz_sbuf_t *b)
{
    bool plain = n > 0 && (islower((unsigned char)s[0]) || s[0] == '_');
    for (size_t i = 0; i < n && plain; i++) {
        plain = islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_';
    }
    for (size_t i = 0; plain && i < sizeof s_reserved / sizeof s_reserved[0]; i++) {
        plain = !(strlen(s_reserved[i]) == n && memcmp(s_reserved[i], s, n) == 0);
    }
    if (plain) {
        pz_sbuf_put(b, s, n);
        return;
    }
    pz_sbuf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            pz_sbuf_putc(b, '"');
        }
        pz_sbuf_putc(b, s[i]);
    }
    pz_sbuf_putc(b, '"');
}

/* quote_literal: doubled quotes, and E'' with doubled backslashes when there are any. */
static void s_quote_literal(const char *s, size_t n, pz_sbuf_t *b)
{
    if (memchr(s, '\\', n) != NULL) {
        pz_sbuf_putc(b, 'E');
    }
    pz_sbuf_putc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'' || s[i] == '\\') {
            pz_sbuf_putc(b, s[i]);
        }
        pz_sbuf_putc(b, s[i]);
    }
    pz_sbuf_putc(b, '\'');
}

/* A decimal at f[*i] (for positions and widths); -1 if none. */
static int64_t s_fmt_num(const char *f, size_t n, size_t *i)
{
    int64_t v = -1;
    while (*i < n && isdigit((unsigned char)f[*i])) {
        v = (v < 0 ? 0 : v) * 10 + (f[(*i)++] - '0');
        if (v > INT32_MAX) {
            return INT32_MAX;
        }
    }
    return v;
}

static int s_fmt_err(pz_sql_fnctx_t *ctx, const char *m)
{
    return pz_sql_err_set(ctx->err, "22023", "%s", m);
}

/* One conversion: the argument (1-based) arg, type c, width (<0: left-aligned). */
static int s_fmt_one(pz_sql_fnctx_t *ctx, const pz_datum_t *a, char c, int64_t width, bool left,
                     pz_sbuf_t *b)
{
    pz_sbuf_t t = {0};
    if (!a->null) {
        pz_datum_to_text(ctx->env, a, &t);
    }
    pz_sbuf_t q = {0};
    if (c == 'I') {
        if (a->null) {
            pz_sbuf_free(&t);
            return pz_sql_err_set(ctx->err, "22004",
                                  "null values cannot be formatted as an SQL identifier");
        }
        s_quote_ident(t.p ? t.p : "", t.len, &q);
    } else if (c == 'L') {
        if (a->null) {
            pz_sbuf_puts(&q, "NULL");
        } else {
            s_quote_literal(t.p ? t.p : "", t.len, &q);
        }
    } else {
        pz_sbuf_put(&q, t.p ? t.p : "", t.len);
    }
    pz_sbuf_free(&t);
    int64_t chars = (int64_t)pz__utf8_count((const uint8_t *)(q.p ? q.p : ""), q.len);
    int64_t pad = width > chars ? width - chars : 0;
    if (pad > S_OUT_BYTES_MAX) {
        pz_sbuf_free(&q);
        return pz_sql_err_set(ctx->err, "54000", "field width too large");
    }
    for (int64_t k = 0; !left && k < pad; k++) {
        pz_sbuf_putc(b, ' ');
    }
    pz_sbuf_put(b, q.p ? q.p : "", q.len);
    for (int64_t k = 0; left && k < pad; k++) {
        pz_sbuf_putc(b, ' ');
    }
    pz_sbuf_free(&q);
    return 0;
}

/* The spec after '%' at f[*i]: [n$][-][width|*|*n$]type; runs it. *next: the next argument. */
static int s_fmt_spec(pz_sql_fnctx_t *ctx, const char *f, size_t n, size_t *i, int argc,
                      const pz_datum_t *v, int *next, pz_sbuf_t *b)
{
    size_t save = *i;
    int64_t pos = s_fmt_num(f, n, i), width = -1;
    bool left = false;
    if (pos >= 0 && *i < n && f[*i] == '$') {
        if (pos == 0) {
            return s_fmt_err(ctx, "format specifies argument 0, but arguments are numbered from 1");
        }
        (*i)++;
    } else {
        *i = save;
        pos = -1;
    }
    if (*i < n && f[*i] == '-') {
        left = true;
        (*i)++;
    }
    if (*i < n && f[*i] == '*') {
        (*i)++;
        size_t s2 = *i;
        int64_t wpos = s_fmt_num(f, n, i);
        if (wpos >= 0 && *i < n && f[*i] == '$') {
            (*i)++;
        } else {
            *i = s2;
            wpos = *next;
            (*next)++;
        }
        if (wpos < 1 || wpos >= argc) {
            return s_fmt_err(ctx, "too few arguments for format()");
        }
        const pz_datum_t *w = &v[wpos];
        width = w->null ? 0 : w->v.i;
        if (width < 0) {
            left = true;
            width = -width;
        }
    } else {
        width = s_fmt_num(f, n, i);
    }
    if (*i >= n) {
        return s_fmt_err(ctx, "unterminated format() type specifier");
    }
    char c = f[(*i)++];
    if (c != 's' && c != 'I' && c != 'L') {
        return pz_sql_err_set(ctx->err, "22023", "unrecognized format() type specifier \"%c\"", c);
    }
    int arg = pos >= 0 ? (int)pos : (*next)++;
    if (pos >= 0) {
        *next = arg + 1;
    }
    if (arg >= argc) {
        return s_fmt_err(ctx, "too few arguments for format()");
    }
    return s_fmt_one(ctx, &v[arg], c, width, left, b);
}

static int s_format_fn(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    if (v[0].null) {
        return 0;
    }
    const char *f = (const char *)v[0].v.p;
    size_t n = v[0].len;
    pz_sbuf_t b = {0};
    int next = 1, rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        if (f[i] != '%') {
            pz_sbuf_putc(&b, f[i++]);
            continue;
        }
        if (++i >= n) {
            rc = s_fmt_err(ctx, "unterminated format() type specifier");
        } else if (f[i] == '%') {
            pz_sbuf_putc(&b, '%');
            i++;
        } else {
            rc = s_fmt_spec(ctx, f, n, &i, argc, v, &next, &b);
        }
    }
    if (rc == 0) {
        rc = b.oom ? pz__fn_oom(ctx) : pz__fn_bytes(ctx, TXT, b.p, b.len, out);
    }
    pz_sbuf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* md5, age, similar_to_escape                                                                */

static int s_md5(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(v[0].v.p, v[0].len, md, &len, EVP_md5(), NULL) != 1 || len != 16) {
        return pz_sql_err_set(ctx->err, "XX000", "could not compute MD5 hash");
    }
    char hex[33];
    for (unsigned i = 0; i < 16; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    return pz__fn_bytes(ctx, TXT, hex, 32, out);
}

static int s_mdays(int64_t y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : md[m - 1];
}

/* PostgreSQL's timestamp_age: the field-by-field difference a - b, borrowing downwards, with
 * days borrowed from the month of the earlier value. a and b are local wall times. */
static void s_age(int64_t a, int64_t b, pz_datum_t *out)
{
    s_tm_t t1 = {0}, t2 = {0};
    s_tm_from_ts(a, &t1);
    s_tm_from_ts(b, &t2);
    int64_t f[7] = {t1.us - t2.us,     t1.sec - t2.sec, t1.min - t2.min,  t1.hour - t2.hour,
                    t1.mday - t2.mday, t1.mon - t2.mon, t1.year - t2.year};
    int sign = a < b ? -1 : 1;
    const s_tm_t *lo = a < b ? &t1 : &t2;
    for (int i = 0; i < 7; i++) {
        f[i] *= sign;
    }
    static const int64_t carry[] = {1000000, 60, 60, 24};
    for (int i = 0; i < 4; i++) {
        while (f[i] < 0) {
            f[i] += carry[i];
            f[i + 1]--;
        }
    }
    while (f[4] < 0) {
        f[4] += s_mdays(lo->year, lo->mon);
        f[5]--;
    }
    while (f[5] < 0) {
        f[5] += 12;
        f[6]--;
    }
    *out = (pz_datum_t){.type = IVL};
    out->v.iv.months = (int32_t)(sign * (f[6] * 12 + f[5]));
    out->v.iv.days = (int32_t)(sign * f[4]);
    out->v.iv.us = sign * (((f[3] * 60 + f[2]) * 60 + f[1]) * PZ_DT_USECS_PER_SEC + f[0]);
}

static int s_age2(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    int64_t a = v[0].v.i, b = v[1].v.i;
    if (a == PZ_DT_NOBEGIN || a == PZ_DT_NOEND || b == PZ_DT_NOBEGIN || b == PZ_DT_NOEND) {
        return pz_sql_err_set(ctx->err, "22008", "cannot subtract infinite timestamps");
    }
    if (v[0].type == TSTZ) {
        const pz_tz_t *z = pz_dt_zone(ctx->env);
        a = pz_dt_to_local(z, a);
        b = pz_dt_to_local(z, b);
    }
    s_age(a, b, out);
    return 0;
}

/* age(ts): from midnight of the current date (session zone). */
static int s_age1(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    const pz_tz_t *z = pz_dt_zone(ctx->env);
    int64_t now = pz_dt_to_local(z, ctx->txn_ts_us);
    now -= ((now % PZ_DT_USECS_PER_DAY) + PZ_DT_USECS_PER_DAY) % PZ_DT_USECS_PER_DAY;
    pz_datum_t two[2] = {v[0], v[0]};
    two[0].v.i = v[0].type == TSTZ ? pz_dt_from_local(z, now) : now;
    return s_age2(ctx, 2, two, out);
}

/* similar_to_escape(pattern [, escape]): PostgreSQL's translation of a SIMILAR TO pattern into
 * a POSIX regex anchored at both ends: % → .*, _ → ., the escape char (default '\') quotes the
 * next one, and regex metacharacters that SIMILAR TO does not have are escaped. */
static int s_similar(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    const char *p = (const char *)v[0].v.p;
    size_t n = v[0].len;
    int esc = '\\';
    if (argc == 2) {
        if (v[1].len == 0) {
            esc = -1;
        } else if (pz__utf8_count(v[1].v.p, v[1].len) != 1) {
            return pz_sql_err_set(ctx->err, "22025", "invalid escape string");
        } else {
            esc = v[1].v.p[0];
        }
    }
    pz_sbuf_t b = {0};
    pz_sbuf_puts(&b, "^(?:");
    bool after_esc = false;
    int bracket = 0; /* inside [...]: copied as is */
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (after_esc) {
            pz_sbuf_putc(&b, '\\'); /* as PostgreSQL: glibc's ERE reads "\%" as '%' too */
            pz_sbuf_putc(&b, c);
            after_esc = false;
        } else if (esc >= 0 && (unsigned char)c == esc) {
            after_esc = true;
        } else if (bracket) {
            pz_sbuf_putc(&b, c);
            bracket = c == ']' ? 0 : bracket;
        } else if (c == '[') {
            pz_sbuf_putc(&b, c);
            bracket = 1;
        } else if (c == '%') {
            pz_sbuf_puts(&b, ".*");
        } else if (c == '_') {
            pz_sbuf_putc(&b, '.');
        } else if (c == '(') {
            pz_sbuf_puts(&b, "(?:");
        } else if (c == '\\' || c == '.' || c == '^' || c == '$') {
            pz_sbuf_putc(&b, '\\');
            pz_sbuf_putc(&b, c);
        } else {
            pz_sbuf_putc(&b, c);
        }
    }
    pz_sbuf_puts(&b, ")$");
    int rc = b.oom ? pz__fn_oom(ctx) : pz__fn_bytes(ctx, TXT, b.p, b.len, out);
    pz_sbuf_free(&b);
    return rc;
}

#define FN(name, n, r, fl, fn, oid, ...)                                                           \
    {                                                                                              \
        name, n, {__VA_ARGS__}, r, PZ_FN_STRICT | (fl), fn, oid                                    \
    }

const pz_sql_fndef_t pz__fn_fmt[] = {
    FN("to_char", 2, TXT, 0, s_to_char_dt, 2049, TS, TXT),
    FN("to_char", 2, TXT, PZ_FN_STABLE, s_to_char_dt, 1770, TSTZ, TXT),
    FN("to_char", 2, TXT, 0, s_to_char_dt, 1768, IVL, TXT),
    {"format", 1, {TXT}, TXT, PZ_FN_STABLE, s_format_fn, 3540},
    {"format", 2, {TXT, PZ_FN_ANY}, TXT, PZ_FN_STABLE | PZ_FN_VARIADIC, s_format_fn, 3539},
    FN("md5", 1, TXT, 0, s_md5, 2311, TXT),
    FN("md5", 1, TXT, 0, s_md5, 2321, PZ_TY_BYTEA),
    FN("age", 2, IVL, 0, s_age2, 2058, TS, TS),
    FN("age", 2, IVL, PZ_FN_STABLE, s_age2, 1199, TSTZ, TSTZ),
    FN("age", 1, IVL, PZ_FN_STABLE, s_age1, 2059, TS),
    FN("age", 1, IVL, PZ_FN_STABLE, s_age1, 1200, TSTZ),
    FN("similar_to_escape", 1, TXT, 0, s_similar, 1986, TXT),
    FN("similar_to_escape", 2, TXT, 0, s_similar, 1987, TXT, TXT),
};
const size_t pz__fn_fmt_n = sizeof pz__fn_fmt / sizeof pz__fn_fmt[0];
