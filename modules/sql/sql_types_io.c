/*
 * sql_types_io.c — text input and output of every type (PostgreSQL's typinput/typoutput), with
 * the scalar parsers and formatters here and numeric, date/time, arrays and JSON delegated to
 * their own files.
 *
 * Why so strict: these functions parse what clients send, so every parser is bounded by the
 * length it is given (no NUL termination is assumed), and each error carries the SQLSTATE and
 * message PostgreSQL 15 gives for the same input, because drivers and tests match on them.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_datetime.h"
#include "sql_numeric.h"
#include "sql_types_int.h"

/* A NUL-terminated copy of short inputs on the stack, longer ones malloc'd (free with s_cfree). */
#define S_CSTR_STACK 128
typedef struct {
    char stack[S_CSTR_STACK];
    char *p;
} s_cstr_t;

static const char *s_cstr(s_cstr_t *c, const char *s, size_t len)
{
    assert(c != NULL && (s != NULL || len == 0));
    c->p = len < S_CSTR_STACK ? c->stack : malloc(len + 1);
    if (c->p == NULL)
        return NULL;
    if (len > 0)
        memcpy(c->p, s, len);
    c->p[len] = '\0';
    return c->p;
}

static void s_cfree(s_cstr_t *c)
{
    if (c->p != c->stack)
        free(c->p);
    c->p = NULL;
}

static int s_bad_syntax(pz_sql_err_t *err, const char *type_name, const char *s, size_t len)
{
    int n = (int)(len > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : len);
    return pz_sql_err_set(err, "22P02", "invalid input syntax for type %s: \"%.*s\"", type_name, n,
                          s);
}

/* ------------------------------------------------------------------------------------------ */
/* Scalar parsers                                                                              */

