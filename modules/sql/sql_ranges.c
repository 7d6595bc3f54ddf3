/*
 * sql_ranges.c — running CockroachDB's SPLIT AT and SHOW RANGES (sql_ranges.h).
 *
 * SPLIT AT: each row of the statement's VALUES / SELECT is a prefix of the index's key columns
 * (fewer values than columns is allowed: the split falls before every key starting with them),
 * cast to the columns' types and encoded as the index's key, /Table/<id>/<index id>/<values>
 * (sql_rowenc.h); each key is one KV SPLIT request (kv.h), sent outside any open transaction, as
 * DDL is (CockroachDB's AdminSplit is not transactional either). A split at an existing boundary
 * succeeds doing nothing. The answer is CockroachDB's: key (bytes), pretty, split_enforced_until
 * (NULL: we have no merges, so every split stays).
 *
 * SHOW RANGES: reads meta2 (\x03 + end key → descriptor, keys.h) with a KV scan and prints the
 * ranges that hold the table's / index's / database's keys: start_key, end_key (relative to the
 * table for FROM TABLE and FROM INDEX, as CockroachDB 23: …/1/5, …/<TableMin>, <before:...>,
 * <after:...>), range_id, lease_holder and replicas (node ids: one replica per range today).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "phantomzero/keys.h"
#include "phantomzero/limits.h"
#include "sql_ranges.h"
#include "sql_ranges_int.h"
#include "sql_rowenc.h"

/* A split key: the index prefix and the encoded values (sql_dml.c's bound for index keys). */
#define S_KEY_BYTES 4096u
/* Rows one SPLIT AT may split at: each is a durable KV write holding its range's latches. */
#define S_SPLIT_ROWS_MAX 10000u
/* Descriptors read from meta2 per scan chunk. */
#define S_META_CHUNK_KEYS 1000u
/* Key columns of an index: its own and the primary key's. */
#define S_KEY_COLS_MAX (2 * PZ_CAT_INDEX_COLS_MAX)

#define S_TY(t)                                                                                    \
    {                                                                                              \
        .id = (t), .elem = 0, .typmod = -1                                                         \
    }

static const pz_sql_col_t s_split_cols[] = {{"key", S_TY(PZ_TY_BYTEA)},
                                            {"pretty", S_TY(PZ_TY_TEXT)},
                                            {"split_enforced_until", S_TY(PZ_TY_TIMESTAMP)}};
static const pz_sql_col_t s_show_cols[] = {
    {"start_key", S_TY(PZ_TY_TEXT)},
    {"end_key", S_TY(PZ_TY_TEXT)},
    {"range_id", S_TY(PZ_TY_INT8)},
    {"lease_holder", S_TY(PZ_TY_INT8)},
    {"replicas", {.id = PZ_TY_ARRAY, .elem = PZ_TY_INT8, .typmod = -1}}};

int pz_sql_ranges_columns(const pz_ast_stmt_t *s, const pz_sql_col_t **cols)
{
    assert(s != NULL && cols != NULL);
    assert(s->kind == PZ_AS_SPLIT_AT || s->kind == PZ_AS_SHOW_RANGES);
    *cols = s->kind == PZ_AS_SPLIT_AT ? s_split_cols : s_show_cols;
    return s->kind == PZ_AS_SPLIT_AT ? 3 : 5;
}

/* ---- the target table and index ------------------------------------------------------------ */

/* ALTER INDEX i / FROM INDEX i without a table: the table owning index i (its name entry names
 * both, sql_catalog.h), held for the statement. */
