#!/usr/bin/env bash
# Set up a fresh machine and run the demo: what the placement engine decides when a node dies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cfg=examples/demo/cluster.yaml
echo "== hafailover validate $cfg"
hafailover validate "$cfg"
echo
echo "== hactl simulate $cfg --state examples/demo/state.json --node-down n1 --scores"
hactl simulate "$cfg" --state examples/demo/state.json --node-down n1 --scores
