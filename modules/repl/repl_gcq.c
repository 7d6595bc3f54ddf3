/*
 * repl_gcq.c — the MVCC GC queue (repl_gcq.h): old versions of a range's keys are removed once
 * they have been shadowed for longer than gc.ttl, so history is kept for the TTL (what AS OF
 * SYSTEM TIME may read) and no longer.
 *
 * A timer (every PZ_GC_QUEUE_INTERVAL_MS, or TTL / 4 for a short TTL) looks at the replicas and
 * makes a pass over each range that is due, one after the other: GC requests (kv.h: PZ_KV_GC,
 * ext.gc_ts = now - ttl) over the range's span, each deleting at most PZ_GC_QUEUE_CHUNK_MAX
 * versions, the next starting at the previous one's resume key. One request is in flight per repl,
 * and the queue never waits for it: the answer arrives as a reply (PZ_RF_GC) and sends the next
 * chunk or ends the pass. The requests go to this repl actor itself, like any batch, so they take
 * write latches over their span (repl_batch.c) and never interleave with a write to the same keys.
 *
 * When is a range due? CockroachDB scores ranges by the age of their garbage bytes (MVCC stats);
 * there are no such stats here, so the queue bounds the age instead. A pass at gc_ts removes all
 * garbage shadowed at or before gc_ts, so garbage older than the TTL can only have appeared since
 * the last pass: a range is looked at again once now - ttl has moved past its last threshold and
 * its wait is over. The wait is the interval after a pass that deleted something (a range being
 * written keeps being collected), and doubles up to the TTL after a pass that found nothing (an
 * idle range is walked about once per TTL, so its garbage lives at most about twice the TTL).
 *
 * What GC must not break (storage, mvcc_gc.c): it never removes an intent, nor the newest version
 * at or below gc_ts (what a read at gc_ts sees), so a read at or above the threshold sees what it
 * always saw; a read below it — an AS OF SYSTEM TIME older than the TTL, or a transaction open
 * longer than the TTL — fails cleanly with PZ_EGC_THRESHOLD (55000) instead of seeing a history
 * with holes. Transaction records are not collected (storage has no op for it yet).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/limits.h"
#include "repl.h"
#include "repl_gcq.h"

#define S_NS_PER_MS 1000000ull
/* Chunks one pass sends before it gives up (a range of 10^9 versions to delete). */
#define S_CHUNKS_PER_PASS_MAX 100000u

typedef struct pz__gcq {
    uint64_t ttl_ms;
    uint32_t interval_ms;
    pz__gcq_range_t *ranges;
    uint32_t len, cap;
    /* The pass in progress. */
    bool busy;
    pz__repl_flight_t flight; /* the ctx of its request in flight (kind PZ_RF_GC) */
    uint64_t range_id;
    pz_hlc_t gc_ts;
    uint64_t deleted;
    uint32_t chunks;
    uint8_t *resume; /* the next chunk's start, malloc'd (NULL: the range's start) */
    uint32_t resume_len;
    pz_metric_t *m_passes;
    pz_metric_t *m_deleted;
} pz__gcq_t;

/* ---- decisions (pure) ----------------------------------------------------------------------- */

int pz__gcq_parse_duration(const char *s, uint64_t *ms)
{
    assert(s != NULL && ms != NULL);
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    uint64_t total = 0;
    const char *p = s;
    while (*p != '\0') {
        uint64_t n = 0;
        const char *d = p;
        for (; *p >= '0' && *p <= '9' && n < UINT32_MAX; p++) {
            n = n * 10 + (uint64_t)(*p - '0');
        }
        if (p == d || n >= UINT32_MAX) {
            return PZ_EINVAL;
        }
        uint64_t unit = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0] && unit == 0; i++) {
            size_t len = strlen(units[i].unit);
            bool whole = strncmp(p, units[i].unit, len) == 0 && !(p[len] >= 'a' && p[len] <= 'z');
            if (whole) {
                unit = units[i].ms;
                p += len;
            }
        }
        if (unit == 0 && *p == '\0' && d == s) {
            unit = 1000; /* a bare number: seconds, as ttlseconds */
        }
        if (unit == 0 || total + n * unit < total) {
            return PZ_EINVAL;
        }
        total += n * unit;
    }
    if (total == 0 || total > UINT64_MAX / S_NS_PER_MS) {
        return PZ_EINVAL;
    }
    *ms = total;
    return 0;
}

