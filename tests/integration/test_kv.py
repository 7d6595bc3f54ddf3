"""KV semantics through the CLI, on a real node: put/get/del, conditional put, forward and reverse
scans with limits and half-open bounds, range deletion, keys and values with bytes >= 0x80,
non-durable writes, large values; usage errors (exit 64) and an unreachable node (exit 2 with a
SQLSTATE, in bounded time). Each semantic test runs on both topologies: the answers must not
depend on whether txn and storage share a process."""

import re

from pz import check, eq, free_port, topologies

ERROR_RE = re.compile(rb"^error: .+ \(SQLSTATE [0-9A-Z]{5}\)$", re.M)


def test_version(ctx):
    r = ctx.cli("version")
    eq(r.rc, 0, "exit code of `phantomzero version`")
    check(re.fullmatch(rb"phantomzero \S+\n", r.out), f"version output: {r!r}")


@topologies("single", "split")
def test_kv_put_get_del(ctx):
    c = ctx.cluster()
    eq(c.get("pgd/a"), None, "get before any put")
    c.put("pgd/a", "1")
    eq(c.get("pgd/a"), b"1", "get after put")
    c.put("pgd/a", "2")
    eq(c.get("pgd/a"), b"2", "get after overwrite")
    c.put("pgd/b", "x y\tz")  # spaces and a tab are value bytes like any other
    eq(c.get("pgd/b"), b"x y\tz", "value with a space and a tab")
    r = c.kv("del", "pgd/a")
    eq((r.rc, r.out), (0, b""), f"del of a present key: {r!r}")
    eq(c.get("pgd/a"), None, "get after del")
    r = c.kv("del", "pgd/never")
    eq(r.rc, 0, f"del of a missing key: {r!r}")
    eq(c.get("pgd/b"), b"x y\tz", "other key untouched by del")
    c.put("pgd/a", "3")
    eq(c.get("pgd/a"), b"3", "put after del")


@topologies("single", "split")
def test_kv_cput(ctx):
    c = ctx.cluster()

    def cput(value, *cond):
        return c.kv("cput", "cp/k", value, *cond)

    r = cput("v1", "--expect-absent")
    eq(r.rc, 0, f"cput --expect-absent on an absent key: {r!r}")
    eq(c.get("cp/k"), b"v1", "value after cput")

    r = cput("v2", "--expect-absent")
    eq(r.rc, 1, f"cput --expect-absent on a present key: {r!r}")
    check(r.err.strip() and r.out == b"", f"a failed condition says why on stderr: {r!r}")
    eq(c.get("cp/k"), b"v1", "value after a failed cput")

    r = cput("v3", "--expect=nope")
    eq(r.rc, 1, f"cput with a wrong expected value: {r!r}")
    check(r.err.strip(), f"a failed condition says why on stderr: {r!r}")
    eq(c.get("cp/k"), b"v1", "value after a failed cput")

    r = cput("v4", "--expect=v1")
    eq(r.rc, 0, f"cput with the right expected value: {r!r}")
    eq(c.get("cp/k"), b"v4", "value after cput")

    r = c.kv("cput", "cp/absent", "v", "--expect=v")
    eq(r.rc, 1, f"cput --expect=VALUE on an absent key: {r!r}")
    eq(c.get("cp/absent"), None, "absent key after a failed cput")

    c.kv("del", "cp/k")
    r = cput("v5", "--expect-absent")
    eq(r.rc, 0, f"cput --expect-absent on a deleted key: {r!r}")
    eq(c.get("cp/k"), b"v5", "value after cput on a deleted key")


