/*
 * client.c — blocking request/reply for threads that are not actors (SQL session workers,
 * benchmarks, the CLI), and mailslots for threads a module owns.
 *
 * A client has its own inbox (a PULL socket) and tells the receiver to reply there:
 *   in-process:  "client.N@inproc://pz/client.N"   — replies go straight to its inbox
 *   remote:      "client.N@tcp://127.0.0.1:PORT"   — an ephemeral port it binds itself
 * Blocking is allowed on these threads (DESIGN.md rule 3): they are not kernel threads.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct pz_client {
    void *zctx;
    bool own_ctx;
    void *inbox;
    char from[PZ_ADDR_BYTES_MAX];
    char remote[PZ_ADDR_BYTES_MAX];  /* node endpoint for a remote client, "" in-process */
    void *push;                      /* remote: to the node's gateway */
    char push_ep[PZ_ADDR_BYTES_MAX]; /* in-process: endpoint push is connected to */
    pz__bell_t *push_bell;           /* in-process: the doorbell of push's inbox */
    pz__idle_t idle;                 /* spin-then-sleep state of the reply inbox */
    uint64_t corr;
    int sndtimeo;         /* ZMQ_SNDTIMEO last set on push (0: never) */
    uint32_t outstanding; /* split-phase calls sent and not yet answered */
};

static atomic_uint_fast64_t s_client_seq;

/* How long a remote client waits for the node to accept its connection. */
#define S_CONNECT_WAIT_MS 3000

