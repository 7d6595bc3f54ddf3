/*
 * test_timers.c — proves the per-thread timer heap keeps its contract: timers pop in order of
 * due time and, among equal due times, in the order they were armed; a timer pops only when due;
 * a cancelled timer never pops and a cancel through a stale handle (the timer fired, its slot was
 * reused) leaves the new timer alone; the heap grows past its initial size up to PZ_TIMERS_MAX
 * and refuses the next with PZ_ELIMIT; and slots of cancelled timers count as free.
 *
 * How: a pz__thread_t driven directly through the timers.c entry points. Ordering over many
 * timers is checked without waiting: only the heap's root is made due (its due time lowered to
 * 0, which keeps the heap valid since the root is already the minimum), then popped.
 */
#include "kernel_test.h"

static pz_actor_t s_actor;

static int s_setup(void **state)
{
    pz__thread_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    assert_int_equal(pz__timers_init(t), 0);
    *state = t;
    return t_watchdog_arm(state);
}

static int s_teardown(void **state)
{
    pz__thread_t *t = *state;
    pz__timers_free(t);
    free(t);
    return t_watchdog_disarm(state);
}

static int64_t s_add(pz__thread_t *t, uint32_t delay_ms, uint64_t arg)
{
    int64_t h = pz__timer_add(t, &s_actor, delay_ms, PZ__TIMER_USER, arg);
    assert_true(h > 0);
    return h;
}

/* Pops the root whether due or not (see the file comment); false when the heap is empty. */
static bool s_force_pop(pz__thread_t *t, pz__timer_t *out)
{
    (void)pz__timers_next_ms(t); /* drops cancelled timers sitting at the root */
    if (t->heap_len == 0) {
        return false;
    }
    pz__timer_t root = t->timers[t->heap[0]];
    t->timers[t->heap[0]].due_ms = 0;
    assert_true(pz__timers_pop_due(t, out));
    assert_int_equal(out->arg, root.arg);
    out->due_ms = root.due_ms;
    return true;
}

static void test_empty(void **state)
{
    pz__thread_t *t = *state;
    pz__timer_t tm;
    assert_int_equal(pz__timers_next_ms(t), -1);
    assert_false(pz__timers_pop_due(t, &tm));
    pz__timer_cancel(t, 0); /* never a valid handle: no-op */
    pz__timer_cancel(t, -1);
    pz__timer_cancel(t, ((int64_t)1 << 32) | 100000); /* slot out of range */
}

static void test_fields_kept(void **state)
{
    pz__thread_t *t = *state;
    int64_t h = pz__timer_add(t, &s_actor, 0, PZ__TIMER_TIMEOUT, 77);
    assert_true(h > 0);
    pz__timer_t tm;
    assert_true(pz__timers_pop_due(t, &tm));
    assert_ptr_equal(tm.actor, &s_actor);
    assert_int_equal(tm.kind, PZ__TIMER_TIMEOUT);
    assert_int_equal(tm.arg, 77);
    assert_false(pz__timers_pop_due(t, &tm));
}

/* Many timers, many equal due times: pops are sorted by (due, arming order). */
static void test_order_many(void **state)
{
    pz__thread_t *t = *state;
    uint64_t seed = 42;
    enum { N = 3000 };
    for (uint64_t i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        s_add(t, 100000 + (uint32_t)((seed >> 33) % 16) * 1000, i);
    }
    pz__timer_t prev = {0}, tm;
    int n = 0;
    while (s_force_pop(t, &tm)) {
        if (n > 0) {
            assert_true(tm.due_ms >= prev.due_ms);
            if (tm.due_ms == prev.due_ms) {
                assert_true(tm.seq > prev.seq);
                assert_true(tm.arg > prev.arg); /* armed later */
            }
        }
        prev = tm;
        n++;
    }
    assert_int_equal(n, N);
}

/* With real waiting: due order, then FIFO among the timers due at once. */
static void test_order_real_time(void **state)
{
    pz__thread_t *t = *state;
    uint64_t t0 = t_now_ms();
    s_add(t, 600, 0);
    s_add(t, 0, 1);
    s_add(t, 300, 2);
    s_add(t, 0, 3);
    assert_int_equal(pz__timers_next_ms(t), 0);
    pz__timer_t tm;
    uint64_t want_first[] = {1, 3};
    for (int i = 0; i < 2; i++) {
        assert_true(pz__timers_pop_due(t, &tm));
        assert_int_equal(tm.arg, want_first[i]);
    }
    long next = pz__timers_next_ms(t);
    assert_true(next >= 0 && next <= 300);
    if (t_now_ms() - t0 < 250) { /* only meaningful when this thread was not descheduled */
        assert_true(next > 0);
        assert_false(pz__timers_pop_due(t, &tm));
    }
    t_sleep_ms(650);
    assert_true(pz__timers_pop_due(t, &tm));
    assert_int_equal(tm.arg, 2);
    assert_true(pz__timers_pop_due(t, &tm));
    assert_int_equal(tm.arg, 0);
    assert_false(pz__timers_pop_due(t, &tm));
    assert_int_equal(pz__timers_next_ms(t), -1);
}

