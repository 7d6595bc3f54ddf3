"""pg_catalog and information_schema as clients read them: psql 15's meta-commands and
SQLAlchemy's PostgreSQL reflection give the same answers against a phantomzero node as against
a real PostgreSQL 15 holding the same schema.

How: the test starts one node (test_pgwire's SqlNode) and a throwaway PostgreSQL 15 cluster
(tests/sqllogic/pg15.sh, as the `postgres` OS user when run as root) in a temp folder, creates a
role `root` (superuser) and a database `defaultdb` owned by it in PostgreSQL, so both sides have
the same user and database names, then runs the same DDL on both as `root`. Each psql command
runs as `psql -X -A` (unaligned output: no padding, so values differ only where they differ)
and the outputs must be equal after these normalizations, which are real differences that are
not bugs:
  - PostgreSQL 15's schema public is owned by pg_database_owner; ours by its creator (root);
  - \\du: PostgreSQL also has its bootstrap role postgres (ours is root);
  - \\l: PostgreSQL also has postgres (owned by postgres), template0 and template1; we compare
    the defaultdb row only;
  - OIDs differ (ours are descriptor ids and derived OIDs, sql_vtab_int.h): the queries psql
    sends for \\d TABLE are run with each side's own OID and print none.
pgjdbc's DatabaseMetaData queries (getTables, getColumns, getSchemas) give the same rows, and
SQLAlchemy's inspector results (tables, views, schemas, has_table, columns, primary keys,
indexes, unique constraints, foreign keys, sequences) must be equal too.

Every comparison is strict: the engine gaps earlier versions skipped (regnamespace,
'name'::regclass and regproc, correlated FROM-function arguments, long argument lists, unnest in
a select list, int2vector's text form for SQLAlchemy's get_indexes) are fixed and checked."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pz import REPO, TestFailure, check, eq, free_port, timeout
from test_pgwire import SqlNode

SCHEMA = """
create table t (id int primary key, name varchar(20) not null, score numeric(10,2) default 0,
                created timestamp);
create index t_name_idx on t (name);
create unique index t_score_uq on t (score, name);
create table u (a bigint, b text unique);
create view v as select id, name from t;
create sequence s;
create schema other;
create table other.w (x int);
create table fk_parent (id int primary key, code text unique);
create table fk_child (id int primary key, pid int references fk_parent (id) on delete cascade,
                       pcode text, constraint fk_child_code foreign key (pcode)
                       references fk_parent (code));
create table other.fk_far (id int primary key, p int references public.fk_parent (id));
"""

META = ["\\dt", "\\dn", "\\di", "\\dv", "\\ds", "\\d", "\\du", "\\l", "\\d v", "\\d t_name_idx",
        "\\dt other.*", "\\d t", "\\d u", "\\d s", "\\d fk_parent", "\\d fk_child",
        "\\d other.fk_far"]

# Errors our side may give for a known engine gap (module docstring), by the words they carry.
GAPS = ()

# psql 15's queries for \d TABLE after the first (which finds the OID), minus the statistics,
# publication and inheritance ones: the table's flags, its columns, its indexes. Compared
# without headers (psql never shows them): the engine names a CASE column "case" and a scalar
# subquery "?column?" where PostgreSQL takes the name of the ELSE branch's / subquery's column.
DESCRIBE = [
    """SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers,
  c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '',
  c.reltablespace, CASE WHEN c.reloftype = 0 THEN ''
  ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident,
  am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '{oid}';""",
    """SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation)
   AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '{oid}' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;""",
    """SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid,
  pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
  pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred,
  i.indisreplident, c2.reltablespace
FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid
  AND contype IN ('p','u','x'))
