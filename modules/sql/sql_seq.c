/*
 * sql_seq.c — sequence functions at run time (see sql_seq.h): nextval with a process-wide block
 * cache, setval, currval and lastval with the session's state.
 *
 * Why setval needs more than a write: nextval hands values out of a block reserved in memory
 * (S_SEQ_BLOCK values per durable write), and a block reserved before setval would keep handing
 * out values from before it. PostgreSQL guarantees (for its default CACHE 1) that once setval
 * returns, the next nextval in every session returns the value after the one set. So setval
 * drops the cached block and bumps a generation under the cache's mutex; a nextval that reserved
 * its block before the setval (its conditional put won the race) may return its one value but
 * keeps the rest of the block only if the generation it started under is still current. A
 * nextval whose conditional put comes after setval's write fails the condition and rereads.
 * This covers every session of this process, which is the one SQL gateway of its store (see
 * docs/ARCHITECTURE.md §8.5); several gateways would need the cache to be invalidated remotely.
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "sql_catalog.h"
#include "sql_kv.h"
#include "sql_seq.h"

/* Sequence values are reserved in blocks: the stored value jumps S_SEQ_BLOCK increments ahead
 * in one durable write, and this process hands the block out from memory. PostgreSQL does the
 * same (it WAL-logs a sequence 32 values ahead), so after a crash values may be skipped, never
 * repeated. A cycling sequence, or one near its bound, goes one value per write. */
#define S_SEQ_BLOCK 32
/* Conditional-write races lost in a row before nextval gives up (40001): each loss means another
 * session reserved a block, so a few hundred means something else is wrong. */
#define S_SEQ_ATTEMPTS_MAX 1000
#define S_SEQ_SLOTS 64

typedef struct {
    uint32_t id; /* 0: empty */
    int64_t next, last;
} s_seq_cache_t;

static pthread_mutex_t s_seq_mu = PTHREAD_MUTEX_INITIALIZER;
static s_seq_cache_t s_seq_cache[S_SEQ_SLOTS];
static uint64_t s_seq_gen; /* bumped by every setval, under s_seq_mu */

static bool s_seq_cached(const pz_cat_desc_t *seq, int64_t *out)
{
    bool hit = false;
    pthread_mutex_lock(&s_seq_mu);
    s_seq_cache_t *c = &s_seq_cache[seq->id % S_SEQ_SLOTS];
    if (c->id == seq->id && (seq->seq_inc > 0 ? c->next <= c->last : c->next >= c->last)) {
        *out = c->next;
        c->next += seq->seq_inc;
        hit = true;
    }
    pthread_mutex_unlock(&s_seq_mu);
    return hit;
}

/* Keeps a reserved block unless a setval ran since gen was read. */
static void s_seq_keep(const pz_cat_desc_t *seq, int64_t next, int64_t last, uint64_t gen)
{
    pthread_mutex_lock(&s_seq_mu);
    if (gen == s_seq_gen) {
        s_seq_cache[seq->id % S_SEQ_SLOTS] =
            (s_seq_cache_t){.id = seq->id, .next = next, .last = last};
    }
    pthread_mutex_unlock(&s_seq_mu);
}

static uint64_t s_seq_gen_now(void)
{
    pthread_mutex_lock(&s_seq_mu);
    uint64_t g = s_seq_gen;
    pthread_mutex_unlock(&s_seq_mu);
    return g;
}

/* The last value of a block starting at first, or first itself when a block does not fit. */
static int64_t s_seq_block_end(const pz_cat_desc_t *seq, int64_t first)
{
    int64_t span, last;
    if (seq->seq_cycle || __builtin_mul_overflow(seq->seq_inc, S_SEQ_BLOCK - 1, &span) ||
        __builtin_add_overflow(first, span, &last) || last > seq->seq_max || last < seq->seq_min) {
        return first;
    }
    return last;
}

