/*
 * sql_vtab.c — virtual tables of pg_catalog and information_schema: the registry, binding a name
 * to one, building its rows when its node opens, the catalog snapshot the rows and the catalog
 * functions (sql_func_catalog.c) are computed from, and the derived OIDs (sql_vtab_int.h).
 *
 * Name resolution is PostgreSQL's: pg_catalog is searched first for an unqualified name (so
 * `select * from pg_class` reads the catalog even if the user has a table pg_class), then the
 * user's schemas; information_schema must be named.
 *
 * A table's columns are a spec string "name:code ...", codes:
 *   o oid  n name  t text  v varchar  b bool  c "char"  h int2  i int4  l int8  f float4
 *   d float8  z timestamptz  g regproc  y regtype
 *   H int2[]  O oid[]  T text[]  C "char"[]  N name[]  V int2vector  W oidvector
 * The vectors are arrays marked as such (pz_sql_type_t.vector): PostgreSQL's OIDs, text form
 * "1 2" and subscripts from 0; ANY() and casts treat them as the arrays they are.
 */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sql_sched.h"
#include "sql_vtab_int.h"

/* ---- the registry ------------------------------------------------------------------------- */

#define PG "pg_catalog"
#define IS "information_schema"

static const char s_spec_class[] =
    "oid:o relname:n relnamespace:o reltype:o reloftype:o relowner:o relam:o relfilenode:o "
    "reltablespace:o relpages:i reltuples:f relallvisible:i reltoastrelid:o relhasindex:b "
    "relisshared:b relpersistence:c relkind:c relnatts:h relchecks:h relhasrules:b "
    "relhastriggers:b relhassubclass:b relrowsecurity:b relforcerowsecurity:b relispopulated:b "
    "relreplident:c relispartition:b relrewrite:o relacl:T reloptions:T relpartbound:t";
static const char s_spec_attribute[] =
    "attrelid:o attname:n atttypid:o attstattarget:i attlen:h attnum:h attndims:i "
    "attcacheoff:i atttypmod:i attbyval:b attalign:c attstorage:c attcompression:c attnotnull:b "
    "atthasdef:b atthasmissing:b attidentity:c attgenerated:c attisdropped:b attislocal:b "
    "attinhcount:i attcollation:o attacl:T attoptions:T attfdwoptions:T";
static const char s_spec_type[] =
    "oid:o typname:n typnamespace:o typowner:o typlen:h typbyval:b typtype:c typcategory:c "
    "typispreferred:b typisdefined:b typdelim:c typrelid:o typsubscript:g typelem:o typarray:o "
    "typinput:g typoutput:g typreceive:g typsend:g typmodin:g typmodout:g typanalyze:g "
    "typalign:c typstorage:c typnotnull:b typbasetype:o typtypmod:i typndims:i typcollation:o "
    "typdefaultbin:t typdefault:t typacl:T";
static const char s_spec_index[] =
    "indexrelid:o indrelid:o indnatts:h indnkeyatts:h indisunique:b indnullsnotdistinct:b "
    "indisprimary:b indisexclusion:b indimmediate:b indisclustered:b indisvalid:b "
    "indcheckxmin:b indisready:b indislive:b indisreplident:b indkey:V indcollation:W "
    "indclass:W indoption:V indexprs:t indpred:t";
static const char s_spec_constraint[] =
    "oid:o conname:n connamespace:o contype:c condeferrable:b condeferred:b convalidated:b "
    "conrelid:o contypid:o conindid:o conparentid:o confrelid:o confupdtype:c confdeltype:c "
    "confmatchtype:c conislocal:b coninhcount:i connoinherit:b conkey:H confkey:H conpfeqop:O "
    "conppeqop:O conffeqop:O confdelsetcols:H conexclop:O conbin:t";
static const char s_spec_database[] =
    "oid:o datname:n datdba:o encoding:i datlocprovider:c datistemplate:b datallowconn:b "
    "datconnlimit:i dattablespace:o datcollate:t datctype:t daticulocale:t datcollversion:t "
    "datacl:T";
static const char s_spec_roles[] =
    "rolname:n rolsuper:b rolinherit:b rolcreaterole:b rolcreatedb:b rolcanlogin:b "
    "rolreplication:b rolconnlimit:i rolpassword:t rolvaliduntil:z rolbypassrls:b rolconfig:T "
    "oid:o";
static const char s_spec_authid[] =
    "oid:o rolname:n rolsuper:b rolinherit:b rolcreaterole:b rolcreatedb:b rolcanlogin:b "
    "rolreplication:b rolbypassrls:b rolconnlimit:i rolpassword:t rolvaliduntil:z";
static const char s_spec_user[] = "usename:n usesysid:o usecreatedb:b usesuper:b userepl:b "
                                  "usebypassrls:b passwd:t valuntil:z useconfig:T";
static const char s_spec_proc[] =
    "oid:o proname:n pronamespace:o proowner:o prolang:o procost:f prorows:f provariadic:o "
    "prosupport:g prokind:c prosecdef:b proleakproof:b proisstrict:b proretset:b provolatile:c "
    "proparallel:c pronargs:h pronargdefaults:h prorettype:o proargtypes:W proallargtypes:O "
    "proargmodes:C proargnames:T proargdefaults:t protrftypes:O prosrc:t probin:t "
    "prosqlbody:t proconfig:T proacl:T";

/* information_schema's domains: sql_identifier is name, character_data and yes_or_no varchar,
 * cardinal_number int4. */
static const char s_spec_is_tables[] =
    "table_catalog:n table_schema:n table_name:n table_type:v self_referencing_column_name:n "
    "reference_generation:v user_defined_type_catalog:n user_defined_type_schema:n "
    "user_defined_type_name:n is_insertable_into:v is_typed:v commit_action:v";
