/*
 * sql_ast_text.c — the source text of DEFAULT / CHECK expressions and of view (and CREATE
 * TABLE AS) queries, which the catalog stores as text.
 *
 * Why slicing and not deparsing: libpg_query's deparser (pg_query_deparse_protobuf) would need
 * the subtree re-packed into a whole ParseResult and returns a normalized rendering; the
 * statement's own text is exact by construction (it parses to the very subtree we translated)
 * and is what the user wrote. The tree does not say where an expression ends (an A_Expr's
 * location is its operator's), so the statement is tokenized with the grammar's own scanner
 * (pg_query_scan): the bounds are then found among tokens, never inside a string literal,
 * a quoted identifier or a comment, and parentheses are counted exactly:
 *   - CHECK: the tokens between the parentheses after the CHECK keyword at or after the
 *     constraint's location;
 *   - DEFAULT: the tokens after the DEFAULT keyword, up to the next constraint or COLLATE of
 *     the column (their locations are known) or a ',' / ')' outside parentheses;
 *   - ALTER COLUMN SET DEFAULT: the same after the nth SET DEFAULT token pair (the commands carry
 *     no location; ON DELETE / ON UPDATE SET DEFAULT pairs are skipped);
 *   - view / CREATE TABLE AS queries: everything after the first AS outside parentheses that
 *     follows the relation name, to the end of the statement.
 * Leading and trailing comments are left out; comments inside are kept.
 */
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "sql_ast_int.h"

static bool s_is_comment(int t)
{
    return t == PG_QUERY__TOKEN__SQL_COMMENT || t == PG_QUERY__TOKEN__C_COMMENT;
}

/* Tokenizes the current statement once (its bytes copied so the scan stops at its end). */
static int s_scan(pz__ab_t *b)
{
    if (b->scanned) {
        return 0;
    }
    size_t len = (size_t)(b->stmt_end - b->stmt_start);
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return pz__ab_nomem(b);
    }
    memcpy(copy, b->query + b->stmt_start, len);
    copy[len] = '\0';
    PgQueryScanResult r = pg_query_scan(copy);
    free(copy);
    PgQuery__ScanResult *sr = NULL;
    int rc = 0;
    if (r.error != NULL || (sr = pg_query__scan_result__unpack(
                                NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data)) == NULL) {
        rc = pz__ab_fail(b, "XX000", -1, "cannot tokenize the statement");
    } else {
        b->toks = pz__ab_alloc(b, sizeof *b->toks * (sr->n_tokens + 1));
        if (b->toks == NULL) {
            rc = PZ_ENOMEM;
        } else {
            for (size_t i = 0; i < sr->n_tokens; i++) {
                b->toks[i].start = sr->tokens[i]->start + b->stmt_start;
                b->toks[i].end = sr->tokens[i]->end + b->stmt_start;
                b->toks[i].token = (int)sr->tokens[i]->token;
            }
            b->n_toks = (int)sr->n_tokens;
            b->scanned = true;
        }
    }
    if (sr != NULL) {
        pg_query__scan_result__free_unpacked(sr, NULL);
    }
    pg_query_free_scan_result(r);
    return rc;
}

/* The text of tokens [i0, i1], comments at both ends left out. */
static int s_text(pz__ab_t *b, int i0, int i1, const char **out)
{
    while (i0 <= i1 && s_is_comment(b->toks[i0].token)) {
        i0++;
    }
    while (i1 >= i0 && s_is_comment(b->toks[i1].token)) {
        i1--;
    }
    if (i0 > i1) {
        return pz__ab_fail(b, "XX000", -1, "cannot find the expression's text");
    }
    *out = pz__ab_slice(b, b->toks[i0].start, b->toks[i1].end);
    return *out != NULL ? 0 : PZ_ENOMEM;
}

static int s_find(const pz__ab_t *b, int from, int token)
{
    for (int i = 0; i < b->n_toks; i++) {
        if (b->toks[i].start >= from && b->toks[i].token == token) {
            return i;
        }
    }
    return -1;
}

/* An expression starting at token i0, up to byte `limit` or a ',' ')' ';' at depth 0. */
static int s_expr_from(pz__ab_t *b, int i0, int limit, const char **out)
{
    int depth = 0, last = i0 - 1;
    for (int j = i0; j < b->n_toks; j++) {
        int t = b->toks[j].token;
        if (b->toks[j].start >= limit) {
            break;
        }
        if (depth == 0 && (t == PG_QUERY__TOKEN__ASCII_44 || t == PG_QUERY__TOKEN__ASCII_41 ||
                           t == PG_QUERY__TOKEN__ASCII_59)) {
            break;
        }
        depth += t == PG_QUERY__TOKEN__ASCII_40 || t == PG_QUERY__TOKEN__ASCII_91;
        depth -= t == PG_QUERY__TOKEN__ASCII_41 || t == PG_QUERY__TOKEN__ASCII_93;
        last = j;
    }
    return s_text(b, i0, last, out);
}

