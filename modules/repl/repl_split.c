/* repl_split.c — see repl_split.h: a range split as a few storage requests, driven by repl (the
 * last section: the flight, latches and replica table of repl.h). */
#include "repl_split.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/keys.h"

#include "repl.h"

enum { S_NEW = 0, S_FIND = 1, S_COUNTER = 2, S_WRITE = 3, S_DONE = 4 };

/* The store-local key holding the last range id allocated on this store (BE64). */
static const uint8_t s_counter_key[] = {PZ_KEY_LOCAL_PREFIX, 'r', 'n', 'i', 'd'};
/* Split points start here: below is the store-local, meta and reserved keyspace. */
static const uint8_t s_split_min[] = {PZ_KEY_SYSTEM_PREFIX};

typedef struct {
    pz_view_t key; /* owned */
    uint64_t at;   /* live bytes before it */
} s_sample_t;

struct pz__split {
    uint64_t range_id;
    pz_msg_t *req; /* the SPLIT batch, NULL for an automatic split */
    int state;
    int rc;
    bool noop;
    pz_arena_t *arena;   /* descriptors, spans */
    pz_view_t key;       /* the split key (arena) */
    pz_range_desc_t old; /* the range at run time (arena) */
    uint64_t old_counter;
    bool counter_exists;
    uint8_t *left, *right; /* packed (malloc) */
    size_t left_len, right_len;
    pz_hlc_t scan_ts; /* the middle-key scan reads one snapshot */
    pz_view_t scan_from, scan_end;
    uint32_t chunks;
    uint64_t seen, bytes;
    s_sample_t *samples;
    uint32_t samples_len, samples_cap;
};

static pz__split_t *s_new(uint64_t range_id)
{
    pz__split_t *s = calloc(1, sizeof *s);
    if (s != NULL && (s->arena = pz_arena_new()) == NULL) {
        free(s);
        s = NULL;
    }
    if (s != NULL) {
        s->range_id = range_id;
    }
    return s;
}

pz__split_t *pz__split_new(uint64_t range_id, pz_msg_t *req, pz_view_t key)
{
    assert(req != NULL && range_id > 0);
    pz__split_t *s = s_new(range_id);
    if (s != NULL) {
        s->key = pz_arena_dup(s->arena, key.ptr, key.len);
        s->req = req;
    }
    return s;
}

pz__split_t *pz__split_new_auto(uint64_t range_id)
{
    assert(range_id > 0);
    return s_new(range_id);
}

void pz__split_free(pz__split_t *s)
{
    if (s == NULL) {
        return;
    }
    for (uint32_t i = 0; i < s->samples_len; i++) {
        free((void *)s->samples[i].key.ptr);
    }
    free(s->samples);
    free(s->left);
    free(s->right);
    pz_msg_free(&s->req);
    pz_arena_destroy(&s->arena);
    free(s);
}

uint64_t pz__split_range_id(const pz__split_t *s)
{
    assert(s != NULL);
    return s->range_id;
}

int pz__split_rc(const pz__split_t *s)
{
    assert(s != NULL && s->state == S_DONE);
    return s->rc;
}

static pz__split_step_t s_done(pz__split_t *s, int rc)
{
    s->state = S_DONE;
    s->rc = rc;
    return PZ__SPLIT_DONE;
}

void pz__split_abort(pz__split_t *s, int rc)
{
    assert(s != NULL && rc != 0);
    s_done(s, rc);
}

static int s_send(pz__split_t *s, const pz__split_io_t *io, pz_kv_req_t *reqs, uint32_t n,
                  pz_hlc_t ts)
{
    /* The middle-key scan must not fail on the intents of running transactions: it only
     * samples keys (S_FIND reads inconsistently). */
    uint8_t policy = s->state == S_FIND ? PZ_WAIT_INCONSISTENT : PZ_WAIT_BLOCK;
    pz_kv_batch_t b = {
        .header = {.ts = ts, .durable = s->state == S_WRITE, .range_id = 0, .wait_policy = policy},
        .reqs = reqs,
        .reqs_len = n};
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out);
    if (rc == 0) {
        rc = pz_request(io->self, io->storage, &out, io->timeout_ms, io->ctx, NULL);
    }
    pz_out_free(&out);
    return rc;
}

/* Decodes io's descriptor of the range into d (arrays in s's arena). */
static int s_desc(pz__split_t *s, const pz__split_io_t *io, pz_range_desc_t *d)
{
    if (io->packed == NULL) {
        return PZ_ERANGE_MISMATCH;
    }
    int rc = pz_range_desc_unpack(io->packed, io->packed_len, s->arena, d);
    if (rc == 0 && d->range_id != s->range_id) {
        rc = PZ_ERANGE_MISMATCH;
    }
    return rc;
}

