/*
 * sql_stats.c — collecting table statistics (sql_stats.h): the full-scan collector, the ANALYZE
 * statement, the per-table write counting that makes statistics stale, and the background
 * refresher that collects them again.
 *
 * Why a background thread and not the writer's session: a refresh scans the whole table, and a
 * 20% threshold means a bulk load triggers refreshes at geometrically growing sizes (about six
 * times the final row count scanned in all). Run in the writing session, each would add a full
 * scan to one unlucky INSERT's latency. The refresher is one thread per process with its own KV
 * client (a session worker's kind of thread: it may block), fed by a small deduplicated queue;
 * the catalog stops and joins it before the kernel stops (pz_cat_set_background).
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phantomzero/keys.h"
#include "sql_rowenc.h"
#include "sql_stats.h"

/* The refresher's KV timeout per batch. Short, because shutdown waits for it: the sql actor's
 * fini joins the refresher thread on the kernel thread that also runs txn, so a batch in flight
 * then is never answered and the join lasts until this timeout (30 s made a node that had just
 * taken a burst of writes miss its 15 s SIGTERM deadline). A timed-out refresh only keeps the old
 * statistics; one chunk of a statistics scan takes milliseconds. */
#define S_BG_KV_TIMEOUT_MS 2000u
/* Tables ANALYZE without a name visits in one statement. */
#define S_ANALYZE_TABLES_MAX 100000

typedef struct {
    pz_hll_t *hll;
    uint64_t *nulls;
    uint32_t *col_ids;
    pz_sql_type_t *types;
    pz_datum_t *row;
    uint32_t n;
    uint64_t rows;
} s_acc_t;

static void s_acc_free(s_acc_t *a)
{
    free(a->hll);
    free(a->nulls);
    free(a->col_ids);
    free(a->types);
    free(a->row);
}

static int s_acc_init(s_acc_t *a, const pz_cat_desc_t *d)
{
    memset(a, 0, sizeof *a);
    a->n = d->cols_len < PZ_STATS_COLS_MAX ? d->cols_len : PZ_STATS_COLS_MAX;
    size_t n = a->n ? a->n : 1;
    a->hll = malloc(sizeof *a->hll * n);
    a->nulls = calloc(n, sizeof *a->nulls);
    a->col_ids = malloc(sizeof *a->col_ids * n);
    a->types = malloc(sizeof *a->types * n);
    a->row = malloc(sizeof *a->row * n);
    if (a->hll == NULL || a->nulls == NULL || a->col_ids == NULL || a->types == NULL ||
        a->row == NULL) {
        s_acc_free(a);
        return PZ_ENOMEM;
    }
    for (uint32_t i = 0; i < a->n; i++) {
        pz_hll_init(&a->hll[i]);
        a->col_ids[i] = d->cols[i].id; /* ascending, as the row decoder wants */
        a->types[i] = pz_cat_col_type(&d->cols[i]);
    }
    return 0;
}

/* Adds one chunk's rows to the sketches. */
static int s_acc_chunk(s_acc_t *acc, const pz_kv_resp_t *x)
{
    pz_arena_t *a = pz_arena_new();
    if (a == NULL) {
        return PZ_ENOMEM;
    }
    int rc = 0;
    for (uint32_t i = 0; i < x->kvs_len && rc == 0; i++) {
        rc = pz_rowenc_value_get(a, x->kvs[i].value.ptr, x->kvs[i].value.len, acc->col_ids,
                                 acc->types, acc->n, acc->row);
        for (uint32_t c = 0; rc == 0 && c < acc->n; c++) {
            if (acc->row[c].null) {
                acc->nulls[c]++;
            } else {
                pz_hll_add(&acc->hll[c], pz_hll_datum_hash(&acc->row[c]));
            }
        }
        acc->rows++;
    }
    pz_arena_destroy(&a);
    return rc;
}

typedef struct {
    s_acc_t *acc;
    const pz_cat_desc_t *d;
    const atomic_bool *cancel;
    pz_sql_err_t *err;
} s_scan_t;

static int s_scan_chunk(void *arg, const pz_kv_resp_t *x)
{
    s_scan_t *sc = arg;
    int rc = s_acc_chunk(sc->acc, x);
    if (rc != 0) {
        return rc == PZ_ENOMEM
                   ? pz_sql_err_set(sc->err, "53200", "out of memory")
                   : pz_sql_err_set(sc->err, "XX001", "a row of table \"%.*s\" is corrupt",
                                    (int)sc->d->name.len, sc->d->name.ptr);
    }
    if (sc->cancel != NULL && atomic_load(sc->cancel)) {
        return pz_sql_err_set(sc->err, "57014", "statistics collection cancelled");
    }
    return 0;
}

