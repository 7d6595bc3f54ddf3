"""Operators that spill to disk past work_mem (modules/sql/sql_spill.h), on a real node.

What it proves, and how:
- a sort that needs more memory than the whole statement budget (256 MiB, PZ_ARENA_BYTES_MAX)
  fails with 53200 when work_mem lets it keep everything in memory, and succeeds at the default
  work_mem by spilling (EXPLAIN ANALYZE says "external merge"); its answer is checked against
  values computed here;
- temp files never show in <store>/temp (they have no name: O_TMPFILE), during a statement,
  after it, and after a kill -9 in the middle of a spilling statement; a file left there by hand
  (as a crash between create and unlink would) is removed when the node starts again;
- the node's temp space limit (max_disk_temp_storage) and a full disk (temp_dir on a 1 MiB
  tmpfs) both end the statement with 53100 and leave the session working, and the space is
  given back (the same session can spill a smaller query afterwards);
- statement_timeout still ends a statement while it is merging or partitioning on disk.
"""

import os
import threading
import time

import psycopg2

import pz
from sql_servers import PzSql

# Rows of ~220 bytes each: a million of them take ~300 MiB in memory, past the 256 MiB budget.
BIG_ROWS = 1_000_000
# The LIMIT sits above a projection, not the sort: the whole input is sorted (no top-N). (A big
# OFFSET would not do: the rows it skips are evaluated into the per-row scratch arena, which is
# reset only between returned rows.)
BIG_SORT = (f"SELECT right(t, 7) FROM (SELECT repeat('x', 200) || lpad(((g::int8 * 7919) % 1000003)"
            f"::text, 7, '0') AS t FROM generate_series(1, {BIG_ROWS}) g ORDER BY t) s LIMIT 3")


def _temp_files(node):
    return sorted(os.listdir(node.ctx.dir / node.name / "temp"))


def _sqlstate(conn, sql):
    try:
        conn.cursor().execute(sql)
    except psycopg2.Error as e:
        return e.pgcode
    return None


def _node(ctx, name, *sets):
    s = PzSql(ctx, name)
    s.node.args += [f"--set=modules/sql/{kv}" for kv in sets]
    return s.start()


@pz.timeout(300)
def test_spill_past_the_statement_budget(ctx):
    s = _node(ctx, "pz")
    c = s.connect()
    cur = c.cursor()
    pz.eq(_sqlstate(c, "SET work_mem = '1TB'"), None, "SET work_mem = '1TB'")
    pz.eq(_sqlstate(c, BIG_SORT), "53200", "the big sort kept in memory")
    pz.eq(_temp_files(s.node), [], "temp files after a sort that did not spill")
    cur.execute("RESET work_mem")
    cur.execute("SHOW work_mem")
    pz.eq(cur.fetchone()[0], "4MB", "default work_mem")
    cur.execute(BIG_SORT)
    got = [r[0] for r in cur.fetchall()]
    want = sorted(((g * 7919) % 1000003 for g in range(1, BIG_ROWS + 1)))[:3]
    pz.eq(got, [f"{v:07d}" for v in want], "the head of the spilled sort")
    pz.eq(_temp_files(s.node), [], "temp files after a spilled sort")
    cur.execute("SET work_mem = '64kB'")
    cur.execute("EXPLAIN ANALYZE SELECT g % 50000, count(*) FROM generate_series(1, 200000) g "
                "GROUP BY 1 ORDER BY 1")
    plan = "\n".join(r[0] for r in cur.fetchall())
    pz.check("Sort Method: external merge  Disk:" in plan, f"no external merge in:\n{plan}")
    pz.check("Disk Usage:" in plan, f"the hash aggregation did not spill:\n{plan}")
    c.close()


