/*
 * schemas.c — the generated encoders, decoders, equality and random fill of every wire schema
 * (hlc.h, msg.h, kv.h), their message helpers, and the small tables around them: KV op names
 * and the message type table.
 *
 * Everything here is expanded from the X-macro rows in the headers, so a field added to a
 * schema is encoded, decoded, compared and randomized with no edit in this file.
 */
#include "phantomzero/codec.h"
#include "phantomzero/hlc.h"
#include "phantomzero/kv.h"
#include "phantomzero/msg.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

PZ_SCHEMAS(PZ_SCHEMA_DEFINE)

PZ_MSG_HELPERS_DEFINE(pz_error_body)
PZ_MSG_HELPERS_DEFINE(pz_ping)
PZ_MSG_HELPERS_DEFINE(pz_kv_batch)
PZ_MSG_HELPERS_DEFINE(pz_kv_batch_resp)
PZ_MSG_HELPERS_DEFINE(pz_range_desc)
PZ_MSG_HELPERS_DEFINE(pz_txn_ctl)
PZ_MSG_HELPERS_DEFINE(pz_txn_ctl_resp)
PZ_MSG_HELPERS_DEFINE(pz_kv_txn_record)
PZ_MSG_HELPERS_DEFINE(pz_kv_commit)

/* ---------------------------------------------------------------------------------------- */
/* A batch's head alone (kv.h)                                                               */

typedef struct {
    pz_kv_header_t *header;
    uint32_t fields;
    pz_view_t rest;
} s_batch_head_t;

/* The batch's array and its first field; the rest is taken as it is, for a later full decode
 * (the cursor ends at the end: nothing left counts as trailing). */
static int s_dec_batch_head(pz_cur_t *c, void *out, pz_arena_t *a, int depth)
{
    s_batch_head_t *h = out;
    memset(h->header, 0, sizeof *h->header); /* an empty batch: the header's defaults */
    int rc = pz__cur_arr(c, 1024, &h->fields);
    if (rc == 0 && h->fields > 0) {
        rc = pz_kv_header_decode_cur(c, h->header, a, depth + 1);
    }
    if (rc == 0) {
        h->rest = (pz_view_t){c->p, (uint32_t)(c->end - c->p)};
        c->p = c->end;
    }
    return rc;
}

int pz_kv_batch_peek(pz_msg_t *m, pz_kv_header_t *header, uint32_t *fields, pz_view_t *rest)
{
    assert(m != NULL && header != NULL && fields != NULL && rest != NULL);
    s_batch_head_t h = {.header = header};
    int rc = pz_msg_decode(m, PZ_MSG_KV_BATCH, s_dec_batch_head, &h);
    *fields = h.fields;
    *rest = h.rest;
    return rc;
}

int pz_kv_batch_splice_to_out(uint32_t fields, const pz_kv_header_t *header, pz_view_t rest,
                              pz_out_t **out)
{
    assert(header != NULL && out != NULL);
    *out = pz_out_new(PZ_MSG_KV_BATCH);
    if (*out == NULL) {
        return PZ_ENOMEM;
    }
    msgpack_packer *pk = pz_out_packer(*out);
    /* msgpack_pack_bin_body appends raw bytes: the rest is copied as it is. */
    if (msgpack_pack_array(pk, fields > 0 ? fields : 1) != 0 || pz_kv_header_encode(pk, header) != 0 ||
        (rest.len > 0 && msgpack_pack_bin_body(pk, rest.ptr, rest.len) != 0)) {
        pz_out_free(out);
        return PZ_ENOMEM;
    }
    return 0;
}

typedef struct {
    pz_hlc_t *ts;
    pz_kv_error_t *error;
} s_resp_head_t;

static int s_dec_resp_head(pz_cur_t *c, void *out, pz_arena_t *a, int depth)
{
    s_resp_head_t *h = out;
    uint32_t n = 0;
    int rc = pz__cur_arr(c, 1024, &n);
    memset(h->ts, 0, sizeof *h->ts);
    memset(h->error, 0, sizeof *h->error);
    rc = rc ? rc : n > 0 ? pz_hlc_decode_cur(c, h->ts, a, depth + 1) : 0;
    rc = rc ? rc : n > 1 ? pz_kv_error_decode_cur(c, h->error, a, depth + 1) : 0;
    if (rc == 0) {
        c->p = c->end;
    }
    return rc;
}

