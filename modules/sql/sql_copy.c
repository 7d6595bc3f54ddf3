/*
 * sql_copy.c — running COPY FROM STDIN and COPY TO STDOUT (text and CSV) over the engine.
 *
 * COPY FROM: the target columns are resolved once; the data comes from the protocol layer
 * (sink->copy_read) in CopyData payloads cut anywhere, goes through the incremental reader
 * (sql_copy_fmt.c), and each field is converted with the column type's input function. Rows
 * gather into chunks (S_CHUNK_ROWS_MAX rows or S_CHUNK_BYTES_MAX bytes, fewer when the table
 * has many indexes so one chunk stays one KV batch); each chunk is written as one INSERT: the
 * statement `INSERT INTO t (cols) VALUES ($1, ...)` is bound in a fresh statement context, its
 * one VALUES row is repeated for every row of the chunk with the parameters replaced by the
 * parsed values, and the INSERT node writes them as one atomic KV batch. So column defaults
 * (serial / nextval included), NOT NULL, CHECK and unique constraints apply exactly as for
 * INSERT.
 *
 * LIMITATION (until multi-statement transactions exist): PostgreSQL's COPY is atomic; ours is
 * atomic per chunk only. When a row fails, the chunks before it are already committed. The rows
 * of the failing chunk are then retried one by one to find the failing line (so the rows before
 * it in that chunk are committed too), and the error's DETAIL says how many rows before that
 * line were committed. An error before any row was committed is exactly PostgreSQL's.
 *
 * Errors carry PostgreSQL's CONTEXT ("COPY t, line 3, column b: \"x\""), with the same shapes:
 * the column and value for a conversion error, the line for a format or constraint error, the
 * line number alone for a unique violation and for line-end / end-marker errors.
 *
 * COPY TO: a table (all visible columns or a list) is read as `SELECT cols FROM t`; a query as
 * itself. Rows stream out as CopyData as the executor yields them, one message per row, with
 * the text or CSV escaping of sql_copy_fmt.c over pz_datum_to_text.
 *
 * Binary format: refused (0A000) by the statement translator.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_copy.h"
#include "sql_limits.h"

/* Rows per chunk: large enough that one KV batch per chunk amortizes its round trip and
 * replication, small enough that a chunk's statement arena stays a few MB. */
#define S_CHUNK_ROWS_MAX 10000
/* Input bytes per chunk: a few wide rows make a chunk too. */
#define S_CHUNK_BYTES_MAX (8u * 1024u * 1024u)

typedef struct {
    pz_sql_conn_t *c;
    const pz_ast_stmt_t *s;
    const pz_sql_sink_t *sink;
    pz_sql_err_t *err;
    pz_copy_opts_t o;
    pz_copy_rd_t rd;
    const char *relname;
    pz_arena_t *ast_arena; /* the INSERT statement, for the whole COPY */
    pz_ast_stmt_t *ins;
    int n_target;
    pz_sql_type_t *types; /* of the target columns */
    const char **names;
    int chunk_rows_max;
    /* the chunk being gathered */
    pz_arena_t *chunk;
    pz_datum_t **rows;
    uint64_t *linenos;
    pz_view_t *lines;
    int n_rows, cap_rows;
    size_t chunk_bytes;
    int from, to; /* rows of the chunk the next run writes */
    /* Constant nodes and row arrays for the VALUES rows, allocated once for the whole COPY and
     * refilled per chunk: fresh allocations per row were a fifth of the load time (page
     * faults on new arena chunks). */
    pz_bx_t *pool;
    pz_bx_t **pool_rows;
    uint64_t done; /* rows committed */
} s_copy_t;

/* ---- names and SQL text --------------------------------------------------------------------- */

static void s_ident(pz_sbuf_t *b, const char *name)
{
    pz_sbuf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') {
            pz_sbuf_putc(b, '"');
        }
        pz_sbuf_putc(b, *p);
    }
    pz_sbuf_putc(b, '"');
}

static void s_relname(pz_sbuf_t *b, const pz_ast_stmt_t *s)
{
    if (s->rel.schema != NULL) {
        s_ident(b, s->rel.schema);
        pz_sbuf_putc(b, '.');
    }
    s_ident(b, s->rel.name);
}

