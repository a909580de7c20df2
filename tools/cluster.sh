#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests, demo and benchmarks. Source this file,
# then call cluster_start [postgres -c options...] and cluster_stop. The server
# runs as the postgres OS user (PostgreSQL refuses to run as root), listens only
# on a Unix socket in a private temporary directory, and is removed on stop.
# Exports PGHOST, PGPORT, PGUSER and PGDATABASE for the client tools.

# The server and client tools are those of $PG_CONFIG (as for the build), so
# `make test PG_CONFIG=.../bin/pg_config` tests another PostgreSQL.
PGMAJOR=${PGMAJOR:-15}
PGBIN=${PGBIN:-$(${PG_CONFIG:-pg_config} --bindir 2>/dev/null || echo "/usr/lib/postgresql/$PGMAJOR/bin")}
export PATH="$PGBIN:$PATH"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"
  fi
}

cluster_start() {
  CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/workspace_authz.XXXXXX")
  chmod 755 "$CLUSTER_DIR"
  [ "$(id -un)" = postgres ] || tools/sudo.sh chown postgres: "$CLUSTER_DIR"
  # Any port works: the socket lives in our private directory.
  CLUSTER_PORT=${CLUSTER_PORT:-$((54000 + RANDOM % 1000))}
  as_postgres "$PGBIN/initdb" -D "$CLUSTER_DIR/data" -U postgres --auth=trust \
    --no-sync -E UTF8 --locale=C >"$CLUSTER_DIR/initdb.log" 2>&1 \
    || { cat "$CLUSTER_DIR/initdb.log"; return 1; }
  local opts="-c listen_addresses='' -c unix_socket_directories='$CLUSTER_DIR' -c port=$CLUSTER_PORT"
  local o
  for o in "$@"; do opts="$opts -c $o"; done
  as_postgres "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
    -o "$opts" -w -t 60 start >/dev/null \
    || { tail -n 30 "$CLUSTER_DIR/server.log"; return 1; }
  CLUSTER_PID=$(head -n 1 "$CLUSTER_DIR/data/postmaster.pid")
  CLUSTER_OPTS=$opts
  export PGHOST="$CLUSTER_DIR" PGPORT="$CLUSTER_PORT" PGUSER=postgres PGDATABASE=postgres
  export CLUSTER_DIR CLUSTER_PORT CLUSTER_PID CLUSTER_OPTS
}

# Restart the same cluster, with the options it was started with (used after a
# crash test).
cluster_restart() {
  as_postgres "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
    -o "${CLUSTER_OPTS:-"-c listen_addresses='' -c unix_socket_directories='$CLUSTER_DIR' -c port=$CLUSTER_PORT"}" \
    -w -t 120 start >/dev/null || { tail -n 30 "$CLUSTER_DIR/server.log"; return 1; }
  CLUSTER_PID=$(head -n 1 "$CLUSTER_DIR/data/postmaster.pid")
  export CLUSTER_PID
}

cluster_stop() {
  [ -n "${CLUSTER_DIR:-}" ] || return 0
  if [ -f "$CLUSTER_DIR/data/postmaster.pid" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 \
      || kill -9 "$CLUSTER_PID" 2>/dev/null
  fi
  rm -rf "$CLUSTER_DIR"
  unset CLUSTER_DIR
}
