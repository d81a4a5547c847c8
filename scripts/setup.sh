#!/usr/bin/env bash
# make setup: make sure creditcase can find a PostgreSQL server to run.
# With DATABASE_URL set nothing is needed. Otherwise the system's PostgreSQL
# server binaries (initdb, postgres) are needed; on Debian as root they are
# installed with apt-get, without creating or starting the distribution's own
# cluster (creditcase runs a private one under .data/pg).
set -euo pipefail

have_pg() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if [ -n "${DATABASE_URL:-}" ]; then
  echo "setup: DATABASE_URL is set; using that PostgreSQL server"
  exit 0
fi
if have_pg; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing the PostgreSQL server package with apt-get"
  mkdir -p /etc/postgresql-common
  # Do not create or start the distribution's default cluster.
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  have_pg && { echo "setup: PostgreSQL server installed"; exit 0; }
  echo "setup: apt-get finished but initdb is still missing" >&2
  exit 1
fi
cat >&2 <<'MSG'
setup: PostgreSQL server binaries (initdb, postgres) are not installed.
  Debian/Ubuntu:  sudo apt-get install postgresql
  Fedora/RHEL:    sudo dnf install postgresql-server
  macOS:          brew install postgresql@15
or point creditcase at an existing server: export DATABASE_URL=postgres://user:password@host:5432/creditcase
MSG
exit 1
