/*
 * sql_spill.c — temp files, their row encoding, work_mem's syntax and the node's temp space
 * (sql_spill.h says what each is for).
 *
 * Written by hand: the files are a plain sequential write-then-read stream, which needs no
 * library (PostgreSQL's BufFile is the same idea), and the row encoding must carry every datum
 * the executor holds (arrays, untyped literals, numeric's display scale) exactly, which the
 * storage row encoding (sql_rowenc.c) deliberately does not: it keys columns by id and
 * normalizes values for ordering.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sql_spill.h"

/* A decoded row's scratch arena is recreated past this: one row rarely needs more, and a
 * smaller arena would cost a malloc every few rows. */
#define S_SCRATCH_BYTES_MAX (64u * 1024u)
/* Path of a temp file: the directory plus "/pz_spill_XXXXXX". */
#define S_PATH_BYTES_MAX 4200

struct pz_spill_file {
    int fd;
    uint8_t *buf;    /* PZ_SPILL_BUF_BYTES, or larger while a big row is read */
    size_t buf_cap;  /* its size */
    size_t pos, len; /* writing: len bytes pending; reading: next byte at pos, len valid */
    bool reading, eof;
    uint64_t rows, bytes;
    uint64_t charged; /* bytes counted against the env (returned at close) */
    pz_sbuf_t enc;    /* one row's encoding, reused */
};

/* ---- the env, settings ------------------------------------------------------------------ */

static int s_mkdirs(char *path)
{
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            int rc = mkdir(path, 0700);
            *p = '/';
            if (rc != 0 && errno != EEXIST) {
                return -1;
            }
        }
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int pz_spill_env_init(pz_spill_env_t *env, const char *dir, uint64_t bytes_max, char *why,
                      size_t cap)
{
    memset(env, 0, sizeof *env);
    if (dir == NULL || dir[0] == '\0' || strlen(dir) >= sizeof env->dir - 32) {
        snprintf(why, cap, "temp_dir is empty or too long");
        return PZ_EIO;
    }
    snprintf(env->dir, sizeof env->dir, "%s", dir);
    env->bytes_max = bytes_max;
    atomic_init(&env->bytes_used, 0);
    char path[S_PATH_BYTES_MAX];
    snprintf(path, sizeof path, "%s", dir);
    if (s_mkdirs(path) != 0) {
        snprintf(why, cap, "cannot create temp directory %s: %s", dir, strerror(errno));
        return PZ_EIO;
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(why, cap, "cannot open temp directory %s: %s", dir, strerror(errno));
        return PZ_EIO;
    }
    /* Whatever is here was left by a process that died between creating a file and unlinking
     * it (or put here by hand): no live statement can own it, since files are unlinked. */
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    return 0;
}

static const struct {
    const char *unit;
    int64_t kb_num, kb_den; /* kB per unit: num / den */
} s_units[] = {{"B", 1, 1024},
               {"kB", 1, 1},
               {"MB", 1024, 1},
               {"GB", 1024 * 1024, 1},
               {"TB", 1024LL * 1024 * 1024, 1}};

int pz_spill_parse_kb(const char *name, const char *v, int64_t *kb, pz_sql_err_t *err)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    bool ok = end != v && errno == 0 && isfinite(x);
    while (ok && *end == ' ') {
        end++;
    }
    double k = x; /* no unit: kB, work_mem's base unit */
    if (ok && *end != '\0') {
        size_t i = 0;
        while (i < sizeof s_units / sizeof s_units[0] && strcmp(end, s_units[i].unit) != 0) {
            i++;
        }
        if (i == sizeof s_units / sizeof s_units[0]) {
            pz_sql_err_set(err, "22023", "invalid value for parameter \"%s\": \"%s\"", name, v);
            pz_sql_err_hint(err, "Valid units for this parameter are \"B\", \"kB\", \"MB\", "
                                 "\"GB\", and \"TB\".");
            return PZ_EINVAL;
        }
        k = x * (double)s_units[i].kb_num / (double)s_units[i].kb_den;
    }
    if (!ok) {
        return pz_sql_err_set(err, "22023", "invalid value for parameter \"%s\": \"%s\"", name, v);
    }
    k = rint(k); /* PostgreSQL rounds a fractional value to the nearest base unit */
    if (k > (double)INT32_MAX || k < (double)INT32_MIN) {
        /* PostgreSQL's parse_int fails before its range check (the setting is an int) */
        pz_sql_err_set(err, "22023", "invalid value for parameter \"%s\": \"%s\"", name, v);
        pz_sql_err_hint(err, "Value exceeds integer range.");
        return PZ_EINVAL;
    }
    if (k < PZ_SPILL_WORK_MEM_KB_MIN || k > (double)PZ_SPILL_WORK_MEM_KB_MAX) {
        return pz_sql_err_set(err, "22023",
                              "%.0f kB is outside the valid range for parameter \"%s\" "
                              "(%d .. %lld)",
                              k, name, PZ_SPILL_WORK_MEM_KB_MIN, PZ_SPILL_WORK_MEM_KB_MAX);
    }
    *kb = (int64_t)k;
    return 0;
}

