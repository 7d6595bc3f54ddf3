/*
 * lmdb_gate.c — the reader gate: lets a commit resize the LMDB map while snapshots come and go.
 *
 * mdb_env_set_mapsize() unmaps and remaps the file, so no transaction of this process may be
 * live while it runs: every read txn holds pointers into the old mapping. Every reader (a
 * snapshot for its whole life, approx_size and checkpoint for their call) therefore enters this
 * gate, and a resize waits until the gate is empty while it keeps new readers out.
 *
 * Why not a pthread_rwlock_t, the obvious tool: a snapshot may be opened on one thread and
 * closed on another (that is why the env uses MDB_NOTLS), and unlocking a rwlock from a thread
 * that does not hold it is undefined behaviour. A counter under a mutex has no owner thread.
 *
 * No deadlock with long snapshots: the resize waits at most PZ_LMDB_RESIZE_WAIT_MS_MAX, then
 * gives up (the commit returns PZ_EMAPFULL) and lets the waiting readers in. Readers that arrive
 * during that wait block for at most the same time: a resize is rare, and letting them in would
 * starve it.
 */
#include <assert.h>
#include <errno.h>
#include <time.h>

#include "phantomzero/errors.h"
#include "lmdb_internal.h"

int pz__lmdb_gate_init(pz_engine_t *e)
{
    assert(e != NULL);
    assert(e->readers == 0 && !e->resizing);
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0) {
        return PZ_ENOMEM;
    }
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(&e->gate_cv, &attr);
    }
    pthread_condattr_destroy(&attr);
    if (rc != 0) {
        return PZ_ENOMEM;
    }
    if (pthread_mutex_init(&e->gate_mu, NULL) != 0) {
        pthread_cond_destroy(&e->gate_cv);
        return PZ_ENOMEM;
    }
    return PZ_OK;
}

void pz__lmdb_gate_destroy(pz_engine_t *e)
{
    assert(e != NULL);
    assert(e->readers == 0 && !e->resizing);
    pthread_cond_destroy(&e->gate_cv);
    pthread_mutex_destroy(&e->gate_mu);
}

/* Admits a reader. PZ_EIO if the engine is broken, PZ_ELIMIT past the reader slots. */
int pz__lmdb_gate_enter(pz_engine_t *e)
{
    assert(e != NULL);
    int rc = PZ_OK;
    pthread_mutex_lock(&e->gate_mu);
    while (e->resizing) {
        pthread_cond_wait(&e->gate_cv, &e->gate_mu);
    }
    if (e->broken) {
        rc = PZ_EIO;
    } else if (e->readers >= PZ_LMDB_READERS_MAX) {
        rc = PZ_ELIMIT;
    } else {
        e->readers++;
    }
    pthread_mutex_unlock(&e->gate_mu);
    return rc;
}

void pz__lmdb_gate_exit(pz_engine_t *e)
{
    assert(e != NULL);
    pthread_mutex_lock(&e->gate_mu);
    assert(e->readers > 0);
    e->readers--;
    if (e->readers == 0 && e->resizing) {
        pthread_cond_broadcast(&e->gate_cv);
    }
    pthread_mutex_unlock(&e->gate_mu);
}

/* Enters the gate and begins a read-only txn. *txn is set only on success. */
int pz__lmdb_reader_begin(pz_engine_t *e, MDB_txn **txn)
{
    assert(e != NULL && txn != NULL);
    int rc = pz__lmdb_gate_enter(e);
    if (rc != PZ_OK) {
        return rc;
    }
    MDB_txn *t = NULL;
    int mrc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &t);
    if (mrc != 0) {
        pz__lmdb_gate_exit(e);
        return pz__lmdb_err(mrc);
    }
    assert(t != NULL);
    *txn = t;
    return PZ_OK;
}

/* Ends the read txn, then leaves the gate (in that order: the txn pins the mapping). */
void pz__lmdb_reader_end(pz_engine_t *e, MDB_txn **txn)
{
    assert(e != NULL && txn != NULL && *txn != NULL);
    mdb_txn_abort(*txn);
    *txn = NULL;
    pz__lmdb_gate_exit(e);
}

static struct timespec s_deadline_after_ms(long ms)
{
    assert(ms >= 0);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    assert(t.tv_nsec >= 0 && t.tv_nsec < 1000000000L);
    return t;
}

/* Remaps to map_bytes; on failure tries to restore the old size, and marks the engine broken
 * only if even that fails (the env would then have no mapping at all). Gate mutex held. */
static int s_remap(pz_engine_t *e, uint64_t map_bytes)
{
    assert(e->readers == 0 && e->resizing);
    MDB_envinfo info;
    mdb_env_info(e->env, &info);
    int rc = mdb_env_set_mapsize(e->env, (size_t)map_bytes);
    if (rc == 0) {
        return PZ_OK;
    }
    if (mdb_env_set_mapsize(e->env, info.me_mapsize) != 0) {
        e->broken = true;
        return PZ_EIO;
    }
    return rc == ENOMEM ? PZ_EMAPFULL : pz__lmdb_err(rc);
}

/* Resizes the map once no reader is inside. The caller holds commit_mu and has no write txn.
 * PZ_EMAPFULL if readers stay longer than PZ_LMDB_RESIZE_WAIT_MS_MAX. */
int pz__lmdb_gate_resize(pz_engine_t *e, uint64_t map_bytes)
{
    assert(e != NULL && map_bytes > 0);
    struct timespec deadline = s_deadline_after_ms(PZ_LMDB_RESIZE_WAIT_MS_MAX);
    int rc = PZ_OK;
    pthread_mutex_lock(&e->gate_mu);
    assert(!e->resizing);
    e->resizing = true;
    int wrc = 0;
    while (e->readers > 0 && wrc != ETIMEDOUT) {
        wrc = pthread_cond_timedwait(&e->gate_cv, &e->gate_mu, &deadline);
    }
    if (e->broken) {
        rc = PZ_EIO;
    } else if (e->readers > 0) {
        rc = PZ_EMAPFULL;
    } else {
        pz__lmdb_idle_drain(e); /* reset txns are not live, but none survives a remap anyway */
        rc = s_remap(e, map_bytes);
    }
    e->resizing = false;
    pthread_cond_broadcast(&e->gate_cv);
    pthread_mutex_unlock(&e->gate_mu);
    return rc;
}
