#!/usr/bin/env bash
# bench/txn_bench.sh — the transaction benchmarks of issue 4: ours (SERIALIZABLE multi-statement
# transactions, durable commits) against PostgreSQL 15 (its defaults: READ COMMITTED, fsync and
# synchronous_commit on) in one run on one machine, printing ratios ours / PostgreSQL.
#
#   bench/txn_bench.sh                 TPC-B (pgbench's default script) at 1, 16 and 32 clients,
#                                      scale 10; high contention (scale 1, 32 clients) with its
#                                      failure and retry rates; sysbench oltp_read_write; KV
#                                      batches, messages and fsyncs per TPC-B transaction
#                                      (~15 minutes with the default 2 rounds)
#   bench/txn_bench.sh --smoke         tiny runs that prove every part works (~45 s); exits 1
#                                      if ours loses an update (the TPC-B sums disagree)
#   bench/txn_bench.sh --profile DIR   also perf-records our node during TPC-B -M prepared at 16
#                                      clients and keeps the per-transaction counts there
#
# Options: --time S (per run, default 10), --clients "1 16 32", --scale N (default 10),
# --modes "prepared simple", --max-tries N (pgbench's retries of 40001/40P01, default 10),
# --rounds N (default 2; every row runs PostgreSQL then ours N times alternating, keeps the best
# of each and lists every round's TPS), --contention-clients N (default 32), --serializable-clients
# "16" (TPC-B rows also run with PostgreSQL at SERIALIZABLE, ours' level; with "" neither these
# nor the contention run's SERIALIZABLE rows run), --table-size N (sysbench rows, default
# 10000), --sb-threads "1 16", --count-clients "1 16" (the counting runs: --count-txns 2000
# transactions in all), --only "tpcb counts contention sysbench", --no-build. Environment: PZ_BENCH_BUILD (build dir, default build-bench), PZ_JOBS, PG_BIN.
#
# Both servers are private (fresh data dirs under one mktemp dir, free loopback ports, removed on
# exit): bench/sql_lib.sh starts them exactly as bench/sql_bench.sh does. pgbench's failed
# transactions (40001/40P01 past --max-tries) are counted and not in its TPS; any other error
# aborts that client and the row says so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

build=1 secs=10 clients="1 16 32" scale=10 modes="prepared simple" max_tries=10 rounds=2
contention_clients=32 ser_clients="16" table_size=10000 sb_threads="1 16" profile_dir=""
only="tpcb counts contention sysbench" count_txns=2000 count_clients="1 16"
for a in "$@"; do # --smoke sets the defaults; options given beside it still win
    if [ "$a" = --smoke ]; then
        secs=1 clients="2" scale=1 modes="prepared" rounds=1 contention_clients=4
        ser_clients="" table_size=1000 sb_threads="2" count_txns=50 count_clients="1"
    fi
done
while (($#)); do
    case "$1" in
    --smoke) ;;
    --no-build) build=0 ;;
    --time) secs=$2; shift ;;
    --clients) clients=$2; shift ;;
    --scale) scale=$2; shift ;;
    --modes) modes=$2; shift ;;
    --max-tries) max_tries=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --contention-clients) contention_clients=$2; shift ;;
    --serializable-clients) ser_clients=$2; shift ;;
    --table-size) table_size=$2; shift ;;
    --sb-threads) sb_threads=$2; shift ;;
    --count-clients) count_clients=$2; shift ;;
    --count-txns) count_txns=$2; shift ;;
    --only) only=$2; shift ;;
    --profile) profile_dir=$(realpath -m "$2"); shift ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "txn_bench.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=bench/sql_lib.sh
source "$repo/bench/sql_lib.sh"
s_setup txn_bench sysbench pgbench
sums_bad=0
# shellcheck source=bench/txn_lib.sh
source "$repo/bench/txn_lib.sh"
trap 's_cleanup' EXIT
trap 'exit 130' INT TERM

# s_tx_load TARGET: pgbench's tables at $scale, by `pgbench -i` (drop, create, COPY, vacuum,
# primary keys) where it works, else with plain SQL (bench/sql_lib.sh's s_pgbench_load: the same
# columns, keys and rows). Prints how it loaded.
s_tx_load()
{
    local host port user db t0
    s_conn "$1"
    t0=$(s_now)
    if pgbench -i -q -s "$scale" -h "$host" -p "$port" -U "$user" "$db" \
        >"$tmp/init-$1.log" 2>&1; then
        echo "pgbench -i in $(s_since "$t0") s"
        return
    fi
    s_log "$(s_name "$1"): pgbench -i -s $scale FAILED ($(grep -m1 -iE "error|fatal" \
        "$tmp/init-$1.log")); loading with plain SQL"
    s_pgbench_load "$1"
    [ "$1" = pg ] && s_sql pg "VACUUM ANALYZE" >/dev/null
    echo "plain SQL in $(s_since "$t0") s"
}

