/*
 * test_storage_pipe.c — proves the bookkeeping of pipelined writes (modules/storage/
 * storage_pipe.c): a commit wait is answered whichever comes first (the commit or the wait);
 * an END_TXN commit waits while any pipelined batch of its transaction is committing, and only
 * those of its own transaction; a failed commit makes its transaction's END_TXN fail, and a
 * failure pushed out of the bounded list still does (the horizon); parked END_TXNs come back in
 * arrival order once their transaction has nothing committing; forgotten entries are purged
 * only after PZ_PIPE_UNASKED_MS; every table refuses past its bound.
 *
 * How: the table is pure data, driven directly; waiters and parked batches are tagged pointers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/errors.h"
#include "storage_pipe.h"

static void s_id(uint8_t *id, uint32_t n)
{
    memset(id, 0, PZ_TXN_ID_BYTES);
    memcpy(id, &n, sizeof n);
}

static const pz_hlc_t s_ts = {1000, 0};

static void test_wait_then_commit(void **state)
{
    (void)state;
    pz__pipe_t *p = pz__pipe_new();
    uint8_t a[PZ_TXN_ID_BYTES];
    s_id(a, 1);
    uint64_t t1 = 0, t2 = 0;
    assert_int_equal(pz__pipe_add(p, a, &t1), 0);
    assert_int_equal(pz__pipe_add(p, a, &t2), 0);
    assert_true(t1 != 0 && t2 != 0 && t1 != t2);
    int w = 0, rc = -1;
    /* Asked before the commit: stored, handed back by done. */
    assert_int_equal(pz__pipe_wait(p, t1, &w, &rc), 0);
    assert_int_equal(pz__pipe_wait(p, t1, &w, &rc), PZ_ENOTFOUND); /* asked twice */
    assert_ptr_equal(pz__pipe_done(p, t1, 0, 10, s_ts), &w);
    /* Committed before the wait: kept, the wait is answered at once with the code. */
    assert_null(pz__pipe_done(p, t2, 0, 11, s_ts));
    assert_int_equal(pz__pipe_wait(p, t2, &w, &rc), 1);
    assert_int_equal(rc, 0);
    assert_int_equal(pz__pipe_len(p), 0);
    assert_int_equal(pz__pipe_wait(p, 999, &w, &rc), PZ_ENOTFOUND);
    assert_int_equal(pz__pipe_wait(p, 0, &w, &rc), PZ_ENOTFOUND);
    pz__pipe_destroy(&p, NULL, NULL);
    assert_null(p);
}

static void test_end_waits_for_own_txn(void **state)
{
    (void)state;
    pz__pipe_t *p = pz__pipe_new();
    uint8_t a[PZ_TXN_ID_BYTES], b[PZ_TXN_ID_BYTES];
    s_id(a, 1);
    s_id(b, 2);
    uint64_t ta = 0, tb = 0;
    assert_int_equal(pz__pipe_add(p, a, &ta), 0);
    assert_int_equal(pz__pipe_add(p, b, &tb), 0);
    assert_int_equal(pz__pipe_end_check(p, a, s_ts), PZ_EBUSY);
    int end_a = 0, end_b = 0;
    assert_int_equal(pz__pipe_park(p, a, &end_a), 0);
    assert_int_equal(pz__pipe_park(p, b, &end_b), 0);
    assert_null(pz__pipe_unpark(p));
    /* b's commit frees only b's END_TXN. */
    assert_null(pz__pipe_done(p, tb, 0, 1, s_ts));
    assert_ptr_equal(pz__pipe_unpark(p), &end_b);
    assert_null(pz__pipe_unpark(p));
    assert_int_equal(pz__pipe_end_check(p, b, s_ts), 0);
    assert_int_equal(pz__pipe_end_check(p, a, s_ts), PZ_EBUSY);
    assert_null(pz__pipe_done(p, ta, 0, 1, s_ts));
    assert_ptr_equal(pz__pipe_unpark(p), &end_a);
    assert_int_equal(pz__pipe_end_check(p, a, s_ts), 0);
    pz__pipe_cancel(p, (pz__pipe_add(p, a, &ta), ta)); /* a batch that was never queued */
    assert_int_equal(pz__pipe_end_check(p, a, s_ts), 0);
    pz__pipe_destroy(&p, NULL, NULL);
}

