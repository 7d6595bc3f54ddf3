/*
 * sql_types.h — what each SQL type means: text and binary input/output in PostgreSQL's formats,
 * comparison, hashing and casts. sql_numeric.c and sql_datetime.c hold the two types with the
 * most rules (numeric: arbitrary precision on GMP; date/time/timestamp/interval: PostgreSQL's
 * calendar and formats); sql_types.c dispatches.
 *
 * Results land in an arena the caller gives (text bytes, numeric digits, arrays); errors carry
 * PostgreSQL's SQLSTATEs: 22P02 invalid input syntax, 22003 out of range, 22001 too long for
 * varchar(n)/char(n), 22008 datetime field overflow, 22007 invalid datetime format, 22012
 * division by zero, 42846 cannot cast.
 *
 * Thread-safe: no global state (the session's time zone comes in as an argument).
 */
#ifndef PZ_SQL_TYPES_H
#define PZ_SQL_TYPES_H

#include "sql_value.h"

/* A growing byte buffer (malloc'd). Appends never fail visibly: on allocation failure `oom` is
 * set and later appends are dropped; check it once at the end. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
    bool oom;
} pz_sbuf_t;
void pz_sbuf_put(pz_sbuf_t *b, const void *p, size_t n);
void pz_sbuf_putc(pz_sbuf_t *b, char c);
void pz_sbuf_puts(pz_sbuf_t *b, const char *s);
void pz_sbuf_printf(pz_sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pz_sbuf_reset(pz_sbuf_t *b); /* len = 0, keeps the memory */
void pz_sbuf_free(pz_sbuf_t *b);

/* Session settings the type functions read. */
typedef struct {
    const struct pz_tz *tz; /* the session's TimeZone (sql_tz.h); NULL is UTC */
    bool datestyle_iso;     /* DateStyle ISO, MDY (the default); false: not supported yet */
    int extra_float_digits; /* PostgreSQL's setting: >= 1 prints shortest round-trip floats */
} pz_sql_tyenv_t;

/* The default env: UTC, ISO, extra_float_digits 1. */
pz_sql_tyenv_t pz_sql_tyenv_default(void);

/* Text input (the `type_in` functions): parses len bytes of s as type t, applying t's typmod
 * (varchar(n) errors past n characters unless trailing spaces, char(n) pads, numeric(p,s)
 * rounds to s and errors past p). Leading/trailing whitespace is accepted where PostgreSQL
 * accepts it. Returns 0 or PZ_EINVAL with err set. */
int pz_datum_from_text(pz_arena_t *a, const pz_sql_tyenv_t *env, pz_sql_type_t t, const char *s,
                       size_t len, pz_datum_t *out, pz_sql_err_t *err);

/* Text output (the `type_out` functions) in PostgreSQL's format: bool "t"/"f", floats shortest
 * round-trip ("0.1", "1e+100", "Infinity", "NaN"), numeric with its display scale, bytea hex
 * ("\x0102"), timestamps "2001-02-03 04:05:06.5", timestamptz with the offset ("+00"),
 * intervals "1 year 2 mons 3 days 04:05:06", arrays "{1,2,NULL,\"a b\"}". NULL is not
 * handled here (the caller writes the wire's -1). */
void pz_datum_to_text(const pz_sql_tyenv_t *env, const pz_datum_t *d, pz_sbuf_t *out);

/* Binary send/recv (pgwire format code 1) as PostgreSQL's typsend/typreceive. Types without a
 * binary form here return PZ_EINVAL with 0A000 from recv; send asserts the type is supported
 * (pz_ty_has_binary). */
bool pz_ty_has_binary(pz_sql_type_t t);
void pz_datum_to_binary(const pz_datum_t *d, pz_sbuf_t *out);
int pz_datum_from_binary(pz_arena_t *a, pz_sql_type_t t, const uint8_t *p, size_t len,
                         pz_datum_t *out, pz_sql_err_t *err);

/* Total order of two non-NULL datums of the same type family (the binder casts first): ints of
 * any width with each other, floats with each other, numeric, text-like (bytewise on UTF-8, i.e.
 * the C collation), bytea, date/time types, interval (PostgreSQL compares intervals by their
 * total span with 30-day months), uuid, bool, arrays element-wise. Float NaN sorts above every
 * number and equals NaN (PostgreSQL's rule); so does numeric NaN. Returns <0, 0, >0. */
int pz_datum_cmp(const pz_datum_t *a, const pz_datum_t *b);
/* A hash consistent with pz_datum_cmp (equal datums hash equal, e.g. 1::int4 and 1::int8,
 * 1.0 and 1.00 numeric). */
uint64_t pz_datum_hash(const pz_datum_t *d, uint64_t seed);

/* Casts. PostgreSQL's three contexts: implicit (in expressions), assignment (INSERT/UPDATE into
 * a column), explicit (CAST / ::). */
typedef enum { PZ_CAST_IMPLICIT = 0, PZ_CAST_ASSIGN = 1, PZ_CAST_EXPLICIT = 2 } pz_cast_ctx_t;
/* Whether a cast from `from` to `to` exists in that context (pg_cast's castcontext). UNKNOWN
 * (a string literal) casts to anything in every context. */
bool pz_ty_can_cast(pz_sql_type_t from, pz_sql_type_t to, pz_cast_ctx_t ctx);
/* Performs it: numeric conversions with range checks (22003) and rounding as PostgreSQL's
 * (float → int rounds half to even, numeric → int rounds half away from zero), text ↔ anything
 * through the text I/O functions, typmod coercion (varchar(n): explicit casts truncate,
 * assignment errors 22001), int ↔ bool, date ↔ timestamp(tz), and so on. NULL in → NULL out.
 * Returns 0 or PZ_EINVAL (err: 42846 no such cast, or the conversion's own error). */
int pz_datum_cast(pz_arena_t *a, const pz_sql_tyenv_t *env, const pz_datum_t *in, pz_sql_type_t to,
                  pz_cast_ctx_t ctx, pz_datum_t *out, pz_sql_err_t *err);

/* Type resolution for UNION/CASE/COALESCE/IN/ARRAY (PostgreSQL's "UNION, CASE, and related
 * constructs" rules): the common type of n input types, or PZ_EINVAL with 42804 "X types a and
 * b cannot be matched". All UNKNOWN resolves to TEXT. */
int pz_ty_common(const pz_sql_type_t *types, int n, const char *context, pz_sql_type_t *out,
                 pz_sql_err_t *err);
/* Whether t is the preferred type of its category, as pg_type.typispreferred: float8 (N), text
 * (S), timestamptz (D), bool (B), interval (T), oid. */
bool pz_ty_is_preferred(pz_ty_t t);

/* Type names as written in SQL ("int", "int4", "integer", "varchar", "character varying",
 * "double precision", "float8", "float(24)" etc.), with the typmod arguments already parsed by
 * the caller (n_mods of them, -1 when absent) and array bounds (is_array). Returns 0, or
 * PZ_EINVAL with 42704 "type \"x\" does not exist" / 22023 bad typmod. */
int pz_ty_from_name(const char *name, const int32_t *mods, int n_mods, bool is_array,
                    pz_sql_type_t *out, pz_sql_err_t *err);

#endif
