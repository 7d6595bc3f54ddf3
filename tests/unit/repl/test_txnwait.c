/*
 * test_txnwait.c — proves repl's txnwait queue (modules/repl/txnwait.c): parked pushes are
 * found again by pushee (record changed) and by deadline or expiry, each only once while it is
 * at storage; queries go only for pushes with a pusher, one at a time; a finished pusher ends its
 * push; deps are reported transitively without the asked transaction itself; and the deadlock
 * rule: a cycle of two and of three transactions, each record at its own repl, is seen within
 * n rounds of queries and broken by exactly the pushes whose pusher wins the tie-break (higher
 * priority; equal priority: the larger id), never by the losers.
 *
 * How: one queue per simulated repl; a "round" asks, for every parked push, the repl of the
 * pusher's record for its deps (pz__tw_deps) and feeds the answer back (pz__tw_query_done).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "txnwait.h"

#define N_TXNS 4
static uint8_t s_ids[N_TXNS][PZ_TXN_ID_BYTES] = {{1}, {2}, {3}, {4}};

static pz_kv_txn_t s_txn(int i, uint32_t priority)
{
    return (pz_kv_txn_t){.id = {s_ids[i], PZ_TXN_ID_BYTES}, .priority = priority};
}

static void test_park_and_evaluate(void **state)
{
    (void)state;
    pz__tw_t *tw = pz__tw_new();
    pz_kv_txn_t a = s_txn(0, 1000), b = s_txn(1, 1000), c = s_txn(2, 1000);
    uint64_t s1, s2, s3, out[8];
    assert_int_equal(pz__tw_park(tw, (void *)1, &a, &b, 5000, 900, &s1), 0);
    assert_int_equal(pz__tw_park(tw, (void *)2, &a, NULL, 300, 0, &s2), 0);
    assert_int_equal(pz__tw_park(tw, (void *)3, &c, &b, 0, 0, &s3), 0);
    assert_int_equal(pz__tw_len(tw), 3);
    /* The pushee's record changed: both pushes on a, once. */
    assert_int_equal(pz__tw_to_evaluate(tw, a.id, 0, out, 8), 2);
    assert_int_equal(pz__tw_to_evaluate(tw, a.id, 0, out, 8), 0);
    pz__tw_requeue(tw, s1, 900);
    pz__tw_requeue(tw, s2, 0);
    /* Time: the deadline of s2 at 300, the expiry of s1 at 900; s3 has neither. */
    assert_int_equal(pz__tw_to_evaluate(tw, (pz_view_t){0}, 299, out, 8), 0);
    assert_int_equal(pz__tw_to_evaluate(tw, (pz_view_t){0}, 300, out, 8), 1);
    assert_int_equal(out[0], s2);
    assert_ptr_equal(pz__tw_remove(tw, s2), (void *)2);
    assert_null(pz__tw_get(tw, s2));
    assert_int_equal(pz__tw_to_evaluate(tw, (pz_view_t){0}, 900, out, 8), 1);
    assert_int_equal(out[0], s1);
    pz__tw_requeue(tw, s1, 2000);
    /* Queries: the two with a pusher, not again while out. */
    assert_int_equal(pz__tw_queries(tw, out, 8), 2);
    assert_int_equal(pz__tw_queries(tw, out, 8), 0);
    assert_int_equal(pz__tw_query_done(tw, s3, false, NULL, 0), PZ_TW_WAIT);
    assert_int_equal(pz__tw_query_done(tw, s1, true, NULL, 0), PZ_TW_ABORTED);
    assert_int_equal(pz__tw_query_done(tw, 12345, false, NULL, 0), PZ_TW_WAIT); /* gone */
    pz__tw_free(&tw);
    assert_null(tw);
}

static void test_deps_transitive(void **state)
{
    (void)state;
    pz__tw_t *tw = pz__tw_new();
    pz_kv_txn_t a = s_txn(0, 1), b = s_txn(1, 2), c = s_txn(2, 3), d = s_txn(3, 4);
    uint64_t s1, s2;
    assert_int_equal(pz__tw_park(tw, NULL, &a, &b, 0, 0, &s1), 0); /* b waits on a */
    assert_int_equal(pz__tw_park(tw, NULL, &a, &c, 0, 0, &s2), 0); /* c waits on a */
    /* b's push learned that d and b itself (never kept: no self-loops) wait on b. */
    pz_kv_txn_t learned[2] = {d, b};
    assert_int_equal(pz__tw_queries(tw, (uint64_t[4]){0}, 4), 2);
    assert_int_equal(pz__tw_query_done(tw, s1, false, learned, 2), PZ_TW_WAIT);
    pz__tw_dep_t deps[8];
    uint32_t n = pz__tw_deps(tw, a.id, deps, 8);
    assert_int_equal(n, 3);
    assert_memory_equal(deps[0].id, s_ids[1], PZ_TXN_ID_BYTES);
    assert_int_equal(deps[0].priority, 2);
    assert_memory_equal(deps[1].id, s_ids[3], PZ_TXN_ID_BYTES);
    assert_memory_equal(deps[2].id, s_ids[2], PZ_TXN_ID_BYTES);
    assert_int_equal(pz__tw_deps(tw, b.id, deps, 8), 0);
    /* Learning that a waits on b closes a cycle; b has the higher priority: it forces. */
    assert_int_equal(pz__tw_queries(tw, (uint64_t[4]){0}, 4), 1); /* s2 still asking */
    assert_int_equal(pz__tw_query_done(tw, s1, false, &a, 1), PZ_TW_FORCE);
    assert_true(pz__tw_get(tw, s1)->force);
    assert_true(pz__tw_get(tw, s1)->evaluating);
    assert_int_equal(pz__tw_deps(tw, a.id, deps, 2), 2); /* bounded */
    pz__tw_free(&tw);
}

