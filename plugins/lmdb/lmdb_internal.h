/*
 * lmdb_internal.h — what the files of the LMDB engine plugin share, and nothing else sees.
 *
 * Files, one concept each:
 *   lmdb_engine.c  descriptor, open/close, LMDB error -> PZ_E* mapping
 *   lmdb_gate.c    the reader gate that lets a commit resize the map safely
 *   lmdb_commit.c  batch_commit: validation, apply, durability, map growth
 *   lmdb_read.c    snapshots, point reads, iterators
 *   lmdb_size.c    approx_size and checkpoint
 *
 * Everything here is hidden (-fvisibility=hidden): the plugin exports only pz_engine_descriptor.
 */
#ifndef PZ_LMDB_INTERNAL_H
#define PZ_LMDB_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/engine.h"

/* Bounds, each with its reason ----------------------------------------------------------- */

/* First map size when the caller gives none: big enough that a developer's single-node store
 * rarely resizes, small enough to be cheap address space. */
#define PZ_LMDB_MAP_BYTES_DEFAULT (256ull * 1024u * 1024u)
/* LMDB reader slots = snapshots + approx_size/checkpoint calls open at once. Each snapshot is
 * a read txn; 512 covers every session and replica of a node with room to spare. */
#define PZ_LMDB_READERS_MAX 512u
/* Closed snapshots kept for reuse (lmdb_read.c): their read txns reset, not aborted, and one
 * cursor each, so the next snapshot renews them instead of allocating both again. Each holds an
 * LMDB reader slot, on top of PZ_LMDB_READERS_MAX. */
#define PZ_LMDB_IDLE_SNAPS_MAX 8u
/* How long a commit that needs a bigger map waits for open snapshots to close before it gives
 * up with PZ_EMAPFULL. Resizing needs no reader in the process (LMDB remaps the file); a long
 * scan must not stall writes forever, nor a writer deadlock against it. */
#define PZ_LMDB_RESIZE_WAIT_MS_MAX 1000
/* Map doublings tried for one batch: from one page, 64 doublings exceed any 64-bit size. */
#define PZ_LMDB_GROW_ATTEMPTS_MAX 64
/* Entries approx_size reads exactly before it switches to key-space interpolation. */
#define PZ_LMDB_APPROX_WALK_MAX 1024u
/* LMDB reports a write that filled the disk as a short write and returns EIO for it. When the
 * filesystem of the store has less than this free, such an EIO is reported as PZ_ENOSPC. */
#define PZ_LMDB_NEARLY_FULL_BYTES (1024u * 1024u)

/* Objects -------------------------------------------------------------------------------- */

struct pz_engine {
    MDB_env *env;
    MDB_dbi dbi;
    int lock_fd; /* flock()ed data.mdb: PZ_ELOCKED for a second opener */
    bool read_only;
    uint64_t max_map_bytes; /* 0 = no bound */
    size_t key_bytes_max;   /* mdb_env_get_maxkeysize(): 511 with Debian's LMDB */
    size_t page_bytes;      /* OS page size: map sizes are multiples of it */
    char *path;             /* owned copy, for statvfs() on a failed commit */

    /* Serializes commits (the ABI already asks the caller to) and guards the two flags. */
    pthread_mutex_t commit_mu;
    bool lazy;     /* the lazy-commit flag (lmdb_commit.c) is set on the env */
    bool unsynced; /* a durable=false commit happened since the last sync */

    /* The reader gate (lmdb_gate.c). */
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv; /* CLOCK_MONOTONIC */
    uint32_t readers;       /* snapshots and transient readers inside the gate */
    bool resizing;          /* a commit waits to remap: new readers wait */
    bool broken;            /* a remap failed and could not be undone: only close() works */
    /* Closed snapshots kept for reuse (lmdb_read.c), under gate_mu: txns reset, not live. */
    pz_engine_snap_t *idle[PZ_LMDB_IDLE_SNAPS_MAX];
    uint32_t idle_len;
};

struct pz_engine_snap {
    pz_engine_t *e;
    MDB_txn *txn;            /* MDB_RDONLY; MDB_NOTLS lets it move between threads */
    uint32_t iters;          /* open iterators: must be 0 at snap_close */
    pz_engine_iter_t *spare; /* a closed iterator kept with its cursor for the next iter_open */
};

struct pz_engine_iter {
    pz_engine_snap_t *s;
    MDB_cursor *cur;
    MDB_val key; /* point into the map: valid while the snapshot's txn lives */
    MDB_val val;
    bool valid;
};

/* lmdb_engine.c */
int pz__lmdb_err(int mdb_rc);
int pz__lmdb_key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* lmdb_gate.c */
int pz__lmdb_gate_init(pz_engine_t *e);
void pz__lmdb_gate_destroy(pz_engine_t *e);
int pz__lmdb_gate_enter(pz_engine_t *e);
void pz__lmdb_gate_exit(pz_engine_t *e);
int pz__lmdb_reader_begin(pz_engine_t *e, MDB_txn **txn);
void pz__lmdb_reader_end(pz_engine_t *e, MDB_txn **txn);
int pz__lmdb_gate_resize(pz_engine_t *e, uint64_t map_bytes);

/* lmdb_read.c */
/* Frees the kept snapshots (gate_mu held, or no other thread left): before a remap, at close. */
void pz__lmdb_idle_drain(pz_engine_t *e);
int pz__lmdb_cursor_seek_ge(const pz_engine_t *e, MDB_cursor *cur, const uint8_t *key,
                            size_t key_len, MDB_val *k, MDB_val *v);

/* Methods of the descriptor. */
int pz__lmdb_open(const char *path, const pz_engine_opts_t *opts, pz_engine_t **out);
void pz__lmdb_close(pz_engine_t **e);
int pz__lmdb_batch_commit(pz_engine_t *e, const pz_engine_batch_t *b, bool durable);
int pz__lmdb_snap_open(pz_engine_t *e, pz_engine_snap_t **out);
void pz__lmdb_snap_close(pz_engine_snap_t **s);
int pz__lmdb_get(pz_engine_snap_t *s, const uint8_t *key, size_t key_len, const uint8_t **val,
                 size_t *val_len);
int pz__lmdb_iter_open(pz_engine_snap_t *s, pz_engine_iter_t **out);
void pz__lmdb_iter_close(pz_engine_iter_t **it);
int pz__lmdb_iter_seek_ge(pz_engine_iter_t *it, const uint8_t *key, size_t key_len);
int pz__lmdb_iter_seek_lt(pz_engine_iter_t *it, const uint8_t *key, size_t key_len);
int pz__lmdb_iter_next(pz_engine_iter_t *it);
int pz__lmdb_iter_prev(pz_engine_iter_t *it);
bool pz__lmdb_iter_valid(const pz_engine_iter_t *it);
void pz__lmdb_iter_key(const pz_engine_iter_t *it, const uint8_t **key, size_t *key_len);
void pz__lmdb_iter_value(const pz_engine_iter_t *it, const uint8_t **val, size_t *val_len);
int pz__lmdb_approx_size(pz_engine_t *e, const uint8_t *start, size_t start_len, const uint8_t *end,
                         size_t end_len, uint64_t *bytes);
int pz__lmdb_checkpoint(pz_engine_t *e, const char *dir);

#endif
