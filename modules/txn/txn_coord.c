/*
 * txn_coord.c — the transaction coordinator (CockroachDB's TxnCoordSender, as an actor).
 *
 * A SQL session opens a transaction with TXN_CTL BEGIN and sends its KV batches with header.txn
 * naming it; this file fills in the transaction's meta (timestamps, epoch, write sequence,
 * savepoint rollbacks), picks the anchor (the first written key: the record lives in its range)
 * and creates the record with the first write, remembers every span the transaction wrote (its
 * locks, resolved at the end) and read (refreshed when its write timestamp moves), heartbeats the
 * record, and ends it:
 *
 *   COMMIT    SERIALIZABLE with write_ts > read_ts: REFRESH the reads up to write_ts (nothing
 *             changed → commit there; else abort and 40001). Then END_TXN at the anchor; the
 *             anchor's range resolves its own intents in the same write and answers with the
 *             spans left, which are resolved here asynchronously after the client has its answer.
 *             A record pushed meanwhile (PZ_ETXN_RETRY) is refreshed again; a lost answer is
 *             PZ_EAMBIGUOUS, never success.
 *   ROLLBACK  END_TXN abort, then the same asynchronous resolution.
 *
 * Reads meeting an uncertain value (PZ_EUNCERTAIN) refresh to its timestamp and retry the batch
 * here, without the client seeing it. So do locking reads meeting a committed version newer than
 * the snapshot (PZ_EWRITE_TOO_OLD: the UPDATE that waited on a row's holder now reads and locks
 * the holder's value instead of writing over it and failing the commit-time refresh); at READ
 * COMMITTED they move the statement up without a refresh, as PostgreSQL re-reads a row it waited
 * for. Waiting for locks, pushing and deadlock detection happen below (repl); what reaches this
 * file is their outcome.
 *
 * Written by hand: the protocol is the project's own (kv.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn_int.h"

/* Retries of one step (an uncertain read refreshed, a pushed commit refreshed): each moves the
 * transaction's timestamps forward, so contention on one key converges; past this the client
 * gets the 40001 and retries the whole transaction. */
#define S_STEP_RETRIES_MAX 8
/* Retries of one batch whose locking reads met newer versions (PZ_EWRITE_TOO_OLD). Each follows
 * a commit by another writer of the same rows, so the loop only turns while others make
 * progress; but repl's lock queues are not fair — when a hot row's holder commits, its waiters
 * run again through this coordinator while a newcomer (often the committer's next transaction)
 * may take the row first — so a waiter can lose many rounds in a row (64 were seen lost by a
 * session among 8 that only lock one row). The bound ends a starved wait with the 40001. */
#define S_LOCK_RETRIES_MAX 1024
/* Spans per asynchronous RESOLVE batch. */
#define S_RESOLVE_SPANS_MAX 1024

typedef enum {
    S_OP_BATCH = 1, /* a client's batch in a transaction */
    S_OP_REFRESH,   /* then: retry the batch (then_commit false) or END_TXN commit */
    S_OP_END,
    S_OP_HEARTBEAT,
    S_OP_RESOLVE, /* background */
} s_kind_t;

/* What the coordinator waits on: the ctx of one pz_request. */
typedef struct s_op {
    s_kind_t kind;
    uint8_t id[PZ_TXN_ID_BYTES];
    pz_msg_t *client;  /* the request to answer (KV_BATCH or TXN_CTL); NULL for background */
    pz_msg_t *held;    /* implicit transactions: the batch reply, sent after the commit */
    pz_arena_t *arena; /* what the requests built here point into */
    uint32_t attempt;
    bool commit;        /* END: commit (else abort) */
    bool then_commit;   /* REFRESH: END_TXN commit follows (else the batch is retried) */
    bool durable;       /* END */
    pz_hlc_t target;    /* REFRESH: where the reads move to */
    int retry_code;     /* REFRESH then the batch again: the batch's error that caused it */
    int fail_code;      /* END abort after a failed commit: the error the client gets */
    pz_kv_req_t *rreqs; /* RESOLVE: the requests sent (in arena), to continue them */
    uint32_t rn;
    const char *fail_text;
} s_op_t;

static s_op_t *s_op_new(s_kind_t kind, const uint8_t *id, pz_msg_t *client)
{
    s_op_t *op = calloc(1, sizeof *op);
    if (op != NULL && (op->arena = pz_arena_new()) == NULL) {
        free(op);
        op = NULL;
    }
    if (op != NULL) {
        op->kind = kind;
        memcpy(op->id, id, PZ_TXN_ID_BYTES);
        op->client = client;
    }
    return op;
}

static void s_op_free(s_op_t *op)
{
    if (op != NULL) {
        pz_msg_free(&op->client);
        pz_msg_free(&op->held);
        pz_arena_destroy(&op->arena);
        free(op);
    }
}

static pz__txn_t *s_txn(pz__coord_t *c, const uint8_t *id)
{
    return pz__txn_find(&c->txns, (pz_view_t){id, PZ_TXN_ID_BYTES});
}

static void s_forget(pz__coord_t *c, pz__txn_t *x)
{
    pz__txn_remove(&c->txns, x);
    pz_metric_set(c->m_open, (int64_t)c->txns.len);
}

/* ---------------------------------------------------------------------------------------- */
/* Answers                                                                                   */

/* The error a client sees for an aborted transaction: a deadlock victim's is 40P01. */
static int s_abort_code(const pz__txn_t *x)
{
    return x != NULL && x->abort_reason == PZ_ABORT_DEADLOCK ? PZ_EDEADLOCK : PZ_ETXN_ABORTED;
}

static const char *s_abort_text(uint8_t reason)
{
    switch (reason) {
    case PZ_ABORT_DEADLOCK:
        return "deadlock detected: this transaction was chosen to break a cycle of lock waits";
    case PZ_ABORT_EXPIRED:
        return "restart transaction: the transaction was aborted because its heartbeat expired";
    case PZ_ABORT_PUSHED:
        return "restart transaction: the transaction was aborted by a transaction of higher "
               "priority";
    default:
        return "restart transaction: the transaction was aborted";
    }
}

