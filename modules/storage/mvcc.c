/*
 * mvcc.c — evaluates a KV batch with MVCC over an engine snapshot (see kv.h for the semantics
 * of each request and mvcc_key.h for how versions are stored).
 *
 * Correctness rests on the repl layer's latches: no two batches with overlapping keys are in
 * flight at once (a batch holds its latches until storage replies, and storage replies to a
 * write only after its group commit). So evaluating against the last *committed* snapshot plus
 * the batch's own overlay is correct even while earlier, non-overlapping groups are still being
 * committed by the committer thread: nothing this batch reads or writes can be in them.
 *
 * Evaluation, as CockroachDB evaluates a non-transactional batch:
 *   1. Validation of every request (PZ_EINVAL with the request's index) before anything else.
 *   2. Write-too-old: a write may not land at or below an existing version of its key. A
 *      pre-check raises the timestamp above the newest version of every key a point write
 *      (PUT, CPUT, DEL) touches; the whole batch, reads included, is then evaluated at that
 *      timestamp, which the response reports. DEL_RANGE learns the keys it writes only while it
 *      scans, so a pass whose DEL_RANGE passes a version at or above the pass timestamp is
 *      rerun just above it (bounded by PZ_MVCC_EVAL_PASSES_MAX).
 *   3. Requests in order, reads looking at the overlay of the batch's own writes first.
 *   4. The overlay becomes the write set: one version (value or tombstone) per key at the
 *      batch timestamp. A failed batch writes nothing.
 *
 * Nothing returned points into the snapshot: values read through iterators are copied into the
 * arena (the engine ABI keeps them valid only until the iterator moves), so the caller can close
 * the snapshot before the reply is encoded.
 */
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

void pz__mvcc_note_wto(pz_hlc_t *wto, pz_hlc_t pass_ts, pz_hlc_t t)
{
    PZ_ST_ASSERT(wto != NULL);
    if (!pz_hlc_is_zero(t) && pz_hlc_cmp(t, pass_ts) >= 0 && pz_hlc_cmp(t, *wto) > 0) {
        *wto = t;
    }
}

int pz__mvcc_dup(pz_arena_t *a, pz_view_t in, pz_view_t *out)
{
    PZ_ST_ASSERT(a != NULL && out != NULL);
    if (in.len == 0) {
        *out = (pz_view_t){NULL, 0};
        return 0;
    }
    *out = pz_arena_dup(a, in.ptr, in.len);
    return out->ptr != NULL ? 0 : PZ_ENOMEM;
}

void pz__mvcc_fail(pz_kv_batch_resp_t *resp, int code, int32_t index, const char *message)
{
    PZ_ST_ASSERT(resp != NULL && code < 0 && index >= -1 && message != NULL);
    memset(&resp->error, 0, sizeof resp->error);
    resp->error.code = code;
    resp->error.index = index;
    resp->error.message = pz_view_str(message);
    resp->resps = NULL;
    resp->resps_len = 0;
}

int pz__mvcc_set_error(pz_mvcc_ctx_t *ctx, int code, int32_t index, const char *message)
{
    PZ_ST_ASSERT(ctx != NULL && ctx->resp != NULL);
    pz__mvcc_fail(ctx->resp, code, index, message);
    return code;
}

/* ---------------------------------------------------------------------------------------- */
/* Validation                                                                                */

/* The engine key of k (with a timestamp) must fit the engine ABI's key bound. */
static bool s_key_ok(pz_view_t k)
{
    if (k.len == 0 || k.len > PZ_KEY_BYTES_MAX) {
        return false;
    }
    size_t zeros = 0;
    for (const uint8_t *p = k.ptr; (p = memchr(p, 0, (size_t)(k.ptr + k.len - p))) != NULL; p++) {
        zeros++;
    }
    return k.len + zeros + PZ_MVCC_TERM_BYTES + PZ_MVCC_TS_BYTES <= PZ_KEY_BYTES_MAX;
}

