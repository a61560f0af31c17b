"""Stopping a recurring monitor always ends it, and never leaves two loops for one monitor.

The regression: a stop of the VIP cancelled its monitor just as the monitor's in-process
call returned. Python 3.11's ``asyncio.wait_for`` then returned the result and dropped the
cancellation, the monitor loop went on, the stop waited for it forever, and the node kept
the VIP while another node took it over.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest
from executor_fakes import ManualClock, RecordingCoordinator, ScriptedRunner, settle
from hypothesis import given, settings
from hypothesis import strategies as st

from hafailover.config.model import AgentRef, Operation, Primitive, Role
from hafailover.executor import Executor, ExecutorGateway, ExecutorOptions, OperationResult
from hafailover.executor.inprocess import InProcessRunner, Invoke
from hafailover.executor.monitors import MonitorSpec, RecurringMonitors, monitors_for
from hafailover.executor.ocf import ExecStatus, Severity

pytestmark = pytest.mark.tier0

MONITOR = Operation("monitor", interval=2.0)
BUILTIN = Primitive("vip", AgentRef("builtin", None, "vip"), operations=(MONITOR,))


@dataclass
class ThreadAgent:
    """A built-in agent called in a worker thread, as the VIP is: its monitor blocks
    until the test lets it answer."""

    answer_monitor: threading.Event = field(default_factory=threading.Event)
    monitor_returned: threading.Event = field(default_factory=threading.Event)
    actions: list[str] = field(default_factory=list)

    def invoke(self, action: str, env: Mapping[str, str]) -> tuple[int, str, str]:
        self.actions.append(action)
        if action == "monitor":
            self.answer_monitor.wait(10)
            self.monitor_returned.set()
        return 0, "", ""

    def find(self, argv: Sequence[str]) -> Invoke | None:
        return self.invoke if list(argv[:2]) == [sys.executable, "-m"] else None


async def result_delivered(returned: threading.Event) -> None:
    """Return once the agent's thread has returned and the loop has set its result on
    the future, before the task waiting on that future ran again: the moment a
    cancellation was lost."""
    assert returned.wait(5)  # blocks the loop: nothing consumes the result meanwhile
    time.sleep(0.01)  # the thread's hand-over to the loop is queued
    await asyncio.sleep(0)  # one loop step sets the result; the waiting task runs next


def test_a_stop_that_cancels_a_monitor_as_it_returns_completes_and_ends_the_monitor() -> None:
    agent = ThreadAgent()
    clock = ManualClock()
    runner = InProcessRunner(ScriptedRunner(clock), clock, find_invoke=agent.find)
    executor = Executor(ExecutorOptions(node="n2"),
                        ExecutorGateway(clock=clock, runner=runner,
                                        coordinator=RecordingCoordinator()))

    async def scenario() -> None:
        executor.adopt(BUILTIN, Role.STARTED)  # a probe found the VIP left on the node
        await settle()
        agent.answer_monitor.set()
        await result_delivered(agent.monitor_returned)
        async with asyncio.timeout(5):  # the bug: this stop never completed
            result = await executor.stop(BUILTIN)
        assert result.ok
        await settle()
        assert executor.monitors.running() == ()
        for _ in range(5):
            await clock.advance(MONITOR.interval)
        await executor.close()

    asyncio.run(scenario())
    assert agent.actions == ["monitor", "stop"]


def test_a_cancellation_that_arrives_as_an_in_process_agent_returns_is_not_lost() -> None:
    agent = ThreadAgent()
    runner = InProcessRunner(ScriptedRunner(ManualClock()), find_invoke=agent.find)

    async def scenario() -> tuple[int, int]:
        lost = hit = 0
        for _ in range(50):
            agent.answer_monitor.clear()
            agent.monitor_returned.clear()
            call = asyncio.create_task(
                runner.run([sys.executable, "-m", "x", "monitor"], {}, 5.0))
            await asyncio.sleep(0.001)
            agent.answer_monitor.set()
            await result_delivered(agent.monitor_returned)
            if call.done():
                continue
            hit += 1
            call.cancel()
            try:
                await call
                lost += 1
            except asyncio.CancelledError:
                pass
        return hit, lost

    hit, lost = asyncio.run(scenario())
    assert hit > 0
    assert lost == 0


# --- the monitor set under random interleavings ------------------------------------------

INSTANCES = ("a", "b")
SPECS = {name: monitors_for(Primitive(name, AgentRef("ocf", "heartbeat", "Dummy"),
                                      operations=(MONITOR,)), Role.STARTED)
         for name in INSTANCES}

Step = tuple[str, str]
steps = st.lists(st.tuples(st.sampled_from(["start", "cancel", "pause", "resume", "tick",
                                            "settle"]),
                           st.sampled_from(INSTANCES)), min_size=1, max_size=25)
# how each monitor run behaves: answers now, answers after a few steps, or returns its
# answer even when cancelled (as wait_for did), after a few steps
behaviours = st.lists(st.sampled_from(["now", "later", "swallows"]), min_size=1,
                      max_size=40)


def failed(spec: MonitorSpec) -> OperationResult:
    """A monitor result that differs from what is expected: the first one of each loop
    is reported."""
    return OperationResult(resource=spec.primitive.id, instance=spec.instance, agent="x",
                           action="monitor", interval=spec.operation.interval, node="n1",
                           rc=7, status=ExecStatus.ERROR, severity=Severity.SOFT,
                           reason="not running", detail="not running", started=0,
                           finished=0, started_wall=0, finished_wall=0)


@settings(max_examples=150, deadline=None)
@given(steps, behaviours)
def test_no_interleaving_leaves_two_loops_for_one_monitor_or_a_report_after_a_stop(
        plan: list[Step], modes: list[str]) -> None:
    clock = ManualClock()
    runs = iter(modes * 50)
    expected: set[str] = set()
    paused = False
    reports: list[tuple[str, bool, bool]] = []

    async def run(spec: MonitorSpec) -> OperationResult:
        mode = next(runs, "now")
        if mode == "later":
            await settle(3)
        elif mode == "swallows":
            try:
                await settle(3)
            except asyncio.CancelledError:
                return failed(spec)
        return failed(spec)

    def changed(spec: MonitorSpec, result: OperationResult) -> None:
        reports.append((spec.instance, spec.instance in expected, paused))

    async def scenario() -> None:
        nonlocal paused
        monitors = RecurringMonitors(clock, run, changed, stop_wait=1.0)
        for action, instance in plan:
            if action == "start":
                expected.add(instance)
                monitors.start(SPECS[instance])
            elif action == "cancel":
                expected.discard(instance)
                async with asyncio.timeout(2):
                    await monitors.cancel(instance)
            elif action == "pause":
                paused = True
                async with asyncio.timeout(2):
                    await monitors.pause()
            elif action == "resume":
                paused = False
                monitors.resume()
            elif action == "tick":
                await clock.advance(MONITOR.interval)
            else:
                await settle(10)
                keys = monitors.running()
                assert len(keys) == len(set(keys)), f"two loops for one monitor: {keys}"
        async with asyncio.timeout(2):
            await monitors.close()
        assert monitors.running() == ()

    asyncio.run(scenario())
    assert all(wanted and not was_paused for _, wanted, was_paused in reports), reports


def test_a_monitor_that_ignores_its_cancellation_does_not_hold_up_the_stop() -> None:
    clock = ManualClock()
    reports: list[str] = []

    async def scenario() -> None:
        stuck = asyncio.Event()

        async def run(spec: MonitorSpec) -> OperationResult:
            while not stuck.is_set():
                try:
                    await stuck.wait()
                except asyncio.CancelledError:
                    continue  # a run that nothing can cancel
            return failed(spec)

        monitors = RecurringMonitors(clock, run, lambda s, r: reports.append(s.instance),
                                     stop_wait=0.05)
        monitors.start(SPECS["a"])
        await settle()
        async with asyncio.timeout(2):
            await monitors.cancel("a")
        assert monitors.running() == (SPECS["a"][0].key,)  # still alive, flagged to end
        stuck.set()
        await settle()
        assert monitors.running() == ()

    asyncio.run(scenario())
    assert reports == []
