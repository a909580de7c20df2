#!/usr/bin/env bash
# Checks on a hot-standby replica (SPEC 11): a streaming standby of the test
# cluster answers checks, refuses changes, and a change committed on the
# primary reaches the cache of a standby session that is already warm, through
# the invalidations replayed from the WAL. Prints TAP.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/cluster.sh
dir=$(mktemp -d "${TMPDIR:-/tmp}/workspace_authz_standby.XXXXXX")
chmod 755 "$dir"
[ "$(id -un)" = postgres ] || tools/sudo.sh chown postgres: "$dir"
port=$((PGPORT + 1))
cleanup() {
  [ -f "$dir/data/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
is() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   have: $1"; echo "#   want: $2"; fi; }

echo "1..7"

ids=$(psql -X -At -v ON_ERROR_STOP=1 <<'SQL'
SELECT authz.create_user('ann', 'ann@example.com') AS ann \gset
SELECT authz.create_user('vic', 'vic@example.com') AS vic \gset
SELECT authz.set_user(:'ann', false) \gset
SELECT authz.create_org('acme') AS org \gset
SELECT authz.create_workspace(:'org', 'lab') AS ws \gset
-- vic shares no organization with ann: the platform (no user asserted) adds him
SELECT authz.set_user(NULL, false) \gset
SELECT authz.add_org_member(:'org', :'vic') \gset
SELECT authz.set_user(:'ann', false) \gset
SELECT authz.add_member(:'ws', :'vic', 'viewer') \gset
SELECT :'ann' || ' ' || :'vic' || ' ' || :'ws';
SQL
)
ok $? "a tenancy on the primary"
read -r ann vic ws <<<"$(tail -n 1 <<<"$ids")"

# A hot standby needs at least the primary's values of these settings, which
# the primary may have been given on its command line rather than in its files.
standby_opts="-c listen_addresses='' -c unix_socket_directories='$dir' -c port=$port -c hot_standby=on"
for s in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
  standby_opts="$standby_opts -c $s=$(psql -X -At -c "SHOW $s")"
done

as_postgres "$PGBIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$dir/data" -R -X stream -c fast \
  >"$dir/basebackup.log" 2>&1 \
  && as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
       -o "$standby_opts" -w -t 60 start >/dev/null
started=$?
ok $started "a streaming standby starts from a base backup"
[ "$started" = 0 ] || { sed 's/^/# /' "$dir/basebackup.log"; tail -n 5 "$dir/server.log" 2>/dev/null | sed 's/^/# /'; }

standby="dbname=$PGDATABASE host=$dir port=$port user=postgres"
out=$(psql -X -At -v ON_ERROR_STOP=1 -v standby="$standby" -v ann="$ann" -v vic="$vic" -v ws="$ws" 2>&1 <<'SQL'
-- wait until the standby has replayed everything the primary wrote
CREATE FUNCTION pg_temp.caught_up() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE target pg_lsn := pg_current_wal_lsn();
BEGIN
    FOR i IN 1..300 LOOP
        IF (SELECT replay_lsn >= target FROM pg_stat_replication LIMIT 1) THEN RETURN true; END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN false;
END $$;
SELECT 'caught_up ' || pg_temp.caught_up();
SELECT dblink_connect('sb', :'standby');
SELECT 'in_recovery ' || (SELECT r FROM dblink('sb', 'SELECT pg_is_in_recovery()') AS t(r boolean));
SELECT 'read_before ' || (SELECT r FROM dblink('sb', format('SELECT authz.check(%L, %L, %L)', :'vic', :'ws', 'content.read')) AS t(r boolean))
    || ' ' || (SELECT r FROM dblink('sb', format('SELECT authz.check(%L, %L, %L)', :'vic', :'ws', 'content.update')) AS t(r boolean));
SELECT 'write ' || coalesce((SELECT dblink_exec('sb', format('SELECT authz.set_user(%L, false); SELECT authz.set_role(%L, %L, %L)', :'ann', :'ws', :'vic', 'member'), false)), '');
SELECT 'write_error ' || dblink_error_message('sb');
-- the change, on the primary
SELECT authz.set_user(:'ann', false);
SELECT authz.set_role(:'ws', :'vic', 'member');
SELECT 'caught_up_again ' || pg_temp.caught_up();
SELECT 'update_after ' || (SELECT r FROM dblink('sb', format('SELECT authz.check(%L, %L, %L)', :'vic', :'ws', 'content.update')) AS t(r boolean));
SELECT dblink_disconnect('sb');
SQL
)
val() { sed -n "s/^$1 //p" <<<"$out" | head -n 1; }
is "$(val in_recovery)" "true" "the standby is in recovery"
is "$(val read_before)" "true false" "a standby session answers checks: the viewer may read, not update"
case "$(val write_error)" in
  *"read-only transaction"*) ok 0 "a change on the standby is refused (read-only transaction)" ;;
  *) ok 1 "a change on the standby is refused (read-only transaction)"; echo "# $(val write_error)" ;;
esac
is "$(val caught_up_again)" "true" "the standby replays the primary's change"
is "$(val update_after)" "true" "the same standby session, warm with the old answer, sees the change in its next transaction"
echo "$out" | sed "s/^/# /"
