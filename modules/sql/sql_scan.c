/*
 * sql_scan.c — the SCAN node: reads a table's rows from the KV store in chunks, through its
 * primary index or a secondary index (then the rows by primary key, one batch per chunk).
 *
 * Spans come from the planner's constraints (pz_span_t), evaluated at open: equality on leading
 * index columns and a range on the next, or an IN list of points. Every WHERE conjunct is still
 * applied above the scan, so a span only has to cover the matching rows, never exactly.
 * Chunks start small (a LIMIT 1 query reads little) and double up to PZ_SCAN_KEYS_MAX.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/keys.h"
#include "sql_exec.h"
#include "sql_rowenc.h"

#define S_CHUNK_FIRST 64u
#define S_KEY_MAX 4096u /* a span bound; keys past it are refused by LMDB anyway (511 bytes) */

typedef struct {
    uint8_t lo[S_KEY_MAX], hi[S_KEY_MAX];
    uint32_t lo_len, hi_len;
} s_span_t;

typedef struct {
    s_span_t *spans;
    int n_spans, cur;
    uint8_t resume[S_KEY_MAX];
    uint32_t resume_len;
    bool have_resume, span_done;
    uint32_t chunk;
    pz_msg_t *reply; /* the current chunk */
    pz_kv_batch_resp_t resp;
    pz_msg_t *rows_reply; /* index scans: the rows fetched by primary key */
    pz_kv_batch_resp_t rows_resp;
    uint32_t pos, n;
    pz_view_t raw; /* the current row's stored bytes (valid until the next chunk) */
    pz_datum_t *row;
    pz_sql_type_t *types;
    uint8_t *pk_buf; /* index scans: primary keys of the chunk */
    int64_t left;    /* rows still wanted under a pushed-down limit, -1 no limit */
} s_scan_t;

static size_t s_prefix(const pz_pn_t *pn, uint8_t *buf, size_t cap)
{
    uint32_t idx = pn->index ? pn->index->id : pn->table->d.indexes[0].id;
    return pz_rowenc_index_prefix(buf, cap, pn->table->d.id, idx);
}

static const pz_cat_index_t *s_index(const pz_pn_t *pn)
{
    return pn->index ? pn->index : &pn->table->d.indexes[0];
}

/* Appends the key encoding of v as index column i's type; false when it does not fit or the
 * value cannot be encoded (the span then degenerates to a full scan of the prefix). */
static bool s_put(pz_ex_t *ex, const pz_pn_t *pn, int i, const pz_bx_t *x, uint8_t *buf,
                  size_t *len, bool *is_null, int *rc)
{
    pz_datum_t v;
    *rc = pz_bx_eval(ex, x, NULL, &v);
    if (*rc != 0) {
        return false;
    }
    if (v.null) {
        *is_null = true;
        return false;
    }
    const pz_cat_col_t *c = pz_cat_col_by_id(&pn->table->d, s_index(pn)->cols[i].col);
    pz_datum_t cv;
    *rc = pz_datum_cast(ex->tmp, ex->env, &v, pz_cat_col_type(c), PZ_CAST_EXPLICIT, &cv, ex->err);
    if (*rc != 0) {
        /* A bound that does not fit the column (e.g. 1e30 for an int column): no span. */
        pz_sql_err_clear(ex->err);
        *rc = 0;
        return false;
    }
    size_t n = pz_rowenc_key_put(buf, S_KEY_MAX, *len, &cv, s_index(pn)->cols[i].desc);
    if (n == 0) {
        return false;
    }
    *len = n;
    return true;
}

static void s_span_set(s_span_t *s, const uint8_t *lo, size_t lo_len, const uint8_t *hi,
                       size_t hi_len)
{
    memcpy(s->lo, lo, lo_len);
    s->lo_len = (uint32_t)lo_len;
    memcpy(s->hi, hi, hi_len);
    s->hi_len = (uint32_t)hi_len;
}

