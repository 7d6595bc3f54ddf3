/*
 * sql_catalog.h — the catalog: databases, schemas, tables, views and sequences stored as
 * descriptors in the system keyspace, read through a process-wide cache.
 *
 * Keys (all under PZ_KEY_SYSTEM_PREFIX, so they replicate and split like any range later):
 *   \x04 'd' <id>                         descriptor (pz_cat_desc msgpack)
 *   \x04 'n' <db id> <schema id> <name>   name → id (databases: 0 0 name; schemas: db 0 name);
 *                                         indexes share their schema's relation namespace, as in
 *                                         PostgreSQL: the value names the table and the index
 *   \x04 'c'                              the next descriptor id
 *   \x04 's' <id>                         a sequence's current value
 *   \x04 't' <table id>                   the table's statistics (pz_cat_stats msgpack, written
 *                                         by ANALYZE and the automatic refresher: sql_stats.h)
 * (<id> and the other integers are order-preserving uvarints, names keys.h bytes.)
 *
 * A DDL statement writes its descriptors and name entries in one KV batch, so it is atomic; the
 * name entry is a conditional put (absent), so two sessions creating the same name cannot both
 * succeed. Descriptor ids double as PostgreSQL OIDs (the catalogs' oid columns): they start at
 * PZ_CAT_FIRST_ID, above PostgreSQL's reserved range.
 *
 * The cache maps ids to decoded descriptors; every DDL in this process flushes it. Entries are
 * reference-counted so a statement can hold descriptors across a flush. (One SQL gateway per
 * store today; when several nodes run SQL, descriptors need leases as CockroachDB's do.)
 */
#ifndef PZ_SQL_CATALOG_H
#define PZ_SQL_CATALOG_H

#include <pthread.h>

#include "phantomzero/codec.h"
#include "sql_kv.h"
#include "sql_value.h"

#define PZ_CAT_FIRST_ID 16384u
/* Columns of a table: PostgreSQL's MaxHeapAttributeNumber. */
#define PZ_CAT_COLS_MAX 1600
/* Indexes of a table, key columns of an index, constraints of a table. */
#define PZ_CAT_INDEXES_MAX 64
#define PZ_CAT_INDEX_COLS_MAX 32
#define PZ_CAT_CONS_MAX 64

enum { PZ_CAT_DATABASE = 1, PZ_CAT_SCHEMA, PZ_CAT_TABLE, PZ_CAT_VIEW, PZ_CAT_SEQUENCE };

#define PZ_SCHEMA_pz_cat_col(X)                                                                    \
    X(U32, id, _, _)                                                                               \
    X(STR, name, _, _)                                                                             \
    X(U8, type, _, _)                                                                              \
    X(U8, elem, _, _)                                                                              \
    X(I32, typmod, _, _)                                                                           \
    X(BOOL, not_null, _, _)                                                                        \
    X(STR, default_expr, _, _) /* as written; empty: none */                                       \
    X(BOOL, hidden, _, _)      /* rowid of a table without a primary key */                        \
    X(U32, seq_id, _, _)       /* serial / identity: the sequence its default draws from */        \
    X(U8, identity, _, _)      /* 0 none, 'a' GENERATED ALWAYS, 'd' BY DEFAULT */
PZ_SCHEMA_DECLARE(pz_cat_col)

#define PZ_SCHEMA_pz_cat_icol(X)                                                                   \
    X(U32, col, _, _)                                                                              \
    X(BOOL, desc, _, _)
PZ_SCHEMA_DECLARE(pz_cat_icol)

#define PZ_SCHEMA_pz_cat_index(X)                                                                  \
    X(U32, id, _, _) /* 1: the primary index */                                                    \
    X(STR, name, _, _)                                                                             \
    X(BOOL, unique, _, _)                                                                          \
    X(BOOL, constraint, _, _) /* made by a PRIMARY KEY / UNIQUE constraint */                      \
    X(ARR, cols, pz_cat_icol, PZ_CAT_INDEX_COLS_MAX)                                               \
    X(ARR, include, pz_cat_icol, PZ_CAT_INDEX_COLS_MAX)
PZ_SCHEMA_DECLARE(pz_cat_index)

#define PZ_SCHEMA_pz_cat_check(X)                                                                  \
    X(STR, name, _, _)                                                                             \
    X(STR, expr, _, _)
