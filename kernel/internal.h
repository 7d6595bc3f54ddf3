/*
 * internal.h — the kernel's private structures. Nothing outside kernel/ includes this.
 *
 * One process runs one kernel (a process-wide singleton: the HLC, the actor table and mailslots
 * are process-wide by nature). The kernel owns:
 *   - a ZeroMQ context;
 *   - kernel threads, each with one inbox (a PULL socket at inproc://pz/t<N>; thread 0's also
 *     binds the node's tcp endpoint) for messages from other threads and processes, dispatched
 *     by the envelope's `to`. A thread sleeps in a blocking receive on that one socket: a
 *     zmq_poll over many sockets costs syscalls per socket on every call;
 *   - actors: one per configured module instance, each pinned to one kernel thread, with its
 *     own outbound PUSH sockets and one local inbox per sender on the same kernel thread,
 *     inproc://pz/<name>.from.<sender>: never waited on, and received from exactly as many
 *     times as messages were sent to it (pending), never when empty. One per sender because a
 *     socket with several senders reads their pipes round-robin and would try an empty one;
 *     (ZeroMQ puts a pipe to sleep when a receive finds it empty, and the next send on it then
 *     pays an eventfd activation: a write, a poll and a read, each a costly syscall on these VMs.
 *     Same-thread hops that never find a pipe empty never pay it: ~0.2 us instead of ~10 us.)
 *   - timers per thread, and a STOP message (type PZ__MSG_STOP, empty `to`) to end a thread.
 */
#ifndef PZ_KERNEL_INTERNAL_H
#define PZ_KERNEL_INTERNAL_H

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>

#include "phantomzero/kernel.h"
#include "phantomzero/module.h"

typedef struct pz__thread pz__thread_t;

/* A doorbell: messages sent in-process to one inbox (idle.c). */
typedef atomic_uint_fast64_t pz__bell_t;

/* One waiting thread's idle state (idle.c): its doorbell and its recent rhythm. */
typedef struct {
    pz__bell_t *bell;    /* rung by in-process senders to this waiter's inbox; NULL: none */
    uint64_t taken;      /* messages received from the inbox, compared with *bell */
    uint64_t seen;       /* *bell as the last spin read it */
    uint64_t idle_ns;    /* when the current idle period began; 0 while working */
    uint64_t work_ns;    /* when the waiter last received a message */
    uint64_t wait_ns;    /* how long its previous idle period lasted */
    uint32_t spin_fails; /* spins in a row that ended without a message */
    uint32_t skips;      /* idle periods left to sleep through at once (back-off) */
    bool probe;          /* messages also come without a bell (tcp): receive every probe period */
    bool expecting;      /* the waiter knows a reply is on its way (a split-phase client): the
                          * rules about its recent rhythm do not apply, only the window, the
                          * calls in flight and the spinner slots */
} pz__idle_t;

/* An outbound connection: endpoint -> PUSH socket, least recently used closed first. */
typedef struct {
    char endpoint[PZ_ADDR_BYTES_MAX];
    void *sock;
    uint64_t used_tick;
} pz__peer_t;

/* A local inbox: messages from one actor on the same kernel thread. */
typedef struct {
    const pz_actor_t *from;
    void *sock;       /* PULL at inproc://pz/<name>.from.<sender> */
    uint32_t pending; /* sent and not yet received: the inbox is never read when empty */
} pz__local_t;

/* A resolved destination, cached so a send does no string formatting or table walks: the
 * socket to use, the envelope's `to` and `from`, and the same-thread actor whose
 * local inbox counts the message (NULL for other threads and processes). */
#define PZ__ROUTES_MAX 32
typedef struct {
    char addr[PZ_ADDR_BYTES_MAX]; /* as the caller gave it; "" marks a free slot */
    void *sock;
    pz_actor_t *local_dest;
    uint32_t local_slot; /* index into local_dest->locals */
    pz__bell_t *bell;    /* the receiving inbox's doorbell, NULL if none */
    char to[PZ_NAME_BYTES_MAX];
    char from[PZ_ADDR_BYTES_MAX];
} pz__route_t;

/* A request awaiting its reply. Open addressing keyed by corr; corr 0 marks an empty slot. */
typedef struct {
    uint64_t corr;
    int64_t timer;
    void *ctx;
} pz__pending_t;

