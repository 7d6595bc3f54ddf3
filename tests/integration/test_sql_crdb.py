"""CockroachDB's statements that PostgreSQL's grammar lacks (modules/sql/sql_crdb.c): UPSERT and
SHOW TABLES / DATABASES / SCHEMAS / COLUMNS.

How: UPSERT is differential — each UPSERT runs on phantomzero while PostgreSQL 15 runs the
INSERT ... ON CONFLICT (primary key) DO UPDATE that CockroachDB documents as its meaning (with a
column list: the listed non-key columns are updated; without one: every non-key column, so
unlisted ones take their defaults); after each step both tables must hold the same rows, and
both must report the same error class for a conflict on a non-key unique column. The SHOW forms
are checked against what the catalog holds: the tables, databases, schemas and columns created
here, with CockroachDB's column names."""

import psycopg2

import pz
from sql_servers import Pg15, PzSql

TABLE = "CREATE TABLE acc (id int PRIMARY KEY, name text UNIQUE, bal int DEFAULT 7, note text)"

# (ours, PostgreSQL's equivalent)
STEPS = [
    ("UPSERT INTO acc VALUES (1, 'a', 10, 'x')",
     "INSERT INTO acc VALUES (1, 'a', 10, 'x') ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
     " bal = excluded.bal, note = excluded.note"),
    ("UPSERT INTO acc VALUES (1, 'a2', 11)",
     "INSERT INTO acc VALUES (1, 'a2', 11) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
     " bal = excluded.bal, note = excluded.note"),
    ("UPSERT INTO acc (id, note) VALUES (1, 'only note'), (2, 'new')",
     "INSERT INTO acc (id, note) VALUES (1, 'only note'), (2, 'new') ON CONFLICT (id) DO UPDATE"
     " SET note = excluded.note"),
    ("upsert into acc (id) values (3)",
     "INSERT INTO acc (id) VALUES (3) ON CONFLICT (id) DO NOTHING"),
    ("UPSERT INTO acc (id) VALUES (3)",
     "INSERT INTO acc (id) VALUES (3) ON CONFLICT (id) DO NOTHING"),
    ("UPSERT INTO acc SELECT id + 10, name || '!', bal, note FROM acc WHERE id < 3",
     "INSERT INTO acc SELECT id + 10, name || '!', bal, note FROM acc WHERE id < 3 ON CONFLICT"
     " (id) DO UPDATE SET name = excluded.name, bal = excluded.bal, note = excluded.note"),
    ("UPSERT INTO acc (id, bal) VALUES (11, 99) RETURNING id, bal",
     "INSERT INTO acc (id, bal) VALUES (11, 99) ON CONFLICT (id) DO UPDATE SET bal = excluded.bal"
     " RETURNING id, bal"),
]


