#!/usr/bin/env bash
# End-to-end tests of the web UI in headless Chromium (`make e2e`; `make test` runs it too).
# Installs what is missing (Debian's chromium, e2e/node_modules, the glint binary), then runs
# `node --test e2e/`. Screenshots go to test-artifacts/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/chromium ]]; then
  echo "==> installing chromium (apt)"
  SUDO=; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq && $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# playwright-core ships no browser and downloads none; Debian's chromium is used.
stamp=e2e/node_modules/.glint-lock.sha256
want=$(sha256sum e2e/package-lock.json | cut -d' ' -f1)
if [[ ! -d e2e/node_modules/playwright-core || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "==> npm ci --prefix e2e"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix e2e --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# The dev profile is optimised (see Cargo.toml) and `cargo test` has just built it: reusing it
# saves CI a second full build in the release profile. Cargo rebuilds only what changed.
echo "==> building glint (dev profile)"
${CARGO:-cargo} build --bin glint
export GLINT_BIN="$PWD/target/debug/glint"

mkdir -p test-artifacts/e2e
echo "==> node --test e2e/ (headless Chromium; screenshots in test-artifacts/e2e/)"
set +e
node --test --test-reporter=spec e2e/ 2>&1 | tee test-artifacts/e2e/node-test.log
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^ℹ (tests|pass|fail|skipped|duration_ms) ' test-artifacts/e2e/node-test.log | sed 's/^ℹ //' | paste -sd' ' -)
echo "==> e2e: ${summary:-no summary} (exit ${rc})"
exit "$rc"
