/*
 * repl_wait.c — what repl does when a batch meets another transaction's intent, and with pushes
 * that cannot succeed yet. The logic is in the pure units (lock_table.c, txnwait.c); this file
 * sends their messages and reacts to the answers, never blocking:
 *
 *   wait      the batch (latches released) queues on the intent's key and the holder is pushed:
 *             PUSH_TXN through dist to the range of the holder's record (maybe this repl)
 *   push ok   the record is final, or pushed above push_to: every key of that holder with
 *             waiters here is resolved (a RESOLVE batch of repl's own, through latches and
 *             storage), and a RESOLVE that succeeds sends its key's waiters back to their latches
 *   push no   NOWAIT: PZ_ELOCK_NOWAIT; the pusher's transaction is over: PZ_ETXN_ABORTED; a
 *             passing failure (e.g. the push waited at the record until its deadline): sent again
 *   park      a PUSH_TXN storage failed (PZ_EPUSH_FAILED) waits in txnwait at this repl, which
 *             evaluates it again when the pushee's record changes, expires, or the push's
 *             deadline comes, and queries the pusher's record every PZ_TXNWAIT_QUERY_MS to find
 *             a finished pusher or a deadlock
 *   release   a pushee that is still PENDING released locks (ROLLBACK TO SAVEPOINT: a RESOLVE
 *             PENDING with ignored seqs): its parked pushes are answered PZ_EPUSH_FAILED, so
 *             each pusher's repl pushes again only if a waiter still waits (PZ_REPL_PUSH_RETRY_MS
 *             later) — a waiter the release let through must not stay an edge of the wait graph,
 *             or the old holder waiting on it in turn looks like a deadlock
 *   tick      one timer while anything waits: lock timeouts, deadlines, retries, txnwait
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

/* ---------------------------------------------------------------------------------------- */
/* Waiting on a lock                                                                          */

static uint8_t s_push_type(const pz_kv_batch_t *b)
{
    if (b->header.wait_policy == PZ_WAIT_ERROR) {
        return PZ_PUSH_TOUCH;
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        if (pz_kv_op_is_write(b->reqs[i].op) || b->reqs[i].lock != PZ_LOCK_NONE) {
            return PZ_PUSH_ABORT;
        }
    }
    return PZ_PUSH_TIMESTAMP;
}

/* The waiter's read timestamp. A transaction also sees intents up to its uncertainty limit as
 * conflicts (kv.h), so it pushes them above that: pushed only above read_ts, the intent would
 * still block it and the wait would never end. */
static pz_hlc_t s_push_to(const pz_kv_batch_t *b)
{
    if (!b->header.has_txn) {
        return b->header.ts;
    }
    const pz_kv_txn_t *t = &b->header.txn;
    return pz_hlc_cmp(t->uncertainty_limit, t->read_ts) > 0 ? t->uncertainty_limit : t->read_ts;
}

static void s_send_push(pz_actor_t *self, pz__repl_t *p, pz__lt_push_t *push);

void pz__repl_wait(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f,
                   const pz_kv_intent_t *intent)
{
    assert(f->guard == NULL && f->req != NULL);
    const pz_kv_batch_t *b = &f->b;
    uint64_t now = pz_now_ms(self);
    if (f->wait_start_ms == 0) {
        f->wait_start_ms = now;
    }
    pz__lt_waiter_t w = {.owner = f,
                         .push_type = s_push_type(b),
                         .push_to = s_push_to(b),
                         .nowait = b->header.wait_policy == PZ_WAIT_ERROR,
                         .deadline_ms = f->deadline_ms};
    if (b->header.lock_timeout_ms > 0) {
        w.lock_limit_ms = f->wait_start_ms + b->header.lock_timeout_ms;
    }
    int rc = b->header.has_txn ? pz__txnmeta_set(&w.pusher, &b->header.txn) : 0;
    if (rc == 0 && b->header.has_txn && pz_view_eq(intent->txn.id, b->header.txn.id)) {
        rc = PZ_EINTERNAL; /* storage reads a transaction's own intents: never a wait */
    }
    pz__lt_push_t *push = NULL;
    if (rc == 0) {
        rc = pz__lt_wait(p->locks, b->header.range_id, intent->key, &intent->txn, &w, &push);
    }
    pz__txnmeta_clear(&w.pusher);
    if (rc != 0) {
        pz__repl_fail(self, f, rc, "cannot wait for the lock", NULL);
        return;
    }
    pz_metric_add(p->m_lock_waits, 1);
    if (push != NULL) {
        s_send_push(self, p, push);
    }
    pz__repl_arm_tick(self, p);
}

