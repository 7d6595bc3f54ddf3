/*
 * test_config.c — proves config files are parsed and validated as config.c promises: a valid
 * topology loads; a syntax error, an unknown section, an unknown node setting and each
 * ill-formed value (threads, seed, listen, log_level, a module's thread, a route) give
 * PZ_ECONFIG and one log line "config error: FILE:LINE: ..." with the right line (also after
 * blank lines and comments); a missing or oversized file gives PZ_ECONFIG naming the file;
 * `--set path=value` overrides and adds values and refuses what is not an assignment; and the
 * module accessors pz_cfg_str/int/bool return values and defaults and refuse (with a log line
 * naming key and value) what does not parse.
 *
 * How: pz__config_load_file on temporary files, with stderr (where pz_log writes) captured.
 */
#include "kernel_test.h"

typedef struct {
    char path[64];
} s_tmp_t;

static void s_write(s_tmp_t *f, const char *text)
{
    snprintf(f->path, sizeof f->path, "/tmp/pz_cfg_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* Loads `text` from a temporary file; returns the code, the captured log in *log (free it) and
 * the file's name in f. */
static int s_load(s_tmp_t *f, const char *text, zconfig_t **cfg, char **log)
{
    s_write(f, text);
    t_capture_t cap;
    t_capture_begin(&cap);
    int rc = pz__config_load_file(f->path, cfg);
    *log = t_capture_end(&cap);
    unlink(f->path);
    return rc;
}

/* Asserts `text` is refused with one "config error: FILE:LINE:" line that also says `why`. */
static void s_expect_error(const char *text, int line, const char *why)
{
    s_tmp_t f;
    zconfig_t *cfg = NULL;
    char *log = NULL;
    int rc = s_load(&f, text, &cfg, &log);
    assert_int_equal(rc, PZ_ECONFIG);
    assert_null(cfg);
    char where[128];
    snprintf(where, sizeof where, "config error: %s:%d: ", f.path, line);
    if (t_count_lines(log, where) != 1 || t_count_lines(log, why) != 1) {
        print_error("expected one line with \"%s\" and \"%s\" for:\n%s\ngot:\n%s\n", where, why,
                    text, log);
        free(log);
        fail();
    }
    free(log);
}

static void test_valid(void **state)
{
    (void)state;
    const char *text = "# a full topology\n"
                       "node\n"
                       "    store = \"/var/lib/pz\"\n"
                       "    listen = \"tcp://127.0.0.1:26357\"\n"
                       "    threads = 2\n"
                       "    log_level = warn\n"
                       "    seed = 7\n"
                       "    module_dir = \"/usr/lib/phantomzero\"\n"
                       "    id = 1\n"
                       "    max_offset_ms = 500\n"
                       "modules\n"
                       "    a\n"
                       "        module = echo\n"
                       "        thread = 1\n"
                       "    b\n"
                       "routes\n"
                       "    far = \"tcp://10.0.0.2:26357\"\n";
    s_tmp_t f;
    zconfig_t *cfg = NULL;
    char *log = NULL;
    assert_int_equal(s_load(&f, text, &cfg, &log), 0);
    assert_int_equal(t_count_lines(log, "config error"), 0);
    free(log);
    assert_non_null(cfg);
    assert_string_equal(zconfig_get(cfg, "node/threads", ""), "2");
    assert_string_equal(zconfig_get(cfg, "node/listen", ""), "tcp://127.0.0.1:26357");
    assert_string_equal(zconfig_get(cfg, "modules/a/module", ""), "echo");
    assert_non_null(zconfig_locate(cfg, "modules/b"));
    assert_string_equal(zconfig_get(cfg, "routes/far", ""), "tcp://10.0.0.2:26357");
    zconfig_destroy(&cfg);
}

/* zconfig's own syntax errors, "(N) reason", must come out as "FILE:N: reason". */
static void test_syntax_errors(void **state)
{
    (void)state;
    s_expect_error("node\n    threads = \"abc\n", 2, "missing");
    s_expect_error("node\n    threads = 2\nmodules\n  a\n", 4, "indent");
    s_expect_error("node\n    threads 2 3\n", 2, "invalid syntax");
}

static void test_unknown_section(void **state)
{
    (void)state;
    s_expect_error("node\n    threads = 2\nbogus\n    x = 1\n", 3, "bogus: unknown section");
}

static void test_unknown_node_setting(void **state)
{
    (void)state;
    s_expect_error("# comment\nnode\n    threads = 2\n    colour = blue\n", 4,
                   "node/colour: unknown setting");
}

static void test_bad_values(void **state)
{
    (void)state;
    s_expect_error("node\n    threads = two\n", 2, "node/threads: not an integer");
    s_expect_error("node\n    threads = 1\n    seed = 1.5\n", 3, "node/seed: not an integer");
    s_expect_error("node\n    listen = \"http://x:1\"\n", 2, "node/listen: must be tcp://");
    s_expect_error("node\n    log_level = loud\n", 2, "node/log_level: must be debug");
    s_expect_error("node\n    threads = 1\nmodules\n    a\n        thread = -1\n", 5,
                   "modules/a/thread: not a thread number");
    s_expect_error("modules\n    a\n        thread = x\n", 3,
                   "modules/a/thread: not a thread number");
    s_expect_error("routes\n    far = \"http://h:1\"\n", 2, "routes/far: must be tcp://");
    s_expect_error("node\n    spin_us = 1001\n", 2, "node/spin_us: must be 0 (off) to 1000");
    s_expect_error("node\n    spin_us = -5\n", 2, "node/spin_us: must be 0 (off) to 1000");
    s_expect_error("node\n    spinners = lots\n", 2, "node/spinners: not an integer");
    s_expect_error("node\n    spinners = 65\n", 2, "node/spinners: must be 0 (off) to 64");
}

/* The line of a semantic error is found by re-reading the file: blank lines count too. */
static void test_line_after_blank_lines(void **state)
{
    (void)state;
    s_expect_error("node\n\n    threads = 2\n\n    colour = blue\n", 5,
                   "node/colour: unknown setting");
    s_expect_error("\n\nnode\n    threads = 2\n\n\nbogus\n", 7, "bogus: unknown section");
}

static void test_missing_file(void **state)
{
    (void)state;
    zconfig_t *cfg = NULL;
    t_capture_t cap;
    t_capture_begin(&cap);
    int rc = pz__config_load_file("/nonexistent/pz.cfg", &cfg);
    char *log = t_capture_end(&cap);
    assert_int_equal(rc, PZ_ECONFIG);
    assert_null(cfg);
    assert_int_equal(t_count_lines(log, "config error: /nonexistent/pz.cfg: No such file"), 1);
    free(log);
}

static void test_too_big(void **state)
{
    (void)state;
    size_t n = 1024 * 1024 + 64;
    char *text = malloc(n + 1);
    assert_non_null(text);
    memset(text, '#', n); /* comment lines of 64 bytes */
    for (size_t i = 63; i < n; i += 64) {
        text[i] = '\n';
    }
    text[n] = '\0';
    s_tmp_t f;
    zconfig_t *cfg = NULL;
    char *log = NULL;
    assert_int_equal(s_load(&f, text, &cfg, &log), PZ_ECONFIG);
    assert_null(cfg);
    char want[128];
    snprintf(want, sizeof want, "%s: larger than 1 MiB", f.path);
    assert_int_equal(t_count_lines(log, want), 1);
    free(log);
    free(text);
}

static void test_config_set(void **state)
{
    (void)state;
    zconfig_t *cfg = NULL;
    assert_int_equal(pz__config_load_str("node\n    threads = 2\nmodules\n    a\n", "t", &cfg), 0);
    assert_int_equal(pz__config_set(cfg, "node/threads=4"), 0);
    assert_string_equal(zconfig_get(cfg, "node/threads", ""), "4");
    assert_int_equal(pz__config_set(cfg, "node/listen=tcp://127.0.0.1:1"), 0);
    assert_string_equal(zconfig_get(cfg, "node/listen", ""), "tcp://127.0.0.1:1");
    assert_int_equal(pz__config_set(cfg, "modules/a/expr=x=y"), 0); /* first '=' splits */
    assert_string_equal(zconfig_get(cfg, "modules/a/expr", ""), "x=y");
    assert_int_equal(pz__config_set(cfg, "modules/b/module=echo"), 0); /* new section */
    assert_string_equal(zconfig_get(cfg, "modules/b/module", ""), "echo");
    assert_int_equal(pz__config_validate(cfg, NULL), 0);

    t_capture_t cap;
    t_capture_begin(&cap);
    int rc1 = pz__config_set(cfg, "node/threads");
    int rc2 = pz__config_set(cfg, "=4");
    char *log = t_capture_end(&cap);
    assert_int_equal(rc1, PZ_ECONFIG);
    assert_int_equal(rc2, PZ_ECONFIG);
    assert_int_equal(t_count_lines(log, "expected path=value"), 2);
    free(log);
    assert_string_equal(zconfig_get(cfg, "node/threads", ""), "4"); /* untouched */

    /* An override is validated like the file: an unknown setting is refused. */
    assert_int_equal(pz__config_set(cfg, "node/colour=blue"), 0);
    t_capture_begin(&cap);
    rc1 = pz__config_validate(cfg, NULL);
    log = t_capture_end(&cap);
    assert_int_equal(rc1, PZ_ECONFIG);
    assert_int_equal(t_count_lines(log, "(built-in): node/colour: unknown setting"), 1);
    free(log);
    zconfig_destroy(&cfg);
}

static const char *const s_cfg_text = "modules\n"
                                      "    a\n"
                                      "        n = 42\n"
                                      "        neg = -7\n"
                                      "        bad = 4x\n"
                                      "        big = 99999999999999999999\n"
                                      "        empty = \"\"\n"
                                      "        yes = yes\n"
                                      "        on = on\n"
                                      "        one = 1\n"
                                      "        t = true\n"
                                      "        no = no\n"
                                      "        off = off\n"
                                      "        zero = 0\n"
                                      "        f = false\n"
                                      "        maybe = maybe\n"
                                      "        name = \"echo\"\n"
                                      "        latch\n"
                                      "            max = 5\n";

static const pz_cfg_t *s_cfg(zconfig_t **root)
{
    assert_int_equal(pz__config_load_str(s_cfg_text, "t", root), 0);
    zconfig_t *a = zconfig_locate(*root, "modules/a");
    assert_non_null(a);
    return (const pz_cfg_t *)a;
}

static void test_cfg_str(void **state)
{
    (void)state;
    zconfig_t *root = NULL;
    const pz_cfg_t *cfg = s_cfg(&root);
    assert_string_equal(pz_cfg_str(cfg, "name", "x"), "echo");
    assert_string_equal(pz_cfg_str(cfg, "latch/max", "x"), "5");
    assert_string_equal(pz_cfg_str(cfg, "absent", "dflt"), "dflt");
    assert_null(pz_cfg_str(cfg, "absent", NULL));
    assert_string_equal(pz_cfg_str(NULL, "name", "dflt"), "dflt");
    zconfig_destroy(&root);
}

static void s_expect_int_refused(const pz_cfg_t *cfg, const char *key, const char *value)
{
    int64_t v = 0;
    t_capture_t cap;
    t_capture_begin(&cap);
    int rc = pz_cfg_int(cfg, key, 1, &v);
    char *log = t_capture_end(&cap);
    assert_int_equal(rc, PZ_ECONFIG);
    char want[128];
    snprintf(want, sizeof want, "%s = \"%s\": not an integer", key, value);
    assert_int_equal(t_count_lines(log, want), 1);
    free(log);
}

static void test_cfg_int(void **state)
{
    (void)state;
    zconfig_t *root = NULL;
    const pz_cfg_t *cfg = s_cfg(&root);
    int64_t v = 0;
    assert_int_equal(pz_cfg_int(cfg, "n", 1, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(pz_cfg_int(cfg, "neg", 1, &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(pz_cfg_int(cfg, "latch/max", 1, &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(pz_cfg_int(cfg, "absent", 99, &v), 0);
    assert_int_equal(v, 99);
    assert_int_equal(pz_cfg_int(NULL, "n", 98, &v), 0);
    assert_int_equal(v, 98);
    s_expect_int_refused(cfg, "bad", "4x");
    s_expect_int_refused(cfg, "big", "99999999999999999999");
    s_expect_int_refused(cfg, "empty", "");
    s_expect_int_refused(cfg, "name", "echo");
    zconfig_destroy(&root);
}

static void test_cfg_bool(void **state)
{
    (void)state;
    zconfig_t *root = NULL;
    const pz_cfg_t *cfg = s_cfg(&root);
    const char *truthy[] = {"yes", "on", "one", "t"};
    const char *falsy[] = {"no", "off", "zero", "f"};
    for (int i = 0; i < 4; i++) {
        bool b = false;
        assert_int_equal(pz_cfg_bool(cfg, truthy[i], false, &b), 0);
        assert_true(b);
        assert_int_equal(pz_cfg_bool(cfg, falsy[i], true, &b), 0);
        assert_false(b);
    }
    bool b = false;
    assert_int_equal(pz_cfg_bool(cfg, "absent", true, &b), 0);
    assert_true(b);
    t_capture_t cap;
    t_capture_begin(&cap);
    int rc1 = pz_cfg_bool(cfg, "maybe", false, &b);
    int rc2 = pz_cfg_bool(cfg, "n", false, &b);
    char *log = t_capture_end(&cap);
    assert_int_equal(rc1, PZ_ECONFIG);
    assert_int_equal(rc2, PZ_ECONFIG);
    assert_int_equal(t_count_lines(log, "maybe = \"maybe\": not a boolean"), 1);
    assert_int_equal(t_count_lines(log, "n = \"42\": not a boolean"), 1);
    free(log);
    zconfig_destroy(&root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_syntax_errors, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_unknown_section, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_unknown_node_setting, t_watchdog_arm,
                                        t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_bad_values, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_line_after_blank_lines, t_watchdog_arm,
                                        t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_missing_file, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_too_big, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_config_set, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_cfg_str, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_cfg_int, t_watchdog_arm, t_watchdog_disarm),
        cmocka_unit_test_setup_teardown(test_cfg_bool, t_watchdog_arm, t_watchdog_disarm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
