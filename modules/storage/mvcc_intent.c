/*
 * mvcc_intent.c — intents (mvcc_intent.h): their codec, what a reader sees through them
 * (kv.h "Transactions"), and writing them.
 *
 * A reader meets an intent in the same seek that finds a key's newest version (the meta record
 * sorts first), so a key without one costs nothing extra; only when has_meta is set is the
 * record fetched and decoded. What the reader then sees:
 *   its own intent (same id and epoch)   the newest history entry not ignored (a lock is no
 *                                        value); none: the committed versions
 *   its own intent of another epoch      nothing: a restart discarded it
 *   a foreign lock                       nothing, for plain reads
 *   shared holders                       nothing, for plain reads and shared locking reads
 *   a foreign intent                     PZ_EWRITE_INTENT when at or below the reader's
 *                                        uncertainty limit (or for a writer or a locking read,
 *                                        at any timestamp); above it the reader cannot see it
 *   a foreign shared holder              PZ_EWRITE_INTENT naming it, for a writer or an
 *                                        exclusive locking read
 *
 * Writing: an intent or exclusive lock keeps the writer's own shared holder entry (the upgrade,
 * mvcc_intent.h); a shared lock joins the set, or does nothing where the transaction holds the
 * key already. Entries of the transaction's older epochs go (a restart discarded them).
 */
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

PZ_SCHEMA_DEFINE(pz_mvcc_hist)
PZ_SCHEMA_DEFINE(pz_mvcc_holder)
PZ_SCHEMA_DEFINE(pz_mvcc_intent)

bool pz__mvcc_seq_ignored(const pz_kv_txn_t *txn, uint32_t seq)
{
    PZ_ST_ASSERT(txn != NULL && (txn->ignored != NULL || txn->ignored_len == 0));
    for (uint32_t i = 0; i < txn->ignored_len; i++) {
        if (seq >= txn->ignored[i].start && seq <= txn->ignored[i].end) {
            return true;
        }
    }
    return false;
}

const pz_mvcc_hist_t *pz__mvcc_intent_visible(const pz_mvcc_intent_t *in, const pz_kv_txn_t *txn)
{
    PZ_ST_ASSERT(in != NULL && txn != NULL);
    for (uint32_t i = in->hist_len; i > 0; i--) {
        const pz_mvcc_hist_t *h = &in->hist[i - 1];
        if (h->tag != PZ_MVCC_TAG_LOCK && !pz__mvcc_seq_ignored(txn, h->seq)) {
            return h;
        }
    }
    return NULL;
}

const pz_kv_txn_t *pz__mvcc_intent_blocker(const pz_mvcc_intent_t *in, const pz_kv_txn_t *t,
                                           bool shared)
{
    PZ_ST_ASSERT(in != NULL && (in->shared != NULL || in->shared_len == 0));
    PZ_ST_ASSERT(t == NULL || t->id.len > 0);
    if (in->hist_len > 0 && (t == NULL || !pz_view_eq(in->txn.id, t->id))) {
        return &in->txn;
    }
    for (uint32_t i = 0; !shared && i < in->shared_len; i++) {
        if (t == NULL || !pz_view_eq(in->shared[i].txn.id, t->id)) {
            return &in->shared[i].txn;
        }
    }
    return NULL;
}

pz_kv_txn_t pz__mvcc_txn_meta(const pz_kv_txn_t *txn, pz_hlc_t write_ts)
{
    PZ_ST_ASSERT(txn != NULL && !pz_hlc_is_zero(write_ts));
    pz_kv_txn_t m;
    memset(&m, 0, sizeof m);
    m.id = txn->id;
    m.epoch = txn->epoch;
    m.write_ts = write_ts;
    m.priority = txn->priority;
    m.key = txn->key;
    m.min_ts = txn->min_ts;
    m.isolation = txn->isolation;
    return m;
}

int pz__mvcc_intent_load(pz_eng_snap_t *snap, pz_view_t prefix, pz_arena_t *a,
                         pz_mvcc_intent_t *out, bool *found)
{
    PZ_ST_ASSERT(snap != NULL && a != NULL && out != NULL && found != NULL && prefix.len > 0);
    *found = false;
    const uint8_t *v = NULL;
    size_t len = 0;
    int rc = pz_engine_get(snap, prefix.ptr, prefix.len, &v, &len);
    if (rc == PZ_ENOTFOUND) {
        return 0;
    }
    if (rc != 0) {
        return rc;
    }
    /* Decoded views must outlive the snapshot: decode a copy. */
    pz_view_t copy = pz_arena_dup(a, v, len);
    pz_cur_t c;
    if (copy.ptr == NULL) {
        return PZ_ENOMEM;
    }
    rc = pz__cur_init(copy.ptr, copy.len, &c);
    rc = rc ? rc : pz_mvcc_intent_decode_cur(&c, out, a, 0);
    if (rc != 0) {
        return rc == PZ_ENOMEM ? rc : PZ_ECORRUPT;
    }
    *found = true;
    return 0;
}

