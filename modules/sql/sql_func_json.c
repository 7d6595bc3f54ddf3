/*
 * sql_func_json.c — json/jsonb functions and operators: -> ->> #> #>> on objects and arrays,
 * @> <@ ? for jsonb, json_build_object / json_build_array / to_json (and the jsonb forms),
 * jsonb_typeof / json_typeof, jsonb_array_length, jsonb || jsonb. Values parse with sql_json.c
 * (jsonb datums hold normalized text; json the text as given); results are built as text and, for
 * jsonb, normalized by parsing once more, so output always equals PostgreSQL's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_func_int.h"
#include "sql_json.h"

static int s_parse(pz_sql_fnctx_t *ctx, const pz_datum_t *d, pz_json_t **out)
{
    return pz_json_parse(ctx->arena, (const char *)d->v.p, d->len, d->type == PZ_TY_JSONB, out,
                         ctx->err);
}

/* A text datum of the given type holding b's bytes (jsonb: normalized). */
static int s_result(pz_sql_fnctx_t *ctx, pz_ty_t t, pz_sbuf_t *b, pz_datum_t *out)
{
    if (b->oom) {
        pz_sbuf_free(b);
        return pz_sql_err_set(ctx->err, "53200", "out of memory");
    }
    pz_datum_t d = pz_datum_bytes(t == PZ_TY_JSONB ? PZ_TY_JSON : t, "", 0);
    pz_view_t v = pz_arena_dup(ctx->arena, b->p ? b->p : "", b->len);
    pz_sbuf_free(b);
    if (v.ptr == NULL && v.len > 0) {
        return pz_sql_err_set(ctx->err, "53200", "out of memory");
    }
    d.v.p = v.ptr;
    d.len = v.len;
    if (t != PZ_TY_JSONB) {
        d.type = (uint8_t)t;
        *out = d;
        return 0;
    }
    return pz_datum_from_text(ctx->arena, ctx->env, PZ_SQL_TYPE(PZ_TY_JSONB), (const char *)d.v.p,
                              d.len, out, ctx->err);
}

/* A value as JSON text (to_json's rules): numbers and booleans bare, json as is, NULL as null,
 * everything else its text output as a JSON string. */
static void s_to_json(pz_sql_fnctx_t *ctx, const pz_datum_t *v, pz_sbuf_t *out)
{
    if (v->null) {
        pz_sbuf_puts(out, "null");
        return;
    }
    switch (v->type) {
    case PZ_TY_BOOL:
        pz_sbuf_puts(out, v->v.b ? "true" : "false");
        return;
    case PZ_TY_INT2:
    case PZ_TY_INT4:
    case PZ_TY_INT8:
    case PZ_TY_NUMERIC:
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        pz_datum_to_text(ctx->env, v, out);
        return;
    default: {
        pz_sbuf_t t = {0};
        pz_datum_to_text(ctx->env, v, &t);
        pz_json_escape(t.p ? t.p : "", t.len, out);
        pz_sbuf_free(&t);
        return;
    }
    }
}

static int s_build_object(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    if (argc % 2 != 0) {
        pz_sql_err_set(ctx->err, "22023", "argument list must have even number of elements");
        pz_sql_err_hint(ctx->err,
                        "The arguments of %s must consist of alternating keys and "
                        "values.",
                        ctx->ret.id == PZ_TY_JSONB ? "jsonb_build_object()"
                                                   : "json_build_object()");
        return PZ_EINVAL;
    }
    pz_sbuf_t b = {0};
    pz_sbuf_putc(&b, '{');
    for (int i = 0; i < argc; i += 2) {
        if (v[i].null) {
            pz_sbuf_free(&b);
            return pz_sql_err_set(ctx->err, "22004", "null value not allowed for object key");
        }
        pz_sbuf_t k = {0};
        pz_datum_to_text(ctx->env, &v[i], &k);
        pz_sbuf_puts(&b, i ? ", " : "");
        pz_json_escape(k.p ? k.p : "", k.len, &b);
        pz_sbuf_free(&k);
        pz_sbuf_puts(&b, " : ");
        s_to_json(ctx, &v[i + 1], &b);
    }
    pz_sbuf_putc(&b, '}');
    return s_result(ctx, (pz_ty_t)ctx->ret.id, &b, out);
}

static int s_build_array(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    pz_sbuf_t b = {0};
    pz_sbuf_putc(&b, '[');
    for (int i = 0; i < argc; i++) {
        pz_sbuf_puts(&b, i ? ", " : "");
        s_to_json(ctx, &v[i], &b);
    }
    pz_sbuf_putc(&b, ']');
    return s_result(ctx, (pz_ty_t)ctx->ret.id, &b, out);
}

static int s_to(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    pz_sbuf_t b = {0};
    s_to_json(ctx, &v[0], &b);
    return s_result(ctx, (pz_ty_t)ctx->ret.id, &b, out);
}

