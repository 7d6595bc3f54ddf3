/*
 * test_mvcc_txn.c — proves what transactional reads and writes do in MVCC evaluation
 * (mvcc_intent.c, mvcc.c, mvcc_read.c, mvcc_scan.c) against the real LMDB plugin: a write in a
 * transaction leaves an intent and no version; the transaction reads its own intent (newest
 * sequence not rolled back, nothing of an older epoch); other readers meet it as
 * PZ_EWRITE_INTENT at or below their uncertainty limit and not above; versions in the
 * uncertainty window are PZ_EUNCERTAIN; writers meet any foreign intent; locking reads add
 * lock-only intents that block writers and locking readers but not plain reads, and refuse a
 * key with a version newer than their snapshot (PZ_EWRITE_TOO_OLD); write-too-old
 * raises write_ts and the response's txn says so; CPUT and DEL_RANGE work through own intents.
 *
 * How: batches are evaluated against fresh snapshots and their write sets committed straight to
 * the engine (storage_test.c); what an intent holds is read back with pz__mvcc_intent_load.
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

/* One request in a transaction; asserts the code. */
static void s_txn_run(st_env_t *env, const st_txn_t *x, st_batch_t *sb, int rc, st_result_t *r)
{
    st_batch_txn(sb, x);
    st_run_expect(env, sb, rc, r);
}

/* GET k in x: NULL when absent, else the value (static rotating buffer). */
static const char *s_txn_get(st_env_t *env, const st_txn_t *x, const char *k)
{
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(0, 0));
    st_get(&sb, k);
    s_txn_run(env, x, &sb, 0, &r);
    const pz_kv_resp_t *g = &r.res.resp.resps[0];
    const char *out = g->found ? st_str(g->value) : NULL;
    st_result_free(&r);
    return out;
}

/* The intent of k, decoded into a (NULL when none). */
static bool s_intent(st_env_t *env, const char *k, pz_arena_t *a, pz_mvcc_intent_t *in)
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

static void test_own_intent_seqs_and_epochs(void **state)
{
    st_env_t *env = *state;
    char buf[64];
    st_put_at(env, 5, "k", "old");
    st_txn_t a;
    st_txn_init(&a, 0xA1, 10, 10);
    a.t.seq = 1;
    st_txn_put(env, &a, "k", "v1");
    /* No version was written: a non-transactional read below the intent sees the old value. */
    assert_true(st_get_at(env, 9, "k", buf, sizeof buf));
    assert_string_equal(buf, "old");
    assert_string_equal(s_txn_get(env, &a, "k"), "v1");
    a.t.seq = 2;
    st_txn_put(env, &a, "k", "v2");
    assert_string_equal(s_txn_get(env, &a, "k"), "v2");
    pz_arena_t *ar = pz_arena_new();
    pz_mvcc_intent_t in;
    assert_true(s_intent(env, "k", ar, &in));
    assert_int_equal(in.hist_len, 2);
    assert_int_equal(in.hist[0].seq, 1);
    assert_int_equal(in.hist[1].seq, 2);
    assert_int_equal(in.txn.write_ts.wall, 10);
    /* A rewrite of seq 2 replaces its entry. */
    st_txn_put(env, &a, "k", "v2b");
    assert_true(s_intent(env, "k", ar, &in));
    assert_int_equal(in.hist_len, 2);
    assert_string_equal(st_str(in.hist[1].value), "v2b");
    /* Savepoint rollbacks: seq 2 ignored shows seq 1; both ignored show the committed value. */
    st_txn_ignore(&a, 2, 2);
    assert_string_equal(s_txn_get(env, &a, "k"), "v1");
    a.t.ignored_len = 0;
    st_txn_ignore(&a, 1, 2);
    assert_string_equal(s_txn_get(env, &a, "k"), "old");
    /* A restart (epoch 1) does not see epoch 0's writes, and its write resets the history. */
    a.t.ignored_len = 0;
    a.t.epoch = 1;
    assert_string_equal(s_txn_get(env, &a, "k"), "old");
    a.t.seq = 1;
    st_txn_put(env, &a, "k", "e1");
    assert_true(s_intent(env, "k", ar, &in));
    assert_int_equal(in.hist_len, 1);
    assert_int_equal(in.txn.epoch, 1);
    assert_string_equal(s_txn_get(env, &a, "k"), "e1");
    pz_arena_destroy(&ar);
}