/* The target columns of COPY t (cols): indexes into the table's columns (all visible ones
 * without a list), with PostgreSQL's errors for unknown and repeated names. */
static int s_columns(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_cat_desc_t *d, int *out,
                     int *n)
{
    *n = 0;
    if (s->n_cols == 0) {
        for (uint32_t i = 0; i < d->cols_len; i++) {
            if (!d->cols[i].hidden) {
                out[(*n)++] = (int)i;
            }
        }
        return 0;
    }
    for (int k = 0; k < s->n_cols; k++) {
        int found = -1;
        for (uint32_t i = 0; i < d->cols_len && found < 0; i++) {
            if (!d->cols[i].hidden && pz_cat_name_eq(d->cols[i].name, s->cols[k])) {
                found = (int)i;
            }
        }
        if (found < 0) {
            return pz_sql_err_set(b->ex->err, "42703",
                                  "column \"%s\" of relation \"%s\" does not exist", s->cols[k],
                                  s->rel.name);
        }
        for (int j = 0; j < *n; j++) {
            if (out[j] == found) {
                return pz_sql_err_set(b->ex->err, "42701", "column \"%s\" specified more than once",
                                      s->cols[k]);
            }
        }
        out[(*n)++] = found;
    }
    return 0;
}

/* The table of COPY t: a table (not a view or sequence, with PostgreSQL's messages). */
static int s_table(pz_binder_t *b, const pz_ast_stmt_t *s, pz_cat_entry_t **t)
{
    int rc = pz_bind_relation(b, s->rel.schema, s->rel.name, s->rel.location, t);
    if (rc != 0) {
        b->ex->err->position = 0;
        return rc;
    }
    const char *to = s->copy_from ? "to" : "from";
    if ((*t)->d.kind == PZ_CAT_VIEW) {
        pz_sql_err_set(b->ex->err, "42809", "cannot copy %s view \"%s\"", to, s->rel.name);
        pz_sql_err_hint(b->ex->err, s->copy_from ? "To enable copying to a view, provide an "
                                                   "INSTEAD OF INSERT trigger."
                                                 : "Try the COPY (SELECT ...) TO variant.");
        return PZ_EINVAL;
    }
    if ((*t)->d.kind != PZ_CAT_TABLE) {
        return pz_sql_err_set(b->ex->err, "42809", "cannot copy %s sequence \"%s\"", to,
                              s->rel.name);
    }
    return 0;
}

/* Parses generated SQL text into one statement in arena a. */
static int s_parse(pz_arena_t *a, const pz_sbuf_t *text, pz_ast_stmt_t **out, pz_sql_err_t *err)
{
    if (text->oom) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    pz_ast_stmt_t **stmts = NULL;
    int n = 0;
    int rc = pz_ast_build(a, text->p, NULL, &stmts, &n, err);
    if (rc != 0) {
        return rc;
    }
    assert(n == 1);
    *out = stmts[0];
    return 0;
}

/* ---- error context -------------------------------------------------------------------------- */

static void s_context(s_copy_t *cp, uint64_t lineno, const char *col, const char *p, size_t n)
{
    pz_sql_err_t *err = cp->err;
    pz_sbuf_t b = {0};
    pz_sbuf_printf(&b, "COPY %s, line %llu", cp->relname, (unsigned long long)lineno);
    if (col != NULL) {
        pz_sbuf_printf(&b, ", column %s", col);
    }
    if (p != NULL) {
        pz_sbuf_puts(&b, ": \"");
        pz_copy_display(&b, p, n);
        pz_sbuf_putc(&b, '"');
    }
    snprintf(err->context, sizeof err->context, "%s", b.p && !b.oom ? b.p : "COPY");
    pz_sbuf_free(&b);
}

/* After a failure with rows already committed: say so (see the top comment). */
static void s_committed_note(s_copy_t *cp, uint64_t lineno)
{
    pz_sql_err_t *err = cp->err;
    if (cp->done == 0 || !pz_sql_err_is_set(err)) {
        return;
    }
    size_t len = strlen(err->detail);
    snprintf(err->detail + len, sizeof err->detail - len,
             "%s%llu row%s before line %llu %s already committed: until transactions exist, "
             "COPY commits its rows in chunks.",
             len ? " " : "", (unsigned long long)cp->done, cp->done == 1 ? "" : "s",
             (unsigned long long)lineno, cp->done == 1 ? "was" : "were");
}

