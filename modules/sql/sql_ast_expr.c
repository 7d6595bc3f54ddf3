/*
 * sql_ast_expr.c — translation of libpg_query's raw expression nodes and type names into the
 * project's AST (sql_ast.h). SELECT, FROM and windows are in sql_ast_select.c.
 *
 * Every node and field is either carried exactly or refused with 0A000 naming the construct;
 * the rules (constant folding of negative literals, operator names, sublink kinds) are the ones
 * PostgreSQL's own parse analysis applies to the same raw tree, so the binder sees what
 * PostgreSQL's transformExpr would.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sql_ast_int.h"

#define S_OK_OR_RETURN(x)                                                                          \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ != 0)                                                                              \
            return rc_;                                                                            \
    } while (0)

static pz_ast_expr_t *s_new(pz__ab_t *b, pz_ax_kind_t kind, int32_t location)
{
    pz_ast_expr_t *e = pz__ab_alloc(b, sizeof *e);
    if (e != NULL) {
        e->kind = (uint8_t)kind;
        e->location = pz__ab_loc(b, location);
    }
    return e;
}

/* args array of n slots. */
static int s_args(pz__ab_t *b, pz_ast_expr_t *e, int n)
{
    e->args = pz__ab_alloc(b, sizeof *e->args * (size_t)(n > 0 ? n : 1));
    e->n_args = n;
    return e->args != NULL ? 0 : PZ_ENOMEM;
}

int pz__ab_exprs(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_expr_t ***out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0) {
        return 0;
    }
    pz_ast_expr_t **v = pz__ab_alloc(b, sizeof *v * n);
    if (v == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        S_OK_OR_RETURN(pz__ab_expr(b, items[i], &v[i]));
    }
    *out = v;
    *n_out = (int)n;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Constants                                                                                 */

/* An integer literal's text (optional '-', digits) that fits int8, as PostgreSQL's make_const
 * tries scanint8 on a Float node first: 3000000000 and -9223372036854775808 are int8. */
static bool s_int8_text(const char *s, int64_t *v)
{
    const char *p = s + (*s == '-');
    if (*p == '\0') {
        return false;
    }
    for (const char *q = p; *q; q++) {
        if (*q < '0' || *q > '9') {
            return false;
        }
    }
    errno = 0;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *v = x;
    return true;
}

/* A numeric literal as text: INT8 if it is an integer that fits, else NUMERIC with the text as
 * written (scale -1: "unparsed literal text", see sql_ast.h). */
