/*
 * txn_int.h — what the coordinator's files share (internal to modules/txn).
 *
 *   txn_spans.c   span sets: the keys a transaction locked (to resolve) and read (to refresh)
 *   txn_table.c   the open transactions of this coordinator, by id
 *   txn_coord.c   the protocol: batches, refresh, commit, rollback, savepoints, heartbeats
 *   txn_module.c  the actor: config, dispatch, non-transactional batches
 *
 * A transaction belongs to the coordinator that began it (the txn actor its SQL session talks
 * to); all its state lives here and is touched only on this actor's thread.
 */
#ifndef PZ_TXN_INT_H
#define PZ_TXN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "phantomzero/kernel.h"
#include "phantomzero/kv.h"

/* A span [key, end) or one key (end_len == 0); both malloc'd. */
typedef struct pz__span {
    uint8_t *key;
    uint8_t *end;
    uint32_t key_len;
    uint32_t end_len;
} pz__span_t;

/* A set of spans, bounded: past `max` the set is condensed (sorted, overlapping spans merged,
 * then neighbours merged into covering spans) so a huge transaction resolves or refreshes wider
 * spans instead of failing. */
typedef struct pz__spans {
    pz__span_t *v;
    uint32_t len;
    uint32_t cap;
    uint32_t max;
} pz__spans_t;

void pz__spans_init(pz__spans_t *s, uint32_t max);
/* Adds [key, end) (end empty: the one key). PZ_ENOMEM on allocation failure (the set is left
 * as it was). */
int pz__spans_add(pz__spans_t *s, pz_view_t key, pz_view_t end);
/* Sorts and merges overlapping spans, then merges neighbours until len <= target. */
int pz__spans_condense(pz__spans_t *s, uint32_t target);
void pz__spans_clear(pz__spans_t *s);
void pz__spans_free(pz__spans_t *s);
/* The spans as protocol spans in arena a (views into the set: valid until it changes). */
pz_kv_span_t *pz__spans_view(const pz__spans_t *s, pz_arena_t *a);

/* An open transaction. */
typedef struct pz__txn {
    uint8_t id[PZ_TXN_ID_BYTES];
    uint32_t epoch;
    uint32_t seq;       /* the last write sequence used */
    uint32_t priority;
    pz_hlc_t read_ts;
    pz_hlc_t write_ts;
    pz_hlc_t min_ts;
    pz_hlc_t unc_limit;
    uint8_t isolation;
    bool read_only;
    bool fixed_ts;      /* AS OF SYSTEM TIME: read_ts never moves */
    bool implicit;      /* run by the coordinator for a non-transactional batch */
    uint8_t status;     /* enum pz_txn_status */
    uint8_t abort_reason;
    bool busy;          /* a request of its client is in flight */
    bool ending;        /* COMMIT/ROLLBACK in flight: heartbeats stop */
    uint8_t *anchor;    /* first written key: the record's range; NULL until then */
    uint32_t anchor_len;
    bool hb_inflight;   /* a heartbeat is in flight */
    pz_kv_seq_range_t ignored[PZ_TXN_IGNORED_MAX];
    uint32_t ignored_len;
    pz__spans_t locks;  /* written or locked: resolved at the end */
    pz__spans_t reads;  /* read: refreshed when write_ts moves above read_ts */
    uint32_t slot;      /* index in the table */
} pz__txn_t;

/* The table of open transactions: open addressing on the id. */
typedef struct pz__txn_table {
    pz__txn_t **slots;
    uint32_t cap;
    uint32_t len;
} pz__txn_table_t;

int pz__txn_table_init(pz__txn_table_t *t, uint32_t cap);
void pz__txn_table_free(pz__txn_table_t *t);
/* The transaction with this id, or NULL. */
pz__txn_t *pz__txn_find(const pz__txn_table_t *t, pz_view_t id);
/* Adds a new transaction (id already set). PZ_ELIMIT past PZ_TXN_OPEN_MAX. */
int pz__txn_insert(pz__txn_table_t *t, pz__txn_t *x);
/* Removes and frees it. */
void pz__txn_remove(pz__txn_table_t *t, pz__txn_t *x);
void pz__txn_free(pz__txn_t *x);

/* The protocol meta of x as the layers below see it: views into x (valid while x lives), the
 * ignored ranges copied into arena a. PZ_ENOMEM if the arena is exhausted. */
int pz__txn_meta(const pz__txn_t *x, pz_arena_t *a, pz_kv_txn_t *m);

/* The coordinator: one per txn actor. */
typedef struct pz__coord {
    pz_actor_t *self;
    char next[PZ_ADDR_BYTES_MAX]; /* the dist actor */
    uint32_t timeout_ms;
    uint64_t max_offset_ns;       /* uncertainty interval */
    pz__txn_table_t txns;
    int64_t hb_timer;
    pz_metric_t *m_batches;
    pz_metric_t *m_errors;
    pz_metric_t *m_commits;
    pz_metric_t *m_aborts;
    pz_metric_t *m_refreshes;
    pz_metric_t *m_refresh_fails;
    pz_metric_t *m_open;
} pz__coord_t;

/* Replies to the coordinator's own requests carry their op as ctx with this low bit set; a plain
 * batch's ctx is the client's message (at least 2-byte aligned), so one pointer tells which. */
#define PZ__TXN_CTX_COORD ((uintptr_t)1)

/* Timer ids of the txn actor. */
enum { PZ__TXN_TIMER_HEARTBEAT = 1 };

/* Handles a TXN_CTL request (takes the message when it answers later). */
int pz__coord_on_ctl(pz__coord_t *c, pz_msg_t *msg);
/* Handles a KV_BATCH whose header carries a transaction (b decoded from msg). */
int pz__coord_on_txn_batch(pz__coord_t *c, pz_msg_t *msg, const pz_kv_batch_t *b);
/* Runs a non-transactional batch that dist refused (PZ_ERANGE_SPAN) as a transaction of its
 * own: req is the client's request (kept by the caller, owned by the coordinator from here). */
void pz__coord_implicit(pz__coord_t *c, pz_msg_t *req);
/* A reply to one of the coordinator's requests (ctx from pz_reply_ctx). */
void pz__coord_on_reply(pz__coord_t *c, void *ctx, pz_msg_t *reply);
/* The heartbeat timer: heartbeats every open transaction with a record, re-arms. */
void pz__coord_heartbeat(pz__coord_t *c);

#endif
