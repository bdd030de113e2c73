#!/usr/bin/env bash
# A development PostgreSQL for the balances path of the cluster guide (README.md), as
# gale-kafka-dev is a development Kafka: Debian's `postgresql` binaries (scripts/setup.sh
# installs them), a cluster of its own, listening on 127.0.0.1 only, one role `gale` with a
# random password (SCRAM) in ${GALE_RUN_DIR:-./gale-run}/postgres.password (0600). Its data is in
# gale-run/postgres; run as root, the server runs as `nobody` (PostgreSQL refuses root), which
# cannot enter gale-run (0700), so the data is in /var/tmp/gale-postgres-dev (0700, nobody's).
# Not for production: no backups, no replication, no tuning.
#   scripts/postgres-dev.sh start [PORT]    (default 5433; the data stays across stop/start)
#   scripts/postgres-dev.sh stop
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
run="${GALE_RUN_DIR:-$root/gale-run}"
password="$run/postgres.password"
if [[ $(id -u) -eq 0 ]]; then dir=/var/tmp/gale-postgres-dev; else dir="$run/postgres"; fi
die() {
  echo "postgres-dev: $*" >&2
  exit 1
}

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[[ -x "$bin/pg_ctl" ]] || die "no PostgreSQL in /usr/lib/postgresql (run scripts/setup.sh)"

# Runs its arguments as the server's user: nobody when root, else the caller.
as_server() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
start)
  port="${2:-5433}"
  [[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65535)) ||
    die "port '$port': expected a number from 1024 to 65535"
  mkdir -p "$dir" "$run"
  if [[ $(id -u) -eq 0 ]]; then chown nobody "$dir"; fi
  chmod 0700 "$dir"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    umask 077
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$password"
    # initdb reads the password from a file the server's user can read; removed after.
    install -m 0600 "$password" "$dir/initdb.password"
    if [[ $(id -u) -eq 0 ]]; then chown nobody "$dir/initdb.password"; fi
    as_server "$bin/initdb" -D "$dir/data" -U gale --auth=scram-sha-256 \
      --pwfile="$dir/initdb.password" >"$dir/initdb.log" 2>&1 ||
      die "initdb failed; see $dir/initdb.log"
    rm -f "$dir/initdb.password"
  fi
  [[ -f "$password" ]] || die "$password is missing: delete $dir for a fresh cluster"
  as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w start \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir" >/dev/null ||
    die "the server did not start; see $dir/postgres.log"
  echo "postgres-dev: 127.0.0.1:$port, database postgres, user gale, password in $password"
  ;;
stop)
  [[ -f "$dir/data/postmaster.pid" ]] || die "not running (no $dir/data/postmaster.pid)"
  as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  echo "postgres-dev: stopped"
  ;;
*)
  die "usage: scripts/postgres-dev.sh start [PORT] | stop"
  ;;
esac
