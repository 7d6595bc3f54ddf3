"""Scripted interleavings of 2-3 sessions, their expected outcomes written as data, and the rule
that judges a target.

Written by hand (after Martin Kleppmann's Hermitage, re-thought rather than copied) because the
transactions issue needs the same scripts to hold PostgreSQL 15 to its exact behaviour and to
hold Phantom Zero to "at least as strict".

A Case is: setup SQL (run on a fresh connection), the sessions (each its own connection; each
runs its `session_setup`, on PostgreSQL also its `pg_setup`, and then BEGIN ISOLATION LEVEL
<level>), steps, the expected final
table, and a check. Steps:

  Q(session, sql, expect, label)   submit a statement; its outcome is what it returned, or
                                   BLOCKED if it is still waiting (session.py says how that is
                                   decided); a blocked statement stays in flight
  W(session, expect, label)        the final outcome of that session's statement in flight
                                   (BLOCKED if it does not end within DRAIN_S); with still=True,
                                   whether it is still blocked, decided as for Q
  Drain(sessions, expect)          end these sessions in whatever order they become able to:
                                   each one's statement in flight is awaited, then COMMIT if it
                                   succeeded or ROLLBACK if it failed (deadlock cases, where who
                                   the victim is decides who can go on)

`expect` is an Outcome or L(rc, rr, ser): PostgreSQL 15's exact outcome per level. The check,
case.check(obs) -> str or None, names what went wrong in an observation. Its kind says how it
is used:

  "anomaly"      the check describes the anomaly. For each level it is first run on PostgreSQL's
                 expected outcomes: if PostgreSQL prevents the anomaly at that level, the target
                 must prevent it too (by blocking, an error, or a serializable result); if
                 PostgreSQL allows it, the target may do either (the report says which).
  "requirement"  the check states what must hold (one deadlock victim, 55P03 after the lock
                 timeout...): it must pass on every target, PostgreSQL's data included.
  "exact"        no check: every step must match PostgreSQL's outcome on every target
                 (savepoint semantics).

A "postgres" target is held, in addition, to every step's exact outcome.
"""

import time

import psycopg2

from txn.session import BLOCKED, POLL_S, Err, Ok, OneOf, Session, outcome_of_error
from txn.targets import LEVELS

DRAIN_S = 20.0  # the issue asks for deadlocks found "within seconds"; PostgreSQL takes ~1 s


class L:
    """PostgreSQL's outcome per level; ser defaults to rr."""

    def __init__(self, rc, rr, ser=None):
        self.by = {"rc": rc, "rr": rr, "ser": rr if ser is None else ser}

    def at(self, level):
        return self.by[level]


def at(expect, level):
    return expect.at(level) if isinstance(expect, L) else expect


class Q:
    def __init__(self, sess, sql, expect, label=None):
        self.sess, self.sql, self.expect, self.label = sess, sql, expect, label

    def text(self):
        return f"{self.sess}: {self.sql}"


class W:
    """still=False: wait (up to DRAIN_S) for the statement to end on its own or because another
    session let it go. still=True: only confirm that it is still blocked, as Q decides it."""

    def __init__(self, sess, expect, label=None, still=False):
        self.sess, self.expect, self.label, self.still = sess, expect, label, still

    def text(self):
        return f"{self.sess}: (its statement in flight{', still blocked?' if self.still else ''})"


class Drain:
    """expect: {session: (statement outcome, COMMIT/ROLLBACK outcome)}, or L of such dicts."""

    def __init__(self, sessions, expect):
        self.sessions, self.expect, self.label = tuple(sessions), expect, None

    def text(self):
        return f"{','.join(self.sessions)}: await, then COMMIT each that succeeded"


