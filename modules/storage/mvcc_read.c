/*
 * mvcc_read.c — reading MVCC versions from an engine snapshot.
 *
 * Point reads seek to the key's first entry (its newest version, after the meta record), and
 * only when that version is above the read timestamp seek again to version_key(k, ts), which
 * lands on the newest version at or below ts (versions are stored newest first).
 *
 * Cursors walk live keys of a span. Forward, a cursor steps with next() through the few
 * versions of a key before it gives up and seeks past the key: most keys have one or two
 * versions, and a step is cheaper than a seek (CockroachDB's pebbleMVCCScanner does the same
 * "iterations before seek"). Reverse, it lands on a key's oldest entry, seeks to the visible
 * version, then seeks below the key's meta record to reach the previous key.
 *
 * Meta records (a key's intent, mvcc_intent.h) are the first entry of their key, so the seek
 * that finds the newest version passes them: a point read reports has_meta and leaves the intent
 * to pz__mvcc_read_key; a forward cursor hands each one it passes to pz__mvcc_see_meta, which
 * may yield the reader's own value or stop the cursor with a conflict.
 *
 * Store-local records (0x00 0x00 ..., mvcc_key.h) sort before every key: a reverse cursor that
 * runs off the start of the key space compares raw engine keys with its bound before it splits
 * them, so it never tries to read one as a version.
 */
#include <stdlib.h>
#include <string.h>

#include "mvcc_internal.h"
#include "phantomzero/errors.h"
#include "storage_assert.h"

/* Steps through one key's older versions before seeking past the key. */
#define S_NEXTS_BEFORE_SEEK 4

