"""A small raw PostgreSQL wire-protocol client (protocol 3.0) for the client tests: the frontend
messages of the extended query protocol (Parse, Bind with text or binary parameters and result
formats, Describe, Execute with a row limit, Close, Flush, Sync) and the simple Query, built from
the message layouts of the PostgreSQL documentation ("Message Formats"); backend messages read
back whole and decoded into comparable tuples, so that one scenario can be replayed on
PostgreSQL 15 and on Phantom Zero and the message sequences compared.

Only the standard library.
"""

import socket
import struct

from pz import check


def _cstr(s):
    return s.encode() + b"\0"


def _msg(t, body):
    return t + struct.pack("!I", len(body) + 4) + body


def parse(name, sql, oids=()):
    return _msg(b"P", _cstr(name) + _cstr(sql) + struct.pack("!H", len(oids))
                + b"".join(struct.pack("!I", o) for o in oids))


def bind(portal, stmt, params=(), param_formats=(), result_formats=()):
    """params: bytes (sent as is), str (UTF-8) or None (SQL NULL)."""
    body = _cstr(portal) + _cstr(stmt)
    body += struct.pack("!H", len(param_formats)) + b"".join(
        struct.pack("!H", f) for f in param_formats)
    body += struct.pack("!H", len(params))
    for p in params:
        if p is None:
            body += struct.pack("!i", -1)
        else:
            b = p.encode() if isinstance(p, str) else p
            body += struct.pack("!i", len(b)) + b
    body += struct.pack("!H", len(result_formats)) + b"".join(
        struct.pack("!H", f) for f in result_formats)
    return _msg(b"B", body)


def describe(kind, name):
    return _msg(b"D", kind.encode() + _cstr(name))


def execute(portal, max_rows=0):
    return _msg(b"E", _cstr(portal) + struct.pack("!I", max_rows))


def close(kind, name):
    return _msg(b"C", kind.encode() + _cstr(name))


def sync():
    return _msg(b"S", b"")


def flush():
    return _msg(b"H", b"")


def query(sql):
    return _msg(b"Q", _cstr(sql))


def _startup(user, database):
    body = struct.pack("!I", 196608)
    for k, v in (("user", user), ("database", database)):
        body += _cstr(k) + _cstr(v)
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


def error_fields(body):
    out = {}
    for part in body.split(b"\0"):
        if part:
            out[chr(part[0])] = part[1:].decode()
    return out


def decode(t, body):
    """A backend message as a comparable tuple (type letter first)."""
    t = t.decode()
    if t in "EN":
        f = error_fields(body)
        return (t, f.get("S"), f.get("C"), f.get("M"), f.get("P"))
    if t == "T":
        n = struct.unpack("!H", body[:2])[0]
        cols, off = [], 2
        for _ in range(n):
            end = body.index(b"\0", off)
            name = body[off:end].decode()
            _tab, _att, typ, _len, _mod, fmt = struct.unpack("!IhIhiH", body[end + 1:end + 19])
            cols.append((name, typ, fmt))
            off = end + 19
        return (t, tuple(cols))
    if t == "D":
        n = struct.unpack("!H", body[:2])[0]
        vals, off = [], 2
        for _ in range(n):
            ln = struct.unpack("!i", body[off:off + 4])[0]
            off += 4
            if ln < 0:
                vals.append(None)
            else:
                vals.append(body[off:off + ln])
                off += ln
        return (t, tuple(vals))
    if t == "t":
        n = struct.unpack("!H", body[:2])[0]
        return (t, struct.unpack(f"!{n}I", body[2:2 + 4 * n]))
    if t == "C":
        return (t, body.rstrip(b"\0").decode())
    if t == "Z":
        return (t, body.decode())
    return (t,)  # 1 2 3 n s I: no body worth comparing


class Conn:
    """One raw session: send(bytes...), read_until_ready() -> [decoded messages]."""

    def __init__(self, port, user, database, timeout_s=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self.buf = b""
        self.s.sendall(_startup(user, database))
        while True:
            t, body = self.recv()
            if t == b"E":
                check(False, f"startup refused: {error_fields(body)}")
            if t == b"Z":
                break

    def recv(self):
        while len(self.buf) < 5 or len(self.buf) < 1 + struct.unpack("!I", self.buf[1:5])[0]:
            chunk = self.s.recv(65536)
            check(chunk, f"connection closed by the server (buffered {self.buf[:40]!r})")
            self.buf += chunk
        n = struct.unpack("!I", self.buf[1:5])[0]
        t, body, self.buf = self.buf[:1], self.buf[5:1 + n], self.buf[1 + n:]
        return t, body

    def send(self, *msgs):
        self.s.sendall(b"".join(msgs))

    def read_until_ready(self):
        """Decoded messages up to and including ReadyForQuery; ParameterStatus is left out."""
        out = []
        while True:
            t, body = self.recv()
            if t == b"S":
                continue
            out.append(decode(t, body))
            if t == b"Z":
                return out

    def read_n(self, n):
        """The next n decoded messages (for a Flush, which ends without ReadyForQuery)."""
        out = []
        while len(out) < n:
            t, body = self.recv()
            if t != b"S":
                out.append(decode(t, body))
        return out

    def close(self):
        try:
            self.s.sendall(_msg(b"X", b""))
        except OSError:
            pass
        self.s.close()
