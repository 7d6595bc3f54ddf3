/*
 * sql_sqlprep.h — SQL-level PREPARE / EXECUTE / DEALLOCATE (sql_sqlprep.c says how).
 */
#ifndef PZ_SQL_SQLPREP_H
#define PZ_SQL_SQLPREP_H

#include <stdbool.h>

#include "sql_ast.h"
#include "sql_conn.h"

/* Parameter types a PREPARE may declare (PostgreSQL allows 65535 parameters; a PREPARE typing
 * more than this by hand is not a real statement). */
#define PZ_SQL_PREP_TYPES_MAX 256

typedef struct pz_sqlpreps pz_sqlpreps_t;

/* Frees a connection's prepared statements; *ps becomes NULL. Safe on NULL. */
void pz_sqlpreps_free(pz_sqlpreps_t **ps);

/* Runs PREPARE / EXECUTE / DEALLOCATE s (query: the text s was parsed from) against the
 * connection's set *ps (created on first use). tag gets the command tag; *completed is true when
 * the statement already sent its CommandComplete (EXECUTE's portal does). 0, or an error in err
 * (42P05 exists, 26000 does not exist, 42601 wrong parameter count, ...). */
int pz_sqlprep_run(pz_sql_conn_t *c, pz_sqlpreps_t **ps, const pz_ast_stmt_t *s, const char *query,
                   const pz_sql_sink_t *sink, pz_sql_err_t *err, char *tag, bool *completed);

#endif