static void test_failure_refuses_commit(void **state)
{
    (void)state;
    pz__pipe_t *p = pz__pipe_new();
    uint8_t a[PZ_TXN_ID_BYTES], b[PZ_TXN_ID_BYTES];
    s_id(a, 1);
    s_id(b, 2);
    uint64_t t = 0;
    assert_int_equal(pz__pipe_add(p, a, &t), 0);
    int w = 0, rc = 0;
    assert_null(pz__pipe_done(p, t, PZ_ENOSPC, 1, s_ts));
    assert_int_equal(pz__pipe_wait(p, t, &w, &rc), 1);
    assert_int_equal(rc, PZ_ENOSPC);
    /* The entry is gone, the failure (and its cause) is not. */
    assert_int_equal(pz__pipe_end_check(p, a, s_ts), PZ_ENOSPC);
    assert_int_equal(pz__pipe_end_check(p, b, s_ts), 0);
    /* Push a's failure out of the list: transactions that began by then are refused. */
    for (uint32_t i = 0; i < PZ_PIPE_FAILED_MAX; i++) {
        uint8_t id[PZ_TXN_ID_BYTES];
        s_id(id, 100 + i);
        assert_int_equal(pz__pipe_add(p, id, &t), 0);
        assert_null(pz__pipe_done(p, t, PZ_EIO, 2, (pz_hlc_t){2000, 0}));
    }
    assert_int_equal(pz__pipe_end_check(p, a, (pz_hlc_t){1500, 0}), PZ_EIO);
    assert_int_equal(pz__pipe_end_check(p, b, (pz_hlc_t){1999, 0}), PZ_EIO);
    assert_int_equal(pz__pipe_end_check(p, b, (pz_hlc_t){2001, 0}), 0);
    pz__pipe_destroy(&p, NULL, NULL);
}

static int s_dropped;

static void s_drop(void *ctx, void *ptr)
{
    assert_ptr_equal(ctx, &s_dropped);
    assert_non_null(ptr);
    s_dropped++;
}

static void test_bounds_purge_destroy(void **state)
{
    (void)state;
    pz__pipe_t *p = pz__pipe_new();
    uint8_t a[PZ_TXN_ID_BYTES];
    s_id(a, 7);
    uint64_t first = 0, t = 0;
    for (uint32_t i = 0; i < PZ_PIPE_ENTRIES_MAX; i++) {
        assert_int_equal(pz__pipe_add(p, a, i == 0 ? &first : &t), 0);
    }
    assert_int_equal(pz__pipe_add(p, a, &t), PZ_EBUSY);
    int parked = 0;
    for (uint32_t i = 0; i < PZ_PIPE_PARKED_MAX; i++) {
        assert_int_equal(pz__pipe_park(p, a, &parked), 0);
    }
    assert_int_equal(pz__pipe_park(p, a, &parked), PZ_EBUSY);
    /* A finished, unasked commit is purged only after PZ_PIPE_UNASKED_MS. */
    assert_null(pz__pipe_done(p, first, 0, 100, s_ts));
    assert_int_equal(pz__pipe_purge(p, 100 + PZ_PIPE_UNASKED_MS - 1), 0);
    assert_int_equal(pz__pipe_purge(p, 100 + PZ_PIPE_UNASKED_MS), 1);
    assert_int_equal(pz__pipe_len(p), PZ_PIPE_ENTRIES_MAX - 1);
    int w = 0, rc = 0;
    assert_int_equal(pz__pipe_wait(p, first, &w, &rc), PZ_ENOTFOUND);
    assert_int_equal(pz__pipe_wait(p, t, &w, &rc), 0); /* a waiter left inside */
    s_dropped = 0;
    pz__pipe_destroy(&p, s_drop, &s_dropped);
    assert_int_equal(s_dropped, 1 + PZ_PIPE_PARKED_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_then_commit),
        cmocka_unit_test(test_end_waits_for_own_txn),
        cmocka_unit_test(test_failure_refuses_commit),
        cmocka_unit_test(test_bounds_purge_destroy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
