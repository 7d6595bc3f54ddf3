/*
 * kernel_test.h — helpers shared by the kernel unit tests: capturing stderr (where pz_log
 * writes) to assert on log lines, a per-test watchdog, and small time helpers.
 */
#ifndef PZ_TEST_KERNEL_TEST_H
#define PZ_TEST_KERNEL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

/* ---------------------------------------------------------------------------------------- */
/* stderr capture. A temporary file rather than a pipe: a test that logs a lot cannot fill a
 * pipe and block itself. */

typedef struct {
    FILE *tmp;
    int saved;
} t_capture_t;

static inline void t_capture_begin(t_capture_t *c)
{
    fflush(stderr);
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_true(dup2(fileno(c->tmp), STDERR_FILENO) >= 0);
}

/* Restores stderr, echoes what was captured to it (so ctest output still shows the log) and
 * returns the text (free it). */
static inline char *t_capture_end(t_capture_t *c)
{
    fflush(stderr);
    assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
    close(c->saved);
    long len = ftell(c->tmp);
    assert_true(len >= 0);
    char *buf = calloc(1, (size_t)len + 1);
    assert_non_null(buf);
    rewind(c->tmp);
    size_t n = fread(buf, 1, (size_t)len, c->tmp);
    buf[n] = '\0';
    fclose(c->tmp);
    fputs(buf, stderr);
    return buf;
}

/* Lines of `text` that contain `needle`. */
static inline int t_count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *l = text; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        const char *hit = strstr(l, needle);
        n += hit != NULL && hit < l + len;
        l = nl ? nl + 1 : NULL;
    }
    return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Time */

static inline uint64_t t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void t_sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* A hung test is a failed test: SIGALRM's default action ends the process, and ctest reports it.
 * Armed per test by the setup functions, disarmed by the teardowns. */
#define T_WATCHDOG_S 30

static inline int t_watchdog_arm(void **state)
{
    (void)state;
    alarm(T_WATCHDOG_S);
    return 0;
}

static inline int t_watchdog_disarm(void **state)
{
    (void)state;
    alarm(0);
    return 0;
}

#endif
