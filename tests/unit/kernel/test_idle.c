/*
 * test_idle.c — proves the bounds of the idle strategy (kernel/idle.c): a thread spins only
 * while a spinner slot is free (the process-wide budget is never exceeded and every slot comes
 * back), only within the window from the start of its idle period, only right after work, only
 * if its previous wait was short, never with spinning turned off or too many client calls in
 * flight; a thread that finds every slot taken waits briefly and takes over a slot its holder
 * frees (the hand-off); a rung doorbell ends a spin at once, a spin that found nothing backs off, a
 * receive that found nothing catches the count up; doorbells map to the right inboxes; and a kernel
 * with spinning on answers requests like one without, leaving no slot taken.
 *
 * How: the decisions are pure functions of the waiter's recorded times, so most tests set those
 * times by hand and assert the decision — no sleeps, no timing assertions. Spins that must end
 * without a message are bounded by the window and assert only what they returned. The hand-off
 * test needs a second thread, which acts on what it sees (a waiter polling, a slot taken), not
 * on time; it repeats an attempt the scheduler spoiled and fails only if none of ten hands the
 * slot over. The kernel test drives the dummy echo module with PINGs
 * (the kernel answers them itself).
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "kernel_test.h"

#define T_WINDOW_US 1000u /* the widest: a stall between two lines of a test is no failure */
#define T_WINDOW_NS (T_WINDOW_US * 1000u)

static int s_setup(void **state)
{
    pz__idle_configure(T_WINDOW_US, 1, 1);
    return t_watchdog_arm(state);
}

static int s_teardown(void **state)
{
    assert_int_equal(pz__idle_spinners(), 0); /* no test leaves a slot taken */
    pz__idle_configure(0, 0, 0);
    return t_watchdog_disarm(state);
}

/* A waiter on a client bell of its own, idle since `idle_ns`, whose last message came at
 * `work_ns` after a previous wait of `wait_ns`. */
static pz__idle_t s_waiter(uint64_t client, uint64_t idle_ns, uint64_t work_ns, uint64_t wait_ns)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://pz/client.%llu", (unsigned long long)client);
    pz__idle_t w;
    pz__idle_init(&w, pz__idle_bell(ep), false);
    w.idle_ns = idle_ns;
    w.work_ns = work_ns;
    w.wait_ns = wait_ns;
    return w;
}

static void test_budget(void **state)
{
    (void)state;
    assert_true(pz__idle_claim());
    assert_false(pz__idle_claim()); /* one slot: the second thread sleeps */
    assert_int_equal(pz__idle_spinners(), 1);
    pz__idle_release();
    assert_true(pz__idle_claim());
    pz__idle_release();

    pz__idle_configure(T_WINDOW_US, 3, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(pz__idle_claim());
    }
    assert_false(pz__idle_claim());
    assert_int_equal(pz__idle_spinners(), 3);
    for (int i = 0; i < 3; i++) {
        pz__idle_release();
    }
    pz__idle_configure(T_WINDOW_US, 0, 0); /* spinners = 0: nobody ever spins */
    assert_false(pz__idle_claim());
}

/* Contending threads: at no moment do more than `max` hold a slot. */
typedef struct {
    atomic_int *holders;
    atomic_int *peak;
    int claims;
} t_contender_t;

static void *s_contend(void *arg)
{
    t_contender_t *c = arg;
    for (int i = 0; i < 20000; i++) {
        if (!pz__idle_claim()) {
            continue;
        }
        c->claims++;
        int now = atomic_fetch_add(c->holders, 1) + 1;
        int peak = atomic_load(c->peak);
        while (now > peak && !atomic_compare_exchange_weak(c->peak, &peak, now)) {
        }
        atomic_fetch_sub(c->holders, 1);
        pz__idle_release();
    }
    return NULL;
}

static void test_budget_contended(void **state)
{
    (void)state;
    pz__idle_configure(T_WINDOW_US, 2, 2);
    atomic_int holders = 0, peak = 0;
    t_contender_t c[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        c[i] = (t_contender_t){.holders = &holders, .peak = &peak};
        assert_int_equal(pthread_create(&t[i], NULL, s_contend, &c[i]), 0);
    }
    int claims = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        claims += c[i].claims;
    }
    assert_true(claims > 0);
    assert_true(atomic_load(&peak) >= 1 && atomic_load(&peak) <= 2);
    assert_int_equal(pz__idle_spinners(), 0);
}

