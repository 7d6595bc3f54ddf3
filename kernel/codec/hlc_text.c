/*
 * hlc_text.c — the text form of HLC timestamps (hlc.h), as CockroachDB's AS OF SYSTEM TIME
 * writes them: a decimal number whose integer part is the wall time in nanoseconds and whose
 * ten fractional digits are the logical counter.
 *
 *     {wall 1700000000000000000, logical 1}  <->  "1700000000000000000.0000000001"
 *
 * Because the fraction is a decimal fraction, a shorter one is scaled: "5.1" is logical
 * 1000000000, exactly as CockroachDB reads it; the formatter always writes all ten digits, so
 * format then parse is the identity. Parsing is strict: digits only (no sign, spaces, hex or
 * exponent), a non-empty fraction after a '.', at most ten fractional digits, and no value past
 * UINT64_MAX (wall) or UINT32_MAX (logical); anything else is PZ_EINVAL.
 */
#include "phantomzero/hlc.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#define S_FRAC_DIGITS 10

/* Returns 0, or PZ_ETOOBIG (with buf emptied) when cap cannot hold the text and its NUL; 32
 * bytes always suffice. */
int pz_hlc_format(pz_hlc_t t, char *buf, size_t cap)
{
    assert(buf != NULL || cap == 0);
    int n = snprintf(buf, cap, "%" PRIu64 ".%0*" PRIu32, t.wall, S_FRAC_DIGITS, t.logical);
    assert(n > 0);
    if ((size_t)n >= cap) {
        if (cap > 0) {
            buf[0] = '\0';
        }
        return PZ_ETOOBIG;
    }
    return 0;
}

static bool s_digit(char c)
{
    return c >= '0' && c <= '9';
}

int pz_hlc_parse(const char *s, pz_hlc_t *out)
{
    assert(out != NULL);
    if (s == NULL || !s_digit(*s)) {
        return PZ_EINVAL;
    }
    uint64_t wall = 0;
    for (; s_digit(*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (wall > (UINT64_MAX - d) / 10) {
            return PZ_EINVAL;
        }
        wall = wall * 10 + d;
    }
    uint64_t logical = 0;
    if (*s == '.') {
        s++;
        int digits = 0;
        for (; s_digit(*s); s++) {
            if (++digits > S_FRAC_DIGITS) {
                return PZ_EINVAL;
            }
            logical = logical * 10 + (uint64_t)(*s - '0');
        }
        if (digits == 0) {
            return PZ_EINVAL;
        }
        for (; digits < S_FRAC_DIGITS; digits++) {
            logical *= 10;
        }
        if (logical > UINT32_MAX) {
            return PZ_EINVAL;
        }
    }
    if (*s != '\0') {
        return PZ_EINVAL;
    }
    out->wall = wall;
    out->logical = (uint32_t)logical;
    return 0;
}
