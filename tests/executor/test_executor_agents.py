"""Debian's resource-agents through the executor: ocf:heartbeat:Dummy and IPaddr2."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from executor_fakes import RecordingCoordinator, dummy

from hafailover.config.model import AgentRef, Operation, Primitive, Role, frozen_map
from hafailover.config.scores import INFINITY
from hafailover.executor import (
    DecisionKind,
    Discovered,
    ExecStatus,
    Executor,
    ExecutorOptions,
    netns_prefix,
    system_gateway,
)
from hafailover.lab.netns import Netns, add_bridge, connect, namespace

pytestmark = pytest.mark.tier1

needs_agents = pytest.mark.skipif(
    not os.path.exists("/usr/lib/ocf/resource.d/heartbeat/Dummy"),
    reason="Debian's resource-agents is not installed")


def executor(coordinator: RecordingCoordinator | None = None, **options: object) -> Executor:
    gateway = system_gateway(coordinator or RecordingCoordinator(), kill_grace=0.5)
    return Executor(ExecutorOptions(**{"node": "n1", **options}),  # type: ignore[arg-type]
                    gateway)


@needs_agents
def test_dummy_starts_answers_monitors_and_stops(tmp_path: Path) -> None:
    state = tmp_path / "dummy.state"
    p = dummy(state=str(state))

    async def scenario() -> list[tuple[str, int | None, bool]]:
        ex = executor()
        seen = []
        for action in ("start", "monitor", "stop", "monitor"):
            result = await ex.execute(p, action)
            seen.append((action, result.rc, state.exists()))
        return seen

    assert asyncio.run(scenario()) == [
        ("start", 0, True), ("monitor", 0, True), ("stop", 0, False), ("monitor", 7, False)]


@needs_agents
def test_dummy_meta_data_and_validation(tmp_path: Path) -> None:
    async def scenario() -> None:
        ex = executor()
        meta = await ex.execute(dummy(state=str(tmp_path / "s")), "meta-data")
        assert meta.ok and '<resource-agent name="Dummy"' in meta.stdout.text
        bad = await ex.execute(dummy(state="/nonexistent/dir/state"), "validate-all")
        assert (bad.rc, bad.status) == (2, ExecStatus.ERROR)
        assert bad.exit_reason is not None and "is not writable" in bad.exit_reason

    asyncio.run(scenario())


@needs_agents
def test_failed_start_bans_the_node(tmp_path: Path) -> None:
    coordinator = RecordingCoordinator()

    async def scenario() -> None:
        ex = executor(coordinator)
        result = await ex.start(dummy(state="/nonexistent/dir/state"))
        assert result.rc == 1

    asyncio.run(scenario())
    [decision] = coordinator.decisions
    assert (decision.kind, decision.fail_count) == (DecisionKind.MOVE_AWAY, INFINITY)


@needs_agents
def test_probes_discover_a_running_dummy_and_do_not_restart_it(tmp_path: Path) -> None:
    running = dummy("running", state=str(tmp_path / "running.state"))
    stopped = dummy("stopped", state=str(tmp_path / "stopped.state"))
    asyncio.run(executor().start(running))
    before = os.stat(tmp_path / "running.state")

    coordinator = RecordingCoordinator()  # a restarted daemon: a new executor

    async def restarted() -> dict[str, Discovered]:
        found = await executor(coordinator).probe_all([running, stopped])
        return {k: v.discovered for k, v in found.items()}

    assert asyncio.run(restarted()) == {"running": Discovered.STARTED,
                                        "stopped": Discovered.STOPPED}
    after = os.stat(tmp_path / "running.state")
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert {r.action for r in coordinator.results} == {"monitor"}
    assert coordinator.decisions == []


@needs_agents
def test_recurring_monitor_reports_a_dummy_stopped_behind_its_back_once(tmp_path: Path) -> None:
    state = tmp_path / "d.state"
    p = dummy(state=str(state), operations=(Operation("monitor", interval=0.1, timeout=5),))
    coordinator = RecordingCoordinator()

    async def scenario() -> None:
        ex = executor(coordinator)
        await ex.start(p)
        await asyncio.sleep(0.3)
        state.unlink()
        await asyncio.sleep(1.0)  # about ten monitor runs
        await ex.close()

    asyncio.run(scenario())
    [change] = coordinator.changes
    assert (change.expected, change.result.rc, change.result.observed) == (
        Role.STARTED, 7, Role.STOPPED)
    assert change.result.exit_reason == "No process state file found"
    [decision] = coordinator.decisions
    assert decision.kind is DecisionKind.RECOVER_IN_PLACE and decision.fail_count == 1


@needs_agents
def test_missing_agent_is_not_installed_and_nothing_runs() -> None:
    p = Primitive("ghost", AgentRef("ocf", "heartbeat", "NoSuchAgent"))
    result = asyncio.run(executor().start(p))
    assert (result.status, result.rc) == (ExecStatus.NOT_INSTALLED, 5)
    assert "/usr/lib/ocf/resource.d/heartbeat/NoSuchAgent does not exist" in result.reason


# --- IPaddr2 in a network namespace -------------------------------------------------------


@pytest.fixture
def lan() -> Iterator[Netns]:
    suffix = str(os.getpid() % 100000)
    with namespace(f"exs{suffix}") as switch, namespace(f"exn{suffix}") as node:
        add_bridge(switch, "br0")
        connect(node, "eth0", switch, "br0", addresses=["10.213.0.1/24"])
        yield node


def addresses(ns: Netns) -> str:
    return ns.run(["ip", "-o", "-4", "addr", "show", "dev", "eth0"]).stdout


@needs_agents
def test_ipaddr2_adds_and_removes_the_address_inside_a_namespace(lan: Netns) -> None:
    p = Primitive("vip", AgentRef("ocf", "heartbeat", "IPaddr2"),
                  params=frozen_map({"ip": "10.213.0.50", "cidr_netmask": "24", "nic": "eth0"}))
    seen: list[tuple[str, int | None, bool]] = []

    async def scenario() -> None:
        ex = executor(argv_prefix=netns_prefix(lan.name))
        for action in ("monitor", "start", "monitor", "stop", "monitor"):
            result = await ex.execute(p, action)
            assert result.status is not ExecStatus.TIMEOUT, result.reason
            seen.append((action, result.rc, "10.213.0.50/24" in addresses(lan)))

    asyncio.run(scenario())
    assert seen == [("monitor", 7, False), ("start", 0, True), ("monitor", 0, True),
                    ("stop", 0, False), ("monitor", 7, False)]
