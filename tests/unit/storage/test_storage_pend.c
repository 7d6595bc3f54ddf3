/*
 * test_storage_pend.c — proves the pending-writes table (modules/storage/storage_pend.c) and
 * the merged view engine_wrap.c builds over it:
 *   - within one batch a later op on a key wins; a later owner's write replaces an earlier
 *     one's, and dropping the earlier owner leaves it; drop removes only what that owner still
 *     holds; clear empties the table and it is usable again; a DEL_RANGE refuses the whole batch
 *     (PZ_EINVAL, nothing added); seek_ge / seek_lt land right at every boundary, key_len 0
 *     meaning "from the start" / "the last node";
 *   - the skip list keeps a random key set of thousands of keys ordered through adds and drops;
 *   - a snapshot with the table shows exactly "engine, then every queued batch": point reads and
 *     iterator walks (seeks, next, prev, and turns between them) match a sorted in-memory model;
 *     committing the queued batches to the engine in order and dropping them leaves the view
 *     unchanged (what pipelining relies on);
 *   - an empty table (fresh, or emptied by drops) behaves exactly as no table.
 *
 * How: the real LMDB plugin under the wrappers; keys from a small alphabet chosen so that keys
 * are prefixes of each other and hold 0x00 and 0xFF bytes, so every boundary of the bytewise
 * order is hit. Seeds are fixed so a failure replays; its message names the seed and round.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phantomzero/errors.h"
#include "storage_pend.h"
#include "storage_test.h"

/* Bytes with their length: keys and values may hold 0x00. */
typedef struct t_bytes {
    const char *b;
    size_t n;
} t_bytes_t;

/* clang-format off */
#define T_B(lit) {lit, sizeof(lit) - 1}
/* clang-format on */

static pz_engine_op_t t_op(uint8_t kind, t_bytes_t k, t_bytes_t v)
{
    return (pz_engine_op_t){.kind = kind,
                            .key = (const uint8_t *)k.b,
                            .key_len = k.n,
                            .value = kind == PZ_ENGINE_DEL ? NULL : (const uint8_t *)v.b,
                            .value_len = kind == PZ_ENGINE_DEL ? 0 : v.n};
}

static pz_engine_op_t t_put(const char *k, const char *v)
{
    return t_op(PZ_ENGINE_PUT, (t_bytes_t){k, strlen(k)}, (t_bytes_t){v, strlen(v)});
}

static pz_engine_op_t t_del(const char *k)
{
    return t_op(PZ_ENGINE_DEL, (t_bytes_t){k, strlen(k)}, (t_bytes_t){NULL, 0});
}

/* The node of a C-string key, asserting its state: val NULL means a pending deletion. */
static void t_expect(const pz__pend_t *p, const char *k, const char *val, const void *owner)
{
    const pz__pend_node_t *n = pz__pend_get(p, (const uint8_t *)k, strlen(k));
    assert_non_null(n);
    assert_int_equal(n->key_len, strlen(k));
    assert_memory_equal(n->key, k, n->key_len);
    assert_ptr_equal(n->owner, owner);
    if (val == NULL) {
        assert_false(n->live);
        assert_null(n->val);
        assert_int_equal(n->val_len, 0);
        return;
    }
    assert_true(n->live);
    assert_int_equal(n->val_len, strlen(val));
    assert_memory_equal(n->val, val, n->val_len);
}

static bool t_has(const pz__pend_t *p, const char *k)
{
    return pz__pend_get(p, (const uint8_t *)k, strlen(k)) != NULL;
}

static void test_later_op_in_a_batch_wins(void **state)
{
    (void)state;
    pz__pend_t *p = pz__pend_new();
    assert_non_null(p);
    int owner;
    pz_engine_op_t ops[] = {t_put("a", "1"), t_put("b", "2"), t_del("a"),     t_put("a", "3"),
                            t_put("c", "4"), t_del("c"),      t_put("b", "5")};
    assert_int_equal(pz__pend_add(p, ops, 7, &owner), 0);
    assert_int_equal(pz__pend_len(p), 3);
    t_expect(p, "a", "3", &owner);
    t_expect(p, "b", "5", &owner);
    t_expect(p, "c", NULL, &owner);
    /* One node per key, in key order. */
    const pz__pend_node_t *n = pz__pend_seek_ge(p, NULL, 0);
    const char *order[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++, n = n->next[0]) {
        assert_non_null(n);
        assert_memory_equal(n->key, order[i], 1);
    }
    assert_null(n);
    /* Dropping the batch removes each key once, whatever its duplicates. */
    pz__pend_drop(p, ops, 7, &owner);
    assert_int_equal(pz__pend_len(p), 0);
    assert_null(pz__pend_seek_ge(p, NULL, 0));
    pz__pend_destroy(&p);
    assert_null(p);
    pz__pend_destroy(&p); /* safe on NULL */
}

