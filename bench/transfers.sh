#!/usr/bin/env bash
# Credit transfer throughput against pgbench's built-in TPC-B-like script, on
# the same cluster, with the same clients and settings. Uses the cluster in
# PGHOST/PGPORT/PGUSER (a superuser); creates the databases bench_transfers
# and bench_tpcb (dropped first if present) and the login role bench_transfer.
#
# Scenarios, for each client count:
#   tpcb     pgbench -b tpcb-like, scale 10
#   uniform  authz.transfer_credits between uniformly random pairs of 1,000
#            workspaces of one organization, each with plenty of credits
#   hot      authz.transfer_credits on one pair, both directions at random
# All run as bench_transfer (trusted, acting as the organization owner), with
# -n; each run starts after VACUUM and CHECKPOINT. Latency percentiles come from
# pgbench's per-transaction log; WAL per transaction from pg_current_wal_lsn()
# before and after the run. Then one short single-client run with
# track_functions = all shows where a transfer's time goes.
#
# Every (scenario, clients) run is repeated BENCH_REPEATS times, the repeats
# interleaved; the report gives medians with the range over the repeats, and
# each ratio to TPC-B as the range of the repeats' ratios (each repeat against
# the TPC-B run of the same repeat). The server's settings are printed with it.
#
# Prints a Markdown report on stdout, progress on stderr; with BENCH_TARGETS set,
# also writes the transfer row of the targets table to that file.
# Environment: BENCH_SECONDS (15 per run), BENCH_CLIENTS ("1 8 32"),
# BENCH_REPEATS (3), BENCH_WORKSPACES (1000), BENCH_TPCB_SCALE (10),
# BENCH_PROFILE_SECONDS (5).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
REPEATS=${BENCH_REPEATS:-3}
CLIENTS=${BENCH_CLIENTS:-1 8 32}
WORKSPACES=${BENCH_WORKSPACES:-1000}
SCALE=${BENCH_TPCB_SCALE:-10}
PROFILE_SECONDS=${BENCH_PROFILE_SECONDS:-5}
PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
DB=bench_transfers
TPCB_DB=bench_tpcb
ROLE=bench_transfer
here=bench/transfers

work=$(mktemp -d "${TMPDIR:-/tmp}/bench_transfers.XXXXXX")
trap 'rm -rf "$work"' EXIT

psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
sql() { psql -At "$@"; }
say() { echo "$*" >&2; }

# ---- data ---------------------------------------------------------------------

say "setting up $DB ($WORKSPACES workspaces) and $TPCB_DB (scale $SCALE)..."
psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $TPCB_DB WITH (FORCE)" \
     -c "CREATE DATABASE $DB" -c "CREATE DATABASE $TPCB_DB"
psql -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS workspace_authz"
psql -d "$DB" -v workspaces="$WORKSPACES" -f "$here/setup.sql" >/dev/null
"$PGBIN/pgbench" -i -q -s "$SCALE" "$TPCB_DB" >"$work/init.out" 2>&1 || { cat "$work/init.out" >&2; exit 1; }
psql -d "$TPCB_DB" -c "GRANT SELECT, INSERT, UPDATE ON pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history TO $ROLE"

# ---- runs -----------------------------------------------------------------------

# WAL between two LSNs without full-page images, from pg_waldump --stats over
# the server's pg_wal (read as the postgres OS user when we cannot read it);
# "?" when that is not possible.
datadir=$(sql -d postgres -c "SHOW data_directory")
as_postgres() {
  if [ -r "$datadir/pg_wal" ]; then "$@"
  elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -n -u postgres "$@"
  fi
}
wal_records_bytes() {
  local out
  out=$(as_postgres "$PGBIN/pg_waldump" -p "$datadir/pg_wal" -s "$1" -e "$2" --stats 2>/dev/null) || true
  awk '$1 == "Total" { print $3; found = 1 } END { if (!found) print "?" }' <<<"$out"
}

# percentile sorted-file p: the p-th percentile (nearest rank) of a sorted column.
percentile() {
  awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "?"; exit }
                   i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }' "$1"
}

