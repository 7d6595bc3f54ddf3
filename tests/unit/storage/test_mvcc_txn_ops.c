/*
 * test_mvcc_txn_ops.c — proves the transaction record ops, RESOLVE, REFRESH and GC of MVCC
 * evaluation (mvcc_txn.c, mvcc_resolve.c, mvcc_gc.c) against the real LMDB plugin: every record
 * transition (create, heartbeat, push by priority, expiry, force, timestamp and touch, commit,
 * retry on a pushed record, abort, idempotent commit, late heartbeat or commit after an abort
 * push against a missing record); END_TXN resolving the spans inside its range in the same
 * write set as the record and returning the rest; RESOLVE commit, abort and pending over a key
 * and a span, leaving other transactions' intents; REFRESH success and failure; GC keeping the
 * right versions, resuming, and the threshold error.
 *
 * How: as test_mvcc_txn.c — batches evaluated against fresh snapshots, write sets committed
 * straight to the engine; `now` (the storage clock) is set per batch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mvcc_internal.h"
#include "phantomzero/keys.h"
#include "storage_test.h"

#define S_SEC 1000000000ull

/* A batch of one record op at storage time now_s seconds. */
static pz_kv_req_t *s_op(st_batch_t *sb, uint8_t op, const st_txn_t *x, uint64_t now_s)
{
    st_batch_init(sb, st_ts(0, 0));
    sb->now = st_ts(now_s * S_SEC, 0);
    if (x != NULL) {
        st_batch_txn(sb, x);
    }
    pz_kv_req_t *q = st_add(sb, op, pz_view_str("anchor"));
    q->has_ext = op != PZ_KV_HEARTBEAT_TXN;
    return q;
}

static pz_kv_req_t *s_push(st_batch_t *sb, const st_txn_t *pusher, const st_txn_t *pushee,
                           uint8_t type, uint64_t now_s)
{
    pz_kv_req_t *q = s_op(sb, PZ_KV_PUSH_TXN, NULL, now_s);
    q->ext.push_type = type;
    q->ext.has_pushee = true;
    q->ext.pushee = pushee->t;
    q->ext.has_pusher = pusher != NULL;
    if (pusher != NULL) {
        q->ext.pusher = pusher->t;
    }
    return q;
}

static const pz_kv_txn_record_t *s_rec(const st_result_t *r)
{
    assert_int_equal(r->rc, 0);
    assert_true(r->res.resp.resps[0].ext.has_record);
    return &r->res.resp.resps[0].ext.record;
}

static void s_heartbeat(st_env_t *env, const st_txn_t *x, uint64_t now_s, int rc, uint8_t status)
{
    st_batch_t sb;
    st_result_t r;
    s_op(&sb, PZ_KV_HEARTBEAT_TXN, x, now_s);
    st_run_expect(env, &sb, rc, &r);
    const pz_kv_txn_record_t *rec = rc == 0 ? s_rec(&r) : &r.res.resp.error.record;
    assert_true(rc == 0 || r.res.resp.error.has_record);
    assert_int_equal(rec->status, status);
    st_result_free(&r);
}

