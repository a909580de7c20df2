#!/usr/bin/env bash
# workspace_authz on a Citus cluster (README, Scaling out with Citus), as TAP.
# Starts its own cluster (tools/citus-cluster.sh: a coordinator and two
# workers), distributes the extension, protects a table distributed by its
# workspace column, and checks through the coordinator and on the workers:
# what each user reads and may write, router and multi-shard; that the asserted
# user reaches the workers and cannot be forged there; that a revoke reaches
# every node's caches by the next transaction; and the books after concurrent
# credit transfers. Skipped (every test) when the PostgreSQL under test has no
# Citus.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
source tools/citus-cluster.sh

PLAN=41
if ! citus_available; then
  echo "1..$PLAN"
  for i in $(seq 1 $PLAN); do echo "ok $i # skip Citus is not installed in this PostgreSQL"; done
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/citus_test.XXXXXX")
echo 0 >"$work/count"
cleanup() { citus_cluster_stop; rm -rf "$work"; }
trap cleanup EXIT

tap() {  # tap 0|1 description [diagnostic...]
  local pass=$1 desc=$2 n
  shift 2
  n=$(($(cat "$work/count") + 1))
  echo "$n" >"$work/count"
  if [ "$pass" = 1 ]; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi
  if [ "$pass" != 1 ] && [ $# -gt 0 ]; then printf '%s\n' "$@" | sed 's/^/# /'; fi
}
# On a node (c = coordinator, w1, w2), as a role: psql -At, errors to stdout.
on() {
  local node=$1 role=$2 port
  shift 2
  case $node in c) port=$CITUS_COORDINATOR_PORT ;; w1) port=$CITUS_WORKER1_PORT ;; w2) port=$CITUS_WORKER2_PORT ;; esac
  psql -X -q -At -v ON_ERROR_STOP=1 -p "$port" -U "$role" "$@" 2>&1
}
# is DESCRIPTION EXPECTED NODE ROLE SQL: the last line of the output.
is() {
  local desc=$1 want=$2 got
  shift 2
  got=$(on "$@" | tail -n 1)
  if [ "$got" = "$want" ]; then tap 1 "$desc"; else tap 0 "$desc" "expected: $want" "got: $got"; fi
}
# fails DESCRIPTION SQLSTATE NODE ROLE SQL
fails() {
  local desc=$1 state=$2 got
  shift 2
  got=$(on "$@" -v VERBOSITY=verbose | grep -m1 -oE 'ERROR: +[0-9A-Z]{5}')
  if [ "$got" = "ERROR:  $state" ]; then tap 1 "$desc"; else tap 0 "$desc" "expected: $state" "got: ${got:-no error}"; fi
}

echo "1..$PLAN"
if ! citus_cluster_start >"$work/start.log" 2>&1; then
  cat "$work/start.log" | sed 's/^/# /'
  exit 1