/* ---- COPY FROM: one chunk ------------------------------------------------------------------- */

static bool s_has_param(const pz_bx_t *x)
{
    if (x->kind == PZ_BX_PARAM) {
        return true;
    }
    for (int i = 0; i < x->n_args; i++) {
        if (x->args[i] != NULL && s_has_param(x->args[i])) {
            return true;
        }
    }
    return false;
}

/* x with its parameters replaced by constants from vals (nodes copied only along paths that
 * hold a parameter; a default expression is shared as it is). */
static pz_bx_t *s_subst(pz_ex_t *ex, pz_bx_t *x, const pz_datum_t *vals)
{
    if (!s_has_param(x)) {
        return x;
    }
    pz_bx_t *k = pz_ex_alloc(ex, sizeof *k);
    if (k == NULL) {
        return NULL;
    }
    *k = *x;
    if (x->kind == PZ_BX_PARAM) {
        k->kind = PZ_BX_CONST;
        k->val = vals[x->idx];
        return k;
    }
    k->args = pz_ex_alloc(ex, sizeof *k->args * (size_t)(x->n_args + 1));
    if (k->args == NULL) {
        return NULL;
    }
    for (int i = 0; i < x->n_args; i++) {
        k->args[i] = x->args[i] ? s_subst(ex, x->args[i], vals) : NULL;
        if (x->args[i] != NULL && k->args[i] == NULL) {
            return NULL;
        }
    }
    return k;
}

/* In a fresh statement context: binds the INSERT, gives its VALUES node the rows [from, to)
 * of the chunk, and runs it (one KV batch). */
static int s_chunk_run(void *ctx, pz_binder_t *b)
{
    s_copy_t *cp = ctx;
    pz_ex_t *ex = b->ex;
    b->params = calloc((size_t)cp->n_target + 1, sizeof *b->params);
    if (b->params == NULL) {
        return pz_sql_err_set(cp->err, "53200", "out of memory");
    }
    memcpy(b->params, cp->types, sizeof *b->params * (size_t)cp->n_target);
    b->n_params = b->params_cap = cp->n_target;
    b->params_fixed = true;
    pz_pn_t *plan = NULL;
    int rc = pz_bind_stmt(b, cp->ins, &plan);
    if (rc != 0) {
        return rc;
    }
    pz_pn_t *v = plan->left;
    assert(plan->kind == PZ_PN_INSERT && v != NULL && v->kind == PZ_PN_VALUES && v->n_rows == 1);
    pz_bx_t **tmpl = v->rows[0];
    int n = cp->to - cp->from, nc = v->n_cols;
    if (cp->pool == NULL) {
        cp->pool = calloc((size_t)cp->chunk_rows_max * (size_t)cp->n_target + 1, sizeof *cp->pool);
        cp->pool_rows = calloc((size_t)cp->chunk_rows_max * (size_t)(nc + 1), sizeof(pz_bx_t *));
        if (cp->pool == NULL || cp->pool_rows == NULL) {
            return pz_sql_err_set(cp->err, "53200", "out of memory");
        }
    }
    v->rows = pz_ex_alloc(ex, sizeof *v->rows * (size_t)n);
    for (int r = 0; v->rows != NULL && r < n; r++) {
        pz_bx_t **row = &cp->pool_rows[(size_t)r * (size_t)(nc + 1)];
        const pz_datum_t *vals = cp->rows[cp->from + r];
        for (int c = 0; c < nc; c++) {
            if (tmpl[c]->kind == PZ_BX_PARAM) { /* the common case: the value itself */
                pz_bx_t *k = &cp->pool[(size_t)r * (size_t)cp->n_target + (size_t)tmpl[c]->idx];
                *k = *tmpl[c];
                k->kind = PZ_BX_CONST;
                k->val = vals[tmpl[c]->idx];
                row[c] = k;
            } else if ((row[c] = s_subst(ex, tmpl[c], vals)) == NULL) {
                return PZ_ENOMEM;
            }
        }
        v->rows[r] = row;
    }
    if (v->rows == NULL) {
        return PZ_ENOMEM;
    }
    v->n_rows = n;
    rc = pz_pn_open(ex, plan);
    pz_datum_t *out;
    while (rc == 0 && (rc = pz_pn_next(ex, plan, &out)) == 1) {
    }
    if (rc == 0) {
        cp->done += plan->dml->count;
    }
    pz_pn_close(ex, plan);
    return rc;
}

