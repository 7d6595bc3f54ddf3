/*
 * sql_types_bin.c — binary send/recv (temporary: not supported yet; the full implementation
 * follows).
 */
#include <assert.h>

#include "sql_types_int.h"

bool pz_ty_has_binary(pz_sql_type_t t)
{
    (void)t;
    return false;
}

void pz_datum_to_binary(const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(d != NULL && out != NULL);
    assert(!"binary output is not supported yet");
}

int pz_datum_from_binary(pz_arena_t *a, pz_sql_type_t t, const uint8_t *p, size_t len,
                         pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && (p != NULL || len == 0));
    (void)t;
    return pz_sql_err_set(err, "0A000", "binary format is not supported yet");
}