/* Builds the spans of an eq/range constraint. Returns the number (0: empty result). */
static int s_build_range(pz_ex_t *ex, const pz_pn_t *pn, s_span_t *out, int *rc)
{
    uint8_t base[S_KEY_MAX];
    size_t bl = s_prefix(pn, base, sizeof base);
    const pz_span_t *sp = &pn->span;
    bool is_null = false;
    for (int i = 0; i < sp->n_eq; i++) {
        if (!s_put(ex, pn, i, sp->eq[i], base, &bl, &is_null, rc)) {
            if (is_null || *rc != 0) {
                return 0;
            }
            break; /* stop narrowing: what fits is still a correct (wider) span */
        }
    }
    uint8_t lo[S_KEY_MAX], hi[S_KEY_MAX];
    size_t ll = bl, hl;
    memcpy(lo, base, bl);
    hl = pz_rowenc_prefix_end(hi, sizeof hi, base, bl);
    int col = sp->n_eq;
    if (sp->lo != NULL) {
        size_t l = bl;
        uint8_t tmp[S_KEY_MAX];
        memcpy(tmp, base, bl);
        if (s_put(ex, pn, col, sp->lo, tmp, &l, &is_null, rc)) {
            if (sp->lo_incl) {
                memcpy(lo, tmp, l);
                ll = l;
            } else {
                ll = pz_rowenc_prefix_end(lo, sizeof lo, tmp, l);
            }
        } else if (is_null || *rc != 0) {
            return 0;
        }
    }
    if (sp->hi != NULL) {
        size_t l = bl;
        uint8_t tmp[S_KEY_MAX];
        memcpy(tmp, base, bl);
        if (s_put(ex, pn, col, sp->hi, tmp, &l, &is_null, rc)) {
            if (sp->hi_incl) {
                hl = pz_rowenc_prefix_end(hi, sizeof hi, tmp, l);
            } else {
                memcpy(hi, tmp, l);
                hl = l;
            }
        } else if (is_null || *rc != 0) {
            return 0;
        }
    }
    if (ll == 0 || hl == 0 ||
        pz_view_cmp((pz_view_t){lo, (uint32_t)ll}, (pz_view_t){hi, (uint32_t)hl}) >= 0) {
        return 0;
    }
    s_span_set(out, lo, ll, hi, hl);
    return 1;
}

static int s_span_cmp(const void *a, const void *b)
{
    const s_span_t *x = a, *y = b;
    return pz_view_cmp((pz_view_t){x->lo, x->lo_len}, (pz_view_t){y->lo, y->lo_len});
}

static int s_build_spans(pz_ex_t *ex, pz_pn_t *pn, s_scan_t *st)
{
    int rc = 0;
    if (!pn->has_span) {
        st->spans = pz_ex_alloc(ex, sizeof *st->spans);
        if (st->spans == NULL) {
            return PZ_ENOMEM;
        }
        uint8_t p[64];
        size_t n = s_prefix(pn, p, sizeof p);
        uint8_t e[64];
        size_t en = pz_rowenc_prefix_end(e, sizeof e, p, n);
        s_span_set(&st->spans[0], p, n, e, en);
        st->n_spans = 1;
        return 0;
    }
    if (pn->span.n_in == 0) {
        st->spans = pz_ex_alloc(ex, sizeof *st->spans);
        if (st->spans == NULL) {
            return PZ_ENOMEM;
        }
        st->n_spans = s_build_range(ex, pn, st->spans, &rc);
        return rc;
    }
    st->spans = pz_ex_alloc(ex, sizeof *st->spans * (size_t)pn->span.n_in);
    if (st->spans == NULL) {
        return PZ_ENOMEM;
    }
    pz_span_t one = pn->span;
    one.n_in = 0;
    one.n_eq = 1;
    for (int i = 0; i < pn->span.n_in && rc == 0; i++) {
        one.eq[0] = pn->span.in_list[i];
        pz_pn_t tmp = *pn;
        tmp.span = one;
        st->n_spans += s_build_range(ex, &tmp, &st->spans[st->n_spans], &rc);
    }
    /* IN (1, 1) must yield the row once: sort the points and drop duplicates. */
    qsort(st->spans, (size_t)st->n_spans, sizeof *st->spans, s_span_cmp);
    int w = 0;
    for (int i = 0; i < st->n_spans; i++) {
        if (w == 0 || s_span_cmp(&st->spans[w - 1], &st->spans[i]) != 0) {
            st->spans[w++] = st->spans[i];
        }
    }
    st->n_spans = w;
    return rc;
}

int pz_scan_open(pz_ex_t *ex, pz_pn_t *pn)
{
    s_scan_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    st->chunk = S_CHUNK_FIRST;
    st->left = pn->scan_limit;
    st->row = pz_ex_alloc(ex, sizeof *st->row * (size_t)(pn->n_cols + 1));
    st->types = pz_ex_alloc(ex, sizeof *st->types * (size_t)(pn->n_cols + 1));
    if (st->row == NULL || st->types == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < pn->n_cols; i++) {
        st->types[i] = pn->types[i];
    }
    return s_build_spans(ex, pn, st);
}

void pz_scan_close(pz_ex_t *ex, pz_pn_t *pn)
{
    (void)ex;
    s_scan_t *st = pn->st;
    if (st != NULL) {
        pz_msg_free(&st->reply);
        pz_msg_free(&st->rows_reply);
        free(st->pk_buf);
        st->pk_buf = NULL;
    }
}

/* Sends a read of the scan. The rows of an UPDATE/DELETE target (pn->lock_rows) are read with
 * locks (sql_bind_dml.c): the primary index's entries are the rows, a secondary index's only
 * lead to them (rows: this is the fetch of the rows by primary key). */
static int s_send(pz_ex_t *ex, const pz_pn_t *pn, bool rows, const pz_kv_req_t *reqs, uint32_t n,
                  pz_msg_t **reply, pz_kv_batch_resp_t *resp)
{
    assert(!rows || pn->index != NULL);
    pz_sql_kv_t *kv = ex->kv;
    uint8_t keep = kv->lock;
    if (pn->lock_rows && (rows || pn->index == NULL)) {
        kv->lock = PZ_LOCK_EXCLUSIVE;
    }
    int rc = pz_sql_kv_send(kv, reqs, n, true, reply, resp, ex->err);
    kv->lock = keep;
    return rc;
}