static void test_heartbeat_and_pushes(void **state)
{
    st_env_t *env = *state;
    st_txn_t a, hi;
    st_txn_init(&a, 0xA1, 1 * S_SEC, 1 * S_SEC);
    st_txn_init(&hi, 0xC3, 2 * S_SEC, 2 * S_SEC);
    hi.t.priority = PZ_TXN_PRIORITY_NORMAL + 1;
    st_batch_t sb;
    st_result_t r;
    s_op(&sb, PZ_KV_HEARTBEAT_TXN, &a, 2);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->status, PZ_TXN_PENDING);
    assert_int_equal(s_rec(&r)->last_heartbeat.wall, 2 * S_SEC);
    assert_int_equal(r.res.ops_len, 1);
    st_result_free(&r);
    s_heartbeat(env, &a, 4, 0, PZ_TXN_PENDING);
    /* Equal priority: an abort push, a timestamp push and a touch all fail, with the record. */
    const uint8_t types[] = {PZ_PUSH_ABORT, PZ_PUSH_TIMESTAMP, PZ_PUSH_TOUCH};
    st_txn_t peer;
    st_txn_init(&peer, 0xD4, 3 * S_SEC, 3 * S_SEC);
    for (size_t i = 0; i < sizeof types; i++) {
        s_push(&sb, &peer, &a, types[i], 5)->ext.push_to = st_ts(3 * S_SEC, 0);
        st_run_expect(env, &sb, PZ_EPUSH_FAILED, &r);
        assert_true(r.res.resp.error.has_record);
        assert_int_equal(r.res.resp.error.record.status, PZ_TXN_PENDING);
        st_result_free(&r);
    }
    /* A timestamp push by a higher priority moves write_ts above push_to. */
    s_push(&sb, &hi, &a, PZ_PUSH_TIMESTAMP, 5)->ext.push_to = st_ts(7 * S_SEC, 0);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->status, PZ_TXN_PENDING);
    assert_int_equal(s_rec(&r)->txn.write_ts.wall, 7 * S_SEC);
    assert_int_equal(s_rec(&r)->txn.write_ts.logical, 1);
    st_result_free(&r);
    /* Committing below the pushed timestamp: retry, with where to refresh to. */
    s_op(&sb, PZ_KV_END_TXN, &a, 6)->ext.commit = true;
    st_run_expect(env, &sb, PZ_ETXN_RETRY, &r);
    assert_int_equal(r.res.resp.error.existing_ts.wall, 7 * S_SEC);
    st_result_free(&r);
    /* An abort push by a higher priority aborts; the late heartbeat and commit find it. */
    s_push(&sb, &hi, &a, PZ_PUSH_ABORT, 6);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->status, PZ_TXN_ABORTED);
    assert_int_equal(s_rec(&r)->abort_reason, PZ_ABORT_PUSHED);
    st_result_free(&r);
    s_heartbeat(env, &a, 7, PZ_ETXN_ABORTED, PZ_TXN_ABORTED);
    a.t.write_ts = st_ts(8 * S_SEC, 0);
    s_op(&sb, PZ_KV_END_TXN, &a, 8)->ext.commit = true;
    st_run_expect(env, &sb, PZ_ETXN_ABORTED, &r);
    assert_int_equal(r.res.resp.error.record.abort_reason, PZ_ABORT_PUSHED);
    st_result_free(&r);
    /* Pushing a finished transaction succeeds without writing. */
    s_push(&sb, &peer, &a, PZ_PUSH_ABORT, 9);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(r.res.ops_len, 0);
    st_result_free(&r);
}

