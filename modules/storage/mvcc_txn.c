/*
 * mvcc_txn.c — transaction records: HEARTBEAT_TXN, END_TXN, PUSH_TXN and QUERY_TXN (kv.h).
 *
 * A record is a packed pz_kv_txn_record under the store-local key of (anchor, id) (mvcc_key.h),
 * outside the MVCC keyspace and not versioned: it is the one place that decides a transaction's
 * fate, so every op reads it and rewrites it whole in the batch's write set.
 *
 * No record is not "no transaction": a transaction writes its record with its first heartbeat,
 * and until then a pusher treats it as PENDING since ext.pushee.min_ts. A push that succeeds
 * against a missing record writes one (ABORTED, or PENDING at the pushed timestamp), so the
 * pushee's late heartbeat or commit finds it and fails instead of resurrecting the transaction.
 *
 * Expiry: now - max(last_heartbeat, txn.min_ts) > PZ_TXN_EXPIRY_MS, with `now` the storage
 * actor's clock passed in (pz_mvcc_env_t): a coordinator that stopped heartbeating is presumed
 * dead, and any pusher may abort its transaction.
 */
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "phantomzero/keys.h"
#include "storage_assert.h"

/* Intents END_TXN resolves in its own batch; the rest of its spans goes back to the coordinator
 * in the record's lock_spans (a commit must not build an unbounded write set). */
#define S_END_RESOLVE_MAX 10000u

static pz_hlc_t s_max_ts(pz_hlc_t a, pz_hlc_t b)
{
    return pz_hlc_cmp(a, b) >= 0 ? a : b;
}

/* The record key of (anchor, id), in the arena. */
static int s_key(pz_mvcc_ctx_t *ctx, pz_view_t anchor, pz_view_t id, pz_view_t *out)
{
    size_t cap = pz__mvcc_record_key_cap(anchor.len, id.len);
    uint8_t *k = pz_arena_alloc(ctx->a, cap);
    if (k == NULL) {
        return PZ_ENOMEM;
    }
    *out = (pz_view_t){k, (uint32_t)pz__mvcc_key_record(k, cap, anchor, id)};
    return 0;
}

/* Loads the record under key (views into the arena); *found false when there is none. */
static int s_load(pz_mvcc_ctx_t *ctx, pz_view_t key, pz_kv_txn_record_t *rec, bool *found)
{
    *found = false;
    const uint8_t *v = NULL;
    size_t len = 0;
    int rc = pz_engine_get(ctx->snap, key.ptr, key.len, &v, &len);
    if (rc == PZ_ENOTFOUND) {
        return 0;
    }
    pz_view_t copy = rc == 0 ? pz_arena_dup(ctx->a, v, len) : (pz_view_t){NULL, 0};
    if (rc != 0 || copy.ptr == NULL) {
        return rc ? rc : PZ_ENOMEM;
    }
    pz_cur_t c;
    rc = pz__cur_init(copy.ptr, copy.len, &c);
    rc = rc ? rc : pz_kv_txn_record_decode_cur(&c, rec, ctx->a, 0);
    if (rc != 0) {
        return rc == PZ_ENOMEM ? rc : PZ_ECORRUPT;
    }
    *found = true;
    return 0;
}

static int s_store(pz_mvcc_ctx_t *ctx, pz_view_t key, const pz_kv_txn_record_t *rec)
{
    pz_view_t packed;
    int rc = pz__mvcc_pack_record(ctx->a, rec, &packed);
    return rc ? rc : pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_PUT, key, packed);
}

static pz_hlc_t s_write_ts(const pz_kv_txn_t *t)
{
    return s_max_ts(t->write_ts, t->read_ts);
}

/* A PENDING record made from the transaction's meta. */
static pz_kv_txn_record_t s_pending(const pz_kv_txn_t *t, pz_hlc_t heartbeat)
{
    pz_kv_txn_record_t rec;
    memset(&rec, 0, sizeof rec);
    rec.txn = pz__mvcc_txn_meta(t, s_write_ts(t));
    rec.status = PZ_TXN_PENDING;
    rec.last_heartbeat = heartbeat;
    return rec;
}

static void s_answer(pz_kv_resp_t *r, const pz_kv_txn_record_t *rec)
{
    r->has_ext = true;
    r->ext.has_record = true;
    r->ext.record = *rec;
}

/* Fails request i with code and the record as found. */
static int s_fail_record(pz_mvcc_ctx_t *ctx, int code, uint32_t i, const char *why,
                         const pz_kv_txn_record_t *rec)
{
    pz__mvcc_set_error(ctx, code, (int32_t)i, why);
    ctx->resp->error.has_record = true;
    ctx->resp->error.record = *rec;
    return code;
}

