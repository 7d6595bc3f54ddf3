/*
 * test_lock_table.c — proves repl's lock wait queues (modules/repl/lock_table.c): waiters queue
 * per key in arrival order and come back in that order when the key is resolved (a point or a
 * span, one range only); one push goes out per (holder, pusher, push type) and later waiters
 * join it, raising its push_to; a key that changed hands is pushed for its newest holder; the
 * keys of a holder are listed for resolving; a failed push takes exactly its own waiters; the
 * deadline gives PZ_ETIMEDOUT and the lock timeout PZ_ELOCK_TIMEOUT; a push to retry is due only
 * at its time and only while someone still waits on it; the bounds give PZ_EBUSY; an aborted
 * transaction's own waiters (every key, every holder) are taken and nobody else's.
 *
 * How: small hand-made scenarios with integer owners, no kernel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lock_table.h"

#define K(s) pz_view_str(s)
#define NONE ((pz_view_t){NULL, 0})
#define OWNER(i) ((void *)(uintptr_t)(i))

static uint8_t s_ids[4][PZ_TXN_ID_BYTES] = {{1}, {2}, {3}, {4}};

static pz_kv_txn_t s_txn(int i)
{
    return (pz_kv_txn_t){
        .id = {s_ids[i], PZ_TXN_ID_BYTES}, .priority = 1000, .key = pz_view_str("anchor")};
}

/* A waiter of transaction i (-1: non-transactional). */
static pz__lt_waiter_t s_waiter(int owner, int i, uint8_t type)
{
    pz__lt_waiter_t w = {
        .owner = OWNER(owner), .push_type = type, .push_to = {.wall = (uint64_t)owner}};
    if (i >= 0) {
        pz_kv_txn_t t = s_txn(i);
        assert_int_equal(pz__txnmeta_set(&w.pusher, &t), 0);
    }
    return w;
}

static pz__lt_push_t *s_wait(pz__lt_t *lt, const char *key, int holder, int owner, int pusher,
                             uint8_t type)
{
    pz_kv_txn_t h = s_txn(holder);
    pz__lt_waiter_t w = s_waiter(owner, pusher, type);
    pz__lt_push_t *p = NULL;
    assert_int_equal(pz__lt_wait(lt, 1, K(key), &h, &w, &p), 0);
    pz__txnmeta_clear(&w.pusher);
    return p;
}

static void test_fifo_and_shared_push(void **state)
{
    (void)state;
    pz__lt_t *lt = pz__lt_new();
    pz__lt_push_t *p1 = s_wait(lt, "k", 0, 10, 1, PZ_PUSH_ABORT);
    assert_non_null(p1);
    assert_true(p1->in_flight);
    assert_memory_equal(p1->holder.id, s_ids[0], PZ_TXN_ID_BYTES);
    assert_memory_equal(p1->pusher.id, s_ids[1], PZ_TXN_ID_BYTES);
    assert_int_equal(p1->push_to.wall, 10);
    /* Same pusher, same type, another key of the same holder: joins the push, raises push_to. */
    assert_null(s_wait(lt, "j", 0, 30, 1, PZ_PUSH_ABORT));
    assert_int_equal(p1->push_to.wall, 30);
    assert_null(s_wait(lt, "k", 0, 20, 1, PZ_PUSH_ABORT));
    assert_int_equal(p1->push_to.wall, 30);
    /* Another pusher, or another type, or no transaction: a push each. */
    pz__lt_push_t *p2 = s_wait(lt, "k", 0, 11, 2, PZ_PUSH_ABORT);
    pz__lt_push_t *p3 = s_wait(lt, "k", 0, 12, 1, PZ_PUSH_TIMESTAMP);
    pz__lt_push_t *p4 = s_wait(lt, "k", 0, 13, -1, PZ_PUSH_TIMESTAMP);
    assert_non_null(p2);
    assert_non_null(p3);
    assert_non_null(p4);
    assert_int_equal(p4->pusher.id_len, 0);
    assert_null(s_wait(lt, "k", 0, 14, -1, PZ_PUSH_TIMESTAMP)); /* non-txn share theirs */
    assert_int_equal(pz__lt_pushes(lt), 4);
    assert_int_equal(pz__lt_waiters(lt), 7);
    /* Resolving k releases its waiters oldest first, and only them. */
    void *o[16];
    assert_int_equal(pz__lt_release(lt, 1, K("k"), NONE, o, 16), 6);
    int want[] = {10, 20, 11, 12, 13, 14};
    for (int i = 0; i < 6; i++) {
        assert_ptr_equal(o[i], OWNER(want[i]));
    }
    assert_int_equal(pz__lt_waiters(lt), 1);
    /* Another range's key of the same name is another queue. */
    assert_int_equal(pz__lt_release(lt, 2, K("j"), NONE, o, 16), 0);
    assert_int_equal(pz__lt_release(lt, 1, K("a"), K("z"), o, 16), 1);
    assert_ptr_equal(o[0], OWNER(30));
    assert_int_equal(pz__lt_waiters(lt), 0);
    /* Pushes outlive their waiters until their replies come. */
    assert_int_equal(pz__lt_pushes(lt), 4);
    pz__lt_push_done(lt, p1, 0);
    pz__lt_push_done(lt, p2, 0);
    pz__lt_push_done(lt, p3, 0);
    pz__lt_push_done(lt, p4, 0);
    assert_int_equal(pz__lt_pushes(lt), 0);
    pz__lt_free(&lt);
    assert_null(lt);
}

