/*
 * sql_numeric.c — numeric, PostgreSQL's arbitrary-precision decimal, on GMP: a value is an
 * mpz_t unscaled integer and a display scale (value = v * 10^-scale), or NaN / ±Infinity.
 *
 * Why GMP and a decimal scale instead of PostgreSQL's base-10000 digits: GMP gives exact integer
 * arithmetic for free, and every PostgreSQL rule that matters to a client (display scales,
 * select_div_scale, rounding half away from zero, typmod overflow) is stated in decimal digits.
 * Base 10000 appears only where PostgreSQL's own rules use it (the division and sqrt result
 * scales depend on the base-10000 weight) and in the binary wire format.
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmp.h>

#include "sql_numeric.h"
#include "sql_types_int.h"

/* s_parse's "too large" outcome, told apart from bad syntax. */
#define S_ERANGE (PZ_EINVAL - 1000)

enum { S_FIN = 0, S_NAN = 1, S_PINF = 2, S_NINF = 3 };

typedef struct {
    int kind;
    int scale;
    mpz_t v;
} s_num_t;

static void s_init(s_num_t *n)
{
    n->kind = S_FIN;
    n->scale = 0;
    mpz_init(n->v);
}

static void s_clear(s_num_t *n)
{
    mpz_clear(n->v);
}

static void s_load(s_num_t *n, const pz_datum_t *d)
{
    assert(d != NULL && d->type == PZ_TY_NUMERIC && !d->null);
    s_init(n);
    const char *p = (const char *)d->v.p;
    uint32_t len = d->len;
    if (len == 3 && memcmp(p, "NaN", 3) == 0) {
        n->kind = S_NAN;
    } else if (len == 8 && memcmp(p, "Infinity", 8) == 0) {
        n->kind = S_PINF;
    } else if (len == 9 && memcmp(p, "-Infinity", 9) == 0) {
        n->kind = S_NINF;
    } else {
        char small[64];
        char *s = len < sizeof small ? small : malloc(len + 1);
        if (s == NULL)
            abort(); /* no way to report from a comparison; allocation of a value's size */
        memcpy(s, p, len);
        s[len] = '\0';
        int rc = mpz_set_str(n->v, len > 0 ? s : "0", 10);
        assert(rc == 0);
        (void)rc;
        if (s != small)
            free(s);
        n->scale = d->scale < 0 ? 0 : d->scale;
    }
}

/* 10^e into r. */
static void s_pow10(mpz_t r, unsigned long e)
{
    mpz_ui_pow_ui(r, 10, e);
}

static int s_store(pz_arena_t *a, const s_num_t *n, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && n != NULL && out != NULL);
    static const char *const special[] = {NULL, "NaN", "Infinity", "-Infinity"};
    if (n->kind != S_FIN) {
        *out = pz_datum_bytes(PZ_TY_NUMERIC, special[n->kind], (uint32_t)strlen(special[n->kind]));
        return 0;
    }
    size_t digits = mpz_sizeinbase(n->v, 10);
    if (n->scale > PZ_NUM_SCALE_MAX || (long)digits - n->scale > PZ_NUM_INT_DIGITS_MAX)
        return pz_sql_err_set(err, "22003", "value overflows numeric format");
    char *s = pz_arena_alloc(a, digits + 2);
    if (s == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    mpz_get_str(s, 10, n->v);
    *out = pz_datum_bytes(PZ_TY_NUMERIC, s, (uint32_t)strlen(s));
    out->scale = (int16_t)n->scale;
    return 0;
}

/* Rescales n to scale t: exact when t >= scale, else rounded half away from zero (round) or
 * truncated toward zero. A negative t rounds to 10^-t and leaves the value at scale 0. */
static void s_rescale(s_num_t *n, int t, bool round)
{
    assert(n->kind == S_FIN);
    if (t >= n->scale) {
        mpz_t p;
        mpz_init(p);
        s_pow10(p, (unsigned long)(t - n->scale));
        mpz_mul(n->v, n->v, p);
        mpz_clear(p);
        n->scale = t;
        return;
    }
    mpz_t d, r;
    mpz_init(d);
    mpz_init(r);
    s_pow10(d, (unsigned long)((long)n->scale - t));
    mpz_tdiv_qr(n->v, r, n->v, d);
    if (round) {
        mpz_mul_2exp(r, r, 1);
        if (mpz_cmpabs(r, d) >= 0)
            mpz_sgn(r) > 0 ? mpz_add_ui(n->v, n->v, 1) : mpz_sub_ui(n->v, n->v, 1);
    }
    if (t < 0) {
        s_pow10(d, (unsigned long)-t);
        mpz_mul(n->v, n->v, d);
        t = 0;
    }
    n->scale = t;
    mpz_clear(d);
    mpz_clear(r);
}

