/*
 * test_mvcc_model.c — proves, by a seeded property test, that MVCC evaluation over the real
 * LMDB plugin behaves exactly like a simple in-memory model of versioned keys:
 *   - GET, SCAN and RSCAN at random read timestamps return what the model says is visible,
 *     including limits, max_keys and resume keys;
 *   - paginating a scan by following its resume keys returns the whole span exactly once;
 *   - PUT, DEL, CPUT and DEL_RANGE land where the model predicts, at the timestamp the
 *     write-too-old rule predicts, with the right num_deleted, and a failed CPUT writes nothing;
 *   - reads inside a batch see the batch's own earlier writes.
 *
 * How: a pool of keys chosen to stress the key encoding (embedded 0x00 and 0xFF bytes, keys
 * that are prefixes of each other) receives random batches of random requests at random
 * timestamps, often below existing versions. The model evaluates each batch by itself (a copy
 * of its state is the batch's overlay) and every response field is compared. Seeds are fixed
 * so a failure replays; PZ_TEST_SEED overrides the first one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mvcc_internal.h"
#include "storage_test.h"

#define M_VERS_MAX 1024 /* versions per key in the model */
#define M_VAL_MAX 8
#define M_ITERS 300
#define M_REQS_MAX 6

typedef struct m_ver {
    pz_hlc_t ts;
    bool live;
    uint8_t len;
    uint8_t val[M_VAL_MAX];
} m_ver_t;

typedef struct m_key {
    int n;
    m_ver_t v[M_VERS_MAX]; /* newest first */
} m_key_t;

/* The key pool, sorted bytewise at start (scans walk it in order). */
static pz_view_t s_pool[32];
static size_t s_pool_n;
/* Extra span bounds that are not keys. */
static pz_view_t s_bounds[64];
static size_t s_bounds_n;

typedef struct m_state {
    m_key_t keys[32];
} m_state_t;

static uint64_t s_rng;

/* What a run exercised, printed per seed so a weakened generator shows. */
static struct {
    unsigned batches, failed, bumped, resumed, kvs, deleted;
} s_stats;

static uint64_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static int s_view_cmp_q(const void *a, const void *b)
{
    return pz_view_cmp(*(const pz_view_t *)a, *(const pz_view_t *)b);
}

