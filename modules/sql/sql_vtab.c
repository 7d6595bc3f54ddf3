/*
 * sql_vtab.c — virtual tables of pg_catalog and information_schema, built from the catalog when
 * a query reads them. Not built yet: a query naming them gets 0A000 (and an unqualified name
 * falls through to the user's tables, as it would if pg_catalog had no such table).
 */
#include <string.h>

#include "sql_bind_int.h"

int pz__bind_vtab(pz_binder_t *b, const char *schema, const char *name, int location,
                  pz_pn_t **plan)
{
    (void)plan;
    if (schema != NULL &&
        (strcmp(schema, "pg_catalog") == 0 || strcmp(schema, "information_schema") == 0)) {
        return pz__bind_err(b, location, "0A000", "%s.%s is not available yet", schema, name);
    }
    return PZ_ENOTFOUND;
}

int pz_vtab_open(pz_ex_t *ex, pz_pn_t *pn)
{
    (void)pn;
    return pz_sql_err_set(ex->err, "0A000", "virtual tables are not available yet");
}
