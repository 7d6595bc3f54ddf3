/*
 * txnwait.h — repl's txnwait queue and deadlock detection (internal to repl).
 *
 * A PUSH_TXN that storage answers with PZ_EPUSH_FAILED (the pushee is alive and wins) is parked
 * here, at the repl holding the pushee's record, instead of being answered: the pusher's batch
 * keeps waiting without polling. A parked push is evaluated again (sent to storage) when the
 * pushee's record changes here (HEARTBEAT/END/PUSH_TXN for it completed), when the pushee would
 * expire (its last heartbeat + PZ_TXN_EXPIRY_MS), and at the push's own deadline, after which it
 * is answered whatever storage says.
 *
 * Deadlocks (CockroachDB's distributed detection): every PZ_TXNWAIT_QUERY_MS each parked push
 * that has a pusher asks for the pusher's record (QUERY_TXN, answered by the repl holding it). If
 * the pusher is finished, its push is answered PZ_ETXN_ABORTED. The answer's deps — who waits on
 * the pusher, transitively, as that repl's queue knows it — are merged into the push's own deps,
 * which this repl reports in turn when asked about the pushee. When the pushee shows up among the
 * pusher's deps, the pushee waits (transitively) on the pusher: a cycle. Exactly one side of each
 * edge breaks it, by one total order on transactions:
 *
 *     the pusher wins when its priority is higher, or, at equal priority, when its id is larger
 *     (memcmp over the id bytes, the shorter id first when one is a prefix of the other);
 *
 * the winner re-sends its push with ext.force (storage aborts the pushee, reason DEADLOCK); the
 * loser keeps waiting and is aborted from the other side. Every cycle has an edge whose pusher
 * wins, so every cycle is broken. A cycle of three or more can have several winning edges: repl
 * (repl_wait.c s_force) sends one forced push at a time and drops the pushes of transactions a
 * forced push aborted, so one victim breaks it. Deps are forgotten every PZ_TXNWAIT_DEPS_ROUNDS rounds so a
 * wait that ended cannot be seen as a cycle forever.
 *
 * Pure: no kernel calls; times are the caller's monotonic milliseconds.
 */
#ifndef PZ_REPL_TXNWAIT_H
#define PZ_REPL_TXNWAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "txnmeta.h"

/* Pushes parked at one repl (then the push is answered PZ_EBUSY). */
#define PZ_TXNWAIT_MAX 4096u
/* How often a parked push asks about its pusher: a deadlock of n transactions is seen after
 * about n - 1 rounds, so two or three are broken well within a second. */
#define PZ_TXNWAIT_QUERY_MS 100u
/* Rounds after which a push forgets the deps it learned (stale waits are not cycles). */
#define PZ_TXNWAIT_DEPS_ROUNDS 20u

/* One transaction known to wait (a dep). */
typedef struct {
    uint8_t id[PZ_TXN_ID_BYTES];
    uint32_t id_len;
    uint32_t priority;
} pz__tw_dep_t;

typedef struct {
    uint64_t seq;                    /* names the push across messages; never 0 */
    void *owner;                     /* the caller's: the PUSH_TXN request to answer */
    pz__txnmeta_t pushee, pusher;    /* pusher id_len 0: non-transactional */
    uint64_t deadline_ms, expiry_ms; /* 0: none */
    bool evaluating;                 /* at storage now */
    bool querying;                   /* a QUERY_TXN for the pusher is out */
    bool force;                      /* the next evaluation breaks a deadlock */
    uint32_t rounds;
    pz__tw_dep_t deps[PZ_TXN_DEPS_MAX];
    uint32_t deps_len;
} pz__tw_push_t;

typedef enum {
    PZ_TW_WAIT = 0,    /* keep waiting */
    PZ_TW_ABORTED = 1, /* the pusher is finished: answer PZ_ETXN_ABORTED (removed) */
    PZ_TW_FORCE = 2,   /* a cycle this push breaks: evaluate again with force (marked) */
} pz__tw_action_t;

typedef struct pz__tw pz__tw_t;

pz__tw_t *pz__tw_new(void);
void pz__tw_free(pz__tw_t **tw);

/* Parks a push (metas copied); *seq names it. PZ_EBUSY past PZ_TXNWAIT_MAX, PZ_ENOMEM. */
int pz__tw_park(pz__tw_t *tw, void *owner, const pz_kv_txn_t *pushee, const pz_kv_txn_t *pusher,
                uint64_t deadline_ms, uint64_t expiry_ms, uint64_t *seq);
/* The parked push named seq, or NULL (answered meanwhile). */
pz__tw_push_t *pz__tw_get(pz__tw_t *tw, uint64_t seq);
/* Removes it; returns its owner. */
void *pz__tw_remove(pz__tw_t *tw, uint64_t seq);
/* Storage failed it again: back to waiting, with the pushee's new expiry. */
void pz__tw_requeue(pz__tw_t *tw, uint64_t seq, uint64_t expiry_ms);

/* Pushes to evaluate again: those on pushee_id (its record changed), or (pushee_id empty) those
 * past their deadline or expiry at now_ms. Marked evaluating; their seqs go to out. */
uint32_t pz__tw_to_evaluate(pz__tw_t *tw, pz_view_t pushee_id, uint64_t now_ms, uint64_t *out,
                            uint32_t cap);
/* Pushes with a pusher and no query out: marked querying; their seqs go to out. */
uint32_t pz__tw_queries(pz__tw_t *tw, uint64_t *out, uint32_t cap);
/* The answer about push seq's pusher: finalized (COMMITTED/ABORTED record) and its deps. */
pz__tw_action_t pz__tw_query_done(pz__tw_t *tw, uint64_t seq, bool finalized,
                                  const pz_kv_txn_t *deps, uint32_t deps_len);
/* Who waits on txn_id here, transitively as learned, without txn_id itself: at most cap. */
uint32_t pz__tw_deps(const pz__tw_t *tw, pz_view_t txn_id, pz__tw_dep_t *out, uint32_t cap);

/* The tie-break above: does the pusher win against the pushee? */
bool pz__tw_pusher_wins(const pz__txnmeta_t *pusher, const pz__txnmeta_t *pushee);

/* Removes every push not at storage now, returning their owners (shutdown). */
uint32_t pz__tw_drain(pz__tw_t *tw, void **owners, uint32_t cap);

uint32_t pz__tw_len(const pz__tw_t *tw);

#endif
