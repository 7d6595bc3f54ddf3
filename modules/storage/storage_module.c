/*
 * storage_module.c — the storage actor: KV batches in, MVCC over an engine plugin, group
 * commit, KV batch responses out.
 *
 * Life of a batch (PZ_MSG_KV_BATCH):
 *   1. decode; a malformed body is answered with PZ_EPROTO;
 *   2. evaluate against a fresh snapshot (mvcc.c); the snapshot closes right after, since the
 *      result owns copies of what it read;
 *   3. a batch with nothing to write (reads, failed batches, a DEL_RANGE over nothing) is
 *      answered at once;
 *   4. otherwise the reply is encoded now, the request kept (pz_msg_keep), and the ops queued
 *      to the committer thread (committer.c); the hook returns;
 *   5. when the group's engine commit is done, the committer posts PZ_STORAGE_MSG_COMMITTED
 *      through a mailslot; the actor reaps every finished batch and sends its reply — the
 *      encoded one, or the commit's error.
 *
 * Evaluation is pure (no kernel calls): the actor hands it the clock (pz_hlc_now(), for
 * transaction records' heartbeats and expiry) and the range's GC threshold from its cache; when
 * the cache does not know a range, evaluation reads the threshold and the actor keeps it.
 *
 * Non-durable batches (header.durable false) take the same path: they must be committed before
 * the reply, or a later batch's snapshot would not see them; they simply do not ask for an
 * fsync, and ride along with a durable group when there is one. Config `sync = false` makes
 * every commit non-durable (benchmarks only: an OS crash then loses acknowledged writes).
 *
 * Pipelined batches (header.pipeline, a transaction's writes; kv.h "pipelining") are answered at
 * step 4, before their commit. Normally they are *chained*: their engine writes (the
 * transaction's intents and locks) enter the pending table (storage_pend.h), which every later
 * evaluation reads over the engine, so repl may release their latches at once and the next
 * statement — or another transaction's locking read — sees them without waiting for a commit;
 * the committer commits in submit order, so the engine ends up exactly as evaluation saw it, and
 * an END_TXN queued behind its transaction's writes is committed with or after them (its durable
 * commit syncs them). If a chained commit fails, everything evaluated over it fails with it
 * (committer.h epochs) and the transaction's END_TXN is refused (storage_pipe.h).
 * A pipelined batch that cannot be chained (an engine key or value past the PZ_PEND_*_MAX bounds, a
 * range deletion, config pipeline_overlay = false) is answered with resp.pending = a token instead:
 * repl holds its latches until PZ_MSG_KV_COMMIT_WAIT(token) reports the commit, and an END_TXN
 * of a transaction with such batches still committing is parked until they are done, and
 * refused when one failed — so a committed record never names a write the engine lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "committer.h"
#include "engine_wrap.h"
#include "mvcc.h"
#include "phantomzero/kv.h"
#include "phantomzero/module.h"
#include "storage_assert.h"
#include "storage_internal.h"
#include "storage_pend.h"
#include "storage_pipe.h"

/* A write batch between submit and reply. */
typedef struct s_pending {
    pz_commit_item_t item; /* item.token points back here */
    pz_msg_t *req;         /* kept: the reply goes to its sender */
    pz_out_t *reply;       /* the success reply, encoded at evaluation */
    pz_arena_t *arena;     /* the ops' bytes */
    pz_hlc_t ts;           /* where the writes were to land */
    uint64_t token;        /* pipelined (answered already): its storage_pipe.h token; else 0 */
    bool chain;            /* answered already, its writes shown in st->pend until reaped */
    uint8_t txn_id[PZ_TXN_ID_BYTES]; /* chain: whose END_TXN must fail if the commit does */
} s_pending_t;

/* A range's GC threshold, cached (sorted by range id). */
typedef struct s_gc_entry {
    uint64_t range_id;
    pz_hlc_t threshold;
} s_gc_entry_t;

