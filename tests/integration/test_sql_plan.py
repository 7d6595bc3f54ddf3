"""Plan shapes of the cost-based planner, read from EXPLAIN on a real node: proves that
  - ANALYZE changes the row estimates (from the 1000-row default to the table's real size);
  - a small table driving a join into a big table with an index on the join column is a lookup
    join on that index, whichever order the FROM clause names them in;
  - the join order (the plan text) does not depend on the textual order of a 4-table join;
  - statistics refresh by themselves after enough rows are written (the background refresher).
How: one `phantomzero start-single-node`, psycopg2, EXPLAIN's text lines.
"""

import re
import time

import pz
from sql_servers import PzSql


def explain(cur, sql):
    cur.execute("EXPLAIN " + sql)
    return [r[0] for r in cur.fetchall()]


def scan_rows(lines, table):
    for line in lines:
        m = re.search(r"Scan on %s using \S+ \(full\)  \(rows=(\d+)\)" % table, line)
        if m:
            return int(m.group(1))
    return None


def join_lines(lines):
    """The plan's operators with their tables (estimates stripped)."""
    return [re.sub(r"\(rows=\d+\)", "", l).strip() for l in lines
            if "Join" in l or "Scan" in l or "Nested" in l]


@pz.timeout(120)
def test_sql_plan_shapes(ctx):
    ours = PzSql(ctx).start()
    conn = ours.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE big (id int PRIMARY KEY, cust int, v int)")
    cur.execute("CREATE INDEX big_cust ON big (cust)")
    cur.execute("CREATE TABLE small (id int PRIMARY KEY, name text, grp int)")
    cur.execute("CREATE TABLE grp (id int PRIMARY KEY, label text)")
    cur.execute("CREATE TABLE tag (id int PRIMARY KEY, grp int, t text)")
    cur.execute("INSERT INTO big SELECT g, g % 400, g FROM generate_series(1, 20000) g")
    cur.execute("INSERT INTO small SELECT g, 'n' || g, g % 10 FROM generate_series(1, 400) g")
    cur.execute("INSERT INTO grp SELECT g, 'g' || g FROM generate_series(0, 9) g")
    cur.execute("INSERT INTO tag SELECT g, g % 10, 't' || g FROM generate_series(1, 50) g")

    # Before ANALYZE the refresher may already have run for big (20000 rows written): analyze
    # nothing yet for small's estimate check, which stays below the 500-row threshold.
    before = scan_rows(explain(cur, "SELECT * FROM small"), "small")
    pz.check(before == 1000, f"default estimate for small: {before}")
    cur.execute("ANALYZE")
    after = scan_rows(explain(cur, "SELECT * FROM small"), "small")
    pz.check(after == 400, f"estimate after ANALYZE: {after}")
    cur.execute("SELECT reltuples FROM pg_class WHERE relname = 'small'")
    pz.check(float(cur.fetchone()[0]) == 400, "pg_class.reltuples after ANALYZE")

    for sql in ("SELECT count(*) FROM small s JOIN big b ON b.cust = s.id WHERE s.name = 'n7'",
                "SELECT count(*) FROM big b JOIN small s ON b.cust = s.id WHERE s.name = 'n7'",
                "SELECT count(*) FROM big b, small s WHERE s.id = b.cust AND s.name = 'n7'"):
        lines = explain(cur, sql)
        pz.check(any("Lookup Join (Inner) on big using big_cust" in l for l in lines),
                 f"{sql}: no lookup join into big:\n" + "\n".join(lines))
        cur.execute(sql)
        pz.check(cur.fetchone()[0] == 50, f"{sql}: wrong count")

    orders = [
        "FROM big b, small s, grp g, tag t WHERE b.cust = s.id AND s.grp = g.id AND t.grp = g.id "
        "AND t.t = 't3'",
        "FROM tag t, grp g, small s, big b WHERE t.t = 't3' AND g.id = t.grp AND s.grp = g.id "
        "AND s.id = b.cust",
        "FROM small s JOIN big b ON b.cust = s.id JOIN grp g ON g.id = s.grp JOIN tag t "
        "ON t.grp = g.id WHERE t.t = 't3'",
    ]
    shapes, counts = [], []
    for o in orders:
        shapes.append(join_lines(explain(cur, "SELECT count(*), sum(b.v) " + o)))
        cur.execute("SELECT count(*), sum(b.v) " + o)
        counts.append(cur.fetchone())
    pz.check(shapes[0] == shapes[1] == shapes[2],
             "join order depends on the FROM order:\n" + "\n---\n".join("\n".join(s) for s in shapes))
    pz.check(counts[0] == counts[1] == counts[2] and counts[0][0] == 2000, f"counts {counts}")

    # Automatic refresh: 3000 more rows in small (past 20% of 400 + 500) make its estimate move
    # without an ANALYZE.
    cur.execute("INSERT INTO small SELECT g, 'n' || g, g % 10 FROM generate_series(401, 3400) g")
    seen = None
    for _ in range(100):
        seen = scan_rows(explain(cur, "SELECT * FROM small"), "small")
        if seen == 3400:
            break
        time.sleep(0.1)
    pz.check(seen == 3400, f"statistics not refreshed after 3000 writes: estimate {seen}")
    conn.close()