class Case:
    def __init__(self, name, title, steps, final, check=None, kind="anomaly",
                 sessions=("T1", "T2"), setup=None, session_setup=None, levels=None,
                 table="htest", witness=None, pg_setup=None):
        assert kind in ("anomaly", "requirement", "exact"), kind
        assert (check is None) == (kind == "exact"), name
        self.name, self.title, self.steps, self.final = name, title, steps, final
        self.check, self.kind, self.sessions, self.table = check, kind, sessions, table
        self.setup = setup or [f"CREATE TABLE {table} (id int PRIMARY KEY, value int)",
                               f"INSERT INTO {table} VALUES (1, 10), (2, 20)"]
        self.session_setup = session_setup or {}
        self.pg_setup = pg_setup or {}  # PostgreSQL-only settings that make its record exact
        self.levels = levels or tuple(LEVELS)
        self.witness = witness  # labels/final/committed that show the anomaly (see anomalies.py)


COMMITTED = Ok(status="COMMIT")
ROLLED_BACK = Ok(status="ROLLBACK")  # PostgreSQL's answer to COMMIT or ROLLBACK of a failed txn


def rows(*r):
    return Ok(rows=list(r))


class Obs:
    """What happened in one run: per step its outcome; labels; who committed; the final table."""

    def __init__(self, level):
        self.level = level
        self.results = []  # (step, outcome) — for a Drain, outcome is {session: (stmt, end)}
        self.by_label = {}
        self.committed = {}
        self.final = None
        self.error = None  # the case could not run (setup or BEGIN refused)

    def record(self, step, out):
        self.results.append((step, out))
        if isinstance(step, Drain):
            for s, (stmt, end) in out.items():
                self.by_label[f"{s}.stmt"], self.by_label[f"{s}.end"] = stmt, end
                self.committed[s] = isinstance(end, Ok) and end.status == "COMMIT"
            return
        if step.label:
            self.by_label[step.label] = out
        if isinstance(step, Q) and step.sql.strip().lower() in ("commit", "end"):
            self.committed[step.sess] = isinstance(out, Ok) and out.status == "COMMIT"

    # Accessors for checks: None whenever the statement did not complete successfully.
    def rows(self, label):
        o = self.by_label.get(label)
        return sorted(o.rows) if isinstance(o, Ok) and o.rows is not None else None

    def count(self, label):
        o = self.by_label.get(label)
        return o.count if isinstance(o, Ok) else None

    def code(self, label):
        o = self.by_label.get(label)
        return o.code if isinstance(o, Err) else None

    def out(self, label):
        return self.by_label.get(label)

    def did_commit(self, *sessions):
        return all(self.committed.get(s, False) for s in sessions)

    def final_rows(self):
        return sorted(self.final.rows) if isinstance(self.final, Ok) and self.final.rows else []


def _first(expect):
    return expect.alts[0] if isinstance(expect, OneOf) else expect


def expected_obs(case, level):
    """PostgreSQL's recorded outcome as an Obs, so a check can be run on it."""
    obs = Obs(level)
    for step in case.steps:
        e = at(step.expect, level)
        if isinstance(step, Drain):
            obs.record(step, {s: (_first(a), _first(b)) for s, (a, b) in e.items()})
        else:
            obs.record(step, _first(e))
    obs.final = at(case.final, level)
    return obs


def _setup(target, case):
    cur = target.admin().cursor()
    cur.execute(f"DROP TABLE IF EXISTS {case.table}")
    for sql in case.setup:
        cur.execute(sql)
    target.after_create(cur, case.table)


def _begin(sessions, case, level, flavor):
    """Session settings, then BEGIN; the reason it failed, or None."""
    for name, s in sessions.items():
        sqls = case.session_setup.get(name, [])
        if flavor == "postgres":
            sqls = sqls + case.pg_setup.get(name, [])
        for sql in sqls + [f"BEGIN ISOLATION LEVEL {LEVELS[level]}"]:
            s.submit(sql)
            out = s.wait(30.0)
            if not isinstance(out, Ok):
                return f"{name}: {sql!r} answered {out!r} {getattr(out, 'message', '')}"
    return None


def _drain(step, sessions, limit_s):
    state = {n: "stmt" for n in step.sessions}
    got = {n: [BLOCKED, BLOCKED] for n in step.sessions}
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and any(v != "done" for v in state.values()):
        for n in step.sessions:
            s = sessions[n]
            if state[n] == "stmt" and not s.in_flight():
                got[n][0] = s.pending.result() if s.pending is not None else Ok()
                s.submit("COMMIT" if isinstance(got[n][0], Ok) else "ROLLBACK")
                state[n] = "end"
            elif state[n] == "end" and not s.in_flight():
                got[n][1] = s.pending.result()
                state[n] = "done"
        time.sleep(POLL_S)
    return {n: tuple(v) for n, v in got.items()}