static int s_numeric_text(pz__ab_t *b, pz_ast_expr_t *e, const char *text)
{
    int64_t v;
    if (s_int8_text(text, &v)) {
        e->val = pz_datum_int(PZ_TY_INT8, v);
        return 0;
    }
    size_t len = strlen(text);
    char *copy = pz__ab_alloc(b, len + 1);
    if (copy == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(copy, text, len);
    e->val = pz_datum_bytes(PZ_TY_NUMERIC, copy, (uint32_t)len);
    e->val.scale = -1;
    return 0;
}

static int s_const(pz__ab_t *b, const PgQuery__AConst *c, pz_ast_expr_t **out)
{
    pz_ast_expr_t *e = s_new(b, PZ_AX_CONST, c->location);
    if (e == NULL) {
        return PZ_ENOMEM;
    }
    *out = e;
    if (c->isnull) {
        e->val = pz_datum_null(PZ_TY_UNKNOWN);
        return 0;
    }
    switch (c->val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL:
        e->val = pz_datum_int(PZ_TY_INT8, c->ival != NULL ? c->ival->ival : 0);
        return 0;
    case PG_QUERY__A__CONST__VAL_FVAL:
        return s_numeric_text(b, e, c->fval != NULL && c->fval->fval ? c->fval->fval : "0");
    case PG_QUERY__A__CONST__VAL_BOOLVAL:
        e->val = pz_datum_bool(c->boolval != NULL && c->boolval->boolval);
        return 0;
    case PG_QUERY__A__CONST__VAL_SVAL: {
        const char *s = c->sval != NULL && c->sval->sval ? c->sval->sval : "";
        bool ok = true;
        const char *copy = pz__ab_str(b, s, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
        e->val = pz_datum_bytes(PZ_TY_UNKNOWN, copy, (uint32_t)strlen(s));
        return 0;
    }
    case PG_QUERY__A__CONST__VAL_BSVAL:
        return pz__ab_refuse(b, c->location, "bit string literals are not supported");
    default:
        return pz__ab_fail(b, "XX000", c->location, "constant of unknown kind");
    }
}

/* `- <numeric literal>`: folded into the constant as PostgreSQL's doNegate does. */
static int s_negate(pz__ab_t *b, const PgQuery__AConst *c, int32_t location, pz_ast_expr_t **out)
{
    if (c->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
        S_OK_OR_RETURN(s_const(b, c, out));
        (*out)->val.v.i = -(*out)->val.v.i; /* an int32: never overflows int64 */
        (*out)->location = pz__ab_loc(b, location);
        return 0;
    }
    const char *t = c->fval != NULL && c->fval->fval ? c->fval->fval : "0";
    size_t len = strlen(t);
    char *neg = pz__ab_alloc(b, len + 2);
    if (neg == NULL) {
        return PZ_ENOMEM;
    }
    if (t[0] == '-') {
        memcpy(neg, t + 1, len); /* - -1.5 -> 1.5 */
    } else {
        neg[0] = '-';
        memcpy(neg + 1, t, len + 1);
    }
    pz_ast_expr_t *e = s_new(b, PZ_AX_CONST, location);
    if (e == NULL) {
        return PZ_ENOMEM;
    }
    *out = e;
    return s_numeric_text(b, e, neg);
}

/* ---------------------------------------------------------------------------------------- */
/* Operators                                                                                 */

/* The operator's name: its last component; a qualified name only in pg_catalog. */
static int s_opname(pz__ab_t *b, PgQuery__Node **names, size_t n, int32_t location,
                    const char **out)
{
    if (n == 0 || n > 2 || pz__ab_string(names[n - 1]) == NULL) {
        return pz__ab_fail(b, "XX000", location, "operator without a name");
    }
    if (n == 2 &&
        (pz__ab_string(names[0]) == NULL || strcmp(pz__ab_string(names[0]), "pg_catalog") != 0)) {
        return pz__ab_refuse(b, location, "operators outside pg_catalog are not supported");
    }
    bool ok = true;
    *out = pz__ab_str(b, pz__ab_string(names[n - 1]), &ok);
    return ok ? 0 : PZ_ENOMEM;
}

static int s_binary(pz__ab_t *b, pz_ax_kind_t kind, const PgQuery__AExpr *x, pz_ast_expr_t **out)
{
    pz_ast_expr_t *e = s_new(b, kind, x->location);
    if (e == NULL || s_args(b, e, 2) != 0) {
        return PZ_ENOMEM;
    }
    *out = e;
    S_OK_OR_RETURN(pz__ab_expr(b, x->lexpr, &e->args[0]));
    return pz__ab_expr(b, x->rexpr, &e->args[1]);
}

/* rexpr is a List: args[0] = lexpr, args[1..] = the list (IN, BETWEEN). */
static int s_with_list(pz__ab_t *b, pz_ax_kind_t kind, const PgQuery__AExpr *x, pz_ast_expr_t **out)
{
    if (x->rexpr == NULL || x->rexpr->node_case != PG_QUERY__NODE__NODE_LIST) {
        return pz__ab_fail(b, "XX000", x->location, "malformed IN / BETWEEN expression");
    }
    const PgQuery__List *l = x->rexpr->list;
    pz_ast_expr_t *e = s_new(b, kind, x->location);
    if (e == NULL || s_args(b, e, (int)l->n_items + 1) != 0) {
        return PZ_ENOMEM;
    }
    *out = e;
    S_OK_OR_RETURN(pz__ab_expr(b, x->lexpr, &e->args[0]));
    for (size_t i = 0; i < l->n_items; i++) {
        S_OK_OR_RETURN(pz__ab_expr(b, l->items[i], &e->args[i + 1]));
    }
    return 0;
}

static int s_aexpr(pz__ab_t *b, const PgQuery__AExpr *x, pz_ast_expr_t **out)
{
    const char *op = NULL;
    switch (x->kind) {
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP:
    case PG_QUERY__A__EXPR__KIND__AEXPR_LIKE:
    case PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE:
    case PG_QUERY__A__EXPR__KIND__AEXPR_SIMILAR: { /* "~" / "!~" on similar_to_escape(pat) */
        S_OK_OR_RETURN(s_opname(b, x->name, x->n_name, x->location, &op));
        const PgQuery__Node *r = x->rexpr;
        if (x->lexpr == NULL && strcmp(op, "-") == 0 && r != NULL &&
            r->node_case == PG_QUERY__NODE__NODE_A_CONST && !r->a_const->isnull &&
            (r->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL ||
             r->a_const->val_case == PG_QUERY__A__CONST__VAL_FVAL)) {
            return s_negate(b, r->a_const, x->location, out);
        }
        pz_ast_expr_t *e = s_new(b, PZ_AX_OP, x->location);
        if (e == NULL || s_args(b, e, x->lexpr != NULL ? 2 : 1) != 0) {
            return PZ_ENOMEM;
        }
        *out = e;
        e->name = op;
        if (x->lexpr != NULL) {
            S_OK_OR_RETURN(pz__ab_expr(b, x->lexpr, &e->args[0]));
        }
        return pz__ab_expr(b, x->rexpr, &e->args[e->n_args - 1]);
    }
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY:
    case PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL:
        S_OK_OR_RETURN(s_opname(b, x->name, x->n_name, x->location, &op));
        S_OK_OR_RETURN(s_binary(b, PZ_AX_ANY, x, out));
        (*out)->name = op;
        (*out)->all = x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL;
        return 0;
    case PG_QUERY__A__EXPR__KIND__AEXPR_DISTINCT:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT:
        S_OK_OR_RETURN(s_binary(b, PZ_AX_DISTINCT, x, out));
        (*out)->negated = x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_DISTINCT;
        return 0;
    case PG_QUERY__A__EXPR__KIND__AEXPR_NULLIF:
        return s_binary(b, PZ_AX_NULLIF, x, out);
    case PG_QUERY__A__EXPR__KIND__AEXPR_IN:
        S_OK_OR_RETURN(s_opname(b, x->name, x->n_name, x->location, &op));
        S_OK_OR_RETURN(s_with_list(b, PZ_AX_IN, x, out));
        (*out)->negated = strcmp(op, "<>") == 0;
        return 0;
    case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN:
    case PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM:
    case PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM:
        S_OK_OR_RETURN(s_with_list(b, PZ_AX_BETWEEN, x, out));
        if ((*out)->n_args != 3) {
            return pz__ab_fail(b, "XX000", x->location, "malformed BETWEEN expression");
        }
        (*out)->negated = x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN ||
                          x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
        (*out)->symmetric = x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN_SYM ||
                            x->kind == PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN_SYM;
        return 0;
    default:
        return pz__ab_fail(b, "XX000", x->location, "operator expression of unknown kind");
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Other expression nodes                                                                    */

static int s_colref(pz__ab_t *b, const PgQuery__ColumnRef *c, pz_ast_expr_t **out)
{
    pz_ast_expr_t *e = s_new(b, PZ_AX_COLREF, c->location);
    if (e == NULL) {
        return PZ_ENOMEM;
    }
    *out = e;
    size_t n = c->n_fields;
    if (n > 0 && c->fields[n - 1]->node_case == PG_QUERY__NODE__NODE_A_STAR) {
        e->star = true;
        n--;
    }
    if (n > 4) {
        return pz__ab_fail(b, "42601", c->location,
                           "improper qualified name (too many dotted names)");
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = pz__ab_string(c->fields[i]);
        if (s == NULL) {
            return pz__ab_fail(b, "42601", c->location, "improper use of \"*\"");
        }
        bool ok = true;
        e->names[i] = pz__ab_str(b, s, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
    }
    e->n_names = (int)n;
    return 0;
}

int pz__ab_collation(pz__ab_t *b, PgQuery__Node **names, size_t n, int32_t location,
                     const char **out)
{
    const char *last = n > 0 ? pz__ab_string(names[n - 1]) : NULL;
    bool schema_ok = n == 1 || (n == 2 && pz__ab_string(names[0]) != NULL &&
                                strcmp(pz__ab_string(names[0]), "pg_catalog") == 0);
    if (last == NULL || !schema_ok ||
        (strcmp(last, "C") != 0 && strcmp(last, "POSIX") != 0 && strcmp(last, "default") != 0)) {
        return pz__ab_refuse(b, location, "collation \"%s\" is not supported",
                             last != NULL ? last : "?");
    }
    bool ok = true;
    *out = pz__ab_str(b, last, &ok);
    return ok ? 0 : PZ_ENOMEM;
}

static int s_sort_list(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_sort_t **out,
                       int *n_out);

static int s_func(pz__ab_t *b, const PgQuery__FuncCall *f, pz_ast_expr_t **out)
{
    size_t n = f->n_funcname;
    const char *last = n > 0 ? pz__ab_string(f->funcname[n - 1]) : NULL;
    if (last == NULL || n > 2) {
        return pz__ab_refuse(b, f->location, "qualified function names are not supported");
    }
    if (n == 2 && (pz__ab_string(f->funcname[0]) == NULL ||
                   strcmp(pz__ab_string(f->funcname[0]), "pg_catalog") != 0)) {
        return pz__ab_refuse(b, f->location, "functions outside pg_catalog are not supported");
    }
    if (f->agg_within_group) {
        return pz__ab_refuse(b, f->location, "WITHIN GROUP is not supported");
    }
    if (f->func_variadic) {
        return pz__ab_refuse(b, f->location, "VARIADIC is not supported");
    }
    pz_ast_expr_t *e = s_new(b, PZ_AX_FUNC, f->location);
    if (e == NULL) {
        return PZ_ENOMEM;
    }
    *out = e;
    bool ok = true;
    e->name = pz__ab_str(b, last, &ok);
    if (!ok) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < f->n_args; i++) {
        if (f->args[i]->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
            return pz__ab_refuse(b, f->args[i]->named_arg_expr->location,
                                 "named function arguments are not supported");
        }
    }
    S_OK_OR_RETURN(pz__ab_exprs(b, f->args, f->n_args, &e->args, &e->n_args));
    e->agg_star = f->agg_star;
    e->agg_distinct = f->agg_distinct;
    if (f->agg_filter != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, f->agg_filter, &e->agg_filter));
    }
    S_OK_OR_RETURN(s_sort_list(b, f->agg_order, f->n_agg_order, &e->agg_order, &e->n_agg_order));
    if (f->over != NULL) {
        e->over = pz__ab_alloc(b, sizeof *e->over);
        if (e->over == NULL) {
            return PZ_ENOMEM;
        }
        S_OK_OR_RETURN(pz__ab_window(b, f->over, true, e->over));
    }
    return 0;
}

static int s_sqlvalue(pz__ab_t *b, const PgQuery__SQLValueFunction *v, pz_ast_expr_t **out)
{
    static const struct {
        PgQuery__SQLValueFunctionOp op;
        const char *name;
    } map[] = {
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_DATE, "current_date"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIME, "current_time"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_TIMESTAMP, "current_timestamp"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIME, "localtime"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_LOCALTIMESTAMP, "localtimestamp"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_ROLE, "current_user"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_USER, "current_user"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_USER, "current_user"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_SESSION_USER, "session_user"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_CATALOG, "current_database"},
        {PG_QUERY__SQLVALUE_FUNCTION_OP__SVFOP_CURRENT_SCHEMA, "current_schema"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].op == v->op) {
            pz_ast_expr_t *e = s_new(b, PZ_AX_FUNC, v->location);
            if (e == NULL) {
                return PZ_ENOMEM;
            }
            e->name = map[i].name; /* static: lives forever */
            *out = e;
            return 0;
        }
    }
    return pz__ab_refuse(b, v->location,
                         "CURRENT_TIME, CURRENT_TIMESTAMP, LOCALTIME and "
                         "LOCALTIMESTAMP with a precision are not supported");
}

