/*
 * test_arena.c — proves the arena hands out 16-byte-aligned, zeroed memory for every size
 * (small ones sharing chunks, big ones with chunks of their own, interleaved), that memory stays
 * valid and distinct until the arena dies, that pz_arena_used counts what was handed out, and
 * that the total is bounded by PZ_ARENA_BYTES_MAX: a request past the bound (or one that would
 * overflow size_t) gets NULL without allocating, and the arena stays usable below it.
 *
 * How: allocations of sizes 0..4096 and a few megabytes, each checked for alignment and zeroes
 * and then filled with a pattern that later allocations must not see or disturb; the bound is
 * reached with four quarter-bound allocations (calloc'd chunks the test never touches, so
 * they cost address space, not memory).
 */
#include "codec_test.h"

static bool s_all(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

static void test_alignment_and_zeroing(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    assert_non_null(a);
    assert_int_equal(pz_arena_used(a), 0);
    uint8_t *ptrs[600];
    size_t sizes[600];
    uint64_t seed = 8;
    for (size_t i = 0; i < 600; i++) {
        /* Mostly small, some exactly at chunk edges, a few big (own chunk). */
        uint64_t r = pz__rand_next(&seed);
        sizes[i] = i < 100 ? i : (r % 16 == 0 ? 600000 + r % 2000000 : r % 4097);
        ptrs[i] = pz_arena_alloc(a, sizes[i]);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % 16, 0);
        assert_true(s_all(ptrs[i], sizes[i], 0));
        memset(ptrs[i], (int)(i % 255) + 1, sizes[i]);
    }
    /* Nothing overlapped: every block still holds its own pattern. */
    for (size_t i = 0; i < 600; i++) {
        assert_true(s_all(ptrs[i], sizes[i], (uint8_t)(i % 255 + 1)));
    }
    assert_true(pz_arena_used(a) >= 600 * 16);
    pz_arena_destroy(&a);
    assert_null(a);
    pz_arena_destroy(&a); /* NULL-safe */
    pz_arena_destroy(NULL);
}

static void test_used_and_dup(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    assert_non_null(pz_arena_alloc(a, 1));
    assert_int_equal(pz_arena_used(a), 16);
    assert_non_null(pz_arena_alloc(a, 17));
    assert_int_equal(pz_arena_used(a), 48);
    void *z1 = pz_arena_alloc(a, 0), *z2 = pz_arena_alloc(a, 0);
    assert_non_null(z1);
    assert_true(z1 != z2); /* distinct even at size 0 */
    pz_view_t v = pz_arena_dup(a, "hello", 5);
    assert_int_equal(v.len, 5);
    assert_memory_equal(v.ptr, "hello", 5);
    pz_view_t e = pz_arena_dup(a, NULL, 0);
    assert_non_null(e.ptr);
    assert_int_equal(e.len, 0);
    pz_arena_destroy(&a);
}

static void test_bound(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    assert_null(pz_arena_alloc(a, PZ_ARENA_BYTES_MAX + 1));
    assert_null(pz_arena_alloc(a, SIZE_MAX));
    assert_null(pz_arena_alloc(a, SIZE_MAX - 8)); /* rounding must not wrap */
    assert_int_equal(pz_arena_used(a), 0);
    uint8_t *small = pz_arena_alloc(a, 100);
    assert_non_null(small);
    size_t quarter = PZ_ARENA_BYTES_MAX / 4;
    for (int i = 0; i < 3; i++) {
        assert_non_null(pz_arena_alloc(a, quarter));
    }
    assert_null(pz_arena_alloc(a, quarter)); /* 100 bytes over */
    size_t left = PZ_ARENA_BYTES_MAX - pz_arena_used(a);
    assert_int_equal(left, quarter - 112);
    assert_non_null(pz_arena_alloc(a, left));
    assert_int_equal(pz_arena_used(a), PZ_ARENA_BYTES_MAX);
    assert_null(pz_arena_alloc(a, 1));
    assert_null(pz_arena_dup(a, "x", 1).ptr);
    assert_true(s_all(small, 100, 0)); /* earlier memory is intact */
    pz_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_zeroing),
        cmocka_unit_test(test_used_and_dup),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
