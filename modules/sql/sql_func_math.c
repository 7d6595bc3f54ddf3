/*
 * sql_func_math.c — mathematical functions (abs, round, trunc, power, ln, trig, ...) over
 * float8 and numeric, with PostgreSQL's domain errors (2201E for log of zero or a negative,
 * 2201F for powers, 22003 for overflow).
 */
#include "sql_func_int.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "sql_numeric.h"

#define I2 PZ_TY_INT2
#define I4 PZ_TY_INT4
#define I8 PZ_TY_INT8
#define F8 PZ_TY_FLOAT8
#define NUM PZ_TY_NUMERIC

int pz__fn_float_pow(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out);
int pz__fn_num_pow(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out);

/* One float8 → float8 function of libm, with overflow checked (finite in, infinite out). */
static int s_f1(pz_sql_fnctx_t *ctx, double (*f)(double), const pz_datum_t *v, pz_datum_t *out)
{
    double x = v[0].v.f, r = f(x);
    return pz__fn_float(ctx, F8, r, isinf(x), true, out);
}

#define S_F1(name, fn)                                                                             \
    static int name(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)                  \
    {                                                                                              \
        assert(n == 1);                                                                            \
        return s_f1(c, fn, v, o);                                                                  \
    }
S_F1(s_ceil, ceil)
S_F1(s_floor, floor)
S_F1(s_round, rint)
S_F1(s_trunc, trunc)
S_F1(s_cbrt, cbrt)
S_F1(s_sin, sin)
S_F1(s_cos, cos)
S_F1(s_tan, tan)
S_F1(s_atan, atan)

static double s_deg(double x)
{
    return x * (180.0 / M_PI);
}
static double s_rad(double x)
{
    return x * (M_PI / 180.0);
}
S_F1(s_degrees, s_deg)
S_F1(s_radians, s_rad)

static int s_exp(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    double x = v[0].v.f, r = exp(x);
    return pz__fn_float(ctx, F8, r, isinf(x), !isfinite(x) || x < 0 || r != 0, out);
}

/* ln (base 0) and log10 (base 10) with PostgreSQL's domain errors. */
static int s_log_f(pz_sql_fnctx_t *ctx, const pz_datum_t *v, bool ten, pz_datum_t *out)
{
    double x = v[0].v.f;
    if (x == 0) {
        return pz_sql_err_set(ctx->err, "2201E", "cannot take logarithm of zero");
    }
    if (x < 0) {
        return pz_sql_err_set(ctx->err, "2201E", "cannot take logarithm of a negative number");
    }
    *out = pz_datum_float(F8, ten ? log10(x) : log(x));
    return 0;
}

static int s_ln(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 1);
    return s_log_f(c, v, false, o);
}
static int s_log10(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 1);
    return s_log_f(c, v, true, o);
}

static int s_sqrt(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    if (v[0].v.f < 0) {
        return pz_sql_err_set(ctx->err, "2201F", "cannot take square root of a negative number");
    }
    *out = pz_datum_float(F8, sqrt(v[0].v.f));
    return 0;
}

static int s_sign(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1 && ctx != NULL);
    double x = v[0].v.f;
    *out = pz_datum_float(F8, isnan(x) ? x : (x > 0) - (x < 0));
    return 0;
}

static int s_atan2(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2 && ctx != NULL);
    *out = pz_datum_float(F8, atan2(v[0].v.f, v[1].v.f));
    return 0;
}

static int s_pi(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 0 && ctx != NULL && v != NULL);
    *out = pz_datum_float(F8, M_PI);
    return 0;
}

/* random(): xorshift64* over the session's seed, 52 random bits in [0, 1). */
static int s_random(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 0 && v != NULL && ctx->rand_seed != NULL);
    uint64_t x = *ctx->rand_seed ? *ctx->rand_seed : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *ctx->rand_seed = x;
    *out = pz_datum_float(F8, (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0);
    return 0;
}

static int s_int_mod(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    if (v[1].v.i == 0) {
        return pz_sql_err_set(ctx->err, "22012", "division by zero");
    }
    *out = pz_datum_int((pz_ty_t)ctx->ret.id, v[1].v.i == -1 ? 0 : v[0].v.i % v[1].v.i);
    return 0;
}

static int64_t s_gcd64(int64_t a, int64_t b)
{
    uint64_t x = a < 0 ? -(uint64_t)a : (uint64_t)a, y = b < 0 ? -(uint64_t)b : (uint64_t)b;
    while (y != 0) {
        uint64_t t = x % y;
        x = y, y = t;
    }
    return (int64_t)x; /* 2^63 wraps to INT64_MIN: checked by the caller */
}

