/*
 * sql_func_ops.c — the arithmetic, comparison, bitwise, string-matching and concatenation
 * operators, with PostgreSQL's results and errors: integer arithmetic checked for overflow in
 * the result's width (22003 "integer out of range"), division truncating toward zero, 22012
 * "division by zero"; float arithmetic with float.c's overflow/underflow rules; numeric through
 * sql_numeric.h. One comparison implementation (pz_datum_cmp) serves a row per type pair, so
 * resolution sees the operators PostgreSQL has.
 *
 * Regular expressions (~ ~* !~ !~*) use POSIX extended regexes (regcomp, REG_EXTENDED):
 * PostgreSQL's ARE syntax is a superset (\d, \w, lookahead, ... are not available), and each
 * call compiles its pattern (no cache yet).
 */
#include "sql_func_int.h"

#include <assert.h>
#include <math.h>
#include <regex.h>
#include <string.h>

#include "sql_numeric.h"

#define I2 PZ_TY_INT2
#define I4 PZ_TY_INT4
#define I8 PZ_TY_INT8
#define F4 PZ_TY_FLOAT4
#define F8 PZ_TY_FLOAT8
#define NUM PZ_TY_NUMERIC
#define TXT PZ_TY_TEXT
#define BOOL PZ_TY_BOOL
/* A regex pattern as PostgreSQL would accept it: bounded so one call cannot compile megabytes. */
#define S_REGEX_BYTES_MAX (64u * 1024u)

/* ------------------------------------------------------------------------------------------ */
/* Integers                                                                                    */

static int s_int_add(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    int64_t r;
    if (__builtin_add_overflow(v[0].v.i, v[1].v.i, &r)) {
        return pz_sql_err_set(ctx->err, "22003", "bigint out of range");
    }
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, r, out);
}

static int s_int_sub(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    int64_t r;
    if (__builtin_sub_overflow(v[0].v.i, v[1].v.i, &r)) {
        return pz_sql_err_set(ctx->err, "22003", "bigint out of range");
    }
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, r, out);
}

static int s_int_mul(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    int64_t r;
    if (__builtin_mul_overflow(v[0].v.i, v[1].v.i, &r)) {
        return pz_sql_err_set(ctx->err, "22003", "bigint out of range");
    }
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, r, out);
}

static int s_int_div(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    if (v[1].v.i == 0) {
        return pz_sql_err_set(ctx->err, "22012", "division by zero");
    }
    if (v[0].v.i == INT64_MIN && v[1].v.i == -1) {
        return pz_sql_err_set(ctx->err, "22003", "bigint out of range");
    }
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, v[0].v.i / v[1].v.i, out);
}

static int s_int_mod(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    if (v[1].v.i == 0) {
        return pz_sql_err_set(ctx->err, "22012", "division by zero");
    }
    int64_t r = v[1].v.i == -1 ? 0 : v[0].v.i % v[1].v.i; /* INT_MIN % -1 is 0, as PostgreSQL */
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, r, out);
}

static int s_int_neg(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    if (v[0].v.i == INT64_MIN) {
        return pz_sql_err_set(ctx->err, "22003", "bigint out of range");
    }
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, -v[0].v.i, out);
}

static int s_int_abs(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    return v[0].v.i < 0 ? s_int_neg(ctx, argc, v, out)
                        : pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, v[0].v.i, out);
}

static int s_ident(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1 && ctx != NULL);
    *out = v[0];
    return 0;
}

/* Wraps v to the result's width, as C's int16/int32 arithmetic in PostgreSQL's bit operators. */
static int64_t s_wrap(pz_ty_t t, int64_t v)
{
    return t == PZ_TY_INT2 ? (int16_t)v : t == PZ_TY_INT4 ? (int32_t)v : v;
}

