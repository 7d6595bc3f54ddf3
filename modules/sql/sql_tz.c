/*
 * sql_tz.c — time zones (see sql_tz.h): a reader of compiled TZif files (versions 1, 2 and 3,
 * RFC 8536) and of POSIX TZ strings, the conversions PostgreSQL's localtime.c and
 * DetermineTimeZoneOffset make, and a process-wide cache of parsed zones.
 *
 * Why by hand: no Debian C library converts in a named zone thread-safely. glibc's localtime_r
 * and mktime read the process-wide TZ (setenv + tzset is a race between session threads, and
 * mktime resolves DST gaps its own way, not PostgreSQL's); ICU is a large dependency for two
 * lookups. PostgreSQL itself carries its own copy of tzcode for the same reason. The format is
 * small: a header of six counts, transition times, type indices, (offset, dst, abbreviation)
 * records, then for v2+ the same with 64-bit times and a POSIX TZ footer for instants past the
 * table, which is evaluated here year by year instead of being expanded into 400 years of
 * transitions as tzcode does (the answers are the same).
 *
 * Cache: an open-addressed table of pointers published with release stores; readers probe it
 * without a lock (entries are only ever added), writers take a mutex. Zones are never freed.
 */
#include "sql_tz.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sql_datetime.h"

/* Where Debian's tzdata puts the compiled zones (PostgreSQL's --with-system-tzdata). */
#define S_TZDIR "/usr/share/zoneinfo"
/* Distinct zone names cached: each SET or AT TIME ZONE with a new spelling adds one, so a client
 * looping over generated POSIX strings would grow the cache without bound; real use needs tens.
 * Past it, new names are refused (a zone cannot be freed: sessions hold pointers). */
#define PZ_TZ_CACHE_MAX 1024
#define S_SLOTS (PZ_TZ_CACHE_MAX * 2)
/* PostgreSQL's TZ_STRLEN_MAX: longer names are not zones. */
#define S_NAME_BYTES_MAX 255
/* Bounds of one TZif file, above every zone of tzdata (New_York, the largest fat file, has 236
 * transitions, 6 types and 20 abbreviation bytes in under 4 KiB); PostgreSQL's TZ_MAX_TIMES is
 * 2000 and TZ_MAX_TYPES 256. */
#define S_FILE_BYTES_MAX (256 * 1024)
#define S_TIMES_MAX 4000
#define S_TYPES_MAX 256
#define S_CHARS_MAX 512
/* The longest POSIX abbreviation kept (tzcode's TZ_ABBR_MAX_LEN is 6; quoted ones may be
 * longer). */
#define S_ABBR_BYTES_MAX 32
/* Seconds from 1970-01-01 to 2000-01-01, and µs per second. */
#define S_EPOCH_2000_S 946684800LL
#define S_USEC 1000000LL
#define S_DAY_S 86400LL

typedef struct {
    int32_t off; /* east */
    bool dst;
    uint16_t abbr; /* index into chars */
} s_type_t;

/* One POSIX transition rule: Jn (1-based, never Feb 29), n (0-based), Mm.w.d; at secs local. */
typedef struct {
    char kind;
    int day, week, mon;
    int32_t secs;
} s_rule_t;

struct pz_tz {
    char name[S_NAME_BYTES_MAX + 1]; /* what SHOW prints */
    char key[S_NAME_BYTES_MAX + 1];  /* upper-cased: the cache key */
    int n_times, n_types;
    int64_t *ats; /* transition instants, Unix seconds, ascending */
    uint8_t *idx; /* the type in force from each transition on */
    s_type_t types[S_TYPES_MAX + 2];
    char chars[S_CHARS_MAX + 2 * S_ABBR_BYTES_MAX + 2];
    int n_chars;
    /* The POSIX footer (or the whole zone for a POSIX string): in force past the last
     * transition. rule_dst: it has daylight time, with rules start and end. */
    bool has_rule, rule_dst;
    int std_type, dst_type;
    s_rule_t start, end;
};

static _Atomic(pz_tz_t *) s_slots[S_SLOTS];
static int s_n_zones;
static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------------------------------ */
/* Calendar in Unix days                                                                      */

