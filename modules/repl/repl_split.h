/*
 * repl_split.h — range splits at a replica (internal to repl).
 *
 * A split of range R at key k (k strictly inside R's span) makes R the left range [start, k)
 * and a new range [k, end) with a new id; both get generation + 1 and R's replicas. Everything
 * is written in ONE durable storage batch, so a crash leaves either the old range or both:
 *   CPUT  \x01 "rnid"             the store's last allocated range id (expected: as read)
 *   CPUT  \x01 "rdsc" + BE64(R)   left descriptor (expected: R's old descriptor)
 *   CPUT  \x01 "rdsc" + BE64(N)   right descriptor (expected: absent)
 *   CPUT  \x03 + k                meta2: left (expected: absent)
 *   CPUT  \x03 + end              meta2: right (expected: R's old descriptor)
 * The caller holds a write latch over R's whole span and the id counter while the split runs
 * (pz__split_spans), so no batch of R is evaluated halfway and two splits never take one id.
 *
 * An automatic split (the range grew past range_max_bytes) first looks for a key near the
 * middle of the range's live data: it scans the range through storage in chunks, bounded by
 * PZ__SPLIT_SCAN_CHUNKS_MAX, keeping one key in every PZ__SPLIT_SAMPLE_KEYS. Keys below \x04 (the
 * store-local, meta and reserved keyspace) are never split points: range 1 keeps the meta keys.
 *
 * The steps are driven by the caller (repl_module.c), which owns the latches and the replica
 * table: pz__split_* return what it must do next.
 */
#ifndef PZ_REPL_SPLIT_H
#define PZ_REPL_SPLIT_H

#include "phantomzero/kernel.h"
#include "phantomzero/kv.h"

#include "latch.h"

/* Keys one chunk of the middle-key scan asks for. */
#define PZ__SPLIT_SCAN_CHUNK_KEYS 1000
/* Chunks one middle-key scan reads at most: bounded work for a huge range (it then splits at the
 * middle of what it read, which still makes progress). */
#define PZ__SPLIT_SCAN_CHUNKS_MAX 256
/* One key in this many is kept as a split point candidate. */
#define PZ__SPLIT_SAMPLE_KEYS 16

typedef struct pz__split pz__split_t;

typedef enum {
    PZ__SPLIT_SENT = 1,  /* a storage request is out: wait for its reply */
    PZ__SPLIT_LATCH = 2, /* acquire the latches of pz__split_spans, then pz__split_run */
    PZ__SPLIT_DONE = 3,  /* finished: pz__split_rc, pz__split_result, pz__split_answer */
} pz__split_step_t;

/* What the split needs from repl for its storage requests. */
typedef struct {
    pz_actor_t *self;
    const char *storage;
    uint32_t timeout_ms;
    void *ctx;             /* the pz_request ctx of the split's storage requests */
    uint64_t max_range_id; /* the highest range id this store holds */
    const uint8_t *packed; /* the range's current descriptor (NULL: not held here) */
    size_t packed_len;
} pz__split_io_t;

/* A split asked by a SPLIT batch (req, kept until pz__split_free) at its key. NULL on ENOMEM. */
pz__split_t *pz__split_new(uint64_t range_id, pz_msg_t *req, pz_view_t key);
/* An automatic split of range_id: pz__split_start scans for the key first. */
pz__split_t *pz__split_new_auto(uint64_t range_id);
void pz__split_free(pz__split_t *s);

uint64_t pz__split_range_id(const pz__split_t *s);
/* The first step: LATCH for a SPLIT batch, SENT (the middle-key scan) or DONE for an automatic
 * one. */
pz__split_step_t pz__split_start(pz__split_t *s, const pz__split_io_t *io);
/* The latch spans (write) the split holds: the range (io->packed) and the id counter. Fills
 * spans (2) and returns how many; 0 if the range is not held. Views point into s or packed. */
uint32_t pz__split_spans(pz__split_t *s, const pz__split_io_t *io, pz__latch_span_t *spans);
/* Latches granted: checks the key against the range and reads the id counter. */
pz__split_step_t pz__split_run(pz__split_t *s, const pz__split_io_t *io);
/* A storage reply to the split's request. */
pz__split_step_t pz__split_on_reply(pz__split_t *s, const pz__split_io_t *io, pz_msg_t *reply);

/* Ends the split with rc (the caller could not latch it). */
void pz__split_abort(pz__split_t *s, int rc);
/* DONE: 0, or the error code (PZ_ERANGE_MISMATCH: the key is not in the range any more). */
int pz__split_rc(const pz__split_t *s);
/* DONE with 0 and a real split: the new descriptors, packed (owned by s). False for a no-op
 * (the key was already a range boundary). */
bool pz__split_result(const pz__split_t *s, const uint8_t **left, size_t *left_len,
                      const uint8_t **right, size_t *right_len);
/* Answers the SPLIT batch, if there is one: resp.ext.ranges, or the error in the batch
 * response (a mismatch carries the range's descriptor from io->packed). */
void pz__split_answer(pz__split_t *s, const pz__split_io_t *io);

#endif
