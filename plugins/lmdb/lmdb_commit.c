/*
 * lmdb_commit.c — batch_commit: one LMDB write transaction per batch.
 *
 * A batch is validated as a whole first, so bad input changes nothing and never starts a txn.
 * Then its ops are applied in order in one write txn (a later op on the same key wins), and the
 * txn is committed; any failure aborts the txn, so a failed batch applies none of its ops.
 *
 * Durability: durable=false commits with PZ_LMDB_LAZY_FLAG set; durable=true commits with it
 * clear, which fsyncs the data file before the meta page is written and so also makes every
 * earlier lazy commit durable. LMDB 0.9 takes the flag only per env, so it is toggled with
 * mdb_env_set_flags() between commits; only one commit runs at a time (commit_mu).
 *
 * The lazy flag is MDB_NOMETASYNC: the data is fsynced, the meta page is not, so an OS crash
 * drops the last commits, intact — the ABI's "only whole batches, in commit order". MDB_NOSYNC
 * (no fsync at all) is cheaper but, as LMDB documents, an OS crash on a filesystem that does not
 * keep write order may leave the store corrupt: a store must never be corrupt, so not that.
 * Non-durable commits are rare (benchmarks, --no-sync), and group commit amortizes the rest.
 *
 * Map growth: MDB_MAP_FULL aborts the txn, the map doubles (bounded by max_map_bytes) through
 * the reader gate, and the whole batch is retried; PZ_EMAPFULL when the bound is reached or
 * snapshots keep the gate busy.
 *
 * Key size: LMDB refuses keys longer than mdb_env_get_maxkeysize() (511 bytes as Debian builds
 * it), far below PZ_KEY_BYTES_MAX (64 KiB). PUT and DEL of a longer key return PZ_ETOOBIG
 * (SQLSTATE 54000 for the client), malformed ops PZ_EINVAL.
 * Bounds (DEL_RANGE ends, seek keys, approx_size spans) may be longer: they are only compared.
 */
#include <assert.h>
#include <errno.h>
#include <sys/statvfs.h>

#include "phantomzero/errors.h"
#include "phantomzero/limits.h"
#include "lmdb_internal.h"

#define PZ_LMDB_LAZY_FLAG MDB_NOMETASYNC

/* Whether the engine can apply op at all; checked for the whole batch before any write.
 * PZ_ETOOBIG for a key or value past what LMDB stores (a client-visible limit, 54000), PZ_EINVAL
 * for a malformed op. */
static int s_op_check(const pz_engine_t *e, const pz_engine_op_t *op)
{
    assert(e != NULL && op != NULL);
    bool well_formed =
        (op->key != NULL || op->key_len == 0) && (op->value != NULL || op->value_len == 0);
    size_t key_max = op->kind == PZ_ENGINE_DEL_RANGE ? PZ_KEY_BYTES_MAX : e->key_bytes_max;
    size_t value_max = op->kind == PZ_ENGINE_DEL_RANGE ? PZ_KEY_BYTES_MAX : PZ_VALUE_BYTES_MAX;
    switch (op->kind) {
    case PZ_ENGINE_PUT:
    case PZ_ENGINE_DEL:
        well_formed &= op->key_len > 0;
        break;
    case PZ_ENGINE_DEL_RANGE:
        break;
    default:
        return PZ_EINVAL;
    }
    if (!well_formed) {
        return PZ_EINVAL;
    }
    return op->key_len <= key_max && op->value_len <= value_max ? PZ_OK : PZ_ETOOBIG;
}

static int s_batch_validate(const pz_engine_t *e, const pz_engine_batch_t *b)
{
    assert(e != NULL && b != NULL);
    if (b->ops == NULL && b->ops_len > 0) {
        return PZ_EINVAL;
    }
    for (size_t i = 0; i < b->ops_len; i++) {
        int rc = s_op_check(e, &b->ops[i]);
        if (rc != PZ_OK) {
            return rc;
        }
    }
    return PZ_OK;
}

/* Deletes every key in [start, end). An empty end bounds nothing from above only in
 * approx_size; here [start, "") is empty, since no key sorts below the empty key. */