static void s_collect(void *ctx, uint64_t range_id, pz_view_t key)
{
    char *buf = ctx;
    assert_int_equal(range_id, 1);
    strncat(buf, (const char *)key.ptr, key.len);
}

static void test_holder_keys_and_handover(void **state)
{
    (void)state;
    pz__lt_t *lt = pz__lt_new();
    pz__lt_push_t *p = s_wait(lt, "a", 0, 1, 1, PZ_PUSH_ABORT);
    assert_null(s_wait(lt, "b", 0, 2, 1, PZ_PUSH_ABORT));
    pz__lt_push_t *q = s_wait(lt, "c", 3, 3, 1, PZ_PUSH_ABORT);
    assert_non_null(q);
    char keys[16] = "";
    pz__lt_held_keys(lt, (pz_view_t){s_ids[0], PZ_TXN_ID_BYTES}, s_collect, keys);
    assert_string_equal(keys, "ab");
    /* "b" now has holder 2: a new push for it; holder 0 holds "a" alone. */
    pz__lt_push_t *r = s_wait(lt, "b", 2, 4, 1, PZ_PUSH_ABORT);
    assert_non_null(r);
    assert_memory_equal(r->holder.id, s_ids[2], PZ_TXN_ID_BYTES);
    keys[0] = 0;
    pz__lt_held_keys(lt, (pz_view_t){s_ids[0], PZ_TXN_ID_BYTES}, s_collect, keys);
    assert_string_equal(keys, "a");
    /* A failed push takes exactly its waiters. */
    void *o[8];
    assert_int_equal(pz__lt_take_push_waiters(lt, p, o, 8), 1);
    assert_ptr_equal(o[0], OWNER(1));
    assert_int_equal(pz__lt_take_push_waiters(lt, r, o, 8), 2); /* both on "b" now */
    assert_false(pz__lt_push_has_waiters(lt, r));
    assert_true(pz__lt_push_has_waiters(lt, q));
    assert_int_equal(pz__lt_waiters(lt), 1);
    pz__lt_free(&lt);
}

static void test_timeouts_and_retries(void **state)
{
    (void)state;
    pz__lt_t *lt = pz__lt_new();
    pz_kv_txn_t h = s_txn(0);
    pz__lt_push_t *p = NULL, *p2 = NULL;
    pz__lt_waiter_t w = s_waiter(1, 1, PZ_PUSH_ABORT);
    w.deadline_ms = 1000;
    w.lock_limit_ms = 500;
    assert_int_equal(pz__lt_wait(lt, 1, K("k"), &h, &w, &p), 0);
    pz__txnmeta_clear(&w.pusher);
    w = s_waiter(2, 1, PZ_PUSH_ABORT);
    w.deadline_ms = 300;
    assert_int_equal(pz__lt_wait(lt, 1, K("k"), &h, &w, &p2), 0);
    pz__txnmeta_clear(&w.pusher);
    assert_null(p2);
    void *o[4];
    int codes[4];
    assert_int_equal(pz__lt_expired(lt, 299, o, codes, 4), 0);
    assert_int_equal(pz__lt_expired(lt, 300, o, codes, 4), 1);
    assert_ptr_equal(o[0], OWNER(2));
    assert_int_equal(codes[0], PZ_ETIMEDOUT);
    /* The push failed for now: sent again at 400, not before. */
    pz__lt_push_done(lt, p, 400);
    pz__lt_push_t *due[4];
    assert_int_equal(pz__lt_due(lt, 399, due, 4), 0);
    assert_int_equal(pz__lt_due(lt, 400, due, 4), 1);
    assert_ptr_equal(due[0], p);
    assert_true(p->in_flight);
    assert_int_equal(pz__lt_expired(lt, 500, o, codes, 4), 1);
    assert_int_equal(codes[0], PZ_ELOCK_TIMEOUT);
    /* Nobody waits now: a push due again is dropped, not sent. */
    pz__lt_push_done(lt, p, 600);
    assert_int_equal(pz__lt_due(lt, 700, due, 4), 0);
    assert_int_equal(pz__lt_pushes(lt), 0);
    pz__lt_free(&lt);
}