class NotRun(Err):
    """The step's session still had a statement in flight (the target went another way)."""

    def __init__(self):
        super().__init__("-----", "not run: the session's previous statement is still blocked")

    def __repr__(self):
        return "not run (session still blocked)"


def _step(step, sessions, target, probe):
    if isinstance(step, Drain):
        return _drain(step, sessions, max(DRAIN_S, target.block_s))
    s = sessions[step.sess]
    if isinstance(step, W):
        if s.pending is None:
            return NotRun()
        if step.still:
            return s.wait(target.block_s, probe)
        return s.wait(max(DRAIN_S, target.block_s))
    if s.in_flight():
        return NotRun()
    s.submit(step.sql)
    return s.wait(target.block_s, probe)


def run_case(target, case, level):
    """Runs one case at one level on a target; returns its Obs. A target that refuses the
    setup, a session or its BEGIN gives an Obs with .error (judged a failure), never a raise."""
    obs = Obs(level)
    try:
        _setup(target, case)
    except psycopg2.Error as e:
        obs.error = f"setup failed: {outcome_of_error(e)!r} {outcome_of_error(e).message}"
        return obs
    sessions = {}
    try:
        for n in case.sessions:
            sessions[n] = Session(n, target.connect())
        obs.error = _begin(sessions, case, level, target.flavor)
        if obs.error is None:
            probe = target.probe()
            for step in case.steps:
                obs.record(step, _step(step, sessions, target, probe))
    except psycopg2.Error as e:  # a session could not connect, or the target went away
        obs.error = f"connection failed: {outcome_of_error(e)!r} {outcome_of_error(e).message}"
    finally:
        for s in sessions.values():
            s.close()
    try:
        cur = target.admin().cursor()
        cur.execute(f"SELECT * FROM {case.table} ORDER BY 1")
        obs.final = Ok(rows=cur.fetchall())
    except psycopg2.Error as e:
        obs.final = outcome_of_error(e)
    return obs


class Verdict:
    def __init__(self, ok, mismatches, pg_violation, got_violation, note):
        self.ok, self.mismatches = ok, mismatches
        self.pg_violation, self.got_violation, self.note = pg_violation, got_violation, note


def mismatches(case, obs):
    """(step index, expected, got) for every step and the final table that differ from
    PostgreSQL's recorded outcome."""
    out = []
    for i, (step, got) in enumerate(obs.results):
        e = at(step.expect, obs.level)
        if isinstance(step, Drain):
            for s, (ea, eb) in e.items():
                ga, gb = got[s]
                if not (ea.matches(ga) and eb.matches(gb)):
                    out.append((i, f"{s}: {ea!r}; {eb!r}", f"{s}: {ga!r}; {gb!r}"))
        elif not e.matches(got):
            out.append((i, repr(e), repr(got)))
    fe = at(case.final, obs.level)
    if not fe.matches(obs.final):
        out.append(("final", repr(fe), repr(obs.final)))
    return out


def judge(case, obs, flavor):
    """The verdict for one run: see the module comment for the rule."""
    if obs.error:
        return Verdict(False, [], None, None, f"could not run: {obs.error}")
    mm = mismatches(case, obs)
    pg_v = case.check(expected_obs(case, obs.level)) if case.check else None
    got_v = case.check(obs) if case.check else (f"{len(mm)} outcome(s) differ" if mm else None)
    if flavor == "postgres":
        return Verdict(not mm, mm, pg_v, got_v,
                       "exact" if not mm else f"{len(mm)} outcome(s) differ from the record")
    if case.kind == "anomaly" and pg_v is not None:
        note = "allowed at this level (PostgreSQL shows it too)" if got_v else "prevented"
        return Verdict(True, mm, pg_v, got_v, note)
    return Verdict(got_v is None, mm, pg_v, got_v, "holds" if got_v is None else got_v)
