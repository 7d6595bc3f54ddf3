/*
 * sql_sched.c — SQL sessions as tasks with their own stacks, on a few worker threads.
 *
 * Why not a thread per session (as before): every point select then cost its session thread two
 * sleeps and two wake-ups — one waiting for the client's next query, one waiting for the KV
 * reply — and each blocking ZeroMQ receive ten syscalls around them (libzmq's getpid checks,
 * eventfd reads, zero-timeout polls). On these VMs a syscall costs ~1.1 µs and a wake-up several
 * more on both sides; at 16 clients the sessions' waiting cost more CPU than the query
 * (docs/benchmarks.md, issue 3). Here a worker runs every session that is ready, sends their KV
 * batches on one client, and takes the replies by its doorbell without a syscall while it is
 * busy: under load a worker sleeps rarely, and the kernel thread's replies wake nobody. Sessions
 * stay straight-line code (what CockroachDB gets from goroutines): a task that must wait parks,
 * and its worker runs another.
 *
 * Why written here: the stack switch. glibc's swapcontext makes a sigprocmask syscall on every
 * switch (two per KV call), Debian's libpcl switches with it too, and boost.context is C++. On
 * x86-64 the switch below saves the callee-saved registers and the SSE/x87 control words (the
 * System V ABI's preserved state) and swaps stack pointers; other machines use ucontext. Under
 * AddressSanitizer every switch is announced (__sanitizer_*_switch_fiber).
 *
 * Rules: a task runs until it waits (socket, KV reply, sleep, a contended pz_task_lock) or has
 * run S_SLICE_NS without waiting, when the executor's periodic check yields
 * (pz_task_check_yield). Tasks stay on the worker that started them, so thread-local state of
 * the worker is stable while one runs — but is shared by all its tasks: state that must survive a
 * wait belongs in pz_task_local. A worker's loop: run every ready task, take the KV replies its
 * doorbell counts, wake tasks whose deadline passed, collect socket readiness (epoll, edge-
 * triggered, registered once per task), and only when nothing is ready spin briefly for
 * outstanding KV replies (idle.c's rules) and then sleep in epoll_wait.
 */
#include "sql_sched.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "phantomzero/limits.h"
#include "sql_limits.h"

#if defined(__SANITIZE_ADDRESS__)
#define S_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_ASAN 1
#endif
#endif
#ifdef S_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

/* How long a task may run before the executor's check hands the worker to the others. */
#define S_SLICE_NS (2u * 1000u * 1000u)
/* The longest a worker sleeps without looking at deadlines and the stop flag. */
#define S_SLEEP_MAX_MS 100
/* Guard pages below each task stack: an overflow faults instead of writing into a neighbour. */
#define S_GUARD_BYTES (64u * 1024u)
/* Epoll events taken per wait. */
#define S_EVENTS_MAX 64
/* How long a task waits before sending again into a full mailbox (PZ_EBUSY). */
#define S_SEND_RETRY_US 200u
/* A busy worker looks for socket events at least this often between rounds of ready tasks. */
#define S_POLL_GAP_NS (20u * 1000u)
/* What a task's socket is registered for: input, edge-triggered (each arrival is one event).
 * EPOLLOUT is added only while a task waits to write: a socket is writable nearly always, and
 * every ACK would otherwise be an event that wakes the worker for nothing. */
#define S_EVENTS_IN (EPOLLIN | EPOLLRDHUP | EPOLLET)

typedef enum {
    S_READY,
    S_RUNNING,
    S_WAIT_FD,
    S_WAIT_KV,
    S_SLEEP,
    S_DETACHED, /* running on a helper thread (pz_task_detach) */
    S_DONE
} s_state_t;
typedef enum { S_WOKE_EVENT = 1, S_WOKE_TIMEOUT } s_woke_t;

typedef struct s_worker s_worker_t;

/* A saved execution context: a stack pointer (x86-64, pz__sql_ctx_switch) or a ucontext. */
typedef struct {
#if defined(__x86_64__)
    void *sp;
#else
    ucontext_t uc;
#endif
} s_ctx_t;

/* A thread's own context that tasks run from and return to: a worker's loop, or a helper
 * running a detached task (pz_task_detach). */
typedef struct {
    s_ctx_t ctx;
#ifdef S_ASAN
    void *fake_stack;
    const void *stack_lo;
    size_t stack_len;
#endif
} s_host_t;

