/*
 * sql_conn.c — running statements for one session: the statement's arena and executor context,
 * binding, execution with rows streamed to the protocol's sink, command tags, session settings
 * (SET / SHOW / RESET), transaction-block status, and the extended protocol's prepared
 * statements and portals.
 *
 * Transactions: until the transactions issue lands every statement is atomic on its own (one KV
 * batch). BEGIN/COMMIT are accepted so drivers that always open a block work; a ROLLBACK cannot
 * undo statements that already ran, so it says so in a WARNING instead of pretending.
 */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sql_aost.h"
#include "sql_bind.h"
#include "sql_txn.h"
#include "sql_conn.h"
#include "sql_copy.h"
#include "sql_ranges.h"
#include "sql_sched.h"
#include "sql_ddl.h"
#include "sql_seq.h"
#include "sql_shape.h"
#include "sql_sqlprep.h"
#include "sql_vtab_int.h"
#include "sql_stats.h"
#include "sql_spill.h"
#include "sql_tz.h"

#define S_SEARCH_PATH_MAX 8
/* Server-side retries of a statement that lost a race (40001): contention of a few clients on
 * one row needs a handful; past this the client gets the 40001. */
#define S_RETRIES_MAX 100
/* KV batches time out after this: the lower layers answer in microseconds unless a node is
 * gone, and a session must not hang forever. */
#define S_KV_TIMEOUT_MS 30000u
/* work_mem's default, PostgreSQL's 4MB (s_defaults holds its SHOW form): the diff tests compare
 * SHOW work_mem, and past it operators spill rather than fail. */
#define S_WORK_MEM_KB_DEFAULT 4096

struct pz_sql_engine {
    char txn[64];
    pz_cat_t *cat;
    pthread_mutex_t boot_mu;
    bool booted;
    pz_spill_env_t *spill; /* the node's temp files (sql_spill.h); NULL: operators never spill */
};

typedef struct {
    const char *name;
    char value[128];
} s_setting_t;

/* Settings SHOW reports and SET accepts (beside search_path and TimeZone, handled apart). */
static const char *const s_defaults[][2] = {
    {"application_name", ""},
    {"client_encoding", "UTF8"},
    {"datestyle", "ISO, MDY"},
    {"intervalstyle", "postgres"},
    {"extra_float_digits", "1"},
    {"standard_conforming_strings", "on"},
    {"client_min_messages", "notice"},
    {"statement_timeout", "0"},
    {"lock_timeout", "0"},
    {"idle_in_transaction_session_timeout", "0"},
    {"default_transaction_isolation", "serializable"},
    {"transaction_isolation", "serializable"},
    {"default_transaction_read_only", "off"},
    {"server_version", "15.0"},
    {"server_version_num", "150000"},
    {"server_encoding", "UTF8"},
    {"integer_datetimes", "on"},
    {"max_identifier_length", "63"},
    {"bytea_output", "hex"},
    {"escape_string_warning", "on"},
    {"synchronous_commit", "on"},
    {"row_security", "on"},
    {"jit", "off"},
    {"lc_messages", "C"},
    {"lc_monetary", "C"},
    {"lc_numeric", "C"},
    {"lc_time", "C"},
    {"is_superuser", "on"},
    {"search_path", "\"$user\", public"},
    {"timezone", "UTC"},
    {"enable_seqscan", "on"},
    {"work_mem", "4MB"},
};
#define S_N_SETTINGS (sizeof s_defaults / sizeof s_defaults[0])

/* A transaction block whose statements all came in this query string, and whose results are all
 * still in the sink's output (PZ_SQL_OUT_BYTES_MAX: the session's buffer, which is written at
 * ReadyForQuery or when full), has shown the client nothing yet. When it fails with 40001 or
 * 40P01 it is rolled back, its output taken back, and it runs again from its first statement in
 * a new transaction — the server-side retry of an explicit transaction whose results have not
 * reached the client (CockroachDB retries a batch of statements the same way). Only statements
 * that are undone with the transaction may be in it: DDL commits on its own and COPY reads the
 * client's stream, so either ends the chance. */
typedef struct {
    int from;    /* the block's first statement in this query; -1: nothing to replay */
    bool reopen; /* an earlier query began the block (and ran nothing else): begin it with opts */
    pz_sql_txn_opts_t opts;
    pz_sql_mark_t mark;
    int attempts;
} s_replay_t;

struct pz_sql_conn {
    pz_sql_engine_t *eng;
    pz_sql_kv_t kv;
    pz_sql_tyenv_t env;
    char user[64], db[64];
    uint32_t db_id;
    uint32_t search_path[S_SEARCH_PATH_MAX];
    int n_search_path;
    char settings[S_N_SETTINGS][128];
    char status;
    pz_sql_txn_t txn;          /* the transaction block (sql_txn.c) */
    const atomic_bool *cancel; /* the server stopping */
    atomic_bool *user_cancel;  /* a CancelRequest */
    uint64_t rand_seed;
    int64_t txn_ts_us;
    pz_sql_seqs_t seqs; /* currval / lastval (sql_seq.h) */
    /* The simple-protocol plan cache (sql_shape.h): entries by shape, least recently used out. */
    struct s_shape_entry *shapes[PZ_SQL_SHAPE_ENTRIES_MAX];
    pz_sqlpreps_t *sqlpreps; /* PREPARE / EXECUTE (sql_sqlprep.c) */
    uint64_t shape_tick;
    int64_t work_mem_kb; /* work_mem, parsed when set */
    /* The extended-protocol batch since the last Sync (pz_sql_conn_batch_*): whether its block
     * may run again, and its Executes so far. */
    s_replay_t batch;
    uint32_t batch_execs;
};

static void s_shapes_flush(pz_sql_conn_t *c);

pz_sql_engine_t *pz_sql_engine_new(const char *txn_actor)
{
    pz_sql_engine_t *e = calloc(1, sizeof *e);
    if (e == NULL) {
        return NULL;
    }
    snprintf(e->txn, sizeof e->txn, "%s", txn_actor);
    e->cat = pz_cat_new();
    pthread_mutex_init(&e->boot_mu, NULL);
    if (e->cat == NULL) {
        free(e);
        return NULL;
    }
    return e;
}

void pz_sql_engine_set_spill(pz_sql_engine_t *e, pz_spill_env_t *env)
{
    e->spill = env;
}

void pz_sql_engine_destroy(pz_sql_engine_t **e)
{
    if (e == NULL || *e == NULL) {
        return;
    }
    pz_cat_destroy(&(*e)->cat);
    pthread_mutex_destroy(&(*e)->boot_mu);
    free(*e);
    *e = NULL;
}

static int s_setting_idx(const char *name)
{
    for (size_t i = 0; i < S_N_SETTINGS; i++) {
        if (strcasecmp(s_defaults[i][0], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static const char *s_get(const pz_sql_conn_t *c, const char *name)
{
    int i = s_setting_idx(name);
    return i < 0 ? NULL : c->settings[i];
}

/* search_path's schema names to ids in the current database (missing ones are skipped, as
 * PostgreSQL does); pg_catalog is implicitly first and virtual. */
static int s_resolve_search_path(pz_sql_conn_t *c, pz_sql_err_t *err)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s_get(c, "search_path"));
    s_shapes_flush(c); /* cached plans resolved names through the old path */
    c->n_search_path = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok != NULL;
         tok = strtok_r(NULL, ", ", &save)) {
        if (strcmp(tok, "\"$user\"") == 0) {
            tok = c->user;
        }
        uint32_t id;
        int rc = pz_cat_lookup(c->eng->cat, &c->kv, c->db_id, 0, tok, &id, NULL, err);
        if (rc == 0 && c->n_search_path < S_SEARCH_PATH_MAX) {
            c->search_path[c->n_search_path++] = id;
        } else if (rc != 0 && rc != PZ_ENOTFOUND) {
            return rc;
        }
    }
    return 0;
}

int pz_sql_conn_open(pz_sql_engine_t *e, const char *user, const char *database,
                     const atomic_bool *cancel, pz_sql_conn_t **out, pz_sql_err_t *err)
{
    pz_sql_conn_t *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    c->eng = e;
    c->env = pz_sql_tyenv_default();
    c->status = 'I';
    c->cancel = cancel;
    c->work_mem_kb = S_WORK_MEM_KB_DEFAULT;
    c->rand_seed = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)c << 7);
    snprintf(c->user, sizeof c->user, "%s", user);
    snprintf(c->db, sizeof c->db, "%s", database);
    for (size_t i = 0; i < S_N_SETTINGS; i++) {
        snprintf(c->settings[i], sizeof c->settings[i], "%s", s_defaults[i][1]);
    }
    int rc = pz_sql_kv_open(&c->kv, e->txn, S_KV_TIMEOUT_MS);
    if (rc != 0) {
        free(c);
        return pz_sql_err_code(err, rc, "opening a KV client");
    }
    pz_task_lock(&e->boot_mu); /* held across KV calls: parks a task, not its worker */
    if (!e->booted) {
        rc = pz_cat_bootstrap(e->cat, &c->kv, err);
        e->booted = rc == 0;
    }
    pthread_mutex_unlock(&e->boot_mu);
    if (rc == 0) {
        rc = pz_cat_lookup(e->cat, &c->kv, 0, 0, database, &c->db_id, NULL, err);
        if (rc == PZ_ENOTFOUND) {
            rc = pz_sql_err_set(err, "3D000", "database \"%s\" does not exist", database);
        }
    }
    rc = rc ? rc : s_resolve_search_path(c, err);
    if (rc != 0) {
        pz_sql_conn_close(&c);
        return rc;
    }
    *out = c;
    return 0;
}

