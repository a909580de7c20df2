#!/usr/bin/env bash
# Install the Debian packages that building and testing workspace_authz need,
# only those that are missing. Safe to run repeatedly; needs root or sudo.
set -euo pipefail
PGMAJOR=${PGMAJOR:-15}
need=()
command -v pg_config >/dev/null 2>&1 && [ -d "$(pg_config --includedir-server 2>/dev/null)" ] \
  || need+=("postgresql-server-dev-$PGMAJOR")
[ -x "/usr/lib/postgresql/$PGMAJOR/bin/postgres" ] || need+=("postgresql-$PGMAJOR")
[ -f "/usr/share/postgresql/$PGMAJOR/extension/pgtap.control" ] || need+=("postgresql-$PGMAJOR-pgtap")
command -v pg_prove >/dev/null 2>&1 || need+=(libtap-parser-sourcehandler-pgtap-perl)
command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 || need+=(build-essential)
# test/node.sh: the Node.js example, straight and through PgBouncer
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
here=$(dirname "$0")
"$here/sudo.sh" apt-get update -qq
"$here/sudo.sh" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
