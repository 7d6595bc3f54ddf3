/*
 * arena.c — the per-message bump allocator (codec.h, pz_arena_*).
 *
 * A decoded message's arrays and copied strings live here and die together, so decoders never
 * track individual frees. Memory comes in chunks from malloc and each allocation is zeroed as it
 * is handed out (zeroing whole chunks up front cost more than the decoding on the hot path; a
 * first chunk small enough for glibc's tcache makes a small message's arena nearly free). Small
 * requests share chunks that double in size up to S_CHUNK_BYTES_MAX; a request larger than that
 * gets a chunk of its own, inserted behind the current one so the current chunk's free tail is not
 * wasted. Everything handed out counts against PZ_ARENA_BYTES_MAX: an input that asks for more (a
 * huge array count) fails cleanly instead of exhausting the process.
 */
#include "phantomzero/codec.h"

#include "cache.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_ALIGN 16u
/* The first chunk: most messages decode a handful of small arrays. Header + slack + this stays
 * under glibc's tcache limit (1032 bytes), so the common case is a tcache hit. */
#define S_CHUNK_BYTES_MIN 960u
/* Chunks stop doubling here: larger shared chunks would waste more of their tail. */
#define S_CHUNK_BYTES_MAX (1024u * 1024u)

typedef struct s_chunk {
    struct s_chunk *next;
    uint8_t *data; /* S_ALIGN-aligned start of the usable bytes */
    size_t cap;
    size_t used;
} s_chunk_t;

struct pz_arena {
    s_chunk_t *head; /* the chunk small requests bump from; older chunks follow */
    size_t used;     /* bytes handed out (rounded to S_ALIGN), bounded by PZ_ARENA_BYTES_MAX */
    size_t next_cap; /* size of the next shared chunk */
};

/* Headers and first chunks come from the thread's free lists (cache.c): every received message
 * that is decoded makes an arena. */
pz_arena_t *pz_arena_new(void)
{
    pz_arena_t *a = pz__cache_get(PZ__CACHE_ARENA, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    *a = (pz_arena_t){.head = NULL, .used = 0, .next_cap = S_CHUNK_BYTES_MIN};
    return a;
}

void pz_arena_destroy(pz_arena_t **a)
{
    if (a == NULL || *a == NULL) {
        return;
    }
    s_chunk_t *c = (*a)->head;
    while (c != NULL) {
        s_chunk_t *next = c->next;
        if (c->cap == S_CHUNK_BYTES_MIN) {
            pz__cache_put(PZ__CACHE_CHUNK, c);
        } else {
            free(c);
        }
        c = next;
    }
    pz__cache_put(PZ__CACHE_ARENA, *a);
    *a = NULL;
}

/* One malloc holds the header, alignment slack and cap usable bytes. */
static s_chunk_t *s_chunk_new(size_t cap)
{
    assert(cap > 0 && cap <= PZ_ARENA_BYTES_MAX);
    size_t bytes = sizeof(s_chunk_t) + S_ALIGN - 1 + cap;
    s_chunk_t *c = cap == S_CHUNK_BYTES_MIN ? pz__cache_get(PZ__CACHE_CHUNK, bytes) : malloc(bytes);
    if (c == NULL) {
        return NULL;
    }
    uintptr_t p = (uintptr_t)(c + 1);
    p = (p + S_ALIGN - 1) & ~(uintptr_t)(S_ALIGN - 1);
    c->next = NULL;
    c->data = (uint8_t *)p;
    c->cap = cap;
    c->used = 0;
    assert(((uintptr_t)c->data % S_ALIGN) == 0);
    return c;
}

void *pz_arena_alloc(pz_arena_t *a, size_t bytes)
{
    assert(a != NULL);
    assert(a->used <= PZ_ARENA_BYTES_MAX);
    /* Zero-byte requests still get a distinct, valid pointer: callers test for NULL. */
    if (bytes == 0) {
        bytes = 1;
    }
    if (bytes > PZ_ARENA_BYTES_MAX - a->used) {
        return NULL;
    }
    size_t n = (bytes + S_ALIGN - 1) & ~(size_t)(S_ALIGN - 1);
    if (n > PZ_ARENA_BYTES_MAX - a->used) {
        return NULL;
    }
    s_chunk_t *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        if (n > S_CHUNK_BYTES_MAX / 2) {
            /* Big: a chunk of its own, behind head so head keeps serving small requests. */
            c = s_chunk_new(n);
            if (c == NULL) {
                return NULL;
            }
            if (a->head == NULL) {
                a->head = c;
            } else {
                c->next = a->head->next;
                a->head->next = c;
            }
        } else {
            c = s_chunk_new(a->next_cap > n ? a->next_cap : n);
            if (c == NULL) {
                return NULL;
            }
            c->next = a->head;
            a->head = c;
            if (a->next_cap < S_CHUNK_BYTES_MAX) {
                a->next_cap *= 2;
            }
        }
    }
    assert(c->cap - c->used >= n);
    void *p = c->data + c->used;
    c->used += n;
    a->used += n;
    assert(((uintptr_t)p % S_ALIGN) == 0);
    memset(p, 0, n);
    return p;
}

pz_view_t pz_arena_dup(pz_arena_t *a, const void *p, size_t len)
{
    assert(a != NULL);
    assert(p != NULL || len == 0);
    pz_view_t v = {NULL, 0};
    if (len > UINT32_MAX) {
        return v;
    }
    uint8_t *d = pz_arena_alloc(a, len);
    if (d == NULL) {
        return v;
    }
    if (len > 0) {
        memcpy(d, p, len);
    }
    v.ptr = d;
    v.len = (uint32_t)len;
    return v;
}

size_t pz_arena_used(const pz_arena_t *a)
{
    assert(a != NULL);
    assert(a->used <= PZ_ARENA_BYTES_MAX);
    return a->used;
}
