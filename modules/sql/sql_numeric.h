/*
 * sql_numeric.h — PostgreSQL's numeric on GMP: the arithmetic the function library calls
 * (sql_func*.c) and the I/O the type dispatch calls (sql_types*.c).
 *
 * A numeric datum (sql_value.h) holds ASCII "[-]digits", the unscaled integer, and `scale`, the
 * display scale (value = digits * 10^-scale): 1.50 is "150" with scale 2. Special values are the
 * strings "NaN", "Infinity" and "-Infinity" (PostgreSQL 14+ has numeric infinities) with scale 0.
 * Results are canonical: no leading zeros, zero is "0" (never "-0").
 *
 * Every function that makes a value allocates its digits in the arena given and returns 0, or
 * PZ_EINVAL with err set (22003 overflow, 22012 division by zero, 2201F/2201E for power/sqrt
 * domain errors as PostgreSQL) or PZ_ENOMEM (53200). Results are limited to
 * PZ_NUM_DIGITS_MAX digits before and after the point, as PostgreSQL's numeric limits.
 * Thread-safe: no global state.
 */
#ifndef PZ_SQL_NUMERIC_H
#define PZ_SQL_NUMERIC_H

#include "sql_types.h"

/* PostgreSQL: up to 131072 digits before the point, 16383 after. */
#define PZ_NUM_INT_DIGITS_MAX 131072
#define PZ_NUM_SCALE_MAX 16383
/* Significant digits of a division or sqrt result (PostgreSQL's NUMERIC_MIN_SIG_DIGITS; its
 * NUMERIC_MIN_DISPLAY_SCALE is 0); scales are at most 1000 (NUMERIC_MAX_DISPLAY_SCALE). */
#define PZ_NUM_MIN_SIG_DIGITS 16
#define PZ_NUM_MAX_DISPLAY_SCALE 1000

/* numeric(p,s)'s typmod parts: ((p << 16) | (s & 0x7ff)) + 4, s an 11-bit signed value. */
static inline int pz_num_typmod_precision(int32_t typmod)
{
    return (int)(((typmod - 4) >> 16) & 0xffff);
}
static inline int pz_num_typmod_scale(int32_t typmod)
{
    return (int)((((typmod - 4) & 0x7ff) ^ 1024) - 1024);
}

/* numeric_in: whitespace around, sign, digits with an optional point, exponent ("1.5e3"), "NaN",
 * "Infinity"/"inf" spellings; then the typmod (pz_num_apply_typmod). 22P02 on bad syntax. */
int pz_num_in(pz_arena_t *a, const char *s, size_t len, int32_t typmod, pz_datum_t *out,
              pz_sql_err_t *err);
/* numeric_out: "-1.50", "0.001", "NaN", "Infinity". */
void pz_num_out(const pz_datum_t *d, pz_sbuf_t *out);
/* numeric(p,s) coercion: rounds half away from zero to s digits, then 22003 "numeric field
 * overflow" (detail "A field with precision p, scale s must round to an absolute value less
 * than 10^(p-s).") when the integer part needs more than p - s digits. typmod -1: unchanged.
 * Infinity and NaN: NaN passes; infinities fail numeric(p,s) with 22003 as PostgreSQL. */
int pz_num_apply_typmod(pz_arena_t *a, const pz_datum_t *in, int32_t typmod, pz_datum_t *out,
                        pz_sql_err_t *err);

/* Conversions. to_int rounds half away from zero and errors 22003 "<type_name> out of range"
 * outside [min, max] (type_name: "smallint", "integer", "bigint"); NaN: 0A000 "cannot convert
 * NaN to <type_name>", infinity: "cannot convert infinity to <type_name>". from_double: the
 * shortest round-trip digits of v (PostgreSQL's float8_numeric uses DBL_DIG = 15 significant
 * digits; so do we). to_double: the nearest double (NaN/Infinity map to theirs). */
int pz_num_from_int(pz_arena_t *a, int64_t v, pz_datum_t *out, pz_sql_err_t *err);
int pz_num_to_int(const pz_datum_t *d, int64_t min, int64_t max, const char *type_name,
                  int64_t *out, pz_sql_err_t *err);
int pz_num_from_double(pz_arena_t *a, double v, bool is_float4, pz_datum_t *out, pz_sql_err_t *err);
double pz_num_to_double(const pz_datum_t *d);

/* Arithmetic as PostgreSQL's operators. add/sub: scale max(sx, sy); mul: sx + sy; div:
 * PostgreSQL's select_div_scale (16 significant digits, at least max(sx, sy), at most
 * 1000), rounded half away from zero; mod: sign of the dividend, scale max(sx, sy). Division
 * and mod by zero: 22012 "division by zero". NaN in → NaN out (NaN / 0 is NaN). */
int pz_num_add(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err);
int pz_num_sub(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err);
int pz_num_mul(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err);
int pz_num_div(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err);
/* div(x, y): the integer quotient truncated toward zero (scale 0). */
int pz_num_div_trunc(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
                     pz_sql_err_t *err);
int pz_num_mod(pz_arena_t *a, const pz_datum_t *x, const pz_datum_t *y, pz_datum_t *out,
               pz_sql_err_t *err);
int pz_num_neg(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err);
int pz_num_abs(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err);
/* round(x, s) half away from zero / trunc(x, s) toward zero to s digits after the point (s may be
 * negative: round(1234, -2) = 1200); the result's scale is max(s, 0). floor/ceil: scale 0. */
int pz_num_round(pz_arena_t *a, const pz_datum_t *x, int s, pz_datum_t *out, pz_sql_err_t *err);
int pz_num_trunc(pz_arena_t *a, const pz_datum_t *x, int s, pz_datum_t *out, pz_sql_err_t *err);
int pz_num_floor(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err);
int pz_num_ceil(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err);
/* x ^ e for an integer exponent: exact with scale sx * e for e >= 0 (bounded by
 * PZ_NUM_SCALE_MAX, else 22003); for e < 0 1 / x^-e with division's scale rule. 0 ^ negative:
 * 2201F "zero raised to a negative power is undefined". */
int pz_num_power_int(pz_arena_t *a, const pz_datum_t *x, int64_t e, pz_datum_t *out,
                     pz_sql_err_t *err);
/* sqrt with PostgreSQL's result scale (numeric_sqrt: max(16 - weight digits, sx) capped at
 * 1000), rounded; negative: 2201F "cannot take square root of a negative number". */
int pz_num_sqrt(pz_arena_t *a, const pz_datum_t *x, pz_datum_t *out, pz_sql_err_t *err);

/* -1, 0, 1 (NaN: 0 with *nan... callers test pz_num_is_nan first). */
int pz_num_sign(const pz_datum_t *d);
bool pz_num_is_nan(const pz_datum_t *d);
/* Total order: -Infinity < numbers < Infinity < NaN; NaN = NaN; 1.0 = 1.00. */
int pz_num_cmp(const pz_datum_t *x, const pz_datum_t *y);
/* Equal values (of any display scale) hash equal. */
uint64_t pz_num_hash(const pz_datum_t *d, uint64_t seed);

/* PostgreSQL's binary numeric (numeric_send/recv): ndigits, weight, sign, dscale, base-10000
 * digits, all int16 big-endian. recv checks every field (22P03 "invalid binary representation"
 * style messages as PostgreSQL's: "invalid length in external \"numeric\" value", ...). */
void pz_num_send(const pz_datum_t *d, pz_sbuf_t *out);
int pz_num_recv(pz_arena_t *a, const uint8_t *p, size_t len, int32_t typmod, pz_datum_t *out,
                pz_sql_err_t *err);

#endif