void pz_spill_format_kb(int64_t kb, char *buf, size_t cap)
{
    const char *unit = "kB";
    if (kb != 0 && kb % (1024LL * 1024 * 1024) == 0) {
        kb /= 1024LL * 1024 * 1024;
        unit = "TB";
    } else if (kb != 0 && kb % (1024 * 1024) == 0) {
        kb /= 1024 * 1024;
        unit = "GB";
    } else if (kb != 0 && kb % 1024 == 0) {
        kb /= 1024;
        unit = "MB";
    }
    snprintf(buf, cap, "%lld%s", (long long)kb, unit);
}

int pz_spill_parse_bytes(const char *v, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno != 0 || !isfinite(x) || x < 0) {
        return PZ_EINVAL;
    }
    while (*end == ' ') {
        end++;
    }
    static const char *const units[] = {"", "KiB", "MiB", "GiB", "TiB"};
    static const char *const alts[] = {"B", "KB", "MB", "GB", "TB"};
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(end, units[i]) == 0 || strcasecmp(end, alts[i]) == 0) {
            double b = x * (double)(1ull << (10 * i));
            if (b > 1.8e19) {
                return PZ_EINVAL;
            }
            *out = (uint64_t)b;
            return 0;
        }
    }
    return PZ_EINVAL;
}

/* ---- the row encoding ------------------------------------------------------------------- */

static void s_uvarint(pz_sbuf_t *b, uint64_t v)
{
    uint8_t t[10];
    int n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    pz_sbuf_put(b, t, (size_t)n);
}

static void s_svarint(pz_sbuf_t *b, int64_t v)
{
    s_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); /* zigzag: small negatives stay short */
}

/* How a type's value is held in a datum (sql_value.h). */
typedef enum { S_CL_INT, S_CL_BOOL, S_CL_FLOAT, S_CL_IV, S_CL_BYTES, S_CL_ARRAY, S_CL_NONE } s_cl_t;

/* Types absent here hold v.i (ints, oids, reg*, "char", date and time types): S_CL_INT. */
static const uint8_t s_classes[PZ_TY_COUNT_] = {
    [PZ_TY_BOOL] = S_CL_BOOL,   [PZ_TY_FLOAT4] = S_CL_FLOAT,  [PZ_TY_FLOAT8] = S_CL_FLOAT,
    [PZ_TY_INTERVAL] = S_CL_IV, [PZ_TY_UNKNOWN] = S_CL_BYTES, [PZ_TY_NUMERIC] = S_CL_BYTES,
    [PZ_TY_TEXT] = S_CL_BYTES,  [PZ_TY_VARCHAR] = S_CL_BYTES, [PZ_TY_BPCHAR] = S_CL_BYTES,
    [PZ_TY_NAME] = S_CL_BYTES,  [PZ_TY_BYTEA] = S_CL_BYTES,   [PZ_TY_UUID] = S_CL_BYTES,
    [PZ_TY_JSON] = S_CL_BYTES,  [PZ_TY_JSONB] = S_CL_BYTES,   [PZ_TY_ARRAY] = S_CL_ARRAY,
    [PZ_TY_VOID] = S_CL_NONE,   [PZ_TY_RECORD] = S_CL_NONE};

