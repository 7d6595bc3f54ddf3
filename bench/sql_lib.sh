# shellcheck shell=bash disable=SC2154
# bench/sql_lib.sh — servers, clients and result rows for bench/sql_bench.sh (sourced by it; it
# sets repo, dir, pg_bin, tmp, secs, threads and the workload sizes).
#
# A target is `pg` or `pz`; s_conn sets host/port/user/db for it. Both use user postgres and a
# database `bench` created at start, so every client runs the same command line against both.

s_log() { echo "   $*" >&2; }

# s_setup NAME TOOL...: for the script bench/NAME.sh (sourcing this file first): our release build
# in $dir (PZ_BENCH_BUILD, default build-bench; skipped when build=0), $dir made absolute, the
# TOOLs, psql, PostgreSQL's initdb (PG_BIN) and our binary found, and $tmp a fresh directory
# under /tmp. Sets dir, pg_bin, tmp, pz_pid and pg_started; exits when anything is missing.
s_setup()
{
    local name=$1 blog t
    shift
    dir=${PZ_BENCH_BUILD:-build-bench}
    pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
    if ((build)); then
        blog=$(mktemp "/tmp/pz-${name//_/}-build-XXXXXX.log")
        if ! { cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
            cmake --build "$dir" -j "${PZ_JOBS:-2}" --target phantomzero pz_mod_sql pz_mod_txn \
                pz_mod_dist pz_mod_repl pz_mod_storage pz_engine_lmdb; } >"$blog" 2>&1; then
            echo "$name.sh: the build failed:" >&2
            grep -E -A5 "FAILED|error" "$blog" | head -40 >&2
            rm -f "$blog"
            exit 1
        fi
        rm -f "$blog"
    fi
    dir=$(realpath "$dir")
    for t in "$@" psql "$pg_bin/initdb" "$dir/bin/phantomzero"; do
        command -v "$t" >/dev/null || { echo "$name.sh: $t not found" >&2; exit 1; }
    done
    tmp=$(mktemp -d "/tmp/pz-${name//_/}-XXXXXX")
    chmod 755 "$tmp"
    pz_pid="" pg_started=0
}

# A free loopback port below the kernel's ephemeral range, as tests/integration/pz.py picks them.
s_free_port()
{
    python3 - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        s.close()
        print(p)
        break
    except OSError:
        s.close()
EOF
}

