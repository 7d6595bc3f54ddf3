/*
 * engine_wrap.c — pz_engine_* wrappers over an engine descriptor (see engine_wrap.h).
 *
 * Each wrapper asserts its handle is open and forwards to the descriptor. Results are asserted
 * where the ABI promises something cheap to check (an out pointer set on success).
 */
#include "engine_wrap.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/errors.h"
#include "storage_assert.h"

/* Every v1.0 method is required: one row per method, so the check and its message cannot
 * drift from the struct. */
#define S_ENGINE_METHODS(X)                                                                        \
    X(open)                                                                                        \
    X(close) X(batch_commit) X(snap_open) X(snap_close) X(get) X(iter_open) X(iter_close)          \
        X(iter_seek_ge) X(iter_seek_lt) X(iter_next) X(iter_prev) X(iter_valid) X(iter_key)        \
            X(iter_value) X(approx_size) X(checkpoint)

const char *pz_engine_missing_method(const pz_engine_desc_t *desc)
{
    PZ_ST_ASSERT(desc != NULL);
#define S_CHECK_(m)                                                                                \
    if (desc->m == NULL) {                                                                         \
        return #m;                                                                                 \
    }
    S_ENGINE_METHODS(S_CHECK_)
#undef S_CHECK_
    return NULL;
}

int pz_engine_open(const pz_engine_desc_t *desc, const char *dir, const pz_engine_opts_t *opts,
                   pz_eng_t *out)
{
    PZ_ST_ASSERT(desc != NULL && dir != NULL && opts != NULL && out != NULL);
    PZ_ST_ASSERT(pz_engine_missing_method(desc) == NULL);
    pz_engine_t *e = NULL;
    int rc = desc->open(dir, opts, &e);
    if (rc != 0) {
        PZ_ST_ASSERT(rc < 0);
        return rc;
    }
    PZ_ST_ASSERT(e != NULL);
    out->desc = desc;
    out->e = e;
    return 0;
}

void pz_engine_close(pz_eng_t *eng)
{
    PZ_ST_ASSERT(eng != NULL);
    if (eng->e != NULL) {
        eng->desc->close(&eng->e);
        PZ_ST_ASSERT(eng->e == NULL);
    }
}

int pz_engine_commit(pz_eng_t *eng, const pz_engine_batch_t *b, bool durable)
{
    PZ_ST_ASSERT(eng != NULL && eng->e != NULL && b != NULL);
    PZ_ST_ASSERT(b->ops_len == 0 || b->ops != NULL);
    int rc = eng->desc->batch_commit(eng->e, b, durable);
    PZ_ST_ASSERT(rc <= 0);
    return rc;
}

int pz_engine_snap_open(pz_eng_t *eng, pz_eng_snap_t *out)
{
    PZ_ST_ASSERT(eng != NULL && eng->e != NULL && out != NULL);
    pz_engine_snap_t *s = NULL;
    int rc = eng->desc->snap_open(eng->e, &s);
    if (rc != 0) {
        PZ_ST_ASSERT(rc < 0);
        return rc;
    }
    PZ_ST_ASSERT(s != NULL);
    *out = (pz_eng_snap_t){.desc = eng->desc, .s = s};
    return 0;
}

void pz_engine_snap_set_pending(pz_eng_snap_t *snap, const pz__pend_t *pend)
{
    PZ_ST_ASSERT(snap != NULL && snap->s != NULL);
    snap->pend = pend;
}

void pz_engine_snap_close(pz_eng_snap_t *snap)
{
    PZ_ST_ASSERT(snap != NULL);
    if (snap->s != NULL) {
        snap->desc->snap_close(&snap->s);
        PZ_ST_ASSERT(snap->s == NULL);
    }
    snap->pend = NULL;
}

