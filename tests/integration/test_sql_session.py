"""A session's statements can be stopped: a CancelRequest (psycopg2's connection.cancel(), psql's
Ctrl-C) ends the statement running on the session it names with 57014, and the session goes on;
statement_timeout ends a statement past it with 57014; a cancel for a wrong secret does nothing;
concurrent read-modify-write statements on one row lose no update (each retried on the server
when it lost the race).

How: a single node (sql_servers.PzSql); a statement that runs for seconds on the executor alone
(a cross join of two generate_series counted, which reads no KV after its start), cancelled
from another thread; four connections incrementing one counter 150 times each."""

import socket
import struct
import threading
import time

import psycopg2

from pz import check, eq
from sql_servers import PzSql

LONG = "SELECT count(*) FROM generate_series(1, 30000) a, generate_series(1, 30000) b"


def test_sql_session_cancel_and_timeout(ctx):
    n = PzSql(ctx).start()
    c = n.connect()
    c.autocommit = True
    cur = c.cursor()
    timer = threading.Timer(0.5, c.cancel)
    timer.start()
    t0 = time.monotonic()
    try:
        cur.execute(LONG)
        raise AssertionError("the statement ran to its end despite the cancel")
    except psycopg2.errors.QueryCanceled as e:
        eq(e.pgcode, "57014", "SQLSTATE of a cancelled statement")
        check("user request" in str(e), f"message: {e}")
    took = time.monotonic() - t0
    check(took < 10 * ctx.scale, f"the cancel took {took:.1f}s to stop the statement")
    timer.join()
    cur.execute("SELECT 1")
    eq(cur.fetchone(), (1,), "the session after its cancelled statement")
    # A CancelRequest with the wrong secret changes nothing: the next statement completes.
    pid = c.get_backend_pid()
    s = socket.create_connection(("127.0.0.1", n.port))
    s.sendall(struct.pack("!IIII", 16, 80877102, pid, 12345))
    s.close()
    cur.execute("SELECT count(*) FROM generate_series(1, 1000)")
    eq(cur.fetchone(), (1000,), "a statement after a cancel with a wrong secret")
    cur.execute("SET statement_timeout = 300")
    t0 = time.monotonic()
    try:
        cur.execute(LONG)
        raise AssertionError("the statement outlived statement_timeout")
    except psycopg2.errors.QueryCanceled as e:
        check("statement timeout" in str(e), f"message: {e}")
    ctx.note(f"cancel stopped the statement in {took:.2f}s; timeout after "
             f"{time.monotonic() - t0:.2f}s (300 ms set)")
    c.close()


def test_sql_session_no_lost_updates(ctx):
    n = PzSql(ctx).start()
    c = n.connect()
    c.autocommit = True
    c.cursor().execute("CREATE TABLE ctr (id INT PRIMARY KEY, n INT)")
    c.cursor().execute("INSERT INTO ctr VALUES (1, 0)")
    errors = []

    def worker():
        try:
            w = n.connect()
            w.autocommit = True
            for _ in range(150):
                w.cursor().execute("UPDATE ctr SET n = n + 1 WHERE id = 1")
            w.close()
        except Exception as e:  # reported below: every increment must land
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(errors, [], "errors from the incrementing clients")
    cur = c.cursor()
    cur.execute("SELECT n FROM ctr WHERE id = 1")
    eq(cur.fetchone(), (600,), "4 clients x 150 increments")
    c.close()


def test_sql_session_workers_fair(ctx):
    """Sessions share the session workers (sql_sched.c): with a single worker, a long statement
    on one connection must not stall another. A long scan yields every slice at the executor's
    periodic check; a big in-memory sort and the parse of a huge statement cannot yield and run
    detached on a helper thread. Meanwhile the other connection's SELECT 1 keeps answering.
    The scan and the sort grow until they take at least min_secs, whatever this machine's
    speed."""
    min_secs = 0.3
    s = PzSql(ctx, extra_args=("--set=modules/sql/session_workers=1",)).start()
    fast, slow = s.connect(), s.connect()
    slow.cursor().execute("SET work_mem = '2GB'")  # the sort stays in memory: one qsort

    def scan(n):
        return f"SELECT count(*) FROM generate_series(1, {n}) g WHERE g % 7 = 3"

    def sort(n):
        return (f"SELECT count(*) FROM (SELECT g FROM generate_series(1, {n}) g "
                f"ORDER BY (g::int8 * 7919) % 1000003 OFFSET 0) s")

    def parse(n):
        return "SELECT count(*) FROM (VALUES " + ",".join(f"({i})" for i in range(n)) + ") v(x)"

    cases = [("a long scan", scan, 1500000), ("a big in-memory sort", sort, 300000),
             ("a huge statement's parse", parse, 100000)]
    for what, make, n in cases:
        for attempt in range(4):
            out = {}

            def run():
                t0 = time.monotonic()
                try:
                    slow.cursor().execute(make(n))
                except psycopg2.Error as e:
                    out["error"] = str(e)
                out["secs"] = time.monotonic() - t0

            th = threading.Thread(target=run)
            th.start()
            time.sleep(0.02)
            worst, answered = 0.0, 0
            while th.is_alive():
                t0 = time.monotonic()
                cur = fast.cursor()
                cur.execute("SELECT 1")
                eq(cur.fetchone()[0], 1, f"SELECT 1 during {what}")
                worst, answered = max(worst, time.monotonic() - t0), answered + 1
            th.join()
            check("error" not in out, f"{what}: {out.get('error')}")
            if out["secs"] >= min_secs or make is parse:
                break  # (125k values would already pass the statement's 500k-token limit)
            n *= 2
        check(out["secs"] >= min_secs / 2, f"{what} took only {out['secs']:.3f} s: too short")
        check(answered >= 5 and worst < out["secs"] / 3,
              f"during {what} ({out['secs']:.3f} s) the other session answered {answered} "
              f"queries, the slowest in {worst:.3f} s: it was held up")
        ctx.note(f"{what} (n={n}): {out['secs']:.2f} s; meanwhile {answered} SELECT 1, slowest "
                 f"{worst * 1000:.1f} ms")
    fast.close()
    slow.close()