@topologies("single", "split")
def test_kv_scan_limits_and_reverse(ctx):
    c = ctx.cluster()
    keys = [f"s/{i:02d}".encode() for i in range(10)]
    for k in keys:
        c.put(k, b"v" + k)
    c.put("r/outside", "x")  # before the span
    c.put("t/outside", "x")  # after it
    allrows = [(k, b"v" + k) for k in keys]

    eq(c.scan("s/", "s0"), allrows, "full scan of the span")
    eq(c.scan("s/", "s0", "--limit=3"), allrows[:3], "scan --limit=3")
    eq(c.scan("s/", "s0", "--limit=1"), allrows[:1], "scan --limit=1")
    eq(c.scan("s/", "s0", "--limit=100"), allrows, "scan with a limit above the count")
    eq(c.scan("s/", "s0", "--reverse"), allrows[::-1], "reverse scan")
    eq(c.scan("s/", "s0", "--reverse", "--limit=3"), allrows[::-1][:3],
       "reverse scan --limit=3 starts from the end")
    eq(c.scan("s/03", "s/06"), allrows[3:6], "scan [s/03, s/06): end excluded")
    eq(c.scan("s/03", "s/06", "--reverse"), allrows[3:6][::-1], "reverse scan [s/03, s/06)")
    eq(c.scan("s/031", "s/05"), allrows[4:5], "scan between keys")
    eq(c.scan("u/", "u0"), [], "scan of an empty span")
    r = c.kv("scan", "u/", "u0")
    eq((r.rc, r.out), (0, b""), "empty scan prints nothing and exits 0")

    c.kv("del", "s/05")
    eq(c.scan("s/04", "s/07"), [allrows[4], allrows[6]], "scan skips a deleted key")


@topologies("single", "split")
def test_kv_delrange(ctx):
    c = ctx.cluster()
    for k in "abcde":
        c.put(f"dr/{k}", k)
    c.put("dr0", "after the span")
    r = c.kv("delrange", "dr/b", "dr/d")
    eq((r.rc, r.out), (0, b"2\n"), f"delrange [dr/b, dr/d) deletes 2: {r!r}")
    eq([k for k, _ in c.scan("dr/", "dr0")], [b"dr/a", b"dr/d", b"dr/e"], "keys after delrange")
    r = c.kv("delrange", "dr/b", "dr/d")
    eq((r.rc, r.out), (0, b"0\n"), f"delrange of an already empty span: {r!r}")
    r = c.kv("delrange", "dr/", "dr0")
    eq((r.rc, r.out), (0, b"3\n"), f"delrange of the rest: {r!r}")
    eq(c.scan("dr/", "dr0"), [], "span empty after delrange")
    eq(c.get("dr0"), b"after the span", "key at the end bound survives (end excluded)")


@topologies("single", "split")
def test_kv_binary_keys(ctx):
    """Keys and values are raw argument bytes, compared as unsigned bytes."""
    c = ctx.cluster()
    suffixes = [b"\x01", b"A", b"a", b"\x7f", b"\x80", b"\xc3\xa9", b"\xfe", b"\xff\xff"]
    keys = [b"bin/" + s for s in suffixes]
    for i, k in enumerate(keys):
        c.put(k, b"\xff\x80val" + bytes([0x80 + i]))
    for i, k in enumerate(keys):
        eq(c.get(k), b"\xff\x80val" + bytes([0x80 + i]), f"get of binary key {k!r}")
    want = sorted((k, b"\xff\x80val" + bytes([0x80 + i])) for i, k in enumerate(keys))
    eq(c.scan(b"bin/", b"bin0"), want, "scan orders keys as unsigned bytes")
    eq(c.scan(b"bin/\x80", b"bin/\xff"), [r for r in want if b"bin/\x80" <= r[0] < b"bin/\xff"],
       "scan with binary bounds")
    eq(c.scan(b"bin/", b"bin0", "--reverse", "--limit=2"), want[::-1][:2],
       "reverse scan from the high bytes")
    r = c.kv("delrange", b"bin/\x80", b"bin0")
    eq((r.rc, r.out), (0, b"4\n"), f"delrange over high bytes: {r!r}")


