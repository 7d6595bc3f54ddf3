/*
 * sql_types.c — the type system's tables: growing buffers (pz_sbuf_*), the default session
 * settings, type names as SQL spells them, pg_cast's contexts (pz_ty_can_cast), preferred types
 * and the common type of UNION/CASE branches.
 *
 * Why tables: the binder asks these questions for every expression; PostgreSQL answers them from
 * its catalogs (pg_cast, pg_type), so the rows below were taken from a PostgreSQL 15 pg_cast
 * for the types we have, and the I/O-conversion rules (to a string type: assignment; from one:
 * explicit) are PostgreSQL's find_coercion_pathway.
 */
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_types_int.h"

/* ------------------------------------------------------------------------------------------ */
/* Growing buffers                                                                             */

/* A buffer never grows past this: a value's text (arrays of big strings) larger than 1 GiB is
 * PostgreSQL's own limit for one field. */
#define S_SBUF_BYTES_MAX (1024u * 1024u * 1024u)

static bool s_sbuf_reserve(pz_sbuf_t *b, size_t n)
{
    assert(b != NULL);
    if (b->oom)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    if (b->len + n + 1 > S_SBUF_BYTES_MAX) {
        b->oom = true;
        return false;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void pz_sbuf_put(pz_sbuf_t *b, const void *p, size_t n)
{
    assert(b != NULL && (p != NULL || n == 0));
    if (n == 0 || !s_sbuf_reserve(b, n))
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void pz_sbuf_putc(pz_sbuf_t *b, char c)
{
    pz_sbuf_put(b, &c, 1);
}

void pz_sbuf_puts(pz_sbuf_t *b, const char *s)
{
    assert(s != NULL);
    pz_sbuf_put(b, s, strlen(s));
}

void pz_sbuf_printf(pz_sbuf_t *b, const char *fmt, ...)
{
    assert(b != NULL && fmt != NULL);
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        pz_sbuf_put(b, small, (size_t)n);
        return;
    }
    if (!s_sbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pz_sbuf_reset(pz_sbuf_t *b)
{
    assert(b != NULL);
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

void pz_sbuf_free(pz_sbuf_t *b)
{
    assert(b != NULL);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

int pz__sbuf_to_arena(pz_arena_t *a, const pz_sbuf_t *b, const uint8_t **p, uint32_t *len,
                      pz_sql_err_t *err)
{
    assert(a != NULL && b != NULL && p != NULL && len != NULL);
    if (b->oom || b->len > UINT32_MAX)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    uint8_t *q = pz_arena_alloc(a, b->len + 1);
    if (q == NULL)
        return pz_sql_err_code(err, PZ_ENOMEM, NULL);
    if (b->len > 0)
        memcpy(q, b->p, b->len);
    *p = q;
    *len = (uint32_t)b->len;
    return 0;
}

pz_sql_tyenv_t pz_sql_tyenv_default(void)
{
    pz_sql_tyenv_t env = {.tz = NULL, .datestyle_iso = true, .extra_float_digits = 1};
    return env;
}

/* ------------------------------------------------------------------------------------------ */
/* Families and hashing                                                                        */

bool pz__ty_is_text(pz_ty_t t)
{
    return t == PZ_TY_TEXT || t == PZ_TY_VARCHAR || t == PZ_TY_BPCHAR || t == PZ_TY_NAME ||
           t == PZ_TY_UNKNOWN;
}

bool pz__ty_is_int(pz_ty_t t)
{
    return t == PZ_TY_INT2 || t == PZ_TY_INT4 || t == PZ_TY_INT8 || t == PZ_TY_OID ||
           t == PZ_TY_REGCLASS || t == PZ_TY_REGTYPE || t == PZ_TY_REGPROC ||
           t == PZ_TY_REGNAMESPACE || t == PZ_TY_REGROLE;
}

uint64_t pz__hash_u64(uint64_t v, uint64_t seed)
{
    /* splitmix64's finalizer over the value mixed with the seed. */
    uint64_t z = v + seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t pz__hash_bytes(const void *p, size_t n, uint64_t seed)
{
    assert(p != NULL || n == 0);
    const uint8_t *s = p;
    uint64_t h = pz__hash_u64(n, seed);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = pz__hash_u64(w ^ h, seed);
    }
    uint64_t tail = 0;
    for (size_t k = 0; i < n; i++, k++)
        tail |= (uint64_t)s[i] << (8 * k);
    return pz__hash_u64(tail ^ h, seed + 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Casts: pg_cast                                                                              */

typedef struct {
    uint8_t from;
    uint8_t to;
    uint8_t ctx; /* pz_cast_ctx_t */
} s_cast_t;

#define I PZ_CAST_IMPLICIT
#define A PZ_CAST_ASSIGN
#define E PZ_CAST_EXPLICIT
#define C(f, t, c)                                                                                 \
    {                                                                                              \
        PZ_TY_##f, PZ_TY_##t, c                                                                    \
    }
/* PostgreSQL 15's pg_cast rows between our types (castsource, casttarget, castcontext). */
static const s_cast_t s_casts[] = {
    C(BOOL, BPCHAR, A),
    C(BOOL, INT4, E),
    C(BOOL, TEXT, A),
    C(BOOL, VARCHAR, A),
    C(BPCHAR, BPCHAR, I),
    C(BPCHAR, CHAR, A),
    C(BPCHAR, NAME, I),
    C(BPCHAR, TEXT, I),
    C(BPCHAR, VARCHAR, I),
    C(CHAR, BPCHAR, A),
    C(CHAR, INT4, E),
    C(CHAR, TEXT, I),
    C(CHAR, VARCHAR, A),
    C(DATE, TIMESTAMP, I),
    C(DATE, TIMESTAMPTZ, I),
    C(FLOAT4, FLOAT8, I),
    C(FLOAT4, INT2, A),
    C(FLOAT4, INT4, A),
    C(FLOAT4, INT8, A),
    C(FLOAT4, NUMERIC, A),
    C(FLOAT8, FLOAT4, A),
    C(FLOAT8, INT2, A),
    C(FLOAT8, INT4, A),
    C(FLOAT8, INT8, A),
    C(FLOAT8, NUMERIC, A),
    C(INT2, FLOAT4, I),
    C(INT2, FLOAT8, I),
    C(INT2, INT4, I),
    C(INT2, INT8, I),
    C(INT2, NUMERIC, I),
    C(INT2, OID, I),
    C(INT2, REGCLASS, I),
    C(INT2, REGPROC, I),
    C(INT2, REGTYPE, I),
    C(INT4, BOOL, E),
    C(INT4, CHAR, E),
    C(INT4, FLOAT4, I),
    C(INT4, FLOAT8, I),
    C(INT4, INT2, A),
    C(INT4, INT8, I),
    C(INT4, NUMERIC, I),
    C(INT4, OID, I),
    C(INT4, REGCLASS, I),
    C(INT4, REGPROC, I),
    C(INT4, REGTYPE, I),
    C(INT8, FLOAT4, I),
    C(INT8, FLOAT8, I),
    C(INT8, INT2, A),
    C(INT8, INT4, A),
    C(INT8, NUMERIC, I),
    C(INT8, OID, I),
    C(INT8, REGCLASS, I),
    C(INT8, REGPROC, I),
    C(INT8, REGTYPE, I),
    C(INTERVAL, INTERVAL, I),
    C(INTERVAL, TIME, A),
    C(JSON, JSONB, A),
    C(JSONB, BOOL, E),
    C(JSONB, FLOAT4, E),
    C(JSONB, FLOAT8, E),
    C(JSONB, INT2, E),
    C(JSONB, INT4, E),
    C(JSONB, INT8, E),
    C(JSONB, JSON, A),
    C(JSONB, NUMERIC, E),
    C(NAME, BPCHAR, A),
    C(NAME, TEXT, I),
    C(NAME, VARCHAR, A),
    C(NUMERIC, FLOAT4, I),
    C(NUMERIC, FLOAT8, I),
    C(NUMERIC, INT2, A),
    C(NUMERIC, INT4, A),
    C(NUMERIC, INT8, A),
    C(NUMERIC, NUMERIC, I),
    C(OID, INT4, A),
    C(OID, INT8, A),
    C(OID, REGCLASS, I),
    C(OID, REGPROC, I),
    C(OID, REGTYPE, I),
    C(OID, REGNAMESPACE, I),
    C(OID, REGROLE, I),
    C(REGNAMESPACE, OID, I),
    C(REGROLE, OID, I),
    C(INT4, REGNAMESPACE, I),
    C(INT4, REGROLE, I),
    C(INT8, REGNAMESPACE, I),
    C(INT8, REGROLE, I),
    C(REGCLASS, INT4, A),
    C(REGCLASS, INT8, A),
    C(REGCLASS, OID, I),
    C(REGPROC, INT4, A),
    C(REGPROC, INT8, A),
    C(REGPROC, OID, I),
    C(REGTYPE, INT4, A),
    C(REGTYPE, INT8, A),
    C(REGTYPE, OID, I),
    C(TEXT, BPCHAR, I),
    C(TEXT, CHAR, A),
    C(TEXT, NAME, I),
    C(TEXT, REGCLASS, I),
    C(TEXT, VARCHAR, I),
    C(TIME, INTERVAL, I),
    C(TIME, TIME, I),
    C(TIMESTAMP, DATE, A),
    C(TIMESTAMP, TIME, A),
    C(TIMESTAMP, TIMESTAMP, I),
    C(TIMESTAMP, TIMESTAMPTZ, I),
    C(TIMESTAMPTZ, DATE, A),
    C(TIMESTAMPTZ, TIME, A),
    C(TIMESTAMPTZ, TIMESTAMP, A),
    C(TIMESTAMPTZ, TIMESTAMPTZ, I),
    C(VARCHAR, BPCHAR, I),
    C(VARCHAR, CHAR, A),
    C(VARCHAR, NAME, I),
    C(VARCHAR, REGCLASS, I),
    C(VARCHAR, TEXT, I),
    C(VARCHAR, VARCHAR, I),
};
#undef C
#undef I
#undef A
#undef E

static bool s_is_string_category(pz_ty_t t)
{
    return t == PZ_TY_TEXT || t == PZ_TY_VARCHAR || t == PZ_TY_BPCHAR || t == PZ_TY_NAME;
}

bool pz_ty_can_cast(pz_sql_type_t from, pz_sql_type_t to, pz_cast_ctx_t ctx)
{
    assert(from.id < PZ_TY_COUNT_ && to.id < PZ_TY_COUNT_);
    assert(ctx <= PZ_CAST_EXPLICIT);
    if (from.id == PZ_TY_UNKNOWN)
        return true;
    if (from.id == to.id && from.id != PZ_TY_ARRAY)
        return true;
    for (size_t i = 0; i < sizeof s_casts / sizeof s_casts[0]; i++) {
        if (s_casts[i].from == from.id && s_casts[i].to == to.id)
            return ctx >= (pz_cast_ctx_t)s_casts[i].ctx;
    }
    if (from.id == PZ_TY_ARRAY && to.id == PZ_TY_ARRAY) {
        if (from.elem == to.elem)
            return true;
        return pz_ty_can_cast(PZ_SQL_TYPE(from.elem), PZ_SQL_TYPE(to.elem), ctx);
    }
    if (to.id == PZ_TY_VOID || to.id == PZ_TY_RECORD || from.id == PZ_TY_VOID ||
        from.id == PZ_TY_RECORD)
        return false;
    if (s_is_string_category((pz_ty_t)to.id))
        return ctx >= PZ_CAST_ASSIGN;
    if (s_is_string_category((pz_ty_t)from.id))
        return ctx >= PZ_CAST_EXPLICIT;
    return false;
}

bool pz_ty_is_preferred(pz_ty_t t)
{
    assert((unsigned)t < PZ_TY_COUNT_);
    return t == PZ_TY_FLOAT8 || t == PZ_TY_TEXT || t == PZ_TY_TIMESTAMPTZ || t == PZ_TY_BOOL ||
           t == PZ_TY_INTERVAL || t == PZ_TY_OID;
}

static bool s_type_eq(pz_sql_type_t a, pz_sql_type_t b)
{
    return a.id == b.id && (a.id != PZ_TY_ARRAY || a.elem == b.elem);
}

/* PostgreSQL's select_common_type (parse_coerce.c), then select_common_typmod. */
int pz_ty_common(const pz_sql_type_t *types, int n, const char *context, pz_sql_type_t *out,
                 pz_sql_err_t *err)
{
    assert(types != NULL && n > 0 && out != NULL && err != NULL);
    assert(context != NULL);
    int first = -1;
    for (int i = 0; i < n && first < 0; i++)
        if (types[i].id != PZ_TY_UNKNOWN)
            first = i;
    if (first < 0) {
        *out = PZ_SQL_TYPE(PZ_TY_TEXT);
        return 0;
    }
    pz_sql_type_t p = types[first];
    p.typmod = -1;
    for (int i = first + 1; i < n; i++) {
        pz_sql_type_t t = types[i];
        if (t.id == PZ_TY_UNKNOWN || s_type_eq(t, p))
            continue;
        if (pz_ty_category((pz_ty_t)t.id) != pz_ty_category((pz_ty_t)p.id)) {
            char a[96], b[96];
            pz_ty_format(p, a, sizeof a);
            pz_ty_format(t, b, sizeof b);
            (void)pz_sql_err_set(err, "42804", "%s types %s and %s cannot be matched", context, a,
                                 b);
            return PZ_EINVAL;
        }
        if (!pz_ty_is_preferred((pz_ty_t)p.id) && pz_ty_can_cast(p, t, PZ_CAST_IMPLICIT) &&
            !pz_ty_can_cast(t, p, PZ_CAST_IMPLICIT)) {
            p = t;
            p.typmod = -1;
        }
    }
    /* The typmod survives when every input of the chosen type has the same one. */
    int32_t mod = -2;
    for (int i = 0; i < n; i++) {
        if (types[i].id == PZ_TY_UNKNOWN)
            continue;
        if (!s_type_eq(types[i], p) || (mod != -2 && mod != types[i].typmod)) {
            mod = -1;
            break;
        }
        mod = types[i].typmod;
    }
    p.typmod = mod == -2 ? -1 : mod;
    *out = p;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Type names                                                                                  */

/* Spellings without type modifiers and the type they name. */
static const struct {
    const char *name;
    uint8_t id;
} s_names[] = {
    {"int", PZ_TY_INT4},
    {"int4", PZ_TY_INT4},
    {"integer", PZ_TY_INT4},
    {"smallint", PZ_TY_INT2},
    {"int2", PZ_TY_INT2},
    {"bigint", PZ_TY_INT8},
    {"int8", PZ_TY_INT8},
    {"real", PZ_TY_FLOAT4},
    {"float4", PZ_TY_FLOAT4},
    {"float8", PZ_TY_FLOAT8},
    {"double precision", PZ_TY_FLOAT8},
    {"text", PZ_TY_TEXT},
    {"bool", PZ_TY_BOOL},
    {"boolean", PZ_TY_BOOL},
    {"bytea", PZ_TY_BYTEA},
    {"date", PZ_TY_DATE},
    {"uuid", PZ_TY_UUID},
    {"json", PZ_TY_JSON},
    {"jsonb", PZ_TY_JSONB},
    {"oid", PZ_TY_OID},
    {"regclass", PZ_TY_REGCLASS},
    {"regtype", PZ_TY_REGTYPE},
    {"regproc", PZ_TY_REGPROC},
    {"regnamespace", PZ_TY_REGNAMESPACE},
    {"regrole", PZ_TY_REGROLE},
    {"name", PZ_TY_NAME},
    {"\"char\"", PZ_TY_CHAR},
    {"void", PZ_TY_VOID},
    {"record", PZ_TY_RECORD},
    {"unknown", PZ_TY_UNKNOWN},
};

/* Spellings that take a modifier: their type and which rule checks it. */
static const struct {
    const char *name;
    uint8_t id;
} s_mod_names[] = {
    {"numeric", PZ_TY_NUMERIC},
    {"decimal", PZ_TY_NUMERIC},
    {"varchar", PZ_TY_VARCHAR},
    {"character varying", PZ_TY_VARCHAR},
    {"char varying", PZ_TY_VARCHAR},
    {"char", PZ_TY_BPCHAR},
    {"character", PZ_TY_BPCHAR},
    {"bpchar", PZ_TY_BPCHAR},
    {"float", PZ_TY_FLOAT8},
    {"time", PZ_TY_TIME},
    {"time without time zone", PZ_TY_TIME},
    {"timestamp", PZ_TY_TIMESTAMP},
    {"timestamp without time zone", PZ_TY_TIMESTAMP},
    {"timestamptz", PZ_TY_TIMESTAMPTZ},
    {"timestamp with time zone", PZ_TY_TIMESTAMPTZ},
    {"interval", PZ_TY_INTERVAL},
};

static int s_mod_numeric(const int32_t *mods, int n_mods, pz_sql_type_t *out, pz_sql_err_t *err)
{
    assert(out != NULL && n_mods >= 0);
    if (n_mods == 0)
        return 0;
    if (n_mods > 2)
        return pz_sql_err_set(err, "22023", "invalid NUMERIC type modifier");
    int32_t p = mods[0], s = n_mods == 2 ? mods[1] : 0;
    if (p < 1 || p > 1000)
        return pz_sql_err_set(err, "22023", "NUMERIC precision %d must be between 1 and 1000",
                              (int)p);
    if (s < -1000 || s > 1000)
        return pz_sql_err_set(err, "22023", "NUMERIC scale %d must be between -1000 and 1000",
                              (int)s);
    out->typmod = ((p << 16) | (s & 0x7ff)) + 4;
    return 0;
}

static int s_mod_char(const char *name, bool bare_is_one, const int32_t *mods, int n_mods,
                      pz_sql_type_t *out, pz_sql_err_t *err)
{
    assert(name != NULL && out != NULL);
    const char *what = out->id == PZ_TY_VARCHAR ? "varchar" : "char";
    if (n_mods == 0) {
        out->typmod = bare_is_one ? 1 + 4 : -1;
        return 0;
    }
    if (n_mods > 1)
        return pz_sql_err_set(err, "42601", "invalid type modifier");
    if (mods[0] < 1)
        return pz_sql_err_set(err, "22023", "length for type %s must be at least 1", what);
    if (mods[0] > PZ__CHAR_LEN_MAX)
        return pz_sql_err_set(err, "22023", "length for type %s cannot exceed %d", what,
                              PZ__CHAR_LEN_MAX);
    out->typmod = mods[0] + 4;
    return 0;
}

static int s_mod_apply(const char *name, const int32_t *mods, int n_mods, pz_sql_type_t *out,
                       pz_sql_err_t *err)
{
    assert(name != NULL && out != NULL && err != NULL);
    switch (out->id) {
    case PZ_TY_NUMERIC:
        return s_mod_numeric(mods, n_mods, out, err);
    case PZ_TY_VARCHAR:
    case PZ_TY_BPCHAR:
        return s_mod_char(name, out->id == PZ_TY_BPCHAR && strcmp(name, "bpchar") != 0, mods,
                          n_mods, out, err);
    case PZ_TY_FLOAT8:
        if (n_mods == 0)
            return 0;
        if (n_mods > 1 || mods[0] < 1)
            return pz_sql_err_set(err, "22023", "precision for type float must be at least 1 bit");
        if (mods[0] > 53)
            return pz_sql_err_set(err, "22023",
                                  "precision for type float must be less than 54 bits");
        out->id = mods[0] <= 24 ? PZ_TY_FLOAT4 : PZ_TY_FLOAT8;
        return 0;
    default: /* time, timestamp(tz), interval: fractional-second precision 0..6 */
        if (n_mods == 0)
            return 0;
        if (n_mods > 1 || mods[0] < 0)
            return pz_sql_err_set(err, "22023", "%s(%d) precision must not be negative",
                                  pz_ty_name((pz_ty_t)out->id), n_mods > 0 ? (int)mods[0] : 0);
        out->typmod = mods[0] > 6 ? 6 : mods[0];
        if (out->id == PZ_TY_INTERVAL)
            out->typmod |= 0x7fff << 16;
        return 0;
    }
}

/* Lower-cases name into buf, drops a "pg_catalog." prefix and parses "(a,b)" modifiers written
 * in the name itself ("float(24)") into mods when the caller gave none. */
static void s_name_norm(const char *name, char *buf, size_t cap, int32_t *mods, int *n_mods)
{
    assert(name != NULL && buf != NULL && cap > 0);
    if (strncasecmp(name, "pg_catalog.", 11) == 0)
        name += 11;
    size_t n = 0;
    for (; name[n] != '\0' && name[n] != '(' && n + 1 < cap; n++)
        buf[n] = (char)tolower((unsigned char)name[n]);
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    const char *par = strchr(name, '(');
    if (par != NULL && *n_mods == 0) {
        char *end;
        for (const char *q = par + 1; *n_mods < 2; q = end + 1) {
            long v = strtol(q, &end, 10);
            if (end == q)
                break;
            mods[(*n_mods)++] = (int32_t)(v > INT32_MAX ? INT32_MAX : v < -INT32_MAX ? -1 : v);
            if (*end != ',')
                break;
        }
    }
}

int pz_ty_from_name(const char *name, const int32_t *mods, int n_mods, bool is_array,
                    pz_sql_type_t *out, pz_sql_err_t *err)
{
    assert(name != NULL && out != NULL && err != NULL);
    assert(n_mods >= 0 && (n_mods == 0 || mods != NULL));
    char low[64];
    int32_t own[2];
    int n_own = 0;
    s_name_norm(name, low, sizeof low, own, &n_own);
    if (n_mods == 0 && n_own > 0) {
        mods = own;
        n_mods = n_own;
    }
    pz_sql_type_t t = PZ_SQL_TYPE(PZ_TY_COUNT_);
    for (size_t i = 0; i < sizeof s_names / sizeof s_names[0]; i++)
        if (strcmp(low, s_names[i].name) == 0)
            t = PZ_SQL_TYPE(s_names[i].id);
    if (t.id != PZ_TY_COUNT_ && n_mods > 0)
        return pz_sql_err_set(err, "42601", "type modifier is not allowed for type \"%s\"",
                              pz_ty_name((pz_ty_t)t.id));
    for (size_t i = 0; t.id == PZ_TY_COUNT_ && i < sizeof s_mod_names / sizeof s_mod_names[0];
         i++) {
        if (strcmp(low, s_mod_names[i].name) != 0)
            continue;
        t = PZ_SQL_TYPE(s_mod_names[i].id);
        if (s_mod_apply(low, mods, n_mods, &t, err) != 0)
            return PZ_EINVAL;
    }
    if (t.id == PZ_TY_COUNT_)
        return pz_sql_err_set(err, "42704", "type \"%s\" does not exist", name);
    if (is_array) {
        if (t.id == PZ_TY_VOID || t.id == PZ_TY_UNKNOWN || t.id == PZ_TY_RECORD)
            return pz_sql_err_set(err, "42704", "type \"%s[]\" does not exist", name);
        t.elem = t.id;
        t.id = PZ_TY_ARRAY;
    }
    *out = t;
    return 0;
}
