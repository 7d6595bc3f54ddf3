/*
 * sql_vtab_int.h — what the virtual-table files share: sql_vtab.c (the registry, binding, the
 * catalog snapshot, row building, derived OIDs), sql_vtab_pg.c (pg_catalog), sql_vtab_info.c
 * (information_schema) and sql_func_catalog.c (the catalog functions, which read the snapshot).
 *
 * The snapshot: a virtual table is built when its node opens, from a copy of every descriptor of
 * the session's database taken then (pz__vt_snap_build). The copy stays as this thread's latest
 * snapshot until the next one replaces it, so catalog functions called later in the same
 * statement (pg_get_indexdef, pg_table_is_visible, pg_get_userbyid, ...) answer from the same
 * catalog state as the rows they are called on, without a KV read of their own: a function
 * context has no catalog handle. A session runs on one thread, so a session only ever sees its
 * own snapshots. A catalog function in a statement that reads no virtual table answers from the
 * last snapshot this thread took (possibly older than a DDL since), or as for an unknown OID.
 */
#ifndef PZ_SQL_VTAB_INT_H
#define PZ_SQL_VTAB_INT_H

#include "sql_bind_int.h"
#include "sql_role.h"

/* Fixed OIDs, PostgreSQL 15's where it has them. */
#define PZ_VT_NS_PG_CATALOG 11u
/* information_schema: PostgreSQL's OID differs by build; ours is fixed. */
#define PZ_VT_NS_INFO 13000u
#define PZ_VT_NS_TOAST 99u       /* empty: listed because PostgreSQL lists it */
#define PZ_VT_ROLE_BOOTSTRAP 10u /* the superuser "root", as PostgreSQL's bootstrap role */
#define PZ_VT_AM_HEAP 2u
#define PZ_VT_AM_BTREE 403u
#define PZ_VT_TBLSPC_DEFAULT 1663u
#define PZ_VT_TBLSPC_GLOBAL 1664u
#define PZ_VT_COLL_DEFAULT 100u
#define PZ_VT_COLL_C 950u
#define PZ_VT_COLL_POSIX 951u
#define PZ_VT_ENC_UTF8 6

/*
 * Derived OIDs: objects that are not descriptors (an index, a constraint, a column default, a
 * role) get an OID computed from the descriptor that holds them, so it is stable across
 * statements and needs no storage:
 *     0x80000000 | kind << 28 | ((table id - PZ_CAT_FIRST_ID) & 0xFFFF) << 12 | (sub & 0xFFF)
 * The high bit keeps them clear of descriptor ids (allocated upwards from 16384; they would need
 * two billion descriptors to reach it). They are unique while descriptor ids stay below
 * 16384 + 65536 and sub ids (index id, check/fk ordinal, attnum) below 4096; past either, two
 * objects can share an OID (the low bits wrap), which only makes the catalogs ambiguous.
 */
enum {
    PZ_VT_OID_INDEX = 0,   /* an index relation: sub = index id */
    PZ_VT_OID_KEYCON = 1,  /* the PRIMARY KEY / UNIQUE constraint of an index: sub = index id */
    PZ_VT_OID_CHECK = 2,   /* sub = 1 + the check's ordinal */
    PZ_VT_OID_FK = 3,      /* sub = 1 + the foreign key's ordinal */
    PZ_VT_OID_ATTRDEF = 4, /* a column default: sub = attnum */
    PZ_VT_OID_ROLE = 5     /* a role other than the bootstrap one: sub = a hash of its name */
};
uint32_t pz__vt_oid(int kind, uint32_t table_id, uint32_t sub);
/* Splits a derived OID; false for any other OID. */
bool pz__vt_oid_split(uint32_t oid, int *kind, uint32_t *table_id, uint32_t *sub);

/* Search path entries kept for pg_table_is_visible (more are ignored). */
#define PZ_VT_PATH_MAX 16
/* Roles the snapshot knows: the descriptors' owners and the current user. */
#define PZ_VT_ROLES_MAX 256

