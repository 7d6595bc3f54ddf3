/*
 * sql_ast_ddl.c — translation of DDL statements (CREATE TABLE / TABLE AS / INDEX / VIEW /
 * SCHEMA / DATABASE / SEQUENCE, DROP, ALTER TABLE, RENAME, TRUNCATE) into the AST (sql_ast.h).
 *
 * Storage and physical options PostgreSQL accepts (WITH (...), TABLESPACE, UNLOGGED, ON COMMIT,
 * inheritance, partitioning, deferrable constraints, operator classes...) change what a
 * statement means or promises, so each is refused by name rather than ignored. The text of
 * DEFAULT / CHECK expressions and of view queries is sliced from the statement as written
 * (sql_ast_text.c), which is what the catalog stores.
 */
#include <assert.h>
#include <limits.h>
#include <string.h>

#include "sql_ast_int.h"

#define S_OK_OR_RETURN(x)                                                                          \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ != 0)                                                                              \
            return rc_;                                                                            \
    } while (0)

/* "FUNCTION" for OBJECT_FUNCTION, "FOREIGN TABLE" for OBJECT_FOREIGN_TABLE. */
static const char *s_objtype(PgQuery__ObjectType t, char *buf, size_t cap)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&pg_query__object_type__descriptor, (int)t);
    const char *name = v != NULL ? v->name : "OBJECT_UNKNOWN";
    if (strncmp(name, "OBJECT_", 7) == 0) {
        name += 7;
    }
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < cap; i++) {
        buf[i] = name[i] == '_' ? ' ' : name[i];
    }
    buf[i] = '\0';
    return buf;
}

static int s_fk_action(pz__ab_t *b, const char *c, int32_t location, uint8_t *out)
{
    switch (c != NULL && c[0] != '\0' ? c[0] : 'a') {
    case 'a':
        *out = PZ_FK_NO_ACTION;
        return 0;
    case 'r':
        *out = PZ_FK_RESTRICT;
        return 0;
    case 'c':
        *out = PZ_FK_CASCADE;
        return 0;
    case 'n':
        *out = PZ_FK_SET_NULL;
        return 0;
    case 'd':
        *out = PZ_FK_SET_DEFAULT;
        return 0;
    default:
        return pz__ab_fail(b, "XX000", location, "unknown foreign key action");
    }
}

/* Fields PRIMARY KEY / UNIQUE / FOREIGN KEY share that we refuse when set. */
static int s_cons_common(pz__ab_t *b, const PgQuery__Constraint *c)
{
    if (c->deferrable || c->initdeferred) {
        return pz__ab_refuse(b, c->location, "deferrable constraints are not supported");
    }
    if (c->skip_validation) {
        return pz__ab_refuse(b, c->location, "NOT VALID constraints are not supported");
    }
    if (c->is_no_inherit) {
        return pz__ab_refuse(b, c->location, "NO INHERIT constraints are not supported");
    }
    if (c->n_including > 0) {
        return pz__ab_refuse(b, c->location, "INCLUDE in constraints is not supported");
    }
    if (c->n_options > 0) {
        return pz__ab_refuse(b, c->location, "storage parameters are not supported");
    }
    if (c->indexspace != NULL && c->indexspace[0] != '\0') {
        return pz__ab_refuse(b, c->location, "tablespaces are not supported");
    }
    if (c->indexname != NULL && c->indexname[0] != '\0') {
        return pz__ab_refuse(b, c->location, "USING INDEX in constraints is not supported");
    }
    if (c->nulls_not_distinct) {
        return pz__ab_refuse(b, c->location, "NULLS NOT DISTINCT is not supported");
    }
    return 0;
}

static int s_foreign(pz__ab_t *b, const PgQuery__Constraint *c, pz_ast_cons_t *out)
{
    out->kind = PZ_CONS_FOREIGN;
    if (c->fk_matchtype != NULL && c->fk_matchtype[0] != '\0' && c->fk_matchtype[0] != 's') {
        return pz__ab_refuse(b, c->location, "MATCH %s is not supported",
                             c->fk_matchtype[0] == 'f' ? "FULL" : "PARTIAL");
    }
    if (c->n_fk_del_set_cols > 0) {
        return pz__ab_refuse(b, c->location,
                             "column lists in ON DELETE SET NULL / SET DEFAULT are not supported");
    }
    pz_ast_qname_t q;
    S_OK_OR_RETURN(pz__ab_rangevar(b, c->pktable, &q));
    out->ref_schema = q.schema;
    out->ref_table = q.name;
    S_OK_OR_RETURN(
        pz__ab_names(b, c->fk_attrs, c->n_fk_attrs, c->location, &out->cols, &out->n_cols));
    S_OK_OR_RETURN(
        pz__ab_names(b, c->pk_attrs, c->n_pk_attrs, c->location, &out->ref_cols, &out->n_ref_cols));
    S_OK_OR_RETURN(s_fk_action(b, c->fk_del_action, c->location, &out->on_delete));
    return s_fk_action(b, c->fk_upd_action, c->location, &out->on_update);
}

