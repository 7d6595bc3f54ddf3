"""The pgwire server of the sql module, driven by real PostgreSQL clients: psycopg2 connects and
sees the server parameters; statements run (a table is created, written and read back); a syntax
error is 42601 and an unsupported construct 0A000 naming it; the session survives its errors;
psql prints results, and prints an error and exits non-zero; garbage bytes get a FATAL 08P01 and close that one
connection while another keeps working; past max_connections a client gets 53300; many connects
and disconnects leave no session threads behind; a port in use stops the node at start; SIGTERM
with sessions open ends them with 57P01 and exits 0.

How: one phantomzero process per test from a config written into the test folder (the layers of
configs/single-node.cfg plus a `sql` section on a free port), started with `phantomzero start`
and pz.Node. psycopg2 and psql are Debian's; raw-protocol checks use a socket and the message
layouts of the PostgreSQL docs ("Message Formats")."""

import os
import socket
import struct
import subprocess
import time

import psycopg2
import psycopg2.errors

from pz import TestFailure, check, eq, free_port

_CFG = """\
node
    store = {store}
    listen = tcp://127.0.0.1:{zport}
    log_level = info
modules
    txn
        thread = 0
        next = dist
    dist
        thread = 0
        first_range = repl
    repl
        thread = 0
        storage = storage
        bootstrap = true
    storage
        thread = 0
        engine = lmdb
        sync = true
    sql
        thread = 0
        listen_sql = 127.0.0.1:{sport}
        max_connections = {max_conn}
"""


class SqlNode:
    """A node with the sql module: .node (pz.Node), .port (pgwire), .connect()."""

    def __init__(self, ctx, max_conn=100, name="sql", sport=None):
        self.ctx = ctx
        zport, self.port = free_port(), sport or free_port()
        cfg = ctx.dir / f"{name}.cfg"
        cfg.write_text(_CFG.format(store=ctx.dir / f"{name}-store", zport=zport,
                                   sport=self.port, max_conn=max_conn))
        self.node = ctx.node(name, [ctx.bin, "start", f"--config={cfg}"],
                             host=f"127.0.0.1:{zport}")

    def start(self):
        self.node.start()
        deadline = time.monotonic() + 10 * self.ctx.scale
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                check(time.monotonic() < deadline, f"pgwire port {self.port} never accepted")
                time.sleep(0.1)

    def connect(self, autocommit=True, **kw):
        c = psycopg2.connect(host="127.0.0.1", port=self.port, user="root", dbname="defaultdb",
                             connect_timeout=int(10 * self.ctx.scale), **kw)
        c.autocommit = autocommit
        return c


def _expect_pg_error(cur, sql, code, words):
    try:
        cur.execute(sql)
    except psycopg2.Error as e:
        eq(e.pgcode, code, f"SQLSTATE of {sql!r}")
        check(words in (e.pgerror or ""), f"{sql!r}: {words!r} not in {e.pgerror!r}")
        return e
    raise TestFailure(f"{sql!r} did not fail (there is no executor: it must be refused)")


# Raw protocol ---------------------------------------------------------------------------------

def _startup_bytes(user="root", database="defaultdb"):
    body = struct.pack("!I", 196608)
    for k, v in (("user", user), ("database", database)):
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


