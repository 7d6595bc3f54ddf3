/*
 * sql_shape.h — the simple-protocol plan cache: a statement is looked up by its token shape.
 *
 * Why: libpg_query's protobuf parse costs ~32 µs for a point select while PostgreSQL answers the
 * whole query in ~37 µs, so a simple-protocol statement must not be parsed and planned each time
 * it arrives. PostgreSQL's scanner alone (pg_query_scan, ~3 µs) gives the tokens; the shape is the
 * token sequence with each number and plain string literal replaced by its class, and a cached
 * entry holds the statement parsed once and a plan whose parameters are those literals. The next
 * query of the same shape is scanned, its literals decoded into the parameters, and the plan runs.
 *
 * Which literals become parameters is decided by the binder, not by the tokens: a literal the
 * binder meets as a plain constant is a parameter (sql_bind.c asks pz__lits_match); one it uses
 * for what the plan is (ORDER BY 2, GROUP BY 1, nextval('s'), 'name'::regclass) or that it never
 * sees as one constant (a typmod, a string continued on the next line) stays fixed: the entry
 * matches only queries with the same text there. Each candidate is checked against the AST's
 * value before it becomes a parameter, so a decoder mistake makes a literal fixed, never wrong.
 *
 * Thread-safety: a cache belongs to one connection (one session).
 */
#ifndef PZ_SQL_SHAPE_H
#define PZ_SQL_SHAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "sql_ast.h"
#include "sql_limits.h"
#include "sql_types.h"

/* Literal classes: the parameter type a literal of the class gets, as PostgreSQL types
 * literals (an integer that fits int4, one that fits int8, any other number, a quoted string of
 * type unknown that context resolves). */
typedef enum {
    PZ_LIT_INT4 = 'i',
    PZ_LIT_INT8 = 'l',
    PZ_LIT_NUMERIC = 'n',
    PZ_LIT_STRING = 's'
} pz_lit_cls_t;

/* One literal of a query: the token's bytes and, when a '-' token comes right before it, where
 * that is (the grammar folds `-5` into one constant located at the minus). */
typedef struct {
    uint32_t start, end;
    int32_t minus; /* byte offset of the '-' before it, or -1 */
    uint8_t cls;   /* pz_lit_cls_t */
} pz_shape_lit_t;

/* A scanned query: its shape key and literals. */
typedef struct {
    const char *query;
    uint8_t key[PZ_SQL_SHAPE_KEY_BYTES_MAX];
    uint32_t key_len;
    uint64_t hash;
    pz_shape_lit_t lits[PZ_SQL_SHAPE_LITS_MAX];
    int n_lits;
} pz_shape_t;

/* Scans query into sh. false when the query is not cacheable by shape: several statements, a
 * $n parameter, too long, too many tokens or literals, or a lexical error. */
bool pz_shape_scan(const char *query, pz_shape_t *sh);

/* The literals of one cache entry as the binder sees them (pz_binder_t.lits). */
typedef enum {
    PZ_LIT_UNSEEN = 0, /* the binder never bound it as a constant: fixed */
    PZ_LIT_PARAM,      /* a parameter of the plan */
    PZ_LIT_FIXED       /* met, but its value did not check out: fixed */
} pz_lit_state_t;

typedef struct {
    pz_shape_lit_t lit; /* offsets in the entry's query */
    uint8_t state;      /* pz_lit_state_t */
    bool neg;           /* the constant is the literal negated (the minus folded) */
    int param;          /* 0-based parameter index when PZ_LIT_PARAM, else -1 */
} pz_lit_slot_t;

typedef struct pz_sql_lits {
    const char *query; /* the entry's query text: the offsets above refer to it */
    int n;
    pz_lit_slot_t v[PZ_SQL_SHAPE_LITS_MAX];
    int n_params;
} pz_sql_lits_t;

/* Sets up lits for the shape sh of query (all slots unseen). */
void pz_lits_init(pz_sql_lits_t *lits, const pz_shape_t *sh);

/* The binder's question for a constant e of the query: the slot to bind it as a parameter, or
 * -1 (bind it as a constant). A constant at a literal's place whose value differs from the
 * literal's decoded value marks the slot fixed. */
int pz__lits_match(pz_sql_lits_t *lits, const pz_ast_expr_t *e);

/* The parameter type of a literal class. */
pz_sql_type_t pz_lit_type(uint8_t cls);

/* Whether query (scanned into sh, of the entry's shape) has the entry's text in every literal
 * that is not a parameter, and the same text in literals sharing a parameter (equal numbers
 * share one, so `GROUP BY x + 1` still matches `SELECT x + 1`). */
bool pz_lits_fixed_match(const pz_sql_lits_t *lits, const pz_shape_t *sh);

/* Decodes the parameters of the query scanned into sh for an entry: params[i] of types[i]
 * (what the binder resolved; arena holds the values). 0, or an error in err (a literal that
 * does not convert to its parameter's type: the caller runs the query uncached, which reports
 * PostgreSQL's error with its position). */
int pz_lits_params(const pz_sql_lits_t *lits, const pz_shape_t *sh, const pz_sql_type_t *types,
                   pz_arena_t *arena, const pz_sql_tyenv_t *env, pz_datum_t *params,
                   pz_sql_err_t *err);

#endif
