/*
 * test_runtime.c — proves the actor runtime does what kernel.h and runtime.c promise, with real
 * kernel threads: request/reply round trips in-process and over tcp (through the gateway, and
 * from a process without a kernel); PING answered with PONG and an unknown type with a
 * PZ_EUNKNOWN_TYPE error by the kernel itself; per-sender FIFO between actors on one thread and
 * across threads; request chains across threads routing every reply to its own requester;
 * timers firing in due order, a cancelled one never; a request nobody answers ending in a
 * synthesized PZ_ETIMEDOUT reply, and a reply after that dropped and counted; backpressure
 * (pz_send returns PZ_EBUSY into a full mailbox, on the same thread and into a blocked actor on
 * another, and nothing accepted is lost or reordered); malformed frames to a thread inbox and to
 * the tcp endpoint counted and survived, messages for unknown actors counted, expired requests
 * dropped; a STOP message from the network ignored; empty bodies; mailslots; clean stop with
 * work in flight; a failing init, a refused module or no modules making pz__kernel_start fail
 * and leave no kernel behind.
 *
 * How: pz__kernel_start on a config string loading the dummy echo module (tests/dummy) as
 * several actors, driven by pz_client calls; what an actor saw is asked of it by message
 * (dummy.h). Waits for something that must happen are long (seconds) and polled; only waits for
 * something that must time out are short. Tests that may crash the kernel, or need a process
 * without one, run in a forked child. Every test has a watchdog (kernel_test.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "dummy.h"
#include "kernel_test.h"

/* "Must arrive" waits: generous, for a loaded 2-core machine under ASan. */
#define T_ARRIVE_MS 8000u

/* ---------------------------------------------------------------------------------------- */
/* Kernel, clients and raw sockets of the current test; the teardown releases what a failed
 * test left behind (pz__kernel_stop waits for every socket of its context to close).         */

#define T_CLIENTS_MAX 8
#define T_RAW_MAX 4

static zconfig_t *s_cfg;
static pz_client_t *s_clients[T_CLIENTS_MAX];
static void *s_raw[T_RAW_MAX];

static void s_release(void)
{
    for (int i = 0; i < T_CLIENTS_MAX; i++) {
        pz_client_destroy(&s_clients[i]);
    }
    for (int i = 0; i < T_RAW_MAX; i++) {
        if (s_raw[i] != NULL) {
            zmq_close(s_raw[i]);
            s_raw[i] = NULL;
        }
    }
}

static int s_teardown(void **state)
{
    s_release();
    pz__kernel_stop();
    zconfig_destroy(&s_cfg);
    return t_watchdog_disarm(state);
}

/* Config text for a kernel with `threads` threads, listening on `listen` ("" for none), with the
 * modules section body `modules` (each actor indented 4, its keys 8). */
static void s_config_text(char *buf, size_t cap, int threads, const char *listen,
                          const char *modules)
{
    int n = snprintf(buf, cap, "node\n    threads = %d\n    seed = 1\n    module_dir = \"%s\"\n",
                     threads, PZ_TEST_DUMMY_DIR);
    if (listen[0]) {
        n += snprintf(buf + n, cap - (size_t)n, "    listen = \"%s\"\n", listen);
    }
    n += snprintf(buf + n, cap - (size_t)n, "modules\n%s", modules);
    assert_true((size_t)n < cap);
}

static int s_try_start(int threads, const char *listen, const char *modules)
{
    char text[4096];
    s_config_text(text, sizeof text, threads, listen, modules);
    assert_null(s_cfg);
    assert_int_equal(pz__config_load_str(text, "test", &s_cfg), 0);
    return pz__kernel_start(s_cfg, "test");
}

static void s_start(int threads, const char *listen, const char *modules)
{
    assert_int_equal(s_try_start(threads, listen, modules), 0);
    assert_non_null(pz__k);
}

static void s_stop(void)
{
    s_release();
    pz__kernel_stop();
    assert_null(pz__k);
    zconfig_destroy(&s_cfg);
}

static pz_client_t *s_client(const char *endpoint)
{
    for (int i = 0; i < T_CLIENTS_MAX; i++) {
        if (s_clients[i] == NULL) {
            s_clients[i] = pz_client_new(endpoint);
            assert_non_null(s_clients[i]);
            return s_clients[i];
        }
    }
    fail_msg("more than %d clients in one test", T_CLIENTS_MAX);
    return NULL;
}