/* One constraint. `limit`: the byte where a column's DEFAULT expression must end (the next
 * constraint or COLLATE of the column), INT32_MAX for none. Returns 1 for constraint attributes
 * that change nothing (NOT DEFERRABLE, INITIALLY IMMEDIATE): the caller skips them. */
static int s_cons(pz__ab_t *b, const PgQuery__Constraint *c, int limit, pz_ast_cons_t *out)
{
    memset(out, 0, sizeof *out);
    out->location = pz__ab_loc(b, c->location);
    bool ok = true;
    out->name = c->conname != NULL && c->conname[0] != '\0' ? pz__ab_str(b, c->conname, &ok) : NULL;
    if (!ok) {
        return PZ_ENOMEM;
    }
    switch (c->contype) {
    case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
        out->kind = PZ_CONS_NULL;
        return 0;
    case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
        out->kind = PZ_CONS_NOT_NULL;
        return 0;
    case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
        out->kind = PZ_CONS_DEFAULT;
        S_OK_OR_RETURN(pz__ab_expr(b, c->raw_expr, &out->expr));
        return pz__ab_default_text(b, c->location, limit, &out->expr_text);
    case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
        out->kind = PZ_CONS_CHECK;
        S_OK_OR_RETURN(s_cons_common(b, c));
        S_OK_OR_RETURN(pz__ab_expr(b, c->raw_expr, &out->expr));
        return pz__ab_check_text(b, c->location, &out->expr_text);
    case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
    case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
        out->kind =
            c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ? PZ_CONS_PRIMARY : PZ_CONS_UNIQUE;
        S_OK_OR_RETURN(s_cons_common(b, c));
        return pz__ab_names(b, c->keys, c->n_keys, c->location, &out->cols, &out->n_cols);
    case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
        S_OK_OR_RETURN(s_cons_common(b, c));
        return s_foreign(b, c, out);
    case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
        out->kind = PZ_CONS_IDENTITY;
        if (c->n_options > 0) {
            return pz__ab_refuse(b, c->location, "identity sequence options are not supported");
        }
        out->identity_always = c->generated_when != NULL && c->generated_when[0] == 'a';
        return 0;
    case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
        return pz__ab_refuse(b, c->location, "generated columns are not supported");
    case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
        return pz__ab_refuse(b, c->location, "exclusion constraints are not supported");
    case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRABLE:
    case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRED:
        return pz__ab_refuse(b, c->location, "deferrable constraints are not supported");
    case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_NOT_DEFERRABLE:
    case PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_IMMEDIATE:
        return 1;
    default:
        return pz__ab_fail(b, "XX000", c->location, "constraint of unknown kind");
    }
}

static int s_coldef(pz__ab_t *b, const PgQuery__ColumnDef *cd, pz_ast_coldef_t *out)
{
    memset(out, 0, sizeof *out);
    out->location = pz__ab_loc(b, cd->location);
    if (cd->compression != NULL && cd->compression[0] != '\0') {
        return pz__ab_refuse(b, cd->location, "column compression is not supported");
    }
    if (cd->storage != NULL && cd->storage[0] != '\0') {
        return pz__ab_refuse(b, cd->location, "column storage is not supported");
    }
    if (cd->n_fdwoptions > 0) {
        return pz__ab_refuse(b, cd->location, "column options are not supported");
    }
    if (cd->raw_default != NULL) { /* only ALTER COLUMN TYPE ... USING: refused by the caller */
        return pz__ab_refuse(b, cd->location, "ALTER COLUMN TYPE ... USING is not supported");
    }
    int coll_at = INT32_MAX;
    if (cd->coll_clause != NULL) {
        const char *coll;
        S_OK_OR_RETURN(pz__ab_collation(b, cd->coll_clause->collname, cd->coll_clause->n_collname,
                                        cd->coll_clause->location, &coll));
        coll_at = cd->coll_clause->location; /* "C": what every text column is */
    }
    bool ok = true;
    out->name = pz__ab_str(b, cd->colname, &ok);
    if (!ok) {
        return PZ_ENOMEM;
    }
    S_OK_OR_RETURN(pz__ab_type(b, cd->type_name, &out->type));
    out->cons = pz__ab_alloc(b, sizeof *out->cons * (cd->n_constraints + 1));
    if (out->cons == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < cd->n_constraints; i++) {
        if (cd->constraints[i]->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) {
            return pz__ab_fail(b, "XX000", cd->location, "malformed column constraint");
        }
        const PgQuery__Constraint *c = cd->constraints[i]->constraint;
        int limit = coll_at > c->location ? coll_at : INT32_MAX;
        for (size_t k = 0; k < cd->n_constraints; k++) {
            const PgQuery__Node *o = cd->constraints[k];
            if (o->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
                o->constraint->location > c->location && o->constraint->location < limit) {
                limit = o->constraint->location;
            }
        }
        int rc = s_cons(b, c, limit, &out->cons[out->n_cons]);
        if (rc < 0) {
            return rc;
        }
        out->n_cons += rc == 0;
    }
    return 0;
}

