/*
 * sql_ast_select.c — translation of SelectStmt (plain SELECT, VALUES, set operations), its FROM
 * items, WITH, windows and target lists into the project's AST (sql_ast.h).
 *
 * As everywhere in the translator, a clause is carried exactly or refused with 0A000 naming it:
 * SELECT INTO, GROUPING SETS, FOR UPDATE OF, SKIP LOCKED, WITH TIES, TABLESAMPLE...
 */
#include <assert.h>
#include <string.h>

#include "sql_ast_int.h"

#define S_OK_OR_RETURN(x)                                                                          \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ != 0)                                                                              \
            return rc_;                                                                            \
    } while (0)

/* PostgreSQL's FRAMEOPTION_* bits (nodes/parsenodes.h), which WindowDef.frame_options carries. */
enum {
    S_FO_NONDEFAULT = 0x00001,
    S_FO_RANGE = 0x00002,
    S_FO_ROWS = 0x00004,
    S_FO_GROUPS = 0x00008,
    S_FO_START_UNBOUNDED_PRECEDING = 0x00020,
    S_FO_END_UNBOUNDED_PRECEDING = 0x00040,
    S_FO_START_UNBOUNDED_FOLLOWING = 0x00080,
    S_FO_END_UNBOUNDED_FOLLOWING = 0x00100,
    S_FO_START_CURRENT_ROW = 0x00200,
    S_FO_END_CURRENT_ROW = 0x00400,
    S_FO_START_OFFSET_PRECEDING = 0x00800,
    S_FO_END_OFFSET_PRECEDING = 0x01000,
    S_FO_START_OFFSET_FOLLOWING = 0x02000,
    S_FO_END_OFFSET_FOLLOWING = 0x04000,
    S_FO_EXCLUDE = 0x08000 | 0x10000 | 0x20000, /* CURRENT ROW, GROUP, TIES */
};

/* The frame bound from the start (shift 0) or end bits. */
static int s_bound(int fo, bool start)
{
    if (fo & (start ? S_FO_START_UNBOUNDED_PRECEDING : S_FO_END_UNBOUNDED_PRECEDING))
        return PZ_FRAME_UNBOUNDED_PRECEDING;
    if (fo & (start ? S_FO_START_OFFSET_PRECEDING : S_FO_END_OFFSET_PRECEDING))
        return PZ_FRAME_PRECEDING;
    if (fo & (start ? S_FO_START_CURRENT_ROW : S_FO_END_CURRENT_ROW))
        return PZ_FRAME_CURRENT_ROW;
    if (fo & (start ? S_FO_START_OFFSET_FOLLOWING : S_FO_END_OFFSET_FOLLOWING))
        return PZ_FRAME_FOLLOWING;
    if (fo & (start ? S_FO_START_UNBOUNDED_FOLLOWING : S_FO_END_UNBOUNDED_FOLLOWING))
        return PZ_FRAME_UNBOUNDED_FOLLOWING;
    return 0;
}

int pz__ab_window(pz__ab_t *b, const PgQuery__WindowDef *w, bool is_over, pz_ast_window_t *out)
{
    memset(out, 0, sizeof *out);
    out->location = pz__ab_loc(b, w->location);
    bool ok = true;
    if (is_over && w->name != NULL && w->name[0] != '\0') {
        out->refname = pz__ab_str(b, w->name, &ok); /* OVER w: the grammar puts w in name */
    } else {
        out->name = w->name != NULL && w->name[0] != '\0' ? pz__ab_str(b, w->name, &ok) : NULL;
        out->refname =
            w->refname != NULL && w->refname[0] != '\0' ? pz__ab_str(b, w->refname, &ok) : NULL;
    }
    if (!ok) {
        return PZ_ENOMEM;
    }
    S_OK_OR_RETURN(pz__ab_exprs(b, w->partition_clause, w->n_partition_clause, &out->partition,
                                &out->n_partition));
    S_OK_OR_RETURN(
        pz__ab_sort_list(b, w->order_clause, w->n_order_clause, &out->order, &out->n_order));
    int fo = w->frame_options;
    if (fo & S_FO_EXCLUDE) {
        return pz__ab_refuse(b, w->location, "window frame EXCLUDE is not supported");
    }
    if (!(fo & S_FO_NONDEFAULT)) {
        return 0;
    }
    out->has_frame = true;
    out->frame_mode = (fo & S_FO_ROWS) ? 0 : (fo & S_FO_GROUPS) ? 2 : 1;
    (void)S_FO_RANGE;
    out->start_kind = s_bound(fo, true);
    out->end_kind = s_bound(fo, false);
    if (out->start_kind == 0 || out->end_kind == 0) {
        return pz__ab_fail(b, "XX000", w->location, "malformed window frame");
    }
    if (w->start_offset != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, w->start_offset, &out->start_off));
    }
    if (w->end_offset != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, w->end_offset, &out->end_off));
    }
    return 0;
}