static int s_sublink(pz__ab_t *b, const PgQuery__SubLink *s, pz_ast_expr_t **out)
{
    pz_ast_expr_t *e = s_new(b, PZ_AX_SUBLINK, s->location);
    if (e == NULL) {
        return PZ_ENOMEM;
    }
    *out = e;
    switch (s->sub_link_type) {
    case PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK:
        e->sublink = PZ_SUBLINK_EXISTS;
        break;
    case PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK:
    case PG_QUERY__SUB_LINK_TYPE__ALL_SUBLINK:
        e->sublink = s->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ANY_SUBLINK ? PZ_SUBLINK_ANY
                                                                              : PZ_SUBLINK_ALL;
        if (s->testexpr != NULL && s->testexpr->node_case == PG_QUERY__NODE__NODE_ROW_EXPR) {
            return pz__ab_refuse(b, s->location,
                                 "multiple-column subquery comparisons are not supported");
        }
        if (s->n_oper_name == 0) { /* x IN (SELECT ...): PostgreSQL reads it as = ANY */
            e->name = "=";
        } else {
            S_OK_OR_RETURN(s_opname(b, s->oper_name, s->n_oper_name, s->location, &e->name));
        }
        if (s_args(b, e, 1) != 0) {
            return PZ_ENOMEM;
        }
        S_OK_OR_RETURN(pz__ab_expr(b, s->testexpr, &e->args[0]));
        break;
    case PG_QUERY__SUB_LINK_TYPE__EXPR_SUBLINK:
        e->sublink = PZ_SUBLINK_EXPR;
        break;
    case PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK:
        e->sublink = PZ_SUBLINK_ARRAY;
        break;
    default:
        return pz__ab_refuse(b, s->location,
                             "multiple-column subquery comparisons are not supported");
    }
    return pz__ab_select(b, s->subselect, &e->subquery);
}

