/*
 * fuzz_rowenc.c — libFuzzer target for the row and key decoders (modules/sql/sql_rowenc.c):
 * bytes read from the KV store may be anything after a bug or a disk fault, and decoding them
 * must return PZ_ECORRUPT, never crash or read out of bounds.
 *
 * Input: byte 0 picks the mode. Even: a key — byte 1 picks the column types and directions of
 * up to four columns, the rest is the key; each decoded column is re-encoded, and re-encoding
 * what that decodes to must give the same bytes (decoded keys are canonical). Odd: a row value —
 * bytes 1..8 are the types of columns 1..8 (arrays of a chosen element too), the rest is the
 * value. A decoded datum's bytes must lie in the input or the arena (checked by ASan when read).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/errors.h"
#include "sql_rowenc.h"

#define KEY_CAP 65536
#define COLS 8

static const pz_ty_t s_types[] = {
    PZ_TY_BOOL,      PZ_TY_INT2,     PZ_TY_INT4,   PZ_TY_INT8,  PZ_TY_FLOAT4, PZ_TY_FLOAT8,
    PZ_TY_NUMERIC,   PZ_TY_TEXT,     PZ_TY_BPCHAR, PZ_TY_BYTEA, PZ_TY_DATE,   PZ_TY_TIME,
    PZ_TY_TIMESTAMP, PZ_TY_INTERVAL, PZ_TY_UUID,   PZ_TY_OID,   PZ_TY_JSONB,  PZ_TY_ARRAY,
};
#define N_TYPES (sizeof s_types / sizeof s_types[0])

/* Touches every byte a datum points at, so ASan sees a bad view. */
static unsigned s_touch(const pz_datum_t *d)
{
    unsigned sum = 0;
    if (d->null) {
        return 0;
    }
    if (d->type == PZ_TY_ARRAY) {
        for (uint32_t i = 0; i < d->v.arr->n; i++) {
            sum += s_touch(&d->v.arr->items[i]);
        }
        return sum;
    }
    switch (d->type) {
    case PZ_TY_NUMERIC:
    case PZ_TY_TEXT:
    case PZ_TY_BPCHAR:
    case PZ_TY_BYTEA:
    case PZ_TY_UUID:
    case PZ_TY_JSONB:
        for (uint32_t i = 0; i < d->len; i++) {
            sum += d->v.p[i];
        }
        break;
    default:
        break;
    }
    return sum;
}

static void s_keys(pz_arena_t *a, const uint8_t *data, size_t size)
{
    static uint8_t e1[KEY_CAP], e2[KEY_CAP];
    uint8_t pick = data[0];
    size_t pos = 1;
    for (int c = 0; c < 4 && pos < size; c++, pick = (uint8_t)(pick * 7 + 3)) {
        pz_ty_t t = s_types[pick % (N_TYPES - 2)]; /* key types only */
        bool desc = (pick >> 5) & 1;
        pz_datum_t d, d2;
        size_t before = pos;
        if (pz_rowenc_key_get(a, data, size, &pos, PZ_SQL_TYPE(t), desc, &d) != 0) {
            if (pos != before) {
                abort(); /* a failed decode must not move */
            }
            return;
        }
        (void)s_touch(&d);
        size_t n1 = pz_rowenc_key_put(e1, sizeof e1, 0, &d, desc), p2 = 0;
        if (n1 == 0 || pz_rowenc_key_get(a, e1, n1, &p2, PZ_SQL_TYPE(t), desc, &d2) != 0 ||
            p2 != n1) {
            abort();
        }
        size_t n2 = pz_rowenc_key_put(e2, sizeof e2, 0, &d2, desc);
        if (n2 != n1 || memcmp(e1, e2, n1) != 0) {
            abort();
        }
    }
}

static void s_value(pz_arena_t *a, const uint8_t *data, size_t size)
{
    if (size < 1 + COLS) {
        return;
    }
    uint32_t ids[COLS];
    pz_sql_type_t types[COLS];
    pz_datum_t out[COLS];
    for (int c = 0; c < COLS; c++) {
        ids[c] = (uint32_t)c + 1;
        types[c] = PZ_SQL_TYPE(s_types[data[1 + c] % N_TYPES]);
        if (types[c].id == PZ_TY_ARRAY) {
            types[c].elem = s_types[(data[1 + c] >> 5) % (N_TYPES - 1)];
        }
    }
    const uint8_t *v = data + 1 + COLS;
    size_t n = size - 1 - COLS;
    int rc = pz_rowenc_value_get(a, v, n, ids, types, COLS, out);
    if (rc != 0 && rc != PZ_ECORRUPT) {
        abort();
    }
    for (int c = 0; rc == 0 && c < COLS; c++) {
        if (out[c].type != types[c].id) {
            abort();
        }
        (void)s_touch(&out[c]);
    }
}

/* sql_rowenc.c's value encoder appends to a pz_sbuf_t (sql_types.c, which needs the whole type
 * system linked); this target only decodes values, so the encoder's appends must never run. */
void pz_sbuf_put(pz_sbuf_t *b, const void *p, size_t n)
{
    (void)b, (void)p, (void)n;
    abort();
}
void pz_sbuf_putc(pz_sbuf_t *b, char c)
{
    (void)b, (void)c;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t *copy = malloc(size); /* its own allocation: ASan sees a read past the end */
    pz_arena_t *a = pz_arena_new();
    if (copy == NULL || a == NULL) {
        free(copy);
        pz_arena_destroy(&a);
        return 0;
    }
    memcpy(copy, data, size);
    if (copy[0] % 2 == 0) {
        s_keys(a, copy, size);
    } else {
        s_value(a, copy, size);
    }
    pz_arena_destroy(&a);
    free(copy);
    return 0;
}
