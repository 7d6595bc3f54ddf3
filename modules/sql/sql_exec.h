/*
 * sql_exec.h — the executor's context and entry points (sql_exec*.c, sql_eval.c), used by the
 * statement runner (sql_conn.c).
 */
#ifndef PZ_SQL_EXEC_H
#define PZ_SQL_EXEC_H

#include <stdatomic.h>

#include "sql_plan.h"

/* Correlated subqueries nest at most this deep (each level keeps its outer row). */
#define PZ_SQL_OUTER_MAX 32
/* Descriptors the executor itself acquires for one statement (FK cascades into child tables). */
#define PZ_SQL_HELD_MAX 64

typedef struct pz_cte_buf pz_cte_buf_t;
struct pz_spill_env;  /* sql_spill.h */
struct pz_spill_stat; /* sql_spill.h */

struct pz_ex {
    pz_arena_t *arena; /* the statement's: plan, buffered rows; its limit is the budget */
    pz_arena_t *tmp;   /* scratch for one output row's expressions: pz_ex_tmp_reset */
    pz_sql_kv_t *kv;
    pz_cat_t *cat;
    const pz_sql_tyenv_t *env;
    pz_sql_fnctx_t fn;
    pz_sql_err_t *err;
    const pz_datum_t *params;
    int n_params;
    const pz_datum_t *outer[PZ_SQL_OUTER_MAX]; /* outer[0]: the innermost enclosing row */
    int n_outer;
    const atomic_bool *cancel;      /* the server stopping: 57P01 */
    const atomic_bool *user_cancel; /* a CancelRequest: 57014 */
    uint64_t ticks;                 /* rows pulled: cancellation is checked every 4096 */
    pz_cte_buf_t **ctes;            /* materialized WITH queries, by cte_id */
    int n_ctes;
    uint64_t deadline_ms;                  /* statement_timeout, 0 none */
    const void *session;                   /* the pz_sql_conn_t, for session values */
    const char *user;                      /* current_user */
    const char *database;                  /* current_database() */
    pz_cat_entry_t *held[PZ_SQL_HELD_MAX]; /* descriptors used by the statement's writes */
    int n_held;
    bool explain_analyze;
    /* work_mem (kB): what one buffering operator keeps in memory before it spills to temp files
     * under spill (NULL: no temp directory, everything stays in memory under the budget). */
    int64_t work_mem_kb;
    struct pz_spill_env *spill;
    struct pz_spill_stat *spill_stats; /* EXPLAIN ANALYZE's per-node memory / disk figures */
    /* Runs of the plan so far (pz_ex_rerun): what one run cached — uncorrelated subquery rows,
     * materialized WITH queries — is not reused by the next. */
    uint32_t run;
};

/* Opens a plan node (and its children) for reading. Returns 0 or an error (ex->err set). */
int pz_pn_open(pz_ex_t *ex, pz_pn_t *pn);
/* The next row: 1 (and *row set), 0 at the end, negative on error. */
int pz_pn_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row);
void pz_pn_close(pz_ex_t *ex, pz_pn_t *pn);
/* Whether a plan may hand up a row that still points into the scratch arena of an earlier
 * row (a join holding its left row): the caller must not reset the scratch between rows. */
bool pz_pn_holds_rows(const pz_pn_t *pn);

/* The stored bytes of the row a SCAN node returned last (valid until its next call). */
pz_view_t pz_scan_raw(const pz_pn_t *pn);

/* Evaluates an expression over a row. Results live in ex->tmp (or are views into the row). */
int pz_bx_eval(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out);
/* a fn b for a comparison row fn, with NULLs: *res 1 true, 0 false, -1 NULL (an operand NULL
 * or the row's answer NULL). */
int pz_bx_compare(pz_ex_t *ex, const pz_sql_fndef_t *fn, const pz_datum_t *a, const pz_datum_t *b,
                  int *res);
/* l fn ANY (items) / ALL (items) with SQL's NULL rules (an empty list: false for ANY, true for
 * ALL). */
int pz_bx_any(pz_ex_t *ex, const pz_sql_fndef_t *fn, bool all, const pz_datum_t *l,
              const pz_datum_t *items, uint32_t n, pz_datum_t *out);
/* A predicate: true only for a non-NULL true (WHERE's rule). */
int pz_bx_test(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, bool *out);

/* Replaces ex->tmp with an empty arena (the previous row's scratch is dead). */
int pz_ex_tmp_reset(pz_ex_t *ex);
/* Allocation in the statement arena, with 53200 when the budget is spent. */
void *pz_ex_alloc(pz_ex_t *ex, size_t bytes);
void *pz_ex_tmp_alloc(pz_ex_t *ex, size_t bytes);
/* Keeps a descriptor reference until the statement ends (pz_ex_release_held). 54000 past
 * PZ_SQL_HELD_MAX. */
int pz_ex_hold(pz_ex_t *ex, pz_cat_entry_t *e);
void pz_ex_release_held(pz_ex_t *ex);
/* Copies a row of n datums into the statement arena. */
pz_datum_t *pz_ex_keep_row(pz_ex_t *ex, const pz_datum_t *row, int n);
/* 57014 when cancelled or past statement_timeout. */
int pz_ex_check_cancel(pz_ex_t *ex);
/* Before the same plan opens again (a server-side retry): forgets the previous run's cached
 * subquery results and materialized WITH queries, which read an older snapshot. */
