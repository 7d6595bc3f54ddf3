/*
 * idle.c — what a thread does when it runs out of work: spin for a bounded moment, then sleep.
 *
 * Why: on these VMs a syscall costs ~1.1 us and waking a thread asleep in a blocking receive
 * ~6-10 us (eventfd write, scheduler, an idle vCPU's wake-up). A five-layer get slept twice —
 * the kernel thread waiting for the request, the client waiting for the reply — so it could not
 * beat one raw two-thread round trip, which is the same two wake-ups with no work. A thread that
 * has just worked and whose waits are short spins instead (Aeron's BackoffIdleStrategy, the
 * hybrid polling of the Linux block layer): then the whole path costs at most one wake-up.
 *
 * Doorbells: one atomic counter per inbox (kernel threads' inboxes, in-process clients'
 * inboxes), which in-process senders increment after each send. A spinner only loads it (no
 * syscall, no ZeroMQ call) and receives once it counts more messages sent than it took, so it
 * never receives from an empty inbox: a receive that finds a ZeroMQ pipe empty puts the pipe to
 * sleep, and the next send on it then pays an eventfd activation (see internal.h). Client bells
 * are a fixed table indexed by client number modulo its size: a clash costs a spurious receive,
 * never a missed message, and a sender never holds a pointer to memory that can be freed.
 * Messages that ring no bell (over tcp) are found by a real receive every PZ_IDLE_PROBE_US when
 * the waiter says it has such senders.
 *
 * Bounds on the CPU it burns (each spin is one idle period of one thread):
 *   - at most spin_us (node/spin_us; 0 turns spinning off) from the moment work ran out;
 *   - only right after work: the waiter's last message arrived within the window;
 *   - only if its previous idle period was shorter than the window (a thread whose messages
 *     come rarely would spin in vain every time: it sleeps at once, as before) — these two
 *     unless the waiter knows a reply is on its way (`expecting`: a session worker with KV
 *     calls outstanding, whose other waits are for clients and say nothing about the reply);
 *   - only while few client calls are in flight: under load every spin steals the core a
 *     runnable thread needs, and the wake-ups it saves are already shared by many messages;
 *   - at most spinners_max threads of the process at once (node/spinners, default cores - 1):
 *     a counter claimed with a compare-and-swap, shared by kernel threads and clients;
 *   - a thread that finds every slot taken polls for at most PZ_IDLE_HANDOFF_US for one to come
 *     free (or for its own bell), then sleeps. This is the hand-off that makes one spinner
 *     enough for a call: the client that has just sent a request finds the slot held by the
 *     kernel thread spinning for that request, which frees it the moment the request arrives
 *     and then works; the client takes the slot and catches the reply without a wake-up; the
 *     kernel thread, done, finds the slot held by the client, which frees it the moment the
 *     reply arrives. Without it the client slept on every call (the slot was never free when it
 *     looked). Two threads poll at once only during such a hand-off, each at most that long;
 *     a hand-off that found no slot counts as a spin in vain (the back-off below);
 *   - after PZ_IDLE_PAUSE_US it yields between polls, and a yield that let another thread run
 *     (it took > PZ_IDLE_YIELD_CEDED_US) ends the spin: the cores are wanted (other processes
 *     count too, which no counter of ours sees);
 *   - a spin in vain makes the waiter sleep at once through the next 1, 3, 7, ... 255 idle
 *     periods.
 */
#include <assert.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

#include "internal.h"

static atomic_uint s_spin_ns;           /* the window; 0: spinning is off */
static atomic_int s_spinners_max;       /* threads that may spin at once */
static atomic_int s_spinners;           /* threads spinning now */
static atomic_int s_awaiting;           /* threads waiting for a slot (the hand-off) now */
static atomic_int s_calls_max;          /* client calls in flight above which nobody spins */
static atomic_int s_calls;              /* client calls in flight now */
static pz_metric_t *_Atomic s_m_spins;  /* spins begun */
static pz_metric_t *_Atomic s_m_wins;   /* spins that ended with a message */
static pz_metric_t *_Atomic s_m_full;   /* spins refused: every spinner slot was taken */
static pz_metric_t *_Atomic s_m_ceded;  /* spins ended: a yield let another thread run */
static pz_metric_t *_Atomic s_m_handed; /* slots taken over after a wait (the hand-off) */
static atomic_uint s_handoff_ns = PZ_IDLE_HANDOFF_US * 1000u; /* the longest wait for a slot */
static pz__bell_t s_thread_bells[PZ_THREADS_MAX];
static pz__bell_t s_client_bells[PZ_CLIENT_BELLS_MAX];

static inline void s_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause(); /* lets the sibling hyper-thread run, saves power */
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

