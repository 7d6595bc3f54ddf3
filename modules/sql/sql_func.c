/*
 * sql_func.c — the table of built-in operators and functions, PostgreSQL's call resolution over
 * it, the STRICT call wrapper, LIKE matching, and the helpers the area files share.
 *
 * Resolution follows PostgreSQL's func_select_candidate (parse_func.c) and oper_select_candidate
 * (parse_oper.c), the docs' "Operator Type Resolution" / "Function Type Resolution":
 *   1. the rows with the name and argument count (operators and functions apart);
 *   2. an exact match wins (for a binary operator with one UNKNOWN argument, the UNKNOWN is
 *      taken as the other argument's type for this step);
 *   3. a. keep the rows every argument reaches by an implicit cast (UNKNOWN reaches anything);
 *      c. keep those with the most exact matches;
 *      d. keep those with the most exact-or-preferred types where a cast is needed;
 *      e. for UNKNOWN arguments, pick the category per position (string if any row takes one,
 *         else the one category every row takes) and keep the rows taking it, preferring its
 *         preferred type;
 *      f. if the known arguments all have one type, take the UNKNOWNs as that type and keep
 *         the rows that accept it: one row left wins;
 *   after each step one row left wins; none left: 42883, several at the end: 42725.
 * Polymorphic arguments (PZ_FN_ANY, ANYELEM, ANYARRAY) count as pseudo-types (category 'P',
 * never exact, never preferred); ANYELEM binds to one element type per call, which an argument
 * may reach by an implicit cast (PostgreSQL 15's anycompatible rules for array_append & co.).
 *
 * The table is the area files' rows joined once (pthread_once) into one array.
 */
#include "sql_func_int.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Rows sharing one name and argument count: "=" has the most (about 60). */
#define S_CANDS_MAX 256
/* Arguments of one call: PostgreSQL's FUNC_MAX_ARGS. */
#define S_CALL_ARGS_MAX 100
/* A formatted argument list in an error message. */
#define S_SIG_BYTES 400

static pz_sql_fndef_t *s_table;
static size_t s_table_n;
static pthread_once_t s_table_once = PTHREAD_ONCE_INIT;

/* The catalog functions (sql_func_catalog.c), kept out of sql_func_int.h's area list. */
extern const pz_sql_fndef_t pz__fn_catalog[];
extern const size_t pz__fn_catalog_n;
extern const pz_sql_fndef_t pz__fn_json[]; /* sql_func_json.c */
extern const size_t pz__fn_json_n;
extern const pz_sql_fndef_t pz__fn_more[]; /* sql_func_more.c */
extern const size_t pz__fn_more_n;
extern const pz_sql_fndef_t pz__fn_fmt[]; /* sql_func_fmt.c */
extern const size_t pz__fn_fmt_n;

static void s_table_init(void)
{
    const struct {
        const pz_sql_fndef_t *rows;
        size_t n;
    } parts[] = {{pz__fn_ops, pz__fn_ops_n},         {pz__fn_str, pz__fn_str_n},
                 {pz__fn_math, pz__fn_math_n},       {pz__fn_time, pz__fn_time_n},
                 {pz__fn_catalog, pz__fn_catalog_n}, {pz__fn_json, pz__fn_json_n},
                 {pz__fn_more, pz__fn_more_n},       {pz__fn_fmt, pz__fn_fmt_n}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        n += parts[i].n;
    }
    s_table = malloc(sizeof *s_table * n);
    assert(s_table != NULL); /* at load time, a few tens of KiB */
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        memcpy(s_table + s_table_n, parts[i].rows, sizeof *s_table * parts[i].n);
        s_table_n += parts[i].n;
    }
}

const pz_sql_fndef_t *pz_sql_fn_table(size_t *n)
{
    assert(n != NULL);
    pthread_once(&s_table_once, s_table_init);
    *n = s_table_n;
    return s_table;
}

