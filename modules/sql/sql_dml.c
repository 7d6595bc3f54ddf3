/*
 * sql_dml.c — INSERT, UPDATE and DELETE: the rows to write are computed first (the whole input
 * is read before anything is written, so an UPDATE never sees its own writes), then every write
 * of the statement goes down as one KV batch, which is atomic (kv.h). Until the transactions
 * issue lands, that is what makes each statement atomic on its own; a statement whose writes
 * exceed one batch (PZ_BATCH_REQS_MAX keys) is refused with 54000 rather than half-applied.
 *
 * Uniqueness: the primary key and unique secondary entries are conditional puts that expect no
 * value, so a duplicate — against stored rows or within the same batch — fails the batch, and
 * the failed request names the constraint for 23505. RETURNING rows are sent only after the
 * batch committed.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql_exec.h"
#include "sql_limits.h"
#include "sql_rowenc.h"

#define S_KEY_BYTES 4096u

/* What each request of the batch is, to name a failed conditional put. */
typedef struct {
    const pz_cat_index_t *index; /* NULL: a plain write */
    const pz_datum_t *row;
} s_what_t;

typedef struct pz_dml_writes {
    pz_kv_req_t *reqs;
    s_what_t *what;
    uint32_t n, cap;
    pz_rowbuf_t out; /* RETURNING rows */
    pz_datum_t *ret;
    pz_rowbuf_t news, olds; /* rows foreign keys must check (sql_fk.c) */
    pz_view_t expect;       /* the stored bytes the row being rewritten was read as */
    pz_htab_t seen;         /* UPDATE: rows already rewritten (by their stored bytes) */
    bool seen_init;         /* INSERT ON CONFLICT: the primary keys this statement inserts */
} s_dml_st_t;

/* The key's length as the engine stores it (each 0x00 escaped to two bytes). */
static uint32_t s_stored_len(pz_view_t k)
{
    uint32_t n = k.len;
    for (uint32_t i = 0; i < k.len; i++) {
        n += k.ptr[i] == 0;
    }
    return n;
}

static int s_req(pz_ex_t *ex, s_dml_st_t *st, pz_kv_req_t r, const pz_cat_index_t *ix,
                 const pz_datum_t *row)
{
    if (pz_kv_op_is_write(r.op) && s_stored_len(r.key) > PZ_SQL_KEY_STORED_BYTES_MAX) {
        return pz_sql_kv_err_too_big(ex->err);
    }
    if (st->n >= PZ_BATCH_REQS_MAX) {
        pz_sql_err_set(ex->err, "54000", "statement writes more than %u keys",
                       (unsigned)PZ_BATCH_REQS_MAX);
        pz_sql_err_hint(ex->err, "Until multi-statement transactions exist, one statement is one "
                                 "atomic KV batch; split the statement or use COPY.");
        return PZ_ELIMIT;
    }
    if (st->n == st->cap) {
        uint32_t cap = st->cap ? st->cap * 2 : 64;
        pz_kv_req_t *nr = pz_ex_alloc(ex, sizeof *nr * cap);
        s_what_t *nw = pz_ex_alloc(ex, sizeof *nw * cap);
        if (nr == NULL || nw == NULL) {
            return PZ_ENOMEM;
        }
        if (st->n) {
            memcpy(nr, st->reqs, sizeof *nr * st->n);
            memcpy(nw, st->what, sizeof *nw * st->n);
        }
        st->reqs = nr;
        st->what = nw;
        st->cap = cap;
    }
    st->reqs[st->n] = r;
    st->what[st->n++] = (s_what_t){ix, row};
    return 0;
}

