"""One client session on its own connection and worker thread, and what a statement did.

Written by hand: the scripted suites need to issue a statement on one session, find out whether
it completed or is blocked behind another session's lock, go on with other sessions while it
waits, and collect its result later. Each Session runs its statements on a private worker thread
(psycopg2 releases the GIL while it waits on the socket); the main thread polls the statement's
future.

"Blocked" is decided in two ways. Any target: the statement has not completed within
`block_s` (a timeout-and-poll). PostgreSQL: an observer connection asks pg_blocking_pids() for the
session's backend, and a statement reported as waiting on a lock at two polls in a row is blocked
at once — exact and fast, so the PostgreSQL runs do not pay the timeout for each blocking step
and a statement that is merely slow on a loaded machine is never mistaken for a blocked one.

Outcomes are small value objects compared against expectations written as data:
Ok(rows=, count=, status=) with None meaning "any", Err(sqlstate), BLOCKED, and OneOf(...).
"""

import concurrent.futures
import time

import psycopg2

POLL_S = 0.01  # how often a pending statement is looked at
PROBE_STABLE_POLLS = 2  # lock-wait reports in a row before PostgreSQL's probe says "blocked"
CANCEL_WAIT_S = 5.0  # a cancelled statement must return within this at the end of a case


class Outcome:
    """Base class: what one statement did (or is expected to do)."""

    elapsed_s = None  # set on what a statement did; None on an expectation

    def matches(self, got):
        raise NotImplementedError


class Ok(Outcome):
    """Completed without error. rows: list of tuples, compared sorted (None: any); count: the
    affected-row count (None: any); status: the command tag's first word (None: any)."""

    def __init__(self, rows=None, count=None, status=None):
        self.rows = None if rows is None else [tuple(r) for r in rows]
        self.count, self.status = count, status

    def matches(self, got):
        if not isinstance(got, Ok):
            return False
        if self.rows is not None and (got.rows is None or sorted(got.rows) != sorted(self.rows)):
            return False
        if self.count is not None and got.count != self.count:
            return False
        return self.status is None or got.status == self.status

    def __repr__(self):
        parts = []
        if self.rows is not None:
            parts.append(" ".join(_row_text(r) for r in sorted(self.rows)) or "no rows")
        if self.count is not None:
            parts.append(f"{self.count} rows")
        if self.status is not None:
            parts.append(self.status)
        return "ok" + (": " + ", ".join(parts) if parts else "")


def _row_text(r):
    return "(" + ",".join("null" if v is None else str(v) for v in r) + ")"


class Err(Outcome):
    """Failed with this SQLSTATE (message kept for the report, never compared)."""

    def __init__(self, code, message=""):
        self.code, self.message = code, message

    def matches(self, got):
        return isinstance(got, Err) and got.code == self.code

    def __repr__(self):
        return f"error {self.code}"


class _Blocked(Outcome):
    def matches(self, got):
        return isinstance(got, _Blocked)

    def __repr__(self):
        return "blocks"


BLOCKED = _Blocked()


class OneOf(Outcome):
    """Any of these outcomes."""

    def __init__(self, *alts):
        self.alts = alts

    def matches(self, got):
        return any(a.matches(got) for a in self.alts)

    def __repr__(self):
        return " | ".join(repr(a) for a in self.alts)


def outcome_of_error(e):
    """psycopg2's exception as an Err; a lost connection (no SQLSTATE) is 08006."""
    code = getattr(e, "pgcode", None) or "08006"
    return Err(code, str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)


class Session:
    """A named session: its connection (autocommit, so BEGIN/COMMIT are plain statements), its
    worker thread and at most one statement in flight."""

    def __init__(self, name, conn):
        self.name, self.conn = name, conn
        self.pid = conn.get_backend_pid()
        self.pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"txn-{name}")
        self.pending = None  # the future of the statement last submitted

    def submit(self, sql):
        assert self.pending is None or self.pending.done(), f"{self.name}: statement in flight"
        self.pending = self.pool.submit(self._execute, sql)

    def _execute(self, sql):
        t0 = time.monotonic()
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
            rows = cur.fetchall() if cur.description is not None else None
            status = (cur.statusmessage or "").split(" ")[0]
            out = Ok(rows=rows, count=cur.rowcount if cur.rowcount >= 0 else None, status=status)
        except psycopg2.Error as e:
            out = outcome_of_error(e)
        finally:
            cur.close()
        out.elapsed_s = time.monotonic() - t0
        return out

    def in_flight(self):
        return self.pending is not None and not self.pending.done()

    def wait(self, block_s, probe=None):
        """The outcome of the statement last submitted: its result if it completes, BLOCKED if
        the probe reports a lock wait or block_s passes first (it stays in flight)."""
        assert self.pending is not None, f"{self.name}: nothing submitted"
        deadline = time.monotonic() + block_s
        waiting_polls = 0
        while True:
            try:
                return self.pending.result(timeout=POLL_S)
            except concurrent.futures.TimeoutError:
                pass
            if probe is not None:
                waiting_polls = waiting_polls + 1 if probe(self.pid) else 0
                if waiting_polls >= PROBE_STABLE_POLLS:
                    return BLOCKED
            if time.monotonic() >= deadline:
                return BLOCKED

    def close(self):
        """Cancels a statement still in flight, waits for it, closes the connection."""
        if self.in_flight():
            try:
                self.conn.cancel()
            except psycopg2.Error:
                pass
            try:
                self.pending.result(timeout=CANCEL_WAIT_S)
            except concurrent.futures.TimeoutError:
                pass  # a target that ignores cancels: closing the socket ends it
        try:
            self.conn.close()
        except psycopg2.Error:
            pass
        self.pool.shutdown(wait=False)
