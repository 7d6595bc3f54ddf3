/*
 * sql_shape.c — shape keys of simple-protocol statements and the literals that become the
 * parameters of their cached plans (sql_shape.h says why and how the binder decides).
 *
 * The key is the token sequence, each token length-prefixed (so token boundaries are part of the
 * key), with a number or plain '...' string replaced by a zero length and its class. Any other
 * literal (E'..', $$..$$, B'..', X'..', U&'..', a string continued on a second line) stays in the
 * key as written: such a statement is cached, but only the same text matches.
 */
#include "sql_shape.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query/pg_query.pb-c.h>

#include "phantomzero/errors.h"
#include "sql_parse.h"

/* ---- scanning --------------------------------------------------------------------------------
 */

static bool s_key_put(pz_shape_t *sh, const void *p, size_t n)
{
    if (sh->key_len + n > sizeof sh->key) {
        return false;
    }
    memcpy(sh->key + sh->key_len, p, n);
    sh->key_len += (uint32_t)n;
    return true;
}

/* A token's text, length-prefixed (a varint: tokens are shorter than the query bound). */
static bool s_key_token(pz_shape_t *sh, const char *p, uint32_t n)
{
    assert(n > 0 && n < 16384);
    uint8_t len[2] = {(uint8_t)(n & 0x7f), (uint8_t)(n >> 7)};
    if (n >= 128) {
        len[0] |= 0x80;
    }
    return s_key_put(sh, len, n >= 128 ? 2 : 1) && s_key_put(sh, p, n);
}

/* Where a plain '...' string's text ends (the closing quote), or NULL when the token is not
 * exactly one plain string: an escape string, a dollar-quoted one, or one continued over a
 * newline (PostgreSQL's scanner makes `'a'\n'b'` one token). */
static const char *s_plain_string_end(const char *p, const char *end)
{
    if (end - p < 2 || *p != '\'') {
        return NULL;
    }
    for (const char *q = p + 1; q < end; q++) {
        if (*q != '\'') {
            continue;
        }
        if (q + 1 < end && q[1] == '\'') {
            q++; /* '' is one quote */
            continue;
        }
        return q + 1 == end ? q : NULL;
    }
    return NULL;
}

static bool s_all_digits(const char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return false;
        }
    }
    return n > 0;
}

/* The class of a literal token, or 0 when it is not one the cache parameterizes. PostgreSQL's
 * scanner gives ICONST only to integers that fit int4; bigger integers arrive as FCONST. */
static uint8_t s_lit_class(const char *q, const pz_sql_token_t *t)
{
    const char *p = q + t->start;
    uint32_t n = t->end - t->start;
    switch (t->token) {
    case PG_QUERY__TOKEN__ICONST:
        return PZ_LIT_INT4;
    case PG_QUERY__TOKEN__FCONST:
        if (s_all_digits(p, n) && n <= 19) {
            errno = 0;
            (void)strtoll(p, NULL, 10);
            return errno == 0 ? PZ_LIT_INT8 : PZ_LIT_NUMERIC;
        }
        return PZ_LIT_NUMERIC;
    case PG_QUERY__TOKEN__SCONST:
        return s_plain_string_end(p, q + t->end) ? PZ_LIT_STRING : 0;
    default:
        return 0;
    }
}

static uint64_t s_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

static bool s_shape_tokens(const char *query, const pz_sql_token_t *t, int n, pz_shape_t *sh)
{
    for (int i = 0; i < n; i++) {
        if (t[i].token == PG_QUERY__TOKEN__PARAM ||
            (t[i].token == PG_QUERY__TOKEN__ASCII_59 && i + 1 < n &&
             t[i + 1].token != PG_QUERY__TOKEN__ASCII_59)) {
            return false; /* a $n (an error in a simple query), or a second statement */
        }
        uint8_t cls = s_lit_class(query, &t[i]);
        if (cls == 0) {
            if (!s_key_token(sh, query + t[i].start, t[i].end - t[i].start)) {
                return false;
            }
            continue;
        }
        if (sh->n_lits == PZ_SQL_SHAPE_LITS_MAX) {
            return false;
        }
        bool minus = i > 0 && t[i - 1].token == PG_QUERY__TOKEN__ASCII_45 && cls != PZ_LIT_STRING;
        sh->lits[sh->n_lits++] = (pz_shape_lit_t){.start = t[i].start,
                                                  .end = t[i].end,
                                                  .minus = minus ? (int32_t)t[i - 1].start : -1,
                                                  .cls = cls};
        uint8_t mark[2] = {0, cls};
        if (!s_key_put(sh, mark, sizeof mark)) {
            return false;
        }
    }
    return true;
}

