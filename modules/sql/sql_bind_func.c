/*
 * sql_bind_func.c — binding function calls: aggregates (into the AGG node of a grouped query),
 * the functions the executor implements itself (pg_typeof, nextval, session values), and the
 * rest through sql_func.c's resolution.
 */
#include <stdio.h>
#include <string.h>

#include "sql_bind_int.h"
#include "sql_seq.h"

static const struct {
    const char *name;
    uint8_t kind;
} s_aggs[] = {
    {"count", PZ_AGG_COUNT},
    {"sum", PZ_AGG_SUM},
    {"avg", PZ_AGG_AVG},
    {"min", PZ_AGG_MIN},
    {"max", PZ_AGG_MAX},
    {"bool_and", PZ_AGG_BOOL_AND},
    {"bool_or", PZ_AGG_BOOL_OR},
    {"every", PZ_AGG_BOOL_AND},
    {"string_agg", PZ_AGG_STRING_AGG},
    {"array_agg", PZ_AGG_ARRAY_AGG},
    {"stddev", PZ_AGG_STDDEV_SAMP},
    {"stddev_samp", PZ_AGG_STDDEV_SAMP},
    {"stddev_pop", PZ_AGG_STDDEV_POP},
    {"variance", PZ_AGG_VAR_SAMP},
    {"var_samp", PZ_AGG_VAR_SAMP},
    {"var_pop", PZ_AGG_VAR_POP},
};

int pz__agg_kind(const char *name)
{
    for (size_t i = 0; i < sizeof s_aggs / sizeof s_aggs[0]; i++) {
        if (strcmp(s_aggs[i].name, name) == 0) {
            return s_aggs[i].kind;
        }
    }
    return -1;
}

/* Result and accumulator types of sum/avg, PostgreSQL's. */
static int s_agg_types(pz_binder_t *b, pz_agg_t *a, int loc)
{
    pz_ty_t in = a->arg ? (pz_ty_t)a->arg->type.id : PZ_TY_INT8;
    switch (a->kind) {
    case PZ_AGG_COUNT:
    case PZ_AGG_COUNT_STAR:
        a->type = PZ_SQL_TYPE(PZ_TY_INT8);
        return 0;
    case PZ_AGG_SUM:
    case PZ_AGG_AVG:
        if (in == PZ_TY_INT2 || in == PZ_TY_INT4) {
            a->acc_type = PZ_SQL_TYPE(a->kind == PZ_AGG_SUM ? PZ_TY_INT8 : PZ_TY_NUMERIC);
        } else if (in == PZ_TY_INT8 || in == PZ_TY_NUMERIC) {
            a->acc_type = PZ_SQL_TYPE(PZ_TY_NUMERIC);
        } else if (in == PZ_TY_FLOAT4 || in == PZ_TY_FLOAT8) {
            a->acc_type = PZ_SQL_TYPE(a->kind == PZ_AGG_SUM ? in : PZ_TY_FLOAT8);
        } else if (in == PZ_TY_INTERVAL) {
            a->acc_type = PZ_SQL_TYPE(PZ_TY_INTERVAL);
        } else {
            return pz__bind_err(b, loc, "42883", "function %s(%s) does not exist",
                                a->kind == PZ_AGG_SUM ? "sum" : "avg", pz_ty_name(in));
        }
        a->type = a->acc_type;
        pz_sql_type_t argt[2] = {a->acc_type, a->acc_type}, cast_to[2], ret;
        return pz_sql_fn_resolve("+", true, 2, argt, &a->add, cast_to, &ret, b->ex->err);
    case PZ_AGG_BOOL_AND:
    case PZ_AGG_BOOL_OR:
        a->type = PZ_SQL_TYPE(PZ_TY_BOOL);
        return pz_bind_coerce(b, a->arg, a->type, PZ_CAST_IMPLICIT, NULL, &a->arg);
    case PZ_AGG_STRING_AGG:
        a->type = PZ_SQL_TYPE(in == PZ_TY_BYTEA ? PZ_TY_BYTEA : PZ_TY_TEXT);
        return pz_bind_coerce(b, a->arg, a->type, PZ_CAST_IMPLICIT, NULL, &a->arg);
    case PZ_AGG_ARRAY_AGG:
        a->type = (pz_sql_type_t){.id = PZ_TY_ARRAY, .elem = in, .typmod = -1};
        return 0;
    case PZ_AGG_MIN:
    case PZ_AGG_MAX:
        a->type = a->arg->type.id == PZ_TY_UNKNOWN ? PZ_SQL_TYPE(PZ_TY_TEXT) : a->arg->type;
        return pz_bind_coerce(b, a->arg, a->type, PZ_CAST_IMPLICIT, NULL, &a->arg);
    default:
        a->type =
            PZ_SQL_TYPE(in == PZ_TY_FLOAT4 || in == PZ_TY_FLOAT8 ? PZ_TY_FLOAT8 : PZ_TY_NUMERIC);
        return 0;
    }
}

