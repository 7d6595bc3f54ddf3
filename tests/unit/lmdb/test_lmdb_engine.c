/*
 * test_lmdb_engine.c — proves that the LMDB engine plugin keeps the engine ABI's contract
 * (include/phantomzero/engine.h).
 *
 * How: the plugin is loaded the way the storage module loads it — dlopen of
 * $PZ_MODULE_DIR/pz_engine_lmdb.so, dlsym of PZ_ENGINE_SYMBOL, checks of the descriptor's
 * version, size, build signature and methods — and then driven only through the descriptor,
 * each test on a fresh store in its own mkdtemp directory, removed afterwards. Covered: point
 * writes and reads, range deletion, batch order and atomicity (bad input changes nothing),
 * snapshot isolation, forward and reverse iteration at both ends, durability across reopen,
 * map growth from 64 KiB, a bounded map that fills (PZ_EMAPFULL, reads still served), a resize
 * that waits for snapshots (and gives up after its bound), concurrent readers during growth,
 * the key-size limit, checkpoints, approx_size, locking, corrupt files, read-only opens, option
 * structs from older callers, and a real full disk: a 2 MiB tmpfs mounted for the test (skipped
 * with a printed reason where mounting is not permitted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "phantomzero/abi.h"
#include "phantomzero/engine.h"
#include "phantomzero/errors.h"
#include "phantomzero/limits.h"

#define KEY_BYTES_MAX_LMDB 511 /* mdb_env_get_maxkeysize() of Debian's liblmdb */

static void *s_so;
static const pz_engine_desc_t *D;

#define assert_rc(expr, want)                                                                      \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != (want)) {                                                                       \
            fail_msg("%s: got %s, want %s", #expr, pz_err_name(rc_), pz_err_name(want));           \
        }                                                                                          \
    } while (0)

/* Helpers -------------------------------------------------------------------------------- */