# run scenario clients repeat: one timed pgbench run; appends a result line to
# $work/results: scenario clients tps transactions p50_ms p99_ms wal_bytes_per_tx
# wal_bytes_per_tx_without_full_page_images repeat
run() {
  local scenario=$1 clients=$2 rep=$3 db args threads=2
  [ "$clients" -lt 2 ] && threads=1
  case $scenario in
    tpcb)    db=$TPCB_DB; args=(-b tpcb-like) ;;
    uniform) db=$DB; args=(-D workspaces="$WORKSPACES" -f "$here/transfer_uniform.sql") ;;
    hot)     db=$DB; args=(-f "$here/transfer_hot.sql") ;;
  esac
  if [ "$db" = "$TPCB_DB" ]; then
    psql -d "$db" -c "VACUUM pgbench_branches, pgbench_tellers, pgbench_accounts" -c "TRUNCATE pgbench_history"
  else
    psql -d "$db" -c "VACUUM authz.credit_accounts, authz.credit_movements, authz.credit_ledger, authz.audit_log"
  fi
  psql -d "$db" -c "CHECKPOINT"
  local lsn0 lsn1 prefix="$work/log_${scenario}_$clients"
  lsn0=$(sql -d "$db" -c "SELECT pg_current_wal_lsn()")
  say "  repeat $rep of $REPEATS: $scenario, $clients clients, ${SECONDS_PER_RUN}s..."
  "$PGBIN/pgbench" -n -T "$SECONDS_PER_RUN" -c "$clients" -j "$threads" -U "$ROLE" \
    -l --log-prefix="$prefix" "${args[@]}" "$db" >"$work/out" 2>&1 \
    || { cat "$work/out" >&2; exit 1; }
  lsn1=$(sql -d "$db" -c "SELECT pg_current_wal_lsn()")
  local tx tps wal rec
  tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/out")
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/out" | head -n 1)
  if grep -qiE 'aborted|error' "$work/out" || [ -z "$tx" ] || [ "$tx" -eq 0 ]; then
    cat "$work/out" >&2; exit 1
  fi
  wal=$(sql -d "$db" -c "SELECT round(pg_wal_lsn_diff('$lsn1', '$lsn0') / $tx)")
  rec=$(wal_records_bytes "$lsn0" "$lsn1")
  [ "$rec" = "?" ] || rec=$((rec / tx))
  cat "$prefix".* | awk '{ print $3 / 1000 }' | sort -g >"$work/lat"
  rm -f "$prefix".*
  echo "$scenario $clients $tps $tx $(percentile "$work/lat" 50) $(percentile "$work/lat" 99) $wal $rec $rep" >>"$work/results"
}

: >"$work/results"
for r in $(seq 1 "$REPEATS"); do
  for c in $CLIENTS; do
    for s in tpcb uniform hot; do run "$s" "$c" "$r"; done
  done
done

# The books must still balance after all that.
bad=$(sql -d "$DB" -c "SELECT count(*) FROM authz.verify_ledger()")

# ---- where a transfer's time goes --------------------------------------------------

say "profiling: uniform, 1 client, ${PROFILE_SECONDS}s with track_functions = all..."
psql -d postgres -c "ALTER ROLE $ROLE SET track_functions = 'all'"
psql -d "$DB" -c "SELECT pg_stat_reset()" >/dev/null
"$PGBIN/pgbench" -n -T "$PROFILE_SECONDS" -c 1 -U "$ROLE" -D workspaces="$WORKSPACES" \
  -f "$here/transfer_uniform.sql" "$DB" >"$work/profile.out" 2>&1 || { cat "$work/profile.out" >&2; exit 1; }
psql -d postgres -c "ALTER ROLE $ROLE RESET track_functions"
profile_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/profile.out")
profile_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/profile.out" | head -n 1)
sleep 1   # statistics of the ended sessions reach the shared counters

# ---- report ---------------------------------------------------------------------------

fmt() { LC_ALL=C printf "%.${2:-0}f" "$1"; }
echo "## Credit transfers vs pgbench TPC-B"
echo
echo "- Command: \`bench/transfers.sh\` ($(date -u +%Y-%m-%d)), ${SECONDS_PER_RUN} s per run, $REPEATS repeats (interleaved), \`pgbench -n\`, -j 2 (1 for one client), simple query protocol"
echo "- Server: $(sql -d postgres -c 'SHOW server_version'); $(nproc) cores; settings:"
echo
echo "| setting | value |"
echo "|---|---|"
sql -d postgres -F ' | ' -c "SELECT '| ' || name, current_setting(name) || CASE WHEN source <> 'default' THEN ' (' || source || ')' ELSE '' END || ' |'
  FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'max_parallel_workers_per_gather', 'fsync',
    'synchronous_commit', 'effective_cache_size', 'random_page_cost', 'max_connections') ORDER BY name"
