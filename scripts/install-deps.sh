#!/usr/bin/env bash
# Installs, from Debian 12's packages, everything the build and the tests need.
#
# Idempotent and quick when nothing is missing: the packages are checked with dpkg-query first,
# and apt-get (update, then install) runs only for the missing ones. Needs root, or sudo.
#
#   ./scripts/install-deps.sh           install what is missing
#   ./scripts/install-deps.sh --check   list what is missing, install nothing (exit 1 if any)
set -euo pipefail

PACKAGES=(
    # toolchain
    build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
    # libraries (see docs/ARCHITECTURE.md)
    libzmq3-dev libczmq-dev libmsgpack-dev liblmdb-dev libcmocka-dev libpg-query-dev
    libprotobuf-c-dev librocksdb-dev libssl-dev libreadline-dev libmicrohttpd-dev libgmp-dev
    # run time: the IANA time zone database, read from /usr/share/zoneinfo (sql_tz.c)
    tzdata
    # tests and benchmarks: the reference server and its pgbench, clients, tools
    postgresql-15 python3 python3-psycopg2 python3-sqlalchemy sysbench iproute2 linux-perf lmdb-utils
)

check_only=0
case "${1:-}" in
    --check) check_only=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 64 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#PACKAGES[@]} packages already installed"
else
    echo "install-deps: missing: ${missing[*]}"
    if ((check_only)); then exit 1; fi
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "install-deps: not root and no sudo" >&2; exit 1; }
        SUDO=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-y -q -o DPkg::Lock::Timeout=300 --no-install-recommends)
    # The package lists of a fresh machine may be absent or stale (an install would then fail on
    # a version no longer served): refresh them unless they were refreshed within the hour.
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -60 2>/dev/null \
               | head -n 1)" ]; then
        "${SUDO[@]}" apt-get update -q </dev/null
    fi
    if ! "${SUDO[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}" </dev/null; then
        # The lists were recent but may still name a version the mirror has dropped: refresh once.
        "${SUDO[@]}" apt-get update -q </dev/null
        "${SUDO[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}" </dev/null
    fi
fi

# pgbench comes with postgresql-15's client package; the benchmarks call it by name.
if ! command -v pgbench >/dev/null && [ ! -x /usr/lib/postgresql/15/bin/pgbench ]; then
    echo "install-deps: pgbench not found after installing postgresql-15" >&2
    exit 1
fi
if ! /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; then
    echo "install-deps: /usr/bin/python3 cannot import psycopg2" >&2
    exit 1
fi