def _rows(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall() if cur.description else cur.rowcount


@pz.timeout(120)
def test_sql_crdb_upsert(ctx):
    pg = Pg15(ctx).start()
    ours = PzSql(ctx).start()
    a, b = ours.connect(), pg.connect()
    _rows(a, TABLE)
    _rows(b, TABLE)
    for mine, theirs in STEPS:
        got, want = _rows(a, mine), _rows(b, theirs)
        pz.eq(got, want, f"{mine}: result")
        pz.eq(_rows(a, "SELECT * FROM acc ORDER BY id"), _rows(b, "SELECT * FROM acc ORDER BY id"),
              f"after {mine}")
    # Only the primary key arbitrates: another unique column's conflict is an error.
    for conn, sql in ((a, "UPSERT INTO acc (id, name) VALUES (4, 'a2')"),
                      (b, "INSERT INTO acc (id, name) VALUES (4, 'a2') ON CONFLICT (id) DO UPDATE"
                          " SET name = excluded.name")):
        try:
            _rows(conn, sql)
            pz.check(False, f"{sql}: no error")
        except psycopg2.Error as e:
            pz.eq(e.pgcode, "23505", sql)
    try:
        _rows(a, "UPSERT INTO acc (id) VALUES (5) ON CONFLICT DO NOTHING")
        pz.check(False, "UPSERT with ON CONFLICT accepted")
    except psycopg2.Error as e:
        pz.eq(e.pgcode, "42601", "UPSERT ... ON CONFLICT")
    with a.cursor() as cur:
        cur.execute("EXPLAIN UPSERT INTO acc (id, note) VALUES (2, 'e')")
        plan = "\n".join(r[0] for r in cur.fetchall())
        pz.check("nsert" in plan, f"EXPLAIN UPSERT: {plan}")
    ctx.note(f"{len(STEPS)} UPSERT forms equal to PostgreSQL's INSERT ... ON CONFLICT")


@pz.timeout(60)
def test_sql_crdb_show(ctx):
    ours = PzSql(ctx).start()
    c = ours.connect()
    for sql in ("CREATE SCHEMA extra", "CREATE TABLE t1 (a int PRIMARY KEY, b int DEFAULT 5)",
                "CREATE VIEW v1 AS SELECT a FROM t1", "CREATE SEQUENCE s1",
                "CREATE TABLE extra.t2 (x int8 NOT NULL)", "CREATE DATABASE other"):
        _rows(c, sql)
    pz.eq(_rows(c, "SHOW TABLES"),
          [("extra", "t2", "table", "root", 0), ("public", "s1", "sequence", "root", None),
           ("public", "t1", "table", "root", 0), ("public", "v1", "view", "root", None)],
          "SHOW TABLES")
    pz.eq(_rows(c, "show tables from extra;"), [("extra", "t2", "table", "root", 0)],
          "SHOW TABLES FROM extra")
    pz.eq(_rows(c, "SHOW DATABASES"),
          [("defaultdb", "root"), ("other", "root"), ("postgres", "root")], "SHOW DATABASES")
    schemas = [r[0] for r in _rows(c, "SHOW SCHEMAS")]
    pz.check({"public", "extra", "pg_catalog", "information_schema"} <= set(schemas),
             f"SHOW SCHEMAS: {schemas}")
    pz.eq(_rows(c, "SHOW COLUMNS FROM t1"),
          [("a", "integer", False, None), ("b", "integer", True, "5")], "SHOW COLUMNS")
    pz.eq(_rows(c, "SHOW COLUMNS FROM extra.t2"), [("x", "bigint", False, None)],
          "SHOW COLUMNS of a qualified name")
    try:
        _rows(c, "SHOW COLUMNS FROM nosuch")
        pz.check(False, "SHOW COLUMNS FROM nosuch: no error")
    except psycopg2.Error as e:
        pz.eq(e.pgcode, "42P01", "SHOW COLUMNS FROM nosuch")
    pz.eq(_rows(c, "SHOW TimeZone"), [("UTC",)], "a PostgreSQL SHOW still works")
    _rows(c, "INSERT INTO t1 SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE g % 3 END "
             "FROM generate_series(1, 200) g")
    _rows(c, "ANALYZE t1")
    stats = {str(r[1]): r for r in _rows(c, "SHOW STATISTICS FOR TABLE t1")}
    pz.eq(sorted(stats), ["['a']", "['b']"], f"SHOW STATISTICS columns: {stats}")
    pz.eq(stats["['a']"][3:6], (200, 200, 0), "SHOW STATISTICS a: rows, distinct, nulls")
    pz.eq(stats["['b']"][3:6], (200, 3, 50), "SHOW STATISTICS b: rows, distinct, nulls")


@pz.timeout(120)
def test_sql_crdb_statistics_chunks_and_key_limit(ctx):
    """ANALYZE reads a table in chunks (10,000 keys at most a reply), resuming from the last key
    of each: 12,000 rows with 400-byte primary keys take two chunks and must all be counted.
    A key past the storage engine's limit (LMDB: 511 bytes) is refused with 54000 and a message
    that says so, and the table stays as it was."""
    ours = PzSql(ctx).start()
    c = ours.connect()
    _rows(c, "CREATE TABLE lk (k text PRIMARY KEY, v int)")
    for lo in range(1, 12001, 4000):
        _rows(c, f"INSERT INTO lk SELECT lpad(g::text, 400, 'k'), g % 7 "
                 f"FROM generate_series({lo}, {lo + 3999}) g")
    _rows(c, "ANALYZE lk")
    stats = {str(r[1]): r for r in _rows(c, "SHOW STATISTICS FOR TABLE lk")}
    pz.eq(stats["['k']"][3:6], (12000, 12000, 0), "row, distinct and NULL counts of k")
    pz.eq(stats["['v']"][3:6], (12000, 7, 0), "row, distinct and NULL counts of v")
    try:
        _rows(c, "INSERT INTO lk VALUES (repeat('x', 600), 1)")
        pz.check(False, "a 600-byte key was accepted")
    except psycopg2.Error as e:
        pz.eq((e.pgcode, e.pgerror.splitlines()[0]),
              ("54000", "ERROR:  row or index entry is too large for the storage engine"),
              "a key past the engine's limit")
    pz.eq(_rows(c, "SELECT count(*) FROM lk"), [(12000,)], "rows after the refused insert")
