/*
 * session_sql.c — a session's statements: the simple Query message and the extended protocol
 * (Parse, Bind, Describe, Execute, Close), and the encoding of results: RowDescription,
 * DataRow (text or binary per column), CommandComplete, NoticeResponse, ParameterStatus.
 *
 * Extended-protocol errors put the session in skip-to-Sync mode (session.c discards messages
 * until Sync), as PostgreSQL does.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_int.h"

/* ---- result encoding ------------------------------------------------------------------------ */

static void s_u16(pz_sbuf_t *b, uint16_t v)
{
    uint16_t be = htons(v);
    pz_sbuf_put(b, &be, 2);
}

static void s_u32(pz_sbuf_t *b, uint32_t v)
{
    uint32_t be = htonl(v);
    pz_sbuf_put(b, &be, 4);
}

static int16_t s_format(const s_sess_t *s, int i)
{
    if (s->n_formats == 0) {
        return 0;
    }
    return s->n_formats == 1 ? s->formats[0] : (i < s->n_formats ? s->formats[i] : 0);
}

static int s_row_desc(s_sess_t *s, const pz_sql_col_t *cols, int n)
{
    pz_sbuf_t *b = &s->msg;
    pz_sbuf_reset(b);
    s_u16(b, (uint16_t)n);
    for (int i = 0; i < n; i++) {
        pz_sbuf_puts(b, cols[i].name ? cols[i].name : "?column?");
        pz_sbuf_putc(b, '\0');
        s_u32(b, 0); /* table OID */
        s_u16(b, 0); /* column number */
        s_u32(b, pz_ty_oid(cols[i].type));
        int len = pz_ty_len(cols[i].type.id);
        s_u16(b, (uint16_t)(int16_t)(len == -2 ? -2 : len));
        s_u32(b, (uint32_t)cols[i].type.typmod);
        s_u16(b, (uint16_t)s_format(s, i));
    }
    return b->oom ? PZ_ENOMEM : pz__sess_emit(s, 'T', b->p, b->len);
}

static int s_sink_columns(void *ctx, const pz_sql_col_t *cols, int n)
{
    return s_row_desc(ctx, cols, n);
}

static int s_sink_row(void *ctx, const pz_datum_t *row, int n)
{
    s_sess_t *s = ctx;
    pz_sbuf_t *b = &s->msg;
    const pz_sql_tyenv_t *env = pz_sql_conn_env(s->conn);
    pz_sbuf_reset(b);
    s_u16(b, (uint16_t)n);
    for (int i = 0; i < n; i++) {
        if (row[i].null) {
            s_u32(b, 0xFFFFFFFFu);
            continue;
        }
        pz_sbuf_reset(&s->val);
        if (s_format(s, i) == 1) {
            pz_datum_to_binary(&row[i], &s->val);
        } else {
            pz_datum_to_text(env, &row[i], &s->val);
        }
        s_u32(b, (uint32_t)s->val.len);
        pz_sbuf_put(b, s->val.p, s->val.len);
    }
    if (b->oom || s->val.oom) {
        return PZ_ENOMEM;
    }
    return pz__sess_emit(s, 'D', b->p, b->len);
}

static int s_sink_complete(void *ctx, const char *tag)
{
    return pz__sess_emit(ctx, 'C', tag, strlen(tag) + 1);
}

static int s_sink_empty(void *ctx)
{
    return pz__sess_emit(ctx, 'I', "", 0);
}

static int s_sink_notice(void *ctx, const pz_sql_err_t *n)
{
    pz_pgw_error_t e = {.severity = strncmp(n->sqlstate, "01", 2) == 0 ? "WARNING" : "NOTICE",
                        .sqlstate = n->sqlstate,
                        .message = n->message,
                        .detail = n->detail,
                        .hint = n->hint,
                        .notice = true};
    pz__sess_put_error(ctx, &e);
    return 0;
}

static int s_sink_param(void *ctx, const char *name, const char *value)
{
    s_sess_t *s = ctx;
    pz_sbuf_reset(&s->msg);
    pz_sbuf_put(&s->msg, name, strlen(name) + 1);
    pz_sbuf_put(&s->msg, value, strlen(value) + 1);
    return s->msg.oom ? PZ_ENOMEM : pz__sess_emit(s, 'S', s->msg.p, s->msg.len);
}

static void s_sink_mark(void *ctx, pz_sql_mark_t *m)
{
    const s_sess_t *s = ctx;
    *m = (pz_sql_mark_t){.flushes = s->flushes, .len = s->out.len};
}