static s_cl_t s_class(uint8_t t)
{
    assert(t < PZ_TY_COUNT_);
    return (s_cl_t)s_classes[t];
}

static void s_enc_datum(pz_sbuf_t *b, const pz_datum_t *d)
{
    pz_sbuf_putc(b, (char)(d->type | (d->null ? 0x80 : 0)));
    if (d->null) {
        return;
    }
    switch (s_class(d->type)) {
    case S_CL_INT:
        s_svarint(b, d->v.i);
        break;
    case S_CL_BOOL:
        pz_sbuf_putc(b, d->v.b ? 1 : 0);
        break;
    case S_CL_FLOAT:
        pz_sbuf_put(b, &d->v.f, sizeof d->v.f);
        break;
    case S_CL_IV:
        s_svarint(b, d->v.iv.us);
        s_svarint(b, d->v.iv.days);
        s_svarint(b, d->v.iv.months);
        break;
    case S_CL_BYTES:
        if (d->type == PZ_TY_NUMERIC) {
            s_svarint(b, d->scale);
        }
        s_uvarint(b, d->len);
        pz_sbuf_put(b, d->v.p, d->len);
        break;
    case S_CL_ARRAY:
        if (d->v.arr == NULL) {
            pz_sbuf_putc(b, (char)0xff);
            break;
        }
        pz_sbuf_putc(b, (char)d->v.arr->elem);
        s_uvarint(b, d->v.arr->n);
        for (uint32_t i = 0; i < d->v.arr->n; i++) {
            s_enc_datum(b, &d->v.arr->items[i]);
        }
        break;
    case S_CL_NONE:
        break;
    }
}

void pz_spill_row_encode(pz_sbuf_t *out, const pz_datum_t *row, int n)
{
    for (int i = 0; i < n; i++) {
        s_enc_datum(out, &row[i]);
    }
}

typedef struct {
    const uint8_t *p, *end;
    pz_arena_t *a;
} s_rd_t;

static int s_get_uvarint(s_rd_t *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            return PZ_ECORRUPT;
        }
        uint8_t c = *r->p++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0) {
            return 0;
        }
    }
    return PZ_ECORRUPT;
}

static int s_get_svarint(s_rd_t *r, int64_t *v)
{
    uint64_t u;
    int rc = s_get_uvarint(r, &u);
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return rc;
}

static int s_dec_datum(s_rd_t *r, pz_datum_t *d, int depth);

static int s_dec_array(s_rd_t *r, pz_datum_t *d, int depth)
{
    if (r->p >= r->end || depth >= PZ_SPILL_DEPTH_ARRAY_MAX) {
        return PZ_ECORRUPT;
    }
    uint8_t elem = *r->p++;
    if (elem == 0xff) {
        d->v.arr = NULL;
        return 0;
    }
    uint64_t n;
    int rc = s_get_uvarint(r, &n);
    if (rc != 0 || n > (uint64_t)(r->end - r->p) || elem >= PZ_TY_COUNT_) {
        return PZ_ECORRUPT; /* every element takes at least its type byte */
    }
    pz_sql_array_t *arr = pz_arena_alloc(r->a, sizeof *arr);
    pz_datum_t *items = pz_arena_alloc(r->a, sizeof *items * (n ? n : 1));
    if (arr == NULL || items == NULL) {
        return PZ_ENOMEM;
    }
    *arr = (pz_sql_array_t){.elem = elem, .n = (uint32_t)n, .items = items};
    for (uint64_t i = 0; i < n; i++) {
        if ((rc = s_dec_datum(r, &items[i], depth + 1)) != 0) {
            return rc;
        }
    }
    d->v.arr = arr;
    return 0;
}

