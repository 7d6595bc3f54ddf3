/*
 * lmdb_size.c — approx_size and checkpoint.
 *
 * approx_size: LMDB keeps no per-subtree counts, so the exact size of a span needs a full scan.
 * The estimate is instead:
 *   1. walk the span with a cursor, summing key + value + 10 bytes of node overhead (LMDB's
 *      8-byte node header and 2-byte slot) per entry, for at most PZ_LMDB_APPROX_WALK_MAX
 *      entries — exact for small spans, which is where callers compare sizes closely;
 *   2. if the span goes on, add the rest by interpolation in key space: each key's position
 *      between the store's first and last key is read from the 8 bytes after their common
 *      prefix as a mixed-radix fraction (see s_space_t), and the fraction of the span
 *      [stop key, end) is applied to the bytes of all the database's pages (mdb_stat: branch +
 *      leaf + overflow pages).
 * So the cost is bounded (1,024 entries plus three B-tree descents), the result is 0 for an
 * empty span, and it grows with the span's end and with data; it is accurate when keys are
 * spread evenly after the common prefix and can be far off for skewed keys, and beyond the walk
 * it counts page slack (pages are 50-100% full) as data.
 *
 * checkpoint: mdb_env_copy2 with MDB_CP_COMPACT writes <dir>/data.mdb from a read txn of its
 * own, consistent and without free pages; open() opens it. It runs inside the reader gate so no
 * commit remaps the env while the copy reads it (a commit that needs to grow the map meanwhile
 * waits PZ_LMDB_RESIZE_WAIT_MS_MAX, then returns PZ_EMAPFULL). The copy is fsynced, with its
 * directory, before checkpoint returns.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "phantomzero/errors.h"
#include "phantomzero/limits.h"
#include "lmdb_internal.h"

#define PZ_LMDB_NODE_OVERHEAD_BYTES 10u

/* approx_size ---------------------------------------------------------------------------- */

#define PZ_LMDB_INTERP_BYTES 8 /* positions read after the common prefix: 2^64 at most */

/* Key space between the store's first key (lo) and last key (hi). Position i after their
 * common prefix is a digit of radix radix[i] counted from base[i]: the byte range lo and hi
 * span there. Mixed radix instead of plain base 256 keeps keys drawn from a small alphabet
 * (ASCII digits, say) from crowding into a corner of [0, 1]. */
typedef struct {
    size_t prefix_len;
    uint8_t base[PZ_LMDB_INTERP_BYTES];
    unsigned radix[PZ_LMDB_INTERP_BYTES]; /* 1..256 */
    MDB_val lo, hi;
    double v_lo, v_hi;
    double total_bytes; /* all pages of the database */
} s_space_t;

/* The key's number in the mixed radix. A byte below its digit's range (or a missing byte)
 * pins the rest of the digits to 0, a byte above it pins them to their maximum: that keeps
 * the mapping monotone in key order. */
static double s_value(const s_space_t *sp, const uint8_t *k, size_t k_len)
{
    assert(sp != NULL && (k != NULL || k_len == 0));
    double v = 0.0;
    int pinned = 0; /* -1 low, +1 high */
    for (size_t i = 0; i < PZ_LMDB_INTERP_BYTES; i++) {
        size_t at = sp->prefix_len + i;
        unsigned r = sp->radix[i];
        if (pinned == 0 && (at >= k_len || k[at] < sp->base[i])) {
            pinned = -1;
        } else if (pinned == 0 && (unsigned)(k[at] - sp->base[i]) >= r) {
            pinned = 1;
        }
        unsigned d = pinned < 0 ? 0 : (pinned > 0 ? r - 1 : (unsigned)(k[at] - sp->base[i]));
        v = v * r + d;
    }
    assert(v >= 0.0);
    return v;
}

