#!/usr/bin/env bash
# make bench: build the benchmark data on a throwaway cluster and report, in one
# run, medians and ratios against the baselines: RLS queries against a floor
# and two reference policies, check costs, then credit transfers against
# pgbench's TPC-B-like script (bench/transfers.sh). Prints a Markdown report
# and keeps it in bench/out/report.md. Takes about ten minutes (the PL/pgSQL
# reference policy is slow by nature).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/cluster.sh
out=bench/out
mkdir -p "$out"

cluster_start shared_buffers=1GB work_mem=64MB jit=off max_connections=200 >/dev/null
trap cluster_stop EXIT
psql() { command psql -X -v ON_ERROR_STOP=1 "$@"; }

echo "building 1,000,000 rows over 1,000 workspaces..." >&2
psql -q -f bench/setup.sql >/dev/null
echo "timing query scenarios..." >&2
psql -q -f bench/scenarios.sql >/dev/null
psql -q -f bench/checks.sql >/dev/null

# Plans of the protected queries, as the application role.
plans() {
  local label=$1
  psql -At -q <<SQL
SET ROLE bench_app;
SELECT authz.set_user((SELECT id FROM bench.users WHERE label = '$label'), false);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM bench.docs_authz;
SQL
}

{
  echo "# Benchmark report"
  echo
  echo "- Command: \`make bench\` ($(date -u +%Y-%m-%d))"
  echo "- Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "- Server: $(command psql -X -At -c 'SHOW server_version'), shared_buffers=1GB, work_mem=64MB, jit=off, other settings default"
  echo "- Data: 1,000,000 rows, 1,000 workspaces (1,000 rows each, stored in random order), btree index on workspace_id"
  echo
  echo "## RLS queries: \`SELECT count(*) FROM docs\` as the application role"
  echo
  echo "floor = the table owner with a constant \`workspace_id = ANY ('{...}')\` list of the same workspaces, no RLS;"
  echo "authz = \`authz.protect\` policy; sql = \`workspace_id IN (SELECT workspace_id FROM memberships WHERE user_id = ...)\`;"
  echo "plpgsql = a PL/pgSQL membership lookup per row. Medians in ms (runs: 9, plpgsql 3)."
  echo
  psql -At -F ' | ' <<'SQL'
SELECT '| scenario | rows | floor | authz | authz / floor | sql | sql / authz | plpgsql | plpgsql / authz |';
SELECT '|---|---:|---:|---:|---:|---:|---:|---:|---:|';
WITH r AS (SELECT scenario, min(ord) AS ord,
                  max(median_ms) FILTER (WHERE method = 'floor') AS floor,
                  max(median_ms) FILTER (WHERE method = 'authz') AS authz,
                  max(median_ms) FILTER (WHERE method = 'sql') AS sql,
                  max(median_ms) FILTER (WHERE method = 'plpgsql') AS plpgsql,
                  max(rows) FILTER (WHERE method = 'authz') AS rows,
                  count(DISTINCT rows) AS distinct_rows
             FROM bench.results GROUP BY scenario)
SELECT format('| %s | %s | %s | %s | %sx | %s | %sx | %s | %sx |', scenario,
              rows || CASE WHEN distinct_rows > 1 THEN ' (MISMATCH)' ELSE '' END,
              round(floor::numeric, 2), round(authz::numeric, 2), round((authz / floor)::numeric, 2),
              round(sql::numeric, 2), round((sql / authz)::numeric, 1),
              round(plpgsql::numeric, 1), round((plpgsql / authz)::numeric, 1))
  FROM r ORDER BY ord;
SQL
  echo
  echo "## Checks"
  echo
  echo "Warm per-call cost (net of the same loop with a trivial predicate; 1,000,000 calls, median of 5):"
  echo
  echo "| variant | ns per call (net) | ns per call (gross) |"
  echo "|---|---:|---:|"
  psql -At -F ' | ' -c "SELECT '| ' || variant, ns_per_call, ns_gross || ' |' FROM bench.per_call(1000000)"
  echo
  cold=()
  for i in $(seq 1 21); do
    cold+=("$(psql -At -c "LOAD 'workspace_authz'" -c "SELECT bench.cold_check()" | tail -n 1)")
  done
  printf '%s\n' "${cold[@]}" | sort -g > "$out/cold.txt"
  echo "First check in a new session, user with 1,000 memberships (library already loaded; 21 sessions):"
  echo "median $(sed -n '11p' "$out/cold.txt") ms, min $(head -n 1 "$out/cold.txt") ms, max $(tail -n 1 "$out/cold.txt") ms."
  echo
  echo "## Plans (authz policy, as the application role)"
  for label in v1 v100 admin; do
    echo
    echo "User $label:"
    echo
    echo '```'
    plans "$label"
    echo '```'
  done
  echo
  bench/transfers.sh
  bench/credits.sh
} | tee "$out/report.md"
