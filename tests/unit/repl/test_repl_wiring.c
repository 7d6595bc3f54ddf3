/*
 * test_repl_wiring.c — proves the repl module's wiring of lock waits, pushes, resolves, txnwait
 * and the timestamp cache, with the real module (pz_repl.so) in an in-process kernel and a fake
 * storage (fake_storage.c) that answers with intents and push failures the way storage will:
 *   - a write meeting an intent waits, repl pushes the holder (ABORT push, through `dist`),
 *     resolves the key with the record's status, runs the write again and answers success;
 *   - NOWAIT pushes with TOUCH and fails with PZ_ELOCK_NOWAIT;
 *   - a lock timeout fails the waiter with PZ_ELOCK_TIMEOUT while its pushes keep failing;
 *   - a PUSH_TXN that storage fails is parked, not answered, and evaluated again when the
 *     pushee's record expires, then answered with the record;
 *   - a write under a non-transactional read moves just above it, and one into a span a
 *     transaction refreshed moves above the refresh's write timestamp.
 * How: pz__kernel_start on a config string; a blocking in-process client sends batches to repl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "phantomzero/kv.h"

static zconfig_t *s_cfg;

static uint64_t s_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static int s_setup(void **state)
{
    (void)state;
    /* The test module dir holds the fake storage; the real repl module is linked in beside it. */
    char link[1024];
    snprintf(link, sizeof link, "%s/pz_repl.so", PZ_TEST_FAKE_DIR);
    unlink(link);
    assert_int_equal(symlink(PZ_TEST_REPL_SO, link), 0);
    char text[1024];
    snprintf(text, sizeof text,
             "node\n    threads = 1\n    seed = 1\n    module_dir = \"%s\"\n"
             "modules\n    repl\n        bootstrap = true\n        dist = \"storage\"\n"
             "    storage\n        module = fake_storage\n",
             PZ_TEST_FAKE_DIR);
    assert_int_equal(pz__config_load_str(text, "test", &s_cfg), 0);
    assert_int_equal(pz__kernel_start(s_cfg, "test"), 0);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    pz__kernel_stop();
    zconfig_destroy(&s_cfg);
    return 0;
}

/* Sends b to repl (range 1) and decodes the answer into *r (kept alive by *reply). */
static int s_call(pz_kv_batch_t *b, pz_msg_t **reply, pz_kv_batch_resp_t *r)
{
    pz_client_t *c = pz_client_new(NULL);
    assert_non_null(c);
    b->header.range_id = 1;
    if (pz_hlc_is_zero(b->header.ts)) {
        b->header.ts = pz_hlc_now();
    }
    pz_out_t *out = NULL;
    assert_int_equal(pz_kv_batch_to_out(b, PZ_MSG_KV_BATCH, &out), 0);
    int rc = 0;
    for (int tries = 0; tries < 50; tries++) { /* repl parks batches until it has loaded */
        assert_int_equal(pz_client_call(c, "repl", &out, 5000, reply), 0);
        rc = pz_msg_error(*reply, NULL);
        if (rc != PZ_ENOTREADY) {
            break;
        }
    }
    pz_client_destroy(&c);
    if (rc == 0) {
        assert_int_equal(pz_kv_batch_resp_from_msg(*reply, PZ_MSG_KV_BATCH_RESP, r), 0);
        rc = r->error.code;
    }
    return rc;
}

static int s_one(uint8_t op, const char *key, pz_kv_header_t h, pz_kv_batch_resp_t *r,
                 pz_msg_t **reply)
{
    pz_kv_req_t q = {.op = op, .key = pz_view_str(key), .value = pz_view_str("v")};
    pz_kv_batch_t b = {.header = h, .reqs = &q, .reqs_len = 1};
    return s_call(&b, reply, r);
}

/* The fake's counters. */
static void s_stats(char *buf, size_t cap)
{
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t r;
    assert_int_equal(s_one(PZ_KV_GET, "stats", (pz_kv_header_t){0}, &r, &reply), 0);
    snprintf(buf, cap, "%.*s", (int)r.resps[0].value.len, (const char *)r.resps[0].value.ptr);
    pz_msg_free(&reply);
}

static void test_wait_push_resolve_rerun(void **state)
{
    (void)state;
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t r;
    assert_int_equal(s_one(PZ_KV_PUT, "lock1", (pz_kv_header_t){0}, &r, &reply), 0);
    assert_int_equal(r.resps_len, 1);
    pz_msg_free(&reply);
    char st[256];
    s_stats(st, sizeof st);
    /* One intent met, one ABORT push, one RESOLVE as COMMITTED, then the write ran. */
    assert_non_null(strstr(st, "pushes=1 resolves=1 intents=1 push_type=2 resolve_status=2"));
}

static void test_nowait(void **state)
{
    (void)state;
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t r;
    pz_kv_header_t h = {.wait_policy = PZ_WAIT_ERROR};
    assert_int_equal(s_one(PZ_KV_PUT, "lock2", h, &r, &reply), PZ_ELOCK_NOWAIT);
    pz_msg_free(&reply);
    char st[256];
    s_stats(st, sizeof st);
    assert_non_null(strstr(st, "push_type=3")); /* TOUCH */
}

