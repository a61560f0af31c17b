"""End to end: the demo service (VIP + haproxy in front of two backends, fence_lab) on a
3-node lab, seen from a client namespace through the VIP.

Each test starts from a formed cluster serving http://VIP/ and says what a user sees.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hafailover.control.client import command
from hafailover.lab import demo
from hafailover.lab.cluster import Lab, LabSpec, Statuses, holders
from hafailover.v1 import control_pb2

pytestmark = pytest.mark.tier1

PREFIX = "te2"
SUBNET = 150


def get(lab: Lab, timeout: float = 1.0) -> str | None:
    """The body of http://VIP/ from the client namespace, or None."""
    result = lab.netns("client").run(
        ["curl", "-s", "-m", str(timeout), f"http://{demo.vip(lab.spec)}/"],
        check=False, timeout=timeout + 5)
    body = result.stdout.strip()
    return body if result.returncode == 0 and body else None


def serving(lab: Lab, *, nodes: list[str] | None = None, timeout: float = 40.0) -> str:
    """Wait until the VIP and haproxy run on exactly one node and the service answers
    through the VIP; return that node."""
    deadline = time.monotonic() + timeout
    last: Statuses = {}
    while time.monotonic() < deadline:
        last = lab.statuses(nodes)
        vip, proxy = holders(last, "vip"), holders(last, "haproxy")
        if len(vip) == 1 and vip == proxy and get(lab) in lab.node_names:
            return vip[0]
        time.sleep(0.2)
    raise AssertionError(f"the service does not answer through the VIP: vip on "
                         f"{holders(last, 'vip')}, haproxy on {holders(last, 'haproxy')}")


def moved_away(lab: Lab, holder: str, timeout: float = 40.0) -> str:
    """Wait until the service answers from a node other than ``holder``; return it."""
    deadline = time.monotonic() + timeout
    while (now := serving(lab)) == holder and time.monotonic() < deadline:
        time.sleep(0.2)
    return now


def views(lab: Lab, nodes: list[str]) -> set[tuple[int, tuple[str, ...]]]:
    return {(s["view"]["number"], tuple(s["view"]["members"]))
            for s in lab.statuses(nodes).values() if s is not None}


def ctl(lab: Lab, at: str, **fields: object) -> control_pb2.CommandReply:
    """A command sent to the agent on node ``at``; it must succeed."""
    reply = command(lab.control_socket(at), control_pb2.CommandRequest(**fields))  # type: ignore[arg-type]
    assert reply.ok, reply.message
    return reply


def processes(lab: Lab, node: str, name: str) -> list[int]:
    found = []
    for pid in lab.netns(node).pids():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                found.append(pid)
        except OSError:
            continue
    return found


def boot(lab: Lab, node: str) -> None:
    """Power a node on as a machine boots: without the addresses its services had added
    (the VIP) and with an empty /run (the agents' state files), then start its agent."""
    lab.power_on(node)
    lab.netns(node).run(["ip", "addr", "del", f"{demo.vip(lab.spec)}/24", "dev", "eth0"],
                        check=False)
    shutil.rmtree(lab.node_dir(node) / "rsctmp", ignore_errors=True)
    lab.start(node)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    workdir = tmp_path_factory.mktemp("e2e")
    base = LabSpec(prefix=PREFIX, subnet=SUBNET)
    spec = LabSpec(prefix=PREFIX, subnet=SUBNET, extra_yaml=demo.extra_yaml(base, workdir))
    (workdir / demo.HAPROXY_FILE).write_text(demo.haproxy_config(spec))
    with Lab(spec, workdir) as lab, lab.agents_running():
        yield lab


