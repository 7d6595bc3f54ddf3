/*
 * test_sched.c — the session workers' tasks (modules/sql/sql_sched.c) without a kernel: stack
 * switches under load, socket waits, sleeps and deadlines, a long task yielding to the others,
 * per-task pointers, a mutex held across a wait, and the end-of-task callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sql_sched.h"

#define STACK (256u * 1024u)

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static atomic_int g_done;

static void on_done(void *arg)
{
    (void)arg;
    atomic_fetch_add(&g_done, 1);
}

static void wait_done(int n)
{
    uint64_t end = now_ms() + 20000;
    while (atomic_load(&g_done) < n && now_ms() < end) {
        usleep(1000);
    }
    assert_int_equal(atomic_load(&g_done), n);
}

/* ---- many tasks bouncing bytes over socket pairs ------------------------------------------ */

#define ROUNDS 2000

typedef struct {
    int fd;
    bool starts;
    int rounds;
    uint64_t sum; /* a deep value carried across every switch: registers and stack survive */
} bounce_t;

static int read_byte(int fd, unsigned char *c)
{
    for (;;) {
        ssize_t n = recv(fd, c, 1, MSG_DONTWAIT);
        if (n == 1) {
            return 0;
        }
        if (n == 0) {
            return -1;
        }
        if (pz_task_wait_fd(fd, POLLIN, 5000) != 1) {
            return -1;
        }
    }
}

static void bounce(void *arg)
{
    bounce_t *b = arg;
    if (!pz_task_in()) {
        return; /* rounds stays 0: the test fails on the main thread (no cmocka asserts here) */
    }
    volatile uint64_t local = 7; /* on the task's stack */
    unsigned char c = 1;
    if (b->starts && send(b->fd, &c, 1, MSG_NOSIGNAL) != 1) {
        return;
    }
    for (int i = 0; i < ROUNDS; i++) {
        if (read_byte(b->fd, &c) != 0) {
            return;
        }
        local += c;
        c++;
        if ((!b->starts || i + 1 < ROUNDS) && send(b->fd, &c, 1, MSG_NOSIGNAL) != 1) {
            return;
        }
        b->rounds++;
    }
    b->sum = local;
}

static void test_bouncing_pairs(void **state)
{
    (void)state;
    enum { PAIRS = 24 };
    pz_sched_t *s = NULL;
    assert_int_equal(pz_sched_start(2, STACK, &s), 0);
    atomic_store(&g_done, 0);
    bounce_t b[2 * PAIRS];
    memset(b, 0, sizeof b);
    for (int i = 0; i < PAIRS; i++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        b[2 * i] = (bounce_t){.fd = sv[0], .starts = true};
        b[2 * i + 1] = (bounce_t){.fd = sv[1]};
    }
    for (int i = 0; i < 2 * PAIRS; i++) {
        assert_int_equal(pz_sched_spawn(s, bounce, &b[i], b[i].fd, on_done), 0);
    }
    wait_done(2 * PAIRS);
    assert_int_equal(pz_sched_tasks(s), 0);
    pz_sched_stop(&s);
    assert_null(s);
    for (int i = 0; i < 2 * PAIRS; i++) {
        assert_int_equal(b[i].rounds, ROUNDS);
        assert_true(b[i].sum > 7);
        close(b[i].fd);
    }
}

/* ---- sleeps and socket deadlines ---------------------------------------------------------- */

typedef struct {
    int fd, other;
    uint64_t slept_ms, waited_ms;
    int wait_rc, other_rc, other_errno;
} timing_t;

static void timing(void *arg)
{
    timing_t *t = arg;
    uint64_t t0 = now_ms();
    pz_task_sleep_us(30000);
    t->slept_ms = now_ms() - t0;
    t0 = now_ms();
    t->wait_rc = pz_task_wait_fd(t->fd, POLLIN, 40); /* nothing ever arrives */
    t->waited_ms = now_ms() - t0;
    errno = 0;
    t->other_rc = pz_task_wait_fd(t->other, POLLOUT, 10); /* not the task's socket */
    t->other_errno = errno;
}

