"""Heartbeats between real nodes: network namespaces on a bridge, multicast and unicast."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hafailover.lab.faults import drop_randomly
from hafailover.lab.netns import Netns, add_bridge, connect, namespace

pytestmark = pytest.mark.tier1

NODES = ("n1", "n2", "n3")
DRIVER = Path(__file__).with_name("heartbeat_node.py")
KEY = "ab" * 32


def config_text(transport: str) -> str:
    nodes = "\n".join(
        f"  - {{name: {n}, addresses: {{ring0: 10.77.0.{i + 1}, ring1: 10.78.0.{i + 1}}}}}"
        for i, n in enumerate(NODES))
    return f"""
cluster: {{name: hbtest}}
nodes:
{nodes}
heartbeat:
  interval: 50ms
  dead-time: 300ms
  transport: {transport}
  links:
    - {{name: ring0, multicast-group: 239.192.77.1, port: 5405}}
    - {{name: ring1, multicast-group: 239.192.78.1, port: 5406}}
properties: {{stonith-enabled: false}}
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, Netns]]:
    with namespace("hbt-sw") as switch:
        add_bridge(switch, "br0")
        add_bridge(switch, "br1")
        spaces = {}
        opened = []
        try:
            for i, name in enumerate(NODES):
                ctx = namespace(f"hbt-{name}")
                ns = ctx.__enter__()
                opened.append(ctx)
                connect(ns, "eth0", switch, "br0", addresses=[f"10.77.0.{i + 1}/24"])
                connect(ns, "eth1", switch, "br1", addresses=[f"10.78.0.{i + 1}/24"])
                spaces[name] = ns
            yield spaces
        finally:
            for ctx in reversed(opened):
                ctx.__exit__(None, None, None)


class Node:
    def __init__(self, ns: Netns, name: str, config: Path, key: str = KEY) -> None:
        self.name = name
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
        self.log = config.with_name(f"{name}.log")
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                ns.command([sys.executable, str(DRIVER), str(config), name, key]),
                stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        self.events: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._arrived:
                self.events.append(json.loads(line))
                self._arrived.notify_all()

    def seen(self, kind: str, node: str | None = None,
             link: str | None = None) -> dict[str, Any] | None:
        return next((e for e in self.events if e["kind"] == kind
                     and (node is None or e.get("node") == node)
                     and (link is None or e.get("link") == link)), None)

    def wait_for(self, kind: str, node: str | None = None, timeout: float = 5.0,
                 link: str | None = None) -> dict[str, Any]:
        """The first event of that kind (already seen or still to come)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while (event := self.seen(kind, node, link)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{self.name}: no '{kind}' event for {node} in {timeout}s; "
                        f"saw {self.events}; log: {self.log.read_text()[-2000:]}")
                self._arrived.wait(remaining)
            return event

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)


@pytest.fixture(params=["multicast", "unicast"])
def cluster(request: pytest.FixtureRequest, lab: dict[str, Netns],
            tmp_path: Path) -> Iterator[tuple[dict[str, Node], Path]]:
    path = tmp_path / "cluster.yaml"
    path.write_text(config_text(request.param))
    nodes = {name: Node(lab[name], name, path) for name in NODES}
    for node in nodes.values():
        node.wait_for("started", timeout=30)
    try:
        yield nodes, path
    finally:
        for node in nodes.values():
            node.stop(signal.SIGKILL)


def test_every_node_hears_every_other(cluster: tuple[dict[str, Node], Path]) -> None:
    nodes, _ = cluster
    for name, node in nodes.items():
        for other in NODES:
            if other != name:
                node.wait_for("alive", other)


def test_a_killed_node_is_suspected_by_the_others(
        cluster: tuple[dict[str, Node], Path]) -> None:
    nodes, _ = cluster
    nodes["n1"].wait_for("alive", "n3")
    nodes["n2"].wait_for("alive", "n3")
    nodes["n3"].stop(signal.SIGKILL)
    for survivor in ("n1", "n2"):
        event = nodes[survivor].wait_for("suspected", "n3", timeout=3)
        assert "no heartbeat on any link" in event["message"]


def test_a_stopped_node_leaves_cleanly(cluster: tuple[dict[str, Node], Path]) -> None:
    nodes, _ = cluster
    nodes["n1"].wait_for("alive", "n2")
    nodes["n2"].stop(signal.SIGTERM)
    nodes["n1"].wait_for("left", "n2", timeout=3)


def test_losing_one_link_is_only_a_warning(cluster: tuple[dict[str, Node], Path],
                                           lab: dict[str, Netns]) -> None:
    nodes, _ = cluster
    nodes["n1"].wait_for("alive", "n3")
    lab["n3"].run(["ip", "link", "set", "eth1", "down"])
    try:
        event = nodes["n1"].wait_for("link-down", "n3", link="ring1", timeout=3)
        assert "still reachable over ring0" in event["message"]
        time.sleep(0.5)
        assert nodes["n1"].seen("suspected") is None
    finally:
        lab["n3"].run(["ip", "link", "set", "eth1", "up"])


def test_a_lossy_node_is_probed_and_not_suspected(cluster: tuple[dict[str, Node], Path],
                                                  lab: dict[str, Netns]) -> None:
    """n3 keeps one link and loses 40 % of its packets each way. Six heartbeats in a row
    (the dead time) go missing about once every 12 s per peer; the probes sent while n3
    is late make up for them, so nobody suspects it."""
    nodes, _ = cluster
    for name in ("n1", "n2"):
        nodes[name].wait_for("alive", "n3")
    lab["n3"].run(["ip", "link", "set", "eth1", "down"])
    drop_randomly(lab["n3"], 40)
    try:
        time.sleep(12)
    finally:
        drop_randomly(lab["n3"], 0)
        lab["n3"].run(["ip", "link", "set", "eth1", "up"])
    for name in ("n1", "n2"):
        assert nodes[name].seen("suspected", "n3") is None, nodes[name].events
    stats = {}
    for name, node in nodes.items():
        node.stop()
        stats[name] = node.wait_for("stats")
    assert stats["n1"]["probes_sent"] > 0 and stats["n2"]["probes_sent"] > 0
    assert stats["n3"]["probes_answered"] > 0


def test_a_node_with_another_key_never_joins(lab: dict[str, Netns], tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(config_text("multicast"))
    good = Node(lab["n1"], "n1", path)
    rogue = Node(lab["n2"], "n2", path, key="cd" * 32)
    try:
        good.wait_for("started", timeout=30)
        rogue.wait_for("started", timeout=30)
        with pytest.raises(AssertionError):
            good.wait_for("alive", "n2", timeout=1.5)
        good.stop()
        stats = good.wait_for("stats")
        assert stats["dropped"].get("bad-signature", 0) > 0
    finally:
        good.stop(signal.SIGKILL)
        rogue.stop(signal.SIGKILL)
