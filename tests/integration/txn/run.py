#!/usr/bin/python3
"""Runs the transaction suites against one target and prints expected-vs-got tables.

    tests/integration/txn/run.py --target pg|pz|dsn [--build-dir build] [--dsn DSN --flavor F]
        [--suite anomalies,locks,bank,append] [--case NAME[,NAME]] [--levels rc,ser]
        [--duration S] [--clients N] [--workload-level ser] [--block-s S] [--summary-only]
        [--keep]

pg: a private PostgreSQL 15 (held to its recorded outcomes exactly); pz: a Phantom Zero single
node from --build-dir (held to "at least as strict as PostgreSQL"); dsn: any server, --flavor
postgres to hold it to PostgreSQL's exact outcomes (and use its lock-wait probe), other for the
strictness rule. Exit code 1 when any case or workload fails its rule.

Written by hand; only the standard library and Debian's psycopg2 (run with /usr/bin/python3).
The default integration run (tests/integration/test_txn_pg15.py) covers the pg target; this entry
point exists so the same suites can be pointed at Phantom Zero without editing anything.
"""

import argparse
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pz  # noqa: E402
from txn import anomalies, bank, listappend, locks, report, targets  # noqa: E402

SUITES = ("anomalies", "locks", "bank", "append")


def _target(args, ctx):
    levels = tuple(args.levels.split(",")) if args.levels else None
    if args.target == "pg":
        return targets.postgres(ctx, levels or ("rc", "rr", "ser"))
    if args.target == "pz":
        return targets.phantomzero(ctx, levels or ("rc", "ser"), args.block_s)
    if not args.dsn:
        sys.exit("--target dsn needs --dsn")
    return targets.from_dsn(args.dsn, args.flavor, levels or ("rc", "ser"), args.block_s)


def _scripted(name, cases, target, args):
    only = [c for c in args.case.split(",") if c] if args.case else None
    results = report.run_scripted(target, cases, only=only)
    if not args.summary_only:
        for case, level, obs, v in results:
            print(report.case_table(case, level, obs, v, target.name), flush=True)
    print(f"\n== {name}")
    print(report.summary(results, target.name), flush=True)
    return all(v.ok for _, _, _, v in results)


def _workload(name, fn, target, args):
    res = fn(target, duration_s=args.duration, clients=args.clients, level=args.workload_level)
    print(f"\n== {name}\n{res.describe()}", flush=True)
    return res.ok


def run(args, ctx):
    target = _target(args, ctx)
    ok = True
    try:
        for suite in args.suite.split(","):
            if suite == "anomalies":
                ok &= _scripted("anomalies", anomalies.CASES, target, args)
            elif suite == "locks":
                ok &= _scripted("locks", locks.CASES, target, args)
            elif suite == "bank":
                ok &= _workload("bank", bank.run_bank, target, args)
            elif suite == "append":
                ok &= _workload("list-append", listappend.run_append, target, args)
            else:
                sys.exit(f"unknown suite {suite!r} (have {', '.join(SUITES)})")
    finally:
        target.close()
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", choices=("pg", "pz", "dsn"), required=True)
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--dsn")
    ap.add_argument("--flavor", choices=("postgres", "other"), default="other")
    ap.add_argument("--suite", default=",".join(SUITES))
    ap.add_argument("--case", default="", help="comma-separated substrings of case names")
    ap.add_argument("--levels", default="", help="comma-separated: rc, rr, ser")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per workload")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workload-level", choices=("rc", "rr", "ser"), default="ser",
                    help="isolation level of the bank and list-append workloads")
    ap.add_argument("--block-s", type=float, default=None,
                    help="seconds before a statement counts as blocked (no probe)")
    ap.add_argument("--summary-only", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the servers' folder")
    args = ap.parse_args()

    ctx = pz.Ctx(args.build_dir, f"txn-{args.target}", keep=args.keep)
    failed = True
    try:
        failed = not run(args, ctx)
    finally:
        for problem in ctx.close(failed=False):  # the folder stays only with --keep
            print(f"cleanup: {problem}")
    print(f"\ntxn suites on {args.target}: {'all passed' if not failed else 'FAILURES (above)'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
