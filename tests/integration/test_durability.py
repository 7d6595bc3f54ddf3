"""What is acknowledged is durable (DESIGN.md rule 4), checked with kill -9.

A loop writes keys one `kv put` at a time while a timer SIGKILLs the process holding the store at
a random moment; then the process is restarted and every put that returned 0 must be there with
its value, and nothing may be there that was never written. In the split topology the txn process
is killed too: the store survives, requests against the dead process fail cleanly (exit 2 with a
SQLSTATE, in bounded time), and after a restart everything acknowledged is still there.
The random seed is printed on failure; set PZ_SEED to replay one."""

import os
import random
import re
import threading
import time

from pz import TestFailure, check, eq, timeout, topologies

ERROR_RE = re.compile(rb"^error: .+ \(SQLSTATE [0-9A-Z]{5}\)$", re.M)
LOOP_S_MAX = 30  # a put loop stops after this even if the kill never landed (then it fails)


def _seed():
    return int(os.environ.get("PZ_SEED") or random.SystemRandom().randrange(1 << 30))


def _put_loop_with_kill(c, victim, rng, prefix, attempted, acked):
    """Puts prefix/N keys until the first failed put after `victim` was SIGKILLed at a random
    moment. Returns the failed put's Result. Every acknowledged put goes into `acked`."""
    kill_after_s = rng.uniform(0.3, 2.0)
    killed = threading.Event()

    def kill():
        victim.proc.kill()
        killed.set()

    timer = threading.Timer(kill_after_s, kill)
    timer.start()
    try:
        deadline = time.monotonic() + LOOP_S_MAX * c.ctx.scale
        i = 0
        while time.monotonic() < deadline:
            key = f"{prefix}/{i:06d}"
            value = f"{prefix}-{i}-" + "x" * rng.randrange(0, 300)
            attempted[key] = value
            r = c.kv("put", key, value)
            if r.rc == 0:
                acked[key] = value
            else:
                # Let a kill that is landing right now finish before judging the failure.
                check(killed.wait(1.0), f"a put failed while {victim.name} was alive: {r!r}")
                eq(r.rc, 2, f"exit code of a put with {victim.name} down ({r!r})")
                check(ERROR_RE.search(r.err), f"a failed put says why with a SQLSTATE: {r!r}")
                c.ctx.note(f"{victim.name} killed after {kill_after_s:.2f}s, {i} puts "
                           f"acknowledged in this round; then in {r.elapsed_s:.1f}s: "
                           f"{r.err.decode(errors='replace').strip()}")
                return r
            i += 1
        raise TestFailure(f"{victim.name} was killed after {kill_after_s:.2f}s but puts kept "
                          f"succeeding for {LOOP_S_MAX}s")
    finally:
        timer.cancel()
        timer.join()
        victim.proc.wait()


def _verify(c, prefix_start, prefix_end, attempted, acked, seed):
    rows = dict(c.scan(prefix_start, prefix_end, f"--limit={len(attempted) + 100}"))
    lost = [k for k in acked if rows.get(k.encode()) != acked[k].encode()]
    check(not lost, f"seed {seed}: {len(lost)} of {len(acked)} acknowledged puts lost or changed "
                    f"after kill -9, e.g. {lost[:5]}")
    bogus = [k for k, v in rows.items() if attempted.get(k.decode()) != v.decode()]
    check(not bogus, f"seed {seed}: keys never written (or with wrong values) after restart: "
                     f"{bogus[:5]}")
    # Point reads too, not only the scan path.
    for k in random.Random(seed).sample(sorted(acked), min(10, len(acked))):
        eq(c.get(k), acked[k].encode(), f"seed {seed}: get of acknowledged {k}")


@topologies("single", "split")
@timeout(240)
def test_durability_kill_storage(ctx):
    seed = _seed()
    ctx.note(f"seed {seed}")
    rng = random.Random(seed)
    c = ctx.cluster()
    attempted, acked = {}, {}
    for round_no in range(2):
        victim = c.storage_node
        _put_loop_with_kill(c, victim, rng, f"dur/{round_no}", attempted, acked)
        check(acked, f"seed {seed}: no put was acknowledged before the kill")
        if c.topology == "split":
            # The txn process stays up and keeps answering, with errors, while storage is gone.
            check(c.txn_node.alive(), "the txn process died with the storage process")
            r = c.kv("get", f"dur/{round_no}/000000")
            eq(r.rc, 2, f"get with storage down ({r!r})")
            check(ERROR_RE.search(r.err), f"a failed get says why with a SQLSTATE: {r!r}")
        victim.start()
        c.wait_ready()  # in split, the txn process must reconnect to the restarted storage
        _verify(c, "dur/", "dur0", attempted, acked, seed)
    c.put("dur-after", "ok")
    eq(c.get("dur-after"), b"ok", "writes work after the restarts")


@topologies("split")
@timeout(240)
def test_durability_kill_txn(ctx):
    seed = _seed()
    ctx.note(f"seed {seed}")
    rng = random.Random(seed)
    c = ctx.cluster()
    attempted, acked = {}, {}
    for i in range(20):
        c.put(f"txn/pre/{i:03d}", f"v{i}")
        attempted[f"txn/pre/{i:03d}"] = acked[f"txn/pre/{i:03d}"] = f"v{i}"

    c.txn_node.kill()
    check(c.storage_node.alive(), "the storage process died with the txn process")
    for args in (["get", "txn/pre/000"], ["put", "txn/down", "x"], ["scan", "txn/", "txn0"]):
        r = c.kv(*args)
        eq(r.rc, 2, f"exit code of `kv {args[0]}` with txn down ({r!r})")
        check(ERROR_RE.search(r.err), f"a failed request says why with a SQLSTATE: {r!r}")
        check(r.out == b"", f"nothing on stdout from a failed request: {r!r}")
    c.txn_node.start()
    c.wait_ready()
    _verify(c, "txn/", "txn0", attempted, acked, seed)

    # And a kill of the txn process in the middle of a write loop.
    _put_loop_with_kill(c, c.txn_node, rng, "txn/loop", attempted, acked)
    check(c.storage_node.alive(), "the storage process died with the txn process")
    c.txn_node.start()
    c.wait_ready()
    _verify(c, "txn/", "txn0", attempted, acked, seed)
