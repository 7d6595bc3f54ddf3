"""COPY FROM STDIN and COPY TO STDOUT (text and CSV) against PostgreSQL 15, driven by real
clients: psycopg2's copy_expert / copy_from / copy_to both ways with NULLs, escapes, quotes,
newlines and unicode give byte-identical COPY TO output on both servers; bad rows (wrong type,
too few / too many columns, duplicate key, NOT NULL, CHECK, bad UTF-8, a corrupt end marker)
give PostgreSQL's SQLSTATE, message and CONTEXT line; psql's \\copy loads and dumps; a 200k-row
load is checked by count and sums; and on the raw protocol, CopyFail, an error in the middle of
a copy (answered at once, the client's later CopyData dropped), Flush/Sync inside a copy and COPY
in the extended protocol give the same message sequences as PostgreSQL 15.

How: a private PostgreSQL 15 (sql_servers.Pg15) and a phantomzero single node (PzSql) get the
same statements and bytes; outputs are compared with each other and with a few absolutes. The
one intended difference: our COPY FROM commits in chunks until transactions exist, so when rows
before the failing line were written, our error DETAIL says how many (checked here).
"""

import io
import shutil
import struct
import subprocess

import psycopg2

import pz
import sql_pgproto as w
from pz import check, eq
from sql_servers import Pg15, PzSql

_TABLE = ("CREATE TABLE ct (id int PRIMARY KEY, n int, t text, f float8, b bool, "
          "v varchar(5) NOT NULL DEFAULT 'dflt', CONSTRAINT ct_t_check CHECK (t IS NULL OR t <> 'bad'))")

# id, n, t, f, b in text format: NULLs, every escape, unicode, a value that looks like \N.
_TEXT_IN = (
    "1\t10\tplain\t1.5\tt\n"
    "2\t\\N\ttab\\there\\nnewline\\\\back\t-0.25\tf\n"
    "3\t-7\t\\N\t\\N\t\\N\n"
    "4\t0\th\u00e9llo \u65e5\u672c \U0001f600\t1e+100\ttrue\n"
    "5\t42\t\\\\N is not null\tInfinity\tno\n"
    "6\t1\t\\101\\x42\\103 \\b\\f\\v\\r end\tNaN\t1\n"
    "7\t2\tcomma, \"quote\" and |pipe|\t3.14159265358979\t0\n"
    "\\.\n")

# The same rows in CSV: quoted commas/quotes/newlines, quoted empty vs NULL.
_CSV_IN = (
    '11,10,plain,1.5,t\n'
    '12,,"a,b ""q"" c",-0.25,f\n'
    '13,-7,"multi\nline",,\n'
    '14,0,"",1e-5,true\n'
    '15,1,h\u00e9llo,2,false\n'
    '16,2,"\\.",3,t\n')


def _copy_in(conn, sql, data):
    conn.cursor().copy_expert(sql, io.StringIO(data))


def _copy_out(conn, sql):
    buf = io.StringIO()
    conn.cursor().copy_expert(sql, buf)
    return buf.getvalue()


def _both(ctx):
    pg = Pg15(ctx).start()
    ours = PzSql(ctx).start()
    return pg, ours


def _reset(conn):
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS ct")
    cur.execute(_TABLE)


_OUTS = ["COPY ct TO STDOUT",
         "COPY ct TO STDOUT (FORMAT csv, HEADER)",
         "COPY ct (t, id) TO STDOUT (DELIMITER '|', NULL 'NUL')",
         "COPY ct TO STDOUT (FORMAT csv, DELIMITER ';', NULL 'N/A')",
         "COPY (SELECT id, t, f * 2 AS twice FROM ct WHERE id % 2 = 1 ORDER BY id DESC) "
         "TO STDOUT (FORMAT csv, HEADER true)",
         "COPY (SELECT 1 AS one, NULL::text AS nothing, '' AS empty) TO STDOUT",
         "COPY (SELECT '\\.' AS v) TO STDOUT (FORMAT csv)"]