static const char s_spec_is_columns[] =
    "table_catalog:n table_schema:n table_name:n column_name:n ordinal_position:i "
    "column_default:v is_nullable:v data_type:v character_maximum_length:i "
    "character_octet_length:i numeric_precision:i numeric_precision_radix:i numeric_scale:i "
    "datetime_precision:i interval_type:v interval_precision:i character_set_catalog:n "
    "character_set_schema:n character_set_name:n collation_catalog:n collation_schema:n "
    "collation_name:n domain_catalog:n domain_schema:n domain_name:n udt_catalog:n "
    "udt_schema:n udt_name:n scope_catalog:n scope_schema:n scope_name:n "
    "maximum_cardinality:i dtd_identifier:n is_self_referencing:v is_identity:v "
    "identity_generation:v identity_start:v identity_increment:v identity_maximum:v "
    "identity_minimum:v identity_cycle:v is_generated:v generation_expression:v "
    "is_updatable:v";

/* Designated, so the parsed fields start zeroed. */
#define D(s, n, o, k, sp, b)                                                                       \
    {                                                                                              \
        .schema = s, .name = n, .oid = o, .relkind = k, .spec = sp, .build = b                     \
    }
static pz_vt_def_t s_defs[] = {
    D(PG, "pg_class", 1259, 'r', s_spec_class, pz__vt_build_pg_class),
    D(PG, "pg_namespace", 2615, 'r', "oid:o nspname:n nspowner:o nspacl:T",
      pz__vt_build_pg_namespace),
    D(PG, "pg_attribute", 1249, 'r', s_spec_attribute, pz__vt_build_pg_attribute),
    D(PG, "pg_type", 1247, 'r', s_spec_type, pz__vt_build_pg_type),
    D(PG, "pg_index", 2610, 'r', s_spec_index, pz__vt_build_pg_index),
    D(PG, "pg_constraint", 2606, 'r', s_spec_constraint, pz__vt_build_pg_constraint),
    D(PG, "pg_attrdef", 2604, 'r', "oid:o adrelid:o adnum:h adbin:t", pz__vt_build_pg_attrdef),
    D(PG, "pg_database", 1262, 'r', s_spec_database, pz__vt_build_pg_database),
    D(PG, "pg_roles", 12001, 'v', s_spec_roles, pz__vt_build_pg_roles),
    D(PG, "pg_authid", 1260, 'r', s_spec_authid, pz__vt_build_pg_roles),
    D(PG, "pg_user", 12002, 'v', s_spec_user, pz__vt_build_pg_user),
    D(PG, "pg_auth_members", 1261, 'r', "roleid:o member:o grantor:o admin_option:b",
      pz__vt_build_pg_empty),
    D(PG, "pg_am", 2601, 'r', "oid:o amname:n amhandler:g amtype:c", pz__vt_build_pg_am),
    D(PG, "pg_tablespace", 1213, 'r', "oid:o spcname:n spcowner:o spcacl:T spcoptions:T",
      pz__vt_build_pg_tablespace),
    D(PG, "pg_collation", 3456, 'r',
      "oid:o collname:n collnamespace:o collowner:o collprovider:c collisdeterministic:b "
      "collencoding:i collcollate:t collctype:t colliculocale:t collversion:t",
      pz__vt_build_pg_collation),
    D(PG, "pg_sequence", 2224, 'r',
      "seqrelid:o seqtypid:o seqstart:l seqincrement:l seqmax:l seqmin:l seqcache:l seqcycle:b",
      pz__vt_build_pg_sequence),
    D(PG, "pg_depend", 2608, 'r',
      "classid:o objid:o objsubid:i refclassid:o refobjid:o refobjsubid:i deptype:c",
      pz__vt_build_pg_depend),
    D(PG, "pg_proc", 1255, 'r', s_spec_proc, pz__vt_build_pg_proc),
    D(PG, "pg_description", 2609, 'r', "objoid:o classoid:o objsubid:i description:t",
      pz__vt_build_pg_empty),
    D(PG, "pg_shdescription", 2396, 'r', "objoid:o classoid:o description:t",
      pz__vt_build_pg_empty),
    D(PG, "pg_inherits", 2611, 'r', "inhrelid:o inhparent:o inhseqno:i inhdetachpending:b",
      pz__vt_build_pg_empty),
    D(PG, "pg_policy", 3256, 'r',
      "oid:o polname:n polrelid:o polcmd:c polpermissive:b polroles:O polqual:t polwithcheck:t",
      pz__vt_build_pg_empty),
    D(PG, "pg_statistic_ext", 3381, 'r',
      "oid:o stxrelid:o stxname:n stxnamespace:o stxowner:o stxstattarget:i stxkeys:H "
      "stxkind:C stxexprs:t",
      pz__vt_build_pg_empty),
    D(PG, "pg_publication", 6104, 'r',
      "oid:o pubname:n pubowner:o puballtables:b pubinsert:b pubupdate:b pubdelete:b "
      "pubtruncate:b pubviaroot:b",
      pz__vt_build_pg_empty),
    D(PG, "pg_publication_namespace", 6237, 'r', "oid:o pnpubid:o pnnspid:o",
      pz__vt_build_pg_empty),
    D(PG, "pg_publication_rel", 6106, 'r', "oid:o prpubid:o prrelid:o prqual:t prattrs:H",
      pz__vt_build_pg_empty),
    D(PG, "pg_trigger", 2620, 'r',
      "oid:o tgrelid:o tgparentid:o tgname:n tgfoid:o tgtype:h tgenabled:c tgisinternal:b "
      "tgconstrrelid:o tgconstrindid:o tgconstraint:o tgdeferrable:b tginitdeferred:b tgnargs:h "
      "tgattr:H tgqual:t",
      pz__vt_build_pg_empty),
    D(PG, "pg_rewrite", 2618, 'r',
      "oid:o rulename:n ev_class:o ev_type:c ev_enabled:c is_instead:b ev_qual:t ev_action:t",
      pz__vt_build_pg_empty),
    D(PG, "pg_enum", 3501, 'r', "oid:o enumtypid:o enumsortorder:f enumlabel:n",
      pz__vt_build_pg_empty),
    D(PG, "pg_extension", 3079, 'r',
      "oid:o extname:n extowner:o extnamespace:o extrelocatable:b extversion:t extconfig:O "
      "extcondition:T",
      pz__vt_build_pg_empty),
    D(PG, "pg_foreign_table", 3118, 'r', "ftrelid:o ftserver:o ftoptions:T", pz__vt_build_pg_empty),
    D(PG, "pg_partitioned_table", 3350, 'r',
      "partrelid:o partstrat:c partnatts:h partdefid:o partattrs:H partclass:O "
      "partcollation:O partexprs:t",
      pz__vt_build_pg_empty),
    D(PG, "pg_views", 12003, 'v', "schemaname:n viewname:n viewowner:n definition:t",
      pz__vt_build_pg_views),
    D(PG, "pg_tables", 12004, 'v',
      "schemaname:n tablename:n tableowner:n tablespace:n hasindexes:b hasrules:b "
      "hastriggers:b rowsecurity:b",
      pz__vt_build_pg_tables),
    D(PG, "pg_indexes", 12005, 'v', "schemaname:n tablename:n indexname:n tablespace:n indexdef:t",
      pz__vt_build_pg_indexes),
    D(PG, "pg_sequences", 12006, 'v',
      "schemaname:n sequencename:n sequenceowner:n data_type:y start_value:l min_value:l "
      "max_value:l increment_by:l cycle:b cache_size:l last_value:l",
      pz__vt_build_pg_sequences),
    /* Statistics (sql_vtab_stats.c): ANALYZE's per-column numbers; the array columns of
     * PostgreSQL's pg_stats (most common values, histograms) are not collected. */
    D(PG, "pg_stats", 12007, 'v',
      "schemaname:n tablename:n attname:n inherited:b null_frac:f avg_width:i n_distinct:f "
      "correlation:f",
      pz__vt_build_pg_stats),
    D(PG, "pg_stat_user_tables", 12008, 'v',
      "relid:o schemaname:n relname:n n_live_tup:l last_analyze:z last_autoanalyze:z",
      pz__vt_build_pg_stat_user_tables),
    D(IS, "schemata", 13001, 'v',
      "catalog_name:n schema_name:n schema_owner:n default_character_set_catalog:n "
      "default_character_set_schema:n default_character_set_name:n sql_path:v",
      pz__vt_build_is_schemata),
    D(IS, "tables", 13002, 'v', s_spec_is_tables, pz__vt_build_is_tables),
    D(IS, "columns", 13003, 'v', s_spec_is_columns, pz__vt_build_is_columns),
    D(IS, "table_constraints", 13004, 'v',
      "constraint_catalog:n constraint_schema:n constraint_name:n table_catalog:n "
      "table_schema:n table_name:n constraint_type:v is_deferrable:v initially_deferred:v "
      "enforced:v nulls_distinct:v",
      pz__vt_build_is_table_constraints),
    D(IS, "key_column_usage", 13005, 'v',
      "constraint_catalog:n constraint_schema:n constraint_name:n table_catalog:n "
      "table_schema:n table_name:n column_name:n ordinal_position:i "
      "position_in_unique_constraint:i",
      pz__vt_build_is_key_column_usage),
    D(IS, "views", 13006, 'v',
      "table_catalog:n table_schema:n table_name:n view_definition:v check_option:v "
      "is_updatable:v is_insertable_into:v is_trigger_updatable:v is_trigger_deletable:v "
      "is_trigger_insertable_into:v",
      pz__vt_build_is_views),
    D(IS, "sequences", 13007, 'v',
      "sequence_catalog:n sequence_schema:n sequence_name:n data_type:v numeric_precision:i "
      "numeric_precision_radix:i numeric_scale:i start_value:v minimum_value:v "
      "maximum_value:v increment:v cycle_option:v",
      pz__vt_build_is_sequences),
};
#define S_N_DEFS ((int)(sizeof s_defs / sizeof s_defs[0]))

