/*
 * sql_bind_window.c — binding window function calls (OVER): the function (ranking, offset,
 * value, or an aggregate over a frame), its PARTITION BY / ORDER BY (in the same context as the
 * target list, so a grouped query's windows see its groups and aggregates), and its frame.
 */
#include <string.h>

#include "sql_bind_int.h"

int pz__agg_kind(const char *name);

static const struct {
    const char *name;
    uint8_t kind;
    int8_t min_args, max_args;
} s_wfns[] = {
    {"row_number", PZ_WIN_ROW_NUMBER, 0, 0},
    {"rank", PZ_WIN_RANK, 0, 0},
    {"dense_rank", PZ_WIN_DENSE_RANK, 0, 0},
    {"percent_rank", PZ_WIN_PERCENT_RANK, 0, 0},
    {"cume_dist", PZ_WIN_CUME_DIST, 0, 0},
    {"ntile", PZ_WIN_NTILE, 1, 1},
    {"lag", PZ_WIN_LAG, 1, 3},
    {"lead", PZ_WIN_LEAD, 1, 3},
    {"first_value", PZ_WIN_FIRST_VALUE, 1, 1},
    {"last_value", PZ_WIN_LAST_VALUE, 1, 1},
    {"nth_value", PZ_WIN_NTH_VALUE, 2, 2},
};

/* OVER w / OVER (w ORDER BY ...): the named window's parts, then this one's additions. */
static int s_spec(pz_binder_t *b, const pz_win_ctx_t *wc, const pz_ast_window_t *over,
                  pz_ast_window_t *out)
{
    *out = *over;
    if (over->refname == NULL) {
        return 0;
    }
    for (int i = 0; i < wc->n_named; i++) {
        const pz_ast_window_t *w = &wc->named[i];
        if (w->name == NULL || strcmp(w->name, over->refname) != 0) {
            continue;
        }
        out->partition = w->partition;
        out->n_partition = w->n_partition;
        if (over->n_order == 0) {
            out->order = w->order;
            out->n_order = w->n_order;
        }
        if (!over->has_frame && w->has_frame) {
            out->has_frame = true;
            out->frame_mode = w->frame_mode;
            out->start_kind = w->start_kind;
            out->end_kind = w->end_kind;
            out->start_off = w->start_off;
            out->end_off = w->end_off;
        }
        return 0;
    }
    return pz__bind_err(b, over->location, "42704", "window \"%s\" does not exist", over->refname);
}

static int s_frame(pz_binder_t *b, const pz_ast_window_t *w, pz_win_t *win)
{
    win->has_frame = w->has_frame;
    win->frame_mode = w->frame_mode;
    win->start_kind = w->start_kind;
    win->end_kind = w->end_kind;
    if (!w->has_frame) {
        return 0;
    }
    if (w->frame_mode == 2 ||
        (w->frame_mode == 1 && (w->start_off != NULL || w->end_off != NULL))) {
        return pz__bind_err(b, w->location, "0A000",
                            "window frames in GROUPS mode or RANGE with offsets are not "
                            "supported yet");
    }
    int rc = 0;
    if (w->start_off != NULL) {
        rc = pz_bind_expr_noscope(b, w->start_off, &win->start_off);
        rc = rc ? rc
                : pz_bind_coerce(b, win->start_off, PZ_SQL_TYPE(PZ_TY_INT8), PZ_CAST_IMPLICIT, NULL,
                                 &win->start_off);
    }
    if (rc == 0 && w->end_off != NULL) {
        rc = pz_bind_expr_noscope(b, w->end_off, &win->end_off);
        rc = rc ? rc
                : pz_bind_coerce(b, win->end_off, PZ_SQL_TYPE(PZ_TY_INT8), PZ_CAST_IMPLICIT, NULL,
                                 &win->end_off);
    }
    return rc;
}

static int s_parts(pz_binder_t *b, const pz_ast_window_t *w, pz_win_t *win)
{
    win->partition = pz__bind_alloc(b, sizeof *win->partition * (size_t)(w->n_partition + 1));
    win->order = pz__bind_alloc(b, sizeof *win->order * (size_t)(w->n_order + 1));
    if (win->partition == NULL || win->order == NULL) {
        return PZ_ENOMEM;
    }
    for (int i = 0; i < w->n_partition; i++) {
        int rc = pz__bind_expr(b, w->partition[i], &win->partition[i]);
        if (rc != 0) {
            return rc;
        }
    }
    win->n_partition = w->n_partition;
    for (int i = 0; i < w->n_order; i++) {
        const pz_ast_sort_t *o = &w->order[i];
        int rc = pz__bind_expr(b, o->expr, &win->order[i].expr);
        if (rc != 0) {
            return rc;
        }
        win->order[i].desc = o->desc;
        win->order[i].nulls_first = o->nulls == 1 || (o->nulls == 0 && o->desc);
    }
    win->n_order = w->n_order;
    return 0;
}