/* Answers a TXN_CTL request. */
static void s_ctl_reply(pz__coord_t *c, const pz_msg_t *req, const pz__txn_t *x, int code,
                        const char *message, uint32_t savepoint)
{
    pz_arena_t *a = pz_arena_new();
    pz_txn_ctl_resp_t r = {.savepoint = savepoint};
    r.error.code = code;
    r.error.index = -1;
    r.error.message = pz_view_str(message ? message : "");
    if (x != NULL && a != NULL && pz__txn_meta(x, a, &r.txn) == 0) {
        r.status = x->status;
    }
    pz_out_t *out = NULL;
    int rc = a ? pz_txn_ctl_resp_to_out(&r, PZ_MSG_TXN_CTL_RESP, &out) : PZ_ENOMEM;
    rc = rc ? rc : pz_reply(c->self, req, &out);
    if (rc != 0) {
        pz_out_free(&out);
        pz_reply_error(c->self, req, code ? code : rc, message);
    }
    pz_arena_destroy(&a);
}

/* Answers a KV_BATCH with a batch-level error. */
static void s_batch_fail(pz__coord_t *c, const pz_msg_t *req, int code, const char *message)
{
    pz_kv_batch_resp_t r = {.ts = pz_hlc_now()};
    r.error.code = code;
    r.error.index = -1;
    r.error.message = pz_view_str(message ? message : pz_strerror(code));
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_resp_to_out(&r, PZ_MSG_KV_BATCH_RESP, &out);
    rc = rc ? rc : pz_reply(c->self, req, &out);
    if (rc != 0) {
        pz_out_free(&out);
        pz_reply_error(c->self, req, code, message);
    }
    pz_metric_add(c->m_errors, 1);
}

/* Answers whichever request op serves, with an error. */
static void s_fail(pz__coord_t *c, s_op_t *op, const pz__txn_t *x, int code, const char *message)
{
    if (op->client == NULL) {
        return;
    }
    if (pz_msg_type(op->client) == PZ_MSG_TXN_CTL) {
        s_ctl_reply(c, op->client, x, code, message, 0);
    } else {
        s_batch_fail(c, op->client, code, message);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Sending                                                                                   */

static int s_send(pz__coord_t *c, pz_kv_batch_t *b, s_op_t *op)
{
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_to_out(b, PZ_MSG_KV_BATCH, &out);
    rc = rc ? rc
            : pz_request(c->self, c->next, &out, c->timeout_ms,
                         (void *)((uintptr_t)op | PZ__TXN_CTX_COORD), NULL);
    pz_out_free(&out);
    return rc;
}

/* Sends one RESOLVE batch of n spans for the transaction `meta` (status, commit timestamp).
 * Everything the batch needs is copied into the op's arena, because a RESOLVE that stops early
 * (10,000 intents) is continued from its resume key after the transaction is forgotten. client:
 * a kept TXN_CTL request answered when the batch is (ROLLBACK TO); on failure still the
 * caller's. */
static int s_send_resolve(pz__coord_t *c, const pz_kv_txn_t *meta, const pz_kv_span_t *spans,
                          uint32_t n, uint8_t status, pz_msg_t *client)
{
    assert(meta->id.len == PZ_TXN_ID_BYTES && n > 0);
    s_op_t *op = s_op_new(S_OP_RESOLVE, meta->id.ptr, client);
    pz_arena_t *a = op ? op->arena : NULL;
    pz_kv_req_t *reqs = a ? pz_arena_alloc(a, sizeof *reqs * n) : NULL;
    pz_kv_req_ext_t ext = {.status = status, .has_pushee = true, .pushee = *meta};
    ext.pushee.ignored = NULL;
    if (reqs != NULL && meta->ignored_len > 0) {
        ext.pushee.ignored = pz_arena_alloc(a, sizeof *meta->ignored * meta->ignored_len);
        if (ext.pushee.ignored != NULL) {
            memcpy(ext.pushee.ignored, meta->ignored, sizeof *meta->ignored * meta->ignored_len);
        }
    }
    if (reqs == NULL || (meta->ignored_len > 0 && ext.pushee.ignored == NULL)) {
        if (op != NULL) {
            op->client = NULL; /* still the caller's */
        }
        s_op_free(op);
        return PZ_ENOMEM;
    }
    ext.pushee.id = pz_arena_dup(a, meta->id.ptr, meta->id.len);
    ext.pushee.key = pz_arena_dup(a, meta->key.ptr, meta->key.len);
    for (uint32_t i = 0; i < n; i++) {
        reqs[i] =
            (pz_kv_req_t){.op = PZ_KV_RESOLVE,
                          .key = pz_arena_dup(a, spans[i].key.ptr, spans[i].key.len),
                          .end_key = pz_arena_dup(a, spans[i].end_key.ptr, spans[i].end_key.len),
                          .has_ext = true,
                          .ext = ext};
    }
    op->rreqs = reqs;
    op->rn = n;
    pz_kv_batch_t b = {.header = {.ts = meta->write_ts}, .reqs = reqs, .reqs_len = n};
    int rc = s_send(c, &b, op);
    if (rc != 0) {
        op->client = NULL;
        s_op_free(op);
    }
    return rc;
}

/* Resolves spans of x's intents with status, in the background (best effort: an intent left
 * behind is resolved by whoever meets it, from the record). */
static void s_resolve_async(pz__coord_t *c, const pz__txn_t *x, const pz_kv_span_t *spans,
                            uint32_t n, uint8_t status)
{
    pz_arena_t *a = pz_arena_new();
    pz_kv_txn_t meta;
    int rc = a ? pz__txn_meta(x, a, &meta) : PZ_ENOMEM;
    for (uint32_t at = 0; rc == 0 && at < n; at += S_RESOLVE_SPANS_MAX) {
        uint32_t k = n - at < S_RESOLVE_SPANS_MAX ? n - at : S_RESOLVE_SPANS_MAX;
        rc = s_send_resolve(c, &meta, spans + at, k, status, NULL);
    }
    if (rc != 0) {
        pz_log(c->self, PZ_LOG_WARN, "cannot resolve intents: %s", pz_strerror(rc));
    }
    pz_arena_destroy(&a);
}

/* A RESOLVE batch answered: the spans that stopped early go on from their resume keys. */
static void s_on_resolve_reply(pz__coord_t *c, s_op_t *op, pz_msg_t *reply)
{
    pz_kv_batch_resp_t r;
    if (pz_msg_error(reply, NULL) != 0 ||
        pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r) != 0 || r.error.code != 0 ||
        r.resps_len != op->rn) {
        pz_log(c->self, PZ_LOG_DEBUG, "intent resolution failed; left to readers");
        return;
    }
    pz_kv_span_t *more = pz_arena_alloc(op->arena, sizeof *more * op->rn);
    uint32_t n = 0;
    for (uint32_t i = 0; more != NULL && i < op->rn; i++) {
        if (r.resps[i].has_resume && op->rreqs[i].end_key.len > 0) {
            more[n++] =
                (pz_kv_span_t){.key = r.resps[i].resume_key, .end_key = op->rreqs[i].end_key};
        }
    }
    if (n > 0) {
        const pz_kv_req_ext_t *e = &op->rreqs[0].ext;
        (void)s_send_resolve(c, &e->pushee, more, n, e->status, NULL);
    }
}

/* Resolves every lock span of x (after an abort whose END did not resolve anything). */
static void s_resolve_all(pz__coord_t *c, pz__txn_t *x, uint8_t status)
{
    pz_arena_t *a = pz_arena_new();
    pz_kv_span_t *v = a ? pz__spans_view(&x->locks, a) : NULL;
    if (v != NULL) {
        s_resolve_async(c, x, v, x->locks.len, status);
    }
    pz_arena_destroy(&a);
}

static void s_heartbeat_one(pz__coord_t *c, pz__txn_t *x);

/* Records what batch b will write or lock (before it is sent: its intents may land even if the
 * batch fails) and, with reads, what it read (after it succeeded: a refresh re-checks earlier
 * reads, and the read that met an uncertain value must not be among them or it could never
 * pass). */
static int s_track(pz__txn_t *x, const pz_kv_batch_t *b, bool reads, bool *writes)
{
    *writes = false;
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        pz_view_t end = pz_kv_req_is_span(q) ? q->end_key : (pz_view_t){0};
        bool w = pz_kv_op_is_write(q->op);
        bool r = q->op == PZ_KV_GET || q->op == PZ_KV_SCAN || q->op == PZ_KV_RSCAN ||
                 q->op == PZ_KV_CPUT || q->op == PZ_KV_DEL_RANGE;
        if (!w && !r) {
            return PZ_EINVAL; /* record ops, RESOLVE, GC, SPLIT are the coordinator's own */
        }
        int rc = 0;
        if (!reads && (w || q->lock != PZ_LOCK_NONE)) {
            rc = pz__spans_add(&x->locks, q->key, end);
        }
        if (rc == 0 && r && reads) {
            rc = pz__spans_add(&x->reads, q->key, end);
        }
        if (rc != 0) {
            return rc;
        }
        *writes = *writes || w || q->lock != PZ_LOCK_NONE;
    }
    return 0;
}

