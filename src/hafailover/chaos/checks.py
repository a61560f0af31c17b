"""What must hold during a chaos run, computed from what was recorded: pure functions.

- **VIP bound**: after every fault the VIP answers again within ``bound_s``: the longest
  outage the client saw during the step (from its last acknowledged write before the
  first failure to the first acknowledged write after it) is at most the bound, and the
  step does not end in an outage.
- **One holder**: no ARP probe of the VIP was answered by two MAC addresses.
- **Read back**: every record acknowledged through the VIP read back the same at once.
- **No lost write**: every acknowledged record is in the store, unchanged, at the end.
- **Healthy again**: after the fault is undone every node is a member again and every
  resource runs (decided by the harness, passed in as ``StepWindow.healthy``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Write:
    n: int
    t: float
    ok: bool
    read: bool | None = None
    by: str = ""


@dataclass(frozen=True)
class ArpProbe:
    t: float
    macs: tuple[str, ...]


@dataclass(frozen=True)
class StepWindow:
    number: int
    start: float
    end: float  # when the cluster was healthy again, or gave up waiting
    healthy: bool
    healthy_after_s: float | None  # from the undo to healthy


@dataclass(frozen=True)
class Outage:
    start: float  # the last acknowledged write before it
    end: float | None  # the first acknowledged write after it; None: never
    failed_writes: int

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class Violation:
    code: str  # vip-bound, two-holders, read-back, lost-write, not-healthy
    message: str
    step: int | None = None
    t: float | None = None


def outages(writes: Sequence[Write]) -> list[Outage]:
    """Runs of unacknowledged writes, in order of time."""
    found: list[Outage] = []
    last_ok: float | None = None
    start: float | None = None
    failed = 0
    for write in sorted(writes, key=lambda w: w.t):
        if write.ok:
            if start is not None:
                found.append(Outage(start, write.t, failed))
                start, failed = None, 0
            last_ok = write.t
        else:
            if start is None:
                start = last_ok if last_ok is not None else write.t
            failed += 1
    if start is not None:
        found.append(Outage(start, None, failed))
    return found


def step_recovery(window: StepWindow, found: Iterable[Outage]) -> Outage | None:
    """The longest outage that overlaps the step (an unended one counts as longest)."""
    overlapping = [o for o in found
                   if o.start <= window.end and (o.end is None or o.end >= window.start)]
    if not overlapping:
        return None
    return max(overlapping, key=lambda o: math.inf if o.duration is None else o.duration)


def _step_at(windows: Sequence[StepWindow], t: float) -> int | None:
    for window in windows:
        if window.start <= t <= window.end:
            return window.number
    return None


def check(windows: Sequence[StepWindow], writes: Sequence[Write],
          probes: Iterable[ArpProbe], stored: Mapping[str, str] | None,
          expected: Mapping[str, str], bound_s: float) -> tuple[dict[int, float], list[Violation]]:
    """Every step's recovery time (0 when the client saw no outage) and every violation.

    ``expected`` maps each acknowledged record's id to its value; ``stored`` is what the
    store holds at the end (None: it could not be read, so every acknowledged write
    counts as lost)."""
    violations: list[Violation] = []
    found = outages(writes)
    recovery: dict[int, float] = {}
    for window in windows:
        outage = step_recovery(window, found)
        duration = 0.0 if outage is None else outage.duration
        if duration is None:
            violations.append(Violation(
                "vip-bound", f"step {window.number}: the VIP did not answer again "
                f"(no acknowledged write after {outage.start if outage else window.start:.3f})",
                window.number, outage.start if outage else window.start))
            recovery[window.number] = math.inf
            continue
        recovery[window.number] = duration
        if duration > bound_s:
            violations.append(Violation(
                "vip-bound", f"step {window.number}: the VIP did not answer for "
                f"{duration:.2f} s (bound {bound_s:g} s)", window.number,
                outage.start if outage else None))
        if not window.healthy:
            violations.append(Violation(
                "not-healthy", f"step {window.number}: the cluster was not healthy again "
                "after the fault was undone", window.number, window.end))
    for probe in probes:
        if len(probe.macs) > 1:
            violations.append(Violation(
                "two-holders", f"two containers answered ARP for the VIP at once: "
                f"{', '.join(probe.macs)}", _step_at(windows, probe.t), probe.t))
    for write in writes:
        if write.ok and write.read is False:
            violations.append(Violation(
                "read-back", f"record {write.n} was acknowledged but did not read back "
                "the same", _step_at(windows, write.t), write.t))
    violations.extend(lost_writes(stored, expected))
    return recovery, violations


def lost_writes(stored: Mapping[str, str] | None,
                expected: Mapping[str, str]) -> list[Violation]:
    if stored is None:
        return [Violation("lost-write", "the store could not be read at the end: "
                          f"{len(expected)} acknowledged records unaccounted for")]
    lost = []
    for key, value in sorted(expected.items()):
        if stored.get(key) != value:
            what = "missing" if key not in stored else "changed"
            lost.append(Violation("lost-write", f"acknowledged record {key} is {what}"))
    return lost
