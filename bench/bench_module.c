/*
 * bench_module.c — the `bench` module: measures kernel round trips from inside an actor.
 *
 * A client sends it BENCH_GO (a pz_ping whose seq is the iteration count and whose payload is
 * the target address). The actor then sends PINGs to the target one after another — each sent
 * from on_message of the previous PONG, so the measured loop is exactly actor → kernel →
 * target actor → kernel → actor — and answers the client with the latencies (uint32 ns each,
 * in the payload). Any actor answers PING inside the kernel, so the target can be another
 * bench instance, on the same kernel thread, another thread, or another process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phantomzero/kernel.h"
#include "phantomzero/module.h"

#define S_MSG_BENCH_GO 1001
#define S_ITERS_MAX 10000000u

typedef struct {
    pz_msg_t *go; /* the client's request, answered at the end */
    char target[PZ_ADDR_BYTES_MAX];
    uint32_t *lat_ns;
    uint32_t iters, done;
    uint64_t t0;
} s_bench_t;

static uint64_t s_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    (void)self, (void)cfg;
    *state = calloc(1, sizeof(s_bench_t));
    return *state ? 0 : PZ_ENOMEM;
}

static void s_fini(pz_actor_t *self, void *state)
{
    (void)self;
    s_bench_t *b = state;
    pz_msg_free(&b->go);
    free(b->lat_ns);
    free(b);
}

static int s_ping(pz_actor_t *self, s_bench_t *b)
{
    pz_ping_t p = {.seq = b->done};
    pz_out_t *out = NULL;
    int rc = pz_ping_to_out(&p, PZ_MSG_PING, &out);
    b->t0 = s_ns();
    if (rc == 0) {
        rc = pz_request(self, b->target, &out, 5000, NULL, NULL);
    }
    pz_out_free(&out);
    return rc;
}

static void s_finish(pz_actor_t *self, s_bench_t *b, int rc)
{
    if (rc != 0) {
        pz_reply_error(self, b->go, rc, "benchmark failed");
    } else {
        pz_ping_t p = {.seq = b->done,
                       .payload = {(const uint8_t *)b->lat_ns, b->done * sizeof(uint32_t)}};
        pz_out_t *out = NULL;
        if (pz_ping_to_out(&p, S_MSG_BENCH_GO, &out) != 0 || pz_reply(self, b->go, &out) != 0) {
            pz_out_free(&out);
        }
    }
    pz_msg_free(&b->go);
    free(b->lat_ns);
    b->lat_ns = NULL;
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_bench_t *b = state;
    if (pz_msg_is_reply(msg)) {
        if (b->go == NULL) {
            return 0;
        }
        int err = pz_msg_error(msg, NULL);
        if (err != 0) {
            s_finish(self, b, err);
            return 0;
        }
        b->lat_ns[b->done++] = (uint32_t)(s_ns() - b->t0);
        int rc = b->done < b->iters ? s_ping(self, b) : 0;
        if (rc != 0 || b->done == b->iters) {
            s_finish(self, b, rc);
        }
        return 0;
    }
    pz_ping_t p;
    if (pz_msg_type(msg) != S_MSG_BENCH_GO || pz_ping_from_msg(msg, S_MSG_BENCH_GO, &p) != 0 ||
        b->go != NULL || p.seq == 0 || p.seq > S_ITERS_MAX || p.payload.len >= PZ_ADDR_BYTES_MAX) {
        pz_reply_error(self, msg, PZ_EINVAL, "bad or concurrent BENCH_GO");
        return PZ_EINVAL;
    }
    b->lat_ns = malloc(p.seq * sizeof *b->lat_ns);
    if (b->lat_ns == NULL) {
        pz_reply_error(self, msg, PZ_ENOMEM, NULL);
        return PZ_ENOMEM;
    }
    snprintf(b->target, sizeof b->target, "%.*s", (int)p.payload.len, p.payload.ptr);
    b->iters = (uint32_t)p.seq;
    b->done = 0;
    b->go = pz_msg_keep(msg);
    int rc = s_ping(self, b);
    if (rc != 0) {
        s_finish(self, b, rc);
    }
    return 0;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("bench"),
    .init = s_init,
    .fini = s_fini,
    .on_message = s_on_message,
};

PZ_MODULE_DEFINE(s_desc)
