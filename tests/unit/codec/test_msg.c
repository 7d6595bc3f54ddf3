/*
 * test_msg.c — proves the message objects keep their contracts: pz_out builds a body the kernel
 * can detach and free() (empty bodies too) and refuses to grow past PZ_MSG_BODY_BYTES_MAX;
 * pz__msg_new takes the body only on success and a message releases it exactly once;
 * pz_msg_decode refuses a type mismatch with PZ_EUNKNOWN_TYPE (and an error reply read as
 * anything but an error) and bad bytes with PZ_EPROTO; pz_msg_error returns the code and a
 * NUL-terminated copy of the text for error replies, 0 for others, and PZ_EPROTO for a
 * malformed error body or a code that is not negative.
 *
 * How: messages built as the kernel builds them (codec_test.h), body release counted through a
 * body_free hook.
 */
#include "codec_test.h"

static int s_released;

static void s_count_free(void *hint)
{
    s_released++;
    free(hint);
}

static void test_out_basics(void **state)
{
    (void)state;
    pz_out_t *o = pz_out_new(PZ_MSG_PING);
    assert_non_null(o);
    assert_int_equal(pz_out_type(o), PZ_MSG_PING);
    assert_int_equal(pz_out_len(o), 0);
    size_t len = 99;
    uint8_t *b = pz__out_take(o, &len); /* an empty body is a real buffer */
    assert_non_null(b);
    assert_int_equal(len, 0);
    free(b);
    assert_int_equal(msgpack_pack_array(pz_out_packer(o), 0), 0);
    assert_int_equal(pz_out_len(o), 1);
    b = pz__out_take(o, &len);
    assert_int_equal(len, 1);
    assert_int_equal(b[0], 0x90);
    assert_int_equal(pz_out_len(o), 0); /* detached */
    free(b);
    pz_out_free(&o);
    assert_null(o);
    pz_out_free(&o); /* NULL-safe */
    pz_out_free(NULL);
}

static void test_out_bounded(void **state)
{
    (void)state;
    pz_out_t *o = pz_out_new(PZ_MSG_PING);
    msgpack_packer *pk = pz_out_packer(o);
    size_t n = PZ_MSG_BODY_BYTES_MAX - 5; /* bin32 header is 5 bytes: exactly the maximum */
    uint8_t *big = calloc(1, n + 1);
    assert_non_null(big);
    assert_int_equal(msgpack_pack_bin_with_body(pk, big, n), 0);
    assert_int_equal(pz_out_len(o), PZ_MSG_BODY_BYTES_MAX);
    assert_int_not_equal(msgpack_pack_nil(pk), 0);
    pz_out_free(&o);
    /* Through a schema encoder: the failure surfaces as an error, no partial message. */
    pz_ping_t p = {.seq = 1, .payload = {big, (uint32_t)n + 1}};
    assert_int_not_equal(pz_ping_to_out(&p, PZ_MSG_PING, &o), 0);
    assert_null(o);
    free(big);
}

/* A small body stays inline and is never handed over; one past the inline bytes lives in a heap
 * buffer that takes the envelope in front of it, after which the message's body is empty. The
 * body bytes survive the move to the heap and the framing exactly. */
static void test_out_framed(void **state)
{
    (void)state;
    static const uint8_t head[] = {1, 2, 3, 4, 5};
    uint8_t *frame = NULL, pattern[4096];
    size_t flen = 0, blen = 0;
    void *block = NULL;
    for (size_t i = 0; i < sizeof pattern; i++) {
        pattern[i] = (uint8_t)(i * 7 + 1);
    }
    pz_out_t *o = pz_out_new(PZ_MSG_PING);
    assert_int_equal(msgpack_pack_bin_with_body(pz_out_packer(o), pattern, 100), 0);
    assert_false(pz__out_take_framed(o, head, sizeof head, &frame, &flen, &block));
    assert_int_equal(pz_out_len(o), 102); /* unchanged: the caller copies it */
    const uint8_t *b = pz__out_body(o, &blen);
    assert_int_equal(blen, 102);
    assert_memory_equal(b + 2, pattern, 100);
    /* Grow past the inline bytes in several writes: the first ones move to the heap. */
    for (int i = 0; i < 8; i++) {
        assert_int_equal(msgpack_pack_bin_with_body(pz_out_packer(o), pattern, 1000), 0);
    }
    size_t total = 102 + 8 * 1003;
    assert_int_equal(pz_out_len(o), total);
    assert_false(pz__out_take_framed(o, head, PZ_ENVELOPE_BYTES_MAX + 1, &frame, &flen, &block));
    assert_true(pz__out_take_framed(o, head, sizeof head, &frame, &flen, &block));
    assert_int_equal(flen, sizeof head + total);
    assert_memory_equal(frame, head, sizeof head);
    assert_memory_equal(frame + sizeof head + 2, pattern, 100);
    for (int i = 0; i < 8; i++) {
        assert_memory_equal(frame + sizeof head + 102 + (size_t)i * 1003 + 3, pattern, 1000);
    }
    assert_int_equal(pz_out_len(o), 0);
    free(block);
    pz_out_free(&o);
}

