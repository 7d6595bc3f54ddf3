"""The isolation anomaly cases, in the style of Martin Kleppmann's Hermitage: G0, G1a, G1b, G1c,
OTV, PMP (read and write predicates), P4 (lost update), G-single (read skew: item, predicate and
write-predicate forms), G2-item (write skew) and G2 (anti-dependency cycles: predicate form and
Fekete's read-only form).

Written by hand as data (script.py says how it runs and is judged). Each case's expected
outcomes are PostgreSQL 15's, per level, proven by test_txn_pg15.py; each check names the anomaly
when an observation shows it, reading only labelled reads, counts, who committed and the final
table — never the steps' exact shape — so a target that prevents the anomaly another way (an
earlier error, a wait) passes. `witness` is an observation that shows the anomaly, used by
test_txn_checker.py to prove each check can fire where PostgreSQL never shows it.

Table htest(id int primary key, value int) starts as (1, 10), (2, 20) in every case.
"""

from txn.script import COMMITTED, L, ROLLED_BACK, Case, Drain, Q, W, rows
from txn.session import BLOCKED, Err, Ok

E40001, E25P02, E40P01 = Err("40001"), Err("25P02"), Err("40P01")
ONE = Ok(count=1)
ALL = "SELECT * FROM htest"


def upd(sess, i, v, expect=ONE, label=None):
    return Q(sess, f"UPDATE htest SET value = {v} WHERE id = {i}", expect, label)


def sel(sess, i, expect, label=None):
    return Q(sess, f"SELECT * FROM htest WHERE id = {i}", expect, label)


def commit(sess, expect=COMMITTED):
    return Q(sess, "COMMIT", expect)


# PostgreSQL's victim is the session whose deadlock_timeout (default 1 s) fires first: normally
# the first to wait, but on a loaded machine the second's timer could win the race. T1 at
# 200 ms and the others at 10 s make T1 the victim every time, sooner (a superuser setting,
# PostgreSQL only).
PG_VICTIM_T1 = {"T1": ["SET deadlock_timeout = '200ms'"],
                "T2": ["SET deadlock_timeout = '10s'"], "T3": ["SET deadlock_timeout = '10s'"]}


def write_cycle():
    """T1 and T2 each write row 1 and row 2, in opposite orders: under row locks a deadlock
    (PostgreSQL picks T1, the first to wait, as the victim); without them a write cycle. Shared
    with locks.py's deadlock2."""
    return [
        upd("T1", 1, 11),
        upd("T2", 2, 22),
        upd("T1", 2, 21, BLOCKED),
        upd("T2", 1, 12, BLOCKED),
        Drain(("T1", "T2"), {"T1": (E40P01, ROLLED_BACK), "T2": (ONE, COMMITTED)}),
    ]


def _mixed_final(o, a, b):
    """G0 as seen in the final table: row 1 from one writer, row 2 from the other."""
    f = dict(o.final_rows())
    if o.did_commit("T1", "T2") and (f.get(1), f.get(2)) in ((a[0], b[1]), (b[0], a[1])):
        return f"G0: the final table {f} mixes T1's {a} and T2's {b} (a write cycle)"
    return None


def _g1a(o):
    for lb in ("r1", "r2"):
        if (1, 101) in (o.rows(lb) or []):
            return f"G1a: T2 read (1,101), written by T1 which rolled back ({lb})"
    if (1, 101) in o.final_rows():
        return "G1a: T1's rolled-back write (1,101) is in the final table"
    return None


def _g1b(o):
    for lb in ("r1", "r2"):
        if (1, 101) in (o.rows(lb) or []):
            return f"G1b: T2 read (1,101), an intermediate version T1 later overwrote ({lb})"
    return None


def _g1c(o):
    saw1, saw2 = (2, 22) in (o.rows("r1") or []), (1, 11) in (o.rows("r2") or [])
    if saw1 and saw2 and o.did_commit("T1", "T2"):
        return "G1c: T1 read T2's write and T2 read T1's write (circular information flow)"
    if saw1 or saw2:
        return "G1: a read returned another transaction's uncommitted write"
    return None


