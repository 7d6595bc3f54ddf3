/*
 * dist_module.c — range addressing and routing.
 *
 * Every key lives in exactly one range; the range's descriptor is stored in the meta2 keyspace
 * under \x03 + <range end key> (keys.h). To route a batch, dist finds the range of each request
 * in its range cache; on a miss it looks the range up with a one-key scan of meta2 sent to the
 * first range (which holds meta2, configured as `first_range`), parks the batch meanwhile, and
 * caches the answer. The batch then goes to the range's replica with header.range_id set. A
 * replica that no longer holds the keys answers PZ_ERANGE_MISMATCH: the entry is evicted and the
 * part routed again, a bounded number of times.
 *
 * A batch whose requests fall into different ranges is cut into one part per range
 * (dist_plan.h says how, and how the answers are merged); the parts run concurrently, except a
 * limited scan, which visits its ranges in scan order. A batch that fits one range goes as it
 * came and its answer is forwarded as it is: the common case pays no merge. A batch without a
 * transaction that writes and needs two ranges is refused with PZ_ERANGE_SPAN before anything
 * is sent: it could not be atomic, and the coordinator runs it again as a transaction.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/kernel.h"
#include "phantomzero/keys.h"
#include "phantomzero/kv.h"
#include "phantomzero/module.h"

#include "dist_plan.h"
#include "range_cache.h"

/* meta2 lookups one batch may make: one per range it touches, plus the retries after a split;
 * past it the batch fails rather than chase a cache that never fills. */
#define S_LOOKUPS_MAX 1024

typedef struct {
    char first_range[PZ_ADDR_BYTES_MAX];
    uint32_t timeout_ms;
    pz__range_cache_t cache;
    uint32_t waiters;
    pz_metric_t *m_lookups;
    pz_metric_t *m_hits;
    pz_metric_t *m_mismatch;
    pz_metric_t *m_parts;
} s_dist_t;

/* One client batch in flight through dist. */
typedef struct {
    pz_msg_t *req;   /* the batch as it came from txn (kept) */
    pz_kv_batch_t b; /* decoded: views into req */
    pz__plan_t plan; /* its pieces (dist_plan.h) */
    pz_msg_t **kept; /* part answers whose views the plan holds */
    uint32_t kept_len, kept_cap;
    uint32_t lookups;     /* meta2 lookups made for it */
    uint32_t outstanding; /* parts and lookups in flight */
    bool looking;         /* a lookup is in flight: resolve again when it is back */
} s_flight_t;

/* One request a flight has out: the ctx of pz_request. */
typedef struct {
    s_flight_t *f;
    bool lookup; /* a meta2 lookup, not a part */
    bool whole;  /* the batch went as it came: its answer is forwarded as it is */
    uint32_t n;
    uint32_t idx[]; /* the plan's pieces in the part */
} s_part_t;

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    s_dist_t *d = calloc(1, sizeof *d);
    if (d == NULL) {
        return PZ_ENOMEM;
    }
    *state = d;
    snprintf(d->first_range, sizeof d->first_range, "%s", pz_cfg_str(cfg, "first_range", "repl"));
    int64_t timeout = 0;
    if (pz_cfg_int(cfg, "timeout_ms", PZ_REQUEST_TIMEOUT_MS_DEFAULT, &timeout) != 0 ||
        timeout <= 0) {
        pz_log(self, PZ_LOG_ERROR, "timeout_ms must be a positive integer");
        return PZ_ECONFIG;
    }
    d->timeout_ms = (uint32_t)timeout;
    d->m_lookups = pz_metric_counter("pz_dist_range_lookups_total", "meta2 range lookups");
    d->m_hits = pz_metric_counter("pz_dist_range_cache_hits_total", "batches routed from cache");
    d->m_mismatch = pz_metric_counter("pz_dist_range_mismatch_total",
                                      "batches a replica refused as not its range");
    d->m_parts = pz_metric_counter("pz_dist_parts_total",
                                   "per-range parts sent for batches over several ranges");
    return 0;
}

