/*
 * hlc.c — the process-wide hybrid logical clock (Kulkarni et al.): wall time from the physical
 * clock, a logical counter to order events within one tick and to stay ahead of timestamps seen
 * from other nodes. A mutex is fine here: it is held for a few instructions, and a clock read
 * per batch (not per row) keeps it off the contended path.
 */
#include <pthread.h>
#include <time.h>

#include "internal.h"

static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;
static pz_hlc_t s_last;
/* Largest forward offset of a remote timestamp we accept (CockroachDB's --max-offset). */
static uint64_t s_max_offset_ns = 500ull * 1000 * 1000;

uint64_t pz__real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pz__hlc_set_max_offset(uint64_t ns)
{
    s_max_offset_ns = ns;
}

pz_hlc_t pz_hlc_now(void)
{
    uint64_t phys = pz__real_ns();
    pthread_mutex_lock(&s_mu);
    if (phys > s_last.wall) {
        s_last.wall = phys;
        s_last.logical = 0;
    } else {
        s_last = pz_hlc_next(s_last);
    }
    pz_hlc_t t = s_last;
    pthread_mutex_unlock(&s_mu);
    return t;
}

int pz_hlc_update(pz_hlc_t ts)
{
    uint64_t phys = pz__real_ns();
    if (ts.wall > phys + s_max_offset_ns) {
        return PZ_EINVAL;
    }
    pthread_mutex_lock(&s_mu);
    if (pz_hlc_cmp(ts, s_last) > 0) {
        s_last = ts;
    }
    pthread_mutex_unlock(&s_mu);
    return 0;
}
