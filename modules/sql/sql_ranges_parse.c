/*
 * sql_ranges_parse.c — recognising CockroachDB's SPLIT AT and SHOW RANGES in a query's text
 * (sql_ranges.h says why before the parse) and building their statements.
 *
 * Only a query that is exactly one such statement is recognised (CockroachDB's users send them
 * alone), by PostgreSQL's own scanner, so comments, quoted names and case work as in any
 * statement. The names follow PostgreSQL's identifier rules: unquoted folded to lower case,
 * "quoted" kept as written.
 */
#include <assert.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sql_parse.h"
#include "sql_ranges.h"

/* Tokens of a range statement's head; a query with more is scanned only this far (the rows of
 * SPLIT AT VALUES can be many, and only the head matters). */
#define S_TOKENS_MAX 64

static bool s_is(const char *q, const pz_sql_token_t *t, const char *word)
{
    size_t n = strlen(word);
    return t->end - t->start == n && strncasecmp(q + t->start, word, n) == 0;
}

/* An identifier token's name: quoted ones unquoted ("" → "), others folded as the grammar
 * does. NULL when the token is not a name (punctuation, a number, a string). */
static const char *s_name(pz_arena_t *a, const char *q, const pz_sql_token_t *t)
{
    const char *s = q + t->start;
    size_t n = t->end - t->start;
    bool quoted = n >= 2 && s[0] == '"' && s[n - 1] == '"';
    if (n == 0 || (!quoted && !isalpha((unsigned char)s[0]) && s[0] != '_')) {
        return NULL;
    }
    char *out = pz_arena_alloc(a, n + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t k = 0;
    for (size_t i = quoted ? 1 : 0; i < (quoted ? n - 1 : n); i++) {
        out[k++] = quoted ? s[i] : (char)tolower((unsigned char)s[i]);
        i += quoted && s[i] == '"' && i + 1 < n - 1 && s[i + 1] == '"';
    }
    out[k] = '\0';
    return out;
}

/* Tokens [i, j) as `[schema.]name[@index]` (table) or `[schema.]index` (index_only). */
static bool s_qname(pz_arena_t *a, const char *q, const pz_sql_token_t *t, int i, int j,
                    bool index_only, pz_ranges_stmt_t *rs)
{
    const char *parts[3] = {0};
    int n = 0, at = -1;
    for (int k = i; k < j; k++) {
        bool sep = (k - i) % 2 == 1;
        if (sep && s_is(q, &t[k], "@") && at < 0 && !index_only) {
            at = n;
        } else if (sep && !s_is(q, &t[k], ".")) {
            return false;
        } else if (!sep && (n == 3 || (parts[n++] = s_name(a, q, &t[k])) == NULL)) {
            return false;
        }
    }
    int rel_n = at >= 0 ? at : n;
    if (n == 0 || (j - i) % 2 == 0 || rel_n > 2 || (at >= 0 && n - at != 1)) {
        return false;
    }
    rs->rel.location = (int)t[i].start + 1;
    if (index_only) {
        rs->rel.schema = n == 2 ? parts[0] : NULL;
        rs->index = parts[n - 1];
        return true;
    }
    rs->rel.schema = rel_n == 2 ? parts[0] : NULL;
    rs->rel.name = parts[rel_n - 1];
    rs->index = at >= 0 ? parts[at] : NULL;
    return true;
}

/* ALTER TABLE|INDEX name SPLIT AT rows: the index of AT's token, or -1. */
static int s_split(pz_arena_t *a, const char *q, const pz_sql_token_t *t, int m,
                   pz_ranges_stmt_t *rs)
{
    if (m < 6 || !s_is(q, &t[0], "alter")) {
        return -1;
    }
    bool table = s_is(q, &t[1], "table");
    if (!table && !s_is(q, &t[1], "index")) {
        return -1;
    }
    int k = 2;
    while (k + 1 < m && !(s_is(q, &t[k], "split") && s_is(q, &t[k + 1], "at"))) {
        k++;
    }
    if (k + 2 >= m) {
        return -1;
    }
    /* ALTER INDEX takes t@i (CockroachDB's form) or a bare index name. */
    bool has_at = false;
    for (int i = 2; i < k; i++) {
        has_at |= s_is(q, &t[i], "@");
    }
    if (!s_qname(a, q, t, 2, k, !table && !has_at, rs) || (table && rs->index != NULL) ||
        (!table && rs->index == NULL)) {
        return -1;
    }
    rs->kind = PZ_AS_SPLIT_AT;
    return k + 1;
}

/* SHOW RANGES [FROM TABLE t | FROM INDEX t@i | FROM INDEX i | FROM DATABASE d]. */
static bool s_show(pz_arena_t *a, const char *q, const pz_sql_token_t *t, int m,
                   pz_ranges_stmt_t *rs)
{
    if (m < 2 || !s_is(q, &t[0], "show") || !s_is(q, &t[1], "ranges")) {
        return false;
    }
    if (m == 2) {
        rs->kind = PZ_AS_SHOW_RANGES;
        rs->obj = PZ_OBJ_DATABASE; /* the current one: database NULL */
        return true;
    }
    if (m < 5 || !s_is(q, &t[2], "from")) {
        return false;
    }
    bool ok = false;
    if (s_is(q, &t[3], "table")) {
        ok = s_qname(a, q, t, 4, m, false, rs) && rs->index == NULL;
        rs->obj = PZ_OBJ_TABLE;
    } else if (s_is(q, &t[3], "index")) {
        bool has_at = false;
        for (int i = 4; i < m; i++) {
            has_at |= s_is(q, &t[i], "@");
        }
        ok = s_qname(a, q, t, 4, m, !has_at, rs) && rs->index != NULL;
        rs->obj = PZ_OBJ_INDEX;
    } else if (s_is(q, &t[3], "database") && m == 5) {
        ok = (rs->database = s_name(a, q, &t[4])) != NULL;
        rs->obj = PZ_OBJ_DATABASE;
    }
    rs->kind = ok ? PZ_AS_SHOW_RANGES : 0;
    return ok;
}

const char *pz_ranges_rewrite(pz_arena_t *a, const char *query, pz_ranges_stmt_t *rs)
{
    assert(a != NULL && query != NULL && rs != NULL);
    memset(rs, 0, sizeof *rs);
    const char *first = query + strspn(query, " \t\r\n");
    if (strncasecmp(first, "alter", 5) != 0 && strncasecmp(first, "show", 4) != 0) {
        return query; /* the common case: no scan */
    }
    pz_sql_token_t t[S_TOKENS_MAX];
    int n = 0;
    int rc = pz_sql_scan(query, t, S_TOKENS_MAX, &n);
    if ((rc != 0 && rc != PZ_ELIMIT) || n == 0) {
        return query; /* the parse reports what is wrong with it */
    }
    int m = n;
    while (rc == 0 && m > 0 && t[m - 1].token == ';') {
        m--;
    }
    for (int i = 0; i < m; i++) {
        if (t[i].token == ';') {
            return query; /* several statements: not ours */
        }
    }
    if (s_show(a, query, t, m, rs)) {
        return rc == 0 ? query : (memset(rs, 0, sizeof *rs), query);
    }
    int at = s_split(a, query, t, m, rs);
    if (at < 0) {
        memset(rs, 0, sizeof *rs);
        return query;
    }
    size_t len = strlen(query);
    char *copy = pz_arena_alloc(a, len + 1);
    if (copy == NULL) {
        memset(rs, 0, sizeof *rs);
        return query;
    }
    memcpy(copy, query, len + 1);
    memset(copy, ' ', t[at].end);
    return copy;
}

int pz_ranges_stmt(pz_arena_t *a, const pz_ranges_stmt_t *rs, pz_ast_stmt_t *rows,
                   pz_ast_stmt_t **out, pz_sql_err_t *err)
{
    assert(a != NULL && rs != NULL && rs->kind != 0 && out != NULL);
    if (rs->kind == PZ_AS_SPLIT_AT && (rows == NULL || rows->kind != PZ_AS_SELECT)) {
        return pz_sql_err_set(err, "42601", "SPLIT AT takes VALUES (...) or a SELECT");
    }
    pz_ast_stmt_t *s = pz_arena_alloc(a, sizeof *s);
    if (s == NULL) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    memset(s, 0, sizeof *s);
    s->kind = rs->kind;
    s->obj = rs->obj;
    s->rel = rs->rel;
    s->name = rs->obj == PZ_OBJ_DATABASE ? rs->database : rs->index;
    s->inner = rows;
    if (rows != NULL) {
        s->location = rows->location;
        s->length = rows->length;
    }
    *out = s;
    return 0;
}
