/*
 * repl_batch.c — a batch's path through repl.
 *
 * A batch from dist is checked against its replica (range id and key bounds: a mismatch is
 * answered with PZ_ERANGE_MISMATCH and the current descriptor, so dist can re-route), waits for
 * its latches (latch.h), passes the timestamp cache (tscache.h: a write under another
 * transaction's read moves up), and goes to storage, which evaluates it with MVCC and applies
 * its writes atomically. Latches are released when storage answers.
 *
 * Storage's answer is looked at before it goes up: PZ_EWRITE_INTENT turns into a lock wait and a
 * push (repl_wait.c), a PUSH_TXN that failed is parked in txnwait, a successful batch records
 * its reads in the timestamp cache, wakes waiters on keys it resolved, and re-evaluates parked
 * pushes on a record it changed; QUERY_TXN answers get this repl's deps. Anything else is
 * forwarded as storage wrote it, so a batch nobody waits on costs one decode of the answer.
 *
 * A pipelined batch (kv.h "pipelining") comes back from storage evaluated but not committed
 * (resp.pending): the answer goes up at once, the flight turns into PZ_RF_COMMIT and keeps its
 * latches until storage answers PZ_MSG_KV_COMMIT_WAIT — every later batch on those keys, the
 * transaction's own reads and its END_TXN included, runs after the write is in the engine.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

static void s_run(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f);

void pz__repl_flight_free(pz__repl_flight_t *f)
{
    if (f == NULL) {
        return;
    }
    assert(f->guard == NULL);
    pz_msg_free(&f->req);
    pz_arena_destroy(&f->arena);
    free(f);
}

uint64_t pz__repl_deadline_ms(pz_actor_t *self, const pz_msg_t *msg)
{
    uint64_t deadline_ns = pz_msg_envelope(msg)->deadline_ns;
    if (deadline_ns == 0) {
        return 0;
    }
    /* The envelope's deadline is wall-clock; waits are timed on the monotonic clock. */
    uint64_t wall = pz_hlc_now().wall;
    uint64_t left_ms = deadline_ns > wall ? (deadline_ns - wall) / 1000000u : 0;
    return pz_now_ms(self) + left_ms + (left_ms == 0);
}

int pz__repl_send(pz_actor_t *self, const char *to, const pz_kv_batch_t *b, uint32_t timeout_ms,
                  pz__repl_flight_t *ctx)
{
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_to_out(b, PZ_MSG_KV_BATCH, &out);
    if (rc == 0) {
        rc = pz_request(self, to, &out, timeout_ms, ctx, NULL);
    }
    pz_out_free(&out);
    return rc;
}

/* Forwards a dist batch to storage as it is: its body bytes are copied once. */
static int s_forward_batch(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    if (f->req == NULL || f->reencode) {
        return pz__repl_send(self, p->storage, &f->b, p->timeout_ms, f);
    }
    return pz_request_forward(self, p->storage, f->req, p->timeout_ms, f, NULL);
}

static void s_reply_resp(pz_actor_t *self, const pz_msg_t *req, const pz_kv_batch_resp_t *resp)
{
    pz_out_t *out = NULL;
    if (pz_kv_batch_resp_to_out(resp, PZ_MSG_KV_BATCH_RESP, &out) != 0 ||
        pz_reply(self, req, &out) != 0) {
        pz_out_free(&out);
        pz_log(self, PZ_LOG_WARN, "cannot answer %s", pz_msg_sender(req));
    }
}

/* Answers a batch with a KV error in the batch response (not an envelope error): dist reads
 * PZ_ERANGE_MISMATCH from there. */
static void s_reply_kv_error(pz_actor_t *self, const pz_msg_t *req, int code, const char *why,
                             const pz__replica_t *r)
{
    pz_kv_batch_resp_t resp = {.error = {.code = code, .index = -1, .message = pz_view_str(why)}};
    pz_arena_t *a = NULL;
    if (r != NULL && (a = pz_arena_new()) != NULL &&
        pz_range_desc_unpack(r->packed, r->packed_len, a, &resp.error.range) == 0) {
        resp.error.has_range = true;
    }
    s_reply_resp(self, req, &resp);
    pz_arena_destroy(&a);
}

