"""A whole cluster on one machine: one network namespace per node, a switch, a client.

The switch namespace ``PREFIX-sw`` holds one bridge per heartbeat link; every node
namespace ``PREFIX-nI`` has one veth per link (``eth0``, ``eth1``) with the address
``10.{subnet+k}.0.{10+I}/24`` on link ``k``; the client namespace ``PREFIX-client`` has
``10.{subnet}.0.200`` on link 0. Nodes do not route (``ip_forward=0``) and all traffic
stays on the lab's bridges.

The lab writes the cluster configuration and the keys, starts each node's agent as a
process inside its namespace, injects faults (a killed, frozen or powered-off node, a
link down, a partition, packet loss) and reads the agents' status and logs. It is used
by the tier-1 tests, the benchmarks and ``hafailover lab``.

Agents run in a session of their own and each one's pid is kept in ``NODE/agent.pid``,
so another process (each ``hafailover lab`` command is one) can signal, stop and watch
them: see ``hafailover.lab.session``. The lab has its own OCF root (``ocf/``): the
machine's agents, plus ours from ``resource_agents/`` when the machine has none.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from hafailover import settings
from hafailover.agents.ocf_dir import install_agents
from hafailover.diagnostics import WHERE_WAITING
from hafailover.fencing import fence_lab
from hafailover.lab import diagnosis, faults
from hafailover.lab.netns import (
    Netns,
    add_bridge,
    connect,
    create_namespace,
    delete_namespace,
    namespace_exists,
    namespace_names,
)
from hafailover.security.material import Identity, generate

CLIENT = "client"
SWITCH = "sw"
CLIENT_HOST = 200
NODE_HOST_BASE = 10
HEARTBEAT_PORT = 5405
LOG_TAIL_LINES = 40
POLL_INTERVAL = 0.05
PID_FILE = "agent.pid"
OCF_DIR = "ocf"

Statuses = dict[str, dict[str, Any] | None]


def holders(statuses: Statuses, resource: str) -> list[str]:
    """The nodes whose agent reports ``resource`` running there, sorted."""
    return sorted(node for node, s in statuses.items() if s is not None
                  and any(r["resource"] == resource for r in s["resources"]["local"]))


class LabError(RuntimeError):
    """The lab cannot do what was asked; the message says why and what to do."""


@dataclass(frozen=True)
class LabSpec:
    """The shape of a lab; the generated configuration follows from it."""

    prefix: str = "hfl"
    nodes: int = 3
    links: int = 1
    transport: str = "multicast"
    interval: str = "100ms"
    dead_time: str = "500ms"
    subnet: int = 60
    extra_yaml: str = ""  # appended to the configuration: resources, quorum, properties...
    cluster_name: str = "lab"
    peer_port: int | None = None  # written as ``peer: {port: N}`` only when given

    def __post_init__(self) -> None:
        problems = []
        if not re.fullmatch(r"[a-z][a-z0-9]{0,7}", self.prefix):
            problems.append(f"prefix {self.prefix!r} must be 1 to 8 lowercase letters or "
                            "digits, starting with a letter")
        if not 1 <= self.nodes <= CLIENT_HOST - NODE_HOST_BASE - 1:
            problems.append(f"nodes must be 1 to {CLIENT_HOST - NODE_HOST_BASE - 1}, "
                            f"not {self.nodes}")
        if not 1 <= self.links <= 4:
            problems.append(f"links must be 1 to 4, not {self.links}")
        if self.transport not in ("multicast", "unicast"):
            problems.append(f"transport must be multicast or unicast, not {self.transport!r}")
        if not 0 <= self.subnet <= 255 - self.links:
            problems.append(f"subnet must be 0 to {255 - self.links}, not {self.subnet}")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(f"n{i}" for i in range(1, self.nodes + 1))

    def address(self, member: str, link: int = 0) -> str:
        if not 0 <= link < self.links:
            raise ValueError(f"link {link} does not exist (the lab has {self.links})")
        if member == CLIENT:
            if link != 0:
                raise ValueError("the client is only on link 0")
            return f"10.{self.subnet}.0.{CLIENT_HOST}"
        if member not in self.node_names:
            raise ValueError(f"no node {member!r} in the lab (nodes: "
                             f"{', '.join(self.node_names)}, {CLIENT})")
        return f"10.{self.subnet + link}.0.{NODE_HOST_BASE + int(member[1:])}"

    def config_text(self) -> str:
        """The generated configuration: cluster, nodes, heartbeat (and peer), then
        ``extra_yaml``."""
        lines = [f"cluster: {{name: {self.cluster_name}}}", "nodes:"]
        for node in self.node_names:
            addresses = ", ".join(f"ring{k}: {self.address(node, k)}"
                                  for k in range(self.links))
            lines.append(f"  - {{name: {node}, addresses: {{{addresses}}}}}")
        lines += ["heartbeat:", f"  interval: {self.interval}",
                  f"  dead-time: {self.dead_time}", f"  transport: {self.transport}",
                  "  links:"]
        for k in range(self.links):
            group = (f", multicast-group: 239.192.{self.subnet + k}.1"
                     if self.transport == "multicast" else "")
            lines.append(f"    - {{name: ring{k}{group}, port: {HEARTBEAT_PORT + k}}}")
        if self.peer_port is not None:
            lines.append(f"peer: {{port: {self.peer_port}}}")
        text = "\n".join(lines) + "\n"
        if self.extra_yaml:
            text += self.extra_yaml.rstrip("\n") + "\n"
        return text


def namespace_pattern(prefix: str) -> str:
    return rf"{re.escape(prefix)}-({SWITCH}|{CLIENT}|n\d+)"


def cleanup(prefix: str) -> list[str]:
    """Kill every process in and delete every namespace of a lab with this prefix (left
    by a crashed run); return the names removed."""
    names = namespace_names(namespace_pattern(prefix))
    for name in names:
        delete_namespace(name)
    return names


def require_root_and_tools() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root to create network namespaces and nftables "
                       "rules: run it as root (for example with sudo -E)")
    missing = [tool for tool in ("ip", "nft") if shutil.which(tool) is None]
    if missing:
        raise LabError(f"the lab needs {' and '.join(missing)}: install the Debian "
                       "packages iproute2 and nftables")


class Lab:
    """A cluster of ``spec.nodes`` nodes in namespaces, its files under ``workdir``."""

    def __init__(self, spec: LabSpec, workdir: Path) -> None:
        self.spec = spec
        self.workdir = workdir
        self.node_names = spec.node_names
        self.config_path = workdir / "cluster.yaml"
        self.key_dir = workdir / "keys"
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    # --- building and tearing down ----------------------------------------------------

    @property
    def members(self) -> tuple[str, ...]:
        """The nodes and the client: everything with a namespace and an address."""
        return (*self.node_names, CLIENT)

    def create(self) -> None:
        """Build the namespaces, write the configuration and keys, empty the agents'
        logs; a leftover lab of the same prefix is removed first."""
        require_root_and_tools()
        cleanup(self.spec.prefix)
        try:
            self._build_network()
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.write_config()
            self._write_keys()
            self._build_ocf_root()
            for node in self.node_names:
                for directory in (self.state_dir(node), self.run_dir(node)):
                    directory.mkdir(parents=True, exist_ok=True)
                self.log_path(node).unlink(missing_ok=True)
        except BaseException:
            self.destroy()
            raise

    def _build_network(self) -> None:
        switch = create_namespace(self._namespace_name(SWITCH))
        for k in range(self.spec.links):
            add_bridge(switch, f"br{k}", multicast_snooping=False)
        for node in self.node_names:
            ns = create_namespace(self._namespace_name(node))
            for k in range(self.spec.links):
                boot = [f"{self.address(node, k)}/24"]
                connect(ns, f"eth{k}", switch, f"br{k}", peer=f"{node}-eth{k}", addresses=boot)
                fence_lab.record_boot_addresses(ns.name, f"eth{k}", boot)
        client = create_namespace(self._namespace_name(CLIENT))
        connect(client, "eth0", switch, "br0", peer=f"{CLIENT}-eth0",
                addresses=[f"{self.address(CLIENT)}/24"])

    def _write_keys(self) -> None:
        identities = [Identity(node, tuple(self.address(node, k)
                                           for k in range(self.spec.links)))
                      for node in self.node_names]
        identities.append(Identity("admin", server=False))
        generate(self.key_dir, self.spec.cluster_name, identities, force=True)

    def _build_ocf_root(self) -> None:
        """``ocf/``: links to the machine's ``lib`` and providers, and our agents as
        provider ``hafailover`` (copied from ``resource_agents/`` unless the machine has
        them installed)."""
        system = Path(settings.OCF_ROOT)
        root = self.ocf_root
        shutil.rmtree(root, ignore_errors=True)
        (root / "resource.d").mkdir(parents=True)
        if (system / "lib").is_dir():
            (root / "lib").symlink_to(system / "lib")
        providers = system / "resource.d"
        if providers.is_dir():
            for provider in providers.iterdir():
                (root / "resource.d" / provider.name).symlink_to(provider)
        if not (root / "resource.d" / settings.OCF_PROVIDER).exists():
            install_agents(root)

    def write_config(self, text: str | None = None) -> Path:
        """Write ``text``, or the configuration generated from the spec."""
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.spec.config_text() if text is None else text)
        return self.config_path

    def destroy(self) -> None:
        """Kill every process and delete every namespace; safe to call again, and after
        a ``create`` that failed half-way."""
        cleanup(self.spec.prefix)
        for process in self._processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self._processes.clear()
        for node in self.node_names:
            self.pid_path(node).unlink(missing_ok=True)

    def __enter__(self) -> Lab:
        self.create()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.destroy()

    # --- names, addresses, files --------------------------------------------------------

    def _namespace_name(self, member: str) -> str:
        return f"{self.spec.prefix}-{member}"

    def _check_member(self, member: str) -> None:
        if member not in self.members:
            raise LabError(f"no {member!r} in the lab (nodes: {', '.join(self.node_names)}, "
                           f"{CLIENT})")

    def address(self, node: str, link: int = 0) -> str:
        return self.spec.address(node, link)

    def addresses(self, member: str) -> list[str]:
        """Every address of a node (one per link), or the client's."""
        if member == CLIENT:
            return [self.address(CLIENT)]
        return [self.address(member, k) for k in range(self.spec.links)]

    def netns(self, member: str) -> Netns:
        self._check_member(member)
        name = self._namespace_name(member)
        if not namespace_exists(name):
            raise LabError(f"namespace {name} does not exist: call create() first")
        return Netns(name)

    def node_dir(self, member: str) -> Path:
        return self.workdir / member

    def state_dir(self, member: str) -> Path:
        return self.node_dir(member) / "state"

    def run_dir(self, member: str) -> Path:
        return self.node_dir(member) / "run"

    def log_path(self, member: str) -> Path:
        return self.node_dir(member) / "agent.log"

    def control_socket(self, node: str) -> Path:
        return self.run_dir(node) / settings.CONTROL_SOCKET_NAME

    def pid_path(self, node: str) -> Path:
        return self.node_dir(node) / PID_FILE

    def resource_tmp(self, node: str) -> Path:
        """The node's own ``/run/resource-agents`` (HA_RSCTMP, HA_VARRUN)."""
        return self.node_dir(node) / "rsctmp"

    @property
    def ocf_root(self) -> Path:
        return self.workdir / OCF_DIR

    def environment(self, member: str) -> dict[str, str]:
        """The ``HAFAILOVER_*`` variables of a node's agent (its directories, keys,
        configuration and OCF root), so that ``hactl`` run with them talks to it; the
        client gets the configuration and keys only."""
        env = {"HAFAILOVER_CONFIG_FILE": str(self.config_path),
               "HAFAILOVER_KEY_DIR": str(self.key_dir)}
        if self.ocf_root.is_dir():
            env |= {"HAFAILOVER_OCF_ROOT": str(self.ocf_root),
                    "HAFAILOVER_OCF_FUNCTIONS_DIR": str(self.ocf_root / "lib" / "heartbeat")}
        if member != CLIENT:
            env |= {"HAFAILOVER_STATE_DIR": str(self.state_dir(member)),
                    "HAFAILOVER_RUN_DIR": str(self.run_dir(member)),
                    "HAFAILOVER_RESOURCE_TMP": str(self.resource_tmp(member))}
        return env

    # --- the agent process --------------------------------------------------------------

    def agent_command(self, node: str, config: Path | None = None) -> list[str]:
        return [sys.executable, "-m", "hafailover", "--log-format", "json", "agent",
                "--config", str(config or self.config_path), "--node", node]

    def start(self, node: str, *, key_dir: Path | None = None, config: Path | None = None,
              argv: Sequence[str] | None = None) -> None:
        """Start the agent (or ``argv`` instead) in the node's namespace, in a session
        of its own, its output appended to ``agent.log`` and its pid written to
        ``agent.pid``."""
        ns = self.netns(node)
        running = self.pid(node)
        if running is not None:
            raise LabError(f"{node} already runs process {running}: stop or kill it first")
        for directory in (self.state_dir(node), self.run_dir(node), self.resource_tmp(node)):
            directory.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ) | self.environment(node)
        if key_dir is not None:
            env["HAFAILOVER_KEY_DIR"] = str(key_dir)
        command = list(argv) if argv is not None else self.agent_command(node, config)
        with self.log_path(node).open("ab") as log:
            process = ns.popen(command, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self._processes[node] = process
        self.pid_path(node).write_text(f"{process.pid}\n")

    def running(self, node: str) -> bool:
        return self.pid(node) is not None

    def start_stopped(self) -> None:
        """Start the agent of every node where none runs (after a test killed some)."""
        for node in self.node_names:
            if not self.running(node):
                self.start(node)

    @contextlib.contextmanager
    def agents_running(self) -> Iterator[Lab]:
        """Every node's agent for the time of the block (a test module's cluster), then
        stopped as an operator would."""
        self.start_stopped()
        yield self
        for node in self.node_names:
            self.stop(node)

    def pid(self, node: str) -> int | None:
        """The agent's pid while it runs: of the process this object started, else the
        one in ``agent.pid`` if that process still lives in the node's namespace."""
        process = self._processes.get(node)
        if process is not None:
            return process.pid if process.poll() is None else None
        try:
            pid = int(self.pid_path(node).read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if self._in_namespace(pid, node) else None

    def _in_namespace(self, pid: int, node: str) -> bool:
        """The process lives (not a zombie) in the node's network namespace: a pid the
        kernel gave to another process since is not taken for the agent."""
        try:
            theirs = os.stat(f"/proc/{pid}/ns/net")
            ours = os.stat(os.path.join("/run/netns", self._namespace_name(node)))
        except OSError:
            return False
        return (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino)

    def _wait_gone(self, node: str, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._in_namespace(pid, node):
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL)
        return True

    def stop(self, node: str, *, timeout: float = 20.0) -> int | None:
        """SIGTERM the agent and wait; SIGKILL it after ``timeout``. The exit code
        (negative: the signal, ``-SIGKILL`` whenever it had to be killed); None if it was
        never started, or if it is not a child of this process and ended by itself (its
        exit code is then unknown)."""
        process = self._processes.get(node)
        if process is None:
            pid = self.pid(node)
            killed = False
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)  # a frozen agent could not act on it
                    os.kill(pid, signal.SIGTERM)
                if not self._wait_gone(node, pid, timeout):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                        killed = True
                    self._wait_gone(node, pid, 5)
            self.pid_path(node).unlink(missing_ok=True)
            return -signal.SIGKILL if killed else None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGCONT)
                process.terminate()
            try:
                return process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        return process.wait()

    def kill(self, node: str) -> None:
        """SIGKILL the agent (its children, such as resource agents, live on)."""
        process = self._processes.get(node)
        if process is not None:
            if process.poll() is None:
                process.kill()
                process.wait()
            return
        pid = self.pid(node)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_gone(node, pid, 5)

    def freeze(self, node: str) -> None:
        self._signal(node, signal.SIGSTOP)

    def thaw(self, node: str) -> None:
        self._signal(node, signal.SIGCONT)

    def _signal(self, node: str, sig: int) -> None:
        pid = self.pid(node)
        if pid is None:
            raise LabError(f"{node} runs no agent: start it first")
        os.kill(pid, sig)

    def frozen(self, node: str) -> bool:
        """The agent is stopped by a signal (state T in ``/proc/PID/stat``)."""
        pid = self.pid(node)
        if pid is None:
            return False
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")

    def signal_all(self, member: str, sig: int) -> None:
        """Send ``sig`` to every process in the member's namespace."""
        self.netns(member).kill_all(sig)

    def power_off(self, node: str) -> None:
        """Power loss, as ``fence_lab`` does it: the links go down, every process in the
        namespace dies at once, and the links keep only their boot addresses."""
        pid = self.pid(node)
        fence_lab.power_off(self._namespace_name(node))
        process = self._processes.get(node)
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        elif pid is not None:
            self._wait_gone(node, pid, 5)

    def power_on(self, node: str) -> None:
        """A powered-off node (a link down) boots: what a power loss wipes is gone
        (addresses other than the node's own, such as a VIP it held, and its HA_RSCTMP),
        then the links come back. The agent is not started. A node whose links are all
        up is left as it is."""
        ns = self.netns(node)
        links = [f"eth{k}" for k in range(self.spec.links)]
        if all(faults.link_is_up(ns, link) for link in links):
            return
        fence_lab.reset_addresses(ns.name)
        shutil.rmtree(self.resource_tmp(node), ignore_errors=True)
        self.resource_tmp(node).mkdir(parents=True, exist_ok=True)
        fence_lab.power_on(ns.name)

    # --- network faults -----------------------------------------------------------------

    def link_down(self, node: str, link: int) -> None:
        self.address(node, link)  # checks that the link exists
        faults.set_link(self.netns(node), f"eth{link}", up=False)

    def link_up(self, node: str, link: int) -> None:
        self.address(node, link)
        faults.set_link(self.netns(node), f"eth{link}", up=True)

    def partition(self, *groups: Iterable[str]) -> None:
        """Members of different groups no longer exchange IP packets, on any link; this
        replaces any earlier partition. A member named in no group (the client, say)
        still reaches everyone."""
        sets = [list(dict.fromkeys(group)) for group in groups]
        placed: dict[str, int] = {}
        for index, group in enumerate(sets):
            for member in group:
                self._check_member(member)
                if member in placed:
                    raise LabError(f"{member} is in two groups of the partition")
                placed[member] = index
        for member in self.members:
            if member not in placed:
                faults.unblock_peers(self.netns(member))
                continue
            others = [address for other, index in placed.items()
                      if index != placed[member] for address in self.addresses(other)]
            faults.block_peers(self.netns(member), others)

    def heal(self) -> None:
        for member in self.members:
            faults.unblock_peers(self.netns(member))

    def loss(self, node: str, percent: int) -> None:
        """Drop ``percent`` % of the packets the node sends and receives; 0 removes it."""
        faults.drop_randomly(self.netns(node), percent)

    # --- status and logs ----------------------------------------------------------------

    def status(self, node: str, timeout: float = 2.0) -> dict[str, Any]:
        """The agent's status over its control socket; raises if it does not answer."""
        client = importlib.import_module("hafailover.control.client")
        status: dict[str, Any] = client.fetch_status(self.control_socket(node),
                                                     timeout=timeout)
        return status

    def statuses(self, nodes: Iterable[str] | None = None,
                 timeout: float = 1.0) -> Statuses:
        """Every node's status, asked in parallel; None where the agent does not answer."""
        names = list(self.node_names if nodes is None else nodes)

        def ask(node: str) -> dict[str, Any] | None:
            if not self.control_socket(node).exists():
                return None
            try:
                return self.status(node, timeout)
            except Exception:
                return None

        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            return dict(zip(names, pool.map(ask, names), strict=True))

    def wait_until(self, predicate: Callable[[Statuses], bool], *,
                   nodes: Iterable[str] | None = None, timeout: float = 15.0,
                   what: str = "") -> Statuses:
        """Poll the statuses until ``predicate`` holds; on timeout, an AssertionError
        with the last statuses and the end of each agent's log."""
        names = list(self.node_names if nodes is None else nodes)
        deadline = time.monotonic() + timeout
        while True:
            current = self.statuses(names)
            if predicate(current):
                return current
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(what, timeout, current))
            time.sleep(POLL_INTERVAL)

    def _timeout_report(self, what: str, timeout: float, current: Statuses) -> str:
        """The statuses and each log's end; last, a few lines per node (its last events,
        and where its busy tasks wait), which is all a truncated output may show."""
        self.ask_where_waiting(list(current))
        summary = f"not reached within {timeout}s: {what or 'the condition'}"
        parts = [summary, "last statuses:", json.dumps(current, indent=2, sort_keys=True)]
        for node in current:
            parts.append(f"--- last {LOG_TAIL_LINES} lines of {self.log_path(node)}:")
            parts.extend(self.log_tail(node))
        parts.append(f"--- in short: {summary}")
        parts.extend(diagnosis.digest({node: self.log_records(node) for node in current}))
        return "\n".join(parts)

    def ask_where_waiting(self, nodes: Iterable[str], wait: float = 1.0) -> None:
        """SIGUSR1 to each running agent: it logs where its tasks wait. Waits (up to
        ``wait`` seconds) until each has written that."""
        before = {}
        for node in nodes:
            pid = self.pid(node)
            if pid is None or self.frozen(node):
                continue
            before[node] = self._dumps(node)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + wait
        while before and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            before = {n: count for n, count in before.items() if self._dumps(n) == count}

    def _dumps(self, node: str) -> int:
        try:
            return self.log_path(node).read_text(errors="replace").count(
                WHERE_WAITING)
        except FileNotFoundError:
            return 0

    def log_tail(self, node: str, lines: int = LOG_TAIL_LINES) -> list[str]:
        try:
            text = self.log_path(node).read_text(errors="replace")
        except FileNotFoundError:
            return ["(no log)"]
        return text.splitlines()[-lines:]

    def log_records(self, node: str) -> list[dict[str, Any]]:
        """The agent's log as JSON records; lines that are not JSON objects are skipped."""
        try:
            text = self.log_path(node).read_text(errors="replace")
        except FileNotFoundError:
            return []
        records = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records