int pz__ab_targets(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_target_t **out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n == 0) {
        return 0;
    }
    pz_ast_target_t *t = pz__ab_alloc(b, sizeof *t * n);
    if (t == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i]->node_case != PG_QUERY__NODE__NODE_RES_TARGET) {
            return pz__ab_fail(b, "XX000", -1, "malformed target list");
        }
        const PgQuery__ResTarget *r = items[i]->res_target;
        if (r->n_indirection > 0) {
            return pz__ab_refuse(b, r->location, "target indirection is not supported");
        }
        bool ok = true;
        t[i].alias = r->name != NULL && r->name[0] != '\0' ? pz__ab_str(b, r->name, &ok) : NULL;
        if (!ok) {
            return PZ_ENOMEM;
        }
        t[i].location = pz__ab_loc(b, r->location);
        S_OK_OR_RETURN(pz__ab_expr(b, r->val, &t[i].expr));
    }
    *out = t;
    *n_out = (int)n;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* FROM                                                                                      */

static int s_from(pz__ab_t *b, const PgQuery__Node *n, pz_ast_from_t **out);

static int s_alias(pz__ab_t *b, const PgQuery__Alias *al, pz_ast_from_t *f)
{
    if (al == NULL) {
        return 0;
    }
    bool ok = true;
    f->alias = pz__ab_str(b, al->aliasname, &ok);
    if (!ok) {
        return PZ_ENOMEM;
    }
    return pz__ab_names(b, al->colnames, al->n_colnames, -1, &f->col_aliases, &f->n_col_aliases);
}

static int s_from_table(pz__ab_t *b, const PgQuery__RangeVar *rv, pz_ast_from_t *f)
{
    f->kind = PZ_FROM_TABLE;
    pz_ast_qname_t q;
    S_OK_OR_RETURN(pz__ab_rangevar(b, rv, &q)); /* ONLY t: harmless without inheritance */
    f->schema = q.schema;
    f->name = q.name;
    f->location = q.location;
    return s_alias(b, rv->alias, f);
}

static int s_from_func(pz__ab_t *b, const PgQuery__RangeFunction *r, pz_ast_from_t *f)
{
    f->kind = PZ_FROM_FUNC;
    f->lateral = r->lateral;
    f->ordinality = r->ordinality;
    if (r->is_rowsfrom) {
        return pz__ab_refuse(b, -1, "ROWS FROM is not supported");
    }
    if (r->n_coldeflist > 0) {
        return pz__ab_refuse(b, -1, "column definition lists are not supported");
    }
    if (r->n_functions != 1 || r->functions[0]->node_case != PG_QUERY__NODE__NODE_LIST ||
        r->functions[0]->list->n_items < 1) {
        return pz__ab_fail(b, "XX000", -1, "malformed function in FROM");
    }
    const PgQuery__List *pair = r->functions[0]->list; /* {function, column definitions} */
    if (pair->n_items > 1 && pair->items[1]->node_case != PG_QUERY__NODE__NODE__NOT_SET) {
        return pz__ab_refuse(b, -1, "column definition lists are not supported");
    }
    S_OK_OR_RETURN(pz__ab_expr(b, pair->items[0], &f->func));
    if (f->func->kind != PZ_AX_FUNC) {
        return pz__ab_refuse(b, -1, "only function calls are supported as functions in FROM");
    }
    f->location = f->func->location;
    return s_alias(b, r->alias, f);
}