static int s_index_owner(pz_binder_t *b, const pz_ast_stmt_t *s, pz_cat_entry_t **out)
{
    pz_ex_t *ex = b->ex;
    uint32_t id = 0, index_id = 0;
    int rc = PZ_ENOTFOUND;
    if (s->rel.schema != NULL) {
        uint32_t sid = 0;
        rc = pz_bind_schema(b, s->rel.schema, &sid);
        rc = rc ? rc
                : pz_cat_lookup(ex->cat, ex->kv, b->db_id, sid, s->name, &id, &index_id, ex->err);
    }
    for (int i = 0; s->rel.schema == NULL && rc == PZ_ENOTFOUND && i < b->n_search_path; i++) {
        rc = pz_cat_lookup(ex->cat, ex->kv, b->db_id, b->search_path[i], s->name, &id, &index_id,
                           ex->err);
    }
    if (rc == PZ_ENOTFOUND || (rc == 0 && index_id == 0)) {
        pz_sql_err_clear(ex->err);
        return pz_sql_err_set(ex->err, "42704", "index \"%s\" does not exist", s->name);
    }
    rc = rc ? rc : pz_cat_get(ex->cat, ex->kv, id, out, ex->err);
    if (rc == 0 && (rc = pz_ex_hold(ex, *out)) != 0) {
        pz_cat_release(out);
    }
    return rc;
}

static int s_target(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_cat_desc_t **d,
                    const pz_cat_index_t **ix)
{
    pz_cat_entry_t *e = NULL;
    int rc = s->rel.name != NULL
                 ? pz_bind_relation(b, s->rel.schema, s->rel.name, s->rel.location, &e)
                 : s_index_owner(b, s, &e);
    if (rc != 0) {
        return rc;
    }
    if (e->d.kind != PZ_CAT_TABLE) {
        return pz_sql_err_set(b->ex->err, "42809", "\"%s\" is not a table", s->rel.name);
    }
    assert(e->d.indexes_len > 0); /* every table has a primary index (rowid without a PK) */
    *d = &e->d;
    *ix = &e->d.indexes[0];
    if (s->name == NULL) {
        return 0;
    }
    for (uint32_t i = 0; i < e->d.indexes_len; i++) {
        if (pz_cat_name_eq(e->d.indexes[i].name, s->name)) {
            *ix = &e->d.indexes[i];
            return 0;
        }
    }
    return pz_sql_err_set(b->ex->err, "42704", "index \"%s\" does not exist", s->name);
}

/* ---- SPLIT AT ------------------------------------------------------------------------------ */

typedef struct {
    pz_binder_t *b;
    const pz_cat_desc_t *d;
    const pz_cat_index_t *ix;
    const pz_cat_icol_t *kc[S_KEY_COLS_MAX];
    pz_cast_ctx_t cast[S_KEY_COLS_MAX];
    pz_sql_type_t to[S_KEY_COLS_MAX];
    int n;
} s_split_t;

/* Whether column i of the rows can become key column i: its own type, an assignment cast, or a
 * string parsed as the column's type (a literal, which CockroachDB types by the column). */
static int s_check_types(s_split_t *sp, const pz_pn_t *plan)
{
    pz_sql_err_t *err = sp->b->ex->err;
    for (int i = 0; i < plan->n_cols; i++) {
        const pz_cat_col_t *col = pz_cat_col_by_id(sp->d, sp->kc[i]->col);
        assert(col != NULL);
        pz_sql_type_t from = plan->types[i];
        sp->to[i] = pz_cat_col_type(col);
        sp->cast[i] = PZ_CAST_ASSIGN;
        if (from.id == PZ_TY_UNKNOWN || (from.id == PZ_TY_TEXT && sp->to[i].id != PZ_TY_TEXT)) {
            sp->cast[i] = PZ_CAST_EXPLICIT;
        } else if (!pz_ty_can_cast(from, sp->to[i], PZ_CAST_ASSIGN)) {
            char want[64], got[64];
            pz_ty_format(sp->to[i], want, sizeof want);
            pz_ty_format(from, got, sizeof got);
            return pz_sql_err_set(
                err, "42804", "SPLIT AT data column %d (%.*s) must be of type %s, not type %s",
                i + 1, (int)col->name.len, (const char *)col->name.ptr, want, got);
        }
    }
    return 0;
}

