/*
 * hlc.h — hybrid logical clock timestamps: wall-clock nanoseconds plus a logical counter.
 *
 * Every MVCC version is stored at one. Timestamps order by (wall, logical); the zero timestamp
 * means "unset". The process-wide clock is in kernel.h (pz_hlc_now, pz_hlc_update).
 */
#ifndef PHANTOMZERO_HLC_H
#define PHANTOMZERO_HLC_H

#include "phantomzero/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PZ_SCHEMA_pz_hlc(X)                                                                      \
    X(U64, wall, _, _)    /* nanoseconds since the Unix epoch */                                 \
    X(U32, logical, _, _) /* orders events within one wall tick */
PZ_SCHEMA_DECLARE(pz_hlc)

static inline int pz_hlc_cmp(pz_hlc_t a, pz_hlc_t b)
{
    if (a.wall != b.wall) {
        return a.wall < b.wall ? -1 : 1;
    }
    return a.logical < b.logical ? -1 : (a.logical > b.logical ? 1 : 0);
}

static inline bool pz_hlc_is_zero(pz_hlc_t t)
{
    return t.wall == 0 && t.logical == 0;
}

/* The smallest timestamp greater than t. */
static inline pz_hlc_t pz_hlc_next(pz_hlc_t t)
{
    if (t.logical == UINT32_MAX) {
        t.wall++;
        t.logical = 0;
    } else {
        t.logical++;
    }
    return t;
}

/* Formats "wall.logical" (the decimal HLC form AS OF SYSTEM TIME accepts) into buf. */
int pz_hlc_format(pz_hlc_t t, char *buf, size_t cap);
/* Parses "wall" or "wall.logical". PZ_EINVAL on anything else. */
int pz_hlc_parse(const char *s, pz_hlc_t *out);

#ifdef __cplusplus
}
#endif
#endif
