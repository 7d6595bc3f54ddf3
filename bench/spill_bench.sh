#!/usr/bin/env bash
# bench/spill_bench.sh — sorts and hash aggregations past work_mem: ours and PostgreSQL 15 side by
# side on one machine, both at work_mem = 4MB (PostgreSQL's default), so both spill to temp
# files (ours: external merge sort and partitioned hash aggregation, modules/sql/sql_spill.h).
# Prints best-of-N wall times and the ratio PG time / ours (above 1: ours is faster).
#
#   bench/spill_bench.sh                 2,000,000 rows, best of 3
#   bench/spill_bench.sh --smoke         50,000 rows, one run: proves the workloads work
#
# Options: --rows N (default 2000000), --runs N (default 3), --work-mem M (default 4MB),
# --no-build (use the binaries already in the build dir).
# Environment: PZ_BENCH_BUILD (build dir, default build-bench), PZ_JOBS (default 2), PG_BIN.
#
# The rows come from generate_series on both (no table: the scan paths differ and are measured
# by sql_bench.sh; this measures the operators). Queries return one row, checked equal on both:
#   sort     ORDER BY a scrambled key, LIMIT 1 OFFSET rows-1 (the whole input sorted: a top-N
#            bound of all rows does not fit in work_mem on either side)
#   sort-text  the same over a text key of ~20 bytes with its row
#   group    GROUP BY a key with rows/4 groups, count and sum per group, summed over groups
# Servers, ports and cleanup are bench/sql_lib.sh's (both private, killed and removed on exit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

build=1 rows=2000000 runs=3 work_mem=4MB
while (($#)); do
    case "$1" in
    --smoke) rows=50000 runs=1 ;;
    --no-build) build=0 ;;
    --rows) rows=$2; shift ;;
    --runs) runs=$2; shift ;;
    --work-mem) work_mem=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "spill_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=bench/sql_lib.sh
source "$repo/bench/sql_lib.sh"
s_setup spill_bench
trap 's_cleanup' EXIT
trap 'exit 130' INT TERM

# s_spill_time TARGET SQL -> best wall time in ms over $runs runs in one session at work_mem
# (psql's \timing, turned on after the SET so that only the query is timed).
s_spill_time()
{
    local host port user db
    s_conn "$1"
    local i script="SET work_mem = '$work_mem';"$'\n'"\\timing on"
    for ((i = 0; i < runs; i++)); do script+=$'\n'"$2;"; done
    psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -h "$host" -p "$port" -U "$user" -d "$db" \
        <<<"$script" >"$tmp/q-$1.log" 2>&1 || { s_log "$(s_name "$1") query FAILED:";
            grep -E "ERROR|FATAL" "$tmp/q-$1.log" | head -3 >&2; echo FAIL; return; }
    awk '/^Time: / { if (m == "" || $2 < m) m = $2 } END { printf "%.1f", m }' "$tmp/q-$1.log"
}

s_spill_row()
{
    local name=$1 q=$2 a b note="best of $runs, ms, work_mem $work_mem (ratio = PG time / ours)"
    a=$(s_sql pg "SET work_mem = '$work_mem'; $q" | md5sum)
    b=$(s_sql pz "SET work_mem = '$work_mem'; $q" | md5sum)
    [ "$a" = "$b" ] || note="$note; RESULTS DIFFER from PostgreSQL's"
    local pgms pzms
    pgms=$(s_spill_time pg "$q")
    pzms=$(s_spill_time pz "$q")
    s_row "$name $rows rows (ms)" 1 "$pgms - -" "$pzms - -" "$note" time
}

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$(uptime | sed 's/.*load average/load average/')"
s_pg_start
s_pz_start
echo "   PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on :$pg_port; ours" \
    "(pid $pz_pid) on :$pz_port; work_mem $work_mem on both"
s_table_header

mod=$((rows * 2 + 1))
s_spill_row "ORDER BY int" "SELECT x, g FROM (SELECT (g::int8 * 7919) % $mod AS x, g \
FROM generate_series(1, $rows) g) s ORDER BY x LIMIT 1 OFFSET $((rows - 1))"
s_spill_row "ORDER BY text" "SELECT t, g FROM (SELECT 'key' || lpad(((g::int8 * 7919) % $mod)::text, \
16, '0') AS t, g FROM generate_series(1, $rows) g) s ORDER BY t DESC LIMIT 1 OFFSET $((rows - 1))"
s_spill_row "GROUP BY" "SELECT count(*), sum(c), sum(s) FROM (SELECT g % $((rows / 4)) AS k, \
count(*) AS c, sum(g) AS s FROM generate_series(1, $rows) g GROUP BY 1) x"

echo
echo "== summary (times in ms; ratio = PG time / ours), $(uptime | sed "s/.*load average/load average/")"
cat "$tmp/rows.md"
s_pz_check_alive
