/*
 * sql_catalog.c — descriptors in the system keyspace and their process-wide cache (see
 * sql_catalog.h for the key layout and the invalidation rule).
 */
#include <assert.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "phantomzero/keys.h"
#include "sql_catalog.h"

PZ_SCHEMA_DEFINE(pz_cat_col)
PZ_SCHEMA_DEFINE(pz_cat_icol)
PZ_SCHEMA_DEFINE(pz_cat_index)
PZ_SCHEMA_DEFINE(pz_cat_check)
PZ_SCHEMA_DEFINE(pz_cat_fk)
PZ_SCHEMA_DEFINE(pz_cat_desc)
PZ_SCHEMA_DEFINE(pz_cat_colstat)
PZ_SCHEMA_DEFINE(pz_cat_stats)

/* Buckets of each cache table: descriptors of a busy schema number in the hundreds. */
#define S_BUCKETS 256
/* Lost races for the id counter before pz_cat_alloc_id gives up with 40001 (each loss is
 * another DDL taking an id: only a storm of DDL loses a hundred in a row). */
#define S_ID_ATTEMPTS_MAX 100
/* Names cached: past this the name cache is flushed (it refills from KV). */
#define S_NAMES_MAX 100000

typedef struct s_name {
    uint8_t key[PZ_CAT_KEY_BYTES];
    size_t key_len;
    uint32_t id, index_id;
    struct s_name *next;
} s_name_t;

/* Tables whose write counters are kept (past it the counters restart: a refresh is late, never
 * wrong). */
#define S_WRITTEN_MAX 100000

/* A table's statistics as stored (bytes NULL: it has none), flushed with the descriptors. */
typedef struct s_stats {
    uint32_t table;
    uint8_t *bytes;
    size_t len;
    struct s_stats *next;
} s_stats_t;

/* Rows written to a table since its statistics were collected (not flushed by DDL). */
typedef struct s_written {
    uint32_t table;
    uint64_t rows;
    bool queued;
    struct s_written *next;
} s_written_t;

struct pz_cat {
    pthread_mutex_t mu;
    _Atomic uint64_t gen; /* bumped by every flush: plans bound before it are stale */
    pz_cat_entry_t *descs[S_BUCKETS];
    s_name_t *names[S_BUCKETS];
    size_t n_names;
    s_stats_t *stats[S_BUCKETS];
    s_written_t *written[S_BUCKETS];
    size_t n_written;
    void (*bg_stop)(void *arg);
    void *bg;
};

pz_cat_t *pz_cat_new(void)
{
    pz_cat_t *c = calloc(1, sizeof *c);
    if (c != NULL) {
        pthread_mutex_init(&c->mu, NULL);
    }
    return c;
}

static void s_entry_unref(pz_cat_entry_t *e)
{
    if (e != NULL && atomic_fetch_sub(&e->refs, 1) == 1) {
        pz_arena_destroy(&e->arena);
        free(e->bytes);
        free(e);
    }
}

static void s_flush_locked(pz_cat_t *c)
{
    for (int i = 0; i < S_BUCKETS; i++) {
        for (pz_cat_entry_t *e = c->descs[i], *n; e != NULL; e = n) {
            n = e->next;
            s_entry_unref(e);
        }
        c->descs[i] = NULL;
        for (s_name_t *e = c->names[i], *n; e != NULL; e = n) {
            n = e->next;
            free(e);
        }
        c->names[i] = NULL;
        for (s_stats_t *e = c->stats[i], *n; e != NULL; e = n) {
            n = e->next;
            free(e->bytes);
            free(e);
        }
        c->stats[i] = NULL;
    }
    c->n_names = 0;
}

static void s_written_clear_locked(pz_cat_t *c)
{
    for (int i = 0; i < S_BUCKETS; i++) {
        for (s_written_t *e = c->written[i], *n; e != NULL; e = n) {
            n = e->next;
            free(e);
        }
        c->written[i] = NULL;
    }
    c->n_written = 0;
}

void pz_cat_flush(pz_cat_t *c)
{
    pthread_mutex_lock(&c->mu);
    s_flush_locked(c);
    atomic_fetch_add(&c->gen, 1);
    pthread_mutex_unlock(&c->mu);
}

