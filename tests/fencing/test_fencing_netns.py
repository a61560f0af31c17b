"""Never run a resource twice: fencing and self-fencing on a real cluster of agents.

A client namespace asks who holds the VIP every 20 ms throughout each test (ARP, with
``hafailover.lab.arpwatch``): at no probe may two MAC addresses answer.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from hafailover.config.model import TWO_NODE_FENCE_RACE_DELAY
from hafailover.control.client import command
from hafailover.lab.cluster import Lab, LabSpec, Statuses, holders
from hafailover.v1 import control_pb2

pytestmark = pytest.mark.tier1

PREFIX = "tfn"
SUBNET = 130
VIP = f"10.{SUBNET}.0.100"

RESOURCES = f"""\
resource-defaults: {{resource-stickiness: 100}}
resources:
  - primitive: vip
    agent: builtin:vip
    params: {{ip: {VIP}, cidr_netmask: "24", arp_count: "2"}}
    operations: [{{name: monitor, interval: 1s, timeout: 10s}}]
"""
FENCE_LAB = f"""\
properties: {{stonith-enabled: true}}
fencing:
  devices:
    - {{id: lab-power, agent: fence_lab, params: {{namespace: "{PREFIX}-{{plug}}"}}, timeout: 20s}}
"""
BROKEN_DEVICE = """\
properties: {stonith-enabled: true}
fencing:
  devices:
    - {id: broken-power, agent: fence_lab, params: {namespace: "nowhere-{plug}"}, timeout: 5s}
