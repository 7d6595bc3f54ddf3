/*
 * test_spill.c — proves the spill machinery of sql_spill.c and the external sort of sql_sort.c:
 *   - the row encoding round-trips every datum the executor holds, exactly: NULLs of any type,
 *     bool, every integer width and date/time type at their extremes, floats bit for bit
 *     (-0, NaN, infinities), intervals, text (empty and 100 KiB), numeric with its display
 *     scale and NaN, bytea, uuid, json, untyped literals, arrays with NULLs and nested arrays;
 *     every truncation of an encoding is refused with PZ_ECORRUPT, never read past;
 *   - temp files return what was written, rows larger than the I/O buffer included, and count
 *     their bytes against the node's temp space while open and give them back at close;
 *   - past max_disk_temp_storage a write fails with 53100, and so does a full disk (/dev/full,
 *     ENOSPC); a read of a file cut short fails with XX001;
 *   - work_mem takes PostgreSQL's syntax, range and SHOW form;
 *   - a SORT node at work_mem 64kB over 60000 rows writes more runs than one merge takes (so
 *     the multi-pass merge runs) and returns the rows in order, none lost or duplicated, with
 *     NULLs placed as asked; a LIMIT above it keeps only the top rows.
 * How: seeded random rows; a throwaway temp directory made with mkdtemp; plan nodes built by hand
 * (VALUES of constants under a SORT), run through pz_pn_open / pz_pn_next.
 */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sql_spill.h"

static uint64_t g_seed = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    g_seed ^= g_seed << 13;
    g_seed ^= g_seed >> 7;
    g_seed ^= g_seed << 17;
    return g_seed;
}

/* ---- equality of datums, exactly (not pz_datum_cmp: the form must survive) ---------------- */

static void assert_same(const pz_datum_t *a, const pz_datum_t *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->null, b->null);
    if (a->null) {
        return;
    }
    switch (a->type) {
    case PZ_TY_BOOL:
        assert_int_equal(a->v.b, b->v.b);
        return;
    case PZ_TY_FLOAT4:
    case PZ_TY_FLOAT8:
        assert_memory_equal(&a->v.f, &b->v.f, sizeof a->v.f);
        return;
    case PZ_TY_INTERVAL:
        assert_int_equal(a->v.iv.us, b->v.iv.us);
        assert_int_equal(a->v.iv.days, b->v.iv.days);
        assert_int_equal(a->v.iv.months, b->v.iv.months);
        return;
    case PZ_TY_ARRAY:
        assert_int_equal(a->v.arr->elem, b->v.arr->elem);
        assert_int_equal(a->v.arr->n, b->v.arr->n);
        for (uint32_t i = 0; i < a->v.arr->n; i++) {
            assert_same(&a->v.arr->items[i], &b->v.arr->items[i]);
        }
        return;
    case PZ_TY_UNKNOWN:
    case PZ_TY_NUMERIC:
    case PZ_TY_TEXT:
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
    case PZ_TY_NAME:
    case PZ_TY_BYTEA:
    case PZ_TY_UUID:
    case PZ_TY_JSON:
    case PZ_TY_JSONB:
        assert_int_equal(a->scale, b->scale);
        assert_int_equal(a->len, b->len);
        assert_memory_equal(a->v.p, b->v.p, a->len);
        return;
    default:
        assert_int_equal(a->v.i, b->v.i);
    }
}

