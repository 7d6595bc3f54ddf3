"""Users, roles and client authentication of the sql module (modules/sql/sql_role.c,
session_auth.c, session_tls.c), driven by real clients.

- Roles: CREATE USER/ROLE, ALTER, DROP with PostgreSQL's errors (42710, 42704, 42501), stored
  SCRAM-SHA-256 verifiers (a verifier given as such is kept: PostgreSQL's for 'y' logs in with
  'y'), pg_roles/pg_authid/pg_user listing them.
- Default mode (start-single-node's): root without a password from loopback; others with
  SCRAM-SHA-256 (AuthenticationSASL 10 -> 11 -> 12 -> 0 on the wire); a wrong password,
  or none stored, is FATAL 28P01; NOLOGIN and unknown roles FATAL 28000.
- auth = password: AuthenticationCleartextPassword (3).
- --insecure: trust for every role that may log in.
- TLS: --certs-dir with a self-signed node.crt/node.key made here by `openssl req -x509`:
  SSLRequest answered 'S', psql and psycopg2 with sslmode=require; without certificates 'N'
  and sslmode=require fails. From a non-loopback address of this host (when there is one),
  plain connections are refused 28000, TLS with a password works, root without one gets 28P01.

How: one phantomzero process per test (start-single-node with flags, or a config file with
extra sql keys); a small raw-protocol client here does SCRAM / cleartext by hand (hashlib's
PBKDF2 and HMAC) to see the authentication codes and the FATAL SQLSTATEs exactly.
"""

import base64
import hashlib
import hmac
import os
import socket
import struct
import subprocess
import time

import psycopg2

from pz import check, eq, free_port

PG_VERIFIER_Y = ("SCRAM-SHA-256$4096:LsdfLXnk2wf3r0IernG8xA==$EUAMc3cyyWbsui6LjzwDwwymwzwJaPEGu4W1"
                 "xgYAT5c=:D2ftGNA4ynSgaJNoQdEBnWCZ31VpyZsCdO8m/bDLTUY=")