static void s_chunk_reset(s_copy_t *cp)
{
    pz_arena_destroy(&cp->chunk);
    cp->n_rows = cp->cap_rows = 0;
    cp->rows = NULL;
    cp->linenos = NULL;
    cp->lines = NULL;
    cp->chunk_bytes = 0;
}

/* A failure worth locating row by row: bad data or a constraint, not a lost node or a cancel. */
static bool s_row_error(const pz_sql_err_t *err)
{
    return strncmp(err->sqlstate, "22", 2) == 0 || strncmp(err->sqlstate, "23", 2) == 0;
}

/* Writes the gathered rows: one batch, or on a data error row by row to find the line. */
static int s_flush(s_copy_t *cp)
{
    if (cp->n_rows == 0) {
        return 0;
    }
    cp->from = 0;
    cp->to = cp->n_rows;
    int rc = pz__sql_conn_with_stmt(cp->c, s_chunk_run, cp, cp->err);
    if (rc != 0 && cp->n_rows > 1 && s_row_error(cp->err)) {
        for (int i = 0; i < cp->n_rows; i++) {
            pz_sql_err_clear(cp->err);
            cp->from = i;
            cp->to = i + 1;
            if ((rc = pz__sql_conn_with_stmt(cp->c, s_chunk_run, cp, cp->err)) != 0) {
                break;
            }
        }
    }
    if (rc != 0 && pz_sql_err_is_set(cp->err)) {
        int i = cp->from;
        cp->err->position = 0;
        bool unique = strcmp(cp->err->sqlstate, "23505") == 0;
        if (s_row_error(cp->err)) {
            s_context(cp, cp->linenos[i], NULL, unique ? NULL : (const char *)cp->lines[i].ptr,
                      cp->lines[i].len);
        }
        s_committed_note(cp, cp->linenos[i]);
    }
    s_chunk_reset(cp);
    return rc;
}

/* ---- COPY FROM: rows ------------------------------------------------------------------------ */

static int s_chunk_grow(s_copy_t *cp)
{
    if (cp->chunk == NULL && (cp->chunk = pz_arena_new()) == NULL) {
        return pz_sql_err_set(cp->err, "53200", "out of memory");
    }
    if (cp->n_rows < cp->cap_rows) {
        return 0;
    }
    int cap = cp->cap_rows ? cp->cap_rows * 2 : 256;
    cap = cap > cp->chunk_rows_max ? cp->chunk_rows_max : cap;
    pz_datum_t **rows = pz_arena_alloc(cp->chunk, sizeof *rows * (size_t)cap);
    uint64_t *ln = pz_arena_alloc(cp->chunk, sizeof *ln * (size_t)cap);
    pz_view_t *lines = pz_arena_alloc(cp->chunk, sizeof *lines * (size_t)cap);
    if (rows == NULL || ln == NULL || lines == NULL) {
        return pz_sql_err_set(cp->err, "53200", "out of memory");
    }
    if (cp->n_rows > 0) {
        memcpy(rows, cp->rows, sizeof *rows * (size_t)cp->n_rows);
        memcpy(ln, cp->linenos, sizeof *ln * (size_t)cp->n_rows);
        memcpy(lines, cp->lines, sizeof *lines * (size_t)cp->n_rows);
    }
    cp->rows = rows;
    cp->linenos = ln;
    cp->lines = lines;
    cp->cap_rows = cap;
    return 0;
}

