#!/bin/sh
# smoke.sh BUILD_DIR — runs every libFuzzer target that is built, each for a bounded time on its
# seed corpus, and exits non-zero if any finds a crash, a leak, UB or an aborted property.
#
#   fuzz_msg        45 s  seeds written by fuzz_msg_seeds
#   fuzz_pgwire     30 s  seeds from tests/fuzz/corpus_pgwire/
#   fuzz_sql_parse  15 s  seeds from tests/fuzz/corpus_sql/
# (about 90 s in all; PZ_FUZZ_SECONDS=N gives every target N seconds instead). fuzz_msg is
# required; the other targets are run when built and reported as skipped otherwise.
#
# Builds nothing: configure and build first, e.g.
#   CC=clang cmake -S . -B build-fuzz -G Ninja -DPZ_FUZZ=ON
#   cmake --build build-fuzz --target fuzz_msg fuzz_pgwire fuzz_sql_parse
#   tests/fuzz/smoke.sh build-fuzz
# Inputs the fuzzers find interesting are kept in BUILD_DIR/fuzz/corpus-<target> (so later runs
# start from them; the checked-in seed directories are only read); a crashing input is written
# to BUILD_DIR/fuzz/artifacts/<target>-crash-*.
set -eu

build=${1:?usage: smoke.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
artifacts=$build/fuzz/artifacts
mkdir -p "$artifacts"

if [ ! -x "$build/bin/fuzz_msg" ] || [ ! -x "$build/bin/fuzz_msg_seeds" ]; then
    echo "smoke.sh: $build/bin/fuzz_msg is not built (configure with -DPZ_FUZZ=ON and" \
         "CC=clang, then build the fuzz_msg target)" >&2
    exit 2
fi

# run NAME SECONDS CORPUS [SEED_DIR]: one target; exits the script on a finding.
run() {
    name=$1
    seconds=${PZ_FUZZ_SECONDS:-$2}
    corpus=$3
    shift 3
    # -max_len: room to grow well past the seeds, and small enough that a parse tree stays far
    # below the depth that needs a session thread's stack; -rss_limit_mb: a decoder that
    # balloons memory is a finding, not an environment problem.
    status=0
    "$build/bin/$name" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$corpus" "$@" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "smoke.sh: $name failed (exit $status); reproducer in $artifacts/" >&2
        exit "$status"
    fi
    echo "smoke.sh: $name ran ${seconds}s without a crash"
}

mkdir -p "$build/fuzz/corpus-msg"
"$build/bin/fuzz_msg_seeds" "$build/fuzz/corpus-msg"
run fuzz_msg 45 "$build/fuzz/corpus-msg"

for spec in fuzz_pgwire:30:corpus_pgwire fuzz_sql_parse:15:corpus_sql; do
    name=${spec%%:*}
    rest=${spec#*:}
    if [ ! -x "$build/bin/$name" ]; then
        echo "smoke.sh: $name is not built: skipped"
        continue
    fi
    mkdir -p "$build/fuzz/corpus-${name#fuzz_}"
    run "$name" "${rest%%:*}" "$build/fuzz/corpus-${name#fuzz_}" "$here/${rest#*:}"
done
