"""Every operating-system path and binary location hafailover uses, in one place.

Each can be overridden by an environment variable of the same name prefixed with
``HAFAILOVER_`` (for example ``HAFAILOVER_OCF_ROOT``), which the tests and the lab use.
"""

from __future__ import annotations

import os


def _env(name: str, default: str) -> str:
    return os.environ.get(f"HAFAILOVER_{name}", default)


OCF_ROOT = _env("OCF_ROOT", "/usr/lib/ocf")
OCF_PROVIDER = "hafailover"  # our agents live in $OCF_ROOT/resource.d/hafailover/
CONFIG_FILE = _env("CONFIG_FILE", "/etc/hafailover/cluster.yaml")
STATE_DIR = _env("STATE_DIR", "/var/lib/hafailover")
RUN_DIR = _env("RUN_DIR", "/run/hafailover")
# hafailover lab: where a lab's configuration, keys, node directories and logs go
LAB_DIR = _env("LAB_DIR", "/var/lib/hafailover-lab")

# --- the executor (hafailover.executor) -----------------------------------------------
# OCF_FUNCTIONS_DIR as the agents see it: where ocf-shellfuncs lives.
OCF_FUNCTIONS_DIR = _env("OCF_FUNCTIONS_DIR", f"{OCF_ROOT}/lib/heartbeat")
# PATH given to every agent; the daemon's own environment is never passed on.
AGENT_PATH = _env("AGENT_PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
# HA_RSCTMP given to agents (where Dummy and others keep state); "" keeps the agents'
# default, /run/resource-agents. The lab gives each node its own.
RESOURCE_TMP = _env("RESOURCE_TMP", "")
# builtin:NAME agents are the Python modules hafailover.agents.NAME.
BUILTIN_AGENT_PACKAGE = "hafailover.agents"
# iproute2, used to run an agent inside a network namespace (ip netns exec NS ...).
IP_BINARY = _env("IP_BINARY", "/usr/sbin/ip")
KEY_DIR = _env("KEY_DIR", "/etc/hafailover/keys")  # cluster.key, ca.crt, NODE.crt/.key
STATE_FILE_NAME = "cluster-state.json"  # in STATE_DIR: the replicated state (docs/state.md)
CONTROL_SOCKET_NAME = "control.sock"  # in RUN_DIR: hactl and the lab talk to the agent here
# the kernel watchdog, used when it exists (else the software watchdog alone)
WATCHDOG_DEVICE = _env("WATCHDOG_DEVICE", "/dev/watchdog")