/* A row of every kind of datum (arena a holds the bytes). */
static int sample_row(pz_arena_t *a, pz_datum_t *r)
{
    int n = 0;
    static const uint8_t uuid[16] = {0xa0, 0xee, 0xbc, 0x99, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    char *big = pz_arena_alloc(a, 100 * 1024);
    for (int i = 0; i < 100 * 1024; i++) {
        big[i] = (char)('a' + i % 26);
    }
    for (int t = 0; t < PZ_TY_COUNT_; t++) {
        r[n++] = pz_datum_null((pz_ty_t)t);
    }
    r[n++] = pz_datum_bool(true);
    r[n++] = pz_datum_bool(false);
    r[n++] = pz_datum_int(PZ_TY_INT2, -32768);
    r[n++] = pz_datum_int(PZ_TY_INT4, 2147483647);
    r[n++] = pz_datum_int(PZ_TY_INT8, INT64_MIN);
    r[n++] = pz_datum_int(PZ_TY_INT8, INT64_MAX);
    r[n++] = pz_datum_int(PZ_TY_DATE, -730000);
    r[n++] = pz_datum_int(PZ_TY_TIMESTAMPTZ, 123456789012345);
    r[n++] = pz_datum_int(PZ_TY_OID, 4294967295);
    r[n++] = pz_datum_int(PZ_TY_CHAR, 'x');
    r[n++] = pz_datum_float(PZ_TY_FLOAT8, -0.0);
    r[n++] = pz_datum_float(PZ_TY_FLOAT8, NAN);
    r[n++] = pz_datum_float(PZ_TY_FLOAT8, -INFINITY);
    r[n++] = pz_datum_float(PZ_TY_FLOAT4, 0.1f);
    pz_datum_t iv = {.type = PZ_TY_INTERVAL};
    iv.v.iv.us = -86399999999;
    iv.v.iv.days = -3;
    iv.v.iv.months = 14;
    r[n++] = iv;
    r[n++] = pz_datum_bytes(PZ_TY_TEXT, "", 0);
    r[n++] = pz_datum_bytes(PZ_TY_TEXT, "h\xc3\xa9llo", 6);
    r[n++] = pz_datum_bytes(PZ_TY_TEXT, big, 100 * 1024);
    r[n++] = pz_datum_bytes(PZ_TY_VARCHAR, "v", 1);
    r[n++] = pz_datum_bytes(PZ_TY_BPCHAR, "ab  ", 4);
    r[n++] = pz_datum_bytes(PZ_TY_UNKNOWN, "literal", 7);
    pz_datum_t num = pz_datum_bytes(PZ_TY_NUMERIC, "-12345", 6);
    num.scale = 3; /* -12.345 */
    r[n++] = num;
    r[n++] = pz_datum_bytes(PZ_TY_NUMERIC, "NaN", 3);
    r[n++] = pz_datum_bytes(PZ_TY_BYTEA, "\0\1\377", 3);
    r[n++] = pz_datum_bytes(PZ_TY_UUID, uuid, 16);
    r[n++] = pz_datum_bytes(PZ_TY_JSONB, "{\"a\": [1, null]}", 16);
    pz_datum_t *items = pz_arena_alloc(a, sizeof *items * 3);
    items[0] = pz_datum_int(PZ_TY_INT4, 7);
    items[1] = pz_datum_null(PZ_TY_INT4);
    items[2] = pz_datum_int(PZ_TY_INT4, -7);
    pz_sql_array_t *arr = pz_arena_alloc(a, sizeof *arr);
    *arr = (pz_sql_array_t){.elem = PZ_TY_INT4, .n = 3, .items = items};
    r[n++] = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = arr};
    pz_datum_t *outer = pz_arena_alloc(a, sizeof *outer * 2);
    outer[0] = r[n - 1];
    outer[1] = pz_datum_bytes(PZ_TY_TEXT, "t", 1);
    pz_sql_array_t *arr2 = pz_arena_alloc(a, sizeof *arr2);
    *arr2 = (pz_sql_array_t){.elem = PZ_TY_ARRAY, .n = 2, .items = outer};
    r[n++] = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = arr2};
    pz_sql_array_t *empty = pz_arena_alloc(a, sizeof *empty);
    *empty = (pz_sql_array_t){.elem = PZ_TY_TEXT, .n = 0, .items = NULL};
    r[n++] = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = empty};
    return n;
}

#define ROW_MAX 96