typedef struct {
    pz_arena_t *arena;
    const pz_ex_t *ex; /* the statement it was taken for: (ex, its arena, its timestamp) */
    const pz_arena_t *ex_arena;
    int64_t stmt_ts_us;
    uint32_t db_id;
    const char *db_name;
    const char *user;
    pz_cat_desc_t *dbs; /* every database */
    int n_dbs;
    pz_cat_desc_t *objs; /* this database's schemas, tables, views, sequences, in id order */
    int n_objs;
    uint32_t path[PZ_VT_PATH_MAX]; /* the search path at the last bind (schema ids) */
    int n_path;
    const char *roles[PZ_VT_ROLES_MAX];
    int n_roles;
    pz_role_t *role_recs; /* the stored roles (sql_role.h), in name order */
    int n_role_recs;
} pz_vt_snap_t;

/* The stored record of a role, or NULL (an owner name without one). */
const pz_role_t *pz__vt_role_rec(const pz_vt_snap_t *s, const char *name);

/* This thread's latest snapshot, or NULL. Valid until the thread's next pz__vt_snap_build. */
const pz_vt_snap_t *pz__vt_snap(void);
/* Takes a new snapshot for ex's database (replacing this thread's previous one), or returns
 * the one already taken for the same statement. */
int pz__vt_snap_build(pz_ex_t *ex, const pz_vt_snap_t **out);
/* Marks this thread's snapshot as taken for an earlier statement (sql_conn.c, at each statement's
 * start): regclass output then stops naming relations from it (see pz__vt_regclass_name). */
void pz__vt_snap_stale(void);
/* regclass's text output (PostgreSQL prints the relation's name, schema-qualified when the
 * search path would not find it): true with the name in out when this thread's snapshot was
 * taken for the running statement and knows the OID; false otherwise (the OID is printed). */
bool pz__vt_regclass_name(uint32_t oid, pz_sbuf_t *out);
/* The database-local descriptor with this id, or NULL. */
const pz_cat_desc_t *pz__vt_find(const pz_vt_snap_t *s, uint32_t id);
/* Role OID of a name and back (NULL: unknown). */
uint32_t pz__vt_role_oid(const char *name);
const char *pz__vt_role_name(const pz_vt_snap_t *s, uint32_t oid);
/* A schema's name: ours, pg_catalog, information_schema; NULL if unknown. */
const char *pz__vt_schema_name(const pz_vt_snap_t *s, uint32_t id);
/* Whether the relation is the first of its name along the search path (pg_table_is_visible). */
bool pz__vt_visible(const pz_vt_snap_t *s, uint32_t oid);

/* Columns of a table as PostgreSQL numbers them: the visible columns, from 1. */
int pz__vt_attnum(const pz_cat_desc_t *t, uint32_t col_id);
/* The table's PRIMARY KEY index is real when it is not the hidden rowid. */
bool pz__vt_index_shown(const pz_cat_desc_t *t, const pz_cat_index_t *ix);
/* Texts PostgreSQL's deparsers give: CREATE INDEX ..., PRIMARY KEY (a), CHECK ((...)). Into b.
 * col > 0: that index column's definition only. pretty: the table's schema only when the table
 * is not visible (pg_get_indexdef's pretty form), else always. */
void pz__vt_indexdef(const pz_vt_snap_t *s, const pz_cat_desc_t *t, const pz_cat_index_t *ix,
                     int col, bool pretty, pz_sbuf_t *b);
void pz__vt_condef(const pz_vt_snap_t *s, const pz_cat_desc_t *t, int kind, uint32_t sub,
                   pz_sbuf_t *b);
/* Finds an index / constraint of a table by derived OID; NULL if absent. */
const pz_cat_index_t *pz__vt_index_of(const pz_cat_desc_t *t, uint32_t index_id);

/* C string of a descriptor view (into the snapshot arena). */
const char *pz__vt_str(const pz_vt_snap_t *s, pz_view_t v);

/* ---- building rows ---------------------------------------------------------------------- */

#define PZ_VT_COLS_MAX 48

typedef struct pz_vt_def pz_vt_def_t;