struct pz_actor {
    char name[PZ_NAME_BYTES_MAX];
    char module[PZ_NAME_BYTES_MAX];
    const pz_module_desc_t *desc;
    zconfig_t *cfg; /* the actor's section in the config tree */
    void *state;
    bool inited;
    int thread_index;
    pz__thread_t *thread;
    pz__local_t *locals; /* inboxes for senders on this kernel thread, one per sender */
    uint32_t locals_len;
    pz__peer_t peers[PZ_PEERS_MAX];
    uint32_t peers_len;
    pz__route_t routes[PZ__ROUTES_MAX];
    uint32_t route_next; /* round-robin replacement */
    uint64_t peer_tick;
    pz__pending_t *pending; /* capacity pending_cap (power of two) */
    uint32_t pending_cap;
    uint32_t pending_len;
    uint64_t next_corr;
    uint64_t rng;
    void *reply_ctx; /* pz_reply_ctx during a reply's on_message */
    pz_metric_t *m_handled;
    pz_metric_t *m_handle_us;
};

/* Timers: a binary min-heap of slot indices per thread; slots carry a generation so a stale
 * handle cannot cancel a reused slot, and their heap position so a cancel removes them at once
 * (every request arms a timeout that is almost always cancelled: left in the heap, they would
 * pile up to rate x timeout entries). */
enum { PZ__TIMER_USER = 1, PZ__TIMER_TIMEOUT = 2 };
typedef struct {
    uint64_t due_ms;
    uint64_t seq; /* FIFO among equal due times */
    pz_actor_t *actor;
    uint64_t arg; /* user timer id, or the corr of a timed-out request */
    uint32_t gen;
    uint32_t heap_pos;
    uint8_t kind;
    bool live;
} pz__timer_t;

struct pz__thread {
    int index;
    pthread_t tid;
    pz_actor_t **actors;
    int actors_len;
    void *inbox;     /* PULL at inproc://pz/t<index> (+ the node's tcp endpoint on thread 0) */
    int rcvtimeo_ms; /* the inbox's ZMQ_RCVTIMEO as last set */
    void *fwd[PZ_THREADS_MAX]; /* thread 0: PUSH to other threads' inboxes, for tcp arrivals */
    pz__timer_t *timers;
    uint32_t timers_cap;
    uint32_t *heap;
    uint32_t heap_len;
    uint32_t *free_slots;
    uint32_t free_len;
    uint64_t timer_seq;
    int init_rc;     /* result of this thread's actor inits */
    pz__idle_t idle; /* spin-then-sleep state of the thread inbox */
};

typedef struct pz__kernel {
    void *zctx;
    zconfig_t *config;
    char config_file[512];
    char store_dir[1024];
    char module_dir[1024];
    /* tcp endpoint of this process, "" if none; short enough that "name@listen" fits an address */
    char listen[PZ_ADDR_BYTES_MAX - PZ_NAME_BYTES_MAX];
    pz_actor_t *actors[PZ_ACTORS_MAX];
    int actors_len;
    pz__thread_t threads[PZ_THREADS_MAX];
    int threads_len;
    atomic_bool running;
    pthread_mutex_t ready_mu;
    pthread_cond_t ready_cv;
    int ready_count;
    uint64_t seed;
    uint64_t max_offset_ns;
    pz_metric_t *m_malformed;
    pz_metric_t *m_unknown;
    pz_metric_t *m_expired;
    pz_metric_t *m_late_replies;
    pz_metric_t *m_busy;
    pz_metric_t *m_gw_forwarded;
    pz_metric_t *m_gw_unroutable;
} pz__kernel_t;

/* The process's kernel, or NULL when none runs (a CLI client process). */
extern pz__kernel_t *pz__k;

/* config.c */
int pz__config_load_file(const char *path, zconfig_t **out);
int pz__config_load_str(const char *text, const char *name, zconfig_t **out);
int pz__config_set(zconfig_t *root, const char *assignment);
int pz__config_validate(zconfig_t *root, const char *file);

/* loader.c */
const pz_module_desc_t *pz__module_load(const char *module_dir, const char *module);

/* timers.c */
int pz__timers_init(pz__thread_t *t);
void pz__timers_free(pz__thread_t *t);
int64_t pz__timer_add(pz__thread_t *t, pz_actor_t *a, uint32_t delay_ms, uint8_t kind,
                      uint64_t arg);