"""
WATCHDOG = """\
properties: {stonith-enabled: true, watchdog-timeout: 2s}
"""


def restart_with(lab: Lab, extra: str) -> str:
    """A fresh cluster with this configuration; returns the node holding the VIP."""
    for node in lab.node_names:
        if lab.running(node):
            lab.stop(node)
        lab.power_on(node)
        shutil.rmtree(lab.state_dir(node), ignore_errors=True)
        lab.netns(node).run(["ip", "addr", "flush", "dev", "eth0", "to", f"{VIP}/32"],
                            check=False)
    spec = dataclasses.replace(lab.spec, extra_yaml=RESOURCES + extra)
    lab.write_config(spec.config_text())
    for node in lab.node_names:
        lab.start(node)
    statuses = lab.wait_until(lambda s: len(holders(s, "vip")) == 1 and all(
        x is not None and len(x["view"]["members"]) == len(lab.node_names)
        for x in s.values()), what="a formed cluster with the VIP on one node", timeout=30)
    return holders(statuses, "vip")[0]


class ArpWatch:
    def __init__(self, lab: Lab, vip: str = VIP) -> None:
        self.process = lab.netns("client").popen(
            [sys.executable, "-m", "hafailover.lab.arpwatch", "--ip", vip, "--every", "0.02"],
            stdout=subprocess.PIPE, text=True)

    def stop(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=10)
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        return [x for x in lines if "t" in x], next(x["summary"] for x in lines
                                                      if "summary" in x)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = LabSpec(prefix=PREFIX, subnet=SUBNET, extra_yaml=RESOURCES + FENCE_LAB)
    with Lab(spec, tmp_path_factory.mktemp("fencing")) as lab:
        yield lab
        for node in lab.node_names:
            lab.stop(node)


def records(lab: Lab, nodes: list[str], kind: str) -> list[dict[str, Any]]:
    return [r for node in nodes for r in lab.log_records(node) if r.get("kind") == kind]


def when(record: dict[str, Any]) -> float:
    return datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp()


def assert_never_two_macs(watch: ArpWatch) -> list[dict[str, Any]]:
    probes, summary = watch.stop()
    doubled = [p for p in probes if len(p["macs"]) > 1]
    assert not doubled, f"two MACs answered for the VIP: {doubled[:5]}"
    assert summary["probes"] > 20  # one every 20 ms, for the whole takeover
    return probes


def test_a_crashed_holder_is_fenced_before_its_vip_starts_elsewhere(lab: Lab) -> None:
    holder = restart_with(lab, FENCE_LAB)
    survivors = [n for n in lab.node_names if n != holder]
    watch = ArpWatch(lab)
    try:
        lab.power_off(holder)
        statuses = lab.wait_until(lambda s: len(holders(s, "vip")) == 1, nodes=survivors,
                                  what="the VIP started on a survivor", timeout=30)
    finally:
        probes = assert_never_two_macs(watch)
        lab.power_on(holder)
    new = holders(statuses, "vip")[0]
    fenced = [r for r in records(lab, survivors, "fence")
              if r.get("target") == holder and "lab-power" in str(r.get("devices"))]
    started = [r for r in records(lab, survivors, "action")
               if r.get("event", "").startswith(f"start vip on {new}: ok")]
    assert fenced and started, (fenced, started)
    assert when(fenced[0]) <= when(started[-1])
    history = lab.status(survivors[0])["cluster_status"]["fencing"]["history"]
    assert any(h["target"] == holder and h["ok"] and h["devices"] == ["lab-power"]
               for h in history)
    assert probes[-1]["macs"], "the VIP answers at the end"


def test_a_frozen_holder_is_fenced_and_never_answers_with_the_new_holder(lab: Lab) -> None:
    holder = restart_with(lab, FENCE_LAB)
    survivors = [n for n in lab.node_names if n != holder]
    watch = ArpWatch(lab)
    try:
        lab.freeze(holder)  # the agent stops; the VIP stays on its interface
        lab.wait_until(lambda s: len(holders(s, "vip")) == 1, nodes=survivors,
                       what="the VIP started on a survivor", timeout=30)
        time.sleep(1)
    finally:
        assert_never_two_macs(watch)
        if lab.running(holder):
            lab.thaw(holder)
        lab.power_on(holder)
    assert not lab.running(holder), "fence_lab killed every process of the frozen node"
    assert any(r.get("target") == holder for r in records(lab, survivors, "fence"))


def test_without_a_device_the_watchdog_self_fences_a_frozen_holder(lab: Lab) -> None:
    holder = restart_with(lab, WATCHDOG)
    survivors = [n for n in lab.node_names if n != holder]
    watch = ArpWatch(lab)
    try:
        lab.freeze(holder)
        lab.wait_until(lambda s: len(holders(s, "vip")) == 1, nodes=survivors,
                       what="the VIP started on a survivor after the watchdog", timeout=40)
        time.sleep(1)
    finally:
        assert_never_two_macs(watch)
        if lab.running(holder):
            lab.thaw(holder)
    time.sleep(0.5)
    assert not lab.running(holder), "the watchdog killed the frozen agent"
    log = lab.log_path(holder).read_text()
    assert "no pet for" in log
    history = lab.status(survivors[0])["cluster_status"]["fencing"]["history"]
    assert any(h["target"] == holder and h["devices"] == ["watchdog"] for h in history)


def test_a_failing_fence_device_blocks_recovery_until_an_operator_confirms(lab: Lab) -> None:
    holder = restart_with(lab, BROKEN_DEVICE)
    survivors = [n for n in lab.node_names if n != holder]
    lab.power_off(holder)
    try:
        statuses = lab.wait_until(
            lambda s: all(x is not None and x["cluster_status"] is not None
                          and holder in x["cluster_status"]["fencing"]["failing"]
                          for x in s.values()),
            nodes=survivors, what="the failing fence reported in status", timeout=30)
        time.sleep(3)  # retries, and still no recovery
        statuses = lab.statuses(survivors)
        assert holders(statuses, "vip") == []
        alerts = [r for r in records(lab, survivors, "fence")
                  if "FAILED" in r.get("event", "") and r.get("level") == "error"]
        assert len(alerts) >= 2, "the failure is retried and reported each time"
        node = lab.status(survivors[0])
        assert next(n for n in node["nodes"] if n["name"] == holder)["unclean"]

        refused = command(lab.control_socket(survivors[0]), control_pb2.CommandRequest(
            command="fence-confirm", node=survivors[1]))
        assert not refused.ok and "it is up" in refused.message
        confirmed = subprocess.run(
            [sys.executable, "-m", "hafailover.cli.hactl", "fence", "confirm", holder,
             "--force", "--wait", "30", "--socket", str(lab.control_socket(survivors[0]))],
            check=False, capture_output=True, text=True, timeout=60)
        assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
        assert f"{holder} is recorded as down" in confirmed.stdout
        lab.wait_until(lambda s: len(holders(s, "vip")) == 1, nodes=survivors,
                       what="recovery after the confirmation", timeout=30)
    finally:
        lab.power_on(holder)


PAIR_SUBNET = 131
PAIR_VIP = f"10.{PAIR_SUBNET}.0.100"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    extra = RESOURCES.replace(VIP, PAIR_VIP) + """\
quorum: {two-node: true}
properties: {stonith-enabled: true, priority-fencing-delay: 3s}
fencing:
  devices:
    - {id: lab-power, agent: fence_lab, params: {namespace: "tf2-{plug}"}, timeout: 20s}
