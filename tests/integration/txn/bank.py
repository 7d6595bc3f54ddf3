"""The bank workload: concurrent transfers between accounts and full-balance reads.

Written by hand for the transactions issue: the oldest test of serializable transactions, and one
whose invariants need no history analysis. N accounts with ids spread over the int4 key space
(so that, once Phantom Zero splits ranges, `ALTER TABLE ... SPLIT AT VALUES` puts them on several
ranges: the statements are tried and skipped with a note where the target refuses them), each
starting with the same balance. `clients` threads, each on its own connection, loop until the
duration ends, doing

  transfer  BEGIN; read both balances; if the source has enough, write both new balances;
            COMMIT. Half the transfers write values the client computed from its read (a lost
            update then shows in the total), half write `balance - x` and `balance + x` (a
            debit that raced another past the funds check then shows as a negative balance:
            with client-computed values a balance can never go below zero, so that check would
            be blind). 40001 and 40P01 are retried with capped exponential backoff and jitter,
            and counted.
  read      BEGIN; SELECT every account; COMMIT (retried the same way).

What must hold: every read sees all accounts, none negative, and the initial total (a
consistent snapshot: no transfer half seen); the final table likewise; no error other than
the retried ones; and progress (transfers and reads both completed), so that a target that
refuses everything cannot pass.
"""

import random
import threading
import time

import psycopg2

from txn.targets import LEVELS

ACCOUNTS = 32
INITIAL = 100
READ_SHARE = 0.25  # the fraction of operations that are full-balance reads
RELATIVE_SHARE = 0.5  # the fraction of transfers that write `balance -/+ x` (see above)
RETRY_MAX = 40  # attempts of one operation before it is counted as given up
BACKOFF_BASE_S = 0.002
BACKOFF_MAX_S = 0.1
SPLITS = 3  # split points tried (4 ranges)
PROBLEMS_KEPT = 10  # problems described in full; the rest are counted
RETRYABLE = ("40001", "40P01")
JOIN_GRACE_S = 30.0  # a client still in a statement this long after the end is stuck


class BankResult:
    def __init__(self, target, level, clients, duration_s):
        self.target, self.level, self.clients, self.duration_s = target, level, clients, duration_s
        self.lock = threading.Lock()
        self.counts = {"transfers": 0, "insufficient": 0, "reads": 0, "retries": 0,
                       "given_up": 0, "bad_reads": 0, "negative_reads": 0}
        self.retry_codes = {}
        self.problems = []
        self.problem_count = 0
        self.notes = []
        self.elapsed_s = 0.0
        self.final = None  # (accounts, total, lowest balance, wanted total) at the end

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def retried(self, code):
        with self.lock:
            self.counts["retries"] += 1
            self.retry_codes[code] = self.retry_codes.get(code, 0) + 1

    def problem(self, text):
        with self.lock:
            self.problem_count += 1
            if len(self.problems) < PROBLEMS_KEPT:
                self.problems.append(text)

    @property
    def ok(self):
        c = self.counts
        return self.problem_count == 0 and c["transfers"] > 0 and c["reads"] > 0

    def describe(self):
        c = self.counts
        rate = c["transfers"] / self.elapsed_s if self.elapsed_s else 0.0
        lines = [f"bank on {self.target} at {LEVELS[self.level]}: {self.clients} clients, "
                 f"{self.elapsed_s:.1f}s: {'PASS' if self.ok else 'FAIL'}",
                 f"  transfers committed {c['transfers']} ({rate:.0f}/s), skipped for lack of "
                 f"funds {c['insufficient']}, full reads {c['reads']} (inconsistent "
                 f"{c['bad_reads']}, with a negative balance {c['negative_reads']}), retries "
                 f"{c['retries']} {self.retry_codes}, given up {c['given_up']}"]
        if self.final:
            n, total, low, want = self.final
            lines.append(f"  final table: {n} accounts, total {total} (want {want}), "
                         f"lowest balance {low}")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  problem: {p}" for p in self.problems]
        if self.problem_count > len(self.problems):
            lines.append(f"  ... {self.problem_count - len(self.problems)} more problems")
        return "\n".join(lines)