/* The split key of one row; 0 or an error. */
static int s_split_key(s_split_t *sp, const pz_datum_t *row, uint8_t *key, size_t *len)
{
    pz_ex_t *ex = sp->b->ex;
    size_t n = pz_rowenc_index_prefix(key, S_KEY_BYTES, sp->d->id, sp->ix->id);
    for (int i = 0; n > 0 && i < sp->n; i++) {
        pz_datum_t v;
        int rc = pz_datum_cast(ex->arena, ex->env, &row[i], sp->to[i], sp->cast[i], &v, ex->err);
        if (rc != 0) {
            return rc;
        }
        n = pz_rowenc_key_put(key, S_KEY_BYTES, n, &v, sp->kc[i]->desc);
    }
    if (n == 0) {
        return pz_sql_err_set(ex->err, "54000", "SPLIT AT key is longer than %u bytes",
                              S_KEY_BYTES);
    }
    *len = n;
    return 0;
}

/* One KV SPLIT at key, outside any open transaction, and its row to the client. */
static int s_split_one(s_split_t *sp, const uint8_t *key, size_t len, const pz_sql_sink_t *sink)
{
    pz_ex_t *ex = sp->b->ex;
    pz_kv_req_t r = {.op = PZ_KV_SPLIT, .key = {key, (uint32_t)len}};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    bool was = ex->kv->no_txn;
    ex->kv->no_txn = true;
    int rc = pz_sql_kv_send(ex->kv, &r, 1, false, &reply, &resp, ex->err);
    ex->kv->no_txn = was;
    if (rc != 0) {
        return rc;
    }
    pz_msg_free(&reply);
    pz_sbuf_t pretty = {0};
    pz_ranges_ctx_t c = {.cat = ex->cat, .kv = ex->kv, .env = ex->env, .arena = ex->arena};
    pz__ranges_pretty(&c, r.key, &pretty);
    if (pretty.oom) {
        pz_sbuf_free(&pretty);
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    pz_datum_t out[3] = {pz_datum_bytes(PZ_TY_BYTEA, key, (uint32_t)len),
                         pz_datum_bytes(PZ_TY_TEXT, pretty.p, (uint32_t)pretty.len),
                         pz_datum_null(PZ_TY_TIMESTAMP)};
    rc = sink->row(sink->ctx, out, 3);
    pz_sbuf_free(&pretty);
    return rc != 0 ? pz_sql_err_code(ex->err, rc, "sending a row") : 0;
}

static int s_split_rows(s_split_t *sp, pz_pn_t *plan, const pz_sql_sink_t *sink, uint64_t *count)
{
    pz_ex_t *ex = sp->b->ex;
    uint8_t key[S_KEY_BYTES];
    pz_datum_t *row;
    int rc;
    while ((rc = pz_pn_next(ex, plan, &row)) == 1) {
        if (*count == S_SPLIT_ROWS_MAX) {
            return pz_sql_err_set(ex->err, "54000", "SPLIT AT takes at most %u rows",
                                  S_SPLIT_ROWS_MAX);
        }
        size_t len = 0;
        rc = s_split_key(sp, row, key, &len);
        rc = rc ? rc : s_split_one(sp, key, len, sink);
        if (rc != 0) {
            return rc;
        }
        (*count)++;
    }
    return rc;
}

static int s_split(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_sql_sink_t *sink, char *tag)
{
    s_split_t sp = {.b = b};
    int rc = s_target(b, s, &sp.d, &sp.ix);
    if (rc != 0) {
        return rc;
    }
    sp.n = (int)pz__ranges_key_cols(sp.d, sp.ix, sp.kc, S_KEY_COLS_MAX);
    pz_pn_t *plan = NULL;
    if ((rc = pz_bind_stmt(b, s->inner, &plan)) != 0) {
        return rc;
    }
    if (plan->n_cols > sp.n) {
        rc = pz_sql_err_set(b->ex->err, "42601", "too many columns in SPLIT AT data");
        pz_sql_err_detail(b->ex->err, "The index has %d key columns, the data %d.", sp.n,
                          plan->n_cols);
    }
    sp.n = plan->n_cols;
    rc = rc ? rc : s_check_types(&sp, plan);
    rc = rc ? rc : pz_pn_open(b->ex, plan);
    rc = rc ? rc : sink->columns(sink->ctx, s_split_cols, 3);
    uint64_t count = 0;
    rc = rc ? rc : s_split_rows(&sp, plan, sink, &count);
    pz_pn_close(b->ex, plan);
    snprintf(tag, 64, "SPLIT %llu", (unsigned long long)count);
    return rc;
}

/* ---- SHOW RANGES --------------------------------------------------------------------------- */

typedef struct s_range {
    uint64_t id;
    pz_view_t start, end;
    uint32_t n_nodes;
    uint32_t nodes[PZ_REPLICAS_MAX];
    struct s_range *next;
} s_range_t;

typedef struct {
    pz_ex_t *ex;
    s_range_t *head, **tail;
} s_meta_t;

static int s_meta_chunk(void *arg, const pz_kv_resp_t *x)
{
    s_meta_t *m = arg;
    for (uint32_t i = 0; i < x->kvs_len; i++) {
        pz_range_desc_t d;
        s_range_t *r = pz_ex_alloc(m->ex, sizeof *r);
        if (r == NULL) {
            return PZ_ENOMEM;
        }
        if (pz_range_desc_unpack(x->kvs[i].value.ptr, x->kvs[i].value.len, m->ex->arena, &d)) {
            return pz_sql_err_set(m->ex->err, "XX001", "a range descriptor in meta2 is corrupt");
        }
        *r = (s_range_t){.id = d.range_id,
                         .start = pz_arena_dup(m->ex->arena, d.start_key.ptr, d.start_key.len),
                         .end = pz_arena_dup(m->ex->arena, d.end_key.ptr, d.end_key.len)};
        for (uint32_t k = 0; k < d.replicas_len && k < PZ_REPLICAS_MAX; k++) {
            r->nodes[r->n_nodes++] = d.replicas[k].node_id;
        }
        *m->tail = r;
        m->tail = &r->next;
    }
    return 0;
}

/* Every range, in key order, from meta2. */
static int s_meta_ranges(pz_ex_t *ex, s_range_t **out)
{
    static const uint8_t lo[1] = {PZ_KEY_META2_PREFIX}, hi[1] = {PZ_KEY_META2_PREFIX + 1};
    s_meta_t m = {.ex = ex};
    m.tail = &m.head;
    int rc = pz_sql_kv_scan_chunks(ex->kv, (pz_view_t){lo, 1}, (pz_view_t){hi, 1},
                                   S_META_CHUNK_KEYS, s_meta_chunk, &m, ex->err);
    *out = m.head;
    return rc == PZ_ENOMEM ? pz_sql_err_set(ex->err, "53200", "out of memory") : rc;
}

/* A key span of the statement's objects: a table's or an index's keys. */
typedef struct s_span {
    uint8_t lo[32], hi[32];
    pz_view_t vlo, vhi;
    struct s_span *next;
} s_span_t;

typedef struct {
    pz_binder_t *b;
    pz_ex_t *ex;
    pz_ranges_ctx_t c;
    const pz_ast_stmt_t *s;
    uint32_t db_id;
    s_span_t *spans;
} s_show_t;

static int s_cmp(pz_view_t a, pz_view_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.ptr, b.ptr, n) : 0;
    return c != 0 ? c : (a.len > b.len) - (a.len < b.len);
}

