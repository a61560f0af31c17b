"""The harness's decisions against a fake engine: health, targets, undoing faults."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hafailover.chaos.faults import STORE, WEB, Fault, Kind
from hafailover.chaos.harness import ChaosRun, Options

pytestmark = pytest.mark.tier0
COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
NODES = ("n1", "n2", "n3")


def status(node: str, members: tuple[str, ...] = NODES, *, vip: str = "n1",
           stores: tuple[str, ...] = ("n2", "n3"), unclean: tuple[str, ...] = ()) -> str:
    resources = [{"resource": "vip", "node": vip, "role": "Started"},
                 {"resource": "haproxy", "node": vip, "role": "Started"}]
    resources += [{"resource": "store", "node": n, "role": "Started"} for n in stores]
    return json.dumps({
        "node": node,
        "view": {"members": list(members), "quorate": len(members) >= 2, "coordinator": "n1"},
        "nodes": [{"name": n, "unclean": n in unclean} for n in NODES],
        "cluster_status": {"resources": resources, "transition": {"running": False}},
    })


class FakeEngine:
    """Answers like podman would and records every command."""

    name = "podman"

    def __init__(self) -> None:
        self.states = dict.fromkeys(NODES, "running")
        self.statuses = {n: status(n) for n in NODES}
        self.calls: list[tuple[str, ...]] = []

    def container(self, service: str) -> str:
        return f"hafailover-{service}"

    def state(self, service: str) -> str:
        return self.states[service]

    def cli(self, *args: str, **_: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        if args[0] == "start":
            self.states[args[1].removeprefix("hafailover-")] = "running"
        if args[0] == "unpause":
            self.states[args[1].removeprefix("hafailover-")] = "running"
        return subprocess.CompletedProcess(args, 0, "", "")

    def exec(self, service: str, *argv: str, **_: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(("exec", service, *argv))
        out = self.statuses[service] if argv[:2] == ("hactl", "status") else ""
        return subprocess.CompletedProcess(argv, 0, out, "")


def harness(engine: FakeEngine) -> ChaosRun:
    return ChaosRun(Options(COMPOSE, say=lambda _: None), engine=engine)  # type: ignore[arg-type]


def test_a_cluster_with_every_member_and_every_resource_is_healthy() -> None:
    ok, why = harness(FakeEngine()).healthy()
    assert ok, why
    assert why == "vip and haproxy on n1, store on n2, n3"


def test_a_node_that_sees_two_members_makes_the_cluster_unhealthy() -> None:
    engine = FakeEngine()
    engine.statuses["n3"] = status("n3", ("n1", "n3"))
    assert harness(engine).healthy() == (False, "n3 sees members ['n1', 'n3']")


def test_an_unclean_node_or_a_missing_store_makes_the_cluster_unhealthy() -> None:
    engine = FakeEngine()
    engine.statuses["n1"] = status("n1", unclean=("n2",))
    assert harness(engine).healthy() == (False, "n1 sees n2 unclean")
    engine = FakeEngine()
    engine.statuses = {n: status(n, stores=("n2",)) for n in NODES}
    assert harness(engine).healthy() == (False, "store on ['n2']")


def test_a_paused_node_gives_no_status_and_the_cluster_is_not_healthy() -> None:
    engine = FakeEngine()
    engine.states["n2"] = "paused"
    assert harness(engine).healthy() == (False, "no status from n2")


def test_role_targets_resolve_to_where_the_resources_run() -> None:
    run = harness(FakeEngine())
    where = {"vip": ["n3"], "store": ["n1", "n2"]}
    assert run.resolve(Fault(Kind.KILL, WEB), where) == "n3"
    assert run.resolve(Fault(Kind.KILL_STORE, STORE), where) in ("n1", "n2")
    assert run.resolve(Fault(Kind.PAUSE, "n2"), where) == "n2"


def test_undoing_a_pause_of_a_node_fenced_meanwhile_starts_it() -> None:
    engine = FakeEngine()
    engine.states["n2"] = "exited"
    notes = harness(engine).undo(Kind.PAUSE, "n2")
    assert ("start", "hafailover-n2") in engine.calls
    assert notes == ["n2 was exited (fenced or stopped): started again"]


def test_undoing_a_pause_unpauses_a_node_still_frozen() -> None:
    engine = FakeEngine()
    engine.states["n2"] = "paused"
    assert harness(engine).undo(Kind.PAUSE, "n2") == []
    assert engine.calls == [("unpause", "hafailover-n2")]


def test_a_disconnected_node_still_running_gets_its_interface_back() -> None:
    engine = FakeEngine()
    harness(engine).undo(Kind.DISCONNECT, "n3")
    assert engine.calls == [("exec", "n3", "ip", "link", "set", "eth0", "up")]