/* Scans the primary index of d at one snapshot (the first chunk's) into acc. */
static int s_scan_all(pz_sql_kv_t *kv, const pz_cat_desc_t *d, s_acc_t *acc,
                      const atomic_bool *cancel, pz_sql_err_t *err)
{
    uint8_t lo[64], hi[64];
    size_t ll = pz_rowenc_index_prefix(lo, sizeof lo, d->id, d->indexes[0].id);
    size_t hl = pz_rowenc_prefix_end(hi, sizeof hi, lo, ll);
    if (cancel != NULL && atomic_load(cancel)) {
        return pz_sql_err_set(err, "57014", "statistics collection cancelled");
    }
    s_scan_t sc = {.acc = acc, .d = d, .cancel = cancel, .err = err};
    return pz_sql_kv_scan_chunks(kv, (pz_view_t){lo, (uint32_t)ll}, (pz_view_t){hi, (uint32_t)hl},
                                 PZ_SCAN_KEYS_MAX, s_scan_chunk, &sc, err);
}

static int s_collect(pz_cat_t *cat, pz_sql_kv_t *kv, const pz_cat_desc_t *d,
                     const atomic_bool *cancel, pz_sql_err_t *err)
{
    s_acc_t acc;
    if (s_acc_init(&acc, d) != 0) {
        return pz_sql_err_set(err, "53200", "out of memory");
    }
    int rc = s_scan_all(kv, d, &acc, cancel, err);
    pz_cat_colstat_t *cols = calloc(acc.n ? acc.n : 1, sizeof *cols);
    if (rc == 0 && cols == NULL) {
        rc = pz_sql_err_set(err, "53200", "out of memory");
    }
    for (uint32_t c = 0; rc == 0 && c < acc.n; c++) {
        double nn = (double)(acc.rows - acc.nulls[c]);
        double e = pz_hll_estimate(&acc.hll[c]);
        /* The sketch's error can put it a little past the non-NULL rows, or below 1. */
        e = e > nn ? nn : e < 1 && nn > 0 ? 1 : e;
        cols[c] = (pz_cat_colstat_t){
            .col = acc.col_ids[c], .distinct = (uint64_t)(e + 0.5), .nulls = acc.nulls[c]};
    }
    if (rc == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        pz_cat_stats_t st = {.table = d->id,
                             .rows = acc.rows,
                             .created_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
                             .cols = cols,
                             .cols_len = acc.n};
        rc = pz_cat_stats_put(cat, kv, &st, err);
    }
    free(cols);
    s_acc_free(&acc);
    return rc;
}

static int s_collect_id(pz_cat_t *cat, pz_sql_kv_t *kv, uint32_t table_id,
                        const atomic_bool *cancel, pz_sql_err_t *err)
{
    pz_cat_entry_t *t = NULL;
    int rc = pz_cat_get(cat, kv, table_id, &t, err);
    if (rc == PZ_ENOTFOUND) {
        return 0; /* dropped since it was queued */
    }
    if (rc != 0) {
        return rc;
    }
    rc = t->d.kind == PZ_CAT_TABLE ? s_collect(cat, kv, &t->d, cancel, err) : 0;
    pz_cat_release(&t);
    return rc;
}

int pz_stats_collect(pz_cat_t *cat, pz_sql_kv_t *kv, uint32_t table_id, pz_sql_err_t *err)
{
    assert(cat != NULL && kv != NULL && err != NULL);
    pz_sql_kv_stmt_begin(kv); /* one snapshot for the whole scan */
    return s_collect_id(cat, kv, table_id, NULL, err);
}

/* ---- ANALYZE ----------------------------------------------------------------------------------
 */

typedef struct {
    uint32_t db_id;
    uint32_t *ids;
    int n, cap;
} s_tables_t;

static int s_each_table(void *arg, const pz_cat_desc_t *d)
{
    s_tables_t *t = arg;
    if (d->kind != PZ_CAT_TABLE || d->db_id != t->db_id || t->n >= S_ANALYZE_TABLES_MAX) {
        return 0;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 16;
        uint32_t *g = realloc(t->ids, sizeof *g * (size_t)cap);
        if (g == NULL) {
            return PZ_ENOMEM;
        }
        t->ids = g;
        t->cap = cap;
    }
    t->ids[t->n++] = d->id;
    return 0;
}