/* A one-frame message: the envelope's declared length splits envelope from body; a frame
 * shorter than that, or a bad envelope, builds nothing and takes nothing. */
static void test_msg_frame(void **state)
{
    (void)state;
    uint8_t frame[PZ_ENVELOPE_BYTES_MAX + 8];
    size_t env_len = t_envelope(PZ_MSG_PING, PZ_MSGF_REPLY, 77, frame);
    assert_int_equal(pz_envelope_len(frame, env_len), env_len);
    assert_int_equal(pz_envelope_len(frame, 31), 0);
    frame[env_len] = 0x91;
    frame[env_len + 1] = 0x07;
    s_released = 0;
    void *hold = NULL;
    pz_msg_t *m = pz__msg_alloc(64, &hold);
    assert_non_null(m);
    assert_int_equal((uintptr_t)hold % 16, 0);
    memset(hold, 0xab, 64); /* the hold is the caller's: writing all of it is allowed */
    for (size_t cut = 0; cut < env_len; cut++) {
        assert_int_equal(pz__msg_init_frame(m, frame, cut, s_count_free, NULL), PZ_EPROTO);
    }
    frame[0] ^= 0xff; /* bad magic */
    assert_int_equal(pz__msg_init_frame(m, frame, env_len + 2, s_count_free, NULL), PZ_EPROTO);
    frame[0] ^= 0xff;
    assert_int_equal(s_released, 0);
    uint8_t *keep = malloc(1);
    assert_int_equal(pz__msg_init_frame(m, frame, env_len + 2, s_count_free, keep), 0);
    assert_int_equal(pz_msg_corr(m), 77);
    assert_true(pz_msg_is_reply(m));
    assert_ptr_equal(pz_msg_body(m).ptr, frame + env_len);
    assert_int_equal(pz_msg_body(m).len, 2);
    pz_ping_t p;
    /* [7]: a ping of seq 7 (fields missing at the end take their defaults) */
    assert_int_equal(pz_ping_from_msg(m, PZ_MSG_PING, &p), 0);
    assert_int_equal(p.seq, 7);
    pz_msg_free(&m);
    assert_int_equal(s_released, 1);
    m = pz__msg_alloc(0, NULL);
    assert_non_null(m);
    pz__msg_discard(m);
}

static void test_body_ownership(void **state)
{
    (void)state;
    uint8_t env[PZ_ENVELOPE_BYTES_MAX];
    size_t env_len = t_envelope(PZ_MSG_PING, 0, 5, env);
    uint8_t *body = malloc(1);
    body[0] = 0x90;
    pz_msg_t *m = NULL;
    s_released = 0;
    /* A bad envelope: no message, the body stays the caller's. */
    assert_int_equal(pz__msg_new(env, env_len - 1, body, 1, s_count_free, body, &m), PZ_EPROTO);
    assert_null(m);
    assert_int_equal(s_released, 0);
    assert_int_equal(pz__msg_new(env, env_len, body, 1, s_count_free, body, &m), 0);
    assert_int_equal(pz_msg_corr(m), 5);
    assert_false(pz_msg_is_reply(m));
    assert_string_equal(pz_msg_sender(m), "test.from@tcp://127.0.0.1:26357");
    assert_string_equal(pz_msg_envelope(m)->to, "test.to");
    assert_ptr_equal(pz_msg_body(m).ptr, body);
    assert_int_equal(pz_msg_body(m).len, 1);
    assert_non_null(pz_msg_arena(m));
    assert_ptr_equal(pz_msg_arena(m), pz_msg_arena(m));
    pz_msg_free(&m);
    assert_null(m);
    assert_int_equal(s_released, 1);
    pz_msg_free(&m);
    pz_msg_free(NULL);
    assert_int_equal(s_released, 1);
}

static void test_decode_type_checks(void **state)
{
    (void)state;
    pz_ping_t p = {.seq = 3, .payload = pz_view_str("hi")}, q;
    pz_out_t *o = NULL;
    assert_int_equal(pz_ping_to_out(&p, PZ_MSG_PONG, &o), 0);
    pz_msg_t *m = t_receive(&o, PZ_MSGF_REPLY, 1);
    assert_true(pz_msg_is_reply(m));
    assert_int_equal(pz_ping_from_msg(m, PZ_MSG_PING, &q), PZ_EUNKNOWN_TYPE);
    pz_kv_batch_t b;
    assert_int_equal(pz_kv_batch_from_msg(m, PZ_MSG_KV_BATCH, &b), PZ_EUNKNOWN_TYPE);
    /* The right type but the wrong schema: bad bytes for that schema. */
    assert_int_equal(pz_kv_batch_from_msg(m, PZ_MSG_PONG, &b), PZ_EPROTO);
    assert_int_equal(pz_ping_from_msg(m, PZ_MSG_PONG, &q), 0);
    assert_true(pz_ping_eq(&p, &q));
    assert_int_equal(pz_msg_error(m, NULL), 0);
    const char *text = "junk";
    assert_int_equal(pz_msg_error(m, &text), 0);
    assert_string_equal(text, "");
    pz_msg_free(&m);

    /* A body that is not msgpack at all. */
    const uint8_t junk[] = {0xc1, 0x00};
    assert_int_equal(t_receive_bytes(PZ_MSG_PING, 0, junk, sizeof junk, &m), 0);
    assert_int_equal(pz_ping_from_msg(m, PZ_MSG_PING, &q), PZ_EPROTO);
    assert_int_equal(pz_ping_from_msg(m, PZ_MSG_PING, &q), PZ_EPROTO); /* cached, same answer */
    pz_msg_free(&m);
    assert_int_equal(t_receive_bytes(PZ_MSG_PING, 0, NULL, 0, &m), 0);
    assert_int_equal(pz_ping_from_msg(m, PZ_MSG_PING, &q), PZ_EPROTO);
    pz_msg_free(&m);
}