static int s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void s_rmrf(const char *dir)
{
    assert_int_equal(nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void s_mkdtemp(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/pz-lmdb-test-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static pz_engine_opts_t s_opts(uint64_t initial, uint64_t max)
{
    pz_engine_opts_t o = {
        .struct_size = sizeof o, .initial_map_bytes = initial, .max_map_bytes = max};
    return o;
}

static pz_engine_t *s_open(const char *dir, const pz_engine_opts_t *o)
{
    pz_engine_t *e = NULL;
    assert_rc(D->open(dir, o, &e), PZ_OK);
    assert_non_null(e);
    return e;
}

static size_t s_key(char *buf, int i)
{
    return (size_t)snprintf(buf, 32, "k%06d", i);
}

static pz_engine_op_t s_op(uint8_t kind, const void *k, size_t kl, const void *v, size_t vl)
{
    pz_engine_op_t op = {.kind = kind, .key = k, .key_len = kl, .value = v, .value_len = vl};
    return op;
}

static int s_commit(pz_engine_t *e, const pz_engine_op_t *ops, size_t n, bool durable)
{
    pz_engine_batch_t b = {.ops = ops, .ops_len = n};
    return D->batch_commit(e, &b, durable);
}

static int s_put(pz_engine_t *e, const char *k, const char *v)
{
    pz_engine_op_t op = s_op(PZ_ENGINE_PUT, k, strlen(k), v, strlen(v));
    return s_commit(e, &op, 1, false);
}

/* Puts keys k[from, to) with `vlen` bytes of values each, in one batch. */
static int s_put_range(pz_engine_t *e, int from, int to, size_t vlen, bool durable)
{
    size_t n = (size_t)(to - from);
    pz_engine_op_t *ops = calloc(n, sizeof *ops);
    char(*keys)[32] = calloc(n, 32);
    uint8_t *val = malloc(vlen + 1);
    assert_true(ops && keys && val);
    memset(val, 'v', vlen);
    for (size_t i = 0; i < n; i++) {
        size_t kl = s_key(keys[i], from + (int)i);
        ops[i] = s_op(PZ_ENGINE_PUT, keys[i], kl, val, vlen);
    }
    int rc = s_commit(e, ops, n, durable);
    free(ops);
    free(keys);
    free(val);
    return rc;
}

/* Reads key through a fresh snapshot: PZ_OK and checks the value (when want != NULL). */
static int s_get(pz_engine_t *e, const char *k, const char *want)
{
    pz_engine_snap_t *s = NULL;
    assert_rc(D->snap_open(e, &s), PZ_OK);
    const uint8_t *v = NULL;
    size_t vl = 0;
    int rc = D->get(s, (const uint8_t *)k, strlen(k), &v, &vl);
    if (rc == PZ_OK && want != NULL) {
        assert_int_equal(vl, strlen(want));
        assert_memory_equal(v, want, vl);
    }
    D->snap_close(&s);
    assert_null(s);
    return rc;
}

static int s_get_i(pz_engine_t *e, int i)
{
    char k[32];
    s_key(k, i);
    return s_get(e, k, NULL);
}

/* Number of keys in the store, walking forward. */
static int s_count(pz_engine_t *e)
{
    pz_engine_snap_t *s = NULL;
    pz_engine_iter_t *it = NULL;
    assert_rc(D->snap_open(e, &s), PZ_OK);
    assert_rc(D->iter_open(s, &it), PZ_OK);
    int n = 0;
    assert_rc(D->iter_seek_ge(it, NULL, 0), PZ_OK);
    while (D->iter_valid(it)) {
        n++;
        assert_rc(D->iter_next(it), PZ_OK);
    }
    D->iter_close(&it);
    D->snap_close(&s);
    return n;
}

static double s_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Fixture: a fresh store with default options. */
typedef struct {
    char dir[64];
    pz_engine_t *e;
} fx_t;

static int fx_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    s_mkdtemp(f->dir, sizeof f->dir);
    f->e = s_open(f->dir, NULL);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *f = *state;
    D->close(&f->e);
    assert_null(f->e);
    D->close(&f->e); /* safe on NULL */
    s_rmrf(f->dir);
    free(f);
    return 0;
}

/* Loading -------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    const char *dir = getenv("PZ_MODULE_DIR");
    if (dir == NULL) {
        fprintf(stderr, "PZ_MODULE_DIR is not set (ctest sets it)\n");
        return -1;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/pz_engine_lmdb.so", dir);
    s_so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (s_so == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return -1;
    }
    pz_engine_desc_fn fn = (pz_engine_desc_fn)dlsym(s_so, PZ_ENGINE_SYMBOL);
    if (fn == NULL) {
        fprintf(stderr, "dlsym %s: %s\n", PZ_ENGINE_SYMBOL, dlerror());
        return -1;
    }
    D = fn();
    return D == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return s_so != NULL ? dlclose(s_so) : 0;
}

static void test_descriptor(void **state)
{
    (void)state;
    assert_int_equal(D->abi_major, PZ_ENGINE_ABI_MAJOR);
    assert_int_equal(D->abi_minor, PZ_ENGINE_ABI_MINOR);
    assert_int_equal(D->struct_size, sizeof(pz_engine_desc_t));
    assert_string_equal(D->build_sig, PZ_BUILD_SIG);
    assert_string_equal(D->name, "lmdb");
    assert_non_null(D->version);
    assert_true(strlen(D->version) > 0);
    assert_true(D->open && D->close && D->batch_commit && D->snap_open && D->snap_close);
    assert_true(D->get && D->iter_open && D->iter_close && D->iter_seek_ge && D->iter_seek_lt);
    assert_true(D->iter_next && D->iter_prev && D->iter_valid && D->iter_key && D->iter_value);
    assert_true(D->approx_size && D->checkpoint);
    for (size_t i = 0; i < sizeof D->reserved / sizeof D->reserved[0]; i++) {
        assert_null(D->reserved[i]);
    }
    /* Internal functions are hidden: only the descriptor function is exported. */
    assert_null(dlsym(s_so, "pz__lmdb_open"));
    assert_null(dlsym(s_so, "pz__lmdb_err"));
}

/* Point writes and reads ----------------------------------------------------------------- */

static void test_put_get_del(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    assert_rc(s_put(e, "a", "1"), PZ_OK);
    assert_rc(s_put(e, "b", "2"), PZ_OK);
    assert_rc(s_get(e, "a", "1"), PZ_OK);
    assert_rc(s_get(e, "b", "2"), PZ_OK);
    assert_rc(s_get(e, "c", NULL), PZ_ENOTFOUND);
    assert_rc(s_put(e, "b", "22"), PZ_OK);
    assert_rc(s_get(e, "b", "22"), PZ_OK);

    pz_engine_op_t del = s_op(PZ_ENGINE_DEL, "a", 1, NULL, 0);
    assert_rc(s_commit(e, &del, 1, false), PZ_OK);
    assert_rc(s_get(e, "a", NULL), PZ_ENOTFOUND);
    assert_rc(s_commit(e, &del, 1, false), PZ_OK); /* absent key: not an error */

    pz_engine_op_t empty_val = s_op(PZ_ENGINE_PUT, "e", 1, NULL, 0);
    assert_rc(s_commit(e, &empty_val, 1, true), PZ_OK);
    assert_rc(s_get(e, "e", ""), PZ_OK);

    pz_engine_op_t empty_key = s_op(PZ_ENGINE_PUT, "", 0, "x", 1);
    assert_rc(s_commit(e, &empty_key, 1, false), PZ_EINVAL);
    pz_engine_op_t bad_kind = s_op(9, "z", 1, "x", 1);
    assert_rc(s_commit(e, &bad_kind, 1, false), PZ_EINVAL);
    assert_rc(s_commit(e, NULL, 0, false), PZ_OK); /* an empty batch */
    assert_int_equal(s_count(e), 2);

    /* A big value, stored on LMDB overflow pages. */
    size_t big_len = 3u * 1024u * 1024u;
    char *big = malloc(big_len + 1);
    assert_non_null(big);
    memset(big, 'B', big_len);
    big[big_len] = '\0';
    assert_rc(s_put(e, "big", big), PZ_OK);
    assert_rc(s_get(e, "big", big), PZ_OK);
    free(big);
}

static void test_del_range(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    assert_rc(s_put_range(e, 0, 2000, 100, false), PZ_OK); /* many leaf pages */
    char s[32], t[32];
    size_t sl = s_key(s, 100), tl = s_key(t, 1900);
    pz_engine_op_t op = s_op(PZ_ENGINE_DEL_RANGE, s, sl, t, tl);
    assert_rc(s_commit(e, &op, 1, false), PZ_OK);
    assert_int_equal(s_count(e), 200);
    assert_rc(s_get_i(e, 99), PZ_OK);
    assert_rc(s_get_i(e, 100), PZ_ENOTFOUND);
    assert_rc(s_get_i(e, 1899), PZ_ENOTFOUND);
    assert_rc(s_get_i(e, 1900), PZ_OK);

    /* Empty spans change nothing: start >= end, and an empty end (no key is < ""). */
    op = s_op(PZ_ENGINE_DEL_RANGE, t, tl, s, sl);
    assert_rc(s_commit(e, &op, 1, false), PZ_OK);
    op = s_op(PZ_ENGINE_DEL_RANGE, s, sl, NULL, 0);
    assert_rc(s_commit(e, &op, 1, false), PZ_OK);
    assert_int_equal(s_count(e), 200);

    /* An empty start is the beginning of the store. */
    tl = s_key(t, 50);
    op = s_op(PZ_ENGINE_DEL_RANGE, NULL, 0, t, tl);
    assert_rc(s_commit(e, &op, 1, false), PZ_OK);
    assert_int_equal(s_count(e), 150);
    assert_rc(s_get_i(e, 49), PZ_ENOTFOUND);
    assert_rc(s_get_i(e, 50), PZ_OK);

    /* Bounds longer than LMDB's key limit are fine: they are only compared. */
    char lo[700], hi[700];
    memset(lo, 'z', sizeof lo);
    memset(hi, 'z', sizeof hi);
    s_key(lo, 1950);
    lo[7] = 'z';
    s_key(hi, 1960);
    hi[7] = 'z';
    op = s_op(PZ_ENGINE_DEL_RANGE, lo, sizeof lo, hi, sizeof hi);
    assert_rc(s_commit(e, &op, 1, false), PZ_OK);
    assert_rc(s_get_i(e, 1950), PZ_OK); /* a prefix of lo: sorts before it */
    assert_rc(s_get_i(e, 1951), PZ_ENOTFOUND);
    assert_rc(s_get_i(e, 1960), PZ_ENOTFOUND); /* a prefix of hi: < hi */
    assert_rc(s_get_i(e, 1961), PZ_OK);
    assert_int_equal(s_count(e), 140);

    /* To the end of the store, through the last key. */
    sl = s_key(s, 1990);
    op = s_op(PZ_ENGINE_DEL_RANGE, s, sl, "l", 1);
    assert_rc(s_commit(e, &op, 1, false), PZ_OK);
    assert_int_equal(s_count(e), 130);
}

/* Batches -------------------------------------------------------------------------------- */

static void test_batch_order_and_atomicity(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    pz_engine_op_t ops[] = {
        s_op(PZ_ENGINE_PUT, "a", 1, "1", 1),  s_op(PZ_ENGINE_PUT, "a", 1, "2", 1),
        s_op(PZ_ENGINE_PUT, "b", 1, "1", 1),  s_op(PZ_ENGINE_DEL, "b", 1, NULL, 0),
        s_op(PZ_ENGINE_DEL, "c", 1, NULL, 0), s_op(PZ_ENGINE_PUT, "c", 1, "3", 1),
        s_op(PZ_ENGINE_PUT, "d1", 2, "x", 1), s_op(PZ_ENGINE_DEL_RANGE, "d", 1, "e", 1),
        s_op(PZ_ENGINE_PUT, "d2", 2, "y", 1),
    };
    assert_rc(s_commit(e, ops, sizeof ops / sizeof ops[0], true), PZ_OK);
    assert_rc(s_get(e, "a", "2"), PZ_OK);
    assert_rc(s_get(e, "b", NULL), PZ_ENOTFOUND);
    assert_rc(s_get(e, "c", "3"), PZ_OK);
    assert_rc(s_get(e, "d1", NULL), PZ_ENOTFOUND);
    assert_rc(s_get(e, "d2", "y"), PZ_OK);

    /* A batch with one bad op applies none of its ops. */
    char long_key[KEY_BYTES_MAX_LMDB + 1];
    memset(long_key, 'L', sizeof long_key);
    pz_engine_op_t bad[] = {
        s_op(PZ_ENGINE_PUT, "f", 1, "1", 1),
        s_op(PZ_ENGINE_DEL, "a", 1, NULL, 0),
        s_op(PZ_ENGINE_PUT, long_key, sizeof long_key, "1", 1),
    };
    assert_rc(s_commit(e, bad, 3, false), PZ_ETOOBIG); /* a limit, not a malformed op */
    bad[2] = s_op(PZ_ENGINE_PUT, "g", 1, NULL, 5); /* NULL value with a length */
    assert_rc(s_commit(e, bad, 3, false), PZ_EINVAL);
    assert_rc(s_get(e, "f", NULL), PZ_ENOTFOUND);
    assert_rc(s_get(e, "a", "2"), PZ_OK);
    pz_engine_batch_t nul = {.ops = NULL, .ops_len = 2};
    assert_rc(D->batch_commit(e, &nul, false), PZ_EINVAL);
    assert_int_equal(s_count(e), 3);
}

/* Snapshots and iterators ---------------------------------------------------------------- */

static void test_snapshot_isolation(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    assert_rc(s_put(e, "a", "old"), PZ_OK);
    pz_engine_snap_t *s = NULL;
    assert_rc(D->snap_open(e, &s), PZ_OK);
    const uint8_t *v = NULL;
    size_t vl = 0;
    assert_rc(D->get(s, (const uint8_t *)"a", 1, &v, &vl), PZ_OK);

    assert_rc(s_put(e, "a", "new"), PZ_OK);
    assert_rc(s_put(e, "b", "b"), PZ_OK);
    assert_rc(s_put_range(e, 0, 500, 64, true), PZ_OK);

    assert_memory_equal(v, "old", 3); /* the pointer lives until snap_close */
    const uint8_t *v2 = NULL;
    assert_rc(D->get(s, (const uint8_t *)"a", 1, &v2, &vl), PZ_OK);
    assert_int_equal(vl, 3);
    assert_memory_equal(v2, "old", 3);
    assert_rc(D->get(s, (const uint8_t *)"b", 1, &v2, &vl), PZ_ENOTFOUND);

    pz_engine_iter_t *it = NULL;
    assert_rc(D->iter_open(s, &it), PZ_OK);
    assert_false(D->iter_valid(it)); /* a new iterator is unpositioned */
    assert_rc(D->iter_seek_ge(it, NULL, 0), PZ_OK);
    assert_true(D->iter_valid(it));
    assert_rc(D->iter_next(it), PZ_OK);
    assert_false(D->iter_valid(it)); /* only "a" existed */
    D->iter_close(&it);
    assert_null(it);
    D->snap_close(&s);
    assert_null(s);
    D->snap_close(&s); /* safe on NULL */
    assert_rc(s_get(e, "a", "new"), PZ_OK);
    assert_int_equal(s_count(e), 502);
}

/* Closed snapshots are kept and renewed (lmdb_read.c): a renewed one sees every commit made
 * since, an iterator closed and opened again on one snapshot (its cursor kept) starts
 * unpositioned, and more snapshots at once than the engine keeps are all closed cleanly. */
static void test_snapshot_reuse(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    for (int i = 0; i < 20; i++) {
        char v[16];
        snprintf(v, sizeof v, "v%d", i);
        assert_rc(s_put(e, "a", v), PZ_OK);
        pz_engine_snap_t *s = NULL;
        assert_rc(D->snap_open(e, &s), PZ_OK);
        const uint8_t *got = NULL;
        size_t gl = 0;
        assert_rc(D->get(s, (const uint8_t *)"a", 1, &got, &gl), PZ_OK);
        assert_int_equal(gl, strlen(v));
        assert_memory_equal(got, v, gl); /* not the value a kept snapshot last saw */
        for (int round = 0; round < 2; round++) {
            pz_engine_iter_t *it = NULL;
            assert_rc(D->iter_open(s, &it), PZ_OK);
            assert_false(D->iter_valid(it));
            assert_rc(D->iter_seek_ge(it, NULL, 0), PZ_OK);
            assert_true(D->iter_valid(it));
            D->iter_value(it, &got, &gl);
            assert_memory_equal(got, v, gl);
            D->iter_close(&it);
        }
        D->snap_close(&s);
    }
    pz_engine_snap_t *many[12]; /* more than the engine keeps (PZ_LMDB_IDLE_SNAPS_MAX, 8) */
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++) {
        assert_rc(D->snap_open(e, &many[i]), PZ_OK);
    }
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++) {
        D->snap_close(&many[i]);
    }
    assert_rc(s_get(e, "a", "v19"), PZ_OK);
}