static void test_window_rules(void **state)
{
    (void)state;
    uint64_t t0 = 1000000000ull; /* idle since t0, last message 1 us before */
    pz__idle_t w = s_waiter(11, t0, t0 - 1000, 0);
    assert_true(pz__idle_may_spin(&w, t0));
    assert_true(pz__idle_may_spin(&w, t0 + T_WINDOW_NS - 1));
    assert_false(pz__idle_may_spin(&w, t0 + T_WINDOW_NS)); /* idle past the window: block */
    assert_false(pz__idle_may_spin(&w, t0 + 10 * T_WINDOW_NS));
    pz__idle_t late = s_waiter(11, t0, t0 - T_WINDOW_NS - 1, 0); /* no message lately */
    assert_false(pz__idle_may_spin(&late, t0));
    pz__idle_t slow = s_waiter(11, t0, t0 - 1000, T_WINDOW_NS + 1); /* its last wait was long */
    assert_false(pz__idle_may_spin(&slow, t0));
    /* A waiter that knows a reply is coming (a session worker's client) spins whatever its
     * rhythm, but still only within the window. */
    late.expecting = slow.expecting = true;
    assert_true(pz__idle_may_spin(&late, t0));
    assert_true(pz__idle_may_spin(&slow, t0));
    assert_false(pz__idle_may_spin(&late, t0 + T_WINDOW_NS));
    pz__idle_t working = s_waiter(11, 0, t0 - 1000, 0); /* not idle */
    assert_false(pz__idle_may_spin(&working, t0));
    pz__idle_t nobell = w;
    nobell.bell = NULL; /* a remote client: nothing to watch */
    assert_false(pz__idle_may_spin(&nobell, t0));

    pz__idle_configure(0, 1, 1); /* spinning off */
    assert_false(pz__idle_may_spin(&w, t0));
    pz__idle_configure(T_WINDOW_US, 1, 1);
    pz__idle_calls_add(1);
    assert_true(pz__idle_may_spin(&w, t0));
    pz__idle_calls_add(1); /* two calls in flight, more than one may spin: runnable threads */
    assert_false(pz__idle_may_spin(&w, t0));
    pz__idle_calls_add(-1);
    pz__idle_calls_add(-1);
}

static void test_took_records_rhythm(void **state)
{
    (void)state;
    uint64_t t0 = 5000000000ull;
    pz__idle_t w = s_waiter(12, t0, t0 - 100, 0);
    uint64_t taken = w.taken;
    pz__idle_took(&w, t0 + 3 * T_WINDOW_NS);
    assert_int_equal(w.taken, taken + 1);
    assert_int_equal(w.wait_ns, 3 * T_WINDOW_NS);
    assert_int_equal(w.idle_ns, 0); /* working again */
    w.idle_ns = t0 + 4 * T_WINDOW_NS;
    assert_false(pz__idle_may_spin(&w, w.idle_ns)); /* the wait before was long */
    pz__idle_took(&w, w.idle_ns + 2000);
    w.idle_ns = w.work_ns + 500;
    assert_true(pz__idle_may_spin(&w, w.idle_ns)); /* a short wait: spin again */
}

static void test_rung_bell_ends_spin(void **state)
{
    (void)state;
    pz__idle_t w = s_waiter(13, 0, pz__mono_ns(), 0);
    pz__idle_ring(w.bell);
    assert_true(pz__idle_spin(&w)); /* the message was announced: receive it */
    assert_int_equal(pz__idle_spinners(), 0);
    assert_int_not_equal(w.idle_ns, 0); /* still idle until a message is taken */
    pz__idle_took(&w, pz__mono_ns());
    assert_int_equal(w.taken, atomic_load(w.bell));
    /* Nothing rings now: the spin ends by the window and says block. */
    assert_false(pz__idle_spin(&w));
    assert_int_equal(pz__idle_spinners(), 0);
    assert_int_equal(w.spin_fails, 1);
    assert_true(w.skips >= 1);
    /* Backing off: the next idle period sleeps at once, even with a message rung. */
    pz__idle_took(&w, pz__mono_ns());
    w.wait_ns = 0;
    uint32_t skips = w.skips;
    pz__idle_ring(w.bell);
    assert_false(pz__idle_spin(&w));
    assert_int_equal(w.skips, skips - 1);
    pz__idle_took(&w, pz__mono_ns());
}

static uint64_t s_metric(const char *name)
{
    return pz_metric_value(pz_metric_counter(name, ""));
}