static pz_msg_t *s_error_msg(int32_t code, const char *text, uint16_t type, uint8_t flags)
{
    pz_error_body_t e = {
        .code = code, .message = pz_view_str(text), .detail = pz_view_str("detail")};
    pz_out_t *o = NULL;
    assert_int_equal(pz_error_body_to_out(&e, type, &o), 0);
    return t_receive(&o, flags, 9);
}

static void test_error_replies(void **state)
{
    (void)state;
    const char *text = NULL;
    pz_msg_t *m =
        s_error_msg(PZ_ETIMEDOUT, "request timed out", PZ_MSG_ERROR, PZ_MSGF_REPLY | PZ_MSGF_ERROR);
    assert_int_equal(pz_msg_error(m, &text), PZ_ETIMEDOUT);
    assert_string_equal(text, "request timed out");
    const char *again = NULL;
    assert_int_equal(pz_msg_error(m, &again), PZ_ETIMEDOUT);
    assert_ptr_equal(again, text); /* one copy per message */
    assert_int_equal(pz_msg_error(m, NULL), PZ_ETIMEDOUT);
    pz_error_body_t e;
    assert_int_equal(pz_error_body_from_msg(m, PZ_MSG_ERROR, &e), 0);
    assert_int_equal(e.code, PZ_ETIMEDOUT);
    assert_true(pz_view_eq(e.detail, pz_view_str("detail")));
    pz_msg_free(&m);

    /* Empty text. */
    m = s_error_msg(PZ_EBUSY, "", PZ_MSG_ERROR, PZ_MSGF_ERROR);
    assert_int_equal(pz_msg_error(m, &text), PZ_EBUSY);
    assert_string_equal(text, "");
    pz_msg_free(&m);

    /* An error flag on another type: the body is still an error body, and reading it as the
     * type's schema is refused. */
    m = s_error_msg(PZ_ENOTFOUND, "no", PZ_MSG_KV_BATCH_RESP, PZ_MSGF_REPLY | PZ_MSGF_ERROR);
    assert_int_equal(pz_msg_error(m, &text), PZ_ENOTFOUND);
    pz_kv_batch_resp_t r;
    assert_int_equal(pz_kv_batch_resp_from_msg(m, PZ_MSG_KV_BATCH_RESP, &r), PZ_EUNKNOWN_TYPE);
    pz_msg_free(&m);

    /* Typed ERROR without the flag is still an error reply. */
    m = s_error_msg(PZ_EIO, "disk", PZ_MSG_ERROR, 0);
    assert_int_equal(pz_msg_error(m, &text), PZ_EIO);
    pz_msg_free(&m);

    /* A code that is not an error. */
    m = s_error_msg(0, "fine", PZ_MSG_ERROR, PZ_MSGF_ERROR);
    assert_int_equal(pz_msg_error(m, &text), PZ_EPROTO);
    assert_string_equal(text, "");
    pz_msg_free(&m);
    m = s_error_msg(7, "positive", PZ_MSG_ERROR, PZ_MSGF_ERROR);
    assert_int_equal(pz_msg_error(m, NULL), PZ_EPROTO);
    pz_msg_free(&m);

    /* A malformed error body. */
    const uint8_t bad[] = {0x93, 0xa1, 'x', 0xa0, 0xa0};
    assert_int_equal(t_receive_bytes(PZ_MSG_ERROR, PZ_MSGF_ERROR, bad, sizeof bad, &m), 0);
    assert_int_equal(pz_msg_error(m, &text), PZ_EPROTO);
    pz_msg_free(&m);
    assert_int_equal(t_receive_bytes(PZ_MSG_ERROR, PZ_MSGF_ERROR, bad, 2, &m), 0);
    assert_int_equal(pz_msg_error(m, &text), PZ_EPROTO);
    pz_msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_basics),     cmocka_unit_test(test_out_bounded),
        cmocka_unit_test(test_out_framed),     cmocka_unit_test(test_msg_frame),
        cmocka_unit_test(test_body_ownership), cmocka_unit_test(test_decode_type_checks),
        cmocka_unit_test(test_error_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
