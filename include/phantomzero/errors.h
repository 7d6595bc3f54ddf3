/*
 * errors.h — the project's error codes.
 *
 * Functions return 0 on success or a negative PZ_E* code. The codes come from errors.def, which
 * also gives each its SQLSTATE: a code that reaches a client always carries one. Outcomes such as
 * "not found" are codes, not log lines.
 */
#ifndef PHANTOMZERO_ERRORS_H
#define PHANTOMZERO_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

enum pz_err {
    PZ_OK = 0,
#define PZ_ERR(name, value, sqlstate, message) PZ_E##name = -(value),
#include "phantomzero/errors.def"
#undef PZ_ERR
};

/* Name of the code ("PZ_ENOSPC"), its message and its SQLSTATE. Never NULL: an unknown code
 * yields "PZ_EUNKNOWN", "unknown error", "XX000". The strings are static. */
const char *pz_err_name(int code);
const char *pz_strerror(int code);
const char *pz_err_sqlstate(int code);

#ifdef __cplusplus
}
#endif
#endif
