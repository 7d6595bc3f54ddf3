"""Real clients against Phantom Zero's SQL engine, each checked against what PostgreSQL 15 does:

- the extended query protocol through a raw client (sql_pgproto.py): Parse/Bind/Describe/Execute/
  Close/Flush/Sync with text and binary parameters, binary and mixed result formats for every
  type family, a named statement reused, a row-limited Execute answered by PortalSuspended, the
  errors of each step (and everything up to Sync skipped after one), the simple Query with
  several statements — every scenario replayed on a private PostgreSQL 15 and the backend
  message sequences (types, row descriptions, row bytes, tags, SQLSTATEs, messages) compared;
- psycopg2 in a transaction block: an error leaves the block failed (25P02 for every statement)
  until ROLLBACK, COMMIT of a failed block answers ROLLBACK, and the session goes on;
- 16 threads, each on its own connection, inserting and reading concurrently without errors,
  with concurrent inserts of the same keys deciding exactly one winner per key (23505 for the
  others);
- psql on the scripts of tests/integration/sql/*.sql: the output of `psql -X -a -f` must equal
  the .out file beside it, which is PostgreSQL 15's output for the same script (regenerate it
  with psql against PostgreSQL 15 when a script changes);
- the SQLAlchemy ORM (declarative model, session add/commit/query/filter/update/delete; the table
  is created with the DDL SQLAlchemy compiles, because its create_all reads pg_catalog);
- pgbench: server-side data generation (-I G), then a select-only and a TPC-B-like run, with
  TPC-B's balance invariant checked for one client; sysbench oltp_read_write prepare and run.

How: nodes from `phantomzero start-single-node` and PostgreSQL 15 clusters from sql_servers.py,
each on free loopback ports inside the test folder.
"""

import os
import re
import shutil
import struct
import subprocess
import threading
from pathlib import Path

import psycopg2
import psycopg2.errors

import pz
import sql_pgproto as w
from pz import TestFailure, check, eq
from sql_servers import Pg15, PzSql

HERE = Path(__file__).resolve().parent

P, B, D, E, C, S, H, Q = w.parse, w.bind, w.describe, w.execute, w.close, w.sync, w.flush, w.query


def i4(v):
    return struct.pack("!i", v)


def i8(v):
    return struct.pack("!q", v)


_XP_SETUP = ["CREATE TABLE xp (id int PRIMARY KEY, t text, n numeric(10,2), b bytea)",
             "INSERT INTO xp VALUES (1, 'one', 1.50, '\\x01'), (2, 'two', NULL, NULL), "
             "(3, 'three', -3.25, '\\xff00')"]

