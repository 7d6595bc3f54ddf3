/*
 * sql_window.c — window functions. Not built yet: the binder refuses OVER with 0A000 before a
 * WINDOW node is ever planned, so these entry points only keep the dispatch table whole.
 */
#include "sql_exec.h"

int pz_window_open(pz_ex_t *ex, pz_pn_t *pn)
{
    (void)pn;
    return pz_sql_err_set(ex->err, "0A000", "window functions are not supported yet");
}

int pz_window_next(pz_ex_t *ex, pz_pn_t *pn, pz_datum_t **row)
{
    (void)pn;
    (void)row;
    return pz_sql_err_set(ex->err, "0A000", "window functions are not supported yet");
}
