/*
 * sql_join.c — the lookup join and the merge join (the planner's choice: sql_bind_join.c).
 *
 * Lookup join: reads up to PZ_LOOKUP_BATCH_ROWS left rows, turns each one's keys into a point
 * read (a full unique key) or a short scan (an index prefix) of the right table's index, and
 * sends them as ONE KV batch (a second one fetches the rows of a secondary index's entries by
 * primary key) — never a message per row (DESIGN.md: few, fat messages). Scans stopped early by
 * the reply's size bound are resumed in follow-up batches of just those spans. Left rows keep
 * their order; each one's matches follow it; a LEFT join adds the unmatched ones with NULLs.
 * A semi (anti) join returns each left row alone when some (no) right row matches it.
 *
 * Merge join: both inputs ascend on the keys (index order, NULLs first). Equal right rows form
 * a group, copied once; every left row with that key joins the group. Rows with a NULL key
 * never match. Inner, left, right and full; a residual predicate decides matches as in the
 * other joins.
 *
 * Rows these nodes hold across calls live in arenas of their own (the batch's, the group's, the
 * current left row's), never in the statement's scratch arena, which the caller may reset
 * between output rows.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sql_cost.h"
#include "sql_exec.h"
#include "sql_rowenc.h"

#define S_KEY_MAX 4096u
/* Replies held for one lookup batch (the first and its resumptions). */
#define S_REPLIES_MAX 1024
/* A held row's arena is replaced past this size (one row may be large; most are small). */
#define S_ROW_ARENA_BYTES 65536

typedef struct {
    pz_arena_t *arena;
    pz_datum_t **lrows;
    int n_left, lpos;
    bool left_done;
    int *rstart; /* right rows of left row i: rrows[rstart[i] .. rstart[i + 1]) */
    pz_datum_t **rrows;
    int n_r, cap_r;
    pz_msg_t *replies[S_REPLIES_MAX];
    int n_replies;
    int rpos;
    bool matched;
    pz_datum_t *out;
} s_lj_t;

static const pz_cat_index_t *s_ix(const pz_pn_t *scan)
{
    return scan->index ? scan->index : &scan->table->d.indexes[0];
}

static void s_lj_reset(s_lj_t *st)
{
    for (int i = 0; i < st->n_replies; i++) {
        pz_msg_free(&st->replies[i]);
    }
    st->n_replies = 0;
    pz_arena_destroy(&st->arena);
    st->n_left = st->lpos = st->n_r = st->cap_r = st->rpos = 0;
    st->rrows = NULL;
}

static int s_oom(pz_ex_t *ex)
{
    return pz_sql_err_set(ex->err, "53200", "out of memory");
}

static int s_send(pz_ex_t *ex, s_lj_t *st, pz_kv_req_t *reqs, uint32_t n, pz_kv_batch_resp_t *resp)
{
    if (st->n_replies >= S_REPLIES_MAX) {
        return pz_sql_err_set(ex->err, "54000", "a lookup join batch needs too many KV batches");
    }
    return pz_sql_kv_send(ex->kv, reqs, n, true, &st->replies[st->n_replies++], resp, ex->err);
}

/* The key of left row `row` in the right index: false when a key is NULL or does not fit the
 * column's type (no right row can match). */
static bool s_lookup_key(pz_ex_t *ex, const pz_pn_t *pn, const pz_datum_t *row, uint8_t *key,
                         size_t *len, int *rc)
{
    const pz_pn_t *scan = pn->right;
    const pz_cat_index_t *ix = s_ix(scan);
    *len = pz_rowenc_index_prefix(key, S_KEY_MAX, scan->table->d.id, ix->id);
    for (int k = 0; k < pn->n_keys; k++) {
        pz_datum_t v, cv;
        if ((*rc = pz_bx_eval(ex, pn->lkeys[k], row, &v)) != 0 || v.null) {
            return false;
        }
        const pz_cat_col_t *c = pz_cat_col_by_id(&scan->table->d, ix->cols[k].col);
        if (pz_datum_cast(ex->tmp, ex->env, &v, pz_cat_col_type(c), PZ_CAST_EXPLICIT, &cv,
                          ex->err) != 0) {
            pz_sql_err_clear(ex->err); /* a value no row of the column can equal */
            return false;
        }
        size_t n = pz_rowenc_key_put(key, S_KEY_MAX, *len, &cv, ix->cols[k].desc);
        if (n == 0) {
            return false;
        }
        *len = n;
    }
    return true;
}