static int64_t s_udays(int64_t y, int m, int d)
{
    return pz_dt_days_from_ymd(y, m, d) + 10957;
}

static int64_t s_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static bool s_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t s_year_of(int64_t t)
{
    int64_t y;
    int m, d;
    pz_dt_ymd_from_days(s_floordiv(t, S_DAY_S) - 10957, &y, &m, &d);
    return y;
}

/* The local time (Unix seconds) rule r names in year y. */
static int64_t s_rule_local(const s_rule_t *r, int64_t y)
{
    int64_t day;
    if (r->kind == 'J') {
        day = s_udays(y, 1, 1) + r->day - 1 + (s_leap(y) && r->day >= 60);
    } else if (r->kind == 'D') {
        day = s_udays(y, 1, 1) + r->day;
    } else {
        static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int64_t first = s_udays(y, r->mon, 1);
        int len = md[r->mon - 1] + (r->mon == 2 && s_leap(y));
        int64_t wday = ((first % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday */
        day = first + (r->day - wday + 7) % 7 + (int64_t)(r->week - 1) * 7;
        while (day >= first + len) {
            day -= 7;
        }
    }
    return day * S_DAY_S + r->secs;
}

/* The rule's transitions in years y-1..y+1, ascending: at[i] (UTC) starts type to[i]. */
static int s_rule_list(const pz_tz_t *z, int64_t y, int64_t at[6], int to[6])
{
    int n = 0;
    for (int64_t yy = y - 1; yy <= y + 1; yy++) {
        at[n] = s_rule_local(&z->start, yy) - z->types[z->std_type].off;
        to[n++] = z->dst_type;
        at[n] = s_rule_local(&z->end, yy) - z->types[z->dst_type].off;
        to[n++] = z->std_type;
    }
    for (int i = 1; i < n; i++) { /* insertion sort: southern zones start DST after it ends */
        for (int j = i; j > 0 && at[j - 1] > at[j]; j--) {
            int64_t ta = at[j];
            int tt = to[j];
            at[j] = at[j - 1], to[j] = to[j - 1];
            at[j - 1] = ta, to[j - 1] = tt;
        }
    }
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Conversions                                                                                */

/* The type in force at Unix second t (tzcode's localsub: before the table, type 0). */
static int s_type_at(const pz_tz_t *z, int64_t t)
{
    int n = z->n_times;
    if (n == 0 || t >= z->ats[n - 1]) {
        if (z->rule_dst) {
            int64_t at[6];
            int to[6], k = s_rule_list(z, s_year_of(t), at, to), r = to[0];
            for (int i = 0; i < k && at[i] <= t; i++) {
                r = to[i];
            }
            return r;
        }
        return n > 0 ? z->idx[n - 1] : (z->has_rule ? z->std_type : 0);
    }
    if (t < z->ats[0]) {
        return 0;
    }
    int lo = 0, hi = n - 1; /* the last transition <= t */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (z->ats[mid] <= t) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return z->idx[lo];
}

/* The lowest-numbered standard type (PostgreSQL's choice before the table). */
static int s_first_std(const pz_tz_t *z)
{
    for (int i = 0; i < z->n_types; i++) {
        if (!z->types[i].dst) {
            return i;
        }
    }
    return 0;
}

/* PostgreSQL's pg_next_dst_boundary: the first transition after t, with the types before and
 * after it; false when no transition follows (then *before is the type at t). */
static bool s_next_boundary(const pz_tz_t *z, int64_t t, int *before, int64_t *boundary, int *after)
{
    int n = z->n_times;
    if (n == 0 || t >= z->ats[n - 1]) {
        if (!z->rule_dst) {
            *before = n > 0 ? z->idx[n - 1] : (z->has_rule ? z->std_type : s_first_std(z));
            return false;
        }
        int64_t at[6];
        int to[6], k = s_rule_list(z, s_year_of(t), at, to), i = 0;
        *before = to[0] == z->dst_type ? z->std_type : z->dst_type;
        for (; i < k && at[i] <= t; i++) {
            *before = to[i];
        }
        assert(i < k); /* a year holds two transitions: one lies within a year after t */
        *boundary = at[i];
        *after = to[i];
        return true;
    }
    if (t < z->ats[0]) {
        *before = s_first_std(z);
        *boundary = z->ats[0];
        *after = z->idx[0];
        return true;
    }
    int lo = 1, hi = n - 1; /* the first transition > t */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (t < z->ats[mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    *before = z->idx[lo - 1];
    *boundary = z->ats[lo];
    *after = z->idx[lo];
    return true;
}

int32_t pz_tz_utc_offset(const pz_tz_t *z, int64_t utc_us, const char **abbrev)
{
    assert(z != NULL);
    int ty = s_type_at(z, s_floordiv(utc_us, S_USEC) + S_EPOCH_2000_S);
    if (abbrev != NULL) {
        *abbrev = z->chars + z->types[ty].abbr;
    }
    return z->types[ty].off;
}

int32_t pz_tz_local_offset(const pz_tz_t *z, int64_t local_us)
{
    assert(z != NULL);
    /* Whole seconds, as PostgreSQL's pg_tm (the fraction rides along unchanged). */
    int64_t mytime = s_floordiv(local_us, S_USEC) + S_EPOCH_2000_S;
    int before, after;
    int64_t boundary;
    if (!s_next_boundary(z, mytime - S_DAY_S, &before, &boundary, &after)) {
        return z->types[before].off;
    }
    int32_t b_off = z->types[before].off, a_off = z->types[after].off;
    int64_t beforetime = mytime - b_off, aftertime = mytime - a_off;
    if (beforetime < boundary && aftertime < boundary) {
        return b_off;
    }
    if (beforetime >= boundary && aftertime >= boundary) {
        return a_off;
    }
    /* In a spring-forward gap prefer the offset before, in a fall-back overlap the one after. */
    return beforetime > aftertime ? b_off : a_off;
}

const char *pz_tz_name(const pz_tz_t *z)
{
    assert(z != NULL);
    return z->name;
}

/* ------------------------------------------------------------------------------------------ */
/* POSIX TZ strings (tzcode's tzparse, PostgreSQL's variant: an empty std name is allowed)    */

static const char *s_num(const char *p, int *v, int lo, int hi)
{
    if (!isdigit((unsigned char)*p)) {
        return NULL;
    }
    int x = 0;
    while (isdigit((unsigned char)*p)) {
        x = x * 10 + (*p++ - '0');
        if (x > hi) {
            return NULL;
        }
    }
    *v = x;
    return x < lo ? NULL : p;
}

/* [+-]hh[:mm[:ss]] with hours up to 167 (POSIX sign: positive is west). */
static const char *s_offset(const char *p, int32_t *secs)
{
    int sign = 1, h, m = 0, s = 0;
    if (*p == '-' || *p == '+') {
        sign = *p++ == '-' ? -1 : 1;
    }
    if ((p = s_num(p, &h, 0, 24 * 7 - 1)) == NULL) {
        return NULL;
    }
    if (*p == ':' && (p = s_num(p + 1, &m, 0, 59)) != NULL && *p == ':') {
        p = s_num(p + 1, &s, 0, 60);
    }
    *secs = sign * (h * 3600 + m * 60 + s);
    return p;
}

/* An abbreviation: <quoted> or a run of anything but digits, ',', '-', '+'. */
static const char *s_zname(const char *p, const char **b, size_t *len)
{
    if (*p == '<') {
        *b = ++p;
        while (*p != '\0' && *p != '>') {
            p++;
        }
        if (*p != '>') {
            return NULL;
        }
        *len = (size_t)(p - *b);
        return p + 1;
    }
    *b = p;
    while (*p != '\0' && !isdigit((unsigned char)*p) && *p != ',' && *p != '-' && *p != '+') {
        p++;
    }
    *len = (size_t)(p - *b);
    return p;
}

static const char *s_rule(const char *p, s_rule_t *r)
{
    memset(r, 0, sizeof *r);
    if (*p == 'J') {
        r->kind = 'J';
        p = s_num(p + 1, &r->day, 1, 365);
    } else if (*p == 'M') {
        r->kind = 'M';
        p = s_num(p + 1, &r->mon, 1, 12);
        p = p && *p == '.' ? s_num(p + 1, &r->week, 1, 5) : NULL;
        p = p && *p == '.' ? s_num(p + 1, &r->day, 0, 6) : NULL;
    } else {
        r->kind = 'D';
        p = s_num(p, &r->day, 0, 365);
    }
    r->secs = 2 * 3600;
    if (p != NULL && *p == '/') {
        p = s_offset(p + 1, &r->secs);
    }
    return p;
}

static int s_add_type(pz_tz_t *z, int32_t off, bool dst, const char *abbr, size_t len)
{
    if (z->n_types >= S_TYPES_MAX + 2 || len > S_ABBR_BYTES_MAX) {
        return -1;
    }
    memcpy(z->chars + z->n_chars, abbr, len);
    z->chars[z->n_chars + len] = '\0';
    z->types[z->n_types] = (s_type_t){.off = off, .dst = dst, .abbr = (uint16_t)z->n_chars};
    z->n_chars += (int)len + 1;
    return z->n_types++;
}

/* Parses s into z's rule (and its std/dst types). */
static bool s_posix(const char *s, pz_tz_t *z)
{
    const char *sn, *dn;
    size_t sl, dl;
    int32_t soff, doff;
    const char *p = s_zname(s, &sn, &sl);
    if (p == NULL || *p == '\0' || (p = s_offset(p, &soff)) == NULL) {
        return false;
    }
    z->has_rule = true;
    z->std_type = s_add_type(z, -soff, false, sn, sl);
    if (*p == '\0') {
        return z->std_type >= 0;
    }
    if ((p = s_zname(p, &dn, &dl)) == NULL || dl == 0) {
        return false;
    }
    doff = soff - 3600;
    if (*p != '\0' && *p != ',' && *p != ';' && (p = s_offset(p, &doff)) == NULL) {
        return false;
    }
    if (*p == '\0') {
        p = ",M3.2.0,M11.1.0"; /* tzcode's TZDEFRULESTRING: US rules */
    }
    if (*p != ',' && *p != ';') {
        return false;
    }
    p = s_rule(p + 1, &z->start);
    p = p && (*p == ',' || *p == ';') ? s_rule(p + 1, &z->end) : NULL;
    z->dst_type = s_add_type(z, -doff, true, dn, dl);
    z->rule_dst = true;
    return p != NULL && *p == '\0' && z->std_type >= 0 && z->dst_type >= 0;
}

/* ------------------------------------------------------------------------------------------ */
/* TZif files                                                                                 */

static uint32_t s_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t s_be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)s_be32(p) << 32 | s_be32(p + 4));
}

/* The six counts of a header at p: isut, isstd, leap, time, type, char. */
typedef struct {
    uint32_t isut, isstd, leap, time, type, chr;
} s_counts_t;

static bool s_header(const uint8_t *p, size_t n, s_counts_t *c)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0) {
        return false;
    }
    *c = (s_counts_t){s_be32(p + 20), s_be32(p + 24), s_be32(p + 28),
                      s_be32(p + 32), s_be32(p + 36), s_be32(p + 40)};
    return c->time <= S_TIMES_MAX && c->type >= 1 && c->type <= S_TYPES_MAX &&
           c->chr <= S_CHARS_MAX && c->leap == 0 && (c->isut == 0 || c->isut == c->type) &&
           (c->isstd == 0 || c->isstd == c->type);
}

