#!/usr/bin/env bash
# Copies of still footage: does a whole-frame box on a slideshow clip find its repost?
#
# Each of four composited clips of ../shared/eval/videos_composited_faces (still shots of
# 2.5 s) is re-encoded four ways with the ffmpeg command (downscaled and/or compressed again);
# each pair is indexed into a library of its own, and a whole-frame box at 1.0, 3.5, 6.0 and
# 9.0 s (one per shot) is searched. Prints how many of the 64 boxes list the repost under
# `copies`, and the copy search's own time (p50 / p95 / max, from `GLINT_LOG=glint_search=debug`).
#
# Usage: tools/eval/still_copies.sh [GLINT_BINARY] [WORK_DIR]
set -euo pipefail
glint=${1:-target/release/glint}
work=${2:-$(mktemp -d)}
eval_dir=$(cd "$(dirname "$0")/../../../shared/eval" && pwd)
mkdir -p "$work"
found=0 total=0 times=()
for v in v000 v003 v007 v010; do
  clip="$eval_dir/videos_composited_faces/videos/$v.mp4"
  for spec in "640:360 23" "1280:720 32" "960:540 28" "640:360 30"; do
    read -r size crf <<<"$spec"
    lib="$work/${v}_${size/:/x}_crf$crf"
    if [ ! -d "$lib" ]; then
      ffmpeg -loglevel error -y -i "$clip" -vf "scale=$size" -c:v libx264 -crf "$crf" -an "$lib.mp4"
      "$glint" --data-dir "$lib" ingest --json "$clip" "$lib.mp4" >/dev/null
    fi
    id=$("$glint" --data-dir "$lib" media list --json |
      python3 -c "import json,sys; print(next(m['id'] for m in json.load(sys.stdin) if m['path'].endswith('$v.mp4')))")
    for t in 1.0 3.5 6.0 9.0; do
      answer=$(GLINT_LOG=glint_search=debug "$glint" --data-dir "$lib" search --video "$id" --at "$t" \
        --box 0,0,1280,720 --json 2>"$work/log")
      n=$(python3 -c "import json,sys; print(len(json.loads(sys.argv[1])['copies']))" "$answer")
      times+=("$(sed 's/\x1b\[[0-9;]*m//g' "$work/log" | sed -n 's/.*copies found ms=\([0-9.]*\).*/\1/p')")
      total=$((total + 1)) found=$((found + n))
    done
  done
done
echo "repost found as a copy for $found of $total whole-frame boxes"
printf '%s\n' "${times[@]}" | sort -n |
  awk '{a[NR]=$1} END {printf "copy search ms: p50 %.1f, p95 %.1f, max %.1f\n", a[int(NR/2)+1], a[int(NR*0.95)+1], a[NR]}'