/* One request per left row with a key: a GET for a full unique key, else a prefix scan. *
 * owner[i]: the left row of request i. */
static int s_lj_requests(pz_ex_t *ex, pz_pn_t *pn, s_lj_t *st, pz_kv_req_t *reqs, int *owner,
                         uint32_t *n)
{
    const pz_cat_index_t *ix = s_ix(pn->right);
    bool point = ix->unique && pn->n_keys == (int)ix->cols_len;
    *n = 0;
    for (int i = 0; i < st->n_left; i++) {
        uint8_t key[S_KEY_MAX];
        size_t kl;
        int rc = 0;
        if (!s_lookup_key(ex, pn, st->lrows[i], key, &kl, &rc)) {
            if (rc != 0) {
                return rc;
            }
            continue;
        }
        pz_view_t k = pz_arena_dup(st->arena, key, kl);
        uint8_t *end = pz_arena_alloc(st->arena, kl + 1);
        size_t el = end ? pz_rowenc_prefix_end(end, kl + 1, key, kl) : 0;
        if (k.ptr == NULL || end == NULL) {
            return s_oom(ex);
        }
        reqs[*n] = point
                       ? (pz_kv_req_t){.op = PZ_KV_GET, .key = k}
                       : (pz_kv_req_t){.op = PZ_KV_SCAN, .key = k, .end_key = {end, (uint32_t)el}};
        owner[(*n)++] = i;
    }
    return 0;
}

/* Appends a stored value (a row, or a secondary entry's primary key) found for left row i. */
typedef struct {
    pz_view_t *vals;
    int *owner;
    int n, cap;
} s_found_t;

static int s_found_add(pz_ex_t *ex, s_lj_t *st, s_found_t *f, pz_view_t v, int owner)
{
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 256;
        pz_view_t *nv = pz_arena_alloc(st->arena, sizeof *nv * (size_t)cap);
        int *no = pz_arena_alloc(st->arena, sizeof *no * (size_t)cap);
        if (nv == NULL || no == NULL) {
            return s_oom(ex);
        }
        if (f->n) {
            memcpy(nv, f->vals, sizeof *nv * (size_t)f->n);
            memcpy(no, f->owner, sizeof *no * (size_t)f->n);
        }
        f->vals = nv;
        f->owner = no;
        f->cap = cap;
    }
    f->vals[f->n] = v;
    f->owner[f->n++] = owner;
    return 0;
}

/* Sends the requests, resuming scans the reply's size bound stopped, collecting values. */
static int s_lj_fetch(pz_ex_t *ex, s_lj_t *st, pz_kv_req_t *reqs, int *owner, uint32_t n,
                      s_found_t *f)
{
    while (n > 0) {
        pz_kv_batch_resp_t resp;
        int rc = s_send(ex, st, reqs, n, &resp);
        if (rc != 0) {
            return rc;
        }
        uint32_t again = 0;
        for (uint32_t i = 0; i < n && rc == 0; i++) {
            const pz_kv_resp_t *x = &resp.resps[i];
            if (reqs[i].op == PZ_KV_GET) {
                rc = x->found ? s_found_add(ex, st, f, x->value, owner[i]) : 0;
                continue;
            }
            for (uint32_t j = 0; j < x->kvs_len && rc == 0; j++) {
                rc = s_found_add(ex, st, f, x->kvs[j].value, owner[i]);
            }
            if (x->has_resume) {
                reqs[again] = reqs[i];
                reqs[again].key = x->resume_key; /* a view into the reply, which is kept */
                owner[again++] = owner[i];
            }
        }
        if (rc != 0) {
            return rc;
        }
        n = again;
    }
    return 0;
}

