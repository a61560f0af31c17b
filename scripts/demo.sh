#!/usr/bin/env bash
# Set up a fresh machine and show a failover: a 3-node cluster in network namespaces
# serves http://VIP/ (a VIP and haproxy in front of two backends); a client asks every
# 100 ms who answers while the node holding the VIP loses its power.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HAFAILOVER_LAB_DIR="${HAFAILOVER_LAB_DIR:-/var/lib/hafailover-lab}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

hafailover lab down >/dev/null 2>&1 || true
step "hafailover lab up: 3 nodes, a client, the demo service"
hafailover lab up
where() {  # the node running the VIP, from the lab's JSON status
  hafailover lab status --format json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print((r["cluster"]["resources"].get("vip") or ["-"])[0])'
}
vip=$(hafailover lab status --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vip"])')
holder=$(where)

step "hactl status, as $holder sees the cluster"
hafailover lab exec "$holder" -- hactl status

step "a client asks http://$vip/ every 100 ms; in 2 s $holder loses its power (hafailover lab kill $holder)"
hafailover lab exec client -- python3 -m hafailover.lab.poll --url "http://$vip/" --every 0.1 --seconds 8 &
poller=$!
sleep 2
hafailover lab kill "$holder"
wait "$poller"

step "hactl status after the failover: $holder was fenced, web runs elsewhere"
survivor=$(where)
hafailover lab exec "$survivor" -- hactl status

step "done: the lab stays up (hafailover lab status); remove it with: hafailover lab down"
