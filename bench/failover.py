"""Failover time of a virtual IP under hafailover and under keepalived, measured the same way.

    python3 bench/failover.py [--trials 20] [--systems LIST] [--json FILE]

Every system runs on the same lab topology (``hafailover.lab``): three node namespaces
n1..n3 on one bridge and a client namespace. Each node runs a small HTTP server on
0.0.0.0:80 that answers with the node's name, so whichever node holds the VIP answers on
VIP:80. A poller in the client namespace starts a GET of http://VIP/ every 10 ms, each
with a 100 ms timeout (requests overlap, so the resolution stays 10 ms while the VIP is
unreachable), and writes one line per request: wall-clock start and end, and the node
that answered or the error.

One trial: wait until the VIP has answered from one node, without a failure, for a
second; power that node off (``Lab.power_off``: every process in its namespace killed,
its links down; the wall-clock time just before is the fault); the failover time is from
the fault to the end of the first successful response from another node. Then the node
is booted again (its addresses as after a power loss, the HTTP server and the agent
started), and once the cluster has settled the CPU use of each node's agent is read
over an idle window before the next trial.

Systems (``--systems``, comma-separated):

- ``hafailover``: default heartbeat settings; a ``builtin:vip`` primitive with a 1 s
  monitor and resource-stickiness; fencing with the ``fence_lab`` device and
  ``stonith-enabled: true`` (``--no-fencing`` turns it off).
- ``hafailover-fast``: the same with ``--fast-interval``, ``--fast-dead-time`` and
  ``--fast-probe-timeout`` (default 50 ms, 250 ms, 100 ms).
- ``keepalived``: keepalived (Debian package) with one VRRP instance on eth0, priorities
  150/100/50, ``advert_int 1`` and otherwise its defaults (VRRPv2, preempt).
- ``keepalived-v3``: the same with ``vrrp_version 3`` and ``advert_int 0.1``.

CPU: per node, the agent's process and its descendants (for hafailover the resource
agents it runs, for keepalived its VRRP child), utime+stime from /proc over the idle
windows, as % of one core. After the trials, ``--hog-procs`` busy loops run for
``--hog-seconds`` on the machine while the poller watches the VIP: a change of the
answering node then is a false failover (nothing failed).

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hafailover.lab.cluster import CLIENT, Lab, LabSpec, Statuses
from hafailover.stats import figures, saturate_cpus

KEEPALIVED = "/usr/sbin/keepalived"
HTTP_PORT = 80
VIP_HOST = 100  # the VIP is 10.{subnet}.0.100
POLL_PERIOD = 0.010  # a new request every 10 ms
POLL_TIMEOUT = 0.100  # each request gives up after 100 ms
STABLE = 1.0  # seconds of answers from one node, without a failure, before a trial
SETTLE_TIMEOUT = 60.0
IDLE_ATTEMPTS = 5
CLK_TCK = os.sysconf("SC_CLK_TCK")
ALL_SYSTEMS = ("hafailover", "hafailover-fast", "keepalived", "keepalived-v3")

BACKEND = r"""
import http.server, sys
body = sys.argv[1].encode()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[2])), Handler).serve_forever()
"""

POLLER = r"""
import asyncio, sys, time
host, port, period, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
request = f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode()

async def fetch():
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        data = await reader.read()
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200") and not head.startswith(b"HTTP/1.1 200"):
        raise ValueError("status")
    return body.decode(errors="replace").strip() or "?"

async def one(start):
    try:
        result = "ok " + await asyncio.wait_for(fetch(), timeout)
    except asyncio.TimeoutError:
        result = "timeout -"
    except ConnectionRefusedError:
        result = "refused -"
    except OSError as exc:
        result = f"oserror-{exc.errno} -"
    except Exception as exc:
        result = f"{type(exc).__name__} -"
    sys.stdout.write(f"{start:.6f} {time.time():.6f} {result}\n")
    sys.stdout.flush()

