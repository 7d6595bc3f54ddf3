/*
 * sql_sqlprep.c — PREPARE name [(types)] AS statement, EXECUTE name [(params)], DEALLOCATE
 * [PREPARE] name | ALL: PostgreSQL's SQL-level prepared statements, on the same machinery as the
 * extended protocol's (pz_sql_prepare, portals, the plan cache).
 *
 * The statement's text is cut from the query after PREPARE's AS (found among the tokens, never
 * inside a string) and prepared on its own, so its plan outlives the query string. EXECUTE's
 * parameters are expressions without columns, evaluated once and coerced to the parameter types
 * as PostgreSQL's EXECUTE does (assignment casts). The names are the connection's own, apart from
 * the protocol's statement names (PostgreSQL shares one namespace; clients do not mix them).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pg_query/pg_query.pb-c.h>

#include "phantomzero/errors.h"
#include "sql_bind.h"
#include "sql_conn.h"
#include "sql_copy.h"
#include "sql_parse.h"
#include "sql_sqlprep.h"

/* SQL-level prepared statements per connection: PostgreSQL has no bound; a client preparing
 * more than this without DEALLOCATE is leaking them. */
#define S_PREPS_MAX 1024
/* Tokens scanned to find PREPARE's AS: the statement's own tokens come after it. */
#define S_TOKENS_MAX 4096

typedef struct s_prep {
    char *name;
    pz_sql_prep_t *prep;
    struct s_prep *next;
} s_prep_t;

struct pz_sqlpreps {
    s_prep_t *head;
    int n;
};

void pz_sqlpreps_free(pz_sqlpreps_t **ps)
{
    if (ps == NULL || *ps == NULL) {
        return;
    }
    for (s_prep_t *p = (*ps)->head, *next; p != NULL; p = next) {
        next = p->next;
        pz_sql_prep_free(&p->prep);
        free(p->name);
        free(p);
    }
    free(*ps);
    *ps = NULL;
}

static s_prep_t **s_find(pz_sqlpreps_t *ps, const char *name)
{
    s_prep_t **pp = &ps->head;
    while (*pp != NULL && strcmp((*pp)->name, name) != 0) {
        pp = &(*pp)->next;
    }
    return pp;
}

/* The byte offset just past PREPARE's AS in the statement [start, end) of query, or -1. */
static int s_after_as(const char *query, int start, int end)
{
    pz_sql_token_t *t = malloc(sizeof *t * S_TOKENS_MAX);
    int n = 0, at = -1, depth = 0;
    if (t == NULL || pz_sql_scan(query, t, S_TOKENS_MAX, &n) != 0) {
        free(t);
        return -1;
    }
    for (int i = 0; i < n && at < 0; i++) {
        if ((int)t[i].start < start || (int)t[i].start >= end) {
            continue;
        }
        depth += t[i].token == '(' ? 1 : t[i].token == ')' ? -1 : 0;
        if (depth == 0 && t[i].end - t[i].start == 2 &&
            strncasecmp(query + t[i].start, "as", 2) == 0) {
            at = (int)t[i].end;
        }
    }
    free(t);
    return at;
}

static int s_prepare(pz_sql_conn_t *c, pz_sqlpreps_t *ps, const pz_ast_stmt_t *s, const char *query,
                     pz_sql_err_t *err)
{
    if (*s_find(ps, s->name) != NULL) {
        return pz_sql_err_set(err, "42P05", "prepared statement \"%s\" already exists", s->name);
    }
    if (ps->n >= S_PREPS_MAX) {
        return pz_sql_err_set(err, "54000", "too many prepared statements");
    }
    int end = s->length > 0 ? s->location + s->length : (int)strlen(query);
    int at = s_after_as(query, s->location, end);
    uint32_t oids[PZ_SQL_PREP_TYPES_MAX];
    if (at < 0 || s->n_prep_types > PZ_SQL_PREP_TYPES_MAX) {
        return pz_sql_err_set(err, at < 0 ? "42601" : "54000",
                              at < 0 ? "PREPARE needs AS and a statement"
                                     : "too many parameter types");
    }
    for (int i = 0; i < s->n_prep_types; i++) {
        const pz_ast_type_t *ty = &s->prep_types[i];
        pz_sql_type_t t;
        int rc = pz_ty_from_name(ty->name, ty->mods, ty->n_mods, ty->array, &t, err);
        if (rc != 0) {
            return rc;
        }
        oids[i] = pz_ty_oid(t);
    }
    char *text = strndup(query + at, (size_t)(end - at));
    s_prep_t *e = calloc(1, sizeof *e);
    int rc = text && e && (e->name = strdup(s->name)) ? 0 : PZ_ENOMEM;
    rc = rc ? pz_sql_err_set(err, "53200", "out of memory")
            : pz_sql_prepare(c, text, oids, s->n_prep_types, &e->prep, err);
    free(text);
    if (rc != 0) {
        if (e != NULL) {
            free(e->name);
            free(e);
        }
        return rc;
    }
    e->next = ps->head;
    ps->head = e;
    ps->n++;
    return 0;
}

