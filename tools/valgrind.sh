#!/usr/bin/env bash
# Run suites against a server running under valgrind (memcheck) and report the
# errors whose stack passes through workspace_authz. Slow: a suite takes 20-50
# times longer. Usage: tools/valgrind.sh [pg_regress test names] -- [test files]
#   tools/valgrind.sh permset credits errors -- test/resolution.sql test/checks.sql
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/cluster.sh
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }

regress=()
suites=()
seen_dashes=0
for a in "$@"; do
  if [ "$a" = "--" ]; then seen_dashes=1; continue; fi
  if [ "$seen_dashes" = 1 ]; then suites+=("$a"); else regress+=("$a"); fi
done

CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/workspace_authz_vg.XXXXXX")
chmod 755 "$CLUSTER_DIR"
[ "$(id -un)" = postgres ] || tools/sudo.sh chown postgres: "$CLUSTER_DIR"
CLUSTER_PORT=$((55000 + RANDOM % 1000))
as_postgres "$PGBIN/initdb" -D "$CLUSTER_DIR/data" -U postgres --auth=trust --no-sync >/dev/null
as_postgres valgrind --quiet --trace-children=yes --track-origins=yes \
  --num-callers=30 --error-limit=no --log-file="$CLUSTER_DIR/vg.%p.log" \
  "$PGBIN/postgres" -D "$CLUSTER_DIR/data" -c listen_addresses='' \
  -c unix_socket_directories="$CLUSTER_DIR" -c port="$CLUSTER_PORT" -c fsync=off \
  -c max_parallel_workers_per_gather=2 -c max_prepared_transactions=10 >"$CLUSTER_DIR/server.log" 2>&1 &
export PGHOST="$CLUSTER_DIR" PGPORT="$CLUSTER_PORT" PGUSER=postgres PGDATABASE=postgres
for i in $(seq 1 180); do pg_isready -q && break; sleep 1; done
if ! pg_isready -q; then
  echo "the server did not start under valgrind:"; tail -n 20 "$CLUSTER_DIR/server.log"; exit 1
fi
CLUSTER_PID=$(head -n 1 "$CLUSTER_DIR/data/postmaster.pid")
failed=0
export CLUSTER_DIR CLUSTER_PORT CLUSTER_PID
trap cluster_stop EXIT

if [ ${#regress[@]} -gt 0 ]; then
  make -s installcheck REGRESS="${regress[*]}" || failed=1
fi
if [ ${#suites[@]} -gt 0 ]; then
  psql -X -q -c "CREATE DATABASE authz_vg" -d postgres
  psql -X -q -d authz_vg -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION dblink" -c "CREATE EXTENSION workspace_authz"
  for f in "${suites[@]}"; do
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS vg_run WITH (FORCE)" -c "CREATE DATABASE vg_run TEMPLATE authz_vg"
    echo "== $f"
    pg_prove -d vg_run "$f" >"$CLUSTER_DIR/prove.out" 2>&1 || failed=1
    tail -n 2 "$CLUSTER_DIR/prove.out"
  done
fi

as_postgres "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w -t 300 stop >/dev/null 2>&1
# An error counts when one of its frames is in the extension's code.
total=0
for log in "$CLUSTER_DIR"/vg.*.log; do
  [ -s "$log" ] || continue
  n=$(awk '/^==[0-9]+== [A-Z]/ {blk=$0; inblk=1; next} inblk && /workspace_authz|src\/(cache|checks|credits|identity|ledger|permset|planner|resolver|tokens)\.c/ {print blk; inblk=0}' "$log" | wc -l)
  if [ "$n" -gt 0 ]; then
    total=$((total + n))
    echo "--- $log"
    cat "$log"
  fi
done
echo "valgrind errors in workspace_authz code: $total"
[ "$failed" -eq 0 ] || echo "some suites failed under valgrind"
[ "$total" -eq 0 ] && [ "$failed" -eq 0 ]
