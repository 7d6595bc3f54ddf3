/*
 * cli_start.c — `phantomzero start` and `start-single-node`: build the config (a file, or the
 * built-in single-node topology), apply flags, start the kernel, wait for SIGTERM/SIGINT, stop.
 *
 * Signals are blocked in every thread before the kernel starts and taken synchronously here with
 * sigwait, so no handler ever runs inside a kernel thread.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "internal.h"

/* The single-node topology: every layer on kernel thread 0 (the actors that talk most share a
 * thread), listening for the KV CLI and other processes on the node's ZeroMQ port. Kept equal
 * to configs/single-node.cfg. */
/* clang-format off */
static const char s_single_node_cfg[] =
    "node\n"
    "    store = ./pz-data\n"
    "    listen = tcp://127.0.0.1:26357\n"
    "    log_level = info\n"
    "modules\n"
    "    txn\n"
    "        thread = 0\n"
    "        next = dist\n"
    "    dist\n"
    "        thread = 0\n"
    "        first_range = repl\n"
    "    repl\n"
    "        thread = 0\n"
    "        storage = storage\n"
    "        bootstrap = true\n"
    "    storage\n"
    "        thread = 0\n"
    "        engine = lmdb\n"
    "        sync = true\n"
    "    sql\n"
    "        thread = 0\n"
    "        listen_sql = 127.0.0.1:26257\n"
    "        max_connections = 100\n"
    "        idle_timeout_ms = 0\n";
/* clang-format on */

static int s_log_level(const char *v)
{
    if (v == NULL) {
        return PZ_LOG_INFO;
    }
    return !strcmp(v, "debug")   ? PZ_LOG_DEBUG
           : !strcmp(v, "warn")  ? PZ_LOG_WARN
           : !strcmp(v, "error") ? PZ_LOG_ERROR
                                 : PZ_LOG_INFO;
}

/* --gc-ttl=DURATION: gc.ttl for every repl actor of the topology (its GC queue,
 * modules/repl/repl_gcq.c, parses the duration and refuses a malformed one at start). */
static int s_gc_ttl(zconfig_t *cfg, const char *v, const char *argv0)
{
    int n = 0;
    zconfig_t *mods = zconfig_locate(cfg, "modules");
    for (zconfig_t *m = mods ? zconfig_child(mods) : NULL; m != NULL; m = zconfig_next(m)) {
        const char *module = zconfig_get(m, "module", zconfig_name(m));
        if (module != NULL && strcmp(module, "repl") == 0) {
            zconfig_put(m, "gc_ttl", v);
            n++;
        }
    }
    if (n == 0) {
        fprintf(stderr, "phantomzero %s: --gc-ttl: this topology runs no repl module\n", argv0);
        return PZ_EXIT_USAGE;
    }
    return 0;
}