uint64_t pz__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pz__idle_configure(uint32_t spin_us, int spinners_max, int calls_max)
{
    assert(spin_us <= PZ_IDLE_SPIN_US_MAX);
    assert(spinners_max >= 0 && spinners_max <= PZ_THREADS_MAX && calls_max >= 0);
    atomic_store(&s_spin_ns, spin_us * 1000u);
    atomic_store(&s_spinners_max, spinners_max);
    atomic_store(&s_calls_max, calls_max);
    atomic_store(&s_m_spins, pz_metric_counter("pz_idle_spins_total",
                                               "idle periods a thread spun before sleeping"));
    atomic_store(&s_m_wins, pz_metric_counter("pz_idle_spin_wins_total",
                                              "spins that ended with a message, no sleep"));
    atomic_store(&s_m_full, pz_metric_counter("pz_idle_spin_full_total",
                                              "spins refused: all spinner slots taken"));
    atomic_store(&s_m_ceded, pz_metric_counter("pz_idle_spin_ceded_total",
                                               "spins ended: a yield ran another thread (the "
                                               "cores are wanted)"));
    atomic_store(&s_m_handed, pz_metric_counter("pz_idle_spin_handoffs_total",
                                                "spins that began with a slot another thread "
                                                "freed while this one waited for it"));
}

void pz__idle_set_handoff_us(uint32_t us)
{
    assert(us <= 1000000u); /* a test's widest: a second */
    atomic_store(&s_handoff_ns, us * 1000u);
}

static void s_count(pz_metric_t *_Atomic *m)
{
    pz_metric_t *p = atomic_load_explicit(m, memory_order_relaxed);
    if (p != NULL) { /* NULL: never configured (a client without a kernel never spins) */
        pz_metric_add(p, 1);
    }
}

int pz__idle_spinners(void)
{
    return atomic_load(&s_spinners);
}

int pz__idle_awaiting(void)
{
    return atomic_load(&s_awaiting);
}

pz__bell_t *pz__idle_bell(const char *endpoint)
{
    assert(endpoint != NULL);
    unsigned long long n = 0;
    char tail = 0;
    if (sscanf(endpoint, "inproc://pz/t%llu%c", &n, &tail) == 1 && n < PZ_THREADS_MAX) {
        return &s_thread_bells[n];
    }
    if (sscanf(endpoint, "inproc://pz/client.%llu%c", &n, &tail) == 1) {
        return &s_client_bells[n % PZ_CLIENT_BELLS_MAX];
    }
    return NULL; /* tcp, ipc, or an actor's local inbox: nobody spins on those */
}

void pz__idle_ring(pz__bell_t *bell)
{
    if (bell != NULL) { /* release: a spinner that sees the count finds the message queued */
        atomic_fetch_add_explicit(bell, 1, memory_order_release);
    }
}

void pz__idle_init(pz__idle_t *w, pz__bell_t *bell, bool probe)
{
    assert(w != NULL);
    *w = (pz__idle_t){.bell = bell, .probe = probe};
    w->taken = bell ? atomic_load(bell) : 0; /* bells outlive kernels: start from their count */
    w->seen = w->taken;
}

void pz__idle_took(pz__idle_t *w, uint64_t now_ns)
{
    assert(w != NULL && now_ns > 0);
    w->taken++;
    if (w->idle_ns != 0) {
        w->wait_ns = now_ns > w->idle_ns ? now_ns - w->idle_ns : 0;
        w->idle_ns = 0;
    }
    w->work_ns = now_ns;
}

void pz__idle_missed(pz__idle_t *w)
{
    assert(w != NULL);
    /* The count the spin saw, not a fresh one: a message rung since then is still to come. */
    if (w->bell != NULL && (int64_t)(w->seen - w->taken) > 0) {
        w->taken = w->seen;
    }
}

void pz__idle_calls_add(int delta)
{
    assert(delta == 1 || delta == -1);
    atomic_fetch_add_explicit(&s_calls, delta, memory_order_relaxed);
}

bool pz__idle_may_spin(const pz__idle_t *w, uint64_t now_ns)
{
    assert(w != NULL);
    uint64_t window = atomic_load_explicit(&s_spin_ns, memory_order_relaxed);
    if (window == 0 || w->bell == NULL || w->idle_ns == 0 || now_ns < w->idle_ns) {
        return false;
    }
    bool rhythm = w->expecting || (w->idle_ns - w->work_ns <= window && w->wait_ns <= window);
    return now_ns - w->idle_ns < window && rhythm &&
           atomic_load_explicit(&s_calls, memory_order_relaxed) <=
               atomic_load_explicit(&s_calls_max, memory_order_relaxed);
}

bool pz__idle_claim(void)
{
    int n = atomic_load_explicit(&s_spinners, memory_order_relaxed);
    int max = atomic_load_explicit(&s_spinners_max, memory_order_relaxed);
    while (n < max) {
        if (atomic_compare_exchange_weak(&s_spinners, &n, n + 1)) {
            return true;
        }
    }
    return false;
}

