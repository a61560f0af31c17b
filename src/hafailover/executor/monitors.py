"""Recurring monitors: one asyncio task per (instance, interval, role).

A monitor runs right away, then ``interval`` seconds after each run ends. A result that
differs from the expected state (a failure, or a resource active where it was expected
stopped) is handed to ``on_change`` once; the same observation is not reported again
every interval, only a different one, or the same one after the monitor saw the
expected state in between. Monitors are paused (cancelled and remembered) in
maintenance mode and resumed after it.

Each loop ends by its own flag, not only by its task's cancellation: a cancellation can be
lost (Python 3.11's ``asyncio.wait_for`` returns a result that arrives in the same step as
the cancellation and drops the cancellation), and a loop that outlived its cancellation
would monitor, and report, alongside its replacement. Such a loop stops at its next step
without running the agent again or reporting, and ``cancel`` waits for it at most
``stop_wait`` seconds, then logs where it waits and returns, so a stop never hangs on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from hafailover import diagnostics
from hafailover.config.model import Operation, Primitive, Role
from hafailover.executor.environment import CloneInstance, instance_name
from hafailover.executor.ocf import ExecStatus
from hafailover.executor.ports import Clock
from hafailover.executor.results import OperationResult
from hafailover.log import get_logger

log = get_logger(__name__)

_ACTIVE = (Role.STARTED, Role.UNPROMOTED)


@dataclass(frozen=True)
class MonitorSpec:
    """One recurring monitor of one resource instance, expecting ``expected``."""

    primitive: Primitive
    operation: Operation
    expected: Role
    clone: CloneInstance | None = None

    @property
    def instance(self) -> str:
        return instance_name(self.primitive.id, self.clone)

    @property
    def key(self) -> tuple[str, float, Role | None]:
        return (self.instance, self.operation.interval, self.operation.role)


def monitors_for(primitive: Primitive, role: Role,
                 clone: CloneInstance | None = None) -> tuple[MonitorSpec, ...]:
    """The recurring monitors configured for ``primitive`` when it is in ``role``.

    A monitor without a role runs in every active role; one with a role only in that role
    (Started and Unpromoted count as the same role).
    """
    if not role.is_active:
        return ()
    specs = []
    for op in primitive.operations:
        if op.name != "monitor" or op.interval <= 0:
            continue
        if op.role is not None and op.role != role and not (op.role in _ACTIVE and role in _ACTIVE):
            continue
        specs.append(MonitorSpec(primitive, op, role, clone))
    return tuple(specs)


def _observation(result: OperationResult) -> tuple[object, ...] | None:
    """What a monitor saw, when it is not what was expected; None when all is as expected."""
    if result.ok and not result.unexpected:
        return None
    return (result.status, result.observed, result.rc)


RunMonitor = Callable[[MonitorSpec], Awaitable[OperationResult]]
OnChange = Callable[[MonitorSpec, OperationResult], None]
MonitorKey = tuple[str, float, Role | None]

STOP_WAIT = 10.0  # seconds ``cancel`` waits for a loop; covers an agent's kill grace


@dataclass(eq=False)
class _Loop:
    """One monitor loop: its task, and the flag that ends it."""

    spec: MonitorSpec
    stopped: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def stop(self) -> asyncio.Task[None] | None:
        self.stopped = True
        if self.task is not None and not self.task.done():
            self.task.cancel()
            return self.task
        return None


class RecurringMonitors:
    def __init__(self, clock: Clock, run: RunMonitor, on_change: OnChange, *,
                 stop_wait: float = STOP_WAIT) -> None:
        self._clock = clock
        self._run = run
        self._on_change = on_change
        self._stop_wait = stop_wait
        self._loops: dict[MonitorKey, _Loop] = {}
        self._leaving: set[_Loop] = set()  # stopped, their task not ended yet
        self._specs: dict[MonitorKey, MonitorSpec] = {}
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def active(self) -> tuple[MonitorSpec, ...]:
        """Every monitor that is scheduled (running, or remembered while paused)."""
        return tuple(self._specs.values())

    def running(self) -> tuple[MonitorKey, ...]:
        """The key of every loop whose task has not ended, stopped ones included, one
        entry per task: a key listed twice is two loops alive for one monitor."""
        loops = [*self._loops.values(), *self._leaving]
        return tuple(loop.spec.key for loop in loops
                     if loop.task is not None and not loop.task.done())

    def start(self, specs: Iterable[MonitorSpec]) -> None:
        for spec in specs:
            old = self._loops.pop(spec.key, None)
            if old is not None:
                self._leave(old)
            self._specs[spec.key] = spec
            if not self._paused:
                self._spawn(spec)

    async def cancel(self, instance: str) -> None:
        """Stop every monitor of ``instance``; wait until none runs, or ``stop_wait``."""
        keys = [k for k in self._specs if k[0] == instance]
        loops = [loop for k in keys if (loop := self._loops.pop(k, None)) is not None]
        for key in keys:
            del self._specs[key]
        await self._wait_stopped(loops, instance)

    async def pause(self) -> None:
        """Maintenance: cancel every monitor task, remember them for ``resume``."""
        self._paused = True
        loops = list(self._loops.values())
        self._loops.clear()
        await self._wait_stopped(loops, "every resource")

    def resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        for spec in self._specs.values():
            self._spawn(spec)

    async def close(self) -> None:
        loops = list(self._loops.values())
        self._loops.clear()
        self._specs.clear()
        await self._wait_stopped(loops, "every resource")

    def _spawn(self, spec: MonitorSpec) -> None:
        loop = _Loop(spec)
        loop.task = asyncio.create_task(self._loop(loop), name=f"monitor {spec.key}")
        self._loops[spec.key] = loop

    def _leave(self, loop: _Loop) -> None:
        """Stop ``loop`` without waiting; it is counted as running until its task ends."""
        task = loop.stop()
        if task is not None:
            self._leaving.add(loop)
            task.add_done_callback(lambda _: self._leaving.discard(loop))

    async def _wait_stopped(self, loops: list[_Loop], what: str) -> None:
        """Stop ``loops`` and wait until their tasks end, at most ``stop_wait`` seconds."""
        for loop in loops:
            self._leave(loop)
        pending = [loop.task for loop in loops if loop.task is not None and not loop.task.done()]
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=self._stop_wait)
        for task in late:
            # Its flag is set: it neither runs the agent again nor reports. Say where it
            # waits: a loop that outlives its cancellation is a fault in hafailover.
            log.error("monitor did not stop in time; left to end by itself",
                      kind="diagnostics", monitor=task.get_name(), of=what,
                      waited=self._stop_wait, waits_in=diagnostics.await_chain(task))

    async def _loop(self, loop: _Loop) -> None:
        spec = loop.spec
        reported: tuple[object, ...] | None = None
        while not loop.stopped:
            try:
                result = await self._run(spec)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not end monitoring silently
                log.exception("monitor run failed", instance=spec.instance,
                              interval=spec.operation.interval)
                await self._clock.sleep(spec.operation.interval)
                continue
            if loop.stopped or result.status is ExecStatus.CANCELLED:
                return
            seen = _observation(result)
            if seen is not None and seen != reported:
                self._on_change(spec, result)
            elif seen is None and reported is not None:
                log.info("monitor back to the expected state", instance=spec.instance,
                         interval=spec.operation.interval, expected=spec.expected.value)
            reported = seen
            await self._clock.sleep(spec.operation.interval)