uint64_t pz_cat_generation(pz_cat_t *c)
{
    return atomic_load(&c->gen);
}

void pz_cat_destroy(pz_cat_t **cp)
{
    if (cp == NULL || *cp == NULL) {
        return;
    }
    if ((*cp)->bg_stop != NULL) {
        (*cp)->bg_stop((*cp)->bg); /* joins the refresher, which uses the catalog */
    }
    s_flush_locked(*cp);
    s_written_clear_locked(*cp);
    pthread_mutex_destroy(&(*cp)->mu);
    free(*cp);
    *cp = NULL;
}

size_t pz_cat_key_desc(uint8_t *buf, uint32_t id)
{
    buf[0] = PZ_KEY_SYSTEM_PREFIX;
    buf[1] = 'd';
    return pz_key_put_uvarint(buf, PZ_CAT_KEY_BYTES, 2, id);
}

size_t pz_cat_key_seq(uint8_t *buf, uint32_t id)
{
    buf[0] = PZ_KEY_SYSTEM_PREFIX;
    buf[1] = 's';
    return pz_key_put_uvarint(buf, PZ_CAT_KEY_BYTES, 2, id);
}

size_t pz_cat_key_stats(uint8_t *buf, uint32_t table_id)
{
    buf[0] = PZ_KEY_SYSTEM_PREFIX;
    buf[1] = 't';
    return pz_key_put_uvarint(buf, PZ_CAT_KEY_BYTES, 2, table_id);
}

size_t pz_cat_key_name(uint8_t *buf, uint32_t db_id, uint32_t schema_id, const char *name)
{
    buf[0] = PZ_KEY_SYSTEM_PREFIX;
    buf[1] = 'n';
    size_t n = pz_key_put_uvarint(buf, PZ_CAT_KEY_BYTES, 2, db_id);
    n = n ? pz_key_put_uvarint(buf, PZ_CAT_KEY_BYTES, n, schema_id) : 0;
    n = n ? pz_key_put_bytes(buf, PZ_CAT_KEY_BYTES, n, pz_view_str(name)) : 0;
    return n;
}

size_t pz_cat_name_value(uint8_t *buf, uint32_t id, uint32_t index_id)
{
    for (int i = 0; i < 4; i++) {
        buf[i] = (uint8_t)(id >> (24 - 8 * i));
        buf[4 + i] = (uint8_t)(index_id >> (24 - 8 * i));
    }
    return 8;
}

bool pz_cat_name_eq(pz_view_t v, const char *s)
{
    size_t n = strlen(s);
    return v.len == n && memcmp(v.ptr, s, n) == 0;
}

static uint32_t s_hash(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h % S_BUCKETS;
}

int pz_cat_desc_pack(const pz_cat_desc_t *d, uint8_t **buf, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = pz_cat_desc_encode(&pk, d);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    *buf = (uint8_t *)sb.data;
    *len = sb.size;
    return 0;
}

/* One GET at the statement's snapshot. *found false when absent. The value is copied to a
 * malloc'd buffer (*val, *len). */
static int s_get(pz_sql_kv_t *kv, const uint8_t *key, size_t key_len, bool *found, uint8_t **val,
                 size_t *len, pz_sql_err_t *err)
{
    pz_kv_req_t r = {.op = PZ_KV_GET, .key = {.ptr = key, .len = (uint32_t)key_len}};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    /* Catalog reads are at the present, not the statement's snapshot: a statement that
     * follows a DDL must see it (the cache is flushed at the same moment). */
    pz_hlc_t keep = kv->read_ts;
    kv->read_ts = (pz_hlc_t){0};
    int rc = pz_sql_kv_send(kv, &r, 1, true, &reply, &resp, err);
    kv->read_ts = keep;
    if (rc != 0) {
        return rc;
    }
    *found = resp.resps_len == 1 && resp.resps[0].found;
    *val = NULL;
    *len = 0;
    if (*found) {
        *len = resp.resps[0].value.len;
        *val = malloc(*len ? *len : 1);
        if (*val == NULL) {
            pz_msg_free(&reply);
            return pz_sql_err_code(err, PZ_ENOMEM, "reading the catalog");
        }
        memcpy(*val, resp.resps[0].value.ptr, *len);
    }
    pz_msg_free(&reply);
    return 0;
}