/* The data block after a header (tsize: 4 for v1, 8 for v2+) into z. */
static bool s_block(const uint8_t *p, size_t n, const s_counts_t *c, int tsize, pz_tz_t *z)
{
    size_t need = (size_t)c->time * (size_t)(tsize + 1) + (size_t)c->type * 6 + c->chr +
                  (size_t)c->isstd + c->isut;
    if (n < need) {
        return false;
    }
    z->ats = malloc(sizeof *z->ats * (c->time + 1));
    z->idx = malloc(c->time + 1);
    if (z->ats == NULL || z->idx == NULL) {
        return false;
    }
    const uint8_t *q = p + (size_t)c->time * (size_t)tsize;
    for (uint32_t i = 0; i < c->time; i++) {
        z->ats[i] = tsize == 8 ? s_be64(p + i * 8) : (int32_t)s_be32(p + i * 4);
        z->idx[i] = q[i];
        if (q[i] >= c->type || (i > 0 && z->ats[i] <= z->ats[i - 1])) {
            return false;
        }
    }
    q += c->time;
    for (uint32_t i = 0; i < c->type; i++, q += 6) {
        if (q[5] >= c->chr || (q[4] != 0 && q[4] != 1)) {
            return false;
        }
        z->types[i] = (s_type_t){.off = (int32_t)s_be32(q), .dst = q[4] == 1, .abbr = q[5]};
    }
    memcpy(z->chars, q, c->chr);
    z->chars[c->chr] = '\0'; /* a last abbreviation without its NUL ends here */
    z->n_chars = (int)c->chr + 1;
    z->n_times = (int)c->time;
    z->n_types = (int)c->type;
    return true;
}