static void test_expiry_force_touch_and_missing_records(void **state)
{
    st_env_t *env = *state;
    st_txn_t a, b, c, peer;
    st_txn_init(&a, 0xA1, 1 * S_SEC, 1 * S_SEC);
    st_txn_init(&b, 0xB2, 1 * S_SEC, 1 * S_SEC);
    st_txn_init(&c, 0xC3, 1 * S_SEC, 1 * S_SEC);
    st_txn_init(&peer, 0xD4, 1 * S_SEC, 1 * S_SEC);
    st_batch_t sb;
    st_result_t r;
    s_heartbeat(env, &a, 2, 0, PZ_TXN_PENDING);
    /* A touch fails while the heartbeat is fresh, and aborts once it expired. */
    s_push(&sb, &peer, &a, PZ_PUSH_TOUCH, 2 + PZ_TXN_EXPIRY_MS / 1000);
    st_run_expect(env, &sb, PZ_EPUSH_FAILED, &r);
    st_result_free(&r);
    s_push(&sb, &peer, &a, PZ_PUSH_TOUCH, 3 + PZ_TXN_EXPIRY_MS / 1000);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->abort_reason, PZ_ABORT_EXPIRED);
    st_result_free(&r);
    /* No record yet: PENDING since min_ts. A force push writes an ABORTED record that the
     * transaction's late heartbeat finds. */
    s_push(&sb, &peer, &b, PZ_PUSH_ABORT, 2);
    st_run_expect(env, &sb, PZ_EPUSH_FAILED, &r);
    assert_int_equal(r.res.resp.error.record.status, PZ_TXN_PENDING);
    st_result_free(&r);
    s_push(&sb, &peer, &b, PZ_PUSH_ABORT, 2)->ext.force = true;
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->abort_reason, PZ_ABORT_DEADLOCK);
    assert_int_equal(r.res.ops_len, 1);
    st_result_free(&r);
    s_heartbeat(env, &b, 3, PZ_ETXN_ABORTED, PZ_TXN_ABORTED);
    /* A record-less transaction that began long ago is expired for any pusher. */
    s_push(&sb, NULL, &c, PZ_PUSH_TIMESTAMP, 100)->ext.push_to = st_ts(50 * S_SEC, 0);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->status, PZ_TXN_ABORTED);
    st_result_free(&r);
    /* A READ COMMITTED pushee gives way to a timestamp push whatever the priorities. */
    st_txn_t rc_txn;
    st_txn_init(&rc_txn, 0xE5, 1 * S_SEC, 1 * S_SEC);
    rc_txn.t.isolation = PZ_ISO_READ_COMMITTED;
    rc_txn.t.priority = PZ_TXN_PRIORITY_HIGH;
    s_push(&sb, &peer, &rc_txn, PZ_PUSH_TIMESTAMP, 2)->ext.push_to = st_ts(3 * S_SEC, 0);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->status, PZ_TXN_PENDING);
    assert_int_equal(s_rec(&r)->txn.write_ts.wall, 3 * S_SEC);
    st_result_free(&r);
    /* QUERY_TXN answers the record (or a PENDING one made from the pushee). */
    pz_kv_req_t *q = s_op(&sb, PZ_KV_QUERY_TXN, NULL, 4);
    q->ext.has_pushee = true;
    q->ext.pushee = rc_txn.t;
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->txn.write_ts.wall, 3 * S_SEC);
    st_result_free(&r);
}

static void test_commit_abort_idempotence(void **state)
{
    st_env_t *env = *state;
    st_txn_t a, b;
    st_txn_init(&a, 0xA1, 1 * S_SEC, 2 * S_SEC);
    st_txn_init(&b, 0xB2, 1 * S_SEC, 1 * S_SEC);
    st_batch_t sb;
    st_result_t r;
    s_heartbeat(env, &a, 1, 0, PZ_TXN_PENDING);
    for (int i = 0; i < 2; i++) { /* the second commit finds it committed: the same answer */
        s_op(&sb, PZ_KV_END_TXN, &a, 2)->ext.commit = true;
        st_run_expect(env, &sb, 0, &r);
        assert_int_equal(s_rec(&r)->status, PZ_TXN_COMMITTED);
        assert_int_equal(s_rec(&r)->txn.write_ts.wall, 2 * S_SEC);
        assert_int_equal(r.res.ops_len, i == 0 ? 1 : 0);
        st_result_free(&r);
    }
    s_op(&sb, PZ_KV_END_TXN, &a, 3);
    st_run_expect(env, &sb, PZ_EINVAL, &r); /* no rollback of a committed transaction */
    assert_int_equal(r.res.resp.error.record.status, PZ_TXN_COMMITTED);
    st_result_free(&r);
    s_op(&sb, PZ_KV_END_TXN, &b, 3); /* a rollback without a record */
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(s_rec(&r)->status, PZ_TXN_ABORTED);
    assert_int_equal(s_rec(&r)->abort_reason, PZ_ABORT_CLIENT);
    st_result_free(&r);
}