static void test_row_round_trip(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_datum_t row[ROW_MAX], back[ROW_MAX];
    int n = sample_row(a, row);
    assert_true(n <= ROW_MAX);
    pz_sbuf_t b = {0};
    pz_spill_row_encode(&b, row, n);
    assert_false(b.oom);
    assert_int_equal(pz_spill_row_decode(a, (const uint8_t *)b.p, b.len, back, n), 0);
    for (int i = 0; i < n; i++) {
        assert_same(&row[i], &back[i]);
    }
    /* every cut of the encoding is refused; one byte too many as well */
    for (size_t cut = 0; cut < b.len; cut += 1 + cut / 64) {
        assert_int_equal(pz_spill_row_decode(a, (const uint8_t *)b.p, cut, back, n), PZ_ECORRUPT);
    }
    pz_sbuf_putc(&b, 0);
    assert_int_equal(pz_spill_row_decode(a, (const uint8_t *)b.p, b.len, back, n), PZ_ECORRUPT);
    pz_sbuf_free(&b);
    pz_arena_destroy(&a);
}

/* ---- files ----------------------------------------------------------------------------- */

typedef struct {
    char dir[64];
    pz_spill_env_t env;
    pz_sql_err_t err;
    pz_ex_t ex;
} fx_t;

static int fx_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pz_spill_test_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char why[256];
    assert_int_equal(pz_spill_env_init(&f->env, f->dir, 0, why, sizeof why), 0);
    f->ex.arena = pz_arena_new();
    f->ex.tmp = pz_arena_new();
    f->ex.err = &f->err;
    f->ex.spill = &f->env;
    f->ex.work_mem_kb = 64;
    f->ex.fn.arena = f->ex.tmp;
    static pz_sql_tyenv_t env;
    env = pz_sql_tyenv_default();
    f->ex.env = &env;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *f = *state;
    pz_arena_destroy(&f->ex.arena);
    pz_arena_destroy(&f->ex.tmp);
    rmdir(f->dir); /* fails (and the test notices below) if a file was left */
    free(f);
    return 0;
}

static void test_file_round_trip(void **state)
{
    fx_t *f = *state;
    pz_arena_t *a = pz_arena_new();
    pz_datum_t row[ROW_MAX], back[ROW_MAX];
    int n = sample_row(a, row);
    pz_spill_file_t *sf = NULL;
    assert_int_equal(pz_spill_open(&f->ex, &sf), 0);
    for (int i = 0; i < 50; i++) {
        row[n] = pz_datum_int(PZ_TY_INT8, i);
        assert_int_equal(pz_spill_put(&f->ex, sf, row, n + 1), 0);
    }
    assert_int_equal(pz_spill_rewind(&f->ex, sf), 0);
    assert_int_equal(pz_spill_rows(sf), 50);
    assert_true(pz_spill_bytes(sf) > 50 * 100 * 1024);
    assert_int_equal(atomic_load(&f->env.bytes_used), pz_spill_bytes(sf));
    for (int i = 0; i < 50; i++) {
        assert_int_equal(pz_spill_get(&f->ex, sf, a, back, n + 1), 1);
        for (int j = 0; j < n; j++) {
            assert_same(&row[j], &back[j]);
        }
        assert_int_equal(back[n].v.i, i);
    }
    assert_int_equal(pz_spill_get(&f->ex, sf, a, back, n + 1), 0);
    pz_spill_close(&f->ex, &sf);
    assert_null(sf);
    assert_int_equal(atomic_load(&f->env.bytes_used), 0);
    pz_arena_destroy(&a);
    assert_int_equal(rmdir(f->dir), 0); /* nothing named was ever left in the directory */
    assert_int_equal(mkdir(f->dir, 0700), 0);
}

static void test_temp_space_limit(void **state)
{
    fx_t *f = *state;
    f->env.bytes_max = 100 * 1024;
    pz_datum_t row[2] = {pz_datum_int(PZ_TY_INT8, 1), pz_datum_bytes(PZ_TY_TEXT, "abcdef", 6)};
    pz_spill_file_t *sf = NULL;
    assert_int_equal(pz_spill_open(&f->ex, &sf), 0);
    int rc = 0;
    for (int i = 0; i < 100000 && rc == 0; i++) {
        rc = pz_spill_put(&f->ex, sf, row, 2);
    }
    rc = rc ? rc : pz_spill_rewind(&f->ex, sf);
    assert_int_equal(rc, PZ_ENOSPC);
    assert_string_equal(f->err.sqlstate, "53100");
    pz_spill_close(&f->ex, &sf);
    assert_int_equal(atomic_load(&f->env.bytes_used), 0);
    f->env.bytes_max = 0;
}

