#!/usr/bin/env bash
# Credits under real concurrency (SPEC 8), as TAP on stdout.
#
#   1. Load: pgbench clients transfer random amounts in both directions among
#      six workspaces of one organization (many more than the source holds,
#      which must be refused with 23514 and nothing moved) while other clients
#      record usage charges. Then a hot pair: opposite transfers between two
#      workspaces from many clients at once, which must never deadlock. Then
#      accounts being opened: top-ups and transfers both ways between pairs of
#      workspaces that have no account yet, many clients on each pair at once,
#      which must never deadlock either.
#   2. Idempotency: eight sessions are held on the account locks, all calling
#      with one key and the same arguments, then released together: one
#      movement, one answer.
#   3. The books afterwards: verify_ledger() is empty, credits are conserved
#      exactly, each movement has exactly its entries, and replaying each
#      account's ledger in entry order shows no transfer ever overdrew.
#   4. Crash: the same load on a second, throwaway cluster (fsync on) whose
#      postmaster and backends get SIGKILL once the load has committed
#      movements; after crash recovery the same books must hold, and hold
#      again after one more transfer.
# The server logs must show no deadlock; a log that cannot be read fails.
#
# Runs against the database in PGHOST/PGPORT/PGUSER/PGDATABASE (the extension
# installed, superuser); the server there is shared and is only read from.
# Environment: CREDITS_LOAD_SECONDS (default 20), CREDITS_HOT_SECONDS (6),
# CREDITS_OPEN_PAIRS (150, an even number), CREDITS_CRASH_AFTER (4, seconds of
# load before the crash).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tools/cluster.sh

LOAD_SECONDS=${CREDITS_LOAD_SECONDS:-20}
HOT_SECONDS=${CREDITS_HOT_SECONDS:-6}
OPEN_PAIRS=${CREDITS_OPEN_PAIRS:-150}
CRASH_AFTER=${CREDITS_CRASH_AFTER:-4}
CLIENT=regress_credits_client
PLAN=42
PGBENCH="$PGBIN/pgbench"
SHARED_DIR=${CLUSTER_DIR:-}
SHARED_LOG="$PGHOST/server.log"

work=$(mktemp -d "${TMPDIR:-/tmp}/credits_concurrency.XXXXXX")
chmod 755 "$work"
echo 0 >"$work/count"
bg_pids=()

