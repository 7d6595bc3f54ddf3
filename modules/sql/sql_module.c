/*
 * sql_module.c — the sql actor: the pgwire server's life cycle, driven by the kernel.
 *
 * The actor itself handles no messages yet: its init creates the SQL engine (catalog cache) and
 * starts the pgwire listener (its own threads, see listener.c; blocking socket I/O stays off the
 * kernel thread per DESIGN.md rule 3); its fini stops both. Sessions (tasks on the session
 * workers) reach the txn actor (config key `txn`, default "txn") through their worker's client.
 *
 * Config (section modules/sql):
 *   listen_sql       host:port for SQL clients            default 127.0.0.1:26257
 *   max_connections  sessions at once (1..10000)          default 100
 *   idle_timeout_ms  close sessions idle this long; 0=off default 0
 *   session_workers  threads that run the sessions         default: the number of cores
 *                    (sql_sched.c; 1..64)
 *   txn              the txn actor's address              default txn
 *   insecure         true: trust every role (--insecure)   default false
 *   auth             scram-sha-256 | password | trust: how roles with a password prove it
 *                    (session_auth.h)                      default scram-sha-256
 *   tls_cert         PEM certificate (chain) for TLS       default none: SSLRequest gets 'N'
 *   tls_key          its PEM private key                   (--certs-dir DIR: node.crt/.key)
 *   temp_dir         where sorts and hash tables spill     default <store>/temp; none without
 *                    past work_mem (emptied at start)      a store (then nothing spills)
 *   max_disk_temp_storage  bytes all temp files of the     default 32GiB (CockroachDB's
 *                    node may hold (53100 past it);        --max-disk-temp-storage); units
 *                    0 = no limit                          B, KiB/KB, MiB/MB, GiB/GB, TiB/TB
 * Without insecure: off loopback, TLS is required; root without a password logs in only from
 * loopback (the default single node keeps working for local clients as root).
 */
#include <stdio.h>
#include <stdlib.h>

#include <string.h>
#include <unistd.h>

#include "listener.h"
#include "phantomzero/module.h"
#include "session_auth.h"
#include "sql_limits.h"
#include "sql_spill.h"

#define S_LISTEN_DEFAULT "127.0.0.1:26257"

typedef struct {
    pz_sql_server_t *server;
    pz_sql_engine_t *engine;
    pz_sql_auth_cfg_t auth; /* read by the sessions until fini */
    pz_spill_env_t spill;   /* read by the sessions until fini */
} s_sql_t;

static int s_int_setting(pz_actor_t *self, const pz_cfg_t *cfg, const char *key, int64_t dflt,
                         int64_t lo, int64_t hi, int64_t *out)
{
    int rc = pz_cfg_int(cfg, key, dflt, out);
    if (rc != 0 || *out < lo || *out > hi) {
        pz_log(self, PZ_LOG_ERROR, "%s must be an integer from %lld to %lld", key, (long long)lo,
               (long long)hi);
        return PZ_ECONFIG;
    }
    return 0;
}