int pz_sql_nextval(pz_ex_t *ex, const pz_cat_desc_t *seq, int64_t *out)
{
    if (s_seq_cached(seq, out)) {
        return 0;
    }
    uint8_t key[PZ_CAT_KEY_BYTES];
    size_t kl = pz_cat_key_seq(key, seq->id);
    uint64_t gen = s_seq_gen_now();
    pz_hlc_t keep = ex->kv->read_ts;
    ex->kv->read_ts = (pz_hlc_t){0};
    int rc = PZ_EINVAL;
    for (int attempt = 0; attempt < S_SEQ_ATTEMPTS_MAX; attempt++) {
        pz_kv_req_t g = {.op = PZ_KV_GET, .key = {key, (uint32_t)kl}};
        pz_msg_t *reply = NULL;
        pz_kv_batch_resp_t resp;
        if ((rc = pz_sql_kv_send(ex->kv, &g, 1, true, &reply, &resp, ex->err)) != 0) {
            break;
        }
        uint32_t old_len = resp.resps[0].found ? resp.resps[0].value.len : 0;
        bool found = old_len == 8 || old_len == 9;
        uint8_t old[9] = {0};
        if (found) {
            memcpy(old, resp.resps[0].value.ptr, old_len);
        }
        bool uncalled = old_len == 9 && old[8] == 1; /* setval(s, v, false): next is v */
        pz_msg_free(&reply);
        ex->kv->read_ts = (pz_hlc_t){0};
        int64_t cur = 0, next = seq->seq_start;
        for (int i = 0; i < 8; i++) {
            cur = (int64_t)((uint64_t)cur << 8 | old[i]);
        }
        if (uncalled) {
            next = cur;
        } else if (found && (__builtin_add_overflow(cur, seq->seq_inc, &next) ||
                             next > seq->seq_max || next < seq->seq_min)) {
            if (!seq->seq_cycle) {
                rc = pz_sql_err_set(ex->err, "2200H",
                                    "nextval: reached %s value of sequence "
                                    "\"%.*s\" (%lld)",
                                    seq->seq_inc > 0 ? "maximum" : "minimum", (int)seq->name.len,
                                    seq->name.ptr,
                                    (long long)(seq->seq_inc > 0 ? seq->seq_max : seq->seq_min));
                break;
            }
            next = seq->seq_inc > 0 ? seq->seq_min : seq->seq_max;
        }
        int64_t last = s_seq_block_end(seq, next);
        uint8_t nv[8];
        for (int i = 0; i < 8; i++) {
            nv[i] = (uint8_t)((uint64_t)last >> (56 - 8 * i));
        }
        pz_kv_req_t p = {.op = PZ_KV_CPUT,
                         .key = {key, (uint32_t)kl},
                         .value = {nv, 8},
                         .exp_exists = found,
                         .exp_value = {old, found ? old_len : 0u}};
        if ((rc = pz_sql_kv_send(ex->kv, &p, 1, false, &reply, &resp, ex->err)) != 0) {
            break;
        }
        bool raced = resp.error.code == PZ_ECONDFAILED;
        pz_msg_free(&reply);
        if (!raced) {
            *out = next;
            if (last != next) {
                s_seq_keep(seq, next + seq->seq_inc, last, gen);
            }
            break;
        }
        rc = PZ_EINVAL;
    }
    if (rc != 0 && !pz_sql_err_is_set(ex->err)) {
        pz_sql_err_set(ex->err, "40001", "nextval: too much contention on sequence \"%.*s\"",
                       (int)seq->name.len, seq->name.ptr);
    }
    ex->kv->read_ts = keep;
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* setval, and the session's currval / lastval                                                */

static int s_setval(pz_ex_t *ex, const pz_cat_desc_t *seq, int64_t v, bool called)
{
    if (v < seq->seq_min || v > seq->seq_max) {
        return pz_sql_err_set(ex->err, "22003",
                              "setval: value %lld is out of bounds for sequence \"%.*s\" "
                              "(%lld..%lld)",
                              (long long)v, (int)seq->name.len, seq->name.ptr,
                              (long long)seq->seq_min, (long long)seq->seq_max);
    }
    uint8_t key[PZ_CAT_KEY_BYTES], nv[9];
    size_t kl = pz_cat_key_seq(key, seq->id);
    for (int i = 0; i < 8; i++) {
        nv[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    }
    nv[8] = 1;
    pz_kv_req_t p = {.op = PZ_KV_PUT, .key = {key, (uint32_t)kl}, .value = {nv, called ? 8u : 9u}};
    pz_msg_t *reply = NULL;
    pz_kv_batch_resp_t resp;
    pz_hlc_t keep = ex->kv->read_ts;
    ex->kv->read_ts = (pz_hlc_t){0};
    int rc = pz_sql_kv_send(ex->kv, &p, 1, false, &reply, &resp, ex->err);
    pz_msg_free(&reply);
    ex->kv->read_ts = keep;
    /* After the write: a nextval that reads the counter from now on sees the new value, and no
     * block reserved before it survives in the cache. */
    pthread_mutex_lock(&s_seq_mu);
    s_seq_gen++;
    if (s_seq_cache[seq->id % S_SEQ_SLOTS].id == seq->id) {
        s_seq_cache[seq->id % S_SEQ_SLOTS].id = 0;
    }
    pthread_mutex_unlock(&s_seq_mu);
    return rc;
}

/* Remembers v as the session's last value of sequence id (and as lastval's when last). */
static void s_note(pz_sql_seqs_t *st, uint32_t id, int64_t v, bool last)
{
    if (st == NULL) {
        return;
    }
    if (last) {
        st->last_id = id;
    }
    if (id == st->last_id) {
        st->last_val = v; /* lastval reports the sequence's current value, setval included */
    }
    for (int i = 0; i < st->n; i++) {
        if (st->ids[i] == id) {
            st->vals[i] = v;
            return;
        }
    }
    int i = st->n < PZ_SQL_SESSION_SEQS_MAX ? st->n++ : st->evict++ % PZ_SQL_SESSION_SEQS_MAX;
    st->ids[i] = id;
    st->vals[i] = v;
}

static int s_currval(pz_ex_t *ex, const pz_cat_desc_t *seq, const pz_sql_seqs_t *st, int64_t *out)
{
    for (int i = 0; st != NULL && i < st->n; i++) {
        if (st->ids[i] == seq->id) {
            *out = st->vals[i];
            return 0;
        }
    }
    return pz_sql_err_set(ex->err, "55000",
                          "currval of sequence \"%.*s\" is not yet defined in this session",
                          (int)seq->name.len, seq->name.ptr);
}

int pz_sql_seqfn_eval(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_sql_seqs_t *seqs,
                      pz_datum_t *out)
{
    assert(ex != NULL && x != NULL && out != NULL && x->kind == PZ_BX_NEXTVAL);
    const pz_cat_desc_t *seq = x->plan ? &((const pz_cat_entry_t *)x->plan)->d : NULL;
    int64_t v = 0;
    int rc = 0;
    *out = pz_datum_int(PZ_TY_INT8, 0);
    switch ((pz_seqfn_t)x->sublink) {
    case PZ_SEQ_NEXTVAL:
        rc = pz_sql_nextval(ex, seq, &v);
        if (rc == 0) {
            s_note(seqs, seq->id, v, true);
        }
        break;
    case PZ_SEQ_CURRVAL:
        rc = s_currval(ex, seq, seqs, &v);
        break;
    case PZ_SEQ_LASTVAL:
        if (seqs == NULL || seqs->last_id == 0) {
            return pz_sql_err_set(ex->err, "55000", "lastval is not yet defined in this session");
        }
        v = seqs->last_val;
        break;
    case PZ_SEQ_SETVAL: {
        pz_datum_t a, c = pz_datum_bool(true);
        rc = pz_bx_eval(ex, x->args[0], row, &a);
        rc = rc == 0 && x->n_args > 1 ? pz_bx_eval(ex, x->args[1], row, &c) : rc;
        if (rc != 0 || a.null || c.null) { /* setval is strict: NULL in, NULL out */
            *out = pz_datum_null(PZ_TY_INT8);
            return rc;
        }
        v = a.v.i;
        rc = s_setval(ex, seq, v, c.v.b);
        if (rc == 0 && c.v.b) {
            s_note(seqs, seq->id, v, false);
        }
        break;
    }
    }
    out->v.i = v;
    return rc;
}