static pz_view_t s_dup(pz_ex_t *ex, const uint8_t *p, size_t n)
{
    pz_view_t v = pz_arena_dup(ex->arena, p, n);
    if (v.ptr == NULL && n > 0) {
        pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    return v;
}

/* The key of `row` in index ix: prefix, index columns, and for non-unique entries (or unique
 * ones with a NULL) the primary key columns. *pk_off: where the primary key columns start when
 * ix is the primary index. */
static int s_key(pz_ex_t *ex, const pz_cat_desc_t *d, const pz_cat_index_t *ix,
                 const pz_datum_t *row, uint8_t *buf, size_t *len, bool *has_null)
{
    size_t n = pz_rowenc_index_prefix(buf, S_KEY_BYTES, d->id, ix->id);
    *has_null = false;
    for (uint32_t i = 0; i < ix->cols_len && n; i++) {
        const pz_datum_t *v = &row[pz_cat_col_index(d, ix->cols[i].col)];
        *has_null |= v->null;
        n = pz_rowenc_key_put(buf, S_KEY_BYTES, n, v, ix->cols[i].desc);
    }
    if (n != 0 && ix != &d->indexes[0] && (!ix->unique || *has_null)) {
        const pz_cat_index_t *pk = &d->indexes[0];
        for (uint32_t i = 0; i < pk->cols_len && n; i++) {
            n = pz_rowenc_key_put(buf, S_KEY_BYTES, n, &row[pz_cat_col_index(d, pk->cols[i].col)],
                                  pk->cols[i].desc);
        }
    }
    if (n == 0) {
        return pz_sql_err_set(ex->err, "54000", "index row of \"%.*s\" is too large",
                              (int)ix->name.len, ix->name.ptr);
    }
    *len = n;
    return 0;
}

/* The primary key columns' bytes (what secondary entries store). */
static int s_pk_suffix(pz_ex_t *ex, const pz_cat_desc_t *d, const pz_datum_t *row, uint8_t *buf,
                       size_t *len)
{
    const pz_cat_index_t *pk = &d->indexes[0];
    size_t n = 0;
    for (uint32_t i = 0; i < pk->cols_len; i++) {
        n = pz_rowenc_key_put(buf, S_KEY_BYTES, n, &row[pz_cat_col_index(d, pk->cols[i].col)],
                              pk->cols[i].desc);
        if (n == 0) {
            return pz_sql_err_set(ex->err, "54000", "primary key is too large");
        }
    }
    *len = n;
    return 0;
}

static void s_row_text(pz_ex_t *ex, const pz_datum_t *row, int n, pz_sbuf_t *b)
{
    pz_sbuf_putc(b, '(');
    for (int i = 0; i < n; i++) {
        if (i) {
            pz_sbuf_puts(b, ", ");
        }
        if (row[i].null) {
            pz_sbuf_puts(b, "null");
        } else {
            pz_datum_to_text(ex->env, &row[i], b);
        }
    }
    pz_sbuf_putc(b, ')');
}

static int s_not_null(pz_ex_t *ex, const pz_dml_t *m, const pz_datum_t *row)
{
    const pz_cat_desc_t *d = &m->table->d;
    for (int i = 0; i < m->n_tcols; i++) {
        if (row[i].null && d->cols[i].not_null) {
            pz_sql_err_set(ex->err, "23502",
                           "null value in column \"%.*s\" of relation \"%.*s\" violates not-null "
                           "constraint",
                           (int)d->cols[i].name.len, d->cols[i].name.ptr, (int)d->name.len,
                           d->name.ptr);
            pz_sbuf_t b = {0};
            s_row_text(ex, row, m->n_tcols, &b);
            pz_sql_err_detail(ex->err, "Failing row contains %.*s.", (int)b.len, b.p ? b.p : "");
            pz_sbuf_free(&b);
            return PZ_EINVAL;
        }
    }
    for (int i = 0; i < m->n_checks; i++) {
        pz_datum_t v;
        int rc = pz_bx_eval(ex, m->checks[i], row, &v);
        if (rc != 0) {
            return rc;
        }
        if (!v.null && !v.v.b) { /* CHECK passes on NULL, as in PostgreSQL */
            pz_sql_err_set(ex->err, "23514",
                           "new row for relation \"%.*s\" violates check constraint \"%s\"",
                           (int)d->name.len, d->name.ptr, m->check_names[i]);
            pz_sbuf_t b = {0};
            s_row_text(ex, row, m->n_tcols, &b);
            pz_sql_err_detail(ex->err, "Failing row contains %.*s.", (int)b.len, b.p ? b.p : "");
            pz_sbuf_free(&b);
            return PZ_EINVAL;
        }
    }
    return 0;
}

static uint64_t s_rowid_seq;

/* A unique row id for a table without a primary key: time in µs shifted, plus a counter, as
 * CockroachDB's unique_rowid() (ordered by insertion time, unique within this process). */
static int64_t s_rowid(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    uint64_t c = __atomic_fetch_add(&s_rowid_seq, 1, __ATOMIC_RELAXED);
    return (int64_t)(((us << 15) | (c & 0x7fff)) & 0x7fffffffffffffffull);
}

/* The writes of one new row: the primary entry and every secondary entry. old: the row it
 * replaces (UPDATE) or NULL. */
static int s_put_row(pz_ex_t *ex, const pz_dml_t *m, s_dml_st_t *st, pz_datum_t *row,
                     const pz_datum_t *old)
{
    const pz_cat_desc_t *d = &m->table->d;
    uint8_t key[S_KEY_BYTES], okey[S_KEY_BYTES], pk[S_KEY_BYTES];
    size_t kl, ol = 0, pl;
    bool has_null, ohn;
    int rc = s_key(ex, d, &d->indexes[0], row, key, &kl, &has_null);
    rc = rc ? rc : s_pk_suffix(ex, d, row, pk, &pl);
    if (rc == 0 && old != NULL) {
        rc = s_key(ex, d, &d->indexes[0], old, okey, &ol, &ohn);
    }
    if (rc != 0) {
        return rc;
    }
    bool same_pk = old != NULL && ol == kl && memcmp(key, okey, kl) == 0;
    if (old != NULL && !same_pk) {
        rc = s_req(ex, st, (pz_kv_req_t){.op = PZ_KV_DEL, .key = s_dup(ex, okey, ol)}, NULL, NULL);
    }
    uint32_t *ids = pz_ex_tmp_alloc(ex, sizeof *ids * (size_t)m->n_tcols);
    pz_sbuf_t val = {0};
    for (int i = 0; ids != NULL && i < m->n_tcols; i++) {
        ids[i] = d->cols[i].id;
    }
    if (ids == NULL || pz_rowenc_value_put(&val, ids, row, (uint32_t)m->n_tcols) != 0) {
        pz_sbuf_free(&val);
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    pz_kv_req_t r = {.op = same_pk ? PZ_KV_PUT : PZ_KV_CPUT,
                     .key = s_dup(ex, key, kl),
                     .value = s_dup(ex, (const uint8_t *)val.p, val.len)};
    if (same_pk && st->expect.len > 0) {
        /* A rewrite expects the row as it was read: a concurrent statement's change in between
         * fails the batch (40001, retried by the session) instead of being lost. */
        r.op = PZ_KV_CPUT;
        r.exp_exists = true;
        r.exp_value = st->expect;
    }
    pz_sbuf_free(&val);
    rc = rc ? rc : s_req(ex, st, r, same_pk ? NULL : &d->indexes[0], row);
    pz_view_t pkv = s_dup(ex, pk, pl);
    for (uint32_t x = 1; rc == 0 && x < d->indexes_len; x++) {
        const pz_cat_index_t *ix = &d->indexes[x];
        if ((rc = s_key(ex, d, ix, row, key, &kl, &has_null)) != 0) {
            return rc;
        }
        if (old != NULL) {
            if ((rc = s_key(ex, d, ix, old, okey, &ol, &ohn)) != 0) {
                return rc;
            }
            if (ol == kl && memcmp(key, okey, kl) == 0 && same_pk) {
                continue; /* the entry did not change */
            }
            rc = s_req(ex, st, (pz_kv_req_t){.op = PZ_KV_DEL, .key = s_dup(ex, okey, ol)}, NULL,
                       NULL);
        }
        bool cond = ix->unique && !has_null;
        pz_kv_req_t e = {
            .op = cond ? PZ_KV_CPUT : PZ_KV_PUT, .key = s_dup(ex, key, kl), .value = pkv};
        rc = rc ? rc : s_req(ex, st, e, cond ? ix : NULL, row);
    }
    return rc;
}

static int s_del_row(pz_ex_t *ex, const pz_dml_t *m, s_dml_st_t *st, const pz_datum_t *old)
{
    const pz_cat_desc_t *d = &m->table->d;
    int rc = 0;
    for (uint32_t x = 0; rc == 0 && x < d->indexes_len; x++) {
        uint8_t key[S_KEY_BYTES];
        size_t kl;
        bool has_null;
        rc = s_key(ex, d, &d->indexes[x], old, key, &kl, &has_null);
        rc = rc ? rc
                : s_req(ex, st, (pz_kv_req_t){.op = PZ_KV_DEL, .key = s_dup(ex, key, kl)}, NULL,
                        NULL);
    }
    return rc;
}

int pz_dml_index_entry(pz_ex_t *ex, const pz_cat_desc_t *d, const pz_cat_index_t *ix,
                       const pz_datum_t *row, uint8_t *key, size_t *kl, uint8_t *val, size_t *vl,
                       bool *cond)
{
    bool has_null;
    int rc = s_key(ex, d, ix, row, key, kl, &has_null);
    rc = rc ? rc : s_pk_suffix(ex, d, row, val, vl);
    *cond = ix->unique && !has_null;
    return rc;
}

/* 23505 for the conditional put that failed. */
static int s_conflict(pz_ex_t *ex, const pz_dml_t *m, const s_what_t *w)
{
    const pz_cat_desc_t *d = &m->table->d;
    if (w->index == NULL) {
        return pz_sql_err_set(ex->err, "40001",
                              "restart transaction: a row this statement read "
                              "was changed by a concurrent statement");
    }
    char name[160];
    if (w->index == &d->indexes[0] && w->index->name.len == 0) {
        snprintf(name, sizeof name, "%.*s_pkey", (int)d->name.len, d->name.ptr);
    } else {
        snprintf(name, sizeof name, "%.*s", (int)w->index->name.len, w->index->name.ptr);
    }
    pz_sql_err_set(ex->err, "23505", "duplicate key value violates unique constraint \"%s\"", name);
    pz_sbuf_t cols = {0}, vals = {0};
    for (uint32_t i = 0; i < w->index->cols_len; i++) {
        int ci = pz_cat_col_index(d, w->index->cols[i].col);
        if (i) {
            pz_sbuf_puts(&cols, ", ");
            pz_sbuf_puts(&vals, ", ");
        }
        pz_sbuf_put(&cols, d->cols[ci].name.ptr, d->cols[ci].name.len);
        pz_datum_to_text(ex->env, &w->row[ci], &vals);
    }
    pz_sql_err_detail(ex->err, "Key (%.*s)=(%.*s) already exists.", (int)cols.len,
                      cols.p ? cols.p : "", (int)vals.len, vals.p ? vals.p : "");
    pz_sbuf_free(&cols);
    pz_sbuf_free(&vals);
    return PZ_EINVAL;
}

/* ON CONFLICT: reads the existing row with this primary key, if any. */
/* One GET of key at the newest timestamp: *found, and the value (valid until *reply is freed).
 * lock: in a transaction, a locking read (the row DO UPDATE will rewrite). */
static int s_get(pz_ex_t *ex, const uint8_t *key, size_t kl, uint8_t lock, pz_msg_t **reply,
                 pz_kv_batch_resp_t *resp)
{
    pz_kv_req_t r = {.op = PZ_KV_GET, .key = {key, (uint32_t)kl}};
    pz_hlc_t keep = ex->kv->read_ts;
    uint8_t keep_lock = ex->kv->lock;
    ex->kv->read_ts = (pz_hlc_t){0};
    ex->kv->lock = lock;
    int rc = pz_sql_kv_send(ex->kv, &r, 1, true, reply, resp, ex->err);
    ex->kv->read_ts = keep;
    ex->kv->lock = keep_lock;
    return rc;
}

/* The stored row at primary key key (*out NULL when there is none). DO UPDATE locks it, as
 * UPDATE locks the rows it reads (sql_bind_dml.c s_lock_target). */
static int s_row_at(pz_ex_t *ex, const pz_dml_t *m, const uint8_t *key, size_t kl, pz_datum_t **out)
{
    const pz_cat_desc_t *d = &m->table->d;
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    *out = NULL;
    uint8_t lock = m->on_conflict == 2 ? PZ_LOCK_EXCLUSIVE : PZ_LOCK_NONE;
    int rc = s_get(ex, key, kl, lock, &reply, &resp);
    if (rc == 0 && resp.resps[0].found) {
        uint32_t *ids = pz_ex_tmp_alloc(ex, sizeof *ids * (size_t)m->n_tcols);
        pz_sql_type_t *ty = pz_ex_tmp_alloc(ex, sizeof *ty * (size_t)m->n_tcols);
        pz_datum_t *old = pz_ex_tmp_alloc(ex, sizeof *old * (size_t)m->n_tcols);
        for (int i = 0; ids && ty && old && i < m->n_tcols; i++) {
            ids[i] = d->cols[i].id;
            ty[i] = pz_cat_col_type(&d->cols[i]);
        }
        rc = ids && ty && old ? 0 : PZ_ENOMEM;
        rc = rc ? rc
                : pz_rowenc_value_get(ex->tmp, resp.resps[0].value.ptr, resp.resps[0].value.len,
                                      ids, ty, (uint32_t)m->n_tcols, old);
        *out = rc == 0 ? pz_ex_keep_row(ex, old, m->n_tcols) : NULL;
        rc = rc == 0 && *out == NULL ? PZ_ENOMEM : rc;
    }
    pz_msg_free(&reply);
    return rc;
}

/* The stored row that row's values collide with in the ON CONFLICT arbiter (the primary key, or
 * a unique index read through its entry: its value is the row's primary key). A row with a NULL
 * in a unique index's columns collides with nothing. */
static int s_existing(pz_ex_t *ex, const pz_dml_t *m, const pz_datum_t *row, pz_datum_t **out)
{
    const pz_cat_desc_t *d = &m->table->d;
    uint8_t key[S_KEY_BYTES], val[S_KEY_BYTES];
    size_t kl, vl;
    bool hn, cond = true;
    *out = NULL;
    int rc = m->conflict_index == 0 ? s_key(ex, d, &d->indexes[0], row, key, &kl, &hn)
                                    : pz_dml_index_entry(ex, d, &d->indexes[m->conflict_index], row,
                                                         key, &kl, val, &vl, &cond);
    if (rc != 0 || !cond) {
        return rc;
    }
    if (m->conflict_index == 0) {
        return s_row_at(ex, m, key, kl, out);
    }
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    if ((rc = s_get(ex, key, kl, PZ_LOCK_NONE, &reply, &resp)) != 0) {
        return rc;
    }
    size_t pl = pz_rowenc_index_prefix(key, sizeof key, d->id, d->indexes[0].id);
    bool found = resp.resps[0].found && pl + resp.resps[0].value.len <= sizeof key;
    if (found) {
        memcpy(key + pl, resp.resps[0].value.ptr, resp.resps[0].value.len);
        kl = pl + resp.resps[0].value.len;
    }
    pz_msg_free(&reply);
    return found ? s_row_at(ex, m, key, kl, out) : 0;
}

static int s_returning(pz_ex_t *ex, const pz_dml_t *m, s_dml_st_t *st, const pz_datum_t *row)
{
    if (m->n_returning == 0) {
        return 0;
    }
    for (int i = 0; i < m->n_returning; i++) {
        int rc = pz_bx_eval(ex, m->returning[i], row, &st->ret[i]);
        if (rc != 0) {
            return rc;
        }
    }
    return pz_rowbuf_push(ex, &st->out, st->ret, m->n_returning);
}

static int s_fk_rows(pz_ex_t *ex, const pz_dml_t *m, s_dml_st_t *st, uint8_t kind,
                     const pz_datum_t *row, const pz_datum_t *old);

/* Whether a unique secondary entry of the row's values exists already (DO NOTHING without a
 * conflict target): one GET batch over the unique indexes. */
static int s_unique_taken(pz_ex_t *ex, const pz_dml_t *m, const pz_datum_t *row, bool *taken)
{
    const pz_cat_desc_t *d = &m->table->d;
    pz_kv_req_t reqs[PZ_CAT_INDEXES_MAX];
    uint32_t n = 0;
    for (uint32_t x = 1; x < d->indexes_len; x++) {
        uint8_t key[S_KEY_BYTES], val[S_KEY_BYTES];
        size_t kl, vl;
        bool cond = false;
        int rc = d->indexes[x].unique
                     ? pz_dml_index_entry(ex, d, &d->indexes[x], row, key, &kl, val, &vl, &cond)
                     : 0;
        if (rc != 0) {
            return rc;
        }
        if (cond) {
            reqs[n++] = (pz_kv_req_t){.op = PZ_KV_GET, .key = s_dup(ex, key, kl)};
        }
    }
    *taken = false;
    if (n == 0) {
        return 0;
    }
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    pz_hlc_t keep = ex->kv->read_ts;
    ex->kv->read_ts = (pz_hlc_t){0};
    int rc = pz_sql_kv_send(ex->kv, reqs, n, true, &reply, &resp, ex->err);
    ex->kv->read_ts = keep;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        *taken |= resp.resps[i].found;
    }
    pz_msg_free(&reply);
    return rc;
}

/* A row of this same statement with the row's arbiter key: DO NOTHING skips the later one;
 * DO UPDATE may not touch a row twice (PostgreSQL's 21000). *dup true when it was seen. */
static int s_conflict_own(pz_ex_t *ex, const pz_dml_t *m, s_dml_st_t *st, const pz_datum_t *row,
                          bool *dup)
{
    const pz_cat_desc_t *d = &m->table->d;
    uint8_t key[S_KEY_BYTES];
    size_t kl;
    bool hn = false;
    *dup = false;
    int rc = s_key(ex, d, &d->indexes[m->conflict_index], row, key, &kl, &hn);
    if (rc != 0 || (hn && m->conflict_index != 0)) {
        return rc; /* NULLs in a unique index never conflict */
    }
    if (!st->seen_init) {
        rc = pz_ht_init(ex, &st->seen, 1);
        st->seen_init = rc == 0;
    }
    if (rc != 0) {
        return rc;
    }
    pz_datum_t k = pz_datum_bytes(PZ_TY_BYTEA, key, (uint32_t)kl);
    bool created = false;
    if (pz_ht_find(ex, &st->seen, &k, 1, true, &created) == NULL) {
        return PZ_ENOMEM;
    }
    *dup = !created;
    if (*dup && m->on_conflict == 2) {
        pz_sql_err_set(ex->err, "21000",
                       "ON CONFLICT DO UPDATE command cannot affect row a second time");
        pz_sql_err_hint(ex->err, "Ensure that no rows proposed for insertion within the same "
                                 "command have duplicate constrained values.");
        return PZ_EINVAL;
    }
    return 0;
}

static int s_on_conflict(pz_ex_t *ex, const pz_dml_t *m, s_dml_st_t *st, pz_datum_t *row,
                         bool *handled)
{
    pz_datum_t *old = NULL;
    *handled = false;
    bool dup = false;
    int rc = s_conflict_own(ex, m, st, row, &dup);
    if (rc != 0 || dup) {
        *handled = dup;
        return rc;
    }
    rc = s_existing(ex, m, row, &old);
    if (rc == 0 && old == NULL && m->conflict_any) {
        return s_unique_taken(ex, m, row, handled); /* DO NOTHING covers every unique index */
    }
    if (rc != 0 || old == NULL) {
        return rc;
    }
    *handled = true;
    if (m->on_conflict == 1) {
        return 0;
    }
    int n = m->n_tcols;
    pz_datum_t *both = pz_ex_tmp_alloc(ex, sizeof *both * (size_t)(2 * n));
    pz_datum_t *nrow = pz_ex_tmp_alloc(ex, sizeof *nrow * (size_t)n);
    if (both == NULL || nrow == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(both, old, sizeof *both * (size_t)n);
    memcpy(both + n, row, sizeof *both * (size_t)n);
    if (m->conflict_where != NULL) {
        bool ok = false;
        if ((rc = pz_bx_test(ex, m->conflict_where, both, &ok)) != 0 || !ok) {
            return rc;
        }
    }
    for (int i = 0; i < n; i++) {
        nrow[i] = old[i];
        if (m->conflict_set[i] != NULL &&
            (rc = pz_bx_eval(ex, m->conflict_set[i], both, &nrow[i]))) {
            return rc;
        }
    }
    pz_datum_t *kept = pz_ex_keep_row(ex, nrow, n);
    if (kept == NULL) {
        return PZ_ENOMEM;
    }
    rc = s_not_null(ex, m, kept);
    rc = rc ? rc : s_put_row(ex, m, st, kept, old);
    rc = rc ? rc : s_fk_rows(ex, m, st, PZ_PN_UPDATE, kept, old);
    if (rc == 0) {
        ((pz_dml_t *)m)->count++;
        rc = s_returning(ex, m, st, kept);
    }
    return rc;
}

int pz_dml_delete_row(pz_ex_t *ex, const pz_dml_t *m, pz_dml_writes_t *w, const pz_datum_t *old)
{
    return s_del_row(ex, m, w, old);
}

int pz_dml_update_row(pz_ex_t *ex, const pz_dml_t *m, pz_dml_writes_t *w, pz_datum_t *row,
                      const pz_datum_t *old)
{
    return s_put_row(ex, m, w, row, old);
}

/* Whether an UPDATE changed a column of a unique index (what a foreign key can reference). */
static bool s_key_changed(const pz_cat_desc_t *d, const pz_datum_t *old, const pz_datum_t *row)
{
    for (uint32_t x = 0; x < d->indexes_len; x++) {
        for (uint32_t k = 0; d->indexes[x].unique && k < d->indexes[x].cols_len; k++) {
            int c = pz_cat_col_index(d, d->indexes[x].cols[k].col);
            if (old[c].null != row[c].null ||
                (!old[c].null && pz_datum_cmp(&old[c], &row[c]) != 0)) {
                return true;
            }
        }
    }
    return false;
}

/* Remembers the rows the foreign keys must check. */
static int s_fk_rows(pz_ex_t *ex, const pz_dml_t *m, s_dml_st_t *st, uint8_t kind,
                     const pz_datum_t *row, const pz_datum_t *old)
{
    const pz_cat_desc_t *d = &m->table->d;
    int rc = 0;
    if (row != NULL && d->fks_len > 0) {
        rc = pz_rowbuf_push(ex, &st->news, row, m->n_tcols);
    }
    if (rc == 0 && old != NULL && d->referenced_by_len > 0 &&
        (kind == PZ_PN_DELETE || s_key_changed(d, old, row))) {
        rc = pz_rowbuf_push(ex, &st->olds, old, m->n_tcols);
    }
    return rc;
}

static int s_one(pz_ex_t *ex, pz_pn_t *pn, s_dml_st_t *st, const pz_datum_t *in)
{
    pz_dml_t *m = pn->dml;
    int n = m->n_tcols;
    int rc;
    if (pn->kind == PZ_PN_DELETE) {
        const pz_datum_t *old = pz_ex_keep_row(ex, in, n);
        rc = old ? s_del_row(ex, m, st, old) : PZ_ENOMEM;
        rc = rc ? rc : s_fk_rows(ex, m, st, PZ_PN_DELETE, NULL, old);
        m->count++;
        return rc ? rc : s_returning(ex, m, st, old);
    }
    pz_datum_t *row = pz_ex_tmp_alloc(ex, sizeof *row * (size_t)n);
    if (row == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(row, in, sizeof *row * (size_t)n);
    const pz_datum_t *old = NULL;
    st->expect = (pz_view_t){0};
    if (pn->kind == PZ_PN_UPDATE) {
        if (m->target_scan != NULL) {
            pz_view_t raw = pz_scan_raw(m->target_scan);
            st->expect = s_dup(ex, raw.ptr, raw.len);
            bool created = true;
            pz_datum_t key = pz_datum_bytes(PZ_TY_BYTEA, st->expect.ptr, st->expect.len);
            if (!st->seen_init && (rc = pz_ht_init(ex, &st->seen, 1)) != 0) {
                return rc;
            }
            st->seen_init = true;
            if (raw.len > 0 && pz_ht_find(ex, &st->seen, &key, 1, true, &created) == NULL) {
                return PZ_ENOMEM;
            }
            if (!created) {
                return 0; /* UPDATE ... FROM joined this row twice: PostgreSQL updates it once */
            }
        }
        old = pz_ex_keep_row(ex, in, n);
        for (int i = 0; i < m->n_set; i++) {
            row[m->set_cols[i]] = in[n + i];
        }
    }
    const pz_cat_desc_t *d = &m->table->d;
    for (int i = 0; i < n; i++) {
        if (d->cols[i].hidden && row[i].null) {
            row[i] = pz_datum_int(PZ_TY_INT8, s_rowid());
        }
    }
    pz_datum_t *kept = pz_ex_keep_row(ex, row, n);
    if (kept == NULL || (pn->kind == PZ_PN_UPDATE && old == NULL)) {
        return PZ_ENOMEM;
    }
    if ((rc = s_not_null(ex, m, kept)) != 0) {
        return rc;
    }
    if (m->on_conflict != 0) {
        bool handled = false;
        if ((rc = s_on_conflict(ex, m, st, kept, &handled)) != 0 || handled) {
            return rc;
        }
    }
    m->count++;
    rc = s_put_row(ex, m, st, kept, old);
    rc = rc ? rc : s_fk_rows(ex, m, st, pn->kind, kept, old);
    return rc ? rc : s_returning(ex, m, st, kept);
}

int pz_dml_open(pz_ex_t *ex, pz_pn_t *pn)
{
    s_dml_st_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    pz_dml_t *m = pn->dml;
    m->count = 0;
    st->ret = pz_ex_alloc(ex, sizeof *st->ret * (size_t)(m->n_returning + 1));
    int rc = st->ret ? pz_pn_open(ex, pn->left) : PZ_ENOMEM;
    pz_datum_t *in;
    while (rc == 0 && (rc = pz_pn_next(ex, pn->left, &in)) == 1) {
        rc = s_one(ex, pn, st, in);
    }
    pz_pn_close(ex, pn->left);
    if (rc == 0 && (st->news.n > 0 || st->olds.n > 0)) {
        rc = pz_fk_check(ex, m, pn->kind, &st->news, &st->olds, st);
    }
    if (rc != 0 || st->n == 0) {
        return rc;
    }
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    rc = pz_sql_kv_send(ex->kv, st->reqs, st->n, false, &reply, &resp, ex->err);
    if (rc == 0 && resp.error.code == PZ_ECONDFAILED) {
        int i = resp.error.index;
        rc = i >= 0 && (uint32_t)i < st->n ? s_conflict(ex, m, &st->what[i])
                                           : pz_sql_err_set(ex->err, "23505", "duplicate key");
    }
    pz_msg_free(&reply);
    return rc;
}

void pz_dml_close(pz_ex_t *ex, pz_pn_t *pn)
{
    (void)ex;
    s_dml_st_t *st = pn->st;
    if (st->seen_init) {
        pz_ht_free(&st->seen);
    }
}

int pz_dml_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    (void)ex;
    s_dml_st_t *st = pn->st;
    return pz_rowbuf_next(&st->out, row);
}
