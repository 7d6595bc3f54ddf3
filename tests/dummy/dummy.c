/*
 * dummy.c — the dummy modules of the kernel tests, every one built from this file.
 *
 * Built plain (PZ_DUMMY_NAME="echo") it is the good module the runtime tests drive: an echo actor
 * with the modes and commands dummy.h describes. Each bad variant is this same module with one
 * compile definition that breaks exactly one thing the loader checks, so a refusal can only be
 * for that reason:
 *   PZ_DUMMY_ABI_MAJOR=N, PZ_DUMMY_ABI_MINOR=N   the descriptor's ABI numbers
 *   PZ_DUMMY_SHORT_STRUCT                         struct_size ends before the v1.0 fields do
 *   PZ_DUMMY_BUILD_SIG="..."                      another build signature
 *   PZ_DUMMY_NO_INIT, _NO_FINI, _NO_ON_MESSAGE    a required hook left NULL
 *   PZ_DUMMY_NO_EXPORT                            the descriptor function exists but is hidden
 *   PZ_DUMMY_DESC_NAME="..."                      the descriptor names another module (or none)
 *   PZ_DUMMY_NO_VERSION                           version left NULL
 *   PZ_DUMMY_NULL_DESC                            the descriptor function returns NULL
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dummy.h"
#include "phantomzero/kernel.h"
#include "phantomzero/module.h"

#ifndef PZ_DUMMY_NAME
#define PZ_DUMMY_NAME "echo"
#endif
#ifndef PZ_DUMMY_ABI_MAJOR
#define PZ_DUMMY_ABI_MAJOR PZ_MODULE_ABI_MAJOR
#endif
#ifndef PZ_DUMMY_ABI_MINOR
#define PZ_DUMMY_ABI_MINOR PZ_MODULE_ABI_MINOR
#endif
#ifndef PZ_DUMMY_BUILD_SIG
#define PZ_DUMMY_BUILD_SIG PZ_BUILD_SIG
#endif
#ifndef PZ_DUMMY_DESC_NAME
#define PZ_DUMMY_DESC_NAME PZ_DUMMY_NAME
#endif

/* Bad variants leave some hooks out of the descriptor; the functions stay compiled. */
#define S_HOOK __attribute__((unused))

/* Timer ids at and above this answer a delayed reply (kept slot = id - base); below, they are
 * the init timers whose firing order is recorded. */
#define S_DELAY_TIMER_BASE (1ull << 32)

/* Module-wide: every echo actor of the process shares it, so one actor can hold another. */
static atomic_bool s_hold;

typedef struct {
    char from[PZ_ADDR_BYTES_MAX];
    uint64_t count;
    uint64_t violations;
    uint64_t last;
} s_sender_t;

typedef struct {
    char forward[PZ_ADDR_BYTES_MAX];
    uint32_t forward_timeout_ms;
    bool drop;
    uint32_t reply_delay_ms;
    s_sender_t senders[DUMMY_SENDERS_MAX];
    int senders_len;
    uint64_t fired[DUMMY_TIMERS_MAX];
    int fired_len;
    uint64_t timeouts;
    uint64_t replies;
    uint64_t bad_ctx;
    uint64_t next_seq;
    pz_msg_t *kept[DUMMY_KEPT_MAX]; /* requests waiting for a reply or a timer */
} s_echo_t;

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                             */

static int s_keep(s_echo_t *e, pz_msg_t *m)
{
    for (int i = 0; i < DUMMY_KEPT_MAX; i++) {
        if (e->kept[i] == NULL) {
            e->kept[i] = pz_msg_keep(m);
            return i;
        }
    }
    return -1;
}

/* Removes m from the kept set; false if it was not there. */
static bool s_unkeep(s_echo_t *e, const pz_msg_t *m)
{
    for (int i = 0; m != NULL && i < DUMMY_KEPT_MAX; i++) {
        if (e->kept[i] == m) {
            e->kept[i] = NULL;
            return true;
        }
    }
    return false;
}

static s_sender_t *s_sender(s_echo_t *e, const char *from, bool create)
{
    for (int i = 0; i < e->senders_len; i++) {
        if (strcmp(e->senders[i].from, from) == 0) {
            return &e->senders[i];
        }
    }
    if (!create || e->senders_len == DUMMY_SENDERS_MAX) {
        return NULL;
    }
    s_sender_t *s = &e->senders[e->senders_len++];
    snprintf(s->from, sizeof s->from, "%s", from);
    return s;
}