typedef struct {
    pz_sql_conn_t *c;
    const pz_ast_stmt_t *s;
    pz_sql_prep_t *prep;
    const pz_sql_sink_t *sink;
    pz_sql_err_t *err;
} s_exec_t;

/* Inside a statement context (pz__sql_conn_with_stmt): the parameters evaluated, then the
 * prepared statement run through a portal, its rows described and streamed. */
static int s_execute_in(void *ctx, pz_binder_t *b)
{
    s_exec_t *x = ctx;
    const pz_sql_type_t *types;
    const pz_sql_col_t *cols;
    int n_types, n_cols;
    pz_sql_prep_describe(x->prep, &types, &n_types, &cols, &n_cols);
    if (x->s->n_exec_params != n_types) {
        pz_sql_err_set(x->err, "42601", "wrong number of parameters for prepared statement \"%s\"",
                       x->s->name);
        pz_sql_err_detail(x->err, "Expected %d parameters but got %d.", n_types,
                          x->s->n_exec_params);
        return PZ_EINVAL;
    }
    pz_datum_t *vals = pz_ex_alloc(b->ex, sizeof *vals * (size_t)(n_types + 1));
    int rc = vals ? 0 : PZ_ENOMEM;
    for (int i = 0; rc == 0 && i < n_types; i++) {
        pz_bx_t *e = NULL;
        rc = pz_bind_expr_noscope(b, x->s->exec_params[i], &e);
        rc = rc ? rc : pz_bind_coerce(b, e, types[i], PZ_CAST_ASSIGN, NULL, &e);
        rc = rc ? rc : pz_bx_eval(b->ex, e, NULL, &vals[i]);
    }
    pz_sql_portal_t *po = NULL;
    rc = rc ? rc : pz_sql_bind_portal(x->c, x->prep, vals, n_types, &po, x->err);
    if (rc == 0 && n_cols > 0) {
        rc = x->sink->columns(x->sink->ctx, cols, n_cols);
    }
    bool suspended;
    rc = rc ? rc : pz_sql_portal_run(x->c, po, 0, x->sink, &suspended, x->err);
    pz_sql_portal_free(&po);
    return rc;
}

int pz_sqlprep_run(pz_sql_conn_t *c, pz_sqlpreps_t **ps, const pz_ast_stmt_t *s, const char *query,
                   const pz_sql_sink_t *sink, pz_sql_err_t *err, char *tag, bool *completed)
{
    assert(c != NULL && ps != NULL && s != NULL && sink != NULL && err != NULL);
    *completed = false;
    if (*ps == NULL && (*ps = calloc(1, sizeof **ps)) == NULL) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    if (s->kind == PZ_AS_PREPARE) {
        snprintf(tag, 64, "PREPARE");
        return s_prepare(c, *ps, s, query, err);
    }
    if (s->kind == PZ_AS_DEALLOCATE) {
        snprintf(tag, 64, "DEALLOCATE%s", s->name ? "" : " ALL");
        if (s->name == NULL) {
            pz_sqlpreps_free(ps);
            return 0;
        }
        s_prep_t **pp = s_find(*ps, s->name);
        if (*pp == NULL) {
            return pz_sql_err_set(err, "26000", "prepared statement \"%s\" does not exist",
                                  s->name);
        }
        s_prep_t *e = *pp;
        *pp = e->next;
        (*ps)->n--;
        pz_sql_prep_free(&e->prep);
        free(e->name);
        free(e);
        return 0;
    }
    assert(s->kind == PZ_AS_EXECUTE);
    s_prep_t *e = *s_find(*ps, s->name);
    if (e == NULL) {
        return pz_sql_err_set(err, "26000", "prepared statement \"%s\" does not exist", s->name);
    }
    s_exec_t x = {.c = c, .s = s, .prep = e->prep, .sink = sink, .err = err};
    *completed = true; /* the portal sends its own CommandComplete */
    return pz__sql_conn_with_stmt(c, s_execute_in, &x, err);
}
