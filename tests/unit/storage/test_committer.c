/*
 * test_committer.c — proves group commit (modules/storage/committer.c) against the real LMDB
 * plugin: batches that queue while a commit runs share the next engine commit (fewer commits
 * than batches); a group is durable when any member is, and never when sync is off; the queue
 * refuses work past its bounds with PZ_EBUSY instead of growing; a merged commit that fails
 * with PZ_EMAPFULL fails every batch of its group, writes nothing of it, and the store keeps
 * serving reads and later writes; a batch the engine refuses for its own content fails alone;
 * stop drains what is queued. Dependencies (committer.h): when a chain item fails, the items
 * of its epoch or an older one queued after it fail with its code and write nothing — in its
 * group and in later groups, even a group of nothing else (then without an engine commit) —
 * while items of a later epoch or of epoch 0 commit; a failed non-chain item poisons nothing.
 *
 * How: the committer runs its real thread; the test's hooks stand in for the module's (which
 * post to the actor's mailslot and record metrics): notify signals a condition variable, and
 * on_commit can hold the first commit so that the test queues batches behind it
 * deterministically. Items carry ops produced by pz__mvcc_eval, as in the module.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "committer.h"
#include "storage_test.h"

typedef struct t_hooks {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned notified; /* notifications not yet consumed by t_wait_done */
    bool hold;         /* the next commit waits in on_commit until release */
    bool held;
    bool release;
    unsigned commits, durable_commits;
    size_t batches_max;
    bool exited;
} t_hooks_t;

