/*
 * sql_bind.c — binding expressions: names to columns (through nested scopes, so correlated
 * subqueries see their outer rows), literals and parameters to types, operators and functions
 * to their rows in sql_func.c with the implicit casts they need, aggregates to the AGG node's
 * output, and PostgreSQL's errors when something does not fit.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_bind_int.h"
#include "sql_shape.h"
#include "sql_vtab_int.h"

void *pz__bind_alloc(pz_binder_t *b, size_t bytes)
{
    return pz_ex_alloc(b->ex, bytes);
}

const char *pz__bind_strdup(pz_binder_t *b, const char *s, size_t n)
{
    char *p = pz__bind_alloc(b, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

const char *pz__view_cstr(pz_binder_t *b, pz_view_t v)
{
    return pz__bind_strdup(b, (const char *)v.ptr, v.len);
}

int pz__bind_err(pz_binder_t *b, int location, const char *state, const char *fmt, ...)
{
    pz_sql_err_t *err = b->ex->err;
    if (pz_sql_err_is_set(err)) {
        return PZ_EINVAL;
    }
    char msg[PZ_SQL_ERR_MSG_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pz_sql_err_set(err, state, "%s", msg);
    err->position = location;
    return PZ_EINVAL;
}

pz_bx_t *pz__bx_new(pz_binder_t *b, uint8_t kind, pz_sql_type_t type)
{
    pz_bx_t *x = pz__bind_alloc(b, sizeof *x);
    if (x != NULL) {
        x->kind = kind;
        x->type = type;
    }
    return x;
}

pz_pn_t *pz__pn_new(pz_binder_t *b, uint8_t kind, int n_cols)
{
    pz_pn_t *pn = pz__bind_alloc(b, sizeof *pn);
    if (pn == NULL) {
        return NULL;
    }
    pn->kind = kind;
    pn->n_cols = n_cols;
    pn->types = pz__bind_alloc(b, sizeof *pn->types * (size_t)(n_cols + 1));
    pn->names = pz__bind_alloc(b, sizeof *pn->names * (size_t)(n_cols + 1));
    pn->scan_limit = -1;
    pn->est_rows = 1000;
    return pn->types && pn->names ? pn : NULL;
}

int pz__bind_hold(pz_binder_t *b, pz_cat_entry_t *e)
{
    if (b->n_refs == b->cap_refs) {
        int cap = b->cap_refs ? b->cap_refs * 2 : 8;
        pz_cat_entry_t **r = realloc(b->refs, sizeof *r * (size_t)cap);
        if (r == NULL) {
            pz_cat_release(&e);
            return pz_sql_err_set(b->ex->err, "53200", "out of memory");
        }
        b->refs = r;
        b->cap_refs = cap;
    }
    b->refs[b->n_refs++] = e;
    return 0;
}

void pz_bind_release(pz_binder_t *b)
{
    for (int i = 0; i < b->n_refs; i++) {
        pz_cat_release(&b->refs[i]);
    }
    free(b->refs);
    b->refs = NULL;
    b->n_refs = b->cap_refs = 0;
    free(b->params);
    b->params = NULL;
}

pz_scope_t *pz__scope_of(pz_binder_t *b, const pz_pn_t *pn, const char *rel)
{
    pz_scope_t *s = pz__bind_alloc(b, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    s->n = pn->n_cols;
    s->cols = pz__bind_alloc(b, sizeof *s->cols * (size_t)(pn->n_cols + 1));
    if (s->cols == NULL) {
        return NULL;
    }
    for (int i = 0; i < pn->n_cols; i++) {
        s->cols[i] = (pz_scol_t){.rel = rel, .name = pn->names[i], .type = pn->types[i]};
    }
    return s;
}

/* ---- expression utilities ----------------------------------------------------------------- */

bool pz__bx_is_const(const pz_bx_t *x)
{
    switch (x->kind) {
    case PZ_BX_COL:
    case PZ_BX_SUBPLAN:
    case PZ_BX_NEXTVAL:
        return false;
    case PZ_BX_FUNC:
        if (x->fn != NULL && (x->fn->flags & PZ_FN_VOLATILE)) {
            return false;
        }
        break;
    default:
        break;
    }
    for (int i = 0; i < x->n_args; i++) {
        if (!pz__bx_is_const(x->args[i])) {
            return false;
        }
    }
    return true;
}

bool pz__bx_equal(const pz_bx_t *a, const pz_bx_t *b)
{
    if (a->kind != b->kind || a->type.id != b->type.id || a->n_args != b->n_args ||
        a->fn != b->fn || a->negated != b->negated || a->booltest != b->booltest) {
        return false;
    }
    switch (a->kind) {
    case PZ_BX_CONST:
        if (a->val.null || b->val.null) {
            return a->val.null && b->val.null;
        }
        return a->val.type == b->val.type && pz_datum_cmp(&a->val, &b->val) == 0;
    case PZ_BX_COL:
    case PZ_BX_PARAM:
        return a->idx == b->idx;
    case PZ_BX_OUTER:
        return a->idx == b->idx && a->level == b->level;
    case PZ_BX_SUBPLAN:
        return false;
    default:
        break;
    }
    for (int i = 0; i < a->n_args; i++) {
        if (!pz__bx_equal(a->args[i], b->args[i])) {
            return false;
        }
    }
    return true;
}