s_as_pg()
{
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

s_pg_start()
{
    pg_port=$(s_free_port)
    mkdir -p "$tmp/pg"
    [ "$(id -u)" = 0 ] && chown postgres: "$tmp/pg"
    s_as_pg "$pg_bin/initdb" -D "$tmp/pg" -U postgres --auth=trust -E UTF8 --locale=C \
        >"$tmp/pg-initdb.log" 2>&1 || { cat "$tmp/pg-initdb.log" >&2; exit 1; }
    # Durable commits are PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes on):
    # nothing is turned off here, unlike the sqllogictest cluster of tests/sqllogic/pg15.sh.
    s_as_pg "$pg_bin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/server.log" -w -t 60 \
        -o "-p $pg_port -k $tmp/pg -c listen_addresses=127.0.0.1 -c max_connections=100" \
        start >/dev/null
    pg_started=1
    s_sql pg "CREATE DATABASE bench" postgres >/dev/null
}

s_pz_start()
{
    pz_port=$(s_free_port)
    local kv_port
    kv_port=$(s_free_port)
    # --insecure: trust authentication, as the PostgreSQL side has (initdb --auth=trust); the
    # clients connect as `postgres` on both, a role ours creates first (as root).
    # PZ_BENCH_NODE_ARGS: more flags for our node (e.g. --set modules/storage/KEY=VALUE).
    # shellcheck disable=SC2086
    "$dir/bin/phantomzero" start-single-node --store="$tmp/pz" --insecure \
        --module-dir="$dir/lib/phantomzero" --sql-addr="127.0.0.1:$pz_port" \
        --listen-addr="tcp://127.0.0.1:$kv_port" ${PZ_BENCH_NODE_ARGS:-} >"$tmp/pz.log" 2>&1 &
    pz_pid=$!
    local i
    for i in $(seq 1 200); do
        if psql -X -q -h 127.0.0.1 -p "$pz_port" -U root -d defaultdb \
            -c "CREATE USER postgres SUPERUSER" >/dev/null 2>&1; then
            s_sql pz "CREATE DATABASE bench" defaultdb >/dev/null
            return 0
        fi
        kill -0 "$pz_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "sql_bench.sh: our node did not come up; log tail:" >&2
    tail -30 "$tmp/pz.log" >&2
    exit 1
}

# Exits with the node's log tail when our node is gone (a crash under load must not pass as a
# slow run).
s_pz_check_alive()
{
    if [ -n "$pz_pid" ] && ! kill -0 "$pz_pid" 2>/dev/null; then
        echo "sql_bench.sh: OUR NODE DIED (pid $pz_pid); log tail:" >&2
        tail -40 "$tmp/pz.log" >&2
        pz_pid=""
        exit 1
    fi
}

s_cleanup()
{
    local rc=$?
    if [ -n "${prof_pid:-}" ]; then kill -INT "$prof_pid" "$prof_stat_pid" 2>/dev/null || true; fi
    if [ -n "$pz_pid" ]; then
        kill -TERM "$pz_pid" 2>/dev/null || true
        local i
        for i in $(seq 1 100); do kill -0 "$pz_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pz_pid" 2>/dev/null || true
        wait "$pz_pid" 2>/dev/null || true
    fi
    if ((pg_started)); then
        s_as_pg "$pg_bin/pg_ctl" -D "$tmp/pg" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if ((rc != 0)) && [ -f "$tmp/pz.log" ]; then
        cp "$tmp/pz.log" "/tmp/pz-sqlbench-last-node.log" 2>/dev/null || true
        echo "sql_bench.sh: failed (exit $rc); our node's log kept in /tmp/pz-sqlbench-last-node.log" >&2
    fi
    rm -rf "$tmp"
}

s_conn()
{
    host=127.0.0.1 user=postgres db=bench
    if [ "$1" = pg ]; then port=$pg_port; else port=$pz_port; fi
}

s_name() { if [ "$1" = pg ]; then echo PostgreSQL; else echo ours; fi; }

# s_sql TARGET SQL [DB]: runs SQL through psql, stops at the first error (SQLSTATE shown).
s_sql()
{
    local host port user db
    s_conn "$1"
    psql -X -q -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -h "$host" -p "$port" -U "$user" \
        -d "${3:-$db}" -c "$2"
}

# --- result rows ---------------------------------------------------------------------------

s_table_header()
{
    printf '\n%-34s %3s | %10s %8s %8s | %10s %8s %8s | %6s\n' workload thr "PG tps" p50 p95 \
        "ours tps" p50 p95 ratio
    printf '%s\n' "$(printf '%0.s-' $(seq 1 106))"
    {
        echo "| workload | threads | PostgreSQL | p50 | p95 | ours | p50 | p95 | ours / PG |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    } >"$tmp/rows.md"
}

s_ratio()
{
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 == 0) print "-";
        else printf "%.2f", a / b }'
}

# s_row WORKLOAD THREADS "PG_RATE P50 P95" "OURS_RATE P50 P95" [NOTE [time]]
# With `time` the figures are times (lower is better) and the ratio is PG / ours, so that a
# ratio above 1 means ours is faster in every row.
s_row()
{
    local pr p5 p9 zr z5 z9 r
    s_pz_check_alive
    read -r pr p5 p9 _ <<<"$3"
    read -r zr z5 z9 _ <<<"$4"
    if [ "${6:-}" = time ]; then r=$(s_ratio "$pr" "$zr"); else r=$(s_ratio "$zr" "$pr"); fi
    printf '%-34s %3s | %10s %8s %8s | %10s %8s %8s | %6s  %s\n' "$1" "$2" "$pr" "$p5" "$p9" \
        "$zr" "$z5" "$z9" "$r" "${5:-}"
    echo "| $1 | $2 | $pr | $p5 | $p9 | $zr | $z5 | $z9 | **$r** |${5:+ $5}" >>"$tmp/rows.md"
}

