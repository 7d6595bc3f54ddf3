/*
 * sql_types_cast.c — performing casts (pz_datum_cast): numeric conversions with PostgreSQL's
 * range checks and rounding, text ↔ anything through the I/O functions, typmod coercions
 * (varchar(n), char(n), numeric(p,s)), bool ↔ int4, json ↔ jsonb, arrays element by element;
 * date/time casts are sql_datetime.c's.
 *
 * Why the explicit/assignment distinction matters here: PostgreSQL's varchar(n) length coercion
 * truncates silently under CAST but errors 22001 on INSERT, and clients see the difference.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sql_datetime.h"
#include "sql_numeric.h"
#include "sql_types_int.h"

static bool s_is_num(pz_ty_t t)
{
    return pz__ty_is_int(t) || t == PZ_TY_FLOAT4 || t == PZ_TY_FLOAT8 || t == PZ_TY_NUMERIC;
}

static bool s_is_dt(pz_ty_t t)
{
    return t == PZ_TY_DATE || t == PZ_TY_TIME || t == PZ_TY_TIMESTAMP || t == PZ_TY_TIMESTAMPTZ ||
           t == PZ_TY_INTERVAL;
}

static int s_int_range(pz_ty_t to, int64_t v, pz_datum_t *out, pz_sql_err_t *err)
{
    int64_t min = INT64_MIN, max = INT64_MAX;
    const char *name = "bigint";
    if (to == PZ_TY_INT2) {
        min = INT16_MIN, max = INT16_MAX, name = "smallint";
    } else if (to == PZ_TY_INT4) {
        min = INT32_MIN, max = INT32_MAX, name = "integer";
    } else if (to != PZ_TY_INT8) { /* oid family: int8 → oid checks the unsigned range */
        if (v < INT32_MIN || v > (int64_t)UINT32_MAX)
            return pz_sql_err_set(err, "22003", "OID out of range");
        *out = pz_datum_int(to, (int64_t)(uint32_t)v);
        return 0;
    }
    if (v < min || v > max)
        return pz_sql_err_set(err, "22003", "%s out of range", name);
    *out = pz_datum_int(to, v);
    return 0;
}

static const char *s_int_name(pz_ty_t t)
{
    return t == PZ_TY_INT2 ? "smallint" : t == PZ_TY_INT4 ? "integer" : "bigint";
}

/* float → int: rint (half to even), range checked as PostgreSQL's dtoi4 and friends. */
static int s_float_to_int(double f, pz_ty_t to, pz_datum_t *out, pz_sql_err_t *err)
{
    f = rint(f);
    /* The exact bounds: -2^63 is representable, 2^63 is not. */
    if (isnan(f) || f < -9223372036854775808.0 || f >= 9223372036854775808.0)
        return pz_sql_err_set(err, "22003", "%s out of range", s_int_name(to));
    return s_int_range(to, (int64_t)f, out, err);
}

static int s_to_float(pz_ty_t to, double f, bool from_float8, pz_datum_t *out, pz_sql_err_t *err)
{
    if (to == PZ_TY_FLOAT4 && from_float8) {
        float g = (float)f;
        if (isinf(g) && !isinf(f))
            return pz_sql_err_set(err, "22003", "value out of range: overflow");
        if (g == 0.0f && f != 0.0)
            return pz_sql_err_set(err, "22003", "value out of range: underflow");
    }
    *out = pz_datum_float(to, to == PZ_TY_FLOAT4 ? (double)(float)f : f);
    return 0;
}

/* Among INT2/4/8, OID/REG*, FLOAT4/8 and NUMERIC. */
static int s_cast_num(pz_arena_t *a, const pz_datum_t *in, pz_sql_type_t to, pz_datum_t *out,
                      pz_sql_err_t *err)
{
    pz_ty_t from = (pz_ty_t)in->type, t = (pz_ty_t)to.id;
    if (pz__ty_is_int(from)) {
        if (pz__ty_is_int(t))
            return s_int_range(t, in->v.i, out, err);
        if (t == PZ_TY_NUMERIC)
            return pz_num_from_int(a, in->v.i, out, err);
        return s_to_float(t, (double)in->v.i, false, out, err);
    }
    if (from == PZ_TY_FLOAT4 || from == PZ_TY_FLOAT8) {
        if (pz__ty_is_int(t))
            return s_float_to_int(in->v.f, t, out, err);
        if (t == PZ_TY_NUMERIC)
            return pz_num_from_double(a, in->v.f, from == PZ_TY_FLOAT4, out, err);
        return s_to_float(t, in->v.f, from == PZ_TY_FLOAT8, out, err);
    }
    assert(from == PZ_TY_NUMERIC);
    if (t == PZ_TY_NUMERIC) {
        *out = *in;
        return 0;
    }
    if (pz__ty_is_int(t)) {
        int64_t v;
        const char *name =
            pz__ty_is_int(t) && t >= PZ_TY_INT2 && t <= PZ_TY_INT8 ? s_int_name(t) : "bigint";
        if (pz_num_to_int(in, INT64_MIN, INT64_MAX, name, &v, err) != 0)
            return PZ_EINVAL;
        return s_int_range(t, v, out, err);
    }
    double f = pz_num_to_double(in);
    bool finite = in->len > 0 && (in->v.p[0] == '-' ? in->len > 1 && in->v.p[1] != 'I'
                                                    : in->v.p[0] >= '0' && in->v.p[0] <= '9');
    if (isinf(f) && finite)
        return pz_sql_err_set(err, "22003", "value out of range: overflow");
    return s_to_float(t, f, true, out, err);
}

