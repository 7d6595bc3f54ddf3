/*
 * sql_crdb.c — CockroachDB's statements that PostgreSQL's grammar lacks, turned into the
 * PostgreSQL statements they mean before libpg_query parses the text.
 *
 * Why a rewrite of the text: the grammar is PostgreSQL's own (libpg_query), so `UPSERT INTO t ...`
 * and `SHOW COLUMNS FROM t` are syntax errors to it, yet CockroachDB's users and tools send them.
 *   - UPSERT INTO ... becomes INSERT INTO ... (same length, so error positions stay right) and the
 *     statement is marked upsert: the binder adds ON CONFLICT on the primary key updating the
 *     columns the statement writes (all of them without a column list), CockroachDB's meaning.
 *   - SHOW TABLES [FROM schema], SHOW DATABASES, SHOW SCHEMAS, SHOW COLUMNS FROM t and SHOW
 *     STATISTICS FOR TABLE t (sql_stats_show.c) become SELECTs over pg_catalog with CockroachDB's
 *     column names; only as the whole query string.
 * Everything else is left alone, and a query that cannot contain these words is not scanned.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <pg_query/pg_query.pb-c.h>

#include "phantomzero/errors.h"
#include "sql_crdb.h"
#include "sql_parse.h"
#include "sql_stats.h"

/* Tokens scanned looking for UPSERT: a query longer than this is not rewritten (an UPSERT of
 * thousands of rows is still found: only statement starts matter, and the scan stops there). */
#define S_TOKENS_MAX 200000

static const char *s_dup(pz_arena_t *a, const char *s, size_t n)
{
    char *p = pz_arena_alloc(a, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* The SELECT a CockroachDB SHOW means, or NULL. toks[0] is SHOW, n excludes trailing ';'. */
static const char *s_show(pz_arena_t *a, const char *q, const pz_sql_token_t *t, int n)
{
    static const char *const tables =
        "SELECT n.nspname AS schema_name, c.relname AS table_name, CASE c.relkind WHEN 'r' "
        "THEN 'table' WHEN 'v' THEN 'view' ELSE 'sequence' END AS type, "
        "pg_catalog.pg_get_userbyid(c.relowner) AS owner, "
        "CASE WHEN c.relkind = 'r' THEN greatest(c.reltuples, 0)::int8 END AS "
        "estimated_row_count FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
        "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'v', 'S') AND n.nspname NOT IN "
        "('pg_catalog', 'information_schema')";
    char buf[2048];
    if (n == 2 && pz_sql_tok_is(q, &t[1], "databases")) {
        return "SELECT datname AS database_name, pg_catalog.pg_get_userbyid(datdba) AS owner "
               "FROM pg_catalog.pg_database ORDER BY 1";
    }
    if (n == 2 && pz_sql_tok_is(q, &t[1], "schemas")) {
        return "SELECT nspname AS schema_name, pg_catalog.pg_get_userbyid(nspowner) AS owner "
               "FROM pg_catalog.pg_namespace ORDER BY 1";
    }
    if (n == 2 && pz_sql_tok_is(q, &t[1], "tables")) {
        snprintf(buf, sizeof buf, "%s ORDER BY 1, 2", tables);
        return s_dup(a, buf, strlen(buf));
    }
    if (n == 4 && pz_sql_tok_is(q, &t[1], "tables") && pz_sql_tok_is(q, &t[2], "from") &&
        t[3].token == PG_QUERY__TOKEN__IDENT && t[3].end - t[3].start < 128) {
        char schema[128];
        size_t len = t[3].end - t[3].start;
        for (size_t i = 0; i < len; i++) { /* an unquoted name: folded, as the grammar does */
            char ch = q[t[3].start + i];
            schema[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
        }
        snprintf(buf, sizeof buf, "%s AND n.nspname = '%.*s' ORDER BY 1, 2", tables, (int)len,
                 schema);
        return s_dup(a, buf, strlen(buf));
    }
    if (n >= 5 && pz_sql_tok_is(q, &t[1], "statistics") && pz_sql_tok_is(q, &t[2], "for") &&
        pz_sql_tok_is(q, &t[3], "table")) {
        size_t len = t[n - 1].end - t[4].start;
        char name[256];
        if (len >= sizeof name) {
            return NULL;
        }
        memcpy(name, q + t[4].start, len);
        name[len] = '\0';
        return pz_sql_show_statistics_query(name, buf, sizeof buf) == 0 ? s_dup(a, buf, strlen(buf))
                                                                        : NULL;
    }
    if (n >= 4 && pz_sql_tok_is(q, &t[1], "columns") && pz_sql_tok_is(q, &t[2], "from")) {
        const char *name = q + t[3].start;
        size_t len = t[n - 1].end - t[3].start;
        for (size_t i = 0; i < len; i++) {
            if (name[i] == '\'' || name[i] == '\\') {
                return NULL; /* not a relation name: let the grammar say so */
            }
        }
        snprintf(buf, sizeof buf,
                 "SELECT a.attname AS column_name, pg_catalog.format_type(a.atttypid, "
                 "a.atttypmod) AS data_type, NOT a.attnotnull AS is_nullable, "
                 "pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS column_default "
                 "FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON "
                 "d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = "
                 "'%.*s'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                 (int)len, name);
        return s_dup(a, buf, strlen(buf));
    }
    return NULL;
}

const char *pz_crdb_rewrite(pz_arena_t *a, const char *query, int *upsert_at, int max,
                            int *n_upsert)
{
    assert(a != NULL && query != NULL && upsert_at != NULL && n_upsert != NULL);
    *n_upsert = 0;
    bool upsert = pz_sql_contains_ci(query, "upsert");
    const char *first = query + strspn(query, " \t\r\n");
    bool show = strncasecmp(first, "show", 4) == 0; /* rewritten only as the whole query */
    if (!upsert && !show) {
        return query;
    }
    size_t qlen = strlen(query);
    int cap = qlen < S_TOKENS_MAX ? (int)qlen + 1 : S_TOKENS_MAX;
    pz_sql_token_t *t = pz_arena_alloc(a, sizeof *t * (size_t)cap);
    int n = 0;
    if (t == NULL || pz_sql_scan(query, t, cap, &n) != 0 || n == 0) {
        return query; /* the parse reports what is wrong with it */
    }
    int m = n;
    while (m > 0 && t[m - 1].token == ';') {
        m--;
    }
    if (show && m >= 2 && pz_sql_tok_is(query, &t[0], "show")) {
        bool one = true;
        for (int i = 0; i < m; i++) {
            one &= t[i].token != ';';
        }
        const char *sel = one ? s_show(a, query, t, m) : NULL;
        if (sel != NULL) {
            return sel;
        }
    }
    char *copy = NULL;
    for (int i = 0; upsert && i + 1 < n; i++) {
        /* A statement's first word, or EXPLAIN [ANALYZE]'s statement. */
        bool start = i == 0 || t[i - 1].token == ';' ||
                     pz_sql_tok_is(query, &t[i - 1], "explain") ||
                     pz_sql_tok_is(query, &t[i - 1], "analyze");
        if (!start || !pz_sql_tok_is(query, &t[i], "upsert") ||
            !pz_sql_tok_is(query, &t[i + 1], "into") || *n_upsert == max) {
            continue;
        }
        if (copy == NULL && (copy = (char *)s_dup(a, query, qlen)) == NULL) {
            return query;
        }
        memcpy(copy + t[i].start, "INSERT", 6);
        upsert_at[(*n_upsert)++] = (int)t[i].start;
    }
    return copy != NULL ? copy : query;
}