bool pz_sql_fn_exists(const char *name)
{
    assert(name != NULL);
    size_t n;
    const pz_sql_fndef_t *t = pz_sql_fn_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------------------------------ */
/* Resolution                                                                                  */

static bool s_is_wild(uint8_t t)
{
    return t >= PZ_FN_ANY;
}

/* The declared type of argument i (a VARIADIC row repeats its last one). */
static uint8_t s_decl(const pz_sql_fndef_t *d, int i)
{
    return i < d->nargs ? d->args[i] : d->args[d->nargs - 1];
}

static char s_cat(uint8_t t)
{
    return s_is_wild(t) ? 'P' : pz_ty_category((pz_ty_t)t);
}

static bool s_pref(uint8_t t)
{
    return !s_is_wild(t) && pz_ty_is_preferred((pz_ty_t)t);
}

/* Whether argument type a reaches declared type t by an implicit cast. */
static bool s_reaches(pz_sql_type_t a, uint8_t t)
{
    if (t == PZ_FN_ANY || a.id == PZ_TY_UNKNOWN) {
        return true;
    }
    if (t == PZ_FN_ANYELEM) {
        return a.id != PZ_TY_ARRAY;
    }
    if (t == PZ_FN_ANYARRAY) {
        return a.id == PZ_TY_ARRAY;
    }
    return a.id != PZ_TY_ARRAY && pz_ty_can_cast(a, PZ_SQL_TYPE(t), PZ_CAST_IMPLICIT);
}

/* The element type ANYELEM/ANYARRAY bind to in this call (UNKNOWN: none known), or false when
 * the arguments disagree. */
static bool s_bind(const pz_sql_fndef_t *d, int argc, const pz_sql_type_t *argt, uint8_t *elem)
{
    *elem = PZ_TY_UNKNOWN;
    for (int i = 0; i < argc; i++) {
        if (s_decl(d, i) == PZ_FN_ANYARRAY && argt[i].id == PZ_TY_ARRAY) {
            if (*elem != PZ_TY_UNKNOWN && *elem != argt[i].elem) {
                return false;
            }
            *elem = argt[i].elem;
        }
    }
    for (int i = 0; i < argc; i++) {
        if (s_decl(d, i) != PZ_FN_ANYELEM || argt[i].id == PZ_TY_UNKNOWN) {
            continue;
        }
        if (*elem == PZ_TY_UNKNOWN) {
            *elem = argt[i].id;
        } else if (*elem != argt[i].id &&
                   !pz_ty_can_cast(argt[i], PZ_SQL_TYPE(*elem), PZ_CAST_IMPLICIT)) {
            return false;
        }
    }
    return true;
}

static bool s_accepts(const pz_sql_fndef_t *d, int argc, const pz_sql_type_t *argt)
{
    uint8_t elem;
    for (int i = 0; i < argc; i++) {
        if (!s_reaches(argt[i], s_decl(d, i))) {
            return false;
        }
    }
    return s_bind(d, argc, argt, &elem);
}

static bool s_exact(const pz_sql_fndef_t *d, int argc, const pz_sql_type_t *argt)
{
    for (int i = 0; i < argc; i++) {
        if (s_decl(d, i) != argt[i].id || argt[i].id == PZ_TY_ARRAY) {
            return false;
        }
    }
    return true;
}

/* Keeps the candidates scoring the most (score(cand) per step); keeps all when all score 0. */
typedef int (*s_score_fn)(const pz_sql_fndef_t *d, int argc, const pz_sql_type_t *argt);

static int s_keep_best(const pz_sql_fndef_t **c, int n, int argc, const pz_sql_type_t *argt,
                       s_score_fn score)
{
    int best = 0, kept = 0;
    for (int i = 0; i < n; i++) {
        int s = score(c[i], argc, argt);
        best = s > best ? s : best;
    }
    if (best == 0) {
        return n;
    }
    for (int i = 0; i < n; i++) {
        if (score(c[i], argc, argt) == best) {
            c[kept++] = c[i];
        }
    }
    return kept;
}

static int s_score_exact(const pz_sql_fndef_t *d, int argc, const pz_sql_type_t *argt)
{
    int s = 0;
    for (int i = 0; i < argc; i++) {
        s += argt[i].id != PZ_TY_UNKNOWN && s_decl(d, i) == argt[i].id;
    }
    return s;
}

static int s_score_pref(const pz_sql_fndef_t *d, int argc, const pz_sql_type_t *argt)
{
    int s = 0;
    for (int i = 0; i < argc; i++) {
        uint8_t t = s_decl(d, i);
        if (argt[i].id != PZ_TY_UNKNOWN &&
            (t == argt[i].id || (s_pref(t) && s_cat(t) == pz_ty_category((pz_ty_t)argt[i].id)))) {
            s++;
        }
    }
    return s;
}

/* Step 3.e: the category of each UNKNOWN position. false: no single choice. */
static int s_unknown_categories(const pz_sql_fndef_t **c, int n, int argc,
                                const pz_sql_type_t *argt)
{
    for (int i = 0; i < argc; i++) {
        if (argt[i].id != PZ_TY_UNKNOWN) {
            continue;
        }
        char cat = 0;
        bool pref = false;
        for (int k = 0; k < n; k++) {
            uint8_t t = s_decl(c[k], i);
            if (cat == 0 || s_cat(t) == cat) {
                pref |= s_pref(t);
                cat = s_cat(t);
            } else if (s_cat(t) == 'S') {
                cat = 'S';
                pref = s_pref(t);
            } else if (cat != 'S') {
                return n; /* conflicting categories: no clue here */
            }
        }
        int kept = 0;
        for (int k = 0; k < n; k++) {
            uint8_t t = s_decl(c[k], i);
            if (s_cat(t) == cat && (!pref || s_pref(t))) {
                c[kept++] = c[k];
            }
        }
        n = kept > 0 ? kept : n;
    }
    return n;
}

/* Step 3.f: UNKNOWNs taken as the one type of the known arguments. */
static const pz_sql_fndef_t *s_unknown_as_known(const pz_sql_fndef_t **c, int n, int argc,
                                                const pz_sql_type_t *argt)
{
    pz_sql_type_t known = PZ_SQL_TYPE(PZ_TY_UNKNOWN), as[S_CALL_ARGS_MAX];
    for (int i = 0; i < argc; i++) {
        if (argt[i].id == PZ_TY_UNKNOWN) {
            continue;
        }
        if (known.id != PZ_TY_UNKNOWN && (known.id != argt[i].id || known.elem != argt[i].elem)) {
            return NULL;
        }
        known = argt[i];
    }
    if (known.id == PZ_TY_UNKNOWN) {
        return NULL;
    }
    for (int i = 0; i < argc; i++) {
        as[i] = argt[i].id == PZ_TY_UNKNOWN ? known : argt[i];
    }
    const pz_sql_fndef_t *one = NULL;
    for (int k = 0; k < n; k++) {
        if (s_accepts(c[k], argc, as)) {
            if (one != NULL) {
                return NULL;
            }
            one = c[k];
        }
    }
    return one;
}

/* Steps 2 and 3 over the rows with the name and count; NULL with *ambiguous set or not. */
static const pz_sql_fndef_t *s_select(const pz_sql_fndef_t **c, int n, bool is_op, int argc,
                                      const pz_sql_type_t *argt, bool *ambiguous)
{
    pz_sql_type_t ex[S_CALL_ARGS_MAX];
    memcpy(ex, argt, sizeof *ex * (size_t)argc);
    if (is_op && argc == 2 && (ex[0].id == PZ_TY_UNKNOWN) != (ex[1].id == PZ_TY_UNKNOWN)) {
        ex[ex[0].id == PZ_TY_UNKNOWN ? 0 : 1] = ex[ex[0].id == PZ_TY_UNKNOWN ? 1 : 0];
    }
    for (int k = 0; k < n; k++) {
        if (s_exact(c[k], argc, ex)) {
            return c[k];
        }
    }
    int kept = 0;
    for (int k = 0; k < n; k++) {
        if (s_accepts(c[k], argc, argt)) {
            c[kept++] = c[k];
        }
    }
    n = kept;
    if (n <= 1) {
        return n == 1 ? c[0] : NULL;
    }
    n = s_keep_best(c, n, argc, argt, s_score_exact);
    if (n > 1) {
        n = s_keep_best(c, n, argc, argt, s_score_pref);
    }
    if (n > 1) {
        n = s_unknown_categories(c, n, argc, argt);
    }
    if (n == 1) {
        return c[0];
    }
    const pz_sql_fndef_t *one = s_unknown_as_known(c, n, argc, argt);
    *ambiguous = one == NULL;
    return one;
}

/* "integer, text" / "integer + text" / "- text" for the messages. */
static void s_signature(const char *name, bool is_op, int argc, const pz_sql_type_t *argt,
                        char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && n + 1 < cap; i++) {
        char ty[128];
        pz_ty_format(argt[i], ty, sizeof ty);
        const char *sep = i == 0 ? "" : is_op ? " " : ", ";
        if (is_op && (argc == 1 || i == 1)) {
            n += (size_t)snprintf(buf + n, cap - n, "%s%s ", sep, name);
            sep = "";
        }
        if (n < cap) {
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", sep, ty);
        }
    }
}