static bool s_tzif(const uint8_t *p, size_t n, pz_tz_t *z)
{
    s_counts_t c;
    if (!s_header(p, n, &c)) {
        return false;
    }
    if (p[4] == '\0') { /* version 1: 32-bit times, no footer */
        return s_block(p + 44, n - 44, &c, 4, z);
    }
    size_t v1 = 44 + (size_t)c.time * 5 + (size_t)c.type * 6 + c.chr + (size_t)c.leap * 8 +
                c.isstd + c.isut;
    if (n < v1 || !s_header(p + v1, n - v1, &c) || !s_block(p + v1 + 44, n - v1 - 44, &c, 8, z)) {
        return false;
    }
    size_t at = v1 + 44 + (size_t)c.time * 9 + (size_t)c.type * 6 + c.chr + c.isstd + c.isut;
    if (at >= n || p[at] != '\n') {
        return true; /* no footer: the last type stays in force */
    }
    const uint8_t *nl = memchr(p + at + 1, '\n', n - at - 1);
    if (nl == NULL || nl == p + at + 1) {
        return nl != NULL; /* an empty footer: no rule */
    }
    char footer[S_NAME_BYTES_MAX + 1];
    size_t len = (size_t)(nl - (p + at + 1));
    if (len > S_NAME_BYTES_MAX) {
        return false;
    }
    memcpy(footer, p + at + 1, len);
    footer[len] = '\0';
    return s_posix(footer, z);
}