/* Replies with a msgpack array [a, b]: a count and a PZ_E* code (0 when none). */
static int s_reply_pair(pz_actor_t *self, const pz_msg_t *req, uint64_t a, int64_t b)
{
    pz_out_t *o = pz_out_new(DUMMY_T_CMD);
    if (o == NULL) {
        return PZ_ENOMEM;
    }
    msgpack_packer *pk = pz_out_packer(o);
    int rc = msgpack_pack_array(pk, 2);
    rc = rc ? rc : msgpack_pack_uint64(pk, a);
    rc = rc ? rc : msgpack_pack_int64(pk, b);
    rc = rc ? PZ_ENOMEM : pz_reply(self, req, &o);
    pz_out_free(&o);
    return rc;
}

static int s_send_seq(pz_actor_t *self, s_echo_t *e, const char *to)
{
    pz_out_t *o = pz_out_new(DUMMY_T_SEQ);
    if (o == NULL) {
        return PZ_ENOMEM;
    }
    msgpack_packer *pk = pz_out_packer(o);
    if (msgpack_pack_array(pk, 1) != 0 || msgpack_pack_uint64(pk, e->next_seq + 1) != 0) {
        pz_out_free(&o);
        return PZ_ENOMEM;
    }
    int rc = pz_send(self, to, &o);
    if (rc != 0) {
        pz_out_free(&o);
        return rc;
    }
    e->next_seq++;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Commands                                                                                  */

static int s_cmd_report(pz_actor_t *self, s_echo_t *e, const pz_msg_t *req, const char *who)
{
    const s_sender_t *s = s_sender(e, who, false);
    pz_out_t *o = pz_out_new(DUMMY_T_CMD);
    if (o == NULL) {
        return PZ_ENOMEM;
    }
    msgpack_packer *pk = pz_out_packer(o);
    int rc = msgpack_pack_array(pk, 7);
    rc = rc ? rc : msgpack_pack_uint64(pk, s ? s->count : 0);
    rc = rc ? rc : msgpack_pack_uint64(pk, s ? s->violations : 0);
    rc = rc ? rc : msgpack_pack_uint64(pk, s ? s->last : 0);
    rc = rc ? rc : msgpack_pack_array(pk, (size_t)e->fired_len);
    for (int i = 0; rc == 0 && i < e->fired_len; i++) {
        rc = msgpack_pack_uint64(pk, e->fired[i]);
    }
    rc = rc ? rc : msgpack_pack_uint64(pk, e->timeouts);
    rc = rc ? rc : msgpack_pack_uint64(pk, e->replies);
    rc = rc ? rc : msgpack_pack_uint64(pk, e->bad_ctx);
    rc = rc ? PZ_ENOMEM : pz_reply(self, req, &o);
    pz_out_free(&o);
    return rc;
}

static int s_cmd_flood(pz_actor_t *self, s_echo_t *e, const pz_msg_t *req, const char *to,
                       uint64_t max)
{
    atomic_store(&s_hold, true);
    pz_out_t *o = pz_out_new(DUMMY_T_HOLD);
    int rc = o ? pz_send(self, to, &o) : PZ_ENOMEM;
    pz_out_free(&o);
    uint64_t sent = 0;
    while (rc == 0 && sent < max && (rc = s_send_seq(self, e, to)) == 0) {
        sent++;
    }
    atomic_store(&s_hold, false);
    return s_reply_pair(self, req, sent, rc);
}

static int s_on_cmd(pz_actor_t *self, s_echo_t *e, pz_msg_t *msg)
{
    pz_view_t body = pz_msg_body(msg);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = PZ_EPROTO;
    if (msgpack_unpack_next(&u, (const char *)body.ptr, body.len, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 3 &&
        u.data.via.array.ptr[0].type == MSGPACK_OBJECT_STR &&
        u.data.via.array.ptr[1].type == MSGPACK_OBJECT_STR &&
        u.data.via.array.ptr[2].type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        const msgpack_object *a = u.data.via.array.ptr;
        char name[32], target[PZ_ADDR_BYTES_MAX];
        snprintf(name, sizeof name, "%.*s", (int)a[0].via.str.size, a[0].via.str.ptr);
        snprintf(target, sizeof target, "%.*s", (int)a[1].via.str.size, a[1].via.str.ptr);
        uint64_t n = a[2].via.u64;
        if (strcmp(name, "report") == 0) {
            rc = s_cmd_report(self, e, msg, target);
        } else if (strcmp(name, "send_seq") == 0) {
            uint64_t sent = 0;
            rc = 0;
            while (sent < n && (rc = s_send_seq(self, e, target)) == 0) {
                sent++;
            }
            rc = s_reply_pair(self, msg, sent, rc);
        } else if (strcmp(name, "flood") == 0) {
            rc = s_cmd_flood(self, e, msg, target, n);
        }
    }
    msgpack_unpacked_destroy(&u);
    if (rc == PZ_EPROTO) {
        pz_reply_error(self, msg, PZ_EPROTO, "bad dummy command");
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Messages                                                                                  */

static int s_on_seq(s_echo_t *e, pz_msg_t *msg)
{
    pz_view_t body = pz_msg_body(msg);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = PZ_EPROTO;
    if (msgpack_unpack_next(&u, (const char *)body.ptr, body.len, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 1 &&
        u.data.via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        uint64_t seq = u.data.via.array.ptr[0].via.u64;
        s_sender_t *s = s_sender(e, pz_msg_sender(msg), true);
        if (s != NULL) {
            s->violations += seq != s->last + 1;
            s->last = seq;
            s->count++;
            rc = 0;
        }
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

static void s_on_hold(void)
{
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < DUMMY_HOLD_MS_MAX && atomic_load(&s_hold); i++) {
        nanosleep(&ms, NULL);
    }
}

static int s_on_echo(pz_actor_t *self, s_echo_t *e, pz_msg_t *msg)
{
    if (e->drop) {
        return 0;
    }
    if (e->reply_delay_ms > 0) {
        int slot = s_keep(e, msg);
        uint64_t id = S_DELAY_TIMER_BASE + (uint64_t)slot;
        if (slot >= 0 && pz_timer_arm(self, e->reply_delay_ms, id) > 0) {
            return 0;
        }
        pz_reply_error(self, msg, PZ_ELIMIT, "dummy cannot delay more replies");
        if (slot >= 0) { /* kept already: the kernel will not free it, so we do */
            e->kept[slot] = NULL;
            pz_msg_free(&msg);
        }
        return PZ_ELIMIT;
    }
    if (e->forward[0] == '\0') {
        return pz_reply_forward(self, msg, msg);
    }
    int rc = pz_request_forward(self, e->forward, msg, e->forward_timeout_ms, msg, NULL);
    if (rc == 0 && s_keep(e, msg) < 0) {
        rc = PZ_ELIMIT; /* cannot happen in the tests: they keep far fewer */
    }
    if (rc != 0) {
        pz_reply_error(self, msg, rc, "dummy cannot forward");
    }
    return rc;
}

/* A reply to a forwarded request (or the kernel's timeout for it): pass it back up. */
static int s_on_reply(pz_actor_t *self, s_echo_t *e, pz_msg_t *msg)
{
    e->replies++;
    if (pz_msg_error(msg, NULL) == PZ_ETIMEDOUT) {
        e->timeouts++;
    }
    pz_msg_t *req = pz_reply_ctx(self);
    if (!s_unkeep(e, req)) {
        e->bad_ctx++;
        return PZ_EINTERNAL;
    }
    int rc = pz_reply_forward(self, req, msg);
    pz_msg_free(&req);
    return rc;
}

static S_HOOK int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_echo_t *e = state;
    if (pz_msg_is_reply(msg)) {
        return s_on_reply(self, e, msg);
    }
    switch (pz_msg_type(msg)) {
    case DUMMY_T_ECHO:
        return s_on_echo(self, e, msg);
    case DUMMY_T_CMD:
        return s_on_cmd(self, e, msg);
    case DUMMY_T_SEQ:
        return s_on_seq(e, msg);
    case DUMMY_T_HOLD:
        s_on_hold();
        return 0;
    default:
        pz_reply_error(self, msg, PZ_EUNKNOWN_TYPE, "dummy does not handle this type");
        return PZ_EUNKNOWN_TYPE;
    }
}

static void s_on_timer(pz_actor_t *self, void *state, uint64_t timer_id)
{
    s_echo_t *e = state;
    if (timer_id < S_DELAY_TIMER_BASE) {
        if (e->fired_len < DUMMY_TIMERS_MAX) {
            e->fired[e->fired_len++] = timer_id;
        }
        return;
    }
    uint64_t slot = timer_id - S_DELAY_TIMER_BASE;
    pz_msg_t *req = slot < DUMMY_KEPT_MAX ? e->kept[slot] : NULL;
    if (req != NULL) {
        e->kept[slot] = NULL;
        pz_reply_forward(self, req, req);
        pz_msg_free(&req);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Lifecycle                                                                                 */

/* timer_ms = "d0,d1,...": arms timer i after d_i ms; timer_cancel = i cancels one of them. */
static int s_arm_timers(pz_actor_t *self, const pz_cfg_t *cfg)
{
    char list[512];
    snprintf(list, sizeof list, "%s", pz_cfg_str(cfg, "timer_ms", ""));
    int64_t cancel = -1;
    if (pz_cfg_int(cfg, "timer_cancel", -1, &cancel) != 0) {
        return PZ_ECONFIG;
    }
    uint64_t id = 0;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok && id < DUMMY_TIMERS_MAX;
         tok = strtok_r(NULL, ",", &save), id++) {
        int64_t h = pz_timer_arm(self, (uint32_t)strtoul(tok, NULL, 10), id);
        if (h <= 0) {
            return (int)h;
        }
        if ((int64_t)id == cancel) {
            pz_timer_cancel(self, h);
        }
    }
    return 0;
}

static S_HOOK int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    s_echo_t *e = calloc(1, sizeof *e);
    if (e == NULL) {
        return PZ_ENOMEM;
    }
    *state = e;
    snprintf(e->forward, sizeof e->forward, "%s", pz_cfg_str(cfg, "forward", ""));
    int64_t timeout = 0, delay = 0;
    bool fail = false;
    int rc = pz_cfg_int(cfg, "forward_timeout_ms", 5000, &timeout);
    rc = rc ? rc : pz_cfg_int(cfg, "reply_delay_ms", 0, &delay);
    rc = rc ? rc : pz_cfg_bool(cfg, "drop", false, &e->drop);
    rc = rc ? rc : pz_cfg_bool(cfg, "init_fail", false, &fail);
    if (rc != 0) {
        return rc;
    }
    e->forward_timeout_ms = (uint32_t)timeout;
    e->reply_delay_ms = (uint32_t)delay;
    if (fail) {
        pz_log(self, PZ_LOG_ERROR, "dummy init fails as configured");
        return PZ_ECONFIG;
    }
    return s_arm_timers(self, cfg);
}

static S_HOOK void s_fini(pz_actor_t *self, void *state)
{
    s_echo_t *e = state;
    for (int i = 0; i < DUMMY_KEPT_MAX; i++) {
        pz_msg_free(&e->kept[i]);
    }
    pz_log(self, PZ_LOG_INFO, "dummy fini");
    free(e);
}

static const pz_module_desc_t s_desc = {
    .abi_major = PZ_DUMMY_ABI_MAJOR,
    .abi_minor = PZ_DUMMY_ABI_MINOR,
#ifdef PZ_DUMMY_SHORT_STRUCT
    .struct_size = (uint32_t)offsetof(pz_module_desc_t, on_timer),
#else
    .struct_size = sizeof(pz_module_desc_t),
#endif
    .build_sig = PZ_DUMMY_BUILD_SIG,
    .name = PZ_DUMMY_DESC_NAME,
#ifndef PZ_DUMMY_NO_VERSION
    .version = PZ_VERSION,
#endif
#ifndef PZ_DUMMY_NO_INIT
    .init = s_init,
#endif
#ifndef PZ_DUMMY_NO_FINI
    .fini = s_fini,
#endif
#ifndef PZ_DUMMY_NO_ON_MESSAGE
    .on_message = s_on_message,
#endif
    .on_timer = s_on_timer,
};

#if defined(PZ_DUMMY_NO_EXPORT)
/* Compiled, but without PZ_EXPORT: -fvisibility=hidden keeps it out of the dynamic symbols. */
const pz_module_desc_t *pz_module_descriptor(void);
const pz_module_desc_t *pz_module_descriptor(void)
{
    return &s_desc;
}
#elif defined(PZ_DUMMY_NULL_DESC)
PZ_EXPORT const pz_module_desc_t *pz_module_descriptor(void);
PZ_EXPORT const pz_module_desc_t *pz_module_descriptor(void)
{
    (void)s_desc;
    return NULL;
}
#else
PZ_MODULE_DEFINE(s_desc)
#endif
