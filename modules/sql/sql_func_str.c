/*
 * sql_func_str.c — string functions on UTF-8 text (lengths and positions count characters, not
 * bytes, as PostgreSQL in a UTF-8 database). lower/upper/initcap fold ASCII letters only (the
 * C collation's rule; PostgreSQL under a UTF-8 locale also folds other letters).
 */
#include "sql_func_int.h"

#include <assert.h>
#include <string.h>
#include <stdio.h>

#define TXT PZ_TY_TEXT
#define I4 PZ_TY_INT4
#define I8 PZ_TY_INT8
/* A result string: PostgreSQL's limit on one value (1 GB) is far beyond an arena's budget;
 * repeat/lpad past this are refused as PostgreSQL refuses past 1 GB. */
#define S_RESULT_BYTES_MAX (256u * 1024u * 1024u)

static int s_text(pz_sql_fnctx_t *ctx, const void *p, size_t n, pz_datum_t *out)
{
    if (n > S_RESULT_BYTES_MAX) {
        return pz_sql_err_set(ctx->err, "54000", "requested length too large");
    }
    return pz__fn_bytes(ctx, PZ_TY_TEXT, p, n, out);
}

static int s_char_length(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1 && ctx != NULL);
    size_t n = v[0].len;
    if (v[0].type == PZ_TY_BPCHAR) {
        while (n > 0 && v[0].v.p[n - 1] == ' ') {
            n--; /* char(n)'s padding does not count */
        }
    }
    *out = pz_datum_int(I4, (int64_t)pz__utf8_count(v[0].v.p, n));
    return 0;
}

static int s_octet_length(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1 && ctx != NULL);
    *out = pz_datum_int(I4, v[0].len);
    return 0;
}

static int s_bit_length(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1 && ctx != NULL);
    *out = pz_datum_int(I4, (int64_t)v[0].len * 8);
    return 0;
}

/* lower (mode 0), upper (1), initcap (2) on ASCII letters. */
static int s_case(pz_sql_fnctx_t *ctx, const pz_datum_t *v, int mode, pz_datum_t *out)
{
    uint8_t *p = pz__fn_alloc(ctx, v->len);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    bool word = false;
    for (uint32_t i = 0; i < v->len; i++) {
        uint8_t c = v->v.p[i];
        bool up = mode == 1 || (mode == 2 && !word);
        if (up && c >= 'a' && c <= 'z') {
            c = (uint8_t)(c - 32);
        } else if (!up && c >= 'A' && c <= 'Z') {
            c = (uint8_t)(c + 32);
        }
        word =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
        p[i] = c;
    }
    *out = pz_datum_bytes(TXT, p, v->len);
    return 0;
}

static int s_lower(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 1);
    return s_case(c, v, 0, o);
}
static int s_upper(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 1);
    return s_case(c, v, 1, o);
}
static int s_initcap(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 1);
    return s_case(c, v, 2, o);
}

/* substr(s, from [, count]) in characters, from 1-based (PostgreSQL's text_substring). */
static int s_substr(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2 || argc == 3);
    int64_t from = v[1].v.i, end = INT64_MAX;
    if (argc == 3) {
        if (v[2].v.i < 0) {
            return pz_sql_err_set(ctx->err, "22011", "negative substring length not allowed");
        }
        end = __builtin_add_overflow(from, v[2].v.i, &end) ? INT64_MAX : end;
    }
    int64_t start = from < 1 ? 1 : from;
    if (end <= start) {
        return s_text(ctx, NULL, 0, out);
    }
    const uint8_t *p = v[0].v.p;
    size_t n = v[0].len;
    size_t b0 = pz__utf8_offset(p, n, (size_t)(start - 1));
    size_t b1 = end == INT64_MAX || end - start > (int64_t)n
                    ? n
                    : b0 + pz__utf8_offset(p + b0, n - b0, (size_t)(end - start));
    return s_text(ctx, p + b0, b1 - b0, out);
}

