"""Entry point of the compose clusters' image: a node, or the idle client.

``node`` (the default) turns the container's environment into the node's files and runs
the agent under a small init (this process, PID 1) that forwards SIGTERM to the agent,
reaps the orphans that daemonised resources leave, and exits with the agent's status:

- ``/etc/hafailover/cluster.yaml``: the cluster of ``CLUSTER_NODES`` with the group
  ``web`` (the VIP ``CLUSTER_VIP`` and haproxy) and two instances of the record store
  (``store.py``), fenced through ``fence_container`` (containers named
  ``FENCE_CONTAINER``, ``{plug}`` standing for the node);
- ``/etc/haproxy/compose.cfg``: haproxy on the VIP's port 80, balancing over the record
  store on every node;
- ``/etc/hafailover/keys/``: this node's keys, taken from ``SHARED_DIR/keys``, which the
  first node to start creates (under a lock) for the whole cluster.

``progres`` does the same for the reference platform of examples/progres (progres.py).

``idle`` waits for SIGTERM: the client container, where the chaos suite runs its
writer and ARP watcher with ``exec``.

Environment: ``NODE_NAME`` (default: the host name), ``CLUSTER_NAME`` (``compose``),
``CLUSTER_NODES`` (``n1=10.213.7.11,n2=...``), ``CLUSTER_VIP``, ``FENCE_CONTAINER``,
``SHARED_DIR`` (``/srv/shared``), ``STORE_PORT`` (``8080``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

CONFIG = Path("/etc/hafailover/cluster.yaml")
KEY_DIR = Path("/etc/hafailover/keys")
HAPROXY_CFG = Path("/etc/haproxy/compose.cfg")
STORE_SCRIPT = Path(__file__).resolve().parent / "store.py"
HEARTBEAT_GROUP = "239.192.213.1"


def parse_nodes(text: str) -> list[tuple[str, str]]:
    """``n1=10.0.0.1,n2=10.0.0.2`` -> [("n1", "10.0.0.1"), ("n2", "10.0.0.2")]."""
    nodes = []
    for item in text.replace(" ", ",").split(","):
        if item:
            name, sep, address = item.partition("=")
            if not sep or not name or not address:
                raise ValueError(f"CLUSTER_NODES: {item!r} is not NAME=ADDRESS")
            nodes.append((name, address))
    if not nodes:
        raise ValueError("CLUSTER_NODES is empty")
    return nodes


def cluster_head(name: str, node_lines: str, fence_container: str) -> str:
    """What both compose clusters share, up to ``resources:``: multicast heartbeats,
    fencing through the container engine, the resource defaults."""
    return f"""\
cluster: {{name: {name}}}
nodes:
{node_lines}
heartbeat:
  interval: 100ms
  dead-time: 1s
  transport: multicast
  links:
    - {{name: ring0, multicast-group: {HEARTBEAT_GROUP}, port: 5405}}
peer: {{probe-timeout: 500ms}}
properties:
  stonith-enabled: true
  no-quorum-policy: stop
fencing:
  devices:
    - {{id: engine, agent: fence_container, timeout: 30s,
       params: {{runtime: docker, container: "{fence_container}"}}}}
resource-defaults:
  resource-stickiness: 100
  migration-threshold: 3
  failure-timeout: 60s
resources:
"""


def web_group(vip: str, haproxy_cfg: Path) -> str:
    """The group ``web``: the VIP and haproxy (configured by ``haproxy_cfg``) on it."""
    return f"""\
  - group: web
    members:
      - primitive: vip
        agent: builtin:vip
        params: {{ip: {vip}}}
        operations:
          - {{name: monitor, interval: 2s, timeout: 10s}}
      - primitive: haproxy
        agent: ocf:hafailover:haproxy
        params: {{config: {haproxy_cfg}, grace: "2"}}
        operations:
          - {{name: monitor, interval: 2s, timeout: 10s}}