/* Sends the client's batch of op (op->client, decoded again: retries resend it) as part of x. */
static int s_send_batch(pz__coord_t *c, pz__txn_t *x, s_op_t *op)
{
    pz_kv_batch_t b;
    int rc = pz_kv_batch_from_msg(op->client, PZ_MSG_KV_BATCH, &b);
    bool writes = false;
    rc = rc ? rc : s_track(x, &b, false, &writes);
    if (rc != 0) {
        return rc;
    }
    if (writes && x->read_only) {
        return PZ_EREAD_ONLY;
    }
    pz_arena_t *a = pz_msg_arena(op->client);
    if (writes) {
        x->seq++;
        if (x->anchor == NULL) {
            /* The first write: its first key anchors the record. */
            uint32_t w = 0;
            while (!pz_kv_op_is_write(b.reqs[w].op) && b.reqs[w].lock == PZ_LOCK_NONE) {
                w++;
            }
            assert(w < b.reqs_len);
            uint32_t len = b.reqs[w].key.len;
            len = len > PZ_TXN_ANCHOR_BYTES_MAX ? PZ_TXN_ANCHOR_BYTES_MAX : len;
            x->anchor = malloc(len);
            if (x->anchor == NULL) {
                return PZ_ENOMEM;
            }
            memcpy(x->anchor, b.reqs[w].key.ptr, len);
            x->anchor_len = len;
        }
        /* Pipelined (kv.h): answered once evaluated, committed in the background, not
         * fsynced — END_TXN waits for these commits and its durable commit syncs them. The
         * record is not written here: the first heartbeat (within PZ_TXN_HEARTBEAT_MS) or
         * END_TXN creates it, and until then a pusher that meets an intent treats the
         * transaction as pending since min_ts (mvcc_txn.c), which expires long after. Most
         * transactions end before their first heartbeat and so never write a PENDING record. */
        b.header.pipeline = true;
        b.header.durable = false;
    }
    b.header.has_txn = true;
    rc = pz__txn_meta(x, a, &b.header.txn);
    b.header.ts = x->read_ts;
    return rc ? rc : s_send(c, &b, op);
}

static void s_refreshed(pz__coord_t *c, s_op_t *op, pz__txn_t *x);

/* Sends REFRESH for every read span of x from x->read_ts to op->target; with nothing read yet
 * there is nothing to check and the transaction moves up at once. */
static int s_send_refresh(pz__coord_t *c, pz__txn_t *x, s_op_t *op)
{
    pz_arena_t *a = op->arena;
    uint32_t n = x->reads.len;
    if (n == 0) {
        s_refreshed(c, op, x);
        return 0;
    }
    pz_kv_span_t *v = pz__spans_view(&x->reads, a);
    pz_kv_req_t *reqs = pz_arena_alloc(a, sizeof *reqs * (n ? n : 1));
    pz_kv_batch_t b = {.reqs = reqs, .reqs_len = n};
    int rc = v && reqs ? pz__txn_meta(x, a, &b.header.txn) : PZ_ENOMEM;
    if (rc != 0) {
        return rc;
    }
    b.header.has_txn = true;
    b.header.txn.write_ts = op->target;
    b.header.ts = x->read_ts;
    for (uint32_t i = 0; i < n; i++) {
        reqs[i] = (pz_kv_req_t){.op = PZ_KV_REFRESH,
                                .key = v[i].key,
                                .end_key = v[i].end_key,
                                .has_ext = true,
                                .ext = {.from_ts = x->read_ts}};
    }
    pz_metric_add(c->m_refreshes, 1);
    return s_send(c, &b, op);
}

