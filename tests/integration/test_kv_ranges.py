"""Several ranges on one node, through the KV CLI: `kv split` cuts the key space, and every
read answers exactly as before the split — gets, forward and reverse scans over the boundaries,
scans with a limit that stops inside a later range, and with a limit that ends exactly at a
boundary; splitting at an existing boundary is a no-op and a key below \\x04 is refused; a
non-transactional write over two ranges (DEL_RANGE across a boundary) is refused by dist with
PZ_ERANGE_SPAN, which the txn coordinator turns into an implicit transaction over both ranges:
the delete applies in both halves, and deletes inside one range work too; the ranges
survive a restart (both load from their store-local descriptors, meta2 lists them); and a node
started with a tiny --range-max-bytes splits by itself while keys are written, with the data
unchanged."""

import re

from pz import check, eq, free_port, topologies

KEYS = [f"rk/{i:03d}".encode() for i in range(60)]


def fill(c):
    for k in KEYS:
        c.put(k, b"v" + k)
    return [(k, b"v" + k) for k in KEYS]


def split(c, key):
    r = c.kv("split", key)
    check(r.rc == 0, f"split at {key!r}: {r!r}")
    return [line.split(b"\t") for line in r.out.splitlines()]


def reads(c):
    """Everything the tests compare before and after splits."""
    out = {"all": c.scan("rk/", "rk0"), "rev": c.scan("rk/", "rk0", "--reverse")}
    for lim in (1, 7, 10, 20, 25, 59, 60, 100):
        out[f"lim{lim}"] = c.scan("rk/", "rk0", f"--limit={lim}")
        out[f"rlim{lim}"] = c.scan("rk/", "rk0", "--reverse", f"--limit={lim}")
    out["mid"] = c.scan("rk/015", "rk/045")
    out["rmid"] = c.scan("rk/015", "rk/045", "--reverse", "--limit=17")
    out["gets"] = [c.get(k) for k in KEYS[::7]]
    return out


def meta2_ranges(c):
    r = c.kv("scan", b"\x03", b"\x04")
    check(r.rc == 0, f"meta2 scan: {r!r}")
    return r.out.count(b"\n")


@topologies("single", "split")
def test_kv_ranges_reads_across_splits(ctx):
    c = ctx.cluster()
    rows = fill(c)
    before = reads(c)
    eq(before["all"], rows, "scan before any split")
    got = split(c, "rk/020")
    eq([g[1:] for g in got], [[b"", b"rk/020"], [b"rk/020", b"\\xff\\xff"]],
       "split answers the left and right ranges")
    check(got[0][0] != got[1][0], f"the right range has a new id: {got!r}")
    split(c, "rk/040")
    split(c, "rk/010")  # a split of the left range, whose descriptor dist has cached
    eq(meta2_ranges(c), 4, "meta2 lists four ranges")
    after = reads(c)
    for name, want in before.items():
        eq(after[name], want, f"{name} after the splits")
    again = split(c, "rk/020")
    eq([g[1] for g in again], [b"rk/020"], "splitting at a boundary is a no-op success")
    eq(meta2_ranges(c), 4, "a no-op split adds no range")
    r = c.kv("split", b"\x03zz")
    check(r.rc == 2 and b"22023" in r.err, f"split below \\x04 refused: {r!r}")
    eq(c.scan("rk/", "rk0"), rows, "data unchanged after the refused split")


@topologies("single", "split")
def test_kv_ranges_write_span(ctx):
    c = ctx.cluster()
    rows = fill(c)
    split(c, "rk/030")
    r = c.kv("delrange", "rk/020", "rk/040")
    eq((r.rc, r.out), (0, b"20\n"), f"delrange over two ranges (an implicit transaction): {r!r}")
    eq(c.scan("rk/", "rk0"), rows[:20] + rows[40:], "both halves deleted")
    eq(c.scan("rk/020", "rk/040", "--reverse"), [], "nothing left between, read backwards")
    r = c.kv("delrange", "rk/010", "rk/020")
    eq((r.rc, r.out), (0, b"10\n"), f"delrange inside the left range: {r!r}")
    r = c.kv("delrange", "rk/040", "rk/045")
    eq((r.rc, r.out), (0, b"5\n"), f"delrange inside the right range: {r!r}")
    eq(c.scan("rk/", "rk0"), rows[:10] + rows[45:], "each range's delete applied")
    c.put("rk/025", "left")
    c.put("rk/035", "right")
    eq((c.get("rk/025"), c.get("rk/035")), (b"left", b"right"), "one write in each range")


@topologies("single")
def test_kv_ranges_restart(ctx):
    c = ctx.cluster()
    rows = fill(c)
    split(c, "rk/030")
    split(c, "rk/050")
    before = reads(c)
    c.stop()
    c.start()
    eq(meta2_ranges(c), 3, "meta2 lists three ranges after a restart")
    after = reads(c)
    for name, want in before.items():
        eq(after[name], want, f"{name} after a restart")
    eq(after["all"], rows, "every row after a restart")
    got = split(c, "rk/040")
    eq([g[1:] for g in got], [[b"rk/030", b"rk/040"], [b"rk/040", b"rk/050"]],
       "a split after the restart cuts the loaded range")
    eq(got[1][0], b"4", "the new range takes the next id after the restart (1-3 are taken)")
    c.put("rk/045", "x")
    eq(c.get("rk/045"), b"x", "writes route to the new range")


def test_kv_ranges_auto_split(ctx):
    store, port = ctx.dir / "store", free_port()
    host = f"127.0.0.1:{port}"
    n = ctx.node("auto", [ctx.bin, "start-single-node", f"--store={store}",
                          f"--listen-addr={host}", f"--sql-addr=127.0.0.1:{free_port()}",
                          "--range-max-bytes=8192"], host=host)
    n.start()

    def kv(*args):
        return ctx.cli("kv", *args, f"--host={host}")

    want = []
    for i in range(200):
        k, v = f"auto/{i:04d}".encode(), b"x" * 100 + str(i).encode()
        r = kv("put", k, v)
        check(r.rc == 0, f"put {k!r}: {r!r}")
        want.append((k, v))
    r = kv("scan", b"\x03", b"\x04")
    nranges = r.out.count(b"\n")
    check(nranges >= 3, f"about 22 KB written with an 8 KiB bound made ranges: {nranges}")
    ctx.note(f"{nranges} ranges after 200 puts of ~110 bytes with --range-max-bytes=8192")
    splits = len(re.findall(r"split range \d+: done", n.log_text()))
    check(splits == nranges - 1, f"the log reports each split ({splits} for {nranges} ranges)")
    r = kv("scan", "auto/", "auto0")
    rows = [tuple(line.split(b"\t")) for line in r.out.splitlines()]
    eq(rows, want, "every key, in order, after the automatic splits")
    r = kv("scan", "auto/", "auto0", "--reverse", "--limit=150")
    eq([tuple(line.split(b"\t")) for line in r.out.splitlines()], want[::-1][:150],
       "a limited reverse scan over the automatic ranges")
