/*
 * sql_eval.c — evaluating bound expressions over a row, with PostgreSQL's NULL semantics
 * (three-valued AND/OR/NOT, strict functions, IN with NULLs, CASE, COALESCE ...).
 */
#include <assert.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "sql_conn.h"
#include "sql_ddl.h"
#include "sql_exec.h"
#include "sql_sched.h"

#define PZ_SQL_VERSION_TEXT "0.1"

void *pz_ex_alloc(pz_ex_t *ex, size_t bytes)
{
    void *p = pz_arena_alloc(ex->arena, bytes ? bytes : 1);
    if (p == NULL) {
        pz_sql_err_set(ex->err, "53200", "out of memory");
        pz_sql_err_detail(ex->err, "The statement used more than its memory budget.");
    }
    return p;
}

void *pz_ex_tmp_alloc(pz_ex_t *ex, size_t bytes)
{
    void *p = pz_arena_alloc(ex->tmp, bytes ? bytes : 1);
    if (p == NULL) {
        pz_sql_err_set(ex->err, "53200", "out of memory");
        pz_sql_err_detail(ex->err, "The statement used more than its memory budget.");
    }
    return p;
}

int pz_ex_tmp_reset(pz_ex_t *ex)
{
    if (ex->tmp != NULL && pz_arena_used(ex->tmp) < 64 * 1024) {
        return 0; /* small scratch is kept: a new arena per row would cost a malloc per row */
    }
    pz_arena_destroy(&ex->tmp);
    ex->tmp = pz_arena_new();
    ex->fn.arena = ex->tmp;
    return ex->tmp ? 0 : pz_sql_err_set(ex->err, "53200", "out of memory");
}

int pz_ex_hold(pz_ex_t *ex, pz_cat_entry_t *e)
{
    if (ex->n_held >= PZ_SQL_HELD_MAX) {
        return pz_sql_err_set(ex->err, "54000", "a statement touches too many tables");
    }
    ex->held[ex->n_held++] = e;
    return 0;
}

void pz_ex_rerun(pz_ex_t *ex)
{
    ex->run++;
    for (int i = 0; i < ex->n_ctes; i++) {
        ex->ctes[i] = NULL;
    }
}

void pz_ex_release_held(pz_ex_t *ex)
{
    while (ex->n_held > 0) {
        pz_cat_release(&ex->held[--ex->n_held]);
    }
}

pz_datum_t *pz_ex_keep_row(pz_ex_t *ex, const pz_datum_t *row, int n)
{
    pz_datum_t *out = pz_ex_alloc(ex, sizeof *out * (size_t)(n > 0 ? n : 1));
    if (out == NULL) {
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (pz_datum_copy(ex->arena, &row[i], &out[i]) != 0) {
            pz_sql_err_set(ex->err, "53200", "out of memory");
            return NULL;
        }
    }
    return out;
}

static uint64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int pz_ex_check_cancel(pz_ex_t *ex)
{
    pz_task_check_yield(); /* a long statement lets the other sessions of its worker run */
    if (ex->user_cancel != NULL && atomic_load_explicit(ex->user_cancel, memory_order_relaxed)) {
        return pz_sql_err_set(ex->err, "57014", "canceling statement due to user request");
    }
    if (ex->cancel != NULL && atomic_load_explicit(ex->cancel, memory_order_relaxed)) {
        return pz_sql_err_set(ex->err, "57P01",
                              "terminating connection due to administrator "
                              "command");
    }
    if (ex->deadline_ms != 0 && s_now_ms() > ex->deadline_ms) {
        return pz_sql_err_set(ex->err, "57014", "canceling statement due to statement timeout");
    }
    return 0;
}

bool pz_row_eq(const pz_datum_t *a, const pz_datum_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        if (a[i].null != b[i].null) {
            return false;
        }
        if (!a[i].null && pz_datum_cmp(&a[i], &b[i]) != 0) {
            return false;
        }
    }
    return true;
}

uint64_t pz_row_hash(const pz_datum_t *a, int n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < n; i++) {
        h = a[i].null ? (h * 31 + 7) : pz_datum_hash(&a[i], h);
    }
    return h;
}

int pz_sort_cmp(const pz_datum_t *a, const pz_datum_t *b, bool desc, bool nulls_first)
{
    if (a->null || b->null) {
        if (a->null && b->null) {
            return 0;
        }
        return (a->null ? -1 : 1) * (nulls_first ? 1 : -1);
    }
    int c = pz_datum_cmp(a, b);
    return desc ? -c : c;
}