static int s_send_end(pz__coord_t *c, pz__txn_t *x, s_op_t *op)
{
    pz_arena_t *a = op->arena;
    pz_kv_span_t *v = pz__spans_view(&x->locks, a);
    pz_kv_req_t *req = pz_arena_alloc(a, sizeof *req);
    pz_kv_batch_t b = {.reqs = req, .reqs_len = 1};
    int rc = v && req ? pz__txn_meta(x, a, &b.header.txn) : PZ_ENOMEM;
    if (rc != 0) {
        return rc;
    }
    b.header.has_txn = true;
    b.header.ts = x->write_ts;
    b.header.durable = op->durable || !op->commit;
    *req = (pz_kv_req_t){.op = PZ_KV_END_TXN,
                         .key = {x->anchor, x->anchor_len},
                         .has_ext = true,
                         .ext = {.commit = op->commit, .spans = v, .spans_len = x->locks.len}};
    x->ending = true;
    return s_send(c, &b, op);
}

/* ---------------------------------------------------------------------------------------- */
/* Ending                                                                                    */

/* Starts the commit of x for op: refresh first when the reads are behind the write timestamp
 * (SERIALIZABLE only: READ COMMITTED commits at its write timestamp as it is). */
static int s_start_commit(pz__coord_t *c, pz__txn_t *x, s_op_t *op)
{
    op->commit = true;
    if (x->isolation == PZ_ISO_SERIALIZABLE && pz_hlc_cmp(x->write_ts, x->read_ts) > 0 &&
        x->reads.len > 0) {
        op->kind = S_OP_REFRESH;
        op->then_commit = true;
        op->target = x->write_ts;
        return s_send_refresh(c, x, op);
    }
    op->kind = S_OP_END;
    return s_send_end(c, x, op);
}

/* Aborts x for op after a failure (code, text: what the client gets once the record says
 * ABORTED); without a record there is nothing to write, only intents to resolve. */
static void s_abort_after(pz__coord_t *c, pz__txn_t *x, s_op_t *op, int code, const char *text)
{
    op->fail_code = code;
    op->fail_text = text;
    op->commit = false;
    op->kind = S_OP_END;
    if (x->anchor != NULL && s_send_end(c, x, op) == 0) {
        return;
    }
    s_resolve_all(c, x, PZ_TXN_ABORTED);
    s_fail(c, op, x, code, text);
    pz_metric_add(c->m_aborts, 1);
    s_forget(c, x);
    s_op_free(op);
}

/* The answer to the client once x committed: a TXN_CTL reply, or for an implicit transaction
 * the batch reply it held, as if the batch had run alone. */
static void s_answer_commit(pz__coord_t *c, pz__txn_t *x, s_op_t *op)
{
    if (op->held == NULL) {
        s_ctl_reply(c, op->client, x, 0, NULL, 0);
        return;
    }
    pz_kv_batch_resp_t r;
    int rc = pz_kv_batch_resp_from_msg(op->held, PZ_MSG_KV_BATCH_RESP, &r);
    if (rc == 0) {
        r.has_txn = false;
        r.ts = x->write_ts;
        pz_out_t *out = NULL;
        rc = pz_kv_batch_resp_to_out(&r, PZ_MSG_KV_BATCH_RESP, &out);
        rc = rc ? rc : pz_reply(c->self, op->client, &out);
        pz_out_free(&out);
    }
    if (rc != 0) {
        pz_reply_error(c->self, op->client, rc, "cannot answer the committed batch");
    }
}

static void s_on_end_reply(pz__coord_t *c, s_op_t *op, pz__txn_t *x, pz_msg_t *reply)
{
    const char *text = NULL;
    pz_kv_batch_resp_t r;
    int err = pz_msg_error(reply, &text);
    if (err == 0 && pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r) != 0) {
        err = PZ_EPROTO;
    }
    if (err != 0) {
        /* No answer from the record's range: a commit may or may not have happened. */
        if (op->commit) {
            s_fail(c, op, x, PZ_EAMBIGUOUS,
                   "result is ambiguous: the commit's outcome is unknown (the transaction record "
                   "did not answer)");
        } else {
            s_resolve_all(c, x, PZ_TXN_ABORTED);
            if (op->fail_code != 0) {
                s_fail(c, op, x, op->fail_code, op->fail_text);
            } else if (op->client != NULL) {
                s_ctl_reply(c, op->client, x, 0, NULL, 0);
            }
        }
        s_forget(c, x);
        s_op_free(op);
        return;
    }
    int code = r.error.code;
    if (code == PZ_ETXN_RETRY && op->commit && op->attempt < S_STEP_RETRIES_MAX) {
        /* Pushed while it ran: move up and refresh again. */
        op->attempt++;
        if (pz_hlc_cmp(r.error.existing_ts, x->write_ts) > 0) {
            x->write_ts = r.error.existing_ts;
        }
        if (s_start_commit(c, x, op) != 0) {
            s_abort_after(c, x, op, PZ_ETXN_RETRY, "restart transaction: cannot refresh");
        }
        return;
    }
    if (code == PZ_ETXN_ABORTED || (code != 0 && !op->commit)) {
        if (r.error.has_record) {
            x->abort_reason = r.error.record.abort_reason;
        }
        x->status = PZ_TXN_ABORTED;
        s_resolve_all(c, x, PZ_TXN_ABORTED);
        if (op->fail_code != 0) {
            s_fail(c, op, x, op->fail_code, op->fail_text);
        } else if (op->commit) {
            s_fail(c, op, x, s_abort_code(x), s_abort_text(x->abort_reason));
        } else if (op->client != NULL) {
            s_ctl_reply(c, op->client, x, 0, NULL, 0);
        }
        pz_metric_add(c->m_aborts, 1);
        s_forget(c, x);
        s_op_free(op);
        return;
    }
    if (code != 0) {
        /* The commit failed for another reason (a full disk, a timeout below): abort. */
        s_abort_after(c, x, op, code, "the transaction could not commit and was rolled back");
        return;
    }
    const pz_kv_txn_record_t *rec = NULL;
    if (r.resps_len == 1 && r.resps[0].has_ext && r.resps[0].ext.has_record) {
        rec = &r.resps[0].ext.record;
    }
    uint8_t status = op->commit ? PZ_TXN_COMMITTED : PZ_TXN_ABORTED;
    x->status = status;
    if (rec != NULL) {
        s_resolve_async(c, x, rec->lock_spans, rec->lock_spans_len, status);
    } else {
        s_resolve_all(c, x, status);
    }
    if (op->commit) {
        /* A reader's timestamp push may have moved the commit up to its uncertainty limit,
         * ahead of this node's clock: move the clock past it before anyone hears of the commit,
         * so every later statement here reads at or above it (else a client could commit and
         * then not see its own write). Ahead by at most the max offset, which the HLC accepts. */
        (void)pz_hlc_update(x->write_ts);
        pz_metric_add(c->m_commits, 1);
        s_answer_commit(c, x, op);
    } else if (op->fail_code != 0) {
        pz_metric_add(c->m_aborts, 1);
        s_fail(c, op, x, op->fail_code, op->fail_text);
    } else if (op->client != NULL) {
        pz_metric_add(c->m_aborts, 1);
        s_ctl_reply(c, op->client, x, 0, NULL, 0);
    }
    s_forget(c, x);
    s_op_free(op);
}

