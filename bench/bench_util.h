/* bench_util.h — timing and percentile helpers shared by the bench programs (not a library of
 * the product: benchmarks only). */
#ifndef PZ_BENCH_UTIL_H
#define PZ_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double p50_us, p99_us, mean_us;
    uint64_t n;
} bench_stats_t;

/* Sorts lat in place. */
static inline bench_stats_t bench_stats(uint32_t *lat, uint64_t n)
{
    bench_stats_t s = {0};
    if (n == 0) {
        return s;
    }
    qsort(lat, n, sizeof *lat, bench_cmp_u32);
    double sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        sum += lat[i];
    }
    s.n = n;
    s.mean_us = sum / (double)n / 1000.0;
    s.p50_us = lat[n / 2] / 1000.0;
    s.p99_us = lat[(uint64_t)((double)n * 0.99)] / 1000.0;
    return s;
}

#include <pthread.h>
#include <zmq.h>

static inline void *bench_echo_thread(void *sock)
{
    char buf[64];
    for (;;) {
        int n = zmq_recv(sock, buf, sizeof buf, 0);
        if (n < 0 || (n == 1 && buf[0] == 'q')) {
            return NULL;
        }
        zmq_send(sock, buf, (size_t)n, 0);
    }
}

/* A raw ZeroMQ inproc PAIR round trip between two threads: the cost of two wake-ups. */
static inline bench_stats_t bench_raw_two_threads(void *ctx, uint32_t iters)
{
    void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
    zmq_bind(a, "inproc://bench.a");
    zmq_connect(b, "inproc://bench.a");
    pthread_t t;
    pthread_create(&t, NULL, bench_echo_thread, b);
    uint32_t *lat = malloc(iters * sizeof *lat);
    char buf[64] = "ping";
    for (uint32_t i = 0; i < iters; i++) {
        uint64_t t0 = bench_ns();
        zmq_send(a, buf, 16, 0);
        zmq_recv(a, buf, sizeof buf, 0);
        lat[i] = (uint32_t)(bench_ns() - t0);
    }
    zmq_send(a, "q", 1, 0);
    pthread_join(t, NULL);
    zmq_close(a);
    zmq_close(b);
    bench_stats_t s = bench_stats(lat, iters);
    free(lat);
    return s;
}

#endif