static void s_expect_at(pz_engine_iter_t *it, const char *want)
{
    if (want == NULL) {
        assert_false(D->iter_valid(it));
        return;
    }
    assert_true(D->iter_valid(it));
    const uint8_t *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    D->iter_key(it, &k, &kl);
    D->iter_value(it, &v, &vl);
    assert_int_equal(kl, strlen(want));
    assert_memory_equal(k, want, kl);
    assert_int_equal(vl, 1);
    assert_int_equal(v[0], want[0]);
}

#define SEEK_GE(it, k) assert_rc(D->iter_seek_ge(it, (const uint8_t *)(k), strlen(k)), PZ_OK)
#define SEEK_LT(it, k) assert_rc(D->iter_seek_lt(it, (const uint8_t *)(k), strlen(k)), PZ_OK)

static void test_iterate_both_ways(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    pz_engine_snap_t *s = NULL;
    pz_engine_iter_t *it = NULL;
    assert_rc(D->snap_open(e, &s), PZ_OK); /* an empty store first */
    assert_rc(D->iter_open(s, &it), PZ_OK);
    SEEK_GE(it, "");
    s_expect_at(it, NULL);
    assert_rc(D->iter_seek_lt(it, NULL, 0), PZ_OK);
    s_expect_at(it, NULL);
    D->iter_close(&it);
    D->snap_close(&s);

    assert_rc(s_put(e, "b", "b"), PZ_OK);
    assert_rc(s_put(e, "d", "d"), PZ_OK);
    assert_rc(s_put(e, "f", "f"), PZ_OK);
    assert_rc(D->snap_open(e, &s), PZ_OK);
    assert_rc(D->iter_open(s, &it), PZ_OK);
    assert_rc(D->iter_next(it), PZ_EINVAL); /* unpositioned: nothing to move from */
    SEEK_GE(it, "");
    s_expect_at(it, "b");
    assert_rc(D->iter_next(it), PZ_OK);
    s_expect_at(it, "d");
    assert_rc(D->iter_next(it), PZ_OK);
    s_expect_at(it, "f");
    assert_rc(D->iter_next(it), PZ_OK); /* off the end */
    s_expect_at(it, NULL);
    const uint8_t *k = (const uint8_t *)"x";
    size_t kl = 9;
    D->iter_key(it, &k, &kl);
    assert_null(k);
    assert_int_equal(kl, 0);
    assert_rc(D->iter_next(it), PZ_EINVAL);
    SEEK_GE(it, "c");
    s_expect_at(it, "d");
    SEEK_GE(it, "d");
    s_expect_at(it, "d");
    SEEK_GE(it, "g");
    s_expect_at(it, NULL);

    assert_rc(D->iter_seek_lt(it, NULL, 0), PZ_OK); /* the last key */
    s_expect_at(it, "f");
    assert_rc(D->iter_prev(it), PZ_OK);
    s_expect_at(it, "d");
    assert_rc(D->iter_prev(it), PZ_OK);
    s_expect_at(it, "b");
    assert_rc(D->iter_prev(it), PZ_OK); /* off the front */
    s_expect_at(it, NULL);
    assert_rc(D->iter_prev(it), PZ_EINVAL);
    SEEK_LT(it, "b");
    s_expect_at(it, NULL);
    SEEK_LT(it, "a");
    s_expect_at(it, NULL);
    SEEK_LT(it, "c");
    s_expect_at(it, "b");
    SEEK_LT(it, "f");
    s_expect_at(it, "d");
    SEEK_LT(it, "zz"); /* past the last key */
    s_expect_at(it, "f");
    SEEK_LT(it, "f\x01");
    s_expect_at(it, "f");
    assert_rc(D->iter_next(it), PZ_OK);
    s_expect_at(it, NULL);
    D->iter_close(&it);
    D->snap_close(&s);
}

