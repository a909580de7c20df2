#!/usr/bin/env bash
# make bench: build the benchmark data on a throwaway cluster and report, in one
# run, times and ratios against the baselines: RLS queries against a floor and
# four reference policies, warm and cold check costs, then credit transfers
# against pgbench's TPC-B-like script (bench/transfers.sh). Prints a Markdown
# report and keeps it in bench/out/report.md; its "Targets" table is the one
# BENCHMARKS.md shows. Takes about 20 minutes (the per-row reference policies
# are slow by nature).
#
# The cluster runs with PostgreSQL's default settings; the report prints the
# ones that matter. Every timed query's plan is checked first: a check that
# PostgreSQL would evaluate once per statement (One-Time Filter, InitPlan)
# instead of per row stops the run with an error.
#
# Environment:
#   BENCH_REPEATS       repeats of each measurement block (3); ratios are reported
#                       as the range over the repeats
#   BENCH_SLOW_REPEATS  repeats in which the per-row reference policies (definer,
#                       claims, plpgsql) are timed, once each (1)
#   BENCH_QUICK=1       a quick check that everything runs: 100 rows per workspace
#                       instead of 1,000, 2 repeats, fewer calls and sessions, short
#                       transfer runs; its figures are not for publication
#   BENCH_ROWS_PER_WS, BENCH_RUNS (timed runs per repeat, 9), BENCH_CALLS (check
#   loop length, 1,000,000), BENCH_COLD_SESSIONS (21); transfers.sh documents its own
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/cluster.sh
out=bench/out
mkdir -p "$out"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  : "${BENCH_ROWS_PER_WS:=100}" "${BENCH_REPEATS:=2}" "${BENCH_RUNS:=3}" "${BENCH_CALLS:=100000}"
  : "${BENCH_COLD_SESSIONS:=5}" "${BENCH_SECONDS:=3}" "${BENCH_CLIENTS:=1 4}" "${BENCH_TPCB_SCALE:=1}"
  : "${BENCH_WORKSPACES:=100}" "${BENCH_PROFILE_SECONDS:=2}"
  export BENCH_SECONDS BENCH_CLIENTS BENCH_TPCB_SCALE BENCH_WORKSPACES BENCH_PROFILE_SECONDS
fi
ROWS_PER_WS=${BENCH_ROWS_PER_WS:-1000}
REPEATS=${BENCH_REPEATS:-3}
SLOW_REPEATS=${BENCH_SLOW_REPEATS:-1}
RUNS=${BENCH_RUNS:-9}
CALLS=${BENCH_CALLS:-1000000}
COLD_SESSIONS=${BENCH_COLD_SESSIONS:-21}
export BENCH_REPEATS=$REPEATS

cluster_start >/dev/null
trap cluster_stop EXIT
psql() { command psql -X -v ON_ERROR_STOP=1 "$@"; }
commas() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta' <<<"$1"; }

rows=$((ROWS_PER_WS * 1000))
echo "building $rows rows over 1,000 workspaces..." >&2
psql -q -v rows_per_ws="$ROWS_PER_WS" -f bench/setup.sql >/dev/null
psql -q -f bench/checks.sql >/dev/null
: >"$out/checks.txt"
for r in $(seq 1 "$REPEATS"); do
  echo "repeat $r of $REPEATS: query scenarios..." >&2
  psql -q -v rep="$r" -v runs="$RUNS" -v slow_reps="$SLOW_REPEATS" -f bench/scenarios.sql >/dev/null
  echo "repeat $r of $REPEATS: warm checks..." >&2
  psql -At -F '|' -c "SELECT * FROM bench.per_call($CALLS, $r)" >>"$out/checks.txt"
done
echo "cold checks, plans..." >&2
cold=()
for i in $(seq 1 "$COLD_SESSIONS"); do
  cold+=("$(psql -At -c "LOAD 'workspace_authz'" -c "SELECT bench.cold_check()" | tail -n 1)")
done
printf '%s\n' "${cold[@]}" | sort -g >"$out/cold.txt"
psql -q -f bench/report.sql >/dev/null
mismatches=$(psql -At -c "SELECT count(*) FROM bench.mismatches")
[ "$mismatches" = 0 ] || echo "WARNING: row counts differ from the floor's (see MISMATCH in the report)" >&2

settings() {
  echo "| setting | value |"
  echo "|---|---|"
  psql -At -F ' | ' -c "SELECT '| ' || name, current_setting(name) || CASE WHEN source <> 'default' THEN ' (' || source || ')' ELSE '' END || ' |'
    FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'jit', 'max_parallel_workers_per_gather', 'fsync',
      'synchronous_commit', 'effective_cache_size', 'random_page_cost', 'max_connections') ORDER BY name"
}