/* NULL when the request is well-formed, else why not. */
static const char *s_req_invalid(const pz_kv_req_t *r)
{
    if (pz_kv_op_name(r->op) == NULL) {
        return "unknown request op";
    }
    if (r->op > PZ_KV_RSCAN) {
        return "request op not supported by this storage yet";
    }
    if (!s_key_ok(r->key)) {
        return "key is empty or too long";
    }
    if (pz_kv_op_is_span(r->op)) {
        if (!s_key_ok(r->end_key)) {
            return "end key is empty or too long";
        }
        if (pz_view_cmp(r->end_key, r->key) <= 0) {
            return "end key must be greater than key";
        }
    }
    /* The engine value is a tag byte plus the user value, and must itself fit the bound. */
    if ((r->op == PZ_KV_PUT || r->op == PZ_KV_CPUT) && r->value.len >= PZ_VALUE_BYTES_MAX) {
        return "value is too large";
    }
    if (r->op == PZ_KV_CPUT && r->exp_value.len >= PZ_VALUE_BYTES_MAX) {
        return "expected value is too large";
    }
    return NULL;
}

static int s_validate(pz_mvcc_ctx_t *ctx)
{
    const pz_kv_batch_t *b = ctx->b;
    if (pz_hlc_is_zero(b->header.ts)) {
        return pz__mvcc_set_error(ctx, PZ_EINVAL, -1, "batch timestamp is not set");
    }
    if (b->reqs_len > PZ_BATCH_REQS_MAX || (b->reqs_len > 0 && b->reqs == NULL)) {
        return pz__mvcc_set_error(ctx, PZ_EINVAL, -1, "too many requests");
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const char *why = s_req_invalid(&b->reqs[i]);
        if (why != NULL) {
            return pz__mvcc_set_error(ctx, PZ_EINVAL, (int32_t)i, why);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Point reads and writes                                                                    */

static int s_prefix(pz_mvcc_ctx_t *ctx, pz_view_t k, size_t *len)
{
    int rc = pz__mvcc_buf_reserve(&ctx->kb, pz__mvcc_key_cap(k.len));
    if (rc == 0) {
        *len = pz__mvcc_key_prefix(ctx->kb.p, ctx->kb.cap, k);
    }
    return rc;
}

/* The version of k visible to the batch at the pass timestamp: its own write, else the
 * snapshot's. A snapshot value lives until the point iterator moves. */
static int s_read(pz_mvcc_ctx_t *ctx, pz_view_t k, pz_mvcc_ver_t *ver)
{
    const pz_ovl_node_t *n = pz__ovl_get(&ctx->ov, k);
    if (n != NULL) {
        memset(ver, 0, sizeof *ver);
        ver->found = true;
        ver->live = n->live;
        ver->value = n->value;
        ver->ts = ctx->ts;
        return 0;
    }
    size_t len = 0;
    int rc = s_prefix(ctx, k, &len);
    return rc ? rc : pz__mvcc_read_at(&ctx->it, &ctx->kb, len, ctx->ts, ver);
}

/* Raises *ts above the newest version of every key a point write of the batch touches. */
static int s_precheck_point_writes(pz_mvcc_ctx_t *ctx, pz_hlc_t *ts)
{
    pz_hlc_t wto = {0, 0};
    for (uint32_t i = 0; i < ctx->b->reqs_len; i++) {
        const pz_kv_req_t *r = &ctx->b->reqs[i];
        if (!pz_kv_op_is_write(r->op) || pz_kv_op_is_span(r->op)) {
            continue;
        }
        size_t len = 0;
        pz_mvcc_ver_t ver;
        int rc = s_prefix(ctx, r->key, &len);
        rc = rc ? rc : pz__mvcc_read_at(&ctx->it, &ctx->kb, len, ctx->b->header.ts, &ver);
        if (rc != 0) {
            return pz__mvcc_set_error(ctx, rc, (int32_t)i, "reading the key failed");
        }
        pz__mvcc_note_wto(&wto, ctx->b->header.ts, ver.newest);
    }
    *ts = pz_hlc_is_zero(wto) ? ctx->b->header.ts : pz_hlc_next(wto);
    return 0;
}

static int s_get(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    pz_mvcc_ver_t ver;
    int rc = s_read(ctx, ctx->b->reqs[i].key, &ver);
    if (rc == 0 && ver.live) {
        r->found = true;
        r->ts = ver.ts;
        rc = pz__mvcc_dup(ctx->a, ver.value, &r->value);
        ctx->bytes_used += ver.value.len;
    }
    return rc ? pz__mvcc_set_error(ctx, rc, (int32_t)i, "reading the key failed") : 0;
}

static int s_cput(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    pz_mvcc_ver_t ver;
    int rc = s_read(ctx, q->key, &ver);
    if (rc != 0) {
        return pz__mvcc_set_error(ctx, rc, (int32_t)i, "reading the key failed");
    }
    bool ok = q->exp_exists ? (ver.live && pz_view_eq(ver.value, q->exp_value)) : !ver.live;
    if (!ok) {
        pz_view_t actual = {NULL, 0};
        if (pz__mvcc_dup(ctx->a, ver.value, &actual) != 0) {
            return pz__mvcc_set_error(ctx, PZ_ENOMEM, (int32_t)i, "out of memory");
        }
        pz__mvcc_set_error(ctx, PZ_ECONDFAILED, (int32_t)i, "condition failed");
        ctx->resp->error.has_actual = ver.live;
        ctx->resp->error.actual_value = actual;
        return PZ_ECONDFAILED;
    }
    r->ts = ctx->ts;
    rc = pz__ovl_put(&ctx->ov, q->key, true, q->value);
    return rc ? pz__mvcc_set_error(ctx, rc, (int32_t)i, "out of memory") : 0;
}

static int s_put_or_del(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    const pz_kv_req_t *q = &ctx->b->reqs[i];
    bool del = q->op == PZ_KV_DEL;
    int rc = 0;
    if (del) {
        pz_mvcc_ver_t ver;
        rc = s_read(ctx, q->key, &ver);
        r->num_deleted = rc == 0 && ver.live ? 1 : 0;
    }
    r->ts = ctx->ts;
    if (rc == 0) {
        /* A DEL writes its tombstone even over nothing, as CockroachDB does: the write is what
         * orders it against later readers. */
        rc = pz__ovl_put(&ctx->ov, q->key, !del, del ? (pz_view_t){NULL, 0} : q->value);
    }
    return rc ? pz__mvcc_set_error(ctx, rc, (int32_t)i, "writing the key failed") : 0;
}

static int s_request(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r)
{
    r->op = ctx->b->reqs[i].op;
    switch (r->op) {
    case PZ_KV_GET:
        return s_get(ctx, i, r);
    case PZ_KV_PUT:
    case PZ_KV_DEL:
        return s_put_or_del(ctx, i, r);
    case PZ_KV_CPUT:
        return s_cput(ctx, i, r);
    case PZ_KV_DEL_RANGE:
        return pz__mvcc_del_range(ctx, i, r);
    case PZ_KV_SCAN:
    case PZ_KV_RSCAN:
        return pz__mvcc_scan(ctx, i, r);
    default:
        PZ_ST_ASSERT(!"op passed validation"); /* s_validate refused it */
        return PZ_EINVAL;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Passes and the write set                                                                  */

/* Evaluates every request at ts from a fresh overlay; ctx->wto says whether to rerun. */
static int s_pass(pz_mvcc_ctx_t *ctx, pz_hlc_t ts)
{
    const pz_kv_batch_t *b = ctx->b;
    ctx->ts = ts;
    ctx->wto = (pz_hlc_t){0, 0};
    ctx->keys_left = b->header.max_keys ? b->header.max_keys : UINT64_MAX;
    ctx->bytes_used = 0;
    ctx->resp->ts = ts;
    int rc = pz__ovl_init(&ctx->ov, ctx->a);
    pz_kv_resp_t *resps = NULL;
    if (rc == 0 && b->reqs_len > 0) {
        resps = pz_arena_alloc(ctx->a, sizeof *resps * b->reqs_len);
        rc = resps != NULL ? 0 : PZ_ENOMEM;
    }
    if (rc != 0) {
        return pz__mvcc_set_error(ctx, rc, -1, "out of memory");
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        if ((rc = s_request(ctx, i, &resps[i])) != 0) {
            PZ_ST_ASSERT(ctx->resp->error.code == rc);
            return rc;
        }
    }
    ctx->resp->resps = resps;
    ctx->resp->resps_len = b->reqs_len;
    return 0;
}

/* One PUT op per overlay key: the value or tombstone version at the batch timestamp. */
static int s_build_ops(pz_mvcc_ctx_t *ctx, pz_mvcc_result_t *out)
{
    size_t n = ctx->ov.len;
    if (n == 0) {
        return 0;
    }
    pz_engine_op_t *ops = pz_arena_alloc(ctx->a, sizeof *ops * n);
    if (ops == NULL) {
        return PZ_ENOMEM;
    }
    size_t i = 0, bytes = 0;
    for (const pz_ovl_node_t *x = pz__ovl_first(&ctx->ov); x != NULL; x = x->next[0], i++) {
        size_t cap = pz__mvcc_key_cap(x->key.len);
        uint8_t *k = pz_arena_alloc(ctx->a, cap);
        uint8_t *v = pz_arena_alloc(ctx->a, 1 + (size_t)x->value.len);
        if (k == NULL || v == NULL) {
            return PZ_ENOMEM;
        }
        v[0] = x->live ? PZ_MVCC_TAG_VALUE : PZ_MVCC_TAG_TOMBSTONE;
        if (x->value.len > 0) {
            memcpy(v + 1, x->value.ptr, x->value.len);
        }
        ops[i] = (pz_engine_op_t){.kind = PZ_ENGINE_PUT,
                                  .key = k,
                                  .key_len = pz__mvcc_key_version(k, cap, x->key, ctx->ts),
                                  .value = v,
                                  .value_len = 1 + (size_t)x->value.len};
        bytes += ops[i].key_len + ops[i].value_len;
    }
    PZ_ST_ASSERT(i == n);
    out->ops = ops;
    out->ops_len = n;
    out->ops_bytes = bytes;
    return 0;
}

static int s_eval(pz_mvcc_ctx_t *ctx, pz_mvcc_result_t *out)
{
    pz_hlc_t ts;
    int rc = s_precheck_point_writes(ctx, &ts);
    for (int pass = 0; rc == 0; pass++) {
        if (pass == PZ_MVCC_EVAL_PASSES_MAX) {
            return pz__mvcc_set_error(ctx, PZ_EBUSY, -1, "write timestamp did not settle");
        }
        if ((rc = s_pass(ctx, ts)) != 0) {
            return rc;
        }
        if (pz_hlc_is_zero(ctx->wto)) {
            break;
        }
        PZ_ST_ASSERT(pz_hlc_cmp(ctx->wto, ts) >= 0);
        ts = pz_hlc_next(ctx->wto);
    }
    if (rc == 0 && (rc = s_build_ops(ctx, out)) != 0) {
        out->ops = NULL;
        out->ops_len = 0;
        out->ops_bytes = 0;
        return pz__mvcc_set_error(ctx, rc, -1, "out of memory");
    }
    return rc;
}

int pz__mvcc_eval(pz_eng_snap_t *snap, const pz_kv_batch_t *b, pz_arena_t *a, pz_mvcc_result_t *out)
{
    PZ_ST_ASSERT(snap != NULL && snap->s != NULL && b != NULL && a != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    out->resp.ts = b->header.ts;
    out->resp.error.index = -1;
    pz_mvcc_ctx_t ctx = {.snap = snap, .a = a, .b = b, .resp = &out->resp};
    int rc = s_validate(&ctx);
    if (rc == 0 && (rc = pz_engine_iter_open(snap, &ctx.it)) != 0) {
        pz__mvcc_set_error(&ctx, rc, -1, "opening an engine iterator failed");
    }
    if (rc == 0) {
        rc = s_eval(&ctx, out);
    }
    if (ctx.it.it != NULL) {
        pz_engine_iter_close(&ctx.it);
    }
    pz__mvcc_buf_free(&ctx.kb);
    PZ_ST_ASSERT(rc == out->resp.error.code);
    PZ_ST_ASSERT(rc == 0 || out->ops_len == 0);
    return rc;
}