static void test_budget_full_waits_then_blocks(void **state)
{
    (void)state;
    pz__idle_t w = s_waiter(14, 0, pz__mono_ns(), 0);
    assert_true(pz__idle_claim()); /* another thread holds the only slot and keeps it */
    uint64_t full = s_metric("pz_idle_spin_full_total");
    assert_false(pz__idle_spin(&w)); /* waits the hand-off window for it in vain: it blocks */
    assert_int_equal(pz__idle_spinners(), 1);
    assert_int_equal(s_metric("pz_idle_spin_full_total"), full + 1);
    assert_int_equal(w.spin_fails, 1); /* a wait in vain backs off like a spin in vain */
    /* A message announced while every slot is taken is received at once, no slot taken. */
    w = s_waiter(14, 0, pz__mono_ns(), 0);
    pz__idle_ring(w.bell);
    assert_true(pz__idle_spin(&w));
    assert_int_equal(pz__idle_spinners(), 1);
    assert_int_equal(w.spin_fails, 0);
    pz__idle_release();
    pz__idle_took(&w, pz__mono_ns());
}

/* The hand-off: a thread that finds the only slot taken takes it over when its holder frees it.
 * The holder (a helper thread) frees the slot once it sees the waiter polling for one, then
 * rings the waiter's bell once the slot is taken again (or the waiter gave up), which ends the
 * waiter's spin. The hand-off window is widened to half a second, so the helper's turn on a
 * core need not come quickly; what the waiter's spin does after the hand-off (catch the bell, or
 * end early because the machine is loaded) is not asserted. An attempt the scheduler still
 * spoils is repeated; without the hand-off every attempt fails (the waiter sleeps at once). */
typedef struct {
    pz__bell_t *bell;
    atomic_int running; /* the helper is on a core, polling */
    atomic_int go;      /* the waiter is about to spin */
} t_handoff_t;

static bool s_until(int (*probe)(void), int want, uint64_t ns)
{
    for (uint64_t end = pz__mono_ns() + ns; pz__mono_ns() < end;) {
        if (probe() == want) {
            return true;
        }
    }
    return false;
}

static int s_slot_taken_or_given_up(void)
{
    return pz__idle_spinners() == 1 || pz__idle_awaiting() == 0;
}

static void *s_hand_over(void *arg)
{
    t_handoff_t *h = arg;
    atomic_store(&h->running, 1);
    while (atomic_load(&h->go) == 0) {
    }
    (void)s_until(pz__idle_awaiting, 1, 1000000000ull); /* the waiter polls for a slot */
    pz__idle_release();
    (void)s_until(s_slot_taken_or_given_up, 1, 1000000000ull);
    pz__idle_ring(h->bell);
    return NULL;
}

static void test_handoff(void **state)
{
    (void)state;
    pz__idle_set_handoff_us(500000);
    bool done = false;
    for (int attempt = 0; attempt < 10 && !done; attempt++) {
        uint64_t handoffs = s_metric("pz_idle_spin_handoffs_total");
        pz__idle_t w = s_waiter(17, 0, pz__mono_ns(), 0);
        assert_true(pz__idle_claim()); /* the holder's slot (it frees it) */
        t_handoff_t h = {.bell = w.bell};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, s_hand_over, &h), 0);
        while (atomic_load(&h.running) == 0) {
            sched_yield();
        }
        atomic_store(&h.go, 1);
        w.work_ns = pz__mono_ns(); /* the thread start does not count against the window */
        (void)pz__idle_spin(&w);
        pthread_join(t, NULL);
        assert_int_equal(pz__idle_spinners(), 0); /* the waiter freed what it took over */
        assert_int_equal(pz__idle_awaiting(), 0);
        done = s_metric("pz_idle_spin_handoffs_total") == handoffs + 1;
    }
    pz__idle_set_handoff_us(PZ_IDLE_HANDOFF_US);
    assert_true(done);
}

static void test_idle_past_window_blocks(void **state)
{
    (void)state;
    /* Its last message came long ago: it sleeps at once, though a message is announced. */
    pz__idle_t w = s_waiter(15, 0, pz__mono_ns() - 10 * T_WINDOW_NS, 0);
    pz__idle_ring(w.bell);
    assert_false(pz__idle_spin(&w));
    assert_int_equal(pz__idle_spinners(), 0);
}

