/*
 * test_engine_wrap.c — proves the engine wrapper's load-time check (pz_engine_missing_method)
 * names each required v1.0 method a descriptor lacks, accepts the real LMDB plugin's complete
 * descriptor, and that the wrappers drive the plugin end to end (open, commit, snapshot, get,
 * iterate both ways, approximate size, checkpoint).
 *
 * How: the LMDB plugin is loaded with dlopen; copies of its descriptor with one method cleared
 * at a time stand in for broken plugins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "storage_test.h"

static void test_missing_method_is_named(void **state)
{
    (void)state;
    const pz_engine_desc_t *real = st_engine_desc();
    assert_null(pz_engine_missing_method(real));
    static const struct {
        size_t off;
        const char *name;
    } methods[] = {
#define M_(m) {offsetof(pz_engine_desc_t, m), #m},
        M_(open) M_(close) M_(batch_commit) M_(snap_open) M_(snap_close) M_(get) M_(iter_open)
        M_(iter_close) M_(iter_seek_ge) M_(iter_seek_lt) M_(iter_next) M_(iter_prev)
        M_(iter_valid) M_(iter_key) M_(iter_value) M_(approx_size) M_(checkpoint)
#undef M_
    };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        pz_engine_desc_t copy = *real;
        memset((char *)&copy + methods[i].off, 0, sizeof(void (*)(void)));
        const char *missing = pz_engine_missing_method(&copy);
        assert_non_null(missing);
        assert_string_equal(missing, methods[i].name);
    }
}

static void test_wrappers_drive_the_plugin(void **state)
{
    (void)state;
    st_env_t env;
    st_env_open(&env, 0, 0);
    pz_engine_op_t ops[] = {
        {.kind = PZ_ENGINE_PUT, .key = (const uint8_t *)"a", .key_len = 1,
         .value = (const uint8_t *)"1", .value_len = 1},
        {.kind = PZ_ENGINE_PUT, .key = (const uint8_t *)"b", .key_len = 1,
         .value = (const uint8_t *)"2", .value_len = 1},
        {.kind = PZ_ENGINE_PUT, .key = (const uint8_t *)"c", .key_len = 1,
         .value = (const uint8_t *)"3", .value_len = 1},
        {.kind = PZ_ENGINE_DEL, .key = (const uint8_t *)"b", .key_len = 1},
    };
    pz_engine_batch_t b = {.ops = ops, .ops_len = 4};
    assert_int_equal(pz_engine_commit(&env.eng, &b, true), 0);

    pz_eng_snap_t snap = {0};
    assert_int_equal(pz_engine_snap_open(&env.eng, &snap), 0);
    const uint8_t *v = NULL;
    size_t vlen = 0;
    assert_int_equal(pz_engine_get(&snap, (const uint8_t *)"a", 1, &v, &vlen), 0);
    assert_int_equal(vlen, 1);
    assert_int_equal(v[0], '1');
    assert_int_equal(pz_engine_get(&snap, (const uint8_t *)"b", 1, &v, &vlen), PZ_ENOTFOUND);

    pz_eng_iter_t it = {0};
    assert_int_equal(pz_engine_iter_open(&snap, &it), 0);
    assert_false(pz_engine_iter_valid(&it));
    assert_int_equal(pz_engine_iter_seek_ge(&it, (const uint8_t *)"b", 1), 0);
    const uint8_t *k = NULL;
    size_t klen = 0;
    pz_engine_iter_key(&it, &k, &klen);
    assert_int_equal(k[0], 'c');
    assert_int_equal(pz_engine_iter_prev(&it), 0);
    pz_engine_iter_key(&it, &k, &klen);
    assert_int_equal(k[0], 'a');
    pz_engine_iter_value(&it, &v, &vlen);
    assert_int_equal(v[0], '1');
    assert_int_equal(pz_engine_iter_seek_lt(&it, NULL, 0), 0);
    pz_engine_iter_key(&it, &k, &klen);
    assert_int_equal(k[0], 'c');
    assert_int_equal(pz_engine_iter_next(&it), 0);
    assert_false(pz_engine_iter_valid(&it));
    pz_engine_iter_close(&it);
    pz_engine_iter_close(&it); /* safe on a closed handle */
    pz_engine_snap_close(&snap);

    uint64_t bytes = 0;
    assert_int_equal(pz_engine_approx_size(&env.eng, NULL, 0, NULL, 0, &bytes), 0);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/ckpt", env.dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(pz_engine_checkpoint(&env.eng, dir), 0);
    st_env_close(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_method_is_named),
        cmocka_unit_test(test_wrappers_drive_the_plugin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