uint32_t pz__gcq_interval(uint64_t ttl_ms, uint64_t interval_ms)
{
    uint64_t i = interval_ms < ttl_ms / 4 ? interval_ms : ttl_ms / 4;
    i = i < PZ_GC_QUEUE_INTERVAL_MIN_MS ? PZ_GC_QUEUE_INTERVAL_MIN_MS : i;
    return i > UINT32_MAX ? UINT32_MAX : (uint32_t)i;
}

bool pz__gcq_due(const pz__gcq_range_t *r, pz_hlc_t now, uint64_t now_ms, uint64_t ttl_ms,
                 pz_hlc_t *gc_ts)
{
    assert(r != NULL && gc_ts != NULL && ttl_ms > 0);
    uint64_t ttl_ns = ttl_ms * S_NS_PER_MS;
    if (now.wall <= ttl_ns || now_ms < r->next_ms) {
        return false;
    }
    pz_hlc_t t = {.wall = now.wall - ttl_ns, .logical = 0};
    if (!pz_hlc_is_zero(r->threshold) && pz_hlc_cmp(t, r->threshold) <= 0) {
        return false; /* nothing has aged past the TTL since the last pass */
    }
    *gc_ts = t;
    return true;
}

void pz__gcq_passed(pz__gcq_range_t *r, bool ok, pz_hlc_t gc_ts, uint64_t deleted, uint64_t now_ms,
                    uint64_t ttl_ms, uint32_t interval_ms)
{
    assert(r != NULL && interval_ms > 0);
    uint64_t wait = interval_ms;
    if (ok) {
        r->threshold = gc_ts;
        if (deleted == 0) {
            uint64_t cap = ttl_ms > interval_ms ? ttl_ms : interval_ms;
            wait = r->backoff_ms < interval_ms ? interval_ms : r->backoff_ms * 2;
            wait = wait > cap ? cap : wait;
        }
    }
    r->backoff_ms = ok && deleted == 0 ? wait : interval_ms;
    r->next_ms = now_ms + wait;
}

/* ---- the actor's glue ----------------------------------------------------------------------- */

int pz__gcq_init(pz_actor_t *self, pz__repl_t *p, const pz_cfg_t *cfg)
{
    assert(p != NULL && p->gcq == NULL);
    pz__gcq_t *q = calloc(1, sizeof *q);
    if (q == NULL) {
        return PZ_ENOMEM;
    }
    p->gcq = q;
    const char *ttl = pz_cfg_str(cfg, "gc_ttl", NULL);
    const char *every = pz_cfg_str(cfg, "gc_interval", NULL);
    uint64_t interval = PZ_GC_QUEUE_INTERVAL_MS;
    q->ttl_ms = PZ_GC_TTL_MS_DEFAULT;
    if ((ttl != NULL && pz__gcq_parse_duration(ttl, &q->ttl_ms) != 0) ||
        (every != NULL && pz__gcq_parse_duration(every, &interval) != 0)) {
        pz_log(self, PZ_LOG_ERROR, "bad gc_ttl or gc_interval (a duration such as 4h, 90s)");
        return PZ_ECONFIG;
    }
    q->interval_ms = pz__gcq_interval(q->ttl_ms, interval);
    q->flight.kind = PZ_RF_GC;
    q->m_passes = pz_metric_counter("pz_repl_gc_passes_total", "GC queue passes over a range");
    q->m_deleted =
        pz_metric_counter("pz_repl_gc_versions_deleted_total", "versions the GC queue removed");
    pz_log(self, PZ_LOG_INFO, "GC queue: gc.ttl %llu ms, looking every %u ms",
           (unsigned long long)q->ttl_ms, q->interval_ms);
    return pz_timer_arm(self, q->interval_ms, PZ_REPL_GCQ_TIMER) < 0 ? PZ_ENOMEM : 0;
}

