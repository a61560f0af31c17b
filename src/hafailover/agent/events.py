"""The decision history: what the agent saw and decided, for ``hactl events`` and status.

Every event is also logged (structlog) with the same fields, so the log and the history
tell one story.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from hafailover.log import get_logger

log = get_logger("hafailover.events")

HISTORY = 2000


@dataclass(frozen=True)
class Event:
    time: float  # seconds since the epoch
    kind: str  # docs/operations.md lists them: membership, view, quorum, state, failures...
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"time": self.time, "kind": self.kind, "message": self.message,
                "details": self.details}


class EventLog:
    def __init__(self, clock: Callable[[], float] = time.time, size: int = HISTORY) -> None:
        self.clock = clock
        self._events: collections.deque[Event] = collections.deque(maxlen=size)
        self._followers: set[asyncio.Queue[Event]] = set()

    def record(self, kind: str, message: str, *, level: str = "info",
               **details: Any) -> Event:
        event = Event(self.clock(), kind, message, details)
        self._events.append(event)
        getattr(log, level)(message, kind=kind, **details)
        for queue in self._followers:
            queue.put_nowait(event)
        return event

    def since(self, when: float = 0.0) -> list[Event]:
        return [e for e in self._events if e.time >= when]

    def last(self, count: int) -> list[Event]:
        return list(self._events)[-count:]

    async def follow(self, since: float = 0.0) -> AsyncIterator[Event]:
        """The events since ``since``, then every new one as it happens."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._followers.add(queue)
        try:
            replayed = self.since(since)
            for event in replayed:
                yield event
            already = {id(e) for e in replayed}
            while True:
                event = await queue.get()
                if id(event) not in already:
                    yield event
        finally:
            self._followers.discard(queue)