static pthread_once_t s_defs_once = PTHREAD_ONCE_INIT;

static pz_sql_type_t s_code_type(char code)
{
    static const struct {
        char code;
        uint8_t id, elem;
    } m[] = {{'o', PZ_TY_OID, 0},
             {'n', PZ_TY_NAME, 0},
             {'t', PZ_TY_TEXT, 0},
             {'v', PZ_TY_VARCHAR, 0},
             {'b', PZ_TY_BOOL, 0},
             {'c', PZ_TY_CHAR, 0},
             {'h', PZ_TY_INT2, 0},
             {'i', PZ_TY_INT4, 0},
             {'l', PZ_TY_INT8, 0},
             {'f', PZ_TY_FLOAT4, 0},
             {'d', PZ_TY_FLOAT8, 0},
             {'z', PZ_TY_TIMESTAMPTZ, 0},
             {'g', PZ_TY_REGPROC, 0},
             {'y', PZ_TY_REGTYPE, 0},
             {'H', PZ_TY_ARRAY, PZ_TY_INT2},
             {'O', PZ_TY_ARRAY, PZ_TY_OID},
             {'V', PZ_TY_ARRAY, PZ_TY_INT2}, /* int2vector */
             {'W', PZ_TY_ARRAY, PZ_TY_OID},  /* oidvector */
             {'T', PZ_TY_ARRAY, PZ_TY_TEXT},
             {'C', PZ_TY_ARRAY, PZ_TY_CHAR},
             {'N', PZ_TY_ARRAY, PZ_TY_NAME}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (m[i].code == code) {
            return (pz_sql_type_t){.id = m[i].id,
                                   .elem = m[i].elem,
                                   .vector = code == 'V' || code == 'W',
                                   .typmod = -1};
        }
    }
    assert(!"unknown virtual table column code");
    return PZ_SQL_TYPE(PZ_TY_TEXT);
}

