/*
 * test_tscache.c — proves repl's timestamp cache (modules/repl/tscache.c) answers, for any key
 * or span, the newest read over it and who read it: point keys and spans, overlapping spans cut
 * into pieces, a point inside a span and a span over points, two readers at one timestamp
 * leaving no reader, a writer's own read not pushing it while anyone else's (or a
 * non-transactional one) does, and eviction raising the low-water mark so nothing forgotten
 * ever reads older than it was.
 *
 * How: hand-made cases, then a seeded random model check: every read is also kept in a plain
 * list, and for random spans the cache must give exactly the list's answer while nothing was
 * evicted, and never an older one after eviction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tscache.h"

static const uint8_t s_txn_a[PZ_TXN_ID_BYTES] = {0xaa};
static const uint8_t s_txn_b[PZ_TXN_ID_BYTES] = {0xbb};
#define TA ((pz_view_t){s_txn_a, PZ_TXN_ID_BYTES})
#define TB ((pz_view_t){s_txn_b, PZ_TXN_ID_BYTES})
#define NOTXN ((pz_view_t){NULL, 0})
#define K(s) pz_view_str(s)
#define NONE ((pz_view_t){NULL, 0})

static pz_hlc_t s_ts(uint64_t wall)
{
    return (pz_hlc_t){.wall = wall};
}

static void s_expect(pz__tsc_read_t r, uint64_t wall, const uint8_t *txn)
{
    assert_int_equal(r.ts.wall, wall);
    assert_int_equal(r.has_txn, txn != NULL);
    if (txn != NULL) {
        assert_memory_equal(r.txn, txn, PZ_TXN_ID_BYTES);
    }
}

static void test_point_own_and_other(void **state)
{
    (void)state;
    pz__tscache_t *c = pz__tscache_new(s_ts(1), 0, 0);
    assert_non_null(c);
    assert_int_equal(pz__tscache_add(c, K("k"), NONE, s_ts(10), TA), 0);
    s_expect(pz__tscache_get(c, K("k"), NONE), 10, s_txn_a);
    s_expect(pz__tscache_get(c, K("j"), NONE), 1, NULL); /* the low-water mark */
    /* Another transaction, or none, writing at or below the read moves just above it. */
    pz_hlc_t w = pz__tscache_write_ts(c, K("k"), NONE, s_ts(5), TB);
    assert_int_equal(w.wall, 10);
    assert_int_equal(w.logical, 1);
    w = pz__tscache_write_ts(c, K("k"), NONE, s_ts(10), NOTXN);
    assert_int_equal(w.wall, 10);
    assert_int_equal(w.logical, 1);
    /* The reader itself is not pushed by its own read; a write above it is never moved. */
    assert_int_equal(pz__tscache_write_ts(c, K("k"), NONE, s_ts(10), TA).wall, 10);
    assert_int_equal(pz__tscache_write_ts(c, K("k"), NONE, s_ts(10), TA).logical, 0);
    assert_int_equal(pz__tscache_write_ts(c, K("k"), NONE, s_ts(11), TB).wall, 11);
    /* An older read does not lower the entry. */
    assert_int_equal(pz__tscache_add(c, K("k"), NONE, s_ts(7), TB), 0);
    s_expect(pz__tscache_get(c, K("k"), NONE), 10, s_txn_a);
    pz__tscache_free(&c);
    assert_null(c);
}

static void test_overlapping_spans(void **state)
{
    (void)state;
    pz__tscache_t *c = pz__tscache_new(s_ts(1), 0, 0);
    assert_int_equal(pz__tscache_add(c, K("a"), K("c"), s_ts(10), TA), 0);
    assert_int_equal(pz__tscache_add(c, K("b"), K("d"), s_ts(20), TB), 0);
    assert_int_equal(pz__tscache_spans(c), 3); /* [a,b) 10 A, [b,c) 20 B, [c,d) 20 B */
    s_expect(pz__tscache_get(c, K("a"), K("b")), 10, s_txn_a);
    s_expect(pz__tscache_get(c, K("a"), NONE), 10, s_txn_a);
    s_expect(pz__tscache_get(c, K("az"), NONE), 10, s_txn_a);
    s_expect(pz__tscache_get(c, K("b"), NONE), 20, s_txn_b);
    s_expect(pz__tscache_get(c, K("a"), K("bb")), 20, s_txn_b);
    s_expect(pz__tscache_get(c, K("cz"), NONE), 20, s_txn_b);
    s_expect(pz__tscache_get(c, K("d"), NONE), 1, NULL); /* end is exclusive */
    s_expect(pz__tscache_get(c, K("d"), K("z")), 1, NULL);
    /* A span inside one piece, newer: cuts it in three. */
    assert_int_equal(pz__tscache_add(c, K("b1"), K("b2"), s_ts(30), TA), 0);
    assert_int_equal(pz__tscache_spans(c), 5);
    s_expect(pz__tscache_get(c, K("b"), NONE), 20, s_txn_b);
    s_expect(pz__tscache_get(c, K("b1"), NONE), 30, s_txn_a);
    s_expect(pz__tscache_get(c, K("b2"), NONE), 20, s_txn_b);
    /* A span over everything, older: only fills the gaps. */
    assert_int_equal(pz__tscache_add(c, K("0"), K("z"), s_ts(5), TB), 0);
    s_expect(pz__tscache_get(c, K("0"), NONE), 5, s_txn_b);
    s_expect(pz__tscache_get(c, K("b1"), NONE), 30, s_txn_a);
    s_expect(pz__tscache_get(c, K("y"), NONE), 5, s_txn_b);
    /* Empty and inverted spans record nothing. */
    assert_int_equal(pz__tscache_add(c, K("x"), K("x"), s_ts(99), TA), 0);
    assert_int_equal(pz__tscache_add(c, K("x"), K("w"), s_ts(99), TA), 0);
    s_expect(pz__tscache_get(c, K("x"), NONE), 5, s_txn_b);
    pz__tscache_free(&c);
}