static int s_dec_bytes(s_rd_t *r, pz_datum_t *d)
{
    int64_t scale = 0;
    uint64_t len;
    int rc = d->type == PZ_TY_NUMERIC ? s_get_svarint(r, &scale) : 0;
    rc = rc ? rc : s_get_uvarint(r, &len);
    if (rc != 0 || len > (uint64_t)(r->end - r->p) || scale < INT16_MIN || scale > INT16_MAX) {
        return PZ_ECORRUPT;
    }
    uint8_t *p = pz_arena_alloc(r->a, len);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(p, r->p, len);
    r->p += len;
    d->scale = (int16_t)scale;
    d->len = (uint32_t)len;
    d->v.p = p;
    return 0;
}

static int s_dec_datum(s_rd_t *r, pz_datum_t *d, int depth)
{
    if (r->p >= r->end) {
        return PZ_ECORRUPT;
    }
    uint8_t tag = *r->p++;
    *d = (pz_datum_t){.type = tag & 0x7f, .null = (tag & 0x80) != 0};
    if (d->type >= PZ_TY_COUNT_) {
        return PZ_ECORRUPT;
    }
    if (d->null) {
        return 0;
    }
    int64_t x[3];
    int rc = 0;
    switch (s_class(d->type)) {
    case S_CL_INT:
        return s_get_svarint(r, &d->v.i);
    case S_CL_BOOL:
        if (r->p >= r->end || *r->p > 1) {
            return PZ_ECORRUPT;
        }
        d->v.b = *r->p++ != 0;
        return 0;
    case S_CL_FLOAT:
        if (r->end - r->p < (ptrdiff_t)sizeof d->v.f) {
            return PZ_ECORRUPT;
        }
        memcpy(&d->v.f, r->p, sizeof d->v.f);
        r->p += sizeof d->v.f;
        return 0;
    case S_CL_IV:
        for (int i = 0; i < 3 && rc == 0; i++) {
            rc = s_get_svarint(r, &x[i]);
        }
        d->v.iv.us = x[0];
        d->v.iv.days = (int32_t)x[1];
        d->v.iv.months = (int32_t)x[2];
        return rc;
    case S_CL_BYTES:
        return s_dec_bytes(r, d);
    case S_CL_ARRAY:
        return s_dec_array(r, d, depth);
    case S_CL_NONE:
        return 0;
    }
    return PZ_ECORRUPT;
}

int pz_spill_row_decode(pz_arena_t *a, const uint8_t *p, size_t len, pz_datum_t *row, int n)
{
    s_rd_t r = {p, p + len, a};
    for (int i = 0; i < n; i++) {
        int rc = s_dec_datum(&r, &row[i], 0);
        if (rc != 0) {
            return rc;
        }
    }
    return r.p == r.end ? 0 : PZ_ECORRUPT;
}

/* ---- files ------------------------------------------------------------------------------ */

static int s_io_err(pz_ex_t *ex, int e, const char *what)
{
    if (e == ENOSPC || e == EDQUOT) {
        pz_sql_err_set(ex->err, "53100", "could not %s temporary file: %s", what, strerror(e));
        return PZ_ENOSPC;
    }
    pz_sql_err_set(ex->err, "58030", "could not %s temporary file: %s", what, strerror(e));
    return PZ_EIO;
}

int pz_spill_open_fd(pz_ex_t *ex, int fd, pz_spill_file_t **out)
{
    pz_spill_file_t *f = calloc(1, sizeof *f);
    uint8_t *buf = malloc(PZ_SPILL_BUF_BYTES);
    if (f == NULL || buf == NULL) {
        free(f);
        free(buf);
        close(fd);
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    f->fd = fd;
    f->buf = buf;
    f->buf_cap = PZ_SPILL_BUF_BYTES;
    *out = f;
    return 0;
}

int pz_spill_open(pz_ex_t *ex, pz_spill_file_t **out)
{
    *out = NULL;
    if (ex->spill == NULL) {
        return pz_sql_err_set(ex->err, "XX000", "no temp directory to spill to");
    }
    /* A file with no name at all (Linux's O_TMPFILE): its space lives exactly as long as the
     * descriptor, so neither a crash nor a kill -9 can leave it behind. */
    int fd = open(ex->spill->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
        return pz_spill_open_fd(ex, fd, out);
    }
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        return s_io_err(ex, errno, "create");
    }
    /* Filesystems without O_TMPFILE: a named file unlinked at once (a crash in between leaves
     * it for pz_spill_env_init to remove at the next start). */
    char path[S_PATH_BYTES_MAX];
    snprintf(path, sizeof path, "%s/pz_spill_XXXXXX", ex->spill->dir);
    fd = mkstemp(path);
    if (fd < 0) {
        return s_io_err(ex, errno, "create");
    }
    unlink(path);
    return pz_spill_open_fd(ex, fd, out);
}

