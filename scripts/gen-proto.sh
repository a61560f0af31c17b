#!/usr/bin/env bash
# Regenerate the gRPC code in src/hafailover/v1/ from proto/ (needs grpcio-tools).
# Usage: scripts/gen-proto.sh [OUTPUT_ROOT]   (default: src; the tests generate into a
# temporary directory and compare, so CI fails when the committed code is stale)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-src}"
mkdir -p "$out/hafailover/v1"
python3 -m grpc_tools.protoc -Iproto --python_out="$out" --grpc_python_out="$out" \
  --pyi_out="$out" proto/hafailover/v1/*.proto
printf '"""Generated from proto/hafailover/v1 by scripts/gen-proto.sh: do not edit."""\n' \
  > "$out/hafailover/v1/__init__.py"
