"""Built-in agents run inside the daemon, in a worker thread.

A built-in agent (``builtin:NAME``) is a Python module; run as a program it first pays
for the interpreter and its imports (about half a second for the VIP, with pyroute2 and
scapy), which is most of a takeover's time. A module that offers
``invoke(action, env) -> (rc, stdout, stderr)`` is called directly instead, with the same
environment and the same result; every other agent runs as a process as before.

A call that outlives its timeout is reported as timed out; its thread cannot be killed
and finishes on its own (the built-in agents' operations are bounded by their own
waits).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import cast

from hafailover import settings
from hafailover.executor.output import Captured, exit_reason
from hafailover.executor.ports import Clock, ProcessOutcome, ProcessRunner, SystemClock

Invoke = Callable[[str, Mapping[str, str]], tuple[int, str, str]]


def builtin_invoke(argv: Sequence[str]) -> Invoke | None:
    """The in-process entry point for ``[python, -m, hafailover.agents.NAME, action]``."""
    prefix = f"{settings.BUILTIN_AGENT_PACKAGE}."
    if (len(argv) != 4 or argv[0] != sys.executable or argv[1] != "-m"
            or not argv[2].startswith(prefix)):
        return None
    try:
        module = importlib.import_module(argv[2])
    except ImportError:
        return None
    invoke = getattr(module, "invoke", None)
    return cast(Invoke, invoke) if callable(invoke) else None


def _captured(text: str) -> Captured:
    size = len(text.encode())
    return Captured(text=text, total_bytes=size, dropped_bytes=0)


class InProcessRunner:
    """A ``ProcessRunner`` that calls built-in agents directly and hands every other
    command to ``fallback``."""

    def __init__(self, fallback: ProcessRunner, clock: Clock | None = None, *,
                 find_invoke: Callable[[Sequence[str]], Invoke | None] = builtin_invoke,
                 ) -> None:
        self.fallback = fallback
        self.clock = clock or SystemClock()
        self.find_invoke = find_invoke

    async def run(self, argv: Sequence[str], env: Mapping[str, str],
                  timeout: float) -> ProcessOutcome:
        invoke = self.find_invoke(argv)
        if invoke is None:
            return await self.fallback.run(argv, env, timeout)
        clock = self.clock
        started, started_wall = clock.monotonic(), clock.time()
        try:
            async with asyncio.timeout(timeout):
                rc, out, err = await asyncio.to_thread(invoke, argv[3], dict(env))
        except TimeoutError:
            return ProcessOutcome(rc=None, started=started, finished=clock.monotonic(),
                                  started_wall=started_wall, finished_wall=clock.time(),
                                  timed_out=True)
        except Exception as exc:  # an agent's bug must not stop the daemon
            rc, out, err = 1, "", f"ocf-exit-reason:the agent failed: {exc!r}\n"
        return ProcessOutcome(rc=rc, started=started, finished=clock.monotonic(),
                              started_wall=started_wall, finished_wall=clock.time(),
                              stdout=_captured(out), stderr=_captured(err),
                              exit_reason=exit_reason(err))


def warm_up(modules: Sequence[str]) -> None:
    """Import built-in agents (and what they import when acting) ahead of the first
    takeover; called in a background thread at start."""
    for name in modules:
        module = importlib.import_module(name)
        prepare = getattr(module, "warm_up", None)
        if callable(prepare):
            prepare()