static void test_owners_replace_and_drop(void **state)
{
    (void)state;
    pz__pend_t *p = pz__pend_new();
    int first, second, stranger;
    pz_engine_op_t a_ops[] = {t_put("a", "a1"), t_put("b", "b1"), t_put("c", "c1"), t_del("d")};
    pz_engine_op_t b_ops[] = {t_put("b", "b2"), t_del("c"), t_put("d", "d2")};
    assert_int_equal(pz__pend_add(p, a_ops, 4, &first), 0);
    assert_int_equal(pz__pend_add(p, b_ops, 3, &second), 0);
    assert_int_equal(pz__pend_len(p), 4);
    t_expect(p, "a", "a1", &first);
    t_expect(p, "b", "b2", &second);
    t_expect(p, "c", NULL, &second);
    t_expect(p, "d", "d2", &second);

    /* Someone else's drop, or the right keys under the wrong owner, remove nothing. */
    pz__pend_drop(p, a_ops, 4, &stranger);
    pz__pend_drop(p, b_ops, 3, &first);
    assert_int_equal(pz__pend_len(p), 4);

    /* The first batch committed: only the key it still owns goes. */
    pz__pend_drop(p, a_ops, 4, &first);
    assert_int_equal(pz__pend_len(p), 3);
    assert_false(t_has(p, "a"));
    t_expect(p, "b", "b2", &second);
    t_expect(p, "c", NULL, &second);
    t_expect(p, "d", "d2", &second);
    pz__pend_drop(p, a_ops, 4, &first); /* again: nothing left of it */
    assert_int_equal(pz__pend_len(p), 3);
    pz__pend_drop(p, b_ops, 3, &second);
    assert_int_equal(pz__pend_len(p), 0);
    assert_false(t_has(p, "b") || t_has(p, "c") || t_has(p, "d"));
    pz__pend_destroy(&p);
}

static void test_clear_and_reuse(void **state)
{
    (void)state;
    enum { N = 300 };
    static char keys[N][8];
    pz_engine_op_t ops[N];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%04d", (i * 7919) % N);
        ops[i] = t_put(keys[i], "v");
    }
    pz__pend_t *p = pz__pend_new();
    int owner;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(pz__pend_add(p, ops, N, &owner), 0);
        assert_int_equal(pz__pend_len(p), N);
        assert_true(t_has(p, "k0000") && t_has(p, "k0299"));
        pz__pend_clear(p);
        assert_int_equal(pz__pend_len(p), 0);
        assert_false(t_has(p, "k0000"));
        assert_null(pz__pend_seek_ge(p, NULL, 0));
        assert_null(pz__pend_seek_lt(p, NULL, 0));
        assert_null(pz__pend_seek_lt(p, (const uint8_t *)"z", 1));
    }
    /* Dropping after a clear (the owner's commit reaped late) is harmless. */
    pz__pend_drop(p, ops, N, &owner);
    assert_int_equal(pz__pend_len(p), 0);
    pz__pend_destroy(&p);
}

static void test_del_range_refuses_the_batch(void **state)
{
    (void)state;
    pz__pend_t *p = pz__pend_new();
    int before, owner;
    pz_engine_op_t keep[] = {t_put("k", "old")};
    assert_int_equal(pz__pend_add(p, keep, 1, &before), 0);
    pz_engine_op_t ops[] = {t_put("a", "1"), t_put("k", "new"),
                            t_op(PZ_ENGINE_DEL_RANGE, (t_bytes_t)T_B("b"), (t_bytes_t)T_B("c"))};
    assert_int_equal(pz__pend_add(p, ops, 3, &owner), PZ_EINVAL);
    assert_int_equal(pz__pend_len(p), 1);
    assert_false(t_has(p, "a"));
    t_expect(p, "k", "old", &before);
    pz__pend_destroy(&p);
}