PZ_SCHEMA_DECLARE(pz_cat_check)

#define PZ_SCHEMA_pz_cat_fk(X)                                                                     \
    X(STR, name, _, _)                                                                             \
    X(ARR, cols, pz_cat_icol, PZ_CAT_INDEX_COLS_MAX)                                               \
    X(U32, ref_table, _, _)                                                                        \
    X(ARR, ref_cols, pz_cat_icol, PZ_CAT_INDEX_COLS_MAX)                                           \
    X(U8, on_delete, _, _)                                                                         \
    X(U8, on_update, _, _)
PZ_SCHEMA_DECLARE(pz_cat_fk)

#define PZ_SCHEMA_pz_cat_desc(X)                                                                   \
    X(U32, id, _, _)                                                                               \
    X(U8, kind, _, _) /* PZ_CAT_* */                                                               \
    X(U32, db_id, _, _)                                                                            \
    X(U32, schema_id, _, _)                                                                        \
    X(STR, name, _, _)                                                                             \
    X(U64, version, _, _)                                                                          \
    X(STR, owner, _, _)                                                                            \
    X(ARR, cols, pz_cat_col, PZ_CAT_COLS_MAX)                                                      \
    X(U32, next_col_id, _, _)                                                                      \
    X(ARR, indexes, pz_cat_index, PZ_CAT_INDEXES_MAX)                                              \
    X(U32, next_index_id, _, _)                                                                    \
    X(ARR, checks, pz_cat_check, PZ_CAT_CONS_MAX)                                                  \
    X(ARR, fks, pz_cat_fk, PZ_CAT_CONS_MAX)                                                        \
    X(STR, view_query, _, _)                                                                       \
    X(I64, seq_start, _, _)                                                                        \
    X(I64, seq_inc, _, _)                                                                          \
    X(I64, seq_min, _, _)                                                                          \
    X(I64, seq_max, _, _)                                                                          \
    X(BOOL, seq_cycle, _, _)                                                                       \
    X(ARR, referenced_by, pz_cat_icol, PZ_CAT_CONS_MAX) /* tables with FKs to this one (col =      \
                                                           the table id); added in v1.1 */
PZ_SCHEMA_DECLARE(pz_cat_desc)

/* Statistics of one column (sql_stats.h): distinct non-NULL values (a HyperLogLog estimate)
 * and NULLs, as counts so fractions follow from the table's row count. */
#define PZ_SCHEMA_pz_cat_colstat(X)                                                                \
    X(U32, col, _, _)                                                                              \
    X(U64, distinct, _, _)                                                                         \
    X(U64, nulls, _, _)
PZ_SCHEMA_DECLARE(pz_cat_colstat)

#define PZ_SCHEMA_pz_cat_stats(X)                                                                  \
    X(U32, table, _, _)                                                                            \
    X(U64, rows, _, _)                                                                             \
    X(I64, created_us, _, _) /* when collected (µs since the Unix epoch) */                       \
    X(ARR, cols, pz_cat_colstat, PZ_CAT_COLS_MAX)
PZ_SCHEMA_DECLARE(pz_cat_stats)

/* A cached descriptor: the decoded struct, its bytes and arena. Read-only once published. */
typedef struct pz_cat_entry {
    pz_cat_desc_t d;
    uint8_t *bytes;
    size_t len;
    pz_arena_t *arena;
    _Atomic int refs;
    struct pz_cat_entry *next; /* cache chain */
} pz_cat_entry_t;

typedef struct pz_cat pz_cat_t;

pz_cat_t *pz_cat_new(void);
void pz_cat_destroy(pz_cat_t **c);
/* Flushes every cached descriptor (after a DDL). */
void pz_cat_flush(pz_cat_t *c);
/* Changes whenever the cache is flushed: a plan bound at an older generation may name dropped
 * or changed objects and must be bound again (the prepared-statement plan cache's check). */
uint64_t pz_cat_generation(pz_cat_t *c);

/* Creates defaultdb and postgres (each with schema public) on a fresh store. Idempotent and
 * safe to race. Returns 0 or an error (err set). */
int pz_cat_bootstrap(pz_cat_t *c, pz_sql_kv_t *kv, pz_sql_err_t *err);