# s_best A B: the result with the higher rate (first field) of two, for --rounds: on a shared VM
# other work only ever slows a run down, so the best round is the least disturbed one.
s_best()
{
    awk -v a="$1" -v b="$2" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        if (a == "" || x[1] !~ /^[0-9.]+$/) print b;
        else if (y[1] ~ /^[0-9.]+$/ && y[1] + 0 > x[1] + 0) print b;
        else print a }'
}

# p50 and p95 of the numbers on stdin (one per line), divided by $1.
s_pcts()
{
    sort -n | awk -v d="$1" '{ v[NR] = $1 } END {
        if (NR == 0) { print "- -"; exit }
        i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
        i95 = int(NR * 0.95); if (i95 < 1) i95 = 1
        printf "%.3f %.3f\n", v[i50] / d, v[i95] / d }'
}

# --- sysbench ------------------------------------------------------------------------------

s_sb()
{
    local target=$1
    shift
    local host port user db
    s_conn "$target"
    sysbench --db-driver=pgsql --pgsql-host="$host" --pgsql-port="$port" --pgsql-user="$user" \
        --pgsql-db="$db" --tables=1 --table-size="$table_size" "$@"
}

# Prepares sbtest1 with sysbench's own prepare (CREATE TABLE with SERIAL, a multi-row INSERT,
# CREATE INDEX). If that fails on ours, the failing statement is reported and the table is made
# with plain SQL instead, and the run says so.
s_sb_prepare()
{
    local target=$1
    if s_sb "$target" oltp_common prepare >"$tmp/sb-prepare-$target.log" 2>&1; then
        return 0
    fi
    s_log "$(s_name "$target"): sysbench prepare FAILED:"
    grep -iE "error|fatal" "$tmp/sb-prepare-$target.log" | head -5 | sed 's/^/     /' >&2
    [ "$target" = pz ] || exit 1
    s_log "ours: preparing sbtest1 with plain SQL instead (same schema, generate_series rows)"
    s_sql pz "DROP TABLE IF EXISTS sbtest1" >/dev/null
    local cols="k INTEGER DEFAULT '0' NOT NULL, c CHAR(120) DEFAULT '' NOT NULL,
        pad CHAR(60) DEFAULT '' NOT NULL, PRIMARY KEY (id)"
    sb_note="ours prepared with plain SQL"
    if ! s_sql pz "CREATE TABLE sbtest1(id SERIAL, $cols)" >/dev/null; then
        # Without SERIAL, oltp_insert must give its ids itself: on both, so both do the same work.
        s_log "ours: CREATE TABLE with SERIAL failed; INTEGER ids and --auto_inc=off for both"
        s_sql pz "CREATE TABLE sbtest1(id INTEGER NOT NULL, $cols)" >/dev/null
        sb_opts+=(--auto_inc=off)
        sb_note="$sb_note, no SERIAL (--auto_inc=off)"
    fi
    s_chunked pz sbtest1 "$table_size" "SELECT g, 1 + (g * 7919) %% $table_size,
        repeat(lpad((g %% 100000000000)::text, 11, '0') || '-', 10),
        repeat(lpad((g %% 100000000000)::text, 11, '0') || '-', 5) FROM generate_series(%s, %s) g"
    s_sql pz "CREATE INDEX k_1 ON sbtest1(k)" >/dev/null
}

