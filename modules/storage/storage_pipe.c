/*
 * storage_pipe.c — the bookkeeping of pipelined writes (storage_pipe.h).
 *
 * Plain arrays searched linearly: the table holds about one entry per writing transaction in
 * flight (tens), and every search is one pass over it; no allocation once the arrays grew.
 */
#include "storage_pipe.h"

#include <stdlib.h>
#include <string.h>

#include "phantomzero/errors.h"
#include "storage_assert.h"

typedef struct {
    uint64_t token;
    uint8_t id[PZ_TXN_ID_BYTES];
    bool done;
    int rc;
    void *waiter;
    uint64_t done_ms;
} s_entry_t;

typedef struct {
    uint8_t id[PZ_TXN_ID_BYTES];
    void *ptr;
} s_parked_t;

typedef struct {
    uint8_t id[PZ_TXN_ID_BYTES];
    int rc; /* the first failure's code */
} s_failed_t;

struct pz__pipe {
    s_entry_t *e;
    uint32_t len, cap;
    uint64_t next_token;
    s_parked_t *parked;
    uint32_t parked_len, parked_cap;
    s_failed_t failed[PZ_PIPE_FAILED_MAX];
    uint32_t failed_len, failed_next;
    pz_hlc_t horizon; /* a failure was forgotten: refuse transactions that began by then */
};

pz__pipe_t *pz__pipe_new(void)
{
    pz__pipe_t *p = calloc(1, sizeof *p);
    if (p != NULL) {
        p->next_token = 1;
    }
    return p;
}

void pz__pipe_destroy(pz__pipe_t **pp, void (*drop)(void *ctx, void *ptr), void *ctx)
{
    pz__pipe_t *p = pp ? *pp : NULL;
    if (p == NULL) {
        return;
    }
    for (uint32_t i = 0; drop != NULL && i < p->len; i++) {
        if (p->e[i].waiter != NULL) {
            drop(ctx, p->e[i].waiter);
        }
    }
    for (uint32_t i = 0; drop != NULL && i < p->parked_len; i++) {
        drop(ctx, p->parked[i].ptr);
    }
    free(p->e);
    free(p->parked);
    free(p);
    *pp = NULL;
}

static int s_grow(void **v, uint32_t *cap, size_t size, uint32_t max)
{
    uint32_t ncap = *cap ? *cap * 2 : 16;
    ncap = ncap > max ? max : ncap;
    void *n = realloc(*v, size * ncap);
    if (n == NULL) {
        return PZ_ENOMEM;
    }
    *v = n;
    *cap = ncap;
    return 0;
}

int pz__pipe_add(pz__pipe_t *p, const uint8_t *id, uint64_t *token)
{
    PZ_ST_ASSERT(p != NULL && id != NULL && token != NULL);
    if (p->len == PZ_PIPE_ENTRIES_MAX) {
        return PZ_EBUSY;
    }
    if (p->len == p->cap) {
        int rc = s_grow((void **)&p->e, &p->cap, sizeof *p->e, PZ_PIPE_ENTRIES_MAX);
        if (rc != 0) {
            return rc;
        }
    }
    s_entry_t *e = &p->e[p->len++];
    memset(e, 0, sizeof *e);
    e->token = p->next_token++;
    memcpy(e->id, id, PZ_TXN_ID_BYTES);
    *token = e->token;
    return 0;
}

static s_entry_t *s_find(pz__pipe_t *p, uint64_t token)
{
    for (uint32_t i = 0; i < p->len; i++) {
        if (p->e[i].token == token) {
            return &p->e[i];
        }
    }
    return NULL;
}

static void s_remove(pz__pipe_t *p, s_entry_t *e)
{
    PZ_ST_ASSERT(e >= p->e && e < p->e + p->len);
    *e = p->e[--p->len]; /* order does not matter */
}

void pz__pipe_cancel(pz__pipe_t *p, uint64_t token)
{
    PZ_ST_ASSERT(p != NULL && token != 0);
    s_entry_t *e = s_find(p, token);
    PZ_ST_ASSERT(e != NULL && !e->done && e->waiter == NULL);
    s_remove(p, e);
}

/* The code of id's first failed commit; 0 when none is remembered. */
static int s_failed(const pz__pipe_t *p, const uint8_t *id)
{
    for (uint32_t i = 0; i < p->failed_len; i++) {
        if (memcmp(p->failed[i].id, id, PZ_TXN_ID_BYTES) == 0) {
            return p->failed[i].rc;
        }
    }
    return 0;
}

