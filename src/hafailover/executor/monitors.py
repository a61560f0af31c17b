"""Recurring monitors: one asyncio task per (instance, interval, role).

A monitor runs right away, then ``interval`` seconds after each run ends. A result that
differs from the expected state (a failure, or a resource active where it was expected
stopped) is handed to ``on_change`` once; the same observation is not reported again
every interval, only a different one, or the same one after the monitor saw the
expected state in between. Monitors are paused (cancelled and remembered) in
maintenance mode and resumed after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

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


class RecurringMonitors:
    def __init__(self, clock: Clock, run: RunMonitor, on_change: OnChange) -> None:
        self._clock = clock
        self._run = run
        self._on_change = on_change
        self._tasks: dict[tuple[str, float, Role | None], asyncio.Task[None]] = {}
        self._specs: dict[tuple[str, float, Role | None], MonitorSpec] = {}
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def active(self) -> tuple[MonitorSpec, ...]:
        """Every monitor that is scheduled (running, or remembered while paused)."""
        return tuple(self._specs.values())

    def start(self, specs: Iterable[MonitorSpec]) -> None:
        for spec in specs:
            old = self._tasks.pop(spec.key, None)
            if old is not None:
                old.cancel()
            self._specs[spec.key] = spec
            if not self._paused:
                self._spawn(spec)

    async def cancel(self, instance: str) -> None:
        """Stop every monitor of ``instance`` and wait until none is running."""
        keys = [k for k in self._specs if k[0] == instance]
        tasks = [t for k in keys if (t := self._tasks.pop(k, None)) is not None]
        for key in keys:
            del self._specs[key]
        await _cancel_all(tasks)

    async def pause(self) -> None:
        """Maintenance: cancel every monitor task, remember them for ``resume``."""
        self._paused = True
        tasks = list(self._tasks.values())
        self._tasks.clear()
        await _cancel_all(tasks)

    def resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        for spec in self._specs.values():
            self._spawn(spec)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        self._specs.clear()
        await _cancel_all(tasks)

    def _spawn(self, spec: MonitorSpec) -> None:
        task = asyncio.create_task(self._loop(spec), name=f"monitor {spec.key}")
        self._tasks[spec.key] = task

    async def _loop(self, spec: MonitorSpec) -> None:
        reported: tuple[object, ...] | None = None
        while True:
            try:
                result = await self._run(spec)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not end monitoring silently
                log.exception("monitor run failed", instance=spec.instance,
                              interval=spec.operation.interval)
                await self._clock.sleep(spec.operation.interval)
                continue
            if result.status is ExecStatus.CANCELLED:
                return
            seen = _observation(result)
            if seen is not None and seen != reported:
                self._on_change(spec, result)
            elif seen is None and reported is not None:
                log.info("monitor back to the expected state", instance=spec.instance,
                         interval=spec.operation.interval, expected=spec.expected.value)
            reported = seen
            await self._clock.sleep(spec.operation.interval)


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