/* The key of a node as a C string ("-" for none), for boundary tables. */
static const char *t_key_of(const pz__pend_node_t *n)
{
    static char buf[16];
    if (n == NULL) {
        return "-";
    }
    assert_true(n->key_len < sizeof buf);
    memcpy(buf, n->key, n->key_len);
    buf[n->key_len] = '\0';
    return buf;
}

static void test_seek_boundaries(void **state)
{
    (void)state;
    pz__pend_t *p = pz__pend_new();
    assert_null(pz__pend_seek_ge(p, (const uint8_t *)"a", 1));
    assert_null(pz__pend_seek_lt(p, NULL, 0));
    int owner;
    pz_engine_op_t ops[] = {t_put("b", "1"), t_del("bb"), t_put("d", "3")};
    assert_int_equal(pz__pend_add(p, ops, 3, &owner), 0);
    static const struct {
        const char *probe, *ge, *lt;
    } rows[] = {
        {"", "b", "d"}, /* key_len 0: the first node / the last node */
        {"a", "b", "-"},     {"b", "b", "-"},    {"b\x01", "bb", "b"}, {"ba", "bb", "b"},
        {"bb", "bb", "b"},   {"bba", "d", "bb"}, {"c", "d", "bb"},     {"d", "d", "bb"},
        {"d\x01", "-", "d"}, {"e", "-", "d"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const uint8_t *k = (const uint8_t *)rows[i].probe;
        size_t kl = strlen(rows[i].probe);
        assert_string_equal(t_key_of(pz__pend_seek_ge(p, kl ? k : NULL, kl)), rows[i].ge);
        assert_string_equal(t_key_of(pz__pend_seek_lt(p, kl ? k : NULL, kl)), rows[i].lt);
    }
    /* get is exact: neither a prefix nor an extension of a key matches. */
    assert_false(t_has(p, "ba") || t_has(p, "bbb") || t_has(p, "c"));
    assert_true(t_has(p, "bb"));
    pz__pend_destroy(&p);
}

/* A cheap deterministic generator (xorshift64*) so seeds replay. */
static uint64_t t_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

static unsigned t_below(uint64_t *s, unsigned n)
{
    return (unsigned)(t_rand(s) % n);
}

static int t_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    for (size_t i = 0; i < an && i < bn; i++) {
        if (a[i] != b[i]) {
            return a[i] < b[i] ? -1 : 1;
        }
    }
    return an < bn ? -1 : (an > bn ? 1 : 0);
}

/* Thousands of keys through adds and drops: the order, the length and both seeks stay those of
 * a plain array of flags (multi-level towers and their unlinking are exercised here; the
 * merged-view model below has too few keys for tall towers). */
static void test_big_random_set(void **state)
{
    (void)state;
    enum { N = 4000 };
    static char keys[N][6];
    static pz_engine_op_t ops[N];
    static bool in[N];
    memset(in, 0, sizeof in);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "%05d", i); /* index order is key order */
        ops[i] = t_put(keys[i], "v");
    }
    pz__pend_t *p = pz__pend_new();
    uint64_t seed = 0xB16B00B5;
    int owner;
    size_t len = 0;
    for (int step = 0; step < 60; step++) {
        unsigned at = t_below(&seed, N - 100), n = 1 + t_below(&seed, 100);
        bool add = t_below(&seed, 3) != 0;
        if (add) {
            assert_int_equal(pz__pend_add(p, &ops[at], n, &owner), 0);
        } else {
            pz__pend_drop(p, &ops[at], n, &owner);
        }
        for (unsigned i = at; i < at + n; i++) {
            len += add && !in[i] ? 1 : 0;
            len -= !add && in[i] ? 1 : 0;
            in[i] = add;
        }
        assert_int_equal(pz__pend_len(p), len);
        int probe = (int)t_below(&seed, N);
        int ge = probe, lt = probe - 1;
        while (ge < N && !in[ge]) {
            ge++;
        }
        while (lt >= 0 && !in[lt]) {
            lt--;
        }
        const uint8_t *pk = (const uint8_t *)keys[probe];
        const pz__pend_node_t *g = pz__pend_seek_ge(p, pk, 5), *l = pz__pend_seek_lt(p, pk, 5);
        assert_true(ge < N ? g != NULL && memcmp(g->key, keys[ge], 5) == 0 : g == NULL);
        assert_true(lt >= 0 ? l != NULL && memcmp(l->key, keys[lt], 5) == 0 : l == NULL);
    }
    size_t walked = 0;
    const pz__pend_node_t *prev = NULL;
    for (const pz__pend_node_t *n = pz__pend_seek_ge(p, NULL, 0); n != NULL; n = n->next[0]) {
        assert_true(prev == NULL || t_cmp(prev->key, prev->key_len, n->key, n->key_len) < 0);
        assert_true(in[atoi((const char *)n->key)]);
        prev = n;
        walked++;
    }
    assert_int_equal(walked, len);
    pz__pend_destroy(&p);
}

