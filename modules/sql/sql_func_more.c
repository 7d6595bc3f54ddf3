/*
 * sql_func_more.c — everyday functions beyond the first tables: array construction and search
 * (array_append/prepend/cat/position/remove, string_to_array, array || array / element),
 * regexp_replace, gen_random_uuid, encode/decode (hex, base64). (log(b, x) is numeric in
 * PostgreSQL, with its own precision rules: not here yet.)
 */
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "sql_func_int.h"

static int s_array(pz_sql_fnctx_t *ctx, uint8_t elem, uint32_t n, pz_datum_t *items,
                   pz_datum_t *out)
{
    pz_sql_array_t *a = (pz_sql_array_t *)pz__fn_alloc(ctx, sizeof *a);
    if (a == NULL) {
        return pz__fn_oom(ctx);
    }
    a->elem = elem;
    a->n = n;
    a->items = items;
    *out = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = a};
    return 0;
}

/* Elements of a (possibly NULL) array and one more slot. */
static pz_datum_t *s_items(pz_sql_fnctx_t *ctx, const pz_datum_t *arr, uint32_t extra, uint32_t *n)
{
    *n = arr->null ? 0 : arr->v.arr->n;
    pz_datum_t *it = (pz_datum_t *)pz__fn_alloc(ctx, sizeof *it * (*n + extra + 1));
    if (it != NULL && *n > 0) {
        memcpy(it, arr->v.arr->items, sizeof *it * *n);
    }
    return it;
}

static uint8_t s_elem(pz_sql_fnctx_t *ctx, const pz_datum_t *arr, const pz_datum_t *v)
{
    if (ctx->ret.id == PZ_TY_ARRAY && ctx->ret.elem != PZ_TY_UNKNOWN) {
        return ctx->ret.elem;
    }
    return !arr->null ? arr->v.arr->elem : v ? v->type : PZ_TY_TEXT;
}

static int s_append(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    uint32_t n;
    pz_datum_t *it = s_items(ctx, &v[0], 1, &n);
    if (it == NULL) {
        return pz__fn_oom(ctx);
    }
    it[n] = v[1];
    return s_array(ctx, s_elem(ctx, &v[0], &v[1]), n + 1, it, out);
}

static int s_prepend(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    uint32_t n;
    pz_datum_t *it = s_items(ctx, &v[1], 1, &n);
    if (it == NULL) {
        return pz__fn_oom(ctx);
    }
    memmove(it + 1, it, sizeof *it * n);
    it[0] = v[0];
    return s_array(ctx, s_elem(ctx, &v[1], &v[0]), n + 1, it, out);
}

static int s_cat(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    if (v[0].null && v[1].null) {
        *out = pz_datum_null(PZ_TY_ARRAY);
        return 0;
    }
    uint32_t n, m = v[1].null ? 0 : v[1].v.arr->n;
    pz_datum_t *it = s_items(ctx, &v[0], m, &n);
    if (it == NULL) {
        return pz__fn_oom(ctx);
    }
    if (m > 0) {
        memcpy(it + n, v[1].v.arr->items, sizeof *it * m);
    }
    return s_array(ctx, s_elem(ctx, v[0].null ? &v[1] : &v[0], NULL), n + m, it, out);
}

/* array_position(arr, x): 1-based index of the first equal element (IS NOT DISTINCT FROM). */
static int s_position(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    *out = pz_datum_null(PZ_TY_INT4);
    for (uint32_t i = 0; !v[0].null && i < v[0].v.arr->n; i++) {
        const pz_datum_t *e = &v[0].v.arr->items[i];
        if ((e->null && v[1].null) || (!e->null && !v[1].null && pz_datum_cmp(e, &v[1]) == 0)) {
            *out = pz_datum_int(PZ_TY_INT4, (int64_t)i + 1);
            return 0;
        }
    }
    return 0;
}

