"""UPDATE, DELETE and INSERT ... ON CONFLICT DO UPDATE read the rows they write with locks
(modules/sql/sql_bind_dml.c s_lock_target, sql_scan.c, sql_dml.c s_row_at; storage's
PZ_EWRITE_TOO_OLD; the coordinator's refresh-and-resend in modules/txn/txn_coord.c).

What it proves: a statement that waits for another transaction's lock on its row then reads the
row as that transaction committed it and writes on top — the transaction commits without a
40001 and neither increment is lost — at SERIALIZABLE (where, before, the statement read the
row at its snapshot, wrote above the holder's commit, and the commit-time refresh failed with
40001 whenever the holder's write lay past the reader's uncertainty window) and at READ
COMMITTED. It also proves what must still fail: at SERIALIZABLE a transaction that had itself
read the row before the other transaction changed it gets 40001 (its earlier read is stale, the
refresh fails), while at READ COMMITTED the same transaction goes on (each statement has its own
snapshot, and the UPDATE reads the newest row, as PostgreSQL's EvalPlanQual does).

How: two psycopg2 sessions on one node. T2 begins and reads a row (another one, or the row
itself), then waits past the uncertainty window (500 ms), so that T1's write is too new for
T2's snapshot by any measure; T1 updates the row and holds it; T2's statement runs on a thread
and must wait; T1 commits; T2's statement and COMMIT finish; the final row is checked."""

import threading
import time

import pz
import sql_pgproto as w
from sql_servers import PzSql, sqlstate

# The node's clock max offset is 500 ms: a write later than this after T2's read is past
# T2's uncertainty window.
PAST_WINDOW_S = 0.7


def _contend(ctx, ours, k, iso, read_row, stmt):
    """T1 updates row k and holds it while T2 (at iso, having read row read_row) runs stmt on
    it; returns (T2's statement code, T2's COMMIT code, row k's value after both)."""
    t1, t2 = ours.connect(), ours.connect()
    c1, c2 = t1.cursor(), t2.cursor()
    c2.execute(f"BEGIN ISOLATION LEVEL {iso}")
    c2.execute("SELECT v FROM t WHERE k = %s", (read_row,))
    time.sleep(PAST_WINDOW_S)
    c1.execute("BEGIN")
    c1.execute("UPDATE t SET v = v + 1 WHERE k = %s", (k,))
    out = {}

    def run():
        out["stmt"] = sqlstate(c2, stmt.format(k=k, g=k + 1000))
        out["commit"] = sqlstate(c2, "COMMIT" if out["stmt"] is None else "ROLLBACK")

    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.5)
    waited = "stmt" not in out
    c1.execute("COMMIT")
    th.join(20 * ctx.scale)
    pz.check("commit" in out, f"T2 finished after T1 committed ({iso}, {stmt})")
    pz.check(waited, f"T2's statement waited for T1's lock ({iso}, {stmt})")
    c1.execute("SELECT v FROM t WHERE k = %s", (k,))
    rows = c1.fetchall()
    t1.close()
    t2.close()
    return out["stmt"], out["commit"], rows[0][0] if rows else None


def test_sql_txn_locking_writes(ctx):
    ours = PzSql(ctx).start()
    cur = ours.connect().cursor()
    cur.execute("CREATE TABLE t (k int PRIMARY KEY, g int UNIQUE, v int)")
    cur.execute("INSERT INTO t SELECT i, i + 1000, 0 FROM generate_series(1, 100) i")
    upd = "UPDATE t SET v = v + 1 WHERE k = {k}"
    cases = [
        # (row, isolation, row T2 reads first, statement, want statement/commit code, want v)
        (10, "SERIALIZABLE", 1, upd, None, 2),
        (11, "READ COMMITTED", 1, upd, None, 2),
        (12, "SERIALIZABLE", 1, "DELETE FROM t WHERE k = {k}", None, None),
        (13, "SERIALIZABLE", 1,
         "INSERT INTO t VALUES ({k}, {g}, 100) ON CONFLICT (k) DO UPDATE SET v = t.v + 1", None,
         2),
        (14, "SERIALIZABLE", 14, upd, "40001", 1),
        (15, "READ COMMITTED", 15, upd, None, 2),
        # Through a secondary index: the rows it leads to are locked.
        (16, "SERIALIZABLE", 1, "UPDATE t SET v = v + 1 WHERE g = {g}", None, 2),
    ]
    for k, iso, first, stmt, want_code, want_v in cases:
        code, commit, v = _contend(ctx, ours, k, iso, first, stmt)
        what = f"{iso}, read row {first} first, {stmt.split()[0]} row {k}"
        if want_code is None:
            pz.eq((code, commit), (None, None), f"{what}: T2 commits without an error")
        else:
            pz.eq(code or commit, want_code, f"{what}: T2's error")
        pz.eq(v, want_v, f"{what}: the row after both")


