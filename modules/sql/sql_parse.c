/*
 * sql_parse.c — libpg_query glue: parse a query string into the protobuf tree and name each
 * statement's kind.
 *
 * Why protobuf and not JSON: the protobuf tree is what issue 3 translates into the project's AST
 * (typed C structs from pg_query.pb-c.h, no JSON parser needed). libpg_query.so carries its own
 * copy of protobuf-c, so linking pg_query alone resolves the unpack functions.
 *
 * A statement's kind is the SQL command name for the common statements (what a user typed:
 * "SELECT", "CREATE TABLE", "BEGIN") and the parse node's name for the rest (e.g.
 * "AlterOwnerStmt"), read from the protobuf descriptor so every node of the grammar has a name.
 *
 * Two guards keep a hostile statement from killing the process, since neither libpg_query's tree
 * output nor protobuf-c's unpack checks its recursion depth: long queries are tokenized and
 * refused past a nesting-token and a token bound before parsing (s_too_complex), and the packed
 * tree's depth is measured without recursion before unpacking (s_depth_check). Both refusals are
 * PostgreSQL's 54001.
 */
#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "phantomzero/errors.h"
#include "sql_limits.h"
#include "sql_ast_int.h"
#include "sql_parse.h"
#include "sql_sched.h"

static const struct {
    PgQuery__Node__NodeCase node;
    const char *kind;
} s_kinds[] = {
    {PG_QUERY__NODE__NODE_SELECT_STMT, "SELECT"},
    {PG_QUERY__NODE__NODE_INSERT_STMT, "INSERT"},
    {PG_QUERY__NODE__NODE_UPDATE_STMT, "UPDATE"},
    {PG_QUERY__NODE__NODE_DELETE_STMT, "DELETE"},
    {PG_QUERY__NODE__NODE_MERGE_STMT, "MERGE"},
    {PG_QUERY__NODE__NODE_CREATE_STMT, "CREATE TABLE"},
    {PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT, "CREATE TABLE AS"},
    {PG_QUERY__NODE__NODE_ALTER_TABLE_STMT, "ALTER TABLE"},
    {PG_QUERY__NODE__NODE_DROP_STMT, "DROP"},
    {PG_QUERY__NODE__NODE_TRUNCATE_STMT, "TRUNCATE"},
    {PG_QUERY__NODE__NODE_INDEX_STMT, "CREATE INDEX"},
    {PG_QUERY__NODE__NODE_VIEW_STMT, "CREATE VIEW"},
    {PG_QUERY__NODE__NODE_CREATEDB_STMT, "CREATE DATABASE"},
    {PG_QUERY__NODE__NODE_DROPDB_STMT, "DROP DATABASE"},
    {PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT, "CREATE SCHEMA"},
    {PG_QUERY__NODE__NODE_CREATE_SEQ_STMT, "CREATE SEQUENCE"},
    {PG_QUERY__NODE__NODE_CREATE_ROLE_STMT, "CREATE ROLE"},
    {PG_QUERY__NODE__NODE_ALTER_ROLE_STMT, "ALTER ROLE"},
    {PG_QUERY__NODE__NODE_DROP_ROLE_STMT, "DROP ROLE"},
    {PG_QUERY__NODE__NODE_RENAME_STMT, "RENAME"},
    {PG_QUERY__NODE__NODE_COPY_STMT, "COPY"},
    {PG_QUERY__NODE__NODE_EXPLAIN_STMT, "EXPLAIN"},
    {PG_QUERY__NODE__NODE_VARIABLE_SET_STMT, "SET"},
    {PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT, "SHOW"},
    {PG_QUERY__NODE__NODE_PREPARE_STMT, "PREPARE"},
    {PG_QUERY__NODE__NODE_EXECUTE_STMT, "EXECUTE"},
    {PG_QUERY__NODE__NODE_DEALLOCATE_STMT, "DEALLOCATE"},
    {PG_QUERY__NODE__NODE_VACUUM_STMT, "VACUUM"},
    {PG_QUERY__NODE__NODE_DISCARD_STMT, "DISCARD"},
    {PG_QUERY__NODE__NODE_LOCK_STMT, "LOCK"},
    {PG_QUERY__NODE__NODE_GRANT_STMT, "GRANT"},
    {PG_QUERY__NODE__NODE_DO_STMT, "DO"},
    {PG_QUERY__NODE__NODE_CALL_STMT, "CALL"},
};

