/*
 * test_loader.c — proves the loader accepts a good module and refuses every bad one, each for
 * its own reason: pz__module_load and pz_plugin_load return NULL and log exactly one line that
 * names the file and says why (file not found, cannot load, missing symbol, no descriptor, ABI
 * major or minor, struct size, build signature, no name or version, name mismatch, each missing
 * required hook), and a good module loads, and loads again as the same descriptor.
 *
 * How: the dummy modules of tests/dummy, each broken in exactly one way, loaded from their own
 * directory with stderr captured; the assertions look for the reason's words in the one
 * "refusing" line.
 */
#include <sys/stat.h>

#include "kernel_test.h"

static const char *const s_dir = PZ_TEST_DUMMY_DIR;

/* Loads `module` with stderr captured; asserts NULL and one "refusing" line naming the file and
 * containing `reason`. */
static void s_expect_refused(const char *module, const char *reason)
{
    char file[512];
    snprintf(file, sizeof file, "%s/pz_%s.so", s_dir, module);
    t_capture_t cap;
    t_capture_begin(&cap);
    const pz_module_desc_t *d = pz__module_load(s_dir, module);
    char *log = t_capture_end(&cap);
    assert_null(d);
    assert_int_equal(t_count_lines(log, "refusing"), 1);
    assert_int_equal(t_count_lines(log, file), 1);
    if (t_count_lines(log, reason) != 1) {
        print_error("refusal of %s does not say \"%s\": %s\n", module, reason, log);
        free(log);
        fail();
    }
    free(log);
}

static void test_good_module_loads(void **state)
{
    (void)state;
    t_capture_t cap;
    t_capture_begin(&cap);
    const pz_module_desc_t *d = pz__module_load(s_dir, "echo");
    char *log = t_capture_end(&cap);
    assert_non_null(d);
    assert_int_equal(t_count_lines(log, "refusing"), 0);
    free(log);
    assert_string_equal(d->name, "echo");
    assert_int_equal(d->abi_major, PZ_MODULE_ABI_MAJOR);
    assert_true(d->abi_minor <= PZ_MODULE_ABI_MINOR);
    assert_int_equal(d->struct_size, sizeof(pz_module_desc_t));
    assert_string_equal(d->build_sig, PZ_BUILD_SIG);
    assert_non_null(d->version);
    assert_non_null(d->init);
    assert_non_null(d->fini);
    assert_non_null(d->on_message);
    assert_non_null(d->on_timer);
    /* dlopen of a loaded object returns the same mapping: the same descriptor. */
    assert_ptr_equal(pz__module_load(s_dir, "echo"), d);
}

static void test_file_not_found(void **state)
{
    (void)state;
    s_expect_refused("no_such_module", "file not found");
    /* A directory that does not exist is the same refusal, not a crash. */
    t_capture_t cap;
    t_capture_begin(&cap);
    const pz_module_desc_t *d = pz__module_load("/nonexistent/pz/dir", "echo");
    char *log = t_capture_end(&cap);
    assert_null(d);
    assert_int_equal(t_count_lines(log, "/nonexistent/pz/dir/pz_echo.so: file not found"), 1);
    free(log);
}

