#!/usr/bin/python3
"""sqllogictest runner over the PostgreSQL wire protocol (psycopg2 only).

Runs SQLite's sqllogictest files (../shared/sqllogictest, see its README for
the format) against PostgreSQL or a Phantom Zero node, identifying itself as
the engine `postgresql` for skipif/onlyif, and prints a pass rate per file.

  run.py --target postgres --dsn "host=127.0.0.1 port=P user=postgres dbname=postgres"
      each file runs in a fresh database slt_<n> (created, then dropped)
  run.py --target phantomzero --build-dir build
      each file runs against a freshly started node (new store), database defaultdb
  run.py --dsn DSN
      every file runs in the database DSN names, as it is (no isolation)

A record counts as *run* when it is a statement or query that is not skipped by
skipif/onlyif and comes before a halt; it *passes* when it behaves as the file
expects. --record FILE writes {file: passed}; --check FILE exits 1 if any file
passes fewer records than recorded there.
"""

import argparse
import glob
import hashlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import psycopg2
import psycopg2.extensions

ENGINE = "postgresql"
DEFAULT_HASH_THRESHOLD = 8  # the reference runner's default (select1.test relies on it)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
DEFAULT_GLOB = os.path.join(SHARED, "sqllogictest", "test", "**", "*.test")


# ---------------------------------------------------------------- parsing

class Record:
    __slots__ = ("kind", "line", "conds", "expect_error", "types", "sort",
                 "label", "sql", "expected")

    def __init__(self, kind, line, conds):
        self.kind = kind          # statement | query | halt | hash-threshold
        self.line = line          # 1-based line of the command
        self.conds = conds        # [(skipif|onlyif, engine)]
        self.expect_error = False
        self.types = ""
        self.sort = "nosort"
        self.label = None
        self.sql = ""
        self.expected = None      # list of lines, or None for "no ---- section"


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", errors="surrogateescape")
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def parse(path):
    """Yield Records. Blank lines separate records; '#' lines are comments."""
    lines = read_lines(path)
    i, n = 0, len(lines)
    while i < n:
        # gather one block of non-blank lines, dropping comments
        while i < n and lines[i].strip() == "":
            i += 1
        if i >= n:
            break
        block = []
        while i < n and lines[i].strip() != "":
            if not lines[i].startswith("#"):
                block.append((i + 1, lines[i]))
            i += 1
        if not block:
            continue
        conds = []
        j = 0
        while j < len(block):
            words = block[j][1].split()
            if words and words[0] in ("skipif", "onlyif") and len(words) >= 2:
                conds.append((words[0], words[1]))
                j += 1
            else:
                break
        if j >= len(block):
            continue
        lineno, head = block[j]
        words = head.split()
        body = [ln for _, ln in block[j + 1:]]
        cmd = words[0]
        if cmd == "statement":
            r = Record("statement", lineno, conds)
            r.expect_error = len(words) > 1 and words[1] == "error"
            r.sql = "\n".join(body)
            yield r
        elif cmd == "query":
            r = Record("query", lineno, conds)
            r.types = words[1] if len(words) > 1 else ""
            if len(words) > 2:
                r.sort = words[2]
            if len(words) > 3:
                r.label = words[3]
            if "----" in body:
                k = body.index("----")
                r.sql = "\n".join(body[:k])
                r.expected = body[k + 1:]
            else:
                r.sql = "\n".join(body)
            yield r
        elif cmd == "halt":
            yield Record("halt", lineno, conds)
        elif cmd == "hash-threshold":
            r = Record("hash-threshold", lineno, conds)
            r.sql = words[1] if len(words) > 1 else "0"
            yield r
        else:
            # unknown record kinds are ignored (not counted)
            continue


def applies(conds):
    for kind, engine in conds:
        if kind == "skipif" and engine == ENGINE:
            return False
        if kind == "onlyif" and engine != ENGINE:
            return False
    return True


# ---------------------------------------------------------------- rendering

