/*
 * sql_json.c — json and jsonb text input (temporary: json is kept as given without validation,
 * jsonb is not supported yet; the full implementation follows).
 */
#include <assert.h>
#include <string.h>

#include "sql_types_int.h"

int pz__json_in(pz_arena_t *a, bool jsonb, const char *s, size_t len, pz_datum_t *out,
                pz_sql_err_t *err)
{
    assert(a != NULL && out != NULL && (s != NULL || len == 0));
    if (jsonb)
        return pz_sql_err_set(err, "0A000", "type jsonb is not supported yet");
    uint8_t *p = pz_arena_alloc(a, len + 1);
    if (p == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    memcpy(p, s, len);
    *out = pz_datum_bytes(PZ_TY_JSON, p, (uint32_t)len);
    return 0;
}
