/*
 * sql_ranges_key.c — keys printed as CockroachDB prints them ("pretty" keys): /Min, /Max,
 * /Meta2/..., /System/..., and table keys as /Table/<id>/<index id>/<key column values>, the
 * values decoded with the table's descriptor (our key encoding is not self-describing, unlike
 * CockroachDB's) and written as CockroachDB does: numbers plain, strings double-quoted.
 *
 * Used by SPLIT AT's `pretty` column and SHOW RANGES (sql_ranges.c). A key the descriptor cannot
 * explain (a dropped table, a split point inside a value) prints its undecoded rest escaped,
 * never fails.
 */
#include <assert.h>
#include <string.h>

#include "phantomzero/keys.h"
#include "sql_ranges_int.h"
#include "sql_rowenc.h"

/* Escaped bytes as pz_key_format writes them. */
static void s_raw(pz_sbuf_t *out, pz_view_t v)
{
    char buf[512]; /* a longer key prints its beginning: this is for people to read */
    pz_key_format(v, buf, sizeof buf);
    pz_sbuf_puts(out, buf);
}

/* Key column i of index ix: the index's columns, then (a secondary index) the primary key's
 * columns it does not hold, which follow them in its entries. NULL past the end. */
static const pz_cat_icol_t *s_key_col(const pz_cat_desc_t *d, const pz_cat_index_t *ix, uint32_t i)
{
    if (i < ix->cols_len) {
        return &ix->cols[i];
    }
    const pz_cat_index_t *pk = &d->indexes[0];
    if (ix == pk) {
        return NULL;
    }
    uint32_t k = ix->cols_len;
    for (uint32_t p = 0; p < pk->cols_len; p++) {
        bool dup = false;
        for (uint32_t c = 0; c < ix->cols_len; c++) {
            dup |= ix->cols[c].col == pk->cols[p].col;
        }
        if (!dup && k++ == i) {
            return &pk->cols[p];
        }
    }
    return NULL;
}

uint32_t pz__ranges_key_cols(const pz_cat_desc_t *d, const pz_cat_index_t *ix,
                             const pz_cat_icol_t **cols, uint32_t max)
{
    assert(d != NULL && ix != NULL && cols != NULL);
    uint32_t n = 0;
    for (const pz_cat_icol_t *c; n < max && (c = s_key_col(d, ix, n)) != NULL; n++) {
        cols[n] = c;
    }
    return n;
}

static void s_datum(const pz_sql_tyenv_t *env, const pz_datum_t *v, pz_sbuf_t *out)
{
    if (v->null) {
        pz_sbuf_puts(out, "NULL");
        return;
    }
    char cat = pz_ty_category((pz_ty_t)v->type);
    bool quote = cat == 'S' || cat == 'D' || cat == 'T' || cat == 'U';
    if (quote) {
        pz_sbuf_putc(out, '"');
    }
    pz_datum_to_text(env, v, out);
    if (quote) {
        pz_sbuf_putc(out, '"');
    }
}

/* The columns of /Table/<id>/<index id>/... from *pos on, with the table's descriptor. */
static void s_cols(pz_arena_t *a, const pz_sql_tyenv_t *env, const pz_cat_desc_t *d,
                   uint32_t index_id, pz_view_t key, size_t pos, pz_sbuf_t *out)
{
    const pz_cat_index_t *ix = NULL;
    for (uint32_t i = 0; i < d->indexes_len; i++) {
        ix = d->indexes[i].id == index_id ? &d->indexes[i] : ix;
    }
    for (uint32_t i = 0; ix != NULL && pos < key.len; i++) {
        const pz_cat_icol_t *kc = s_key_col(d, ix, i);
        const pz_cat_col_t *col = kc != NULL ? pz_cat_col_by_id(d, kc->col) : NULL;
        pz_datum_t v;
        size_t at = pos;
        if (col == NULL ||
            pz_rowenc_key_get(a, key.ptr, key.len, &at, pz_cat_col_type(col), kc->desc, &v) != 0) {
            break;
        }
        pz_sbuf_putc(out, '/');
        s_datum(env, &v, out);
        pos = at;
    }
    if (pos < key.len) {
        pz_sbuf_putc(out, '/');
        s_raw(out, (pz_view_t){key.ptr + pos, key.len - pos});
    }
}

static void s_table_key(const pz_ranges_ctx_t *c, pz_view_t key, pz_sbuf_t *out)
{
    size_t pos = 1;
    uint64_t table = 0, index = 0;
    if (pz_key_get_uvarint(key, &pos, &table) != 0) {
        pz_sbuf_puts(out, "/Table/");
        s_raw(out, (pz_view_t){key.ptr + 1, key.len - 1});
        return;
    }
    pz_sbuf_printf(out, "/Table/%llu", (unsigned long long)table);
    if (pos == key.len) {
        return;
    }
    if (pz_key_get_uvarint(key, &pos, &index) != 0) {
        pz_sbuf_putc(out, '/');
        s_raw(out, (pz_view_t){key.ptr + pos, key.len - pos});
        return;
    }
    pz_sbuf_printf(out, "/%llu", (unsigned long long)index);
    pz_cat_entry_t *e = NULL;
    pz_sql_err_t ignored = {0};
    if (table > UINT32_MAX || pz_cat_get(c->cat, c->kv, (uint32_t)table, &e, &ignored) != 0 ||
        e->d.kind != PZ_CAT_TABLE) {
        if (pos < key.len) {
            pz_sbuf_putc(out, '/');
            s_raw(out, (pz_view_t){key.ptr + pos, key.len - pos});
        }
        pz_cat_release(&e);
        return;
    }
    s_cols(c->arena, c->env, &e->d, (uint32_t)index, key, pos, out);
    pz_cat_release(&e);
}

void pz__ranges_pretty(const pz_ranges_ctx_t *c, pz_view_t key, pz_sbuf_t *out)
{
    assert(c != NULL && out != NULL);
    if (key.len == 0) {
        pz_sbuf_puts(out, "/Min");
    } else if (key.len == sizeof PZ_KEY_MAX && memcmp(key.ptr, PZ_KEY_MAX, key.len) == 0) {
        pz_sbuf_puts(out, "/Max");
    } else if (key.ptr[0] == PZ_KEY_TABLE_PREFIX) {
        s_table_key(c, key, out);
    } else {
        static const char *const names[] = {NULL, "/Local", "/Meta1", "/Meta2", "/System"};
        uint8_t p = key.ptr[0];
        pz_sbuf_puts(out, p < 5 && names[p] != NULL ? names[p] : "");
        pz_view_t rest = p < 5 && names[p] != NULL ? (pz_view_t){key.ptr + 1, key.len - 1} : key;
        if (rest.len > 0) {
            pz_sbuf_putc(out, '/');
            s_raw(out, rest);
        }
    }
}
