/*
 * sql_rowenc.h — how table rows and index entries are laid out in the KV keyspace.
 *
 *   primary index entry:    /Table/<table id>/<index id = 1>/<pk key columns...>  →  row value
 *   secondary, non-unique:  /Table/<table id>/<index id>/<index columns...>/<pk columns...>  →
 *                           value = the primary key's key-column bytes (what follows the
 *                           primary index prefix), so a lookup needs no key decoding
 *   secondary, unique:      /Table/<table id>/<index id>/<index columns...>  → the same value;
 *                           when an index column is NULL the pk columns are appended to the
 *                           key (NULLs never conflict, as in PostgreSQL)
 *
 * /Table/<id>/<index id> is PZ_KEY_TABLE_PREFIX, then the ids as order-preserving uvarints
 * (keys.h). Key columns are order-preserving and self-delimiting, ascending or descending: a
 * marker byte per value (NULL first in ascending order, last in descending — PostgreSQL's
 * default NULLS LAST for ASC means a scan for ASC NULLS LAST reads NULLs at the end: the planner
 * handles that by the marker order below) then the value.
 *
 * The row value holds every column (key columns too, so reading a row never decodes its key): a
 * format byte, then per non-NULL column its column id delta (uvarint) and a type-tagged value.
 * Columns absent from the value are NULL — that is how ADD COLUMN works without rewriting rows
 * (a new column's default is written by a backfill). Decoding is bounds-checked throughout:
 * malformed bytes are PZ_ECORRUPT, never a crash (a fuzz target covers it).
 */
#ifndef PZ_SQL_ROWENC_H
#define PZ_SQL_ROWENC_H

#include "sql_types.h"

/* The prefix /Table/<table_id>/<index_id>. Returns the new length or 0 when it does not fit. */
size_t pz_rowenc_index_prefix(uint8_t *buf, size_t cap, uint32_t table_id, uint32_t index_id);
/* The prefix /Table/<table_id> (every index of the table). */
size_t pz_rowenc_table_prefix(uint8_t *buf, size_t cap, uint32_t table_id);

/* Whether a type can be a key column (ordered encodings exist): every scalar type except
 * json/jsonb (PostgreSQL cannot btree-index json either) and arrays. */
bool pz_rowenc_key_type_ok(pz_ty_t t);

/* Appends one key column. desc: descending order. Returns the new length, or 0 when it does not
 * fit or the type cannot be a key column (assert-free: callers check pz_rowenc_key_type_ok). */
size_t pz_rowenc_key_put(uint8_t *buf, size_t cap, size_t len, const pz_datum_t *d, bool desc);
/* Reads one key column of type t at *pos (advancing it); text/bytes/numeric land in arena a.
 * Returns 0, PZ_ECORRUPT, or PZ_ENOMEM when the arena is exhausted. The value compares equal to
 * the one encoded (pz_datum_cmp) but may differ in form: bpchar without trailing spaces, numeric
 * without its display scale, an interval split as whole 30-day months, whole days, µs. */
int pz_rowenc_key_get(pz_arena_t *a, const uint8_t *key, size_t key_len, size_t *pos,
                      pz_sql_type_t t, bool desc, pz_datum_t *out);
/* The smallest key greater than every key starting with prefix (prefix + 1 at the last byte that
 * is not 0xff). Returns the new length or 0. */
size_t pz_rowenc_prefix_end(uint8_t *buf, size_t cap, const uint8_t *prefix, size_t len);

/* Row values. col_ids ascending and unique; datums[i] is column col_ids[i] (NULLs skipped).
 * Appends to out. Returns 0, PZ_ENOMEM (out->oom), or PZ_EINVAL for a type that cannot be
 * stored (void, record, arrays of arrays). */
int pz_rowenc_value_put(pz_sbuf_t *out, const uint32_t *col_ids,
                        const pz_datum_t *datums, uint32_t n);
/* Decodes a row value: for each i < n, datums[i] becomes column col_ids[i] (ascending) with type
 * types[i] (the column's current type), or a NULL of that type when absent. Bytes in the value
 * are views into `value` unless they must be rebuilt (arrays land in arena a). Returns 0,
 * PZ_ECORRUPT, or PZ_ENOMEM when the arena is exhausted. */
int pz_rowenc_value_get(pz_arena_t *a, const uint8_t *value, size_t len, const uint32_t *col_ids,
                        const pz_sql_type_t *types, uint32_t n, pz_datum_t *datums);

#endif
