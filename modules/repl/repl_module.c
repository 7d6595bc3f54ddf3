/*
 * repl_module.c — replicas: one per range this store holds (replication factor 1 until the
 * replication issue brings Raft).
 *
 * At start the replica set is loaded from the store-local replica descriptors (\x01rdsc<id>).
 * On a fresh store with `bootstrap = true` (single-node), range 1 covering the whole key space is
 * created: its descriptor is written, in one durable batch, both store-locally and to meta2
 * (\x03\xff\xff) where dist finds it. Batches that arrive before the load finishes are parked.
 *
 * A batch from dist is checked against its replica (range id and key bounds: a mismatch is
 * answered with PZ_ERANGE_MISMATCH and the current descriptor, so dist can re-route), then waits
 * for its latches (latch.h), and then goes to storage, which evaluates it with MVCC and applies
 * its writes atomically. Latches are released when storage answers: conflicting batches on
 * overlapping keys are serialized, the rest run concurrently.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/kernel.h"
#include "phantomzero/keys.h"
#include "phantomzero/kv.h"
#include "phantomzero/module.h"

#include "latch.h"
#include "repl_split.h"

#define S_PARKED_MAX 4096 /* batches held while the replica set loads */
#define S_READY_BATCH 64  /* guards granted per release call */

typedef struct {
    uint64_t range_id;
    uint64_t generation;
    pz_view_t start, end; /* owned */
    uint8_t *packed;      /* the stored descriptor, for mismatch replies */
    size_t packed_len;
    uint64_t bytes; /* written since load or the last split (automatic splits) */
    bool splitting; /* a split of it is running */
} s_replica_t;

typedef enum { S_LOAD = 1, S_BOOTSTRAP = 2, S_BATCH = 3, S_SPLIT = 4 } s_kind_t;

/* One outstanding storage request. */
typedef struct {
    s_kind_t kind;
    pz_msg_t *req;            /* S_BATCH: the batch from dist (kept) */
    pz__latch_guard_t *guard; /* S_BATCH, S_SPLIT */
    pz__split_t *split;       /* S_SPLIT (repl_split.h) */
    uint64_t range_id;        /* S_BATCH: its range, and the bytes it writes (auto split) */
    uint64_t write_bytes;
} s_flight_t;

typedef struct {
    char storage[PZ_ADDR_BYTES_MAX];
    char self_addr[PZ_ADDR_BYTES_MAX];
    bool bootstrap;
    int64_t node_id;
    uint32_t timeout_ms;
    uint64_t range_max_bytes; /* a range that grows past it is split (range_max_bytes) */
    bool ready;
    s_replica_t *replicas;
    uint32_t replicas_len;
    pz_msg_t *parked[S_PARKED_MAX];
    uint32_t parked_len;
    pz__latches_t latches;
    pz_metric_t *m_batches;
    pz_metric_t *m_latch_waits;
    pz_metric_t *m_mismatch;
} s_repl_t;

static void s_replica_free(s_replica_t *r)
{
    free((void *)r->start.ptr);
    free((void *)r->end.ptr);
    free(r->packed);
}

static int s_replica_add(s_repl_t *p, const uint8_t *packed, size_t len)
{
    pz_arena_t *a = pz_arena_new();
    pz_range_desc_t d;
    int rc = a ? pz_range_desc_unpack(packed, len, a, &d) : PZ_ENOMEM;
    s_replica_t *grown =
        rc == 0 ? realloc(p->replicas, (p->replicas_len + 1) * sizeof *grown) : NULL;
    if (rc == 0 && grown == NULL) {
        rc = PZ_ENOMEM;
    }
    if (rc == 0) {
        p->replicas = grown;
        s_replica_t *r = &p->replicas[p->replicas_len];
        *r = (s_replica_t){.range_id = d.range_id, .generation = d.generation};
        uint8_t *s = malloc(d.start_key.len + 1), *e = malloc(d.end_key.len + 1);
        r->packed = malloc(len);
        if (!s || !e || !r->packed) {
            free(s), free(e), free(r->packed);
            rc = PZ_ENOMEM;
        } else {
            memcpy(s, d.start_key.ptr, d.start_key.len);
            memcpy(e, d.end_key.ptr, d.end_key.len);
            memcpy(r->packed, packed, len);
            r->start = (pz_view_t){s, d.start_key.len};
            r->end = (pz_view_t){e, d.end_key.len};
            r->packed_len = len;
            p->replicas_len++;
        }
    }
    pz_arena_destroy(&a);
    return rc;
}

