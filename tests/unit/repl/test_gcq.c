/*
 * test_gcq.c — proves the GC queue's decisions (modules/repl/repl_gcq.c): durations parse as
 * the --gc-ttl flag takes them (units, compounds, bare seconds) and junk is refused; the queue
 * looks every interval, but at least every TTL / 4 and at most every 100 ms; a range is due only
 * once its wait is over and now - ttl has moved past its last threshold, with gc_ts = now - ttl;
 * a pass that deleted something brings the range back after one interval, one that found nothing
 * doubles the wait up to the TTL, and a failed pass keeps the old threshold and retries after an
 * interval.
 * How: the pure functions on hand-made range states, a fixed HLC `now` and monotonic ms; the
 * actor glue's calls into the rest of repl are stubbed (never reached here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "phantomzero/errors.h"
#include "phantomzero/limits.h"
#include "repl.h"
#include "repl_gcq.h"

/* The glue's links to the rest of repl (not exercised by these tests). */
const pz__replica_t *pz__repl_replica(const pz__repl_t *p, uint64_t range_id)
{
    (void)p, (void)range_id;
    return NULL;
}

int pz__repl_send(pz_actor_t *self, const char *to, const pz_kv_batch_t *b, uint32_t timeout_ms,
                  pz__repl_flight_t *ctx)
{
    (void)self, (void)to, (void)b, (void)timeout_ms, (void)ctx;
    return PZ_EUNAVAILABLE;
}

#define MS 1000000ull

static void test_durations(void **state)
{
    (void)state;
    uint64_t ms = 0;
    assert_int_equal(pz__gcq_parse_duration("4h", &ms), 0);
    assert_int_equal(ms, 4ull * 3600 * 1000);
    assert_int_equal(pz__gcq_parse_duration("1h30m", &ms), 0);
    assert_int_equal(ms, 5400000);
    assert_int_equal(pz__gcq_parse_duration("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(pz__gcq_parse_duration("2s", &ms), 0);
    assert_int_equal(ms, 2000);
    assert_int_equal(pz__gcq_parse_duration("90", &ms), 0); /* ttlseconds */
    assert_int_equal(ms, 90000);
    assert_int_equal(pz__gcq_parse_duration("1d", &ms), 0);
    assert_int_equal(ms, 86400000);
    const char *bad[] = {"", "0s", "h", "5x", "5 s", "-5s", "1h30", "3mss", "99999999999999s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (pz__gcq_parse_duration(bad[i], &ms) != PZ_EINVAL) {
            fail_msg("\"%s\" parsed", bad[i]);
        }
    }
}

static void test_interval(void **state)
{
    (void)state;
    assert_int_equal(pz__gcq_interval(PZ_GC_TTL_MS_DEFAULT, PZ_GC_QUEUE_INTERVAL_MS), 60000);
    assert_int_equal(pz__gcq_interval(2000, PZ_GC_QUEUE_INTERVAL_MS), 500);
    assert_int_equal(pz__gcq_interval(2000, 200), 200);
    assert_int_equal(pz__gcq_interval(100, 60000), PZ_GC_QUEUE_INTERVAL_MIN_MS);
}

static void test_due_and_passes(void **state)
{
    (void)state;
    const uint64_t ttl = 2000;
    const uint32_t every = 500;
    pz__gcq_range_t r = {.range_id = 1};
    pz_hlc_t now = {.wall = 1700000000000000000ull, .logical = 9}, gc;
    /* A new range is due at once, at now - ttl. */
    assert_true(pz__gcq_due(&r, now, 0, ttl, &gc));
    assert_true(gc.wall == now.wall - ttl * MS && gc.logical == 0);
    /* Nothing deleted: the wait doubles from the interval up to the TTL. */
    uint64_t t = 1000;
    pz__gcq_passed(&r, true, gc, 0, t, ttl, every);
    assert_int_equal(r.next_ms, t + 500);
    assert_int_equal(pz_hlc_cmp(r.threshold, gc), 0);
    uint64_t waits[] = {1000, 2000, 2000};
    for (size_t i = 0; i < 3; i++) {
        t = r.next_ms;
        now.wall += 10 * MS;
        assert_false(pz__gcq_due(&r, now, t - 1, ttl, &gc)); /* still waiting */
        assert_true(pz__gcq_due(&r, now, t, ttl, &gc));
        pz__gcq_passed(&r, true, gc, 0, t, ttl, every);
        assert_int_equal(r.next_ms, t + waits[i]);
    }
    /* Garbage found: back after one interval. */
    t = r.next_ms;
    now.wall += 10 * MS;
    assert_true(pz__gcq_due(&r, now, t, ttl, &gc));
    pz__gcq_passed(&r, true, gc, 7, t, ttl, every);
    assert_int_equal(r.next_ms, t + every);
    /* Not due while now - ttl has not passed the threshold (a clock that did not move). */
    assert_false(pz__gcq_due(&r, now, r.next_ms, ttl, &gc));
    /* A failed pass keeps the threshold and retries after an interval. */
    pz_hlc_t kept = r.threshold;
    now.wall += 10 * MS;
    t = r.next_ms;
    assert_true(pz__gcq_due(&r, now, t, ttl, &gc));
    pz__gcq_passed(&r, false, gc, 3, t, ttl, every);
    assert_int_equal(pz_hlc_cmp(r.threshold, kept), 0);
    assert_int_equal(r.next_ms, t + every);
    /* A clock not yet past the TTL since the epoch collects nothing. */
    pz__gcq_range_t fresh = {.range_id = 2};
    assert_false(pz__gcq_due(&fresh, (pz_hlc_t){.wall = ttl * MS}, 0, ttl, &gc));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_due_and_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