static int s_case(pz__ab_t *b, const PgQuery__CaseExpr *c, pz_ast_expr_t **out)
{
    pz_ast_expr_t *e = s_new(b, PZ_AX_CASE, c->location);
    if (e == NULL || s_args(b, e, (int)c->n_args * 2) != 0) {
        return PZ_ENOMEM;
    }
    *out = e;
    if (c->arg != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, c->arg, &e->case_arg));
    }
    for (size_t i = 0; i < c->n_args; i++) {
        if (c->args[i]->node_case != PG_QUERY__NODE__NODE_CASE_WHEN) {
            return pz__ab_fail(b, "XX000", c->location, "malformed CASE expression");
        }
        const PgQuery__CaseWhen *w = c->args[i]->case_when;
        S_OK_OR_RETURN(pz__ab_expr(b, w->expr, &e->args[2 * i]));
        S_OK_OR_RETURN(pz__ab_expr(b, w->result, &e->args[2 * i + 1]));
    }
    if (c->defresult != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, c->defresult, &e->case_else));
    }
    return 0;
}

static int s_indirection(pz__ab_t *b, const PgQuery__AIndirection *x, pz_ast_expr_t **out)
{
    if (x->n_indirection != 1 || x->indirection[0]->node_case != PG_QUERY__NODE__NODE_A_INDICES) {
        bool field = false;
        for (size_t i = 0; i < x->n_indirection; i++) {
            field |= x->indirection[i]->node_case != PG_QUERY__NODE__NODE_A_INDICES;
        }
        return pz__ab_refuse(b, -1,
                             field ? "field selection is not supported"
                                   : "multidimensional subscripts are not supported");
    }
    const PgQuery__AIndices *ix = x->indirection[0]->a_indices;
    if (ix->is_slice || ix->lidx != NULL || ix->uidx == NULL) {
        return pz__ab_refuse(b, -1, "array slices are not supported");
    }
    pz_ast_expr_t *e = s_new(b, PZ_AX_SUBSCRIPT, -1);
    if (e == NULL || s_args(b, e, 2) != 0) {
        return PZ_ENOMEM;
    }
    *out = e;
    S_OK_OR_RETURN(pz__ab_expr(b, x->arg, &e->args[0]));
    e->location = e->args[0]->location;
    return pz__ab_expr(b, ix->uidx, &e->args[1]);
}