int pz_cat_lookup(pz_cat_t *c, pz_sql_kv_t *kv, uint32_t db_id, uint32_t schema_id,
                  const char *name, uint32_t *id, uint32_t *index_id, pz_sql_err_t *err)
{
    uint8_t key[PZ_CAT_KEY_BYTES];
    size_t kl = pz_cat_key_name(key, db_id, schema_id, name);
    if (kl == 0) {
        return PZ_ENOTFOUND; /* a name too long to be stored cannot exist */
    }
    uint32_t h = s_hash(key, kl);
    pthread_mutex_lock(&c->mu);
    for (s_name_t *e = c->names[h]; e != NULL; e = e->next) {
        if (e->key_len == kl && memcmp(e->key, key, kl) == 0) {
            *id = e->id;
            if (index_id != NULL) {
                *index_id = e->index_id;
            }
            pthread_mutex_unlock(&c->mu);
            return 0;
        }
    }
    pthread_mutex_unlock(&c->mu);
    bool found = false;
    uint8_t *val = NULL;
    size_t len = 0;
    int rc = s_get(kv, key, kl, &found, &val, &len, err);
    if (rc != 0) {
        return rc;
    }
    if (!found) {
        return PZ_ENOTFOUND; /* absence is not cached: a CREATE elsewhere would be missed */
    }
    if (len != 8) {
        free(val);
        return pz_sql_err_set(err, "XX001", "catalog name entry for \"%s\" is corrupt", name);
    }
    uint32_t v1 = (uint32_t)val[0] << 24 | (uint32_t)val[1] << 16 | (uint32_t)val[2] << 8 | val[3];
    uint32_t v2 = (uint32_t)val[4] << 24 | (uint32_t)val[5] << 16 | (uint32_t)val[6] << 8 | val[7];
    free(val);
    *id = v1;
    if (index_id != NULL) {
        *index_id = v2;
    }
    s_name_t *e = malloc(sizeof *e);
    if (e != NULL) {
        memcpy(e->key, key, kl);
        e->key_len = kl;
        e->id = v1;
        e->index_id = v2;
        pthread_mutex_lock(&c->mu);
        if (c->n_names >= S_NAMES_MAX) {
            s_flush_locked(c);
        }
        e->next = c->names[h];
        c->names[h] = e;
        c->n_names++;
        pthread_mutex_unlock(&c->mu);
    }
    return 0;
}

/* Decodes a descriptor value into a new entry (refs 1). */
static int s_entry_new(uint8_t *bytes, size_t len, pz_cat_entry_t **out)
{
    pz_cat_entry_t *e = calloc(1, sizeof *e);
    if (e == NULL) {
        free(bytes);
        return PZ_ENOMEM;
    }
    e->bytes = bytes;
    e->len = len;
    e->arena = pz_arena_new();
    atomic_init(&e->refs, 1);
    pz_cur_t cur;
    int rc = e->arena ? pz__cur_init(bytes, len, &cur) : PZ_ENOMEM;
    rc = rc ? rc : pz_cat_desc_decode_cur(&cur, &e->d, e->arena, 0);
    if (rc != 0) {
        s_entry_unref(e);
        return rc;
    }
    *out = e;
    return 0;
}