static void test_points_and_spans_meet(void **state)
{
    (void)state;
    pz__tscache_t *c = pz__tscache_new(s_ts(1), 0, 0);
    assert_int_equal(pz__tscache_add(c, K("m"), NONE, s_ts(40), NOTXN), 0);
    assert_int_equal(pz__tscache_add(c, K("a"), K("z"), s_ts(30), TA), 0);
    /* A span write over a point read sees it; a point write inside a span read sees that. */
    s_expect(pz__tscache_get(c, K("l"), K("n")), 40, NULL);
    s_expect(pz__tscache_get(c, K("m"), ((pz_view_t){(const uint8_t *)"m\x00", 2})), 40, NULL);
    s_expect(pz__tscache_get(c, K("n"), K("o")), 30, s_txn_a);
    s_expect(pz__tscache_get(c, K("q"), NONE), 30, s_txn_a);
    /* [k, k\0) is the point k: a span ending at "m" does not hold it. */
    s_expect(pz__tscache_get(c, K("b"), K("m")), 30, s_txn_a);
    /* Non-transactional reads count as another reader for everyone. */
    assert_int_equal(pz__tscache_write_ts(c, K("m"), NONE, s_ts(40), TA).wall, 40);
    assert_int_equal(pz__tscache_write_ts(c, K("m"), NONE, s_ts(40), TA).logical, 1);
    assert_int_equal(pz__tscache_write_ts(c, K("q"), NONE, s_ts(30), TA).logical, 0);
    pz__tscache_free(&c);
}

static void test_same_ts_two_readers(void **state)
{
    (void)state;
    pz__tscache_t *c = pz__tscache_new(s_ts(1), 0, 0);
    assert_int_equal(pz__tscache_add(c, K("k"), NONE, s_ts(10), TA), 0);
    assert_int_equal(pz__tscache_add(c, K("k"), NONE, s_ts(10), TB), 0);
    s_expect(pz__tscache_get(c, K("k"), NONE), 10, NULL);
    /* A's write at 10 would now invalidate B's read: it moves. */
    assert_int_equal(pz__tscache_write_ts(c, K("k"), NONE, s_ts(10), TA).logical, 1);
    assert_int_equal(pz__tscache_add(c, K("a"), K("c"), s_ts(10), TA), 0);
    assert_int_equal(pz__tscache_add(c, K("b"), K("c"), s_ts(10), TA), 0);
    s_expect(pz__tscache_get(c, K("b"), NONE), 10, s_txn_a); /* the same reader twice */
    assert_int_equal(pz__tscache_add(c, K("a"), K("b"), s_ts(10), TB), 0);
    s_expect(pz__tscache_get(c, K("a"), NONE), 10, NULL);
    s_expect(pz__tscache_get(c, K("b"), NONE), 10, s_txn_a);
    pz__tscache_free(&c);
}

static void test_low_water_eviction(void **state)
{
    (void)state;
    pz__tscache_t *c = pz__tscache_new(s_ts(1), 4, 4);
    char key[8];
    for (uint64_t i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "p%llu", (unsigned long long)i);
        assert_int_equal(pz__tscache_add(c, K(key), NONE, s_ts(10 + i), TA), 0);
    }
    assert_int_equal(pz__tscache_points(c), 4);
    assert_int_equal(pz__tscache_low_water(c).wall, 1);
    assert_int_equal(pz__tscache_add(c, K("p4"), NONE, s_ts(20), TB), 0);
    /* The older half went; the low-water mark is the newest of them. */
    assert_int_equal(pz__tscache_low_water(c).wall, 11);
    assert_int_equal(pz__tscache_points(c), 3);
    s_expect(pz__tscache_get(c, K("p0"), NONE), 11, NULL);
    s_expect(pz__tscache_get(c, K("p1"), NONE), 11, NULL);
    s_expect(pz__tscache_get(c, K("p3"), NONE), 13, s_txn_a);
    s_expect(pz__tscache_get(c, K("p4"), NONE), 20, s_txn_b);
    s_expect(pz__tscache_get(c, K("zzz"), NONE), 11, NULL);
    /* A read below the mark adds nothing. */
    assert_int_equal(pz__tscache_add(c, K("q"), NONE, s_ts(5), TB), 0);
    assert_int_equal(pz__tscache_points(c), 3);
    /* Spans: four disjoint pieces, a fifth evicts the older half. */
    const char *b[] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(pz__tscache_add(c, K(b[i]), K(b[i + 1]), s_ts(30 + i), TA), 0);
    }
    assert_int_equal(pz__tscache_low_water(c).wall, 31);
    s_expect(pz__tscache_get(c, K("a"), NONE), 31, NULL);
    s_expect(pz__tscache_get(c, K("e"), NONE), 34, s_txn_a);
    assert_true(pz__tscache_spans(c) <= 4);
    pz__tscache_free(&c);
}