/* Secondary index: the entries' values are primary keys; fetches the rows (one batch). */
static int s_lj_rows_by_pk(pz_ex_t *ex, pz_pn_t *pn, s_lj_t *st, s_found_t *f)
{
    if (f->n == 0) {
        return 0;
    }
    const pz_cat_desc_t *d = &pn->right->table->d;
    uint8_t prefix[64];
    size_t pl = pz_rowenc_index_prefix(prefix, sizeof prefix, d->id, d->indexes[0].id);
    pz_kv_req_t *reqs = pz_arena_alloc(st->arena, sizeof *reqs * (size_t)f->n);
    if (reqs == NULL) {
        return s_oom(ex);
    }
    for (int i = 0; i < f->n; i++) {
        uint8_t *k = pz_arena_alloc(st->arena, pl + f->vals[i].len + 1);
        if (k == NULL) {
            return s_oom(ex);
        }
        memcpy(k, prefix, pl);
        memcpy(k + pl, f->vals[i].ptr, f->vals[i].len);
        reqs[i] = (pz_kv_req_t){.op = PZ_KV_GET, .key = {k, (uint32_t)(pl + f->vals[i].len)}};
    }
    pz_kv_batch_resp_t resp;
    int rc = s_send(ex, st, reqs, (uint32_t)f->n, &resp);
    if (rc != 0) {
        return rc;
    }
    int w = 0;
    for (int i = 0; i < f->n; i++) {
        if (resp.resps[i].found) { /* else: an entry whose row is gone (a concurrent delete) */
            f->vals[w] = resp.resps[i].value;
            f->owner[w++] = f->owner[i];
        }
    }
    f->n = w;
    return 0;
}

/* Decodes the found rows and groups them by left row (a counting sort: resumed scans append
 * out of order). */
static int s_lj_group(pz_ex_t *ex, pz_pn_t *pn, s_lj_t *st, const s_found_t *f)
{
    const pz_pn_t *scan = pn->right;
    st->rstart = pz_arena_alloc(st->arena, sizeof *st->rstart * (size_t)(st->n_left + 2));
    st->rrows = pz_arena_alloc(st->arena, sizeof *st->rrows * (size_t)(f->n + 1));
    if (st->rstart == NULL || st->rrows == NULL) {
        return s_oom(ex);
    }
    for (int i = 0; i < f->n; i++) {
        st->rstart[f->owner[i] + 2]++;
    }
    for (int i = 2; i <= st->n_left + 1; i++) {
        st->rstart[i] += st->rstart[i - 1];
    }
    for (int i = 0; i < f->n; i++) {
        pz_datum_t *row = pz_arena_alloc(st->arena, sizeof *row * (size_t)(scan->n_cols + 1));
        if (row == NULL) {
            return s_oom(ex);
        }
        if (pz_rowenc_value_get(st->arena, f->vals[i].ptr, f->vals[i].len, scan->col_ids,
                                scan->types, (uint32_t)scan->n_cols, row) != 0) {
            return pz_sql_err_set(ex->err, "XX001", "a row of table \"%.*s\" is corrupt",
                                  (int)scan->table->d.name.len, scan->table->d.name.ptr);
        }
        st->rrows[st->rstart[f->owner[i] + 1]++] = row;
    }
    st->n_r = f->n;
    return 0;
}

/* Reads the next batch of left rows and their right rows. */
static int s_lj_batch(pz_ex_t *ex, pz_pn_t *pn, s_lj_t *st)
{
    s_lj_reset(st);
    if ((st->arena = pz_arena_new()) == NULL) {
        return s_oom(ex);
    }
    st->lrows = pz_arena_alloc(st->arena, sizeof *st->lrows * PZ_LOOKUP_BATCH_ROWS);
    if (st->lrows == NULL) {
        return s_oom(ex);
    }
    int rc;
    pz_datum_t *r;
    while (st->n_left < PZ_LOOKUP_BATCH_ROWS && (rc = pz_pn_next(ex, pn->left, &r)) == 1) {
        pz_datum_t *keep = pz_arena_alloc(st->arena, sizeof *keep * (size_t)(pn->left->n_cols + 1));
        for (int i = 0; keep != NULL && i < pn->left->n_cols; i++) {
            if (pz_datum_copy(st->arena, &r[i], &keep[i]) != 0) {
                keep = NULL;
            }
        }
        if (keep == NULL) {
            return s_oom(ex);
        }
        st->lrows[st->n_left++] = keep;
    }
    if (st->n_left < PZ_LOOKUP_BATCH_ROWS) {
        if (rc < 0) {
            return rc;
        }
        st->left_done = true;
    }
    pz_kv_req_t *reqs = pz_arena_alloc(st->arena, sizeof *reqs * (size_t)(st->n_left + 1));
    int *owner = pz_arena_alloc(st->arena, sizeof *owner * (size_t)(st->n_left + 1));
    s_found_t f = {0};
    uint32_t n = 0;
    if (reqs == NULL || owner == NULL) {
        return s_oom(ex);
    }
    rc = s_lj_requests(ex, pn, st, reqs, owner, &n);
    rc = rc ? rc : s_lj_fetch(ex, st, reqs, owner, n, &f);
    rc = rc ? rc : pn->right->index ? s_lj_rows_by_pk(ex, pn, st, &f) : 0;
    rc = rc ? rc : s_lj_group(ex, pn, st, &f);
    st->rpos = st->n_left > 0 ? st->rstart[0] : 0;
    st->matched = false;
    return rc;
}

