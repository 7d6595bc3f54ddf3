"""Servers for the SQL client and differential tests: a Phantom Zero single node with the sql
module (`phantomzero start-single-node`) and a private PostgreSQL 15 cluster, both on free
loopback ports inside the test's folder.

Both register themselves in ctx.nodes, so pz.Ctx.close() stops them whatever happened to the test
(the PostgreSQL one quacks like a pz.Node: name, alive, stop, log_path, log_text, log_tail).

PostgreSQL refuses to run as root: as tests/sqllogic/pg15.sh does, initdb and the server run as
the `postgres` OS user when the runner is root (the data folder is handed to that user). Trust
authentication, fsync off, no Unix socket outside the data folder.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg2
import psycopg2.extensions

import pz
from pz import TestFailure, check, free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _wait_port(port, proc_alive, limit_s, what):
    deadline = time.monotonic() + limit_s
    while True:
        check(proc_alive(), f"{what} exited before its port {port} accepted")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            check(time.monotonic() < deadline, f"{what}: port {port} never accepted")
            time.sleep(0.05)


class PzSql:
    """`phantomzero start-single-node` with its pgwire port: .port, .node (pz.Node), connect()."""

    USER, DBNAME = "root", "defaultdb"

    def __init__(self, ctx, name="pz", extra_args=()):
        self.ctx = ctx
        zport, self.port = free_port(), free_port()
        self.node = ctx.node(name, [ctx.bin, "start-single-node", f"--store={ctx.dir / name}",
                                    f"--listen-addr=127.0.0.1:{zport}",
                                    f"--sql-addr=127.0.0.1:{self.port}", "--log-level=warn",
                                    *extra_args],
                             host=f"127.0.0.1:{zport}")

    def start(self):
        self.node.start()
        _wait_port(self.port, self.node.alive, 10 * self.ctx.scale, "phantomzero pgwire")
        return self

    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user={self.USER} dbname={self.DBNAME}"

    def connect(self, autocommit=True):
        c = psycopg2.connect(self.dsn(), connect_timeout=int(10 * self.ctx.scale))
        c.autocommit = autocommit
        return c


class Pg15:
    """A private PostgreSQL 15 cluster in ctx.dir/pg15; .port, connect(), stop()."""

    USER, DBNAME = "postgres", "postgres"

    def __init__(self, ctx, name="pg15"):
        check((PG_BIN / "postgres").is_file(), f"PostgreSQL 15 is not installed at {PG_BIN}")
        self.ctx, self.name = ctx, name
        self.data = ctx.dir / name
        self.log_path = ctx.dir / f"{name}.log"
        self.port = free_port()
        self.proc = None
        self.root = os.getuid() == 0

    def _as_pg(self, argv):
        return (["runuser", "-u", "postgres", "--"] + argv) if self.root else argv

    def start(self):
        self.data.mkdir()
        if self.root:
            # The test folder is root's 0700 mkdtemp: postgres must be able to reach its data.
            os.chmod(self.ctx.dir, 0o755)
            shutil.chown(self.data, "postgres", "postgres")
            with open(self.log_path, "ab"):
                pass
            shutil.chown(self.log_path, "postgres", "postgres")
        p = subprocess.run(self._as_pg([str(PG_BIN / "initdb"), "-D", str(self.data), "-U",
                                        self.USER, "--auth=trust", "--no-sync", "-E", "UTF8",
                                        "--locale=C"]),
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"initdb failed: {p.stdout}\n{p.stderr}")
        argv = [str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-k", str(self.data), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=60", "-c", "TimeZone=UTC"]
        with open(self.log_path, "ab") as log:
            # runuser forwards SIGTERM to the server; the server's own pid is what we signal
            # through it. A new session keeps the runner's terminal signals away from it.
            self.proc = subprocess.Popen(self._as_pg(argv), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.ctx.nodes.append(self)  # stopped by ctx.close() whatever happens
        deadline = time.monotonic() + 30 * self.ctx.scale
        while True:  # the port accepts before recovery ends: wait for a real session
            check(self.alive(), f"postgres exited at start; log:\n{self.log_tail()}")
            try:
                self.connect().close()
                return self
            except psycopg2.OperationalError as e:
                check(time.monotonic() < deadline, f"postgres never accepted a session: {e}")
                time.sleep(0.1)

    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user={self.USER} dbname={self.DBNAME}"

    def connect(self, autocommit=True):
        c = psycopg2.connect(self.dsn(), connect_timeout=10)
        c.autocommit = autocommit
        return c

    # The pz.Node face used by Ctx.close() and Ctx.diagnostics().
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s=None):
        """Fast shutdown (SIGINT: sessions are ended, as pg_ctl -m fast); 0 when it exited."""
        if not self.alive():
            return 0
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=timeout_s or 30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise TestFailure("postgres did not exit within 30s of a fast shutdown")
        return 0

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=pz.LOG_TAIL_LINES):
        return "\n".join(self.log_text().splitlines()[-n:])


def raw_text(conn):
    """Makes psycopg2 return every column of `conn` as the server's text (None for NULL), so
    that two servers' answers are compared byte for byte, not after Python's conversions."""
    oids = tuple(o for o in psycopg2.extensions.string_types if isinstance(o, int))
    t = psycopg2.extensions.new_type(oids, "PZ_RAW_TEXT", lambda v, cur: v)
    psycopg2.extensions.register_type(t, conn)
    return conn


def rows(cur, sql, args=None):
    """Runs sql and returns every row."""
    cur.execute(sql, args)
    return cur.fetchall()


def sqlstate(cur, sql, args=None):
    """Runs sql; the SQLSTATE it failed with, or None when it succeeded."""
    try:
        cur.execute(sql, args)
    except psycopg2.Error as e:
        return e.pgcode
    return None
