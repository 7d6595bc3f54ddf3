#!/bin/bash
# Start or stop a throwaway local PostgreSQL 15 cluster for the sqllogictest runner.
#   pg15.sh start DIR PORT   initdb DIR (trust auth) if needed, start it on 127.0.0.1:PORT
#   pg15.sh stop  DIR PORT   stop it (fast shutdown)
# When run as root, initdb/pg_ctl run as the `postgres` OS user (PostgreSQL refuses root).
# Then: run.py --target postgres --dsn "host=127.0.0.1 port=PORT user=postgres dbname=postgres"
set -euo pipefail
cmd=${1:?usage: pg15.sh start|stop DIR PORT}
dir=${2:?usage: pg15.sh start|stop DIR PORT}
port=${3:?usage: pg15.sh start|stop DIR PORT}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$dir.initdb.log" 2>&1 \
            || { cat "$dir.initdb.log" >&2; exit 1; }
    fi
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start
    ;;
stop)
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop
    ;;
*)
    echo "usage: pg15.sh start|stop DIR PORT" >&2; exit 2
    ;;
esac
