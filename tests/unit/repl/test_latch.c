/*
 * test_latch.c — repl's latch manager (modules/repl/latch.c): conflicts between batches with
 * many spans, checked against the definition (some span of one overlaps some span of the other
 * and one of the two writes) over random batches, and FIFO granting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latch.h"

/* Keys are two bytes from a small alphabet, so random spans overlap, touch and nest often. */
static pz_view_t key(uint8_t *buf, unsigned v)
{
    buf[0] = (uint8_t)('a' + v / 8);
    buf[1] = (uint8_t)('a' + v % 8);
    return (pz_view_t){buf, 2};
}

typedef struct {
    pz__latch_span_t spans[12];
    uint8_t keys[12][2][2];
    uint32_t n;
} batch_t;

static void random_batch(batch_t *b, unsigned *seed)
{
    b->n = 1 + (uint32_t)(rand_r(seed) % 12);
    for (uint32_t i = 0; i < b->n; i++) {
        unsigned lo = (unsigned)rand_r(seed) % 64, len = (unsigned)rand_r(seed) % 6;
        pz__latch_span_t *s = &b->spans[i];
        s->start = key(b->keys[i][0], lo);
        /* a third are point keys (end empty: [k, k\0)), the rest ranges, some empty */
        s->end = rand_r(seed) % 3 == 0 ? (pz_view_t){NULL, 0}
                                       : key(b->keys[i][1], lo + len < 64 ? lo + len : 63);
        s->write = rand_r(seed) % 2 == 0;
    }
}

/* The definition, span by span. */
static bool brute_conflict(const pz__latch_guard_t *x, const pz__latch_guard_t *y)
{
    for (uint32_t i = 0; i < x->spans_len; i++) {
        for (uint32_t j = 0; j < y->spans_len; j++) {
            const pz__latch_span_t *a = &x->spans[i], *b = &y->spans[j];
            if ((a->write || b->write) && pz_view_cmp(a->start, b->end) < 0 &&
                pz_view_cmp(b->start, a->end) < 0) {
                return true;
            }
        }
    }
    return false;
}

/* Whether y is granted while x runs. */
static bool granted_beside(pz__latch_guard_t *x, pz__latch_guard_t *y)
{
    pz__latches_t l = {0};
    assert_int_equal(pz__latch_acquire(&l, x), 0);
    assert_true(x->granted);
    assert_int_equal(pz__latch_acquire(&l, y), 0);
    bool both = y->granted;
    pz__latches_clear(&l); /* frees both */
    return both;
}

static void test_random_batches_match_the_definition(void **state)
{
    (void)state;
    unsigned seed = 20261122;
    int conflicts = 0;
    for (int round = 0; round < 20000; round++) {
        batch_t a, b;
        random_batch(&a, &seed);
        random_batch(&b, &seed);
        pz__latch_guard_t *x = pz__latch_guard_new(a.spans, a.n, NULL);
        pz__latch_guard_t *y = pz__latch_guard_new(b.spans, b.n, NULL);
        assert_non_null(x);
        assert_non_null(y);
        bool want = brute_conflict(x, y);
        conflicts += want;
        if (granted_beside(x, y) == want) {
            fprintf(stderr, "round %d: conflict %d but granted as the opposite\n", round, want);
            for (int g = 0; g < 2; g++) {
                const batch_t *bb = g ? &b : &a;
                for (uint32_t i = 0; i < bb->n; i++) {
                    const pz__latch_span_t *sp = &bb->spans[i];
                    fprintf(stderr, "  %c [%.2s, %.*s) %s\n", 'x' + g, sp->start.ptr,
                            (int)sp->end.len, sp->end.len ? (const char *)sp->end.ptr : "",
                            sp->write ? "w" : "r");
                }
            }
            fail();
        }
    }
    /* Both outcomes were exercised plenty. */
    assert_true(conflicts > 2000 && conflicts < 18000);
}

static void test_many_spans_and_fifo(void **state)
{
    (void)state;
    /* Two COPY-like batches of 10,000 interleaved point writes: disjoint, so both run; a third
     * that writes one key of the first waits, and a fourth reading elsewhere does not overtake
     * it only if it conflicts. */
    enum { N = 10000 };
    static uint8_t kb[2][N][8];
    static pz__latch_span_t s[2][N];
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < N; i++) {
            int k = 2 * i + b;
            snprintf((char *)kb[b][i], sizeof kb[b][i], "k%06d", k);
            s[b][i] = (pz__latch_span_t){.start = {kb[b][i], 7}, .write = true};
        }
    }
    pz__latches_t l = {0};
    pz__latch_guard_t *g0 = pz__latch_guard_new(s[0], N, NULL);
    pz__latch_guard_t *g1 = pz__latch_guard_new(s[1], N, NULL);
    assert_int_equal(pz__latch_acquire(&l, g0), 0);
    assert_int_equal(pz__latch_acquire(&l, g1), 0);
    assert_true(g0->granted && g1->granted);
    uint8_t one[] = "k000042"; /* written by g0 */
    pz__latch_span_t w = {.start = {one, 7}, .write = true};
    pz__latch_guard_t *g2 = pz__latch_guard_new(&w, 1, NULL);
    assert_int_equal(pz__latch_acquire(&l, g2), 0);
    assert_false(g2->granted);
    uint8_t lo[] = "k000042", hi[] = "k000043";
    pz__latch_span_t r = {.start = {lo, 7}, .end = {hi, 7}, .write = false};
    pz__latch_guard_t *g3 = pz__latch_guard_new(&r, 1, NULL); /* reads what g2 will write */
    assert_int_equal(pz__latch_acquire(&l, g3), 0);
    assert_false(g3->granted); /* behind g2 (FIFO), though it would not conflict with g0 */
    pz__latch_guard_t *ready[4];
    assert_int_equal(pz__latch_release(&l, g1, ready, 4), 0); /* g2 still blocked by g0 */
    assert_int_equal(pz__latch_release(&l, g0, ready, 4), 1);
    assert_ptr_equal(ready[0], g2);
    assert_int_equal(pz__latch_release(&l, g2, ready, 4), 1);
    assert_ptr_equal(ready[0], g3);
    pz__latches_clear(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_batches_match_the_definition),
        cmocka_unit_test(test_many_spans_and_fifo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