/* Finds name under dir, each '/'-separated part matched case-insensitively as PostgreSQL's
 * pg_open_tzfile does; the spelling found goes to canon. -1 when absent. */
static int s_open_ci(const char *name, char *canon, size_t cap)
{
    char path[sizeof S_TZDIR + S_NAME_BYTES_MAX + 2];
    size_t dl = sizeof S_TZDIR - 1, cl = 0;
    memcpy(path, S_TZDIR, dl + 1);
    for (const char *p = name; *p != '\0';) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || p[0] == '.') { /* never "..": the walk stays under the directory */
            return -1;
        }
        DIR *d = opendir(path);
        struct dirent *e = NULL;
        while (d != NULL && (e = readdir(d)) != NULL) {
            if (e->d_name[0] != '.' && strlen(e->d_name) == len &&
                strncasecmp(e->d_name, p, len) == 0) {
                break;
            }
        }
        if (e != NULL && dl + 1 + len < sizeof path && cl + len + 1 < cap) {
            snprintf(path + dl, sizeof path - dl, "/%s", e->d_name);
            snprintf(canon + cl, cap - cl, "%s%s", cl ? "/" : "", e->d_name);
            dl += 1 + len;
            cl += (cl ? 1 : 0) + len;
        }
        if (d != NULL) {
            closedir(d);
        }
        if (e == NULL) {
            return -1;
        }
        p += len + (slash != NULL);
    }
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* Loads the file for name into z (z->name set to its spelling on disk). */
static bool s_load_file(const char *name, pz_tz_t *z)
{
    int fd = s_open_ci(name, z->name, sizeof z->name);
    if (fd < 0) {
        return false;
    }
    uint8_t *buf = malloc(S_FILE_BYTES_MAX);
    ssize_t n = 0, r = 1;
    while (buf != NULL && r > 0 && n < S_FILE_BYTES_MAX) {
        r = read(fd, buf + n, (size_t)(S_FILE_BYTES_MAX - n));
        n += r > 0 ? r : 0;
    }
    close(fd);
    bool ok = buf != NULL && r >= 0 && n < S_FILE_BYTES_MAX && s_tzif(buf, (size_t)n, z);
    free(buf);
    return ok;
}