# s_sb_run TARGET TEST THREADS -> "tps p50 p95 ignored_errors" (or FAIL)
s_sb_run()
{
    local target=$1 test=$2 thr=$3 log="$tmp/sb-$2-$3-$1.log"
    if [ -n "$profile_dir" ] && [ "$target" = pz ] && [ "$test" = oltp_point_select ] &&
        [ "$thr" = "$max_threads" ]; then
        s_profile_start point_select
    fi
    if ! s_sb "$target" "$test" --threads="$thr" --time="$secs" --histogram=on --percentile=95 \
        --report-interval=0 "${sb_opts[@]}" run >"$log" 2>&1; then
        s_profile_stop
        s_log "$(s_name "$target") $test $thr threads FAILED:"
        grep -iE "error|fatal" "$log" | head -5 | sed 's/^/     /' >&2
        s_pz_check_alive
        echo "FAIL - -"
        return
    fi
    s_profile_stop
    local tps p50 p95 ign
    tps=$(awk '/transactions:/ { gsub(/\(/, "", $3); printf "%.0f", $3 }' "$log")
    ign=$(awk '/ignored errors:/ { print $3 }' "$log")
    p95=$(awk '/95th percentile:/ { print $3 }' "$log")
    p50=$(awk '/^ *[0-9.]+ \|/ { v[++n] = $1; c[n] = $NF; t += $NF } END {
        for (i = 1; i <= n; i++) { s += c[i]; if (s >= t / 2) { print v[i]; exit } } }' "$log")
    echo "$tps ${p50:--} ${p95:--} $ign"
}

s_sysbench_all()
{
    sb_note="" sb_opts=()
    s_sb_prepare pg
    s_sql pg "VACUUM ANALYZE sbtest1" >/dev/null
    s_sb_prepare pz
    local n
    for n in pg pz; do # a short table would make every later figure meaningless
        [ "$(s_sql "$n" "SELECT count(*) FROM sbtest1")" = "$table_size" ] ||
            { s_log "$(s_name "$n"): sbtest1 does not have $table_size rows after prepare"; exit 1; }
    done
    local test thr pgr pzr note round
    for test in ${sb_tests:-oltp_point_select oltp_read_only oltp_read_write oltp_insert}; do
        for thr in $threads; do
            pgr="" pzr=""
            for ((round = 0; round < rounds; round++)); do
                pgr=$(s_best "$pgr" "$(s_sb_run pg "$test" "$thr")")
                pzr=$(s_best "$pzr" "$(s_sb_run pz "$test" "$thr")")
            done
            note="$sb_note"
            [ "$test" = oltp_read_write ] && note="${note:+$note; }ours: no transaction semantics yet"
            local pe ze
            pe=$(awk '{print $4}' <<<"$pgr") ze=$(awk '{print $4}' <<<"$pzr")
            if [ "${ze:-0}" != 0 ] || [ "${pe:-0}" != 0 ]; then
                note="${note:+$note; }ignored errors PG $pe, ours $ze"
            fi
            s_row "sysbench $test" "$thr" "$pgr" "$pzr" "$note"
        done
    done
}

# --- plain-SQL loading ---------------------------------------------------------------------

# s_chunked TARGET TABLE ROWS SELECT_FMT: INSERT INTO TABLE SELECT_FMT(lo, hi) for 1..ROWS in
# chunks of at most 20000 rows: one of our statements is one atomic KV batch today (up to 100k
# keys, indexes included).
s_chunked()
{
    local target=$1 table=$2 rows=$3 fmt=$4 lo=1 hi sql
    while ((lo <= rows)); do
        hi=$((lo + 19999))
        ((hi > rows)) && hi=$rows
        # shellcheck disable=SC2059
        sql=$(printf "$fmt" "$lo" "$hi")
        s_sql "$target" "INSERT INTO $table $sql" >/dev/null
        lo=$((hi + 1))
    done
}

s_now() { date +%s.%N; }
s_since() { awk -v a="$1" -v b="$(s_now)" 'BEGIN { printf "%.2f", b - a }'; }

# --- pgbench -------------------------------------------------------------------------------