static void test_lock_timeout(void **state)
{
    (void)state;
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t r;
    pz_kv_header_t h = {.lock_timeout_ms = 200};
    uint64_t t0 = s_ms();
    assert_int_equal(s_one(PZ_KV_GET, "lock3", h, &r, &reply), PZ_ELOCK_TIMEOUT);
    uint64_t took = s_ms() - t0;
    assert_true(took >= 190 && took < 2000);
    pz_msg_free(&reply);
    char st[256];
    s_stats(st, sizeof st);
    assert_non_null(strstr(st, "push_type=1")); /* a plain read pushes the timestamp */
}

static void test_txnwait_parks_until_expiry(void **state)
{
    (void)state;
    uint8_t pushee_id[PZ_TXN_ID_BYTES] = {0x22}, pusher_id[PZ_TXN_ID_BYTES] = {0x33};
    pz_kv_req_t q = {.op = PZ_KV_PUSH_TXN, .key = pz_view_str("expiring"), .has_ext = true};
    q.ext.push_type = PZ_PUSH_ABORT;
    q.ext.has_pushee = true;
    q.ext.pushee = (pz_kv_txn_t){
        .id = {pushee_id, PZ_TXN_ID_BYTES}, .priority = 1000, .key = pz_view_str("expiring")};
    q.ext.has_pusher = true;
    q.ext.pusher = (pz_kv_txn_t){
        .id = {pusher_id, PZ_TXN_ID_BYTES}, .priority = 1000, .key = pz_view_str("elsewhere")};
    pz_kv_batch_t b = {.reqs = &q, .reqs_len = 1};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t r;
    uint64_t t0 = s_ms();
    assert_int_equal(s_call(&b, &reply, &r), 0);
    uint64_t took = s_ms() - t0;
    /* Parked ~300 ms until the pushee expired, then evaluated again: ABORTED. */
    assert_true(took >= 250 && took < 3000);
    assert_true(r.resps[0].has_ext && r.resps[0].ext.has_record);
    assert_int_equal(r.resps[0].ext.record.status, PZ_TXN_ABORTED);
    pz_msg_free(&reply);
}

static void test_tscache_moves_write(void **state)
{
    (void)state;
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t r;
    pz_hlc_t read_ts = pz_hlc_now();
    read_ts.wall += 50000000u; /* a read 50 ms in the future */
    assert_int_equal(s_one(PZ_KV_GET, "x", (pz_kv_header_t){.ts = read_ts}, &r, &reply), 0);
    pz_msg_free(&reply);
    pz_hlc_t write_ts = pz_hlc_now(); /* below the read */
    assert_int_equal(s_one(PZ_KV_PUT, "x", (pz_kv_header_t){.ts = write_ts}, &r, &reply), 0);
    pz_msg_free(&reply);
    char st[256], want[64];
    s_stats(st, sizeof st);
    snprintf(want, sizeof want, "ts=%llu.%u", (unsigned long long)read_ts.wall,
             read_ts.logical + 1);
    assert_non_null(strstr(st, want));
    /* Another key is not moved. */
    write_ts = pz_hlc_now();
    assert_int_equal(s_one(PZ_KV_PUT, "y", (pz_kv_header_t){.ts = write_ts}, &r, &reply), 0);
    pz_msg_free(&reply);
    s_stats(st, sizeof st);
    snprintf(want, sizeof want, "ts=%llu.%u", (unsigned long long)write_ts.wall, write_ts.logical);
    assert_non_null(strstr(st, want));
}

/* A transaction's REFRESH of a span is recorded at its write timestamp: a later write into the
 * span moves above it. (It needs no answer from storage, and repl reads only the answer's head
 * for it: this test keeps the record from depending on the results.) */
static void test_tscache_refresh_moves_write(void **state)
{
    (void)state;
    static const uint8_t id[PZ_TXN_ID_BYTES] = {7};
    pz_hlc_t wts = pz_hlc_now();
    wts.wall += 50000000u; /* the refreshing transaction commits 50 ms in the future */
    pz_kv_req_t q = {.op = PZ_KV_REFRESH, .key = pz_view_str("r1"), .end_key = pz_view_str("r5")};
    pz_kv_batch_t b = {.header = {.ts = wts,
                                  .has_txn = true,
                                  .txn = {.id = {id, sizeof id}, .read_ts = wts, .write_ts = wts}},
                       .reqs = &q,
                       .reqs_len = 1};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t r;
    assert_int_equal(s_call(&b, &reply, &r), 0);
    pz_msg_free(&reply);
    pz_hlc_t write_ts = pz_hlc_now(); /* below the refresh */
    assert_int_equal(s_one(PZ_KV_PUT, "r3", (pz_kv_header_t){.ts = write_ts}, &r, &reply), 0);
    pz_msg_free(&reply);
    char st[256], want[64];
    s_stats(st, sizeof st);
    snprintf(want, sizeof want, "ts=%llu.%u", (unsigned long long)wts.wall, wts.logical + 1);
    assert_non_null(strstr(st, want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_push_resolve_rerun),
        cmocka_unit_test(test_nowait),
        cmocka_unit_test(test_lock_timeout),
        cmocka_unit_test(test_txnwait_parks_until_expiry),
        cmocka_unit_test(test_tscache_moves_write),
        cmocka_unit_test(test_tscache_refresh_moves_write),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