typedef struct {
    void *v[PZ_TASK_LOCALS_MAX];
    void (*dtor[PZ_TASK_LOCALS_MAX])(void *);
} s_locals_t;

typedef struct s_task {
    s_ctx_t ctx;  /* saved while not running */
    uint8_t *map; /* guard + stack */
    size_t map_len;
    pz_task_fn fn, done;
    void *arg;
    s_worker_t *w;
    s_host_t *host; /* where it returns when it waits: its worker's, or a helper's */
    int fd;         /* registered with the worker's epoll; -1 none */
    uint32_t reg;   /* the events fd is registered for (EPOLLOUT only while waiting for it) */
    uint32_t io;    /* epoll events seen since the task last consumed them */
    uint32_t want;  /* while S_WAIT_FD: the events it waits for */
    s_state_t state;
    s_woke_t woke;
    uint64_t deadline_ns; /* of the current wait; 0 none */
    uint64_t run_ns;      /* when it was last switched in */
    uint64_t corr;        /* while S_WAIT_KV */
    pz_msg_t *reply;
    struct s_task *next;                /* run queue / incoming / returned / helper queue */
    struct s_task *prev_all, *next_all; /* the worker's tasks (admitted, alive) */
    s_locals_t locals;
#ifdef S_ASAN
    void *fake_stack;
#endif
} s_task_t;

struct s_worker {
    pz_sched_t *sched;
    pthread_t thread;
    bool started;
    int ep, efd;
    pz_client_t *kv;
    int kv_waiting; /* tasks parked for a KV reply */
    pthread_mutex_t mu;
    s_task_t *incoming; /* spawned, not yet admitted (under mu) */
    atomic_int n_tasks; /* admitted + incoming, for placement */
    s_task_t *all;      /* admitted and alive, linked by next_all/prev_all */
    s_task_t *returned; /* detached tasks back from a helper (under mu) */
    s_task_t *rq_head, *rq_tail;
    uint64_t next_deadline; /* no parked task's deadline is earlier; UINT64_MAX none */
    uint64_t polled_ns;     /* when epoll_wait last returned */
    s_host_t host;
};

struct pz_sched {
    size_t stack_bytes;
    atomic_bool stop;
    int n_workers;
    s_worker_t *workers;
    /* Helpers: threads that run detached tasks, started on demand, kept until stop. */
    pthread_mutex_t hmu;
    pthread_cond_t hcv;
    s_task_t *hq_head, *hq_tail; /* detached, waiting for a helper */
    int n_helpers, h_idle;
    pthread_t helpers[PZ_SCHED_HELPERS_MAX];
};

static _Thread_local s_task_t *s_cur; /* the task running on this thread, NULL otherwise */

/* Tags for the epoll entries that are not tasks. */
static char s_tag_wake, s_tag_kv;

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the stack switch --------------------------------------------------------------------- */

#if defined(__x86_64__)
/* pz__sql_ctx_switch(save, load): pushes the callee-saved registers and the MXCSR/x87 control
 * words, stores rsp in *save, loads `load` and pops the same frame. A new task's first frame
 * (s_ctx_init) "returns" into the trampoline, which calls pz__sql_task_entry(rbx = task). */
__asm__(".text\n"
        ".p2align 4\n"
        ".globl pz__sql_ctx_switch\n"
        ".hidden pz__sql_ctx_switch\n"
        ".type pz__sql_ctx_switch,@function\n"
        "pz__sql_ctx_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $8, %rsp\n"
        "    stmxcsr (%rsp)\n"
        "    fnstcw 4(%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    ldmxcsr (%rsp)\n"
        "    fldcw 4(%rsp)\n"
        "    addq $8, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size pz__sql_ctx_switch, .-pz__sql_ctx_switch\n"
        ".p2align 4\n"
        ".globl pz__sql_task_tramp\n"
        ".hidden pz__sql_task_tramp\n"
        ".type pz__sql_task_tramp,@function\n"
        "pz__sql_task_tramp:\n"
        "    .cfi_startproc\n"
        "    .cfi_undefined rip\n"
        "    movq %rbx, %rdi\n"
        "    call pz__sql_task_entry\n"
        "    ud2\n"
        "    .cfi_endproc\n"
        ".size pz__sql_task_tramp, .-pz__sql_task_tramp\n");