static void s_fail_waiters(pz_actor_t *self, pz__repl_t *p, const pz__lt_push_t *push, int code,
                           const pz_kv_txn_record_t *record)
{
    void *owners[PZ_REPL_TAKE_BATCH];
    uint32_t n;
    do {
        n = pz__lt_take_push_waiters(p->locks, push, owners, PZ_REPL_TAKE_BATCH);
        for (uint32_t i = 0; i < n; i++) {
            pz__repl_fail(self, owners[i], code, pz_strerror(code), record);
        }
    } while (n == PZ_REPL_TAKE_BATCH);
}

/* The push aborted the holder (a deadlock broken, an expired or lower-priority holder): that
 * transaction's own batches waiting here must not run again once its locks are gone, or the
 * victim's statement would go on (or fail with a misleading 40001) before its coordinator learns
 * of the abort. They fail now with PZ_ETXN_ABORTED and the record, whose abort reason the
 * coordinator turns into the client's error (40P01 for a deadlock). */
static void s_fail_aborted(pz_actor_t *self, pz__repl_t *p, const pz_kv_txn_record_t *record)
{
    assert(record->status == PZ_TXN_ABORTED);
    if (record->txn.id.len == 0) {
        return;
    }
    void *owners[PZ_REPL_TAKE_BATCH];
    uint32_t n;
    do {
        n = pz__lt_take_pusher_waiters(p->locks, record->txn.id, owners, PZ_REPL_TAKE_BATCH);
        for (uint32_t i = 0; i < n; i++) {
            pz__repl_fail(self, owners[i], PZ_ETXN_ABORTED, "the transaction was aborted", record);
        }
    } while (n == PZ_REPL_TAKE_BATCH);
}

void pz__repl_wake(pz_actor_t *self, pz__repl_t *p, uint64_t range_id, pz_view_t start,
                   pz_view_t end, int fail_code)
{
    void *owners[PZ_REPL_TAKE_BATCH];
    uint32_t n;
    do {
        n = pz__lt_release(p->locks, range_id, start, end, owners, PZ_REPL_TAKE_BATCH);
        for (uint32_t i = 0; i < n; i++) {
            if (fail_code != 0) {
                pz__repl_fail(self, owners[i], fail_code, "cannot resolve the intent", NULL);
            } else {
                pz__repl_start(self, p, owners[i]);
            }
        }
    } while (n == PZ_REPL_TAKE_BATCH);
}

/* ---------------------------------------------------------------------------------------- */
/* Pushes                                                                                     */

static void s_push_failed(pz_actor_t *self, pz__repl_t *p, pz__lt_push_t *push, int code,
                          const pz_kv_txn_record_t *record)
{
    bool passing = code == PZ_EPUSH_FAILED || code == PZ_ETIMEDOUT || code == PZ_EBUSY ||
                   code == PZ_EUNAVAILABLE || code == PZ_ENOTREADY || code == PZ_ERANGE_MISMATCH ||
                   code == 0;
    if (passing && !push->nowait) {
        pz__lt_push_done(p->locks, push, pz_now_ms(self) + PZ_REPL_PUSH_RETRY_MS);
        pz__repl_arm_tick(self, p);
        return;
    }
    s_fail_waiters(self, p, push, push->nowait ? PZ_ELOCK_NOWAIT : code, record);
    pz__lt_push_done(p->locks, push, 0);
}

static void s_send_push(pz_actor_t *self, pz__repl_t *p, pz__lt_push_t *push)
{
    assert(push->in_flight);
    pz_kv_txn_t pushee = pz__txnmeta_wire(&push->holder);
    pz_kv_txn_t pusher = pz__txnmeta_wire(&push->pusher);
    pz_kv_req_t req = {.op = PZ_KV_PUSH_TXN,
                       .key = pushee.key,
                       .has_ext = true,
                       .ext = {.push_type = push->nowait ? PZ_PUSH_TOUCH : push->push_type,
                               .push_to = push->push_to,
                               .has_pushee = true,
                               .pushee = pushee,
                               .has_pusher = pusher.id.len > 0,
                               .pusher = pusher}};
    pz_kv_batch_t b = {.header = {.ts = pz_hlc_now()}, .reqs = &req, .reqs_len = 1};
    pz__repl_flight_t *f = calloc(1, sizeof *f);
    int rc = f == NULL ? PZ_ENOMEM : 0;
    if (f != NULL) {
        f->kind = PZ_RF_PUSH;
        f->push = push;
        rc = pz__repl_send(self, p->dist, &b, p->timeout_ms, f);
    }
    if (rc != 0) {
        free(f);
        s_push_failed(self, p, push, rc == PZ_ENOMEM ? PZ_ENOMEM : PZ_EBUSY, NULL);
        return;
    }
    pz_metric_add(p->m_pushes, 1);
}