/* ---------------------------------------------------------------------------------------- */
/* The model check                                                                            */

#define M_READS_MAX 400

typedef struct {
    char s[4], e[4]; /* e empty: a point */
    uint64_t wall;
    int txn; /* 0 none, 1 A, 2 B */
} m_read_t;

static uint64_t s_rand(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

static void s_rand_key(uint64_t *seed, char *k)
{
    int n = 1 + (int)(s_rand(seed) % 2);
    for (int i = 0; i < n; i++) {
        k[i] = (char)('a' + s_rand(seed) % 6);
    }
    k[n] = 0;
}

static bool s_overlap(const m_read_t *r, const char *s, const char *e)
{
    /* Points as [k, k\0): for strings without NUL, k < x\0 iff k <= x. */
    bool rp = r->e[0] == 0, qp = e[0] == 0;
    bool lo = rp ? (qp ? strcmp(r->s, s) == 0 : strcmp(r->s, s) >= 0 && strcmp(r->s, e) < 0)
                 : (qp ? strcmp(r->s, s) <= 0 && strcmp(r->e, s) > 0
                       : strcmp(r->s, e) < 0 && strcmp(s, r->e) < 0);
    return lo;
}

static void s_model_once(uint64_t seed, uint32_t points_max, uint32_t spans_max)
{
    static m_read_t reads[M_READS_MAX];
    pz__tscache_t *c = pz__tscache_new(s_ts(1), points_max, spans_max);
    const pz_view_t ids[3] = {NOTXN, TA, TB};
    for (int n = 0; n < M_READS_MAX; n++) {
        m_read_t *r = &reads[n];
        memset(r, 0, sizeof *r);
        s_rand_key(&seed, r->s);
        if (s_rand(&seed) % 2) {
            s_rand_key(&seed, r->e);
        }
        r->wall = 2 + s_rand(&seed) % 50;
        r->txn = (int)(s_rand(&seed) % 3);
        assert_int_equal(pz__tscache_add(c, K(r->s), K(r->e), s_ts(r->wall), ids[r->txn]), 0);
        bool evicted = pz__tscache_low_water(c).wall > 1;
        for (int q = 0; q < 8; q++) {
            char s[4] = {0}, e[4] = {0};
            s_rand_key(&seed, s);
            if (s_rand(&seed) % 2) {
                s_rand_key(&seed, e);
            }
            if (e[0] && strcmp(s, e) >= 0) {
                continue; /* an empty span */
            }
            uint64_t best = 1;
            int who = -1; /* -1: no reader yet; 0: none; 1, 2: that one */
            for (int i = 0; i <= n; i++) {
                if (!s_overlap(&reads[i], s, e) ||
                    (reads[i].e[0] && strcmp(reads[i].s, reads[i].e) >= 0)) {
                    continue;
                }
                if (reads[i].wall > best) {
                    best = reads[i].wall, who = reads[i].txn;
                } else if (reads[i].wall == best && who != reads[i].txn) {
                    who = 0;
                }
            }
            pz__tsc_read_t got = pz__tscache_get(c, K(s), K(e));
            if (!evicted) {
                assert_int_equal(got.ts.wall, best);
                assert_int_equal(got.has_txn, who > 0);
                if (who > 0) {
                    assert_memory_equal(got.txn, who == 1 ? s_txn_a : s_txn_b, PZ_TXN_ID_BYTES);
                }
            } else {
                assert_true(got.ts.wall >= best);
            }
        }
    }
    pz__tscache_free(&c);
}

static void test_model(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        s_model_once(seed * 0x9e3779b97f4a7c15ull, 0, 0); /* never full: exact answers */
        s_model_once(seed * 0x9e3779b97f4a7c15ull, 8, 8); /* evicting: never older */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_own_and_other),   cmocka_unit_test(test_overlapping_spans),
        cmocka_unit_test(test_points_and_spans_meet), cmocka_unit_test(test_same_ts_two_readers),
        cmocka_unit_test(test_low_water_eviction),    cmocka_unit_test(test_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