int pz_cat_get(pz_cat_t *c, pz_sql_kv_t *kv, uint32_t id, pz_cat_entry_t **out, pz_sql_err_t *err)
{
    uint32_t h = id % S_BUCKETS;
    pthread_mutex_lock(&c->mu);
    for (pz_cat_entry_t *e = c->descs[h]; e != NULL; e = e->next) {
        if (e->d.id == id) {
            atomic_fetch_add(&e->refs, 1);
            *out = e;
            pthread_mutex_unlock(&c->mu);
            return 0;
        }
    }
    pthread_mutex_unlock(&c->mu);
    uint8_t key[PZ_CAT_KEY_BYTES];
    size_t kl = pz_cat_key_desc(key, id);
    bool found = false;
    uint8_t *val = NULL;
    size_t len = 0;
    int rc = s_get(kv, key, kl, &found, &val, &len, err);
    if (rc != 0) {
        return rc;
    }
    if (!found) {
        return PZ_ENOTFOUND;
    }
    pz_cat_entry_t *e = NULL;
    rc = s_entry_new(val, len, &e);
    if (rc != 0) {
        return pz_sql_err_set(err, "XX001", "descriptor %u is corrupt", id);
    }
    atomic_fetch_add(&e->refs, 1); /* the cache's reference */
    pthread_mutex_lock(&c->mu);
    e->next = c->descs[h];
    c->descs[h] = e;
    pthread_mutex_unlock(&c->mu);
    *out = e;
    return 0;
}

void pz_cat_release(pz_cat_entry_t **e)
{
    if (e != NULL && *e != NULL) {
        s_entry_unref(*e);
        *e = NULL;
    }
}

typedef struct {
    int (*fn)(void *arg, const pz_cat_desc_t *d);
    void *arg;
    pz_sql_err_t *err;
} s_each_t;

static int s_each_chunk(void *arg, const pz_kv_resp_t *x)
{
    s_each_t *e = arg;
    int rc = 0;
    for (uint32_t i = 0; i < x->kvs_len && rc == 0; i++) {
        pz_arena_t *a = pz_arena_new();
        pz_cur_t cur;
        pz_cat_desc_t d;
        rc = a ? pz__cur_init(x->kvs[i].value.ptr, x->kvs[i].value.len, &cur) : PZ_ENOMEM;
        rc = rc ? rc : pz_cat_desc_decode_cur(&cur, &d, a, 0);
        rc = rc ? pz_sql_err_set(e->err, "XX001", "a descriptor is corrupt") : e->fn(e->arg, &d);
        pz_arena_destroy(&a);
    }
    return rc;
}

int pz_cat_each(pz_cat_t *c, pz_sql_kv_t *kv, int (*fn)(void *arg, const pz_cat_desc_t *d),
                void *arg, pz_sql_err_t *err)
{
    (void)c;
    uint8_t start[2] = {PZ_KEY_SYSTEM_PREFIX, 'd'};
    uint8_t end[2] = {PZ_KEY_SYSTEM_PREFIX, 'e'};
    pz_hlc_t keep = kv->read_ts;
    kv->read_ts = (pz_hlc_t){0}; /* the latest descriptors, not the statement's snapshot */
    s_each_t e = {.fn = fn, .arg = arg, .err = err};
    int rc = pz_sql_kv_scan_chunks(kv, (pz_view_t){start, 2}, (pz_view_t){end, 2}, 1000,
                                   s_each_chunk, &e, err);
    kv->read_ts = keep;
    return rc;
}

int pz_cat_alloc_id(pz_sql_kv_t *kv, uint32_t *id, pz_sql_err_t *err)
{
    uint8_t key[2] = {PZ_KEY_SYSTEM_PREFIX, 'c'};
    for (int attempt = 0; attempt < S_ID_ATTEMPTS_MAX; attempt++) {
        bool found = false;
        uint8_t *val = NULL;
        size_t len = 0;
        int rc = s_get(kv, key, 2, &found, &val, &len, err);
        if (rc != 0) {
            return rc;
        }
        uint32_t next = PZ_CAT_FIRST_ID;
        uint8_t old[4];
        if (found && len == 4) {
            memcpy(old, val, 4);
            next = (uint32_t)old[0] << 24 | (uint32_t)old[1] << 16 | (uint32_t)old[2] << 8 | old[3];
        }
        free(val);
        uint8_t nv[4] = {(uint8_t)((next + 1) >> 24), (uint8_t)((next + 1) >> 16),
                         (uint8_t)((next + 1) >> 8), (uint8_t)(next + 1)};
        pz_kv_req_t r = {.op = PZ_KV_CPUT,
                         .key = {.ptr = key, .len = 2},
                         .value = {.ptr = nv, .len = 4},
                         .exp_exists = found,
                         .exp_value = {.ptr = old, .len = found ? 4 : 0}};
        pz_msg_t *reply = NULL;
        pz_kv_batch_resp_t resp;
        rc = pz_sql_kv_send(kv, &r, 1, false, &reply, &resp, err);
        if (rc != 0) {
            return rc;
        }
        bool raced = resp.error.code == PZ_ECONDFAILED;
        pz_msg_free(&reply);
        if (!raced) {
            *id = next;
            return 0;
        }
    }
    return pz_sql_err_set(err, "40001", "could not allocate a descriptor id: too much contention");
}

