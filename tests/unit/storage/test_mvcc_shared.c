/*
 * test_mvcc_shared.c — proves shared locks (req.lock PZ_LOCK_SHARED, SELECT FOR SHARE) and the
 * savepoint release of locks in MVCC evaluation (mvcc_intent.c, mvcc.c, mvcc_scan.c,
 * mvcc_resolve.c) against the real LMDB plugin:
 *   - two transactions hold a key shared at once; plain reads (transactional or not) and
 *     refresh pass them; writers, exclusive locking reads, DEL_RANGE and non-transactional
 *     writes meet them as PZ_EWRITE_INTENT naming a holder;
 *   - RESOLVE of one holder (COMMITTED) leaves the other, whom the writer meets next; RESOLVE of
 *     the last (ABORTED) deletes the record and the writer goes through;
 *   - a sole holder that writes upgrades (history + its shared entry); with another holder it
 *     meets that one; a foreign shared reader meets the upgraded intent;
 *   - RESOLVE PENDING with ignored seqs (ROLLBACK TO SAVEPOINT) drops the history entries and
 *     shared entries taken at those seqs, deleting the record when nothing is left, keeping
 *     what was taken before the savepoint;
 *   - a record in the format before shared locks (txn + history) decodes with no holders;
 *   - past PZ_MVCC_SHARED_MAX holders a shared lock fails with PZ_ELIMIT.
 *
 * How: batches are evaluated against fresh snapshots and their write sets committed straight to
 * the engine (storage_test.c); records are read back with pz__mvcc_intent_load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mvcc_internal.h"
#include "storage_test.h"

/* The record of k, decoded into a; false when there is none. */
static bool s_record(st_env_t *env, const char *k, pz_arena_t *a, pz_mvcc_intent_t *in)
{
    uint8_t buf[256];
    size_t n = pz__mvcc_key_prefix(buf, sizeof buf, pz_view_str(k));
    pz_eng_snap_t snap = {0};
    assert_int_equal(pz_engine_snap_open(&env->eng, &snap), 0);
    bool found = false;
    assert_int_equal(pz__mvcc_intent_load(&snap, st_v(buf, n), a, in, &found), 0);
    pz_engine_snap_close(&snap);
    return found;
}

/* A locking GET of k by x with strength; asserts rc; with PZ_EWRITE_INTENT, that the intent
 * named is held by `holder` (NULL: not checked). Returns the ops written. */
static size_t s_lock(st_env_t *env, const st_txn_t *x, const char *k, uint8_t strength, int rc,
                     const st_txn_t *holder)
{
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(0, 0));
    st_get(&sb, k)->lock = strength;
    st_batch_txn(&sb, x);
    st_run_expect(env, &sb, rc, &r);
    if (rc == PZ_EWRITE_INTENT && holder != NULL) {
        assert_true(r.res.resp.error.has_intent);
        assert_true(pz_view_eq(r.res.resp.error.intent.txn.id, holder->t.id));
        assert_string_equal(st_str(r.res.resp.error.intent.key), k);
    }
    size_t ops = r.res.ops_len;
    st_result_free(&r);
    return ops;
}

/* A PUT of k by x (NULL: non-transactional at wall 100); asserts as s_lock. */
static void s_write(st_env_t *env, const st_txn_t *x, const char *k, int rc, const st_txn_t *holder)
{
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(100, 0));
    st_put(&sb, k, "w");
    if (x != NULL) {
        st_batch_txn(&sb, x);
    }
    st_run_expect(env, &sb, rc, &r);
    if (rc == PZ_EWRITE_INTENT) {
        assert_true(r.res.resp.error.has_intent);
        assert_true(pz_view_eq(r.res.resp.error.intent.txn.id, holder->t.id));
    }
    st_result_free(&r);
}