def plan_has(lines, text):
    return any(text in l for l in lines)


def session(ctx, *stmts):
    """A fresh node's connection and cursor, with stmts run (the schema and data), then ANALYZE."""
    conn = PzSql(ctx).start().connect()
    cur = conn.cursor()
    for sql in stmts + ("ANALYZE",):
        cur.execute(sql)
    return conn, cur


@pz.timeout(120)
def test_sql_plan_semi_joins(ctx):
    """Decorrelated subqueries (sql_bind_semi.c): EXISTS / IN become semi joins, NOT EXISTS and
    NOT IN over non-NULL columns anti joins, a lookup semi join when the subquery's table has an
    index on the correlated column and the outer side is small; the forms that must keep their
    subplan (NOT IN over a nullable column, OR, aggregates) keep it; the answers are right."""
    # Customers 1..500 have orders, 20 each (duplicates the semi join must not repeat);
    # amounts above 100 only for customers 1..250.
    conn, cur = session(
        ctx, "CREATE TABLE cust (id int PRIMARY KEY, name text, region int)",
        "CREATE TABLE ord (id int PRIMARY KEY, cust_id int, amount int NOT NULL)",
        "CREATE INDEX ord_cust ON ord (cust_id)",
        "INSERT INTO cust SELECT g, 'c' || g, g % 10 FROM generate_series(1, 2000) g",
        "INSERT INTO ord SELECT g, 1 + g % 500, CASE WHEN 1 + g % 500 <= 250 "
        "THEN 101 + g % 50 ELSE g % 100 END FROM generate_series(1, 10000) g")

    def check(sql, want_plan, want_count):
        lines = explain(cur, sql)
        pz.check(plan_has(lines, want_plan), f"{sql}: no {want_plan}:\n" + "\n".join(lines))
        cur.execute(sql)
        got = cur.fetchone()[0]
        pz.check(got == want_count, f"{sql}: count {got}, want {want_count}")

    ex = "SELECT count(*) FROM cust c WHERE EXISTS (SELECT 1 FROM ord o WHERE o.cust_id = c.id"
    check(ex + ")", "Semi Join", 500)
    check(ex + " AND o.amount > 100)", "Semi Join", 250)
    check("SELECT count(*) FROM cust c WHERE NOT EXISTS (SELECT 1 FROM ord o "
          "WHERE o.cust_id = c.id AND o.amount > 100)", "Anti Join", 1750)
    check("SELECT count(*) FROM cust c WHERE c.id IN (SELECT cust_id FROM ord)", "Semi Join", 500)
    # NOT IN: ord.id and cust.id are primary keys (NOT NULL): an anti join is exact.
    check("SELECT count(*) FROM cust c WHERE c.id NOT IN (SELECT id FROM ord)", "Anti Join", 0)
    check("SELECT count(*) FROM ord o WHERE o.id NOT IN (SELECT id FROM cust)", "Hash Anti Join",
          8000)
    # ord.cust_id is nullable: NOT IN keeps its subplan (its NULL rule is not an anti join's).
    sql = "SELECT count(*) FROM cust c WHERE c.id NOT IN (SELECT cust_id FROM ord)"
    check(sql, "Filter", 1500)
    pz.check(not plan_has(explain(cur, sql), "Anti Join"), "NOT IN over a nullable column")
    # A few outer rows and an index on the correlated column: a lookup semi / anti join.
    check(ex + ") AND c.id BETWEEN 240 AND 260", "Lookup Semi Join on ord using ord_cust", 21)
    check(ex + " AND o.amount > 100) AND c.id BETWEEN 240 AND 260",
          "Lookup Semi Join on ord using ord_cust", 11)
    check("SELECT count(*) FROM cust c WHERE c.id BETWEEN 490 AND 510 AND NOT EXISTS "
          "(SELECT 1 FROM ord o WHERE o.cust_id = c.id)", "Lookup Anti Join on ord using ord_cust",
          10)
    # Forms that stay subplans: under OR, with an aggregate.
    lines = explain(cur, ex + ") OR c.id < 3")
    pz.check(not plan_has(lines, "Semi Join"), "EXISTS under OR decorrelated:\n" + "\n".join(lines))
    lines = explain(cur, "SELECT count(*) FROM cust c WHERE EXISTS (SELECT count(*) FROM ord o "
                    "WHERE o.cust_id = c.id)")
    pz.check(not plan_has(lines, "Semi Join"), "EXISTS over an aggregate decorrelated:\n"
             + "\n".join(lines))
    conn.close()


