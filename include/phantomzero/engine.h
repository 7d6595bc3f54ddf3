/*
 * engine.h — the storage engine ABI: a plain ordered key-value store.
 *
 * Engines (plugins/lmdb, later lsm and columnar) are shared objects loaded by the storage module.
 * Each exports exactly one symbol, PZ_ENGINE_SYMBOL, a function returning a pointer to a static
 * const pz_engine_desc_t. MVCC, timestamps and ranges live above this interface, in the storage
 * module, so every engine gets them.
 *
 * Shape follows sqlite3_vfs: the descriptor starts with its ABI version and size; methods are
 * appended only (each added one says "added in vN"), and a loader refuses a descriptor whose
 * major version differs or whose struct is smaller than the fields it needs.
 *
 * Keys are compared bytewise (memcmp, shorter first on a tie): the project's key encoding is
 * order-preserving under that order.
 *
 * Threading: an engine handle may be used from several threads at once with these rules —
 *   - at most one batch_commit runs at a time (the caller serializes commits);
 *   - snapshots and iterators may be opened and used concurrently with a commit, each snapshot
 *     and its iterators from one thread at a time;
 *   - every snapshot and iterator is closed before close().
 *
 * Errors are negative PZ_E* codes (errors.h). On failure an operation changes nothing: a failed
 * batch_commit applies none of its operations, and the engine stays usable.
 */
#ifndef PHANTOMZERO_ENGINE_H
#define PHANTOMZERO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PZ_ENGINE_ABI_MAJOR 1
#define PZ_ENGINE_ABI_MINOR 0
#define PZ_ENGINE_SYMBOL "pz_engine_descriptor"

typedef struct pz_engine pz_engine_t;     /* an open store */
typedef struct pz_engine_snap pz_engine_snap_t; /* a consistent read view */
typedef struct pz_engine_iter pz_engine_iter_t; /* a cursor over a snapshot */

/* Options for open. Grows at the end only. */
typedef struct pz_engine_opts {
    uint32_t struct_size;      /* sizeof(pz_engine_opts_t) as the caller compiled it */
    uint64_t initial_map_bytes; /* engines with a fixed map (LMDB): first size; 0 = default */
    uint64_t max_map_bytes;     /* upper bound for growth; 0 = no bound below the disk */
    bool read_only;
} pz_engine_opts_t;

enum pz_engine_op_kind {
    PZ_ENGINE_PUT = 1,         /* key -> value */
    PZ_ENGINE_DEL = 2,         /* key (absent key is not an error) */
    PZ_ENGINE_DEL_RANGE = 3,   /* every key in [key, end) */
};

/* One operation of a write batch. The engine only reads it; the caller owns the memory. */
typedef struct pz_engine_op {
    uint8_t kind; /* enum pz_engine_op_kind */
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value; /* PUT: the value; DEL_RANGE: the exclusive end key */
    size_t value_len;
} pz_engine_op_t;

/* A write batch: applied atomically, in order (a later op on the same key wins). */
typedef struct pz_engine_batch {
    const pz_engine_op_t *ops;
    size_t ops_len;
} pz_engine_batch_t;

typedef struct pz_engine_desc {
    /* --- header: never changes shape ---------------------------------------------------- */
    uint32_t abi_major;  /* PZ_ENGINE_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;
    uint32_t struct_size; /* sizeof(pz_engine_desc_t) as the plugin compiled it */
    const char *build_sig; /* PZ_BUILD_SIG of the plugin's build */
    const char *name;      /* "lmdb" */
    const char *version;   /* the plugin's own version string */

    /* --- v1.0 methods: all required -------------------------------------------------------- */

    /* Opens (creating if absent) the store in directory `path`, which exists. *out is set only
     * on success. PZ_ELOCKED if another process holds it, PZ_ECORRUPT on a bad format. */
    int (*open)(const char *path, const pz_engine_opts_t *opts, pz_engine_t **out);
    /* Closes and sets *e to NULL. Safe on NULL. */
    void (*close)(pz_engine_t **e);

    /* Applies a batch atomically. durable=true returns only once the batch is on stable storage
     * (fsync); durable=false may lose the batch (and only whole batches, in commit order) in an
     * OS crash, never in a process crash. PZ_ENOSPC / PZ_EMAPFULL when the disk or the map is
     * full (engines that can grow the map do so and retry before returning PZ_EMAPFULL). */
    int (*batch_commit)(pz_engine_t *e, const pz_engine_batch_t *b, bool durable);

    /* A consistent view as of now; later commits are invisible to it. */
    int (*snap_open)(pz_engine_t *e, pz_engine_snap_t **out);
    void (*snap_close)(pz_engine_snap_t **s);

    /* Point read. On success *val points into engine memory valid until the snapshot closes.
     * PZ_ENOTFOUND if absent. */
    int (*get)(pz_engine_snap_t *s, const uint8_t *key, size_t key_len, const uint8_t **val,
               size_t *val_len);

    /* Iterators. A new iterator is unpositioned (valid() false). Key and value pointers stay
     * valid until the next move or the iterator's close. */
    int (*iter_open)(pz_engine_snap_t *s, pz_engine_iter_t **out);
    void (*iter_close)(pz_engine_iter_t **it);
    /* First key >= key. */
    int (*iter_seek_ge)(pz_engine_iter_t *it, const uint8_t *key, size_t key_len);
    /* Last key < key (reverse scans). key_len 0 means "the last key of the store". */
    int (*iter_seek_lt)(pz_engine_iter_t *it, const uint8_t *key, size_t key_len);
    int (*iter_next)(pz_engine_iter_t *it);
    int (*iter_prev)(pz_engine_iter_t *it);
    bool (*iter_valid)(const pz_engine_iter_t *it);
    void (*iter_key)(const pz_engine_iter_t *it, const uint8_t **key, size_t *key_len);
    void (*iter_value)(const pz_engine_iter_t *it, const uint8_t **val, size_t *val_len);

    /* Approximate bytes stored for keys in [start, end); end_len 0 means "to the end". */
    int (*approx_size)(pz_engine_t *e, const uint8_t *start, size_t start_len, const uint8_t *end,
                       size_t end_len, uint64_t *bytes);

    /* Writes a consistent copy of the store to directory `dir` (which exists and is empty) that
     * open() can open: for Raft snapshots and backups. */
    int (*checkpoint)(pz_engine_t *e, const char *dir);

    /* Spare slots: later methods go here, each marked "added in v1.N". */
    void *reserved[8];
} pz_engine_desc_t;

typedef const pz_engine_desc_t *(*pz_engine_desc_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