static int s_from_join(pz__ab_t *b, const PgQuery__JoinExpr *j, pz_ast_from_t *f)
{
    f->kind = PZ_FROM_JOIN;
    if (j->alias != NULL || j->join_using_alias != NULL) {
        return pz__ab_refuse(b, -1, "aliases on joins are not supported");
    }
    switch (j->jointype) {
    case PG_QUERY__JOIN_TYPE__JOIN_INNER:
        f->join = j->quals == NULL && j->n_using_clause == 0 && !j->is_natural ? PZ_JOIN_CROSS
                                                                               : PZ_JOIN_INNER;
        break;
    case PG_QUERY__JOIN_TYPE__JOIN_LEFT:
        f->join = PZ_JOIN_LEFT;
        break;
    case PG_QUERY__JOIN_TYPE__JOIN_RIGHT:
        f->join = PZ_JOIN_RIGHT;
        break;
    case PG_QUERY__JOIN_TYPE__JOIN_FULL:
        f->join = PZ_JOIN_FULL;
        break;
    default:
        return pz__ab_fail(b, "XX000", -1, "join of unknown kind");
    }
    f->natural = j->is_natural;
    S_OK_OR_RETURN(s_from(b, j->larg, &f->larg));
    S_OK_OR_RETURN(s_from(b, j->rarg, &f->rarg));
    f->location = f->larg->location;
    S_OK_OR_RETURN(
        pz__ab_names(b, j->using_clause, j->n_using_clause, -1, &f->using_cols, &f->n_using));
    if (j->quals != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, j->quals, &f->on));
    }
    return 0;
}

static int s_from(pz__ab_t *b, const PgQuery__Node *n, pz_ast_from_t **out)
{
    pz_ast_from_t *f = pz__ab_alloc(b, sizeof *f);
    if (f == NULL) {
        return PZ_ENOMEM;
    }
    *out = f;
    if (n == NULL) {
        return pz__ab_fail(b, "XX000", -1, "missing FROM item in the parse tree");
    }
    switch (n->node_case) {
    case PG_QUERY__NODE__NODE_RANGE_VAR:
        return s_from_table(b, n->range_var, f);
    case PG_QUERY__NODE__NODE_RANGE_SUBSELECT: {
        const PgQuery__RangeSubselect *r = n->range_subselect;
        f->kind = PZ_FROM_SUBQUERY;
        f->lateral = r->lateral;
        if (r->alias == NULL) {
            return pz__ab_fail(b, "42601", -1, "subquery in FROM must have an alias");
        }
        S_OK_OR_RETURN(pz__ab_select(b, r->subquery, &f->subquery));
        return s_alias(b, r->alias, f);
    }
    case PG_QUERY__NODE__NODE_JOIN_EXPR:
        return s_from_join(b, n->join_expr, f);
    case PG_QUERY__NODE__NODE_RANGE_FUNCTION:
        return s_from_func(b, n->range_function, f);
    case PG_QUERY__NODE__NODE_RANGE_TABLE_SAMPLE:
        return pz__ab_refuse(b, n->range_table_sample->location, "TABLESAMPLE is not supported");
    case PG_QUERY__NODE__NODE_RANGE_TABLE_FUNC:
        return pz__ab_refuse(b, n->range_table_func->location, "XMLTABLE is not supported");
    default:
        return pz__ab_refuse(b, -1, "%s in FROM is not supported", pz__sql_kind(n));
    }
}

int pz__ab_from_list(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_from_t ***out, int *n_out)
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
        S_OK_OR_RETURN(s_from(b, items[i], &(*out)[i]));
    }
    *n_out = (int)n;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* SELECT                                                                                    */

static int s_select(pz__ab_t *b, const PgQuery__SelectStmt *s, pz_ast_select_t **out);

static int s_with(pz__ab_t *b, const PgQuery__WithClause *w, pz_ast_select_t *sel)
{
    sel->recursive = w->recursive;
    sel->ctes = pz__ab_alloc(b, sizeof *sel->ctes * (w->n_ctes > 0 ? w->n_ctes : 1));
    if (sel->ctes == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < w->n_ctes; i++) {
        if (w->ctes[i]->node_case != PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR) {
            return pz__ab_fail(b, "XX000", w->location, "malformed WITH clause");
        }
        const PgQuery__CommonTableExpr *c = w->ctes[i]->common_table_expr;
        pz_ast_cte_t *out = &sel->ctes[i];
        out->location = pz__ab_loc(b, c->location);
        if (c->search_clause != NULL) {
            return pz__ab_refuse(b, c->search_clause->location, "SEARCH is not supported");
        }
        if (c->cycle_clause != NULL) {
            return pz__ab_refuse(b, c->cycle_clause->location, "CYCLE is not supported");
        }
        bool ok = true;
        out->name = pz__ab_str(b, c->ctename, &ok);
        if (!ok) {
            return PZ_ENOMEM;
        }
        S_OK_OR_RETURN(pz__ab_names(b, c->aliascolnames, c->n_aliascolnames, c->location,
                                    &out->col_names, &out->n_col_names));
        out->materialized = c->ctematerialized == PG_QUERY__CTEMATERIALIZE__CTEMaterializeAlways ? 1
                            : c->ctematerialized == PG_QUERY__CTEMATERIALIZE__CTEMaterializeNever
                                ? 2
                                : 0;
        if (c->ctequery == NULL || c->ctequery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
            return pz__ab_refuse(b, c->location,
                                 "data-modifying statements in WITH are not supported");
        }
        S_OK_OR_RETURN(s_select(b, c->ctequery->select_stmt, &out->query));
        sel->n_ctes++;
    }
    return 0;
}