/* Exact count of decimal digits of |v| (>= 1). */
static long s_ndigits(const mpz_t v)
{
    if (mpz_sgn(v) == 0)
        return 1;
    long l = (long)mpz_sizeinbase(v, 10);
    mpz_t p;
    mpz_init(p);
    s_pow10(p, (unsigned long)(l - 1));
    if (mpz_cmpabs(v, p) < 0)
        l--;
    mpz_clear(p);
    return l;
}

/* ------------------------------------------------------------------------------------------ */
/* Text                                                                                        */

static int s_bad(pz_sql_err_t *err, const char *s, size_t len)
{
    int n = (int)(len > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : len);
    return pz_sql_err_set(err, "22P02", "invalid input syntax for type numeric: \"%.*s\"", n, s);
}

static bool s_special_in(const char *p, size_t n, s_num_t *num)
{
    static const struct {
        const char *w;
        int kind;
    } sp[] = {{"nan", S_NAN},  {"infinity", S_PINF}, {"+infinity", S_PINF}, {"-infinity", S_NINF},
              {"inf", S_PINF}, {"+inf", S_PINF},     {"-inf", S_NINF}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        if (strlen(sp[i].w) == n && strncasecmp(p, sp[i].w, n) == 0) {
            num->kind = sp[i].kind;
            return true;
        }
    }
    return false;
}

/* Exponents past this make a value beyond numeric's digits either way (131072 before the point,
 * 16383 after): refused as an overflow before computing 10^e. */
#define S_EXP_MAX 200000

/* The exponent part "e[+-]digits" at p[*i..n). */
static int s_parse_exp(const char *p, size_t n, size_t *i, long *exp)
{
    size_t j = *i + 1;
    bool eneg = false;
    if (j < n && (p[j] == '+' || p[j] == '-'))
        eneg = p[j++] == '-';
    size_t k = j;
    long e = 0;
    for (; j < n && p[j] >= '0' && p[j] <= '9'; j++)
        e = e < S_EXP_MAX ? e * 10 + (p[j] - '0') : e;
    if (j == k)
        return PZ_EINVAL;
    *exp = eneg ? -e : e;
    *i = j;
    return 0;
}

/* Parses the trimmed text p[0..n) into num (already initialised). */
static int s_parse(const char *p, size_t n, s_num_t *num)
{
    if (s_special_in(p, n, num))
        return 0;
    size_t i = 0;
    bool neg = false;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    char *digits = malloc(n + 2);
    if (digits == NULL)
        return PZ_ENOMEM;
    size_t nd = 0, frac = 0;
    bool point = false, any = false;
    for (; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9') {
            digits[nd++] = p[i];
            frac += point;
            any = true;
        } else if (p[i] == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    long exp = 0;
    int rc = 0;
    if (any && i < n && (p[i] == 'e' || p[i] == 'E'))
        rc = s_parse_exp(p, n, &i, &exp);
    if (rc != 0 || !any || i != n) {
        free(digits);
        return PZ_EINVAL;
    }
    if (exp >= S_EXP_MAX || exp <= -S_EXP_MAX || frac > (size_t)S_EXP_MAX) {
        free(digits);
        return S_ERANGE;
    }
    digits[nd] = '\0';
    mpz_set_str(num->v, digits, 10);
    free(digits);
    if (neg)
        mpz_neg(num->v, num->v);
    long scale = (long)frac - exp;
    num->scale = (int)(scale > 0 ? scale : 0);
    if (scale < 0) {
        mpz_t m;
        mpz_init(m);
        s_pow10(m, (unsigned long)-scale);
        mpz_mul(num->v, num->v, m);
        mpz_clear(m);
    }
    return 0;
}

/* PostgreSQL's apply_typmod on a loaded value. */
static int s_typmod(s_num_t *n, int32_t typmod, pz_sql_err_t *err)
{
    if (typmod < 4 || n->kind == S_NAN)
        return 0;
    int p = pz_num_typmod_precision(typmod), s = pz_num_typmod_scale(typmod);
    if (n->kind != S_FIN) {
        pz_sql_err_set(err, "22003", "numeric field overflow");
        pz_sql_err_detail(err, "A field with precision %d, scale %d cannot hold an infinite value.",
                          p, s);
        return PZ_EINVAL;
    }
    s_rescale(n, s, true);
    int maxdigits = p - s;
    /* |value| < 10^maxdigits, i.e. the unscaled value at scale max(s, 0) has fewer digits. */
    if (mpz_sgn(n->v) != 0 && s_ndigits(n->v) > (long)maxdigits + n->scale) {
        pz_sql_err_set(err, "22003", "numeric field overflow");
        pz_sql_err_detail(err,
                          "A field with precision %d, scale %d must round to an absolute value "
                          "less than %s%d.",
                          p, s, maxdigits ? "10^" : "", maxdigits ? maxdigits : 1);
        return PZ_EINVAL;
    }
    return 0;
}

int pz_num_in(pz_arena_t *a, const char *s, size_t len, int32_t typmod, pz_datum_t *out,
              pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && err != NULL);
    assert(s != NULL || len == 0);
    size_t b = 0, e = len;
    while (b < e && isspace((unsigned char)s[b]))
        b++;
    while (e > b && isspace((unsigned char)s[e - 1]))
        e--;
    s_num_t n;
    s_init(&n);
    int rc = s_parse(s + b, e - b, &n);
    if (rc == S_ERANGE)
        rc = pz_sql_err_set(err, "22003", "value overflows numeric format");
    else if (rc == PZ_ENOMEM)
        rc = pz_sql_err_code(err, rc, NULL);
    else if (rc != 0)
        rc = s_bad(err, s, len);
    if (rc == 0)
        rc = s_typmod(&n, typmod, err);
    if (rc == 0)
        rc = s_store(a, &n, out, err);
    s_clear(&n);
    return rc;
}

