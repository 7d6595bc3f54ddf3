/* lock_table.c — see lock_table.h. */
#include "lock_table.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/errors.h"

typedef struct {
    uint64_t range_id;
    pz_view_t key; /* owned */
    pz__txnmeta_t holder;
    pz__lt_waiter_t *w; /* FIFO; each owns its pusher meta */
    uint32_t len, cap;
} s_queue_t;

struct pz__lt {
    s_queue_t *q;
    uint32_t q_len, q_cap;
    pz__lt_push_t **p;
    uint32_t p_len, p_cap;
    uint32_t waiters;
};

pz__lt_t *pz__lt_new(void)
{
    return calloc(1, sizeof(pz__lt_t));
}

static void s_queue_free(s_queue_t *q)
{
    for (uint32_t i = 0; i < q->len; i++) {
        pz__txnmeta_clear(&q->w[i].pusher);
    }
    free(q->w);
    free((void *)q->key.ptr);
    pz__txnmeta_clear(&q->holder);
}

static void s_push_free(pz__lt_push_t *p)
{
    pz__txnmeta_clear(&p->holder);
    pz__txnmeta_clear(&p->pusher);
    free(p);
}

void pz__lt_free(pz__lt_t **ltp)
{
    pz__lt_t *lt = *ltp;
    if (lt == NULL) {
        return;
    }
    for (uint32_t i = 0; i < lt->q_len; i++) {
        s_queue_free(&lt->q[i]);
    }
    for (uint32_t i = 0; i < lt->p_len; i++) {
        s_push_free(lt->p[i]);
    }
    free(lt->q);
    free(lt->p);
    free(lt);
    *ltp = NULL;
}

static s_queue_t *s_queue_find(pz__lt_t *lt, uint64_t range_id, pz_view_t key)
{
    for (uint32_t i = 0; i < lt->q_len; i++) {
        if (lt->q[i].range_id == range_id && pz_view_eq(lt->q[i].key, key)) {
            return &lt->q[i];
        }
    }
    return NULL;
}

/* A new empty queue for (range_id, key) held by holder; NULL on PZ_ENOMEM or past the bound. */
static s_queue_t *s_queue_add(pz__lt_t *lt, uint64_t range_id, pz_view_t key,
                              const pz_kv_txn_t *holder)
{
    if (lt->q_len >= PZ_LOCK_QUEUES_MAX) {
        return NULL;
    }
    if (lt->q_len == lt->q_cap) {
        uint32_t cap = lt->q_cap ? lt->q_cap * 2 : 16;
        s_queue_t *grown = realloc(lt->q, cap * sizeof *grown);
        if (grown == NULL) {
            return NULL;
        }
        lt->q = grown, lt->q_cap = cap;
    }
    s_queue_t *q = &lt->q[lt->q_len];
    *q = (s_queue_t){.range_id = range_id};
    uint8_t *k = malloc(key.len ? key.len : 1);
    if (k == NULL || pz__txnmeta_set(&q->holder, holder) != 0) {
        free(k);
        return NULL;
    }
    if (key.len) {
        memcpy(k, key.ptr, key.len);
    }
    q->key = (pz_view_t){k, key.len};
    lt->q_len++;
    return q;
}

static void s_queue_remove(pz__lt_t *lt, s_queue_t *q)
{
    assert(q >= lt->q && q < lt->q + lt->q_len);
    s_queue_free(q);
    *q = lt->q[--lt->q_len];
}

static pz__lt_push_t *s_push_find(pz__lt_t *lt, pz_view_t holder, const pz__txnmeta_t *pusher,
                                  uint8_t type)
{
    for (uint32_t i = 0; i < lt->p_len; i++) {
        pz__lt_push_t *p = lt->p[i];
        if (p->push_type == type && pz_view_eq(pz__txnmeta_id(&p->holder), holder) &&
            pz__txnmeta_same(&p->pusher, pusher)) {
            return p;
        }
    }
    return NULL;
}

static pz__lt_push_t *s_push_add(pz__lt_t *lt, const pz__txnmeta_t *holder,
                                 const pz__lt_waiter_t *w)
{
    if (lt->p_len >= PZ_LOCK_PUSHES_MAX) {
        return NULL;
    }
    if (lt->p_len == lt->p_cap) {
        uint32_t cap = lt->p_cap ? lt->p_cap * 2 : 16;
        pz__lt_push_t **grown = realloc(lt->p, cap * sizeof *grown);
        if (grown == NULL) {
            return NULL;
        }
        lt->p = grown, lt->p_cap = cap;
    }
    pz__lt_push_t *p = calloc(1, sizeof *p);
    if (p == NULL || pz__txnmeta_copy(&p->holder, holder) != 0 ||
        pz__txnmeta_copy(&p->pusher, &w->pusher) != 0) {
        if (p != NULL) {
            s_push_free(p);
        }
        return NULL;
    }
    p->push_type = w->push_type;
    p->push_to = w->push_to;
    p->nowait = w->nowait;
    p->in_flight = true;
    lt->p[lt->p_len++] = p;
    return p;
}