static void test_disk_full_and_truncated(void **state)
{
    fx_t *f = *state;
    int fd = open("/dev/full", O_RDWR);
    assert_true(fd >= 0);
    pz_spill_file_t *sf = NULL;
    assert_int_equal(pz_spill_open_fd(&f->ex, fd, &sf), 0);
    pz_datum_t row[1] = {pz_datum_int(PZ_TY_INT8, 42)};
    int rc = 0;
    for (int i = 0; i < 100000 && rc == 0; i++) {
        rc = pz_spill_put(&f->ex, sf, row, 1);
    }
    rc = rc ? rc : pz_spill_rewind(&f->ex, sf);
    assert_int_equal(rc, PZ_ENOSPC);
    assert_string_equal(f->err.sqlstate, "53100");
    pz_spill_close(&f->ex, &sf);
    pz_sql_err_clear(&f->err);
    /* a file whose last row was cut short */
    assert_int_equal(pz_spill_open(&f->ex, &sf), 0);
    assert_int_equal(pz_spill_put(&f->ex, sf, row, 1), 0);
    assert_int_equal(pz_spill_rewind(&f->ex, sf), 0);
    pz_spill_close(&f->ex, &sf);
    char path[128];
    snprintf(path, sizeof path, "%s/cut", f->dir);
    fd = open(path, O_RDWR | O_CREAT, 0600);
    unlink(path);
    uint8_t cut[] = {9, 0, 0, 0, PZ_TY_INT8, 2};
    assert_int_equal(write(fd, cut, sizeof cut), (ssize_t)sizeof cut);
    assert_int_equal(pz_spill_open_fd(&f->ex, fd, &sf), 0);
    assert_int_equal(pz_spill_rewind(&f->ex, sf), 0);
    pz_datum_t back[1];
    assert_true(pz_spill_get(&f->ex, sf, f->ex.arena, back, 1) < 0);
    assert_string_equal(f->err.sqlstate, "XX001");
    pz_spill_close(&f->ex, &sf);
    pz_sql_err_clear(&f->err);
}