pz_bx_t *pz__bx_shift(pz_binder_t *b, const pz_bx_t *x, int off)
{
    pz_bx_t *y = pz__bind_alloc(b, sizeof *y);
    if (y == NULL) {
        return NULL;
    }
    *y = *x;
    if (y->kind == PZ_BX_COL) {
        y->idx -= off;
    }
    if (x->n_args > 0) {
        y->args = pz__bind_alloc(b, sizeof *y->args * (size_t)x->n_args);
        if (y->args == NULL) {
            return NULL;
        }
        for (int i = 0; i < x->n_args; i++) {
            if ((y->args[i] = pz__bx_shift(b, x->args[i], off)) == NULL) {
                return NULL;
            }
        }
    }
    return y;
}

pz_bx_t *pz__bx_map(pz_binder_t *b, const pz_bx_t *x, void (*fix)(pz_bx_t *y, const void *arg),
                    const void *arg)
{
    pz_bx_t *y = pz__bind_alloc(b, sizeof *y);
    if (y == NULL) {
        return NULL;
    }
    *y = *x;
    fix(y, arg);
    if (x->n_args > 0) {
        if ((y->args = pz__bind_alloc(b, sizeof *y->args * (size_t)x->n_args)) == NULL) {
            return NULL;
        }
        for (int i = 0; i < x->n_args; i++) {
            if ((y->args[i] = pz__bx_map(b, x->args[i], fix, arg)) == NULL) {
                return NULL;
            }
        }
    }
    return y;
}

void pz__bx_cols(const pz_bx_t *x, int *lo, int *hi, bool *has_sub)
{
    if (x->kind == PZ_BX_COL) {
        if (*lo < 0 || x->idx < *lo) {
            *lo = x->idx;
        }
        if (x->idx > *hi) {
            *hi = x->idx;
        }
    } else if (x->kind == PZ_BX_SUBPLAN || x->kind == PZ_BX_NEXTVAL) {
        *has_sub = true;
    }
    for (int i = 0; i < x->n_args; i++) {
        pz__bx_cols(x->args[i], lo, hi, has_sub);
    }
}

/* ---- coercion ----------------------------------------------------------------------------- */

static const char *s_tyname(pz_sql_type_t t, char *buf, size_t cap)
{
    pz_ty_format(t, buf, cap);
    return buf;
}

/* 'name'::regclass: the relation's OID, found now (the type's input function would need the
 * catalog): a pg_catalog / information_schema table's fixed OID, or a user relation's id. */
/* Splits a relation name as PostgreSQL's regclassin does: [schema.]name, each part "quoted"
 * (kept as written, "" a quote) or folded to lower case. false when it is not such a name. */
static bool s_qualified_name(const uint8_t *p, uint32_t n, char *schema, char *name, size_t cap)
{
    char *parts[2] = {schema, name};
    int k = 0;
    size_t len = 0;
    schema[0] = name[0] = '\0';
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] == '.' && k == 0 && len > 0) {
            parts[k++][len] = '\0';
            len = 0;
            continue;
        }
        if (p[i] == '"') {
            for (i++; i < n && !(p[i] == '"' && (i + 1 >= n || p[i + 1] != '"')); i++) {
                i += p[i] == '"'; /* "" is one quote */
                if (len + 1 >= cap) {
                    return false;
                }
                parts[k][len++] = (char)p[i];
            }
            if (i >= n) {
                return false; /* an unterminated quote */
            }
            continue;
        }
        if (len + 1 >= cap || p[i] == '"') {
            return false;
        }
        parts[k][len++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
    }
    parts[k][len] = '\0';
    if (k == 0) { /* unqualified: the name only */
        memcpy(name, schema, len + 1);
        schema[0] = '\0';
    }
    return len > 0;
}

static int s_regclass(pz_binder_t *b, pz_bx_t *x, pz_bx_t **out)
{
    char sbuf[80], nbuf[80], *name = nbuf, *schema = NULL;
    if (!s_qualified_name(x->val.v.p, x->val.len, sbuf, nbuf, sizeof nbuf)) {
        return pz__bind_err(b, x->location, "42602", "invalid name syntax");
    }
    schema = sbuf[0] ? sbuf : NULL;
    int n = 0;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    for (int i = 0; i < n; i++) {
        if (strcmp(defs[i].name, name) == 0 &&
            (schema == NULL ? strcmp(defs[i].schema, "pg_catalog") == 0
                            : strcmp(defs[i].schema, schema) == 0)) {
            *out = pz__bx_new(b, PZ_BX_CONST, PZ_SQL_TYPE(PZ_TY_REGCLASS));
            if (*out == NULL) {
                return PZ_ENOMEM;
            }
            (*out)->val = pz_datum_int(PZ_TY_REGCLASS, defs[i].oid);
            return 0;
        }
    }
    pz_cat_entry_t *e = NULL;
    uint32_t sid = 0;
    /* A missing schema is named here (3F000), where FROM names the relation (42P01). */
    int rc = schema != NULL ? pz_bind_schema(b, schema, &sid) : 0;
    rc = rc ? rc : pz_bind_relation(b, schema, name, x->location, &e);
    if (rc != 0) {
        if (b->ex->err->position == 0) {
            b->ex->err->position = x->location;
        }
        return rc;
    }
    *out = pz__bx_new(b, PZ_BX_CONST, PZ_SQL_TYPE(PZ_TY_REGCLASS));
    if (*out == NULL) {
        return PZ_ENOMEM;
    }
    (*out)->val = pz_datum_int(PZ_TY_REGCLASS, e->d.id);
    return 0;
}

