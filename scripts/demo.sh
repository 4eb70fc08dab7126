#!/usr/bin/env bash
# Set everything up, then run the end-to-end demo on the embedded stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/roadlabel demo "$@"