/* Stores the descriptor of range 7 = [b, m) where END_TXN looks for it. */
static void s_range_desc(st_env_t *env)
{
    pz_range_desc_t d = {
        .range_id = 7, .start_key = pz_view_str("b"), .end_key = pz_view_str("m"), .generation = 1};
    uint8_t *packed = NULL;
    size_t len = 0;
    assert_int_equal(pz_range_desc_pack(&d, &packed, &len), 0);
    uint8_t k[32];
    size_t klen = pz_key_replica_desc(k, sizeof k, 7);
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(1, 0));
    st_add(&sb, PZ_KV_PUT, st_v(k, klen))->value = st_v(packed, len);
    st_run_expect(env, &sb, 0, &r);
    st_result_free(&r);
    free(packed);
}

/* k's value for a non-transactional read at wall; "<intent>" when an intent blocks it. */
static const char *s_read(st_env_t *env, uint64_t wall, const char *k)
{
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(wall, 0));
    st_get(&sb, k);
    st_run(env, &sb, &r);
    const char *out = r.rc == PZ_EWRITE_INTENT ? "<intent>" : NULL;
    if (r.rc == 0 && r.res.resp.resps[0].found) {
        out = st_str(r.res.resp.resps[0].value);
    }
    assert_true(r.rc == 0 || r.rc == PZ_EWRITE_INTENT);
    st_result_free(&r);
    return out;
}

static void test_end_txn_resolves_local_spans_in_one_batch(void **state)
{
    st_env_t *env = *state;
    s_range_desc(env);
    st_txn_t a;
    st_txn_init(&a, 0xA1, 10, 10);
    a.t.seq = 1;
    st_txn_put(env, &a, "c", "vc");
    st_txn_put(env, &a, "d", "vd");
    st_txn_put(env, &a, "x", "vx"); /* outside the range */
    a.t.seq = 2;
    st_txn_put(env, &a, "d", NULL); /* then rolled back: d keeps vd */
    st_txn_ignore(&a, 2, 2);
    a.t.write_ts = st_ts(12, 0);
    st_batch_t sb;
    st_result_t r;
    pz_kv_req_t *q = s_op(&sb, PZ_KV_END_TXN, &a, 1);
    sb.b.header.range_id = 7;
    pz_kv_span_t spans[] = {{.key = pz_view_str("c")},
                            {.key = pz_view_str("a"), .end_key = pz_view_str("e")},
                            {.key = pz_view_str("x")}};
    q->ext.commit = true;
    q->ext.spans = spans;
    q->ext.spans_len = 3;
    st_run_expect(env, &sb, 0, &r);
    const pz_kv_txn_record_t *rec = s_rec(&r);
    assert_int_equal(rec->status, PZ_TXN_COMMITTED);
    /* Left to the coordinator: [a, b) (outside) and x. */
    assert_int_equal(rec->lock_spans_len, 2);
    assert_string_equal(st_str(rec->lock_spans[0].key), "a");
    assert_string_equal(st_str(rec->lock_spans[0].end_key), "b");
    assert_string_equal(st_str(rec->lock_spans[1].key), "x");
    /* One write set: the record, two versions and two meta deletions (crash-safe together). */
    size_t records = 0, puts = 0, dels = 0;
    for (size_t i = 0; i < r.res.ops_len; i++) {
        const pz_engine_op_t *op = &r.res.ops[i];
        bool local = op->key_len > 2 && op->key[0] == 0 && op->key[1] == 0;
        records += local;
        puts += !local && op->kind == PZ_ENGINE_PUT;
        dels += op->kind == PZ_ENGINE_DEL;
    }
    assert_int_equal(records, 1);
    assert_int_equal(puts, 2);
    assert_int_equal(dels, 2);
    st_result_free(&r);
    assert_null(s_read(env, 11, "c"));
    assert_string_equal(s_read(env, 12, "c"), "vc");
    assert_string_equal(s_read(env, 12, "d"), "vd");
    assert_string_equal(s_read(env, 100, "x"), "<intent>");
}

