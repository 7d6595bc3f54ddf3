/*
 * sql_types_int.h — helpers shared by the files that implement sql_types.h (sql_types*.c,
 * sql_array.c, sql_json.c). Not for the rest of the SQL layer: its contract is sql_types.h,
 * sql_numeric.h and sql_datetime.h.
 */
#ifndef PZ_SQL_TYPES_INT_H
#define PZ_SQL_TYPES_INT_H

#include "sql_types.h"

/* Longest input text quoted back in an error message ("invalid input syntax ... \"%.*s\""). */
#define PZ__ERR_ECHO_BYTES_MAX 200
/* varchar(n) / char(n) limit: PostgreSQL's MaxAttrSize (10 MiB). */
#define PZ__CHAR_LEN_MAX 10485760
/* NAME: NAMEDATALEN - 1 bytes. */
#define PZ__NAME_BYTES_MAX 63
/* Array elements and nesting accepted from text or binary input: bounds the work a client can
 * make one literal cost (PostgreSQL's MaxArraySize is far larger; ours are one-dimensional). */
#define PZ__ARRAY_ITEMS_MAX (1u << 20)

/* Whether t is one of the string-category types that share the text representation. */
bool pz__ty_is_text(pz_ty_t t);
/* Whether t is an integer-like type (INT2/4/8, OID, REG*). */
bool pz__ty_is_int(pz_ty_t t);

/* A 64-bit hash of bytes (seeded); equal bytes and seed, equal hash. */
uint64_t pz__hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t pz__hash_u64(uint64_t v, uint64_t seed);

/* Shortest round-trip (extra_float_digits >= 1) or %.Ng (<= 0) float output, PostgreSQL's. */
void pz__float_out(double v, bool is_float4, int extra_float_digits, pz_sbuf_t *out);

/* Copies text bytes into the arena as type id with typmod applied: varchar(n)/char(n) check
 * length in characters (explicit: truncate; else 22001 unless the excess is spaces), char(n)
 * pads, name truncates to 63 bytes. Validates UTF-8 (22021). */
int pz__text_make(pz_arena_t *a, pz_ty_t id, int32_t typmod, const uint8_t *p, size_t len,
                  bool explicit_cast, pz_datum_t *out, pz_sql_err_t *err);
/* Length of s without its trailing spaces (bpchar's insignificant padding). */
size_t pz__bpchar_len(const uint8_t *s, size_t len);

/* A string literal's bytes and length of the text rendered by pz_datum_to_text (malloc'd sbuf
 * copied into the arena). */
int pz__sbuf_to_arena(pz_arena_t *a, const pz_sbuf_t *b, const uint8_t **p, uint32_t *len,
                      pz_sql_err_t *err);

/* Integer parsing as pg_strtoint64 (whitespace around, sign, digits), range [min, max]. */
int pz__int_in(const char *s, size_t len, int64_t min, int64_t max, const char *type_name,
               int64_t *out, pz_sql_err_t *err);

/* Arrays (sql_array.c): text in/out, comparison, hash, binary. */
int pz__array_in(pz_arena_t *a, const pz_sql_tyenv_t *env, pz_sql_type_t t, const char *s,
                 size_t len, pz_datum_t *out, pz_sql_err_t *err);
void pz__array_out(const pz_sql_tyenv_t *env, const pz_datum_t *d, pz_sbuf_t *out);

/* Binary reading (sql_types_bin.c): a cursor over a received value. Every get checks the bytes
 * left (08P01 "insufficient data left in message" otherwise). */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t pos;
} pz__bin_t;
int pz__bin_get(pz__bin_t *r, size_t n, const uint8_t **p, pz_sql_err_t *err);
int pz__bin_get_u32(pz__bin_t *r, uint32_t *v, pz_sql_err_t *err);
void pz__bin_put_u32(pz_sbuf_t *out, uint32_t v);
/* One value of type t from r's remaining bytes (the caller checks for bytes left over). */
int pz__bin_recv(pz_arena_t *a, pz_sql_type_t t, pz__bin_t *r, pz_datum_t *out, pz_sql_err_t *err);
/* array_send / array_recv (sql_array.c); recv consumes all of r. */
void pz__array_send(const pz_datum_t *d, pz_sbuf_t *out);
int pz__array_recv(pz_arena_t *a, pz_sql_type_t t, pz__bin_t *r, pz_datum_t *out,
                   pz_sql_err_t *err);

/* JSON (sql_json.c): validates json text; normalizes jsonb text (keys sorted, last wins). */
int pz__json_in(pz_arena_t *a, bool jsonb, const char *s, size_t len, pz_datum_t *out,
                pz_sql_err_t *err);

/* bytea and uuid text forms (sql_types_io.c). */
int pz__bytea_in(pz_arena_t *a, const char *s, size_t len, pz_datum_t *out, pz_sql_err_t *err);
int pz__uuid_in(pz_arena_t *a, const char *s, size_t len, pz_datum_t *out, pz_sql_err_t *err);

#endif