static int s_fail(const char *name, bool is_op, int argc, const pz_sql_type_t *argt, bool ambiguous,
                  pz_sql_err_t *err)
{
    char sig[S_SIG_BYTES];
    s_signature(name, is_op, argc, argt, sig, sizeof sig);
    const char *what = is_op ? "operator" : "function";
    if (ambiguous) {
        if (is_op) {
            pz_sql_err_set(err, "42725", "operator is not unique: %s", sig);
        } else {
            pz_sql_err_set(err, "42725", "function %s(%s) is not unique", name, sig);
        }
        pz_sql_err_hint(err,
                        "Could not choose a best candidate %s. You might need to add explicit "
                        "type casts.",
                        what);
        return PZ_EINVAL;
    }
    if (is_op) {
        pz_sql_err_set(err, "42883", "operator does not exist: %s", sig);
    } else {
        pz_sql_err_set(err, "42883", "function %s(%s) does not exist", name, sig);
    }
    pz_sql_err_hint(err,
                    "No %s matches the given name and argument types. You might need to add "
                    "explicit type casts.",
                    what);
    return PZ_EINVAL;
}

/* The chosen row's argument and result types for this call. */
static void s_finish(const pz_sql_fndef_t *d, int argc, const pz_sql_type_t *argt,
                     pz_sql_type_t *cast_to, pz_sql_type_t *ret)
{
    uint8_t elem;
    bool ok = s_bind(d, argc, argt, &elem);
    assert(ok);
    (void)ok;
    if (elem == PZ_TY_UNKNOWN) {
        elem = PZ_TY_TEXT; /* only UNKNOWN arguments: PostgreSQL takes them as text */
    }
    pz_sql_type_t arr = {.id = PZ_TY_ARRAY, .elem = elem, .typmod = -1};
    for (int i = 0; i < argc; i++) {
        uint8_t t = s_decl(d, i);
        if (t == PZ_FN_ANY) {
            cast_to[i] = argt[i].id == PZ_TY_UNKNOWN ? PZ_SQL_TYPE(PZ_TY_TEXT) : argt[i];
        } else if (t == PZ_FN_ANYELEM) {
            cast_to[i] = argt[i].id == elem ? argt[i] : PZ_SQL_TYPE(elem);
        } else if (t == PZ_FN_ANYARRAY) {
            cast_to[i] = argt[i].id == PZ_TY_ARRAY ? argt[i] : arr;
        } else {
            cast_to[i] = argt[i].id == t ? argt[i] : PZ_SQL_TYPE(t);
        }
    }
    if (d->ret == PZ_FN_ANY) {
        *ret = argc > 0 ? cast_to[0] : PZ_SQL_TYPE(PZ_TY_TEXT);
        ret->typmod = -1;
    } else if (d->ret == PZ_FN_ANYELEM) {
        *ret = PZ_SQL_TYPE(elem);
    } else if (d->ret == PZ_FN_ANYARRAY) {
        *ret = arr;
    } else {
        *ret = PZ_SQL_TYPE(d->ret);
    }
}