class Raw:
    """A hand-driven pgwire connection."""

    def __init__(self, port, timeout_s=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self.buf = b""

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def recv(self):
        """(type, body) or None at EOF."""
        if not self._fill(5):
            return None
        t, n = self.buf[:1], struct.unpack("!I", self.buf[1:5])[0]
        if not self._fill(1 + n):
            return None
        body, self.buf = self.buf[5:1 + n], self.buf[1 + n:]
        return t, body

    def startup(self):
        self.s.sendall(_startup_bytes())
        types = []
        while True:
            m = self.recv()
            check(m is not None, f"connection closed during startup after {types}")
            types.append(m[0])
            if m[0] == b"Z":
                return types
            check(m[0] != b"E", f"startup refused: {m[1]!r}")

    def query(self, sql):
        self.s.sendall(b"Q" + struct.pack("!I", len(sql) + 5) + sql.encode() + b"\0")

    def eof(self):
        try:
            return self.recv() is None and not self.buf
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()


def _fields(body):
    out = {}
    for part in body.split(b"\0"):
        if part:
            out[chr(part[0])] = part[1:].decode()
    return out


def _expect_error(raw, severity, code, words):
    m = raw.recv()
    check(m is not None, f"connection closed before the {code} error")
    eq(m[0], b"E", "message type")
    f = _fields(m[1])
    eq((f.get("S"), f.get("C")), (severity, code), f"severity and SQLSTATE of {f}")
    check(words in f.get("M", ""), f"{words!r} not in {f.get('M')!r}")
    return f


def _resources(node):
    """Threads, open descriptors and memory mappings of the node: a session holds its socket
    and its task's stack mapping until it has ended and the listener has reaped its slot."""
    pid = node.proc.pid
    with open(f"/proc/{pid}/maps") as f:
        maps = sum(1 for _ in f)
    return (len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd")), maps)


def _settled_resources(ctx, node):
    """_resources once they have not changed for half a second (the readiness probe's session,
    if any, has ended by then)."""
    deadline = time.monotonic() + 5 * ctx.scale
    last, since = _resources(node), time.monotonic()
    while time.monotonic() - since < 0.5 and time.monotonic() < deadline:
        time.sleep(0.05)
        now = _resources(node)
        if now != last:
            last, since = now, time.monotonic()
    return last


# Tests ----------------------------------------------------------------------------------------

def test_pgwire_psycopg2(ctx):
    n = SqlNode(ctx).start()
    c = n.connect()
    eq(c.server_version, 150000, "server_version as psycopg2 reads it")
    eq(c.get_parameter_status("server_version"), "15.0", "server_version parameter")
    eq(c.get_parameter_status("client_encoding"), "UTF8", "client_encoding")
    eq(c.get_parameter_status("standard_conforming_strings"), "on", "standard_conforming_strings")
    eq(c.get_parameter_status("session_authorization"), "root", "session_authorization")
    cur = c.cursor()
    e = _expect_pg_error(cur, "SELEC 1", "42601", 'syntax error at or near "SELEC"')
    check(isinstance(e, psycopg2.errors.SyntaxError), f"{type(e).__name__} is not SyntaxError")
    eq(e.diag.statement_position, "1", "error position")
    eq(_one(cur, "SELECT 1"), 1, "SELECT 1")
    e = _expect_pg_error(cur, "SELECT * FROM ROWS FROM (generate_series(1, 2))", "0A000",
                         "ROWS FROM is not supported")
    check(isinstance(e, psycopg2.errors.FeatureNotSupported), type(e).__name__)
    # The session survives its errors: more statements, each answered.
    cur.execute("CREATE TABLE t (a INT PRIMARY KEY, b TEXT)")
    cur.execute("INSERT INTO t VALUES (1, 'one'), (2, NULL)")
    eq(cur.rowcount, 2, "rows inserted")
    cur.execute("SELECT a, b FROM t ORDER BY a")
    eq(cur.fetchall(), [(1, "one"), (2, None)], "rows read back")
    e = _expect_pg_error(cur, "INSERT INTO t VALUES (1, 'again')", "23505",
                         'duplicate key value violates unique constraint "t_pkey"')
    eq(e.diag.message_detail, "Key (a)=(1) already exists.", "duplicate key detail")
    _expect_pg_error(cur, "SELECT 'unterminated", "42601", "unterminated quoted string")
    # Trees too deep for the parser's recursion are refused, not a crash of the node.
    _expect_pg_error(cur, "SELECT " + "1+" * 5000 + "1", "54001", "stack depth limit exceeded")
    _expect_pg_error(cur, "SELECT " + "1+" * 200000 + "1", "54001", "statement too complex")
    t0 = time.monotonic()  # a 12 MiB flat list: refused after a scan, not parsed for a minute
    _expect_pg_error(cur, "SELECT " + "1," * (6 << 20) + "1", "54001", "statement too complex")
    ctx.note(f"a 12 MiB statement of 12M tokens refused in {time.monotonic() - t0:.1f}s")
    eq(_one(cur, "SELECT count(*) FROM t"), 2, "the table after the errors")
    eq(c.closed, 0, "connection closed after errors")
    c.close()
    # Outside autocommit psycopg2 sends BEGIN first.
    c = n.connect(autocommit=False)
    eq(_one(c.cursor(), "SELECT 1"), 1, "SELECT in a transaction block")
    c.commit()
    c.close()


def test_pgwire_psql(ctx):
    n = SqlNode(ctx).start()
    base = ["psql", "-X", "-h", "127.0.0.1", "-p", str(n.port), "-U", "root", "-d", "defaultdb"]
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    p = subprocess.run(base + ["-c", "select 1"], capture_output=True, text=True, timeout=30,
                       env=env)
    check(p.returncode == 0 and "(1 row)" in p.stdout, f"psql select 1: {p!r}")
    p = subprocess.run(base + ["-c", "selec 1"], capture_output=True, text=True, timeout=30,
                       env=env)
    check(p.returncode != 0 and 'syntax error at or near "selec"' in p.stderr,
          f"psql on a syntax error: {p!r}")
    # A script: psql goes on after an error (no ON_ERROR_STOP) on the same connection.
    p = subprocess.run(base + ["-f", "-"], input="select nosuchcol;\nshow timezone;\n",
                       capture_output=True, text=True, timeout=30, env=env)
    check('column "nosuchcol" does not exist' in p.stderr and "UTC" in p.stdout,
          f"psql script: {p!r}")


def test_pgwire_garbage_closes_one_connection(ctx):
    n = SqlNode(ctx).start()
    good = n.connect()
    raw = Raw(n.port)
    types = raw.startup()
    eq((types[0], types[-2], types[-1]), (b"R", b"K", b"Z"), "startup reply order")
    raw.query("SELECT 1 +")
    _expect_error(raw, "ERROR", "42601", "syntax error")
    eq(raw.recv(), (b"Z", b"I"), "ReadyForQuery after the error")
    raw.s.sendall(b"\x00\x01garbage that is not a frontend message")
    _expect_error(raw, "FATAL", "08P01", "invalid frontend message")
    check(raw.eof(), "the connection stays open after FATAL 08P01")
    raw.close()
    # An oversized length is refused from its header, before any body arrives.
    raw = Raw(n.port)
    raw.startup()
    raw.s.sendall(b"Q" + struct.pack("!I", 1 << 30))
    _expect_error(raw, "FATAL", "08P01", "invalid frontend message length")
    check(raw.eof(), "the connection stays open after an oversized length")
    raw.close()
    # Garbage instead of a startup packet.
    raw = Raw(n.port)
    raw.s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    _expect_error(raw, "FATAL", "08P01", "startup packet")
    check(raw.eof(), "the connection stays open after a bad startup packet")
    raw.close()
    # The other connection never noticed.
    eq(_one(good.cursor(), "SELECT 1"), 1, "the other connection")
    good.close()


def _one(cur, sql):
    cur.execute(sql)
    return cur.fetchone()[0]


def _connect_retry(ctx, n):
    """Connects, retrying "too many clients" for a while: a session that was just closed (the
    readiness probe's, or one the test closed) frees its slot when its task has seen the EOF
    and ended, a moment later — as a PostgreSQL backend does."""
    deadline = time.monotonic() + 5 * ctx.scale
    while True:
        try:
            return n.connect()
        except psycopg2.OperationalError as e:
            check("too many clients" in str(e), f"connect: {e}")
            check(time.monotonic() < deadline, f"a freed connection slot was never reused: {e}")
            time.sleep(0.05)


def test_pgwire_max_connections(ctx):
    n = SqlNode(ctx, max_conn=3).start()
    held = [_connect_retry(ctx, n) for _ in range(3)]
    try:
        n.connect()
        raise TestFailure("a 4th connection was accepted with max_connections = 3")
    except psycopg2.OperationalError as e:
        check("sorry, too many clients already" in str(e), f"4th connection: {e}")
    raw = Raw(n.port)
    raw.s.sendall(_startup_bytes())
    _expect_error(raw, "FATAL", "53300", "too many clients")
    check(raw.eof(), "a refused connection stays open")
    raw.close()
    for c in held:  # the admitted sessions still work
        eq(_one(c.cursor(), "SELECT 1"), 1, "an admitted session")
    held.pop().close()
    held.append(_connect_retry(ctx, n))
    for c in held:
        c.close()


def test_pgwire_connection_churn(ctx):
    n = SqlNode(ctx, max_conn=10).start()
    # Warm up first: the session workers' KV clients and the actors' reply sockets are made on
    # first use, once, and the allocator grows its arenas; what must not grow is per session.
    for _ in range(3):
        held = [_connect_retry(ctx, n) for _ in range(4)]
        for c in held:
            eq(_one(c.cursor(), "SELECT count(*) FROM pg_class") > 0, True, "a warm-up session")
            c.close()
    base = _settled_resources(ctx, n.node)
    cycles = 200
    for i in range(cycles):
        c = _connect_retry(ctx, n)  # a closed session's slot frees a moment after its close
        if i % 20 == 0:
            eq(_one(c.cursor(), "SELECT 1"), 1, "a churned session")
        c.close()
    for i in range(50):  # clients that vanish mid-startup or without Terminate
        s = socket.create_connection(("127.0.0.1", n.port))
        if i % 2:
            s.sendall(_startup_bytes()[:6])
        s.close()
    deadline = time.monotonic() + 5 * ctx.scale
    while any(now > was for now, was in zip(_resources(n.node), base)):
        check(time.monotonic() < deadline,
              f"threads, descriptors, mappings {_resources(n.node)} after {cycles} connections, "
              f"{base} before: sessions were not cleaned up")
        time.sleep(0.1)
    c = _connect_retry(ctx, n)
    eq(_one(c.cursor(), "SELECT 1"), 1, "after the churn")
    c.close()
    ctx.note(f"{cycles} connect/disconnect cycles + 50 abandoned: threads, descriptors and "
             f"mappings back to {base}")


def test_pgwire_port_in_use(ctx):
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = free_port()
    blocker.bind(("127.0.0.1", port))
    blocker.listen(1)
    try:
        n = SqlNode(ctx, sport=port)
        rc, out = n.node.run_to_exit()
    finally:
        blocker.close()
    check(rc != 0, "the node started although the SQL port was in use")
    check(f"127.0.0.1:{port}" in out and "in use" in out,
          f"the log does not name the address in use:\n{out}")


def test_pgwire_stop_with_sessions_open(ctx):
    n = SqlNode(ctx).start()
    raws = []
    for _ in range(3):
        r = Raw(n.port)
        r.startup()
        raws.append(r)
    t0 = time.monotonic()
    eq(n.node.stop(), 0, "exit code on SIGTERM with sessions open")
    for r in raws:
        _expect_error(r, "FATAL", "57P01", "terminating connection due to administrator command")
        check(r.eof(), "a session stayed open after the node stopped")
        r.close()
    ctx.note(f"stopped with 3 sessions open in {time.monotonic() - t0:.2f}s")