/* Calls a resolved function row on evaluated args (strictness handled by pz_sql_fn_call). */
static int s_call(pz_ex_t *ex, const pz_bx_t *x, int argc, const pz_datum_t *argv, pz_datum_t *out)
{
    ex->fn.ret = x->type;
    int rc = pz_sql_fn_call(x->fn, &ex->fn, argc, argv, out);
    if (rc == 0 && !out->null && out->type == PZ_TY_UNKNOWN) {
        out->type = x->type.id;
    }
    return rc;
}

int pz_bx_compare(pz_ex_t *ex, const pz_sql_fndef_t *fn, const pz_datum_t *a, const pz_datum_t *b,
                  int *res)
{
    if (a->null || b->null) {
        *res = -1;
        return 0;
    }
    pz_datum_t argv[2] = {*a, *b}, out;
    ex->fn.ret = PZ_SQL_TYPE(PZ_TY_BOOL);
    int rc = pz_sql_fn_call(fn, &ex->fn, 2, argv, &out);
    if (rc != 0) {
        return rc;
    }
    *res = out.null ? -1 : out.v.b;
    return 0;
}

/* a = b through the node's resolved comparison row. */
static int s_eq(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *a, const pz_datum_t *b, int *res)
{
    return pz_bx_compare(ex, x->fn, a, b, res);
}

static int s_eval_bool(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    /* Three-valued logic: AND is false if any is false, else NULL if any is NULL. */
    bool is_and = x->kind == PZ_BX_AND;
    bool saw_null = false;
    for (int i = 0; i < x->n_args; i++) {
        pz_datum_t v;
        int rc = pz_bx_eval(ex, x->args[i], row, &v);
        if (rc != 0) {
            return rc;
        }
        if (v.null) {
            saw_null = true;
        } else if (v.v.b != is_and) {
            *out = pz_datum_bool(!is_and);
            return 0;
        }
    }
    *out = saw_null ? pz_datum_null(PZ_TY_BOOL) : pz_datum_bool(is_and);
    return 0;
}

static int s_eval_case(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    int pairs = (x->n_args - (x->has_else ? 1 : 0)) / 2;
    for (int i = 0; i < pairs; i++) {
        bool t = false;
        int rc = pz_bx_test(ex, x->args[2 * i], row, &t);
        if (rc != 0) {
            return rc;
        }
        if (t) {
            return pz_bx_eval(ex, x->args[2 * i + 1], row, out);
        }
    }
    if (x->has_else) {
        return pz_bx_eval(ex, x->args[x->n_args - 1], row, out);
    }
    *out = pz_datum_null(x->type.id);
    return 0;
}

/* x IN (list): true if any equal; else NULL if the left or any item is NULL; else false. */
static int s_eval_in(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    pz_datum_t l;
    int rc = pz_bx_eval(ex, x->args[0], row, &l);
    if (rc != 0) {
        return rc;
    }
    bool saw_null = l.null;
    for (int i = 1; i < x->n_args && !l.null; i++) {
        pz_datum_t r;
        int eq = 0;
        if ((rc = pz_bx_eval(ex, x->args[i], row, &r)) != 0 || (rc = s_eq(ex, x, &l, &r, &eq))) {
            return rc;
        }
        if (eq == 1) {
            *out = pz_datum_bool(!x->negated);
            return 0;
        }
        saw_null |= eq < 0;
    }
    *out = saw_null ? pz_datum_null(PZ_TY_BOOL) : pz_datum_bool(x->negated);
    return 0;
}

static int s_eval_minmax(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    *out = pz_datum_null(x->type.id);
    for (int i = 0; i < x->n_args; i++) {
        pz_datum_t v;
        int rc = pz_bx_eval(ex, x->args[i], row, &v);
        if (rc != 0) {
            return rc;
        }
        if (v.null) {
            continue; /* GREATEST/LEAST ignore NULLs */
        }
        int c = out->null ? 1 : pz_datum_cmp(&v, out);
        if (out->null || (x->kind == PZ_BX_GREATEST ? c > 0 : c < 0)) {
            *out = v;
        }
    }
    return 0;
}

int pz_bx_subplan_eval(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out);

static int s_eval_func(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    pz_datum_t stack[8];
    pz_datum_t *argv = x->n_args <= 8 ? stack : pz_ex_tmp_alloc(ex, sizeof *argv * x->n_args);
    if (argv == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < x->n_args; i++) {
        int rc = pz_bx_eval(ex, x->args[i], row, &argv[i]);
        if (rc != 0) {
            return rc;
        }
    }
    return s_call(ex, x, x->n_args, argv, out);
}

