/*
 * test_mvcc.c — proves the MVCC evaluation of KV batches (modules/storage/mvcc*.c) against the
 * real LMDB engine plugin: reads at a timestamp see the newest version at or below it;
 * tombstones hide values; CPUT succeeds and fails with the actual value; DEL and DEL_RANGE
 * count live keys; write-too-old moves the whole batch above the newest version; a failing
 * batch writes nothing; reads see the batch's own earlier writes; validation errors name the
 * request; scans honour limits, max_keys and the byte bound with resume keys.
 *
 * How: each test opens an empty store in a temporary directory with the plugin loaded by
 * dlopen (no kernel), evaluates batches against fresh snapshots, commits their ops directly
 * through the engine wrapper, and checks the responses and what later reads see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage_test.h"

static int s_setup(void **state)
{
    st_env_t *env = calloc(1, sizeof *env);
    st_env_open(env, 0, 0);
    *state = env;
    return 0;
}

static int s_teardown(void **state)
{
    st_env_close(*state);
    free(*state);
    return 0;
}

static void test_reads_see_newest_version_at_or_below(void **state)
{
    st_env_t *env = *state;
    char buf[64];
    st_put_at(env, 10, "k", "v10");
    st_put_at(env, 20, "k", "v20");
    st_put_at(env, 30, "k", "v30");
    assert_false(st_get_at(env, 9, "k", buf, sizeof buf));
    assert_true(st_get_at(env, 10, "k", buf, sizeof buf));
    assert_string_equal(buf, "v10");
    assert_true(st_get_at(env, 19, "k", buf, sizeof buf));
    assert_string_equal(buf, "v10");
    assert_true(st_get_at(env, 20, "k", buf, sizeof buf));
    assert_string_equal(buf, "v20");
    assert_true(st_get_at(env, 1000, "k", buf, sizeof buf));
    assert_string_equal(buf, "v30");
    assert_false(st_get_at(env, 1000, "other", buf, sizeof buf));

    /* The logical counter orders versions within one wall tick, and GET reports the version's
     * own timestamp. */
    st_batch_t sb;
    st_batch_init(&sb, st_ts(40, 7));
    st_put(&sb, "k", "v40.7");
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    st_result_free(&r);
    st_batch_init(&sb, st_ts(40, 6));
    st_get(&sb, "k");
    st_batch_t sb2;
    st_batch_init(&sb2, st_ts(40, 7));
    st_get(&sb2, "k");
    st_run(env, &sb, &r);
    assert_string_equal(st_str(r.res.resp.resps[0].value), "v30");
    assert_int_equal(r.res.resp.resps[0].ts.wall, 30);
    st_result_free(&r);
    st_run(env, &sb2, &r);
    assert_string_equal(st_str(r.res.resp.resps[0].value), "v40.7");
    assert_int_equal(r.res.resp.resps[0].ts.logical, 7);
    st_result_free(&r);
}

static void test_tombstones_hide_values(void **state)
{
    st_env_t *env = *state;
    char buf[64];
    st_put_at(env, 10, "k", "a");
    st_del_at(env, 20, "k");
    st_put_at(env, 30, "k", "b");
    assert_true(st_get_at(env, 15, "k", buf, sizeof buf));
    assert_false(st_get_at(env, 20, "k", buf, sizeof buf));
    assert_false(st_get_at(env, 29, "k", buf, sizeof buf));
    assert_true(st_get_at(env, 30, "k", buf, sizeof buf));
    assert_string_equal(buf, "b");

    /* A scan skips the key where it is deleted, and sees it where it lives. */
    st_batch_t sb;
    st_batch_init(&sb, st_ts(25, 0));
    st_span(&sb, PZ_KV_SCAN, "a", "z", 0);
    st_span(&sb, PZ_KV_RSCAN, "a", "z", 0);
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.res.resp.resps[0].kvs_len, 0);
    assert_int_equal(r.res.resp.resps[1].kvs_len, 0);
    assert_false(r.res.resp.resps[0].has_resume);
    st_result_free(&r);
}

static void test_del_counts_live_values(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 10, "a", "1");
    st_put_at(env, 10, "b", "2");
    st_del_at(env, 11, "b");
    st_batch_t sb;
    st_batch_init(&sb, st_ts(20, 0));
    st_del(&sb, "a");
    st_del(&sb, "b");
    st_del(&sb, "never");
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.resp.resps[0].num_deleted, 1);
    assert_int_equal(r.res.resp.resps[1].num_deleted, 0);
    assert_int_equal(r.res.resp.resps[2].num_deleted, 0);
    assert_int_equal(r.res.ops_len, 3); /* a tombstone even over nothing */
    st_result_free(&r);
}