# (name, frontend messages). The scenarios run in this order on one table, on both servers.
SCENARIOS = [
 ("text_params_binary_results", [P("", "SELECT $1::int + $2::int8, $3::text AS t", [23, 20, 0]), B("", "", ["1", "2", "x"], [], [1]), D("P", ""), E(""), S()]),
 ("binary_params", [P("s1", "SELECT $1::int4 + 1, $2::bytea, $3::int8 * 2, $4::float8, $5::bool", [23, 17, 20, 701, 16]),
                    B("", "s1", [i4(41), b"\x00\xffab", i8(-5), struct.pack("!d", 2.5), b"\x01"], [1], []), E(""), S()]),
 ("named_statement_reused", [P("s2", "SELECT t FROM xp WHERE id = $1", [23]), S(),
                             B("", "s2", ["1"]), E(""), B("", "s2", ["3"]), E(""), B("", "s2", [None]), E(""), S()]),
 ("describe_statement", [P("s3", "SELECT id, t, n FROM xp WHERE id > $1 AND t <> $2"), D("S", "s3"), S()]),
 ("describe_insert_params", [P("s4", "INSERT INTO xp (id, t, n) VALUES ($1, $2, $3)"), D("S", "s4"), S(),
                             B("", "s4", ["10", "ten", "10.555"]), D("P", ""), E(""), S()]),
 ("portal_row_limit_flush", [P("", "SELECT id FROM xp ORDER BY id"), B("p2", "", []), E("p2", 1), H()]),
 ("binary_results_types", [P("", "SELECT 1::int2, 2::int4, 3::int8, 1.5::float4, 2.25::float8, true, 'txt'::text, 'vc'::varchar(5), 'c'::char(3), "
       "12.345::numeric, (-0.5)::numeric, 0::numeric, 'NaN'::numeric, '2024-02-29'::date, '12:34:56.789'::time, '2024-02-29 12:34:56.789'::timestamp, "
       "'2024-02-29 12:34:56+02'::timestamptz, '1 year 2 mons 3 days 04:05:06.7'::interval, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, "
       "'\\xdeadbeef'::bytea, '{\"a\": [1, 2]}'::jsonb, '{\"a\":1}'::json, ARRAY[1, NULL, 3], ARRAY['x', 'y z'], NULL::int"),
       B("", "", [], [], [1]), E(""), S()]),
 ("mixed_result_formats", [P("", "SELECT id, t, n FROM xp WHERE id = 1"), B("", "", [], [], [1, 0, 1]), E(""), S()]),
 ("insert_update_delete", [P("", "INSERT INTO xp VALUES ($1, $2)"), B("", "", ["20", "x"]), E(""), B("", "", ["21", "y"]), E(""), S(),
                           P("u", "UPDATE xp SET t = $1 WHERE id >= $2"), B("", "u", ["z", "20"]), E(""), S(),
                           P("", "DELETE FROM xp WHERE id >= $1 RETURNING id, t"), B("", "", ["20"]), D("P", ""), E(""), S()]),
 ("error_skips_to_sync", [P("", "SELECT 1/(id - $1::int) FROM xp ORDER BY id"), B("", "", ["2"]), E(""), P("", "SELECT 2"), B("", "", []), E(""), S(),
                          P("", "SELECT 3"), B("", "", []), E(""), S()]),
 ("parse_error", [P("", "SELEC 1"), B("", "", []), E(""), S()]),
 ("unknown_column", [P("", "SELECT nosuch FROM xp"), S()]),
 ("bind_bad_binary_int", [P("", "SELECT $1::int"), B("", "", [b"\x00\x01\x02"], [1]), E(""), S()]),
 ("bind_bad_text_int", [P("", "SELECT $1::int"), B("", "", ["abc"]), E(""), S()]),
 ("missing_statement", [B("", "nosuch", []), E(""), S()]),
 ("missing_portal", [E("nosuch"), S()]),
 ("close_then_use", [P("s5", "SELECT 5"), C("S", "s5"), B("", "s5", []), S(), C("S", "never_existed"), C("P", "nope"), S()]),
 ("duplicate_statement_name", [P("s6", "SELECT 6"), P("s6", "SELECT 7"), S()]),
 ("empty_query", [P("", ""), B("", "", []), D("P", ""), E(""), S()]),
 ("unique_violation", [P("", "INSERT INTO xp (id, t) VALUES ($1, $2)"), B("", "", ["1", "dup"]), E(""), S()]),
 ("simple_query_multi", [Q("SELECT 1; SELECT 'a' AS x; INSERT INTO xp (id) VALUES (50)")]),
 ("simple_query_empty", [Q(""), Q(";")]),
 ("param_type_inference", [P("", "SELECT $1 || 'x', $2 + 1, $3 = 1.5"), D("S", ""), S()]),
]


def _replay(port, user, dbname, msgs):
    c = w.Conn(port, user, dbname)
    try:
        c.send(*msgs)
        readies = sum(1 for m in msgs if m[:1] in (b"S", b"Q"))
        if readies == 0:  # a Flush: the messages so far, without ReadyForQuery
            return c.read_n(4)
        out = []
        for _ in range(readies):
            out += c.read_until_ready()
        return out
    finally:
        c.close()


