"""The lab itself: namespaces, links, faults and process control, without the agent.

Each node runs a small UDP echo server in place of the agent; a probe sent from one
namespace tells which addresses answer.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hafailover.config.loader import load_config_file
from hafailover.lab.cluster import CLIENT, Lab, LabError, LabSpec, cleanup
from hafailover.lab.netns import create_namespace, namespace_exists, namespace_names

pytestmark = pytest.mark.tier1

PREFIX = "hlt"
ECHO_PORT = 7999
ECHO_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, sender = s.recvfrom(512)
    s.sendto(data, sender)
"""
# Sends to every target every 0.2 s until all answered or the time is up; prints the
# addresses that answered.
PROBE = """
import json, select, socket, sys, time
port, seconds, targets = int(sys.argv[1]), float(sys.argv[2]), set(sys.argv[3:])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
answered, deadline, next_send = set(), time.monotonic() + seconds, 0.0
while answered != targets and time.monotonic() < deadline:
    if time.monotonic() >= next_send:
        for target in targets - answered:
            try:
                s.sendto(b"ping", (target, port))
            except OSError:
                pass
        next_send = time.monotonic() + 0.2
    if select.select([s], [], [], 0.05)[0]:
        answered.add(s.recvfrom(512)[1][0])
print(json.dumps(sorted(answered)))
"""


def start_echo(lab: Lab, member: str) -> None:
    lab.start(member, argv=[sys.executable, "-c", ECHO_SERVER, str(ECHO_PORT)])


def answering(lab: Lab, source: str, targets: list[str], seconds: float = 1.5) -> set[str]:
    """Which of ``targets`` answer a UDP echo sent from ``source``."""
    result = lab.netns(source).run(
        [sys.executable, "-c", PROBE, str(ECHO_PORT), str(seconds), *targets])
    return set(json.loads(result.stdout))


def silent(lab: Lab, source: str, targets: list[str]) -> bool:
    """None of ``targets`` answers (an open path answers within milliseconds)."""
    return answering(lab, source, targets, seconds=0.6) == set()