@pytest.fixture()
def cluster(lab: Lab) -> Iterator[Lab]:
    """Every node up and member, no fault, the service answering through the VIP."""
    lab.heal()
    for node in lab.node_names:
        lab.loss(node, 0)
        if not lab.running(node):
            boot(lab, node)
    lab.wait_until(lambda s: all(x is not None and len(x["view"]["members"]) == 3
                                 and x["cluster_status"] is not None
                                 and not x["cluster_status"]["constraints"]
                                 for x in s.values()), what="a formed cluster", timeout=40)
    for node in lab.node_names:
        holder_status = lab.status(node)["cluster_status"]
        for failure in holder_status["fail_counts"]:
            ctl(lab, node, command="cleanup", resource=failure["resource"])
        break
    serving(lab)
    yield lab


def test_1_a_crashed_holder_is_replaced_and_the_service_answers_again(cluster: Lab) -> None:
    holder = serving(cluster)
    cluster.power_off(holder)
    survivors = [n for n in cluster.node_names if n != holder]
    assert serving(cluster, nodes=survivors) != holder


def test_2_standby_moves_the_service_and_unstandby_leaves_it_where_it_is(
        cluster: Lab) -> None:
    holder = serving(cluster)
    other = next(n for n in cluster.node_names if n != holder)
    ctl(cluster, other, command="standby", node=holder)
    moved = moved_away(cluster, holder)
    assert moved != holder
    ctl(cluster, other, command="unstandby", node=holder)
    time.sleep(3)
    assert serving(cluster) == moved, "stickiness keeps it where it moved"


def test_3_move_moves_it_and_it_stays_after_clear(cluster: Lab) -> None:
    holder = serving(cluster)
    target = next(n for n in cluster.node_names if n != holder)
    ctl(cluster, holder, command="move", resource="web", node=target, keep=True)
    assert moved_away(cluster, holder) == target
    ctl(cluster, holder, command="clear", resource="web")
    time.sleep(3)
    assert serving(cluster) == target


def test_4_haproxy_killed_is_restarted_in_place_then_moves_at_the_threshold(
        cluster: Lab) -> None:
    holder = serving(cluster)
    for kill in range(1, 4):
        pids = processes(cluster, holder, "haproxy")
        assert pids, f"haproxy runs on {holder} before kill {kill}"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            counts = cluster.status(holder)["cluster_status"]["fail_counts"]
            if any(c["resource"] == "haproxy" and c["count"] >= kill for c in counts):
                break
            time.sleep(0.2)
        if kill < 3:
            deadline = time.monotonic() + 30
            while not processes(cluster, holder, "haproxy") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert serving(cluster) == holder, f"restarted in place after failure {kill}"
    assert moved_away(cluster, holder) != holder, "migration-threshold 3 reached: it moved"


def test_5_a_minority_holder_drops_the_vip_and_the_majority_serves(cluster: Lab) -> None:
    holder = serving(cluster)
    majority = [n for n in cluster.node_names if n != holder]
    cluster.partition([holder], majority)
    try:
        new = serving(cluster, nodes=majority)
        assert new in majority
        assert holders(cluster.statuses([holder]), "vip") == []
    finally:
        cluster.heal()
    if not cluster.running(holder):  # fenced by the majority
        boot(cluster, holder)
    cluster.wait_until(lambda s: all(x is not None and len(x["view"]["members"]) == 3
                                     for x in s.values()), what="healed", timeout=40)
    time.sleep(3)
    assert serving(cluster) == new, "no flapping back after the heal"


def test_6_a_frozen_holder_is_fenced_before_takeover_and_never_two_macs_answer(
        cluster: Lab) -> None:
    holder = serving(cluster)
    survivors = [n for n in cluster.node_names if n != holder]
    watch = cluster.netns("client").popen(
        [sys.executable, "-m", "hafailover.lab.arpwatch", "--ip", demo.vip(cluster.spec),
         "--every", "0.02"], stdout=subprocess.PIPE, text=True)
    try:
        cluster.freeze(holder)
        time.sleep(1.0)  # longer than the dead time
        new = serving(cluster, nodes=survivors)
        if cluster.running(holder):
            cluster.thaw(holder)
        time.sleep(1)
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=10)
    probes = [json.loads(line) for line in str(out).splitlines() if line.startswith('{"t"')]
    assert probes and not [p for p in probes if len(p["macs"]) > 1]
    fenced = [r for n in survivors for r in cluster.log_records(n)
              if r.get("kind") == "fence" and r.get("target") == holder]
    assert fenced, "the frozen holder was fenced"
    assert new in survivors


