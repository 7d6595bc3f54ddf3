/*
 * storage_pend.h — the engine writes of pipelined batches that are queued for commit but not
 * yet reaped, ordered by engine key (internal; storage_module.c "pipelining").
 *
 * A pipelined batch is answered as soon as it is evaluated, and repl releases its latches then,
 * so the next batch on the same keys (the transaction's own next statement, another's locking
 * read) is evaluated before the engine has the write. Evaluation therefore reads through this
 * table: engine_wrap.h's snapshots and iterators look here first, and a later write of a key
 * replaces an earlier one, so the view is "the engine, then every queued batch in submit order"
 * — exactly what the engine will hold once the committer (FIFO) has committed them.
 *
 * Only a transaction's own provisional data goes here (intents and locks): nobody can read it as
 * committed, so showing it before it is durable promises nothing. Batches that write committed
 * values keep their latches until their commit and never enter this table.
 *
 * Entries are views into their owner's op bytes, which the owner keeps alive until it drops
 * them (pz__pend_drop, when its commit is reaped). A skip list of malloc'd nodes: ordered seeks
 * in both directions and deletion in O(log n); its size follows the committer's queue bounds.
 * One thread (the storage actor's).
 */
#ifndef PZ_STORAGE_PEND_H
#define PZ_STORAGE_PEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/engine.h"
#include "phantomzero/limits.h"

/* With p = 1/4 per level, 16 levels keep seeks logarithmic far past the ~millions of ops two
 * full commit queues (PZ_GROUP_COMMIT_BYTES_MAX each) can hold. */
#define PZ_PEND_LEVELS_MAX 16

/* Keys of batches shown here stay below this: far under every engine's key limit (LMDB: 511
 * bytes), so the engine never refuses a batch others were evaluated over (committer.h). */
#define PZ_PEND_KEY_BYTES_MAX 400
/* Values likewise: an intent record carries its whole write history, so one can outgrow the
 * protocol's value limit (which is also LMDB's); half of it leaves room for every engine. */
#define PZ_PEND_VALUE_BYTES_MAX (PZ_VALUE_BYTES_MAX / 2)

typedef struct pz__pend_node {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *val; /* NULL/0 for a deletion */
    size_t val_len;
    bool live; /* false: the key is deleted by a queued batch */
    const void *owner;
    uint8_t levels;
    struct pz__pend_node *next[]; /* levels entries */
} pz__pend_node_t;

typedef struct pz__pend pz__pend_t;

pz__pend_t *pz__pend_new(void);
/* Frees every node (not the bytes they view); safe on NULL. */
void pz__pend_destroy(pz__pend_t **p);

/* Adds the ops of owner's batch, in order (a later op on a key wins, as in the engine). All or
 * nothing: PZ_ENOMEM leaves the table unchanged; PZ_EINVAL (nothing added) if an op is a
 * DEL_RANGE, which this table cannot show. */
int pz__pend_add(pz__pend_t *p, const pz_engine_op_t *ops, size_t n, const void *owner);
/* Removes the keys of ops still owned by owner (a key a later batch wrote stays, with that
 * batch's value). */
void pz__pend_drop(pz__pend_t *p, const pz_engine_op_t *ops, size_t n, const void *owner);
/* Removes everything. */
void pz__pend_clear(pz__pend_t *p);
/* Keys in the table (live or deleted). */
size_t pz__pend_len(const pz__pend_t *p);

/* The node of key, or NULL. */
const pz__pend_node_t *pz__pend_get(const pz__pend_t *p, const uint8_t *key, size_t key_len);
/* First node with key >= key, or NULL; the next one in order is node->next[0]. */
const pz__pend_node_t *pz__pend_seek_ge(const pz__pend_t *p, const uint8_t *key, size_t key_len);
/* Last node with key < key (key_len 0: the last node), or NULL. */
const pz__pend_node_t *pz__pend_seek_lt(const pz__pend_t *p, const uint8_t *key, size_t key_len);

/* Bytewise order, shorter first on a common prefix (the engine ABI's key order). */
int pz__pend_key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

#endif
