/*
 * dist_plan.h — how dist cuts one batch into per-range parts and glues the answers back
 * together (internal to dist). Pure: no kernel calls, so tests/unit/dist drives it directly.
 *
 * A batch becomes a list of pieces: one per request, and a span request (SCAN, RSCAN,
 * DEL_RANGE, GC, RESOLVE/REFRESH with an end key) cut at every range boundary it crosses.
 * Pieces of one request stay together and in key order. Point requests (txn record ops and SPLIT
 * included) are routed by their key.
 *
 * Which pieces go out when (CockroachDB's DistSender does the same):
 *   - most pieces go at once, grouped into one part per range, and run concurrently;
 *   - a SCAN/RSCAN with a limit that crosses ranges visits its ranges one after another in scan
 *     order, each piece asking only for what is left, and stops at the limit;
 *   - with header.max_keys (a budget shared by every scan of the batch) a multi-range batch is
 *     sent one piece at a time, in request order, each part carrying what is left of the budget.
 *
 * The merged answer has one response per original request: a cut scan's pieces concatenated in
 * scan order, stopping at the first piece that stopped early (its resume key), at a piece never
 * visited because the limit was reached (a resume key at its start), or at PZ_SCAN_KEYS_MAX keys
 * or PZ_BATCH_RESP_BYTES_MAX bytes; num_deleted summed. ts is the max of the parts' ts, txn the
 * parts' txn with the highest write_ts; of several errors, the one of the lowest original request
 * wins, with error.index mapped back to it.
 *
 * Lifetimes: the plan keeps views into the batch it was made from and into every response given
 * to pz__plan_on_reply; the caller keeps those buffers alive until pz__plan_free.
 */
#ifndef PZ_DIST_PLAN_H
#define PZ_DIST_PLAN_H

#include "phantomzero/kv.h"

#include "range_cache.h"

/* A part whose range refused it (PZ_ERANGE_MISMATCH) is routed again at most this many times
 * per piece: enough for a split racing the batch, a bound if a replica keeps refusing. */
#define PZ__PIECE_ATTEMPTS_MAX 4

enum {
    PZ__PIECE_TODO = 0, /* not sent yet */
    PZ__PIECE_SENT = 1, /* in a part in flight */
    PZ__PIECE_DONE = 2, /* answered: resp holds the answer */
    PZ__PIECE_SKIP = 3, /* never sent: its request reached its limit before it */
};

typedef struct {
    uint32_t req;           /* index of the request in the original batch */
    uint8_t state;          /* PZ__PIECE_* */
    uint8_t attempts;       /* sends refused with PZ_ERANGE_MISMATCH */
    uint64_t range_id;      /* 0: not resolved to a range yet */
    pz_view_t key, end_key; /* the piece's span; end_key empty for a point request */
    pz_kv_resp_t resp;      /* DONE: the answer (views into the caller's reply) */
} pz__piece_t;

/* A batch of up to this many requests cut into as many pieces keeps the plan's arrays inside
 * the plan (a point get or put is one request): no allocation per batch for the common case. */
#define PZ__PLAN_INLINE 2

typedef struct {
    const pz_kv_batch_t *b;
    pz_arena_t *arena;   /* cut keys, merged arrays, error texts; made when first needed */
    pz__piece_t *pieces; /* grouped by request, in key order within one */
    uint32_t len;
    uint32_t *first; /* per request: index of its first piece */
    uint32_t *count; /* per request: its pieces */
    uint32_t *left;  /* per request: keys a limited scan may still return */
    bool multi;      /* the pieces go to more than one range (or were cut) */
    bool seq_all;    /* header.max_keys over several ranges: one piece at a time */
    uint64_t budget; /* seq_all: what is left of header.max_keys */
    uint32_t sent;   /* pieces in flight */
    bool has_error;
    bool error_envelope; /* the error came as an error reply, not in a batch response */
    uint32_t error_rank; /* original request index of the error (for lowest-index-wins) */
    pz_kv_error_t error;
    pz_hlc_t ts;
    bool has_txn;
    pz_kv_txn_t txn;
    pz__piece_t own_pieces[PZ__PLAN_INLINE]; /* pieces, while they fit */
    uint32_t own_first[PZ__PLAN_INLINE], own_count[PZ__PLAN_INLINE], own_left[PZ__PLAN_INLINE];
} pz__plan_t;

/* One piece per request. The batch must outlive the plan, and the plan stays where it was made
 * (its arrays may point into itself). 0 or PZ_ENOMEM. */
int pz__plan_init(pz__plan_t *p, const pz_kv_batch_t *b);
void pz__plan_free(pz__plan_t *p);

/* Cuts every unresolved piece at the ranges of the cache. 0 when every piece has a range, or
 * when parts are in flight (cutting renumbers the pieces, and a part in flight names its pieces
 * by index: the unresolved ones wait until every part is back); PZ_ENOTFOUND with *miss = a key
 * no cached range holds (look it up, cache it, call again); PZ_ENOMEM. *miss points into the
 * plan or the batch. */
int pz__plan_resolve(pz__plan_t *p, const pz__range_cache_t *c, pz_view_t *miss);

/* After a resolve: PZ_ERANGE_SPAN if the batch has no transaction, writes, and needs more than
 * one range (it could not be atomic); else 0. */
int pz__plan_check_span(const pz__plan_t *p);

/* The next part to send: fills idx (capacity cap, at least 1) with the pieces for one range,
 * marks them SENT and returns how many (0: nothing to send now) with *range_id. */
uint32_t pz__plan_next(pz__plan_t *p, uint32_t *idx, uint32_t cap, uint64_t *range_id);

/* The batch of a part: header and requests (reqs has room for n) for the pieces in idx. */
void pz__plan_part(const pz__plan_t *p, const uint32_t *idx, uint32_t n, uint64_t range_id,
                   pz_kv_batch_t *out, pz_kv_req_t *reqs);

/* A part's answer. Returns PZ_ERANGE_MISMATCH when the range refused it: its pieces are
 * unresolved again (update the cache from r->error.range, then resolve and send again), unless
 * one ran out of attempts (then the plan has an error). Otherwise 0. */
int pz__plan_on_reply(pz__plan_t *p, const uint32_t *idx, uint32_t n, const pz_kv_batch_resp_t *r);
/* A part that failed with an error reply (code, text) instead of a batch response. */
void pz__plan_on_error(pz__plan_t *p, const uint32_t *idx, uint32_t n, int code, const char *text);

/* A failure of the whole batch (code, text may be NULL): nothing more is sent, and the answer
 * is this error once the parts in flight are back. envelope: answer with an error reply. */
void pz__plan_fail(pz__plan_t *p, int code, const char *text, bool envelope);

/* True when nothing is in flight and nothing is left to send (answered, skipped, or failed). */
bool pz__plan_done(const pz__plan_t *p);

/* The merged answer, arrays in the plan's arena. 0 or PZ_ENOMEM. */
int pz__plan_merge(pz__plan_t *p, pz_kv_batch_resp_t *out);

#endif
