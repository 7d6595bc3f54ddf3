/*
 * sql_spill.h — what the buffering operators (sort, hash aggregation, DISTINCT, set operations,
 * hash join) use when their rows pass work_mem: temp files under the node's store, a compact row
 * encoding for them, work_mem's parsing, and the per-node temp space limit.
 *
 * Temp files live in <store>/temp (the sql module's `temp_dir` setting overrides it), which the
 * module empties at start. A file has no name (O_TMPFILE; elsewhere it is unlinked the moment it
 * is created), so a crash or kill -9 leaves nothing behind (the kernel frees the space when the
 * descriptor closes); closing the
 * file at the statement's end returns its bytes to the node's budget. Every byte written counts
 * against the node's max_disk_temp_storage: past it the statement fails with 53100, as does a
 * full disk (ENOSPC); other I/O errors are 58030. The session survives both.
 *
 * Files are written once, sequentially, then read back sequentially (a sort run, a hash
 * partition): each has one buffer of PZ_SPILL_BUF_BYTES, so memory is bounded by the number of
 * files open at once (PZ_SPILL_FANOUT partitions or PZ_SPILL_MERGE_MAX runs).
 *
 * Thread-safety: an env is shared by all sessions (its byte count is atomic); a file belongs to
 * one statement.
 */
#ifndef PZ_SQL_SPILL_H
#define PZ_SQL_SPILL_H

#include <stdatomic.h>

#include "sql_exec.h"

/* One spill file's I/O buffer: big enough that a write or read is one syscall per 32 KiB (the
 * kernel's readahead does the rest), small enough that a 64-way merge holds 2 MiB of buffers. */
#define PZ_SPILL_BUF_BYTES (32u * 1024u)
/* Hash partitions per spill: each holds one buffer while being written, so 16 cost 512 KiB; one
 * level divides a spilled input by 16, two levels by 256. */
#define PZ_SPILL_FANOUT 16
/* Repartitioning levels before an operator gives up spilling and keeps a partition in memory
 * (the statement budget, 53200, then bounds it): 16^4 partitions split any input whose keys are
 * not all equal; equal keys never split, whatever the depth. */
#define PZ_SPILL_DEPTH_MAX 4
/* Sort runs merged at once: a merge holds one buffer per run (2 MiB at 64). More runs need a
 * further merge pass (PostgreSQL's polyphase merge makes the same trade with its tapes). */
#define PZ_SPILL_MERGE_MAX 64
/* One encoded row: a row larger than this cannot spill (PostgreSQL's limit on one value is 1 GB;
 * an arena refuses anything past PZ_ARENA_BYTES_MAX anyway). */
#define PZ_SPILL_ROW_BYTES_MAX (256u * 1024u * 1024u)
/* Array nesting the row encoding follows (arrays of arrays do not exist yet; a bound keeps a
 * corrupt file from recursing). */
#define PZ_SPILL_DEPTH_ARRAY_MAX 8
/* work_mem's bounds in kB: PostgreSQL's (64 .. MAX_KILOBYTES = INT_MAX on 64-bit builds). */
#define PZ_SPILL_WORK_MEM_KB_MIN 64
#define PZ_SPILL_WORK_MEM_KB_MAX 2147483647LL
/* The default max_disk_temp_storage: CockroachDB's for an on-disk store. */
#define PZ_SPILL_TEMP_BYTES_DEFAULT (32ull * 1024u * 1024u * 1024u)

/* A node's temp storage: where files go and how many bytes they may hold. */
struct pz_spill_env {
    char dir[4096];
    uint64_t bytes_max;
    atomic_uint_fast64_t bytes_used;
};
typedef struct pz_spill_env pz_spill_env_t;

/* Creates dir (and its parents) when missing and removes the files in it (a previous run's,
 * left by a crash between create and unlink). Returns 0, or PZ_EIO with why filled. */
int pz_spill_env_init(pz_spill_env_t *env, const char *dir, uint64_t bytes_max, char *why,
                      size_t cap);

/* work_mem: parses PostgreSQL's memory setting syntax ("64kB", "4MB", "1GB", "1.5MB", a bare
 * number of kB) into kB. 22023 with PostgreSQL's message and hint when malformed or outside
 * 64 .. 2147483647 kB. */
int pz_spill_parse_kb(const char *name, const char *v, int64_t *kb, pz_sql_err_t *err);
/* PostgreSQL's SHOW form of kb: the largest unit that divides it exactly ("4MB", "65kB"). */
void pz_spill_format_kb(int64_t kb, char *buf, size_t cap);
/* A byte count with optional unit suffix (B, KiB/KB/kB, MiB/MB, GiB/GB, TiB/TB; binary
 * multiples) or a percentage-free plain number: max_disk_temp_storage. PZ_EINVAL if malformed. */
int pz_spill_parse_bytes(const char *v, uint64_t *out);

/* ---- the row encoding ------------------------------------------------------------------- */

/* Appends row (n datums) to out: per datum a type byte (0x80: NULL) then its value — integers
 * as zigzag varints, floats as 8 bytes, intervals as three varints, byte types as length and
 * bytes (numeric with its scale first), arrays as element type, count and elements. */
void pz_spill_row_encode(pz_sbuf_t *out, const pz_datum_t *row, int n);
/* Decodes n datums from p (len bytes) with bytes and arrays copied into arena a. Returns 0,
 * PZ_ECORRUPT (malformed or short), or PZ_ENOMEM (the arena is full). */