@pz.timeout(120)
def test_sql_plan_outer_join_pushdown(ctx):
    """WHERE conjuncts on outer joins (sql_bind_outer.c): one on the preserved side reaches its
    scan (key spans), one rejecting the nullable side's NULLs makes the join inner (then its
    filter reaches that side's scan too), and a shrunken side can turn a hash join into a
    lookup join; a conjunct that keeps NULL-extended rows (IS NULL) stays above the join."""
    conn, cur = session(
        ctx, "CREATE TABLE pa (id int PRIMARY KEY, b_id int, x int)",
        "CREATE TABLE pb (id int PRIMARY KEY, y int)",
        "INSERT INTO pa SELECT g, g % 3000, g % 7 FROM generate_series(1, 5000) g",
        "INSERT INTO pb SELECT g, g % 10 FROM generate_series(1, 2000) g")

    def plan(sql):
        return "\n".join(explain(cur, sql))

    base = "SELECT count(*) FROM pa a LEFT JOIN pb b ON a.b_id = b.id WHERE "
    p = plan(base + "a.id BETWEEN 10 AND 20")
    pz.check("Scan on pa using pa_pkey (key range)" in p, "preserved side's span:\n" + p)
    pz.check("Lookup Join (Left) on pb" in p, "11 left rows: a lookup join:\n" + p)
    cur.execute(base + "a.id BETWEEN 10 AND 20")
    pz.check(cur.fetchone()[0] == 11, "count, preserved-side filter")
    p = plan(base + "b.id BETWEEN 100 AND 110")
    pz.check("(Left)" not in p and "Scan on pb using pb_pkey (key range)" in p,
             "null-rejecting filter: an inner join with the span on pb:\n" + p)
    cur.execute(base + "b.id BETWEEN 100 AND 110")
    pz.check(cur.fetchone()[0] == 22, "count, null-rejecting filter")
    p = plan(base + "b.id IS NULL")
    pz.check("Join (Left)" in p, "IS NULL keeps the outer join:\n" + p)
    cur.execute(base + "b.id IS NULL")
    pz.check(cur.fetchone()[0] == 1000, "count, IS NULL")  # b_id 0 once, 2001..2999 once each
    p = plan("SELECT count(*) FROM pb b RIGHT JOIN pa a ON a.b_id = b.id WHERE a.id < 30")
    pz.check("Scan on pa using pa_pkey (key range)" in p, "RIGHT join's preserved side:\n" + p)
    conn.close()