static void test_foreign_intent_and_reads(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "k", "old");
    st_txn_t a, b;
    st_txn_init(&a, 0xA1, 10, 10);
    st_txn_put(env, &a, "k", "va");
    /* A non-transactional read at or above the intent meets it; below it does not. */
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(100, 0));
    st_get(&sb, "k");
    st_run_expect(env, &sb, PZ_EWRITE_INTENT, &r);
    assert_int_equal(r.res.resp.error.index, 0);
    assert_true(r.res.resp.error.has_intent);
    assert_string_equal(st_str(r.res.resp.error.intent.key), "k");
    assert_true(pz_view_eq(r.res.resp.error.intent.txn.id, a.t.id));
    assert_int_equal(r.res.resp.error.intent.txn.write_ts.wall, 10);
    st_result_free(&r);
    char buf[64];
    assert_true(st_get_at(env, 9, "k", buf, sizeof buf));
    /* Another transaction: below its read timestamp or inside its uncertainty window the
     * intent conflicts; above the window it is invisible. */
    st_txn_init(&b, 0xB2, 20, 20);
    st_batch_init(&sb, st_ts(0, 0));
    st_get(&sb, "k");
    s_txn_run(env, &b, &sb, PZ_EWRITE_INTENT, &r);
    assert_true(r.res.resp.has_txn); /* set on failures too */
    st_result_free(&r);
    st_txn_init(&b, 0xB2, 8, 8);
    b.t.uncertainty_limit = st_ts(9, 0);
    assert_string_equal(s_txn_get(env, &b, "k"), "old");
    b.t.uncertainty_limit = st_ts(12, 0);
    s_txn_run(env, &b, &sb, PZ_EWRITE_INTENT, &r);
    st_result_free(&r);
    /* Scans look at each key's meta record, both directions. */
    st_put_at(env, 5, "j", "jj");
    for (int rev = 0; rev < 2; rev++) {
        st_batch_init(&sb, st_ts(50, 0));
        st_span(&sb, rev ? PZ_KV_RSCAN : PZ_KV_SCAN, "a", "z", 0);
        st_run_expect(env, &sb, PZ_EWRITE_INTENT, &r);
        assert_string_equal(st_str(r.res.resp.error.intent.key), "k");
        st_result_free(&r);
        st_batch_init(&sb, st_ts(9, 0));
        st_span(&sb, rev ? PZ_KV_RSCAN : PZ_KV_SCAN, "a", "z", 0);
        st_run_expect(env, &sb, 0, &r);
        assert_int_equal(r.res.resp.resps[0].kvs_len, 2);
        st_result_free(&r);
    }
    /* The owner's scan sees its own value. */
    st_batch_init(&sb, st_ts(0, 0));
    st_span(&sb, PZ_KV_SCAN, "a", "z", 0);
    s_txn_run(env, &a, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].kvs_len, 2);
    assert_string_equal(st_str(r.res.resp.resps[0].kvs[1].value), "va");
    assert_int_equal(r.res.resp.ts.wall, 10); /* a transaction's reads answer at read_ts */
    st_result_free(&r);
}

static void test_uncertainty_window(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "k", "v5");
    st_put_at(env, 20, "k", "v20");
    st_txn_t b;
    st_txn_init(&b, 0xB2, 15, 15);
    b.t.uncertainty_limit = st_ts(19, 0);
    assert_string_equal(s_txn_get(env, &b, "k"), "v5");
    b.t.uncertainty_limit = st_ts(25, 0);
    const uint8_t ops[] = {PZ_KV_GET, PZ_KV_SCAN, PZ_KV_RSCAN};
    for (size_t i = 0; i < sizeof ops; i++) {
        st_batch_t sb;
        st_result_t r;
        st_batch_init(&sb, st_ts(0, 0));
        if (ops[i] == PZ_KV_GET) {
            st_get(&sb, "k");
        } else {
            st_span(&sb, ops[i], "a", "z", 0);
        }
        s_txn_run(env, &b, &sb, PZ_EUNCERTAIN, &r);
        assert_int_equal(r.res.resp.error.existing_ts.wall, 20);
        st_result_free(&r);
    }
}