static int s_gcd(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    int64_t g = s_gcd64(v[0].v.i, v[1].v.i);
    if (g == INT64_MIN) {
        return pz_sql_err_set(ctx->err, "22003", "bigint out of range");
    }
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, g, out);
}

static int s_lcm(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    int64_t a = v[0].v.i, b = v[1].v.i, g = s_gcd64(a, b), r;
    if (a == 0 || b == 0) {
        return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, 0, out);
    }
    if (g == INT64_MIN || __builtin_mul_overflow(a / g, b, &r) || r == INT64_MIN) {
        return pz_sql_err_set(ctx->err, "22003", "%s out of range",
                              ctx->ret.id == I4 ? "integer" : "bigint");
    }
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, r < 0 ? -r : r, out);
}

/* width_bucket(x, lo, hi, n) as PostgreSQL's width_bucket_float8. */
static int s_width_bucket(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 4);
    double x = v[0].v.f, lo = v[1].v.f, hi = v[2].v.f;
    int64_t n = v[3].v.i, r;
    if (n <= 0) {
        return pz_sql_err_set(ctx->err, "2201G", "count must be greater than zero");
    }
    if (isnan(x) || isnan(lo) || isnan(hi)) {
        return pz_sql_err_set(ctx->err, "2201G",
                              "operand, lower bound, and upper bound cannot be NaN");
    }
    if (!isfinite(lo) || !isfinite(hi)) {
        return pz_sql_err_set(ctx->err, "2201G", "lower and upper bounds must be finite");
    }
    if (lo == hi) {
        return pz_sql_err_set(ctx->err, "2201G", "lower bound cannot equal upper bound");
    }
    if (lo < hi) {
        r = x < lo ? 0 : x >= hi ? n + 1 : (int64_t)((double)n * ((x - lo) / (hi - lo))) + 1;
    } else {
        r = x > lo ? 0 : x <= hi ? n + 1 : (int64_t)((double)n * ((lo - x) / (lo - hi))) + 1;
    }
    return pz__fn_int(ctx, I4, r, out);
}

/* ------------------------------------------------------------------------------------------ */
/* Numeric                                                                                     */

static int s_num_1(pz_sql_fnctx_t *ctx, const pz_datum_t *v, char op, pz_datum_t *out)
{
    pz_arena_t *a = ctx->arena;
    switch (op) {
    case '@':
        return pz_num_abs(a, &v[0], out, ctx->err);
    case 'c':
        return pz_num_ceil(a, &v[0], out, ctx->err);
    case 'f':
        return pz_num_floor(a, &v[0], out, ctx->err);
    case 'r':
        return pz_num_round(a, &v[0], 0, out, ctx->err);
    case 't':
        return pz_num_trunc(a, &v[0], 0, out, ctx->err);
    case 'q':
        return pz_num_sqrt(a, &v[0], out, ctx->err);
    default: {
        int s = pz_num_is_nan(&v[0]) ? 0 : pz_num_sign(&v[0]);
        if (pz_num_is_nan(&v[0])) {
            *out = v[0];
            return 0;
        }
        return pz_num_from_int(a, s, out, ctx->err);
    }
    }
}

#define S_N1(name, op)                                                                             \
    static int name(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)                  \
    {                                                                                              \
        assert(n == 1);                                                                            \
        return s_num_1(c, v, op, o);                                                               \
    }
S_N1(s_num_abs, '@')
S_N1(s_num_ceil, 'c')
S_N1(s_num_floor, 'f')
S_N1(s_num_round, 'r')
S_N1(s_num_trunc, 't')
S_N1(s_num_sqrt, 'q')
S_N1(s_num_sign, 's')

static int s_num_round_s(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return pz_num_round(ctx->arena, &v[0], (int)v[1].v.i, out, ctx->err);
}

static int s_num_trunc_s(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return pz_num_trunc(ctx->arena, &v[0], (int)v[1].v.i, out, ctx->err);
}

static int s_num_mod(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return pz_num_mod(ctx->arena, &v[0], &v[1], out, ctx->err);
}

static int s_num_div(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    return pz_num_div_trunc(ctx->arena, &v[0], &v[1], out, ctx->err);
}

static int s_int_abs(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    if (v[0].v.i == INT64_MIN) {
        return pz_sql_err_set(ctx->err, "22003", "bigint out of range");
    }
    return pz__fn_int(ctx, (pz_ty_t)ctx->ret.id, v[0].v.i < 0 ? -v[0].v.i : v[0].v.i, out);
}

static int s_flt_abs(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    *out = pz_datum_float((pz_ty_t)ctx->ret.id, fabs(v[0].v.f));
    return 0;
}