/* The 1-based character position of needle in s, 0 if absent. */
static int64_t s_find(const pz_datum_t *s, const pz_datum_t *needle)
{
    if (needle->len == 0) {
        return 1;
    }
    for (size_t i = 0; i + needle->len <= s->len; i++) {
        if (memcmp(s->v.p + i, needle->v.p, needle->len) == 0) {
            return (int64_t)pz__utf8_count(s->v.p, i) + 1;
        }
    }
    return 0;
}

static int s_strpos(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2 && ctx != NULL);
    *out = pz_datum_int(I4, s_find(&v[0], &v[1]));
    return 0;
}

static int s_starts_with(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2 && ctx != NULL);
    *out = pz_datum_bool(v[1].len <= v[0].len &&
                         (v[1].len == 0 || memcmp(v[0].v.p, v[1].v.p, v[1].len) == 0));
    return 0;
}

/* left(s, n) / right(s, n): n < 0 means all but |n| characters. */
static int s_leftright(pz_sql_fnctx_t *ctx, const pz_datum_t *v, bool left, pz_datum_t *out)
{
    const uint8_t *p = v[0].v.p;
    size_t n = v[0].len, chars = pz__utf8_count(p, n);
    int64_t k = v[1].v.i;
    size_t keep = k >= 0 ? ((uint64_t)k > chars ? chars : (size_t)k)
                         : ((uint64_t) - (k + 1) + 1 >= chars ? 0 : chars - (size_t)-k);
    size_t off = left ? 0 : pz__utf8_offset(p, n, chars - keep);
    size_t end = left ? pz__utf8_offset(p, n, keep) : n;
    return s_text(ctx, p + off, end - off, out);
}

static int s_left(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_leftright(c, v, true, o);
}
static int s_right(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    assert(n == 2);
    return s_leftright(c, v, false, o);
}

/* lpad/rpad(s, len [, fill = ' ']) in characters; s longer than len is truncated. */
static int s_pad(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, bool left, pz_datum_t *out)
{
    const uint8_t *s = v[0].v.p, *f = argc == 3 ? v[2].v.p : (const uint8_t *)" ";
    size_t sn = v[0].len, fn = argc == 3 ? v[2].len : 1;
    int64_t len = v[1].v.i < 0 ? 0 : v[1].v.i;
    size_t chars = pz__utf8_count(s, sn);
    if ((uint64_t)len <= chars || fn == 0) {
        size_t keep = (uint64_t)len < chars ? (size_t)len : chars;
        return s_text(ctx, s, pz__utf8_offset(s, sn, keep), out);
    }
    size_t need = (size_t)len - chars, fchars = pz__utf8_count(f, fn);
    if (need > S_RESULT_BYTES_MAX / 4) {
        return pz_sql_err_set(ctx->err, "54000", "requested length too large");
    }
    uint8_t *p = pz__fn_alloc(ctx, sn + need * 4);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    size_t n = 0;
    if (!left) {
        memcpy(p, s, sn), n = sn;
    }
    for (size_t i = 0; i < need; i++) {
        size_t fo = pz__utf8_offset(f, fn, i % fchars), fl = pz__utf8_len(f[fo]);
        fl = fo + fl > fn ? fn - fo : fl;
        memcpy(p + n, f + fo, fl), n += fl;
    }
    if (left && sn > 0) {
        memcpy(p + n, s, sn), n += sn;
    }
    *out = pz_datum_bytes(TXT, p, (uint32_t)n);
    return 0;
}

static int s_lpad(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_pad(c, n, v, true, o);
}
static int s_rpad(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_pad(c, n, v, false, o);
}

/* Whether the character at s[0..cl) is one of set's characters. */
static bool s_in_set(const uint8_t *c, size_t cl, const pz_datum_t *set)
{
    for (size_t i = 0; i < set->len; i += pz__utf8_len(set->v.p[i])) {
        if (pz__utf8_len(set->v.p[i]) == cl && i + cl <= set->len &&
            memcmp(set->v.p + i, c, cl) == 0) {
            return true;
        }
    }
    return false;
}