typedef struct s_state {
    pz_actor_t *self;
    char name[PZ_NAME_BYTES_MAX]; /* the actor's, for the committer's mailslot */
    char engine[PZ_NAME_BYTES_MAX];
    char *store_dir;
    int lock_fd;
    pz_eng_t eng;
    pz_committer_t *committer;
    pz_mailslot_t *slot; /* committer thread only */
    bool backstop_armed;
    s_gc_entry_t *gc;
    uint32_t gc_len, gc_cap;
    pz__pipe_t *pipe;   /* pipelined batches and the END_TXNs waiting for them */
    bool overlay;       /* config pipeline_overlay: chain pipelined batches (storage_pend.h) */
    pz__pend_t *pend;   /* the writes of chain batches queued and not reaped yet */
    uint64_t epoch;     /* committer.h: bumped when a chain batch's commit failed */
    uint32_t linger_us; /* config commit_linger_us (committer.h) */
    pz_metric_t *m_pipelined, *m_parked;
    pz_metric_t *m_commits, *m_commit_errors, *m_batches_per_commit, *m_fsync_us, *m_busy;
} s_state_t;

/* ---------------------------------------------------------------------------------------- */
/* Committer hooks (committer thread)                                                       */

static void s_hook_notify(void *ctx, uint64_t group)
{
    s_state_t *st = ctx;
    if (st->slot == NULL) {
        /* Opened here: a mailslot belongs to the thread that uses it. */
        st->slot = pz_mailslot_open(st->name);
        if (st->slot == NULL) {
            pz_log(NULL, PZ_LOG_ERROR, "storage %s: cannot open a mailslot to the actor", st->name);
            return;
        }
    }
    pz_out_t *o = pz_out_new(PZ_STORAGE_MSG_COMMITTED);
    int rc = o != NULL ? 0 : PZ_ENOMEM;
    if (rc == 0 && msgpack_pack_uint64(pz_out_packer(o), group) != 0) {
        rc = PZ_ENOMEM;
    }
    if (rc == 0) {
        rc = pz_mailslot_send(st->slot, &o);
    }
    if (rc != 0) {
        pz_log(NULL, PZ_LOG_ERROR, "storage %s: cannot post commit notice: %s", st->name,
               pz_strerror(rc));
    }
    pz_out_free(&o);
}

static void s_hook_on_commit(void *ctx, const pz_commit_stats_t *s)
{
    s_state_t *st = ctx;
    pz_metric_add(st->m_commits, 1);
    /* A count, not microseconds: the log2 histogram shape is what we want for group sizes. */
    pz_metric_observe(st->m_batches_per_commit, s->batches);
    if (s->durable) {
        pz_metric_observe(st->m_fsync_us, s->commit_us);
    }
    if (s->rc != 0) {
        pz_metric_add(st->m_commit_errors, 1);
        pz_log(NULL, PZ_LOG_ERROR, "storage %s: commit of %zu batches failed: %s", st->name,
               s->batches, pz_strerror(s->rc));
    }
}