@pz.timeout(90)
def test_sql_clients_extended_protocol(ctx):
    pg = Pg15(ctx).start()
    ours = PzSql(ctx).start()
    for srv in (pg, ours):
        conn = srv.connect()
        for sql in _XP_SETUP:
            conn.cursor().execute(sql)
        conn.close()
    diffs, seen = [], {}
    for name, msgs in SCENARIOS:
        want = _replay(pg.port, pg.USER, pg.DBNAME, msgs)
        got = _replay(ours.port, ours.USER, ours.DBNAME, msgs)
        seen[name] = got
        if want != got:
            diffs.append(f"{name}:\n      pg15: {want}\n      ours: {got}")
    check(not diffs, f"{len(diffs)} protocol scenarios differ from PostgreSQL 15:\n  "
          + "\n  ".join(diffs))
    # The oracle agreed; a few absolutes so that both servers cannot be wrong alike.
    eq(seen["binary_params"][1:3], [("2",), ("D", (b"42", b"\\x00ff6162", b"-10", b"2.5", b"t"))],
       "binary parameters in, text out")
    eq(seen["text_params_binary_results"][3], ("D", (i8(3), b"x")), "text in, binary out")
    eq([m[0] for m in seen["portal_row_limit_flush"]], ["1", "2", "D", "s"],
       "Execute with a row limit ends in PortalSuspended")
    eq(seen["error_skips_to_sync"][-5:], [("1",), ("2",), ("D", (b"3",)), ("C", "SELECT 1"),
                                          ("Z", "I")], "the batch after the failed one")
    ctx.note(f"{len(SCENARIOS)} extended/simple protocol scenarios equal to PostgreSQL 15's")


@pz.timeout(60)
def test_sql_clients_transaction_block_errors(ctx):
    ours = PzSql(ctx).start()
    c = ours.connect(autocommit=False)  # psycopg2 sends BEGIN before the first statement
    cur = c.cursor()
    cur.execute("CREATE TABLE tb (id int PRIMARY KEY)")
    c.commit()
    cur.execute("INSERT INTO tb VALUES (1)")
    try:
        cur.execute("SELECT 1/0")
        raise TestFailure("1/0 did not fail")
    except psycopg2.errors.DivisionByZero:
        pass
    eq(c.info.transaction_status, psycopg2.extensions.TRANSACTION_STATUS_INERROR,
       "transaction status after an error in a block")
    for sql in ("SELECT 1", "INSERT INTO tb VALUES (2)", "SAVEPOINT x"):
        try:
            cur.execute(sql)
            raise TestFailure(f"{sql!r} ran in a failed transaction block")
        except psycopg2.errors.InFailedSqlTransaction as e:
            eq(e.diag.message_primary, "current transaction is aborted, commands ignored "
               "until end of transaction block", "25P02 message")
    cur.execute("COMMIT")  # PostgreSQL answers the COMMIT of a failed block with ROLLBACK
    eq(cur.statusmessage, "ROLLBACK", "COMMIT of a failed block")
    eq(c.info.transaction_status, psycopg2.extensions.TRANSACTION_STATUS_IDLE, "after COMMIT")
    cur.execute("SELECT 2")
    eq(cur.fetchone(), (2,), "a statement after the failed block")
    c.rollback()
    try:
        cur.execute("SELEC 1")
    except psycopg2.errors.SyntaxError:
        pass
    c.rollback()  # psycopg2's ROLLBACK ends the failed block
    eq(c.info.transaction_status, psycopg2.extensions.TRANSACTION_STATUS_IDLE, "after ROLLBACK")
    cur.execute("INSERT INTO tb VALUES (3)")
    c.commit()
    cur.execute("SELECT id FROM tb WHERE id IN (2, 3)")
    eq(cur.fetchall(), [(3,)], "rows after the blocks (2 was refused with 25P02)")
    c.close()