static int s_eval_distinct(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    pz_datum_t a, b;
    int rc = pz_bx_eval(ex, x->args[0], row, &a);
    rc = rc ? rc : pz_bx_eval(ex, x->args[1], row, &b);
    if (rc != 0) {
        return rc;
    }
    bool distinct;
    if (a.null || b.null) {
        distinct = a.null != b.null;
    } else {
        int eq = 0;
        if ((rc = s_eq(ex, x, &a, &b, &eq)) != 0) {
            return rc;
        }
        distinct = eq != 1;
    }
    *out = pz_datum_bool(x->negated ? !distinct : distinct);
    return 0;
}

/* x op ANY/ALL (array). */
static int s_eval_any(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    pz_datum_t l, arr;
    int rc = pz_bx_eval(ex, x->args[0], row, &l);
    rc = rc ? rc : pz_bx_eval(ex, x->args[1], row, &arr);
    if (rc != 0) {
        return rc;
    }
    if (arr.null) {
        *out = pz_datum_null(PZ_TY_BOOL);
        return 0;
    }
    return pz_bx_any(ex, x->fn, x->all, &l, arr.v.arr->items, arr.v.arr->n, out);
}

int pz_bx_any(pz_ex_t *ex, const pz_sql_fndef_t *fn, bool all, const pz_datum_t *l,
              const pz_datum_t *items, uint32_t n, pz_datum_t *out)
{
    bool saw_null = false;
    for (uint32_t i = 0; i < n; i++) {
        int res = 0;
        int rc = pz_bx_compare(ex, fn, l, &items[i], &res);
        if (rc != 0) {
            return rc;
        }
        if (res < 0) {
            saw_null = true;
        } else if ((res == 1) != all) {
            *out = pz_datum_bool(!all);
            return 0;
        }
    }
    *out = saw_null ? pz_datum_null(PZ_TY_BOOL) : pz_datum_bool(all);
    return 0;
}

static int s_eval_array(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    pz_sql_array_t *a = pz_ex_tmp_alloc(ex, sizeof *a);
    pz_datum_t *items = pz_ex_tmp_alloc(ex, sizeof *items * (size_t)(x->n_args + 1));
    if (a == NULL || items == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < x->n_args; i++) {
        int rc = pz_bx_eval(ex, x->args[i], row, &items[i]);
        if (rc != 0) {
            return rc;
        }
    }
    a->elem = x->type.elem;
    a->n = (uint32_t)x->n_args;
    a->items = items;
    *out = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = a};
    return 0;
}

static int s_eval_subscript(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    pz_datum_t arr, idx;
    int rc = pz_bx_eval(ex, x->args[0], row, &arr);
    rc = rc ? rc : pz_bx_eval(ex, x->args[1], row, &idx);
    if (rc != 0) {
        return rc;
    }
    *out = pz_datum_null(x->type.id);
    int64_t lower = !arr.null && arr.v.arr->vector ? 0 : 1; /* int2vector counts from 0 */
    if (!arr.null && !idx.null && idx.v.i >= lower && idx.v.i - lower < (int64_t)arr.v.arr->n) {
        *out = arr.v.arr->items[idx.v.i - lower];
    }
    return 0;
}

static int s_eval_typeof(pz_ex_t *ex, const pz_bx_t *x, pz_datum_t *out)
{
    char buf[128];
    size_t n = pz_ty_format(x->args[0]->type, buf, sizeof buf);
    uint8_t *p = pz_ex_tmp_alloc(ex, n + 1);
    if (p == NULL) {
        return PZ_ENOMEM;
    }
    memcpy(p, buf, n);
    *out = pz_datum_bytes(PZ_TY_REGTYPE, p, (uint32_t)n);
    out->type = PZ_TY_TEXT; /* printed as the name, as regtype's output is */
    return 0;
}

/* current_user & co (sql_bind_func.c's s_session_fns order). */
static int s_eval_session(pz_ex_t *ex, const pz_bx_t *x, pz_datum_t *out)
{
    const char *s = "";
    switch (x->idx) {
    case 0:
    case 1:
    case 2:
        s = ex->user ? ex->user : "root";
        break;
    case 3:
    case 4:
        s = ex->database ? ex->database : "";
        break;
    case 5:
        s = "public";
        break;
    case 6:
        s = "PostgreSQL 15.0 (Phantom Zero DB " PZ_SQL_VERSION_TEXT ")";
        break;
    default:
        *out = pz_datum_int(PZ_TY_INT4, (int64_t)getpid());
        return 0;
    }
    *out = pz_datum_bytes(x->type.id, s, (uint32_t)strlen(s));
    return 0;
}