void pz__lt_push_done(pz__lt_t *lt, pz__lt_push_t *p, uint64_t retry_at_ms);

static int s_queue_append(s_queue_t *q, const pz__lt_waiter_t *w)
{
    if (q->len == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : 4;
        pz__lt_waiter_t *grown = realloc(q->w, cap * sizeof *grown);
        if (grown == NULL) {
            return PZ_ENOMEM;
        }
        q->w = grown, q->cap = cap;
    }
    q->w[q->len] = *w;
    if (pz__txnmeta_copy(&q->w[q->len].pusher, &w->pusher) != 0) {
        return PZ_ENOMEM;
    }
    q->len++;
    return 0;
}

int pz__lt_wait(pz__lt_t *lt, uint64_t range_id, pz_view_t key, const pz_kv_txn_t *holder,
                const pz__lt_waiter_t *w, pz__lt_push_t **push)
{
    assert(lt != NULL && holder != NULL && w != NULL && push != NULL);
    assert(w->push_type >= PZ_PUSH_TIMESTAMP && w->push_type <= PZ_PUSH_TOUCH);
    *push = NULL;
    if (lt->waiters >= PZ_LOCK_WAITERS_MAX) {
        return PZ_EBUSY;
    }
    s_queue_t *q = s_queue_find(lt, range_id, key);
    bool fresh = q == NULL;
    if (fresh && (q = s_queue_add(lt, range_id, key, holder)) == NULL) {
        return lt->q_len >= PZ_LOCK_QUEUES_MAX ? PZ_EBUSY : PZ_ENOMEM;
    }
    if (!fresh && !pz_view_eq(pz__txnmeta_id(&q->holder), holder->id)) {
        /* The key changed hands since the queue formed: push the newest holder. */
        pz__txnmeta_t m;
        if (pz__txnmeta_set(&m, holder) != 0) {
            return PZ_ENOMEM;
        }
        pz__txnmeta_clear(&q->holder);
        q->holder = m;
    }
    pz__lt_push_t *p = s_push_find(lt, pz__txnmeta_id(&q->holder), &w->pusher, w->push_type);
    bool started = p == NULL;
    if (started && (p = s_push_add(lt, &q->holder, w)) == NULL) {
        if (q->len == 0) {
            s_queue_remove(lt, q);
        }
        return lt->p_len >= PZ_LOCK_PUSHES_MAX ? PZ_EBUSY : PZ_ENOMEM;
    }
    int rc = s_queue_append(q, w);
    if (rc != 0) {
        if (q->len == 0) {
            s_queue_remove(lt, q);
        }
        if (started) {
            pz__lt_push_done(lt, p, 0); /* never sent: nothing may join it */
        }
        return rc;
    }
    lt->waiters++;
    if (pz_hlc_cmp(w->push_to, p->push_to) > 0) {
        p->push_to = w->push_to; /* the next send asks for the newest */
    }
    p->nowait = p->nowait || w->nowait;
    *push = started ? p : NULL;
    return 0;
}

static void s_take(pz__lt_t *lt, s_queue_t *q, uint32_t i)
{
    assert(i < q->len && lt->waiters > 0);
    pz__txnmeta_clear(&q->w[i].pusher);
    memmove(&q->w[i], &q->w[i + 1], (q->len - i - 1) * sizeof *q->w);
    q->len--;
    lt->waiters--;
}

static bool s_in_span(pz_view_t k, pz_view_t start, pz_view_t end)
{
    if (end.len == 0) {
        return pz_view_eq(k, start);
    }
    return pz_view_cmp(k, start) >= 0 && pz_view_cmp(k, end) < 0;
}

uint32_t pz__lt_release(pz__lt_t *lt, uint64_t range_id, pz_view_t start, pz_view_t end,
                        void **owners, uint32_t cap)
{
    assert(lt != NULL && (owners != NULL || cap == 0));
    uint32_t n = 0;
    for (uint32_t i = 0; i < lt->q_len && n < cap;) {
        s_queue_t *q = &lt->q[i];
        if (q->range_id != range_id || !s_in_span(q->key, start, end)) {
            i++;
            continue;
        }
        while (q->len > 0 && n < cap) {
            owners[n++] = q->w[0].owner;
            s_take(lt, q, 0);
        }
        if (q->len == 0) {
            s_queue_remove(lt, q); /* the last queue moved to i: look at it next */
        } else {
            i++;
        }
    }
    return n;
}

void pz__lt_held_keys(const pz__lt_t *lt, pz_view_t holder_id,
                      void (*fn)(void *ctx, uint64_t range_id, pz_view_t key), void *ctx)
{
    assert(lt != NULL && fn != NULL);
    for (uint32_t i = 0; i < lt->q_len; i++) {
        if (pz_view_eq(pz__txnmeta_id(&lt->q[i].holder), holder_id)) {
            fn(ctx, lt->q[i].range_id, lt->q[i].key);
        }
    }
}

static bool s_waits_on(const s_queue_t *q, const pz__lt_waiter_t *w, const pz__lt_push_t *p)
{
    return w->push_type == p->push_type && pz__txnmeta_same(&w->pusher, &p->pusher) &&
           pz__txnmeta_same(&q->holder, &p->holder);
}

