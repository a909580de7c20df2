#!/usr/bin/env bash
# The Node.js example (examples/node) against the test cluster: node-postgres
# with the example's withUser helper and type parsers, first straight to the
# server over one pooled connection, then through PgBouncer in transaction mode
# (20 concurrent clients over 2 server connections, on a loopback port).
# Needs node, npm and pgbouncer (tools/deps.sh installs them) and the `pg`
# package (installed here from examples/node/package-lock.json when missing).
# Prints TAP: its own checks, then each Node test of each run.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
example=$here/examples/node
work=$(mktemp -d)
chmod 755 "$work"
bouncer_pid=

n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -f "$work/bouncer/pgbouncer.pid" ] && kill "$(cat "$work/bouncer/pgbouncer.pid")" 2>/dev/null
  [ -n "$bouncer_pid" ] && kill "$bouncer_pid" 2>/dev/null
  rm -rf "$work"
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS regress_node_app" >/dev/null 2>&1
}
trap cleanup EXIT

node_tests=7
echo "1..$((5 + 2 * node_tests))"

if [ ! -d "$example/node_modules/pg" ]; then
  (cd "$example" && npm ci --silent --no-audit --no-fund) >"$work/npm.log" 2>&1
fi
[ -d "$example/node_modules/pg" ]
ok $? "the example's dependencies are installed (pg from examples/node/package-lock.json)"
[ -d "$example/node_modules/pg" ] || sed 's/^/#   /' "$work/npm.log" | tail -n 5

fixture=$(psql -X -At -v ON_ERROR_STOP=1 2>"$work/fixture.log" <<'SQL'
\set QUIET on
CREATE ROLE regress_node_app LOGIN;
GRANT workspace_authz_trusted TO regress_node_app;
-- Behind a transaction pooler: a user asserted by the role lasts one transaction.
ALTER ROLE regress_node_app SET workspace_authz.identity_scope = 'transaction';
CREATE TABLE public.notes (id bigserial PRIMARY KEY, workspace_id uuid NOT NULL, body text NOT NULL);
CREATE INDEX ON public.notes (workspace_id);
SELECT authz.protect('public.notes');
GRANT SELECT, INSERT, UPDATE, DELETE ON public.notes TO regress_node_app;
GRANT USAGE ON SEQUENCE public.notes_id_seq TO regress_node_app;
SELECT authz.create_user('regress_node_ada', 'ada@node.example') AS ada \gset
SELECT authz.create_user('regress_node_bob', 'bob@node.example') AS bob \gset
BEGIN;
SELECT authz.set_user(:'ada') \gset
SELECT authz.create_org('regress-node') AS org \gset
SELECT authz.create_workspace(:'org', 'team') AS team \gset
-- bob shares no organization with ada: the platform (no user asserted) adds him
SELECT authz.set_user(NULL) \gset
SELECT authz.add_org_member(:'org', :'bob') \gset
SELECT authz.set_user(:'ada') \gset
SELECT authz.add_member(:'team', :'bob', 'member') \gset
COMMIT;
INSERT INTO public.notes (workspace_id, body) VALUES
  (authz.personal_workspace(:'ada'), 'ada private'),
  (authz.personal_workspace(:'bob'), 'bob private'),
  (:'team', 'team plan');
\set QUIET off
SELECT json_build_object('ada', :'ada', 'bob', :'bob', 'team', :'team',
                         'adaWorkspace', authz.personal_workspace(:'ada'))::text;
SQL
)
ok $? "fixture: two users, an org workspace they share, a protected table and an application login role"
sed 's/^/#   /' "$work/fixture.log" | head -n 10

# Run the Node tests with the given connection; re-number their TAP lines.
run_node() {
  local label=$1 out
  shift
  out=$(cd "$example" && env "$@" AUTHZ_FIXTURE="$fixture" PGUSER=regress_node_app \
          timeout 120 node --test --test-reporter=tap test.js 2>&1)
  local got=0
  while IFS= read -r line; do
    case "$line" in
      "ok "[0-9]*" - "*) got=$((got + 1)); ok 0 "$label: ${line#ok * - }" ;;
      "not ok "[0-9]*" - "*) got=$((got + 1)); ok 1 "$label: ${line#not ok * - }" ;;
    esac
  done <<<"$out"
  if [ "$got" -lt "$node_tests" ]; then
    echo "$out" | sed 's/^/#   /' | head -n 40
  else
    echo "$out" | grep -E '^[[:space:]]+(error|expected|actual|code):' | sed 's/^/#   /' | head -n 40
  fi
}

run_node "direct" PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE="$PGDATABASE" AUTHZ_CLIENTS=4

# PgBouncer in transaction mode: 2 server connections for 20 clients.
port=$((56000 + RANDOM % 1000))
mkdir -p "$work/bouncer"
[ "$(id -u)" -eq 0 ] && chown postgres: "$work/bouncer"
cat >"$work/pgbouncer.ini" <<INI
[databases]
$PGDATABASE = host=$PGHOST port=$PGPORT dbname=$PGDATABASE
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $work/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
logfile = $work/bouncer/pgbouncer.log
pidfile = $work/bouncer/pgbouncer.pid
INI
echo '"regress_node_app" ""' >"$work/userlist.txt"
chmod 644 "$work/pgbouncer.ini" "$work/userlist.txt"
as_postgres "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" "$work/pgbouncer.ini" >/dev/null 2>&1 &
bouncer_pid=$!
for _ in $(seq 1 50); do
  psql -X -At -h 127.0.0.1 -p "$port" -U regress_node_app -d "$PGDATABASE" -c 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.1
done
psql -X -At -h 127.0.0.1 -p "$port" -U regress_node_app -d "$PGDATABASE" -c 'SELECT 1' >/dev/null 2>&1
ok $? "PgBouncer (transaction mode, pool size 2) accepts connections on a loopback port"
[ -f "$work/bouncer/pgbouncer.log" ] && grep -iE 'error|fatal' "$work/bouncer/pgbouncer.log" | tail -n 5 | sed 's/^/#   /'

run_node "PgBouncer" PGHOST=127.0.0.1 PGPORT="$port" PGDATABASE="$PGDATABASE" AUTHZ_CLIENTS=20

# Through the pooler, the role cannot leave a user on a server connection.
ada=$(sed -n 's/.*"ada" *: *"\([^"]*\)".*/\1/p' <<<"$fixture")
through_bouncer() {
  psql -X -At -q -h 127.0.0.1 -p "$port" -U regress_node_app -d "$PGDATABASE" -v VERBOSITY=sqlstate -c "$1" 2>&1 | tail -n 1
}
[ "$(through_bouncer "SELECT authz.set_user('$ada', false)")" = "ERROR:  42501" ]
ok $? "through PgBouncer, a session-level set_user is refused (identity_scope = transaction for the role)"
[ "$(through_bouncer "SELECT authz.set_user('$ada')")" = "ERROR:  25P01" ]
ok $? "through PgBouncer, set_user outside a transaction block is an error, not a warning"
[ "$fails" -eq 0 ]