/* --- the merged view against a model --------------------------------------------------- */

/* In key order (checked by the test): prefixes of each other, 0x00 and 0xFF bytes. */
static const t_bytes_t t_keys[] = {
    T_B("a"), T_B("a\0"), T_B("a\0\0"), T_B("aa"),    T_B("ab"), T_B("abc"),  T_B("abd"),
    T_B("b"), T_B("ba"),  T_B("bab"),   T_B("b\xff"), T_B("c"),  T_B("\xff"),
};
#define T_NK (sizeof t_keys / sizeof t_keys[0])

/* Probes for seeks and gets: the keys and the gaps between them. */
static const t_bytes_t t_probes[] = {
    T_B(""),    T_B("\x01"), T_B("a\0\x01"), T_B("a\x01"),     T_B("aaa"),
    T_B("abb"), T_B("abe"),  T_B("b\0"),     T_B("b\xff\xff"), T_B("bb"),
    T_B("bz"),  T_B("d"),    T_B("\xff\0"),
};
#define T_NP (sizeof t_probes / sizeof t_probes[0])

static const t_bytes_t t_vals[] = {T_B("e0"), T_B("e1"), T_B("e2"),   T_B("p0"), T_B("p1"),
                                   T_B("p2"), T_B("p3"), T_B("x\0y"), T_B("")};
#define T_NV (sizeof t_vals / sizeof t_vals[0])

#define T_BATCHES_MAX 5
#define T_OPS_MAX 8
#define T_ROUNDS 200
#define T_CHECKS 12   /* random reads and walks per view */
#define T_WALK_MAX 10 /* moves after a seek */

typedef struct t_batch {
    pz_engine_op_t ops[T_OPS_MAX];
    size_t n;
} t_batch_t;

/* The state: the engine's value per key (-1: absent) and the pending table's entry. */
typedef struct t_model {
    int eng[T_NK];
    int pend[T_NK]; /* -2: no entry, -1: a pending deletion, else a value index */
    const void *owner[T_NK];
} t_model_t;

/* One entry of the merged view: a key index and a value index. */
typedef struct t_entry {
    int k, v;
} t_entry_t;

static char t_where[128]; /* names the seed, round and step of a failure */

/* Coverage of the model test, asserted at its end so that a change of the dice cannot quietly
 * stop exercising what matters: moves that turn the direction, and entries the table served. */
static unsigned long t_turns, t_pend_served;

#define T_EXPECT(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fail_msg("%s: expected %s (line %d)", t_where, #cond, __LINE__);                       \
        }                                                                                          \
    } while (0)