"""
    spec = LabSpec(prefix="tf2", nodes=2, subnet=PAIR_SUBNET, extra_yaml=extra)
    with Lab(spec, tmp_path_factory.mktemp("pair")) as lab, lab.agents_running():
        yield lab


def test_a_two_node_cluster_cut_in_two_keeps_exactly_one_node_with_the_vip(pair: Lab) -> None:
    statuses = pair.wait_until(lambda s: len(holders(s, "vip")) == 1 and all(
        x is not None and len(x["view"]["members"]) == 2 for x in s.values()),
        what="both nodes up, the VIP on one", timeout=30)
    holder = holders(statuses, "vip")[0]
    watch = ArpWatch(pair, PAIR_VIP)
    try:
        pair.partition(["n1"], ["n2"])
        deadline = time.monotonic() + 30
        while sum(pair.running(n) for n in pair.node_names) > 1 \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(5)  # long enough for a delayed second fence to have happened
        survivors = [n for n in pair.node_names if pair.running(n)]
        assert len(survivors) == 1, "exactly one node survives the fence race"
        assert survivors == [holder], "the node that ran the VIP is the one kept"
        assert holders(pair.statuses(survivors), "vip") == survivors
    finally:
        probes = assert_never_two_macs(watch)
        pair.heal()
    assert probes[-1]["macs"], "the VIP answers at the end"


DEFAULT_PAIR_SUBNET = 132
DEFAULT_PAIR_VIP = f"10.{DEFAULT_PAIR_SUBNET}.0.100"


@pytest.fixture(scope="module")
def default_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Two nodes, a VIP and fence_lab, and nothing about quorum or fence races: what a
    new user writes."""
    extra = RESOURCES.replace(VIP, DEFAULT_PAIR_VIP) + FENCE_LAB.replace(PREFIX, "td2")
    spec = LabSpec(prefix="td2", nodes=2, subnet=DEFAULT_PAIR_SUBNET, extra_yaml=extra)
    with Lab(spec, tmp_path_factory.mktemp("default-pair")) as lab:
        yield lab
        for node in lab.node_names:
            lab.stop(node)


def formed_pair(pair: Lab) -> str:
    """Both nodes up and members, the VIP on one; that node."""
    for node in pair.node_names:
        pair.power_on(node)
        if not pair.running(node):
            pair.start(node)
    statuses = pair.wait_until(lambda s: len(holders(s, "vip")) == 1 and all(
        x is not None and len(x["view"]["members"]) == 2 for x in s.values()),
        what="both nodes up, the VIP on one", timeout=40)
    return holders(statuses, "vip")[0]


def test_a_default_pair_recovers_the_vip_when_its_holder_loses_power(default_pair: Lab) -> None:
    holder = formed_pair(default_pair)
    survivor = next(n for n in default_pair.node_names if n != holder)
    watch = ArpWatch(default_pair, DEFAULT_PAIR_VIP)
    try:
        default_pair.power_off(holder)
        statuses = default_pair.wait_until(
            lambda s: holders(s, "vip") == [survivor], nodes=[survivor],
            what="the VIP started on the survivor", timeout=40)
    finally:
        probes = assert_never_two_macs(watch)
    status = statuses[survivor]
    assert status is not None and status["view"]["quorate"]
    assert probes[-1]["macs"], "the VIP answers at the end"


def test_a_default_pair_cut_in_two_keeps_the_node_with_the_vip(default_pair: Lab) -> None:
    holder = formed_pair(default_pair)
    watch = ArpWatch(default_pair, DEFAULT_PAIR_VIP)
    try:
        default_pair.partition(["n1"], ["n2"])
        deadline = time.monotonic() + 40
        while sum(default_pair.running(n) for n in default_pair.node_names) > 1 \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(TWO_NODE_FENCE_RACE_DELAY + 2)  # a delayed second fence would be done
        survivors = [n for n in default_pair.node_names if default_pair.running(n)]
        assert survivors == [holder], "the node that ran the VIP is the one kept"
        assert holders(default_pair.statuses(survivors), "vip") == survivors
    finally:
        probes = assert_never_two_macs(watch)
        default_pair.heal()
    assert probes[-1]["macs"], "the VIP answers at the end"


