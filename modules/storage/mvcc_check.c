/*
 * mvcc_check.c — validation of a KV batch before evaluation: every request, then the rules that
 * bind requests of one batch together. A refused batch gets PZ_EINVAL with the request's index
 * (-1 for the whole batch) and touches nothing.
 *
 * Batch rules, and why:
 *   - reads and writes of versions (GET ... RSCAN) do not share a batch with the transaction,
 *     resolve, refresh and GC ops: those read the committed snapshot, not the batch's overlay,
 *     so mixing them would make one see the other's writes or not depending on order;
 *   - HEARTBEAT_TXN, END_TXN and PUSH_TXN rewrite a record and go alone in their batch, for the
 *     same reason (two of them on one record would each start from the snapshot's);
 *   - a non-transactional batch of reads and writes needs header.ts; a transactional one needs
 *     txn.read_ts (its header.ts is not used).
 */
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

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

static bool s_is_mvcc(uint8_t op)
{
    return op >= PZ_KV_GET && op <= PZ_KV_RSCAN;
}

static bool s_writes_record(uint8_t op)
{
    return op == PZ_KV_HEARTBEAT_TXN || op == PZ_KV_END_TXN || op == PZ_KV_PUSH_TXN;
}

static bool s_txn_ok(const pz_kv_txn_t *t)
{
    return t->id.len > 0 && t->id.len <= PZ_TXN_ID_BYTES && !pz_hlc_is_zero(t->read_ts);
}

/* NULL when what op r needs of the batch header and of ext is there, else why not. */
static const char *s_ext_invalid(const pz_kv_batch_t *b, const pz_kv_req_t *r)
{
    const pz_kv_req_ext_t *x = r->has_ext ? &r->ext : NULL;
    bool txn = b->header.has_txn;
    switch (r->op) {
    case PZ_KV_HEARTBEAT_TXN:
        return txn ? NULL : "HEARTBEAT_TXN needs header.txn";
    case PZ_KV_END_TXN:
        return txn && x != NULL ? NULL : "END_TXN needs header.txn and ext";
    case PZ_KV_PUSH_TXN:
        if (x == NULL || !x->has_pushee || x->pushee.id.len == 0) {
            return "PUSH_TXN needs ext.pushee";
        }
        return x->push_type >= PZ_PUSH_TIMESTAMP && x->push_type <= PZ_PUSH_TOUCH
                   ? NULL
                   : "PUSH_TXN needs a push type";
    case PZ_KV_QUERY_TXN:
        return x != NULL && x->has_pushee && x->pushee.id.len > 0 ? NULL
                                                                  : "QUERY_TXN needs ext.pushee";
    case PZ_KV_RESOLVE:
        if (x == NULL || !x->has_pushee || x->pushee.id.len == 0) {
            return "RESOLVE needs ext.pushee";
        }
        return x->status >= PZ_TXN_PENDING && x->status <= PZ_TXN_ABORTED
                   ? NULL
                   : "RESOLVE needs a status";
    case PZ_KV_REFRESH:
        return txn && x != NULL ? NULL : "REFRESH needs header.txn and ext";
    case PZ_KV_GC:
        return x != NULL && !pz_hlc_is_zero(x->gc_ts) ? NULL : "GC needs ext.gc_ts";
    default:
        return NULL;
    }
}

/* NULL when the request is well-formed, else why not. */
static const char *s_req_invalid(const pz_kv_batch_t *b, const pz_kv_req_t *r)
{
    if (pz_kv_op_name(r->op) == NULL) {
        return "unknown request op";
    }
    if (r->op == PZ_KV_SPLIT) {
        return "SPLIT is not a storage op";
    }
    if (!s_key_ok(r->key)) {
        return "key is empty or too long";
    }
    if (pz_kv_req_is_span(r)) {
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
    if (r->lock > PZ_LOCK_SHARED) {
        return "unknown lock strength";
    }
    if (r->lock != PZ_LOCK_NONE) {
        bool read = r->op == PZ_KV_GET || r->op == PZ_KV_SCAN || r->op == PZ_KV_RSCAN;
        if (!read || !b->header.has_txn) {
            return "a lock is taken by a GET, SCAN or RSCAN in a transaction";
        }
    }
    return s_ext_invalid(b, r);
}

/* NULL when the requests may share the batch, else why not. */
static const char *s_batch_invalid(const pz_kv_batch_t *b)
{
    bool mvcc = false, other = false, record = false;
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        uint8_t op = b->reqs[i].op;
        mvcc |= s_is_mvcc(op);
        other |= !s_is_mvcc(op);
        record |= s_writes_record(op);
    }
    if (mvcc && other) {
        return "reads and writes do not share a batch with transaction or admin ops";
    }
    if (record && b->reqs_len > 1) {
        return "HEARTBEAT_TXN, END_TXN and PUSH_TXN go alone in their batch";
    }
    if (b->header.has_txn && !s_txn_ok(&b->header.txn)) {
        return "transaction without an id or a read timestamp";
    }
    if ((mvcc || b->reqs_len == 0) && !b->header.has_txn && pz_hlc_is_zero(b->header.ts)) {
        return "batch timestamp is not set";
    }
    return NULL;
}

int pz__mvcc_validate(pz_mvcc_ctx_t *ctx)
{
    const pz_kv_batch_t *b = ctx->b;
    if (b->reqs_len > PZ_BATCH_REQS_MAX || (b->reqs_len > 0 && b->reqs == NULL)) {
        return pz__mvcc_set_error(ctx, PZ_EINVAL, -1, "too many requests");
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const char *why = s_req_invalid(b, &b->reqs[i]);
        if (why != NULL) {
            return pz__mvcc_set_error(ctx, PZ_EINVAL, (int32_t)i, why);
        }
    }
    const char *why = s_batch_invalid(b);
    return why != NULL ? pz__mvcc_set_error(ctx, PZ_EINVAL, -1, why) : 0;
}
