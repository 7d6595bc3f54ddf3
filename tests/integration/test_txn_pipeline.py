"""Pipelined transactional writes (kv.h "pipelining"): a write statement is answered before its
commit reaches the engine, so the commit must not claim what the engine lost.

test_txn_pipeline_disk_full: the store on an 8 MiB tmpfs; transactions of three 1 KiB and one
256 KiB row INSERTs each (every INSERT answered early) until something fails. Whatever failed — an INSERT,
or a COMMIT whose earlier INSERT's commit hit the full disk after it was answered — the failing
transaction must leave no row behind and say why with a SQLSTATE; every transaction whose
COMMIT succeeded must have all four rows. Then the same on restart (nothing acknowledged lost).
(With LMDB the END_TXN's own commit fails too once a commit failed — the engine refuses writes
from then on — so the refusal of an END_TXN after a failed pipelined commit is proven by
tests/unit/storage/test_storage_pipe.c; this test proves the whole path keeps the promise.)

Each runs twice: with storage's pending table (the default) and with pipeline_overlay = false
(the latched path: a commit token, latches held until the commit).

test_txn_pipeline_read_own_and_others: a transaction's own pipelined write is read back by its
next statement at once, another transaction's locking read waits for it, and a reader outside
sees the committed rows the moment COMMIT returns (the background commits are ordered before
the END_TXN's)."""

import threading
import time

import psycopg2

from pz import check, eq, timeout
from sql_servers import PzSql

ROW_BYTES = 1024
BIG_ROW_BYTES = 256 * 1024
ROWS_PER_TXN = 4
TXNS_MAX = 400  # 100 MiB of rows: far past 8 MiB, so a store that never fills is a failure


# Storage shows pipelined writes to later evaluations (its pending table) by default; with
# pipeline_overlay = false they take the latched path (a commit token, repl holds the latches
# until the commit). Both must keep the same promises.
LATCHED = ("--set", "modules/storage/pipeline_overlay=false")


@timeout(300)
def test_txn_pipeline_disk_full(ctx):
    _disk_full(ctx, ())


@timeout(300)
def test_txn_pipeline_disk_full_latched(ctx):
    _disk_full(ctx, LATCHED)


def _disk_full(ctx, extra):
    mnt = ctx.tmpfs("8m")
    ours = PzSql(ctx, extra_args=(f"--store={mnt / 'pz'}",) + extra).start()
    conn = ours.connect(autocommit=False)
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id int PRIMARY KEY, txn int, b bytea)")
    conn.commit()
    committed, failure = [], None
    for n in range(TXNS_MAX):
        ids = [n * ROWS_PER_TXN + i for i in range(ROWS_PER_TXN)]
        try:
            for j, i in enumerate(ids):
                # The last row is the big one: its commit needs new pages where the END_TXN's
                # small record still finds free ones, so the disk fills under a write that was
                # answered while the commit after it would succeed.
                size = BIG_ROW_BYTES if j == ROWS_PER_TXN - 1 else ROW_BYTES
                cur.execute("INSERT INTO t VALUES (%s, %s, %s)", (i, n, b"x" * size))
            conn.commit()
        except psycopg2.Error as e:
            failure = (n, e.pgcode, str(e).strip())
            conn.rollback()
            break
        committed.append(n)
    check(failure is not None, f"{TXNS_MAX} transactions of {BIG_ROW_BYTES} B and more into an "
                               f"8 MiB tmpfs all committed: the disk never filled")
    n, code, text = failure
    ctx.note(f"{len(committed)} transactions committed, then {code}: {text}")
    check(len(committed) > 5, f"only {len(committed)} transactions fit in 8 MiB")
    check(code is not None and code[:2] in ("53", "58", "40", "XX"),
          f"the failure carries a SQLSTATE that says resources or I/O: {failure}")

    def check_rows(when):
        c = ours.connect()
        cu = c.cursor()
        cu.execute("SELECT txn, count(*) FROM t GROUP BY txn ORDER BY txn")
        got = dict(cu.fetchall())
        c.close()
        eq(got.get(n), None, f"{when}: the failed transaction {n} left no row")
        eq(sorted(got), committed, f"{when}: exactly the committed transactions are there")
        bad = {k: v for k, v in got.items() if v != ROWS_PER_TXN}
        eq(bad, {}, f"{when}: every committed transaction has all its {ROWS_PER_TXN} rows")

    check_rows("on the full disk")
    conn.close()
    ours.node.stop()
    ours.start()
    check_rows("after a restart on the full disk")


@timeout(120)
def test_txn_pipeline_read_own_and_others(ctx):
    _read_own_and_others(ctx, ())


@timeout(120)
def test_txn_pipeline_read_own_and_others_latched(ctx):
    _read_own_and_others(ctx, LATCHED)


def _read_own_and_others(ctx, extra):
    ours = PzSql(ctx, extra_args=extra).start()
    a, b = ours.connect(autocommit=False), ours.connect(autocommit=False)
    obs = ours.connect()
    ca, cb, co = a.cursor(), b.cursor(), obs.cursor()
    ca.execute("CREATE TABLE kv (k int PRIMARY KEY, v int)")
    ca.execute("INSERT INTO kv SELECT g, 0 FROM generate_series(1, 50) g")
    a.commit()
    for rnd in range(1, 21):
        # Each UPDATE is answered before its commit; the next statement reads it back.
        ca.execute("UPDATE kv SET v = %s WHERE k = %s", (rnd, rnd))
        ca.execute("SELECT v FROM kv WHERE k = %s", (rnd,))
        eq(ca.fetchall(), [(rnd,)], f"round {rnd}: the transaction reads its own write")
        ca.execute("UPDATE kv SET v = v + 1 WHERE k = 50")
        a.commit()
        co.execute("SELECT v FROM kv WHERE k = %s", (rnd,))
        eq(co.fetchall(), [(rnd,)], f"round {rnd}: committed write seen right after COMMIT")
    co.execute("SELECT v FROM kv WHERE k = 50")
    eq(co.fetchall(), [(20,)], "twenty increments of one row, none lost")
    # Another transaction's locking read waits for the holder's (pipelined) write and lock.
    ca.execute("UPDATE kv SET v = 100 WHERE k = 1")
    done = {}

    def locker():
        cb.execute("SELECT v FROM kv WHERE k = 1 FOR UPDATE")
        done["v"] = cb.fetchall()

    th = threading.Thread(target=locker)
    th.start()
    time.sleep(0.5 * ctx.scale)
    check("v" not in done, "FOR UPDATE waits for the other transaction's write")
    a.commit()
    th.join(10 * ctx.scale)
    check("v" in done, "FOR UPDATE finished once the holder committed")
    # A locking read never returns a version older than the newest committed one (kv.h).
    eq(done["v"], [(100,)], "FOR UPDATE after the holder's commit reads its value")
    b.commit()