/* A node whose whole content is `args` (and a location). */
static int s_list_expr(pz__ab_t *b, pz_ax_kind_t kind, PgQuery__Node **args, size_t n,
                       int32_t location, pz_ast_expr_t **out)
{
    pz_ast_expr_t *e = s_new(b, kind, location);
    if (e == NULL) {
        return PZ_ENOMEM;
    }
    *out = e;
    return pz__ab_exprs(b, args, n, &e->args, &e->n_args);
}

static int s_unary(pz__ab_t *b, pz_ax_kind_t kind, const PgQuery__Node *arg, int32_t location,
                   pz_ast_expr_t **out)
{
    pz_ast_expr_t *e = s_new(b, kind, location);
    if (e == NULL || s_args(b, e, 1) != 0) {
        return PZ_ENOMEM;
    }
    *out = e;
    return pz__ab_expr(b, arg, &e->args[0]);
}

static int s_bool(pz__ab_t *b, const PgQuery__BoolExpr *x, pz_ast_expr_t **out)
{
    pz_ax_kind_t k = x->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR  ? PZ_AX_AND
                     : x->boolop == PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR ? PZ_AX_OR
                                                                      : PZ_AX_NOT;
    if ((k == PZ_AX_NOT && x->n_args != 1) || (k != PZ_AX_NOT && x->n_args < 2)) {
        return pz__ab_fail(b, "XX000", x->location, "malformed boolean expression");
    }
    return s_list_expr(b, k, x->args, x->n_args, x->location, out);
}