int pz__mvcc_buf_reserve(pz_mvcc_buf_t *b, size_t need)
{
    PZ_ST_ASSERT(b != NULL);
    if (need <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void pz__mvcc_buf_free(pz_mvcc_buf_t *b)
{
    PZ_ST_ASSERT(b != NULL);
    free(b->p);
    b->p = NULL;
    b->cap = 0;
}

/* Splits an engine value into its tag and user value. */
static int s_decode_value(const uint8_t *v, size_t len, bool *live, pz_view_t *value)
{
    if (len == 0 || len - 1 > PZ_VALUE_BYTES_MAX) {
        return PZ_ECORRUPT;
    }
    if (v[0] == PZ_MVCC_TAG_VALUE) {
        *live = true;
        value->ptr = v + 1;
        value->len = (uint32_t)(len - 1);
        return 0;
    }
    if (v[0] == PZ_MVCC_TAG_TOMBSTONE && len == 1) {
        *live = false;
        value->ptr = NULL;
        value->len = 0;
        return 0;
    }
    return PZ_ECORRUPT;
}

/* The iterator's entry, split; PZ_ENOTFOUND when the iterator is exhausted. */
static int s_entry(const pz_eng_iter_t *it, pz_mvcc_key_t *mk)
{
    if (!pz_engine_iter_valid(it)) {
        return PZ_ENOTFOUND;
    }
    const uint8_t *k = NULL;
    size_t len = 0;
    pz_engine_iter_key(it, &k, &len);
    return pz__mvcc_key_split(k, len, mk);
}

/* Fills ver from the version under the iterator. */
static int s_take_version(const pz_eng_iter_t *it, const pz_mvcc_key_t *mk, pz_mvcc_ver_t *ver)
{
    PZ_ST_ASSERT(mk->has_ts);
    const uint8_t *v = NULL;
    size_t len = 0;
    pz_engine_iter_value(it, &v, &len);
    ver->found = true;
    ver->ts = mk->ts;
    return s_decode_value(v, len, &ver->live, &ver->value);
}

/* Positions on key prefix's first version entry; *has is false when the key has none, *meta
 * true when a meta record precedes its versions. */
static int s_first_version(pz_eng_iter_t *it, pz_view_t prefix, pz_mvcc_key_t *mk, bool *has,
                           bool *meta)
{
    *has = false;
    int rc = pz_engine_iter_seek_ge(it, prefix.ptr, prefix.len);
    for (int step = 0; rc == 0 && step < 2; step++) { /* at most the meta record, then one */
        rc = s_entry(it, mk);
        if (rc == PZ_ENOTFOUND || (rc == 0 && !pz_view_eq(mk->prefix, prefix))) {
            return 0;
        }
        if (rc == 0 && mk->has_ts) {
            *has = true;
            return 0;
        }
        if (rc == 0) {
            *meta = true;
            rc = pz_engine_iter_next(it);
        }
    }
    return rc;
}

int pz__mvcc_read_at(pz_eng_iter_t *it, pz_mvcc_buf_t *kb, size_t prefix_len, pz_hlc_t ts,
                     pz_mvcc_ver_t *out)
{
    PZ_ST_ASSERT(it != NULL && kb != NULL && out != NULL && !pz_hlc_is_zero(ts));
    PZ_ST_ASSERT(kb->cap >= prefix_len + PZ_MVCC_TS_BYTES);
    memset(out, 0, sizeof *out);
    pz_view_t prefix = {kb->p, (uint32_t)prefix_len};
    pz_mvcc_key_t mk;
    bool has = false;
    int rc = s_first_version(it, prefix, &mk, &has, &out->has_meta);
    if (rc != 0 || !has) {
        return rc;
    }
    out->newest = mk.ts;
    if (pz_hlc_cmp(mk.ts, ts) <= 0) {
        return s_take_version(it, &mk, out);
    }
    size_t n = pz__mvcc_key_put_ts(kb->p, kb->cap, prefix_len, ts);
    rc = pz_engine_iter_seek_ge(it, kb->p, n);
    if (rc == 0) {
        rc = s_entry(it, &mk);
    }
    if (rc == PZ_ENOTFOUND || (rc == 0 && !pz_view_eq(mk.prefix, prefix))) {
        return 0; /* every version is above ts */
    }
    if (rc != 0) {
        return rc;
    }
    PZ_ST_ASSERT(mk.has_ts && pz_hlc_cmp(mk.ts, ts) <= 0);
    return s_take_version(it, &mk, out);
}

/* ---------------------------------------------------------------------------------------- */
/* Cursors                                                                                   */

static pz_view_t s_view(const pz_mvcc_buf_t *b, size_t len)
{
    return (pz_view_t){b->p, (uint32_t)len};
}

static int s_copy_prefix(pz_mvcc_cur_t *c, pz_view_t prefix)
{
    /* Room for a timestamp suffix (seek inside the key) or the 2 bytes of prefix_after. */
    int rc = pz__mvcc_buf_reserve(&c->pfx, prefix.len + PZ_MVCC_TS_BYTES);
    if (rc != 0) {
        return rc;
    }
    memmove(c->pfx.p, prefix.ptr, prefix.len);
    c->pfx_len = prefix.len;
    return 0;
}

/* Makes the current key (c->pfx) the cursor's result, with its live version. */
static int s_yield(pz_mvcc_cur_t *c, const pz_mvcc_ver_t *ver)
{
    PZ_ST_ASSERT(ver->found && ver->live);
    int rc = pz__mvcc_buf_reserve(&c->ukey, c->pfx_len);
    size_t len = 0;
    if (rc == 0) {
        rc = pz__mvcc_key_user(s_view(&c->pfx, c->pfx_len), c->ukey.p, c->ukey.cap, &len);
    }
    if (rc != 0) {
        return rc;
    }
    c->key.ptr = c->ukey.p;
    c->key.len = (uint32_t)len;
    c->ver = *ver;
    c->ver.own = ver->own || c->key_own;
    return 0;
}

/* Forward: moves past every entry of the current key (c->pfx). */
static int s_skip_fwd(pz_mvcc_cur_t *c)
{
    pz_view_t cur = s_view(&c->pfx, c->pfx_len);
    for (int i = 0; i < S_NEXTS_BEFORE_SEEK; i++) {
        int rc = pz_engine_iter_next(&c->it);
        pz_mvcc_key_t mk;
        if (rc == 0) {
            rc = s_entry(&c->it, &mk);
        }
        if (rc == PZ_ENOTFOUND || (rc == 0 && !pz_view_eq(mk.prefix, cur))) {
            return 0;
        }
        if (rc != 0) {
            return rc;
        }
    }
    size_t n = pz__mvcc_key_prefix_after(c->pfx.p, c->pfx.cap, c->pfx.p, c->pfx_len);
    return pz_engine_iter_seek_ge(&c->it, c->pfx.p, n);
}

/* Forward: the current key's meta record. *next says how to go on: 0 to its versions, 1 past
 * the key (the reader's own tombstone); a yield (the reader's own value) returns with done
 * false and the key set. */
static int s_meta_fwd(pz_mvcc_cur_t *c, int *next, bool *yielded)
{
    bool shadow = false;
    pz_mvcc_ver_t ver = {.has_meta = true};
    int rc = pz__mvcc_see_meta(c->rd, s_view(&c->pfx, c->pfx_len), &ver, &shadow);
    if (rc != 0) {
        return rc;
    }
    c->key_own = ver.own;
    *yielded = shadow && ver.live;
    *next = shadow ? 1 : 0;
    return *yielded ? s_yield(c, &ver) : 0;
}

/* A key's newest version t as the cursor passes it: write-too-old for writes (c->wto), and
 * for a locking read whether it is newer than the snapshot (c->newer; the reader's own keys
 * excepted: what it wrote or locked is its own to read). */
static void s_note_newest(pz_mvcc_cur_t *c, pz_hlc_t t)
{
    pz__mvcc_note_wto(&c->wto, c->ts, t);
    if (c->rd->strict && !c->key_own && pz_hlc_cmp(t, c->rd->read_ts) > 0 &&
        pz_hlc_cmp(t, c->newer) > 0) {
        c->newer = t;
    }
}

/* Forward: takes the visible version under the iterator; *yielded when it is live. */
static int s_version_fwd(pz_mvcc_cur_t *c, const pz_mvcc_key_t *mk, bool *yielded)
{
    pz_mvcc_ver_t ver = {0};
    int rc = s_take_version(&c->it, mk, &ver);
    if (rc != 0) {
        return rc;
    }
    if (pz_hlc_cmp(ver.ts, c->rd->read_ts) > 0) {
        c->rd->conflict->ts = ver.ts; /* in the uncertainty window (pz__mvcc_read_key) */
        return PZ_EUNCERTAIN;
    }
    *yielded = ver.live;
    return ver.live ? s_yield(c, &ver) : 0;
}

/* Forward: from the iterator's position (the first entry of a key, or a version inside the
 * current key after a seek when `within`), settles on the next live key or sets done. */
static int s_settle_fwd(pz_mvcc_cur_t *c, bool within)
{
    bool after_meta = false; /* the entry follows the current key's meta record */
    for (;;) {
        pz_mvcc_key_t mk;
        int rc = s_entry(&c->it, &mk);
        if (rc == PZ_ENOTFOUND ||
            (rc == 0 && pz_view_cmp(mk.prefix, s_view(&c->bound, c->bound_len)) >= 0)) {
            c->done = true;
            return 0;
        }
        if (rc != 0) {
            return rc;
        }
        bool same = (within || after_meta) && pz_view_eq(mk.prefix, s_view(&c->pfx, c->pfx_len));
        after_meta = false;
        if (!same) {
            within = false;
            c->key_own = false;
            if ((rc = s_copy_prefix(c, mk.prefix)) != 0) {
                return rc;
            }
        }
        bool yielded = false;
        if (!mk.has_ts) {
            int next = 0;
            if ((rc = s_meta_fwd(c, &next, &yielded)) != 0 || yielded) {
                return rc;
            }
            after_meta = next == 0;
            rc = next == 0 ? pz_engine_iter_next(&c->it) : s_skip_fwd(c);
        } else if (!within && pz_hlc_cmp(mk.ts, c->ts) > 0) {
            /* The key's newest version, above ts: note it and seek to the visible one. */
            s_note_newest(c, mk.ts);
            size_t n = pz__mvcc_key_put_ts(c->pfx.p, c->pfx.cap, c->pfx_len, c->ts);
            rc = pz_engine_iter_seek_ge(&c->it, c->pfx.p, n);
            within = true;
        } else {
            if (!within) {
                s_note_newest(c, mk.ts);
            }
            if ((rc = s_version_fwd(c, &mk, &yielded)) != 0 || yielded) {
                return rc;
            }
            rc = s_skip_fwd(c); /* a tombstone: the key is dead at ts */
            within = false;
        }
        if (rc != 0) {
            return rc;
        }
    }
}

/* Reverse: true when the iterator is before the span (raw engine keys compared, so the
 * store-local records below every key are never split). */
static bool s_before_span(const pz_mvcc_cur_t *c)
{
    const uint8_t *k = NULL;
    size_t len = 0;
    pz_engine_iter_key(&c->it, &k, &len);
    return pz_view_cmp((pz_view_t){k, (uint32_t)len}, s_view(&c->bound, c->bound_len)) < 0;
}

/* Reverse: from the iterator's position (some entry of a key, or before the span), settles
 * on the previous live key or sets done. */
static int s_settle_rev(pz_mvcc_cur_t *c)
{
    for (;;) {
        if (!pz_engine_iter_valid(&c->it) || s_before_span(c)) {
            c->done = true;
            return 0;
        }
        pz_mvcc_key_t mk;
        int rc = s_entry(&c->it, &mk);
        if (rc != 0 || (rc = s_copy_prefix(c, mk.prefix)) != 0) {
            return rc;
        }
        pz_mvcc_ver_t ver;
        if ((rc = pz__mvcc_read_key(c->rd, &c->it, &c->pfx, c->pfx_len, &ver)) != 0) {
            return rc;
        }
        c->key_own = ver.own;
        s_note_newest(c, ver.newest);
        if (ver.live) {
            return s_yield(c, &ver);
        }
        /* The meta record is the smallest entry of a key: below it is the previous key. */
        if ((rc = pz_engine_iter_seek_lt(&c->it, c->pfx.p, c->pfx_len)) != 0) {
            return rc;
        }
    }
}

static int s_cur_bounds(pz_mvcc_cur_t *c, pz_view_t start, pz_view_t end, pz_mvcc_buf_t *first,
                        size_t *first_len)
{
    pz_view_t b = c->reverse ? start : end;
    pz_view_t f = c->reverse ? end : start;
    int rc = pz__mvcc_buf_reserve(&c->bound, pz__mvcc_key_cap(b.len));
    if (rc == 0) {
        rc = pz__mvcc_buf_reserve(first, pz__mvcc_key_cap(f.len));
    }
    if (rc != 0) {
        return rc;
    }
    c->bound_len = pz__mvcc_key_prefix(c->bound.p, c->bound.cap, b);
    *first_len = pz__mvcc_key_prefix(first->p, first->cap, f);
    return 0;
}

int pz__mvcc_cur_open(pz_mvcc_cur_t *c, const pz_mvcc_rd_t *rd, pz_view_t start, pz_view_t end,
                      bool reverse)
{
    PZ_ST_ASSERT(c != NULL && rd != NULL && rd->snap != NULL && start.len > 0);
    PZ_ST_ASSERT(!pz_hlc_is_zero(rd->read_ts) && pz_hlc_cmp(rd->limit, rd->read_ts) >= 0);
    PZ_ST_ASSERT(pz_view_cmp(start, end) < 0);
    pz_eng_snap_t *snap = rd->snap;
    memset(c, 0, sizeof *c);
    c->rd = rd;
    c->ts = rd->limit;
    c->reverse = reverse;
    size_t first_len = 0;
    int rc = s_cur_bounds(c, start, end, &c->pfx, &first_len);
    if (rc == 0) {
        rc = pz_engine_iter_open(snap, &c->it);
    }
    if (rc == 0 && reverse) {
        rc = pz_engine_iter_seek_lt(&c->it, c->pfx.p, first_len);
        rc = rc ? rc : s_settle_rev(c);
    } else if (rc == 0) {
        rc = pz_engine_iter_seek_ge(&c->it, c->pfx.p, first_len);
        rc = rc ? rc : s_settle_fwd(c, false);
    }
    if (rc != 0) {
        pz__mvcc_cur_close(c);
    }
    return rc;
}

int pz__mvcc_cur_next(pz_mvcc_cur_t *c)
{
    PZ_ST_ASSERT(c != NULL && !c->done && c->it.it != NULL);
    int rc;
    if (c->reverse) {
        rc = pz_engine_iter_seek_lt(&c->it, c->pfx.p, c->pfx_len);
        return rc ? rc : s_settle_rev(c);
    }
    rc = s_skip_fwd(c);
    return rc ? rc : s_settle_fwd(c, false);
}

void pz__mvcc_cur_close(pz_mvcc_cur_t *c)
{
    PZ_ST_ASSERT(c != NULL);
    if (c->it.it != NULL) {
        pz_engine_iter_close(&c->it);
    }
    pz__mvcc_buf_free(&c->bound);
    pz__mvcc_buf_free(&c->pfx);
    pz__mvcc_buf_free(&c->ukey);
}
