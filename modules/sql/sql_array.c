/*
 * sql_array.c — one-dimensional arrays: text input (array_in), text output (array_out) and the
 * binary form (array_send / array_recv), as PostgreSQL 15 does them.
 *
 * Why a structure pass before reading elements: PostgreSQL checks the whole literal's brace and
 * quote structure first (ArrayCount) and reports the first structural fault with a detail line
 * ("Unexpected \",\" character.") before any element is converted; clients and tests see those
 * exact lines, so s_count below walks the same states, and s_read_items then cuts the elements
 * out of a literal already known to be well formed. Multi-dimensional literals are checked the
 * same way (so a malformed one gets PostgreSQL's 22P02) and only then refused with 0A000: our
 * array datum has one dimension with lower bound 1.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_types_int.h"

/* PostgreSQL's MAXDIM: literals may nest this deep before 54000. */
#define S_DIMS_MAX 6

/* PostgreSQL's array_isspace: the whitespace array literals skip around elements. */
static bool s_isspace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int s_malformed(pz_sql_err_t *err, const char *s, size_t len, const char *detail)
{
    int n = (int)(len > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : len);
    int rc = pz_sql_err_set(err, "22P02", "malformed array literal: \"%.*s\"", n, s);
    pz_sql_err_detail(err, "%s", detail);
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Text input                                                                                  */

typedef enum {
    S_NO_LEVEL,
    S_LEVEL_STARTED,
    S_ELEM_STARTED,
    S_ELEM_COMPLETED,
    S_QUOTED_STARTED,
    S_QUOTED_COMPLETED,
    S_ELEM_DELIMITED,
    S_LEVEL_COMPLETED,
    S_LEVEL_DELIMITED,
} s_state_t;

/* Where a literal's structure stands while s_count walks it. */
typedef struct {
    const char *s; /* the whole literal (for the error message) */
    size_t len;
    s_state_t st;
    int nest;
    int ndim;
    bool in_quotes;
    int64_t nelems[S_DIMS_MAX];
    int64_t nelems_last[S_DIMS_MAX];
    int64_t dims[S_DIMS_MAX];
    bool empty;
} s_count_t;

static bool s_st_in(s_state_t st, s_state_t a, s_state_t b, s_state_t c, s_state_t d)
{
    return st == a || st == b || st == c || st == d;
}

/* One '{' or '}' outside quotes. Returns 0, 1 at the outermost '}', or PZ_EINVAL. */
static int s_count_brace(s_count_t *c, char ch, pz_sql_err_t *err)
{
    if (ch == '{') {
        if (!s_st_in(c->st, S_NO_LEVEL, S_LEVEL_STARTED, S_LEVEL_DELIMITED, S_NO_LEVEL))
            return s_malformed(err, c->s, c->len, "Unexpected \"{\" character.");
        c->st = S_LEVEL_STARTED;
        if (c->nest >= S_DIMS_MAX)
            return pz_sql_err_set(err, "54000",
                                  "number of array dimensions (%d) exceeds the maximum allowed "
                                  "(%d)",
                                  c->nest + 1, S_DIMS_MAX);
        c->nest++;
        if (c->ndim < c->nest)
            c->ndim = c->nest;
        return 0;
    }
    bool empty_here = c->nest == 1 && c->st == S_LEVEL_STARTED;
    if (!s_st_in(c->st, S_ELEM_STARTED, S_ELEM_COMPLETED, S_QUOTED_COMPLETED, S_LEVEL_COMPLETED) &&
        !empty_here)
        return s_malformed(err, c->s, c->len, "Unexpected \"}\" character.");
    if (empty_here)
        c->empty = true;
    c->st = S_LEVEL_COMPLETED;
    c->nest--;
    int k = c->nest;
    if (c->nelems_last[k] != 0 && c->nelems[k] != c->nelems_last[k])
        return s_malformed(err, c->s, c->len,
                           "Multidimensional arrays must have sub-arrays with matching "
                           "dimensions.");
    c->nelems_last[k] = c->nelems[k];
    c->dims[k] = c->nelems[k];
    c->nelems[k] = 1;
    return c->nest == 0 ? 1 : 0;
}

/* One character that is not a brace or quote or backslash. */
static int s_count_other(s_count_t *c, char ch, pz_sql_err_t *err)
{
    if (c->in_quotes)
        return 0;
    if (ch == ',') {
        if (!s_st_in(c->st, S_ELEM_STARTED, S_ELEM_COMPLETED, S_QUOTED_COMPLETED,
                     S_LEVEL_COMPLETED))
            return s_malformed(err, c->s, c->len, "Unexpected \",\" character.");
        c->st = c->st == S_LEVEL_COMPLETED ? S_LEVEL_DELIMITED : S_ELEM_DELIMITED;
        c->nelems[c->nest - 1]++;
        return 0;
    }
    if (!s_isspace(ch)) {
        if (!s_st_in(c->st, S_LEVEL_STARTED, S_ELEM_STARTED, S_ELEM_DELIMITED, S_LEVEL_STARTED))
            return s_malformed(err, c->s, c->len, "Unexpected array element.");
        c->st = S_ELEM_STARTED;
    }
    return 0;
}

/* PostgreSQL's ArrayCount: checks the structure of the literal at s[0..len) (which starts with
 * '{') and finds its dimensions. *end: the offset after the outermost '}'. */
static int s_count(s_count_t *c, size_t start, size_t *end, pz_sql_err_t *err)
{
    const char *s = c->s;
    for (size_t i = start;; i++) {
        if (i >= c->len)
            return s_malformed(err, s, c->len, "Unexpected end of input.");
        char ch = s[i];
        int rc = 0;
        if (ch == '\\') {
            if (!s_st_in(c->st, S_LEVEL_STARTED, S_ELEM_STARTED, S_QUOTED_STARTED,
                         S_ELEM_DELIMITED))
                return s_malformed(err, s, c->len, "Unexpected \"\\\" character.");
            if (c->st != S_QUOTED_STARTED)
                c->st = S_ELEM_STARTED;
            if (++i >= c->len)
                return s_malformed(err, s, c->len, "Unexpected end of input.");
        } else if (ch == '"') {
            if (!s_st_in(c->st, S_LEVEL_STARTED, S_QUOTED_STARTED, S_ELEM_DELIMITED,
                         S_LEVEL_STARTED))
                return s_malformed(err, s, c->len, "Unexpected array element.");
            c->in_quotes = !c->in_quotes;
            c->st = c->in_quotes ? S_QUOTED_STARTED : S_QUOTED_COMPLETED;
        } else if ((ch == '{' || ch == '}') && !c->in_quotes) {
            rc = s_count_brace(c, ch, err);
            if (rc == 1) {
                *end = i + 1;
                return 0;
            }
        } else {
            rc = s_count_other(c, ch, err);
        }
        if (rc != 0)
            return rc;
    }
}

/* One "[lb:ub]" or "[ub]" dimension decoration at s[*i]. */
static int s_dim(const char *s, size_t len, size_t *i, int64_t *lb, int64_t *n, pz_sql_err_t *err)
{
    size_t p = *i + 1, q = p;
    while (q < len && ((s[q] >= '0' && s[q] <= '9') || s[q] == '-' || s[q] == '+'))
        q++;
    if (q == p)
        return s_malformed(err, s, len,
                           "\"[\" must introduce explicitly-specified array dimensions.");
    int64_t lo = 1, hi = strtoll(s + p, NULL, 10);
    if (q < len && s[q] == ':') {
        lo = hi;
        p = ++q;
        while (q < len && ((s[q] >= '0' && s[q] <= '9') || s[q] == '-' || s[q] == '+'))
            q++;
        if (q == p)
            return s_malformed(err, s, len, "Missing array dimension value.");
        hi = strtoll(s + p, NULL, 10);
    }
    if (q >= len || s[q] != ']')
        return s_malformed(err, s, len, "Missing \"]\" after array dimensions.");
    if (hi < lo)
        return pz_sql_err_set(err, "2202E", "upper bound cannot be less than lower bound");
    *lb = lo;
    *n = hi - lo + 1;
    *i = q + 1;
    return 0;
}

/* Dimension decorations ("[1:3]=") before the braces; *ndim = 0 when there are none. */
static int s_dims(const char *s, size_t len, size_t *i, int *ndim, int64_t *lbs, int64_t *ns,
                  pz_sql_err_t *err)
{
    *ndim = 0;
    for (;;) {
        while (*i < len && s_isspace(s[*i]))
            (*i)++;
        if (*i >= len || s[*i] != '[')
            break;
        if (*ndim >= S_DIMS_MAX)
            return pz_sql_err_set(err, "54000",
                                  "number of array dimensions (%d) exceeds the maximum allowed "
                                  "(%d)",
                                  *ndim + 1, S_DIMS_MAX);
        if (s_dim(s, len, i, &lbs[*ndim], &ns[*ndim], err) != 0)
            return PZ_EINVAL;
        (*ndim)++;
    }
    if (*ndim == 0)
        return 0;
    if (*i >= len || s[*i] != '=')
        return s_malformed(err, s, len, "Missing \"=\" after array dimensions.");
    (*i)++;
    while (*i < len && s_isspace(s[*i]))
        (*i)++;
    if (*i >= len || s[*i] != '{')
        return s_malformed(err, s, len, "Array contents must start with \"{\".");
    return 0;
}

/* Cuts the next element out of a well-formed one-dimensional literal at s[*i] into buf (the
 * unescaped bytes); *quoted: it had quotes or backslashes (so it cannot be NULL). */
static void s_read_item(const char *s, size_t *i, char *buf, size_t *n, bool *quoted)
{
    size_t p = *i, d = 0, d_end = 0;
    bool in_quotes = false, leading = true;
    *quoted = false;
    for (;; p++) {
        char ch = s[p];
        if (ch == '\\') {
            buf[d++] = s[++p];
            d_end = d;
            *quoted = true;
            leading = false;
        } else if (ch == '"') {
            in_quotes = !in_quotes;
            if (in_quotes)
                leading = false;
            else
                d_end = d;
            *quoted = true;
        } else if (in_quotes) {
            buf[d++] = ch;
        } else if (ch == ',' || ch == '}') {
            break;
        } else if (s_isspace(ch)) {
            if (!leading)
                buf[d++] = ch;
        } else {
            buf[d++] = ch;
            leading = false;
            d_end = d;
        }
    }
    *n = d_end;
    *i = p;
}

/* PostgreSQL's ReadArrayStr for one dimension of n elements starting after the '{' at s[i]. */
static int s_read_items(pz_arena_t *a, const pz_sql_tyenv_t *env, pz_sql_type_t et, const char *s,
                        size_t len, size_t i, pz_datum_t *items, uint32_t n, pz_sql_err_t *err)
{
    char *buf = malloc(len + 1);
    if (buf == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    int rc = 0;
    for (uint32_t k = 0; k < n && rc == 0; k++) {
        size_t m;
        bool quoted;
        s_read_item(s, &i, buf, &m, &quoted);
        assert(i < len && (s[i] == ',' || s[i] == '}'));
        i++;
        if (!quoted && m == 4 && strncasecmp(buf, "NULL", 4) == 0)
            items[k] = pz_datum_null((pz_ty_t)et.id);
        else
            rc = pz_datum_from_text(a, env, et, buf, m, &items[k], err);
    }
    free(buf);
    return rc;
}

/* The structure and dimensions of s (dimension decorations checked against the braces). On
 * success *brace is the offset of the outermost '{'. */
static int s_structure(const char *s, size_t len, s_count_t *c, int64_t *lb, size_t *brace,
                       pz_sql_err_t *err)
{
    size_t i = 0, end = 0;
    int ndim;
    int64_t lbs[S_DIMS_MAX], ns[S_DIMS_MAX];
    if (s_dims(s, len, &i, &ndim, lbs, ns, err) != 0)
        return PZ_EINVAL;
    if (ndim == 0 && (i >= len || s[i] != '{'))
        return s_malformed(err, s, len,
                           "Array value must start with \"{\" or dimension information.");
    *c = (s_count_t){.s = s, .len = len, .st = S_NO_LEVEL};
    for (int k = 0; k < S_DIMS_MAX; k++)
        c->nelems[k] = 1;
    *brace = i;
    if (s_count(c, i, &end, err) != 0)
        return PZ_EINVAL;
    for (; end < len; end++)
        if (!s_isspace(s[end]))
            return s_malformed(err, s, len, "Junk after closing right brace.");
    if (c->empty)
        c->ndim = 0;
    *lb = 1;
    if (ndim > 0) {
        bool match = ndim == c->ndim;
        for (int k = 0; match && k < ndim; k++)
            match = ns[k] == c->dims[k];
        if (!match)
            return s_malformed(err, s, len,
                               "Specified array dimensions do not match array contents.");
        *lb = lbs[0];
    }
    return 0;
}

int pz__array_in(pz_arena_t *a, const pz_sql_tyenv_t *env, pz_sql_type_t t, const char *s,
                 size_t len, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && env != NULL && out != NULL && (s != NULL || len == 0));
    assert(t.id == PZ_TY_ARRAY && t.elem != PZ_TY_ARRAY && t.elem < PZ_TY_COUNT_);
    const char *nul = len > 0 ? memchr(s, '\0', len) : NULL;
    if (nul != NULL) /* the literal ends at a NUL, as PostgreSQL's C string would */
        len = (size_t)(nul - s);
    s_count_t c = {0};
    int64_t lb = 1;
    size_t brace = 0;
    if (s_structure(s, len, &c, &lb, &brace, err) != 0)
        return PZ_EINVAL;
    if (c.ndim > 1)
        return pz_sql_err_set(err, "0A000", "multidimensional arrays are not supported");
    if (c.ndim == 1 && lb != 1)
        return pz_sql_err_set(err, "0A000", "array lower bounds other than 1 are not supported");
    int64_t n = c.ndim == 0 ? 0 : c.dims[0];
    if (n > (int64_t)PZ__ARRAY_ITEMS_MAX)
        return pz_sql_err_set(err, "54000", "array size exceeds the maximum allowed (%u)",
                              PZ__ARRAY_ITEMS_MAX);
    pz_sql_array_t *arr = pz_arena_alloc(a, sizeof *arr);
    pz_datum_t *items = n > 0 ? pz_arena_alloc(a, sizeof(pz_datum_t) * (size_t)n) : NULL;
    if (arr == NULL || (n > 0 && items == NULL))
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    pz_sql_type_t et = {.id = t.elem, .elem = 0, .typmod = t.typmod};
    if (n > 0 && s_read_items(a, env, et, s, len, brace + 1, items, (uint32_t)n, err) != 0)
        return PZ_EINVAL;
    arr->elem = t.elem;
    arr->n = (uint32_t)n;
    arr->items = items;
    *out = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = arr};
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Text output                                                                                 */

/* array_out's rule: quote an element that is empty, spells NULL, or holds a quote, backslash,
 * brace, the delimiter or whitespace. */
static bool s_needs_quotes(const char *p, size_t n)
{
    if (n == 0 || (n == 4 && strncasecmp(p, "NULL", 4) == 0))
        return true;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '"' || ch == '\\' || ch == '{' || ch == '}' || ch == ',' || s_isspace(ch))
            return true;
    }
    return false;
}

