#!/usr/bin/env bash
# Create .venv and install roadlabel into it (with the test tools when given "test").
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: roadlabel needs Python >= 3.11 ($PY is $("$PY" -V 2>&1)); set PYTHON=python3.11" >&2
  exit 2
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
  # The report test opens the HTML report in headless Chromium (Debian's package).
  if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq chromium >/dev/null || echo "note: could not install chromium"
  fi
  # openssl makes the throwaway CA of the TLS tests; git backs the embedded dataset repository.
  # buf (proto lint) comes from the npm registry when npm is there; the test says if not.
  if command -v npm >/dev/null 2>&1 && [ ! -x .tools/node_modules/.bin/buf ]; then
    npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@1.75.0 \
      >/dev/null 2>&1 || echo "note: could not install buf from npm; the lint test will say so"
  fi
else
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
fi
