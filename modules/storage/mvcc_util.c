/*
 * mvcc_util.c — small helpers the MVCC files share (mvcc_internal.h): arena copies, errors with
 * their conflict details, the growing write set, and packing stored values.
 */
#include <stdlib.h>
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

void pz__mvcc_locking_rd(pz_mvcc_rd_t *rd, uint8_t strength)
{
    PZ_ST_ASSERT(rd != NULL && rd->txn != NULL);
    PZ_ST_ASSERT(pz_hlc_cmp(rd->limit, rd->read_ts) >= 0);
    PZ_ST_ASSERT(strength == PZ_LOCK_SHARED || strength == PZ_LOCK_EXCLUSIVE);
    rd->strict = true;
    rd->shared = strength == PZ_LOCK_SHARED;
    rd->limit = rd->read_ts;
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
    pz_kv_error_t *e = &ctx->resp->error;
    if (code == PZ_EWRITE_INTENT) {
        e->has_intent = true;
        e->intent.key = ctx->conflict.key;
        e->intent.txn = ctx->conflict.txn;
    } else if (code == PZ_EUNCERTAIN || code == PZ_ETXN_RETRY || code == PZ_EGC_THRESHOLD ||
               code == PZ_EWRITE_TOO_OLD) {
        e->existing_ts = ctx->conflict.ts;
    }
    return code;
}

int pz__mvcc_prefix(pz_mvcc_ctx_t *ctx, pz_view_t k, size_t *len)
{
    PZ_ST_ASSERT(ctx != NULL && len != NULL);
    int rc = pz__mvcc_buf_reserve(&ctx->kb, pz__mvcc_key_cap(k.len));
    if (rc == 0) {
        *len = pz__mvcc_key_prefix(ctx->kb.p, ctx->kb.cap, k);
    }
    return rc;
}

int pz__mvcc_ops_add(pz_arena_t *a, pz_mvcc_ops_t *ops, uint8_t kind, pz_view_t key,
                     pz_view_t value)
{
    PZ_ST_ASSERT(a != NULL && ops != NULL && key.len > 0);
    PZ_ST_ASSERT(kind == PZ_ENGINE_PUT || kind == PZ_ENGINE_DEL);
    if (ops->len == ops->cap) {
        size_t ncap = ops->cap ? ops->cap * 2 : 16;
        pz_engine_op_t *n = pz_arena_alloc(a, sizeof *n * ncap);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (ops->len > 0) {
            memcpy(n, ops->v, sizeof *n * ops->len);
        }
        ops->v = n;
        ops->cap = ncap;
    }
    ops->v[ops->len++] = (pz_engine_op_t){.kind = kind,
                                          .key = key.ptr,
                                          .key_len = key.len,
                                          .value = value.ptr,
                                          .value_len = value.len};
    ops->bytes += (size_t)key.len + value.len;
    return 0;
}

/* Moves a packed buffer into the arena. */
static int s_take(pz_arena_t *a, msgpack_sbuffer *sb, int rc, pz_view_t *out)
{
    if (rc == 0) {
        *out = pz_arena_dup(a, sb->data, sb->size);
        rc = out->ptr != NULL ? 0 : PZ_ENOMEM;
    }
    msgpack_sbuffer_destroy(sb);
    return rc;
}

#define S_PACK(fn, T)                                                                              \
    int fn(pz_arena_t *a, const T##_t *m, pz_view_t *out)                                          \
    {                                                                                              \
        PZ_ST_ASSERT(a != NULL && m != NULL && out != NULL);                                       \
        msgpack_sbuffer sb;                                                                        \
        msgpack_packer pk;                                                                         \
        msgpack_sbuffer_init(&sb);                                                                 \
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);                                      \
        return s_take(a, &sb, T##_encode(&pk, m), out);                                            \
    }

S_PACK(pz__mvcc_pack_intent, pz_mvcc_intent)
S_PACK(pz__mvcc_pack_record, pz_kv_txn_record)
