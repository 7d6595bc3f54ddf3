/*
 * sql_types_bin.c — binary send/recv (pgwire format code 1) as PostgreSQL 15's typsend and
 * typreceive functions: big-endian integers, IEEE floats, raw text and bytea, date as int32 days
 * since 2000-01-01, time/timestamp(tz) as int64 µs, interval as µs/days/months, uuid's 16 bytes,
 * oid as uint32, numeric's base-10000 form (sql_numeric.c), json as text, jsonb as a version
 * byte 1 and text, arrays as array_send (sql_array.c).
 *
 * Why every read is checked: recv parses bytes a client sent. A value shorter than its type
 * needs is PostgreSQL's 08P01 "insufficient data left in message"; bytes left over are 22P03
 * "incorrect binary data format" (PostgreSQL adds "in bind parameter N": the caller knows N);
 * values outside the type's range are the errors PostgreSQL's recv functions raise.
 */
#include <assert.h>
#include <string.h>

#include "sql_numeric.h"
#include "sql_types_int.h"

/* PostgreSQL's valid ranges (IS_VALID_DATE, IS_VALID_TIMESTAMP): days since 2000-01-01 in
 * [-2451545, 2145031949), µs in [-211813488000000000, 9223371331200000000). */
#define S_DATE_MIN (-2451545LL)
#define S_DATE_END 2145031949LL
#define S_TS_MIN (-211813488000000000LL)
#define S_TS_END 9223371331200000000LL
#define S_USECS_PER_DAY 86400000000LL

/* ------------------------------------------------------------------------------------------ */
/* Reading and writing big-endian values                                                       */

void pz__bin_put_u32(pz_sbuf_t *out, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    pz_sbuf_put(out, b, 4);
}

static void s_put_u64(pz_sbuf_t *out, uint64_t v)
{
    pz__bin_put_u32(out, (uint32_t)(v >> 32));
    pz__bin_put_u32(out, (uint32_t)v);
}

static void s_put_u16(pz_sbuf_t *out, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    pz_sbuf_put(out, b, 2);
}

int pz__bin_get(pz__bin_t *r, size_t n, const uint8_t **p, pz_sql_err_t *err)
{
    assert(r != NULL && p != NULL);
    if (n > r->len - r->pos)
        return pz_sql_err_set(err, "08P01", "insufficient data left in message");
    *p = r->p + r->pos;
    r->pos += n;
    return 0;
}

int pz__bin_get_u32(pz__bin_t *r, uint32_t *v, pz_sql_err_t *err)
{
    const uint8_t *p = NULL;
    if (pz__bin_get(r, 4, &p, err) != 0)
        return PZ_EINVAL;
    *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return 0;
}

