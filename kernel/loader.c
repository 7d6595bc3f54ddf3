/*
 * loader.c — loading modules and plugins with dlopen, and refusing the ones that do not fit.
 *
 * Modules and engine plugins share the descriptor header (abi_major, abi_minor, struct_size,
 * build_sig, name, version). Checks run in the order module.h lists; the first that fails is
 * logged in one line naming the file and the reason, and the object is unloaded.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The header every descriptor starts with (module.h, engine.h). */
typedef struct {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t struct_size;
    const char *build_sig;
    const char *name;
    const char *version;
} s_header_t;

const char *pz_module_dir(void)
{
    static char dir[PATH_MAX + 32];
    if (pz__k && pz__k->module_dir[0]) {
        return pz__k->module_dir;
    }
    const char *env = getenv("PZ_MODULE_DIR");
    if (env && *env) {
        return env;
    }
    if (dir[0] == '\0') {
        char exe[PATH_MAX - 32];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) {
            return "lib/phantomzero";
        }
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
        }
        snprintf(dir, sizeof dir, "%s/../lib/phantomzero", exe);
    }
    return dir;
}

static const void *s_refuse(void *handle, const char *path, const char *why)
{
    pz_log(NULL, PZ_LOG_ERROR, "refusing %s: %s", path, why);
    if (handle) {
        dlclose(handle);
    }
    return NULL;
}

static const void *s_load(const char *path, const char *symbol, uint32_t major, uint32_t minor,
                          uint32_t min_size, const char *want_name)
{
    char why[512];
    if (access(path, F_OK) != 0) {
        return s_refuse(NULL, path, "file not found");
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(why, sizeof why, "cannot load: %s", dlerror());
        return s_refuse(NULL, path, why);
    }
    const void *(*fn)(void) = (const void *(*)(void))dlsym(h, symbol);
    if (fn == NULL) {
        snprintf(why, sizeof why, "does not export %s", symbol);
        return s_refuse(h, path, why);
    }
    const s_header_t *d = fn();
    if (d == NULL) {
        snprintf(why, sizeof why, "%s returned no descriptor", symbol);
        return s_refuse(h, path, why);
    }
    if (d->abi_major != major || d->abi_minor > minor) {
        snprintf(why, sizeof why, "ABI %u.%u, this kernel speaks %u.0-%u.%u", d->abi_major,
                 d->abi_minor, major, major, minor);
        return s_refuse(h, path, why);
    }
    if (d->struct_size < min_size) {
        snprintf(why, sizeof why, "descriptor is %u bytes, ABI %u.%u needs %u", d->struct_size,
                 d->abi_major, d->abi_minor, min_size);
        return s_refuse(h, path, why);
    }
    if (d->build_sig == NULL || strcmp(d->build_sig, PZ_BUILD_SIG) != 0) {
        snprintf(why, sizeof why, "build signature %s, expected %s",
                 d->build_sig ? d->build_sig : "(none)", PZ_BUILD_SIG);
        return s_refuse(h, path, why);
    }
    if (d->name == NULL || d->name[0] == '\0' || d->version == NULL) {
        return s_refuse(h, path, "descriptor has no name or version");
    }
    if (want_name && strcmp(d->name, want_name) != 0) {
        snprintf(why, sizeof why, "module calls itself \"%s\", configured as \"%s\"", d->name,
                 want_name);
        return s_refuse(h, path, why);
    }
    return d;
}

const void *pz_plugin_load(const char *file, const char *symbol, uint32_t major, uint32_t minor,
                           uint32_t min_size)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", pz_module_dir(), file);
    return s_load(path, symbol, major, minor, min_size, NULL);
}

const pz_module_desc_t *pz__module_load(const char *module_dir, const char *module)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/pz_%s.so", module_dir, module);
    const pz_module_desc_t *d =
        s_load(path, PZ_MODULE_SYMBOL, PZ_MODULE_ABI_MAJOR, PZ_MODULE_ABI_MINOR,
               (uint32_t)offsetof(pz_module_desc_t, reserved), module);
    if (d == NULL) {
        return NULL;
    }
    const char *missing = !d->init         ? "init"
                          : !d->fini       ? "fini"
                          : !d->on_message ? "on_message"
                                           : NULL;
    if (missing) {
        char why[128];
        snprintf(why, sizeof why, "required hook %s is not set", missing);
        s_refuse(NULL, path, why); /* keep it mapped: dlclose would unmap d under us */
        return NULL;
    }
    pz_log(NULL, PZ_LOG_DEBUG, "loaded %s (%s %s)", path, d->name, d->version);
    return d;
}
