/*
 * test_txn_spans.c — the coordinator's span sets and transaction table (modules/txn).
 *
 * What it proves: condensing keeps every added key covered (a span set may only grow wider,
 * never lose a key, or a transaction would leave an intent unresolved or skip a refresh); merging
 * is exact for overlapping and adjacent spans; the bound holds; the table finds, inserts and
 * removes under collisions (backward-shift deletion keeps every remaining id reachable).
 * How: random keys checked against a membership oracle after each condense; a table whose ids
 * share their hash bytes so every insert collides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "txn_int.h"

static pz_view_t v(const char *s)
{
    return (pz_view_t){(const uint8_t *)s, strlen(s)};
}

/* Whether key k is inside some span of the set. */
static bool s_covered(const pz__spans_t *s, pz_view_t k)
{
    for (uint32_t i = 0; i < s->len; i++) {
        pz_view_t key = {s->v[i].key, s->v[i].key_len};
        pz_view_t end = {s->v[i].end, s->v[i].end_len};
        if (end.len == 0 ? pz_view_eq(key, k)
                         : pz_view_cmp(key, k) <= 0 && pz_view_cmp(k, end) < 0) {
            return true;
        }
    }
    return false;
}

static void test_merge_overlapping_and_points(void **state)
{
    (void)state;
    pz__spans_t s;
    pz__spans_init(&s, 64);
    assert_int_equal(pz__spans_add(&s, v("b"), v("d")), 0);
    assert_int_equal(pz__spans_add(&s, v("c"), v("f")), 0);
    assert_int_equal(pz__spans_add(&s, v("a"), (pz_view_t){0}), 0);
    assert_int_equal(pz__spans_add(&s, v("a"), (pz_view_t){0}), 0);
    assert_int_equal(pz__spans_add(&s, v("f"), v("g")), 0); /* adjacent to [c, f) */
    assert_int_equal(pz__spans_add(&s, v("x"), (pz_view_t){0}), 0);
    assert_int_equal(pz__spans_condense(&s, 64), 0);
    assert_int_equal(s.len, 3); /* a, [b, g), x */
    assert_true(pz_view_eq((pz_view_t){s.v[0].key, s.v[0].key_len}, v("a")));
    assert_int_equal(s.v[0].end_len, 0);
    assert_true(pz_view_eq((pz_view_t){s.v[1].end, s.v[1].end_len}, v("g")));
    assert_false(s_covered(&s, v("g")));
    assert_false(s_covered(&s, v("a\x01")));
    assert_true(s_covered(&s, v("x")));
    pz__spans_free(&s);
}

static void test_condense_keeps_every_key(void **state)
{
    (void)state;
    srand(7);
    pz__spans_t s;
    pz__spans_init(&s, 16);
    char keys[500][8];
    for (int i = 0; i < 500; i++) {
        snprintf(keys[i], sizeof keys[i], "k%05d", rand() % 100000);
        pz_view_t end = (pz_view_t){0};
        char e[8];
        if (i % 3 == 0) {
            memcpy(e, keys[i], sizeof e);
            e[5] = (char)(e[5] + 1 > '9' ? '9' : e[5] + 1);
            end = v(e);
        }
        if (end.len > 0 && pz_view_cmp(end, v(keys[i])) <= 0) {
            end = (pz_view_t){0};
        }
        assert_int_equal(pz__spans_add(&s, v(keys[i]), end), 0);
        assert_true(s.len <= 16);
        for (int j = 0; j <= i; j++) {
            assert_true(s_covered(&s, v(keys[j])));
        }
    }
    assert_int_equal(pz__spans_condense(&s, 1), 0);
    assert_int_equal(s.len, 1);
    for (int j = 0; j < 500; j++) {
        assert_true(s_covered(&s, v(keys[j])));
    }
    pz__spans_free(&s);
}

static pz__txn_t *s_new_txn(uint8_t tag)
{
    pz__txn_t *x = calloc(1, sizeof *x);
    assert_non_null(x);
    memset(x->id, 0, sizeof x->id); /* the first 4 bytes are the hash: all collide */
    x->id[15] = tag;
    pz__spans_init(&x->locks, 4);
    pz__spans_init(&x->reads, 4);
    return x;
}

static void test_table_collisions(void **state)
{
    (void)state;
    pz__txn_table_t t;
    assert_int_equal(pz__txn_table_init(&t, 4u * PZ_TXN_OPEN_MAX), 0);
    pz__txn_t *xs[40];
    for (int i = 0; i < 40; i++) {
        xs[i] = s_new_txn((uint8_t)i);
        assert_int_equal(pz__txn_insert(&t, xs[i]), 0);
    }
    pz__txn_t *dup = s_new_txn(3);
    assert_int_equal(pz__txn_insert(&t, dup), PZ_EEXISTS);
    pz__txn_free(dup);
    for (int i = 0; i < 40; i += 3) {
        pz__txn_remove(&t, xs[i]);
        xs[i] = NULL;
    }
    for (int i = 0; i < 40; i++) {
        uint8_t id[PZ_TXN_ID_BYTES] = {0};
        id[15] = (uint8_t)i;
        pz__txn_t *f = pz__txn_find(&t, (pz_view_t){id, sizeof id});
        assert_ptr_equal(f, xs[i]);
    }
    assert_null(pz__txn_find(&t, v("short")));
    pz__txn_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_overlapping_and_points),
        cmocka_unit_test(test_condense_keeps_every_key),
        cmocka_unit_test(test_table_collisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
