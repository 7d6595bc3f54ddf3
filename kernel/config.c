/*
 * config.c — topology config files: czmq's zconfig (ZPL) parses them; this file adds what a
 * production server needs on top: errors that name the file and the line, validation of the
 * sections and keys the kernel knows, `--set path=value` overrides, and typed accessors.
 *
 * A config file:
 *     node                      this process: store, listen, threads, log_level, seed, module_dir,
 *                               spin_us, spinners (idle spinning, see idle.c)
 *     modules                   one section per actor; its name is the actor's name
 *         <name>                   module = <module> (default: the name), thread = N, and the
 *                                  module's own keys
 *     routes                    where actors of other processes are: <name> = tcp://host:port
 *
 * zconfig reports syntax errors only as a log line "(N) reason" on stderr; we capture that line
 * and turn it into "FILE:N: reason". For semantic errors we find the line by replaying the
 * file's indentation (ZPL nests by four spaces).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char *const s_node_keys[] = {"store",   "listen",     "threads", "log_level",
                                          "seed",    "module_dir", "id",      "max_offset_ms",
                                          "spin_us", "spinners",   NULL};

/* Runs zconfig's parser with its log captured (czmq logs to stdout, and to stderr in some
 * builds: both are redirected for the call), so its "(line) reason" becomes our message. Runs
 * once at start-up, before any thread exists. */
static zconfig_t *s_parse_captured(const char *text, char *err, size_t cap)
{
    fflush(stdout);
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    bool redirected = tmp && saved_out >= 0 && saved_err >= 0;
    if (redirected) {
        dup2(fileno(tmp), STDOUT_FILENO);
        dup2(fileno(tmp), STDERR_FILENO);
    }
    zconfig_t *c = zconfig_str_load(text);
    fflush(stdout);
    fflush(stderr);
    if (redirected) {
        dup2(saved_out, STDOUT_FILENO);
        dup2(saved_err, STDERR_FILENO);
        char buf[512] = "";
        rewind(tmp);
        size_t n = fread(buf, 1, sizeof buf - 1, tmp);
        buf[n] = '\0';
        const char *p = strstr(buf, "(zconfig): ");
        snprintf(err, cap, "%s", p ? p + 11 : buf);
        char *nl = strchr(err, '\n');
        if (nl) {
            *nl = '\0';
        }
    }
    if (saved_out >= 0) {
        close(saved_out);
    }
    if (saved_err >= 0) {
        close(saved_err);
    }
    if (tmp) {
        fclose(tmp);
    }
    return c;
}

