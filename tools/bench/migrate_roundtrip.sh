#!/usr/bin/env bash
# `glint migrate` round trip of a library (by default the one `make demo` builds): embedded ->
# PostgreSQL -> a new embedded library, comparing counts (media, tracks, vectors, tokens,
# opt-outs, stores, products) and the answers to searches by every indexed photo on all three.
#
#   tools/bench/migrate_roundtrip.sh [GLINT] DATA_DIR      (GLINT defaults to target/release/glint)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
glint="$root/target/release/glint"
if [ $# -gt 1 ]; then glint="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [GLINT] DATA_DIR" >&2; exit 2; }
src="$(cd "$1" && pwd)"
work="$(mktemp -d -t glint-mig.XXXXXX)"; chmod 755 "$work"
cleanup() { bash "$root/scripts/postgres.sh" stop "$work/pg" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
url="$(bash "$root/scripts/postgres.sh" start "$work/pg" | tail -1)"
back="$work/back"
echo "== migrate --to"; /usr/bin/time -f "%e s" "$glint" --data-dir "$src" migrate --to "$url"
echo "== migrate --from"; /usr/bin/time -f "%e s" "$glint" --data-dir "$back" migrate --from "$url" --files "$src"
python3 - "$glint" "$src" "$url" "$back" <<'PY'
import json, subprocess, sys
glint, src, url, back = sys.argv[1:]
libs = {"embedded": ["--data-dir", src], "postgres": ["--data-dir", src, "--database", url], "back": ["--data-dir", back]}
def run(lib, *args):
    out = subprocess.run([glint, *libs[lib], *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out)
def summary(lib):
    media = run(lib, "media", "list", "--json")
    cat = run(lib, "catalog", "list", "--json")
    return {
        "media": len(media),
        "tracks": sum(m["tracks"] for m in media),
        "vectors": sum(m["vectors"] for m in media),
        "tokens": len(run(lib, "tokens", "list", "--json")),
        "stores": len(cat.get("stores", [])) if isinstance(cat, dict) else len(cat),
        "products": len(cat.get("products", [])) if isinstance(cat, dict) else None,
    }, media
sums = {}
for lib in libs:
    sums[lib], media = summary(lib)
    print(lib, sums[lib])
assert sums["embedded"] == sums["postgres"] == sums["back"], sums
photos = [m for m in media if m["kind"] == "image"]
same = 0
for m in photos:
    answers = []
    for lib in libs:
        r = run(lib, "search", "--image", m["path"], "--json")
        answers.append([(g["route"], [(h["media_id"], round(h["score"], 3)) for h in g["hits"]]) for g in r["groups"]]
                       + [("products", [(p.get("store_id"), p.get("product_id")) for p in r.get("products", [])])])
    if answers[0] == answers[1] == answers[2]:
        same += 1
    else:
        print("differs:", m["path"]); print(answers[0]); print(answers[1]); print(answers[2])
print(f"searches by {len(photos)} photos: {same} answered identically on all three libraries")
PY
