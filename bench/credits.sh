#!/usr/bin/env bash
# The credits engine against pgbench's TPC-B-like script, on the same cluster,
# with the same clients and settings. Uses the cluster in PGHOST/PGPORT/PGUSER
# (a superuser); creates the databases bench_credits, bench_tpcb1 and
# bench_tpcb10 (dropped first if present) and the login role bench_transfer.
#
# Scenarios, for each client count (8 and 32):
#   tpcb1 / tpcb10  pgbench -b tpcb-like at scale 1 (one branch row: the
#                   one-hot-row limit) and at scale 10
#   hot             authz.transfer_credits on one pair, both directions (vs tpcb1)
#   uniform         authz.transfer_credits between random pairs of 1,000
#                   workspaces (vs tpcb10)
#   usage           authz.record_usage onto ONE workspace (vs tpcb10)
# Then, one session: authz.record_usage_batch with batches of 1,000 events of
# 100 workspaces, against one authz.record_usage call per event.
# Every run starts after VACUUM and CHECKPOINT; authz.verify_ledger() is read
# after every run. Latency percentiles from pgbench's per-transaction log; WAL
# per transaction from pg_current_wal_lsn(), and without full-page images from
# pg_waldump --stats.
#
# Prints a Markdown report on stdout, progress on stderr.
# Environment: BENCH_SECONDS (15 per run), BENCH_CLIENTS ("8 32"),
# BENCH_WORKSPACES (1000), BENCH_BATCHES (20 batches of 1,000 events).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-15}
CLIENTS=${BENCH_CLIENTS:-8 32}
WORKSPACES=${BENCH_WORKSPACES:-1000}
BATCHES=${BENCH_BATCHES:-20}
PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
DB=bench_credits
ROLE=bench_transfer
here=bench/transfers