const pz_cat_col_t *pz_cat_col_by_name(const pz_cat_desc_t *d, const char *name)
{
    for (uint32_t i = 0; i < d->cols_len; i++) {
        if (pz_cat_name_eq(d->cols[i].name, name)) {
            return &d->cols[i];
        }
    }
    return NULL;
}

const pz_cat_col_t *pz_cat_col_by_id(const pz_cat_desc_t *d, uint32_t id)
{
    for (uint32_t i = 0; i < d->cols_len; i++) {
        if (d->cols[i].id == id) {
            return &d->cols[i];
        }
    }
    return NULL;
}

int pz_cat_col_index(const pz_cat_desc_t *d, uint32_t id)
{
    for (uint32_t i = 0; i < d->cols_len; i++) {
        if (d->cols[i].id == id) {
            return (int)i;
        }
    }
    return -1;
}

const pz_cat_index_t *pz_cat_unique_on(const pz_cat_desc_t *d, const pz_cat_icol_t *cols,
                                       uint32_t n)
{
    for (uint32_t i = 0; i < d->indexes_len; i++) {
        const pz_cat_index_t *ix = &d->indexes[i];
        bool same = ix->unique && ix->cols_len == n;
        for (uint32_t k = 0; same && k < n; k++) {
            same = ix->cols[k].col == cols[k].col;
        }
        if (same) {
            return ix;
        }
    }
    return NULL;
}

/* ---- statistics ------------------------------------------------------------------------------ */

static int s_stats_decode(const uint8_t *bytes, size_t len, pz_arena_t *a, pz_cat_stats_t **out)
{
    pz_cat_stats_t *st = pz_arena_alloc(a, sizeof *st);
    pz_cur_t cur;
    int rc = st ? pz__cur_init(bytes, len, &cur) : PZ_ENOMEM;
    rc = rc ? rc : pz_cat_stats_decode_cur(&cur, st, a, 0);
    *out = rc ? NULL : st;
    return rc;
}

/* Copies the cached bytes of table's statistics under the lock: 1 cached (*bytes NULL when
 * the table has none), 0 not cached. */