int pz_kv_batch_resp_peek(pz_msg_t *m, pz_hlc_t *ts, pz_kv_error_t *error)
{
    assert(m != NULL && ts != NULL && error != NULL);
    s_resp_head_t h = {ts, error};
    return pz_msg_decode(m, PZ_MSG_KV_BATCH_RESP, s_dec_resp_head, &h);
}

/* ---------------------------------------------------------------------------------------- */
/* KV ops                                                                                    */

const char *pz_kv_op_name(uint8_t op)
{
    switch (op) {
    case PZ_KV_GET:
        return "GET";
    case PZ_KV_PUT:
        return "PUT";
    case PZ_KV_CPUT:
        return "CPUT";
    case PZ_KV_DEL:
        return "DEL";
    case PZ_KV_DEL_RANGE:
        return "DEL_RANGE";
    case PZ_KV_SCAN:
        return "SCAN";
    case PZ_KV_RSCAN:
        return "RSCAN";
    case PZ_KV_HEARTBEAT_TXN:
        return "HEARTBEAT_TXN";
    case PZ_KV_END_TXN:
        return "END_TXN";
    case PZ_KV_PUSH_TXN:
        return "PUSH_TXN";
    case PZ_KV_QUERY_TXN:
        return "QUERY_TXN";
    case PZ_KV_RESOLVE:
        return "RESOLVE";
    case PZ_KV_REFRESH:
        return "REFRESH";
    case PZ_KV_GC:
        return "GC";
    case PZ_KV_SPLIT:
        return "SPLIT";
    default:
        return NULL;
    }
}

bool pz_kv_op_is_write(uint8_t op)
{
    return op == PZ_KV_PUT || op == PZ_KV_CPUT || op == PZ_KV_DEL || op == PZ_KV_DEL_RANGE;
}

bool pz_kv_op_is_span(uint8_t op)
{
    return op == PZ_KV_DEL_RANGE || op == PZ_KV_SCAN || op == PZ_KV_RSCAN || op == PZ_KV_GC;
}

bool pz_kv_req_is_span(const pz_kv_req_t *r)
{
    assert(r != NULL);
    if (r->op == PZ_KV_RESOLVE || r->op == PZ_KV_REFRESH) {
        return r->end_key.len > 0;
    }
    return pz_kv_op_is_span(r->op);
}

bool pz_kv_op_is_txn(uint8_t op)
{
    return op >= PZ_KV_HEARTBEAT_TXN && op <= PZ_KV_QUERY_TXN;
}

/* ---------------------------------------------------------------------------------------- */
/* Range descriptors as stored values                                                        */

int pz_range_desc_pack(const pz_range_desc_t *d, uint8_t **buf, size_t *len)
{
    assert(d != NULL);
    assert(buf != NULL && len != NULL);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = pz_range_desc_encode(&pk, d);
    if (rc != 0) {
        msgpack_sbuffer_destroy(&sb);
        return rc;
    }
    assert(sb.size > 0); /* at least the array header */
    *len = sb.size;
    *buf = (uint8_t *)msgpack_sbuffer_release(&sb);
    return 0;
}

int pz_range_desc_unpack(const uint8_t *buf, size_t len, pz_arena_t *a, pz_range_desc_t *d)
{
    assert(buf != NULL || len == 0);
    assert(a != NULL && d != NULL);
    pz_cur_t c;
    memset(d, 0, sizeof *d);
    int rc = pz__cur_init(buf, len, &c);
    if (rc == 0) {
        /* Views reference buf and arrays go to the arena. */
        rc = pz_range_desc_decode_cur(&c, d, a, 0);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Message type table                                                                        */

const char *pz_msg_type_name(uint16_t type)
{
    switch (type) {
#define S_NAME_(name, id, ver, schema)                                                             \
    case id:                                                                                       \
        return #name;
        PZ_MSGTYPES(S_NAME_)
#undef S_NAME_
    default:
        return NULL;
    }
}

uint16_t pz_msg_type_version(uint16_t type)
{
    switch (type) {
#define S_VER_(name, id, ver, schema)                                                              \
    case id:                                                                                       \
        return ver;
        PZ_MSGTYPES(S_VER_)
#undef S_VER_
    default:
        return 0;
    }
}
