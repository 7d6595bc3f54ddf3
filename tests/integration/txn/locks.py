"""Locking and savepoint cases: deadlocks of two and three transactions (one victim with 40P01,
the others commit), lock_timeout (55P03) and statement_timeout (57014) on a lock wait,
SELECT ... FOR UPDATE and FOR SHARE against writers, and SAVEPOINT / ROLLBACK TO / RELEASE.

Written by hand as data for script.py, like anomalies.py. The expected outcomes are
PostgreSQL 15's (proven by test_txn_pg15.py). Deadlock, timeout and locking cases carry a
requirement check — what any target must do, whoever it picks as the victim — and the savepoint
cases are "exact": their results are semantics, the same on every target.

Run at READ COMMITTED and SERIALIZABLE: locking does not depend on the level, and the two are
the levels the transactions issue asks Phantom Zero for.
"""

from txn.anomalies import PG_VICTIM_T1, write_cycle
from txn.script import COMMITTED, ROLLED_BACK, Case, Drain, Q, W, rows
from txn.session import BLOCKED, Err, Ok

E40P01 = Err("40P01")
ONE = Ok(count=1)
LEVELS = ("rc", "ser")
LOCK_WAIT_MS = 200  # the lock_timeout / statement_timeout the timeout cases set
THREE = ["CREATE TABLE htest (id int PRIMARY KEY, value int)",
         "INSERT INTO htest VALUES (1, 10), (2, 20), (3, 30)"]


def upd(sess, i, v, expect=ONE, label=None):
    return Q(sess, f"UPDATE htest SET value = {v} WHERE id = {i}", expect, label)


def _deadlock(writes, initial):
    """One victim (40P01, then ROLLBACK); every other session commits, or fails with 40001 (a
    snapshot level may refuse to overwrite a survivor's committed write once the cycle is
    broken), and at least one commits; no row holds a value of the victim's, and each row holds
    a committed survivor's value or, when none wrote it, its initial one."""

    def check(o):
        names = sorted(writes)
        victims = [n for n in names if o.code(f"{n}.stmt") == "40P01"]
        if len(victims) != 1:
            return f"want exactly one 40P01 victim, got {victims or 'none'}: " + ", ".join(
                f"{n} {o.out(n + '.stmt')!r}" for n in names)
        alive = [n for n in names if n != victims[0]]
        done = [n for n in alive if o.did_commit(n)]
        failed = [n for n in alive if n not in done and o.code(f"{n}.stmt") != "40001"]
        if failed or not done:
            return f"survivors {alive}: committed {done}, ended otherwise {failed}"
        for row, value in dict(o.final_rows()).items():
            wrote = [writes[n][row] for n in done if row in writes[n]]
            if value not in (wrote or [initial[row]]):
                return f"final row {row} = {value}, want one of {wrote or [initial[row]]}"
        return None

    return check


def _timed_out(code):
    """The waiting statement fails with `code` after the timeout, not before, not much after."""

    def check(o):
        w = o.out("w")
        if o.code("w") != code:
            return f"the waiting UPDATE answered {w!r}, want error {code}"
        lo, hi = LOCK_WAIT_MS / 1000 * 0.75, 5.0
        if w.elapsed_s is not None and not lo <= w.elapsed_s <= hi:
            return f"error {code} after {w.elapsed_s:.2f}s, want {lo:.2f}..{hi:.1f}s"
        if o.final_rows() != [(1, 11), (2, 20)] or not o.did_commit("T1"):
            return f"the lock holder's write is not the final state: {o.final_rows()}"
        return None

    return check


def _writer_waits(reader_label, waits):
    """A locking read blocks (or fails) writers of its rows until the lock holder ends, and
    does not block plain reads."""

    def check(o):
        if o.rows(reader_label) is None:
            return f"the locking read answered {o.out(reader_label)!r}"
        for lb in waits:
            out = o.out(lb)
            if out is not BLOCKED and not isinstance(out, Err):
                return f"the writer ({lb}) went ahead while the row was locked: {out!r}"
        plain = o.out("plain")
        if plain is not None and o.rows("plain") != [(1, 10)]:
            return f"a plain read of the locked row answered {plain!r}"
        return None

    return check


def _timeout_case(setting, code):
    return Case(setting, f"{setting} = {LOCK_WAIT_MS}ms ends a lock wait with {code}", [
        upd("T1", 1, 11),
        upd("T2", 1, 12, BLOCKED),
        W("T2", Err(code), "w"),
        Q("T1", "COMMIT", COMMITTED),
        Q("T2", "ROLLBACK", ROLLED_BACK),
    ], rows((1, 11), (2, 20)), _timed_out(code), "requirement",
        session_setup={"T2": [f"SET {setting} = {LOCK_WAIT_MS}"]}, levels=LEVELS)


