"""The decision history: recorded, bounded, followed without loss or repeats."""

from __future__ import annotations

import asyncio

import pytest

from hafailover.agent.events import EventLog

pytestmark = pytest.mark.tier0


def test_history_is_bounded_and_ordered() -> None:
    times = iter(range(100))
    events = EventLog(clock=lambda: float(next(times)), size=3)
    for i in range(5):
        events.record("view", f"view {i}")
    assert [e.message for e in events.last(10)] == ["view 2", "view 3", "view 4"]
    assert [e.message for e in events.since(3.0)] == ["view 3", "view 4"]


def test_follow_replays_then_streams_each_event_once() -> None:
    async def scenario() -> list[str]:
        events = EventLog()
        events.record("agent", "started")
        seen: list[str] = []

        async def follower() -> None:
            async for event in events.follow():
                seen.append(event.message)
                if len(seen) == 3:
                    return

        task = asyncio.ensure_future(follower())
        await asyncio.sleep(0)
        events.record("view", "view 1")
        events.record("quorum", "quorum")
        await asyncio.wait_for(task, 5)
        return seen

    assert asyncio.run(scenario()) == ["started", "view 1", "quorum"]
