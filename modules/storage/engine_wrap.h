/*
 * engine_wrap.h — the storage module's only door to an engine plugin (internal).
 *
 * STYLE.md: engines sit behind pz_engine_* wrapper functions; nothing else in the module calls
 * through the descriptor's vtable. The wrappers carry the descriptor beside each object, assert
 * their arguments, and are the one place to add tracing or fault injection later.
 *
 * The handles are small structs passed by pointer and owned by the caller. Lifetimes and thread
 * rules are the engine ABI's (engine.h): one commit at a time, snapshots and their iterators
 * from one thread at a time, every snapshot and iterator closed before the engine.
 *
 * This file has no kernel-runtime dependency (no pz_log, no metrics) so unit tests link it
 * against a plugin they dlopen themselves. Loading through the kernel is engine_load.c.
 */
#ifndef PZ_STORAGE_ENGINE_WRAP_H
#define PZ_STORAGE_ENGINE_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/engine.h"
#include "storage_pend.h"

typedef struct pz_eng {
    const pz_engine_desc_t *desc;
    pz_engine_t *e; /* NULL when closed */
} pz_eng_t;

typedef struct pz_eng_snap {
    const pz_engine_desc_t *desc;
    pz_engine_snap_t *s;    /* NULL when closed */
    const pz__pend_t *pend; /* queued writes shown over the engine's, or NULL */
} pz_eng_snap_t;

/* With a pending table the iterator merges it with the engine's: a pending key hides the
 * engine's (a pending deletion hides it altogether). The table must not change while the
 * iterator is open. */
typedef struct pz_eng_iter {
    const pz_engine_desc_t *desc;
    pz_engine_iter_t *it; /* NULL when closed */
    const pz__pend_t *pend;
    const pz__pend_node_t *pn; /* the pending side's position (NULL: past its end) */
    bool fwd;                  /* moving forward (the last seek was seek_ge) */
    bool on_pend;              /* the current entry is pn's */
    uint8_t *buf;              /* the current key while the iterator turns around */
    size_t buf_cap;
} pz_eng_iter_t;

/* The name of the first required v1.0 method the descriptor lacks, or NULL when it has all of
 * them. The loader refuses a descriptor for which this is not NULL. */
const char *pz_engine_missing_method(const pz_engine_desc_t *desc);

/* Opens the store in `dir` (which exists). desc must have passed pz_engine_missing_method.
 * out->e is set only on success; returns the engine's code otherwise. */
int pz_engine_open(const pz_engine_desc_t *desc, const char *dir, const pz_engine_opts_t *opts,
                   pz_eng_t *out);
/* Closes; safe on a closed handle. */
void pz_engine_close(pz_eng_t *eng);

/* Applies a batch atomically (see engine.h). The caller serializes commits. */
int pz_engine_commit(pz_eng_t *eng, const pz_engine_batch_t *b, bool durable);

/* Opens a snapshot of the engine alone (out->pend NULL). */
int pz_engine_snap_open(pz_eng_t *eng, pz_eng_snap_t *out);
/* Shows pend (storage_pend.h) over the snapshot for its reads and the iterators opened after;
 * pend must not change until they are closed. NULL: the engine alone. */
void pz_engine_snap_set_pending(pz_eng_snap_t *snap, const pz__pend_t *pend);
/* Safe on a closed handle. */
void pz_engine_snap_close(pz_eng_snap_t *snap);
/* Point read; *val lives until the snapshot closes. PZ_ENOTFOUND if absent. */
int pz_engine_get(pz_eng_snap_t *snap, const uint8_t *key, size_t key_len, const uint8_t **val,
                  size_t *val_len);

int pz_engine_iter_open(pz_eng_snap_t *snap, pz_eng_iter_t *out);
/* Safe on a closed handle. */
void pz_engine_iter_close(pz_eng_iter_t *it);
int pz_engine_iter_seek_ge(pz_eng_iter_t *it, const uint8_t *key, size_t key_len);
/* key_len 0: the last key of the store. */
int pz_engine_iter_seek_lt(pz_eng_iter_t *it, const uint8_t *key, size_t key_len);
int pz_engine_iter_next(pz_eng_iter_t *it);
int pz_engine_iter_prev(pz_eng_iter_t *it);
bool pz_engine_iter_valid(const pz_eng_iter_t *it);
/* Key and value of a valid iterator; they live until the next move or close. */
void pz_engine_iter_key(const pz_eng_iter_t *it, const uint8_t **key, size_t *key_len);
void pz_engine_iter_value(const pz_eng_iter_t *it, const uint8_t **val, size_t *val_len);

int pz_engine_approx_size(pz_eng_t *eng, const uint8_t *start, size_t start_len, const uint8_t *end,
                          size_t end_len, uint64_t *bytes);
int pz_engine_checkpoint(pz_eng_t *eng, const char *dir);

#endif
