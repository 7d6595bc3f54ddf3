/*
 * sql_txn.c — transaction blocks (sql_txn.h): the SQL statements that open, end and partly undo
 * a transaction, translated into the coordinator's TXN_CTL requests.
 *
 * PostgreSQL's semantics, with CockroachDB's where PostgreSQL has no equivalent:
 *   - REPEATABLE READ runs as SERIALIZABLE and READ UNCOMMITTED as READ COMMITTED (stronger
 *     levels, as PostgreSQL itself maps READ UNCOMMITTED);
 *   - a failed block accepts only ROLLBACK, COMMIT (which then rolls back, tag ROLLBACK) and
 *     ROLLBACK TO SAVEPOINT;
 *   - after a retryable error (40001, 40P01) ROLLBACK TO a savepoint taken before the first write
 *     restarts the transaction at a new epoch (CockroachDB's client-side retry protocol: the
 *     savepoint `cockroach_restart`); a later savepoint cannot undo a serialization failure.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql_limits.h"
#include "sql_txn.h"

static void s_notice(const pz_sql_sink_t *sink, const char *state, const char *text)
{
    if (sink != NULL && sink->notice != NULL) {
        pz_sql_err_t w = {0};
        pz_sql_err_set(&w, state, "%s", text);
        sink->notice(sink->ctx, &w);
    }
}

static int s_ctl(pz_sql_kv_t *kv, pz_txn_ctl_t *q, pz_txn_ctl_resp_t *r, pz_sql_err_t *err)
{
    pz_msg_t *reply = NULL;
    int rc = pz_sql_kv_txn_ctl(kv, q, &reply, r, err);
    if (rc == 0 && q->op == PZ_TXC_BEGIN) {
        if (r->txn.id.len != PZ_TXN_ID_BYTES) {
            rc = pz_sql_err_set(err, "XX000", "the coordinator returned a malformed transaction");
        } else {
            memcpy(kv->txn_id, r->txn.id.ptr, PZ_TXN_ID_BYTES);
        }
    }
    pz_msg_free(&reply);
    return rc;
}

/* 1 serializable, 2 repeatable read, 3 read committed, 4 read uncommitted (sql_ast_build.c). */
static uint8_t s_iso(int ast_level, const char *dflt)
{
    if (ast_level == 0) {
        ast_level = dflt != NULL && (strcasecmp(dflt, "read committed") == 0 ||
                                     strcasecmp(dflt, "read uncommitted") == 0)
                        ? 3
                        : 1;
    }
    return ast_level >= 3 ? PZ_ISO_READ_COMMITTED : PZ_ISO_SERIALIZABLE;
}

/* as_of: AS OF SYSTEM TIME (zero: now); the coordinator pins read_ts there, read-only. */
static int s_begin(pz_sql_txn_t *t, pz_sql_kv_t *kv, uint8_t iso, bool read_only, pz_hlc_t as_of,
                   pz_sql_err_t *err)
{
    pz_txn_ctl_t q = {.op = PZ_TXC_BEGIN, .isolation = iso, .read_only = read_only, .as_of = as_of};
    pz_txn_ctl_resp_t r;
    int rc = s_ctl(kv, &q, &r, err);
    if (rc == 0) {
        kv->in_txn = true;
        t->isolation = iso;
        t->read_only = read_only;
        t->as_of = as_of;
        t->retryable = false;
        t->stmts = 0;
        t->n_sp = 0;
    }
    return rc;
}

static void s_end_local(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status)
{
    kv->in_txn = false;
    t->as_of = (pz_hlc_t){0, 0};
    t->n_sp = 0;
    t->retryable = false;
    *status = 'I';
}

void pz_sql_txn_abandon(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status)
{
    if (kv->in_txn) {
        pz_txn_ctl_t q = {.op = PZ_TXC_ROLLBACK};
        pz_txn_ctl_resp_t r;
        pz_sql_err_t ignored = {0};
        uint32_t saved = kv->timeout_ms;
        kv->timeout_ms = PZ_SQL_ABANDON_TIMEOUT_MS;
        (void)s_ctl(kv, &q, &r, &ignored); /* an unreachable coordinator expires the record */
        kv->timeout_ms = saved;
    }
    s_end_local(t, kv, status);
}

void pz_sql_txn_forget(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status)
{
    s_end_local(t, kv, status);
}

static int s_commit(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status, const pz_sql_sink_t *sink,
                    pz_sql_err_t *err, char *tag)
{
    if (*status == 'I') {
        s_notice(sink, "25P01", "there is no transaction in progress");
        snprintf(tag, 64, "COMMIT");
        return 0;
    }
    if (*status == 'E') {
        pz_sql_txn_abandon(t, kv, status);
        snprintf(tag, 64, "ROLLBACK");
        return 0;
    }
    pz_txn_ctl_t q = {.op = PZ_TXC_COMMIT, .durable = true};
    pz_txn_ctl_resp_t r;
    int rc = s_ctl(kv, &q, &r, err);
    s_end_local(t, kv, status); /* committed or not, the block is over */
    if (rc == 0) {
        snprintf(tag, 64, "COMMIT");
    }
    return rc;
}

