"""SQL over several ranges: CockroachDB's ALTER TABLE/INDEX ... SPLIT AT and SHOW RANGES
(modules/sql/sql_ranges*.c), and the first SQL traffic whose rows live in more than one range.

What it proves: SPLIT AT answers one row per split (key bytes, /Table/<id>/<index>/<values>,
NULL split_enforced_until) and SHOW RANGES then lists exactly those boundaries; every query over
the tables (full, reverse and limited scans, point and IN reads, index scans, joins, aggregates)
returns the same rows before and after the splits; UPDATE/DELETE/INSERT over every range work in
implicit transactions, in BEGIN..COMMIT, and ROLLBACK leaves nothing in any range; wrong SPLIT AT
input gives CockroachDB-style errors (42P01, 42601, 42804, 42704); transfers between rows in three
ranges by 12 concurrent writers in explicit transactions never show a partial state to 4 readers
summing the balances; a restart keeps the ranges and the rows; and a node with a tiny
--range-max-bytes that splits by itself during a big INSERT answers the same rows too.
How: psycopg2 sessions against one phantomzero node (tests/integration/sql_servers.py)."""

import random
import threading
import time

import psycopg2

import pz
from sql_servers import PzSql
from sql_servers import rows as _all, sqlstate as _code

QUERIES = [
    "SELECT * FROM t ORDER BY id",
    "SELECT * FROM t",
    "SELECT * FROM t ORDER BY id DESC",
    "SELECT * FROM t ORDER BY id DESC LIMIT 7",
    "SELECT * FROM t LIMIT 25",
    "SELECT * FROM t ORDER BY id LIMIT 60",
    "SELECT * FROM t WHERE id = 150",
    "SELECT * FROM t WHERE id BETWEEN 95 AND 205 ORDER BY id",
    "SELECT * FROM t WHERE id BETWEEN 45 AND 255 ORDER BY id DESC LIMIT 100",
    "SELECT * FROM t WHERE id IN (1, 50, 100, 199, 250, 299) ORDER BY id",
    "SELECT id, g FROM t WHERE g = 3 ORDER BY id",
    "SELECT id FROM t WHERE g BETWEEN 2 AND 7 ORDER BY g, id",
    "SELECT g, count(*), sum(v) FROM t GROUP BY g ORDER BY g",
    "SELECT count(*) FROM t",
    "SELECT max(v), min(v), sum(v) FROM t",
    "SELECT t.id, u.name FROM t JOIN u ON u.id = t.g ORDER BY t.id",
    "SELECT u.name, count(*) FROM u LEFT JOIN t ON t.g = u.id GROUP BY u.name ORDER BY 1",
    "SELECT * FROM t WHERE id > 280 ORDER BY id DESC LIMIT 3",
    "SELECT count(*) FROM t a JOIN t b ON a.id = b.id + 1",
]


def _answers(cur):
    return {q: _all(cur, q) for q in QUERIES}


def _fill(cur):
    cur.execute("CREATE TABLE u (id int PRIMARY KEY, name text)")
    cur.execute("INSERT INTO u SELECT g, 'n' || g FROM generate_series(0, 9) g")
    cur.execute("CREATE TABLE t (id int PRIMARY KEY, g int, v int)")
    cur.execute("CREATE INDEX t_g ON t (g)")
    cur.execute("INSERT INTO t SELECT i, i % 10, i * 3 FROM generate_series(1, 300) i")


def _starts(cur, target):
    return [r[0] for r in _all(cur, f"SHOW RANGES FROM {target}")]