void pz_num_out(const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(d != NULL && out != NULL);
    assert(d->type == PZ_TY_NUMERIC);
    const char *p = (const char *)d->v.p;
    size_t len = d->len;
    if (len == 0 || !(p[0] == '-' || (p[0] >= '0' && p[0] <= '9')) || (len == 9 && p[1] == 'I')) {
        pz_sbuf_put(out, p, len); /* NaN, Infinity, -Infinity */
        return;
    }
    size_t scale = d->scale > 0 ? (size_t)d->scale : 0;
    if (p[0] == '-') {
        pz_sbuf_putc(out, '-');
        p++;
        len--;
    }
    if (len <= scale)
        pz_sbuf_putc(out, '0');
    else
        pz_sbuf_put(out, p, len - scale);
    if (scale == 0)
        return;
    pz_sbuf_putc(out, '.');
    for (size_t i = len; i < scale; i++)
        pz_sbuf_putc(out, '0');
    if (len <= scale)
        pz_sbuf_put(out, p, len);
    else
        pz_sbuf_put(out, p + len - scale, scale);
}

int pz_num_apply_typmod(pz_arena_t *a, const pz_datum_t *in, int32_t typmod, pz_datum_t *out,
                        pz_sql_err_t *err)
{
    assert(a != NULL && in != NULL && out != NULL);
    assert(in->type == PZ_TY_NUMERIC);
    if (typmod < 4 || in->null) {
        *out = *in;
        return 0;
    }
    s_num_t n;
    s_load(&n, in);
    int rc = s_typmod(&n, typmod, err);
    if (rc == 0)
        rc = s_store(a, &n, out, err);
    s_clear(&n);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Conversions                                                                                 */

int pz_num_from_int(pz_arena_t *a, int64_t v, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL);
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    assert(n > 0 && (size_t)n < sizeof buf);
    char *p = pz_arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    memcpy(p, buf, (size_t)n);
    *out = pz_datum_bytes(PZ_TY_NUMERIC, p, (uint32_t)n);
    return 0;
}

int pz_num_to_int(const pz_datum_t *d, int64_t min, int64_t max, const char *type_name,
                  int64_t *out, pz_sql_err_t *err)
{
    assert(d != NULL && type_name != NULL && out != NULL);
    assert(min < max);
    s_num_t n;
    s_load(&n, d);
    int rc = 0;
    if (n.kind != S_FIN) {
        rc = pz_sql_err_set(err, "0A000", "cannot convert %s to %s",
                            n.kind == S_NAN ? "NaN" : "infinity", type_name);
    } else {
        s_rescale(&n, 0, true);
        if (!mpz_fits_slong_p(n.v) || mpz_get_si(n.v) < min || mpz_get_si(n.v) > max)
            rc = pz_sql_err_set(err, "22003", "%s out of range", type_name);
        else
            *out = mpz_get_si(n.v);
    }
    s_clear(&n);
    return rc;
}

int pz_num_from_double(pz_arena_t *a, double v, bool is_float4, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL);
    if (isnan(v))
        return pz_num_in(a, "NaN", 3, -1, out, err);
    if (isinf(v))
        return v > 0 ? pz_num_in(a, "Infinity", 8, -1, out, err)
                     : pz_num_in(a, "-Infinity", 9, -1, out, err);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.*g", is_float4 ? 6 : 15, v);
    assert(n > 0 && (size_t)n < sizeof buf);
    return pz_num_in(a, buf, (size_t)n, -1, out, err);
}