static int s_booltest(pz__ab_t *b, const PgQuery__BooleanTest *t, pz_ast_expr_t **out)
{
    S_OK_OR_RETURN(s_unary(b, PZ_AX_BOOLTEST, t->arg, t->location, out));
    switch (t->booltesttype) {
    case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_TRUE:
        (*out)->negated = true; /* fall through */
    case PG_QUERY__BOOL_TEST_TYPE__IS_TRUE:
        (*out)->booltest = PZ_BT_TRUE;
        return 0;
    case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_FALSE:
        (*out)->negated = true; /* fall through */
    case PG_QUERY__BOOL_TEST_TYPE__IS_FALSE:
        (*out)->booltest = PZ_BT_FALSE;
        return 0;
    case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_UNKNOWN:
        (*out)->negated = true; /* fall through */
    case PG_QUERY__BOOL_TEST_TYPE__IS_UNKNOWN:
        (*out)->booltest = PZ_BT_UNKNOWN;
        return 0;
    default:
        return pz__ab_fail(b, "XX000", t->location, "boolean test of unknown kind");
    }
}

static int s_cast(pz__ab_t *b, const PgQuery__TypeCast *c, pz_ast_expr_t **out)
{
    S_OK_OR_RETURN(s_unary(b, PZ_AX_CAST, c->arg, c->location, out));
    return pz__ab_type(b, c->type_name, &(*out)->type);
}

static int s_collate(pz__ab_t *b, const PgQuery__CollateClause *c, pz_ast_expr_t **out)
{
    S_OK_OR_RETURN(s_unary(b, PZ_AX_COLLATE, c->arg, c->location, out));
    return pz__ab_collation(b, c->collname, c->n_collname, c->location, &(*out)->name);
}