/* The output buffer holds a simple query's results until ReadyForQuery (or until it fills:
 * PZ_SQL_OUT_BYTES_MAX), so what is still in it has not reached the client. */
static int s_sink_rewind(void *ctx, const pz_sql_mark_t *m)
{
    s_sess_t *s = ctx;
    if (s->flushes != m->flushes || s->out.len < m->len) {
        return -1;
    }
    s->out.len = m->len;
    return 0;
}

static pz_sql_sink_t s_sink(s_sess_t *s)
{
    return (pz_sql_sink_t){.ctx = s,
                           .columns = s_sink_columns,
                           .row = s_sink_row,
                           .complete = s_sink_complete,
                           .empty = s_sink_empty,
                           .notice = s_sink_notice,
                           .param_status = s_sink_param,
                           .copy_start = pz__sess_copy_start,
                           .copy_read = pz__sess_copy_read,
                           .copy_write = pz__sess_copy_write,
                           .copy_done = pz__sess_copy_done,
                           .mark = s_sink_mark,
                           .rewind = s_sink_rewind};
}

static void s_error(s_sess_t *s, const pz_sql_err_t *err)
{
    pz_pgw_error_t e = {.severity = "ERROR",
                        .sqlstate = err->sqlstate[0] ? err->sqlstate : "XX000",
                        .message = err->message[0] ? err->message : "internal error",
                        .detail = err->detail,
                        .hint = err->hint,
                        .position = err->position,
                        .context = err->context};
    pz__sess_put_error(s, &e);
}

/* A connection lost while sending rows ends the session; an SQL error is answered. */
static int s_after(s_sess_t *s, int rc, const pz_sql_err_t *err)
{
    if (rc != 0 && (rc == PZ_EIO || rc == PZ_ECLOSED) && !pz_sql_err_is_set(err)) {
        return S_DONE;
    }
    if (rc != 0) {
        if (strcmp(err->sqlstate, "57P01") == 0) {
            return pz__sess_fatal(s, err->sqlstate, err->message);
        }
        s_error(s, err);
    }
    return 0;
}

int pz__sess_query(s_sess_t *s, const char *text)
{
    pz_sql_err_t err = {0};
    pz_sql_sink_t sink = s_sink(s);
    s->formats = NULL;
    s->n_formats = 0;
    int rc = pz_sql_conn_simple(s->conn, text, &sink, &err);
    if (s_after(s, rc, &err) == S_DONE) {
        return S_DONE;
    }
    pz__sess_ready(s);
    return pz__sess_flush(s) == 0 ? 0 : S_DONE;
}