static int s_persistence(pz__ab_t *b, const PgQuery__RangeVar *rv, pz_ast_stmt_t *st)
{
    if (rv != NULL && rv->relpersistence != NULL && rv->relpersistence[0] == 'u') {
        return pz__ab_refuse(b, rv->location, "unlogged tables are not supported");
    }
    st->temp = rv != NULL && rv->relpersistence != NULL && rv->relpersistence[0] == 't';
    return 0;
}

static int s_table_elt(pz__ab_t *b, const PgQuery__Node *e, pz_ast_stmt_t *st)
{
    switch (e->node_case) {
    case PG_QUERY__NODE__NODE_COLUMN_DEF:
        return s_coldef(b, e->column_def, &st->coldefs[st->n_coldefs++]);
    case PG_QUERY__NODE__NODE_CONSTRAINT: {
        int rc = s_cons(b, e->constraint, INT32_MAX, &st->tcons[st->n_tcons]);
        st->n_tcons += rc == 0;
        return rc < 0 ? rc : 0;
    }
    case PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE:
        return pz__ab_refuse(
            b, e->table_like_clause->relation ? e->table_like_clause->relation->location : -1,
            "LIKE in CREATE TABLE is not supported");
    default:
        return pz__ab_refuse(b, -1, "%s in CREATE TABLE is not supported", pz__sql_kind(e));
    }
}

static int s_create(pz__ab_t *b, const PgQuery__CreateStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_CREATE_TABLE;
    int32_t loc = s->relation != NULL ? s->relation->location : -1;
    if (s->n_inh_relations > 0) {
        return pz__ab_refuse(b, loc, "table inheritance is not supported");
    }
    if (s->partbound != NULL) {
        return pz__ab_refuse(b, loc, "partitions are not supported");
    }
    if (s->partspec != NULL) {
        return pz__ab_refuse(b, s->partspec->location, "partitioned tables are not supported");
    }
    if (s->of_typename != NULL) {
        return pz__ab_refuse(b, s->of_typename->location, "typed tables are not supported");
    }
    for (size_t i = 0; i < s->n_options; i++) {
        /* fillfactor is a heap page-filling hint (pgbench -i sends it): there are no heap pages
         * here, so it changes nothing and is accepted, as CockroachDB does. Others refused. */
        const PgQuery__Node *o = s->options[i];
        if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
            strcmp(o->def_elem->defname, "fillfactor") != 0 || o->def_elem->defnamespace[0]) {
            return pz__ab_refuse(b, loc, "storage parameters are not supported");
        }
    }
    if (s->oncommit != PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_NOOP &&
        s->oncommit != PG_QUERY__ON_COMMIT_ACTION__ON_COMMIT_ACTION_UNDEFINED) {
        return pz__ab_refuse(b, loc, "ON COMMIT is not supported");
    }
    if (s->tablespacename != NULL && s->tablespacename[0] != '\0') {
        return pz__ab_refuse(b, loc, "tablespaces are not supported");
    }
    if (s->access_method != NULL && s->access_method[0] != '\0') {
        return pz__ab_refuse(b, loc, "table access methods are not supported");
    }
    st->if_not_exists = s->if_not_exists;
    S_OK_OR_RETURN(pz__ab_rangevar(b, s->relation, &st->rel));
    S_OK_OR_RETURN(s_persistence(b, s->relation, st));
    size_t n = s->n_table_elts + s->n_constraints;
    st->coldefs = pz__ab_alloc(b, sizeof *st->coldefs * (n + 1));
    st->tcons = pz__ab_alloc(b, sizeof *st->tcons * (n + 1));
    if (st->coldefs == NULL || st->tcons == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < s->n_table_elts; i++) {
        S_OK_OR_RETURN(s_table_elt(b, s->table_elts[i], st));
    }
    for (size_t i = 0; i < s->n_constraints; i++) {
        S_OK_OR_RETURN(s_table_elt(b, s->constraints[i], st));
    }
    return 0;
}