static void t_notify(void *ctx, uint64_t group)
{
    t_hooks_t *h = ctx;
    assert_true(group > 0);
    pthread_mutex_lock(&h->mu);
    h->notified++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void t_on_commit(void *ctx, const pz_commit_stats_t *s)
{
    t_hooks_t *h = ctx;
    pthread_mutex_lock(&h->mu);
    h->commits++;
    h->durable_commits += s->durable;
    h->batches_max = s->batches > h->batches_max ? s->batches : h->batches_max;
    if (h->hold && !h->held) {
        h->held = true;
        pthread_cond_broadcast(&h->cv);
        while (!h->release) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
    }
    pthread_mutex_unlock(&h->mu);
}

static void t_on_exit(void *ctx)
{
    t_hooks_t *h = ctx;
    pthread_mutex_lock(&h->mu);
    h->exited = true;
    pthread_mutex_unlock(&h->mu);
}

static void t_hooks_init(t_hooks_t *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
}

static pz_committer_hooks_t t_hooks(t_hooks_t *h)
{
    return (pz_committer_hooks_t){.notify = t_notify, .on_commit = t_on_commit,
                                  .on_exit = t_on_exit, .ctx = h};
}

/* Waits (10 s at most) until pred holds under the lock. */
#define T_WAIT(h, pred)                                                                          \
    do {                                                                                         \
        struct timespec dl_;                                                                     \
        clock_gettime(CLOCK_REALTIME, &dl_);                                                     \
        dl_.tv_sec += 10;                                                                        \
        pthread_mutex_lock(&(h)->mu);                                                            \
        while (!(pred)) {                                                                        \
            assert_int_equal(pthread_cond_timedwait(&(h)->cv, &(h)->mu, &dl_), 0);               \
        }                                                                                        \
        pthread_mutex_unlock(&(h)->mu);                                                          \
    } while (0)

static void t_release(t_hooks_t *h)
{
    pthread_mutex_lock(&h->mu);
    h->release = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* One write batch evaluated into ops, ready to submit. */
typedef struct t_item {
    pz_commit_item_t item;
    st_result_t r;
    char key[640];
    bool reaped;
} t_item_t;

static void t_item_make(st_env_t *env, t_item_t *t, const char *key, const char *value,
                        bool durable)
{
    memset(t, 0, sizeof *t);
    snprintf(t->key, sizeof t->key, "%s", key);
    st_batch_t sb;
    st_batch_init(&sb, st_ts(100, 0));
    st_put(&sb, t->key, value);
    t->r.arena = pz_arena_new();
    pz_eng_snap_t snap = {0};
    assert_int_equal(pz_engine_snap_open(&env->eng, &snap), 0);
    assert_int_equal(pz__mvcc_eval(&snap, &sb.b, &(pz_mvcc_env_t){0}, t->r.arena, &t->r.res), 0);
    pz_engine_snap_close(&snap);
    t->item = (pz_commit_item_t){.ops = t->r.res.ops, .ops_len = t->r.res.ops_len,
                                 .ops_bytes = t->r.res.ops_bytes, .durable = durable,
                                 .token = t};
}

/* Reaps until n items are done; checks each is one of ours and reaped once. */
static void t_wait_done(t_hooks_t *h, pz_committer_t *c, size_t n)
{
    size_t got = 0;
    while (got < n) {
        T_WAIT(h, h->notified > 0);
        pthread_mutex_lock(&h->mu);
        h->notified = 0;
        pthread_mutex_unlock(&h->mu);
        for (pz_commit_item_t *it = pz__committer_reap(c); it != NULL; it = it->next) {
            t_item_t *t = it->token;
            assert_ptr_equal(&t->item, it);
            assert_false(t->reaped);
            t->reaped = true;
            got++;
        }
    }
    assert_int_equal(got, n);
    assert_int_equal(pz__committer_inflight(c), 0);
}

static bool t_visible(st_env_t *env, const char *key)
{
    char buf[128];
    return st_get_at(env, 1000, key, buf, sizeof buf);
}

static void test_queued_batches_share_a_commit(void **state)
{
    (void)state;
    enum { N = 50 };
    st_env_t env;
    st_env_open(&env, 0, 0);
    t_hooks_t h;
    t_hooks_init(&h);
    h.hold = true;
    pz_committer_hooks_t hooks = t_hooks(&h);
    pz_committer_opts_t opts = {.sync = true};
    pz_committer_t *c = NULL;
    assert_int_equal(pz__committer_start(&env.eng, &opts, &hooks, &c), 0);

    t_item_t *items = calloc(N, sizeof *items);
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "key%03d", i);
        t_item_make(&env, &items[i], key, "v", true);
    }
    /* The first batch commits alone and is held there; the rest queue behind it. */
    assert_int_equal(pz__committer_submit(c, &items[0].item), 0);
    T_WAIT(&h, h.held);
    for (int i = 1; i < N; i++) {
        assert_int_equal(pz__committer_submit(c, &items[i].item), 0);
    }
    assert_int_equal(pz__committer_inflight(c), N);
    t_release(&h);
    t_wait_done(&h, c, N);

    uint64_t commits = 0, batches = 0;
    pz__committer_counts(c, &commits, &batches);
    assert_int_equal(batches, N);
    assert_int_equal(commits, 2);
    assert_true(commits < batches);
    assert_int_equal(h.batches_max, N - 1);
    assert_int_equal(h.durable_commits, 2);
    for (int i = 0; i < N; i++) {
        assert_int_equal(items[i].item.rc, 0);
        assert_true(items[i].item.group == (i == 0 ? 1u : 2u));
        assert_true(t_visible(&env, items[i].key));
    }
    assert_null(pz__committer_stop(&c));
    assert_true(h.exited);
    for (int i = 0; i < N; i++) {
        st_result_free(&items[i].r);
    }
    free(items);
    st_env_close(&env);
}

static void test_durability_of_a_group(void **state)
{
    (void)state;
    st_env_t env;
    st_env_open(&env, 0, 0);
    for (int sync = 1; sync >= 0; sync--) {
        t_hooks_t h;
        t_hooks_init(&h);
        h.hold = true;
        pz_committer_hooks_t hooks = t_hooks(&h);
        pz_committer_opts_t opts = {.sync = sync};
        pz_committer_t *c = NULL;
        assert_int_equal(pz__committer_start(&env.eng, &opts, &hooks, &c), 0);
        t_item_t it[4];
        t_item_make(&env, &it[0], "a", "v", false); /* alone: not durable */
        t_item_make(&env, &it[1], "b", "v", false);
        t_item_make(&env, &it[2], "c", "v", true); /* makes its group durable */
        t_item_make(&env, &it[3], "d", "v", false);
        assert_int_equal(pz__committer_submit(c, &it[0].item), 0);
        T_WAIT(&h, h.held);
        for (int i = 1; i < 4; i++) {
            assert_int_equal(pz__committer_submit(c, &it[i].item), 0);
        }
        t_release(&h);
        t_wait_done(&h, c, 4);
        assert_int_equal(h.commits, 2);
        assert_int_equal(h.durable_commits, sync ? 1 : 0);
        assert_null(pz__committer_stop(&c));
        for (int i = 0; i < 4; i++) {
            st_result_free(&it[i].r);
        }
    }
    st_env_close(&env);
}

