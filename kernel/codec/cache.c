/*
 * cache.c — per-thread free lists for the fixed-size blocks every message allocates.
 *
 * Why: a get through the five layers makes eight messages, and each took four or five blocks
 * from malloc (the message, its arena's header and first chunk, the outgoing message) and gave
 * them back a hop later. glibc serves some of that from its per-thread cache, but calloc never
 * does, and a burst of more than seven frees of one size overflows it into the locked paths:
 * malloc and free were a quarter of the kernel thread's instructions per get. A list per thread
 * and kind needs no lock and no size lookup: a pop and a push.
 *
 * Bounds: at most S_KEEP_MAX blocks per kind and thread (a few hundred KiB per thread at most);
 * a thread that exits frees its lists (a pthread key's destructor). A block freed on another
 * thread than the one that took it simply joins that thread's list.
 *
 * Under AddressSanitizer the lists are off: every block goes back to free(), so a use after
 * free is still caught at the first touch rather than hidden by a recycled block.
 */
#include "cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define S_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define S_OFF 1
#endif
#endif
#ifndef S_OFF
#define S_OFF 0
#endif

#define S_KEEP_MAX 64u

typedef struct {
    void *blocks[PZ__CACHE_KINDS][S_KEEP_MAX];
    uint32_t len[PZ__CACHE_KINDS];
    bool registered; /* the key's destructor will run at thread exit */
} s_lists_t;

/* initial-exec: libpzcore is linked, never dlopen()ed, so its thread-locals are in the static TLS
 * block and an access is one load off %fs, not a __tls_get_addr call per get and put. */
static _Thread_local s_lists_t s_lists __attribute__((tls_model("initial-exec")));
static pthread_key_t s_key;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static bool s_key_ok;

static void s_thread_exit(void *arg)
{
    s_lists_t *l = arg;
    for (int k = 0; k < PZ__CACHE_KINDS; k++) {
        while (l->len[k] > 0) {
            free(l->blocks[k][--l->len[k]]);
        }
    }
    l->registered = false;
}

static void s_key_init(void)
{
    s_key_ok = pthread_key_create(&s_key, s_thread_exit) == 0;
}

void *pz__cache_get(pz__cache_kind_t kind, size_t size)
{
    s_lists_t *l = &s_lists;
    if (l->len[kind] > 0) {
        return l->blocks[kind][--l->len[kind]];
    }
    return malloc(size);
}

void pz__cache_put(pz__cache_kind_t kind, void *block)
{
    if (block == NULL) {
        return;
    }
    s_lists_t *l = &s_lists;
    if (!S_OFF && !l->registered) {
        pthread_once(&s_once, s_key_init);
        l->registered = s_key_ok && pthread_setspecific(s_key, l) == 0;
    }
    if (S_OFF || !l->registered || l->len[kind] == S_KEEP_MAX) {
        free(block);
        return;
    }
    l->blocks[kind][l->len[kind]++] = block;
}