int pz__agg_build(pz_binder_t *b, const pz_ast_expr_t *e, int kind, pz_agg_t *out)
{
    if (e->n_agg_order > 0) {
        return pz__bind_err(b, e->location, "0A000",
                            "ORDER BY inside an aggregate call is not supported yet");
    }
    pz_agg_t a = {.kind = (uint8_t)kind, .distinct = e->agg_distinct};
    int want = kind == PZ_AGG_STRING_AGG ? 2 : 1;
    if (e->agg_star) {
        if (kind != PZ_AGG_COUNT) {
            return pz__bind_err(b, e->location, "42809",
                                "%s(*) specified, but %s is not an "
                                "aggregate function without arguments",
                                e->name, e->name);
        }
        a.kind = PZ_AGG_COUNT_STAR;
    } else if (e->n_args != want) {
        return pz__bind_err(b, e->location, "42883", "function %s with %d arguments does not exist",
                            e->name, e->n_args);
    }
    int rc = 0;
    if (!e->agg_star) {
        rc = pz__bind_expr(b, e->args[0], &a.arg);
        if (rc == 0 && want == 2) {
            rc = pz__bind_expr(b, e->args[1], &a.arg2);
            rc = rc ? rc
                    : pz_bind_coerce(b, a.arg2, PZ_SQL_TYPE(PZ_TY_TEXT), PZ_CAST_IMPLICIT, NULL,
                                     &a.arg2);
        }
        if (rc == 0 && a.arg->type.id == PZ_TY_UNKNOWN) {
            rc = pz_bind_coerce(b, a.arg, PZ_SQL_TYPE(PZ_TY_TEXT), PZ_CAST_IMPLICIT, NULL, &a.arg);
        }
    }
    if (rc == 0 && e->agg_filter != NULL) {
        rc = pz__bind_pred(b, e->agg_filter, "FILTER", &a.filter);
    }
    rc = rc ? rc : s_agg_types(b, &a, e->location);
    *out = a;
    return rc;
}

static int s_aggregate(pz_binder_t *b, const pz_ast_expr_t *e, int kind, pz_bx_t **out)
{
    pz_agg_ctx_t *ac = b->agg;
    if (ac == NULL) {
        return pz__bind_err(b, e->location, "42803",
                            "aggregate functions are not allowed in this context");
    }
    /* Arguments are evaluated over the input rows, where aggregates and windows may not nest. */
    pz_scope_t *keep = b->scope;
    void *keep_win = b->win;
    b->agg = NULL;
    b->win = NULL;
    b->scope = ac->input;
    pz_agg_t a;
    int rc = pz__agg_build(b, e, kind, &a);
    b->scope = keep;
    b->agg = ac;
    b->win = keep_win;
    if (rc != 0) {
        return rc;
    }
    if (ac->n_aggs == ac->cap_aggs) {
        int cap = ac->cap_aggs ? ac->cap_aggs * 2 : 8;
        pz_agg_t *n = pz__bind_alloc(b, sizeof *n * (size_t)cap);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (ac->n_aggs) {
            memcpy(n, ac->aggs, sizeof *n * (size_t)ac->n_aggs);
        }
        ac->aggs = n;
        ac->cap_aggs = cap;
    }
    ac->aggs[ac->n_aggs] = a;
    pz_bx_t *x = pz__bx_new(b, PZ_BX_COL, a.type);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    x->idx = ac->n_groups + ac->n_aggs++;
    x->location = e->location;
    *out = x;
    return 0;
}

/* nextval('s'), currval('s'), setval('s', v [, is_called]), lastval(): the sequence's
 * descriptor from the catalog (sql_seq.h evaluates them). */
