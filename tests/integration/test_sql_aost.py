"""AS OF SYSTEM TIME and MVCC garbage collection (modules/sql/sql_aost.c, modules/repl/repl_gcq.c).

What it proves:
- rows inserted, updated and deleted at known times read back as they were at each time, with the
  timestamp as an integer of nanoseconds, an HLC decimal string, a timestamp string, a negative
  interval (quoted and `interval '...'`) and follower_read_timestamp(); through the simple
  protocol (psycopg2) and the extended one (a prepared statement executed twice, with a parameter);
- BEGIN AS OF SYSTEM TIME (and SET TRANSACTION AS OF SYSTEM TIME) reads one old snapshot across
  statements while another session writes, and refuses writes with 25006; a statement AS OF SYSTEM
  TIME that writes gets 25006; a timestamp in the future and a different timestamp inside such a
  block are errors;
- with --gc-ttl=2s the GC queue removes the old versions, over several ranges (auto splits past
  8 KiB): a read below the threshold then fails with 55000 (its detail naming the threshold) while
  reads of the present (and AS OF SYSTEM TIME above the threshold) are intact, and the queue
  reports at least as many removed versions as the update left behind, from more than one range.
How: one node per test, psycopg2 and the raw wire client (sql_pgproto.py); times are taken from
the client's clock (the same machine's, which the HLC follows) with 300 ms between steps."""

import datetime
import re
import time

import psycopg2

import pz
import sql_pgproto as w
from sql_servers import PzSql, _wait_port
from sql_servers import rows as _rows, sqlstate as _code
from pz import free_port

GAP_S = 0.3


def _mark():
    """A time strictly between what was written before and what is written after."""
    time.sleep(GAP_S)
    t = time.time_ns()
    time.sleep(GAP_S)
    return t


def _ts_text(ns):
    dt = datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f+00")


def _history(ctx):
    """A table with a known history; returns (server, marks, expected rows at each mark)."""
    ours = PzSql(ctx).start()
    c = ours.connect()
    cur = c.cursor()
    cur.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    cur.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    t1 = _mark()
    cur.execute("UPDATE t SET v = 'a2' WHERE id = 1")
    t2 = _mark()
    cur.execute("DELETE FROM t WHERE id = 2")
    t3 = _mark()
    cur.execute("INSERT INTO t VALUES (3, 'c')")
    t4 = _mark()
    want = {t1: [(1, "a"), (2, "b")], t2: [(1, "a2"), (2, "b")], t3: [(1, "a2")],
            t4: [(1, "a2"), (3, "c")]}
    return ours, c, want


def test_sql_aost_reads_history(ctx):
    ours, c, want = _history(ctx)
    cur = c.cursor()
    for t, rows in want.items():
        for form in (f"{t}", f"'{t}.0000000000'", f"'{_ts_text(t)}'",
                     f"timestamptz '{_ts_text(t)}'"):
            pz.eq(_rows(cur, f"SELECT * FROM t AS OF SYSTEM TIME {form} ORDER BY id"), rows,
                  f"AS OF SYSTEM TIME {form}")
    # Relative forms: computed just before the query, the gaps absorb the delay.
    t1, t2 = list(want)[:2]
    ago_ms = (time.time_ns() - t2) // 1_000_000
    pz.eq(_rows(cur, f"SELECT * FROM t AS OF SYSTEM TIME '-{ago_ms}ms' ORDER BY id"), want[t2],
          "a negative interval string")
    ago_ms = (time.time_ns() - t1) // 1_000_000
    pz.eq(_rows(cur, f"SELECT v FROM t AS OF SYSTEM TIME interval '-{ago_ms}ms' WHERE id = 1"),
          [("a",)], "interval '...', with a WHERE after the clause")
    pz.eq(_rows(cur, "SELECT * FROM t ORDER BY id"), want[list(want)[-1]], "the present")
    # The extended protocol: a prepared statement run twice (the plan is cached), with a parameter.
    raw = w.Conn(ours.port, PzSql.USER, PzSql.DBNAME)
    raw.send(w.parse("s", f"SELECT v FROM t AS OF SYSTEM TIME '{t1}' WHERE id = $1"),
             w.bind("", "s", ["1"]), w.execute(""), w.bind("", "s", ["2"]), w.execute(""),
             w.sync())
    got = [m for m in raw.read_until_ready() if m[0] in "DCE"]
    pz.eq(got, [("D", (b"a",)), ("C", "SELECT 1"), ("D", (b"b",)), ("C", "SELECT 1")],
          "a prepared statement AS OF SYSTEM TIME, executed twice")
    raw.send(w.query(f"SELECT v FROM t AS OF SYSTEM TIME '{t2}' WHERE id = 1"))
    got = [m for m in raw.read_until_ready() if m[0] in "DE"]
    pz.eq(got, [("D", (b"a2",))], "a simple query on the raw connection")
    raw.close()
    # follower_read_timestamp() is 4.8 s ago: once t4 is that old it reads t4's rows.
    t4 = list(want)[-1]
    time.sleep(max(0.0, (t4 + 5_000_000_000 - time.time_ns()) / 1e9))
    pz.eq(_rows(cur, "SELECT * FROM t AS OF SYSTEM TIME follower_read_timestamp() ORDER BY id"),
          want[t4], "follower_read_timestamp()")


