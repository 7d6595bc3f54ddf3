/*
 * sql_value.h — SQL types, values (datums) and SQL errors: the vocabulary every part of the SQL
 * layer shares (AST, catalog, binder, executor, row encoding, pgwire output).
 *
 * A datum is a small by-value struct: a type id, a null flag and either an immediate (bool,
 * integers, floats, date/time, interval) or a view of bytes (text, bytea, numeric digits, uuid,
 * json, arrays) that lives in a query's arena (or in the message it was decoded from). Copy a
 * datum freely; copy its bytes into a longer-lived arena when it must outlive its source
 * (pz_datum_copy).
 *
 * Types are PostgreSQL's: pz_ty_t is our own dense enum (so tables can index by it); each has its
 * PostgreSQL OID for the wire and the catalogs (pz_ty_oid). A column type is pz_sql_type_t: the
 * id, the element id for arrays, and PostgreSQL's typmod (varchar(n): n + 4, numeric(p,s):
 * ((p << 16) | s) + 4, -1 none).
 *
 * Errors: a client-visible SQL error is pz_sql_err_t (SQLSTATE, message, detail, hint, position),
 * PostgreSQL's message style (lower-case, no final period). Functions that can fail return 0 or
 * a negative PZ_E* code and fill the error the caller passes (pz_sql_err_set).
 */
#ifndef PZ_SQL_VALUE_H
#define PZ_SQL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/codec.h"
#include "phantomzero/errors.h"

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */

#define PZ_SQL_ERR_MSG_BYTES 512
typedef struct {
    char sqlstate[6]; /* "" = no error */
    char message[PZ_SQL_ERR_MSG_BYTES];
    char detail[PZ_SQL_ERR_MSG_BYTES];
    char hint[256];
    int position; /* 1-based character in the query, 0 = none */
    char context[256]; /* CONTEXT: where it happened ("COPY t, line 3"); added for COPY */
} pz_sql_err_t;

/* Sets err (state = SQLSTATE, printf-style message) and returns PZ_EINVAL, so a caller can write
 * `return pz_sql_err_set(err, "22012", "division by zero");`. A second call does not overwrite
 * a set error (the first, innermost error wins). */