def all_addresses(lab: Lab, members: list[str]) -> list[str]:
    return [address for member in members for address in lab.addresses(member)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = LabSpec(prefix=PREFIX, nodes=3, links=2, subnet=150)
    with Lab(spec, tmp_path_factory.mktemp("lab")) as lab:
        for member in lab.members:
            start_echo(lab, member)
        yield lab


@pytest.fixture
def healthy(lab: Lab) -> Iterator[Lab]:
    """The lab with every fault removed afterwards, whatever the test did."""
    yield lab
    lab.heal()
    for node in lab.node_names:
        lab.loss(node, 0)
        lab.power_on(node)
        if not lab.running(node):
            start_echo(lab, node)


def test_every_node_reaches_every_other_on_every_link(healthy: Lab) -> None:
    for node in healthy.node_names:
        others = [n for n in healthy.node_names if n != node]
        targets = all_addresses(healthy, others)
        assert answering(healthy, node, targets) == set(targets)


def test_the_client_reaches_the_nodes_on_link_0(healthy: Lab) -> None:
    targets = [healthy.address(node, 0) for node in healthy.node_names]
    assert answering(healthy, CLIENT, targets) == set(targets)


def test_lab_namespaces_do_not_forward(healthy: Lab) -> None:
    for member in healthy.members:
        result = healthy.netns(member).run(["sysctl", "-n", "net.ipv4.ip_forward"])
        assert result.stdout.strip() == "0"


def test_the_generated_configuration_loads_without_errors(tmp_path: Path) -> None:
    for transport in ("multicast", "unicast"):
        spec = LabSpec(nodes=3, links=2, transport=transport, peer_port=7415,
                       extra_yaml="properties: {stonith-enabled: false}\n")
        path = tmp_path / f"{transport}.yaml"
        path.write_text(spec.config_text())
        result = load_config_file(path)
        assert result.config is not None, [r.message for r in result.reports]
        assert [n.name for n in result.config.nodes] == ["n1", "n2", "n3"]
        assert result.config.nodes[1].addresses == {"ring0": "10.60.0.12",
                                                    "ring1": "10.61.0.12"}
        assert result.config.peer.port == 7415


def test_a_partition_cuts_the_groups_apart_on_every_link(healthy: Lab) -> None:
    healthy.partition(["n1", "n2"], ["n3"])
    assert silent(healthy, "n3", all_addresses(healthy, ["n1", "n2"]))
    assert silent(healthy, "n1", all_addresses(healthy, ["n3"]))
    assert silent(healthy, "n2", all_addresses(healthy, ["n3"]))
    inside = all_addresses(healthy, ["n2"])
    assert answering(healthy, "n1", inside) == set(inside)
    unlisted = [healthy.address(node) for node in healthy.node_names]
    assert answering(healthy, CLIENT, unlisted) == set(unlisted)

    healthy.heal()
    targets = all_addresses(healthy, ["n1", "n2"])
    assert answering(healthy, "n3", targets) == set(targets)


def test_a_new_partition_replaces_the_previous_one(healthy: Lab) -> None:
    healthy.partition(["n1", "n2"], ["n3"])
    healthy.partition(["n1"], ["n2", "n3"])
    n3 = all_addresses(healthy, ["n3"])
    assert answering(healthy, "n2", n3) == set(n3)
    assert silent(healthy, "n1", all_addresses(healthy, ["n2", "n3"]))


def test_a_node_cannot_be_in_two_groups(healthy: Lab) -> None:
    with pytest.raises(LabError, match="n1 is in two groups"):
        healthy.partition(["n1", "n2"], ["n1", "n3"])


def test_a_link_down_cuts_that_link_only(healthy: Lab) -> None:
    healthy.link_down("n2", 1)
    assert silent(healthy, "n1", [healthy.address("n2", 1)])
    assert answering(healthy, "n1", [healthy.address("n2", 0)]) == {healthy.address("n2", 0)}
    healthy.link_up("n2", 1)
    assert answering(healthy, "n1", [healthy.address("n2", 1)]) == {healthy.address("n2", 1)}


def test_full_packet_loss_cuts_a_node_off_until_removed(healthy: Lab) -> None:
    targets = all_addresses(healthy, ["n3"])
    healthy.loss("n3", 100)
    assert silent(healthy, "n1", targets)
    healthy.loss("n3", 0)
    assert answering(healthy, "n1", targets) == set(targets)


def test_power_off_kills_every_process_and_power_on_brings_the_links_back(
        healthy: Lab) -> None:
    ns = healthy.netns("n2")
    other = ns.popen(["sleep", "600"])
    deadline = time.monotonic() + 5  # until "ip netns exec" has entered the namespace
    while other.pid not in ns.pids() and time.monotonic() < deadline:
        time.sleep(0.02)
    healthy.power_off("n2")
    assert not healthy.running("n2")
    assert other.wait(timeout=5) == -signal.SIGKILL
    assert ns.pids() == []
    assert silent(healthy, "n1", [healthy.address("n2")])

    healthy.power_on("n2")
    assert not healthy.running("n2")
    start_echo(healthy, "n2")
    targets = all_addresses(healthy, ["n2"])
    assert answering(healthy, "n1", targets, seconds=3) == set(targets)


def test_freeze_stops_the_process_and_thaw_resumes_it(healthy: Lab) -> None:
    def state(pid: int) -> str:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

    pid = healthy.pid("n3")
    assert pid is not None
    healthy.freeze("n3")
    deadline = time.monotonic() + 5
    while state(pid) != "T" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert state(pid) == "T"
    assert silent(healthy, "n1", [healthy.address("n3")])
    healthy.thaw("n3")
    assert answering(healthy, "n1", [healthy.address("n3")]) == {healthy.address("n3")}


def test_stop_returns_the_exit_code_and_the_output_goes_to_the_log(
        healthy: Lab) -> None:
    healthy.stop("n1")
    healthy.start("n1", argv=["sh", "-c", 'echo "$HAFAILOVER_STATE_DIR"; '
                              'echo \'{"event": "started", "node": "n1"}\'; exit 3'])
    deadline = time.monotonic() + 5
    while healthy.running("n1") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert healthy.stop("n1") == 3
    assert {"event": "started", "node": "n1"} in healthy.log_records("n1")
    assert str(healthy.state_dir("n1")) in healthy.log_path("n1").read_text()
    start_echo(healthy, "n1")
    assert healthy.stop("n1") == -signal.SIGTERM


def test_waiting_for_a_status_nobody_gives_names_what_was_awaited(healthy: Lab) -> None:
    with pytest.raises(AssertionError, match="a view with every node") as failure:
        healthy.wait_until(lambda statuses: False, timeout=0.2, what="a view with every node")
    assert "agent.log" in str(failure.value)


def test_destroy_is_idempotent_and_create_replaces_a_leftover(tmp_path: Path) -> None:
    spec = LabSpec(prefix="hlx", nodes=1, subnet=170)
    create_namespace("hlx-n1")  # as a crashed run would leave it
    lab = Lab(spec, tmp_path)
    lab.create()
    try:
        assert namespace_names(r"hlx-.*") == ["hlx-client", "hlx-n1", "hlx-sw"]
        assert (tmp_path / "keys" / "n1.crt").exists()
        assert (tmp_path / "keys" / "cluster.key").stat().st_mode & 0o077 == 0
    finally:
        lab.destroy()
    lab.destroy()
    assert namespace_names(r"hlx-.*") == []
    assert cleanup("hlx") == []
    assert not namespace_exists("hlx-sw")


def test_not_being_root_is_a_clear_error(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(LabError, match="run it as root"):
        Lab(LabSpec(prefix="hly"), tmp_path).create()