def test_7_after_a_whole_cluster_restart_the_service_comes_back_with_quorum(
        cluster: Lab) -> None:
    for node in cluster.node_names:
        cluster.stop(node)
    assert get(cluster, timeout=0.5) is None
    first, *rest = cluster.node_names
    cluster.start(first)
    time.sleep(3)
    assert holders(cluster.statuses([first]), "vip") == [], "nothing runs without quorum"
    for node in rest:
        cluster.start(node)
    serving(cluster)


def test_8_an_agent_restarted_in_maintenance_restarts_nothing(cluster: Lab) -> None:
    holder = serving(cluster)
    ctl(cluster, holder, command="maintenance", node=holder, on=True)
    pids = processes(cluster, holder, "haproxy")
    cluster.stop(holder)
    assert get(cluster) is not None, "the service keeps answering while the agent is down"
    cluster.start(holder)
    cluster.wait_until(lambda s: all(x is not None and len(x["view"]["members"]) == 3
                                     for x in s.values()), what="rejoined", timeout=40)
    ctl(cluster, holder, command="maintenance", node=holder, on=False)
    time.sleep(3)
    assert serving(cluster) == holder
    assert processes(cluster, holder, "haproxy") == pids, "haproxy was not restarted"


def test_9_thirty_percent_loss_for_a_minute_changes_nothing(cluster: Lab) -> None:
    holder = serving(cluster)
    before = views(cluster, list(cluster.node_names))
    lossy = next(n for n in cluster.node_names if n != holder)
    cluster.loss(lossy, 30)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert holders(cluster.statuses([holder]), "vip") == [holder]
            time.sleep(2)
    finally:
        cluster.loss(lossy, 0)
    said = [f"{node}: {r['event']}" for node in cluster.node_names
            for r in cluster.log_records(node)[-300:] if r.get("kind") == "membership"]
    assert views(cluster, list(cluster.node_names)) == before, \
        "membership changed:\n" + "\n".join(said[-20:])
    assert serving(cluster) == holder, "no failover"


def test_10_a_configuration_that_only_adds_a_resource_leaves_the_service_untouched(
        cluster: Lab) -> None:
    holder = serving(cluster)
    pids = processes(cluster, holder, "haproxy")
    text = cluster.config_path.read_text() + """\
  - primitive: extra
    agent: ocf:heartbeat:Dummy
"""
    path = cluster.workdir / "with-extra.yaml"
    path.write_text(text)
    poller = cluster.netns("client").popen(
        [sys.executable, "-m", "hafailover.lab.poll", "--url",
         f"http://{demo.vip(cluster.spec)}/", "--every", "0.05", "--seconds", "8"],
        stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    applied = subprocess.run(
        [sys.executable, "-m", "hafailover.cli.hactl", "config", "apply", str(path),
         "--force", "--wait", "30", "--socket", str(cluster.control_socket(holder))],
        check=False, capture_output=True, text=True, timeout=60)
    raw, _ = poller.communicate(timeout=30)
    out = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "NO ANSWER" not in out, f"the service flapped: {out}"
        assert "did not answer for 0 ms" in out
        assert serving(cluster) == holder
        assert processes(cluster, holder, "haproxy") == pids, "haproxy was not restarted"
        extra = cluster.wait_until(lambda s: len(holders(s, "extra")) == 1,
                                   what="the new resource started", timeout=20)
        assert holders(extra, "extra")
    finally:
        original = text.replace("""  - primitive: extra
    agent: ocf:heartbeat:Dummy
""", "")
        path.write_text(original)
        subprocess.run(
            [sys.executable, "-m", "hafailover.cli.hactl", "config", "apply", str(path),
             "--force", "--wait", "30", "--socket", str(cluster.control_socket(holder))],
            check=False, capture_output=True, text=True, timeout=60)