s_tpcb()
{
    local lpg lpz mode thr
    lpg=$(s_tx_load pg) lpz=$(s_tx_load pz)
    s_log "TPC-B tables at scale $scale: PostgreSQL $lpg, ours $lpz"
    for mode in $modes; do
        for thr in $clients; do
            s_tx_pair tpcb "$mode" "$thr"
            if [[ " $ser_clients " == *" $thr "* ]]; then
                s_tx_pair tpcb "$mode" "$thr" serializable
            fi
        done
    done
    if [[ " $only " == *" counts "* ]]; then
        local first=${modes%% *} n
        for n in $count_clients; do
            s_counts "$first" "$n" $(((count_txns + n - 1) / n))
        done
    fi
    s_pgbench_check pg
    s_pgbench_check pz
}

s_contention()
{
    local lpg lpz mode save=$scale
    scale=1
    lpg=$(s_tx_load pg) lpz=$(s_tx_load pz)
    s_log "contention: TPC-B tables at scale 1 (one branch row every transaction updates):" \
        "PostgreSQL $lpg, ours $lpz"
    for mode in $modes; do
        s_tx_pair "tpcb contention" "$mode" "$contention_clients"
        if [ -n "$ser_clients" ]; then
            s_tx_pair "tpcb contention" "$mode" "$contention_clients" serializable
        fi
    done
    s_pgbench_check pg
    s_pgbench_check pz
    scale=$save
}

s_tx_sysbench()
{
    sb_note="" sb_opts=()
    s_sb_prepare pg
    s_sql pg "VACUUM ANALYZE sbtest1" >/dev/null
    s_sb_prepare pz
    local thr pgr pzr pgl pzl round r note pe ze
    for thr in $sb_threads; do
        pgr="" pzr="" pgl="" pzl=""
        for ((round = 0; round < rounds; round++)); do
            r=$(s_sb_run pg oltp_read_write "$thr")
            pgl="$pgl${pgl:+/}${r%% *}" pgr=$(s_best "$pgr" "$r")
            r=$(s_sb_run pz oltp_read_write "$thr")
            pzl="$pzl${pzl:+/}${r%% *}" pzr=$(s_best "$pzr" "$r")
        done
        note="$table_size rows${sb_note:+; $sb_note}"
        ((rounds > 1)) && note="$note; rounds PG $pgl, ours $pzl"
        pe=$(awk '{print $4}' <<<"$pgr") ze=$(awk '{print $4}' <<<"$pzr")
        note="$note; ignored errors (sysbench retries the transaction) PG ${pe:-0}, ours ${ze:-0}"
        s_row "sysbench oltp_read_write" "$thr" "$pgr" "$pzr" "$note"
    done
}

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$(uptime | sed 's/.*load average/load average/')"
s_pg_start
s_pz_start
echo "   PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on :$pg_port (fsync on," \
    "synchronous_commit on, READ COMMITTED unless a row says SERIALIZABLE); ours (pid $pz_pid)" \
    "on :$pz_port (durable commits, SERIALIZABLE); pgbench --max-tries=$max_tries," \
    "-T $secs, -j = -c"
echo "   disk: one 8 KiB O_DSYNC write takes $(s_disk_probe) (dd, in the data dirs' filesystem)"
# --only counts without tpcb: load both servers' tables, then the counting runs as s_tpcb does.
s_counts_alone()
{
    local n
    s_tx_load pg >/dev/null
    s_tx_load pz >/dev/null
    for n in $count_clients; do
        s_counts prepared "$n" $(((count_txns + n - 1) / n))
    done
}

s_table_header
max_threads="" # sql_lib.sh's point-select profile hook stays off

for w in $only; do
    case "$w" in
    tpcb) s_tpcb ;;
    counts) [[ " $only " == *" tpcb "* ]] || s_counts_alone ;;
    contention) s_contention ;;
    sysbench) s_tx_sysbench ;;
    *) echo "txn_bench.sh: unknown workload $w" >&2; exit 2 ;;
    esac
done

echo
echo "== summary (ratio = ours / PostgreSQL; latencies in ms)," \
    "$(uptime | sed "s/.*load average/load average/"), disk: one 8 KiB O_DSYNC write" \
    "$(s_disk_probe)"
cat "$tmp/rows.md"
s_pz_check_alive
if ((sums_bad)); then
    echo "txn_bench.sh: the TPC-B sums disagree on a server (see above)" >&2
    exit 1
fi
