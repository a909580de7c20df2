#!/usr/bin/env bash
# Throwaway Citus cluster for tests and benchmarks: a coordinator and two
# workers, three PostgreSQL instances of $PG_CONFIG (which must have Citus
# installed) running as the postgres OS user. They listen only on Unix sockets
# in one private temporary directory (each on its own port number there), and
# the coordinator reaches the workers through that directory. Source this file,
# then:
#   citus_available              true when $PG_CONFIG's PostgreSQL has Citus
#   citus_cluster_start [opts]   start the three nodes (extra postgres -c
#                                options for every node), create the
#                                extensions citus and workspace_authz in
#                                database $CITUS_DB on the coordinator and add
#                                the workers; exports PGHOST, PGPORT (the
#                                coordinator), PGUSER, PGDATABASE, and
#                                CITUS_WORKER1_PORT, CITUS_WORKER2_PORT
#   citus_cluster_stop           stop the nodes and remove everything
# Environment: CITUS_DB (default citus_test); CITUS_VALGRIND, a directory: run
# every node under valgrind (memcheck), its logs (vg.<pid>.log) kept there.

PGBIN=${PGBIN:-$(${PG_CONFIG:-pg_config} --bindir)}
export PATH="$PGBIN:$PATH"
CITUS_DB=${CITUS_DB:-citus_test}

citus_as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"
  fi
}

citus_available() {
  local lib
  lib=$(${PG_CONFIG:-pg_config} --pkglibdir 2>/dev/null) || return 1
  [ -f "$lib/citus.so" ]
}

# citus_node_start NAME PORT [opts]
citus_node_start() {
  local name=$1 port=$2 o opts
  shift 2
  citus_as_postgres "$PGBIN/initdb" -D "$CITUS_DIR/$name" -U postgres --auth=trust \
    --no-sync -E UTF8 --locale=C >"$CITUS_DIR/$name.initdb.log" 2>&1 \
    || { cat "$CITUS_DIR/$name.initdb.log" >&2; return 1; }
  opts="-c listen_addresses='' -c unix_socket_directories='$CITUS_DIR' -c port=$port"
  opts="$opts -c shared_preload_libraries=citus -c max_prepared_transactions=50"
  opts="$opts -c max_connections=150 -c fsync=off -c citus.log_remote_commands=off"
  for o in "$@"; do opts="$opts -c $o"; done
  local server=() wait=60
  if [ -n "${CITUS_VALGRIND:-}" ]; then
    printf '#!/bin/sh\nexec valgrind --quiet --track-origins=yes --num-callers=30 --error-limit=no --log-file=%s/vg.%%p.log %s "$@"\n' \
      "$CITUS_VALGRIND" "$PGBIN/postgres" >"$CITUS_DIR/postgres-valgrind"
    chmod 755 "$CITUS_DIR/postgres-valgrind"
    server=(-p "$CITUS_DIR/postgres-valgrind")
    wait=600
  fi
  citus_as_postgres "$PGBIN/pg_ctl" -D "$CITUS_DIR/$name" -l "$CITUS_DIR/$name.log" "${server[@]}" \
    -o "$opts" -w -t "$wait" start >/dev/null \
    || { tail -n 30 "$CITUS_DIR/$name.log" >&2; return 1; }
}

citus_cluster_start() {
  local base p
  CITUS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/workspace_authz_citus.XXXXXX")
  chmod 755 "$CITUS_DIR"
  [ "$(id -un)" = postgres ] || tools/sudo.sh chown postgres: "$CITUS_DIR"
  export CITUS_DIR
  # Port numbers only name the sockets in our private directory.
  base=$((55000 + RANDOM % 900))
  CITUS_COORDINATOR_PORT=$base
  CITUS_WORKER1_PORT=$((base + 1))
  CITUS_WORKER2_PORT=$((base + 2))
  export CITUS_COORDINATOR_PORT CITUS_WORKER1_PORT CITUS_WORKER2_PORT
  for p in coordinator:$CITUS_COORDINATOR_PORT worker1:$CITUS_WORKER1_PORT worker2:$CITUS_WORKER2_PORT; do
    citus_node_start "${p%%:*}" "${p#*:}" "$@" || { citus_cluster_stop; return 1; }
  done
  export PGHOST="$CITUS_DIR" PGPORT="$CITUS_COORDINATOR_PORT" PGUSER=postgres PGDATABASE="$CITUS_DB"
  # The database and Citus on every node; workspace_authz on the coordinator,
  # from where Citus creates it on each worker as it is added.
  for p in $CITUS_COORDINATOR_PORT $CITUS_WORKER1_PORT $CITUS_WORKER2_PORT; do
    psql -X -q -v ON_ERROR_STOP=1 -p "$p" -d postgres -c "CREATE DATABASE $CITUS_DB" \
      && psql -X -q -v ON_ERROR_STOP=1 -p "$p" -c "CREATE EXTENSION citus" \
      || { citus_cluster_stop; return 1; }
  done
  psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL || { citus_cluster_stop; return 1; }
SELECT citus_set_coordinator_host('$CITUS_DIR', $CITUS_COORDINATOR_PORT);
CREATE EXTENSION workspace_authz;
SELECT citus_add_node('$CITUS_DIR', $CITUS_WORKER1_PORT);
SELECT citus_add_node('$CITUS_DIR', $CITUS_WORKER2_PORT);
SQL
}

citus_cluster_stop() {
  local n
  [ -n "${CITUS_DIR:-}" ] || return 0
  for n in coordinator worker1 worker2; do
    if [ -f "$CITUS_DIR/$n/postmaster.pid" ]; then
      citus_as_postgres "$PGBIN/pg_ctl" -D "$CITUS_DIR/$n" -m fast -w -t 300 stop >/dev/null 2>&1 \
        || kill -9 "$(head -n 1 "$CITUS_DIR/$n/postmaster.pid")" 2>/dev/null
    fi
  done
  rm -rf "$CITUS_DIR"
  unset CITUS_DIR
}