static void s_fini(pz_actor_t *self, void *state)
{
    (void)self;
    s_dist_t *d = state;
    pz__range_cache_clear(&d->cache);
    free(d);
}

static void s_finish(s_dist_t *d, s_flight_t *f)
{
    assert(f->outstanding == 0);
    for (uint32_t i = 0; i < f->kept_len; i++) {
        pz_msg_free(&f->kept[i]);
    }
    free(f->kept);
    pz__plan_free(&f->plan);
    pz_msg_free(&f->req);
    free(f);
    d->waiters--;
}

static void s_fail(pz_actor_t *self, s_dist_t *d, s_flight_t *f, int code, const char *why)
{
    pz_reply_error(self, f->req, code, why);
    s_finish(d, f);
}

/* Sends the meta2 lookup for `key` to the first range. */
static int s_lookup(pz_actor_t *self, s_dist_t *d, s_flight_t *f, pz_view_t key)
{
    uint8_t start[PZ_KEY_BYTES_MAX + 8], end[8];
    size_t slen = pz_key_meta2(start, sizeof start - 1, key);
    s_part_t *pt = calloc(1, sizeof *pt);
    if (slen == 0 || pt == NULL) {
        free(pt);
        return slen == 0 ? PZ_EINVAL : PZ_ENOMEM;
    }
    *pt = (s_part_t){.f = f, .lookup = true};
    start[slen++] = 0x00; /* the first record after meta2(key): the first end key > key */
    end[0] = PZ_KEY_META2_PREFIX + 1;
    pz_kv_req_t req = {
        .op = PZ_KV_SCAN, .key = {start, (uint32_t)slen}, .end_key = {end, 1}, .limit = 1};
    pz_kv_batch_t b = {.header = {.ts = pz_hlc_now(), .range_id = 1}, .reqs = &req, .reqs_len = 1};
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out);
    if (rc == 0) {
        rc = pz_request(self, d->first_range, &out, d->timeout_ms, pt, NULL);
    }
    pz_out_free(&out);
    if (rc != 0) {
        free(pt);
        return rc;
    }
    f->looking = true;
    f->outstanding++;
    pz_metric_add(d->m_lookups, 1);
    return 0;
}

/* Refusals that need no range: malformed or reserved keys, SPLIT with company. */
static int s_validate(const pz_kv_batch_t *b, const char **why)
{
    static const uint8_t user_min[1] = {PZ_KEY_SYSTEM_PREFIX};
    const pz_view_t key_max = {PZ_KEY_MAX, sizeof PZ_KEY_MAX};
    if (b->reqs_len == 0) {
        *why = "empty KV batch";
        return PZ_EINVAL;
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        const pz_kv_req_t *q = &b->reqs[i];
        /* Store-local, meta1 and meta2 keys hold the node's own bookkeeping (range addressing):
         * clients may read them, never write them. */
        if (pz_kv_op_is_write(q->op) && pz_view_cmp(q->key, (pz_view_t){user_min, 1}) < 0) {
            *why = "writes to the reserved keyspace (below \\x04) are refused";
            return PZ_EPERM;
        }
        if (q->key.len == 0 || pz_key_is_local(q->key) || pz_view_cmp(q->key, key_max) >= 0 ||
            (pz_kv_req_is_span(q) && pz_view_cmp(q->end_key, key_max) > 0)) {
            *why = "key outside the addressable key space";
            return PZ_EINVAL;
        }
        if (q->op == PZ_KV_SPLIT && b->reqs_len != 1) {
            *why = "SPLIT must be alone in its batch";
            return PZ_EINVAL;
        }
    }
    return 0;
}

/* The part, with the range id set, is the batch exactly as it came (one range, nothing cut or
 * limited anew) and *h its header as peeked from the message: the part then goes on as the
 * batch's own bytes behind that header, not decoded and encoded again. */