/* GET k by x (NULL: non-transactional at wall 100): the value, or NULL when absent. */
static const char *s_get(st_env_t *env, const st_txn_t *x, const char *k)
{
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(100, 0));
    st_get(&sb, k);
    if (x != NULL) {
        st_batch_txn(&sb, x);
    }
    st_run_expect(env, &sb, 0, &r);
    const pz_kv_resp_t *g = &r.res.resp.resps[0];
    const char *out = g->found ? st_str(g->value) : NULL;
    st_result_free(&r);
    return out;
}

static void s_expect_span_conflict(st_env_t *env, const st_txn_t *x, uint8_t op, uint8_t lock,
                                   const st_txn_t *holder)
{
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(0, 0));
    st_span(&sb, op, "a", "z", 0)->lock = lock;
    st_batch_txn(&sb, x);
    st_run_expect(env, &sb, PZ_EWRITE_INTENT, &r);
    assert_true(pz_view_eq(r.res.resp.error.intent.txn.id, holder->t.id));
    st_result_free(&r);
}

static void test_two_holders_and_who_waits(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "k", "v");
    st_txn_t a, b, c;
    st_txn_init(&a, 0xA1, 10, 10);
    st_txn_init(&b, 0xB2, 10, 10);
    st_txn_init(&c, 0xC3, 10, 10);
    a.t.seq = 1, b.t.seq = 4;
    assert_int_equal(s_lock(env, &a, "k", PZ_LOCK_SHARED, 0, NULL), 1);
    assert_int_equal(s_lock(env, &b, "k", PZ_LOCK_SHARED, 0, NULL), 1);
    /* Again: held already, nothing to write. */
    assert_int_equal(s_lock(env, &a, "k", PZ_LOCK_SHARED, 0, NULL), 0);
    pz_arena_t *ar = pz_arena_new();
    pz_mvcc_intent_t in;
    assert_true(s_record(env, "k", ar, &in));
    assert_int_equal(in.hist_len, 0);
    assert_int_equal(in.txn.id.len, 0);
    assert_int_equal(in.shared_len, 2);
    assert_true(pz_view_eq(in.shared[0].txn.id, a.t.id));
    assert_int_equal(in.shared[0].seq, 1);
    assert_true(pz_view_eq(in.shared[1].txn.id, b.t.id));
    assert_int_equal(in.shared[1].seq, 4);
    /* Plain reads pass the locks: a holder's own, another transaction's, a non-txn read. */
    assert_string_equal(s_get(env, &a, "k"), "v");
    assert_string_equal(s_get(env, &c, "k"), "v");
    assert_string_equal(s_get(env, NULL, "k"), "v");
    /* Writers and exclusive locking reads wait on the first foreign holder. */
    s_write(env, &c, "k", PZ_EWRITE_INTENT, &a);
    s_write(env, NULL, "k", PZ_EWRITE_INTENT, &a);
    s_lock(env, &c, "k", PZ_LOCK_EXCLUSIVE, PZ_EWRITE_INTENT, &a);
    s_expect_span_conflict(env, &c, PZ_KV_SCAN, PZ_LOCK_EXCLUSIVE, &a);
    s_expect_span_conflict(env, &c, PZ_KV_RSCAN, PZ_LOCK_EXCLUSIVE, &a);
    s_expect_span_conflict(env, &c, PZ_KV_DEL_RANGE, PZ_LOCK_NONE, &a);
    /* A holder that writes meets the other holder. */
    s_write(env, &a, "k", PZ_EWRITE_INTENT, &b);
    s_write(env, &b, "k", PZ_EWRITE_INTENT, &a);
    /* A third shared reader joins, through a scan. */
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(0, 0));
    st_span(&sb, PZ_KV_SCAN, "a", "z", 0)->lock = PZ_LOCK_SHARED;
    st_batch_txn(&sb, &c);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].kvs_len, 1);
    assert_int_equal(r.res.ops_len, 1);
    st_result_free(&r);
    /* A commits: B and C are left, and a writer now meets B. */
    st_resolve(env, &a, PZ_TXN_COMMITTED, "a", "z", 1);
    assert_true(s_record(env, "k", ar, &in));
    assert_int_equal(in.shared_len, 2);
    assert_true(pz_view_eq(in.shared[0].txn.id, b.t.id));
    s_write(env, NULL, "k", PZ_EWRITE_INTENT, &b);
    /* Resolving A again finds nothing of it. */
    st_resolve(env, &a, PZ_TXN_ABORTED, "k", "", 0);
    st_resolve(env, &b, PZ_TXN_ABORTED, "k", "", 1);
    s_write(env, NULL, "k", PZ_EWRITE_INTENT, &c);
    st_resolve(env, &c, PZ_TXN_COMMITTED, "k", "", 1);
    assert_false(s_record(env, "k", ar, &in));
    s_write(env, NULL, "k", 0, NULL);
    assert_string_equal(s_get(env, NULL, "k"), "w");
    pz_arena_destroy(&ar);
}