int pz_sql_fn_resolve(const char *name, bool is_op, int argc, const pz_sql_type_t *argt,
                      const pz_sql_fndef_t **def, pz_sql_type_t *cast_to, pz_sql_type_t *ret,
                      pz_sql_err_t *err)
{
    assert(name != NULL && def != NULL && cast_to != NULL && ret != NULL && err != NULL);
    assert(argc >= 0 && (argt != NULL || argc == 0));
    if (argc > S_CALL_ARGS_MAX) {
        return pz_sql_err_set(err, "54023", "cannot pass more than %d arguments to a function",
                              S_CALL_ARGS_MAX);
    }
    size_t n;
    const pz_sql_fndef_t *t = pz_sql_fn_table(&n);
    const pz_sql_fndef_t *c[S_CANDS_MAX];
    int nc = 0;
    for (size_t i = 0; i < n; i++) {
        const pz_sql_fndef_t *d = &t[i];
        bool count_ok = (d->flags & PZ_FN_VARIADIC) ? argc >= d->nargs : argc == d->nargs;
        if (count_ok && is_op == ((d->flags & PZ_FN_OPERATOR) != 0) && strcmp(d->name, name) == 0) {
            assert(nc < S_CANDS_MAX);
            c[nc++] = d;
        }
    }
    bool ambiguous = false;
    const pz_sql_fndef_t *one = nc > 0 ? s_select(c, nc, is_op, argc, argt, &ambiguous) : NULL;
    if (one == NULL) {
        return s_fail(name, is_op, argc, argt, ambiguous, err);
    }
    s_finish(one, argc, argt, cast_to, ret);
    *def = one;
    return 0;
}