@pz.timeout(300)
def test_spill_files_gone_after_kill_and_restart(ctx):
    s = _node(ctx, "pz")
    stale = ctx.dir / "pz" / "temp" / "pz_spill_left_by_a_crash"
    stale.write_bytes(b"x" * 4096)
    c = s.connect()
    failed = []

    def run():
        try:
            cur = c.cursor()
            cur.execute("SET work_mem = '64kB'")
            cur.execute(BIG_SORT)
        except psycopg2.Error as e:
            failed.append(e)

    t = threading.Thread(target=run)
    t.start()
    # Wait until the statement has spilled: its deleted temp files show as open descriptors.
    fd_dir = f"/proc/{s.node.proc.pid}/fd"
    deadline = time.monotonic() + 60 * ctx.scale
    while True:
        links = [os.readlink(os.path.join(fd_dir, f)) for f in os.listdir(fd_dir)]
        spilling = [l for l in links if l.startswith(str(ctx.dir / "pz" / "temp") + "/")]
        if spilling:
            break
        pz.check(time.monotonic() < deadline and t.is_alive(), "the sort never opened a temp file")
        time.sleep(0.02)
    pz.check(all(l.endswith("(deleted)") for l in spilling), f"temp files not unlinked: {spilling}")
    pz.eq(_temp_files(s.node), [stale.name], "the temp directory while spilling")
    s.node.kill()
    t.join(30)
    pz.check(failed, "the statement survived a kill -9 of its node")
    pz.eq(_temp_files(s.node), [stale.name], "the temp directory after kill -9")
    s.start()
    pz.eq(_temp_files(s.node), [], "the temp directory after restart")
    cur = s.connect().cursor()
    cur.execute("SELECT count(*) FROM (SELECT g FROM generate_series(1, 100000) g "
                "ORDER BY g DESC) x")
    pz.eq(cur.fetchone()[0], 100000, "a spilling sort after restart")


SPILL_3MB = ("SELECT count(*), sum(g) FROM (SELECT g FROM generate_series(1, 300000) g "
             "ORDER BY (g::int8 * 7919) % 300007) s")
SPILL_SMALL = ("SELECT count(*), sum(g) FROM (SELECT g FROM generate_series(1, 10000) g "
               "ORDER BY (g * 7919) % 10007) s")


def _limit_session(c, what):
    cur = c.cursor()
    cur.execute("SET work_mem = '64kB'")
    for _ in range(2):  # twice: the first failure must give its bytes back
        pz.eq(_sqlstate(c, SPILL_3MB), "53100", f"a sort past {what}")
        cur.execute("SELECT 1")
        pz.eq(cur.fetchone()[0], 1, f"the session after {what}")
        cur.execute(SPILL_SMALL)
        pz.eq(cur.fetchone(), (10000, 50005000), f"a smaller spilling sort after {what}")


@pz.timeout(300)
def test_temp_space_limit_and_full_disk(ctx):
    s = _node(ctx, "pz", "max_disk_temp_storage=1MiB")
    c = s.connect()
    _limit_session(c, "max_disk_temp_storage")
    pz.eq(_temp_files(s.node), [], "temp files after 53100")
    mnt = ctx.tmpfs("1m")
    f = _node(ctx, "pzfull", f"temp_dir={mnt}")
    _limit_session(f.connect(), "a full temp disk")
    pz.eq(os.listdir(mnt), [], "temp files on the full disk")


@pz.timeout(300)
def test_statement_timeout_while_spilling(ctx):
    s = _node(ctx, "pz")
    c = s.connect()
    cur = c.cursor()
    cur.execute("SET work_mem = '64kB'")
    cur.execute("SET statement_timeout = 300")
    t0 = time.monotonic()
    pz.eq(_sqlstate(c, BIG_SORT), "57014", "a spilling sort past statement_timeout")
    pz.check(time.monotonic() - t0 < 10 * ctx.scale, "statement_timeout took too long")
    cur.execute("RESET statement_timeout")
    cur.execute(SPILL_SMALL)
    pz.eq(cur.fetchone(), (10000, 50005000), "the session after the timeout")
    pz.eq(_temp_files(s.node), [], "temp files after the timeout")