int pz_bind_coerce(pz_binder_t *b, pz_bx_t *x, pz_sql_type_t to, pz_cast_ctx_t ctx,
                   const char *what, pz_bx_t **out)
{
    if (to.id == PZ_TY_REGCLASS && x->kind == PZ_BX_CONST && !x->val.null &&
        x->val.type == PZ_TY_UNKNOWN) {
        bool digits = x->val.len > 0;
        for (uint32_t i = 0; i < x->val.len; i++) {
            digits &= x->val.v.p[i] >= '0' && x->val.v.p[i] <= '9';
        }
        if (!digits) {
            return s_regclass(b, x, out);
        }
    }
    bool same = x->type.id == to.id && x->type.elem == to.elem;
    bool typmod_ok = to.typmod < 0 || x->type.typmod == to.typmod;
    if (same && (typmod_ok || ctx == PZ_CAST_IMPLICIT)) {
        *out = x;
        return 0;
    }
    if (x->kind == PZ_BX_PARAM && x->type.id == PZ_TY_UNKNOWN) {
        if (x->idx < b->n_params && b->params[x->idx].id == PZ_TY_UNKNOWN) {
            b->params[x->idx] = (pz_sql_type_t){.id = to.id, .elem = to.elem, .typmod = -1};
        }
        x->type = (pz_sql_type_t){.id = to.id, .elem = to.elem, .typmod = -1};
        if (to.typmod < 0) {
            *out = x;
            return 0;
        }
    }
    if (!pz_ty_can_cast(x->type, to, ctx)) {
        char a[96], c[96];
        if (ctx == PZ_CAST_ASSIGN && what != NULL) {
            pz__bind_err(b, x->location, "42804", "%s is of type %s but expression is of type %s",
                         what, s_tyname(to, c, sizeof c), s_tyname(x->type, a, sizeof a));
            pz_sql_err_hint(b->ex->err, "You will need to rewrite or cast the expression.");
            return PZ_EINVAL;
        }
        return pz__bind_err(b, x->location, ctx == PZ_CAST_EXPLICIT ? "42846" : "42804",
                            "cannot cast type %s to %s", s_tyname(x->type, a, sizeof a),
                            s_tyname(to, c, sizeof c));
    }
    if (x->kind == PZ_BX_CONST) {
        /* Constants convert now, so a bad literal is an error before anything runs. */
        pz_bx_t *c = pz__bx_new(b, PZ_BX_CONST, to);
        if (c == NULL) {
            return PZ_ENOMEM;
        }
        c->location = x->location;
        if (x->val.null) {
            c->val = pz_datum_null(to.id);
        } else {
            int rc = pz_datum_cast(b->ex->arena, b->ex->env, &x->val, to, ctx, &c->val, b->ex->err);
            if (rc != 0) {
                if (b->ex->err->position == 0) {
                    b->ex->err->position = x->location;
                }
                return rc;
            }
        }
        *out = c;
        return 0;
    }
    pz_bx_t *c = pz__bx_new(b, PZ_BX_CAST, to);
    if (c == NULL) {
        return PZ_ENOMEM;
    }
    c->args = pz__bind_alloc(b, sizeof *c->args);
    if (c->args == NULL) {
        return PZ_ENOMEM;
    }
    c->args[0] = x;
    c->n_args = 1;
    c->cast_ctx = (uint8_t)ctx;
    c->location = x->location;
    *out = c;
    return 0;
}

/* Resolves an operator/function over bound args and inserts its casts. */
static int s_resolve(pz_binder_t *b, const char *name, bool is_op, pz_bx_t **args, int n,
                     int location, pz_bx_t **out)
{
    pz_sql_type_t argt[PZ_BIND_CALL_ARGS_MAX], cast_to[PZ_BIND_CALL_ARGS_MAX], ret;
    if (n > PZ_BIND_CALL_ARGS_MAX) {
        return pz__bind_err(b, location, "54023", "too many arguments to %s", name);
    }
    bool all_unknown = n > 0;
    for (int i = 0; i < n; i++) {
        argt[i] = args[i]->type;
        all_unknown &= argt[i].id == PZ_TY_UNKNOWN;
    }
    if (all_unknown && is_op) {
        /* 'a' < 'b', NULL = NULL: unknown literals on every side are text, as PostgreSQL's
         * operator resolution settles them (the string category wins). */
        for (int i = 0; i < n; i++) {
            argt[i] = PZ_SQL_TYPE(PZ_TY_TEXT);
        }
    }
    const pz_sql_fndef_t *def = NULL;
    int rc = pz_sql_fn_resolve(name, is_op, n, argt, &def, cast_to, &ret, b->ex->err);
    if (rc != 0) {
        if (b->ex->err->position == 0) {
            b->ex->err->position = location;
        }
        return rc;
    }
    pz_bx_t *x = pz__bx_new(b, PZ_BX_FUNC, ret);
    if (x == NULL || (x->args = pz__bind_alloc(b, sizeof *x->args * (size_t)(n + 1))) == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        if ((rc = pz_bind_coerce(b, args[i], cast_to[i], PZ_CAST_IMPLICIT, NULL, &x->args[i]))) {
            return rc;
        }
    }
    x->n_args = n;
    x->fn = def;
    x->location = location;
    *out = x;
    return 0;
}

/* Coerces every expression to one common type (CASE, COALESCE, IN, VALUES columns). */
static int s_unify(pz_binder_t *b, pz_bx_t **xs, int n, const char *ctx, pz_sql_type_t *out)
{
    pz_sql_type_t stack[16] = {{0}};
    pz_sql_type_t *t = n <= 16 ? stack : pz__bind_alloc(b, sizeof *t * (size_t)n);
    if (t == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        t[i] = xs[i]->type;
    }
    int rc = pz_ty_common(t, n, ctx, out, b->ex->err);
    for (int i = 0; rc == 0 && i < n; i++) {
        rc = pz_bind_coerce(b, xs[i], *out, PZ_CAST_IMPLICIT, NULL, &xs[i]);
    }
    if (rc != 0 && b->ex->err->position == 0 && n > 0) {
        b->ex->err->position = xs[0]->location;
    }
    return rc;
}