static void test_iterate_many(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    const int n = 3000;
    assert_rc(s_put_range(e, 0, n, 20, false), PZ_OK);
    pz_engine_snap_t *s = NULL;
    pz_engine_iter_t *it = NULL, *it2 = NULL;
    assert_rc(D->snap_open(e, &s), PZ_OK);
    assert_rc(D->iter_open(s, &it), PZ_OK);
    assert_rc(D->iter_open(s, &it2), PZ_OK); /* two cursors on one snapshot */
    char want[32];
    int i = 0;
    assert_rc(D->iter_seek_ge(it, NULL, 0), PZ_OK);
    for (; D->iter_valid(it); i++) {
        s_key(want, i);
        const uint8_t *k;
        size_t kl;
        D->iter_key(it, &k, &kl);
        assert_int_equal(kl, strlen(want));
        assert_memory_equal(k, want, kl);
        assert_rc(D->iter_next(it), PZ_OK);
    }
    assert_int_equal(i, n);
    i = n - 1;
    assert_rc(D->iter_seek_lt(it2, NULL, 0), PZ_OK);
    for (; D->iter_valid(it2); i--) {
        s_key(want, i);
        const uint8_t *k;
        size_t kl;
        D->iter_key(it2, &k, &kl);
        assert_memory_equal(k, want, kl);
        assert_rc(D->iter_prev(it2), PZ_OK);
    }
    assert_int_equal(i, -1);
    D->iter_close(&it);
    D->iter_close(&it2);
    D->snap_close(&s);
}

