/*
 * fuzz_sql_parse.c — libFuzzer target for the libpg_query glue (modules/sql/sql_parse.c): the
 * input, up to its first NUL, is a simple-query string, as a Query message delivers it.
 *
 * pz_sql_parse must never crash whatever the text (libpg_query's tree output and protobuf-c's
 * unpack recurse without bound; sql_parse.c's guards must hold), and its answer must be one the
 * session can send: 0 with a statement kind when there are statements, PZ_EINVAL with a message
 * and a cursor position inside the query (or 0), or PZ_ELIMIT with a message. PZ_EINTERNAL
 * (libpg_query produced a tree we cannot read) counts as a finding too.
 *
 * Runs on libFuzzer's thread, not a PZ_SQL_SESSION_STACK_BYTES session thread: inputs of a few
 * KiB (smoke.sh passes -max_len=4096) stay far below the depth that needs that stack.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/errors.h"
#include "sql_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = malloc(size + 1); /* its own allocation: ASan sees a read past the NUL */
    if (q == NULL) {
        return 0;
    }
    memcpy(q, data, size);
    q[size] = '\0';
    size_t len = strlen(q);
    pz_sql_parse_t p;
    int rc = pz_sql_parse(q, NULL, &p);
    switch (rc) {
    case 0:
        if (p.n_stmts < 0 || (p.n_stmts > 0 && p.kind[0] == '\0')) {
            abort();
        }
        break;
    case PZ_EINVAL:
        if (p.error[0] == '\0' || p.cursorpos < 0 || (size_t)p.cursorpos > len + 1) {
            abort();
        }
        break;
    case PZ_ELIMIT:
        if (p.error[0] == '\0') {
            abort();
        }
        break;
    default:
        abort();
    }
    if (memchr(p.error, 0, sizeof p.error) == NULL || memchr(p.kind, 0, sizeof p.kind) == NULL) {
        abort();
    }
    free(q);
    return 0;
}