/* ------------------------------------------------------------------------------------------ */
/* The cache                                                                                  */

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    }
    return h;
}

static pz_tz_t *s_cached(const char *key, size_t *slot)
{
    size_t i = s_hash(key) % S_SLOTS;
    for (;; i = (i + 1) % S_SLOTS) {
        pz_tz_t *z = atomic_load_explicit(&s_slots[i], memory_order_acquire);
        if (z == NULL || strcmp(z->key, key) == 0) {
            *slot = i;
            return z;
        }
    }
}

static void s_free(pz_tz_t *z)
{
    if (z != NULL) {
        free(z->ats);
        free(z->idx);
        free(z);
    }
}

/* A new zone for name (upper-cased key), or NULL when name is no zone. */
static pz_tz_t *s_load(const char *name, const char *key)
{
    pz_tz_t *z = calloc(1, sizeof *z);
    if (z == NULL) {
        return NULL;
    }
    snprintf(z->key, sizeof z->key, "%s", key);
    bool ok;
    if (strcmp(key, "GMT") == 0) {
        ok = s_posix("GMT0", z);
        snprintf(z->name, sizeof z->name, "GMT");
    } else if (!(ok = s_load_file(name, z))) {
        free(z->ats);
        free(z->idx);
        memset(z, 0, sizeof *z);
        snprintf(z->key, sizeof z->key, "%s", key);
        snprintf(z->name, sizeof z->name, "%s", key); /* POSIX zones are named upper-cased */
        ok = key[0] != ':' && s_posix(key, z);
    }
    if (!ok) {
        s_free(z);
        return NULL;
    }
    return z;
}

const pz_tz_t *pz_tz_find(const char *name)
{
    assert(name != NULL);
    char key[S_NAME_BYTES_MAX + 1];
    size_t n = strlen(name);
    if (n == 0 || n > S_NAME_BYTES_MAX) {
        return NULL;
    }
    for (size_t i = 0; i <= n; i++) {
        key[i] = (char)toupper((unsigned char)name[i]);
    }
    size_t slot;
    pz_tz_t *z = s_cached(key, &slot);
    if (z != NULL) {
        return z;
    }
    pz_tz_t *fresh = s_load(name, key); /* outside the lock: file reads are slow */
    if (fresh == NULL) {
        return NULL;
    }
    pthread_mutex_lock(&s_mu);
    z = s_cached(key, &slot); /* another thread may have added it meanwhile */
    if (z == NULL && s_n_zones < PZ_TZ_CACHE_MAX) {
        atomic_store_explicit(&s_slots[slot], fresh, memory_order_release);
        s_n_zones++;
        z = fresh;
        fresh = NULL;
    }
    pthread_mutex_unlock(&s_mu);
    s_free(fresh);
    return z;
}

const pz_tz_t *pz_tz_offset(int32_t east_s)
{
    int32_t a = east_s < 0 ? -east_s : east_s;
    char off[32], name[80];
    int n = snprintf(off, sizeof off, "%02d", a / 3600);
    if (a % 3600 != 0) {
        n += snprintf(off + n, sizeof off - (size_t)n, ":%02d", a / 60 % 60);
        if (a % 60 != 0) {
            snprintf(off + n, sizeof off - (size_t)n, ":%02d", a % 60);
        }
    }
    if (east_s < 0) {
        snprintf(name, sizeof name, "<-%s>+%s", off, off);
    } else {
        snprintf(name, sizeof name, "<+%s>-%s", off, off);
    }
    return pz_tz_find(name);
}

const pz_tz_t *pz_tz_utc(void)
{
    static const pz_tz_t *utc;
    const pz_tz_t *z = __atomic_load_n(&utc, __ATOMIC_ACQUIRE);
    if (z == NULL) {
        z = pz_tz_find("UTC");
        if (z == NULL) { /* no tzdata installed: the POSIX form of the same zone */
            z = pz_tz_find("UTC0");
        }
        assert(z != NULL);
        __atomic_store_n(&utc, z, __ATOMIC_RELEASE);
    }
    return z;
}
