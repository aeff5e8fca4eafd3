#!/usr/bin/env bash
# Runs a command with a private PostgreSQL + pgvector cluster for its tests: started in a
# temporary directory on a free loopback port (scripts/postgres.sh), named in
# GLINT_TEST_PG_URL, stopped and removed when the command ends, whatever its outcome.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d -t glint-pg.XXXXXX)"
cleanup() { bash "$here/postgres.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
echo "==> private PostgreSQL cluster for the tests in $dir"
GLINT_TEST_PG_URL="$(bash "$here/postgres.sh" start "$dir" | tail -1)"
export GLINT_TEST_PG_URL
echo "    $GLINT_TEST_PG_URL"
"$@"