/* Durability ----------------------------------------------------------------------------- */

static void test_durable_and_not_survive_reopen(void **state)
{
    fx_t *f = *state;
    pz_engine_op_t a = s_op(PZ_ENGINE_PUT, "durable", 7, "1", 1);
    pz_engine_op_t b = s_op(PZ_ENGINE_PUT, "lazy", 4, "2", 1);
    assert_rc(s_commit(f->e, &a, 1, true), PZ_OK);
    assert_rc(s_commit(f->e, &b, 1, false), PZ_OK);
    D->close(&f->e);
    f->e = s_open(f->dir, NULL);
    assert_rc(s_get(f->e, "durable", "1"), PZ_OK);
    assert_rc(s_get(f->e, "lazy", "2"), PZ_OK);

    /* Non-durable, then an empty durable batch as a sync barrier, then durable again. */
    assert_rc(s_put_range(f->e, 0, 100, 10, false), PZ_OK);
    assert_rc(s_commit(f->e, NULL, 0, true), PZ_OK);
    assert_rc(s_put_range(f->e, 100, 200, 10, true), PZ_OK);
    assert_rc(s_put_range(f->e, 200, 300, 10, false), PZ_OK);
    D->close(&f->e);
    f->e = s_open(f->dir, NULL);
    assert_int_equal(s_count(f->e), 302);
}

/* The map -------------------------------------------------------------------------------- */

static void test_map_grows(void **state)
{
    (void)state;
    char dir[64];
    s_mkdtemp(dir, sizeof dir);
    pz_engine_opts_t o = s_opts(64 * 1024, 0);
    pz_engine_t *e = s_open(dir, &o);
    for (int b = 0; b < 32; b++) { /* 32 x 1000 x 200 B: ~6.4 MB of values */
        assert_rc(s_put_range(e, b * 1000, (b + 1) * 1000, 200, b % 2 == 0), PZ_OK);
    }
    assert_rc(s_put_range(e, 100000, 120000, 200, false), PZ_OK); /* 4 MB in one batch */
    assert_int_equal(s_count(e), 52000);
    assert_rc(s_get_i(e, 0), PZ_OK);
    assert_rc(s_get_i(e, 119999), PZ_OK);
    D->close(&e);

    char file[128];
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_true(st.st_size > 8 * 1024 * 1024);
    o = s_opts(64 * 1024, 0); /* reopen with a map smaller than the data */
    e = s_open(dir, &o);
    assert_int_equal(s_count(e), 52000);
    assert_rc(s_put_range(e, 200000, 201000, 200, true), PZ_OK);
    D->close(&e);
    s_rmrf(dir);
}

static void test_map_full_at_bound(void **state)
{
    (void)state;
    char dir[64];
    s_mkdtemp(dir, sizeof dir);
    pz_engine_opts_t o = s_opts(64 * 1024, 1024 * 1024);
    pz_engine_t *e = s_open(dir, &o);
    int rc = PZ_OK, b = 0;
    for (; b < 100 && rc == PZ_OK; b++) {
        rc = s_put_range(e, b * 100, (b + 1) * 100, 256, false); /* ~30 KiB per batch */
    }
    assert_rc(rc, PZ_EMAPFULL);
    int failed = b - 1;
    assert_true(failed > 5);
    /* Nothing of the failed batch is there; everything before it is readable. */
    assert_rc(s_get_i(e, failed * 100), PZ_ENOTFOUND);
    assert_rc(s_get_i(e, failed * 100 + 99), PZ_ENOTFOUND);
    assert_rc(s_get_i(e, 0), PZ_OK);
    assert_rc(s_get_i(e, failed * 100 - 1), PZ_OK);
    assert_int_equal(s_count(e), failed * 100);
    uint64_t bytes = 0;
    assert_rc(D->approx_size(e, NULL, 0, NULL, 0, &bytes), PZ_OK);
    assert_true(bytes > 0);

    /* Deleting frees pages for reuse: the engine takes writes again. */
    char hi[32];
    size_t hl = s_key(hi, failed * 50);
    pz_engine_op_t del = s_op(PZ_ENGINE_DEL_RANGE, NULL, 0, hi, hl);
    assert_rc(s_commit(e, &del, 1, true), PZ_OK);
    assert_rc(s_put(e, "after", "ok"), PZ_OK);
    assert_rc(s_put(e, "after2", "ok"), PZ_OK);
    assert_rc(s_get(e, "after2", "ok"), PZ_OK);
    D->close(&e);
    s_rmrf(dir);
}

typedef struct {
    pz_engine_snap_t *snap;
    int hold_ms;
} closer_t;

static void *s_close_later(void *arg)
{
    closer_t *c = arg;
    struct timespec t = {.tv_sec = 0, .tv_nsec = c->hold_ms * 1000000L};
    nanosleep(&t, NULL);
    D->snap_close(&c->snap); /* on another thread than the one that opened it */
    return NULL;
}

static void test_resize_waits_for_snapshots(void **state)
{
    (void)state;
    char dir[64];
    s_mkdtemp(dir, sizeof dir);
    pz_engine_opts_t o = s_opts(64 * 1024, 0);
    pz_engine_t *e = s_open(dir, &o);
    assert_rc(s_put(e, "a", "1"), PZ_OK);

    /* A snapshot that stays open: the resize gives up after its bound, nothing applied. */
    pz_engine_snap_t *s = NULL;
    assert_rc(D->snap_open(e, &s), PZ_OK);
    double t0 = s_now_s();
    assert_rc(s_put_range(e, 0, 2000, 512, false), PZ_EMAPFULL);
    double waited = s_now_s() - t0;
    assert_true(waited >= 0.9 && waited < 10.0);
    const uint8_t *v;
    size_t vl;
    assert_rc(D->get(s, (const uint8_t *)"a", 1, &v, &vl), PZ_OK);
    D->snap_close(&s);
    assert_rc(s_get_i(e, 0), PZ_ENOTFOUND);

    /* A snapshot closed by another thread while the commit waits: the commit then succeeds. */
    closer_t c = {.hold_ms = 200};
    assert_rc(D->snap_open(e, &c.snap), PZ_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_close_later, &c), 0);
    assert_rc(s_put_range(e, 0, 2000, 512, false), PZ_OK);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_null(c.snap);
    assert_int_equal(s_count(e), 2001);
    D->close(&e);
    s_rmrf(dir);
}

