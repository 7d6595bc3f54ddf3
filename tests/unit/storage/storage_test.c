/*
 * storage_test.c — shared fixtures of the storage unit tests (see storage_test.h).
 */
#include "storage_test.h"

#include <dlfcn.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

const pz_engine_desc_t *st_engine_desc(void)
{
    static const pz_engine_desc_t *desc;
    if (desc != NULL) {
        return desc;
    }
    const char *dir = getenv("PZ_MODULE_DIR");
    assert_non_null(dir); /* set by pz_add_unit_test */
    char path[1024];
    snprintf(path, sizeof path, "%s/pz_engine_lmdb.so", dir);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fail_msg("dlopen %s: %s", path, dlerror());
    }
    pz_engine_desc_fn fn = (pz_engine_desc_fn)dlsym(h, PZ_ENGINE_SYMBOL);
    assert_non_null(fn);
    desc = fn();
    assert_non_null(desc);
    assert_int_equal(desc->abi_major, PZ_ENGINE_ABI_MAJOR);
    assert_null(pz_engine_missing_method(desc));
    return desc;
}

void st_env_open(st_env_t *env, uint64_t initial_map_bytes, uint64_t max_map_bytes)
{
    memset(env, 0, sizeof *env);
    env->desc = st_engine_desc();
    snprintf(env->dir, sizeof env->dir, "/tmp/pz_storage_test_XXXXXX");
    assert_non_null(mkdtemp(env->dir));
    pz_engine_opts_t opts = {.struct_size = sizeof opts,
                             .initial_map_bytes = initial_map_bytes,
                             .max_map_bytes = max_map_bytes};
    assert_int_equal(pz_engine_open(env->desc, env->dir, &opts, &env->eng), 0);
}

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void st_env_close(st_env_t *env)
{
    pz_engine_close(&env->eng);
    assert_int_equal(nftw(env->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void st_batch_init(st_batch_t *sb, pz_hlc_t ts)
{
    memset(sb, 0, sizeof *sb);
    sb->b.header.ts = ts;
    sb->b.reqs = sb->reqs;
}

pz_kv_req_t *st_add(st_batch_t *sb, uint8_t op, pz_view_t key)
{
    assert_true(sb->b.reqs_len < ST_REQS_MAX);
    pz_kv_req_t *r = &sb->reqs[sb->b.reqs_len++];
    memset(r, 0, sizeof *r);
    r->op = op;
    r->key = key;
    return r;
}

pz_kv_req_t *st_get(st_batch_t *sb, const char *key)
{
    return st_add(sb, PZ_KV_GET, pz_view_str(key));
}

pz_kv_req_t *st_put(st_batch_t *sb, const char *key, const char *value)
{
    pz_kv_req_t *r = st_add(sb, PZ_KV_PUT, pz_view_str(key));
    r->value = pz_view_str(value);
    return r;
}

pz_kv_req_t *st_del(st_batch_t *sb, const char *key)
{
    return st_add(sb, PZ_KV_DEL, pz_view_str(key));
}

pz_kv_req_t *st_span(st_batch_t *sb, uint8_t op, const char *key, const char *end, uint32_t limit)
{
    pz_kv_req_t *r = st_add(sb, op, pz_view_str(key));
    r->end_key = pz_view_str(end);
    r->limit = limit;
    return r;
}

pz_kv_req_t *st_cput(st_batch_t *sb, const char *key, const char *value, const char *exp)
{
    pz_kv_req_t *r = st_add(sb, PZ_KV_CPUT, pz_view_str(key));
    r->value = pz_view_str(value);
    r->exp_exists = exp != NULL;
    r->exp_value = pz_view_str(exp);
    return r;
}

void st_run(st_env_t *env, const st_batch_t *sb, st_result_t *out)
{
    memset(out, 0, sizeof *out);
    out->arena = pz_arena_new();
    assert_non_null(out->arena);
    pz_eng_snap_t snap = {0};
    assert_int_equal(pz_engine_snap_open(&env->eng, &snap), 0);
    pz_mvcc_env_t menv = {.now = sb->now};
    out->rc = pz__mvcc_eval(&snap, &sb->b, &menv, out->arena, &out->res);
    pz_engine_snap_close(&snap);
    assert_int_equal(out->rc, out->res.resp.error.code);
    if (out->rc == 0 && out->res.ops_len > 0) {
        pz_engine_batch_t b = {.ops = out->res.ops, .ops_len = out->res.ops_len};
        out->commit_rc = pz_engine_commit(&env->eng, &b, false);
    }
}

void st_result_free(st_result_t *r)
{
    pz_arena_destroy(&r->arena);
}

void st_put_at(st_env_t *env, uint64_t wall, const char *key, const char *value)
{
    st_batch_t sb;
    st_batch_init(&sb, st_ts(wall, 0));
    st_put(&sb, key, value);
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.commit_rc, 0);
    st_result_free(&r);
}

void st_del_at(st_env_t *env, uint64_t wall, const char *key)
{
    st_batch_t sb;
    st_batch_init(&sb, st_ts(wall, 0));
    st_del(&sb, key);
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.commit_rc, 0);
    st_result_free(&r);
}

bool st_get_at(st_env_t *env, uint64_t wall, const char *key, char *buf, size_t cap)
{
    st_batch_t sb;
    st_batch_init(&sb, st_ts(wall, 0));
    st_get(&sb, key);
    st_result_t r;
    st_run(env, &sb, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.ops_len, 0);
    assert_int_equal(r.res.resp.resps_len, 1);
    const pz_kv_resp_t *g = &r.res.resp.resps[0];
    bool found = g->found;
    if (found) {
        assert_true(g->value.len < cap);
        memcpy(buf, g->value.ptr, g->value.len);
        buf[g->value.len] = '\0';
    }
    st_result_free(&r);
    return found;
}

const char *st_str(pz_view_t v)
{
    static char bufs[8][4096];
    static int next;
    char *b = bufs[next++ % 8];
    size_t n = v.len < 4095 ? v.len : 4095;
    if (n > 0) {
        memcpy(b, v.ptr, n);
    }
    b[n] = '\0';
    return b;
}

void st_txn_init(st_txn_t *x, uint8_t tag, uint64_t read_wall, uint64_t write_wall)
{
    memset(x, 0, sizeof *x);
    memset(x->id, tag, sizeof x->id);
    x->t.id = st_v(x->id, sizeof x->id);
    x->t.read_ts = st_ts(read_wall, 0);
    x->t.write_ts = st_ts(write_wall, 0);
    x->t.min_ts = x->t.read_ts;
    x->t.priority = PZ_TXN_PRIORITY_NORMAL;
    x->t.key = pz_view_str("anchor");
    x->t.ignored = x->ign;
}

void st_txn_ignore(st_txn_t *x, uint32_t start, uint32_t end)
{
    assert_true(x->t.ignored_len < 4);
    x->ign[x->t.ignored_len++] = (pz_kv_seq_range_t){.start = start, .end = end};
}

void st_batch_txn(st_batch_t *sb, const st_txn_t *x)
{
    sb->b.header.has_txn = true;
    sb->b.header.txn = x->t;
}

void st_run_expect(st_env_t *env, const st_batch_t *sb, int rc, st_result_t *r)
{
    st_run(env, sb, r);
    if (r->rc != rc) {
        fail_msg("expected %d, got %d (%s)", rc, r->rc, st_str(r->res.resp.error.message));
    }
    assert_int_equal(r->commit_rc, 0);
}

int st_setup(void **state)
{
    st_env_t *env = calloc(1, sizeof *env);
    assert_non_null(env);
    st_env_open(env, 0, 0);
    *state = env;
    return 0;
}

int st_teardown(void **state)
{
    st_env_close(*state);
    free(*state);
    return 0;
}

void st_txn_put(st_env_t *env, const st_txn_t *x, const char *k, const char *v)
{
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(0, 0));
    st_batch_txn(&sb, x);
    if (v != NULL) {
        st_put(&sb, k, v);
    } else {
        st_del(&sb, k);
    }
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(r.res.ops_len, 1);
    st_result_free(&r);
}

void st_resolve(st_env_t *env, const st_txn_t *x, uint8_t status, const char *k, const char *end,
                uint64_t n)
{
    st_batch_t sb;
    st_result_t r;
    st_batch_init(&sb, st_ts(50, 0));
    pz_kv_req_t *q = st_add(&sb, PZ_KV_RESOLVE, pz_view_str(k));
    q->end_key = pz_view_str(end);
    q->has_ext = true;
    q->ext.has_pushee = true;
    q->ext.pushee = x->t;
    q->ext.status = status;
    st_run_expect(env, &sb, 0, &r);
    assert_int_equal(r.res.resp.resps[0].num_deleted, n);
    st_result_free(&r);
}