/* /Table/<table>[/<index>] and the first key after it: index 0 for the whole table. */
static int s_add_span(s_show_t *sh, uint32_t table, uint32_t index)
{
    s_span_t *sp = pz_ex_alloc(sh->ex, sizeof *sp);
    if (sp == NULL) {
        return PZ_ENOMEM;
    }
    size_t lo = index != 0 ? pz_rowenc_index_prefix(sp->lo, sizeof sp->lo, table, index)
                           : pz_rowenc_table_prefix(sp->lo, sizeof sp->lo, table);
    size_t hi = pz_rowenc_prefix_end(sp->hi, sizeof sp->hi, sp->lo, lo);
    assert(lo > 0 && hi > 0); /* ids are 32-bit: a few bytes */
    sp->vlo = (pz_view_t){sp->lo, (uint32_t)lo};
    sp->vhi = (pz_view_t){sp->hi, (uint32_t)hi};
    sp->next = sh->spans;
    sh->spans = sp;
    return 0;
}

static int s_db_table(void *arg, const pz_cat_desc_t *d)
{
    s_show_t *sh = arg;
    return d->kind == PZ_CAT_TABLE && d->db_id == sh->db_id ? s_add_span(sh, d->id, 0) : 0;
}

/* The spans SHOW RANGES looks at: the table's, the index's, or every table's of a database. */
static int s_spans(s_show_t *sh)
{
    const pz_ast_stmt_t *s = sh->s;
    pz_ex_t *ex = sh->ex;
    if (s->obj == PZ_OBJ_TABLE || s->obj == PZ_OBJ_INDEX) {
        const pz_cat_desc_t *d = NULL;
        const pz_cat_index_t *ix = NULL;
        int rc = s_target(sh->b, s, &d, &ix);
        return rc ? rc : s_add_span(sh, d->id, s->obj == PZ_OBJ_INDEX ? ix->id : 0);
    }
    sh->db_id = sh->b->db_id;
    if (s->name != NULL) {
        int rc = pz_cat_lookup(ex->cat, ex->kv, 0, 0, s->name, &sh->db_id, NULL, ex->err);
        if (rc == PZ_ENOTFOUND) {
            pz_sql_err_clear(ex->err);
            return pz_sql_err_set(ex->err, "3D000", "database \"%s\" does not exist", s->name);
        }
        if (rc != 0) {
            return rc;
        }
    }
    int rc = pz_cat_each(ex->cat, ex->kv, s_db_table, sh, ex->err);
    return rc == PZ_ENOMEM ? pz_sql_err_set(ex->err, "53200", "out of memory") : rc;
}

