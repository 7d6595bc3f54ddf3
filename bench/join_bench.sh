#!/usr/bin/env bash
# bench/join_bench.sh — a star-schema join workload on ours and PostgreSQL 15 side by side, in one
# run on one machine, printing each query's best time on both and the ratio (ours / PostgreSQL).
# Every query runs twice: with the FROM clause in the natural order (fact first) and reversed
# (dimensions first), which a planner without join ordering answers very differently.
#
#   bench/join_bench.sh                       1M fact rows, 3 dimensions (~5 minutes)
#   bench/join_bench.sh --smoke               20k fact rows (~30 s)
#   bench/join_bench.sh --suite semi          decorrelated subqueries only: 100k customers, 1M
#                                             orders (EXISTS / NOT EXISTS / IN / NOT IN)
#
# Options: --fact-rows N (default 1000000; orders get as many, customers a tenth),
# --suite star|semi|all (default all), --runs N (each query, best kept; default 3),
# --build-dir DIR (our binaries, default build: point it at another build to compare versions),
# --pg-only / --ours-only.
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin).
#
# Both servers are private: fresh data dirs under one mktemp dir in /tmp, free loopback ports, both
# killed and the dir removed on exit. Both have statistics (ANALYZE after the load).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fact=1000000 runs=3 bdir=build do_pg=1 do_pz=1 suite=all
while (($#)); do
    case "$1" in
    --smoke) fact=20000 runs=1 ;;
    --fact-rows) fact=$2; shift ;;
    --suite) suite=$2; shift ;;
    --runs) runs=$2; shift ;;
    --build-dir) bdir=$2; shift ;;
    --pg-only) do_pz=0 ;;
    --ours-only) do_pg=0 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "join_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
tmp=$(mktemp -d /tmp/pz-joinbench-XXXXXX)
chmod 755 "$tmp" # the postgres user initdb runs as must reach its data dir
pz_pid="" pg_port="" pz_port=""
cleanup() {
    [ -n "$pz_pid" ] && kill "$pz_pid" 2>/dev/null && wait "$pz_pid" 2>/dev/null || true
    [ -n "$pg_port" ] && bash tests/sqllogic/pg15.sh stop "$tmp/pg" "$pg_port" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The schema and load, in chunks our single-batch statements take (PZ_BATCH_REQS_MAX).
load_sql() {
    [ "$suite" = semi ] || load_star_sql
    [ "$suite" = star ] || load_semi_sql
    echo "ANALYZE;"
}

# Customers and their orders for the decorrelated subqueries: a tenth as many customers as
# orders; cust_id spans 1.5x the customers, so about 2/3 of the orders have a customer and a
# few customers none; amounts 0..999 (90% above 100).
load_semi_sql() {
    local cust=$((fact / 10)) step=20000
    echo "CREATE TABLE customers (id int PRIMARY KEY, name text, region int);"
    echo "CREATE TABLE orders (id int PRIMARY KEY, cust_id int, amount int NOT NULL);"
    echo "CREATE INDEX orders_cust ON orders (cust_id);"
    for ((lo = 1; lo <= cust; lo += step)); do
        local hi=$((lo + step - 1 < cust ? lo + step - 1 : cust))
        echo "INSERT INTO customers SELECT g, 'c' || g, g % 50 FROM generate_series($lo, $hi) g;"
    done
    for ((lo = 1; lo <= fact; lo += step)); do
        local hi=$((lo + step - 1 < fact ? lo + step - 1 : fact))
        echo "INSERT INTO orders SELECT g, 1 + (g::int8 * 7919) % $((cust * 3 / 2)), (g * 31) % 1000 FROM generate_series($lo, $hi) g;"
    done
}

load_star_sql() {
    cat <<EOF
CREATE TABLE d1 (id int PRIMARY KEY, name text, cat int);
CREATE TABLE d2 (id int PRIMARY KEY, name text, cat int);
CREATE TABLE d3 (id int PRIMARY KEY, name text, cat int);
CREATE TABLE fact (id int PRIMARY KEY, k1 int, k2 int, k3 int, amount int);
CREATE INDEX fact_k1 ON fact (k1);
INSERT INTO d1 SELECT g, 'a' || g, g % 100 FROM generate_series(1, 10000) g;
INSERT INTO d2 SELECT g, 'b' || g, g % 20 FROM generate_series(1, 1000) g;
INSERT INTO d3 SELECT g, 'c' || g, g % 10 FROM generate_series(1, 100) g;
EOF
    local step=20000
    for ((lo = 1; lo <= fact; lo += step)); do
        local hi=$((lo + step - 1 < fact ? lo + step - 1 : fact))
        echo "INSERT INTO fact SELECT g, 1 + (g * 7) % 10000, 1 + (g * 13) % 1000, 1 + g % 100, g % 1000 FROM generate_series($lo, $hi) g;"
    done
}

# name|query (natural FROM order); the reversed one is derived by hand below.
star_queries=(
    "q1_lookup|SELECT count(*), sum(f.amount) FROM fact f JOIN d1 a ON f.k1 = a.id WHERE a.name = 'a77'"
    "q1_rev|SELECT count(*), sum(f.amount) FROM d1 a JOIN fact f ON f.k1 = a.id WHERE a.name = 'a77'"
    "q2_star3|SELECT count(*), sum(f.amount) FROM fact f, d1 a, d2 b, d3 c WHERE f.k1 = a.id AND f.k2 = b.id AND f.k3 = c.id AND a.cat = 7 AND b.cat = 3 AND c.cat = 1"
    "q2_rev|SELECT count(*), sum(f.amount) FROM d3 c, d2 b, d1 a, fact f WHERE f.k1 = a.id AND f.k2 = b.id AND f.k3 = c.id AND a.cat = 7 AND b.cat = 3 AND c.cat = 1"
    "q3_group|SELECT b.cat, count(*), sum(f.amount) FROM fact f JOIN d1 a ON f.k1 = a.id JOIN d2 b ON f.k2 = b.id WHERE a.cat < 3 GROUP BY b.cat ORDER BY 1"
    "q3_rev|SELECT b.cat, count(*), sum(f.amount) FROM d2 b JOIN d1 a ON true JOIN fact f ON f.k1 = a.id AND f.k2 = b.id WHERE a.cat < 3 GROUP BY b.cat ORDER BY 1"
    "q4_merge|SELECT count(*), sum(x.amount + y.amount) FROM fact x JOIN fact y ON x.id = y.id WHERE x.k3 = 5"
)
# Subqueries a planner without decorrelation runs once per outer row (s5: a few outer rows,
# where a lookup semi join into orders_cust is the plan).
semi_queries=(
    "s1_exists|SELECT count(*) FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id AND o.amount > 100)"
    "s2_notex|SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id AND o.amount > 100)"
    "s3_in|SELECT count(*) FROM customers c WHERE c.id IN (SELECT cust_id FROM orders WHERE amount < 10)"
    "s4_notin|SELECT count(*) FROM orders o WHERE o.id NOT IN (SELECT id FROM customers)"
    "s5_few|SELECT count(*) FROM customers c WHERE c.region = 7 AND c.id < 5000 AND EXISTS (SELECT 1 FROM orders o WHERE o.cust_id = c.id AND o.amount > 900)"
)
case "$suite" in
star) queries=("${star_queries[@]}") ;;
semi) queries=("${semi_queries[@]}") ;;
all) queries=("${star_queries[@]}" "${semi_queries[@]}") ;;
*) echo "join_bench.sh: --suite star|semi|all" >&2; exit 2 ;;
esac