/* Splits each spec into names and types; the names are static strings cut out of a copy. */
static void s_defs_init(void)
{
    for (int i = 0; i < S_N_DEFS; i++) {
        pz_vt_def_t *d = &s_defs[i];
        char *spec = strdup(d->spec);
        assert(spec != NULL); /* at first use, a few KiB kept for the process */
        char *save = NULL;
        for (char *tok = strtok_r(spec, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            char *colon = strchr(tok, ':');
            assert(colon != NULL && colon[1] != '\0' && d->n_cols < PZ_VT_COLS_MAX);
            *colon = '\0';
            d->names[d->n_cols] = tok;
            d->types[d->n_cols] = s_code_type(colon[1]);
            d->n_cols++;
        }
    }
}

const pz_vt_def_t *pz__vt_defs(int *n)
{
    pthread_once(&s_defs_once, s_defs_init);
    *n = S_N_DEFS;
    return s_defs;
}

/* ---- binding ------------------------------------------------------------------------------ */

/* The search path of the last catalog relation bound, per session (a task-local: sessions that
 * share a worker thread must not see each other's). */
typedef struct {
    uint32_t path[PZ_VT_PATH_MAX];
    int n;
} s_bind_path_t;

static s_bind_path_t *s_bind_path(void)
{
    s_bind_path_t *p = pz_task_local(PZ_TASK_LOCAL_VT_PATH);
    if (p == NULL && (p = calloc(1, sizeof *p)) != NULL) {
        pz_task_local_set(PZ_TASK_LOCAL_VT_PATH, p, free);
    }
    return p;
}

int pz__bind_vtab(pz_binder_t *b, const char *schema, const char *name, int location,
                  pz_pn_t **plan)
{
    assert(b != NULL && name != NULL && plan != NULL);
    if (schema != NULL && strcmp(schema, PG) != 0 && strcmp(schema, IS) != 0) {
        return PZ_ENOTFOUND;
    }
    int n;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    int found = -1;
    for (int i = 0; i < n && found < 0; i++) {
        bool in_schema =
            schema ? strcmp(schema, defs[i].schema) == 0 : strcmp(defs[i].schema, PG) == 0;
        if (in_schema && strcmp(defs[i].name, name) == 0) {
            found = i;
        }
    }
    if (found < 0) {
        if (schema == NULL) {
            return PZ_ENOTFOUND; /* not a catalog name: the user's relations */
        }
        return pz__bind_err(b, location, "42P01", "relation \"%s.%s\" does not exist", schema,
                            name);
    }
    /* The search path pg_table_is_visible answers with (see sql_vtab_int.h). */
    s_bind_path_t *bp = s_bind_path();
    if (bp == NULL) {
        return PZ_ENOMEM;
    }
    bp->n = b->n_search_path < PZ_VT_PATH_MAX ? b->n_search_path : PZ_VT_PATH_MAX;
    memcpy(bp->path, b->search_path, sizeof *bp->path * (size_t)bp->n);
    const pz_vt_def_t *d = &defs[found];
    pz_pn_t *pn = pz__pn_new(b, PZ_PN_VTAB, d->n_cols);
    if (pn == NULL) {
        return PZ_ENOMEM;
    }
    pn->vtab = found;
    memcpy(pn->types, d->types, sizeof *pn->types * (size_t)d->n_cols);
    memcpy(pn->names, d->names, sizeof *pn->names * (size_t)d->n_cols);
    pn->est_rows = 100;
    *plan = pn;
    return 0;
}

/* ---- the snapshot ------------------------------------------------------------------------- */

/* The statement's snapshot is a task-local (PZ_TASK_LOCAL_VT_SNAP), freed when replaced or when
 * the session ends. */
static void s_snap_free(void *p)
{
    pz_vt_snap_t *s = p;
    if (s != NULL) {
        pz_arena_t *a = s->arena;
        pz_arena_destroy(&a); /* s itself lives in its arena */
    }
}

const pz_vt_snap_t *pz__vt_snap(void)
{
    return pz_task_local(PZ_TASK_LOCAL_VT_SNAP);
}

typedef struct {
    pz_vt_snap_t *s;
    pz_sbuf_t dbs, objs; /* growing arrays of pz_cat_desc_t */
    int rc;
} s_collect_t;

/* Keeps a deep copy of d: its encoding copied into the snapshot arena, decoded from there. */
static int s_keep(pz_vt_snap_t *s, const pz_cat_desc_t *d, pz_sbuf_t *into)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pz_cat_desc_pack(d, &buf, &len);
    if (rc != 0) {
        return rc;
    }
    pz_view_t copy = pz_arena_dup(s->arena, buf, len);
    free(buf);
    if (copy.ptr == NULL && len > 0) {
        return PZ_ENOMEM;
    }
    pz_cur_t cur;
    pz_cat_desc_t out;
    rc = pz__cur_init(copy.ptr, copy.len, &cur);
    rc = rc ? rc : pz_cat_desc_decode_cur(&cur, &out, s->arena, 0);
    if (rc == 0) {
        pz_sbuf_put(into, &out, sizeof out);
    }
    return rc;
}

static int s_collect(void *arg, const pz_cat_desc_t *d)
{
    s_collect_t *c = arg;
    if (d->kind == PZ_CAT_DATABASE) {
        return s_keep(c->s, d, &c->dbs);
    }
    if (d->db_id == c->s->db_id) {
        return s_keep(c->s, d, &c->objs);
    }
    return 0;
}

static void s_add_role(pz_vt_snap_t *s, const char *name)
{
    if (name == NULL || name[0] == '\0') {
        return;
    }
    for (int i = 0; i < s->n_roles; i++) {
        if (strcmp(s->roles[i], name) == 0) {
            return;
        }
    }
    if (s->n_roles < PZ_VT_ROLES_MAX) {
        s->roles[s->n_roles++] = name;
    }
}

