/*
 * sql_aost.c — AS OF SYSTEM TIME (CockroachDB's historical reads; sql_aost.h).
 *
 * The clause: `SELECT ... FROM t AS OF SYSTEM TIME expr [WHERE ...]`, `BEGIN [TRANSACTION] AS OF
 * SYSTEM TIME expr`, `SET TRANSACTION AS OF SYSTEM TIME expr`. PostgreSQL's grammar knows none
 * of them, so the clause is cut out of the text before libpg_query sees it (as sql_crdb.c does
 * for UPSERT): the text is tokenized with PostgreSQL's own scanner, so a string or a comment
 * that happens to say "as of system time" is never touched, and the expression's extent is
 * decided by the forms below rather than by guessing where the next clause begins. The
 * expression's text rides on the statement (pz_ast_stmt_t.as_of) and is evaluated each time the
 * statement runs: a relative timestamp ('-5s') means five seconds before *that* run, and a
 * prepared statement keeps meaning it.
 *
 * The forms (CockroachDB's, docs "AS OF SYSTEM TIME"):
 *   1700000000000000000             an integer: nanoseconds since the Unix epoch
 *   1700000000000000000.0000000001  a decimal: wall nanoseconds . logical (10 digits), the HLC
 *   '...'                           a string holding one of those, a timestamp, or a negative
 *                                   interval ('-5s', '-1h30m', '-10 minutes') added to now
 *   interval '-10m', '-5s'::interval, timestamp '...', '...'::timestamptz, '...'::decimal
 *   follower_read_timestamp()       now - 4.8 s (experimental_follower_read_timestamp() too)
 * A timestamp in the future is refused (the present is not settled yet), as is a non-negative
 * interval.
 *
 * How a statement reads at it (pz_aost_stmt_start): outside a block, as non-transactional reads
 * with header.ts = the timestamp (sql_kv.c), with writes refused (25006). Such a read records
 * the timestamp in the timestamp cache like any read, which is what serializability needs: a
 * transaction still pending below it that later writes a key it read is pushed above it and
 * must refresh, so the history the AOST read saw never changes under it; it cannot push anyone
 * else forward (its timestamp is in the past, below every new write). Inside a block the block's
 * own timestamp applies (BEGIN AS OF SYSTEM TIME: the coordinator pins read_ts and the block is
 * read-only); a statement may repeat it but not name another. Catalog lookups use the current
 * descriptors (CockroachDB uses the historical ones): a table dropped since cannot be read back.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pg_query/pg_query.pb-c.h>

#include "phantomzero/errors.h"
#include "sql_aost.h"
#include "sql_datetime.h"
#include "sql_parse.h"

/* Tokens scanned for one query or one expression (a longer query is not looked at: it cannot
 * carry the clause usefully, and the parse then reports the clause as a syntax error). */
#define S_TOKENS_MAX 200000
/* Logical digits after the decimal point: CockroachDB's HLC decimal. */
#define S_LOGICAL_DIGITS 10
/* Unix nanoseconds of 2000-01-01 (PostgreSQL's timestamp epoch) in microseconds. */
#define S_PG_EPOCH_UNIX_US 946684800000000LL
#define S_NS_PER_DAY 86400000000000LL

/* The index after the timestamp expression starting at t[i], or -1 when none of the forms
 * starts there. */
static int s_form_end(const char *q, const pz_sql_token_t *t, int i, int n)
{
    if (i >= n) {
        return -1;
    }
    int k = t[i].token;
    if (k == '-' && i + 1 < n &&
        (t[i + 1].token == PG_QUERY__TOKEN__ICONST || t[i + 1].token == PG_QUERY__TOKEN__FCONST)) {
        return i + 2;
    }
    if (k == PG_QUERY__TOKEN__ICONST || k == PG_QUERY__TOKEN__FCONST) {
        return i + 1;
    }
    if (k == PG_QUERY__TOKEN__SCONST) {
        return i + 1 < n && t[i + 1].token == PG_QUERY__TOKEN__TYPECAST && i + 2 < n ? i + 3
                                                                                     : i + 1;
    }
    if ((k == PG_QUERY__TOKEN__INTERVAL || k == PG_QUERY__TOKEN__TIMESTAMP ||
         k == PG_QUERY__TOKEN__IDENT) &&
        i + 1 < n && t[i + 1].token == PG_QUERY__TOKEN__SCONST) {
        return i + 2;
    }
    if (k == PG_QUERY__TOKEN__IDENT && i + 2 < n && t[i + 1].token == '(' &&
        t[i + 2].token == ')') {
        return i + 3;
    }
    (void)q;
    return -1;
}

/* The statement's first token (the one after the previous ';'). */
static int s_stmt_first(const pz_sql_token_t *t, int i)
{
    while (i > 0 && t[i - 1].token != ';') {
        i--;
    }
    return i;
}

