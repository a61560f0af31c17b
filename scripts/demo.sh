#!/usr/bin/env bash
# Set up a fresh machine and run the demo: what the cluster decides when things go wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cfg=examples/demo/cluster.yaml
state=examples/demo/state.json
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "hafailover validate $cfg"
hafailover validate "$cfg"

step "n1 dies: it is fenced, then the web group moves (hactl simulate --node-down n1)"
hactl simulate "$cfg" --state "$state" --node-down n1

step "haproxy fails on n1 for the third time: migration-threshold 3 moves web away"
hactl simulate "$cfg" --state "$state" --fail haproxy:n1 --fail haproxy:n1 --fail haproxy:n1

step "why web stays on n1 while all is well (hactl simulate --scores)"
hactl simulate "$cfg" --state "$state" --scores --format text | sed -n '/Allocation Scores/,/^$/p'
