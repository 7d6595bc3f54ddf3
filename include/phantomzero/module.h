/*
 * module.h — the module ABI.
 *
 * A layer module (sql, txn, dist, repl, storage, admin) is a shared object that exports exactly
 * one symbol, PZ_MODULE_SYMBOL: a function returning a pointer to a static const
 * pz_module_desc_t (PostgreSQL's PG_MODULE_MAGIC shape: a function, not a data symbol, so the
 * descriptor is built by the module's own code). The kernel's loader checks, in order, and refuses
 * the module with one log line naming the file and the reason:
 *   1. the file opens (dlopen) and exports the symbol;
 *   2. abi_major == PZ_MODULE_ABI_MAJOR and abi_minor <= the kernel's minor;
 *   3. struct_size covers every field of that minor version;
 *   4. build_sig == PZ_BUILD_SIG;
 *   5. name is set and matches the configured module name; version is set;
 *   6. the required hooks (init, fini, on_message) are set.
 *
 * Each configured instance of a module becomes one actor. The kernel calls every hook of an actor
 * on that actor's kernel thread, never two at once for one actor, so module state needs no locks.
 * Hooks must not block on another actor: they react and return (DESIGN.md rule 3).
 *
 * Fields are appended only; each added field says "added in vN".
 */
#ifndef PHANTOMZERO_MODULE_H
#define PHANTOMZERO_MODULE_H

#include <stdint.h>

#include "phantomzero/abi.h"
#include "phantomzero/kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PZ_MODULE_ABI_MAJOR 1
#define PZ_MODULE_ABI_MINOR 0
#define PZ_MODULE_SYMBOL "pz_module_descriptor"

typedef struct pz_module_desc {
    /* --- header: never changes shape ------------------------------------------------------ */
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t struct_size;  /* sizeof(pz_module_desc_t) as the module compiled it */
    const char *build_sig; /* PZ_BUILD_SIG */
    const char *name;      /* "repl": must match the module name in the config */
    const char *version;

    /* --- v1.0 hooks ------------------------------------------------------------------------ */

    /* Required. Creates the actor's state from its config section (`cfg`, valid only during the
     * call: copy what you keep). May send messages and arm timers. Returns 0 or a PZ_E* code;
     * on failure the process stops, after logging the reason the module gave with pz_log. */
    int (*init)(pz_actor_t *self, const pz_cfg_t *cfg, void **state);

    /* Required. Frees the state. Called once, after the last message, even if init failed
     * after setting *state (then with that state), never with state NULL. */
    void (*fini)(pz_actor_t *self, void *state);

    /* Required. One message for this actor: a request, a reply to a request it made (see
     * pz_msg_is_reply), or a synthesized error reply when its request timed out. The message
     * belongs to the kernel and is freed after the call: copy what you keep, or take it with
     * pz_msg_keep. Returns 0; a negative code is logged and counted, never fatal. */
    int (*on_message)(pz_actor_t *self, void *state, pz_msg_t *msg);

    /* Optional. A timer armed with pz_timer_arm fired. */
    void (*on_timer)(pz_actor_t *self, void *state, uint64_t timer_id);

    /* Spare slots: later hooks go here, each marked "added in v1.N". */
    void *reserved[8];
} pz_module_desc_t;

typedef const pz_module_desc_t *(*pz_module_desc_fn)(void);

/* The descriptor header fields every module fills the same way:
 *     static const pz_module_desc_t s_desc = {PZ_MODULE_HEADER("repl"), .init = ..., ...}; */
#define PZ_MODULE_HEADER(module_name)                                                            \
    .abi_major = PZ_MODULE_ABI_MAJOR, .abi_minor = PZ_MODULE_ABI_MINOR,                          \
    .struct_size = sizeof(pz_module_desc_t), .build_sig = PZ_BUILD_SIG, .name = (module_name),   \
    .version = PZ_VERSION

/* Declares the single exported symbol. Usage at file scope:
 *     PZ_MODULE_DEFINE(s_desc)   where s_desc is a static const pz_module_desc_t */
#define PZ_MODULE_DEFINE(desc)                                                                   \
    PZ_EXPORT const pz_module_desc_t *pz_module_descriptor(void);                                \
    PZ_EXPORT const pz_module_desc_t *pz_module_descriptor(void)                                 \
    {                                                                                            \
        return &(desc);                                                                          \
    }

#ifdef __cplusplus
}
#endif
#endif