/* Readers on other threads keep reading consistent snapshots while commits grow the map. cmocka
 * asserts only on the main thread, so readers count what they see and the test checks it. */
typedef struct {
    pz_engine_t *e;
    _Atomic int stop;
    _Atomic int rounds;
    _Atomic int bad;
} reader_t;

/* One consistent read: the batch that wrote the keys also wrote their count. */
static bool s_read_consistent(pz_engine_t *e)
{
    pz_engine_snap_t *s = NULL;
    pz_engine_iter_t *it = NULL;
    if (D->snap_open(e, &s) != PZ_OK) {
        return false;
    }
    const uint8_t *v;
    size_t vl;
    int n = 0, want = 0;
    if (D->get(s, (const uint8_t *)"count", 5, &v, &vl) == PZ_OK) {
        char buf[16] = {0};
        memcpy(buf, v, vl < 15 ? vl : 15);
        want = atoi(buf);
    }
    bool ok =
        D->iter_open(s, &it) == PZ_OK && D->iter_seek_ge(it, (const uint8_t *)"k", 1) == PZ_OK;
    while (ok && D->iter_valid(it)) {
        n++;
        ok = D->iter_next(it) == PZ_OK;
    }
    D->iter_close(&it);
    D->snap_close(&s);
    return ok && n == want;
}

static void *s_reader(void *arg)
{
    reader_t *r = arg;
    while (!r->stop) {
        if (!s_read_consistent(r->e)) {
            r->bad++;
        }
        r->rounds++;
    }
    return NULL;
}

static void test_concurrent_readers_during_growth(void **state)
{
    (void)state;
    char dir[64];
    s_mkdtemp(dir, sizeof dir);
    pz_engine_opts_t o = s_opts(64 * 1024, 0);
    reader_t r = {.e = s_open(dir, &o)};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, s_reader, &r), 0);
    }
    char keys[200][32], count[16], val[200];
    memset(val, 'v', sizeof val);
    pz_engine_op_t ops[201];
    for (int b = 0; b < 60; b++) {
        for (int i = 0; i < 200; i++) {
            size_t kl = s_key(keys[i], b * 200 + i);
            ops[i] = s_op(PZ_ENGINE_PUT, keys[i], kl, val, sizeof val);
        }
        int cl = snprintf(count, sizeof count, "%d", (b + 1) * 200);
        ops[200] = s_op(PZ_ENGINE_PUT, "count", 5, count, (size_t)cl);
        assert_rc(s_commit(r.e, ops, 201, false), PZ_OK);
    }
    r.stop = 1;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
    }
    assert_true(r.rounds > 0);
    assert_int_equal(r.bad, 0);
    assert_int_equal(s_count(r.e), 60 * 200 + 1);
    D->close(&r.e);
    s_rmrf(dir);
}

/* Limits --------------------------------------------------------------------------------- */

static char s_long[PZ_KEY_BYTES_MAX + 2]; /* too big for a comfortable stack frame */

static void test_key_too_long(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    memset(s_long, 'm', sizeof s_long);
    pz_engine_op_t op = s_op(PZ_ENGINE_PUT, s_long, KEY_BYTES_MAX_LMDB, "x", 1);
    assert_rc(s_commit(e, &op, 1, false), PZ_OK); /* the longest key LMDB stores */
    assert_rc(s_put(e, "n", "n"), PZ_OK);
    /* Past the engine's limits: PZ_ETOOBIG (a limit the client is told of, 54000). */
    op.key_len = KEY_BYTES_MAX_LMDB + 1;
    assert_rc(s_commit(e, &op, 1, false), PZ_ETOOBIG);
    op.key_len = PZ_KEY_BYTES_MAX; /* the project allows it; this engine cannot store it */
    assert_rc(s_commit(e, &op, 1, false), PZ_ETOOBIG);
    op = s_op(PZ_ENGINE_DEL, s_long, KEY_BYTES_MAX_LMDB + 1, NULL, 0);
    assert_rc(s_commit(e, &op, 1, false), PZ_ETOOBIG);
    pz_engine_op_t big_val = s_op(PZ_ENGINE_PUT, "v", 1, s_long, PZ_VALUE_BYTES_MAX + 1u);
    big_val.value = malloc(PZ_VALUE_BYTES_MAX + 1u); /* contents never read */
    assert_non_null(big_val.value);
    assert_rc(s_commit(e, &big_val, 1, false), PZ_ETOOBIG);
    free((void *)big_val.value);

    pz_engine_snap_t *s = NULL;
    assert_rc(D->snap_open(e, &s), PZ_OK);
    const uint8_t *v;
    size_t vl;
    const uint8_t *lk = (const uint8_t *)s_long;
    assert_rc(D->get(s, lk, KEY_BYTES_MAX_LMDB, &v, &vl), PZ_OK);
    assert_rc(D->get(s, lk, KEY_BYTES_MAX_LMDB + 1, &v, &vl), PZ_EINVAL);
    assert_rc(D->get(s, lk, 0, &v, &vl), PZ_EINVAL);

    /* Seeks take longer keys as bounds. The stored 511 x 'm' is a prefix of 600 x 'm': it
     * sorts before it. */
    pz_engine_iter_t *it = NULL;
    assert_rc(D->iter_open(s, &it), PZ_OK);
    assert_rc(D->iter_seek_ge(it, lk, 600), PZ_OK);
    s_expect_at(it, "n");
    assert_rc(D->iter_seek_lt(it, lk, 600), PZ_OK);
    assert_true(D->iter_valid(it));
    const uint8_t *k;
    size_t kl;
    D->iter_key(it, &k, &kl);
    assert_int_equal(kl, KEY_BYTES_MAX_LMDB);
    assert_rc(D->iter_seek_ge(it, lk, KEY_BYTES_MAX_LMDB), PZ_OK);
    D->iter_key(it, &k, &kl);
    assert_int_equal(kl, KEY_BYTES_MAX_LMDB);
    assert_rc(D->iter_seek_ge(it, lk, PZ_KEY_BYTES_MAX + 1), PZ_EINVAL);
    assert_rc(D->iter_seek_lt(it, NULL, 3), PZ_EINVAL);
    D->iter_close(&it);
    D->snap_close(&s);
}