/* ltrim (1), rtrim (2), btrim (3) of the characters in set (default ' '). */
static int s_trim(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, int ends, pz_datum_t *out)
{
    pz_datum_t sp = pz_datum_bytes(TXT, " ", 1);
    const pz_datum_t *set = argc == 2 ? &v[1] : &sp;
    const uint8_t *p = v[0].v.p;
    size_t b = 0, e = v[0].len;
    while ((ends & 1) && b < e && s_in_set(p + b, pz__utf8_len(p[b]), set)) {
        b += pz__utf8_len(p[b]);
    }
    while ((ends & 2) && e > b) {
        size_t k = e - 1;
        while (k > b && (p[k] & 0xc0) == 0x80) {
            k--;
        }
        if (!s_in_set(p + k, e - k, set)) {
            break;
        }
        e = k;
    }
    return s_text(ctx, p + b, e - b, out);
}

static int s_ltrim(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_trim(c, n, v, 1, o);
}
static int s_rtrim(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_trim(c, n, v, 2, o);
}
static int s_btrim(pz_sql_fnctx_t *c, int n, const pz_datum_t *v, pz_datum_t *o)
{
    return s_trim(c, n, v, 3, o);
}

static int s_replace(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 3);
    const pz_datum_t *s = &v[0], *from = &v[1], *to = &v[2];
    if (from->len == 0) {
        return s_text(ctx, s->v.p, s->len, out);
    }
    pz_sbuf_t b = {0};
    size_t i = 0;
    while (i < s->len) {
        if (i + from->len <= s->len && memcmp(s->v.p + i, from->v.p, from->len) == 0) {
            pz_sbuf_put(&b, to->v.p, to->len);
            i += from->len;
        } else {
            pz_sbuf_putc(&b, (char)s->v.p[i++]);
        }
    }
    int rc = b.oom ? pz__fn_oom(ctx) : s_text(ctx, b.p, b.len, out);
    pz_sbuf_free(&b);
    return rc;
}

static int s_repeat(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 2);
    int64_t k = v[1].v.i < 0 ? 0 : v[1].v.i;
    if (v[0].len > 0 && (uint64_t)k > S_RESULT_BYTES_MAX / v[0].len) {
        return pz_sql_err_set(ctx->err, "54000", "requested length too large");
    }
    size_t n = (size_t)k * v[0].len;
    uint8_t *p = pz__fn_alloc(ctx, n);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    for (int64_t i = 0; i < k && v[0].len > 0; i++) {
        memcpy(p + (size_t)i * v[0].len, v[0].v.p, v[0].len);
    }
    *out = pz_datum_bytes(TXT, p, (uint32_t)n);
    return 0;
}

static int s_reverse(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    size_t n = v[0].len;
    uint8_t *p = pz__fn_alloc(ctx, n);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < n;) { /* whole characters, last first */
        size_t cl = pz__utf8_len(v[0].v.p[i]);
        cl = i + cl > n ? n - i : cl;
        memcpy(p + n - i - cl, v[0].v.p + i, cl);
        i += cl;
    }
    *out = pz_datum_bytes(TXT, p, (uint32_t)n);
    return 0;
}

static int s_split_part(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 3);
    const pz_datum_t *s = &v[0], *d = &v[1];
    int64_t k = v[2].v.i;
    if (k == 0) {
        return pz_sql_err_set(ctx->err, "22023", "field position must not be zero");
    }
    /* Field boundaries: count fields first so negative k counts from the end. */
    size_t nf = 1;
    for (size_t i = 0; d->len > 0 && i + d->len <= s->len;) {
        if (memcmp(s->v.p + i, d->v.p, d->len) == 0) {
            nf++, i += d->len;
        } else {
            i++;
        }
    }
    if (s->len == 0) {
        nf = 0;
    }
    int64_t want = k > 0 ? k : (int64_t)nf + k + 1;
    if (want < 1 || want > (int64_t)nf) {
        return s_text(ctx, NULL, 0, out);
    }
    size_t start = 0, i = 0, field = 1;
    while (i + d->len <= s->len && d->len > 0) {
        if (memcmp(s->v.p + i, d->v.p, d->len) == 0) {
            if ((int64_t)field == want) {
                return s_text(ctx, s->v.p + start, i - start, out);
            }
            field++, i += d->len, start = i;
        } else {
            i++;
        }
    }
    return s_text(ctx, s->v.p + start, s->len - start, out);
}