def _otv(o):
    """T3 sees one of T2's writes, then a version older than T2's on a key T2 wrote."""
    t2 = {(1, 12), (2, 18)}
    older = {(1, 10), (1, 11), (2, 20), (2, 19)}
    seen_t2 = None
    for lb in ("r1", "r2", "r3", "r4"):
        r = set(o.rows(lb) or [])
        if seen_t2 and r & older:
            return f"OTV: T3 read {seen_t2} from T2, then {sorted(r & older)} ({lb})"
        seen_t2 = seen_t2 or (sorted(r & t2) or None)
    return None


def _pmp(o):
    if o.did_commit("T1") and o.rows("r1") == [] and (3, 30) in (o.rows("r2") or []):
        return "PMP: T1's second predicate read saw the row T2 inserted after its first"
    return None


def _pmp_write(o):
    if o.did_commit("T1", "T2") and o.count("d") == 0:
        return "PMP: T2's DELETE ... WHERE value = 20 deleted nothing, yet a row with 20 existed"
    return None


def _p4(o):
    read10 = o.rows("r1") == [(1, 10)] and o.rows("r2") == [(1, 10)]
    if read10 and o.did_commit("T1", "T2") and o.count("w1") == 1 and o.count("w2") == 1:
        return "P4: both read 10 and wrote 11: one increment is lost"
    return None


def _gsingle(o):
    if o.did_commit("T1") and o.rows("r1") == [(1, 10)] and o.rows("r2") == [(2, 18)]:
        return "G-single: T1 read row 1 before T2 and row 2 after it (read skew)"
    return None


def _gsingle_pred(o):
    if o.did_commit("T1") and (1, 10) in (o.rows("r1") or []) and (1, 12) in (o.rows("r2") or []):
        return "G-single: T1's predicate reads saw row 1 as 10, then as 12"
    return None


def _gsingle_write(o):
    if o.did_commit("T1") and o.rows("r1") == [(1, 10)] and o.count("d") == 0:
        return "G-single: T1 read row 1 before T2, then its DELETE saw row 2 after T2"
    return None


def _g2_item(o):
    both = [(1, 10), (2, 20)]
    if o.did_commit("T1", "T2") and o.rows("r1") == both and o.rows("r2") == both:
        return "G2-item: each read both rows, each wrote the one the other read (write skew)"
    return None


def _g2_pred(o):
    if o.did_commit("T1", "T2") and o.rows("r1") == [] and o.rows("r2") == []:
        return "G2: each inserted a row matching the other's empty predicate read"
    return None


def _g2_two_edges(o):
    r1, r3 = o.rows("r1") or [], o.rows("r3") or []
    if o.did_commit("T1", "T2", "T3") and (2, 20) in r1 and (2, 25) in r3 and (1, 10) in r3:
        return "G2: T1 -rw-> T2 -wr-> T3 -rw-> T1 (read-only anomaly)"
    return None