bool pz_shape_scan(const char *query, pz_shape_t *sh)
{
    assert(query != NULL && sh != NULL);
    sh->query = query;
    sh->key_len = 0;
    sh->n_lits = 0;
    if (strnlen(query, PZ_SQL_SHAPE_QUERY_BYTES_MAX + 1) > PZ_SQL_SHAPE_QUERY_BYTES_MAX) {
        return false;
    }
    pz_sql_token_t toks[PZ_SQL_SHAPE_TOKENS_MAX];
    int n = 0;
    if (pz_sql_scan(query, toks, PZ_SQL_SHAPE_TOKENS_MAX, &n) != 0 || n == 0 ||
        !s_shape_tokens(query, toks, n, sh)) {
        return false;
    }
    sh->hash = s_hash(sh->key, sh->key_len);
    return true;
}

/* ---- literals as parameters -------------------------------------------------------------- */

void pz_lits_init(pz_sql_lits_t *lits, const pz_shape_t *sh)
{
    memset(lits, 0, sizeof *lits);
    lits->query = sh->query;
    lits->n = sh->n_lits;
    for (int i = 0; i < sh->n_lits; i++) {
        lits->v[i] = (pz_lit_slot_t){.lit = sh->lits[i], .param = -1};
    }
}

pz_sql_type_t pz_lit_type(uint8_t cls)
{
    switch (cls) {
    case PZ_LIT_INT4:
        return PZ_SQL_TYPE(PZ_TY_INT4);
    case PZ_LIT_INT8:
        return PZ_SQL_TYPE(PZ_TY_INT8);
    case PZ_LIT_NUMERIC:
        return PZ_SQL_TYPE(PZ_TY_NUMERIC);
    default:
        return PZ_SQL_TYPE(PZ_TY_UNKNOWN);
    }
}

/* Whether the AST constant e is exactly what the literal decodes to, typed as the binder would
 * type it (s_const narrows an INT8 that fits int4 to int4: the class must agree). */
static bool s_value_matches(const char *q, const pz_shape_lit_t *l, bool neg,
                            const pz_ast_expr_t *e)
{
    const char *p = q + l->start;
    uint32_t n = l->end - l->start;
    const pz_datum_t *v = &e->val;
    if (v->null) {
        return false;
    }
    if (l->cls == PZ_LIT_STRING) {
        if (neg || v->type != PZ_TY_UNKNOWN || n - 2 < v->len) {
            return false;
        }
        uint32_t k = 0;
        for (uint32_t i = 1; i + 1 < n; i++, k++) {
            if (k >= v->len || v->v.p[k] != (uint8_t)p[i]) {
                return false;
            }
            i += p[i] == '\'';
        }
        return k == v->len;
    }
    if (l->cls == PZ_LIT_NUMERIC) {
        uint32_t m = n + (neg ? 1u : 0u);
        return v->type == PZ_TY_NUMERIC && v->scale < 0 && v->len == m &&
               (!neg || v->v.p[0] == '-') && memcmp(v->v.p + (neg ? 1 : 0), p, n) == 0;
    }
    if (v->type != PZ_TY_INT8) {
        return false;
    }
    int64_t x = strtoll(p, NULL, 10);
    x = neg ? -x : x;
    bool fits4 = x >= INT32_MIN && x <= INT32_MAX;
    return x == v->v.i && fits4 == (l->cls == PZ_LIT_INT4);
}

static bool s_same_text(const char *qa, const pz_shape_lit_t *a, const char *qb,
                        const pz_shape_lit_t *b)
{
    uint32_t n = a->end - a->start;
    return n == b->end - b->start && memcmp(qa + a->start, qb + b->start, n) == 0;
}