static int s_bit(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out, char op)
{
    assert(argc == 2 || op == '~');
    pz_ty_t t = (pz_ty_t)ctx->ret.id;
    int mask = t == PZ_TY_INT8 ? 63 : 31; /* the shift count as x86 masks it in C */
    uint64_t a = (uint64_t)v[0].v.i, r = 0;
    int s = argc == 2 ? (int)(v[1].v.i & mask) : 0;
    switch (op) {
    case '&':
        r = a & (uint64_t)v[1].v.i;
        break;
    case '|':
        r = a | (uint64_t)v[1].v.i;
        break;
    case '#':
        r = a ^ (uint64_t)v[1].v.i;
        break;
    case '~':
        r = ~a;
        break;
    case '<':
        r = (uint64_t)s_wrap(t == PZ_TY_INT8 ? t : PZ_TY_INT4, (int64_t)(a << s));
        break;
    default:
        r = (uint64_t)(v[0].v.i >> s);
        break;
    }
    *out = pz_datum_int(t, s_wrap(t, (int64_t)r));
    return 0;
}

static int s_band(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_bit(c, n, v, o, '&');
}
static int s_bor(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_bit(c, n, v, o, '|');
}
static int s_bxor(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_bit(c, n, v, o, '#');
}
static int s_bnot(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_bit(c, n, v, o, '~');
}
static int s_shl(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_bit(c, n, v, o, '<');
}
static int s_shr(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_bit(c, n, v, o, '>');
}

/* ------------------------------------------------------------------------------------------ */
/* Floats (float.c's checks: overflow when an infinite result has finite inputs, underflow when
 * a zero result has non-zero inputs)                                                          */

static int s_flt_add(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    double a = v[0].v.f, b = v[1].v.f;
    return pz__fn_float(ctx, (pz_ty_t)ctx->ret.id, a + b, isinf(a) || isinf(b), true, out);
}

static int s_flt_sub(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    double a = v[0].v.f, b = v[1].v.f;
    return pz__fn_float(ctx, (pz_ty_t)ctx->ret.id, a - b, isinf(a) || isinf(b), true, out);
}

static int s_flt_mul(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    double a = v[0].v.f, b = v[1].v.f;
    return pz__fn_float(ctx, (pz_ty_t)ctx->ret.id, a * b, isinf(a) || isinf(b), a == 0 || b == 0,
                        out);
}

static int s_flt_div(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    double a = v[0].v.f, b = v[1].v.f;
    if (b == 0 && !isnan(a)) {
        return pz_sql_err_set(ctx->err, "22012", "division by zero");
    }
    return pz__fn_float(ctx, (pz_ty_t)ctx->ret.id, a / b, isinf(a), a == 0 || isinf(b), out);
}

static int s_flt_neg(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    *out = pz_datum_float((pz_ty_t)ctx->ret.id, -v[0].v.f);
    return 0;
}

static int s_flt_abs(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    *out = pz_datum_float((pz_ty_t)ctx->ret.id, fabs(v[0].v.f));
    return 0;
}

/* float8pow's rules. Also the "power" and "pow" functions. */
int pz__fn_float_pow(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out);
int pz__fn_float_pow(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    double a = v[0].v.f, b = v[1].v.f;
    if (a == 0 && b < 0) {
        return pz_sql_err_set(ctx->err, "2201F", "zero raised to a negative power is undefined");
    }
    if (a < 0 && isfinite(b) && floor(b) != b) {
        return pz_sql_err_set(ctx->err, "2201F",
                              "a negative number raised to a non-integer power yields a "
                              "complex result");
    }
    double r = pow(a, b);
    return pz__fn_float(ctx, PZ_TY_FLOAT8, r, isinf(a) || isinf(b), a == 0 || isinf(b), out);
}

static int s_flt_sqrt(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    if (v[0].v.f < 0) {
        return pz_sql_err_set(ctx->err, "2201F", "cannot take square root of a negative number");
    }
    *out = pz_datum_float(PZ_TY_FLOAT8, sqrt(v[0].v.f));
    return 0;
}

static int s_flt_cbrt(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1 && ctx != NULL);
    *out = pz_datum_float(PZ_TY_FLOAT8, cbrt(v[0].v.f));
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Numeric                                                                                     */

#define S_NUM2(name, call)                                                                         \
    static int name(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)           \
    {                                                                                              \
        assert(argc == 2);                                                                         \
        return call(ctx->arena, &v[0], &v[1], out, ctx->err);                                      \
    }
