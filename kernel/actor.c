/*
 * actor.c — what an actor does with messages: address resolution, sending (one-way, request,
 * reply), the table of requests awaiting replies and their timeouts, and dispatch of received
 * messages to the module's hooks.
 *
 * Every function here runs on the actor's own kernel thread, so an actor's sockets and tables
 * need no locks (a ZeroMQ socket must only be used by one thread).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static _Thread_local pz_msg_t *s_kept;

void pz__thread_inbox_endpoint(int thread, char *buf, size_t cap)
{
    snprintf(buf, cap, "inproc://pz/t%d", thread);
}

/* The index of dest's local inbox for sender `from` (same kernel thread), created and bound on
 * first use — on that thread, which owns both actors. Negative on failure. */
static int s_local_slot(pz_actor_t *dest, const pz_actor_t *from, char *ep, size_t cap)
{
    snprintf(ep, cap, "inproc://pz/%s.from.%s", dest->name, from->name);
    for (uint32_t i = 0; i < dest->locals_len; i++) {
        if (dest->locals[i].from == from) {
            return (int)i;
        }
    }
    pz__local_t *grown = realloc(dest->locals, (dest->locals_len + 1) * sizeof *grown);
    if (grown == NULL) {
        return PZ_ENOMEM;
    }
    dest->locals = grown;
    void *s = zmq_socket(pz__k->zctx, ZMQ_PULL);
    int hwm = PZ_MAILBOX_MAX, linger = 0;
    if (s == NULL || zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 || zmq_bind(s, ep) != 0) {
        pz_log(dest, PZ_LOG_ERROR, "cannot bind %s: %s", ep, zmq_strerror(errno));
        if (s) {
            zmq_close(s);
        }
        return PZ_EUNAVAILABLE;
    }
    dest->locals[dest->locals_len] = (pz__local_t){.from = from, .sock = s};
    return (int)dest->locals_len++;
}