/* Nodes that only appear in analyzed trees, or that we refuse by name. */
static int s_refuse_node(pz__ab_t *b, const PgQuery__Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_GROUPING_FUNC:
        return pz__ab_refuse(b, n->grouping_func->location, "GROUPING is not supported");
    case PG_QUERY__NODE__NODE_XML_EXPR:
        return pz__ab_refuse(b, n->xml_expr->location, "XML functions are not supported");
    case PG_QUERY__NODE__NODE_XML_SERIALIZE:
        return pz__ab_refuse(b, n->xml_serialize->location, "XMLSERIALIZE is not supported");
    case PG_QUERY__NODE__NODE_CURRENT_OF_EXPR:
        return pz__ab_refuse(b, -1, "WHERE CURRENT OF is not supported");
    case PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF:
        return pz__ab_refuse(b, -1, "multiple-column assignment is not supported");
    default:
        return pz__ab_refuse(b, -1, "%s is not supported", pz__sql_kind(n));
    }
}

int pz__ab_expr(pz__ab_t *b, const PgQuery__Node *n, pz_ast_expr_t **out)
{
    *out = NULL;
    if (n == NULL || n->node_case == PG_QUERY__NODE__NODE__NOT_SET) {
        return pz__ab_fail(b, "XX000", -1, "missing expression in the parse tree");
    }
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_A_CONST:
        return s_const(b, n->a_const, out);
    case PG_QUERY__NODE__NODE_A_EXPR:
        return s_aexpr(b, n->a_expr, out);
    case PG_QUERY__NODE__NODE_COLUMN_REF:
        return s_colref(b, n->column_ref, out);
    case PG_QUERY__NODE__NODE_PARAM_REF: {
        pz_ast_expr_t *e = s_new(b, PZ_AX_PARAM, n->param_ref->location);
        if (e == NULL) {
            return PZ_ENOMEM;
        }
        e->param = n->param_ref->number;
        *out = e;
        return 0;
    }
    case PG_QUERY__NODE__NODE_FUNC_CALL:
        return s_func(b, n->func_call, out);
    case PG_QUERY__NODE__NODE_BOOL_EXPR:
        return s_bool(b, n->bool_expr, out);
    case PG_QUERY__NODE__NODE_NULL_TEST:
        S_OK_OR_RETURN(s_unary(b, PZ_AX_NULLTEST, n->null_test->arg, n->null_test->location, out));
        (*out)->negated = n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL;
        return 0;
    case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
        return s_booltest(b, n->boolean_test, out);
    case PG_QUERY__NODE__NODE_SUB_LINK:
        return s_sublink(b, n->sub_link, out);
    case PG_QUERY__NODE__NODE_CASE_EXPR:
        return s_case(b, n->case_expr, out);
    case PG_QUERY__NODE__NODE_COALESCE_EXPR:
        return s_list_expr(b, PZ_AX_COALESCE, n->coalesce_expr->args, n->coalesce_expr->n_args,
                           n->coalesce_expr->location, out);
    case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
        return s_list_expr(
            b,
            n->min_max_expr->op == PG_QUERY__MIN_MAX_OP__IS_GREATEST ? PZ_AX_GREATEST : PZ_AX_LEAST,
            n->min_max_expr->args, n->min_max_expr->n_args, n->min_max_expr->location, out);
    case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
        return s_list_expr(b, PZ_AX_ARRAY, n->a_array_expr->elements, n->a_array_expr->n_elements,
                           n->a_array_expr->location, out);
    case PG_QUERY__NODE__NODE_ROW_EXPR:
        return s_list_expr(b, PZ_AX_ROW, n->row_expr->args, n->row_expr->n_args,
                           n->row_expr->location, out);
    case PG_QUERY__NODE__NODE_A_INDIRECTION:
        return s_indirection(b, n->a_indirection, out);
    case PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION:
        return s_sqlvalue(b, n->sqlvalue_function, out);
    case PG_QUERY__NODE__NODE_SET_TO_DEFAULT:
        *out = s_new(b, PZ_AX_DEFAULT, n->set_to_default->location);
        return *out != NULL ? 0 : PZ_ENOMEM;
    case PG_QUERY__NODE__NODE_TYPE_CAST:
        return s_cast(b, n->type_cast, out);
    case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
        return s_collate(b, n->collate_clause, out);
    default:
        return s_refuse_node(b, n);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Sort lists                                                                                */

int pz__ab_sort(pz__ab_t *b, const PgQuery__Node *n, pz_ast_sort_t *out)
{
    if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_SORT_BY) {
        return pz__ab_fail(b, "XX000", -1, "malformed ORDER BY");
    }
    const PgQuery__SortBy *s = n->sort_by;
    if (s->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING || s->n_use_op > 0) {
        return pz__ab_refuse(b, s->location, "ORDER BY USING is not supported");
    }
    out->desc = s->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
    out->nulls = s->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST  ? 1
                 : s->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST ? 2
                                                                                 : 0;
    return pz__ab_expr(b, s->node, &out->expr);
}