uint32_t pz__split_spans(pz__split_t *s, const pz__split_io_t *io, pz__latch_span_t *spans)
{
    assert(s != NULL && io != NULL && spans != NULL);
    pz_range_desc_t d;
    if (s_desc(s, io, &d) != 0) {
        return 0;
    }
    spans[0] = (pz__latch_span_t){.start = d.start_key, .end = d.end_key, .write = true};
    spans[1] = (pz__latch_span_t){.start = {s_counter_key, sizeof s_counter_key}, .write = true};
    if (d.start_key.len == 0) {
        /* Range 1 starts at the empty key; a latch span needs a first key. */
        spans[0].start = (pz_view_t){PZ_KEY_MIN_ADDR, 0};
    }
    return 2;
}

/* ---------------------------------------------------------------------------------------- */
/* The middle-key scan (automatic splits)                                                    */

static int s_scan_chunk(pz__split_t *s, const pz__split_io_t *io)
{
    pz_kv_req_t q = {.op = PZ_KV_SCAN,
                     .key = s->scan_from,
                     .end_key = s->scan_end,
                     .limit = PZ__SPLIT_SCAN_CHUNK_KEYS};
    s->chunks++;
    return s_send(s, io, &q, 1, s->scan_ts);
}

pz__split_step_t pz__split_start(pz__split_t *s, const pz__split_io_t *io)
{
    assert(s != NULL && io != NULL && s->state == S_NEW);
    if (s->req != NULL) {
        return PZ__SPLIT_LATCH;
    }
    pz_range_desc_t d;
    int rc = s_desc(s, io, &d);
    if (rc != 0) {
        return s_done(s, rc);
    }
    pz_view_t min = {s_split_min, sizeof s_split_min};
    s->scan_from = pz_view_cmp(d.start_key, min) < 0 ? min : d.start_key;
    s->scan_end = d.end_key;
    if (pz_view_cmp(s->scan_from, s->scan_end) >= 0) {
        return s_done(s, PZ_ENOTFOUND); /* nothing splittable in the range */
    }
    s->scan_ts = pz_hlc_now();
    s->state = S_FIND;
    rc = s_scan_chunk(s, io);
    return rc == 0 ? PZ__SPLIT_SENT : s_done(s, rc);
}