static void test_resolve_point_and_span(void **state)
{
    st_env_t *env = *state;
    st_txn_t a, b;
    st_txn_init(&a, 0xA1, 10, 10);
    st_txn_init(&b, 0xB2, 10, 10);
    st_txn_put(env, &a, "a1", "1");
    st_txn_put(env, &a, "a2", "2");
    st_txn_put(env, &a, "a3", NULL);
    st_txn_put(env, &b, "a4", "b");
    /* PENDING moves the intent up; the value stays an intent. */
    a.t.write_ts = st_ts(20, 0);
    st_resolve(env, &a, PZ_TXN_PENDING, "a1", "", 1);
    assert_null(s_read(env, 15, "a1"));
    assert_string_equal(s_read(env, 25, "a1"), "<intent>");
    /* COMMITTED over a span: versions at write_ts; b's intent is left alone. */
    st_resolve(env, &a, PZ_TXN_COMMITTED, "a", "b", 3);
    assert_string_equal(s_read(env, 20, "a1"), "1");
    assert_string_equal(s_read(env, 20, "a2"), "2");
    assert_null(s_read(env, 20, "a3"));
    assert_null(s_read(env, 19, "a2"));
    assert_string_equal(s_read(env, 20, "a4"), "<intent>");
    /* ABORTED at a point: the intent goes, nothing is written. */
    st_resolve(env, &b, PZ_TXN_ABORTED, "a4", "", 1);
    assert_null(s_read(env, 100, "a4"));
    /* A committed older epoch's intent is discarded, not committed. */
    st_txn_t c;
    st_txn_init(&c, 0xC3, 30, 30);
    st_txn_put(env, &c, "a5", "old-epoch");
    c.t.epoch = 1;
    st_resolve(env, &c, PZ_TXN_COMMITTED, "a5", "", 1);
    assert_null(s_read(env, 100, "a5"));
}

static void s_refresh(st_env_t *env, const st_txn_t *x, const char *k, const char *end,
                      uint64_t from, int rc)
{
    st_batch_t sb;
    st_result_t r;
    pz_kv_req_t *q = s_op(&sb, PZ_KV_REFRESH, x, 1);
    q->key = pz_view_str(k);
    q->end_key = pz_view_str(end);
    q->ext.from_ts = st_ts(from, 0);
    st_run_expect(env, &sb, rc, &r);
    st_result_free(&r);
}

static void test_refresh(void **state)
{
    st_env_t *env = *state;
    st_put_at(env, 5, "k", "v5");
    st_put_at(env, 40, "k", "v40");
    st_txn_t a, b;
    st_txn_init(&a, 0xA1, 10, 30);
    st_txn_init(&b, 0xB2, 10, 25);
    s_refresh(env, &a, "k", "", 10, 0); /* nothing in (10, 30] */
    s_refresh(env, &a, "a", "z", 10, 0);
    st_put_at(env, 20, "j", "v20");
    s_refresh(env, &a, "a", "z", 10, PZ_ETXN_RETRY);
    s_refresh(env, &a, "j", "", 20, 0); /* from_ts excludes 20 itself */
    st_txn_put(env, &b, "m", "intent");
    s_refresh(env, &a, "l", "n", 10, PZ_ETXN_RETRY); /* b's intent at 25 <= 30 */
    s_refresh(env, &b, "l", "n", 10, 0);             /* its own intent does not count */
    a.t.write_ts = st_ts(24, 0);
    s_refresh(env, &a, "l", "n", 10, 0); /* the intent is above 24 */
}

static void s_gc(st_env_t *env, uint64_t gc_wall, uint32_t limit, uint64_t n, bool resume)
{
    st_batch_t sb;
    st_result_t r;
    pz_kv_req_t *q = s_op(&sb, PZ_KV_GC, NULL, 1);
    q->key = pz_view_str("a");
    q->end_key = pz_view_str("z");
    q->limit = limit;
    q->ext.gc_ts = st_ts(gc_wall, 0);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].num_deleted, n);
    assert_int_equal(r.res.resp.resps[0].has_resume, resume);
    st_result_free(&r);
}