S_NUM2(s_num_add, pz_num_add)
S_NUM2(s_num_sub, pz_num_sub)
S_NUM2(s_num_mul, pz_num_mul)
S_NUM2(s_num_div, pz_num_div)
S_NUM2(s_num_mod, pz_num_mod)

static int s_num_neg(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    return pz_num_neg(ctx->arena, &v[0], out, ctx->err);
}

static int s_num_abs(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    return pz_num_abs(ctx->arena, &v[0], out, ctx->err);
}

static int s_num_sqrt(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    return pz_num_sqrt(ctx->arena, &v[0], out, ctx->err);
}

/* numeric ^ numeric: exact for an integer exponent; otherwise through double (PostgreSQL
 * computes these with more digits: results agree to about 15 significant digits). */
int pz__fn_num_pow(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out);
int pz__fn_num_pow(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    pz_sql_err_t scratch;
    pz_sql_err_clear(&scratch);
    int64_t e;
    pz_datum_t t;
    if (pz_num_trunc(ctx->arena, &v[1], 0, &t, &scratch) == 0 && pz_num_cmp(&t, &v[1]) == 0 &&
        pz_num_to_int(&v[1], INT32_MIN, INT32_MAX, "integer", &e, &scratch) == 0) {
        /* power_var_int's result scale: 16 significant digits at least, as PostgreSQL. */
        double x = fabs(pz_num_to_double(&v[0]));
        double lg = x == 0 || !isfinite(x) ? 0 : (double)e * log10(x);
        int rscale = 16 - (int)(lg > 1e6 ? 1e6 : lg < -1e6 ? -1e6 : lg);
        rscale = rscale < v[0].scale ? v[0].scale : rscale;
        rscale = rscale < v[1].scale ? v[1].scale : rscale;
        rscale = rscale < 16 ? 16 : rscale > 1000 ? 1000 : rscale;
        pz_datum_t exact;
        int rc = pz_num_power_int(ctx->arena, &v[0], e, &exact, ctx->err);
        return rc != 0 ? rc : pz_num_round(ctx->arena, &exact, rscale, out, ctx->err);
    }
    pz_datum_t f[2] = {pz_datum_float(PZ_TY_FLOAT8, pz_num_to_double(&v[0])),
                       pz_datum_float(PZ_TY_FLOAT8, pz_num_to_double(&v[1]))};
    pz_datum_t r;
    int rc = pz__fn_float_pow(ctx, 2, f, &r);
    return rc != 0 ? rc : pz_num_from_double(ctx->arena, r.v.f, false, out, ctx->err);
}

/* ------------------------------------------------------------------------------------------ */
/* Comparisons                                                                                 */

#define S_CMP(name, test)                                                                          \
    static int name(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)           \
    {                                                                                              \
        assert(argc == 2 && ctx != NULL);                                                          \
        int c = pz_datum_cmp(&v[0], &v[1]);                                                        \
        *out = pz_datum_bool(test);                                                                \
        return 0;                                                                                  \
    }
S_CMP(s_eq, c == 0)
S_CMP(s_ne, c != 0)
S_CMP(s_lt, c < 0)
S_CMP(s_le, c <= 0)
S_CMP(s_gt, c > 0)
S_CMP(s_ge, c >= 0)

/* ------------------------------------------------------------------------------------------ */
/* Strings: ||, LIKE, regular expressions                                                      */

/* The text of any datum (text-like as is, others through their output function). */
static int s_as_text(pz_sql_fnctx_t *ctx, const pz_datum_t *d, const uint8_t **p, size_t *n)
{
    pz_ty_t t = (pz_ty_t)d->type;
    if (t == PZ_TY_TEXT || t == PZ_TY_VARCHAR || t == PZ_TY_BPCHAR || t == PZ_TY_NAME ||
        t == PZ_TY_BYTEA || t == PZ_TY_UNKNOWN) {
        *p = d->v.p;
        *n = d->len;
        return 0;
    }
    pz_sbuf_t b = {0};
    pz_datum_to_text(ctx->env, d, &b);
    pz_datum_t txt;
    int rc = b.oom ? pz__fn_oom(ctx) : pz__fn_bytes(ctx, PZ_TY_TEXT, b.p, b.len, &txt);
    pz_sbuf_free(&b);
    *p = rc == 0 ? txt.v.p : NULL;
    *n = rc == 0 ? txt.len : 0;
    return rc;
}