/* The temp directory operators spill to: temp_dir, else <store>/temp; none without either. */
static int s_spill_setup(pz_actor_t *self, const pz_cfg_t *cfg, s_sql_t *q)
{
    char dir[4096];
    const char *store = pz_actor_store_dir(self);
    const char *temp = pz_cfg_str(cfg, "temp_dir", "");
    uint64_t max = 0;
    const char *maxs = pz_cfg_str(cfg, "max_disk_temp_storage", "32GiB");
    if (pz_spill_parse_bytes(maxs, &max) != 0) {
        pz_log(self, PZ_LOG_ERROR, "max_disk_temp_storage \"%s\" is not a byte count (e.g. 32GiB)",
               maxs);
        return PZ_ECONFIG;
    }
    if (temp[0] == '\0' && (store == NULL || store[0] == '\0')) {
        pz_log(self, PZ_LOG_INFO, "no store and no temp_dir: queries will not spill to disk");
        return 0;
    }
    snprintf(dir, sizeof dir, "%s%s", temp[0] ? temp : store, temp[0] ? "" : "/temp");
    char why[4400];
    if (pz_spill_env_init(&q->spill, dir, max, why, sizeof why) != 0) {
        pz_log(self, PZ_LOG_ERROR, "%s", why);
        return PZ_ECONFIG;
    }
    pz_sql_engine_set_spill(q->engine, &q->spill);
    pz_log(self, PZ_LOG_INFO, "temp files in %s (max_disk_temp_storage %llu bytes)", dir,
           (unsigned long long)max);
    return 0;
}

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    s_sql_t *q = calloc(1, sizeof *q);
    if (q == NULL) {
        return PZ_ENOMEM;
    }
    *state = q;
    int64_t max_conn = 0, idle_ms = 0, workers = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cores = cores < 1 ? 1 : cores > PZ_SCHED_WORKERS_MAX ? PZ_SCHED_WORKERS_MAX : cores;
    int rc = s_int_setting(self, cfg, "max_connections", 100, 1, PZ_SQL_CONNECTIONS_MAX, &max_conn);
    if (rc == 0) {
        rc = s_int_setting(self, cfg, "idle_timeout_ms", 0, 0, UINT32_MAX, &idle_ms);
    }
    if (rc == 0) {
        rc = s_int_setting(self, cfg, "session_workers", cores, 1, PZ_SCHED_WORKERS_MAX, &workers);
    }
    if (rc != 0) {
        return rc;
    }
    /* Authentication and TLS (session_auth.h). */
    const char *mode = pz_cfg_str(cfg, "auth", "scram-sha-256");
    q->auth.mode = !strcmp(mode, "scram-sha-256") || !strcmp(mode, "scram") ? PZ_SQL_AUTH_SCRAM
                   : !strcmp(mode, "password")                              ? PZ_SQL_AUTH_PASSWORD
                   : !strcmp(mode, "trust")                                 ? PZ_SQL_AUTH_TRUST
                                                                            : -1;
    if (q->auth.mode < 0 || pz_cfg_bool(cfg, "insecure", false, &q->auth.insecure) != 0) {
        pz_log(self, PZ_LOG_ERROR,
               "auth must be scram-sha-256, password or trust; insecure true or false");
        return PZ_ECONFIG;
    }
    snprintf(q->auth.txn, sizeof q->auth.txn, "%s", pz_cfg_str(cfg, "txn", "txn"));
    const char *cert = pz_cfg_str(cfg, "tls_cert", ""), *key = pz_cfg_str(cfg, "tls_key", "");
    if (cert[0] != '\0' || key[0] != '\0') {
        char why[400];
        if (pz_sql_tls_ctx_new(cert, key[0] ? key : cert, &q->auth.tls_ctx, why, sizeof why)) {
            pz_log(self, PZ_LOG_ERROR, "%s", why);
            return PZ_ECONFIG;
        }
    }
    pz_log(self, PZ_LOG_INFO, "SQL authentication: %s%s",
           q->auth.insecure ? "insecure (trust)" : mode,
           q->auth.tls_ctx ? ", TLS offered" : ", no TLS");
    q->engine = pz_sql_engine_new(pz_cfg_str(cfg, "txn", "txn"));
    if (q->engine == NULL) {
        return PZ_ENOMEM;
    }
    if ((rc = s_spill_setup(self, cfg, q)) != 0) {
        return rc;
    }
    pz_sql_server_cfg_t sc = {.listen = pz_cfg_str(cfg, "listen_sql", S_LISTEN_DEFAULT),
                              .max_connections = (uint32_t)max_conn,
                              .idle_timeout_ms = (uint32_t)idle_ms,
                              .workers = (int)workers,
                              .log = self,
                              .engine = q->engine,
                              .auth = &q->auth};
    return pz_sql_server_start(&sc, &q->server);
}

static void s_fini(pz_actor_t *self, void *state)
{
    (void)self;
    s_sql_t *q = state;
    pz_sql_server_stop(&q->server);
    pz_sql_engine_destroy(&q->engine);
    pz_sql_tls_ctx_free(&q->auth.tls_ctx);
    free(q);
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    (void)state;
    /* Nothing is addressed to sql yet (PING is answered by the kernel). */
    pz_reply_error(self, msg, PZ_EUNKNOWN_TYPE, "the sql actor takes no messages yet");
    return 0;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("sql"),
    .init = s_init,
    .fini = s_fini,
    .on_message = s_on_message,
};

PZ_MODULE_DEFINE(s_desc)