int pz_engine_get(pz_eng_snap_t *snap, const uint8_t *key, size_t key_len, const uint8_t **val,
                  size_t *val_len)
{
    PZ_ST_ASSERT(snap != NULL && snap->s != NULL && key != NULL && key_len > 0);
    PZ_ST_ASSERT(val != NULL && val_len != NULL);
    const pz__pend_node_t *n = snap->pend != NULL ? pz__pend_get(snap->pend, key, key_len) : NULL;
    if (n != NULL) {
        *val = n->val;
        *val_len = n->val_len;
        return n->live ? 0 : PZ_ENOTFOUND;
    }
    int rc = snap->desc->get(snap->s, key, key_len, val, val_len);
    PZ_ST_ASSERT(rc <= 0);
    return rc;
}

int pz_engine_iter_open(pz_eng_snap_t *snap, pz_eng_iter_t *out)
{
    PZ_ST_ASSERT(snap != NULL && snap->s != NULL && out != NULL);
    pz_engine_iter_t *it = NULL;
    int rc = snap->desc->iter_open(snap->s, &it);
    if (rc != 0) {
        PZ_ST_ASSERT(rc < 0);
        return rc;
    }
    PZ_ST_ASSERT(it != NULL);
    *out = (pz_eng_iter_t){.desc = snap->desc, .it = it, .pend = snap->pend};
    return 0;
}

void pz_engine_iter_close(pz_eng_iter_t *it)
{
    PZ_ST_ASSERT(it != NULL);
    if (it->it != NULL) {
        it->desc->iter_close(&it->it);
        PZ_ST_ASSERT(it->it == NULL);
    }
    free(it->buf);
    it->buf = NULL;
    it->buf_cap = 0;
}

/* The merge. The engine's iterator and the pending side's node each sit on their own next
 * candidate in the current direction; the current entry is the nearer of the two, and when
 * both have the same key the pending one wins and the engine's is stepped over. Pending
 * deletions are stepped over too. */

static bool s_engine_valid(const pz_eng_iter_t *it)
{
    return it->desc->iter_valid(it->it);
}

/* Compares the pending node with the engine's current key (an invalid engine sorts after
 * everything going forward, before everything going back). */
static int s_cmp_engine(const pz_eng_iter_t *it, const pz__pend_node_t *pn)
{
    if (!s_engine_valid(it)) {
        return it->fwd ? -1 : 1;
    }
    const uint8_t *k = NULL;
    size_t kl = 0;
    it->desc->iter_key(it->it, &k, &kl);
    return pz__pend_key_cmp(pn->key, pn->key_len, k, kl);
}

static int s_settle(pz_eng_iter_t *it)
{
    for (;;) {
        const pz__pend_node_t *pn = it->pn;
        if (pn == NULL) {
            it->on_pend = false;
            return 0;
        }
        int c = s_cmp_engine(it, pn);
        if (it->fwd ? c > 0 : c < 0) {
            it->on_pend = false;
            return 0;
        }
        if (c == 0) {
            int rc = it->fwd ? it->desc->iter_next(it->it) : it->desc->iter_prev(it->it);
            if (rc != 0) {
                return rc;
            }
        }
        if (pn->live) {
            it->on_pend = true;
            return 0;
        }
        it->pn = it->fwd ? pn->next[0] : pz__pend_seek_lt(it->pend, pn->key, pn->key_len);
    }
}

int pz_engine_iter_seek_ge(pz_eng_iter_t *it, const uint8_t *key, size_t key_len)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL && (key != NULL || key_len == 0));
    int rc = it->desc->iter_seek_ge(it->it, key, key_len);
    it->fwd = true;
    it->on_pend = false;
    it->pn = it->pend != NULL ? pz__pend_seek_ge(it->pend, key, key_len) : NULL;
    return rc != 0 ? rc : s_settle(it);
}

int pz_engine_iter_seek_lt(pz_eng_iter_t *it, const uint8_t *key, size_t key_len)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL && (key != NULL || key_len == 0));
    int rc = it->desc->iter_seek_lt(it->it, key, key_len);
    it->fwd = false;
    it->on_pend = false;
    it->pn = it->pend != NULL ? pz__pend_seek_lt(it->pend, key, key_len) : NULL;
    return rc != 0 ? rc : s_settle(it);
}