double pz_num_to_double(const pz_datum_t *d)
{
    assert(d != NULL && d->type == PZ_TY_NUMERIC);
    pz_sbuf_t b = {0};
    pz_num_out(d, &b);
    double v = b.p != NULL && !b.oom ? strtod(b.p, NULL) : NAN;
    if (b.p != NULL && strcmp(b.p, "NaN") == 0)
        v = NAN;
    pz_sbuf_free(&b);
    return v;
}

/* ------------------------------------------------------------------------------------------ */
/* Arithmetic                                                                                  */

typedef enum { S_ADD, S_SUB, S_MUL, S_DIV, S_DIVT, S_MOD } s_op_t;

/* Division-like operators on infinities: finite / inf = 0, finite % inf = finite. */
static bool s_special_div(s_op_t op, const s_num_t *x, int sx, int sy, bool ix, bool iy, s_num_t *r,
                          int *rc, pz_sql_err_t *err)
{
    if (!ix && iy) {
        r->kind = S_FIN;
        if (op == S_MOD) {
            mpz_set(r->v, x->v);
            r->scale = x->scale;
        } else {
            mpz_set_ui(r->v, 0);
        }
        return true;
    }
    if (iy || op == S_MOD)
        return true; /* inf / inf, inf % y = NaN */
    if (sy == 0)
        *rc = pz_sql_err_set(err, "22012", "division by zero");
    r->kind = sx * sy > 0 ? S_PINF : S_NINF;
    return true;
}

/* Infinity and NaN rules of PostgreSQL's numeric operators; returns true when decided. */
static bool s_special_op(s_op_t op, const s_num_t *x, const s_num_t *y, s_num_t *r, int *rc,
                         pz_sql_err_t *err)
{
    if (x->kind == S_FIN && y->kind == S_FIN)
        return false;
    r->kind = S_NAN;
    if (x->kind == S_NAN || y->kind == S_NAN)
        return true;
    int sx = x->kind == S_PINF ? 1 : x->kind == S_NINF ? -1 : mpz_sgn(x->v);
    int sy = y->kind == S_PINF ? 1 : y->kind == S_NINF ? -1 : mpz_sgn(y->v);
    bool ix = x->kind != S_FIN, iy = y->kind != S_FIN;
    switch (op) {
    case S_ADD:
    case S_SUB: {
        int ey = op == S_SUB ? -sy : sy;
        if (ix && iy && sx != ey)
            return true; /* inf - inf = NaN */
        r->kind = (ix ? sx : ey) > 0 ? S_PINF : S_NINF;
        return true;
    }
    case S_MUL:
        if (sx == 0 || sy == 0)
            return true; /* 0 * inf = NaN */
        r->kind = sx * sy > 0 ? S_PINF : S_NINF;
        return true;
    default:
        return s_special_div(op, x, sx, sy, ix, iy, r, rc, err);
    }
}

/* Base-10000 weight and first base-10000 digit of a value, as PostgreSQL's (0, 0 for zero). */
static void s_weight(const s_num_t *n, long *weight, long *first)
{
    *weight = 0;
    *first = 0;
    if (mpz_sgn(n->v) == 0)
        return;
    size_t cap = mpz_sizeinbase(n->v, 10) + 2;
    char *d = malloc(cap);
    if (d == NULL)
        return; /* the scale rule then assumes weight 0: a slightly different scale */
    mpz_get_str(d, 10, n->v);
    const char *p = d[0] == '-' ? d + 1 : d;
    long l = (long)strlen(p);
    long e = l - 1 - n->scale; /* decimal exponent of the leading digit */
    long w = e >= 0 ? e / 4 : -((-e + 3) / 4);
    long count = e - 4 * w + 1, v = 0;
    for (long i = 0; i < count; i++)
        v = v * 10 + (i < l ? p[i] - '0' : 0);
    *weight = w;
    *first = v;
    free(d);
}

/* select_div_scale (numeric.c). */
static int s_div_scale(const s_num_t *x, const s_num_t *y)
{
    long w1, f1, w2, f2;
    s_weight(x, &w1, &f1);
    s_weight(y, &w2, &f2);
    long qweight = w1 - w2;
    if (f1 <= f2)
        qweight--;
    long r = PZ_NUM_MIN_SIG_DIGITS - qweight * 4;
    r = r > x->scale ? r : x->scale;
    r = r > y->scale ? r : y->scale;
    r = r > 0 ? r : 0; /* NUMERIC_MIN_DISPLAY_SCALE is 0 */
    r = r < PZ_NUM_MAX_DISPLAY_SCALE ? r : PZ_NUM_MAX_DISPLAY_SCALE;
    return (int)r;
}