def test_hactl_fence_powers_a_node_off_by_hand_and_records_who_asked(lab: Lab) -> None:
    holder = restart_with(lab, FENCE_LAB)
    target = next(n for n in lab.node_names if n != holder)
    other = next(n for n in lab.node_names if n not in (holder, target))
    fenced = subprocess.run(
        [sys.executable, "-m", "hafailover.cli.hactl", "fence", target, "--force",
         "--socket", str(lab.control_socket(other))],
        check=False, capture_output=True, text=True, timeout=60)
    try:
        assert fenced.returncode == 0, fenced.stdout + fenced.stderr
        time.sleep(0.5)
        assert not lab.running(target), "fence_lab killed its agent"
        history = lab.status(other)["cluster_status"]["fencing"]["history"]
        assert any(h["target"] == target and h["ok"] and h["requested_by"] == "operator"
                   for h in history)
        assert holders(lab.statuses([holder, other]), "vip") == [holder], "the VIP did not move"
    finally:
        lab.power_on(target)


def carries_vip(lab: Lab, node: str, vip: str = VIP) -> bool:
    shown = lab.netns(node).run(["ip", "-o", "addr", "show", "dev", "eth0"]).stdout
    return f" {vip}/" in shown


def test_a_fenced_holder_comes_back_without_the_vip_it_held(lab: Lab) -> None:
    holder = restart_with(lab, FENCE_LAB)
    survivors = [n for n in lab.node_names if n != holder]
    watch = ArpWatch(lab)
    try:
        lab.kill(holder)  # the agent dies; the node lives on with the VIP on eth0
        lab.wait_until(lambda s: len(holders(s, "vip")) == 1, nodes=survivors,
                       what="the VIP started on a survivor", timeout=30)
        assert not carries_vip(lab, holder), "the fence's power loss cleared the VIP"
        lab.power_on(holder)
        lab.start(holder)
        lab.wait_until(lambda s: len(holders(s, "vip")) == 1 and all(
            x is not None and len(x["view"]["members"]) == 3 for x in s.values()),
            what="the fenced node back in the cluster", timeout=30)
    finally:
        probes = assert_never_two_macs(watch)
    assert probes[-1]["macs"], "the VIP answers at the end"


def settled(statuses: Statuses) -> bool:
    """Every node a member, and one node reporting the VIP."""
    return all(x is not None and len(x["view"]["members"]) == len(statuses)
               for x in statuses.values()) and len(holders(statuses, "vip")) == 1


def test_a_node_that_boots_with_the_vip_left_on_it_gives_it_up_at_once(lab: Lab) -> None:
    """The sequence that once held the VIP on two nodes for 30 s: the stop of the
    leftover cancelled its monitor as the monitor returned, and never finished.
    Repeated, since it depended on timing."""
    holder = restart_with(lab, FENCE_LAB)
    for _ in range(3):
        survivors = [n for n in lab.node_names if n != holder]
        lab.power_off(holder)
        lab.wait_until(lambda s: len(holders(s, "vip")) == 1, nodes=survivors,
                       what="the VIP started on a survivor", timeout=30)
        lab.power_on(holder)
        lab.netns(holder).run(["ip", "addr", "add", f"{VIP}/24", "dev", "eth0"])
        watch = ArpWatch(lab)
        began = time.time()
        lab.start(holder)
        lab.wait_until(settled, what="one VIP holder, the node back", timeout=30)
        time.sleep(1)  # a stop of both copies and one start (multiple-active) has run
        statuses = lab.wait_until(settled, what="one VIP holder, settled", timeout=30)
        probes, _ = watch.stop()
        stops = [r for node in lab.node_names for r in lab.log_records(node)
                 if r.get("kind") == "action" and when(r) >= began
                 and r.get("event", "").startswith(f"stop vip on {holder}")]
        assert stops and stops[0]["event"].startswith(f"stop vip on {holder}: ok"), stops
        # a probe is stamped at the end of its 20 ms window
        late = [p for p in probes if len(p["macs"]) > 1 and p["t"] - 0.02 > when(stops[0])]
        assert not late, f"two MACs answered after the leftover was stopped: {late}"
        # multiple-active=stop_start may start it again on either node, but on one only
        assert [n for n in lab.node_names if carries_vip(lab, n)] == holders(statuses, "vip")
        holder = holders(statuses, "vip")[0]
    overdue = [r for node in lab.node_names for r in lab.log_records(node)
               if "abandoned" in r.get("event", "") or "did not stop in time"
               in r.get("event", "")]
    assert not overdue, overdue
