/*
 * mvcc_internal.h — what the MVCC files share (internal to mvcc*.c).
 *
 *   mvcc_key.c      engine key layout of versions
 *   mvcc_overlay.c  the batch's own pending writes
 *   mvcc_read.c     reading versions from a snapshot: point reads and key cursors
 *   mvcc.c          batch evaluation: validation, write-too-old, requests, the write set
 *   mvcc_scan.c     SCAN, RSCAN and DEL_RANGE: snapshot merged with the overlay
 *   mvcc_intent.c   intents: their codec, what a reader sees through them, writing them
 *   mvcc_txn.c      transaction records: HEARTBEAT_TXN, END_TXN, PUSH_TXN, QUERY_TXN
 *   mvcc_resolve.c  RESOLVE and REFRESH over a key or a span
 *   mvcc_gc.c       GC and the range's GC threshold
 */
#ifndef PZ_STORAGE_MVCC_INTERNAL_H
#define PZ_STORAGE_MVCC_INTERNAL_H

#include "engine_wrap.h"
#include "mvcc.h"
#include "mvcc_intent.h"
#include "mvcc_key.h"
#include "mvcc_overlay.h"

/* A growable scratch buffer (malloc'd): engine keys to seek to, the current key of a cursor. */
typedef struct pz_mvcc_buf {
    uint8_t *p;
    size_t cap;
} pz_mvcc_buf_t;

/* Makes room for `need` bytes, keeping the content. PZ_ENOMEM on failure. */
int pz__mvcc_buf_reserve(pz_mvcc_buf_t *b, size_t need);
void pz__mvcc_buf_free(pz_mvcc_buf_t *b);

/* A key's version as seen at a timestamp. value points into engine memory and lives until the
 * iterator that read it moves (engine.h): copy it to keep it. */
typedef struct pz_mvcc_ver {
    bool found;      /* a version at or below the read timestamp exists */
    bool live;       /* found and not a tombstone */
    pz_view_t value; /* live: the user value */
    pz_hlc_t ts;     /* found: the version's timestamp */
    pz_hlc_t newest; /* the key's newest version at any timestamp; zero when it has none */
    bool has_meta;   /* the key has a meta record (an intent): seen by the same seek */
    bool own;        /* pz__mvcc_see_meta: the intent is the reader's (same id and epoch) */
} pz_mvcc_ver_t;

/* Reads the key whose prefix (mvcc_key.h) is kb->p[0..prefix_len) at ts, with iterator it:
 * committed versions only (out->has_meta tells whether an intent is there too).
 * kb must have room for prefix_len + PZ_MVCC_TS_BYTES; bytes past prefix_len are scratch. */
int pz__mvcc_read_at(pz_eng_iter_t *it, pz_mvcc_buf_t *kb, size_t prefix_len, pz_hlc_t ts,
                     pz_mvcc_ver_t *out);

/* What a request met instead of a value; pz__mvcc_set_error copies it into the batch error. */
typedef struct pz_mvcc_conflict {
    pz_view_t key;   /* PZ_EWRITE_INTENT: the intent's user key (arena) */
    pz_kv_txn_t txn; /* PZ_EWRITE_INTENT: its transaction's meta (arena views) */
    pz_hlc_t ts;     /* PZ_EUNCERTAIN: the version's timestamp */
} pz_mvcc_conflict_t;

/* How one request reads through intents (kv.h "Transactions"). */
typedef struct pz_mvcc_rd {
    const pz_kv_txn_t *txn; /* the reader's transaction; NULL: a non-transactional batch */
    pz_hlc_t read_ts;       /* the snapshot */
    pz_hlc_t limit;         /* >= read_ts: foreign intents at or below it conflict, and a
                             * version in (read_ts, limit] is uncertain */
    bool strict;            /* writes and locking reads: every foreign intent conflicts */
    bool shared;            /* strict for a shared locking read: foreign shared locks do not */
    bool inconsistent;      /* PZ_WAIT_INCONSISTENT: foreign intents are passed over */
    pz_eng_snap_t *snap;
    pz_arena_t *a;
    pz_mvcc_conflict_t *conflict;
} pz_mvcc_rd_t;

