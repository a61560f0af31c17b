#!/usr/bin/env bash
# Set up a fresh machine (scripts/setup.sh) and run every check: lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"; python3 -m ruff check src tests bench
echo "== mypy"; python3 -m mypy
echo "== lint-imports"; lint-imports --no-cache
if (($#)); then
  echo "== pytest $*"; python3 -m pytest "$@"
  exit
fi
echo "== pytest (tier 0 and tier 1)"; python3 -m pytest -m "not chaos"
echo "== pytest (chaos: containers, a separate step)"; python3 -m pytest -m chaos
