/*
 * storage_test.h — shared fixtures of the storage unit tests: the real LMDB plugin loaded with
 * dlopen (no kernel), a scratch store directory, batch builders, and evaluate-then-commit.
 */
#ifndef PZ_STORAGE_TEST_H
#define PZ_STORAGE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine_wrap.h"
#include "mvcc.h"
#include "phantomzero/kv.h"

/* Requests of one test batch: at most this many. */
#define ST_REQS_MAX 64

typedef struct st_env {
    const pz_engine_desc_t *desc;
    char dir[256];
    pz_eng_t eng;
} st_env_t;

/* Loads $PZ_MODULE_DIR/pz_engine_lmdb.so once per process (aborts the test if it cannot). */
const pz_engine_desc_t *st_engine_desc(void);

/* A fresh empty store in a new temporary directory. map_bytes 0: the engine's default. */
void st_env_open(st_env_t *env, uint64_t initial_map_bytes, uint64_t max_map_bytes);
/* Closes the engine and removes the directory. */
void st_env_close(st_env_t *env);

/* A batch under construction; keys and values must outlive it (string literals, test buffers). */
typedef struct st_batch {
    pz_kv_batch_t b;
    pz_hlc_t now; /* the storage clock evaluation gets (transaction record ops) */
    pz_kv_req_t reqs[ST_REQS_MAX];
} st_batch_t;

static inline pz_hlc_t st_ts(uint64_t wall, uint32_t logical)
{
    return (pz_hlc_t){.wall = wall, .logical = logical};
}

/* A view of n bytes (may hold zeros). */
static inline pz_view_t st_v(const void *p, size_t n)
{
    return (pz_view_t){(const uint8_t *)p, (uint32_t)n};
}

void st_batch_init(st_batch_t *sb, pz_hlc_t ts);
pz_kv_req_t *st_add(st_batch_t *sb, uint8_t op, pz_view_t key);
pz_kv_req_t *st_get(st_batch_t *sb, const char *key);
pz_kv_req_t *st_put(st_batch_t *sb, const char *key, const char *value);
pz_kv_req_t *st_del(st_batch_t *sb, const char *key);
pz_kv_req_t *st_span(st_batch_t *sb, uint8_t op, const char *key, const char *end,
                     uint32_t limit);
pz_kv_req_t *st_cput(st_batch_t *sb, const char *key, const char *value, const char *exp);

/* The result of one evaluation, with the arena that owns it. */
typedef struct st_result {
    pz_arena_t *arena;
    pz_mvcc_result_t res;
    int rc;        /* pz__mvcc_eval's */
    int commit_rc; /* the engine commit's, when ops were committed */
} st_result_t;

/* Evaluates against a fresh snapshot and, on success, commits the ops (non-durable). */
void st_run(st_env_t *env, const st_batch_t *sb, st_result_t *out);
void st_result_free(st_result_t *r);

/* One-request helpers over st_run. */
void st_put_at(st_env_t *env, uint64_t wall, const char *key, const char *value);
void st_del_at(st_env_t *env, uint64_t wall, const char *key);
/* GET key at wall: returns true and the value (NUL-terminated copy in buf) when found. */
bool st_get_at(st_env_t *env, uint64_t wall, const char *key, char *buf, size_t cap);

/* A transaction for test batches: id = 16 bytes of `tag`, anchor "anchor", min_ts = read_ts,
 * priority normal. The struct owns the id and ignored arrays. */
typedef struct st_txn {
    pz_kv_txn_t t;
    uint8_t id[PZ_TXN_ID_BYTES];
    pz_kv_seq_range_t ign[4];
} st_txn_t;

void st_txn_init(st_txn_t *x, uint8_t tag, uint64_t read_wall, uint64_t write_wall);
/* Marks sequences [start, end] as rolled back. */
void st_txn_ignore(st_txn_t *x, uint32_t start, uint32_t end);
/* Makes sb a batch of x (copies x->t: later changes to x need another call). */
void st_batch_txn(st_batch_t *sb, const st_txn_t *x);

/* cmocka fixtures: a fresh store per test in *state (st_env_t). */
int st_setup(void **state);
int st_teardown(void **state);

/* Writes k = v in x (v NULL: deletes k) and asserts it succeeded. */
void st_txn_put(st_env_t *env, const st_txn_t *x, const char *k, const char *v);

/* RESOLVE of x as status over [k, end) (end "": the key k); asserts num_deleted == n. */
void st_resolve(st_env_t *env, const st_txn_t *x, uint8_t status, const char *k, const char *end,
                uint64_t n);

/* Runs a one-request batch and asserts the outcome code; the caller frees r. */
void st_run_expect(st_env_t *env, const st_batch_t *sb, int rc, st_result_t *r);

/* The response view as a NUL-terminated string in a static rotating buffer (assertions). */
const char *st_str(pz_view_t v);

#endif