def test_sql_aost_blocks_and_errors(ctx):
    ours, c, want = _history(ctx)
    t1, t2 = list(want)[:2]
    cur = c.cursor()
    other = ours.connect().cursor()
    # One old snapshot across statements while another session writes.
    cur.execute(f"BEGIN AS OF SYSTEM TIME {t2}")
    pz.eq(_rows(cur, "SELECT * FROM t ORDER BY id"), want[t2], "BEGIN AS OF SYSTEM TIME")
    other.execute("UPDATE t SET v = 'a3' WHERE id = 1")
    pz.eq(_rows(cur, "SELECT * FROM t ORDER BY id"), want[t2], "the same snapshot again")
    pz.eq(_rows(cur, f"SELECT v FROM t AS OF SYSTEM TIME {t2} WHERE id = 1"), [("a2",)],
          "the block's own timestamp repeated")
    pz.eq(_code(cur, f"SELECT * FROM t AS OF SYSTEM TIME {t1}"), "42601",
          "another timestamp inside the block")
    cur.execute("ROLLBACK")
    cur.execute(f"BEGIN TRANSACTION AS OF SYSTEM TIME '{t1}'")
    pz.eq(_code(cur, "INSERT INTO t VALUES (9, 'x')"), "25006", "a write in the block")
    cur.execute("ROLLBACK")
    cur.execute("BEGIN")
    cur.execute(f"SET TRANSACTION AS OF SYSTEM TIME {t1}")
    pz.eq(_rows(cur, "SELECT * FROM t ORDER BY id"), want[t1], "SET TRANSACTION AS OF SYSTEM TIME")
    cur.execute("COMMIT")
    pz.eq(_code(cur, f"INSERT INTO t SELECT id + 100, v FROM t AS OF SYSTEM TIME {t1}"), "25006",
          "INSERT ... AS OF SYSTEM TIME")
    future = time.time_ns() + 60_000_000_000
    pz.eq(_code(cur, f"SELECT * FROM t AS OF SYSTEM TIME {future}"), "22023", "the future")
    pz.eq(_code(cur, "SELECT * FROM t AS OF SYSTEM TIME '10s'"), "22023", "a positive interval")
    pz.eq(_code(cur, "SELECT * FROM (SELECT * FROM t AS OF SYSTEM TIME '-1s') s"), "0A000",
          "in a subquery")
    pz.eq(_rows(cur, "SELECT 'AS OF SYSTEM TIME 1' AS of"), [("AS OF SYSTEM TIME 1",)],
          "the words inside a string are left alone")
    pz.eq(_rows(cur, "SELECT v FROM t WHERE id = 1"), [("a3",)], "the present is untouched")