/* Takes every waiter that match(q, w, arg) selects out of its queue (queues left empty go). */
static uint32_t s_take_matching(pz__lt_t *lt,
                                bool (*match)(const s_queue_t *, const pz__lt_waiter_t *,
                                              const void *),
                                const void *arg, void **owners, uint32_t cap)
{
    assert(lt != NULL && match != NULL && (owners != NULL || cap == 0));
    uint32_t n = 0;
    for (uint32_t i = 0; i < lt->q_len && n < cap;) {
        s_queue_t *q = &lt->q[i];
        for (uint32_t j = 0; j < q->len && n < cap;) {
            if (match(q, &q->w[j], arg)) {
                owners[n++] = q->w[j].owner;
                s_take(lt, q, j);
            } else {
                j++;
            }
        }
        if (q->len == 0) {
            s_queue_remove(lt, q);
        } else {
            i++;
        }
    }
    return n;
}

static bool s_match_push(const s_queue_t *q, const pz__lt_waiter_t *w, const void *arg)
{
    return s_waits_on(q, w, arg);
}

uint32_t pz__lt_take_push_waiters(pz__lt_t *lt, const pz__lt_push_t *p, void **owners, uint32_t cap)
{
    assert(p != NULL);
    return s_take_matching(lt, s_match_push, p, owners, cap);
}

static bool s_match_pusher(const s_queue_t *q, const pz__lt_waiter_t *w, const void *arg)
{
    (void)q;
    const pz_view_t *id = arg;
    return pz_view_eq(pz__txnmeta_id(&w->pusher), *id);
}

uint32_t pz__lt_take_pusher_waiters(pz__lt_t *lt, pz_view_t pusher_id, void **owners, uint32_t cap)
{
    assert(pusher_id.len > 0);
    return s_take_matching(lt, s_match_pusher, &pusher_id, owners, cap);
}

bool pz__lt_push_has_waiters(const pz__lt_t *lt, const pz__lt_push_t *p)
{
    for (uint32_t i = 0; i < lt->q_len; i++) {
        for (uint32_t j = 0; j < lt->q[i].len; j++) {
            if (s_waits_on(&lt->q[i], &lt->q[i].w[j], p)) {
                return true;
            }
        }
    }
    return false;
}

static void s_push_remove(pz__lt_t *lt, uint32_t i)
{
    assert(i < lt->p_len);
    s_push_free(lt->p[i]);
    lt->p[i] = lt->p[--lt->p_len];
}

void pz__lt_push_done(pz__lt_t *lt, pz__lt_push_t *p, uint64_t retry_at_ms)
{
    assert(lt != NULL && p != NULL && p->in_flight);
    for (uint32_t i = 0; i < lt->p_len; i++) {
        if (lt->p[i] == p) {
            if (retry_at_ms == 0) {
                s_push_remove(lt, i);
            } else {
                p->in_flight = false;
                p->retry_ms = retry_at_ms;
            }
            return;
        }
    }
    assert(!"a push the lock table does not know");
}

uint32_t pz__lt_expired(pz__lt_t *lt, uint64_t now_ms, void **owners, int *codes, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < lt->q_len && n < cap;) {
        s_queue_t *q = &lt->q[i];
        for (uint32_t j = 0; j < q->len && n < cap;) {
            const pz__lt_waiter_t *w = &q->w[j];
            int code = 0;
            if (w->deadline_ms != 0 && now_ms >= w->deadline_ms) {
                code = PZ_ETIMEDOUT;
            } else if (w->lock_limit_ms != 0 && now_ms >= w->lock_limit_ms) {
                code = PZ_ELOCK_TIMEOUT;
            }
            if (code == 0) {
                j++;
                continue;
            }
            owners[n] = w->owner;
            codes[n++] = code;
            s_take(lt, q, j);
        }
        if (q->len == 0) {
            s_queue_remove(lt, q);
        } else {
            i++;
        }
    }
    return n;
}

uint32_t pz__lt_due(pz__lt_t *lt, uint64_t now_ms, pz__lt_push_t **out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < lt->p_len && n < cap;) {
        pz__lt_push_t *p = lt->p[i];
        if (p->in_flight || now_ms < p->retry_ms) {
            i++;
        } else if (!pz__lt_push_has_waiters(lt, p)) {
            s_push_remove(lt, i);
        } else {
            p->in_flight = true;
            out[n++] = p;
            i++;
        }
    }
    return n;
}

uint32_t pz__lt_drain(pz__lt_t *lt, void **owners, uint32_t cap)
{
    uint32_t n = 0;
    while (lt->q_len > 0 && n < cap) {
        s_queue_t *q = &lt->q[0];
        while (q->len > 0 && n < cap) {
            owners[n++] = q->w[0].owner;
            s_take(lt, q, 0);
        }
        if (q->len == 0) {
            s_queue_remove(lt, q);
        }
    }
    return n;
}

uint32_t pz__lt_waiters(const pz__lt_t *lt)
{
    return lt->waiters;
}

uint32_t pz__lt_pushes(const pz__lt_t *lt)
{
    return lt->p_len;
}