static void test_queue_bounds(void **state)
{
    (void)state;
    st_env_t env;
    st_env_open(&env, 0, 0);
    t_hooks_t h;
    t_hooks_init(&h);
    h.hold = true;
    pz_committer_hooks_t hooks = t_hooks(&h);
    t_item_t it[8];
    char key[16];
    for (int i = 0; i < 8; i++) {
        snprintf(key, sizeof key, "k%d", i);
        t_item_make(&env, &it[i], key, "value", true);
    }
    /* Room for 4 queued items and the bytes of 2. */
    pz_committer_opts_t opts = {.sync = true, .batches_max = 4,
                                .bytes_max = 2 * it[1].item.ops_bytes};
    pz_committer_t *c = NULL;
    assert_int_equal(pz__committer_start(&env.eng, &opts, &hooks, &c), 0);
    assert_int_equal(pz__committer_submit(c, &it[0].item), 0);
    T_WAIT(&h, h.held);
    assert_int_equal(pz__committer_submit(c, &it[1].item), 0);
    assert_int_equal(pz__committer_submit(c, &it[2].item), 0);
    assert_int_equal(pz__committer_submit(c, &it[3].item), PZ_EBUSY); /* bytes */
    t_release(&h);
    t_wait_done(&h, c, 3);
    assert_null(pz__committer_stop(&c));

    /* The batch-count bound. */
    t_hooks_init(&h);
    h.hold = true;
    hooks = t_hooks(&h);
    opts = (pz_committer_opts_t){.sync = true, .batches_max = 2};
    assert_int_equal(pz__committer_start(&env.eng, &opts, &hooks, &c), 0);
    assert_int_equal(pz__committer_submit(c, &it[3].item), 0);
    T_WAIT(&h, h.held);
    assert_int_equal(pz__committer_submit(c, &it[4].item), 0);
    assert_int_equal(pz__committer_submit(c, &it[5].item), 0);
    assert_int_equal(pz__committer_submit(c, &it[6].item), PZ_EBUSY);
    t_release(&h);
    t_wait_done(&h, c, 3);
    assert_null(pz__committer_stop(&c));

    /* An item bigger than the byte bound still goes, alone. */
    t_hooks_init(&h);
    h.hold = true;
    hooks = t_hooks(&h);
    opts = (pz_committer_opts_t){.sync = true, .bytes_max = 1};
    assert_int_equal(pz__committer_start(&env.eng, &opts, &hooks, &c), 0);
    assert_int_equal(pz__committer_submit(c, &it[6].item), 0);
    T_WAIT(&h, h.held);
    assert_int_equal(pz__committer_submit(c, &it[7].item), 0); /* alone in the queue */
    assert_int_equal(pz__committer_submit(c, &it[0].item), PZ_EBUSY);
    t_release(&h);
    t_wait_done(&h, c, 2);
    assert_null(pz__committer_stop(&c));
    for (int i = 0; i < 8; i++) {
        st_result_free(&it[i].r);
    }
    st_env_close(&env);
}

