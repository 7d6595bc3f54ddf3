"""The transaction suites (tests/integration/txn/) against a Phantom Zero single node, short
versions, every case asserted — issue 4's isolation, locking, bank and list-append tests in the
default run. test_txn_pg15.py proves the same suites against PostgreSQL 15.

- anomalies: every Hermitage-style case at READ COMMITTED and SERIALIZABLE passes the
  strictness rule (script.py): where PostgreSQL prevents the anomaly at a level, ours prevents it
  too; at SERIALIZABLE that is every case.
- locks: deadlocks of two and three transactions (exactly one victim, with 40P01), lock_timeout
  (55P03) and statement_timeout (57014) ending a lock wait, FOR UPDATE, savepoints — each case
  holds, except the ones in KNOWN_GAPS, which must still fail (strict: when one starts to pass,
  this test fails until it is moved out of the list); NOT_RUN says which case is left out, and
  why.
- a lock wait outlives every hop's request timeout (10 s): a blocked UPDATE waits as long as the
  holder holds and then applies, as in PostgreSQL; a CancelRequest ends such a wait with 57014
  promptly.
- bank: 16 clients, transfers and full reads at SERIALIZABLE: the total never changes, no
  balance goes negative, every read is a consistent snapshot, and there was contention.
- list-append: a SERIALIZABLE history has no anomaly by elle.py, real-time order included, and
  there were aborts (contention).

How: sql_servers.PzSql nodes (one for the scripted suites, one for the workloads, one for the
long wait); the harness's sessions on worker threads. Ours has no lock-wait probe, so a statement
still running after BLOCK_S counts as blocked (targets.py).

Several ranges: every suite calls target.after_create(cursor, table) right after it creates a
table; PRESPLIT below splits it with `ALTER TABLE <table> SPLIT AT VALUES (2), (5), (10)`, so every
case of this file runs over four ranges (transactions that write two rows write two ranges).
"""

import threading
import time

import psycopg2

import pz
from pz import check
from sql_servers import PzSql
from txn import anomalies, bank, listappend, locks, report, targets



def _presplit(cur, table):
    """Every suite's table over four ranges: the Hermitage rows (ids 1 and 2) land in different
    ranges, and the bank's and list-append's keys spread over all four."""
    cur.execute(f"ALTER TABLE {table} SPLIT AT VALUES (2), (5), (10)")
    cur.fetchall()


# The one place to spread every suite's table over several ranges (see the module comment).
PRESPLIT = _presplit
# A statement still running after this counts as blocked. Statements here answer in
# milliseconds; 1.5 s keeps a loaded box from passing a slow one off as blocked.
BLOCK_S = 1.5
RUN_S = 3.0  # each workload
# Cases that fail for a reason outside the SQL session, coordinator and repl wait paths. They
# run and must still fail. None now (FOR SHARE takes shared locks since the locks branch).
KNOWN_GAPS = set()
# Cases left out, and why. None now (ROLLBACK TO releases the locks it undid since the locks
# branch); a case that cannot finish costs the harness's 20 s drain limit, hence the list.
NOT_RUN = ()
HOP_TIMEOUT_S = 10.0  # PZ_REQUEST_TIMEOUT_MS_DEFAULT: each layer's bound on one request


def _target(ctx):
    t = targets.phantomzero(ctx, ("rc", "ser"), BLOCK_S)
    t.presplit = PRESPLIT
    return t


def _scripted(t, cases):
    results = report.run_scripted(t, cases)
    want = sum(len([lv for lv in c.levels if lv in t.levels]) for c in cases)
    check(len(results) == want, f"{len(results)} case runs, want {want}")
    bad, fixed = [], []
    for c, lv, o, v in results:
        gap = (c.name, lv) in KNOWN_GAPS
        if gap and v.ok:
            fixed.append(f"{c.name}@{lv}")
        elif not gap and not v.ok:
            bad.append(report.case_table(c, lv, o, v, t.name))
    check(not bad, f"{len(bad)} case(s) fail the rule:\n" + "\n".join(bad))
    check(not fixed, f"known gaps now pass, take them out of KNOWN_GAPS: {fixed}")
    return results