static void test_sleep_and_timeout(void **state)
{
    (void)state;
    pz_sched_t *s = NULL;
    assert_int_equal(pz_sched_start(1, STACK, &s), 0);
    atomic_store(&g_done, 0);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    timing_t t = {.fd = sv[0], .other = sv[1]};
    assert_int_equal(pz_sched_spawn(s, timing, &t, sv[0], on_done), 0);
    wait_done(1);
    pz_sched_stop(&s);
    assert_true(t.slept_ms >= 30 && t.slept_ms < 2000);
    assert_int_equal(t.wait_rc, 0);
    assert_true(t.waited_ms >= 40 && t.waited_ms < 2000);
    assert_int_equal(t.other_rc, -1);
    assert_int_equal(t.other_errno, EINVAL);
    close(sv[0]);
    close(sv[1]);
}

/* ---- a long task yields; a short one keeps running ---------------------------------------- */

static atomic_bool g_busy;
static atomic_int g_ticks;

static void hog(void *arg)
{
    (void)arg;
    atomic_store(&g_busy, true);
    uint64_t end = now_ms() + 300;
    while (now_ms() < end) {
        pz_task_check_yield(); /* what the executor does every few thousand rows */
    }
    atomic_store(&g_busy, false);
}

static void ticker(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_busy)) {
        pz_task_sleep_us(1000);
    }
    while (atomic_load(&g_busy)) {
        atomic_fetch_add(&g_ticks, 1);
        pz_task_sleep_us(1000);
    }
}

static void test_long_task_yields(void **state)
{
    (void)state;
    pz_sched_t *s = NULL;
    assert_int_equal(pz_sched_start(1, STACK, &s), 0); /* one worker: both tasks share it */
    atomic_store(&g_done, 0);
    atomic_store(&g_ticks, 0);
    assert_int_equal(pz_sched_spawn(s, ticker, NULL, -1, on_done), 0);
    assert_int_equal(pz_sched_spawn(s, hog, NULL, -1, on_done), 0);
    wait_done(2);
    pz_sched_stop(&s);
    /* 300 ms of hogging in 2 ms slices: the ticker ran between them (without yields: 0). */
    assert_true(atomic_load(&g_ticks) >= 20);
}

/* ---- a detached task computes on a helper thread ------------------------------------------ */

static atomic_int g_detach_ok;

static void detacher(void *arg)
{
    (void)arg;
    /* gettid, not pthread_self: that one is declared const, and the compiler may keep its value
     * across the switch of threads. */
    pid_t worker = (pid_t)syscall(SYS_gettid);
    pz_task_detach();
    bool moved = (pid_t)syscall(SYS_gettid) != worker && pz_task_in();
    atomic_store(&g_busy, true);
    uint64_t end = now_ms() + 300;
    while (now_ms() < end) {
        /* never yields: as libpg_query parsing a huge statement */
    }
    atomic_store(&g_busy, false);
    pz_task_attach();
    if (moved && (pid_t)syscall(SYS_gettid) == worker) {
        atomic_store(&g_detach_ok, 1);
    }
}

static void test_detached_task(void **state)
{
    (void)state;
    pz_sched_t *s = NULL;
    assert_int_equal(pz_sched_start(1, STACK, &s), 0);
    atomic_store(&g_done, 0);
    atomic_store(&g_ticks, 0);
    atomic_store(&g_detach_ok, 0);
    assert_int_equal(pz_sched_spawn(s, ticker, NULL, -1, on_done), 0);
    assert_int_equal(pz_sched_spawn(s, detacher, NULL, -1, on_done), 0);
    wait_done(2);
    pz_sched_stop(&s);
    assert_int_equal(atomic_load(&g_detach_ok), 1); /* ran elsewhere, came back to its worker */
    assert_true(atomic_load(&g_ticks) >= 20);       /* the worker kept serving the ticker */
}

/* ---- per-task pointers -------------------------------------------------------------------- */

static atomic_int g_freed;

static void free_local(void *p)
{
    atomic_fetch_add(&g_freed, 1);
    free(p);
}

static atomic_int g_local_ok;

