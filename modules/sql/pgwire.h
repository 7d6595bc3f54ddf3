/*
 * pgwire.h — PostgreSQL frontend/backend protocol v3: framing of incoming bytes into messages
 * and encoding of backend messages, with no sockets in sight.
 *
 * Written by hand because no Debian library implements the *backend* side of pgwire (libpq is
 * the client side). Keeping the framing free of I/O lets the unit tests (tests/unit/sql) and a
 * later fuzz target feed it arbitrary bytes: good, truncated, oversized and garbage input.
 *
 * Incoming (pz_pgw_in_t): the session reads socket bytes into the space pz_pgw_in_space gives,
 * commits them, and asks pz_pgw_in_next for whole messages. Before startup completes, a message
 * is a startup-phase packet (Int32 length, body); after pz_pgw_in_start_done, a regular message
 * (Byte1 type, Int32 length, body). Every length is checked before any byte is buffered past it.
 *
 * Outgoing (pz_pgw_out_t): a fixed buffer of PZ_SQL_OUT_BYTES_MAX; each pz_pgw_put_* appends one
 * whole backend message. Not thread-safe: one session owns one of each.
 */
#ifndef PZ_SQL_PGWIRE_H
#define PZ_SQL_PGWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql_limits.h"

/* Startup-phase request codes (the Int32 after the length). */
#define PZ_PGW_PROTO_3_0 196608u        /* 3 << 16 | 0 */
#define PZ_PGW_CANCEL_REQUEST 80877102u /* 1234 << 16 | 5678 */
#define PZ_PGW_SSL_REQUEST 80877103u    /* 1234 << 16 | 5679 */
#define PZ_PGW_GSSENC_REQUEST 80877104u /* 1234 << 16 | 5680 */

/* Result of pz_pgw_in_next beside 0 (need more bytes) and 1 (a message): negative PZ_E* codes,
 * PZ_EPROTO (bad bytes) or PZ_ETOOBIG (a length past the limit), with in->error saying why. */

typedef struct {
    uint8_t type;        /* 0 for a startup-phase packet */
    const uint8_t *body; /* view into the buffer: valid until the next space/next call */
    uint32_t len;        /* body bytes (length word and type excluded) */
} pz_pgw_msg_t;

typedef struct {
    uint8_t *buf;
    size_t cap;      /* allocated bytes, grows on demand up to a whole message */
    size_t start;    /* first unconsumed byte */
    size_t end;      /* one past the last byte read */
    size_t msg_max;  /* body limit after startup */
    bool started;    /* regular messages from now on */
    char error[160]; /* why the last pz_pgw_in_next failed */
} pz_pgw_in_t;

/* msg_max: body bytes a regular message may have (<= PZ_SQL_MSG_BYTES_MAX). Returns 0 or
 * PZ_ENOMEM. */
int pz_pgw_in_init(pz_pgw_in_t *in, size_t msg_max);
void pz_pgw_in_free(pz_pgw_in_t *in);
/* Room to read at least one byte into: *p and *n (n > 0). Compacts or grows the buffer as the
 * message being read needs, never beyond one whole message. Invalidates earlier views.
 * Returns 0 or PZ_ENOMEM. */
int pz_pgw_in_space(pz_pgw_in_t *in, uint8_t **p, size_t *n);
/* n bytes were written at the space just given. */
void pz_pgw_in_commit(pz_pgw_in_t *in, size_t n);
/* The next whole message: 1 (and *msg set), 0 (more bytes needed), or a negative code with
 * in->error set; after an error the stream is unusable (the connection must close). */
int pz_pgw_in_next(pz_pgw_in_t *in, pz_pgw_msg_t *msg);
/* The startup packet was accepted: regular messages follow. */
void pz_pgw_in_start_done(pz_pgw_in_t *in);
/* Bytes received but not yet returned as messages. */
size_t pz_pgw_in_pending(const pz_pgw_in_t *in);

/* A parsed startup-phase packet. Strings are views into the packet (valid as its message). */
typedef struct {
    uint32_t code; /* PZ_PGW_*_REQUEST, or the protocol version of a StartupMessage */
    uint32_t n_params;
    const char *names[PZ_SQL_STARTUP_PARAMS_MAX];
    const char *values[PZ_SQL_STARTUP_PARAMS_MAX];
} pz_pgw_startup_t;

/* Parses a startup-phase packet body. For a StartupMessage (any version) the parameter list must
 * be well formed: NUL-terminated name/value pairs ending in an empty name as the last byte.
 * Returns 0, or PZ_EPROTO / PZ_ELIMIT (too many parameters) with `why` filled. */
int pz_pgw_startup_parse(const pz_pgw_msg_t *msg, pz_pgw_startup_t *out, char *why, size_t why_cap);
/* A parameter's value or NULL. */
const char *pz_pgw_startup_get(const pz_pgw_startup_t *s, const char *name);

/* The query string of a Query ('Q') body: exactly one terminating NUL, at the end. Returns 0 or
 * PZ_EPROTO. */
int pz_pgw_query_text(const pz_pgw_msg_t *msg, const char **text);

/* An ErrorResponse / NoticeResponse. Fields NULL or empty are left out; sqlstate is required. */
typedef struct {
    const char *severity; /* "ERROR", "FATAL" */
    const char *sqlstate; /* five characters */
    const char *message;
    const char *detail;
    const char *hint;
    int position; /* 1-based character offset in the query, 0 = none */
    const char *context; /* 'W' (CONTEXT), or NULL; added for COPY */
    bool notice;  /* a NoticeResponse ('N') rather than an ErrorResponse ('E') */
} pz_pgw_error_t;

typedef struct {
    uint8_t buf[PZ_SQL_OUT_BYTES_MAX];
    size_t len;
} pz_pgw_out_t;

/* Each appends one whole message; false (and nothing appended) when it does not fit, which with
 * these small messages means the caller forgot to flush: callers assert on it. */
bool pz_pgw_put_byte(pz_pgw_out_t *o, uint8_t b); /* a bare byte: the 'N' answer to SSLRequest */
bool pz_pgw_put_auth_ok(pz_pgw_out_t *o);
bool pz_pgw_put_param_status(pz_pgw_out_t *o, const char *name, const char *value);
bool pz_pgw_put_backend_key(pz_pgw_out_t *o, uint32_t pid, uint32_t secret);
bool pz_pgw_put_ready(pz_pgw_out_t *o, char status);
bool pz_pgw_put_empty_query(pz_pgw_out_t *o);
bool pz_pgw_put_error(pz_pgw_out_t *o, const pz_pgw_error_t *e);
/* Any message: type and body bytes. */
bool pz_pgw_put_raw(pz_pgw_out_t *o, uint8_t type, const void *body, size_t len);
/* NegotiateProtocolVersion: the newest minor version we speak and the options we ignored. */
bool pz_pgw_put_negotiate(pz_pgw_out_t *o, uint32_t minor, const char *const *options,
                          uint32_t n_options);

#endif