/* One virtual table being filled: set columns by name, then push. Unset columns are NULL for
 * text and arrays, 0 / false / '' otherwise (PostgreSQL's catalogs have few NULLs). */
typedef struct {
    pz_ex_t *ex;
    const pz_vt_snap_t *snap;
    pz_arena_t *tmp; /* this open's scratch */
    const pz_vt_def_t *def;
    pz_datum_t row[PZ_VT_COLS_MAX];
    pz_rowbuf_t *out;
} pz_vt_ctx_t;

struct pz_vt_def {
    const char *schema; /* "pg_catalog" / "information_schema" */
    const char *name;
    uint32_t oid;     /* its pg_class OID (PostgreSQL's for pg_catalog's tables) */
    char relkind;     /* 'r' a catalog table, 'v' a system view */
    const char *spec; /* "name:code ..." (codes: see sql_vtab.c) */
    int (*build)(pz_vt_ctx_t *c);
    /* parsed from spec once */
    int n_cols;
    const char *names[PZ_VT_COLS_MAX];
    pz_sql_type_t types[PZ_VT_COLS_MAX];
};

/* All virtual tables (parsed); n set. */
const pz_vt_def_t *pz__vt_defs(int *n);

void pz__vt_begin(pz_vt_ctx_t *c);
void pz__vt_int(pz_vt_ctx_t *c, const char *col, int64_t v);
void pz__vt_bool(pz_vt_ctx_t *c, const char *col, bool v);
void pz__vt_char(pz_vt_ctx_t *c, const char *col, char v);
void pz__vt_float(pz_vt_ctx_t *c, const char *col, double v);
void pz__vt_text(pz_vt_ctx_t *c, const char *col, const char *s); /* NULL s: NULL */
void pz__vt_textn(pz_vt_ctx_t *c, const char *col, const void *p, size_t n);
void pz__vt_view(pz_vt_ctx_t *c, const char *col, pz_view_t v);
void pz__vt_null(pz_vt_ctx_t *c, const char *col);
/* An array column of n integers (int2[] / oid[]) or strings ("char"[] / text[]). */
int pz__vt_int_array(pz_vt_ctx_t *c, const char *col, const int64_t *v, int n);
int pz__vt_text_array(pz_vt_ctx_t *c, const char *col, const char *const *v, int n);
int pz__vt_push(pz_vt_ctx_t *c);

/* Builders (sql_vtab_pg.c, sql_vtab_info.c). */
#define PZ_VT_BUILDERS(X)                                                                          \
    X(pg_class)                                                                                    \
    X(pg_namespace)                                                                                \
    X(pg_attribute)                                                                                \
    X(pg_type)                                                                                     \
    X(pg_index)                                                                                    \
    X(pg_constraint)                                                                               \
    X(pg_attrdef)                                                                                  \
    X(pg_database)                                                                                 \
    X(pg_roles)                                                                                    \
    X(pg_user)                                                                                     \
    X(pg_am)                                                                                       \
    X(pg_tablespace)                                                                               \
    X(pg_collation)                                                                                \
    X(pg_sequence)                                                                                 \
    X(pg_depend)                                                                                   \
    X(pg_proc)                                                                                     \
    X(pg_views)                                                                                    \
    X(pg_tables)                                                                                   \
    X(pg_indexes)                                                                                  \
    X(pg_sequences)                                                                                \
    X(pg_stats)                                                                                    \
    X(pg_stat_user_tables)                                                                         \
    X(pg_empty)                                                                                    \
    X(is_schemata)                                                                                 \
    X(is_tables)                                                                                   \
    X(is_columns)                                                                                  \
    X(is_table_constraints)                                                                        \
    X(is_key_column_usage)                                                                         \
    X(is_views)                                                                                    \
    X(is_sequences)
#define PZ_VT_DECL_(n) int pz__vt_build_##n(pz_vt_ctx_t *c);
PZ_VT_BUILDERS(PZ_VT_DECL_)
#undef PZ_VT_DECL_

/* PostgreSQL's internal type name ("int4", "_int4") of a type; NULL for none. */
const char *pz__vt_typname(pz_sql_type_t t);

#endif