/* ---- extended protocol ---------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
    bool bad;
} s_rd_t;

static const char *s_str(s_rd_t *r)
{
    const uint8_t *z = r->bad ? NULL : memchr(r->p, 0, (size_t)(r->end - r->p));
    if (z == NULL) {
        r->bad = true;
        return "";
    }
    const char *out = (const char *)r->p;
    r->p = z + 1;
    return out;
}

static uint32_t s_get(s_rd_t *r, int n)
{
    if (r->bad || r->end - r->p < n) {
        r->bad = true;
        return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        v = v << 8 | r->p[i];
    }
    r->p += n;
    return v;
}

static s_named_t **s_find(s_named_t **list, const char *name)
{
    for (; *list != NULL; list = &(*list)->next) {
        if (strcmp((*list)->name, name) == 0) {
            return list;
        }
    }
    return list;
}

static void s_named_free(s_sess_t *s, s_named_t **slot)
{
    s_named_t *n = *slot;
    if (n == NULL) {
        return;
    }
    *slot = n->next;
    pz_sql_prep_free(&n->prep);
    pz_sql_portal_free(&n->portal);
    free(n->formats);
    free(n->name);
    free(n);
    s->n_named--;
}

void pz__sess_sql_free(s_sess_t *s)
{
    while (s->portals) {
        s_named_free(s, &s->portals);
    }
    while (s->stmts) {
        s_named_free(s, &s->stmts);
    }
    pz_sql_conn_close(&s->conn);
    pz_sbuf_free(&s->msg);
    pz_sbuf_free(&s->val);
    pz_sbuf_free(&s->batch);
}

static int s_fail(s_sess_t *s, const pz_sql_err_t *err)
{
    s_error(s, err);
    s->skip_to_sync = true;
    pz_sql_conn_failed(s->conn, err);
    return 0;
}

static int s_proto(s_sess_t *s, const char *what)
{
    return pz__sess_fatal(s, "08P01", what);
}

static int s_parse(s_sess_t *s, s_rd_t *r)
{
    const char *name = s_str(r);
    const char *query = s_str(r);
    uint32_t n = s_get(r, 2);
    uint32_t oids[1024];
    if (n > 1024) {
        return s_proto(s, "too many parameter types in Parse");
    }
    for (uint32_t i = 0; i < n; i++) {
        oids[i] = s_get(r, 4);
    }
    if (r->bad || r->p != r->end) {
        return s_proto(s, "invalid Parse message");
    }
    s_named_t **slot = s_find(&s->stmts, name);
    if (*slot != NULL && name[0] != '\0') {
        pz_sql_err_t e = {0};
        pz_sql_err_set(&e, "42P05", "prepared statement \"%s\" already exists", name);
        return s_fail(s, &e);
    }
    if (s->n_named >= PZ_SQL_PREPARED_MAX) {
        pz_sql_err_t e = {0};
        pz_sql_err_set(&e, "54000", "too many prepared statements and portals");
        return s_fail(s, &e);
    }
    pz_sql_err_t err = {0};
    pz_sql_prep_t *prep = NULL;
    if (pz_sql_prepare(s->conn, query, oids, (int)n, &prep, &err) != 0) {
        return s_fail(s, &err);
    }
    s_named_free(s, slot);
    s_named_t *e = calloc(1, sizeof *e);
    if (e == NULL || (e->name = strdup(name)) == NULL) {
        free(e);
        pz_sql_prep_free(&prep);
        return pz__sess_fatal(s, "53200", "out of memory");
    }
    e->prep = prep;
    e->next = s->stmts;
    s->stmts = e;
    s->n_named++;
    return pz__sess_emit(s, '1', "", 0) == 0 ? 0 : S_DONE;
}

/* Bind's parameter values, each converted from its format to the parameter's type. */
static int s_params(s_sess_t *s, s_rd_t *r, const pz_sql_type_t *types, int n_types, pz_arena_t *a,
                    pz_datum_t **out, int *n_out, pz_sql_err_t *err)
{
    uint32_t nf = s_get(r, 2);
    int16_t fmts[1024];
    if (nf > 1024) {
        return PZ_EPROTO; /* the caller answers FATAL 08P01 */
    }
    for (uint32_t i = 0; i < nf; i++) {
        fmts[i] = (int16_t)s_get(r, 2);
    }
    uint32_t np = s_get(r, 2);
    if (r->bad || (nf > 1 && nf != np) || np > 65535) {
        return PZ_EPROTO;
    }
    if ((int)np != n_types) {
        pz_sql_err_set(err, "08P01",
                       "bind message supplies %u parameters, but prepared "
                       "statement requires %d",
                       np, n_types);
        return PZ_EINVAL;
    }
    pz_datum_t *v = pz_arena_alloc(a, sizeof *v * (np + 1));
    if (v == NULL) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    for (uint32_t i = 0; i < np; i++) {
        uint32_t len = s_get(r, 4);
        if (r->bad) {
            return PZ_EPROTO;
        }
        if (len == 0xFFFFFFFFu) {
            v[i] = pz_datum_null(types[i].id);
            continue;
        }
        if (len > (uint32_t)(r->end - r->p)) {
            return PZ_EPROTO;
        }
        int16_t f = nf == 0 ? 0 : nf == 1 ? fmts[0] : fmts[i];
        int rc = f == 1 ? pz_datum_from_binary(a, types[i], r->p, len, &v[i], err)
                        : pz_datum_from_text(a, pz_sql_conn_env(s->conn), types[i],
                                             (const char *)r->p, len, &v[i], err);
        if (rc != 0) {
            return rc;
        }
        r->p += len;
    }
    *out = v;
    *n_out = (int)np;
    return 0;
}

