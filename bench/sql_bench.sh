#!/usr/bin/env bash
# bench/sql_bench.sh — the SQL benchmarks: ours and PostgreSQL 15 side by side, in one run on one
# machine, printing ratios (ours / PostgreSQL). Absolute numbers drift on shared VMs; the ratio of
# two systems measured minutes apart on the same machine is what is recorded (docs/benchmarks.md).
#
#   bench/sql_bench.sh                  sysbench, pgbench, GROUP BY, COPY (~10 minutes)
#   bench/sql_bench.sh --smoke          tiny runs that only prove every workload works (~1 min)
#   bench/sql_bench.sh --profile DIR    also perf-records our node during oltp_point_select at
#                                       the highest thread count and during the GROUP BY
#
# Options: --time S (per run, default 10), --threads "1 16", --table-size N (sysbench rows,
# default 10000), --scale N (pgbench scale, default 10), --big-rows N (GROUP BY rows, default
# 2000000), --copy-rows N (default 1000000), --copy-clients "1 16" (one COPY row per count: that
# many concurrent COPYs share the rows), --only "sysbench pgbench groupby copy",
# --rounds N (sysbench and pgbench rows run N times, alternating PostgreSQL and ours; the best
# round of each is kept), --no-build (use the binaries already in the build dir),
# --sysbench-tests "oltp_point_select ..." (a subset of oltp_point_select oltp_read_only
# oltp_read_write oltp_insert, e.g. --only sysbench --sysbench-tests oltp_point_select).
# Environment: PZ_BENCH_BUILD (build dir, default build-bench), PZ_JOBS (default 2), PG_BIN.
#
# Both servers are private: fresh data dirs under one mktemp dir in /tmp, free loopback ports, both
# killed and the dir removed on exit. Both commit durably: PostgreSQL with its defaults (fsync on,
# synchronous_commit on), ours with its default (fsync'd commits). PostgreSQL keeps its other
# defaults too (shared_buffers 128 MB, parallel query with 2 workers per gather).
#
# Each row runs PostgreSQL, then ours, back to back, so that drift hits both alike.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

build=1 secs=10 threads="1 16" table_size=10000 scale=10 big_rows=2000000
copy_rows=1000000 copy_clients="1 16" rounds=1 only="sysbench pgbench groupby copy" profile_dir=""
sb_tests="oltp_point_select oltp_read_only oltp_read_write oltp_insert"
for a in "$@"; do # --smoke sets the defaults; options given beside it still win
    if [ "$a" = --smoke ]; then
        secs=1 threads="2" table_size=1000 scale=1 big_rows=20000 copy_rows=10000
        copy_clients="1 4"
    fi
done
while (($#)); do
    case "$1" in
    --smoke) ;;
    --no-build) build=0 ;;
    --time) secs=$2; shift ;;
    --threads) threads=$2; shift ;;
    --table-size) table_size=$2; shift ;;
    --scale) scale=$2; shift ;;
    --big-rows) big_rows=$2; shift ;;
    --copy-rows) copy_rows=$2; shift ;;
    --copy-clients) copy_clients=$2; shift ;;
    --only) only=$2; shift ;;
    --sysbench-tests) sb_tests=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --profile) profile_dir=$(realpath -m "$2"); shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "sql_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

max_threads=${threads##* }

# shellcheck source=bench/sql_lib.sh
source "$repo/bench/sql_lib.sh"
s_setup sql_bench sysbench pgbench
trap 's_cleanup' EXIT
trap 'exit 130' INT TERM

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$(uptime | sed 's/.*load average/load average/')"
s_pg_start
s_pz_start
echo "   PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on :$pg_port" \
    "(fsync on, synchronous_commit on); ours (pid $pz_pid) on :$pz_port (durable commits)"
echo "   ours does not yet provide transaction semantics: BEGIN/COMMIT are accepted, each" \
    "statement commits on its own (issue 4)"
s_table_header

for w in $only; do
    case "$w" in
    sysbench) s_sysbench_all ;;
    pgbench) s_pgbench_all ;;
    groupby) s_groupby ;;
    copy) s_copy ;;
    *) echo "sql_bench.sh: unknown workload $w" >&2; exit 2 ;;
    esac
done

echo
echo "== summary (ratio = ours / PostgreSQL; latencies in ms), $(uptime | sed "s/.*load average/load average/")"
cat "$tmp/rows.md"
s_pz_check_alive