/* Applies the intent of the key with this prefix (ver->has_meta) to ver, a committed version
 * read at rd->limit: the reader's own intent with a visible entry replaces it (*shadow true),
 * an ignored or invisible one leaves it. Sets ver->own. PZ_EWRITE_INTENT (rd->conflict) when the
 * intent blocks the reader; engine and decode errors. */
int pz__mvcc_see_meta(const pz_mvcc_rd_t *rd, pz_view_t prefix, pz_mvcc_ver_t *ver,
                      bool *shadow);
/* Loads the intent stored under prefix (copied into a, so views outlive the snapshot); *found
 * false when the key has none. PZ_ECORRUPT when it does not decode. */
int pz__mvcc_intent_load(pz_eng_snap_t *snap, pz_view_t prefix, pz_arena_t *a,
                         pz_mvcc_intent_t *out, bool *found);

/* The whole read of one key as rd sees it (pz__mvcc_read_at at rd->limit, the intent, and the
 * uncertainty check: PZ_EUNCERTAIN with rd->conflict->ts). Arguments as pz__mvcc_read_at. */
int pz__mvcc_read_key(const pz_mvcc_rd_t *rd, pz_eng_iter_t *it, pz_mvcc_buf_t *kb,
                      size_t prefix_len, pz_mvcc_ver_t *out);

/* A cursor over the live keys of [start, end) at ts, ascending or descending. It also records
 * the newest version at or above ts among every key it passes, live or not (write-too-old for
 * DEL_RANGE, as CockroachDB's scans with FailOnMoreRecent do). */
typedef struct pz_mvcc_cur {
    pz_eng_iter_t it;
    const pz_mvcc_rd_t *rd;
    pz_hlc_t ts;         /* rd->limit: versions are read at the top of the uncertainty window */
    bool reverse;
    bool done;           /* no more live keys in the span */
    pz_mvcc_buf_t bound; /* forward: prefix(end); reverse: prefix(start) */
    size_t bound_len;
    pz_mvcc_buf_t pfx;   /* prefix of the current key, with room for a suffix */
    size_t pfx_len;
    pz_mvcc_buf_t ukey;  /* the current user key, unescaped */
    pz_view_t key;       /* !done: the current key (into ukey, valid until the next move) */
    pz_mvcc_ver_t ver;   /* !done: its visible version (live); ver.own: the reader's key */
    bool key_own;        /* the current key holds an intent of the reader */
    pz_hlc_t wto;        /* newest version >= ts among keys passed; zero if none */
    pz_hlc_t newer;      /* rd->strict: newest version > rd->read_ts among keys passed that are
                          * not the reader's own (PZ_EWRITE_TOO_OLD); zero if none */
} pz_mvcc_cur_t;

/* Opens the cursor on the first live key of the span in its direction, as rd sees keys (rd
 * must outlive the cursor). On failure nothing is left open. Every move may fail with
 * PZ_EWRITE_INTENT or PZ_EUNCERTAIN (rd->conflict), as pz__mvcc_read_key. */
int pz__mvcc_cur_open(pz_mvcc_cur_t *c, const pz_mvcc_rd_t *rd, pz_view_t start, pz_view_t end,
                      bool reverse);
/* Moves to the next live key in the cursor's direction (sets done at the end). */
int pz__mvcc_cur_next(pz_mvcc_cur_t *c);
void pz__mvcc_cur_close(pz_mvcc_cur_t *c);

/* Engine ops of a write set, grown by doubling in the arena. */
typedef struct pz_mvcc_ops {
    pz_engine_op_t *v;
    size_t len, cap;
    size_t bytes; /* key + value bytes */
} pz_mvcc_ops_t;

