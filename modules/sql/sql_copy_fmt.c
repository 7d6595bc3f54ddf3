/*
 * sql_copy_fmt.c — COPY's text and CSV data formats, as PostgreSQL 15 reads and writes them
 * (copyfromparse.c: CopyReadLineText, CopyReadAttributesText/CSV; copyto.c:
 * CopyAttributeOutText/CSV), written from the documented behaviour and checked against a real
 * PostgreSQL 15 (tests/unit/sql/test_copy.c, tests/integration/test_sql_copy.py).
 *
 * The reader is incremental: CopyData payloads are appended to one buffer, and the search for
 * the end of the current line resumes where it stopped (with the CSV quote state), so input cut
 * at any byte gives the same rows and every byte is scanned once. A line is only split into
 * fields once it is complete.
 *
 * Line ends: the first line fixes the style ("\n", "\r" or "\r\n"); another one later is an
 * error (22P04 "literal carriage return found in data"), as PostgreSQL. Text format: a
 * backslash escapes the next byte (even a newline), `\.` followed by the line end is the end
 * marker (data before it on the same line is a last row). CSV: newlines inside quotes are data
 * and `\.` is the end marker only alone at the start of a line.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sql_copy.h"

enum { S_EOL_UNKNOWN, S_EOL_NL, S_EOL_CR, S_EOL_CRNL };

/* ---- options -------------------------------------------------------------------------------- */

int pz_copy_opts(const pz_ast_stmt_t *s, pz_copy_opts_t *o, pz_sql_err_t *err)
{
    assert(s != NULL && o != NULL);
    memset(o, 0, sizeof *o);
    o->csv = s->copy_csv;
    o->header = s->copy_header;
    o->delim = s->copy_delim ? s->copy_delim : o->csv ? ',' : '\t';
    o->quote = o->escape = '"';
    o->null_str = s->copy_null ? s->copy_null : o->csv ? "" : "\\N";
    o->null_len = strlen(o->null_str);
    if (o->delim == '\n' || o->delim == '\r') {
        return pz_sql_err_set(err, "22023", "COPY delimiter cannot be newline or carriage return");
    }
    if (strchr(o->null_str, '\n') != NULL || strchr(o->null_str, '\r') != NULL) {
        return pz_sql_err_set(err, "22023",
                              "COPY null representation cannot use newline or carriage return");
    }
    if (!o->csv && strchr("\\.abcdefghijklmnopqrstuvwxyz0123456789", o->delim) != NULL) {
        return pz_sql_err_set(err, "22023", "COPY delimiter cannot be \"%c\"", o->delim);
    }
    if (o->csv && o->delim == o->quote) {
        return pz_sql_err_set(err, "22023", "COPY delimiter and quote must be different");
    }
    if (memchr(o->null_str, o->delim, o->null_len) != NULL) {
        return pz_sql_err_set(err, "0A000",
                              "COPY delimiter must not appear in the NULL specification");
    }
    if (o->csv && memchr(o->null_str, o->quote, o->null_len) != NULL) {
        return pz_sql_err_set(err, "0A000",
                              "CSV quote character must not appear in the NULL specification");
    }
    return 0;
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

/* PostgreSQL's pg_utf_mblen: the length a lead byte announces. */
static size_t s_mblen(unsigned char c)
{
    return c < 0x80             ? 1
           : (c & 0xe0) == 0xc0 ? 2
           : (c & 0xf0) == 0xe0 ? 3
           : (c & 0xf8) == 0xf0 ? 4
                                : 1;
}

/* The length of a valid UTF-8 character at p (NUL, overlongs, surrogates and values past
 * U+10FFFF are invalid, as pg_utf8_verifychar), or 0. */
static size_t s_utf8_char(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c == 0) {
        return 0;
    }
    if (c < 0x80) {
        return 1;
    }
    size_t l = s_mblen(c);
    if (l == 1 || l > n) {
        return 0;
    }
    for (size_t i = 1; i < l; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    unsigned char c1 = p[1];
    if ((l == 2 && c < 0xc2) || (l == 3 && c == 0xe0 && c1 < 0xa0) ||
        (l == 3 && c == 0xed && c1 > 0x9f) || (l == 4 && c == 0xf0 && c1 < 0x90) ||
        (l == 4 && (c > 0xf4 || (c == 0xf4 && c1 > 0x8f)))) {
        return 0;
    }
    return l;
}

/* 0, or 22021 naming the bytes of the first invalid character as PostgreSQL's
 * report_invalid_encoding. */
static int s_utf8_check(const char *s, size_t n, pz_sql_err_t *err)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] >= 0x20 && p[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = s_utf8_char(p + i, n - i);
        if (l == 0) {
            size_t show = s_mblen(p[i]);
            show = show > n - i ? n - i : show;
            char bytes[32] = "";
            size_t off = 0;
            for (size_t k = 0; k < show; k++) {
                off += (size_t)snprintf(bytes + off, sizeof bytes - off, "%s0x%02x", k ? " " : "",
                                        p[i + k]);
            }
            return pz_sql_err_set(err, "22021", "invalid byte sequence for encoding \"UTF8\": %s",
                                  bytes);
        }
        i += l;
    }
    return 0;
}

