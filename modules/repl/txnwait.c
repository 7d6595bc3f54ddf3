/* txnwait.c — see txnwait.h. */
#include "txnwait.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/errors.h"

struct pz__tw {
    pz__tw_push_t **v; /* parked pushes; order does not matter */
    uint32_t len, cap;
    uint64_t next_seq;
};

pz__tw_t *pz__tw_new(void)
{
    pz__tw_t *tw = calloc(1, sizeof *tw);
    if (tw != NULL) {
        tw->next_seq = 1;
    }
    return tw;
}

static void s_free(pz__tw_push_t *p)
{
    pz__txnmeta_clear(&p->pushee);
    pz__txnmeta_clear(&p->pusher);
    free(p);
}

void pz__tw_free(pz__tw_t **twp)
{
    pz__tw_t *tw = *twp;
    if (tw == NULL) {
        return;
    }
    for (uint32_t i = 0; i < tw->len; i++) {
        s_free(tw->v[i]);
    }
    free(tw->v);
    free(tw);
    *twp = NULL;
}

int pz__tw_park(pz__tw_t *tw, void *owner, const pz_kv_txn_t *pushee, const pz_kv_txn_t *pusher,
                uint64_t deadline_ms, uint64_t expiry_ms, uint64_t *seq)
{
    assert(tw != NULL && pushee != NULL && seq != NULL);
    if (tw->len >= PZ_TXNWAIT_MAX) {
        return PZ_EBUSY;
    }
    if (tw->len == tw->cap) {
        uint32_t cap = tw->cap ? tw->cap * 2 : 16;
        pz__tw_push_t **grown = realloc(tw->v, cap * sizeof *grown);
        if (grown == NULL) {
            return PZ_ENOMEM;
        }
        tw->v = grown, tw->cap = cap;
    }
    pz__tw_push_t *p = calloc(1, sizeof *p);
    if (p == NULL || pz__txnmeta_set(&p->pushee, pushee) != 0 ||
        (pusher != NULL && pz__txnmeta_set(&p->pusher, pusher) != 0)) {
        if (p != NULL) {
            s_free(p);
        }
        return PZ_ENOMEM;
    }
    p->seq = tw->next_seq++;
    p->owner = owner;
    p->deadline_ms = deadline_ms;
    p->expiry_ms = expiry_ms;
    tw->v[tw->len++] = p;
    *seq = p->seq;
    return 0;
}

static int32_t s_index(const pz__tw_t *tw, uint64_t seq)
{
    for (uint32_t i = 0; i < tw->len; i++) {
        if (tw->v[i]->seq == seq) {
            return (int32_t)i;
        }
    }
    return -1;
}

pz__tw_push_t *pz__tw_get(pz__tw_t *tw, uint64_t seq)
{
    int32_t i = s_index(tw, seq);
    return i < 0 ? NULL : tw->v[i];
}

void *pz__tw_remove(pz__tw_t *tw, uint64_t seq)
{
    int32_t i = s_index(tw, seq);
    assert(i >= 0);
    pz__tw_push_t *p = tw->v[i];
    void *owner = p->owner;
    s_free(p);
    tw->v[i] = tw->v[--tw->len];
    return owner;
}

void pz__tw_requeue(pz__tw_t *tw, uint64_t seq, uint64_t expiry_ms)
{
    pz__tw_push_t *p = pz__tw_get(tw, seq);
    assert(p != NULL && p->evaluating);
    p->evaluating = false;
    p->force = false;
    p->expiry_ms = expiry_ms;
}

uint32_t pz__tw_to_evaluate(pz__tw_t *tw, pz_view_t pushee_id, uint64_t now_ms, uint64_t *out,
                            uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < tw->len && n < cap; i++) {
        pz__tw_push_t *p = tw->v[i];
        bool due;
        if (pushee_id.len > 0) {
            due = pz_view_eq(pz__txnmeta_id(&p->pushee), pushee_id);
        } else {
            due = (p->deadline_ms != 0 && now_ms >= p->deadline_ms) ||
                  (p->expiry_ms != 0 && now_ms >= p->expiry_ms);
        }
        if (due && !p->evaluating) {
            p->evaluating = true;
            out[n++] = p->seq;
        }
    }
    return n;
}

