/* errors.c — names, messages and SQLSTATEs of the PZ_E* codes, generated from errors.def. */
#include "phantomzero/errors.h"

#include <stddef.h>

typedef struct {
    int code;
    const char *name;
    const char *sqlstate;
    const char *message;
} s_err_row_t;

static const s_err_row_t s_rows[] = {
    {PZ_OK, "PZ_OK", "00000", "success"},
#define PZ_ERR(name, value, sqlstate, message) {-(value), "PZ_E" #name, sqlstate, message},
#include "phantomzero/errors.def"
#undef PZ_ERR
};

static const s_err_row_t *s_find(int code)
{
    for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
        if (s_rows[i].code == code) {
            return &s_rows[i];
        }
    }
    return NULL;
}

const char *pz_err_name(int code)
{
    const s_err_row_t *r = s_find(code);
    return r ? r->name : "PZ_EUNKNOWN";
}

const char *pz_strerror(int code)
{
    const s_err_row_t *r = s_find(code);
    return r ? r->message : "unknown error";
}

const char *pz_err_sqlstate(int code)
{
    const s_err_row_t *r = s_find(code);
    return r ? r->sqlstate : "XX000";
}