/* Blanks [from, to) of copy; in a transaction statement writes READ ONLY at its start. */
static void s_blank(char *copy, const char *q, const pz_sql_token_t *t, int first, size_t from,
                    size_t to)
{
    memset(copy + from, ' ', to - from);
    bool txn = pz_sql_tok_is(q, &t[first], "begin") || pz_sql_tok_is(q, &t[first], "start") ||
               pz_sql_tok_is(q, &t[first], "set");
    if (txn && to - from >= 9) {
        memcpy(copy + from, "READ ONLY", 9);
    }
}

int pz_aost_strip(pz_arena_t *a, const char **query, pz_aost_clause_t *out, int max, int *n,
                  pz_sql_err_t *err)
{
    assert(a != NULL && query != NULL && *query != NULL && out != NULL && n != NULL);
    *n = 0;
    const char *q = *query;
    if (!pz_sql_contains_ci(q, "system")) {
        return 0;
    }
    size_t qlen = strlen(q);
    int cap = qlen < S_TOKENS_MAX ? (int)qlen + 1 : S_TOKENS_MAX;
    pz_sql_token_t *t = pz_arena_alloc(a, sizeof *t * (size_t)cap);
    int nt = 0;
    if (t == NULL || pz_sql_scan(q, t, cap, &nt) != 0) {
        return 0; /* the parse reports what is wrong with the text */
    }
    char *copy = NULL;
    int depth = 0;
    for (int i = 0; i < nt; i++) {
        depth += t[i].token == '(' ? 1 : t[i].token == ')' ? -1 : 0;
        if (!(i + 3 < nt && t[i].token == PG_QUERY__TOKEN__AS &&
              t[i + 1].token == PG_QUERY__TOKEN__OF &&
              t[i + 2].token == PG_QUERY__TOKEN__SYSTEM_P &&
              t[i + 3].token == PG_QUERY__TOKEN__TIME)) {
            continue;
        }
        int end = s_form_end(q, t, i + 4, nt);
        if (end < 0) {
            pz_sql_err_set(err, "42601",
                           "syntax error in AS OF SYSTEM TIME: expected a "
                           "timestamp, a decimal, an interval or "
                           "follower_read_timestamp()");
            err->position = (int)t[i].start + 1;
            return PZ_EINVAL;
        }
        size_t from = t[i + 4].start, to = t[end - 1].end;
        if (depth != 0 || *n == max || to - from >= PZ_AOST_EXPR_BYTES_MAX) {
            pz_sql_err_set(err, depth ? "0A000" : "54000", "%s",
                           depth ? "AS OF SYSTEM TIME must be provided on a top-level statement"
                                 : "AS OF SYSTEM TIME clause is too long or repeated too often");
            err->position = (int)t[i].start + 1;
            return PZ_EINVAL;
        }
        pz_view_t expr = pz_arena_dup(a, q + from, to - from + 1);
        if (copy == NULL && (copy = pz_arena_alloc(a, qlen + 1)) != NULL) {
            memcpy(copy, q, qlen + 1);
        }
        if (expr.ptr == NULL || copy == NULL) {
            return pz_sql_err_set(err, "53200", "out of memory");
        }
        ((char *)expr.ptr)[to - from] = '\0';
        out[(*n)++] = (pz_aost_clause_t){.at = (int)t[i].start, .expr = (const char *)expr.ptr};
        s_blank(copy, q, t, s_stmt_first(t, i), t[i].start, to);
        i = end - 1;
    }
    if (copy != NULL) {
        *query = copy;
    }
    return 0;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

/* wall[.logical] with at most 10 logical digits; false when s is not that. */
static bool s_decimal(const char *s, size_t len, pz_hlc_t *out)
{
    size_t i = 0;
    uint64_t wall = 0, logical = 0;
    if (len == 0) {
        return false;
    }
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (wall > (UINT64_MAX - 9) / 10) {
            return false;
        }
        wall = wall * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == 0 || wall > INT64_MAX) {
        return false;
    }
    if (i < len) {
        if (s[i] != '.' || len - i - 1 == 0 || len - i - 1 > S_LOGICAL_DIGITS) {
            return false;
        }
        size_t digits = 0;
        for (i++; i < len; i++, digits++) {
            if (s[i] < '0' || s[i] > '9') {
                return false;
            }
            logical = logical * 10 + (uint64_t)(s[i] - '0');
        }
        for (; digits < S_LOGICAL_DIGITS; digits++) {
            logical *= 10;
        }
        if (logical > UINT32_MAX) {
            return false;
        }
    }
    *out = (pz_hlc_t){.wall = wall, .logical = (uint32_t)logical};
    return true;
}