int pz_spill_row_decode(pz_arena_t *a, const uint8_t *p, size_t len, pz_datum_t *row, int n);

/* ---- files ------------------------------------------------------------------------------ */

typedef struct pz_spill_file pz_spill_file_t;

/* A new, empty, nameless (or already unlinked) temp file. 53100/58030 on errors (err set via ex). */
int pz_spill_open(pz_ex_t *ex, pz_spill_file_t **out);
/* The same on an fd the caller opened (tests: /dev/full gives ENOSPC); the file owns fd. */
int pz_spill_open_fd(pz_ex_t *ex, int fd, pz_spill_file_t **out);
/* Appends one row of n columns. 53100 past the node's temp space or on ENOSPC, 58030 on other
 * write errors, 54000 for a row past PZ_SPILL_ROW_BYTES_MAX. */
int pz_spill_put(pz_ex_t *ex, pz_spill_file_t *f, const pz_datum_t *row, int n);
/* Ends writing and positions at the first row. */
int pz_spill_rewind(pz_ex_t *ex, pz_spill_file_t *f);
/* The next row into row[0..n): 1, 0 at the end, negative on error (58030, XX001 corrupt).
 * Bytes land in arena a (the caller resets it between rows it no longer needs). */
int pz_spill_get(pz_ex_t *ex, pz_spill_file_t *f, pz_arena_t *a, pz_datum_t *row, int n);
/* Rows written / bytes written (for EXPLAIN's Disk: and the merge's pass planning). */
uint64_t pz_spill_rows(const pz_spill_file_t *f);
uint64_t pz_spill_bytes(const pz_spill_file_t *f);
/* Closes the file (its space returns to the node) and NULLs *f. Safe on NULL. */
void pz_spill_close(pz_ex_t *ex, pz_spill_file_t **f);

/* ---- operator helpers -------------------------------------------------------------------- */

/* The partition (0 .. PZ_SPILL_FANOUT-1) of a row whose key hash is h at repartitioning level
 * depth: each level mixes the hash with its own seed, so a partition that is still too big
 * splits again on different bits. */
unsigned pz_spill_part(uint64_t h, int depth);
/* work_mem in bytes for this statement (ex->work_mem_kb). */
uint64_t pz_spill_work_mem(const pz_ex_t *ex);
/* Whether an operator may spill at all: a temp directory is configured (sessions without a
 * node, as in unit tests, keep everything in memory). */
bool pz_spill_enabled(const pz_ex_t *ex);
/* A scratch arena that holds one decoded row at a time: recreated once it passes a few KiB, so
 * reading a file row by row never grows memory. 53200 when allocation fails. */
int pz_spill_scratch_reset(pz_ex_t *ex, pz_arena_t **a);

/* Draining a child into an operator: while the child's subtree holds no expression results across
 * its next() calls (no joins holding a left row, no set-returning select list, no DML), the
 * child evaluates into a private scratch arena that is dropped every few rows, so reading a
 * big input does not grow ex->tmp (which is otherwise reset only between output rows). The
 * caller's own ex->tmp is restored by pz_spill_tmp_end, which must run on every path. */
typedef struct {
    pz_arena_t *saved, *own;
} pz_spill_tmp_t;
int pz_spill_tmp_begin(pz_ex_t *ex, const pz_pn_t *child, pz_spill_tmp_t *t);
/* After a row of the child has been copied or written: drops the scratch when it is big. */
int pz_spill_tmp_next(pz_ex_t *ex, pz_spill_tmp_t *t);
void pz_spill_tmp_end(pz_ex_t *ex, pz_spill_tmp_t *t);

/* Appends a copy of row (w columns, bytes included) made in mem to a malloc'd pointer array
 * (*rows, *n, *cap; grown by doubling). 53200 when mem or malloc fails. */
int pz_spill_rows_push(pz_ex_t *ex, pz_arena_t *mem, pz_datum_t ***rows, uint64_t *n, uint64_t *cap,
                       const pz_datum_t *row, int w);
/* The copy alone (NULL with 53200 set). */
pz_datum_t *pz_spill_row_copy(pz_ex_t *ex, pz_arena_t *mem, const pz_datum_t *row, int w);

/* What EXPLAIN ANALYZE prints for a node that buffered rows: kept in the statement arena (the
 * node's state is gone after close), looked up by node. */
typedef struct pz_spill_stat {
    const pz_pn_t *pn;
    uint64_t mem_peak_bytes; /* largest in-memory size reached */
    uint64_t disk_bytes;     /* bytes written to temp files */
    uint32_t batches;        /* hash operators: partitions processed, 1 in memory */
    uint32_t runs;           /* sort: runs written */
    bool topn;               /* sort: kept only the rows a LIMIT returns */
    struct pz_spill_stat *next;
} pz_spill_stat_t;
/* The node's record, created on first use (only under EXPLAIN ANALYZE: NULL otherwise). */
pz_spill_stat_t *pz_spill_stat(pz_ex_t *ex, const pz_pn_t *pn);
const pz_spill_stat_t *pz_spill_stat_find(const pz_ex_t *ex, const pz_pn_t *pn);
/* Notes a memory size / disk bytes on the node's record (no-op when stat is NULL). */
void pz_spill_stat_mem(pz_spill_stat_t *s, uint64_t bytes);

#endif