static int s_concat2(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    const uint8_t *a, *b;
    size_t na, nb;
    int rc = s_as_text(ctx, &v[0], &a, &na);
    rc = rc == 0 ? s_as_text(ctx, &v[1], &b, &nb) : rc;
    if (rc != 0) {
        return rc;
    }
    uint8_t *p = pz__fn_alloc(ctx, na + nb);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    if (na > 0) {
        memcpy(p, a, na);
    }
    if (nb > 0) {
        memcpy(p + na, b, nb);
    }
    pz_ty_t t = ctx->ret.id == PZ_TY_BYTEA ? PZ_TY_BYTEA : PZ_TY_TEXT;
    *out = pz_datum_bytes(t, p, (uint32_t)(na + nb));
    return 0;
}

static int s_like_op(pz_sql_fnctx_t *ctx, const pz_datum_t *v, bool icase, bool neg,
                     pz_datum_t *out)
{
    const uint8_t *p = v[1].v.p;
    size_t n = v[1].len, i = 0;
    for (; i < n; i++) { /* a trailing lone escape is an error in PostgreSQL */
        if (p[i] == '\\' && ++i == n) {
            return pz_sql_err_set(ctx->err, "22025",
                                  "LIKE pattern must not end with escape character");
        }
    }
    bool m = pz_sql_like(v[0].v.p, v[0].len, p, n, icase, '\\');
    *out = pz_datum_bool(m != neg);
    return 0;
}

static int s_like(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_like_op(c, v, false, false, o);
}
static int s_nlike(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_like_op(c, v, false, true, o);
}
static int s_ilike(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_like_op(c, v, true, false, o);
}
static int s_nilike(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_like_op(c, v, true, true, o);
}

/* Compiles a pattern (NUL-terminated copy). match_only: the caller only asks whether the text
 * matches, so ARE's non-capturing groups "(?:" (which SIMILAR TO's similar_to_escape emits) can
 * become plain groups, which POSIX EREs have. Returns 0 or the 2201B error. */
static int s_regcomp(pz_sql_fnctx_t *ctx, const pz_datum_t *pat, bool icase, bool match_only,
                     regex_t *re)
{
    if (pat->len > S_REGEX_BYTES_MAX) {
        return pz_sql_err_set(ctx->err, "2201B", "invalid regular expression: too long");
    }
    char *s = (char *)pz__fn_alloc(ctx, pat->len);
    if (s == NULL) {
        return PZ_ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < pat->len; i++) {
        s[n++] = (char)pat->v.p[i];
        if (pat->v.p[i] == '\\' && i + 1 < pat->len) {
            s[n++] = (char)pat->v.p[++i];
        } else if (match_only && pat->v.p[i] == '(' && i + 2 < pat->len && pat->v.p[i + 1] == '?' &&
                   pat->v.p[i + 2] == ':') {
            i += 2;
        }
    }
    s[n] = '\0';
    int rc = regcomp(re, s, REG_EXTENDED | (icase ? REG_ICASE : 0));
    if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        return pz_sql_err_set(ctx->err, "2201B", "invalid regular expression: %s", msg);
    }
    return 0;
}

int pz__fn_regcomp(pz_sql_fnctx_t *ctx, const pz_datum_t *pat, bool icase, regex_t *re);
int pz__fn_regcomp(pz_sql_fnctx_t *ctx, const pz_datum_t *pat, bool icase, regex_t *re)
{
    return s_regcomp(ctx, pat, icase, false, re);
}