/* A range boundary as SHOW RANGES prints it: absolute for a database; for a table or an index
 * relative to the table (…/1/5), CockroachDB 23's <before:...> / <after:...> outside it. */
static void s_bound(const s_show_t *sh, pz_view_t key, pz_sbuf_t *out)
{
    const s_span_t *sp = sh->spans;
    if (sh->s->obj != PZ_OBJ_TABLE && sh->s->obj != PZ_OBJ_INDEX) {
        pz__ranges_pretty(&sh->c, key, out);
        return;
    }
    bool before = s_cmp(key, sp->vlo) < 0, after = s_cmp(key, sp->vhi) >= 0;
    if (before || after) {
        pz_sbuf_puts(out, before ? "<before:" : "<after:");
        pz__ranges_pretty(&sh->c, key, out);
        pz_sbuf_putc(out, '>');
        return;
    }
    if (s_cmp(key, sp->vlo) == 0) {
        pz_sbuf_puts(out, sh->s->obj == PZ_OBJ_TABLE ? "…/<TableMin>" : "…/<IndexMin>");
        return;
    }
    /* Inside the table: drop its "/Table/<id>" (the first two components). */
    pz_sbuf_t abs = {0};
    pz__ranges_pretty(&sh->c, key, &abs);
    const char *rest = abs.oom ? NULL : memchr(abs.p + 1, '/', abs.len - 1);
    rest = rest != NULL ? memchr(rest + 1, '/', abs.len - (size_t)(rest + 1 - abs.p)) : NULL;
    pz_sbuf_puts(out, "…");
    if (rest != NULL) {
        pz_sbuf_put(out, rest, abs.len - (size_t)(rest - abs.p));
    }
    pz_sbuf_free(&abs);
}