void pz__sql_ctx_switch(void **save, void *load);
void pz__sql_task_tramp(void);
#endif

void pz__sql_task_entry(s_task_t *t) __attribute__((used, noreturn));

static void s_ctx_init(s_task_t *t)
{
#if defined(__x86_64__)
    uintptr_t top = ((uintptr_t)t->map + t->map_len) & ~(uintptr_t)15;
    uint64_t *p = (uint64_t *)(top - 8); /* after the ret, rsp = top: 16-aligned at the call */
    p[0] = (uint64_t)(uintptr_t)pz__sql_task_tramp;
    p[-1] = 0;                         /* rbp */
    p[-2] = (uint64_t)(uintptr_t)t;    /* rbx */
    p[-3] = p[-4] = p[-5] = p[-6] = 0; /* r12..r15 */
    uint32_t *cw = (uint32_t *)(p - 7);
    cw[0] = 0x1f80; /* MXCSR: all exceptions masked, round to nearest */
    cw[1] = 0x037f; /* x87 control word, the same defaults */
    t->ctx.sp = p - 7;
#else
    getcontext(&t->ctx.uc);
    t->ctx.uc.uc_stack.ss_sp = t->map + S_GUARD_BYTES;
    t->ctx.uc.uc_stack.ss_size = t->map_len - S_GUARD_BYTES;
    t->ctx.uc.uc_link = NULL;
    makecontext(&t->ctx.uc, (void (*)(void))pz__sql_task_entry, 1, t);
#endif
}

/* Saves the running context in *save and resumes *load. */
static void s_swap(s_ctx_t *save, s_ctx_t *load)
{
#if defined(__x86_64__)
    pz__sql_ctx_switch(&save->sp, load->sp);
#else
    swapcontext(&save->uc, &load->uc);
#endif
}

/* From host h (a worker's loop or a helper) to task t. Returns when t waits, yields, detaches
 * or ends. */
static void s_switch_in(s_host_t *h, s_task_t *t)
{
    s_cur = t;
    t->host = h;
    t->run_ns = s_now_ns();
#ifdef S_ASAN
    __sanitizer_start_switch_fiber(&h->fake_stack, t->map + S_GUARD_BYTES,
                                   t->map_len - S_GUARD_BYTES);
#endif
    s_swap(&h->ctx, &t->ctx);
#ifdef S_ASAN
    __sanitizer_finish_switch_fiber(h->fake_stack, NULL, NULL);
#endif
    s_cur = NULL;
}

/* Task t back to its host; `ending`: it never comes back. */
static void s_switch_out(s_task_t *t, bool ending)
{
    s_host_t *h = t->host;
#ifdef S_ASAN
    __sanitizer_start_switch_fiber(ending ? NULL : &t->fake_stack, h->stack_lo, h->stack_len);
#else
    (void)ending;
#endif
    s_swap(&t->ctx, &h->ctx);
#ifdef S_ASAN
    /* Resumed, perhaps by another host (a helper, or the worker after one): its stack. */
    __sanitizer_finish_switch_fiber(t->fake_stack, &t->host->stack_lo, &t->host->stack_len);
#endif
}

void pz__sql_task_entry(s_task_t *t)
{
#ifdef S_ASAN
    __sanitizer_finish_switch_fiber(NULL, &t->host->stack_lo, &t->host->stack_len);
#endif
    t->fn(t->arg);
    pz_task_attach(); /* a task ends on its worker, which frees it */
    t->state = S_DONE;
    s_switch_out(t, true);
    abort(); /* a finished task is never switched to */
}

/* ---- task-local pointers ------------------------------------------------------------------ */

static pthread_key_t s_locals_key;
static pthread_once_t s_locals_once = PTHREAD_ONCE_INIT;

static void s_locals_clear(s_locals_t *l)
{
    for (int i = 0; i < PZ_TASK_LOCALS_MAX; i++) {
        if (l->v[i] != NULL && l->dtor[i] != NULL) {
            l->dtor[i](l->v[i]);
        }
        l->v[i] = NULL;
        l->dtor[i] = NULL;
    }
}

static void s_locals_free(void *p)
{
    s_locals_clear(p);
    free(p);
}

