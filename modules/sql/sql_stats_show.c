/*
 * sql_stats_show.c — CockroachDB's SHOW STATISTICS FOR TABLE t as the PostgreSQL query that
 * answers it, over pg_stats and pg_stat_user_tables (sql_vtab_stats.c).
 *
 * PostgreSQL's grammar cannot parse the statement, so the statement is rewritten before parsing
 * (the pre-parse rewrite of CockroachDB-only statements calls this with the text after FOR
 * TABLE). One row per column statistic, as CockroachDB shows them (without histograms):
 *   statistics_name  '__auto__' (ANALYZE and the refresher name theirs alike)
 *   column_names     text[] of the one column
 *   created          timestamp of the collection (in the session's time zone, UTC unless set:
 *                    AT TIME ZONE is not supported yet)
 *   row_count, distinct_count, null_count   int8 (counts from pg_stats' fractions)
 * The table name is parsed here as an SQL name (unquoted parts folded to lower case, "quoted"
 * parts kept, one or two dots) and written back as a string literal, so no text of the user's
 * reaches the query but as a quoted literal; '<name>'::regclass makes a missing table the
 * same 42P01 error as any query naming it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sql_stats.h"

/* Parts of a qualified name: database.schema.table. */
#define S_NAME_PARTS_MAX 3
/* PostgreSQL's NAMEDATALEN - 1: longer identifiers are refused rather than truncated. */
#define S_IDENT_MAX 63

typedef struct {
    char part[S_NAME_PARTS_MAX][S_IDENT_MAX + 1];
    int n;
} s_name_t;

/* One identifier at *p: "quoted" (doubled quotes inside) or plain (folded to lower case). */
static int s_ident(const char **p, char *out)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '"') {
        for (s++; *s != '\0'; s++) {
            if (*s == '"' && s[1] != '"') {
                break;
            }
            s += *s == '"'; /* "" is one quote */
            if (n == S_IDENT_MAX) {
                return PZ_EINVAL;
            }
            out[n++] = *s;
        }
        if (*s != '"' || n == 0) {
            return PZ_EINVAL;
        }
        s++;
    } else {
        while (isalnum((unsigned char)*s) || *s == '_' || *s == '$' || (unsigned char)*s >= 0x80) {
            if (n == S_IDENT_MAX || (n == 0 && (isdigit((unsigned char)*s) || *s == '$'))) {
                return PZ_EINVAL;
            }
            out[n++] = (char)tolower((unsigned char)*s++);
        }
        if (n == 0) {
            return PZ_EINVAL;
        }
    }
    out[n] = '\0';
    *p = s;
    return 0;
}

static int s_parse(const char *text, s_name_t *nm)
{
    const char *p = text;
    nm->n = 0;
    while (isspace((unsigned char)*p)) {
        p++;
    }
    for (;;) {
        if (nm->n == S_NAME_PARTS_MAX || s_ident(&p, nm->part[nm->n]) != 0) {
            return PZ_EINVAL;
        }
        nm->n++;
        if (*p != '.') {
            break;
        }
        p++;
    }
    while (isspace((unsigned char)*p) || *p == ';') {
        p++;
    }
    return *p == '\0' ? 0 : PZ_EINVAL;
}

/* s as an SQL string literal ('' for each quote) into b; false when it does not fit. */
static bool s_lit(char *b, size_t cap, size_t *len, const char *s)
{
    if (*len + 1 >= cap) {
        return false;
    }
    b[(*len)++] = '\'';
    for (; *s != '\0'; s++) {
        if (*len + 3 >= cap) {
            return false;
        }
        if (*s == '\'') {
            b[(*len)++] = '\'';
        }
        b[(*len)++] = *s;
    }
    b[(*len)++] = '\'';
    b[*len] = '\0';
    return true;
}

static bool s_put(char *b, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= cap) {
        return false;
    }
    memcpy(b + *len, s, n + 1);
    *len += n;
    return true;
}

int pz_sql_show_statistics_query(const char *table_text, char *out, size_t cap)
{
    if (table_text == NULL || out == NULL || cap == 0) {
        return PZ_EINVAL;
    }
    s_name_t nm;
    int rc = s_parse(table_text, &nm);
    if (rc != 0) {
        return rc;
    }
    /* The regclass text: schema.table or table (the binder resolves it as written, without
     * unquoting: parts with a dot cannot be told apart, so they are refused). A database part
     * names the current one (the binder refuses any other as for every query). */
    char reg[2 * S_IDENT_MAX + 2];
    int first = nm.n > 2 ? 1 : 0;
    for (int i = first; i < nm.n; i++) {
        if (strchr(nm.part[i], '.') != NULL) {
            return PZ_EINVAL;
        }
    }
    snprintf(reg, sizeof reg, "%s%s%s", nm.n - first == 2 ? nm.part[first] : "",
             nm.n - first == 2 ? "." : "", nm.part[nm.n - 1]);
    size_t len = 0;
    out[0] = '\0';
    bool ok =
        s_put(out, cap, &len,
              "SELECT '__auto__'::text AS statistics_name, ARRAY[s.attname::text] AS column_names, "
              "t.last_analyze::timestamp AS created, t.n_live_tup AS row_count, "
              "round(CASE WHEN s.n_distinct < 0 THEN -s.n_distinct * t.n_live_tup "
              "ELSE s.n_distinct END)::int8 AS distinct_count, "
              "round(s.null_frac * t.n_live_tup)::int8 AS null_count "
              "FROM pg_stats s JOIN pg_stat_user_tables t ON t.schemaname = s.schemaname "
              "AND t.relname = s.tablename JOIN pg_attribute a ON a.attrelid = t.relid "
              "AND a.attname = s.attname WHERE t.relid = ") &&
        s_lit(out, cap, &len, reg) && s_put(out, cap, &len, "::regclass ORDER BY a.attnum");
    return ok ? 0 : PZ_ETOOBIG;
}