int pz_sql_fn_call(const pz_sql_fndef_t *def, pz_sql_fnctx_t *ctx, int argc, const pz_datum_t *argv,
                   pz_datum_t *out)
{
    assert(def != NULL && ctx != NULL && out != NULL);
    assert(ctx->arena != NULL && ctx->err != NULL && (argv != NULL || argc == 0));
    if (def->flags & PZ_FN_STRICT) {
        for (int i = 0; i < argc; i++) {
            if (argv[i].null) {
                *out = pz_datum_null((pz_ty_t)ctx->ret.id);
                return 0;
            }
        }
    }
    *out = pz_datum_null((pz_ty_t)ctx->ret.id);
    int rc = def->fn(ctx, argc, argv, out);
    assert(rc == 0 || rc == PZ_ENOMEM || pz_sql_err_is_set(ctx->err));
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* LIKE                                                                                        */

/* Case folding for ILIKE: ASCII letters (PostgreSQL folds by the collation; the C collation
 * folds ASCII only too). */
static uint8_t s_fold(uint8_t c, bool icase)
{
    return icase ? (uint8_t)tolower(c) : c;
}

/* PostgreSQL's MatchText (like_match.c) on characters: % any run, _ one character. */
static bool s_like(const uint8_t *s, size_t sn, const uint8_t *p, size_t pn, bool icase, int esc,
                   int depth)
{
    size_t si = 0, pi = 0;
    while (pi < pn) {
        uint8_t c = p[pi];
        if (esc >= 0 && c == (uint8_t)esc) {
            pi++; /* the next character is literal (a trailing escape: the caller refuses it) */
            if (pi >= pn || si >= sn) {
                return false;
            }
            size_t cl = pz__utf8_len(p[pi]);
            if (cl == 1 ? s_fold(s[si], icase) != s_fold(p[pi], icase)
                        : si + cl > sn || pi + cl > pn || memcmp(s + si, p + pi, cl) != 0) {
                return false;
            }
            si += cl, pi += cl;
        } else if (c == '%') {
            while (pi < pn && (p[pi] == '%' || p[pi] == '_')) {
                if (p[pi] == '_') { /* %_ : one character must exist */
                    if (si >= sn) {
                        return false;
                    }
                    si += pz__utf8_len(s[si]);
                }
                pi++;
            }
            if (pi == pn) {
                return true;
            }
            for (; si <= sn; si += si < sn ? pz__utf8_len(s[si]) : 1) {
                if (s_like(s + si, sn - si, p + pi, pn - pi, icase, esc, depth + 1)) {
                    return true;
                }
            }
            return false;
        } else if (c == '_') {
            if (si >= sn) {
                return false;
            }
            si += pz__utf8_len(s[si]);
            pi++;
        } else {
            if (si >= sn || s_fold(s[si], icase) != s_fold(c, icase)) {
                return false;
            }
            si++, pi++;
        }
    }
    return si >= sn;
}

bool pz_sql_like(const uint8_t *s, size_t slen, const uint8_t *pat, size_t plen, bool icase,
                 int escape)
{
    assert(s != NULL || slen == 0);
    assert(pat != NULL || plen == 0);
    return s_like(s, slen, pat, plen, icase, escape, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Shared helpers                                                                              */

int pz__fn_oom(pz_sql_fnctx_t *ctx)
{
    return pz_sql_err_code(ctx->err, PZ_ENOMEM, NULL);
}

uint8_t *pz__fn_alloc(pz_sql_fnctx_t *ctx, size_t n)
{
    uint8_t *p = pz_arena_alloc(ctx->arena, n + 1);
    if (p == NULL) {
        pz__fn_oom(ctx);
    }
    return p;
}

int pz__fn_bytes(pz_sql_fnctx_t *ctx, pz_ty_t t, const void *p, size_t n, pz_datum_t *out)
{
    assert(p != NULL || n == 0);
    if (n > UINT32_MAX) {
        return pz_sql_err_set(ctx->err, "54000", "requested length too large");
    }
    uint8_t *dst = pz__fn_alloc(ctx, n);
    if (dst == NULL) {
        return PZ_ENOMEM;
    }
    if (n > 0) {
        memcpy(dst, p, n);
    }
    *out = pz_datum_bytes(t, dst, (uint32_t)n);
    return 0;
}

int pz__fn_int(pz_sql_fnctx_t *ctx, pz_ty_t t, int64_t v, pz_datum_t *out)
{
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    const char *name = "bigint";
    if (t == PZ_TY_INT2) {
        lo = INT16_MIN, hi = INT16_MAX, name = "smallint";
    } else if (t == PZ_TY_INT4) {
        lo = INT32_MIN, hi = INT32_MAX, name = "integer";
    }
    if (v < lo || v > hi) {
        return pz_sql_err_set(ctx->err, "22003", "%s out of range", name);
    }
    *out = pz_datum_int(t, v);
    return 0;
}

int pz__fn_float(pz_sql_fnctx_t *ctx, pz_ty_t t, double v, bool inf_ok, bool zero_ok,
                 pz_datum_t *out)
{
    if (t == PZ_TY_FLOAT4) {
        v = (float)v;
    }
    if (__builtin_isinf(v) && !inf_ok) {
        return pz_sql_err_set(ctx->err, "22003", "value out of range: overflow");
    }
    if (v == 0 && !zero_ok) {
        return pz_sql_err_set(ctx->err, "22003", "value out of range: underflow");
    }
    *out = pz_datum_float(t, v);
    return 0;
}

size_t pz__utf8_len(uint8_t c)
{
    return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 : 1;
}

size_t pz__utf8_count(const uint8_t *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i += pz__utf8_len(s[i])) {
        chars++;
    }
    return chars;
}

size_t pz__utf8_offset(const uint8_t *s, size_t n, size_t ci)
{
    size_t i = 0;
    for (; i < n && ci > 0; ci--) {
        i += pz__utf8_len(s[i]);
    }
    return i < n ? i : n;
}
