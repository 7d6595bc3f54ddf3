#!/usr/bin/env bash
# bench/run.sh — builds a release tree and runs the benchmarks, each of which measures ours and
# its baseline in the same run and prints ratios. Results go to docs/benchmarks.md by hand, with
# this command line.
#
#   bench/run.sh            full runs (about 2 minutes)
#   bench/run.sh --smoke    tiny runs that only prove the benchmarks work (the default test run);
#                           with PostgreSQL 15, pgbench and sysbench installed it also runs
#                           bench/txn_bench.sh --smoke (transactions against PostgreSQL, ~45 s)
#
# Environment: PZ_BENCH_BUILD (build dir, default build-bench), PZ_JOBS (default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1
dir=${PZ_BENCH_BUILD:-build-bench}
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j "${PZ_JOBS:-2}" --target bench_rt bench_kv phantomzero \
    pz_mod_sql >/dev/null
tmp=$(mktemp -d /tmp/pz-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "== $(date -u +%FT%TZ) $(nproc) cores, $(git rev-parse --short HEAD)"
if ((smoke)); then
    "$dir/bin/bench_rt" --iters 500
    "$dir/bin/bench_kv" --seconds 0.2 --keys 500 --dir "$tmp"
    # The transaction smoke fails when ours loses a TPC-B update or a server dies; without the
    # PostgreSQL side there is nothing to compare with, so it is skipped and says so.
    if command -v pgbench >/dev/null && command -v sysbench >/dev/null &&
        [ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ]; then
        PZ_BENCH_BUILD=$dir bench/txn_bench.sh --smoke --no-build
    else
        echo "txn_bench.sh --smoke skipped: PostgreSQL 15, pgbench or sysbench not installed"
    fi
else
    "$dir/bin/bench_rt" --iters 50000
    "$dir/bin/bench_kv" --seconds 5 --keys 100000 --dir "$tmp"
fi
