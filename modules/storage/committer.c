/*
 * committer.c — the group-commit thread (see committer.h for the contract).
 *
 * Why a thread: a durable commit waits for fsync (milliseconds), and an actor's hooks must not
 * block their kernel thread (DESIGN.md rule 3). Why one: the engine ABI allows one commit at a
 * time, and LMDB has one writer anyway — so batches that arrive while a commit runs queue up
 * and go together in the next one, sharing its fsync.
 *
 * The queue is bounded (PZ_GROUP_COMMIT_BATCHES_MAX items, PZ_GROUP_COMMIT_BYTES_MAX bytes), and
 * the committer takes the whole queue at once, so one group never exceeds those bounds either.
 * At most one group commits and one queue waits: memory is bounded by twice the limits.
 *
 * Failure: the merged commit is atomic, so when it fails nothing of the group applied. With
 * PZ_ENOSPC, PZ_EMAPFULL or PZ_EIO (the store cannot take writes now) every batch of the group
 * gets that error. With any other code the engine refused something in one batch (LMDB refuses
 * keys over its 511-byte limit with PZ_ETOOBIG), so each batch is retried alone and only the one
 * at fault fails: one bad request must not fail its neighbours.
 */
#include "committer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phantomzero/errors.h"
#include "phantomzero/limits.h"
#include "storage_assert.h"

struct pz_committer {
    pz_eng_t *eng;
    pz_committer_opts_t opts;
    pz_committer_hooks_t hooks;
    pthread_t thread;

    pthread_mutex_t mu; /* guards everything below up to the unlocked section */
    pthread_cond_t cv;  /* the queue got an item, or stop began */
    pz_commit_item_t *q_head, *q_tail;
    size_t q_batches, q_bytes;
    size_t q_waited;  /* queued items something waits for: not (chain and not durable) */
    uint64_t q_at_us; /* s_now_us() when the queue's first item came */
    pz_commit_item_t *d_head, *d_tail; /* done, waiting to be reaped */
    bool notified;                     /* a notification is outstanding */
    bool stopping;
    uint64_t commits, batches;

    /* Committer thread only. */
    pz_engine_op_t *ops; /* the merged batch, reused across groups */
    size_t ops_cap;
    uint64_t group_seq;
    uint64_t dead_epoch; /* items of this epoch or older fail with dead_rc (0: none) */
    int dead_rc;

    /* Actor thread only. */
    size_t inflight;
};

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Grows the merged-ops array to hold n ops. */
static int s_ops_reserve(pz_committer_t *c, size_t n)
{
    if (n <= c->ops_cap) {
        return 0;
    }
    size_t cap = c->ops_cap ? c->ops_cap : 64;
    while (cap < n) {
        cap *= 2;
    }
    pz_engine_op_t *p = realloc(c->ops, sizeof *p * cap);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    c->ops = p;
    c->ops_cap = cap;
    return 0;
}

/* Was it evaluated over a chain item whose commit failed? */
static bool s_poisoned(const pz_committer_t *c, const pz_commit_item_t *it)
{
    return it->epoch != 0 && it->epoch <= c->dead_epoch;
}

/* A chain item failed: everything of its epoch not committed yet must fail too. */
static void s_note_result(pz_committer_t *c, const pz_commit_item_t *it)
{
    if (it->rc != 0 && it->chain && it->epoch > c->dead_epoch) {
        c->dead_epoch = it->epoch;
        c->dead_rc = it->rc;
    }
}

/* Commits the first n items of list, except poisoned ones, as one engine batch. Sets no
 * item's rc. */
static int s_commit(pz_committer_t *c, pz_commit_item_t *list, size_t n)
{
    PZ_ST_ASSERT(list != NULL && n > 0);
    pz_commit_stats_t st = {.group = c->group_seq};
    pz_commit_item_t *it = list;
    for (size_t i = 0; i < n; i++, it = it->next) {
        PZ_ST_ASSERT(it != NULL);
        if (s_poisoned(c, it)) {
            continue;
        }
        st.batches++;
        int rc = s_ops_reserve(c, st.ops + it->ops_len);
        if (rc != 0) {
            return rc;
        }
        memcpy(c->ops + st.ops, it->ops, sizeof *it->ops * it->ops_len);
        st.ops += it->ops_len;
        st.bytes += it->ops_bytes;
        st.durable = st.durable || it->durable;
    }
    if (st.batches == 0) {
        return 0;
    }
    st.durable = st.durable && c->opts.sync;
    pz_engine_batch_t b = {.ops = c->ops, .ops_len = st.ops};
    uint64_t t0 = s_now_us();
    st.rc = pz_engine_commit(c->eng, &b, st.durable);
    st.commit_us = s_now_us() - t0;
    if (c->hooks.on_commit != NULL) {
        c->hooks.on_commit(c->hooks.ctx, &st);
    }
    pthread_mutex_lock(&c->mu);
    c->commits++;
    c->batches += st.rc == 0 ? st.batches : 0;
    pthread_mutex_unlock(&c->mu);
    return st.rc;
}

