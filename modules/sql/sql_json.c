/*
 * sql_json.c — the JSON lexer and parser (PostgreSQL 15's grammar and error details), the tree
 * the function library reads (sql_json.h), jsonb's normalized text, order and hash, and the
 * json/jsonb input functions the type layer calls (pz__json_in).
 *
 * Why a tree for jsonb's text: jsonb is stored here as its normalized text (keys sorted, last
 * duplicate kept, numbers as numeric prints them, PostgreSQL's output spacing), which makes
 * output a copy and equality mostly bytewise; the order and hash still parse (numbers 1.0 and
 * 1.00 are equal jsonb but print differently).
 *
 * jsonb order (PostgreSQL's compareJsonbContainers as documented): across kinds null < string <
 * number < boolean < array < object; arrays first by element count, then element by element;
 * objects first by pair count, then key 1, value 1, key 2, ... in stored key order; strings
 * bytewise (PostgreSQL uses the database collation: we are C-collated everywhere); numbers as
 * numeric. A top-level scalar is, as PostgreSQL stores it, a one-element array when compared
 * with an array: 'true' > '[]' but '1' < '[1]' and '1' < '[1,2]'.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_json.h"
#include "sql_numeric.h"
#include "sql_types_int.h"

/* ------------------------------------------------------------------------------------------ */
/* Lexer                                                                                       */

typedef enum {
    T_END,
    T_OBJ_START,
    T_OBJ_END,
    T_ARR_START,
    T_ARR_END,
    T_COMMA,
    T_COLON,
    T_STRING,
    T_NUMBER,
    T_TRUE,
    T_FALSE,
    T_NULL,
} s_tok_t;

typedef struct {
    pz_arena_t *a;
    const char *s;
    size_t len;
    size_t pos; /* after the current token */
    bool jsonb;
    int depth;
    pz_sql_err_t *err;
    s_tok_t tok;
    size_t t0, t1; /* the current token's bytes */
    pz_sbuf_t str; /* the current string token, de-escaped */
} s_lex_t;