static int s_role_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int s_snap_fill(pz_ex_t *ex, pz_vt_snap_t *s)
{
    const char *db = ex->database ? ex->database : "";
    int rc = pz_cat_lookup(ex->cat, ex->kv, 0, 0, db, &s->db_id, NULL, ex->err);
    if (rc != 0) {
        return rc == PZ_ENOTFOUND
                   ? pz_sql_err_set(ex->err, "3D000", "database \"%s\" does not exist", db)
                   : rc;
    }
    s_collect_t c = {.s = s};
    rc = pz_cat_each(ex->cat, ex->kv, s_collect, &c, ex->err);
    if (rc == 0 && (c.dbs.oom || c.objs.oom)) {
        rc = PZ_ENOMEM;
    }
    if (rc == 0) {
        s->n_dbs = (int)(c.dbs.len / sizeof(pz_cat_desc_t));
        s->n_objs = (int)(c.objs.len / sizeof(pz_cat_desc_t));
        s->dbs = s->n_dbs ? pz_arena_alloc(s->arena, c.dbs.len) : NULL;
        s->objs = s->n_objs ? pz_arena_alloc(s->arena, c.objs.len) : NULL;
        if ((s->n_dbs && s->dbs == NULL) || (s->n_objs && s->objs == NULL)) {
            rc = PZ_ENOMEM;
        } else {
            memcpy(s->dbs, c.dbs.p, c.dbs.len);
            memcpy(s->objs, c.objs.p, c.objs.len);
        }
    }
    pz_sbuf_free(&c.dbs);
    pz_sbuf_free(&c.objs);
    if (rc != 0) {
        return rc == PZ_ENOMEM ? pz_sql_err_set(ex->err, "53200", "out of memory") : rc;
    }
    s->db_name = pz__vt_str(s, (pz_view_t){.ptr = (const uint8_t *)db, .len = strlen(db)});
    s->user = pz__vt_str(s, (pz_view_t){.ptr = (const uint8_t *)(ex->user ? ex->user : ""),
                                        .len = ex->user ? strlen(ex->user) : 0});
    s_add_role(s, "root");
    s_add_role(s, s->user);
    /* The stored roles (sql_role.c). */
    rc = pz_role_list(ex->kv, s->arena, &s->role_recs, &s->n_role_recs, ex->err);
    for (int i = 0; rc == 0 && i < s->n_role_recs; i++) {
        s_add_role(s, pz__vt_str(s, s->role_recs[i].name));
    }
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < s->n_dbs; i++) {
        s_add_role(s, pz__vt_str(s, s->dbs[i].owner));
    }
    for (int i = 0; i < s->n_objs; i++) {
        s_add_role(s, pz__vt_str(s, s->objs[i].owner));
    }
    qsort(s->roles, (size_t)s->n_roles, sizeof *s->roles, s_role_cmp);
    const s_bind_path_t *bp = pz_task_local(PZ_TASK_LOCAL_VT_PATH);
    s->n_path = bp ? bp->n : 0;
    if (bp != NULL) {
        memcpy(s->path, bp->path, sizeof *s->path * (size_t)s->n_path);
    }
    return 0;
}

/* Whether the snapshot was taken for the running statement: task-local PZ_TASK_LOCAL_VT_CURRENT
 * non-NULL. */
static bool s_snap_current(void)
{
    return pz_task_local(PZ_TASK_LOCAL_VT_CURRENT) != NULL;
}

void pz__vt_snap_stale(void)
{
    pz_task_local_set(PZ_TASK_LOCAL_VT_CURRENT, NULL, NULL);
}

static void s_put_ident(pz_sbuf_t *b, pz_view_t v);

bool pz__vt_regclass_name(uint32_t oid, pz_sbuf_t *out)
{
    const pz_vt_snap_t *s = pz__vt_snap();
    if (!s_snap_current() || s == NULL) {
        return false;
    }
    int n = 0;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    for (int i = 0; i < n; i++) {
        if (defs[i].oid == oid) {
            if (strcmp(defs[i].schema, PG) != 0) {
                pz_sbuf_printf(out, "%s.", defs[i].schema);
            }
            pz_sbuf_puts(out, defs[i].name);
            return true;
        }
    }
    const pz_cat_desc_t *d = pz__vt_find(s, oid);
    if (d == NULL || d->kind < PZ_CAT_TABLE) {
        return false;
    }
    if (!pz__vt_visible(s, oid)) {
        const char *schema = pz__vt_schema_name(s, d->schema_id);
        s_put_ident(out, pz_view_str(schema ? schema : "?"));
        pz_sbuf_putc(out, '.');
    }
    s_put_ident(out, d->name);
    return true;
}