static int t_key_index(const uint8_t *k, size_t n)
{
    for (size_t i = 0; i < T_NK; i++) {
        if (t_cmp(k, n, (const uint8_t *)t_keys[i].b, t_keys[i].n) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int t_val_index(const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < T_NV; i++) {
        if (n == t_vals[i].n && (n == 0 || memcmp(v, t_vals[i].b, n) == 0)) {
            return (int)i;
        }
    }
    return -1;
}

/* The merged view in key order; returns its length. */
static size_t t_view(const t_model_t *m, t_entry_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < T_NK; i++) {
        int v = m->pend[i] != -2 ? m->pend[i] : m->eng[i];
        if (v >= 0) {
            out[n++] = (t_entry_t){(int)i, v};
        }
    }
    return n;
}

static void t_model_apply_pend(t_model_t *m, const t_batch_t *b, const void *owner, bool drop)
{
    for (size_t i = 0; i < b->n; i++) {
        int k = t_key_index(b->ops[i].key, b->ops[i].key_len);
        assert_true(k >= 0);
        if (drop) {
            m->pend[k] = m->owner[k] == owner ? -2 : m->pend[k];
            continue;
        }
        m->pend[k] = b->ops[i].kind == PZ_ENGINE_PUT
                         ? t_val_index(b->ops[i].value, b->ops[i].value_len)
                         : -1;
        m->owner[k] = owner;
    }
}

static size_t t_model_pend_len(const t_model_t *m)
{
    size_t n = 0;
    for (size_t i = 0; i < T_NK; i++) {
        n += m->pend[i] != -2;
    }
    return n;
}

/* Commits a batch to the engine and to the model's engine. */
static void t_engine_commit(st_env_t *env, t_model_t *m, const t_batch_t *b)
{
    pz_engine_batch_t eb = {.ops = b->ops, .ops_len = b->n};
    assert_int_equal(pz_engine_commit(&env->eng, &eb, false), 0);
    for (size_t i = 0; i < b->n; i++) {
        int k = t_key_index(b->ops[i].key, b->ops[i].key_len);
        m->eng[k] = b->ops[i].kind == PZ_ENGINE_PUT
                        ? t_val_index(b->ops[i].value, b->ops[i].value_len)
                        : -1;
    }
}

/* A random batch over the alphabet; values from first_val on (engine values are non-empty). */
static void t_batch_random(uint64_t *seed, t_batch_t *b, size_t n, unsigned first_val)
{
    b->n = n;
    for (size_t i = 0; i < n; i++) {
        t_bytes_t k = t_keys[t_below(seed, T_NK)];
        bool put = t_below(seed, 3) != 0;
        unsigned v = first_val + t_below(seed, (unsigned)T_NV - first_val);
        b->ops[i] = t_op(put ? PZ_ENGINE_PUT : PZ_ENGINE_DEL, k, t_vals[v]);
    }
}

/* The engine gets a fresh random state in one commit (each costs an fdatasync, even
 * non-durable: lmdb_commit.c): every key put (an engine value) or deleted. */
static void t_engine_random(st_env_t *env, t_model_t *m, uint64_t *seed)
{
    pz_engine_op_t ops[T_NK];
    for (size_t i = 0; i < T_NK; i++) {
        bool put = t_below(seed, 3) != 0;
        ops[i] = t_op(put ? PZ_ENGINE_PUT : PZ_ENGINE_DEL, t_keys[i], t_vals[t_below(seed, 3)]);
        m->eng[i] = put ? t_val_index(ops[i].value, ops[i].value_len) : -1;
    }
    pz_engine_batch_t eb = {.ops = ops, .ops_len = T_NK};
    assert_int_equal(pz_engine_commit(&env->eng, &eb, false), 0);
}

static void t_expect_get(pz_eng_snap_t *snap, const t_entry_t *view, size_t n, t_bytes_t probe)
{
    if (probe.n == 0) {
        return; /* keys are never empty */
    }
    const uint8_t *val = NULL;
    size_t val_len = 0;
    int rc = pz_engine_get(snap, (const uint8_t *)probe.b, probe.n, &val, &val_len);
    int k = t_key_index((const uint8_t *)probe.b, probe.n);
    for (size_t i = 0; i < n; i++) {
        if (view[i].k == k) {
            T_EXPECT(rc == 0);
            T_EXPECT(t_val_index(val, val_len) == view[i].v);
            return;
        }
    }
    T_EXPECT(rc == PZ_ENOTFOUND);
}

/* The iterator is where the model's position says (pos outside [0, n): invalid). */
static void t_expect_at(const pz_eng_iter_t *it, const t_entry_t *view, size_t n, long pos)
{
    if (pos < 0 || (size_t)pos >= n) {
        T_EXPECT(!pz_engine_iter_valid(it));
        return;
    }
    T_EXPECT(pz_engine_iter_valid(it));
    const uint8_t *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    pz_engine_iter_key(it, &k, &kl);
    pz_engine_iter_value(it, &v, &vl);
    T_EXPECT(t_key_index(k, kl) == view[pos].k);
    T_EXPECT(t_val_index(v, vl) == view[pos].v);
    t_pend_served += view[pos].v >= 3; /* values 3.. are only ever written by pending batches */
}

/* The model's seek: the first entry >= probe (ge) or the last < probe (lt; empty: the last). */
static long t_model_seek(const t_entry_t *view, size_t n, t_bytes_t probe, bool ge)
{
    long pos = ge ? (long)n : -1;
    for (size_t i = 0; i < n; i++) {
        const t_bytes_t *k = &t_keys[view[i].k];
        int c = t_cmp((const uint8_t *)k->b, k->n, (const uint8_t *)probe.b, probe.n);
        if (ge && c >= 0) {
            return (long)i;
        }
        if (!ge && (c < 0 || probe.n == 0)) {
            pos = (long)i;
        }
    }
    return pos;
}

/* A seek then up to T_WALK_MAX moves: mode 0 all next, 1 all prev, 2 random turns. */
static void t_walk(pz_eng_iter_t *it, const t_entry_t *view, size_t n, uint64_t *seed)
{
    t_bytes_t probe =
        t_below(seed, 2) ? t_probes[t_below(seed, T_NP)] : t_keys[t_below(seed, T_NK)];
    bool ge = t_below(seed, 2) != 0;
    unsigned mode = t_below(seed, 3);
    const uint8_t *pk = probe.n ? (const uint8_t *)probe.b : NULL;
    int rc = ge ? pz_engine_iter_seek_ge(it, pk, probe.n) : pz_engine_iter_seek_lt(it, pk, probe.n);
    T_EXPECT(rc == 0);
    long pos = t_model_seek(view, n, probe, ge);
    t_expect_at(it, view, n, pos);
    bool was_next = ge;
    for (int step = 0; step < T_WALK_MAX && pos >= 0 && (size_t)pos < n; step++) {
        bool next = mode == 0 || (mode == 2 && t_below(seed, 2) != 0);
        t_turns += next != was_next;
        was_next = next;
        rc = next ? pz_engine_iter_next(it) : pz_engine_iter_prev(it);
        T_EXPECT(rc == 0);
        pos += next ? 1 : -1;
        t_expect_at(it, view, n, pos);
    }
}

/* Reads and walks a fresh snapshot of the engine with the table over it. */
static void t_check_view(st_env_t *env, const pz__pend_t *p, const t_model_t *m, uint64_t *seed)
{
    t_entry_t view[T_NK];
    size_t n = t_view(m, view);
    T_EXPECT(pz__pend_len(p) == t_model_pend_len(m));
    pz_eng_snap_t snap = {0};
    assert_int_equal(pz_engine_snap_open(&env->eng, &snap), 0);
    pz_engine_snap_set_pending(&snap, p);
    pz_eng_iter_t it = {0};
    assert_int_equal(pz_engine_iter_open(&snap, &it), 0);
    for (int i = 0; i < T_CHECKS; i++) {
        if (t_below(seed, 4) == 0) {
            t_expect_get(&snap, view, n,
                         t_below(seed, 2) ? t_probes[t_below(seed, T_NP)]
                                          : t_keys[t_below(seed, T_NK)]);
        } else {
            t_walk(&it, view, n, seed);
        }
    }
    /* Every key and every probe is read once per view, whatever the dice said. */
    for (size_t i = 0; i < T_NK; i++) {
        t_expect_get(&snap, view, n, t_keys[i]);
    }
    pz_engine_iter_close(&it);
    pz_engine_snap_close(&snap);
}

/* Queued batches reach the engine in order and leave the table: the view never changes. */
static void t_commit_in_order(st_env_t *env, pz__pend_t *p, t_model_t *m, t_batch_t *b, size_t nb,
                              uint64_t *seed)
{
    t_entry_t before[T_NK], after[T_NK];
    size_t n = t_view(m, before);
    for (size_t j = 0; j < nb; j++) {
        t_engine_commit(env, m, &b[j]);
        pz__pend_drop(p, b[j].ops, b[j].n, &b[j]);
        t_model_apply_pend(m, &b[j], &b[j], true);
        T_EXPECT(t_view(m, after) == n && memcmp(before, after, n * sizeof after[0]) == 0);
        t_check_view(env, p, m, seed);
    }
    T_EXPECT(pz__pend_len(p) == 0);
}

/* Drops a random subset of the owners in a random order (the table's contract allows any). */
static void t_drop_random(st_env_t *env, pz__pend_t *p, t_model_t *m, t_batch_t *b, size_t nb,
                          uint64_t *seed)
{
    for (size_t left = nb; left > 0; left--) {
        size_t j = t_below(seed, (unsigned)nb);
        if (t_below(seed, 3) == 0) {
            continue;
        }
        pz__pend_drop(p, b[j].ops, b[j].n, &b[j]);
        t_model_apply_pend(m, &b[j], &b[j], true);
        t_check_view(env, p, m, seed);
    }
}

static void t_model_round(st_env_t *env, t_model_t *m, uint64_t *seed, int round)
{
    t_engine_random(env, m, seed);
    for (size_t i = 0; i < T_NK; i++) {
        m->pend[i] = -2;
        m->owner[i] = NULL;
    }
    pz__pend_t *p = pz__pend_new();
    assert_non_null(p);
    t_check_view(env, p, m, seed); /* empty: the engine alone */
    t_batch_t b[T_BATCHES_MAX];
    size_t nb = 1 + t_below(seed, T_BATCHES_MAX);
    for (size_t j = 0; j < nb; j++) {
        size_t used = strlen(t_where);
        snprintf(t_where + used, sizeof t_where - used, " b%u", (unsigned)j);
        t_batch_random(seed, &b[j], 1 + t_below(seed, T_OPS_MAX), 3);
        assert_int_equal(pz__pend_add(p, b[j].ops, b[j].n, &b[j]), 0);
        t_model_apply_pend(m, &b[j], &b[j], false);
        t_check_view(env, p, m, seed);
    }
    if (round % 2 == 0) {
        t_commit_in_order(env, p, m, b, nb, seed);
    } else {
        t_drop_random(env, p, m, b, nb, seed);
    }
    pz__pend_clear(p);
    for (size_t i = 0; i < T_NK; i++) {
        m->pend[i] = -2;
    }
    t_check_view(env, p, m, seed);
    pz__pend_destroy(&p);
}

static void test_merged_view_matches_model(void **state)
{
    (void)state;
    for (size_t i = 1; i < T_NK; i++) {
        const t_bytes_t *a = &t_keys[i - 1], *b = &t_keys[i];
        assert_true(t_cmp((const uint8_t *)a->b, a->n, (const uint8_t *)b->b, b->n) < 0);
        assert_true(pz__pend_key_cmp((const uint8_t *)a->b, a->n, (const uint8_t *)b->b, b->n) < 0);
    }
    t_turns = t_pend_served = 0;
    static const uint64_t seeds[] = {1, 0x5EED5EED5EEDull};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        st_env_t env;
        st_env_open(&env, 0, 0);
        t_model_t m;
        memset(&m, 0, sizeof m);
        for (size_t i = 0; i < T_NK; i++) {
            m.eng[i] = -1;
        }
        uint64_t seed = seeds[s];
        for (int round = 0; round < T_ROUNDS; round++) {
            snprintf(t_where, sizeof t_where, "seed %#llx round %d", (unsigned long long)seeds[s],
                     round);
            t_model_round(&env, &m, &seed, round);
        }
        st_env_close(&env);
    }
    assert_true(t_turns > 1000 && t_pend_served > 1000);
}

