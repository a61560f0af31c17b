#!/usr/bin/env bash
# Install everything hafailover, its demo and its tests need on a fresh Debian 12 machine.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  pacemaker-cli-utils   # crm_simulate: the scheduler is checked against Pacemaker's
  pacemaker-resource-agents   # ocf:pacemaker:Stateful: promotion through crm_attribute
  resource-agents       # ocf:heartbeat:* agents and ocf-tester: compatibility tests
  libxml2-utils         # xmllint: ocf-tester checks the agents' metadata with it; tomcat's validate
  iproute2 nftables     # namespaces, veth, bridges; loss and partitions in the lab
  haproxy varnish mariadb-server tomcat10 glusterfs-server   # the servers our agents manage
  keepalived            # bench/failover.py measures it side by side with hafailover
  fence-agents          # fence_* agents: their metadata and protocol are tested
  podman runc           # fence_container and the compose clusters
  debootstrap           # the container image is built offline from Debian packages
  curl procps psmisc
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # services must not start at install time: the tests start their own instances
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'

# Every command the tests call, checked here so that a missing package fails the set-up
# with its name rather than tests, deep in a run, with "not found".
REQUIRED_COMMANDS=(ip nft xmllint ocf-tester crm_simulate crm_attribute haproxy varnishd
                   mariadbd glusterd keepalived fence_dummy podman runc debootstrap curl
                   pgrep killall)
missing_commands=()
for command in "${REQUIRED_COMMANDS[@]}"; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "$command" >/dev/null \
    || missing_commands+=("$command")
done
if ((${#missing_commands[@]})); then
  echo "setup: these commands are still missing after the install: ${missing_commands[*]}" >&2
  echo "setup: add the Debian package that provides each to APT_PACKAGES in $0" >&2
  exit 1
fi