static int s_sample(pz__split_t *s, pz_view_t key)
{
    if (s->samples_len == s->samples_cap) {
        uint32_t cap = s->samples_cap ? s->samples_cap * 2 : 64;
        s_sample_t *n = realloc(s->samples, cap * sizeof *n);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        s->samples = n;
        s->samples_cap = cap;
    }
    uint8_t *k = malloc(key.len ? key.len : 1);
    if (k == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(k, key.ptr, key.len);
    s->samples[s->samples_len++] = (s_sample_t){.key = {k, key.len}, .at = s->bytes};
    return 0;
}

/* The kept key where half the bytes read lie before it; the split key must differ from the
 * range's start (and the first sample is the first key read, at 0 bytes). */
static pz__split_step_t s_pick(pz__split_t *s)
{
    uint64_t half = s->bytes / 2;
    for (uint32_t i = 1; i < s->samples_len; i++) {
        if (s->samples[i].at >= half) {
            s->key = pz_arena_dup(s->arena, s->samples[i].key.ptr, s->samples[i].key.len);
            return PZ__SPLIT_LATCH;
        }
    }
    return s_done(s, PZ_ENOTFOUND); /* too few keys to split */
}

static pz__split_step_t s_on_scan(pz__split_t *s, const pz__split_io_t *io,
                                  const pz_kv_batch_resp_t *r)
{
    if (r->resps_len != 1) {
        return s_done(s, PZ_EPROTO);
    }
    const pz_kv_resp_t *x = &r->resps[0];
    for (uint32_t i = 0; i < x->kvs_len; i++, s->seen++) {
        if (s->seen % PZ__SPLIT_SAMPLE_KEYS == 0 && s_sample(s, x->kvs[i].key) != 0) {
            return s_done(s, PZ_ENOMEM);
        }
        s->bytes += x->kvs[i].key.len + x->kvs[i].value.len;
    }
    if (!x->has_resume || s->chunks >= PZ__SPLIT_SCAN_CHUNKS_MAX) {
        return s_pick(s);
    }
    s->scan_from = pz_arena_dup(s->arena, x->resume_key.ptr, x->resume_key.len);
    int rc = s->scan_from.ptr ? s_scan_chunk(s, io) : PZ_ENOMEM;
    return rc == 0 ? PZ__SPLIT_SENT : s_done(s, rc);
}

/* ---------------------------------------------------------------------------------------- */
/* The split                                                                                 */

pz__split_step_t pz__split_run(pz__split_t *s, const pz__split_io_t *io)
{
    assert(s != NULL && io != NULL);
    assert(s->state == S_NEW || s->state == S_FIND);
    int rc = s_desc(s, io, &s->old);
    if (rc != 0) {
        return s_done(s, rc);
    }
    if (pz_view_cmp(s->key, s->old.start_key) == 0) {
        s->noop = true; /* already a boundary */
        return s_done(s, 0);
    }
    if (pz_view_cmp(s->key, s->old.start_key) < 0 || pz_view_cmp(s->key, s->old.end_key) >= 0) {
        return s_done(s, PZ_ERANGE_MISMATCH);
    }
    if (pz_view_cmp(s->key, (pz_view_t){s_split_min, sizeof s_split_min}) < 0) {
        return s_done(s, PZ_EINVAL); /* range 1 keeps the meta and reserved keys */
    }
    s->state = S_COUNTER;
    pz_kv_req_t q = {.op = PZ_KV_GET, .key = {s_counter_key, sizeof s_counter_key}};
    rc = s_send(s, io, &q, 1, pz_hlc_now());
    return rc == 0 ? PZ__SPLIT_SENT : s_done(s, rc);
}

static int s_pack_halves(pz__split_t *s, uint64_t new_id)
{
    pz_range_desc_t l = s->old, r = s->old;
    l.end_key = s->key;
    l.generation++;
    r.range_id = new_id;
    r.start_key = s->key;
    r.generation++;
    int rc = pz_range_desc_pack(&l, &s->left, &s->left_len);
    return rc ? rc : pz_range_desc_pack(&r, &s->right, &s->right_len);
}

static pz__split_step_t s_on_counter(pz__split_t *s, const pz__split_io_t *io,
                                     const pz_kv_batch_resp_t *r)
{
    if (r->resps_len != 1) {
        return s_done(s, PZ_EPROTO);
    }
    const pz_kv_resp_t *x = &r->resps[0];
    uint8_t be[8] = {0};
    if (x->found) {
        if (x->value.len != 8) {
            return s_done(s, PZ_ECORRUPT);
        }
        memcpy(be, x->value.ptr, 8);
        for (int i = 0; i < 8; i++) {
            s->old_counter = s->old_counter << 8 | be[i];
        }
    }
    s->counter_exists = x->found;
    uint64_t id = s->old_counter > io->max_range_id ? s->old_counter : io->max_range_id;
    id++;
    uint8_t nbe[8];
    for (int i = 0; i < 8; i++) {
        nbe[i] = (uint8_t)(id >> (56 - 8 * i));
    }
    int rc = s_pack_halves(s, id);
    if (rc != 0) {
        return s_done(s, rc);
    }
    uint8_t lk[32], rk[32], m1[PZ_KEY_BYTES_MAX + 8], m2[PZ_KEY_BYTES_MAX + 8];
    size_t lkl = pz_key_replica_desc(lk, sizeof lk, s->range_id);
    size_t rkl = pz_key_replica_desc(rk, sizeof rk, id);
    size_t m1l = pz_key_meta2(m1, sizeof m1, s->key);
    size_t m2l = pz_key_meta2(m2, sizeof m2, s->old.end_key);
    assert(lkl > 0 && rkl > 0 && m1l > 0 && m2l > 0);
    pz_view_t old = {io->packed, (uint32_t)io->packed_len};
    pz_view_t left = {s->left, (uint32_t)s->left_len}, right = {s->right, (uint32_t)s->right_len};
    pz_kv_req_t q[5] = {
        {.op = PZ_KV_CPUT,
         .key = {s_counter_key, sizeof s_counter_key},
         .value = {nbe, 8},
         .exp_value = {be, x->found ? 8 : 0},
         .exp_exists = x->found},
        {.op = PZ_KV_CPUT, .key = {lk, lkl}, .value = left, .exp_value = old, .exp_exists = true},
        {.op = PZ_KV_CPUT, .key = {rk, rkl}, .value = right},
        {.op = PZ_KV_CPUT, .key = {m1, m1l}, .value = left},
        {.op = PZ_KV_CPUT, .key = {m2, m2l}, .value = right, .exp_value = old, .exp_exists = true},
    };
    s->state = S_WRITE;
    rc = s_send(s, io, q, 5, pz_hlc_now());
    return rc == 0 ? PZ__SPLIT_SENT : s_done(s, rc);
}

pz__split_step_t pz__split_on_reply(pz__split_t *s, const pz__split_io_t *io, pz_msg_t *reply)
{
    assert(s != NULL && io != NULL && reply != NULL);
    assert(s->state == S_FIND || s->state == S_COUNTER || s->state == S_WRITE);
    pz_kv_batch_resp_t r;
    int rc = pz_msg_error(reply, NULL);
    if (rc == 0) {
        rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r);
    }
    if (rc == 0) {
        rc = r.error.code;
    }
    if (rc != 0) {
        return s_done(s, rc);
    }
    switch (s->state) {
    case S_FIND:
        return s_on_scan(s, io, &r);
    case S_COUNTER:
        return s_on_counter(s, io, &r);
    default:
        return s_done(s, 0);
    }
}