void pz__array_out(const pz_sql_tyenv_t *env, const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(env != NULL && d != NULL && out != NULL);
    assert(d->type == PZ_TY_ARRAY && d->v.arr != NULL);
    const pz_sql_array_t *arr = d->v.arr;
    if (arr->vector) { /* int2vector / oidvector: numbers, space-separated, no braces */
        for (uint32_t i = 0; i < arr->n; i++) {
            pz_sbuf_printf(out, i ? " %lld" : "%lld", (long long)arr->items[i].v.i);
        }
        return;
    }
    pz_sbuf_t item = {0};
    pz_sbuf_putc(out, '{');
    for (uint32_t i = 0; i < arr->n; i++) {
        if (i > 0)
            pz_sbuf_putc(out, ',');
        if (arr->items[i].null) {
            pz_sbuf_puts(out, "NULL");
            continue;
        }
        pz_sbuf_reset(&item);
        pz_datum_to_text(env, &arr->items[i], &item);
        if (item.oom)
            out->oom = true;
        const char *p = item.p != NULL ? item.p : "";
        if (!s_needs_quotes(p, item.len)) {
            pz_sbuf_put(out, p, item.len);
            continue;
        }
        pz_sbuf_putc(out, '"');
        for (size_t k = 0; k < item.len; k++) {
            if (p[k] == '"' || p[k] == '\\')
                pz_sbuf_putc(out, '\\');
            pz_sbuf_putc(out, p[k]);
        }
        pz_sbuf_putc(out, '"');
    }
    pz_sbuf_putc(out, '}');
    pz_sbuf_free(&item);
}