pz_actor_t *pz__actor_find(const char *name)
{
    if (pz__k == NULL) {
        return NULL;
    }
    for (int i = 0; i < pz__k->actors_len; i++) {
        if (strcmp(pz__k->actors[i]->name, name) == 0) {
            return pz__k->actors[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Addresses                                                                                 */

/* Resolves `addr` ("name" or "name@endpoint") to the endpoint to connect to and the actor name
 * the envelope names. An endpoint equal to this process's own listen address is local. */
int pz__resolve(const char *addr, char *ep, size_t ep_cap, char *name, size_t name_cap)
{
    const char *at = strchr(addr, '@');
    size_t nlen = at ? (size_t)(at - addr) : strlen(addr);
    if (nlen == 0 || nlen >= name_cap || nlen >= PZ_NAME_BYTES_MAX) {
        return PZ_EINVAL;
    }
    memcpy(name, addr, nlen);
    name[nlen] = '\0';
    if (at != NULL && !(pz__k && pz__k->listen[0] && strcmp(at + 1, pz__k->listen) == 0)) {
        if (strlen(at + 1) >= ep_cap) {
            return PZ_EINVAL;
        }
        strcpy(ep, at + 1);
        return 0;
    }
    pz_actor_t *local = pz__actor_find(name);
    if (local != NULL) {
        pz__thread_inbox_endpoint(local->thread_index, ep, ep_cap);
        return 0;
    }
    char path[PZ_NAME_BYTES_MAX + 16];
    snprintf(path, sizeof path, "routes/%s", name);
    const char *route = pz__k ? zconfig_get(pz__k->config, path, NULL) : NULL;
    if (route == NULL || strlen(route) >= ep_cap) {
        return PZ_ENOTFOUND;
    }
    strcpy(ep, route);
    return 0;
}

/* The address a receiver replies to: bare name inside the process, name@listen outside. */
static void s_from(const pz_actor_t *a, const char *ep, char *from, size_t cap)
{
    bool leaves = strncmp(ep, "inproc://", 9) != 0;
    if (leaves && pz__k->listen[0]) {
        snprintf(from, cap, "%s@%s", a->name, pz__k->listen);
    } else {
        snprintf(from, cap, "%s", a->name);
    }
}

static void *s_peer_socket(pz_actor_t *a, const char *ep)
{
    for (uint32_t i = 0; i < a->peers_len; i++) {
        if (strcmp(a->peers[i].endpoint, ep) == 0) {
            a->peers[i].used_tick = ++a->peer_tick;
            return a->peers[i].sock;
        }
    }
    uint32_t slot = a->peers_len;
    if (slot == PZ_PEERS_MAX) { /* evict the least recently used connection */
        slot = UINT32_MAX;
        for (uint32_t i = 0; i < a->peers_len; i++) {
            /* Never a same-thread local inbox: messages counted as pending must arrive. There
             * is at most one per actor of the thread, far fewer than PZ_PEERS_MAX. */
            bool pinned = strstr(a->peers[i].endpoint, ".from.") != NULL;
            if (!pinned &&
                (slot == UINT32_MAX || a->peers[i].used_tick < a->peers[slot].used_tick)) {
                slot = i;
            }
        }
        if (slot == UINT32_MAX) {
            pz_log(a, PZ_LOG_ERROR, "no connection to evict for %s", ep);
            return NULL;
        }
        zmq_close(a->peers[slot].sock);
        memset(a->routes, 0, sizeof a->routes); /* they may point at the closed socket */
    } else {
        a->peers_len++;
    }
    void *s = zmq_socket(pz__k->zctx, ZMQ_PUSH);
    int hwm = PZ_MAILBOX_MAX, linger = 0;
    if (s == NULL || zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 || zmq_connect(s, ep) != 0) {
        pz_log(a, PZ_LOG_WARN, "cannot connect to %s: %s", ep, zmq_strerror(errno));
        if (s) {
            zmq_close(s);
        }
        a->peers[slot] = a->peers[--a->peers_len];
        return NULL;
    }
    snprintf(a->peers[slot].endpoint, sizeof a->peers[slot].endpoint, "%s", ep);
    a->peers[slot].sock = s;
    a->peers[slot].used_tick = ++a->peer_tick;
    return s;
}

void pz__actor_close_sockets(pz_actor_t *a)
{
    for (uint32_t i = 0; i < a->peers_len; i++) {
        zmq_close(a->peers[i].sock);
    }
    a->peers_len = 0;
    for (uint32_t i = 0; i < a->locals_len; i++) {
        zmq_close(a->locals[i].sock);
    }
    free(a->locals);
    a->locals = NULL;
    a->locals_len = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Frames                                                                                    */

static void s_free_block(void *data, void *hint)
{
    (void)data; /* points into the block, past the room left for the envelope */
    free(hint);
}

/* Bodies up to this size are copied with the envelope into ZeroMQ's own message; larger ones are
 * handed over as they are (pz__out_take_framed). */
#define S_COPY_BYTES_MAX (16u * 1024u)

/* Sends the envelope eb and the body in one frame, copied once into ZeroMQ's own message. */
static int s_send_copy(void *sock, const uint8_t *eb, size_t elen, const uint8_t *body, size_t blen,
                       int flags)
{
    zmq_msg_t zm;
    if (zmq_msg_init_size(&zm, elen + blen) != 0) {
        return PZ_ENOMEM;
    }
    memcpy(zmq_msg_data(&zm), eb, elen);
    if (blen > 0) {
        memcpy((uint8_t *)zmq_msg_data(&zm) + elen, body, blen);
    }
    if (zmq_msg_send(&zm, sock, flags) < 0) {
        int rc = errno == EAGAIN ? PZ_EBUSY : PZ_EUNAVAILABLE;
        zmq_msg_close(&zm);
        return rc;
    }
    return 0;
}

int pz__send_view(void *sock, const pz_envelope_t *env, pz_view_t body, int flags)
{
    uint8_t eb[PZ_ENVELOPE_BYTES_MAX];
    size_t elen = 0;
    int rc = pz_envelope_encode(env, eb, sizeof eb, &elen);
    return rc != 0 ? rc : s_send_copy(sock, eb, elen, body.ptr, body.len, flags);
}

int pz__send_msg(void *sock, const pz_envelope_t *env, pz_out_t **out, int flags)
{
    uint8_t eb[PZ_ENVELOPE_BYTES_MAX];
    size_t elen = 0, blen = 0;
    int rc = pz_envelope_encode(env, eb, sizeof eb, &elen);
    if (rc != 0) {
        return rc;
    }
    const uint8_t *body = pz__out_body(*out, &blen);
    uint8_t *frame = NULL;
    size_t flen = 0;
    void *block = NULL;
    if (blen <= S_COPY_BYTES_MAX || !pz__out_take_framed(*out, eb, elen, &frame, &flen, &block)) {
        rc = s_send_copy(sock, eb, elen, body, blen, flags);
        if (rc == 0) {
            pz_out_free(out);
        }
        return rc;
    }
    zmq_msg_t zm;
    if (zmq_msg_init_data(&zm, frame, flen, s_free_block, block) != 0) {
        /* give the body back: the caller still owns its message */
        int back = msgpack_pack_bin_body(pz_out_packer(*out), frame + elen, flen - elen);
        free(block);
        return back == 0 ? PZ_ENOMEM : PZ_EINTERNAL;
    }
    if (zmq_msg_send(&zm, sock, flags) < 0) {
        rc = errno == EAGAIN ? PZ_EBUSY : PZ_EUNAVAILABLE;
        /* handed over: put the body back, the caller still owns *out */
        if (msgpack_pack_bin_body(pz_out_packer(*out), frame + elen, flen - elen) != 0) {
            rc = PZ_ENOMEM;
        }
        zmq_msg_close(&zm);
        return rc;
    }
    pz_out_free(out);
    return 0;
}

/* The message's hold is the ZeroMQ frame its envelope and body are read from. */
static void s_close_frame(void *hint)
{
    zmq_msg_close(hint);
}

void pz__drain_rest(void *sock)
{
    int more = 1;
    size_t len = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more) {
        zmq_msg_t junk;
        zmq_msg_init(&junk);
        zmq_msg_recv(&junk, sock, 0);
        zmq_msg_close(&junk);
    }
}

int pz__msg_from_frame(zmq_msg_t *frame, pz_msg_t **out)
{
    void *hold = NULL;
    pz_msg_t *m = pz__msg_alloc(sizeof(zmq_msg_t), &hold);
    if (m == NULL) {
        zmq_msg_close(frame);
        return PZ_ENOMEM;
    }
    zmq_msg_t *held = hold;
    zmq_msg_init(held);
    zmq_msg_move(held, frame); /* a small frame's bytes live in the zmq_msg_t: read them after */
    zmq_msg_close(frame);
    int rc = pz__msg_init_frame(m, zmq_msg_data(held), zmq_msg_size(held), s_close_frame, held);
    if (rc != 0) {
        zmq_msg_close(held);
        pz__msg_discard(m);
        return rc;
    }
    *out = m;
    return 0;
}

int pz__recv_msg(void *sock, int flags, pz_msg_t **out)
{
    zmq_msg_t f;
    zmq_msg_init(&f);
    if (zmq_msg_recv(&f, sock, flags) < 0) {
        zmq_msg_close(&f);
        return errno == EAGAIN ? PZ_ENOTFOUND : PZ_EUNAVAILABLE;
    }
    if (zmq_msg_more(&f)) { /* a message is one frame */
        zmq_msg_close(&f);
        pz__drain_rest(sock);
        return PZ_EPROTO;
    }
    return pz__msg_from_frame(&f, out);
}

/* ---------------------------------------------------------------------------------------- */
/* Pending requests: open addressing, linear probing, backward-shift deletion.              */

static uint32_t s_slot(uint64_t corr, uint32_t cap)
{
    return (uint32_t)((corr * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static int s_pending_put(pz_actor_t *a, uint64_t corr, int64_t timer, void *ctx)
{
    if (a->pending_len + 1 > a->pending_cap / 2) {
        uint32_t cap = a->pending_cap ? a->pending_cap * 2 : 64;
        if (a->pending_len >= PZ_PENDING_MAX) {
            return PZ_EBUSY;
        }
        pz__pending_t *t = calloc(cap, sizeof *t);
        if (t == NULL) {
            return PZ_ENOMEM;
        }
        for (uint32_t i = 0; i < a->pending_cap; i++) {
            if (a->pending[i].corr != 0) {
                uint32_t j = s_slot(a->pending[i].corr, cap);
                while (t[j].corr != 0) {
                    j = (j + 1) & (cap - 1);
                }
                t[j] = a->pending[i];
            }
        }
        free(a->pending);
        a->pending = t;
        a->pending_cap = cap;
    }
    uint32_t j = s_slot(corr, a->pending_cap);
    while (a->pending[j].corr != 0) {
        j = (j + 1) & (a->pending_cap - 1);
    }
    a->pending[j] = (pz__pending_t){corr, timer, ctx};
    a->pending_len++;
    return 0;
}

/* Removes corr; returns its timer handle (and ctx), or 0 when corr is not pending. */
static int64_t s_pending_take(pz_actor_t *a, uint64_t corr, void **ctx)
{
    if (a->pending_cap == 0) {
        return 0;
    }
    uint32_t mask = a->pending_cap - 1, j = s_slot(corr, a->pending_cap);
    while (a->pending[j].corr != 0 && a->pending[j].corr != corr) {
        j = (j + 1) & mask;
    }
    if (a->pending[j].corr == 0) {
        return 0;
    }
    int64_t timer = a->pending[j].timer;
    if (ctx) {
        *ctx = a->pending[j].ctx;
    }
    a->pending[j].corr = 0;
    a->pending_len--;
    for (uint32_t k = (j + 1) & mask; a->pending[k].corr != 0; k = (k + 1) & mask) {
        uint32_t home = s_slot(a->pending[k].corr, a->pending_cap);
        bool movable = (j <= k) ? (home <= j || home > k) : (home <= j && home > k);
        if (movable) {
            a->pending[j] = a->pending[k];
            a->pending[k].corr = 0;
            j = k;
        }
    }
    return timer;
}

/* ---------------------------------------------------------------------------------------- */
/* Sending                                                                                   */

/* Resolves `to` into a route (cached): socket, envelope addresses, same-thread destination. */
static int s_route(pz_actor_t *a, const char *to, const pz__route_t **out)
{
    for (uint32_t i = 0; i < PZ__ROUTES_MAX; i++) {
        if (a->routes[i].addr[0] != '\0' && strcmp(a->routes[i].addr, to) == 0) {
            *out = &a->routes[i];
            return 0;
        }
    }
    if (strlen(to) >= PZ_ADDR_BYTES_MAX) {
        return PZ_EINVAL;
    }
    pz__route_t r = {0};
    char ep[PZ_ADDR_BYTES_MAX];
    int rc = pz__resolve(to, ep, sizeof ep, r.to, sizeof r.to);
    if (rc != 0) {
        return rc;
    }
    s_from(a, ep, r.from, sizeof r.from);
    pz_actor_t *dest = strncmp(ep, "inproc://pz/", 12) == 0 ? pz__actor_find(r.to) : NULL;
    if (dest != NULL && dest->thread == a->thread) { /* no wake-up, no activation */
        int slot = s_local_slot(dest, a, ep, sizeof ep);
        if (slot < 0) {
            return slot;
        }
        r.local_dest = dest;
        r.local_slot = (uint32_t)slot;
    } else {
        r.bell = pz__idle_bell(ep);
    }
    r.sock = s_peer_socket(a, ep);
    if (r.sock == NULL) {
        return PZ_EUNAVAILABLE;
    }
    strcpy(r.addr, to);
    uint32_t slot = a->route_next++ % PZ__ROUTES_MAX;
    a->routes[slot] = r;
    *out = &a->routes[slot];
    return 0;
}

/* Sends a message of `type` to `to`: the body is *out's, or (out NULL) `body` as it is. */
static int s_send_body(pz_actor_t *a, const char *to, uint16_t type, pz_out_t **out, pz_view_t body,
                       uint8_t flags, uint64_t corr, uint64_t deadline_ns)
{
    assert(a != NULL && (out == NULL || *out != NULL));
    const pz__route_t *r = NULL;
    int rc = s_route(a, to, &r);
    if (rc != 0) {
        return rc;
    }
    pz_envelope_t env = {.proto_version = PZ_PROTO_VERSION,
                         .type = type,
                         .flags = flags,
                         .corr = corr,
                         .deadline_ns = deadline_ns};
    env.type_version = pz_msg_type_version(env.type);
    strcpy(env.to, r->to);
    strcpy(env.from, r->from);
    pz_actor_t *local_dest = r->local_dest;
    uint32_t local_slot = r->local_slot;
    pz__bell_t *bell = r->bell;
    rc = out != NULL ? pz__send_msg(r->sock, &env, out, ZMQ_DONTWAIT)
                     : pz__send_view(r->sock, &env, body, ZMQ_DONTWAIT);
    if (rc == PZ_EBUSY) {
        pz_metric_add(pz__k->m_busy, 1);
    }
    if (rc == 0 && local_dest != NULL) {
        local_dest->locals[local_slot].pending++;
    } else if (rc == 0) {
        pz__idle_ring(bell); /* a spinning receiver sees the message without a syscall */
    }
    return rc;
}

static int s_send(pz_actor_t *a, const char *to, pz_out_t **out, uint8_t flags, uint64_t corr,
                  uint64_t deadline_ns)
{
    assert(out != NULL && *out != NULL);
    return s_send_body(a, to, pz_out_type(*out), out, (pz_view_t){0}, flags, corr, deadline_ns);
}

int pz_send(pz_actor_t *self, const char *to, pz_out_t **out)
{
    return s_send(self, to, out, 0, 0, 0);
}

/* pz_request's body: *out's, or (out NULL) `body` as it is, of `type`. */
static int s_request(pz_actor_t *self, const char *to, uint16_t type, pz_out_t **out,
                     pz_view_t body, uint32_t timeout_ms, void *ctx, uint64_t *corr)
{
    assert(self != NULL);
    uint32_t ms = timeout_ms ? timeout_ms : PZ_REQUEST_TIMEOUT_MS_DEFAULT;
    uint64_t c = ++self->next_corr;
    int64_t timer = pz__timer_add(self->thread, self, ms, PZ__TIMER_TIMEOUT, c);
    if (timer < 0) {
        return (int)timer;
    }
    int rc = s_pending_put(self, c, timer, ctx);
    if (rc != 0) {
        pz__timer_cancel(self->thread, timer);
        return rc;
    }
    rc = s_send_body(self, to, type, out, body, 0, c, pz__real_ns() + (uint64_t)ms * 1000000ull);
    if (rc != 0) {
        pz__timer_cancel(self->thread, s_pending_take(self, c, NULL));
        return rc;
    }
    if (corr) {
        *corr = c;
    }
    return 0;
}

int pz_request(pz_actor_t *self, const char *to, pz_out_t **out, uint32_t timeout_ms, void *ctx,
               uint64_t *corr)
{
    assert(out != NULL && *out != NULL);
    return s_request(self, to, pz_out_type(*out), out, (pz_view_t){0}, timeout_ms, ctx, corr);
}

int pz_request_forward(pz_actor_t *self, const char *to, const pz_msg_t *body_of,
                       uint32_t timeout_ms, void *ctx, uint64_t *corr)
{
    assert(body_of != NULL);
    return s_request(self, to, pz_msg_type(body_of), NULL, pz_msg_body(body_of), timeout_ms, ctx,
                     corr);
}

int pz_reply(pz_actor_t *self, const pz_msg_t *req, pz_out_t **out)
{
    const pz_envelope_t *e = pz_msg_envelope(req);
    return s_send(self, e->from, out, PZ_MSGF_REPLY, e->corr, e->deadline_ns);
}

static pz_out_t *s_error_out(int code, const char *message)
{
    pz_error_body_t body = {.code = code, .message = pz_view_str(message ? message : "")};
    pz_out_t *o = NULL;
    return pz_error_body_to_out(&body, PZ_MSG_ERROR, &o) == 0 ? o : NULL;
}

void pz_reply_error(pz_actor_t *self, const pz_msg_t *req, int code, const char *message)
{
    assert(code < 0);
    pz_out_t *o = s_error_out(code, message ? message : pz_strerror(code));
    const pz_envelope_t *e = pz_msg_envelope(req);
    int rc = o ? s_send(self, e->from, &o, PZ_MSGF_REPLY | PZ_MSGF_ERROR, e->corr, e->deadline_ns)
               : PZ_ENOMEM;
    if (rc != 0) {
        pz_log(self, PZ_LOG_WARN, "cannot send error reply to %s: %s", e->from, pz_strerror(rc));
        pz_out_free(&o);
    }
}

void *pz_reply_ctx(pz_actor_t *self)
{
    return self->reply_ctx;
}

int pz_reply_forward(pz_actor_t *self, const pz_msg_t *req, const pz_msg_t *body_of)
{
    /* The body goes as it came, copied once, straight into the new frame. */
    const pz_envelope_t *be = pz_msg_envelope(body_of);
    uint8_t flags = PZ_MSGF_REPLY | (be->flags & PZ_MSGF_ERROR);
    const pz_envelope_t *e = pz_msg_envelope(req);
    return s_send_body(self, e->from, pz_msg_type(body_of), NULL, pz_msg_body(body_of), flags,
                       e->corr, e->deadline_ns);
}

void pz_actor_address(const pz_actor_t *self, char *buf, size_t cap)
{
    if (pz__k->listen[0]) {
        snprintf(buf, cap, "%s@%s", self->name, pz__k->listen);
    } else {
        snprintf(buf, cap, "%s", self->name);
    }
}

pz_msg_t *pz_msg_keep(pz_msg_t *msg)
{
    s_kept = msg;
    return msg;
}

/* ---------------------------------------------------------------------------------------- */
/* Dispatch                                                                                  */

static void s_deliver(pz_actor_t *a, pz_msg_t *m)
{
    uint64_t t0 = pz__real_ns();
    s_kept = NULL;
    int rc = a->desc->on_message(a, a->state, m);
    if (rc != 0) {
        pz_log(a, PZ_LOG_DEBUG, "on_message(%s) returned %s",
               pz_msg_type_name(pz_msg_type(m)) ?: "?", pz_err_name(rc));
    }
    if (s_kept != m) {
        pz_msg_free(&m);
    }
    s_kept = NULL;
    pz_metric_add(a->m_handled, 1);
    pz_metric_observe(a->m_handle_us, (pz__real_ns() - t0) / 1000);
}

/* A PONG with the PING's body, copied once straight into the reply's frame. */
static void s_answer_ping(pz_actor_t *a, pz_msg_t *m)
{
    const pz_envelope_t *e = pz_msg_envelope(m);
    (void)s_send_body(a, e->from, PZ_MSG_PONG, NULL, pz_msg_body(m), PZ_MSGF_REPLY, e->corr,
                      e->deadline_ns);
}

void pz__actor_dispatch(pz_actor_t *a, pz_msg_t *m)
{
    const pz_envelope_t *e = pz_msg_envelope(m);
    if (e->flags & PZ_MSGF_REPLY) {
        void *ctx = NULL;
        int64_t timer = s_pending_take(a, e->corr, &ctx);
        if (timer == 0) { /* timed out already, or never asked */
            pz_metric_add(pz__k->m_late_replies, 1);
            pz_msg_free(&m);
            return;
        }
        pz__timer_cancel(a->thread, timer);
        a->reply_ctx = ctx;
        s_deliver(a, m);
        a->reply_ctx = NULL;
        return;
    }
    if (e->deadline_ns != 0 && pz__real_ns() > e->deadline_ns) {
        pz_metric_add(pz__k->m_expired, 1);
        pz_msg_free(&m);
        return;
    }
    if (pz_msg_type_name(e->type) == NULL && e->type < 1000) {
        pz_metric_add(pz__k->m_unknown, 1);
        pz_reply_error(a, m, PZ_EUNKNOWN_TYPE, "unknown message type");
        pz_msg_free(&m);
        return;
    }
    if (e->type == PZ_MSG_PING) {
        s_answer_ping(a, m);
        pz_msg_free(&m);
        return;
    }
    s_deliver(a, m);
}

/* Synthesizes the error reply a request gets when its timeout fires first. */
void pz__actor_timer_fired(pz_actor_t *a, const pz__timer_t *tm)
{
    if (tm->kind == PZ__TIMER_USER) {
        if (a->desc->on_timer) {
            a->desc->on_timer(a, a->state, tm->arg);
        }
        return;
    }
    void *ctx = NULL;
    if (s_pending_take(a, tm->arg, &ctx) == 0) {
        return;
    }
    pz_envelope_t env = {.proto_version = PZ_PROTO_VERSION,
                         .type = PZ_MSG_ERROR,
                         .type_version = 1,
                         .flags = PZ_MSGF_REPLY | PZ_MSGF_ERROR,
                         .corr = tm->arg};
    snprintf(env.to, sizeof env.to, "%s", a->name);
    snprintf(env.from, sizeof env.from, "%s", a->name);
    uint8_t eb[PZ_ENVELOPE_BYTES_MAX];
    size_t elen = 0, blen = 0;
    pz_out_t *o = s_error_out(PZ_ETIMEDOUT, "request timed out");
    uint8_t *body = o ? pz__out_take(o, &blen) : NULL;
    pz_out_free(&o);
    pz_msg_t *m = NULL;
    if (body == NULL || pz_envelope_encode(&env, eb, sizeof eb, &elen) != 0 ||
        pz__msg_new(eb, elen, body, blen, free, body, &m) != 0) {
        free(body);
        pz_log(a, PZ_LOG_ERROR, "cannot synthesize a timeout reply (out of memory)");
        return;
    }
    a->reply_ctx = ctx;
    s_deliver(a, m);
    a->reply_ctx = NULL;
}