void pz__repl_fail(pz_actor_t *self, pz__repl_flight_t *f, int code, const char *why,
                   const pz_kv_txn_record_t *record)
{
    assert(f != NULL && f->guard == NULL);
    if (f->req != NULL) {
        pz_kv_batch_resp_t resp = {
            .error = {.code = code, .index = -1, .message = pz_view_str(why)}};
        if (record != NULL) {
            resp.error.record = *record;
            resp.error.has_record = true;
        }
        s_reply_resp(self, f->req, &resp);
    }
    pz__repl_flight_free(f);
}

static bool s_in_range(const pz__replica_t *r, const pz_kv_req_t *q)
{
    if (pz_view_cmp(q->key, r->start) < 0 || pz_view_cmp(q->key, r->end) >= 0) {
        return false;
    }
    return !pz_kv_req_is_span(q) || pz_view_cmp(q->end_key, r->end) <= 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Latches                                                                                    */

/* Does request q write (for latches)? The transaction record ops write the anchor key's record,
 * RESOLVE and GC rewrite versions, a locking read writes its locks; REFRESH only reads. Two
 * locking reads of a key under shared latches were evaluated against the same snapshot, and
 * both found the key free and locked it (the second lock overwrote the first). */
static bool s_latch_write(const pz_kv_req_t *q)
{
    return pz_kv_op_is_write(q->op) || pz_kv_op_is_txn(q->op) || q->op == PZ_KV_RESOLVE ||
           q->op == PZ_KV_GC || q->lock != PZ_LOCK_NONE;
}

/* END_TXN's lock span s clipped to the replica: false when it is outside. */
static bool s_clip(const pz__replica_t *r, const pz_kv_span_t *s, pz__latch_span_t *out)
{
    pz_view_t start = pz_view_cmp(s->key, r->start) < 0 ? r->start : s->key;
    if (s->end_key.len == 0) {
        *out = (pz__latch_span_t){.start = s->key, .write = true};
        return pz_view_cmp(s->key, r->start) >= 0 && pz_view_cmp(s->key, r->end) < 0;
    }
    pz_view_t end = pz_view_cmp(s->end_key, r->end) > 0 ? r->end : s->end_key;
    *out = (pz__latch_span_t){.start = start, .end = end, .write = true};
    return pz_view_cmp(start, end) < 0;
}

/* Builds the batch's latch spans: one per request, plus END_TXN's lock spans in this range
 * (storage resolves those in the same batch). n is bounded by PZ_BATCH_REQS_MAX and
 * PZ_TXN_SPANS_MAX per END_TXN (the decoder's limits). */
static pz__latch_guard_t *s_guard(const pz_kv_batch_t *b, const pz__replica_t *r, void *owner)
{
    uint64_t n = b->reqs_len;
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        if (b->reqs[i].op == PZ_KV_END_TXN && b->reqs[i].has_ext) {
            n += b->reqs[i].ext.spans_len;
        }
    }
    pz__latch_span_t *spans = calloc(n ? n : 1, sizeof *spans);
    if (spans == NULL) {
        return NULL;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        spans[k] = (pz__latch_span_t){.start = q->key, .write = s_latch_write(q)};
        if (pz_kv_req_is_span(q)) {
            spans[k].end = q->end_key;
        }
        k++;
        for (uint32_t j = 0; q->op == PZ_KV_END_TXN && q->has_ext && j < q->ext.spans_len; j++) {
            k += s_clip(r, &q->ext.spans[j], &spans[k]) ? 1 : 0;
        }
    }
    pz__latch_guard_t *g = pz__latch_guard_new(spans, k, owner);
    free(spans);
    return g;
}

void pz__repl_unlatch(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    pz__latch_guard_t *g = f->guard;
    if (g == NULL) {
        return;
    }
    f->guard = NULL;
    pz__latch_guard_t *ready[PZ_REPL_READY_BATCH];
    uint32_t n;
    do {
        n = pz__latch_release(&p->latches, g, ready, PZ_REPL_READY_BATCH);
        g = NULL;
        for (uint32_t i = 0; i < n; i++) {
            s_run(self, p, ready[i]->owner);
        }
    } while (n == PZ_REPL_READY_BATCH);
}