static void test_writers_meet_any_foreign_intent(void **state)
{
    st_env_t *env = *state;
    st_txn_t a, b;
    st_txn_init(&a, 0xA1, 10, 10);
    st_txn_init(&b, 0xB2, 5, 5);
    st_txn_put(env, &a, "k", "va");
    st_batch_t sb;
    st_result_t r;
    /* Even below the intent's timestamp, a write conflicts (index names the request). */
    st_batch_init(&sb, st_ts(0, 0));
    st_put(&sb, "other", "x");
    st_put(&sb, "k", "vb");
    s_txn_run(env, &b, &sb, PZ_EWRITE_INTENT, &r);
    assert_int_equal(r.res.resp.error.index, 1);
    assert_int_equal(r.res.ops_len, 0);
    st_result_free(&r);
    st_batch_init(&sb, st_ts(3, 0));
    st_del(&sb, "k");
    st_run_expect(env, &sb, PZ_EWRITE_INTENT, &r);
    st_result_free(&r);
    st_batch_init(&sb, st_ts(3, 0));
    st_span(&sb, PZ_KV_DEL_RANGE, "a", "z", 0);
    st_run_expect(env, &sb, PZ_EWRITE_INTENT, &r);
    st_result_free(&r);
}

static void test_locking_reads(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "a", "1");
    st_put_at(env, 5, "b", "2");
    st_txn_t a, b;
    st_txn_init(&a, 0xA1, 10, 10);
    st_txn_init(&b, 0xB2, 20, 20);
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(0, 0));
    st_span(&sb, PZ_KV_SCAN, "a", "z", 0)->lock = PZ_LOCK_EXCLUSIVE;
    s_txn_run(env, &a, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].kvs_len, 2);
    assert_int_equal(r.res.ops_len, 2); /* two lock-only intents */
    st_result_free(&r);
    /* Again: the keys are the transaction's already, nothing more to write. */
    st_batch_init(&sb, st_ts(0, 0));
    st_get(&sb, "a")->lock = PZ_LOCK_EXCLUSIVE;
    s_txn_run(env, &a, &sb, 0, &r);
    assert_int_equal(r.res.ops_len, 0);
    st_result_free(&r);
    /* Plain reads pass a lock, writers and locking readers do not. */
    char buf[64];
    assert_true(st_get_at(env, 100, "a", buf, sizeof buf));
    assert_string_equal(s_txn_get(env, &b, "b"), "2");
    st_batch_init(&sb, st_ts(0, 0));
    st_get(&sb, "a")->lock = PZ_LOCK_EXCLUSIVE;
    s_txn_run(env, &b, &sb, PZ_EWRITE_INTENT, &r);
    st_result_free(&r);
    st_batch_init(&sb, st_ts(0, 0));
    st_put(&sb, "b", "x");
    s_txn_run(env, &b, &sb, PZ_EWRITE_INTENT, &r);
    st_result_free(&r);
    /* The owner writes over its lock: the history keeps the lock, the read sees the value. */
    a.t.seq = 3;
    st_txn_put(env, &a, "a", "mine");
    assert_string_equal(s_txn_get(env, &a, "a"), "mine");
    pz_arena_t *ar = pz_arena_new();
    pz_mvcc_intent_t in;
    assert_true(s_intent(env, "a", ar, &in));
    assert_int_equal(in.hist_len, 2);
    assert_int_equal(in.hist[0].tag, PZ_MVCC_TAG_LOCK);
    assert_int_equal(in.hist[1].tag, PZ_MVCC_TAG_VALUE);
    pz_arena_destroy(&ar);
    /* A lock without a transaction is refused. */
    st_batch_init(&sb, st_ts(50, 0));
    st_get(&sb, "a")->lock = PZ_LOCK_EXCLUSIVE;
    st_run_expect(env, &sb, PZ_EINVAL, &r);
    st_result_free(&r);
}