/* ---- names -------------------------------------------------------------------------------- */

static int s_colref(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    const char *rel = e->n_names >= 2 ? e->names[e->n_names - 2] : NULL;
    const char *col = e->names[e->n_names - 1];
    int level = 0;
    for (pz_scope_t *s = b->scope; s != NULL; s = s->outer, level++) {
        int found = -1, rel_seen = 0;
        for (int i = 0; i < s->n; i++) {
            if (rel != NULL && (s->cols[i].rel == NULL || strcmp(s->cols[i].rel, rel) != 0)) {
                continue;
            }
            rel_seen++;
            if (strcmp(s->cols[i].name, col) != 0 || (rel == NULL && s->cols[i].using_dup)) {
                continue;
            }
            if (found >= 0) {
                return pz__bind_err(b, e->location, "42702", "column reference \"%s\" is ambiguous",
                                    col);
            }
            found = i;
        }
        if (found < 0) {
            continue;
        }
        pz_bx_t *x = pz__bx_new(b, level ? PZ_BX_OUTER : PZ_BX_COL, s->cols[found].type);
        if (x == NULL) {
            return PZ_ENOMEM;
        }
        x->idx = found;
        x->level = level;
        x->location = e->location;
        int l = 0;
        for (pz_scope_t *t = b->scope; l < level; t = t->outer, l++) {
            t->correlated = true;
        }
        *out = x;
        return 0;
    }
    if (rel != NULL) {
        bool rel_exists = false;
        for (pz_scope_t *s = b->scope; s != NULL && !rel_exists; s = s->outer) {
            for (int i = 0; i < s->n && !rel_exists; i++) {
                rel_exists = s->cols[i].rel && strcmp(s->cols[i].rel, rel) == 0;
            }
        }
        if (!rel_exists) {
            return pz__bind_err(b, e->location, "42P01",
                                "missing FROM-clause entry for table \"%s\"", rel);
        }
        return pz__bind_err(b, e->location, "42703", "column %s.%s does not exist", rel, col);
    }
    return pz__bind_err(b, e->location, "42703", "column \"%s\" does not exist", col);
}

/* ---- constants and parameters ------------------------------------------------------------- */

static int s_param(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out);

/* A literal of a statement cached by shape, bound as its parameter: numbers get their class's
 * type at once (as the constant would), strings stay unknown for context to resolve. */
static int s_lit_param(pz_binder_t *b, const pz_lit_slot_t *s, const pz_ast_expr_t *e,
                       pz_bx_t **out)
{
    if (b->params_fixed && s->param >= b->n_params) {
        return pz__bind_err(b, e->location, "XX000", "a cached statement lost a parameter");
    }
    pz_ast_expr_t p = {.kind = PZ_AX_PARAM, .param = s->param + 1, .location = e->location};
    int rc = s_param(b, &p, out);
    if (rc == 0 && b->params[s->param].id == PZ_TY_UNKNOWN && s->lit.cls != PZ_LIT_STRING) {
        b->params[s->param] = pz_lit_type(s->lit.cls);
        (*out)->type = b->params[s->param];
    }
    return rc;
}

static int s_const(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    int slot = b->lits != NULL ? pz__lits_match(b->lits, e) : -1;
    if (slot >= 0) {
        return s_lit_param(b, &b->lits->v[slot], e, out);
    }
    pz_datum_t v = e->val;
    pz_sql_type_t t = PZ_SQL_TYPE(v.type);
    if (!v.null && v.type == PZ_TY_INT8 && v.v.i >= INT32_MIN && v.v.i <= INT32_MAX) {
        t = PZ_SQL_TYPE(PZ_TY_INT4);
        v.type = PZ_TY_INT4;
    } else if (!v.null && v.type == PZ_TY_NUMERIC && v.scale < 0) {
        pz_datum_t n;
        int rc = pz_datum_from_text(b->ex->arena, b->ex->env, PZ_SQL_TYPE(PZ_TY_NUMERIC),
                                    (const char *)v.v.p, v.len, &n, b->ex->err);
        if (rc != 0) {
            b->ex->err->position = e->location;
            return rc;
        }
        v = n;
    }
    pz_bx_t *x = pz__bx_new(b, PZ_BX_CONST, t);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    x->val = v;
    x->location = e->location;
    *out = x;
    return 0;
}

static int s_param(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    int i = e->param - 1;
    if (i < 0 || i >= 65535) {
        return pz__bind_err(b, e->location, "42P02", "there is no parameter $%d", e->param);
    }
    if (i >= b->n_params) {
        if (b->params_fixed) {
            return pz__bind_err(b, e->location, "42P02", "there is no parameter $%d", e->param);
        }
        if (i >= b->params_cap) {
            int cap = i + 8;
            pz_sql_type_t *p = realloc(b->params, sizeof *p * (size_t)cap);
            if (p == NULL) {
                return PZ_ENOMEM;
            }
            b->params = p;
            b->params_cap = cap;
        }
        for (int k = b->n_params; k <= i; k++) {
            b->params[k] = PZ_SQL_TYPE(PZ_TY_UNKNOWN);
        }
        b->n_params = i + 1;
    }
    pz_bx_t *x = pz__bx_new(b, PZ_BX_PARAM, b->params[i]);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    x->idx = i;
    x->location = e->location;
    *out = x;
    return 0;
}

/* ---- compound expressions ----------------------------------------------------------------- */

