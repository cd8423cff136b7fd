#!/usr/bin/env bash
# Install (if missing), start and stop the services the tests need: a private PostgreSQL 15
# cluster on 127.0.0.1, dcmtk, and Orthanc (scripts/orthanc.sh; tests start their own).
# `up` writes .test-services/services.env for the test run to source; `down` stops the
# cluster and removes its files. Safe to call `down` twice.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$ROOT/.test-services"
ENV_FILE="$DIR/services.env"
PGBIN="/usr/lib/postgresql/15/bin"

as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_postgres() {
  [ -x "$PGBIN/initdb" ] && return 0
  if [ "$(id -u)" != "0" ]; then
    echo "services: PostgreSQL 15 is not installed and we are not root; run: sudo apt-get install postgresql-15" >&2
    return 1
  fi
  echo "services: installing PostgreSQL 15 from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
}

install_dcmtk() {
  command -v storescu >/dev/null && return 0
  [ "$(id -u)" = "0" ] || { echo "services: dcmtk missing (sudo apt-get install dcmtk); storescu tests are skipped" >&2; return 0; }
  echo "services: installing dcmtk from Debian's packages" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dcmtk >/dev/null 2>&1 \
    || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dcmtk >/dev/null; }
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

up() {
  down >/dev/null 2>&1 || true
  install_dcmtk || true
  "$ROOT/scripts/orthanc.sh" || echo "services: Orthanc unavailable; PACS gateway tests are skipped" >&2
  mkdir -p "$DIR"
  : > "$ENV_FILE"
  if ! install_postgres; then
    echo "services: PostgreSQL unavailable, the suite runs on SQLite only" >&2
    return 0
  fi
  local port data
  port="$(free_port)"
  data="$DIR/pg"
  mkdir -p "$data"
  [ "$(id -u)" = "0" ] && chown -R postgres "$DIR"
  as_pg "$PGBIN/initdb" -D "$data" -A trust -U postgres --no-sync >"$DIR/initdb.log" 2>&1
  as_pg "$PGBIN/pg_ctl" -D "$data" -l "$DIR/postgres.log" -w -t 60 start \
    -o "-p $port -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
  echo "export BEELDPORTAAL_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres" > "$ENV_FILE"
  [ "$(id -u)" = "0" ] && chown postgres "$ENV_FILE"
  echo "services: PostgreSQL 15 on 127.0.0.1:$port" >&2
}

down() {
  if [ -d "$DIR/pg" ] && [ -x "$PGBIN/pg_ctl" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