static void test_upgrade_and_savepoint_release(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "k", "v");
    st_txn_t a, b;
    st_txn_init(&a, 0xA1, 10, 10);
    st_txn_init(&b, 0xB2, 10, 10);
    a.t.seq = 1;
    s_lock(env, &a, "k", PZ_LOCK_SHARED, 0, NULL);
    /* The sole holder writes: it upgrades, keeping its shared entry beside the history. */
    a.t.seq = 3;
    st_txn_put(env, &a, "k", "mine");
    pz_arena_t *ar = pz_arena_new();
    pz_mvcc_intent_t in;
    assert_true(s_record(env, "k", ar, &in));
    assert_int_equal(in.hist_len, 1);
    assert_true(pz_view_eq(in.txn.id, a.t.id));
    assert_int_equal(in.shared_len, 1);
    assert_int_equal(in.shared[0].seq, 1);
    assert_string_equal(s_get(env, &a, "k"), "mine");
    /* Now an intent: a foreign shared reader meets it. */
    s_lock(env, &b, "k", PZ_LOCK_SHARED, PZ_EWRITE_INTENT, &a);
    /* ROLLBACK TO a savepoint after seq 1: the write goes, the shared lock stays. */
    st_txn_ignore(&a, 2, 3);
    st_resolve(env, &a, PZ_TXN_PENDING, "a", "z", 1);
    assert_true(s_record(env, "k", ar, &in));
    assert_int_equal(in.hist_len, 0);
    assert_int_equal(in.txn.id.len, 0);
    assert_int_equal(in.shared_len, 1);
    assert_string_equal(s_get(env, &a, "k"), "v");
    assert_int_equal(s_lock(env, &b, "k", PZ_LOCK_SHARED, 0, NULL), 1);
    /* A rollback past seq 1 releases A's shared lock too; B keeps its own. */
    a.t.ignored_len = 0;
    st_txn_ignore(&a, 1, 3);
    st_resolve(env, &a, PZ_TXN_PENDING, "k", "", 1);
    assert_true(s_record(env, "k", ar, &in));
    assert_int_equal(in.shared_len, 1);
    assert_true(pz_view_eq(in.shared[0].txn.id, b.t.id));
    /* Nothing of A is left: the same resolve changes nothing. */
    st_resolve(env, &a, PZ_TXN_PENDING, "k", "", 0);
    pz_arena_destroy(&ar);
}