WHERE c.oid = '{oid}' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname;""",
]

INFO = [
    "select schema_name from information_schema.schemata order by 1",
    "select table_schema, table_name, table_type from information_schema.tables"
    " where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2",
    "select table_name, column_name, ordinal_position, column_default, is_nullable, data_type,"
    " character_maximum_length, numeric_precision, numeric_scale, datetime_precision, udt_name"
    " from information_schema.columns where table_schema = 'public' order by 1, 3",
    "select constraint_name, table_name, constraint_type from information_schema.table_constraints"
    " where table_schema = 'public' and constraint_type <> 'CHECK' order by 1",
    "select constraint_name, table_name, column_name, ordinal_position"
    " from information_schema.key_column_usage where table_schema = 'public' order by 1, 4",
    "select table_name from information_schema.views where table_schema = 'public'",
    "select sequence_name, data_type, start_value, minimum_value, maximum_value, increment,"
    " cycle_option from information_schema.sequences",
]

# pgjdbc 42's DatabaseMetaData queries: getTables, getColumns, getSchemas, a getPrimaryKeys
# variant (the real one needs information_schema._pg_expandarray, a set-returning function),
# and TypeInfoCache's type lookup.
JDBC = [
    "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME,  CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema'  WHEN true THEN CASE  WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TABLE'   WHEN 'v' THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX'   ELSE NULL   END  WHEN n.nspname = 'pg_toast' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END  ELSE CASE c.relkind   WHEN 'r' THEN 'TEMPORARY TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE'   WHEN 'i' THEN 'TEMPORARY INDEX'   WHEN 'S' THEN 'TEMPORARY SEQUENCE'   WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE NULL   END  END  WHEN false THEN CASE c.relkind  WHEN 'r' THEN 'TABLE'  WHEN 'p' THEN 'PARTITIONED TABLE'  WHEN 'i' THEN 'INDEX'  WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW'  WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN 'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW'  ELSE NULL  END  ELSE NULL  END  AS TABLE_TYPE, d.description AS REMARKS,  '' as TYPE_CAT, '' as TYPE_SCHEM, '' as TYPE_NAME, '' AS SELF_REFERENCING_COL_NAME, '' AS REF_GENERATION  FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c  LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0  and d.classoid = 'pg_class'::regclass)  WHERE c.relnamespace = n.oid  AND n.nspname LIKE 'public' AND c.relname LIKE '%' AND (false  OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' )  OR ( c.relkind = 'v' AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' ) OR ( c.relkind = 'S' ) OR ( c.relkind = 'i' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ) )  ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME;",
    "SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as attidentity,nullif(a.attgenerated, '') as attgenerated,pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n  JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)  LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')  LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped  AND n.nspname LIKE 'public' AND c.relname LIKE 't') c WHERE true  AND attname LIKE '%' ORDER BY nspname,c.relname,attnum;",
    "SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_' OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_' OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_')) ORDER BY TABLE_SCHEM;",
    "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME, i.indisprimary, ci.relname AS PK_NAME FROM pg_catalog.pg_class ct JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid) JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid) JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid) JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true AND n.nspname = E'public' AND ct.relname = E't' AND i.indisprimary AND a.attnum = ANY(i.indkey) ORDER BY table_name, pk_name;",
    'SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1043;',
]


class Pg15:
    """A private PostgreSQL 15 cluster with role root and database defaultdb."""

    def __init__(self):
        self.top = Path(tempfile.mkdtemp(prefix="pz-pg15-"))
        os.chmod(self.top, 0o755)  # the postgres OS user must reach the data folder
        self.data = self.top / "data"
        self.port = free_port()
        self.script = REPO / "tests" / "sqllogic" / "pg15.sh"

    def start(self):
        p = subprocess.run(["bash", str(self.script), "start", str(self.data), str(self.port)],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"PostgreSQL 15 did not start: {p.stdout}{p.stderr}")
        for sql in ("create role root superuser createrole createdb replication bypassrls login", "create database defaultdb owner root"):
            r = psql(self.port, sql, user="postgres", db="postgres")
            check(r.returncode == 0, f"{sql}: {r.stderr}")

    def stop(self):
        subprocess.run(["bash", str(self.script), "stop", str(self.data), str(self.port)],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.top, ignore_errors=True)


def psql(port, cmd, user="root", db="defaultdb", flags=()):
    return subprocess.run(["psql", "-X", "-A", *flags, "-h", "127.0.0.1", "-p", str(port), "-U",
                           user, "-d", db, "-c", cmd], capture_output=True, text=True, timeout=60)


def _gap(text):
    return next((g for g in GAPS if g in text), None)


def _normalize(cmd, out):
    lines = out.replace("pg_database_owner", "root").splitlines()
    if cmd == "\\du":
        lines = [ln for ln in lines if not ln.startswith("postgres|")]
    if cmd == "\\l":
        lines = [ln for ln in lines[:2] + [ln for ln in lines if ln.startswith("defaultdb|")]]
    return "\n".join(lines)


def _compare_psql(ctx, ours, pg):
    for cmd in META:
        a, b = psql(ours, cmd), psql(pg, cmd)
        check(b.returncode == 0, f"PostgreSQL {cmd}: {b.stderr}")
        gap = _gap(a.stderr)
        if a.returncode != 0 and gap:
            ctx.note(f"psql {cmd}: skipped, engine gap: {gap}")
            continue
        check(a.returncode == 0 and not a.stderr, f"psql {cmd} on phantomzero: {a.stderr}")
        eq(_normalize(cmd, a.stdout), _normalize(cmd, b.stdout), f"psql {cmd}")


def _oid(port, name):
    p = psql(port, f"select c.oid from pg_catalog.pg_class c where c.relname = '{name}'"
             " and pg_catalog.pg_table_is_visible(c.oid)")
    check(p.returncode == 0, f"oid of {name}: {p.stderr}")
    return p.stdout.splitlines()[1]


def _compare_queries(ours, pg):
    for table in ("t", "u"):
        for q in DESCRIBE:
            a = psql(ours, q.format(oid=_oid(ours, table)), flags=("-t",))
            b = psql(pg, q.format(oid=_oid(pg, table)), flags=("-t",))
            check(a.returncode == 0 and b.returncode == 0, f"{q}: {a.stderr} / {b.stderr}")
            eq(a.stdout, b.stdout, f"\\d {table}'s query {q[:40]!r}")
    for q in INFO:
        a, b = psql(ours, q), psql(pg, q)
        check(a.returncode == 0 and b.returncode == 0, f"{q}: {a.stderr} / {b.stderr}")
        eq(a.stdout, b.stdout, q)


def _compare_jdbc(ctx, ours, pg):
    for q in JDBC:
        a, b = psql(ours, q), psql(pg, q)
        check(b.returncode == 0, f"PostgreSQL {q}: {b.stderr}")
        gap = _gap(a.stderr)
        if a.returncode != 0 and gap:
            ctx.note(f"jdbc query {q[:50]!r}: skipped, engine gap: {gap}")
            continue
        check(a.returncode == 0, f"{q}: {a.stderr}")
        eq(a.stdout, b.stdout, q)


def _reflect(port):
    """SQLAlchemy's inspector over the schema: label → result or ('ERROR', message)."""
    from sqlalchemy import create_engine, inspect

    eng = create_engine(f"postgresql+psycopg2://root@127.0.0.1:{port}/defaultdb")
    probes = [("tables", lambda i: i.get_table_names()),
              ("views", lambda i: i.get_view_names()),
              ("schemas", lambda i: i.get_schema_names()),
              ("has_table", lambda i: (i.has_table("t"), i.has_table("nope"))),
              ("other", lambda i: i.get_table_names(schema="other")),
              ("sequences", lambda i: i.get_sequence_names())]
    for t in ("t", "u"):
        probes += [
            (f"{t} columns", lambda i, t=t: [(c["name"], str(c["type"]), c["nullable"],
                                              c["default"]) for c in i.get_columns(t)]),
            (f"{t} pk", lambda i, t=t: i.get_pk_constraint(t)),
            (f"{t} indexes", lambda i, t=t: sorted(i.get_indexes(t), key=lambda x: x["name"])),
            (f"{t} unique", lambda i, t=t: i.get_unique_constraints(t)),
            (f"{t} fks", lambda i, t=t: i.get_foreign_keys(t))]
    out = {}
    for label, fn in probes:
        try:
            out[label] = fn(inspect(eng))
        except Exception as e:  # the message is what is compared
            out[label] = ("ERROR", str(e).split("\n")[0])
    eng.dispose()
    return out