cleanup() {
  local p
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
  psql -X -q -d "$PGDATABASE" -c "DROP OWNED BY $CLIENT" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $CLIENT" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# ---- TAP ------------------------------------------------------------------

tap() {  # tap 0|1 description [diagnostic...]
  local pass=$1 desc=$2 n
  shift 2
  n=$(($(cat "$work/count") + 1))
  echo "$n" >"$work/count"
  if [ "$pass" = 1 ]; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi
  if [ "$pass" != 1 ] && [ $# -gt 0 ]; then printf '%s\n' "$@" | sed 's/^/# /'; fi
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# Queries for the checks see the credits operators and aggregates of schema authz.
q() { PGOPTIONS="${PGOPTIONS:-} -c search_path=public,authz" psql -X -q -At -v ON_ERROR_STOP=1 "$@" 2>&1; }

# check description boolean-query [diagnostic-query]: one assertion from SQL.
check() {
  local desc=$1 sql=$2 dsql=${3:-} got
  got=$(q -c "$sql")
  if [ "$got" = t ]; then tap 1 "$desc"
  else tap 0 "$desc" "got: $got" ${dsql:+"$(q -c "$dsql")"}
  fi
}

echo "1..$PLAN"

# ---- set-up (committed) -------------------------------------------------------

# Eight workspaces: 1-6 carry the load, 7-8 the idempotency races; then pairs
# of workspaces without an account for the opening race. A trusted login
# role, mapped to the organization owner by a role setting (clients of
# pgbench have no per-connection start-up script), makes every call.
setup_sql() {
  cat <<SQL
CREATE ROLE $CLIENT LOGIN;
GRANT workspace_authz_trusted TO $CLIENT;
SELECT authz.create_user('credits_owner', 'credits-owner@example.com') AS owner \gset
SELECT authz.set_user(:'owner', false);
SELECT authz.create_org('credits-race', 'Credits under load') AS org \gset
CREATE SCHEMA regress_credits;
CREATE TABLE regress_credits.ws (n int PRIMARY KEY, id uuid NOT NULL UNIQUE);
-- Top-ups and metering are the platform's: the client, which acts for the
-- owner for everything else, sets the asserted user aside for these calls
-- (a trusted role acts for the platform only while it asserts no user).
CREATE FUNCTION regress_credits.add_credits(ws uuid, amount authz.credits, memo text DEFAULT NULL,
                                            key text DEFAULT NULL) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET workspace_authz.user_id = ''
    AS \$\$ SELECT authz.add_credits(ws, amount, memo, key) \$\$;
CREATE FUNCTION regress_credits.record_usage(ws uuid, cpu numeric, mem numeric, sto numeric DEFAULT 0,
                                             key text DEFAULT NULL) RETURNS authz.credits
    LANGUAGE sql SECURITY DEFINER SET workspace_authz.user_id = ''
    AS \$\$ SELECT authz.record_usage(ws, cpu, mem, sto, key) \$\$;
INSERT INTO regress_credits.ws
SELECT i, authz.create_workspace(:'org', 'ws' || i) FROM generate_series(1, 8 + 2 * $OPEN_PAIRS) i;
SELECT regress_credits.add_credits(id, '1000') FROM regress_credits.ws WHERE n <= 6 ORDER BY n;
SELECT regress_credits.add_credits(id, '100') FROM regress_credits.ws WHERE n = 7;
SELECT authz.set_user(NULL);
ALTER ROLE $CLIENT SET workspace_authz.user_id = :'owner';

-- Refused transfers, with the message the caller got.
CREATE TABLE regress_credits.refusals (at timestamptz NOT NULL DEFAULT clock_timestamp(), message text NOT NULL);

-- One transfer between workspaces a and b of micro credits; a refusal for lack
-- of funds is recorded and the client goes on; any other error propagates.
CREATE FUNCTION regress_credits.transfer(a int, b int, micro bigint) RETURNS bigint
    LANGUAGE plpgsql AS \$\$
DECLARE
    moved bigint;
    msg text;
BEGIN
    BEGIN
        moved := authz.transfer_credits((SELECT id FROM regress_credits.ws WHERE n = a),
                                        (SELECT id FROM regress_credits.ws WHERE n = b),
                                        micro * 0.000001);
    EXCEPTION WHEN check_violation THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        INSERT INTO regress_credits.refusals (message) VALUES (msg);
        RETURN NULL;
    END;
    RETURN moved;
END
\$\$;

-- Run a statement, answering its single value as text, or the error.
CREATE FUNCTION regress_credits.attempt(stmt text) RETURNS text
    LANGUAGE plpgsql AS \$\$
DECLARE
    r text;
BEGIN
    EXECUTE stmt INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
END
\$\$;

-- One call of the opening race: calls 8k to 8k + 7 work on workspaces
-- a = 9 + 2k and a + 1, which have no account yet: top-ups of each (which open
-- its account) and transfers both ways (which open any still missing, and are
-- refused while the source holds too little).
CREATE SEQUENCE regress_credits.opening_calls;
CREATE FUNCTION regress_credits.opening_call() RETURNS bigint
    LANGUAGE plpgsql AS \$\$
DECLARE
    c bigint := nextval('regress_credits.opening_calls') - 1;
    a int := 9 + 2 * (c / 8)::int;
BEGIN
    CASE c % 8
        WHEN 0, 6 THEN RETURN regress_credits.add_credits((SELECT id FROM regress_credits.ws WHERE n = a), '1');
        WHEN 2 THEN RETURN regress_credits.add_credits((SELECT id FROM regress_credits.ws WHERE n = a + 1), '1');
        WHEN 4, 7 THEN RETURN regress_credits.transfer(a + 1, a, 500000);
        ELSE RETURN regress_credits.transfer(a, a + 1, 500000);
    END CASE;
END
\$\$;

CREATE TABLE regress_credits.race_waiting (variant text PRIMARY KEY, waiting int NOT NULL);
CREATE TABLE regress_credits.race_results (variant text NOT NULL, session int NOT NULL, result text);

GRANT USAGE ON SCHEMA regress_credits TO $CLIENT;
GRANT SELECT ON regress_credits.ws TO $CLIENT;
GRANT INSERT ON regress_credits.refusals TO $CLIENT;
GRANT USAGE ON SEQUENCE regress_credits.opening_calls TO $CLIENT;
SQL
}

# pgbench scripts. Transfers: a random ordered pair of distinct workspaces,
# up to 800 credits (balances start at 1,000, so many are refused).
cat >"$work/transfer.sql" <<'EOF'
\set a random(1, 6)
\set b 1 + (:a + random(0, 4)) % 6
\set micro random(1, 800000000)
SELECT regress_credits.transfer(:a, :b, :micro);
EOF
# Usage: mostly small charges (up to about 0.04 credits), two in a hundred
# large ones (up to about 18) that can take a low balance below zero, some so
# small that the charge rounds to zero (no ledger entry) or to a few micro
# credits; and two calls in a hundred are top-ups of up to 20 credits, which
# roughly offset the charges on any machine, however fast.
cat >"$work/usage.sql" <<'EOF'
\set w random(1, 6)
\set k random(0, 99)
\set cpu random(0, 20000)
\set mem random(0, 60000)
\set sto random(0, 5000)
\set div CASE WHEN :k >= 96 THEN 200 ELSE 100000 END
\if :k >= 98
SELECT regress_credits.add_credits((SELECT id FROM regress_credits.ws WHERE n = :w), (:cpu + 1) * 0.001);
\else
SELECT regress_credits.record_usage((SELECT id FROM regress_credits.ws WHERE n = :w),
       CASE :k WHEN 0 THEN :cpu / 100000000000.0 WHEN 1 THEN :cpu / 1000000000.0 ELSE :cpu / :div::numeric END,
       CASE WHEN :k < 2 THEN 0 ELSE :mem / :div::numeric END,
       CASE WHEN :k < 2 THEN 0 ELSE :sto / :div::numeric END);
\endif
EOF
# Hot pair: workspace 1 to 2 or 2 to 1, up to 50 credits.
cat >"$work/hot.sql" <<'EOF'
\set d random(0, 1)
\set micro random(1, 50000000)
SELECT regress_credits.transfer(1 + :d, 2 - :d, :micro);
EOF
# Opening race: one call (see regress_credits.opening_call).
echo 'SELECT regress_credits.opening_call();' >"$work/open.sql"
chmod 644 "$work"/*.sql

# pgbench_ok label file rc: a run without aborted clients or unexpected errors.
pgbench_ok() {
  local file=$1 rc=$2
  [ "$rc" -eq 0 ] && ! grep -qiE 'aborted|error|fatal' "$file" \
    && grep -qE '^number of failed transactions: 0 ' "$file"
}
pgbench_tx() { sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$1"; }
pgbench_tps() { sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$1" | head -n 1; }

# ---- the books: the same checks on both clusters ----------------------------

Q_VERIFY="SELECT NOT EXISTS (SELECT FROM authz.verify_ledger())"
D_VERIFY="SELECT string_agg(format('%s balance %s ledger %s', workspace_id, balance, ledger_sum), '; ') FROM authz.verify_ledger()"

# Entries are the ledger's plus the usage charges still pending (booked while
# another transaction held the account, not folded yet).
ENTRIES="(SELECT e.movement_id, e.workspace_id, e.amount FROM authz.credit_ledger e
          UNION ALL SELECT p.movement_id, p.workspace_id, p.amount FROM authz.credit_pending p)"

Q_CONSERVED="SELECT (SELECT coalesce(sum(balance), '0') FROM authz.credit_accounts)
              + (SELECT coalesce(sum(amount), '0') FROM authz.credit_pending)
         = (SELECT coalesce(sum(amount) FILTER (WHERE kind = 'topup'), '0')
                 - coalesce(sum(amount) FILTER (WHERE kind = 'usage'), '0') FROM authz.credit_movements)
   AND (SELECT coalesce(sum(balance), '0') FROM authz.credit_accounts)
         = (SELECT coalesce(sum(amount), '0') FROM authz.credit_ledger)"
D_CONSERVED="SELECT format('balances %s, pending %s, top-ups %s, usage %s, ledger %s',
       (SELECT sum(balance) FROM authz.credit_accounts), (SELECT sum(amount) FROM authz.credit_pending),
       (SELECT sum(amount) FILTER (WHERE kind = 'topup') FROM authz.credit_movements),
       (SELECT sum(amount) FILTER (WHERE kind = 'usage') FROM authz.credit_movements),
       (SELECT sum(amount) FROM authz.credit_ledger))"

Q_COUNT="SELECT (SELECT count(*) FROM $ENTRIES x)
       = (SELECT 2 * count(*) FILTER (WHERE kind = 'transfer') + count(*) FILTER (WHERE kind = 'topup')
                 + count(*) FILTER (WHERE kind = 'usage' AND amount <> '0') FROM authz.credit_movements)"
D_COUNT="SELECT format('entries %s (pending %s), transfers %s, top-ups %s, non-zero usage %s, zero usage %s',
       (SELECT count(*) FROM $ENTRIES x), (SELECT count(*) FROM authz.credit_pending),
       count(*) FILTER (WHERE kind = 'transfer'),
       count(*) FILTER (WHERE kind = 'topup'), count(*) FILTER (WHERE kind = 'usage' AND amount <> '0'),
       count(*) FILTER (WHERE kind = 'usage' AND amount = '0')) FROM authz.credit_movements"

# Each movement has exactly its entries: a transfer -amount on the source and
# +amount on the destination, a top-up +amount, a usage charge -charge (none
# when it is zero). One pass: the entries joined to their movement by id (a
# hash join: the ledger has no index on movement_id), counted per movement.
BAD_SHAPE="FROM (SELECT m.id, m.kind, m.amount, count(e.movement_id) AS n,
                   count(*) FILTER (WHERE e.workspace_id = m.from_workspace AND e.amount = -m.amount) AS debit,
                   count(*) FILTER (WHERE e.workspace_id = m.to_workspace AND e.amount = m.amount) AS credit
              FROM authz.credit_movements m LEFT JOIN $ENTRIES e ON e.movement_id = m.id
             GROUP BY m.id) s
 WHERE NOT CASE s.kind
        WHEN 'transfer' THEN s.n = 2 AND s.debit = 1 AND s.credit = 1
        WHEN 'topup' THEN s.n = 1 AND s.credit = 1
        WHEN 'usage' THEN CASE WHEN s.amount = '0' THEN s.n = 0 ELSE s.n = 1 AND s.debit = 1 END
        ELSE false END"
Q_SHAPE="SELECT count(*) = 0 $BAD_SHAPE"
D_SHAPE="SELECT string_agg(format('movement %s (%s %s): %s entries', s.id, s.kind, s.amount, s.n), '; ') $BAD_SHAPE"

# Replaying each account's entries in entry order (the order the account lock
# imposed: pending charges enter the ledger only when folded under it), the
# balance right after every transfer debit is still >= 0.
OVERDRAWN="FROM (SELECT e.movement_id, e.workspace_id, e.amount,
              sum(e.amount) OVER (PARTITION BY e.workspace_id ORDER BY e.id) AS after
         FROM authz.credit_ledger e) r
  JOIN authz.credit_movements m ON m.id = r.movement_id
 WHERE m.kind = 'transfer' AND r.amount < '0' AND r.after < '0'"
Q_OVERDRAW="SELECT count(*) = 0 $OVERDRAWN"
D_OVERDRAW="SELECT string_agg(format('movement %s left %s at %s', r.movement_id, r.workspace_id, r.after), '; ') $OVERDRAWN"

Q_NEG_USAGE="SELECT count(*) = 0 FROM authz.credit_accounts a
 WHERE a.balance < '0' AND NOT EXISTS (SELECT FROM authz.credit_movements m
                                       WHERE m.kind = 'usage' AND m.from_workspace = a.workspace_id AND m.amount > '0')"

books() {  # books label
  local label=$1
  check "$label: authz.verify_ledger() returns no rows (every balance equals its ledger)" "$Q_VERIFY" "$D_VERIFY"
  check "$label: total of balances = top-ups - usage charges = sum of the ledger, exactly" "$Q_CONSERVED" "$D_CONSERVED"
  check "$label: ledger entries = 2 x transfers + top-ups + non-zero usage charges" "$Q_COUNT" "$D_COUNT"
  check "$label: every movement has exactly its entries (a transfer: -amount on the source, +amount on the destination)" \
    "$Q_SHAPE" "$D_SHAPE"
  check "$label: replaying each account in entry order, no transfer ever took a balance below zero" \
    "$Q_OVERDRAW" "$D_OVERDRAW"
}

# ---- 1. load on the shared cluster -----------------------------------------------

log_offset=$(stat -c %s "$SHARED_LOG" 2>/dev/null)
read_log() {  # read_log file offset: what the server wrote after offset; fails when it cannot
  local f=$1 off=$2
  [ -n "$off" ] || return 1
  if [ -r "$f" ]; then tail -c +"$((off + 1))" "$f"; else as_postgres tail -c +"$((off + 1))" "$f"; fi
}
deadlocks_in_log() {  # deadlocks_in_log file offset: how many, or "unreadable"
  local text
  if text=$(read_log "$1" "$2"); then grep -c 'deadlock detected' <<<"$text"; else echo unreadable; fi
}

if out=$(setup_sql | psql -X -q -v ON_ERROR_STOP=1 2>&1 >/dev/null); then
  setup_ok=1
else
  setup_ok=0
fi
tap "$setup_ok" "set-up: an organization with $((8 + 2 * OPEN_PAIRS)) workspaces (7 funded) and a trusted client role mapped to its owner" "$out"
if [ "$setup_ok" != 1 ]; then exit 1; fi

diag "load: ${LOAD_SECONDS}s, 12 transfer clients and 4 usage clients"
"$PGBENCH" -n -T "$LOAD_SECONDS" -c 12 -j 2 -U "$CLIENT" -f "$work/transfer.sql" "$PGDATABASE" >"$work/load_transfer.out" 2>&1 &
p1=$!
"$PGBENCH" -n -T "$LOAD_SECONDS" -c 4 -j 1 -U "$CLIENT" -f "$work/usage.sql" "$PGDATABASE" >"$work/load_usage.out" 2>&1 &
p2=$!
bg_pids=("$p1" "$p2")
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
bg_pids=()
tx_transfer=$(pgbench_tx "$work/load_transfer.out")
tx_usage=$(pgbench_tx "$work/load_usage.out")
pgbench_ok "$work/load_transfer.out" "$rc1"; ok=$(( $? == 0 ))
tap "$ok" "transfer load: every pgbench client ran to the end, no error besides the caught refusals" \
  "$(grep -iE 'aborted|error|fatal|failed' "$work/load_transfer.out" | head -n 5)"
pgbench_ok "$work/load_usage.out" "$rc2"; ok=$(( $? == 0 ))
tap "$ok" "usage load: every pgbench client ran to the end without an error" \
  "$(grep -iE 'aborted|error|fatal|failed' "$work/load_usage.out" | head -n 5)"
diag "transfer attempts ${tx_transfer:-?} ($(pgbench_tps "$work/load_transfer.out") tps), usage and top-up calls ${tx_usage:-?} ($(pgbench_tps "$work/load_usage.out") tps)"

diag "hot pair: ${HOT_SECONDS}s, 16 clients moving credits between workspaces 1 and 2 both ways"
"$PGBENCH" -n -T "$HOT_SECONDS" -c 16 -j 2 -U "$CLIENT" -f "$work/hot.sql" "$PGDATABASE" >"$work/hot.out" 2>&1
rc3=$?
tx_hot=$(pgbench_tx "$work/hot.out")
pgbench_ok "$work/hot.out" "$rc3"; ok=$(( $? == 0 ))
tap "$ok" "hot pair: opposite transfers from 16 clients, no client aborted (no deadlock, no error)" \
  "$(grep -iE 'aborted|error|fatal|failed' "$work/hot.out" | head -n 5)"
diag "hot-pair attempts ${tx_hot:-?} ($(pgbench_tps "$work/hot.out") tps)"

stats=$(q -F ' ' -c "SELECT count(*) FILTER (WHERE kind = 'transfer' AND idempotency_key IS NULL),
                           count(*) FILTER (WHERE kind IN ('usage', 'topup') AND login_role = '$CLIENT'),
                           (SELECT count(*) FROM regress_credits.refusals)
                      FROM authz.credit_movements")
read -r moved used refused <<<"$stats"
diag "transfers made $moved, refused $refused, usage charges and top-ups $used"
diag "balances: $(q -c "SELECT string_agg(format('ws%s %s', w.n, a.balance), ', ' ORDER BY w.n)
                         FROM regress_credits.ws w JOIN authz.credit_accounts a ON a.workspace_id = w.id WHERE w.n <= 6")"
tap "$(( ${moved:-0} > 0 && ${refused:-0} > 0 && ${used:-0} > 0 ))" \
  "the load both moved credits and was refused for lack of funds, and charged usage"
tap "$(( ${moved:-0} + ${refused:-0} == ${tx_transfer:-0} + ${tx_hot:-0} ))" \
  "each transfer attempt either made one movement or was refused (movements + refusals = attempts)" \
  "movements $moved + refusals $refused <> attempts ${tx_transfer:-?} + ${tx_hot:-?}"
tap "$(( ${used:-0} == ${tx_usage:-0} ))" "each usage or top-up call made exactly one movement" "movements $used, calls ${tx_usage:-?}"
check "every refusal says 'insufficient credits in workspace \"org/name\": balance X, transfer Y' with X < Y" \
  "SELECT count(*) = 0 FROM regress_credits.refusals r
    WHERE r.message !~ '^insufficient credits in workspace \"credits-race/ws[1-6]\": balance -?[0-9.]+, transfer [0-9.]+$'
       OR substring(r.message FROM 'balance (-?[0-9.]+),')::numeric >= substring(r.message FROM 'transfer ([0-9.]+)$')::numeric" \
  "SELECT string_agg(DISTINCT message, ' | ') FROM (SELECT message FROM regress_credits.refusals
    WHERE message !~ '^insufficient credits in workspace \"credits-race/ws[1-6]\": balance' LIMIT 5) x"

# 16 clients take consecutive calls of the opening race, so several sessions
# open each pair's accounts at once, in both directions.
diag "opening accounts: $OPEN_PAIRS pairs of workspaces without an account, 16 clients"
"$PGBENCH" -n -t $((OPEN_PAIRS / 2)) -c 16 -j 2 -U "$CLIENT" -f "$work/open.sql" "$PGDATABASE" >"$work/open.out" 2>&1
rc4=$?
pgbench_ok "$work/open.out" "$rc4"; ok=$(( $? == 0 ))
tap "$ok" "opening accounts: top-ups and transfers both ways between workspaces without an account, no client aborted (no deadlock, no error)" \
  "$(grep -iE 'aborted|error|fatal|failed' "$work/open.out" | head -n 5)"
check "opening accounts: every one of those workspaces got its account, and transfers between them were made" \
  "SELECT (SELECT count(*) FROM authz.credit_accounts a JOIN regress_credits.ws w ON w.id = a.workspace_id WHERE w.n > 8)
            = 2 * $OPEN_PAIRS
      AND EXISTS (SELECT FROM authz.credit_movements m JOIN regress_credits.ws w ON w.id = m.from_workspace
                   WHERE w.n > 8 AND m.kind = 'transfer')" \
  "SELECT format('%s accounts, %s transfers', count(DISTINCT a.workspace_id), (SELECT count(*) FROM authz.credit_movements m
            JOIN regress_credits.ws x ON x.id = m.from_workspace WHERE x.n > 8 AND m.kind = 'transfer'))
     FROM authz.credit_accounts a JOIN regress_credits.ws w ON w.id = a.workspace_id WHERE w.n > 8"

# ---- 2. idempotency races ------------------------------------------------------

# race variant statement: eight client sessions run the statement at once. The
# account rows of workspaces 7 and 8 are locked first, so every session gets
# past the key look-up and waits on the lock; the lock is then released. Usage
# charges never wait for an account: their statement first waits on an
# advisory lock the race holds too, so that all eight reach the key at once.
race() {
  local variant=$1 stmt=$2
  psql -X -q -v ON_ERROR_STOP=1 -v variant="$variant" -v stmt="SELECT regress_credits.attempt(\$r\$$stmt\$r\$)" \
       -v client="$CLIENT" >/dev/null 2>"$work/race.err" <<'SQL'
SELECT format('dbname=%s user=%s host=%s port=%s', current_database(), :'client',
              current_setting('unix_socket_directories'), current_setting('port')) AS connstr \gset
SELECT dblink_connect('race' || i, :'connstr') FROM generate_series(1, 8) i;
BEGIN;
SELECT pg_advisory_xact_lock(4242);
SELECT a.workspace_id FROM authz.credit_accounts a JOIN regress_credits.ws w ON w.id = a.workspace_id
 WHERE w.n IN (7, 8) ORDER BY a.workspace_id FOR UPDATE OF a;
SELECT dblink_send_query('race' || i, :'stmt') FROM generate_series(1, 8) i;
DO $$
BEGIN
    FOR i IN 1 .. 200 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXIT WHEN (SELECT count(*) FROM pg_stat_activity
                    WHERE usename = 'regress_credits_client' AND wait_event_type = 'Lock') >= 8;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;
SELECT pg_stat_clear_snapshot();
INSERT INTO regress_credits.race_waiting
SELECT :'variant', count(*) FROM pg_stat_activity WHERE usename = 'regress_credits_client' AND wait_event_type = 'Lock';
COMMIT;
INSERT INTO regress_credits.race_results
SELECT :'variant', i, r FROM generate_series(1, 8) i, dblink_get_result('race' || i) AS t(r text);
SELECT dblink_disconnect('race' || i) FROM generate_series(1, 8) i;
SQL
  local rc=$?
  local got
  got=$(q -c "SELECT (SELECT waiting FROM regress_credits.race_waiting WHERE variant = '$variant') = 8
                 AND count(*) = 8 AND count(DISTINCT result) = 1 AND bool_and(result !~ '^ERROR')
                FROM regress_credits.race_results WHERE variant = '$variant'")
  if [ "$rc" -eq 0 ] && [ "$got" = t ]; then echo ok; else
    echo "psql rc $rc $(head -c 300 "$work/race.err")"
    q -c "SELECT 'waiting ' || waiting FROM regress_credits.race_waiting WHERE variant = '$variant'"
    q -c "SELECT session || ': ' || result FROM regress_credits.race_results WHERE variant = '$variant' ORDER BY session"
  fi
}

ws_sql() { echo "(SELECT id FROM regress_credits.ws WHERE n = $1)"; }

res=$(race transfer-small "SELECT authz.transfer_credits($(ws_sql 7), $(ws_sql 8), '10', NULL, 'race-transfer-small')")
tap "$([ "$res" = ok ] && echo 1 || echo 0)" \
  "8 sessions racing transfer_credits with one key and the same arguments all return the same movement id" "$res"
check "...and exactly one movement was made with that key" \
  "SELECT count(*) = 1 AND bool_and(m.id::text = r.result)
     FROM authz.credit_movements m, (SELECT DISTINCT result FROM regress_credits.race_results WHERE variant = 'transfer-small') r
    WHERE m.idempotency_key = 'race-transfer-small'" \
  "SELECT string_agg(id::text, ',') FROM authz.credit_movements WHERE idempotency_key = 'race-transfer-small'"

# 60 of the 90 left: once the first call has moved them, the balance no longer
# covers the amount, yet the others are retries and must answer the same id.
res=$(race transfer-large "SELECT authz.transfer_credits($(ws_sql 7), $(ws_sql 8), '60', NULL, 'race-transfer-large')")
tap "$([ "$res" = ok ] && echo 1 || echo 0)" \
  "8 sessions racing a keyed transfer of more than half the balance all return the first movement id (a retry, not a refusal)" "$res"
check "...and exactly one movement was made with that key" \
  "SELECT count(*) = 1 FROM authz.credit_movements WHERE idempotency_key = 'race-transfer-large'"

res=$(race usage "SELECT regress_credits.record_usage($(ws_sql 7), 2.5, 4, 0, 'race-usage') FROM (SELECT pg_advisory_xact_lock_shared(4242)) g")
tap "$([ "$res" = ok ] && echo 1 || echo 0)" \
  "8 sessions racing record_usage with one key all return the same charge" "$res"
check "...and exactly one usage movement of 0.35 was made with that key" \
  "SELECT count(*) = 1 AND bool_and(amount = '0.35') FROM authz.credit_movements WHERE idempotency_key = 'race-usage'"

res=$(race topup "SELECT regress_credits.add_credits($(ws_sql 8), '50', NULL, 'race-topup')")
tap "$([ "$res" = ok ] && echo 1 || echo 0)" \
  "8 sessions racing add_credits with one key all return the same movement id" "$res"
check "...and exactly one top-up was made with that key" \
  "SELECT count(*) = 1 FROM authz.credit_movements WHERE idempotency_key = 'race-topup'"

check "balances of the raced workspaces show each keyed call applied once (100 - 10 - 60 - 0.35 and 10 + 60 + 50)" \
  "SELECT authz.balance($(ws_sql 7)) = '29.65' AND authz.balance($(ws_sql 8)) = '120'" \
  "SELECT format('ws7 %s, ws8 %s', authz.balance($(ws_sql 7)), authz.balance($(ws_sql 8)))"

# ---- 3. the books on the shared cluster ---------------------------------------------

diag "usage entries that took a balance below zero: $(q -c "SELECT count(*) FROM (SELECT e.movement_id, e.amount,
        sum(e.amount) OVER (PARTITION BY e.workspace_id ORDER BY e.id) AS after FROM authz.credit_ledger e) r
  WHERE r.after < '0' AND r.amount < '0' AND r.after - r.amount >= '0'")"
books "after the load"
check "a negative balance only ever comes with usage charges on that account" "$Q_NEG_USAGE"

deadlocks=$(deadlocks_in_log "$SHARED_LOG" "$log_offset")
tap "$([ "$deadlocks" = 0 ] && echo 1 || echo 0)" "the server log records no deadlock during these runs" \
  "deadlocks: $deadlocks (log $SHARED_LOG from byte ${log_offset:-?})"

# ---- 4. crash: SIGKILL under load on a throwaway cluster ------------------------------

# The whole crash test runs in a subshell with its own cluster variables, so
# nothing in it can touch the shared cluster. It prints its own TAP lines.
(
  unset CLUSTER_DIR CLUSTER_PORT CLUSTER_PID
  crash_started=0
  stop_crash_cluster() {
    if [ -n "${CLUSTER_DIR:-}" ] && [ "$CLUSTER_DIR" != "$SHARED_DIR" ]; then cluster_stop; fi
  }
  trap stop_crash_cluster EXIT
  if cluster_start fsync=on max_connections=50 >"$work/crash_start.out" 2>&1 \
     && [ "$(q -d postgres -c 'SHOW fsync')" = on ] \
     && q -d postgres -c "CREATE DATABASE crash" >/dev/null \
     && q -d crash -c "CREATE EXTENSION workspace_authz" >/dev/null \
     && setup_sql | psql -X -q -v ON_ERROR_STOP=1 -d crash >/dev/null 2>>"$work/crash_start.out"; then
    crash_started=1
  fi
  tap "$crash_started" "crash test: a second cluster (fsync on) with the extension and the same set-up" \
    "$(tail -n 5 "$work/crash_start.out")"
  [ "$crash_started" = 1 ] || exit 1
  export PGDATABASE=crash
  crash_log="$CLUSTER_DIR/server.log"
  setup_count=$(q -c "SELECT count(*) FROM authz.credit_movements")

  "$PGBENCH" -n -T 60 -c 6 -j 2 -U "$CLIENT" -f "$work/transfer.sql" crash >"$work/crash_transfer.out" 2>&1 &
  c1=$!
  "$PGBENCH" -n -T 60 -c 2 -j 1 -U "$CLIENT" -f "$work/usage.sql" crash >"$work/crash_usage.out" 2>&1 &
  c2=$!
  sleep "$CRASH_AFTER"
  before=$(q -F ' ' -c "SELECT count(*), coalesce(max(id), 0) FROM authz.credit_movements")
  read -r before_count before_max <<<"$before"

  # Freeze the postmaster so it forks nothing more, then SIGKILL it and every
  # child of it: this cluster's processes only. They belong to the postgres OS
  # user: signal them directly when we may, else as root.
  signal() {
    local sig=$1
    shift
    kill -"$sig" "$@" 2>/dev/null || tools/sudo.sh kill -"$sig" "$@" 2>/dev/null
  }
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
  # The load really ran: movements were committed beyond those of the set-up.
  load_ran=0
  if [[ $setup_count =~ ^[0-9]+$ && $before_count =~ ^[0-9]+$ ]] && [ "$before_count" -gt "$setup_count" ]; then
    load_ran=1
  fi
  tap "$(( killed == 1 && load_ran == 1 ))" \
    "SIGKILL to the postmaster and its $(wc -w <<<"${children:-}") children while the load ran ($setup_count movements after set-up, $before_count committed)" \
    "postmaster $pm, children: ${children:-none}; movements after set-up: $setup_count, before the kill: $before"

  restarted=0
  if cluster_restart >"$work/crash_restart.out" 2>&1 && [ "$(q -c 'SELECT 1')" = 1 ] \
     && read_log "$crash_log" 0 | grep -q 'automatic recovery in progress'; then
    restarted=1
  fi
  tap "$restarted" "the cluster restarts after the crash and completes crash recovery" \
    "$(tail -n 5 "$work/crash_restart.out")" "$(read_log "$crash_log" 0 | tail -n 8)"
  [ "$restarted" = 1 ] || exit 1

  check "crash: the ${before_count:-0} movements committed before the crash are all there after recovery" \
    "SELECT count(*) >= ${before_count:-0} FROM authz.credit_movements WHERE id <= ${before_max:-0}"
  diag "crash: $(q -c "SELECT format('%s movements (%s transfers, %s usage), %s refusals, %s entries after recovery',
                     count(*), count(*) FILTER (WHERE kind = 'transfer'), count(*) FILTER (WHERE kind = 'usage'),
                     (SELECT count(*) FROM regress_credits.refusals), (SELECT count(*) FROM authz.credit_ledger))
                     FROM authz.credit_movements")"
  books "crash"

  # The recovered cluster takes new work: half a credit from the richest of
  # workspaces 1-6 to another, then the same books.
  moved=$(q -U "$CLIENT" -c "SELECT authz.transfer_credits(r.id, (SELECT id FROM regress_credits.ws WHERE n = r.n % 6 + 1), '0.5')
                               FROM (SELECT w.n, w.id FROM regress_credits.ws w
                                       JOIN authz.credit_accounts a ON a.workspace_id = w.id
                                      WHERE w.n <= 6 ORDER BY a.balance DESC LIMIT 1) r")
  if [[ $moved =~ ^[0-9]+$ ]]; then
    check "crash: after recovery a transfer is made (movement $moved), with its two entries" \
      "SELECT count(*) = 2 FROM authz.credit_ledger WHERE movement_id = $moved"
  else
    tap 0 "crash: after recovery a transfer is made, with its two entries" "transfer said: $moved"
  fi
  books "crash, after one more transfer"
  crash_deadlocks=$(deadlocks_in_log "$crash_log" 0)
  tap "$([ "$crash_deadlocks" = 0 ] && echo 1 || echo 0)" "crash: the second cluster's log records no deadlock" \
    "deadlocks: $crash_deadlocks (log $crash_log)"
)

n=$(cat "$work/count")
while [ "$n" -lt "$PLAN" ]; do
  n=$((n + 1))
  echo "not ok $n - not run: an earlier step failed"
done
echo "$n" >"$work/count"