typedef struct {
    pz_actor_t *self;
    pz__repl_t *p;
    const pz_kv_txn_record_t *record;
} s_resolve_ctx_t;

/* A RESOLVE of repl's own for one key of the pushed holder: it runs the batch path (latches,
 * storage) and wakes the key's waiters when it is done (pz__repl_batch_done). */
static void s_resolve_key(void *ctx, uint64_t range_id, pz_view_t key)
{
    s_resolve_ctx_t *c = ctx;
    pz__repl_flight_t *f = calloc(1, sizeof *f);
    pz_arena_t *a = pz_arena_new();
    pz_kv_req_t *q = a ? pz_arena_alloc(a, sizeof *q) : NULL;
    const pz_kv_txn_t *t = &c->record->txn;
    pz_kv_seq_range_t *ign = a ? pz_arena_alloc(a, sizeof *ign * (t->ignored_len + 1)) : NULL;
    if (f == NULL || q == NULL || ign == NULL) {
        free(f);
        pz_arena_destroy(&a);
        pz_log(c->self, PZ_LOG_WARN, "cannot resolve an intent: out of memory");
        return; /* its waiters time out */
    }
    if (t->ignored_len > 0) {
        memcpy(ign, t->ignored, sizeof *ign * t->ignored_len);
    }
    pz_kv_txn_t pushee = *t;
    pushee.id = pz_arena_dup(a, t->id.ptr, t->id.len);
    pushee.key = pz_arena_dup(a, t->key.ptr, t->key.len);
    pushee.ignored = ign;
    *q = (pz_kv_req_t){.op = PZ_KV_RESOLVE,
                       .key = pz_arena_dup(a, key.ptr, key.len),
                       .has_ext = true,
                       .ext = {.has_pushee = true, .pushee = pushee, .status = c->record->status}};
    f->kind = PZ_RF_BATCH;
    f->arena = a;
    f->b = (pz_kv_batch_t){
        .header = {.ts = pz_hlc_now(), .range_id = range_id}, .reqs = q, .reqs_len = 1};
    pz__repl_start(c->self, c->p, f);
}

/* Did the push get what its waiters need? */
static bool s_push_ok(const pz__lt_push_t *push, const pz_kv_txn_record_t *rec)
{
    if (rec->status == PZ_TXN_COMMITTED || rec->status == PZ_TXN_ABORTED) {
        return true;
    }
    return push->push_type == PZ_PUSH_TIMESTAMP && rec->status == PZ_TXN_PENDING &&
           pz_hlc_cmp(rec->txn.write_ts, push->push_to) > 0;
}

void pz__repl_push_done(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply)
{
    assert(f->kind == PZ_RF_PUSH && f->push != NULL);
    pz__lt_push_t *push = f->push;
    free(f);
    pz_kv_batch_resp_t r = {0};
    int code = pz_msg_error(reply, NULL);
    if (code == 0) {
        code = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r);
    }
    code = code != 0 ? code : r.error.code;
    const pz_kv_txn_record_t *rec = NULL;
    if (code == 0 && r.resps_len == 1 && r.resps[0].has_ext && r.resps[0].ext.has_record) {
        rec = &r.resps[0].ext.record;
    } else if (code != 0 && pz_msg_error(reply, NULL) == 0 && r.error.has_record) {
        rec = &r.error.record;
    }
    if (code == 0 && rec != NULL && s_push_ok(push, rec)) {
        if (rec->status == PZ_TXN_ABORTED) {
            s_fail_aborted(self, p, rec);
        }
        s_resolve_ctx_t c = {.self = self, .p = p, .record = rec};
        pz__lt_held_keys(p->locks, pz__txnmeta_id(&push->holder), s_resolve_key, &c);
        pz__lt_push_done(p->locks, push, 0);
        return;
    }
    s_push_failed(self, p, push, code, rec);
}

/* ---------------------------------------------------------------------------------------- */
/* txnwait: pushes parked at the pushee's record                                              */

/* Monotonic milliseconds at which the record expires (kv.h: no heartbeat for
 * PZ_TXN_EXPIRY_MS); 0 when the record says nothing. */
