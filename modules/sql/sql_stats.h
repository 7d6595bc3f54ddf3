/*
 * sql_stats.h — table statistics: what ANALYZE and the automatic refresher collect, how they
 * are kept, and the distinct-count sketch they use (sql_hll.c, sql_stats.c, sql_stats_bg.c).
 *
 * Per table: the row count; per column: the number of distinct non-NULL values and the number
 * of NULLs. They are collected by one full scan of the primary index in chunks, with one
 * HyperLogLog sketch per column (bounded memory whatever the table's size), and stored in the
 * system keyspace beside the descriptors (sql_catalog.h: \x04 't' <table id>), so they
 * replicate and survive restarts like the catalog does. The planner (sql_cost.c) reads them
 * through the catalog's cache (pz_cat_stats_get).
 *
 * Automatic collection follows CockroachDB: a table is refreshed when the rows written to it
 * since its last collection exceed PZ_STATS_STALE_FRACTION of its row count plus
 * PZ_STATS_STALE_ROWS_MIN. Writes are counted in this process from DML results (the command
 * tags' counts) and the refresh runs on a background thread with its own KV client, so a
 * writer never waits for a scan of the table it wrote (see sql_stats_bg.c).
 */
#ifndef PZ_SQL_STATS_H
#define PZ_SQL_STATS_H

#include "sql_bind.h"

/* HyperLogLog with 2^12 one-byte registers: 4 KiB per column and a standard error of
 * 1.04 / sqrt(4096) = 1.6%, plenty for selectivities (PostgreSQL's own n_distinct comes from
 * a 30000-row sample and is often off by far more). */
#define PZ_HLL_P 12
#define PZ_HLL_REGS (1u << PZ_HLL_P)

typedef struct {
    uint8_t reg[PZ_HLL_REGS];
} pz_hll_t;

void pz_hll_init(pz_hll_t *h);
/* Adds a value by its 64-bit hash (already well mixed: pz_hll_mix). */
void pz_hll_add(pz_hll_t *h, uint64_t hash);
/* The estimated number of distinct hashes added. */
double pz_hll_estimate(const pz_hll_t *h);
/* h |= o: the sketch of the union (how per-range sketches will merge when ANALYZE is spread). */
void pz_hll_merge(pz_hll_t *h, const pz_hll_t *o);
/* A 64-bit finalizer (MurmurHash3's fmix64): spreads a weak hash over every bit. */
uint64_t pz_hll_mix(uint64_t x);
/* The hash of a non-NULL datum for the sketch (equal values of one type hash equal). */
uint64_t pz_hll_datum_hash(const pz_datum_t *d);

/* Columns per table that get statistics: 4 KiB of sketch each while collecting. */
#define PZ_STATS_COLS_MAX 256
/* Automatic refresh: rows written past this fraction of the row count plus a floor. */
#define PZ_STATS_STALE_FRACTION 0.2
#define PZ_STATS_STALE_ROWS_MIN 500
/* Tables waiting for the background refresher (more are dropped: the next write re-queues). */
#define PZ_STATS_QUEUE_MAX 64

/* Collects the statistics of table `table_id` with a full scan at one snapshot and stores them
 * (KV and the catalog's cache). Runs on any thread with its own kv. 0 or an error (err set). */
int pz_stats_collect(pz_cat_t *cat, pz_sql_kv_t *kv, uint32_t table_id, pz_sql_err_t *err);

/* ANALYZE [t, ...]: every table of the database, or the named ones. */
int pz_stats_analyze(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag);

/* A DML node closed: counts its rows as written to its table and queues a background refresh
 * when the table's statistics are stale. Never fails the statement. */
void pz_stats_note_dml(pz_ex_t *ex, const pz_pn_t *pn);

/* Queues table_id for the background refresher (started on first use; stopped with the
 * catalog). txn_actor: where its KV client sends batches. */
void pz_stats_bg_queue(pz_cat_t *cat, const char *txn_actor, uint32_t table_id);

/* CockroachDB's SHOW STATISTICS FOR TABLE <table_text> as a PostgreSQL SELECT over pg_stats
 * (sql_stats_show.c): columns statistics_name, column_names, created, row_count,
 * distinct_count, null_count, one row per column with statistics. table_text is the table's
 * name as written ([db.][schema.]table, "quoted" parts kept, others folded to lower case).
 * Writes a NUL-terminated query into out. Returns 0, PZ_EINVAL for a malformed name, or
 * PZ_ETOOBIG when cap is too small. Pure and thread-safe. */
int pz_sql_show_statistics_query(const char *table_text, char *out, size_t cap);

#endif