@pz.timeout(120)
def test_sql_copy_round_trip(ctx):
    pg, ours = _both(ctx)
    dumps = {}
    for srv in (pg, ours):
        conn = srv.connect()
        _reset(conn)
        _copy_in(conn, "COPY ct (id, n, t, f, b) FROM STDIN", _TEXT_IN)
        _copy_in(conn, "COPY ct (id, n, t, f, b) FROM STDIN WITH (FORMAT csv)", _CSV_IN)
        # psycopg2's copy_from / copy_to helpers (text format, explicit columns and null)
        conn.cursor().copy_from(io.StringIO("21\t5\tx\t0.5\tt\n22\t<n>\t<n>\t<n>\t<n>\n"),
                                "ct", null="<n>", columns=("id", "n", "t", "f", "b"))
        buf = io.StringIO()
        conn.cursor().copy_to(buf, "ct", sep=",", null="?", columns=("id", "t"))
        outs = [buf.getvalue()] + [_copy_out(conn, q) for q in _OUTS]
        cur = conn.cursor()
        cur.execute("SELECT count(*), sum(id), count(t), count(f), min(v) FROM ct")
        outs.append(repr(cur.fetchone()))
        dumps[srv] = outs
        conn.close()
    for i, (want, got) in enumerate(zip(dumps[pg], dumps[ours])):
        eq(got, want, f"COPY output {i} ({(['copy_to'] + _OUTS + ['summary'])[i]})")
    text = dumps[ours][1]
    check("2\t\\N\ttab\\there\\nnewline\\\\back\t-0.25\tf\tdflt\n" in text,
          f"escapes and the column default in COPY TO:\n{text}")
    check('13,-7,"multi\nline",,,dflt\n' in dumps[ours][2], "CSV newline inside quotes")
    eq(dumps[ours][-1], "(15, 152, 13, 12, 'dflt')", "rows loaded")
    ctx.note(f"{len(_OUTS) + 2} COPY TO outputs byte-identical to PostgreSQL 15's")


# (COPY statement, input) whose error must match PostgreSQL's (SQLSTATE, message, CONTEXT).
_BAD = [
    ("COPY ct (id, n, t) FROM STDIN", "1\t2\tx\n2\tzz\tx\n"),
    ("COPY ct (id, n, t) FROM STDIN", "1\t2\tx\n2\t3\n"),
    ("COPY ct (id, n, t) FROM STDIN", "1\t2\tx\n2\t3\tx\t4\n"),
    ("COPY ct (id, n, t) FROM STDIN", "1\t2\tx\n1\t3\ty\n"),
    ("COPY ct (id, n, t) FROM STDIN", "1\t2\tbad\n"),
    ("COPY ct (id, v) FROM STDIN", "1\t\\N\n"),
    ("COPY ct (id, v) FROM STDIN", "1\ttoolongvalue\n"),
    ("COPY ct (id, n) FROM STDIN", "1\t99999999999\n"),
    ("COPY ct (id, t) FROM STDIN", "1\t\\xff\n"),
    ("COPY ct (id, t) FROM STDIN", "1\tx\\.y\n"),
    ("COPY ct (id, t) FROM STDIN", "1\tx\r\n2\ty\n"),
    ("COPY ct (id, t) FROM STDIN (FORMAT csv)", '1,"open\n'),
    ("COPY ct (id, zz) FROM STDIN", "1\t2\n"),
    ("COPY ct (id, id) FROM STDIN", "1\t2\n"),
    ("COPY nosuch FROM STDIN", "1\n"),
    ("COPY ct FROM STDIN (DELIMITER 'a')", "1\n"),
]


def _copy_error(conn, sql, data):
    try:
        _copy_in(conn, sql, data)
    except psycopg2.Error as e:
        return (e.pgcode, e.diag.message_primary, e.diag.context, e.diag.message_detail)
    return None


@pz.timeout(120)
def test_sql_copy_errors(ctx):
    pg, ours = _both(ctx)
    pc, oc = pg.connect(), ours.connect()
    for sql, data in _BAD:
        _reset(pc)
        _reset(oc)
        want, got = _copy_error(pc, sql, data), _copy_error(oc, sql, data)
        check(want is not None and got is not None, f"{sql!r} {data!r}: pg {want} ours {got}")
        eq(got[:3], want[:3], f"error of {sql!r} on {data!r}")
        cur = oc.cursor()
        cur.execute("SELECT count(*) FROM ct")
        committed = cur.fetchone()[0] if "ct" in sql else 0
        if committed:
            check(f"{committed} row" in (got[3] or "") and "already committed" in got[3],
                  f"{sql!r}: the detail must say {committed} rows were committed: {got[3]!r}")
        elif want[3] is not None or got[3] is not None:
            eq(got[3], want[3], f"detail of {sql!r}")
    # The session goes on after each failed COPY.
    cur = oc.cursor()
    cur.execute("SELECT 1")
    eq(cur.fetchone(), (1,), "the session after failed COPYs")
    ctx.note(f"{len(_BAD)} bad inputs: SQLSTATE, message and CONTEXT equal to PostgreSQL 15's")


