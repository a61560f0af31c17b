"""The fencer: powers a node off (or reboots it) through its topology, level by level.

Levels are tried in order; within a level every device is run, one after the other,
and the level succeeds only when all of them do (two power supplies behind two PDUs).
The first failing device ends its level and the next level is tried. A reboot through
a level of several devices is done as Pacemaker does it: every device ``off``, then
every device ``on``, so that the node really loses power; once every ``off`` has
succeeded the node counts as fenced even if turning it back on fails.

Every attempt is logged, and the outcome carries one sentence saying which device
fenced the node or why each level failed. The agent runner is a constructor argument,
so the fencer can be driven with any runner.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hafailover.config.model import ClusterConfig, FenceDevice
from hafailover.fencing.agents import FenceAgentResult, run_fence_agent
from hafailover.fencing.topology import levels_for, plug_for
from hafailover.log import get_logger

FENCE_ACTIONS = ("off", "reboot")

# (device, action, plug, timeout) -> result; the real one is ``run_fence_agent``.
FenceRunner = Callable[[FenceDevice, str, str, float | None], Awaitable[FenceAgentResult]]

log = get_logger(__name__)


@dataclass(frozen=True)
class Attempt:
    """One device run on behalf of one level."""

    level: int  # 1 = the first level tried
    device: str
    ok: bool
    rc: int | None
    output: str
    duration: float
    action: str = "off"
    detail: str = ""  # the result in a few words: "exited 1 (Failed: ...)"


@dataclass(frozen=True)
class FenceOutcome:
    target: str
    action: str
    ok: bool
    devices: tuple[str, ...]  # the devices of the level that fenced the node
    message: str  # one sentence for people: who fenced it, or why every level failed
    started: float  # wall time
    finished: float
    attempts: tuple[Attempt, ...]
    reason: str = ""
    requested_by: str = ""


class Fencer:
    def __init__(self, config: ClusterConfig, *, runner: FenceRunner = run_fence_agent,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._runner = runner
        self._wall_clock = wall_clock
        self._running: dict[tuple[str, str], asyncio.Task[FenceOutcome]] = {}

    async def fence(self, target: str, action: str = "off", *, reason: str,
                    requested_by: str) -> FenceOutcome:
        """Fence ``target``; a request for a target and action already being fenced
        waits for that attempt and shares its outcome."""
        if action not in FENCE_ACTIONS:
            raise ValueError(f"fencing action must be one of {', '.join(FENCE_ACTIONS)}, "
                             f"not {action!r}")
        key = (target, action)
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(self._fence(target, action, reason, requested_by))
            self._running[key] = task
            task.add_done_callback(lambda _t: self._running.pop(key, None))
        return await asyncio.shield(task)

    async def _fence(self, target: str, action: str, reason: str,
                     requested_by: str) -> FenceOutcome:
        started = self._wall_clock()
        levels = levels_for(self.config, target)
        bound = log.bind(target=target, action=action, requested_by=requested_by,
                         reason=reason)
        bound.info("fencing", levels=[[d.id for d in lv] for lv in levels])
        attempts: list[Attempt] = []
        failures: list[str] = []
        for number, devices in enumerate(levels, start=1):
            ok, detail = await self._level(number, devices, target, action, attempts)
            if ok:
                message = _success(target, action, number, devices, failures, detail,
                                   requested_by, reason)
                return self._outcome(target, action, True, devices, message, started,
                                     attempts, reason, requested_by)
            failures.append(f"level {number}: {detail}")
        message = _failure(target, action, failures, requested_by, reason)
        return self._outcome(target, action, False, (), message, started, attempts, reason,
                             requested_by)

    async def _level(self, number: int, devices: tuple[FenceDevice, ...], target: str,
                     action: str, attempts: list[Attempt]) -> tuple[bool, str]:
        """Run one level; (ok, what went wrong or, when ok, a note on the way back on)."""
        steps = ["off", "on"] if action == "reboot" and len(devices) > 1 else [action]
        for step in steps:
            for device in devices:
                result = await self._attempt(number, device, step, target, attempts)
                if result.ok:
                    continue
                if step == "on":  # the node was off through every device: it is fenced
                    return True, f"turning it back on through {device.id} " \
                                 f"{result.describe()}"
                return False, f"{device.id} {result.describe()}"
        return True, ""

    async def _attempt(self, number: int, device: FenceDevice, action: str, target: str,
                       attempts: list[Attempt]) -> FenceAgentResult:
        plug = plug_for(device, target)
        try:
            result = await self._runner(device, action, plug, device.timeout)
        except Exception as exc:  # a runner that raises must not stop the other levels
            result = FenceAgentResult(False, None, "", 0.0, False, (device.agent,), action,
                                      error=f"could not be run: {exc}")
        detail = result.describe()
        attempts.append(Attempt(level=number, device=device.id, ok=result.ok, rc=result.rc,
                                output=result.output, duration=result.duration,
                                action=action, detail=detail))
        event = log.info if result.ok else log.warning
        event("fence attempt", target=target, level=number, device=device.id,
              agent=device.agent, action=action, plug=plug, ok=result.ok, rc=result.rc,
              duration=round(result.duration, 3), timed_out=result.timed_out,
              result=detail)
        return result

    def _outcome(self, target: str, action: str, ok: bool,
                 devices: tuple[FenceDevice, ...], message: str, started: float,
                 attempts: list[Attempt], reason: str, requested_by: str) -> FenceOutcome:
        outcome = FenceOutcome(target=target, action=action, ok=ok,
                               devices=tuple(d.id for d in devices), message=message,
                               started=started, finished=self._wall_clock(),
                               attempts=tuple(attempts), reason=reason,
                               requested_by=requested_by)
        if ok:
            log.info("fenced", target=target, action=action, devices=outcome.devices,
                     message=message)
        else:
            log.error("fencing failed", target=target, action=action, message=message)
        return outcome


def _request(requested_by: str, reason: str) -> str:
    text = f"requested by {requested_by}" if requested_by else "requested"
    return f"{text}: {reason}" if reason else text


def _names(devices: tuple[FenceDevice, ...]) -> str:
    ids = [d.id for d in devices]
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def _success(target: str, action: str, number: int, devices: tuple[FenceDevice, ...],
             failures: list[str], note: str, requested_by: str, reason: str) -> str:
    text = f"{target} was fenced ({action}) by {_names(devices)} at level {number}"
    if failures:
        text += f" after {'; '.join(failures)}"
    if note:
        text += f", though {note}"
    return f"{text} ({_request(requested_by, reason)})."


def _failure(target: str, action: str, failures: list[str], requested_by: str,
             reason: str) -> str:
    if not failures:
        return (f"{target} could not be fenced ({action}): no fencing device can fence it "
                f"({_request(requested_by, reason)}).")
    return (f"{target} could not be fenced ({action}): {'; '.join(failures)} "
            f"({_request(requested_by, reason)}).")
