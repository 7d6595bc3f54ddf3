/*
 * test_copy.c — proves COPY's data formats (sql_copy_fmt.c) read and write as PostgreSQL 15:
 * text escapes (\N, \t \n \\ \b \f \r \v, octal and \x hex, a lone trailing backslash), the end
 * marker `\.` (alone, after data on a line, corrupt, ignored input after it), line-end styles
 * and their errors, CSV quoting (quotes mid-field, doubled quotes, newlines inside quotes,
 * quoted empty vs unquoted NULL, `\.` as data), HEADER, custom DELIMITER and NULL, invalid
 * UTF-8 (22021), and the writers' escaping and quoting.
 *
 * How: tables of input → expected rows (fields joined with '|', NULL shown as <NULL>, rows
 * ended by ';') or "!SQLSTATE@line". Every input is fed whole, then again cut into two pieces
 * at every byte position, and again one byte at a time: the rows must not depend on where the
 * CopyData messages split. The expectations come from PostgreSQL 15 (psql `COPY t FROM STDIN`
 * on the same bytes, and `COPY t TO STDOUT` for the writers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql_copy.h"

typedef struct {
    bool csv, header;
    char delim;
    const char *null_str; /* NULL: the default */
    const char *in;
    size_t in_len; /* 0: strlen(in) */
    const char *out;
} rd_case_t;

static const rd_case_t s_rd_cases[] = {
    /* text: plain rows, NULL, escapes */
    {false, false, 0, NULL, "1\t2\tx\n2\t\\N\ty\n", 0, "1|2|x;2|<NULL>|y;"},
    {false, false, 0, NULL, "a\\tb\\\\c\\nd\\re\n", 0, "a\tb\\c\nd\re;"},
    {false, false, 0, NULL, "\\b\\f\\v\\q\\,\n", 0, "\b\f\vq,;"},
    {false, false, 0, NULL, "\\101\\1012\\x41\\x4a2\\xg\n", 0, "AA2AJ2xg;"},
    {false, false, 0, NULL, "\\303\\251\t\\xc3\\xa9\n", 0, "\xc3\xa9|\xc3\xa9;"},
    {false, false, 0, NULL, "\\xff\n", 0, "!22021@1"},
    {false, false, 0, NULL, "a\\0b\n", 0, "!22021@1"},
    {false, false, 0, NULL, "ok\n\xff\n", 0, "!22021@2"},
    {false, false, 0, NULL, "\\N\t\\\\N\tN\n", 0, "<NULL>|\\N|N;"},
    {false, false, 0, NULL, "\t\n", 0, "|;"},
    {false, false, 0, NULL, "\n", 0, ";"},
    {false, false, 0, NULL, "x\\\ny\n", 0, "x\ny;"},  /* backslash-newline: a newline */
    {false, false, 0, NULL, "abc\\", 0, "abc;"},      /* lone trailing backslash dropped */
    {false, false, 0, NULL, "last", 0, "last;"},      /* no final newline */
    {false, false, 0, NULL, "a\r\nb\r\n", 0, "a;b;"}, /* CRLF */
    {false, false, 0, NULL, "a\rb\r", 0, "a;b;"},     /* CR */
    {false, false, 0, NULL, "a\nb\r\n", 0, "!22P04@2"},
    {false, false, 0, NULL, "a\r\nb\n", 0, "!22P04@2"},
    {false, false, 0, NULL, "a\rb\n", 0, "!22P04@2"},
    /* the end marker */
    {false, false, 0, NULL, "a\n\\.\nignored\n", 0, "a;"},
    {false, false, 0, NULL, "a\nb\\.\nignored", 0, "a;b;"},
    {false, false, 0, NULL, "\\.\n", 0, ""},
    {false, false, 0, NULL, "a\n\\.", 0, "!22P04@2"},
    {false, false, 0, NULL, "a\n\\.x\n", 0, "!22P04@2"},
    {false, false, 0, NULL, "a\r\n\\.\n", 0, "!22P04@2"},
    {false, false, 0, NULL, "a\r\n\\.\r\n", 0, "a;"},
    {false, false, 0, NULL, "\\\\.\n", 0, "\\.;"},
    /* options */
    {false, false, '|', "", "a|b|\n|x|\\|\n", 0, "a|b|<NULL>;<NULL>|x||;"},
    {false, true, 0, NULL, "h1\th2\n1\t2\n", 0, "1|2;"},
    /* CSV */
    {true, false, 0, NULL, "1,2,x\n2,,\"\"\n", 0, "1|2|x;2|<NULL>|;"},
    {true, false, 0, NULL, "\"a,b\",\"q\"\"q\",\"x\ny\"\n", 0, "a,b|q\"q|x\ny;"},
    {true, false, 0, NULL, "a\"b,c\"d\n", 0, "ab,cd;"},
    {true, false, 0, NULL, " a , b \n", 0, " a | b ;"},
    {true, false, 0, NULL, "a,\"b\n", 0, "!22P04@1"},
    {true, false, 0, NULL, "\\.x,1\n\\.\nignored\n", 0, "\\.x|1;"},
    {true, false, 0, NULL, "1,\\.\n\"\\.\"\n", 0, "1|\\.;\\.;"},
    {true, false, 0, NULL, "\"a\r\nb\"\r\nc\r\n", 0, "a\r\nb;c;"},
    {true, false, 0, NULL, "a\\b,\\N\n", 0, "a\\b|\\N;"},
    {true, false, 0, NULL, "\\.", 0, "\\.;"},
    {true, true, ';', "NULL", "x;y\n1;NULL\n\"NULL\";\n", 0, "1|<NULL>;NULL|;"},
    {true, false, 0, NULL, "a\nb\rc\n", 0, "!22P04@2"},
};

