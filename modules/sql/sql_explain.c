/*
 * sql_explain.c — EXPLAIN and EXPLAIN ANALYZE: the plan as indented text lines, one row each, in
 * a single "QUERY PLAN" column as PostgreSQL prints it. The plan is ours, so the node names and
 * details are ours (a SCAN says which index and whether key spans bound it); ANALYZE runs the
 * statement (its writes too, as PostgreSQL's does) and adds the rows each node produced, the KV
 * batches sent and the time taken.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sql_bind.h"
#include "sql_conn.h"
#include "sql_ddl.h"
#include "sql_spill.h"

static const char *s_kind(const pz_pn_t *pn)
{
    static const char *const names[] = {[PZ_PN_SCAN] = "Scan",
                                        [PZ_PN_VALUES] = "Values",
                                        [PZ_PN_FILTER] = "Filter",
                                        [PZ_PN_PROJECT] = "Project",
                                        [PZ_PN_NLJOIN] = "Nested Loop",
                                        [PZ_PN_HASHJOIN] = "Hash Join",
                                        [PZ_PN_AGG] = "HashAggregate",
                                        [PZ_PN_SORT] = "Sort",
                                        [PZ_PN_LIMIT] = "Limit",
                                        [PZ_PN_DISTINCT] = "Distinct",
                                        [PZ_PN_SETOP] = "SetOp",
                                        [PZ_PN_WINDOW] = "WindowAgg",
                                        [PZ_PN_VTAB] = "Virtual Table",
                                        [PZ_PN_FUNCSCAN] = "Function Scan",
                                        [PZ_PN_CTE] = "CTE Scan",
                                        [PZ_PN_RECURSIVE] = "Recursive Union",
                                        [PZ_PN_WORKTABLE] = "WorkTable Scan",
                                        [PZ_PN_INSERT] = "Insert",
                                        [PZ_PN_UPDATE] = "Update",
                                        [PZ_PN_DELETE] = "Delete",
                                        [PZ_PN_LOOKUPJOIN] = "Lookup Join",
                                        [PZ_PN_MERGEJOIN] = "Merge Join"};
    return pn->kind < sizeof names / sizeof names[0] && names[pn->kind] ? names[pn->kind] : "?";
}

/* A semi / anti join's name, as PostgreSQL prints it ("Hash Semi Join", "Nested Loop Anti
 * Join"); NULL for any other node. */
static const char *s_semi_kind(const pz_pn_t *pn)
{
    static const char *const names[][2] = {
        [PZ_PN_NLJOIN] = {"Nested Loop Semi Join", "Nested Loop Anti Join"},
        [PZ_PN_HASHJOIN] = {"Hash Semi Join", "Hash Anti Join"},
        [PZ_PN_LOOKUPJOIN] = {"Lookup Semi Join", "Lookup Anti Join"}};
    if (pn->join < PZ_JOIN_SEMI || pn->kind >= sizeof names / sizeof names[0] ||
        names[pn->kind][0] == NULL) {
        return NULL;
    }
    return names[pn->kind][pn->join == PZ_JOIN_ANTI];
}

static int s_line(const pz_sql_sink_t *sink, const char *text)
{
    pz_datum_t d = pz_datum_bytes(PZ_TY_TEXT, text, (uint32_t)strlen(text));
    return sink->row(sink->ctx, &d, 1);
}

/* kB rounded up, as PostgreSQL prints memory and disk use. */
static unsigned long long s_kb(uint64_t bytes)
{
    return (unsigned long long)((bytes + 1023) / 1024);
}

/* EXPLAIN ANALYZE's line on how a buffering node used memory and temp files, in PostgreSQL's
 * words: a sort's method, a hash node's batches (1 when it never spilled). */
static int s_spill_line(const pz_sql_sink_t *sink, const pz_ex_t *ex, const pz_pn_t *pn, int depth)
{
    const pz_spill_stat_t *st = pz_spill_stat_find(ex, pn);
    if (st == NULL) {
        return 0;
    }
    char line[256];
    int ind = depth * 6 + 2;
    if (pn->kind == PZ_PN_SORT && st->runs > 0) {
        snprintf(line, sizeof line, "%*sSort Method: external merge  Disk: %llukB", ind, "",
                 s_kb(st->disk_bytes));
    } else if (pn->kind == PZ_PN_SORT) {
        snprintf(line, sizeof line, "%*sSort Method: %s  Memory: %llukB", ind, "",
                 st->topn ? "top-N heapsort" : "quicksort", s_kb(st->mem_peak_bytes));
    } else if (st->disk_bytes > 0) {
        snprintf(line, sizeof line, "%*sBatches: %u  Memory Usage: %llukB  Disk Usage: %llukB", ind,
                 "", st->batches, s_kb(st->mem_peak_bytes), s_kb(st->disk_bytes));
    } else {
        snprintf(line, sizeof line, "%*sBatches: 1  Memory Usage: %llukB", ind, "",
                 s_kb(st->mem_peak_bytes));
    }
    return s_line(sink, line);
}

