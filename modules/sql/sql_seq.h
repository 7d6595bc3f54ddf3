/*
 * sql_seq.h — sequence functions at run time: nextval, currval, setval and lastval with
 * PostgreSQL's session semantics (currval and lastval report what this session's nextval got).
 *
 * The stored counter is one KV value per sequence (pz_cat_key_seq): 8 bytes big-endian, the last
 * value handed out (or reserved: see the block cache in sql_seq.c), or 9 bytes — the value and a
 * 1 — after setval(s, v, false): the next nextval returns v itself.
 */
#ifndef PZ_SQL_SEQ_H
#define PZ_SQL_SEQ_H

#include "sql_exec.h"

/* Which sequence function a PZ_BX_NEXTVAL expression is (its sublink field). */
typedef enum { PZ_SEQ_NEXTVAL = 0, PZ_SEQ_CURRVAL, PZ_SEQ_SETVAL, PZ_SEQ_LASTVAL } pz_seqfn_t;

/* Sequences whose last value one session remembers for currval: PostgreSQL keeps every one;
 * a session touching more than this forgets the oldest (currval then reports 55000). */
#define PZ_SQL_SESSION_SEQS_MAX 256

/* A session's sequence state (PostgreSQL's SeqTable and last_used_seq). Zeroed: empty. */
typedef struct pz_sql_seqs {
    uint32_t ids[PZ_SQL_SESSION_SEQS_MAX];
    int64_t vals[PZ_SQL_SESSION_SEQS_MAX];
    int n, evict;
    uint32_t last_id; /* the sequence of the session's last nextval, 0 none */
    int64_t last_val;
} pz_sql_seqs_t;

/* nextval() of a sequence: the next value, stored before it is returned (a conditional put
 * loop, so concurrent sessions never get the same value). Records it in seqs (may be NULL). */
int pz_sql_nextval(pz_ex_t *ex, const pz_cat_desc_t *seq, int64_t *out);

/* Evaluates a sequence function expression x (kind PZ_BX_NEXTVAL, sublink a pz_seqfn_t) over
 * row, using the session's state in seqs (NULL: a statement outside a session; currval and
 * lastval then fail). Errors: 55000 not yet defined in this session, 22003 setval out of
 * bounds, 2200H sequence exhausted. */
int pz_sql_seqfn_eval(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_sql_seqs_t *seqs,
                      pz_datum_t *out);

#endif
