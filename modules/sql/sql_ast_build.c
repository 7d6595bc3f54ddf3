/*
 * sql_ast_build.c — pz_ast_build: parses a query string (sql_parse.c's guarded parse) and
 * translates each statement of libpg_query's protobuf tree into the project's AST (sql_ast.h).
 * This file: the entry point, the translator's shared helpers, DML and the session statements
 * (SET, SHOW, transactions, EXPLAIN, COPY, roles, PREPARE / EXECUTE). DDL is in sql_ast_ddl.c,
 * SELECT in sql_ast_select.c, expressions and types in sql_ast_expr.c, source text of
 * expressions in sql_ast_text.c.
 *
 * The rule everywhere: a node or field is carried into the AST exactly or refused with 0A000
 * naming the construct, at its position when the tree has one. Nothing is silently dropped.
 * Nothing in the AST points into the protobuf tree, which is freed before pz_ast_build returns.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_ast_int.h"
#include "sql_aost.h"
#include "sql_crdb.h"
#include "sql_ranges.h"

#define S_OK_OR_RETURN(x)                                                                          \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ != 0)                                                                              \
            return rc_;                                                                            \
    } while (0)

/* ---------------------------------------------------------------------------------------- */
/* Helpers shared by the translator's files                                                  */

int pz__ab_loc(const pz__ab_t *b, int32_t location)
{
    if (location < 0) {
        return 0;
    }
    size_t at = (size_t)location > b->query_len ? b->query_len : (size_t)location;
    if (b->char_marks == NULL) {
        return (int)at + 1;
    }
    size_t k = at / PZ__AB_CHARS_STEP;
    uint32_t chars = b->char_marks[k];
    for (size_t i = k * PZ__AB_CHARS_STEP; i < at; i++) {
        chars += ((uint8_t)b->query[i] & 0xc0) != 0x80; /* not a UTF-8 continuation byte */
    }
    return (int)chars + 1;
}

static int s_vacuum(pz__ab_t *b, const PgQuery__VacuumStmt *v, pz_ast_stmt_t *st);
static int s_vfail(pz__ab_t *b, const char *state, int32_t location, const char *fmt, va_list ap)
{
    if (pz_sql_err_is_set(b->err)) {
        return PZ_EINVAL; /* the first error wins */
    }
    char msg[PZ_SQL_ERR_MSG_BYTES];
    vsnprintf(msg, sizeof msg, fmt, ap);
    pz_sql_err_set(b->err, state, "%s", msg);
    b->err->position = pz__ab_loc(b, location);
    return PZ_EINVAL;
}

int pz__ab_refuse(pz__ab_t *b, int32_t location, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vfail(b, "0A000", location, fmt, ap);
    va_end(ap);
    return rc;
}

int pz__ab_fail(pz__ab_t *b, const char *state, int32_t location, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vfail(b, state, location, fmt, ap);
    va_end(ap);
    return rc;
}

int pz__ab_nomem(pz__ab_t *b)
{
    if (!pz_sql_err_is_set(b->err)) {
        pz_sql_err_set(b->err, "53200", "out of memory");
        pz_sql_err_detail(b->err, "The statement's syntax tree does not fit in its arena.");
    }
    return PZ_ENOMEM;
}

void *pz__ab_alloc(pz__ab_t *b, size_t bytes)
{
    void *p = pz_arena_alloc(b->a, bytes > 0 ? bytes : 1);
    if (p == NULL) {
        pz__ab_nomem(b);
    }
    return p;
}

const char *pz__ab_str(pz__ab_t *b, const char *s, bool *ok)
{
    if (s == NULL) {
        return NULL;
    }
    size_t len = strlen(s);
    char *c = pz__ab_alloc(b, len + 1);
    if (c == NULL) {
        *ok = false;
        return NULL;
    }
    memcpy(c, s, len + 1);
    return c;
}

const char *pz__ab_slice(pz__ab_t *b, int start, int end)
{
    assert(start >= 0 && start <= end && (size_t)end <= b->query_len);
    char *c = pz__ab_alloc(b, (size_t)(end - start) + 1);
    if (c != NULL) {
        memcpy(c, b->query + start, (size_t)(end - start));
    }
    return c;
}

const char *pz__ab_string(const PgQuery__Node *n)
{
    if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_STRING || n->string == NULL) {
        return NULL;
    }
    return n->string->sval != NULL ? n->string->sval : "";
}

int pz__ab_names(pz__ab_t *b, PgQuery__Node **items, size_t n, int32_t location, const char ***out,
                 int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0) {
        return 0;
    }
    const char **v = pz__ab_alloc(b, sizeof *v * n);
    if (v == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = pz__ab_string(items[i]);
        if (s == NULL) {
            /* e.g. an expression where a column name is expected */
            return pz__ab_refuse(b, location, "%s in a name list is not supported",
                                 pz__sql_kind(items[i]));
        }
        bool ok = true;
        v[i] = pz__ab_str(b, s, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
    }
    *out = v;
    *n_out = (int)n;
    return 0;
}