/* ---------------------------------------------------------------------------------------- */
/* The timestamp cache                                                                        */

static pz_view_t s_txn_id(const pz_kv_batch_t *b)
{
    return b->header.has_txn ? b->header.txn.id : (pz_view_t){NULL, 0};
}

/* Moves the batch's write timestamp above reads of its written spans by anyone else. */
static void s_apply_tscache(pz__repl_t *p, pz__repl_flight_t *f)
{
    pz_kv_batch_t *b = &f->b;
    pz_hlc_t *wts = b->header.has_txn ? &b->header.txn.write_ts : &b->header.ts;
    pz_hlc_t to = *wts;
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        if (!pz_kv_op_is_write(q->op)) {
            continue;
        }
        pz_view_t end = pz_kv_req_is_span(q) ? q->end_key : (pz_view_t){NULL, 0};
        pz_hlc_t t = pz__tscache_write_ts(p->tscache, q->key, end, *wts, s_txn_id(b));
        if (pz_hlc_cmp(t, to) > 0) {
            to = t;
        }
    }
    if (pz_hlc_cmp(to, *wts) > 0) {
        *wts = to;
        f->reencode = true;
        pz_metric_add(p->m_tscache_bumps, 1);
    }
}

static void s_record(pz__repl_t *p, pz_view_t s, pz_view_t e, pz_hlc_t ts, pz_view_t id)
{
    if (!pz_hlc_is_zero(ts) && pz__tscache_add(p->tscache, s, e, ts, id) != 0) {
        /* Out of memory: forgetting a read is unsafe, so everything reads at least this. */
        pz__tscache_raise_low_water(p->tscache, ts);
    }
}

/* Records the reads of a batch storage answered successfully: GET and scans (a scan that stopped
 * early only up to its resume key) at the read timestamp, REFRESH at the write timestamp. */