/* The reader's current row into the chunk: field count checked, each field converted. */
static int s_add_row(s_copy_t *cp)
{
    pz_copy_rd_t *rd = &cp->rd;
    if (rd->n_fields != cp->n_target) {
        if (rd->n_fields > cp->n_target) {
            pz_sql_err_set(cp->err, "22P04", "extra data after last expected column");
        } else {
            pz_sql_err_set(cp->err, "22P04", "missing data for column \"%s\"",
                           cp->names[rd->n_fields]);
        }
        s_context(cp, rd->lineno, NULL, rd->line, rd->line_len);
        return PZ_EINVAL;
    }
    int rc = s_chunk_grow(cp);
    pz_datum_t *row =
        rc ? NULL : pz_arena_alloc(cp->chunk, sizeof *row * (size_t)(cp->n_target + 1));
    pz_view_t line = pz_arena_dup(cp->chunk, rd->line, rd->line_len);
    if (rc != 0 || row == NULL || (line.ptr == NULL && rd->line_len > 0)) {
        return rc ? rc : pz_sql_err_set(cp->err, "53200", "out of memory");
    }
    const pz_sql_tyenv_t *env = pz_sql_conn_env(cp->c);
    for (int i = 0; i < cp->n_target; i++) {
        const pz_copy_field_t *f = &rd->fields[i];
        if (f->null) {
            row[i] = pz_datum_null(cp->types[i].id);
            continue;
        }
        if ((rc = pz_datum_from_text(cp->chunk, env, cp->types[i], f->p, f->len, &row[i],
                                     cp->err)) != 0) {
            s_context(cp, rd->lineno, cp->names[i], f->p, f->len);
            s_committed_note(cp, rd->lineno);
            return rc;
        }
    }
    cp->rows[cp->n_rows] = row;
    cp->linenos[cp->n_rows] = rd->lineno;
    cp->lines[cp->n_rows] = line;
    cp->n_rows++;
    cp->chunk_bytes += rd->line_len + 16;
    if (cp->n_rows >= cp->chunk_rows_max || cp->chunk_bytes >= S_CHUNK_BYTES_MAX) {
        return s_flush(cp);
    }
    return 0;
}

/* Every complete row the reader has. */
static int s_drain(s_copy_t *cp)
{
    for (;;) {
        bool with_line = false;
        int rc = pz_copy_rd_next(&cp->rd, cp->err, &with_line);
        if (rc == 0) {
            return 0;
        }
        if (rc < 0) {
            s_context(cp, cp->rd.lineno, NULL, with_line ? cp->rd.line : NULL, cp->rd.line_len);
            s_committed_note(cp, cp->rd.lineno);
            return rc;
        }
        if ((rc = s_add_row(cp)) != 0) {
            return rc;
        }
    }
}

/* The target: table, columns, their types, the INSERT text parsed once. */
static int s_from_setup(s_copy_t *cp, pz_binder_t *b)
{
    const pz_ast_stmt_t *s = cp->s;
    pz_cat_entry_t *t;
    int rc = s_table(b, s, &t);
    const pz_cat_desc_t *d = rc ? NULL : &t->d;
    int *cols = rc ? NULL : pz_ex_alloc(b->ex, sizeof *cols * (d->cols_len + 1));
    if (rc != 0 || cols == NULL) {
        return rc ? rc : PZ_ENOMEM;
    }
    if ((rc = s_columns(b, s, d, cols, &cp->n_target)) != 0) {
        return rc;
    }
    cp->types = pz_ex_alloc(b->ex, sizeof *cp->types * (size_t)(cp->n_target + 1));
    cp->names = pz_ex_alloc(b->ex, sizeof *cp->names * (size_t)(cp->n_target + 1));
    if (cp->types == NULL || cp->names == NULL) {
        return PZ_ENOMEM;
    }
    pz_sbuf_t q = {0};
    pz_sbuf_puts(&q, "INSERT INTO ");
    s_relname(&q, s);
    pz_sbuf_puts(&q, " (");
    for (int i = 0; i < cp->n_target; i++) {
        const pz_cat_col_t *col = &d->cols[cols[i]];
        cp->types[i] = pz_cat_col_type(col);
        pz_view_t nm = pz_arena_dup(b->ex->arena, col->name.ptr, col->name.len + 1);
        if (nm.ptr == NULL) {
            pz_sbuf_free(&q);
            return PZ_ENOMEM;
        }
        ((char *)nm.ptr)[col->name.len] = '\0';
        cp->names[i] = (const char *)nm.ptr;
        pz_sbuf_puts(&q, i ? ", " : "");
        s_ident(&q, cp->names[i]);
    }
    pz_sbuf_puts(&q, ") VALUES (");
    for (int i = 0; i < cp->n_target; i++) {
        pz_sbuf_printf(&q, "%s$%d", i ? ", " : "", i + 1);
    }
    pz_sbuf_putc(&q, ')');
    rc = s_parse(cp->ast_arena, &q, &cp->ins, cp->err);
    pz_sbuf_free(&q);
    /* One chunk must stay one batch: a row is one request per index. */
    int per_row = (int)d->indexes_len > 0 ? (int)d->indexes_len : 1;
    cp->chunk_rows_max = PZ_BATCH_REQS_MAX / per_row / 2;
    cp->chunk_rows_max = cp->chunk_rows_max > S_CHUNK_ROWS_MAX ? S_CHUNK_ROWS_MAX
                         : cp->chunk_rows_max < 1              ? 1
                                                               : cp->chunk_rows_max;
    return rc;
}

