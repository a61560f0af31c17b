"""Recurring monitors report each deviation once, whatever the sequence of answers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest
from executor_fakes import dummy, rig, settle
from hypothesis import given, settings
from hypothesis import strategies as st

from hafailover.config.model import Operation

pytestmark = pytest.mark.tier0


def expected_reports(rcs: list[int]) -> int:
    reports, previous = 0, None
    for rc in rcs:
        seen = None if rc in (0, 190) else rc
        if seen is not None and seen != previous:
            reports += 1
        previous = seen
    return reports


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 7, 8, 190, 2]), min_size=1, max_size=15))
def test_each_new_deviation_is_reported_once(rcs: list[int]) -> None:
    answers = list(rcs)

    def answer(argv: Sequence[str], env: Mapping[str, str]) -> int:
        return answers.pop(0) if argv[-1] == "monitor" else 0

    r = rig(answer)
    p = dummy(operations=(Operation("monitor", interval=5.0),))

    async def scenario() -> None:
        await r.executor.start(p)
        await settle()
        for _ in range(len(rcs) - 1):
            await r.clock.advance(5)
        await r.executor.close()

    asyncio.run(scenario())
    assert r.runner.actions().count("monitor") == len(rcs)
    assert len(r.coordinator.changes) == expected_reports(rcs)
    assert len(r.coordinator.decisions) == expected_reports(rcs)