work=$(mktemp -d "${TMPDIR:-/tmp}/bench_credits.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# bench_transfer acts as the organization's owner (a role setting); usage is
# the platform's, so those sessions clear the asserted user
PLATFORM="-c workspace_authz.user_id="
sql() { psql -At "$@"; }
say() { echo "$*" >&2; }

say "setting up $DB ($WORKSPACES workspaces), bench_tpcb1 and bench_tpcb10..."
for d in $DB bench_tpcb1 bench_tpcb10; do
  psql -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" -c "CREATE DATABASE $d"
done
psql -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS workspace_authz"
psql -d "$DB" -v workspaces="$WORKSPACES" -f "$here/setup.sql" >/dev/null
for s in 1 10; do
  "$PGBIN/pgbench" -i -q -s "$s" "bench_tpcb$s" >"$work/init.out" 2>&1 || { cat "$work/init.out" >&2; exit 1; }
  psql -d "bench_tpcb$s" -c "GRANT SELECT, INSERT, UPDATE ON pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history TO $ROLE"
done

cat >"$work/usage_one.sql" <<'EOF'
\set cpu random(1, 20000)
SELECT authz.record_usage((SELECT id FROM bench.ws WHERE n = 1), :cpu / 100000.0, 0, 0);
EOF
chmod 644 "$work"/*.sql

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
percentile() {
  awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "?"; exit }
                   i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }' "$1"
}
verify() { sql -d "$DB" -c "SELECT count(*) FROM authz.verify_ledger()"; }

# run scenario clients: appends "scenario clients tps tx p50 p99 wal rec verify" to $work/results
run() {
  local scenario=$1 clients=$2 db=$DB args threads=2 opts=${PGOPTIONS:-}
  [ "$clients" -lt 2 ] && threads=1
  case $scenario in
    tpcb1)   db=bench_tpcb1; args=(-b tpcb-like) ;;
    tpcb10)  db=bench_tpcb10; args=(-b tpcb-like) ;;
    uniform) args=(-D workspaces="$WORKSPACES" -f "$here/transfer_uniform.sql") ;;
    hot)     args=(-f "$here/transfer_hot.sql") ;;
    usage)   args=(-f "$work/usage_one.sql"); opts="$opts $PLATFORM" ;;
  esac
  if [ "$db" = "$DB" ]; then
    psql -d "$db" -c "VACUUM authz.credit_accounts, authz.credit_movements, authz.credit_ledger, authz.credit_pending"
  else
    psql -d "$db" -c "VACUUM pgbench_branches, pgbench_tellers, pgbench_accounts" -c "TRUNCATE pgbench_history"
  fi
  psql -d "$db" -c "CHECKPOINT"
  local lsn0 lsn1 prefix="$work/log_${scenario}_$clients"
  lsn0=$(sql -d "$db" -c "SELECT pg_current_wal_lsn()")
  say "  $scenario, $clients clients, ${SECONDS_PER_RUN}s..."
  PGOPTIONS="$opts" "$PGBIN/pgbench" -n -T "$SECONDS_PER_RUN" -c "$clients" -j "$threads" -U "$ROLE" \
    -l --log-prefix="$prefix" "${args[@]}" "$db" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
  lsn1=$(sql -d "$db" -c "SELECT pg_current_wal_lsn()")
  local tx tps wal rec
  tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/out")
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/out" | head -n 1)
  if grep -qiE 'aborted|error' "$work/out" || [ -z "$tx" ] || [ "$tx" -eq 0 ]; then cat "$work/out" >&2; exit 1; fi
  wal=$(sql -d "$db" -c "SELECT round(pg_wal_lsn_diff('$lsn1', '$lsn0') / $tx)")
  rec=$(wal_records_bytes "$lsn0" "$lsn1")
  [ "$rec" = "?" ] || rec=$((rec / tx))
  cat "$prefix".* | awk '{ print $3 / 1000 }' | sort -g >"$work/lat"
  rm -f "$prefix".*
  echo "$scenario $clients $tps $tx $(percentile "$work/lat" 50) $(percentile "$work/lat" 99) $wal $rec $(verify)" >>"$work/results"
}

: >"$work/results"
for c in $CLIENTS; do
  for s in tpcb1 tpcb10 hot uniform usage; do run "$s" "$c"; done
done

# ---- batched usage, one session ------------------------------------------------
say "  batches: $BATCHES x 1,000 events, then the same events one call each..."
psql -d "$DB" -c "VACUUM authz.credit_accounts, authz.credit_movements, authz.credit_ledger, authz.credit_pending" -c "CHECKPOINT"
cat >"$work/batch.sql" <<SQL
\\timing on
$(for b in $(seq 1 "$BATCHES"); do
  echo "SELECT count(*) FROM authz.record_usage_batch(ARRAY(SELECT ROW((SELECT id FROM bench.ws WHERE n = 1 + i % 100), 0.001 * i, 0.002, 0, 'batch-$b-' || i)::authz.usage_event FROM generate_series(1, 1000) i));"
done)
SQL
batch_ms=$(PGOPTIONS="${PGOPTIONS:-} $PLATFORM" psql -d "$DB" -U "$ROLE" -f "$work/batch.sql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste -sd+ | bc)
batch_verify=$(verify)
cat >"$work/single.sql" <<'EOF'
\set i random(1, 1000)
SELECT authz.record_usage((SELECT id FROM bench.ws WHERE n = 1 + :i % 100), 0.001 * :i, 0.002, 0);
EOF
chmod 644 "$work/single.sql"
PGOPTIONS="${PGOPTIONS:-} $PLATFORM" "$PGBIN/pgbench" -n -T "$SECONDS_PER_RUN" -c 1 -U "$ROLE" -f "$work/single.sql" "$DB" >"$work/single.out" 2>&1 \
  || { cat "$work/single.out" >&2; exit 1; }
single_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/single.out" | head -n 1)
single_verify=$(verify)
batch_eps=$(awk -v n="$BATCHES" -v ms="$batch_ms" 'BEGIN { printf "%.0f", n * 1000 / (ms / 1000) }')

# ---- report ----------------------------------------------------------------------
fmt() { LC_ALL=C printf "%.${2:-0}f" "$1"; }
echo "## Credits engine vs pgbench TPC-B"
echo
echo "- Command: \`bench/credits.sh\` ($(date -u +%Y-%m-%d)), ${SECONDS_PER_RUN} s per run, \`pgbench -n -j 2\`, simple query protocol"
echo "- Server: $(sql -d postgres -c 'SHOW server_version'), shared_buffers=$(sql -d postgres -c 'SHOW shared_buffers'), fsync=$(sql -d postgres -c 'SHOW fsync'), synchronous_commit=$(sql -d postgres -c 'SHOW synchronous_commit'); $(nproc) cores; load average at the end $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "- hot: transfers on one pair of workspaces, both directions, against tpcb at scale 1; uniform: transfers between random pairs of $WORKSPACES workspaces, and usage: \`record_usage\` onto ONE workspace, against tpcb at scale 10"
echo "- WAL: bytes per transaction (pg_current_wal_lsn() difference; each run starts after a CHECKPOINT, so full-page images included), then without full-page images (pg_waldump --stats)"
echo "- verify: rows of \`authz.verify_ledger()\` right after the run (0: the books balance)"
echo
echo "| scenario | clients | TPS | baseline | ratio | p50 ms | p99 ms | WAL B / tx | without FPI | verify |"
echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"
while read -r s c tps tx p50 p99 wal rec ver; do
  case $s in hot) b=tpcb1 ;; uniform|usage) b=tpcb10 ;; *) b=$s ;; esac
  base=$(awk -v s="$b" -v c="$c" '$1 == s && $2 == c { print $3 }' "$work/results")
  ratio=$(awk -v a="$tps" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  case $s in tpcb*) ver="-" ;; esac
  echo "| $s | $c | $(fmt "$tps") | $b | ${ratio}x | $(fmt "$p50" 2) | $(fmt "$p99" 2) | $(fmt "$wal") | $rec | $ver |"
done <"$work/results"
echo
echo "Batched usage, one session: $BATCHES batches of 1,000 events over 100 workspaces in $(fmt "$batch_ms") ms:"
echo "**$batch_eps events/s** (verify: $batch_verify rows); one \`record_usage\` call per event: $(fmt "$single_tps") events/s"
echo "(verify: $single_verify rows); batch / single = $(awk -v a="$batch_eps" -v b="$single_tps" 'BEGIN { printf "%.1f", a / b }')x."
