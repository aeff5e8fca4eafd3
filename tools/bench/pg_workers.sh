#!/usr/bin/env bash
# Ingest throughput over PostgreSQL: the same files ingested by 1 and by 2 `glint worker`
# processes (one file at a time each) on this machine, each run into a fresh database of a
# private cluster, plus the database's own CPU time per media (what bounds adding machines).
#
#   tools/bench/pg_workers.sh [GLINT] FILES...     (GLINT defaults to target/release/glint)
#
# Prints one line per run: workers, files, wall seconds, media/s, video seconds per wall
# second, the workers' CPU seconds and the PostgreSQL CPU seconds the run cost.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
glint="$root/target/release/glint"
if [ $# -gt 0 ] && [ -x "$1" ] && [ ! -d "$1" ]; then glint="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [GLINT] FILES..." >&2; exit 2; }
work="$(mktemp -d -t glint-pgw.XXXXXX)"
chmod 755 "$work"   # the cluster inside runs as an unprivileged user
cleanup() { pkill -f "$work" 2>/dev/null || true; bash "$root/scripts/postgres.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
base="$(bash "$root/scripts/postgres.sh" start "$work/pg" | tail -1)"
psql="$(cat "$work/pg/bin")/psql"
pg_cpu() {  # CPU seconds of every PostgreSQL process of the cluster so far
  ps -u glint-pg -o times= 2>/dev/null | awk '{s+=$1} END {print s+0}'
}
for n in 1 2; do
  url="${base%/*}/bench_w$n"
  "$psql" "$base" -qc "CREATE DATABASE bench_w$n" >/dev/null
  data="$work/data$n"; mkdir -p "$data"
  "$glint" --data-dir "$data" --database "$url" ingest --queue-only "$@" >/dev/null
  pids=()
  cpu0=$(pg_cpu)
  start=$(date +%s.%N)
  for i in $(seq "$n"); do
    "$glint" --data-dir "$data" --database "$url" worker --workers 1 --poll-s 0.2 >"$work/w$n-$i.log" 2>&1 &
    pids+=($!)
  done
  total=$#
  while :; do
    left=$("$psql" "$url" -tAc "SELECT count(*) FROM jobs WHERE state IN ('queued','running')")
    [ "$left" = "0" ] && break
    sleep 0.2
  done
  end=$(date +%s.%N)
  cpu1=$(pg_cpu)
  worker_cpu=$(ps -o times= -p "$(IFS=,; echo "${pids[*]}")" | awk '{s+=$1} END {print s+0}')
  video_s=$("$psql" "$url" -tAc "SELECT coalesce(sum(duration_s), 0) FROM media")
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  failed=$("$psql" "$url" -tAc "SELECT count(*) FROM jobs WHERE state = 'failed'")
  python3 - "$n" "$total" "$start" "$end" "$video_s" "$cpu0" "$cpu1" "$failed" "$worker_cpu" <<'PY'
import sys
n, total, start, end, video, cpu0, cpu1, failed, wcpu = sys.argv[1:]
wall = float(end) - float(start)
db = float(cpu1) - float(cpu0)
print(f"workers {n}: {total} files ({float(video):.0f} s of video) in {wall:.1f} s = {int(total)/wall:.2f} media/s, "
      f"{float(video)/wall:.1f}x real time; worker CPU {float(wcpu):.0f} s, PostgreSQL CPU {db:.1f} s "
      f"({100*db/max(float(wcpu),1e-9):.1f}% of the workers'); failed {failed}")
PY
done