class AuthNode:
    def __init__(self, ctx, *flags, name="sql"):
        self.ctx = ctx
        zport, self.port = free_port(), free_port()
        self.node = ctx.node(name, [ctx.bin, "start-single-node", f"--store={ctx.dir / name}",
                                    f"--listen-addr=127.0.0.1:{zport}",
                                    f"--sql-addr={flags_addr(flags)}:{self.port}",
                                    *[f for f in flags if not f.startswith("--sql-host=")]],
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

    def connect(self, user="root", password=None, host="127.0.0.1", **kw):
        c = psycopg2.connect(host=host, port=self.port, user=user, password=password,
                             dbname="defaultdb", connect_timeout=int(10 * self.ctx.scale), **kw)
        c.autocommit = True
        return c

    def sql(self, *stmts, user="root", password=None):
        c = self.connect(user, password)
        out = []
        for s in stmts:
            cur = c.cursor()
            cur.execute(s)
            out.append(cur.fetchall() if cur.description else None)
        c.close()
        return out

    def sql_error(self, stmt, user="root", password=None):
        c = self.connect(user, password)
        try:
            c.cursor().execute(stmt)
        except psycopg2.Error as e:
            return e.pgcode, e.pgerror
        finally:
            c.close()
        return None, None


def flags_addr(flags):
    for f in flags:
        if f.startswith("--sql-host="):
            return f.split("=", 1)[1]
    return "127.0.0.1"


# ---- a raw pgwire client: startup and authentication only ------------------------------------

def _recv_exact(s, n):
    b = b""
    while len(b) < n:
        part = s.recv(n - len(b))
        if not part:
            raise ConnectionError("server closed")
        b += part
    return b


def _recv_msg(s):
    hdr = _recv_exact(s, 5)
    return hdr[:1], _recv_exact(s, struct.unpack("!I", hdr[1:])[0] - 4)


def _fields(body):
    return {chr(p[0]): p[1:].decode() for p in body.split(b"\0") if p}


def _send(s, t, body):
    s.sendall(t + struct.pack("!I", len(body) + 4) + body)


def raw_login(port, user, password=None, host="127.0.0.1"):
    """Logs in by hand. Returns (auth codes seen, None) on success or (codes, error fields)."""
    s = socket.create_connection((host, port), timeout=10)
    try:
        body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0defaultdb\0\0"
        s.sendall(struct.pack("!I", len(body) + 4) + body)
        codes, scram = [], {}
        while True:
            t, b = _recv_msg(s)
            if t == b"E":
                return codes, _fields(b)
            if t == b"Z":
                return codes, None
            if t != b"R":
                continue
            code = struct.unpack("!I", b[:4])[0]
            codes.append(code)
            if code == 3:
                _send(s, b"p", (password or "").encode() + b"\0")
            elif code == 10:
                check(b[4:] == b"SCRAM-SHA-256\0\0", f"SASL mechanisms: {b[4:]!r}")
                scram["nonce"] = base64.b64encode(os.urandom(18)).decode()
                scram["first_bare"] = f"n=,r={scram['nonce']}"
                first = ("n,," + scram["first_bare"]).encode()
                _send(s, b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
            elif code == 11:
                server_first = b[4:].decode()
                attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
                check(attrs["r"].startswith(scram["nonce"]), "server nonce extends ours")
                salted = hashlib.pbkdf2_hmac("sha256", (password or "").encode(),
                                             base64.b64decode(attrs["s"]), int(attrs["i"]))
                client_key = hmac.new(salted, b"Client Key", "sha256").digest()
                stored = hashlib.sha256(client_key).digest()
                without_proof = f"c=biws,r={attrs['r']}"
                auth = f"{scram['first_bare']},{server_first},{without_proof}".encode()
                sig = hmac.new(stored, auth, "sha256").digest()
                proof = bytes(a ^ b for a, b in zip(client_key, sig))
                server_key = hmac.new(salted, b"Server Key", "sha256").digest()
                scram["expect"] = "v=" + base64.b64encode(
                    hmac.new(server_key, auth, "sha256").digest()).decode()
                _send(s, b"p", f"{without_proof},p={base64.b64encode(proof).decode()}".encode())
            elif code == 12:
                eq(b[4:].decode(), scram["expect"], "SCRAM server signature")
    finally:
        s.close()


def expect_ok(port, user, password=None, codes=None, host="127.0.0.1"):
    got, err = raw_login(port, user, password, host)
    check(err is None, f"login {user}: {err}")
    if codes is not None:
        eq(got, codes, f"authentication codes for {user}")


def expect_fatal(port, user, password, sqlstate, message, host="127.0.0.1"):
    _, err = raw_login(port, user, password, host)
    check(err is not None, f"login {user} should fail")
    eq((err.get("S"), err.get("C"), err.get("M")), ("FATAL", sqlstate, message),
       f"login {user} refused")


def psql(port, user, password=None, cmd="select current_user", conninfo="", host="127.0.0.1"):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    env.pop("PGPASSWORD", None)
    if password is not None:
        env["PGPASSWORD"] = password
    cmds = [cmd] if isinstance(cmd, str) else cmd
    return subprocess.run(["psql", "-X", "-A", "-t", *[a for c in cmds for a in ("-c", c)],
                           f"host={host} port={port} user={user} dbname=defaultdb {conninfo}"],
                          capture_output=True, text=True, timeout=30, env=env)


# ---- tests -------------------------------------------------------------------------------------

def test_sql_auth_roles_and_scram(ctx):
    n = AuthNode(ctx).start()
    # Today's behaviour: root, no password, loopback.
    eq(n.sql("select current_user")[0], [("root",)], "root over loopback")
    expect_ok(n.port, "root", codes=[0])
    n.sql("CREATE USER alice WITH PASSWORD 'secret'", "CREATE ROLE bob PASSWORD 'pw'",
          "CREATE USER carol", f"CREATE USER dave PASSWORD '{PG_VERIFIER_Y}'")
    eq(n.sql_error("CREATE USER alice")[0], "42710", "CREATE of an existing role")
    eq(n.sql_error("DROP ROLE nosuch")[0], "42704", "DROP of an unknown role")
    eq(n.sql_error("ALTER ROLE nosuch LOGIN")[0], "42704", "ALTER of an unknown role")
    eq(n.sql_error("DROP ROLE root")[0], "42501", "DROP of root")
    rows = n.sql("select rolname, rolcanlogin, rolsuper from pg_roles order by rolname")[0]
    eq(rows, [("alice", True, False), ("bob", False, False), ("carol", True, False),
              ("dave", True, False), ("root", True, True)], "pg_roles")
    eq([r[0] for r in n.sql("select usename from pg_user order by 1")[0]],
       ["alice", "carol", "dave", "root"], "pg_user (roles that log in)")
    pw = dict(n.sql("select rolname, rolpassword from pg_authid")[0])
    check(pw["alice"].startswith("SCRAM-SHA-256$4096:") and pw["carol"] is None
          and pw["dave"] == PG_VERIFIER_Y, f"pg_authid verifiers: {pw}")

    # SCRAM on the wire, with the server's signature checked by the client.
    expect_ok(n.port, "alice", "secret", codes=[10, 11, 12, 0])
    expect_fatal(n.port, "alice", "wrong", "28P01",
                 'password authentication failed for user "alice"')
    expect_fatal(n.port, "bob", "pw", "28000", 'role "bob" is not permitted to log in')
    expect_fatal(n.port, "nosuch", "x", "28000", 'role "nosuch" does not exist')
    expect_fatal(n.port, "carol", None, "28P01",
                 'password authentication failed for user "carol"')
    expect_ok(n.port, "dave", "y")  # PostgreSQL's verifier, stored as given
    expect_fatal(n.port, "dave", "z", "28P01", 'password authentication failed for user "dave"')

    # Real clients.
    c = n.connect("alice", "secret")
    cur = c.cursor()
    cur.execute("select current_user")
    eq(cur.fetchone(), ("alice",), "psycopg2 as alice")
    try:
        cur.execute("CREATE ROLE eve")
        check(False, "a non-superuser created a role")
    except psycopg2.Error as e:
        eq(e.pgcode, "42501", "CREATE ROLE by a non-superuser")
    cur.execute("ALTER USER alice PASSWORD 'newsecret'")  # one's own password
    c.close()
    try:
        n.connect("alice", "secret")
        check(False, "the old password still works")
    except psycopg2.OperationalError as e:
        check("password authentication failed" in str(e), f"old password: {e}")
    p = psql(n.port, "alice", "newsecret")
    check(p.returncode == 0 and p.stdout.strip() == "alice", f"psql as alice: {p!r}")
    p = psql(n.port, "alice", "secret")
    check(p.returncode != 0 and 'password authentication failed for user "alice"' in p.stderr,
          f"psql with a wrong password: {p!r}")

    # ALTER ... LOGIN / NOLOGIN / SUPERUSER, DROP with several names.
    n.sql("ALTER ROLE bob LOGIN SUPERUSER")
    expect_ok(n.port, "bob", "pw")
    eq(n.sql("select rolsuper from pg_roles where rolname = 'bob'")[0], [(True,)], "bob super")
    n.sql("ALTER ROLE bob NOLOGIN")
    expect_fatal(n.port, "bob", "pw", "28000", 'role "bob" is not permitted to log in')
    n.sql("ALTER USER carol PASSWORD 'c'")
    expect_ok(n.port, "carol", "c")
    n.sql("ALTER USER carol PASSWORD NULL")
    expect_fatal(n.port, "carol", "c", "28P01", 'password authentication failed for user "carol"')
    eq(n.sql_error("DROP USER alice, nosuch")[0], "42704", "DROP with an unknown name")
    expect_ok(n.port, "alice", "newsecret")  # nothing was dropped
    n.sql("DROP USER IF EXISTS alice, nosuch")
    expect_fatal(n.port, "alice", "newsecret", "28000", 'role "alice" does not exist')
    # Roles survive a restart.
    n.node.stop()
    n.start()
    expect_ok(n.port, "dave", "y")
    expect_ok(n.port, "root", codes=[0])


def test_sql_auth_cleartext(ctx):
    n = AuthNode(ctx, "--set=modules/sql/auth=password").start()
    n.sql("CREATE USER alice PASSWORD 'secret'")
    expect_ok(n.port, "alice", "secret", codes=[3, 0])
    expect_fatal(n.port, "alice", "nope", "28P01",
                 'password authentication failed for user "alice"')
    p = psql(n.port, "alice", "secret")
    check(p.returncode == 0 and p.stdout.strip() == "alice", f"psql cleartext: {p!r}")
    expect_ok(n.port, "root", codes=[0])


def test_sql_auth_insecure(ctx):
    n = AuthNode(ctx, "--insecure").start()
    n.sql("CREATE USER carol", "CREATE USER alice PASSWORD 'secret'", "CREATE ROLE bob")
    expect_ok(n.port, "carol", codes=[0])
    expect_ok(n.port, "alice", "anything", codes=[0])
    expect_fatal(n.port, "bob", None, "28000", 'role "bob" is not permitted to log in')
    expect_fatal(n.port, "nosuch", None, "28000", 'role "nosuch" does not exist')


def _ssl_request(port, host="127.0.0.1"):
    s = socket.create_connection((host, port), timeout=10)
    try:
        s.sendall(struct.pack("!II", 8, 80877103))
        return s.recv(1)
    finally:
        s.close()


def _other_address():
    """A non-loopback address of this host, or None."""
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.connect(("10.255.255.255", 1))
        a = u.getsockname()[0]
        u.close()
        return None if a.startswith("127.") else a
    except OSError:
        return None


def test_sql_auth_tls(ctx):
    # No certificates: 'N', and a client that requires TLS gives up.
    plain = AuthNode(ctx, name="plain").start()
    eq(_ssl_request(plain.port), b"N", "SSLRequest without certificates")
    p = psql(plain.port, "root", conninfo="sslmode=require")
    check(p.returncode != 0 and "SSL" in p.stderr, f"sslmode=require without TLS: {p!r}")
    plain.node.stop()

    certs = ctx.dir / "certs"
    certs.mkdir()
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-keyout", str(certs / "node.key"),
                        "-out", str(certs / "node.crt")], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, f"openssl req: {r.stderr}")
    other = _other_address()
    flags = [f"--certs-dir={certs}"] + (["--sql-host=0.0.0.0"] if other else [])
    n = AuthNode(ctx, *flags, name="tls").start()
    eq(_ssl_request(n.port), b"S", "SSLRequest with certificates")
    n.sql("CREATE USER alice PASSWORD 'secret'")
    p = psql(n.port, "alice", "secret", cmd=["select current_user", "\\conninfo"],
             conninfo="sslmode=require")
    check(p.returncode == 0 and "alice" in p.stdout and "SSL connection" in p.stdout,
          f"psql sslmode=require: {p!r}")
    p = psql(n.port, "alice", "wrong", conninfo="sslmode=require")
    check(p.returncode != 0 and 'password authentication failed for user "alice"' in p.stderr,
          f"psql TLS, wrong password: {p!r}")
    c = n.connect("alice", "secret", sslmode="require")
    cur = c.cursor()
    cur.execute("select repeat('x', 300000)")  # larger than a TLS record and the out buffer
    eq(len(cur.fetchone()[0]), 300000, "a large value over TLS")
    cur.execute("create table t (a int)")
    cur.copy_from(__import__("io").StringIO("".join(f"{i}\n" for i in range(20000))), "t")
    cur.execute("select count(*), sum(a) from t")
    eq(cur.fetchone(), (20000, sum(range(20000))), "COPY over TLS")
    c.close()
    c = n.connect("root", sslmode="require")  # root over loopback, TLS, no password
    c.close()
    if other is None:
        ctx.note("no non-loopback address: the off-loopback rules were not exercised")
        return
    # From another address: TLS is required, root needs a password.
    expect_fatal(n.port, "alice", "secret", "28000",
                 'no encryption: connections from other hosts must use TLS (sslmode=require), '
                 'user "alice", database "defaultdb"', host=other)
    c = n.connect("alice", "secret", host=other, sslmode="require")
    c.close()
    p = psql(n.port, "root", conninfo="sslmode=require", host=other)
    check(p.returncode != 0 and 'password authentication failed for user "root"' in p.stderr,
          f"root without a password off loopback: {p!r}")
    ctx.note(f"off-loopback rules checked from {other}")