static char *s_read_file(const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, cap, "%s", strerror(errno));
        return NULL;
    }
    char *buf = malloc(1024 * 1024 + 1);
    size_t n = buf ? fread(buf, 1, 1024 * 1024, f) : 0;
    bool too_big = buf && n == 1024 * 1024 && fgetc(f) != EOF;
    fclose(f);
    if (buf == NULL || too_big) {
        snprintf(err, cap, "%s", buf ? "larger than 1 MiB" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static int s_parse(const char *text, const char *name, zconfig_t **out)
{
    char err[512] = "";
    zconfig_t *c = s_parse_captured(text, err, sizeof err);
    if (c == NULL) {
        /* zconfig's "(N) reason" -> "name:N: reason" */
        int line = 0, used = 0;
        if (sscanf(err, "(%d) %n", &line, &used) == 1 && used > 0) {
            pz_log(NULL, PZ_LOG_ERROR, "config error: %s:%d: %s", name, line, err + used);
        } else {
            pz_log(NULL, PZ_LOG_ERROR, "config error: %s: %s", name, err[0] ? err : "syntax");
        }
        return PZ_ECONFIG;
    }
    *out = c;
    return 0;
}

int pz__config_load_file(const char *path, zconfig_t **out)
{
    char err[256];
    char *text = s_read_file(path, err, sizeof err);
    if (text == NULL) {
        pz_log(NULL, PZ_LOG_ERROR, "config error: %s: %s", path, err);
        return PZ_ECONFIG;
    }
    int rc = s_parse(text, path, out);
    if (rc == 0) {
        rc = pz__config_validate(*out, path);
        if (rc != 0) {
            zconfig_destroy(out);
        }
    }
    free(text);
    return rc;
}

int pz__config_load_str(const char *text, const char *name, zconfig_t **out)
{
    return s_parse(text, name, out);
}

/* The 1-based line of `path` ("node/threads") in the file, 0 if not found. */
static int s_line_of(const char *file, const char *path)
{
    char err[64];
    char *text = file ? s_read_file(file, err, sizeof err) : NULL;
    if (text == NULL) {
        return 0;
    }
    char want[512], stack[16][128] = {{0}};
    snprintf(want, sizeof want, "%s", path);
    int line = 0, found = 0;
    /* Walk line by line (not strtok: it would merge blank lines and miscount). */
    for (char *l = text; l && !found;) {
        char *nl = strchr(l, '\n');
        if (nl) {
            *nl = '\0';
        }
        line++;
        int indent = 0;
        while (l[indent] == ' ') {
            indent++;
        }
        int depth = indent / 4;
        if (l[indent] != '#' && l[indent] != '\0' && depth < 16) {
            size_t n = strcspn(l + indent, " =\t");
            snprintf(stack[depth], sizeof stack[depth], "%.*s", (int)n, l + indent);
            char cur[512] = "";
            for (int d = 0; d <= depth; d++) {
                strncat(cur, stack[d], sizeof cur - strlen(cur) - 2);
                if (d < depth) {
                    strcat(cur, "/");
                }
            }
            found = strcmp(cur, want) == 0 ? line : 0;
        }
        l = nl ? nl + 1 : NULL;
    }
    free(text);
    return found;
}

static int s_bad(const char *file, const char *path, const char *why)
{
    int line = s_line_of(file, path);
    if (line > 0) {
        pz_log(NULL, PZ_LOG_ERROR, "config error: %s:%d: %s: %s", file, line, path, why);
    } else {
        pz_log(NULL, PZ_LOG_ERROR, "config error: %s: %s: %s", file ? file : "(built-in)", path,
               why);
    }
    return PZ_ECONFIG;
}

static bool s_is_int(const char *v)
{
    char *end = NULL;
    errno = 0;
    strtoll(v, &end, 10);
    return *v && errno == 0 && end && *end == '\0';
}

static int s_validate_node(zconfig_t *node, const char *file)
{
    char path[256];
    for (zconfig_t *k = zconfig_child(node); k; k = zconfig_next(k)) {
        const char *name = zconfig_name(k);
        bool known = false;
        for (int i = 0; s_node_keys[i]; i++) {
            known = known || strcmp(name, s_node_keys[i]) == 0;
        }
        snprintf(path, sizeof path, "node/%s", name);
        if (!known) {
            return s_bad(file, path, "unknown setting");
        }
        const char *v = zconfig_value(k) ? zconfig_value(k) : "";
        bool numeric = !strcmp(name, "threads") || !strcmp(name, "seed") || !strcmp(name, "id") ||
                       !strcmp(name, "max_offset_ms") || !strcmp(name, "spin_us") ||
                       !strcmp(name, "spinners");
        if (numeric && !s_is_int(v)) {
            return s_bad(file, path, "not an integer");
        }
        if (!strcmp(name, "spin_us") && (atol(v) < 0 || atol(v) > PZ_IDLE_SPIN_US_MAX)) {
            return s_bad(file, path, "must be 0 (off) to 1000 microseconds");
        }
        if (!strcmp(name, "spinners") && (atol(v) < 0 || atol(v) > PZ_THREADS_MAX)) {
            return s_bad(file, path, "must be 0 (off) to 64 threads");
        }
        if (!strcmp(name, "listen") && *v && strncmp(v, "tcp://", 6) && strncmp(v, "ipc://", 6)) {
            return s_bad(file, path, "must be tcp://host:port or ipc://path");
        }
        if (!strcmp(name, "log_level") && strcmp(v, "debug") && strcmp(v, "info") &&
            strcmp(v, "warn") && strcmp(v, "error")) {
            return s_bad(file, path, "must be debug, info, warn or error");
        }
    }
    return 0;
}

int pz__config_validate(zconfig_t *root, const char *file)
{
    char path[256];
    for (zconfig_t *s = zconfig_child(root); s; s = zconfig_next(s)) {
        const char *name = zconfig_name(s);
        if (strcmp(name, "node") == 0) {
            int rc = s_validate_node(s, file);
            if (rc != 0) {
                return rc;
            }
        } else if (strcmp(name, "modules") == 0) {
            for (zconfig_t *m = zconfig_child(s); m; m = zconfig_next(m)) {
                const char *th = zconfig_get(m, "thread", "0");
                snprintf(path, sizeof path, "modules/%s/thread", zconfig_name(m));
                if (!s_is_int(th) || atoi(th) < 0) {
                    return s_bad(file, path, "not a thread number");
                }
            }
        } else if (strcmp(name, "routes") == 0) {
            for (zconfig_t *r = zconfig_child(s); r; r = zconfig_next(r)) {
                const char *v = zconfig_value(r) ? zconfig_value(r) : "";
                snprintf(path, sizeof path, "routes/%s", zconfig_name(r));
                if (strncmp(v, "tcp://", 6) && strncmp(v, "ipc://", 6)) {
                    return s_bad(file, path, "must be tcp://host:port or ipc://path");
                }
            }
        } else {
            return s_bad(file, name, "unknown section (expected node, modules or routes)");
        }
    }
    return 0;
}

int pz__config_set(zconfig_t *root, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment) {
        pz_log(NULL, PZ_LOG_ERROR, "--set %s: expected path=value", assignment);
        return PZ_ECONFIG;
    }
    char path[256];
    snprintf(path, sizeof path, "%.*s", (int)(eq - assignment), assignment);
    zconfig_put(root, path, eq + 1);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Accessors for modules                                                                     */

const char *pz_cfg_str(const pz_cfg_t *cfg, const char *path, const char *dflt)
{
    if (cfg == NULL) {
        return dflt;
    }
    zconfig_t *c = zconfig_locate((zconfig_t *)cfg, path);
    return c && zconfig_value(c) ? zconfig_value(c) : dflt;
}

int pz_cfg_int(const pz_cfg_t *cfg, const char *path, int64_t dflt, int64_t *out)
{
    const char *v = pz_cfg_str(cfg, path, NULL);
    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    if (!s_is_int(v)) {
        pz_log(NULL, PZ_LOG_ERROR, "config error: %s = \"%s\": not an integer", path, v);
        return PZ_ECONFIG;
    }
    *out = strtoll(v, NULL, 10);
    return 0;
}

int pz_cfg_bool(const pz_cfg_t *cfg, const char *path, bool dflt, bool *out)
{
    const char *v = pz_cfg_str(cfg, path, NULL);
    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "yes")) {
        *out = true;
    } else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "no")) {
        *out = false;
    } else {
        pz_log(NULL, PZ_LOG_ERROR, "config error: %s = \"%s\": not a boolean", path, v);
        return PZ_ECONFIG;
    }
    return 0;
}