static void s_locals_init(void)
{
    pthread_key_create(&s_locals_key, s_locals_free);
}

static s_locals_t *s_locals(bool create)
{
    if (s_cur != NULL) {
        return &s_cur->locals;
    }
    pthread_once(&s_locals_once, s_locals_init);
    s_locals_t *l = pthread_getspecific(s_locals_key);
    if (l == NULL && create && (l = calloc(1, sizeof *l)) != NULL) {
        pthread_setspecific(s_locals_key, l);
    }
    return l;
}

void *pz_task_local(int key)
{
    assert(key >= 0 && key < PZ_TASK_LOCALS_MAX);
    s_locals_t *l = s_locals(false);
    return l ? l->v[key] : NULL;
}

void pz_task_local_set(int key, void *v, void (*dtor)(void *))
{
    assert(key >= 0 && key < PZ_TASK_LOCALS_MAX);
    s_locals_t *l = s_locals(true);
    if (l == NULL) {
        if (v != NULL && dtor != NULL) {
            dtor(v); /* nowhere to keep it: as if replaced at once */
        }
        return;
    }
    if (l->v[key] != NULL && l->v[key] != v && l->dtor[key] != NULL) {
        l->dtor[key](l->v[key]);
    }
    l->v[key] = v;
    l->dtor[key] = dtor;
}

/* ---- the worker --------------------------------------------------------------------------- */

static void s_ready(s_worker_t *w, s_task_t *t, s_woke_t why)
{
    if (t->state == S_WAIT_KV) {
        w->kv_waiting--;
    }
    t->state = S_READY;
    t->woke = why;
    t->next = NULL;
    if (w->rq_tail) {
        w->rq_tail->next = t;
    } else {
        w->rq_head = t;
    }
    w->rq_tail = t;
}

/* Parks the running task until s_ready; returns why it woke. */
static s_woke_t s_park(s_task_t *t, s_state_t state, uint64_t deadline_ns)
{
    s_worker_t *w = t->w;
    t->state = state;
    t->deadline_ns = deadline_ns;
    if (deadline_ns != 0 && deadline_ns < w->next_deadline) {
        w->next_deadline = deadline_ns;
    }
    s_switch_out(t, false);
    return t->woke;
}

static void s_free_task(s_task_t *t)
{
    if (t->map != NULL) {
        munmap(t->map, t->map_len);
    }
    free(t);
}

/* Spawned tasks join the worker: fd registered, first frame built, queued to run. */
static void s_admit(s_worker_t *w)
{
    pthread_mutex_lock(&w->mu);
    s_task_t *list = w->incoming, *back = w->returned;
    w->incoming = w->returned = NULL;
    pthread_mutex_unlock(&w->mu);
    while (back != NULL) { /* detached tasks done with their long computation */
        s_task_t *t = back;
        back = t->next;
        s_ready(w, t, S_WOKE_EVENT);
    }
    while (list != NULL) {
        s_task_t *t = list;
        list = t->next;
        t->prev_all = NULL;
        t->next_all = w->all;
        if (w->all != NULL) {
            w->all->prev_all = t;
        }
        w->all = t;
        if (t->fd >= 0) {
            t->reg = S_EVENTS_IN;
            struct epoll_event ev = {.events = t->reg, .data.ptr = t};
            if (epoll_ctl(w->ep, EPOLL_CTL_ADD, t->fd, &ev) != 0) {
                t->io = EPOLLERR; /* the session's next read reports what is wrong */
            }
        }
        s_ctx_init(t);
        t->state = S_SLEEP; /* s_ready's precondition: not running, not queued */
        s_ready(w, t, S_WOKE_EVENT);
    }
}

/* A task ended: let go of its descriptor, free it, tell its owner. */
static void s_end(s_worker_t *w, s_task_t *t)
{
    if (t->fd >= 0) {
        epoll_ctl(w->ep, EPOLL_CTL_DEL, t->fd, NULL);
    }
    if (t->prev_all != NULL) {
        t->prev_all->next_all = t->next_all;
    } else {
        w->all = t->next_all;
    }
    if (t->next_all != NULL) {
        t->next_all->prev_all = t->prev_all;
    }
    s_locals_clear(&t->locals);
    pz_msg_free(&t->reply);
    pz_task_fn done = t->done;
    void *arg = t->arg;
    s_free_task(t);
    atomic_fetch_sub(&w->n_tasks, 1);
    if (done != NULL) {
        done(arg);
    }
}

