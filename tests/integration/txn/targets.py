"""The server a suite runs against: a private PostgreSQL 15, a Phantom Zero single node, or any
DSN. Written by hand so that every suite takes one object with the same face: connect(), the
isolation levels to run, how long a statement may take before it counts as blocked, and (for
PostgreSQL only) an exact lock-wait probe.

`flavor` says whose exact outcomes apply: "postgres" targets are held to PostgreSQL's recorded
outcome statement by statement; any other target is held to the strictness rule (script.py).
"""

import psycopg2

LEVELS = {"rc": "READ COMMITTED", "rr": "REPEATABLE READ", "ser": "SERIALIZABLE"}
PG_BLOCK_S = 10.0  # PostgreSQL's probe answers "blocked" at once; this only bounds a slow box
OTHER_BLOCK_S = 2.0  # no probe: a statement still running after this is blocked
CONNECT_TIMEOUT_S = 10


class Target:
    def __init__(self, name, dsn, flavor, levels, block_s=None):
        assert flavor in ("postgres", "other"), flavor
        self.name, self._dsn, self.flavor, self.levels = name, dsn, flavor, tuple(levels)
        self.block_s = block_s or (PG_BLOCK_S if flavor == "postgres" else OTHER_BLOCK_S)
        self._admin = None
        # presplit(cursor, table): called by every suite right after it creates a table, so a
        # target can spread the table over several ranges before the case runs (None: one).
        self.presplit = None

    def dsn(self):
        return self._dsn

    def connect(self, autocommit=True):
        c = psycopg2.connect(self._dsn, connect_timeout=CONNECT_TIMEOUT_S)
        c.autocommit = autocommit
        return c

    def admin(self):
        """One long-lived connection of the main thread, for setup, final reads and the probe
        (a case would otherwise pay for two more connections)."""
        if self._admin is None or self._admin.closed:
            self._admin = self.connect()
        return self._admin

    def probe(self):
        """A function pid -> bool (is that backend waiting on a lock), or None without one."""
        if self.flavor != "postgres":
            return None

        def waiting(pid):
            cur = self.admin().cursor()
            cur.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", (pid,))
            return cur.fetchone()[0]

        return waiting

    def after_create(self, cur, table):
        """Every suite calls this right after CREATE TABLE (see presplit above)."""
        if self.presplit is not None:
            self.presplit(cur, table)

    def close(self):
        if self._admin is not None and not self._admin.closed:
            self._admin.close()


def postgres(ctx, levels=("rc", "rr", "ser")):
    """A private PostgreSQL 15 in ctx's folder (sql_servers.Pg15), started."""
    from sql_servers import Pg15

    pg = Pg15(ctx).start()
    return Target("postgres15", pg.dsn(), "postgres", levels)


def phantomzero(ctx, levels=("rc", "ser"), block_s=None):
    """A Phantom Zero single node (sql_servers.PzSql), started."""
    from sql_servers import PzSql

    pz = PzSql(ctx).start()
    return Target("phantomzero", pz.dsn(), "other", levels, block_s)


def from_dsn(dsn, flavor, levels, block_s=None):
    return Target(f"dsn({flavor})", dsn, flavor, levels, block_s)
