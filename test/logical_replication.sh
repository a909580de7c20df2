#!/usr/bin/env bash
# Logical replication (SPEC 11): a subscriber database with the extension
# receives the publisher's model, audit log and credits through a real
# subscription (loopback: two databases of the test cluster, which runs with
# wal_level = logical). Changes applied by the subscription's apply worker
# (under session_replication_role = replica) must reach the caches of the
# subscriber's sessions that are already warm, and the audit log and ledger
# must stay append-only in replica mode too. Prints TAP.
set -uo pipefail
pub=$PGDATABASE
sub="${PGDATABASE}_sub"
work=$(mktemp -d)
q() { local db=$1; shift; psql -X -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
cleanup() {
  # The subscription first (it drops its slot on the publisher), then any slot
  # left on the publisher's database, so that both databases can be dropped.
  q "$sub" -c "DROP SUBSCRIPTION IF EXISTS regress_lr_sub" >/dev/null 2>&1 \
    || q "$sub" -c "ALTER SUBSCRIPTION regress_lr_sub DISABLE" \
                -c "ALTER SUBSCRIPTION regress_lr_sub SET (slot_name = NONE)" \
                -c "DROP SUBSCRIPTION regress_lr_sub" >/dev/null 2>&1
  for _ in $(seq 1 100); do
    left=$(q postgres -c "SELECT count(*) FROM pg_replication_slots WHERE database = '$pub'" 2>/dev/null)
    [ "${left:-0}" = 0 ] && break
    q postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                    WHERE database = '$pub' AND NOT active" >/dev/null 2>&1
    sleep 0.1
  done
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$sub\" WITH (FORCE)" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_lr_vic" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
is() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   have: $1"; echo "#   want: $2"; fi; }

echo "1..14"

is "$(q postgres -c "SHOW wal_level")" "logical" "the cluster runs with wal_level = logical"

# The publisher: a tenancy whose viewer (vic) logs in with a role of his own.
psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_lr_vic" -c "CREATE ROLE regress_lr_vic LOGIN" >/dev/null
ids=$(q "$pub" 2>"$work/setup.log" <<'SQL'
SELECT authz.create_user('ann', 'ann@example.com') AS ann \gset
SELECT authz.create_user('vic', 'vic@example.com', NULL, 'regress_lr_vic') AS vic \gset
SELECT authz.set_user(:'ann', false) \gset
SELECT authz.create_org('acme') AS org \gset
SELECT authz.create_workspace(:'org', 'lab') AS ws \gset
-- the platform (no user asserted) adds Vic, who shares no organization with Ann, and tops up
SELECT authz.set_user(NULL, false) \gset
SELECT authz.add_org_member(:'org', :'vic', 'guest') \gset
SELECT authz.add_credits(:'ws', '10', 'plan', 'inv-1') \gset
CREATE PUBLICATION regress_lr_pub FOR TABLE authz.users, authz.orgs, authz.org_members, authz.workspaces,
    authz.participants, authz.participant_permissions, authz.teams, authz.team_members, authz.projects,
    authz.project_members, authz.audit_log, authz.credit_accounts, authz.credit_movements, authz.credit_ledger;
SELECT 'ids ' || :'ann' || ' ' || :'vic' || ' ' || :'ws';
SQL
)
ok $? "a tenancy and a publication of the model, the audit log and the credits on the publisher"
sed 's/^/#   /' "$work/setup.log"
read -r ann vic ws <<<"$(sed -n 's/^ids //p' <<<"$ids")"

# The subscriber: a database with the extension, subscribed to the publisher.
# In one cluster the slot is made first: CREATE SUBSCRIPTION cannot wait for it.
psql -X -q -d postgres -c "CREATE DATABASE \"$sub\" TEMPLATE authz_template" \
  && q "$pub" -c "SELECT pg_create_logical_replication_slot('regress_lr_slot', 'pgoutput')" >/dev/null \
  && q "$sub" -c "CREATE SUBSCRIPTION regress_lr_sub
                    CONNECTION 'dbname=$pub host=$PGHOST port=$PGPORT user=postgres'
                    PUBLICATION regress_lr_pub WITH (create_slot = false, slot_name = 'regress_lr_slot')" \
       >/dev/null 2>"$work/subscribe.log"
ok $? "a subscriber database with the extension subscribes to the publication"
sed 's/^/#   /' "$work/subscribe.log"

out=$(q "$sub" -v pub="dbname=$pub host=$PGHOST port=$PGPORT user=postgres" \
        -v vicsess="dbname=$sub host=$PGHOST port=$PGPORT user=regress_lr_vic" \
        -v ann="$ann" -v vic="$vic" -v ws="$ws" 2>&1 <<'SQL'
-- Wait (at most 60 s) until a query on the subscriber answers true.
CREATE FUNCTION pg_temp.wait_for(query text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    done boolean;
BEGIN
    FOR i IN 1..600 LOOP
        EXECUTE query INTO done;
        IF done THEN RETURN true; END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN false;
END $$;
SELECT 'synced ' || pg_temp.wait_for($$SELECT count(*) > 0 AND bool_and(srsubstate = 'r') FROM pg_subscription_rel$$);
SELECT 'copied ' || (SELECT count(*) FROM authz.workspaces WHERE id = :'ws') || ' '
    || (SELECT balance::text FROM authz.credit_accounts WHERE workspace_id = :'ws');
SELECT dblink_connect('v', :'vicsess');
SELECT dblink_connect('p', :'pub');
SELECT 'before ' || (SELECT r FROM dblink('v', format('SELECT authz.can(%L, %L)::text', :'ws', 'content.read')) AS t(r text));
-- on the publisher: Ann makes Vic a viewer of lab
SELECT 'added ' || count(*) FROM dblink('p', format('SELECT authz.set_user(%L); SELECT authz.add_member(%L, %L, %L)',
                                                     :'ann', :'ws', :'vic', 'viewer')) AS t(r text);
SELECT 'applied ' || pg_temp.wait_for(format('SELECT EXISTS (SELECT 1 FROM authz.participants WHERE user_id = %L)', :'vic'));
SELECT 'after_add ' || (SELECT r FROM dblink('v', format('SELECT authz.can(%L, %L)::text', :'ws', 'content.read')) AS t(r text));
-- on the publisher: Ann removes him again
SELECT 'removed ' || count(*) FROM dblink('p', format('SELECT authz.set_user(%L); SELECT authz.remove_member(%L, %L)',
                                                       :'ann', :'ws', :'vic')) AS t(r text);
SELECT 'applied_again ' || pg_temp.wait_for(format('SELECT NOT EXISTS (SELECT 1 FROM authz.participants WHERE user_id = %L)', :'vic'));
SELECT 'after_remove ' || (SELECT r FROM dblink('v', format('SELECT authz.can(%L, %L)::text', :'ws', 'content.read')) AS t(r text));
-- the audit rows are the publisher's, not written a second time on the subscriber
SELECT 'audit ' || ((SELECT count(*) FROM authz.audit_log)
                    = (SELECT r FROM dblink('p', 'SELECT count(*) FROM authz.audit_log') AS t(r bigint)));
SELECT dblink_disconnect('v');
SELECT dblink_disconnect('p');
SQL
)
val() { sed -n "s/^$1 //p" <<<"$out" | head -n 1; }
is "$(val synced)" "true" "the subscription copies the publisher's tables"
is "$(val copied)" "1 10" "the subscriber has the workspace and its balance"
is "$(val before)" "false" "a subscriber session: Vic may not read lab (and that answer is cached)"
is "$(val applied)" "true" "the publisher's add_member is applied on the subscriber"
is "$(val after_add)" "true" "the same subscriber session, warm with the old answer, sees the applied change"
is "$(val applied_again)" "true" "the publisher's remove_member is applied on the subscriber"
is "$(val after_remove)" "false" "and that session sees the removal too"
is "$(val audit)" "true" "the subscriber's audit log holds the publisher's rows, none written twice"
echo "$out" | grep -E 'ERROR|FATAL' | sed 's/^/# /'

# Replica mode, as the apply worker runs: the append-only triggers still fire.
refused() {
  local what=$1 sql=$2 err
  err=$(q "$sub" -c "SET session_replication_role = replica" -c "$sql" 2>&1 >/dev/null)
  case "$err" in
    *"is append-only"*) ok 0 "$what" ;;
    *) ok 1 "$what"; echo "#   got: ${err:-no error}" ;;
  esac
}
refused "under session_replication_role = replica, the subscriber's audit log refuses UPDATE" \
  "UPDATE authz.audit_log SET action = 'forged'"
refused "under session_replication_role = replica, the subscriber's ledger refuses DELETE" \
  "DELETE FROM authz.credit_ledger"
refused "under session_replication_role = replica, the subscriber's movements refuse UPDATE" \
  "UPDATE authz.credit_movements SET amount = '0'"