static const char *s_transaction_kind(const PgQuery__TransactionStmt *t)
{
    switch (t->kind) {
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
        return "BEGIN";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
        return "START TRANSACTION";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
        return "COMMIT";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
        return "ROLLBACK";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
        return "SAVEPOINT";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
        return "RELEASE";
    case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
        return "ROLLBACK TO";
    default:
        return "TransactionStmt";
    }
}

/* The kind of one parse node; never NULL. */
const char *pz__sql_kind(const PgQuery__Node *n)
{
    if (n == NULL || n->node_case == PG_QUERY__NODE__NODE__NOT_SET) {
        return "unknown";
    }
    if (n->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT) {
        return s_transaction_kind(n->transaction_stmt);
    }
    for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++) {
        if (s_kinds[i].node == n->node_case) {
            return s_kinds[i].kind;
        }
    }
    /* The oneof's field number is the node case; its message type names the parse node. */
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        &pg_query__node__descriptor, (unsigned)n->node_case);
    if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor != NULL) {
        return ((const ProtobufCMessageDescriptor *)f->descriptor)->short_name;
    }
    return "unknown";
}

/* Reads a varint at *p (< end). false on a truncated or over-long one. */
static bool s_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            return true;
        }
    }
    return false;
}

/* Why this exists: protobuf-c's unpack (and free_unpacked) recurse once per nested message with
 * a frame of about 1 KiB, and the grammar's left-recursive rules (`1+1+1...`, `x::int::int...`)
 * nest without bound: a 40 KiB query overflowed an 8 MiB stack and killed the process. So the
 * packed tree's message depth is measured first, without recursion (an explicit stack and the
 * descriptors that say which length-delimited fields are messages), and a tree deeper than
 * PZ_SQL_PARSE_DEPTH_MAX is refused as PostgreSQL refuses it (54001). 0, PZ_ELIMIT or
 * PZ_EPROTO (bytes that are not protobuf: libpg_query's bug, not the client's). */
static int s_depth_check(const uint8_t *buf, size_t len)
{
    struct {
        const ProtobufCMessageDescriptor *d;
        const uint8_t *end;
    } stack[PZ_SQL_PARSE_DEPTH_MAX];
    int top = 0;
    stack[0].d = &pg_query__parse_result__descriptor;
    stack[0].end = buf + len;
    const uint8_t *p = buf;
    while (top >= 0) {
        if (p == stack[top].end) {
            top--;
            continue;
        }
        uint64_t key, n = 0;
        if (!s_varint(&p, stack[top].end, &key)) {
            return PZ_EPROTO;
        }
        switch (key & 7) {
        case 0:
            if (!s_varint(&p, stack[top].end, &n))
                return PZ_EPROTO;
            continue;
        case 1:
            n = 8;
            break;
        case 5:
            n = 4;
            break;
        case 2:
            if (!s_varint(&p, stack[top].end, &n))
                return PZ_EPROTO;
            break;
        default:
            return PZ_EPROTO;
        }
        if (n > (uint64_t)(stack[top].end - p)) {
            return PZ_EPROTO;
        }
        const ProtobufCFieldDescriptor *f =
            (key & 7) == 2
                ? protobuf_c_message_descriptor_get_field(stack[top].d, (unsigned)(key >> 3))
                : NULL;
        if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE) {
            p += n; /* a scalar, a string, or a field we do not know: skipped whole */
            continue;
        }
        if (top + 1 == PZ_SQL_PARSE_DEPTH_MAX) {
            return PZ_ELIMIT;
        }
        top++;
        stack[top].d = f->descriptor;
        stack[top].end = p + n;
    }
    return 0;
}