static void test_del_range_tombstones_live_keys(void **state)
{
    st_env_t *env = *state;
    char buf[16];
    st_put_at(env, 10, "a", "1");
    st_put_at(env, 10, "b", "2");
    st_put_at(env, 10, "c", "3");
    st_del_at(env, 11, "b");
    st_put_at(env, 10, "d", "4");
    st_batch_t sb;
    st_batch_init(&sb, st_ts(20, 0));
    st_span(&sb, PZ_KV_DEL_RANGE, "a", "d", 0);
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.resp.resps[0].num_deleted, 2); /* a and c; b was dead, d outside */
    assert_false(r.res.resp.resps[0].has_resume);
    assert_int_equal(r.res.ops_len, 2);
    st_result_free(&r);
    assert_false(st_get_at(env, 20, "a", buf, sizeof buf));
    assert_false(st_get_at(env, 20, "c", buf, sizeof buf));
    assert_true(st_get_at(env, 20, "d", buf, sizeof buf));
    assert_true(st_get_at(env, 19, "a", buf, sizeof buf));

    /* With a limit it stops and says where to resume. */
    st_put_at(env, 30, "a", "1");
    st_put_at(env, 30, "b", "2");
    st_put_at(env, 30, "c", "3");
    st_batch_init(&sb, st_ts(40, 0));
    st_span(&sb, PZ_KV_DEL_RANGE, "a", "z", 2);
    st_run(env, &sb, &r);
    assert_int_equal(r.res.resp.resps[0].num_deleted, 2);
    assert_true(r.res.resp.resps[0].has_resume);
    assert_string_equal(st_str(r.res.resp.resps[0].resume_key), "c");
    st_result_free(&r);
}

static void test_cput(void **state)
{
    st_env_t *env = *state;
    char buf[16];
    st_result_t r;
    st_batch_t sb;

    /* Absent expected and absent: succeeds. */
    st_batch_init(&sb, st_ts(10, 0));
    st_cput(&sb, "k", "v1", NULL);
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    st_result_free(&r);

    /* Expected value matches: succeeds. */
    st_batch_init(&sb, st_ts(20, 0));
    st_cput(&sb, "k", "v2", "v1");
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    st_result_free(&r);
    assert_true(st_get_at(env, 20, "k", buf, sizeof buf));
    assert_string_equal(buf, "v2");

    /* Expected value differs: fails with the actual value, writes nothing. */
    st_batch_init(&sb, st_ts(30, 0));
    st_put(&sb, "other", "x");
    st_cput(&sb, "k", "v3", "v1");
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_ECONDFAILED);
    assert_int_equal(r.res.resp.error.index, 1);
    assert_true(r.res.resp.error.has_actual);
    assert_string_equal(st_str(r.res.resp.error.actual_value), "v2");
    assert_int_equal(r.res.ops_len, 0);
    assert_int_equal(r.res.resp.resps_len, 0);
    st_result_free(&r);
    assert_false(st_get_at(env, 30, "other", buf, sizeof buf));

    /* Expected absent but present: fails. */
    st_batch_init(&sb, st_ts(30, 0));
    st_cput(&sb, "k", "v3", NULL);
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_ECONDFAILED);
    assert_int_equal(r.res.resp.error.index, 0);
    st_result_free(&r);

    /* Expected a value, key deleted: fails, no actual value. */
    st_del_at(env, 40, "k");
    st_batch_init(&sb, st_ts(50, 0));
    st_cput(&sb, "k", "v3", "v2");
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_ECONDFAILED);
    assert_false(r.res.resp.error.has_actual);
    st_result_free(&r);
    /* Expected absent and deleted: succeeds. */
    st_batch_init(&sb, st_ts(50, 0));
    st_cput(&sb, "k", "v4", NULL);
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    st_result_free(&r);
}