/* Reads all of in, pushed in pieces: cut (0: whole) then step bytes at a time (0: rest). */
static void run_reader(const rd_case_t *c, size_t cut, size_t step, char *out, size_t cap)
{
    pz_ast_stmt_t st = {.kind = PZ_AS_COPY,
                        .copy_from = true,
                        .copy_csv = c->csv,
                        .copy_header = c->header,
                        .copy_delim = c->delim,
                        .copy_null = c->null_str};
    pz_sql_err_t err;
    pz_sql_err_clear(&err);
    pz_copy_opts_t o;
    assert_int_equal(pz_copy_opts(&st, &o, &err), 0);
    pz_copy_rd_t r;
    pz_copy_rd_init(&r, &o);
    size_t n = c->in_len ? c->in_len : strlen(c->in), off = 0, len = 0;
    out[0] = '\0';
    int rc = 0;
    for (bool last = false; !last && rc == 0;) {
        size_t take = off == 0 && cut ? cut : step ? step : n - off;
        take = take > n - off ? n - off : take;
        assert_int_equal(pz_copy_rd_push(&r, c->in + off, take), 0);
        off += take;
        if (off == n) {
            pz_copy_rd_finish(&r);
            last = true;
        }
        bool with_line;
        while ((rc = pz_copy_rd_next(&r, &err, &with_line)) == 1) {
            for (int i = 0; i < r.n_fields; i++) {
                const pz_copy_field_t *f = &r.fields[i];
                len += (size_t)snprintf(out + len, cap - len, "%s%.*s", i ? "|" : "",
                                        f->null ? 6 : (int)f->len, f->null ? "<NULL>" : f->p);
            }
            len += (size_t)snprintf(out + len, cap - len, ";");
        }
    }
    if (rc < 0) {
        snprintf(out, cap, "!%s@%llu", err.sqlstate, (unsigned long long)r.lineno);
    }
    pz_copy_rd_free(&r);
}

static void test_reader(void **state)
{
    (void)state;
    char got[1024];
    for (size_t i = 0; i < sizeof s_rd_cases / sizeof s_rd_cases[0]; i++) {
        const rd_case_t *c = &s_rd_cases[i];
        size_t n = c->in_len ? c->in_len : strlen(c->in);
        run_reader(c, 0, 0, got, sizeof got);
        if (strcmp(got, c->out) != 0) {
            fail_msg("case %zu whole: got [%s] want [%s]", i, got, c->out);
        }
        for (size_t cut = 1; cut < n; cut++) {
            run_reader(c, cut, 0, got, sizeof got);
            if (strcmp(got, c->out) != 0) {
                fail_msg("case %zu cut at %zu: got [%s] want [%s]", i, cut, got, c->out);
            }
        }
        run_reader(c, 0, 1, got, sizeof got);
        if (strcmp(got, c->out) != 0) {
            fail_msg("case %zu byte by byte: got [%s] want [%s]", i, got, c->out);
        }
    }
}