static int s_from_interval(const pz_datum_t *iv, pz_hlc_t now, pz_hlc_t *out, pz_sql_err_t *err)
{
    /* Months count as 30 days, as PostgreSQL's interval comparisons do; the sum is checked for
     * overflow through long double (an interval reaches ±178 million years). */
    long double ns = (long double)iv->v.iv.us * 1000.0L +
                     (long double)iv->v.iv.days * (long double)S_NS_PER_DAY +
                     (long double)iv->v.iv.months * 30.0L * (long double)S_NS_PER_DAY;
    if (ns >= 0) {
        return pz_sql_err_set(err, "22023",
                              "AS OF SYSTEM TIME: interval value must be negative (it is added "
                              "to the statement's time)");
    }
    if (-ns >= (long double)now.wall) {
        return pz_sql_err_set(err, "22023", "AS OF SYSTEM TIME: timestamp before the epoch");
    }
    *out = (pz_hlc_t){.wall = now.wall - (uint64_t)(-ns), .logical = 0};
    return 0;
}

static int s_from_timestamp(int64_t us, pz_hlc_t *out, pz_sql_err_t *err)
{
    if (us == PZ_DT_NOBEGIN || us == PZ_DT_NOEND || us < -S_PG_EPOCH_UNIX_US ||
        us > INT64_MAX / 1000 - S_PG_EPOCH_UNIX_US) {
        return pz_sql_err_set(err, "22023", "AS OF SYSTEM TIME: timestamp out of range");
    }
    *out = (pz_hlc_t){.wall = (uint64_t)(us + S_PG_EPOCH_UNIX_US) * 1000u, .logical = 0};
    return 0;
}

/* A string's content (or an unquoted number) read as `type` ("" when untyped: decimal, then
 * timestamp, then interval). */
static int s_eval_text(const char *s, size_t len, const char *type, const pz_sql_tyenv_t *env,
                       pz_hlc_t now, pz_hlc_t *out, pz_sql_err_t *err)
{
    bool any = type[0] == '\0';
    bool dec = any || strcasecmp(type, "decimal") == 0 || strcasecmp(type, "numeric") == 0 ||
               strncasecmp(type, "int", 3) == 0 || strcasecmp(type, "bigint") == 0;
    if (dec && s_decimal(s, len, out)) {
        return 0;
    }
    pz_datum_t d;
    pz_sql_err_t ignored = {0};
    bool ts = any || strncasecmp(type, "timestamp", 9) == 0;
    if (ts && pz_dt_in_at(env, (int64_t)(now.wall / 1000u) - S_PG_EPOCH_UNIX_US,
                          PZ_SQL_TYPE(PZ_TY_TIMESTAMPTZ), s, len, &d, &ignored) == 0) {
        return s_from_timestamp(d.v.i, out, err);
    }
    pz_sql_err_clear(&ignored);
    bool iv = any || strcasecmp(type, "interval") == 0;
    if (iv && pz_dt_in(env, PZ_SQL_TYPE(PZ_TY_INTERVAL), s, len, &d, &ignored) == 0) {
        return s_from_interval(&d, now, out, err);
    }
    if (!ts && !iv && !dec) {
        return pz_sql_err_set(err, "0A000", "AS OF SYSTEM TIME: unsupported type %s", type);
    }
    return pz_sql_err_set(err, "22023",
                          "AS OF SYSTEM TIME: value is neither timestamp, decimal, nor interval: "
                          "\"%.*s\"",
                          (int)(len < 64 ? len : 64), s);
}

/* A plain '...' string's content (quotes doubled inside), copied into buf. */
static int s_unquote(const char *q, const pz_sql_token_t *t, char *buf, size_t cap, size_t *len,
                     pz_sql_err_t *err)
{
    const char *s = q + t->start;
    size_t n = t->end - t->start;
    if (n < 2 || s[0] != '\'' || s[n - 1] != '\'') {
        return pz_sql_err_set(err, "0A000", "AS OF SYSTEM TIME: only plain '...' strings");
    }
    size_t k = 0;
    for (size_t i = 1; i + 1 < n && k + 1 < cap; i++) {
        buf[k++] = s[i];
        i += s[i] == '\'' ? 1 : 0;
    }
    buf[k] = '\0';
    *len = k;
    return 0;
}

