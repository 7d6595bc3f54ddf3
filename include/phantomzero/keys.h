/*
 * keys.h — the key space and order-preserving key encoding.
 *
 * Keys are byte strings compared bytewise. The key space, as CockroachDB lays it out:
 *
 *   \x01 ...                  store-local keys: not addressed through ranges, never replicated
 *                             by range (each store's own bookkeeping: replica descriptors)
 *   \x02 <key>                meta1: addressing records for meta2 ranges (multi-level, later)
 *   \x03 <end key>            meta2: the descriptor of the range whose end key is <end key>
 *   \x04 ...                  system keyspace (node liveness, settings, ... later)
 *   \x88 ...                  table data: /Table/<id>/<index id>/<key columns...>
 *   \xff\xff                  the end of the addressable key space (PZ_KEY_MAX)
 *
 * Range addressing: the range that holds key k is the one whose meta2 record is the first at or
 * after meta2(k) + "\x00", i.e. the first range whose end key is greater than k.
 *
 * Encoders append to a caller buffer and return the new length, or 0 if it would not fit; they
 * are order-preserving: a < b as values iff enc(a) < enc(b) bytewise.
 */
#ifndef PHANTOMZERO_KEYS_H
#define PHANTOMZERO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "phantomzero/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PZ_KEY_LOCAL_PREFIX 0x01
#define PZ_KEY_META1_PREFIX 0x02
#define PZ_KEY_META2_PREFIX 0x03
#define PZ_KEY_SYSTEM_PREFIX 0x04
#define PZ_KEY_TABLE_PREFIX 0x88

/* The end of the addressable key space: the end key of the last range. */
extern const uint8_t PZ_KEY_MAX[2];
/* The first addressable key: anything at or above sorts after store-local keys. */
extern const uint8_t PZ_KEY_MIN_ADDR[1];

/* True for store-local keys (\x01...). */
bool pz_key_is_local(pz_view_t key);

/* meta2 record key of a range ending at end_key: \x03 + end_key. */
size_t pz_key_meta2(uint8_t *buf, size_t cap, pz_view_t end_key);
/* Store-local replica descriptor key: \x01 "rdsc" + big-endian range id. */
size_t pz_key_replica_desc(uint8_t *buf, size_t cap, uint64_t range_id);
/* The span holding every store-local replica descriptor. */
size_t pz_key_replica_desc_prefix(uint8_t *buf, size_t cap);

/* Order-preserving encodings of values inside keys. */
size_t pz_key_put_uvarint(uint8_t *buf, size_t cap, size_t len, uint64_t v);
size_t pz_key_put_int(uint8_t *buf, size_t cap, size_t len, int64_t v);
/* Bytes: 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01, so a prefix sorts first. */
size_t pz_key_put_bytes(uint8_t *buf, size_t cap, size_t len, pz_view_t v);

/* Decoders: read one value at *pos, advance *pos. PZ_EPROTO on malformed input. For bytes,
 * the unescaped value is written to out (capacity out_cap) and its length to *out_len. */
int pz_key_get_uvarint(pz_view_t key, size_t *pos, uint64_t *v);
int pz_key_get_int(pz_view_t key, size_t *pos, int64_t *v);
int pz_key_get_bytes(pz_view_t key, size_t *pos, uint8_t *out, size_t out_cap, size_t *out_len);

/* The key right after k in order: k + "\x00". Returns the length, 0 if it does not fit. */
size_t pz_key_next(uint8_t *buf, size_t cap, pz_view_t k);

/* Printable form for logs and the CLI: printable ASCII as is, the rest as \xNN. */
size_t pz_key_format(pz_view_t key, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
