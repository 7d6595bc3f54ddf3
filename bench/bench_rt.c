/*
 * bench_rt.c — round trips: raw ZeroMQ against the kernel, in one run on one machine.
 *
 *   raw inproc PAIR, two threads          (two thread wake-ups per round trip)
 *   raw inproc PAIR, one thread, drained  (send, then a non-blocking receive)
 *   raw inproc PAIR, one thread, polled   (zmq_poll before every receive)
 *   raw tcp loopback PAIR, two processes
 *   kernel: actor -> actor on the same kernel thread
 *   kernel: actor -> actor on another kernel thread
 *   kernel: actor -> actor in another process (tcp)
 *
 * Usage: bench_rt [--iters N] [--phantomzero PATH]
 * The kernel cases run the `bench` module (bench_module.c): the measuring loop runs inside an
 * actor, so they time kernel messaging alone.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "../kernel/internal.h"
#include "bench_util.h"

#define S_MSG_BENCH_GO 1001

static uint32_t s_iters = 20000;

/* --- raw ZeroMQ ------------------------------------------------------------------------- */

static bench_stats_t s_raw_one_thread(void *ctx, bool poll)
{
    /* A fresh endpoint name per call: the previous call's sockets close asynchronously, and a
     * bind to a name still held fails, leaving the PAIR without a peer (every send then blocks
     * forever: seen on a loaded machine as a hung benchmark smoke run). */
    static int calls;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://bench.b.%d", ++calls);
    void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
    if (zmq_bind(a, ep) != 0 || zmq_connect(b, ep) != 0) {
        fprintf(stderr, "bench_rt: cannot bind/connect %s: %s\n", ep, zmq_strerror(zmq_errno()));
        exit(1);
    }
    uint32_t *lat = malloc(s_iters * sizeof *lat);
    char buf[64] = "ping";
    for (uint32_t i = 0; i < s_iters; i++) {
        uint64_t t0 = bench_ns();
        zmq_send(a, buf, 16, 0);
        if (poll) {
            zmq_pollitem_t it = {.socket = b, .events = ZMQ_POLLIN};
            zmq_poll(&it, 1, -1);
        }
        int n = zmq_recv(b, buf, sizeof buf, poll ? 0 : ZMQ_DONTWAIT);
        zmq_send(b, buf, (size_t)(n < 0 ? 16 : n), 0);
        if (poll) {
            zmq_pollitem_t it = {.socket = a, .events = ZMQ_POLLIN};
            zmq_poll(&it, 1, -1);
        }
        zmq_recv(a, buf, sizeof buf, poll ? 0 : ZMQ_DONTWAIT);
        lat[i] = (uint32_t)(bench_ns() - t0);
    }
    zmq_close(a);
    zmq_close(b);
    bench_stats_t s = bench_stats(lat, s_iters);
    free(lat);
    return s;
}

static bench_stats_t s_raw_tcp(void *ctx, int port)
{
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    pid_t child = fork();
    if (child == 0) {
        void *c2 = zmq_ctx_new(), *b = zmq_socket(c2, ZMQ_PAIR);
        zmq_bind(b, ep);
        bench_echo_thread(b);
        _exit(0);
    }
    void *a = zmq_socket(ctx, ZMQ_PAIR);
    zmq_connect(a, ep);
    uint32_t *lat = malloc(s_iters * sizeof *lat);
    char buf[64] = "ping";
    for (uint32_t i = 0; i < s_iters; i++) {
        uint64_t t0 = bench_ns();
        zmq_send(a, buf, 16, 0);
        zmq_recv(a, buf, sizeof buf, 0);
        lat[i] = (uint32_t)(bench_ns() - t0);
    }
    zmq_send(a, "q", 1, 0);
    waitpid(child, NULL, 0);
    zmq_close(a);
    bench_stats_t s = bench_stats(lat, s_iters);
    free(lat);
    return s;
}

/* --- through the kernel ------------------------------------------------------------------- */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int bench_free_port(void);
int bench_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        return 0;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static int s_go(pz_client_t *c, const char *actor, const char *target, bench_stats_t *out)
{
    pz_ping_t p = {.seq = s_iters, .payload = pz_view_str(target)};
    pz_out_t *o = NULL;
    pz_msg_t *reply = NULL;
    pz_ping_to_out(&p, S_MSG_BENCH_GO, &o);
    int rc = pz_client_call(c, actor, &o, 300000, &reply);
    pz_out_free(&o);
    if (rc == 0 && (rc = pz_msg_error(reply, NULL)) == 0) {
        pz_ping_t r;
        rc = pz_ping_from_msg(reply, S_MSG_BENCH_GO, &r);
        if (rc == 0) {
            uint32_t n = r.payload.len / sizeof(uint32_t);
            uint32_t *lat = malloc(r.payload.len + 4);
            memcpy(lat, r.payload.ptr, r.payload.len);
            *out = bench_stats(lat, n);
            free(lat);
        }
    }
    pz_msg_free(&reply);
    return rc;
}