# Median, min and max of the checks' figures (column 3 net, 4 gross, 5 loop) per variant.
checks_row() {
  local variant=$1
  awk -F'|' -v v="$variant" '$2 == v { net[++n] = $3; gross[n] = $4; loop[n] = $5 }
    function med(a, n,   i, j, t, s) { for (i = 1; i <= n; i++) s[i] = a[i]
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
        return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2 }
    function rng(a, n, signed,   i, lo, hi) { lo = hi = a[1]; for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
        if (signed && lo <= 0) return sprintf("within noise (%.1f to %.1f)", lo, hi)
        return n > 1 ? sprintf("%.1f (%.1f-%.1f)", med(a, n), lo, hi) : sprintf("%.1f (1 run)", a[1]) }
    END { printf "| %s | %s | %s | %s |\n", v, rng(net, n, 1), rng(gross, n, 0), rng(loop, n, 0) }' "$out/checks.txt"
}
net_of() { checks_row "$1" | awk -F' [|] ' '{ print $2 }'; }
cold_median=$(awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }' "$out/cold.txt")
cold_text="$(printf '%.2f' "$cold_median") ms median ($(printf '%.2f' "$(head -n 1 "$out/cold.txt")")-$(printf '%.2f' "$(tail -n 1 "$out/cold.txt")") ms, $COLD_SESSIONS sessions)"

echo "transfers..." >&2
BENCH_TARGETS="$out/transfer_targets.txt" bench/transfers.sh >"$out/transfers.md"
bench/credits.sh >"$out/credits.md"

