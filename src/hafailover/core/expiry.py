"""When recorded facts stop counting: failures past their resource's failure-timeout.

The scheduler already ignores an expired failure; this says when the next one expires,
so that the agent schedules again at that moment rather than at the next event.
"""

from __future__ import annotations

from collections.abc import Iterable

from hafailover.config.model import ClusterConfig
from hafailover.core.state import FailCount
from hafailover.core.units import build_units


def failure_timeouts(config: ClusterConfig) -> dict[str, float]:
    """Each primitive's effective failure-timeout (0: never), after meta inheritance."""
    return {primitive.id: meta.failure_timeout for unit in build_units(config)
            for primitive, meta in zip(unit.members, unit.member_meta, strict=True)}


def expired_failures(config: ClusterConfig, failures: Iterable[FailCount],
                     now: float) -> list[FailCount]:
    """The failures that no longer count at ``now``."""
    timeouts = failure_timeouts(config)
    return [f for f in failures
            if (timeout := timeouts.get(f.resource, 0.0)) > 0
            and now >= f.last_failure + timeout]


def next_failure_expiry(config: ClusterConfig, failures: Iterable[FailCount],
                        now: float) -> float | None:
    """The earliest time after ``now`` at which a failure stops counting; None if none
    will (no failure, or failure-timeout 0)."""
    timeouts = failure_timeouts(config)
    times = [f.last_failure + timeout for f in failures
             if (timeout := timeouts.get(f.resource, 0.0)) > 0
             and f.last_failure + timeout > now]
    return min(times, default=None)
