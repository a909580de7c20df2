#!/usr/bin/env bash
# make demo: a throwaway cluster, a small tenancy, and permission checks shown
# in psql output. DEMO_KEEP=1 leaves the cluster running and prints how to connect.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/cluster.sh
cluster_start >/dev/null
if [ "${DEMO_KEEP:-0}" = 1 ]; then
  echo "cluster kept: psql -h '$PGHOST' -p $PGPORT -U postgres (stop: pg_ctl -D '$CLUSTER_DIR/data' stop)"
else
  trap cluster_stop EXIT
fi
psql -X -v ON_ERROR_STOP=1 --echo-queries -f tools/demo.sql