static int s_create_as(pz__ab_t *b, const PgQuery__CreateTableAsStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_CREATE_TABLE_AS;
    const PgQuery__IntoClause *in = s->into;
    if (in == NULL || in->rel == NULL) {
        return pz__ab_fail(b, "XX000", -1, "malformed CREATE TABLE AS");
    }
    int32_t loc = in->rel->location;
    if (s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW) {
        return pz__ab_refuse(b, loc, "materialized views are not supported");
    }
    if (in->n_options > 0) {
        return pz__ab_refuse(b, loc, "storage parameters are not supported");
    }
    if (in->on_commit != PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_NOOP &&
        in->on_commit != PG_QUERY__ON_COMMIT_ACTION__ON_COMMIT_ACTION_UNDEFINED) {
        return pz__ab_refuse(b, loc, "ON COMMIT is not supported");
    }
    if ((in->table_space_name != NULL && in->table_space_name[0] != '\0') ||
        (in->access_method != NULL && in->access_method[0] != '\0')) {
        return pz__ab_refuse(b, loc, "tablespaces and table access methods are not supported");
    }
    if (in->skip_data) {
        return pz__ab_refuse(b, loc, "WITH NO DATA is not supported");
    }
    st->if_not_exists = s->if_not_exists;
    S_OK_OR_RETURN(pz__ab_rangevar(b, in->rel, &st->rel));
    S_OK_OR_RETURN(s_persistence(b, in->rel, st));
    S_OK_OR_RETURN(pz__ab_names(b, in->col_names, in->n_col_names, loc, &st->cols, &st->n_cols));
    S_OK_OR_RETURN(pz__ab_select(b, s->query, &st->select));
    return pz__ab_query_text(b, loc, &st->query_text);
}