void pz__timer_cancel(pz__thread_t *t, int64_t handle);
/* Milliseconds until the next timer (-1: none). */
long pz__timers_next_ms(pz__thread_t *t);
/* Pops one due timer into *out; false when none is due. */
bool pz__timers_pop_due(pz__thread_t *t, pz__timer_t *out);
uint64_t pz__mono_ms(void);
uint64_t pz__real_ns(void);

/* hlc.c */
void pz__hlc_set_max_offset(uint64_t ns);

/* actor.c */
#define PZ__MSG_STOP 999 /* kernel-internal: ends a kernel thread's loop */
void pz__drain_rest(void *sock);
/* Builds a message from a received frame (envelope, then body), which it takes in every case:
 * moved into the message's own allocation, not copied. */
int pz__msg_from_frame(zmq_msg_t *frame, pz_msg_t **out);
/* "name" or "name@endpoint" -> the endpoint to connect to and the name for the envelope. */
int pz__resolve(const char *addr, char *ep, size_t ep_cap, char *name, size_t name_cap);
pz_actor_t *pz__actor_find(const char *name);
void pz__actor_dispatch(pz_actor_t *a, pz_msg_t *m);
void pz__actor_timer_fired(pz_actor_t *a, const pz__timer_t *tm);
void pz__actor_close_sockets(pz_actor_t *a);
/* Sends envelope + body as one frame. Consumes *out on success only: PZ_EBUSY when the
 * receiver's queue is full (with ZMQ_DONTWAIT, or after the socket's send timeout). */
int pz__send_msg(void *sock, const pz_envelope_t *env, pz_out_t **out, int flags);
/* The same with a body that is not a pz_out (a forwarded message's): always copied once. */
int pz__send_view(void *sock, const pz_envelope_t *env, pz_view_t body, int flags);
/* Receives one message (flags: ZMQ_DONTWAIT or 0); PZ_ENOTFOUND when none came, PZ_EPROTO for
 * one that is not a single frame with a good envelope (counted by the caller). */
int pz__recv_msg(void *sock, int flags, pz_msg_t **out);

/* idle.c — spin briefly before a blocking receive. Settings are process-wide (set at kernel
 * start); a waiter belongs to one thread. */
void pz__idle_configure(uint32_t spin_us, int spinners_max, int calls_max);
/* How long a thread that finds every spinner slot taken waits for one (default
 * PZ_IDLE_HANDOFF_US; at most a second); tests widen it so that a hand-off does not depend on
 * how soon the scheduler runs the thread that frees the slot. */
void pz__idle_set_handoff_us(uint32_t us);
uint64_t pz__mono_ns(void);
/* The doorbell of an in-process inbox endpoint (thread or client inbox), NULL for others. Bells
 * are static: the pointer stays valid for the life of the process. */
pz__bell_t *pz__idle_bell(const char *endpoint);
/* Rings a bell (NULL: nothing), after a successful send to its inbox. */
void pz__idle_ring(pz__bell_t *bell);
void pz__idle_init(pz__idle_t *w, pz__bell_t *bell, bool probe);
/* The waiter received a message from its inbox, by any path. */
void pz__idle_took(pz__idle_t *w, uint64_t now_ns);
/* A receive after pz__idle_spin returned true found nothing: the bell's count is caught up. */
void pz__idle_missed(pz__idle_t *w);
/* Client calls in flight: +1 when one starts, -1 when it ends. */
void pz__idle_calls_add(int delta);
/* Whether w may spin at now_ns (pure: the window, its rhythm, calls in flight; no claim). */
bool pz__idle_may_spin(const pz__idle_t *w, uint64_t now_ns);
/* Takes one of the process's spinner slots; false when all are taken. */
bool pz__idle_claim(void);
void pz__idle_release(void);
int pz__idle_spinners(void);
/* Threads polling for a slot right now (the hand-off); for tests. */
int pz__idle_awaiting(void);
/* Marks the start of an idle period and spins while allowed: true when the bell counts a message
 * not yet taken (or a probe is due) — receive without blocking; false — block. */
bool pz__idle_spin(pz__idle_t *w);

/* runtime.c */
int pz__kernel_start(zconfig_t *config, const char *config_file);
void pz__kernel_stop(void);
void pz__thread_inbox_endpoint(int thread, char *buf, size_t cap);

#endif