static void test_tie_break(void **state)
{
    (void)state;
    pz__txnmeta_t x = {.id = {1}, .id_len = PZ_TXN_ID_BYTES, .priority = 5};
    pz__txnmeta_t y = {.id = {2}, .id_len = PZ_TXN_ID_BYTES, .priority = 5};
    assert_true(pz__tw_pusher_wins(&y, &x)); /* equal priority: larger id */
    assert_false(pz__tw_pusher_wins(&x, &y));
    x.priority = 6;
    assert_true(pz__tw_pusher_wins(&x, &y)); /* higher priority first */
    assert_false(pz__tw_pusher_wins(&y, &x));
}

/* ---------------------------------------------------------------------------------------- */
/* Cycles across repls                                                                        */

typedef struct {
    pz__tw_t *repl[N_TXNS]; /* txn i's record lives at repl i */
    uint64_t seq[N_TXNS];   /* txn i's push (pusher i), parked at its pushee's repl */
    int pushee[N_TXNS];
} s_world_t;

/* Txn i waits on txn waits_on[i] (-1: not waiting). */
static void s_world(s_world_t *w, const int *waits_on, const uint32_t *prio, int n)
{
    memset(w, 0, sizeof *w);
    for (int i = 0; i < n; i++) {
        w->repl[i] = pz__tw_new();
    }
    for (int i = 0; i < n; i++) {
        w->pushee[i] = waits_on[i];
        if (waits_on[i] < 0) {
            continue;
        }
        pz_kv_txn_t pusher = s_txn(i, prio[i]), pushee = s_txn(waits_on[i], prio[waits_on[i]]);
        assert_int_equal(
            pz__tw_park(w->repl[waits_on[i]], NULL, &pushee, &pusher, 0, 0, &w->seq[i]), 0);
    }
}

/* One round of queries; forced[i] set when txn i's push is to be forced. */
static int s_round(s_world_t *w, int n, bool *forced)
{
    int forces = 0;
    for (int i = 0; i < n; i++) {
        if (w->pushee[i] < 0) {
            continue;
        }
        pz__tw_t *at = w->repl[w->pushee[i]];
        uint64_t seqs[N_TXNS];
        (void)pz__tw_queries(at, seqs, N_TXNS);
        pz__tw_dep_t deps[PZ_TXN_DEPS_MAX];
        uint32_t nd =
            pz__tw_deps(w->repl[i], (pz_view_t){s_ids[i], PZ_TXN_ID_BYTES}, deps, PZ_TXN_DEPS_MAX);
        pz_kv_txn_t wire[PZ_TXN_DEPS_MAX];
        for (uint32_t j = 0; j < nd; j++) {
            wire[j] =
                (pz_kv_txn_t){.id = {deps[j].id, deps[j].id_len}, .priority = deps[j].priority};
        }
        if (pz__tw_query_done(at, w->seq[i], false, wire, nd) == PZ_TW_FORCE) {
            forced[i] = true;
            forces++;
        }
    }
    return forces;
}

static void s_world_free(s_world_t *w, int n)
{
    for (int i = 0; i < n; i++) {
        pz__tw_free(&w->repl[i]);
    }
}

/* Runs rounds until a force; returns the round it came in (1-based). */
static int s_until_force(s_world_t *w, int n, bool *forced)
{
    for (int r = 1; r <= 10; r++) {
        if (s_round(w, n, forced) > 0) {
            return r;
        }
    }
    return 0;
}

static void test_cycle_of_two(void **state)
{
    (void)state;
    s_world_t w;
    bool forced[N_TXNS] = {0};
    s_world(&w, (const int[]){1, 0}, (const uint32_t[]){1000, 1000}, 2);
    int r = s_until_force(&w, 2, forced);
    assert_true(r >= 1 && r <= 2);
    /* Equal priority: txn 1 (the larger id) forces its push; txn 0 never does. */
    assert_true(forced[1]);
    assert_false(forced[0]);
    s_world_free(&w, 2);
    /* Priority first: txn 0 is more important, so it breaks the cycle. */
    memset(forced, 0, sizeof forced);
    s_world(&w, (const int[]){1, 0}, (const uint32_t[]){2000, 1000}, 2);
    assert_true(s_until_force(&w, 2, forced) > 0);
    assert_true(forced[0]);
    assert_false(forced[1]);
    s_world_free(&w, 2);
}

static void test_cycle_of_three_and_no_cycle(void **state)
{
    (void)state;
    s_world_t w;
    bool forced[N_TXNS] = {0};
    s_world(&w, (const int[]){1, 2, 0}, (const uint32_t[]){1000, 1000, 1000}, 3);
    int r = s_until_force(&w, 3, forced);
    assert_true(r >= 1 && r <= 3);
    /* Edges 0->1, 1->2, 2->0: only 2->0 has the larger pusher. */
    assert_true(forced[2]);
    assert_false(forced[0]);
    assert_false(forced[1]);
    s_world_free(&w, 3);
    /* A chain is not a cycle: nobody forces, however long it waits. */
    memset(forced, 0, sizeof forced);
    s_world(&w, (const int[]){1, 2, 3, -1}, (const uint32_t[]){1, 1, 1, 1}, 4);
    assert_int_equal(s_until_force(&w, 4, forced), 0);
    s_world_free(&w, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_park_and_evaluate),
        cmocka_unit_test(test_deps_transitive),
        cmocka_unit_test(test_tie_break),
        cmocka_unit_test(test_cycle_of_two),
        cmocka_unit_test(test_cycle_of_three_and_no_cycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