static int s_find_sp(const pz_sql_txn_t *t, const char *name)
{
    for (int i = t->n_sp - 1; i >= 0; i--) {
        if (strcmp(t->sp[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

static int s_savepoint(pz_sql_txn_t *t, pz_sql_kv_t *kv, const char *name, pz_sql_err_t *err)
{
    if (t->n_sp >= PZ_SQL_SAVEPOINTS_MAX) {
        return pz_sql_err_set(err, "54000", "too many savepoints in one transaction (at most %d)",
                              PZ_SQL_SAVEPOINTS_MAX);
    }
    pz_txn_ctl_t q = {.op = PZ_TXC_SAVEPOINT};
    pz_txn_ctl_resp_t r;
    int rc = s_ctl(kv, &q, &r, err);
    if (rc == 0) {
        snprintf(t->sp[t->n_sp].name, sizeof t->sp[0].name, "%s", name);
        t->sp[t->n_sp].seq = r.savepoint;
        t->n_sp++;
    }
    return rc;
}

pz_sql_txn_opts_t pz_sql_txn_opts(const pz_sql_txn_t *t)
{
    return (pz_sql_txn_opts_t){
        .isolation = t->isolation, .read_only = t->read_only, .as_of = t->as_of};
}

/* A new transaction, not a new epoch of the old: a deadlock victim's or a pushed-out
 * transaction's record is ABORTED, and the same id would meet it again on its next write. The
 * old one's intents are resolved asynchronously. */
int pz_sql_txn_rebegin(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status, const pz_sql_txn_opts_t *o,
                       pz_sql_err_t *err)
{
    pz_sql_txn_opts_t keep = *o; /* o may point into t */
    pz_sql_txn_abandon(t, kv, status);
    int rc = s_begin(t, kv, keep.isolation, keep.read_only, keep.as_of, err);
    *status = rc == 0 ? 'T' : 'I';
    return rc;
}

bool pz_sql_txn_err_retryable(const pz_sql_err_t *err)
{
    return strcmp(err->sqlstate, "40001") == 0 || strcmp(err->sqlstate, "40P01") == 0;
}

/* Restarts the block with the same options. The savepoint array stays (s_begin zeroes n_sp and
 * stmts). */
static int s_restart(pz_sql_txn_t *t, pz_sql_kv_t *kv, pz_sql_err_t *err)
{
    pz_sql_txn_opts_t o = pz_sql_txn_opts(t);
    char status = 'T';
    return pz_sql_txn_rebegin(t, kv, &status, &o, err);
}

/* ROLLBACK TO SAVEPOINT: the writes after it are ignored from now on; after a serialization
 * failure only a savepoint before any write can help, by restarting the transaction. */
static int s_rollback_to(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status, const char *name,
                         pz_sql_err_t *err)
{
    int i = s_find_sp(t, name);
    if (i < 0) {
        return pz_sql_err_set(err, "3B001", "savepoint \"%s\" does not exist", name);
    }
    pz_txn_ctl_t q = {.op = PZ_TXC_ROLLBACK_TO, .savepoint = t->sp[i].seq};
    pz_txn_ctl_resp_t r;
    int rc;
    if (t->retryable) {
        if (t->sp[i].seq != 0) {
            return pz_sql_err_set(err, "40001",
                                  "restart transaction: a serialization failure cannot be undone "
                                  "by rolling back to savepoint \"%s\"",
                                  name);
        }
        rc = s_restart(t, kv, err); /* the savepoints up to i stay: n_sp is set below */
    } else {
        rc = s_ctl(kv, &q, &r, err);
    }
    if (rc == 0) {
        t->n_sp = i + 1;
        t->retryable = false;
        *status = 'T';
    }
    return rc;
}

static int s_set_transaction(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status, const pz_ast_stmt_t *s,
                             pz_hlc_t as_of, const pz_sql_sink_t *sink, pz_sql_err_t *err)
{
    if (*status == 'I') {
        s_notice(sink, "25P01", "SET TRANSACTION can only be used in transaction blocks");
        return 0;
    }
    if (t->stmts > 0) {
        return pz_sql_err_set(err, "25001",
                              "SET TRANSACTION ISOLATION LEVEL must be called before any query");
    }
    /* Nothing ran yet: the block begins again with the new options. */
    uint8_t iso = s->isolation ? s_iso(s->isolation, NULL) : t->isolation;
    bool ro = s->read_only ? s->read_only == 1 : t->read_only;
    as_of = pz_hlc_is_zero(as_of) ? t->as_of : as_of;
    pz_sql_txn_abandon(t, kv, status);
    int rc = s_begin(t, kv, iso, ro, as_of, err);
    *status = rc == 0 ? 'T' : 'I';
    return rc;
}

int pz_sql_txn_run(pz_sql_txn_t *t, pz_sql_kv_t *kv, char *status, const pz_ast_stmt_t *s,
                   const pz_sql_txn_defaults_t *dflt, const pz_sql_sink_t *sink, pz_sql_err_t *err,
                   char *tag)
{
    assert(t != NULL && kv != NULL && status != NULL && s != NULL);
    const char *name = s->name != NULL ? s->name : "";
    int rc = 0;
    switch (s->txn) {
    case PZ_TXN_BEGIN:
        snprintf(tag, 64, "BEGIN");
        if (*status != 'I') {
            s_notice(sink, "25001", "there is already a transaction in progress");
            return 0;
        }
        rc = s_begin(t, kv, s_iso(s->isolation, dflt->isolation),
                     s->read_only ? s->read_only == 1 : dflt->read_only, dflt->as_of, err);
        *status = rc == 0 ? 'T' : 'I';
        return rc;
    case PZ_TXN_COMMIT:
        return s_commit(t, kv, status, sink, err, tag);
    case PZ_TXN_ROLLBACK:
        if (*status == 'I') {
            s_notice(sink, "25P01", "there is no transaction in progress");
        }
        pz_sql_txn_abandon(t, kv, status);
        snprintf(tag, 64, "ROLLBACK");
        return 0;
    case PZ_TXN_SET:
        snprintf(tag, 64, "SET");
        return s_set_transaction(t, kv, status, s, dflt->as_of, sink, err);
    default:
        break;
    }
    if (*status == 'I') {
        const char *what = s->txn == PZ_TXN_SAVEPOINT ? "SAVEPOINT"
                           : s->txn == PZ_TXN_RELEASE ? "RELEASE SAVEPOINT"
                                                      : "ROLLBACK TO SAVEPOINT";
        return pz_sql_err_set(err, "25P01", "%s can only be used in transaction blocks", what);
    }
    switch (s->txn) {
    case PZ_TXN_SAVEPOINT:
        snprintf(tag, 64, "SAVEPOINT");
        return s_savepoint(t, kv, name, err);
    case PZ_TXN_RELEASE: {
        int i = s_find_sp(t, name);
        if (i < 0) {
            return pz_sql_err_set(err, "3B001", "savepoint \"%s\" does not exist", name);
        }
        t->n_sp = i;
        snprintf(tag, 64, "RELEASE");
        return 0;
    }
    default:
        snprintf(tag, 64, "ROLLBACK");
        return s_rollback_to(t, kv, status, name, err);
    }
}

int pz_sql_txn_implicit_begin(pz_sql_txn_t *t, pz_sql_kv_t *kv, bool read_only, pz_sql_err_t *err)
{
    assert(!kv->in_txn);
    return s_begin(t, kv, PZ_ISO_SERIALIZABLE, read_only, (pz_hlc_t){0}, err);
}

int pz_sql_txn_implicit_end(pz_sql_txn_t *t, pz_sql_kv_t *kv, bool commit, pz_sql_err_t *err)
{
    assert(kv->in_txn);
    char status = 'T';
    if (!commit) {
        pz_sql_txn_abandon(t, kv, &status);
        return 0;
    }
    pz_txn_ctl_t q = {.op = PZ_TXC_COMMIT, .durable = true};
    pz_txn_ctl_resp_t r;
    int rc = s_ctl(kv, &q, &r, err);
    s_end_local(t, kv, &status);
    return rc;
}

int pz_sql_txn_step(pz_sql_txn_t *t, pz_sql_kv_t *kv, pz_sql_err_t *err)
{
    t->stmts++;
    if (!kv->in_txn || t->isolation != PZ_ISO_READ_COMMITTED) {
        return 0;
    }
    pz_txn_ctl_t q = {.op = PZ_TXC_STEP};
    pz_txn_ctl_resp_t r;
    return s_ctl(kv, &q, &r, err);
}

int pz_sql_txn_replay_first(pz_sql_txn_t *t, pz_sql_kv_t *kv, pz_sql_err_t *err)
{
    if (t->stmts != 1 || t->n_sp != 0 || !kv->in_txn || !pz_sql_txn_err_retryable(err)) {
        return -1;
    }
    pz_sql_err_t why = *err;
    pz_sql_err_clear(err);
    if (s_restart(t, kv, err) != 0) {
        *err = why; /* the client is told what failed its statement, not the BEGIN */
        return -1;
    }
    t->stmts = 1; /* the statement that runs again */
    return 0;
}

void pz_sql_txn_failed(pz_sql_txn_t *t, char *status, const pz_sql_err_t *err)
{
    if (*status == 'T') {
        *status = 'E';
    }
    if (err != NULL && pz_sql_txn_err_retryable(err)) {
        t->retryable = true;
    }
}

const char *pz_sql_txn_isolation_name(const pz_sql_txn_t *t)
{
    return t->isolation == PZ_ISO_READ_COMMITTED ? "read committed" : "serializable";
}