static bool s_store_cannot_write(int rc)
{
    return rc == PZ_ENOSPC || rc == PZ_EMAPFULL || rc == PZ_EIO;
}

/* Commits a group (a list of n items) and sets every item's rc and group. */
static void s_commit_group(pz_committer_t *c, pz_commit_item_t *group, size_t n)
{
    c->group_seq++;
    int rc = s_commit(c, group, n);
    bool alone = rc != 0 && n > 1 && !s_store_cannot_write(rc) && rc != PZ_ENOMEM;
    for (pz_commit_item_t *it = group; it != NULL; it = it->next) {
        it->group = c->group_seq;
        /* A failed group poisons later items of the same epoch; they failed with it anyway
         * (one commit), so only the code is shared. Alone, an item poisoned by an earlier
         * one's failure is not tried. */
        if (s_poisoned(c, it)) {
            it->rc = c->dead_rc;
        } else {
            it->rc = alone ? s_commit(c, it, 1) : rc;
        }
        s_note_result(c, it);
    }
}

/* Moves a committed group to the done list; true if the actor must be notified. */
static bool s_finish(pz_committer_t *c, pz_commit_item_t *group, pz_commit_item_t *tail)
{
    pthread_mutex_lock(&c->mu);
    if (c->d_tail != NULL) {
        c->d_tail->next = group;
    } else {
        c->d_head = group;
    }
    c->d_tail = tail;
    bool post = !c->notified;
    c->notified = true;
    pthread_mutex_unlock(&c->mu);
    return post;
}

/* Whether the queue is past what lingering may collect (mu held): half its bounds, or
 * PZ_COMMIT_LINGER_BYTES_MAX. */
static bool s_queue_big(const pz_committer_t *c)
{
    return c->q_batches >= c->opts.batches_max / 2 || c->q_bytes >= c->opts.bytes_max / 2 ||
           c->q_bytes >= PZ_COMMIT_LINGER_BYTES_MAX;
}

/* True while the queue holds only chain items that nothing waits for (committer.h linger_us),
 * within the bounds: waits (mu held) until an item, stop or the deadline, then the caller looks
 * again. False: commit the queue now. */
static bool s_linger(pz_committer_t *c)
{
    bool hold = c->opts.linger_us > 0 && !c->stopping && c->q_waited == 0 && !s_queue_big(c);
    if (!hold) {
        return false;
    }
    uint64_t due_us = c->q_at_us + c->opts.linger_us;
    if (s_now_us() >= due_us) {
        return false;
    }
    struct timespec until = {.tv_sec = (time_t)(due_us / 1000000u),
                             .tv_nsec = (long)(due_us % 1000000u) * 1000};
    pthread_cond_timedwait(&c->cv, &c->mu, &until);
    return true;
}

static void *s_main(void *arg)
{
    pz_committer_t *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->q_head == NULL && !c->stopping) {
            pthread_cond_wait(&c->cv, &c->mu);
        }
        if (c->q_head == NULL) {
            break; /* stopping, and the queue is drained */
        }
        if (s_linger(c)) {
            continue;
        }
        pz_commit_item_t *group = c->q_head, *tail = c->q_tail;
        size_t n = c->q_batches;
        c->q_head = c->q_tail = NULL;
        c->q_batches = c->q_bytes = c->q_waited = 0;
        pthread_mutex_unlock(&c->mu);

        s_commit_group(c, group, n);
        uint64_t seq = c->group_seq;
        if (s_finish(c, group, tail)) {
            c->hooks.notify(c->hooks.ctx, seq); /* unlocked: it may block on a full mailbox */
        }
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    if (c->hooks.on_exit != NULL) {
        c->hooks.on_exit(c->hooks.ctx);
    }
    return NULL;
}

