"""fence_lab on real namespaces: off is a power loss, on brings the links back, and it
works from inside another node's namespace, as a node's agent runs it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hafailover.config.model import ClusterConfig, FenceDevice, Node, frozen_map
from hafailover.fencing.agents import run_fence_agent
from hafailover.fencing.fencer import Fencer
from hafailover.lab.cluster import Lab, LabSpec

pytestmark = pytest.mark.tier1

PREFIX = "tfl"
FORMAT = f"{PREFIX}-{{plug}}"
AGENT = [sys.executable, "-m", "hafailover.fencing.fence_lab"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = LabSpec(prefix=PREFIX, nodes=3, links=2, subnet=120)
    with Lab(spec, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


@pytest.fixture
def n2(lab: Lab) -> Iterator[Lab]:
    """n2 powered on with a process and a daemonised grandchild running in it."""
    lab.power_on("n2")
    if not lab.running("n2"):
        lab.start("n2", argv=["sleep", "600"])
    daemon = lab.netns("n2").popen(["sh", "-c", "sleep 600 & exec sleep 600"],
                                   stdin=subprocess.DEVNULL)
    yield lab
    daemon.kill()
    daemon.wait()


def fence_lab(lab: Lab, where: str, action: str, plug: str = "n2",
              ) -> subprocess.CompletedProcess[str]:
    """Run the agent inside ``where``'s namespace with its request on standard input."""
    return lab.netns(where).run(AGENT, check=False,
                                input=f"action={action}\nplug={plug}\nnamespace={FORMAT}\n")


def links(lab: Lab, node: str) -> dict[str, bool]:
    out = lab.netns(node).run(["ip", "-j", "link", "show"]).stdout
    return {link["ifname"]: "UP" in link["flags"] for link in json.loads(out)}


def test_off_kills_every_process_and_takes_the_links_down(n2: Lab) -> None:
    assert n2.netns("n2").pids()
    result = fence_lab(n2, "n1", "off")
    assert result.returncode == 0, result.stderr
    assert n2.netns("n2").pids() == []
    assert not n2.running("n2")
    assert links(n2, "n2") == {"lo": True, "eth0": False, "eth1": False}
    assert fence_lab(n2, "n1", "status").returncode == 2


def test_on_brings_the_links_up_but_starts_no_process(n2: Lab) -> None:
    assert fence_lab(n2, "n1", "off").returncode == 0
    result = fence_lab(n2, "n3", "on")
    assert result.returncode == 0, result.stderr
    assert links(n2, "n2") == {"lo": True, "eth0": True, "eth1": True}
    assert n2.netns("n2").pids() == []
    status = fence_lab(n2, "n1", "status")
    assert status.returncode == 0 and "Status: ON" in status.stdout


def test_reboot_leaves_the_links_up_and_no_process_alive(n2: Lab) -> None:
    result = fence_lab(n2, "n1", "reboot")
    assert result.returncode == 0, result.stderr
    assert n2.netns("n2").pids() == []
    assert links(n2, "n2")["eth0"] and links(n2, "n2")["eth1"]


def test_command_line_options_work_like_fence_agents(lab: Lab) -> None:
    result = lab.netns("n1").run([*AGENT, "-o", "status", "-n", "n3",
                                  f"--namespace={FORMAT}"], check=False)
    assert result.returncode == 0 and "Status: ON" in result.stdout


def test_list_names_the_plugs_of_the_lab(lab: Lab) -> None:
    result = fence_lab(lab, "n1", "list")
    assert result.returncode == 0
    plugs = {line.split(",")[0] for line in result.stdout.splitlines()}
    assert {"n1", "n2", "n3", "sw", "client"} <= plugs


def test_monitor_succeeds_where_ip_works(lab: Lab) -> None:
    assert fence_lab(lab, "n1", "monitor").returncode == 0


def test_a_node_without_namespace_is_an_error(lab: Lab) -> None:
    result = fence_lab(lab, "n1", "off", plug="n9")
    assert result.returncode == 1
    assert "no network namespace 'tfl-n9'" in result.stderr


def test_the_fencer_powers_a_node_off_through_fence_lab(n2: Lab, tmp_path: Path) -> None:
    device = FenceDevice("lab", "fence_lab", frozen_map({"namespace": FORMAT}), timeout=30)
    config = ClusterConfig(name="lab", nodes=tuple(Node(f"n{i}", i) for i in (1, 2, 3)),
                           fence_devices=(device,))
    outcome = asyncio.run(Fencer(config).fence("n2", reason="lost", requested_by="n1"))
    assert outcome.ok, outcome.message
    assert n2.netns("n2").pids() == []
    status = asyncio.run(run_fence_agent(device, "status", "n2", 30))
    assert status.ok and status.power == "off"
