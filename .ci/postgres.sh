#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the ledger tests and print how to reach it.
#
#   eval "$(bash .ci/postgres.sh)"     # sets SMSSPEC_TEST_POSTGRES=postgresql://...
#
# Idempotent: installs the Debian `postgresql` package if it is missing (apt-get;
# root needed only then), and reuses a server this script started earlier that
# still answers (its address is kept in $SMSSPEC_PG_DIR/url). Otherwise it makes
# a new cluster in a temporary folder owned by the `postgres` user, on a free
# loopback port, with trust authentication for local TCP, and a database
# `smsspec_test`. Only the `export ...` line goes to stdout; progress goes to
# stderr. Stop it with: pg_ctl -D "$SMSSPEC_PG_DIR/data" stop (as postgres).
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ]; then
  say "installing the Debian postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(pg_bin)"
[ -x "$BIN/initdb" ] || { say "no initdb under /usr/lib/postgresql/*/bin"; exit 1; }

DIR="${SMSSPEC_PG_DIR:-${TMPDIR:-/tmp}/smsspec-pg}"
as_pg() {
  if [ "$(id -u)" = "0" ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

if [ -f "$DIR/url" ] && as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
  URL="$(cat "$DIR/url")"
  PORT="${URL##*:}"; PORT="${PORT%%/*}"
  if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    say "reusing the server in $DIR"
    echo "export SMSSPEC_TEST_POSTGRES=$URL"
    exit 0
  fi
fi

# A fresh cluster: stop and remove what an earlier run of this script left.
if [ -d "$DIR/data" ]; then
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
fi
rm -rf "$DIR"
mkdir -p "$DIR"
if [ "$(id -u)" = "0" ]; then chown postgres: "$DIR"; fi

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=200 -c fsync=on" start >&2 \
  || { cat "$DIR/server.log" >&2; exit 1; }
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres smsspec_test
URL="postgresql://postgres@127.0.0.1:$PORT/smsspec_test"
echo "$URL" >"$DIR/url"
say "server on 127.0.0.1:$PORT (data in $DIR/data)"
echo "export SMSSPEC_TEST_POSTGRES=$URL"