static void test_savepoint_release_of_intents(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "k", "v");
    st_txn_t a;
    st_txn_init(&a, 0xA1, 10, 10);
    a.t.seq = 1;
    st_txn_put(env, &a, "k", "one");
    a.t.seq = 2;
    st_txn_put(env, &a, "k", "two");
    a.t.seq = 3;
    st_txn_put(env, &a, "j", "three");
    s_lock(env, &a, "m", PZ_LOCK_EXCLUSIVE, 0, NULL); /* absent: no lock */
    st_put_at(env, 5, "m", "mv");
    s_lock(env, &a, "m", PZ_LOCK_EXCLUSIVE, 0, NULL);
    /* Rolled back to a savepoint taken after seq 1: k keeps seq 1, j and m go. Without ignored
     * seqs a PENDING resolve at the same write_ts changes nothing. */
    st_resolve(env, &a, PZ_TXN_PENDING, "a", "z", 0);
    st_txn_ignore(&a, 2, 3);
    st_resolve(env, &a, PZ_TXN_PENDING, "a", "z", 3);
    pz_arena_t *ar = pz_arena_new();
    pz_mvcc_intent_t in;
    assert_true(s_record(env, "k", ar, &in));
    assert_int_equal(in.hist_len, 1);
    assert_int_equal(in.hist[0].seq, 1);
    assert_false(s_record(env, "j", ar, &in));
    assert_false(s_record(env, "m", ar, &in));
    st_txn_t b;
    st_txn_init(&b, 0xB2, 10, 10);
    s_write(env, &b, "m", 0, NULL);
    s_write(env, &b, "k", PZ_EWRITE_INTENT, &a);
    /* The commit makes seq 1 the version. */
    st_resolve(env, &a, PZ_TXN_COMMITTED, "k", "", 1);
    assert_string_equal(s_get(env, NULL, "k"), "one");
    pz_arena_destroy(&ar);
}

/* A record as written before shared locks: [txn, hist] only. */
static void test_old_record_format(void **state)
{
    st_env_t *env = *state;
    st_txn_t a;
    st_txn_init(&a, 0xA1, 10, 10);
    pz_mvcc_hist_t h = {.seq = 1, .tag = PZ_MVCC_TAG_VALUE, .value = pz_view_str("old")};
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    pz_kv_txn_t meta = pz__mvcc_txn_meta(&a.t, st_ts(10, 0));
    assert_int_equal(pz_kv_txn_encode(&pk, &meta), 0);
    msgpack_pack_array(&pk, 1);
    assert_int_equal(pz_mvcc_hist_encode(&pk, &h), 0);
    uint8_t key[64];
    size_t klen = pz__mvcc_key_prefix(key, sizeof key, pz_view_str("k"));
    pz_engine_op_t op = {.kind = PZ_ENGINE_PUT,
                         .key = key,
                         .key_len = klen,
                         .value = (const uint8_t *)sbuf.data,
                         .value_len = sbuf.size};
    pz_engine_batch_t eb = {.ops = &op, .ops_len = 1};
    assert_int_equal(pz_engine_commit(&env->eng, &eb, false), 0);
    msgpack_sbuffer_destroy(&sbuf);
    pz_arena_t *ar = pz_arena_new();
    pz_mvcc_intent_t in;
    assert_true(s_record(env, "k", ar, &in));
    assert_int_equal(in.hist_len, 1);
    assert_int_equal(in.shared_len, 0);
    st_txn_t b;
    st_txn_init(&b, 0xB2, 20, 20);
    s_lock(env, &b, "k", PZ_LOCK_SHARED, PZ_EWRITE_INTENT, &a);
    st_resolve(env, &a, PZ_TXN_COMMITTED, "k", "", 1);
    assert_string_equal(s_get(env, NULL, "k"), "old");
    pz_arena_destroy(&ar);
}

static void test_shared_holders_bound(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "k", "v");
    st_txn_t x;
    for (uint32_t i = 0; i < PZ_MVCC_SHARED_MAX; i++) {
        st_txn_init(&x, 0x10, 10, 10);
        x.id[0] = (uint8_t)i, x.id[1] = (uint8_t)(i >> 8);
        s_lock(env, &x, "k", PZ_LOCK_SHARED, 0, NULL);
    }
    st_txn_init(&x, 0xEE, 10, 10);
    s_lock(env, &x, "k", PZ_LOCK_SHARED, PZ_ELIMIT, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_holders_and_who_waits, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_and_savepoint_release, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_savepoint_release_of_intents, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_old_record_format, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_shared_holders_bound, st_setup, st_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