/* Appends an op whose key and value already live in the arena (or are static). */
int pz__mvcc_ops_add(pz_arena_t *a, pz_mvcc_ops_t *ops, uint8_t kind, pz_view_t key,
                     pz_view_t value);

/* The evaluation of one pass at one timestamp. */
typedef struct pz_mvcc_ctx {
    pz_eng_snap_t *snap;
    pz_eng_iter_t it;   /* point reads */
    pz_arena_t *a;
    const pz_kv_batch_t *b;
    const pz_mvcc_env_t *env;
    const pz_kv_txn_t *txn; /* header.txn, or NULL */
    pz_hlc_t ts;        /* the pass's timestamp: where writes land (a txn's write_ts) */
    pz_mvcc_rd_t rd;    /* how the pass's plain reads see intents */
    pz_mvcc_conflict_t conflict;
    pz_overlay_t ov;    /* the batch's writes so far */
    pz_overlay_t locks; /* txn: keys a locking read returned that need a lock: live for an
                         * exclusive lock-only intent, not live for a shared lock */
    pz_mvcc_ops_t ops;  /* the write set, as engine ops */
    bool gc_loaded;     /* gc_cur is the range's GC threshold */
    bool gc_raised;     /* a GC request of the batch raised gc_cur */
    pz_hlc_t gc_cur;
    pz_mvcc_buf_t kb;   /* scratch for point-read keys */
    uint64_t keys_left; /* keys all scans of the batch may still return (header.max_keys) */
    uint64_t bytes_used; /* response bytes so far (PZ_BATCH_RESP_BYTES_MAX) */
    pz_hlc_t wto;       /* newest version >= ts on a written key; zero if none */
    pz_kv_batch_resp_t *resp;
} pz_mvcc_ctx_t;

/* Makes rd a locking read's of strength (req.lock, kv.h): every foreign intent conflicts, as for
 * a write (foreign shared locks only for PZ_LOCK_EXCLUSIVE), and versions are read at read_ts with no uncertainty window — any committed version above
 * read_ts is a PZ_EWRITE_TOO_OLD for the caller to raise (existing_ts: the newest), which moves
 * the transaction above every one of them where an uncertainty error would only move it to the
 * first. rd must be a transaction's. */
void pz__mvcc_locking_rd(pz_mvcc_rd_t *rd, uint8_t strength);
/* Raises ctx->wto to t when t is at or above the pass timestamp. */
void pz__mvcc_note_wto(pz_hlc_t *wto, pz_hlc_t pass_ts, pz_hlc_t t);
/* Copies bytes into the arena; PZ_ENOMEM on exhaustion. Empty input gives an empty view. */
int pz__mvcc_dup(pz_arena_t *a, pz_view_t in, pz_view_t *out);
/* Sets resp->error (code, index, static message) and drops the per-request responses. For
 * PZ_EWRITE_INTENT and PZ_EUNCERTAIN it adds ctx->conflict (error.intent, existing_ts). */
int pz__mvcc_set_error(pz_mvcc_ctx_t *ctx, int code, int32_t index, const char *message);
/* mvcc_check.c: refuses a malformed batch (PZ_EINVAL with the request's index). */
int pz__mvcc_validate(pz_mvcc_ctx_t *ctx);
/* Builds prefix(k) in ctx->kb; *len its length. */
int pz__mvcc_prefix(pz_mvcc_ctx_t *ctx, pz_view_t k, size_t *len);
/* Packs a stored value (msgpack) into the arena: *out views it. PZ_ENOMEM. */
int pz__mvcc_pack_intent(pz_arena_t *a, const pz_mvcc_intent_t *m, pz_view_t *out);
int pz__mvcc_pack_record(pz_arena_t *a, const pz_kv_txn_record_t *m, pz_view_t *out);