/* Whether the text matches re (a NUL-terminated copy of it: regexec needs one). */
int pz__fn_regmatch(pz_sql_fnctx_t *ctx, const regex_t *re, const pz_datum_t *s, bool *match);
int pz__fn_regmatch(pz_sql_fnctx_t *ctx, const regex_t *re, const pz_datum_t *s, bool *match)
{
    char *str = (char *)pz__fn_alloc(ctx, s->len);
    if (str == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(str, s->v.p, s->len);
    str[s->len] = '\0';
    *match = regexec(re, str, 0, NULL, 0) == 0;
    return 0;
}

static int s_regex_op(pz_sql_fnctx_t *ctx, const pz_datum_t *v, bool icase, bool neg,
                      pz_datum_t *out)
{
    regex_t re;
    int rc = s_regcomp(ctx, &v[1], icase, true, &re);
    if (rc != 0) {
        return rc;
    }
    bool m = false;
    rc = pz__fn_regmatch(ctx, &re, &v[0], &m);
    regfree(&re);
    *out = pz_datum_bool(m != neg);
    return rc;
}

static int s_re(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_regex_op(c, v, false, false, o);
}
static int s_nre(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_regex_op(c, v, false, true, o);
}
static int s_ire(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_regex_op(c, v, true, false, o);
}
static int s_nire(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_regex_op(c, v, true, true, o);
}

/* ------------------------------------------------------------------------------------------ */
/* The rows                                                                                    */

#define OP2 PZ__OP2
#define OP1 PZ__OP1
#define ANY_E PZ_FN_ANYELEM
/* + - * / over one pair of integer types (the result's width checks overflow). */
#define S_INT4OPS(a, b, r)                                                                         \
    OP2("+", a, b, r, s_int_add, 0), OP2("-", a, b, r, s_int_sub, 0),                              \
        OP2("*", a, b, r, s_int_mul, 0), OP2("/", a, b, r, s_int_div, 0)
#define S_FLT4OPS(a, b, r)                                                                         \
    OP2("+", a, b, r, s_flt_add, 0), OP2("-", a, b, r, s_flt_sub, 0),                              \
        OP2("*", a, b, r, s_flt_mul, 0), OP2("/", a, b, r, s_flt_div, 0)
/* = <> < <= > >= over one pair of types. */
#define S_CMPS(a, b)                                                                               \
    OP2("=", a, b, BOOL, s_eq, 0), OP2("<>", a, b, BOOL, s_ne, 0), OP2("<", a, b, BOOL, s_lt, 0),  \
        OP2("<=", a, b, BOOL, s_le, 0), OP2(">", a, b, BOOL, s_gt, 0),                             \
        OP2(">=", a, b, BOOL, s_ge, 0)
#define S_BITS(t)                                                                                  \
    OP2("&", t, t, t, s_band, 0), OP2("|", t, t, t, s_bor, 0), OP2("#", t, t, t, s_bxor, 0),       \
        OP1("~", t, t, s_bnot, 0), OP2("<<", t, I4, t, s_shl, 0), OP2(">>", t, I4, t, s_shr, 0)
/* Prefix - + @ over a numeric type. */
#define S_SIGNS(t, neg, abs)                                                                       \
    OP1("-", t, t, neg, 0), OP1("+", t, t, s_ident, 0), OP1("@", t, t, abs, 0)

const pz_sql_fndef_t pz__fn_ops[] = {
    S_INT4OPS(I2, I2, I2),
    S_INT4OPS(I4, I4, I4),
    S_INT4OPS(I8, I8, I8),
    S_INT4OPS(I2, I4, I4),
    S_INT4OPS(I4, I2, I4),
    S_INT4OPS(I2, I8, I8),
    S_INT4OPS(I8, I2, I8),
    S_INT4OPS(I4, I8, I8),
    S_INT4OPS(I8, I4, I8),
    OP2("%", I2, I2, I2, s_int_mod, 0),
    OP2("%", I4, I4, I4, s_int_mod, 0),
    OP2("%", I8, I8, I8, s_int_mod, 0),
    S_SIGNS(I2, s_int_neg, s_int_abs),
    S_SIGNS(I4, s_int_neg, s_int_abs),
    S_SIGNS(I8, s_int_neg, s_int_abs),
    S_BITS(I2),
    S_BITS(I4),
    S_BITS(I8),
    S_FLT4OPS(F4, F4, F4),
    S_FLT4OPS(F8, F8, F8),
    S_FLT4OPS(F4, F8, F8),
    S_FLT4OPS(F8, F4, F8),
    S_SIGNS(F4, s_flt_neg, s_flt_abs),
    S_SIGNS(F8, s_flt_neg, s_flt_abs),
    OP2("^", F8, F8, F8, pz__fn_float_pow, 0),
    OP1("|/", F8, F8, s_flt_sqrt, 0),
    OP1("||/", F8, F8, s_flt_cbrt, 0),
    OP2("+", NUM, NUM, NUM, s_num_add, 0),
    OP2("-", NUM, NUM, NUM, s_num_sub, 0),
    OP2("*", NUM, NUM, NUM, s_num_mul, 0),
    OP2("/", NUM, NUM, NUM, s_num_div, 0),
    OP2("%", NUM, NUM, NUM, s_num_mod, 0),
    OP2("^", NUM, NUM, NUM, pz__fn_num_pow, 0),
    S_SIGNS(NUM, s_num_neg, s_num_abs),
    OP1("|/", NUM, NUM, s_num_sqrt, 0),
    S_CMPS(BOOL, BOOL),
    S_CMPS(I2, I2),
    S_CMPS(I4, I4),
    S_CMPS(I8, I8),
    S_CMPS(I2, I4),
    S_CMPS(I4, I2),
    S_CMPS(I2, I8),
    S_CMPS(I8, I2),
    S_CMPS(I4, I8),
    S_CMPS(I8, I4),
    S_CMPS(F4, F4),
    S_CMPS(F8, F8),
    S_CMPS(F4, F8),
    S_CMPS(F8, F4),
    S_CMPS(NUM, NUM),
    S_CMPS(TXT, TXT),
    S_CMPS(PZ_TY_BPCHAR, PZ_TY_BPCHAR),
    S_CMPS(PZ_TY_NAME, PZ_TY_NAME),
    S_CMPS(PZ_TY_NAME, TXT),
    S_CMPS(TXT, PZ_TY_NAME),
    S_CMPS(PZ_TY_BYTEA, PZ_TY_BYTEA),
    S_CMPS(PZ_TY_CHAR, PZ_TY_CHAR),
    S_CMPS(PZ_TY_DATE, PZ_TY_DATE),
    S_CMPS(PZ_TY_TIME, PZ_TY_TIME),
    S_CMPS(PZ_TY_TIMESTAMP, PZ_TY_TIMESTAMP),
    S_CMPS(PZ_TY_TIMESTAMPTZ, PZ_TY_TIMESTAMPTZ),
    S_CMPS(PZ_TY_INTERVAL, PZ_TY_INTERVAL),
    S_CMPS(PZ_TY_UUID, PZ_TY_UUID),
    S_CMPS(PZ_TY_OID, PZ_TY_OID),
    S_CMPS(PZ_TY_JSONB, PZ_TY_JSONB),
    S_CMPS(PZ_FN_ANYARRAY, PZ_FN_ANYARRAY),
    OP2("||", TXT, TXT, TXT, s_concat2, 654),
    OP2("||", ANY_E, TXT, TXT, s_concat2, 2779),
    OP2("||", TXT, ANY_E, TXT, s_concat2, 2780),
    OP2("||", PZ_TY_BYTEA, PZ_TY_BYTEA, PZ_TY_BYTEA, s_concat2, 2011),
    OP2("~~", TXT, TXT, BOOL, s_like, 850),
    OP2("!~~", TXT, TXT, BOOL, s_nlike, 851),
    OP2("~~*", TXT, TXT, BOOL, s_ilike, 1633),
    OP2("!~~*", TXT, TXT, BOOL, s_nilike, 1634),
    OP2("~~", PZ_TY_BYTEA, PZ_TY_BYTEA, BOOL, s_like, 2005),
    OP2("!~~", PZ_TY_BYTEA, PZ_TY_BYTEA, BOOL, s_nlike, 2006),
    OP2("~", TXT, TXT, BOOL, s_re, 1254),
    OP2("!~", TXT, TXT, BOOL, s_nre, 1256),
    OP2("~*", TXT, TXT, BOOL, s_ire, 1238),
    OP2("!~*", TXT, TXT, BOOL, s_nire, 1239),
};
const size_t pz__fn_ops_n = sizeof pz__fn_ops / sizeof pz__fn_ops[0];
