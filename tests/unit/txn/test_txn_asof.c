/*
 * test_txn_asof.c — proves the coordinator keeps an AS OF SYSTEM TIME transaction at its
 * timestamp: BEGIN with as_of pins read_ts and write_ts there (no uncertainty window), and
 * neither STEP (READ COMMITTED's fresh snapshot) nor RESTART (a new epoch after a retryable
 * error, CockroachDB's client-side retry) moves it — RESTART used to move it to now, so a retried
 * historical block read the present. A transaction without as_of does move on RESTART (the
 * contrast that shows the test can fail). Writes in it are refused with PZ_EREAD_ONLY.
 * How: the real txn module (pz_txn.so) alone in an in-process kernel; control requests from a
 * blocking client (they are answered by the coordinator without touching the layers below, apart
 * from the write, which fails before it is sent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "phantomzero/kv.h"

static zconfig_t *s_cfg;

static int s_setup(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "node\n    threads = 1\n    seed = 1\n    module_dir = \"%s\"\n"
             "modules\n    txn\n        next = \"nowhere\"\n",
             PZ_TEST_MODULE_DIR);
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

/* One control request; *t gets the transaction after it. Returns the answer's error code. */
static int s_ctl(pz_txn_ctl_t *q, pz_kv_txn_t *t, uint8_t *id)
{
    pz_client_t *c = pz_client_new(NULL);
    assert_non_null(c);
    if (q->op != PZ_TXC_BEGIN) {
        q->id = (pz_view_t){id, PZ_TXN_ID_BYTES};
    }
    pz_out_t *out = NULL;
    pz_msg_t *reply = NULL;
    assert_int_equal(pz_txn_ctl_to_out(q, PZ_MSG_TXN_CTL, &out), 0);
    assert_int_equal(pz_client_call(c, "txn", &out, 5000, &reply), 0);
    pz_txn_ctl_resp_t r;
    assert_int_equal(pz_txn_ctl_resp_from_msg(reply, PZ_MSG_TXN_CTL_RESP, &r), 0);
    *t = r.txn;
    t->ignored_len = 0;
    if (q->op == PZ_TXC_BEGIN) {
        assert_int_equal(r.txn.id.len, PZ_TXN_ID_BYTES);
        memcpy(id, r.txn.id.ptr, PZ_TXN_ID_BYTES);
    }
    int code = r.error.code;
    pz_msg_free(&reply);
    pz_client_destroy(&c);
    return code;
}

static void s_check_pinned(uint8_t isolation)
{
    uint8_t id[PZ_TXN_ID_BYTES];
    pz_kv_txn_t t;
    pz_hlc_t then = pz_hlc_now();
    then.wall -= 60ull * 1000000000ull;
    then.logical = 3;
    pz_txn_ctl_t q = {.op = PZ_TXC_BEGIN, .isolation = isolation, .as_of = then};
    assert_int_equal(s_ctl(&q, &t, id), 0);
    assert_int_equal(pz_hlc_cmp(t.read_ts, then), 0);
    assert_int_equal(pz_hlc_cmp(t.write_ts, then), 0);
    assert_int_equal(pz_hlc_cmp(t.uncertainty_limit, then), 0);
    uint8_t ops[] = {PZ_TXC_STEP, PZ_TXC_RESTART, PZ_TXC_STEP};
    for (size_t i = 0; i < sizeof ops; i++) {
        q = (pz_txn_ctl_t){.op = ops[i]};
        assert_int_equal(s_ctl(&q, &t, id), 0);
        assert_int_equal(pz_hlc_cmp(t.read_ts, then), 0);
        assert_int_equal(pz_hlc_cmp(t.write_ts, then), 0);
        assert_int_equal(pz_hlc_cmp(t.uncertainty_limit, then), 0);
    }
    assert_int_equal(t.epoch, 1);
    q = (pz_txn_ctl_t){.op = PZ_TXC_ROLLBACK};
    assert_int_equal(s_ctl(&q, &t, id), 0);
}

static void test_as_of_pinned(void **state)
{
    (void)state;
    s_check_pinned(PZ_ISO_SERIALIZABLE);
    s_check_pinned(PZ_ISO_READ_COMMITTED);
}

static void test_restart_moves_without_as_of(void **state)
{
    (void)state;
    uint8_t id[PZ_TXN_ID_BYTES];
    pz_kv_txn_t t;
    pz_txn_ctl_t q = {.op = PZ_TXC_BEGIN};
    assert_int_equal(s_ctl(&q, &t, id), 0);
    pz_hlc_t began = t.read_ts;
    q = (pz_txn_ctl_t){.op = PZ_TXC_RESTART};
    assert_int_equal(s_ctl(&q, &t, id), 0);
    assert_true(pz_hlc_cmp(t.read_ts, began) > 0);
    q = (pz_txn_ctl_t){.op = PZ_TXC_ROLLBACK};
    assert_int_equal(s_ctl(&q, &t, id), 0);
}

static void test_as_of_refuses_writes(void **state)
{
    (void)state;
    uint8_t id[PZ_TXN_ID_BYTES];
    pz_kv_txn_t t;
    pz_hlc_t then = pz_hlc_now();
    then.wall -= 1000000000ull;
    pz_txn_ctl_t q = {.op = PZ_TXC_BEGIN, .as_of = then};
    assert_int_equal(s_ctl(&q, &t, id), 0);
    pz_kv_req_t w = {.op = PZ_KV_PUT, .key = pz_view_str("\x88k"), .value = pz_view_str("v")};
    pz_kv_batch_t b = {.reqs = &w, .reqs_len = 1};
    b.header.has_txn = true;
    b.header.txn.id = (pz_view_t){id, PZ_TXN_ID_BYTES};
    pz_client_t *c = pz_client_new(NULL);
    pz_out_t *out = NULL;
    pz_msg_t *reply = NULL;
    assert_int_equal(pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out), 0);
    assert_int_equal(pz_client_call(c, "txn", &out, 5000, &reply), 0);
    int rc = pz_msg_error(reply, NULL);
    pz_kv_batch_resp_t r;
    if (rc == 0) {
        assert_int_equal(pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r), 0);
        rc = r.error.code;
    }
    assert_int_equal(rc, PZ_EREAD_ONLY);
    pz_msg_free(&reply);
    pz_client_destroy(&c);
    q = (pz_txn_ctl_t){.op = PZ_TXC_ROLLBACK};
    assert_int_equal(s_ctl(&q, &t, id), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_of_pinned),
        cmocka_unit_test(test_restart_moves_without_as_of),
        cmocka_unit_test(test_as_of_refuses_writes),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