static void s_note_failure(pz__pipe_t *p, const uint8_t *id, int rc, pz_hlc_t now_ts)
{
    if (s_failed(p, id) != 0) {
        return;
    }
    if (p->failed_len == PZ_PIPE_FAILED_MAX) {
        p->horizon = now_ts; /* the one pushed out began before now */
    } else {
        p->failed_len++;
    }
    s_failed_t *f = &p->failed[p->failed_next];
    memcpy(f->id, id, PZ_TXN_ID_BYTES);
    f->rc = rc;
    p->failed_next = (p->failed_next + 1) % PZ_PIPE_FAILED_MAX;
}

void pz__pipe_fail(pz__pipe_t *p, const uint8_t *id, int rc, pz_hlc_t now_ts)
{
    PZ_ST_ASSERT(p != NULL && id != NULL && rc != 0);
    s_note_failure(p, id, rc, now_ts);
}

void *pz__pipe_done(pz__pipe_t *p, uint64_t token, int rc, uint64_t now_ms, pz_hlc_t now_ts)
{
    PZ_ST_ASSERT(p != NULL && token != 0);
    s_entry_t *e = s_find(p, token);
    PZ_ST_ASSERT(e != NULL && !e->done); /* every added token is done exactly once */
    if (rc != 0) {
        s_note_failure(p, e->id, rc, now_ts);
    }
    void *waiter = e->waiter;
    if (waiter != NULL) {
        s_remove(p, e);
        return waiter;
    }
    e->done = true;
    e->rc = rc;
    e->done_ms = now_ms;
    return NULL;
}

int pz__pipe_wait(pz__pipe_t *p, uint64_t token, void *waiter, int *rc)
{
    PZ_ST_ASSERT(p != NULL && waiter != NULL && rc != NULL);
    s_entry_t *e = token != 0 ? s_find(p, token) : NULL;
    if (e == NULL || (!e->done && e->waiter != NULL)) {
        return PZ_ENOTFOUND; /* unknown, forgotten, or asked twice */
    }
    if (e->done) {
        *rc = e->rc;
        s_remove(p, e);
        return 1;
    }
    e->waiter = waiter;
    return 0;
}

static bool s_committing(const pz__pipe_t *p, const uint8_t *id)
{
    for (uint32_t i = 0; i < p->len; i++) {
        if (!p->e[i].done && memcmp(p->e[i].id, id, PZ_TXN_ID_BYTES) == 0) {
            return true;
        }
    }
    return false;
}

int pz__pipe_end_check(const pz__pipe_t *p, const uint8_t *id, pz_hlc_t min_ts)
{
    PZ_ST_ASSERT(p != NULL && id != NULL);
    if (s_committing(p, id)) {
        return PZ_EBUSY;
    }
    int rc = s_failed(p, id);
    if (rc == 0 && !pz_hlc_is_zero(p->horizon) && pz_hlc_cmp(min_ts, p->horizon) <= 0) {
        rc = PZ_EIO;
    }
    return rc;
}

int pz__pipe_park(pz__pipe_t *p, const uint8_t *id, void *ptr)
{
    PZ_ST_ASSERT(p != NULL && id != NULL && ptr != NULL);
    if (p->parked_len == PZ_PIPE_PARKED_MAX) {
        return PZ_EBUSY;
    }
    if (p->parked_len == p->parked_cap) {
        int rc = s_grow((void **)&p->parked, &p->parked_cap, sizeof *p->parked, PZ_PIPE_PARKED_MAX);
        if (rc != 0) {
            return rc;
        }
    }
    s_parked_t *k = &p->parked[p->parked_len++];
    memcpy(k->id, id, PZ_TXN_ID_BYTES);
    k->ptr = ptr;
    return 0;
}

void *pz__pipe_unpark(pz__pipe_t *p)
{
    PZ_ST_ASSERT(p != NULL);
    for (uint32_t i = 0; i < p->parked_len; i++) {
        if (!s_committing(p, p->parked[i].id)) {
            void *ptr = p->parked[i].ptr;
            /* Keep the order of the rest: parked END_TXNs run in arrival order. */
            memmove(&p->parked[i], &p->parked[i + 1], sizeof *p->parked * (p->parked_len - i - 1));
            p->parked_len--;
            return ptr;
        }
    }
    return NULL;
}

uint32_t pz__pipe_purge(pz__pipe_t *p, uint64_t now_ms)
{
    PZ_ST_ASSERT(p != NULL);
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->len;) {
        s_entry_t *e = &p->e[i];
        if (e->done && now_ms - e->done_ms >= PZ_PIPE_UNASKED_MS) {
            s_remove(p, e);
            n++;
        } else {
            i++;
        }
    }
    return n;
}

uint32_t pz__pipe_len(const pz__pipe_t *p)
{
    return p ? p->len : 0;
}