static void s_pool_init(void)
{
    static const struct { const char *p; size_t n; } keys[] = {
        {"\x00", 1}, {"\x00\x00", 2}, {"\x00\xff", 2}, {"\x01", 1}, {"a", 1}, {"a\x00", 2},
        {"a\x00\x00", 3}, {"a\x00\x01", 3}, {"a\x00\xff", 3}, {"a\x01", 2}, {"a\xff", 2},
        {"ab", 2}, {"abc", 3}, {"b", 1}, {"b\x00", 2}, {"ba", 2}, {"\xff", 1}, {"\xff\x00", 2},
        {"\xff\xff", 2}, {"c", 1}, {"cc", 2}, {"c\x00" "c", 3},
    };
    static const struct { const char *p; size_t n; } extra[] = {
        {"a\x00\x00\x00", 4}, {"aa", 2}, {"bb", 2}, {"\x00\x00\x00", 3}, {"\xff\xff\xff", 3},
        {"z", 1}, {"a\x00\x02", 3}, {"\x00\x01", 2},
    };
    s_pool_n = sizeof keys / sizeof keys[0];
    for (size_t i = 0; i < s_pool_n; i++) {
        s_pool[i] = st_v(keys[i].p, keys[i].n);
    }
    qsort(s_pool, s_pool_n, sizeof s_pool[0], s_view_cmp_q);
    s_bounds_n = 0;
    for (size_t i = 0; i < s_pool_n; i++) {
        s_bounds[s_bounds_n++] = s_pool[i];
    }
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        s_bounds[s_bounds_n++] = st_v(extra[i].p, extra[i].n);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* The model                                                                                 */

static int s_key_index(pz_view_t k)
{
    for (size_t i = 0; i < s_pool_n; i++) {
        if (pz_view_eq(s_pool[i], k)) {
            return (int)i;
        }
    }
    fail_msg("key not in pool");
    return -1;
}

static const m_ver_t *m_visible(const m_state_t *m, int k, pz_hlc_t ts)
{
    const m_key_t *mk = &m->keys[k];
    for (int i = 0; i < mk->n; i++) {
        if (pz_hlc_cmp(mk->v[i].ts, ts) <= 0) {
            return &mk->v[i];
        }
    }
    return NULL;
}

static bool m_live(const m_state_t *m, int k, pz_hlc_t ts)
{
    const m_ver_t *v = m_visible(m, k, ts);
    return v != NULL && v->live;
}

static pz_hlc_t m_newest(const m_state_t *m, int k)
{
    return m->keys[k].n ? m->keys[k].v[0].ts : (pz_hlc_t){0, 0};
}

static void m_write(m_state_t *m, int k, pz_hlc_t ts, bool live, pz_view_t val)
{
    m_key_t *mk = &m->keys[k];
    int at = 0;
    while (at < mk->n && pz_hlc_cmp(mk->v[at].ts, ts) > 0) {
        at++;
    }
    if (at == mk->n || pz_hlc_cmp(mk->v[at].ts, ts) != 0) {
        assert_true(mk->n < M_VERS_MAX);
        memmove(&mk->v[at + 1], &mk->v[at], sizeof mk->v[0] * (size_t)(mk->n - at));
        mk->n++;
    }
    m_ver_t *v = &mk->v[at];
    v->ts = ts;
    v->live = live;
    v->len = (uint8_t)val.len;
    if (val.len) {
        memcpy(v->val, val.ptr, val.len);
    }
}

static bool s_in_span(pz_view_t k, pz_view_t start, pz_view_t end)
{
    return pz_view_cmp(k, start) >= 0 && pz_view_cmp(k, end) < 0;
}

/* The write-too-old rule, evaluated on the model: the timestamp the batch must land at. */
static pz_hlc_t m_batch_ts(const m_state_t *m, const pz_kv_batch_t *b)
{
    pz_hlc_t t = b->header.ts, wto = {0, 0};
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        if (pz_kv_op_is_write(q->op) && !pz_kv_op_is_span(q->op)) {
            pz__mvcc_note_wto(&wto, t, m_newest(m, s_key_index(q->key)));
        }
    }
    t = pz_hlc_is_zero(wto) ? t : pz_hlc_next(wto);
    for (int pass = 0; pass < PZ_MVCC_EVAL_PASSES_MAX; pass++) {
        wto = (pz_hlc_t){0, 0};
        for (uint32_t i = 0; i < b->reqs_len; i++) {
            const pz_kv_req_t *q = &b->reqs[i];
            for (size_t k = 0; q->op == PZ_KV_DEL_RANGE && k < s_pool_n; k++) {
                if (s_in_span(s_pool[k], q->key, q->end_key)) {
                    pz__mvcc_note_wto(&wto, t, m_newest(m, (int)k));
                }
            }
        }
        if (pz_hlc_is_zero(wto)) {
            return t;
        }
        t = pz_hlc_next(wto);
    }
    fail_msg("model: write-too-old did not settle");
    return t;
}

/* Keys this request may return, as mvcc_scan.c bounds them. */
static uint64_t m_limit(const pz_kv_batch_t *b, const pz_kv_req_t *q, uint64_t keys_left)
{
    uint64_t lim = q->limit ? q->limit : b->header.max_keys;
    if (lim == 0 || lim > PZ_SCAN_KEYS_MAX) {
        lim = PZ_SCAN_KEYS_MAX;
    }
    return lim < keys_left ? lim : keys_left;
}

/* Live keys of the span at ts in the scan's direction, as pool indexes. */
static size_t m_span_live(const m_state_t *m, pz_view_t start, pz_view_t end, pz_hlc_t ts,
                          bool reverse, int *out)
{
    size_t n = 0;
    for (size_t j = 0; j < s_pool_n; j++) {
        size_t k = reverse ? s_pool_n - 1 - j : j;
        if (s_in_span(s_pool[k], start, end) && m_live(m, (int)k, ts)) {
            out[n++] = (int)k;
        }
    }
    return n;
}

static void s_check_value(const m_ver_t *v, pz_view_t got)
{
    assert_int_equal(got.len, v->len);
    if (v->len) {
        assert_memory_equal(got.ptr, v->val, v->len);
    }
}

