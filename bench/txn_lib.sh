# shellcheck shell=bash disable=SC2154
# bench/txn_lib.sh — pgbench runs with retries, the node's metrics and the per-transaction KV
# counts for bench/txn_bench.sh (sourced after bench/sql_lib.sh, whose servers, s_sql, s_row and
# loaders it uses; txn_bench.sh sets secs, scale, max_tries, rounds, profile_dir).

# --- pgbench with retries ------------------------------------------------------------------

# s_tx_pgbench TARGET MODE CLIENTS [ISOLATION] [TRANSACTIONS] [EXTRA_OPTION]
#   -> "tps p50 p95 failed serialization deadlock retried retries aborted processed"
# pgbench 15 retries a transaction that got 40001 or 40P01 (--max-tries) and, past the tries,
# counts it as failed and goes on; any other error aborts that client (the run then exits 2:
# its figures are kept, with the aborted clients counted). ISOLATION sets the session's
# default_transaction_isolation (PostgreSQL only; ours is SERIALIZABLE by default).
# With TRANSACTIONS the run is -t TRANSACTIONS per client instead of -T secs. The log stays in
# $tmp/tx-TARGET-MODE-CLIENTS[-ISOLATION].log until the next such run.
s_tx_pgbench()
{
    local target=$1 mode=$2 thr=$3 iso=${4:-} nt=${5:-} extra=${6:-} host port user db
    local tag="tx-$1-$2-$3${iso:+-$iso}"
    s_conn "$target"
    local opts=(-n -c "$thr" -j "$thr" -M "$mode" --max-tries="$max_tries" --failures-detailed
        -l --log-prefix="$tmp/$tag")
    if [ -n "$nt" ]; then opts+=(-t "$nt"); else opts+=(-T "$secs"); fi
    [ -n "$extra" ] && opts+=("$extra")
    local pgo=""
    [ -n "$iso" ] && pgo="-c default_transaction_isolation=$iso"
    (cd "$tmp" && PGOPTIONS="$pgo" pgbench -h "$host" -p "$port" -U "$user" "${opts[@]}" "$db" \
        >"$tmp/$tag.log" 2>&1) || true
    s_pz_check_alive
    local tps
    tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$tmp/$tag.log")
    if [ -z "$tps" ]; then
        s_log "$(s_name "$target") pgbench tpcb -M $mode $thr clients FAILED:"
        grep -iE "error|fatal|abort" "$tmp/$tag.log" | head -5 | sed 's/^/     /' >&2
        rm -f "$tmp/$tag".*[0-9]
        echo "FAIL - - - - - - - - -"
        return
    fi
    local aborted pct counts f s d r t n
    aborted=$(grep -c "aborted in command" "$tmp/$tag.log" || true)
    if ((aborted > 0)); then
        s_log "$(s_name "$target") pgbench tpcb -M $mode $thr clients: $aborted clients" \
            "aborted, first: $(grep -m1 "aborted in command" "$tmp/$tag.log")"
    fi
    pct=$(cat "$tmp/$tag".*[0-9] 2>/dev/null | awk '$3 ~ /^[0-9]+$/ { print $3 }' | s_pcts 1000)
    rm -f "$tmp/$tag".*[0-9]
    counts=$(awk '
        /^number of transactions actually processed:/ { split($6, p, "/"); n = p[1] }
        /^number of failed transactions:/ { f = $5 }
        /^number of serialization failures:/ { s = $5 }
        /^number of deadlock failures:/ { d = $5 }
        /^number of transactions retried:/ { r = $5 }
        /^total number of retries:/ { t = $5 }
        END { printf "%d %d %d %d %d %d", f, s, d, r, t, n }' \
        "$tmp/$tag.log")
    read -r f s d r t n <<<"$counts"
    echo "$tps $pct $f $s $d $r $t $aborted $n"
}

# s_tx_note RESULT -> "failed F% (40001 S, 40P01 D), retried R% (T retries)" for a row's note;
# percentages of the transactions that ended (committed + failed).
s_tx_note()
{
    awk '{ done = $10 + $4; if (done == 0) { print "no transactions"; exit }
        printf "failed %.1f%% (40001 %d, 40P01 %d), retried %.1f%% (%d retries)",
            100 * $4 / done, $5, $6, 100 * $7 / done, $8;
        if ($9 > 0) printf ", %d clients aborted", $9 }' <<<"$1"
}

# s_tx_pair LABEL MODE CLIENTS [PG_ISOLATION]: PostgreSQL then ours, --rounds times, alternating;
# the row keeps the best round of each and its note lists every round's TPS (the spread) and
# the failure and retry rates of the kept rounds.
s_tx_pair()
{
    local label=$1 mode=$2 thr=$3 iso=${4:-} pgr="" pzr="" pgl="" pzl="" round r
    for ((round = 0; round < rounds; round++)); do
        r=$(s_tx_pgbench pg "$mode" "$thr" "$iso")
        pgl="$pgl${pgl:+/}${r%% *}" pgr=$(s_best "$pgr" "$r")
        if [ -n "$profile_dir" ] && ((round == 0)) && [ "$thr" = 16 ] && [ "$mode" = prepared ] &&
            [ -z "$iso" ] && [ "$label" = tpcb ]; then
            s_profile_start tpcb16
            r=$(s_tx_pgbench pz "$mode" "$thr")
            s_profile_stop
        else
            r=$(s_tx_pgbench pz "$mode" "$thr")
        fi
        pzl="$pzl${pzl:+/}${r%% *}" pzr=$(s_best "$pzr" "$r")
    done
    local note="scale $scale"
    [ -n "$iso" ] && note="$note, PG at ${iso^^}"
    ((rounds > 1)) && note="$note; rounds PG $pgl, ours $pzl"
    note="$note; PG $(s_tx_note "$pgr"); ours $(s_tx_note "$pzr")"
    s_row "pgbench $label -M $mode" "$thr" "$pgr" "$pzr" "$note"
}