int pz__ab_rangevar(pz__ab_t *b, const PgQuery__RangeVar *rv, pz_ast_qname_t *out)
{
    memset(out, 0, sizeof *out);
    if (rv == NULL) {
        return pz__ab_fail(b, "XX000", -1, "missing relation in the parse tree");
    }
    out->location = pz__ab_loc(b, rv->location);
    if (rv->catalogname != NULL && rv->catalogname[0] != '\0') {
        return pz__ab_refuse(b, rv->location, "cross-database references are not supported");
    }
    bool ok = true;
    out->schema = rv->schemaname != NULL && rv->schemaname[0] != '\0'
                      ? pz__ab_str(b, rv->schemaname, &ok)
                      : NULL;
    out->name = pz__ab_str(b, rv->relname != NULL ? rv->relname : "", &ok);
    return ok ? 0 : PZ_ENOMEM;
}

int pz__ab_qname_list(pz__ab_t *b, PgQuery__Node **items, size_t n, int32_t location,
                      pz_ast_qname_t *out)
{
    memset(out, 0, sizeof *out);
    out->location = pz__ab_loc(b, location);
    if (n == 3) {
        return pz__ab_refuse(b, location, "cross-database references are not supported");
    }
    if (n < 1 || n > 3 || pz__ab_string(items[n - 1]) == NULL ||
        (n == 2 && pz__ab_string(items[0]) == NULL)) {
        return pz__ab_fail(b, "42601", location, "improper qualified name");
    }
    bool ok = true;
    out->schema = n == 2 ? pz__ab_str(b, pz__ab_string(items[0]), &ok) : NULL;
    out->name = pz__ab_str(b, pz__ab_string(items[n - 1]), &ok);
    return ok ? 0 : PZ_ENOMEM;
}

/* ---------------------------------------------------------------------------------------- */
/* DML                                                                                       */

/* The target relation of INSERT / UPDATE / DELETE, with its alias. */
static int s_target_rel(pz__ab_t *b, const PgQuery__RangeVar *rv, pz_ast_stmt_t *st)
{
    S_OK_OR_RETURN(pz__ab_rangevar(b, rv, &st->rel));
    if (rv->alias != NULL) {
        if (rv->alias->n_colnames > 0) {
            return pz__ab_fail(b, "42601", rv->location,
                               "column aliases on the target table "
                               "are not allowed");
        }
        bool ok = true;
        st->rel_alias = pz__ab_str(b, rv->alias->aliasname, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
    }
    return 0;
}

/* UPDATE SET / ON CONFLICT DO UPDATE SET items. */
static int s_sets(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_stmt_t *st)
{
    st->sets = pz__ab_alloc(b, sizeof *st->sets * (n > 0 ? n : 1));
    if (st->sets == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const PgQuery__ResTarget *r = items[i]->res_target;
        if (items[i]->node_case != PG_QUERY__NODE__NODE_RES_TARGET) {
            return pz__ab_fail(b, "XX000", -1, "malformed SET list");
        }
        if (r->val != NULL && r->val->node_case == PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF) {
            return pz__ab_refuse(b, r->location,
                                 "multiple-column assignment in UPDATE is not supported");
        }
        if (r->n_indirection > 0) {
            return pz__ab_refuse(b, r->location,
                                 "assignment to a subscript or field is not supported");
        }
        bool ok = true;
        st->sets[i].col = pz__ab_str(b, r->name, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
        st->sets[i].location = pz__ab_loc(b, r->location);
        S_OK_OR_RETURN(pz__ab_expr(b, r->val, &st->sets[i].expr));
    }
    st->n_sets = (int)n;
    return 0;
}

static int s_on_conflict(pz__ab_t *b, const PgQuery__OnConflictClause *oc, pz_ast_stmt_t *st)
{
    st->on_conflict = oc->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_UPDATE ? 2 : 1;
    const PgQuery__InferClause *inf = oc->infer;
    if (inf != NULL) {
        if (inf->where_clause != NULL) {
            return pz__ab_refuse(b, inf->location,
                                 "ON CONFLICT with an index predicate is not supported");
        }
        bool ok = true;
        st->conflict_constraint = pz__ab_str(b, inf->conname, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
        if (inf->n_index_elems > 0) {
            st->conflict_cols = pz__ab_alloc(b, sizeof *st->conflict_cols * inf->n_index_elems);
            if (st->conflict_cols == NULL) {
                return PZ_ENOMEM;
            }
        }
        for (size_t i = 0; i < inf->n_index_elems; i++) {
            const PgQuery__IndexElem *e = inf->index_elems[i]->index_elem;
            if (inf->index_elems[i]->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM ||
                e->name == NULL || e->n_collation > 0 || e->n_opclass > 0) {
                return pz__ab_refuse(b, inf->location,
                                     "ON CONFLICT on expressions is not supported");
            }
            st->conflict_cols[i] = pz__ab_str(b, e->name, &ok);
            if (!ok) {
                return PZ_ENOMEM;
            }
        }
        st->n_conflict_cols = (int)inf->n_index_elems;
    }
    if (st->on_conflict == 2) {
        S_OK_OR_RETURN(s_sets(b, oc->target_list, oc->n_target_list, st));
        if (oc->where_clause != NULL) {
            S_OK_OR_RETURN(pz__ab_expr(b, oc->where_clause, &st->where));
        }
    }
    return 0;
}

static int s_insert(pz__ab_t *b, const PgQuery__InsertStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_INSERT;
    if (s->with_clause != NULL) {
        return pz__ab_refuse(b, s->with_clause->location, "WITH in INSERT is not supported");
    }
    if (s->override != PG_QUERY__OVERRIDING_KIND__OVERRIDING_NOT_SET &&
        s->override != PG_QUERY__OVERRIDING_KIND__OVERRIDING_KIND_UNDEFINED) {
        return pz__ab_refuse(b, -1, "OVERRIDING is not supported");
    }
    S_OK_OR_RETURN(s_target_rel(b, s->relation, st));
    if (s->n_cols > 0) {
        st->cols = pz__ab_alloc(b, sizeof *st->cols * s->n_cols);
        if (st->cols == NULL) {
            return PZ_ENOMEM;
        }
    }
    for (size_t i = 0; i < s->n_cols; i++) {
        const PgQuery__ResTarget *r = s->cols[i]->res_target;
        if (s->cols[i]->node_case != PG_QUERY__NODE__NODE_RES_TARGET) {
            return pz__ab_fail(b, "XX000", -1, "malformed INSERT column list");
        }
        if (r->n_indirection > 0) {
            return pz__ab_refuse(b, r->location,
                                 "INSERT into a subscript or field is not supported");
        }
        bool ok = true;
        st->cols[i] = pz__ab_str(b, r->name, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
    }
    st->n_cols = (int)s->n_cols;
    if (s->select_stmt == NULL) {
        st->default_values = true;
    } else {
        S_OK_OR_RETURN(pz__ab_select(b, s->select_stmt, &st->select));
    }
    if (s->on_conflict_clause != NULL) {
        S_OK_OR_RETURN(s_on_conflict(b, s->on_conflict_clause, st));
    }
    return pz__ab_targets(b, s->returning_list, s->n_returning_list, &st->returning,
                          &st->n_returning);
}

static int s_update(pz__ab_t *b, const PgQuery__UpdateStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_UPDATE;
    if (s->with_clause != NULL) {
        return pz__ab_refuse(b, s->with_clause->location, "WITH in UPDATE is not supported");
    }
    S_OK_OR_RETURN(s_target_rel(b, s->relation, st));
    S_OK_OR_RETURN(s_sets(b, s->target_list, s->n_target_list, st));
    S_OK_OR_RETURN(pz__ab_from_list(b, s->from_clause, s->n_from_clause, &st->from, &st->n_from));
    if (s->where_clause != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, s->where_clause, &st->where));
    }
    return pz__ab_targets(b, s->returning_list, s->n_returning_list, &st->returning,
                          &st->n_returning);
}

static int s_delete(pz__ab_t *b, const PgQuery__DeleteStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_DELETE;
    if (s->with_clause != NULL) {
        return pz__ab_refuse(b, s->with_clause->location, "WITH in DELETE is not supported");
    }
    S_OK_OR_RETURN(s_target_rel(b, s->relation, st));
    S_OK_OR_RETURN(pz__ab_from_list(b, s->using_clause, s->n_using_clause, &st->from, &st->n_from));
    if (s->where_clause != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, s->where_clause, &st->where));
    }
    return pz__ab_targets(b, s->returning_list, s->n_returning_list, &st->returning,
                          &st->n_returning);
}