# The pgbench tables as `pgbench -i -s SCALE` makes them, loaded with plain SQL (pgbench -i needs
# COPY and ALTER TABLE ADD PRIMARY KEY, not in ours yet): same columns, keys and row counts.
s_pgbench_load()
{
    local target=$1
    s_sql "$target" "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers,
        pgbench_history" >/dev/null 2>&1 || true
    s_sql "$target" "CREATE TABLE pgbench_history(tid int, bid int, aid int, delta int,
        mtime timestamp, filler char(22))" >/dev/null
    s_sql "$target" "CREATE TABLE pgbench_tellers(tid int not null primary key, bid int,
        tbalance int, filler char(84))" >/dev/null
    s_sql "$target" "CREATE TABLE pgbench_accounts(aid int not null primary key, bid int,
        abalance int, filler char(84))" >/dev/null
    s_sql "$target" "CREATE TABLE pgbench_branches(bid int not null primary key, bbalance int,
        filler char(88))" >/dev/null
    s_chunked "$target" pgbench_branches "$scale" "SELECT g, 0, '' FROM generate_series(%s, %s) g"
    s_chunked "$target" pgbench_tellers $((scale * 10)) \
        "SELECT g, (g - 1) / 10 + 1, 0, '' FROM generate_series(%s, %s) g"
    s_chunked "$target" pgbench_accounts $((scale * 100000)) \
        "SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(%s, %s) g"
}

# s_pgbench_run TARGET SCRIPT(-S|tpcb) MODE THREADS -> "tps p50 p95"
s_pgbench_run()
{
    local target=$1 script=$2 mode=$3 thr=$4 host port user db
    local tag="pgb-$2-$3-$4-$1"
    s_conn "$target"
    local opts=(-n -c "$thr" -j "$thr" -T "$secs" -M "$mode" -l --log-prefix="$tmp/$tag")
    [ "$script" = "-S" ] && opts+=(-S)
    if ! (cd "$tmp" && pgbench -h "$host" -p "$port" -U "$user" "${opts[@]}" "$db" \
        >"$tmp/$tag.log" 2>&1); then
        s_log "$(s_name "$target") pgbench $script -M $mode $thr clients FAILED:"
        grep -iE "error|fatal|abort" "$tmp/$tag.log" | head -5 | sed 's/^/     /' >&2
        s_pz_check_alive
        rm -f "$tmp/$tag".*[0-9]
        echo "FAIL - -"
        return
    fi
    local tps pct failed
    tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$tmp/$tag.log")
    # pgbench 15 counts a transaction that got 40001/40P01 as failed and goes on (tps counts
    # only the others); the log's latency column covers successful transactions.
    failed=$(awk '/^number of failed transactions:/ { print $5 }' "$tmp/$tag.log")
    pct=$(cat "$tmp/$tag".*[0-9] | awk '$3 ~ /^[0-9]+$/ { print $3 }' | s_pcts 1000)
    rm -f "$tmp/$tag".*[0-9]
    echo "$tps $pct ${failed:-0}"
}