static int s_seqfn(pz_binder_t *b, const pz_ast_expr_t *e, pz_seqfn_t fn, pz_bx_t **out)
{
    pz_bx_t *x = pz__bx_new(b, PZ_BX_NEXTVAL, PZ_SQL_TYPE(PZ_TY_INT8));
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    x->sublink = (uint8_t)fn;
    x->location = e->location;
    *out = x;
    if (fn == PZ_SEQ_LASTVAL) {
        return 0;
    }
    const pz_ast_expr_t *a = e->args[0];
    if (a->kind == PZ_AX_CAST && a->args[0]->kind == PZ_AX_CONST) {
        a = a->args[0]; /* nextval('s'::regclass) */
    }
    if (a->kind != PZ_AX_CONST || a->val.null || a->val.type != PZ_TY_UNKNOWN) {
        return pz__bind_err(b, a->location, "0A000",
                            "%s() takes a sequence name as a string literal", e->name);
    }
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)a->val.len, (const char *)a->val.v.p);
    char *dot = strchr(name, '.');
    pz_cat_entry_t *seq = NULL;
    int rc = dot ? (*dot = '\0', pz_bind_relation(b, name, dot + 1, a->location, &seq))
                 : pz_bind_relation(b, NULL, name, a->location, &seq);
    if (rc != 0) {
        return rc;
    }
    if (seq->d.kind != PZ_CAT_SEQUENCE) {
        return pz__bind_err(b, -1, "42809", "\"%s\" is not a sequence", name);
    }
    x->idx = (int)seq->d.id;
    x->plan = (pz_pn_t *)seq; /* the descriptor, for the executor (held by the binder) */
    if (fn != PZ_SEQ_SETVAL) {
        return 0;
    }
    x->n_args = e->n_args - 1;
    if ((x->args = pz__bind_alloc(b, sizeof *x->args * 2)) == NULL) {
        return PZ_ENOMEM;
    }
    static const pz_ty_t types[] = {PZ_TY_INT8, PZ_TY_BOOL};
    for (int i = 0; i < x->n_args; i++) {
        pz_bx_t *v;
        rc = pz__bind_expr(b, e->args[i + 1], &v);
        rc = rc ? rc
                : pz_bind_coerce(b, v, PZ_SQL_TYPE(types[i]), PZ_CAST_IMPLICIT, "setval",
                                 &x->args[i]);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static const char *const s_session_fns[] = {"current_user",     "session_user",    "user",
                                            "current_database", "current_catalog", "current_schema",
                                            "version",          "pg_backend_pid"};

static int s_special(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out, bool *done)
{
    *done = true;
    if (strcmp(e->name, "pg_typeof") == 0 && e->n_args == 1) {
        pz_bx_t *arg;
        int rc = pz__bind_expr(b, e->args[0], &arg);
        pz_bx_t *x = rc ? NULL : pz__bx_new(b, PZ_BX_TYPEOF, PZ_SQL_TYPE(PZ_TY_REGTYPE));
        if (x == NULL || (x->args = pz__bind_alloc(b, sizeof *x->args)) == NULL) {
            return rc ? rc : PZ_ENOMEM;
        }
        x->args[0] = arg;
        x->n_args = 1;
        *out = x;
        return 0;
    }
    static const char *const seqfns[] = {"nextval", "currval", "setval", "lastval"};
    static const int8_t nmin[] = {1, 1, 2, 0}, nmax[] = {1, 1, 3, 0};
    for (int i = 0; i < 4; i++) { /* other argument counts: "function ... does not exist" */
        if (strcmp(e->name, seqfns[i]) == 0 && e->n_args >= nmin[i] && e->n_args <= nmax[i]) {
            return s_seqfn(b, e, (pz_seqfn_t)i, out);
        }
    }
    for (size_t i = 0; i < sizeof s_session_fns / sizeof s_session_fns[0]; i++) {
        if (strcmp(e->name, s_session_fns[i]) == 0 && e->n_args == 0) {
            pz_ty_t t = i == 7 ? PZ_TY_INT4 : (i <= 2 ? PZ_TY_NAME : PZ_TY_TEXT);
            if (i >= 3 && i <= 5) {
                t = PZ_TY_NAME;
            }
            pz_bx_t *x = pz__bx_new(b, PZ_BX_SESSION, PZ_SQL_TYPE(t));
            if (x == NULL) {
                return PZ_ENOMEM;
            }
            x->idx = (int)i;
            *out = x;
            return 0;
        }
    }
    *done = false;
    return 0;
}

int pz__bind_func(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    if (e->over != NULL) {
        return pz__bind_window(b, e, out);
    }
    int kind = pz__agg_kind(e->name);
    if (kind >= 0 && (e->agg_star || e->n_args > 0)) {
        return s_aggregate(b, e, kind, out);
    }
    if (e->agg_star || e->agg_distinct || e->agg_filter || e->n_agg_order) {
        return pz__bind_err(b, e->location, "42809", "%s is not an aggregate function", e->name);
    }
    bool done = false;
    int rc = s_special(b, e, out, &done);
    if (done) {
        return rc;
    }
    pz_bx_t **args = pz__bind_alloc(b, sizeof *args * (size_t)(e->n_args + 1));
    if (args == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < e->n_args; i++) {
        if ((rc = pz__bind_expr(b, e->args[i], &args[i])) != 0) {
            return rc;
        }
    }
    pz_sql_type_t argt[PZ_BIND_CALL_ARGS_MAX], cast_to[PZ_BIND_CALL_ARGS_MAX], ret;
    if (e->n_args > PZ_BIND_CALL_ARGS_MAX) {
        return pz__bind_err(b, e->location, "54023", "too many arguments");
    }
    for (int i = 0; i < e->n_args; i++) {
        argt[i] = args[i]->type;
    }
    const pz_sql_fndef_t *def = NULL;
    rc = pz_sql_fn_resolve(e->name, false, e->n_args, argt, &def, cast_to, &ret, b->ex->err);
    if (rc != 0) {
        if (b->ex->err->position == 0) {
            b->ex->err->position = e->location;
        }
        return rc;
    }
    pz_bx_t *x = pz__bx_new(b, PZ_BX_FUNC, ret);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < e->n_args; i++) {
        if ((rc = pz_bind_coerce(b, args[i], cast_to[i], PZ_CAST_IMPLICIT, NULL, &args[i]))) {
            return rc;
        }
    }
    x->args = args;
    x->n_args = e->n_args;
    x->fn = def;
    x->location = e->location;
    *out = x;
    return 0;
}