static void s_hook_on_exit(void *ctx)
{
    s_state_t *st = ctx;
    if (st->slot != NULL) {
        pz_mailslot_close(&st->slot);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Replies (actor thread)                                                                    */

static void s_pending_free(s_pending_t *p)
{
    pz_out_free(&p->reply);
    pz_msg_free(&p->req);
    pz_arena_destroy(&p->arena);
    free(p);
}

/* Encodes and sends a batch response; an encoding failure becomes an error reply. */
static void s_reply_resp(s_state_t *st, const pz_msg_t *req, const pz_kv_batch_resp_t *resp)
{
    pz_out_t *out = NULL;
    int rc = pz_kv_batch_resp_to_out(resp, PZ_MSG_KV_BATCH_RESP, &out);
    if (rc == 0) {
        rc = pz_reply(st->self, req, &out);
    } else {
        pz_reply_error(st->self, req, rc, "cannot encode the batch response");
    }
    if (rc != 0) {
        pz_log(st->self, PZ_LOG_WARN, "batch reply not sent: %s", pz_strerror(rc));
        pz_out_free(&out);
    }
}

static void s_reply_error_resp(s_state_t *st, const pz_msg_t *req, pz_hlc_t ts, int code)
{
    pz_kv_batch_resp_t resp;
    memset(&resp, 0, sizeof resp);
    resp.ts = ts;
    pz__mvcc_fail(&resp, code, -1, pz_strerror(code));
    s_reply_resp(st, req, &resp);
}

static void s_reply_pending(s_state_t *st, s_pending_t *p)
{
    if (p->item.rc != 0) {
        s_reply_error_resp(st, p->req, p->ts, p->item.rc);
        return;
    }
    int rc = pz_reply(st->self, p->req, &p->reply);
    if (rc != 0) {
        pz_log(st->self, PZ_LOG_WARN, "batch reply not sent: %s", pz_strerror(rc));
    }
}

static void s_arm_backstop(s_state_t *st)
{
    if (!st->backstop_armed && pz__committer_inflight(st->committer) > 0) {
        st->backstop_armed = pz_timer_arm(st->self, PZ_STORAGE_REAP_BACKSTOP_MS, 0) > 0;
    }
}

/* Answers a PZ_MSG_KV_COMMIT_WAIT for token with the commit's code. */
static void s_reply_commit(s_state_t *st, const pz_msg_t *req, uint64_t token, int code)
{
    pz_kv_commit_t done = {.token = token, .code = code};
    pz_out_t *out = NULL;
    int rc = pz_kv_commit_to_out(&done, PZ_MSG_KV_COMMIT_DONE, &out);
    rc = rc ? rc : pz_reply(st->self, req, &out);
    if (rc != 0) {
        pz_out_free(&out);
        pz_reply_error(st->self, req, rc, "cannot answer the commit wait");
    }
}

/* A pipelined batch's commit finished: its waiter (if it asked already) learns the outcome. */
static void s_pipe_done(s_state_t *st, s_pending_t *p)
{
    pz_msg_t *waiter =
        pz__pipe_done(st->pipe, p->token, p->item.rc, pz_now_ms(st->self), pz_hlc_now());
    if (waiter != NULL) {
        s_reply_commit(st, waiter, p->token, p->item.rc);
        pz_msg_free(&waiter);
    }
}

static bool s_on_batch(s_state_t *st, pz_msg_t *msg);

/* A chain batch's commit was reaped: its writes leave the pending table (the engine has them
 * now). When it failed, its transaction may not commit, and every batch evaluated since over
 * the pending table is failing in the committer (same epoch): start a new epoch over the bare
 * engine. */
static void s_chain_done(s_state_t *st, s_pending_t *p)
{
    pz__pend_drop(st->pend, p->item.ops, p->item.ops_len, p);
    if (p->item.rc == 0) {
        return;
    }
    pz__pipe_fail(st->pipe, p->txn_id, p->item.rc, pz_hlc_now());
    if (p->item.epoch == st->epoch) {
        st->epoch++;
        pz__pend_clear(st->pend);
        pz_log(st->self, PZ_LOG_WARN,
               "a pipelined write failed to commit (%s): batches evaluated over it fail too",
               pz_strerror(p->item.rc));
    }
}

/* Replies to every batch whose group commit finished, then runs the END_TXNs that waited for
 * pipelined commits of their transaction. */
static void s_reap(s_state_t *st)
{
    pz_commit_item_t *it = pz__committer_reap(st->committer);
    while (it != NULL) {
        pz_commit_item_t *next = it->next;
        s_pending_t *p = it->token;
        PZ_ST_ASSERT(p != NULL && &p->item == it);
        if (p->chain) {
            s_chain_done(st, p);
        } else if (p->token != 0) {
            s_pipe_done(st, p);
        } else {
            s_reply_pending(st, p);
        }
        s_pending_free(p);
        it = next;
    }
    pz_msg_t *parked;
    while ((parked = pz__pipe_unpark(st->pipe)) != NULL) {
        if (!s_on_batch(st, parked)) {
            pz_msg_free(&parked);
        }
    }
    uint32_t purged = pz__pipe_purge(st->pipe, pz_now_ms(st->self));
    if (purged > 0) {
        pz_log(st->self, PZ_LOG_WARN, "%u pipelined commits were never asked about", purged);
    }
    s_arm_backstop(st);
}

/* ---------------------------------------------------------------------------------------- */
/* Batches (actor thread)                                                                    */

/* The index of range_id in the GC cache, or where it would go. */
static uint32_t s_gc_find(const s_state_t *st, uint64_t range_id)
{
    uint32_t lo = 0, hi = st->gc_len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (st->gc[mid].range_id < range_id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void s_gc_env(const s_state_t *st, uint64_t range_id, pz_mvcc_env_t *env)
{
    uint32_t i = s_gc_find(st, range_id);
    if (i < st->gc_len && st->gc[i].range_id == range_id) {
        env->gc_known = true;
        env->gc_threshold = st->gc[i].threshold;
    }
}

/* Remembers what evaluation learned of a range's threshold (a failure to grow the cache only
 * costs a later read). */
static void s_gc_remember(s_state_t *st, uint64_t range_id, pz_hlc_t t)
{
    uint32_t i = s_gc_find(st, range_id);
    if (i < st->gc_len && st->gc[i].range_id == range_id) {
        st->gc[i].threshold = t;
        return;
    }
    if (st->gc_len == PZ_STORAGE_GC_CACHE_MAX) {
        st->gc_len = 0;
        i = 0;
    }
    if (st->gc_len == st->gc_cap) {
        uint32_t cap = st->gc_cap ? st->gc_cap * 2 : 16;
        s_gc_entry_t *n = realloc(st->gc, sizeof *n * cap);
        if (n == NULL) {
            return;
        }
        st->gc = n;
        st->gc_cap = cap;
    }
    memmove(&st->gc[i + 1], &st->gc[i], sizeof *st->gc * (st->gc_len - i));
    st->gc[i] = (s_gc_entry_t){.range_id = range_id, .threshold = t};
    st->gc_len++;
}

/* Does b ask to be answered before its commit, and is there room to remember it (*token)? */
static bool s_pipelined(s_state_t *st, const pz_kv_batch_t *b, uint64_t *token)
{
    return b->header.pipeline && b->header.has_txn && b->header.txn.id.len == PZ_TXN_ID_BYTES &&
           pz__pipe_add(st->pipe, b->header.txn.id.ptr, token) == 0;
}

/* May b, a pipelined batch evaluated to res, be answered now and shown to later batches through
 * the pending table? Only a transaction's reads and writes (whose engine writes are its intents
 * and locks, never committed values), only puts and deletes, and only keys well below any
 * engine's key limit and values below the engine's value limit (an intent's history can pass
 * PZ_VALUE_BYTES_MAX): a chain batch the engine refuses would fail every batch evaluated over it
 * (committer.h), and one bad statement must not fail its neighbours. */
static bool s_chainable(const s_state_t *st, const pz_kv_batch_t *b, const pz_mvcc_result_t *res)
{
    if (!st->overlay || !b->header.pipeline || !b->header.has_txn ||
        b->header.txn.id.len != PZ_TXN_ID_BYTES) {
        return false;
    }
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        if (b->reqs[i].op > PZ_KV_RSCAN) {
            return false;
        }
    }
    for (size_t i = 0; i < res->ops_len; i++) {
        const pz_engine_op_t *op = &res->ops[i];
        if ((op->kind != PZ_ENGINE_PUT && op->kind != PZ_ENGINE_DEL) ||
            op->key_len > PZ_PEND_KEY_BYTES_MAX || op->value_len > PZ_PEND_VALUE_BYTES_MAX) {
            return false;
        }
    }
    return true;
}

/* Queues an evaluated write batch; on failure answers it and frees everything. Returns true
 * when msg was kept (to be answered after the commit); a pipelined batch is answered now. */
static bool s_submit(s_state_t *st, pz_msg_t *msg, const pz_kv_batch_t *b, pz_arena_t *arena,
                     const pz_mvcc_result_t *res)
{
    s_pending_t *p = calloc(1, sizeof *p);
    int rc = p != NULL ? 0 : PZ_ENOMEM;
    if (rc == 0) {
        p->arena = arena;
        p->ts = res->resp.ts;
        p->item = (pz_commit_item_t){.ops = res->ops,
                                     .ops_len = res->ops_len,
                                     .ops_bytes = res->ops_bytes,
                                     .durable = b->header.durable,
                                     .token = p,
                                     .epoch = st->epoch};
        /* A chain batch enters the pending table before the queue (it cannot fail there once
         * queued); a batch the table cannot take goes the latched way. */
        p->chain =
            s_chainable(st, b, res) && pz__pend_add(st->pend, res->ops, res->ops_len, p) == 0;
        p->item.chain = p->chain;
        if (p->chain) {
            memcpy(p->txn_id, b->header.txn.id.ptr, PZ_TXN_ID_BYTES);
        } else if (!s_pipelined(st, b, &p->token)) {
            rc = pz_kv_batch_resp_to_out(&res->resp, PZ_MSG_KV_BATCH_RESP, &p->reply);
        }
    }
    uint64_t token = p != NULL ? p->token : 0;
    bool chain = p != NULL && p->chain;
    if (rc == 0) {
        rc = pz__committer_submit(st->committer, &p->item);
    }
    if (rc != 0) {
        if (rc == PZ_EBUSY) {
            pz_metric_add(st->m_busy, 1);
        }
        if (token != 0) {
            pz__pipe_cancel(st->pipe, token);
        }
        if (chain) {
            pz__pend_drop(st->pend, res->ops, res->ops_len, p);
        }
        s_reply_error_resp(st, msg, res->resp.ts, rc);
        if (p != NULL) {
            p->arena = NULL; /* the caller's */
            s_pending_free(p);
        }
        pz_arena_destroy(&arena);
        return false;
    }
    /* Queued: p is the committer's until it is reaped (on this thread, so not before this). */
    s_arm_backstop(st);
    if (chain) {
        s_reply_resp(st, msg, &res->resp);
        pz_metric_add(st->m_pipelined, 1);
        return false;
    }
    if (token != 0) {
        pz_kv_batch_resp_t resp = res->resp;
        resp.pending = token;
        s_reply_resp(st, msg, &resp);
        pz_metric_add(st->m_pipelined, 1);
        return false;
    }
    p->req = msg;
    return true;
}

/* An END_TXN commit whose transaction has pipelined batches committing waits for them (parked:
 * true, msg kept); one whose batch failed is refused. False: evaluate it now. */
static bool s_end_waits(s_state_t *st, pz_msg_t *msg, const pz_kv_batch_t *b, bool *kept)
{
    *kept = false;
    if (!b->header.has_txn || b->header.txn.id.len != PZ_TXN_ID_BYTES) {
        return false;
    }
    bool commit = false;
    for (uint32_t i = 0; i < b->reqs_len; i++) {
        commit = commit ||
                 (b->reqs[i].op == PZ_KV_END_TXN && b->reqs[i].has_ext && b->reqs[i].ext.commit);
    }
    int rc = commit ? pz__pipe_end_check(st->pipe, b->header.txn.id.ptr, b->header.txn.min_ts) : 0;
    if (rc == PZ_EBUSY && pz__pipe_park(st->pipe, b->header.txn.id.ptr, msg) == 0) {
        pz_metric_add(st->m_parked, 1);
        *kept = true;
        return true;
    }
    if (rc != 0) {
        pz_kv_batch_resp_t resp;
        memset(&resp, 0, sizeof resp);
        resp.ts = b->header.ts;
        pz__mvcc_fail(&resp, rc, -1,
                      rc == PZ_EBUSY ? "too many commits waiting for their transactions' writes"
                                     : "a write of this transaction could not be committed");
        s_reply_resp(st, msg, &resp);
        return true;
    }
    return false;
}

/* Evaluates and answers (or queues) the batch in msg; true when msg was kept. */
static bool s_on_batch(s_state_t *st, pz_msg_t *msg)
{
    pz_kv_batch_t b;
    if (pz_kv_batch_from_msg(msg, PZ_MSG_KV_BATCH, &b) != 0) {
        pz_reply_error(st->self, msg, PZ_EPROTO, "malformed KV batch");
        return false;
    }
    bool kept = false;
    if (s_end_waits(st, msg, &b, &kept)) {
        return kept;
    }
    pz_arena_t *arena = pz_arena_new();
    pz_eng_snap_t snap = {0};
    int rc = arena != NULL ? pz_engine_snap_open(&st->eng, &snap) : PZ_ENOMEM;
    if (rc != 0) {
        s_reply_error_resp(st, msg, b.header.ts, rc);
        pz_arena_destroy(&arena);
        return false;
    }
    if (st->overlay) {
        pz_engine_snap_set_pending(&snap, st->pend);
    }
    pz_mvcc_env_t env = {.now = pz_hlc_now()};
    s_gc_env(st, b.header.range_id, &env);
    pz_mvcc_result_t res;
    (void)pz__mvcc_eval(&snap, &b, &env, arena, &res); /* an error is in res.resp */
    pz_engine_snap_close(&snap);                       /* res holds copies, never snapshot memory */
    if (res.gc_known) {
        /* Raised by a GC before its commit: reads below it fail from now on, which is safe
         * whether or not the commit succeeds. */
        s_gc_remember(st, b.header.range_id, res.gc_threshold);
    }
    if (res.ops_len == 0) {
        s_reply_resp(st, msg, &res.resp);
        pz_arena_destroy(&arena);
        return false;
    }
    return s_submit(st, msg, &b, arena, &res);
}

/* PZ_MSG_KV_COMMIT_WAIT: answered now when the commit is done, else when it is. */
static bool s_on_commit_wait(s_state_t *st, pz_msg_t *msg)
{
    pz_kv_commit_t q;
    if (pz_kv_commit_from_msg(msg, PZ_MSG_KV_COMMIT_WAIT, &q) != 0) {
        pz_reply_error(st->self, msg, PZ_EPROTO, "malformed commit wait");
        return false;
    }
    int code = 0;
    int rc = pz__pipe_wait(st->pipe, q.token, msg, &code);
    if (rc == 0) {
        return true;
    }
    s_reply_commit(st, msg, q.token, rc == 1 ? code : rc);
    return false;
}

static int s_on_message(pz_actor_t *self, void *state, pz_msg_t *msg)
{
    s_state_t *st = state;
    PZ_ST_ASSERT(st != NULL && st->self == self && msg != NULL);
    uint16_t type = pz_msg_type(msg);
    if (type == PZ_STORAGE_MSG_COMMITTED) {
        s_reap(st);
        return 0;
    }
    if (pz_msg_is_reply(msg)) {
        return 0; /* storage sends no requests: a stray reply has no one to go to */
    }
    bool kept = false;
    if (type == PZ_MSG_KV_BATCH) {
        kept = s_on_batch(st, msg);
    } else if (type == PZ_MSG_KV_COMMIT_WAIT) {
        kept = s_on_commit_wait(st, msg);
    } else {
        pz_reply_error(self, msg, PZ_EUNKNOWN_TYPE, "storage does not handle this message type");
    }
    if (kept) {
        pz_msg_keep(msg);
    }
    return 0;
}

static void s_on_timer(pz_actor_t *self, void *state, uint64_t timer_id)
{
    s_state_t *st = state;
    PZ_ST_ASSERT(st != NULL && st->self == self && timer_id == 0);
    st->backstop_armed = false;
    s_reap(st);
}

/* ---------------------------------------------------------------------------------------- */
/* Store directory and lock                                                                  */

/* mkdir -p: creates dir and its missing parents. */
static int s_mkdirs(pz_actor_t *self, const char *dir)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof path) {
        pz_log(self, PZ_LOG_ERROR, "store directory path is empty or too long");
        return PZ_ECONFIG;
    }
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0') {
            continue;
        }
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0750) != 0 && errno != EEXIST) {
            pz_log(self, PZ_LOG_ERROR, "cannot create directory %s: %s", path, strerror(errno));
            return PZ_EIO;
        }
        path[i] = saved;
    }
    return 0;
}