int pz__committer_start(pz_eng_t *eng, const pz_committer_opts_t *opts,
                        const pz_committer_hooks_t *hooks, pz_committer_t **out)
{
    PZ_ST_ASSERT(eng != NULL && eng->e != NULL && opts != NULL && out != NULL);
    PZ_ST_ASSERT(hooks != NULL && hooks->notify != NULL);
    pz_committer_t *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return PZ_ENOMEM;
    }
    c->eng = eng;
    c->opts = *opts;
    if (c->opts.batches_max == 0 || c->opts.batches_max > PZ_GROUP_COMMIT_BATCHES_MAX) {
        c->opts.batches_max = PZ_GROUP_COMMIT_BATCHES_MAX;
    }
    if (c->opts.bytes_max == 0 || c->opts.bytes_max > PZ_GROUP_COMMIT_BYTES_MAX) {
        c->opts.bytes_max = PZ_GROUP_COMMIT_BYTES_MAX;
    }
    if (c->opts.linger_us > PZ_COMMIT_LINGER_US_MAX) {
        c->opts.linger_us = PZ_COMMIT_LINGER_US_MAX;
    }
    c->hooks = *hooks;
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t ca; /* s_linger's deadline is on the monotonic clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&c->thread, NULL, s_main, c) != 0) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return PZ_EINTERNAL;
    }
    *out = c;
    return 0;
}

int pz__committer_submit(pz_committer_t *c, pz_commit_item_t *item)
{
    PZ_ST_ASSERT(c != NULL && item != NULL && (item->ops_len == 0 || item->ops != NULL));
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    bool fits =
        c->q_batches < c->opts.batches_max && c->q_bytes + item->ops_bytes <= c->opts.bytes_max;
    if (c->stopping) {
        rc = PZ_ECLOSED;
    } else if (c->q_batches > 0 && !fits) {
        rc = PZ_EBUSY;
    } else {
        item->next = NULL;
        item->rc = 0;
        item->group = 0;
        bool waited = !item->chain || item->durable;
        if (c->q_tail != NULL) {
            c->q_tail->next = item;
        } else {
            c->q_head = item;
            c->q_at_us = s_now_us();
        }
        c->q_tail = item;
        c->q_batches++;
        c->q_bytes += item->ops_bytes;
        c->q_waited += waited;
        /* A lingering thread needs waking only for what ends its wait. */
        if (c->q_batches == 1 || waited || c->opts.linger_us == 0 || s_queue_big(c)) {
            pthread_cond_signal(&c->cv);
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (rc == 0) {
        c->inflight++;
    }
    return rc;
}

static pz_commit_item_t *s_take_done(pz_committer_t *c)
{
    pthread_mutex_lock(&c->mu);
    pz_commit_item_t *list = c->d_head;
    c->d_head = c->d_tail = NULL;
    c->notified = false;
    pthread_mutex_unlock(&c->mu);
    for (pz_commit_item_t *it = list; it != NULL; it = it->next) {
        PZ_ST_ASSERT(c->inflight > 0 && it->group > 0);
        c->inflight--;
    }
    return list;
}

pz_commit_item_t *pz__committer_reap(pz_committer_t *c)
{
    PZ_ST_ASSERT(c != NULL);
    return s_take_done(c);
}

size_t pz__committer_inflight(const pz_committer_t *c)
{
    PZ_ST_ASSERT(c != NULL);
    return c->inflight;
}

void pz__committer_counts(pz_committer_t *c, uint64_t *commits, uint64_t *batches)
{
    PZ_ST_ASSERT(c != NULL && commits != NULL && batches != NULL);
    pthread_mutex_lock(&c->mu);
    *commits = c->commits;
    *batches = c->batches;
    pthread_mutex_unlock(&c->mu);
}

pz_commit_item_t *pz__committer_stop(pz_committer_t **cp)
{
    PZ_ST_ASSERT(cp != NULL && *cp != NULL);
    pz_committer_t *c = *cp;
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    int rc = pthread_join(c->thread, NULL);
    PZ_ST_ASSERT(rc == 0);
    pz_commit_item_t *left = s_take_done(c);
    PZ_ST_ASSERT(c->inflight == 0 && c->q_head == NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c->ops);
    free(c);
    *cp = NULL;
    return left;
}
