/*
 * repl.h — the repl actor's state and the functions its files share (internal to repl).
 *
 *   repl_module.c  hooks, the replica set (load, bootstrap), message and timer dispatch
 *   repl_batch.c   a batch's path: range check, latches, timestamp cache, storage, the answer
 *   repl_wait.c    what happens when a batch meets an intent: lock waits, pushes, resolves,
 *                  and the txnwait queue for pushes that cannot succeed yet (deadlocks)
 *   repl_split.c   range splits: a SPLIT batch, or a range grown past range_max_bytes
 */
#ifndef PZ_REPL_H
#define PZ_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "phantomzero/kernel.h"
#include "phantomzero/kv.h"

#include "latch.h"
#include "lock_table.h"
#include "tscache.h"
#include "txnwait.h"

#define PZ_REPL_PARKED_MAX 4096 /* batches held while the replica set loads */
#define PZ_REPL_READY_BATCH 64  /* guards granted per release call */
/* The wait tick: lock timeouts, deadlines, push retries and txnwait expiries are checked this
 * often while anything waits (one timer, not one per waiter). */
#define PZ_REPL_TICK_MS 20u
/* A push that failed for a passing reason (busy, timed out at the record, not ready) is sent
 * again after this, while its waiters wait. */
#define PZ_REPL_PUSH_RETRY_MS 50u
/* Transactions a forced push aborted that repl remembers (a ring): their own parked pushes,
 * decided on deps learned before the abort, must not break a cycle that is already broken. */
#define PZ_REPL_VICTIMS_MAX 16u
/* A pipelined batch's commit wait that timed out is asked again this many times (its latches
 * are held meanwhile: storage is slow, not gone, in one process) before they are let go. */
#define PZ_REPL_COMMIT_WAITS_MAX 10u
/* Waiters or pushes handled per call of the pure units' take functions. */
#define PZ_REPL_TAKE_BATCH 64u

typedef struct {
    uint64_t range_id;
    uint64_t generation;
    pz_view_t start, end; /* owned */
    uint8_t *packed;      /* the stored descriptor, for mismatch replies */
    size_t packed_len;
    uint64_t bytes; /* written since load or the last split (automatic splits) */
    bool splitting; /* a split of it is running */
} pz__replica_t;

typedef enum {
    PZ_RF_LOAD = 1,
    PZ_RF_BOOTSTRAP = 2,
    PZ_RF_BATCH = 3, /* a batch from dist, or one of repl's own (RESOLVE) */
    PZ_RF_PUSH = 4,  /* a PUSH_TXN repl sent for waiters (through dist) */
    PZ_RF_QUERY = 5, /* a QUERY_TXN repl sent for a parked push's pusher (through dist) */
    PZ_RF_SPLIT = 6, /* a split: its latches and its storage requests */
    PZ_RF_GC = 7,    /* the GC queue's GC request (repl_gcq.c) */
    PZ_RF_COMMIT = 8, /* a pipelined batch, answered, waiting for its commit (latches held) */
} pz__rf_kind_t;

struct pz__split; /* repl_split.h */

/* One batch on its way through repl, or one request repl sent. */
typedef struct pz__repl_flight {
    pz__rf_kind_t kind;
    pz_msg_t *req;     /* BATCH from dist (kept); NULL: repl's own batch */
    pz_kv_batch_t b;   /* BATCH: decoded (views into req, or into arena) */
    pz_arena_t *arena; /* repl's own batch: owns b */
    bool reencode;     /* b was changed (timestamps, force): encode it, not req's body */
    pz__latch_guard_t *guard;
    uint64_t deadline_ms;   /* from req's envelope; 0: none */
    uint64_t wait_start_ms; /* the first lock wait (lock_timeout_ms counts from it) */
    uint64_t tw_seq;        /* a PUSH_TXN parked in (or re-evaluated from) txnwait */
    pz__lt_push_t *push;    /* PUSH: the lock table's push */
    struct pz__split *split; /* SPLIT (owned) */
    uint64_t token;          /* COMMIT: storage's pipelined-commit token */
    uint32_t commit_waits;   /* COMMIT: waits sent (PZ_REPL_COMMIT_WAITS_MAX) */
} pz__repl_flight_t;

typedef struct {
    char storage[PZ_ADDR_BYTES_MAX];
    char dist[PZ_ADDR_BYTES_MAX];
    char self_addr[PZ_ADDR_BYTES_MAX];
    bool bootstrap;
    int64_t node_id;
    uint32_t timeout_ms;
    uint64_t range_max_bytes; /* a range that grows past it is split */
    bool ready;
    pz__replica_t *replicas;
    uint32_t replicas_len;
    pz_msg_t *parked[PZ_REPL_PARKED_MAX];
    uint32_t parked_len;
    pz__latches_t latches;
    pz__tscache_t *tscache;
    pz__lt_t *locks;
    pz__tw_t *txnwait;
    bool tick_armed;
    uint64_t last_query_ms;
    pz_metric_t *m_batches;
    pz_metric_t *m_latch_waits;
    pz_metric_t *m_mismatch;
    pz_metric_t *m_lock_waits;
    pz_metric_t *m_pushes;
    pz_metric_t *m_tscache_bumps;
    pz_metric_t *m_deadlocks;
    /* Deadlocks are broken one at a time: one forced push in flight (a three-way cycle has
     * several edges whose pusher wins, and breaking two of them made two victims), and the
     * transactions that forced pushes aborted lately never force one themselves. */
    uint64_t forcing_until_ms; /* a forced push is in flight until then (0: none; bounded by
                                * timeout_ms in case its answer never comes) */
    uint8_t victims[PZ_REPL_VICTIMS_MAX][PZ_TXN_ID_BYTES];
    uint32_t victims_next;
    struct pz__gcq *gcq; /* the MVCC GC queue (repl_gcq.c) */
} pz__repl_t;