static int s_apply_flags(zconfig_t *cfg, int argc, char **argv)
{
    char buf[1200];
    for (int i = 1; i < argc; i++) {
        const char *v;
        int rc = 0;
        if ((v = pz__flag(argc, argv, &i, "config")) != NULL) {
            continue; /* read before */
        } else if ((v = pz__flag(argc, argv, &i, "store")) != NULL) {
            zconfig_put(cfg, "node/store", v);
        } else if ((v = pz__flag(argc, argv, &i, "listen-addr")) != NULL) {
            snprintf(buf, sizeof buf, "%s%s", strstr(v, "://") ? "" : "tcp://", v);
            zconfig_put(cfg, "node/listen", buf);
        } else if ((v = pz__flag(argc, argv, &i, "sql-addr")) != NULL) {
            if (zconfig_locate(cfg, "modules/sql") == NULL) {
                fprintf(stderr, "phantomzero %s: --sql-addr: this topology runs no sql module\n",
                        argv[0]);
                return PZ_EXIT_USAGE;
            }
            zconfig_put(cfg, "modules/sql/listen_sql", v);
        } else if ((v = pz__flag(argc, argv, &i, "range-max-bytes")) != NULL) {
            /* Automatic splits (modules/repl/repl_split.h): tests set a few KiB. */
            if (zconfig_locate(cfg, "modules/repl") == NULL) {
                fprintf(stderr, "phantomzero %s: --range-max-bytes: this topology runs no repl\n",
                        argv[0]);
                return PZ_EXIT_USAGE;
            }
            zconfig_put(cfg, "modules/repl/range_max_bytes", v);
        } else if ((v = pz__flag(argc, argv, &i, "module-dir")) != NULL) {
            zconfig_put(cfg, "node/module_dir", v);
        } else if ((v = pz__flag(argc, argv, &i, "log-level")) != NULL) {
            zconfig_put(cfg, "node/log_level", v);
        } else if ((v = pz__flag(argc, argv, &i, "threads")) != NULL) {
            zconfig_put(cfg, "node/threads", v);
        } else if ((v = pz__flag(argc, argv, &i, "gc-ttl")) != NULL) {
            if (s_gc_ttl(cfg, v, argv[0]) != 0) {
                return PZ_EXIT_USAGE;
            }
        } else if ((v = pz__flag(argc, argv, &i, "set")) != NULL) {
            rc = pz__config_set(cfg, v);
        } else if (pz__flag_bool(argv, i, "insecure") ||
                   (v = pz__flag(argc, argv, &i, "certs-dir")) != NULL) {
            /* SQL security (modules/sql/session_auth.h): trust for everyone, or TLS from
             * DIR/node.crt and DIR/node.key, as CockroachDB's flags. */
            if (zconfig_locate(cfg, "modules/sql") == NULL) {
                fprintf(stderr, "phantomzero %s: %s: this topology runs no sql module\n", argv[0],
                        argv[i]);
                return PZ_EXIT_USAGE;
            }
            if (v == NULL) {
                zconfig_put(cfg, "modules/sql/insecure", "true");
            } else {
                snprintf(buf, sizeof buf, "%s/node.crt", v);
                zconfig_put(cfg, "modules/sql/tls_cert", buf);
                snprintf(buf, sizeof buf, "%s/node.key", v);
                zconfig_put(cfg, "modules/sql/tls_key", buf);
            }
        } else {
            fprintf(stderr, "phantomzero %s: unknown flag %s\n", argv[0], argv[i]);
            return PZ_EXIT_USAGE;
        }
        if (rc != 0) {
            return PZ_EXIT_USAGE;
        }
    }
    return 0;
}

static const char *s_config_path(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *v = pz__flag(argc, argv, &i, "config");
        if (v) {
            return v;
        }
    }
    return NULL;
}

static int s_run(zconfig_t *cfg, const char *file)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (pz__kernel_start(cfg, file) != 0) {
        pz_log(NULL, PZ_LOG_ERROR, "node failed to start");
        return PZ_EXIT_ERROR;
    }
    pz_log(NULL, PZ_LOG_INFO, "node ready: store=%s listen=%s modules=%d threads=%d (%s)",
           zconfig_get(cfg, "node/store", "-"), zconfig_get(cfg, "node/listen", "-"),
           pz__k->actors_len, pz__k->threads_len, file ? file : "single node");
    int sig = 0;
    sigwait(&set, &sig);
    pz_log(NULL, PZ_LOG_INFO, "received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    pz__kernel_stop();
    pz_log(NULL, PZ_LOG_INFO, "stopped");
    return PZ_EXIT_OK;
}

int pz__cli_start(int argc, char **argv, bool single_node)
{
    const char *file = single_node ? NULL : s_config_path(argc, argv);
    zconfig_t *cfg = NULL;
    if (!single_node && file == NULL) {
        fprintf(stderr, "phantomzero start: --config=FILE is required\n");
        return PZ_EXIT_USAGE;
    }
    int rc = file ? pz__config_load_file(file, &cfg)
                  : pz__config_load_str(s_single_node_cfg, "(built-in single-node)", &cfg);
    if (rc != 0) {
        return PZ_EXIT_ERROR;
    }
    rc = s_apply_flags(cfg, argc, argv);
    if (rc == 0 && pz__config_validate(cfg, file) != 0) {
        rc = PZ_EXIT_ERROR;
    }
    if (rc == 0) {
        pz_log_set_level(s_log_level(zconfig_get(cfg, "node/log_level", "info")));
        rc = s_run(cfg, file);
    }
    zconfig_destroy(&cfg);
    return rc;
}
