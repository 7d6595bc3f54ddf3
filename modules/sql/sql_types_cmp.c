/*
 * sql_types_cmp.c — the total order and the hash of datums (pz_datum_cmp, pz_datum_hash), the
 * two functions sorting, grouping, joins, DISTINCT and indexes rely on.
 *
 * Why one place: the hash must agree with the order (equal datums hash equal: 1::int4 and
 * 1::int8, 1.0 and 1.00, 'a'::char(3) and 'a'), which is easiest to keep true side by side.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "sql_datetime.h"
#include "sql_json.h"
#include "sql_numeric.h"
#include "sql_types_int.h"

static int s_cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int s_cmp_f64(double a, double b)
{
    if (isnan(a))
        return isnan(b) ? 0 : 1;
    if (isnan(b))
        return -1;
    return a < b ? -1 : a > b;
}

static int s_cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

/* Text bytes as compared: a bpchar's trailing spaces do not count. */
static size_t s_text_len(const pz_datum_t *d)
{
    return d->type == PZ_TY_BPCHAR ? pz__bpchar_len(d->v.p, d->len) : d->len;
}

/* Interval's comparable span: months as 30 days, in µs (128-bit to avoid overflow). */
static __int128 s_iv_span(const pz_datum_t *d)
{
    return ((__int128)d->v.iv.months * 30 + d->v.iv.days) * (__int128)86400000000LL + d->v.iv.us;
}

static int s_cmp_array(const pz_datum_t *a, const pz_datum_t *b)
{
    const pz_sql_array_t *x = a->v.arr, *y = b->v.arr;
    assert(x != NULL && y != NULL);
    uint32_t n = x->n < y->n ? x->n : y->n;
    for (uint32_t i = 0; i < n; i++) {
        const pz_datum_t *p = &x->items[i], *q = &y->items[i];
        /* NULL elements sort after everything and equal each other (array_cmp). */
        if (p->null || q->null) {
            if (p->null != q->null)
                return p->null ? 1 : -1;
            continue;
        }
        int c = pz_datum_cmp(p, q);
        if (c != 0)
            return c;
    }
    return x->n < y->n ? -1 : x->n > y->n;
}

int pz_datum_cmp(const pz_datum_t *a, const pz_datum_t *b)
{
    assert(a != NULL && b != NULL);
    assert(!a->null && !b->null && a->type < PZ_TY_COUNT_ && b->type < PZ_TY_COUNT_);
    pz_ty_t t = (pz_ty_t)a->type;
    if (pz__ty_is_text(t)) {
        assert(pz__ty_is_text((pz_ty_t)b->type));
        return s_cmp_bytes(a->v.p, s_text_len(a), b->v.p, s_text_len(b));
    }
    if (pz__ty_is_int(t) || t == PZ_TY_CHAR) {
        assert(pz__ty_is_int((pz_ty_t)b->type) || b->type == PZ_TY_CHAR);
        return s_cmp_i64(a->v.i, b->v.i);
    }
    switch (t) {
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        assert(b->type == PZ_TY_FLOAT4 || b->type == PZ_TY_FLOAT8);
        return s_cmp_f64(a->v.f, b->v.f);
    case PZ_TY_BOOL:
        return (int)a->v.b - (int)b->v.b;
    case PZ_TY_NUMERIC:
        return pz_num_cmp(a, b);
    case PZ_TY_DATE:
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
        assert(b->type == t);
        return s_cmp_i64(a->v.i, b->v.i);
    case PZ_TY_INTERVAL: {
        __int128 x = s_iv_span(a), y = s_iv_span(b);
        return x < y ? -1 : x > y;
    }
    case PZ_TY_ARRAY:
        return s_cmp_array(a, b);
    case PZ_TY_JSONB: /* jsonb's own order: 1.0 = 1.00, objects by size first (sql_json.c) */
        return pz_json_cmp_text(a->v.p, a->len, b->v.p, b->len);
    default: /* bytea, uuid, json (which has no equality in PostgreSQL): bytewise */
        return s_cmp_bytes(a->v.p, a->len, b->v.p, b->len);
    }
}

uint64_t pz_datum_hash(const pz_datum_t *d, uint64_t seed)
{
    assert(d != NULL && d->type < PZ_TY_COUNT_);
    if (d->null)
        return pz__hash_u64(0x6e756c6c, seed);
    pz_ty_t t = (pz_ty_t)d->type;
    if (pz__ty_is_text(t))
        return pz__hash_bytes(d->v.p, s_text_len(d), seed);
    if (pz__ty_is_int(t) || t == PZ_TY_CHAR)
        return pz__hash_u64((uint64_t)d->v.i, seed);
    switch (t) {
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8: {
        double f = d->v.f == 0.0 ? 0.0 : d->v.f; /* -0 equals 0 */
        if (isnan(f))
            return pz__hash_u64(0x7ff8000000000000ull, seed);
        uint64_t bits;
        memcpy(&bits, &f, sizeof bits);
        return pz__hash_u64(bits, seed);
    }
    case PZ_TY_BOOL:
        return pz__hash_u64(d->v.b, seed);
    case PZ_TY_NUMERIC:
        return pz_num_hash(d, seed);
    case PZ_TY_DATE:
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
        return pz__hash_u64((uint64_t)d->v.i, seed);
    case PZ_TY_INTERVAL: {
        __int128 s = s_iv_span(d);
        return pz__hash_u64((uint64_t)(s >> 64), pz__hash_u64((uint64_t)s, seed));
    }
    case PZ_TY_ARRAY: {
        uint64_t h = pz__hash_u64(d->v.arr->n, seed);
        for (uint32_t i = 0; i < d->v.arr->n; i++)
            h = pz_datum_hash(&d->v.arr->items[i], h);
        return h;
    }
    case PZ_TY_JSONB:
        return pz_json_hash_text(d->v.p, d->len, seed);
    default:
        return pz__hash_bytes(d->v.p, d->len, seed);
    }
}