static int s_bind(s_sess_t *s, s_rd_t *r)
{
    const char *portal = s_str(r);
    const char *stmt = s_str(r);
    s_named_t *st = *s_find(&s->stmts, stmt);
    pz_sql_err_t err = {0};
    if (st == NULL) {
        pz_sql_err_set(&err, "26000", "prepared statement \"%s\" does not exist", stmt);
        return s_fail(s, &err);
    }
    const pz_sql_type_t *types;
    const pz_sql_col_t *cols;
    int n_types, n_cols;
    pz_sql_prep_describe(st->prep, &types, &n_types, &cols, &n_cols);
    pz_arena_t *a = pz_arena_new();
    pz_datum_t *params = NULL;
    int np = 0;
    int rc = a ? s_params(s, r, types, n_types, a, &params, &np, &err) : PZ_ENOMEM;
    uint32_t nrf = rc ? 0 : s_get(r, 2);
    int16_t *rf = nrf ? calloc(nrf, sizeof *rf) : NULL;
    for (uint32_t i = 0; rc == 0 && i < nrf && rf; i++) {
        rf[i] = (int16_t)s_get(r, 2);
    }
    if (rc == PZ_EPROTO || (rc == 0 && (r->bad || r->p != r->end || (nrf && rf == NULL)))) {
        free(rf);
        pz_arena_destroy(&a);
        return s_proto(s, "invalid Bind message");
    }
    for (uint32_t i = 0; rc == 0 && i < nrf; i++) {
        const pz_sql_col_t *c = nrf == 1 ? NULL : (int)i < n_cols ? &cols[i] : NULL;
        bool bad = rf[i] != 0 && rf[i] != 1;
        bad |= rf[i] == 1 && c != NULL && !pz_ty_has_binary(c->type);
        for (int k = 0; rf[i] == 1 && nrf == 1 && k < n_cols; k++) {
            bad |= !pz_ty_has_binary(cols[k].type);
        }
        if (bad) {
            rc = pz_sql_err_set(&err, "0A000",
                                "binary output format is not supported for a "
                                "result column of this statement");
        }
    }
    pz_sql_portal_t *p = NULL;
    /* A Bind replaces the portal of that name (the unnamed one each time): free it first, so
     * its statement's cached plan is free again for this Bind to reuse. */
    s_named_free(s, s_find(&s->portals, portal));
    rc = rc ? rc : pz_sql_bind_portal(s->conn, st->prep, params, np, &p, &err);
    pz_arena_destroy(&a);
    if (rc != 0) {
        free(rf);
        return s_fail(s, &err);
    }
    s_named_t *e = calloc(1, sizeof *e);
    if (e == NULL || (e->name = strdup(portal)) == NULL) {
        free(e);
        free(rf);
        pz_sql_portal_free(&p);
        return pz__sess_fatal(s, "53200", "out of memory");
    }
    e->portal = p;
    e->formats = rf;
    e->n_formats = (int)nrf;
    e->next = s->portals;
    s->portals = e;
    s->n_named++;
    return pz__sess_emit(s, '2', "", 0) == 0 ? 0 : S_DONE;
}

static int s_describe(s_sess_t *s, s_rd_t *r)
{
    uint32_t kind = s_get(r, 1);
    const char *name = s_str(r);
    if (r->bad || r->p != r->end || (kind != 'S' && kind != 'P')) {
        return s_proto(s, "invalid Describe message");
    }
    s_named_t *n = *s_find(kind == 'S' ? &s->stmts : &s->portals, name);
    if (n == NULL) {
        pz_sql_err_t err = {0};
        pz_sql_err_set(&err, kind == 'S' ? "26000" : "34000", "%s \"%s\" does not exist",
                       kind == 'S' ? "prepared statement" : "portal", name);
        return s_fail(s, &err);
    }
    const pz_sql_col_t *cols;
    int n_cols;
    s->formats = NULL;
    s->n_formats = 0;
    if (kind == 'S') {
        const pz_sql_type_t *types;
        int n_types;
        pz_sql_prep_describe(n->prep, &types, &n_types, &cols, &n_cols);
        pz_sbuf_reset(&s->msg);
        s_u16(&s->msg, (uint16_t)n_types);
        for (int i = 0; i < n_types; i++) {
            s_u32(&s->msg, pz_ty_oid(types[i]));
        }
        if (s->msg.oom || pz__sess_emit(s, 't', s->msg.p, s->msg.len) != 0) {
            return S_DONE;
        }
    } else {
        pz_sql_portal_describe(n->portal, &cols, &n_cols);
        s->formats = n->formats;
        s->n_formats = n->n_formats;
    }
    int rc = n_cols > 0 ? s_row_desc(s, cols, n_cols) : pz__sess_emit(s, 'n', "", 0);
    return rc == 0 ? 0 : S_DONE;
}

/* ---- replaying a batch (sql_conn.h pz_sql_conn_batch_*) ----------------------------------------
 */

/* Whether msg does the same when sent again: not a Close, and no named statement or portal
 * created (it would exist the second time) or executed (a portal of an earlier batch has run). */
static bool s_batch_repeatable(const pz_pgw_msg_t *msg)
{
    bool named = msg->len > 0 && msg->body[0] != '\0'; /* P, B, E: the name comes first */
    switch (msg->type) {
    case 'P':
    case 'B':
    case 'E':
        return !named;
    case 'D':
        return true;
    default:
        return false;
    }
}

