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

#endif