static void test_write_too_old_moves_the_batch(void **state)
{
    st_env_t *env = *state;
    char buf[16];
    st_put_at(env, 100, "k", "new");
    st_put_at(env, 50, "r", "r50");
    st_put_at(env, 100, "r", "r100");

    /* A write at 80 below a version at 100: the whole batch, its read included, goes to
     * 100.1, and the read sees r's version at 100. */
    st_batch_t sb;
    st_batch_init(&sb, st_ts(80, 0));
    st_get(&sb, "r");
    st_put(&sb, "k", "late");
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.resp.ts.wall, 100);
    assert_int_equal(r.res.resp.ts.logical, 1);
    assert_string_equal(st_str(r.res.resp.resps[0].value), "r100");
    assert_int_equal(r.res.resp.resps[1].ts.logical, 1);
    st_result_free(&r);
    assert_true(st_get_at(env, 100, "k", buf, sizeof buf));
    assert_string_equal(buf, "new");
    assert_true(st_get_at(env, 101, "k", buf, sizeof buf));
    assert_string_equal(buf, "late");

    /* At exactly the newest version's timestamp it is too old as well. */
    st_batch_init(&sb, st_ts(100, 1));
    st_put(&sb, "x", "x");
    st_put(&sb, "k", "same");
    st_run(env, &sb, &r);
    assert_int_equal(r.res.resp.ts.wall, 100);
    assert_int_equal(r.res.resp.ts.logical, 2);
    st_result_free(&r);

    /* DEL_RANGE: a newer version of a key in the span moves it too. */
    st_put_at(env, 500, "m", "m");
    st_batch_init(&sb, st_ts(200, 0));
    st_span(&sb, PZ_KV_DEL_RANGE, "l", "n", 0);
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.resp.ts.wall, 500);
    assert_int_equal(r.res.resp.ts.logical, 1);
    assert_int_equal(r.res.resp.resps[0].num_deleted, 1);
    st_result_free(&r);
    assert_false(st_get_at(env, 501, "m", buf, sizeof buf));

    /* No conflict: the timestamp stays. */
    st_batch_init(&sb, st_ts(9000, 3));
    st_put(&sb, "k", "v");
    st_run(env, &sb, &r);
    assert_int_equal(r.res.resp.ts.wall, 9000);
    assert_int_equal(r.res.resp.ts.logical, 3);
    st_result_free(&r);
}

static void test_failed_batch_is_atomic(void **state)
{
    st_env_t *env = *state;
    char buf[16];
    st_put_at(env, 10, "c", "orig");
    st_batch_t sb;
    st_batch_init(&sb, st_ts(20, 0));
    st_put(&sb, "a", "1");
    st_del(&sb, "c");
    st_span(&sb, PZ_KV_DEL_RANGE, "a", "z", 0);
    st_cput(&sb, "b", "2", "nope");
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_ECONDFAILED);
    assert_int_equal(r.res.resp.error.index, 3);
    assert_int_equal(r.res.ops_len, 0);
    st_result_free(&r);
    assert_false(st_get_at(env, 30, "a", buf, sizeof buf));
    assert_true(st_get_at(env, 30, "c", buf, sizeof buf));

    /* A validation error anywhere refuses the batch before evaluation. */
    st_batch_init(&sb, st_ts(20, 0));
    st_put(&sb, "a", "1");
    st_add(&sb, 99, pz_view_str("a"));
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_EINVAL);
    assert_int_equal(r.res.resp.error.index, 1);
    assert_int_equal(r.res.ops_len, 0);
    st_result_free(&r);
}

static void test_read_your_writes(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 10, "b", "old-b");
    st_put_at(env, 10, "d", "old-d");
    st_batch_t sb;
    st_batch_init(&sb, st_ts(20, 0));
    st_put(&sb, "a", "new-a");
    st_put(&sb, "b", "new-b");
    st_del(&sb, "d");
    st_get(&sb, "a");                              /* 3 */
    st_get(&sb, "d");                              /* 4 */
    st_span(&sb, PZ_KV_SCAN, "a", "z", 0);         /* 5 */
    st_span(&sb, PZ_KV_RSCAN, "a", "z", 0);        /* 6 */
    st_cput(&sb, "b", "newer-b", "new-b");         /* 7 */
    st_get(&sb, "b");                              /* 8 */
    st_span(&sb, PZ_KV_DEL_RANGE, "a", "b\x01", 0); /* 9 */
    st_span(&sb, PZ_KV_SCAN, "a", "z", 0);         /* 10 */
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    const pz_kv_resp_t *rs = r.res.resp.resps;
    assert_true(rs[3].found);
    assert_string_equal(st_str(rs[3].value), "new-a");
    assert_false(rs[4].found);
    assert_int_equal(rs[5].kvs_len, 2);
    assert_string_equal(st_str(rs[5].kvs[0].key), "a");
    assert_string_equal(st_str(rs[5].kvs[1].value), "new-b");
    assert_int_equal(rs[6].kvs_len, 2);
    assert_string_equal(st_str(rs[6].kvs[0].key), "b");
    assert_string_equal(st_str(rs[8].value), "newer-b");
    assert_int_equal(rs[9].num_deleted, 2);
    assert_int_equal(rs[10].kvs_len, 0);
    /* One op per distinct key: a, b, d. */
    assert_int_equal(r.res.ops_len, 3);
    st_result_free(&r);
    char buf[16];
    assert_false(st_get_at(env, 20, "a", buf, sizeof buf));
    assert_false(st_get_at(env, 20, "b", buf, sizeof buf));
    assert_true(st_get_at(env, 19, "b", buf, sizeof buf));
}