/* Takes <store>/LOCK exclusively: two processes on one store would corrupt it. */
static int s_lock_store(s_state_t *st)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/LOCK", st->store_dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        return PZ_ECONFIG;
    }
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (st->lock_fd < 0) {
        pz_log(st->self, PZ_LOG_ERROR, "cannot open %s: %s", path, strerror(errno));
        return PZ_EIO;
    }
    if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(st->lock_fd);
        st->lock_fd = -1;
        if (err == EWOULDBLOCK) {
            pz_log(st->self, PZ_LOG_ERROR, "store %s is in use by another process", st->store_dir);
            return PZ_ELOCKED;
        }
        pz_log(st->self, PZ_LOG_ERROR, "cannot lock %s: %s", path, strerror(err));
        return PZ_EIO;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Lifecycle                                                                                 */

static int s_config(s_state_t *st, const pz_cfg_t *cfg, bool *sync, pz_engine_opts_t *opts)
{
    const char *engine = pz_cfg_str(cfg, "engine", "lmdb");
    int64_t initial_mb = 0, max_mb = 0, linger = 0;
    int rc = pz_cfg_bool(cfg, "sync", true, sync);
    rc = rc ? rc : pz_cfg_int(cfg, "commit_linger_us", PZ_COMMIT_LINGER_US_DEFAULT, &linger);
    rc = rc ? rc : pz_cfg_bool(cfg, "pipeline_overlay", true, &st->overlay);
    rc = rc ? rc : pz_cfg_int(cfg, "map_initial_mb", 0, &initial_mb);
    rc = rc ? rc : pz_cfg_int(cfg, "map_max_mb", 0, &max_mb);
    if (rc != 0) {
        return rc; /* pz_cfg_* logged the key and the value */
    }
    /* 2^40 MiB (an exabyte) bounds the shift below; anything larger is a typo. */
    if (initial_mb < 0 || max_mb < 0 || initial_mb > (1ll << 40) || max_mb > (1ll << 40) ||
        (max_mb > 0 && initial_mb > max_mb)) {
        pz_log(st->self, PZ_LOG_ERROR,
               "map_initial_mb (%lld) and map_max_mb (%lld) must be "
               "positive, with map_initial_mb <= map_max_mb",
               (long long)initial_mb, (long long)max_mb);
        return PZ_ECONFIG;
    }
    if (linger < 0 || linger > PZ_COMMIT_LINGER_US_MAX) {
        pz_log(st->self, PZ_LOG_ERROR, "commit_linger_us (%lld) must be in [0, %d]",
               (long long)linger, PZ_COMMIT_LINGER_US_MAX);
        return PZ_ECONFIG;
    }
    st->linger_us = (uint32_t)linger;
    if (engine == NULL || strlen(engine) >= sizeof st->engine) {
        pz_log(st->self, PZ_LOG_ERROR, "engine name is missing or too long");
        return PZ_ECONFIG;
    }
    snprintf(st->engine, sizeof st->engine, "%s", engine);
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
    opts->initial_map_bytes = (uint64_t)initial_mb << 20;
    opts->max_map_bytes = (uint64_t)max_mb << 20;
    if (!*sync) {
        pz_log(st->self, PZ_LOG_WARN, "sync = false: commits are not fsynced (benchmarks only)");
    }
    if (!st->overlay) {
        pz_log(st->self, PZ_LOG_INFO,
               "pipeline_overlay = false: pipelined writes keep their latches until committed");
    }
    return 0;
}