void pz__idle_release(void)
{
    int was = atomic_fetch_sub(&s_spinners, 1);
    assert(was > 0);
    (void)was;
}

/* Whether the bell counts a message not yet taken. A count below what was taken (a message came
 * over tcp, or the blocking receive took one before its sender rang) is caught up with. */
static bool s_rung(pz__idle_t *w)
{
    uint64_t rung = atomic_load_explicit(w->bell, memory_order_acquire);
    w->seen = rung;
    int64_t ahead = (int64_t)(rung - w->taken);
    if (ahead < 0) {
        w->taken = rung;
    }
    return ahead > 0;
}

/* The spin itself: polls the bell until it rings (true), a probe is due (true), the window
 * passes or the core turns out to be wanted (false). A yield that took long means another thread
 * ran on this core meanwhile: more threads are runnable than cores, and every further poll would
 * take CPU from them, so the spin ends as one in vain (and the waiter backs off). */
static bool s_spin_loop(pz__idle_t *w, uint64_t now)
{
    bool ready = false, yield = false;
    uint64_t probe_at = now + PZ_IDLE_PROBE_US * 1000u;
    uint64_t yield_at = now + PZ_IDLE_PAUSE_US * 1000u;
    for (uint32_t n = 0; n < PZ_IDLE_SPIN_POLLS_MAX && !ready; n++) {
        ready = s_rung(w);
        if (!ready && (yield || n % 16 == 15)) { /* a clock read costs as much as ~16 polls */
            uint64_t before = now;
            now = pz__mono_ns();
            if (yield && now - before > PZ_IDLE_YIELD_CEDED_US * 1000u) {
                s_count(&s_m_ceded);
                return false;
            }
            if (!pz__idle_may_spin(w, now)) {
                return false;
            }
            ready = w->probe && now >= probe_at;
            yield = now >= yield_at;
        }
        if (!ready && yield) {
            sched_yield(); /* the thread we wait for may be queued behind us on this core */
        } else if (!ready) {
            s_relax();
        }
    }
    return ready;
}

enum { S_NOTHING, S_CLAIMED, S_RUNG };

/* Every slot was taken: polls for one to come free (S_CLAIMED, the slot is now ours) or for the
 * waiter's own bell (S_RUNG, no slot taken) for at most the hand-off window. */
static int s_await_slot(pz__idle_t *w, uint64_t now)
{
    if (atomic_load_explicit(&s_spinners_max, memory_order_relaxed) == 0) {
        return S_NOTHING; /* nobody may spin: no slot will ever come free */
    }
    uint64_t until = now + atomic_load_explicit(&s_handoff_ns, memory_order_relaxed);
    int got = S_NOTHING;
    atomic_fetch_add_explicit(&s_awaiting, 1, memory_order_relaxed);
    for (uint32_t n = 0; n < PZ_IDLE_SPIN_POLLS_MAX && got == S_NOTHING; n++) {
        if (s_rung(w)) {
            got = S_RUNG;
        } else if (pz__idle_claim()) {
            got = S_CLAIMED;
        } else if (n % 16 == 15 && pz__mono_ns() >= until) { /* a clock read costs ~16 polls */
            break;
        } else {
            s_relax();
        }
    }
    atomic_fetch_sub_explicit(&s_awaiting, 1, memory_order_relaxed);
    return got;
}

/* Records how the spin that just ended went: one that found nothing makes the waiter back off. */
static void s_backoff(pz__idle_t *w, bool ready)
{
    w->spin_fails = ready ? 0 : w->spin_fails + 1;
    w->skips = w->spin_fails < 8 ? (1u << w->spin_fails) - 1 : 255;
}

bool pz__idle_spin(pz__idle_t *w)
{
    assert(w != NULL);
    uint64_t now = pz__mono_ns();
    if (w->idle_ns == 0) {
        w->idle_ns = now; /* work ran out: the idle period, and the window, start here */
    }
    if (w->skips > 0 && w->idle_ns == now) { /* backing off after spins in vain */
        w->skips--;
        return false;
    }
    if (!pz__idle_may_spin(w, now)) {
        return false;
    }
    if (!pz__idle_claim()) {
        int got = s_await_slot(w, now);
        if (got != S_CLAIMED) {
            if (got == S_NOTHING) {
                s_count(&s_m_full);
            }
            s_backoff(w, got == S_RUNG);
            return got == S_RUNG;
        }
        s_count(&s_m_handed);
        now = pz__mono_ns();
    }
    s_count(&s_m_spins);
    bool ready = s_spin_loop(w, now);
    if (ready) {
        s_count(&s_m_wins);
    }
    s_backoff(w, ready);
    pz__idle_release();
    return ready;
}
