"""The list-append workload (after Jepsen's Elle): transactions of random appends and reads over
keys that hold lists, recorded as a history and checked by elle.py.

Written by hand for the transactions issue. Table la(k int primary key, v text): a key's list is
its comma-separated text. A transaction is 1..OPS_MAX micro-operations on the few active keys:
a read (`SELECT v FROM la WHERE k = ...`) or an append of an element unique in the whole run
(`UPDATE la SET v = v || ',e' WHERE k = ...`, and when no row was there,
`INSERT INTO la VALUES (k, 'e')`). A key retires after APPENDS_PER_KEY_MAX appends and a fresh
one takes its place, so lists stay short and the checker sees many keys.

Each client records an invoke before it starts, then ok (COMMIT said COMMIT; its reads filled
in), fail (an error with a SQLSTATE before or at COMMIT: it certainly did not commit) or info
(the connection died, or 40003: the outcome is unknown; the client gets a fresh connection and
process number, as a process with an operation in doubt may still have it in flight). No retries:
every attempt is its own entry in the history.
"""

import random
import threading
import time

import psycopg2

from txn import elle
from txn.bank import join_clients
from txn.targets import LEVELS

KEYS_ACTIVE = 6
APPENDS_PER_KEY_MAX = 16
OPS_MAX = 4
READ_SHARE = 0.5
AMBIGUOUS = ("40003",)  # statement_completion_unknown: committed or not, nobody knows


class _Gen:
    """Shared source of transactions: unique elements and the rotating set of active keys."""

    def __init__(self, seed):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.next_elem = 1
        self.next_key = KEYS_ACTIVE
        self.active = list(range(KEYS_ACTIVE))
        self.appended = {k: 0 for k in self.active}

    def txn(self):
        with self.lock:
            ops = []
            for _ in range(self.rng.randint(1, OPS_MAX)):
                k = self.rng.choice(self.active)
                if self.rng.random() < READ_SHARE:
                    ops.append(["r", k, None])
                    continue
                ops.append(["append", k, self.next_elem])
                self.next_elem += 1
                self.appended[k] += 1
                if self.appended[k] >= APPENDS_PER_KEY_MAX:
                    self.active[self.active.index(k)] = self.next_key
                    self.appended[self.next_key] = 0
                    self.next_key += 1
            return ops


class AppendResult:
    def __init__(self, target, level, clients):
        self.target, self.level, self.clients = target, level, clients
        self.lock = threading.Lock()
        self.history = []
        self.problems = []
        self.check = None
        self.elapsed_s = 0.0

    def record(self, process, type_, value, error=None):
        with self.lock:
            op = {"index": len(self.history), "process": process, "type": type_,
                  "value": [list(m) for m in value], "time": time.monotonic()}
            if error:
                op["error"] = error
            self.history.append(op)

    @property
    def ok(self):
        s = self.check.stats if self.check else {}
        return (not self.problems and self.check is not None and self.check.valid
                and s.get("ok", 0) > 0 and s.get("reads", 0) > 0)

    def describe(self):
        head = (f"list-append on {self.target} at {LEVELS[self.level]}: {self.clients} clients, "
                f"{self.elapsed_s:.1f}s, {len(self.history)} history entries: "
                f"{'PASS' if self.ok else 'FAIL'}")
        errors = {}
        for op in self.history:
            if op.get("error"):
                errors[op["error"]] = errors.get(op["error"], 0) + 1
        lines = [head, f"  errors by SQLSTATE: {errors}"]
        lines += [f"  problem: {p}" for p in self.problems]
        if self.check is not None:
            lines += ["  " + ln for ln in self.check.describe().splitlines()]
        return "\n".join(lines)


class _Client:
    def __init__(self, target, gen, res, level, number, clients):
        self.target, self.gen, self.res, self.level = target, gen, res, level
        self.process, self.clients = number, clients
        self.conn = target.connect()

    def _run(self, cur, ops):
        done = []
        cur.execute(f"BEGIN ISOLATION LEVEL {LEVELS[self.level]}")
        for f, k, e in ops:
            if f == "r":
                cur.execute("SELECT v FROM la WHERE k = %s", (k,))
                row = cur.fetchone()
                done.append(["r", k, [int(x) for x in row[0].split(",")] if row else []])
                continue
            cur.execute("UPDATE la SET v = v || %s WHERE k = %s", (f",{e}", k))
            if cur.rowcount == 0:
                cur.execute("INSERT INTO la VALUES (%s, %s)", (k, str(e)))
            done.append(["append", k, e])
        cur.execute("COMMIT")
        return done, cur.statusmessage

    def one(self):
        ops = self.gen.txn()
        self.res.record(self.process, "invoke", ops)
        cur = self.conn.cursor()
        try:
            done, status = self._run(cur, ops)
            if status == "COMMIT":
                self.res.record(self.process, "ok", done)
            else:
                self.res.record(self.process, "fail", ops, f"COMMIT answered {status}")
        except psycopg2.Error as e:
            if e.pgcode is None or e.pgcode in AMBIGUOUS:
                self.res.record(self.process, "info", ops, e.pgcode or "connection lost")
                self.process += self.clients  # this process may still have it in flight
                self.conn.close()
                self.conn = self.target.connect()
                return
            self.res.record(self.process, "fail", ops, e.pgcode)
            try:
                self.conn.cursor().execute("ROLLBACK")
            except psycopg2.Error:
                pass
        finally:
            cur.close()

    def loop(self, deadline):
        try:
            while time.monotonic() < deadline:
                self.one()
        except Exception as e:  # a harness bug or a dead server: reported, never silent
            self.res.problems.append(f"client stopped: {type(e).__name__}: {e}")
        finally:
            self.conn.close()


def run_append(target, duration_s=3.0, clients=8, level="ser", seed=None,
               model="strict-serializable"):
    seed = random.randrange(2**32) if seed is None else seed
    res = AppendResult(target.name, level, clients)
    c = target.connect()
    try:
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS la")
        cur.execute("CREATE TABLE la (k int PRIMARY KEY, v text NOT NULL)")
        target.after_create(cur, "la")
    finally:
        c.close()
    gen = _Gen(seed)
    workers = [_Client(target, gen, res, level, i, clients) for i in range(clients)]
    t0 = time.monotonic()
    deadline = t0 + duration_s
    threads = [threading.Thread(target=w.loop, args=(deadline,)) for w in workers]
    for t in threads:
        t.start()
    join_clients(threads, workers, deadline, res.problems.append)
    res.elapsed_s = time.monotonic() - t0
    res.check = elle.check(res.history, model)
    return res