/* The text a cast to a string type starts from: bool as "true"/"false" (booltext), a bpchar
 * without its padding (rtrim when leaving char(n)), everything else its output function. */
static int s_as_text(pz_arena_t *a, const pz_sql_tyenv_t *env, const pz_datum_t *in, pz_ty_t to,
                     const uint8_t **p, uint32_t *len, pz_sql_err_t *err)
{
    if (pz__ty_is_text((pz_ty_t)in->type)) {
        *p = in->v.p;
        *len = in->len;
        if (in->type == PZ_TY_BPCHAR && to != PZ_TY_BPCHAR)
            *len = (uint32_t)pz__bpchar_len(in->v.p, in->len);
        return 0;
    }
    if (in->type == PZ_TY_BOOL) {
        *p = (const uint8_t *)(in->v.b ? "true" : "false");
        *len = in->v.b ? 4 : 5;
        return 0;
    }
    pz_sbuf_t b = {0};
    pz_datum_to_text(env, in, &b);
    int rc = pz__sbuf_to_arena(a, &b, p, len, err);
    pz_sbuf_free(&b);
    return rc;
}

static int s_cast_array(pz_arena_t *a, const pz_sql_tyenv_t *env, const pz_datum_t *in,
                        pz_sql_type_t to, pz_cast_ctx_t ctx, pz_datum_t *out, pz_sql_err_t *err)
{
    const pz_sql_array_t *src = in->v.arr;
    assert(src != NULL);
    pz_sql_array_t *arr = pz_arena_alloc(a, sizeof *arr);
    pz_datum_t *items = src->n ? pz_arena_alloc(a, sizeof(pz_datum_t) * src->n) : NULL;
    if (arr == NULL || (src->n > 0 && items == NULL))
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    pz_sql_type_t et = {.id = to.elem, .elem = 0, .typmod = to.typmod};
    for (uint32_t i = 0; i < src->n; i++) {
        if (pz_datum_cast(a, env, &src->items[i], et, ctx, &items[i], err) != 0)
            return PZ_EINVAL;
    }
    arr->elem = to.elem;
    arr->n = src->n;
    arr->items = items;
    *out = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = arr};
    return 0;
}

/* The same type with another typmod: varchar(n)/char(n) length, numeric(p,s), time precision. */
static int s_coerce_typmod(pz_arena_t *a, const pz_sql_tyenv_t *env, const pz_datum_t *in,
                           pz_sql_type_t to, pz_cast_ctx_t ctx, pz_datum_t *out, pz_sql_err_t *err)
{
    switch (to.id) {
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
        if (to.typmod < 0 && to.id != PZ_TY_NAME) {
            *out = *in;
            return 0;
        }
        return pz__text_make(a, (pz_ty_t)to.id, to.typmod, in->v.p, in->len,
                             ctx == PZ_CAST_EXPLICIT, out, err);
    case PZ_TY_NUMERIC:
        return pz_num_apply_typmod(a, in, to.typmod, out, err);
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
    case PZ_TY_INTERVAL:
        if (to.typmod < 0) {
            *out = *in;
            return 0;
        }
        return pz_dt_cast(env, in, to, out, err);
    case PZ_TY_ARRAY:
        return s_cast_array(a, env, in, to, ctx, out, err);
    default:
        *out = *in;
        return 0;
    }
}

static int s_no_cast(pz_sql_type_t from, pz_sql_type_t to, pz_sql_err_t *err)
{
    char x[96], y[96];
    pz_ty_format(from, x, sizeof x);
    pz_ty_format(to, y, sizeof y);
    return pz_sql_err_set(err, "42846", "cannot cast type %s to %s", x, y);
}

