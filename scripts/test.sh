#!/usr/bin/env bash
# Set everything up, then run lint, type checks and every test tier. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export GRPC_VERBOSITY=ERROR
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/pytest "$@"
