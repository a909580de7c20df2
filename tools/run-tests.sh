#!/usr/bin/env bash
# Run every suite against a throwaway cluster and print one final line
# "N passed, N failed". Exits non-zero on any failure.
#   pg_regress: the files in sql/ against expected/ (one test per file)
#   pgTAP:      each test/*.sql in a fresh database cloned from a template
#               (one test per assertion), run with pg_prove
#   scripts:    each executable test/*.sh, which drives several sessions
#               and prints TAP lines (one test per line)
# Usage: tools/run-tests.sh [test/file.sql|test/file.sh ...]
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/cluster.sh

passed=0
failed=0
failures=()

# Two-phase commit and logical replication are part of what the suites test.
cluster_start fsync=off max_connections=200 max_prepared_transactions=10 wal_level=logical >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
trap cluster_stop EXIT

# Count TAP lines of one run: ok/not ok, plus a failure for a bad plan or a crash.
count_tap() {
  local name=$1 out=$2 rc=$3
  local ok notok planned
  ok=$(grep -cE '^[[:space:]]*ok [0-9]+' <<<"$out")
  notok=$(grep -cE '^[[:space:]]*not ok [0-9]+' <<<"$out")
  planned=$(grep -m1 -oE '^[[:space:]]*1\.\.[0-9]+' <<<"$out" | sed 's/.*\.\.//')
  passed=$((passed + ok))
  failed=$((failed + notok))
  local missing=0
  [ -n "$planned" ] && missing=$((planned - ok - notok))
  if [ "$missing" -gt 0 ]; then failed=$((failed + missing)); fi
  if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ] && [ "$missing" -le 0 ]; then failed=$((failed + 1)); fi
  if [ "$rc" -ne 0 ] || [ "$notok" -gt 0 ] || [ "$missing" -gt 0 ]; then
    failures+=("$name")
    echo "$out" | grep -vE '^[[:space:]]*ok [0-9]+' | head -n 60
  fi
  printf '%-40s %4d ok, %d not ok\n' "$name" "$ok" "$((notok + (missing > 0 ? missing : 0)))"
}

if [ $# -eq 0 ]; then
  echo "== pg_regress"
  out=$(make -s installcheck 2>&1)
  rc=$?
  # pg_regress prints "test x ... ok" up to 15, TAP lines ("ok 1 - x") from 16 on.
  echo "$out" | grep -E '(\.\.\.|^test ) |^(not )?ok [0-9]+ ' || true
  ok=$(grep -cE '\.\.\. ok|^ok [0-9]+ ' <<<"$out")
  bad=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' <<<"$out")
  passed=$((passed + ok))
  failed=$((failed + bad))
  if [ "$rc" -ne 0 ]; then
    [ "$bad" -eq 0 ] && failed=$((failed + 1))
    failures+=("pg_regress")
    [ -f regression.diffs ] && head -n 80 regression.diffs
  fi
fi

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE authz_template" \
  && psql -X -q -v ON_ERROR_STOP=1 -d authz_template \
       -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION dblink" -c "CREATE EXTENSION workspace_authz" \
  || { echo "could not prepare the test template"; failed=$((failed + 1)); }

if [ $# -gt 0 ]; then files=("$@"); else files=(test/*.sql test/*.sh); fi
echo "== pgTAP and multi-session suites"
for f in "${files[@]}"; do
  [ -e "$f" ] || continue
  name=$(basename "$f")
  db="t_$(basename "$f" | tr -c 'a-z0-9_\n' '_')"
  psql -X -q -d postgres -c "CREATE DATABASE \"$db\" TEMPLATE authz_template" || { failed=$((failed + 1)); continue; }
  case "$f" in
    *.sql) out=$(pg_prove -v -d "$db" "$f" 2>&1); rc=$? ;;
    *.sh)  out=$(PGDATABASE="$db" timeout 600 bash "$f" 2>&1); rc=$? ;;
  esac
  count_tap "$name" "$out" "$rc"
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
done

# Login roles created by the suites are cluster-wide; the cluster goes away anyway.
if [ ${#failures[@]} -gt 0 ]; then echo "failed: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
