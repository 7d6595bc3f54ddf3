"""The transaction suites, short versions, against a private PostgreSQL 15: this proves the harness
(tests/integration/txn/) and its record of PostgreSQL's behaviour before Phantom Zero has
transactions to point it at (`txn/run.py --target pz` does that; it is not in the default run
because today each statement commits on its own).

- anomalies: every Hermitage-style case at READ COMMITTED, REPEATABLE READ and SERIALIZABLE
  gives exactly the recorded outcome, statement by statement (rows, counts, command tags,
  SQLSTATEs, which statements block), and the final table.
- locks: deadlocks of two and three transactions, lock_timeout, statement_timeout, FOR UPDATE,
  FOR SHARE and savepoints, exactly as recorded, at READ COMMITTED and SERIALIZABLE.
- bank: 16 clients, transfers and full reads at SERIALIZABLE: the total never changes, no
  balance goes negative, every read is a consistent snapshot; and the same workload at READ
  COMMITTED must be caught losing updates and overdrawing an account (the checks can fail).
- list-append: a SERIALIZABLE history has no anomaly by elle.py, real-time order included
  (strict serializability: no stale read); REPEATABLE READ (snapshot isolation) histories show
  G2 and nothing else, READ COMMITTED ones G-single or G2 and nothing else (PostgreSQL prevents
  G0 and G1 there) — the checker finds real anomalies in a real database and classifies them
  as the theory says.

How: sql_servers.Pg15 (initdb into the test folder), one for the scripted suites and one for the
workloads (a cluster costs seconds to create); psycopg2 sessions on worker threads;
pg_blocking_pids() tells which statements wait on a lock.
"""

import contextlib

import pz
from pz import check
from txn import anomalies, bank, listappend, locks, report, targets

CONTROL_TRIES = 3  # short runs of a weaker level until its anomalies show up
CONTROL_S = 1.5
RUN_S = 2.5  # each SERIALIZABLE workload


@contextlib.contextmanager
def _postgres(ctx):
    t = targets.postgres(ctx)
    try:
        yield t
    finally:
        t.close()


def _scripted(t, cases):
    results = report.run_scripted(t, cases)
    bad = [report.case_table(c, lv, o, v, t.name) for c, lv, o, v in results if not v.ok]
    check(not bad, f"{len(bad)} case(s) differ from PostgreSQL's record:\n" + "\n".join(bad))
    want = sum(len([lv for lv in c.levels if lv in t.levels]) for c in cases)
    check(len(results) == want, f"{len(results)} case runs, want {want}")
    return results


@pz.timeout(90)
def test_txn_pg15_scripted(ctx):
    with _postgres(ctx) as t:
        results = _scripted(t, anomalies.CASES)
        allowed = sorted({f"{c.name}@{lv}" for c, lv, _, v in results if v.got_violation})
        ctx.note(f"anomalies: {len(results)} case runs exact; PostgreSQL shows "
                 f"{', '.join(allowed)}")
        results = _scripted(t, locks.CASES)
        ctx.note(f"locks: {len(results)} case runs exact")


def _bank(ctx, t):
    res = bank.run_bank(t, duration_s=RUN_S, clients=16)
    check(res.ok, res.describe())
    check(res.counts["retries"] > 0, f"no transaction was retried: no contention\n"
                                     f"{res.describe()}")
    ctx.note("bank: " + res.describe().splitlines()[1].strip())
    for _ in range(CONTROL_TRIES):
        weak = bank.run_bank(t, duration_s=CONTROL_S, clients=16, level="rc")
        if weak.counts["negative_reads"] and any("total" in p for p in weak.problems):
            break
    else:
        raise pz.TestFailure(f"READ COMMITTED showed no lost update or no negative balance "
                             f"in {CONTROL_TRIES} runs (checks blind?)\n{weak.describe()}")
    ctx.note(f"bank READ COMMITTED control: {weak.counts['bad_reads']} inconsistent reads, "
             f"{weak.counts['negative_reads']} with a negative balance")


def _control(t, level, may):
    """Runs short histories at `level` until an anomaly shows; all found must be in `may`."""
    for _ in range(CONTROL_TRIES):
        res = listappend.run_append(t, duration_s=CONTROL_S, clients=8, level=level)
        found = res.check.found()
        check(set(found) <= set(may), f"{level}: PostgreSQL cannot show {found}\n"
                                      f"{res.describe()}")
        if found:
            return found
    raise pz.TestFailure(f"{level}: no anomaly found in {CONTROL_TRIES} runs (checker blind?)")


def _list_append(ctx, t):
    res = listappend.run_append(t, duration_s=RUN_S, clients=8)
    check(res.ok, res.describe())
    check(res.check.stats.get("fail", 0) > 0, f"no aborts: no contention\n{res.describe()}")
    ctx.note("list-append: " + res.describe().splitlines()[2].strip())
    rr = _control(t, "rr", ("G2", "G2-realtime"))
    rc = _control(t, "rc", ("G-single", "G2", "G-single-realtime", "G2-realtime"))
    ctx.note(f"list-append controls: REPEATABLE READ showed {rr}, READ COMMITTED {rc}")


@pz.timeout(90)
def test_txn_pg15_workloads(ctx):
    with _postgres(ctx) as t:
        _bank(ctx, t)
        _list_append(ctx, t)
