"""A chaos run against a compose cluster: bring it up, write through the VIP, apply the
seeded faults one step at a time, undo them, wait for health, check, report.

The harness reads the cluster's shape from the compose file: node services are those
whose environment has ``NODE_NAME`` (their addresses and the VIP come from
``CLUSTER_NODES`` and ``CLUSTER_VIP``), and the client is the service ``client``. The
client container runs the writer (``hafailover.chaos.client``) and the ARP watcher
(``hafailover.lab.arpwatch``); their JSON lines come back through ``exec``.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hafailover.chaos import faults as fault_plan
from hafailover.chaos.checks import ArpProbe, StepWindow, Write, check
from hafailover.chaos.client import record_id, record_value
from hafailover.chaos.engine import Engine, EngineError, detect_engine
from hafailover.chaos.faults import STORE, WEB, Fault, Kind, Step
from hafailover.chaos.report import Report, StepResult

CLIENT = "client"
INTERFACE = "eth0"  # every container's one interface on the compose network
POLL = 0.5
SETTLE_S = 2.0


class ChaosError(RuntimeError):
    """The run could not be carried out (not a failed check: those are in the report)."""


@dataclass(frozen=True)
class ClusterShape:
    nodes: dict[str, str]  # node service -> address
    vip: str

    @classmethod
    def from_compose(cls, path: Path) -> ClusterShape:
        try:
            document = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ChaosError(f"{path}: {exc}") from None
        nodes: dict[str, str] = {}
        vip = None
        for name, service in (document.get("services") or {}).items():
            env = service.get("environment") or {}
            if isinstance(env, dict) and env.get("NODE_NAME"):
                pairs = dict(item.split("=", 1) for item in
                             str(env.get("CLUSTER_NODES", "")).replace(" ", ",").split(",")
                             if "=" in item)
                nodes[str(name)] = pairs.get(str(env["NODE_NAME"]), "")
                vip = vip or env.get("CLUSTER_VIP")
        if len(nodes) < 3 or not vip or CLIENT not in (document.get("services") or {}):
            raise ChaosError(f"{path}: needs at least 3 node services (NODE_NAME, "
                             "CLUSTER_NODES, CLUSTER_VIP in their environment) and a "
                             f"service {CLIENT!r}")
        return cls(dict(sorted(nodes.items())), str(vip))


def web_and_stores_placed(roles: dict[str, dict[str, str]]) -> tuple[bool, str]:
    """docker-compose.yml's cluster: the VIP and haproxy together, two stores."""
    web = sorted(roles.get("vip", {}))
    haproxy = sorted(roles.get("haproxy", {}))
    stores = sorted(roles.get("store", {}))
    if len(web) != 1 or haproxy != web:
        return False, f"vip on {web}, haproxy on {haproxy}"
    if len(stores) != 2:
        return False, f"store on {stores}"
    return True, f"vip and haproxy on {web[0]}, store on {', '.join(stores)}"


@dataclass
class Options:
    compose_file: Path
    seed: int = 1
    duration_s: float = 600.0
    max_steps: int | None = None
    engine: str | None = None
    project: str = "hafailover"
    bound_s: float = 20.0
    hold_s: float = 5.0
    healthy_timeout_s: float = 120.0
    keep: bool = False  # leave the cluster up at the end
    say: Callable[[str], None] = print
    # whether the resources are where a healthy cluster has them: (ok, description)
    placed: Callable[[dict[str, dict[str, str]]], tuple[bool, str]] = web_and_stores_placed


@dataclass
class Recorder:
    """Collects the writer's and the ARP watcher's lines from background threads."""

    writes: list[Write] = field(default_factory=list)
    doubled: list[ArpProbe] = field(default_factory=list)
    probes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_write(self, line: dict[str, Any]) -> None:
        with self.lock:
            self.writes.append(Write(int(line["n"]), float(line["t"]), bool(line["ok"]),
                                     line.get("read"), str(line.get("by", ""))))

    def add_probe(self, line: dict[str, Any]) -> None:
        if "macs" not in line:
            return
        with self.lock:
            self.probes += 1
            if len(line["macs"]) > 1:
                self.doubled.append(ArpProbe(float(line["t"]), tuple(line["macs"])))

    def acknowledged_since(self, t: float) -> bool:
        with self.lock:
            return any(w.ok and w.t >= t for w in self.writes[-200:])


