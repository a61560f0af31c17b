"""Fakes for the executor's ports: a manual clock, a scripted runner, a recording coordinator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from hafailover.config.model import AgentRef, Operation, Primitive, frozen_map
from hafailover.executor import (
    Executor,
    ExecutorGateway,
    ExecutorOptions,
    FailureDecision,
    MonitorChange,
    OperationResult,
    ProcessOutcome,
)


class ManualClock:
    """Time moves only when the test calls ``advance``; sleepers wake when their time comes."""

    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self.wall_offset = wall - start
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self.wall_offset

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking sleepers in deadline order and letting them run."""
        target = self.now + seconds
        while True:
            due = sorted(((d, f) for d, f in self._sleepers if d <= target and not f.done()),
                         key=lambda sleeper: sleeper[0])  # equal deadlines: in sleep order
            if not due:
                break
            deadline, future = due[0]
            self.now = max(self.now, deadline)
            self._sleepers = [(d, f) for d, f in self._sleepers if f is not future]
            future.set_result(None)
            await settle()
        self.now = target
        await settle()


async def settle(rounds: int = 20) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


@dataclass
class ScriptedRunner:
    """Answers each run with an exit code chosen by ``answer(argv, env)``; records calls."""

    clock: ManualClock
    answer: Callable[[Sequence[str], Mapping[str, str]], int | str] = lambda argv, env: 0
    calls: list[tuple[tuple[str, ...], dict[str, str], float]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    async def run(self, argv: Sequence[str], env: Mapping[str, str],
                  timeout: float) -> ProcessOutcome:
        self.calls.append((tuple(argv), dict(env), timeout))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            answer = self.answer(argv, env)
        finally:
            self.in_flight -= 1
        now, wall = self.clock.monotonic(), self.clock.time()
        if answer == "timeout":
            return ProcessOutcome(rc=None, started=now, finished=now + timeout,
                                  started_wall=wall, finished_wall=wall + timeout,
                                  timed_out=True)
        assert isinstance(answer, int)
        return ProcessOutcome(rc=answer, started=now, finished=now, started_wall=wall,
                              finished_wall=wall)

    def actions(self) -> list[str]:
        return [argv[-1] for argv, _, _ in self.calls]


@dataclass
class RecordingCoordinator:
    results: list[OperationResult] = field(default_factory=list)
    changes: list[MonitorChange] = field(default_factory=list)
    decisions: list[FailureDecision] = field(default_factory=list)

    def operation_completed(self, result: OperationResult) -> None:
        self.results.append(result)

    def monitor_changed(self, change: MonitorChange) -> None:
        self.changes.append(change)

    def failure_decided(self, decision: FailureDecision) -> None:
        self.decisions.append(decision)


DUMMY = AgentRef("ocf", "heartbeat", "Dummy")


def dummy(rid: str = "d1", *, state: str = "/nonexistent/state",
          operations: tuple[Operation, ...] = (), **meta: object) -> Primitive:
    from dataclasses import replace

    from hafailover.config.model import Meta

    return Primitive(rid, DUMMY, params=frozen_map({"state": state}), operations=operations,
                     meta=replace(Meta(), **meta))  # type: ignore[arg-type]


@dataclass
class Rig:
    clock: ManualClock
    runner: ScriptedRunner
    coordinator: RecordingCoordinator
    executor: Executor


def rig(answer: Callable[[Sequence[str], Mapping[str, str]], int | str] = lambda a, e: 0,
        **options: object) -> Rig:
    clock = ManualClock()
    runner = ScriptedRunner(clock, answer)
    coordinator = RecordingCoordinator()
    opts = ExecutorOptions(**{"node": "n1", **options})  # type: ignore[arg-type]
    executor = Executor(opts, ExecutorGateway(clock=clock, runner=runner, coordinator=coordinator))
    return Rig(clock, runner, coordinator, executor)