/* ---- helpers: detached tasks --------------------------------------------------------------- */

static void s_wake(s_worker_t *w);

static void *s_helper_main(void *arg)
{
    pz_sched_t *s = arg;
    s_host_t host;
    memset(&host, 0, sizeof host);
    pthread_mutex_lock(&s->hmu);
    for (;;) {
        while (s->hq_head == NULL && !atomic_load(&s->stop)) {
            s->h_idle++;
            pthread_cond_wait(&s->hcv, &s->hmu);
            s->h_idle--;
        }
        s_task_t *t = s->hq_head;
        if (t == NULL) {
            break; /* stopping, and nothing queued */
        }
        s->hq_head = t->next;
        if (s->hq_head == NULL) {
            s->hq_tail = NULL;
        }
        pthread_mutex_unlock(&s->hmu);
        s_switch_in(&host, t); /* until pz_task_attach (or a wait that attaches) */
        s_worker_t *w = t->w;
        pthread_mutex_lock(&w->mu);
        t->next = w->returned;
        w->returned = t;
        pthread_mutex_unlock(&w->mu);
        s_wake(w);
        pthread_mutex_lock(&s->hmu);
    }
    pthread_mutex_unlock(&s->hmu);
    return NULL;
}

/* A task detached on its worker: queue it for a helper, starting one if none is idle. Without
 * any helper (none could start) it goes back to its worker's run queue, not detached. */
static void s_helper_take(s_task_t *t)
{
    pz_sched_t *s = t->w->sched;
    pthread_mutex_lock(&s->hmu);
    t->next = NULL;
    if (s->hq_tail) {
        s->hq_tail->next = t;
    } else {
        s->hq_head = t;
    }
    s->hq_tail = t;
    if (s->h_idle == 0 && s->n_helpers < PZ_SCHED_HELPERS_MAX &&
        pthread_create(&s->helpers[s->n_helpers], NULL, s_helper_main, s) == 0) {
        s->n_helpers++;
    }
    bool none = s->n_helpers == 0;
    if (none) {
        s->hq_head = s->hq_tail = NULL;
    } else {
        pthread_cond_signal(&s->hcv);
    }
    pthread_mutex_unlock(&s->hmu);
    if (none) {
        t->state = S_SLEEP; /* s_ready's precondition */
        s_ready(t->w, t, S_WOKE_EVENT);
    }
}

/* Runs each task ready now once; tasks readied meanwhile wait for the next round. */
static void s_run_ready(s_worker_t *w)
{
    s_task_t *t = w->rq_head;
    w->rq_head = w->rq_tail = NULL;
    while (t != NULL) {
        s_task_t *next = t->next;
        t->state = S_RUNNING;
        s_switch_in(&w->host, t);
        if (t->state == S_DONE) {
            s_end(w, t);
        } else if (t->state == S_DETACHED) {
            s_helper_take(t);
        }
        t = next;
    }
}

/* KV replies to their tasks. probe: really receive until the inbox is empty (arms the client's
 * descriptor for the next reply); else only what the doorbell counts (no syscall when it counts
 * nothing). */
static void s_take_replies(s_worker_t *w, bool probe)
{
    while (w->kv != NULL) {
        pz_msg_t *m = NULL;
        int rc = pz_client_take(w->kv, probe, &m);
        if (rc == PZ_ENOTFOUND || rc == PZ_EUNAVAILABLE) {
            return;
        }
        if (rc != 0 || m == NULL) {
            continue; /* malformed bytes: nobody to give them to */
        }
        uint64_t corr = pz_msg_corr(m);
        s_task_t *t = w->all;
        while (t != NULL && !(t->state == S_WAIT_KV && t->corr == corr)) {
            t = t->next_all;
        }
        if (t == NULL) {
            pz_msg_free(&m); /* its caller timed out */
            continue;
        }
        t->reply = m;
        s_ready(w, t, S_WOKE_EVENT);
    }
}