/* A token that can add a level to the parse tree through a left-recursive grammar rule (an
 * operator, a keyword such as IS, AT, UNION, JOIN): everything but names, constants and
 * punctuation that builds flat lists. Over-counting only makes the bound below stricter. */
static bool s_nesting_token(PgQuery__Token t)
{
    switch (t) {
    case PG_QUERY__TOKEN__IDENT:
    case PG_QUERY__TOKEN__UIDENT:
    case PG_QUERY__TOKEN__ICONST:
    case PG_QUERY__TOKEN__FCONST:
    case PG_QUERY__TOKEN__SCONST:
    case PG_QUERY__TOKEN__USCONST:
    case PG_QUERY__TOKEN__BCONST:
    case PG_QUERY__TOKEN__XCONST:
    case PG_QUERY__TOKEN__PARAM:
    case PG_QUERY__TOKEN__NULL_P:
    case PG_QUERY__TOKEN__TRUE_P:
    case PG_QUERY__TOKEN__FALSE_P:
    case PG_QUERY__TOKEN__ASCII_40: /* ( and ) nest right-recursively: bison bounds them */
    case PG_QUERY__TOKEN__ASCII_41:
    case PG_QUERY__TOKEN__ASCII_44: /* , */
    case PG_QUERY__TOKEN__ASCII_59: /* ; */
    case PG_QUERY__TOKEN__SQL_COMMENT:
    case PG_QUERY__TOKEN__C_COMMENT:
        return false;
    default:
        return true;
    }
}

/* Walks the tokens of a packed ScanResult without unpacking it (the unpacked form costs ~50
 * bytes a token): ScanResult.tokens is field 2, a ScanToken has only varint fields, numbered as
 * the descriptor says. fn sees each token and returns false to stop. false on bytes it cannot
 * read. */
static bool s_scan_walk(const uint8_t *p, const uint8_t *end,
                        bool (*fn)(void *ctx, uint32_t start, uint32_t stop, int token), void *ctx)
{
    const ProtobufCMessageDescriptor *d = &pg_query__scan_token__descriptor;
    const ProtobufCFieldDescriptor *tf =
        protobuf_c_message_descriptor_get_field_by_name(d, "token");
    const ProtobufCFieldDescriptor *sf =
        protobuf_c_message_descriptor_get_field_by_name(d, "start");
    const ProtobufCFieldDescriptor *ef = protobuf_c_message_descriptor_get_field_by_name(d, "end");
    assert(tf != NULL && sf != NULL && ef != NULL);
    while (p < end) {
        uint64_t key, len;
        if (!s_varint(&p, end, &key)) {
            return false;
        }
        if ((key & 7) == 0) { /* ScanResult.version */
            if (!s_varint(&p, end, &len)) {
                return false;
            }
            continue;
        }
        if (key != (2u << 3 | 2u) || !s_varint(&p, end, &len) || len > (uint64_t)(end - p)) {
            return false;
        }
        const uint8_t *tok_end = p + len;
        uint64_t start = 0, stop = 0, token = 0;
        while (p < tok_end) { /* ScanToken: four varint fields */
            uint64_t tkey, v;
            if (!s_varint(&p, tok_end, &tkey) || (tkey & 7) != 0 || !s_varint(&p, tok_end, &v)) {
                return false;
            }
            unsigned id = (unsigned)(tkey >> 3);
            token = id == tf->id ? v : token;
            start = id == sf->id ? v : start;
            stop = id == ef->id ? v : stop;
        }
        if (stop < start || stop > UINT32_MAX) {
            return false;
        }
        if (!fn(ctx, (uint32_t)start, (uint32_t)stop, (int)token)) {
            return true; /* stopped by fn */
        }
    }
    return true;
}

typedef struct {
    size_t nesting, total;
} s_count_t;

