"""The figures the benchmarks and the chaos report print."""

from __future__ import annotations

import subprocess

import pytest

from hafailover.stats import figures, percentile, saturate_cpus


@pytest.mark.tier0
def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile(values, 100) == 20.0
    assert percentile([7.0], 1) == 7.0


@pytest.mark.tier0
def test_figures_of_no_samples_are_empty_and_of_some_are_complete() -> None:
    assert figures([]) == {}
    assert figures([3.0, 1.0, 2.0]) == {"count": 3, "p50": 2.0, "p95": 3.0, "max": 3.0,
                                        "mean": 2.0}


@pytest.mark.tier1  # processes
def test_saturating_the_cpus_runs_the_loops_for_the_time_and_leaves_none() -> None:
    started, ended = saturate_cpus(0.3, 2)
    assert ended - started >= 0.3
    loops = subprocess.run(["pgrep", "-f", "while True: pass"], capture_output=True,
                           text=True, check=False)
    assert loops.stdout.strip() == ""