#define FN(name, n, r, fl, fn, oid, ...)                                                           \
    {                                                                                              \
        name, n, {__VA_ARGS__}, r, PZ_FN_STRICT | (fl), fn, oid                                    \
    }

const pz_sql_fndef_t pz__fn_math[] = {
    FN("abs", 1, I2, 0, s_int_abs, 1398, I2),
    FN("abs", 1, I4, 0, s_int_abs, 1397, I4),
    FN("abs", 1, I8, 0, s_int_abs, 1396, I8),
    FN("abs", 1, PZ_TY_FLOAT4, 0, s_flt_abs, 1394, PZ_TY_FLOAT4),
    FN("abs", 1, F8, 0, s_flt_abs, 1395, F8),
    FN("abs", 1, NUM, 0, s_num_abs, 1705, NUM),
    FN("ceil", 1, F8, 0, s_ceil, 2308, F8),
    FN("ceil", 1, NUM, 0, s_num_ceil, 1711, NUM),
    FN("ceiling", 1, F8, 0, s_ceil, 2320, F8),
    FN("ceiling", 1, NUM, 0, s_num_ceil, 2167, NUM),
    FN("floor", 1, F8, 0, s_floor, 2309, F8),
    FN("floor", 1, NUM, 0, s_num_floor, 1712, NUM),
    FN("round", 1, F8, 0, s_round, 228, F8),
    FN("round", 1, NUM, 0, s_num_round, 1708, NUM),
    FN("round", 2, NUM, 0, s_num_round_s, 1707, NUM, I4),
    FN("trunc", 1, F8, 0, s_trunc, 229, F8),
    FN("trunc", 1, NUM, 0, s_num_trunc, 1710, NUM),
    FN("trunc", 2, NUM, 0, s_num_trunc_s, 1709, NUM, I4),
    FN("sign", 1, F8, 0, s_sign, 2310, F8),
    FN("sign", 1, NUM, 0, s_num_sign, 1706, NUM),
    FN("mod", 2, I2, 0, s_int_mod, 940, I2, I2),
    FN("mod", 2, I4, 0, s_int_mod, 941, I4, I4),
    FN("mod", 2, I8, 0, s_int_mod, 947, I8, I8),
    FN("mod", 2, NUM, 0, s_num_mod, 1728, NUM, NUM),
    FN("div", 2, NUM, 0, s_num_div, 1973, NUM, NUM),
    FN("power", 2, F8, 0, pz__fn_float_pow, 1368, F8, F8),
    FN("power", 2, NUM, 0, pz__fn_num_pow, 2169, NUM, NUM),
    FN("pow", 2, F8, 0, pz__fn_float_pow, 1346, F8, F8),
    FN("pow", 2, NUM, 0, pz__fn_num_pow, 1738, NUM, NUM),
    FN("sqrt", 1, F8, 0, s_sqrt, 230, F8),
    FN("sqrt", 1, NUM, 0, s_num_sqrt, 1730, NUM),
    FN("cbrt", 1, F8, 0, s_cbrt, 231, F8),
    FN("exp", 1, F8, 0, s_exp, 233, F8),
    FN("ln", 1, F8, 0, s_ln, 234, F8),
    FN("log", 1, F8, 0, s_log10, 1340, F8),
    FN("log10", 1, F8, 0, s_log10, 1194, F8),
    FN("pi", 0, F8, 0, s_pi, 1610, 0),
    FN("random", 0, F8, PZ_FN_VOLATILE, s_random, 1598, 0),
    FN("degrees", 1, F8, 0, s_degrees, 1608, F8),
    FN("radians", 1, F8, 0, s_radians, 1609, F8),
    FN("sin", 1, F8, 0, s_sin, 1604, F8),
    FN("cos", 1, F8, 0, s_cos, 1605, F8),
    FN("tan", 1, F8, 0, s_tan, 1606, F8),
    FN("atan", 1, F8, 0, s_atan, 1602, F8),
    FN("atan2", 2, F8, 0, s_atan2, 1603, F8, F8),
    FN("gcd", 2, I4, 0, s_gcd, 5045, I4, I4),
    FN("gcd", 2, I8, 0, s_gcd, 5046, I8, I8),
    FN("lcm", 2, I4, 0, s_lcm, 5047, I4, I4),
    FN("lcm", 2, I8, 0, s_lcm, 5048, I8, I8),
    FN("width_bucket", 4, I4, 0, s_width_bucket, 320, F8, F8, F8, I4),
};
const size_t pz__fn_math_n = sizeof pz__fn_math / sizeof pz__fn_math[0];