static void *s_raw_push(void *zctx, const char *endpoint)
{
    for (int i = 0; i < T_RAW_MAX; i++) {
        if (s_raw[i] == NULL) {
            s_raw[i] = zmq_socket(zctx, ZMQ_PUSH);
            assert_non_null(s_raw[i]);
            int linger = 0;
            zmq_setsockopt(s_raw[i], ZMQ_LINGER, &linger, sizeof linger);
            assert_int_equal(zmq_connect(s_raw[i], endpoint), 0);
            return s_raw[i];
        }
    }
    fail_msg("more than %d raw sockets in one test", T_RAW_MAX);
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Messages                                                                                  */

static pz_out_t *s_echo_out(const char *text)
{
    pz_out_t *o = pz_out_new(DUMMY_T_ECHO);
    assert_non_null(o);
    if (text != NULL) { /* NULL: an empty body */
        msgpack_packer *pk = pz_out_packer(o);
        assert_int_equal(msgpack_pack_str_with_body(pk, text, strlen(text)), 0);
    }
    return o;
}

static pz_out_t *s_cmd_out(const char *name, const char *target, uint64_t n)
{
    pz_out_t *o = pz_out_new(DUMMY_T_CMD);
    assert_non_null(o);
    msgpack_packer *pk = pz_out_packer(o);
    assert_int_equal(msgpack_pack_array(pk, 3), 0);
    assert_int_equal(msgpack_pack_str_with_body(pk, name, strlen(name)), 0);
    assert_int_equal(msgpack_pack_str_with_body(pk, target, strlen(target)), 0);
    assert_int_equal(msgpack_pack_uint64(pk, n), 0);
    return o;
}

/* Calls and asserts a reply came (it may be an error reply). */
static pz_msg_t *s_call(pz_client_t *c, const char *to, pz_out_t *o, uint32_t timeout_ms)
{
    pz_msg_t *reply = NULL;
    int rc = pz_client_call(c, to, &o, timeout_ms, &reply);
    if (rc != 0) {
        pz_out_free(&o);
        fail_msg("call to %s: %s", to, pz_err_name(rc));
    }
    assert_null(o);
    assert_non_null(reply);
    assert_true(pz_msg_is_reply(reply));
    return reply;
}

/* An echo round trip: the reply has the request's type and body. */
static void s_echo(pz_client_t *c, const char *to, const char *text)
{
    pz_out_t *o = s_echo_out(text);
    size_t len = pz_out_len(o);
    pz_msg_t *r = s_call(c, to, o, T_ARRIVE_MS);
    assert_int_equal(pz_msg_error(r, NULL), 0);
    assert_int_equal(pz_msg_type(r), DUMMY_T_ECHO);
    pz_view_t body = pz_msg_body(r);
    assert_int_equal(body.len, len);
    if (text != NULL) {
        assert_int_equal(body.ptr[0] & 0xe0, 0xa0); /* fixstr; tests use short texts */
        assert_memory_equal(body.ptr + 1, text, strlen(text));
    }
    pz_msg_free(&r);
}

/* The code of an error reply (asserting it is one). */
static int s_error_of(pz_msg_t *r)
{
    assert_true(pz_msg_is_reply(r));
    assert_true(pz_msg_envelope(r)->flags & PZ_MSGF_ERROR);
    int code = pz_msg_error(r, NULL);
    assert_true(code < 0);
    return code;
}

typedef struct {
    uint64_t count, violations, last;
    uint64_t fired[DUMMY_TIMERS_MAX];
    uint32_t fired_len;
    uint64_t timeouts, replies, bad_ctx;
} s_report_t;

static uint64_t s_u64(const msgpack_object *o)
{
    assert_int_equal(o->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    return o->via.u64;
}

static s_report_t s_report(pz_client_t *c, const char *actor, const char *sender)
{
    pz_msg_t *r = s_call(c, actor, s_cmd_out("report", sender, 0), T_ARRIVE_MS);
    assert_int_equal(pz_msg_error(r, NULL), 0);
    pz_view_t body = pz_msg_body(r);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    assert_int_equal(msgpack_unpack_next(&u, (const char *)body.ptr, body.len, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(u.data.type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(u.data.via.array.size, 7);
    const msgpack_object *a = u.data.via.array.ptr;
    s_report_t rep = {.count = s_u64(&a[0]),
                      .violations = s_u64(&a[1]),
                      .last = s_u64(&a[2]),
                      .timeouts = s_u64(&a[4]),
                      .replies = s_u64(&a[5]),
                      .bad_ctx = s_u64(&a[6])};
    assert_int_equal(a[3].type, MSGPACK_OBJECT_ARRAY);
    rep.fired_len = a[3].via.array.size;
    assert_true(rep.fired_len <= DUMMY_TIMERS_MAX);
    for (uint32_t i = 0; i < rep.fired_len; i++) {
        rep.fired[i] = s_u64(&a[3].via.array.ptr[i]);
    }
    msgpack_unpacked_destroy(&u);
    pz_msg_free(&r);
    return rep;
}

/* Polls the report until `sender` has sent `count` messages (or T_ARRIVE_MS passes). */
static s_report_t s_wait_count(pz_client_t *c, const char *actor, const char *sender,
                               uint64_t count)
{
    uint64_t deadline = t_now_ms() + T_ARRIVE_MS;
    s_report_t rep = s_report(c, actor, sender);
    while (rep.count < count && t_now_ms() < deadline) {
        t_sleep_ms(5);
        rep = s_report(c, actor, sender);
    }
    if (rep.count != count) {
        fail_msg("%s got %llu messages from %s, expected %llu", actor,
                 (unsigned long long)rep.count, sender, (unsigned long long)count);
    }
    return rep;
}

/* Parses a command's [n, rc] reply body; false if it is not one. No asserts: worker threads use
 * it too. */
static bool s_parse_pair(pz_msg_t *r, uint64_t *n, int *rc)
{
    pz_view_t body = pz_msg_body(r);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    bool ok =
        pz_msg_error(r, NULL) == 0 &&
        msgpack_unpack_next(&u, (const char *)body.ptr, body.len, NULL) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 2 &&
        u.data.via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER;
    if (ok) {
        const msgpack_object *code = &u.data.via.array.ptr[1];
        *n = u.data.via.array.ptr[0].via.u64;
        *rc =
            code->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? (int)code->via.i64 : (int)code->via.u64;
    }
    msgpack_unpacked_destroy(&u);
    return ok;
}

/* A command answered with [n, rc]. */
static void s_cmd_pair(pz_client_t *c, const char *actor, pz_out_t *cmd, uint64_t *n, int *rc)
{
    pz_msg_t *r = s_call(c, actor, cmd, T_ARRIVE_MS);
    assert_true(s_parse_pair(r, n, rc));
    pz_msg_free(&r);
}

/* ---------------------------------------------------------------------------------------- */
/* Metrics and raw frames                                                                    */

static uint64_t s_metric(const char *name)
{
    return pz_metric_value(pz_metric_counter(name, ""));
}

/* Waits until metric `name` reaches `want`; returns its value. */
static uint64_t s_wait_metric(const char *name, uint64_t want)
{
    uint64_t deadline = t_now_ms() + T_ARRIVE_MS;
    while (s_metric(name) < want && t_now_ms() < deadline) {
        t_sleep_ms(5);
    }
    return s_metric(name);
}

static size_t s_envelope(uint16_t type, const char *to, const char *from, uint64_t deadline_ns,
                         uint8_t *buf)
{
    pz_envelope_t e;
    memset(&e, 0, sizeof e);
    e.proto_version = PZ_PROTO_VERSION;
    e.type = type;
    e.type_version = pz_msg_type_version(type);
    e.corr = 1;
    e.deadline_ns = deadline_ns;
    snprintf(e.to, sizeof e.to, "%s", to);
    snprintf(e.from, sizeof e.from, "%s", from);
    size_t len = 0;
    assert_int_equal(pz_envelope_encode(&e, buf, PZ_ENVELOPE_BYTES_MAX, &len), 0);
    return len;
}

/* Sends frames[0..n) as one multipart message. */
static void s_send_frames(void *sock, int n, const void *const *data, const size_t *len)
{
    for (int i = 0; i < n; i++) {
        assert_true(zmq_send(sock, data[i], len[i], i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
    }
}

/* Sends one message as the kernel does: one frame, the envelope followed by the body. */
static void s_send_one(void *sock, const uint8_t *env, size_t env_len, const void *body,
                       size_t body_len)
{
    uint8_t frame[PZ_ENVELOPE_BYTES_MAX + 64];
    assert_true(env_len + body_len <= sizeof frame);
    memcpy(frame, env, env_len);
    memcpy(frame + env_len, body, body_len);
    assert_true(zmq_send(sock, frame, env_len + body_len, 0) >= 0);
}

/* Three malformed messages: envelope and body as two frames (the old wire format), one frame
 * shorter than the envelope it starts with, a garbage envelope. */
static void s_send_malformed(void *sock, const char *to)
{
    uint8_t env[PZ_ENVELOPE_BYTES_MAX];
    size_t env_len = s_envelope(DUMMY_T_ECHO, to, "nobody", 0, env);
    static const uint8_t body[] = {0xa1, 'x'};
    static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 0xa1, 'x'};
    const void *two[] = {env, body};
    size_t two_len[] = {env_len, sizeof body};
    s_send_frames(sock, 2, two, two_len);
    assert_true(zmq_send(sock, env, env_len - 1, 0) >= 0);
    assert_true(zmq_send(sock, garbage, sizeof garbage, 0) >= 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Round trips                                                                               */

static void test_roundtrip_inproc(void **state)
{
    (void)state;
    s_start(1, "", "    e\n        module = echo\n");
    pz_client_t *c = s_client(NULL);
    char text[32];
    for (int i = 0; i < 200; i++) {
        snprintf(text, sizeof text, "msg-%d", i);
        s_echo(c, "e", text);
    }
    s_echo(c, "e", ""); /* an empty string; an empty body: test_empty_body */
    /* A large body (1 MiB) crosses unchanged. */
    size_t big = 1024 * 1024;
    char *blob = malloc(big);
    assert_non_null(blob);
    for (size_t i = 0; i < big; i++) {
        blob[i] = (char)(i * 31u);
    }
    pz_out_t *o = pz_out_new(DUMMY_T_ECHO);
    assert_int_equal(msgpack_pack_bin_with_body(pz_out_packer(o), blob, big), 0);
    pz_msg_t *r = s_call(c, "e", o, T_ARRIVE_MS);
    pz_view_t body = pz_msg_body(r);
    assert_int_equal(body.len, big + 5);
    assert_memory_equal(body.ptr + 5, blob, big);
    pz_msg_free(&r);
    free(blob);
    s_stop();
}

static void test_ping_pong(void **state)
{
    (void)state;
    s_start(1, "", "    e\n        module = echo\n");
    pz_client_t *c = s_client(NULL);
    pz_ping_t ping = {.seq = 7, .payload = pz_view_str("xyz")};
    pz_out_t *o = NULL;
    assert_int_equal(pz_ping_to_out(&ping, PZ_MSG_PING, &o), 0);
    pz_msg_t *r = s_call(c, "e", o, T_ARRIVE_MS);
    assert_int_equal(pz_msg_type(r), PZ_MSG_PONG);
    pz_ping_t pong;
    assert_int_equal(pz_ping_from_msg(r, PZ_MSG_PONG, &pong), 0);
    assert_int_equal(pong.seq, 7);
    assert_true(pz_view_eq(pong.payload, pz_view_str("xyz")));
    pz_msg_free(&r);
    s_stop();
}

static void test_unknown_type(void **state)
{
    (void)state;
    s_start(1, "", "    e\n        module = echo\n");
    pz_client_t *c = s_client(NULL);
    uint64_t unknown0 = s_metric("pz_msgs_unknown_type_total");
    pz_out_t *o = pz_out_new(500); /* below 1000 and not in the type table */
    assert_non_null(o);
    pz_msg_t *r = s_call(c, "e", o, T_ARRIVE_MS);
    assert_int_equal(s_error_of(r), PZ_EUNKNOWN_TYPE);
    pz_msg_free(&r);
    assert_int_equal(s_metric("pz_msgs_unknown_type_total"), unknown0 + 1);
    s_echo(c, "e", "still serving");
    s_stop();
}

static void test_client_errors(void **state)
{
    (void)state;
    assert_null(pz_client_new(NULL)); /* in-process, but no kernel runs here */
    s_start(1, "",
            "    e\n        module = echo\n    d\n        module = echo\n"
            "        drop = true\n");
    pz_client_t *c = s_client(NULL);
    pz_out_t *o = s_echo_out("x");
    pz_msg_t *r = NULL;
    assert_int_equal(pz_client_call(c, "nobody", &o, 200, &r), PZ_ENOTFOUND);
    assert_non_null(o); /* not consumed on failure */
    assert_null(r);
    uint64_t t0 = t_now_ms();
    assert_int_equal(pz_client_call(c, "d", &o, 200, &r), PZ_ETIMEDOUT);
    uint64_t took = t_now_ms() - t0;
    assert_null(o); /* sent: consumed */
    assert_null(r);
    assert_true(took >= 190 && took < 5000);
    s_echo(c, "e", "after a timeout");
    s_stop();
}

/* ---------------------------------------------------------------------------------------- */
/* Ordering                                                                                  */

/* a and b share one kernel thread: b's inbox is drained after a's hook returns. */
static void test_fifo_same_thread(void **state)
{
    (void)state;
    s_start(1, "", "    a\n        module = echo\n    b\n        module = echo\n");
    pz_client_t *c = s_client(NULL);
    uint64_t total = 0;
    for (int round = 0; round < 3; round++) {
        uint64_t sent = 0;
        int rc = -1;
        s_cmd_pair(c, "a", s_cmd_out("send_seq", "b", 1500), &sent, &rc);
        assert_int_equal(rc, 0);
        assert_int_equal(sent, 1500);
        total += sent;
        s_report_t rep = s_wait_count(c, "b", "a", total);
        assert_int_equal(rep.violations, 0);
        assert_int_equal(rep.last, total);
    }
    s_stop();
}

typedef struct {
    const char *actor;
    const char *target;
    int rounds;
    uint64_t n;
    uint64_t sent;
    int failures;
} s_sender_job_t;

/* Worker thread: its own client, asking its actor to send batches. No cmocka asserts here:
 * failures are counted and checked by the main thread. */
static void *s_sender_main(void *arg)
{
    s_sender_job_t *job = arg;
    pz_client_t *c = pz_client_new(NULL);
    for (int i = 0; c != NULL && i < job->rounds; i++) {
        pz_out_t *o = pz_out_new(DUMMY_T_CMD);
        msgpack_packer *pk = pz_out_packer(o);
        msgpack_pack_array(pk, 3);
        msgpack_pack_str_with_body(pk, "send_seq", 8);
        msgpack_pack_str_with_body(pk, job->target, strlen(job->target));
        msgpack_pack_uint64(pk, job->n);
        pz_msg_t *r = NULL;
        pz_client_call(c, job->actor, &o, T_ARRIVE_MS, &r);
        uint64_t sent = 0;
        int send_rc = -1;
        if (r == NULL || !s_parse_pair(r, &sent, &send_rc) || send_rc != 0) {
            job->failures++;
        }
        job->sent += sent;
        pz_out_free(&o);
        pz_msg_free(&r);
    }
    job->failures += c == NULL;
    pz_client_destroy(&c);
    return NULL;
}

/* Two senders on two threads send to one receiver at once: each sender's messages arrive in the
 * order sent, interleaved however the threads run. */
static void test_fifo_across_threads(void **state)
{
    (void)state;
    s_start(2, "",
            "    a\n        module = echo\n        thread = 0\n"
            "    b\n        module = echo\n        thread = 1\n"
            "    r\n        module = echo\n        thread = 1\n");
    s_sender_job_t jobs[2] = {{.actor = "a", .target = "r", .rounds = 3, .n = 1500},
                              {.actor = "b", .target = "r", .rounds = 3, .n = 1500}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, s_sender_main, &jobs[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
        assert_int_equal(jobs[i].sent, 4500);
    }
    pz_client_t *c = s_client(NULL);
    for (int i = 0; i < 2; i++) {
        s_report_t rep = s_wait_count(c, "r", jobs[i].actor, 4500);
        assert_int_equal(rep.violations, 0);
        assert_int_equal(rep.last, 4500);
    }
    s_stop();
}

typedef struct {
    int id;
    int calls;
    int ok;
    char error[128];
} s_chain_job_t;

static void *s_chain_main(void *arg)
{
    s_chain_job_t *job = arg;
    pz_client_t *c = pz_client_new(NULL);
    for (int i = 0; c != NULL && i < job->calls; i++) {
        char text[32];
        int len = snprintf(text, sizeof text, "w%d-%d", job->id, i);
        pz_out_t *o = pz_out_new(DUMMY_T_ECHO);
        msgpack_pack_str_with_body(pz_out_packer(o), text, (size_t)len);
        pz_msg_t *r = NULL;
        int rc = pz_client_call(c, "f1", &o, T_ARRIVE_MS, &r);
        pz_view_t body = r ? pz_msg_body(r) : (pz_view_t){0};
        if (rc == 0 && pz_msg_type(r) == DUMMY_T_ECHO && body.len == (uint32_t)len + 1 &&
            memcmp(body.ptr + 1, text, (size_t)len) == 0) {
            job->ok++;
        } else if (job->error[0] == '\0') {
            snprintf(job->error, sizeof job->error, "call %d: %s, type %d, %u bytes", i,
                     pz_err_name(rc), r ? pz_msg_type(r) : -1, body.len);
        }
        pz_out_free(&o);
        pz_msg_free(&r);
    }
    pz_client_destroy(&c);
    return NULL;
}

/* client -> f1 (thread 0) -> f2 (thread 1) -> e (thread 0) and back, from four client threads
 * at once: every reply reaches its own requester with its own body, through pz_reply_ctx. */
static void test_chain_across_threads(void **state)
{
    (void)state;
    s_start(2, "",
            "    f1\n        module = echo\n        forward = f2\n        thread = 0\n"
            "    f2\n        module = echo\n        forward = e\n        thread = 1\n"
            "    e\n        module = echo\n        thread = 0\n");
    enum { JOBS = 4, CALLS = 150 };
    s_chain_job_t jobs[JOBS];
    pthread_t th[JOBS];
    for (int i = 0; i < JOBS; i++) {
        jobs[i] = (s_chain_job_t){.id = i, .calls = CALLS};
        assert_int_equal(pthread_create(&th[i], NULL, s_chain_main, &jobs[i]), 0);
    }
    for (int i = 0; i < JOBS; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].ok != CALLS) {
            fail_msg("worker %d: %d of %d calls right; first wrong: %s", i, jobs[i].ok, CALLS,
                     jobs[i].error);
        }
    }
    pz_client_t *c = s_client(NULL);
    const char *fwd[] = {"f1", "f2"};
    for (int i = 0; i < 2; i++) {
        s_report_t rep = s_report(c, fwd[i], "");
        assert_int_equal(rep.replies, JOBS * CALLS);
        assert_int_equal(rep.bad_ctx, 0);
        assert_int_equal(rep.timeouts, 0);
    }
    s_stop();
}

/* ---------------------------------------------------------------------------------------- */
/* Timers and timeouts                                                                       */

/* Timers armed in init: 0 after 240 ms, 1 after 80, 2 after 160 (cancelled), 3 after 80,
 * 4 at once. They fire by due time, the two equal ones in arming order; 2 never does. */
static void test_timers_fire_in_order(void **state)
{
    (void)state;
    s_start(1, "",
            "    t\n        module = echo\n        timer_ms = \"240,80,160,80,0\"\n"
            "        timer_cancel = 2\n");
    pz_client_t *c = s_client(NULL);
    uint64_t deadline = t_now_ms() + T_ARRIVE_MS;
    s_report_t rep = s_report(c, "t", "");
    while (rep.fired_len < 4 && t_now_ms() < deadline) {
        t_sleep_ms(10);
        rep = s_report(c, "t", "");
    }
    assert_int_equal(rep.fired_len, 4);
    t_sleep_ms(300); /* past every due time: the cancelled timer had its chance */
    rep = s_report(c, "t", "");
    assert_int_equal(rep.fired_len, 4);
    uint64_t want[] = {4, 1, 3, 0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rep.fired[i], want[i]);
    }
    s_stop();
}

/* x forwards to d, which drops everything: x's request times out and x receives the kernel's
 * PZ_ETIMEDOUT error reply (with its ctx), which it passes back to the client. */
static void test_request_timeout(void **state)
{
    (void)state;
    s_start(2, "",
            "    x\n        module = echo\n        forward = d\n"
            "        forward_timeout_ms = 150\n"
            "    d\n        module = echo\n        drop = true\n        thread = 1\n");
    pz_client_t *c = s_client(NULL);
    for (int i = 1; i <= 2; i++) {
        uint64_t t0 = t_now_ms();
        pz_msg_t *r = s_call(c, "x", s_echo_out("lost"), T_ARRIVE_MS);
        assert_true(t_now_ms() - t0 >= 140);
        assert_int_equal(s_error_of(r), PZ_ETIMEDOUT);
        pz_msg_free(&r);
        s_report_t rep = s_report(c, "x", "");
        assert_int_equal(rep.timeouts, i);
        assert_int_equal(rep.replies, i);
        assert_int_equal(rep.bad_ctx, 0);
    }
    s_stop();
}

/* s answers after 400 ms, x gives up after 100: the late reply is dropped by the kernel and
 * counted, and x sees only the timeout. */
static void test_late_reply_dropped(void **state)
{
    (void)state;
    s_start(2, "",
            "    x\n        module = echo\n        forward = s\n"
            "        forward_timeout_ms = 100\n"
            "    s\n        module = echo\n        reply_delay_ms = 400\n"
            "        thread = 1\n");
    pz_client_t *c = s_client(NULL);
    uint64_t late0 = s_metric("pz_msgs_late_replies_total");
    pz_msg_t *r = s_call(c, "x", s_echo_out("slow"), T_ARRIVE_MS);
    assert_int_equal(s_error_of(r), PZ_ETIMEDOUT);
    pz_msg_free(&r);
    assert_int_equal(s_wait_metric("pz_msgs_late_replies_total", late0 + 1), late0 + 1);
    s_report_t rep = s_report(c, "x", "");
    assert_int_equal(rep.timeouts, 1);
    assert_int_equal(rep.replies, 1);
    /* s itself still answers, late or not. */
    uint64_t t0 = t_now_ms();
    s_echo(c, "s", "patient");
    assert_true(t_now_ms() - t0 >= 390);
    s_stop();
}

/* ---------------------------------------------------------------------------------------- */
/* Backpressure and bad input                                                                */

/* `from` floods `to` twice: pz_send returns PZ_EBUSY once the mailbox is full, and every
 * message accepted before that arrives, in order, once `to` gets to them. */
static void s_flood_rounds(pz_client_t *c, const char *from, const char *to)
{
    uint64_t busy0 = s_metric("pz_msgs_busy_total");
    uint64_t total = 0;
    for (int round = 0; round < 2; round++) {
        uint64_t sent = 0;
        int rc = 0;
        s_cmd_pair(c, from, s_cmd_out("flood", to, 200000), &sent, &rc);
        assert_int_equal(rc, PZ_EBUSY);
        assert_true(sent >= PZ_MAILBOX_MAX / 2 && sent < 200000);
        total += sent;
        s_report_t rep = s_wait_count(c, to, from, total);
        assert_int_equal(rep.violations, 0);
        assert_int_equal(rep.last, total);
    }
    assert_true(s_metric("pz_msgs_busy_total") >= busy0 + 2);
    s_echo(c, to, "still serving");
    s_echo(c, from, "still serving");
}

/* a (thread 0) floods b (thread 1) while b's hook is blocked in a DUMMY_T_HOLD. */
static void test_backpressure_across_threads(void **state)
{
    (void)state;
    s_start(2, "",
            "    a\n        module = echo\n        thread = 0\n"
            "    b\n        module = echo\n        thread = 1\n");
    s_flood_rounds(s_client(NULL), "a", "b");
    s_stop();
}

/* a floods b on its own thread: b cannot run until a's hook returns, so its local mailbox
 * fills; what a sent before PZ_EBUSY is all delivered afterwards. */
static void test_backpressure_same_thread(void **state)
{
    (void)state;
    s_start(1, "", "    a\n        module = echo\n    b\n        module = echo\n");
    s_flood_rounds(s_client(NULL), "a", "b");
    s_stop();
}

/* Malformed frames straight into a kernel thread's inbox: counted, dropped, and its actors keep
 * serving. A well-formed message for an actor that does not exist is counted as unroutable, and
 * an expired request is dropped and counted, never delivered. */
static void test_malformed_inbox(void **state)
{
    (void)state;
    s_start(1, "", "    e\n        module = echo\n");
    pz_client_t *c = s_client(NULL);
    uint64_t malformed0 = s_metric("pz_msgs_malformed_total");
    uint64_t expired0 = s_metric("pz_msgs_expired_total");
    uint64_t unroutable0 = s_metric("pz_gateway_unroutable_total");
    char ep[PZ_ADDR_BYTES_MAX];
    pz__thread_inbox_endpoint(0, ep, sizeof ep);
    void *raw = s_raw_push(pz__k->zctx, ep);
    s_send_malformed(raw, "e");
    uint8_t env[PZ_ENVELOPE_BYTES_MAX];
    size_t env_len = s_envelope(PZ_MSG_PING, "e", "nobody", 1, env); /* deadline long past */
    s_send_one(raw, env, env_len, "", 0);
    env_len = s_envelope(PZ_MSG_PING, "nobody", "nobody", 0, env);
    s_send_one(raw, env, env_len, "", 0);
    assert_int_equal(s_wait_metric("pz_msgs_malformed_total", malformed0 + 3), malformed0 + 3);
    assert_int_equal(s_wait_metric("pz_msgs_expired_total", expired0 + 1), expired0 + 1);
    assert_int_equal(s_wait_metric("pz_gateway_unroutable_total", unroutable0 + 1),
                     unroutable0 + 1);
    s_echo(c, "e", "still serving");
    assert_int_equal(s_metric("pz_msgs_malformed_total"), malformed0 + 3);
    s_stop();
}

/* ---------------------------------------------------------------------------------------- */
/* Over tcp                                                                                  */

/* A loopback port nobody listens on right now (the kernel binds it a moment later). */
static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* A remote client reaches actors through the gateway; f forwards to e by a tcp address of this
 * very process (spelled differently from the listen address, so it really goes out and back in
 * through the gateway); malformed frames and frames for unknown actors at the gateway are
 * counted and the gateway keeps forwarding. */
static void test_tcp_gateway(void **state)
{
    (void)state;
    int port = s_free_port();
    char listen[64], modules[512], remote[64];
    snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", port);
    snprintf(modules, sizeof modules,
             "    e\n        module = echo\n        thread = 1\n"
             "    f\n        module = echo\n        thread = 0\n"
             "        forward = \"e@tcp://localhost:%d\"\n",
             port);
    s_start(2, listen, modules);
    uint64_t fwd0 = s_metric("pz_gateway_forwarded_total");
    pz_client_t *c = s_client(listen);
    for (int i = 0; i < 20; i++) {
        snprintf(remote, sizeof remote, "remote-%d", i);
        s_echo(c, "e", remote);
    }
    s_echo(c, "f", "there and back");
    pz_ping_t ping = {.seq = 9};
    pz_out_t *o = NULL;
    assert_int_equal(pz_ping_to_out(&ping, PZ_MSG_PING, &o), 0);
    pz_msg_t *r = s_call(c, "e", o, T_ARRIVE_MS);
    assert_int_equal(pz_msg_type(r), PZ_MSG_PONG);
    pz_msg_free(&r);
    /* Thread 0 receives all tcp arrivals and forwards those for e (thread 1): 20 echoes, the
     * PING and f's request, at least. Waited for: thread 0 counts after it forwarded, so a
     * reply can overtake the count. */
    assert_true(s_wait_metric("pz_gateway_forwarded_total", fwd0 + 22) >= fwd0 + 22);

    uint64_t malformed0 = s_metric("pz_msgs_malformed_total");
    uint64_t unroutable0 = s_metric("pz_gateway_unroutable_total");
    void *raw = s_raw_push(pz__k->zctx, listen);
    s_send_malformed(raw, "e");
    uint8_t env[PZ_ENVELOPE_BYTES_MAX];
    size_t env_len = s_envelope(DUMMY_T_ECHO, "nobody", "nobody", 0, env);
    s_send_one(raw, env, env_len, "", 0);
    assert_int_equal(s_wait_metric("pz_msgs_malformed_total", malformed0 + 3), malformed0 + 3);
    assert_int_equal(s_wait_metric("pz_gateway_unroutable_total", unroutable0 + 1),
                     unroutable0 + 1);
    s_echo(c, "e", "gateway still serving");
    s_stop();
}

/* The kernel stops its threads with a PZ__MSG_STOP message with an empty `to`. Whoever can
 * reach the tcp endpoint can send one: it must not stop a running kernel's thread. */
static void test_gateway_ignores_stop(void **state)
{
    (void)state;
    int port = s_free_port();
    char listen[64];
    snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", port);
    s_start(1, listen, "    e\n        module = echo\n");
    pz_client_t *c = s_client(NULL);
    s_echo(c, "e", "before");
    void *raw = s_raw_push(pz__k->zctx, listen);
    uint8_t env[PZ_ENVELOPE_BYTES_MAX];
    s_send_one(raw, env, s_envelope(PZ__MSG_STOP, "", "mallory", 0, env), "", 0);
    t_sleep_ms(200); /* let it arrive: the next call must not race ahead of it */
    pz_out_t *o = s_echo_out("after");
    pz_msg_t *r = NULL;
    int rc = pz_client_call(c, "e", &o, 3000, &r);
    pz_out_free(&o);
    pz_msg_free(&r);
    if (rc != 0) {
        fail_msg("after a STOP message from the network, e does not answer: %s", pz_err_name(rc));
    }
    s_stop();
}

/* ---------------------------------------------------------------------------------------- */
/* Tests in a child process                                                                  */

/* Runs fn in a forked child and returns its wait status. Call it with no kernel running here,
 * so the child starts with no threads but this one. The child uses no cmocka asserts (they
 * would unwind into a copy of the test runner); fn returns 0 or a line number that failed. */
static int s_in_child(int (*fn)(void *), void *arg)
{
    assert_null(pz__k);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(T_WATCHDOG_S);
        exit(fn(arg));
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* A child's checks exit with this; anything else came from a sanitizer (1 for UBSan, 23 for
 * LeakSanitizer) or the runtime, whose report precedes it on stderr. */
#define CHILD_FAILED 99

static void s_expect_child_ok(int status, const char *what)
{
    if (WIFSIGNALED(status)) {
        fail_msg("%s: child killed by signal %d (%s)", what, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("%s: child exited with %d (%s; see its stderr above)", what, WEXITSTATUS(status),
                 WEXITSTATUS(status) == CHILD_FAILED ? "a check failed" : "not a check");
    }
}

#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "child: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            return CHILD_FAILED;                                                                   \
        }                                                                                          \
    } while (0)

typedef struct {
    int port;
    int ready[2]; /* child -> parent: the kernel's start code */
    int stop[2];  /* parent -> child: stop now */
} s_node_job_t;

/* The child: a kernel listening on tcp until told to stop. */
static int s_node_main(void *arg)
{
    s_node_job_t *job = arg;
    close(job->ready[0]);
    close(job->stop[1]);
    char text[1024], listen[64];
    snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", job->port);
    s_config_text(text, sizeof text, 1, listen, "    e\n        module = echo\n");
    zconfig_t *cfg = NULL;
    CHILD_CHECK(pz__config_load_str(text, "child", &cfg) == 0);
    int rc = pz__kernel_start(cfg, "child");
    CHILD_CHECK(write(job->ready[1], &rc, sizeof rc) == sizeof rc);
    char b;
    CHILD_CHECK(read(job->stop[0], &b, 1) >= 0);
    pz__kernel_stop();
    zconfig_destroy(&cfg);
    return rc == 0 ? 0 : 1;
}

/* A client in a process without a kernel (its own ZeroMQ context) calls a node over tcp. */
static void test_remote_client_without_kernel(void **state)
{
    (void)state;
    s_node_job_t job = {.port = s_free_port()};
    assert_int_equal(pipe(job.ready), 0);
    assert_int_equal(pipe(job.stop), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(T_WATCHDOG_S);
        exit(s_node_main(&job));
    }
    close(job.ready[1]);
    close(job.stop[0]);
    struct pollfd pfd = {.fd = job.ready[0], .events = POLLIN};
    int rc = -1;
    bool ready = poll(&pfd, 1, (int)T_ARRIVE_MS) == 1 &&
                 read(job.ready[0], &rc, sizeof rc) == sizeof rc && rc == 0;
    if (ready) {
        char ep[64];
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", job.port);
        assert_null(pz__k);
        pz_client_t *c = s_client(ep);
        s_echo(c, "e", "from afar");
        s_echo(c, "e", "and again");
        s_release();
    }
    assert_int_equal(write(job.stop[1], "x", 1), 1);
    close(job.stop[1]);
    close(job.ready[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(ready);
    s_expect_child_ok(status, "node process");
}

/* A module the loader refuses: pz__kernel_start returns PZ_EABI and leaves no kernel. */
static int s_bad_module_main(void *arg)
{
    (void)arg;
    char text[1024];
    s_config_text(text, sizeof text, 2, "", "    e\n        module = bad_abi_major\n");
    zconfig_t *cfg = NULL;
    CHILD_CHECK(pz__config_load_str(text, "child", &cfg) == 0);
    int rc = pz__kernel_start(cfg, "child");
    CHILD_CHECK(rc == PZ_EABI);
    CHILD_CHECK(pz__k == NULL);
    zconfig_destroy(&cfg);
    return 0;
}

static void test_bad_module_start_fails(void **state)
{
    (void)state;
    s_expect_child_ok(s_in_child(s_bad_module_main, NULL), "start with a refused module");
}

/* Calls `to` with an empty body of `type`; true if the reply has that type and an empty body. */
static bool s_child_empty_call(pz_client_t *c, const char *to, uint16_t type, uint16_t want)
{
    pz_out_t *o = pz_out_new(type);
    pz_msg_t *r = NULL;
    int rc = o ? pz_client_call(c, to, &o, T_ARRIVE_MS, &r) : PZ_ENOMEM;
    bool ok = rc == 0 && pz_msg_type(r) == want && pz_msg_body(r).len == 0;
    pz_out_free(&o);
    pz_msg_free(&r);
    return ok;
}

/* Empty bodies, echoed by a module (pz_reply_forward) and by the kernel's PING answer. In a
 * child: under UBSan a failure here aborts the process. */
static int s_empty_body_main(void *arg)
{
    (void)arg;
    char text[1024];
    s_config_text(text, sizeof text, 1, "", "    e\n        module = echo\n");
    zconfig_t *cfg = NULL;
    CHILD_CHECK(pz__config_load_str(text, "child", &cfg) == 0);
    CHILD_CHECK(pz__kernel_start(cfg, "child") == 0);
    pz_client_t *c = pz_client_new(NULL);
    CHILD_CHECK(c != NULL);
    CHILD_CHECK(s_child_empty_call(c, "e", DUMMY_T_ECHO, DUMMY_T_ECHO));
    CHILD_CHECK(s_child_empty_call(c, "e", PZ_MSG_PING, PZ_MSG_PONG));
    pz_client_destroy(&c);
    pz__kernel_stop();
    zconfig_destroy(&cfg);
    return 0;
}

static void test_empty_body(void **state)
{
    (void)state;
    s_expect_child_ok(s_in_child(s_empty_body_main, NULL), "empty bodies");
}

/* No modules at all is a config error, not a kernel with nothing to do. */
static int s_no_modules_main(void *arg)
{
    (void)arg;
    zconfig_t *cfg = NULL;
    CHILD_CHECK(pz__config_load_str("node\n    threads = 1\n", "child", &cfg) == 0);
    CHILD_CHECK(pz__kernel_start(cfg, "child") == PZ_ECONFIG);
    CHILD_CHECK(pz__k == NULL);
    zconfig_destroy(&cfg);
    return 0;
}

static void test_no_modules_start_fails(void **state)
{
    (void)state;
    s_expect_child_ok(s_in_child(s_no_modules_main, NULL), "start with no modules");
}

/* ---------------------------------------------------------------------------------------- */
/* Lifecycle                                                                                 */

/* b's init fails (after setting its state) on thread 1 while a starts fine on thread 0:
 * pz__kernel_start reports the failure, every started actor is finalized (b too, with the state
 * it set), no kernel is left, and a new one starts afterwards. */
static void test_init_fail(void **state)
{
    (void)state;
    t_capture_t cap;
    t_capture_begin(&cap);
    int rc = s_try_start(2, "",
                         "    a\n        module = echo\n        thread = 0\n"
                         "    b\n        module = echo\n        thread = 1\n"
                         "        init_fail = true\n");
    char *log = t_capture_end(&cap);
    assert_int_equal(rc, PZ_ECONFIG);
    assert_null(pz__k);
    assert_int_equal(t_count_lines(log, "module echo failed to start"), 1);
    assert_int_equal(t_count_lines(log, "[a] dummy fini"), 1);
    assert_int_equal(t_count_lines(log, "[b] dummy fini"), 1);
    free(log);
    zconfig_destroy(&s_cfg);
    s_start(2, "", "    a\n        module = echo\n");
    s_echo(s_client(NULL), "a", "alive");
    s_stop();
}

/* Stop while messages are queued, a request is pending (its ctx kept by the module) and a
 * timer is armed: no hang (watchdog), nothing leaked (ASan build). */
static void test_stop_with_work_in_flight(void **state)
{
    (void)state;
    s_start(2, "",
            "    a\n        module = echo\n        thread = 0\n"
            "    b\n        module = echo\n        thread = 1\n"
            "    x\n        module = echo\n        forward = d\n        thread = 0\n"
            "    d\n        module = echo\n        drop = true\n        thread = 1\n"
            "    t\n        module = echo\n        timer_ms = \"60000\"\n");
    pz_client_t *c = s_client(NULL);
    uint64_t sent = 0;
    int rc = -1;
    s_cmd_pair(c, "a", s_cmd_out("send_seq", "b", 3000), &sent, &rc);
    assert_int_equal(rc, 0);
    pz_out_t *o = s_echo_out("never answered");
    pz_msg_t *r = NULL;
    assert_int_equal(pz_client_call(c, "x", &o, 100, &r), PZ_ETIMEDOUT);
    uint64_t t0 = t_now_ms();
    s_stop();
    assert_true(t_now_ms() - t0 < 5000);
}

/* A thread the module owns posts to its actor through a mailslot; sender "<actor>.slot". */
static void test_mailslot(void **state)
{
    (void)state;
    s_start(1, "", "    e\n        module = echo\n");
    assert_null(pz_mailslot_open("nobody"));
    pz_mailslot_t *slot = pz_mailslot_open("e");
    assert_non_null(slot);
    for (uint64_t seq = 1; seq <= 100; seq++) {
        pz_out_t *o = pz_out_new(DUMMY_T_SEQ);
        msgpack_packer *pk = pz_out_packer(o);
        assert_int_equal(msgpack_pack_array(pk, 1), 0);
        assert_int_equal(msgpack_pack_uint64(pk, seq), 0);
        assert_int_equal(pz_mailslot_send(slot, &o), 0);
        assert_null(o);
    }
    pz_mailslot_close(&slot);
    assert_null(slot);
    s_report_t rep = s_wait_count(s_client(NULL), "e", "e.slot", 100);
    assert_int_equal(rep.violations, 0);
    s_stop();
}

static void test_start_stop_repeatedly(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) {
        s_start(2, "",
                "    a\n        module = echo\n        thread = 0\n"
                "    b\n        module = echo\n        thread = 1\n");
        pz_client_t *c = s_client(NULL);
        s_echo(c, "a", "up");
        s_echo(c, "b", "up");
        s_stop();
    }
}

/* A body over 16 KiB is handed to ZeroMQ without a copy (the envelope in its headroom). When
 * the receiver's queue is full the send fails with PZ_EBUSY and the caller's message must hold
 * its body again, byte for byte, so that it can retry: here it does, and the retry after the
 * receiver took one delivers it intact. Smaller bodies (copied) on the same socket too. */
static void test_send_full_keeps_body(void **state)
{
    (void)state;
    void *zctx = zmq_ctx_new();
    static uint8_t pattern[40 * 1024];
    for (size_t i = 0; i < sizeof pattern; i++) {
        pattern[i] = (uint8_t)(i * 13 + 5);
    }
    pz_envelope_t env = {.proto_version = PZ_PROTO_VERSION, .type = DUMMY_T_ECHO, .corr = 9};
    snprintf(env.to, sizeof env.to, "e");
    snprintf(env.from, sizeof env.from, "t");
    int sent = 0, rc = 0;
    pz_out_t *o = NULL;
    size_t lens[] = {100, sizeof pattern}; /* copied, then handed over */
    for (int k = 0; k < 2; k++) {          /* a fresh pair each: the first send must find room */
        void *rx = zmq_socket(zctx, ZMQ_PULL), *tx = zmq_socket(zctx, ZMQ_PUSH);
        int one = 1;
        char ep[32];
        snprintf(ep, sizeof ep, "inproc://t-full-%d", k);
        assert_int_equal(zmq_setsockopt(rx, ZMQ_RCVHWM, &one, sizeof one), 0);
        assert_int_equal(zmq_setsockopt(tx, ZMQ_SNDHWM, &one, sizeof one), 0);
        assert_int_equal(zmq_bind(rx, ep), 0);
        assert_int_equal(zmq_connect(tx, ep), 0);
        for (int i = 0; i < 16 && rc == 0; i++) {
            o = pz_out_new(DUMMY_T_ECHO);
            assert_int_equal(msgpack_pack_bin_with_body(pz_out_packer(o), pattern, lens[k]), 0);
            rc = pz__send_msg(tx, &env, &o, ZMQ_DONTWAIT);
            if (rc == 0) {
                assert_null(o); /* consumed */
                sent++;
            }
        }
        assert_int_equal(rc, PZ_EBUSY); /* the queue filled up */
        assert_true(sent > 0);
        pz_msg_t *m = NULL;
        assert_int_equal(pz__recv_msg(rx, 0, &m), 0); /* make room */
        pz_msg_free(&m);
        int got = 1;
        /* The sender learns of the room when it next processes ZeroMQ's commands (throttled to
         * about once a millisecond): until then every retry fails, and must leave the body. */
        for (int tries = 0; rc == PZ_EBUSY && tries < 2000; tries++) {
            size_t blen = 0;
            const uint8_t *b = pz__out_body(o, &blen);
            assert_int_equal(blen, lens[k] + (lens[k] < 256 ? 2 : 3)); /* bin header, bytes */
            assert_memory_equal(b + blen - lens[k], pattern, lens[k]);
            struct timespec pause = {.tv_nsec = 500 * 1000};
            nanosleep(&pause, NULL);
            rc = pz__send_msg(tx, &env, &o, ZMQ_DONTWAIT);
        }
        assert_int_equal(rc, 0);
        assert_null(o);
        for (int i = got; i < sent + 1; i++) { /* what is queued, the retried one last */
            assert_int_equal(pz__recv_msg(rx, 0, &m), 0);
            pz_view_t body = pz_msg_body(m);
            assert_true(body.len >= lens[k]);
            assert_memory_equal(body.ptr + body.len - lens[k], pattern, lens[k]);
            assert_int_equal(pz_msg_envelope(m)->corr, 9);
            pz_msg_free(&m);
        }
        assert_int_equal(pz__recv_msg(rx, ZMQ_DONTWAIT, &m), PZ_ENOTFOUND);
        sent = 0;
        rc = 0;
        zmq_close(tx);
        zmq_close(rx);
    }
    zmq_ctx_term(zctx);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, t_watchdog_arm, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_roundtrip_inproc),
        T(test_ping_pong),
        T(test_unknown_type),
        T(test_client_errors),
        T(test_fifo_same_thread),
        T(test_fifo_across_threads),
        T(test_chain_across_threads),
        T(test_timers_fire_in_order),
        T(test_request_timeout),
        T(test_late_reply_dropped),
        T(test_backpressure_across_threads),
        T(test_backpressure_same_thread),
        T(test_malformed_inbox),
        T(test_tcp_gateway),
        T(test_gateway_ignores_stop),
        T(test_remote_client_without_kernel),
        T(test_empty_body),
        T(test_bad_module_start_fails),
        T(test_no_modules_start_fails),
        T(test_init_fail),
        T(test_stop_with_work_in_flight),
        T(test_mailslot),
        T(test_start_stop_repeatedly),
        T(test_send_full_keeps_body),
    };
    if (getenv("PZ_TEST_FILTER") != NULL) { /* e.g. PZ_TEST_FILTER='test_tcp*' */
        cmocka_set_test_filter(getenv("PZ_TEST_FILTER"));
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