/* A node as a json/jsonb datum (->) or as text (->>: strings unquoted, null is SQL NULL). */
static int s_node_out(pz_sql_fnctx_t *ctx, const pz_json_t *n, bool as_text, pz_ty_t t,
                      pz_datum_t *out)
{
    if (n == NULL || (as_text && n->kind == PZ_JSON_NULL)) {
        *out = pz_datum_null(as_text ? PZ_TY_TEXT : t);
        return 0;
    }
    if (as_text && n->kind == PZ_JSON_STRING) {
        *out = pz_datum_bytes(PZ_TY_TEXT, n->s, n->n);
        return 0;
    }
    pz_sbuf_t b = {0};
    pz_json_out(n, &b);
    return s_result(ctx, as_text ? PZ_TY_TEXT : t, &b, out);
}

static const pz_json_t *s_step(const pz_json_t *j, const pz_datum_t *k)
{
    if (k->type == PZ_TY_INT4 || k->type == PZ_TY_INT8 || k->type == PZ_TY_INT2) {
        return pz_json_index(j, k->v.i);
    }
    return pz_json_get(j, (const char *)k->v.p, k->len);
}

static int s_arrow(pz_sql_fnctx_t *ctx, const pz_datum_t *v, bool as_text, pz_datum_t *out)
{
    pz_json_t *j;
    int rc = s_parse(ctx, &v[0], &j);
    return rc ? rc : s_node_out(ctx, s_step(j, &v[1]), as_text, (pz_ty_t)v[0].type, out);
}

static int s_get(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    return s_arrow(ctx, v, false, out);
}

static int s_get_text(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    return s_arrow(ctx, v, true, out);
}

/* #> / #>>: a path of keys (text[]); array steps are keys that parse as integers. */
static int s_path(pz_sql_fnctx_t *ctx, const pz_datum_t *v, bool as_text, pz_datum_t *out)
{
    pz_json_t *j;
    int rc = s_parse(ctx, &v[0], &j);
    const pz_json_t *n = j;
    for (uint32_t i = 0; rc == 0 && n != NULL && i < v[1].v.arr->n; i++) {
        const pz_datum_t *k = &v[1].v.arr->items[i];
        if (k->null) {
            n = NULL;
            break;
        }
        const pz_json_t *next = pz_json_get(n, (const char *)k->v.p, k->len);
        if (next == NULL && n->kind == PZ_JSON_ARRAY) {
            char num[24];
            snprintf(num, sizeof num, "%.*s", (int)(k->len < 23 ? k->len : 23), k->v.p);
            char *end = NULL;
            long long idx = strtoll(num, &end, 10);
            next = end != num && *end == '\0' ? pz_json_index(n, idx) : NULL;
        }
        n = next;
    }
    return rc ? rc : s_node_out(ctx, n, as_text, (pz_ty_t)v[0].type, out);
}

static int s_path_json(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    return s_path(ctx, v, false, out);
}

static int s_path_text(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    return s_path(ctx, v, true, out);
}

static int s_contains(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    pz_json_t *a, *b;
    int rc = s_parse(ctx, &v[0], &a);
    rc = rc ? rc : s_parse(ctx, &v[1], &b);
    *out = pz_datum_bool(rc == 0 && pz_json_contains(a, b));
    return rc;
}

static int s_contained(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    pz_datum_t sw[2] = {v[1], v[0]};
    return s_contains(ctx, argc, sw, out);
}

static int s_has_key(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    pz_json_t *j;
    int rc = s_parse(ctx, &v[0], &j);
    bool has = false;
    if (rc == 0 && j->kind == PZ_JSON_OBJECT) {
        has = pz_json_get(j, (const char *)v[1].v.p, v[1].len) != NULL;
    } else if (rc == 0 && j->kind == PZ_JSON_ARRAY) {
        for (uint32_t i = 0; i < j->n && !has; i++) {
            has = j->items[i].kind == PZ_JSON_STRING && j->items[i].n == v[1].len &&
                  memcmp(j->items[i].s, v[1].v.p, v[1].len) == 0;
        }
    } else if (rc == 0 && j->kind == PZ_JSON_STRING) {
        has = j->n == v[1].len && memcmp(j->s, v[1].v.p, v[1].len) == 0;
    }
    *out = pz_datum_bool(has);
    return rc;
}

static int s_typeof(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    pz_json_t *j;
    int rc = s_parse(ctx, &v[0], &j);
    if (rc == 0) {
        const char *t = pz_json_typeof(j);
        *out = pz_datum_bytes(PZ_TY_TEXT, t, (uint32_t)strlen(t));
    }
    return rc;
}

static int s_array_length(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    pz_json_t *j;
    int rc = s_parse(ctx, &v[0], &j);
    if (rc == 0 && j->kind != PZ_JSON_ARRAY) {
        return pz_sql_err_set(ctx->err, "22023", "cannot get array length of a %s",
                              j->kind == PZ_JSON_OBJECT ? "non-array" : "scalar");
    }
    *out = pz_datum_int(PZ_TY_INT4, rc ? 0 : j->n);
    return rc;
}

/* jsonb || jsonb: objects merge (the right side's keys win), arrays concatenate, a scalar
 * counts as a one-element array. */
