#!/usr/bin/env bash
# Set up a fresh machine (scripts/setup.sh) and run every check: lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"; python3 -m ruff check src tests bench
echo "== mypy"; python3 -m mypy
echo "== pytest"; python3 -m pytest "$@"