void pz__sess_batch_log(s_sess_t *s, const pz_pgw_msg_t *msg)
{
    if (!s->in_batch) {
        s->in_batch = true;
        s->batch_off = false;
        pz_sbuf_reset(&s->batch);
        pz_sql_sink_t sink = s_sink(s);
        pz_sql_conn_batch_start(s->conn, &sink);
    }
    if (s->batch_off || !s_batch_repeatable(msg) ||
        s->batch.len + 5 + msg->len > PZ_SQL_OUT_BYTES_MAX) {
        s->batch_off = true;
        return;
    }
    uint8_t hdr[5] = {msg->type, (uint8_t)(msg->len >> 24), (uint8_t)(msg->len >> 16),
                      (uint8_t)(msg->len >> 8), (uint8_t)msg->len};
    pz_sbuf_put(&s->batch, hdr, sizeof hdr);
    pz_sbuf_put(&s->batch, msg->body, msg->len);
    s->batch_off = s->batch.oom;
}

/* An Execute failed with err: while the conn allows it, the batch's messages run again. 0: they
 * did (the batch goes on); S_DONE: the connection is lost; -1: no replay, or the last one
 * failed with *err — the caller reports it. */
static int s_batch_replay(s_sess_t *s, pz_sql_err_t *err)
{
    pz_sql_sink_t sink = s_sink(s);
    while (s->in_batch && !s->batch_off && pz_sql_conn_batch_replay(s->conn, &sink, err)) {
        s->replaying = true;
        s->replay_failed = false;
        int rc = 0;
        for (size_t off = 0;
             rc == 0 && !s->replay_failed && !s->skip_to_sync && off + 5 <= s->batch.len;) {
            const uint8_t *h = (const uint8_t *)s->batch.p + off;
            pz_pgw_msg_t m = {.type = h[0],
                              .len = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 |
                                     (uint32_t)h[3] << 8 | h[4],
                              .body = h + 5};
            off += 5 + m.len;
            rc = pz__sess_extended(s, &m);
        }
        s->replaying = false;
        if (rc != 0 || !s->replay_failed) {
            return rc; /* a failure other than an Execute's was reported where it happened */
        }
        *err = s->replay_err;
    }
    return -1;
}

static int s_execute(s_sess_t *s, s_rd_t *r)
{
    const char *name = s_str(r);
    uint32_t max = s_get(r, 4);
    if (r->bad || r->p != r->end) {
        return s_proto(s, "invalid Execute message");
    }
    s_named_t *n = *s_find(&s->portals, name);
    pz_sql_err_t err = {0};
    if (n == NULL) {
        pz_sql_err_set(&err, "34000", "portal \"%s\" does not exist", name);
        return s_fail(s, &err);
    }
    s->formats = n->formats;
    s->n_formats = n->n_formats;
    pz_sql_sink_t sink = s_sink(s);
    bool suspended = false;
    int rc = pz_sql_portal_run(s->conn, n->portal, max, &sink, &suspended, &err);
    if (rc != 0) {
        if (!pz_sql_err_is_set(&err)) {
            return S_DONE;
        }
        if (s->replaying) { /* s_batch_replay decides */
            s->replay_failed = true;
            s->replay_err = err;
            return 0;
        }
        rc = s_batch_replay(s, &err);
        return rc >= 0 ? rc : s_fail(s, &err);
    }
    if (suspended) {
        return pz__sess_emit(s, 's', "", 0) == 0 ? 0 : S_DONE;
    }
    return 0;
}

static int s_close(s_sess_t *s, s_rd_t *r)
{
    uint32_t kind = s_get(r, 1);
    const char *name = s_str(r);
    if (r->bad || r->p != r->end || (kind != 'S' && kind != 'P')) {
        return s_proto(s, "invalid Close message");
    }
    s_named_free(s, s_find(kind == 'S' ? &s->stmts : &s->portals, name));
    return pz__sess_emit(s, '3', "", 0) == 0 ? 0 : S_DONE;
}

int pz__sess_extended(s_sess_t *s, const pz_pgw_msg_t *msg)
{
    s_rd_t r = {.p = msg->body, .end = msg->body + msg->len};
    switch (msg->type) {
    case 'P':
        return s_parse(s, &r);
    case 'B':
        return s_bind(s, &r);
    case 'D':
        return s_describe(s, &r);
    case 'E':
        return s_execute(s, &r);
    default:
        return s_close(s, &r);
    }
}