uint32_t pz__tw_queries(pz__tw_t *tw, uint64_t *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < tw->len && n < cap; i++) {
        pz__tw_push_t *p = tw->v[i];
        if (p->pusher.id_len > 0 && !p->querying) {
            p->querying = true;
            out[n++] = p->seq;
        }
    }
    return n;
}

static bool s_has(const pz__tw_dep_t *d, uint32_t n, pz_view_t id)
{
    for (uint32_t i = 0; i < n; i++) {
        if (pz_view_eq((pz_view_t){d[i].id, d[i].id_len}, id)) {
            return true;
        }
    }
    return false;
}

/* Adds a dep unless known, it is `self`, or the set is full. */
static void s_add(pz__tw_dep_t *d, uint32_t *n, uint32_t cap, pz_view_t id, uint32_t priority,
                  pz_view_t self)
{
    if (id.len == 0 || *n >= cap || pz_view_eq(id, self) || s_has(d, *n, id)) {
        return;
    }
    uint32_t len = id.len < PZ_TXN_ID_BYTES ? id.len : PZ_TXN_ID_BYTES;
    d[*n] = (pz__tw_dep_t){.id_len = len, .priority = priority};
    memcpy(d[*n].id, id.ptr, len);
    (*n)++;
}

pz__tw_action_t pz__tw_query_done(pz__tw_t *tw, uint64_t seq, bool finalized,
                                  const pz_kv_txn_t *deps, uint32_t deps_len)
{
    pz__tw_push_t *p = pz__tw_get(tw, seq);
    if (p == NULL) {
        return PZ_TW_WAIT; /* answered meanwhile */
    }
    p->querying = false;
    if (finalized) {
        /* At storage now: that evaluation answers it (the pushee may be final too). */
        return p->evaluating ? PZ_TW_WAIT : PZ_TW_ABORTED;
    }
    if (++p->rounds % PZ_TXNWAIT_DEPS_ROUNDS == 0) {
        p->deps_len = 0;
    }
    pz_view_t self = pz__txnmeta_id(&p->pusher);
    for (uint32_t i = 0; i < deps_len; i++) {
        s_add(p->deps, &p->deps_len, PZ_TXN_DEPS_MAX, deps[i].id, deps[i].priority, self);
    }
    bool cycle = s_has(p->deps, p->deps_len, pz__txnmeta_id(&p->pushee));
    if (!cycle || p->evaluating || !pz__tw_pusher_wins(&p->pusher, &p->pushee)) {
        return PZ_TW_WAIT;
    }
    p->force = true;
    p->evaluating = true;
    return PZ_TW_FORCE;
}

uint32_t pz__tw_deps(const pz__tw_t *tw, pz_view_t txn_id, pz__tw_dep_t *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < tw->len; i++) {
        const pz__tw_push_t *p = tw->v[i];
        if (!pz_view_eq(pz__txnmeta_id(&p->pushee), txn_id)) {
            continue;
        }
        s_add(out, &n, cap, pz__txnmeta_id(&p->pusher), p->pusher.priority, txn_id);
        for (uint32_t j = 0; j < p->deps_len; j++) {
            const pz__tw_dep_t *d = &p->deps[j];
            s_add(out, &n, cap, (pz_view_t){d->id, d->id_len}, d->priority, txn_id);
        }
    }
    return n;
}

bool pz__tw_pusher_wins(const pz__txnmeta_t *pusher, const pz__txnmeta_t *pushee)
{
    if (pusher->priority != pushee->priority) {
        return pusher->priority > pushee->priority;
    }
    return pz_view_cmp(pz__txnmeta_id(pusher), pz__txnmeta_id(pushee)) > 0;
}

uint32_t pz__tw_drain(pz__tw_t *tw, void **owners, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < tw->len && n < cap;) {
        if (tw->v[i]->evaluating) {
            i++;
        } else {
            owners[n++] = pz__tw_remove(tw, tw->v[i]->seq);
        }
    }
    return n;
}

uint32_t pz__tw_len(const pz__tw_t *tw)
{
    return tw->len;
}
