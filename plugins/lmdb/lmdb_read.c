/*
 * lmdb_read.c — snapshots, point reads and iterators.
 *
 * A snapshot is an LMDB read-only txn: it sees the last commit before snap_open and nothing
 * after, and never blocks the writer. It holds a place in the reader gate (lmdb_gate.c) for its
 * whole life, so the map is never remapped under the pointers it hands out: every key and value
 * pointer returned here stays valid until the snapshot closes (longer than the ABI promises).
 *
 * A closed snapshot is kept for reuse (up to PZ_LMDB_IDLE_SNAPS_MAX per engine, not under ASan,
 * which must see a snapshot used after its close): its txn reset (mdb_txn_reset: the reader slot
 * kept, the snapshot of the data let go) and its last iterator's cursor with it, so the next
 * snap_open renews them (mdb_txn_renew, mdb_cursor_renew) instead of allocating a txn, a cursor
 * and both structs again: a point read is four allocations and four frees cheaper.
 *
 * Iterators are cursors on the snapshot's txn. A seek that finds nothing, or a move past either
 * end, leaves the iterator invalid and returns 0; next/prev on an invalid iterator return
 * PZ_EINVAL (the ABI does not say: a move needs a position to move from).
 */
#include <assert.h>
#include <stdlib.h>

#include "phantomzero/errors.h"
#include "phantomzero/limits.h"
#include "lmdb_internal.h"

/* Snapshots ------------------------------------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
#define S_KEEP_SNAPS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_KEEP_SNAPS 0
#endif
#endif
#ifndef S_KEEP_SNAPS
#define S_KEEP_SNAPS 1
#endif

static void s_iter_destroy(pz_engine_iter_t *it)
{
    if (it != NULL) {
        mdb_cursor_close(it->cur);
        free(it);
    }
}

/* A snapshot no longer kept: its cursor, its (reset or live) txn, the struct. */
static void s_snap_destroy(pz_engine_snap_t *s)
{
    s_iter_destroy(s->spare); /* a read-only txn's cursor may be closed before or after it */
    mdb_txn_abort(s->txn);
    free(s);
}

void pz__lmdb_idle_drain(pz_engine_t *e)
{
    while (e->idle_len > 0) {
        s_snap_destroy(e->idle[--e->idle_len]);
    }
}

/* A kept snapshot whose txn is renewed (it sees the last commit), or NULL. Inside the gate. */
static pz_engine_snap_t *s_snap_reuse(pz_engine_t *e)
{
    pz_engine_snap_t *s = NULL;
    pthread_mutex_lock(&e->gate_mu);
    if (e->idle_len > 0) {
        s = e->idle[--e->idle_len];
    }
    pthread_mutex_unlock(&e->gate_mu);
    if (s != NULL && mdb_txn_renew(s->txn) != 0) {
        s_snap_destroy(s);
        s = NULL;
    }
    return s;
}

/* Ends a closed snapshot's txn: reset and kept for reuse while the engine keeps fewer than
 * PZ_LMDB_IDLE_SNAPS_MAX, else aborted and freed. */
static void s_snap_release(pz_engine_t *e, pz_engine_snap_t *s)
{
    bool kept = false;
    if (S_KEEP_SNAPS) {
        mdb_txn_reset(s->txn);
        pthread_mutex_lock(&e->gate_mu);
        if (e->idle_len < PZ_LMDB_IDLE_SNAPS_MAX && !e->broken) {
            e->idle[e->idle_len++] = s;
            kept = true;
        }
        pthread_mutex_unlock(&e->gate_mu);
    }
    if (!kept) {
        s_snap_destroy(s);
    }
}

