"""The executor with fake ports: what the coordinator hears after each operation."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest
from executor_fakes import dummy, rig, settle

from hafailover.config.model import AgentRef, Operation, Primitive, Role, frozen_map
from hafailover.config.scores import INFINITY
from hafailover.executor import (
    CloneInstance,
    DecisionKind,
    Discovered,
    ExecStatus,
    ProbeTarget,
    Severity,
)

pytestmark = pytest.mark.tier0

MON = (Operation("monitor", interval=10.0, timeout=5.0),)


def test_start_runs_the_agent_with_the_action_as_its_only_argument() -> None:
    r = rig()
    result = asyncio.run(r.executor.start(dummy()))
    argv, env, timeout = r.runner.calls[0]
    assert argv == ("/usr/lib/ocf/resource.d/heartbeat/Dummy", "start")
    assert env["OCF_RESOURCE_INSTANCE"] == "d1" and timeout == 20.0
    assert result.ok and r.coordinator.results == [result]


def test_configured_timeout_and_argv_prefix_are_used() -> None:
    r = rig(argv_prefix=("ip", "netns", "exec", "n1"))
    p = dummy(operations=(Operation("start", timeout=7.0),))
    asyncio.run(r.executor.start(p))
    argv, _, timeout = r.runner.calls[0]
    assert argv[:4] == ("ip", "netns", "exec", "n1") and timeout == 7.0


def test_missing_agent_is_reported_not_installed_without_running_anything() -> None:
    r = rig()
    p = Primitive("x", AgentRef("ocf", "heartbeat", "NoSuchAgent"))
    result = asyncio.run(r.executor.start(p))
    assert r.runner.calls == []
    assert (result.status, result.rc, result.severity) == (
        ExecStatus.NOT_INSTALLED, 5, Severity.HARD)
    assert "/usr/lib/ocf/resource.d/heartbeat/NoSuchAgent" in result.reason
    [decision] = r.coordinator.decisions
    assert decision.kind is DecisionKind.MOVE_AWAY and decision.fail_count == INFINITY


def test_timeout_is_reported_as_a_timeout_not_an_error() -> None:
    r = rig(lambda argv, env: "timeout")
    result = asyncio.run(r.executor.execute(dummy(), "monitor"))
    assert result.status is ExecStatus.TIMEOUT and result.rc is None
    assert "timed out after 20.0s" in result.reason


def test_failed_stop_asks_for_fencing_with_a_reason() -> None:
    r = rig(lambda argv, env: 1)
    asyncio.run(r.executor.stop(dummy()))
    [decision] = r.coordinator.decisions
    assert decision.kind is DecisionKind.FENCE_NODE
    assert "stop of d1 on n1 failed" in decision.reason and "fence n1" in decision.reason


def test_failed_stop_without_fencing_blocks() -> None:
    r = rig(lambda argv, env: 1, fencing_enabled=False)
    asyncio.run(r.executor.stop(dummy()))
    assert r.coordinator.decisions[0].kind is DecisionKind.BLOCK


def test_soft_failures_count_up_to_migration_threshold_then_move_away() -> None:
    r = rig(lambda argv, env: 1)
    p = dummy(migration_threshold=2)

    async def scenario() -> None:
        await r.executor.execute(p, "notify")
        await r.executor.execute(p, "notify")

    asyncio.run(scenario())
    kinds = [d.kind for d in r.coordinator.decisions]
    assert kinds == [DecisionKind.RECOVER_IN_PLACE, DecisionKind.MOVE_AWAY]
    assert r.executor.fail_count(p) == 2
    assert [(f.resource, f.node, f.count) for f in r.executor.fail_counts()] == [("d1", "n1", 2)]


def test_failures_expire_after_failure_timeout() -> None:
    r = rig(lambda argv, env: 1)
    p = dummy(failure_timeout=60.0)

    async def scenario() -> None:
        await r.executor.execute(p, "notify")
        assert r.executor.fail_count(p) == 1
        await r.clock.advance(61)
        assert r.executor.fail_count(p) == 0
        assert [e.resource for e in r.executor.expire_failures([p])] == ["d1"]

    asyncio.run(scenario())
    assert r.executor.fail_counts() == ()


def test_clearing_failures_resets_the_count() -> None:
    r = rig(lambda argv, env: 1)
    p = dummy()
    asyncio.run(r.executor.execute(p, "notify"))
    r.executor.clear_failures("d1")
    assert r.executor.fail_count(p) == 0


def answer_monitor(rcs: list[int]) -> object:
    def answer(argv: Sequence[str], env: Mapping[str, str]) -> int:
        if argv[-1] == "monitor":
            return rcs.pop(0) if len(rcs) > 1 else rcs[0]
        return 0
    return answer


def test_recurring_monitor_starts_after_start_and_reports_a_failure_once() -> None:
    r = rig(answer_monitor([0, 0, 7, 7, 7, 7]))  # type: ignore[arg-type]
    p = dummy(operations=MON)

    async def scenario() -> None:
        await r.executor.start(p)
        await settle()
        for _ in range(5):
            await r.clock.advance(10)
        await r.executor.close()

    asyncio.run(scenario())
    assert r.runner.actions().count("monitor") == 6
    [change] = r.coordinator.changes
    assert change.expected is Role.STARTED and change.result.rc == 7
    assert "expected started" in change.reason
    [decision] = r.coordinator.decisions
    assert decision.kind is DecisionKind.RECOVER_IN_PLACE and decision.interval == 10.0


def test_monitor_that_recovers_and_fails_again_is_reported_again() -> None:
    r = rig(answer_monitor([7, 0, 7, 7]))  # type: ignore[arg-type]
    p = dummy(operations=MON)

    async def scenario() -> None:
        await r.executor.start(p)
        await settle()
        for _ in range(3):
            await r.clock.advance(10)
        await r.executor.close()

    asyncio.run(scenario())
    assert len(r.coordinator.changes) == 2


def test_stop_cancels_the_monitors_before_stopping() -> None:
    r = rig()
    p = dummy(operations=MON)

    async def scenario() -> None:
        await r.executor.start(p)
        await settle()
        assert len(r.executor.monitors.active()) == 1
        await r.executor.stop(p)
        await r.clock.advance(100)

    asyncio.run(scenario())
    assert r.runner.actions() == ["start", "monitor", "stop"]
    assert r.executor.monitors.active() == ()


def test_maintenance_pauses_monitors_and_leaving_it_resumes_them() -> None:
    r = rig()
    p = dummy(operations=MON)

    async def scenario() -> None:
        await r.executor.start(p)
        await settle()
        await r.executor.set_maintenance(True)
        await r.clock.advance(100)
        assert r.runner.actions().count("monitor") == 1
        await r.executor.set_maintenance(False)
        await settle()
        await r.executor.close()

    asyncio.run(scenario())
    assert r.runner.actions().count("monitor") == 2


PROMOTABLE = (Operation("monitor", interval=10.0, role=Role.PROMOTED),
              Operation("monitor", interval=11.0, role=Role.UNPROMOTED))


def test_promote_and_demote_swap_the_per_role_monitors() -> None:
    r = rig(lambda argv, env: 8 if argv[-1] == "monitor" and
            env.get("OCF_RESKEY_CRM_meta_role") == "Promoted" else 0)
    p = dummy(operations=PROMOTABLE)
    clone = CloneInstance(0, 2, promotable=True)
    intervals: list[list[float]] = []

    async def scenario() -> None:
        ex = r.executor
        await ex.start(p, clone)
        intervals.append([s.operation.interval for s in ex.monitors.active()])
        await ex.promote(p, clone)
        intervals.append([s.operation.interval for s in ex.monitors.active()])
        await settle()
        await ex.demote(p, clone)
        intervals.append([s.operation.interval for s in ex.monitors.active()])
        await ex.close()

    asyncio.run(scenario())
    assert intervals == [[11.0], [10.0], [11.0]]
    assert r.coordinator.changes == []  # the promoted monitor answered 8 as expected
    assert r.executor.role_of("d1:0") is Role.UNPROMOTED


def test_probe_all_reports_each_instance_and_never_starts_anything() -> None:
    states = {"a": 0, "b": 7, "c": 8, "d": 1}
    r = rig(lambda argv, env: states[env["OCF_RESOURCE_INSTANCE"]], probe_concurrency=2)
    found = asyncio.run(r.executor.probe_all([dummy(k) for k in states]))
    assert {k: v.discovered for k, v in found.items()} == {
        "a": Discovered.STARTED, "b": Discovered.STOPPED, "c": Discovered.PROMOTED,
        "d": Discovered.FAILED}
    assert set(r.runner.actions()) == {"monitor"}
    assert all(env["OCF_RESKEY_CRM_meta_interval"] == "0" for _, env, _ in r.runner.calls)
    assert r.runner.max_in_flight <= 2
    assert [d.resource for d in r.coordinator.decisions] == ["d"]


def test_probe_with_an_expectation_and_adopting_what_was_found() -> None:
    r = rig(lambda argv, env: 0)
    p = dummy(operations=MON)

    async def scenario() -> None:
        found = await r.executor.probe_all([ProbeTarget(p, expected=Role.STOPPED)])
        assert found["d1"].result.unexpected and found["d1"].discovered is Discovered.STARTED
        r.executor.adopt(p, Role.STARTED)
        await settle()
        await r.executor.close()

    asyncio.run(scenario())
    assert r.runner.actions() == ["monitor", "monitor"]
    assert "start" not in r.runner.actions()


def test_probe_uses_the_timeout_of_the_shortest_monitor() -> None:
    r = rig()
    p = dummy(operations=(Operation("monitor", interval=30.0, timeout=9.0),
                          Operation("monitor", interval=10.0, timeout=4.0)))
    asyncio.run(r.executor.probe(p))
    assert r.runner.calls[0][2] == 4.0


def test_parameter_that_cannot_be_passed_is_a_fatal_error_and_nothing_runs() -> None:
    r = rig()
    p = Primitive("x", AgentRef("ocf", "heartbeat", "Dummy"),
                  params=frozen_map({"a=b": "1"}))
    result = asyncio.run(r.executor.start(p))
    assert r.runner.calls == []
    assert (result.rc, result.severity) == (6, Severity.FATAL) and "'a=b'" in result.reason
    assert r.coordinator.decisions[0].kind is DecisionKind.STOP_EVERYWHERE