static int s_syntax(s_lex_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int s_syntax(s_lex_t *l, const char *fmt, ...)
{
    int rc = pz_sql_err_set(l->err, "22P02", "invalid input syntax for type json");
    char detail[PZ_SQL_ERR_MSG_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    pz_sql_err_detail(l->err, "%s", detail);
    return rc;
}

static int s_bad_token(s_lex_t *l, size_t t0, size_t t1)
{
    int n = (int)(t1 - t0 > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : t1 - t0);
    return s_syntax(l, "Token \"%.*s\" is invalid.", n, l->s + t0);
}

static bool s_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

static bool s_digit(const s_lex_t *l, size_t i)
{
    return i < l->len && l->s[i] >= '0' && l->s[i] <= '9';
}

/* PostgreSQL's json_lex_number from s[i] (after an optional '-'). */
static int s_lex_number(s_lex_t *l, size_t i)
{
    bool bad = false;
    if (i < l->len && l->s[i] == '0') {
        i++;
    } else if (s_digit(l, i)) {
        while (s_digit(l, i))
            i++;
    } else {
        bad = true;
    }
    if (i < l->len && l->s[i] == '.') {
        i++;
        if (!s_digit(l, i))
            bad = true;
        while (s_digit(l, i))
            i++;
    }
    if (i < l->len && (l->s[i] == 'e' || l->s[i] == 'E')) {
        i++;
        if (i < l->len && (l->s[i] == '+' || l->s[i] == '-'))
            i++;
        if (!s_digit(l, i))
            bad = true;
        while (s_digit(l, i))
            i++;
    }
    for (; i < l->len && s_alnum((unsigned char)l->s[i]); i++)
        bad = true;
    l->t1 = i;
    if (bad)
        return s_bad_token(l, l->t0, i);
    l->tok = T_NUMBER;
    return 0;
}

static int s_hex4(const s_lex_t *l, size_t i, unsigned *out)
{
    unsigned v = 0;
    for (size_t k = 0; k < 4; k++) {
        if (i + k >= l->len)
            return -1;
        char c = l->s[i + k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

static void s_put_utf8(pz_sbuf_t *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    pz_sbuf_put(b, u, n);
}

/* json trees: a \uXXXX escape decoded where it makes valid text (a pair of surrogates joined,
 * anything else non-zero), else kept as written. Sets *adv to the bytes consumed after s[i]. */
static void s_json_unicode(s_lex_t *l, size_t i, unsigned cp, size_t *adv)
{
    unsigned lo;
    *adv = 5;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 7 < l->len && l->s[i + 6] == '\\' &&
        l->s[i + 7] == 'u' && s_hex4(l, i + 8, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
        s_put_utf8(&l->str, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
        *adv = 11;
    } else if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
        pz_sbuf_put(&l->str, l->s + i, 6);
    } else {
        s_put_utf8(&l->str, cp);
    }
}

/* One \uXXXX escape at s[i] (the backslash); *hi carries a pending high surrogate (-1 none). */
static int s_lex_unicode(s_lex_t *l, size_t i, int *hi, size_t *adv)
{
    unsigned cp;
    *adv = 5;
    if (s_hex4(l, i + 2, &cp) != 0)
        return s_syntax(l, "\"\\u\" must be followed by four hexadecimal digits.");
    if (!l->jsonb) {
        s_json_unicode(l, i, cp, adv);
        return 0;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (*hi != -1)
            return s_syntax(l, "Unicode high surrogate must not follow a high surrogate.");
        *hi = (int)cp;
        return 0;
    }
    if (cp >= 0xdc00 && cp <= 0xdfff) {
        if (*hi == -1)
            return s_syntax(l, "Unicode low surrogate must follow a high surrogate.");
        cp = 0x10000 + (((unsigned)*hi - 0xd800) << 10) + (cp - 0xdc00);
        *hi = -1;
    } else if (*hi != -1) {
        return s_syntax(l, "Unicode low surrogate must follow a high surrogate.");
    }
    if (cp == 0) {
        int rc = pz_sql_err_set(l->err, "22P05", "unsupported Unicode escape sequence");
        pz_sql_err_detail(l->err, "\\u0000 cannot be converted to text.");
        return rc;
    }
    s_put_utf8(&l->str, cp);
    return 0;
}

static int s_lex_escape(s_lex_t *l, size_t i, int *hi, size_t *adv)
{
    char c = l->s[i + 1];
    if (c == 'u')
        return s_lex_unicode(l, i, hi, adv);
    *adv = 1;
    if (*hi != -1)
        return s_syntax(l, "Unicode low surrogate must follow a high surrogate.");
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *p = memchr(from, c, sizeof from - 1);
    if (p == NULL || c == '\0') {
        size_t n = 1;
        while (i + 1 + n < l->len && ((unsigned char)l->s[i + 1 + n] & 0xc0) == 0x80)
            n++;
        return s_syntax(l, "Escape sequence \"\\%.*s\" is invalid.", (int)n, l->s + i + 1);
    }
    pz_sbuf_putc(&l->str, to[p - from]);
    return 0;
}

/* PostgreSQL's json_lex_string from the opening quote at s[t0]. */
static int s_lex_string(s_lex_t *l)
{
    int hi = -1;
    pz_sbuf_reset(&l->str);
    for (size_t i = l->t0 + 1;; i++) {
        if (i >= l->len)
            return s_bad_token(l, l->t0, l->len);
        unsigned char c = (unsigned char)l->s[i];
        if (c == '"') {
            if (hi != -1)
                return s_syntax(l, "Unicode low surrogate must follow a high surrogate.");
            l->t1 = i + 1;
            l->tok = T_STRING;
            return l->str.oom ? pz_sql_err_code(l->err, PZ_ENOMEM, NULL) : 0;
        }
        if (c < 0x20)
            return s_syntax(l, "Character with value 0x%02x must be escaped.", c);
        if (c == '\\') {
            if (i + 1 >= l->len)
                return s_bad_token(l, l->t0, l->len);
            size_t adv;
            if (s_lex_escape(l, i, &hi, &adv) != 0)
                return PZ_EINVAL;
            i += adv;
            continue;
        }
        if (hi != -1)
            return s_syntax(l, "Unicode low surrogate must follow a high surrogate.");
        pz_sbuf_putc(&l->str, (char)c);
    }
}

/* A word that is not punctuation, string or number: true/false/null or an invalid token. */
static int s_lex_word(s_lex_t *l)
{
    size_t i = l->t0;
    while (i < l->len && s_alnum((unsigned char)l->s[i]))
        i++;
    if (i == l->t0) /* one non-alphanumeric character */
        return s_bad_token(l, l->t0, l->t0 + 1);
    l->t1 = i;
    size_t n = i - l->t0;
    const char *w = l->s + l->t0;
    if (n == 4 && memcmp(w, "true", 4) == 0)
        l->tok = T_TRUE;
    else if (n == 5 && memcmp(w, "false", 5) == 0)
        l->tok = T_FALSE;
    else if (n == 4 && memcmp(w, "null", 4) == 0)
        l->tok = T_NULL;
    else
        return s_bad_token(l, l->t0, i);
    return 0;
}

static int s_lex(s_lex_t *l)
{
    size_t i = l->pos;
    while (i < l->len && (l->s[i] == ' ' || l->s[i] == '\t' || l->s[i] == '\n' || l->s[i] == '\r'))
        i++;
    l->t0 = i;
    l->t1 = i + 1;
    int rc = 0;
    if (i >= l->len) {
        l->tok = T_END;
        l->t1 = i;
    } else {
        static const char punct[] = "{}[],:";
        const char *p = memchr(punct, l->s[i], sizeof punct - 1);
        if (p != NULL && l->s[i] != '\0')
            l->tok = (s_tok_t)(T_OBJ_START + (p - punct));
        else if (l->s[i] == '"')
            rc = s_lex_string(l);
        else if (l->s[i] == '-')
            rc = s_lex_number(l, i + 1);
        else if (l->s[i] >= '0' && l->s[i] <= '9')
            rc = s_lex_number(l, i);
        else
            rc = s_lex_word(l);
    }
    l->pos = l->t1;
    return rc;
}

/* "Expected X, but found \"tok\"." or, at the end, "The input string ended unexpectedly." */
static int s_expected(s_lex_t *l, const char *what)
{
    if (l->tok == T_END)
        return s_syntax(l, "The input string ended unexpectedly.");
    size_t n = l->t1 - l->t0;
    return s_syntax(l, "Expected %s, but found \"%.*s\".", what,
                    (int)(n > PZ__ERR_ECHO_BYTES_MAX ? PZ__ERR_ECHO_BYTES_MAX : n), l->s + l->t0);
}

/* ------------------------------------------------------------------------------------------ */
/* Parser                                                                                      */

/* Children collected while a container is parsed (malloc'd, moved into the arena at its end). */
typedef struct {
    pz_json_t *p;
    size_t n, cap;
} s_vec_t;

static int s_vec_push(s_lex_t *l, s_vec_t *v, const pz_json_t *node)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        pz_json_t *p = realloc(v->p, cap * sizeof *p);
        if (p == NULL)
            return pz_sql_err_code(l->err, PZ_ENOMEM, NULL);
        v->p = p;
        v->cap = cap;
    }
    v->p[v->n++] = *node;
    return 0;
}

static int s_value(s_lex_t *l, pz_json_t *out);

/* The current string token as a tree node (its de-escaped bytes copied into the arena). */
static int s_string_node(s_lex_t *l, pz_json_t *out)
{
    const pz_sbuf_t *b = &l->str;
    if (b->oom || b->len > UINT32_MAX)
        return pz_sql_err_code(l->err, PZ_ENOMEM, NULL);
    char *p = pz_arena_alloc(l->a, b->len + 1);
    if (p == NULL)
        return pz_sql_err_code(l->err, PZ_ENOMEM, NULL);
    if (b->len > 0)
        memcpy(p, b->p, b->len);
    *out = (pz_json_t){.kind = PZ_JSON_STRING, .n = (uint32_t)b->len, .s = p};
    return 0;
}

static int s_scalar(s_lex_t *l, pz_json_t *out)
{
    switch (l->tok) {
    case T_STRING:
        return s_string_node(l, out);
    case T_NUMBER:
        *out = (pz_json_t){.kind = PZ_JSON_NUMBER};
        return pz_num_in(l->a, l->s + l->t0, l->t1 - l->t0, -1, &out->num, l->err);
    case T_TRUE:
    case T_FALSE:
        *out = (pz_json_t){.kind = PZ_JSON_BOOL, .b = l->tok == T_TRUE};
        return 0;
    case T_NULL:
        *out = (pz_json_t){.kind = PZ_JSON_NULL};
        return 0;
    default:
        return s_expected(l, "JSON value");
    }
}

static int s_finish(s_lex_t *l, s_vec_t *v, pz_json_kind_t kind, pz_json_t *out)
{
    *out = (pz_json_t){.kind = (uint8_t)kind};
    size_t n = kind == PZ_JSON_OBJECT ? v->n / 2 : v->n;
    if (n > UINT32_MAX)
        return pz_sql_err_set(l->err, "54000",
                              "total size of jsonb array elements exceeds the "
                              "maximum of 268435455 bytes");
    out->n = (uint32_t)n;
    if (v->n > 0) {
        out->items = pz_arena_alloc(l->a, v->n * sizeof(pz_json_t));
        if (out->items == NULL)
            return pz_sql_err_code(l->err, PZ_ENOMEM, NULL);
        memcpy(out->items, v->p, v->n * sizeof(pz_json_t));
    }
    return 0;
}

static int s_array(s_lex_t *l, s_vec_t *v)
{
    if (s_lex(l) != 0)
        return PZ_EINVAL;
    if (l->tok == T_ARR_END)
        return 0;
    for (;;) {
        pz_json_t node;
        if (s_value(l, &node) != 0 || s_vec_push(l, v, &node) != 0 || s_lex(l) != 0)
            return PZ_EINVAL;
        if (l->tok == T_ARR_END)
            return 0;
        if (l->tok != T_COMMA)
            return s_expected(l, "\",\" or \"]\"");
        if (s_lex(l) != 0)
            return PZ_EINVAL;
    }
}

static int s_object(s_lex_t *l, s_vec_t *v)
{
    if (s_lex(l) != 0)
        return PZ_EINVAL;
    if (l->tok == T_OBJ_END)
        return 0;
    if (l->tok != T_STRING)
        return s_expected(l, "string or \"}\"");
    for (;;) {
        pz_json_t key, val;
        if (s_string_node(l, &key) != 0 || s_lex(l) != 0)
            return PZ_EINVAL;
        if (l->tok != T_COLON)
            return s_expected(l, "\":\"");
        if (s_lex(l) != 0 || s_value(l, &val) != 0 || s_vec_push(l, v, &key) != 0 ||
            s_vec_push(l, v, &val) != 0 || s_lex(l) != 0)
            return PZ_EINVAL;
        if (l->tok == T_OBJ_END)
            return 0;
        if (l->tok != T_COMMA)
            return s_expected(l, "\",\" or \"}\"");
        if (s_lex(l) != 0)
            return PZ_EINVAL;
        if (l->tok != T_STRING)
            return s_expected(l, "string");
    }
}

/* jsonb's key order: shorter first, then bytewise. */
static int s_key_cmp(const pz_json_t *x, const pz_json_t *y)
{
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return x->n ? memcmp(x->s, y->s, x->n) : 0;
}

typedef struct {
    const pz_json_t *pair;
    size_t index;
} s_sortpair_t;

static int s_sortpair_cmp(const void *x, const void *y)
{
    const s_sortpair_t *a = x, *b = y;
    int c = s_key_cmp(a->pair, b->pair);
    if (c != 0)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Sorts an object's pairs into jsonb order, keeping the last of duplicate keys. */
static int s_normalize(s_lex_t *l, s_vec_t *v)
{
    size_t n = v->n / 2;
    if (n < 2)
        return 0;
    s_sortpair_t *sp = malloc(n * sizeof *sp);
    pz_json_t *out = malloc(v->n * sizeof *out);
    if (sp == NULL || out == NULL) {
        free(sp);
        free(out);
        return pz_sql_err_code(l->err, PZ_ENOMEM, NULL);
    }
    for (size_t i = 0; i < n; i++)
        sp[i] = (s_sortpair_t){.pair = &v->p[2 * i], .index = i};
    qsort(sp, n, sizeof *sp, s_sortpair_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && s_key_cmp(sp[i].pair, sp[i + 1].pair) == 0)
            continue; /* a later duplicate follows: it wins */
        out[2 * m] = sp[i].pair[0];
        out[2 * m + 1] = sp[i].pair[1];
        m++;
    }
    memcpy(v->p, out, 2 * m * sizeof *out);
    v->n = 2 * m;
    free(sp);
    free(out);
    return 0;
}

static int s_container(s_lex_t *l, pz_json_t *out)
{
    if (++l->depth > PZ_JSON_DEPTH_MAX)
        return pz_sql_err_set(l->err, "54001", "stack depth limit exceeded");
    bool obj = l->tok == T_OBJ_START;
    s_vec_t v = {0};
    int rc = obj ? s_object(l, &v) : s_array(l, &v);
    if (rc == 0 && obj && l->jsonb)
        rc = s_normalize(l, &v);
    if (rc == 0)
        rc = s_finish(l, &v, obj ? PZ_JSON_OBJECT : PZ_JSON_ARRAY, out);
    free(v.p);
    l->depth--;
    return rc;
}

static int s_value(s_lex_t *l, pz_json_t *out)
{
    if (l->tok == T_OBJ_START || l->tok == T_ARR_START)
        return s_container(l, out);
    return s_scalar(l, out);
}

int pz_json_parse(pz_arena_t *a, const char *s, size_t len, bool jsonb, pz_json_t **out,
                  pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && err != NULL && (s != NULL || len == 0));
    s_lex_t l = {.a = a, .s = s, .len = len, .jsonb = jsonb, .err = err};
    pz_json_t *root = pz_arena_alloc(a, sizeof *root);
    int rc = root == NULL ? pz_sql_err_code(err, PZ_ENOMEM, NULL) : 0;
    if (rc == 0)
        rc = s_lex(&l);
    if (rc == 0)
        rc = s_value(&l, root);
    if (rc == 0)
        rc = s_lex(&l);
    if (rc == 0 && l.tok != T_END)
        rc = s_expected(&l, "end of input");
    pz_sbuf_free(&l.str);
    if (rc != 0)
        return rc == PZ_ENOMEM ? rc : PZ_EINVAL;
    *out = root;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading trees                                                                               */

const pz_json_t *pz_json_get(const pz_json_t *v, const char *key, size_t key_len)
{
    assert(v != NULL && (key != NULL || key_len == 0));
    if (v->kind != PZ_JSON_OBJECT)
        return NULL;
    const pz_json_t *found = NULL;
    for (uint32_t i = 0; i < v->n; i++) {
        const pz_json_t *k = &v->items[2 * i];
        if (k->n == key_len && (key_len == 0 || memcmp(k->s, key, key_len) == 0))
            found = &v->items[2 * i + 1];
    }
    return found;
}

const pz_json_t *pz_json_index(const pz_json_t *v, int64_t i)
{
    assert(v != NULL);
    if (v->kind != PZ_JSON_ARRAY)
        return NULL;
    if (i < 0)
        i += v->n;
    if (i < 0 || i >= (int64_t)v->n)
        return NULL;
    return &v->items[i];
}

const char *pz_json_typeof(const pz_json_t *v)
{
    assert(v != NULL && v->kind <= PZ_JSON_OBJECT);
    static const char *const names[] = {"null", "string", "number", "boolean", "array", "object"};
    return names[v->kind];
}

static int s_scalar_cmp(const pz_json_t *a, const pz_json_t *b)
{
    assert(a->kind == b->kind);
    switch (a->kind) {
    case PZ_JSON_STRING: {
        size_t n = a->n < b->n ? a->n : b->n;
        int c = n ? memcmp(a->s, b->s, n) : 0;
        if (c != 0)
            return c < 0 ? -1 : 1;
        return a->n < b->n ? -1 : a->n > b->n;
    }
    case PZ_JSON_NUMBER:
        return pz_num_cmp(&a->num, &b->num);
    case PZ_JSON_BOOL:
        return (int)a->b - (int)b->b;
    default:
        return 0;
    }
}

static int s_cmp(const pz_json_t *a, const pz_json_t *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->kind != PZ_JSON_ARRAY && a->kind != PZ_JSON_OBJECT)
        return s_scalar_cmp(a, b);
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    uint32_t n = a->kind == PZ_JSON_OBJECT ? 2 * a->n : a->n;
    for (uint32_t i = 0; i < n; i++) {
        int c = s_cmp(&a->items[i], &b->items[i]);
        if (c != 0)
            return c;
    }
    return 0;
}

static bool s_is_scalar(const pz_json_t *v)
{
    return v->kind != PZ_JSON_ARRAY && v->kind != PZ_JSON_OBJECT;
}

int pz_json_cmp(const pz_json_t *a, const pz_json_t *b)
{
    assert(a != NULL && b != NULL);
    /* PostgreSQL stores a top-level scalar as a one-element array: against an array it counts
     * as one element, and loses a tie ('true' > '[]', '1' < '[1]', '1' < '[1,2]'). */
    if (s_is_scalar(a) && b->kind == PZ_JSON_ARRAY)
        return b->n == 0 ? 1 : -1;
    if (a->kind == PZ_JSON_ARRAY && s_is_scalar(b))
        return a->n == 0 ? -1 : 1;
    return s_cmp(a, b);
}

uint64_t pz_json_hash(const pz_json_t *v, uint64_t seed)
{
    assert(v != NULL);
    uint64_t h = pz__hash_u64(v->kind, seed);
    switch (v->kind) {
    case PZ_JSON_STRING:
        return pz__hash_bytes(v->s, v->n, h);
    case PZ_JSON_NUMBER:
        return pz_num_hash(&v->num, h);
    case PZ_JSON_BOOL:
        return pz__hash_u64(v->b, h);
    case PZ_JSON_NULL:
        return h;
    default: {
        uint32_t n = v->kind == PZ_JSON_OBJECT ? 2 * v->n : v->n;
        h = pz__hash_u64(v->n, h);
        for (uint32_t i = 0; i < n; i++)
            h = pz_json_hash(&v->items[i], h);
        return h;
    }
    }
}

/* Whether a scalar or container b is one of the array a's elements (containers: contained by
 * an element of the same kind). */
static bool s_array_has(const pz_json_t *a, const pz_json_t *b)
{
    for (uint32_t i = 0; i < a->n; i++) {
        const pz_json_t *e = &a->items[i];
        if (e->kind != b->kind)
            continue;
        if (b->kind == PZ_JSON_ARRAY || b->kind == PZ_JSON_OBJECT ? pz_json_contains(e, b)
                                                                  : s_scalar_cmp(e, b) == 0)
            return true;
    }
    return false;
}

bool pz_json_contains(const pz_json_t *a, const pz_json_t *b)
{
    assert(a != NULL && b != NULL);
    if (a->kind == PZ_JSON_ARRAY && b->kind != PZ_JSON_ARRAY && b->kind != PZ_JSON_OBJECT)
        return s_array_has(a, b); /* '[1,2]' @> '1' */
    if (a->kind != b->kind)
        return false;
    if (a->kind == PZ_JSON_ARRAY) {
        for (uint32_t i = 0; i < b->n; i++)
            if (!s_array_has(a, &b->items[i]))
                return false;
        return true;
    }
    if (a->kind != PZ_JSON_OBJECT)
        return s_scalar_cmp(a, b) == 0;
    for (uint32_t i = 0; i < b->n; i++) {
        const pz_json_t *k = &b->items[2 * i], *bv = &b->items[2 * i + 1];
        const pz_json_t *av = pz_json_get(a, k->s, k->n);
        if (av == NULL || av->kind != bv->kind)
            return false;
        if (bv->kind == PZ_JSON_ARRAY || bv->kind == PZ_JSON_OBJECT ? !pz_json_contains(av, bv)
                                                                    : s_scalar_cmp(av, bv) != 0)
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                      */

void pz_json_escape(const char *s, size_t n, pz_sbuf_t *out)
{
    assert((s != NULL || n == 0) && out != NULL);
    pz_sbuf_putc(out, '"');
    size_t run = 0; /* bytes copied as they are, flushed in one put */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        if (esc == NULL && c >= 0x20) {
            run++;
            continue;
        }
        pz_sbuf_put(out, s + i - run, run);
        run = 0;
        if (esc != NULL)
            pz_sbuf_puts(out, esc);
        else
            pz_sbuf_printf(out, "\\u%04x", c);
    }
    pz_sbuf_put(out, s + n - run, run);
    pz_sbuf_putc(out, '"');
}

void pz_json_out(const pz_json_t *v, pz_sbuf_t *out)
{
    assert(v != NULL && out != NULL);
    switch (v->kind) {
    case PZ_JSON_NULL:
        pz_sbuf_puts(out, "null");
        return;
    case PZ_JSON_BOOL:
        pz_sbuf_puts(out, v->b ? "true" : "false");
        return;
    case PZ_JSON_NUMBER:
        pz_num_out(&v->num, out);
        return;
    case PZ_JSON_STRING:
        pz_json_escape(v->s, v->n, out);
        return;
    default:
        break;
    }
    bool obj = v->kind == PZ_JSON_OBJECT;
    pz_sbuf_putc(out, obj ? '{' : '[');
    for (uint32_t i = 0; i < v->n; i++) {
        if (i > 0)
            pz_sbuf_puts(out, ", ");
        if (obj) {
            pz_json_escape(v->items[2 * i].s, v->items[2 * i].n, out);
            pz_sbuf_puts(out, ": ");
            pz_json_out(&v->items[2 * i + 1], out);
        } else {
            pz_json_out(&v->items[i], out);
        }
    }
    pz_sbuf_putc(out, obj ? '}' : ']');
}

/* ------------------------------------------------------------------------------------------ */
/* The type layer's entry points                                                               */

int pz_json_cmp_text(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    assert((a != NULL || na == 0) && (b != NULL || nb == 0));
    if (na == nb && (na == 0 || memcmp(a, b, na) == 0))
        return 0;
    pz_arena_t *ar = pz_arena_new();
    pz_json_t *x = NULL, *y = NULL;
    pz_sql_err_t err;
    pz_sql_err_clear(&err);
    int c;
    if (ar != NULL && pz_json_parse(ar, (const char *)a, na, true, &x, &err) == 0 &&
        pz_json_parse(ar, (const char *)b, nb, true, &y, &err) == 0) {
        c = pz_json_cmp(x, y);
    } else { /* out of memory: bytewise, still a total order */
        size_t n = na < nb ? na : nb;
        c = n ? memcmp(a, b, n) : 0;
        c = c != 0 ? c : na < nb ? -1 : na > nb;
    }
    pz_arena_destroy(&ar);
    return c < 0 ? -1 : c > 0;
}

uint64_t pz_json_hash_text(const uint8_t *p, size_t n, uint64_t seed)
{
    assert(p != NULL || n == 0);
    pz_arena_t *ar = pz_arena_new();
    pz_json_t *v = NULL;
    pz_sql_err_t err;
    pz_sql_err_clear(&err);
    uint64_t h;
    if (ar != NULL && pz_json_parse(ar, (const char *)p, n, true, &v, &err) == 0)
        h = pz_json_hash(v, seed);
    else
        h = pz__hash_bytes(p, n, seed);
    pz_arena_destroy(&ar);
    return h;
}

int pz__json_in(pz_arena_t *a, bool jsonb, const char *s, size_t len, pz_datum_t *out,
                pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && (s != NULL || len == 0));
    pz_arena_t *tmp = pz_arena_new();
    if (tmp == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    pz_json_t *v;
    int rc = pz_json_parse(tmp, s, len, jsonb, &v, err);
    pz_sbuf_t b = {0};
    if (rc == 0 && jsonb) {
        pz_json_out(v, &b);
        rc = pz__sbuf_to_arena(a, &b, &out->v.p, &out->len, err);
    } else if (rc == 0) {
        pz_sbuf_put(&b, s, len);
        rc = pz__sbuf_to_arena(a, &b, &out->v.p, &out->len, err);
    }
    pz_sbuf_free(&b);
    pz_arena_destroy(&tmp);
    if (rc != 0)
        return rc;
    out->type = jsonb ? PZ_TY_JSONB : PZ_TY_JSON;
    out->null = false;
    out->scale = 0;
    return 0;
}
