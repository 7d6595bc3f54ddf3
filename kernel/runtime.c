/*
 * runtime.c — kernel threads and their event loop.
 *
 * Each kernel thread owns a set of actors (pinned by config) and loops:
 *   1. drain the local inboxes: a message one actor sends to another on the same thread sits in
 *      a per-(receiver, sender) inbox and is received right after the send, exactly as many
 *      times as were sent (never finding it empty: see internal.h), without waking any thread
 *      and without zmq_poll. The actors that talk most share a thread, so a request crossing
 *      five layers costs one wake-up, not five;
 *   2. timers: fire the due ones;
 *   3. spin (idle.c), when the thread has just worked, its previous wait was short and a
 *      spinner slot is free: for at most node/spin_us it watches the inbox's doorbell, an
 *      atomic count that in-process senders bump after each send, and receives without
 *      blocking once it rings. A sleeping thread costs a wake-up (~6-10 us here) to reach; a
 *      spinning one none, and with only rung receives its ZeroMQ pipe never goes to sleep, so
 *      neither side makes a syscall. At most node/spinners threads (cores - 1) spin at once;
 *   4. wait: a blocking receive (with the next timer as timeout) on the thread's one inbox,
 *      where other threads, other processes (thread 0 binds the node's tcp endpoint) and the
 *      kernel's STOP wake-up arrive. A queued message is taken without a syscall; a
 *      message for an actor of another thread (arrived over tcp) is forwarded to its thread.
 *
 * Start-up is synchronous (czmq's actor contract): the main thread waits until every thread has
 * bound its sockets and run its actors' init hooks, and learns whether all succeeded.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

pz__kernel_t *pz__k;

/* ---------------------------------------------------------------------------------------- */
/* The thread inbox: messages from other threads and processes                              */

/* Passes a message for an actor of another kernel thread on to that thread's inbox (thread 0
 * receives everything that comes in over tcp). Takes f. */