static int s_sort_list(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_sort_t **out,
                       int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0) {
        return 0;
    }
    *out = pz__ab_alloc(b, sizeof **out * n);
    if (*out == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        S_OK_OR_RETURN(pz__ab_sort(b, items[i], &(*out)[i]));
    }
    *n_out = (int)n;
    return 0;
}

int pz__ab_sort_list(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_sort_t **out, int *n_out)
{
    return s_sort_list(b, items, n, out, n_out);
}

/* ---------------------------------------------------------------------------------------- */
/* Types                                                                                     */

/* interval's typmod from the grammar: INTERVAL_FULL_RANGE (0x7fff) when no fields were given. */
#define S_INTERVAL_FULL_RANGE 0x7fff

int pz__ab_type(pz__ab_t *b, const PgQuery__TypeName *t, pz_ast_type_t *out)
{
    memset(out, 0, sizeof *out);
    if (t == NULL) {
        return pz__ab_fail(b, "XX000", -1, "missing type name in the parse tree");
    }
    out->location = pz__ab_loc(b, t->location);
    size_t n = t->n_names;
    const char *last = n > 0 ? pz__ab_string(t->names[n - 1]) : NULL;
    if (t->setof) {
        return pz__ab_refuse(b, t->location, "SETOF is not supported");
    }
    if (t->pct_type) {
        return pz__ab_refuse(b, t->location, "%%TYPE is not supported");
    }
    if (last == NULL || n > 2 ||
        (n == 2 && (pz__ab_string(t->names[0]) == NULL ||
                    strcmp(pz__ab_string(t->names[0]), "pg_catalog") != 0))) {
        return pz__ab_refuse(b, t->location, "types outside pg_catalog are not supported");
    }
    bool ok = true;
    out->name = pz__ab_str(b, last, &ok);
    if (!ok) {
        return PZ_ENOMEM;
    }
    size_t first = 0;
    if (strcmp(last, "interval") == 0 && t->n_typmods > 0) {
        const PgQuery__Node *m = t->typmods[0];
        if (m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
            m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL || m->a_const->ival == NULL ||
            m->a_const->ival->ival != S_INTERVAL_FULL_RANGE) {
            return pz__ab_refuse(b, t->location, "interval fields are not supported");
        }
        first = 1; /* interval(p): only the precision is kept */
    }
    if (t->n_typmods - first > 2) {
        return pz__ab_refuse(b, t->location, "more than two type modifiers are not supported");
    }
    for (size_t i = first; i < t->n_typmods; i++) {
        const PgQuery__Node *m = t->typmods[i];
        if (m->node_case != PG_QUERY__NODE__NODE_A_CONST ||
            m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL || m->a_const->isnull) {
            return pz__ab_fail(b, "22023", t->location, "type modifiers must be simple constants");
        }
        out->mods[out->n_mods++] = m->a_const->ival != NULL ? m->a_const->ival->ival : 0;
    }
    out->array = t->n_array_bounds > 0;
    return 0;
}
