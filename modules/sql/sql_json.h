/*
 * sql_json.h — the JSON parser and tree behind the json and jsonb types (sql_json.c), for the
 * type layer (text I/O, casts, order, hash) and for the function library's JSON operators
 * (->, ->>, @>, jsonb_typeof, ...). Internal to the SQL layer.
 *
 * Parsing follows PostgreSQL 15's JSON lexer and parser: the same grammar (RFC 8259 numbers, no
 * NaN, whitespace space/tab/CR/LF) and the same errors, 22P02 "invalid input syntax for type
 * json" with PostgreSQL's detail line ("Token \"x\" is invalid.", "Expected \":\", but found
 * \"}\".", "The input string ended unexpectedly.", ...). With `jsonb` set the parse also does what
 * jsonb_in does: strings are de-escaped (\uXXXX to UTF-8, surrogate pairs joined; lone surrogates
 * are 22P02 and \u0000 is 22P05 "unsupported Unicode escape sequence"), numbers become numeric
 * (1e3 → 1000, 1.0 stays 1.0), object keys are sorted as jsonb stores them (shorter keys first,
 * then bytewise) and a duplicate key keeps its last value. Without it (the json type) the tree
 * keeps keys in input order with duplicates, and strings are de-escaped leniently (a lone
 * surrogate or \u0000 stays as its six-character escape).
 *
 * Lifetime: a tree and every string in it live in the arena given to pz_json_parse. Trees are
 * immutable after parsing; reading them is thread-safe.
 */
#ifndef PZ_SQL_JSON_H
#define PZ_SQL_JSON_H

#include "sql_types.h"

/* Nesting accepted before 54001 "stack depth limit exceeded" (the parser recurses). */
#define PZ_JSON_DEPTH_MAX 6400

/* Kinds in jsonb's order across kinds: null < string < number < boolean < array < object. */
typedef enum {
    PZ_JSON_NULL = 0,
    PZ_JSON_STRING,
    PZ_JSON_NUMBER,
    PZ_JSON_BOOL,
    PZ_JSON_ARRAY,
    PZ_JSON_OBJECT,
} pz_json_kind_t;

typedef struct pz_json pz_json_t;
struct pz_json {
    uint8_t kind;     /* pz_json_kind_t */
    bool b;           /* BOOL */
    uint32_t n;       /* STRING: bytes at s; ARRAY: elements; OBJECT: pairs */
    const char *s;    /* STRING: the de-escaped UTF-8 (NUL-terminated) */
    pz_datum_t num;   /* NUMBER: a NUMERIC datum */
    pz_json_t *items; /* ARRAY: n values; OBJECT: 2n nodes, key (STRING) then value */
};

/* Parses len bytes of s (no NUL needed). Returns 0 with *out set, or PZ_EINVAL with err set
 * (22P02 / 22P05 / 54001 as above), PZ_ENOMEM. */
int pz_json_parse(pz_arena_t *a, const char *s, size_t len, bool jsonb, pz_json_t **out,
                  pz_sql_err_t *err);

/* An object's value for a key (jsonb trees: the only one; json trees: the last one, as
 * PostgreSQL's json -> operator), or NULL if v is not an object or has no such key. */
const pz_json_t *pz_json_get(const pz_json_t *v, const char *key, size_t key_len);
/* An array's element i (negative i counts from the end, -1 the last), or NULL if v is not an
 * array or i is out of range. */
const pz_json_t *pz_json_index(const pz_json_t *v, int64_t i);
/* jsonb_typeof: "object", "array", "string", "number", "boolean" or "null". */
const char *pz_json_typeof(const pz_json_t *v);
/* jsonb's @>: whether a contains b (objects: every pair of b is in a, recursively; arrays:
 * every element of b is in a, in any order; a top-level array contains a scalar it holds). */
bool pz_json_contains(const pz_json_t *a, const pz_json_t *b);
/* jsonb's order of two top-level values (sql_json.c has the rules): <0, 0, >0. Equal means
 * jsonb '=' is true. */
int pz_json_cmp(const pz_json_t *a, const pz_json_t *b);
/* A hash that agrees with pz_json_cmp (1.0 and 1.00 hash alike). */
uint64_t pz_json_hash(const pz_json_t *v, uint64_t seed);
/* jsonb's text output: '{"a": 1, "b": [1, 2]}', strings escaped as PostgreSQL's escape_json. */
void pz_json_out(const pz_json_t *v, pz_sbuf_t *out);
/* A string escaped and quoted as escape_json does (for ->> and output of keys). */
void pz_json_escape(const char *s, size_t n, pz_sbuf_t *out);

/* The order and hash of two normalized jsonb texts (datums' bytes): parse and compare. Falls
 * back to bytewise order if memory runs out (a normalized text equal bytewise is equal). */
int pz_json_cmp_text(const uint8_t *a, size_t na, const uint8_t *b, size_t nb);
uint64_t pz_json_hash_text(const uint8_t *p, size_t n, uint64_t seed);

#endif