bool pz__split_result(const pz__split_t *s, const uint8_t **left, size_t *left_len,
                      const uint8_t **right, size_t *right_len)
{
    assert(s != NULL && s->state == S_DONE);
    if (s->rc != 0 || s->noop) {
        return false;
    }
    *left = s->left;
    *left_len = s->left_len;
    *right = s->right;
    *right_len = s->right_len;
    return true;
}

/* The SPLIT's answer: the two descriptors, or the range as it is for a no-op. */
static int s_answer_ok(pz__split_t *s, const pz__split_io_t *io, pz_kv_resp_t *x)
{
    pz_range_desc_t *ranges = pz_arena_alloc(s->arena, 2 * sizeof *ranges);
    if (ranges == NULL) {
        return PZ_ENOMEM;
    }
    int rc = 0;
    x->ext.ranges = ranges;
    if (s->noop) {
        x->ext.ranges_len = 1;
        return s_desc(s, io, &ranges[0]);
    }
    x->ext.ranges_len = 2;
    rc = pz_range_desc_unpack(s->left, s->left_len, s->arena, &ranges[0]);
    return rc ? rc : pz_range_desc_unpack(s->right, s->right_len, s->arena, &ranges[1]);
}

void pz__split_answer(pz__split_t *s, const pz__split_io_t *io)
{
    assert(s != NULL && io != NULL && s->state == S_DONE);
    if (s->req == NULL) {
        return;
    }
    pz_kv_resp_t x = {.op = PZ_KV_SPLIT, .has_ext = true};
    pz_kv_batch_resp_t resp = {.ts = pz_hlc_now()};
    int rc = s->rc ? s->rc : s_answer_ok(s, io, &x);
    if (rc == 0) {
        resp.resps = &x;
        resp.resps_len = 1;
    } else {
        resp.error = (pz_kv_error_t){.code = rc, .index = -1};
        resp.error.message = pz_view_str(rc == PZ_EINVAL ? "split key must lie in the range, "
                                                           "at or above \\x04"
                                                         : pz_strerror(rc));
        resp.error.has_range = rc == PZ_ERANGE_MISMATCH && s_desc(s, io, &resp.error.range) == 0;
    }
    pz_out_t *out = NULL;
    if (pz_kv_batch_resp_to_out(&resp, PZ_MSG_KV_BATCH_RESP, &out) != 0 ||
        pz_reply(io->self, s->req, &out) != 0) {
        pz_out_free(&out);
        pz_log(io->self, PZ_LOG_WARN, "cannot answer a split request");
    }
}

/* ---------------------------------------------------------------------------------------- */
/* The repl actor's side (repl.h): latches, the replica table, and the flight that carries a
 * split through them.                                                                         */

static uint64_t s_max_range_id(const pz__repl_t *p)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < p->replicas_len; i++) {
        m = p->replicas[i].range_id > m ? p->replicas[i].range_id : m;
    }
    return m;
}

static pz__split_io_t s_io(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    const pz__replica_t *r = pz__repl_replica(p, pz__split_range_id(f->split));
    return (pz__split_io_t){.self = self,
                            .storage = p->storage,
                            .timeout_ms = p->timeout_ms,
                            .ctx = f,
                            .max_range_id = s_max_range_id(p),
                            .packed = r ? r->packed : NULL,
                            .packed_len = r ? r->packed_len : 0};
}

/* Installs both halves. Batches that wait on a lock in the right half were queued under the old
 * range id: they are answered with a range mismatch, and dist sends them again to the new range
 * (the lock table is keyed by range, and the right half's resolves now come with the new id). */
