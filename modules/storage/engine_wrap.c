/*
 * engine_wrap.c — pz_engine_* wrappers over an engine descriptor (see engine_wrap.h).
 *
 * Each wrapper asserts its handle is open and forwards to the descriptor. Results are asserted
 * where the ABI promises something cheap to check (an out pointer set on success).
 */
#include "engine_wrap.h"

#include <stddef.h>

#include "phantomzero/errors.h"
#include "storage_assert.h"

/* Every v1.0 method is required: one row per method, so the check and its message cannot
 * drift from the struct. */
#define S_ENGINE_METHODS(X)                                                                      \
    X(open) X(close) X(batch_commit) X(snap_open) X(snap_close) X(get) X(iter_open)            \
    X(iter_close) X(iter_seek_ge) X(iter_seek_lt) X(iter_next) X(iter_prev) X(iter_valid)      \
    X(iter_key) X(iter_value) X(approx_size) X(checkpoint)

const char *pz_engine_missing_method(const pz_engine_desc_t *desc)
{
    PZ_ST_ASSERT(desc != NULL);
#define S_CHECK_(m)                                                                              \
    if (desc->m == NULL) {                                                                       \
        return #m;                                                                               \
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
    out->desc = eng->desc;
    out->s = s;
    return 0;
}

void pz_engine_snap_close(pz_eng_snap_t *snap)
{
    PZ_ST_ASSERT(snap != NULL);
    if (snap->s != NULL) {
        snap->desc->snap_close(&snap->s);
        PZ_ST_ASSERT(snap->s == NULL);
    }
}

int pz_engine_get(pz_eng_snap_t *snap, const uint8_t *key, size_t key_len, const uint8_t **val,
                  size_t *val_len)
{
    PZ_ST_ASSERT(snap != NULL && snap->s != NULL && key != NULL && key_len > 0);
    PZ_ST_ASSERT(val != NULL && val_len != NULL);
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
    out->desc = snap->desc;
    out->it = it;
    return 0;
}

void pz_engine_iter_close(pz_eng_iter_t *it)
{
    PZ_ST_ASSERT(it != NULL);
    if (it->it != NULL) {
        it->desc->iter_close(&it->it);
        PZ_ST_ASSERT(it->it == NULL);
    }
}

int pz_engine_iter_seek_ge(pz_eng_iter_t *it, const uint8_t *key, size_t key_len)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL && (key != NULL || key_len == 0));
    return it->desc->iter_seek_ge(it->it, key, key_len);
}

int pz_engine_iter_seek_lt(pz_eng_iter_t *it, const uint8_t *key, size_t key_len)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL && (key != NULL || key_len == 0));
    return it->desc->iter_seek_lt(it->it, key, key_len);
}

int pz_engine_iter_next(pz_eng_iter_t *it)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL);
    PZ_ST_ASSERT(it->desc->iter_valid(it->it));
    return it->desc->iter_next(it->it);
}

int pz_engine_iter_prev(pz_eng_iter_t *it)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL);
    PZ_ST_ASSERT(it->desc->iter_valid(it->it));
    return it->desc->iter_prev(it->it);
}

bool pz_engine_iter_valid(const pz_eng_iter_t *it)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL);
    return it->desc->iter_valid(it->it);
}

void pz_engine_iter_key(const pz_eng_iter_t *it, const uint8_t **key, size_t *key_len)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL && key != NULL && key_len != NULL);
    PZ_ST_ASSERT(it->desc->iter_valid(it->it));
    it->desc->iter_key(it->it, key, key_len);
}

void pz_engine_iter_value(const pz_eng_iter_t *it, const uint8_t **val, size_t *val_len)
{
    PZ_ST_ASSERT(it != NULL && it->it != NULL && val != NULL && val_len != NULL);
    PZ_ST_ASSERT(it->desc->iter_valid(it->it));
    it->desc->iter_value(it->it, val, val_len);
}

int pz_engine_approx_size(pz_eng_t *eng, const uint8_t *start, size_t start_len,
                          const uint8_t *end, size_t end_len, uint64_t *bytes)
{
    PZ_ST_ASSERT(eng != NULL && eng->e != NULL && bytes != NULL);
    return eng->desc->approx_size(eng->e, start, start_len, end, end_len, bytes);
}

int pz_engine_checkpoint(pz_eng_t *eng, const char *dir)
{
    PZ_ST_ASSERT(eng != NULL && eng->e != NULL && dir != NULL);
    return eng->desc->checkpoint(eng->e, dir);
}