void pz_ex_rerun(pz_ex_t *ex);

/* Aggregates and window functions (sql_agg.c). An aggregate's running state. */
typedef struct pz_agg_state pz_agg_state_t;
pz_agg_state_t *pz_agg_new(pz_ex_t *ex, const pz_agg_t *agg);
/* The same with everything the state keeps (values, array_agg items, DISTINCT's set) in mem. */
pz_agg_state_t *pz_agg_new_in(pz_ex_t *ex, const pz_agg_t *agg, pz_arena_t *mem);
int pz_agg_step(pz_ex_t *ex, const pz_agg_t *agg, pz_agg_state_t *st, const pz_datum_t *row);
int pz_agg_final(pz_ex_t *ex, const pz_agg_t *agg, pz_agg_state_t *st, pz_datum_t *out);
/* Frees what a state holds outside the statement arena (string_agg's buffer, DISTINCT's set). */
void pz_agg_free(pz_agg_state_t *st);

/* A join's output row: l's columns then r's, NULLs for a missing side (outer joins). */
void pz_join_row(const pz_pn_t *pn, pz_datum_t *out, const pz_datum_t *l, const pz_datum_t *r);

/* Datums in rows compare with NULLs equal (for GROUP BY / DISTINCT / set operations). */
bool pz_row_eq(const pz_datum_t *a, const pz_datum_t *b, int n);
uint64_t pz_row_hash(const pz_datum_t *a, int n);
/* ORDER BY comparison of two datums of one type under a sort key's direction. */
int pz_sort_cmp(const pz_datum_t *a, const pz_datum_t *b, bool desc, bool nulls_first);

/* The key and value of row's entry in secondary index ix of table d (buffers of 4096 bytes);
 * *cond: a unique entry without NULLs (written with a conditional put). sql_dml.c. */
int pz_dml_index_entry(pz_ex_t *ex, const pz_cat_desc_t *d, const pz_cat_index_t *ix,
                       const pz_datum_t *row, uint8_t *key, size_t *kl, uint8_t *val, size_t *vl,
                       bool *cond);

/* Rows buffered in the statement arena (CTEs, virtual tables, set-returning functions). */
typedef struct {
    pz_datum_t **rows;
    uint64_t n, cap, pos;
} pz_rowbuf_t;
int pz_rowbuf_push(pz_ex_t *ex, pz_rowbuf_t *b, const pz_datum_t *row, int ncols);
int pz_rowbuf_next(pz_rowbuf_t *b, pz_datum_t **row);

/* Foreign keys (sql_fk.c). The writes a DML statement is collecting (sql_dml.c's state). */
typedef struct pz_dml_writes pz_dml_writes_t;
/* Adds the deletion / the rewrite of a row of table m->table to the statement's batch. */
int pz_dml_delete_row(pz_ex_t *ex, const pz_dml_t *m, pz_dml_writes_t *w, const pz_datum_t *old);
int pz_dml_update_row(pz_ex_t *ex, const pz_dml_t *m, pz_dml_writes_t *w, pz_datum_t *row,
                      const pz_datum_t *old);
/* Checks a statement's rows against foreign keys before its batch is sent: new rows (INSERT,
 * UPDATE) must find their parent keys (23503); deleted or re-keyed parent rows must have no
 * children (NO ACTION / RESTRICT: 23503) or their children are deleted (CASCADE) or get NULLs
 * (SET NULL), added to the same batch. news/olds: rows of m->table (NULL when none). */
int pz_fk_check(pz_ex_t *ex, const pz_dml_t *m, uint8_t kind, const pz_rowbuf_t *news,
                const pz_rowbuf_t *olds, pz_dml_writes_t *w);

/* A hash table of rows (sql_htab.c). */
typedef struct pz_hent {
    uint64_t hash;
    pz_datum_t *row; /* kept in the statement arena */
    int64_t count;
    struct pz_hent *next;
    struct pz_hent *chain; /* hash join: the next right row with equal keys */
    void *aux;             /* aggregation: the group's states */
} pz_hent_t;

typedef struct {
    pz_hent_t **b;
    uint32_t nb;
    uint64_t n;
    int nkeys;
    pz_arena_t *mem; /* NULL: entries in the statement arena, buckets malloc'd; else all in mem */
} pz_htab_t;

int pz_ht_init(pz_ex_t *ex, pz_htab_t *h, int nkeys);
/* A table whose entries, rows and buckets all live in mem (a spilling operator's own arena, so
 * its whole size is pz_arena_used(mem) and destroying mem frees it); nb buckets to start (a
 * power of two). */
int pz_ht_init_in(pz_ex_t *ex, pz_htab_t *h, int nkeys, pz_arena_t *mem, uint32_t nb);
void pz_ht_free(pz_htab_t *h);
/* The entry whose first nkeys columns equal row's; when absent and `add`, a copy of the row's
 * ncols columns is inserted (*created true). NULL when absent or out of memory (err set). */
pz_hent_t *pz_ht_find(pz_ex_t *ex, pz_htab_t *h, const pz_datum_t *row, int ncols, bool add,
                      bool *created);

#endif
