/*
 * sql_copy.h — COPY FROM STDIN / COPY TO STDOUT in PostgreSQL 15's text and CSV formats.
 *
 * Two layers:
 *   - the data formats (sql_copy_fmt.c): an incremental reader that takes CopyData payloads cut
 *     anywhere and yields rows of fields (escapes decoded, NULLs recognized, the end marker
 *     `\.` honoured), and the writers of one field / one row, byte for byte as PostgreSQL's
 *     copyfromparse.c / copyto.c. No engine, no I/O: unit-tested on buffers.
 *   - the engine side (sql_copy.c): pz__sql_copy runs a COPY statement for sql_conn.c, pulling
 *     input from / pushing output to the protocol layer through the sink's copy callbacks.
 *
 * Thread-safety: a reader belongs to one session.
 */
#ifndef PZ_SQL_COPY_H
#define PZ_SQL_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql_ast.h"
#include "sql_bind.h"
#include "sql_conn.h"
#include "sql_types.h"

/* Columns one COPY row may have: PostgreSQL's MaxTupleAttributeNumber-ish bound, so a line of
 * delimiters cannot grow the field array without limit. */
#define PZ_COPY_FIELDS_MAX 1664
/* One line of input (a row, or a quoted CSV field spanning lines) may hold at most this many
 * bytes: PostgreSQL's limit is its 1 GB string; ours keeps one row inside a session's memory. */
#define PZ_COPY_LINE_BYTES_MAX (64u * 1024u * 1024u)
/* Context strings show at most this many bytes of a value or line, as PostgreSQL's
 * MAX_COPY_DATA_DISPLAY. */
#define PZ_COPY_DISPLAY_BYTES 100

typedef struct {
    bool csv;
    bool header;
    char delim;
    char quote, escape;   /* CSV only: '"' and '"' (QUOTE / ESCAPE options are refused) */
    const char *null_str; /* "\\N" text, "" CSV by default */
    size_t null_len;
} pz_copy_opts_t;

/* The options of a COPY statement with PostgreSQL's defaults and checks (22023 for a bad
 * delimiter or NULL string, 0A000 for what the reader does not do). 0 or PZ_EINVAL, err set. */
int pz_copy_opts(const pz_ast_stmt_t *s, pz_copy_opts_t *o, pz_sql_err_t *err);

typedef struct {
    const char *p; /* the value's bytes (not NUL-terminated); NULL when null */
    uint32_t len;
    bool null;
} pz_copy_field_t;

/* The incremental reader. Zero-initialize, then pz_copy_rd_init. */
typedef struct {
    pz_copy_opts_t o;
    char *buf; /* input not yet consumed: [start, len) */
    size_t len, cap;
    size_t start;  /* where the current line begins */
    size_t scan;   /* where the line-end search resumes */
    bool in_quote; /* CSV: the search at `scan` is inside quotes */
    bool last_was_esc;
    int eol;       /* 0 unknown, 1 "\n", 2 "\r", 3 "\r\n" (fixed by the first line) */
    bool finished; /* no more input will come (CopyDone) */
    bool ended;    /* the end marker was seen: later input is ignored */
    bool header_done;
    uint64_t lineno;      /* of the row last returned (or the line an error is about) */
    uint64_t embedded_nl; /* CSV: newlines inside quotes of the line being scanned */
    /* the row last returned, valid until the next call */
    pz_copy_field_t *fields;
    int n_fields, cap_fields;
    char *attr; /* decoded field bytes */
    size_t attr_cap;
    const char *line; /* the raw line (for error context), line_len bytes */
    size_t line_len;
} pz_copy_rd_t;

void pz_copy_rd_init(pz_copy_rd_t *r, const pz_copy_opts_t *o);
void pz_copy_rd_free(pz_copy_rd_t *r);
/* Appends input (a CopyData payload). Ignored after the end marker. 0 or PZ_ENOMEM. */
int pz_copy_rd_push(pz_copy_rd_t *r, const void *p, size_t n);
/* No more input: a last line without a newline is a row. */
void pz_copy_rd_finish(pz_copy_rd_t *r);
/* The next row: 1 with r->fields / r->n_fields / r->lineno / r->line set (valid until the next
 * call on r), 0 when more input is needed (or, after finish or the end marker, at the end), or
 * PZ_EINVAL with err set (22P04 bad format, 22021 bad UTF-8, 54000 a line too long) and
 * *with_line telling whether PostgreSQL's context would quote the line (r->line). */
int pz_copy_rd_next(pz_copy_rd_t *r, pz_sql_err_t *err, bool *with_line);

/* Writers: append to b. A field (NULL when null) with the escapes or quoting of the format;
 * `single`: the row has one column (CSV quotes a lone `\.`). */
void pz_copy_put_field(const pz_copy_opts_t *o, pz_sbuf_t *b, const char *p, size_t n, bool null,
                       bool single);
/* A header row of names, delimited and ended with '\n'. */
void pz_copy_put_header(const pz_copy_opts_t *o, pz_sbuf_t *b, const char *const *names, int n);

/* Appends `p` (n bytes) cut to PZ_COPY_DISPLAY_BYTES at a character boundary, with "..." when
 * cut, as PostgreSQL's limit_printout_length. */
void pz_copy_display(pz_sbuf_t *b, const char *p, size_t n);

/* ---- the engine side (sql_copy.c) ---- */

/* Runs COPY statement s for sql_conn.c's statement runner: b is the statement's binder (its
 * context: arenas, KV, catalog), sink the protocol layer (its copy_* callbacks move the data).
 * On success the command tag ("COPY n") is in tag (64 bytes). Errors as any statement's: 0 or
 * a negative code with err set; a negative code without err means the client is gone.
 * COPY FROM commits in chunks (see sql_copy.c): a failure leaves earlier chunks committed and
 * says how many rows in err's detail. */
int pz__sql_copy(pz_sql_conn_t *c, pz_binder_t *b, const pz_ast_stmt_t *s,
                 const pz_sql_sink_t *sink, char *tag);

/* sql_conn.c's hook for COPY: runs fn in a fresh statement context (its own arenas, binder and
 * KV snapshot, as one statement of its own), so each chunk of a COPY FROM is bound, run and
 * freed apart. Returns fn's result (err is the context's error). */
int pz__sql_conn_with_stmt(pz_sql_conn_t *c, int (*fn)(void *ctx, pz_binder_t *b), void *ctx,
                           pz_sql_err_t *err);

#endif
