/*
 * log.c — one log line per event: UTC time, level, module/actor, message. Thread-safe: each line
 * is formatted into a local buffer and written with one write(2), so lines never interleave.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static atomic_int s_level = PZ_LOG_INFO;
static const char *const s_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void pz_log_set_level(int level)
{
    if (level < PZ_LOG_DEBUG) {
        level = PZ_LOG_DEBUG;
    }
    if (level > PZ_LOG_ERROR) {
        level = PZ_LOG_ERROR;
    }
    atomic_store(&s_level, level);
}

int pz_log_get_level(void)
{
    return atomic_load(&s_level);
}

void pz_log(const pz_actor_t *self, int level, const char *fmt, ...)
{
    if (level < atomic_load(&s_level)) {
        return;
    }
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int lv = level < 0 ? 0 : (level > 3 ? 3 : level);
    const char *who = self ? self->name : "kernel";
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %-5s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000, s_names[lv], who);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) {
        len = sizeof line - 2;
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
