#!/usr/bin/env bash
# The credits engine under real concurrency, as TAP on stdout.
#
#   1. Holds racing for the last credits: 16 sessions try to hold 1 credit each,
#      many times, on a workspace with 10 credits: exactly 10 holds succeed,
#      every other attempt is refused with 23514, available() ends at 0.
#   2. Hot-account usage: 16 metering sessions charge one workspace while a
#      session holds its account row locked part of the time; meanwhile a
#      reader checks, again and again, that balance() equals top-ups less every
#      charge recorded, in one snapshot. Then the books.
#   3. Concurrent batches: 4 sessions submit the same keyed batch at once: each
#      event is booked once.
#   4. Crash: usage from many sessions on one workspace and batches on a
#      throwaway cluster (fsync on), SIGKILL of the postmaster and its children,
#      restart: the books hold, pending charges included.
#
# Runs against the database in PGHOST/PGPORT/PGUSER/PGDATABASE (the extension
# installed, superuser). Environment: ENGINE_SECONDS (default 6).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tools/cluster.sh

SECS=${ENGINE_SECONDS:-6}
CLIENT=regress_engine_client
PLAN=23
PGBENCH="$PGBIN/pgbench"
SHARED_DIR=${CLUSTER_DIR:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/credits_engine.XXXXXX")
chmod 755 "$work"
echo 0 >"$work/count"

cleanup() {
  psql -X -q -d "$PGDATABASE" -c "DROP OWNED BY $CLIENT" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $CLIENT" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

tap() {
  local pass=$1 desc=$2 n
  shift 2
  n=$(($(cat "$work/count") + 1))
  echo "$n" >"$work/count"
  if [ "$pass" = 1 ]; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi
  if [ "$pass" != 1 ] && [ $# -gt 0 ]; then printf '%s\n' "$@" | sed 's/^/# /'; fi
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
q() { PGOPTIONS="${PGOPTIONS:-} -c search_path=public,authz" psql -X -q -At -v ON_ERROR_STOP=1 "$@" 2>&1; }
check() {
  local desc=$1 sql=$2 dsql=${3:-} got
  got=$(q -c "$sql")
  if [ "$got" = t ]; then tap 1 "$desc"; else tap 0 "$desc" "got: $got" ${dsql:+"$(q -c "$dsql")"}; fi
}
pgbench_ok() {
  [ "$2" -eq 0 ] && ! grep -qiE 'aborted|error|fatal' "$1" && grep -qE '^number of failed transactions: 0 ' "$1"
}

echo "1..$PLAN"

setup_sql() {
  cat <<SQL
CREATE ROLE $CLIENT LOGIN;
GRANT workspace_authz_trusted TO $CLIENT;
SELECT authz.create_user('engine_owner', 'engine-owner@example.com') AS owner \gset
SELECT authz.set_user(:'owner', false);
SELECT authz.create_org('engine', 'Credits engine') AS org \gset
CREATE SCHEMA regress_engine;
CREATE TABLE regress_engine.ws (n int PRIMARY KEY, id uuid NOT NULL UNIQUE);
INSERT INTO regress_engine.ws SELECT i, authz.create_workspace(:'org', 'e' || i) FROM generate_series(1, 6) i;
SELECT authz.set_user(NULL);
SELECT authz.add_credits(id, '10') FROM regress_engine.ws WHERE n = 1;
SELECT authz.add_credits(id, '1000') FROM regress_engine.ws WHERE n IN (2, 4);
CREATE TABLE regress_engine.outcomes (what text NOT NULL, result text NOT NULL);
CREATE TABLE regress_engine.samples (ok boolean NOT NULL, detail text);
CREATE TABLE regress_engine.pending_seen (n bigint NOT NULL);
CREATE SEQUENCE regress_engine.keys;
-- One hold attempt of 1 credit on workspace 1: the hold id or the SQLSTATE.
CREATE FUNCTION regress_engine.try_hold() RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
    INSERT INTO regress_engine.outcomes
    VALUES ('hold', authz.hold_credits((SELECT id FROM regress_engine.ws WHERE n = 1), '1',
                                       'h' || nextval('regress_engine.keys'))::text);
EXCEPTION WHEN OTHERS THEN
    INSERT INTO regress_engine.outcomes VALUES ('hold', 'ERROR ' || SQLSTATE);
END
\$\$;
-- balance() against top-ups less charges, in one snapshot
CREATE FUNCTION regress_engine.sample(w int) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE
    ws uuid := (SELECT id FROM regress_engine.ws WHERE n = w);
    b authz.credits := authz.balance(ws);
    expect authz.credits := (SELECT coalesce(authz.sum(amount) FILTER (WHERE kind = 'topup'), '0')
                                    OPERATOR(authz.-) coalesce(authz.sum(amount) FILTER (WHERE kind = 'usage'), '0')
                               FROM authz.credit_movements WHERE coalesce(from_workspace, to_workspace) = ws);
BEGIN
    INSERT INTO regress_engine.samples VALUES (b OPERATOR(authz.=) expect, format('balance %s, expected %s', b, expect));
END
\$\$;
GRANT USAGE ON SCHEMA regress_engine TO $CLIENT;
GRANT SELECT ON regress_engine.ws TO $CLIENT;
GRANT INSERT ON regress_engine.outcomes TO $CLIENT;
GRANT USAGE ON SEQUENCE regress_engine.keys TO $CLIENT;
SQL
}

cat >"$work/hold.sql" <<'EOF'
SELECT regress_engine.try_hold();
EOF
# usage on workspace 2 (the hot one): small charges, sometimes keyed
cat >"$work/usage.sql" <<'EOF'
\set cpu random(1, 20000)
\set k random(1, 1000000000000000)
SELECT authz.record_usage((SELECT id FROM regress_engine.ws WHERE n = 2), :cpu / 100000.0, 0, 0,
                          CASE WHEN :k % 4 = 0 THEN 'u' || :k END);
EOF
# a batch of 50 events on workspaces 2-4
cat >"$work/batch.sql" <<'EOF'
\set k random(1, 1000000000000000)
SELECT count(*) FROM authz.record_usage_batch(ARRAY(
    SELECT ROW((SELECT id FROM regress_engine.ws WHERE n = 2 + i % 3), 0.01 * i, 0, 0, 'b' || :k || '-' || i)::authz.usage_event
      FROM generate_series(1, 50) i));
EOF
chmod 644 "$work"/*.sql

# the books: the same checks on both clusters
books() {
  local label=$1
  check "$label: verify_ledger() is empty (every account's balance equals its ledger)" \
    "SELECT NOT EXISTS (SELECT FROM authz.verify_ledger())"
  check "$label: balances plus pending charges = top-ups - usage, exactly" \
    "SELECT (SELECT coalesce(sum(balance), '0') FROM authz.credit_accounts)
          + (SELECT coalesce(sum(amount), '0') FROM authz.credit_pending)
          = (SELECT coalesce(sum(amount) FILTER (WHERE kind = 'topup'), '0')
                  - coalesce(sum(amount) FILTER (WHERE kind = 'usage'), '0') FROM authz.credit_movements)" \
    "SELECT format('balances %s pending %s', (SELECT sum(balance) FROM authz.credit_accounts), (SELECT sum(amount) FROM authz.credit_pending))"
  check "$label: every non-zero usage charge has exactly one entry, in the ledger or pending, of its amount" \
    "SELECT count(*) = 0 FROM authz.credit_movements m
      WHERE m.kind = 'usage' AND m.amount <> '0'
        AND (SELECT count(*) FROM (SELECT e.amount FROM authz.credit_ledger e WHERE e.movement_id = m.id AND e.workspace_id = m.from_workspace
                                   UNION ALL SELECT p.amount FROM authz.credit_pending p WHERE p.movement_id = m.id) x
              WHERE x.amount = -m.amount) <> 1"
}

if out=$(setup_sql | psql -X -q -v ON_ERROR_STOP=1 2>&1 >/dev/null); then ok=1; else ok=0; fi
tap "$ok" "set-up: an organization with 6 workspaces and a trusted client role" "$out"
[ "$ok" = 1 ] || exit 1

# ---- 1. holds racing for the last credits ------------------------------------
"$PGBENCH" -n -t 4 -c 16 -j 2 -U "$CLIENT" -f "$work/hold.sql" "$PGDATABASE" >"$work/hold.out" 2>&1
rc=$?
pgbench_ok "$work/hold.out" "$rc"; ok=$(( $? == 0 ))
tap "$ok" "holds: 16 sessions x 4 attempts ran without an unexpected error" "$(grep -iE 'aborted|error' "$work/hold.out" | head -n 3)"
check "holds: exactly 10 of the 64 attempts held a credit (10 credits), every other one was refused with 23514" \
  "SELECT count(*) FILTER (WHERE result ~ '^[0-9]+$') = 10
      AND count(*) FILTER (WHERE result = 'ERROR 23514') = 54 AND count(*) = 64 FROM regress_engine.outcomes" \
  "SELECT string_agg(result || ' x' || c, ', ') FROM (SELECT result, count(*) c FROM regress_engine.outcomes GROUP BY 1) x"
check "holds: available() is 0 and the balance still 10: nothing was over-reserved" \
  "SELECT authz.available(id)::text = '0' AND authz.balance(id)::text = '10' FROM regress_engine.ws WHERE n = 1" \
  "SELECT format('available %s balance %s', authz.available(id), authz.balance(id)) FROM regress_engine.ws WHERE n = 1"

# ---- 2. hot-account usage -------------------------------------------------------
# A locker holds workspace 2's account row for a second at a time, so charges
# must go pending rather than wait; a reader samples balance() throughout.
( end=$((SECONDS + SECS))
  while [ $SECONDS -lt $end ]; do
    q -c "BEGIN" -c "SELECT 1 FROM authz.credit_accounts a JOIN regress_engine.ws w ON w.id = a.workspace_id WHERE w.n = 2 FOR UPDATE OF a" \
      -c "SELECT pg_sleep(1)" -c "COMMIT" >/dev/null
    sleep 0.2
  done ) &
locker=$!
( end=$((SECONDS + SECS))
  while [ $SECONDS -lt $end ]; do
    q -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT regress_engine.sample(2)" -c "COMMIT" \
      -c "INSERT INTO regress_engine.pending_seen SELECT count(*) FROM authz.credit_pending" >/dev/null
    sleep 0.05
  done ) &
reader=$!
"$PGBENCH" -n -T "$SECS" -c 16 -j 2 -U "$CLIENT" -f "$work/usage.sql" "$PGDATABASE" >"$work/usage.out" 2>&1
rc=$?
wait "$locker" "$reader"
tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/usage.out")
pgbench_ok "$work/usage.out" "$rc"; ok=$(( $? == 0 ))
tap "$ok" "hot usage: 16 metering sessions on one workspace ran without an error" "$(grep -iE 'aborted|error' "$work/usage.out" | head -n 3)"
diag "hot usage: $tx charges ($(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/usage.out" | head -n 1) tps)"
check "hot usage: each call made one usage movement" \
  "SELECT count(*) = ${tx:-0} FROM authz.credit_movements m JOIN regress_engine.ws w ON w.id = m.from_workspace WHERE w.n = 2 AND m.kind = 'usage'"
check "hot usage: while the account was locked elsewhere, charges were booked as pending (they did not wait)" \
  "SELECT max(n) > 0 FROM regress_engine.pending_seen"
check "hot usage: every sample of balance() during the load equalled top-ups less every charge, in its snapshot" \
  "SELECT count(*) > 0 AND bool_and(ok) FROM regress_engine.samples" \
  "SELECT format('%s samples, %s wrong: %s', count(*), count(*) FILTER (WHERE NOT ok), min(detail) FILTER (WHERE NOT ok)) FROM regress_engine.samples"
books "hot usage"

# ---- 3. concurrent identical batches ----------------------------------------------
batch="SELECT count(*) FILTER (WHERE replayed) FROM authz.record_usage_batch(ARRAY(
    SELECT ROW((SELECT id FROM regress_engine.ws WHERE n = 3 + i % 2), 0.5, 0, 0, 'same-' || i)::authz.usage_event
      FROM generate_series(1, 200) i))"
for i in 1 2 3 4; do q -U "$CLIENT" -c "$batch" >"$work/batch$i.out" & done
wait
replays=$(cat "$work"/batch?.out | paste -sd+ | bc 2>/dev/null)
tap "$([ "${replays:-x}" = 600 ] && echo 1 || echo 0)" \
  "batches: 4 sessions booking the same 200 keyed events at once: 3 x 200 answers were replays" "$(cat "$work"/batch?.out)"
check "batches: each key made exactly one movement, charged once (200 x 0.05)" \
  "SELECT count(*) = 200 AND sum(amount) = '10' FROM authz.credit_movements WHERE idempotency_key LIKE 'same-%'"
books "after the batches"

# ---- 4. crash ---------------------------------------------------------------------------
(
  unset CLUSTER_DIR CLUSTER_PORT CLUSTER_PID
  stop_crash_cluster() { if [ -n "${CLUSTER_DIR:-}" ] && [ "$CLUSTER_DIR" != "$SHARED_DIR" ]; then cluster_stop; fi; }
  trap stop_crash_cluster EXIT
  started=0
  if cluster_start fsync=on max_connections=50 >"$work/crash_start.out" 2>&1 \
     && q -d postgres -c "CREATE DATABASE crash" >/dev/null && q -d crash -c "CREATE EXTENSION workspace_authz" >/dev/null \
     && setup_sql | psql -X -q -v ON_ERROR_STOP=1 -d crash >/dev/null 2>>"$work/crash_start.out"; then
    started=1
  fi
  tap "$started" "crash: a second cluster (fsync on) with the same set-up" "$(tail -n 5 "$work/crash_start.out")"
  [ "$started" = 1 ] || exit 1
  export PGDATABASE=crash
  "$PGBENCH" -n -T 60 -c 8 -j 2 -U "$CLIENT" -f "$work/usage.sql" crash >/dev/null 2>&1 &
  c1=$!
  "$PGBENCH" -n -T 60 -c 2 -j 1 -U "$CLIENT" -f "$work/batch.sql" crash >/dev/null 2>&1 &
  c2=$!
  sleep 3
  before=$(q -c "SELECT count(*) FROM authz.credit_movements")
  signal() { local sig=$1; shift; kill -"$sig" "$@" 2>/dev/null || tools/sudo.sh kill -"$sig" "$@" 2>/dev/null; }
  pm=$(head -n 1 "$CLUSTER_DIR/data/postmaster.pid")
  killed=0
  if [ -n "$pm" ] && [ -d "/proc/$pm" ]; then
    signal STOP "$pm"
    children=$(ps -o pid= --ppid "$pm" | tr -s ' \n' ' ')
    # shellcheck disable=SC2086
    signal KILL "$pm" $children
    for _ in $(seq 1 100); do
      alive=0
      for p in $pm $children; do [ -d "/proc/$p" ] && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
    [ "$alive" = 0 ] && killed=1
  fi
  wait "$c1" "$c2" 2>/dev/null
  tap "$(( killed == 1 && ${before:-0} > 3 ))" "crash: SIGKILL to the postmaster and its children under usage and batch load ($before movements)"
  restarted=0
  if cluster_restart >"$work/crash_restart.out" 2>&1 && [ "$(q -c 'SELECT 1')" = 1 ]; then restarted=1; fi
  tap "$restarted" "crash: the cluster restarts and recovers" "$(tail -n 5 "$work/crash_restart.out")"
  [ "$restarted" = 1 ] || exit 1
  check "crash: the movements committed before the crash are there" "SELECT count(*) >= ${before:-0} FROM authz.credit_movements"
  books "crash"
)

n=$(cat "$work/count")
while [ "$n" -lt "$PLAN" ]; do n=$((n + 1)); echo "not ok $n - not run: an earlier step failed"; done