/* Wakes the tasks whose deadline has passed. */
static void s_expire(s_worker_t *w, uint64_t now)
{
    if (now < w->next_deadline) {
        return;
    }
    uint64_t next = UINT64_MAX;
    for (s_task_t *t = w->all; t != NULL; t = t->next_all) {
        bool parked = t->state == S_WAIT_FD || t->state == S_WAIT_KV || t->state == S_SLEEP;
        if (!parked || t->deadline_ns == 0) {
            continue;
        }
        if (t->deadline_ns <= now) {
            s_ready(w, t, S_WOKE_TIMEOUT);
        } else if (t->deadline_ns < next) {
            next = t->deadline_ns;
        }
    }
    w->next_deadline = next;
}

static void s_poll(s_worker_t *w, int timeout_ms)
{
    struct epoll_event evs[S_EVENTS_MAX];
    int n = epoll_wait(w->ep, evs, S_EVENTS_MAX, timeout_ms);
    w->polled_ns = s_now_ns();
    for (int i = 0; i < n; i++) {
        void *p = evs[i].data.ptr;
        if (p == &s_tag_wake) {
            uint64_t v;
            ssize_t r = read(w->efd, &v, sizeof v);
            (void)r;
        } else if (p == &s_tag_kv) {
            s_take_replies(w, true);
        } else {
            s_task_t *t = p;
            t->io |= evs[i].events;
            uint32_t hit = t->io & (t->want | EPOLLERR | EPOLLHUP);
            if (t->state == S_WAIT_FD && hit != 0) {
                s_ready(w, t, S_WOKE_EVENT);
            }
        }
    }
}

static int s_sleep_ms(const s_worker_t *w, uint64_t now)
{
    if (w->next_deadline == UINT64_MAX) {
        return S_SLEEP_MAX_MS;
    }
    if (w->next_deadline <= now) {
        return 0;
    }
    uint64_t ms = (w->next_deadline - now + 999999u) / 1000000u;
    return ms < S_SLEEP_MAX_MS ? (int)ms : S_SLEEP_MAX_MS;
}

static void *s_worker_main(void *arg)
{
    s_worker_t *w = arg;
    pz_sched_t *s = w->sched;
    for (;;) {
        s_admit(w);
        s_run_ready(w);
        s_take_replies(w, false);
        uint64_t now = s_now_ns();
        s_expire(w, now);
        if (w->rq_head != NULL) {
            if (now - w->polled_ns >= S_POLL_GAP_NS) {
                s_poll(w, 0); /* sockets that became ready meanwhile join the next round */
            }
            continue;
        }
        if (atomic_load(&s->stop) && atomic_load(&w->n_tasks) == 0) {
            break;
        }
        /* Nothing ready: spin a moment for a reply already on its way, then sleep — after a
         * receive that finds the inbox empty, so that its descriptor wakes us for the next
         * reply (not needed while no task waits for one: a late reply can wait). */
        if (w->kv_waiting > 0) {
            if (pz_client_spin(w->kv)) {
                continue;
            }
            s_take_replies(w, true);
            if (w->rq_head != NULL) {
                continue;
            }
        }
        s_poll(w, s_sleep_ms(w, now));
    }
    return NULL;
}

/* ---- the pool ----------------------------------------------------------------------------- */

static void s_worker_close(s_worker_t *w)
{
    pz_client_destroy(&w->kv);
    if (w->ep >= 0) {
        close(w->ep);
    }
    if (w->efd >= 0) {
        close(w->efd);
    }
    pthread_mutex_destroy(&w->mu);
}

static int s_worker_open(pz_sched_t *s, s_worker_t *w)
{
    w->sched = s;
    w->ep = w->efd = -1;
    w->next_deadline = UINT64_MAX;
    pthread_mutex_init(&w->mu, NULL);
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->ep < 0 || w->efd < 0) {
        return PZ_EIO;
    }
    struct epoll_event wake = {.events = EPOLLIN, .data.ptr = &s_tag_wake};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->efd, &wake) != 0) {
        return PZ_EIO;
    }
    w->kv = pz_client_new(NULL);
    if (w->kv == NULL) {
        return 0; /* no kernel in this process (the listener's unit tests): no KV path */
    }
    int kv_fd = pz_client_fd(w->kv);
    struct epoll_event kv = {.events = EPOLLIN, .data.ptr = &s_tag_kv};
    return kv_fd >= 0 && epoll_ctl(w->ep, EPOLL_CTL_ADD, kv_fd, &kv) == 0 ? 0 : PZ_EIO;
}