static int s_locking(pz__ab_t *b, PgQuery__Node **items, size_t n, pz_ast_select_t *sel)
{
    if (n == 0) {
        return 0;
    }
    if (n > 1) {
        return pz__ab_refuse(b, -1, "more than one locking clause is not supported");
    }
    if (items[0]->node_case != PG_QUERY__NODE__NODE_LOCKING_CLAUSE) {
        return pz__ab_fail(b, "XX000", -1, "malformed locking clause");
    }
    const PgQuery__LockingClause *l = items[0]->locking_clause;
    if (l->n_locked_rels > 0) {
        return pz__ab_refuse(b, -1, "FOR UPDATE/SHARE OF is not supported");
    }
    if (l->wait_policy == PG_QUERY__LOCK_WAIT_POLICY__LockWaitSkip) {
        return pz__ab_refuse(b, -1, "SKIP LOCKED is not supported");
    }
    sel->lock_nowait = l->wait_policy == PG_QUERY__LOCK_WAIT_POLICY__LockWaitError;
    switch (l->strength) {
    case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORUPDATE:
        sel->locking = 1;
        return 0;
    case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORNOKEYUPDATE:
        sel->locking = 2;
        return 0;
    case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORSHARE:
        sel->locking = 3;
        return 0;
    case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORKEYSHARE:
        sel->locking = 4;
        return 0;
    default:
        return pz__ab_fail(b, "XX000", -1, "locking clause of unknown strength");
    }
}

static int s_values(pz__ab_t *b, const PgQuery__SelectStmt *s, pz_ast_select_t *sel)
{
    sel->values = pz__ab_alloc(b, sizeof *sel->values * s->n_values_lists);
    if (sel->values == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < s->n_values_lists; i++) {
        const PgQuery__Node *row = s->values_lists[i];
        if (row->node_case != PG_QUERY__NODE__NODE_LIST) {
            return pz__ab_fail(b, "XX000", -1, "malformed VALUES list");
        }
        int n = 0;
        S_OK_OR_RETURN(pz__ab_exprs(b, row->list->items, row->list->n_items, &sel->values[i], &n));
        if (i == 0) {
            sel->n_values_cols = n;
        } else if (n != sel->n_values_cols) {
            return pz__ab_fail(b, "42601", -1, "VALUES lists must all be the same length");
        }
    }
    sel->n_values = (int)s->n_values_lists;
    return 0;
}

static int s_group_by(pz__ab_t *b, const PgQuery__SelectStmt *s, pz_ast_select_t *sel)
{
    if (s->group_distinct) {
        return pz__ab_refuse(b, -1, "GROUP BY DISTINCT is not supported");
    }
    for (size_t i = 0; i < s->n_group_clause; i++) {
        const PgQuery__Node *g = s->group_clause[i];
        if (g->node_case == PG_QUERY__NODE__NODE_GROUPING_SET) {
            const PgQuery__GroupingSet *gs = g->grouping_set;
            const char *what =
                gs->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_ROLLUP ? "ROLLUP"
                : gs->kind == PG_QUERY__GROUPING_SET_KIND__GROUPING_SET_CUBE ? "CUBE"
                                                                             : "GROUPING SETS";
            return pz__ab_refuse(b, gs->location, "%s is not supported", what);
        }
    }
    return pz__ab_exprs(b, s->group_clause, s->n_group_clause, &sel->group_by, &sel->n_group_by);
}

static int s_windows(pz__ab_t *b, const PgQuery__SelectStmt *s, pz_ast_select_t *sel)
{
    if (s->n_window_clause == 0) {
        return 0;
    }
    sel->windows = pz__ab_alloc(b, sizeof *sel->windows * s->n_window_clause);
    if (sel->windows == NULL) {
        return PZ_ENOMEM;
    }
    for (size_t i = 0; i < s->n_window_clause; i++) {
        if (s->window_clause[i]->node_case != PG_QUERY__NODE__NODE_WINDOW_DEF) {
            return pz__ab_fail(b, "XX000", -1, "malformed WINDOW clause");
        }
        S_OK_OR_RETURN(pz__ab_window(b, s->window_clause[i]->window_def, false, &sel->windows[i]));
    }
    sel->n_windows = (int)s->n_window_clause;
    return 0;
}

