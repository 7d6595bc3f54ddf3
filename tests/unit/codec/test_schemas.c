/*
 * test_schemas.c — proves that every message type in PZ_MSGTYPES survives the full wire path
 * (schema encoder -> pz_out -> body buffer + envelope -> pz__msg_new -> pz_msg_decode) equal to
 * what was sent, for many random values (fill_random with 64 seeds each); that the codec.h
 * versioning rule holds (an older sender's missing trailing fields decode as zeros, a newer
 * sender's extra trailing fields, of any shape, are ignored, at the top level and nested); that
 * range descriptors round-trip through pz_range_desc_pack/unpack; and that the type and op
 * tables answer for every row and refuse anything else.
 *
 * How: the round-trip tests are generated from the PZ_MSGTYPES X-macro, so a new row gets its
 * test without an edit here. Older and newer encodings are packed by hand with msgpack-c.
 */
#include "codec_test.h"

#define S_SEEDS 64

/* One round-trip test per message type, from the type table. */
#define S_ROUNDTRIP_(name, id, ver, schema)                                                        \
    static void test_roundtrip_##name(void **state)                                                \
    {                                                                                              \
        (void)state;                                                                               \
        size_t longest = 0;                                                                        \
        for (uint64_t s = 0; s < S_SEEDS; s++) {                                                   \
            pz_arena_t *a = pz_arena_new();                                                        \
            assert_non_null(a);                                                                    \
            uint64_t seed = s * 0x51ED27ull;                                                       \
            schema##_t in, out;                                                                    \
            schema##_fill_random(&in, a, &seed, 0);                                                \
            pz_out_t *o = NULL;                                                                    \
            assert_int_equal(schema##_to_out(&in, PZ_MSG_##name, &o), 0);                          \
            assert_int_equal(pz_out_type(o), PZ_MSG_##name);                                       \
            longest = pz_out_len(o) > longest ? pz_out_len(o) : longest;                           \
            pz_msg_t *m = t_receive(&o, 0, s + 1);                                                 \
            assert_null(o);                                                                        \
            assert_int_equal(pz_msg_type(m), PZ_MSG_##name);                                       \
            assert_int_equal(pz_msg_corr(m), s + 1);                                               \
            assert_int_equal(pz_msg_envelope(m)->type_version, ver);                               \
            assert_int_equal(schema##_from_msg(m, PZ_MSG_##name, &out), 0);                        \
            assert_true(schema##_eq(&in, &out));                                                   \
            /* A second decode of the same message gives the same value. */                        \
            assert_int_equal(schema##_from_msg(m, PZ_MSG_##name, &out), 0);                        \
            assert_true(schema##_eq(&in, &out));                                                   \
            pz_msg_free(&m);                                                                       \
            assert_null(m);                                                                        \
            pz_arena_destroy(&a);                                                                  \
        }                                                                                          \
        assert_true(longest > 8); /* the random values were not all trivial */                     \
    }
PZ_MSGTYPES(S_ROUNDTRIP_)
#undef S_ROUNDTRIP_

/* _eq must see a difference, or the round trips above prove nothing. */
static void test_eq_detects_change(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    uint64_t seed = 42;
    pz_kv_batch_resp_t x, y;
    int differing = 0;
    for (int i = 0; i < 32; i++) {
        pz_kv_batch_resp_fill_random(&x, a, &seed, 0);
        y = x;
        assert_true(pz_kv_batch_resp_eq(&x, &y));
        y.ts.logical ^= 1;
        assert_false(pz_kv_batch_resp_eq(&x, &y));
        y = x;
        y.error.message.len = x.error.message.len + 1;
        assert_false(pz_kv_batch_resp_eq(&x, &y));
        pz_kv_batch_resp_t z;
        pz_kv_batch_resp_fill_random(&z, a, &seed, 0);
        differing += !pz_kv_batch_resp_eq(&x, &z);
    }
    assert_true(differing >= 31);
    pz_arena_destroy(&a);
}

/* Decoded views point into the received body: no copies, and they die with the message. */
static void test_views_point_into_body(void **state)
{
    (void)state;
    uint8_t payload[] = {1, 0, 2, 0xff};
    pz_ping_t in = {.seq = 7, .payload = {payload, sizeof payload}}, out;
    pz_out_t *o = NULL;
    assert_int_equal(pz_ping_to_out(&in, PZ_MSG_PING, &o), 0);
    pz_msg_t *m = t_receive(&o, 0, 1);
    assert_int_equal(pz_ping_from_msg(m, PZ_MSG_PING, &out), 0);
    pz_view_t body = pz_msg_body(m);
    assert_true(out.payload.ptr >= body.ptr && out.payload.ptr + 4 <= body.ptr + body.len);
    assert_memory_equal(out.payload.ptr, payload, sizeof payload);
    assert_int_equal(out.seq, 7);
    pz_msg_free(&m);
}

static void s_pack_bin(msgpack_packer *pk, const char *s)
{
    msgpack_pack_bin(pk, strlen(s));
    msgpack_pack_bin_body(pk, s, strlen(s));
}

static int s_decode_req(const msgpack_sbuffer *sb, pz_kv_req_t *r, pz_arena_t *a)
{
    msgpack_unpacked u;
    int rc = pz__unpack((const uint8_t *)sb->data, sb->size, &u);
    if (rc == 0) {
        rc = pz_kv_req_decode(&u.data, r, a, 0);
    }
    msgpack_unpacked_destroy(&u);
    return rc;
}

/* An older sender (fewer trailing fields): the missing ones are zero. */
static void test_older_sender_fields_zero(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint8(&pk, PZ_KV_PUT);
    s_pack_bin(&pk, "k1");
    pz_kv_req_t r;
    memset(&r, 0xab, sizeof r); /* the decoder must overwrite every field */
    assert_int_equal(s_decode_req(&sb, &r, a), 0);
    assert_int_equal(r.op, PZ_KV_PUT);
    assert_true(pz_view_eq(r.key, pz_view_str("k1")));
    assert_int_equal(r.end_key.len, 0);
    assert_int_equal(r.value.len, 0);
    assert_int_equal(r.exp_value.len, 0);
    assert_false(r.exp_exists);
    assert_int_equal(r.limit, 0);

    /* The oldest possible sender: an empty struct. */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 0);
    assert_int_equal(s_decode_req(&sb, &r, a), 0);
    assert_int_equal(r.op, 0);
    assert_int_equal(r.key.len, 0);
    msgpack_sbuffer_destroy(&sb);
    pz_arena_destroy(&a);
}

/* A newer sender (extra trailing fields of any shape): they are ignored. */
static void test_newer_sender_fields_ignored(void **state)
{
    (void)state;
    pz_arena_t *a = pz_arena_new();
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 9 + 4);
    msgpack_pack_uint8(&pk, PZ_KV_CPUT);
    s_pack_bin(&pk, "key");
    s_pack_bin(&pk, "end");
    s_pack_bin(&pk, "val");
    s_pack_bin(&pk, "exp");
    msgpack_pack_true(&pk);
    msgpack_pack_uint32(&pk, 99);
    msgpack_pack_uint8(&pk, PZ_LOCK_EXCLUSIVE);
    msgpack_pack_nil(&pk);    /* no ext */
    msgpack_pack_str(&pk, 6); /* the future: a string, a nested array with a map, nil, -1 */
    msgpack_pack_str_body(&pk, "future", 6);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_nil(&pk);
    msgpack_pack_double(&pk, 2.5);
    msgpack_pack_nil(&pk);
    msgpack_pack_int(&pk, -1);
    pz_kv_req_t r;
    assert_int_equal(s_decode_req(&sb, &r, a), 0);
    assert_int_equal(r.op, PZ_KV_CPUT);
    assert_true(pz_view_eq(r.key, pz_view_str("key")));
    assert_true(pz_view_eq(r.end_key, pz_view_str("end")));
    assert_true(pz_view_eq(r.value, pz_view_str("val")));
    assert_true(pz_view_eq(r.exp_value, pz_view_str("exp")));
    assert_true(r.exp_exists);
    assert_int_equal(r.limit, 99);
    assert_int_equal(r.lock, PZ_LOCK_EXCLUSIVE);
    assert_false(r.has_ext);
    msgpack_sbuffer_destroy(&sb);
    pz_arena_destroy(&a);
}

/* The rule holds nested and through the message path: a batch whose header is older (only ts)
 * and whose requests are newer, plus an extra top-level field. */
static void test_mixed_versions_nested(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3); /* batch: header, reqs, future */
    msgpack_pack_array(&pk, 1); /* header: ts only */
    msgpack_pack_array(&pk, 3); /* hlc with one extra field */
    msgpack_pack_uint64(&pk, 1000);
    msgpack_pack_uint32(&pk, 2);
    msgpack_pack_str(&pk, 0);
    msgpack_pack_array(&pk, 2); /* reqs */
    for (int i = 0; i < 2; i++) {
        msgpack_pack_array(&pk, 10);
        msgpack_pack_uint8(&pk, PZ_KV_GET);
        s_pack_bin(&pk, i ? "b" : "a");
        for (int f = 0; f < 3; f++) {
            s_pack_bin(&pk, "");
        }
        msgpack_pack_false(&pk);
        msgpack_pack_uint32(&pk, 0);
        msgpack_pack_uint8(&pk, 0);
        msgpack_pack_nil(&pk);
        msgpack_pack_uint64(&pk, UINT64_MAX); /* field 10, unknown */
    }
    msgpack_pack_map(&pk, 0);
    pz_msg_t *m = NULL;
    assert_int_equal(t_receive_bytes(PZ_MSG_KV_BATCH, 0, (const uint8_t *)sb.data, sb.size, &m), 0);
    pz_kv_batch_t b;
    assert_int_equal(pz_kv_batch_from_msg(m, PZ_MSG_KV_BATCH, &b), 0);
    assert_int_equal(b.header.ts.wall, 1000);
    assert_int_equal(b.header.ts.logical, 2);
    assert_int_equal(b.header.range_id, 0);
    assert_false(b.header.has_txn);
    assert_false(b.header.durable);
    assert_int_equal(b.header.gateway.len, 0);
    assert_int_equal(b.reqs_len, 2);
    assert_true(pz_view_eq(b.reqs[1].key, pz_view_str("b")));
    assert_int_equal(b.reqs[0].op, PZ_KV_GET);
    pz_msg_free(&m);
    msgpack_sbuffer_destroy(&sb);
}

static void test_range_desc_pack_unpack(void **state)
{
    (void)state;
    for (uint64_t s = 0; s < S_SEEDS; s++) {
        pz_arena_t *a = pz_arena_new();
        uint64_t seed = s;
        pz_range_desc_t in, out;
        pz_range_desc_fill_random(&in, a, &seed, 0);
        uint8_t *buf = NULL;
        size_t len = 0;
        assert_int_equal(pz_range_desc_pack(&in, &buf, &len), 0);
        assert_non_null(buf);
        assert_int_equal(pz_range_desc_unpack(buf, len, a, &out), 0);
        assert_true(pz_range_desc_eq(&in, &out));
        if (out.start_key.len > 0) {
            assert_true(out.start_key.ptr >= buf && out.start_key.ptr < buf + len);
        }
        for (size_t cut = 0; cut < len; cut++) {
            assert_int_equal(pz_range_desc_unpack(buf, cut, a, &out), PZ_EPROTO);
        }
        free(buf);
        pz_arena_destroy(&a);
    }
}

static void test_type_table(void **state)
{
    (void)state;
    int rows = 0;
#define S_CHECK_(name, id, ver, schema)                                                            \
    assert_string_equal(pz_msg_type_name(id), #name);                                              \
    assert_int_equal(pz_msg_type_version(id), ver);                                                \
    assert_int_equal(PZ_MSG_##name, id);                                                           \
    rows++;
    PZ_MSGTYPES(S_CHECK_)
#undef S_CHECK_
    assert_int_equal(rows, 9);
    int known = 0;
    for (uint32_t t = 0; t <= UINT16_MAX; t++) {
        known += pz_msg_type_name((uint16_t)t) != NULL;
        assert_true((pz_msg_type_name((uint16_t)t) != NULL) ==
                    (pz_msg_type_version((uint16_t)t) != 0));
    }
    assert_int_equal(known, rows); /* ids are distinct, nothing else is known */
}

static void test_kv_ops(void **state)
{
    (void)state;
    assert_string_equal(pz_kv_op_name(PZ_KV_GET), "GET");
    assert_string_equal(pz_kv_op_name(PZ_KV_DEL_RANGE), "DEL_RANGE");
    assert_string_equal(pz_kv_op_name(PZ_KV_RSCAN), "RSCAN");
    assert_null(pz_kv_op_name(0));
    assert_string_equal(pz_kv_op_name(PZ_KV_END_TXN), "END_TXN");
    assert_string_equal(pz_kv_op_name(PZ_KV_SPLIT), "SPLIT");
    assert_null(pz_kv_op_name(16));
    assert_null(pz_kv_op_name(255));
    uint8_t writes[] = {PZ_KV_PUT, PZ_KV_CPUT, PZ_KV_DEL, PZ_KV_DEL_RANGE};
    uint8_t spans[] = {PZ_KV_DEL_RANGE, PZ_KV_SCAN, PZ_KV_RSCAN, PZ_KV_GC};
    uint8_t txns[] = {PZ_KV_HEARTBEAT_TXN, PZ_KV_END_TXN, PZ_KV_PUSH_TXN, PZ_KV_QUERY_TXN};
    int nw = 0, ns = 0, nt = 0;
    for (int op = 0; op < 256; op++) {
        nw += pz_kv_op_is_write((uint8_t)op);
        ns += pz_kv_op_is_span((uint8_t)op);
        nt += pz_kv_op_is_txn((uint8_t)op);
    }
    assert_int_equal(nw, 4);
    assert_int_equal(ns, 4);
    assert_int_equal(nt, 4);
    for (size_t i = 0; i < sizeof txns; i++) {
        assert_true(pz_kv_op_is_txn(txns[i]));
    }
    pz_kv_req_t q = {.op = PZ_KV_RESOLVE, .key = pz_view_str("a")};
    assert_false(pz_kv_req_is_span(&q));
    q.end_key = pz_view_str("b");
    assert_true(pz_kv_req_is_span(&q));
    q.op = PZ_KV_GET;
    assert_false(pz_kv_req_is_span(&q));
    for (size_t i = 0; i < sizeof writes; i++) {
        assert_true(pz_kv_op_is_write(writes[i]));
    }
    for (size_t i = 0; i < sizeof spans; i++) {
        assert_true(pz_kv_op_is_span(spans[i]));
    }
    assert_false(pz_kv_op_is_write(PZ_KV_GET));
    assert_false(pz_kv_op_is_span(PZ_KV_GET));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define S_TEST_(name, id, ver, schema) cmocka_unit_test(test_roundtrip_##name),
        PZ_MSGTYPES(S_TEST_)
#undef S_TEST_
            cmocka_unit_test(test_eq_detects_change),
        cmocka_unit_test(test_views_point_into_body),
        cmocka_unit_test(test_older_sender_fields_zero),
        cmocka_unit_test(test_newer_sender_fields_ignored),
        cmocka_unit_test(test_mixed_versions_nested),
        cmocka_unit_test(test_range_desc_pack_unpack),
        cmocka_unit_test(test_type_table),
        cmocka_unit_test(test_kv_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