/* r = x / y rounded half away from zero (round) or truncated, at scale rs. */
static void s_div_at(const s_num_t *x, const s_num_t *y, int rs, bool round, s_num_t *r)
{
    mpz_t num, den, rem, p;
    mpz_inits(num, den, rem, p, NULL);
    long shift = (long)rs + y->scale - x->scale;
    mpz_set(num, x->v);
    mpz_set(den, y->v);
    s_pow10(p, (unsigned long)labs(shift));
    if (shift >= 0)
        mpz_mul(num, num, p);
    else
        mpz_mul(den, den, p);
    mpz_tdiv_qr(r->v, rem, num, den);
    if (round) {
        mpz_mul_2exp(rem, rem, 1);
        if (mpz_cmpabs(rem, den) >= 0) {
            if (mpz_sgn(num) * mpz_sgn(den) > 0)
                mpz_add_ui(r->v, r->v, 1);
            else
                mpz_sub_ui(r->v, r->v, 1);
        }
    }
    r->scale = rs;
    mpz_clears(num, den, rem, p, NULL);
}

/* add, sub, mod on values aligned to the larger scale. */
static void s_aligned(s_op_t op, const s_num_t *x, const s_num_t *y, s_num_t *r)
{
    s_num_t ax, ay;
    s_init(&ax);
    s_init(&ay);
    mpz_set(ax.v, x->v);
    ax.scale = x->scale;
    mpz_set(ay.v, y->v);
    ay.scale = y->scale;
    int sc = x->scale > y->scale ? x->scale : y->scale;
    s_rescale(&ax, sc, false);
    s_rescale(&ay, sc, false);
    if (op == S_ADD)
        mpz_add(r->v, ax.v, ay.v);
    else if (op == S_SUB)
        mpz_sub(r->v, ax.v, ay.v);
    else
        mpz_tdiv_r(r->v, ax.v, ay.v);
    r->scale = sc;
    s_clear(&ax);
    s_clear(&ay);
}

static int s_arith(s_op_t op, const s_num_t *x, const s_num_t *y, s_num_t *r, pz_sql_err_t *err)
{
    int rc = 0;
    if (s_special_op(op, x, y, r, &rc, err))
        return rc;
    if ((op == S_DIV || op == S_DIVT || op == S_MOD) && mpz_sgn(y->v) == 0)
        return pz_sql_err_set(err, "22012", "division by zero");
    if (op == S_MUL) {
        mpz_mul(r->v, x->v, y->v);
        r->scale = x->scale + y->scale;
        if (r->scale > PZ_NUM_SCALE_MAX)
            s_rescale(r, PZ_NUM_SCALE_MAX, true);
        return 0;
    }
    if (op == S_DIV || op == S_DIVT) {
        s_div_at(x, y, op == S_DIV ? s_div_scale(x, y) : 0, op == S_DIV, r);
        return 0;
    }
    s_aligned(op, x, y, r);
    return 0;
}

static int s_binary(s_op_t op, pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y,
                    pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && x != NULL && y != NULL && out != NULL && err != NULL);
    s_num_t nx, ny, r;
    s_load(&nx, x);
    s_load(&ny, y);
    s_init(&r);
    int rc = s_arith(op, &nx, &ny, &r, err);
    if (rc == 0)
        rc = s_store(a, &r, out, err);
    s_clear(&nx);
    s_clear(&ny);
    s_clear(&r);
    return rc;
}

int pz_num_add(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err)
{
    return s_binary(S_ADD, a, x, y, out, err);
}

int pz_num_sub(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err)
{
    return s_binary(S_SUB, a, x, y, out, err);
}

int pz_num_mul(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err)
{
    return s_binary(S_MUL, a, x, y, out, err);
}

int pz_num_div(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err)
{
    return s_binary(S_DIV, a, x, y, out, err);
}

int pz_num_div_trunc(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
                     pz_sql_err_t *err)
{
    return s_binary(S_DIVT, a, x, y, out, err);
}

