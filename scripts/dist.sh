#!/usr/bin/env bash
# Glint's release layout, used by `make dist`, `make install` and the dist test:
#   PREFIX/bin/glint
#   PREFIX/share/glint/models/{manifest.json, the files it names (libonnxruntime included), samples/}
#   PREFIX/share/doc/glint/README.md
# The binary finds its models in ../share/glint/models, so the folder runs wherever it lies.
#
#   scripts/dist.sh layout DIR [BINARY]   lay the files out in DIR (BINARY: target/release/glint)
#   scripts/dist.sh tarball               build release, write dist/glint-VERSION-TRIPLE.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."

MODELS=${GLINT_MODELS_DIR:-models}

layout() {
  local dest=$1 binary=${2:-target/release/glint}
  [[ -x $binary ]] || { echo "dist: $binary is missing (build it first)" >&2; exit 1; }
  [[ -f $MODELS/manifest.json ]] || { echo "dist: no models in $MODELS (run make setup)" >&2; exit 1; }
  mkdir -p "$dest/bin" "$dest/share/glint/models" "$dest/share/doc/glint"
  install -m 755 "$binary" "$dest/bin/glint"
  # Only what the manifest names (checked by `glint models verify`), plus the sample images the
  # verification runs on: never a stray download or a conversion leftover.
  python3 - "$MODELS/manifest.json" <<'PY' | while IFS= read -r file; do
import json, sys
def files(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "file" and isinstance(value, str):
                yield value
            else:
                yield from files(value)
    elif isinstance(node, list):
        for value in node:
            yield from files(value)
for f in files(json.load(open(sys.argv[1]))):
    print(f)
PY
    install -D -m 644 "$MODELS/$file" "$dest/share/glint/models/$file"
  done
  install -m 644 "$MODELS/manifest.json" "$dest/share/glint/models/manifest.json"
  if [[ -d $MODELS/samples ]]; then
    mkdir -p "$dest/share/glint/models/samples"
    cp -R "$MODELS/samples/." "$dest/share/glint/models/samples/"
  fi
  install -m 644 README.md "$dest/share/doc/glint/README.md"
  [[ -f LICENSE ]] && install -m 644 LICENSE "$dest/share/doc/glint/LICENSE"
  return 0
}

case ${1:-} in
  layout)
    [[ -n ${2:-} ]] || { echo "usage: $0 layout DIR [BINARY]" >&2; exit 2; }
    layout "$2" "${3:-}"
    ;;
  tarball)
    echo "==> building glint (release)"
    ${CARGO:-cargo} build --release --bin glint
    version=$(target/release/glint --version | awk '{print $2}')
    triple=$(rustc -vV | sed -n 's/^host: //p')
    name="glint-$version-$triple"
    rm -rf "dist/$name" && mkdir -p dist
    layout "dist/$name" target/release/glint
    tar -C dist -czf "dist/$name.tar.gz" "$name"
    rm -rf "dist/$name"
    echo "==> dist/$name.tar.gz ($(du -h "dist/$name.tar.gz" | cut -f1)); unpack anywhere and run $name/bin/glint"
    ;;
  *)
    echo "usage: $0 layout DIR [BINARY] | tarball" >&2
    exit 2
    ;;
esac