#define PZ_REPL_TICK_TIMER 2u /* timer id; 1 is the replica-set load retry */

const pz__replica_t *pz__repl_replica(const pz__repl_t *p, uint64_t range_id);
/* Installs a descriptor (packed, copied): replaces the replica with its id, or adds it. */
int pz__repl_replica_put(pz__repl_t *p, const uint8_t *packed, size_t len, uint64_t bytes);

/* repl_batch.c */
/* Handles one batch from dist; *kept: the batch now belongs to a flight. */
int pz__repl_on_batch(pz_actor_t *self, pz__repl_t *p, pz_msg_t *msg, bool *kept);
/* Acquires f's latches (again, for a batch that waited) and runs it when granted. */
void pz__repl_start(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f);
void pz__repl_batch_done(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply);
/* Storage's answer to a pipelined batch's PZ_MSG_KV_COMMIT_WAIT (f->kind PZ_RF_COMMIT). */
void pz__repl_commit_done(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply);
/* Releases f's latches (if held), running the batches that can now go. */
void pz__repl_unlatch(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f);
/* Answers a kept batch with a KV error (record: the transaction record to include) and frees
 * the flight (its latches must be released). */
void pz__repl_fail(pz_actor_t *self, pz__repl_flight_t *f, int code, const char *why,
                   const pz_kv_txn_record_t *record);
void pz__repl_flight_free(pz__repl_flight_t *f);
/* A request to dist or storage of a batch repl built (ctx: the flight). */
int pz__repl_send(pz_actor_t *self, const char *to, const pz_kv_batch_t *b, uint32_t timeout_ms,
                  pz__repl_flight_t *ctx);
/* Monotonic milliseconds at which msg's sender stops waiting; 0: never. */
uint64_t pz__repl_deadline_ms(pz_actor_t *self, const pz_msg_t *msg);

/* repl_wait.c */
/* Storage met an intent: f (latches released) waits on its key and the holder is pushed. */
void pz__repl_wait(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f,
                   const pz_kv_intent_t *intent);
/* Storage answered f, a PUSH_TXN, with PZ_EPUSH_FAILED: park it (or answer it). True when
 * parked (f kept). */
bool pz__repl_park(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f,
                   const pz_kv_batch_resp_t *r);
void pz__repl_push_done(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply);
void pz__repl_query_done(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply);
/* A forced push (f) was answered: the next deadlock may be broken; pushee_aborted records its
 * victim. */
void pz__repl_forced_done(pz__repl_t *p, const pz__repl_flight_t *f, bool pushee_aborted);
/* Keys of range_id in [start, end) (end empty: the key) were resolved: their waiters run again
 * (fail_code 0) or fail with fail_code (the resolve failed). */
void pz__repl_wake(pz_actor_t *self, pz__repl_t *p, uint64_t range_id, pz_view_t start,
                   pz_view_t end, int fail_code);
/* The record of txn_id changed here: parked pushes on it are evaluated again. */
void pz__repl_record_changed(pz_actor_t *self, pz__repl_t *p, pz_view_t txn_id);
/* txn_id released locks while PENDING (a savepoint rollback): the pushes parked on it here
 * are answered PZ_EPUSH_FAILED, so their pushers' repls push again only for waiters left. */
void pz__repl_locks_released(pz_actor_t *self, pz__repl_t *p, pz_view_t txn_id);
/* QUERY_TXN about txn_id succeeded: the answer gets this repl's deps. */
int pz__repl_answer_query(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f,
                          pz_kv_batch_resp_t *r);
void pz__repl_tick(pz_actor_t *self, pz__repl_t *p);
void pz__repl_arm_tick(pz_actor_t *self, pz__repl_t *p);
/* Shutdown: frees every waiting batch. */
void pz__repl_wait_fini(pz__repl_t *p);

/* repl_split.c */
/* Starts a split of range_id: at key for a SPLIT batch (req, owned from here: answered and freed
 * by the split), or automatic (req NULL: at the middle of the range's data). */
int pz__repl_split_begin(pz_actor_t *self, pz__repl_t *p, uint64_t range_id, pz_msg_t *req,
                         pz_view_t key);
/* f, a split flight, was granted its latches. */
void pz__repl_split_granted(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f);
/* Storage answered one of f's requests. */
void pz__repl_split_reply(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply);
/* A batch of range_id applied write_bytes: past range_max_bytes, the range splits. */
void pz__repl_split_account(pz_actor_t *self, pz__repl_t *p, uint64_t range_id,
                            uint64_t write_bytes);

/* repl_gcq.c: the MVCC GC queue (repl_gcq.h). init reads gc_ttl and gc_interval from the
 * section (PZ_ECONFIG when malformed) and arms its timer; tick runs on that timer; done takes
 * the answer to its GC request (a reply whose flight is PZ_RF_GC). */
int pz__gcq_init(pz_actor_t *self, pz__repl_t *p, const pz_cfg_t *cfg);
void pz__gcq_fini(pz__repl_t *p);
void pz__gcq_tick(pz_actor_t *self, pz__repl_t *p);
void pz__gcq_done(pz_actor_t *self, pz__repl_t *p, pz_msg_t *reply);

#endif