/* True when every entry is a lock: the intent holds no value a reader could miss. */
static bool s_lock_only(const pz_mvcc_intent_t *in)
{
    for (uint32_t i = 0; i < in->hist_len; i++) {
        if (in->hist[i].tag != PZ_MVCC_TAG_LOCK) {
            return false;
        }
    }
    return true;
}

static int s_conflict(const pz_mvcc_rd_t *rd, pz_view_t prefix, const pz_kv_txn_t *holder)
{
    uint8_t *k = pz_arena_alloc(rd->a, prefix.len);
    size_t len = 0;
    if (k == NULL) {
        return PZ_ENOMEM;
    }
    int rc = pz__mvcc_key_user(prefix, k, prefix.len, &len);
    if (rc != 0) {
        return rc;
    }
    rd->conflict->key = (pz_view_t){k, (uint32_t)len};
    rd->conflict->txn = *holder; /* its views are in the arena already */
    return PZ_EWRITE_INTENT;
}

int pz__mvcc_see_meta(const pz_mvcc_rd_t *rd, pz_view_t prefix, pz_mvcc_ver_t *ver, bool *shadow)
{
    PZ_ST_ASSERT(rd != NULL && rd->snap != NULL && rd->conflict != NULL);
    PZ_ST_ASSERT(ver != NULL && shadow != NULL && ver->has_meta);
    *shadow = false;
    ver->own = false;
    pz_mvcc_intent_t in;
    bool found = false;
    int rc = pz__mvcc_intent_load(rd->snap, prefix, rd->a, &in, &found);
    if (rc != 0 || !found) {
        return rc;
    }
    const pz_kv_txn_t *t = rd->txn;
    if (t != NULL && in.hist_len > 0 && pz_view_eq(in.txn.id, t->id)) {
        if (in.txn.epoch != t->epoch) {
            return 0; /* an older epoch's write, discarded by the restart */
        }
        ver->own = true;
        const pz_mvcc_hist_t *h = pz__mvcc_intent_visible(&in, t);
        if (h != NULL) {
            ver->found = true;
            ver->live = h->tag == PZ_MVCC_TAG_VALUE;
            ver->value = ver->live ? h->value : (pz_view_t){NULL, 0};
            ver->ts = in.txn.write_ts;
            *shadow = true;
        }
        return 0;
    }
    if (rd->inconsistent) {
        return 0;
    }
    if (!rd->strict) {
        /* Locks hold no value: a plain read sees through them (and through shared holders). */
        bool passes =
            in.hist_len == 0 || s_lock_only(&in) || pz_hlc_cmp(in.txn.write_ts, rd->limit) > 0;
        return passes ? 0 : s_conflict(rd, prefix, &in.txn);
    }
    const pz_kv_txn_t *b = pz__mvcc_intent_blocker(&in, t, rd->shared);
    return b != NULL ? s_conflict(rd, prefix, b) : 0;
}

int pz__mvcc_read_key(const pz_mvcc_rd_t *rd, pz_eng_iter_t *it, pz_mvcc_buf_t *kb,
                      size_t prefix_len, pz_mvcc_ver_t *out)
{
    PZ_ST_ASSERT(rd != NULL && pz_hlc_cmp(rd->limit, rd->read_ts) >= 0);
    int rc = pz__mvcc_read_at(it, kb, prefix_len, rd->limit, out);
    if (rc != 0) {
        return rc;
    }
    bool shadow = false;
    if (out->has_meta) {
        rc = pz__mvcc_see_meta(rd, (pz_view_t){kb->p, (uint32_t)prefix_len}, out, &shadow);
        if (rc != 0) {
            return rc;
        }
    }
    if (!shadow && out->found && pz_hlc_cmp(out->ts, rd->read_ts) > 0) {
        /* Read at the limit, the newest version there is above the snapshot: it may have been
         * written before the reader began, on a clock ahead of the reader's. */
        rd->conflict->ts = out->ts;
        return PZ_EUNCERTAIN;
    }
    return 0;
}

/* The new history: old's entries (when kept) with the entry e inserted by seq, replacing an
 * entry of the same seq. */
static int s_history(pz_arena_t *a, const pz_mvcc_intent_t *old, const pz_mvcc_hist_t *e,
                     pz_mvcc_hist_t **out, uint32_t *out_len)
{
    uint32_t n = old != NULL ? old->hist_len : 0;
    pz_mvcc_hist_t *h = pz_arena_alloc(a, sizeof *h * (n + 1));
    if (h == NULL) {
        return PZ_ENOMEM;
    }
    uint32_t m = 0;
    bool placed = false;
    for (uint32_t i = 0; i < n; i++) {
        if (!placed && old->hist[i].seq >= e->seq) {
            h[m++] = *e;
            placed = true;
        }
        if (old->hist[i].seq != e->seq) {
            h[m++] = old->hist[i];
        }
    }
    if (!placed) {
        h[m++] = *e;
    }
    if (m > PZ_MVCC_INTENT_HISTORY_MAX) {
        return PZ_ELIMIT;
    }
    *out = h;
    *out_len = m;
    return 0;
}

