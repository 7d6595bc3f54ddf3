/*
 * mvcc_key.h — how MVCC versions are laid out as engine keys (internal).
 *
 *   prefix(k)      = escape(k) 0x00 0x01          escape: 0x00 -> 0x00 0xFF (pz_key_put_bytes)
 *   meta key of k  = prefix(k)                    reserved for the intent / txn metadata record
 *   version key    = prefix(k) BE64(~wall) BE32(~logical)
 *
 * Why this shape: the terminator 0x00 0x01 cannot occur inside an escaped body, so no prefix is
 * a prefix of another key's prefix. Every entry of k is therefore contiguous in the engine, and
 * prefix order is user-key order (a shorter key, e.g. "a" before "a\x00", sorts first). Inside
 * one key the meta record comes first, then versions newest first (inverted timestamps), so a
 * seek to version_key(k, ts) lands on the newest version at or below ts.
 *
 * Engine value = 1 tag byte (PZ_MVCC_TAG_*) + the user value.
 *
 * Store-local records live outside the MVCC keyspace, in engine keys that begin 0x00 0x00: no
 * prefix(k) can start so (escape turns a 0x00 of k into 0x00 0xFF, and the empty key's prefix is
 * 0x00 0x01), so these keys sort before every MVCC entry and no cursor over user keys meets them:
 *
 *   txn record     = 0x00 0x00 'r' escape(anchor) 0x00 0x01 id    ordered by anchor: a range's
 *                                                                 records form one span
 *   GC threshold   = 0x00 0x00 'g' BE64(range_id)
 */
#ifndef PZ_STORAGE_MVCC_KEY_H
#define PZ_STORAGE_MVCC_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/codec.h"
#include "phantomzero/hlc.h"

/* The inverted timestamp suffix of a version key. */
#define PZ_MVCC_TS_BYTES 12u
/* The prefix terminator. */
#define PZ_MVCC_TERM_BYTES 2u

enum pz_mvcc_tag {
    PZ_MVCC_TAG_TOMBSTONE = 0,
    PZ_MVCC_TAG_VALUE = 1,
    PZ_MVCC_TAG_LOCK = 2, /* intent history only: a lock (FOR UPDATE) with no new value */
};

/* The first byte after 0x00 0x00 of each store-local record kind. */
#define PZ_MVCC_LOCAL_RECORD 'r'
#define PZ_MVCC_LOCAL_GC 'g'
/* 0x00 0x00 and the kind byte. */
#define PZ_MVCC_LOCAL_HDR_BYTES 3u
#define PZ_MVCC_GC_KEY_BYTES (PZ_MVCC_LOCAL_HDR_BYTES + 8u)

/* Bytes needed for prefix(k) plus a timestamp suffix, for any k of `key_len` bytes. */
static inline size_t pz__mvcc_key_cap(size_t key_len)
{
    return 2 * key_len + PZ_MVCC_TERM_BYTES + PZ_MVCC_TS_BYTES;
}

/* Writes prefix(k) into buf (cap >= pz__mvcc_key_cap(k.len) - PZ_MVCC_TS_BYTES) and returns
 * its length. */
size_t pz__mvcc_key_prefix(uint8_t *buf, size_t cap, pz_view_t k);
/* Writes version_key(k, ts); returns its length. */
size_t pz__mvcc_key_version(uint8_t *buf, size_t cap, pz_view_t k, pz_hlc_t ts);
/* Appends the inverted timestamp to a prefix at buf[prefix_len]; returns the new length. */
size_t pz__mvcc_key_put_ts(uint8_t *buf, size_t cap, size_t prefix_len, pz_hlc_t ts);
/* Writes prefix(k + "\x00") given prefix(k): the smallest prefix after every entry of k.
 * cap >= prefix_len + 2. Returns its length. */
size_t pz__mvcc_key_prefix_after(uint8_t *buf, size_t cap, const uint8_t *prefix,
                                 size_t prefix_len);

/* Bytes needed for the record key of a transaction anchored at a key of anchor_len bytes. */
static inline size_t pz__mvcc_record_key_cap(size_t anchor_len, size_t id_len)
{
    return PZ_MVCC_LOCAL_HDR_BYTES + 2 * anchor_len + PZ_MVCC_TERM_BYTES + id_len;
}

/* Writes the record key of transaction id anchored at anchor; returns its length. */
size_t pz__mvcc_key_record(uint8_t *buf, size_t cap, pz_view_t anchor, pz_view_t id);
/* Writes the GC threshold key of a range (PZ_MVCC_GC_KEY_BYTES); returns its length. */
size_t pz__mvcc_key_gc(uint8_t *buf, size_t cap, uint64_t range_id);

/* A decoded engine key. `prefix` points into the engine key. */
typedef struct pz_mvcc_key {
    pz_view_t prefix; /* escape(k) + terminator */
    bool has_ts;      /* false: the meta record of k */
    pz_hlc_t ts;
} pz_mvcc_key_t;

/* Splits an engine key. PZ_ECORRUPT when it is not prefix or prefix + 12 bytes. */
int pz__mvcc_key_split(const uint8_t *key, size_t len, pz_mvcc_key_t *out);
/* Unescapes a prefix into out (cap >= prefix length suffices). PZ_ECORRUPT on bad bytes. */
int pz__mvcc_key_user(pz_view_t prefix, uint8_t *out, size_t cap, size_t *out_len);

#endif