static int s_eval_rest(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    pz_datum_t v;
    int rc;
    switch (x->kind) {
    case PZ_BX_NULLIF:
        if ((rc = pz_bx_eval(ex, x->args[0], row, out)) != 0 ||
            (rc = pz_bx_eval(ex, x->args[1], row, &v)) != 0) {
            return rc;
        }
        int eq = 0;
        if ((rc = s_eq(ex, x, out, &v, &eq)) != 0) {
            return rc;
        }
        if (eq == 1) {
            *out = pz_datum_null(x->type.id);
        }
        return 0;
    case PZ_BX_COALESCE:
        for (int i = 0; i < x->n_args; i++) {
            if ((rc = pz_bx_eval(ex, x->args[i], row, out)) != 0 || !out->null) {
                return rc;
            }
        }
        *out = pz_datum_null(x->type.id);
        return 0;
    case PZ_BX_GREATEST:
    case PZ_BX_LEAST:
        return s_eval_minmax(ex, x, row, out);
    case PZ_BX_SUBPLAN:
        return pz_bx_subplan_eval(ex, x, row, out);
    case PZ_BX_ANY:
        return s_eval_any(ex, x, row, out);
    case PZ_BX_ARRAY:
        return s_eval_array(ex, x, row, out);
    case PZ_BX_SUBSCRIPT:
        return s_eval_subscript(ex, x, row, out);
    case PZ_BX_TYPEOF:
        return s_eval_typeof(ex, x, out);
    case PZ_BX_NEXTVAL: /* nextval, currval, setval, lastval */
        return pz_sql_seqfn_eval(ex, x, row, pz_sql_conn_seqs(ex->session), out);
    case PZ_BX_SESSION:
        return s_eval_session(ex, x, out);
    default:
        return pz_sql_err_set(ex->err, "XX000", "unknown expression kind %d", x->kind);
    }
}

int pz_bx_eval(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, pz_datum_t *out)
{
    assert(ex != NULL && x != NULL && out != NULL);
    int rc;
    switch (x->kind) {
    case PZ_BX_CONST:
        *out = x->val;
        return 0;
    case PZ_BX_COL:
        *out = row[x->idx];
        return 0;
    case PZ_BX_OUTER:
        assert(x->level >= 1 && x->level <= ex->n_outer);
        *out = ex->outer[x->level - 1][x->idx];
        return 0;
    case PZ_BX_PARAM:
        if (x->idx >= ex->n_params) {
            return pz_sql_err_set(ex->err, "42P02", "there is no parameter $%d", x->idx + 1);
        }
        if (ex->params[x->idx].null || ex->params[x->idx].type == x->type.id) {
            *out = ex->params[x->idx];
            out->type = x->type.id;
            return 0;
        }
        return pz_datum_cast(ex->tmp, ex->env, &ex->params[x->idx], x->type, PZ_CAST_EXPLICIT, out,
                             ex->err);
    case PZ_BX_FUNC:
        return s_eval_func(ex, x, row, out);
    case PZ_BX_AND:
    case PZ_BX_OR:
        return s_eval_bool(ex, x, row, out);
    case PZ_BX_NOT:
        if ((rc = pz_bx_eval(ex, x->args[0], row, out)) == 0 && !out->null) {
            out->v.b = !out->v.b;
        }
        return rc;
    case PZ_BX_CASE:
        return s_eval_case(ex, x, row, out);
    case PZ_BX_CAST: {
        pz_datum_t v;
        if ((rc = pz_bx_eval(ex, x->args[0], row, &v)) != 0) {
            return rc;
        }
        if (v.null) {
            *out = pz_datum_null(x->type.id);
            return 0;
        }
        return pz_datum_cast(ex->tmp, ex->env, &v, x->type, x->cast_ctx, out, ex->err);
    }
    case PZ_BX_NULLTEST: {
        pz_datum_t v;
        if ((rc = pz_bx_eval(ex, x->args[0], row, &v)) != 0) {
            return rc;
        }
        *out = pz_datum_bool(v.null != x->negated);
        return 0;
    }
    case PZ_BX_BOOLTEST: {
        pz_datum_t v;
        if ((rc = pz_bx_eval(ex, x->args[0], row, &v)) != 0) {
            return rc;
        }
        bool r = x->booltest == 2 ? v.null : (!v.null && v.v.b == (x->booltest == 0));
        *out = pz_datum_bool(r != x->negated);
        return 0;
    }
    case PZ_BX_IN:
        return s_eval_in(ex, x, row, out);
    case PZ_BX_DISTINCT:
        return s_eval_distinct(ex, x, row, out);
    default:
        return s_eval_rest(ex, x, row, out);
    }
}

int pz_bx_test(pz_ex_t *ex, const pz_bx_t *x, const pz_datum_t *row, bool *out)
{
    pz_datum_t v;
    int rc = pz_bx_eval(ex, x, row, &v);
    *out = rc == 0 && !v.null && v.v.b;
    return rc;
}