/* Both iterators are at the same entry (or both invalid). */
static void t_expect_same(const pz_eng_iter_t *a, const pz_eng_iter_t *b)
{
    T_EXPECT(pz_engine_iter_valid(a) == pz_engine_iter_valid(b));
    if (!pz_engine_iter_valid(a)) {
        return;
    }
    const uint8_t *ak, *bk, *av, *bv;
    size_t akl, bkl, avl, bvl;
    pz_engine_iter_key(a, &ak, &akl);
    pz_engine_iter_key(b, &bk, &bkl);
    pz_engine_iter_value(a, &av, &avl);
    pz_engine_iter_value(b, &bv, &bvl);
    T_EXPECT(t_cmp(ak, akl, bk, bkl) == 0 && t_cmp(av, avl, bv, bvl) == 0);
}

/* Drives an iterator over no table and one over the (empty) table p in lockstep. */
static void t_lockstep(st_env_t *env, const pz__pend_t *p, uint64_t *seed)
{
    pz_eng_snap_t snap = {0};
    assert_int_equal(pz_engine_snap_open(&env->eng, &snap), 0);
    pz_eng_iter_t plain = {0}, merged = {0};
    assert_int_equal(pz_engine_iter_open(&snap, &plain), 0);
    pz_engine_snap_set_pending(&snap, p);
    assert_int_equal(pz_engine_iter_open(&snap, &merged), 0);
    for (int i = 0; i < 200; i++) {
        t_bytes_t probe = t_probes[t_below(seed, T_NP)];
        const uint8_t *pk = probe.n ? (const uint8_t *)probe.b : NULL;
        if (t_below(seed, 2)) {
            T_EXPECT(pz_engine_iter_seek_ge(&plain, pk, probe.n) ==
                     pz_engine_iter_seek_ge(&merged, pk, probe.n));
        } else {
            T_EXPECT(pz_engine_iter_seek_lt(&plain, pk, probe.n) ==
                     pz_engine_iter_seek_lt(&merged, pk, probe.n));
        }
        t_expect_same(&plain, &merged);
        while (pz_engine_iter_valid(&plain) && t_below(seed, 8) != 0) {
            if (t_below(seed, 2)) {
                T_EXPECT(pz_engine_iter_next(&plain) == pz_engine_iter_next(&merged));
            } else {
                T_EXPECT(pz_engine_iter_prev(&plain) == pz_engine_iter_prev(&merged));
            }
            t_expect_same(&plain, &merged);
        }
    }
    /* Point reads: the same answer with the table and without. */
    for (size_t i = 0; i < T_NK; i++) {
        const uint8_t *k = (const uint8_t *)t_keys[i].b, *v1 = NULL, *v2 = NULL;
        size_t l1 = 0, l2 = 0;
        pz_engine_snap_set_pending(&snap, NULL);
        int rc1 = pz_engine_get(&snap, k, t_keys[i].n, &v1, &l1);
        pz_engine_snap_set_pending(&snap, p);
        int rc2 = pz_engine_get(&snap, k, t_keys[i].n, &v2, &l2);
        T_EXPECT(rc1 == rc2 && (rc1 != 0 || t_cmp(v1, l1, v2, l2) == 0));
    }
    pz_engine_iter_close(&merged);
    pz_engine_iter_close(&plain);
    pz_engine_snap_close(&snap);
}

