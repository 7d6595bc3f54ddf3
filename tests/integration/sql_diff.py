"""The differential runner behind test_sql_diff.py: one script, run statement by statement on
PostgreSQL 15 and on Phantom Zero, each statement's outcome compared.

An outcome is, for a statement that succeeds: the command status (psycopg2's statusmessage,
e.g. "INSERT 0 2", which carries the row count), the column names, the column type OIDs
(cursor.description type_code) and the rows as the server's text (sorted unless the statement
has a top-level ORDER BY); for one that fails: the SQLSTATE, the primary message and the error
position (diag.statement_position). The message alone may be relaxed per case (msg=False): the
difference is then returned as a note instead of a failure.

Only the standard library and psycopg2.
"""

import re

import psycopg2

from sql_servers import raw_text


def split_statements(script):
    """Statements of `script`, split at top-level semicolons (quotes and parentheses kept)."""
    out, cur, depth, i, n = [], [], 0, 0, len(script)
    while i < n:
        ch = script[i]
        if ch in "'\"":
            j = i + 1
            while j < n:
                if script[j] == ch:
                    if j + 1 < n and script[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            cur.append(script[i:j + 1])
            i = j + 1
            continue
        if ch == "-" and script.startswith("--", i):
            j = script.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == ";" and depth == 0:
            s = "".join(cur).strip()
            if s:
                out.append(s)
            cur = []
        else:
            cur.append(ch)
        i += 1
    s = "".join(cur).strip()
    if s:
        out.append(s)
    return out


def _top_level_text(sql):
    """`sql` with quoted strings and parenthesized parts blanked out."""
    out, depth, i, n = [], 0, 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            j = sql.find(ch, i + 1)
            i = n if j < 0 else j + 1
            out.append(" ")
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            out.append(ch)
        i += 1
    return "".join(out)


def is_ordered(sql):
    return re.search(r"\border\s+by\b", _top_level_text(sql), re.I) is not None


def run_statement(conn, sql):
    """The outcome of `sql` on `conn` as a comparable dict."""
    cur = conn.cursor()
    try:
        cur.execute(sql)
    except psycopg2.Error as e:
        if e.pgcode is None:  # not a server error: the connection broke
            return {"broken": f"{type(e).__name__}: {e}".strip()}
        d = e.diag
        return {"sqlstate": e.pgcode, "message": d.message_primary,
                "position": d.statement_position}
    out = {"status": cur.statusmessage}
    if cur.description is not None:
        out["columns"] = [c.name for c in cur.description]
        out["types"] = [c.type_code for c in cur.description]
        rows = [tuple(r) for r in cur.fetchall()]
        if not is_ordered(sql):
            rows.sort(key=lambda r: tuple((v is None, v or "") for v in r))
        out["rows"] = rows
    cur.close()
    return out


def compare(pg, pz, msg=True):
    """(mismatch description or None, note or None) for two outcomes."""
    if "broken" in pz or "broken" in pg:
        return f"connection broke: pg={pg} pz={pz}", None
    if not msg and "sqlstate" in pg and "sqlstate" in pz and pg["sqlstate"] == pz["sqlstate"]:
        pg_rest = {k: v for k, v in pg.items() if k != "message"}
        pz_rest = {k: v for k, v in pz.items() if k != "message"}
        note = None
        if pg["message"] != pz["message"]:
            note = f"message differs: pg {pg['message']!r}, pz {pz['message']!r}"
        if pg_rest != pz_rest:
            return _describe(pg, pz), note
        return None, note
    if pg == pz:
        return None, None
    return _describe(pg, pz), None


def _describe(pg, pz):
    parts = []
    for k in sorted(set(pg) | set(pz)):
        if pg.get(k) != pz.get(k):
            a, b = pg.get(k, "<absent>"), pz.get(k, "<absent>")
            if k == "rows" and isinstance(a, list) and isinstance(b, list) and len(a) > 6:
                a = a[:6] + ["..."]
                b = b[:6] + ["..."]
            parts.append(f"{k}: pg={a!r} pz={b!r}")
    return "; ".join(parts)


class Case:
    """A named script. msg=False compares errors by SQLSTATE and position only."""

    def __init__(self, name, script, msg=True):
        self.name, self.script, self.msg = name, script, msg

    def statements(self):
        return split_statements(self.script)


def run_case(case, pg_conn, pz_conn):
    """([(statement, mismatch)], [notes]) for one case on two fresh connections."""
    raw_text(pg_conn)
    raw_text(pz_conn)
    mismatches, notes = [], []
    for sql in case.statements():
        a = run_statement(pg_conn, sql)
        b = run_statement(pz_conn, sql)
        bad, note = compare(a, b, case.msg)
        if bad:
            mismatches.append((sql, bad))
        if note:
            notes.append(f"{case.name}: {sql!r}: {note}")
        if "broken" in b:
            break
    return mismatches, notes


def cleanup_sql(script):
    """DROP statements for the tables and views a script creates, so the next case starts
    clean even when this one stopped part way (views first: they depend on tables)."""
    views = re.findall(r"create\s+(?:or\s+replace\s+)?view\s+(\w+)", script, re.I)
    tables = re.findall(r"create\s+table\s+(?:if\s+not\s+exists\s+)?(\w+)", script, re.I)
    renamed = re.findall(r"alter\s+table\s+\w+\s+rename\s+to\s+(\w+)", script, re.I)
    seqs = re.findall(r"create\s+sequence\s+(?:if\s+not\s+exists\s+)?(\w+)", script, re.I)
    out = [f"DROP VIEW IF EXISTS {v}" for v in views]
    out += [f"DROP TABLE IF EXISTS {t}" for t in tables + renamed]
    out += [f"DROP SEQUENCE IF EXISTS {s}" for s in seqs]
    return out
