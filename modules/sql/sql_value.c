/*
 * sql_value.c — SQL errors (pz_sql_err_*), the type table generated from PZ_SQL_TYPES (names,
 * OIDs, lengths, categories, format_type's text) and deep copies of datums.
 *
 * Why here: every part of the SQL layer speaks these; they depend on nothing but the X-macro and
 * the project's error table, so they are the first thing linked and the cheapest to test.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "phantomzero/codec.h"
#include "sql_value.h"

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */

int pz_sql_err_set(pz_sql_err_t *err, const char *state, const char *fmt, ...)
{
    assert(err != NULL && state != NULL && fmt != NULL);
    assert(strlen(state) == 5);
    if (pz_sql_err_is_set(err))
        return PZ_EINVAL;
    memcpy(err->sqlstate, state, 6);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->detail[0] = err->hint[0] = '\0';
    err->position = 0;
    return PZ_EINVAL;
}

void pz_sql_err_detail(pz_sql_err_t *err, const char *fmt, ...)
{
    assert(err != NULL && fmt != NULL);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
}

void pz_sql_err_hint(pz_sql_err_t *err, const char *fmt, ...)
{
    assert(err != NULL && fmt != NULL);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

int pz_sql_err_code(pz_sql_err_t *err, int code, const char *what)
{
    assert(err != NULL);
    assert(code <= 0);
    if (code == 0)
        return 0;
    if (!pz_sql_err_is_set(err)) {
        const char *state = pz_err_sqlstate(code);
        if (what != NULL && what[0] != '\0')
            pz_sql_err_set(err, state, "%s: %s", what, pz_strerror(code));
        else
            pz_sql_err_set(err, state, "%s", pz_strerror(code));
    }
    return code;
}

/* ------------------------------------------------------------------------------------------ */
/* The type table                                                                              */

typedef struct {
    const char *name;
    uint32_t oid;
    uint32_t array_oid;
    int len;
    char category;
} s_tyinfo_t;

static const s_tyinfo_t s_types[PZ_TY_COUNT_] = {
#define S_TY_ROW_(e, n, oid, aoid, len, cat) [PZ_TY_##e] = {n, oid, aoid, len, cat},
    PZ_SQL_TYPES(S_TY_ROW_)
#undef S_TY_ROW_
};

const char *pz_ty_name(pz_ty_t t)
{
    assert((unsigned)t < PZ_TY_COUNT_);
    return s_types[t].name;
}

uint32_t pz_ty_oid(pz_sql_type_t t)
{
    assert(t.id < PZ_TY_COUNT_);
    if (t.id == PZ_TY_ARRAY) {
        assert(t.elem < PZ_TY_COUNT_ && t.elem != PZ_TY_ARRAY);
        if (t.vector) {
            return t.elem == PZ_TY_INT2 ? 22u : 30u; /* int2vector, oidvector */
        }
        return s_types[t.elem].array_oid;
    }
    return s_types[t.id].oid;
}

int pz_ty_len(pz_ty_t t)
{
    assert((unsigned)t < PZ_TY_COUNT_);
    return s_types[t].len;
}

char pz_ty_category(pz_ty_t t)
{
    assert((unsigned)t < PZ_TY_COUNT_);
    return s_types[t].category;
}

bool pz_ty_from_oid(uint32_t oid, pz_sql_type_t *out)
{
    assert(out != NULL);
    if (oid == 0)
        return false;
    for (int i = 0; i < PZ_TY_COUNT_; i++) {
        if (s_types[i].oid == oid) {
            *out = PZ_SQL_TYPE(i);
            return true;
        }
        if (s_types[i].array_oid == oid) {
            *out = PZ_SQL_TYPE(PZ_TY_ARRAY);
            out->elem = (uint8_t)i;
            return true;
        }
    }
    return false;
}

/* The scalar part of format_type(): the name with its typmod where PostgreSQL prints one. */
static void s_format_scalar(pz_ty_t id, int32_t typmod, char *buf, size_t cap)
{
    assert(buf != NULL && cap > 0);
    assert((unsigned)id < PZ_TY_COUNT_);
    switch (id) {
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
        if (typmod >= 4)
            snprintf(buf, cap, "%s(%d)", s_types[id].name, (int)(typmod - 4));
        else
            snprintf(buf, cap, "%s", id == PZ_TY_BPCHAR ? "bpchar" : s_types[id].name);
        return;
    case PZ_TY_NUMERIC:
        if (typmod >= 4) {
            int32_t m = typmod - 4;
            int scale = (int)((m & 0x7ff) ^ 1024) - 1024; /* 11-bit signed, as PostgreSQL 15 */
            snprintf(buf, cap, "numeric(%d,%d)", (int)((m >> 16) & 0xffff), scale);
        } else {
            snprintf(buf, cap, "numeric");
        }
        return;
    case PZ_TY_TIME:
    case PZ_TY_TIMESTAMP:
    case PZ_TY_TIMESTAMPTZ:
        if (typmod >= 0) {
            const char *base = id == PZ_TY_TIME ? "time" : "timestamp";
            const char *tz = id == PZ_TY_TIMESTAMPTZ ? "with" : "without";
            snprintf(buf, cap, "%s(%d) %s time zone", base, (int)typmod, tz);
        } else {
            snprintf(buf, cap, "%s", s_types[id].name);
        }
        return;
    case PZ_TY_INTERVAL:
        if (typmod >= 0 && (typmod & 0xffff) != 0xffff)
            snprintf(buf, cap, "interval(%d)", (int)(typmod & 0xffff));
        else
            snprintf(buf, cap, "interval");
        return;
    default:
        snprintf(buf, cap, "%s", s_types[id].name);
        return;
    }
}

size_t pz_ty_format(pz_sql_type_t t, char *buf, size_t cap)
{
    assert(buf != NULL && cap > 0);
    assert(t.id < PZ_TY_COUNT_);
    if (t.id == PZ_TY_ARRAY) {
        assert(t.elem < PZ_TY_COUNT_ && t.elem != PZ_TY_ARRAY);
        s_format_scalar((pz_ty_t)t.elem, t.typmod, buf, cap);
        size_t n = strlen(buf);
        if (n + 2 < cap) {
            memcpy(buf + n, "[]", 3);
            n += 2;
        }
        return n;
    }
    s_format_scalar((pz_ty_t)t.id, t.typmod, buf, cap);
    return strlen(buf);
}

/* ------------------------------------------------------------------------------------------ */
/* Copies                                                                                      */

static bool s_has_bytes(uint8_t type)
{
    switch (type) {
    case PZ_TY_UNKNOWN:
    case PZ_TY_NUMERIC:
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
    case PZ_TY_BYTEA:
    case PZ_TY_UUID:
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        return true;
    default:
        return false;
    }
}

int pz_datum_copy(pz_arena_t *a, const pz_datum_t *in, pz_datum_t *out)
{
    assert(a != NULL && in != NULL && out != NULL);
    assert(in->type < PZ_TY_COUNT_);
    pz_datum_t d = *in;
    if (d.null) {
        *out = d;
        return 0;
    }
    if (s_has_bytes(d.type) && d.len == 0) {
        d.v.p = (const uint8_t *)""; /* never a view of the source */
    } else if (s_has_bytes(d.type)) {
        assert(d.v.p != NULL);
        uint8_t *p = pz_arena_alloc(a, d.len);
        if (p == NULL)
            return PZ_ENOMEM;
        memcpy(p, d.v.p, d.len);
        d.v.p = p;
    } else if (d.type == PZ_TY_ARRAY && d.v.arr != NULL) {
        const pz_sql_array_t *src = d.v.arr;
        pz_sql_array_t *arr = pz_arena_alloc(a, sizeof *arr);
        if (arr == NULL)
            return PZ_ENOMEM;
        *arr = *src;
        if (src->n > 0) {
            arr->items = pz_arena_alloc(a, sizeof(pz_datum_t) * src->n);
            if (arr->items == NULL)
                return PZ_ENOMEM;
            for (uint32_t i = 0; i < src->n; i++) {
                int rc = pz_datum_copy(a, &src->items[i], &arr->items[i]);
                if (rc != 0)
                    return rc;
            }
        }
        d.v.arr = arr;
    }
    *out = d;
    return 0;
}
