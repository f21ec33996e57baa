#!/usr/bin/env bash
# Start a private PostgreSQL cluster for the tests on 127.0.0.1 (installing PostgreSQL with
# apt-get when it is missing) and print its SQLAlchemy URL. Idempotent: a running cluster is
# reused. Exits non-zero when PostgreSQL cannot be had; `make test` then fails.
set -euo pipefail
port=${LIAISON_TEST_PGPORT:-54329}
data=${LIAISON_TEST_PGDATA:-/tmp/liaison-test-pg}
url="postgresql+psycopg://postgres@127.0.0.1:${port}/postgres"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ]; then
  "$(dirname "$0")/apt-install.sh" ensure-postgres postgresql
  bin=$(find_bin)
fi
if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  echo "$url"
  exit 0
fi
# The server refuses to run as root: run it as the postgres user the package creates.
as_pg=()
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
  as_pg=(runuser -u postgres --)
  owner=postgres
fi
mkdir -p "$data"
chown "$owner" "$data"
chmod 700 "$data"
if [ ! -f "$data/PG_VERSION" ]; then
  "${as_pg[@]}" "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
fi
"${as_pg[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
  -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200" start >&2
echo "$url"