static void test_map_full_fails_the_whole_group(void **state)
{
    (void)state;
    enum { N = 8 };
    /* A 1 MiB map that may not grow; eight 256 KiB values cannot all fit. */
    st_env_t env;
    st_env_open(&env, 1u << 20, 1u << 20);
    st_put_at(&env, 10, "before", "kept");
    t_hooks_t h;
    t_hooks_init(&h);
    h.hold = true;
    pz_committer_hooks_t hooks = t_hooks(&h);
    pz_committer_opts_t opts = {.sync = true};
    pz_committer_t *c = NULL;
    assert_int_equal(pz__committer_start(&env.eng, &opts, &hooks, &c), 0);

    size_t big_len = 256u << 10;
    char *big = malloc(big_len + 1);
    memset(big, 'x', big_len);
    big[big_len] = '\0';
    t_item_t first, items[N];
    t_item_make(&env, &first, "first", "small", true);
    char key[16];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "big%d", i);
        t_item_make(&env, &items[i], key, big, true);
    }
    assert_int_equal(pz__committer_submit(c, &first.item), 0);
    T_WAIT(&h, h.held);
    for (int i = 0; i < N; i++) {
        assert_int_equal(pz__committer_submit(c, &items[i].item), 0);
    }
    t_release(&h);
    t_wait_done(&h, c, N + 1);
    assert_int_equal(first.item.rc, 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(items[i].item.rc, PZ_EMAPFULL);
    }
    /* Nothing of the group applied; reads and smaller writes still work. */
    for (int i = 0; i < N; i++) {
        assert_false(t_visible(&env, items[i].key));
    }
    assert_true(t_visible(&env, "before"));
    assert_true(t_visible(&env, "first"));
    t_item_t after;
    t_item_make(&env, &after, "after", "small", true);
    assert_int_equal(pz__committer_submit(c, &after.item), 0);
    t_wait_done(&h, c, 1);
    assert_int_equal(after.item.rc, 0);
    assert_true(t_visible(&env, "after"));

    assert_null(pz__committer_stop(&c));
    st_result_free(&first.r);
    st_result_free(&after.r);
    for (int i = 0; i < N; i++) {
        st_result_free(&items[i].r);
    }
    free(big);
    st_env_close(&env);
}

static void test_refused_batch_fails_alone(void **state)
{
    (void)state;
    st_env_t env;
    st_env_open(&env, 0, 0);
    t_hooks_t h;
    t_hooks_init(&h);
    h.hold = true;
    pz_committer_hooks_t hooks = t_hooks(&h);
    pz_committer_opts_t opts = {.sync = true};
    pz_committer_t *c = NULL;
    assert_int_equal(pz__committer_start(&env.eng, &opts, &hooks, &c), 0);
    /* A 600-byte key is a valid KV key, but LMDB refuses engine keys over 511 bytes. */
    char longkey[601];
    memset(longkey, 'L', 600);
    longkey[600] = '\0';
    t_item_t first, it[3];
    t_item_make(&env, &first, "first", "v", true);
    t_item_make(&env, &it[0], "good1", "v", true);
    t_item_make(&env, &it[1], longkey, "v", true);
    t_item_make(&env, &it[2], "good2", "v", true);
    assert_int_equal(pz__committer_submit(c, &first.item), 0);
    T_WAIT(&h, h.held);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pz__committer_submit(c, &it[i].item), 0);
    }
    t_release(&h);
    t_wait_done(&h, c, 4);
    assert_int_equal(it[0].item.rc, 0);
    assert_int_equal(it[1].item.rc, PZ_ETOOBIG);
    assert_int_equal(it[2].item.rc, 0);
    assert_true(t_visible(&env, "good1"));
    assert_true(t_visible(&env, "good2"));
    assert_false(t_visible(&env, longkey));
    /* first, the merged attempt, then each of the three alone. */
    assert_int_equal(h.commits, 5);
    assert_null(pz__committer_stop(&c));
    st_result_free(&first.r);
    for (int i = 0; i < 3; i++) {
        st_result_free(&it[i].r);
    }
    st_env_close(&env);
}

static void test_stop_drains_the_queue(void **state)
{
    (void)state;
    enum { N = 10 };
    st_env_t env;
    st_env_open(&env, 0, 0);
    t_hooks_t h;
    t_hooks_init(&h);
    h.hold = true;
    pz_committer_hooks_t hooks = t_hooks(&h);
    pz_committer_opts_t opts = {.sync = true};
    pz_committer_t *c = NULL;
    assert_int_equal(pz__committer_start(&env.eng, &opts, &hooks, &c), 0);
    t_item_t items[N];
    char key[16];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "d%d", i);
        t_item_make(&env, &items[i], key, "v", true);
    }
    assert_int_equal(pz__committer_submit(c, &items[0].item), 0);
    T_WAIT(&h, h.held);
    for (int i = 1; i < N; i++) {
        assert_int_equal(pz__committer_submit(c, &items[i].item), 0);
    }
    t_release(&h);
    size_t left = 0;
    for (pz_commit_item_t *it = pz__committer_stop(&c); it != NULL; it = it->next) {
        assert_int_equal(it->rc, 0);
        left++;
    }
    assert_null(c);
    assert_int_equal(left, N); /* none was reaped before stop */
    assert_true(h.exited);
    for (int i = 0; i < N; i++) {
        assert_true(t_visible(&env, items[i].key));
        st_result_free(&items[i].r);
    }
    st_env_close(&env);
}