static void test_missed_catches_up(void **state)
{
    (void)state;
    pz__idle_t w = s_waiter(16, 0, pz__mono_ns(), 0);
    pz__idle_ring(w.bell);
    pz__idle_ring(w.bell);
    assert_true(pz__idle_spin(&w)); /* sees both rings */
    pz__idle_ring(w.bell);          /* a third message, sent after the spin looked */
    pz__idle_missed(&w); /* the receive found nothing: the two it saw were taken elsewhere */
    assert_int_equal(w.taken, atomic_load(w.bell) - 1); /* the third is still to come */
    assert_true(pz__idle_spin(&w));
    pz__idle_missed(&w);
    assert_int_equal(w.taken, atomic_load(w.bell));
    /* A count below what was taken (tcp arrivals ring nothing) is caught up too. */
    w.taken += 5;
    w.idle_ns = 0;
    w.work_ns = pz__mono_ns();
    assert_false(pz__idle_spin(&w));
    assert_int_equal(w.taken, atomic_load(w.bell));
}

static void test_bells(void **state)
{
    (void)state;
    pz__bell_t *t3 = pz__idle_bell("inproc://pz/t3");
    assert_non_null(t3);
    assert_ptr_equal(pz__idle_bell("inproc://pz/t3"), t3);
    assert_ptr_not_equal(pz__idle_bell("inproc://pz/t4"), t3);
    assert_null(pz__idle_bell("inproc://pz/t3.from.txn")); /* a local inbox: never waited on */
    assert_null(pz__idle_bell("inproc://pz/t64"));
    assert_null(pz__idle_bell("tcp://127.0.0.1:5000"));
    pz__bell_t *c5 = pz__idle_bell("inproc://pz/client.5");
    assert_non_null(c5);
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://pz/client.%d", 5 + PZ_CLIENT_BELLS_MAX);
    assert_ptr_equal(pz__idle_bell(ep), c5); /* a shared slot: spurious receives only */
    uint64_t before = atomic_load(c5);
    pz__idle_ring(c5);
    pz__idle_ring(NULL);
    assert_int_equal(atomic_load(c5), before + 1);
}

/* A kernel with spinning on (a wide window) answers every request; the budget of one slot holds
 * throughout and is free at the end; with spinners = 0 nobody spins at all. */
static void s_kernel_pings(const char *node_extra, int pings, uint64_t *spins)
{
    char text[1024];
    snprintf(text, sizeof text,
             "node\n    threads = 2\n    seed = 1\n    module_dir = \"%s\"\n%s"
             "modules\n    e\n        module = echo\n",
             PZ_TEST_DUMMY_DIR, node_extra);
    zconfig_t *cfg = NULL;
    assert_int_equal(pz__config_load_str(text, "test", &cfg), 0);
    assert_int_equal(pz__kernel_start(cfg, "test"), 0);
    pz_metric_t *m = pz_metric_counter("pz_idle_spins_total", "");
    uint64_t spins0 = pz_metric_value(m);
    pz_client_t *c = pz_client_new(NULL);
    assert_non_null(c);
    for (int i = 0; i < pings; i++) {
        pz_ping_t ping = {.seq = (uint64_t)i};
        pz_out_t *o = NULL;
        pz_msg_t *r = NULL;
        assert_int_equal(pz_ping_to_out(&ping, PZ_MSG_PING, &o), 0);
        assert_int_equal(pz_client_call(c, "e", &o, 8000, &r), 0);
        pz_ping_t pong;
        assert_int_equal(pz_ping_from_msg(r, PZ_MSG_PONG, &pong), 0);
        assert_int_equal(pong.seq, (uint64_t)i);
        assert_true(pz__idle_spinners() <= 1);
        pz_msg_free(&r);
    }
    pz_client_destroy(&c);
    *spins = pz_metric_value(m) - spins0;
    pz__kernel_stop();
    zconfig_destroy(&cfg);
    assert_int_equal(pz__idle_spinners(), 0);
}

static void test_kernel_with_spinning(void **state)
{
    (void)state;
    uint64_t spins = 0;
    s_kernel_pings("    spin_us = 1000\n    spinners = 1\n", 2000, &spins);
    assert_true(spins > 0); /* 2000 back-to-back calls, a 1 ms window: the client or the kernel
                               thread spun (each call's previous wait was a few us) */
    s_kernel_pings("    spin_us = 1000\n    spinners = 0\n", 200, &spins);
    assert_int_equal(spins, 0);
    s_kernel_pings("    spin_us = 0\n", 200, &spins);
    assert_int_equal(spins, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_budget, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_budget_contended, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_window_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_took_records_rhythm, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rung_bell_ends_spin, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_budget_full_waits_then_blocks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_handoff, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_idle_past_window_blocks, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_missed_catches_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bells, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_kernel_with_spinning, s_setup, s_teardown),
    };
    return cmocka_run_group_tests_name("kernel_idle", tests, NULL, NULL);
}
