#!/usr/bin/env python3
"""sql_perf_summary.py — where our node's time goes, from `perf script` output.

    perf script -i FILE.perf.data | bench/sql_perf_summary.py [--detail N]

Each sample's call stack is read from the leaf up; the first frame that belongs to a layer names
the sample's layer, so a libzmq send under pz_client_call counts as the session's KV round trip
and the same send under a kernel thread counts as the actors'. For each layer it prints the share
of all samples and how much of that share was spent inside the Linux kernel (syscalls, scheduling,
loopback TCP), which on these VMs is most of it.

Layers: pgwire (session loop, socket I/O, framing), parse (libpg_query and the AST), bind (binder
and planner, which runs on every Bind today), executor, kv client (the session thread's side of a
KV batch: encode, ZeroMQ, wait, decode), kernel actors (the txn/dist/repl/storage actors and the
kernel's messaging on kernel threads), lmdb; unattributed when the stack was cut short.
--detail N adds, per layer, the N user-space functions nearest the leaf that took most samples.
Record with `perf record --call-graph dwarf`: frame-pointer stacks are cut at libc and libzmq
(built without frame pointers), which leaves most samples unattributed.
"""
import collections
import re
import sys

LAYERS = [  # (name, regex on the symbol, regex on the dso); the leaf-most match wins
    ("lmdb", r"^mdb_", r"liblmdb"),
    ("parse", r"^(pg_query|pz_sql_parse|pz_ast_|pz__ast|protobuf_c|base_yy|core_yy|raw_parser)",
     r"libpg_query"),
    ("bind", r"^(pz_sql_bind_portal|pz_bind_|pz__bind|pz_sql_fn_resolve|pz_sql_bind)", None),
    ("executor", r"^(pz_sql_portal_run|pz_pn_|pz_scan_|pz_ex_|pz_eval|pz__eval|pz_dml|pz_sql_exec"
     r"|pz_agg|pz__agg|pz_sql_agg|pz_htab|pz__htab|pz_row|pz__row|pz_datum|pz_sql_cmp|pz_sql_hash)",
     None),
    ("kv client", r"^(pz_sql_kv_|pz_client_)", None),
    ("kernel actors", r"^(s_thread_main|pz__actor|pz_reply|pz_request)",
     r"pz_(txn|dist|repl|storage|engine_lmdb)\.so"),
    ("pgwire", r"^(pz_sql_session_run|pz__sess|pz_pgw_|s_session_main|(s_next|s_wait|s_flush)$)",
     None),
]
COMPILED = [(n, re.compile(s), re.compile(d) if d else None) for n, s, d in LAYERS]
FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")


def user_leaf(frames):
    """The first user-space function from the leaf (the code that made the syscall, if any)."""
    for sym, dso in frames:
        if "kernel.kallsyms" not in dso:
            return sym.split("+0x")[0] + " (" + dso.rsplit("/", 1)[-1] + ")"
    return "(kernel only)"


def classify(frames):
    """frames: [(sym, dso)] leaf first -> layer name."""
    for sym, dso in frames:
        sym = sym.split("+0x")[0]
        for name, sre, dre in COMPILED:
            if sre.search(sym) or (dre is not None and dre.search(dso)):
                return name
    return "unattributed"


def main():
    detail = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] == "--detail" else 0
    counts = collections.Counter()
    in_kernel = collections.Counter()
    leaves = collections.defaultdict(collections.Counter)
    frames = []
    total = 0

    def flush():
        nonlocal frames, total
        if frames:
            layer = classify(frames)
            counts[layer] += 1
            leaves[layer][user_leaf(frames)] += 1
            if "kernel.kallsyms" in frames[0][1]:
                in_kernel[layer] += 1
            total += 1
        frames = []

    for line in sys.stdin:
        if not line.strip():
            flush()
            continue
        if not line.startswith((" ", "\t")):
            flush()  # a sample header
            continue
        m = FRAME.match(line)
        if m:
            frames.append((m.group(1), m.group(2)))
    flush()
    if total == 0:
        print("no samples")
        return 1
    order = [n for n, _, _ in LAYERS] + ["unattributed"]
    print(f"{'layer':<16} {'samples':>8} {'share':>7} {'in the Linux kernel':>20}")
    for n in order:
        c = counts[n]
        k = 100.0 * in_kernel[n] / c if c else 0.0
        print(f"{n:<16} {c:>8} {100.0 * c / total:>6.1f}% {k:>19.0f}%")
        for sym, sc in leaves[n].most_common(detail):
            print(f"    {100.0 * sc / total:5.1f}%  {sym}")
    print(f"{'total':<16} {total:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