static void test_keys_with_zeros_and_prefixes(void **state)
{
    st_env_t *env = *state;
    /* Each is a prefix of the next or differs by a 0x00 / 0xFF byte: the escaping must keep
     * them distinct and in bytewise order. */
    static const uint8_t k0[] = {'a'};
    static const uint8_t k1[] = {'a', 0x00};
    static const uint8_t k2[] = {'a', 0x00, 0x00};
    static const uint8_t k3[] = {'a', 0x00, 0x01};
    static const uint8_t k4[] = {'a', 0x00, 0xFF};
    static const uint8_t k5[] = {'a', 0x01};
    static const uint8_t k6[] = {'a', 0xFF, 0x00};
    static const uint8_t k7[] = {0x00};
    const pz_view_t keys[] = {st_v(k7, 1), st_v(k0, 1), st_v(k1, 2), st_v(k2, 3),
                              st_v(k3, 3), st_v(k4, 3), st_v(k5, 2), st_v(k6, 3)};
    const size_t n = sizeof keys / sizeof keys[0];
    st_batch_t sb;
    st_batch_init(&sb, st_ts(10, 0));
    for (size_t i = n; i-- > 0;) {
        st_add(&sb, PZ_KV_PUT, keys[i])->value = keys[i];
    }
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    st_result_free(&r);

    static const uint8_t lo[] = {0x00};
    static const uint8_t hi[] = {0xFF};
    st_batch_init(&sb, st_ts(10, 0));
    st_add(&sb, PZ_KV_SCAN, st_v(lo, 1))->end_key = st_v(hi, 1);
    st_add(&sb, PZ_KV_RSCAN, st_v(lo, 1))->end_key = st_v(hi, 1);
    for (size_t i = 0; i < n; i++) {
        st_add(&sb, PZ_KV_GET, keys[i]);
    }
    st_run(env, &sb, &r);
    const pz_kv_resp_t *rs = r.res.resp.resps;
    assert_int_equal(rs[0].kvs_len, n);
    assert_int_equal(rs[1].kvs_len, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(pz_view_eq(rs[0].kvs[i].key, keys[i]));
        assert_true(pz_view_eq(rs[0].kvs[i].value, keys[i]));
        assert_true(pz_view_eq(rs[1].kvs[n - 1 - i].key, keys[i]));
        assert_true(rs[2 + i].found);
        assert_true(pz_view_eq(rs[2 + i].value, keys[i]));
    }
    st_result_free(&r);

    /* A span ending at "a\x00" holds "\x00" and "a" only. */
    st_batch_init(&sb, st_ts(10, 0));
    st_add(&sb, PZ_KV_SCAN, st_v(lo, 1))->end_key = keys[2];
    st_run(env, &sb, &r);
    assert_int_equal(r.res.resp.resps[0].kvs_len, 2);
    st_result_free(&r);
}

static void test_scan_limits_and_resume(void **state)
{
    st_env_t *env = *state;
    static const char *keys[] = {"k1", "k2", "k3", "k4", "k5"};
    for (int i = 0; i < 5; i++) {
        st_put_at(env, 10, keys[i], keys[i]);
    }
    st_batch_t sb;
    st_batch_init(&sb, st_ts(10, 0));
    st_span(&sb, PZ_KV_SCAN, "k", "l", 2);
    st_span(&sb, PZ_KV_RSCAN, "k", "l", 2);
    st_span(&sb, PZ_KV_SCAN, "k", "l", 5); /* exactly all: no resume */
    st_span(&sb, PZ_KV_RSCAN, "k2", "k4", 0);
    st_result_t r;
    st_run(env, &sb, &r);
    const pz_kv_resp_t *rs = r.res.resp.resps;
    assert_int_equal(rs[0].kvs_len, 2);
    assert_true(rs[0].has_resume);
    assert_string_equal(st_str(rs[0].resume_key), "k3");
    assert_int_equal(rs[1].kvs_len, 2);
    assert_string_equal(st_str(rs[1].kvs[0].key), "k5");
    assert_true(rs[1].has_resume);
    assert_string_equal(st_str(rs[1].resume_key), "k4"); /* continue with [k, k4) */
    assert_int_equal(rs[2].kvs_len, 5);
    assert_false(rs[2].has_resume);
    assert_int_equal(rs[3].kvs_len, 2);
    assert_string_equal(st_str(rs[3].kvs[0].key), "k3");
    st_result_free(&r);

    /* header.max_keys bounds all scans of the batch together. */
    st_batch_init(&sb, st_ts(10, 0));
    sb.b.header.max_keys = 3;
    st_span(&sb, PZ_KV_SCAN, "k", "l", 0);
    st_span(&sb, PZ_KV_SCAN, "k", "l", 0);
    st_span(&sb, PZ_KV_RSCAN, "k", "l", 0);
    st_run(env, &sb, &r);
    rs = r.res.resp.resps;
    assert_int_equal(rs[0].kvs_len, 3);
    assert_string_equal(st_str(rs[0].resume_key), "k4");
    assert_int_equal(rs[1].kvs_len, 0);
    assert_true(rs[1].has_resume);
    assert_string_equal(st_str(rs[1].resume_key), "k");
    assert_int_equal(rs[2].kvs_len, 0);
    assert_string_equal(st_str(rs[2].resume_key), "l");
    st_result_free(&r);
}