static void s_out(pz_pn_t *pn, pz_datum_t *out, const pz_datum_t *l, const pz_datum_t *r)
{
    int nl = pn->left->n_cols, nr = pn->right->n_cols;
    for (int i = 0; i < nl; i++) {
        out[i] = l ? l[i] : pz_datum_null(pn->types[i].id);
    }
    for (int i = 0; i < nr; i++) {
        out[nl + i] = r ? r[i] : pz_datum_null(pn->types[nl + i].id);
    }
}

static int s_lj_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    s_lj_t *st = pn->st;
    for (;;) {
        if (st->lpos >= st->n_left) {
            if (st->left_done) {
                return 0;
            }
            int rc = s_lj_batch(ex, pn, st);
            if (rc != 0) {
                return rc;
            }
            continue;
        }
        const pz_datum_t *l = st->lrows[st->lpos];
        while (st->rpos < st->rstart[st->lpos + 1]) {
            s_out(pn, st->out, l, st->rrows[st->rpos++]);
            bool ok = true;
            int rc = pn->pred ? pz_bx_test(ex, pn->pred, st->out, &ok) : 0;
            if (rc != 0) {
                return rc;
            }
            if (ok && pn->join >= PZ_JOIN_SEMI) { /* the first match decides */
                st->matched = true;
                st->rpos = st->rstart[st->lpos + 1];
                break;
            }
            if (ok) {
                st->matched = true;
                *row = st->out;
                return 1;
            }
        }
        bool emit = pn->join == PZ_JOIN_LEFT && !st->matched;
        bool semi = pz_join_semi_emits(pn->join, st->matched);
        st->lpos++;
        st->matched = false;
        if (semi) {
            *row = (pz_datum_t *)l; /* the left row alone, in the batch's arena */
            return 1;
        }
        if (emit) {
            s_out(pn, st->out, l, NULL);
            *row = st->out;
            return 1;
        }
    }
}