static int s_failed(pz_mvcc_ctx_t *ctx, int rc, uint32_t i)
{
    return pz__mvcc_set_error(ctx, rc, (int32_t)i,
                              rc == PZ_ELIMIT ? "too many lock spans"
                                              : "transaction record op failed");
}

int pz__mvcc_heartbeat(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_txn_t *t = ctx->txn;
    PZ_ST_ASSERT(t != NULL);
    pz_view_t key;
    pz_kv_txn_record_t rec;
    bool found = false;
    int rc = s_key(ctx, ctx->b->reqs[i].key, t->id, &key);
    rc = rc ? rc : s_load(ctx, key, &rec, &found);
    if (rc != 0) {
        return s_failed(ctx, rc, i);
    }
    if (!found) {
        rec = s_pending(t, ctx->env->now);
    } else if (rec.status == PZ_TXN_ABORTED) {
        return s_fail_record(ctx, PZ_ETXN_ABORTED, i, pz_strerror(PZ_ETXN_ABORTED), &rec);
    } else if (rec.status == PZ_TXN_PENDING) {
        rec.last_heartbeat = s_max_ts(rec.last_heartbeat, ctx->env->now);
    }
    if (rec.status == PZ_TXN_PENDING && (rc = s_store(ctx, key, &rec)) != 0) {
        return s_failed(ctx, rc, i);
    }
    s_answer(r, &rec);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* END_TXN                                                                                   */

/* This range's bounds, from its descriptor in the same snapshot; *known false when the store
 * has none (then no span counts as local). An empty end means the end of the key space. */
static int s_range_bounds(pz_mvcc_ctx_t *ctx, pz_view_t *start, pz_view_t *end, bool *known)
{
    *known = false;
    uint8_t dk[32];
    size_t dlen = pz_key_replica_desc(dk, sizeof dk, ctx->b->header.range_id);
    PZ_ST_ASSERT(dlen > 0);
    size_t plen = 0;
    pz_mvcc_ver_t ver;
    int rc = pz__mvcc_prefix(ctx, (pz_view_t){dk, (uint32_t)dlen}, &plen);
    rc = rc ? rc : pz__mvcc_read_at(&ctx->it, &ctx->kb, plen, (pz_hlc_t){UINT64_MAX, 0}, &ver);
    if (rc != 0 || !ver.live) {
        return rc;
    }
    pz_view_t copy = pz_arena_dup(ctx->a, ver.value.ptr, ver.value.len);
    pz_range_desc_t d;
    if (copy.ptr == NULL) {
        return PZ_ENOMEM;
    }
    if (pz_range_desc_unpack(copy.ptr, copy.len, ctx->a, &d) != 0) {
        return PZ_ECORRUPT;
    }
    *start = d.start_key;
    *end = d.end_key;
    *known = true;
    return 0;
}

/* The record's lock spans, grown in the arena. Past PZ_TXN_SPANS_MAX a span widens the last
 * one instead (resolving a wider span is correct, only slower). */
typedef struct s_spans {
    pz_kv_span_t *v;
    uint32_t len, cap;
} s_spans_t;

static int s_spans_add(pz_arena_t *a, s_spans_t *s, pz_view_t key, pz_view_t end)
{
    if (s->len == PZ_TXN_SPANS_MAX) {
        pz_kv_span_t *last = &s->v[s->len - 1];
        pz_view_t e = end.len ? end : key;
        pz_view_t le = last->end_key.len ? last->end_key : last->key;
        if (pz_view_cmp(key, last->key) < 0) {
            last->key = key;
        }
        /* A point's span ends after it: key + "\x00". */
        uint8_t *n = pz_arena_alloc(a, (size_t)(pz_view_cmp(e, le) > 0 ? e.len : le.len) + 1);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        pz_view_t m = pz_view_cmp(e, le) > 0 ? e : le;
        memcpy(n, m.ptr, m.len);
        n[m.len] = 0;
        last->end_key = (pz_view_t){n, m.len + 1};
        return 0;
    }
    if (s->len == s->cap) {
        uint32_t ncap = s->cap ? s->cap * 2 : 8;
        pz_kv_span_t *n = pz_arena_alloc(a, sizeof *n * ncap);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (s->len > 0) {
            memcpy(n, s->v, sizeof *n * s->len);
        }
        s->v = n;
        s->cap = ncap;
    }
    s->v[s->len++] = (pz_kv_span_t){.key = key, .end_key = end};
    return 0;
}

/* Splits span sp at the range bounds [rs, re): the inside is resolved (as far as the budget
 * goes), the outside and what the budget left go to out. */
static int s_end_span(pz_mvcc_ctx_t *ctx, const pz_kv_txn_t *t, uint8_t status,
                      const pz_kv_span_t *sp, pz_view_t rs, pz_view_t re, uint64_t *budget,
                      s_spans_t *out, uint64_t *n)
{
    pz_view_t s = sp->key, e = sp->end_key;
    bool point = e.len == 0;
    if (point) {
        bool in = pz_view_cmp(s, rs) >= 0 && (re.len == 0 || pz_view_cmp(s, re) < 0);
        pz_view_t resume = {NULL, 0};
        int rc = in ? pz__mvcc_resolve_span(ctx, t, status, s, e, budget, &resume, n) : 0;
        return rc ? rc : (!in || resume.len ? s_spans_add(ctx->a, out, s, e) : 0);
    }
    pz_view_t is = pz_view_cmp(s, rs) > 0 ? s : rs;
    pz_view_t ie = (re.len == 0 || pz_view_cmp(e, re) < 0) ? e : re;
    int rc = 0;
    if (pz_view_cmp(s, rs) < 0) {
        rc = s_spans_add(ctx->a, out, s, pz_view_cmp(e, rs) < 0 ? e : rs);
    }
    if (rc == 0 && re.len > 0 && pz_view_cmp(e, re) > 0) {
        rc = s_spans_add(ctx->a, out, pz_view_cmp(s, re) > 0 ? s : re, e);
    }
    if (rc == 0 && pz_view_cmp(is, ie) < 0) {
        pz_view_t resume = {NULL, 0};
        rc = pz__mvcc_resolve_span(ctx, t, status, is, ie, budget, &resume, n);
        if (rc == 0 && resume.len > 0) {
            rc = s_spans_add(ctx->a, out, resume, ie);
        }
    }
    return rc;
}

/* Resolves the spans inside this range and stores the rest in rec->lock_spans. */
static int s_end_resolve(pz_mvcc_ctx_t *ctx, const pz_kv_req_t *q, pz_kv_txn_record_t *rec,
                         uint64_t *n)
{
    pz_view_t rs = {NULL, 0}, re = {NULL, 0};
    bool known = false;
    int rc = s_range_bounds(ctx, &rs, &re, &known);
    s_spans_t out = {0};
    /* The committing transaction as RESOLVE would name it: its savepoint rollbacks decide
     * which history entry becomes the version. */
    pz_kv_txn_t t = *ctx->txn;
    t.write_ts = rec->txn.write_ts;
    t.epoch = rec->txn.epoch;
    uint64_t budget = S_END_RESOLVE_MAX;
    for (uint32_t k = 0; rc == 0 && k < q->ext.spans_len; k++) {
        const pz_kv_span_t *sp = &q->ext.spans[k];
        if (!known) {
            rc = s_spans_add(ctx->a, &out, sp->key, sp->end_key);
            continue;
        }
        rc = s_end_span(ctx, &t, rec->status, sp, rs, re, &budget, &out, n);
    }
    rec->lock_spans = out.v;
    rec->lock_spans_len = out.len;
    return rc;
}

/* The record END_TXN starts from, or an error (the batch error is set). */
static int s_end_check(pz_mvcc_ctx_t *ctx, uint32_t i, const pz_kv_txn_record_t *rec, bool found)
{
    bool commit = ctx->b->reqs[i].ext.commit;
    if (!found) {
        return 0;
    }
    if (rec->status == PZ_TXN_ABORTED && commit) {
        return s_fail_record(ctx, PZ_ETXN_ABORTED, i, pz_strerror(PZ_ETXN_ABORTED), rec);
    }
    if (rec->status == PZ_TXN_COMMITTED && !commit) {
        return s_fail_record(ctx, PZ_EINVAL, i, "transaction is already committed", rec);
    }
    if (rec->status == PZ_TXN_PENDING && commit &&
        pz_hlc_cmp(rec->txn.write_ts, ctx->txn->write_ts) > 0) {
        /* A pusher moved the transaction: its reads must be refreshed up to there first. */
        ctx->conflict.ts = rec->txn.write_ts;
        return s_fail_record(ctx, PZ_ETXN_RETRY, i,
                             "restart transaction: pushed, refresh to "
                             "the record's timestamp",
                             rec);
    }
    return 0;
}

int pz__mvcc_end_txn(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    const pz_kv_txn_t *t = ctx->txn;
    PZ_ST_ASSERT(t != NULL && q->has_ext);
    pz_view_t key;
    pz_kv_txn_record_t rec;
    bool found = false;
    int rc = s_key(ctx, q->key, t->id, &key);
    rc = rc ? rc : s_load(ctx, key, &rec, &found);
    if (rc != 0) {
        return s_failed(ctx, rc, i);
    }
    if ((rc = s_end_check(ctx, i, &rec, found)) != 0) {
        return rc;
    }
    if (found && rec.status == PZ_TXN_COMMITTED) {
        s_answer(r, &rec); /* a repeated commit: idempotent */
        return 0;
    }
    bool was_aborted = found && rec.status == PZ_TXN_ABORTED;
    pz_hlc_t hb = found ? rec.last_heartbeat : ctx->env->now;
    uint8_t reason = was_aborted ? rec.abort_reason : PZ_ABORT_CLIENT;
    rec = s_pending(t, hb);
    rec.status = q->ext.commit ? PZ_TXN_COMMITTED : PZ_TXN_ABORTED;
    rec.abort_reason = q->ext.commit ? 0 : reason;
    uint64_t n = 0;
    rc = s_end_resolve(ctx, q, &rec, &n);
    rc = rc ? rc : s_store(ctx, key, &rec);
    if (rc != 0) {
        return s_failed(ctx, rc, i);
    }
    r->num_deleted = n;
    s_answer(r, &rec);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* PUSH_TXN and QUERY_TXN                                                                    */

static bool s_expired(const pz_mvcc_ctx_t *ctx, const pz_kv_txn_record_t *rec)
{
    pz_hlc_t base = s_max_ts(rec->last_heartbeat, rec->txn.min_ts);
    uint64_t now = ctx->env->now.wall;
    return now > base.wall && now - base.wall > (uint64_t)PZ_TXN_EXPIRY_MS * 1000000u;
}

/* What a push does to a PENDING record: *write when it changes it, false when it fails. */
static bool s_push_decide(const pz_mvcc_ctx_t *ctx, const pz_kv_req_ext_t *x,
                          pz_kv_txn_record_t *rec, bool *write)
{
    uint32_t pusher = x->has_pusher ? x->pusher.priority : PZ_TXN_PRIORITY_NORMAL;
    uint32_t pushee =
        rec->txn.priority > x->pushee.priority ? rec->txn.priority : x->pushee.priority;
    *write = true;
    rec->status = PZ_TXN_ABORTED;
    if (x->force) {
        rec->abort_reason = PZ_ABORT_DEADLOCK;
        return true;
    }
    if (s_expired(ctx, rec)) {
        rec->abort_reason = PZ_ABORT_EXPIRED;
        return true;
    }
    rec->status = PZ_TXN_PENDING;
    if (x->push_type == PZ_PUSH_TOUCH) {
        *write = false;
        return false;
    }
    if (x->push_type == PZ_PUSH_TIMESTAMP) {
        if (pz_hlc_cmp(rec->txn.write_ts, x->push_to) > 0) {
            *write = false; /* already above */
            return true;
        }
        if (rec->txn.isolation == PZ_ISO_READ_COMMITTED || pusher > pushee) {
            rec->txn.write_ts = pz_hlc_next(x->push_to);
            return true;
        }
        *write = false;
        return false;
    }
    if (pusher > pushee) {
        rec->status = PZ_TXN_ABORTED;
        rec->abort_reason = PZ_ABORT_PUSHED;
        return true;
    }
    *write = false;
    return false;
}

int pz__mvcc_push_txn(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    const pz_kv_req_ext_t *x = &q->ext;
    PZ_ST_ASSERT(q->has_ext && x->has_pushee);
    pz_view_t key;
    pz_kv_txn_record_t rec;
    bool found = false;
    int rc = s_key(ctx, q->key, x->pushee.id, &key);
    rc = rc ? rc : s_load(ctx, key, &rec, &found);
    if (rc != 0) {
        return s_failed(ctx, rc, i);
    }
    if (!found) {
        rec = s_pending(&x->pushee, (pz_hlc_t){0, 0});
    }
    if (rec.status != PZ_TXN_PENDING) {
        s_answer(r, &rec); /* finalized: nothing left to push */
        return 0;
    }
    pz_kv_txn_record_t after = rec;
    bool write = false;
    if (!s_push_decide(ctx, x, &after, &write)) {
        return s_fail_record(ctx, PZ_EPUSH_FAILED, i, pz_strerror(PZ_EPUSH_FAILED), &rec);
    }
    if (write && (rc = s_store(ctx, key, &after)) != 0) {
        return s_failed(ctx, rc, i);
    }
    s_answer(r, &after);
    return 0;
}

int pz__mvcc_query_txn(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    PZ_ST_ASSERT(q->has_ext && q->ext.has_pushee);
    pz_view_t key;
    pz_kv_txn_record_t rec;
    bool found = false;
    int rc = s_key(ctx, q->key, q->ext.pushee.id, &key);
    rc = rc ? rc : s_load(ctx, key, &rec, &found);
    if (rc != 0) {
        return s_failed(ctx, rc, i);
    }
    if (!found) {
        rec = s_pending(&q->ext.pushee, (pz_hlc_t){0, 0});
    }
    /* deps (who waits on it) are repl's to fill: storage keeps no wait queues. */
    s_answer(r, &rec);
    return 0;
}
