/*
 * test_mvcc_overlay.c — proves the batch overlay (modules/storage/mvcc_overlay.c) behaves as
 * an ordered map: put replaces an earlier write of the same key, get finds exactly the keys
 * written, level-0 order is key order, and seek_ge / seek_lt return the first key at or after
 * and the last key before a probe.
 *
 * How: seeded random puts of short keys (with 0x00 bytes and shared prefixes) are mirrored in
 * a plain sorted array, and every operation is checked against it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mvcc_overlay.h"
#include "phantomzero/errors.h"

#define N_KEYS 400

static uint64_t s_rng = 0xC0FFEEu;

static uint64_t s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

/* Every key of 1..3 bytes over {0x00, 'a', 'b'}: 3 + 9 + 27 of them. */
#define N_IDS 39

static uint8_t s_bytes[N_IDS][4];
static pz_view_t s_key(int i)
{
    size_t n = i < 3 ? 1 : (i < 12 ? 2 : 3);
    int x = i - (n == 1 ? 0 : (n == 2 ? 3 : 12));
    for (size_t j = 0; j < n; j++) {
        s_bytes[i][j] = (uint8_t[]){0x00, 'a', 'b'}[x % 3];
        x /= 3;
    }
    return (pz_view_t){s_bytes[i], (uint32_t)n};
}

static void test_overlay_is_an_ordered_map(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    pz_overlay_t ov;
    assert_int_equal(pz__ovl_init(&ov, a), 0);
    /* The model: for each of the N_IDS key ids, whether written, live and which value. */
    bool written[N_IDS] = {0}, live[N_IDS] = {0};
    int value[N_IDS] = {0};
    for (int i = 0; i < N_IDS; i++) {
        (void)s_key(i);
    }
    static uint8_t vals[N_KEYS];
    for (int step = 0; step < N_KEYS; step++) {
        int k = (int)(s_rand() % N_IDS);
        bool l = s_rand() % 3 != 0;
        vals[step] = (uint8_t)step;
        pz_view_t v = l ? (pz_view_t){&vals[step], 1} : (pz_view_t){NULL, 0};
        assert_int_equal(pz__ovl_put(&ov, s_key(k), l, v), 0);
        written[k] = true;
        live[k] = l;
        value[k] = step;

        /* Probe with a random key id. */
        pz_view_t p = s_key((int)(s_rand() % N_IDS));
        const pz_ovl_node_t *ge = pz__ovl_seek_ge(&ov, p), *lt = pz__ovl_seek_lt(&ov, p);
        const pz_view_t *best_ge = NULL, *best_lt = NULL;
        pz_view_t keys[N_IDS];
        size_t n = 0;
        for (int j = 0; j < N_IDS; j++) {
            if (written[j]) {
                keys[n++] = s_key(j);
            }
        }
        for (size_t j = 0; j < n; j++) {
            if (pz_view_cmp(keys[j], p) >= 0 && (!best_ge || pz_view_cmp(keys[j], *best_ge) < 0)) {
                best_ge = &keys[j];
            }
            if (pz_view_cmp(keys[j], p) < 0 && (!best_lt || pz_view_cmp(keys[j], *best_lt) > 0)) {
                best_lt = &keys[j];
            }
        }
        assert_int_equal(ge != NULL, best_ge != NULL);
        assert_true(ge == NULL || pz_view_eq(ge->key, *best_ge));
        assert_int_equal(lt != NULL, best_lt != NULL);
        assert_true(lt == NULL || pz_view_eq(lt->key, *best_lt));
        assert_int_equal(ov.len, n);
    }
    size_t count = 0;
    const pz_ovl_node_t *prev = NULL;
    for (const pz_ovl_node_t *x = pz__ovl_first(&ov); x != NULL; x = x->next[0], count++) {
        assert_true(prev == NULL || pz_view_cmp(prev->key, x->key) < 0);
        prev = x;
    }
    assert_int_equal(count, ov.len);
    for (int k = 0; k < N_IDS; k++) {
        const pz_ovl_node_t *x = pz__ovl_get(&ov, s_key(k));
        assert_int_equal(x != NULL, written[k]);
        if (x != NULL) {
            assert_int_equal(x->live, live[k]);
            assert_true(!live[k] || x->value.ptr[0] == (uint8_t)value[k]);
        }
    }
    pz_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlay_is_an_ordered_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