static int s_copy_from(s_copy_t *cp, pz_binder_t *b, char *tag)
{
    if ((cp->ast_arena = pz_arena_new()) == NULL) {
        return pz_sql_err_set(cp->err, "53200", "out of memory");
    }
    int rc = s_from_setup(cp, b);
    rc = rc ? rc : cp->sink->copy_start(cp->sink->ctx, true, cp->n_target);
    pz_copy_rd_init(&cp->rd, &cp->o);
    while (rc == 0) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int got = cp->sink->copy_read(cp->sink->ctx, &p, &n, cp->err);
        if (got < 0) {
            rc = got;
            if (pz_sql_err_is_set(cp->err)) {
                s_context(cp, cp->rd.lineno + 1, NULL, NULL, 0);
                s_committed_note(cp, cp->rd.lineno + 1);
            }
            break;
        }
        if (got == 1 && pz_copy_rd_push(&cp->rd, p, n) != 0) {
            rc = pz_sql_err_set(cp->err, "53200", "out of memory");
            break;
        }
        if (got == 0) {
            pz_copy_rd_finish(&cp->rd);
        }
        rc = s_drain(cp);
        if (rc == 0 && got == 0) {
            rc = s_flush(cp);
            break;
        }
    }
    if (rc == 0) {
        snprintf(tag, 64, "COPY %llu", (unsigned long long)cp->done);
    }
    pz_copy_rd_free(&cp->rd);
    s_chunk_reset(cp);
    free(cp->pool);
    free(cp->pool_rows);
    pz_arena_destroy(&cp->ast_arena);
    return rc;
}

/* ---- COPY TO -------------------------------------------------------------------------------- */

/* The plan whose rows COPY TO sends: the query, or SELECT cols FROM t. */
static int s_to_plan(s_copy_t *cp, pz_binder_t *b, pz_pn_t **plan)
{
    const pz_ast_stmt_t *s = cp->s;
    if (s->copy_query != NULL) {
        pz_ast_stmt_t *q = pz_ex_alloc(b->ex, sizeof *q);
        if (q == NULL) {
            return PZ_ENOMEM;
        }
        *q = *s;
        q->kind = PZ_AS_SELECT;
        q->select = s->copy_query;
        return pz_bind_stmt(b, q, plan);
    }
    pz_cat_entry_t *t;
    int rc = s_table(b, s, &t);
    const pz_cat_desc_t *d = rc ? NULL : &t->d;
    int *cols = rc ? NULL : pz_ex_alloc(b->ex, sizeof *cols * (d->cols_len + 1));
    int n = 0;
    if (rc != 0 || cols == NULL || (rc = s_columns(b, s, d, cols, &n)) != 0) {
        return rc ? rc : PZ_ENOMEM;
    }
    pz_sbuf_t q = {0};
    pz_sbuf_puts(&q, "SELECT ");
    for (int i = 0; i < n; i++) {
        const pz_view_t nm = d->cols[cols[i]].name;
        char name[PZ_SQL_NAME_BYTES_MAX];
        snprintf(name, sizeof name, "%.*s", (int)nm.len, (const char *)nm.ptr);
        pz_sbuf_puts(&q, i ? ", " : "");
        s_ident(&q, name);
    }
    pz_sbuf_puts(&q, " FROM ");
    s_relname(&q, s);
    pz_ast_stmt_t *sel = NULL;
    rc = s_parse(b->ex->arena, &q, &sel, cp->err);
    pz_sbuf_free(&q);
    return rc ? rc : pz_bind_stmt(b, sel, plan);
}