int pz__int_in(const char *s, size_t len, int64_t min, int64_t max, const char *type_name,
               int64_t *out, pz_sql_err_t *err)
{
    assert((s != NULL || len == 0) && type_name != NULL && out != NULL);
    assert(min < max);
    size_t i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    size_t digits = i;
    uint64_t v = 0;
    bool over = false;
    uint64_t lim = neg ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)max;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            over = true;
        else
            v = v * 10 + d;
    }
    bool any = i > digits;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (!any || i != len)
        return s_bad_syntax(err, type_name, s, len);
    if (over) {
        int n = (int)(len > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : len);
        return pz_sql_err_set(err, "22003", "value \"%.*s\" is out of range for type %s", n, s,
                              type_name);
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int s_bool_in(const char *s, size_t len, bool *out, pz_sql_err_t *err)
{
    assert(out != NULL);
    size_t b = 0, e = len;
    while (b < e && isspace((unsigned char)s[b]))
        b++;
    while (e > b && isspace((unsigned char)s[e - 1]))
        e--;
    const char *p = s + b;
    size_t n = e - b;
    static const struct {
        const char *word;
        size_t min;
        bool v;
    } words[] = {{"true", 1, true}, {"false", 1, false}, {"yes", 1, true}, {"no", 1, false},
                 {"on", 2, true},   {"off", 2, false},   {"1", 1, true},   {"0", 1, false}};
    for (size_t i = 0; n > 0 && i < sizeof words / sizeof words[0]; i++) {
        if (n >= words[i].min && n <= strlen(words[i].word) &&
            strncasecmp(p, words[i].word, n) == 0) {
            *out = words[i].v;
            return 0;
        }
    }
    return s_bad_syntax(err, "boolean", s, len);
}

static int s_float_special(const char *p, double *out)
{
    static const struct {
        const char *w;
        double v;
    } sp[] = {{"nan", NAN},
              {"infinity", INFINITY},
              {"+infinity", INFINITY},
              {"-infinity", -INFINITY},
              {"inf", INFINITY},
              {"+inf", INFINITY},
              {"-inf", -INFINITY}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        if (strcasecmp(p, sp[i].w) == 0) {
            *out = sp[i].v;
            return 1;
        }
    }
    return 0;
}

/* float8in / float4in: whitespace around, strtod's forms, NaN/Infinity spellings. */
static int s_float_in(const char *s, size_t len, bool f4, double *out, pz_sql_err_t *err)
{
    assert(out != NULL);
    const char *tname = f4 ? "real" : "double precision";
    size_t b = 0, e = len;
    while (b < e && isspace((unsigned char)s[b]))
        b++;
    while (e > b && isspace((unsigned char)s[e - 1]))
        e--;
    if (b == e || memchr(s + b, '\0', e - b) != NULL)
        return s_bad_syntax(err, tname, s, len);
    s_cstr_t c;
    const char *p = s_cstr(&c, s + b, e - b);
    if (p == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    double v;
    int rc = 0;
    if (!s_float_special(p, &v)) {
        char *end;
        errno = 0;
        v = f4 ? (double)strtof(p, &end) : strtod(p, &end);
        if (end == p || *end != '\0' || isspace((unsigned char)p[0]))
            rc = s_bad_syntax(err, tname, s, len);
        else if (errno == ERANGE && (v == 0.0 || isinf(v)))
            rc = pz_sql_err_set(err, "22003", "\"%.*s\" is out of range for type %s",
                                (int)(len > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : len),
                                s, tname);
    }
    s_cfree(&c);
    *out = v;
    return rc;
}

/* oidin: an unsigned 32-bit number; negative numbers down to INT32_MIN wrap as PostgreSQL's. */
static int s_oid_in(const char *s, size_t len, int64_t *out, pz_sql_err_t *err)
{
    int64_t v;
    if (pz__int_in(s, len, INT64_MIN, INT64_MAX, "oid", &v, err) != 0)
        return PZ_EINVAL;
    if (v < INT32_MIN || v > (int64_t)UINT32_MAX) {
        int n = (int)(len > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : len);
        return pz_sql_err_set(err, "22003", "value \"%.*s\" is out of range for type oid", n, s);
    }
    *out = (int64_t)(uint32_t)v;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Text types                                                                                  */

/* Length of the UTF-8 sequence starting at p[0] (n bytes available) or 0 if invalid. */
static size_t s_utf8_seq(const uint8_t *p, size_t n)
{
    assert(p != NULL && n > 0);
    uint8_t c = p[0];
    size_t l = c < 0x80             ? 1
               : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3
               : (c & 0xf8) == 0xf0 ? 4
                                    : 0;
    if (l == 0 || l > n || c == 0 || c == 0xc0 || c == 0xc1 || c > 0xf4)
        return 0;
    for (size_t i = 1; i < l; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] > 0x8f))
        return 0;
    return l;
}

static int s_utf8_check(const uint8_t *p, size_t len, pz_sql_err_t *err)
{
    for (size_t i = 0; i < len;) {
        if (p[i] >= 0x01 && p[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = s_utf8_seq(p + i, len - i);
        if (l == 0) {
            char bytes[32] = "";
            size_t show = p[i] >= 0xc0 ? ((p[i] & 0xe0) == 0xc0   ? 2
                                          : (p[i] & 0xf0) == 0xe0 ? 3
                                                                  : 4)
                                       : 1;
            for (size_t k = 0; k < show && i + k < len; k++)
                snprintf(bytes + strlen(bytes), sizeof bytes - strlen(bytes), "%s0x%02x",
                         k ? " " : "", p[i + k]);
            return pz_sql_err_set(err, "22021", "invalid byte sequence for encoding \"UTF8\": %s",
                                  bytes);
        }
        i += l;
    }
    return 0;
}

size_t pz__bpchar_len(const uint8_t *s, size_t len)
{
    assert(s != NULL || len == 0);
    while (len > 0 && s[len - 1] == ' ')
        len--;
    return len;
}

/* Byte offset after the first n characters of p (or len), and the character count seen. */
static size_t s_char_prefix(const uint8_t *p, size_t len, size_t n, size_t *chars)
{
    size_t i = 0, c = 0;
    for (; i < len && c < n; c++) {
        i++;
        while (i < len && (p[i] & 0xc0) == 0x80)
            i++;
    }
    *chars = c;
    return i;
}

int pz__text_make(pz_arena_t *a, pz_ty_t id, int32_t typmod, const uint8_t *p, size_t len,
                  bool explicit_cast, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && (p != NULL || len == 0));
    assert(pz__ty_is_text(id));
    if (len > PZ__CHAR_LEN_MAX * 4u * 25u)
        return pz_sql_err_set(err, "54000", "string too long");
    if (s_utf8_check(p, len, err) != 0)
        return PZ_EINVAL;
    size_t keep = len, pad = 0;
    if ((id == PZ_TY_VARCHAR || id == PZ_TY_BPCHAR) && typmod >= 5) {
        size_t n = (size_t)typmod - 4, chars;
        keep = s_char_prefix(p, len, n, &chars);
        if (keep < len && !explicit_cast) {
            for (size_t i = keep; i < len; i++) {
                if (p[i] != ' ')
                    return pz_sql_err_set(err, "22001", "value too long for type %s(%d)",
                                          pz_ty_name(id), (int)n);
            }
        }
        if (id == PZ_TY_BPCHAR && chars < n)
            pad = n - chars;
    } else if (id == PZ_TY_NAME && len > PZ__NAME_BYTES_MAX) {
        keep = PZ__NAME_BYTES_MAX;
        while (keep > 0 && (p[keep] & 0xc0) == 0x80)
            keep--;
    }
    uint8_t *q = pz_arena_alloc(a, keep + pad + 1);
    if (q == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    if (keep > 0)
        memcpy(q, p, keep);
    memset(q + keep, ' ', pad);
    *out = pz_datum_bytes(id, q, (uint32_t)(keep + pad));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* bytea and uuid                                                                              */

static int s_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int s_bytea_hex(uint8_t *q, const char *s, size_t len, size_t *n_out, pz_sql_err_t *err)
{
    size_t n = 0;
    for (size_t i = 2; i < len;) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
            i++;
            continue;
        }
        int hi = s_hexval((unsigned char)s[i]);
        if (hi < 0)
            return pz_sql_err_set(err, "22023", "invalid hexadecimal digit: \"%c\"", s[i]);
        if (i + 1 >= len)
            return pz_sql_err_set(err, "22023", "invalid hexadecimal data: odd number of digits");
        int lo = s_hexval((unsigned char)s[i + 1]);
        if (lo < 0)
            return pz_sql_err_set(err, "22023", "invalid hexadecimal digit: \"%c\"", s[i + 1]);
        q[n++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    *n_out = n;
    return 0;
}

static int s_bytea_escape(uint8_t *q, const char *s, size_t len, size_t *n_out, pz_sql_err_t *err)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] != '\\') {
            q[n++] = (uint8_t)s[i++];
        } else if (i + 1 < len && s[i + 1] == '\\') {
            q[n++] = '\\';
            i += 2;
        } else if (i + 3 < len + 0 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                   s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            q[n++] = (uint8_t)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
            i += 4;
        } else {
            return pz_sql_err_set(err, "22P02", "invalid input syntax for type bytea");
        }
    }
    *n_out = n;
    return 0;
}