void pz_sql_conn_close(pz_sql_conn_t **c)
{
    if (c == NULL || *c == NULL) {
        return;
    }
    s_shapes_flush(*c);
    pz_sqlpreps_free(&(*c)->sqlpreps);
    if ((*c)->cancel != NULL && atomic_load((*c)->cancel)) {
        pz_sql_txn_forget(&(*c)->txn, &(*c)->kv, &(*c)->status); /* the server is stopping */
    } else {
        pz_sql_txn_abandon(&(*c)->txn, &(*c)->kv, &(*c)->status);
    }
    pz_sql_kv_close(&(*c)->kv);
    free(*c);
    *c = NULL;
}

void pz_sql_conn_set_cancel(pz_sql_conn_t *c, atomic_bool *flag)
{
    c->user_cancel = flag;
}

char pz_sql_conn_status(const pz_sql_conn_t *c)
{
    return c->status;
}

void pz_sql_conn_failed(pz_sql_conn_t *c, const pz_sql_err_t *err)
{
    pz_sql_txn_failed(&c->txn, &c->status, err);
}

const pz_sql_tyenv_t *pz_sql_conn_env(const pz_sql_conn_t *c)
{
    return &c->env;
}

/* ---- one statement -------------------------------------------------------------------------- */

static int64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* µs since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch) */
    return ((int64_t)ts.tv_sec - 946684800) * 1000000 + ts.tv_nsec / 1000;
}

/* The statement's execution context: arenas, KV snapshot, binder. */
typedef struct {
    pz_ex_t ex;
    pz_binder_t b;
    pz_cte_buf_t *ctes[64];
} s_stmt_t;

/* A time setting in milliseconds, PostgreSQL's way: a number with an optional unit (us, ms, s,
 * min, h, d; none = ms). Unparsable text counts as 0 (off). */
static int64_t s_setting_ms(const char *v)
{
    char *end = NULL;
    double n = strtod(v, &end);
    while (end != NULL && *end == ' ') {
        end++;
    }
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"", 1},        {"ms", 1},      {"us", 0.001},  {"s", 1000},
                 {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
    for (size_t i = 0; end != NULL && end != v && i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(end, units[i].unit) == 0) {
            double ms = n * units[i].ms;
            return ms > 0 && ms < (double)INT32_MAX ? (int64_t)ms : 0;
        }
    }
    return 0;
}