static int s_remove(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    if (v[0].null) {
        *out = pz_datum_null(PZ_TY_ARRAY);
        return 0;
    }
    uint32_t n, w = 0;
    pz_datum_t *it = s_items(ctx, &v[0], 0, &n);
    if (it == NULL) {
        return pz__fn_oom(ctx);
    }
    for (uint32_t i = 0; i < n; i++) {
        bool eq = (it[i].null && v[1].null) ||
                  (!it[i].null && !v[1].null && pz_datum_cmp(&it[i], &v[1]) == 0);
        if (!eq) {
            it[w++] = it[i];
        }
    }
    return s_array(ctx, v[0].v.arr->elem, w, it, out);
}

/* string_to_array(s, delim [, null_string]): a NULL delimiter splits into characters. */
static int s_string_to_array(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    if (v[0].null) {
        *out = pz_datum_null(PZ_TY_ARRAY);
        return 0;
    }
    const uint8_t *s = v[0].v.p;
    size_t n = v[0].len, cap = n + 1, k = 0;
    pz_datum_t *it = (pz_datum_t *)pz__fn_alloc(ctx, sizeof *it * cap);
    if (it == NULL) {
        return pz__fn_oom(ctx);
    }
    bool chars = v[1].null;
    size_t dl = chars ? 0 : v[1].len;
    for (size_t i = 0, start = 0; n > 0 && i <= n;) {
        bool cut = i == n;
        size_t step = 1;
        if (!cut && chars) {
            step = pz__utf8_len(s[i]);
            step = step && i + step <= n ? step : 1;
            it[k++] = pz_datum_bytes(PZ_TY_TEXT, s + i, (uint32_t)step);
            i += step;
            start = i;
            if (i == n) {
                break;
            }
            continue;
        }
        if (!cut && dl > 0 && i + dl <= n && memcmp(s + i, v[1].v.p, dl) == 0) {
            cut = true;
            step = dl;
        }
        if (cut || (dl == 0 && !chars && i == n)) {
            size_t len = i - start;
            it[k] = pz_datum_bytes(PZ_TY_TEXT, s + start, (uint32_t)len);
            if (argc == 3 && !v[2].null && v[2].len == len &&
                memcmp(s + start, v[2].v.p, len) == 0) {
                it[k] = pz_datum_null(PZ_TY_TEXT);
            }
            k++;
            if (i == n || dl == 0) {
                break;
            }
            i += step;
            start = i;
            continue;
        }
        i++;
    }
    return s_array(ctx, PZ_TY_TEXT, (uint32_t)k, it, out);
}

/* regexp_replace(s, pattern, replacement [, flags]): POSIX extended regexes (PostgreSQL's ARE is
 * a superset); 'g' replaces every match, 'i' ignores case; \1..\9 and & in the replacement. */