"""


def cluster_yaml(name: str, nodes: list[tuple[str, str]], vip: str, fence_container: str,
                 store_dir: str, store_port: int) -> str:
    node_lines = "\n".join(f"  - {{name: {n}, addresses: {{ring0: {a}}}}}" for n, a in nodes)
    store_cmd = f"{STORE_SCRIPT} --port {store_port} --dir {store_dir}"
    return cluster_head(name, node_lines, fence_container) + web_group(vip, HAPROXY_CFG) + f"""\
  - clone: store-clone
    clone-max: 2
    resource:
      primitive: store
      agent: ocf:heartbeat:anything
      params:
        binfile: {sys.executable}
        cmdline_options: "{store_cmd}"
      operations:
        - {{name: monitor, interval: 2s, timeout: 10s}}
"""


def haproxy_cfg(vip: str, nodes: list[tuple[str, str]], store_port: int) -> str:
    servers = "\n".join(f"    server {n} {a}:{store_port} check inter 500ms fall 2 rise 2"
                        for n, a in nodes)
    return f"""\
global
    maxconn 512

defaults
    mode http
    timeout connect 300ms
    timeout client 10s
    timeout server 5s
    retries 3
    option redispatch
    retry-on conn-failure empty-response response-timeout 503

frontend web
    bind {vip}:80
    default_backend stores

backend stores
    balance roundrobin
    option httpchk GET /health
{servers}
"""


def install_keys(shared: Path, config: Path, node: str) -> None:
    """Create the cluster's keys in ``shared/keys`` unless another node did, then copy
    this node's into KEY_DIR."""
    source = shared / "keys"
    shared.mkdir(parents=True, exist_ok=True)
    with (shared / "keys.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (source / "ca.crt").exists():
            subprocess.run(["hafailover", "keygen", "--config", str(config), "--out",
                            str(source)], check=True, stdout=subprocess.DEVNULL)
    KEY_DIR.mkdir(parents=True, exist_ok=True)
    os.chmod(KEY_DIR, 0o700)
    for name in ("cluster.key", "ca.crt", f"{node}.crt", f"{node}.key"):
        shutil.copyfile(source / name, KEY_DIR / name)
        os.chmod(KEY_DIR / name, 0o600)


def node_name(env: Mapping[str, str]) -> str:
    return env.get("NODE_NAME") or socket.gethostname().split(".")[0]


def write_files(env: Mapping[str, str]) -> str:
    node = node_name(env)
    nodes = parse_nodes(env.get("CLUSTER_NODES", ""))
    vip = env["CLUSTER_VIP"]
    shared = Path(env.get("SHARED_DIR", "/srv/shared"))
    port = int(env.get("STORE_PORT", "8080"))
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(cluster_yaml(env.get("CLUSTER_NAME", "compose"), nodes, vip,
                                   env.get("FENCE_CONTAINER", "{plug}"),
                                   str(shared / "store"), port))
    HAPROXY_CFG.parent.mkdir(parents=True, exist_ok=True)
    HAPROXY_CFG.write_text(haproxy_cfg(vip, nodes, port))
    (shared / "store").mkdir(parents=True, exist_ok=True)
    install_keys(shared, CONFIG, node)
    return node


def supervise(argv: list[str]) -> int:
    """Run ``argv`` as PID 1's only child: forward SIGTERM and SIGINT, reap everything,
    return its exit status."""
    child = subprocess.Popen(argv)

    def forward(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue
        if pid == child.pid:
            return os.waitstatus_to_exitcode(status)


def idle() -> int:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        try:
            os.waitpid(-1, 0)  # reap what exec leaves behind
        except ChildProcessError:
            signal.pause()


def main(argv: list[str]) -> int:
    role = argv[0] if argv else "node"
    if role == "idle":
        return idle()
    if role == "node":
        node = write_files(os.environ)
    elif role == "progres":
        import progres  # the reference platform (examples/progres)

        node = node_name(os.environ)
        progres.write_files(os.environ, node)
    else:
        print(f"usage: node.py [node|progres|idle], not {role!r}", file=sys.stderr)
        return 2
    return supervise(["hafailover", "--log-format", "json", "agent", "--config",
                      str(CONFIG), "--node", node])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