async def main():
    loop = asyncio.get_running_loop()
    tasks = set()
    tick = loop.time()
    while True:
        task = asyncio.create_task(one(time.time()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        tick += period
        await asyncio.sleep(max(0.0, tick - loop.time()))

asyncio.run(main())
"""


# --- figures ----------------------------------------------------------------------------




# --- the client's view of the VIP -----------------------------------------------------


@dataclass(frozen=True)
class Answer:
    start: float
    end: float
    ok: bool
    node: str  # the node that answered, or the error


class Poller:
    """The poller process in the client namespace and the lines it has written."""

    def __init__(self, lab: Lab, vip: str, path: Path) -> None:
        self.path = path
        self._file = path.open("wb")
        self.process = lab.netns(CLIENT).popen(
            [sys.executable, "-c", POLLER, vip, str(HTTP_PORT), str(POLL_PERIOD),
             str(POLL_TIMEOUT)], stdout=self._file, stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL)
        self._reader = path.open("rb")
        self._partial = b""
        self.answers: list[Answer] = []

    def read(self) -> list[Answer]:
        """The answers written since the last call (also kept in ``answers``)."""
        data = self._partial + self._reader.read()
        lines = data.split(b"\n")
        self._partial = lines.pop()
        new = []
        for line in lines:
            parts = line.decode(errors="replace").split()
            if len(parts) != 4:
                continue
            new.append(Answer(float(parts[0]), float(parts[1]), parts[2] == "ok",
                              parts[3] if parts[2] == "ok" else parts[2]))
        self.answers.extend(new)
        return new

    def wait_stable(self, expected: Callable[[str], bool], stable: float, timeout: float,
                    what: str) -> str:
        """Wait until one node accepted by ``expected`` has answered every request for
        ``stable`` seconds; its name."""
        deadline = time.monotonic() + timeout
        run_node, run_start = "", 0.0
        while True:
            for answer in self.read():
                if not answer.ok or answer.node != run_node:
                    run_node = answer.node if answer.ok else ""
                    run_start = answer.start
                elif expected(run_node) and answer.end - run_start >= stable:
                    return run_node
            if time.monotonic() >= deadline:
                tail = ", ".join(f"{a.node}" for a in self.answers[-10:])
                raise TimeoutError(f"not reached within {timeout:g}s: {what} "
                                   f"(last answers: {tail or 'none'})")
            time.sleep(0.05)

    def wait_other(self, holder: str, since: float, timeout: float
                   ) -> tuple[Answer | None, list[Answer]]:
        """The first successful answer from a node other than ``holder`` that ended
        after ``since``, and every answer that ended after ``since`` up to it."""
        deadline = time.monotonic() + timeout
        seen: list[Answer] = [a for a in self.answers if a.end > since]
        checked = 0
        while True:
            seen += [a for a in self.read() if a.end > since]
            for position in range(checked, len(seen)):
                answer = seen[position]
                if answer.ok and answer.node != holder:
                    return answer, seen[:position + 1]
            checked = len(seen)
            if time.monotonic() >= deadline:
                return None, seen
            time.sleep(0.005)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()
        self._file.close()
        self._reader.close()


# --- CPU use from /proc -----------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, own ticks, reaped children's ticks) of a process, or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def tree_cpu(root: int) -> tuple[float, float]:
    """CPU seconds used so far by ``root`` alone, and by ``root`` and all its descendants
    (living, and those reaped by a process of the tree)."""
    stats: dict[int, tuple[int, int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found is not None:
                stats[int(entry)] = found
    if root not in stats:
        return 0.0, 0.0
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        _, own, reaped = stats[pid]
        total += own + reaped
        todo.extend(children.get(pid, []))
    return stats[root][1] / CLK_TCK, total / CLK_TCK


@dataclass
class CpuMeter:
    """Idle-window CPU use, per node, added up over the trials."""

    seconds: float = 0.0
    own: dict[str, float] = field(default_factory=dict)
    tree: dict[str, float] = field(default_factory=dict)

    def measure(self, lab: Lab, window: float) -> None:
        pids = {n: lab.pid(n) for n in lab.node_names}
        before = {n: tree_cpu(p) for n, p in pids.items() if p is not None}
        started = time.monotonic()
        time.sleep(window)
        elapsed = time.monotonic() - started
        for node, pid in pids.items():
            if pid is None or node not in before or lab.pid(node) != pid:
                continue
            own, tree = tree_cpu(pid)
            self.own[node] = self.own.get(node, 0.0) + own - before[node][0]
            self.tree[node] = self.tree.get(node, 0.0) + tree - before[node][1]
        self.seconds += elapsed

    def percent(self) -> dict[str, dict[str, float]]:
        if self.seconds <= 0:
            return {}
        return {n: {"agent": round(100 * self.own.get(n, 0.0) / self.seconds, 2),
                    "with_children": round(100 * self.tree[n] / self.seconds, 2)}
                for n in sorted(self.tree)}


# --- one system -------------------------------------------------------------------------


@dataclass
class Trial:
    holder: str
    new_holder: str | None
    failover_ms: float | None  # None: the VIP did not answer from another node in time
    failed_requests: int  # requests that ended after the fault and failed
    last_old_ms: float | None  # the last answer from the old holder after the fault
    phases_ms: dict[str, float] = field(default_factory=dict)  # from the agents' logs
    note: str = ""


@dataclass
class Outcome:
    system: str
    settings: dict[str, Any]
    trials: list[Trial] = field(default_factory=list)
    cpu: CpuMeter = field(default_factory=CpuMeter)
    hog: dict[str, Any] = field(default_factory=dict)
    idle_disturbed: list[str] = field(default_factory=list)  # the VIP moved while idle
    error: str = ""

    def samples(self) -> list[float]:
        return [t.failover_ms for t in self.trials if t.failover_ms is not None]


class System:
    """How to run one system on the lab; the trial procedure is shared."""

    name = ""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.vip = f"10.{args.subnet}.0.{VIP_HOST}"

    def spec(self) -> LabSpec:
        return LabSpec(prefix=self.args.prefix, nodes=3, subnet=self.args.subnet)

    def settings(self) -> dict[str, Any]:
        raise NotImplementedError

    def setup(self, lab: Lab) -> None:
        """Write what the nodes need before they start."""

    def start(self, lab: Lab, node: str) -> None:
        raise NotImplementedError

    def expected_holder(self, node: str) -> bool:
        return True

    def settled(self, lab: Lab, nodes: list[str]) -> None:
        """Wait until ``nodes`` (all running) agree and nothing is left to do."""

    def phases(self, lab: Lab, holder: str, since: float) -> dict[str, float]:
        return {}


class Hafailover(System):
    name = "hafailover"

    def __init__(self, args: argparse.Namespace, *, fast: bool = False) -> None:
        super().__init__(args)
        self.fast = fast
        if fast:
            self.name = "hafailover-fast"
            self.interval, self.dead_time = args.fast_interval, args.fast_dead_time
            self.probe_timeout: str | None = args.fast_probe_timeout
        else:
            self.interval, self.dead_time = args.interval, args.dead_time
            self.probe_timeout = args.probe_timeout

    def extra_yaml(self) -> str:
        fencing = not self.args.no_fencing
        lines = [f"properties: {{stonith-enabled: {'true' if fencing else 'false'}}}",
                 "resource-defaults: {resource-stickiness: 100}"]
        if fencing:
            lines += ["fencing:", "  devices:",
                      f"    - {{id: lab, agent: fence_lab, "
                      f"params: {{namespace: \"{self.args.prefix}-{{plug}}\"}}}}"]
        if self.probe_timeout:
            lines.append(f"peer: {{probe-timeout: {self.probe_timeout}}}")
        lines += ["resources:", "  - primitive: vip", "    agent: builtin:vip",
                  f"    params: {{ip: {self.vip}, cidr_netmask: 24}}",
                  "    operations: [{name: monitor, interval: 1s, timeout: 10s}]"]
        return "\n".join(lines) + "\n"

    def spec(self) -> LabSpec:
        return LabSpec(prefix=self.args.prefix, nodes=3, subnet=self.args.subnet,
                       interval=self.interval, dead_time=self.dead_time,
                       extra_yaml=self.extra_yaml())

    def settings(self) -> dict[str, Any]:
        return {"interval": self.interval, "dead_time": self.dead_time,
                "probe_timeout": self.probe_timeout or "default (250ms)",
                "stonith_enabled": not self.args.no_fencing,
                "fencing_device": None if self.args.no_fencing else "fence_lab",
                "vip_monitor_interval": "1s", "resource_stickiness": 100}

    def start(self, lab: Lab, node: str) -> None:
        lab.start(node)

    def settled(self, lab: Lab, nodes: list[str]) -> None:
        def done(statuses: Statuses) -> bool:
            if any(s is None for s in statuses.values()):
                return False
            views = {(s["view"]["number"], tuple(s["view"]["members"]))
                     for s in statuses.values() if s}
            if len(views) != 1 or list(next(iter(views))[1]) != nodes:
                return False
            coordinator = statuses.get(next(s for s in statuses.values() if s)
                                       ["view"]["coordinator"])
            cluster = coordinator.get("cluster_status") if coordinator else None
            holders = [n for n, s in statuses.items()
                       if s and any(r["resource"] == "vip" and not r["failed"]
                                    for r in s["resources"]["local"])]
            return (cluster is not None and len(holders) == 1
                    and (self.args.no_fencing  # without fencing a lost node stays unclean
                         or all(not n["unclean"] for s in statuses.values() if s
                                for n in s["nodes"]))
                    and cluster["transition"]["idle"] and not cluster["transition"]["running"]
                    and not cluster["fencing"]["in_progress"])
        lab.wait_until(done, nodes=nodes, timeout=SETTLE_TIMEOUT,
                       what=f"{', '.join(nodes)} in one view, the VIP on one node, nothing to do")

    def phases(self, lab: Lab, holder: str, since: float) -> dict[str, float]:
        """When the survivors suspected the holder, formed the new view, fenced it and
        started the VIP, in ms after the fault (from their logs)."""
        found: dict[str, float] = {}

        def note(key: str, at: float) -> None:
            if at >= since:
                found[key] = min(found.get(key, math.inf), (at - since) * 1000)

        for node in lab.node_names:
            if node == holder:
                continue
            for record in lab.log_records(node):
                if "timestamp" not in record:
                    continue
                at = datetime.fromisoformat(str(record["timestamp"])).timestamp()
                kind, event = record.get("kind"), str(record.get("event", ""))
                if kind == "membership" and record.get("node") == holder \
                        and "suspected" in event:
                    note("suspected", at)
                elif kind == "view" and holder not in (record.get("members") or [holder]):
                    note("view", at)
                elif kind == "fence" and record.get("target") == holder \
                        and " was fenced " in event:
                    note("fenced", at)
                elif event == "action" and record.get("action") == "start" \
                        and record.get("resource") == "vip":
                    note("vip_start_sent", at)
        return found


class Keepalived(System):
    name = "keepalived"
    PRIORITIES = (150, 100, 50)

    def __init__(self, args: argparse.Namespace, *, v3: bool = False) -> None:
        super().__init__(args)
        self.v3 = v3
        if v3:
            self.name = "keepalived-v3"
        self.advert_int = "0.1" if v3 else "1"

    def settings(self) -> dict[str, Any]:
        return {"vrrp_version": 3 if self.v3 else 2, "advert_int": self.advert_int,
                "priorities": list(self.PRIORITIES), "preempt": True,
                "version": keepalived_version()}

    def config(self, node: str, priority: int) -> str:
        version = "  vrrp_version 3\n" if self.v3 else ""
        return (f"global_defs {{\n  router_id {node}\n{version}}}\n"
                "vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n"
                f"  virtual_router_id {self.args.subnet % 255 + 1}\n"
                f"  priority {priority}\n  advert_int {self.advert_int}\n"
                f"  virtual_ipaddress {{\n    {self.vip}/24 dev eth0\n  }}\n}}\n")

    def setup(self, lab: Lab) -> None:
        for node, priority in zip(lab.node_names, self.PRIORITIES, strict=True):
            lab.node_dir(node).mkdir(parents=True, exist_ok=True)
            (lab.node_dir(node) / "keepalived.conf").write_text(self.config(node, priority))

    def start(self, lab: Lab, node: str) -> None:
        directory = lab.node_dir(node)
        for name in ("keepalived.pid", "vrrp.pid", "checkers.pid"):  # /run after a reboot
            (directory / name).unlink(missing_ok=True)
        lab.start(node, argv=[KEEPALIVED, "--dont-fork", "--log-console", "--log-detail",
                              "--vrrp", "--no-syslog", "-f", str(directory / "keepalived.conf"),
                              "-p", str(directory / "keepalived.pid"),
                              "-r", str(directory / "vrrp.pid"),
                              "-c", str(directory / "checkers.pid")])

    def expected_holder(self, node: str) -> bool:
        return node == "n1"  # the highest priority, preempt


def keepalived_version() -> str:
    try:
        result = subprocess.run([KEEPALIVED, "--version"], capture_output=True, text=True,
                                check=False, timeout=10)
    except OSError:
        return "not installed"
    return (result.stderr or result.stdout).splitlines()[0].strip()


class Bench:
    """One system on a fresh lab: backends, agents, poller, trials, hog."""

    def __init__(self, system: System, lab: Lab, args: argparse.Namespace) -> None:
        self.system = system
        self.lab = lab
        self.args = args
        self.backends: dict[str, subprocess.Popen[bytes]] = {}
        self.outcome = Outcome(system.name, system.settings())

    def boot(self, node: str) -> None:
        """The node comes up as after a power loss: no VIP on its interface, links up,
        the HTTP server and the agent started."""
        ns = self.lab.netns(node)
        ns.run(["ip", "addr", "del", f"{self.system.vip}/24", "dev", "eth0"], check=False)
        self.lab.power_on(node)
        old = self.backends.get(node)
        if old is not None and old.poll() is None:
            old.kill()
        if old is not None:
            old.wait()
        self.backends[node] = ns.popen([sys.executable, "-c", BACKEND, node, str(HTTP_PORT)],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        self.system.start(self.lab, node)

    def ready(self, poller: Poller) -> str:
        self.system.settled(self.lab, list(self.lab.node_names))
        return poller.wait_stable(self.system.expected_holder, STABLE, SETTLE_TIMEOUT,
                                  "the VIP answering from one node")

    def idle(self, poller: Poller) -> str:
        """Wait for the cluster to settle, then measure CPU over the idle window; the
        node that answered on the VIP all through it. A window in which the VIP moved
        or did not answer is counted and waited out again."""
        for _ in range(IDLE_ATTEMPTS):
            holder = self.ready(poller)
            started = time.time()
            self.outcome.cpu.measure(self.lab, self.args.settle)
            during = [a for a in poller.read() if a.start >= started]
            others = sorted({a.node for a in during if a.node != holder})
            if not others:
                return holder
            self.outcome.idle_disturbed.append(
                f"while idle after answering from {holder}, the VIP gave: {', '.join(others)}")
            print(f"  ({self.outcome.idle_disturbed[-1]})", flush=True)
        raise TimeoutError(f"the VIP did not stay on one node for {self.args.settle:g}s "
                           f"in {IDLE_ATTEMPTS} attempts")

    def run(self) -> Outcome:
        lab, system = self.lab, self.system
        system.setup(lab)
        for node in lab.node_names:
            self.boot(node)
        poller = Poller(lab, system.vip, lab.workdir / "poller.log")
        try:
            for index in range(self.args.trials):
                holder = self.idle(poller)
                trial = self.trial(poller, holder)
                self.outcome.trials.append(trial)
                shown = ("FAILED" if trial.failover_ms is None
                         else f"{trial.failover_ms:6.0f} ms")
                phases = " ".join(f"{k} {v:.0f}" for k, v in trial.phases_ms.items())
                print(f"  trial {index + 1:3d}: powered off {holder}, VIP answered from "
                      f"{trial.new_holder or '-'} after {shown} "
                      f"({trial.failed_requests} failed requests)"
                      + (f"  [{phases}]" if phases else "")
                      + (f"  {trial.note}" if trial.note else ""), flush=True)
            if self.args.hog_seconds > 0:
                holder = self.ready(poller)
                self.outcome.hog = self.hog(poller)
        except (TimeoutError, AssertionError) as exc:
            self.outcome.error = str(exc).splitlines()[0]
            print(f"  stopped: {self.outcome.error}", flush=True)
            if self.args.verbose:
                print(str(exc))
        finally:
            poller.stop()
            for node in lab.node_names:
                lab.stop(node, timeout=5)
            for backend in self.backends.values():
                backend.kill()
                backend.wait()
        return self.outcome

    def trial(self, poller: Poller, holder: str) -> Trial:
        lab, system = self.lab, self.system
        survivors = [n for n in lab.node_names if n != holder]
        poller.read()
        fault = time.time()
        lab.power_off(holder)
        answer, seen = poller.wait_other(holder, fault, self.args.trial_timeout)
        old = [a.end for a in seen if a.ok and a.node == holder]
        trial = Trial(holder=holder, new_holder=answer.node if answer else None,
                      failover_ms=(answer.end - fault) * 1000 if answer else None,
                      failed_requests=sum(not a.ok for a in seen),
                      last_old_ms=(max(old) - fault) * 1000 if old else None)
        try:
            system.settled(lab, survivors)
        except AssertionError as exc:
            trial.note = "survivors did not settle: " + str(exc).splitlines()[0]
        trial.phases_ms = {k: round(v, 1) for k, v in
                           sorted(system.phases(lab, holder, fault).items(),
                                  key=lambda item: item[1])}
        self.boot(holder)
        return trial

    def hog(self, poller: Poller) -> dict[str, Any]:
        seconds, processes = self.args.hog_seconds, self.args.hog_procs
        poller.read()
        started, ended = saturate_cpus(seconds, processes)
        time.sleep(0.5)
        poller.read()
        answers = [a for a in poller.answers if started <= a.start <= ended]
        moves, longest, previous, last_ok = 0, 0.0, None, started
        for answer in answers:
            if not answer.ok:
                continue
            if previous is not None and answer.node != previous:
                moves += 1
            previous = answer.node
            longest = max(longest, answer.end - last_ok)
            last_ok = answer.end
        return {"seconds": seconds, "processes": processes, "vip_moves": moves,
                "requests": len(answers), "failed_requests": sum(not a.ok for a in answers),
                "longest_gap_ms": round(longest * 1000, 1)}


# --- output -----------------------------------------------------------------------------


def table(outcomes: list[Outcome]) -> list[str]:
    head = (f"{'system':16s} {'settings':34s} {'trials':>6s} {'p50':>6s} {'p95':>6s} "
            f"{'max':>6s} {'failed':>6s}  {'agent CPU % per node (idle)':28s} "
            f"{'hog: moves/failed req/gap ms'}")
    lines = [head, "-" * len(head)]
    for outcome in outcomes:
        f = figures(outcome.samples())
        failed = sum(t.failover_ms is None for t in outcome.trials)
        cpu = " ".join(f"{v['with_children']:.2f}" for v in outcome.cpu.percent().values())
        hog = outcome.hog
        hog_text = (f"{hog['vip_moves']}/{hog['failed_requests']}/{hog['longest_gap_ms']:.0f}"
                    if hog else "-")
        numbers = (f"{f['p50']:6.0f} {f['p95']:6.0f} {f['max']:6.0f}" if f
                   else f"{'-':>6s} {'-':>6s} {'-':>6s}")
        lines.append(f"{outcome.system:16s} {short_settings(outcome.settings):34s} "
                     f"{len(outcome.trials):6d} {numbers} {failed:6d}  {cpu or '-':28s} "
                     f"{hog_text}")
    return lines


def short_settings(settings: dict[str, Any]) -> str:
    if "interval" in settings:
        probe = str(settings["probe_timeout"]).split()[0]
        fence = "fence_lab" if settings["stonith_enabled"] else "no fencing"
        return (f"hb {settings['interval']}/{settings['dead_time']} probe {probe} "
                f"{fence}")
    return f"VRRPv{settings['vrrp_version']} advert_int {settings['advert_int']}s"


def make_system(name: str, args: argparse.Namespace) -> System:
    if name == "hafailover":
        return Hafailover(args)
    if name == "hafailover-fast":
        return Hafailover(args, fast=True)
    if name == "keepalived":
        return Keepalived(args)
    return Keepalived(args, v3=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--systems", default=",".join(ALL_SYSTEMS),
                        help=f"comma-separated, from: {', '.join(ALL_SYSTEMS)}")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--prefix", default="bfo", help="the lab's namespace prefix")
    parser.add_argument("--subnet", type=int, default=130, help="the lab's subnet")
    parser.add_argument("--interval", default="100ms", help="hafailover's heartbeat interval")
    parser.add_argument("--dead-time", default="500ms", help="hafailover's dead time")
    parser.add_argument("--probe-timeout", default=None,
                        help="hafailover's peer probe-timeout (default: the agent's)")
    parser.add_argument("--fast-interval", default="50ms")
    parser.add_argument("--fast-dead-time", default="250ms")
    parser.add_argument("--fast-probe-timeout", default="100ms")
    parser.add_argument("--no-fencing", action="store_true",
                        help="hafailover with stonith-enabled: false")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="idle seconds before each trial, over which CPU is measured")
    parser.add_argument("--trial-timeout", type=float, default=30.0,
                        help="seconds without an answer from another node: a failed trial")
    parser.add_argument("--hog-seconds", type=float, default=30.0,
                        help="CPU hog after the trials (0: none)")
    parser.add_argument("--hog-procs", type=int, default=4)
    parser.add_argument("--workdir", type=Path,
                        help="keep the labs' files (configurations, logs) under this directory")
    parser.add_argument("--verbose", action="store_true",
                        help="print the whole report when a system stops early")
    args = parser.parse_args()
    names = [n.strip() for n in args.systems.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_SYSTEMS]
    if unknown or not names:
        parser.error(f"unknown system(s) {', '.join(unknown) or '(none)'}: "
                     f"choose from {', '.join(ALL_SYSTEMS)}")
    if any(n.startswith("keepalived") for n in names) and not os.path.exists(KEEPALIVED):
        parser.error(f"{KEEPALIVED} not found: install the Debian package keepalived")

    print(f"failover of a VIP on a 3-node lab, {args.trials} trials per system; the client "
          f"starts a GET every {POLL_PERIOD * 1000:g} ms ({POLL_TIMEOUT * 1000:g} ms "
          f"timeout); {os.cpu_count()} CPUs", flush=True)
    outcomes = []
    for name in names:
        system = make_system(name, args)
        print(f"\n{name}: {json.dumps(system.settings())}", flush=True)
        with contextlib.ExitStack() as stack:
            workdir = (args.workdir / name if args.workdir else Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="hafailover-failover-"))))
            lab = stack.enter_context(Lab(system.spec(), workdir))
            outcomes.append(Bench(system, lab, args).run())

    print("\nfault (power off of the VIP holder) -> first HTTP answer from another node (ms)")
    for line in table(outcomes):
        print(line)
    print("agent CPU: the agent and its children (resource agents, VRRP process) over the "
          f"idle {args.settle:g}s before each trial, % of one core; hog: "
          f"{args.hog_procs} busy loops for {args.hog_seconds:g}s, VIP moves (false "
          "failovers), failed requests, longest gap between answers")
    for outcome in outcomes:
        if outcome.idle_disturbed:
            print(f"{outcome.system}: the VIP moved or failed while idle "
                  f"{len(outcome.idle_disturbed)} time(s) (no fault injected)")
        if outcome.error:
            print(f"{outcome.system}: stopped early: {outcome.error}")
    if args.json:
        args.json.write_text(json.dumps(
            {"trials_per_system": args.trials, "cpus": os.cpu_count(),
             "poll_period_ms": POLL_PERIOD * 1000, "poll_timeout_ms": POLL_TIMEOUT * 1000,
             "systems": [{"system": o.system, "settings": o.settings,
                          "failover_ms": figures(o.samples()),
                          "failed_trials": sum(t.failover_ms is None for t in o.trials),
                          "trials": [asdict(t) for t in o.trials],
                          "cpu_percent": o.cpu.percent(),
                          "cpu_seconds_measured": round(o.cpu.seconds, 1),
                          "hog": o.hog, "idle_disturbed": o.idle_disturbed,
                          "error": o.error} for o in outcomes]},
            indent=2) + "\n")
        print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