/* immediate: queue only on a connection that is up (ZMQ_IMMEDIATE, set before connecting). */
static void *s_push(void *zctx, const char *ep, int immediate)
{
    void *s = zmq_socket(zctx, ZMQ_PUSH);
    int hwm = PZ_MAILBOX_MAX, linger = 0;
    if (s == NULL) {
        return NULL;
    }
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
    if (zmq_connect(s, ep) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* The host part of tcp://host:port, for binding the reply socket on the same interface. */
static void s_reply_bind(const char *endpoint, char *bind, size_t cap)
{
    const char *h = endpoint + 6;
    const char *colon = strrchr(h, ':');
    size_t n = colon ? (size_t)(colon - h) : strlen(h);
    if (n >= 9 && strncmp(h, "127.", 4) == 0) {
        snprintf(bind, cap, "tcp://%.*s:*", (int)n, h);
    } else if (strncmp(h, "localhost", 9) == 0) {
        snprintf(bind, cap, "tcp://127.0.0.1:*");
    } else {
        snprintf(bind, cap, "tcp://*:*"); /* remote node: reply on every interface */
    }
}

static int s_open_inbox(pz_client_t *c, uint64_t n)
{
    c->inbox = zmq_socket(c->zctx, ZMQ_PULL);
    int hwm = PZ_MAILBOX_MAX, linger = 0;
    if (c->inbox == NULL) {
        return PZ_ENOMEM;
    }
    zmq_setsockopt(c->inbox, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c->inbox, ZMQ_LINGER, &linger, sizeof linger);
    char ep[PZ_ADDR_BYTES_MAX - 40]; /* room for "client.N@" in front */
    if (c->remote[0] == '\0') {
        snprintf(ep, sizeof ep, "inproc://pz/client.%llu", (unsigned long long)n);
        if (zmq_bind(c->inbox, ep) != 0) {
            return PZ_EUNAVAILABLE;
        }
        pz__idle_init(&c->idle, pz__idle_bell(ep), false); /* a remote client never spins */
    } else {
        s_reply_bind(c->remote, ep, sizeof ep);
        size_t len = sizeof ep;
        if (zmq_bind(c->inbox, ep) != 0 ||
            zmq_getsockopt(c->inbox, ZMQ_LAST_ENDPOINT, ep, &len) != 0) {
            return PZ_EUNAVAILABLE;
        }
        /* Queue only on a connection that is up: a node that is not there then shows as
         * PZ_EUNAVAILABLE after the connect wait, not as a request timing out much later. */
        c->push = s_push(c->zctx, c->remote, 1);
        if (c->push == NULL) {
            return PZ_EUNAVAILABLE;
        }
    }
    snprintf(c->from, sizeof c->from, "client.%llu@%s", (unsigned long long)n, ep);
    return 0;
}

pz_client_t *pz_client_new(const char *endpoint)
{
    pz_client_t *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    if (endpoint != NULL) {
        snprintf(c->remote, sizeof c->remote, "%s", endpoint);
    }
    if (pz__k != NULL) {
        c->zctx = pz__k->zctx;
    } else if (endpoint != NULL) {
        c->zctx = zmq_ctx_new();
        c->own_ctx = true;
    }
    uint64_t n = atomic_fetch_add(&s_client_seq, 1) + 1;
    if (c->zctx == NULL || s_open_inbox(c, n) != 0) {
        pz_client_destroy(&c);
        return NULL;
    }
    return c;
}

void pz_client_destroy(pz_client_t **cp)
{
    pz_client_t *c = cp ? *cp : NULL;
    if (c == NULL) {
        return;
    }
    while (c->outstanding > 0) {
        c->outstanding--;
        pz__idle_calls_add(-1);
    }
    if (c->inbox) {
        zmq_close(c->inbox);
    }
    if (c->push) {
        zmq_close(c->push);
    }
    if (c->own_ctx && c->zctx) {
        zmq_ctx_term(c->zctx);
    }
    free(c);
    *cp = NULL;
}

static void *s_target(pz_client_t *c, const char *to, pz_envelope_t *env)
{
    if (c->remote[0]) {
        const char *at = strchr(to, '@');
        snprintf(env->to, sizeof env->to, "%.*s", (int)(at ? at - to : (long)strlen(to)), to);
        return c->push;
    }
    char ep[PZ_ADDR_BYTES_MAX];
    if (pz__resolve(to, ep, sizeof ep, env->to, sizeof env->to) != 0) {
        return NULL;
    }
    if (c->push == NULL || strcmp(ep, c->push_ep) != 0) {
        if (c->push) {
            zmq_close(c->push);
        }
        c->push = s_push(c->zctx, ep, 0);
        c->sndtimeo = 0;
        c->push_bell = pz__idle_bell(ep);
        snprintf(c->push_ep, sizeof c->push_ep, "%s", ep);
    }
    return c->push;
}

/* One receive from the reply inbox: without blocking when the idle strategy spun until the
 * inbox's doorbell rang (idle.c), else blocking with a timeout — not zmq_poll plus
 * non-blocking receives: each of those extra steps costs a syscall on every call, the blocking
 * receive only when it must sleep. PZ_ENOTFOUND when nothing came. */
static int s_recv_reply(pz_client_t *c, uint64_t deadline_ms, pz_msg_t **m)
{
    if (pz__idle_spin(&c->idle)) {
        int rc = pz__recv_msg(c->inbox, ZMQ_DONTWAIT, m);
        if (rc == PZ_ENOTFOUND) {
            pz__idle_missed(&c->idle); /* the bell raced a receive, or a shared slot rang */
        }
        return rc;
    }
    uint64_t now = pz__mono_ms(); /* the spin may have passed the deadline: 0, never < 0 */
    int ms = now < deadline_ms ? (int)(deadline_ms - now) : 0;
    zmq_setsockopt(c->inbox, ZMQ_RCVTIMEO, &ms, sizeof ms);
    return pz__recv_msg(c->inbox, 0, m);
}

static int s_wait_reply(pz_client_t *c, uint64_t corr, uint64_t deadline_ms, pz_msg_t **reply)
{
    for (;;) {
        if (pz__mono_ms() >= deadline_ms) {
            return PZ_ETIMEDOUT;
        }
        pz_msg_t *m = NULL;
        int rc = s_recv_reply(c, deadline_ms, &m);
        if (rc == PZ_ENOTFOUND) {
            continue; /* the receive timed out (EAGAIN): the loop re-checks the deadline */
        }
        pz__idle_took(&c->idle, pz__mono_ns());
        if (rc == PZ_EUNAVAILABLE) {
            return rc; /* the context is terminating */
        }
        if (m && pz_msg_is_reply(m) && pz_msg_corr(m) == corr) {
            *reply = m;
            return 0;
        }
        pz_msg_free(&m); /* a reply to an earlier call that timed out, or bad bytes */
    }
}

/* Sends *req to `to` with a fresh correlation id and a deadline timeout_ms ahead (0: default).
 * A full mailbox: with ZMQ_DONTWAIT in flags PZ_EBUSY at once, else it waits up to the timeout. */
static int s_send(pz_client_t *c, const char *to, pz_out_t **req, uint32_t timeout_ms, int flags,
                  uint64_t *corr)
{
    uint32_t ms = timeout_ms ? timeout_ms : PZ_REQUEST_TIMEOUT_MS_DEFAULT;
    pz_envelope_t env = {.proto_version = PZ_PROTO_VERSION,
                         .type = pz_out_type(*req),
                         .corr = ++c->corr,
                         .deadline_ns = pz__real_ns() + (uint64_t)ms * 1000000ull};
    env.type_version = pz_msg_type_version(env.type);
    snprintf(env.from, sizeof env.from, "%s", c->from);
    void *sock = s_target(c, to, &env);
    if (sock == NULL) {
        return PZ_ENOTFOUND;
    }
    /* A remote node gets S_CONNECT_WAIT_MS to accept the connection (ZMQ_IMMEDIATE above). */
    int sndtimeo = c->remote[0] && ms > S_CONNECT_WAIT_MS ? S_CONNECT_WAIT_MS : (int)ms;
    if (sndtimeo != c->sndtimeo) {
        zmq_setsockopt(sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
        c->sndtimeo = sndtimeo;
    }
    int rc = pz__send_msg(sock, &env, req, flags);
    if (rc == PZ_EBUSY && !(flags & ZMQ_DONTWAIT)) {
        return c->remote[0] ? PZ_EUNAVAILABLE : PZ_ETIMEDOUT;
    }
    if (rc != 0) {
        return rc;
    }
    pz__idle_ring(c->remote[0] ? NULL : c->push_bell);
    *corr = env.corr;
    return 0;
}

int pz_client_call(pz_client_t *c, const char *to, pz_out_t **req, uint32_t timeout_ms,
                   pz_msg_t **reply)
{
    assert(c != NULL && req != NULL && *req != NULL && reply != NULL);
    uint32_t ms = timeout_ms ? timeout_ms : PZ_REQUEST_TIMEOUT_MS_DEFAULT;
    uint64_t corr = 0;
    int rc = s_send(c, to, req, ms, 0, &corr);
    if (rc != 0) {
        return rc;
    }
    pz__idle_calls_add(1);
    rc = s_wait_reply(c, corr, pz__mono_ms() + ms, reply);
    pz__idle_calls_add(-1);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Split-phase calls (one thread multiplexing many callers: the SQL session workers)          */

int pz_client_send(pz_client_t *c, const char *to, pz_out_t **req, uint32_t timeout_ms,
                   uint64_t *corr)
{
    assert(c != NULL && req != NULL && *req != NULL && corr != NULL);
    assert(c->remote[0] == '\0'); /* the bell and the descriptor below are in-process only */
    int rc = s_send(c, to, req, timeout_ms, ZMQ_DONTWAIT, corr);
    if (rc == 0) {
        c->outstanding++;
        pz__idle_calls_add(1);
    }
    return rc;
}

/* One message from the inbox without blocking. Only when the doorbell counts one not taken
 * (unless `probe`): a receive that finds the pipe empty puts it to sleep, and the next reply
 * then pays an eventfd activation (see idle.c). */
static int s_take(pz_client_t *c, bool probe, pz_msg_t **m)
{
    if (!probe) {
        uint64_t rung = atomic_load_explicit(c->idle.bell, memory_order_acquire);
        if ((int64_t)(rung - c->idle.taken) <= 0) {
            return PZ_ENOTFOUND;
        }
    }
    int rc = pz__recv_msg(c->inbox, ZMQ_DONTWAIT, m);
    if (rc == PZ_ENOTFOUND) {
        pz__idle_missed(&c->idle);
        return rc;
    }
    pz__idle_took(&c->idle, pz__mono_ns());
    if (c->outstanding > 0) {
        c->outstanding--;
        pz__idle_calls_add(-1);
    }
    return rc;
}

int pz_client_take(pz_client_t *c, bool probe, pz_msg_t **m)
{
    assert(c != NULL && m != NULL && c->idle.bell != NULL);
    *m = NULL;
    int rc = s_take(c, probe, m);
    if (rc == PZ_ENOTFOUND && probe) {
        /* Found empty: the pipe is asleep now, and ZMQ_EVENTS takes the activations already
         * queued, so the descriptor becomes readable for the next reply, not for an old one. */
        int ev = 0;
        size_t len = sizeof ev;
        if (zmq_getsockopt(c->inbox, ZMQ_EVENTS, &ev, &len) == 0 && (ev & ZMQ_POLLIN)) {
            rc = s_take(c, true, m);
        }
    }
    return rc;
}

bool pz_client_spin(pz_client_t *c)
{
    assert(c != NULL);
    c->idle.expecting = true; /* the caller has calls outstanding (pz_client_send) */
    return c->idle.bell != NULL && pz__idle_spin(&c->idle);
}

int pz_client_fd(pz_client_t *c)
{
    assert(c != NULL);
    int fd = -1;
    size_t len = sizeof fd;
    return zmq_getsockopt(c->inbox, ZMQ_FD, &fd, &len) == 0 ? fd : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Mailslots                                                                                 */

struct pz_mailslot {
    void *push;
    pz__bell_t *bell; /* the doorbell of the actor's thread inbox */
    char name[PZ_NAME_BYTES_MAX];
};

pz_mailslot_t *pz_mailslot_open(const char *actor_name)
{
    pz_actor_t *a = pz__actor_find(actor_name);
    if (a == NULL) {
        return NULL;
    }
    pz_mailslot_t *s = calloc(1, sizeof *s);
    char ep[PZ_ADDR_BYTES_MAX];
    pz__thread_inbox_endpoint(a->thread_index, ep, sizeof ep);
    if (s == NULL || (s->push = s_push(pz__k->zctx, ep, 0)) == NULL) {
        free(s);
        return NULL;
    }
    s->bell = pz__idle_bell(ep);
    snprintf(s->name, sizeof s->name, "%s", actor_name);
    return s;
}

int pz_mailslot_send(pz_mailslot_t *slot, pz_out_t **out)
{
    pz_envelope_t env = {.proto_version = PZ_PROTO_VERSION, .type = pz_out_type(*out)};
    env.type_version = pz_msg_type_version(env.type);
    snprintf(env.to, sizeof env.to, "%s", slot->name);
    snprintf(env.from, sizeof env.from, "%.*s.slot", PZ_NAME_BYTES_MAX, slot->name);
    int rc = pz__send_msg(slot->push, &env, out, 0);
    if (rc == 0) {
        pz__idle_ring(slot->bell);
    }
    return rc;
}

void pz_mailslot_close(pz_mailslot_t **slot)
{
    if (slot && *slot) {
        zmq_close((*slot)->push);
        free(*slot);
        *slot = NULL;
    }
}