static int s_regexp_replace(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    char pat[1024];
    bool g = false;
    int cflags = REG_EXTENDED;
    if (v[1].len >= sizeof pat) {
        return pz_sql_err_set(ctx->err, "54000", "regular expression is too long");
    }
    memcpy(pat, v[1].v.p, v[1].len);
    pat[v[1].len] = '\0';
    for (uint32_t i = 0; argc == 4 && i < v[3].len; i++) {
        g |= v[3].v.p[i] == 'g';
        cflags |= v[3].v.p[i] == 'i' ? REG_ICASE : 0;
    }
    regex_t re;
    if (regcomp(&re, pat, cflags) != 0) {
        return pz_sql_err_set(ctx->err, "2201B", "invalid regular expression: %s", pat);
    }
    char *subj = (char *)pz__fn_alloc(ctx, v[0].len + 1);
    if (subj == NULL) {
        regfree(&re);
        return pz__fn_oom(ctx);
    }
    memcpy(subj, v[0].v.p, v[0].len);
    subj[v[0].len] = '\0';
    pz_sbuf_t b = {0};
    size_t off = 0;
    regmatch_t m[10];
    while (off <= v[0].len && regexec(&re, subj + off, 10, m, off ? REG_NOTBOL : 0) == 0) {
        pz_sbuf_put(&b, subj + off, (size_t)m[0].rm_so);
        for (uint32_t i = 0; i < v[2].len; i++) {
            char c = (char)v[2].v.p[i];
            if (c == '\\' && i + 1 < v[2].len && v[2].v.p[i + 1] >= '0' && v[2].v.p[i + 1] <= '9') {
                int k = v[2].v.p[++i] - '0';
                if (m[k].rm_so >= 0) {
                    pz_sbuf_put(&b, subj + off + m[k].rm_so, (size_t)(m[k].rm_eo - m[k].rm_so));
                }
            } else if (c == '&') {
                pz_sbuf_put(&b, subj + off + m[0].rm_so, (size_t)(m[0].rm_eo - m[0].rm_so));
            } else {
                pz_sbuf_putc(&b, c);
            }
        }
        size_t adv = (size_t)m[0].rm_eo;
        if (m[0].rm_eo == m[0].rm_so) { /* an empty match: copy one char and move on */
            if (off + adv < v[0].len) {
                pz_sbuf_putc(&b, subj[off + adv]);
            }
            adv++;
        }
        off += adv;
        if (!g) {
            break;
        }
    }
    if (off < v[0].len) {
        pz_sbuf_put(&b, subj + off, v[0].len - off);
    }
    regfree(&re);
    int rc = b.oom ? pz__fn_oom(ctx) : pz__fn_bytes(ctx, PZ_TY_TEXT, b.p ? b.p : "", b.len, out);
    pz_sbuf_free(&b);
    return rc;
}