void pz__gcq_fini(pz__repl_t *p)
{
    if (p->gcq != NULL) {
        free(p->gcq->resume);
        free(p->gcq->ranges);
        free(p->gcq);
        p->gcq = NULL;
    }
}

static int s_cmp_range(const void *a, const void *b)
{
    uint64_t x = ((const pz__gcq_range_t *)a)->range_id, y = ((const pz__gcq_range_t *)b)->range_id;
    return (x > y) - (x < y);
}

/* The queue's entry of range_id among the first n (kept sorted by id), or NULL. */
static pz__gcq_range_t *s_find(pz__gcq_t *q, uint32_t n, uint64_t range_id)
{
    pz__gcq_range_t key = {.range_id = range_id};
    return n ? bsearch(&key, q->ranges, n, sizeof key, s_cmp_range) : NULL;
}

static pz__gcq_range_t *s_range(pz__gcq_t *q, uint64_t range_id)
{
    return s_find(q, q->len, range_id);
}

/* The queue's ranges become the replicas' (splits add ranges, merges and moves remove them):
 * new ones are appended past the sorted part, then the array is compacted and sorted again, so a
 * tick costs O(n log n) with many ranges, not O(n^2). */
static void s_sync(pz__gcq_t *q, const pz__repl_t *p)
{
    for (uint32_t i = 0; i < q->len; i++) {
        q->ranges[i].seen = false;
    }
    uint32_t sorted = q->len;
    for (uint32_t i = 0; i < p->replicas_len; i++) {
        pz__gcq_range_t *r = s_find(q, sorted, p->replicas[i].range_id);
        if (r == NULL && q->len < PZ_GC_QUEUE_RANGES_MAX) {
            if (q->len == q->cap) {
                uint32_t cap = q->cap ? q->cap * 2 : 16;
                pz__gcq_range_t *grown = realloc(q->ranges, sizeof *grown * cap);
                if (grown == NULL) {
                    break; /* the rest is added by a later tick */
                }
                q->ranges = grown;
                q->cap = cap;
            }
            r = &q->ranges[q->len++];
            *r = (pz__gcq_range_t){.range_id = p->replicas[i].range_id};
        }
        if (r != NULL) {
            r->seen = true;
        }
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < q->len; i++) {
        if (q->ranges[i].seen) {
            q->ranges[k++] = q->ranges[i];
        }
    }
    q->len = k;
    qsort(q->ranges, q->len, sizeof *q->ranges, s_cmp_range);
}

/* Ends the pass in progress (ok: its last chunk answered without a resume key). */
static void s_end_pass(pz_actor_t *self, pz__gcq_t *q, bool ok)
{
    pz__gcq_range_t *r = s_range(q, q->range_id);
    if (r != NULL) {
        pz__gcq_passed(r, ok, q->gc_ts, q->deleted, pz_now_ms(self), q->ttl_ms, q->interval_ms);
    }
    pz_metric_add(q->m_passes, 1);
    pz_log(self, ok ? PZ_LOG_DEBUG : PZ_LOG_WARN, "GC of range %llu %s: %llu versions in %u chunks",
           (unsigned long long)q->range_id, ok ? "done" : "stopped", (unsigned long long)q->deleted,
           q->chunks);
    free(q->resume);
    q->resume = NULL;
    q->resume_len = 0;
    q->busy = false;
}

