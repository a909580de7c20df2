#!/usr/bin/env bash
# Distributed RLS benchmark (README, Scaling out with Citus): 1,000,000 rows
# over 1,000 workspaces in a table distributed by workspace over two workers,
# protected with authz.protect. The count, selective and feed queries run
# through the coordinator as the application role (authz.set_user of a user who
# sees 100 workspaces), against the floor: the same distributed queries by the
# owner without RLS, with the user's workspaces as a constant list. Beside
# them, the single-node figures: the same rows, users and queries on one plain
# PostgreSQL node of the same build and settings (no Citus), started after the
# cluster is stopped. Medians in ms of BENCH_RUNS runs (default 9). Run by
# `make bench` when the PostgreSQL under test has Citus; prints a Markdown
# table (kept in bench/out/citus.md).
# Environment: BENCH_RUNS; BENCH_NODES = both (default), citus or single.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/citus-cluster.sh
source tools/cluster.sh
citus_available || { echo "Citus is not installed in this PostgreSQL: skipped" >&2; exit 0; }
RUNS=${BENCH_RUNS:-9}
NODES=${BENCH_NODES:-both}
SETTINGS=(shared_buffers=512MB work_mem=64MB jit=off)
mkdir -p bench/out
trap 'citus_cluster_stop; cluster_stop' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# build_data citus|single: the users, 1,000 workspaces, the user u100 a viewer
# of every tenth, and 1,000,000 rows of docs, protected.
build_data() {
  local citus=$1
  echo "building 1,000,000 rows over 1,000 workspaces ($citus)..." >&2
  psql -v citus="$citus" >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT :'citus' = 'citus' AS distributed \gset
\if :distributed
SELECT authz.distribute();
\endif
CREATE ROLE bench_app LOGIN;  -- Citus logs in to the workers as it
GRANT workspace_authz_trusted TO bench_app;
CREATE TABLE bench_users (label text PRIMARY KEY, id uuid NOT NULL);
INSERT INTO bench_users VALUES ('owner', authz.create_user('bench-owner', 'owner@bench.example')),
                               ('u100', authz.create_user('bench-u100', 'u100@bench.example'));
BEGIN;
SELECT authz.set_user((SELECT id FROM bench_users WHERE label = 'owner'));
CREATE TEMP TABLE o AS SELECT authz.create_org('bench') AS id;
CREATE TABLE bench_ws AS
SELECT g AS n, authz.create_workspace((SELECT id FROM o), 'ws' || g) AS id FROM generate_series(1, 1000) g;
SELECT authz.set_user(NULL);
SELECT authz.add_member(w.id, (SELECT id FROM bench_users WHERE label = 'u100'), 'viewer')
  FROM bench_ws w WHERE w.n % 10 = 0;
COMMIT;
CREATE TABLE docs (id bigint NOT NULL, workspace_id uuid NOT NULL, title text, created_at timestamptz NOT NULL);
\if :distributed
SELECT create_distributed_table('docs', 'workspace_id');
\endif
INSERT INTO docs
SELECT i, w.id, 'doc ' || i, now() - i * interval '1 second'
  FROM generate_series(1, 1000000) i JOIN bench_ws w ON w.n = 1 + (i::bigint * 7919) % 1000;
CREATE INDEX ON docs (workspace_id);
CREATE INDEX ON docs (created_at);
SELECT authz.protect('docs');
GRANT SELECT ON docs TO bench_app;
VACUUM ANALYZE docs;
SQL
  u100=$(psql -At -c "SELECT id FROM bench_users WHERE label = 'u100'")
  list=$(psql -At -c "SELECT array_agg(id)::text FROM bench_ws WHERE n % 10 = 0")
  one=$(psql -At -c "SELECT id FROM bench_ws WHERE n = 500")
}