/* An item of a group, with its dependencies (committer.h "Dependencies"). */
static void t_item_dep(st_env_t *env, t_item_t *t, const char *key, uint64_t epoch, bool chain)
{
    t_item_make(env, t, key, "v", true);
    t->item.epoch = epoch;
    t->item.chain = chain;
}

/* A key LMDB refuses (PZ_ETOOBIG): over its 511-byte limit, yet a valid KV key. t_item_make
 * copies it, so one buffer serves every call. */
static const char *t_long_key(char tag)
{
    static char key[601];
    memset(key, tag, 600);
    key[600] = '\0';
    return key;
}

/* A store and a running committer with the test's hooks (h.hold as given). */
typedef struct t_fix {
    st_env_t env;
    t_hooks_t h;
    pz_committer_t *c;
} t_fix_t;

static void t_fix_start_opts(t_fix_t *f, bool hold, const pz_committer_opts_t *opts)
{
    st_env_open(&f->env, 0, 0);
    t_hooks_init(&f->h);
    f->h.hold = hold;
    pz_committer_hooks_t hooks = t_hooks(&f->h);
    assert_int_equal(pz__committer_start(&f->env.eng, opts, &hooks, &f->c), 0);
}

static void t_fix_start(t_fix_t *f, bool hold)
{
    t_fix_start_opts(f, hold, &(pz_committer_opts_t){.sync = true});
}

/* Stops the committer (everything reaped already), frees the n items, removes the store. */
static void t_fix_stop(t_fix_t *f, t_item_t *it, size_t n)
{
    assert_null(pz__committer_stop(&f->c));
    for (size_t i = 0; i < n; i++) {
        st_result_free(&it[i].r);
    }
    st_env_close(&f->env);
}

/* Submits it[0], which commits alone and is held there, queues it[1..n) behind it as one group,
 * lets the commits go and reaps all n. */
static void t_group_behind_first(t_fix_t *f, t_item_t *it, size_t n)
{
    f->h.hold = true;
    assert_int_equal(pz__committer_submit(f->c, &it[0].item), 0);
    T_WAIT(&f->h, f->h.held);
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(pz__committer_submit(f->c, &it[i].item), 0);
    }
    t_release(&f->h);
    t_wait_done(&f->h, f->c, n);
}

static void test_failed_chain_item_poisons_its_epoch(void **state)
{
    (void)state;
    t_fix_t f;
    t_fix_start(&f, true);
    enum { FIRST, BEFORE, BAD, SAME_CHAIN, SAME, LATER, ZERO, N };
    t_item_t it[N];
    t_item_dep(&f.env, &it[FIRST], "first", 0, false);
    t_item_dep(&f.env, &it[BEFORE], "before", 1, true); /* queued before the failure */
    t_item_dep(&f.env, &it[BAD], t_long_key('P'), 1, true);
    t_item_dep(&f.env, &it[SAME_CHAIN], "same_chain", 1, true);
    t_item_dep(&f.env, &it[SAME], "same", 1, false);
    t_item_dep(&f.env, &it[LATER], "later", 2, true);
    t_item_dep(&f.env, &it[ZERO], "zero", 0, false);
    t_group_behind_first(&f, it, N);
    assert_int_equal(it[BAD].item.rc, PZ_ETOOBIG);
    /* Each would commit alone; they fail with the failure's code, and nothing of them lands. */
    assert_int_equal(it[SAME_CHAIN].item.rc, PZ_ETOOBIG);
    assert_int_equal(it[SAME].item.rc, PZ_ETOOBIG);
    assert_false(t_visible(&f.env, "same_chain"));
    assert_false(t_visible(&f.env, "same"));
    /* Earlier in the queue, a later epoch, or no epoch: committed. */
    const int ok[] = {FIRST, BEFORE, LATER, ZERO};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(it[ok[i]].item.rc, 0);
        assert_true(t_visible(&f.env, it[ok[i]].key));
    }
    /* first, the merged attempt, then alone: before, bad, later, zero (not the poisoned). */
    assert_int_equal(f.h.commits, 6);
    uint64_t commits = 0, batches = 0;
    pz__committer_counts(f.c, &commits, &batches);
    assert_int_equal(batches, 4);
    t_fix_stop(&f, it, N);
}