/* Equal numbers share a parameter, so expressions the binder compares (GROUP BY x + 1 and the
 * target x + 1) stay equal. Strings do not: their types come from context, which may differ. */
static int s_param_for(pz_sql_lits_t *lits, int slot)
{
    pz_lit_slot_t *s = &lits->v[slot];
    for (int i = 0; s->lit.cls != PZ_LIT_STRING && i < lits->n; i++) {
        const pz_lit_slot_t *o = &lits->v[i];
        if (i != slot && o->state == PZ_LIT_PARAM && o->lit.cls == s->lit.cls && o->neg == s->neg &&
            s_same_text(lits->query, &o->lit, lits->query, &s->lit)) {
            return o->param;
        }
    }
    return lits->n_params++;
}

int pz__lits_match(pz_sql_lits_t *lits, const pz_ast_expr_t *e)
{
    assert(lits != NULL && e != NULL && e->kind == PZ_AX_CONST);
    if (e->location < 0) {
        return -1;
    }
    for (int i = 0; i < lits->n; i++) {
        pz_lit_slot_t *s = &lits->v[i];
        bool neg;
        if (s->lit.start == (uint32_t)e->location) {
            neg = false;
        } else if (s->lit.minus == e->location) {
            neg = true;
        } else {
            continue;
        }
        if (s->state == PZ_LIT_PARAM) {
            return s->neg == neg ? i : -1; /* bound before: the same answer */
        }
        if (s->state == PZ_LIT_FIXED || !s_value_matches(lits->query, &s->lit, neg, e)) {
            s->state = PZ_LIT_FIXED;
            return -1;
        }
        s->neg = neg;
        s->param = s_param_for(lits, i);
        s->state = PZ_LIT_PARAM;
        return i;
    }
    return -1;
}

bool pz_lits_fixed_match(const pz_sql_lits_t *lits, const pz_shape_t *sh)
{
    if (lits->n != sh->n_lits) {
        return false;
    }
    for (int i = 0; i < lits->n; i++) {
        const pz_lit_slot_t *s = &lits->v[i];
        if (s->state != PZ_LIT_PARAM) {
            if (!s_same_text(lits->query, &s->lit, sh->query, &sh->lits[i])) {
                return false;
            }
            continue;
        }
        for (int j = 0; j < i; j++) { /* a shared parameter: the first slot's text again */
            if (lits->v[j].state == PZ_LIT_PARAM && lits->v[j].param == s->param) {
                if (!s_same_text(sh->query, &sh->lits[j], sh->query, &sh->lits[i])) {
                    return false;
                }
                break;
            }
        }
    }
    return true;
}

/* The literal's value as text: a number with its folded minus, a string without its quotes. */
static char *s_lit_text(pz_arena_t *arena, const char *q, const pz_shape_lit_t *l, bool neg,
                        size_t *len)
{
    const char *p = q + l->start;
    uint32_t n = l->end - l->start;
    char *out = pz_arena_alloc(arena, n + 2);
    if (out == NULL) {
        return NULL;
    }
    size_t k = 0;
    if (l->cls != PZ_LIT_STRING) {
        if (neg) {
            out[k++] = '-';
        }
        memcpy(out + k, p, n);
        *len = k + n;
        return out;
    }
    for (uint32_t i = 1; i + 1 < n; i++) {
        out[k++] = p[i];
        i += p[i] == '\'';
    }
    *len = k;
    return out;
}

int pz_lits_params(const pz_sql_lits_t *lits, const pz_shape_t *sh, const pz_sql_type_t *types,
                   pz_arena_t *arena, const pz_sql_tyenv_t *env, pz_datum_t *params,
                   pz_sql_err_t *err)
{
    assert(lits->n == sh->n_lits);
    for (int i = 0; i < lits->n; i++) {
        const pz_lit_slot_t *s = &lits->v[i];
        if (s->state != PZ_LIT_PARAM) {
            continue;
        }
        size_t len = 0;
        char *text = s_lit_text(arena, sh->query, &sh->lits[i], s->neg, &len);
        if (text == NULL) {
            return pz_sql_err_set(err, "53200", "out of memory");
        }
        int rc = pz_datum_from_text(arena, env, types[s->param], text, len, &params[s->param], err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}