/* ---------------------------------------------------------------------------------------- */
/* Batches and refreshes                                                                     */

/* Replies to the client's batch with the answer from below. */
static void s_answer_batch(pz__coord_t *c, s_op_t *op, pz_kv_batch_resp_t *r)
{
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_resp_to_out(r, PZ_MSG_KV_BATCH_RESP, &out);
    rc = rc ? rc : pz_reply(c->self, op->client, &out);
    if (rc != 0) {
        pz_out_free(&out);
        pz_reply_error(c->self, op->client, rc, "cannot answer the batch");
    }
    if (r->error.code != 0) {
        pz_metric_add(c->m_errors, 1);
    }
}

static void s_batch_done(pz__coord_t *c, s_op_t *op, pz__txn_t *x, pz_msg_t *reply,
                         pz_kv_batch_resp_t *r)
{
    pz_kv_batch_t b;
    bool writes;
    if (r->error.code == 0 && (pz_kv_batch_from_msg(op->client, PZ_MSG_KV_BATCH, &b) != 0 ||
                               s_track(x, &b, true, &writes) != 0)) {
        /* Unrecorded reads could not be refreshed: the transaction cannot go on safely. */
        r->error.code = PZ_ENOMEM;
        r->error.index = -1;
        r->error.message = pz_view_str("cannot record the transaction's reads");
        r->resps_len = 0;
    }
    if (r->error.code == PZ_ETXN_ABORTED) {
        x->status = PZ_TXN_ABORTED;
        x->abort_reason = r->error.has_record ? r->error.record.abort_reason : 0;
        r->error.code = s_abort_code(x);
        r->error.message = pz_view_str(s_abort_text(x->abort_reason));
    }
    if (!x->implicit) {
        s_answer_batch(c, op, r);
        s_op_free(op);
        return;
    }
    if (r->error.code != 0) {
        s_answer_batch(c, op, r);
        pz_msg_free(&op->client); /* answered: the abort runs in the background */
        s_abort_after(c, x, op, 0, NULL);
        return;
    }
    op->held = pz_msg_keep(reply);
    if (s_start_commit(c, x, op) != 0) {
        pz_msg_free(&op->held);
        s_abort_after(c, x, op, PZ_ETXN_RETRY, "restart transaction: cannot commit");
    }
}

/* A batch that met a value above the transaction's snapshot — in the uncertainty window
 * (PZ_EUNCERTAIN), or under a locking read (PZ_EWRITE_TOO_OLD) — runs again above it if nothing
 * read so far changed: true when op went on that way (refreshing, or sent again). */
static bool s_retry_above(pz__coord_t *c, s_op_t *op, pz__txn_t *x, const pz_kv_error_t *e)
{
    bool wto = e->code == PZ_EWRITE_TOO_OLD;
    uint32_t max = wto ? S_LOCK_RETRIES_MAX : S_STEP_RETRIES_MAX;
    if ((e->code != PZ_EUNCERTAIN && !wto) || x->fixed_ts || op->attempt >= max ||
        pz_hlc_cmp(e->existing_ts, x->read_ts) <= 0) {
        return false;
    }
    op->attempt++;
    op->kind = S_OP_REFRESH;
    op->then_commit = false;
    op->retry_code = e->code;
    /* A locking read goes just above the version, where its lock (at write_ts) can land too:
     * at the version's own timestamp the lock would be pushed above read_ts, and COMMIT would
     * need a refresh for that one tick. */
    op->target = wto ? pz_hlc_next(e->existing_ts) : e->existing_ts;
    if (wto && x->isolation == PZ_ISO_READ_COMMITTED) {
        /* Each statement reads its own snapshot; rows it locked stay as it read them, and the
         * rest may move up as PostgreSQL's EvalPlanQual re-reads a row it waited for. */
        s_refreshed(c, op, x);
        return true;
    }
    int rc = s_send_refresh(c, x, op);
    if (rc != 0) {
        s_fail(c, op, x, rc, NULL);
        s_op_free(op);
    }
    return true;
}

static void s_on_batch_reply(pz__coord_t *c, s_op_t *op, pz__txn_t *x, pz_msg_t *reply)
{
    const char *text = NULL;
    int err = pz_msg_error(reply, &text);
    pz_kv_batch_resp_t r;
    if (err == 0 && pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r) != 0) {
        err = PZ_EPROTO;
        text = "malformed batch reply";
    }
    if (err != 0) {
        if (x->implicit) {
            s_fail(c, op, x, err, text);
            pz_msg_free(&op->client);
            s_abort_after(c, x, op, 0, NULL);
        } else {
            s_fail(c, op, x, err, text);
            s_op_free(op);
        }
        return;
    }
    (void)pz_hlc_update(r.ts);
    if (r.has_txn && pz_hlc_cmp(r.txn.write_ts, x->write_ts) > 0) {
        x->write_ts = r.txn.write_ts;
    }
    if (s_retry_above(c, op, x, &r.error)) {
        return;
    }
    s_batch_done(c, op, x, reply, &r);
}