/* Sends the pass's next chunk to this repl actor; false when it could not be sent. */
static bool s_send_chunk(pz_actor_t *self, pz__repl_t *p, pz__gcq_t *q)
{
    const pz__replica_t *rep = pz__repl_replica(p, q->range_id);
    if (rep == NULL) {
        return false; /* gone since the pass began */
    }
    /* Keys are never empty (storage refuses one): range 1's start is the empty key, and "\0" is
     * the first key after it. */
    static const uint8_t first[1] = {0};
    pz_view_t start = q->resume ? (pz_view_t){q->resume, q->resume_len} : rep->start;
    if (start.len == 0) {
        start = (pz_view_t){first, 1};
    }
    pz_kv_req_t req = {.op = PZ_KV_GC,
                       .key = start,
                       .end_key = rep->end,
                       .limit = PZ_GC_QUEUE_CHUNK_MAX,
                       .has_ext = true,
                       .ext = {.gc_ts = q->gc_ts}};
    pz_kv_batch_t b = {.header = {.ts = pz_hlc_now(), .range_id = q->range_id, .durable = false},
                       .reqs = &req,
                       .reqs_len = 1};
    int rc = pz__repl_send(self, pz_actor_name(self), &b, p->timeout_ms, &q->flight);
    if (rc != 0) {
        pz_log(self, PZ_LOG_WARN, "GC queue cannot send: %s", pz_strerror(rc));
    }
    return rc == 0;
}

/* Starts a pass over the first due range, if any (one pass at a time). */
static void s_start_next(pz_actor_t *self, pz__repl_t *p, pz__gcq_t *q)
{
    assert(!q->busy);
    pz_hlc_t now = pz_hlc_now();
    uint64_t now_ms = pz_now_ms(self);
    for (uint32_t i = 0; i < q->len; i++) {
        pz_hlc_t gc_ts;
        if (!pz__gcq_due(&q->ranges[i], now, now_ms, q->ttl_ms, &gc_ts)) {
            continue;
        }
        q->busy = true;
        q->range_id = q->ranges[i].range_id;
        q->gc_ts = gc_ts;
        q->deleted = 0;
        q->chunks = 0;
        if (!s_send_chunk(self, p, q)) {
            s_end_pass(self, q, false); /* the next tick tries again */
        }
        return;
    }
}

void pz__gcq_tick(pz_actor_t *self, pz__repl_t *p)
{
    pz__gcq_t *q = p->gcq;
    assert(q != NULL);
    if (pz_timer_arm(self, q->interval_ms, PZ_REPL_GCQ_TIMER) < 0) {
        pz_log(self, PZ_LOG_ERROR, "GC queue: cannot arm its timer; GC stops");
    }
    if (!p->ready || q->busy) {
        return;
    }
    s_sync(q, p);
    s_start_next(self, p, q);
}

void pz__gcq_done(pz_actor_t *self, pz__repl_t *p, pz_msg_t *reply)
{
    pz__gcq_t *q = p->gcq;
    assert(q != NULL && q->busy);
    const char *text = NULL;
    int rc = pz_msg_error(reply, &text);
    pz_kv_batch_resp_t r;
    if (rc == 0 && (rc = pz_kv_batch_resp_from_msg(reply, PZ_MSG_KV_BATCH_RESP, &r)) == 0) {
        rc = r.error.code != 0 ? r.error.code : r.resps_len == 1 ? 0 : PZ_EPROTO;
        text = r.error.message.len ? "storage refused the GC" : text;
    }
    if (rc != 0) {
        pz_log(self, PZ_LOG_WARN, "GC of range %llu failed: %s (%s)",
               (unsigned long long)q->range_id, pz_strerror(rc), text ? text : "");
        s_end_pass(self, q, false);
        return;
    }
    const pz_kv_resp_t *x = &r.resps[0];
    q->deleted += x->num_deleted;
    q->chunks++;
    pz_metric_add(q->m_deleted, x->num_deleted);
    if (!x->has_resume) {
        s_end_pass(self, q, true);
        /* The next due range at once: with many ranges (splits), one pass per tick would take
         * as many intervals as there are ranges to go round. Each pass makes its range wait at
         * least an interval, so this ends when every range has had its turn. */
        s_start_next(self, p, q);
        return;
    }
    uint8_t *k = malloc(x->resume_key.len ? x->resume_key.len : 1);
    if (k == NULL || q->chunks >= S_CHUNKS_PER_PASS_MAX) {
        free(k);
        s_end_pass(self, q, false);
        return;
    }
    memcpy(k, x->resume_key.ptr, x->resume_key.len);
    free(q->resume);
    q->resume = k;
    q->resume_len = x->resume_key.len;
    if (!s_send_chunk(self, p, q)) {
        s_end_pass(self, q, false);
    }
}