static int s_del_range(const pz_engine_t *e, MDB_txn *txn, const pz_engine_op_t *op)
{
    assert(op->kind == PZ_ENGINE_DEL_RANGE);
    const uint8_t *end = op->value;
    size_t end_len = op->value_len;
    if (pz__lmdb_key_cmp(op->key, op->key_len, end, end_len) >= 0) {
        return 0;
    }
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, e->dbi, &cur);
    if (rc != 0) {
        return rc;
    }
    MDB_val k, v;
    rc = pz__lmdb_cursor_seek_ge(e, cur, op->key, op->key_len, &k, &v);
    while (rc == 0 && pz__lmdb_key_cmp(k.mv_data, k.mv_size, end, end_len) < 0) {
        rc = mdb_cursor_del(cur, 0);
        if (rc == 0) {
            /* After a delete LMDB leaves the cursor on the successor: MDB_NEXT returns it. */
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Applies one validated op; returns an LMDB code. */
static int s_apply_op(const pz_engine_t *e, MDB_txn *txn, const pz_engine_op_t *op)
{
    assert(e != NULL && txn != NULL);
    MDB_val k = {.mv_size = op->key_len, .mv_data = (void *)op->key};
    MDB_val v = {.mv_size = op->value_len, .mv_data = (void *)op->value};
    int rc;
    switch (op->kind) {
    case PZ_ENGINE_PUT:
        return mdb_put(txn, e->dbi, &k, &v, 0);
    case PZ_ENGINE_DEL:
        rc = mdb_del(txn, e->dbi, &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    case PZ_ENGINE_DEL_RANGE:
        return s_del_range(e, txn, op);
    default:
        assert(!"op kind not validated");
        return EINVAL;
    }
}

/* Sets or clears the lazy flag. Other threads' read txns read the env's flag word while this
 * writes it; they test only bits that never change (MDB_NOTLS, MDB_RDONLY, MDB_WRITEMAP). */
static int s_set_lazy(pz_engine_t *e, bool lazy)
{
    assert(e != NULL && !e->read_only);
    if (e->lazy == lazy) {
        return 0;
    }
    int rc = mdb_env_set_flags(e->env, PZ_LMDB_LAZY_FLAG, lazy ? 1 : 0);
    if (rc == 0) {
        e->lazy = lazy;
    }
    return rc;
}

/* One attempt: begin, apply every op, commit. Returns an LMDB code; the txn is gone either
 * way (mdb_txn_commit frees it on failure too). */
static int s_commit_once(pz_engine_t *e, const pz_engine_batch_t *b, bool durable)
{
    assert(e != NULL && b != NULL);
    if (b->ops_len == 0) {
        /* An empty durable batch is a sync barrier for earlier durable=false commits. */
        int src = durable && e->unsynced ? mdb_env_sync(e->env, 1) : 0;
        e->unsynced = e->unsynced && src != 0;
        return src;
    }
    int rc = s_set_lazy(e, !durable);
    MDB_txn *txn = NULL;
    if (rc == 0) {
        rc = mdb_txn_begin(e->env, NULL, 0, &txn);
    }
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < b->ops_len; i++) {
        rc = s_apply_op(e, txn, &b->ops[i]);
        if (rc != 0) {
            mdb_txn_abort(txn);
            return rc;
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc == 0) {
        e->unsynced = !durable;
    }
    return rc;
}

/* The next map size: double, capped by the bound, in whole pages. PZ_EMAPFULL at the bound. */
static int s_map_grow(pz_engine_t *e)
{
    assert(e != NULL);
    MDB_envinfo info;
    mdb_env_info(e->env, &info);
    uint64_t cur = info.me_mapsize;
    uint64_t next = cur > UINT64_MAX / 2 ? UINT64_MAX : cur * 2;
    if (next > SIZE_MAX) {
        next = SIZE_MAX;
    }
    if (e->max_map_bytes != 0 && next > e->max_map_bytes) {
        next = e->max_map_bytes;
    }
    next &= ~(uint64_t)(e->page_bytes - 1);
    if (next <= cur) {
        return PZ_EMAPFULL;
    }
    assert(next % e->page_bytes == 0);
    return pz__lmdb_gate_resize(e, next);
}

/* LMDB turns a write cut short by a full disk into EIO; call it PZ_ENOSPC when the disk is in
 * fact (nearly) full, which is what the caller can act on. */
static int s_commit_err(const pz_engine_t *e, int rc)
{
    assert(rc != 0);
    if (rc == EIO) {
        struct statvfs st;
        if (statvfs(e->path, &st) == 0 &&
            (uint64_t)st.f_bavail * st.f_frsize < PZ_LMDB_NEARLY_FULL_BYTES) {
            return PZ_ENOSPC;
        }
    }
    return pz__lmdb_err(rc);
}

static int s_commit_growing(pz_engine_t *e, const pz_engine_batch_t *b, bool durable)
{
    assert(e != NULL && b != NULL);
    for (int attempt = 0; attempt < PZ_LMDB_GROW_ATTEMPTS_MAX; attempt++) {
        int rc = s_commit_once(e, b, durable);
        if (rc == 0) {
            return PZ_OK;
        }
        if (rc != MDB_MAP_FULL) {
            return s_commit_err(e, rc);
        }
        int grc = s_map_grow(e);
        if (grc != PZ_OK) {
            return grc;
        }
    }
    return PZ_EMAPFULL;
}

int pz__lmdb_batch_commit(pz_engine_t *e, const pz_engine_batch_t *b, bool durable)
{
    assert(e != NULL && b != NULL);
    if (e->read_only) {
        return PZ_EINVAL;
    }
    int rc = s_batch_validate(e, b);
    if (rc != PZ_OK) {
        return rc;
    }
    pthread_mutex_lock(&e->commit_mu);
    pthread_mutex_lock(&e->gate_mu);
    bool broken = e->broken;
    pthread_mutex_unlock(&e->gate_mu);
    rc = broken ? PZ_EIO : s_commit_growing(e, b, durable);
    pthread_mutex_unlock(&e->commit_mu);
    return rc;
}
