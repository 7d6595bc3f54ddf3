/*
 * storage_pipe.h — the bookkeeping of pipelined writes (internal; kv.h "pipelining").
 *
 * A pipelined batch is answered when it is evaluated and committed later. This table is what
 * storage remembers meanwhile: per batch a token, its transaction, whether its commit is done and
 * how it went, and who waits for it (repl's PZ_MSG_KV_COMMIT_WAIT); per transaction whether an
 * END_TXN commit may be evaluated (none of its pipelined batches is still committing, none
 * failed); the END_TXN batches parked until then.
 *
 * Pure data: no kernel, no engine. Waiters and parked batches are the caller's opaque pointers
 * (storage keeps pz_msg_t's there), handed back when they are due. One thread (the storage
 * actor's). Every table is bounded (limits below); full tables make the caller fall back to the
 * unpipelined path (answer after the commit), never lose a write.
 */
#ifndef PZ_STORAGE_PIPE_H
#define PZ_STORAGE_PIPE_H

#include <stdbool.h>
#include <stdint.h>

#include "phantomzero/hlc.h"
#include "phantomzero/limits.h"

/* Pipelined batches not yet reaped by their COMMIT_WAIT: about one per writing transaction in
 * flight (each session has one statement at a time), so 4096 is far above 16-256 clients. Past
 * it, batches are committed before their answer, as unpipelined ones. */
#define PZ_PIPE_ENTRIES_MAX 4096u
/* A finished commit nobody asked about is forgotten after this (the repl that would ask is gone:
 * another process that died); its transaction's END_TXN then relies on the failure list. */
#define PZ_PIPE_UNASKED_MS 60000u
/* END_TXN batches waiting for their transaction's pipelined commits (one per committing
 * transaction at most). Past it the END_TXN is answered PZ_EBUSY (the coordinator aborts). */
#define PZ_PIPE_PARKED_MAX 1024u
/* Transactions whose pipelined commit failed, remembered so their END_TXN fails. A failure
 * pushed out of the list raises the horizon instead: every transaction that began at or before
 * it is refused commit (conservative; commits fail only on a broken disk). */
#define PZ_PIPE_FAILED_MAX 256u

typedef struct pz__pipe pz__pipe_t;

pz__pipe_t *pz__pipe_new(void);
/* Frees the table; waiters and parked batches still inside are handed to drop(ctx, ptr). */
void pz__pipe_destroy(pz__pipe_t **p, void (*drop)(void *ctx, void *ptr), void *ctx);

/* A pipelined batch of transaction id (PZ_TXN_ID_BYTES) was queued: *token names it (never 0).
 * PZ_EBUSY when PZ_PIPE_ENTRIES_MAX are in flight. */
int pz__pipe_add(pz__pipe_t *p, const uint8_t *id, uint64_t *token);

/* Forgets token, whose batch could not be queued after all (nothing to wait for). */
void pz__pipe_cancel(pz__pipe_t *p, uint64_t token);

/* The commit of token finished with rc (0 or a PZ_E* code) at now_ms (monotonic) / now_ts (the
 * HLC, for the failure horizon). Returns the waiter that asked for it (the entry is gone then;
 * answer it with rc), or NULL (kept until it is asked or PZ_PIPE_UNASKED_MS pass). A failure is
 * remembered for the transaction's END_TXN. */
void *pz__pipe_done(pz__pipe_t *p, uint64_t token, int rc, uint64_t now_ms, pz_hlc_t now_ts);

/* A write of transaction id that was answered before its commit, without a token (it was
 * shown to later batches instead: storage_pend.h), failed to commit with rc: its END_TXN must
 * fail, as after pz__pipe_done with a failure. */
void pz__pipe_fail(pz__pipe_t *p, const uint8_t *id, int rc, pz_hlc_t now_ts);

/* waiter asks for token. Returns 1 and sets *rc when the commit is already done (the entry is
 * gone: answer now); 0 when waiter was stored (pz__pipe_done hands it back); PZ_ENOTFOUND for an
 * unknown token (never issued, or forgotten: the caller cannot know the outcome). */
int pz__pipe_wait(pz__pipe_t *p, uint64_t token, void *waiter, int *rc);

/* May the END_TXN commit of transaction id (which began at min_ts) be evaluated? 0: yes;
 * PZ_EBUSY: a pipelined batch of it is still committing (park it); another code: one failed
 * with it (PZ_EIO when the failure horizon covers it): the commit must be refused. */
int pz__pipe_end_check(const pz__pipe_t *p, const uint8_t *id, pz_hlc_t min_ts);

/* Parks an END_TXN batch (ptr) of transaction id. PZ_EBUSY when PZ_PIPE_PARKED_MAX wait. */
int pz__pipe_park(pz__pipe_t *p, const uint8_t *id, void *ptr);
/* Takes one parked batch whose transaction has nothing committing any more (its check may now
 * pass or fail); NULL when none. Call after pz__pipe_done until it returns NULL. */
void *pz__pipe_unpark(pz__pipe_t *p);

/* Forgets finished commits nobody asked about for PZ_PIPE_UNASKED_MS; returns how many. */
uint32_t pz__pipe_purge(pz__pipe_t *p, uint64_t now_ms);

/* Entries (in flight or finished and unasked), for metrics and the backstop timer. */
uint32_t pz__pipe_len(const pz__pipe_t *p);

#endif