def _compare_sqlalchemy(ctx, ours, pg):
    try:
        import sqlalchemy  # noqa: F401  Debian's python3-sqlalchemy (scripts/install-deps.sh)
    except ImportError:
        raise TestFailure("python3-sqlalchemy is not installed (scripts/install-deps.sh)")
    a, b = _reflect(ours), _reflect(pg)
    for label, want in b.items():
        got = a[label]
        gap = _gap(got[1]) if isinstance(got, tuple) and got[0] == "ERROR" else None
        if gap:
            ctx.note(f"sqlalchemy {label}: skipped, engine gap: {gap}")
            continue
        eq(got, want, f"sqlalchemy {label}")


@timeout(240)
def test_sql_catalog_psql_and_sqlalchemy(ctx):
    node = SqlNode(ctx).start()
    pg = Pg15()
    try:
        pg.start()
        for port in (node.port, pg.port):
            p = psql(port, SCHEMA)
            check(p.returncode == 0 and "ERROR" not in p.stderr, f"schema on {port}: {p.stderr}")
        _compare_psql(ctx, node.port, pg.port)
        _compare_queries(node.port, pg.port)
        _compare_jdbc(ctx, node.port, pg.port)
        _compare_sqlalchemy(ctx, node.port, pg.port)
    finally:
        pg.stop()


def test_sql_catalog_names(ctx):
    """An unqualified catalog name reads pg_catalog first; a missing one in pg_catalog is
    42P01; a user table named like no catalog table is still found."""
    node = SqlNode(ctx).start()
    c = node.connect()
    cur = c.cursor()
    cur.execute("create table pg_nothing (x int)")
    cur.execute("create table mytab (x int)")
    cur.execute("select relname from pg_class where relname in ('mytab', 'pg_nothing')"
                " order by 1")
    eq(cur.fetchall(), [("mytab",), ("pg_nothing",)], "pg_class rows")
    cur.execute("select count(*) from pg_nothing")
    eq(cur.fetchall(), [(0,)], "a user table named pg_*")
    cur.execute("select count(*) from pg_catalog.pg_class where relname = 'pg_class'")
    eq(cur.fetchall(), [(1,)], "pg_class lists itself")
    try:
        cur.execute("select * from pg_catalog.nope")
        raise TestFailure("pg_catalog.nope did not fail")
    except Exception as e:
        eq(getattr(e, "pgcode", None), "42P01", "pg_catalog.nope")
    c.close()