static int s_concat(pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *v, pz_datum_t *out)
{
    (void)argc;
    pz_json_t *a, *b;
    int rc = s_parse(ctx, &v[0], &a);
    rc = rc ? rc : s_parse(ctx, &v[1], &b);
    if (rc != 0) {
        return rc;
    }
    pz_sbuf_t o = {0};
    if (a->kind == PZ_JSON_OBJECT && b->kind == PZ_JSON_OBJECT) {
        /* Duplicate keys keep the last: normalizing the text below does the merge. */
        pz_sbuf_putc(&o, '{');
        const pz_json_t *sides[2] = {a, b};
        bool first = true;
        for (int s = 0; s < 2; s++) {
            for (uint32_t i = 0; i < sides[s]->n; i++) {
                pz_sbuf_puts(&o, first ? "" : ", ");
                first = false;
                pz_json_out(&sides[s]->items[2 * i], &o);
                pz_sbuf_puts(&o, ": ");
                pz_json_out(&sides[s]->items[2 * i + 1], &o);
            }
        }
        pz_sbuf_putc(&o, '}');
        return s_result(ctx, PZ_TY_JSONB, &o, out);
    }
    pz_sbuf_putc(&o, '[');
    const pz_json_t *sides[2] = {a, b};
    bool first = true;
    for (int s = 0; s < 2; s++) {
        uint32_t n = sides[s]->kind == PZ_JSON_ARRAY ? sides[s]->n : 1;
        for (uint32_t i = 0; i < n; i++) {
            pz_sbuf_puts(&o, first ? "" : ", ");
            first = false;
            pz_json_out(sides[s]->kind == PZ_JSON_ARRAY ? &sides[s]->items[i] : sides[s], &o);
        }
    }
    pz_sbuf_putc(&o, ']');
    return s_result(ctx, PZ_TY_JSONB, &o, out);
}

#define S PZ_FN_STRICT
#define OP (PZ_FN_STRICT | PZ_FN_OPERATOR)
#define J PZ_TY_JSON
#define JB PZ_TY_JSONB
#define TXT PZ_TY_TEXT
#define I4 PZ_TY_INT4
#define B PZ_TY_BOOL
#define ANY PZ_FN_ANY
#define F(name, n, r, fl, fn, oid, ...)                                                            \
    {                                                                                              \
        name, n, {__VA_ARGS__}, r, fl, fn, oid                                                     \
    }

const pz_sql_fndef_t pz__fn_json[] = {
    F("->", 2, JB, OP, s_get, 3211, JB, TXT),
    F("->", 2, JB, OP, s_get, 3212, JB, I4),
    F("->>", 2, TXT, OP, s_get_text, 3477, JB, TXT),
    F("->>", 2, TXT, OP, s_get_text, 3481, JB, I4),
    F("->", 2, J, OP, s_get, 3947, J, TXT),
    F("->", 2, J, OP, s_get, 3949, J, I4),
    F("->>", 2, TXT, OP, s_get_text, 3948, J, TXT),
    F("->>", 2, TXT, OP, s_get_text, 3950, J, I4),
    F("#>", 2, JB, OP, s_path_json, 3217, JB, PZ_FN_ANYARRAY),
    F("#>>", 2, TXT, OP, s_path_text, 3940, JB, PZ_FN_ANYARRAY),
    F("@>", 2, B, OP, s_contains, 4046, JB, JB),
    F("<@", 2, B, OP, s_contained, 4050, JB, JB),
    F("?", 2, B, OP, s_has_key, 4047, JB, TXT),
    F("||", 2, JB, OP, s_concat, 3301, JB, JB),
    F("json_build_object", 1, J, PZ_FN_VARIADIC | PZ_FN_STABLE, s_build_object, 3200, ANY),
    F("jsonb_build_object", 1, JB, PZ_FN_VARIADIC | PZ_FN_STABLE, s_build_object, 3273, ANY),
    F("json_build_array", 1, J, PZ_FN_VARIADIC | PZ_FN_STABLE, s_build_array, 3198, ANY),
    F("jsonb_build_array", 1, JB, PZ_FN_VARIADIC | PZ_FN_STABLE, s_build_array, 3271, ANY),
    F("json_build_object", 0, J, PZ_FN_STABLE, s_build_object, 3201),
    F("jsonb_build_object", 0, JB, PZ_FN_STABLE, s_build_object, 3274),
    F("json_build_array", 0, J, PZ_FN_STABLE, s_build_array, 3199),
    F("jsonb_build_array", 0, JB, PZ_FN_STABLE, s_build_array, 3272),
    F("to_json", 1, J, PZ_FN_STABLE, s_to, 3176, ANY),
    F("to_jsonb", 1, JB, PZ_FN_STABLE, s_to, 3787, ANY),
    F("jsonb_typeof", 1, TXT, S, s_typeof, 3210, JB),
    F("json_typeof", 1, TXT, S, s_typeof, 3968, J),
    F("jsonb_array_length", 1, I4, S, s_array_length, 3207, JB),
    F("json_array_length", 1, I4, S, s_array_length, 3957, J),
};
const size_t pz__fn_json_n = sizeof pz__fn_json / sizeof pz__fn_json[0];
