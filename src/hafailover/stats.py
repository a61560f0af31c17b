"""Figures over samples, as the benchmarks and the chaos report print them, and the CPU
load the benchmarks measure under."""

from __future__ import annotations

import contextlib
import math
import statistics
import subprocess
import sys
import time
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


def saturate_cpus(seconds: float, processes: int) -> tuple[float, float]:
    """Run ``processes`` busy loops for ``seconds``; returns (started, ended) wall-clock
    times. The loops are killed whatever happens meanwhile."""
    started = time.time()
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(processes)]
    try:
        time.sleep(seconds)
    finally:
        for process in loops:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        for process in loops:
            process.wait()
    return started, time.time()