static bool s_overlaps(const s_show_t *sh, const s_range_t *r)
{
    for (const s_span_t *sp = sh->spans; sp != NULL; sp = sp->next) {
        if (s_cmp(r->start, sp->vhi) < 0 && s_cmp(r->end, sp->vlo) > 0) {
            return true;
        }
    }
    return false;
}

static int s_show_row(const s_show_t *sh, const s_range_t *r, const pz_sql_sink_t *sink)
{
    pz_sbuf_t lo = {0}, hi = {0};
    s_bound(sh, r->start, &lo);
    s_bound(sh, r->end, &hi);
    pz_datum_t *nodes = pz_ex_alloc(sh->ex, sizeof *nodes * (r->n_nodes + 1));
    pz_sql_array_t *arr = pz_ex_alloc(sh->ex, sizeof *arr);
    int rc = lo.oom || hi.oom || nodes == NULL || arr == NULL ? PZ_ENOMEM : 0;
    if (rc == 0) {
        for (uint32_t i = 0; i < r->n_nodes; i++) {
            nodes[i] = pz_datum_int(PZ_TY_INT8, r->nodes[i]);
        }
        *arr = (pz_sql_array_t){.elem = PZ_TY_INT8, .n = r->n_nodes, .items = nodes};
        pz_datum_t row[5] = {pz_datum_bytes(PZ_TY_TEXT, lo.p, (uint32_t)lo.len),
                             pz_datum_bytes(PZ_TY_TEXT, hi.p, (uint32_t)hi.len),
                             pz_datum_int(PZ_TY_INT8, (int64_t)r->id),
                             r->n_nodes > 0 ? pz_datum_int(PZ_TY_INT8, r->nodes[0])
                                            : pz_datum_null(PZ_TY_INT8),
                             {.type = PZ_TY_ARRAY, .v.arr = arr}};
        rc = sink->row(sink->ctx, row, 5);
        rc = rc != 0 ? pz_sql_err_code(sh->ex->err, rc, "sending a row") : 0;
    } else {
        rc = pz_sql_err_set(sh->ex->err, "53200", "out of memory");
    }
    pz_sbuf_free(&lo);
    pz_sbuf_free(&hi);
    return rc;
}

static int s_show(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_sql_sink_t *sink, char *tag)
{
    pz_ex_t *ex = b->ex;
    s_show_t sh = {.b = b,
                   .ex = ex,
                   .c = {.cat = ex->cat, .kv = ex->kv, .env = ex->env, .arena = ex->arena},
                   .s = s};
    s_range_t *ranges = NULL;
    int rc = s_spans(&sh);
    rc = rc ? rc : s_meta_ranges(ex, &ranges);
    rc = rc ? rc : sink->columns(sink->ctx, s_show_cols, 5);
    uint64_t n = 0;
    for (const s_range_t *r = ranges; rc == 0 && r != NULL; r = r->next) {
        if (s_overlaps(&sh, r)) {
            rc = s_show_row(&sh, r, sink);
            n++;
        }
    }
    snprintf(tag, 64, "SHOW RANGES %llu", (unsigned long long)n);
    return rc;
}

int pz_sql_ranges_run(pz_binder_t *b, const pz_ast_stmt_t *s, const pz_sql_sink_t *sink, char *tag)
{
    assert(b != NULL && s != NULL && sink != NULL && tag != NULL);
    assert(s->kind == PZ_AS_SPLIT_AT || s->kind == PZ_AS_SHOW_RANGES);
    return s->kind == PZ_AS_SPLIT_AT ? s_split(b, s, sink, tag) : s_show(b, s, sink, tag);
}