class ChaosRun:
    def __init__(self, options: Options, engine: Engine | None = None) -> None:
        self.options = options
        self.shape = ClusterShape.from_compose(options.compose_file)
        self.engine = engine or Engine(options.engine or detect_engine(),
                                       options.compose_file, options.project)
        self.recorder = Recorder()
        self.rng = random.Random(options.seed)
        self.run_id = f"seed{options.seed}-{int(time.time())}"
        self._streams: list[tuple[Any, threading.Thread]] = []
        self.mac_names: dict[str, str] = {}  # every MAC a node had, for the report

    def learn_macs(self) -> None:
        for node in self.nodes:
            if self.engine.state(node) == "running":
                result = self.engine.exec(node, "cat", f"/sys/class/net/{INTERFACE}/address",
                                          check=False)
                if result.returncode == 0 and result.stdout.strip():
                    self.mac_names[result.stdout.strip()] = node

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(self.shape.nodes)

    def say(self, text: str) -> None:
        self.options.say(f"[{time.strftime('%H:%M:%S')}] {text}")

    # --- the cluster --------------------------------------------------------------------

    def status(self) -> dict[str, dict[str, Any]]:
        """The status document of every node whose container runs and answers."""
        found = {}
        for node in self.nodes:
            if self.engine.state(node) != "running":
                continue
            result = self.engine.exec(node, "hactl", "status", "--format", "json",
                                      timeout=10, check=False)
            if result.returncode == 0:
                with contextlib.suppress(ValueError):
                    found[node] = json.loads(result.stdout)
        return found

    @staticmethod
    def cluster_status(statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The coordinator's view of the whole cluster (any node relays it)."""
        for document in statuses.values():
            if document.get("cluster_status"):
                return dict(document["cluster_status"])
        return {}

    def roles(self, statuses: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
        """resource -> {node: role} of its healthy instances, as the coordinator sees it."""
        found: dict[str, dict[str, str]] = {}
        for entry in self.cluster_status(statuses).get("resources") or []:
            if not entry.get("failed"):
                found.setdefault(entry["resource"], {})[entry["node"]] = entry.get("role", "")
        return found

    def placement(self, statuses: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
        """resource -> nodes where it is started or promoted."""
        return {resource: [n for n, role in on.items() if role in ("Started", "Promoted")]
                for resource, on in self.roles(statuses).items()}

    def healthy(self) -> tuple[bool, str]:
        statuses = self.status()
        missing = [n for n in self.nodes if n not in statuses]
        if missing:
            return False, f"no status from {', '.join(missing)}"
        for node, document in statuses.items():
            view = document.get("view", {})
            if sorted(view.get("members", [])) != sorted(self.nodes) or not view.get("quorate"):
                return False, f"{node} sees members {view.get('members')}"
            unclean = [n["name"] for n in document.get("nodes", []) if n.get("unclean")]
            if unclean:
                return False, f"{node} sees {', '.join(unclean)} unclean"
        transition = self.cluster_status(statuses).get("transition") or {}
        if transition.get("running"):
            return False, "a transition is running"
        return self.options.placed(self.roles(statuses))

    def wait_healthy(self, timeout: float, touched: tuple[str, ...] = (),
                     notes: list[str] | None = None) -> tuple[bool, float, str]:
        """Poll until healthy. A ``touched`` node found stopped meanwhile (fenced after
        the undo) is started again, as an operator powers a fenced node back on."""
        started = time.monotonic()
        why = ""
        while time.monotonic() - started < timeout:
            for node in touched:
                if self.engine.state(node) == "exited":
                    if notes is not None:
                        notes.append(f"{node} was fenced after the undo: started again")
                    self.engine.cli("start", self.engine.container(node), timeout=90)
            ok, why = self.healthy()
            if ok:
                return True, time.monotonic() - started, why
            time.sleep(POLL)
        return False, time.monotonic() - started, why

    # --- the client's streams -------------------------------------------------------------

    def _stream(self, argv: list[str], sink: Callable[[dict[str, Any]], None]) -> None:
        process = self.engine.popen(self.engine.exec_argv(CLIENT, *argv))

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    sink(json.loads(line))

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        self._streams.append((process, thread))

    def start_client(self) -> None:
        self._stream(["python", "-m", "hafailover.chaos.client", "write", "--vip",
                      self.shape.vip, "--run", self.run_id, "--every", "0.05"],
                     self.recorder.add_write)
        self._stream(["python", "-m", "hafailover.lab.arpwatch", "--ip", self.shape.vip,
                      "--interface", "eth0", "--every", "0.02"], self.recorder.add_probe)

    def stop_client(self) -> None:
        for pattern in ("hafailover.chaos.client", "hafailover.lab.arpwatch"):
            self.engine.exec(CLIENT, "pkill", "-TERM", "-f", pattern, check=False)
        for process, thread in self._streams:
            try:
                process.wait(timeout=15)
            except Exception:
                process.kill()
            thread.join(timeout=5)
        self._streams.clear()

    # --- faults -----------------------------------------------------------------------------

    def resolve(self, fault: Fault, where: dict[str, list[str]]) -> str:
        if fault.target == WEB:
            candidates = where.get("vip", [])
        elif fault.target == STORE:
            candidates = where.get("store", [])
        else:
            return fault.target
        if not candidates:
            raise ChaosError(f"cannot tell where to {fault.describe()}: placement {where}")
        return self.rng.choice(sorted(candidates))

    def apply(self, kind: Kind, node: str) -> None:
        e = self.engine
        container = e.container(node)
        if kind is Kind.KILL:
            e.cli("kill", "--signal", "KILL", container)
        elif kind is Kind.PAUSE:
            e.cli("pause", container)
        elif kind is Kind.RESTART:
            e.cli("restart", "-t", "30", container, timeout=90)
        elif kind is Kind.DISCONNECT:
            # from inside: podman 4.3's CNI fails to tear down a connected container's
            # network on nftables hosts, and this works the same on every engine
            e.exec(node, "ip", "link", "set", INTERFACE, "down")
        elif kind is Kind.KILL_AGENT:
            e.exec(node, "pkill", "-KILL", "-f", "hafailover --log-format json agent")
        elif kind is Kind.KILL_HAPROXY:
            e.exec(node, "pkill", "-KILL", "-x", "haproxy")
        elif kind is Kind.KILL_STORE:
            e.exec(node, "pkill", "-KILL", "-f", "store.py")

    def undo(self, kind: Kind, node: str) -> list[str]:
        """Put the node back as it was; say what was found (fenced meanwhile...)."""
        e = self.engine
        container = e.container(node)
        notes = []
        state = e.state(node)
        if kind is Kind.PAUSE and state == "paused":
            e.cli("unpause", container)
            state = e.state(node)
        if kind is Kind.DISCONNECT and state == "running":
            e.exec(node, "ip", "link", "set", INTERFACE, "up")
        if state != "running":
            notes.append(f"{node} was {state} (fenced or stopped): started again")
            e.cli("start", container, timeout=90)
        return notes

    def run_step(self, step: Step) -> tuple[StepResult, StepWindow]:
        where = self.placement(self.status())
        # service faults first: a node fault may take their container away
        ordered = sorted(step.faults, key=lambda f: f.kind.node_level)
        applied = [(fault.kind, self.resolve(fault, where)) for fault in ordered]
        names = [f"{kind.value} {node}" for kind, node in applied]
        self.say(f"step {step.number}: {' + '.join(names)}")
        started = time.time()
        for kind, node in applied:
            self.apply(kind, node)
        time.sleep(self.options.hold_s)
        notes: list[str] = []
        for kind, node in applied:
            notes += self.undo(kind, node)
        ok, after, why = self.wait_healthy(self.options.healthy_timeout_s,
                                           tuple(node for _, node in applied), notes)
        if not ok:
            notes.append(f"not healthy: {why}")
        self.learn_macs()
        # the client must be served again before the next fault
        deadline = time.monotonic() + self.options.bound_s
        mark = time.time()
        while not self.recorder.acknowledged_since(mark) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(SETTLE_S)
        self.say(f"step {step.number}: {'healthy' if ok else 'NOT healthy'} "
                 f"{after:.1f} s after the undo ({why})")
        window = StepWindow(step.number, started, time.time(), ok, after if ok else None)
        return StepResult(step.number, names, started, 0.0, ok, window.healthy_after_s,
                          notes), window

    # --- the whole run -------------------------------------------------------------------

    def run(self) -> Report:
        options = self.options
        count = options.max_steps or 10_000
        steps = fault_plan.plan(options.seed, count, self.nodes)
        started = time.time()
        results: list[StepResult] = []
        windows: list[StepWindow] = []
        stopped: str | None = None
        stored: dict[str, str] | None = None
        self.engine.start_api_service()
        try:
            self.say(f"starting the cluster of {options.compose_file} on {self.engine.name}")
            self.engine.compose("down", "-v", "-t", "5")
            self.engine.compose("up", "-d")
            ok, after, why = self.wait_healthy(180)
            if not ok:
                raise ChaosError(f"the cluster did not become healthy in 180 s: {why}")
            self.say(f"cluster healthy after {after:.1f} s: {why}")
            self.learn_macs()
            self.start_client()
            deadline = time.monotonic() + 60
            while not self.recorder.acknowledged_since(0):
                if time.monotonic() > deadline:
                    raise ChaosError("no write through the VIP was acknowledged in 60 s")
                time.sleep(0.2)
            end = time.monotonic() + options.duration_s
            for step in steps:
                if time.monotonic() >= end:
                    break
                try:
                    result, window = self.run_step(step)
                except (EngineError, ChaosError) as exc:
                    stopped = f"step {step.number}: {exc}"
                    self.say(f"stopping: {stopped}")
                    break
                results.append(result)
                windows.append(window)
            if options.max_steps and len(results) < options.max_steps and stopped is None:
                stopped = (f"{len(results)} of {options.max_steps} steps in the "
                           f"{options.duration_s:g} s allowed")
            time.sleep(SETTLE_S)
            self.stop_client()
            stored = self.read_store()
        finally:
            self.stop_client()
            if not options.keep:
                with contextlib.suppress(EngineError):
                    self.engine.compose("down", "-v", "-t", "5")
            self.engine.stop_api_service()
        return self.report(started, results, windows, stored, stopped)

    def read_store(self) -> dict[str, str] | None:
        """Every record, read through the VIP (tried for a minute)."""
        deadline = time.monotonic() + 60
        while True:
            dump = self.engine.exec(CLIENT, "python", "-m", "hafailover.chaos.client",
                                    "dump", "--vip", self.shape.vip, timeout=60, check=False)
            if dump.returncode == 0:
                with contextlib.suppress(ValueError):
                    return dict(json.loads(dump.stdout))
            if time.monotonic() > deadline:
                return None
            time.sleep(1)

    def report(self, started: float, results: list[StepResult], windows: list[StepWindow],
               stored: dict[str, str] | None, stopped: str | None) -> Report:
        writes = self.recorder.writes
        expected = {record_id(self.run_id, w.n): record_value(self.run_id, w.n).decode()
                    for w in writes if w.ok}
        doubled = [ArpProbe(p.t, tuple(f"{m} ({self.mac_names.get(m, '?')})" for m in p.macs))
                   for p in self.recorder.doubled]
        recovery, violations = check(windows, writes, doubled, stored, expected,
                                     self.options.bound_s)
        for result in results:
            result.recovery_s = recovery.get(result.number, 0.0)
        return Report(self.options.seed, str(self.options.compose_file), self.engine.name,
                      started, time.time() - started, self.options.bound_s, results,
                      len(writes), len(expected), violations, stopped)
