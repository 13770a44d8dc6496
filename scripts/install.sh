#!/usr/bin/env bash
# Create .venv (if missing) and install coevolve with everything it needs, from scratch.
# ocatari goes in with --no-deps: its own requirements pull heavy extras that RAM mode does not
# use (pandas, seaborn, scikit-learn, keyboard, pyfiglet, opencv-python with GUI libraries).
# highway-env (the driving domain) also goes in with --no-deps: it declares pygame-ce.
set -euo pipefail
cd "$(dirname "$0")/.."
# bubblewrap: the operating-system wall around generated programs (--sandbox auto uses it when
# it works). Installed here as root with apt; otherwise coevolve warns and falls back.
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null; } ||
      echo "install.sh: could not install bubblewrap with apt; runs fall back to --sandbox process" >&2
  else
    echo "install.sh: bubblewrap (bwrap) is not installed; install it (e.g. sudo apt-get install bubblewrap)" \
         "for the full sandbox, or runs fall back to --sandbox process with a warning" >&2
  fi
fi
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
.venv/bin/python -m pip install -q --no-deps "ocatari==2.2.1"
# highway-env declares pygame-ce, which would overwrite pygame's files: its real deps are in pyproject
.venv/bin/python -m pip install -q --no-deps "highway-env==1.12.*"
# exactly one of pygame / pygame-ce: refuse to continue if both ended up installed
if .venv/bin/python -m pip show -q pygame-ce >/dev/null 2>&1; then
  echo "install.sh: pygame-ce is installed beside pygame; remove it (pip uninstall pygame-ce pygame; then rerun)" >&2
  exit 1
fi