static int s_lj_open(pz_ex_t *ex, pz_pn_t *pn)
{
    assert(pn->right != NULL && pn->right->kind == PZ_PN_SCAN && pn->n_keys > 0);
    s_lj_t *st = pz_ex_alloc(ex, sizeof *st);
    /* Both sides' columns: a semi / anti join outputs only the left ones but tests pairs. */
    size_t width = (size_t)(pn->left->n_cols + pn->right->n_cols);
    if (st == NULL || (st->out = pz_ex_alloc(ex, sizeof *st->out * width)) == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    return pz_pn_open(ex, pn->left); /* the right scan is read here, never opened */
}

/* ---- merge join --------------------------------------------------------------------------- */

typedef struct {
    pz_arena_t *la, *ra, *ga; /* the left row, the right lookahead row, the group */
    pz_datum_t *lrow, *lk, *rrow, *rk;
    bool l_done, r_done, adv_left, adv_right;
    pz_datum_t **grp;
    uint8_t *gmatched;
    pz_datum_t *gkey;
    int n_grp, cap_grp, gpos, gtail; /* gtail: next group row to check for RIGHT/FULL output */
    bool in_grp, draining, lmatched;
    pz_datum_t *out;
} s_mj_t;

/* Copies row (n columns) and its keys into arena *a (replaced first when it has grown and
 * holds only the previous row: `renew`). */
static int s_keep(pz_ex_t *ex, pz_arena_t **a, bool renew, const pz_datum_t *row, int n,
                  pz_bx_t **keys, int nk, pz_datum_t **row_out, pz_datum_t **keys_out)
{
    if (*a == NULL || (renew && pz_arena_used(*a) > S_ROW_ARENA_BYTES)) {
        pz_arena_destroy(a);
        if ((*a = pz_arena_new()) == NULL) {
            return s_oom(ex);
        }
    }
    pz_datum_t *r = pz_arena_alloc(*a, sizeof *r * (size_t)(n + 1));
    pz_datum_t *k = pz_arena_alloc(*a, sizeof *k * (size_t)(nk + 1));
    if (r == NULL || k == NULL) {
        return s_oom(ex);
    }
    for (int i = 0; i < n; i++) {
        if (pz_datum_copy(*a, &row[i], &r[i]) != 0) {
            return s_oom(ex);
        }
    }
    for (int i = 0; i < nk; i++) {
        pz_datum_t v;
        int rc = pz_bx_eval(ex, keys[i], r, &v);
        if (rc != 0) {
            return rc;
        }
        if (pz_datum_copy(*a, &v, &k[i]) != 0) {
            return s_oom(ex);
        }
    }
    *row_out = r;
    *keys_out = k;
    return 0;
}

static int s_mj_adv(pz_ex_t *ex, pz_pn_t *pn, s_mj_t *st, bool left)
{
    pz_pn_t *child = left ? pn->left : pn->right;
    pz_datum_t *r;
    int rc = pz_pn_next(ex, child, &r);
    if (rc <= 0) {
        *(left ? &st->l_done : &st->r_done) = true;
        return rc;
    }
    return left ? s_keep(ex, &st->la, true, r, child->n_cols, pn->lkeys, pn->n_keys, &st->lrow,
                         &st->lk)
                : s_keep(ex, &st->ra, true, r, child->n_cols, pn->rkeys, pn->n_keys, &st->rrow,
                         &st->rk);
}

static bool s_has_null(const pz_datum_t *k, int n)
{
    for (int i = 0; i < n; i++) {
        if (k[i].null) {
            return true;
        }
    }
    return false;
}

static int s_keycmp(const pz_datum_t *a, const pz_datum_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        int c = pz_datum_cmp(&a[i], &b[i]);
        if (c != 0) {
            return c;
        }
    }
    return 0;
}

/* Collects the right rows equal to the current right key into the group. */
static int s_mj_group(pz_ex_t *ex, pz_pn_t *pn, s_mj_t *st)
{
    pz_arena_destroy(&st->ga);
    if ((st->ga = pz_arena_new()) == NULL) {
        return s_oom(ex);
    }
    st->n_grp = st->cap_grp = 0;
    st->gkey = st->rk;
    for (;;) {
        if (st->n_grp == st->cap_grp) {
            int cap = st->cap_grp ? st->cap_grp * 2 : 16;
            pz_datum_t **g = pz_arena_alloc(st->ga, sizeof *g * (size_t)cap);
            uint8_t *m = pz_arena_alloc(st->ga, (size_t)cap);
            if (g == NULL || m == NULL) {
                return s_oom(ex);
            }
            if (st->n_grp) {
                memcpy(g, st->grp, sizeof *g * (size_t)st->n_grp);
                memcpy(m, st->gmatched, (size_t)st->n_grp);
            }
            st->grp = g;
            st->gmatched = m;
            st->cap_grp = cap;
        }
        pz_datum_t *k;
        int rc = s_keep(ex, &st->ga, false, st->rrow, pn->right->n_cols, pn->rkeys, pn->n_keys,
                        &st->grp[st->n_grp], &k);
        if (rc != 0) {
            return rc;
        }
        st->gmatched[st->n_grp++] = 0;
        st->gkey = k;
        if ((rc = s_mj_adv(ex, pn, st, false)) < 0) {
            return rc;
        }
        if (st->r_done || s_has_null(st->rk, pn->n_keys) ||
            s_keycmp(st->rk, st->gkey, pn->n_keys) != 0) {
            break;
        }
    }
    st->in_grp = true;
    st->gpos = 0;
    st->lmatched = false;
    return 0;
}

/* The current left row against the group: its matches, then (LEFT/FULL) itself unmatched.
 * Returns 1 with a row, 0 when the left row is done (advance it). */