/* Appends the text form of a non-NULL datum. */
static void s_put_text(pz_sql_fnctx_t *ctx, const pz_datum_t *d, pz_sbuf_t *b)
{
    pz_ty_t t = (pz_ty_t)d->type;
    if (t == PZ_TY_TEXT || t == PZ_TY_VARCHAR || t == PZ_TY_BPCHAR || t == PZ_TY_NAME ||
        t == PZ_TY_UNKNOWN) {
        pz_sbuf_put(b, d->v.p, d->len);
    } else {
        pz_datum_to_text(ctx->env, d, b);
    }
}

/* concat(...) skips NULLs; concat_ws(sep, ...) puts sep between the non-NULL ones. */
static int s_concat_ws_from(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v,
                            const pz_datum_t *sep, pz_datum_t *out)
{
    pz_sbuf_t b = {0};
    bool first = true;
    for (int i = 0; i < argc; i++) {
        if (v[i].null) {
            continue;
        }
        if (!first && sep != NULL) {
            pz_sbuf_put(&b, sep->v.p, sep->len);
        }
        first = false;
        s_put_text(ctx, &v[i], &b);
    }
    int rc = b.oom ? pz__fn_oom(ctx) : s_text(ctx, b.p, b.len, out);
    pz_sbuf_free(&b);
    return rc;
}

static int s_concat(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    return s_concat_ws_from(ctx, argc, v, NULL, out);
}

static int s_concat_ws(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc >= 1);
    if (v[0].null) {
        *out = pz_datum_null(TXT);
        return 0;
    }
    return s_concat_ws_from(ctx, argc - 1, v + 1, &v[0], out);
}

static int s_chr(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    int64_t c = v[0].v.i;
    if (c == 0) {
        return pz_sql_err_set(ctx->err, "54000", "null character not permitted");
    }
    if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return pz_sql_err_set(ctx->err, "54000", "requested character too large for encoding: %lld",
                              (long long)c);
    }
    uint8_t b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (uint8_t)c, n = 1;
    } else if (c < 0x800) {
        b[0] = (uint8_t)(0xc0 | (c >> 6)), b[1] = (uint8_t)(0x80 | (c & 0x3f)), n = 2;
    } else if (c < 0x10000) {
        b[0] = (uint8_t)(0xe0 | (c >> 12)), b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
        b[2] = (uint8_t)(0x80 | (c & 0x3f)), n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | (c >> 18)), b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
        b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f)), b[3] = (uint8_t)(0x80 | (c & 0x3f)), n = 4;
    }
    return s_text(ctx, b, n, out);
}

static int s_ascii(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1 && ctx != NULL);
    const uint8_t *p = v[0].v.p;
    size_t n = v[0].len, cl = n > 0 ? pz__utf8_len(p[0]) : 0;
    int64_t c = 0;
    if (cl == 1 || cl > n) {
        c = n > 0 ? p[0] : 0;
    } else {
        c = p[0] & (0x7f >> cl);
        for (size_t i = 1; i < cl; i++) {
            c = (c << 6) | (p[i] & 0x3f);
        }
    }
    *out = pz_datum_int(I4, c);
    return 0;
}

static int s_to_hex(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    char buf[24];
    uint64_t u = v[0].type == I4 ? (uint32_t)v[0].v.i : (uint64_t)v[0].v.i;
    int n = snprintf(buf, sizeof buf, "%llx", (unsigned long long)u);
    return s_text(ctx, buf, (size_t)n, out);
}

