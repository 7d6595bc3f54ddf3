#!/usr/bin/env bash
# The test command: builds everything from nothing and runs every test suite.
#
#   ./scripts/test.sh             deps, release + ASan/UBSan builds, unit tests in both, the
#                                 integration suite (all of it on the release build, a subset on
#                                 the ASan build), the fuzz smoke run
#   ./scripts/test.sh --quick     release build only: no ASan/UBSan build, no fuzz
#   ./scripts/test.sh --no-deps   do not run scripts/install-deps.sh
#
# Every step runs even when an earlier one failed (a step whose build failed is skipped), so one
# run shows everything that is broken. The last line is "N passed, N failed", counting steps; the
# exit code is non-zero when any step failed. Environment: PZ_JOBS (build parallelism, default 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec </dev/null # nothing here reads stdin; CI has none

quick=0
deps=1
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        --no-deps) deps=0 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "test.sh: unknown option: $arg (see --help)" >&2; exit 64 ;;
    esac
done

JOBS=${PZ_JOBS:-2}
PY=/usr/bin/python3 # Debian's, which has python3-psycopg2; not whatever python3 is first in PATH
# The integration subset re-run on the ASan/UBSan build: the KV data path, clean shutdown (where
# leaks show) and restart after kill -9 (recovery code); start-up errors and the full-disk and
# txn-kill tests, the spilling differential cases (sql_diff_spill: minutes under ASan) and the
# transaction suites run on the release build only, to keep the whole run near 15 minutes.
ASAN_IT_PATTERN=${PZ_ASAN_IT_PATTERN:-kv_,sigterm,durability_kill_storage,sql_diff_pg15,sql_copy,sql_catalog,pgwire_psycopg2}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
skipped=0
results=()
t_start=$SECONDS

# step NAME COMMAND...: runs COMMAND, records the outcome, returns its exit code.
step() {
    local name=$1 rc=0 t0=$SECONDS
    shift
    printf '\n==== %s\n' "$name"
    "$@" || rc=$?
    local dt=$((SECONDS - t0))
    if ((rc == 0)); then
        passed=$((passed + 1))
        results+=("PASS  $name (${dt}s)")
    else
        failed=$((failed + 1))
        results+=("FAIL  $name (exit $rc, ${dt}s)")
    fi
    local outcome="FAILED, exit $rc"
    ((rc != 0)) || outcome=ok
    printf '==== %s: %s (%ss)\n' "$name" "$outcome" "$dt"
    return "$rc"
}

skip() {
    skipped=$((skipped + 1))
    results+=("SKIP  $1 ($2)")
    printf '\n==== %s: skipped (%s)\n' "$1" "$2"
}

# build_tree DIR "TARGETS" -- CMAKE_ARGS...: configure (Ninja, unless DIR was already configured
# with another generator) and build TARGETS (space-separated; "" for all). Called under `if`,
# where set -e does not apply: every command checks its own status.
build_tree() {
    local dir=$1 targets=()
    read -r -a targets <<<"$2"
    shift 3
    local gen=(-G Ninja)
    if [ -f "$dir/CMakeCache.txt" ]; then gen=(); fi
    cmake -S . -B "$dir" "${gen[@]}" "$@" || return
    if ((${#targets[@]})); then
        cmake --build "$dir" -j "$JOBS" --target "${targets[@]}" || return
    else
        cmake --build "$dir" -j "$JOBS" || return
    fi
}

unit_tests() {
    ctest --test-dir "$1" --output-on-failure --timeout 300 --no-tests=error
}

integration() {
    local dir=$1
    shift
    timeout -k 30 "$INTEGRATION_TIMEOUT_S" "$PY" tests/integration/run.py --build-dir "$dir" "$@"
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
echo "test.sh: $(nproc) cores, $(uname -sr), commit $commit"

if ((deps)); then
    step "install dependencies" ./scripts/install-deps.sh || true
fi

# Release-ish build: everything the integration suite runs against.
if step "build (RelWithDebInfo, build/)" build_tree build "" -- \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
    step "unit tests (build/)" unit_tests build || true
    INTEGRATION_TIMEOUT_S=900
    step "integration tests (build/)" integration build || true
    # The shared sqllogictest files through pgwire: per-file pass counts must not drop below
    # the recorded ones (tests/sqllogic/expected.json; re-record with --record when they rise).
    if [ -d ../shared/sqllogictest/test ]; then
        step "sqllogictest (../shared/sqllogictest, gate: tests/sqllogic/expected.json)" \
            timeout -k 30 900 "$PY" tests/sqllogic/run.py --target phantomzero --build-dir build \
            --check tests/sqllogic/expected.json || true
    else
        skip "sqllogictest" "../shared/sqllogictest is not beside this checkout"
    fi
else
    skip "unit tests (build/)" "build failed"
    skip "integration tests (build/)" "build failed"
    skip "sqllogictest" "build failed"
fi

# The benchmarks are their own target (bench/run.sh); their smoke run proves they still work.
if [ -x build/bin/phantomzero ]; then
    step "benchmark smoke (bench/run.sh --smoke)" env PZ_BENCH_BUILD=build bench/run.sh --smoke \
        || true
else
    skip "benchmark smoke" "build failed"
fi

if ((quick)); then
    skip "ASan/UBSan build and tests" "--quick"
    skip "fuzz smoke" "--quick"
else
    if step "build (ASan/UBSan Debug, build-asan/)" build_tree build-asan "" -- \
            -DCMAKE_BUILD_TYPE=Debug -DPZ_SANITIZE=ON; then
        step "unit tests (build-asan/)" unit_tests build-asan || true
        INTEGRATION_TIMEOUT_S=600
        step "integration subset (build-asan/: $ASAN_IT_PATTERN)" integration build-asan \
            --topology all -k "$ASAN_IT_PATTERN" || true
    else
        skip "unit tests (build-asan/)" "build failed"
        skip "integration subset (build-asan/)" "build failed"
    fi

    if [ -f tests/fuzz/smoke.sh ]; then
        # smoke.sh gets the fuzz build directory as its only argument; it runs every fuzz target
        # built there (fuzz_msg on the corpus fuzz_msg_seeds writes, fuzz_pgwire, fuzz_sql_parse)
        # for a bounded total time.
        fuzz_targets="fuzz_msg fuzz_msg_seeds fuzz_pgwire fuzz_sql_parse"
        if step "build (libFuzzer, build-fuzz/)" build_tree build-fuzz "$fuzz_targets" -- \
                -DCMAKE_C_COMPILER=clang -DPZ_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
            step "fuzz smoke" timeout -k 30 600 bash tests/fuzz/smoke.sh build-fuzz || true
        else
            skip "fuzz smoke" "build failed"
        fi
    else
        skip "fuzz smoke" "no tests/fuzz/smoke.sh"
    fi
fi

printf '\n==== summary (%ss)\n' "$((SECONDS - t_start))"
printf '%s\n' "${results[@]}"
((skipped == 0)) || echo "$skipped step(s) skipped"
echo "$passed passed, $failed failed"
((failed == 0))