static int s_install(pz_actor_t *self, pz__repl_t *p, uint64_t id, uint64_t half, const uint8_t *l,
                     size_t ll, const uint8_t *r, size_t rl)
{
    const pz__replica_t *old = pz__repl_replica(p, id);
    pz_arena_t *a = pz_arena_new();
    pz_range_desc_t right;
    int rc = a ? pz_range_desc_unpack(r, rl, a, &right) : PZ_ENOMEM;
    if (rc == 0 && old != NULL) {
        pz__repl_wake(self, p, id, right.start_key, old->end, PZ_ERANGE_MISMATCH);
    }
    /* Both descriptors are stored: if this fails, a restart loads them. */
    if (rc == 0 && (rc = pz__repl_replica_put(p, l, ll, half)) == 0) {
        rc = pz__repl_replica_put(p, r, rl, half);
    }
    pz_arena_destroy(&a);
    pz_log(self, rc ? PZ_LOG_ERROR : PZ_LOG_INFO, "split range %llu: %s", (unsigned long long)id,
           rc ? pz_strerror(rc) : "done");
    return rc;
}

static void s_finish(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    uint64_t id = pz__split_range_id(f->split);
    pz__replica_t *old = (pz__replica_t *)pz__repl_replica(p, id);
    uint64_t half = old ? old->bytes / 2 : 0;
    int rc = pz__split_rc(f->split);
    const uint8_t *l, *r;
    size_t ll, rl;
    if (rc == 0 && pz__split_result(f->split, &l, &ll, &r, &rl)) {
        (void)s_install(self, p, id, half, l, ll, r, rl); /* old is stale from here */
    } else if (old != NULL) {
        old->splitting = false;
        if (rc != 0) {
            old->bytes = 0; /* an automatic split that failed waits for as many bytes again */
        }
    }
    pz__split_io_t io = s_io(self, p, f);
    pz__split_answer(f->split, &io);
    pz__split_free(f->split);
    f->split = NULL;
    pz__repl_unlatch(self, p, f);
    pz__repl_flight_free(f);
}

/* Acts on a step of a split: acquires its latches, or finishes it. */
static void s_step(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz__split_step_t st)
{
    if (st == PZ__SPLIT_LATCH) {
        pz__split_io_t io = s_io(self, p, f);
        pz__latch_span_t spans[2];
        uint32_t n = pz__split_spans(f->split, &io, spans);
        f->guard = n ? pz__latch_guard_new(spans, n, f) : NULL;
        int rc = n == 0 ? PZ_ERANGE_MISMATCH : f->guard ? 0 : PZ_ENOMEM;
        if (rc == 0 && (rc = pz__latch_acquire(&p->latches, f->guard)) == 0 && !f->guard->granted) {
            return; /* repl_batch.c's s_run calls pz__repl_split_granted */
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
        s_finish(self, p, f);
    }
}

void pz__repl_split_granted(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f)
{
    assert(f->kind == PZ_RF_SPLIT && f->split != NULL);
    pz__split_io_t io = s_io(self, p, f);
    s_step(self, p, f, pz__split_run(f->split, &io));
}

void pz__repl_split_reply(pz_actor_t *self, pz__repl_t *p, pz__repl_flight_t *f, pz_msg_t *reply)
{
    assert(f->kind == PZ_RF_SPLIT && f->split != NULL);
    pz__split_io_t io = s_io(self, p, f);
    s_step(self, p, f, pz__split_on_reply(f->split, &io, reply));
}

int pz__repl_split_begin(pz_actor_t *self, pz__repl_t *p, uint64_t range_id, pz_msg_t *req,
                         pz_view_t key)
{
    assert(range_id > 0);
    pz__repl_flight_t *f = calloc(1, sizeof *f);
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
    *f = (pz__repl_flight_t){.kind = PZ_RF_SPLIT, .split = s};
    pz__replica_t *r = (pz__replica_t *)pz__repl_replica(p, range_id);
    if (r != NULL) {
        r->splitting = true;
    }
    pz__split_io_t io = s_io(self, p, f);
    s_step(self, p, f, pz__split_start(s, &io));
    return 0;
}

void pz__repl_split_account(pz_actor_t *self, pz__repl_t *p, uint64_t range_id,
                            uint64_t write_bytes)
{
    pz__replica_t *r = (pz__replica_t *)pz__repl_replica(p, range_id);
    if (r == NULL || write_bytes == 0) {
        return;
    }
    r->bytes += write_bytes;
    if (r->bytes > p->range_max_bytes && !r->splitting) {
        pz_log(self, PZ_LOG_INFO, "range %llu passed %llu bytes: splitting it",
               (unsigned long long)r->range_id, (unsigned long long)p->range_max_bytes);
        (void)pz__repl_split_begin(self, p, r->range_id, NULL, (pz_view_t){0});
    }
}