static void s_forward(pz__thread_t *t, pz_actor_t *dest, zmq_msg_t *f)
{
    int k = dest->thread_index;
    if (t->fwd[k] == NULL) {
        char ep[PZ_ADDR_BYTES_MAX];
        pz__thread_inbox_endpoint(k, ep, sizeof ep);
        t->fwd[k] = zmq_socket(pz__k->zctx, ZMQ_PUSH);
        int hwm = PZ_MAILBOX_MAX, linger = 0;
        zmq_setsockopt(t->fwd[k], ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(t->fwd[k], ZMQ_LINGER, &linger, sizeof linger);
        zmq_connect(t->fwd[k], ep);
    }
    if (zmq_msg_send(f, t->fwd[k], ZMQ_DONTWAIT) >= 0) {
        pz__idle_ring(pz__k->threads[k].idle.bell);
        pz_metric_add(pz__k->m_gw_forwarded, 1);
    } else {
        pz_metric_add(pz__k->m_busy, 1); /* the sender's request times out */
    }
    zmq_msg_close(f);
}

/* Receives one message from the thread inbox (flags: ZMQ_DONTWAIT or 0 with the socket's
 * receive timeout) and dispatches or forwards it. PZ_ENOTFOUND when none came. */
static int s_inbox_one(pz__thread_t *t, int flags)
{
    zmq_msg_t f;
    zmq_msg_init(&f);
    if (zmq_msg_recv(&f, t->inbox, flags) < 0) {
        zmq_msg_close(&f);
        return PZ_ENOTFOUND;
    }
    pz__idle_took(&t->idle, pz__mono_ns());
    const uint8_t *data = zmq_msg_data(&f);
    size_t len = zmq_msg_size(&f), elen = pz_envelope_len(data, len);
    pz_envelope_t env;
    if (zmq_msg_more(&f) || elen == 0 || elen > len || pz_envelope_decode(data, elen, &env) != 0) {
        pz__drain_rest(t->inbox); /* a message is one frame */
        pz_metric_add(pz__k->m_malformed, 1);
        zmq_msg_close(&f);
        return 0;
    }
    if (env.type == PZ__MSG_STOP && env.to[0] == '\0') {
        /* Only a wake-up: the loop ends because the kernel cleared `running`, never because a
         * message said so (thread 0's inbox also listens on tcp). */
        zmq_msg_close(&f);
        return atomic_load(&pz__k->running) ? 0 : PZ_ECLOSED;
    }
    pz_actor_t *a = pz__actor_find(env.to);
    if (a == NULL) {
        pz_metric_add(pz__k->m_gw_unroutable, 1);
        zmq_msg_close(&f);
    } else if (a->thread != t) {
        s_forward(t, a, &f);
    } else {
        pz_msg_t *m = NULL;
        if (pz__msg_from_frame(&f, &m) == 0) {
            pz__actor_dispatch(a, m);
        } else {
            pz_metric_add(pz__k->m_malformed, 1);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The loop                                                                                  */

/* Receives what local inbox j of actor a holds, up to PZ_DRAIN_PER_ACTOR_MAX messages. */
static int s_drain_local(pz_actor_t *a, uint32_t j)
{
    int handled = 0;
    for (int n = 0; a->locals[j].pending > 0 && n < PZ_DRAIN_PER_ACTOR_MAX; n++) {
        a->locals[j].pending--;
        pz_msg_t *m = NULL;
        int rc = pz__recv_msg(a->locals[j].sock, ZMQ_DONTWAIT, &m);
        if (rc == PZ_ENOTFOUND) { /* a counted message is always there: a bug if not */
            pz_log(a, PZ_LOG_ERROR, "local inbox from %s: %u counted messages missing",
                   a->locals[j].from->name, a->locals[j].pending + 1);
            a->locals[j].pending = 0;
            break;
        }
        handled++;
        if (rc == 0) {
            pz__actor_dispatch(a, m);
        } else {
            pz_metric_add(pz__k->m_malformed, 1);
        }
    }
    return handled;
}

/* One pass over the local inboxes: each is received from exactly `pending` times (never
 * empty, see internal.h). Returns messages handled. The thread inbox is not probed here: a
 * receive that finds it empty costs a syscall; s_wait's blocking receive takes a queued message
 * without one and sleeps only when there is none. */
static int s_drain(pz__thread_t *t)
{
    int handled = 0;
    for (int i = 0; i < t->actors_len; i++) {
        pz_actor_t *a = t->actors[i];
        /* by index: a dispatch may add local inboxes (realloc) to any actor of the thread */
        for (uint32_t j = 0; j < a->locals_len; j++) {
            handled += s_drain_local(a, j);
        }
    }
    return handled;
}

/* Takes the next message from the thread inbox: at once, without a syscall, when one is queued;
 * otherwise sleeps in the receive — one socket, so no zmq_poll pass over many sockets — until
 * one comes or the next timer is due. */
static bool s_wait(pz__thread_t *t, pz_metric_t *waits)
{
    long timeout = pz__timers_next_ms(t);
    int ms = timeout < 0 || timeout > 1000 ? 1000 : (int)timeout; /* re-check running each s */
    if (ms == 0) {
        return true;
    }
    if (ms != t->rcvtimeo_ms) {
        zmq_setsockopt(t->inbox, ZMQ_RCVTIMEO, &ms, sizeof ms);
        t->rcvtimeo_ms = ms;
    }
    pz_metric_add(waits, 1);
    return s_inbox_one(t, 0) != PZ_ECLOSED;
}

/* Spins while the idle strategy allows (idle.c) and receives, without blocking, each message
 * the inbox's doorbell announces. True when one was handled (or the kernel stops): the loop
 * goes on without sleeping; false: block in s_wait. */
static bool s_spin(pz__thread_t *t, bool *stop)
{
    for (uint32_t n = 0; n < PZ_IDLE_SPIN_POLLS_MAX && pz__idle_spin(&t->idle); n++) {
        int rc = s_inbox_one(t, ZMQ_DONTWAIT);
        if (rc != PZ_ENOTFOUND) {
            *stop = rc == PZ_ECLOSED;
            return true;
        }
        pz__idle_missed(&t->idle); /* a probe found nothing, or the bell raced a receive */
    }
    return false;
}

static void s_loop(pz__thread_t *t)
{
    pz_metric_t *waits = pz_metric_counter("pz_kernel_waits_total",
                                           "times a kernel thread waited for messages (may sleep)");
    bool stop = false;
    while (!stop && atomic_load(&pz__k->running)) {
        int busy = s_drain(t);
        pz__timer_t tm;
        for (int n = 0; n < 1024 && pz__timers_pop_due(t, &tm); n++) {
            pz__actor_timer_fired(tm.actor, &tm);
            busy++;
        }
        if (busy == 0 && !stop && !s_spin(t, &stop)) {
            stop = !s_wait(t, waits);
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Thread set-up and tear-down                                                               */

static void *s_bind_pull(const char *ep)
{
    void *s = zmq_socket(pz__k->zctx, ZMQ_PULL);
    int hwm = PZ_MAILBOX_MAX, linger = 0;
    if (s == NULL || zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 || zmq_bind(s, ep) != 0) {
        pz_log(NULL, PZ_LOG_ERROR, "cannot bind %s: %s", ep, zmq_strerror(errno));
        if (s) {
            zmq_close(s);
        }
        return NULL;
    }
    return s;
}

static int s_thread_sockets(pz__thread_t *t)
{
    char ep[PZ_ADDR_BYTES_MAX];
    pz__thread_inbox_endpoint(t->index, ep, sizeof ep);
    t->inbox = s_bind_pull(ep);
    if (t->inbox == NULL) {
        return PZ_EUNAVAILABLE;
    }
    bool tcp = t->index == 0 && pz__k->listen[0];
    pz__idle_init(&t->idle, pz__idle_bell(ep), tcp); /* tcp arrivals ring no bell: probe */
    if (tcp && zmq_bind(t->inbox, pz__k->listen) != 0) {
        pz_log(NULL, PZ_LOG_ERROR, "cannot listen on %s: %s", pz__k->listen, zmq_strerror(errno));
        return PZ_EUNAVAILABLE;
    }
    return 0; /* local inboxes are bound on first use (actor.c) */
}

static int s_init_actors(pz__thread_t *t)
{
    for (int i = 0; i < t->actors_len; i++) {
        pz_actor_t *a = t->actors[i];
        int rc = a->desc->init(a, (const pz_cfg_t *)a->cfg, &a->state);
        a->inited = true;
        if (rc != 0) {
            pz_log(a, PZ_LOG_ERROR, "module %s failed to start: %s", a->module, pz_strerror(rc));
            return rc;
        }
    }
    return 0;
}

static void s_thread_close(pz__thread_t *t)
{
    for (int i = t->actors_len - 1; i >= 0; i--) {
        pz_actor_t *a = t->actors[i];
        if (a->inited && a->state != NULL) {
            a->desc->fini(a, a->state);
        }
        a->state = NULL;
        a->inited = false;
        pz__actor_close_sockets(a);
    }
    for (int i = 0; i < PZ_THREADS_MAX; i++) {
        if (t->fwd[i]) {
            zmq_close(t->fwd[i]);
            t->fwd[i] = NULL;
        }
    }
    if (t->inbox) {
        zmq_close(t->inbox);
        t->inbox = NULL;
    }
    pz__timers_free(t);
}

static void s_report_ready(pz__thread_t *t, int rc)
{
    pthread_mutex_lock(&pz__k->ready_mu);
    t->init_rc = rc;
    pz__k->ready_count++;
    pthread_cond_broadcast(&pz__k->ready_cv);
    pthread_mutex_unlock(&pz__k->ready_mu);
}

static void *s_thread_main(void *arg)
{
    pz__thread_t *t = arg;
    char name[16];
    snprintf(name, sizeof name, "pz-k%d", t->index);
    pthread_setname_np(pthread_self(), name);
    int rc = pz__timers_init(t);
    if (rc == 0) {
        rc = s_thread_sockets(t);
    }
    if (rc == 0) {
        rc = s_init_actors(t);
    }
    s_report_ready(t, rc);
    if (rc == 0) {
        s_loop(t);
    }
    s_thread_close(t);
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Start and stop                                                                            */

static uint64_t s_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* node/spin_us (the window, 0: off) and node/spinners (threads that may spin at once, default
 * cores - 1: on one core a spinner only delays the thread it waits for). Spinning also stops
 * while more client calls are in flight than threads may spin: then runnable threads need the
 * cores, and each wake-up is shared by many messages anyway. */
static void s_idle_settings(zconfig_t *c, int cores)
{
    long spin_us = strtol(zconfig_get(c, "node/spin_us", "-1"), NULL, 10);
    if (spin_us < 0) {
        spin_us = PZ_IDLE_SPIN_US_DEFAULT;
    }
    spin_us = spin_us > PZ_IDLE_SPIN_US_MAX ? PZ_IDLE_SPIN_US_MAX : spin_us;
    long spinners = strtol(zconfig_get(c, "node/spinners", "-1"), NULL, 10);
    if (spinners < 0) {
        spinners = cores > 1 ? cores - 1 : 0;
    }
    spinners = spinners > PZ_THREADS_MAX ? PZ_THREADS_MAX : spinners;
    pz__idle_configure((uint32_t)spin_us, (int)spinners, (int)spinners);
}

static int s_node_settings(pz__kernel_t *k)
{
    zconfig_t *c = k->config;
    snprintf(k->store_dir, sizeof k->store_dir, "%s", zconfig_get(c, "node/store", ""));
    const char *listen = zconfig_get(c, "node/listen", "");
    if (strlen(listen) >= sizeof k->listen) {
        pz_log(NULL, PZ_LOG_ERROR, "node/listen is longer than %zu bytes", sizeof k->listen - 1);
        return PZ_ECONFIG;
    }
    snprintf(k->listen, sizeof k->listen, "%s", listen);
    long threads = strtol(zconfig_get(c, "node/threads", "0"), NULL, 10);
    if (threads <= 0) {
        threads = sysconf(_SC_NPROCESSORS_ONLN);
    }
    k->threads_len = threads < 1 ? 1 : (threads > PZ_THREADS_MAX ? PZ_THREADS_MAX : (int)threads);
    s_idle_settings(c, (int)sysconf(_SC_NPROCESSORS_ONLN));
    k->seed = strtoull(zconfig_get(c, "node/seed", "0"), NULL, 10);
    /* The largest clock offset tolerated in a remote timestamp (CockroachDB's --max-offset). */
    pz__hlc_set_max_offset(strtoull(zconfig_get(c, "node/max_offset_ms", "500"), NULL, 10) *
                           1000000ull);
    if (k->seed == 0) {
        k->seed = pz__real_ns();
    }
    const char *md = zconfig_get(c, "node/module_dir", NULL);
    if (md && *md) {
        snprintf(k->module_dir, sizeof k->module_dir, "%s", md);
    }
    return 0;
}

/* FNV-1a: mixes the actor name into its random seed, so each actor has its own stream. */
static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    }
    return h;
}

static int s_make_actor(pz__kernel_t *k, zconfig_t *sec)
{
    if (k->actors_len == PZ_ACTORS_MAX) {
        pz_log(NULL, PZ_LOG_ERROR, "%s: more than %d modules", k->config_file, PZ_ACTORS_MAX);
        return PZ_ELIMIT;
    }
    pz_actor_t *a = calloc(1, sizeof *a);
    if (a == NULL) {
        return PZ_ENOMEM;
    }
    k->actors[k->actors_len++] = a;
    snprintf(a->name, sizeof a->name, "%s", zconfig_name(sec));
    snprintf(a->module, sizeof a->module, "%s", zconfig_get(sec, "module", a->name));
    a->cfg = sec;
    long th = strtol(zconfig_get(sec, "thread", "0"), NULL, 10);
    a->thread_index = (int)(th % k->threads_len);
    uint64_t seed = k->seed ^ s_hash(a->name);
    a->rng = s_splitmix(&seed);
    char mname[128];
    snprintf(mname, sizeof mname, "pz_actor_%s_messages_total", a->name);
    a->m_handled = pz_metric_counter(mname, "messages handled by the actor");
    snprintf(mname, sizeof mname, "pz_actor_%s_handle_us", a->name);
    a->m_handle_us = pz_metric_histogram(mname, "time in the actor's message hook");
    a->desc = pz__module_load(k->module_dir, a->module);
    return a->desc ? 0 : PZ_EABI;
}

static int s_assign_threads(pz__kernel_t *k)
{
    for (int i = 0; i < k->threads_len; i++) {
        pz__thread_t *t = &k->threads[i];
        t->index = i;
        t->actors = calloc((size_t)k->actors_len + 1, sizeof *t->actors);
        if (t->actors == NULL) {
            return PZ_ENOMEM;
        }
    }
    for (int i = 0; i < k->actors_len; i++) {
        pz_actor_t *a = k->actors[i];
        pz__thread_t *t = &k->threads[a->thread_index];
        t->actors[t->actors_len++] = a;
        a->thread = t;
    }
    return 0;
}

static void s_metrics_init(pz__kernel_t *k)
{
    k->m_malformed = pz_metric_counter("pz_msgs_malformed_total", "malformed messages dropped");
    k->m_unknown = pz_metric_counter("pz_msgs_unknown_type_total", "unknown message types");
    k->m_expired = pz_metric_counter("pz_msgs_expired_total", "requests past their deadline");
    k->m_late_replies =
        pz_metric_counter("pz_msgs_late_replies_total", "replies after their request timed out");
    k->m_busy = pz_metric_counter("pz_msgs_busy_total", "sends refused by a full mailbox");
    k->m_gw_forwarded = pz_metric_counter("pz_gateway_forwarded_total",
                                          "messages thread 0 passed on to another kernel thread "
                                          "(arrived over tcp for an actor of that thread)");
    k->m_gw_unroutable =
        pz_metric_counter("pz_gateway_unroutable_total", "messages for actors not in this process");
}

static int s_spawn(pz__kernel_t *k, int want)
{
    atomic_store(&k->running, true);
    int spawned = 0, rc = 0;
    for (int i = 0; i < want; i++) {
        if (pthread_create(&k->threads[i].tid, NULL, s_thread_main, &k->threads[i]) != 0) {
            rc = PZ_ENOMEM;
            break;
        }
        spawned++;
    }
    pthread_mutex_lock(&k->ready_mu);
    while (k->ready_count < spawned) {
        pthread_cond_wait(&k->ready_cv, &k->ready_mu);
    }
    pthread_mutex_unlock(&k->ready_mu);
    for (int i = 0; i < spawned && rc == 0; i++) {
        rc = k->threads[i].init_rc;
    }
    k->threads_len = spawned;
    return rc;
}

int pz__kernel_start(zconfig_t *config, const char *config_file)
{
    assert(pz__k == NULL && config != NULL);
    pz__kernel_t *k = calloc(1, sizeof *k);
    if (k == NULL) {
        return PZ_ENOMEM;
    }
    pz__k = k;
    k->config = config;
    snprintf(k->config_file, sizeof k->config_file, "%s", config_file ? config_file : "(built-in)");
    pthread_mutex_init(&k->ready_mu, NULL);
    pthread_cond_init(&k->ready_cv, NULL);
    s_metrics_init(k);
    int rc = s_node_settings(k);
    if (rc == 0 && k->module_dir[0] == '\0') {
        snprintf(k->module_dir, sizeof k->module_dir, "%s", pz_module_dir());
    }
    k->zctx = zmq_ctx_new();
    if (k->zctx == NULL) {
        rc = PZ_ENOMEM;
    }
    zconfig_t *mods = zconfig_locate(config, "modules");
    for (zconfig_t *s = mods ? zconfig_child(mods) : NULL; rc == 0 && s; s = zconfig_next(s)) {
        rc = s_make_actor(k, s);
    }
    if (rc == 0 && k->actors_len == 0) {
        pz_log(NULL, PZ_LOG_ERROR, "%s: no modules configured", k->config_file);
        rc = PZ_ECONFIG;
    }
    if (rc == 0) {
        rc = s_assign_threads(k);
    }
    /* threads_len counts started threads only: stop joins exactly those */
    int want = k->threads_len;
    k->threads_len = 0;
    if (rc == 0) {
        rc = s_spawn(k, want);
    }
    if (rc != 0) {
        pz__kernel_stop();
    }
    return rc;
}

void pz__kernel_stop(void)
{
    pz__kernel_t *k = pz__k;
    if (k == NULL) {
        return;
    }
    atomic_store(&k->running, false);
    for (int i = 0; i < k->threads_len; i++) { /* a STOP message wakes each thread at once */
        char ep[PZ_ADDR_BYTES_MAX];
        pz__thread_inbox_endpoint(i, ep, sizeof ep);
        void *s = zmq_socket(k->zctx, ZMQ_PUSH);
        pz_envelope_t env = {.proto_version = PZ_PROTO_VERSION, .type = PZ__MSG_STOP};
        pz_out_t *o = pz_out_new(PZ__MSG_STOP);
        if (s && o && zmq_connect(s, ep) == 0 && pz__send_msg(s, &env, &o, ZMQ_DONTWAIT) == 0) {
            o = NULL;
        }
        pz_out_free(&o);
        if (s) {
            zmq_close(s);
        }
    }
    for (int i = 0; i < k->threads_len; i++) {
        pthread_join(k->threads[i].tid, NULL);
    }
    for (int i = 0; i < PZ_THREADS_MAX; i++) {
        free(k->threads[i].actors);
    }
    for (int i = 0; i < k->actors_len; i++) {
        free(k->actors[i]->pending);
        free(k->actors[i]);
    }
    if (k->zctx) {
        zmq_ctx_term(k->zctx);
    }
    pz__k = NULL;
    free(k);
}

/* ---------------------------------------------------------------------------------------- */
/* Small accessors of kernel.h                                                               */

const char *pz_actor_name(const pz_actor_t *self)
{
    return self->name;
}

const char *pz_actor_store_dir(const pz_actor_t *self)
{
    (void)self;
    return pz__k && pz__k->store_dir[0] ? pz__k->store_dir : NULL;
}

uint64_t pz_now_ms(pz_actor_t *self)
{
    (void)self;
    return pz__mono_ms();
}

uint64_t pz_rand_u64(pz_actor_t *self)
{
    return s_splitmix(&self->rng);
}

int64_t pz_timer_arm(pz_actor_t *self, uint32_t delay_ms, uint64_t timer_id)
{
    assert(self != NULL && self->thread != NULL);
    return pz__timer_add(self->thread, self, delay_ms, PZ__TIMER_USER, timer_id);
}

void pz_timer_cancel(pz_actor_t *self, int64_t handle)
{
    pz__timer_cancel(self->thread, handle);
}