# --- the node's metrics ----------------------------------------------------------------------

# s_pz_metrics FILE: the node's metrics registry in Prometheus text, read from the live process
# with gdb (nothing serves them yet: no admin HTTP). The process is stopped for the moment gdb
# takes (about a second), so call it only between runs.
s_pz_metrics()
{
    local cap=1048576
    gdb -p "$pz_pid" -batch -nx -ex "set \$b = (char *) malloc($cap)" \
        -ex "set \$n = (unsigned long) pz_metrics_render(\$b, $cap)" \
        -ex "dump binary memory $1 \$b \$b + \$n" -ex "call (void) free(\$b)" \
        >"$1.gdb.log" 2>&1 || { s_log "gdb could not read our node's metrics:"; \
        tail -3 "$1.gdb.log" >&2; return 1; }
    [ -s "$1" ] || { s_log "gdb read no metrics from our node"; return 1; }
}

# s_metrics_delta BEFORE AFTER N: every counter, histogram count and histogram sum that moved,
# divided by N (the committed transactions), one "name per_txn total" line each.
s_metrics_delta()
{
    awk -v n="$3" '
        /^#/ || /_bucket\{/ || NF != 2 { next }
        FNR == NR { before[$1] = $2; next }
        { d = $2 - before[$1]; if (d != 0) printf "%-44s %10.2f %10d\n", $1, d / n, d }' \
        "$1" "$2"
}

# s_stmt_lat LOG: pgbench -r's per-statement average latencies (ms), one "ms command" line per
# SQL statement of the script (the \set lines are client-side and left out).
s_stmt_lat()
{
    awk '/^statement latencies/ { on = 1; next }
        on && /^ +[0-9.]+ / && $0 !~ /\\set / {
            ms = $1; sub(/^ +[0-9.]+( +[0-9]+)* +/, ""); printf "%s %s\n", ms, $0 }' "$1"
}

# s_counts MODE CLIENTS TRANSACTIONS: where a TPC-B transaction's time goes on ours. Runs the
# same fixed-size pgbench -r on PostgreSQL, then on ours between two reads of the node's metrics,
# and prints each statement's average latency on both, then every metric that moved per
# committed transaction (KV batches at each layer, actor messages and handling time, engine
# commits and fsyncs) and how busy the committer thread was. Kept in $tmp/counts-CLIENTS.txt.
s_counts()
{
    local mode=$1 thr=$2 nt=$3 m0="$tmp/metrics-$2-0.txt" m1="$tmp/metrics-$2-1.txt" r t0 el ok
    r=$(s_tx_pgbench pg "$mode" "$thr" "" "$nt" "-r")
    cp "$tmp/tx-pg-$mode-$thr.log" "$tmp/counts-pg-$thr.log"
    s_pz_metrics "$m0" || return 0
    t0=$(s_now)
    r=$(s_tx_pgbench pz "$mode" "$thr" "" "$nt" "-r")
    el=$(s_since "$t0")
    s_pz_metrics "$m1" || return 0
    ok=$(awk '{ print $10 }' <<<"$r")
    ((ok > 0)) || { s_log "ours: the counting run committed nothing ($r)"; return 0; }
    {
        echo "TPC-B on ours, pgbench -M $mode -c $thr -t $nt: $ok committed in $el s" \
            "($(s_tx_note "$r"))"
        echo "average statement latency, ms (pgbench -r; PostgreSQL's run just before):"
        LC_ALL=C join -t $'\t' -j 1 \
            <(s_stmt_lat "$tmp/counts-pg-$thr.log" | awk '{ c = $0; sub(/^[^ ]+ /, "", c);
                printf "%s\t%s\n", c, $1 }' | LC_ALL=C sort) \
            <(s_stmt_lat "$tmp/tx-pz-$mode-$thr.log" | awk '{ c = $0; sub(/^[^ ]+ /, "", c);
                printf "%s\t%s\n", c, $1 }' | LC_ALL=C sort) |
            awk -F '\t' '{ printf "  %8s PG %8s ours  %s\n", $2, $3, substr($1, 1, 60) }'
        printf '%-44s %10s %10s\n' "metric (ours)" per_txn total
        s_metrics_delta "$m0" "$m1" "$ok"
        awk -v el="$el" '$1 == "storage_fsync_us_sum" { if (FNR == NR) b = $2; else s = $2 }
            END { d = (s - b) / 1e6
                printf "committer in durable commits %.0f%% of the run (%.2f of %.2f s)\n",
                    100 * d / el, d, el }' "$m0" "$m1"
    } | tee "$tmp/counts-$thr.txt"
    [ -n "$profile_dir" ] && cp "$tmp/counts-$thr.txt" "$profile_dir/"
    return 0
}

# s_disk_probe -> "N µs": the mean time of one 8 KiB O_DSYNC overwrite of a block of an existing
# file in $tmp (where both servers keep their data; an overwrite, as a commit mostly is, so no
# allocation or journal commit is timed): both sides' commits wait for this disk, and other work
# on a shared VM moves it several-fold, so the run prints it at its start and end.
s_disk_probe()
{
    local n=100 s f="$tmp/disk-probe"
    dd if=/dev/zero of="$f" bs=8k count=$n conv=fsync status=none
    s=$(dd if=/dev/zero of="$f" bs=8k count=$n conv=notrunc oflag=dsync 2>&1 |
        awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) print $(i - 1) }')
    rm -f "$f"
    awk -v s="$s" -v n=$n 'BEGIN { if (s == "") print "?"; else printf "%.0f µs\n", s * 1e6 / n }'
}
