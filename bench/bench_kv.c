/*
 * bench_kv.c — KV get and put through all five layers (txn → dist → repl → storage → LMDB) in
 * one process, against direct LMDB calls, in one run on one machine.
 *
 *   get                 1 and 16 clients: ops/s, p50, p99
 *   put, durable        fsynced before the reply; 16 clients share commits (group commit)
 *   put, not durable
 * Baselines in the same run: a raw ZeroMQ inproc round trip between two threads, and LMDB
 * called directly (a read transaction per get; a write transaction per put, synced when
 * durable — LMDB's own single-writer lock serializes the 16 writers).
 *
 * Usage: bench_kv [--seconds S] [--keys N] [--dir DIR] [--only-get] [--spin-us US] [--spinners N]
 * (the kernel's node/spin_us, 0 turns idle spinning off, and node/spinners; default: the
 * kernel's defaults)
 * Clients are pz_client handles on their own threads, as SQL session workers will be.
 */
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kernel/internal.h"
#include "bench_util.h"
#include "phantomzero/kv.h"

#define S_CLIENTS_MAX 16
#define S_SAMPLES_MAX 2000000u

typedef enum { S_GET, S_PUT_SYNC, S_PUT_NOSYNC } s_op_t;
static const char *const s_op_names[] = {"get", "put durable", "put not durable"};

static double s_seconds = 3.0;
static int s_ops_max = 3; /* --only-get: 1 */
static uint32_t s_keys = 10000;
static MDB_env *s_env;
static MDB_dbi s_dbi;

typedef struct {
    s_op_t op;
    bool direct; /* LMDB baseline instead of the five layers */
    uint64_t seed;
    uint32_t *lat;
    uint64_t n;
    int err;
} s_worker_t;

static void s_key(uint64_t i, char *buf)
{
    snprintf(buf, 24, "k%012llu", (unsigned long long)i);
}

static int s_kv_call(pz_client_t *c, uint8_t op, const char *key, bool durable)
{
    pz_kv_req_t req = {.op = op, .key = pz_view_str(key)};
    if (op == PZ_KV_PUT) {
        req.value = pz_view_str("value-0123456789-0123456789-0123456789");
    }
    pz_kv_batch_t b = {.header = {.durable = durable}, .reqs = &req, .reqs_len = 1};
    pz_out_t *out = NULL;
    pz_msg_t *reply = NULL;
    int rc = pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out);
    rc = rc ? rc : pz_client_call(c, "txn", &out, 30000, &reply);
    pz_out_free(&out);
    if (rc == 0 && (rc = pz_msg_error(reply, NULL)) == 0) {
        pz_kv_batch_resp_t r;
        rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r);
        rc = rc ? rc : r.error.code;
        if (rc == 0 && op == PZ_KV_GET && (r.resps_len != 1 || !r.resps[0].found)) {
            rc = PZ_ENOTFOUND;
        }
    }
    pz_msg_free(&reply);
    return rc;
}

static int s_direct(uint8_t op, const char *key, bool durable)
{
    MDB_txn *txn = NULL;
    MDB_val k = {strlen(key), (void *)key}, v;
    if (op == PZ_KV_GET) {
        int rc = mdb_txn_begin(s_env, NULL, MDB_RDONLY, &txn);
        rc = rc ? rc : mdb_get(txn, s_dbi, &k, &v);
        mdb_txn_abort(txn);
        return rc;
    }
    v = (MDB_val){38, "value-0123456789-0123456789-0123456789"};
    int rc = mdb_txn_begin(s_env, NULL, 0, &txn);
    rc = rc ? rc : mdb_put(txn, s_dbi, &k, &v, 0);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    if (!durable) {
        mdb_env_set_flags(s_env, MDB_NOSYNC, 1);
    }
    rc = mdb_txn_commit(txn);
    if (!durable) {
        mdb_env_set_flags(s_env, MDB_NOSYNC, 0);
    }
    return rc;
}