static int s_write_all(pz_ex_t *ex, int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            return s_io_err(ex, errno, "write to");
        }
        if (w == 0) {
            return s_io_err(ex, ENOSPC, "write to");
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Counts n more bytes against the node's temp space before writing them. */
static int s_charge(pz_ex_t *ex, pz_spill_file_t *f, size_t n)
{
    pz_spill_env_t *env = ex->spill;
    if (env == NULL) {
        return 0;
    }
    uint64_t used = atomic_fetch_add(&env->bytes_used, n) + n;
    f->charged += n;
    if (env->bytes_max > 0 && used > env->bytes_max) {
        pz_sql_err_set(ex->err, "53100",
                       "could not write to temporary file: the node's temporary disk space is "
                       "exhausted");
        pz_sql_err_detail(ex->err,
                          "Temporary files of running statements would use more than "
                          "max_disk_temp_storage (%llu bytes).",
                          (unsigned long long)env->bytes_max);
        return PZ_ENOSPC;
    }
    return 0;
}

static int s_flush(pz_ex_t *ex, pz_spill_file_t *f)
{
    int rc = f->len ? s_charge(ex, f, f->len) : 0;
    rc = rc ? rc : s_write_all(ex, f->fd, f->buf, f->len);
    f->bytes += f->len;
    f->len = 0;
    return rc;
}

static int s_append(pz_ex_t *ex, pz_spill_file_t *f, const void *p, size_t n)
{
    if (f->len + n > f->buf_cap) {
        int rc = s_flush(ex, f);
        if (rc != 0) {
            return rc;
        }
    }
    if (n > f->buf_cap) { /* a row bigger than the buffer goes straight out */
        int rc = s_charge(ex, f, n);
        rc = rc ? rc : s_write_all(ex, f->fd, p, n);
        f->bytes += n;
        return rc;
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
    return 0;
}

int pz_spill_put(pz_ex_t *ex, pz_spill_file_t *f, const pz_datum_t *row, int n)
{
    assert(f != NULL && !f->reading);
    pz_sbuf_reset(&f->enc);
    pz_spill_row_encode(&f->enc, row, n);
    if (f->enc.oom) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    if (f->enc.len > PZ_SPILL_ROW_BYTES_MAX) {
        return pz_sql_err_set(ex->err, "54000", "a row of %zu bytes is too large to spill",
                              f->enc.len);
    }
    uint8_t hdr[5];
    uint32_t l = (uint32_t)f->enc.len;
    hdr[0] = (uint8_t)l;
    hdr[1] = (uint8_t)(l >> 8);
    hdr[2] = (uint8_t)(l >> 16);
    hdr[3] = (uint8_t)(l >> 24);
    int rc = s_append(ex, f, hdr, 4);
    rc = rc ? rc : s_append(ex, f, f->enc.p ? f->enc.p : "", f->enc.len);
    f->rows += rc == 0;
    return rc;
}

int pz_spill_rewind(pz_ex_t *ex, pz_spill_file_t *f)
{
    assert(f != NULL);
    int rc = f->reading ? 0 : s_flush(ex, f);
    if (rc != 0) {
        return rc;
    }
    if (lseek(f->fd, 0, SEEK_SET) < 0) {
        return s_io_err(ex, errno, "seek in");
    }
    f->reading = true;
    f->eof = false;
    f->pos = f->len = 0;
    return 0;
}

/* Makes at least `need` unread bytes available at f->buf + f->pos (fewer only at the end). */
static int s_fill(pz_ex_t *ex, pz_spill_file_t *f, size_t need)
{
    if (f->len - f->pos >= need) {
        return 0;
    }
    memmove(f->buf, f->buf + f->pos, f->len - f->pos);
    f->len -= f->pos;
    f->pos = 0;
    if (need > f->buf_cap) {
        uint8_t *b = realloc(f->buf, need);
        if (b == NULL) {
            return pz_sql_err_set(ex->err, "53200", "out of memory");
        }
        f->buf = b;
        f->buf_cap = need;
    }
    while (f->len < need && !f->eof) {
        ssize_t r = read(f->fd, f->buf + f->len, f->buf_cap - f->len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return s_io_err(ex, errno, "read from");
        }
        f->eof = r == 0;
        f->len += (size_t)r;
    }
    return 0;
}

int pz_spill_get(pz_ex_t *ex, pz_spill_file_t *f, pz_arena_t *a, pz_datum_t *row, int n)
{
    assert(f != NULL && f->reading);
    int rc = s_fill(ex, f, 4);
    if (rc != 0) {
        return rc;
    }
    if (f->len == f->pos) {
        return 0;
    }
    const uint8_t *h = f->buf + f->pos;
    size_t l = f->len - f->pos < 4
                   ? SIZE_MAX
                   : (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
    if (l > PZ_SPILL_ROW_BYTES_MAX || (rc = s_fill(ex, f, 4 + l)) != 0 || f->len - f->pos < 4 + l) {
        return rc ? rc : pz_sql_err_set(ex->err, "XX001", "a temporary file is truncated");
    }
    rc = pz_spill_row_decode(a, f->buf + f->pos + 4, l, row, n);
    f->pos += 4 + l;
    if (rc == PZ_ENOMEM) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    return rc ? pz_sql_err_set(ex->err, "XX001", "a temporary file is corrupt") : 1;
}

uint64_t pz_spill_rows(const pz_spill_file_t *f)
{
    return f ? f->rows : 0;
}

uint64_t pz_spill_bytes(const pz_spill_file_t *f)
{
    return f ? f->bytes + (f->reading ? 0 : f->len) : 0;
}

void pz_spill_close(pz_ex_t *ex, pz_spill_file_t **f)
{
    if (f == NULL || *f == NULL) {
        return;
    }
    if (ex->spill != NULL && (*f)->charged > 0) {
        atomic_fetch_sub(&ex->spill->bytes_used, (*f)->charged);
    }
    close((*f)->fd);
    free((*f)->buf);
    pz_sbuf_free(&(*f)->enc);
    free(*f);
    *f = NULL;
}

/* ---- operator helpers -------------------------------------------------------------------- */

unsigned pz_spill_part(uint64_t h, int depth)
{
    /* splitmix64's finalizer over the hash and a per-level constant */
    uint64_t x = h ^ (0x9e3779b97f4a7c15ull * (uint64_t)(depth + 1));
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (unsigned)(x % PZ_SPILL_FANOUT);
}

uint64_t pz_spill_work_mem(const pz_ex_t *ex)
{
    int64_t kb = ex->work_mem_kb > 0 ? ex->work_mem_kb : 4096;
    return (uint64_t)kb * 1024u;
}

bool pz_spill_enabled(const pz_ex_t *ex)
{
    return ex->spill != NULL;
}

int pz_spill_scratch_reset(pz_ex_t *ex, pz_arena_t **a)
{
    if (*a != NULL && pz_arena_used(*a) < S_SCRATCH_BYTES_MAX) {
        return 0;
    }
    pz_arena_destroy(a);
    *a = pz_arena_new();
    return *a ? 0 : pz_sql_err_set(ex->err, "53200", "out of memory");
}

pz_spill_stat_t *pz_spill_stat(pz_ex_t *ex, const pz_pn_t *pn)
{
    if (!ex->explain_analyze) {
        return NULL;
    }
    for (pz_spill_stat_t *s = ex->spill_stats; s != NULL; s = s->next) {
        if (s->pn == pn) {
            return s;
        }
    }
    pz_spill_stat_t *s = pz_arena_alloc(ex->arena, sizeof *s);
    if (s != NULL) {
        s->pn = pn;
        s->next = ex->spill_stats;
        ex->spill_stats = s;
    }
    return s;
}

const pz_spill_stat_t *pz_spill_stat_find(const pz_ex_t *ex, const pz_pn_t *pn)
{
    for (const pz_spill_stat_t *s = ex->spill_stats; s != NULL; s = s->next) {
        if (s->pn == pn) {
            return s;
        }
    }
    return NULL;
}

void pz_spill_stat_mem(pz_spill_stat_t *s, uint64_t bytes)
{
    if (s != NULL && bytes > s->mem_peak_bytes) {
        s->mem_peak_bytes = bytes;
    }
}

/* Whether a subtree's rows stay valid independently of ex->tmp between next() calls. */
static bool s_tmp_safe(const pz_pn_t *pn)
{
    if (pn == NULL) {
        return true;
    }
    switch (pn->kind) {
    case PZ_PN_NLJOIN:
    case PZ_PN_HASHJOIN:
    case PZ_PN_RECURSIVE:
    case PZ_PN_WORKTABLE:
    case PZ_PN_INSERT:
    case PZ_PN_UPDATE:
    case PZ_PN_DELETE:
        return false;
    case PZ_PN_PROJECT:
        if (pn->has_srf) {
            return false;
        }
        break;
    default:
        break;
    }
    return s_tmp_safe(pn->left) && s_tmp_safe(pn->right);
}

int pz_spill_tmp_begin(pz_ex_t *ex, const pz_pn_t *child, pz_spill_tmp_t *t)
{
    *t = (pz_spill_tmp_t){0};
    /* Inside a subquery's evaluation the enclosing row's values may live in ex->tmp; they are
     * left alone anyway (the swap never frees the caller's arena), so only the subtree
     * matters. */
    if (!s_tmp_safe(child)) {
        return 0;
    }
    t->own = pz_arena_new();
    if (t->own == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    t->saved = ex->tmp;
    ex->tmp = t->own;
    ex->fn.arena = t->own;
    return 0;
}

int pz_spill_tmp_next(pz_ex_t *ex, pz_spill_tmp_t *t)
{
    if (t->own == NULL || pz_arena_used(t->own) < S_SCRATCH_BYTES_MAX) {
        return 0;
    }
    pz_arena_destroy(&t->own);
    t->own = pz_arena_new();
    ex->tmp = t->own ? t->own : t->saved;
    ex->fn.arena = ex->tmp;
    return t->own ? 0 : pz_sql_err_set(ex->err, "53200", "out of memory");
}

void pz_spill_tmp_end(pz_ex_t *ex, pz_spill_tmp_t *t)
{
    if (t->saved != NULL) {
        ex->tmp = t->saved;
        ex->fn.arena = t->saved;
    }
    pz_arena_destroy(&t->own);
    t->saved = NULL;
}

pz_datum_t *pz_spill_row_copy(pz_ex_t *ex, pz_arena_t *mem, const pz_datum_t *row, int w)
{
    pz_datum_t *out = pz_arena_alloc(mem, sizeof *out * (size_t)(w > 0 ? w : 1));
    for (int i = 0; out != NULL && i < w; i++) {
        if (pz_datum_copy(mem, &row[i], &out[i]) != 0) {
            out = NULL;
        }
    }
    if (out == NULL) {
        pz_sql_err_set(ex->err, "53200", "out of memory");
        pz_sql_err_detail(ex->err, "The statement used more than its memory budget.");
    }
    return out;
}

int pz_spill_rows_push(pz_ex_t *ex, pz_arena_t *mem, pz_datum_t ***rows, uint64_t *n, uint64_t *cap,
                       const pz_datum_t *row, int w)
{
    if (*n == *cap) {
        uint64_t c = *cap ? *cap * 2 : 256;
        pz_datum_t **r = realloc(*rows, sizeof *r * c);
        if (r == NULL) {
            return pz_sql_err_set(ex->err, "53200", "out of memory");
        }
        *rows = r;
        *cap = c;
    }
    if (((*rows)[*n] = pz_spill_row_copy(ex, mem, row, w)) == NULL) {
        return PZ_ENOMEM;
    }
    (*n)++;
    return 0;
}