def _gc_node(ctx):
    """PzSql with --gc-ttl=2s, ranges split past 8 KiB (so the queue goes over several) and debug
    logging (the GC queue logs what each pass removed)."""
    ours = PzSql.__new__(PzSql)
    ours.ctx = ctx
    zport, ours.port = free_port(), free_port()
    ours.node = ctx.node("pzgc", [ctx.bin, "start-single-node", f"--store={ctx.dir / 'pzgc'}",
                                  f"--listen-addr=127.0.0.1:{zport}",
                                  f"--sql-addr=127.0.0.1:{ours.port}", "--log-level=debug",
                                  "--gc-ttl=2s", "--range-max-bytes=8192"],
                         host=f"127.0.0.1:{zport}")
    ours.node.start()
    _wait_port(ours.port, ours.node.alive, 10 * ctx.scale, "phantomzero pgwire")
    return ours


def test_sql_aost_gc(ctx):
    ours = _gc_node(ctx)
    cur = ours.connect().cursor()
    cur.execute("CREATE TABLE g (id int PRIMARY KEY, v int, pad text)")
    cur.execute("INSERT INTO g SELECT i, i, repeat('x', 40) FROM generate_series(1, 400) AS i")
    t0 = _mark()
    cur.execute("UPDATE g SET v = v + 1000")
    pz.eq(_rows(cur, f"SELECT sum(v) FROM g AS OF SYSTEM TIME {t0}"), [(80200,)],
          "the old versions before GC")
    deadline = time.monotonic() + 15 * ctx.scale
    code = None
    while time.monotonic() < deadline:
        code = _code(cur, f"SELECT sum(v) FROM g AS OF SYSTEM TIME {t0}")
        if code is not None:
            break
        time.sleep(0.2)
    pz.eq(code, "55000", "a read below the GC threshold after gc.ttl")
    try:
        cur.execute(f"SELECT sum(v) FROM g AS OF SYSTEM TIME {t0}")
        detail = None
    except psycopg2.Error as e:
        detail = e.diag.message_detail or ""
    pz.check(detail is not None and "GC threshold is" in detail,
             f"the error's detail names the threshold ({detail!r})")
    pz.eq(_rows(cur, "SELECT count(*), sum(v) FROM g"), [(400, 480200)], "the present is intact")
    pz.eq(_rows(cur, "SELECT count(*) FROM g AS OF SYSTEM TIME '-500ms'"), [(400,)],
          "AS OF SYSTEM TIME above the threshold")
    # The threshold passes t0 before the update's old versions are collectible (they are
    # shadowed only from the update's timestamp on): wait for the pass that removes them.
    deleted, ranges = 0, set()
    while time.monotonic() < deadline and deleted < 400:
        time.sleep(0.2)
        passes = re.findall(r"GC of range (\d+) done: (\d+) versions", ours.node.log_text())
        deleted = sum(int(n) for _, n in passes)
        ranges = {r for r, n in passes if int(n) > 0}
    pz.check(deleted >= 400, f"the GC queue removed the 400 shadowed row versions ({deleted})")
    pz.check(len(ranges) > 1, f"versions were removed from several ranges ({sorted(ranges)})")
    pz.eq(_rows(cur, "SELECT count(*), sum(v) FROM g"), [(400, 480200)], "the present after GC")


def test_sql_aost_gc_ttl_flag_refused(ctx):
    """A malformed --gc-ttl stops the start with a line that says why (exit 2)."""
    node = ctx.node("badttl", [ctx.bin, "start-single-node", f"--store={ctx.dir / 'badttl'}",
                               f"--listen-addr=127.0.0.1:{free_port()}",
                               f"--sql-addr=127.0.0.1:{free_port()}", "--gc-ttl=5x"], ping=False)
    rc, log = node.run_to_exit()
    pz.eq(rc, 2, "exit code of a start with --gc-ttl=5x")
    pz.check("bad gc_ttl" in log, f"the log names the setting:\n{log}")