int pz_sql_err_set(pz_sql_err_t *err, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a detail / hint sentence to a set error. */
void pz_sql_err_detail(pz_sql_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pz_sql_err_hint(pz_sql_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets err from a PZ_E* code (its SQLSTATE and message, with `what` as context) unless set. */
int pz_sql_err_code(pz_sql_err_t *err, int code, const char *what);
static inline bool pz_sql_err_is_set(const pz_sql_err_t *err)
{
    return err->sqlstate[0] != '\0';
}
static inline void pz_sql_err_clear(pz_sql_err_t *err)
{
    err->sqlstate[0] = '\0';
    err->message[0] = err->detail[0] = err->hint[0] = '\0';
    err->position = 0;
    err->context[0] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* Types                                                                                       */

/* X(enum suffix, PostgreSQL name, OID, array OID, typlen (-1 varlena), category) */
#define PZ_SQL_TYPES(X)                                                                          \
    X(UNKNOWN, "unknown", 705, 0, -2, 'X')                                                       \
    X(BOOL, "boolean", 16, 1000, 1, 'B')                                                         \
    X(INT2, "smallint", 21, 1005, 2, 'N')                                                        \
    X(INT4, "integer", 23, 1007, 4, 'N')                                                         \
    X(INT8, "bigint", 20, 1016, 8, 'N')                                                          \
    X(FLOAT4, "real", 700, 1021, 4, 'N')                                                         \
    X(FLOAT8, "double precision", 701, 1022, 8, 'N')                                             \
    X(NUMERIC, "numeric", 1700, 1231, -1, 'N')                                                   \
    X(TEXT, "text", 25, 1009, -1, 'S')                                                           \
    X(VARCHAR, "character varying", 1043, 1015, -1, 'S')                                         \
    X(BPCHAR, "character", 1042, 1014, -1, 'S')                                                  \
    X(NAME, "name", 19, 1003, 64, 'S')                                                           \
    X(BYTEA, "bytea", 17, 1001, -1, 'U')                                                         \
    X(DATE, "date", 1082, 1182, 4, 'D')                                                          \
    X(TIME, "time without time zone", 1083, 1183, 8, 'D')                                        \
    X(TIMESTAMP, "timestamp without time zone", 1114, 1115, 8, 'D')                              \
    X(TIMESTAMPTZ, "timestamp with time zone", 1184, 1185, 8, 'D')                               \
    X(INTERVAL, "interval", 1186, 1187, 16, 'T')                                                 \
    X(UUID, "uuid", 2950, 2951, 16, 'U')                                                         \
    X(JSON, "json", 114, 199, -1, 'U')                                                           \
    X(JSONB, "jsonb", 3802, 3807, -1, 'U')                                                       \
    X(OID, "oid", 26, 1028, 4, 'N')                                                              \
    X(REGCLASS, "regclass", 2205, 2210, 4, 'N')                                                  \
    X(REGTYPE, "regtype", 2206, 2211, 4, 'N')                                                    \
    X(REGPROC, "regproc", 24, 1008, 4, 'N')                                                      \
    X(CHAR, "\"char\"", 18, 1002, 1, 'Z')                                                        \
    X(VOID, "void", 2278, 0, 4, 'P')                                                             \
    X(RECORD, "record", 2249, 2287, -1, 'P')                                                     \
    X(ARRAY, "array", 0, 0, -1, 'A') /* the real OID is the element type's array OID */     \
    X(REGNAMESPACE, "regnamespace", 4089, 4090, 4, 'N') /* appended: ids are stored */       \
    X(REGROLE, "regrole", 4096, 4097, 4, 'N')

typedef enum {
#define PZ_SQL_TY_ENUM_(e, n, oid, aoid, len, cat) PZ_TY_##e,
    PZ_SQL_TYPES(PZ_SQL_TY_ENUM_)
#undef PZ_SQL_TY_ENUM_
        PZ_TY_COUNT_
} pz_ty_t;

typedef struct {
    uint8_t id;     /* pz_ty_t */
    uint8_t elem;   /* element pz_ty_t when id == PZ_TY_ARRAY */
    bool vector;    /* an ARRAY of INT2 / OID that is int2vector / oidvector (catalog columns) */
    int32_t typmod; /* -1 none; varchar/bpchar: n + 4; numeric: ((p << 16) | s) + 4 */
} pz_sql_type_t;

#define PZ_SQL_TYPE(t) ((pz_sql_type_t){.id = (t), .elem = 0, .typmod = -1})

/* PostgreSQL's name ("integer"), OID (the array's OID for arrays), typlen and category. */
const char *pz_ty_name(pz_ty_t t);
uint32_t pz_ty_oid(pz_sql_type_t t);
int pz_ty_len(pz_ty_t t);
char pz_ty_category(pz_ty_t t);
/* The type with this OID (arrays: id ARRAY, elem set). false if we do not know the OID. */
bool pz_ty_from_oid(uint32_t oid, pz_sql_type_t *out);
/* format_type()'s text: "integer", "character varying(10)", "numeric(10,2)", "text[]". */
size_t pz_ty_format(pz_sql_type_t t, char *buf, size_t cap);

/* ------------------------------------------------------------------------------------------ */
/* Datums                                                                                      */

typedef struct pz_datum pz_datum_t;

/* A one-dimensional array value: n elements of type elem, lower bound 1. */
typedef struct {
    uint8_t elem; /* pz_ty_t */
    bool vector;  /* int2vector / oidvector: text form "1 2", subscripts from 0 (PostgreSQL's) */
    uint32_t n;
    pz_datum_t *items;
} pz_sql_array_t;

struct pz_datum {
    uint8_t type; /* pz_ty_t; UNKNOWN for an untyped NULL or a string literal not yet typed */
    bool null;
    int16_t scale; /* NUMERIC: digits after the point (display scale) */
    uint32_t len;  /* bytes at p (text-like, bytea, numeric, json); 16 for uuid */
    union {
        bool b;
        int64_t i;       /* INT2/4/8, OID/REG*, DATE (days since 2000-01-01), TIME (µs),
                            TIMESTAMP/TZ (µs since 2000-01-01 00:00 UTC), CHAR */
        double f;        /* FLOAT4 (rounded to float when stored) / FLOAT8 */
        const uint8_t *p; /* TEXT/VARCHAR/BPCHAR/NAME/UNKNOWN: UTF-8 bytes (no NUL needed);
                             BYTEA: raw bytes; NUMERIC: ASCII "[-]digits" unscaled integer
                             (value = digits * 10^-scale), or "NaN"; UUID: 16 bytes;
                             JSON: the text as given; JSONB: normalized text; */
        const pz_sql_array_t *arr; /* ARRAY */
        struct {
            int64_t us;     /* INTERVAL: microseconds part */
            int32_t days;   /* days part */
            int32_t months; /* months part */
        } iv;
    } v;
};

static inline pz_datum_t pz_datum_null(pz_ty_t t)
{
    pz_datum_t d = {.type = (uint8_t)t, .null = true};
    return d;
}
static inline pz_datum_t pz_datum_bool(bool b)
{
    pz_datum_t d = {.type = PZ_TY_BOOL, .v.b = b};
    return d;
}
static inline pz_datum_t pz_datum_int(pz_ty_t t, int64_t i)
{
    pz_datum_t d = {.type = (uint8_t)t, .v.i = i};
    return d;
}
static inline pz_datum_t pz_datum_float(pz_ty_t t, double f)
{
    pz_datum_t d = {.type = (uint8_t)t, .v.f = f};
    return d;
}
static inline pz_datum_t pz_datum_bytes(pz_ty_t t, const void *p, uint32_t len)
{
    pz_datum_t d = {.type = (uint8_t)t, .len = len, .v.p = (const uint8_t *)p};
    return d;
}

/* Deep-copies the datum's bytes (and array items) into arena a. Returns 0 or PZ_ENOMEM. */
int pz_datum_copy(pz_arena_t *a, const pz_datum_t *in, pz_datum_t *out);

#endif
