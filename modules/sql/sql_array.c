/*
 * sql_array.c — one-dimensional arrays (temporary: not supported yet; the full implementation
 * follows).
 */
#include <assert.h>

#include "sql_types_int.h"

int pz__array_in(pz_arena_t *a, const pz_sql_tyenv_t *env, pz_sql_type_t t, const char *s,
                 size_t len, pz_datum_t *out, pz_sql_err_t *err)
{
    assert(a != NULL && env != NULL && out != NULL && (s != NULL || len == 0));
    (void)t;
    return pz_sql_err_set(err, "0A000", "arrays are not supported yet");
}

void pz__array_out(const pz_sql_tyenv_t *env, const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(env != NULL && d != NULL && out != NULL);
    pz_sbuf_puts(out, "{}");
}