@topologies("single", "split")
def test_kv_no_sync_and_large_value(ctx):
    c = ctx.cluster()
    c.put("ns/a", "fast", sync=False)
    eq(c.get("ns/a"), b"fast", "a --no-sync write is readable")
    # Bytes 0x20-0xff (no NUL, tab or newline, so scan lines stay parseable), under argv's 128 KiB.
    big = bytes(0x20 + (i * 7) % 0xE0 for i in range(120_000))
    c.put("big/1", big)
    eq(c.get("big/1"), big, "a 120 kB value round-trips")
    rows = c.scan("big/", "big0")
    eq(len(rows), 1, "scan of the large value")
    eq(rows[0][1], big, "scan returns the whole large value")


def test_kv_usage_errors(ctx):
    """Usage errors exit 64 with a message, before talking to any node."""
    host = f"--host=127.0.0.1:{free_port()}"  # nothing listens there
    cases = [
        ["kv"],
        ["kv", "frobnicate", host],
        ["kv", "put", "only-key", host],
        ["kv", "put", "k", "v", "extra", host],
        ["kv", "get", host],
        ["kv", "cput", "k", "v", host],  # neither --expect nor --expect-absent
        ["kv", "cput", "k", "v", "--expect=a", "--expect-absent", host],
        ["kv", "scan", "a", host],
        ["kv", "scan", "a", "b", "--limit=abc", host],
        ["kv", "put", "k", "v", "--bogus-flag", host],
        ["no-such-command"],
    ]
    wrong = []  # every case is tried, and all that fail are reported together
    for args in cases:
        r = ctx.cli(*args, timeout_s=5 * ctx.scale, hang_ok=True)
        if r.rc != 64 or not r.err.strip():
            wrong.append(f"want exit 64 and a message: {r!r}")
    check(not wrong, f"{len(wrong)} of {len(cases)} usage errors mishandled:\n" + "\n".join(wrong))


def test_kv_unreachable_node(ctx):
    """A node that is not there: exit 2, "error: ... (SQLSTATE 08006)", after the connect wait."""
    host = f"--host=127.0.0.1:{free_port()}"
    for args in (["kv", "get", "k", host], ["kv", "put", "k", "v", host],
                 ["kv", "ping", host]):
        r = ctx.cli(*args)
        eq(r.rc, 2, f"exit code against an unreachable node ({r!r})")
        check(ERROR_RE.search(r.err), f"error message with a SQLSTATE on stderr: {r!r}")
        check(r.out == b"", f"nothing on stdout: {r!r}")
        # refused as unreachable (08006) after the connect wait, not a 10 s request timeout
        check(b"SQLSTATE 08006" in r.err, f"a dead node is 08006, not a timeout: {r!r}")



@topologies("single", "split")
def test_kv_reserved_keyspace(ctx):
    """Writes into the node's own bookkeeping (store-local \\x01, meta1 \\x02, meta2 \\x03 keys)
    are refused with 42501 and change nothing; reading meta2 is allowed; after a restart (empty
    range cache: routing goes through meta2 again) the node still serves user keys."""
    c = ctx.cluster()
    for key in (b"\x03zz", b"\x02zz", b"\x01rdsc", b"\x03\xff\xff"):
        r = c.kv("put", key, b"evil")
        eq(r.rc, 2, f"put {key!r} into the reserved keyspace ({r!r})")
        check(b"SQLSTATE 42501" in r.err, f"refused with 42501: {r!r}")
    r = c.kv("delrange", b"\x02", b"\x05")
    check(r.rc == 2 and b"42501" in r.err, f"delrange over meta refused: {r!r}")
    r = c.kv("scan", b"\x03", b"\x04")
    eq(r.rc, 0, f"reading meta2 is allowed ({r!r})")
    check(b"evil" not in r.out and r.out.count(b"\n") == 1, f"meta2 holds range 1 only: {r.out!r}")
    c.stop()
    c.start()
    c.put("user/k", "v")
    eq(c.get("user/k"), b"v", "user keys route after a restart")