static void test_work_mem_syntax(void **state)
{
    (void)state;
    pz_sql_err_t err = {0};
    int64_t kb = 0;
    struct {
        const char *in;
        int64_t kb;
        const char *show;
    } ok[] = {{"64kB", 64, "64kB"},       {"4MB", 4096, "4MB"},    {"1.5MB", 1536, "1536kB"},
              {"100", 100, "100kB"},      {"1GB", 1048576, "1GB"}, {"65536B", 64, "64kB"},
              {"1 TB", 1073741824, "1TB"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(pz_spill_parse_kb("work_mem", ok[i].in, &kb, &err), 0);
        assert_int_equal(kb, ok[i].kb);
        char show[32];
        pz_spill_format_kb(kb, show, sizeof show);
        assert_string_equal(show, ok[i].show);
    }
    const char *bad[] = {"10kB", "abc", "4mb", "2TB", "-1MB", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pz_sql_err_clear(&err);
        assert_int_equal(pz_spill_parse_kb("work_mem", bad[i], &kb, &err), PZ_EINVAL);
        assert_string_equal(err.sqlstate, "22023");
    }
    uint64_t bytes = 0;
    assert_int_equal(pz_spill_parse_bytes("32GiB", &bytes), 0);
    assert_int_equal(bytes, 32ull << 30);
    assert_int_equal(pz_spill_parse_bytes("1MiB", &bytes), 0);
    assert_int_equal(bytes, 1u << 20);
    assert_int_equal(pz_spill_parse_bytes("12 parsecs", &bytes), PZ_EINVAL);
}

/* ---- the external sort ----------------------------------------------------------------- */

#define SORT_ROWS 60000

static pz_bx_t *col(int idx, pz_ty_t t)
{
    pz_bx_t *x = calloc(1, sizeof *x);
    x->kind = PZ_BX_COL;
    x->idx = idx;
    x->type = PZ_SQL_TYPE(t);
    return x;
}

/* SORT (k DESC NULLS FIRST, s ASC) over VALUES of (k int8 or NULL, s text, id int8). */
static pz_pn_t *sort_plan(pz_arena_t *a, pz_pn_t **values)
{
    pz_pn_t *v = calloc(1, sizeof *v);
    v->kind = PZ_PN_VALUES;
    v->n_cols = 3;
    v->n_rows = SORT_ROWS;
    v->rows = calloc(SORT_ROWS, sizeof *v->rows);
    for (int r = 0; r < SORT_ROWS; r++) {
        v->rows[r] = calloc(3, sizeof **v->rows);
        for (int c = 0; c < 3; c++) {
            pz_bx_t *x = calloc(1, sizeof *x);
            x->kind = PZ_BX_CONST;
            if (c == 0) {
                x->val = rnd() % 7 == 0 ? pz_datum_null(PZ_TY_INT8)
                                        : pz_datum_int(PZ_TY_INT8, (int64_t)(rnd() % 500));
            } else if (c == 1) {
                char *s = pz_arena_alloc(a, 12);
                int len = snprintf(s, 12, "s%u", (unsigned)(rnd() % 100000));
                x->val = pz_datum_bytes(PZ_TY_TEXT, s, (uint32_t)len);
            } else {
                x->val = pz_datum_int(PZ_TY_INT8, r);
            }
            v->rows[r][c] = x;
        }
    }
    pz_pn_t *s = calloc(1, sizeof *s);
    s->kind = PZ_PN_SORT;
    s->n_cols = 3;
    s->left = v;
    s->n_sort = 2;
    s->keys = calloc(2, sizeof *s->keys);
    s->keys[0] = (pz_sortkey_t){.expr = col(0, PZ_TY_INT8), .desc = true, .nulls_first = true};
    s->keys[1] = (pz_sortkey_t){.expr = col(1, PZ_TY_TEXT)};
    *values = v;
    return s;
}

static void free_plan(pz_pn_t *s, pz_pn_t *v)
{
    for (int r = 0; r < SORT_ROWS; r++) {
        for (int c = 0; c < 3; c++) {
            free(v->rows[r][c]);
        }
        free(v->rows[r]);
    }
    free(v->rows);
    free(v);
    free(s->keys[0].expr);
    free(s->keys[1].expr);
    free(s->keys);
    free(s);
}

static void test_external_sort(void **state)
{
    fx_t *f = *state;
    f->ex.explain_analyze = true; /* keeps the node's run count */
    pz_arena_t *a = pz_arena_new();
    pz_pn_t *v, *s = sort_plan(a, &v);
    assert_int_equal(pz_pn_open(&f->ex, s), 0);
    const pz_spill_stat_t *st = pz_spill_stat_find(&f->ex, s);
    assert_non_null(st);
    assert_true(st->runs > PZ_SPILL_MERGE_MAX); /* more than one merge pass */
    assert_true(atomic_load(&f->env.bytes_used) > 0);
    uint8_t *seen = calloc(SORT_ROWS, 1);
    pz_datum_t prev[2] = {{0}};
    char prev_s[16] = "";
    int n = 0;
    pz_datum_t *row;
    int rc;
    while ((rc = pz_pn_next(&f->ex, s, &row)) == 1) {
        assert_false(seen[row[2].v.i]);
        seen[row[2].v.i] = 1;
        if (n > 0) {
            int c = pz_sort_cmp(&prev[0], &row[0], true, true);
            assert_true(c <= 0);
            if (c == 0) {
                assert_true(pz_sort_cmp(&prev[1], &row[1], false, false) <= 0);
            }
        }
        prev[0] = row[0];
        memcpy(prev_s, row[1].v.p, row[1].len);
        prev[1] = pz_datum_bytes(PZ_TY_TEXT, prev_s, row[1].len);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, SORT_ROWS);
    pz_pn_close(&f->ex, s);
    assert_int_equal(atomic_load(&f->env.bytes_used), 0); /* every run file closed */
    free(seen);
    free_plan(s, v);
    pz_arena_destroy(&a);
    f->ex.explain_analyze = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_round_trip),
        cmocka_unit_test(test_work_mem_syntax),
        cmocka_unit_test_setup_teardown(test_file_round_trip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_temp_space_limit, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_and_truncated, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_external_sort, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
