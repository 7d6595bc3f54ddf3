"""Helpers for the integration tests: real phantomzero processes on loopback, driven by the CLI.

A test gets a Ctx: its own temporary folder, the binary under test, and a registry of every process
and mount it made, so that Ctx.close() cleans all of them up whatever happened (SIGTERM, then
SIGKILL; unmount; the folder removed unless the test failed). Processes write their output to log
files in that folder; a failing test prints the tail of each log and the last CLI commands run.

Topologies (Ctx.cluster):
  single   one process, `phantomzero start-single-node --store=DIR --listen-addr=...`
  split    two processes from configs/split-a.cfg (txn + dist, the one the CLI talks to) and
           configs/split-b.cfg (repl + storage, holds the store), ports and store overridden with
           --set and --store.

Only the standard library; runs on Debian's /usr/bin/python3.
"""

import collections
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"

READY_TIMEOUT_S = 20  # a node answers `kv ping` and a read goes through within this
CLI_TIMEOUT_S = 30  # one CLI command; the server's own request timeout is 10 s
STOP_TIMEOUT_S = 15  # SIGTERM to exit
LOG_TAIL_LINES = 60

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")



def _stacks(pid):
    """The threads' stacks of a hung process (gdb, when installed): why it did not stop."""
    if shutil.which("gdb") is None:
        return ""
    try:
        p = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                           capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "(gdb did not answer within 60 s)"
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith(("#", "Thread"))]
    return "\n".join(lines[:120])


class TestFailure(AssertionError):
    """A failed expectation; its message is printed as the reason."""


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def eq(got, want, what):
    if got != want:
        raise TestFailure(f"{what}: got {got!r}, want {want!r}")


def topologies(*names):
    """Decorator: run the test once per named topology (ctx.topology tells which)."""
    for n in names:
        assert n in ("single", "split"), n

    def deco(fn):
        fn.pz_topologies = names
        return fn

    return deco


def timeout(seconds):
    """Decorator: this test's time bound (default 120 s), scaled for slow builds."""

    def deco(fn):
        fn.pz_timeout_s = seconds
        return fn

    return deco


# Ports are chosen below the kernel's ephemeral range (32768+) so that the CLI's own outgoing
# connections cannot take a port between the moment it is chosen and the moment a node binds it.
_PORT_LO, _PORT_HI = 20000, 32000
_DEFAULT_PORTS = {26257, 26357, 26358, 8080}
_ports_given = set()


def free_port():
    for _ in range(200):
        port = random.randrange(_PORT_LO, _PORT_HI)
        if port in _ports_given or port in _DEFAULT_PORTS:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_given.add(port)
        return port
    raise TestFailure("no free loopback port found in 200 tries")


def _arg(a):
    return a if isinstance(a, bytes) else str(a)


def _show(args):
    out = []
    for a in args:
        s = a.decode("utf-8", "backslashreplace") if isinstance(a, bytes) else str(a)
        out.append(s if s and re.fullmatch(r"[\w@%+=:,./-]+", s) else repr(s))
    return " ".join(out)


class Result:
    """A finished CLI command: rc, out and err (bytes), elapsed_s."""

    def __init__(self, args, rc, out, err, elapsed_s):
        self.args, self.rc, self.out, self.err, self.elapsed_s = args, rc, out, err, elapsed_s

    def __repr__(self):
        return (f"$ {_show(self.args)}\n  -> exit {self.rc} in {self.elapsed_s:.2f}s, "
                f"stdout={self.out[:200]!r}, stderr={self.err[:300]!r}")


