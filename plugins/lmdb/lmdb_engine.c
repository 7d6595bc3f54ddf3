/*
 * lmdb_engine.c — the LMDB storage engine plugin: descriptor, open/close, error mapping.
 *
 * What it does: implements the engine ABI (include/phantomzero/engine.h), a plain ordered
 * key-value store, on one unnamed LMDB database kept in <path>/data.mdb. Write batches are LMDB
 * write transactions, snapshots are read-only transactions, iterators are cursors on them,
 * range deletion is a cursor walk, checkpoints are compacting copies (mdb_env_copy2).
 *
 * Why LMDB, as the embedded default: it is a single well-kept C library with no background
 * threads, no compaction and no tuning; a copy-on-write B+tree whose committed state is always
 * consistent on disk (no WAL replay at start), whose readers never block the writer, and whose
 * reads return pointers straight into the memory map (no copies on the hot path). Its limits —
 * one writer at a time, a fixed-size map, keys of at most 511 bytes — are handled here: the
 * storage module group-commits, this plugin grows the map, and long keys are refused (see the
 * key-size note in lmdb_commit.c).
 *
 * Lifetimes: every pointer an engine call returns points into the map and stays valid until the
 * snapshot it was read through closes (the ABI promises less for iterators: until the next move).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "phantomzero/abi.h"
#include "phantomzero/errors.h"
#include "lmdb_internal.h"

#define PZ_LMDB_VERSION                                                                            \
    PZ_VERSION "+lmdb-" PZ_STR(MDB_VERSION_MAJOR) "." PZ_STR(MDB_VERSION_MINOR) "." PZ_STR(        \
        MDB_VERSION_PATCH)

static const pz_engine_desc_t s_desc = {
    .abi_major = PZ_ENGINE_ABI_MAJOR,
    .abi_minor = PZ_ENGINE_ABI_MINOR,
    .struct_size = sizeof(pz_engine_desc_t),
    .build_sig = PZ_BUILD_SIG,
    .name = "lmdb",
    .version = PZ_LMDB_VERSION,
    .open = pz__lmdb_open,
    .close = pz__lmdb_close,
    .batch_commit = pz__lmdb_batch_commit,
    .snap_open = pz__lmdb_snap_open,
    .snap_close = pz__lmdb_snap_close,
    .get = pz__lmdb_get,
    .iter_open = pz__lmdb_iter_open,
    .iter_close = pz__lmdb_iter_close,
    .iter_seek_ge = pz__lmdb_iter_seek_ge,
    .iter_seek_lt = pz__lmdb_iter_seek_lt,
    .iter_next = pz__lmdb_iter_next,
    .iter_prev = pz__lmdb_iter_prev,
    .iter_valid = pz__lmdb_iter_valid,
    .iter_key = pz__lmdb_iter_key,
    .iter_value = pz__lmdb_iter_value,
    .approx_size = pz__lmdb_approx_size,
    .checkpoint = pz__lmdb_checkpoint,
};

/* The plugin's only exported symbol. The descriptor is static and lives as long as the .so. */
PZ_EXPORT const pz_engine_desc_t *pz_engine_descriptor(void)
{
    assert(s_desc.struct_size == sizeof(pz_engine_desc_t));
    return &s_desc;
}

/* Errors --------------------------------------------------------------------------------- */

/* Maps an LMDB return code (MDB_* or an errno value) to a PZ_E* code. */
int pz__lmdb_err(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return PZ_OK;
    case MDB_NOTFOUND:
    case ENOENT:
        return PZ_ENOTFOUND;
    case MDB_MAP_FULL:
        return PZ_EMAPFULL;
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case MDB_PAGE_FULL:
    case MDB_DBS_FULL:
    case MDB_TLS_FULL:
        return PZ_ELIMIT;
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
        return PZ_ECORRUPT;
    case MDB_BAD_VALSIZE:
    case MDB_BAD_TXN:
    case MDB_BAD_DBI:
    case MDB_BAD_RSLOT:
    case MDB_INCOMPATIBLE:
    case EINVAL:
        return PZ_EINVAL;
    case ENOMEM:
        return PZ_ENOMEM;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return PZ_ENOSPC;
    case EAGAIN:
    case EBUSY:
        return PZ_ELOCKED;
    case EEXIST:
        return PZ_EEXISTS;
    case MDB_PANIC: /* a meta page write failed: the env refuses further use */
    case EIO:
    default:
        /* MDB_MAP_RESIZED (another process grew the map) cannot happen while we hold the
         * flock; other unknown MDB codes are internal, other errno values are I/O. */
        return rc > 0 ? PZ_EIO : PZ_EINTERNAL;
    }
}