def test_sql_ranges_split_show_and_queries(ctx):
    ours = PzSql(ctx).start()
    cur = ours.connect().cursor()
    _fill(cur)
    tid = _all(cur, "SELECT 't'::regclass::oid")[0][0]
    before = _answers(cur)
    pz.eq(len(before["SELECT * FROM t ORDER BY id"]), 300, "rows before the splits")
    pz.eq(_starts(cur, "TABLE t"), ["<before:/Min>"], "one range before any split")

    got = _all(cur, "ALTER TABLE t SPLIT AT VALUES (50), (100), (150), (200), (250)")
    pz.eq([(r[1], r[2]) for r in got],
          [(f"/Table/{tid}/1/{k}", None) for k in (50, 100, 150, 200, 250)],
          "SPLIT AT answers pretty keys and a NULL split_enforced_until")
    pz.check(all(bytes(r[0]).startswith(b"\x88") for r in got), f"raw table keys: {got!r}")
    pz.eq([r[1] for r in _all(cur, "ALTER INDEX t@t_g SPLIT AT VALUES (3), (6)")],
          [f"/Table/{tid}/2/3", f"/Table/{tid}/2/6"], "an index splits at its own keys")
    pz.eq(len(_all(cur, "ALTER TABLE u SPLIT AT SELECT 5")), 1, "SPLIT AT SELECT")
    pz.eq(len(_all(cur, "ALTER TABLE t SPLIT AT VALUES (100)")), 1,
          "a split at an existing boundary succeeds")
    starts = _starts(cur, "TABLE t")
    pz.eq(starts[1:], ["…/1/50", "…/1/100", "…/1/150", "…/1/200", "…/1/250", "…/2/3", "…/2/6"],
          "SHOW RANGES FROM TABLE lists the boundaries, relative to the table")
    pz.eq(_starts(cur, "INDEX t@t_g")[1:], ["…/2/3", "…/2/6"], "SHOW RANGES FROM INDEX")
    rows = _all(cur, "SHOW RANGES")
    pz.eq(len({r[2] for r in rows}), len(rows), "range ids are distinct")
    pz.check(all(r[3] == 1 and r[4] == [1] for r in rows), f"one replica on node 1: {rows!r}")
    pz.eq([r[1] for r in rows[:-1]], [r[0] for r in rows[1:]], "ranges are contiguous")

    after = _answers(cur)
    for q in QUERIES:
        pz.eq(after[q], before[q], f"same answer after the splits: {q}")

    # Errors, as CockroachDB's.
    pz.eq(_code(cur, "ALTER TABLE nope SPLIT AT VALUES (1)"), "42P01", "unknown table")
    pz.eq(_code(cur, "ALTER TABLE t SPLIT AT VALUES (1, 2)"), "42601", "too many columns")
    pz.eq(_code(cur, "ALTER TABLE t SPLIT AT VALUES (true)"), "42804", "wrong type")
    pz.eq(_code(cur, "ALTER INDEX t@nope SPLIT AT VALUES (1)"), "42704", "unknown index")
    pz.eq(_code(cur, "SHOW RANGES FROM TABLE nope"), "42P01", "SHOW RANGES of an unknown table")
    _dml_over_ranges(ctx, ours, cur)


def _dml_over_ranges(ctx, ours, cur):
    rows = dict((r[0], r[1:]) for r in _all(cur, "SELECT * FROM t"))
    cur.execute("UPDATE t SET v = v + 1")
    want = {k: (g, v + 1) for k, (g, v) in rows.items()}
    pz.eq(dict((r[0], r[1:]) for r in _all(cur, "SELECT * FROM t")), want,
          "an implicit UPDATE over six ranges")
    snapshot = _all(cur, "SELECT * FROM t ORDER BY id")
    for sql in ("BEGIN", "UPDATE t SET v = 0", "DELETE FROM t WHERE id IN (10, 120, 260)",
                "INSERT INTO t VALUES (301, 1, 1), (-5, 2, 2)", "ROLLBACK"):
        cur.execute(sql)
    pz.eq(_all(cur, "SELECT * FROM t ORDER BY id"), snapshot, "ROLLBACK leaves every range as it was")
    pz.eq(_all(cur, "SELECT id FROM t WHERE g = 1 AND id > 295"), [], "and no index entry either")
    for sql in ("BEGIN", "UPDATE t SET v = v + 1000 WHERE id IN (10, 120, 260)",
                "DELETE FROM t WHERE id IN (20, 170)", "INSERT INTO t VALUES (301, 1, 1), (-5, 2, 2)",
                "COMMIT"):
        cur.execute(sql)
    want[10], want[120], want[260] = [(g, v + 1000) for g, v in (want[10], want[120], want[260])]
    del want[20], want[170]
    want[301], want[-5] = (1, 1), (2, 2)
    pz.eq(dict((r[0], r[1:]) for r in _all(cur, "SELECT * FROM t")), want,
          "a committed block writes in every range")
    pz.eq(_all(cur, "SELECT id FROM t WHERE g = 1 AND id > 295"), [(301,)], "its index entry")
    cur.execute("DELETE FROM t WHERE id % 10 = 0")
    pz.eq(_all(cur, "SELECT count(*) FROM t"), [(len([k for k in want if k % 10]),)],
          "an implicit DELETE over every range")


def _transfer(cur, ids, amount):
    a, b, c = ids
    cur.execute(f"UPDATE acct SET bal = bal - {amount} WHERE id = {a}")
    cur.execute(f"UPDATE acct SET bal = bal + {amount} - 1 WHERE id = {b}")
    cur.execute(f"UPDATE acct SET bal = bal + 1 WHERE id = {c}")


WORK_MIN = 20  # commits and reads the run must see before it stops early