def _numeric_prefix(s, want_float):
    """Leading numeric prefix of a string, as SQLite's text->number cast reads it."""
    s = s.strip()
    best = None
    for end in range(len(s), 0, -1):
        try:
            best = float(s[:end]) if want_float else int(s[:end])
            break
        except ValueError:
            if not want_float:
                try:
                    best = int(float(s[:end]))
                    break
                except (ValueError, OverflowError):
                    pass
            continue
    return best if best is not None else 0


def render(value, letter):
    if value is None:
        return "NULL"
    if letter == "I":
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int):
            return "%d" % value
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return "0"
            return "%d" % int(value)  # truncation toward zero, like a C cast
        try:
            import decimal
            if isinstance(value, decimal.Decimal):
                if not value.is_finite():
                    return "0"
                return "%d" % int(value)
        except Exception:
            pass
        return "%d" % int(_numeric_prefix(str(value), False))
    if letter == "R":
        if isinstance(value, bool):
            return "%.3f" % (1.0 if value else 0.0)
        if isinstance(value, (int, float)):
            return "%.3f" % value
        try:
            return "%.3f" % float(value)
        except (TypeError, ValueError):
            return "%.3f" % _numeric_prefix(str(value), True)
    # T (and anything else): text
    if isinstance(value, bool):
        s = "true" if value else "false"
    elif isinstance(value, (bytes, bytearray, memoryview)):
        s = bytes(value).decode("latin-1")
    else:
        s = str(value)
    if s == "":
        return "(empty)"
    return "".join(c if " " <= c <= "~" else "@" for c in s)