/* memcmp order, shorter first on a tie: the ABI's key order and LMDB's default comparator. */
int pz__lmdb_key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    assert(a != NULL || a_len == 0);
    assert(b != NULL || b_len == 0);
    size_t n = a_len < b_len ? a_len : b_len;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c;
    }
    return a_len < b_len ? -1 : (a_len > b_len ? 1 : 0);
}

/* Open ----------------------------------------------------------------------------------- */

/* Options as the caller compiled them: read a field only if its struct holds it. */
static void s_opts_read(const pz_engine_opts_t *opts, uint64_t *initial, uint64_t *max, bool *ro)
{
    *initial = 0;
    *max = 0;
    *ro = false;
    if (opts == NULL) {
        return;
    }
    size_t have = opts->struct_size;
    if (have >= offsetof(pz_engine_opts_t, initial_map_bytes) + sizeof(uint64_t)) {
        *initial = opts->initial_map_bytes;
    }
    if (have >= offsetof(pz_engine_opts_t, max_map_bytes) + sizeof(uint64_t)) {
        *max = opts->max_map_bytes;
    }
    if (have >= offsetof(pz_engine_opts_t, read_only) + sizeof(bool)) {
        *ro = opts->read_only;
    }
}

/* Map sizes are whole OS pages; the initial size respects the bound. */
static uint64_t s_initial_map_bytes(uint64_t initial, uint64_t max, size_t page)
{
    assert(page > 0 && (page & (page - 1)) == 0);
    uint64_t bytes = initial != 0 ? initial : PZ_LMDB_MAP_BYTES_DEFAULT;
    if (max != 0 && bytes > max) {
        bytes = max;
    }
    if (bytes < page) {
        bytes = page;
    }
    bytes = (bytes + page - 1) & ~(uint64_t)(page - 1);
    assert(bytes % page == 0);
    return bytes;
}

/* LMDB's own locks are per process and break if one process opens an env twice (closing either
 * drops the other's fcntl locks), so an exclusive flock on data.mdb, taken before LMDB opens
 * anything, turns a second opener — in this process or another — into PZ_ELOCKED. Read-only
 * openers share the lock with each other. */
static int s_lock_take(const char *path, bool ro, int *fd_out)
{
    char file[PATH_MAX];
    int n = snprintf(file, sizeof file, "%s/data.mdb", path);
    if (n < 0 || (size_t)n >= sizeof file) {
        return PZ_EINVAL;
    }
    int fd = open(file, (ro ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0644);
    if (fd < 0) {
        return pz__lmdb_err(errno);
    }
    if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        return err == EWOULDBLOCK ? PZ_ELOCKED : pz__lmdb_err(err);
    }
    *fd_out = fd;
    return PZ_OK;
}