static uint64_t s_expiry_ms(pz_actor_t *self, const pz_kv_txn_record_t *rec)
{
    pz_hlc_t hb = rec->last_heartbeat;
    if (pz_hlc_is_zero(hb)) {
        hb = rec->txn.min_ts;
    }
    if (pz_hlc_is_zero(hb)) {
        return 0;
    }
    uint64_t at_ns = hb.wall + (uint64_t)PZ_TXN_EXPIRY_MS * 1000000u;
    uint64_t wall = pz_hlc_now().wall;
    uint64_t left_ms = at_ns > wall ? (at_ns - wall) / 1000000u : 0;
    return pz_now_ms(self) + left_ms + 1; /* +1: just past it, so the push then succeeds */
}

bool pz__repl_park(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f,
                   const pz_kv_batch_resp_t *r)
{
    const pz_kv_req_t *q = &f->b.reqs[0];
    if (!q->has_ext || !q->ext.has_pushee || q->ext.push_type == PZ_PUSH_TOUCH) {
        return false; /* a TOUCH push answers at once: its waiter asked not to wait */
    }
    uint64_t now = pz_now_ms(self);
    uint64_t expiry = r->error.has_record ? s_expiry_ms(self, &r->error.record) : 0;
    if (f->tw_seq != 0) {
        if (f->deadline_ms != 0 && now >= f->deadline_ms) {
            return false; /* the last evaluation: answer what storage said */
        }
        pz__tw_requeue(p->txnwait, f->tw_seq, expiry);
        return true;
    }
    const pz_kv_txn_t *pusher = q->ext.has_pusher ? &q->ext.pusher : NULL;
    int rc = pz__tw_park(p->txnwait, f, &q->ext.pushee, pusher, f->deadline_ms, expiry, &f->tw_seq);
    if (rc != 0) {
        return false; /* full: the pusher hears PZ_EPUSH_FAILED and tries again */
    }
    pz__repl_arm_tick(self, p);
    return true;
}

/* Sends parked pushes (seqs) to storage again, through their latches. */
static void s_evaluate(pz_actor_t *self, pz__repl_t *p, const uint64_t *seqs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        pz__tw_push_t *tp = pz__tw_get(p->txnwait, seqs[i]);
        assert(tp != NULL && tp->evaluating);
        pz__repl_flight_t *f = tp->owner;
        if (tp->force) {
            f->b.reqs[0].ext.force = true; /* storage aborts the pushee: reason DEADLOCK */
            f->reencode = true;
            pz_metric_add(p->m_deadlocks, 1);
        }
        pz__repl_start(self, p, f);
    }
}

void pz__repl_record_changed(pz_actor_t *self, pz__repl_t *p, pz_view_t txn_id)
{
    uint64_t seqs[PZ_REPL_TAKE_BATCH];
    uint32_t n;
    do {
        n = pz__tw_to_evaluate(p->txnwait, txn_id, 0, seqs, PZ_REPL_TAKE_BATCH);
        s_evaluate(self, p, seqs, n);
    } while (n == PZ_REPL_TAKE_BATCH);
}

void pz__repl_locks_released(pz_actor_t *self, pz__repl_t *p, pz_view_t txn_id)
{
    assert(txn_id.len > 0);
    uint64_t seqs[PZ_REPL_TAKE_BATCH];
    uint32_t n;
    do {
        n = pz__tw_to_evaluate(p->txnwait, txn_id, 0, seqs, PZ_REPL_TAKE_BATCH);
        for (uint32_t i = 0; i < n; i++) {
            pz__repl_flight_t *pf = pz__tw_remove(p->txnwait, seqs[i]);
            assert(pf != NULL);
            pz__repl_fail(self, pf, PZ_EPUSH_FAILED, "the pushee released locks: push again", NULL);
        }
    } while (n == PZ_REPL_TAKE_BATCH);
}