static void test_gc(void **state)
{
    st_env_t *env = *state;
    char buf[64];
    for (uint64_t t = 10; t <= 40; t += 10) {
        st_put_at(env, t, "k", t == 30 ? "v30" : "v");
    }
    st_put_at(env, 10, "t", "x");
    st_del_at(env, 20, "t");
    st_txn_t a;
    st_txn_init(&a, 0xA1, 50, 50);
    st_txn_put(env, &a, "u", "intent");
    /* At 35: k keeps 30 (and 40 above), loses 10 and 20; t's tombstone at 20 goes with 10. The
     * limit stops the first request after one deletion, with a resume key. */
    s_gc(env, 35, 1, 1, true);
    s_gc(env, 35, 0, 3, false);
    assert_true(st_get_at(env, 35, "k", buf, sizeof buf));
    assert_string_equal(buf, "v30");
    assert_true(st_get_at(env, 45, "k", buf, sizeof buf));
    assert_false(st_get_at(env, 100, "t", buf, sizeof buf));
    assert_string_equal(s_read(env, 100, "u"), "<intent>"); /* intents are never touched */
    /* Reads below the threshold fail; at it they work. */
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(34, 0));
    st_get(&sb, "k");
    st_run_expect(env, &sb, PZ_EGC_THRESHOLD, &r);
    assert_int_equal(r.res.resp.error.existing_ts.wall, 35);
    assert_true(r.res.gc_known); /* read from the store: the actor caches it */
    st_result_free(&r);
    st_txn_t b;
    st_txn_init(&b, 0xB2, 30, 30);
    s_refresh(env, &b, "a", "z", 30, PZ_EGC_THRESHOLD);
    /* A lower GC does not lower the threshold. */
    s_gc(env, 20, 0, 0, false);
    st_batch_init(&sb, st_ts(34, 0));
    st_get(&sb, "k");
    st_run_expect(env, &sb, PZ_EGC_THRESHOLD, &r);
    st_result_free(&r);
}

/* A GC over a span of many live keys and no garbage stops after 20,000 keys with a resume key
 * (a bug: it walked the whole span in one storage message), and the resumed request collects
 * what lies after it. */
static void test_gc_walk_is_bounded(void **state)
{
    st_env_t *env = *state;
    enum { N = 20001 };
    char keys[50][16]; /* the batch keeps views of them */
    for (int i = 0; i < N; i += 50) {
        st_batch_t sb;
        st_result_t r;
        st_batch_init(&sb, st_ts(10, 0));
        for (int j = i; j < i + 50 && j < N; j++) {
            snprintf(keys[j - i], sizeof keys[0], "a%05d", j);
            st_put(&sb, keys[j - i], "v");
        }
        st_run_expect(env, &sb, 0, &r);
        st_result_free(&r);
    }
    st_put_at(env, 20, "a20000", "v2"); /* the one garbage version, past the first piece */
    st_batch_t sb;
    st_result_t r;
    pz_kv_req_t *q = s_op(&sb, PZ_KV_GC, NULL, 1);
    q->key = pz_view_str("a");
    q->end_key = pz_view_str("z");
    q->ext.gc_ts = st_ts(35, 0);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].num_deleted, 0);
    assert_true(r.res.resp.resps[0].has_resume);
    assert_string_equal(st_str(r.res.resp.resps[0].resume_key), "a20000");
    st_result_free(&r);
    q = s_op(&sb, PZ_KV_GC, NULL, 1);
    q->key = pz_view_str("a20000");
    q->end_key = pz_view_str("z");
    q->ext.gc_ts = st_ts(35, 0);
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].num_deleted, 1);
    assert_false(r.res.resp.resps[0].has_resume);
    st_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_heartbeat_and_pushes, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_force_touch_and_missing_records, st_setup,
                                        st_teardown),
        cmocka_unit_test_setup_teardown(test_commit_abort_idempotence, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_end_txn_resolves_local_spans_in_one_batch, st_setup,
                                        st_teardown),
        cmocka_unit_test_setup_teardown(test_resolve_point_and_span, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_refresh, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_gc, st_setup, st_teardown),
        cmocka_unit_test_setup_teardown(test_gc_walk_is_bounded, st_setup, st_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