static void test_scan_byte_bound(void **state)
{
    st_env_t *env = *state;
    /* Three 6 MiB values: the first two fit PZ_BATCH_RESP_BYTES_MAX (16 MiB), the third not. */
    size_t len = 6u << 20;
    char *big = malloc(len + 1);
    assert_non_null(big);
    memset(big, 'x', len);
    big[len] = '\0';
    st_put_at(env, 10, "b1", big);
    st_put_at(env, 10, "b2", big);
    st_put_at(env, 10, "b3", big);
    free(big);
    st_batch_t sb;
    st_batch_init(&sb, st_ts(10, 0));
    st_span(&sb, PZ_KV_SCAN, "b", "c", 0);
    st_span(&sb, PZ_KV_RSCAN, "b", "c", 0);
    st_result_t r;
    st_run(env, &sb, &r);
    const pz_kv_resp_t *rs = r.res.resp.resps;
    assert_int_equal(rs[0].kvs_len, 2);
    assert_true(rs[0].has_resume);
    assert_string_equal(st_str(rs[0].resume_key), "b3");
    assert_int_equal(rs[0].kvs[1].value.len, len);
    /* The batch's budget is spent: the second scan returns nothing and resumes at its end. */
    assert_int_equal(rs[1].kvs_len, 0);
    assert_true(rs[1].has_resume);
    assert_string_equal(st_str(rs[1].resume_key), "c");
    st_result_free(&r);
}

static void test_validation(void **state)
{
    st_env_t *env = *state;
    st_batch_t sb;
    st_result_t r;

    st_batch_init(&sb, st_ts(0, 0));
    st_get(&sb, "k");
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_EINVAL);
    assert_int_equal(r.res.resp.error.index, -1);
    st_result_free(&r);

    st_batch_init(&sb, st_ts(1, 0));
    st_get(&sb, "k");
    st_get(&sb, "");
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_EINVAL);
    assert_int_equal(r.res.resp.error.index, 1);
    st_result_free(&r);

    st_batch_init(&sb, st_ts(1, 0));
    st_span(&sb, PZ_KV_SCAN, "b", "b", 0);
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_EINVAL);
    assert_int_equal(r.res.resp.error.index, 0);
    st_result_free(&r);

    st_batch_init(&sb, st_ts(1, 0));
    st_span(&sb, PZ_KV_DEL_RANGE, "b", "a", 0);
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_EINVAL);
    st_result_free(&r);

    static uint8_t longkey[PZ_KEY_BYTES_MAX + 1];
    memset(longkey, 'k', sizeof longkey);
    st_batch_init(&sb, st_ts(1, 0));
    st_add(&sb, PZ_KV_PUT, st_v(longkey, sizeof longkey));
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_EINVAL);
    st_result_free(&r);

    st_batch_init(&sb, st_ts(1, 0));
    st_add(&sb, PZ_KV_PUT, pz_view_str("k"))->value = st_v(longkey, PZ_VALUE_BYTES_MAX);
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, PZ_EINVAL);
    st_result_free(&r);

    /* An empty batch is fine and writes nothing. */
    st_batch_init(&sb, st_ts(1, 0));
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.resp.resps_len, 0);
    st_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_see_newest_version_at_or_below, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_tombstones_hide_values, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_del_counts_live_values, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_del_range_tombstones_live_keys, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_cput, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_write_too_old_moves_the_batch, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_failed_batch_is_atomic, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_read_your_writes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_keys_with_zeros_and_prefixes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_scan_limits_and_resume, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_scan_byte_bound, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_validation, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