/* ---------------------------------------------------------------------------------------- */
/* Options (DefElem)                                                                         */

int pz__ab_def_bool(pz__ab_t *b, const PgQuery__DefElem *d, bool *out)
{
    const PgQuery__Node *v = d->arg;
    if (v == NULL) {
        *out = true; /* a bare option name: on */
        return 0;
    }
    if (v->node_case == PG_QUERY__NODE__NODE_INTEGER) {
        if (v->integer->ival == 0 || v->integer->ival == 1) {
            *out = v->integer->ival == 1;
            return 0;
        }
    } else if (v->node_case == PG_QUERY__NODE__NODE_BOOLEAN) {
        *out = v->boolean->boolval;
        return 0;
    } else if (v->node_case == PG_QUERY__NODE__NODE_A_CONST &&
               v->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
        int32_t i = v->a_const->ival ? v->a_const->ival->ival : 0;
        if (i == 0 || i == 1) {
            *out = i == 1;
            return 0;
        }
    } else if (pz__ab_string(v) != NULL) {
        const char *s = pz__ab_string(v);
        static const char *yes[] = {"true", "on", "yes", "1"}, *no[] = {"false", "off", "no", "0"};
        for (int i = 0; i < 4; i++) {
            if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
                *out = strcasecmp(s, yes[i]) == 0;
                return 0;
            }
        }
    }
    return pz__ab_fail(b, "22023", d->location, "%s requires a Boolean value", d->defname);
}

int pz__ab_def_int(pz__ab_t *b, const PgQuery__DefElem *d, int64_t *out)
{
    const PgQuery__Node *v = d->arg;
    if (v != NULL && v->node_case == PG_QUERY__NODE__NODE_INTEGER) {
        *out = v->integer->ival;
        return 0;
    }
    if (v != NULL && v->node_case == PG_QUERY__NODE__NODE_FLOAT && v->float_->fval != NULL) {
        errno = 0;
        char *end;
        long long x = strtoll(v->float_->fval, &end, 10);
        if (errno == 0 && *end == '\0' && end != v->float_->fval) {
            *out = x;
            return 0;
        }
    }
    return pz__ab_fail(b, "22023", d->location, "%s requires an integer value", d->defname);
}

static const PgQuery__DefElem *s_def(pz__ab_t *b, const PgQuery__Node *n)
{
    if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
        n->def_elem->defname == NULL) {
        pz__ab_fail(b, "XX000", -1, "malformed option list");
        return NULL;
    }
    return n->def_elem;
}