int pz_num_mod(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err)
{
    return s_binary(S_MOD, a, x, y, out, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Unary functions                                                                             */

typedef enum { S_NEG, S_ABS, S_ROUND, S_TRUNC, S_FLOOR, S_CEIL, S_SQRT } s_fn_t;

static int s_sqrt(s_num_t *n, pz_sql_err_t *err)
{
    if (mpz_sgn(n->v) < 0)
        return pz_sql_err_set(err, "2201F", "cannot take square root of a negative number");
    long w, f;
    s_weight(n, &w, &f);
    long rs = PZ_NUM_MIN_SIG_DIGITS - (2 * w + 1);
    rs = rs > n->scale ? rs : n->scale; /* numeric_sqrt has no minimum display scale */
    rs = rs > 0 ? rs : 0;
    rs = rs < PZ_NUM_MAX_DISPLAY_SCALE ? rs : PZ_NUM_MAX_DISPLAY_SCALE;
    /* sqrt(v * 10^-sc) * 10^(rs+1) = sqrt(v * 10^(2(rs+1) - sc)), then round one digit */
    mpz_t p;
    mpz_init(p);
    s_pow10(p, (unsigned long)(2 * (rs + 1) - n->scale));
    mpz_mul(n->v, n->v, p);
    mpz_sqrt(n->v, n->v);
    mpz_clear(p);
    n->scale = (int)rs + 1;
    s_rescale(n, (int)rs, true);
    return 0;
}

static int s_unary(s_fn_t fn, s_num_t *n, int s, pz_sql_err_t *err)
{
    if (n->kind != S_FIN) {
        if (fn == S_NEG && n->kind != S_NAN)
            n->kind = n->kind == S_PINF ? S_NINF : S_PINF;
        else if (fn == S_ABS && n->kind == S_NINF)
            n->kind = S_PINF;
        else if (fn == S_SQRT && n->kind == S_NINF)
            return pz_sql_err_set(err, "2201F", "cannot take square root of a negative number");
        return 0;
    }
    mpz_t d;
    switch (fn) {
    case S_NEG:
        mpz_neg(n->v, n->v);
        return 0;
    case S_ABS:
        mpz_abs(n->v, n->v);
        return 0;
    case S_ROUND:
    case S_TRUNC:
        s = s < -2000 ? -2000 : s > 2000 ? 2000 : s; /* NUMERIC_MAX_RESULT_SCALE */
        s_rescale(n, s, fn == S_ROUND);
        return 0;
    case S_FLOOR:
    case S_CEIL:
        mpz_init(d);
        s_pow10(d, (unsigned long)n->scale);
        if (fn == S_FLOOR)
            mpz_fdiv_q(n->v, n->v, d);
        else
            mpz_cdiv_q(n->v, n->v, d);
        n->scale = 0;
        mpz_clear(d);
        return 0;
    default:
        return s_sqrt(n, err);
    }
}

static int s_unary_d(s_fn_t fn, pz_arena_t *a, const pz_datum_t *x, int s, pz_datum_t *out,
                     pz_sql_err_t *err)
{
    assert(a != NULL && x != NULL && out != NULL && err != NULL);
    s_num_t n;
    s_load(&n, x);
    int rc = s_unary(fn, &n, s, err);
    if (rc == 0)
        rc = s_store(a, &n, out, err);
    s_clear(&n);
    return rc;
}

int pz_num_neg(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err)
{
    return s_unary_d(S_NEG, a, x, 0, out, err);
}

int pz_num_abs(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err)
{
    return s_unary_d(S_ABS, a, x, 0, out, err);
}

int pz_num_round(pz_arena_t *a, const pz_datum_t *x, int s, pz_datum_t *out, pz_sql_err_t *err)
{
    return s_unary_d(S_ROUND, a, x, s, out, err);
}

int pz_num_trunc(pz_arena_t *a, const pz_datum_t *x, int s, pz_datum_t *out, pz_sql_err_t *err)
{
    return s_unary_d(S_TRUNC, a, x, s, out, err);
}

int pz_num_floor(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err)
{
    return s_unary_d(S_FLOOR, a, x, 0, out, err);
}

int pz_num_ceil(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err)
{
    return s_unary_d(S_CEIL, a, x, 0, out, err);
}

int pz_num_sqrt(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err)
{
    return s_unary_d(S_SQRT, a, x, 0, out, err);
}

/* x^e exactly as a fraction, rounded to PostgreSQL's power scale max(16, sx) (<= 1000). */
static int s_power(s_num_t *n, int64_t e, pz_sql_err_t *err)
{
    int rs = n->scale > PZ_NUM_MIN_SIG_DIGITS ? n->scale : PZ_NUM_MIN_SIG_DIGITS;
    rs = rs < PZ_NUM_MAX_DISPLAY_SCALE ? rs : PZ_NUM_MAX_DISPLAY_SCALE;
    if (mpz_sgn(n->v) == 0) {
        if (e < 0)
            return pz_sql_err_set(err, "2201F", "zero raised to a negative power is undefined");
        mpz_set_ui(n->v, e == 0 ? 1 : 0);
        n->scale = 0;
        s_rescale(n, rs, false);
        return 0;
    }
    /* log10 of the result bounds the work: overflow past numeric's range, underflow to 0. */
    uint64_t ue = e < 0 ? (uint64_t)(-(e + 1)) + 1 : (uint64_t)e;
    double lg = (double)(s_ndigits(n->v) - n->scale) * (double)e;
    if (lg > PZ_NUM_INT_DIGITS_MAX + 2.0 * (double)ue)
        return pz_sql_err_set(err, "22003", "value overflows numeric format");
    if (lg < -(double)rs - 2.0 * (double)ue - 4) {
        mpz_set_ui(n->v, 0);
        n->scale = rs;
        return 0;
    }
    /* The exact power has digits * e digits: past this bound PostgreSQL would still answer
     * (it works with logarithms), we refuse rather than spend seconds of CPU. */
    if ((double)s_ndigits(n->v) * (double)ue > 4e6)
        return pz_sql_err_set(err, "22003", "value overflows numeric format");
    s_num_t num, den;
    s_init(&num);
    s_init(&den);
    mpz_pow_ui(num.v, n->v, (unsigned long)ue);
    num.scale = (int)((uint64_t)n->scale * ue); /* <= 4e6 by the bound above */
    mpz_set_ui(den.v, 1);
    if (e >= 0) {
        s_div_at(&num, &den, rs, true, n);
    } else {
        /* 1 / (v * 10^-sc) = 10^sc / v: den (1, scale 0) over num */
        s_div_at(&den, &num, rs, true, n);
    }
    s_clear(&num);
    s_clear(&den);
    return 0;
}

int pz_num_power_int(pz_arena_t *a, const pz_datum_t *x, int64_t e, pz_datum_t *out,
                     pz_sql_err_t *err)
{
    assert(a != NULL && x != NULL && out != NULL && err != NULL);
    s_num_t n;
    s_load(&n, x);
    int rc;
    if (n.kind != S_FIN && e == 0) {
        rc = pz_num_in(a, "1.0000000000000000", 18, -1, out, err);
    } else {
        rc = n.kind == S_FIN ? s_power(&n, e, err) : 0;
        if (rc == 0)
            rc = s_store(a, &n, out, err);
    }
    s_clear(&n);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Comparison, hashing                                                                         */

bool pz_num_is_nan(const pz_datum_t *d)
{
    assert(d != NULL && d->type == PZ_TY_NUMERIC);
    return d->len == 3 && memcmp(d->v.p, "NaN", 3) == 0;
}

int pz_num_sign(const pz_datum_t *d)
{
    assert(d != NULL && d->type == PZ_TY_NUMERIC);
    if (d->len == 0 || pz_num_is_nan(d))
        return 0;
    if (d->v.p[0] == '-')
        return -1;
    return d->len == 1 && d->v.p[0] == '0' ? 0 : 1;
}

static int s_rank(int kind)
{
    return kind == S_NINF ? 0 : kind == S_FIN ? 1 : kind == S_PINF ? 2 : 3;
}

int pz_num_cmp(const pz_datum_t *x, const pz_datum_t *y)
{
    assert(x != NULL && y != NULL);
    s_num_t a, b;
    s_load(&a, x);
    s_load(&b, y);
    int c;
    if (a.kind != S_FIN || b.kind != S_FIN) {
        c = s_rank(a.kind) - s_rank(b.kind);
    } else {
        int sc = a.scale > b.scale ? a.scale : b.scale;
        s_rescale(&a, sc, false);
        s_rescale(&b, sc, false);
        c = mpz_cmp(a.v, b.v);
    }
    s_clear(&a);
    s_clear(&b);
    return c < 0 ? -1 : c > 0;
}

uint64_t pz_num_hash(const pz_datum_t *d, uint64_t seed)
{
    assert(d != NULL && d->type == PZ_TY_NUMERIC);
    const uint8_t *p = d->v.p;
    size_t len = d->len;
    int scale = d->scale;
    if (len > 0 && (p[0] >= 'A' || (p[0] == '-' && len > 1 && p[1] == 'I')))
        return pz__hash_bytes(p, len, seed); /* NaN, Infinity, -Infinity */
    /* Trailing zeros are display scale only: 1.50 ("150", 2) hashes as 1.5 ("15", 1). */
    while (scale > 0 && len > 1 && p[len - 1] == '0') {
        len--;
        scale--;
    }
    if (len == 1 && p[0] == '0')
        scale = 0;
    return pz__hash_u64((uint64_t)scale, pz__hash_bytes(p, len, seed));
}

/* ------------------------------------------------------------------------------------------ */
/* Binary                                                                                      */

#define S_NUMERIC_POS 0x0000
#define S_NUMERIC_NEG 0x4000
#define S_NUMERIC_NAN 0xC000
#define S_NUMERIC_PINF 0xD000
#define S_NUMERIC_NINF 0xF000
/* numeric_recv's bound on ndigits: NUMERIC_MAX_PRECISION + NUMERIC_MAX_RESULT_SCALE. */
#define S_RECV_NDIGITS_MAX (1000 + 2000)

static void s_put16(pz_sbuf_t *out, unsigned v)
{
    char b[2] = {(char)(v >> 8), (char)(v & 0xff)};
    pz_sbuf_put(out, b, 2);
}

void pz_num_send(const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(d != NULL && out != NULL);
    s_num_t n;
    s_load(&n, d);
    if (n.kind != S_FIN) {
        unsigned sign = n.kind == S_NAN    ? S_NUMERIC_NAN
                        : n.kind == S_PINF ? S_NUMERIC_PINF
                                           : S_NUMERIC_NINF;
        s_put16(out, 0);
        s_put16(out, 0);
        s_put16(out, sign);
        s_put16(out, 0);
        s_clear(&n);
        return;
    }
    int dscale = n.scale;
    bool neg = mpz_sgn(n.v) < 0;
    mpz_abs(n.v, n.v);
    s_rescale(&n, (n.scale + 3) / 4 * 4, false); /* align the groups to the point */
    size_t cap = mpz_sizeinbase(n.v, 10) / 4 + 2, ng = 0;
    uint16_t *g = malloc(cap * sizeof *g);
    long low_weight = -(long)(n.scale / 4);
    while (g != NULL && mpz_sgn(n.v) != 0 && ng < cap)
        g[ng++] = (uint16_t)mpz_fdiv_q_ui(n.v, n.v, 10000);
    size_t lo = 0;
    while (lo < ng && g[lo] == 0)
        lo++;
    long weight = ng > 0 ? low_weight + (long)ng - 1 : 0;
    s_put16(out, (unsigned)(ng - lo));
    s_put16(out, (unsigned)(uint16_t)(int16_t)weight);
    s_put16(out, neg ? S_NUMERIC_NEG : S_NUMERIC_POS);
    s_put16(out, (unsigned)dscale);
    for (size_t i = ng; i > lo; i--)
        s_put16(out, g[i - 1]);
    if (g == NULL)
        out->oom = true;
    free(g);
    s_clear(&n);
}

static int s_bad_bin(pz_sql_err_t *err, const char *what)
{
    return pz_sql_err_set(err, "22P03", "invalid %s in external \"numeric\" value", what);
}

/* The value sum(d_i * 10000^(weight - i)) truncated to dscale digits. */
static void s_from_groups(s_num_t *n, int nd, int weight, int dscale)
{
    long e10 = 4L * (weight - nd + 1); /* value = v * 10^e10 */
    n->scale = e10 < 0 ? (int)-e10 : 0;
    if (e10 > 0) {
        mpz_t m;
        mpz_init(m);
        s_pow10(m, (unsigned long)e10);
        mpz_mul(n->v, n->v, m);
        mpz_clear(m);
    }
    s_rescale(n, dscale, false); /* digits hidden by dscale are truncated, as PostgreSQL */
}

int pz_num_recv(pz_arena_t *a, const uint8_t *p, size_t len, int32_t typmod, pz_datum_t *out,
                pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && err != NULL);
    assert(p != NULL || len == 0);
    if (len < 8) /* pq_getmsgint's protocol violation, as PostgreSQL's numeric_recv */
        return pz_sql_err_set(err, "08P01", "insufficient data left in message");
    int nd = p[0] << 8 | p[1];
    int weight = (int16_t)(p[2] << 8 | p[3]);
    unsigned sign = (unsigned)(p[4] << 8 | p[5]);
    int dscale = p[6] << 8 | p[7];
    if (nd > S_RECV_NDIGITS_MAX)
        return s_bad_bin(err, "length");
    if (len < 8 + 2 * (size_t)nd)
        return pz_sql_err_set(err, "08P01", "insufficient data left in message");
    if (len > 8 + 2 * (size_t)nd)
        return pz_sql_err_set(err, "22P03", "incorrect binary data format");
    if (sign != S_NUMERIC_POS && sign != S_NUMERIC_NEG && sign != S_NUMERIC_NAN &&
        sign != S_NUMERIC_PINF && sign != S_NUMERIC_NINF)
        return s_bad_bin(err, "sign");
    if (dscale > 0x3fff)
        return s_bad_bin(err, "scale");
    s_num_t n;
    s_init(&n);
    n.kind = sign == S_NUMERIC_NAN    ? S_NAN
             : sign == S_NUMERIC_PINF ? S_PINF
             : sign == S_NUMERIC_NINF ? S_NINF
                                      : S_FIN;
    int rc = 0;
    for (int i = 0; i < nd && rc == 0; i++) {
        unsigned dg = (unsigned)(p[8 + 2 * i] << 8 | p[9 + 2 * i]);
        if (dg >= 10000)
            rc = s_bad_bin(err, "digit");
        mpz_mul_ui(n.v, n.v, 10000);
        mpz_add_ui(n.v, n.v, dg);
    }
    if (rc == 0 && n.kind == S_FIN) {
        s_from_groups(&n, nd, weight, dscale);
        if (sign == S_NUMERIC_NEG)
            mpz_neg(n.v, n.v);
    }
    if (rc == 0)
        rc = s_typmod(&n, typmod, err);
    if (rc == 0)
        rc = s_store(a, &n, out, err);
    s_clear(&n);
    return rc;
}