static const s_replica_t *s_replica_find(const s_repl_t *p, uint64_t range_id)
{
    for (uint32_t i = 0; i < p->replicas_len; i++) {
        if (p->replicas[i].range_id == range_id) {
            return &p->replicas[i];
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Talking to storage                                                                        */

static int s_to_storage(pz_actor_t *self, s_repl_t *p, const pz_kv_batch_t *b, s_flight_t *f)
{
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_to_out(b, PZ_MSG_KV_BATCH, &out);
    if (rc == 0) {
        rc = pz_request(self, p->storage, &out, p->timeout_ms, f, NULL);
    }
    pz_out_free(&out);
    return rc;
}

/* Forwards a dist batch to storage as it is: its body bytes are copied once. */
static int s_forward_batch(pz_actor_t *self, s_repl_t *p, s_flight_t *f)
{
    pz_view_t body = pz_msg_body(f->req);
    pz_out_t *out = pz_out_new(PZ_MSG_KV_BATCH);
    /* msgpack_pack_bin_body appends raw bytes: the body is copied as it is. */
    int rc = out ? msgpack_pack_bin_body(pz_out_packer(out), body.ptr, body.len) : PZ_ENOMEM;
    if (rc == 0) {
        rc = pz_request(self, p->storage, &out, p->timeout_ms, f, NULL);
    }
    pz_out_free(&out);
    return rc;
}

static void s_load(pz_actor_t *self, s_repl_t *p)
{
    static s_flight_t load = {.kind = S_LOAD};
    uint8_t start[32], end[32];
    size_t slen = pz_key_replica_desc_prefix(start, sizeof start);
    memcpy(end, start, slen);
    end[slen - 1]++; /* the prefix's successor bounds the scan */
    pz_kv_req_t req = {
        .op = PZ_KV_SCAN, .key = {start, (uint32_t)slen}, .end_key = {end, (uint32_t)slen}};
    pz_kv_batch_t b = {.header = {.ts = pz_hlc_now()}, .reqs = &req, .reqs_len = 1};
    int rc = s_to_storage(self, p, &b, &load);
    if (rc != 0) {
        pz_log(self, PZ_LOG_ERROR, "cannot ask storage for the replica set: %s", pz_strerror(rc));
    }
}

static int s_bootstrap(pz_actor_t *self, s_repl_t *p)
{
    static s_flight_t boot = {.kind = S_BOOTSTRAP};
    pz_replica_desc_t rep = {.node_id = (uint32_t)p->node_id,
                             .store_id = 1,
                             .replica_id = 1,
                             .addr = pz_view_str(p->self_addr)};
    pz_range_desc_t d = {.range_id = 1,
                         .start_key = {PZ_KEY_MIN_ADDR, 0},
                         .end_key = {PZ_KEY_MAX, sizeof PZ_KEY_MAX},
                         .generation = 1,
                         .replicas = &rep,
                         .replicas_len = 1};
    uint8_t *packed = NULL;
    size_t len = 0;
    int rc = pz_range_desc_pack(&d, &packed, &len);
    if (rc != 0) {
        return rc;
    }
    uint8_t lk[32], mk[32];
    size_t lklen = pz_key_replica_desc(lk, sizeof lk, 1);
    size_t mklen = pz_key_meta2(mk, sizeof mk, d.end_key);
    pz_kv_req_t reqs[2] = {
        {.op = PZ_KV_CPUT, .key = {lk, (uint32_t)lklen}, .value = {packed, (uint32_t)len}},
        {.op = PZ_KV_CPUT, .key = {mk, (uint32_t)mklen}, .value = {packed, (uint32_t)len}},
    };
    pz_kv_batch_t b = {
        .header = {.ts = pz_hlc_now(), .durable = true}, .reqs = reqs, .reqs_len = 2};
    rc = s_to_storage(self, p, &b, &boot);
    if (rc == 0) {
        rc = s_replica_add(p, packed, len);
    }
    free(packed);
    pz_log(self, PZ_LOG_INFO, "bootstrapping range 1 on a new store");
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Batches                                                                                   */

/* Splits (repl_split.c), defined in their own section below. */
static void s_split_granted(pz_actor_t *self, s_repl_t *p, s_flight_t *f);
static int s_split_begin(pz_actor_t *self, s_repl_t *p, uint64_t range_id, pz_msg_t *req,
                         pz_view_t key);
static void s_account(pz_actor_t *self, s_repl_t *p, const s_flight_t *f);

static void s_flight_free(s_flight_t *f)
{
    pz_msg_free(&f->req);
    free(f);
}

/* Answers a batch with a KV error in the batch response (not an envelope error): dist reads
 * PZ_ERANGE_MISMATCH from there. */
static void s_reply_kv_error(pz_actor_t *self, const pz_msg_t *req, int code, const char *why,
                             const s_replica_t *r)
{
    pz_kv_batch_resp_t resp = {.error = {.code = code, .index = -1, .message = pz_view_str(why)}};
    pz_arena_t *a = NULL;
    if (r != NULL && (a = pz_arena_new()) != NULL &&
        pz_range_desc_unpack(r->packed, r->packed_len, a, &resp.error.range) == 0) {
        resp.error.has_range = true;
    }
    pz_out_t *out = NULL;
    if (pz_kv_batch_resp_to_out(&resp, PZ_MSG_KV_BATCH_RESP, &out) != 0 ||
        pz_reply(self, req, &out) != 0) {
        pz_out_free(&out);
        pz_log(self, PZ_LOG_WARN, "cannot answer %s", pz_msg_sender(req));
    }
    pz_arena_destroy(&a);
}

static bool s_in_range(const s_replica_t *r, const pz_kv_req_t *q)
{
    if (pz_view_cmp(q->key, r->start) < 0 || pz_view_cmp(q->key, r->end) >= 0) {
        return false;
    }
    return !pz_kv_req_is_span(q) || pz_view_cmp(q->end_key, r->end) <= 0;
}

static void s_run(pz_actor_t *self, s_repl_t *p, s_flight_t *f)
{
    if (f->kind == S_SPLIT) {
        s_split_granted(self, p, f);
        return;
    }
    int rc = s_forward_batch(self, p, f);
    if (rc != 0) {
        pz_reply_error(self, f->req, rc, "cannot reach storage");
        pz__latch_guard_t *ready[S_READY_BATCH];
        uint32_t n = pz__latch_release(&p->latches, f->guard, ready, S_READY_BATCH);
        f->guard = NULL;
        s_flight_free(f);
        for (uint32_t i = 0; i < n; i++) {
            s_run(self, p, ready[i]->owner);
        }
    }
}

/* Builds the batch's latch spans; n is bounded by PZ_BATCH_REQS_MAX (the decoder's limit). */
static pz__latch_guard_t *s_guard(const pz_kv_batch_t *b, void *owner)
{
    pz__latch_span_t *spans = calloc(b->reqs_len ? b->reqs_len : 1, sizeof *spans);
    if (spans == NULL) {
        return NULL;
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        spans[i] = (pz__latch_span_t){.start = q->key, .write = pz_kv_op_is_write(q->op)};
        if (pz_kv_req_is_span(q)) {
            spans[i].end = q->end_key;
        }
    }
    pz__latch_guard_t *g = pz__latch_guard_new(spans, b->reqs_len, owner);
    free(spans);
    return g;
}

/* Handles one batch from dist. *kept says whether the batch now belongs to a flight (the caller
 * must then not free it). */
static int s_on_batch(pz_actor_t *self, s_repl_t *p, pz_msg_t *msg, bool *kept)
{
    *kept = false;
    pz_kv_batch_t b;
    int rc = pz_kv_batch_from_msg(msg, PZ_MSG_KV_BATCH, &b);
    if (rc != 0) {
        pz_reply_error(self, msg, rc, "malformed KV batch");
        return rc;
    }
    const s_replica_t *r = s_replica_find(p, b.header.range_id);
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
        return s_split_begin(self, p, r->range_id, pz_msg_keep(msg), b.reqs[0].key);
    }
    s_flight_t *f = calloc(1, sizeof *f);
    if (f == NULL || (f->guard = s_guard(&b, f)) == NULL) {
        free(f);
        pz_reply_error(self, msg, PZ_ENOMEM, NULL);
        return PZ_ENOMEM;
    }
    f->kind = S_BATCH;
    f->range_id = r->range_id;
    for (uint32_t i = 0; i < b.reqs_len; i++) {
        bool w = pz_kv_op_is_write(b.reqs[i].op);
        f->write_bytes += w ? (uint64_t)b.reqs[i].key.len + b.reqs[i].value.len : 0;
    }
    rc = pz__latch_acquire(&p->latches, f->guard);
    if (rc != 0) {
        pz__latch_guard_free(f->guard);
        free(f);
        pz_reply_error(self, msg, rc, "too many batches waiting for latches");
        return rc;
    }
    f->req = msg;
    *kept = true;
    pz_metric_add(p->m_batches, 1);
    if (f->guard->granted) {
        s_run(self, p, f);
    } else {
        pz_metric_add(p->m_latch_waits, 1);
    }
    return 0;
}

static void s_release(pz_actor_t *self, s_repl_t *p, pz__latch_guard_t *g);

static void s_on_batch_done(pz_actor_t *self, s_repl_t *p, s_flight_t *f, pz_msg_t *reply)
{
    const char *text = NULL;
    int err = pz_msg_error(reply, &text);
    int rc =
        err ? (pz_reply_error(self, f->req, err, text), 0) : pz_reply_forward(self, f->req, reply);
    if (rc != 0) {
        pz_log(self, PZ_LOG_WARN, "cannot answer %s: %s", pz_msg_sender(f->req), pz_strerror(rc));
    }
    if (err == 0) {
        s_account(self, p, f);
    }
    pz__latch_guard_t *g = f->guard;
    f->guard = NULL;
    s_flight_free(f);
    s_release(self, p, g);
}

/* Releases a guard and runs the batches that were waiting for it. */
static void s_release(pz_actor_t *self, s_repl_t *p, pz__latch_guard_t *g)
{
    pz__latch_guard_t *ready[S_READY_BATCH];
    uint32_t n;
    do {
        n = pz__latch_release(&p->latches, g, ready, S_READY_BATCH);
        g = NULL;
        for (uint32_t i = 0; i < n; i++) {
            s_run(self, p, ready[i]->owner);
        }
    } while (n == S_READY_BATCH);
}

/* ---------------------------------------------------------------------------------------- */
/* Splits (repl_split.h): a SPLIT batch, or a range past range_max_bytes                     */

static uint64_t s_max_range_id(const s_repl_t *p)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < p->replicas_len; i++) {
        m = p->replicas[i].range_id > m ? p->replicas[i].range_id : m;
    }
    return m;
}

static pz__split_io_t s_split_io(pz_actor_t *self, s_repl_t *p, s_flight_t *f)
{
    const s_replica_t *r = s_replica_find(p, pz__split_range_id(f->split));
    return (pz__split_io_t){.self = self,
                            .storage = p->storage,
                            .timeout_ms = p->timeout_ms,
                            .ctx = f,
                            .max_range_id = s_max_range_id(p),
                            .packed = r ? r->packed : NULL,
                            .packed_len = r ? r->packed_len : 0};
}

/* Installs a descriptor: replaces the replica with the same id, or adds it. */
static int s_replica_put(s_repl_t *p, const uint8_t *packed, size_t len, uint64_t bytes)
{
    int rc = s_replica_add(p, packed, len);
    if (rc != 0) {
        return rc;
    }
    s_replica_t *n = &p->replicas[p->replicas_len - 1];
    n->bytes = bytes;
    for (uint32_t i = 0; i + 1 < p->replicas_len; i++) {
        if (p->replicas[i].range_id == n->range_id) {
            s_replica_free(&p->replicas[i]);
            p->replicas[i] = *n;
            p->replicas_len--;
            break;
        }
    }
    return 0;
}

static void s_split_done(pz_actor_t *self, s_repl_t *p, s_flight_t *f)
{
    uint64_t id = pz__split_range_id(f->split);
    s_replica_t *old = (s_replica_t *)s_replica_find(p, id);
    uint64_t half = old ? old->bytes / 2 : 0;
    const uint8_t *l, *r;
    size_t ll, rl;
    int rc = pz__split_rc(f->split);
    if (pz__split_result(f->split, &l, &ll, &r, &rl)) {
        /* Both descriptors are stored: if this fails, a restart loads them. */
        if ((rc = s_replica_put(p, l, ll, half)) == 0) {
            rc = s_replica_put(p, r, rl, half);
        }
        pz_log(self, rc ? PZ_LOG_ERROR : PZ_LOG_INFO, "split range %llu: %s",
               (unsigned long long)id, rc ? pz_strerror(rc) : "done");
    } else if (old != NULL) {
        old->splitting = false;
        if (rc != 0) {
            old->bytes = 0; /* an automatic split that failed waits for as many bytes again */
        }
    }
    pz__split_io_t io = s_split_io(self, p, f);
    pz__split_answer(f->split, &io);
    pz__latch_guard_t *g = f->guard;
    pz__split_free(f->split);
    free(f);
    if (g != NULL) {
        s_release(self, p, g);
    }
}

/* Acts on a step of a split: acquires its latches, or finishes it. */
static void s_split_step(pz_actor_t *self, s_repl_t *p, s_flight_t *f, pz__split_step_t st)
{
    if (st == PZ__SPLIT_LATCH) {
        pz__split_io_t io = s_split_io(self, p, f);
        pz__latch_span_t spans[2];
        uint32_t n = pz__split_spans(f->split, &io, spans);
        f->guard = n ? pz__latch_guard_new(spans, n, f) : NULL;
        int rc = n == 0 ? PZ_ERANGE_MISMATCH : f->guard ? 0 : PZ_ENOMEM;
        if (rc == 0 && (rc = pz__latch_acquire(&p->latches, f->guard)) == 0 && !f->guard->granted) {
            return; /* s_run calls s_split_granted */
        }
        if (rc != 0) {
            pz__latch_guard_free(f->guard);
            f->guard = NULL;
            pz__split_abort(f->split, rc);
            st = PZ__SPLIT_DONE;
        } else {
            st = pz__split_run(f->split, &io);
        }
    }
    if (st == PZ__SPLIT_DONE) {
        s_split_done(self, p, f);
    }
}

static void s_split_granted(pz_actor_t *self, s_repl_t *p, s_flight_t *f)
{
    pz__split_io_t io = s_split_io(self, p, f);
    s_split_step(self, p, f, pz__split_run(f->split, &io));
}

static void s_split_reply(pz_actor_t *self, s_repl_t *p, s_flight_t *f, pz_msg_t *reply)
{
    pz__split_io_t io = s_split_io(self, p, f);
    s_split_step(self, p, f, pz__split_on_reply(f->split, &io, reply));
}

/* Starts a split of range_id: at key for a SPLIT batch (req, owned from here), else automatic. */
static int s_split_begin(pz_actor_t *self, s_repl_t *p, uint64_t range_id, pz_msg_t *req,
                         pz_view_t key)
{
    s_flight_t *f = calloc(1, sizeof *f);
    pz__split_t *s = !f    ? NULL
                     : req ? pz__split_new(range_id, req, key)
                           : pz__split_new_auto(range_id);
    if (s == NULL) {
        free(f);
        if (req != NULL) {
            pz_reply_error(self, req, PZ_ENOMEM, NULL);
            pz_msg_free(&req);
        }
        return PZ_ENOMEM;
    }
    *f = (s_flight_t){.kind = S_SPLIT, .split = s};
    s_replica_t *r = (s_replica_t *)s_replica_find(p, range_id);
    if (r != NULL) {
        r->splitting = true;
    }
    pz__split_io_t io = s_split_io(self, p, f);
    s_split_step(self, p, f, pz__split_start(s, &io));
    return 0;
}

/* Counts a batch's written bytes against its range; past range_max_bytes, splits it. */
static void s_account(pz_actor_t *self, s_repl_t *p, const s_flight_t *f)
{
    s_replica_t *r = (s_replica_t *)s_replica_find(p, f->range_id);
    if (r == NULL || f->write_bytes == 0) {
        return;
    }
    r->bytes += f->write_bytes;
    if (r->bytes > p->range_max_bytes && !r->splitting) {
        pz_log(self, PZ_LOG_INFO, "range %llu passed %llu bytes: splitting it",
               (unsigned long long)r->range_id, (unsigned long long)p->range_max_bytes);
        s_split_begin(self, p, r->range_id, NULL, (pz_view_t){0});
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Start-up replies                                                                          */

static void s_set_ready(pz_actor_t *self, s_repl_t *p)
{
    p->ready = true;
    pz_log(self, PZ_LOG_INFO, "ready: %u replica(s)", p->replicas_len);
    for (uint32_t i = 0; i < p->parked_len; i++) {
        bool kept = false;
        s_on_batch(self, p, p->parked[i], &kept);
        if (!kept) {
            pz_msg_free(&p->parked[i]);
        }
    }
    p->parked_len = 0;
}

/* The outcome of a storage reply: an envelope error, a malformed body, the batch's KV error, or
 * 0 with the decoded response in *r. */
static int s_batch_result(pz_msg_t *reply, pz_kv_batch_resp_t *r)
{
    int rc = pz_msg_error(reply, NULL);
    if (rc == 0) {
        rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, r);
    }
    return rc != 0 ? rc : r->error.code;
}

static void s_on_load(pz_actor_t *self, s_repl_t *p, pz_msg_t *reply)
{
    pz_kv_batch_resp_t r;
    int rc = s_batch_result(reply, &r);
    if (rc != 0) {
        pz_log(self, PZ_LOG_ERROR, "cannot load the replica set: %s (retrying)", pz_strerror(rc));
        pz_timer_arm(self, 1000, S_LOAD);
        return;
    }
    for (uint32_t i = 0; r.resps_len == 1 && i < r.resps[0].kvs_len; i++) {
        pz_view_t v = r.resps[0].kvs[i].value;
        if ((rc = s_replica_add(p, v.ptr, v.len)) != 0) {
            pz_log(self, PZ_LOG_ERROR, "bad replica descriptor in the store: %s", pz_strerror(rc));
        }
    }
    if (p->replicas_len == 0 && p->bootstrap) {
        if ((rc = s_bootstrap(self, p)) != 0) {
            pz_log(self, PZ_LOG_ERROR, "bootstrap failed: %s", pz_strerror(rc));
        }
        return; /* ready once the bootstrap write is acknowledged */
    }
    s_set_ready(self, p);
}

static void s_on_bootstrap(pz_actor_t *self, s_repl_t *p, pz_msg_t *reply)
{
    pz_kv_batch_resp_t r;
    int rc = s_batch_result(reply, &r);
    if (rc != 0) {
        pz_log(self, PZ_LOG_ERROR, "bootstrap write failed: %s (retrying)", pz_strerror(rc));
        for (uint32_t i = 0; i < p->replicas_len; i++) {
            s_replica_free(&p->replicas[i]);
        }
        p->replicas_len = 0;
        pz_timer_arm(self, 1000, S_LOAD);
        return;
    }
    s_set_ready(self, p);
}

/* ---------------------------------------------------------------------------------------- */
/* Hooks                                                                                     */

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    s_repl_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    *state = p;
    snprintf(p->storage, sizeof p->storage, "%s", pz_cfg_str(cfg, "storage", "storage"));
    /* Descriptors name the actor, not a process endpoint: which process runs it is the
     * topology's business (routes now, gossip later), so a restart on another port still works */
    snprintf(p->self_addr, sizeof p->self_addr, "%s", pz_actor_name(self));
    int64_t timeout = 0;
    int rc = pz_cfg_bool(cfg, "bootstrap", false, &p->bootstrap);
    if (rc == 0) {
        rc = pz_cfg_int(cfg, "node_id", 1, &p->node_id);
    }
    if (rc == 0) {
        rc = pz_cfg_int(cfg, "timeout_ms", PZ_REQUEST_TIMEOUT_MS_DEFAULT, &timeout);
    }
    int64_t range_max = 0;
    if (rc == 0) {
        rc = pz_cfg_int(cfg, "range_max_bytes", PZ_RANGE_BYTES_MAX_DEFAULT, &range_max);
    }
    if (rc != 0 || timeout <= 0 || p->node_id <= 0 || p->node_id > UINT32_MAX ||
        range_max < PZ_RANGE_BYTES_MAX_MIN) {
        pz_log(self, PZ_LOG_ERROR,
               "bad repl settings (bootstrap, node_id, timeout_ms, range_max_bytes)");
        return PZ_ECONFIG;
    }
    p->range_max_bytes = (uint64_t)range_max;
    p->timeout_ms = (uint32_t)timeout;
    p->m_batches = pz_metric_counter("pz_repl_batches_total", "KV batches evaluated");
    p->m_latch_waits =
        pz_metric_counter("pz_repl_latch_waits_total", "batches that waited for latches");
    p->m_mismatch =
        pz_metric_counter("pz_repl_range_mismatch_total", "batches for a range not held here");
    s_load(self, p);
    return 0;
}

static void s_fini(pz_actor_t *self, void *state)
{
    (void)self;
    s_repl_t *p = state;
    for (uint32_t i = 0; i < p->parked_len; i++) {
        pz_msg_free(&p->parked[i]);
    }
    for (uint32_t i = 0; i < p->replicas_len; i++) {
        s_replica_free(&p->replicas[i]);
    }
    free(p->replicas);
    pz__latches_clear(&p->latches);
    free(p);
}

static void s_on_timer(pz_actor_t *self, void *state, uint64_t id)
{
    if (id == S_LOAD) {
        s_load(self, state);
    }
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_repl_t *p = state;
    if (pz_msg_is_reply(msg)) {
        s_flight_t *f = pz_reply_ctx(self);
        assert(f != NULL);
        if (f->kind == S_LOAD) {
            s_on_load(self, p, msg);
        } else if (f->kind == S_BOOTSTRAP) {
            s_on_bootstrap(self, p, msg);
        } else if (f->kind == S_SPLIT) {
            s_split_reply(self, p, f, msg);
        } else {
            s_on_batch_done(self, p, f, msg);
        }
        return 0;
    }
    if (pz_msg_type(msg) != PZ_MSG_KV_BATCH) {
        pz_reply_error(self, msg, PZ_EUNKNOWN_TYPE, "repl does not handle this message type");
        return PZ_EUNKNOWN_TYPE;
    }
    if (!p->ready) {
        if (p->parked_len == S_PARKED_MAX) {
            pz_reply_error(self, msg, PZ_ENOTREADY, "replicas are still loading");
            return PZ_ENOTREADY;
        }
        p->parked[p->parked_len++] = pz_msg_keep(msg);
        return 0;
    }
    bool kept = false;
    int rc = s_on_batch(self, p, msg, &kept);
    if (kept) {
        pz_msg_keep(msg);
    }
    return rc;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("repl"),   .init = s_init,         .fini = s_fini,
    .on_message = s_on_message, .on_timer = s_on_timer,
};

PZ_MODULE_DEFINE(s_desc)