echo
echo "- tpcb: \`pgbench -b tpcb-like\`, scale $SCALE. uniform: one \`SELECT authz.transfer_credits(...)\` between random workspaces of $WORKSPACES; hot: the same on one pair, both directions"
echo "- Ratio: TPS over TPC-B's at the same client count in the same repeat, as the range over the repeats (target for transfers: >= 0.8)."
echo "  TPS, p50 and p99: median over the repeats (range). WAL: bytes per transaction (median), pg_current_wal_lsn() difference / transactions;"
echo "  each run starts after a CHECKPOINT, so this includes the full-page images of every page first touched (many for TPC-B's accounts,"
echo "  few for $WORKSPACES credit accounts and append-only tables); the next column leaves them out (pg_waldump --stats record bytes)"
echo
echo "| scenario | clients | TPS | ratio to TPC-B | p50 ms | p99 ms | WAL bytes / tx | without full-page images |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
# One line per (scenario, clients), in the order of the first repeat:
# scenario clients ratio_lo ratio_hi then the table row.
awk -v target=0.8 '
  function med(list,   a, n, i, j, t) { n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  function lo(list,   a, n, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
  function hi(list,   a, n, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
  function cnt(list,   a) { return split(list, a, " ") }
  function rng(list, fmt) { return cnt(list) > 1 ? sprintf(fmt " (" fmt "-" fmt ")", med(list), lo(list), hi(list)) : sprintf(fmt, med(list)) }
  { k = $1 " " $2; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    tps[k] = tps[k] " " $3; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; wal[k] = wal[k] " " $7; rec[k] = rec[k] " " $8
    base[$9 " " $2] = ($1 == "tpcb") ? $3 : base[$9 " " $2]; line[NR] = $0 }
  END {
    for (i = 1; i <= NR; i++) { split(line[i], f, " "); k = f[1] " " f[2]; b = base[f[9] " " f[2]]
      ratio[k] = ratio[k] " " (b > 0 ? f[3] / b : 0) }
    for (i = 1; i <= n; i++) { k = order[i]; split(k, sc, " ")
      rl = sprintf("%.2f", lo(ratio[k])) + 0; rh = sprintf("%.2f", hi(ratio[k])) + 0
      rt = cnt(ratio[k]) > 1 ? sprintf("%.2f-%.2fx", rl, rh) : sprintf("%.2fx (1 run)", rl)
      mark = ""
      if (sc[1] != "tpcb") { if (rh < target) mark = " (below 0.8)"; else if (rl < target) mark = " (straddles 0.8)" }
      if (sc[1] == "tpcb") rt = "1.00x"
      printf "| %s | %s | %s | %s%s | %s | %s | %.0f | %s |\n", sc[1], sc[2], rng(tps[k], "%.0f"), rt, mark,
             rng(p50[k], "%.2f"), rng(p99[k], "%.2f"), med(wal[k]), (rec[k] ~ /\?/ ? "?" : sprintf("%.0f", med(rec[k])))
      if (sc[1] != "tpcb") printf "%s %s %s %s\n", sc[1], sc[2], rt, mark > "/dev/stderr" }
  }' "$work/results" 2>"$work/ratios"
echo
below=$(awk '$NF ~ /0.8\)$/ && $(NF - 1) == "(below" { print $1 "/" $2 }' "$work/ratios" | xargs)
straddle=$(awk '$(NF - 1) == "(straddles" { print $1 "/" $2 }' "$work/ratios" | xargs)
if [ -z "$below" ] && [ -z "$straddle" ]; then
  echo "Every transfer scenario reaches at least 0.8x of TPC-B's throughput in every repeat."
else
  [ -z "$below" ] || echo "Below the 0.8x target in every repeat: $below."
  [ -z "$straddle" ] || echo "Below the 0.8x target in some repeats only: $straddle."
fi
if [ -n "${BENCH_TARGETS:-}" ]; then
  {
    printf '| transfers at least 0.8x TPC-B throughput (range over %s repeats) | ' "$REPEATS"
    for s in uniform hot; do
      [ "$s" = uniform ] && printf 'uniform pairs: ' || printf '; one hot pair: '
      awk -v s="$s" '$1 == s { printf "%s%s (%s client%s)%s", sep, $3, $2, ($2 == 1 ? "" : "s"), ($4 == "" ? "" : " " $4 " " $5); sep = ", " }' "$work/ratios"
    done
    echo ' |'
  } >"$BENCH_TARGETS"
fi
echo "After the runs, \`authz.verify_ledger()\` returned $bad rows."
echo
echo "### Where a transfer's time goes"
echo
echo "One client, uniform pairs, ${PROFILE_SECONDS} s with \`track_functions = all\` ($(fmt "$profile_tps") TPS under tracking,"
echo "$profile_tx transfers). Per transfer, in microseconds: self time excludes the functions it calls; calls per transfer in the last column."
echo
echo "| function | self µs / transfer | total µs / transfer | calls / transfer |"
echo "|---|---:|---:|---:|"
sql -d "$DB" -F ' | ' -c "
SELECT '| ' || schemaname || '.' || funcname,
       round((self_time * 1000 / $profile_tx)::numeric, 1),
       round((total_time * 1000 / $profile_tx)::numeric, 1),
       round(calls::numeric / $profile_tx, 2) || ' |'
  FROM pg_stat_user_functions
 ORDER BY self_time DESC
 LIMIT 15"
echo
echo "Wall time per transfer at one client: $(awk -v t="$profile_tps" 'BEGIN { printf "%.0f", 1000000 / t }') µs (with tracking);"
echo "the rest is parsing, planning and executing the statements themselves, commit (with synchronous_commit on, the wait"
echo "for the WAL flush) and the client round trip."