static int s_mj_in_group(pz_ex_t *ex, pz_pn_t *pn, s_mj_t *st, bool keep_left, pz_datum_t **row)
{
    while (st->gpos < st->n_grp) {
        int i = st->gpos++;
        s_out(pn, st->out, st->lrow, st->grp[i]);
        bool ok = true;
        int rc = pn->pred ? pz_bx_test(ex, pn->pred, st->out, &ok) : 0;
        if (rc != 0) {
            return rc;
        }
        if (ok) {
            st->lmatched = true;
            st->gmatched[i] = 1;
            *row = st->out;
            return 1;
        }
    }
    bool emit = keep_left && !st->lmatched;
    st->gpos = 0;
    st->lmatched = false;
    st->adv_left = true;
    if (emit) {
        s_out(pn, st->out, st->lrow, NULL);
        *row = st->out;
        return 1;
    }
    return 0;
}

static int s_mj_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    s_mj_t *st = pn->st;
    bool keep_left = pn->join == PZ_JOIN_LEFT || pn->join == PZ_JOIN_FULL;
    bool keep_right = pn->join == PZ_JOIN_RIGHT || pn->join == PZ_JOIN_FULL;
    for (;;) {
        int rc = 0;
        if (st->adv_left || st->adv_right) {
            rc = s_mj_adv(ex, pn, st, st->adv_left);
            *(st->adv_left ? &st->adv_left : &st->adv_right) = false;
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        if (st->in_grp) {
            if (!st->draining && !st->l_done && !s_has_null(st->lk, pn->n_keys) &&
                s_keycmp(st->lk, st->gkey, pn->n_keys) == 0) {
                if ((rc = s_mj_in_group(ex, pn, st, keep_left, row)) != 0) {
                    return rc;
                }
                continue;
            }
            st->draining = true; /* the group is done: its unmatched rows for RIGHT/FULL */
            while (keep_right && st->gtail < st->n_grp) {
                int i = st->gtail++;
                if (!st->gmatched[i]) {
                    s_out(pn, st->out, NULL, st->grp[i]);
                    *row = st->out;
                    return 1;
                }
            }
            st->in_grp = st->draining = false;
            st->gtail = 0;
            continue;
        }
        if (st->l_done && st->r_done) {
            return 0;
        }
        bool lnull = !st->l_done && s_has_null(st->lk, pn->n_keys);
        bool rnull = !st->r_done && s_has_null(st->rk, pn->n_keys);
        int c = st->l_done   ? 1
                : st->r_done ? -1
                : lnull      ? -1
                : rnull      ? 1
                             : s_keycmp(st->lk, st->rk, pn->n_keys);
        if (c == 0) {
            if ((rc = s_mj_group(ex, pn, st)) != 0) {
                return rc;
            }
            continue;
        }
        *(c < 0 ? &st->adv_left : &st->adv_right) = true;
        if (c < 0 ? keep_left : keep_right) {
            s_out(pn, st->out, c < 0 ? st->lrow : NULL, c < 0 ? NULL : st->rrow);
            *row = st->out;
            return 1;
        }
    }
}

static int s_mj_open(pz_ex_t *ex, pz_pn_t *pn)
{
    s_mj_t *st = pz_ex_alloc(ex, sizeof *st);
    if (st == NULL || (st->out = pz_ex_alloc(ex, sizeof *st->out * (size_t)pn->n_cols)) == NULL) {
        return PZ_ENOMEM;
    }
    pn->st = st;
    int rc = pz_pn_open(ex, pn->left);
    rc = rc ? rc : pz_pn_open(ex, pn->right);
    rc = rc ? rc : s_mj_adv(ex, pn, st, true);
    rc = rc < 0 ? rc : s_mj_adv(ex, pn, st, false);
    return rc < 0 ? rc : 0;
}

/* ---- dispatch (sql_exec.c) ---------------------------------------------------------------- */

int pz_join_open(pz_ex_t *ex, pz_pn_t *pn)
{
    return pn->kind == PZ_PN_LOOKUPJOIN ? s_lj_open(ex, pn) : s_mj_open(ex, pn);
}

int pz_join_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    return pn->kind == PZ_PN_LOOKUPJOIN ? s_lj_next(ex, pn, row) : s_mj_next(ex, pn, row);
}

void pz_join_close(pz_ex_t *ex, pz_pn_t *pn)
{
    (void)ex;
    if (pn->kind == PZ_PN_LOOKUPJOIN) {
        s_lj_reset(pn->st);
        return;
    }
    s_mj_t *st = pn->st;
    pz_arena_destroy(&st->la);
    pz_arena_destroy(&st->ra);
    pz_arena_destroy(&st->ga);
}