int pz_aost_eval(const char *expr, const pz_sql_tyenv_t *env, pz_hlc_t now, pz_hlc_t *out,
                 pz_sql_err_t *err)
{
    assert(expr != NULL && env != NULL && out != NULL && err != NULL);
    pz_sql_token_t t[8];
    int n = 0;
    char buf[PZ_AOST_EXPR_BYTES_MAX];
    char type[32] = "";
    size_t len = 0;
    int rc = pz_sql_scan(expr, t, 8, &n);
    if (rc != 0 || s_form_end(expr, t, 0, n) != n) {
        return pz_sql_err_set(err, "42601", "AS OF SYSTEM TIME: malformed expression \"%s\"", expr);
    }
    int k = t[0].token;
    if (k == '-') {
        return pz_sql_err_set(err, "22023", "AS OF SYSTEM TIME: timestamp before the epoch");
    }
    if (k == PG_QUERY__TOKEN__ICONST || k == PG_QUERY__TOKEN__FCONST) {
        len = t[0].end - t[0].start;
        rc = s_eval_text(expr + t[0].start, len, "decimal", env, now, out, err);
    } else if (n == 3 && t[1].token == '(') {
        bool fr = pz_sql_tok_is(expr, &t[0], "follower_read_timestamp") ||
                  pz_sql_tok_is(expr, &t[0], "experimental_follower_read_timestamp");
        if (!fr) {
            return pz_sql_err_set(err, "0A000",
                                  "AS OF SYSTEM TIME: only follower_read_timestamp() is "
                                  "supported as a function");
        }
        *out = (pz_hlc_t){.wall = now.wall - (uint64_t)PZ_AOST_FOLLOWER_LAG_NS};
    } else {
        int s = k == PG_QUERY__TOKEN__SCONST ? 0 : 1; /* typed literal: type then string */
        const pz_sql_token_t *ty = s == 1 ? &t[0] : n == 3 ? &t[2] : NULL;
        if (ty != NULL) {
            snprintf(type, sizeof type, "%.*s", (int)(ty->end - ty->start), expr + ty->start);
        }
        rc = s_unquote(expr, &t[s], buf, sizeof buf, &len, err);
        rc = rc ? rc : s_eval_text(buf, len, type, env, now, out, err);
    }
    if (rc != 0) {
        return rc;
    }
    if (out->wall == 0 && out->logical == 0) {
        return pz_sql_err_set(err, "22023", "AS OF SYSTEM TIME: zero timestamp is invalid");
    }
    if (pz_hlc_cmp(*out, now) > 0) {
        char a[40], b[40];
        pz_aost_format(*out, a, sizeof a);
        pz_aost_format(now, b, sizeof b);
        return pz_sql_err_set(err, "22023",
                              "AS OF SYSTEM TIME: cannot specify timestamp in the future (%s > %s)",
                              a, b);
    }
    return 0;
}

void pz_aost_format(pz_hlc_t t, char *buf, size_t cap)
{
    assert(buf != NULL && cap >= 32);
    snprintf(buf, cap, "%" PRIu64 ".%010" PRIu32, t.wall, t.logical);
}

int pz_aost_stmt_start(pz_sql_kv_t *kv, const char *expr, const char *what, char status,
                       pz_hlc_t txn_as_of, const pz_sql_tyenv_t *env, pz_sql_err_t *err)
{
    assert(kv != NULL && env != NULL && err != NULL);
    kv->as_of = (pz_hlc_t){0, 0};
    if (expr == NULL) {
        return 0;
    }
    if (what != NULL) {
        return pz_sql_err_set(err, "25006", "cannot execute %s in a read-only transaction", what);
    }
    pz_hlc_t ts;
    int rc = pz_aost_eval(expr, env, pz_hlc_now(), &ts, err);
    if (rc != 0) {
        return rc;
    }
    if (status != 'I') {
        if (pz_hlc_cmp(ts, txn_as_of) == 0) {
            return 0; /* the block reads there already */
        }
        char a[40], b[40];
        pz_aost_format(txn_as_of, a, sizeof a);
        pz_aost_format(ts, b, sizeof b);
        return pz_sql_err_set(
            err, "42601", "inconsistent AS OF SYSTEM TIME timestamp; expected: %s, got: %s",
            pz_hlc_is_zero(txn_as_of) ? "none (the transaction reads now)" : a, b);
    }
    kv->as_of = ts;
    kv->read_ts = ts;
    return 0;
}

int pz_aost_stmt(pz_sql_kv_t *kv, const pz_ast_stmt_t *s, char status, pz_hlc_t txn_as_of,
                 const pz_sql_tyenv_t *env, pz_sql_err_t *err)
{
    assert(kv != NULL && s != NULL);
    if (s->kind == PZ_AS_TXN) {
        kv->as_of = (pz_hlc_t){0, 0};
        return 0;
    }
    const pz_ast_stmt_t *q = s->kind == PZ_AS_EXPLAIN && s->inner != NULL ? s->inner : s;
    const char *what = q->kind == PZ_AS_SELECT   ? NULL
                       : q->kind == PZ_AS_INSERT ? "INSERT"
                       : q->kind == PZ_AS_UPDATE ? "UPDATE"
                       : q->kind == PZ_AS_DELETE ? "DELETE"
                                                 : "this statement";
    return pz_aost_stmt_start(kv, s->as_of, what, status, txn_as_of, env, err);
}