int pz__vt_snap_build(pz_ex_t *ex, const pz_vt_snap_t **out)
{
    /* current on success below; a failed build fails the statement */
    pz_task_local_set(PZ_TASK_LOCAL_VT_CURRENT, (void *)1, NULL);
    assert(ex != NULL && out != NULL);
    /* A node re-opened within one statement (a correlated subquery over pg_attrdef, run per
     * outer row) reuses the statement's snapshot instead of scanning the catalog again. */
    pz_vt_snap_t *prev = pz_task_local(PZ_TASK_LOCAL_VT_SNAP);
    if (prev != NULL && prev->ex == ex && prev->ex_arena == ex->arena &&
        prev->stmt_ts_us == ex->fn.stmt_ts_us) {
        *out = prev;
        return 0;
    }
    pz_arena_t *a = pz_arena_new();
    pz_vt_snap_t *s = a ? pz_arena_alloc(a, sizeof *s) : NULL;
    if (s == NULL) {
        pz_arena_destroy(&a);
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    memset(s, 0, sizeof *s);
    s->arena = a;
    s->ex = ex;
    s->ex_arena = ex->arena;
    s->stmt_ts_us = ex->fn.stmt_ts_us;
    int rc = s_snap_fill(ex, s);
    if (rc != 0) {
        pz_arena_destroy(&a);
        return rc;
    }
    pz_task_local_set(PZ_TASK_LOCAL_VT_SNAP, s, s_snap_free); /* frees the one before */
    *out = s;
    return 0;
}

const char *pz__vt_str(const pz_vt_snap_t *s, pz_view_t v)
{
    char *p = pz_arena_alloc(s->arena, v.len + 1);
    if (p == NULL) {
        return "";
    }
    if (v.len) {
        memcpy(p, v.ptr, v.len);
    }
    p[v.len] = '\0';
    return p;
}

const pz_cat_desc_t *pz__vt_find(const pz_vt_snap_t *s, uint32_t id)
{
    int lo = 0, hi = s->n_objs;
    while (lo < hi) { /* pz_cat_each goes in id order */
        int mid = (lo + hi) / 2;
        if (s->objs[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < s->n_objs && s->objs[lo].id == id ? &s->objs[lo] : NULL;
}

const char *pz__vt_schema_name(const pz_vt_snap_t *s, uint32_t id)
{
    if (id == PZ_VT_NS_PG_CATALOG) {
        return PG;
    }
    if (id == PZ_VT_NS_INFO) {
        return IS;
    }
    if (id == PZ_VT_NS_TOAST) {
        return "pg_toast";
    }
    const pz_cat_desc_t *d = pz__vt_find(s, id);
    return d && d->kind == PZ_CAT_SCHEMA ? pz__vt_str(s, d->name) : NULL;
}

/* ---- OIDs --------------------------------------------------------------------------------- */

uint32_t pz__vt_oid(int kind, uint32_t table_id, uint32_t sub)
{
    assert(kind >= 0 && kind < 8);
    return 0x80000000u | (uint32_t)kind << 28 | ((table_id - PZ_CAT_FIRST_ID) & 0xFFFFu) << 12 |
           (sub & 0xFFFu);
}

bool pz__vt_oid_split(uint32_t oid, int *kind, uint32_t *table_id, uint32_t *sub)
{
    if ((oid & 0x80000000u) == 0) {
        return false;
    }
    *kind = (int)((oid >> 28) & 7u);
    *table_id = ((oid >> 12) & 0xFFFFu) + PZ_CAT_FIRST_ID;
    *sub = oid & 0xFFFu;
    return true;
}

uint32_t pz__vt_role_oid(const char *name)
{
    if (strcmp(name, "root") == 0) {
        return PZ_VT_ROLE_BOOTSTRAP;
    }
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = name; *p; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    return 0x80000000u | (uint32_t)PZ_VT_OID_ROLE << 28 | (h & 0x0FFFFFFFu);
}

const pz_role_t *pz__vt_role_rec(const pz_vt_snap_t *s, const char *name)
{
    for (int i = 0; s && i < s->n_role_recs; i++) {
        if (pz_cat_name_eq(s->role_recs[i].name, name)) {
            return &s->role_recs[i];
        }
    }
    return NULL;
}

const char *pz__vt_role_name(const pz_vt_snap_t *s, uint32_t oid)
{
    for (int i = 0; s && i < s->n_roles; i++) {
        if (pz__vt_role_oid(s->roles[i]) == oid) {
            return s->roles[i];
        }
    }
    return oid == PZ_VT_ROLE_BOOTSTRAP ? "root" : NULL;
}

bool pz__vt_visible(const pz_vt_snap_t *s, uint32_t oid)
{
    int n;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    for (int i = 0; i < n; i++) {
        if (defs[i].oid == oid) {
            return strcmp(defs[i].schema, PG) == 0;
        }
    }
    int kind;
    uint32_t tid, sub;
    const char *name = NULL;
    uint32_t schema = 0;
    if (pz__vt_oid_split(oid, &kind, &tid, &sub)) {
        const pz_cat_desc_t *t = pz__vt_find(s, tid);
        const pz_cat_index_t *ix = t && kind == PZ_VT_OID_INDEX ? pz__vt_index_of(t, sub) : NULL;
        if (ix == NULL) {
            return false;
        }
        name = pz__vt_str(s, ix->name);
        schema = t->schema_id;
    } else {
        const pz_cat_desc_t *d = pz__vt_find(s, oid);
        if (d == NULL || d->kind == PZ_CAT_SCHEMA) {
            return false;
        }
        name = pz__vt_str(s, d->name);
        schema = d->schema_id;
    }
    /* Visible when no schema earlier in the path has a relation (or index) of that name. */
    for (int p = 0; p < s->n_path; p++) {
        if (s->path[p] == schema) {
            return true;
        }
        for (int i = 0; i < s->n_objs; i++) {
            const pz_cat_desc_t *o = &s->objs[i];
            if (o->schema_id != s->path[p] || o->kind == PZ_CAT_SCHEMA) {
                continue;
            }
            if (pz_cat_name_eq(o->name, name)) {
                return false;
            }
            for (uint32_t k = 0; k < o->indexes_len; k++) {
                if (pz_cat_name_eq(o->indexes[k].name, name)) {
                    return false;
                }
            }
        }
    }
    return false;
}

/* ---- table helpers ------------------------------------------------------------------------ */

int pz__vt_attnum(const pz_cat_desc_t *t, uint32_t col_id)
{
    int n = 0;
    for (uint32_t i = 0; i < t->cols_len; i++) {
        if (t->cols[i].hidden) {
            continue;
        }
        n++;
        if (t->cols[i].id == col_id) {
            return n;
        }
    }
    return 0;
}

bool pz__vt_index_shown(const pz_cat_desc_t *t, const pz_cat_index_t *ix)
{
    for (uint32_t i = 0; i < ix->cols_len; i++) {
        const pz_cat_col_t *c = pz_cat_col_by_id(t, ix->cols[i].col);
        if (c == NULL || c->hidden) {
            return false;
        }
    }
    return true;
}

const pz_cat_index_t *pz__vt_index_of(const pz_cat_desc_t *t, uint32_t index_id)
{
    for (uint32_t i = 0; i < t->indexes_len; i++) {
        if ((t->indexes[i].id & 0xFFFu) == index_id && pz__vt_index_shown(t, &t->indexes[i])) {
            return &t->indexes[i];
        }
    }
    return NULL;
}

static void s_put_ident(pz_sbuf_t *b, pz_view_t v)
{
    bool plain = v.len > 0 && !(v.ptr[0] >= '0' && v.ptr[0] <= '9');
    for (uint32_t i = 0; i < v.len && plain; i++) {
        uint8_t ch = v.ptr[i];
        plain = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
    }
    if (plain) {
        pz_sbuf_put(b, v.ptr, v.len);
        return;
    }
    pz_sbuf_putc(b, '"');
    for (uint32_t i = 0; i < v.len; i++) {
        if (v.ptr[i] == '"') {
            pz_sbuf_putc(b, '"');
        }
        pz_sbuf_putc(b, (char)v.ptr[i]);
    }
    pz_sbuf_putc(b, '"');
}

static void s_put_cols(pz_sbuf_t *b, const pz_cat_desc_t *t, const pz_cat_icol_t *cols, int n,
                       bool with_dir)
{
    for (int i = 0; i < n; i++) {
        const pz_cat_col_t *c = pz_cat_col_by_id(t, cols[i].col);
        if (i > 0) {
            pz_sbuf_puts(b, ", ");
        }
        if (c != NULL) {
            s_put_ident(b, c->name);
        }
        if (with_dir && cols[i].desc) {
            pz_sbuf_puts(b, " DESC");
        }
    }
}

void pz__vt_indexdef(const pz_vt_snap_t *s, const pz_cat_desc_t *t, const pz_cat_index_t *ix,
                     int col, bool pretty, pz_sbuf_t *b)
{
    if (col > 0) { /* one key column's definition */
        if (col <= (int)ix->cols_len) {
            s_put_cols(b, t, &ix->cols[col - 1], 1, false);
        } else if (col <= (int)(ix->cols_len + ix->include_len)) {
            s_put_cols(b, t, &ix->include[col - 1 - (int)ix->cols_len], 1, false);
        }
        return;
    }
    pz_sbuf_puts(b, ix->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    s_put_ident(b, ix->name);
    pz_sbuf_puts(b, " ON ");
    const char *ns = pz__vt_schema_name(s, t->schema_id);
    if (ns != NULL && (!pretty || !pz__vt_visible(s, t->id))) {
        s_put_ident(b, (pz_view_t){.ptr = (const uint8_t *)ns, .len = (uint32_t)strlen(ns)});
        pz_sbuf_putc(b, '.');
    }
    s_put_ident(b, t->name);
    pz_sbuf_puts(b, " USING btree (");
    s_put_cols(b, t, ix->cols, (int)ix->cols_len, true);
    pz_sbuf_putc(b, ')');
    if (ix->include_len > 0) {
        pz_sbuf_puts(b, " INCLUDE (");
        s_put_cols(b, t, ix->include, (int)ix->include_len, false);
        pz_sbuf_putc(b, ')');
    }
}

static const char *s_fk_action(uint8_t a)
{
    switch (a) {
    case PZ_FK_CASCADE:
        return "CASCADE";
    case PZ_FK_SET_NULL:
        return "SET NULL";
    case PZ_FK_SET_DEFAULT:
        return "SET DEFAULT";
    case PZ_FK_RESTRICT:
        return "RESTRICT";
    default:
        return NULL; /* NO ACTION: not printed */
    }
}

void pz__vt_condef(const pz_vt_snap_t *s, const pz_cat_desc_t *t, int kind, uint32_t sub,
                   pz_sbuf_t *b)
{
    if (kind == PZ_VT_OID_KEYCON) {
        const pz_cat_index_t *ix = pz__vt_index_of(t, sub);
        if (ix != NULL) {
            pz_sbuf_puts(b, ix->id == 1 ? "PRIMARY KEY (" : "UNIQUE (");
            s_put_cols(b, t, ix->cols, (int)ix->cols_len, false);
            pz_sbuf_putc(b, ')');
        }
    } else if (kind == PZ_VT_OID_CHECK && sub >= 1 && sub <= t->checks_len) {
        const pz_view_t e = t->checks[sub - 1].expr;
        bool paren = e.len >= 2 && e.ptr[0] == '(' && e.ptr[e.len - 1] == ')';
        pz_sbuf_puts(b, paren ? "CHECK (" : "CHECK ((");
        pz_sbuf_put(b, e.ptr, e.len);
        pz_sbuf_puts(b, paren ? ")" : "))");
    } else if (kind == PZ_VT_OID_FK && sub >= 1 && sub <= t->fks_len) {
        const pz_cat_fk_t *fk = &t->fks[sub - 1];
        const pz_cat_desc_t *ref = pz__vt_find(s, fk->ref_table);
        pz_sbuf_puts(b, "FOREIGN KEY (");
        s_put_cols(b, t, fk->cols, (int)fk->cols_len, false);
        pz_sbuf_puts(b, ") REFERENCES ");
        if (ref != NULL) {
            if (!pz__vt_visible(s, ref->id)) { /* PostgreSQL qualifies what the path misses */
                const char *ns = pz__vt_schema_name(s, ref->schema_id);
                s_put_ident(b, pz_view_str(ns ? ns : ""));
                pz_sbuf_putc(b, '.');
            }
            s_put_ident(b, ref->name);
            pz_sbuf_putc(b, '(');
            s_put_cols(b, ref, fk->ref_cols, (int)fk->ref_cols_len, false);
            pz_sbuf_putc(b, ')');
        }
        const char *u = s_fk_action(fk->on_update), *d = s_fk_action(fk->on_delete);
        if (u != NULL) {
            pz_sbuf_printf(b, " ON UPDATE %s", u);
        }
        if (d != NULL) {
            pz_sbuf_printf(b, " ON DELETE %s", d);
        }
    }
}

/* ---- rows --------------------------------------------------------------------------------- */

static int s_col(const pz_vt_ctx_t *c, const char *col)
{
    for (int i = 0; i < c->def->n_cols; i++) {
        if (strcmp(c->def->names[i], col) == 0) {
            return i;
        }
    }
    return -1; /* builders shared by tables with fewer columns set ones that are absent */
}

void pz__vt_begin(pz_vt_ctx_t *c)
{
    for (int i = 0; i < c->def->n_cols; i++) {
        pz_sql_type_t t = c->def->types[i];
        switch (t.id) {
        case PZ_TY_BOOL:
            c->row[i] = pz_datum_bool(false);
            break;
        case PZ_TY_NAME:
            c->row[i] = pz_datum_bytes(PZ_TY_NAME, "", 0);
            break;
        case PZ_TY_FLOAT4:
        case PZ_TY_FLOAT8:
            c->row[i] = pz_datum_float((pz_ty_t)t.id, 0);
            break;
        case PZ_TY_OID:
        case PZ_TY_INT2:
        case PZ_TY_INT4:
        case PZ_TY_INT8:
        case PZ_TY_CHAR:
        case PZ_TY_REGPROC:
        case PZ_TY_REGTYPE:
            c->row[i] = pz_datum_int((pz_ty_t)t.id, 0);
            break;
        default:
            c->row[i] = pz_datum_null((pz_ty_t)t.id);
            break;
        }
    }
}

void pz__vt_int(pz_vt_ctx_t *c, const char *col, int64_t v)
{
    int i = s_col(c, col);
    if (i >= 0) {
        c->row[i] = pz_datum_int((pz_ty_t)c->def->types[i].id, v);
    }
}

void pz__vt_bool(pz_vt_ctx_t *c, const char *col, bool v)
{
    int i = s_col(c, col);
    if (i >= 0) {
        c->row[i] = pz_datum_bool(v);
    }
}

void pz__vt_char(pz_vt_ctx_t *c, const char *col, char v)
{
    int i = s_col(c, col);
    if (i >= 0) {
        c->row[i] = pz_datum_int(PZ_TY_CHAR, (uint8_t)v);
    }
}

void pz__vt_float(pz_vt_ctx_t *c, const char *col, double v)
{
    int i = s_col(c, col);
    if (i >= 0) {
        c->row[i] = pz_datum_float((pz_ty_t)c->def->types[i].id, v);
    }
}

void pz__vt_textn(pz_vt_ctx_t *c, const char *col, const void *p, size_t n)
{
    int i = s_col(c, col);
    if (i >= 0) {
        c->row[i] = pz_datum_bytes((pz_ty_t)c->def->types[i].id, p, (uint32_t)n);
    }
}

void pz__vt_text(pz_vt_ctx_t *c, const char *col, const char *s)
{
    if (s == NULL) {
        pz__vt_null(c, col);
    } else {
        pz__vt_textn(c, col, s, strlen(s));
    }
}

void pz__vt_view(pz_vt_ctx_t *c, const char *col, pz_view_t v)
{
    pz__vt_textn(c, col, v.ptr, v.len);
}

void pz__vt_null(pz_vt_ctx_t *c, const char *col)
{
    int i = s_col(c, col);
    if (i >= 0) {
        c->row[i] = pz_datum_null((pz_ty_t)c->def->types[i].id);
    }
}

static pz_sql_array_t *s_array(pz_vt_ctx_t *c, int i, int n)
{
    pz_sql_array_t *a = pz_arena_alloc(c->tmp, sizeof *a);
    pz_datum_t *items = pz_arena_alloc(c->tmp, sizeof *items * (size_t)(n > 0 ? n : 1));
    if (a == NULL || items == NULL) {
        return NULL;
    }
    *a = (pz_sql_array_t){.elem = c->def->types[i].elem,
                          .vector = c->def->types[i].vector,
                          .n = (uint32_t)n,
                          .items = items};
    c->row[i] = (pz_datum_t){.type = PZ_TY_ARRAY, .v.arr = a};
    return a;
}

int pz__vt_int_array(pz_vt_ctx_t *c, const char *col, const int64_t *v, int n)
{
    int i = s_col(c, col);
    if (i < 0) {
        return 0;
    }
    pz_sql_array_t *a = s_array(c, i, n);
    if (a == NULL) {
        return pz_sql_err_set(c->ex->err, "53200", "out of memory");
    }
    for (int k = 0; k < n; k++) {
        a->items[k] = pz_datum_int((pz_ty_t)a->elem, v[k]);
    }
    return 0;
}

int pz__vt_text_array(pz_vt_ctx_t *c, const char *col, const char *const *v, int n)
{
    int i = s_col(c, col);
    if (i < 0) {
        return 0;
    }
    pz_sql_array_t *a = s_array(c, i, n);
    if (a == NULL) {
        return pz_sql_err_set(c->ex->err, "53200", "out of memory");
    }
    for (int k = 0; k < n; k++) {
        a->items[k] = a->elem == PZ_TY_CHAR
                          ? pz_datum_int(PZ_TY_CHAR, (uint8_t)v[k][0])
                          : pz_datum_bytes((pz_ty_t)a->elem, v[k], (uint32_t)strlen(v[k]));
    }
    return 0;
}

int pz__vt_push(pz_vt_ctx_t *c)
{
    int rc = pz_rowbuf_push(c->ex, c->out, c->row, c->def->n_cols);
    return rc == PZ_ENOMEM ? pz_sql_err_set(c->ex->err, "53200", "out of memory") : rc;
}

int pz_vtab_open(pz_ex_t *ex, pz_pn_t *pn)
{
    assert(ex != NULL && pn != NULL && pn->kind == PZ_PN_VTAB);
    int n;
    const pz_vt_def_t *defs = pz__vt_defs(&n);
    assert(pn->vtab >= 0 && pn->vtab < n);
    pz_rowbuf_t *out = pz_ex_alloc(ex, sizeof *out);
    if (out == NULL) {
        return PZ_ENOMEM;
    }
    memset(out, 0, sizeof *out);
    pz_vt_ctx_t c = {.ex = ex, .def = &defs[pn->vtab], .out = out, .tmp = pz_arena_new()};
    if (c.tmp == NULL) {
        return pz_sql_err_set(ex->err, "53200", "out of memory");
    }
    int rc = pz__vt_snap_build(ex, &c.snap);
    rc = rc ? rc : c.def->build(&c);
    pz_arena_destroy(&c.tmp);
    if (rc == 0) {
        pn->st = out;
    }
    return rc;
}
