/*
 * sql_hll.c — HyperLogLog (Flajolet et al. 2007, with the linear-counting correction for small
 * cardinalities from Heule et al. 2013): the distinct-value estimator ANALYZE runs per column.
 *
 * Written here rather than taken from a library: it is forty lines, Debian carries no C
 * HyperLogLog library, and the sketch must stay a plain byte array so a later distributed
 * ANALYZE can ship per-range sketches in a message and merge them (pz_hll_merge). Exact
 * counting would need memory proportional to the distinct values (a hash set of a 1M-row key
 * column is tens of MB); a sketch is 4 KiB whatever the table's size (sql_stats.h).
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "sql_stats.h"

void pz_hll_init(pz_hll_t *h)
{
    assert(h != NULL);
    memset(h->reg, 0, sizeof h->reg);
}

uint64_t pz_hll_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

uint64_t pz_hll_datum_hash(const pz_datum_t *d)
{
    assert(d != NULL && !d->null);
    return pz_hll_mix(pz_datum_hash(d, 0x5bd1e9955bd1e995ull));
}

void pz_hll_add(pz_hll_t *h, uint64_t hash)
{
    uint32_t idx = (uint32_t)(hash >> (64 - PZ_HLL_P));
    uint64_t rest = hash << PZ_HLL_P;
    /* The rank: position of the first 1 bit in the remaining 64 - p bits (64 - p + 1 when all
     * are zero). */
    uint8_t rank = rest == 0 ? (uint8_t)(64 - PZ_HLL_P + 1) : (uint8_t)(__builtin_clzll(rest) + 1);
    assert(idx < PZ_HLL_REGS);
    if (rank > h->reg[idx]) {
        h->reg[idx] = rank;
    }
}

double pz_hll_estimate(const pz_hll_t *h)
{
    const double m = (double)PZ_HLL_REGS;
    const double alpha = 0.7213 / (1.0 + 1.079 / m);
    double sum = 0;
    uint32_t zeros = 0;
    for (uint32_t i = 0; i < PZ_HLL_REGS; i++) {
        sum += ldexp(1.0, -(int)h->reg[i]);
        zeros += h->reg[i] == 0;
    }
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros > 0) {
        e = m * log(m / (double)zeros); /* linear counting: exact-ish for few values */
    }
    assert(e >= 0);
    return e;
}

void pz_hll_merge(pz_hll_t *h, const pz_hll_t *o)
{
    assert(h != NULL && o != NULL);
    for (uint32_t i = 0; i < PZ_HLL_REGS; i++) {
        if (o->reg[i] > h->reg[i]) {
            h->reg[i] = o->reg[i];
        }
    }
}