/* Position of key in [0, 1] between the store's first and last key; monotone in key. */
static double s_pos(const s_space_t *sp, const uint8_t *key, size_t key_len)
{
    assert(sp != NULL);
    if (pz__lmdb_key_cmp(key, key_len, sp->lo.mv_data, sp->lo.mv_size) <= 0) {
        return 0.0;
    }
    if (pz__lmdb_key_cmp(key, key_len, sp->hi.mv_data, sp->hi.mv_size) >= 0) {
        return 1.0;
    }
    /* lo < key < hi: key shares their common prefix. */
    if (sp->v_hi <= sp->v_lo) {
        return 0.5; /* lo and hi differ only past the digits read: no resolution left */
    }
    double p = (s_value(sp, key, key_len) - sp->v_lo) / (sp->v_hi - sp->v_lo);
    return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

static void s_space_digits(s_space_t *sp)
{
    const uint8_t *a = sp->lo.mv_data, *b = sp->hi.mv_data;
    size_t al = sp->lo.mv_size, bl = sp->hi.mv_size;
    size_t c = 0;
    while (c < al && c < bl && a[c] == b[c]) {
        c++;
    }
    sp->prefix_len = c;
    for (size_t i = 0; i < PZ_LMDB_INTERP_BYTES; i++) {
        unsigned x = c + i < al ? a[c + i] : 0, y = c + i < bl ? b[c + i] : 0;
        sp->base[i] = (uint8_t)(x < y ? x : y);
        sp->radix[i] = (x < y ? y - x : x - y) + 1;
    }
    sp->v_lo = s_value(sp, a, al);
    sp->v_hi = s_value(sp, b, bl);
}

static int s_space_load(const pz_engine_t *e, MDB_txn *txn, MDB_cursor *cur, s_space_t *sp)
{
    assert(e != NULL && sp != NULL);
    MDB_val v;
    MDB_stat st;
    int rc = mdb_cursor_get(cur, &sp->lo, &v, MDB_FIRST);
    if (rc == 0) {
        rc = mdb_cursor_get(cur, &sp->hi, &v, MDB_LAST);
    }
    if (rc == 0) {
        rc = mdb_stat(txn, e->dbi, &st);
    }
    if (rc != 0) {
        return rc;
    }
    s_space_digits(sp);
    sp->total_bytes = (double)st.ms_psize *
                      (double)(st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
    return 0;
}

/* Estimated bytes of [from, end) by key-space interpolation (end_len 0: to the end). */
static int s_interpolate(const pz_engine_t *e, MDB_txn *txn, MDB_cursor *cur, const MDB_val *from,
                         const uint8_t *end, size_t end_len, uint64_t *bytes)
{
    assert(from != NULL && bytes != NULL);
    /* from points into the map, which stays put while txn lives, whatever the cursor does. */
    s_space_t sp;
    int rc = s_space_load(e, txn, cur, &sp);
    if (rc != 0) {
        return rc;
    }
    double p_end = end_len == 0 ? 1.0 : s_pos(&sp, end, end_len);
    double frac = p_end - s_pos(&sp, from->mv_data, from->mv_size);
    *bytes = frac > 0.0 ? (uint64_t)(frac * sp.total_bytes) : 0;
    return 0;
}

static bool s_before_end(const MDB_val *k, const uint8_t *end, size_t end_len)
{
    return end_len == 0 || pz__lmdb_key_cmp(k->mv_data, k->mv_size, end, end_len) < 0;
}

static int s_approx_in_txn(pz_engine_t *e, MDB_txn *txn, const uint8_t *start, size_t start_len,
                           const uint8_t *end, size_t end_len, uint64_t *bytes)
{
    assert(e != NULL && txn != NULL && bytes != NULL);
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open(txn, e->dbi, &cur);
    if (rc != 0) {
        return rc;
    }
    MDB_val k, v;
    uint64_t sum = 0;
    uint32_t walked = 0;
    rc = pz__lmdb_cursor_seek_ge(e, cur, start, start_len, &k, &v);
    while (rc == 0 && s_before_end(&k, end, end_len) && walked < PZ_LMDB_APPROX_WALK_MAX) {
        sum += k.mv_size + v.mv_size + PZ_LMDB_NODE_OVERHEAD_BYTES;
        walked++;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    uint64_t rest = 0;
    if (rc == 0 && s_before_end(&k, end, end_len)) {
        assert(walked == PZ_LMDB_APPROX_WALK_MAX);
        rc = s_interpolate(e, txn, cur, &k, end, end_len, &rest);
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        return rc;
    }
    *bytes = sum + rest;
    return 0;
}

int pz__lmdb_approx_size(pz_engine_t *e, const uint8_t *start, size_t start_len, const uint8_t *end,
                         size_t end_len, uint64_t *bytes)
{
    assert(e != NULL && bytes != NULL);
    *bytes = 0;
    if ((start == NULL && start_len > 0) || (end == NULL && end_len > 0) ||
        start_len > PZ_KEY_BYTES_MAX || end_len > PZ_KEY_BYTES_MAX) {
        return PZ_EINVAL;
    }
    if (end_len > 0 && pz__lmdb_key_cmp(start, start_len, end, end_len) >= 0) {
        return PZ_OK; /* an empty span */
    }
    MDB_txn *txn = NULL;
    int rc = pz__lmdb_reader_begin(e, &txn);
    if (rc != PZ_OK) {
        return rc;
    }
    int mrc = s_approx_in_txn(e, txn, start, start_len, end, end_len, bytes);
    pz__lmdb_reader_end(e, &txn);
    return pz__lmdb_err(mrc);
}

/* checkpoint ----------------------------------------------------------------------------- */

/* fsync()s path (a file or a directory). */
static int s_fsync_path(const char *path, int flags)
{
    assert(path != NULL);
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    int rc = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

int pz__lmdb_checkpoint(pz_engine_t *e, const char *dir)
{
    assert(e != NULL && e->env != NULL);
    assert(dir != NULL);
    char file[PATH_MAX];
    int n = snprintf(file, sizeof file, "%s/data.mdb", dir);
    if (n < 0 || (size_t)n >= sizeof file) {
        return PZ_EINVAL;
    }
    int rc = pz__lmdb_gate_enter(e);
    if (rc != PZ_OK) {
        return rc;
    }
    int mrc = mdb_env_copy2(e->env, dir, MDB_CP_COMPACT);
    pz__lmdb_gate_exit(e);
    /* mdb_env_copy2 closes the copy without fsync: a Raft snapshot or a backup must be on
     * stable storage, name included, before anyone relies on it. */
    if (mrc == 0) {
        mrc = s_fsync_path(file, O_RDONLY);
    }
    if (mrc == 0) {
        mrc = s_fsync_path(dir, O_RDONLY | O_DIRECTORY);
    }
    if (mrc != 0 && mrc != EEXIST) {
        /* On failure nothing changes: drop the partial copy (never a file that was there). */
        (void)unlink(file);
    }
    return pz__lmdb_err(mrc);
}
