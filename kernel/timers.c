/*
 * timers.c — per-thread timers: a binary min-heap of slots ordered by (due, seq). A handle is
 * (generation << 32 | slot + 1), so cancelling a timer that already fired (and whose slot was
 * reused) is a harmless no-op. A cancel removes the timer from the heap at once.
 * Only the owning kernel thread touches its timers: no locks.
 */
#include <assert.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define S_TIMERS_INITIAL 256u

uint64_t pz__mono_ms(void)
{
    return pz__mono_ns() / 1000000u;
}

int pz__timers_init(pz__thread_t *t)
{
    assert(t->timers == NULL);
    t->timers_cap = S_TIMERS_INITIAL;
    t->timers = calloc(t->timers_cap, sizeof *t->timers);
    t->heap = calloc(t->timers_cap, sizeof *t->heap);
    t->free_slots = calloc(t->timers_cap, sizeof *t->free_slots);
    if (!t->timers || !t->heap || !t->free_slots) {
        pz__timers_free(t);
        return PZ_ENOMEM;
    }
    for (uint32_t i = 0; i < t->timers_cap; i++) {
        t->free_slots[i] = t->timers_cap - 1 - i;
    }
    t->free_len = t->timers_cap;
    return 0;
}

void pz__timers_free(pz__thread_t *t)
{
    free(t->timers);
    free(t->heap);
    free(t->free_slots);
    t->timers = NULL;
    t->heap = NULL;
    t->free_slots = NULL;
    t->heap_len = t->free_len = t->timers_cap = 0;
}

static bool s_before(const pz__thread_t *t, uint32_t a, uint32_t b)
{
    const pz__timer_t *x = &t->timers[a], *y = &t->timers[b];
    return x->due_ms < y->due_ms || (x->due_ms == y->due_ms && x->seq < y->seq);
}

static void s_swap(pz__thread_t *t, uint32_t i, uint32_t j)
{
    uint32_t tmp = t->heap[i];
    t->heap[i] = t->heap[j];
    t->heap[j] = tmp;
    t->timers[t->heap[i]].heap_pos = i;
    t->timers[t->heap[j]].heap_pos = j;
}

static void s_sift_up(pz__thread_t *t, uint32_t i)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!s_before(t, t->heap[i], t->heap[p])) {
            break;
        }
        s_swap(t, i, p);
        i = p;
    }
}

static void s_sift_down(pz__thread_t *t, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->heap_len && s_before(t, t->heap[l], t->heap[m])) {
            m = l;
        }
        if (r < t->heap_len && s_before(t, t->heap[r], t->heap[m])) {
            m = r;
        }
        if (m == i) {
            return;
        }
        s_swap(t, i, m);
        i = m;
    }
}

static int s_grow(pz__thread_t *t)
{
    uint32_t cap = t->timers_cap * 2;
    if (cap > PZ_TIMERS_MAX) {
        return PZ_ELIMIT;
    }
    pz__timer_t *timers = realloc(t->timers, cap * sizeof *timers);
    if (timers == NULL) {
        return PZ_ENOMEM;
    }
    t->timers = timers;
    uint32_t *heap = realloc(t->heap, cap * sizeof *heap);
    if (heap == NULL) {
        return PZ_ENOMEM;
    }
    t->heap = heap;
    uint32_t *fs = realloc(t->free_slots, cap * sizeof *fs);
    if (fs == NULL) {
        return PZ_ENOMEM;
    }
    t->free_slots = fs;
    for (uint32_t i = t->timers_cap; i < cap; i++) {
        t->timers[i] = (pz__timer_t){0};
        t->free_slots[t->free_len++] = cap - 1 - (i - t->timers_cap);
    }
    t->timers_cap = cap;
    return 0;
}

int64_t pz__timer_add(pz__thread_t *t, pz_actor_t *a, uint32_t delay_ms, uint8_t kind, uint64_t arg)
{
    assert(t != NULL && a != NULL);
    if (t->free_len == 0) {
        int rc = s_grow(t);
        if (rc != 0) {
            return rc;
        }
    }
    uint32_t slot = t->free_slots[--t->free_len];
    pz__timer_t *tm = &t->timers[slot];
    assert(!tm->live);
    uint32_t gen = tm->gen + 1;
    *tm = (pz__timer_t){.due_ms = pz__mono_ms() + delay_ms,
                        .seq = ++t->timer_seq,
                        .actor = a,
                        .arg = arg,
                        .gen = gen,
                        .kind = kind,
                        .live = true};
    t->heap[t->heap_len] = slot;
    tm->heap_pos = t->heap_len;
    s_sift_up(t, t->heap_len++);
    return ((int64_t)gen << 32) | (int64_t)(slot + 1);
}

/* Removes the timer at heap position i and frees its slot. */
static void s_remove_at(pz__thread_t *t, uint32_t i)
{
    assert(i < t->heap_len);
    uint32_t slot = t->heap[i];
    t->timers[slot].live = false;
    t->free_slots[t->free_len++] = slot;
    uint32_t last = --t->heap_len;
    if (i != last) {
        t->heap[i] = t->heap[last];
        t->timers[t->heap[i]].heap_pos = i;
        s_sift_down(t, i);
        s_sift_up(t, i);
    }
}

void pz__timer_cancel(pz__thread_t *t, int64_t handle)
{
    if (handle <= 0) {
        return;
    }
    uint32_t slot = (uint32_t)(handle & 0xffffffff) - 1;
    uint32_t gen = (uint32_t)(handle >> 32);
    if (slot < t->timers_cap && t->timers[slot].live && t->timers[slot].gen == gen) {
        assert(t->heap[t->timers[slot].heap_pos] == slot);
        s_remove_at(t, t->timers[slot].heap_pos);
    }
}

long pz__timers_next_ms(pz__thread_t *t)
{
    if (t->heap_len == 0) {
        return -1;
    }
    uint64_t now = pz__mono_ms(), due = t->timers[t->heap[0]].due_ms;
    return due <= now ? 0 : (long)(due - now);
}

bool pz__timers_pop_due(pz__thread_t *t, pz__timer_t *out)
{
    if (t->heap_len == 0 || t->timers[t->heap[0]].due_ms > pz__mono_ms()) {
        return false;
    }
    *out = t->timers[t->heap[0]];
    s_remove_at(t, 0);
    return true;
}