static void s_record_reads(pz__repl_t *p, const pz_kv_batch_t *b, const pz_kv_batch_resp_t *r)
{
    pz_view_t id = s_txn_id(b), none = {NULL, 0};
    pz_hlc_t read_ts = b->header.ts;
    if (b->header.has_txn) {
        read_ts = b->header.txn.read_ts;
    } else if (pz_hlc_cmp(r->ts, read_ts) > 0) {
        read_ts = r->ts; /* the whole batch ran there (write too old moved it) */
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        const pz_kv_resp_t *a = i < r->resps_len ? &r->resps[i] : NULL;
        /* GET and REFRESH need no answer; a scan's extent does (its resume key), and a batch
         * with a scan is always decoded in full (s_head_is_enough). */
        if (q->op == PZ_KV_GET) {
            s_record(p, q->key, none, read_ts, id);
        } else if (q->op == PZ_KV_REFRESH && b->header.has_txn) {
            s_record(p, q->key, q->end_key, b->header.txn.write_ts, id);
        } else if (q->op == PZ_KV_SCAN && a != NULL) {
            s_record(p, q->key, a->has_resume ? a->resume_key : q->end_key, read_ts, id);
        } else if (q->op == PZ_KV_RSCAN && a != NULL) {
            s_record(p, a->has_resume ? a->resume_key : q->key, q->end_key, read_ts, id);
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Running a batch                                                                            */

/* Are all of b's keys in its range? A batch that waited for latches may have waited behind a
 * split that moved some of them to the new range. */
static bool s_batch_in_range(const pz__repl_t *p, const pz_kv_batch_t *b)
{
    const pz__replica_t *r = pz__repl_replica(p, b->header.range_id);
    for (uint32_t i = 0; r != NULL && i < b->reqs_len; i++) {
        if (!s_in_range(r, &b->reqs[i])) {
            return false;
        }
    }
    return r != NULL;
}

static void s_run(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    assert(f->guard != NULL && f->guard->granted);
    if (f->kind == PZ_RF_SPLIT) {
        pz__repl_split_granted(self, p, f);
        return;
    }
    if (f->req != NULL && !s_batch_in_range(p, &f->b)) {
        pz_metric_add(p->m_mismatch, 1);
        pz__repl_unlatch(self, p, f);
        pz__repl_fail(self, f, PZ_ERANGE_MISMATCH, "the range split while the batch waited", NULL);
        return;
    }
    s_apply_tscache(p, f);
    int rc = s_forward_batch(self, p, f);
    if (rc != 0) {
        pz__repl_unlatch(self, p, f);
        if (f->req != NULL) {
            pz_reply_error(self, f->req, rc, "cannot reach storage");
        }
        pz__repl_flight_free(f);
    }
}

void pz__repl_start(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    assert(f->guard == NULL);
    const pz__replica_t *r = pz__repl_replica(p, f->b.header.range_id);
    int rc = r == NULL ? PZ_ERANGE_MISMATCH : 0;
    if (rc == 0 && (f->guard = s_guard(&f->b, r, f)) == NULL) {
        rc = PZ_ENOMEM;
    }
    if (rc == 0 && (rc = pz__latch_acquire(&p->latches, f->guard)) != 0) {
        pz__latch_guard_free(f->guard);
        f->guard = NULL;
    }
    if (rc != 0) {
        pz__repl_fail(self, f, rc, "cannot latch the batch", NULL);
        return;
    }
    if (f->guard->granted) {
        s_run(self, p, f);
    } else {
        pz_metric_add(p->m_latch_waits, 1);
    }
}

int pz__repl_on_batch(pz_actor_t *self, pz__repl_t *p, pz_msg_t *msg, bool *kept)
{
    *kept = false;
    pz_kv_batch_t b;
    int rc = pz_kv_batch_from_msg(msg, PZ_MSG_KV_BATCH, &b);
    if (rc != 0) {
        pz_reply_error(self, msg, rc, "malformed KV batch");
        return rc;
    }
    const pz__replica_t *r = pz__repl_replica(p, b.header.range_id);
    for (uint32_t i = 0; r && i < b.reqs_len; i++) {
        if (!s_in_range(r, &b.reqs[i])) {
            pz_metric_add(p->m_mismatch, 1);
            s_reply_kv_error(self, msg, PZ_ERANGE_MISMATCH, "key is outside the range", r);
            return 0;
        }
    }
    if (r == NULL) {
        pz_metric_add(p->m_mismatch, 1);
        s_reply_kv_error(self, msg, PZ_ERANGE_MISMATCH, "no replica of the range here", NULL);
        return 0;
    }
    if (b.reqs_len == 1 && b.reqs[0].op == PZ_KV_SPLIT) {
        *kept = true; /* the split owns msg from here, and may answer and free it at once */
        return pz__repl_split_begin(self, p, r->range_id, msg, b.reqs[0].key);
    }
    pz__repl_flight_t *f = calloc(1, sizeof *f);
    if (f == NULL || (f->guard = s_guard(&b, r, f)) == NULL) {
        free(f);
        pz_reply_error(self, msg, PZ_ENOMEM, NULL);
        return PZ_ENOMEM;
    }
    f->kind = PZ_RF_BATCH;
    f->b = b;
    rc = pz__latch_acquire(&p->latches, f->guard);
    if (rc != 0) {
        pz__latch_guard_free(f->guard);
        free(f);
        pz_reply_error(self, msg, rc, "too many batches waiting for latches");
        return rc;
    }
    f->req = msg;
    f->deadline_ms = pz__repl_deadline_ms(self, msg);
    *kept = true;
    pz_metric_add(p->m_batches, 1);
    if (f->guard->granted) {
        s_run(self, p, f);
    } else {
        pz_metric_add(p->m_latch_waits, 1);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Storage's answer                                                                           */

/* What a successful batch changed that others wait on: resolved keys wake their waiters, a
 * changed transaction record re-evaluates the pushes parked on it, a PENDING transaction's
 * released locks answer the pushes parked on it (pz__repl_locks_released). */
static void s_after_success(pz_actor_t *self, pz__repl_t *p, const pz_kv_batch_t *b)
{
    bool released = false; /* a savepoint's release: its transaction's parked pushes, once */
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        if (q->op == PZ_KV_RESOLVE) {
            pz__repl_wake(self, p, b->header.range_id, q->key, q->end_key, 0);
            if (!released && q->has_ext && q->ext.has_pushee && q->ext.status == PZ_TXN_PENDING &&
                q->ext.pushee.ignored_len > 0) {
                released = true;
                pz__repl_locks_released(self, p, q->ext.pushee.id);
            }
        } else if (q->op == PZ_KV_END_TXN && q->has_ext) {
            for (uint32_t j = 0; j < q->ext.spans_len; j++) {
                const pz_kv_span_t *s = &q->ext.spans[j];
                pz__repl_wake(self, p, b->header.range_id, s->key, s->end_key, 0);
            }
        }
        if (q->op == PZ_KV_PUSH_TXN && q->has_ext && q->ext.has_pushee) {
            pz__repl_record_changed(self, p, q->ext.pushee.id);
        } else if ((q->op == PZ_KV_HEARTBEAT_TXN || q->op == PZ_KV_END_TXN) && b->header.has_txn) {
            pz__repl_record_changed(self, p, b->header.txn.id);
        }
    }
}

/* Forwards storage's answer to the batch's sender (repl's own batches have none). */
static void s_forward_reply(pz_actor_t *self, pz__repl_flight_t *f, pz_msg_t *reply)
{
    if (f->req == NULL) {
        return;
    }
    const char *text = NULL;
    int err = pz_msg_error(reply, &text);
    int rc =
        err ? (pz_reply_error(self, f->req, err, text), 0) : pz_reply_forward(self, f->req, reply);
    if (rc != 0) {
        pz_log(self, PZ_LOG_WARN, "cannot answer %s: %s", pz_msg_sender(f->req), pz_strerror(rc));
    }
}

static bool s_is_op(const pz_kv_batch_t *b, uint8_t op)
{
    return b->reqs_len == 1 && b->reqs[0].op == op;
}

/* The bytes a batch writes, counted toward its range's automatic split. */
static uint64_t s_write_bytes(const pz_kv_batch_t *b)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        if (pz_kv_op_is_write(b->reqs[i].op)) {
            n += (uint64_t)b->reqs[i].key.len + b->reqs[i].value.len;
        }
    }
    return n;
}

/* Handles a decoded answer; returns true when f was kept (waiting or parked). */
static bool s_on_resp(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply,
                      pz_kv_batch_resp_t *r)
{
    int code = r->error.code;
    if (code == PZ_EWRITE_INTENT && r->error.has_intent && f->req != NULL) {
        pz__repl_unlatch(self, p, f);
        pz__repl_wait(self, p, f, &r->error.intent);
        return true;
    }
    if (s_is_op(&f->b, PZ_KV_PUSH_TXN) && f->req != NULL) {
        if (code == PZ_EPUSH_FAILED && pz__repl_park(self, p, f, r)) {
            pz__repl_unlatch(self, p, f);
            return true;
        }
        if (f->tw_seq != 0) {
            (void)pz__tw_remove(p->txnwait, f->tw_seq); /* answered now */
            f->tw_seq = 0;
        }
    }
    if (code == 0) {
        s_record_reads(p, &f->b, r);
        if (s_is_op(&f->b, PZ_KV_QUERY_TXN) && f->req != NULL &&
            pz__repl_answer_query(self, p, f, r) == 0) {
            return false;
        }
    }
    s_forward_reply(self, f, reply);
    return false;
}

/* What a successful batch leaves behind once its writes are in the engine. */
static void s_finish(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    /* Unlatch before waking: a RESOLVE's waiters need the latches it held. */
    pz__repl_unlatch(self, p, f);
    s_after_success(self, p, &f->b);
    pz__repl_split_account(self, p, f->b.header.range_id, s_write_bytes(&f->b));
}

static int s_send_commit_wait(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    pz_kv_commit_t q = {.token = f->token};
    pz_out_t *out = NULL;
    int rc = pz_kv_commit_to_out(&q, PZ_MSG_KV_COMMIT_WAIT, &out);
    rc = rc ? rc : pz_request(self, p->storage, &out, p->timeout_ms, f, NULL);
    pz_out_free(&out);
    f->commit_waits++;
    return rc;
}

/* The batch of f was answered before its commit: hold its latches until storage says it is done.
 * When storage cannot even be asked, the latches go now (logged): waiting forever would only
 * stop every batch behind them. */
static void s_wait_commit(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, uint64_t token)
{
    assert(f->kind == PZ_RF_BATCH && token != 0);
    f->kind = PZ_RF_COMMIT;
    f->token = token;
    int rc = s_send_commit_wait(self, p, f);
    if (rc != 0) {
        pz_log(self, PZ_LOG_WARN, "cannot ask storage for a pipelined commit: %s", pz_strerror(rc));
        pz__repl_unlatch(self, p, f);
        pz__repl_flight_free(f);
    }
}

void pz__repl_commit_done(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply)
{
    assert(f->kind == PZ_RF_COMMIT);
    pz_kv_commit_t done;
    int rc = pz_msg_error(reply, NULL);
    if (rc == 0 && pz_kv_commit_from_msg(reply, PZ_MSG_KV_COMMIT_DONE, &done) == 0) {
        rc = done.token == f->token ? done.code : PZ_EPROTO;
    } else if (rc == 0) {
        rc = PZ_EPROTO;
    }
    if (rc == PZ_ETIMEDOUT && f->commit_waits < PZ_REPL_COMMIT_WAITS_MAX &&
        s_send_commit_wait(self, p, f) == 0) {
        return;
    }
    if (rc == 0) {
        s_finish(self, p, f);
    } else {
        /* The write is not in the engine (or its fate is unknown): its transaction's END_TXN
         * fails in storage, and nothing here assumed it landed. */
        pz_log(self, PZ_LOG_WARN, "pipelined commit failed: %s", pz_strerror(rc));
        pz__repl_unlatch(self, p, f);
    }
    pz__repl_flight_free(f);
}

/* Whether repl needs only the answer's timestamp and error: no request whose result it reads
 * (a scan's resume key, a pushed or queried record) and no pending commit token (only a
 * pipelined batch gets one). The answer goes on as it came; whoever uses the results decodes
 * and checks them. */
static bool s_head_is_enough(const pz_kv_batch_t *b)
{
    if (b->header.pipeline) {
        return false;
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        uint8_t op = b->reqs[i].op;
        if (op == PZ_KV_SCAN || op == PZ_KV_RSCAN || op == PZ_KV_PUSH_TXN ||
            op == PZ_KV_QUERY_TXN) {
            return false;
        }
    }
    return true;
}

void pz__repl_batch_done(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply)
{
    assert(f->kind == PZ_RF_BATCH);
    pz_kv_batch_resp_t r = {0};
    int rc = pz_msg_error(reply, NULL);
    if (rc == 0 && s_head_is_enough(&f->b)) {
        rc = pz_kv_batch_resp_peek(reply, &r.ts, &r.error);
    } else if (rc == 0) {
        rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r);
    }
    if (s_is_op(&f->b, PZ_KV_PUSH_TXN) && f->b.reqs[0].has_ext && f->b.reqs[0].ext.force) {
        bool aborted = rc == 0 && r.error.code == 0 && r.resps_len == 1 && r.resps[0].has_ext &&
                       r.resps[0].ext.has_record && r.resps[0].ext.record.status == PZ_TXN_ABORTED;
        pz__repl_forced_done(p, f, aborted);
    }
    bool kept = false;
    if (rc == 0) {
        kept = s_on_resp(self, p, f, reply, &r);
    } else {
        if (f->tw_seq != 0) {
            (void)pz__tw_remove(p->txnwait, f->tw_seq);
        }
        s_forward_reply(self, f, reply);
    }
    if (kept) {
        return;
    }
    if (rc == 0 && r.error.code == 0 && r.pending != 0) {
        s_wait_commit(self, p, f, r.pending); /* answered already; the latches stay */
        return;
    }
    if (rc == 0 && r.error.code == 0) {
        s_finish(self, p, f);
        pz__repl_flight_free(f);
        return;
    }
    pz__repl_unlatch(self, p, f);
    if (f->req == NULL && f->b.reqs_len == 1) {
        /* repl's own RESOLVE failed: its waiters would only meet the intent again (and push,
         * and resolve, in a loop): they fail with the reason. */
        int why = rc != 0 ? rc : r.error.code;
        pz__repl_wake(self, p, f->b.header.range_id, f->b.reqs[0].key, f->b.reqs[0].end_key, why);
    }
    pz__repl_flight_free(f);
}