/* transaction_isolation / transaction_read_only / transaction_deferrable options of BEGIN and
 * SET TRANSACTION. */
static int s_txn_options(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_stmt_t *st)
{
    for (size_t i = 0; i < n; i++) {
        const PgQuery__DefElem *d = s_def(b, items[i]);
        if (d == NULL) {
            return PZ_EINVAL;
        }
        if (strcmp(d->defname, "transaction_isolation") == 0) {
            const PgQuery__Node *v = d->arg;
            const char *lvl = v != NULL && v->node_case == PG_QUERY__NODE__NODE_A_CONST &&
                                      v->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL
                                  ? v->a_const->sval->sval
                                  : "";
            static const char *levels[] = {"serializable", "repeatable read", "read committed",
                                           "read uncommitted"};
            st->isolation = 0;
            for (int k = 0; k < 4; k++) {
                st->isolation = strcmp(lvl, levels[k]) == 0 ? k + 1 : st->isolation;
            }
            if (st->isolation == 0) {
                return pz__ab_fail(b, "XX000", d->location, "unknown isolation level");
            }
        } else if (strcmp(d->defname, "transaction_read_only") == 0) {
            bool ro = false;
            S_OK_OR_RETURN(pz__ab_def_bool(b, d, &ro));
            st->read_only = ro ? 1 : 2;
        } else if (strcmp(d->defname, "transaction_deferrable") == 0) {
            bool def = false;
            S_OK_OR_RETURN(pz__ab_def_bool(b, d, &def));
            if (def) {
                return pz__ab_refuse(b, d->location, "DEFERRABLE transactions are not supported");
            }
        } else {
            return pz__ab_refuse(b, d->location, "transaction option \"%s\" is not supported",
                                 d->defname);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Session statements                                                                        */

static int s_set(pz__ab_t *b, const PgQuery__VariableSetStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_SET;
    st->set_local = s->is_local;
    bool ok = true;
    st->name = pz__ab_str(b, s->name, &ok);
    if (!ok) {
        return PZ_ENOMEM;
    }
    switch (s->kind) {
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE:
        return pz__ab_exprs(b, s->args, s->n_args, &st->set_values, &st->n_set_values);
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
        st->set_default = true;
        return 0;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
        st->reset = true;
        return 0;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
        st->reset_all = true;
        return 0;
    case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI:
        if (s->name == NULL || strcmp(s->name, "TRANSACTION") != 0) {
            return pz__ab_refuse(b, -1, "SET %s is not supported", s->name != NULL ? s->name : "?");
        }
        st->kind = PZ_AS_TXN;
        st->txn = PZ_TXN_SET;
        st->name = NULL;
        return s_txn_options(b, s->args, s->n_args, st);
    default:
        return pz__ab_refuse(b, -1, "SET ... FROM CURRENT is not supported");
    }
}

static int s_txn(pz__ab_t *b, const PgQuery__TransactionStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_TXN;
    bool ok = true;
    switch (s->kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
        st->txn = PZ_TXN_BEGIN;
        return s_txn_options(b, s->options, s->n_options, st);
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
        st->txn = s->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT ? PZ_TXN_COMMIT
                                                                                : PZ_TXN_ROLLBACK;
        if (s->chain) {
            return pz__ab_refuse(b, -1, "%s AND CHAIN is not supported",
                                 st->txn == PZ_TXN_COMMIT ? "COMMIT" : "ROLLBACK");
        }
        return 0;
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
        st->txn =
            s->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT ? PZ_TXN_SAVEPOINT
            : s->kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE ? PZ_TXN_RELEASE
                                                                             : PZ_TXN_ROLLBACK_TO;
        st->name = pz__ab_str(b, s->savepoint_name, &ok);
        return ok ? 0 : PZ_ENOMEM;
    default:
        return pz__ab_refuse(b, -1, "two-phase commit is not supported");
    }
}

static int s_stmt(pz__ab_t *b, const PgQuery__Node *n, pz_ast_stmt_t *st);

static int s_explain(pz__ab_t *b, const PgQuery__ExplainStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_EXPLAIN;
    for (size_t i = 0; i < s->n_options; i++) {
        const PgQuery__DefElem *d = s_def(b, s->options[i]);
        if (d == NULL) {
            return PZ_EINVAL;
        }
        if (strcmp(d->defname, "analyze") == 0) {
            S_OK_OR_RETURN(pz__ab_def_bool(b, d, &st->analyze));
        } else if (strcmp(d->defname, "verbose") == 0) {
            S_OK_OR_RETURN(pz__ab_def_bool(b, d, &st->verbose));
        } else if (strcmp(d->defname, "format") == 0 && pz__ab_string(d->arg) != NULL &&
                   strcmp(pz__ab_string(d->arg), "text") == 0) {
            continue; /* the default */
        } else if (strcmp(d->defname, "format") == 0) {
            return pz__ab_refuse(b, d->location, "EXPLAIN format \"%s\" is not supported",
                                 pz__ab_string(d->arg) ? pz__ab_string(d->arg) : "?");
        } else {
            return pz__ab_refuse(b, d->location, "EXPLAIN option \"%s\" is not supported",
                                 d->defname);
        }
    }
    st->inner = pz__ab_alloc(b, sizeof *st->inner);
    if (st->inner == NULL) {
        return PZ_ENOMEM;
    }
    st->inner->location = st->location;
    st->inner->length = st->length;
    return s_stmt(b, s->query, st->inner);
}

static int s_copy_option(pz__ab_t *b, const PgQuery__DefElem *d, pz_ast_stmt_t *st)
{
    const char *v = pz__ab_string(d->arg);
    if (strcmp(d->defname, "format") == 0 && v != NULL &&
        (strcmp(v, "text") == 0 || strcmp(v, "csv") == 0)) {
        st->copy_csv = strcmp(v, "csv") == 0;
        return 0;
    }
    if (strcmp(d->defname, "header") == 0) {
        if (v != NULL && strcasecmp(v, "match") == 0) {
            return pz__ab_refuse(b, d->location, "COPY HEADER MATCH is not supported");
        }
        return pz__ab_def_bool(b, d, &st->copy_header);
    }
    if (strcmp(d->defname, "delimiter") == 0 && v != NULL) {
        if (strlen(v) != 1) {
            return pz__ab_fail(b, "22023", d->location,
                               "COPY delimiter must be a single one-byte character");
        }
        st->copy_delim = v[0];
        return 0;
    }
    if (strcmp(d->defname, "null") == 0 && v != NULL) {
        bool ok = true;
        st->copy_null = pz__ab_str(b, v, &ok);
        return ok ? 0 : PZ_ENOMEM;
    }
    if (strcmp(d->defname, "freeze") == 0) {
        /* Accepted and ignored (pgbench -i sends it): no tuple freezing in our MVCC. */
        bool freeze = false;
        return pz__ab_def_bool(b, d, &freeze);
    }
    if (strcmp(d->defname, "format") == 0) {
        return pz__ab_refuse(b, d->location, "COPY format \"%s\" is not supported",
                             v != NULL ? v : "?");
    }
    return pz__ab_refuse(b, d->location, "COPY option \"%s\" is not supported", d->defname);
}

static int s_copy(pz__ab_t *b, const PgQuery__CopyStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_COPY;
    st->copy_from = s->is_from;
    if (s->is_program) {
        return pz__ab_refuse(b, -1, "COPY %s a program is not supported",
                             s->is_from ? "from" : "to");
    }
    if (s->filename != NULL && s->filename[0] != '\0') {
        return pz__ab_refuse(b, -1, "COPY %s a file is not supported", s->is_from ? "from" : "to");
    }
    if (s->where_clause != NULL) {
        return pz__ab_refuse(b, -1, "COPY FROM ... WHERE is not supported");
    }
    if (s->relation != NULL) {
        S_OK_OR_RETURN(pz__ab_rangevar(b, s->relation, &st->rel));
        S_OK_OR_RETURN(pz__ab_names(b, s->attlist, s->n_attlist, s->relation->location, &st->cols,
                                    &st->n_cols));
    } else {
        S_OK_OR_RETURN(pz__ab_select(b, s->query, &st->copy_query));
    }
    for (size_t i = 0; i < s->n_options; i++) {
        const PgQuery__DefElem *d = s_def(b, s->options[i]);
        if (d == NULL) {
            return PZ_EINVAL;
        }
        S_OK_OR_RETURN(s_copy_option(b, d, st));
    }
    return 0;
}

static int s_role_options(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_stmt_t *st)
{
    for (size_t i = 0; i < n; i++) {
        const PgQuery__DefElem *d = s_def(b, items[i]);
        if (d == NULL) {
            return PZ_EINVAL;
        }
        bool v = false;
        if (strcmp(d->defname, "password") == 0) {
            if (d->arg == NULL) {
                st->password_null = true; /* PASSWORD NULL */
                continue;
            }
            if (pz__ab_string(d->arg) == NULL) {
                return pz__ab_fail(b, "XX000", d->location, "malformed PASSWORD option");
            }
            bool ok = true;
            st->password = pz__ab_str(b, pz__ab_string(d->arg), &ok);
            if (!ok) {
                return PZ_ENOMEM;
            }
        } else if (strcmp(d->defname, "canlogin") == 0) {
            S_OK_OR_RETURN(pz__ab_def_bool(b, d, &v));
            st->login = v;
        } else if (strcmp(d->defname, "superuser") == 0) {
            S_OK_OR_RETURN(pz__ab_def_bool(b, d, &v));
            st->superuser = v;
        } else {
            return pz__ab_refuse(b, d->location, "role option \"%s\" is not supported", d->defname);
        }
    }
    return 0;
}

static int s_rolespec(pz__ab_t *b, const PgQuery__RoleSpec *r, const char **out)
{
    if (r == NULL || r->roletype != PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CSTRING) {
        return pz__ab_refuse(b, r != NULL ? r->location : -1,
                             "CURRENT_USER, SESSION_USER and PUBLIC as a role name are not "
                             "supported");
    }
    bool ok = true;
    *out = pz__ab_str(b, r->rolename, &ok);
    return ok ? 0 : PZ_ENOMEM;
}

static int s_role(pz__ab_t *b, const PgQuery__Node *n, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_ROLE;
    st->login = st->superuser = -1;
    bool ok = true;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT: {
        const PgQuery__CreateRoleStmt *s = n->create_role_stmt;
        if (s->stmt_type == PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_GROUP) {
            return pz__ab_refuse(b, -1, "CREATE GROUP is not supported");
        }
        st->role_op = 0;
        st->name = pz__ab_str(b, s->role, &ok);
        if (s->stmt_type == PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_USER) {
            st->login = 1; /* CREATE USER is CREATE ROLE ... LOGIN */
        }
        return ok ? s_role_options(b, s->options, s->n_options, st) : PZ_ENOMEM;
    }
    case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT: {
        const PgQuery__AlterRoleStmt *s = n->alter_role_stmt;
        st->role_op = 1;
        S_OK_OR_RETURN(s_rolespec(b, s->role, &st->name));
        return s_role_options(b, s->options, s->n_options, st);
    }
    default: {
        const PgQuery__DropRoleStmt *s = n->drop_role_stmt;
        st->role_op = 2;
        st->obj = PZ_OBJ_ROLE;
        st->if_exists = s->missing_ok;
        st->objs = pz__ab_alloc(b, sizeof *st->objs * (s->n_roles > 0 ? s->n_roles : 1));
        if (st->objs == NULL) {
            return PZ_ENOMEM;
        }
        for (size_t i = 0; i < s->n_roles; i++) {
            if (s->roles[i]->node_case != PG_QUERY__NODE__NODE_ROLE_SPEC) {
                return pz__ab_fail(b, "XX000", -1, "malformed DROP ROLE");
            }
            S_OK_OR_RETURN(s_rolespec(b, s->roles[i]->role_spec, &st->objs[i].name));
            st->objs[i].location = pz__ab_loc(b, s->roles[i]->role_spec->location);
        }
        st->n_objs = (int)s->n_roles;
        st->name = st->n_objs > 0 ? st->objs[0].name : NULL;
        return 0;
    }
    }
}

static int s_prepare(pz__ab_t *b, const PgQuery__PrepareStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_PREPARE;
    bool ok = true;
    st->name = pz__ab_str(b, s->name, &ok);
    if (!ok) {
        return PZ_ENOMEM;
    }
    if (s->n_argtypes > 0) {
        st->prep_types = pz__ab_alloc(b, sizeof *st->prep_types * s->n_argtypes);
        if (st->prep_types == NULL) {
            return PZ_ENOMEM;
        }
    }
    for (size_t i = 0; i < s->n_argtypes; i++) {
        if (s->argtypes[i]->node_case != PG_QUERY__NODE__NODE_TYPE_NAME) {
            return pz__ab_fail(b, "XX000", -1, "malformed PREPARE");
        }
        S_OK_OR_RETURN(pz__ab_type(b, s->argtypes[i]->type_name, &st->prep_types[i]));
    }
    st->n_prep_types = (int)s->n_argtypes;
    st->inner = pz__ab_alloc(b, sizeof *st->inner);
    if (st->inner == NULL) {
        return PZ_ENOMEM;
    }
    st->inner->location = st->location;
    st->inner->length = st->length;
    return s_stmt(b, s->query, st->inner);
}

static int s_misc(pz__ab_t *b, const PgQuery__Node *n, pz_ast_stmt_t *st)
{
    bool ok = true;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
        st->kind = PZ_AS_SHOW;
        st->show_all =
            n->variable_show_stmt->name != NULL && strcmp(n->variable_show_stmt->name, "all") == 0;
        st->name = pz__ab_str(b, n->variable_show_stmt->name, &ok);
        return ok ? 0 : PZ_ENOMEM;
    case PG_QUERY__NODE__NODE_EXECUTE_STMT:
        st->kind = PZ_AS_EXECUTE;
        st->name = pz__ab_str(b, n->execute_stmt->name, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
        return pz__ab_exprs(b, n->execute_stmt->params, n->execute_stmt->n_params, &st->exec_params,
                            &st->n_exec_params);
    case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
        st->kind = PZ_AS_DEALLOCATE;
        st->name = n->deallocate_stmt->name != NULL && n->deallocate_stmt->name[0] != '\0'
                       ? pz__ab_str(b, n->deallocate_stmt->name, &ok)
                       : NULL; /* DEALLOCATE ALL */
        return ok ? 0 : PZ_ENOMEM;
    case PG_QUERY__NODE__NODE_DISCARD_STMT:
        st->kind = PZ_AS_DISCARD;
        if (n->discard_stmt->target != PG_QUERY__DISCARD_MODE__DISCARD_ALL) {
            return pz__ab_refuse(
                b, -1, "DISCARD %s is not supported",
                n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_PLANS       ? "PLANS"
                : n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_SEQUENCES ? "SEQUENCES"
                                                                                       : "TEMP");
        }
        return 0;
    case PG_QUERY__NODE__NODE_VACUUM_STMT:
        /* ANALYZE [t, ...] collects statistics (sql_stats.c); VACUUM (pgbench -i runs it) is
         * accepted with a NOTICE that it does nothing yet, and its ANALYZE option collects. */
        return s_vacuum(b, n->vacuum_stmt, st);
    default:
        return pz__ab_refuse(b, -1, "%s is not supported", pz__sql_kind(n));
    }
}

/* VACUUM / ANALYZE: the relations named (columns lists are accepted and ignored: every
 * column is analyzed) and whether statistics are collected. */
static int s_vacuum(pz__ab_t *b, const PgQuery__VacuumStmt *v, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_VACUUM;
    st->analyze = !v->is_vacuumcmd;
    for (size_t i = 0; i < v->n_options; i++) {
        const PgQuery__Node *o = v->options[i];
        if (o->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
            strcmp(o->def_elem->defname, "analyze") == 0) {
            st->vacuum_analyze = true;
        }
    }
    st->objs = pz__ab_alloc(b, sizeof *st->objs * (v->n_rels + 1));
    if (st->objs == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < v->n_rels; i++) {
        const PgQuery__Node *r = v->rels[i];
        if (r->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION ||
            r->vacuum_relation->relation == NULL) {
            return pz__ab_fail(b, "XX000", -1, "malformed VACUUM");
        }
        int rc = pz__ab_rangevar(b, r->vacuum_relation->relation, &st->objs[i]);
        if (rc != 0) {
            return rc;
        }
    }
    st->n_objs = (int)v->n_rels;
    return 0;
}

/* The first byte at or after `at` that is not white space or a comment: a statement's
 * location from the grammar includes what precedes its first token. */
static int s_skip_space(const pz__ab_t *b, int at)
{
    const char *q = b->query;
    size_t i = (size_t)at;
    while (i < b->query_len) {
        if (strchr(" \t\n\r\f\v", q[i]) != NULL) {
            i++;
        } else if (q[i] == '-' && q[i + 1] == '-') {
            while (i < b->query_len && q[i] != '\n') {
                i++;
            }
        } else if (q[i] == '/' && q[i + 1] == '*') { /* nested comments: good enough here */
            const char *e = strstr(q + i + 2, "*/");
            i = e != NULL ? (size_t)(e - q) + 2 : b->query_len;
        } else {
            break;
        }
    }
    return (int)i;
}

static int s_stmt(pz__ab_t *b, const PgQuery__Node *n, pz_ast_stmt_t *st)
{
    if (n == NULL) {
        return pz__ab_fail(b, "XX000", -1, "missing statement in the parse tree");
    }
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT:
        st->kind = PZ_AS_SELECT;
        S_OK_OR_RETURN(pz__ab_select(b, n, &st->select));
        st->select->location = pz__ab_loc(b, s_skip_space(b, st->location));
        return 0;
    case PG_QUERY__NODE__NODE_INSERT_STMT:
        return s_insert(b, n->insert_stmt, st);
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
        return s_update(b, n->update_stmt, st);
    case PG_QUERY__NODE__NODE_DELETE_STMT:
        return s_delete(b, n->delete_stmt, st);
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
        return s_set(b, n->variable_set_stmt, st);
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
        return s_txn(b, n->transaction_stmt, st);
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
        return s_explain(b, n->explain_stmt, st);
    case PG_QUERY__NODE__NODE_COPY_STMT:
        return s_copy(b, n->copy_stmt, st);
    case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
    case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
    case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
        return s_role(b, n, st);
    case PG_QUERY__NODE__NODE_PREPARE_STMT:
        return s_prepare(b, n->prepare_stmt, st);
    default:
        if (pz__ab_ddl_handles(n)) {
            return pz__ab_ddl(b, n, st);
        }
        return s_misc(b, n, st);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Entry point                                                                               */

typedef struct {
    pz__ab_t b;
    pz_ast_stmt_t **stmts;
    int n;
} s_build_t;

/* Character counts before every PZ__AB_CHARS_STEP-th byte, for queries that are not ASCII. */
static int s_char_marks(pz__ab_t *b)
{
    bool ascii = true;
    for (size_t i = 0; i < b->query_len && ascii; i++) {
        ascii = (uint8_t)b->query[i] < 0x80;
    }
    if (ascii) {
        return 0;
    }
    size_t n = b->query_len / PZ__AB_CHARS_STEP + 1;
    uint32_t *m = pz__ab_alloc(b, sizeof *m * n);
    if (m == NULL) {
        return PZ_ENOMEM;
    }
    uint32_t chars = 0;
    for (size_t i = 0; i < b->query_len; i++) {
        if (i % PZ__AB_CHARS_STEP == 0) {
            m[i / PZ__AB_CHARS_STEP] = chars;
        }
        chars += ((uint8_t)b->query[i] & 0xc0) != 0x80;
    }
    if (b->query_len % PZ__AB_CHARS_STEP == 0) {
        m[n - 1] = chars;
    }
    b->char_marks = m;
    return 0;
}

static int s_build_all(const PgQuery__ParseResult *tree, void *ctx)
{
    s_build_t *c = ctx;
    pz__ab_t *b = &c->b;
    S_OK_OR_RETURN(s_char_marks(b));
    if (tree->n_stmts == 0) {
        return 0;
    }
    c->stmts = pz__ab_alloc(b, sizeof *c->stmts * tree->n_stmts);
    if (c->stmts == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < tree->n_stmts; i++) {
        const PgQuery__RawStmt *raw = tree->stmts[i];
        pz_ast_stmt_t *st = pz__ab_alloc(b, sizeof *st);
        if (st == NULL || raw == NULL) {
            return st == NULL ? PZ_ENOMEM : pz__ab_fail(b, "XX000", -1, "missing statement");
        }
        st->location = raw->stmt_location;
        st->length = raw->stmt_len;
        b->stmt_start = raw->stmt_location;
        b->stmt_end = raw->stmt_len > 0 ? raw->stmt_location + raw->stmt_len : (int)b->query_len;
        b->scanned = false;
        b->toks = NULL;
        b->n_toks = 0;
        S_OK_OR_RETURN(s_stmt(b, raw->stmt, st));
        c->stmts[c->n++] = st;
    }
    return 0;
}

/* Gives st (and EXPLAIN's statement) the AS OF SYSTEM TIME clauses inside it: one, or several
 * with the same text (a UNION of two historical reads). */
static int s_attach_aost(pz_ast_stmt_t *st, int end, const pz_aost_clause_t *c, int n,
                         pz_sql_err_t *err)
{
    for (int k = 0; k < n; k++) {
        if (c[k].at < st->location || c[k].at >= end) {
            continue;
        }
        if (st->as_of != NULL && strcmp(st->as_of, c[k].expr) != 0) {
            pz_sql_err_set(err, "0A000",
                           "cannot specify AS OF SYSTEM TIME with different "
                           "timestamps in one statement");
            err->position = c[k].at + 1;
            return PZ_EINVAL;
        }
        st->as_of = c[k].expr;
        if (st->inner != NULL) {
            st->inner->as_of = c[k].expr;
        }
    }
    return 0;
}

/* UPSERT statements rewritten in one query string; past this the rest stay UPSERT, a syntax
 * error (a script of thousands of UPSERTs belongs in one multi-row statement). */
#define S_UPSERTS_MAX 256

/* A range statement (sql_ranges.h) over the rows' statement the text parsed to (SPLIT AT). */
static int s_ranges(pz_arena_t *a, const pz_ranges_stmt_t *rs, pz_ast_stmt_t **rows, int n_rows,
                    pz_ast_stmt_t ***stmts, int *n, pz_sql_err_t *err)
{
    if (rs->kind == PZ_AS_SPLIT_AT && n_rows != 1) {
        return pz_sql_err_set(err, "42601", "SPLIT AT must be the only statement of its query");
    }
    pz_ast_stmt_t **one = pz_arena_alloc(a, sizeof *one);
    if (one == NULL) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    int rc = pz_ranges_stmt(a, rs, n_rows == 1 ? rows[0] : NULL, &one[0], err);
    if (rc == 0) {
        *stmts = one;
        *n = 1;
    }
    return rc;
}

int pz_ast_build(pz_arena_t *a, const char *query, const _Atomic bool *cancel,
                 pz_ast_stmt_t ***stmts, int *n, pz_sql_err_t *err)
{
    assert(a != NULL && query != NULL && stmts != NULL && n != NULL && err != NULL);
    *stmts = NULL;
    *n = 0;
    pz_sql_err_clear(err);
    int upsert_at[S_UPSERTS_MAX], n_upsert = 0;
    pz_ranges_stmt_t ranges; /* SPLIT AT / SHOW RANGES (sql_ranges.h) */
    query = pz_ranges_rewrite(a, query, &ranges);
    if (ranges.kind == PZ_AS_SHOW_RANGES) {
        return s_ranges(a, &ranges, NULL, 0, stmts, n, err);
    }
    query = pz_crdb_rewrite(a, query, upsert_at, S_UPSERTS_MAX, &n_upsert);
    pz_aost_clause_t aost[PZ_AOST_CLAUSES_MAX];
    int n_aost = 0;
    if (pz_aost_strip(a, &query, aost, PZ_AOST_CLAUSES_MAX, &n_aost, err) != 0) {
        return PZ_EINVAL;
    }
    s_build_t c = {.b = {.a = a, .query = query, .query_len = strlen(query), .err = err}};
    if (c.b.query_len > INT32_MAX) {
        pz_sql_err_set(err, "54000", "query string too long");
        return PZ_EINVAL;
    }
    pz_sql_parse_t p;
    int rc = pz__sql_parse_tree(query, cancel, s_build_all, &c, &p);
    if (rc == 0) {
        for (int i = 0; i < c.n; i++) {
            pz_ast_stmt_t *st = c.stmts[i];
            if (st->kind == PZ_AS_PREPARE) { /* its statement is cut from the text later */
                char *q = pz_arena_alloc(a, c.b.query_len + 1);
                if (q == NULL) {
                    return pz_sql_err_set(err, "53200", "out of memory");
                }
                memcpy(q, query, c.b.query_len + 1);
                st->query = q;
            }
            int end = st->length > 0 ? st->location + st->length : (int)c.b.query_len;
            pz_ast_stmt_t *ins = st->kind == PZ_AS_INSERT ? st : st->inner; /* EXPLAIN's */
            for (int k = 0; ins != NULL && k < n_upsert; k++) {
                ins->upsert |=
                    ins->kind == PZ_AS_INSERT && upsert_at[k] >= st->location && upsert_at[k] < end;
            }
            if (s_attach_aost(st, end, aost, n_aost, err) != 0) {
                return PZ_EINVAL;
            }
        }
        if (ranges.kind != 0) {
            return s_ranges(a, &ranges, c.stmts, c.n, stmts, n, err);
        }
        *stmts = c.stmts;
        *n = c.n;
        return 0;
    }
    if (pz_sql_err_is_set(err)) {
        return rc == PZ_ENOMEM ? PZ_ENOMEM : PZ_EINVAL; /* set by the translator */
    }
    switch (rc) {
    case PZ_EINVAL:
        pz_sql_err_set(err, "42601", "%s", p.error);
        err->position = p.cursorpos;
        return PZ_EINVAL;
    case PZ_ELIMIT:
        pz_sql_err_set(err, "54001", "%s", p.error);
        return PZ_EINVAL;
    case PZ_ECLOSED:
        pz_sql_err_set(err, "57014", "canceling statement due to user request");
        return PZ_ECLOSED;
    default:
        pz_sql_err_set(err, "XX000", "%s", p.error[0] ? p.error : "cannot parse the statement");
        return PZ_EINVAL;
    }
}