static void test_failed_non_chain_item_poisons_nothing(void **state)
{
    (void)state;
    t_fix_t f;
    t_fix_start(&f, true);
    enum { FIRST, BAD, SAME_CHAIN, SAME, N };
    t_item_t it[N + 1];
    t_item_dep(&f.env, &it[FIRST], "first", 0, false);
    t_item_dep(&f.env, &it[BAD], t_long_key('Q'), 5, false);
    t_item_dep(&f.env, &it[SAME_CHAIN], "same_chain", 5, true);
    t_item_dep(&f.env, &it[SAME], "same", 5, false);
    t_group_behind_first(&f, it, N);
    assert_int_equal(it[BAD].item.rc, PZ_ETOOBIG);
    for (int i = SAME_CHAIN; i < N; i++) {
        assert_int_equal(it[i].item.rc, 0);
        assert_true(t_visible(&f.env, it[i].key));
    }
    /* Nor does it in a later group. */
    t_item_dep(&f.env, &it[N], "next_group", 5, false);
    assert_int_equal(pz__committer_submit(f.c, &it[N].item), 0);
    t_wait_done(&f.h, f.c, 1);
    assert_int_equal(it[N].item.rc, 0);
    assert_true(t_visible(&f.env, "next_group"));
    t_fix_stop(&f, it, N + 1);
}

/* The failure is reaped before the dependent items are submitted: they still carry the failed
 * epoch (the submitter evaluated them before it learnt) and must fail in their own groups. */
static void test_poison_reaches_later_groups(void **state)
{
    (void)state;
    t_fix_t f;
    t_fix_start(&f, false);
    enum { BAD, ALONE, FIRST, OLDER, NEWER, ZERO, SAME, N };
    t_item_t it[N];
    t_item_dep(&f.env, &it[BAD], t_long_key('R'), 3, true);
    t_item_dep(&f.env, &it[ALONE], "alone", 3, false);
    t_item_dep(&f.env, &it[FIRST], "first", 0, false);
    t_item_dep(&f.env, &it[OLDER], "older", 2, true);
    t_item_dep(&f.env, &it[NEWER], "newer", 4, true);
    t_item_dep(&f.env, &it[ZERO], "zero", 0, false);
    t_item_dep(&f.env, &it[SAME], "same", 3, true);
    assert_int_equal(pz__committer_submit(f.c, &it[BAD].item), 0);
    t_wait_done(&f.h, f.c, 1);
    assert_int_equal(it[BAD].item.rc, PZ_ETOOBIG);
    assert_int_equal(f.h.commits, 1);

    /* A group of one poisoned item: it fails without an engine commit. */
    assert_int_equal(pz__committer_submit(f.c, &it[ALONE].item), 0);
    t_wait_done(&f.h, f.c, 1);
    assert_int_equal(it[ALONE].item.rc, PZ_ETOOBIG);
    assert_true(it[ALONE].item.group > it[BAD].item.group);
    assert_false(t_visible(&f.env, "alone"));
    assert_int_equal(f.h.commits, 1);

    /* A mixed group: the poisoned items are left out of its one (successful) commit. */
    t_group_behind_first(&f, &it[FIRST], N - FIRST);
    assert_int_equal(it[OLDER].item.rc, PZ_ETOOBIG);
    assert_int_equal(it[SAME].item.rc, PZ_ETOOBIG);
    assert_false(t_visible(&f.env, "older") || t_visible(&f.env, "same"));
    const int ok[] = {FIRST, NEWER, ZERO};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(it[ok[i]].item.rc, 0);
        assert_true(t_visible(&f.env, it[ok[i]].key));
    }
    assert_int_equal(it[NEWER].item.group, it[OLDER].item.group);
    assert_int_equal(f.h.commits, 3); /* bad, first, then newer + zero together */
    assert_int_equal(f.h.batches_max, 2);
    t_fix_stop(&f, it, N);
}