void pz_copy_display(pz_sbuf_t *b, const char *p, size_t n)
{
    if (n <= PZ_COPY_DISPLAY_BYTES) {
        pz_sbuf_put(b, p, n);
        return;
    }
    size_t len = 0;
    while (len < n) {
        size_t l = s_mblen((unsigned char)p[len]);
        if (len + l > PZ_COPY_DISPLAY_BYTES) {
            break;
        }
        len += l;
    }
    pz_sbuf_put(b, p, len);
    pz_sbuf_puts(b, "...");
}

/* ---- the reader: finding lines -------------------------------------------------------------- */

void pz_copy_rd_init(pz_copy_rd_t *r, const pz_copy_opts_t *o)
{
    assert(r != NULL && o != NULL);
    memset(r, 0, sizeof *r);
    r->o = *o;
}

void pz_copy_rd_free(pz_copy_rd_t *r)
{
    free(r->buf);
    free(r->fields);
    free(r->attr);
    memset(r, 0, sizeof *r);
}

int pz_copy_rd_push(pz_copy_rd_t *r, const void *p, size_t n)
{
    if (r->ended || n == 0) {
        return 0;
    }
    if (r->start > 0) {
        /* Consumed lines go: the buffer holds at most one line plus the newest payload. */
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 65536;
        while (cap < r->len + n) {
            cap *= 2;
        }
        char *nb = realloc(r->buf, cap);
        if (nb == NULL) {
            return PZ_ENOMEM;
        }
        r->buf = nb;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    return 0;
}

void pz_copy_rd_finish(pz_copy_rd_t *r)
{
    r->finished = true;
}

static int s_eol_error(pz_copy_rd_t *r, bool cr, pz_sql_err_t *err)
{
    if (cr) {
        pz_sql_err_set(err, "22P04",
                       r->o.csv ? "unquoted carriage return found in data"
                                : "literal carriage return found in data");
        pz_sql_err_hint(err, r->o.csv ? "Use quoted CSV field to represent carriage return."
                                      : "Use \"\\r\" to represent carriage return.");
    } else {
        pz_sql_err_set(err, "22P04",
                       r->o.csv ? "unquoted newline found in data"
                                : "literal newline found in data");
        pz_sql_err_hint(err, r->o.csv ? "Use quoted CSV field to represent newline."
                                      : "Use \"\\n\" to represent newline.");
    }
    return PZ_EINVAL;
}

/* `\.` at i: 1 the end marker (the line ends at i), 0 more input needed, 2 data (CSV only), or
 * an error. */
static int s_marker(pz_copy_rd_t *r, size_t i, pz_sql_err_t *err)
{
    const char *b = r->buf;
    size_t n = r->len, j = i + 2;
    bool csv = r->o.csv;
    if (r->eol == S_EOL_CRNL) {
        if (j >= n && !r->finished) {
            return 0;
        }
        char c2 = j < n ? b[j] : '\0';
        j++;
        if (c2 == '\n') {
            return csv ? 2
                       : pz_sql_err_set(err, "22P04",
                                        "end-of-copy marker does not match previous newline style");
        }
        if (c2 != '\r') {
            return csv ? 2 : pz_sql_err_set(err, "22P04", "end-of-copy marker corrupt");
        }
    }
    if (j >= n && !r->finished) {
        return 0;
    }
    char c2 = j < n ? b[j] : '\0';
    if (c2 != '\r' && c2 != '\n') {
        return csv ? 2 : pz_sql_err_set(err, "22P04", "end-of-copy marker corrupt");
    }
    if ((r->eol == S_EOL_NL && c2 != '\n') || (r->eol == S_EOL_CRNL && c2 != '\n') ||
        (r->eol == S_EOL_CR && c2 != '\r')) {
        return pz_sql_err_set(err, "22P04",
                              "end-of-copy marker does not match previous newline style");
    }
    return 1;
}

/* A line end at i (c is '\r' or '\n'): 1 with *next set, 0 more input needed, or an error. */
static int s_eol(pz_copy_rd_t *r, size_t i, char c, size_t *next, pz_sql_err_t *err)
{
    if (c == '\n') {
        if (r->eol == S_EOL_CR || r->eol == S_EOL_CRNL) {
            return s_eol_error(r, false, err);
        }
        r->eol = S_EOL_NL;
        *next = i + 1;
        return 1;
    }
    if (r->eol == S_EOL_NL) {
        return s_eol_error(r, true, err);
    }
    if (r->eol == S_EOL_UNKNOWN || r->eol == S_EOL_CRNL) {
        if (i + 1 >= r->len && !r->finished) {
            return 0;
        }
        if (i + 1 < r->len && r->buf[i + 1] == '\n') {
            r->eol = S_EOL_CRNL;
            *next = i + 2;
            return 1;
        }
        if (r->eol == S_EOL_CRNL) {
            return s_eol_error(r, true, err);
        }
        r->eol = S_EOL_CR;
    }
    *next = i + 1;
    return 1;
}

/* Finds the end of the line starting at r->start: 1 with the line [start, *end) and the next
 * line at *next (*marker: the end marker ended it), 0 more input needed (or the input ended
 * with nothing left), or an error. */
static int s_find_line(pz_copy_rd_t *r, size_t *end, size_t *next, bool *marker, pz_sql_err_t *err)
{
    const char *b = r->buf;
    size_t n = r->len;
    bool csv = r->o.csv;
    /* An escape equal to the quote is just a toggle: no escape processing (PostgreSQL too). */
    char q = r->o.quote, e = r->o.escape == r->o.quote ? '\0' : r->o.escape;
    *marker = false;
    for (size_t i = r->scan; i < n; i++) {
        char c = b[i];
        if (csv) {
            if ((c == '\\' || c == '\r') && i + 1 >= n && !r->finished) {
                r->scan = i; /* look-ahead needed: resume here, before the quote state moves */
                return 0;
            }
            if (r->in_quote && c == e) {
                r->last_was_esc = !r->last_was_esc;
            }
            if (c == q && !r->last_was_esc) {
                r->in_quote = !r->in_quote;
            }
            if (c != e) {
                r->last_was_esc = false;
            }
            if (r->in_quote && c == (r->eol == S_EOL_NL ? '\n' : '\r')) {
                r->embedded_nl++; /* PostgreSQL counts physical lines inside quotes */
            }
        }
        if ((c == '\r' || c == '\n') && !(csv && r->in_quote)) {
            int rc = s_eol(r, i, c, next, err);
            if (rc == 0) {
                r->scan = i;
            } else if (rc == 1) {
                *end = i;
            }
            return rc;
        }
        if (c == '\\' && (!csv || i == r->start)) {
            if (i + 1 >= n) {
                if (!r->finished) {
                    r->scan = i;
                    return 0;
                }
                break; /* a backslash at the very end belongs to the line */
            }
            if (b[i + 1] == '.') {
                int rc = s_marker(r, i, err);
                if (rc == 0) {
                    r->scan = i;
                    return 0;
                }
                if (rc == 1) {
                    *marker = true;
                    *end = *next = i;
                    return 1;
                }
                if (rc < 0) {
                    return rc;
                }
            } else if (!csv) {
                i++; /* the escaped byte is data, even a newline */
            }
        }
    }
    r->scan = n;
    if (!r->finished || n == r->start) {
        return 0;
    }
    *end = *next = n;
    return 1;
}

/* ---- the reader: splitting fields ----------------------------------------------------------- */

static int s_add_field(pz_copy_rd_t *r, pz_sql_err_t *err)
{
    if (r->n_fields == r->cap_fields) {
        if (r->cap_fields >= PZ_COPY_FIELDS_MAX) {
            return pz_sql_err_set(err, "22P04", "extra data after last expected column");
        }
        int cap = r->cap_fields ? r->cap_fields * 2 : 16;
        pz_copy_field_t *f = realloc(r->fields, sizeof *f * (size_t)cap);
        if (f == NULL) {
            return pz_sql_err_set(err, "53200", "out of memory");
        }
        r->fields = f;
        r->cap_fields = cap;
    }
    r->n_fields++;
    return 0;
}

static int s_hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* A backslash sequence at line[*i] (just past the backslash): the byte it stands for. */
static char s_unescape(const char *line, size_t n, size_t *i, bool *non_ascii)
{
    char c = line[(*i)++];
    int v;
    switch (c) {
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
        v = c - '0';
        for (int k = 0; k < 2 && *i < n && line[*i] >= '0' && line[*i] <= '7'; k++) {
            v = v * 8 + (line[(*i)++] - '0');
        }
        c = (char)(v & 0xff);
        *non_ascii |= c == '\0' || (c & 0x80);
        return c;
    case 'x':
        if (*i < n && s_hex(line[*i]) >= 0) {
            v = s_hex(line[(*i)++]);
            if (*i < n && s_hex(line[*i]) >= 0) {
                v = v * 16 + s_hex(line[(*i)++]);
            }
            c = (char)v;
            *non_ascii |= c == '\0' || (c & 0x80);
        }
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'v':
        return '\v';
    default:
        return c; /* any other byte stands for itself */
    }
}

static int s_split_text(pz_copy_rd_t *r, const char *line, size_t n, pz_sql_err_t *err)
{
    char *out = r->attr;
    size_t o = 0, i = 0;
    char d = r->o.delim;
    for (;;) {
        int rc = s_add_field(r, err);
        if (rc != 0) {
            return rc;
        }
        size_t start = i, ostart = o, raw_end;
        bool found = false, non_ascii = false;
        for (;;) {
            raw_end = i;
            if (i >= n) {
                break;
            }
            char c = line[i++];
            if (c == d) {
                found = true;
                break;
            }
            if (c == '\\') {
                if (i >= n) {
                    break; /* a lone backslash at the end is dropped, as PostgreSQL */
                }
                c = s_unescape(line, n, &i, &non_ascii);
            }
            out[o++] = c;
        }
        pz_copy_field_t *f = &r->fields[r->n_fields - 1];
        if (raw_end - start == r->o.null_len &&
            memcmp(line + start, r->o.null_str, r->o.null_len) == 0) {
            *f = (pz_copy_field_t){.null = true};
        } else {
            if (non_ascii && (rc = s_utf8_check(out + ostart, o - ostart, err)) != 0) {
                return rc;
            }
            *f = (pz_copy_field_t){.p = out + ostart, .len = (uint32_t)(o - ostart)};
        }
        if (!found) {
            return 0;
        }
    }
}

static int s_split_csv(pz_copy_rd_t *r, const char *line, size_t n, pz_sql_err_t *err)
{
    char *out = r->attr;
    size_t o = 0, i = 0;
    char d = r->o.delim, q = r->o.quote, e = r->o.escape;
    for (;;) {
        int rc = s_add_field(r, err);
        if (rc != 0) {
            return rc;
        }
        size_t start = i, ostart = o, raw_end = i;
        bool found = false, saw_quote = false, in_quote = false;
        for (;;) {
            if (!in_quote) {
                raw_end = i;
                if (i >= n) {
                    break;
                }
                char c = line[i++];
                if (c == d) {
                    found = true;
                    break;
                }
                if (c == q) {
                    saw_quote = in_quote = true; /* quotes may open anywhere in a field */
                    continue;
                }
                out[o++] = c;
                continue;
            }
            if (i >= n) {
                return pz_sql_err_set(err, "22P04", "unterminated CSV quoted field");
            }
            char c = line[i++];
            if (c == e && i < n && (line[i] == e || line[i] == q)) {
                out[o++] = line[i++];
                continue;
            }
            if (c == q) {
                in_quote = false;
                continue;
            }
            out[o++] = c;
        }
        pz_copy_field_t *f = &r->fields[r->n_fields - 1];
        if (!saw_quote && raw_end - start == r->o.null_len &&
            memcmp(line + start, r->o.null_str, r->o.null_len) == 0) {
            *f = (pz_copy_field_t){.null = true};
        } else {
            *f = (pz_copy_field_t){.p = out + ostart, .len = (uint32_t)(o - ostart)};
        }
        if (!found) {
            return 0;
        }
    }
}

static int s_too_long(pz_copy_rd_t *r, pz_sql_err_t *err)
{
    pz_sql_err_set(err, "54000", "COPY line is longer than %u bytes",
                   (unsigned)PZ_COPY_LINE_BYTES_MAX);
    pz_sql_err_hint(err, "A line (a row, or a quoted CSV field with newlines) must be shorter.");
    (void)r;
    return PZ_EINVAL;
}

int pz_copy_rd_next(pz_copy_rd_t *r, pz_sql_err_t *err, bool *with_line)
{
    *with_line = false;
    for (;;) {
        if (r->ended) {
            return 0;
        }
        size_t end = 0, next = 0;
        bool marker = false;
        int rc = s_find_line(r, &end, &next, &marker, err);
        if (rc <= 0) {
            if (rc < 0) {
                r->lineno += 1 + r->embedded_nl;
            } else if (r->len - r->start > PZ_COPY_LINE_BYTES_MAX) {
                return s_too_long(r, err);
            }
            return rc;
        }
        r->lineno += 1 + r->embedded_nl;
        r->embedded_nl = 0;
        r->line = r->buf + r->start;
        r->line_len = end - r->start;
        r->start = r->scan = next;
        r->in_quote = r->last_was_esc = false;
        r->ended = marker;
        if (marker && r->line_len == 0) {
            return 0; /* `\.` alone: the end */
        }
        if (r->line_len > PZ_COPY_LINE_BYTES_MAX) {
            return s_too_long(r, err);
        }
        if ((rc = s_utf8_check(r->line, r->line_len, err)) != 0) {
            return rc;
        }
        if (r->o.header && !r->header_done) {
            r->header_done = true; /* HEADER on input: the first line is skipped */
            continue;
        }
        if (r->attr_cap < r->line_len + 1) {
            char *a = realloc(r->attr, r->line_len + 1);
            if (a == NULL) {
                return pz_sql_err_set(err, "53200", "out of memory");
            }
            r->attr = a;
            r->attr_cap = r->line_len + 1;
        }
        r->n_fields = 0;
        *with_line = true;
        rc = r->o.csv ? s_split_csv(r, r->line, r->line_len, err)
                      : s_split_text(r, r->line, r->line_len, err);
        return rc == 0 ? 1 : rc;
    }
}

/* ---- writers -------------------------------------------------------------------------------- */

static void s_put_text(const pz_copy_opts_t *o, pz_sbuf_t *b, const char *p, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i], esc = 0;
        if ((unsigned char)c < 0x20) {
            esc = c == '\b'       ? 'b'
                  : c == '\f'     ? 'f'
                  : c == '\n'     ? 'n'
                  : c == '\r'     ? 'r'
                  : c == '\t'     ? 't'
                  : c == '\v'     ? 'v'
                  : c == o->delim ? c
                                  : 0;
        } else if (c == '\\' || c == o->delim) {
            esc = c;
        }
        if (esc != 0) {
            pz_sbuf_put(b, p + run, i - run);
            char two[2] = {'\\', esc};
            pz_sbuf_put(b, two, 2);
            run = i + 1;
        }
    }
    pz_sbuf_put(b, p + run, n - run);
}