static void s_wake(s_worker_t *w)
{
    uint64_t one = 1;
    ssize_t r = write(w->efd, &one, sizeof one);
    (void)r;
}

int pz_sched_start(int workers, size_t stack_bytes, pz_sched_t **out)
{
    assert(workers >= 1 && workers <= PZ_SCHED_WORKERS_MAX && out != NULL);
    pz_sched_t *s = calloc(1, sizeof *s);
    if (s == NULL || (s->workers = calloc((size_t)workers, sizeof *s->workers)) == NULL) {
        free(s);
        return PZ_ENOMEM;
    }
    s->stack_bytes = stack_bytes;
    s->n_workers = workers;
    pthread_mutex_init(&s->hmu, NULL);
    pthread_cond_init(&s->hcv, NULL);
    int rc = 0;
    for (int i = 0; i < workers && rc == 0; i++) {
        s_worker_t *w = &s->workers[i];
        rc = s_worker_open(s, w);
        if (rc == 0) {
            int e = pthread_create(&w->thread, NULL, s_worker_main, w);
            rc = e == 0 ? 0 : PZ_EIO;
            w->started = e == 0;
        }
    }
    if (rc != 0) {
        pz_sched_stop(&s);
        return rc;
    }
    *out = s;
    return 0;
}

int pz_sched_spawn(pz_sched_t *s, pz_task_fn fn, void *arg, int fd, pz_task_fn done)
{
    assert(s != NULL && fn != NULL);
    s_task_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return PZ_ENOMEM;
    }
    t->map_len = s->stack_bytes + S_GUARD_BYTES;
    t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (t->map == MAP_FAILED) {
        t->map = NULL;
        s_free_task(t);
        return PZ_ENOMEM;
    }
    mprotect(t->map, S_GUARD_BYTES, PROT_NONE);
    t->fn = fn;
    t->arg = arg;
    t->done = done;
    t->fd = fd;
    s_worker_t *w = &s->workers[0];
    for (int i = 1; i < s->n_workers; i++) {
        if (atomic_load(&s->workers[i].n_tasks) < atomic_load(&w->n_tasks)) {
            w = &s->workers[i];
        }
    }
    t->w = w;
    atomic_fetch_add(&w->n_tasks, 1);
    pthread_mutex_lock(&w->mu);
    t->next = w->incoming;
    w->incoming = t;
    pthread_mutex_unlock(&w->mu);
    s_wake(w);
    return 0;
}

int pz_sched_tasks(pz_sched_t *s)
{
    int n = 0;
    for (int i = 0; s != NULL && i < s->n_workers; i++) {
        n += atomic_load(&s->workers[i].n_tasks);
    }
    return n;
}

void pz_sched_stop(pz_sched_t **ps)
{
    if (ps == NULL || *ps == NULL) {
        return;
    }
    pz_sched_t *s = *ps;
    atomic_store(&s->stop, true);
    for (int i = 0; i < s->n_workers; i++) {
        s_worker_t *w = &s->workers[i];
        if (w->started) {
            s_wake(w);
            pthread_join(w->thread, NULL);
        }
        s_worker_close(w);
    }
    pthread_mutex_lock(&s->hmu);
    pthread_cond_broadcast(&s->hcv);
    pthread_mutex_unlock(&s->hmu);
    for (int i = 0; i < s->n_helpers; i++) {
        pthread_join(s->helpers[i], NULL);
    }
    pthread_cond_destroy(&s->hcv);
    pthread_mutex_destroy(&s->hmu);
    free(s->workers);
    free(s);
    *ps = NULL;
}

/* ---- what tasks call ---------------------------------------------------------------------- */

/* Changes what the task's socket is registered for. */
static void s_register(s_task_t *t, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = t};
    if (epoll_ctl(t->w->ep, EPOLL_CTL_MOD, t->fd, &ev) == 0) {
        t->reg = events;
    } else {
        t->io |= EPOLLERR; /* the session's next syscall reports what is wrong */
    }
}

bool pz_task_in(void)
{
    return s_cur != NULL;
}

/* Whether the running task is detached: its waits block its helper thread instead. */
static bool s_detached(const s_task_t *t)
{
    return t->host != &t->w->host;
}