def test_sql_txn_locking_one_holder(ctx):
    """Sessions that each lock one row (FOR UPDATE, then UPDATE it to what they read plus one)
    never fail: each waits for the lock, and once it holds it nobody else can change the row, so
    its refresh has nothing to find. A bug let two locking reads of a row run at once (repl
    latched them as reads, storage evaluated both against the same snapshot, the second lock
    overwrote the first): both believed they held the row and the loser got 40001 at COMMIT
    (or, had the refresh not caught it, lost the other's increment)."""
    ours = PzSql(ctx).start()
    cur = ours.connect().cursor()
    cur.execute("CREATE TABLE c (k int PRIMARY KEY, v int)")
    cur.execute("INSERT INTO c VALUES (1, 0)")
    workers, rounds = 8, 25
    errors = []

    def worker():
        conn = ours.connect()
        wc = conn.cursor()
        for _ in range(rounds):
            wc.execute("BEGIN")
            for sql in ("SELECT v FROM c WHERE k = 1 FOR UPDATE", "UPDATE c SET v = {v} WHERE k = 1",
                        "COMMIT"):
                code = sqlstate(wc, sql.format(v=v + 1) if "{v}" in sql else sql)
                if code is not None:
                    errors.append(code)
                    wc.execute("ROLLBACK")
                    break
                if sql.startswith("SELECT"):
                    v = wc.fetchall()[0][0]
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120 * ctx.scale)
    pz.eq(errors, [], "errors of transactions that held the row's lock")
    cur.execute("SELECT v FROM c WHERE k = 1")
    pz.eq(cur.fetchall(), [(workers * rounds,)], "every increment is there")


TRIALS_MAX = 16  # each deadlock picks its victim by random priority: B is one in 1 - 2^-16


def _two_ranges(ctx):
    """A node with table d: rows (1, 0) and (2, 0) in two ranges; (node, an autocommit cursor)."""
    ours = PzSql(ctx).start()
    cur = ours.connect().cursor()
    cur.execute("CREATE TABLE d (k int PRIMARY KEY, v int)")
    cur.execute("INSERT INTO d VALUES (1, 0), (2, 0)")
    cur.execute("ALTER TABLE d SPLIT AT VALUES (2)")
    return ours, cur