static void test_empty_table_is_no_table(void **state)
{
    (void)state;
    st_env_t env;
    st_env_open(&env, 0, 0);
    t_model_t m;
    memset(&m, 0, sizeof m);
    uint64_t seed = 0xE3E3;
    pz__pend_t *p = pz__pend_new();
    for (int round = 0; round < 20; round++) {
        snprintf(t_where, sizeof t_where, "empty table round %d", round);
        t_engine_random(&env, &m, &seed);
        if (round % 2 == 1) {
            /* Emptied by drops rather than fresh: towers were built and taken down. */
            t_batch_t b;
            t_batch_random(&seed, &b, T_OPS_MAX, 3);
            assert_int_equal(pz__pend_add(p, b.ops, b.n, &b), 0);
            assert_true(pz__pend_len(p) > 0);
            pz__pend_drop(p, b.ops, b.n, &b);
        }
        assert_int_equal(pz__pend_len(p), 0);
        t_lockstep(&env, p, &seed);
    }
    pz__pend_destroy(&p);
    st_env_close(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_later_op_in_a_batch_wins),
        cmocka_unit_test(test_owners_replace_and_drop),
        cmocka_unit_test(test_clear_and_reuse),
        cmocka_unit_test(test_del_range_refuses_the_batch),
        cmocka_unit_test(test_seek_boundaries),
        cmocka_unit_test(test_big_random_set),
        cmocka_unit_test(test_merged_view_matches_model),
        cmocka_unit_test(test_empty_table_is_no_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