static bool s_as_it_came(s_flight_t *f, const pz_kv_batch_t *part, pz_kv_header_t *h,
                         uint32_t *fields, pz_view_t *rest)
{
    if (part->reqs_len != f->b.reqs_len || pz_kv_batch_peek(f->req, h, fields, rest) != 0) {
        return false;
    }
    h->range_id = part->header.range_id;
    if (!pz_kv_header_eq(h, &part->header)) {
        return false;
    }
    for (uint32_t k = 0; k < part->reqs_len; k++) {
        if (!pz_kv_req_eq(&part->reqs[k], &f->b.reqs[k])) {
            return false;
        }
    }
    return true;
}

static void s_free_reqs(pz_kv_req_t *reqs, pz_kv_req_t *local)
{
    if (reqs != local) {
        free(reqs);
    }
}

/* Sends the plan's next part. Returns true if the plan moved (a part went out, or its range
 * had changed in the cache and its pieces must be resolved again), false when nothing is left to
 * send now or the send failed (the plan then holds the error). */
static bool s_send_next(pz_actor_t *self, s_dist_t *d, s_flight_t *f)
{
    pz__plan_t *p = &f->plan;
    s_part_t *pt = malloc(sizeof *pt + (size_t)p->len * sizeof pt->idx[0]);
    pz_kv_req_t local[PZ__PLAN_INLINE]; /* a small part's requests (a point get: one) */
    pz_kv_req_t *reqs = p->len <= PZ__PLAN_INLINE ? local : malloc((size_t)p->len * sizeof *reqs);
    uint64_t range_id = 0;
    uint32_t n = pt && reqs ? pz__plan_next(p, pt->idx, p->len, &range_id) : 0;
    if (n == 0) {
        if (pt == NULL || reqs == NULL) {
            pz__plan_fail(p, PZ_ENOMEM, NULL, true);
        }
        free(pt), s_free_reqs(reqs, local);
        return false;
    }
    *pt = (s_part_t){.f = f, .whole = !p->multi, .n = n};
    const pz__range_t *r = pz__range_cache_find(&d->cache, p->pieces[pt->idx[0]].key);
    if (r == NULL || r->range_id != range_id) {
        /* Another batch's answer changed the cache since these pieces were cut. */
        pz_kv_batch_resp_t stale = {.error = {.code = PZ_ERANGE_MISMATCH}};
        pz__plan_on_reply(p, pt->idx, n, &stale);
        free(pt), s_free_reqs(reqs, local);
        return true;
    }
    pz_kv_batch_t b;
    pz__plan_part(p, pt->idx, n, range_id, &b, reqs);
    pz_out_t *out = NULL;
    pz_kv_header_t h;
    uint32_t fields = 0;
    pz_view_t rest;
    int rc = pt->whole && s_as_it_came(f, &b, &h, &fields, &rest)
                 ? pz_kv_batch_splice_to_out(fields, &h, rest, &out)
                 : pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out);
    if (rc == 0) {
        rc = pz_request(self, r->addr, &out, d->timeout_ms, pt, NULL);
    }
    pz_out_free(&out);
    s_free_reqs(reqs, local);
    if (rc != 0) {
        pz__plan_on_error(p, pt->idx, n, rc, "cannot reach the range's replica");
        free(pt);
        return false;
    }
    f->outstanding++;
    pz_metric_add(pt->whole ? d->m_hits : d->m_parts, 1);
    return true;
}

static void s_answer(pz_actor_t *self, s_dist_t *d, s_flight_t *f)
{
    pz__plan_t *p = &f->plan;
    if (p->has_error && p->error_envelope) {
        char text[512];
        snprintf(text, sizeof text, "%.*s", (int)p->error.message.len,
                 (const char *)p->error.message.ptr);
        s_fail(self, d, f, p->error.code, text[0] ? text : NULL);
        return;
    }
    pz_kv_batch_resp_t resp;
    pz_out_t *out = NULL;
    int rc = pz__plan_merge(p, &resp);
    if (rc == 0) {
        rc = pz_kv_batch_resp_to_out(&resp, PZ_MSG_KV_BATCH_RESP, &out);
    }
    if (rc == 0) {
        rc = pz_reply(self, f->req, &out);
    }
    if (rc != 0) {
        pz_out_free(&out);
        pz_log(self, PZ_LOG_WARN, "cannot answer %s: %s", pz_msg_sender(f->req), pz_strerror(rc));
    }
    s_finish(d, f);
}

