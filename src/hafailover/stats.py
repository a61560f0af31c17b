"""Figures over samples, as the benchmarks and the chaos report print them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty sample."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def figures(samples: Sequence[float]) -> dict[str, float]:
    """count, p50, p95, max and mean; empty for no samples."""
    if not samples:
        return {}
    return {"count": len(samples), "p50": percentile(samples, 50),
            "p95": percentile(samples, 95), "max": max(samples),
            "mean": statistics.fmean(samples)}