static void s_put_csv(const pz_copy_opts_t *o, pz_sbuf_t *b, const char *p, size_t n, bool single)
{
    bool quote = n == o->null_len && memcmp(p, o->null_str, n) == 0;
    quote |= single && n == 2 && p[0] == '\\' && p[1] == '.';
    for (size_t i = 0; !quote && i < n; i++) {
        quote = p[i] == o->delim || p[i] == o->quote || p[i] == '\n' || p[i] == '\r';
    }
    if (!quote) {
        pz_sbuf_put(b, p, n);
        return;
    }
    pz_sbuf_putc(b, o->quote);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == o->quote || p[i] == o->escape) {
            pz_sbuf_put(b, p + run, i - run);
            pz_sbuf_putc(b, o->escape);
            run = i;
        }
    }
    pz_sbuf_put(b, p + run, n - run);
    pz_sbuf_putc(b, o->quote);
}

void pz_copy_put_field(const pz_copy_opts_t *o, pz_sbuf_t *b, const char *p, size_t n, bool null,
                       bool single)
{
    if (null) {
        pz_sbuf_put(b, o->null_str, o->null_len);
    } else if (o->csv) {
        s_put_csv(o, b, p, n, single);
    } else {
        s_put_text(o, b, p, n);
    }
}

void pz_copy_put_header(const pz_copy_opts_t *o, pz_sbuf_t *b, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            pz_sbuf_putc(b, o->delim);
        }
        const char *nm = names[i] ? names[i] : "?column?";
        if (o->csv) {
            s_put_csv(o, b, nm, strlen(nm), n == 1);
        } else {
            s_put_text(o, b, nm, strlen(nm));
        }
    }
    pz_sbuf_putc(b, '\n');
}
