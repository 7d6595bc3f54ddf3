/*
 * dist_module.c — range addressing and routing.
 *
 * Every key lives in exactly one range; the range's descriptor is stored in the meta2 keyspace
 * under \x03 + <range end key> (keys.h). To route a batch, dist finds the range of each request
 * in its range cache; on a miss it looks the range up with a one-key scan of meta2 sent to the
 * first range (which holds meta2, configured as `first_range`), parks the batch meanwhile, and
 * caches the answer. The batch then goes to the range's replica with header.range_id set. A
 * replica that no longer holds the keys answers PZ_ERANGE_MISMATCH: the entry is evicted and the
 * batch routed again, a bounded number of times.
 *
 * A batch whose requests fall into different ranges is refused with PZ_EINVAL for now: with
 * one range per store nothing produces one; splitting batches per range (and merging replies)
 * comes with range splits in the transactions issue.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/kernel.h"
#include "phantomzero/keys.h"
#include "phantomzero/kv.h"
#include "phantomzero/module.h"

#include "range_cache.h"

#define S_ROUTE_ATTEMPTS_MAX 4 /* lookups + mismatches before giving up on one batch */

typedef struct {
    char first_range[PZ_ADDR_BYTES_MAX];
    uint32_t timeout_ms;
    pz__range_cache_t cache;
    uint32_t waiters;
    pz_metric_t *m_lookups;
    pz_metric_t *m_hits;
    pz_metric_t *m_mismatch;
} s_dist_t;

/* One client batch in flight through dist. */
typedef struct {
    pz_msg_t *req; /* the batch as it came from txn (kept) */
    int attempts;
    bool lookup; /* the outstanding request is a meta2 lookup, not the batch itself */
} s_flight_t;

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
    if (slen == 0) {
        return PZ_EINVAL;
    }
    start[slen++] = 0x00; /* the first record after meta2(key): the first end key > key */
    end[0] = PZ_KEY_META2_PREFIX + 1;
    pz_kv_req_t req = {
        .op = PZ_KV_SCAN, .key = {start, (uint32_t)slen}, .end_key = {end, 1}, .limit = 1};
    pz_kv_batch_t b = {.header = {.ts = pz_hlc_now(), .range_id = 1}, .reqs = &req, .reqs_len = 1};
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out);
    if (rc == 0) {
        f->lookup = true;
        rc = pz_request(self, d->first_range, &out, d->timeout_ms, f, NULL);
    }
    pz_out_free(&out);
    pz_metric_add(d->m_lookups, 1);
    return rc;
}

/* The key span a request touches, for addressing: [key, end) or the point key. */
static void s_span(const pz_kv_req_t *r, pz_view_t *start, pz_view_t *end, bool *point)
{
    *start = r->key;
    *end = r->end_key;
    *point = !pz_kv_req_is_span(r);
}

/* Routes f's batch: to its range's replica, or starts a lookup. */
static void s_route(pz_actor_t *self, s_dist_t *d, s_flight_t *f)
{
    if (++f->attempts > S_ROUTE_ATTEMPTS_MAX) {
        s_fail(self, d, f, PZ_EUNAVAILABLE, "cannot find the range of the batch's keys");
        return;
    }
    pz_kv_batch_t b;
    int rc = pz_kv_batch_from_msg(f->req, PZ_MSG_KV_BATCH, &b);
    if (rc != 0 || b.reqs_len == 0) {
        s_fail(self, d, f, rc ? rc : PZ_EINVAL, rc ? "malformed KV batch" : "empty KV batch");
        return;
    }
    const pz__range_t *range = NULL;
    for (uint32_t i = 0; i < b.reqs_len; i++) {
        pz_view_t start, end;
        bool point;
        s_span(&b.reqs[i], &start, &end, &point);
        /* Store-local, meta1 and meta2 keys hold the node's own bookkeeping (range addressing):
         * clients may read them, never write them. */
        static const uint8_t user_min[1] = {PZ_KEY_SYSTEM_PREFIX};
        if (pz_kv_op_is_write(b.reqs[i].op) && pz_view_cmp(start, (pz_view_t){user_min, 1}) < 0) {
            s_fail(self, d, f, PZ_EPERM,
                   "writes to the reserved keyspace (below \\x04) are refused");
            return;
        }
        if (start.len == 0 || pz_key_is_local(start) ||
            pz_view_cmp(start, (pz_view_t){PZ_KEY_MAX, sizeof PZ_KEY_MAX}) >= 0) {
            s_fail(self, d, f, PZ_EINVAL, "key outside the addressable key space");
            return;
        }
        const pz__range_t *r = pz__range_cache_find(&d->cache, start);
        if (r == NULL) {
            rc = s_lookup(self, d, f, start);
            if (rc != 0) {
                s_fail(self, d, f, rc, "range lookup failed");
            }
            return;
        }
        if ((range && range != r) || (!point && pz_view_cmp(end, r->end) > 0)) {
            s_fail(self, d, f, PZ_EINVAL, "batch spans more than one range (not supported yet)");
            return;
        }
        range = r;
    }
    b.header.range_id = range->range_id;
    pz_out_t *out = NULL;
    rc = pz_kv_batch_to_out(&b, PZ_MSG_KV_BATCH, &out);
    if (rc == 0) {
        f->lookup = false;
        rc = pz_request(self, range->addr, &out, d->timeout_ms, f, NULL);
    }
    pz_out_free(&out);
    if (rc != 0) {
        s_fail(self, d, f, rc, "cannot reach the range's replica");
        return;
    }
    pz_metric_add(d->m_hits, f->attempts == 1 ? 1 : 0);
}

static void s_on_lookup_reply(pz_actor_t *self, s_dist_t *d, s_flight_t *f, pz_msg_t *reply)
{
    pz_kv_batch_resp_t r;
    int rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r);
    if (rc == 0 && r.error.code != 0) {
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
        s_fail(self, d, f, rc, "range lookup failed");
        return;
    }
    s_route(self, d, f);
}

static void s_on_batch_reply(pz_actor_t *self, s_dist_t *d, s_flight_t *f, pz_msg_t *reply)
{
    pz_kv_batch_resp_t r;
    if (pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r) == 0 &&
        r.error.code == PZ_ERANGE_MISMATCH) {
        pz_metric_add(d->m_mismatch, 1);
        pz_kv_batch_t b;
        if (pz_kv_batch_from_msg(f->req, PZ_MSG_KV_BATCH, &b) == 0 && b.reqs_len > 0) {
            pz__range_cache_evict(&d->cache, b.reqs[0].key);
        }
        if (r.error.has_range) {
            pz__range_cache_put(&d->cache, &r.error.range);
        }
        s_route(self, d, f);
        return;
    }
    int rc = pz_reply_forward(self, f->req, reply);
    if (rc != 0) {
        pz_log(self, PZ_LOG_WARN, "cannot answer %s: %s", pz_msg_sender(f->req), pz_strerror(rc));
    }
    s_finish(d, f);
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_dist_t *d = state;
    if (pz_msg_is_reply(msg)) {
        s_flight_t *f = pz_reply_ctx(self);
        assert(f != NULL);
        const char *text = NULL;
        int err = pz_msg_error(msg, &text);
        if (err != 0) {
            s_fail(self, d, f, err, text);
        } else if (f->lookup) {
            s_on_lookup_reply(self, d, f, msg);
        } else {
            s_on_batch_reply(self, d, f, msg);
        }
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
    s_route(self, d, f);
    return 0;
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("dist"),
    .init = s_init,
    .fini = s_fini,
    .on_message = s_on_message,
};

PZ_MODULE_DEFINE(s_desc)