/* Store directory, lock, engine directory, engine. */
static int s_open_store(s_state_t *st, const pz_engine_opts_t *opts)
{
    const char *store = pz_actor_store_dir(st->self);
    if (store == NULL) {
        pz_log(st->self, PZ_LOG_ERROR, "no store directory configured (--store / node.store)");
        return PZ_ECONFIG;
    }
    st->store_dir = strdup(store);
    if (st->store_dir == NULL) {
        return PZ_ENOMEM;
    }
    int rc = s_mkdirs(st->self, st->store_dir);
    rc = rc ? rc : s_lock_store(st);
    char dir[4096];
    if (rc == 0) {
        int n = snprintf(dir, sizeof dir, "%s/%s", st->store_dir, st->engine);
        rc = n > 0 && (size_t)n < sizeof dir ? s_mkdirs(st->self, dir) : PZ_ECONFIG;
    }
    const pz_engine_desc_t *desc = NULL;
    rc = rc ? rc : pz__engine_load(st->self, st->engine, &desc);
    if (rc == 0 && (rc = pz_engine_open(desc, dir, opts, &st->eng)) != 0) {
        pz_log(st->self, PZ_LOG_ERROR, "cannot open engine %s in %s: %s", st->engine, dir,
               pz_strerror(rc));
    }
    return rc;
}