/* The reads of x are valid at op->target: move up and go on (END_TXN, or the batch again). */
static void s_refreshed(pz__coord_t *c, s_op_t *op, pz__txn_t *x)
{
    x->read_ts = op->target;
    if (pz_hlc_cmp(x->write_ts, op->target) < 0) {
        x->write_ts = op->target;
    }
    int rc;
    if (op->then_commit) {
        op->kind = S_OP_END;
        rc = s_send_end(c, x, op);
    } else {
        op->kind = S_OP_BATCH;
        rc = s_send_batch(c, x, op);
    }
    if (rc != 0) {
        s_abort_after(c, x, op, rc, "the transaction could not continue");
    }
}

static void s_on_refresh_reply(pz__coord_t *c, s_op_t *op, pz__txn_t *x, pz_msg_t *reply)
{
    const char *text = NULL;
    int err = pz_msg_error(reply, &text);
    pz_kv_batch_resp_t r;
    if (err == 0 && pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r) != 0) {
        err = PZ_EPROTO;
    }
    if (err == 0 && r.error.code == 0) {
        s_refreshed(c, op, x);
        return;
    }
    pz_metric_add(c->m_refresh_fails, 1);
    if (op->then_commit || x->implicit) {
        s_abort_after(c, x, op, PZ_ETXN_RETRY,
                      "restart transaction: a value this transaction read was changed by a "
                      "concurrent transaction before it could commit (serialization failure)");
        return;
    }
    if (op->retry_code == PZ_EWRITE_TOO_OLD) {
        s_fail(c, op, x, PZ_EWRITE_TOO_OLD,
               "restart transaction: a row this statement locks was changed by a concurrent "
               "transaction after this transaction's snapshot, and a value it read before "
               "changed too (serialization failure)");
    } else {
        s_fail(c, op, x, PZ_EUNCERTAIN,
               "restart transaction: read within the uncertainty interval of a concurrent write");
    }
    s_op_free(op);
}

/* ---------------------------------------------------------------------------------------- */
/* Heartbeats                                                                                */

static void s_heartbeat_one(pz__coord_t *c, pz__txn_t *x)
{
    s_op_t *op = s_op_new(S_OP_HEARTBEAT, x->id, NULL);
    pz_kv_req_t *req = op ? pz_arena_alloc(op->arena, sizeof *req) : NULL;
    pz_kv_batch_t b = {.reqs = req, .reqs_len = 1, .header = {.has_txn = true}};
    int rc = req ? pz__txn_meta(x, op->arena, &b.header.txn) : PZ_ENOMEM;
    if (rc == 0) {
        b.header.ts = x->read_ts;
        *req = (pz_kv_req_t){.op = PZ_KV_HEARTBEAT_TXN, .key = {x->anchor, x->anchor_len}};
        rc = s_send(c, &b, op);
    }
    if (rc != 0) {
        s_op_free(op);
        return;
    }
    x->hb_inflight = true;
}

void pz__coord_heartbeat(pz__coord_t *c)
{
    for (uint32_t i = 0; i < c->txns.cap; i++) {
        pz__txn_t *x = c->txns.slots[i];
        if (x != NULL && x->anchor != NULL && x->status == PZ_TXN_PENDING && !x->ending &&
            !x->hb_inflight) {
            s_heartbeat_one(c, x);
        }
    }
    c->hb_timer = pz_timer_arm(c->self, PZ_TXN_HEARTBEAT_MS, PZ__TXN_TIMER_HEARTBEAT);
}