/* Builds prefix(key) in the arena and loads its record (*found false when none), which no
 * other transaction may hold against a lock of this strength (shared or not): evaluation
 * refused the batch before it got here if one did. */
static int s_load_for_write(pz_mvcc_ctx_t *ctx, pz_view_t key, bool shared, pz_view_t *prefix,
                            pz_mvcc_intent_t *old, bool *found)
{
    PZ_ST_ASSERT(ctx->txn != NULL && key.len > 0);
    size_t plen = 0;
    int rc = pz__mvcc_prefix(ctx, key, &plen);
    *prefix = rc == 0 ? pz_arena_dup(ctx->a, ctx->kb.p, plen) : (pz_view_t){NULL, 0};
    if (rc != 0 || prefix->ptr == NULL) {
        return rc ? rc : PZ_ENOMEM;
    }
    rc = pz__mvcc_intent_load(ctx->snap, *prefix, ctx->a, old, found);
    PZ_ST_ASSERT(rc != 0 || !*found || pz__mvcc_intent_blocker(old, ctx->txn, shared) == NULL);
    return rc;
}

/* old's shared holders without t's entries of other epochs, with room for one more; *own
 * says whether t holds one of this epoch. */
static int s_holders(pz_arena_t *a, const pz_mvcc_intent_t *old, const pz_kv_txn_t *t,
                     pz_mvcc_holder_t **out, uint32_t *len, bool *own)
{
    uint32_t n = old != NULL ? old->shared_len : 0;
    *own = false;
    *len = 0;
    *out = pz_arena_alloc(a, sizeof **out * (n + 1));
    if (*out == NULL) {
        return PZ_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        const pz_mvcc_holder_t *h = &old->shared[i];
        bool mine = pz_view_eq(h->txn.id, t->id);
        if (mine && h->txn.epoch != t->epoch) {
            continue;
        }
        *own = *own || mine;
        (*out)[(*len)++] = *h;
    }
    return 0;
}

static int s_put_record(pz_mvcc_ctx_t *ctx, pz_view_t prefix, const pz_mvcc_intent_t *in)
{
    PZ_ST_ASSERT(in->hist_len > 0 || (in->shared_len > 0 && in->txn.id.len == 0));
    pz_view_t packed = {NULL, 0};
    int rc = pz__mvcc_pack_intent(ctx->a, in, &packed);
    return rc ? rc : pz__mvcc_ops_add(ctx->a, &ctx->ops, PZ_ENGINE_PUT, prefix, packed);
}

int pz__mvcc_intent_write(pz_mvcc_ctx_t *ctx, pz_view_t key, uint8_t tag, pz_view_t value)
{
    const pz_kv_txn_t *t = ctx->txn;
    PZ_ST_ASSERT(tag <= PZ_MVCC_TAG_LOCK);
    pz_view_t prefix;
    pz_mvcc_intent_t old;
    bool found = false;
    int rc = s_load_for_write(ctx, key, false, &prefix, &old, &found);
    if (rc != 0) {
        return rc;
    }
    bool keep = found && old.hist_len > 0 && old.txn.epoch == t->epoch;
    if (keep && tag == PZ_MVCC_TAG_LOCK) {
        return 0; /* the key is the transaction's already */
    }
    pz_mvcc_hist_t e = {.seq = t->seq, .tag = tag, .value = value};
    pz_mvcc_intent_t in = {.txn = pz__mvcc_txn_meta(t, ctx->ts)};
    bool own = false;
    rc = s_history(ctx->a, keep ? &old : NULL, &e, &in.hist, &in.hist_len);
    rc = rc ? rc : s_holders(ctx->a, found ? &old : NULL, t, &in.shared, &in.shared_len, &own);
    PZ_ST_ASSERT(rc != 0 || in.shared_len == (own ? 1u : 0u)); /* the upgrade: only t's */
    return rc ? rc : s_put_record(ctx, prefix, &in);
}

int pz__mvcc_intent_share(pz_mvcc_ctx_t *ctx, pz_view_t key)
{
    const pz_kv_txn_t *t = ctx->txn;
    pz_view_t prefix;
    pz_mvcc_intent_t old;
    bool found = false;
    int rc = s_load_for_write(ctx, key, true, &prefix, &old, &found);
    if (rc != 0 || (found && old.hist_len > 0 && old.txn.epoch == t->epoch)) {
        return rc; /* its intent or exclusive lock covers a shared lock */
    }
    /* An older epoch's intent of t is dropped: the restart discarded it. */
    pz_mvcc_intent_t in;
    memset(&in, 0, sizeof in);
    bool own = false;
    rc = s_holders(ctx->a, found ? &old : NULL, t, &in.shared, &in.shared_len, &own);
    if (rc != 0 || own) {
        return rc; /* own: held since an earlier seq, which a rollback must reach to drop it */
    }
    if (in.shared_len >= PZ_MVCC_SHARED_MAX) {
        return PZ_ELIMIT;
    }
    in.shared[in.shared_len++] =
        (pz_mvcc_holder_t){.txn = pz__mvcc_txn_meta(t, ctx->ts), .seq = t->seq};
    return s_put_record(ctx, prefix, &in);
}