/* ------------------------------------------------------------------------------------------ */
/* Binary form                                                                                 */

void pz__array_send(const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(d != NULL && out != NULL);
    assert(d->type == PZ_TY_ARRAY && d->v.arr != NULL);
    const pz_sql_array_t *arr = d->v.arr;
    bool nulls = false;
    for (uint32_t i = 0; i < arr->n; i++)
        nulls = nulls || arr->items[i].null;
    pz__bin_put_u32(out, arr->n > 0 ? 1 : 0);
    pz__bin_put_u32(out, nulls ? 1 : 0);
    pz__bin_put_u32(out, pz_ty_oid(PZ_SQL_TYPE(arr->elem)));
    if (arr->n > 0) {
        pz__bin_put_u32(out, arr->n);
        pz__bin_put_u32(out, 1); /* lower bound */
    }
    for (uint32_t i = 0; i < arr->n; i++) {
        if (arr->items[i].null) {
            pz__bin_put_u32(out, UINT32_MAX); /* -1 */
            continue;
        }
        size_t at = out->len;
        pz__bin_put_u32(out, 0); /* the length, patched below */
        pz_datum_to_binary(&arr->items[i], out);
        if (out->oom)
            return;
        uint32_t n = (uint32_t)(out->len - at - 4);
        uint8_t be[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
        memcpy(out->p + at, be, 4);
    }
}

/* array_recv's header: dimensions, flags, element type, dims and bounds; *n the element count. */
static int s_recv_header(pz__bin_t *r, pz_sql_type_t t, uint32_t *n, pz_sql_err_t *err)
{
    uint32_t ndim, flags, oid, dims[S_DIMS_MAX], lbs[S_DIMS_MAX];
    if (pz__bin_get_u32(r, &ndim, err) != 0)
        return PZ_EINVAL;
    if ((int32_t)ndim < 0)
        return pz_sql_err_set(err, "22P03", "invalid number of dimensions: %d", (int32_t)ndim);
    if (ndim > S_DIMS_MAX)
        return pz_sql_err_set(err, "54000",
                              "number of array dimensions (%d) exceeds the maximum allowed (%d)",
                              (int)ndim, S_DIMS_MAX);
    if (pz__bin_get_u32(r, &flags, err) != 0)
        return PZ_EINVAL;
    if (flags != 0 && flags != 1)
        return pz_sql_err_set(err, "22P03", "invalid array flags");
    if (pz__bin_get_u32(r, &oid, err) != 0)
        return PZ_EINVAL;
    uint32_t want = pz_ty_oid(PZ_SQL_TYPE(t.elem));
    if (oid != want) {
        char got_name[96] = "???", want_name[96];
        pz_sql_type_t got;
        if (pz_ty_from_oid(oid, &got))
            pz_ty_format(got, got_name, sizeof got_name);
        pz_ty_format(PZ_SQL_TYPE(t.elem), want_name, sizeof want_name);
        return pz_sql_err_set(err, "42804",
                              "binary data has array element type %u (%s) instead of expected "
                              "%u (%s)",
                              oid, got_name, want, want_name);
    }
    int64_t items = ndim > 0 ? 1 : 0;
    for (uint32_t k = 0; k < ndim; k++) {
        if (pz__bin_get_u32(r, &dims[k], err) != 0 || pz__bin_get_u32(r, &lbs[k], err) != 0)
            return PZ_EINVAL;
        if ((int32_t)dims[k] < 0 || (items *= dims[k]) > (int64_t)PZ__ARRAY_ITEMS_MAX)
            return pz_sql_err_set(err, "54000", "array size exceeds the maximum allowed (%u)",
                                  PZ__ARRAY_ITEMS_MAX);
        if ((int64_t)(int32_t)lbs[k] + (int32_t)dims[k] > INT32_MAX)
            return pz_sql_err_set(err, "54000", "array lower bound is too large: %d",
                                  (int32_t)lbs[k]);
    }
    if (items > 0 && ndim > 1)
        return pz_sql_err_set(err, "0A000", "multidimensional arrays are not supported");
    if (items > 0 && lbs[0] != 1)
        return pz_sql_err_set(err, "0A000", "array lower bounds other than 1 are not supported");
    *n = (uint32_t)items;
    return 0;
}

/* One length-prefixed element (-1: NULL), which must use all of its bytes. */
static int s_recv_item(pz_arena_t *a, pz_sql_type_t et, pz__bin_t *r, uint32_t i, pz_datum_t *out,
                       pz_sql_err_t *err)
{
    uint32_t u;
    if (pz__bin_get_u32(r, &u, err) != 0)
        return PZ_EINVAL;
    int32_t n = (int32_t)u;
    if (n == -1) {
        *out = pz_datum_null((pz_ty_t)et.id);
        return 0;
    }
    if (n < -1 || (size_t)n > r->len - r->pos)
        return pz_sql_err_set(err, "22P03", "insufficient data left in message");
    pz__bin_t sub = {.p = r->p + r->pos, .len = (size_t)n, .pos = 0};
    r->pos += (size_t)n;
    if (pz__bin_recv(a, et, &sub, out, err) != 0)
        return PZ_EINVAL;
    if (sub.pos != sub.len)
        return pz_sql_err_set(err, "22P03", "improper binary format in array element %u", i + 1);
    return 0;
}

int pz__array_recv(pz_arena_t *a, pz_sql_type_t t, pz__bin_t *r, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && r != NULL && out != NULL);
    assert(t.id == PZ_TY_ARRAY && t.elem != PZ_TY_ARRAY && t.elem < PZ_TY_COUNT_);
    uint32_t n;
    if (s_recv_header(r, t, &n, err) != 0)
        return PZ_EINVAL;
    pz_sql_array_t *arr = pz_arena_alloc(a, sizeof *arr);
    pz_datum_t *items = n > 0 ? pz_arena_alloc(a, sizeof(pz_datum_t) * n) : NULL;
    if (arr == NULL || (n > 0 && items == NULL))
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    pz_sql_type_t et = {.id = t.elem, .elem = 0, .typmod = t.typmod};
    for (uint32_t i = 0; i < n; i++)
        if (s_recv_item(a, et, r, i, &items[i], err) != 0)
            return PZ_EINVAL;
    arr->elem = t.elem;
    arr->n = n;
    arr->items = items;
    *out = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = arr};
    return 0;
}
