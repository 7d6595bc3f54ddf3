/*
 * txnmeta.h — a transaction's meta as repl keeps it across messages (internal to repl).
 *
 * Decoded messages die with their buffers, and a wait outlives the batch that met the intent, so
 * the lock table and the txnwait queue keep their own copy of what a push needs: identity,
 * timestamps, priority, anchor key. The savepoint ranges (txn.ignored) are left out: pushes do
 * not need them, and RESOLVE takes them from the record the push answered with.
 */
#ifndef PZ_REPL_TXNMETA_H
#define PZ_REPL_TXNMETA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/kv.h"
#include "phantomzero/limits.h"

typedef struct {
    uint8_t id[PZ_TXN_ID_BYTES];
    uint32_t id_len; /* 0: no transaction (a non-transactional pusher) */
    uint32_t epoch;
    pz_hlc_t read_ts, write_ts, min_ts, uncertainty_limit;
    uint32_t priority;
    uint8_t isolation;
    uint8_t *key; /* the anchor, owned */
    uint32_t key_len;
} pz__txnmeta_t;

/* Copies t into m (which must be empty or freed). PZ_ENOMEM leaves m empty. */
static inline int pz__txnmeta_set(pz__txnmeta_t *m, const pz_kv_txn_t *t)
{
    uint32_t n = t->id.len < PZ_TXN_ID_BYTES ? t->id.len : PZ_TXN_ID_BYTES;
    *m = (pz__txnmeta_t){.id_len = n,
                         .epoch = t->epoch,
                         .read_ts = t->read_ts,
                         .write_ts = t->write_ts,
                         .min_ts = t->min_ts,
                         .uncertainty_limit = t->uncertainty_limit,
                         .priority = t->priority,
                         .isolation = t->isolation};
    if (n > 0) {
        memcpy(m->id, t->id.ptr, n);
    }
    if (t->key.len > 0) {
        if ((m->key = malloc(t->key.len)) == NULL) {
            *m = (pz__txnmeta_t){0};
            return PZ_ENOMEM;
        }
        memcpy(m->key, t->key.ptr, t->key.len);
        m->key_len = t->key.len;
    }
    return 0;
}

static inline int pz__txnmeta_copy(pz__txnmeta_t *m, const pz__txnmeta_t *from)
{
    *m = *from;
    m->key = NULL;
    if (from->key_len > 0) {
        if ((m->key = malloc(from->key_len)) == NULL) {
            *m = (pz__txnmeta_t){0};
            return PZ_ENOMEM;
        }
        memcpy(m->key, from->key, from->key_len);
    }
    return 0;
}

static inline void pz__txnmeta_clear(pz__txnmeta_t *m)
{
    free(m->key);
    *m = (pz__txnmeta_t){0};
}

/* The wire form; its views point into m. */
static inline pz_kv_txn_t pz__txnmeta_wire(const pz__txnmeta_t *m)
{
    return (pz_kv_txn_t){.id = {m->id, m->id_len},
                         .epoch = m->epoch,
                         .read_ts = m->read_ts,
                         .write_ts = m->write_ts,
                         .priority = m->priority,
                         .key = {m->key, m->key_len},
                         .min_ts = m->min_ts,
                         .uncertainty_limit = m->uncertainty_limit,
                         .isolation = m->isolation};
}

static inline pz_view_t pz__txnmeta_id(const pz__txnmeta_t *m)
{
    return (pz_view_t){m->id, m->id_len};
}

/* Same transaction (both absent counts as the same: the non-transactional pusher). */
static inline bool pz__txnmeta_same(const pz__txnmeta_t *a, const pz__txnmeta_t *b)
{
    return pz_view_eq(pz__txnmeta_id(a), pz__txnmeta_id(b));
}

#endif
