#!/usr/bin/python3
"""Integration test runner: real phantomzero processes on loopback, driven through the CLI.

    tests/integration/run.py --build-dir build [--topology single|split|all] [-k PATTERN[,...]]
                             [--keep] [--list]

Discovers the test_* functions of tests/integration/test_*.py, runs each (once per topology it is
marked for, see pz.topologies) with its own pz.Ctx, within its time bound, and prints PASS or FAIL
per test (a failure with the reason, the tail of each process log and the last CLI commands),
then "N passed, N failed". Exit code 1 on any failure, or when nothing was selected.
-k keeps the tests whose full name (file::function[topology]) contains any of the patterns.

Only the standard library: run it with Debian's /usr/bin/python3.
"""

import argparse
import importlib
import inspect
import signal
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, str(HERE))

import pz  # noqa: E402

DEFAULT_TIMEOUT_S = 120


class TestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise TestTimeout()


def _on_term(signum, frame):
    # A runner stopped from outside (test.sh's timeout) still cleans up its processes.
    raise SystemExit(f"runner: signal {signum}, stopping")


def discover():
    tests = []
    for path in sorted(HERE.glob("test_*.py")):
        mod = importlib.import_module(path.stem)
        fns = [f for n, f in vars(mod).items()
               if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == mod.__name__]
        fns.sort(key=lambda f: f.__code__.co_firstlineno)
        for fn in fns:
            for topo in getattr(fn, "pz_topologies", (None,)):
                name = f"{path.stem}::{fn.__name__}" + (f"[{topo}]" if topo else "")
                tests.append((name, fn, topo))
    return tests


def is_sanitized(build_dir):
    cache = Path(build_dir) / "CMakeCache.txt"
    try:
        return "PZ_SANITIZE:BOOL=ON" in cache.read_text(errors="replace")
    except FileNotFoundError:
        return False


def run_one(name, fn, topo, args, scale):
    ctx = pz.Ctx(args.build_dir, name, topo, scale=scale, keep=args.keep)
    limit = int(getattr(fn, "pz_timeout_s", DEFAULT_TIMEOUT_S) * scale)
    reason = None
    t0 = time.monotonic()
    signal.alarm(limit)
    try:
        fn(ctx)
    except TestTimeout:
        reason = f"timed out after {limit}s"
    except pz.TestFailure as e:
        reason = f"{e}\n{_where(e)}"
    except Exception:  # a bug in the test, or something unexpected: same outcome, full trace
        reason = traceback.format_exc()
    except BaseException:  # the runner itself is being stopped: clean up, then go
        signal.alarm(0)
        ctx.close(failed=True)
        raise
    finally:
        signal.alarm(0)
    problems = ctx.close(failed=reason is not None)
    if problems and reason is None:
        reason = "\n".join(problems)
    elif problems:
        reason += "\n" + "\n".join(problems)
    dt = time.monotonic() - t0
    print(f"{'PASS' if reason is None else 'FAIL'}  {name} ({dt:.1f}s)")
    for note in ctx.notes:
        print(f"  note: {note}")
    sys.stdout.flush()
    if reason is None:
        return True
    print("  " + reason.rstrip().replace("\n", "\n  "))
    print(ctx.diagnostics(), flush=True)
    return False


def _where(e):
    """The test-file line that raised, for a failed check."""
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if Path(f.filename).name.startswith("test_")]
    return f"  at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--topology", choices=("single", "split", "all"), default="all")
    ap.add_argument("-k", dest="pattern", default="",
                    help="comma-separated substrings of test names to run")
    ap.add_argument("--keep", action="store_true", help="keep the temp folders of passing tests")
    ap.add_argument("--list", action="store_true", help="list the selected tests and exit")
    args = ap.parse_args()

    patterns = [p for p in args.pattern.split(",") if p]
    selected = [t for t in discover()
                if (args.topology == "all" or t[2] in (None, args.topology))
                and (not patterns or any(p in t[0] for p in patterns))]
    if args.list:
        print("\n".join(t[0] for t in selected))
        return 0
    if not selected:
        print(f"no test matches --topology={args.topology} -k {args.pattern!r}")
        print("0 passed, 0 failed")
        return 1

    binary = Path(args.build_dir) / "bin" / "phantomzero"
    if not binary.is_file():
        print(f"FAIL  {binary} does not exist: build first")
        print(f"0 passed, {len(selected)} failed")
        return 1

    # Sanitized builds run several times slower, and so does every CLI command they start.
    scale = 3.0 if is_sanitized(args.build_dir) else 1.0
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    print(f"integration: {len(selected)} tests, binary {binary.resolve()}"
          + (f", timeouts x{scale:g} (sanitized build)" if scale != 1 else ""), flush=True)
    passed = failed = 0
    t0 = time.monotonic()
    for name, fn, topo in selected:
        if run_one(name, fn, topo, args, scale):
            passed += 1
        else:
            failed += 1
    print(f"integration: {time.monotonic() - t0:.0f}s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