/* Moves f on: resolves its pieces (looking ranges up as needed), sends what can go, and answers
 * when everything is back. */
static void s_step(pz_actor_t *self, s_dist_t *d, s_flight_t *f)
{
    pz__plan_t *p = &f->plan;
    while (!f->looking && !p->has_error) {
        pz_view_t miss;
        int rc = pz__plan_resolve(p, &d->cache, &miss);
        if (rc == PZ_ENOTFOUND) {
            rc = ++f->lookups > S_LOOKUPS_MAX ? PZ_EUNAVAILABLE : s_lookup(self, d, f, miss);
            if (rc != 0) {
                pz__plan_fail(p, rc, "cannot find the range of the batch's keys", true);
            }
            continue;
        }
        if (rc != 0) {
            pz__plan_fail(p, rc, "cannot cut the batch at range boundaries", true);
        } else if ((rc = pz__plan_check_span(p)) != 0) {
            pz__plan_fail(p, rc, NULL, false);
        } else if (!s_send_next(self, d, f)) {
            break;
        }
    }
    if (f->looking || f->outstanding > 0) {
        return;
    }
    if (!pz__plan_done(p)) {
        pz__plan_fail(p, PZ_EINTERNAL, "dist found nothing to send for an unfinished batch", true);
    }
    s_answer(self, d, f);
}

static void s_on_lookup_reply(pz_actor_t *self, s_dist_t *d, s_flight_t *f, pz_msg_t *reply)
{
    f->looking = false;
    pz_kv_batch_resp_t r;
    const char *text = "range lookup failed";
    int rc = pz_msg_error(reply, &text);
    if (rc == 0 && (rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r)) == 0) {
        rc = r.error.code;
    }
    if (rc == 0 && (r.resps_len != 1 || r.resps[0].kvs_len != 1)) {
        rc = PZ_ENOTFOUND; /* meta2 has no range for the key: a broken bootstrap */
    }
    pz_range_desc_t desc;
    if (rc == 0) {
        pz_view_t v = r.resps[0].kvs[0].value;
        rc = pz_range_desc_unpack(v.ptr, v.len, pz_msg_arena(reply), &desc);
    }
    if (rc == 0) {
        rc = pz__range_cache_put(&d->cache, &desc);
    }
    if (rc != 0) {
        pz_log(self, PZ_LOG_WARN, "range lookup failed: %s", pz_strerror(rc));
        pz__plan_fail(&f->plan, rc, text ? text : "range lookup failed", true);
    }
    s_step(self, d, f);
}

/* Keeps a part's answer alive: the plan holds views into it until the batch is answered. */
static int s_keep(s_flight_t *f, pz_msg_t *reply)
{
    if (f->kept_len == f->kept_cap) {
        uint32_t cap = f->kept_cap ? f->kept_cap * 2 : 8;
        pz_msg_t **k = realloc(f->kept, cap * sizeof *k);
        if (k == NULL) {
            return PZ_ENOMEM;
        }
        f->kept = k;
        f->kept_cap = cap;
    }
    f->kept[f->kept_len++] = pz_msg_keep(reply);
    return 0;
}

static void s_on_mismatch(s_dist_t *d, s_flight_t *f, const s_part_t *pt,
                          const pz_kv_batch_resp_t *r)
{
    pz_metric_add(d->m_mismatch, 1);
    for (uint32_t k = 0; k < pt->n; k++) {
        pz__range_cache_evict(&d->cache, f->plan.pieces[pt->idx[k]].key);
    }
    if (r->error.has_range) {
        pz__range_cache_put(&d->cache, &r->error.range);
    }
    pz__plan_on_reply(&f->plan, pt->idx, pt->n, r);
}