static void s_metrics(s_state_t *st)
{
    st->m_commits = pz_metric_counter("storage_commits_total", "engine commits of write groups");
    st->m_commit_errors =
        pz_metric_counter("storage_commit_errors_total", "engine commits that failed");
    st->m_batches_per_commit = pz_metric_histogram(
        "storage_batches_per_commit", "write batches merged into one engine commit (a count)");
    st->m_fsync_us = pz_metric_histogram("storage_fsync_us",
                                         "duration of durable engine commits (write + fsync)");
    st->m_busy = pz_metric_counter("storage_busy_total",
                                   "write batches refused because the commit queue was full");
    st->m_pipelined = pz_metric_counter("storage_pipelined_total",
                                        "transactional write batches answered before their commit");
    st->m_parked = pz_metric_counter("storage_end_parked_total",
                                     "END_TXN commits that waited for their pipelined writes");
}

static int s_init(pz_actor_t *self, const pz_cfg_t *cfg, void **state)
{
    PZ_ST_ASSERT(self != NULL && state != NULL);
    s_state_t *st = calloc(1, sizeof *st);
    if (st == NULL) {
        return PZ_ENOMEM;
    }
    *state = st; /* fini runs even when init fails after this */
    st->self = self;
    st->lock_fd = -1;
    snprintf(st->name, sizeof st->name, "%s", pz_actor_name(self));
    s_metrics(st);
    st->pipe = pz__pipe_new();
    st->pend = pz__pend_new();
    st->epoch = 1;
    if (st->pipe == NULL || st->pend == NULL) {
        return PZ_ENOMEM;
    }
    bool sync = true;
    pz_engine_opts_t opts;
    int rc = s_config(st, cfg, &sync, &opts);
    rc = rc ? rc : s_open_store(st, &opts);
    if (rc == 0) {
        pz_committer_opts_t copts = {.sync = sync, .linger_us = st->linger_us};
        pz_committer_hooks_t hooks = {.notify = s_hook_notify,
                                      .on_commit = s_hook_on_commit,
                                      .on_exit = s_hook_on_exit,
                                      .ctx = st};
        rc = pz__committer_start(&st->eng, &copts, &hooks, &st->committer);
    }
    if (rc == 0) {
        pz_log(self, PZ_LOG_INFO, "store %s open with engine %s%s", st->store_dir, st->engine,
               sync ? "" : " (sync off)");
    }
    return rc;
}