static bool s_count_one(void *ctx, uint32_t start, uint32_t stop, int token)
{
    (void)start;
    (void)stop;
    s_count_t *c = ctx;
    c->nesting += s_nesting_token((PgQuery__Token)token);
    c->total++;
    return true;
}

/* Why this exists: libpg_query turns its parse tree into protobuf recursively, without
 * PostgreSQL's stack depth check, and left-recursive rules (`1+1+1...`) nest without bound, so
 * a long enough query overflows any stack inside pg_query_parse_protobuf itself. Measured: 40000
 * levels fit in PZ_SQL_SESSION_STACK_BYTES (ASan build too); each level takes at least one byte
 * of query, so a query up to PZ_SQL_PARSE_UNSCANNED_BYTES is safe as it is. A longer one is
 * tokenized first (pg_query_scan, flat) and refused if it has more tokens that can nest than
 * PZ_SQL_PARSE_NESTING_TOKENS_MAX, or more tokens than PZ_SQL_PARSE_TOKENS_MAX (parse memory and
 * time grow with the token count, and there is no per-query memory budget yet). */
static bool s_too_complex(const char *query)
{
    PgQueryScanResult r = pg_query_scan(query);
    bool too = false;
    if (r.error == NULL) { /* else: a lexical error, which the parse reports with its position */
        const uint8_t *p = (const uint8_t *)r.pbuf.data;
        s_count_t c = {0};
        too = !s_scan_walk(p, p + r.pbuf.len, s_count_one, &c) ||
              c.nesting > PZ_SQL_PARSE_NESTING_TOKENS_MAX || c.total > PZ_SQL_PARSE_TOKENS_MAX;
    }
    pg_query_free_scan_result(r);
    return too;
}

typedef struct {
    pz_sql_token_t *toks;
    int max, n;
    bool over;
} s_collect_t;

static bool s_collect_one(void *ctx, uint32_t start, uint32_t stop, int token)
{
    s_collect_t *c = ctx;
    if (token == PG_QUERY__TOKEN__SQL_COMMENT || token == PG_QUERY__TOKEN__C_COMMENT) {
        return true;
    }
    if (c->n == c->max) {
        c->over = true;
        return false;
    }
    c->toks[c->n++] = (pz_sql_token_t){.start = start, .end = stop, .token = token};
    return true;
}

int pz_sql_scan(const char *query, pz_sql_token_t *toks, int max, int *n)
{
    assert(query != NULL && toks != NULL && max > 0 && n != NULL);
    *n = 0;
    PgQueryScanResult r = pg_query_scan(query);
    int rc = PZ_EINVAL;
    if (r.error == NULL) {
        const uint8_t *p = (const uint8_t *)r.pbuf.data;
        s_collect_t c = {.toks = toks, .max = max};
        bool ok = s_scan_walk(p, p + r.pbuf.len, s_collect_one, &c);
        rc = c.over ? PZ_ELIMIT : (ok ? 0 : PZ_EINVAL);
        *n = c.n;
    }
    pg_query_free_scan_result(r);
    return rc;
}

static int s_error(const PgQueryError *e, pz_sql_parse_t *out)
{
    snprintf(out->error, sizeof out->error, "%s", e->message ? e->message : "syntax error");
    out->cursorpos = e->cursorpos > 0 ? e->cursorpos : 0;
    return PZ_EINVAL;
}

/* Long statements are scanned and parsed one at a time, process-wide: each may take hundreds of
 * megabytes and seconds (see PZ_SQL_PARSE_TOKENS_MAX), and until the per-query memory budget
 * exists this bounds their total to one statement's worth however many sessions send them.
 * Short statements, the common case, never touch the lock. */
static pthread_mutex_t s_long_lock = PTHREAD_MUTEX_INITIALIZER;

static int s_parse(const char *query, bool is_long, pz__sql_tree_fn fn, void *ctx,
                   pz_sql_parse_t *out);