def _savepoint_release(name, what, take):
    """T1 takes a lock on row 1 after a savepoint (step `take`), T2's UPDATE of the row waits,
    and T1's ROLLBACK TO lets it through before T1 ends. READ COMMITTED only (see above)."""
    return Case(name, what, [
        Q("T1", "SAVEPOINT a", Ok(status="SAVEPOINT")),
        take,
        upd("T2", 1, 12, BLOCKED),
        Q("T1", "ROLLBACK TO SAVEPOINT a", Ok(status="ROLLBACK")),
        W("T2", ONE),
        Q("T1", "COMMIT", COMMITTED),
        Q("T2", "COMMIT", COMMITTED),
    ], rows((1, 12), (2, 20)), kind="exact", levels=("rc",))


CASES = [
    Case("deadlock2", "deadlock of two transactions", write_cycle(),
        rows((1, 12), (2, 22)),
        _deadlock({"T1": {1: 11, 2: 21}, "T2": {2: 22, 1: 12}}, {1: 10, 2: 20}),
        "requirement", levels=LEVELS, pg_setup=PG_VICTIM_T1),
    # T3 holds row 3 with FOR UPDATE, not an UPDATE: once PostgreSQL picks T1 (the first to
    # wait) as the victim, T3 commits and T2 may then write row 3 at SERIALIZABLE too (a row
    # only locked by a committed transaction is no write-write conflict), so both survivors
    # commit at both levels, as the test asks.
    Case("deadlock3", "deadlock of three transactions", [
        upd("T1", 1, 11),
        upd("T2", 2, 22),
        Q("T3", "SELECT * FROM htest WHERE id = 3 FOR UPDATE", rows((3, 30))),
        upd("T1", 2, 21, BLOCKED),
        upd("T2", 3, 23, BLOCKED),
        upd("T3", 1, 13, BLOCKED),
        Drain(("T1", "T2", "T3"), {"T1": (E40P01, ROLLED_BACK), "T2": (ONE, COMMITTED),
                                   "T3": (ONE, COMMITTED)}),
    ], rows((1, 13), (2, 22), (3, 23)),
        _deadlock({"T1": {1: 11, 2: 21}, "T2": {2: 22, 3: 23}, "T3": {1: 13}},
                  {1: 10, 2: 20, 3: 30}),
        "requirement", sessions=("T1", "T2", "T3"), setup=THREE, levels=LEVELS,
        pg_setup=PG_VICTIM_T1),
    _timeout_case("lock_timeout", "55P03"),
    _timeout_case("statement_timeout", "57014"),
    Case("for_update", "SELECT ... FOR UPDATE blocks a writer of the row, not a reader", [
        Q("T1", "SELECT * FROM htest WHERE id = 1 FOR UPDATE", rows((1, 10)), "lock"),
        Q("T2", "SELECT * FROM htest WHERE id = 1", rows((1, 10)), "plain"),
        upd("T2", 2, 22),
        upd("T2", 1, 12, BLOCKED, "blocked"),
        Q("T1", "COMMIT", COMMITTED),
        W("T2", ONE),
        Q("T2", "COMMIT", COMMITTED),
    ], rows((1, 12), (2, 22)), _writer_waits("lock", ("blocked",)), "requirement",
        levels=LEVELS),
    Case("for_share", "FOR SHARE by two sessions: a writer waits for both", [
        Q("T1", "SELECT * FROM htest WHERE id = 1 FOR SHARE", rows((1, 10)), "lock"),
        Q("T2", "SELECT * FROM htest WHERE id = 1 FOR SHARE", rows((1, 10)), "lock2"),
        upd("T3", 1, 13, BLOCKED, "blocked"),
        Q("T1", "COMMIT", COMMITTED),
        W("T3", BLOCKED, "still", still=True),
        Q("T2", "COMMIT", COMMITTED),
        W("T3", ONE),
        Q("T3", "COMMIT", COMMITTED),
    ], rows((1, 13), (2, 20)), _writer_waits("lock2", ("blocked", "still")), "requirement",
        sessions=("T1", "T2", "T3"), levels=LEVELS),
    # Both hold the row shared and both want to write it: each waits for the other's shared
    # lock, a deadlock through shared holders that must be found like any other.
    Case("for_share_upgrade", "two FOR SHARE holders that both UPDATE the row deadlock", [
        Q("T1", "SELECT * FROM htest WHERE id = 1 FOR SHARE", rows((1, 10))),
        Q("T2", "SELECT * FROM htest WHERE id = 1 FOR SHARE", rows((1, 10))),
        upd("T1", 1, 11, BLOCKED),
        upd("T2", 1, 12, BLOCKED),
        Drain(("T1", "T2"), {"T1": (E40P01, ROLLED_BACK), "T2": (ONE, COMMITTED)}),
    ], rows((1, 12), (2, 20)), _deadlock({"T1": {1: 11}, "T2": {1: 12}}, {1: 10, 2: 20}),
        "requirement", levels=LEVELS, pg_setup=PG_VICTIM_T1),
    Case("savepoint_rollback_to", "ROLLBACK TO undoes what followed; RELEASE keeps it", [
        Q("T1", "INSERT INTO htest VALUES (3, 30)", ONE),
        Q("T1", "SAVEPOINT a", Ok(status="SAVEPOINT")),
        Q("T1", "INSERT INTO htest VALUES (4, 40)", ONE),
        upd("T1", 1, 11),
        Q("T1", "SELECT * FROM htest", rows((1, 11), (2, 20), (3, 30), (4, 40))),
        Q("T1", "ROLLBACK TO SAVEPOINT a", Ok(status="ROLLBACK")),
        Q("T1", "SELECT * FROM htest", rows((1, 10), (2, 20), (3, 30))),
        Q("T1", "INSERT INTO htest VALUES (5, 50)", ONE),
        Q("T1", "RELEASE SAVEPOINT a", Ok(status="RELEASE")),
        Q("T1", "COMMIT", COMMITTED),
    ], rows((1, 10), (2, 20), (3, 30), (5, 50)), sessions=("T1",), kind="exact", levels=LEVELS),
    Case("savepoint_error", "ROLLBACK TO recovers a transaction from an error", [
        Q("T1", "INSERT INTO htest VALUES (3, 30)", ONE),
        Q("T1", "SAVEPOINT a", Ok(status="SAVEPOINT")),
        Q("T1", "INSERT INTO htest VALUES (1, 99)", Err("23505")),
        Q("T1", "SELECT * FROM htest", Err("25P02")),
        Q("T1", "ROLLBACK TO SAVEPOINT a", Ok(status="ROLLBACK")),
        Q("T1", "SELECT * FROM htest", rows((1, 10), (2, 20), (3, 30))),
        Q("T1", "COMMIT", COMMITTED),
    ], rows((1, 10), (2, 20), (3, 30)), sessions=("T1",), kind="exact", levels=LEVELS),
    Case("savepoint_nested", "nested savepoints: ROLLBACK TO an outer one ends the inner", [
        Q("T1", "SAVEPOINT a", Ok(status="SAVEPOINT")),
        upd("T1", 1, 11),
        Q("T1", "SAVEPOINT b", Ok(status="SAVEPOINT")),
        upd("T1", 1, 12),
        Q("T1", "ROLLBACK TO SAVEPOINT b", Ok(status="ROLLBACK")),
        Q("T1", "SELECT * FROM htest WHERE id = 1", rows((1, 11))),
        Q("T1", "ROLLBACK TO SAVEPOINT a", Ok(status="ROLLBACK")),
        Q("T1", "SELECT * FROM htest WHERE id = 1", rows((1, 10))),
        Q("T1", "ROLLBACK TO SAVEPOINT b", Err("3B001")),
        Q("T1", "ROLLBACK TO SAVEPOINT a", Ok(status="ROLLBACK")),
        upd("T1", 2, 21),
        Q("T1", "RELEASE SAVEPOINT a", Ok(status="RELEASE")),
        Q("T1", "RELEASE SAVEPOINT a", Err("3B001")),
        Q("T1", "COMMIT", ROLLED_BACK),
    ], rows((1, 10), (2, 20)), sessions=("T1",), kind="exact", levels=LEVELS),
    # READ COMMITTED only: at SERIALIZABLE PostgreSQL's SSI keeps the rolled-back
    # subtransaction's rw-conflict and fails T2's COMMIT with 40001 (a false positive no other
    # target should have to copy).
    _savepoint_release("savepoint_locks",
                       "ROLLBACK TO releases the row locks taken after the savepoint",
                       upd("T1", 1, 11)),
    _savepoint_release("savepoint_share_locks",
                       "ROLLBACK TO releases a FOR SHARE lock taken after it",
                       Q("T1", "SELECT * FROM htest WHERE id = 1 FOR SHARE", rows((1, 10)))),
    # The released row changes hands, and the first holder then waits for the new one: an
    # ordinary wait, not a deadlock (the second session's wait on the first is over).
    Case("savepoint_relock", "after ROLLBACK TO released a row, its old holder waits for it", [
        Q("T1", "SAVEPOINT a", Ok(status="SAVEPOINT")),
        upd("T1", 1, 11),
        upd("T2", 1, 12, BLOCKED),
        Q("T1", "ROLLBACK TO SAVEPOINT a", Ok(status="ROLLBACK")),
        W("T2", ONE),
        upd("T1", 1, 13, BLOCKED),
        Q("T2", "COMMIT", COMMITTED),
        W("T1", ONE),
        Q("T1", "COMMIT", COMMITTED),
    ], rows((1, 13), (2, 20)), kind="exact", levels=("rc",)),
    # ... and keeps what was taken before it: the writer still waits for the holder's end.
    Case("savepoint_keeps_locks", "ROLLBACK TO keeps the locks taken before the savepoint", [
        Q("T1", "SELECT * FROM htest WHERE id = 1 FOR SHARE", rows((1, 10))),
        Q("T1", "SAVEPOINT a", Ok(status="SAVEPOINT")),
        upd("T1", 2, 21),
        Q("T1", "ROLLBACK TO SAVEPOINT a", Ok(status="ROLLBACK")),
        upd("T2", 1, 12, BLOCKED),
        Q("T1", "COMMIT", COMMITTED),
        W("T2", ONE),
        Q("T2", "COMMIT", COMMITTED),
    ], rows((1, 12), (2, 20)), kind="exact", levels=LEVELS),
]
