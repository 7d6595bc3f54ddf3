/*
 * sql_datetime.c — date/time types (temporary: not supported yet, the full implementation
 * follows).
 */
#include <assert.h>

#include "sql_datetime.h"

int pz_dt_in(const pz_sql_tyenv_t *env, pz_sql_type_t t, const char *s, size_t len, pz_datum_t *out,
             pz_sql_err_t *err)
{
    assert(env != NULL && out != NULL && (s != NULL || len == 0));
    return pz_sql_err_set(err, "0A000", "type %s is not supported yet", pz_ty_name(t.id));
}

void pz_dt_out(const pz_sql_tyenv_t *env, const pz_datum_t *d, pz_sbuf_t *out)
{
    assert(env != NULL && d != NULL);
    pz_sbuf_printf(out, "%lld", (long long)d->v.i);
}

int pz_dt_cast(const pz_sql_tyenv_t *env, const pz_datum_t *in, pz_sql_type_t to, pz_datum_t *out,
               pz_sql_err_t *err)
{
    assert(env != NULL && in != NULL && out != NULL);
    return pz_sql_err_set(err, "0A000", "type %s is not supported yet", pz_ty_name(to.id));
}
