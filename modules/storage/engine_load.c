/*
 * engine_load.c — finds and checks an engine plugin through the kernel's loader.
 *
 * Kept apart from engine_wrap.c because it needs the kernel runtime (pz_plugin_load, pz_log),
 * while the wrappers must link into unit tests that dlopen a plugin themselves.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "engine_wrap.h"
#include "phantomzero/kernel.h"
#include "storage_assert.h"
#include "storage_internal.h"

/* An engine name becomes part of a file name: letters, digits and '_' only, so a config value
 * can never point the loader outside the module directory. */
static bool s_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= PZ_NAME_BYTES_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

int pz__engine_load(const pz_actor_t *self, const char *name, const pz_engine_desc_t **out)
{
    PZ_ST_ASSERT(name != NULL && out != NULL);
    if (!s_name_ok(name)) {
        pz_log(self, PZ_LOG_ERROR, "invalid engine name \"%s\": use [a-z0-9_]", name);
        return PZ_ECONFIG;
    }
    char file[PZ_NAME_BYTES_MAX + 16];
    int n = snprintf(file, sizeof file, "pz_engine_%s.so", name);
    PZ_ST_ASSERT(n > 0 && (size_t)n < sizeof file);
    const pz_engine_desc_t *d = pz_plugin_load(file, PZ_ENGINE_SYMBOL, PZ_ENGINE_ABI_MAJOR,
                                               PZ_ENGINE_ABI_MINOR,
                                               offsetof(pz_engine_desc_t, reserved));
    if (d == NULL) {
        /* pz_plugin_load logged the exact reason. */
        pz_log(self, PZ_LOG_ERROR, "cannot load engine \"%s\" (%s)", name, file);
        return PZ_EABI;
    }
    const char *missing = pz_engine_missing_method(d);
    if (missing != NULL) {
        pz_log(self, PZ_LOG_ERROR, "engine plugin %s lacks required method %s", file, missing);
        return PZ_EABI;
    }
    if (strcmp(d->name, name) != 0) {
        pz_log(self, PZ_LOG_ERROR, "engine plugin %s calls itself \"%s\", expected \"%s\"", file,
               d->name, name);
        return PZ_EABI;
    }
    *out = d;
    return 0;
}
