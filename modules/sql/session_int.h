/*
 * session_int.h — what session.c (socket I/O, startup, message dispatch) and session_sql.c
 * (statements: simple and extended protocol, result encoding) share about one session.
 */
#ifndef PZ_SQL_SESSION_INT_H
#define PZ_SQL_SESSION_INT_H

#include <sys/types.h>

#include "pgwire.h"
#include "session.h"
#include "sql_conn.h"

/* Named prepared statements and portals a session may hold: PostgreSQL has no bound; a client
 * that leaks them (never Close) is stopped here rather than exhausting memory. */
#define PZ_SQL_PREPARED_MAX 10000

typedef struct s_named {
    char *name;
    pz_sql_prep_t *prep;     /* a statement, or */
    pz_sql_portal_t *portal; /* a portal */
    int16_t *formats;        /* portal: result column formats (n_formats; 1 applies to all) */
    int n_formats;
    struct s_named *next;
} s_named_t;

typedef struct {
    const pz_sql_session_cfg_t *cfg;
    pz_pgw_in_t in;
    pz_pgw_out_t out;
    uint64_t flushes;  /* writes of out to the client: what sink->rewind may no longer take back */
    bool skip_to_sync; /* an extended-protocol error: discard until Sync, as PostgreSQL does */
    char user[PZ_SQL_NAME_BYTES_MAX];
    char database[PZ_SQL_NAME_BYTES_MAX];
    char app[PZ_SQL_NAME_BYTES_MAX];
    pz_sql_conn_t *conn; /* NULL when the server runs without an engine (unit tests) */
    pz_sbuf_t msg;       /* a message being built (rows, descriptions) */
    pz_sbuf_t val;       /* a value's text */
    s_named_t *stmts;    /* prepared statements ("" = unnamed) */
    s_named_t *portals;
    int n_named;
    const int16_t *formats; /* result formats of the portal running now */
    int n_formats;
    /* The extended-protocol batch since the last Sync, kept to be sent again when its block
     * is replayed (pz_sql_conn_batch_*): [type][u32 length][body] per message. */
    pz_sbuf_t batch;
    bool in_batch;
    bool batch_off;     /* past PZ_SQL_OUT_BYTES_MAX, or a message that cannot run twice */
    bool replaying;     /* the batch's messages are being sent again */
    bool replay_failed; /* an Execute of the replay failed: replay_err */
    pz_sql_err_t replay_err;
    void *tls;      /* session_tls.c: the SSL connection, NULL while plain */
    short tls_want; /* the poll event the last SSL call waits for */
} s_sess_t;

/* Session outcomes beside 0 (go on): the connection ends. */
#define S_DONE 1

int pz__sess_flush(s_sess_t *s);
void pz__sess_error(s_sess_t *s, const char *severity, const char *sqlstate, const char *message,
                    int position);
void pz__sess_put_error(s_sess_t *s, const pz_pgw_error_t *e);
int pz__sess_fatal(s_sess_t *s, const char *sqlstate, const char *message);
void pz__sess_ready(s_sess_t *s);
/* Appends a whole message, flushing first when it does not fit (a message larger than the
 * buffer is written straight to the socket). 0 or a negative code (connection lost). */
int pz__sess_emit(s_sess_t *s, uint8_t type, const void *body, size_t len);

/* session_sql.c */
/* An extended-protocol message (P/B/D/E/C) before it runs: kept for a replay of its batch. */
void pz__sess_batch_log(s_sess_t *s, const pz_pgw_msg_t *msg);
int pz__sess_query(s_sess_t *s, const char *text);
int pz__sess_extended(s_sess_t *s, const pz_pgw_msg_t *msg);
void pz__sess_sql_free(s_sess_t *s);

/* COPY (session_copy.c): the sink's copy callbacks; session.c's reader for them (1 with *msg,
 * or a negative code after the failure was answered as the main loop answers it). */
int pz__sess_copy_start(void *ctx, bool in, int n_cols);
int pz__sess_copy_read(void *ctx, const uint8_t **p, size_t *n, pz_sql_err_t *err);
int pz__sess_copy_write(void *ctx, const void *p, size_t n);
int pz__sess_copy_done(void *ctx);
int pz__sess_read(s_sess_t *s, pz_pgw_msg_t *msg);

/* ---- authentication and TLS (session_auth.c, session_tls.c) ---- */
/* session.c's poll wait, clock and startup-phase reader (a failure is answered as the startup
 * loop answers it and returned negative). */
int pz__sess_wait(s_sess_t *s, short events, uint64_t deadline_ms);
uint64_t pz__sess_now_ms(void);
int pz__sess_next(s_sess_t *s, pz_pgw_msg_t *msg, uint64_t deadline_ms);
/* Authenticates s->user (after the StartupMessage). 0, or S_DONE after a FATAL. */
int pz__sess_auth(s_sess_t *s);
/* Socket I/O, plain or TLS: as recv/send (-1 with errno EAGAIN: poll for
 * pz__sess_io_events(s, the natural event)). */
ssize_t pz__sess_io_read(s_sess_t *s, void *p, size_t n);
ssize_t pz__sess_io_write(s_sess_t *s, const void *p, size_t n);
short pz__sess_io_events(const s_sess_t *s, short dflt);
/* Whether an SSLRequest gets 'S'; the handshake after 'S' was sent (0 or S_DONE); the end. */
bool pz__sess_tls_offered(const s_sess_t *s);
int pz__sess_tls_start(s_sess_t *s, uint64_t deadline_ms);
void pz__sess_tls_end(s_sess_t *s);

#endif
