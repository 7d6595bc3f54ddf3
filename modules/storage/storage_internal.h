/*
 * storage_internal.h — what the storage module's actor glue shares (internal).
 */
#ifndef PZ_STORAGE_INTERNAL_H
#define PZ_STORAGE_INTERNAL_H

#include "engine_wrap.h"
#include "phantomzero/kernel.h"

/* The committer thread's completion notice to its own actor. Storage's internal message ids
 * are 1400..1499: ids from 1000 up belong to modules, and this one never leaves the process
 * (it goes from the committer thread's mailslot to the actor itself). Body: one msgpack
 * unsigned integer, the sequence number of the last finished group (for debugging only). */
#define PZ_STORAGE_MSG_COMMITTED 1400u

/* A reap that no notification triggered: if a notice is lost (a mailslot that cannot be
 * opened), waiting requests are still answered, just late. */
#define PZ_STORAGE_REAP_BACKSTOP_MS 500u

/* Ranges whose GC threshold the actor caches (mvcc_gc.c); past it the cache starts over (a
 * miss costs one engine read of the threshold). */
#define PZ_STORAGE_GC_CACHE_MAX 65536u

/* Loads pz_engine_<name>.so through the kernel and checks every v1.0 method is set; logs the
 * reason and returns PZ_ECONFIG (bad name) or PZ_EABI (refused) otherwise. */
int pz__engine_load(const pz_actor_t *self, const char *name, const pz_engine_desc_t **out);

#endif