@pz.timeout(90)
def test_sql_clients_concurrent_connections(ctx):
    ours = PzSql(ctx).start()
    setup = ours.connect()
    setup.cursor().execute("CREATE TABLE cc (id int PRIMARY KEY, who int NOT NULL, v text)")
    setup.cursor().execute("CREATE TABLE claim (k int PRIMARY KEY, who int NOT NULL)")
    threads_n, rows_n, keys_n = 16, 40, 20
    errors, wins = [], []
    lock = threading.Lock()

    def worker(t):
        try:
            conn = ours.connect()
            cur = conn.cursor()
            for i in range(rows_n):
                cur.execute("INSERT INTO cc VALUES (%s, %s, %s)", (t * 1000 + i, t, f"r{i}"))
                if i % 10 == 9:
                    cur.execute("SELECT count(*), max(id) FROM cc WHERE who = %s", (t,))
                    got = cur.fetchone()
                    if got != (i + 1, t * 1000 + i):
                        raise TestFailure(f"thread {t} read {got} after {i + 1} inserts")
            for k in range(keys_n):
                try:
                    cur.execute("INSERT INTO claim VALUES (%s, %s)", (k, t))
                    with lock:
                        wins.append(k)
                except psycopg2.errors.UniqueViolation:
                    pass
            conn.close()
        except Exception as e:  # reported by the main thread
            with lock:
                errors.append(f"thread {t}: {type(e).__name__}: {e}")

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads_n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60 * ctx.scale)
    check(not any(t.is_alive() for t in ts), "a client thread hung")
    check(not errors, "client errors:\n  " + "\n  ".join(errors))
    cur = setup.cursor()
    cur.execute("SELECT count(*), count(DISTINCT who) FROM cc")
    eq(cur.fetchone(), (threads_n * rows_n, threads_n), "rows and writers")
    eq(sorted(wins), list(range(keys_n)), "exactly one winner per contested key")
    cur.execute("SELECT count(*) FROM claim")
    eq(cur.fetchone(), (keys_n,), "contested keys stored")
    setup.close()
    ctx.note(f"{threads_n} connections: {threads_n * rows_n} inserts, "
             f"{threads_n * keys_n} contested inserts, {keys_n} winners")


def _psql(port, user, dbname, args, cwd=None, timeout_s=60, **kw):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10", PGTZ="UTC", PGDATESTYLE="ISO, MDY")
    return subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(port), "-U", user,
                           "-d", dbname, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout_s, **kw)


@pz.timeout(60)
def test_sql_clients_psql_scripts(ctx):
    ours = PzSql(ctx).start()
    scripts = sorted((HERE / "sql").glob("*.sql"))
    check(scripts, "no psql scripts in tests/integration/sql")
    for script in scripts:
        want = script.with_suffix(".out").read_text()
        p = _psql(ours.port, ours.USER, ours.DBNAME, ["-a", "-f", script.name], cwd=script.parent)
        eq(p.returncode, 0, f"psql exit code on {script.name}")
        if p.stdout != want:
            import difflib
            diff = "".join(difflib.unified_diff(want.splitlines(True), p.stdout.splitlines(True),
                                                "postgresql-15", "phantomzero"))
            raise TestFailure(f"psql output of {script.name} differs:\n{diff}")
    ctx.note(f"{len(scripts)} psql scripts print as on PostgreSQL 15")