int pz__bytea_in(pz_arena_t *a, const char *s, size_t len, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && (s != NULL || len == 0));
    uint8_t *q = pz_arena_alloc(a, len + 1);
    if (q == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    size_t n = 0;
    int rc = len >= 2 && s[0] == '\\' && s[1] == 'x' ? s_bytea_hex(q, s, len, &n, err)
                                                     : s_bytea_escape(q, s, len, &n, err);
    if (rc != 0)
        return rc;
    *out = pz_datum_bytes(PZ_TY_BYTEA, q, (uint32_t)n);
    return 0;
}

int pz__uuid_in(pz_arena_t *a, const char *s, size_t len, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && (s != NULL || len == 0));
    uint8_t *q = pz_arena_alloc(a, 16);
    if (q == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    size_t i = 0, end = len;
    bool braces = len > 0 && s[0] == '{';
    if (braces) {
        i = 1;
        if (len < 2 || s[len - 1] != '}')
            return s_bad_syntax(err, "uuid", s, len);
        end = len - 1;
    }
    for (int k = 0; k < 16; k++) {
        int hi = i + 1 < end ? s_hexval((unsigned char)s[i]) : -1;
        int lo = i + 1 < end ? s_hexval((unsigned char)s[i + 1]) : -1;
        if (hi < 0 || lo < 0)
            return s_bad_syntax(err, "uuid", s, len);
        q[k] = (uint8_t)(hi << 4 | lo);
        i += 2;
        if (i < end && s[i] == '-' && (k % 2) == 1 && k < 15)
            i++;
    }
    if (i != end)
        return s_bad_syntax(err, "uuid", s, len);
    *out = pz_datum_bytes(PZ_TY_UUID, q, 16);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Input dispatch                                                                              */

static int s_unsupported(pz_sql_err_t *err, pz_sql_type_t t)
{
    char name[96];
    pz_ty_format(t, name, sizeof name);
    return pz_sql_err_set(err, "0A000", "type %s is not supported yet", name);
}

static int s_int_type_in(pz_sql_type_t t, const char *s, size_t len, pz_datum_t *out,
                         pz_sql_err_t *err)
{
    int64_t v = 0;
    int rc;
    switch (t.id) {
    case PZ_TY_INT2:
        rc = pz__int_in(s, len, INT16_MIN, INT16_MAX, "smallint", &v, err);
        break;
    case PZ_TY_INT4:
        rc = pz__int_in(s, len, INT32_MIN, INT32_MAX, "integer", &v, err);
        break;
    case PZ_TY_INT8:
        rc = pz__int_in(s, len, INT64_MIN, INT64_MAX, "bigint", &v, err);
        break;
    default:
        rc = s_oid_in(s, len, &v, err);
        if (rc != 0 && t.id != PZ_TY_OID) {
            pz_sql_err_clear(err);
            return s_unsupported(err, t); /* names need the catalog */
        }
        break;
    }
    if (rc == 0)
        *out = pz_datum_int((pz_ty_t)t.id, v);
    return rc;
}

static int s_scalar_in(pz_arena_t *a, pz_sql_type_t t, const char *s, size_t len, pz_datum_t *out,
                       pz_sql_err_t *err)
{
    double f = 0;
    switch (t.id) {
    case PZ_TY_BOOL:
        *out = pz_datum_bool(false);
        return s_bool_in(s, len, &out->v.b, err);
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        if (s_float_in(s, len, t.id == PZ_TY_FLOAT4, &f, err) != 0)
            return PZ_EINVAL;
        *out = pz_datum_float((pz_ty_t)t.id, f);
        return 0;
    case PZ_TY_CHAR:
        *out = pz_datum_int(PZ_TY_CHAR, len > 0 ? (uint8_t)s[0] : 0);
        return 0;
    case PZ_TY_BYTEA:
        return pz__bytea_in(a, s, len, out, err);
    case PZ_TY_UUID:
        return pz__uuid_in(a, s, len, out, err);
    case PZ_TY_NUMERIC:
        return pz_num_in(a, s, len, t.typmod, out, err);
    default:
        return s_unsupported(err, t);
    }
}

int pz_datum_from_text(pz_arena_t *a, const pz_sql_tyenv_t *env, pz_sql_type_t t, const char *s,
                       size_t len, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && env != NULL && out != NULL && err != NULL);
    assert(t.id < PZ_TY_COUNT_ && (s != NULL || len == 0));
    if (len > PZ_ARENA_BYTES_MAX)
        return pz_sql_err_set(err, "54000", "value too long");
    switch (t.id) {
    case PZ_TY_UNKNOWN:
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
        return pz__text_make(a, (pz_ty_t)t.id, t.typmod, (const uint8_t *)s, len, false, out, err);
    case PZ_TY_INT2:
    case PZ_TY_INT4:
    case PZ_TY_INT8:
    case PZ_TY_OID:
    case PZ_TY_REGCLASS:
    case PZ_TY_REGTYPE:
    case PZ_TY_REGPROC:
    case PZ_TY_REGNAMESPACE:
    case PZ_TY_REGROLE:
        return s_int_type_in(t, s, len, out, err);
    case PZ_TY_DATE:
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
    case PZ_TY_INTERVAL:
        return pz_dt_in(env, t, s, len, out, err);
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        return pz__json_in(a, t.id == PZ_TY_JSONB, s, len, out, err);
    case PZ_TY_ARRAY:
        return pz__array_in(a, env, t, s, len, out, err);
    default:
        return s_scalar_in(a, t, s, len, out, err);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                      */

/* Formats the shortest digits (d, n of them, exponent e of the first digit) as PostgreSQL's
 * Ryu-based output: fixed notation for -4 <= e < limit, else "d.ddde+XX". */
static void s_float_digits_out(bool neg, const char *d, int n, int e, int limit, pz_sbuf_t *out)
{
    assert(d != NULL && n > 0);
    if (neg)
        pz_sbuf_putc(out, '-');
    if (e >= -4 && e < limit) {
        if (e < 0) {
            pz_sbuf_puts(out, "0.");
            for (int i = 0; i < -e - 1; i++)
                pz_sbuf_putc(out, '0');
            pz_sbuf_put(out, d, (size_t)n);
            return;
        }
        for (int i = 0; i <= e; i++)
            pz_sbuf_putc(out, i < n ? d[i] : '0');
        if (n > e + 1) {
            pz_sbuf_putc(out, '.');
            pz_sbuf_put(out, d + e + 1, (size_t)(n - e - 1));
        }
        return;
    }
    pz_sbuf_putc(out, d[0]);
    if (n > 1) {
        pz_sbuf_putc(out, '.');
        pz_sbuf_put(out, d + 1, (size_t)(n - 1));
    }
    pz_sbuf_printf(out, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

void pz__float_out(double v, bool is_float4, int extra_float_digits, pz_sbuf_t *out)
{
    assert(out != NULL);
    if (isnan(v)) {
        pz_sbuf_puts(out, "NaN");
        return;
    }
    if (isinf(v)) {
        pz_sbuf_puts(out, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char buf[64];
    if (extra_float_digits <= 0) {
        int p = (is_float4 ? FLT_DIG : DBL_DIG) + extra_float_digits;
        snprintf(buf, sizeof buf, "%.*g", p < 1 ? 1 : p, v);
        pz_sbuf_puts(out, buf);
        return;
    }
    int maxp = is_float4 ? 9 : 17;
    for (int p = 1; p <= maxp; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        if (is_float4 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    /* buf is "[-]d[.ddd]e[+-]XX" */
    bool neg = buf[0] == '-';
    const char *p = buf + neg;
    char digits[24];
    int n = 0;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    int e = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    s_float_digits_out(neg, digits, n, e, is_float4 ? 6 : 15, out);
}

static void s_bytea_out(const pz_datum_t *d, pz_sbuf_t *out)
{
    static const char hex[] = "0123456789abcdef";
    pz_sbuf_puts(out, "\\x");
    for (uint32_t i = 0; i < d->len; i++) {
        char two[2] = {hex[d->v.p[i] >> 4], hex[d->v.p[i] & 15]};
        pz_sbuf_put(out, two, 2);
    }
}

static void s_uuid_out(const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(d->len == 16);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            pz_sbuf_putc(out, '-');
        char two[2] = {hex[d->v.p[i] >> 4], hex[d->v.p[i] & 15]};
        pz_sbuf_put(out, two, 2);
    }
}

/* sql_vtab.c (sql_vtab_int.h): the relation's name from the statement's catalog snapshot. */
bool pz__vt_regclass_name(uint32_t oid, pz_sbuf_t *out);

static void s_oid_out(const pz_datum_t *d, pz_sbuf_t *out)
{
    if (d->type == PZ_TY_REGCLASS && pz__vt_regclass_name((uint32_t)d->v.i, out)) {
        return;
    }
    pz_sql_type_t t;
    if (d->type == PZ_TY_REGTYPE && pz_ty_from_oid((uint32_t)d->v.i, &t)) {
        char name[96];
        pz_ty_format(t, name, sizeof name);
        pz_sbuf_puts(out, name);
    } else if (d->type == PZ_TY_REGPROC && d->v.i == 0) {
        pz_sbuf_putc(out, '-');
    } else {
        pz_sbuf_printf(out, "%u", (unsigned)(uint32_t)d->v.i);
    }
}

void pz_datum_to_text(const pz_sql_tyenv_t *env, const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(env != NULL && d != NULL && out != NULL);
    assert(!d->null && d->type < PZ_TY_COUNT_);
    switch (d->type) {
    case PZ_TY_BOOL:
        pz_sbuf_putc(out, d->v.b ? 't' : 'f');
        return;
    case PZ_TY_INT2:
    case PZ_TY_INT4:
    case PZ_TY_INT8:
        pz_sbuf_printf(out, "%lld", (long long)d->v.i);
        return;
    case PZ_TY_OID:
    case PZ_TY_REGCLASS:
    case PZ_TY_REGTYPE:
    case PZ_TY_REGPROC:
    case PZ_TY_REGNAMESPACE:
    case PZ_TY_REGROLE:
        s_oid_out(d, out);
        return;
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        pz__float_out(d->v.f, d->type == PZ_TY_FLOAT4, env->extra_float_digits, out);
        return;
    case PZ_TY_UNKNOWN:
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        pz_sbuf_put(out, d->v.p, d->len);
        return;
    case PZ_TY_CHAR:
        if ((uint8_t)d->v.i != 0)
            pz_sbuf_putc(out, (char)(uint8_t)d->v.i);
        return;
    case PZ_TY_NUMERIC:
        pz_num_out(d, out);
        return;
    case PZ_TY_BYTEA:
        s_bytea_out(d, out);
        return;
    case PZ_TY_UUID:
        s_uuid_out(d, out);
        return;
    case PZ_TY_ARRAY:
        pz__array_out(env, d, out);
        return;
    case PZ_TY_DATE:
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
    case PZ_TY_INTERVAL:
        pz_dt_out(env, d, out);
        return;
    default: /* VOID prints empty; RECORD values are built by the executor, not here */
        return;
    }
}