int pz__lmdb_snap_open(pz_engine_t *e, pz_engine_snap_t **out)
{
    assert(e != NULL && out != NULL);
    int rc = pz__lmdb_gate_enter(e);
    if (rc != PZ_OK) {
        return rc;
    }
    pz_engine_snap_t *s = s_snap_reuse(e);
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        rc = s == NULL ? PZ_ENOMEM : pz__lmdb_err(mdb_txn_begin(e->env, NULL, MDB_RDONLY, &s->txn));
        if (rc != PZ_OK) {
            free(s);
            pz__lmdb_gate_exit(e);
            return rc;
        }
        s->e = e;
    }
    assert(s->txn != NULL && s->iters == 0 && s->e == e);
    *out = s;
    return PZ_OK;
}

void pz__lmdb_snap_close(pz_engine_snap_t **sp)
{
    assert(sp != NULL);
    pz_engine_snap_t *s = *sp;
    if (s == NULL) {
        return;
    }
    assert(s->iters == 0); /* iterators die before their snapshot */
    pz_engine_t *e = s->e;
    s_snap_release(e, s); /* the txn ends before the gate is left: it pins the mapping */
    pz__lmdb_gate_exit(e);
    *sp = NULL;
}

/* On success *val points into the map until snap_close. */
int pz__lmdb_get(pz_engine_snap_t *s, const uint8_t *key, size_t key_len, const uint8_t **val,
                 size_t *val_len)
{
    assert(s != NULL && s->txn != NULL);
    assert(val != NULL && val_len != NULL);
    if (key_len == 0 || key == NULL || key_len > s->e->key_bytes_max) {
        return PZ_EINVAL; /* no such key can be stored: see lmdb_commit.c */
    }
    MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
    MDB_val v;
    int rc = mdb_get(s->txn, s->e->dbi, &k, &v);
    if (rc != 0) {
        return pz__lmdb_err(rc);
    }
    *val = v.mv_data;
    *val_len = v.mv_size;
    return PZ_OK;
}

/* Cursor positioning --------------------------------------------------------------------- */

/* Positions cur on the first key >= key (MDB_FIRST for the empty key). Returns an LMDB code.
 *
 * A key longer than LMDB's maximum cannot be a search key, but it is a valid bound: search for
 * its prefix P of the maximum length instead. Stored keys are at most that long, so the first
 * stored key >= P is either P itself (which is < key: step once) or already > key. */
int pz__lmdb_cursor_seek_ge(const pz_engine_t *e, MDB_cursor *cur, const uint8_t *key,
                            size_t key_len, MDB_val *k, MDB_val *v)
{
    assert(e != NULL && cur != NULL && k != NULL && v != NULL);
    if (key_len == 0) {
        return mdb_cursor_get(cur, k, v, MDB_FIRST);
    }
    size_t probe_len = key_len < e->key_bytes_max ? key_len : e->key_bytes_max;
    k->mv_size = probe_len;
    k->mv_data = (void *)key;
    int rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    if (rc == 0 && probe_len < key_len &&
        pz__lmdb_key_cmp(k->mv_data, k->mv_size, key, key_len) < 0) {
        rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
    }
    assert(rc != 0 || pz__lmdb_key_cmp(k->mv_data, k->mv_size, key, key_len) >= 0);
    return rc;
}

/* Iterators ------------------------------------------------------------------------------ */

int pz__lmdb_iter_open(pz_engine_snap_t *s, pz_engine_iter_t **out)
{
    assert(s != NULL && s->txn != NULL);
    assert(out != NULL);
    pz_engine_iter_t *it = s->spare;
    s->spare = NULL;
    if (it != NULL && mdb_cursor_renew(s->txn, it->cur) != 0) {
        s_iter_destroy(it);
        it = NULL;
    }
    if (it != NULL) {
        *it = (pz_engine_iter_t){.cur = it->cur};
    } else {
        it = calloc(1, sizeof *it);
        int rc =
            it == NULL ? PZ_ENOMEM : pz__lmdb_err(mdb_cursor_open(s->txn, s->e->dbi, &it->cur));
        if (rc != PZ_OK) {
            free(it);
            return rc;
        }
    }
    it->s = s;
    s->iters++;
    *out = it;
    return PZ_OK;
}