# median_ms ROLE SQL: median wall time of RUNS runs (after one warm-up), in one
# transaction; the application role asserts the user first.
median_ms() {
  local role=$1 sql=$2 pre=""
  [ "$role" = app ] && pre="SET LOCAL ROLE bench_app; SELECT authz.set_user('$u100');"
  psql -At <<SQL | tail -n 1
SET client_min_messages = error;
BEGIN;
$pre
CREATE FUNCTION pg_temp.t(q text, n int) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE s timestamptz; d numeric[] := '{}';
BEGIN
  EXECUTE q;
  FOR i IN 1 .. n LOOP s := clock_timestamp(); EXECUTE q; d := d || extract(epoch FROM clock_timestamp() - s) * 1000; END LOOP;
  RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(d) x)::numeric(10,2);
END \$\$;
SELECT pg_temp.t(\$q\$$sql\$q\$, $RUNS);
COMMIT;
SQL
}
rows() {
  local role=$1 sql=$2 pre=""
  [ "$role" = app ] && pre="SET LOCAL ROLE bench_app; SELECT authz.set_user('$u100');"
  psql -At <<SQL | tail -n 1
BEGIN; $pre SELECT CASE WHEN \$q\$$sql\$q\$ LIKE 'SELECT count(*)%' THEN (SELECT sum(c) FROM ($sql) x(c)) ELSE (SELECT count(*) FROM ($sql) x) END; COMMIT;
SQL
}
ratio() { awk -v a="$1" -v f="$2" 'BEGIN { printf "%.2fx", a / f }'; }

# measure: name|rows|floor ms|authz ms|ratio for each query, on the node of
# PGHOST/PGPORT.
measure() {
  local name floor authz f a r
  echo "timing..." >&2
  while IFS='|' read -r name floor authz; do
    f=$(median_ms owner "$floor")
    a=$(median_ms app "$authz")
    r=$(rows app "$authz")
    echo "$name|$r|$f|$a|$(ratio "$a" "$f")"
  done <<QUERIES
count (100 of 1,000 workspaces)|SELECT count(*) FROM docs WHERE workspace_id = ANY ('$list'::uuid[])|SELECT count(*) FROM docs
selective (one workspace)|SELECT count(*) FROM docs WHERE workspace_id = '$one'|SELECT count(*) FROM docs WHERE workspace_id = '$one'
feed (latest 50)|SELECT id, title FROM docs WHERE workspace_id = ANY ('$list'::uuid[]) ORDER BY created_at DESC LIMIT 50|SELECT id, title FROM docs ORDER BY created_at DESC LIMIT 50
QUERIES
}

: >bench/out/citus.single.txt
: >bench/out/citus.dist.txt
if [ "$NODES" != single ]; then
  citus_cluster_start "${SETTINGS[@]}" >/dev/null
  build_data citus
  measure >bench/out/citus.dist.txt
  citus_cluster_stop
fi
if [ "$NODES" != citus ]; then
  cluster_start "${SETTINGS[@]}" >/dev/null
  psql -c "CREATE EXTENSION workspace_authz"
  build_data single
  measure >bench/out/citus.single.txt
  cluster_stop
fi

# One table: the single node's figures beside the cluster's (count and feed
# multi-shard there, selective one shard through the router).
cols() { if [ -n "$1" ]; then cut -d'|' -f3-5 <<<"$1" | sed 's/|/ | /g'; else echo "- | - | -"; fi; }
{
  echo "| query | rows | one node: floor ms | authz ms | authz / floor | Citus: floor ms | authz ms | authz / floor |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for q in count selective feed; do
    s=$(grep "^$q " bench/out/citus.single.txt || true)
    d=$(grep "^$q " bench/out/citus.dist.txt || true)
    echo "| $(cut -d'|' -f1 <<<"${d:-$s}") | $(cut -d'|' -f2 <<<"${d:-$s}") | $(cols "$s") | $(cols "$d") |"
  done
} | tee bench/out/citus.md
