/*
 * metrics.c — the metrics registry: counters, gauges and latency histograms, lock-free to update
 * (relaxed atomics: a metric is a statistic, not a synchronization point). Registration takes a
 * mutex; it happens at init, not on the hot path. The admin HTTP endpoint renders the registry in
 * Prometheus text format.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "phantomzero/kernel.h"

#define S_BUCKETS 40 /* log2 microsecond buckets: up to ~2^39 us, far past any latency */

enum { S_COUNTER, S_GAUGE, S_HIST };

struct pz_metric {
    char name[96];
    char help[160];
    int kind;
    _Atomic uint64_t value; /* counter value, gauge value (as int64 bits), histogram count */
    _Atomic uint64_t sum;
    _Atomic uint64_t buckets[S_BUCKETS];
};

static pz_metric_t s_metrics[PZ_METRICS_MAX];
static _Atomic int s_len;
static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;
static pz_metric_t s_overflow = {.name = "pz_metrics_overflow", .kind = S_COUNTER};

static pz_metric_t *s_register(const char *name, const char *help, int kind)
{
    pthread_mutex_lock(&s_mu);
    int n = atomic_load(&s_len);
    for (int i = 0; i < n; i++) {
        if (strcmp(s_metrics[i].name, name) == 0) {
            pthread_mutex_unlock(&s_mu);
            return &s_metrics[i];
        }
    }
    if (n == PZ_METRICS_MAX) {
        pthread_mutex_unlock(&s_mu);
        return &s_overflow;
    }
    pz_metric_t *m = &s_metrics[n];
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->help, sizeof m->help, "%s", help ? help : "");
    m->kind = kind;
    atomic_store(&s_len, n + 1);
    pthread_mutex_unlock(&s_mu);
    return m;
}

pz_metric_t *pz_metric_counter(const char *name, const char *help)
{
    return s_register(name, help, S_COUNTER);
}

pz_metric_t *pz_metric_gauge(const char *name, const char *help)
{
    return s_register(name, help, S_GAUGE);
}

pz_metric_t *pz_metric_histogram(const char *name, const char *help)
{
    return s_register(name, help, S_HIST);
}

void pz_metric_add(pz_metric_t *m, uint64_t n)
{
    atomic_fetch_add_explicit(&m->value, n, memory_order_relaxed);
}

void pz_metric_set(pz_metric_t *m, int64_t value)
{
    atomic_store_explicit(&m->value, (uint64_t)value, memory_order_relaxed);
}

static int s_bucket(uint64_t us)
{
    int b = 0;
    while (b < S_BUCKETS - 1 && (1ull << b) < us) {
        b++;
    }
    return b;
}

void pz_metric_observe(pz_metric_t *m, uint64_t us)
{
    atomic_fetch_add_explicit(&m->buckets[s_bucket(us)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->value, 1, memory_order_relaxed);
}

uint64_t pz_metric_value(const pz_metric_t *m)
{
    return atomic_load_explicit(&m->value, memory_order_relaxed);
}

uint64_t pz_metric_quantile(const pz_metric_t *m, double q)
{
    uint64_t total = 0;
    for (int b = 0; b < S_BUCKETS; b++) {
        total += atomic_load_explicit(&m->buckets[b], memory_order_relaxed);
    }
    if (total == 0) {
        return 0;
    }
    uint64_t want = (uint64_t)(q * (double)total + 0.5), seen = 0;
    for (int b = 0; b < S_BUCKETS; b++) {
        seen += atomic_load_explicit(&m->buckets[b], memory_order_relaxed);
        if (seen >= want && seen > 0) {
            return 1ull << b;
        }
    }
    return 1ull << (S_BUCKETS - 1);
}

static size_t s_render_one(const pz_metric_t *m, char *buf, size_t cap)
{
    static const char *const kinds[] = {"counter", "gauge", "histogram"};
    size_t n = (size_t)snprintf(buf, cap, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
                                kinds[m->kind]);
    if (m->kind == S_GAUGE) {
        n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "%s %lld\n",
                              m->name, (long long)pz_metric_value(m));
        return n;
    }
    if (m->kind == S_COUNTER) {
        n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "%s %llu\n",
                              m->name, (unsigned long long)pz_metric_value(m));
        return n;
    }
    uint64_t cum = 0;
    for (int b = 0; b < S_BUCKETS; b++) {
        cum += atomic_load_explicit(&m->buckets[b], memory_order_relaxed);
        n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0,
                              "%s_bucket{le=\"%llu\"} %llu\n", m->name,
                              (unsigned long long)(1ull << b), (unsigned long long)cum);
    }
    n +=
        (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0,
                         "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %llu\n%s_count %llu\n", m->name,
                         (unsigned long long)cum, m->name, (unsigned long long)atomic_load(&m->sum),
                         m->name, (unsigned long long)pz_metric_value(m));
    return n;
}

size_t pz_metrics_render(char *buf, size_t cap)
{
    size_t n = 0;
    int len = atomic_load(&s_len);
    for (int i = 0; i < len; i++) {
        n += s_render_one(&s_metrics[i], buf + (n < cap ? n : cap), n < cap ? cap - n : 0);
    }
    return n;
}
