#!/usr/bin/env bash
# Start or stop the cluster profile's services on ONE machine, for the cluster test and CI:
# a throwaway PostgreSQL (Dagster run/event storage + the DuckLake catalog) and a Redis broker
# for Celery, both on 127.0.0.1, on free ports, with all state under DIR.
#
#   scripts/cluster_services.sh start DIR   # prints shell assignments (also written to DIR/env)
#   scripts/cluster_services.sh stop DIR    # stops both; safe to call twice
#   scripts/cluster_services.sh install     # only install the Debian packages if missing (setup.sh --test)
#
# Why a script and not the Debian services: CI and the test must not touch (or depend on) a
# system-wide instance, and must leave nothing running.  PostgreSQL refuses to run as root, so
# as root it runs as the `postgres` user the Debian package creates.  Redis keeps nothing on
# disk (no RDB, no AOF): the broker only carries step messages of a run in flight.
# Missing packages are installed with apt-get when running as root; otherwise it says which.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR, or $0 install" >&2; exit 2; }
ACTION=${1:-}
DIR=${2:-}
[ "$ACTION" = install ] || [ $# -eq 2 ] || usage

pg_bin() {
  local found
  for found in /usr/lib/postgresql/*/bin; do
    [ -x "$found/pg_ctl" ] && { echo "$found"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

ensure_packages() {
  local missing=()
  pg_bin >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # --no-install-recommends and policy-rc.d: install the binaries, start no system service.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 \
      || { rm -f /usr/sbin/policy-rc.d; echo "cluster_services: apt-get could not install ${missing[*]}" >&2; exit 3; }
    rm -f /usr/sbin/policy-rc.d
  else
    echo "cluster_services: missing ${missing[*]} (install them, or run as root with apt-get)" >&2
    exit 3
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

as_pg_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  ensure_packages
  local bin pg_port redis_port
  bin=$(pg_bin)
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  chmod 755 "$DIR"   # the postgres user must reach its data folder inside
  pg_port=$(free_port)
  redis_port=$(free_port)

  mkdir -p "$DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg"
  chmod 700 "$DIR/pg"
  if [ ! -f "$DIR/pg/data/PG_VERSION" ]; then
    as_pg_user "$bin/initdb" -D "$DIR/pg/data" -U dougchat --auth=trust --encoding=UTF8 --no-sync >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 4; }
  fi
  # TCP on loopback only, no Unix socket (its default folder may not exist or be shared).
  as_pg_user "$bin/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories='' -c fsync=off -c max_connections=200" \
    start >&2 || { cat "$DIR/pg/server.log" >&2; exit 4; }
  for db in dagster lake; do
    psql -h 127.0.0.1 -p "$pg_port" -U dougchat -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
      || psql -h 127.0.0.1 -p "$pg_port" -U dougchat -d postgres -qc "CREATE DATABASE $db" >&2
  done

  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize yes \
    --dir "$DIR" --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >&2
  for _ in $(seq 100); do
    redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$redis_port" ping | grep -q PONG || { cat "$DIR/redis.log" >&2; exit 5; }

  cat >"$DIR/env" <<EOF
DOUGCHAT_PG_URL=postgresql+psycopg2://dougchat@127.0.0.1:$pg_port/dagster
DOUGCHAT_LAKE_CATALOG='postgres:dbname=lake host=127.0.0.1 port=$pg_port user=dougchat'
DOUGCHAT_CELERY_BROKER=redis://127.0.0.1:$redis_port/0
DOUGCHAT_CELERY_BACKEND=redis://127.0.0.1:$redis_port/1
EOF
  cat "$DIR/env"
}

stop() {
  [ -d "$DIR" ] || return 0
  local bin
  if [ -f "$DIR/pg/data/postmaster.pid" ] && bin=$(pg_bin); then
    as_pg_user "$bin/pg_ctl" -D "$DIR/pg/data" -m immediate -w -t 30 stop >&2 || true
  fi
  if [ -f "$DIR/redis.pid" ]; then
    kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
    rm -f "$DIR/redis.pid"
  fi
}

case "$ACTION" in
  install) ensure_packages ;;
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