/* The clauses of a plain SELECT (not a set operation, not VALUES). */
static int s_plain(pz__ab_t *b, const PgQuery__SelectStmt *s, pz_ast_select_t *sel)
{
    if (s->n_distinct_clause == 1 &&
        s->distinct_clause[0]->node_case == PG_QUERY__NODE__NODE__NOT_SET) { /* {NIL}: DISTINCT */
        sel->distinct = true;
    } else if (s->n_distinct_clause > 0) {
        sel->distinct = true;
        S_OK_OR_RETURN(pz__ab_exprs(b, s->distinct_clause, s->n_distinct_clause, &sel->distinct_on,
                                    &sel->n_distinct_on));
    }
    S_OK_OR_RETURN(
        pz__ab_targets(b, s->target_list, s->n_target_list, &sel->targets, &sel->n_targets));
    S_OK_OR_RETURN(pz__ab_from_list(b, s->from_clause, s->n_from_clause, &sel->from, &sel->n_from));
    if (s->where_clause != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, s->where_clause, &sel->where));
    }
    S_OK_OR_RETURN(s_group_by(b, s, sel));
    if (s->having_clause != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, s->having_clause, &sel->having));
    }
    return s_windows(b, s, sel);
}

static int s_select(pz__ab_t *b, const PgQuery__SelectStmt *s, pz_ast_select_t **out)
{
    pz_ast_select_t *sel = pz__ab_alloc(b, sizeof *sel);
    if (sel == NULL) {
        return PZ_ENOMEM;
    }
    *out = sel;
    if (s->into_clause != NULL) {
        return pz__ab_refuse(b, -1, "SELECT INTO is not supported");
    }
    if (s->with_clause != NULL) {
        S_OK_OR_RETURN(s_with(b, s->with_clause, sel));
    }
    switch (s->op) {
    case PG_QUERY__SET_OPERATION__SETOP_UNION:
    case PG_QUERY__SET_OPERATION__SETOP_INTERSECT:
    case PG_QUERY__SET_OPERATION__SETOP_EXCEPT:
        sel->setop = s->op == PG_QUERY__SET_OPERATION__SETOP_UNION       ? PZ_SETOP_UNION
                     : s->op == PG_QUERY__SET_OPERATION__SETOP_INTERSECT ? PZ_SETOP_INTERSECT
                                                                         : PZ_SETOP_EXCEPT;
        sel->setop_all = s->all;
        if (s->larg == NULL || s->rarg == NULL) {
            return pz__ab_fail(b, "XX000", -1, "malformed set operation");
        }
        S_OK_OR_RETURN(s_select(b, s->larg, &sel->larg));
        S_OK_OR_RETURN(s_select(b, s->rarg, &sel->rarg));
        break;
    default:
        if (s->n_values_lists > 0) {
            S_OK_OR_RETURN(s_values(b, s, sel));
        } else {
            S_OK_OR_RETURN(s_plain(b, s, sel));
        }
    }
    S_OK_OR_RETURN(
        pz__ab_sort_list(b, s->sort_clause, s->n_sort_clause, &sel->order_by, &sel->n_order_by));
    if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES) {
        return pz__ab_refuse(b, -1, "FETCH FIRST ... WITH TIES is not supported");
    }
    if (s->limit_count != NULL && !(s->limit_count->node_case == PG_QUERY__NODE__NODE_A_CONST &&
                                    s->limit_count->a_const->isnull)) { /* LIMIT ALL / NULL */
        S_OK_OR_RETURN(pz__ab_expr(b, s->limit_count, &sel->limit));
    }
    if (s->limit_offset != NULL) {
        S_OK_OR_RETURN(pz__ab_expr(b, s->limit_offset, &sel->offset));
    }
    return s_locking(b, s->locking_clause, s->n_locking_clause, sel);
}

int pz__ab_select(pz__ab_t *b, const PgQuery__Node *n, pz_ast_select_t **out)
{
    *out = NULL;
    if (n == NULL || n->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
        return pz__ab_refuse(b, -1, "%s as a query here is not supported",
                             n != NULL ? pz__sql_kind(n) : "nothing");
    }
    return s_select(b, n->select_stmt, out);
}
