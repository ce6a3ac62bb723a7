# Sourced by .ci/run (bash, set -euo pipefail): a private PostgreSQL for the store tests.
# Installs Debian's postgresql when no server binaries are found, runs initdb (as the postgres
# user when this is root: the server refuses to run as root) into a temporary directory with
# password authentication on 127.0.0.1 and a random password, starts it on a random free
# loopback port, and exports TUTOR_TEST_DATABASE_URL (a superuser URL; the tests make a
# database of their own per test from it). The stop command goes into ci_cleanup.
# Standalone: `source .ci/services/postgres.sh` in a bash; `eval "${ci_cleanup[@]}"` stops it.

_pg_setup() {
  local bin sudo="" dir port password as=()
  [ "$(id -u)" = 0 ] || sudo="sudo"
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "ci: postgres: installing postgresql with apt"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  dir="$(mktemp -d /tmp/tutor-pg-XXXXXX)"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    as=(runuser -u postgres --)
  fi
  password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  printf '%s\n' "$password" >"$dir/pw"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/pw"
  chmod 600 "$dir/pw"
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --no-instructions >"$dir/initdb.log"
  rm -f "$dir/pw"
  port="$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off" start >/dev/null
  ci_cleanup+=("${as[*]} '$bin/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null; rm -rf '$dir'")
  export TUTOR_TEST_DATABASE_URL="postgresql+psycopg://postgres:$password@127.0.0.1:$port/postgres"
  export TUTOR_CI_SERVICES="$TUTOR_CI_SERVICES,postgres"
  echo "ci: postgres: $("$bin/postgres" --version) on 127.0.0.1:$port (data in $dir)"
}
_pg_setup
unset -f _pg_setup