static void s_on_heartbeat_reply(pz__txn_t *x, pz_msg_t *reply)
{
    x->hb_inflight = false;
    pz_kv_batch_resp_t r;
    if (pz_msg_error(reply, NULL) != 0 ||
        pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r) != 0) {
        return; /* the next one tries again; the record expires only after several misses */
    }
    const pz_kv_txn_record_t *rec = NULL;
    if (r.error.code == PZ_ETXN_ABORTED && r.error.has_record) {
        rec = &r.error.record;
    } else if (r.error.code == 0 && r.resps_len == 1 && r.resps[0].has_ext &&
               r.resps[0].ext.has_record) {
        rec = &r.resps[0].ext.record;
    }
    if (r.error.code == PZ_ETXN_ABORTED || (rec != NULL && rec->status == PZ_TXN_ABORTED)) {
        /* Someone aborted it: the next request of its client learns it. */
        x->status = PZ_TXN_ABORTED;
        x->abort_reason = rec ? rec->abort_reason : 0;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Control requests                                                                          */

static pz__txn_t *s_begin_txn(pz__coord_t *c, uint8_t isolation, uint32_t priority, pz_hlc_t as_of)
{
    pz__txn_t *x = calloc(1, sizeof *x);
    if (x == NULL) {
        return NULL;
    }
    for (int i = 0; i < PZ_TXN_ID_BYTES; i += 8) {
        uint64_t r = pz_rand_u64(c->self);
        memcpy(x->id + i, &r, 8);
    }
    pz_hlc_t now = pz_hlc_now();
    x->min_ts = now;
    x->fixed_ts = !pz_hlc_is_zero(as_of);
    x->read_ts = x->fixed_ts ? as_of : now;
    x->write_ts = x->read_ts;
    x->unc_limit = x->read_ts;
    if (!x->fixed_ts) {
        x->unc_limit.wall += c->max_offset_ns;
    }
    x->isolation = isolation;
    x->priority = priority ? priority : PZ_TXN_PRIORITY_NORMAL;
    x->status = PZ_TXN_PENDING;
    pz__spans_init(&x->locks, PZ_TXN_SPANS_MAX);
    pz__spans_init(&x->reads, PZ_TXN_READ_SPANS_MAX);
    if (pz__txn_insert(&c->txns, x) != 0) {
        pz__txn_free(x);
        return NULL;
    }
    pz_metric_set(c->m_open, (int64_t)c->txns.len);
    return x;
}

static void s_on_begin(pz__coord_t *c, pz_msg_t *msg, const pz_txn_ctl_t *q)
{
    if (q->isolation > PZ_ISO_READ_COMMITTED) {
        s_ctl_reply(c, msg, NULL, PZ_EINVAL, "unknown isolation level", 0);
        return;
    }
    pz__txn_t *x = s_begin_txn(c, q->isolation, q->priority, q->as_of);
    if (x == NULL) {
        s_ctl_reply(c, msg, NULL, PZ_ELIMIT, "too many open transactions on this node", 0);
        return;
    }
    x->read_only = q->read_only || x->fixed_ts;
    s_ctl_reply(c, msg, x, 0, NULL, 0);
}

/* COMMIT and ROLLBACK: answered when the record says so. */
static void s_on_end(pz__coord_t *c, pz_msg_t *msg, pz__txn_t *x, bool commit, bool durable)
{
    if (x->anchor == NULL || (commit && x->status == PZ_TXN_ABORTED)) {
        /* Nothing written (no record), or already aborted by someone else. */
        bool aborted = x->status == PZ_TXN_ABORTED;
        if (aborted && x->anchor != NULL) {
            s_resolve_all(c, x, PZ_TXN_ABORTED);
        }
        if (commit && aborted) {
            s_ctl_reply(c, msg, x, s_abort_code(x), s_abort_text(x->abort_reason), 0);
        } else {
            x->status = commit ? PZ_TXN_COMMITTED : PZ_TXN_ABORTED;
            s_ctl_reply(c, msg, x, 0, NULL, 0);
        }
        pz_metric_add(commit && !aborted ? c->m_commits : c->m_aborts, 1);
        s_forget(c, x);
        return;
    }
    pz_msg_t *kept = pz_msg_keep(msg);
    s_op_t *op = s_op_new(S_OP_END, x->id, kept);
    if (op == NULL) {
        s_ctl_reply(c, kept, x, PZ_ENOMEM, NULL, 0);
        pz_msg_free(&kept); /* kept: the runtime no longer frees it */
        return;
    }
    op->durable = durable;
    int rc;
    if (commit) {
        rc = s_start_commit(c, x, op);
    } else {
        op->commit = false;
        rc = s_send_end(c, x, op);
    }
    if (rc != 0) {
        s_abort_after(c, x, op, rc, "the transaction could not end and was rolled back");
    }
}

/* ROLLBACK TO savepoint: ignores [savepoint + 1, seq] from now on (it swallows later ranges
 * and joins an adjacent one). True when it ignored something; *code and *text on failure. */
static bool s_rollback_to(pz__txn_t *x, uint32_t savepoint, int *code, const char **text)
{
    if (savepoint > x->seq) {
        *code = PZ_EINVAL;
        *text = "savepoint is newer than the transaction's writes";
        return false;
    }
    if (savepoint == x->seq) {
        return false;
    }
    uint32_t lo = savepoint + 1;
    while (x->ignored_len > 0 && x->ignored[x->ignored_len - 1].start >= lo) {
        x->ignored_len--;
    }
    pz_kv_seq_range_t *last = x->ignored_len ? &x->ignored[x->ignored_len - 1] : NULL;
    if (last != NULL && last->end + 1 >= lo) {
        last->end = x->seq;
    } else if (x->ignored_len < PZ_TXN_IGNORED_MAX) {
        x->ignored[x->ignored_len++] = (pz_kv_seq_range_t){lo, x->seq};
    } else {
        *code = PZ_ELIMIT;
        *text = "too many savepoint rollbacks in one transaction";
        return false;
    }
    return true;
}

/* After a ROLLBACK TO that undid writes or locks: releases them now, as PostgreSQL does, so
 * that a session waiting on one of those rows goes on before this transaction ends. One RESOLVE
 * PENDING batch over every lock span with the ignored seqs (dist splits it by range; storage
 * drops the entries of those seqs, repl wakes the keys' waiters), and the client is answered
 * when it is done (the reply of the op, pz__coord_on_reply): a later statement of either session
 * then finds the locks gone. False when nothing was sent (no locks, or the send failed: the
 * locks then go at the end, only later). */
static bool s_release_undone(pz__coord_t *c, pz_msg_t *msg, pz__txn_t *x)
{
    if (x->locks.len == 0) {
        return false;
    }
    pz_arena_t *a = pz_arena_new();
    pz_kv_span_t *v = a ? pz__spans_view(&x->locks, a) : NULL;
    pz_kv_txn_t meta;
    int rc = v != NULL ? pz__txn_meta(x, a, &meta) : PZ_ENOMEM;
    pz_msg_t *kept = rc == 0 ? pz_msg_keep(msg) : NULL;
    rc = rc ? rc : s_send_resolve(c, &meta, v, x->locks.len, PZ_TXN_PENDING, kept);
    pz_arena_destroy(&a);
    if (rc != 0) {
        pz_log(c->self, PZ_LOG_WARN, "cannot release a savepoint's locks: %s", pz_strerror(rc));
        s_ctl_reply(c, kept != NULL ? kept : msg, x, 0, NULL, 0);
        pz_msg_free(&kept);
    }
    return true;
}

/* SAVEPOINT, ROLLBACK TO SAVEPOINT, STEP, RESTART: answered at once (a ROLLBACK TO that undid
 * something once its locks are released). */
static void s_on_local(pz__coord_t *c, pz_msg_t *msg, pz__txn_t *x, const pz_txn_ctl_t *q)
{
    uint32_t sp = 0;
    int code = 0;
    const char *text = NULL;
    pz_hlc_t now = pz_hlc_now();
    switch (q->op) {
    case PZ_TXC_SAVEPOINT:
        sp = x->seq;
        break;
    case PZ_TXC_ROLLBACK_TO:
        if (s_rollback_to(x, q->savepoint, &code, &text) && s_release_undone(c, msg, x)) {
            return;
        }
        break;
    case PZ_TXC_STEP:
        if (x->isolation == PZ_ISO_READ_COMMITTED && !x->fixed_ts) {
            /* Each statement reads a fresh snapshot; the uncertainty window moves with it. */
            x->read_ts = pz_hlc_cmp(now, x->read_ts) > 0 ? now : x->read_ts;
            if (pz_hlc_cmp(x->write_ts, x->read_ts) < 0) {
                x->write_ts = x->read_ts;
            }
            x->unc_limit = x->read_ts;
            x->unc_limit.wall += c->max_offset_ns;
            pz__spans_clear(&x->reads);
        }
        break;
    case PZ_TXC_RESTART:
        /* A new epoch: earlier intents no longer count, reads start over above everything
         * — except AS OF SYSTEM TIME, which reads at its timestamp whatever the epoch (it used
         * to restart at now, so a retried historical block silently read the present). */
        x->epoch++;
        if (!x->fixed_ts) {
            x->read_ts = pz_hlc_cmp(now, x->write_ts) > 0 ? now : x->write_ts;
        }
        x->write_ts = x->read_ts;
        if (!x->fixed_ts) {
            x->unc_limit = x->read_ts;
            x->unc_limit.wall += c->max_offset_ns;
        }
        x->ignored_len = 0;
        pz__spans_clear(&x->reads);
        if (x->priority < PZ_TXN_PRIORITY_HIGH - 1) {
            x->priority++;
        }
        break;
    default:
        code = PZ_EINVAL;
        text = "unknown transaction control op";
    }
    s_ctl_reply(c, msg, x, code, text, sp);
}

int pz__coord_on_ctl(pz__coord_t *c, pz_msg_t *msg)
{
    pz_txn_ctl_t q;
    int rc = pz_txn_ctl_from_msg(msg, PZ_MSG_TXN_CTL, &q);
    if (rc != 0) {
        pz_reply_error(c->self, msg, rc, "malformed transaction control request");
        return rc;
    }
    if (q.op == PZ_TXC_BEGIN) {
        s_on_begin(c, msg, &q);
        return 0;
    }
    pz__txn_t *x = pz__txn_find(&c->txns, q.id);
    if (x == NULL) {
        /* ROLLBACK of a transaction already gone (its commit failed, or it never wrote) is done. */
        bool done = q.op == PZ_TXC_ROLLBACK;
        s_ctl_reply(c, msg, NULL, done ? 0 : PZ_ETXN_NOTFOUND,
                    done ? NULL : "no such transaction on this coordinator", 0);
        return 0;
    }
    if (x->ending) {
        s_ctl_reply(c, msg, x, PZ_EINVAL, "the transaction is ending", 0);
        return 0;
    }
    if (q.op == PZ_TXC_COMMIT || q.op == PZ_TXC_ROLLBACK) {
        s_on_end(c, msg, x, q.op == PZ_TXC_COMMIT, q.durable);
    } else {
        s_on_local(c, msg, x, &q);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Batches                                                                                   */

int pz__coord_on_txn_batch(pz__coord_t *c, pz_msg_t *msg, const pz_kv_batch_t *b)
{
    pz__txn_t *x = pz__txn_find(&c->txns, b->header.txn.id);
    if (x == NULL) {
        s_batch_fail(c, msg, PZ_ETXN_NOTFOUND, "no such transaction on this coordinator");
        return 0;
    }
    if (x->status == PZ_TXN_ABORTED) {
        s_batch_fail(c, msg, s_abort_code(x), s_abort_text(x->abort_reason));
        return 0;
    }
    if (x->ending || b->reqs_len == 0) {
        s_batch_fail(c, msg, PZ_EINVAL, x->ending ? "the transaction is ending" : "empty batch");
        return 0;
    }
    s_op_t *op = s_op_new(S_OP_BATCH, x->id, pz_msg_keep(msg));
    if (op == NULL) {
        pz_msg_free(&msg);
        return PZ_ENOMEM;
    }
    pz_metric_add(c->m_batches, 1);
    int rc = s_send_batch(c, x, op);
    if (rc != 0) {
        s_fail(c, op, x, rc,
               rc == PZ_EREAD_ONLY ? "cannot execute a write in a read-only transaction" : NULL);
        s_op_free(op);
    }
    return 0;
}

void pz__coord_implicit(pz__coord_t *c, pz_msg_t *req)
{
    pz__txn_t *x = s_begin_txn(c, PZ_ISO_SERIALIZABLE, 0, (pz_hlc_t){0});
    s_op_t *op = x ? s_op_new(S_OP_BATCH, x->id, req) : NULL;
    if (op == NULL) {
        s_batch_fail(c, req, PZ_ELIMIT, "too many open transactions on this node");
        pz_msg_free(&req);
        if (x != NULL) {
            s_forget(c, x);
        }
        return;
    }
    x->implicit = true;
    int rc = s_send_batch(c, x, op);
    if (rc != 0) {
        s_fail(c, op, x, rc, NULL);
        s_op_free(op);
        s_forget(c, x);
    }
}

void pz__coord_on_reply(pz__coord_t *c, void *ctx, pz_msg_t *reply)
{
    s_op_t *op = ctx;
    assert(op != NULL);
    if (op->kind == S_OP_RESOLVE) {
        s_on_resolve_reply(c, op, reply);
        if (op->client != NULL) {
            /* A ROLLBACK TO's release: done (or failed, leaving the locks to the end). */
            s_ctl_reply(c, op->client, s_txn(c, op->id), 0, NULL, 0);
        }
        s_op_free(op);
        return;
    }
    pz__txn_t *x = s_txn(c, op->id);
    if (x == NULL) {
        /* Background work of a transaction already forgotten (a resolve, a late heartbeat). */
        if (op->kind == S_OP_RESOLVE && pz_msg_error(reply, NULL) != 0) {
            pz_log(c->self, PZ_LOG_DEBUG, "intent resolution failed; left to readers");
        }
        s_fail(c, op, NULL, PZ_ETXN_NOTFOUND, "the transaction is gone");
        s_op_free(op);
        return;
    }
    switch (op->kind) {
    case S_OP_BATCH:
        s_on_batch_reply(c, op, x, reply);
        break;
    case S_OP_REFRESH:
        s_on_refresh_reply(c, op, x, reply);
        break;
    case S_OP_END:
        s_on_end_reply(c, op, x, reply);
        break;
    case S_OP_HEARTBEAT:
        s_on_heartbeat_reply(x, reply);
        s_op_free(op);
        break;
    case S_OP_RESOLVE:
        s_op_free(op);
        break;
    }
}
