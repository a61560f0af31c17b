"""Durations as written in configuration files: parsing, canonical text, human text."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"^\s*(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<unit>[a-zA-Z]*)\s*$")

# unit -> (multiplier, divisor): dividing keeps "100ms" exactly equal to 0.1
_UNITS: dict[str, tuple[int, int]] = {
    "ms": (1, 1000), "msec": (1, 1000),
    "": (1, 1), "s": (1, 1), "sec": (1, 1),
    "m": (60, 1), "min": (60, 1),
    "h": (3600, 1), "hr": (3600, 1),
}

DURATION_HELP = "a number with a unit: 100ms, 2s, 1.5s, 1m, 1min, 1h (a bare number is seconds)"


def parse_duration(value: str | int | float) -> float:
    """``"100ms"`` -> 0.1, ``"2s"`` -> 2.0, ``"1m"``/``"1min"`` -> 60.0, ``"1h"``, ``5`` -> 5.0.

    Raises ValueError with a readable message for anything else, including negative,
    infinite and boolean values.
    """
    if isinstance(value, bool):
        raise ValueError(f"a boolean is not a duration; use {DURATION_HELP}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            if value.strip().startswith("-"):
                raise ValueError(f"'{value}' is negative; a duration is 0 or more")
            raise ValueError(f"'{value}' is not a duration; use {DURATION_HELP}")
        unit = match["unit"].lower()
        if unit not in _UNITS:
            raise ValueError(f"'{value}' has an unknown unit '{match['unit']}'; "
                             f"use {DURATION_HELP}")
        multiplier, divisor = _UNITS[unit]
        seconds = float(match["number"]) * multiplier / divisor
    else:
        raise ValueError(f"{type(value).__name__} is not a duration; use {DURATION_HELP}")
    if not math.isfinite(seconds):
        raise ValueError(f"'{value}' is not a finite duration")
    if seconds < 0:
        raise ValueError(f"'{value}' is negative; a duration is 0 or more")
    return seconds


def format_duration(seconds: float) -> str | float:
    """Canonical configuration text for ``seconds`` that parses back to exactly the same
    float: ``"100ms"``, ``"2s"``, ``"5m"``; a bare float when no unit text is exact."""
    seconds = float(seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return seconds  # not a valid duration: written as is, reported when loaded
    candidates: list[str] = []
    if seconds == 0:
        return "0s"
    if seconds.is_integer():
        whole = int(seconds)
        if whole % 3600 == 0:
            candidates.append(f"{whole // 3600}h")
        if whole % 60 == 0:
            candidates.append(f"{whole // 60}m")
        candidates.append(f"{whole}s")
    decimal = f"{seconds:.6f}".rstrip("0").rstrip(".") + "s"
    if seconds >= 1:
        candidates.append(decimal)
    milliseconds = seconds * 1000
    if round(milliseconds, 6).is_integer():
        candidates.append(f"{round(milliseconds)}ms")
    candidates.append(decimal)
    for text in candidates:
        if parse_duration(text) == seconds:
            return text
    return seconds


def describe_duration(seconds: float) -> str:
    """A duration for people: ``600 ms``, ``1.5 s``, ``2 min``."""
    if seconds < 1:
        return f"{round(seconds * 1000, 3):g} ms"
    if seconds < 120:
        return f"{round(seconds, 3):g} s"
    if seconds < 7200:
        return f"{round(seconds / 60, 2):g} min"
    return f"{round(seconds / 3600, 2):g} h"