/* A locking request of ops[i] over "k" (GET) or [a, z) (SCAN, RSCAN), alone or after a PUT of
 * "other" (the batch must fail whole). */
static void s_locking_batch(st_batch_t *sb, uint8_t op, bool with_put)
{
    st_batch_init(sb, st_ts(0, 0));
    if (with_put) {
        st_put(sb, "other", "x");
    }
    if (op == PZ_KV_GET) {
        st_get(sb, "k")->lock = PZ_LOCK_EXCLUSIVE;
    } else {
        st_span(sb, op, "a", "z", 0)->lock = PZ_LOCK_EXCLUSIVE;
    }
}

/* A locking read never returns a value older than the newest committed one (it would lock a
 * row already overwritten and the UPDATE above it would lose that write): a version above
 * read_ts — in the uncertainty window or above it, live or a tombstone — fails the whole batch
 * with PZ_EWRITE_TOO_OLD and the newest such timestamp, writing nothing; plain reads are as
 * before; at a read_ts above every version it reads and locks; the reader's own keys pass. */
static void test_locking_reads_refuse_newer_versions(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "k", "v5");
    st_put_at(env, 20, "k", "v20");
    st_put_at(env, 5, "m", "m5");
    st_del_at(env, 30, "m");
    st_txn_t b;
    st_txn_init(&b, 0xB2, 15, 15);
    const uint8_t ops[] = {PZ_KV_GET, PZ_KV_SCAN, PZ_KV_RSCAN};
    for (size_t i = 0; i < sizeof ops; i++) {
        for (int unc = 0; unc < 2; unc++) {
            /* unc: k's version at 20 is inside the window, no uncertainty error either way. */
            b.t.uncertainty_limit = st_ts(unc ? 25 : 15, 0);
            st_batch_t sb;
            st_result_t r;
            s_locking_batch(&sb, ops[i], i == 0 && unc == 1);
            s_txn_run(env, &b, &sb, PZ_EWRITE_TOO_OLD, &r);
            /* A GET sees k's newest (20); a scan every key it passed: m's tombstone at 30. */
            assert_int_equal(r.res.resp.error.existing_ts.wall, ops[i] == PZ_KV_GET ? 20 : 30);
            assert_int_equal(r.res.resp.error.index, i == 0 && unc == 1 ? 1 : 0);
            assert_int_equal(r.res.ops_len, 0);
            assert_int_equal(r.res.resp.resps_len, 0);
            st_result_free(&r);
        }
    }
    /* Nothing was written: another locking transaction is not blocked, and plain reads still
     * read at their snapshot (the old value, or the uncertainty error in the window). */
    b.t.uncertainty_limit = st_ts(15, 0);
    assert_string_equal(s_txn_get(env, &b, "k"), "v5");
    pz_arena_t *ar = pz_arena_new();
    pz_mvcc_intent_t in;
    assert_false(s_intent(env, "k", ar, &in));
    assert_false(s_intent(env, "other", ar, &in));
    pz_arena_destroy(&ar);
    /* Above every version: the newest value, locked. */
    st_txn_t c;
    st_txn_init(&c, 0xC3, 30, 30);
    st_batch_t sb;
    st_result_t r;
    s_locking_batch(&sb, PZ_KV_SCAN, false);
    s_txn_run(env, &c, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].kvs_len, 1);
    assert_string_equal(st_str(r.res.resp.resps[0].kvs[0].value), "v20");
    assert_int_equal(r.res.ops_len, 1);
    st_result_free(&r);
    /* The reader's own key: its intent was pushed above a newer version (write-too-old), and a
     * locking read at the old read_ts reads its own value. */
    st_put_at(env, 40, "own", "theirs");
    st_txn_t a;
    st_txn_init(&a, 0xA1, 10, 10);
    st_txn_put(env, &a, "own", "mine");
    st_batch_init(&sb, st_ts(0, 0));
    st_get(&sb, "own")->lock = PZ_LOCK_EXCLUSIVE;
    st_span(&sb, PZ_KV_SCAN, "own", "own\xff", 0)->lock = PZ_LOCK_EXCLUSIVE;
    s_txn_run(env, &a, &sb, 0, &r);
    assert_string_equal(st_str(r.res.resp.resps[0].value), "mine");
    assert_string_equal(st_str(r.res.resp.resps[1].kvs[0].value), "mine");
    st_result_free(&r);
}