static int s_stats_cached(pz_cat_t *c, uint32_t table, uint8_t **bytes, size_t *len)
{
    int hit = 0;
    pthread_mutex_lock(&c->mu);
    for (s_stats_t *e = c->stats[table % S_BUCKETS]; e != NULL; e = e->next) {
        if (e->table == table) {
            hit = 1;
            *bytes = e->bytes ? malloc(e->len) : NULL;
            *len = e->len;
            if (e->bytes != NULL && *bytes != NULL) {
                memcpy(*bytes, e->bytes, e->len);
            }
            hit = e->bytes != NULL && *bytes == NULL ? 0 : 1; /* out of memory: read again */
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

/* Replaces the cached entry of table (takes bytes; NULL caches absence). */
static void s_stats_cache(pz_cat_t *c, uint32_t table, uint8_t *bytes, size_t len)
{
    s_stats_t *n = calloc(1, sizeof *n);
    if (n == NULL) {
        free(bytes);
        return;
    }
    *n = (s_stats_t){.table = table, .bytes = bytes, .len = len};
    pthread_mutex_lock(&c->mu);
    s_stats_t **pp = &c->stats[table % S_BUCKETS];
    for (; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->table == table) {
            s_stats_t *old = *pp;
            *pp = old->next;
            free(old->bytes);
            free(old);
            break;
        }
    }
    n->next = c->stats[table % S_BUCKETS];
    c->stats[table % S_BUCKETS] = n;
    pthread_mutex_unlock(&c->mu);
}

int pz_cat_stats_get(pz_cat_t *c, pz_sql_kv_t *kv, uint32_t table_id, pz_arena_t *a,
                     pz_cat_stats_t **out, pz_sql_err_t *err)
{
    assert(c != NULL && out != NULL);
    *out = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!s_stats_cached(c, table_id, &bytes, &len)) {
        uint8_t key[PZ_CAT_KEY_BYTES];
        size_t kl = pz_cat_key_stats(key, table_id);
        bool found = false;
        int rc = s_get(kv, key, kl, &found, &bytes, &len, err);
        if (rc != 0) {
            return rc;
        }
        uint8_t *keep = NULL;
        if (found && (keep = malloc(len ? len : 1)) != NULL) {
            memcpy(keep, bytes, len);
        }
        if (!found || keep != NULL) {
            s_stats_cache(c, table_id, keep, len);
        }
    }
    if (bytes == NULL) {
        return 0;
    }
    int rc = s_stats_decode(bytes, len, a, out);
    free(bytes);
    /* Statistics that cannot be decoded (a newer format) are ignored, not an error: the
     * planner falls back to its defaults. */
    return rc == PZ_ENOMEM ? pz_sql_err_code(err, rc, "reading table statistics") : 0;
}

int pz_cat_stats_put(pz_cat_t *c, pz_sql_kv_t *kv, const pz_cat_stats_t *st, pz_sql_err_t *err)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = pz_cat_stats_encode(&pk, st);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return pz_sql_err_code(err, rc, "encoding table statistics");
    }
    uint8_t key[PZ_CAT_KEY_BYTES];
    size_t kl = pz_cat_key_stats(key, st->table);
    pz_kv_req_t r = {.op = PZ_KV_PUT,
                     .key = {.ptr = key, .len = (uint32_t)kl},
                     .value = {.ptr = (const uint8_t *)sb.data, .len = (uint32_t)sb.size}};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    rc = pz_sql_kv_send(kv, &r, 1, false, &reply, &resp, err);
    pz_msg_free(&reply);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    pz_cat_flush(c); /* plans made with the old numbers are planned again */
    s_stats_cache(c, st->table, (uint8_t *)sb.data, sb.size);
    pthread_mutex_lock(&c->mu);
    for (s_written_t *e = c->written[st->table % S_BUCKETS]; e != NULL; e = e->next) {
        if (e->table == st->table) {
            e->rows = 0;
            e->queued = false;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return 0;
}

bool pz_cat_stats_written(pz_cat_t *c, uint32_t table_id, uint64_t n, double rows, double fraction,
                          uint64_t floor_rows)
{
    bool due = false;
    pthread_mutex_lock(&c->mu);
    s_written_t *e = c->written[table_id % S_BUCKETS];
    while (e != NULL && e->table != table_id) {
        e = e->next;
    }
    if (e == NULL && c->n_written >= S_WRITTEN_MAX) {
        s_written_clear_locked(c);
    }
    if (e == NULL && (e = calloc(1, sizeof *e)) != NULL) {
        e->table = table_id;
        e->next = c->written[table_id % S_BUCKETS];
        c->written[table_id % S_BUCKETS] = e;
        c->n_written++;
    }
    if (e != NULL) {
        e->rows += n;
        due = !e->queued && (double)e->rows > rows * fraction + (double)floor_rows;
        e->queued |= due;
    }
    pthread_mutex_unlock(&c->mu);
    return due;
}

bool pz_cat_set_background(pz_cat_t *c, void (*stop)(void *arg), void *arg)
{
    pthread_mutex_lock(&c->mu);
    bool ok = c->bg_stop == NULL;
    if (ok) {
        c->bg_stop = stop;
        c->bg = arg;
    }
    pthread_mutex_unlock(&c->mu);
    return ok;
}

void *pz_cat_background(pz_cat_t *c)
{
    pthread_mutex_lock(&c->mu);
    void *bg = c->bg;
    pthread_mutex_unlock(&c->mu);
    return bg;
}