def account_ids(n):
    """Ids spread evenly over the positive int4 space."""
    return [1 + i * ((2**31 - 2) // n) for i in range(n)]


def _setup(target, ids, res):
    c = target.connect()
    try:
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS bank")
        cur.execute("CREATE TABLE bank (id int PRIMARY KEY, balance int NOT NULL)")
        cur.execute("INSERT INTO bank VALUES " + ", ".join(f"({i}, {INITIAL})" for i in ids))
        target.after_create(cur, "bank")
        step = len(ids) // (SPLITS + 1)
        for k in range(1, SPLITS + 1):
            at = ids[k * step]
            try:
                cur.execute(f"ALTER TABLE bank SPLIT AT VALUES ({at})")
            except psycopg2.Error as e:
                res.notes.append(f"no range splits: the target answered {e.pgcode} to SPLIT AT")
                break
    finally:
        c.close()


def _check_snapshot(res, rows, ids, what):
    bal = dict(rows)
    total = sum(bal.values())
    bad = []
    if sorted(bal) != ids:
        bad.append(f"{len(bal)} accounts, want {len(ids)}")
    if total != INITIAL * len(ids):
        bad.append(f"total {total}, want {INITIAL * len(ids)}")
    neg = {k: v for k, v in bal.items() if v < 0}
    if neg:
        bad.append(f"negative balances {neg}")
        res.add("negative_reads")
    if bad:
        res.problem(f"{what}: " + "; ".join(bad))
    return not bad


class _Client:
    def __init__(self, target, res, ids, level, seed):
        self.target, self.res, self.ids, self.level = target, res, ids, level
        self.rng = random.Random(seed)
        self.conn = target.connect()

    def _attempts(self, body):
        """Runs body(cur) in a transaction until it does not fail with a retryable error."""
        for attempt in range(RETRY_MAX):
            cur = self.conn.cursor()
            try:
                cur.execute(f"BEGIN ISOLATION LEVEL {LEVELS[self.level]}")
                if body(cur):
                    cur.execute("COMMIT")
                    if cur.statusmessage != "COMMIT":
                        self.res.problem(f"COMMIT answered {cur.statusmessage!r}")
                        return False
                else:
                    cur.execute("ROLLBACK")
                return True
            except psycopg2.Error as e:
                if e.pgcode is None:  # the connection is gone: the outcome is unknown
                    self.res.problem(f"connection lost: {str(e).strip()[:200]}")
                    self.conn.close()
                    self.conn = self.target.connect()
                    return False
                self._rollback()
                if e.pgcode not in RETRYABLE:
                    self.res.problem(f"error {e.pgcode}: {str(e).strip()[:200]}")
                    return False
                self.res.retried(e.pgcode)
                cap = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**attempt)
                time.sleep(self.rng.uniform(0, cap))
            finally:
                cur.close()
        self.res.add("given_up")
        return False

    def _rollback(self):
        try:
            self.conn.cursor().execute("ROLLBACK")
        except psycopg2.Error:
            pass

    def transfer(self):
        a, b = self.rng.sample(self.ids, 2)
        amount = self.rng.randint(1, INITIAL // 2)
        relative = self.rng.random() < RELATIVE_SHARE
        outcome = {}

        def body(cur):
            cur.execute("SELECT id, balance FROM bank WHERE id IN (%s, %s)", (a, b))
            bal = dict(cur.fetchall())
            outcome["enough"] = len(bal) == 2 and bal[a] >= amount
            if len(bal) != 2:
                self.res.problem(f"transfer read {len(bal)} of accounts {a}, {b}")
            if not outcome["enough"]:
                return False
            if relative:
                cur.execute("UPDATE bank SET balance = balance - %s WHERE id = %s", (amount, a))
                cur.execute("UPDATE bank SET balance = balance + %s WHERE id = %s", (amount, b))
            else:
                cur.execute("UPDATE bank SET balance = %s WHERE id = %s", (bal[a] - amount, a))
                cur.execute("UPDATE bank SET balance = %s WHERE id = %s", (bal[b] + amount, b))
            return True

        if self._attempts(body):
            self.res.add("transfers" if outcome.get("enough") else "insufficient")

    def read(self):
        got = {}

        def body(cur):
            cur.execute("SELECT id, balance FROM bank")
            got["rows"] = cur.fetchall()
            return True

        if self._attempts(body):
            self.res.add("reads")
            if not _check_snapshot(self.res, got["rows"], self.ids, "a full read"):
                self.res.add("bad_reads")

    def loop(self, deadline):
        try:
            while time.monotonic() < deadline:
                if self.rng.random() < READ_SHARE:
                    self.read()
                else:
                    self.transfer()
        except Exception as e:  # a harness bug or a dead server: reported, never silent
            self.res.problem(f"client stopped: {type(e).__name__}: {e}")
        finally:
            self.conn.close()


def join_clients(threads, workers, deadline, report):
    """Joins the client threads; one still running JOIN_GRACE_S past the deadline is stuck in a
    statement: it is reported and its statement cancelled so that the run ends."""
    until = deadline + JOIN_GRACE_S
    for t, w in zip(threads, workers):
        t.join(max(0.0, until - time.monotonic()))
        if t.is_alive():
            report("a client was stuck in a statement past the end of the run")
            try:
                w.conn.cancel()
            except psycopg2.Error:
                pass
            t.join(JOIN_GRACE_S)


def run_bank(target, duration_s=3.0, clients=16, accounts=ACCOUNTS, level="ser", seed=None):
    seed = random.randrange(2**32) if seed is None else seed
    res = BankResult(target.name, level, clients, duration_s)
    res.notes.append(f"seed {seed}")
    ids = account_ids(accounts)
    _setup(target, ids, res)
    workers = [_Client(target, res, ids, level, seed + i) for i in range(clients)]
    t0 = time.monotonic()
    deadline = t0 + duration_s
    threads = [threading.Thread(target=w.loop, args=(deadline,)) for w in workers]
    for t in threads:
        t.start()
    join_clients(threads, workers, deadline, res.problem)
    res.elapsed_s = time.monotonic() - t0
    c = target.connect()
    try:
        cur = c.cursor()
        cur.execute("SELECT id, balance FROM bank")
        final = cur.fetchall()
        res.final = (len(final), sum(b for _, b in final), min((b for _, b in final), default=0),
                     INITIAL * len(ids))
        _check_snapshot(res, final, ids, "the final table")
    finally:
        c.close()
    return res