static int s_translate(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 3);
    const pz_datum_t *s = &v[0], *from = &v[1], *to = &v[2];
    pz_sbuf_t b = {0};
    for (size_t i = 0; i < s->len;) {
        size_t cl = pz__utf8_len(s->v.p[i]);
        cl = i + cl > s->len ? s->len - i : cl;
        size_t idx = 0, fi = 0;
        for (; fi < from->len; fi += pz__utf8_len(from->v.p[fi]), idx++) {
            if (pz__utf8_len(from->v.p[fi]) == cl && fi + cl <= from->len &&
                memcmp(from->v.p + fi, s->v.p + i, cl) == 0) {
                break;
            }
        }
        if (fi >= from->len) {
            pz_sbuf_put(&b, s->v.p + i, cl);
        } else {
            size_t to_off = pz__utf8_offset(to->v.p, to->len, idx);
            if (to_off < to->len) { /* past to's end: the character is deleted */
                size_t tl = pz__utf8_len(to->v.p[to_off]);
                pz_sbuf_put(&b, to->v.p + to_off, to_off + tl > to->len ? to->len - to_off : tl);
            }
        }
        i += cl;
    }
    int rc = b.oom ? pz__fn_oom(ctx) : s_text(ctx, b.p, b.len, out);
    pz_sbuf_free(&b);
    return rc;
}

/* quote_ident: quoted unless all lower-case letters, digits, _ (not leading digit). Keywords
 * are not checked (PostgreSQL also quotes reserved words). */
static int s_quote_ident(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    const uint8_t *p = v[0].v.p;
    size_t n = v[0].len;
    bool plain = n > 0 && !(p[0] >= '0' && p[0] <= '9');
    for (size_t i = 0; i < n && plain; i++) {
        plain = (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_';
    }
    if (plain) {
        return s_text(ctx, p, n, out);
    }
    pz_sbuf_t b = {0};
    pz_sbuf_putc(&b, '"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            pz_sbuf_putc(&b, '"');
        }
        pz_sbuf_putc(&b, (char)p[i]);
    }
    pz_sbuf_putc(&b, '"');
    int rc = b.oom ? pz__fn_oom(ctx) : s_text(ctx, b.p, b.len, out);
    pz_sbuf_free(&b);
    return rc;
}

/* quote_literal: 'it''s'; with a backslash, E'...' and backslashes doubled. */
static int s_quote_literal(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    assert(argc == 1);
    pz_sbuf_t t = {0}, b = {0};
    s_put_text(ctx, &v[0], &t);
    bool bs = t.len > 0 && memchr(t.p, '\\', t.len) != NULL;
    if (bs) {
        pz_sbuf_putc(&b, 'E');
    }
    pz_sbuf_putc(&b, '\'');
    for (size_t i = 0; i < t.len; i++) {
        if (t.p[i] == '\'' || t.p[i] == '\\') {
            pz_sbuf_putc(&b, t.p[i]);
        }
        pz_sbuf_putc(&b, t.p[i]);
    }
    pz_sbuf_putc(&b, '\'');
    int rc = b.oom || t.oom ? pz__fn_oom(ctx) : s_text(ctx, b.p, b.len, out);
    pz_sbuf_free(&t);
    pz_sbuf_free(&b);
    return rc;
}

#define FN(name, n, r, fl, fn, oid, ...)                                                           \
    {                                                                                              \
        name, n, {__VA_ARGS__}, r, PZ_FN_STRICT | (fl), fn, oid                                    \
    }
#define ANY PZ_FN_ANY

