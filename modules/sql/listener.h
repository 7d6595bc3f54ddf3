/*
 * listener.h — the pgwire server's listening socket, its accept thread and the session workers.
 *
 * pz_sql_server_start binds the socket on the caller's thread (so a port in use fails the sql
 * actor's init with a clear message) and starts the listener thread; pz_sql_server_stop stops
 * accepting, lets every session end (each notices within PZ_SQL_POLL_MS), and joins all threads
 * (the session workers of sql_sched.c run the sessions).
 */
#ifndef PZ_SQL_LISTENER_H
#define PZ_SQL_LISTENER_H

#include <stdint.h>

#include "phantomzero/kernel.h"
#include "sql_conn.h"

typedef struct {
    const char *listen;                 /* "host:port" */
    uint32_t max_connections;           /* sessions admitted at once */
    uint32_t idle_timeout_ms;           /* 0 = none */
    int workers;                        /* session worker threads, 1..PZ_SCHED_WORKERS_MAX */
    const pz_actor_t *log;              /* the sql actor: pz_log is thread-safe */
    pz_sql_engine_t *engine;            /* runs the sessions' statements; NULL: none (unit tests) */
    const struct pz_sql_auth_cfg *auth; /* session_auth.h; NULL: trust, no TLS */
} pz_sql_server_cfg_t;

typedef struct pz_sql_server pz_sql_server_t;

/* Binds and listens, then starts the listener thread. Returns 0 and *out, PZ_EINVAL (a listen
 * address that does not parse), PZ_EUNAVAILABLE (cannot bind: the port is in use), PZ_ENOMEM,
 * PZ_EIO. Logs the reason on failure. */
int pz_sql_server_start(const pz_sql_server_cfg_t *cfg, pz_sql_server_t **out);
/* The port actually bound (useful when the config says port 0). */
uint16_t pz_sql_server_port(const pz_sql_server_t *srv);
/* Stops and frees; NULLs *srv. Returns within about PZ_SQL_POLL_MS plus the longest statement in
 * progress. No-op on NULL. */
void pz_sql_server_stop(pz_sql_server_t **srv);

#endif
