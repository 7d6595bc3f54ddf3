/*
 * mvcc_internal.h — what the MVCC files share (internal to mvcc*.c).
 *
 *   mvcc_key.c      engine key layout of versions
 *   mvcc_overlay.c  the batch's own pending writes
 *   mvcc_read.c     reading versions from a snapshot: point reads and key cursors
 *   mvcc.c          batch evaluation: validation, write-too-old, requests, the write set
 *   mvcc_scan.c     SCAN, RSCAN and DEL_RANGE: snapshot merged with the overlay
 */
#ifndef PZ_STORAGE_MVCC_INTERNAL_H
#define PZ_STORAGE_MVCC_INTERNAL_H

#include "engine_wrap.h"
#include "mvcc.h"
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
} pz_mvcc_ver_t;

/* Reads the key whose prefix (mvcc_key.h) is kb->p[0..prefix_len) at ts, with iterator it.
 * kb must have room for prefix_len + PZ_MVCC_TS_BYTES; bytes past prefix_len are scratch. */
int pz__mvcc_read_at(pz_eng_iter_t *it, pz_mvcc_buf_t *kb, size_t prefix_len, pz_hlc_t ts,
                     pz_mvcc_ver_t *out);

/* A cursor over the live keys of [start, end) at ts, ascending or descending. It also records
 * the newest version at or above ts among every key it passes, live or not (write-too-old for
 * DEL_RANGE, as CockroachDB's scans with FailOnMoreRecent do). */
typedef struct pz_mvcc_cur {
    pz_eng_iter_t it;
    pz_hlc_t ts;
    bool reverse;
    bool done;           /* no more live keys in the span */
    pz_mvcc_buf_t bound; /* forward: prefix(end); reverse: prefix(start) */
    size_t bound_len;
    pz_mvcc_buf_t pfx;   /* prefix of the current key, with room for a suffix */
    size_t pfx_len;
    pz_mvcc_buf_t ukey;  /* the current user key, unescaped */
    pz_view_t key;       /* !done: the current key (into ukey, valid until the next move) */
    pz_mvcc_ver_t ver;   /* !done: its visible version (live) */
    pz_hlc_t wto;        /* newest version >= ts among keys passed; zero if none */
} pz_mvcc_cur_t;

/* Opens the cursor on the first live key of the span in its direction. On failure nothing is
 * left open. */
int pz__mvcc_cur_open(pz_mvcc_cur_t *c, pz_eng_snap_t *snap, pz_view_t start, pz_view_t end,
                      pz_hlc_t ts, bool reverse);
/* Moves to the next live key in the cursor's direction (sets done at the end). */
int pz__mvcc_cur_next(pz_mvcc_cur_t *c);
void pz__mvcc_cur_close(pz_mvcc_cur_t *c);

/* The evaluation of one pass at one timestamp. */
typedef struct pz_mvcc_ctx {
    pz_eng_snap_t *snap;
    pz_eng_iter_t it;   /* point reads */
    pz_arena_t *a;
    const pz_kv_batch_t *b;
    pz_hlc_t ts;        /* the pass's timestamp */
    pz_overlay_t ov;    /* the batch's writes so far */
    pz_mvcc_buf_t kb;   /* scratch for point-read keys */
    uint64_t keys_left; /* keys all scans of the batch may still return (header.max_keys) */
    uint64_t bytes_used; /* response bytes so far (PZ_BATCH_RESP_BYTES_MAX) */
    pz_hlc_t wto;       /* newest version >= ts on a written key; zero if none */
    pz_kv_batch_resp_t *resp;
} pz_mvcc_ctx_t;

/* Raises ctx->wto to t when t is at or above the pass timestamp. */
void pz__mvcc_note_wto(pz_hlc_t *wto, pz_hlc_t pass_ts, pz_hlc_t t);
/* Copies bytes into the arena; PZ_ENOMEM on exhaustion. Empty input gives an empty view. */
int pz__mvcc_dup(pz_arena_t *a, pz_view_t in, pz_view_t *out);
/* Sets resp->error (code, index, static message) and drops the per-request responses. */
int pz__mvcc_set_error(pz_mvcc_ctx_t *ctx, int code, int32_t index, const char *message);

/* mvcc_scan.c: request index i of ctx->b. */
int pz__mvcc_scan(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);
int pz__mvcc_del_range(pz_mvcc_ctx_t *ctx, uint32_t i, pz_kv_resp_t *r);

#endif