def test_sql_txn_first_statement_replayed(ctx):
    """The first statement of a block that fails with 40001/40P01 before any of its rows reached
    the client runs again in a restarted transaction, and the client never sees the failure
    (CockroachDB's automatic retry; sql_txn.c pz_sql_txn_replay_first).

    How: rows 1 and 2 in two ranges. A locks row 2; B's first statement updates rows 1 and 2 —
    it locks row 1 and waits for A on row 2; A then updates row 1 and waits for B: a deadlock,
    and the transaction with the lower (random) priority is aborted.
    When A is the victim its second statement fails (40P01: its first one's result had reached
    the client). When B is, B's statement must not fail: B restarts, waits for A, and both
    commit. Trials run until B was the victim once; the rows must show exactly the committed
    increments."""
    ours, cur = _two_ranges(ctx)
    want = {1: 0, 2: 0}
    b_replayed, a_victim = 0, 0
    for trial in range(TRIALS_MAX):
        ta, tb = ours.connect(), ours.connect()
        ca, cb = ta.cursor(), tb.cursor()
        ca.execute("BEGIN")
        ca.execute("UPDATE d SET v = v + 1 WHERE k = 2")
        cb.execute("BEGIN")
        got = {}

        def b_first():
            got["b"] = sqlstate(cb, "UPDATE d SET v = v + 10 WHERE k IN (1, 2)")

        th = threading.Thread(target=b_first)
        th.start()
        time.sleep(0.3 * ctx.scale)  # B holds row 1 and waits for row 2
        a_code = sqlstate(ca, "UPDATE d SET v = v + 1 WHERE k = 1")
        if a_code is None:
            pz.eq(sqlstate(ca, "COMMIT"), None, f"trial {trial}: A commits after B's restart")
            want[1] += 1
            want[2] += 1
        else:
            pz.eq(a_code, "40P01", f"trial {trial}: A's second statement ends the deadlock")
            ca.execute("ROLLBACK")
            a_victim += 1
        th.join(30 * ctx.scale)
        pz.check(not th.is_alive(), f"trial {trial}: B's statement finished")
        pz.eq(got.get("b"), None, f"trial {trial}: B's first statement never fails")
        pz.eq(sqlstate(cb, "COMMIT"), None, f"trial {trial}: B commits")
        want[1] += 10
        want[2] += 10
        b_replayed += a_code is None
        ta.close()
        tb.close()
        cur.execute("SELECT k, v FROM d ORDER BY k")
        pz.eq(dict(cur.fetchall()), want, f"trial {trial}: exactly the committed increments")
        if b_replayed > 0 and trial >= 3:
            break
    ctx.note(f"B's first statement replayed after {b_replayed} deadlocks, A the victim {a_victim}x")
    pz.check(b_replayed > 0, f"B was never the deadlock victim in {TRIALS_MAX} trials")


BIG = 70000  # bytes: one row past the session's output buffer (PZ_SQL_OUT_BYTES_MAX, 64 KiB)
BLOCK = ("SELECT v FROM d WHERE k = 1 FOR UPDATE; UPDATE d SET v = v + 10 WHERE k = 2; "
         "UPDATE d SET v = v + 10 WHERE k = 1; COMMIT")
BIG_SELECT = f"SELECT length(repeat('x', {BIG})) AS n, repeat('x', {BIG}) AS x; "
QUERIES = ("BEGIN; " + BLOCK, BLOCK, "BEGIN; " + BIG_SELECT + BLOCK)


def _extended_block():
    """BEGIN and BLOCK's statements as one extended-protocol batch: Parse, Bind, (Describe for
    the query,) Execute each, unnamed, then one Sync (as JDBC sends a batch)."""
    msgs = []
    for sql in ["BEGIN"] + [q.strip() for q in BLOCK.split(";")]:
        msgs += [w.parse("", sql), w.bind("", "")]
        msgs += [w.describe("P", "")] if sql.startswith("SELECT") else []
        msgs += [w.execute("")]
    return msgs + [w.sync()]


def _brief(reply):
    """Messages with row values cut to their first 8 bytes and errors to their SQLSTATE."""
    return [m[:1] + (tuple(v[:8] for v in m[1]),) if m[0] == "D" else m[:3] if m[0] == "E"
            else m for m in reply]


def _block_reply(form, v1, replayed):
    """What B's client must read: one result per statement of one run, none of an earlier one;
    in form 2, when B was the victim, the first run's results up to the failure."""
    if form == 3:
        pb = [("1",), ("2",)]
        return (pb + [("C", "BEGIN")] + pb + [("T", (("v", 23, 0),)),
                ("D", (str(v1).encode(),)), ("C", "SELECT 1")] + pb + [("C", "UPDATE 1")] + pb
                + [("C", "UPDATE 1")] + pb + [("C", "COMMIT"), ("Z", "I")])
    head = [] if form == 1 else [("C", "BEGIN")]
    if form == 2:
        head += [("T", (("n", 23, 0), ("x", 25, 0))), ("D", (str(BIG).encode(), b"x" * 8)),
                 ("C", "SELECT 1")]
    lock = [("T", (("v", 23, 0),)), ("D", (str(v1).encode(),)), ("C", "SELECT 1")]
    if form == 2 and replayed:
        return head + lock + [("E", "ERROR", "40P01"), ("Z", "E")]
    return head + lock + [("C", "UPDATE 1"), ("C", "UPDATE 1"), ("C", "COMMIT"), ("Z", "I")]


