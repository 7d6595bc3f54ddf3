/*
 * storage_assert.h — assertions that stay on in release builds (internal).
 *
 * STYLE.md keeps cheap programmer-error checks on in release: a storage bug must stop the
 * process before it writes a wrong version, not after. assert() vanishes under NDEBUG, so this
 * calls glibc's __assert_fail directly (same message format, then abort).
 */
#ifndef PZ_STORAGE_ASSERT_H
#define PZ_STORAGE_ASSERT_H

#include <assert.h>

#define PZ_ST_ASSERT(expr)                                                                       \
    ((expr) ? (void)0 : __assert_fail(#expr, __FILE__, __LINE__, __func__))

#endif