CASES = [
    Case("g0", "G0 write cycle (Hermitage order)", [
        upd("T1", 1, 11),
        upd("T2", 1, 12, BLOCKED),
        upd("T1", 2, 21),
        commit("T1"),
        W("T2", L(ONE, E40001)),
        Q("T2", ALL, L(rows((1, 12), (2, 21)), E25P02)),
        upd("T2", 2, 22, L(ONE, E25P02)),
        commit("T2", L(COMMITTED, ROLLED_BACK)),
    ], L(rows((1, 12), (2, 22)), rows((1, 11), (2, 21))),
        lambda o: _mixed_final(o, (11, 21), (12, 22)),
        witness={"final": rows((1, 11), (2, 22)), "committed": {"T1": True, "T2": True}}),
    Case("g0_cycle", "G0 write cycle (opposite order: a deadlock under locks)", write_cycle(),
        rows((1, 12), (2, 22)),
        lambda o: _mixed_final(o, (11, 21), (12, 22)), pg_setup=PG_VICTIM_T1,
        witness={"final": rows((1, 12), (2, 21)), "committed": {"T1": True, "T2": True}}),
    Case("g1a", "G1a aborted read", [
        upd("T1", 1, 101),
        Q("T2", ALL, rows((1, 10), (2, 20)), "r1"),
        Q("T1", "ROLLBACK", ROLLED_BACK),
        Q("T2", ALL, rows((1, 10), (2, 20)), "r2"),
        commit("T2"),
    ], rows((1, 10), (2, 20)), _g1a, witness={"r1": rows((1, 101), (2, 20))}),
    Case("g1b", "G1b intermediate read", [
        upd("T1", 1, 101),
        Q("T2", ALL, rows((1, 10), (2, 20)), "r1"),
        upd("T1", 1, 11),
        commit("T1"),
        Q("T2", ALL, L(rows((1, 11), (2, 20)), rows((1, 10), (2, 20))), "r2"),
        commit("T2"),
    ], rows((1, 11), (2, 20)), _g1b, witness={"r2": rows((1, 101), (2, 20))}),
    Case("g1c", "G1c circular information flow", [
        upd("T1", 1, 11),
        upd("T2", 2, 22),
        sel("T1", 2, rows((2, 20)), "r1"),
        sel("T2", 1, rows((1, 10)), "r2"),
        commit("T1"),
        commit("T2", L(COMMITTED, COMMITTED, E40001)),  # SSI: T1 -rw-> T2 -rw-> T1
    ], L(rows((1, 11), (2, 22)), rows((1, 11), (2, 22)), rows((1, 11), (2, 20))), _g1c,
        witness={"r1": rows((2, 22)), "r2": rows((1, 11))}),
    Case("otv", "OTV observed transaction vanishes", [
        upd("T1", 1, 11),
        upd("T1", 2, 19),
        upd("T2", 1, 12, BLOCKED),
        commit("T1"),
        W("T2", L(ONE, E40001)),
        sel("T3", 1, rows((1, 11)), "r1"),
        upd("T2", 2, 18, L(ONE, E25P02)),
        sel("T3", 2, rows((2, 19)), "r2"),
        commit("T2", L(COMMITTED, ROLLED_BACK)),
        sel("T3", 2, L(rows((2, 18)), rows((2, 19))), "r3"),
        sel("T3", 1, L(rows((1, 12)), rows((1, 11))), "r4"),
        commit("T3"),
    ], L(rows((1, 12), (2, 18)), rows((1, 11), (2, 19))), _otv,
        sessions=("T1", "T2", "T3"), witness={"r1": rows((1, 12)), "r2": rows((2, 19))}),
    Case("pmp", "PMP predicate-many-preceders (read predicates)", [
        Q("T1", "SELECT * FROM htest WHERE value = 30", rows(), "r1"),
        Q("T2", "INSERT INTO htest VALUES (3, 30)", ONE),
        commit("T2"),
        Q("T1", "SELECT * FROM htest WHERE value % 3 = 0", L(rows((3, 30)), rows()), "r2"),
        commit("T1"),
    ], rows((1, 10), (2, 20), (3, 30)), _pmp),
    Case("pmp_write", "PMP predicate-many-preceders (write predicates)", [
        Q("T1", "UPDATE htest SET value = value + 10", Ok(count=2)),
        Q("T2", "DELETE FROM htest WHERE value = 20", BLOCKED),
        commit("T1"),
        W("T2", L(Ok(count=0), E40001), "d"),
        Q("T2", "SELECT * FROM htest WHERE value = 20", L(rows((1, 20)), E25P02)),
        commit("T2", L(COMMITTED, ROLLED_BACK)),
    ], rows((1, 20), (2, 30)), _pmp_write),
    Case("p4", "P4 lost update", [
        sel("T1", 1, rows((1, 10)), "r1"),
        sel("T2", 1, rows((1, 10)), "r2"),
        upd("T1", 1, 11, ONE, "w1"),
        upd("T2", 1, 11, BLOCKED),
        commit("T1"),
        W("T2", L(ONE, E40001), "w2"),
        commit("T2", L(COMMITTED, ROLLED_BACK)),
    ], rows((1, 11), (2, 20)), _p4),
    Case("gsingle", "G-single read skew", [
        sel("T1", 1, rows((1, 10)), "r1"),
        sel("T2", 1, rows((1, 10))),
        sel("T2", 2, rows((2, 20))),
        upd("T2", 1, 12),
        upd("T2", 2, 18),
        commit("T2"),
        sel("T1", 2, L(rows((2, 18)), rows((2, 20))), "r2"),
        commit("T1"),
    ], rows((1, 12), (2, 18)), _gsingle),
    Case("gsingle_predicate", "G-single read skew (predicate reads)", [
        Q("T1", "SELECT * FROM htest WHERE value % 5 = 0", rows((1, 10), (2, 20)), "r1"),
        Q("T2", "UPDATE htest SET value = 12 WHERE value = 10", ONE),
        commit("T2"),
        Q("T1", "SELECT * FROM htest WHERE value % 3 = 0", L(rows((1, 12)), rows()), "r2"),
        commit("T1"),
    ], rows((1, 12), (2, 20)), _gsingle_pred),
    Case("gsingle_write", "G-single read skew (write predicate)", [
        sel("T1", 1, rows((1, 10)), "r1"),
        Q("T2", ALL, rows((1, 10), (2, 20))),
        upd("T2", 1, 12),
        upd("T2", 2, 18),
        commit("T2"),
        Q("T1", "DELETE FROM htest WHERE value = 20", L(Ok(count=0), E40001), "d"),
        commit("T1", L(COMMITTED, ROLLED_BACK)),
    ], rows((1, 12), (2, 18)), _gsingle_write),
    Case("g2_item", "G2-item write skew", [
        Q("T1", "SELECT * FROM htest WHERE id IN (1, 2)", rows((1, 10), (2, 20)), "r1"),
        Q("T2", "SELECT * FROM htest WHERE id IN (1, 2)", rows((1, 10), (2, 20)), "r2"),
        upd("T1", 1, 11),
        upd("T2", 2, 21),
        commit("T1"),
        commit("T2", L(COMMITTED, COMMITTED, E40001)),
    ], L(rows((1, 11), (2, 21)), rows((1, 11), (2, 21)), rows((1, 11), (2, 20))), _g2_item),
    Case("g2", "G2 anti-dependency cycle (predicate reads)", [
        Q("T1", "SELECT * FROM htest WHERE value % 3 = 0", rows(), "r1"),
        Q("T2", "SELECT * FROM htest WHERE value % 3 = 0", rows(), "r2"),
        Q("T1", "INSERT INTO htest VALUES (3, 30)", ONE),
        Q("T2", "INSERT INTO htest VALUES (4, 42)", ONE),
        commit("T1"),
        commit("T2", L(COMMITTED, COMMITTED, E40001)),
    ], L(rows((1, 10), (2, 20), (3, 30), (4, 42)), rows((1, 10), (2, 20), (3, 30), (4, 42)),
         rows((1, 10), (2, 20), (3, 30))), _g2_pred),
    Case("g2_two_edges", "G2 anti-dependency cycle with a read-only transaction (Fekete)", [
        Q("T1", ALL, rows((1, 10), (2, 20)), "r1"),
        Q("T2", "UPDATE htest SET value = value + 5 WHERE id = 2", ONE),
        commit("T2"),
        Q("T3", ALL, rows((1, 10), (2, 25)), "r3"),
        commit("T3"),
        upd("T1", 1, 0, L(ONE, ONE, E40001)),
        commit("T1", L(COMMITTED, COMMITTED, ROLLED_BACK)),
    ], L(rows((1, 0), (2, 25)), rows((1, 0), (2, 25)), rows((1, 10), (2, 25))), _g2_two_edges,
        sessions=("T1", "T2", "T3")),
]
