"""The executor's ports to the outside world, carried in one ``ExecutorGateway``.

The executor reads no clock, spawns no process and calls no coordinator except through
the gateway, so tests hand in fakes (a manual clock, a runner returning canned exit
codes, a coordinator that records what it was told) instead of patching modules.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from hafailover.executor.failures import FailureDecision
from hafailover.executor.output import EMPTY, Captured
from hafailover.executor.results import MonitorChange, OperationResult


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def time(self) -> float:
        """Seconds since the epoch (fail counts and results carry wall times)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class ProcessOutcome:
    """How one agent process ended, before any OCF interpretation."""

    rc: int | None  # None when it did not exit by itself (timeout, signal, spawn error)
    started: float  # monotonic
    finished: float  # monotonic
    started_wall: float
    finished_wall: float
    timed_out: bool = False
    signal: int | None = None  # the signal that ended it, when not a timeout kill
    stdout: Captured = EMPTY
    stderr: Captured = EMPTY
    exit_reason: str | None = None
    pid: int | None = None
    spawn_error: str | None = None  # the program could not be started

    @property
    def duration(self) -> float:
        return self.finished - self.started


class ProcessRunner(Protocol):
    """Runs one program to completion or to its timeout."""

    async def run(self, argv: Sequence[str], env: Mapping[str, str],
                  timeout: float) -> ProcessOutcome: ...


class Coordinator(Protocol):
    """What the executor tells the daemon. Implemented by the coordinator.

    Calls are made from the event loop and must not block: queue the work and return.
    """

    def operation_completed(self, result: OperationResult) -> None:
        """Every operation asked for (start, stop, probe...), success or not.

        Recurring monitor runs are not reported here, only their changes.
        """

    def monitor_changed(self, change: MonitorChange) -> None:
        """A recurring monitor saw something other than the expected state (once)."""

    def failure_decided(self, decision: FailureDecision) -> None:
        """An operation failed; ``decision`` says what should happen and why."""


@dataclass(frozen=True)
class ExecutorGateway:
    """Every port the executor uses."""

    clock: Clock
    runner: ProcessRunner
    coordinator: Coordinator
