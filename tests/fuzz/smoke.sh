#!/bin/sh
# smoke.sh BUILD_DIR — runs the fuzz_msg libFuzzer target for about 60 seconds on a fresh seed
# corpus and exits non-zero if it finds a crash, a leak, UB or an aborted property.
#
# Builds nothing: configure and build first, e.g.
#   CC=clang cmake -S . -B build-fuzz -G Ninja -DPZ_FUZZ=ON
#   cmake --build build-fuzz --target fuzz_msg
#   tests/fuzz/smoke.sh build-fuzz
# Inputs the fuzzer finds interesting are kept in BUILD_DIR/fuzz/corpus-msg (so later runs start
# from them); a crashing input is written to BUILD_DIR/fuzz/artifacts/.
set -eu

build=${1:?usage: smoke.sh BUILD_DIR}
seconds=${PZ_FUZZ_SECONDS:-60}
fuzzer=$build/bin/fuzz_msg
seeds=$build/bin/fuzz_msg_seeds
for exe in "$fuzzer" "$seeds"; do
    if [ ! -x "$exe" ]; then
        echo "smoke.sh: $exe is not built (configure with -DPZ_FUZZ=ON and CC=clang," \
             "then build the fuzz_msg target)" >&2
        exit 2
    fi
done

corpus=$build/fuzz/corpus-msg
artifacts=$build/fuzz/artifacts
mkdir -p "$corpus" "$artifacts"
"$seeds" "$corpus"

# -max_len: room to grow well past the seeds; -rss_limit_mb: a decoder that balloons memory is
# a finding, not an environment problem.
status=0
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" || status=$?
if [ "$status" -ne 0 ]; then
    echo "smoke.sh: fuzz_msg failed (exit $status); reproducer in $artifacts/" >&2
    exit "$status"
fi
echo "smoke.sh: fuzz_msg ran ${seconds}s without a crash"