# TPC-B's consistency condition: every committed transaction adds the same delta to one account,
# one teller, one branch and one history row, so the four sums agree. A lost update (two
# concurrent `x = x + d` statements on one row, one overwriting the other) or a partly applied
# transaction breaks it; then sums_bad=1.
s_pgbench_check()
{
    local sums
    sums=$(s_sql "$1" "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' ||
        (SELECT sum(tbalance) FROM pgbench_tellers) || ' ' ||
        (SELECT sum(bbalance) FROM pgbench_branches) || ' ' ||
        (SELECT coalesce(sum(delta), 0) FROM pgbench_history) || ' ' ||
        (SELECT count(*) FROM pgbench_history)")
    if awk '{ exit !($1 == $2 && $2 == $3 && $3 == $4) }' <<<"$sums"; then
        s_log "$(s_name "$1"): TPC-B sums agree after the runs (accounts, tellers, branches," \
            "history; history rows: $sums)"
    else
        s_log "$(s_name "$1"): TPC-B sums DISAGREE after the runs (accounts, tellers, branches," \
            "history; history rows: $sums): updates were lost"
        sums_bad=1
    fi
}

s_pgbench_all()
{
    local t0 tpg tpz
    t0=$(s_now)
    s_pgbench_load pg
    s_sql pg "VACUUM ANALYZE" >/dev/null
    tpg=$(s_since "$t0")
    t0=$(s_now)
    s_pgbench_load pz
    tpz=$(s_since "$t0")
    s_log "pgbench tables at scale $scale loaded with plain SQL (INSERT ... SELECT" \
        "generate_series, 20000 rows a statement), not pgbench -i: PostgreSQL ${tpg} s" \
        "(with VACUUM ANALYZE), ours ${tpz} s"
    local script mode thr note pgr pzr round
    for script in -S tpcb; do
        for mode in prepared simple; do
            for thr in $threads; do
                note="scale $scale, loaded with plain SQL"
                [ "$script" = tpcb ] && note="$note; ours: no transaction semantics yet"
                pgr="" pzr=""
                for ((round = 0; round < rounds; round++)); do
                    pgr=$(s_best "$pgr" "$(s_pgbench_run pg "$script" "$mode" "$thr")")
                    pzr=$(s_best "$pzr" "$(s_pgbench_run pz "$script" "$mode" "$thr")")
                done
                local pf zf
                pf=$(awk '{print $4}' <<<"$pgr") zf=$(awk '{print $4}' <<<"$pzr")
                if [ "${pf:-0}" != 0 ] || [ "${zf:-0}" != 0 ]; then
                    note="$note; failed transactions PG ${pf:-0}, ours ${zf:-0}"
                fi
                s_row "pgbench $([ "$script" = -S ] && echo select-only || echo tpcb) -M $mode" \
                    "$thr" "$pgr" "$pzr" "$note"
            done
        done
    done
    s_pgbench_check pg
    s_pgbench_check pz
}

# --- GROUP BY over many rows ---------------------------------------------------------------

# s_time_query TARGET SQL RUNS -> best wall time in ms over RUNS runs in one session (psql's
# \timing: the server's work plus one loopback round trip).
s_time_query()
{
    local host port user db
    s_conn "$1"
    local i script="\\timing on"
    for ((i = 0; i < $3; i++)); do script+=$'\n'"$2;"; done
    psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -h "$host" -p "$port" -U "$user" -d "$db" \
        <<<"$script" >"$tmp/q-$1.log" 2>&1 || { s_log "$(s_name "$1") query FAILED:";
            grep -E "ERROR|FATAL" "$tmp/q-$1.log" | head -3 >&2; echo FAIL; return; }
    awk '/^Time: / { if (m == "" || $2 < m) m = $2 } END { printf "%.1f", m }' "$tmp/q-$1.log"
}

s_groupby()
{
    local t target tl=()
    for target in pg pz; do
        s_sql "$target" "DROP TABLE IF EXISTS big" >/dev/null 2>&1 || true
        s_sql "$target" "CREATE TABLE big(k int PRIMARY KEY, v int)" >/dev/null
        t=$(s_now)
        s_chunked "$target" big "$big_rows" "SELECT g, g %% 1000 FROM generate_series(%s, %s) g"
        tl+=("$(s_since "$t")")
    done
    s_sql pg "VACUUM ANALYZE big" >/dev/null
    local q="SELECT k % 100, count(*), sum(v) FROM big GROUP BY 1"
    # Same answer on both, or the timing means nothing.
    local a b
    a=$(s_sql pg "$q ORDER BY 1" | md5sum) b=$(s_sql pz "$q ORDER BY 1" | md5sum)
    local note="best of 3, ms (lower is better; ratio = PG time / ours)"
    [ "$a" = "$b" ] || note="$note; RESULTS DIFFER from PostgreSQL's"
    local pgms pzms
    pgms=$(s_time_query pg "$q" 3)
    [ -n "$profile_dir" ] && s_profile_start groupby
    pzms=$(s_time_query pz "$q" 3)
    s_profile_stop
    s_pz_check_alive
    s_row "GROUP BY $big_rows rows (ms)" 1 "$pgms - -" "$pzms - -" "$note" time
    local rps_pg rps_pz
    rps_pg=$(awk -v n="$big_rows" -v s="${tl[0]}" 'BEGIN { printf "%.0f", n / s }')
    rps_pz=$(awk -v n="$big_rows" -v s="${tl[1]}" 'BEGIN { printf "%.0f", n / s }')
    s_row "INSERT..SELECT load (rows/s)" 1 "$rps_pg - -" "$rps_pz - -" \
        "$big_rows rows, 20000 a statement"
}

# --- COPY FROM STDIN -----------------------------------------------------------------------

s_copy()
{
    local n
    for n in $copy_clients; do
        s_copy_n "$n"
    done
}

# s_copy_n N: COPY FROM STDIN of copy_rows rows into one table, from N clients at once (each
# sends its own interleaved share of the keys), on both servers; one rows/s row.
s_copy_n()
{
    local nc=$1 f="$tmp/copy.tsv" target t res=() i pids ok
    awk -v n="$copy_rows" 'BEGIN { for (i = 1; i <= n; i++)
        printf "%d\t%d\tsome text for row %d\n", i, i % 1000, i }' >"$f"
    rm -f "$f".part*
    awk -v nc="$nc" -v f="$f" '{ print > (f ".part" (NR % nc)) }' "$f"
    for target in pg pz; do
        s_sql "$target" "DROP TABLE IF EXISTS copyt" >/dev/null 2>&1 || true
        s_sql "$target" "CREATE TABLE copyt(k int PRIMARY KEY, v int, s text)" >/dev/null
        local probe
        if [ "$target" = pz ] && ! probe=$(printf '0\t0\tprobe\n' |
            s_sql pz "COPY copyt FROM STDIN" 2>&1); then
            if grep -q 0A000 <<<"$probe"; then
                s_log "ours: COPY FROM STDIN not available yet ($(head -1 <<<"$probe"))"
                res+=("n/a - -")
                continue
            fi
            s_log "ours: COPY probe FAILED: $probe"
            res+=("FAIL - -")
            continue
        fi
        [ "$target" = pz ] && s_sql pz "DELETE FROM copyt" >/dev/null
        t=$(s_now)
        pids=()
        for ((i = 0; i < nc; i++)); do
            s_sql "$target" "COPY copyt FROM STDIN" <"$f.part$i" >"$tmp/copy-$target-$i.log" 2>&1 &
            pids+=($!)
        done
        ok=1
        for i in "${pids[@]}"; do
            wait "$i" || ok=0
        done
        if ((ok)); then
            res+=("$(awk -v n="$copy_rows" -v s="$(s_since "$t")" 'BEGIN {
                printf "%.0f", n / s }') - -")
        else
            s_log "$(s_name "$target") COPY of $copy_rows rows from $nc clients FAILED: $(cat "$tmp"/copy-"$target"-*.log | head -3)"
            s_pz_check_alive
            res+=("FAIL - -")
        fi
    done
    rm -f "$f".part*
    local note="rows/s, $copy_rows rows (k int PRIMARY KEY, v int, s text) from $nc client(s)"
    [ "${res[1]}" = "n/a - -" ] && note="ours: not available yet (COPY gives 0A000)"
    s_row "COPY FROM STDIN (rows/s)" "$nc" "${res[0]}" "${res[1]}" "$note"
}