int pz__sql_parse_tree(const char *query, const atomic_bool *cancel, pz__sql_tree_fn fn, void *ctx,
                       pz_sql_parse_t *out)
{
    assert(query != NULL && fn != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    bool is_long = strnlen(query, PZ_SQL_PARSE_UNSCANNED_BYTES + 1) > PZ_SQL_PARSE_UNSCANNED_BYTES;
    if (!is_long) {
        return s_parse(query, false, fn, ctx, out);
    }
    /* Wait in slices, so a session queued behind long statements still stops promptly. */
    for (;;) {
        if (cancel != NULL && atomic_load(cancel)) {
            return PZ_ECLOSED;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += PZ_SQL_POLL_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        if (pthread_mutex_timedlock(&s_long_lock, &until) == 0) {
            break;
        }
    }
    /* The callback runs under the lock too: the unpacked tree is the big part. */
    int rc = s_parse(query, true, fn, ctx, out);
    pthread_mutex_unlock(&s_long_lock);
    return rc;
}

/* pz_sql_parse's callback: counts the statements and names the first one's kind. */
static int s_kind_of_first(const PgQuery__ParseResult *tree, void *ctx)
{
    pz_sql_parse_t *out = ctx;
    out->n_stmts = tree->n_stmts > (size_t)INT32_MAX ? INT32_MAX : (int)tree->n_stmts;
    if (tree->n_stmts > 0 && tree->stmts[0] != NULL) {
        snprintf(out->kind, sizeof out->kind, "%s", pz__sql_kind(tree->stmts[0]->stmt));
    }
    return 0;
}

int pz_sql_parse(const char *query, const atomic_bool *cancel, pz_sql_parse_t *out)
{
    assert(query != NULL && out != NULL);
    int rc = pz__sql_parse_tree(query, cancel, s_kind_of_first, out, out);
    assert(rc != 0 || out->n_stmts == 0 || out->kind[0] != '\0');
    return rc;
}

static int s_parse(const char *query, bool is_long, pz__sql_tree_fn fn, void *ctx,
                   pz_sql_parse_t *out)
{
    if (is_long) {
        pz_task_detach(); /* seconds for the longest: not on the worker other sessions share */
    }
    if (is_long && s_too_complex(query)) {
        snprintf(out->error, sizeof out->error,
                 "statement too complex: more than %d operators and keywords or %d tokens",
                 PZ_SQL_PARSE_NESTING_TOKENS_MAX, PZ_SQL_PARSE_TOKENS_MAX);
        pz_task_attach();
        return PZ_ELIMIT;
    }
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(query);
    int rc = 0;
    if (r.error != NULL) {
        rc = s_error(r.error, out);
    } else if ((rc = s_depth_check((const uint8_t *)r.parse_tree.data, r.parse_tree.len)) != 0) {
        snprintf(out->error, sizeof out->error,
                 rc == PZ_ELIMIT ? "stack depth limit exceeded" : "cannot read the parse tree");
        rc = rc == PZ_ELIMIT ? PZ_ELIMIT : PZ_EINTERNAL;
    } else {
        PgQuery__ParseResult *tree = pg_query__parse_result__unpack(
            NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
        if (tree == NULL) {
            snprintf(out->error, sizeof out->error, "cannot unpack the parse tree");
            rc = PZ_EINTERNAL;
        } else {
            /* The packed bytes are no longer needed: free them before the callback runs. */
            pg_query_free_protobuf_parse_result(r);
            r = (PgQueryProtobufParseResult){0};
            rc = fn(tree, ctx);
            pg_query__parse_result__free_unpacked(tree, NULL);
        }
    }
    pg_query_free_protobuf_parse_result(r);
    pz_task_attach();
    return rc;
}

bool pz_sql_tok_is(const char *q, const pz_sql_token_t *t, const char *word)
{
    size_t n = strlen(word);
    return t->end - t->start == n && strncasecmp(q + t->start, word, n) == 0;
}

bool pz_sql_contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++) {
        if (strncasecmp(s, word, n) == 0) {
            return true;
        }
    }
    return false;
}
