"""Where a running agent is waiting: the await chain of each asyncio task, and the stack
of each thread. Logged on SIGUSR1 (``kill -USR1 <pid>``) and when an action outlives its
deadline, so that "it is stuck" comes with where.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import traceback
from types import FrameType
from typing import Any

MAX_DEPTH = 40  # awaits followed into one chain
WHERE_WAITING = "where the agent waits (SIGUSR1)"  # the log record's event


def _frame(frame: FrameType) -> str:
    code = frame.f_code
    return f"{code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno} in {code.co_name}"


def await_chain(task: asyncio.Task[Any]) -> list[str]:
    """The frames a suspended task waits in, outermost first: each coroutine's current
    line, followed through ``await`` into the coroutine it awaits, then what that waits
    for (a future, another task, a sleep)."""
    chain: list[str] = []
    awaitable: Any = task.get_coro()
    for _ in range(MAX_DEPTH):
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is not None:
            chain.append(_frame(frame))
        inner = getattr(awaitable, "cr_await", None)
        if inner is None:
            inner = getattr(awaitable, "gi_yieldfrom", None)
        if inner is None:
            break
        if not (hasattr(inner, "cr_frame") or hasattr(inner, "gi_frame")):
            break
        awaitable = inner
    chain.append(f"waiting for {_waited_for(task)}")
    return chain


def _waited_for(task: asyncio.Task[Any]) -> str:
    """The future the task is suspended on (asyncio keeps it as ``_fut_waiter``)."""
    waiter = getattr(task, "_fut_waiter", None)
    if waiter is None:
        return "nothing (ready to run)"
    if isinstance(waiter, asyncio.Task):
        return f"task {waiter.get_name()!r}"
    return type(waiter).__name__


def describe_tasks() -> list[dict[str, object]]:
    """Every unfinished task of the running loop with its await chain, by name."""
    tasks = sorted(asyncio.all_tasks(), key=lambda t: t.get_name())
    return [{"task": task.get_name(), "waits_in": await_chain(task)} for task in tasks
            if not task.done()]


def thread_stacks() -> list[dict[str, object]]:
    """The current stack of every thread (innermost frame last)."""
    names = {t.ident: t.name for t in threading.enumerate()}
    out: list[dict[str, object]] = []
    for ident, frame in sys._current_frames().items():
        stack = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} in {f.name}"
                 for f in traceback.extract_stack(frame)]
        out.append({"thread": names.get(ident, str(ident)), "stack": stack[-12:]})
    return out
