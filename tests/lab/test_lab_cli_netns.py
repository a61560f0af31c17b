"""``hafailover lab`` from the command line: each command a process of its own, as a user
runs them, on one lab with the demo service (a VIP and haproxy in front of two
backends that answer with their node's name)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hafailover.cli.hafailover import cli
from hafailover.lab.cluster import CLIENT, Lab, namespace_pattern
from hafailover.lab.netns import create_namespace, delete_namespace, namespace_names
from hafailover.lab.report import http_get
from hafailover.lab.session import attach

pytestmark = pytest.mark.tier1

PREFIX = "tlc"
SUBNET = 140
VIP = f"10.{SUBNET}.0.100"
URL = f"http://{VIP}/"
NODES = ["n1", "n2", "n3"]


class LabCli:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.env = dict(os.environ, HAFAILOVER_LAB_DIR=str(directory))
        self.up_output = ""

    def run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hafailover", "lab", *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout,
                              check=False)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    def status(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.ok("status", "--format", "json"))
        return document

    def ask_demo(self) -> str:
        """What the demo answers the client through the VIP ("" for no answer)."""
        result = self.run("exec", "client", "--", "curl", "-s", "-m", "0.5", URL)
        return result.stdout.strip() if result.returncode == 0 else ""

    @property
    def lab(self) -> Lab:
        return attach(self.directory).lab


def until(what: str, check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.1)


def vip_holder(lab: Lab) -> str | None:
    for status in lab.statuses().values():
        for item in ((status or {}).get("cluster_status") or {}).get("resources") or []:
            if item["resource"] == "vip":
                return str(item["node"])
    return None


def whole_cluster(lab: Lab) -> bool:
    statuses = lab.statuses()
    return all(s is not None and s["view"]["members"] == NODES for s in statuses.values())


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (left for whoever adopted it to reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def member(status: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in status["members"] if m["name"] == name)


@pytest.fixture(scope="module")
def lab_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCli]:
    lab_cli = LabCli(tmp_path_factory.mktemp("labcli") / "lab")
    lab_cli.run("down", "--prefix", PREFIX)  # left over from a crashed run
    lab_cli.up_output = lab_cli.ok("up", "--prefix", PREFIX, "--subnet", str(SUBNET))
    yield lab_cli
    lab_cli.run("down", "--prefix", PREFIX)


@pytest.fixture
def cluster(lab_cli: LabCli) -> LabCli:
    """The lab with every fault undone and every node back in the cluster."""
    lab = lab_cli.lab
    lab.heal()
    for node in NODES:
        lab.loss(node, 0)

    def restored() -> bool:
        for node in NODES:  # a node fenced after a fault of the last test is started
            if not lab.running(node):
                lab_cli.ok("start", node)
        return whole_cluster(lab)
    until("every node in one view", restored, timeout=30)
    until("the demo answering", lambda: http_get(lab, CLIENT, URL, timeout=0.5))
    return lab_cli


def test_up_waits_until_the_demo_answers_through_the_vip(cluster: LabCli) -> None:
    assert f"demo: {URL} answered from the client: n" in cluster.up_output
    assert f"hafailover lab exec client -- curl -s {URL}" in cluster.up_output
    assert cluster.ask_demo() in NODES


def test_the_backends_answer_with_their_node_names_in_turn(cluster: LabCli) -> None:
    answers = {cluster.ask_demo() for _ in range(6)}
    assert len(answers) == 2 and answers <= set(NODES)


def test_status_shows_every_node_and_where_web_runs(cluster: LabCli) -> None:
    status = cluster.status()
    assert [m["agent"] for m in status["members"][:3]] == ["running"] * 3
    assert member(status, "client")["links"] == {"eth0": "up"}
    resources = status["cluster"]["resources"]
    assert resources["vip"] == resources["haproxy"] and len(resources["vip"]) == 1
    assert len(resources["backend"]) == 2
    assert status["demo"]["answer"] in NODES
    text = cluster.ok("status")
    assert f"web: {resources['vip'][0]}; {URL} from the client: answered by" in text


def test_exec_gives_hactl_that_nodes_agent(cluster: LabCli) -> None:
    document = json.loads(cluster.ok("exec", "n2", "--", "hactl", "status", "--format",
                                     "json"))
    assert document["node"] == "n2"
    assert cluster.ok("exec", "client", "--", sys.executable, "-c",
                      "print('from the client')").strip() == "from the client"


def test_killing_the_vip_holder_moves_the_service_to_another_node(cluster: LabCli) -> None:
    holder = until("a VIP holder", lambda: vip_holder(cluster.lab))
    cluster.ok("kill", holder)
    assert member(cluster.status(), holder)["agent"] == "powered-off"
    survivors = set(NODES) - {holder}
    until("the demo answering from a survivor",
          lambda: vip_holder(cluster.lab) in survivors and cluster.ask_demo() in survivors)
    assert member(cluster.status(), holder)["links"] == {"eth0": "down"}

    cluster.ok("start", holder)
    until(f"{holder} back in the cluster", lambda: whole_cluster(cluster.lab))


def test_a_frozen_node_is_fenced_by_the_others(cluster: LabCli) -> None:
    cluster.ok("freeze", "n3")
    until("n3 powered off by fence_lab",
          lambda: member(cluster.status(), "n3")["agent"] == "powered-off")


def test_partition_loss_and_heal_are_shown_per_node(cluster: LabCli) -> None:
    cluster.ok("partition", "n1,n2", "n3")
    cluster.ok("loss", "n3", "100")
    status = cluster.status()
    assert member(status, "n1")["cut_off_from"] == ["n3"]
    assert member(status, "n3")["cut_off_from"] == ["n1", "n2"]
    assert member(status, "client")["cut_off_from"] == []
    assert [m["loss_percent"] for m in status["members"]] == [0, 0, 100, 0]
    assert cluster.run("exec", "client", "--", "ping", "-c", "1", "-W", "0.3",
                       cluster.lab.address("n3")).returncode != 0

    cluster.ok("heal")
    cluster.ok("loss", "n3", "0")
    status = cluster.status()
    assert all(m["cut_off_from"] == [] and m["loss_percent"] == 0
               for m in status["members"])


def test_restart_runs_a_new_agent_that_joins_again(cluster: LabCli) -> None:
    before = member(cluster.status(), "n1")["pid"]
    output = cluster.ok("restart", "n1")
    assert f"agent {before} stopped" in output
    after = member(cluster.status(), "n1")["pid"]
    assert after not in (None, before)
    until("n1 back in the cluster", lambda: whole_cluster(cluster.lab))


def test_nothing_runs_or_listens_outside_the_lab_namespaces(cluster: LabCli) -> None:
    host = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=True)
    assert f"10.{SUBNET}." not in host.stdout
    ours = os.stat("/proc/self/ns/net").st_ino
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            netns = os.stat(entry / "ns" / "net").st_ino
        except OSError:
            continue
        if str(cluster.directory) in command or "hafailover.lab.backend" in command:
            assert netns != ours, f"{entry.name} runs outside the lab: {command}"


def test_up_refuses_a_namespace_that_is_taken(tmp_path: Path) -> None:
    lab_cli = LabCli(tmp_path / "lab")
    delete_namespace("tlx-n1")
    create_namespace("tlx-n1")
    try:
        result = lab_cli.run("up", "--prefix", "tlx", "--subnet", "141", "--nodes", "1",
                             "--no-demo")
        assert result.returncode == 1
        assert ("namespace tlx-n1 exists: a lab is already up (hafailover lab status), "
                "or remove it with hafailover lab down") in result.stderr
        assert namespace_names(namespace_pattern("tlx")) == ["tlx-n1"]
    finally:
        delete_namespace("tlx-n1")


def test_freeze_thaw_and_down_of_a_one_node_lab(tmp_path: Path) -> None:
    lab_cli = LabCli(tmp_path / "lab")
    lab_cli.ok("up", "--prefix", "tlx", "--subnet", "141", "--nodes", "1", "--no-demo")
    assert (lab_cli.directory / "lab.json").exists()
    lab_cli.ok("freeze", "n1")
    assert member(lab_cli.status(), "n1")["agent"] == "frozen"
    lab_cli.ok("thaw", "n1")
    assert member(lab_cli.status(), "n1")["agent"] == "running"
    until("n1's agent answering", lambda: lab_cli.lab.statuses()["n1"])
    assert "removed namespaces tlx-client, tlx-n1, tlx-sw" in lab_cli.ok("down")
    assert not lab_cli.directory.exists()
    assert "nothing to remove" in lab_cli.ok("down")
    assert namespace_names(namespace_pattern("tlx")) == []


def test_down_works_when_the_labs_own_files_are_gone(lab_cli: LabCli) -> None:
    pids = [pid for node in NODES if (pid := lab_cli.lab.pid(node)) is not None]
    assert pids
    shutil.rmtree(lab_cli.directory)  # as after a crash that lost the lab's directory
    assert lab_cli.run("status").returncode == 1
    output = lab_cli.ok("down", "--prefix", PREFIX)
    assert f"removed namespaces {PREFIX}-client" in output
    assert namespace_names(namespace_pattern(PREFIX)) == []
    assert not any(alive(pid) for pid in pids)


def test_not_being_root_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    for args in (["up"], ["status"], ["down"]):
        result = CliRunner().invoke(cli, ["lab", *args])
        assert result.exit_code == 1
        assert result.output.strip() == "Error: hafailover lab needs root: run it with sudo"