static void test_write_too_old_raises_write_ts(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 50, "k", "new");
    st_txn_t a;
    st_txn_init(&a, 0xA1, 10, 10);
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(0, 0));
    st_put(&sb, "k", "v");
    s_txn_run(env, &a, &sb, 0, &r);
    assert_true(r.res.resp.has_txn);
    assert_int_equal(r.res.resp.txn.write_ts.wall, 50);
    assert_int_equal(r.res.resp.txn.write_ts.logical, 1);
    assert_int_equal(r.res.resp.txn.read_ts.wall, 10);
    assert_int_equal(r.res.resp.ts.wall, 10);
    st_result_free(&r);
    pz_arena_t *ar = pz_arena_new();
    pz_mvcc_intent_t in;
    assert_true(s_intent(env, "k", ar, &in));
    assert_int_equal(in.txn.write_ts.wall, 50);
    assert_int_equal(in.txn.write_ts.logical, 1);
    pz_arena_destroy(&ar);
    /* Without a newer version, write_ts stays where it was. */
    st_batch_init(&sb, st_ts(0, 0));
    st_put(&sb, "fresh", "v");
    s_txn_run(env, &a, &sb, 0, &r);
    assert_int_equal(r.res.resp.txn.write_ts.wall, 10);
    st_result_free(&r);
}

static void test_cput_and_del_range_through_own_intents(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "y", "committed");
    st_txn_t a;
    st_txn_init(&a, 0xA1, 10, 10);
    a.t.seq = 1;
    st_txn_put(env, &a, "x", "mine");
    st_batch_t sb;
    st_result_t r;
    a.t.seq = 2;
    st_batch_init(&sb, st_ts(0, 0));
    st_cput(&sb, "x", "mine2", "mine");
    s_txn_run(env, &a, &sb, 0, &r);
    st_result_free(&r);
    st_batch_init(&sb, st_ts(0, 0));
    st_cput(&sb, "x", "never", "mine");
    s_txn_run(env, &a, &sb, PZ_ECONDFAILED, &r);
    assert_string_equal(st_str(r.res.resp.error.actual_value), "mine2");
    st_result_free(&r);
    a.t.seq = 3;
    st_batch_init(&sb, st_ts(0, 0));
    st_span(&sb, PZ_KV_DEL_RANGE, "a", "z", 0);
    s_txn_run(env, &a, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].num_deleted, 2);
    assert_int_equal(r.res.ops_len, 2); /* tombstone intents, no versions */
    st_result_free(&r);
    assert_null(s_txn_get(env, &a, "x"));
    assert_null(s_txn_get(env, &a, "y"));
    char buf[64];
    assert_true(st_get_at(env, 9, "y", buf, sizeof buf)); /* below the intent: committed */
    st_txn_ignore(&a, 3, 3);
    assert_string_equal(s_txn_get(env, &a, "y"), "committed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_own_intent_seqs_and_epochs, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_intent_and_reads, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_uncertainty_window, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_writers_meet_any_foreign_intent, st_setup,
                                        st_teardown),
        cmocka_unit_test_setup_teardown(test_locking_reads, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_locking_reads_refuse_newer_versions, st_setup,
                                        st_teardown),
        cmocka_unit_test_setup_teardown(test_write_too_old_raises_write_ts, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_cput_and_del_range_through_own_intents, st_setup,
                                        st_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