const pz_sql_fndef_t pz__fn_str[] = {
    FN("length", 1, I4, 0, s_char_length, 1317, TXT),
    FN("length", 1, I4, 0, s_char_length, 1318, PZ_TY_BPCHAR),
    FN("length", 1, I4, 0, s_octet_length, 2010, PZ_TY_BYTEA),
    FN("char_length", 1, I4, 0, s_char_length, 1381, TXT),
    FN("char_length", 1, I4, 0, s_char_length, 1372, PZ_TY_BPCHAR),
    FN("character_length", 1, I4, 0, s_char_length, 1369, TXT),
    FN("character_length", 1, I4, 0, s_char_length, 1367, PZ_TY_BPCHAR),
    FN("octet_length", 1, I4, 0, s_octet_length, 1374, TXT),
    FN("octet_length", 1, I4, 0, s_octet_length, 720, PZ_TY_BYTEA),
    FN("bit_length", 1, I4, 0, s_bit_length, 1810, TXT),
    FN("bit_length", 1, I4, 0, s_bit_length, 1810, PZ_TY_BYTEA),
    FN("lower", 1, TXT, 0, s_lower, 870, TXT),
    FN("upper", 1, TXT, 0, s_upper, 871, TXT),
    FN("initcap", 1, TXT, 0, s_initcap, 872, TXT),
    FN("substr", 2, TXT, 0, s_substr, 883, TXT, I4),
    FN("substr", 3, TXT, 0, s_substr, 877, TXT, I4, I4),
    FN("substring", 2, TXT, 0, s_substr, 937, TXT, I4),
    FN("substring", 3, TXT, 0, s_substr, 936, TXT, I4, I4),
    FN("strpos", 2, I4, 0, s_strpos, 868, TXT, TXT),
    FN("position", 2, I4, 0, s_strpos, 849, TXT, TXT),
    FN("starts_with", 2, PZ_TY_BOOL, 0, s_starts_with, 3696, TXT, TXT),
    FN("left", 2, TXT, 0, s_left, 3060, TXT, I4),
    FN("right", 2, TXT, 0, s_right, 3061, TXT, I4),
    FN("lpad", 2, TXT, 0, s_lpad, 879, TXT, I4),
    FN("lpad", 3, TXT, 0, s_lpad, 873, TXT, I4, TXT),
    FN("rpad", 2, TXT, 0, s_rpad, 880, TXT, I4),
    FN("rpad", 3, TXT, 0, s_rpad, 874, TXT, I4, TXT),
    FN("ltrim", 1, TXT, 0, s_ltrim, 881, TXT),
    FN("ltrim", 2, TXT, 0, s_ltrim, 875, TXT, TXT),
    FN("rtrim", 1, TXT, 0, s_rtrim, 882, TXT),
    FN("rtrim", 2, TXT, 0, s_rtrim, 876, TXT, TXT),
    FN("btrim", 1, TXT, 0, s_btrim, 885, TXT),
    FN("btrim", 2, TXT, 0, s_btrim, 884, TXT, TXT),
    FN("replace", 3, TXT, 0, s_replace, 2087, TXT, TXT, TXT),
    FN("repeat", 2, TXT, 0, s_repeat, 1622, TXT, I4),
    FN("reverse", 1, TXT, 0, s_reverse, 3062, TXT),
    FN("split_part", 3, TXT, 0, s_split_part, 2088, TXT, TXT, I4),
    {"concat", 1, {ANY}, TXT, PZ_FN_VARIADIC, s_concat, 3058},
    {"concat_ws", 2, {TXT, ANY}, TXT, PZ_FN_VARIADIC, s_concat_ws, 3059},
    FN("chr", 1, TXT, 0, s_chr, 1621, I4),
    FN("ascii", 1, I4, 0, s_ascii, 1620, TXT),
    FN("to_hex", 1, TXT, 0, s_to_hex, 2089, I4),
    FN("to_hex", 1, TXT, 0, s_to_hex, 2090, I8),
    FN("translate", 3, TXT, 0, s_translate, 878, TXT, TXT, TXT),
    FN("quote_ident", 1, TXT, 0, s_quote_ident, 1282, TXT),
    FN("quote_literal", 1, TXT, 0, s_quote_literal, 1283, TXT),
    FN("quote_literal", 1, TXT, 0, s_quote_literal, 1285, PZ_FN_ANYELEM),
};
const size_t pz__fn_str_n = sizeof pz__fn_str / sizeof pz__fn_str[0];