void pz__lmdb_iter_close(pz_engine_iter_t **itp)
{
    assert(itp != NULL);
    pz_engine_iter_t *it = *itp;
    if (it == NULL) {
        return;
    }
    pz_engine_snap_t *s = it->s;
    assert(s->iters > 0);
    s->iters--;
    if (S_KEEP_SNAPS && s->spare == NULL) {
        s->spare = it; /* the cursor stays open, renewed by the next iter_open */
    } else {
        s_iter_destroy(it);
    }
    *itp = NULL;
}

/* Records the outcome of a cursor move: found, ran off an end (valid, not an error), failed. */
static int s_iter_land(pz_engine_iter_t *it, int rc)
{
    assert(it != NULL);
    it->valid = rc == 0;
    if (!it->valid) {
        it->key = (MDB_val){0};
        it->val = (MDB_val){0};
    }
    return rc == 0 || rc == MDB_NOTFOUND ? PZ_OK : pz__lmdb_err(rc);
}

static bool s_seek_key_ok(const uint8_t *key, size_t key_len)
{
    return (key != NULL || key_len == 0) && key_len <= PZ_KEY_BYTES_MAX;
}

int pz__lmdb_iter_seek_ge(pz_engine_iter_t *it, const uint8_t *key, size_t key_len)
{
    assert(it != NULL && it->cur != NULL);
    if (!s_seek_key_ok(key, key_len)) {
        return PZ_EINVAL;
    }
    int rc = pz__lmdb_cursor_seek_ge(it->s->e, it->cur, key, key_len, &it->key, &it->val);
    return s_iter_land(it, rc);
}

/* Last key < key: the first key >= key, then one step back; the store's last key when nothing
 * is >= key or key is empty. */
int pz__lmdb_iter_seek_lt(pz_engine_iter_t *it, const uint8_t *key, size_t key_len)
{
    assert(it != NULL && it->cur != NULL);
    if (!s_seek_key_ok(key, key_len)) {
        return PZ_EINVAL;
    }
    int rc = MDB_NOTFOUND;
    if (key_len > 0) {
        rc = pz__lmdb_cursor_seek_ge(it->s->e, it->cur, key, key_len, &it->key, &it->val);
    }
    if (rc == 0) {
        rc = mdb_cursor_get(it->cur, &it->key, &it->val, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(it->cur, &it->key, &it->val, MDB_LAST);
    }
    int out = s_iter_land(it, rc);
    assert(!it->valid || key_len == 0 ||
           pz__lmdb_key_cmp(it->key.mv_data, it->key.mv_size, key, key_len) < 0);
    return out;
}

static int s_iter_step(pz_engine_iter_t *it, MDB_cursor_op op)
{
    assert(it != NULL && it->cur != NULL);
    if (!it->valid) {
        return PZ_EINVAL;
    }
    int rc = mdb_cursor_get(it->cur, &it->key, &it->val, op);
    return s_iter_land(it, rc);
}

int pz__lmdb_iter_next(pz_engine_iter_t *it)
{
    return s_iter_step(it, MDB_NEXT);
}

int pz__lmdb_iter_prev(pz_engine_iter_t *it)
{
    return s_iter_step(it, MDB_PREV);
}

bool pz__lmdb_iter_valid(const pz_engine_iter_t *it)
{
    assert(it != NULL);
    return it->valid;
}

/* NULL and 0 on an invalid iterator; otherwise map memory valid until snap_close. */
void pz__lmdb_iter_key(const pz_engine_iter_t *it, const uint8_t **key, size_t *key_len)
{
    assert(it != NULL && key != NULL && key_len != NULL);
    assert(it->valid || it->key.mv_size == 0);
    *key = it->key.mv_data;
    *key_len = it->key.mv_size;
}

void pz__lmdb_iter_value(const pz_engine_iter_t *it, const uint8_t **val, size_t *val_len)
{
    assert(it != NULL && val != NULL && val_len != NULL);
    assert(it->valid || it->val.mv_size == 0);
    *val = it->val.mv_data;
    *val_len = it->val.mv_size;
}