/* Casts between different types that are neither text-like nor the same. */
static int s_cast_other(pz_arena_t *a, const pz_sql_tyenv_t *env, const pz_datum_t *in,
                        pz_sql_type_t from, pz_sql_type_t to, pz_cast_ctx_t ctx, pz_datum_t *out,
                        pz_sql_err_t *err)
{
    pz_ty_t f = (pz_ty_t)from.id, t = (pz_ty_t)to.id;
    if (s_is_num(f) && s_is_num(t))
        return s_cast_num(a, in, to, out, err);
    if (f == PZ_TY_BOOL && t == PZ_TY_INT4) {
        *out = pz_datum_int(PZ_TY_INT4, in->v.b);
        return 0;
    }
    if (f == PZ_TY_INT4 && t == PZ_TY_BOOL) {
        *out = pz_datum_bool(in->v.i != 0);
        return 0;
    }
    if (f == PZ_TY_INT4 && t == PZ_TY_CHAR) {
        if (in->v.i < -128 || in->v.i > 127)
            return pz_sql_err_set(err, "22003", "\"char\" out of range");
        *out = pz_datum_int(PZ_TY_CHAR, (uint8_t)(int8_t)in->v.i);
        return 0;
    }
    if (f == PZ_TY_CHAR && t == PZ_TY_INT4) {
        *out = pz_datum_int(PZ_TY_INT4, (int8_t)(uint8_t)in->v.i);
        return 0;
    }
    if (s_is_dt(f) && s_is_dt(t))
        return pz_dt_cast(env, in, to, out, err);
    if ((f == PZ_TY_JSON && t == PZ_TY_JSONB) || (f == PZ_TY_JSONB && t == PZ_TY_JSON))
        return pz__json_in(a, t == PZ_TY_JSONB, (const char *)in->v.p, in->len, out, err);
    if (f == PZ_TY_JSONB && (s_is_num(t) || t == PZ_TY_BOOL)) {
        /* jsonb scalars: the normalized text of a number or boolean is its input form. */
        bool is_bool = in->len > 0 && (in->v.p[0] == 't' || in->v.p[0] == 'f');
        bool is_num =
            in->len > 0 && (in->v.p[0] == '-' || (in->v.p[0] >= '0' && in->v.p[0] <= '9'));
        if ((t == PZ_TY_BOOL && !is_bool) || (t != PZ_TY_BOOL && !is_num))
            return pz_sql_err_set(err, "22023", "cannot cast jsonb %s to type %s",
                                  in->len == 0        ? "null"
                                  : in->v.p[0] == '"' ? "string"
                                  : in->v.p[0] == '{' ? "object"
                                  : in->v.p[0] == '[' ? "array"
                                  : in->v.p[0] == 'n' ? "null"
                                  : is_bool           ? "boolean"
                                                      : "numeric",
                                  pz_ty_name(t));
        if (t == PZ_TY_BOOL)
            return pz_datum_from_text(a, env, to, (const char *)in->v.p, in->len, out, err);
        /* Through numeric, as PostgreSQL's jsonb_int4 & co: '2.5'::jsonb::int = 3. */
        pz_datum_t num;
        if (pz_num_in(a, (const char *)in->v.p, in->len, -1, &num, err) != 0)
            return PZ_EINVAL;
        return t == PZ_TY_NUMERIC ? (*out = num, 0) : s_cast_num(a, &num, to, out, err);
    }
    if (f == PZ_TY_ARRAY && t == PZ_TY_ARRAY)
        return s_cast_array(a, env, in, to, ctx, out, err);
    return s_no_cast(from, to, err);
}

int pz_datum_cast(pz_arena_t *a, const pz_sql_tyenv_t *env, const pz_datum_t *in, pz_sql_type_t to,
                  pz_cast_ctx_t ctx, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && env != NULL && in != NULL && out != NULL && err != NULL);
    assert(in->type < PZ_TY_COUNT_ && to.id < PZ_TY_COUNT_ && ctx <= PZ_CAST_EXPLICIT);
    if (in->null) {
        *out = pz_datum_null((pz_ty_t)to.id);
        return 0;
    }
    pz_sql_type_t from = PZ_SQL_TYPE(in->type);
    if (in->type == PZ_TY_ARRAY)
        from.elem = in->v.arr != NULL ? in->v.arr->elem : 0;
    if (!pz_ty_can_cast(from, to, ctx))
        return s_no_cast(from, to, err);
    pz_ty_t f = (pz_ty_t)from.id, t = (pz_ty_t)to.id;
    if (f == t && (f != PZ_TY_ARRAY || from.elem == to.elem))
        return s_coerce_typmod(a, env, in, to, ctx, out, err);
    if (pz__ty_is_text(t) && t != PZ_TY_UNKNOWN) {
        const uint8_t *p;
        uint32_t len;
        if (s_as_text(a, env, in, t, &p, &len, err) != 0)
            return PZ_EINVAL;
        return pz__text_make(a, t, to.typmod, p, len, ctx == PZ_CAST_EXPLICIT, out, err);
    }
    if (pz__ty_is_text(f)) {
        size_t len = in->len;
        if (f == PZ_TY_BPCHAR)
            len = pz__bpchar_len(in->v.p, len);
        return pz_datum_from_text(a, env, to, (const char *)in->v.p, len, out, err);
    }
    if (t == PZ_TY_UNKNOWN)
        return s_no_cast(from, to, err);
    pz_datum_t mid;
    if (s_cast_other(a, env, in, from, to, ctx, &mid, err) != 0)
        return PZ_EINVAL;
    if (to.typmod >= 0 && mid.type == t)
        return s_coerce_typmod(a, env, &mid, to, ctx, out, err);
    *out = mid;
    return 0;
}