int pz_task_wait_fd(int fd, short events, int timeout_ms)
{
    s_task_t *t = s_cur;
    if (t == NULL || s_detached(t)) {
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, timeout_ms);
        return n > 0 ? 1 : n == 0 || errno == EINTR ? 0 : -1;
    }
    if (fd != t->fd) {
        errno = EINVAL; /* only the socket given to pz_sched_spawn is watched */
        return -1;
    }
    uint32_t want =
        (events & POLLIN ? EPOLLIN | EPOLLRDHUP : 0) | (events & POLLOUT ? EPOLLOUT : 0);
    uint32_t sticky = EPOLLERR | EPOLLHUP;
    if (t->io & (want | sticky)) {
        t->io &= ~want; /* an edge already seen: the caller's syscall finds out whether it holds */
        return 1;
    }
    if ((want & EPOLLOUT) && !(t->reg & EPOLLOUT)) {
        /* Registering reports the current state: writable now is an event at once. */
        s_register(t, S_EVENTS_IN | EPOLLOUT);
    }
    t->want = want;
    uint64_t deadline = timeout_ms < 0 ? 0 : s_now_ns() + (uint64_t)timeout_ms * 1000000u;
    s_woke_t why = s_park(t, S_WAIT_FD, deadline);
    t->want = 0;
    if (t->reg & EPOLLOUT) {
        s_register(t, S_EVENTS_IN);
        t->io &= ~(uint32_t)EPOLLOUT;
    }
    if (why == S_WOKE_TIMEOUT && !(t->io & (want | sticky))) {
        return 0;
    }
    t->io &= ~want;
    return 1;
}

void pz_task_sleep_us(uint32_t us)
{
    s_task_t *t = s_cur;
    if (t == NULL || s_detached(t)) {
        usleep(us);
        return;
    }
    s_park(t, S_SLEEP, s_now_ns() + (uint64_t)us * 1000u + 1u);
}

int pz_task_call(const char *to, pz_out_t **req, uint32_t timeout_ms, pz_msg_t **reply)
{
    s_task_t *t = s_cur;
    assert(t != NULL && reply != NULL);
    pz_task_attach(); /* the worker's client is the worker's alone */
    s_worker_t *w = t->w;
    if (w->kv == NULL) {
        return PZ_EUNAVAILABLE;
    }
    uint32_t ms = timeout_ms ? timeout_ms : PZ_REQUEST_TIMEOUT_MS_DEFAULT;
    uint64_t deadline = s_now_ns() + (uint64_t)ms * 1000000u, corr = 0;
    int rc;
    /* A full mailbox (the kernel thread is behind): this task backs off, the worker goes on. */
    while ((rc = pz_client_send(w->kv, to, req, ms, &corr)) == PZ_EBUSY) {
        if (s_now_ns() >= deadline) {
            return PZ_ETIMEDOUT;
        }
        pz_task_sleep_us(S_SEND_RETRY_US);
    }
    if (rc != 0) {
        return rc;
    }
    t->corr = corr;
    w->kv_waiting++;
    s_park(t, S_WAIT_KV, deadline);
    t->corr = 0;
    if (t->reply == NULL) {
        return PZ_ETIMEDOUT; /* a reply that comes later finds nobody and is dropped */
    }
    *reply = t->reply;
    t->reply = NULL;
    return 0;
}

void pz_task_check_yield(void)
{
    s_task_t *t = s_cur;
    if (t == NULL || s_detached(t) || s_now_ns() - t->run_ns < S_SLICE_NS) {
        return;
    }
    s_ready(t->w, t, S_WOKE_EVENT);
    s_switch_out(t, false);
}

void pz_task_lock(pthread_mutex_t *mu)
{
    if (s_cur == NULL || s_detached(s_cur)) {
        pthread_mutex_lock(mu);
        return;
    }
    while (pthread_mutex_trylock(mu) != 0) {
        pz_task_sleep_us(200);
    }
}

void pz_task_detach(void)
{
    s_task_t *t = s_cur;
    if (t == NULL || s_detached(t)) {
        return;
    }
    t->state = S_DETACHED;
    s_switch_out(t, false); /* the worker queues it for a helper, which resumes it */
}

void pz_task_attach(void)
{
    s_task_t *t = s_cur;
    if (t == NULL || !s_detached(t)) {
        return;
    }
    s_switch_out(t, false); /* the helper hands it back; its worker resumes it */
}