@pz.timeout(180)
def test_sql_copy_large_and_psql(ctx):
    ours = PzSql(ctx).start()
    conn = ours.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE big (id int PRIMARY KEY, k int, pad text, x float8)")
    n = 200_000
    path = ctx.dir / "big.tsv"
    with open(path, "w") as f:
        for i in range(1, n + 1):
            f.write(f"{i}\t{i % 97}\tpad-{i:08d}-{'z' * 40}\t{i / 4}\n")
    with open(path) as f:
        cur.copy_expert("COPY big FROM STDIN", f)
    cur.execute("SELECT count(*), sum(id), sum(k), sum(x) FROM big")
    eq(cur.fetchone(), (n, n * (n + 1) // 2, sum(i % 97 for i in range(1, n + 1)),
                        n * (n + 1) / 8), "200k rows loaded")
    if shutil.which("psql"):
        base = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                str(ours.port), "-U", "root", "-d", "defaultdb"]
        cur.execute("CREATE TABLE small (id int PRIMARY KEY, s text)")
        src = ctx.dir / "small.csv"
        src.write_text('1,"a,b"\n2,\n3,"x""y"\n')
        p = subprocess.run(base + ["-c", f"\\copy small FROM '{src}' WITH (FORMAT csv)"],
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 0, f"psql \\copy in: {p.stderr}")
        out = ctx.dir / "small.out"
        p = subprocess.run(base + ["-c", f"\\copy small TO '{out}' WITH (FORMAT csv)"],
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 0, f"psql \\copy out: {p.stderr}")
        eq(out.read_text(), src.read_text(), "psql \\copy round trip")
        # COPY FROM STDIN inside a psql script, data inline up to \.
        script = "COPY small FROM STDIN;\n4\tfour\n5\t\\N\n\\.\nSELECT count(*) FROM small;\n"
        p = subprocess.run(base + ["-At"], input=script, capture_output=True, text=True,
                           timeout=60)
        eq((p.returncode, p.stdout.strip()), (0, "5"), f"psql script COPY: {p.stderr}")
    ctx.note(f"{n} rows by copy_expert; psql \\copy in and out")


def _copy_scenario(port, user, db, steps):
    """Runs steps (bytes to send, or an int: read that many messages, or 'Z': read through
    ReadyForQuery) and returns the messages read, CopyData bodies included."""
    c = w.Conn(port, user, db)
    out = []
    try:
        for st in steps:
            if isinstance(st, bytes):
                c.send(st)
                continue
            while True:
                t, body = c.recv()
                if t == b"S":
                    continue
                if t in (b"d", b"G", b"H"):
                    out.append((t.decode(), body))
                else:
                    m = w.decode(t, body)
                    if t in (b"E", b"N"):
                        f = w.error_fields(body)
                        m = m + (f.get("W"),)
                    out.append(m)
                if st == "Z" and t == b"Z":
                    break
                if isinstance(st, int) and len(out) >= st:
                    break
    finally:
        c.close()
    return out


def _m(t, body=b""):
    return t + struct.pack("!I", len(body) + 4) + body


_DATA = _m(b"d", b"1\tx\n2\ty\n")


@pz.timeout(120)
def test_sql_copy_protocol(ctx):
    pg, ours = _both(ctx)
    for srv in (pg, ours):
        conn = srv.connect()
        _reset(conn)
        conn.close()
    scenarios = {
        "copyfail": [w.query("COPY ct (id, t) FROM STDIN"), 1, _DATA,
                     _m(b"f", b"client gave up\0"), "Z"],
        "error_mid_copy": [w.query("COPY ct (id, t) FROM STDIN"), 1, _m(b"d", b"x\ty\n"), "Z",
                           _m(b"d", b"3\tz\n"), _m(b"c"), w.query("SELECT count(*) FROM ct"),
                           "Z"],
        "flush_sync_ignored": [w.query("COPY ct (id, t) FROM STDIN"), 1, _m(b"d", b"5\tf"),
                               w.flush(), w.sync(), _m(b"d", b"ive\n"), _m(b"c"), "Z",
                               w.query("SELECT t FROM ct WHERE id = 5"), "Z"],
        "split_rows": [w.query("COPY ct (id, t) FROM STDIN (FORMAT csv)"), 1,
                       _m(b"d", b"6,\"a"), _m(b"d", b"\nb\"\n7"), _m(b"d", b",c\n"), _m(b"c"),
                       "Z", w.query("COPY (SELECT id, t FROM ct WHERE id > 5 ORDER BY id) TO "
                                    "STDOUT"), "Z"],
        "extended": [w.parse("", "COPY ct (id, t) FROM STDIN"), w.bind("", ""),
                     w.describe("P", ""), w.execute(""), w.sync(), 4, _m(b"d", b"8\th\n"),
                     _m(b"c"), w.sync(), "Z",
                     w.parse("", "COPY ct (id) TO STDOUT"), w.bind("", ""), w.execute(""),
                     w.sync(), "Z"],
    }
    for name, steps in scenarios.items():
        want = _copy_scenario(pg.port, pg.USER, pg.DBNAME, steps)
        got = _copy_scenario(ours.port, ours.USER, ours.DBNAME, steps)
        eq(got, want, f"protocol scenario {name}")
    ctx.note(f"{len(scenarios)} COPY protocol scenarios equal to PostgreSQL 15's")
