/*
 * lock_table.h — repl's lock wait queues and the pushes they start (internal to repl).
 *
 * When storage answers a batch with PZ_EWRITE_INTENT, the batch gives up its latches and waits
 * here, in the FIFO queue of the intent's key, and the intent's transaction (the holder) is
 * pushed: PUSH_TXN to the holder's record. One push is in flight per (holder, pusher, push type):
 * every batch of one transaction (or every non-transactional batch) that waits on the same
 * holder the same way shares it. When a push succeeds the holder's intents under waiters are
 * resolved, and each queue whose key was resolved releases its waiters, in order, to run again
 * from their latches. A waiter also leaves when its deadline or lock timeout passes, or when its
 * push fails for good.
 *
 * CockroachDB keeps a lock table of every lock it knows; this one only knows keys that have
 * waiters (storage holds the intents themselves), which is all repl needs to know whom to wake.
 *
 * Queues and pushes are plain arrays scanned linearly: they hold only what is contended right
 * now. Pure: no kernel calls; times are the caller's monotonic milliseconds.
 */
#ifndef PZ_REPL_LOCK_TABLE_H
#define PZ_REPL_LOCK_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "txnmeta.h"

/* Batches waiting on locks at one repl (then PZ_EBUSY). */
#define PZ_LOCK_WAITERS_MAX 16384u
/* Keys with waiters, and pushes in flight or due, at one repl (then PZ_EBUSY). */
#define PZ_LOCK_QUEUES_MAX 4096u
#define PZ_LOCK_PUSHES_MAX 4096u

/* What a waiting batch brings. */
typedef struct {
    void *owner;            /* the caller's: what to run again or fail */
    pz__txnmeta_t pusher;   /* id_len 0: non-transactional (copied in) */
    uint8_t push_type;      /* enum pz_push_type */
    pz_hlc_t push_to;       /* the waiter's read timestamp */
    bool nowait;            /* header.wait_policy PZ_WAIT_ERROR */
    uint64_t deadline_ms;   /* 0: none; past it, PZ_ETIMEDOUT */
    uint64_t lock_limit_ms; /* 0: none; past it, PZ_ELOCK_TIMEOUT */
} pz__lt_waiter_t;

/* A push: the holder, the pusher, how; the caller sends it, and reports back with the same
 * pointer (valid until pz__lt_push_done). */
typedef struct pz__lt_push {
    pz__txnmeta_t holder, pusher;
    uint8_t push_type;
    pz_hlc_t push_to; /* the newest push_to of its waiters */
    bool nowait;      /* any waiter asked for NOWAIT: push with PZ_PUSH_TOUCH */
    bool in_flight;
    uint64_t retry_ms; /* !in_flight: when to send it again */
} pz__lt_push_t;

typedef struct pz__lt pz__lt_t;

pz__lt_t *pz__lt_new(void);
/* Frees everything; owners are the caller's. */
void pz__lt_free(pz__lt_t **lt);

/* Queues w on (range_id, key) held by `holder`. *push: a push the caller must send now (marked
 * in flight), or NULL when one for the same (holder, pusher, type) is already out. PZ_EBUSY past
 * the bounds above, PZ_ENOMEM; either way nothing was queued. */
int pz__lt_wait(pz__lt_t *lt, uint64_t range_id, pz_view_t key, const pz_kv_txn_t *holder,
                const pz__lt_waiter_t *w, pz__lt_push_t **push);

/* Takes the waiters of the keys of range_id in [start, end) (end empty: the key start), oldest
 * first within each key, into owners[] (capacity cap); returns how many. Their queues go. Call
 * again while it returns cap. */
uint32_t pz__lt_release(pz__lt_t *lt, uint64_t range_id, pz_view_t start, pz_view_t end,
                        void **owners, uint32_t cap);

/* The keys whose holder is holder_id, for resolving: calls fn(ctx, range_id, key) on each. */
void pz__lt_held_keys(const pz__lt_t *lt, pz_view_t holder_id,
                      void (*fn)(void *ctx, uint64_t range_id, pz_view_t key), void *ctx);

/* Takes the waiters that push p stands for (holder, pusher, type) out of their queues. */
uint32_t pz__lt_take_push_waiters(pz__lt_t *lt, const pz__lt_push_t *p, void **owners,
                                  uint32_t cap);

/* Takes every waiter whose own transaction is pusher_id (non-empty) out of its queue: that
 * transaction was aborted, so none of its batches may run again. */
uint32_t pz__lt_take_pusher_waiters(pz__lt_t *lt, pz_view_t pusher_id, void **owners,
                                    uint32_t cap);
/* A push's reply came. retry_at_ms 0: the push is over and p is freed. Otherwise it is sent
 * again at retry_at_ms if any of its waiters is still there then (pz__lt_due). */
void pz__lt_push_done(pz__lt_t *lt, pz__lt_push_t *p, uint64_t retry_at_ms);
/* Does any waiter still wait on p? */
bool pz__lt_push_has_waiters(const pz__lt_t *lt, const pz__lt_push_t *p);

/* Takes up to cap waiters whose deadline or lock timeout has passed at now_ms into owners[] with
 * the code each fails with (PZ_ETIMEDOUT, PZ_ELOCK_TIMEOUT) in codes[]. */
uint32_t pz__lt_expired(pz__lt_t *lt, uint64_t now_ms, void **owners, int *codes, uint32_t cap);
/* Pushes whose retry time has come and that still have waiters: marked in flight and returned
 * for the caller to send. Pushes with no waiter left are dropped. */
uint32_t pz__lt_due(pz__lt_t *lt, uint64_t now_ms, pz__lt_push_t **out, uint32_t cap);

/* Takes any waiters, of every key (shutdown). */
uint32_t pz__lt_drain(pz__lt_t *lt, void **owners, uint32_t cap);

uint32_t pz__lt_waiters(const pz__lt_t *lt);
uint32_t pz__lt_pushes(const pz__lt_t *lt);

#endif