static pid_t s_spawn_remote(const char *pz_bin, int port, char *cfg_path)
{
    snprintf(cfg_path, 64, "/tmp/pz-bench-rt-%d.cfg", (int)getpid());
    FILE *f = fopen(cfg_path, "w");
    fprintf(f,
            "node\n    listen = tcp://127.0.0.1:%d\n    module_dir = %s\n    log_level = warn\n"
            "modules\n    d\n        module = bench\n",
            port, pz_module_dir());
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        execl(pz_bin, pz_bin, "start", "--config", cfg_path, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static bool s_wait_remote(int port)
{
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    for (int i = 0; i < 100; i++) {
        pz_client_t *c = pz_client_new(ep);
        pz_ping_t p = {.seq = 1};
        pz_out_t *o = NULL;
        pz_msg_t *r = NULL;
        pz_ping_to_out(&p, PZ_MSG_PING, &o);
        int rc = pz_client_call(c, "d", &o, 200, &r);
        pz_out_free(&o);
        pz_msg_free(&r);
        pz_client_destroy(&c);
        if (rc == 0) {
            return true;
        }
    }
    return false;
}

static void s_row(const char *name, bench_stats_t s, bench_stats_t base, const char *base_name)
{
    printf("%-44s %9.2f %9.2f %9.2f   %5.2fx of %s\n", name, s.p50_us, s.p99_us, s.mean_us,
           base.p50_us > 0 ? s.p50_us / base.p50_us : 0.0, base_name);
}

int main(int argc, char **argv)
{
    char pz_bin[1024];
    snprintf(pz_bin, sizeof pz_bin, "%s", argv[0]);
    char *slash = strrchr(pz_bin, '/');
    snprintf(slash ? slash + 1 : pz_bin, sizeof pz_bin - (size_t)(slash ? slash + 1 - pz_bin : 0),
             "phantomzero");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
            s_iters = (uint32_t)atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--phantomzero") && i + 1 < argc) {
            snprintf(pz_bin, sizeof pz_bin, "%s", argv[++i]);
        }
    }
    pz_log_set_level(PZ_LOG_WARN);
    void *ctx = zmq_ctx_new();
    bench_stats_t raw2 = bench_raw_two_threads(ctx, s_iters), raw1 = s_raw_one_thread(ctx, false);
    bench_stats_t rawp = s_raw_one_thread(ctx, true), rawt = s_raw_tcp(ctx, bench_free_port());
    zmq_ctx_term(ctx);

    int port = bench_free_port(), rport = bench_free_port();
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "node\n    listen = tcp://127.0.0.1:%d\n    threads = 2\n    log_level = warn\n"
             "modules\n    a\n        module = bench\n        thread = 0\n"
             "    b\n        module = bench\n        thread = 0\n"
             "    c\n        module = bench\n        thread = 1\n",
             port);
    zconfig_t *zc = NULL;
    if (pz__config_load_str(cfg, "bench", &zc) != 0 || pz__kernel_start(zc, NULL) != 0) {
        fprintf(stderr, "bench_rt: kernel failed to start\n");
        return 1;
    }
    pz_client_t *c = pz_client_new(NULL);
    bench_stats_t same = {0}, other = {0}, remote = {0};
    pz_metric_t *polls = pz_metric_counter("pz_kernel_waits_total", "");
    uint64_t p0 = pz_metric_value(polls);
    int rc = s_go(c, "a", "b", &same);
    fprintf(stderr, "same-thread: %.2f waits per round trip\n",
            (double)(pz_metric_value(polls) - p0) / s_iters);
    rc = rc ? rc : s_go(c, "a", "c", &other);
    char cfg_path[64], target[128];
    pid_t child = s_spawn_remote(pz_bin, rport, cfg_path);
    snprintf(target, sizeof target, "d@tcp://127.0.0.1:%d", rport);
    if (rc == 0 && !s_wait_remote(rport)) {
        fprintf(stderr, "bench_rt: remote process did not come up (%s)\n", pz_bin);
        rc = PZ_EUNAVAILABLE;
    }
    rc = rc ? rc : s_go(c, "a", target, &remote);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    unlink(cfg_path);
    pz_client_destroy(&c);
    pz__kernel_stop();
    zconfig_destroy(&zc);
    if (rc != 0) {
        fprintf(stderr, "bench_rt: %s\n", pz_strerror(rc));
        return 1;
    }
    printf("round trips, %u iterations each (microseconds)\n", s_iters);
    printf("%-44s %9s %9s %9s\n", "case", "p50", "p99", "mean");
    s_row("raw zmq inproc PAIR, two threads", raw2, raw2, "itself");
    s_row("raw zmq inproc PAIR, one thread, drained", raw1, raw2, "raw two threads");
    s_row("raw zmq inproc PAIR, one thread, zmq_poll", rawp, raw2, "raw two threads");
    s_row("raw zmq tcp loopback, two processes", rawt, raw2, "raw two threads");
    s_row("kernel: actor->actor, same kernel thread", same, raw1, "raw one thread drained");
    s_row("kernel: actor->actor, other kernel thread", other, raw2, "raw two threads");
    s_row("kernel: actor->actor, other process (tcp)", remote, rawt, "raw tcp");
    return 0;
}