static int s_node(const pz_sql_sink_t *sink, const pz_ex_t *ex, const pz_pn_t *pn, int depth,
                  bool analyze)
{
    char line[512];
    const char *semi = s_semi_kind(pn);
    int n = snprintf(line, sizeof line, "%*s%s%s", depth ? depth * 6 - 4 : 0, "",
                     depth ? "->  " : "", semi ? semi : s_kind(pn));
    const char *joins[] = {"Inner", "Left", "Right", "Full", "Cross"};
    if (pn->kind == PZ_PN_SCAN) {
        const pz_cat_desc_t *d = &pn->table->d;
        n += snprintf(line + n, sizeof line - (size_t)n, " on %.*s using %.*s", (int)d->name.len,
                      d->name.ptr, (int)(pn->index ? pn->index->name.len : d->indexes[0].name.len),
                      pn->index ? pn->index->name.ptr : d->indexes[0].name.ptr);
        if (pn->has_span) {
            n += snprintf(line + n, sizeof line - (size_t)n, " (%s)",
                          pn->span.n_in   ? "IN points"
                          : pn->span.n_eq ? "key equality"
                                          : "key range");
        } else {
            n += snprintf(line + n, sizeof line - (size_t)n, " (full)");
        }
    } else if (semi == NULL && (pn->kind == PZ_PN_NLJOIN || pn->kind == PZ_PN_HASHJOIN ||
                                pn->kind == PZ_PN_MERGEJOIN)) {
        n += snprintf(line + n, sizeof line - (size_t)n, " (%s)", joins[pn->join % 5]);
    } else if (pn->kind == PZ_PN_LOOKUPJOIN) {
        /* The right side is read by the join, not run: named here instead of as a child. */
        const pz_cat_desc_t *d = &pn->right->table->d;
        const pz_cat_index_t *ix = pn->right->index ? pn->right->index : &d->indexes[0];
        /* A semi / anti join's name says its type already. */
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s%s on %.*s using %.*s (%d key%s)",
                      semi ? "" : " (", semi ? "" : joins[pn->join % 5], semi ? "" : ")",
                      (int)d->name.len, d->name.ptr, (int)ix->name.len, ix->name.ptr, pn->n_keys,
                      pn->n_keys == 1 ? "" : "s");
    }
    if (n < (int)sizeof line) {
        n += snprintf(line + n, sizeof line - (size_t)n, "  (rows=%.0f)",
                      pn->est_rows < 1 ? 1 : pn->est_rows);
    }
    if (analyze && n < (int)sizeof line) {
        snprintf(line + n, sizeof line - (size_t)n, " (actual rows=%llu)",
                 (unsigned long long)pn->act_rows);
    }
    int rc = s_line(sink, line);
    if (rc == 0 && pn->kind == PZ_PN_FILTER) {
        snprintf(line, sizeof line, "%*sFilter: (a predicate)", depth * 6 + 2, "");
        rc = s_line(sink, line);
    }
    if (rc == 0 && analyze) {
        rc = s_spill_line(sink, ex, pn, depth);
    }
    if (rc == 0 && pn->left != NULL) {
        rc = s_node(sink, ex, pn->left, depth + 1, analyze);
    }
    if (rc == 0 && pn->right != NULL && pn->kind != PZ_PN_LOOKUPJOIN) {
        rc = s_node(sink, ex, pn->right, depth + 1, analyze);
    }
    return rc;
}

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int pz_sql_explain(pz_binder_t *b, const pz_ast_stmt_t *s, const void *sink_v, char *tag)
{
    const pz_sql_sink_t *sink = sink_v;
    const pz_ast_stmt_t *in = s->inner;
    if (in == NULL || (in->kind != PZ_AS_SELECT && in->kind != PZ_AS_INSERT &&
                       in->kind != PZ_AS_UPDATE && in->kind != PZ_AS_DELETE)) {
        return pz_sql_err_set(b->ex->err, "0A000", "EXPLAIN of this statement is not supported");
    }
    pz_pn_t *plan = NULL;
    int rc = pz_bind_stmt(b, in, &plan);
    uint64_t t0 = s_now_us(), batches0 = b->ex->kv->batches, rows = 0;
    if (rc == 0 && s->analyze) {
        b->ex->explain_analyze = true;
        rc = pz_pn_open(b->ex, plan);
        pz_datum_t *r;
        while (rc == 0 && (rc = pz_pn_next(b->ex, plan, &r)) == 1) {
            rows++;
            rc = 0;
        }
        pz_pn_close(b->ex, plan);
    }
    pz_sql_col_t col = {"QUERY PLAN", PZ_SQL_TYPE(PZ_TY_TEXT)};
    rc = rc ? rc : sink->columns(sink->ctx, &col, 1);
    rc = rc ? rc : s_node(sink, b->ex, plan, 0, s->analyze);
    if (rc == 0 && s->analyze) {
        char line[160];
        snprintf(line, sizeof line, "Execution Time: %.3f ms (%llu rows, %llu KV batches)",
                 (double)(s_now_us() - t0) / 1000.0, (unsigned long long)rows,
                 (unsigned long long)(b->ex->kv->batches - batches0));
        rc = s_line(sink, line);
    }
    snprintf(tag, 64, "EXPLAIN");
    return rc;
}