/* One row as one CopyData message. */
static int s_send_row(s_copy_t *cp, const pz_datum_t *row, int n, pz_sbuf_t *line, pz_sbuf_t *val)
{
    const pz_sql_tyenv_t *env = pz_sql_conn_env(cp->c);
    pz_sbuf_reset(line);
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            pz_sbuf_putc(line, cp->o.delim);
        }
        if (row[i].null) {
            pz_copy_put_field(&cp->o, line, NULL, 0, true, n == 1);
            continue;
        }
        pz_sbuf_reset(val);
        pz_datum_to_text(env, &row[i], val);
        pz_copy_put_field(&cp->o, line, val->p ? val->p : "", val->len, false, n == 1);
    }
    pz_sbuf_putc(line, '\n');
    if (line->oom || val->oom) {
        return pz_sql_err_set(cp->err, "53200", "out of memory");
    }
    return cp->sink->copy_write(cp->sink->ctx, line->p, line->len);
}

static int s_copy_to(s_copy_t *cp, pz_binder_t *b, char *tag)
{
    pz_ex_t *ex = b->ex;
    pz_pn_t *plan = NULL;
    int rc = s_to_plan(cp, b, &plan);
    if (rc != 0) {
        ex->err->position = 0;
        return rc;
    }
    rc = pz_pn_open(ex, plan);
    rc = rc ? rc : cp->sink->copy_start(cp->sink->ctx, false, plan->n_cols);
    pz_sbuf_t line = {0}, val = {0};
    if (rc == 0 && cp->o.header) {
        pz_copy_put_header(&cp->o, &line, plan->names, plan->n_cols);
        rc = line.oom ? pz_sql_err_set(cp->err, "53200", "out of memory")
                      : cp->sink->copy_write(cp->sink->ctx, line.p, line.len);
    }
    bool reset_ok = !pz_pn_holds_rows(plan);
    uint64_t n = 0;
    pz_datum_t *row;
    while (rc == 0 && (rc = pz_pn_next(ex, plan, &row)) == 1) {
        rc = s_send_row(cp, row, plan->n_cols, &line, &val);
        n++;
        if (rc == 0 && reset_ok) {
            rc = pz_ex_tmp_reset(ex);
        }
    }
    pz_sbuf_free(&line);
    pz_sbuf_free(&val);
    pz_pn_close(ex, plan);
    rc = rc ? rc : cp->sink->copy_done(cp->sink->ctx);
    if (rc == 0) {
        snprintf(tag, 64, "COPY %llu", (unsigned long long)n);
    }
    return rc;
}

int pz__sql_copy(pz_sql_conn_t *c, pz_binder_t *b, const pz_ast_stmt_t *s,
                 const pz_sql_sink_t *sink, char *tag)
{
    assert(c != NULL && b != NULL && s != NULL && s->kind == PZ_AS_COPY && sink != NULL);
    s_copy_t cp = {.c = c, .s = s, .sink = sink, .err = b->ex->err};
    cp.relname = s->copy_query ? "" : s->rel.name;
    if (sink->copy_start == NULL) {
        return pz_sql_err_set(cp.err, "0A000", "COPY %s is not supported on this connection",
                              s->copy_from ? "FROM STDIN" : "TO STDOUT");
    }
    int rc = pz_copy_opts(s, &cp.o, cp.err);
    if (rc != 0) {
        return rc;
    }
    return s->copy_from ? s_copy_from(&cp, b, tag) : s_copy_to(&cp, b, tag);
}