static int s_args(pz_binder_t *b, pz_ast_expr_t *const *in, int n, pz_bx_t ***out)
{
    *out = pz__bind_alloc(b, sizeof **out * (size_t)(n + 1));
    if (*out == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        int rc = pz__bind_expr(b, in[i], &(*out)[i]);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static pz_bx_t *s_node(pz_binder_t *b, uint8_t kind, pz_sql_type_t t, pz_bx_t **args, int n,
                       int location)
{
    pz_bx_t *x = pz__bx_new(b, kind, t);
    if (x != NULL) {
        x->args = args;
        x->n_args = n;
        x->location = location;
    }
    return x;
}

int pz__bind_pred(pz_binder_t *b, const pz_ast_expr_t *e, const char *what, pz_bx_t **out)
{
    pz_bx_t *x;
    int rc = pz__bind_expr(b, e, &x);
    if (rc != 0) {
        return rc;
    }
    if (x->type.id != PZ_TY_BOOL && x->type.id != PZ_TY_UNKNOWN) {
        char t[96];
        return pz__bind_err(b, e->location, "42804",
                            "argument of %s must be type boolean, not type %s", what,
                            s_tyname(x->type, t, sizeof t));
    }
    return pz_bind_coerce(b, x, PZ_SQL_TYPE(PZ_TY_BOOL), PZ_CAST_IMPLICIT, NULL, out);
}

static int s_bool(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    static const char *names[] = {[PZ_AX_AND] = "AND", [PZ_AX_OR] = "OR", [PZ_AX_NOT] = "NOT"};
    pz_bx_t **args = pz__bind_alloc(b, sizeof *args * (size_t)(e->n_args + 1));
    if (args == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < e->n_args; i++) {
        int rc = pz__bind_pred(b, e->args[i], names[e->kind], &args[i]);
        if (rc != 0) {
            return rc;
        }
    }
    uint8_t k = e->kind == PZ_AX_AND ? PZ_BX_AND : e->kind == PZ_AX_OR ? PZ_BX_OR : PZ_BX_NOT;
    *out = s_node(b, k, PZ_SQL_TYPE(PZ_TY_BOOL), args, e->n_args, e->location);
    return *out ? 0 : PZ_ENOMEM;
}

static int s_case(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    int pairs = e->n_args / 2, n = e->n_args + (e->case_else ? 1 : 0);
    pz_bx_t **args = pz__bind_alloc(b, sizeof *args * (size_t)(n + 1));
    pz_bx_t **res = pz__bind_alloc(b, sizeof *res * (size_t)(pairs + 2));
    pz_bx_t *arg = NULL;
    int rc = args && res ? 0 : PZ_ENOMEM;
    if (rc == 0 && e->case_arg != NULL) {
        rc = pz__bind_expr(b, e->case_arg, &arg);
    }
    for (int i = 0; rc == 0 && i < pairs; i++) {
        if (arg != NULL) {
            pz_bx_t *w, *two[2];
            rc = pz__bind_expr(b, e->args[2 * i], &w);
            two[0] = arg;
            two[1] = w;
            rc = rc ? rc : s_resolve(b, "=", true, two, 2, e->args[2 * i]->location, &args[2 * i]);
        } else {
            rc = pz__bind_pred(b, e->args[2 * i], "CASE/WHEN", &args[2 * i]);
        }
        rc = rc ? rc : pz__bind_expr(b, e->args[2 * i + 1], &res[i]);
    }
    if (rc == 0 && e->case_else != NULL) {
        rc = pz__bind_expr(b, e->case_else, &res[pairs]);
    }
    int nres = pairs + (e->case_else ? 1 : 0);
    pz_sql_type_t t;
    rc = rc ? rc : s_unify(b, res, nres, "CASE", &t);
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < pairs; i++) {
        args[2 * i + 1] = res[i];
    }
    if (e->case_else) {
        args[n - 1] = res[pairs];
    }
    pz_bx_t *x = s_node(b, PZ_BX_CASE, t, args, n, e->location);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    x->has_else = e->case_else != NULL;
    *out = x;
    return 0;
}

/* x IN (list), NULLIF, IS DISTINCT FROM: unify, then resolve = on the common type. */
static int s_eq_family(pz_binder_t *b, const pz_ast_expr_t *e, uint8_t kind, pz_bx_t **out)
{
    pz_bx_t **args;
    int rc = s_args(b, e->args, e->n_args, &args);
    pz_sql_type_t t;
    rc = rc ? rc : s_unify(b, args, e->n_args, kind == PZ_BX_IN ? "IN" : "NULLIF", &t);
    pz_bx_t *eq = NULL, *two[2] = {args ? args[0] : NULL, args ? args[0] : NULL};
    rc = rc ? rc : s_resolve(b, "=", true, two, 2, e->location, &eq);
    if (rc != 0) {
        return rc;
    }
    pz_sql_type_t rt = kind == PZ_BX_NULLIF ? t : PZ_SQL_TYPE(PZ_TY_BOOL);
    pz_bx_t *x = s_node(b, kind, rt, args, e->n_args, e->location);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    x->fn = eq->fn;
    x->negated = e->negated;
    *out = x;
    return 0;
}

static int s_between(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_bx_t *v = NULL, *lo = NULL, *hi = NULL;
    int rc = pz__bind_expr(b, e->args[0], &v);
    rc = rc ? rc : pz__bind_expr(b, e->args[1], &lo);
    rc = rc ? rc : pz__bind_expr(b, e->args[2], &hi);
    pz_bx_t *a1[2] = {v, lo}, *a2[2] = {v, hi}, *ge, *le;
    rc = rc ? rc : s_resolve(b, ">=", true, a1, 2, e->location, &ge);
    rc = rc ? rc : s_resolve(b, "<=", true, a2, 2, e->location, &le);
    if (rc != 0) {
        return rc;
    }
    pz_bx_t **args = pz__bind_alloc(b, sizeof *args * 2);
    if (args == NULL) {
        return PZ_ENOMEM;
    }
    args[0] = ge;
    args[1] = le;
    pz_bx_t *x = s_node(b, PZ_BX_AND, PZ_SQL_TYPE(PZ_TY_BOOL), args, 2, e->location);
    if (x != NULL && e->symmetric) {
        /* BETWEEN SYMMETRIC: either order of the bounds. */
        pz_bx_t *b1[2] = {v, hi}, *b2[2] = {v, lo}, *ge2, *le2;
        rc = s_resolve(b, ">=", true, b1, 2, e->location, &ge2);
        rc = rc ? rc : s_resolve(b, "<=", true, b2, 2, e->location, &le2);
        pz_bx_t **a = pz__bind_alloc(b, sizeof *a * 2), **o = pz__bind_alloc(b, sizeof *o * 2);
        if (rc != 0 || a == NULL || o == NULL) {
            return rc ? rc : PZ_ENOMEM;
        }
        a[0] = ge2;
        a[1] = le2;
        o[0] = x;
        o[1] = s_node(b, PZ_BX_AND, PZ_SQL_TYPE(PZ_TY_BOOL), a, 2, e->location);
        x = s_node(b, PZ_BX_OR, PZ_SQL_TYPE(PZ_TY_BOOL), o, 2, e->location);
    }
    if (x != NULL && e->negated) {
        pz_bx_t **n = pz__bind_alloc(b, sizeof *n);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        n[0] = x;
        x = s_node(b, PZ_BX_NOT, PZ_SQL_TYPE(PZ_TY_BOOL), n, 1, e->location);
    }
    *out = x;
    return x ? 0 : PZ_ENOMEM;
}

static int s_variadic(pz_binder_t *b, const pz_ast_expr_t *e, uint8_t kind, const char *what,
                      pz_bx_t **out)
{
    pz_bx_t **args;
    pz_sql_type_t t;
    int rc = s_args(b, e->args, e->n_args, &args);
    rc = rc ? rc : s_unify(b, args, e->n_args, what, &t);
    if (rc != 0) {
        return rc;
    }
    *out = s_node(b, kind, t, args, e->n_args, e->location);
    return *out ? 0 : PZ_ENOMEM;
}

/* In a grouped query a subquery runs over the AGG node's rows: its outer references see the
 * grouped columns, at their positions there (aggregates have no name to refer to). */
static pz_scope_t *s_agg_scope(pz_binder_t *b, const pz_agg_ctx_t *ac)
{
    pz_scope_t *s = pz__bind_alloc(b, sizeof *s);
    if (s == NULL ||
        (s->cols = pz__bind_alloc(b, sizeof *s->cols * (size_t)(ac->n_groups + 1))) == NULL) {
        return NULL;
    }
    s->n = ac->n_groups;
    s->outer = ac->input->outer;
    for (int g = 0; g < ac->n_groups; g++) {
        const pz_bx_t *x = ac->groups[g];
        s->cols[g] = (pz_scol_t){.name = "?group?", .type = x->type};
        if (x->kind == PZ_BX_COL && x->idx < ac->input->n) {
            s->cols[g] = ac->input->cols[x->idx];
        }
    }
    return s;
}

static int s_sublink(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_pn_t *plan = NULL;
    pz_bx_t *test = NULL;
    int rc = 0;
    if (e->sublink == PZ_SUBLINK_ANY || e->sublink == PZ_SUBLINK_ALL) {
        rc = pz__bind_expr(b, e->args[0], &test);
    }
    pz_scope_t *keep = b->scope;
    pz_agg_ctx_t *keep_agg = b->agg;
    if (keep_agg != NULL && rc == 0 && (b->scope = s_agg_scope(b, keep_agg)) == NULL) {
        rc = PZ_ENOMEM;
    }
    b->agg = NULL;
    rc = rc ? rc : pz__bind_select(b, e->subquery, &plan);
    b->agg = keep_agg;
    b->scope = keep;
    if (rc != 0) {
        return rc;
    }
    if (e->sublink != PZ_SUBLINK_EXISTS && plan->n_cols != 1) {
        return pz__bind_err(b, e->location, "42601", "subquery must return only one column");
    }
    pz_sql_type_t t = PZ_SQL_TYPE(PZ_TY_BOOL);
    if (e->sublink == PZ_SUBLINK_EXPR) {
        t = plan->types[0].id == PZ_TY_UNKNOWN ? PZ_SQL_TYPE(PZ_TY_TEXT) : plan->types[0];
    } else if (e->sublink == PZ_SUBLINK_ARRAY) {
        t = (pz_sql_type_t){.id = PZ_TY_ARRAY, .elem = plan->types[0].id, .typmod = -1};
    }
    b->has_sub = true;
    pz_bx_t *x = pz__bx_new(b, PZ_BX_SUBPLAN, t);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    x->plan = plan;
    x->sublink = e->sublink;
    x->correlated = plan->sub_done; /* pz__bind_select marks correlation there (see below) */
    plan->sub_done = false;
    x->location = e->location;
    if (test != NULL) {
        /* The comparison between the tested value and the subquery's column. */
        pz_bx_t *col = pz__bx_new(b, PZ_BX_CONST, plan->types[0]), *cmp, *two[2];
        if (col == NULL) {
            return PZ_ENOMEM;
        }
        col->val = pz_datum_null(plan->types[0].id);
        two[0] = test;
        two[1] = col;
        if ((rc = s_resolve(b, e->name ? e->name : "=", true, two, 2, e->location, &cmp)) != 0) {
            return rc;
        }
        if (cmp->args[1]->kind == PZ_BX_CAST) {
            return pz__bind_err(b, e->location, "0A000",
                                "comparing %s with a subquery column of another type is not "
                                "supported yet",
                                pz_ty_name(test->type.id));
        }
        x->fn = cmp->fn;
        x->args = pz__bind_alloc(b, sizeof *x->args);
        if (x->args == NULL) {
            return PZ_ENOMEM;
        }
        x->args[0] = cmp->args[0];
        x->n_args = 1;
    }
    *out = x;
    return 0;
}

static int s_cast(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_bx_t *x;
    pz_sql_type_t t;
    int rc = pz__bind_expr(b, e->args[0], &x);
    rc = rc ? rc
            : pz_ty_from_name(e->type.name, e->type.mods, e->type.n_mods, e->type.array, &t,
                              b->ex->err);
    if (rc != 0) {
        if (b->ex->err->position == 0) {
            b->ex->err->position = e->type.location ? e->type.location : e->location;
        }
        return rc;
    }
    return pz_bind_coerce(b, x, t, PZ_CAST_EXPLICIT, NULL, out);
}

int pz__bind_func(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out);

static int s_op(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_bx_t **args;
    int rc = s_args(b, e->args, e->n_args, &args);
    return rc ? rc : s_resolve(b, e->name, true, args, e->n_args, e->location, out);
}

static int s_any(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_bx_t **args, *cmp;
    int rc = s_args(b, e->args, 2, &args);
    if (rc != 0) {
        return rc;
    }
    if (args[1]->type.id != PZ_TY_ARRAY) {
        return pz__bind_err(b, e->location, "42809",
                            "op ANY/ALL (array) requires array on right side");
    }
    pz_bx_t *el = pz__bx_new(b, PZ_BX_CONST, PZ_SQL_TYPE(args[1]->type.elem)), *two[2];
    if (el == NULL) {
        return PZ_ENOMEM;
    }
    el->val = pz_datum_null(args[1]->type.elem);
    two[0] = args[0];
    two[1] = el;
    if ((rc = s_resolve(b, e->name, true, two, 2, e->location, &cmp)) != 0) {
        return rc;
    }
    pz_bx_t *x = s_node(b, PZ_BX_ANY, PZ_SQL_TYPE(PZ_TY_BOOL), args, 2, e->location);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    args[0] = cmp->args[0];
    x->fn = cmp->fn;
    x->all = e->all;
    *out = x;
    return 0;
}

static int s_array(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_bx_t **args;
    pz_sql_type_t t = PZ_SQL_TYPE(PZ_TY_TEXT);
    int rc = s_args(b, e->args, e->n_args, &args);
    if (rc == 0 && e->n_args > 0) {
        rc = s_unify(b, args, e->n_args, "ARRAY", &t);
    }
    if (rc != 0) {
        return rc;
    }
    pz_sql_type_t at = {.id = PZ_TY_ARRAY, .elem = t.id, .typmod = -1};
    *out = s_node(b, PZ_BX_ARRAY, at, args, e->n_args, e->location);
    return *out ? 0 : PZ_ENOMEM;
}

static int s_simple(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_bx_t **args;
    int rc = s_args(b, e->args, e->n_args, &args);
    if (rc != 0) {
        return rc;
    }
    switch (e->kind) {
    case PZ_AX_NULLTEST:
    case PZ_AX_BOOLTEST: {
        if (e->kind == PZ_AX_BOOLTEST &&
            (rc = pz_bind_coerce(b, args[0], PZ_SQL_TYPE(PZ_TY_BOOL), PZ_CAST_IMPLICIT, NULL,
                                 &args[0])) != 0) {
            return rc;
        }
        uint8_t k = e->kind == PZ_AX_NULLTEST ? PZ_BX_NULLTEST : PZ_BX_BOOLTEST;
        pz_bx_t *x = s_node(b, k, PZ_SQL_TYPE(PZ_TY_BOOL), args, 1, e->location);
        if (x == NULL) {
            return PZ_ENOMEM;
        }
        x->negated = e->negated;
        x->booltest = e->booltest;
        *out = x;
        return 0;
    }
    case PZ_AX_SUBSCRIPT: {
        if (args[0]->type.id != PZ_TY_ARRAY) {
            return pz__bind_err(b, e->location, "42804",
                                "cannot subscript type %s because it is "
                                "not an array",
                                pz_ty_name(args[0]->type.id));
        }
        rc = pz_bind_coerce(b, args[1], PZ_SQL_TYPE(PZ_TY_INT8), PZ_CAST_IMPLICIT, NULL, &args[1]);
        if (rc != 0) {
            return rc;
        }
        *out = s_node(b, PZ_BX_SUBSCRIPT, PZ_SQL_TYPE(args[0]->type.elem), args, 2, e->location);
        return *out ? 0 : PZ_ENOMEM;
    }
    case PZ_AX_COLLATE:
        *out = args[0];
        return 0;
    default:
        return pz__bind_err(b, e->location, "0A000", "this expression is not supported yet");
    }
}

int pz__agg_kind(const char *name);

/* In a grouped query, an expression equal to a GROUP BY expression reads that group column; a
 * bare column that is not grouped is PostgreSQL's 42803. *done false: bind it normally (its
 * parts may still match groups or be aggregates). */
static int s_agg_match(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out, bool *done)
{
    pz_agg_ctx_t *ac = b->agg;
    *done = false;
    if (e->kind == PZ_AX_CONST || e->kind == PZ_AX_PARAM ||
        (e->kind == PZ_AX_FUNC && (pz__agg_kind(e->name) >= 0 || e->over != NULL)) ||
        e->kind == PZ_AX_SUBLINK) {
        return 0;
    }
    pz_sql_err_t saved = *b->ex->err;
    pz_scope_t *keep = b->scope;
    void *keep_win = b->win;
    b->agg = NULL;
    b->win = NULL;
    b->scope = ac->input;
    pz_bx_t *x = NULL;
    int rc = pz__bind_expr(b, e, &x);
    b->agg = ac;
    b->win = keep_win;
    b->scope = keep;
    *b->ex->err = saved;
    if (rc == 0 && x->kind == PZ_BX_OUTER) {
        *out = x; /* an outer query's column is a constant here */
        *done = true;
        return 0;
    }
    for (int g = 0; rc == 0 && g < ac->n_groups; g++) {
        if (pz__bx_equal(x, ac->groups[g])) {
            pz_bx_t *c = pz__bx_new(b, PZ_BX_COL, x->type);
            if (c == NULL) {
                return PZ_ENOMEM;
            }
            c->idx = g;
            c->location = e->location;
            *out = c;
            *done = true;
            return 0;
        }
    }
    if (e->kind == PZ_AX_COLREF) {
        *done = true;
        char name[160];
        const char *rel = rc == 0 && x->kind == PZ_BX_COL && x->idx < ac->input->n
                              ? ac->input->cols[x->idx].rel
                              : NULL;
        if (e->n_names >= 2) {
            snprintf(name, sizeof name, "%s.%s", e->names[e->n_names - 2],
                     e->names[e->n_names - 1]);
        } else if (rel != NULL && e->n_names == 1) {
            snprintf(name, sizeof name, "%s.%s", rel, e->names[0]); /* PostgreSQL qualifies */
        } else {
            snprintf(name, sizeof name, "%s", e->n_names ? e->names[0] : "*");
        }
        if (rc != 0) {
            /* Report the real error (e.g. no such column), bound as a plain expression. */
            b->agg = NULL;
            b->scope = ac->input;
            rc = pz__bind_expr(b, e, out);
            b->agg = ac;
            b->scope = keep;
            return rc ? rc : PZ_EINVAL;
        }
        return pz__bind_err(b, e->location, "42803",
                            "column \"%s\" must appear in the GROUP BY clause or be used in an "
                            "aggregate function",
                            name);
    }
    return 0;
}

int pz__bind_expr(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    assert(b != NULL && e != NULL && out != NULL);
    if (b->agg != NULL) {
        bool done = false;
        int rc = s_agg_match(b, e, out, &done);
        if (rc != 0 || done) {
            return rc;
        }
    }
    if (++b->depth > 1000) {
        b->depth--;
        return pz__bind_err(b, e->location, "54001", "stack depth limit exceeded");
    }
    int rc;
    switch (e->kind) {
    case PZ_AX_CONST:
        rc = s_const(b, e, out);
        break;
    case PZ_AX_PARAM:
        rc = s_param(b, e, out);
        break;
    case PZ_AX_COLREF:
        rc = e->star ? pz__bind_err(b, e->location, "42601", "* is not allowed here")
                     : s_colref(b, e, out);
        break;
    case PZ_AX_OP:
        rc = s_op(b, e, out);
        break;
    case PZ_AX_AND:
    case PZ_AX_OR:
    case PZ_AX_NOT:
        rc = s_bool(b, e, out);
        break;
    case PZ_AX_FUNC:
        rc = pz__bind_func(b, e, out);
        break;
    case PZ_AX_CAST:
        rc = s_cast(b, e, out);
        break;
    case PZ_AX_CASE:
        rc = s_case(b, e, out);
        break;
    case PZ_AX_IN:
        rc = s_eq_family(b, e, PZ_BX_IN, out);
        break;
    case PZ_AX_NULLIF:
        rc = s_eq_family(b, e, PZ_BX_NULLIF, out);
        break;
    case PZ_AX_DISTINCT:
        rc = s_eq_family(b, e, PZ_BX_DISTINCT, out);
        break;
    case PZ_AX_BETWEEN:
        rc = s_between(b, e, out);
        break;
    case PZ_AX_COALESCE:
        rc = s_variadic(b, e, PZ_BX_COALESCE, "COALESCE", out);
        break;
    case PZ_AX_GREATEST:
        rc = s_variadic(b, e, PZ_BX_GREATEST, "GREATEST", out);
        break;
    case PZ_AX_LEAST:
        rc = s_variadic(b, e, PZ_BX_LEAST, "LEAST", out);
        break;
    case PZ_AX_SUBLINK:
        rc = s_sublink(b, e, out);
        break;
    case PZ_AX_ANY:
        rc = s_any(b, e, out);
        break;
    case PZ_AX_ARRAY:
        rc = s_array(b, e, out);
        break;
    case PZ_AX_DEFAULT:
        rc = pz__bind_err(b, e->location, "42601", "DEFAULT is not allowed in this context");
        break;
    case PZ_AX_ROW:
        rc = pz__bind_err(b, e->location, "0A000", "row constructors are not supported yet");
        break;
    default:
        rc = s_simple(b, e, out);
        break;
    }
    b->depth--;
    return rc;
}

int pz_bind_expr_noscope(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_scope_t *keep = b->scope;
    b->scope = NULL;
    int rc = pz__bind_expr(b, e, out);
    b->scope = keep;
    return rc;
}