@pz.timeout(120)
def test_txn_pz_scripted(ctx):
    t = _target(ctx)
    try:
        results = _scripted(t, anomalies.CASES)
        shown = sorted({f"{c.name}@{lv}" for c, lv, _, v in results if v.got_violation})
        check(not any(s.endswith("@ser") for s in shown), f"anomalies at SERIALIZABLE: {shown}")
        ctx.note(f"anomalies: {len(results)} case runs hold; shown (allowed at rc): "
                 f"{', '.join(shown) or 'none'}")
        results = _scripted(t, [c for c in locks.CASES if c.name not in NOT_RUN])
        ctx.note(f"locks: {len(results)} case runs, all hold but the known gaps "
                 f"{sorted(f'{n}@{lv}' for n, lv in KNOWN_GAPS)}; not run: {NOT_RUN}")
    finally:
        t.close()


def _blocked_update(conn, out):
    t0 = time.monotonic()
    cur = conn.cursor()
    try:
        cur.execute("UPDATE w SET v = 2 WHERE id = 1")
        out["got"] = ("ok", cur.rowcount)
    except psycopg2.Error as e:
        out["got"] = ("error", e.pgcode)
    out["elapsed_s"] = time.monotonic() - t0


def _start_waiter(node):
    c = node.connect()
    out = {}
    th = threading.Thread(target=_blocked_update, args=(c, out), daemon=True)
    th.start()
    return c, out, th


@pz.timeout(60)
def test_txn_pz_long_lock_wait(ctx):
    node = PzSql(ctx).start()
    admin = node.connect().cursor()
    admin.execute("CREATE TABLE w (id int PRIMARY KEY, v int)")
    admin.execute("INSERT INTO w VALUES (1, 0)")
    holder = node.connect().cursor()
    holder.execute("BEGIN")
    holder.execute("UPDATE w SET v = 1 WHERE id = 1")
    # Waits longer than any hop's timeout, then applies on top of the holder's write.
    c, out, th = _start_waiter(node)
    time.sleep(HOP_TIMEOUT_S + 1.5)
    check(th.is_alive(), f"the blocked UPDATE ended while the lock was held: {out}")
    holder.execute("COMMIT")
    th.join(10)
    check(out.get("got") == ("ok", 1), f"the waiting UPDATE answered {out}")
    admin.execute("SELECT v FROM w WHERE id = 1")
    pz.eq(admin.fetchall(), [(2,)], "the waiter's write after the holder's commit")
    c.close()
    # A CancelRequest ends a lock wait with 57014, and the row keeps the holder's value.
    holder.execute("BEGIN")
    holder.execute("UPDATE w SET v = 3 WHERE id = 1")
    c, out, th = _start_waiter(node)
    time.sleep(1.0)
    check(th.is_alive(), f"the UPDATE did not wait for the lock: {out}")
    t0 = time.monotonic()
    c.cancel()
    th.join(10)
    waited = time.monotonic() - t0
    check(out.get("got") == ("error", "57014"), f"the cancelled wait answered {out}")
    check(waited < 2.0, f"the cancel took {waited:.2f}s to end the wait")
    holder.execute("COMMIT")
    admin.execute("SELECT v FROM w WHERE id = 1")
    pz.eq(admin.fetchall(), [(3,)], "after the cancelled wait and the holder's commit")
    c.close()


@pz.timeout(90)
def test_txn_pz_workloads(ctx):
    t = _target(ctx)
    try:
        res = bank.run_bank(t, duration_s=RUN_S, clients=16)
        check(res.ok, res.describe())
        check(res.counts["retries"] > 0, f"no transaction was retried: no contention\n"
                                         f"{res.describe()}")
        ctx.note("bank: " + res.describe().splitlines()[1].strip())
        res = listappend.run_append(t, duration_s=RUN_S, clients=8)
        check(res.ok, res.describe())
        check(res.check.stats.get("fail", 0) > 0, f"no aborts: no contention\n{res.describe()}")
        ctx.note("list-append: " + res.describe().splitlines()[2].strip())
    finally:
        t.close()