static void test_bounds(void **state)
{
    (void)state;
    pz__lt_t *lt = pz__lt_new();
    pz_kv_txn_t h = s_txn(0);
    pz__lt_push_t *p = NULL;
    for (uint32_t i = 0; i < PZ_LOCK_WAITERS_MAX; i++) {
        pz__lt_waiter_t w = {.owner = OWNER(i), .push_type = PZ_PUSH_TIMESTAMP};
        assert_int_equal(pz__lt_wait(lt, 1, K("k"), &h, &w, &p), 0);
    }
    pz__lt_waiter_t w = {.owner = OWNER(1), .push_type = PZ_PUSH_TIMESTAMP};
    assert_int_equal(pz__lt_wait(lt, 1, K("k"), &h, &w, &p), PZ_EBUSY);
    assert_int_equal(pz__lt_waiters(lt), PZ_LOCK_WAITERS_MAX);
    void *o[64];
    uint32_t n, total = 0;
    while ((n = pz__lt_release(lt, 1, K("k"), NONE, o, 64)) > 0) {
        assert_ptr_equal(o[0], OWNER(total)); /* still in order across calls */
        total += n;
    }
    assert_int_equal(total, PZ_LOCK_WAITERS_MAX);
    pz__lt_free(&lt);
}

/* A deadlock victim's batches waiting anywhere here are taken, whoever holds their keys; the
 * other transactions' and the non-transactional waiters stay. */
static void test_take_pusher_waiters(void **state)
{
    (void)state;
    pz__lt_t *lt = pz__lt_new();
    assert_non_null(s_wait(lt, "a", 0, 1, 1, PZ_PUSH_ABORT));
    assert_non_null(s_wait(lt, "b", 2, 2, 1, PZ_PUSH_TIMESTAMP));
    assert_non_null(s_wait(lt, "a", 0, 3, 3, PZ_PUSH_ABORT));
    assert_non_null(s_wait(lt, "a", 0, 4, -1, PZ_PUSH_ABORT));
    void *o[8];
    assert_int_equal(pz__lt_take_pusher_waiters(lt, (pz_view_t){s_ids[1], PZ_TXN_ID_BYTES}, o, 1),
                     1);
    assert_int_equal(
        pz__lt_take_pusher_waiters(lt, (pz_view_t){s_ids[1], PZ_TXN_ID_BYTES}, o + 1, 8), 1);
    assert_true((o[0] == OWNER(1) && o[1] == OWNER(2)) || (o[0] == OWNER(2) && o[1] == OWNER(1)));
    assert_int_equal(pz__lt_waiters(lt), 2);
    assert_int_equal(pz__lt_take_pusher_waiters(lt, (pz_view_t){s_ids[1], PZ_TXN_ID_BYTES}, o, 8),
                     0);
    /* "b" lost its only waiter: its queue is gone, so a release there finds nobody. */
    assert_int_equal(pz__lt_release(lt, 1, K("b"), NONE, o, 8), 0);
    assert_int_equal(pz__lt_release(lt, 1, K("a"), NONE, o, 8), 2);
    assert_ptr_equal(o[0], OWNER(3));
    assert_ptr_equal(o[1], OWNER(4));
    pz__lt_free(&lt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_shared_push),
        cmocka_unit_test(test_holder_keys_and_handover),
        cmocka_unit_test(test_timeouts_and_retries),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_take_pusher_waiters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