@pz.timeout(60)
def test_sql_clients_sqlalchemy_orm(ctx):
    import sqlalchemy as sa
    from sqlalchemy.orm import Session, declarative_base

    ours = PzSql(ctx).start()
    base = declarative_base()

    class Item(base):
        __tablename__ = "sa_items"
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String(50), nullable=False)
        qty = sa.Column(sa.Integer, default=0)
        price = sa.Column(sa.Numeric(8, 2))

    # use_native_hstore=False: psycopg2's hstore probe reads pg_type, not there yet.
    eng = sa.create_engine(f"postgresql+psycopg2://root@127.0.0.1:{ours.port}/defaultdb",
                           use_native_hstore=False)
    try:
        with eng.connect() as conn:
            eq(conn.dialect.server_version_info[0], 15, "server version as SQLAlchemy reads it")
            eq(conn.dialect.default_schema_name, "public", "default schema")
        # create_all asks pg_class whether the table exists; the DDL it would run is used as is.
        ddl = str(sa.schema.CreateTable(Item.__table__).compile(eng))
        with eng.begin() as conn:
            conn.exec_driver_sql(ddl)
        with Session(eng) as s:
            s.add_all([Item(name="a", price=1.5), Item(name="b", qty=3), Item(name="c", qty=7)])
            s.commit()
            rows = [(i.id, i.name, i.qty, i.price) for i in s.query(Item).order_by(Item.id)]
            eq([r[:3] for r in rows], [(1, "a", 0), (2, "b", 3), (3, "c", 7)], "rows via ORM")
            eq(str(rows[0][3]), "1.50", "numeric(8,2) read back as Decimal")
            it = s.query(Item).filter(Item.name == "b").one()
            it.qty += 10
            s.commit()
            eq(s.query(Item).filter_by(name="b").one().qty, 13, "attribute update")
            eq(s.query(Item).filter(Item.qty > 5).update({Item.price: 9.99}), 2, "bulk update")
            s.commit()
            s.delete(s.get(Item, 1))
            s.commit()
            eq(s.query(Item).count(), 2, "count after delete")
            eq(s.query(sa.func.sum(Item.qty)).scalar(), 20, "sum")
            eq([(i.name, str(i.price)) for i in s.query(Item).order_by(Item.name.desc())],
               [("c", "9.99"), ("b", "9.99")], "order_by desc")
    finally:
        eng.dispose()


def _pgbench(ours, args, timeout_s=60):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    return subprocess.run(["pgbench", "-h", "127.0.0.1", "-p", str(ours.port), "-U", "root",
                           *args, "defaultdb"], env=env, capture_output=True, text=True,
                          timeout=timeout_s)