int pz__ab_default_text(pz__ab_t *b, int from, int limit, const char **out)
{
    int rc = s_scan(b);
    if (rc != 0) {
        return rc;
    }
    int i = s_find(b, from, PG_QUERY__TOKEN__DEFAULT);
    if (i < 0) {
        return pz__ab_fail(b, "XX000", from, "cannot find the DEFAULT expression's text");
    }
    return s_expr_from(b, i + 1, limit, out);
}

int pz__ab_check_text(pz__ab_t *b, int from, const char **out)
{
    int rc = s_scan(b);
    if (rc != 0) {
        return rc;
    }
    int i = s_find(b, from, PG_QUERY__TOKEN__CHECK);
    if (i < 0 || i + 1 >= b->n_toks || b->toks[i + 1].token != PG_QUERY__TOKEN__ASCII_40) {
        return pz__ab_fail(b, "XX000", from, "cannot find the CHECK expression's text");
    }
    int depth = 0;
    for (int j = i + 1; j < b->n_toks; j++) {
        int t = b->toks[j].token;
        depth += t == PG_QUERY__TOKEN__ASCII_40;
        depth -= t == PG_QUERY__TOKEN__ASCII_41;
        if (depth == 0) {
            return s_text(b, i + 2, j - 1, out);
        }
    }
    return pz__ab_fail(b, "XX000", from, "cannot find the CHECK expression's text");
}

/* The token before i that is not a comment, or -1. */
static int s_prev(const pz__ab_t *b, int i)
{
    for (i--; i >= 0 && s_is_comment(b->toks[i].token); i--) {
    }
    return i;
}

int pz__ab_set_default_text(pz__ab_t *b, int nth, const char **out)
{
    int rc = s_scan(b);
    if (rc != 0) {
        return rc;
    }
    int seen = 0;
    for (int j = 0; j + 1 < b->n_toks; j++) {
        if (b->toks[j].token != PG_QUERY__TOKEN__SET ||
            b->toks[j + 1].token != PG_QUERY__TOKEN__DEFAULT) {
            continue;
        }
        int p = s_prev(b, j);
        if (p >= 0 && (b->toks[p].token == PG_QUERY__TOKEN__DELETE_P ||
                       b->toks[p].token == PG_QUERY__TOKEN__UPDATE)) {
            continue; /* ON DELETE SET DEFAULT: a foreign key action */
        }
        if (seen++ == nth) {
            return s_expr_from(b, j + 2, INT32_MAX, out);
        }
    }
    return pz__ab_fail(b, "XX000", -1, "cannot find the SET DEFAULT expression's text");
}

int pz__ab_query_text(pz__ab_t *b, int from, const char **out)
{
    int rc = s_scan(b);
    if (rc != 0) {
        return rc;
    }
    int depth = 0, as = -1;
    for (int j = 0; j < b->n_toks && as < 0; j++) {
        int t = b->toks[j].token;
        if (b->toks[j].start < from) {
            if (t == PG_QUERY__TOKEN__RECURSIVE) { /* CREATE RECURSIVE VIEW: the tree is
                                                      rewritten, the text is not */
                return pz__ab_refuse(b, b->toks[j].start, "recursive views are not supported");
            }
            continue;
        }
        depth += t == PG_QUERY__TOKEN__ASCII_40;
        depth -= t == PG_QUERY__TOKEN__ASCII_41;
        as = depth == 0 && t == PG_QUERY__TOKEN__AS ? j : -1;
    }
    if (as < 0) {
        return pz__ab_fail(b, "XX000", from, "cannot find the query's text");
    }
    int last = b->n_toks - 1;
    while (last > as && (s_is_comment(b->toks[last].token) ||
                         b->toks[last].token == PG_QUERY__TOKEN__ASCII_59)) {
        last--;
    }
    if (last > as && b->toks[last].token == PG_QUERY__TOKEN__DATA_P) { /* WITH [NO] DATA */
        int p = s_prev(b, last);
        if (p > as && b->toks[p].token == PG_QUERY__TOKEN__NO) {
            p = s_prev(b, p);
        }
        if (p > as && b->toks[p].token == PG_QUERY__TOKEN__WITH) {
            last = s_prev(b, p);
        }
    }
    return s_text(b, as + 1, last, out);
}