def test_sql_txn_block_replayed(ctx):
    """A transaction block sent whole in one simple query (or begun by a lone BEGIN and then
    sent whole) whose third statement fails with 40P01 runs again from its start, and the
    client reads only the results of the run that committed (sql_conn.c s_replay: the results
    were still in the session's output buffer).

    How: rows 1 and 2 in two ranges. A locks row 2. B's block locks row 1 (its SELECT returns
    row 1), then waits for A on row 2; A updates row 1 and waits for B: a deadlock. When B is
    the victim, B's block must start over: its SELECT now waits for A's row 1, A commits, and
    the one row 1 that B's client reads is A's committed value — the first run's row was taken
    back. When A is the victim, B's block commits on its first run. A third form first sends a
    row larger than the output buffer (so it has reached the client): B, as the victim, must then
    fail with 40P01 rather than run again and send the row twice. A fourth form sends the block
    as one extended-protocol batch (Parse/Bind/Execute each, one Sync): its messages are sent
    again (session_sql.c s_batch_replay). Trials rotate the forms until B was the victim in
    each."""
    ours, cur = _two_ranges(ctx)
    want = {1: 0, 2: 0}
    replayed = [0, 0, 0, 0]
    for trial in range(4 * TRIALS_MAX):
        form = trial % 4
        ta = ours.connect()
        ca = ta.cursor()
        ca.execute("BEGIN")
        ca.execute("UPDATE d SET v = v + 1 WHERE k = 2")
        raw = w.Conn(ours.port, PzSql.USER, PzSql.DBNAME, timeout_s=30 * ctx.scale)
        if form == 1:
            raw.send(w.query("BEGIN"))
            pz.eq(raw.read_until_ready(), [("C", "BEGIN"), ("Z", "T")], "the lone BEGIN")
        raw.send(*(_extended_block() if form == 3 else [w.query(QUERIES[form])]))
        got = {}
        th = threading.Thread(target=lambda: got.update(b=raw.read_until_ready()))
        th.start()
        time.sleep(0.3 * ctx.scale)  # B holds row 1 and waits for row 2
        a_code = sqlstate(ca, "UPDATE d SET v = v + 1 WHERE k = 1")
        b_victim = a_code is None
        if b_victim:
            pz.eq(sqlstate(ca, "COMMIT"), None, f"trial {trial}: A commits")
            want[1] += 1
            want[2] += 1
        else:
            pz.eq(a_code, "40P01", f"trial {trial}: A's second statement ends the deadlock")
            ca.execute("ROLLBACK")
        th.join(30 * ctx.scale)
        pz.check(not th.is_alive(), f"trial {trial}: B's block finished")
        b_sees = want[1] - (1 if b_victim and form == 2 else 0)
        pz.eq(_brief(got.get("b", [])), _block_reply(form, b_sees, b_victim),
              f"trial {trial} (form {form}): what B's client reads")
        if not (form == 2 and b_victim):
            want[1] += 10
            want[2] += 10
        replayed[form] += b_victim
        raw.close()
        ta.close()
        cur.execute("SELECT k, v FROM d ORDER BY k")
        pz.eq(dict(cur.fetchall()), want, f"trial {trial}: exactly the committed increments")
        if min(replayed) > 0 and trial >= 7:
            break
    ctx.note(f"B the deadlock victim: replayed {replayed[0]}x sent whole, {replayed[1]}x after "
             f"a lone BEGIN, {replayed[3]}x as an extended batch; failed {replayed[2]}x past "
             f"the output buffer")
    pz.check(min(replayed) > 0, f"B was not the victim in each form: {replayed}")