typedef struct {
    bool csv;
    bool single;
    const char *in; /* NULL: a NULL value */
    const char *out;
} wr_case_t;

static const wr_case_t s_wr_cases[] = {
    {false, false, "plain", "plain"},
    {false, false, NULL, "\\N"},
    {false, false, "", ""},
    {false, false, "a\tb\nc\rd\\e", "a\\tb\\nc\\rd\\\\e"},
    {false, false, "\b\f\v\x01", "\\b\\f\\v\x01"},
    {false, false, "\\.", "\\\\."},
    {false, false, "h\xc3\xa9", "h\xc3\xa9"},
    {true, false, "plain", "plain"},
    {true, false, NULL, ""},
    {true, false, "", "\"\""},
    {true, false, "a,b", "\"a,b\""},
    {true, false, "q\"q", "\"q\"\"q\""},
    {true, false, "x\ny", "\"x\ny\""},
    {true, false, "x\ry", "\"x\ry\""},
    {true, false, " a\tb\\", " a\tb\\"},
    {true, true, "\\.", "\"\\.\""},
    {true, false, "\\.", "\\."},
};

static void test_writer(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_wr_cases / sizeof s_wr_cases[0]; i++) {
        const wr_case_t *c = &s_wr_cases[i];
        pz_ast_stmt_t st = {.kind = PZ_AS_COPY, .copy_csv = c->csv};
        pz_sql_err_t err;
        pz_sql_err_clear(&err);
        pz_copy_opts_t o;
        assert_int_equal(pz_copy_opts(&st, &o, &err), 0);
        pz_sbuf_t b = {0};
        pz_copy_put_field(&o, &b, c->in, c->in ? strlen(c->in) : 0, c->in == NULL, c->single);
        pz_sbuf_putc(&b, '\0');
        if (strcmp(b.p, c->out) != 0) {
            fail_msg("writer case %zu: got [%s] want [%s]", i, b.p, c->out);
        }
        pz_sbuf_free(&b);
    }
    /* a header: names escaped or quoted as values */
    pz_ast_stmt_t st = {.kind = PZ_AS_COPY, .copy_csv = true};
    pz_sql_err_t err;
    pz_sql_err_clear(&err);
    pz_copy_opts_t o;
    assert_int_equal(pz_copy_opts(&st, &o, &err), 0);
    const char *names[] = {"a", "b,c", "d\"e"};
    pz_sbuf_t b = {0};
    pz_copy_put_header(&o, &b, names, 3);
    pz_sbuf_putc(&b, '\0');
    assert_string_equal(b.p, "a,\"b,c\",\"d\"\"e\"\n");
    pz_sbuf_free(&b);
}

/* Option checks with PostgreSQL's SQLSTATEs. */
static void test_options(void **state)
{
    (void)state;
    const struct {
        bool csv;
        char delim;
        const char *null_str;
        const char *state;
    } cases[] = {
        {false, '\n', NULL, "22023"}, {false, 0, "a\nb", "22023"}, {false, 'a', NULL, "22023"},
        {false, '.', NULL, "22023"},  {true, '"', NULL, "22023"},  {false, ',', "a,b", "0A000"},
        {true, 0, "a\"", "0A000"},    {true, '\\', NULL, ""},      {false, '|', NULL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pz_ast_stmt_t st = {.kind = PZ_AS_COPY,
                            .copy_csv = cases[i].csv,
                            .copy_delim = cases[i].delim,
                            .copy_null = cases[i].null_str};
        pz_sql_err_t err;
        pz_sql_err_clear(&err);
        pz_copy_opts_t o;
        int rc = pz_copy_opts(&st, &o, &err);
        assert_int_equal(rc != 0, cases[i].state[0] != '\0');
        assert_string_equal(err.sqlstate, cases[i].state);
    }
}

/* Context values are cut at 100 bytes on a character boundary, as limit_printout_length. */
static void test_display(void **state)
{
    (void)state;
    char in[120];
    memset(in, 'a', sizeof in);
    in[99] = '\xc3'; /* a two-byte character across the limit */
    in[100] = '\xa9';
    pz_sbuf_t b = {0};
    pz_copy_display(&b, in, sizeof in);
    assert_int_equal(b.len, 99 + 3);
    assert_memory_equal(b.p + 99, "...", 3);
    pz_sbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_display),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