/* Checks a scan's response (r NULL: only accounts its keys). */
static void m_check_scan(const m_state_t *m, const pz_kv_batch_t *b, const pz_kv_req_t *q,
                         pz_hlc_t t, uint64_t *keys_left, const pz_kv_resp_t *r)
{
    bool reverse = q->op == PZ_KV_RSCAN;
    int live[32];
    size_t n = m_span_live(m, q->key, q->end_key, t, reverse, live);
    uint64_t lim = m_limit(b, q, *keys_left);
    size_t want = n < lim ? n : (size_t)lim;
    *keys_left -= want;
    if (r == NULL) {
        return;
    }
    assert_int_equal(r->kvs_len, want);
    for (size_t i = 0; i < want; i++) {
        assert_true(pz_view_eq(r->kvs[i].key, s_pool[live[i]]));
        const m_ver_t *v = m_visible(m, live[i], t);
        s_check_value(v, r->kvs[i].value);
        assert_int_equal(pz_hlc_cmp(r->kvs[i].ts, v->ts), 0);
    }
    bool more = lim == 0 || n > lim;
    assert_int_equal(r->has_resume, more);
    if (more && lim == 0) {
        assert_true(pz_view_eq(r->resume_key, reverse ? q->end_key : q->key));
    } else if (more && reverse) {
        assert_true(pz_view_eq(r->resume_key, s_pool[live[want - 1]]));
    } else if (more) {
        assert_true(pz_view_eq(r->resume_key, s_pool[live[want]]));
    }
}

/* Checks a DEL_RANGE response and applies it to the model (limits are unused for it here). */
static void m_del_range(m_state_t *m, const pz_kv_req_t *q, pz_hlc_t t, uint64_t *keys_left,
                        const pz_kv_resp_t *r)
{
    int live[32];
    size_t n = m_span_live(m, q->key, q->end_key, t, false, live);
    if (r != NULL) {
        assert_int_equal(r->num_deleted, n);
        assert_false(r->has_resume);
    }
    for (size_t i = 0; i < n; i++) {
        m_write(m, live[i], t, false, (pz_view_t){NULL, 0});
    }
    *keys_left -= n;
}

/* Checks one request's response at t (resp NULL: a dry run that checks nothing) and applies
 * its write to the model. Returns false when the model says the batch fails here (a CPUT),
 * after checking the error. */
