/*
 * committer.h — group commit: one thread that merges queued write batches into one engine
 * commit and one fsync (internal).
 *
 * The actor evaluates a batch, submits its ops (pz__committer_submit never blocks) and returns
 * to its kernel thread. The committer thread takes everything queued, commits it as one engine
 * batch (durable if any member is), records each item's result, and calls the notify hook; the
 * actor then reaps the finished items (pz__committer_reap) and replies to each.
 *
 * Notifications are coalesced: notify runs only when no earlier notification is outstanding,
 * and pz__committer_reap re-arms it. One wake-up of the actor thus serves every group that
 * finished meanwhile, and the actor's mailbox never fills with completions.
 *
 * No kernel-runtime dependency: the module passes hooks that post through a mailslot and record
 * metrics; tests pass hooks that signal a condition variable.
 *
 * Threading: submit, reap, counts and stop are called from one thread (the actor's); the hooks
 * run on the committer thread. Items belong to the committer from submit until reaped.
 */
#ifndef PZ_STORAGE_COMMITTER_H
#define PZ_STORAGE_COMMITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_wrap.h"

/* One write batch's part of a group. Allocated and owned by the submitter; the committer only
 * links it and writes rc and group. ops must stay valid until the item is reaped. */
typedef struct pz_commit_item {
    const pz_engine_op_t *ops;
    size_t ops_len;
    size_t ops_bytes; /* key + value bytes: counted against the group byte bound */
    bool durable;
    void *token; /* the submitter's, untouched */
    /* Dependencies. An item evaluated over queued writes (storage_pend.h) must not commit if
     * one of those failed: the submitter stamps every item with its epoch (0: depends on
     * nothing) and marks the items whose writes others may have read (chain). When a chain
     * item fails, every item of its epoch or an older one that is not committed yet fails with
     * the same code; the submitter moves to a new epoch once it has reaped the failure. */
    uint64_t epoch;
    bool chain;
    int rc;         /* set when done: 0 or the engine's code (nothing of the batch applied) */
    uint64_t group; /* set when done: the sequence number of its group */
    struct pz_commit_item *next;
} pz_commit_item_t;

/* What one engine commit did: for metrics. */
typedef struct pz_commit_stats {
    uint64_t group; /* sequence number */
    size_t batches; /* items in the commit */
    size_t ops;
    size_t bytes;
    bool durable;       /* the engine was asked to fsync */
    uint64_t commit_us; /* batch_commit's duration (with durable: the fsync latency) */
    int rc;
} pz_commit_stats_t;

typedef struct pz_committer_hooks {
    /* Required. Runs on the committer thread when finished items wait to be reaped and no
     * notification is outstanding. May block (a full mailbox): commits wait meanwhile. */
    void (*notify)(void *ctx, uint64_t group);
    /* Optional. After every engine commit, on the committer thread. */
    void (*on_commit)(void *ctx, const pz_commit_stats_t *s);
    /* Optional. On the committer thread just before it exits (close what it opened). */
    void (*on_exit)(void *ctx);
    void *ctx;
} pz_committer_hooks_t;

typedef struct pz_committer_opts {
    bool sync;          /* false: every commit is non-durable (benchmarks only) */
    size_t batches_max; /* queued items; 0 = PZ_GROUP_COMMIT_BATCHES_MAX */
    size_t bytes_max;   /* queued ops_bytes; 0 = PZ_GROUP_COMMIT_BYTES_MAX */
    /* Microseconds a queue of chain items alone may wait for more (0: commit at once, at most
     * PZ_COMMIT_LINGER_US_MAX). Chain items are answered already and nothing waits for their
     * commit but a later durable one (their transaction's END_TXN), so committing each alone —
     * an fdatasync apiece — buys nothing: lingering lets them share the commit of whatever
     * arrives next. Any other item ends the wait, and so do half the queue bounds,
     * PZ_COMMIT_LINGER_BYTES_MAX queued, and stop. */
    uint32_t linger_us;
} pz_committer_opts_t;

typedef struct pz_committer pz_committer_t;

/* Starts the thread. eng must stay open until pz__committer_stop returns. PZ_ENOMEM, or
 * PZ_EINTERNAL when the thread cannot be created. */
int pz__committer_start(pz_eng_t *eng, const pz_committer_opts_t *opts,
                        const pz_committer_hooks_t *hooks, pz_committer_t **out);

/* Queues an item (which must not be queued already). Never blocks. PZ_EBUSY when the queue
 * holds batches_max items or the item would pass bytes_max (an item alone is always accepted,
 * whatever its size); PZ_ECLOSED after stop began. On error the item stays the caller's. */
int pz__committer_submit(pz_committer_t *c, pz_commit_item_t *item);

/* Takes every finished item, in commit order, as a list linked by next (NULL if none), and
 * re-arms the notification. */
pz_commit_item_t *pz__committer_reap(pz_committer_t *c);

/* Items submitted and not yet reaped. */
size_t pz__committer_inflight(const pz_committer_t *c);

/* Engine commits and batches committed so far (tests and logs). */
void pz__committer_counts(pz_committer_t *c, uint64_t *commits, uint64_t *batches);

/* Drains: commits everything still queued, stops the thread, and returns the finished items
 * not reaped yet (list as pz__committer_reap). Frees the committer and sets *c to NULL. */
pz_commit_item_t *pz__committer_stop(pz_committer_t **c);

#endif