def _pgbench_ok(p, what):
    check(p.returncode == 0, f"pgbench {what}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    m = re.search(r"number of transactions actually processed: (\d+)", p.stdout)
    check(m and int(m.group(1)) > 0, f"pgbench {what} processed nothing:\n{p.stdout}")
    check("number of failed transactions: 0 " in p.stdout, f"pgbench {what} failed:\n{p.stdout}")
    tps = re.search(r"tps = ([\d.]+)", p.stdout)
    return int(m.group(1)), float(tps.group(1)) if tps else 0.0


# pgbench's own tables, without its WITH (fillfactor=100) (storage parameters are refused).
_PGBENCH_TABLES = [
    "CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, "
    "filler char(22))",
    "CREATE TABLE pgbench_tellers (tid int NOT NULL, bid int, tbalance int, filler char(84))",
    "CREATE TABLE pgbench_accounts (aid int NOT NULL, bid int, abalance int, filler char(84))",
    "CREATE TABLE pgbench_branches (bid int NOT NULL, bbalance int, filler char(88))",
]


@pz.timeout(120)
def test_sql_clients_pgbench(ctx):
    check(shutil.which("pgbench"), "pgbench is not installed")
    ours = PzSql(ctx).start()
    full = _pgbench(ours, ["-i", "-s", "1"])  # recorded, not asserted: see the notes
    errs = [ln for ln in full.stderr.splitlines() if "error" in ln or "detail" in ln]
    ctx.note(f"pgbench -i -s 1: exit {full.returncode} " + " | ".join(errs[:2]))
    conn = ours.connect()
    cur = conn.cursor()
    for sql in ["DROP TABLE IF EXISTS pgbench_history", "DROP TABLE IF EXISTS pgbench_tellers",
                "DROP TABLE IF EXISTS pgbench_accounts",
                "DROP TABLE IF EXISTS pgbench_branches"] + _PGBENCH_TABLES:
        cur.execute(sql)
    p = _pgbench(ours, ["-i", "-s", "1", "-I", "G"])
    check(p.returncode == 0, f"pgbench -i -I G: {p.stdout}\n{p.stderr}")
    cur.execute("SELECT (SELECT count(*) FROM pgbench_accounts), "
                "(SELECT count(*) FROM pgbench_tellers), (SELECT count(*) FROM pgbench_branches)")
    eq(cur.fetchone(), (100000, 10, 1), "rows generated server-side")
    for t, col in (("accounts", "aid"), ("tellers", "tid"), ("branches", "bid")):
        cur.execute(f"CREATE UNIQUE INDEX pgbench_{t}_key ON pgbench_{t} ({col})")
    n_sel, tps_sel = _pgbench_ok(_pgbench(ours, ["-n", "-S", "-T", "3"]), "-S")
    n_tpcb, tps_tpcb = _pgbench_ok(_pgbench(ours, ["-n", "-T", "3", "-c", "1"]), "tpcb-like")
    n_ext, _ = _pgbench_ok(_pgbench(ours, ["-n", "-S", "-T", "2", "-M", "prepared"]), "-M prepared")
    cur.execute("SELECT (SELECT sum(abalance) FROM pgbench_accounts), "
                "(SELECT sum(bbalance) FROM pgbench_branches), "
                "(SELECT sum(tbalance) FROM pgbench_tellers), "
                "(SELECT sum(delta) FROM pgbench_history), (SELECT count(*) FROM pgbench_history)")
    a, b, t, h, hn = cur.fetchone()
    eq(hn, n_tpcb, "history rows = tpcb-like transactions")
    eq((a, b, t), (h, h, h), "TPC-B balances (accounts, branches, tellers) = sum of history deltas")
    conn.close()
    ctx.note(f"pgbench: -S {n_sel} tx ({tps_sel:.0f} tps), tpcb-like -c1 {n_tpcb} tx "
             f"({tps_tpcb:.0f} tps), -S -M prepared {n_ext} tx")


@pz.timeout(120)
def test_sql_clients_sysbench(ctx):
    check(shutil.which("sysbench"), "sysbench is not installed")
    ours = PzSql(ctx).start()
    base = ["sysbench", "oltp_read_write", "--db-driver=pgsql", "--pgsql-host=127.0.0.1",
            f"--pgsql-port={ours.port}", "--pgsql-user=root", "--pgsql-db=defaultdb",
            "--tables=1", "--table-size=1000"]
    p = subprocess.run(base + ["prepare"], capture_output=True, text=True, timeout=90)
    check(p.returncode == 0, f"sysbench prepare: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    conn = ours.connect()
    cur = conn.cursor()
    cur.execute("SELECT count(*), min(id), max(id) FROM sbtest1")
    eq(cur.fetchone(), (1000, 1, 1000), "sbtest1 after prepare")
    p = subprocess.run(base + ["--time=5", "--threads=4", "run"], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0, f"sysbench run: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    m = re.search(r"transactions:\s+(\d+)", p.stdout)
    check(m and int(m.group(1)) > 0, f"sysbench ran no transaction:\n{p.stdout}")
    ign = re.search(r"ignored errors:\s+(\d+)", p.stdout)
    cur.execute("SELECT count(*), count(DISTINCT id) FROM sbtest1")
    rows = cur.fetchone()
    conn.close()
    ctx.note(f"sysbench oltp_read_write 4 threads 5 s: {m.group(1)} transactions, "
             f"{ign.group(1) if ign else '?'} ignored errors; sbtest1 rows {rows}")