static int s_stmt_begin(pz_sql_conn_t *c, s_stmt_t *st, pz_sql_err_t *err)
{
    memset(st, 0, sizeof *st);
    pz__vt_snap_stale();
    pz_ex_t *ex = &st->ex;
    ex->arena = pz_arena_new();
    ex->tmp = pz_arena_new();
    if (ex->arena == NULL || ex->tmp == NULL) {
        pz_arena_destroy(&ex->arena);
        pz_arena_destroy(&ex->tmp);
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    ex->kv = &c->kv;
    ex->cat = c->eng->cat;
    ex->env = &c->env;
    ex->err = err;
    ex->cancel = c->cancel;
    ex->user_cancel = c->user_cancel;
    if (c->user_cancel != NULL) {
        atomic_store(c->user_cancel, false); /* a cancel cancels the statement running then */
    }
    ex->ctes = st->ctes;
    ex->n_ctes = 64;
    int64_t now = s_now_us();
    ex->fn = (pz_sql_fnctx_t){.arena = ex->tmp,
                              .env = &c->env,
                              .stmt_ts_us = now,
                              .txn_ts_us = c->status == 'I' ? now : c->txn_ts_us,
                              .rand_seed = &c->rand_seed,
                              .err = err,
                              .session = c};
    ex->session = c;
    ex->spill = c->eng->spill;
    ex->work_mem_kb = c->work_mem_kb;
    ex->user = c->user;
    ex->database = c->db;
    c->kv.lock_timeout_ms = (uint32_t)s_setting_ms(s_get(c, "lock_timeout"));
    int64_t timeout = s_setting_ms(s_get(c, "statement_timeout"));
    if (timeout > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ex->deadline_ms =
            (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + (uint64_t)timeout;
    }
    /* Lock waits end at the statement's deadline or a cancel, not at a batch timeout. */
    c->kv.deadline_ms = ex->deadline_ms;
    c->kv.cancel = c->user_cancel;
    pz_binder_t *b = &st->b;
    b->ex = ex;
    b->db_id = c->db_id;
    b->db_name = c->db;
    b->search_path = c->search_path;
    b->n_search_path = c->n_search_path;
    pz_sql_kv_stmt_begin(&c->kv);
    return 0;
}

static void s_stmt_end(s_stmt_t *st, pz_pn_t *plan)
{
    if (plan != NULL) {
        pz_pn_close(&st->ex, plan);
    }
    pz_bind_release(&st->b);
    pz_ex_release_held(&st->ex);
    pz_arena_destroy(&st->ex.arena);
    pz_arena_destroy(&st->ex.tmp);
}

/* Before a retry: 0.2 ms more per attempt, at most 2 ms (the conflicting transaction's time to
 * finish, without holding the client long). */
static void s_backoff(int attempt)
{
    pz_task_sleep_us((uint32_t)(attempt < 10 ? attempt * 200 : 2000));
}

/* Whether a failed statement runs again (and, if so, after clearing the error and backing off):
 * a DML statement whose conditional writes met a concurrent change (40001) wrote nothing and
 * sent no row yet (a DML node does its work at open, before any output), so it is run again on
 * a fresh snapshot — the server-side retry of an implicit transaction, for the simple and the
 * extended protocol alike. In a block, the same holds for its first statement once the
 * transaction has restarted (pz_sql_txn_replay_first; 40001 or 40P01): nothing but BEGIN's tag
 * reached the client. */
static bool s_retry(pz_sql_conn_t *c, const pz_ast_stmt_t *s, pz_sql_err_t *err, int attempt)
{
    if (s->kind == PZ_AS_SELECT || attempt > S_RETRIES_MAX) {
        return false;
    }
    if (c->status == 'T') {
        return pz_sql_txn_replay_first(&c->txn, &c->kv, err) == 0;
    }
    if (c->status != 'I' || strcmp(err->sqlstate, "40001") != 0) {
        return false;
    }
    pz_sql_err_clear(err);
    s_backoff(attempt);
    return true;
}

static int s_columns(const pz_sql_sink_t *sink, s_stmt_t *st, const pz_pn_t *plan)
{
    pz_sql_col_t *cols = pz_ex_alloc(&st->ex, sizeof *cols * (size_t)(plan->n_cols + 1));
    if (cols == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < plan->n_cols; i++) {
        cols[i] = (pz_sql_col_t){.name = plan->names[i], .type = plan->types[i]};
    }
    return sink->columns(sink->ctx, cols, plan->n_cols);
}

/* Pulls up to max rows (0: all) from an open plan into the sink. *more when rows remain. */
static int s_pump(s_stmt_t *st, pz_pn_t *plan, const pz_sql_sink_t *sink, uint64_t max, uint64_t *n,
                  bool *more)
{
    bool reset_ok = !pz_pn_holds_rows(plan);
    pz_datum_t *row;
    int rc;
    uint64_t got = 0; /* this call's rows: max bounds one Execute, not the portal */
    *more = false;
    while ((rc = pz_pn_next(&st->ex, plan, &row)) == 1) {
        if ((rc = sink->row(sink->ctx, row, plan->n_cols)) != 0) {
            return pz_sql_err_code(st->ex.err, rc, "sending a row");
        }
        (*n)++;
        got++;
        if (reset_ok && (rc = pz_ex_tmp_reset(&st->ex)) != 0) {
            return rc;
        }
        if (max != 0 && got >= max) {
            *more = true;
            return 0;
        }
    }
    return rc;
}

static void s_tag(const pz_ast_stmt_t *s, const pz_pn_t *plan, uint64_t n, char *tag)
{
    uint64_t count = plan->dml ? plan->dml->count : n;
    switch (s->kind) {
    case PZ_AS_INSERT:
        snprintf(tag, 64, "INSERT 0 %llu", (unsigned long long)count);
        break;
    case PZ_AS_UPDATE:
        snprintf(tag, 64, "UPDATE %llu", (unsigned long long)count);
        break;
    case PZ_AS_DELETE:
        snprintf(tag, 64, "DELETE %llu", (unsigned long long)count);
        break;
    default:
        snprintf(tag, 64, "SELECT %llu", (unsigned long long)n);
        break;
    }
}

/* SELECT ... FOR UPDATE/SHARE in a transaction: the statement's reads lock what they return
 * (every table of the FROM list, as PostgreSQL without OF; FOR KEY SHARE is a shared lock that
 * also holds off FOR NO KEY UPDATE, which is stronger than PostgreSQL), and NOWAIT fails at
 * once on a held lock. Outside a block a statement is its own
 * transaction, so its locks would end with it: nothing to do. */
static void s_lock_mode(pz_sql_conn_t *c, const pz_ast_stmt_t *s)
{
    const pz_ast_select_t *q = s != NULL && s->kind == PZ_AS_SELECT ? s->select : NULL;
    bool lock = q != NULL && q->locking != 0 && c->kv.in_txn;
    /* FOR UPDATE (1) and FOR NO KEY UPDATE (2) lock exclusively; FOR SHARE (3) and FOR KEY
     * SHARE (4) take shared locks, which other readers of the same strength share. */
    bool shared = lock && (q->locking == 3 || q->locking == 4);
    c->kv.lock = !lock ? PZ_LOCK_NONE : (shared ? PZ_LOCK_SHARED : PZ_LOCK_EXCLUSIVE);
    c->kv.wait_policy = lock && q->lock_nowait ? PZ_WAIT_ERROR : PZ_WAIT_BLOCK;
}

/* Opens a statement's plan; a write statement outside a block does its work (at open) inside
 * an implicit transaction that commits before the first row is sent. Without it the statement's
 * reads and its conditional writes happen at different timestamps with nothing tying them
 * together: two concurrent `INSERT ... WHERE NOT EXISTS (SELECT ...)` both inserted (write skew,
 * test_sql_txn). */
static int s_open(pz_sql_conn_t *c, pz_ex_t *ex, pz_pn_t *plan, const pz_ast_stmt_t *s)
{
    bool implicit = c->status == 'I' && !c->kv.in_txn &&
                    (s->kind == PZ_AS_INSERT || s->kind == PZ_AS_UPDATE || s->kind == PZ_AS_DELETE);
    if (implicit) {
        bool ro = strcasecmp(s_get(c, "default_transaction_read_only"), "on") == 0;
        int rc = pz_sql_txn_implicit_begin(&c->txn, &c->kv, ro, ex->err);
        if (rc != 0) {
            return rc;
        }
    }
    int rc = pz_pn_open(ex, plan);
    if (implicit) {
        int erc = pz_sql_txn_implicit_end(&c->txn, &c->kv, rc == 0, ex->err);
        rc = rc ? rc : erc;
    }
    return rc;
}

static int s_query(pz_sql_conn_t *c, s_stmt_t *st, const pz_ast_stmt_t *s,
                   const pz_sql_sink_t *sink, char *tag)
{
    s_lock_mode(c, s);
    pz_pn_t *plan = NULL;
    int rc = pz_bind_stmt(&st->b, s, &plan);
    if (rc == 0 && st->b.n_params > 0) {
        rc = pz_sql_err_set(st->ex.err, "08P01", "there is no parameter $1");
        st->ex.err->position = 0;
    }
    rc = rc ? rc : s_open(c, &st->ex, plan, s);
    bool rows = s->kind == PZ_AS_SELECT || s->n_returning > 0;
    if (rc == 0 && rows) {
        rc = s_columns(sink, st, plan);
    }
    uint64_t n = 0;
    bool more;
    rc = rc ? rc : s_pump(st, plan, sink, 0, &n, &more);
    if (rc == 0) {
        s_tag(s, plan, n, tag);
    }
    s_lock_mode(c, NULL);
    if (plan != NULL) {
        pz_pn_close(&st->ex, plan);
    }
    return rc;
}

/* ---- SET / SHOW / RESET, transactions ------------------------------------------------------- */

static int s_set_value(pz_sql_conn_t *c, s_stmt_t *st, const pz_ast_stmt_t *s, char *out,
                       size_t cap)
{
    out[0] = '\0';
    size_t len = 0;
    for (int i = 0; i < s->n_set_values; i++) {
        pz_bx_t *x;
        int rc = pz_bind_expr_noscope(&st->b, s->set_values[i], &x);
        pz_datum_t v;
        rc = rc ? rc : pz_bx_eval(&st->ex, x, NULL, &v);
        if (rc != 0) {
            return rc;
        }
        pz_sbuf_t b = {0};
        if (!v.null) {
            pz_datum_to_text(&c->env, &v, &b);
        }
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%.*s", i ? ", " : "",
                                (int)b.len, b.p ? b.p : "");
        pz_sbuf_free(&b);
    }
    return 0;
}

/* TimeZone as PostgreSQL's check_timezone: a number is hours east of UTC (SQL sign), anything
 * else a zone name or POSIX string (sql_tz.h). v becomes the name SHOW prints. */
static int s_set_timezone(pz_sql_conn_t *c, char *v, size_t cap, pz_sql_err_t *err)
{
    char *end;
    double hours = strtod(v, &end);
    const pz_tz_t *z;
    if (end != v && *end == '\0') {
        z = fabs(hours) < 168 ? pz_tz_offset((int32_t)(hours * 3600)) : NULL;
    } else {
        z = pz_tz_find(v);
    }
    if (z == NULL) {
        return pz_sql_err_set(err, "22023", "invalid value for parameter \"TimeZone\": \"%s\"", v);
    }
    if (c->env.tz != z) {
        s_shapes_flush(c); /* cached plans folded zone-dependent constants in the old zone */
    }
    c->env.tz = z;
    snprintf(v, cap, "%s", pz_tz_name(z));
    return 0;
}

static int s_set_text(pz_sql_conn_t *c, int i, const char *name, char *v, size_t cap,
                      const pz_sql_sink_t *sink, pz_sql_err_t *err);

static int s_set(pz_sql_conn_t *c, s_stmt_t *st, const pz_ast_stmt_t *s, const pz_sql_sink_t *sink,
                 pz_sql_err_t *err)
{
    if (s->reset_all) {
        for (size_t i = 0; i < S_N_SETTINGS; i++) {
            snprintf(c->settings[i], sizeof c->settings[i], "%s", s_defaults[i][1]);
        }
        c->env = pz_sql_tyenv_default();
        c->work_mem_kb = S_WORK_MEM_KB_DEFAULT;
        return s_resolve_search_path(c, err);
    }
    const char *name = s->name;
    if (strcasecmp(name, "time zone") == 0) {
        name = "timezone";
    }
    int i = s_setting_idx(name);
    if (i < 0) {
        return pz_sql_err_set(err, "42704", "unrecognized configuration parameter \"%s\"", name);
    }
    char v[128];
    if (s->reset || s->set_default) {
        snprintf(v, sizeof v, "%s", s_defaults[i][1]);
    } else {
        int rc = s_set_value(c, st, s, v, sizeof v);
        if (rc != 0) {
            return rc;
        }
    }
    return s_set_text(c, i, name, v, sizeof v, sink, err);
}

/* Setting i (called name) to the text v (rewritten to its canonical form), reported to the
 * client through sink when it is one of the settings PostgreSQL reports (sink may be NULL). */
static int s_set_text(pz_sql_conn_t *c, int i, const char *name, char *v, size_t cap,
                      const pz_sql_sink_t *sink, pz_sql_err_t *err)
{
    if (strcasecmp(name, "timezone") == 0) {
        int rc = s_set_timezone(c, v, cap, err);
        if (rc != 0) {
            return rc;
        }
    } else if (strcasecmp(name, "extra_float_digits") == 0) {
        c->env.extra_float_digits = atoi(v);
    } else if (strcasecmp(name, "work_mem") == 0) {
        int64_t kb;
        int rc = pz_spill_parse_kb("work_mem", v, &kb, err);
        if (rc != 0) {
            return rc;
        }
        pz_spill_format_kb(kb, v, sizeof v); /* SHOW prints PostgreSQL's normalized form */
        c->work_mem_kb = kb;
    } else if (strcasecmp(name, "client_encoding") == 0 && strcasecmp(v, "utf8") != 0 &&
               strcasecmp(v, "utf-8") != 0 && strcasecmp(v, "unicode") != 0) {
        return pz_sql_err_set(err, "0A000", "client encoding \"%s\" is not supported", v);
    }
    snprintf(c->settings[i], sizeof c->settings[i], "%s", v);
    if (strcasecmp(name, "search_path") == 0) {
        int rc = s_resolve_search_path(c, err);
        if (rc != 0) {
            return rc;
        }
    }
    static const char *const reported[] = {"application_name", "client_encoding",
                                           "datestyle",        "timezone",
                                           "intervalstyle",    "standard_conforming_strings"};
    for (size_t k = 0; k < sizeof reported / sizeof reported[0]; k++) {
        if (strcasecmp(name, reported[k]) == 0 && sink != NULL && sink->param_status) {
            const char *pname = strcasecmp(name, "timezone") == 0        ? "TimeZone"
                                : strcasecmp(name, "datestyle") == 0     ? "DateStyle"
                                : strcasecmp(name, "intervalstyle") == 0 ? "IntervalStyle"
                                                                         : reported[k];
            return sink->param_status(sink->ctx, pname, v);
        }
    }
    return 0;
}

int pz_sql_conn_set_param(pz_sql_conn_t *c, const char *name, const char *value, pz_sql_err_t *err)
{
    assert(c != NULL && name != NULL && value != NULL && err != NULL);
    int i = s_setting_idx(name);
    if (i < 0) {
        return 0; /* a setting we do not keep: ignored, as before settings existed */
    }
    char v[sizeof c->settings[0]];
    snprintf(v, sizeof v, "%s", value);
    return s_set_text(c, i, s_defaults[i][0], v, sizeof v, NULL, err);
}

struct pz_sql_seqs *pz_sql_conn_seqs(const void *session)
{
    /* The executor holds the connection as const for reading settings; its sequence state is
     * the one part statements change, on the connection's own thread. */
    return session != NULL ? &((pz_sql_conn_t *)(uintptr_t)session)->seqs : NULL;
}

const char *pz_sql_conn_setting(const pz_sql_conn_t *c, const char *name)
{
    assert(c != NULL && name != NULL);
    return s_get(c, name);
}

static int s_show(pz_sql_conn_t *c, const pz_ast_stmt_t *s, const pz_sql_sink_t *sink,
                  pz_sql_err_t *err, char *tag)
{
    if (s->show_all) {
        pz_sql_col_t cols[3] = {{"name", PZ_SQL_TYPE(PZ_TY_TEXT)},
                                {"setting", PZ_SQL_TYPE(PZ_TY_TEXT)},
                                {"description", PZ_SQL_TYPE(PZ_TY_TEXT)}};
        int rc = sink->columns(sink->ctx, cols, 3);
        for (size_t i = 0; rc == 0 && i < S_N_SETTINGS; i++) {
            pz_datum_t row[3] = {
                pz_datum_bytes(PZ_TY_TEXT, s_defaults[i][0], (uint32_t)strlen(s_defaults[i][0])),
                pz_datum_bytes(PZ_TY_TEXT, c->settings[i], (uint32_t)strlen(c->settings[i])),
                pz_datum_bytes(PZ_TY_TEXT, "", 0)};
            rc = sink->row(sink->ctx, row, 3);
        }
        snprintf(tag, 64, "SHOW");
        return rc;
    }
    const char *name = strcasecmp(s->name, "time zone") == 0 ? "timezone" : s->name;
    if (strcasecmp(name, "transaction isolation level") == 0) {
        name = "transaction_isolation";
    }
    int i = s_setting_idx(name);
    if (i < 0) {
        return pz_sql_err_set(err, "42704", "unrecognized configuration parameter \"%s\"", name);
    }
    const char *shown = strcasecmp(s_defaults[i][0], "timezone") == 0    ? "TimeZone"
                        : strcasecmp(s_defaults[i][0], "datestyle") == 0 ? "DateStyle"
                                                                         : s_defaults[i][0];
    pz_sql_col_t col = {shown, PZ_SQL_TYPE(PZ_TY_TEXT)};
    pz_datum_t v = pz_datum_bytes(PZ_TY_TEXT, c->settings[i], (uint32_t)strlen(c->settings[i]));
    int rc = sink->columns(sink->ctx, &col, 1);
    rc = rc ? rc : sink->row(sink->ctx, &v, 1);
    snprintf(tag, 64, "SHOW");
    return rc;
}

static int s_txn(pz_sql_conn_t *c, const pz_ast_stmt_t *s, const pz_sql_sink_t *sink,
                 pz_sql_err_t *err, char *tag)
{
    char was = c->status;
    pz_sql_txn_defaults_t d = {
        .isolation = s_get(c, "default_transaction_isolation"),
        .read_only = strcasecmp(s_get(c, "default_transaction_read_only"), "on") == 0};
    if (s->as_of != NULL && (s->txn == PZ_TXN_BEGIN || s->txn == PZ_TXN_SET)) {
        int arc = pz_aost_eval(s->as_of, &c->env, pz_hlc_now(), &d.as_of, err);
        if (arc != 0) {
            return arc;
        }
    }
    int rc = pz_sql_txn_run(&c->txn, &c->kv, &c->status, s, &d, sink, err, tag);
    if (was == 'I' && c->status == 'T') {
        c->txn_ts_us = s_now_us();
    }
    int i = s_setting_idx("transaction_isolation");
    const char *iso = c->status == 'I' ? d.isolation : pz_sql_txn_isolation_name(&c->txn);
    snprintf(c->settings[i], sizeof c->settings[i], "%s", iso);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static int s_run(pz_sql_conn_t *c, const pz_ast_stmt_t *s, const pz_sql_sink_t *sink,
                 pz_sql_err_t *err, char *tag)
{
    /* A failed block takes only what ends it or undoes the failure: ROLLBACK, COMMIT (which
     * rolls back) and ROLLBACK TO SAVEPOINT (sql_txn.c), as in PostgreSQL. */
    if (c->status == 'E' &&
        !(s->kind == PZ_AS_TXN &&
          (s->txn == PZ_TXN_ROLLBACK || s->txn == PZ_TXN_COMMIT || s->txn == PZ_TXN_ROLLBACK_TO))) {
        return pz_sql_err_set(err, "25P02",
                              "current transaction is aborted, commands ignored "
                              "until end of transaction block");
    }
    if (c->status == 'T' && s->kind != PZ_AS_TXN) {
        int src = pz_sql_txn_step(&c->txn, &c->kv, err);
        if (src != 0) {
            return src;
        }
    }
    s_stmt_t st;
    int rc = s_stmt_begin(c, &st, err);
    rc = rc ? rc : pz_aost_stmt(&c->kv, s, c->status, c->txn.as_of, &c->env, err);
    if (rc != 0) {
        if (st.ex.arena != NULL) {
            s_stmt_end(&st, NULL);
        }
        return rc;
    }
    switch (s->kind) {
    case PZ_AS_SELECT:
    case PZ_AS_INSERT:
    case PZ_AS_UPDATE:
    case PZ_AS_DELETE:
        rc = s_query(c, &st, s, sink, tag);
        for (int attempt = 1; rc != 0 && s_retry(c, s, err, attempt); attempt++) {
            s_stmt_end(&st, NULL);
            rc = s_stmt_begin(c, &st, err);
            rc = rc ? rc : s_query(c, &st, s, sink, tag);
        }
        break;
    case PZ_AS_SET:
        rc = s_set(c, &st, s, sink, err);
        snprintf(tag, 64, s->reset || s->reset_all ? "RESET" : "SET");
        break;
    case PZ_AS_SHOW:
        rc = s_show(c, s, sink, err, tag);
        break;
    case PZ_AS_TXN:
        rc = s_txn(c, s, sink, err, tag);
        break;
    case PZ_AS_DISCARD:
        snprintf(tag, 64, "DISCARD ALL");
        break;
    case PZ_AS_VACUUM:
        /* ANALYZE, and VACUUM's ANALYZE option, collect statistics (sql_stats.c). */
        rc = s->analyze || s->vacuum_analyze ? pz_stats_analyze(&st.b, s, tag) : 0;
        snprintf(tag, 64, s->analyze ? "ANALYZE" : "VACUUM");
        if (rc == 0 && !s->analyze && sink->notice != NULL) {
            pz_sql_err_t n = {0};
            pz_sql_err_set(&n, "00000", "VACUUM does nothing yet");
            pz_sql_err_detail(&n, "Old row versions are not garbage-collected yet.");
            sink->notice(sink->ctx, &n);
        }
        break;
    case PZ_AS_COPY: /* sql_copy.c */
        rc = pz__sql_copy(c, &st.b, s, sink, tag);
        break;
    case PZ_AS_EXPLAIN:
        rc = pz_sql_explain(&st.b, s, sink, tag);
        break;
    case PZ_AS_SPLIT_AT:
    case PZ_AS_SHOW_RANGES: /* sql_ranges.c */
        rc = pz_sql_ranges_run(&st.b, s, sink, tag);
        break;
    case PZ_AS_PREPARE:
    case PZ_AS_EXECUTE:
    case PZ_AS_DEALLOCATE: {
        bool completed = false;
        s_stmt_end(&st, NULL); /* EXECUTE runs in statement contexts of its own */
        rc = pz_sqlprep_run(c, &c->sqlpreps, s, s->query ? s->query : "", sink, err, tag,
                            &completed);
        if (completed) {
            tag[0] = '\0'; /* the portal sent CommandComplete */
        }
        return rc;
    }
    default:
        /* DDL commits on its own, outside the block (the catalog is not transactional yet). */
        c->kv.no_txn = true;
        rc = pz_sql_ddl(&st.b, s, tag);
        c->kv.no_txn = false;
        if (rc == 0) {
            rc = s_resolve_search_path(c, err); /* CREATE/DROP SCHEMA changes it */
        }
        break;
    }
    s_stmt_end(&st, NULL);
    return rc;
}

/* COPY's hook (sql_copy.h): fn in a statement context of its own. */
int pz__sql_conn_with_stmt(pz_sql_conn_t *c, int (*fn)(void *ctx, pz_binder_t *b), void *ctx,
                           pz_sql_err_t *err)
{
    s_stmt_t st;
    int rc = s_stmt_begin(c, &st, err);
    if (rc == 0) {
        rc = fn(ctx, &st.b);
        s_stmt_end(&st, NULL);
    }
    return rc;
}

static bool s_shape_simple(pz_sql_conn_t *c, const char *query, const pz_sql_sink_t *sink,
                           pz_sql_err_t *err, int *rc);

/* ---- a simple query's statements, and replaying its block ----------------------------------- */

static bool s_replayable(const pz_ast_stmt_t *s)
{
    switch (s->kind) {
    case PZ_AS_SELECT:
    case PZ_AS_INSERT:
    case PZ_AS_UPDATE:
    case PZ_AS_DELETE:
    case PZ_AS_TXN:
    case PZ_AS_SET:
    case PZ_AS_SHOW:
        return true;
    default:
        return false;
    }
}

static void s_replay_init(pz_sql_conn_t *c, const pz_sql_sink_t *sink, s_replay_t *rp)
{
    *rp = (s_replay_t){.from = -1};
    if (sink->mark != NULL && sink->rewind != NULL && c->status == 'T' && c->txn.stmts == 0 &&
        c->txn.n_sp == 0) {
        rp->from = 0;
        rp->reopen = true;
        rp->opts = pz_sql_txn_opts(&c->txn);
        sink->mark(sink->ctx, &rp->mark);
    }
}

/* Before statement i: a BEGIN outside a block starts what may be replayed, anything that cannot
 * be undone stops it. */
static void s_replay_note(pz_sql_conn_t *c, const pz_sql_sink_t *sink, const pz_ast_stmt_t *s,
                          int i, s_replay_t *rp)
{
    if (c->status == 'I' && s->kind == PZ_AS_TXN && s->txn == PZ_TXN_BEGIN && sink->mark != NULL &&
        sink->rewind != NULL) {
        rp->from = i;
        rp->reopen = false;
        sink->mark(sink->ctx, &rp->mark);
    } else if (c->status == 'I' || !s_replayable(s)) {
        rp->from = -1;
    }
}

/* Statement i failed with err: true when the block runs again from rp->from (err cleared). */
static bool s_replay(pz_sql_conn_t *c, const pz_sql_sink_t *sink, s_replay_t *rp, pz_sql_err_t *err)
{
    if (rp->from < 0 || !pz_sql_txn_err_retryable(err) || rp->attempts >= S_RETRIES_MAX ||
        sink->rewind(sink->ctx, &rp->mark) != 0) {
        return false;
    }
    rp->attempts++;
    pz_sql_err_t why = *err;
    pz_sql_err_clear(err);
    s_backoff(rp->attempts);
    if (rp->reopen) {
        if (pz_sql_txn_rebegin(&c->txn, &c->kv, &c->status, &rp->opts, err) != 0) {
            pz_sql_err_detail(err, "%s", why.message); /* the client lost the block: say why */
            return false;
        }
    } else {
        pz_sql_txn_abandon(&c->txn, &c->kv, &c->status);
    }
    return true;
}

int pz_sql_conn_simple(pz_sql_conn_t *c, const char *query, const pz_sql_sink_t *sink,
                       pz_sql_err_t *err)
{
    int cached_rc = 0;
    if (s_shape_simple(c, query, sink, err, &cached_rc)) {
        if (cached_rc != 0) {
            pz_sql_conn_failed(c, err);
        }
        return cached_rc;
    }
    pz_arena_t *a = pz_arena_new();
    if (a == NULL) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    pz_ast_stmt_t **stmts = NULL;
    int n = 0;
    int rc = pz_ast_build(a, query, c->cancel, &stmts, &n, err);
    if (rc == 0 && n == 0) {
        rc = sink->empty(sink->ctx);
    }
    s_replay_t rp;
    s_replay_init(c, sink, &rp);
    for (int i = 0; rc == 0 && i < n; i++) {
        char tag[64] = "";
        s_replay_note(c, sink, stmts[i], i, &rp);
        rc = s_run(c, stmts[i], sink, err, tag);
        if (rc == 0 && tag[0] != '\0') { /* empty: the statement completed itself */
            rc = sink->complete(sink->ctx, tag);
        }
        if (rc != 0 && s_replay(c, sink, &rp, err)) {
            rc = 0;
            i = rp.from - 1;
        }
    }
    if (rc != 0) {
        pz_sql_conn_failed(c, err);
    }
    pz_arena_destroy(&a);
    return rc;
}

/* An extended-protocol batch (the messages up to a Sync) is held back the same way: its output
 * stays in the session's buffer until the Sync. The session keeps the batch's messages and
 * sends them again after pz_sql_conn_batch_replay; here the conn decides whether that is safe —
 * the batch opened its block with its first Execute (a BEGIN), or came into a block an earlier
 * message had begun and nothing had run in yet, and every Execute since was undone with the
 * transaction. */
void pz_sql_conn_batch_start(pz_sql_conn_t *c, const pz_sql_sink_t *sink)
{
    s_replay_init(c, sink, &c->batch);
    if (c->batch.from < 0 && sink->mark != NULL && sink->rewind != NULL) {
        sink->mark(sink->ctx, &c->batch.mark); /* for a BEGIN the first Execute may run */
    }
    c->batch_execs = 0;
}

/* After Execute of statement s succeeded, the status before it was `before`. */
static void s_batch_note(pz_sql_conn_t *c, const pz_ast_stmt_t *s, char before)
{
    bool first = c->batch_execs++ == 0;
    if (first && before == 'I' && c->status == 'T' && c->txn.stmts == 0 && c->txn.n_sp == 0 &&
        s->kind == PZ_AS_TXN && s->txn == PZ_TXN_BEGIN) {
        c->batch.from = 0;
        c->batch.reopen = false;
    } else if (c->status == 'I' || !s_replayable(s)) {
        c->batch.from = -1;
    }
}

bool pz_sql_conn_batch_replay(pz_sql_conn_t *c, const pz_sql_sink_t *sink, pz_sql_err_t *err)
{
    if (!s_replay(c, sink, &c->batch, err)) {
        return false;
    }
    c->batch_execs = 0;
    if (!c->batch.reopen) {
        c->batch.from = -1; /* until the BEGIN runs again */
    }
    return true;
}

/* ---- extended protocol ---------------------------------------------------------------------- */

/* A prepared statement keeps its bound plan between executions (the plan cache): a portal
 * reuses it when the catalog has not changed since (pz_cat_generation) and no other portal is
 * running it; plans with subqueries are not reused (their subplans cache rows per execution). */
struct pz_sql_prep {
    pz_arena_t *arena;
    pz_ast_stmt_t *stmt; /* NULL: an empty query */
    pz_sql_type_t *params;
    int n_params;
    pz_sql_col_t *cols;
    int n_cols;
    s_stmt_t *cached; /* the plan's binding: arena, descriptor references */
    pz_sql_err_t cached_err;
    pz_pn_t *plan;
    uint64_t gen;
    bool in_use;         /* a portal runs the cached plan */
    bool orphan;         /* freed while in use: the portal frees it */
    pz_sql_lits_t *lits; /* a simple-protocol shape's literals (its parameters), or NULL */
};

struct pz_sql_portal {
    pz_sql_prep_t *prep;
    bool cached; /* runs prep's cached plan */
    s_stmt_t st;
    pz_sql_err_t err;
    pz_pn_t *plan;
    pz_datum_t *params;
    bool started, done;
    uint64_t n;
    pz_sql_col_t *cols;
    int n_cols;
    pz_hlc_t as_of; /* AS OF SYSTEM TIME outside a block: every Execute reads there */
};

static bool s_is_query(const pz_ast_stmt_t *s)
{
    return s != NULL && (s->kind == PZ_AS_SELECT || s->kind == PZ_AS_INSERT ||
                         s->kind == PZ_AS_UPDATE || s->kind == PZ_AS_DELETE);
}

/* Binds the statement once to learn its parameter and result types. */
static int s_prep_types(pz_sql_conn_t *c, pz_sql_prep_t *p, const uint32_t *oids, int n,
                        pz_sql_err_t *err)
{
    s_stmt_t st;
    int rc = s_stmt_begin(c, &st, err);
    if (rc != 0) {
        return rc;
    }
    pz_binder_t *b = &st.b;
    b->lits = p->lits;
    b->params = calloc((size_t)n + 1, sizeof *b->params);
    b->params_cap = n + 1;
    for (int i = 0; b->params && i < n; i++) {
        if (oids[i] == 0 || !pz_ty_from_oid(oids[i], &b->params[i])) {
            b->params[i] = PZ_SQL_TYPE(PZ_TY_UNKNOWN);
        }
    }
    b->n_params = n;
    pz_pn_t *plan = NULL;
    rc =
        b->params ? pz_bind_stmt(b, p->stmt, &plan) : pz_sql_err_set(err, "53200", "out of memory");
    if (rc == 0) {
        p->n_params = b->n_params;
        p->params = pz_arena_alloc(p->arena, sizeof *p->params * (size_t)(b->n_params + 1));
        p->n_cols = plan->n_cols;
        p->cols = pz_arena_alloc(p->arena, sizeof *p->cols * (size_t)(plan->n_cols + 1));
        rc = p->params && p->cols ? 0 : pz_sql_err_set(err, "53200", "out of memory");
    }
    for (int i = 0; rc == 0 && i < p->n_params; i++) {
        /* A parameter whose type nothing decided is text, as PostgreSQL resolves unknown. */
        p->params[i] = b->params[i].id == PZ_TY_UNKNOWN ? PZ_SQL_TYPE(PZ_TY_TEXT) : b->params[i];
    }
    for (int i = 0; rc == 0 && i < p->n_cols; i++) {
        const char *nm = plan->names[i] ? plan->names[i] : "?column?";
        pz_view_t v = pz_arena_dup(p->arena, nm, strlen(nm) + 1);
        p->cols[i] = (pz_sql_col_t){.name = v.ptr ? (const char *)v.ptr : "?column?",
                                    .type = plan->types[i]};
    }
    s_stmt_end(&st, NULL);
    return rc;
}

int pz_sql_prepare(pz_sql_conn_t *c, const char *query, const uint32_t *param_oids, int n_params,
                   pz_sql_prep_t **out, pz_sql_err_t *err)
{
    pz_sql_prep_t *p = calloc(1, sizeof *p);
    if (p == NULL || (p->arena = pz_arena_new()) == NULL) {
        free(p);
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    pz_ast_stmt_t **stmts = NULL;
    int n = 0;
    int rc = pz_ast_build(p->arena, query, c->cancel, &stmts, &n, err);
    if (rc == 0 && n > 1) {
        rc = pz_sql_err_set(err, "42601",
                            "cannot insert multiple commands into a prepared "
                            "statement");
    }
    if (rc == 0 && n == 1) {
        p->stmt = stmts[0];
        if (s_is_query(p->stmt)) {
            rc = s_prep_types(c, p, param_oids, n_params, err);
        } else if (p->stmt->kind == PZ_AS_SPLIT_AT || p->stmt->kind == PZ_AS_SHOW_RANGES) {
            const pz_sql_col_t *cols = NULL;
            p->n_cols = pz_sql_ranges_columns(p->stmt, &cols);
            p->cols = (pz_sql_col_t *)cols; /* static: never freed (the arena frees p only) */
        } else if (p->stmt->kind == PZ_AS_SHOW) {
            p->cols = pz_arena_alloc(p->arena, sizeof *p->cols);
            if (p->cols != NULL) {
                p->cols[0] = (pz_sql_col_t){.name = p->stmt->name, .type = PZ_SQL_TYPE(PZ_TY_TEXT)};
                p->n_cols = p->stmt->show_all ? 0 : 1;
            }
        }
    }
    if (rc != 0) {
        pz_sql_prep_free(&p);
        return rc;
    }
    *out = p;
    return 0;
}

static void s_uncache(pz_sql_prep_t *p)
{
    if (p->cached != NULL) {
        s_stmt_end(p->cached, NULL);
        free(p->cached);
        p->cached = NULL;
        p->plan = NULL;
    }
}

void pz_sql_prep_free(pz_sql_prep_t **p)
{
    if (p == NULL || *p == NULL) {
        return;
    }
    if ((*p)->in_use) {
        (*p)->orphan = true; /* the portal running the plan frees it */
        *p = NULL;
        return;
    }
    s_uncache(*p);
    pz_arena_destroy(&(*p)->arena);
    free(*p);
    *p = NULL;
}

/* Binds the prepared statement into its cache (parameter types fixed). 0, or an error when it
 * does not bind now (the portal then binds its own plan and reports the error). */
static int s_cache_plan(pz_sql_conn_t *c, pz_sql_prep_t *p)
{
    s_uncache(p);
    s_stmt_t *st = calloc(1, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    pz_sql_err_clear(&p->cached_err);
    uint64_t gen = pz_cat_generation(c->eng->cat);
    int rc = s_stmt_begin(c, st, &p->cached_err);
    pz_binder_t *b = &st->b;
    if (rc == 0) {
        b->params = calloc((size_t)p->n_params + 1, sizeof *b->params);
        rc = b->params ? 0 : PZ_ENOMEM;
    }
    for (int i = 0; rc == 0 && i < p->n_params; i++) {
        b->params[i] = p->params[i];
    }
    b->n_params = b->params_cap = p->n_params;
    b->params_fixed = true;
    b->lits = p->lits;
    pz_pn_t *plan = NULL;
    rc = rc ? rc : pz_bind_stmt(b, p->stmt, &plan);
    if (rc != 0 || b->has_sub) {
        if (st->ex.arena != NULL) {
            s_stmt_end(st, NULL);
        }
        free(st);
        return rc ? rc : PZ_EINVAL;
    }
    p->cached = st;
    p->plan = plan;
    p->gen = gen;
    return 0;
}

void pz_sql_prep_describe(const pz_sql_prep_t *p, const pz_sql_type_t **params, int *n_params,
                          const pz_sql_col_t **cols, int *n_cols)
{
    *params = p->params;
    *n_params = p->n_params;
    *cols = p->cols;
    *n_cols = p->n_cols;
}

/* A portal over the prepared statement's cached plan: its own arenas and parameters. */
static int s_portal_cached(pz_sql_conn_t *c, pz_sql_prep_t *p, pz_sql_portal_t *po,
                           const pz_datum_t *params, int n, pz_sql_portal_t **out,
                           pz_sql_err_t *err)
{
    int rc = s_stmt_begin(c, &po->st, &po->err);
    po->params = rc ? NULL : pz_ex_alloc(&po->st.ex, sizeof *po->params * (size_t)(n + 1));
    rc = rc ? rc : (po->params ? 0 : PZ_ENOMEM);
    for (int i = 0; rc == 0 && i < n; i++) {
        if (pz_datum_copy(po->st.ex.arena, &params[i], &po->params[i]) != 0) {
            rc = pz_sql_err_set(&po->err, "53200", "out of memory");
        }
    }
    if (rc != 0) {
        *err = po->err;
        pz_sql_portal_free(&po);
        return rc;
    }
    po->st.ex.params = po->params;
    po->st.ex.n_params = n;
    po->plan = p->plan;
    po->cached = true;
    p->in_use = true;
    *out = po;
    return 0;
}

int pz_sql_bind_portal(pz_sql_conn_t *c, pz_sql_prep_t *p, const pz_datum_t *params, int n,
                       pz_sql_portal_t **out, pz_sql_err_t *err)
{
    pz_sql_portal_t *po = calloc(1, sizeof *po);
    if (po == NULL) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    po->prep = p;
    po->cols = p->cols;
    po->n_cols = p->n_cols;
    if (!s_is_query(p->stmt)) {
        *out = po; /* run whole at Execute */
        return 0;
    }
    if (!p->in_use && (p->plan == NULL || p->gen != pz_cat_generation(c->eng->cat))) {
        s_cache_plan(c, p); /* a failure leaves no cache: the bind below reports the error */
    }
    if (p->plan != NULL && !p->in_use) {
        return s_portal_cached(c, p, po, params, n, out, err);
    }
    int rc = s_stmt_begin(c, &po->st, &po->err);
    pz_binder_t *b = &po->st.b;
    if (rc == 0) {
        b->params = calloc((size_t)p->n_params + 1, sizeof *b->params);
        rc = b->params ? 0 : pz_sql_err_set(&po->err, "53200", "out of memory");
    }
    for (int i = 0; rc == 0 && i < p->n_params; i++) {
        b->params[i] = p->params[i];
    }
    b->n_params = b->params_cap = p->n_params;
    b->params_fixed = true;
    b->lits = p->lits;
    po->params = rc ? NULL : pz_ex_alloc(&po->st.ex, sizeof *po->params * (size_t)(n + 1));
    for (int i = 0; po->params && i < n; i++) {
        if (pz_datum_copy(po->st.ex.arena, &params[i], &po->params[i]) != 0) {
            rc = pz_sql_err_set(&po->err, "53200", "out of memory");
        }
    }
    po->st.ex.params = po->params;
    po->st.ex.n_params = n;
    rc = rc ? rc : pz_bind_stmt(b, p->stmt, &po->plan);
    if (rc != 0) {
        *err = po->err;
        pz_sql_portal_free(&po);
        return rc;
    }
    *out = po;
    return 0;
}

void pz_sql_portal_describe(const pz_sql_portal_t *p, const pz_sql_col_t **cols, int *n_cols)
{
    *cols = p->cols;
    *n_cols = p->n_cols;
}

void pz_sql_portal_free(pz_sql_portal_t **p)
{
    if (p == NULL || *p == NULL) {
        return;
    }
    if ((*p)->st.ex.arena != NULL) {
        s_stmt_end(&(*p)->st, (*p)->started ? (*p)->plan : NULL);
    }
    if ((*p)->cached) {
        pz_sql_prep_t *prep = (*p)->prep;
        prep->in_use = false;
        if (prep->orphan) {
            prep->orphan = false;
            pz_sql_prep_free(&prep);
        }
    }
    free(*p);
    *p = NULL;
}

/* Opens the portal's plan (a DML statement does its work here), retrying a lost race. */
static int s_portal_start(pz_sql_conn_t *c, pz_sql_portal_t *p, pz_sql_err_t *err)
{
    assert(!p->started);
    p->st.ex.err = err;
    p->st.ex.fn.err = err;
    p->started = true;
    if (c->status == 'T') {
        int rc = pz_sql_txn_step(&c->txn, &c->kv, err);
        if (rc != 0) {
            return rc;
        }
    }
    pz_sql_kv_stmt_begin(&c->kv);
    int rc = pz_aost_stmt(&c->kv, p->prep->stmt, c->status, c->txn.as_of, &c->env, err);
    if (rc != 0) {
        return rc;
    }
    p->as_of = c->kv.as_of;
    s_lock_mode(c, p->prep->stmt);
    rc = s_open(c, &p->st.ex, p->plan, p->prep->stmt);
    for (int attempt = 1; rc != 0 && s_retry(c, p->prep->stmt, err, attempt); attempt++) {
        pz_pn_close(&p->st.ex, p->plan);
        pz_ex_rerun(&p->st.ex);
        pz_sql_kv_stmt_begin(&c->kv);
        rc = s_open(c, &p->st.ex, p->plan, p->prep->stmt);
    }
    return rc;
}

static int s_portal_exec(pz_sql_conn_t *c, pz_sql_portal_t *p, uint32_t max_rows,
                         const pz_sql_sink_t *sink, bool *suspended, pz_sql_err_t *err);

int pz_sql_portal_run(pz_sql_conn_t *c, pz_sql_portal_t *p, uint32_t max_rows,
                      const pz_sql_sink_t *sink, bool *suspended, pz_sql_err_t *err)
{
    *suspended = false;
    const pz_ast_stmt_t *s = p->prep->stmt;
    if (s == NULL) {
        return sink->empty(sink->ctx);
    }
    char before = c->status;
    int rc = s_portal_exec(c, p, max_rows, sink, suspended, err);
    if (rc == 0) {
        s_batch_note(c, s, before);
    }
    return rc;
}

static int s_portal_exec(pz_sql_conn_t *c, pz_sql_portal_t *p, uint32_t max_rows,
                         const pz_sql_sink_t *sink, bool *suspended, pz_sql_err_t *err)
{
    const pz_ast_stmt_t *s = p->prep->stmt;
    if (!s_is_query(s)) {
        if (p->done) {
            return pz_sql_err_set(err, "55000", "portal has already run");
        }
        char tag[64] = "";
        p->done = true;
        int rc = s_run(c, s, sink, err, tag);
        return rc || tag[0] == '\0' ? rc : sink->complete(sink->ctx, tag);
    }
    if (c->status == 'E') {
        return pz_sql_err_set(err, "25P02",
                              "current transaction is aborted, commands ignored "
                              "until end of transaction block");
    }
    if (p->done) {
        char tag[64];
        s_tag(s, p->plan, 0, tag); /* PostgreSQL counts this Execute's rows: none */
        return sink->complete(sink->ctx, tag);
    }
    int rc = p->started ? 0 : s_portal_start(c, p, err);
    p->st.ex.err = err;
    p->st.ex.fn.err = err;
    bool more = false;
    uint64_t before = p->n;
    if (!pz_hlc_is_zero(p->as_of)) {
        c->kv.as_of = c->kv.read_ts = p->as_of; /* other statements ran since it was suspended */
    }
    s_lock_mode(c, s);
    rc = rc ? rc : s_pump(&p->st, p->plan, sink, max_rows, &p->n, &more);
    s_lock_mode(c, NULL);
    if (rc != 0) {
        p->done = true;
        return rc;
    }
    if (more) {
        *suspended = true;
        return 0;
    }
    p->done = true;
    char tag[64];
    s_tag(s, p->plan, p->n - before, tag); /* the rows of this Execute, as PostgreSQL counts */
    return sink->complete(sink->ctx, tag);
}

/* ---- the simple-protocol plan cache (sql_shape.h) ---------------------------------------------
 */

typedef struct s_shape_entry {
    uint64_t hash;
    uint8_t *key;
    uint32_t key_len;
    pz_sql_prep_t *prep; /* NULL: this shape runs uncached (not a query, or it does not bind with
                            its literals as parameters) */
    uint64_t gen;        /* the catalog generation it was made under */
    uint64_t used;       /* shape_tick of its last use */
} s_shape_entry_t;

static void s_shape_free(s_shape_entry_t **e)
{
    if (*e != NULL) {
        pz_sql_prep_free(&(*e)->prep);
        free((*e)->key);
        free(*e);
        *e = NULL;
    }
}

static void s_shapes_flush(pz_sql_conn_t *c)
{
    for (int i = 0; i < PZ_SQL_SHAPE_ENTRIES_MAX; i++) {
        s_shape_free(&c->shapes[i]);
    }
}

/* Parses and binds the statement with its literals as parameters, and caches its plan. 0, or
 * nonzero when the shape must run uncached (err cleared: the uncached run reports any error). */
static int s_shape_prepare(pz_sql_conn_t *c, const pz_shape_t *sh, pz_sql_prep_t **out,
                           pz_sql_err_t *err)
{
    pz_sql_prep_t *p = calloc(1, sizeof *p);
    size_t n = strlen(sh->query);
    char *q = NULL;
    if (p == NULL || (p->arena = pz_arena_new()) == NULL ||
        (q = pz_arena_alloc(p->arena, n + 1)) == NULL ||
        (p->lits = pz_arena_alloc(p->arena, sizeof *p->lits)) == NULL) {
        if (p != NULL) {
            pz_arena_destroy(&p->arena);
            free(p);
        }
        return PZ_ENOMEM;
    }
    memcpy(q, sh->query, n + 1);
    pz_lits_init(p->lits, sh);
    p->lits->query = q; /* the same text: the literals' offsets hold */
    pz_ast_stmt_t **stmts = NULL;
    int ns = 0;
    int rc = pz_ast_build(p->arena, q, c->cancel, &stmts, &ns, err);
    rc = rc ? rc : (ns == 1 && s_is_query(stmts[0]) ? 0 : PZ_EINVAL);
    if (rc == 0) {
        p->stmt = stmts[0];
        rc = s_prep_types(c, p, NULL, 0, err);
    }
    for (int i = 0; rc == 0 && i < p->n_params; i++) {
        /* 'name'::regclass looks the name up while binding: a parameter cannot. */
        rc = p->params[i].id == PZ_TY_REGCLASS ? PZ_EINVAL : 0;
    }
    rc = rc ? rc : (p->n_params == p->lits->n_params ? 0 : PZ_EINVAL);
    if (rc == 0) {
        s_cache_plan(c, p); /* a plan with subqueries is bound per run instead */
        size_t bytes =
            pz_arena_used(p->arena) + (p->cached ? pz_arena_used(p->cached->ex.arena) : 0);
        rc = bytes <= PZ_SQL_SHAPE_ENTRY_BYTES_MAX ? 0 : PZ_ELIMIT;
    }
    if (rc != 0) {
        pz_sql_err_clear(err);
        pz_sql_prep_free(&p);
        return rc;
    }
    *out = p;
    return 0;
}

/* The entry for sh: found (and still valid), or made in the least recently used place. NULL
 * only when memory runs out. */
static s_shape_entry_t *s_shape_entry(pz_sql_conn_t *c, const pz_shape_t *sh, pz_sql_err_t *err)
{
    uint64_t gen = pz_cat_generation(c->eng->cat);
    int victim = 0;
    for (int i = 0; i < PZ_SQL_SHAPE_ENTRIES_MAX; i++) {
        s_shape_entry_t *e = c->shapes[i];
        if (e == NULL) {
            victim = i;
            break;
        }
        if (e->hash == sh->hash && e->key_len == sh->key_len &&
            memcmp(e->key, sh->key, sh->key_len) == 0) {
            bool valid =
                e->gen == gen && (e->prep == NULL || pz_lits_fixed_match(e->prep->lits, sh));
            if (valid) {
                return e;
            }
            victim = i; /* stale, or fixed literals differ: made again */
            break;
        }
        victim = e->used < c->shapes[victim]->used ? i : victim;
    }
    s_shape_free(&c->shapes[victim]);
    s_shape_entry_t *e = calloc(1, sizeof *e);
    if (e == NULL || (e->key = malloc(sh->key_len)) == NULL) {
        free(e);
        return NULL;
    }
    memcpy(e->key, sh->key, sh->key_len);
    e->key_len = sh->key_len;
    e->hash = sh->hash;
    e->gen = gen;
    (void)s_shape_prepare(c, sh, &e->prep, err);
    c->shapes[victim] = e;
    return e;
}

/* Runs the query on its shape's cached plan. false when it must run uncached instead, with
 * nothing sent: its literals do not convert to the parameters' types, or binding or opening
 * failed with an error that points into the text (the uncached run reports it at the right
 * place; a statement failing there has written nothing). */
static bool s_shape_run(pz_sql_conn_t *c, pz_sql_prep_t *p, const pz_shape_t *sh,
                        const pz_sql_sink_t *sink, pz_sql_err_t *err, int *rc)
{
    pz_arena_t *a = pz_arena_new();
    pz_datum_t params[PZ_SQL_SHAPE_LITS_MAX];
    pz_sql_portal_t *po = NULL;
    int r = a ? pz_lits_params(p->lits, sh, p->params, a, &c->env, params, err) : PZ_ENOMEM;
    r = r ? r : pz_sql_bind_portal(c, p, params, p->n_params, &po, err);
    pz_arena_destroy(&a);
    r = r ? r : s_portal_start(c, po, err);
    if (r != 0 && (po == NULL || err->position != 0)) {
        pz_sql_portal_free(&po);
        pz_sql_err_clear(err);
        return false;
    }
    if (r == 0 && (p->stmt->kind == PZ_AS_SELECT || p->stmt->n_returning > 0)) {
        r = s_columns(sink, &po->st, po->plan);
    }
    bool suspended;
    *rc = r ? r : pz_sql_portal_run(c, po, 0, sink, &suspended, err);
    pz_sql_portal_free(&po);
    return true;
}

static bool s_shape_simple(pz_sql_conn_t *c, const char *query, const pz_sql_sink_t *sink,
                           pz_sql_err_t *err, int *rc)
{
    if (c->status == 'E') {
        return false; /* the uncached path answers 25P02 */
    }
    pz_shape_t sh; /* ~11 KiB: sessions have PZ_SQL_SESSION_STACK_BYTES */
    if (!pz_shape_scan(query, &sh)) {
        return false;
    }
    s_shape_entry_t *e = s_shape_entry(c, &sh, err);
    if (e == NULL || e->prep == NULL) {
        return false;
    }
    e->used = ++c->shape_tick;
    return s_shape_run(c, e->prep, &sh, sink, err, rc);
}