static void *s_worker(void *arg)
{
    s_worker_t *w = arg;
    pz_client_t *c = w->direct ? NULL : pz_client_new(NULL);
    uint64_t end = bench_ns() + (uint64_t)(s_seconds * 1e9);
    uint8_t op = w->op == S_GET ? PZ_KV_GET : PZ_KV_PUT;
    char key[24];
    while (w->n < S_SAMPLES_MAX) {
        uint64_t t0 = bench_ns();
        if (t0 >= end) {
            break;
        }
        w->seed = w->seed * 6364136223846793005ull + 1442695040888963407ull;
        s_key((w->seed >> 33) % s_keys, key);
        int rc = w->direct ? s_direct(op, key, w->op == S_PUT_SYNC)
                           : s_kv_call(c, op, key, w->op == S_PUT_SYNC);
        if (rc != 0) {
            w->err = rc;
            break;
        }
        w->lat[w->n++] = (uint32_t)(bench_ns() - t0);
    }
    pz_client_destroy(&c);
    return NULL;
}

typedef struct {
    double ops_s;
    bench_stats_t st;
    double spins_op; /* idle spins (kernel/idle.c) per operation during the run */
} s_result_t;

static uint64_t s_spins(void)
{
    return pz_metric_value(pz_metric_counter("pz_idle_spins_total", ""));
}

static int s_run(s_op_t op, bool direct, int clients, s_result_t *res)
{
    s_worker_t w[S_CLIENTS_MAX];
    pthread_t t[S_CLIENTS_MAX];
    uint64_t t0 = bench_ns(), spins0 = s_spins();
    for (int i = 0; i < clients; i++) {
        w[i] = (s_worker_t){.op = op,
                            .direct = direct,
                            .seed = (uint64_t)i * 7919 + 1,
                            .lat = malloc(S_SAMPLES_MAX * sizeof(uint32_t))};
        pthread_create(&t[i], NULL, s_worker, &w[i]);
    }
    uint64_t total = 0;
    int err = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(t[i], NULL);
        total += w[i].n;
        err = err ? err : w[i].err;
    }
    double secs = (double)(bench_ns() - t0) / 1e9;
    uint32_t *all = malloc((total + 1) * sizeof *all);
    uint64_t at = 0;
    for (int i = 0; i < clients; i++) {
        memcpy(all + at, w[i].lat, w[i].n * sizeof *all);
        at += w[i].n;
        free(w[i].lat);
    }
    res->st = bench_stats(all, total);
    res->ops_s = (double)total / secs;
    res->spins_op = total ? (double)(s_spins() - spins0) / (double)total : 0;
    free(all);
    return err;
}

static int s_preload(pz_client_t *c)
{
    char key[24];
    for (uint32_t i = 0; i < s_keys; i++) {
        s_key(i, key);
        int rc = s_kv_call(c, PZ_KV_PUT, key, i + 1 == s_keys);
        MDB_val k = {strlen(key), key}, v = {38, "value-0123456789-0123456789-0123456789"};
        MDB_txn *txn = NULL;
        rc = rc ? rc : mdb_txn_begin(s_env, NULL, 0, &txn);
        rc = rc ? rc : mdb_put(txn, s_dbi, &k, &v, 0);
        rc = rc ? rc : mdb_txn_commit(txn);
        if (rc != 0) {
            fprintf(stderr, "bench_kv: preload failed at %u: %d\n", i, rc);
            return rc;
        }
    }
    return 0;
}

static int s_open_lmdb(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/direct-lmdb", dir);
    mkdir(path, 0755);
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&s_env);
    rc = rc ? rc : mdb_env_set_mapsize(s_env, 1ull << 30);
    rc = rc ? rc : mdb_env_set_maxreaders(s_env, 512);
    rc = rc ? rc : mdb_env_open(s_env, path, MDB_NOTLS, 0644);
    rc = rc ? rc : mdb_txn_begin(s_env, NULL, 0, &txn);
    rc = rc ? rc : mdb_dbi_open(txn, NULL, 0, &s_dbi);
    rc = rc ? rc : mdb_txn_commit(txn);
    return rc;
}