int pz__repl_answer_query(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f,
                          pz_kv_batch_resp_t *r)
{
    const pz_kv_req_t *q = &f->b.reqs[0];
    if (!q->has_ext || !q->ext.has_pushee || r->resps_len != 1) {
        return PZ_EINVAL; /* the caller forwards storage's answer as it is */
    }
    pz__tw_dep_t *d = calloc(PZ_TXN_DEPS_MAX, sizeof *d);
    pz_kv_txn_t *wire = calloc(PZ_TXN_DEPS_MAX, sizeof *wire);
    int rc = d && wire ? 0 : PZ_ENOMEM;
    if (rc == 0) {
        uint32_t n = pz__tw_deps(p->txnwait, q->ext.pushee.id, d, PZ_TXN_DEPS_MAX);
        for (uint32_t i = 0; i < n; i++) {
            wire[i] = (pz_kv_txn_t){.id = {d[i].id, d[i].id_len}, .priority = d[i].priority};
        }
        pz_kv_resp_t *a = &r->resps[0];
        a->has_ext = true;
        a->ext.deps = wire;
        a->ext.deps_len = n;
        pz_out_t *out = NULL;
        rc = pz_kv_batch_resp_to_out(r, PZ_MSG_KV_BATCH_RESP, &out);
        if (rc == 0 && (rc = pz_reply(self, f->req, &out)) != 0) {
            pz_out_free(&out);
        }
    }
    free(d);
    free(wire);
    return rc;
}

static void s_send_query(pz_actor_t *self, pz__repl_t *p, uint64_t seq)
{
    pz__tw_push_t *tp = pz__tw_get(p->txnwait, seq);
    assert(tp != NULL && tp->pusher.id_len > 0);
    pz_kv_txn_t pusher = pz__txnmeta_wire(&tp->pusher);
    pz_kv_req_t req = {.op = PZ_KV_QUERY_TXN,
                       .key = pusher.key,
                       .has_ext = true,
                       .ext = {.has_pushee = true, .pushee = pusher}};
    pz_kv_batch_t b = {.header = {.ts = pz_hlc_now()}, .reqs = &req, .reqs_len = 1};
    pz__repl_flight_t *f = calloc(1, sizeof *f);
    int rc = f == NULL ? PZ_ENOMEM : 0;
    if (f != NULL) {
        f->kind = PZ_RF_QUERY;
        f->tw_seq = seq;
        rc = pz__repl_send(self, p->dist, &b, p->timeout_ms, f);
    }
    if (rc != 0) {
        free(f);
        (void)pz__tw_query_done(p->txnwait, seq, false, NULL, 0); /* asked again next round */
    }
}

static bool s_is_victim(const pz__repl_t *p, pz_view_t id);

/* txnwait decided that push seq breaks a cycle. One forced push at a time: while another is in
 * flight this one waits for the next query round, which decides again on fresh deps; a pusher a
 * forced push aborted meanwhile has its push answered instead (its cycle is already broken). */
static void s_force(pz_actor_t *self, pz__repl_t *p, uint64_t seq)
{
    pz__tw_push_t *tp = pz__tw_get(p->txnwait, seq);
    assert(tp != NULL && tp->force);
    if (s_is_victim(p, pz__txnmeta_id(&tp->pusher))) {
        pz__repl_flight_t *pf = pz__tw_remove(p->txnwait, seq);
        pz__repl_fail(self, pf, PZ_ETXN_ABORTED, "the pushing transaction was aborted", NULL);
        return;
    }
    uint64_t now = pz_now_ms(self);
    if (now < p->forcing_until_ms) {
        tp->force = false;
        tp->evaluating = false;
        return;
    }
    p->forcing_until_ms = now + p->timeout_ms;
    pz_log(self, PZ_LOG_INFO, "deadlock: forcing a push to break it");
    s_evaluate(self, p, &seq, 1);
}

void pz__repl_query_done(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply)
{
    assert(f->kind == PZ_RF_QUERY);
    uint64_t seq = f->tw_seq;
    free(f);
    pz_kv_batch_resp_t r = {0};
    int rc = pz_msg_error(reply, NULL);
    if (rc == 0) {
        rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r);
    }
    const pz_kv_resp_ext_t *ext = NULL;
    if (rc == 0 && r.error.code == 0 && r.resps_len == 1 && r.resps[0].has_ext) {
        ext = &r.resps[0].ext;
    }
    bool final = ext != NULL && ext->has_record &&
                 (ext->record.status == PZ_TXN_COMMITTED || ext->record.status == PZ_TXN_ABORTED);
    pz__tw_action_t act =
        pz__tw_query_done(p->txnwait, seq, final, ext ? ext->deps : NULL, ext ? ext->deps_len : 0);
    if (act == PZ_TW_ABORTED) {
        /* The pusher's transaction is over: its waiter is gone, so is its push. */
        pz__repl_flight_t *pf = pz__tw_remove(p->txnwait, seq);
        pz__repl_fail(self, pf, PZ_ETXN_ABORTED, "the pushing transaction is finished",
                      &ext->record);
    } else if (act == PZ_TW_FORCE) {
        s_force(self, p, seq);
    }
}