/* The function itself: a ranking/offset/value function, or an aggregate. */
static int s_function(pz_binder_t *b, const pz_ast_expr_t *e, pz_win_t *win)
{
    for (size_t i = 0; i < sizeof s_wfns / sizeof s_wfns[0]; i++) {
        if (strcmp(s_wfns[i].name, e->name) != 0) {
            continue;
        }
        if (e->n_args < s_wfns[i].min_args || e->n_args > s_wfns[i].max_args || e->agg_star) {
            return pz__bind_err(b, e->location, "42883",
                                "function %s with %d arguments does "
                                "not exist",
                                e->name, e->n_args);
        }
        win->kind = s_wfns[i].kind;
        for (int a = 0; a < e->n_args; a++) {
            int rc = pz__bind_expr(b, e->args[a], &win->args[a]);
            if (rc != 0) {
                return rc;
            }
        }
        win->n_args = e->n_args;
        int rc = 0;
        if (win->kind == PZ_WIN_NTILE || win->kind == PZ_WIN_NTH_VALUE ||
            ((win->kind == PZ_WIN_LAG || win->kind == PZ_WIN_LEAD) && e->n_args >= 2)) {
            int k = win->kind == PZ_WIN_NTILE ? 0 : 1;
            rc = pz_bind_coerce(b, win->args[k], PZ_SQL_TYPE(PZ_TY_INT8), PZ_CAST_IMPLICIT, NULL,
                                &win->args[k]);
        }
        pz_sql_type_t t = win->n_args > 0 && win->kind != PZ_WIN_NTILE ? win->args[0]->type
                                                                       : PZ_SQL_TYPE(PZ_TY_INT8);
        if (win->kind == PZ_WIN_PERCENT_RANK || win->kind == PZ_WIN_CUME_DIST) {
            t = PZ_SQL_TYPE(PZ_TY_FLOAT8);
        } else if (win->kind <= PZ_WIN_NTILE) {
            t = PZ_SQL_TYPE(PZ_TY_INT8);
        }
        if (t.id == PZ_TY_UNKNOWN) {
            t = PZ_SQL_TYPE(PZ_TY_TEXT);
            rc =
                rc ? rc : pz_bind_coerce(b, win->args[0], t, PZ_CAST_IMPLICIT, NULL, &win->args[0]);
        }
        if (rc == 0 && e->n_args == 3) { /* lag/lead default: the value's type */
            rc = pz_bind_coerce(b, win->args[2], t, PZ_CAST_IMPLICIT, NULL, &win->args[2]);
        }
        win->type = t;
        return rc;
    }
    int kind = pz__agg_kind(e->name);
    if (kind < 0) {
        return pz__bind_err(b, e->location, "42809",
                            "OVER specified, but %s is not a window "
                            "function nor an aggregate function",
                            e->name);
    }
    if (e->agg_distinct) {
        return pz__bind_err(b, e->location, "0A000",
                            "DISTINCT is not implemented for window functions");
    }
    win->kind = PZ_WIN_AGG;
    int rc = pz__agg_build(b, e, kind, &win->agg);
    win->type = win->agg.type;
    return rc;
}

int pz__bind_window(pz_binder_t *b, const pz_ast_expr_t *e, pz_bx_t **out)
{
    pz_win_ctx_t *wc = b->win;
    if (wc == NULL) {
        return pz__bind_err(b, e->location, "42P20",
                            "window functions are not allowed in this context");
    }
    pz_ast_window_t spec;
    pz_win_t win = {0};
    b->win = NULL; /* no windows inside a window's arguments or specification */
    int rc = s_spec(b, wc, e->over, &spec);
    rc = rc ? rc : s_function(b, e, &win);
    rc = rc ? rc : s_parts(b, &spec, &win);
    rc = rc ? rc : s_frame(b, &spec, &win);
    b->win = wc;
    if (rc != 0) {
        return rc;
    }
    if (wc->n == wc->cap) {
        int cap = wc->cap ? wc->cap * 2 : 8;
        pz_win_t *n = pz__bind_alloc(b, sizeof *n * (size_t)cap);
        if (n == NULL) {
            return PZ_ENOMEM;
        }
        if (wc->n) {
            memcpy(n, wc->wins, sizeof *n * (size_t)wc->n);
        }
        wc->wins = n;
        wc->cap = cap;
    }
    wc->wins[wc->n] = win;
    pz_bx_t *x = pz__bx_new(b, PZ_BX_COL, win.type);
    if (x == NULL) {
        return PZ_ENOMEM;
    }
    x->idx = PZ_WIN_COL_BASE - wc->n++;
    x->location = e->location;
    *out = x;
    return 0;
}

void pz__win_fix(pz_bx_t *x, int n_input)
{
    if (x->kind == PZ_BX_COL && x->idx <= PZ_WIN_COL_BASE) {
        x->idx = n_input + (PZ_WIN_COL_BASE - x->idx);
    }
    for (int i = 0; i < x->n_args; i++) {
        pz__win_fix(x->args[i], n_input);
    }
}