/* Checkpoints and sizes ------------------------------------------------------------------ */

static off_t s_file_bytes(const char *dir)
{
    char file[128];
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    struct stat st;
    return stat(file, &st) == 0 ? st.st_size : -1;
}

static void test_checkpoint(void **state)
{
    fx_t *f = *state;
    assert_rc(s_put_range(f->e, 0, 4000, 100, false), PZ_OK);
    char lo[32], hi[32];
    size_t ll = s_key(lo, 500), hl = s_key(hi, 4000);
    pz_engine_op_t del = s_op(PZ_ENGINE_DEL_RANGE, lo, ll, hi, hl);
    assert_rc(s_commit(f->e, &del, 1, false), PZ_OK);

    char cp[64];
    s_mkdtemp(cp, sizeof cp);
    assert_rc(D->checkpoint(f->e, cp), PZ_OK);
    off_t copy_bytes = s_file_bytes(cp);
    assert_rc(D->checkpoint(f->e, cp), PZ_EEXISTS); /* not empty: the copy stays as it was */
    assert_int_equal(s_file_bytes(cp), copy_bytes);
    assert_true(copy_bytes < s_file_bytes(f->dir)); /* compacted */
    assert_rc(s_put(f->e, "later", "x"), PZ_OK);

    pz_engine_t *c = s_open(cp, NULL);
    assert_int_equal(s_count(c), 500);
    assert_rc(s_get_i(c, 499), PZ_OK);
    assert_rc(s_get_i(c, 500), PZ_ENOTFOUND);
    assert_rc(s_get(c, "later", NULL), PZ_ENOTFOUND);
    assert_rc(s_put(c, "own", "y"), PZ_OK); /* a full store of its own */
    D->close(&c);
    assert_rc(s_get(f->e, "own", NULL), PZ_ENOTFOUND);
    s_rmrf(cp);
    assert_rc(D->checkpoint(f->e, cp), PZ_ENOTFOUND); /* the directory is gone */
}

static uint64_t s_approx(pz_engine_t *e, int from, int to)
{
    char s[32], t[32];
    size_t sl = from < 0 ? 0 : s_key(s, from), tl = to < 0 ? 0 : s_key(t, to);
    uint64_t bytes = UINT64_MAX;
    assert_rc(D->approx_size(e, (uint8_t *)s, sl, (uint8_t *)t, tl, &bytes), PZ_OK);
    assert_true(bytes != UINT64_MAX);
    return bytes;
}

static void test_approx_size(void **state)
{
    pz_engine_t *e = ((fx_t *)*state)->e;
    const uint64_t entry = 7 + 100 + 10;      /* key, value, LMDB node overhead */
    assert_int_equal(s_approx(e, -1, -1), 0); /* an empty store */
    assert_rc(s_put_range(e, 0, 100, 100, false), PZ_OK);
    uint64_t small = s_approx(e, -1, -1);
    assert_int_equal(small, 100 * entry); /* under the walk bound: exact */
    assert_int_equal(s_approx(e, 0, 50), 50 * entry);
    assert_int_equal(s_approx(e, 10, 10), 0); /* empty spans */
    assert_int_equal(s_approx(e, 20, 10), 0);
    assert_int_equal(s_approx(e, 200, -1), 0);

    assert_rc(s_put_range(e, 100, 20000, 100, false), PZ_OK);
    uint64_t all = s_approx(e, -1, -1);
    assert_true(all > small);
    assert_true(all >= 20000 * entry / 2 && all <= 20000 * entry * 3);
    double half = (double)s_approx(e, -1, 10000) / (double)all;
    assert_true(half > 0.3 && half < 0.7);
    double tail = (double)s_approx(e, 15000, -1) / (double)all;
    assert_true(tail > 0.1 && tail < 0.4);

    /* Growing the end never shrinks the estimate, across the walk bound too. */
    const int ends[] = {1, 500, 1000, 1023, 1024, 1025, 1100, 5000, 19999, 20000};
    uint64_t prev = 0;
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        uint64_t b = s_approx(e, 0, ends[i]);
        assert_true(b >= prev);
        prev = b;
    }
    assert_true(s_approx(e, -1, -1) >= prev);
}

/* Opening -------------------------------------------------------------------------------- */