static bool m_request(m_state_t *m, const pz_kv_batch_t *b, uint32_t i, pz_hlc_t t,
                      uint64_t *keys_left, const pz_kv_batch_resp_t *resp)
{
    const pz_kv_req_t *q = &b->reqs[i];
    int k = pz_kv_op_is_span(q->op) ? -1 : s_key_index(q->key);
    const m_ver_t *v = k >= 0 ? m_visible(m, k, t) : NULL;
    bool live = v != NULL && v->live;
    if (q->op == PZ_KV_CPUT) {
        bool ok = q->exp_exists ? live && pz_view_eq(st_v(v->val, v->len), q->exp_value) : !live;
        if (!ok && resp != NULL) {
            assert_int_equal(resp->error.code, PZ_ECONDFAILED);
            assert_int_equal(resp->error.index, (int32_t)i);
            assert_int_equal(resp->error.has_actual, live);
            if (live) {
                s_check_value(v, resp->error.actual_value);
            }
        }
        if (!ok) {
            return false;
        }
    }
    const pz_kv_resp_t *r = resp != NULL ? &resp->resps[i] : NULL;
    if (r != NULL) {
        assert_int_equal(resp->error.code, 0);
        assert_int_equal(r->op, q->op);
    }
    switch (q->op) {
    case PZ_KV_GET:
        if (r != NULL) {
            assert_int_equal(r->found, live);
        }
        if (r != NULL && live) {
            s_check_value(v, r->value);
            assert_int_equal(pz_hlc_cmp(r->ts, v->ts), 0);
        }
        break;
    case PZ_KV_PUT:
    case PZ_KV_CPUT:
        m_write(m, k, t, true, q->value);
        break;
    case PZ_KV_DEL:
        if (r != NULL) {
            assert_int_equal(r->num_deleted, live ? 1 : 0);
        }
        m_write(m, k, t, false, (pz_view_t){NULL, 0});
        break;
    case PZ_KV_DEL_RANGE:
        m_del_range(m, q, t, keys_left, r);
        break;
    default:
        m_check_scan(m, b, q, t, keys_left, r);
        break;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Random batches                                                                            */

typedef struct s_gen {
    st_batch_t sb;
    uint8_t vals[M_REQS_MAX][M_VAL_MAX];
} s_gen_t;

/* Batch timestamps mostly move forward with a clock; one in five is from the past, where
 * writes meet newer versions (write-too-old) and reads see history. */
static uint64_t s_clock;

static pz_hlc_t s_rand_ts(void)
{
    if (s_rand() % 5 != 0) {
        s_clock += 1 + s_rand() % 3;
        return st_ts(s_clock, (uint32_t)(s_rand() % 3));
    }
    return st_ts(1 + s_rand() % (s_clock + 1), (uint32_t)(s_rand() % 3));
}

static void s_rand_span(pz_kv_req_t *q)
{
    for (;;) {
        pz_view_t a = s_bounds[s_rand() % s_bounds_n], b = s_bounds[s_rand() % s_bounds_n];
        int c = pz_view_cmp(a, b);
        if (c != 0) {
            q->key = c < 0 ? a : b;
            q->end_key = c < 0 ? b : a;
            return;
        }
    }
}

static void s_rand_req(s_gen_t *g, const m_state_t *m, uint32_t i, bool *has_del_range)
{
    static const uint8_t ops[] = {PZ_KV_GET, PZ_KV_GET, PZ_KV_GET, PZ_KV_SCAN, PZ_KV_SCAN,
                                  PZ_KV_RSCAN, PZ_KV_RSCAN, PZ_KV_PUT, PZ_KV_PUT, PZ_KV_PUT,
                                  PZ_KV_PUT, PZ_KV_DEL, PZ_KV_CPUT, PZ_KV_DEL_RANGE};
    uint8_t op = ops[s_rand() % sizeof ops];
    int k = (int)(s_rand() % s_pool_n);
    pz_kv_req_t *q = st_add(&g->sb, op, s_pool[k]);
    uint8_t vlen = (uint8_t)(s_rand() % M_VAL_MAX);
    for (uint8_t j = 0; j < vlen; j++) {
        g->vals[i][j] = (uint8_t)(s_rand() % 3); /* few distinct values: CPUTs sometimes pass */
    }
    q->value = st_v(g->vals[i], vlen);
    if (op == PZ_KV_CPUT) {
        const m_ver_t *v = m_visible(m, k, g->sb.b.header.ts);
        q->exp_exists = s_rand() % 4 != 0;
        bool match = s_rand() % 4 != 0 && v != NULL && v->live;
        q->exp_value = match ? st_v(v->val, v->len) : st_v(g->vals[i], s_rand() % 2);
        /* The expected value must outlive the model's changes: copy it into the batch. */
        if (match) {
            memcpy(g->vals[i], v->val, v->len);
            q->exp_value = st_v(g->vals[i], v->len);
            q->value = st_v(g->vals[i], v->len);
        }
    }
    if (pz_kv_op_is_span(op)) {
        s_rand_span(q);
        q->limit = s_rand() % 3 ? 0 : (uint32_t)(1 + s_rand() % 4);
    }
    if (op == PZ_KV_DEL_RANGE) {
        q->limit = 0;
        *has_del_range = true;
    }
}

static void s_rand_batch(s_gen_t *g, const m_state_t *m)
{
    st_batch_init(&g->sb, s_rand_ts());
    uint32_t n = 1 + (uint32_t)(s_rand() % M_REQS_MAX);
    bool has_del_range = false;
    for (uint32_t i = 0; i < n; i++) {
        s_rand_req(g, m, i, &has_del_range);
    }
    /* max_keys also bounds DEL_RANGE; the model checks DEL_RANGE without limits. */
    if (!has_del_range && s_rand() % 4 == 0) {
        g->sb.b.header.max_keys = (uint32_t)(1 + s_rand() % 5);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Driver                                                                                    */

/* Evaluates the batch on a copy of the model in *scratch and returns whether it succeeds.
 * With resp, checks it: every request's response, or for a failing batch only the error. */
static bool m_eval(const m_state_t *m, m_state_t *scratch, const pz_kv_batch_t *b, pz_hlc_t t,
                   const pz_kv_batch_resp_t *resp, bool fails)
{
    memcpy(scratch, m, sizeof *m);
    uint64_t keys_left = b->header.max_keys ? b->header.max_keys : UINT64_MAX;
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        if (!m_request(scratch, b, i, t, &keys_left, fails ? NULL : resp)) {
            /* A failing CPUT changes nothing: run it again to check the error. */
            (void)m_request(scratch, b, i, t, &keys_left, resp);
            return false;
        }
    }
    return true;
}

static void s_step(st_env_t *env, m_state_t *m, m_state_t *scratch)
{
    s_gen_t g;
    s_rand_batch(&g, m);
    const pz_kv_batch_t *b = &g.sb.b;
    pz_hlc_t t = m_batch_ts(m, b);
    bool ok = m_eval(m, scratch, b, t, NULL, false);
    st_result_t r;
    st_run(env, &g.sb, &r);
    s_stats.batches++;
    s_stats.failed += !ok;
    s_stats.bumped += pz_hlc_cmp(t, b->header.ts) != 0;
    for (uint32_t i = 0; ok && i < r.res.resp.resps_len; i++) {
        s_stats.resumed += r.res.resp.resps[i].has_resume;
        s_stats.kvs += r.res.resp.resps[i].kvs_len;
        s_stats.deleted += (unsigned)r.res.resp.resps[i].num_deleted;
    }
    if (ok) {
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.commit_rc, 0);
        assert_int_equal(pz_hlc_cmp(r.res.resp.ts, t), 0);
        assert_int_equal(r.res.resp.resps_len, b->reqs_len);
        (void)m_eval(m, scratch, b, t, &r.res.resp, false);
        memcpy(m, scratch, sizeof *m);
    } else {
        assert_int_equal(r.rc, PZ_ECONDFAILED);
        assert_int_equal(r.res.ops_len, 0);
        (void)m_eval(m, scratch, b, t, &r.res.resp, true);
    }
    st_result_free(&r);
}

/* Follows resume keys with a small limit and checks the pages add up to the whole span. */
static void s_paginate(st_env_t *env, const m_state_t *m)
{
    pz_kv_req_t span;
    s_rand_span(&span);
    bool reverse = s_rand() % 2;
    pz_hlc_t ts = s_rand_ts();
    uint32_t limit = 1 + (uint32_t)(s_rand() % 3);
    int live[32];
    size_t n = m_span_live(m, span.key, span.end_key, ts, reverse, live);
    uint8_t resume[2][64];
    size_t got = 0;
    for (int page = 0; page <= 32; page++) {
        assert_true(page < 32); /* every page returns at least one key */
        st_batch_t sb;
        st_batch_init(&sb, ts);
        pz_kv_req_t *q = st_add(&sb, reverse ? PZ_KV_RSCAN : PZ_KV_SCAN, span.key);
        q->end_key = span.end_key;
        q->limit = limit;
        st_result_t r;
        st_run(env, &sb, &r);
        assert_int_equal(r.rc, 0);
        const pz_kv_resp_t *rs = &r.res.resp.resps[0];
        for (uint32_t i = 0; i < rs->kvs_len; i++, got++) {
            assert_true(got < n);
            assert_true(pz_view_eq(rs->kvs[i].key, s_pool[live[got]]));
        }
        bool more = rs->has_resume;
        if (more) {
            assert_true(rs->kvs_len > 0 && rs->resume_key.len <= sizeof resume[0]);
            memcpy(resume[page % 2], rs->resume_key.ptr, rs->resume_key.len);
            pz_view_t k = st_v(resume[page % 2], rs->resume_key.len);
            *(reverse ? &span.end_key : &span.key) = k;
        }
        st_result_free(&r);
        if (!more) {
            break;
        }
    }
    assert_int_equal(got, n);
}

static void s_run_seed(uint64_t seed)
{
    s_rng = seed;
    s_clock = 0;
    memset(&s_stats, 0, sizeof s_stats);
    s_pool_init();
    st_env_t env;
    st_env_open(&env, 0, 0);
    m_state_t *m = calloc(1, sizeof *m);
    m_state_t *scratch = calloc(1, sizeof *scratch);
    assert_non_null(m);
    assert_non_null(scratch);
    for (int it = 0; it < M_ITERS; it++) {
        s_step(&env, m, scratch);
        if (it % 5 == 0) {
            s_paginate(&env, m);
        }
    }
    for (int i = 0; i < 50; i++) {
        s_paginate(&env, m);
    }
    print_message("  %u batches: %u failed CPUTs, %u moved by write-too-old, %u resumes, "
                  "%u keys scanned, %u deleted\n", s_stats.batches, s_stats.failed,
                  s_stats.bumped, s_stats.resumed, s_stats.kvs, s_stats.deleted);
    free(m);
    free(scratch);
    st_env_close(&env);
}

static void test_model_random_batches(void **state)
{
    (void)state;
    const char *env_seed = getenv("PZ_TEST_SEED");
    uint64_t seeds[] = {env_seed ? strtoull(env_seed, NULL, 0) : 0x5eed0001u, 0x5eed0002u,
                        0x5eed0003u, 0xdeadbeefu};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        print_message("seed 0x%llx\n", (unsigned long long)seeds[i]);
        s_run_seed(seeds[i] ? seeds[i] : 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_random_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