/* The id a name maps to: PZ_ENOTFOUND when absent. *index_id (may be NULL) is the index id for
 * an index's name entry, 0 for other objects. */
int pz_cat_lookup(pz_cat_t *c, pz_sql_kv_t *kv, uint32_t db_id, uint32_t schema_id,
                  const char *name, uint32_t *id, uint32_t *index_id, pz_sql_err_t *err);
/* The descriptor with this id (a reference: pz_cat_release it). PZ_ENOTFOUND when absent. */
int pz_cat_get(pz_cat_t *c, pz_sql_kv_t *kv, uint32_t id, pz_cat_entry_t **out, pz_sql_err_t *err);
void pz_cat_release(pz_cat_entry_t **e);

/* Every descriptor (for pg_catalog and SHOW): calls fn for each, in id order, with a
 * reference valid during the call. */
int pz_cat_each(pz_cat_t *c, pz_sql_kv_t *kv, int (*fn)(void *arg, const pz_cat_desc_t *d),
                void *arg, pz_sql_err_t *err);

/* A new descriptor id. */
int pz_cat_alloc_id(pz_sql_kv_t *kv, uint32_t *id, pz_sql_err_t *err);

/* Key builders (buf of at least PZ_CAT_KEY_BYTES); return the length. */
#define PZ_CAT_KEY_BYTES 256
size_t pz_cat_key_stats(uint8_t *buf, uint32_t table_id);
size_t pz_cat_key_desc(uint8_t *buf, uint32_t id);
size_t pz_cat_key_name(uint8_t *buf, uint32_t db_id, uint32_t schema_id, const char *name);
size_t pz_cat_key_seq(uint8_t *buf, uint32_t id);

/* Encodes a descriptor into a malloc'd buffer (*buf, *len). */
int pz_cat_desc_pack(const pz_cat_desc_t *d, uint8_t **buf, size_t *len);
/* A name entry's value: id and index id. */
size_t pz_cat_name_value(uint8_t *buf, uint32_t id, uint32_t index_id);

/* Table statistics through the cache (absence is cached too: a table never analyzed costs no KV
 * read per statement). *out is decoded into arena a, or NULL when the table has none. */
int pz_cat_stats_get(pz_cat_t *c, pz_sql_kv_t *kv, uint32_t table_id, pz_arena_t *a,
                     pz_cat_stats_t **out, pz_sql_err_t *err);
/* Stores a table's statistics (one KV put) and replaces the cached copy; plans bound before
 * are made stale (pz_cat_generation changes) so they are planned again with the new numbers. */
int pz_cat_stats_put(pz_cat_t *c, pz_sql_kv_t *kv, const pz_cat_stats_t *st, pz_sql_err_t *err);
/* Adds n rows written to a table's counter since its last collection; true (once, until the
 * next collection resets the counter) when they pass the staleness threshold for `rows`. */
bool pz_cat_stats_written(pz_cat_t *c, uint32_t table_id, uint64_t n, double rows, double fraction,
                          uint64_t floor_rows);
/* A background helper the catalog stops when it is destroyed (the statistics refresher): stop
 * is called once, before the catalog is freed. Set once; false when one is set already. */
bool pz_cat_set_background(pz_cat_t *c, void (*stop)(void *arg), void *arg);
void *pz_cat_background(pz_cat_t *c);

/* C string equality with a descriptor view. */
bool pz_cat_name_eq(pz_view_t v, const char *s);

/* Helpers on a table descriptor. */
const pz_cat_col_t *pz_cat_col_by_name(const pz_cat_desc_t *d, const char *name);
const pz_cat_col_t *pz_cat_col_by_id(const pz_cat_desc_t *d, uint32_t id);
/* The position of column id in d->cols, -1 when absent. */
int pz_cat_col_index(const pz_cat_desc_t *d, uint32_t id);
/* The unique index (primary key or UNIQUE) over exactly these columns in this order, or NULL. */
const pz_cat_index_t *pz_cat_unique_on(const pz_cat_desc_t *d, const pz_cat_icol_t *cols,
                                       uint32_t n);
static inline pz_sql_type_t pz_cat_col_type(const pz_cat_col_t *c)
{
    return (pz_sql_type_t){.id = c->type, .elem = c->elem, .typmod = c->typmod};
}

#endif