/* For an index scan: fetches the chunk's rows by primary key (one batch). */
static int s_fetch_rows(pz_ex_t *ex, pz_pn_t *pn, s_scan_t *st)
{
    const pz_kv_resp_t *x = &st->resp.resps[0];
    uint32_t n = x->kvs_len;
    pz_msg_free(&st->rows_reply);
    if (n == 0) {
        return 0;
    }
    uint8_t prefix[64];
    size_t pl =
        pz_rowenc_index_prefix(prefix, sizeof prefix, pn->table->d.id, pn->table->d.indexes[0].id);
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += pl + x->kvs[i].value.len;
    }
    free(st->pk_buf);
    st->pk_buf = malloc(total + 1);
    pz_kv_req_t *reqs = pz_ex_tmp_alloc(ex, sizeof *reqs * n);
    if (st->pk_buf == NULL || reqs == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        memcpy(st->pk_buf + off, prefix, pl);
        memcpy(st->pk_buf + off + pl, x->kvs[i].value.ptr, x->kvs[i].value.len);
        reqs[i] = (pz_kv_req_t){.op = PZ_KV_GET,
                                .key = {st->pk_buf + off, (uint32_t)(pl + x->kvs[i].value.len)}};
        off += pl + x->kvs[i].value.len;
    }
    return s_send(ex, pn, true, reqs, n, &st->rows_reply, &st->rows_resp);
}

/* Reads the next chunk of the current span. */
static int s_fetch(pz_ex_t *ex, pz_pn_t *pn, s_scan_t *st)
{
    s_span_t *sp = &st->spans[st->cur];
    pz_kv_req_t r = {.op = pn->reverse ? PZ_KV_RSCAN : PZ_KV_SCAN,
                     .key = {sp->lo, sp->lo_len},
                     .end_key = {sp->hi, sp->hi_len},
                     .limit = st->chunk};
    if (st->left >= 0 && (uint64_t)st->left < r.limit) {
        r.limit = st->left > 0 ? (uint32_t)st->left : 1;
    }
    if (st->have_resume) {
        if (pn->reverse) {
            r.end_key = (pz_view_t){st->resume, st->resume_len};
        } else {
            r.key = (pz_view_t){st->resume, st->resume_len};
        }
    }
    pz_msg_free(&st->reply);
    int rc = s_send(ex, pn, false, &r, 1, &st->reply, &st->resp);
    if (rc != 0) {
        return rc;
    }
    if (st->chunk < PZ_SCAN_KEYS_MAX / 2) {
        st->chunk *= 2;
    }
    const pz_kv_resp_t *x = &st->resp.resps[0];
    st->pos = 0;
    st->n = x->kvs_len;
    st->have_resume = x->has_resume && x->resume_key.len <= sizeof st->resume;
    if (st->have_resume) {
        memcpy(st->resume, x->resume_key.ptr, x->resume_key.len);
        st->resume_len = x->resume_key.len;
    }
    st->span_done = !st->have_resume;
    return pn->index != NULL ? s_fetch_rows(ex, pn, st) : 0;
}

int pz_scan_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    s_scan_t *st = pn->st;
    for (;;) {
        if (st->left == 0) {
            return 0;
        }
        if (st->reply != NULL && st->pos < st->n) {
            pz_view_t v;
            if (pn->index != NULL) {
                const pz_kv_resp_t *g = &st->rows_resp.resps[st->pos++];
                if (!g->found) {
                    continue; /* an index entry whose row is gone (a concurrent delete) */
                }
                v = g->value;
            } else {
                v = st->resp.resps[0].kvs[st->pos++].value;
            }
            int rc = pz_rowenc_value_get(ex->tmp, v.ptr, v.len, pn->col_ids, st->types,
                                         (uint32_t)pn->n_cols, st->row);
            if (rc != 0) {
                return pz_sql_err_set(ex->err, "XX001", "a row of table \"%.*s\" is corrupt",
                                      (int)pn->table->d.name.len, pn->table->d.name.ptr);
            }
            if (st->left > 0) {
                st->left--;
            }
            st->raw = v;
            *row = st->row;
            return 1;
        }
        if (st->reply != NULL && st->span_done) {
            st->cur++;
            pz_msg_free(&st->reply);
            st->have_resume = false;
        }
        if (st->cur >= st->n_spans) {
            return 0;
        }
        int rc = pz_ex_check_cancel(ex);
        rc = rc ? rc : s_fetch(ex, pn, st);
        if (rc != 0) {
            return rc;
        }
    }
}

pz_view_t pz_scan_raw(const pz_pn_t *pn)
{
    const s_scan_t *st = pn->st;
    return st != NULL ? st->raw : (pz_view_t){0};
}