def _writers_and_readers(ctx, ours, total, seconds):
    # Runs `seconds`, then on until both sides did WORK_MIN (readers wait on the writers'
    # intents, so on a loaded machine they may need longer), at most four times as long.
    start = time.monotonic()
    stats = {"commits": 0, "retries": 0, "reads": 0, "bad": [], "errors": []}
    lock = threading.Lock()

    def running():
        t = time.monotonic() - start
        with lock:
            enough = stats["commits"] > WORK_MIN and stats["reads"] > WORK_MIN
        return t < seconds or (t < 4 * seconds and not enough)

    def writer(seed):
        rnd = random.Random(seed)
        conn = ours.connect(autocommit=False)
        cur = conn.cursor()
        while running():
            ids = [rnd.randrange(lo, lo + 10) for lo in (0, 10, 20)]
            rnd.shuffle(ids)
            try:
                _transfer(cur, ids, rnd.randrange(1, 50))
                conn.commit()
                with lock:
                    stats["commits"] += 1
            except psycopg2.Error as e:
                conn.rollback()
                with lock:
                    if e.pgcode in ("40001", "40P01"):
                        stats["retries"] += 1
                    else:
                        stats["errors"].append(f"{e.pgcode}: {e}")
        conn.close()

    def reader(explicit):
        conn = ours.connect(autocommit=not explicit)
        cur = conn.cursor()
        while running():
            try:
                got = _all(cur, "SELECT sum(bal), count(*) FROM acct")[0]
                if explicit:
                    conn.commit()
            except psycopg2.Error as e:
                if explicit:
                    conn.rollback()
                if e.pgcode not in ("40001", "40P01"):
                    with lock:
                        stats["errors"].append(f"reader {e.pgcode}: {e}")
                continue
            with lock:
                stats["reads"] += 1
                if got != (total, 30):
                    stats["bad"].append(got)
        conn.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(12)]
    threads += [threading.Thread(target=reader, args=(i % 2 == 1,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60 * ctx.scale)
    pz.check(not any(th.is_alive() for th in threads), "every client finished")
    ctx.note(f"{stats['commits']} transfers, {stats['retries']} retries, {stats['reads']} sums")
    pz.eq(stats["bad"], [], "no reader saw a partial transfer")
    pz.eq(stats["errors"], [], "no error other than a retryable one")
    pz.check(stats["commits"] > WORK_MIN and stats["reads"] > WORK_MIN,
             f"the clients did work: {stats['commits']} commits, {stats['reads']} reads")


def test_sql_ranges_atomic_transfers_and_restart(ctx):
    ours = PzSql(ctx).start()
    cur = ours.connect().cursor()
    cur.execute("CREATE TABLE acct (id int PRIMARY KEY, bal int)")
    cur.execute("INSERT INTO acct SELECT i, 1000 FROM generate_series(0, 29) i")
    cur.execute("ALTER TABLE acct SPLIT AT VALUES (10), (20)")
    pz.eq(_starts(cur, "TABLE acct")[1:], ["…/1/10", "…/1/20"], "three ranges of accounts")
    _writers_and_readers(ctx, ours, 30000, 4 * ctx.scale)
    rows = _all(cur, "SELECT * FROM acct ORDER BY id")
    ranges = _all(cur, "SHOW RANGES")
    pz.eq(sum(r[1] for r in rows), 30000, "the total after the transfers")
    ours.node.stop()
    ours.start()
    cur = ours.connect().cursor()
    pz.eq(_all(cur, "SHOW RANGES"), ranges, "the ranges survive a restart")
    pz.eq(_all(cur, "SELECT * FROM acct ORDER BY id"), rows, "and the rows")


def test_sql_ranges_auto_split(ctx):
    ours = PzSql(ctx)
    ours.node.args.append("--range-max-bytes=8192")
    ours.start()
    cur = ours.connect().cursor()
    cur.execute("CREATE TABLE big (id int PRIMARY KEY, k int, pad text)")
    cur.execute("CREATE INDEX big_k ON big (k)")
    want = []
    for lo in range(0, 2000, 500):
        cur.execute(f"INSERT INTO big SELECT i, i % 7, repeat('x', 100) || i "
                    f"FROM generate_series({lo}, {lo + 499}) i")
        want += [(i, i % 7, "x" * 100 + str(i)) for i in range(lo, lo + 500)]
    n = len(_all(cur, "SHOW RANGES FROM TABLE big"))
    ctx.note(f"{n} ranges hold the table after ~250 KB of inserts with --range-max-bytes=8192")
    pz.check(n >= 4, f"the big inserts split the table by themselves: {n} ranges")
    pz.eq(_all(cur, "SELECT * FROM big ORDER BY id"), want, "every row after the automatic splits")
    pz.eq(_all(cur, "SELECT * FROM big ORDER BY id DESC LIMIT 30"), want[::-1][:30], "reverse")
    pz.eq(_all(cur, "SELECT count(*), sum(id) FROM big WHERE k = 3"),
          [(len([w for w in want if w[1] == 3]), sum(w[0] for w in want if w[1] == 3))],
          "an index scan over the split index")
    cur.execute("ALTER TABLE big SPLIT AT VALUES (1234)")
    cur.execute("UPDATE big SET k = k + 1")
    pz.eq(_all(cur, "SELECT sum(k) FROM big"), [(sum(w[1] + 1 for w in want),)],
          "an UPDATE of every row over the ranges")
    cur.execute("DELETE FROM big WHERE id >= 1000")
    pz.eq(_all(cur, "SELECT count(*), max(id) FROM big"), [(1000, 999)], "a DELETE over ranges")
