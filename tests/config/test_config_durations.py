"""Durations as users write them."""

from __future__ import annotations

import pytest

from hafailover.config import parse_duration
from hafailover.config.values import describe_duration

pytestmark = pytest.mark.tier0


@pytest.mark.parametrize(("text", "seconds"), [
    ("100ms", 0.1), ("2s", 2.0), ("1.5s", 1.5), ("1m", 60.0), ("1min", 60.0),
    ("1h", 3600.0), ("5", 5.0), (5, 5.0), (0.25, 0.25), ("0", 0.0), (" 2 s ", 2.0),
    ("500MS", 0.5), (".5s", 0.5),
])
def test_durations_in_every_documented_unit(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "message"), [
    ("fast", "not a duration"), ("10 parsecs", "unknown unit"), ("-1s", "negative"),
    (-3, "negative"), (True, "boolean"), (float("inf"), "finite"), ("", "not a duration"),
    ("1e3s", "not a duration"),
])
def test_bad_durations_are_refused_with_a_readable_reason(text: str | float,
                                                          message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [
    (0.6, "600 ms"), (0.1, "100 ms"), (1.5, "1.5 s"), (90, "90 s"), (300, "5 min"),
    (7200, "2 h"),
])
def test_durations_are_shown_to_people_in_a_fitting_unit(seconds: float, text: str) -> None:
    assert describe_duration(seconds) == text