/* Creates the env, opens the directory and the unnamed database. */
static int s_env_open(pz_engine_t *e, const char *path, uint64_t map_bytes)
{
    assert(e->env == NULL);
    int rc = mdb_env_create(&e->env);
    if (rc == 0) {
        rc = mdb_env_set_maxreaders(e->env, PZ_LMDB_READERS_MAX + PZ_LMDB_IDLE_SNAPS_MAX);
    }
    if (rc == 0) {
        rc = mdb_env_set_mapsize(e->env, (size_t)map_bytes);
    }
    if (rc == 0) {
        /* MDB_NOTLS: a snapshot's read txn may be used and closed on another thread. */
        unsigned flags = MDB_NOTLS | (e->read_only ? MDB_RDONLY : 0);
        rc = mdb_env_open(e->env, path, flags, 0644);
    }
    MDB_txn *txn = NULL;
    if (rc == 0) {
        rc = mdb_txn_begin(e->env, NULL, e->read_only ? MDB_RDONLY : 0, &txn);
    }
    if (rc == 0) {
        rc = mdb_dbi_open(txn, NULL, 0, &e->dbi);
        int crc = mdb_txn_commit(txn);
        rc = rc != 0 ? rc : crc;
    }
    if (rc != 0) {
        return pz__lmdb_err(rc);
    }
    int max_key = mdb_env_get_maxkeysize(e->env);
    assert(max_key > 0);
    e->key_bytes_max = (size_t)max_key;
    return PZ_OK;
}

/* Frees what open() built, in reverse; safe on a partly opened env. */
static void s_engine_free(pz_engine_t *e)
{
    assert(e != NULL && e->readers == 0);
    pz__lmdb_idle_drain(e);
    if (e->env != NULL) {
        mdb_env_close(e->env);
    }
    if (e->lock_fd >= 0) {
        close(e->lock_fd);
    }
    pz__lmdb_gate_destroy(e);
    pthread_mutex_destroy(&e->commit_mu);
    free(e->path);
    free(e);
}

/* An engine with its options and locks, not yet opened. NULL when out of memory. */
static pz_engine_t *s_engine_new(const char *path, const pz_engine_opts_t *opts, uint64_t *initial)
{
    assert(path != NULL && initial != NULL);
    pz_engine_t *e = calloc(1, sizeof *e);
    if (e == NULL) {
        return NULL;
    }
    e->lock_fd = -1;
    s_opts_read(opts, initial, &e->max_map_bytes, &e->read_only);
    long page = sysconf(_SC_PAGESIZE);
    e->page_bytes = page > 0 ? (size_t)page : 4096u;
    e->path = strdup(path);
    if (e->path == NULL || pz__lmdb_gate_init(e) != PZ_OK) {
        free(e->path);
        free(e);
        return NULL;
    }
    if (pthread_mutex_init(&e->commit_mu, NULL) != 0) {
        pz__lmdb_gate_destroy(e);
        free(e->path);
        free(e);
        return NULL;
    }
    return e;
}

int pz__lmdb_open(const char *path, const pz_engine_opts_t *opts, pz_engine_t **out)
{
    assert(path != NULL && out != NULL);
    assert(opts == NULL || opts->struct_size > 0);
    int major = 0, minor = 0;
    (void)mdb_version(&major, &minor, NULL);
    if (major != MDB_VERSION_MAJOR || minor != MDB_VERSION_MINOR) {
        return PZ_EABI; /* the runtime liblmdb is not the one this plugin was built for */
    }
    uint64_t initial = 0;
    pz_engine_t *e = s_engine_new(path, opts, &initial);
    if (e == NULL) {
        return PZ_ENOMEM;
    }
    int rc = s_lock_take(path, e->read_only, &e->lock_fd);
    if (rc == PZ_OK) {
        uint64_t map_bytes = s_initial_map_bytes(initial, e->max_map_bytes, e->page_bytes);
        rc = s_env_open(e, path, map_bytes);
    }
    if (rc != PZ_OK) {
        s_engine_free(e);
        return rc;
    }
    *out = e;
    return PZ_OK;
}

/* Close ---------------------------------------------------------------------------------- */

void pz__lmdb_close(pz_engine_t **ep)
{
    assert(ep != NULL);
    pz_engine_t *e = *ep;
    if (e == NULL) {
        return;
    }
    assert(e->readers == 0); /* the ABI: every snapshot is closed before close() */
    /* A clean shutdown makes durable=false commits durable too; close() cannot report an
     * error, and an unsynced commit is allowed to be lost anyway. */
    if (!e->read_only && e->unsynced) {
        (void)mdb_env_sync(e->env, 1);
    }
    s_engine_free(e);
    *ep = NULL;
}
