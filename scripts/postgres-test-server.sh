#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the gallery tests (issue 16: the PostgreSQL store runs the
# same tests as the SQLite one against a real server, no mock). Installs Debian's `postgresql` if missing, creates
# a cluster in a temporary folder owned by the `postgres` user, listens on loopback only (scram-sha-256 password
# auth), creates role `vz` (password `vz`) and database `vz_test`, and prints the URL as its last line:
#
#   export VZ_TEST_POSTGRES_URL=$(bash scripts/postgres-test-server.sh | tail -1)
#   bash scripts/postgres-test-server.sh --stop        (stops the server this script started)
#
# Exits non-zero (and prints why) when PostgreSQL cannot be installed or started; the tests then skip.
set -euo pipefail
state=${VZ_PG_STATE:-/tmp/vz-postgres-test}
if [ "${1:-}" = "--stop" ]; then
  [ -f "$state/dir" ] || exit 0
  bin=$(cat "$state/bin"); dir=$(cat "$state/dir")
  su postgres -s /bin/sh -c "$bin/pg_ctl -D '$dir' -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$dir" "$state"
  exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing Debian's postgresql" >&2
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
id postgres >/dev/null 2>&1 || { echo "no 'postgres' user after installing postgresql" >&2; exit 2; }
port=${VZ_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
# A previous server of this script: stop it first.
bash "$0" --stop
mkdir -p "$state"
dir=$(mktemp -d /tmp/vz-pgdata-XXXXXX)
chown postgres "$dir"
su postgres -s /bin/sh -c "$bin/initdb -D '$dir' -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8" >/dev/null
su postgres -s /bin/sh -c "$bin/pg_ctl -D '$dir' -l '$dir/server.log' -w -t 60 \
  -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=on -c synchronous_commit=on -c max_connections=200\" start" >/dev/null \
  || { echo "PostgreSQL did not start:" >&2; tail -20 "$dir/server.log" >&2; exit 2; }
echo "$bin" > "$state/bin"; echo "$dir" > "$state/dir"
su postgres -s /bin/sh -c "$bin/psql -h '$dir' -p $port -U postgres -qAt -v ON_ERROR_STOP=1" >/dev/null <<'SQL'
CREATE ROLE vz LOGIN PASSWORD 'vz';
CREATE DATABASE vz_test OWNER vz;
SQL
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)" >&2
echo "postgres://vz:vz@127.0.0.1:$port/vz_test?sslmode=disable"