static void test_not_due(void **state)
{
    pz__thread_t *t = *state;
    s_add(t, 10000, 1);
    pz__timer_t tm;
    assert_false(pz__timers_pop_due(t, &tm));
    long next = pz__timers_next_ms(t);
    assert_true(next > 5000 && next <= 10000);
}

static void test_cancel(void **state)
{
    pz__thread_t *t = *state;
    s_add(t, 0, 0);
    int64_t h = s_add(t, 0, 1);
    s_add(t, 0, 2);
    pz__timer_cancel(t, h);
    pz__timer_cancel(t, h); /* twice: still a no-op the second time */
    pz__timer_t tm;
    assert_true(pz__timers_pop_due(t, &tm));
    assert_int_equal(tm.arg, 0);
    assert_true(pz__timers_pop_due(t, &tm));
    assert_int_equal(tm.arg, 2);
    assert_false(pz__timers_pop_due(t, &tm));
    /* A cancelled timer at the root does not shorten the wait for the next one. */
    h = s_add(t, 0, 3);
    s_add(t, 8000, 4);
    pz__timer_cancel(t, h);
    assert_true(pz__timers_next_ms(t) > 4000);
    assert_false(pz__timers_pop_due(t, &tm));
}

/* A handle outlives its timer: cancelling through it must not touch the slot's next tenant. */
static void test_stale_handle(void **state)
{
    pz__thread_t *t = *state;
    int64_t h1 = s_add(t, 0, 1);
    pz__timer_t tm;
    assert_true(pz__timers_pop_due(t, &tm));
    int64_t h2 = s_add(t, 0, 2);
    assert_int_equal(h1 & 0xffffffff, h2 & 0xffffffff); /* the slot was reused */
    assert_true(h1 != h2);
    pz__timer_cancel(t, h1);
    assert_true(pz__timers_pop_due(t, &tm));
    assert_int_equal(tm.arg, 2);
    /* The same through a cancelled timer whose slot was freed lazily and then reused. */
    int64_t h3 = s_add(t, 0, 3);
    pz__timer_cancel(t, h3);
    assert_int_equal(pz__timers_next_ms(t), -1);
    int64_t h4 = s_add(t, 0, 4);
    assert_int_equal(h3 & 0xffffffff, h4 & 0xffffffff);
    pz__timer_cancel(t, h3);
    assert_true(pz__timers_pop_due(t, &tm));
    assert_int_equal(tm.arg, 4);
}

static void test_growth(void **state)
{
    pz__thread_t *t = *state;
    enum { N = 5000 };
    uint32_t cap0 = t->timers_cap;
    int64_t *h = calloc(N, sizeof *h);
    assert_non_null(h);
    for (uint64_t i = 0; i < N; i++) {
        h[i] = s_add(t, 0, i);
    }
    assert_true(t->timers_cap >= N && t->timers_cap > cap0);
    for (int i = 0; i < N; i += 2) { /* cancel the even ones, spread over grown slots */
        pz__timer_cancel(t, h[i]);
    }
    pz__timer_t tm;
    for (uint64_t i = 1; i < N; i += 2) {
        assert_true(pz__timers_pop_due(t, &tm));
        assert_int_equal(tm.arg, i);
    }
    assert_false(pz__timers_pop_due(t, &tm));
    free(h);
}

static void test_limit(void **state)
{
    pz__thread_t *t = *state;
    for (uint64_t i = 0; i < PZ_TIMERS_MAX; i++) {
        s_add(t, 100000, i);
    }
    assert_int_equal(pz__timer_add(t, &s_actor, 100000, PZ__TIMER_USER, 0), PZ_ELIMIT);
    /* Still a working heap after the refusal. */
    pz__timer_t tm;
    assert_true(s_force_pop(t, &tm));
    assert_int_equal(tm.arg, 0);
    assert_true(pz__timer_add(t, &s_actor, 0, PZ__TIMER_USER, 7) > 0);
}

/* kernel.h: PZ_ELIMIT "when PZ_TIMERS_MAX are armed". A cancelled timer is not armed, yet its
 * slot stays taken until its due time reaches the top of the heap. Every pz_request arms a
 * timeout (10 s by default) that the reply cancels, so a thread serving more than
 * PZ_TIMERS_MAX / 10 s = ~13k requests/s would see pz_request fail with PZ_ELIMIT. */
static void test_cancelled_slots_are_free(void **state)
{
    pz__thread_t *t = *state;
    for (uint64_t i = 0; i < PZ_TIMERS_MAX; i++) {
        pz__timer_cancel(t, s_add(t, 10000, i));
    }
    int64_t h = pz__timer_add(t, &s_actor, 10000, PZ__TIMER_USER, 0);
    if (h <= 0) {
        fail_msg("arming after %d cancels: %s (cancelled timers still hold their slots)",
                 PZ_TIMERS_MAX, pz_err_name((int)h));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_fields_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_order_many, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_order_real_time, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_not_due, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cancel, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stale_handle, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_growth, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_limit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_slots_are_free, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