# --- profiling (perf) ----------------------------------------------------------------------

prof_pid="" prof_stat_pid=""
s_profile_start()
{
    mkdir -p "$profile_dir"
    # DWARF stacks: libc and libzmq have no frame pointers, so -g alone loses most callers.
    prof_name=$1
    perf record -F 499 --call-graph dwarf,16384 -p "$pz_pid" -o "$profile_dir/$1.perf.data" \
        >"$profile_dir/$1.record.log" 2>&1 &
    prof_pid=$!
    perf stat -p "$pz_pid" -o "$profile_dir/$1.stat.txt" >/dev/null 2>&1 &
    prof_stat_pid=$!
    sleep 0.2
}

s_profile_stop()
{
    [ -n "$prof_pid" ] || return 0
    kill -INT "$prof_pid" "$prof_stat_pid" 2>/dev/null || true
    wait "$prof_pid" "$prof_stat_pid" 2>/dev/null || true
    prof_pid="" prof_stat_pid=""
    local f="$profile_dir/$prof_name"
    perf script -i "$f.perf.data" 2>/dev/null | python3 "$repo/bench/sql_perf_summary.py" \
        --detail 6 >"$f.summary.txt" || true
    perf report -i "$f.perf.data" --stdio --no-children 2>/dev/null | head -80 >"$f.report.txt" ||
        true
    s_log "profile of ours ($prof_name): $f.summary.txt, $f.report.txt, $f.stat.txt"
}