# Best wall time in ms of `runs` runs of a query through psql.
best_ms() {
    local port=$1 user=$2 db=$3 q=$4 best=""
    for ((r = 0; r < runs; r++)); do
        local t0 t1
        t0=$(date +%s%N)
        psql -X -q -h 127.0.0.1 -p "$port" -U "$user" "$db" -c "$q" >/dev/null
        t1=$(date +%s%N)
        local ms=$(((t1 - t0) / 1000000))
        if [ -z "$best" ] || ((ms < best)); then best=$ms; fi
    done
    echo "$best"
}

declare -A pg_ms pz_ms
if ((do_pg)); then
    pg_port=$(free_port)
    PG_BIN=$pg_bin bash tests/sqllogic/pg15.sh start "$tmp/pg" "$pg_port" >/dev/null
    load_sql | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres postgres >/dev/null
    for e in "${queries[@]}"; do pg_ms[${e%%|*}]=$(best_ms "$pg_port" postgres postgres "${e#*|}"); done
    bash tests/sqllogic/pg15.sh stop "$tmp/pg" "$pg_port" >/dev/null
    pg_port=""
fi
if ((do_pz)); then
    pz_port=$(free_port)
    "$bdir/bin/phantomzero" start-single-node --store="$tmp/pz" --module-dir="$bdir/lib/phantomzero" \
        --sql-addr=127.0.0.1:"$pz_port" --listen-addr=tcp://127.0.0.1:"$(free_port)" --insecure \
        >"$tmp/pz.log" 2>&1 &
    pz_pid=$!
    for _ in $(seq 1 100); do psql -X -h 127.0.0.1 -p "$pz_port" -U root defaultdb -c 'SELECT 1' \
        >/dev/null 2>&1 && break; sleep 0.2; done
    t0=$(date +%s)
    load_sql | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pz_port" -U root defaultdb >/dev/null
    echo "ours: loaded $fact fact/order rows in $(($(date +%s) - t0)) s"
    for e in "${queries[@]}"; do pz_ms[${e%%|*}]=$(best_ms "$pz_port" root defaultdb "${e#*|}"); done
fi
printf '%-10s %12s %12s %8s\n' query "ours ms" "pg15 ms" ratio
for e in "${queries[@]}"; do
    n=${e%%|*} a=${pz_ms[$n]:-} b=${pg_ms[$n]:-}
    r=$([ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2fx", a / (b ? b : 1)}' || echo -)
    printf '%-10s %12s %12s %8s\n' "$n" "${a:--}" "${b:--}" "$r"
done
