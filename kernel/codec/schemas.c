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