/* A locking read of strength (enum pz_lock_strength) returned key (own: the transaction holds
 * it already by an intent; newest: its newest committed version, which moves write_ts above
 * it): it gets a lock-only intent or a shared lock (an exclusive one wins in a batch that asks
 * for both). */
int pz__mvcc_lock_key(pz_mvcc_ctx_t *ctx, pz_view_t key, uint8_t strength, bool own,
                      pz_hlc_t newest);

/* mvcc_gc.c: reads the GC threshold of header.range_id (zero when none was set). */
int pz__mvcc_gc_threshold_load(pz_mvcc_ctx_t *ctx, pz_hlc_t *out);

/* mvcc_scan.c: request index i of ctx->b. */
int pz__mvcc_scan(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);
int pz__mvcc_del_range(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);

/* mvcc_intent.c: adds to ctx->ops the intent of ctx->txn on key at ctx->ts with an entry
 * (seq = txn.seq, tag, value) merged into the key's own intent of the same epoch (an older
 * epoch's is replaced). A lock (PZ_MVCC_TAG_LOCK) is added only where the key has no intent of
 * the transaction. PZ_ELIMIT past PZ_MVCC_INTENT_HISTORY_MAX entries. */
int pz__mvcc_intent_write(pz_mvcc_ctx_t *ctx, pz_view_t key, uint8_t tag, pz_view_t value);
/* mvcc_intent.c: adds to ctx->ops ctx->txn as a shared holder of key (at seq = txn.seq), unless
 * the transaction holds the key already in this epoch (an intent, an exclusive lock or an
 * earlier shared lock). PZ_ELIMIT past PZ_MVCC_SHARED_MAX holders. */
int pz__mvcc_intent_share(pz_mvcc_ctx_t *ctx, pz_view_t key);

/* The ops that are not reads and writes of versions (kv.h): mvcc_txn.c, mvcc_resolve.c,
 * mvcc_gc.c. Each adds its engine writes to ctx->ops. */
int pz__mvcc_heartbeat(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);
int pz__mvcc_end_txn(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);
int pz__mvcc_push_txn(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);
int pz__mvcc_query_txn(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);
int pz__mvcc_resolve(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);
int pz__mvcc_refresh(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);
int pz__mvcc_gc(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);

/* A walk over the keys of a span (mvcc_resolve.c): it stands on each key's first entry in
 * turn; the caller may move the iterator inside the key before pz__mvcc_walk_next. */
typedef struct pz_mvcc_walk {
    pz_eng_iter_t *it;
    pz_mvcc_buf_t bound; /* prefix(end) */
    size_t bound_len;
    pz_mvcc_buf_t pfx;   /* the current key's prefix, with room for a suffix */
    size_t pfx_len;
    bool has_meta;       /* the current key has a meta record (the iterator is on it) */
    bool done;
} pz_mvcc_walk_t;

int pz__mvcc_walk_open(pz_mvcc_walk_t *w, pz_eng_iter_t *it, pz_view_t start, pz_view_t end);
/* From the iterator's position: the key there, or done. */
int pz__mvcc_walk_settle(pz_mvcc_walk_t *w);
int pz__mvcc_walk_next(pz_mvcc_walk_t *w);
void pz__mvcc_walk_close(pz_mvcc_walk_t *w);
/* The current key, unescaped, in the arena. */
int pz__mvcc_walk_user_key(pz_arena_t *a, const pz_mvcc_walk_t *w, pz_view_t *out);

/* mvcc_resolve.c: resolves every intent of txn in [start, end) (end empty: the key start) as
 * status (enum pz_txn_status), adding to ctx->ops, at most *budget intents (decremented). When
 * the budget runs out first, *resume is the first key not done (empty when all was done).
 * *n counts the intents resolved. */
int pz__mvcc_resolve_span(pz_mvcc_ctx_t *ctx, const pz_kv_txn_t *txn, uint8_t status,
                          pz_view_t start, pz_view_t end, uint64_t *budget, pz_view_t *resume,
                          uint64_t *n);

#endif