static void with_local(void *arg)
{
    intptr_t id = (intptr_t)arg;
    int *v = malloc(sizeof *v);
    if (v == NULL || pz_task_local(PZ_TASK_LOCAL_VT_PATH) != NULL) {
        free(v);
        return;
    }
    *v = (int)id;
    pz_task_local_set(PZ_TASK_LOCAL_VT_PATH, v, free_local);
    for (int i = 0; i < 20; i++) {
        pz_task_sleep_us(500); /* the other tasks of the worker run and set theirs */
        int *mine = pz_task_local(PZ_TASK_LOCAL_VT_PATH);
        if (mine == NULL || *mine != (int)id) {
            return;
        }
    }
    atomic_fetch_add(&g_local_ok, 1);
}

static void test_task_locals(void **state)
{
    (void)state;
    pz_sched_t *s = NULL;
    assert_int_equal(pz_sched_start(1, STACK, &s), 0);
    atomic_store(&g_done, 0);
    atomic_store(&g_freed, 0);
    atomic_store(&g_local_ok, 0);
    for (intptr_t i = 1; i <= 5; i++) {
        assert_int_equal(pz_sched_spawn(s, with_local, (void *)i, -1, on_done), 0);
    }
    wait_done(5);
    pz_sched_stop(&s);
    assert_int_equal(atomic_load(&g_local_ok), 5);
    assert_int_equal(atomic_load(&g_freed), 5); /* each task's pointer freed when it ended */
    /* On a plain thread the same calls keep a per-thread pointer. */
    assert_null(pz_task_local(PZ_TASK_LOCAL_VT_SNAP));
    pz_task_local_set(PZ_TASK_LOCAL_VT_SNAP, &g_freed, NULL);
    assert_ptr_equal(pz_task_local(PZ_TASK_LOCAL_VT_SNAP), &g_freed);
    pz_task_local_set(PZ_TASK_LOCAL_VT_SNAP, NULL, NULL);
}

/* ---- a mutex held across a wait ----------------------------------------------------------- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int g_in_lock, g_overlap, g_locked;

static void locker(void *arg)
{
    (void)arg;
    pz_task_lock(&g_mu);
    if (atomic_fetch_add(&g_in_lock, 1) != 0) {
        atomic_fetch_add(&g_overlap, 1);
    }
    pz_task_sleep_us(10000); /* as a KV call under the catalog's boot lock */
    atomic_fetch_sub(&g_in_lock, 1);
    pthread_mutex_unlock(&g_mu);
    atomic_fetch_add(&g_locked, 1);
}

static void test_lock_across_wait(void **state)
{
    (void)state;
    pz_sched_t *s = NULL;
    assert_int_equal(pz_sched_start(1, STACK, &s), 0); /* pthread_mutex_lock would deadlock */
    atomic_store(&g_done, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pz_sched_spawn(s, locker, NULL, -1, on_done), 0);
    }
    wait_done(4);
    pz_sched_stop(&s);
    assert_int_equal(atomic_load(&g_locked), 4);
    assert_int_equal(atomic_load(&g_overlap), 0);
}

/* ---- no kernel: no KV path ---------------------------------------------------------------- */

static atomic_int g_call_rc;

static void caller(void *arg)
{
    (void)arg;
    pz_msg_t *reply = NULL;
    pz_out_t *out = pz_out_new(PZ_MSG_PING);
    if (out == NULL) {
        return;
    }
    atomic_store(&g_call_rc, pz_task_call("txn", &out, 100, &reply));
    pz_out_free(&out);
    if (reply != NULL) {
        atomic_store(&g_call_rc, 1);
        pz_msg_free(&reply);
    }
}

static void test_call_without_kernel(void **state)
{
    (void)state;
    pz_sched_t *s = NULL;
    assert_int_equal(pz_sched_start(1, STACK, &s), 0);
    atomic_store(&g_done, 0);
    atomic_store(&g_call_rc, -12345);
    assert_int_equal(pz_sched_spawn(s, caller, NULL, -1, on_done), 0);
    wait_done(1);
    pz_sched_stop(&s);
    assert_int_equal(atomic_load(&g_call_rc), PZ_EUNAVAILABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bouncing_pairs),   cmocka_unit_test(test_sleep_and_timeout),
        cmocka_unit_test(test_long_task_yields), cmocka_unit_test(test_task_locals),
        cmocka_unit_test(test_lock_across_wait), cmocka_unit_test(test_call_without_kernel),
        cmocka_unit_test(test_detached_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