static int s_get_u64(pz__bin_t *r, uint64_t *v, pz_sql_err_t *err)
{
    uint32_t hi, lo;
    if (pz__bin_get_u32(r, &hi, err) != 0 || pz__bin_get_u32(r, &lo, err) != 0)
        return PZ_EINVAL;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

static int s_get_u16(pz__bin_t *r, uint16_t *v, pz_sql_err_t *err)
{
    const uint8_t *p = NULL;
    if (pz__bin_get(r, 2, &p, err) != 0)
        return PZ_EINVAL;
    *v = (uint16_t)(p[0] << 8 | p[1]);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Send                                                                                        */

bool pz_ty_has_binary(pz_sql_type_t t)
{
    assert(t.id < PZ_TY_COUNT_);
    switch (t.id) {
    case PZ_TY_VOID:
    case PZ_TY_RECORD:
        return false;
    case PZ_TY_ARRAY:
        return t.elem != PZ_TY_ARRAY && t.elem < PZ_TY_COUNT_ &&
               pz_ty_has_binary(PZ_SQL_TYPE(t.elem));
    default:
        return true;
    }
}

static void s_send_dt(const pz_datum_t *d, pz_sbuf_t *out)
{
    switch (d->type) {
    case PZ_TY_DATE:
        pz__bin_put_u32(out, (uint32_t)(int32_t)d->v.i);
        return;
    case PZ_TY_INTERVAL:
        s_put_u64(out, (uint64_t)d->v.iv.us);
        pz__bin_put_u32(out, (uint32_t)d->v.iv.days);
        pz__bin_put_u32(out, (uint32_t)d->v.iv.months);
        return;
    default: /* TIME, TIMESTAMP, TIMESTAMPTZ */
        s_put_u64(out, (uint64_t)d->v.i);
        return;
    }
}

void pz_datum_to_binary(const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(d != NULL && out != NULL);
    assert(!d->null && d->type < PZ_TY_COUNT_);
    switch (d->type) {
    case PZ_TY_BOOL:
        pz_sbuf_putc(out, d->v.b ? 1 : 0);
        return;
    case PZ_TY_CHAR:
        pz_sbuf_putc(out, (char)(uint8_t)d->v.i);
        return;
    case PZ_TY_INT2:
        s_put_u16(out, (uint16_t)(int16_t)d->v.i);
        return;
    case PZ_TY_INT4:
    case PZ_TY_OID:
    case PZ_TY_REGCLASS:
    case PZ_TY_REGTYPE:
    case PZ_TY_REGPROC:
    case PZ_TY_REGNAMESPACE:
    case PZ_TY_REGROLE:
        pz__bin_put_u32(out, (uint32_t)d->v.i);
        return;
    case PZ_TY_INT8:
        s_put_u64(out, (uint64_t)d->v.i);
        return;
    case PZ_TY_FLOAT4: {
        float f = (float)d->v.f;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        pz__bin_put_u32(out, bits);
        return;
    }
    case PZ_TY_FLOAT8: {
        uint64_t bits;
        memcpy(&bits, &d->v.f, 8);
        s_put_u64(out, bits);
        return;
    }
    case PZ_TY_NUMERIC:
        pz_num_send(d, out);
        return;
    case PZ_TY_DATE:
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
    case PZ_TY_INTERVAL:
        s_send_dt(d, out);
        return;
    case PZ_TY_JSONB:
        pz_sbuf_putc(out, 1); /* jsonb's binary format version */
        pz_sbuf_put(out, d->v.p, d->len);
        return;
    case PZ_TY_ARRAY:
        pz__array_send(d, out);
        return;
    default: /* text types, bytea, uuid, json: their bytes */
        assert(d->type != PZ_TY_VOID && d->type != PZ_TY_RECORD);
        pz_sbuf_put(out, d->v.p, d->len);
        return;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Receive                                                                                     */

static int s_recv_int(pz__bin_t *r, pz_ty_t t, pz_datum_t *out, pz_sql_err_t *err)
{
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    switch (t) {
    case PZ_TY_INT2:
        if (s_get_u16(r, &u16, err) != 0)
            return PZ_EINVAL;
        *out = pz_datum_int(t, (int16_t)u16);
        return 0;
    case PZ_TY_INT4:
        if (pz__bin_get_u32(r, &u32, err) != 0)
            return PZ_EINVAL;
        *out = pz_datum_int(t, (int32_t)u32);
        return 0;
    case PZ_TY_INT8:
        if (s_get_u64(r, &u64, err) != 0)
            return PZ_EINVAL;
        *out = pz_datum_int(t, (int64_t)u64);
        return 0;
    default: /* oid family: unsigned */
        if (pz__bin_get_u32(r, &u32, err) != 0)
            return PZ_EINVAL;
        *out = pz_datum_int(t, (int64_t)u32);
        return 0;
    }
}

static int s_recv_float(pz__bin_t *r, pz_ty_t t, pz_datum_t *out, pz_sql_err_t *err)
{
    if (t == PZ_TY_FLOAT4) {
        uint32_t bits;
        float f;
        if (pz__bin_get_u32(r, &bits, err) != 0)
            return PZ_EINVAL;
        memcpy(&f, &bits, 4);
        *out = pz_datum_float(t, (double)f);
        return 0;
    }
    uint64_t bits;
    double f;
    if (s_get_u64(r, &bits, err) != 0)
        return PZ_EINVAL;
    memcpy(&f, &bits, 8);
    *out = pz_datum_float(t, f);
    return 0;
}

static int s_recv_dt(pz__bin_t *r, pz_sql_type_t t, pz_datum_t *out, pz_sql_err_t *err)
{
    uint32_t u32, days, months;
    uint64_t u64;
    if (t.id == PZ_TY_DATE) {
        if (pz__bin_get_u32(r, &u32, err) != 0)
            return PZ_EINVAL;
        int64_t d = (int32_t)u32;
        if (d != INT32_MIN && d != INT32_MAX && (d < S_DATE_MIN || d >= S_DATE_END))
            return pz_sql_err_set(err, "22008", "date out of range");
        *out = pz_datum_int(PZ_TY_DATE, d);
        return 0;
    }
    if (s_get_u64(r, &u64, err) != 0)
        return PZ_EINVAL;
    int64_t v = (int64_t)u64;
    if (t.id == PZ_TY_INTERVAL) {
        if (pz__bin_get_u32(r, &days, err) != 0 || pz__bin_get_u32(r, &months, err) != 0)
            return PZ_EINVAL;
        *out = (pz_datum_t){.type = PZ_TY_INTERVAL};
        out->v.iv.us = v;
        out->v.iv.days = (int32_t)days;
        out->v.iv.months = (int32_t)months;
        return 0;
    }
    if (t.id == PZ_TY_TIME && (v < 0 || v > S_USECS_PER_DAY))
        return pz_sql_err_set(err, "22008", "time out of range");
    if (t.id != PZ_TY_TIME && v != INT64_MIN && v != INT64_MAX && (v < S_TS_MIN || v >= S_TS_END))
        return pz_sql_err_set(err, "22008", "timestamp out of range");
    *out = pz_datum_int((pz_ty_t)t.id, v);
    return 0;
}

/* Text-like values: the rest of the message, checked as UTF-8 and typmod (varchar(n) 22001,
 * char(n) pads); name refuses 64 bytes or more as namerecv (42622). */
static int s_recv_text(pz_arena_t *a, pz__bin_t *r, pz_sql_type_t t, pz_datum_t *out,
                       pz_sql_err_t *err)
{
    const uint8_t *p = NULL;
    size_t n = r->len - r->pos;
    if (pz__bin_get(r, n, &p, err) != 0)
        return PZ_EINVAL;
    if (t.id == PZ_TY_NAME && n > PZ__NAME_BYTES_MAX) {
        int rc = pz_sql_err_set(err, "42622", "identifier too long");
        pz_sql_err_detail(err, "Identifier must be less than %d characters.",
                          PZ__NAME_BYTES_MAX + 1);
        return rc;
    }
    return pz__text_make(a, (pz_ty_t)t.id, t.typmod, p, n, false, out, err);
}

/* Raw bytes of a fixed (uuid: 16) or any length, copied into the arena. */
static int s_recv_bytes(pz_arena_t *a, pz__bin_t *r, pz_ty_t t, size_t n, pz_datum_t *out,
                        pz_sql_err_t *err)
{
    const uint8_t *p = NULL;
    if (pz__bin_get(r, n, &p, err) != 0)
        return PZ_EINVAL;
    uint8_t *q = pz_arena_alloc(a, n + 1);
    if (q == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    if (n > 0)
        memcpy(q, p, n);
    *out = pz_datum_bytes(t, q, (uint32_t)n);
    return 0;
}

static int s_recv_json(pz_arena_t *a, pz__bin_t *r, bool jsonb, pz_datum_t *out, pz_sql_err_t *err)
{
    const uint8_t *p = NULL;
    if (jsonb) {
        if (pz__bin_get(r, 1, &p, err) != 0)
            return PZ_EINVAL;
        if (p[0] != 1)
            return pz_sql_err_set(err, "XX000", "unsupported jsonb version number %d", p[0]);
    }
    size_t n = r->len - r->pos;
    if (pz__bin_get(r, n, &p, err) != 0)
        return PZ_EINVAL;
    pz_datum_t text;
    if (pz__text_make(a, PZ_TY_TEXT, -1, p, n, false, &text, err) != 0)
        return PZ_EINVAL;
    return pz__json_in(a, jsonb, (const char *)text.v.p, text.len, out, err);
}

/* One value of type t from r (which may hold more: the caller checks what is left). */
int pz__bin_recv(pz_arena_t *a, pz_sql_type_t t, pz__bin_t *r, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && r != NULL && out != NULL && t.id < PZ_TY_COUNT_);
    const uint8_t *p = NULL;
    switch (t.id) {
    case PZ_TY_BOOL:
    case PZ_TY_CHAR:
        if (pz__bin_get(r, 1, &p, err) != 0)
            return PZ_EINVAL;
        *out = t.id == PZ_TY_BOOL ? pz_datum_bool(p[0] != 0) : pz_datum_int(PZ_TY_CHAR, p[0]);
        return 0;
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        return s_recv_float(r, (pz_ty_t)t.id, out, err);
    case PZ_TY_NUMERIC: {
        size_t n = r->len - r->pos;
        if (pz__bin_get(r, n, &p, err) != 0)
            return PZ_EINVAL;
        return pz_num_recv(a, p, n, t.typmod, out, err);
    }
    case PZ_TY_DATE:
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
    case PZ_TY_INTERVAL:
        return s_recv_dt(r, t, out, err);
    case PZ_TY_BYTEA:
        return s_recv_bytes(a, r, PZ_TY_BYTEA, r->len - r->pos, out, err);
    case PZ_TY_UUID:
        return s_recv_bytes(a, r, PZ_TY_UUID, 16, out, err);
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        return s_recv_json(a, r, t.id == PZ_TY_JSONB, out, err);
    case PZ_TY_ARRAY:
        return pz__array_recv(a, t, r, out, err);
    case PZ_TY_VOID:
    case PZ_TY_RECORD:
        return pz_sql_err_set(err, "0A000", "binary format is not supported for type %s",
                              pz_ty_name((pz_ty_t)t.id));
    default:
        if (pz__ty_is_text((pz_ty_t)t.id))
            return s_recv_text(a, r, t, out, err);
        return s_recv_int(r, (pz_ty_t)t.id, out, err);
    }
}

int pz_datum_from_binary(pz_arena_t *a, pz_sql_type_t t, const uint8_t *p, size_t len,
                         pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && err != NULL && (p != NULL || len == 0));
    assert(t.id < PZ_TY_COUNT_);
    pz__bin_t r = {.p = p, .len = len, .pos = 0};
    if (pz__bin_recv(a, t, &r, out, err) != 0)
        return PZ_EINVAL;
    if (r.pos != r.len)
        return pz_sql_err_set(err, "22P03", "incorrect binary data format");
    return 0;
}