/* Copies the current key into it->buf (the engine's key dies with its next move). */
static int s_hold_key(pz_eng_iter_t *it, size_t *len)
{
    const uint8_t *k = NULL;
    pz_engine_iter_key(it, &k, len);
    if (*len > it->buf_cap) {
        uint8_t *b = realloc(it->buf, *len);
        if (b == NULL) {
            return PZ_ENOMEM;
        }
        it->buf = b;
        it->buf_cap = *len;
    }
    memcpy(it->buf, k, *len);
    return 0;
}

int pz_engine_iter_next(pz_eng_iter_t *it)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL);
    PZ_ST_ASSERT(pz_engine_iter_valid(it));
    if (it->pend == NULL) {
        return it->desc->iter_next(it->it);
    }
    if (!it->fwd) {
        /* Turning around: the first key > the current one. */
        size_t len = 0;
        int rc = s_hold_key(it, &len);
        rc = rc ? rc : pz_engine_iter_seek_ge(it, it->buf, len);
        if (rc != 0 || !pz_engine_iter_valid(it)) {
            return rc;
        }
        const uint8_t *k = NULL;
        size_t kl = 0;
        pz_engine_iter_key(it, &k, &kl);
        if (pz__pend_key_cmp(k, kl, it->buf, len) != 0) {
            return 0;
        }
    }
    if (it->on_pend) {
        it->pn = it->pn->next[0];
    } else {
        int rc = it->desc->iter_next(it->it);
        if (rc != 0) {
            return rc;
        }
    }
    return s_settle(it);
}

int pz_engine_iter_prev(pz_eng_iter_t *it)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL);
    PZ_ST_ASSERT(pz_engine_iter_valid(it));
    if (it->pend == NULL) {
        return it->desc->iter_prev(it->it);
    }
    if (it->fwd) {
        /* Turning around: the last key < the current one (keys are never empty). */
        size_t len = 0;
        int rc = s_hold_key(it, &len);
        PZ_ST_ASSERT(rc != 0 || len > 0);
        return rc ? rc : pz_engine_iter_seek_lt(it, it->buf, len);
    }
    if (it->on_pend) {
        it->pn = pz__pend_seek_lt(it->pend, it->pn->key, it->pn->key_len);
    } else {
        int rc = it->desc->iter_prev(it->it);
        if (rc != 0) {
            return rc;
        }
    }
    return s_settle(it);
}

bool pz_engine_iter_valid(const pz_eng_iter_t *it)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL);
    return it->on_pend || it->desc->iter_valid(it->it);
}

void pz_engine_iter_key(const pz_eng_iter_t *it, const uint8_t **key, size_t *key_len)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL && key != NULL && key_len != NULL);
    PZ_ST_ASSERT(pz_engine_iter_valid(it));
    if (it->on_pend) {
        *key = it->pn->key;
        *key_len = it->pn->key_len;
        return;
    }
    it->desc->iter_key(it->it, key, key_len);
}

void pz_engine_iter_value(const pz_eng_iter_t *it, const uint8_t **val, size_t *val_len)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL && val != NULL && val_len != NULL);
    PZ_ST_ASSERT(pz_engine_iter_valid(it));
    if (it->on_pend) {
        *val = it->pn->val;
        *val_len = it->pn->val_len;
        return;
    }
    it->desc->iter_value(it->it, val, val_len);
}

int pz_engine_approx_size(pz_eng_t *eng, const uint8_t *start, size_t start_len, const uint8_t *end,
                          size_t end_len, uint64_t *bytes)
{
    PZ_ST_ASSERT(eng != NULL && eng->e != NULL && bytes != NULL);
    return eng->desc->approx_size(eng->e, start, start_len, end, end_len, bytes);
}

int pz_engine_checkpoint(pz_eng_t *eng, const char *dir)
{
    PZ_ST_ASSERT(eng != NULL && eng->e != NULL && dir != NULL);
    return eng->desc->checkpoint(eng->e, dir);
}
