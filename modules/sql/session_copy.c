/*
 * session_copy.c — the wire side of COPY (PostgreSQL docs, "Message Flow: COPY Operations"):
 * the sink callbacks sql_copy.c drives.
 *
 *   COPY FROM STDIN: CopyInResponse 'G' (text format, every column text), flushed; then the
 *   client's CopyData 'd' are handed over as they come, until CopyDone 'c' (the end) or
 *   CopyFail 'f' (57014 "COPY from stdin failed: <its message>"). Flush and Sync are ignored
 *   during copy-in, as PostgreSQL does; any other message is an error (08P01) that ends the
 *   copy. After an error the session answers at once (ErrorResponse, then ReadyForQuery for a
 *   simple Query, or skip-to-Sync for the extended protocol) and the client's remaining
 *   CopyData / CopyDone / CopyFail are dropped by session.c's main loop, as PostgreSQL's.
 *   COPY TO STDOUT: CopyOutResponse 'H', one CopyData per row, CopyDone; the statement then
 *   ends with CommandComplete "COPY n". An error in the middle is an ErrorResponse without
 *   CopyDone, as PostgreSQL.
 */
#include <arpa/inet.h>
#include <string.h>

#include "session_int.h"

int pz__sess_copy_start(void *ctx, bool in, int n_cols)
{
    s_sess_t *s = ctx;
    pz_sbuf_t *b = &s->msg;
    pz_sbuf_reset(b);
    pz_sbuf_putc(b, 0); /* overall format: text */
    uint16_t be = htons((uint16_t)n_cols);
    pz_sbuf_put(b, &be, 2);
    for (int i = 0; i < n_cols; i++) {
        uint16_t zero = 0;
        pz_sbuf_put(b, &zero, 2);
    }
    if (b->oom) {
        return PZ_ENOMEM;
    }
    int rc = pz__sess_emit(s, in ? 'G' : 'H', b->p, b->len);
    if (rc == 0 && in) {
        rc = pz__sess_flush(s); /* the client waits for it before it sends data */
    }
    return rc;
}

int pz__sess_copy_read(void *ctx, const uint8_t **p, size_t *n, pz_sql_err_t *err)
{
    s_sess_t *s = ctx;
    for (;;) {
        pz_pgw_msg_t msg;
        int rc = pz__sess_read(s, &msg);
        if (rc < 0) {
            return rc; /* already answered as the main loop would: the session ends */
        }
        switch (msg.type) {
        case 'd':
            *p = msg.body;
            *n = msg.len;
            return 1;
        case 'c':
            return 0;
        case 'f': {
            const char *why =
                msg.len > 0 && memchr(msg.body, 0, msg.len) ? (const char *)msg.body : "";
            return pz_sql_err_set(err, "57014", "COPY from stdin failed: %s", why);
        }
        case 'H':
        case 'S':
            continue;
        default:
            return pz_sql_err_set(
                err, "08P01", "unexpected message type 0x%02X during COPY from stdin", msg.type);
        }
    }
}

int pz__sess_copy_write(void *ctx, const void *p, size_t n)
{
    return pz__sess_emit(ctx, 'd', p, n);
}

int pz__sess_copy_done(void *ctx)
{
    return pz__sess_emit(ctx, 'c', "", 0);
}
