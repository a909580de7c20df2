#!/usr/bin/env bash
# Build PostgreSQL 18.3 (with dblink and pgTAP's SQL) from the vendored source into
# a cache directory outside the clone, and print its prefix. Reused when present:
# the prefix is keyed by the source tarball's checksum. With --citus, also build
# Citus 14.0.1 into the same prefix. Test tooling only: nothing of it is shipped.
#   WORKSPACE_AUTHZ_CACHE  cache root (default /var/cache/workspace_authz)
#   WORKSPACE_AUTHZ_VENDOR where the vendored tarballs are (default ../shared/vendor)
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=${WORKSPACE_AUTHZ_VENDOR:-../shared/vendor}
cache=${WORKSPACE_AUTHZ_CACHE:-/var/cache/workspace_authz}
pgtar=$vendor/postgresql-18.3.tar.gz
[ -f "$pgtar" ] || { echo "missing $pgtar" >&2; exit 1; }
sum=$(cut -c1-12 <"$vendor/postgresql-18.3.tar.gz.sha256" 2>/dev/null || sha256sum "$pgtar" | cut -c1-12)
prefix=$cache/pg-18.3-$sum
want_citus=0
[ "${1:-}" = --citus ] && want_citus=1

log() { echo "pg18: $*" >&2; }

need=()
command -v bison >/dev/null 2>&1 || need+=(bison)
command -v flex >/dev/null 2>&1 || need+=(flex)
command -v gcc >/dev/null 2>&1 || need+=(build-essential)
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || need+=(postgresql-15-pgtap)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  tools/sudo.sh apt-get update -qq
  tools/sudo.sh apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p "$cache"
chmod 755 "$cache"
# One build at a time per cache.
exec 9>"$cache/.lock"
flock 9

if [ ! -x "$prefix/bin/postgres" ] || [ ! -f "$prefix/.complete" ]; then
  log "building PostgreSQL 18.3 into $prefix (a few minutes, once)"
  rm -rf "$prefix"
  build=$(mktemp -d "$cache/build.XXXXXX")
  tar xzf "$pgtar" -C "$build"
  (
    cd "$build/postgresql-18.3"
    ./configure --prefix="$prefix" --without-icu --without-readline --without-zlib >"$build/configure.log" 2>&1 \
      || { tail -n 30 "$build/configure.log"; exit 1; }
    make -j"$(nproc)" -s >"$build/make.log" 2>&1 || { tail -n 40 "$build/make.log"; exit 1; }
    make -s install >/dev/null
    make -s -C contrib/dblink install >/dev/null
  )
  # pgTAP is SQL only: the Debian package's files load on 18 as they are.
  cp /usr/share/postgresql/15/extension/pgtap* "$("$prefix/bin/pg_config" --sharedir)/extension/"
  rm -rf "$build"
  chmod -R a+rX "$prefix"
  touch "$prefix/.complete"
fi

if [ "$want_citus" -eq 1 ] && [ ! -f "$prefix/.citus-complete" ]; then
  citustar=$vendor/citus-14.0.1.tar.gz
  [ -f "$citustar" ] || { echo "missing $citustar" >&2; exit 1; }
  log "building Citus 14.0.1 into $prefix (about a minute, once)"
  build=$(mktemp -d "$cache/build.XXXXXX")
  tar xzf "$citustar" -C "$build"
  (
    cd "$build"/citus-14.0.1
    ./configure --without-libcurl --without-lz4 --without-zstd PG_CONFIG="$prefix/bin/pg_config" \
      >"$build/configure.log" 2>&1 || { tail -n 30 "$build/configure.log"; exit 1; }
    make -j"$(nproc)" -s >"$build/make.log" 2>&1 || { tail -n 40 "$build/make.log"; exit 1; }
    make -s install >/dev/null
  )
  rm -rf "$build"
  chmod -R a+rX "$prefix"
  touch "$prefix/.citus-complete"
fi

echo "$prefix"