static bool s_is_victim(const pz__repl_t *p, pz_view_t id)
{
    for (uint32_t i = 0; i < PZ_REPL_VICTIMS_MAX && id.len == PZ_TXN_ID_BYTES; i++) {
        if (memcmp(p->victims[i], id.ptr, PZ_TXN_ID_BYTES) == 0) {
            return true;
        }
    }
    return false;
}

void pz__repl_forced_done(pz__repl_t *p, const pz__repl_flight_t *f, bool pushee_aborted)
{
    assert(f->b.reqs_len == 1 && f->b.reqs[0].ext.force);
    p->forcing_until_ms = 0;
    pz_view_t id = f->b.reqs[0].ext.pushee.id;
    if (pushee_aborted && id.len == PZ_TXN_ID_BYTES) {
        memcpy(p->victims[p->victims_next], id.ptr, PZ_TXN_ID_BYTES);
        p->victims_next = (p->victims_next + 1) % PZ_REPL_VICTIMS_MAX;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* The tick                                                                                   */

void pz__repl_arm_tick(pz_actor_t *self, pz__repl_t *p)
{
    if (p->tick_armed) {
        return;
    }
    if (pz_timer_arm(self, PZ_REPL_TICK_MS, PZ_REPL_TICK_TIMER) > 0) {
        p->tick_armed = true;
    } else {
        pz_log(self, PZ_LOG_WARN, "cannot arm the lock wait timer");
    }
}

static void s_tick_locks(pz_actor_t *self, pz__repl_t *p, uint64_t now)
{
    void *owners[PZ_REPL_TAKE_BATCH];
    int codes[PZ_REPL_TAKE_BATCH];
    uint32_t n;
    do {
        n = pz__lt_expired(p->locks, now, owners, codes, PZ_REPL_TAKE_BATCH);
        for (uint32_t i = 0; i < n; i++) {
            pz__repl_fail(self, owners[i], codes[i], pz_strerror(codes[i]), NULL);
        }
    } while (n == PZ_REPL_TAKE_BATCH);
    pz__lt_push_t *due[PZ_REPL_TAKE_BATCH];
    do {
        n = pz__lt_due(p->locks, now, due, PZ_REPL_TAKE_BATCH);
        for (uint32_t i = 0; i < n; i++) {
            s_send_push(self, p, due[i]);
        }
    } while (n == PZ_REPL_TAKE_BATCH);
}

static void s_tick_txnwait(pz_actor_t *self, pz__repl_t *p, uint64_t now)
{
    uint64_t seqs[PZ_REPL_TAKE_BATCH];
    uint32_t n;
    do {
        n = pz__tw_to_evaluate(p->txnwait, (pz_view_t){NULL, 0}, now, seqs, PZ_REPL_TAKE_BATCH);
        s_evaluate(self, p, seqs, n);
    } while (n == PZ_REPL_TAKE_BATCH);
    if (now < p->last_query_ms + PZ_TXNWAIT_QUERY_MS) {
        return;
    }
    p->last_query_ms = now;
    do {
        n = pz__tw_queries(p->txnwait, seqs, PZ_REPL_TAKE_BATCH);
        for (uint32_t i = 0; i < n; i++) {
            s_send_query(self, p, seqs[i]);
        }
    } while (n == PZ_REPL_TAKE_BATCH);
}

void pz__repl_tick(pz_actor_t *self, pz__repl_t *p)
{
    p->tick_armed = false;
    uint64_t now = pz_now_ms(self);
    s_tick_locks(self, p, now);
    s_tick_txnwait(self, p, now);
    if (pz__lt_waiters(p->locks) > 0 || pz__lt_pushes(p->locks) > 0 || pz__tw_len(p->txnwait) > 0) {
        pz__repl_arm_tick(self, p);
    }
}

void pz__repl_wait_fini(pz__repl_t *p)
{
    void *owners[PZ_REPL_TAKE_BATCH];
    uint32_t n;
    while ((n = pz__lt_drain(p->locks, owners, PZ_REPL_TAKE_BATCH)) > 0) {
        for (uint32_t i = 0; i < n; i++) {
            pz__repl_flight_free(owners[i]);
        }
    }
    while ((n = pz__tw_drain(p->txnwait, owners, PZ_REPL_TAKE_BATCH)) > 0) {
        for (uint32_t i = 0; i < n; i++) {
            pz__repl_flight_free(owners[i]);
        }
    }
}
