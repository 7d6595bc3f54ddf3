/*
 * sql_func_int.h — what the files of the function library share (sql_func.c resolves and calls;
 * sql_func_ops.c, sql_func_str.c, sql_func_math.c, sql_func_time.c hold the rows by area). Not
 * for the rest of the SQL layer: its contract is sql_func.h.
 */
#ifndef PZ_SQL_FUNC_INT_H
#define PZ_SQL_FUNC_INT_H

#include "sql_func.h"

/* Each area's rows; sql_func.c joins them into the one table pz_sql_fn_table returns. */
extern const pz_sql_fndef_t pz__fn_ops[];
extern const size_t pz__fn_ops_n;
extern const pz_sql_fndef_t pz__fn_str[];
extern const size_t pz__fn_str_n;
extern const pz_sql_fndef_t pz__fn_math[];
extern const size_t pz__fn_math_n;
extern const pz_sql_fndef_t pz__fn_time[];
extern const size_t pz__fn_time_n;

/* Row shorthands: a strict binary operator, a strict prefix operator, a function. */
#define PZ__OP2(sym, a, b, r, fn, oid)                                                             \
    {                                                                                              \
        sym, 2, {a, b}, r, PZ_FN_STRICT | PZ_FN_OPERATOR, fn, oid                                  \
    }
#define PZ__OP1(sym, a, r, fn, oid)                                                                \
    {                                                                                              \
        sym, 1, {a}, r, PZ_FN_STRICT | PZ_FN_OPERATOR, fn, oid                                     \
    }

/* Result helpers: each sets *out and returns 0, or sets ctx->err and returns its code. */
/* Bytes copied into the arena as type t. */
int pz__fn_bytes(pz_sql_fnctx_t *ctx, pz_ty_t t, const void *p, size_t n, pz_datum_t *out);
/* An arena buffer of n bytes for a result being built (NULL: PZ_ENOMEM set in ctx->err). */
uint8_t *pz__fn_alloc(pz_sql_fnctx_t *ctx, size_t n);
/* 53200 out of memory. */
int pz__fn_oom(pz_sql_fnctx_t *ctx);
/* 22003 "<type> out of range" unless v fits type t (INT2/INT4/INT8); else *out = v as t. */
int pz__fn_int(pz_sql_fnctx_t *ctx, pz_ty_t t, int64_t v, pz_datum_t *out);
/* A double result checked as PostgreSQL's float ops check (float_overflow_error when the result
 * is infinite but no input was, float_underflow_error when it is 0 but zero_ok is false). */
int pz__fn_float(pz_sql_fnctx_t *ctx, pz_ty_t t, double v, bool inf_ok, bool zero_ok,
                 pz_datum_t *out);

/* UTF-8: the length in bytes of the character starting with byte c (1 for invalid bytes), and
 * the number of characters in s. */
size_t pz__utf8_len(uint8_t c);
size_t pz__utf8_count(const uint8_t *s, size_t n);
/* Byte offset of character index ci (0-based) in s, or n when past the end. */
size_t pz__utf8_offset(const uint8_t *s, size_t n, size_t ci);

#endif