static void s_drop_msg(void *ctx, void *ptr)
{
    (void)ctx;
    pz_msg_t *m = ptr;
    pz_msg_free(&m);
}

static void s_fini(pz_actor_t *self, void *state)
{
    s_state_t *st = state;
    PZ_ST_ASSERT(st != NULL && st->self == self);
    if (st->committer != NULL) {
        /* Drain: queued batches are committed before the engine closes. Their requesters get
         * no reply (the actor is going away); the writes themselves are applied. */
        size_t unanswered = 0;
        pz_commit_item_t *it = pz__committer_stop(&st->committer);
        while (it != NULL) {
            pz_commit_item_t *next = it->next;
            s_pending_free(it->token);
            unanswered++;
            it = next;
        }
        if (unanswered > 0) {
            pz_log(self, PZ_LOG_INFO, "%zu committed batches left unanswered at shutdown",
                   unanswered);
        }
    }
    /* After the committer drained: every pipelined commit is done, waiters of the last ones and
     * parked END_TXNs are dropped unanswered like the batches above. */
    pz__pipe_destroy(&st->pipe, s_drop_msg, NULL);
    pz__pend_destroy(&st->pend);
    pz_engine_close(&st->eng);
    if (st->lock_fd >= 0) {
        close(st->lock_fd); /* releases the flock */
    }
    free(st->store_dir);
    free(st->gc);
    free(st);
}

static const pz_module_desc_t s_desc = {
    PZ_MODULE_HEADER("storage"), .init = s_init,         .fini = s_fini,
    .on_message = s_on_message,  .on_timer = s_on_timer,
};

PZ_MODULE_DEFINE(s_desc)