def md5_of(values):
    h = hashlib.md5()
    for v in values:
        h.update(v.encode("utf-8", errors="surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()


def _bkey(v):
    return v.encode("utf-8", errors="surrogateescape")


# ---------------------------------------------------------------- connection

class Timeout(Exception):
    pass


class Conn:
    """An asynchronous psycopg2 connection (always autocommit) with a per-statement
    timeout enforced on the socket: past it the query is cancelled and, if the
    server does not answer the cancel, the connection is dropped and reopened."""

    def __init__(self, dsn, timeout_s):
        self.dsn = dsn
        self.timeout_s = timeout_s
        self.conn = None
        self.connect()

    def connect(self):
        self.close()
        self.conn = psycopg2.connect(self.dsn, async_=1)
        self._wait(self.timeout_s)

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None

    def _wait(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.conn.poll()
            if state == psycopg2.extensions.POLL_OK:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            fd = self.conn.fileno()
            if state == psycopg2.extensions.POLL_READ:
                select.select([fd], [], [], left)
            elif state == psycopg2.extensions.POLL_WRITE:
                select.select([], [fd], [], left)
            else:
                raise psycopg2.OperationalError("bad poll state %r" % state)

    def execute(self, sql, want_rows):
        """Run sql; return (rows or None). Raises psycopg2.Error or Timeout."""
        if self.conn is None or self.conn.closed:
            self.connect()
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
            try:
                self._wait(self.timeout_s)
            except Timeout:
                self._cancel()
                raise
            if want_rows:
                if cur.description is None:
                    return None
                return cur.fetchall(), len(cur.description)
            return None
        finally:
            try:
                cur.close()
            except Exception:
                pass

    def _cancel(self):
        try:
            self.conn.cancel()
            self._wait(5)
            return
        except Exception:
            pass
        self.connect()


# ---------------------------------------------------------------- running

class FileResult:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.total = 0
        self.failures = []  # (line, reason)
        self.aborted = None


def run_query(conn, r, labels, threshold):
    try:
        res = conn.execute(r.sql, True)
    except Timeout:
        return "timeout"
    except psycopg2.Error as e:
        msg = (e.pgerror or str(e)).strip()
        return "error %s: %s" % (e.pgcode, msg.splitlines()[0] if msg else "")
    if res is None:
        return "query returned no result set"
    rows, ncols = res
    if ncols != len(r.types):
        return "%d columns, types say %d" % (ncols, len(r.types))
    rendered = [[render(v, r.types[i]) for i, v in enumerate(row)] for row in rows]
    if r.sort == "rowsort":
        rendered.sort(key=lambda row: [_bkey(v) for v in row])
        values = [v for row in rendered for v in row]
    elif r.sort == "valuesort":
        values = sorted((v for row in rendered for v in row), key=_bkey)
    else:
        values = [v for row in rendered for v in row]
    got_hash = md5_of(values)
    expected = r.expected if r.expected is not None else []
    if len(expected) == 1 and " values hashing to " in expected[0]:
        parts = expected[0].split()
        want_n, want_hash = int(parts[0]), parts[-1]
        if len(values) != want_n:
            reason = "%d values, expected %d" % (len(values), want_n)
        elif got_hash != want_hash:
            reason = "hash mismatch"
        else:
            reason = None
    else:
        if len(values) != len(expected):
            reason = "%d values, expected %d" % (len(values), len(expected))
        else:
            reason = None
            for k, (g, w) in enumerate(zip(values, expected)):
                if g != w:
                    reason = "value %d: got %r expected %r" % (k, g, w)
                    break
    if r.label is not None:
        prior = labels.get(r.label)
        if prior is None:
            labels[r.label] = (got_hash, r.line)
        elif prior[0] != got_hash and reason is None:
            reason = "result differs from %s at line %d" % (r.label, prior[1])
    return reason


def run_file(path, name, conn, max_records, verbose):
    fr = FileResult(path)
    labels = {}
    threshold = DEFAULT_HASH_THRESHOLD
    for r in parse(path):
        if not applies(r.conds):
            continue
        if r.kind == "halt":
            break
        if r.kind == "hash-threshold":
            try:
                threshold = int(r.sql)
            except ValueError:
                pass
            continue
        if max_records is not None and fr.total >= max_records:
            break
        fr.total += 1
        if r.kind == "statement":
            try:
                conn.execute(r.sql, False)
                reason = "statement succeeded, expected an error" if r.expect_error else None
            except Timeout:
                reason = "timeout"
            except psycopg2.Error as e:
                if r.expect_error:
                    reason = None
                else:
                    msg = (e.pgerror or str(e)).strip()
                    reason = "error %s: %s" % (e.pgcode, msg.splitlines()[0] if msg else "")
            if conn.conn is None or conn.conn.closed:
                conn.connect()
        else:
            reason = run_query(conn, r, labels, threshold)
            if conn.conn is None or conn.conn.closed:
                conn.connect()
        if reason is None:
            fr.passed += 1
        else:
            fr.failures.append((r.line, reason))
            if verbose:
                print("  %s:%d: %s" % (name, r.line, reason), flush=True)
    return fr


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class PZNode:
    def __init__(self, build_dir):
        self.bin = os.path.join(build_dir, "bin", "phantomzero")
        if not os.access(self.bin, os.X_OK):
            sys.exit("run.py: no phantomzero binary at %s" % self.bin)
        self.proc = None
        self.store = None

    def start(self):
        self.store = tempfile.mkdtemp(prefix="slt-pz-")
        self.sql_port = free_port()
        listen_port = free_port()
        self.log = open(os.path.join(self.store, "node.log"), "wb")
        self.proc = subprocess.Popen(
            [self.bin, "start-single-node", "--store=%s" % os.path.join(self.store, "data"),
             "--listen-addr=127.0.0.1:%d" % listen_port, "--sql-addr=127.0.0.1:%d" % self.sql_port],
            stdout=self.log, stderr=subprocess.STDOUT)
        dsn = "host=127.0.0.1 port=%d user=root dbname=defaultdb connect_timeout=5" % self.sql_port
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("phantomzero exited with %s, log in %s" % (self.proc.returncode, self.store))
            try:
                psycopg2.connect(dsn).close()
                return dsn
            except psycopg2.Error:
                if time.monotonic() > deadline:
                    raise RuntimeError("phantomzero did not accept SQL connections in 30s")
                time.sleep(0.05)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()
        if self.store:
            shutil.rmtree(self.store, ignore_errors=True)
            self.store = None


def dsn_with_db(dsn, db):
    return psycopg2.extensions.make_dsn(dsn, dbname=db)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", help="libpq DSN (with --target postgres: the admin database)")
    ap.add_argument("--target", choices=["postgres", "phantomzero"])
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("--files", nargs="+", default=[DEFAULT_GLOB], help="files or globs (** allowed)")
    ap.add_argument("--max-records", type=int, default=None, help="run at most N records per file")
    ap.add_argument("--record", help="write {file: passed} JSON here")
    ap.add_argument("--check", help="exit 1 if any file passes fewer records than recorded here")
    ap.add_argument("--timeout-s", type=float, default=30.0, help="per-statement timeout")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every failing record")
    args = ap.parse_args()

    if args.target is None and args.dsn is None:
        ap.error("give --dsn or --target")

    files = []
    for g in args.files:
        found = sorted(glob.glob(g, recursive=True)) if any(c in g for c in "*?[") else [g]
        files.extend(f for f in found if os.path.isfile(f))
    if not files:
        sys.exit("run.py: no files match %s" % args.files)

    node = PZNode(args.build_dir) if args.target == "phantomzero" else None
    admin = None
    if args.target == "postgres":
        admin_dsn = args.dsn or "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
        admin = psycopg2.connect(admin_dsn)
        admin.autocommit = True

    results = []
    t_all = time.monotonic()
    try:
        for n, path in enumerate(files):
            name = os.path.relpath(path, SHARED) if path.startswith(SHARED + os.sep) else path
            t0 = time.monotonic()
            conn = None
            dbname = None
            try:
                if args.target == "postgres":
                    dbname = "slt_%d" % n
                    with admin.cursor() as c:
                        c.execute("DROP DATABASE IF EXISTS %s" % dbname)
                        c.execute("CREATE DATABASE %s" % dbname)
                    dsn = dsn_with_db(admin_dsn, dbname)
                    dsn = psycopg2.extensions.make_dsn(
                        dsn, options="-c statement_timeout=%d" % int(args.timeout_s * 1000))
                elif args.target == "phantomzero":
                    dsn = node.start()
                else:
                    dsn = args.dsn
                conn = Conn(dsn, args.timeout_s + 5 if args.target == "postgres" else args.timeout_s)
                fr = run_file(path, name, conn, args.max_records, args.verbose)
            except Exception as e:  # setup failure: the file counts as 0 passed
                fr = FileResult(path)
                fr.aborted = "%s: %s" % (type(e).__name__, e)
            finally:
                if conn is not None:
                    conn.close()
                if dbname is not None:
                    try:
                        with admin.cursor() as c:
                            c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % dbname)
                    except psycopg2.Error as e:
                        print("run.py: could not drop %s: %s" % (dbname, e), file=sys.stderr)
                if node is not None:
                    node.stop()
            fr.name = name
            results.append(fr)
            pct = 100.0 * fr.passed / fr.total if fr.total else 0.0
            extra = "  ABORTED: %s" % fr.aborted if fr.aborted else ""
            print("%s: %d/%d records (%.1f%%) [%.1fs]%s" % (name, fr.passed, fr.total, pct,
                                                          time.monotonic() - t0, extra), flush=True)
    finally:
        if admin is not None:
            admin.close()

    tp = sum(r.passed for r in results)
    tt = sum(r.total for r in results)
    print("total: %d/%d records (%.1f%%) in %d files [%.1fs]" % (
        tp, tt, 100.0 * tp / tt if tt else 0.0, len(results), time.monotonic() - t_all), flush=True)

    if args.record:
        with open(args.record, "w") as f:
            json.dump({r.name: r.passed for r in results}, f, indent=1, sort_keys=True)
            f.write("\n")
    rc = 0
    if args.check:
        with open(args.check) as f:
            floor = json.load(f)
        for r in results:
            if r.name in floor and r.passed < floor[r.name]:
                print("REGRESSION: %s passed %d < recorded %d" % (r.name, r.passed, floor[r.name]))
                rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