{
  echo "# Benchmark report"
  echo
  [ "${BENCH_QUICK:-0}" = 1 ] && { echo "**Quick mode (BENCH_QUICK=1): small data, few runs; not for publication.**"; echo; }
  echo "- Command: \`make bench\` ($(date -u +%Y-%m-%d)); repeats: $REPEATS (per-row reference policies: $SLOW_REPEATS, one run each), $RUNS timed runs per repeat after one untimed run"
  echo "- Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Server: $(psql -At -c 'SHOW server_version'), PostgreSQL's defaults (initdb's postgresql.conf, nothing changed by the benchmark):"
  echo
  settings
  echo
  echo "- Data: $(commas "$rows") rows, 1,000 workspaces ($(commas "$ROWS_PER_WS") rows each, stored in random order), btree index on workspace_id"
  echo
  echo "## Targets"
  echo
  echo "| target | result |"
  echo "|---|---|"
  psql -At <<'SQL'
SELECT format('| %s: at most 1.2x the floor | %s |', s.name, bench.ratio_text(x.floor_lo, x.floor_hi, x.n, true))
  FROM bench.scenarios s JOIN bench.summary x ON x.label = s.label AND x.method = 'authz' WHERE s.label = 'v100';
SELECT format('| %s: at most 1.5x the floor, index scan in the plan | %s; `%s` |', s.name,
              bench.ratio_text(x.floor_lo, x.floor_hi, x.n, true),
              (SELECT btrim(l) FROM regexp_split_to_table(p.plan, E'\n') l WHERE l ~ 'Index Cond' LIMIT 1))
  FROM bench.scenarios s JOIN bench.summary x ON x.label = s.label AND x.method = 'authz'
  JOIN bench.plans p ON p.label = s.label AND p.method = 'authz' WHERE s.label = 'v1';
SELECT format('| at least 10x faster than a PL/pgSQL policy | %s (all five scenarios; %s) |',
              bench.x(min(authz_lo)) || 'x to ' || bench.x(max(authz_hi)) || 'x',
              CASE WHEN max(n) = 1 THEN 'one run each' ELSE 'range over ' || max(n) || ' runs' END)
  FROM bench.summary WHERE method = 'plpgsql';
SQL
  echo "| warm \`authz.check\` under 1 µs | net of the loop, fastest of 5 runs, median (range) over $REPEATS repeats: $(net_of "authz.check, same workspace each call") ns with the same workspace each call, $(net_of "authz.check, 1,000 workspaces in turn") ns cycling through 1,000 |"
  echo "| cold first check under 2 ms (user with 1,000 memberships) | $cold_text |"
  cat "$out/transfer_targets.txt"
  echo
  echo "## RLS queries: \`SELECT count(*) FROM docs\` as the application role"
  echo
  echo "Methods, each on its own copy of the rows: floor = the table owner with a constant \`workspace_id = ANY ('{...}')\` list"
  echo "of the same workspaces, no RLS; authz = the \`authz.protect\` policy; sql = \`workspace_id IN (SELECT workspace_id FROM"
  echo "memberships WHERE user_id = ...)\` (the membership subquery basejump recommends); definer = a per-row SECURITY DEFINER"
  echo "SQL function \`has_workspace_access(workspace_id, 'content.read')\` (membership joined to role permissions); claims ="
  echo "the workspace roles carried in \`request.jwt.claims\`, tested per row with \`current_setting(...)::jsonb\`; plpgsql = a"
  echo "PL/pgSQL membership and role lookup per row. Scenario names come from the authz plan (below)."
  echo
  echo "Time per query in ms: the median of the repeats' medians, with their range (floor, authz, sql: $RUNS runs per repeat);"
  echo "the per-row reference policies are timed once per repeat in $SLOW_REPEATS repeat(s)."
  echo
  psql -At <<'SQL'
SELECT '| scenario | rows | floor | authz | sql | definer | claims | plpgsql |';
SELECT '|---|---:|---:|---:|---:|---:|---:|---:|';
SELECT format('| %s | %s | %s |', s.name,
              (SELECT to_char(rows_lo, 'FM999,999,999') FROM bench.summary f WHERE f.label = s.label AND f.method = 'floor')
              || coalesce(' (MISMATCH: ' || (SELECT methods FROM bench.mismatches mm WHERE mm.label = s.label) || ')', ''),
              string_agg(bench.ms_text(x.med, x.lo, x.hi, x.n), ' | ' ORDER BY m.ord))
  FROM bench.scenarios s CROSS JOIN bench.methods m
  LEFT JOIN bench.summary x ON x.label = s.label AND x.method = m.method
 GROUP BY s.label, s.ord, s.name ORDER BY s.ord;
SQL
  echo
  echo "Each method's time over the floor's, per repeat (range over the repeats):"
  echo
  psql -At <<'SQL'
SELECT '| scenario | authz | sql | definer | claims | plpgsql |';
SELECT '|---|---|---:|---:|---:|---:|';
SELECT format('| %s | %s |', s.name,
              string_agg(bench.ratio_text(x.floor_lo, x.floor_hi, x.n, m.method = 'authz'), ' | ' ORDER BY m.ord))
  FROM bench.scenarios s CROSS JOIN bench.methods m
  LEFT JOIN bench.summary x ON x.label = s.label AND x.method = m.method
 WHERE m.method <> 'floor'
 GROUP BY s.label, s.ord, s.name ORDER BY s.ord;
SQL
  echo
  echo "## Checks"
  echo
  echo "Warm per-call cost, $(commas "$CALLS") calls of \`authz.check\`/\`authz.can\` in a \`generate_series\` filter, the workspace taken"
  echo "from a 1,000-element array indexed by the row (one id 1,000 times, or the 1,000 ids), so every call runs per row (the"
  echo "plans are checked for it); net = minus the same loop testing the array element for NULL. Fastest of 5 runs per repeat"
  echo "(interference only adds time); median over $REPEATS repeats with the range, in ns per call. A net range reaching 0 is"
  echo "reported as within the loop's noise:"
  echo
  echo "| variant | net | gross (loop included) | the loop alone |"
  echo "|---|---:|---:|---:|"
  for v in "authz.check, same workspace each call" "authz.can, same workspace each call" \
           "authz.check, 1,000 workspaces in turn" "authz.can, 1,000 workspaces in turn"; do
    checks_row "$v"
  done
  echo
  echo "First check in a new session, user with 1,000 memberships (library already loaded): $cold_text."
  echo
  echo "## Plans"
  echo
  echo "As the application role (the floor as the table owner); the fast methods with \`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)\`,"
  echo "the per-row reference policies without ANALYZE. Long constant lists are cut at 160 characters."
  psql -At <<'SQL'
SELECT format(E'\n### %s\n\n%s', s.name,
              string_agg(format(E'%s:\n\n```\n%s```', m.method, p.plan), E'\n\n' ORDER BY m.ord))
  FROM bench.scenarios s CROSS JOIN bench.methods m
  JOIN bench.plans p ON p.label = s.label AND p.method = m.method
 GROUP BY s.label, s.ord, s.name ORDER BY s.ord;
SQL
  echo
  cat "$out/transfers.md"
  echo
  cat "$out/credits.md"
} | tee "$out/report.md"