static void s_print(const char *name, int clients, s_result_t ours, s_result_t base)
{
    printf("%-16s %3d  %10.0f %8.1f %8.1f   %10.0f %8.1f %8.1f   %6.2fx %6.2f\n", name, clients,
           ours.ops_s, ours.st.p50_us, ours.st.p99_us, base.ops_s, base.st.p50_us, base.st.p99_us,
           base.ops_s > 0 ? ours.ops_s / base.ops_s : 0, ours.spins_op);
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The wake-up cost on these VMs is bimodal from run to run (vCPU placement): a raw baseline and
 * our number taken minutes apart can differ 2.5x for that alone. So the target is checked in
 * alternating rounds — raw round trip, then five-layer get, again and again — and the median of
 * the per-round ratios is reported. */
static int s_interleaved(int rounds, double *median_ratio)
{
    double ratios[16];
    void *zctx = zmq_ctx_new();
    double saved = s_seconds;
    s_seconds = 0.5;
    int rc = 0;
    for (int i = 0; i < rounds && i < 16 && rc == 0; i++) {
        bench_stats_t raw = bench_raw_two_threads(zctx, 5000);
        s_result_t get = {0};
        rc = s_run(S_GET, false, 1, &get);
        ratios[i] = get.st.p50_us / raw.p50_us;
        printf("  round %d: raw %.1f us, five-layer get %.1f us, ratio %.2f\n", i + 1, raw.p50_us,
               get.st.p50_us, ratios[i]);
    }
    s_seconds = saved;
    zmq_ctx_term(zctx);
    qsort(ratios, (size_t)rounds, sizeof ratios[0], s_cmp_double);
    *median_ratio = ratios[rounds / 2];
    return rc;
}

/* The five layers in one process on two kernel threads; spin_us and spinners < 0: the kernel's
 * idle-spinning defaults. */
static void s_kernel_config(const char *dir, int spin_us, int spinners, char *cfg, size_t cap)
{
    char spin[64] = "";
    if (spin_us >= 0) {
        snprintf(spin, sizeof spin, "    spin_us = %d\n", spin_us);
    }
    if (spinners >= 0) {
        snprintf(spin + strlen(spin), sizeof spin - strlen(spin), "    spinners = %d\n", spinners);
    }
    snprintf(cfg, cap,
             "node\n    store = %s/pz\n    threads = 2\n    log_level = warn\n%smodules\n"
             "    txn\n        next = dist\n    dist\n        first_range = repl\n"
             "    repl\n        storage = storage\n        bootstrap = true\n"
             "    storage\n        engine = lmdb\n        sync = true\n",
             dir, spin);
}

static void s_print_idle(void)
{
    printf("idle spinning: %llu spins, %llu ended with a message, %llu ceded the core, %llu "
           "refused (slots full)\n",
           (unsigned long long)pz_metric_value(pz_metric_counter("pz_idle_spins_total", "")),
           (unsigned long long)pz_metric_value(pz_metric_counter("pz_idle_spin_wins_total", "")),
           (unsigned long long)pz_metric_value(pz_metric_counter("pz_idle_spin_ceded_total", "")),
           (unsigned long long)pz_metric_value(pz_metric_counter("pz_idle_spin_full_total", "")));
}

int main(int argc, char **argv)
{
    char dir[512] = "";
    int spin_us = -1, spinners = -1; /* -1: the kernel's defaults */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            s_seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--keys") && i + 1 < argc) {
            s_keys = (uint32_t)atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--only-get")) {
            s_ops_max = 1;
        } else if (!strcmp(argv[i], "--spin-us") && i + 1 < argc) {
            spin_us = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--spinners") && i + 1 < argc) {
            spinners = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            snprintf(dir, sizeof dir, "%s", argv[++i]);
        }
    }
    if (dir[0] == '\0') {
        snprintf(dir, sizeof dir, "/tmp/pz-bench-kv-%d", (int)getpid());
    }
    mkdir(dir, 0755);
    pz_log_set_level(PZ_LOG_WARN);
    void *zctx = zmq_ctx_new();
    bench_stats_t raw = bench_raw_two_threads(zctx, 20000);
    zmq_ctx_term(zctx);

    char cfg[1024];
    s_kernel_config(dir, spin_us, spinners, cfg, sizeof cfg);
    zconfig_t *zc = NULL;
    if (s_open_lmdb(dir) != 0 || pz__config_load_str(cfg, "bench_kv", &zc) != 0 ||
        pz__kernel_start(zc, NULL) != 0) {
        fprintf(stderr, "bench_kv: start failed\n");
        return 1;
    }
    pz_client_t *c = pz_client_new(NULL);
    int rc = s_preload(c);
    uint32_t *plat = malloc(20000 * sizeof *plat);
    for (int i = 0; rc == 0 && i < 20000; i++) {
        pz_ping_t p = {.seq = (uint64_t)i};
        pz_out_t *o = NULL;
        pz_msg_t *reply = NULL;
        uint64_t t0 = bench_ns();
        pz_ping_to_out(&p, PZ_MSG_PING, &o);
        rc = pz_client_call(c, "txn", &o, 10000, &reply);
        plat[i] = (uint32_t)(bench_ns() - t0);
        pz_out_free(&o);
        pz_msg_free(&reply);
    }
    bench_stats_t ping = bench_stats(plat, 20000);
    free(plat);
    pz_client_destroy(&c);
    printf("KV through five layers vs direct LMDB; %u keys, %.1f s per case (latency in us)\n",
           s_keys, s_seconds);
    printf("%-16s %3s  %10s %8s %8s   %10s %8s %8s   %7s %6s\n", "case", "cl", "ops/s", "p50",
           "p99", "lmdb ops/s", "p50", "p99", "ratio", "spins");
    static const int clients[] = {1, 16};
    s_result_t r[3][2] = {{{0}}};
    for (int op = 0; rc == 0 && op < s_ops_max; op++) {
        for (int ci = 0; rc == 0 && ci < 2; ci++) {
            s_result_t base = {0};
            rc = s_run((s_op_t)op, false, clients[ci], &r[op][ci]);
            rc = rc ? rc : s_run((s_op_t)op, true, clients[ci], &base);
            s_print(s_op_names[op], clients[ci], r[op][ci], base);
        }
    }
    static const char *const actors[] = {"txn", "dist", "repl", "storage"};
    printf("\ntime in each actor's message hook (us, log2 buckets): ");
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "pz_actor_%s_handle_us", actors[i]);
        pz_metric_t *m = pz_metric_histogram(name, "");
        printf("%s p50 %llu p99 %llu (%llu msgs)%s", actors[i],
               (unsigned long long)pz_metric_quantile(m, 0.5),
               (unsigned long long)pz_metric_quantile(m, 0.99),
               (unsigned long long)pz_metric_value(m), i < 3 ? ", " : "\n");
    }
    s_print_idle();
    double median = 0;
    if (rc == 0) {
        printf("\ntarget check, alternating rounds (1 client):\n");
        rc = s_interleaved(s_ops_max < 3 ? 5 : 7, &median);
    }
    pz__kernel_stop();
    zconfig_destroy(&zc);
    mdb_env_close(s_env);
    if (rc != 0) {
        fprintf(stderr, "bench_kv: failed: %s\n", pz_strerror(rc));
        return 1;
    }
    printf("\nraw zmq inproc round trip, two threads: p50 %.1f us\n", raw.p50_us);
    printf("client -> kernel thread PING round trip (no module code): p50 %.1f us\n", ping.p50_us);
    printf("five-layer get, 1 client: p50 %.1f us = %.2fx the raw round trip above\n",
           r[S_GET][0].st.p50_us, r[S_GET][0].st.p50_us / raw.p50_us);
    printf("five-layer get / raw round trip, median of alternating rounds: %.2fx (target <= 1)\n",
           median);
    if (s_ops_max < 3) {
        return 0;
    }
    printf("durable puts: 16 clients %.0f ops/s = %.2fx of 1 client (target >= 5: group commit)\n",
           r[S_PUT_SYNC][1].ops_s, r[S_PUT_SYNC][1].ops_s / r[S_PUT_SYNC][0].ops_s);
    return 0;
}