int pz_stats_analyze(pz_binder_t *b, const pz_ast_stmt_t *s, char *tag)
{
    pz_ex_t *ex = b->ex;
    snprintf(tag, 64, "ANALYZE");
    if (s->n_objs > 0) {
        for (int i = 0; i < s->n_objs; i++) {
            pz_cat_entry_t *t = NULL;
            int rc =
                pz_bind_relation(b, s->objs[i].schema, s->objs[i].name, s->objs[i].location, &t);
            /* Views and sequences have nothing to analyze (PostgreSQL warns and skips). */
            rc = rc ? rc
                 : t->d.kind == PZ_CAT_TABLE
                     ? s_collect(ex->cat, ex->kv, &t->d, ex->user_cancel, ex->err)
                     : 0;
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    s_tables_t all = {.db_id = b->db_id};
    int rc = pz_cat_each(ex->cat, ex->kv, s_each_table, &all, ex->err);
    if (rc == PZ_ENOMEM) {
        rc = pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    for (int i = 0; rc == 0 && i < all.n; i++) {
        rc = s_collect_id(ex->cat, ex->kv, all.ids[i], ex->user_cancel, ex->err);
    }
    free(all.ids);
    return rc;
}

/* ---- automatic refresh ------------------------------------------------------------------------
 */

void pz_stats_note_dml(pz_ex_t *ex, const pz_pn_t *pn)
{
    if (pn->dml == NULL || pn->dml->table == NULL || pn->dml->count == 0) {
        return;
    }
    uint32_t id = pn->dml->table->d.id;
    pz_cat_stats_t *st = NULL;
    pz_sql_err_t e = {0};
    /* An error here only delays a refresh: the statement's outcome is not touched. */
    (void)pz_cat_stats_get(ex->cat, ex->kv, id, ex->tmp, &st, &e);
    double rows = st != NULL ? (double)st->rows : 0;
    if (pz_cat_stats_written(ex->cat, id, pn->dml->count, rows, PZ_STATS_STALE_FRACTION,
                             PZ_STATS_STALE_ROWS_MIN)) {
        pz_stats_bg_queue(ex->cat, ex->kv->to, id);
    }
}

typedef struct {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_bool stop;
    uint32_t queue[PZ_STATS_QUEUE_MAX];
    int n;
    char to[64];
    pz_cat_t *cat;
} s_bg_t;

static pthread_mutex_t s_bg_create_mu = PTHREAD_MUTEX_INITIALIZER;

static void *s_bg_main(void *arg)
{
    s_bg_t *bg = arg;
    pz_sql_kv_t kv;
    if (pz_sql_kv_open(&kv, bg->to, S_BG_KV_TIMEOUT_MS) != 0) {
        return NULL;
    }
    pthread_mutex_lock(&bg->mu);
    while (!atomic_load(&bg->stop)) {
        if (bg->n == 0) {
            pthread_cond_wait(&bg->cv, &bg->mu);
            continue;
        }
        uint32_t id = bg->queue[0];
        memmove(bg->queue, bg->queue + 1, sizeof bg->queue[0] * (size_t)--bg->n);
        pthread_mutex_unlock(&bg->mu);
        pz_sql_err_t err = {0};
        pz_sql_kv_stmt_begin(&kv);
        /* A failure (the store going away, a dropped table) leaves the old statistics; the
         * next writes past the threshold queue the table again. */
        (void)s_collect_id(bg->cat, &kv, id, &bg->stop, &err);
        pthread_mutex_lock(&bg->mu);
    }
    pthread_mutex_unlock(&bg->mu);
    pz_sql_kv_close(&kv);
    return NULL;
}

static void s_bg_stop(void *arg)
{
    s_bg_t *bg = arg;
    pthread_mutex_lock(&bg->mu);
    atomic_store(&bg->stop, true);
    pthread_cond_signal(&bg->cv);
    pthread_mutex_unlock(&bg->mu);
    pthread_join(bg->thread, NULL);
    pthread_cond_destroy(&bg->cv);
    pthread_mutex_destroy(&bg->mu);
    free(bg);
}

static s_bg_t *s_bg_get(pz_cat_t *cat, const char *txn_actor)
{
    pthread_mutex_lock(&s_bg_create_mu);
    s_bg_t *bg = pz_cat_background(cat);
    if (bg == NULL && (bg = calloc(1, sizeof *bg)) != NULL) {
        snprintf(bg->to, sizeof bg->to, "%s", txn_actor);
        bg->cat = cat;
        pthread_mutex_init(&bg->mu, NULL);
        pthread_cond_init(&bg->cv, NULL);
        if (pthread_create(&bg->thread, NULL, s_bg_main, bg) != 0) {
            pthread_cond_destroy(&bg->cv);
            pthread_mutex_destroy(&bg->mu);
            free(bg);
            bg = NULL;
        } else if (!pz_cat_set_background(cat, s_bg_stop, bg)) {
            s_bg_stop(bg); /* cannot happen under the create lock; kept safe anyway */
            bg = pz_cat_background(cat);
        }
    }
    pthread_mutex_unlock(&s_bg_create_mu);
    return bg;
}

void pz_stats_bg_queue(pz_cat_t *cat, const char *txn_actor, uint32_t table_id)
{
    s_bg_t *bg = s_bg_get(cat, txn_actor);
    if (bg == NULL) {
        return;
    }
    pthread_mutex_lock(&bg->mu);
    bool have = false;
    for (int i = 0; i < bg->n; i++) {
        have |= bg->queue[i] == table_id;
    }
    if (!have && bg->n < PZ_STATS_QUEUE_MAX) {
        bg->queue[bg->n++] = table_id;
        pthread_cond_signal(&bg->cv);
    }
    pthread_mutex_unlock(&bg->mu);
}
