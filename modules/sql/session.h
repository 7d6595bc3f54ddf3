/*
 * session.h — one client connection of the pgwire server, run on its own thread.
 *
 * A session speaks the PostgreSQL protocol v3 with blocking socket I/O: DESIGN.md rule 3 allows
 * blocking only in SQL session workers, and a thread per connection is the simplest shape that
 * keeps each session's state machine straight-line code. Every wait is a poll() of at most
 * PZ_SQL_POLL_MS that re-checks the server's stop flag, so stopping is bounded.
 */
#ifndef PZ_SQL_SESSION_H
#define PZ_SQL_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "phantomzero/kernel.h"
#include "sql_conn.h"

typedef struct {
    int fd;                   /* connected socket; the session never closes it (its owner does) */
    uint32_t pid;             /* BackendKeyData process id: the session's number */
    uint32_t idle_timeout_ms; /* 0 = none: close an idle session after this */
    bool over_limit;          /* finish the handshake only to answer 53300 "too many clients" */
    const atomic_bool *stop;  /* set when the server stops: the session ends within a poll */
    uint32_t secret;          /* BackendKeyData's secret key */
    atomic_bool *cancel;      /* set by a CancelRequest naming this session (may be NULL) */
    /* Delivers a CancelRequest received on this connection to the session it names. */
    void (*cancel_fn)(void *server, uint32_t pid, uint32_t secret);
    void *server;
    const pz_actor_t *log;   /* the sql actor, for pz_log (thread-safe) */
    pz_sql_engine_t *engine; /* statements run here; NULL: every statement is refused 0A000
                                (the protocol's unit tests run sessions without a kernel) */
    /* Authentication and TLS settings (session_auth.h); NULL: trust, no TLS. */
    const struct pz_sql_auth_cfg *auth;
} pz_sql_session_cfg_t;

/* Runs the session to its end: the client left, a protocol error, a timeout, or stop. Returns
 * nothing: every outcome is answered on the wire and logged. */
void pz_sql_session_run(const pz_sql_session_cfg_t *cfg);

#endif