/* ---- linger (committer.h linger_us) ---- */

static unsigned t_commits(t_hooks_t *h)
{
    pthread_mutex_lock(&h->mu);
    unsigned n = h->commits;
    pthread_mutex_unlock(&h->mu);
    return n;
}

/* n answered pipelined batches: chain items, not durable. */
static void t_chain_items(st_env_t *env, t_item_t *it, size_t n)
{
    char key[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "chain%02zu", i);
        t_item_make(env, &it[i], key, "v", false);
        it[i].item.epoch = 1;
        it[i].item.chain = true;
    }
}

static void test_linger_chain_items_wait_for_the_next_commit(void **state)
{
    (void)state;
    t_fix_t f;
    t_fix_start_opts(&f, false, &(pz_committer_opts_t){.sync = true, .linger_us = 100000});
    t_item_t it[4];
    t_chain_items(&f.env, it, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pz__committer_submit(f.c, &it[i].item), 0);
    }
    /* Well inside the 100 ms linger: nothing may have been committed (a broken linger commits
     * the first item at once). */
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    assert_int_equal(t_commits(&f.h), 0);
    assert_false(t_visible(&f.env, "chain00"));
    /* A durable item ends the wait: all four share its commit. */
    t_item_make(&f.env, &it[3], "end", "v", true);
    it[3].item.epoch = 1;
    assert_int_equal(pz__committer_submit(f.c, &it[3].item), 0);
    t_wait_done(&f.h, f.c, 4);
    assert_int_equal(f.h.commits, 1);
    assert_int_equal(f.h.durable_commits, 1);
    assert_int_equal(f.h.batches_max, 4);
    assert_true(t_visible(&f.env, "chain00") && t_visible(&f.env, "end"));
    t_fix_stop(&f, it, 4);
}

static void test_linger_ends_at_its_deadline(void **state)
{
    (void)state;
    t_fix_t f;
    t_fix_start_opts(&f, false, &(pz_committer_opts_t){.sync = true, .linger_us = 20000});
    t_item_t it[2];
    t_chain_items(&f.env, it, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pz__committer_submit(f.c, &it[i].item), 0);
    }
    t_wait_done(&f.h, f.c, 2); /* nothing else comes: the deadline commits them */
    assert_int_equal(f.h.commits, 1);
    assert_int_equal(f.h.durable_commits, 0);
    assert_int_equal(f.h.batches_max, 2);
    assert_true(t_visible(&f.env, "chain01"));
    t_fix_stop(&f, it, 2);
}

static void test_linger_ends_at_half_the_queue(void **state)
{
    (void)state;
    t_fix_t f;
    t_fix_start_opts(&f, false,
                     &(pz_committer_opts_t){.sync = true, .batches_max = 8, .linger_us = 100000});
    t_item_t it[4];
    t_chain_items(&f.env, it, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pz__committer_submit(f.c, &it[i].item), 0);
    }
    /* Four of eight queued: the queue commits without waiting out the linger. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    t_wait_done(&f.h, f.c, 4);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(f.h.commits >= 1);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) < 90000000L);
    t_fix_stop(&f, it, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queued_batches_share_a_commit),
        cmocka_unit_test(test_durability_of_a_group),
        cmocka_unit_test(test_queue_bounds),
        cmocka_unit_test(test_map_full_fails_the_whole_group),
        cmocka_unit_test(test_refused_batch_fails_alone),
        cmocka_unit_test(test_stop_drains_the_queue),
        cmocka_unit_test(test_failed_chain_item_poisons_its_epoch),
        cmocka_unit_test(test_failed_non_chain_item_poisons_nothing),
        cmocka_unit_test(test_poison_reaches_later_groups),
        cmocka_unit_test(test_linger_chain_items_wait_for_the_next_commit),
        cmocka_unit_test(test_linger_ends_at_its_deadline),
        cmocka_unit_test(test_linger_ends_at_half_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