/* A part's answer. Returns true when the batch was answered (f is gone). */
static bool s_on_part_reply(pz_actor_t *self, s_dist_t *d, s_flight_t *f, const s_part_t *pt,
                            pz_msg_t *reply)
{
    const char *text = NULL;
    int rc = pz_msg_error(reply, &text);
    pz_kv_batch_resp_t r;
    pz_hlc_t ts;
    pz_kv_error_t e = {0};
    if (rc == 0 && pt->whole && (rc = pz_kv_batch_resp_peek(reply, &ts, &e)) != 0) {
        text = "malformed answer from a replica";
    }
    /* A whole batch's answer is read only as far as its error: unless the range moved, it is
     * forwarded as it is (txn and the client decode it). */
    bool forward = pt->whole && (rc != 0 || e.code != PZ_ERANGE_MISMATCH);
    if (!forward && rc == 0 &&
        (rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r)) != 0) {
        text = "malformed answer from a replica";
    }
    if (!forward && rc == 0 && r.error.code == PZ_ERANGE_MISMATCH) {
        s_on_mismatch(d, f, pt, &r);
        return false;
    }
    if (pt->whole) {
        /* The whole batch went to one range: its answer is the batch's, as it came. */
        if (rc != 0) {
            pz_reply_error(self, f->req, rc, text);
        } else if ((rc = pz_reply_forward(self, f->req, reply)) != 0) {
            pz_log(self, PZ_LOG_WARN, "cannot answer %s: %s", pz_msg_sender(f->req),
                   pz_strerror(rc));
        }
        s_finish(d, f);
        return true;
    }
    if (rc == 0 && (rc = s_keep(f, reply)) != 0) {
        text = "cannot keep a part's answer";
    }
    if (rc != 0) {
        pz__plan_on_error(&f->plan, pt->idx, pt->n, rc, text);
    } else {
        pz__plan_on_reply(&f->plan, pt->idx, pt->n, &r);
    }
    return false;
}

static void s_on_reply(pz_actor_t *self, s_dist_t *d, pz_msg_t *msg)
{
    s_part_t *pt = pz_reply_ctx(self);
    assert(pt != NULL && pt->f != NULL);
    s_flight_t *f = pt->f;
    assert(f->outstanding > 0);
    f->outstanding--;
    if (pt->lookup) {
        free(pt);
        s_on_lookup_reply(self, d, f, msg);
        return;
    }
    bool answered = s_on_part_reply(self, d, f, pt, msg);
    free(pt);
    if (!answered) {
        s_step(self, d, f);
    }
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_dist_t *d = state;
    if (pz_msg_is_reply(msg)) {
        s_on_reply(self, d, msg);
        return 0;
    }
    if (pz_msg_type(msg) != PZ_MSG_KV_BATCH) {
        pz_reply_error(self, msg, PZ_EUNKNOWN_TYPE, "dist does not handle this message type");
        return PZ_EUNKNOWN_TYPE;
    }
    if (d->waiters >= PZ_DIST_WAITERS_MAX) {
        pz_reply_error(self, msg, PZ_EBUSY, "too many batches in flight at dist");
        return PZ_EBUSY;
    }
    s_flight_t *f = calloc(1, sizeof *f);
    if (f == NULL) {
        pz_reply_error(self, msg, PZ_ENOMEM, NULL);
        return PZ_ENOMEM;
    }
    f->req = pz_msg_keep(msg);
    d->waiters++;
    const char *why = "malformed KV batch";
    int rc = pz_kv_batch_from_msg(f->req, PZ_MSG_KV_BATCH, &f->b);
    if (rc == 0 && (rc = s_validate(&f->b, &why)) == 0) {
        why = NULL;
        rc = pz__plan_init(&f->plan, &f->b);
    }
    if (rc != 0) {
        s_fail(self, d, f, rc, why);
        return 0;
    }
    s_step(self, d, f);
    return 0;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("dist"),
    .init = s_init,
    .fini = s_fini,
    .on_message = s_on_message,
};

PZ_MODULE_DEFINE(s_desc)