static void test_locked_and_corrupt(void **state)
{
    fx_t *f = *state;
    pz_engine_t *e2 = NULL;
    assert_rc(D->open(f->dir, NULL, &e2), PZ_ELOCKED); /* even from this process */
    assert_null(e2);
    assert_rc(s_put(f->e, "still", "fine"), PZ_OK);
    D->close(&f->e);
    f->e = s_open(f->dir, NULL);
    assert_rc(s_get(f->e, "still", "fine"), PZ_OK);

    char dir[64], file[128];
    s_mkdtemp(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/data.mdb", dir);
    FILE *fp = fopen(file, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 64 * 1024; i++) {
        fputc(0xAB, fp);
    }
    fclose(fp);
    assert_rc(D->open(dir, NULL, &e2), PZ_ECORRUPT);
    assert_null(e2);
    s_rmrf(dir);
}

static void test_read_only(void **state)
{
    fx_t *f = *state;
    assert_rc(s_put(f->e, "a", "1"), PZ_OK);
    D->close(&f->e);
    pz_engine_opts_t o = s_opts(0, 0);
    o.read_only = true;
    pz_engine_t *r1 = s_open(f->dir, &o), *r2 = s_open(f->dir, &o); /* readers share */
    assert_rc(s_get(r1, "a", "1"), PZ_OK);
    assert_rc(s_get(r2, "a", "1"), PZ_OK);
    assert_rc(s_put(r1, "b", "2"), PZ_EINVAL);
    uint64_t bytes = 0;
    assert_rc(D->approx_size(r1, NULL, 0, NULL, 0, &bytes), PZ_OK);
    assert_true(bytes > 0);
    pz_engine_t *w = NULL;
    assert_rc(D->open(f->dir, NULL, &w), PZ_ELOCKED); /* no writer beside readers */
    D->close(&r1);
    D->close(&r2);
    f->e = s_open(f->dir, NULL);

    char empty[64];
    s_mkdtemp(empty, sizeof empty);
    assert_rc(D->open(empty, &o, &w), PZ_ENOTFOUND); /* read-only cannot create */
    s_rmrf(empty);
}

/* A caller built against an older, shorter pz_engine_opts_t: fields past its struct_size are
 * not read, whatever garbage follows. */
static void test_opts_from_older_caller(void **state)
{
    (void)state;
    char dir[64];
    s_mkdtemp(dir, sizeof dir);
    pz_engine_opts_t o;
    memset(&o, 0xFF, sizeof o);
    o.struct_size = offsetof(pz_engine_opts_t, initial_map_bytes);
    pz_engine_t *e = s_open(dir, &o); /* read_only (0xFF) must be ignored: writable */
    assert_rc(s_put(e, "a", "1"), PZ_OK);
    D->close(&e);
    memset(&o, 0, sizeof o);
    o.struct_size = offsetof(pz_engine_opts_t, max_map_bytes); /* initial only: 64 KiB */
    o.initial_map_bytes = 64 * 1024;
    o.max_map_bytes = 1; /* beyond struct_size: must not bound the map */
    e = s_open(dir, &o);
    assert_rc(s_put_range(e, 0, 5000, 200, false), PZ_OK);
    D->close(&e);
    s_rmrf(dir);
}

/* A full disk ---------------------------------------------------------------------------- */

/* Fills the store with batches of 8 keys of 16 KiB values, from batch *done on, until a commit
 * fails; returns that commit's code, *done counts the batches stored. */
static int s_fill(pz_engine_t *e, int *done)
{
    int rc = PZ_OK;
    for (int i = 0; i < 1000 && rc == PZ_OK; i++) {
        rc = s_put_range(e, *done * 8, (*done + 1) * 8, 16 * 1024, false);
        *done += rc == PZ_OK;
    }
    return rc;
}

/* The tmpfs lives in setup/teardown so that a failed assertion never leaves a mount behind. */
typedef struct {
    char dir[64];
    bool mounted;
    int mount_errno;
    pz_engine_t *e;
} tmpfs_fx_t;

static int tmpfs_setup(void **state)
{
    tmpfs_fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    s_mkdtemp(f->dir, sizeof f->dir);
    f->mounted = mount("tmpfs", f->dir, "tmpfs", 0, "size=2m") == 0;
    f->mount_errno = f->mounted ? 0 : errno;
    *state = f;
    return 0;
}

static int tmpfs_teardown(void **state)
{
    tmpfs_fx_t *f = *state;
    D->close(&f->e);
    int rc = f->mounted ? umount(f->dir) : 0;
    rc |= rmdir(f->dir);
    free(f);
    return rc;
}

static void test_disk_full(void **state)
{
    tmpfs_fx_t *f = *state;
    if (!f->mounted) {
        print_message("disk-full test skipped: mount tmpfs: %s (needs CAP_SYS_ADMIN)\n",
                      strerror(f->mount_errno));
        skip();
    }
    f->e = s_open(f->dir, NULL); /* a 256 MiB map on a 2 MiB disk */
    int done = 0;
    assert_rc(s_fill(f->e, &done), PZ_ENOSPC);
    assert_true(done > 10);
    int stored = done;
    assert_rc(s_fill(f->e, &done), PZ_ENOSPC); /* the identical batch: a clean refusal again */
    assert_int_equal(done, stored);

    /* Reads still work; the failed batch left nothing. */
    assert_int_equal(s_count(f->e), done * 8);
    assert_rc(s_get_i(f->e, 0), PZ_OK);
    assert_rc(s_get_i(f->e, done * 8), PZ_ENOTFOUND);

    /* Deleting frees pages inside the file, which later commits reuse. */
    char hi[32];
    size_t hl = s_key(hi, done * 4);
    pz_engine_op_t del = s_op(PZ_ENGINE_DEL_RANGE, NULL, 0, hi, hl);
    assert_rc(s_commit(f->e, &del, 1, true), PZ_OK);
    assert_rc(s_put(f->e, "after", "ok"), PZ_OK);
    assert_rc(s_put_range(f->e, done * 8, done * 8 + 8, 16 * 1024, true), PZ_OK);
    assert_rc(s_get_i(f->e, done * 8 + 7), PZ_OK);
    assert_int_equal(s_count(f->e), done * 4 + 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test_setup_teardown(test_put_get_del, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_del_range, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_batch_order_and_atomicity, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_isolation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_reuse, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_iterate_both_ways, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_iterate_many, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_durable_and_not_survive_reopen, fx_setup, fx_teardown),
        cmocka_unit_test(test_map_grows),
        cmocka_unit_test(test_map_full_at_bound),
        cmocka_unit_test(test_resize_waits_for_snapshots),
        cmocka_unit_test(test_concurrent_readers_during_growth),
        cmocka_unit_test_setup_teardown(test_key_too_long, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_approx_size, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_locked_and_corrupt, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_read_only, fx_setup, fx_teardown),
        cmocka_unit_test(test_opts_from_older_caller),
        cmocka_unit_test_setup_teardown(test_disk_full, tmpfs_setup, tmpfs_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