/* CREATE INDEX's key columns: names only (expression indexes refused). */
static int s_index_cols(pz__ab_t *b, const PgQuery__IndexStmt *s, int32_t loc, pz_ast_stmt_t *st)
{
    bool ok = true;
    st->idx_cols = pz__ab_alloc(b, sizeof *st->idx_cols * (s->n_index_params + 1));
    if (st->idx_cols == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < s->n_index_params; i++) {
        const PgQuery__IndexElem *e = s->index_params[i]->index_elem;
        if (s->index_params[i]->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM) {
            return pz__ab_fail(b, "XX000", loc, "malformed index column");
        }
        if (e->expr != NULL || e->name == NULL) {
            return pz__ab_refuse(b, loc, "expression indexes are not supported");
        }
        if (e->n_collation > 0 || e->n_opclass > 0 || e->n_opclassopts > 0) {
            return pz__ab_refuse(b, loc,
                                 "index collations and operator classes are not "
                                 "supported");
        }
        pz_ast_sort_t *k = &st->idx_cols[i];
        k->desc = e->ordering == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
        k->nulls = e->nulls_ordering == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST  ? 1
                   : e->nulls_ordering == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST ? 2
                                                                                     : 0;
        k->expr = pz__ab_alloc(b, sizeof *k->expr);
        if (k->expr == NULL) {
            return PZ_ENOMEM;
        }
        k->expr->kind = PZ_AX_COLREF;
        k->expr->n_names = 1;
        k->expr->names[0] = pz__ab_str(b, e->name, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
    }
    st->n_idx_cols = (int)s->n_index_params;
    return 0;
}

static int s_index(pz__ab_t *b, const PgQuery__IndexStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_CREATE_INDEX;
    int32_t loc = s->relation != NULL ? s->relation->location : -1;
    if (s->access_method != NULL && strcmp(s->access_method, "btree") != 0) {
        return pz__ab_refuse(b, loc, "index access method \"%s\" is not supported",
                             s->access_method);
    }
    if (s->where_clause != NULL) {
        return pz__ab_refuse(b, loc, "partial indexes are not supported");
    }
    if (s->table_space != NULL && s->table_space[0] != '\0') {
        return pz__ab_refuse(b, loc, "tablespaces are not supported");
    }
    if (s->n_options > 0) {
        return pz__ab_refuse(b, loc, "storage parameters are not supported");
    }
    if (s->nulls_not_distinct) {
        return pz__ab_refuse(b, loc, "NULLS NOT DISTINCT is not supported");
    }
    bool ok = true;
    st->name = s->idxname != NULL && s->idxname[0] != '\0' ? pz__ab_str(b, s->idxname, &ok)
                                                           : NULL; /* NULL: a name is chosen */
    st->unique = s->unique;
    st->if_not_exists = s->if_not_exists;
    if (!ok) {
        return PZ_ENOMEM;
    }
    S_OK_OR_RETURN(pz__ab_rangevar(b, s->relation, &st->rel)); /* CONCURRENTLY: accepted */
    S_OK_OR_RETURN(s_index_cols(b, s, loc, st));
    if (s->n_index_including_params > 0) {
        st->include_cols = pz__ab_alloc(b, sizeof *st->include_cols * s->n_index_including_params);
        if (st->include_cols == NULL) {
            return PZ_ENOMEM;
        }
    }
    for (size_t i = 0; i < s->n_index_including_params; i++) {
        const PgQuery__Node *n = s->index_including_params[i];
        if (n->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM || n->index_elem->name == NULL) {
            return pz__ab_refuse(b, loc, "expressions in INCLUDE are not supported");
        }
        st->include_cols[i] = pz__ab_str(b, n->index_elem->name, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
    }
    st->n_include = (int)s->n_index_including_params;
    return 0;
}

static int s_view(pz__ab_t *b, const PgQuery__ViewStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_CREATE_VIEW;
    int32_t loc = s->view != NULL ? s->view->location : -1;
    if (s->n_options > 0) {
        return pz__ab_refuse(b, loc, "view options are not supported");
    }
    if (s->with_check_option != PG_QUERY__VIEW_CHECK_OPTION__NO_CHECK_OPTION &&
        s->with_check_option != PG_QUERY__VIEW_CHECK_OPTION__VIEW_CHECK_OPTION_UNDEFINED) {
        return pz__ab_refuse(b, loc, "WITH CHECK OPTION is not supported");
    }
    st->or_replace = s->replace;
    S_OK_OR_RETURN(pz__ab_rangevar(b, s->view, &st->rel));
    S_OK_OR_RETURN(s_persistence(b, s->view, st));
    S_OK_OR_RETURN(pz__ab_names(b, s->aliases, s->n_aliases, loc, &st->cols, &st->n_cols));
    S_OK_OR_RETURN(pz__ab_select(b, s->query, &st->select));
    return pz__ab_query_text(b, loc, &st->query_text);
}

static int s_seq_option(pz__ab_t *b, const PgQuery__DefElem *d, pz_ast_stmt_t *st)
{
    static const char *ints[] = {"start", "increment", "minvalue", "maxvalue", "cache", "cycle"};
    if (strcmp(d->defname, "as") == 0) {
        pz_ast_type_t t;
        if (d->arg == NULL || d->arg->node_case != PG_QUERY__NODE__NODE_TYPE_NAME) {
            return pz__ab_fail(b, "XX000", d->location, "malformed AS option");
        }
        S_OK_OR_RETURN(pz__ab_type(b, d->arg->type_name, &t));
        if (strcmp(t.name, "int8") != 0 || t.array || t.n_mods > 0) {
            return pz__ab_refuse(b, d->location, "sequences of type %s are not supported", t.name);
        }
        return 0;
    }
    size_t k = 0;
    while (k < sizeof ints / sizeof ints[0] && strcmp(d->defname, ints[k]) != 0) {
        k++;
    }
    if (k == sizeof ints / sizeof ints[0]) {
        return pz__ab_refuse(b, d->location, "sequence option \"%s\" is not supported", d->defname);
    }
    if (d->arg == NULL && k != 5) {
        return 0; /* NO MINVALUE / NO MAXVALUE: the default */
    }
    for (int i = 0; i < st->n_seq_opts; i++) {
        if (strcmp(st->seq_opt_names[i], ints[k]) == 0) {
            return pz__ab_fail(b, "42601", d->location, "conflicting or redundant options");
        }
    }
    assert(st->n_seq_opts < 8);
    int64_t v = 0;
    if (k == 5) {
        bool cycle = false;
        S_OK_OR_RETURN(pz__ab_def_bool(b, d, &cycle));
        v = cycle;
    } else {
        S_OK_OR_RETURN(pz__ab_def_int(b, d, &v));
    }
    st->seq_opt_names[st->n_seq_opts] = ints[k]; /* static strings */
    st->seq_opt_values[st->n_seq_opts++] = v;
    return 0;
}

static int s_create_seq(pz__ab_t *b, const PgQuery__CreateSeqStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_CREATE_SEQUENCE;
    st->if_not_exists = s->if_not_exists;
    S_OK_OR_RETURN(pz__ab_rangevar(b, s->sequence, &st->rel));
    S_OK_OR_RETURN(s_persistence(b, s->sequence, st));
    for (size_t i = 0; i < s->n_options; i++) {
        if (s->options[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) {
            return pz__ab_fail(b, "XX000", -1, "malformed sequence option");
        }
        S_OK_OR_RETURN(s_seq_option(b, s->options[i]->def_elem, st));
    }
    return 0;
}

static int s_drop(pz__ab_t *b, const PgQuery__DropStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_DROP;
    char tn[64];
    switch (s->remove_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
        st->obj = PZ_OBJ_TABLE;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        st->obj = PZ_OBJ_INDEX; /* CONCURRENTLY: accepted */
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
        st->obj = PZ_OBJ_VIEW;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
        st->obj = PZ_OBJ_SEQUENCE;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
        st->obj = PZ_OBJ_SCHEMA;
        break;
    default:
        return pz__ab_refuse(b, -1, "DROP %s is not supported",
                             s_objtype(s->remove_type, tn, sizeof tn));
    }
    st->if_exists = s->missing_ok;
    st->cascade = s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    st->objs = pz__ab_alloc(b, sizeof *st->objs * (s->n_objects + 1));
    if (st->objs == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < s->n_objects; i++) {
        const PgQuery__Node *o = s->objects[i];
        if (o->node_case == PG_QUERY__NODE__NODE_LIST) {
            S_OK_OR_RETURN(
                pz__ab_qname_list(b, o->list->items, o->list->n_items, -1, &st->objs[i]));
        } else {
            PgQuery__Node *one[1] = {(PgQuery__Node *)o}; /* DROP SCHEMA: a bare String */
            S_OK_OR_RETURN(pz__ab_qname_list(b, one, 1, -1, &st->objs[i]));
        }
    }
    st->n_objs = (int)s->n_objects;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* ALTER TABLE                                                                               */

/* ALTER COLUMN ... TYPE: the type alone (USING and collations other than C refused). */
static int s_alter_type(pz__ab_t *b, const PgQuery__AlterTableCmd *c, int32_t loc,
                        pz_ast_alter_t *out)
{
    if (c->def == NULL || c->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) {
        return pz__ab_fail(b, "XX000", loc, "malformed ALTER COLUMN TYPE");
    }
    const PgQuery__ColumnDef *cd = c->def->column_def;
    if (cd->raw_default != NULL) {
        return pz__ab_refuse(b, loc, "ALTER COLUMN TYPE ... USING is not supported");
    }
    if (cd->coll_clause != NULL) {
        const char *coll;
        S_OK_OR_RETURN(pz__ab_collation(b, cd->coll_clause->collname, cd->coll_clause->n_collname,
                                        cd->coll_clause->location, &coll));
    }
    return pz__ab_type(b, cd->type_name, &out->type);
}

static int s_alter_cmd(pz__ab_t *b, const PgQuery__AlterTableCmd *c, int32_t loc,
                       int *n_set_default, pz_ast_alter_t *out)
{
    bool ok = true;
    out->location = pz__ab_loc(b, loc);
    out->name = c->name != NULL && c->name[0] != '\0' ? pz__ab_str(b, c->name, &ok) : NULL;
    if (!ok) {
        return PZ_ENOMEM;
    }
    out->cascade = c->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    switch (c->subtype) {
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
        out->kind = PZ_ALTER_ADD_COLUMN;
        out->if_not_exists = c->missing_ok;
        if (c->def == NULL || c->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) {
            return pz__ab_fail(b, "XX000", loc, "malformed ADD COLUMN");
        }
        out->coldef = pz__ab_alloc(b, sizeof *out->coldef);
        return out->coldef != NULL ? s_coldef(b, c->def->column_def, out->coldef) : PZ_ENOMEM;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
        out->kind = c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn
                        ? PZ_ALTER_DROP_COLUMN
                        : PZ_ALTER_DROP_CONSTRAINT;
        out->if_exists = c->missing_ok;
        return 0;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint: {
        out->kind = PZ_ALTER_ADD_CONSTRAINT;
        if (c->def == NULL || c->def->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) {
            return pz__ab_fail(b, "XX000", loc, "malformed ADD CONSTRAINT");
        }
        out->cons = pz__ab_alloc(b, sizeof *out->cons);
        if (out->cons == NULL) {
            return PZ_ENOMEM;
        }
        int rc = s_cons(b, c->def->constraint, INT32_MAX, out->cons);
        return rc == 1 ? pz__ab_fail(b, "42601", loc, "misplaced constraint attribute") : rc;
    }
    case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
        out->kind = PZ_ALTER_SET_DEFAULT;
        if (c->def == NULL) {
            return 0; /* DROP DEFAULT */
        }
        S_OK_OR_RETURN(pz__ab_expr(b, c->def, &out->expr));
        return pz__ab_set_default_text(b, (*n_set_default)++, &out->expr_text);
    case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
        out->kind = PZ_ALTER_SET_NOT_NULL;
        return 0;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
        out->kind = PZ_ALTER_DROP_NOT_NULL;
        return 0;
    case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        out->kind = PZ_ALTER_TYPE;
        return s_alter_type(b, c, loc, out);
    default: {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
            &pg_query__alter_table_type__descriptor, (int)c->subtype);
        const char *name = v != NULL ? v->name : "?";
        return pz__ab_refuse(b, loc, "ALTER TABLE subcommand %s is not supported",
                             strncmp(name, "AT_", 3) == 0 ? name + 3 : name);
    }
    }
}

static int s_alter(pz__ab_t *b, const PgQuery__AlterTableStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_ALTER_TABLE;
    char tn[64];
    int32_t loc = s->relation != NULL ? s->relation->location : -1;
    if (s->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
        return pz__ab_refuse(b, loc, "ALTER %s is not supported",
                             s_objtype(s->objtype, tn, sizeof tn));
    }
    st->if_exists = s->missing_ok;
    S_OK_OR_RETURN(pz__ab_rangevar(b, s->relation, &st->rel)); /* ONLY: no inheritance */
    st->alters = pz__ab_alloc(b, sizeof *st->alters * (s->n_cmds + 1));
    if (st->alters == NULL) {
        return PZ_ENOMEM;
    }
    int n_set_default = 0;
    for (size_t i = 0; i < s->n_cmds; i++) {
        if (s->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
            return pz__ab_fail(b, "XX000", loc, "malformed ALTER TABLE");
        }
        S_OK_OR_RETURN(
            s_alter_cmd(b, s->cmds[i]->alter_table_cmd, loc, &n_set_default, &st->alters[i]));
        st->n_alters++;
    }
    return 0;
}

static int s_rename(pz__ab_t *b, const PgQuery__RenameStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_RENAME;
    char tn[64];
    bool rel = true;
    switch (s->rename_type) {
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
        st->obj = PZ_OBJ_TABLE;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
        st->obj = PZ_OBJ_INDEX;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
        st->obj = PZ_OBJ_VIEW;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
        st->obj = PZ_OBJ_SEQUENCE;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
        if (s->relation_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
            return pz__ab_refuse(b, -1, "renaming a column of a %s is not supported",
                                 s_objtype(s->relation_type, tn, sizeof tn));
        }
        st->obj = PZ_OBJ_COLUMN;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
        st->obj = PZ_OBJ_CONSTRAINT;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
        st->obj = PZ_OBJ_SCHEMA, rel = false;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_DATABASE:
        st->obj = PZ_OBJ_DATABASE, rel = false;
        break;
    case PG_QUERY__OBJECT_TYPE__OBJECT_ROLE:
        st->obj = PZ_OBJ_ROLE, rel = false;
        break;
    default:
        return pz__ab_refuse(b, -1, "ALTER %s ... RENAME is not supported",
                             s_objtype(s->rename_type, tn, sizeof tn));
    }
    st->if_exists = s->missing_ok;
    bool ok = true;
    st->name = pz__ab_str(b, s->newname, &ok);
    st->subname = pz__ab_str(b, s->subname, &ok);
    if (!ok) {
        return PZ_ENOMEM;
    }
    return rel ? pz__ab_rangevar(b, s->relation, &st->rel) : 0;
}

static int s_truncate(pz__ab_t *b, const PgQuery__TruncateStmt *s, pz_ast_stmt_t *st)
{
    st->kind = PZ_AS_TRUNCATE;
    st->obj = PZ_OBJ_TABLE;
    st->cascade = s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
    st->restart_identity = s->restart_seqs;
    st->objs = pz__ab_alloc(b, sizeof *st->objs * (s->n_relations + 1));
    if (st->objs == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < s->n_relations; i++) {
        if (s->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) {
            return pz__ab_fail(b, "XX000", -1, "malformed TRUNCATE");
        }
        S_OK_OR_RETURN(pz__ab_rangevar(b, s->relations[i]->range_var, &st->objs[i]));
    }
    st->n_objs = (int)s->n_relations;
    return 0;
}

static int s_schema_db(pz__ab_t *b, const PgQuery__Node *n, pz_ast_stmt_t *st)
{
    bool ok = true;
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT: {
        const PgQuery__CreateSchemaStmt *s = n->create_schema_stmt;
        st->kind = PZ_AS_CREATE_SCHEMA;
        if (s->authrole != NULL) {
            return pz__ab_refuse(b, s->authrole->location,
                                 "CREATE SCHEMA ... AUTHORIZATION is not supported");
        }
        if (s->n_schema_elts > 0) {
            return pz__ab_refuse(b, -1, "CREATE SCHEMA with schema elements is not supported");
        }
        st->if_not_exists = s->if_not_exists;
        st->name = pz__ab_str(b, s->schemaname, &ok);
        return ok ? 0 : PZ_ENOMEM;
    }
    case PG_QUERY__NODE__NODE_CREATEDB_STMT: {
        const PgQuery__CreatedbStmt *s = n->createdb_stmt;
        st->kind = PZ_AS_CREATE_DATABASE;
        if (s->n_options > 0) {
            const PgQuery__Node *o = s->options[0];
            return pz__ab_refuse(
                b, o->node_case == PG_QUERY__NODE__NODE_DEF_ELEM ? o->def_elem->location : -1,
                "CREATE DATABASE option \"%s\" is not supported",
                o->node_case == PG_QUERY__NODE__NODE_DEF_ELEM ? o->def_elem->defname : "?");
        }
        st->name = pz__ab_str(b, s->dbname, &ok);
        return ok ? 0 : PZ_ENOMEM;
    }
    default: {
        const PgQuery__DropdbStmt *s = n->dropdb_stmt;
        st->kind = PZ_AS_DROP;
        st->obj = PZ_OBJ_DATABASE;
        if (s->n_options > 0) {
            return pz__ab_refuse(b, -1, "DROP DATABASE options are not supported");
        }
        st->if_exists = s->missing_ok;
        st->name = pz__ab_str(b, s->dbname, &ok);
        st->objs = pz__ab_alloc(b, sizeof *st->objs);
        if (!ok || st->objs == NULL) {
            return PZ_ENOMEM;
        }
        st->objs[0].name = st->name;
        st->n_objs = 1;
        return 0;
    }
    }
}

bool pz__ab_ddl_handles(const PgQuery__Node *n)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
    case PG_QUERY__NODE__NODE_INDEX_STMT:
    case PG_QUERY__NODE__NODE_VIEW_STMT:
    case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
    case PG_QUERY__NODE__NODE_CREATEDB_STMT:
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
    case PG_QUERY__NODE__NODE_DROP_STMT:
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
    case PG_QUERY__NODE__NODE_RENAME_STMT:
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        return true;
    default:
        return false;
    }
}

int pz__ab_ddl(pz__ab_t *b, const PgQuery__Node *n, pz_ast_stmt_t *st)
{
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_CREATE_STMT:
        return s_create(b, n->create_stmt, st);
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
        return s_create_as(b, n->create_table_as_stmt, st);
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        return s_index(b, n->index_stmt, st);
    case PG_QUERY__NODE__NODE_VIEW_STMT:
        return s_view(b, n->view_stmt, st);
    case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
        return s_create_seq(b, n->create_seq_stmt, st);
    case PG_QUERY__NODE__NODE_DROP_STMT:
        return s_drop(b, n->drop_stmt, st);
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
        return s_alter(b, n->alter_table_stmt, st);
    case PG_QUERY__NODE__NODE_RENAME_STMT:
        return s_rename(b, n->rename_stmt, st);
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
        return s_truncate(b, n->truncate_stmt, st);
    default:
        return s_schema_db(b, n, st);
    }
}