fi
nodes=$(on c postgres -c "SELECT count(*) FROM pg_dist_node WHERE isactive")
tap "$([ "$nodes" = 3 ] && echo 1 || echo 0)" "the coordinator and two workers are in the cluster" "got: $nodes"
ext=$(for n in c w1 w2; do on $n postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'workspace_authz'"; done | sort -u | tr '\n' ' ')
tap "$([ "$ext" = "0.2.0 " ] && echo 1 || echo 0)" "workspace_authz is installed on every node" "got: $ext"

# ---- the model distributed ------------------------------------------------
fails "authz.distribute() is refused on a worker" 55000 w1 postgres -c "SELECT authz.distribute()"
on c postgres -c "CREATE ROLE regress_app LOGIN; GRANT workspace_authz_trusted TO regress_app;
                  CREATE ROLE regress_mallory LOGIN" >/dev/null
fails "authz.distribute() is the extension owner's" 42501 c regress_app -c "SELECT authz.distribute()"
is "authz.distribute() makes every table of the extension a reference table" 21 c postgres \
  -c "SELECT authz.distribute()" -c "SELECT authz.distribute()" \
  -c "SELECT count(*) FROM pg_dist_partition WHERE partmethod = 'n' AND repmodel = 't'
        AND logicalrelid::regclass::text ~ '^authz(_internal)?\.'"

on c postgres >"$work/setup.log" <<'SQL'
SELECT authz.create_user('alice', 'alice@example.com') AS alice \gset
SELECT authz.create_user('bob', 'bob@example.com') AS bob \gset
SELECT authz.create_user('carol', 'carol@example.com') AS carol \gset
BEGIN;
SELECT authz.set_user(:'alice');
SELECT authz.create_org('acme') AS org \gset
SELECT authz.create_workspace(:'org', 'w1') AS ws1 \gset
SELECT authz.create_workspace(:'org', 'w2') AS ws2 \gset
SELECT authz.create_workspace(:'org', 'w3') AS ws3 \gset
-- bob shares no organization with alice: the platform adds him
SELECT authz.set_user(NULL);
SELECT authz.add_member(:'ws1', :'bob', 'viewer');
SELECT authz.add_member(:'ws2', :'bob', 'member');
COMMIT;
CREATE TABLE items (id bigserial, workspace_id uuid NOT NULL, body text, PRIMARY KEY (workspace_id, id));
SELECT create_distributed_table('items', 'workspace_id');
SELECT authz.protect('items');
INSERT INTO items (workspace_id, body)
SELECT w, 'row ' || g FROM unnest(ARRAY[:'ws1', :'ws2', :'ws3']::uuid[]) w, generate_series(1, 40) g;
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO regress_app, regress_mallory;
GRANT USAGE ON SEQUENCE items_id_seq TO regress_app, regress_mallory;
SQL
getid() { on c postgres -c "SELECT id FROM authz.$1 WHERE $2"; }
alice=$(getid users "handle = 'alice'"); bob=$(getid users "handle = 'bob'"); carol=$(getid users "handle = 'carol'")
ws1=$(getid workspaces "name = 'w1'"); ws2=$(getid workspaces "name = 'w2'"); ws3=$(getid workspaces "name = 'w3'")
tap "$([ -n "$ws3" ] && echo 1 || echo 0)" "model changes through the coordinator's functions" "$(tail -n 5 "$work/setup.log")"
is "the audit log names the tables, once per change" "participants.insert|5" c postgres \
  -c "SELECT action, count(*) FROM authz.audit_log WHERE action = 'participants.insert' GROUP BY 1"

# ---- the resolver on the workers ------------------------------------------
for n in w1 w2; do
  is "$n answers from its copy of the model" "t|f|f" $n postgres \
    -c "BEGIN" -c "SELECT authz.set_user('$bob')" \
    -c "SELECT authz.can('$ws1', 'content.read'), authz.can('$ws1', 'content.update'), authz.can('$ws3', 'content.read')"
done
shards=$(for n in w1 w2; do on $n postgres -c "SET citus.override_table_visibility = off" -c "SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
  WHERE c.relname ~ '^items_[0-9]+$' AND p.polname LIKE 'authz_%'"; done | awk "{s+=\$1} END {print s}")
total=$(on c postgres -c "SELECT 4 * count(*) FROM pg_dist_shard WHERE logicalrelid = 'items'::regclass")
tap "$([ "$shards" = "$total" ] && [ "$total" -gt 0 ] && echo 1 || echo 0)" "authz.protect puts the four policies on every shard" "got $shards of $total"

# ---- reads and writes through the coordinator -------------------------------
as_user() {  # as_user USER SQL...: one transaction of regress_app on the coordinator
  local u=$1
  shift
  on c regress_app -c "BEGIN" -c "SELECT authz.set_user('$u')" "$@" -c "COMMIT"
}
is "alice reads every row (multi-shard)" 120 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$alice')" -c "SELECT count(*) FROM items"
is "bob reads the rows of w1 and w2 (multi-shard)" 80 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" -c "SELECT count(*) FROM items"
is "carol reads nothing (multi-shard)" 0 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$carol')" -c "SELECT count(*) FROM items"
is "bob reads w1 (router)" 40 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" -c "SELECT count(*) FROM items WHERE workspace_id = '$ws1'"
is "bob reads nothing of w3 (router)" 0 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" -c "SELECT count(*) FROM items WHERE workspace_id = '$ws3'"
is "set_user(NULL) clears the user on the workers too" 0 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" \
  -c "SELECT count(*) FROM items" -c "SELECT authz.set_user(NULL)" -c "SELECT count(*) FROM items"
got=$(on c regress_app <<SQL | paste -sd' '
BEGIN;
SELECT authz.set_user('$bob');
SELECT count(*) FROM items WHERE workspace_id = '$ws3';
SELECT authz.set_user('$alice');
SELECT count(*) FROM items WHERE workspace_id = '$ws3';
SELECT authz.set_user('$bob');
SELECT count(*) FROM items;
COMMIT;
SQL
)
tap "$([ "$got" = " 0  40  80" ] && echo 1 || echo 0)" "one transaction switches users, on the workers too" "got: $got"
fails "bob (viewer) cannot insert into w1" 42501 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" \
  -c "INSERT INTO items (workspace_id, body) VALUES ('$ws1', 'no')"
is "bob (member) inserts into w2" 41 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" \
  -c "INSERT INTO items (workspace_id, body) VALUES ('$ws2', 'yes')" -c "COMMIT" -c "BEGIN" \
  -c "SELECT authz.set_user('$alice')" -c "SELECT count(*) FROM items WHERE workspace_id = '$ws2'"
is "bob's multi-shard update changes only the rows he may update" 41 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" \
  -c "UPDATE items SET body = body || '!'" -c "COMMIT" -c "BEGIN" \
  -c "SELECT authz.set_user('$alice')" -c "SELECT count(*) FROM items WHERE body LIKE '%!'"
is "bob's multi-shard delete removes nothing he may not delete" 121 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" \
  -c "DELETE FROM items WHERE workspace_id <> '$ws2'" -c "COMMIT" -c "BEGIN" -c "SELECT authz.set_user('$alice')" -c "SELECT count(*) FROM items"

# ---- identity on the workers --------------------------------------------------
is "without an asserted user the workers show nothing" 0 c regress_app -c "SELECT count(*) FROM items"
token=$(on c regress_app -c "BEGIN" -c "SELECT authz.set_user('$alice')" -c "SELECT current_setting('workspace_authz.user_token')" | tail -n 1)
fails "a token made for another role is refused (replayed through the coordinator)" 42501 c regress_mallory \
  -c "BEGIN" -c "SET LOCAL workspace_authz.user_token = '$token'" -c "SELECT count(*) FROM items"
fails "a token made for another role is refused on a worker" 42501 w1 regress_mallory \
  -c "SET workspace_authz.user_token = '$token'" -c "SELECT authz.current_user_id()"
forged="$alice:$(printf '0%.0s' $(seq 1 64))"
fails "a forged token is refused on a worker" 42501 w2 regress_app \
  -c "SET workspace_authz.user_token = '$forged'" -c "SELECT authz.current_user_id()"
is "workspace_authz.user_id set by the application role on a worker asserts nobody" "" w1 regress_app \
  -c "SET workspace_authz.user_id = '$alice'" -c "SELECT authz.current_user_id()"
fails "nor can it call authz.set_user as an untrusted role" 42501 c regress_mallory -c "BEGIN" -c "SELECT authz.set_user('$alice')"

# ---- identities the workers would not see ---------------------------------
# Only set_user(u) inside a transaction reaches the workers: a statement on a
# distributed table is refused (0A000) for an identity that would stay on the
# coordinator, rather than answered on the workers for nobody.
fails "a session-level user is refused on a distributed table (multi-shard)" 0A000 c regress_app \
  -c "SELECT authz.set_user('$bob', false)" -c "SELECT count(*) FROM items"
fails "a session-level user is refused on a distributed table (router write)" 0A000 c regress_app \
  -c "SELECT authz.set_user('$bob', false)" -c "INSERT INTO items (workspace_id, body) VALUES ('$ws2', 'no')"
fails "inside a transaction too, with no user asserted in it" 0A000 c regress_app \
  -c "SELECT authz.set_user('$bob', false)" -c "BEGIN" -c "SELECT count(*) FROM items WHERE workspace_id = '$ws1'"
fails "a session-level user replacing the transaction's user is refused (the token names the other)" 0A000 c regress_app \
  -c "BEGIN" -c "SELECT authz.set_user('$alice')" -c "SELECT authz.set_user('$bob', false)" -c "SELECT count(*) FROM items"
seen=$(on c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" -c "SELECT count(*) FROM authz.workspaces" | tail -n 1)
is "with a session-level user, the model (reference tables) is read from the coordinator's copy" "$seen" c regress_app \
  -c "SELECT authz.set_user('$bob', false)" -c "SELECT count(*) FROM authz.workspaces"
is "with a session-level user, set_user inside the transaction reaches the workers" 81 c regress_app \
  -c "SELECT authz.set_user('$alice', false)" -c "BEGIN" -c "SELECT authz.set_user('$bob')" -c "SELECT count(*) FROM items"
is "clearing the session-level user reads as nobody again" 0 c regress_app \
  -c "SELECT authz.set_user('$bob', false)" -c "SELECT authz.set_user(NULL)" -c "SELECT count(*) FROM items"
on c postgres -c "ALTER ROLE regress_mallory SET workspace_authz.jwt_claim = 'sub'" >/dev/null
fails "JWT claims naming a user are refused on a distributed table" 0A000 c regress_mallory \
  -c "BEGIN" -c "SELECT set_config('request.jwt.claims', '{\"sub\": \"$bob\"}', true)" -c "SELECT count(*) FROM items"
on c postgres -c "ALTER ROLE regress_mallory RESET workspace_authz.jwt_claim" >/dev/null

# ---- coherence: a revoke reaches every node's cache -------------------------
# Warm the caches of the worker connections, revoke, and read again in the
# next transaction (Citus reuses its connections).
as_user "$bob" -c "SELECT count(*) FROM items" >/dev/null
on c postgres -c "BEGIN" -c "SELECT authz.set_user('$alice')" -c "SELECT authz.remove_member('$ws1', '$bob')" -c "COMMIT" >/dev/null
is "after the revoke bob reads only w2 through the coordinator" 41 c regress_app -c "BEGIN" -c "SELECT authz.set_user('$bob')" -c "SELECT count(*) FROM items"
for n in w1 w2; do
  is "$n knows of the revoke" f $n postgres -c "BEGIN" -c "SELECT authz.set_user('$bob')" -c "SELECT authz.can('$ws1', 'content.read')"
done

# ---- credits: concurrent transfers through the coordinator -------------------
on c postgres -c "SELECT authz.add_credits('$ws1', '1000')" -c "SELECT authz.add_credits('$ws2', '1000')" >/dev/null
for c in 1 2 3 4; do
  (
    for i in $(seq 1 15); do
      if [ $(((i + c) % 2)) = 0 ]; then from=$ws1 to=$ws2; else from=$ws2 to=$ws1; fi
      on c postgres -c "BEGIN" -c "SELECT authz.set_user('$alice')" \
        -c "SELECT authz.transfer_credits('$from', '$to', '$c.$i')" -c "COMMIT" >>"$work/transfers.$c" 2>&1
    done
  ) &
done
wait
errors=$(cat "$work"/transfers.* | grep -c ERROR)
tap "$([ "$errors" = 0 ] && echo 1 || echo 0)" "60 concurrent transfers through the coordinator commit" "$(grep -m3 ERROR "$work"/transfers.*)"
is "the books verify and credits are conserved" "0|2000.000000|60" c postgres \
  -c "SELECT (SELECT count(*) FROM authz.verify_ledger()), sum(balance::numeric)::numeric(20,6),
             (SELECT count(*) FROM authz.credit_movements WHERE kind = 'transfer') FROM authz.credit_accounts"
books() { on "$1" postgres -c "SELECT string_agg(workspace_id || '=' || balance, ',' ORDER BY workspace_id) FROM authz.credit_accounts"
          on "$1" postgres -c "SELECT count(*), max(id) FROM authz.credit_ledger"; }
same=1
for n in w1 w2; do [ "$(books $n)" = "$(books c)" ] || same=0; done
tap "$same" "every node holds the same books" "coordinator: $(books c)" "worker1: $(books w1)"