static void test_not_a_shared_object(void **state)
{
    (void)state;
    char dir[] = "/tmp/pz_loader_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[600];
    snprintf(path, sizeof path, "%s/pz_garbage.so", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not an ELF object\n", f);
    fclose(f);
    t_capture_t cap;
    t_capture_begin(&cap);
    const pz_module_desc_t *d = pz__module_load(dir, "garbage");
    char *log = t_capture_end(&cap);
    assert_null(d);
    assert_int_equal(t_count_lines(log, "refusing"), 1);
    assert_int_equal(t_count_lines(log, path), 1);
    assert_int_equal(t_count_lines(log, "cannot load"), 1);
    free(log);
    unlink(path);
    rmdir(dir);
}

static void test_no_symbol(void **state)
{
    (void)state;
    s_expect_refused("bad_no_symbol", "does not export " PZ_MODULE_SYMBOL);
}

static void test_null_descriptor(void **state)
{
    (void)state;
    s_expect_refused("bad_null_desc", "returned no descriptor");
}

static void test_abi_major(void **state)
{
    (void)state;
    s_expect_refused("bad_abi_major", "ABI 99.0");
}

static void test_abi_minor_newer(void **state)
{
    (void)state;
    char want[64];
    snprintf(want, sizeof want, "ABI %d.%d", PZ_MODULE_ABI_MAJOR, PZ_MODULE_ABI_MINOR + 1);
    s_expect_refused("bad_abi_minor", want);
}

static void test_struct_too_small(void **state)
{
    (void)state;
    char want[64];
    snprintf(want, sizeof want, "descriptor is %zu bytes", offsetof(pz_module_desc_t, on_timer));
    s_expect_refused("bad_struct_size", want);
}

static void test_build_signature(void **state)
{
    (void)state;
    s_expect_refused("bad_build_sig", "build signature pz0-lp2-1234");
}

static void test_no_name_or_version(void **state)
{
    (void)state;
    s_expect_refused("bad_no_name", "no name or version");
    s_expect_refused("bad_no_version", "no name or version");
}

static void test_name_mismatch(void **state)
{
    (void)state;
    s_expect_refused("bad_name", "calls itself \"echo\", configured as \"bad_name\"");
}

static void test_missing_hooks(void **state)
{
    (void)state;
    s_expect_refused("bad_no_init", "required hook init");
    s_expect_refused("bad_no_fini", "required hook fini");
    s_expect_refused("bad_no_on_message", "required hook on_message");
}

/* pz_plugin_load: the shared header checks, with the caller's symbol and version numbers, from
 * pz_module_dir() (PZ_MODULE_DIR when no kernel runs). */
static void s_expect_plugin_refused(const char *file, const char *symbol, uint32_t major,
                                    uint32_t minor, uint32_t min_size, const char *reason)
{
    t_capture_t cap;
    t_capture_begin(&cap);
    const void *d = pz_plugin_load(file, symbol, major, minor, min_size);
    char *log = t_capture_end(&cap);
    assert_null(d);
    assert_int_equal(t_count_lines(log, "refusing"), 1);
    assert_int_equal(t_count_lines(log, file), 1);
    if (t_count_lines(log, reason) != 1) {
        print_error("refusal of %s does not say \"%s\": %s\n", file, reason, log);
        free(log);
        fail();
    }
    free(log);
}

static void test_plugin_load(void **state)
{
    (void)state;
    assert_int_equal(setenv("PZ_MODULE_DIR", s_dir, 1), 0);
    assert_string_equal(pz_module_dir(), s_dir);
    uint32_t size = (uint32_t)sizeof(pz_module_desc_t);
    const pz_module_desc_t *d =
        pz_plugin_load("pz_echo.so", PZ_MODULE_SYMBOL, PZ_MODULE_ABI_MAJOR, 0, size);
    assert_non_null(d);
    assert_string_equal(d->name, "echo");
    /* No name check for plugins: the caller asked for a file, not a name. */
    d = pz_plugin_load("pz_bad_name.so", PZ_MODULE_SYMBOL, PZ_MODULE_ABI_MAJOR, 0, size);
    assert_non_null(d);
    s_expect_plugin_refused("pz_nothing.so", PZ_MODULE_SYMBOL, 1, 0, size, "file not found");
    s_expect_plugin_refused("pz_echo.so", "pz_engine_descriptor", 1, 0, size,
                            "does not export pz_engine_descriptor");
    s_expect_plugin_refused("pz_echo.so", PZ_MODULE_SYMBOL, 2, 0, size, "ABI 1.0");
    s_expect_plugin_refused("pz_echo.so", PZ_MODULE_SYMBOL, 1, 0, size + 8, "descriptor is");
    s_expect_plugin_refused("pz_bad_build_sig.so", PZ_MODULE_SYMBOL, 1, 0, size, "build signature");
    s_expect_plugin_refused("pz_bad_null_desc.so", PZ_MODULE_SYMBOL, 1, 0, size,
                            "returned no descriptor");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_module_loads, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_file_not_found, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_not_a_shared_object, t_watchdog_arm,
                                        t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_no_symbol, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_null_descriptor, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_abi_major, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_abi_minor_newer, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_struct_too_small, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_build_signature, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_no_name_or_version, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_name_mismatch, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_missing_hooks, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_plugin_load, t_watchdog_arm, t_watchdog_disarm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
