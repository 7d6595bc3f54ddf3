/*
 * sql_cost.h — the planner's estimates: how many rows a scan, a filter or a join yields, and
 * what reading them costs, from table statistics (sql_stats.h) when there are some and from
 * PostgreSQL's default selectivities when there are none.
 *
 * Costs are in "rows read" units: reading one row of a scan chunk costs 1, a KV round trip
 * PZ_COST_KV_BATCH (a batch costs about as much as decoding a few dozen rows), a row fetched
 * through a secondary index PZ_COST_LOOKUP_ROW more. Only their ratios matter.
 */
#ifndef PZ_SQL_COST_H
#define PZ_SQL_COST_H

#include "sql_plan.h"

#define PZ_COST_KV_BATCH 20.0
#define PZ_COST_LOOKUP_ROW 1.5 /* a secondary index entry's row, fetched by primary key */
#define PZ_COST_SEEK 1.0       /* a lookup join's point read or short scan: a B-tree descent */
#define PZ_COST_HASH_BUILD 2.0 /* per build row: hashing, copying, memory */
#define PZ_COST_HASH_PROBE 1.0
#define PZ_COST_MERGE_ROW 0.5
#define PZ_COST_NL_PAIR 0.2
#define PZ_COST_OUT_ROW 0.1
/* Without statistics: a table's rows (the old planner's guess), distinct values of a column
 * (PostgreSQL's DEFAULT_NUM_DISTINCT), equality and inequality selectivities (its
 * DEFAULT_EQ_SEL and DEFAULT_INEQ_SEL; a two-sided range counts as two inequalities). */
#define PZ_COST_DEFAULT_ROWS 1000.0
#define PZ_COST_DEFAULT_NDV 200.0
#define PZ_COST_DEFAULT_EQ_SEL 0.005
#define PZ_COST_DEFAULT_INEQ_SEL (1.0 / 3.0)
/* A left batch of a lookup join: one KV batch (two through a secondary index) per this many
 * left rows (sql_join.c uses it too). */
#define PZ_LOOKUP_BATCH_ROWS 512

/* Pure arithmetic (unit-tested). */
/* col = constant with ndv distinct non-NULL values and null_frac NULLs. */
double pz_cost_eq_sel(double ndv, double null_frac);
/* |L ⋈ R| on one equality: |L|·|R| / max(ndv_l, ndv_r). */
double pz_cost_join_rows(double l_rows, double r_rows, double ndv_l, double ndv_r);
/* The left rows a semi join keeps (anti: the others) on one equality with ndv_l / ndv_r
 * distinct values on either side: all when the right side has as many, else ndv_r / ndv_l of
 * them (PostgreSQL's eqjoinsel_semi without statistics of the values themselves). */
double pz_cost_semi_rows(double l_rows, double ndv_l, double ndv_r, bool anti);
/* a OR b for independent predicates. */
double pz_cost_or_sel(double a, double b);
/* Reading rows through an index: the rows read, the spans (one batch each, at least), and
 * whether every row needs a second read by primary key (a secondary index). */
double pz_cost_index_read(double rows, double spans, bool secondary);

/* The table's row count of a SCAN (statistics or the default); sets scan->table_rows,
 * est_rows and est_cost for a full scan. */
void pz_cost_scan_init(pz_pn_t *scan);
/* Distinct values and NULL fraction of output column col of a node (followed through FILTER
 * and PROJECT of columns down to a SCAN; defaults elsewhere), capped by the node's rows. */
double pz_cost_ndv(const pz_pn_t *pn, int col);
double pz_cost_null_frac(const pz_pn_t *pn, int col);
/* The fraction of pn's rows a predicate over pn's output keeps. */
double pz_cost_sel(const pz_pn_t *pn, const pz_bx_t *x);
/* Chooses the index of a scan by cost from the conjuncts pushed into it (over the table's
 * columns), setting its span, est_rows and est_cost. */
void pz_cost_choose_index(pz_pn_t *scan, pz_bx_t **cj, int n);
/* Whether output column col of pn is table column *tc of a SCAN (through FILTERs and column
 * PROJECTs); *scan set. */
bool pz_cost_col_origin(const pz_pn_t *pn, int col, const pz_pn_t **scan, int *tc);

#endif