class Node:
    """One phantomzero process. start() may be called again after it exited (a restart).
    `host` is its HOST:PORT; `ping` says whether it answers `kv ping` (a process without txn,
    such as split-b, does not: its readiness is its port accepting connections)."""

    def __init__(self, ctx, name, args, host=None, ping=True):
        self.ctx, self.name, self.args, self.host, self.ping = ctx, name, list(args), host, ping
        self.log_path = ctx.dir / f"{name}.log"
        self.proc = None
        self.starts = 0

    def start(self, wait=True):
        check(not self.alive(), f"{self.name}: start while already running")
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start #{self.starts}: {_show(self.args)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen([_arg(a) for a in self.args], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, cwd=self.ctx.dir,
                                         env=self.ctx.env)
        if wait:
            self.wait_ready()
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout_s=None):
        """Polls `kv ping` (or, without ping, a TCP connect) until this node answers; fails if
        the process exits first."""
        check(self.host is not None, f"{self.name}: no host to wait for")
        limit = timeout_s or READY_TIMEOUT_S * self.ctx.scale
        deadline = time.monotonic() + limit
        last = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise TestFailure(f"{self.name} exited with {self.proc.returncode} before it was "
                                  f"ready (log: {self.log_path})")
            if self.ping:
                left = max(1.0, deadline - time.monotonic())
                last = self.ctx.cli("kv", "ping", f"--host={self.host}", timeout_s=left,
                                    hang_ok=True)
                if last.rc == 0:
                    return
            else:
                h, p = self.host.rsplit(":", 1)
                try:
                    socket.create_connection((h, int(p)), timeout=1).close()
                    return
                except OSError as e:
                    last = e
            time.sleep(0.1)
        raise TestFailure(f"{self.name} was not ready within {limit:.0f}s "
                          f"({'kv ping' if self.ping else 'tcp connect'}); last: {last!r}")

    def wait_exit(self, timeout_s):
        """Returns the exit code, or None if the process is still running after timeout_s."""
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout_s=None):
        """SIGTERM and wait; returns the exit code. Fails (after a SIGKILL) if it did not exit."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        limit = timeout_s or STOP_TIMEOUT_S * self.ctx.scale
        rc = self.wait_exit(limit)
        if rc is None:
            stacks = _stacks(self.proc.pid)
            self.kill()
            raise TestFailure(f"{self.name} did not exit within {limit:.0f}s of SIGTERM"
                              + (f"; its threads were in:\n{stacks}" if stacks else ""))
        return rc

    def kill(self):
        """SIGKILL and reap."""
        if self.alive():
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()

    def run_to_exit(self, timeout_s=None):
        """Starts a process that is expected to exit by itself; returns (rc, log text)."""
        self.start(wait=False)
        limit = timeout_s or 15 * self.ctx.scale
        rc = self.wait_exit(limit)
        if rc is None:
            self.kill()
            raise TestFailure(f"{self.name} was expected to exit but still ran after "
                              f"{limit:.0f}s; log:\n{self.log_tail()}")
        return rc, self.log_text()

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=LOG_TAIL_LINES):
        return "\n".join(self.log_text().splitlines()[-n:])


class Cluster:
    """A running topology: .host is the endpoint the CLI talks to (the process running txn);
    .storage_node holds the store, .txn_node runs txn (the same node in `single`)."""

    def __init__(self, ctx, topology, store):
        self.ctx, self.topology, self.store = ctx, topology, Path(store)
        self.nodes = []
        if topology == "single":
            port = free_port()
            self.host = f"127.0.0.1:{port}"
            n = ctx.node("single", self.storage_args(port), host=self.host)
            self.nodes = [n]
            self.storage_node = self.txn_node = n
        elif topology == "split":
            pa, pb = free_port(), free_port()
            self.host, self.storage_host = f"127.0.0.1:{pa}", f"127.0.0.1:{pb}"
            b = ctx.node("split-b", self.storage_args(pb), host=self.storage_host, ping=False)
            a = ctx.node("split-a", [ctx.bin, "start", f"--config={CONFIGS / 'split-a.cfg'}",
                                     "--set", f"node/listen=tcp://{self.host}",
                                     "--set", f"routes/repl=tcp://{self.storage_host}"],
                         host=self.host)
            self.nodes = [b, a]  # start order: storage first; stop order is the reverse
            self.storage_node, self.txn_node = b, a
        else:
            raise ValueError(topology)

    def storage_args(self, port):
        """The command line of a process holding self.store, listening on `port`."""
        if self.topology == "single":
            return [self.ctx.bin, "start-single-node", f"--store={self.store}",
                    f"--listen-addr=127.0.0.1:{port}", f"--sql-addr=127.0.0.1:{free_port()}",
                    "--log-level=info"]
        # repl pushes transactions through dist (process A): its route comes along.
        return [self.ctx.bin, "start", f"--config={CONFIGS / 'split-b.cfg'}",
                f"--store={self.store}", "--set", f"node/listen=tcp://127.0.0.1:{port}",
                "--set", f"routes/dist=tcp://{self.host}"]

    def start(self):
        for n in self.nodes:
            if not n.alive():
                n.start()
        self.wait_ready()
        return self

    def wait_ready(self):
        """Every node answers ping, and a read goes all the way to storage and back."""
        for n in self.nodes:
            n.wait_ready()
        deadline = time.monotonic() + READY_TIMEOUT_S * self.ctx.scale
        while True:
            r = self.kv("get", "pz-it-probe")
            if r.rc in (0, 1):
                return
            if time.monotonic() > deadline:
                raise TestFailure(f"nodes answer ping but a read does not go through: {r!r}")
            time.sleep(0.2)

    def stop(self):
        """SIGTERM every node, txn side first; returns {name: exit code}."""
        return {n.name: n.stop() for n in reversed(self.nodes)}

    # The CLI, aimed at this cluster.
    def kv(self, *args, timeout_s=None):
        return self.ctx.cli("kv", *args, f"--host={self.host}", timeout_s=timeout_s)

    def put(self, key, value, sync=True):
        r = self.kv("put", key, value, *([] if sync else ["--no-sync"]))
        check(r.rc == 0 and r.out == b"", f"put failed: {r!r}")

    def get(self, key):
        """The value as bytes, or None when the key is not found (exit 1)."""
        r = self.kv("get", key)
        if r.rc == 1:
            check(r.out == b"", f"get of a missing key printed something: {r!r}")
            return None
        check(r.rc == 0 and r.out.endswith(b"\n"), f"get failed: {r!r}")
        return r.out[:-1]

    def scan(self, start, end, *opts):
        """[(key, value)] as bytes, in the order printed."""
        r = self.kv("scan", start, end, *opts)
        check(r.rc == 0, f"scan failed: {r!r}")
        return parse_scan(r.out)


def parse_scan(out):
    rows = []
    for line in out.split(b"\n")[:-1] if out else []:
        k, sep, v = line.partition(b"\t")
        check(sep == b"\t", f"scan line without a tab: {line!r}")
        rows.append((k, v))
    check(not out or out.endswith(b"\n"), f"scan output does not end in a newline: {out[-50:]!r}")
    return rows


class Ctx:
    """One test's world: temp folder, processes, mounts, CLI history; close() cleans up."""

    def __init__(self, build_dir, name, topology=None, scale=1.0, keep=False):
        self.build_dir = Path(build_dir).resolve()
        self.bin = self.build_dir / "bin" / "phantomzero"
        self.topology, self.scale, self.keep = topology, scale, keep
        safe = re.sub(r"[^\w.-]+", "_", name)[:60]
        self.dir = Path(tempfile.mkdtemp(prefix=f"pz-it-{safe}-"))
        self.nodes = []
        self.mounts = []
        self.history = collections.deque(maxlen=25)
        self.notes = []  # what a test measured, printed under its PASS/FAIL line
        self.env = dict(os.environ)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")

    def note(self, text):
        self.notes.append(text)

    def node(self, name, args, host=None, ping=True):
        check(all(n.name != name for n in self.nodes), f"two nodes named {name}")
        n = Node(self, name, args, host, ping)
        self.nodes.append(n)
        return n

    def cluster(self, topology=None, store=None, start=True):
        topology = topology or self.topology
        check(topology is not None, "this test has no topology")
        c = Cluster(self, topology, store or self.dir / "store")
        return c.start() if start else c

    def cli(self, *args, timeout_s=None, hang_ok=False):
        """Runs `phantomzero ARGS...`; never raises on a non-zero exit. Fails on a hang (past
        timeout_s) unless hang_ok, which returns a Result with rc None instead."""
        argv = [self.bin, *args]
        limit = timeout_s or CLI_TIMEOUT_S * self.scale
        t0 = time.monotonic()
        try:
            p = subprocess.run([_arg(a) for a in argv], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=limit, cwd=self.dir, env=self.env)
        except subprocess.TimeoutExpired as e:
            r = Result(argv, None, e.stdout or b"", e.stderr or b"", time.monotonic() - t0)
            self.history.append(r)
            if hang_ok:
                return r
            raise TestFailure(f"CLI command hung for {limit:.0f}s: {r!r}") from None
        r = Result(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
        self.history.append(r)
        return r

    def tmpfs(self, size="8m"):
        """Mounts a fresh tmpfs of `size`; unmounted at close. Needs root (CI runs as root)."""
        mnt = self.dir / f"tmpfs{len(self.mounts)}"
        mnt.mkdir()
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                            str(mnt)], capture_output=True, text=True)
        check(p.returncode == 0,
              f"cannot mount a {size} tmpfs at {mnt} (exit {p.returncode}: {p.stderr.strip()}); "
              f"this test needs root with CAP_SYS_ADMIN, as CI has — it is not skipped")
        self.mounts.append(mnt)
        return mnt

    def close(self, failed):
        """Stops every process (SIGTERM, then SIGKILL), unmounts, checks logs for sanitizer
        reports. Returns a list of problems found (each fails the test)."""
        problems = []
        for n in reversed(self.nodes):
            if not n.alive():
                continue
            try:
                rc = n.stop()
            except TestFailure as e:
                problems.append(str(e))
                continue
            if rc != 0 and not failed:
                problems.append(f"{n.name} exited with {rc} on SIGTERM at the end of the test")
        for mnt in reversed(self.mounts):
            p = subprocess.run(["umount", str(mnt)], capture_output=True, text=True)
            if p.returncode != 0:
                subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
                problems.append(f"umount {mnt} failed ({p.stderr.strip()}); lazily unmounted")
        for n in self.nodes:
            text = n.log_text()
            for mark in SANITIZER_MARKS:
                if mark in text:
                    problems.append(f"{n.name}: sanitizer report in {n.log_path} ({mark!r})")
                    break
        if not (failed or problems) and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problems

    def diagnostics(self):
        parts = [f"  files kept in {self.dir}"]
        for n in self.nodes:
            parts.append(f"  --- {n.name} log ({n.log_path}), last {LOG_TAIL_LINES} lines:")
            parts.extend("    " + line for line in n.log_tail().splitlines())
        if self.history:
            parts.append(f"  --- last {len(self.history)} CLI commands:")
            parts.extend("    " + line for r in self.history for line in repr(r).splitlines())
        return "\n".join(parts)