static int s_uuid(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    (void)v;
    uint8_t *u = pz__fn_alloc(ctx, 16);
    if (u == NULL) {
        return pz__fn_oom(ctx);
    }
    if (getrandom(u, 16, 0) != 16) {
        return pz_sql_err_set(ctx->err, "58000", "could not generate random values");
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    *out = pz_datum_bytes(PZ_TY_UUID, u, 16);
    return 0;
}

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* encode(bytea, 'hex' | 'base64' | 'escape'). */
static int s_encode(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    pz_sbuf_t b = {0};
    const uint8_t *p = v[0].v.p;
    size_t n = v[0].len;
    if (v[1].len == 3 && memcmp(v[1].v.p, "hex", 3) == 0) {
        for (size_t i = 0; i < n; i++) {
            pz_sbuf_printf(&b, "%02x", p[i]);
        }
    } else if (v[1].len == 6 && memcmp(v[1].v.p, "base64", 6) == 0) {
        for (size_t i = 0; i < n; i += 3) {
            uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                         (i + 2 < n ? p[i + 2] : 0);
            char q[4] = {s_b64[w >> 18], s_b64[(w >> 12) & 63],
                         i + 1 < n ? s_b64[(w >> 6) & 63] : '=', i + 2 < n ? s_b64[w & 63] : '='};
            pz_sbuf_put(&b, q, 4);
            if ((i / 3 + 1) % 19 == 0 && i + 3 < n) {
                pz_sbuf_putc(&b, '\n'); /* PostgreSQL wraps base64 at 76 characters */
            }
        }
    } else {
        return pz_sql_err_set(ctx->err, "22023", "unrecognized encoding: \"%.*s\"", (int)v[1].len,
                              v[1].v.p);
    }
    int rc = b.oom ? pz__fn_oom(ctx) : pz__fn_bytes(ctx, PZ_TY_TEXT, b.p ? b.p : "", b.len, out);
    pz_sbuf_free(&b);
    return rc;
}

static int s_hexval(uint8_t c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static int s_decode(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    const uint8_t *p = v[0].v.p;
    size_t n = v[0].len, k = 0;
    uint8_t *o = pz__fn_alloc(ctx, n + 1);
    if (o == NULL) {
        return pz__fn_oom(ctx);
    }
    if (v[1].len == 3 && memcmp(v[1].v.p, "hex", 3) == 0) {
        for (size_t i = 0; i + 1 < n || (i < n && n % 2); i += 2) {
            int hi = s_hexval(p[i]), lo = i + 1 < n ? s_hexval(p[i + 1]) : -1;
            if (hi < 0 || lo < 0) {
                return pz_sql_err_set(ctx->err, "22023", "invalid hexadecimal data");
            }
            o[k++] = (uint8_t)(hi << 4 | lo);
        }
    } else if (v[1].len == 6 && memcmp(v[1].v.p, "base64", 6) == 0) {
        uint32_t acc = 0;
        int bits = 0;
        for (size_t i = 0; i < n; i++) {
            const char *c = p[i] == '=' || p[i] == '\n' || p[i] == ' ' ? NULL : strchr(s_b64, p[i]);
            if (c == NULL || p[i] == '\0') {
                if (p[i] == '=' || p[i] == '\n' || p[i] == ' ') {
                    continue;
                }
                return pz_sql_err_set(ctx->err, "22023",
                                      "invalid symbol found while decoding "
                                      "base64 sequence");
            }
            acc = acc << 6 | (uint32_t)(c - s_b64);
            if ((bits += 6) >= 8) {
                bits -= 8;
                o[k++] = (uint8_t)(acc >> bits);
            }
        }
    } else {
        return pz_sql_err_set(ctx->err, "22023", "unrecognized encoding: \"%.*s\"", (int)v[1].len,
                              v[1].v.p);
    }
    *out = pz_datum_bytes(PZ_TY_BYTEA, o, (uint32_t)k);
    return 0;
}

#define S PZ_FN_STRICT
#define TXT PZ_TY_TEXT
#define ARR PZ_FN_ANYARRAY
#define ELEM PZ_FN_ANYELEM
#define F(name, n, r, fl, fn, oid, ...)                                                            \
    {                                                                                              \
        name, n, {__VA_ARGS__}, r, fl, fn, oid                                                     \
    }

const pz_sql_fndef_t pz__fn_more[] = {
    F("array_append", 2, ARR, 0, s_append, 378, ARR, ELEM),
    F("array_prepend", 2, ARR, 0, s_prepend, 379, ELEM, ARR),
    F("array_cat", 2, ARR, 0, s_cat, 383, ARR, ARR),
    F("||", 2, ARR, PZ_FN_OPERATOR, s_cat, 375, ARR, ARR),
    F("||", 2, ARR, PZ_FN_OPERATOR, s_append, 349, ARR, ELEM),
    F("||", 2, ARR, PZ_FN_OPERATOR, s_prepend, 374, ELEM, ARR),
    F("array_position", 2, PZ_TY_INT4, 0, s_position, 3277, ARR, ELEM),
    F("array_remove", 2, ARR, 0, s_remove, 3167, ARR, ELEM),
    F("string_to_array", 2, ARR, 0, s_string_to_array, 394, TXT, TXT),
    F("string_to_array", 3, ARR, 0, s_string_to_array, 376, TXT, TXT, TXT),
    F("regexp_replace", 3, TXT, S, s_regexp_replace, 2284, TXT, TXT, TXT),
    F("regexp_replace", 4, TXT, S, s_regexp_replace, 2285, TXT, TXT, TXT, TXT),
    F("gen_random_uuid", 0, PZ_TY_UUID, PZ_FN_VOLATILE, s_uuid, 3432),
    F("encode", 2, TXT, S, s_encode, 1946, PZ_TY_BYTEA, TXT),
    F("decode", 2, PZ_TY_BYTEA, S, s_decode, 1947, TXT, TXT),
};
const size_t pz__fn_more_n = sizeof pz__fn_more / sizeof pz__fn_more[0];
