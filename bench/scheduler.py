"""Benchmark: how long ``schedule`` takes on realistic clusters, next to Pacemaker.

    python3 bench/scheduler.py                 # 100, 1,000 and 10,000 resources x 3, 16, 32 nodes
    python3 bench/scheduler.py --quick         # 100 and 1,000 resources only
    python3 bench/scheduler.py --json out.json # also write the figures as JSON
    python3 bench/scheduler.py --no-pacemaker  # skip crm_simulate
    python3 bench/scheduler.py --simulate      # also time crm_simulate -S (slow: minutes)

For each size the cluster comes from ``bench/clusters.py`` (deterministic from ``--seed``).
``schedule`` is called once to warm up, then timed over several runs (fewer for the
largest clusters); the best and the median are reported in milliseconds.

The same cluster is written as a CIB with ``hafailover.pacemaker.cib_export.write_cib``
and given to ``crm_simulate`` (package pacemaker-cli-utils):

* ``crm_simulate -x FILE -R -Q``: the wall time of one whole process (start-up, parsing,
  scheduling, printing), best and median over a few runs. The ``startup`` line (a
  one-node, empty cluster) shows how much of it is fixed cost;
* ``--pacemaker-profile`` adds ``crm_simulate -P DIR -N RUNS`` (Pacemaker's profiling
  mode, total / RUNS). It is off by default: with Pacemaker 2.1.5 each profiled run
  takes far longer than a whole ``-R`` process on the larger clusters (137 s against
  43 s at 1,000 x 32), so it does not stand for the scheduler's cost.

``crm_simulate -S`` (``--simulate``) also plays every action of the transition against a
shadow CIB, rewriting it once per action: that measures the simulator, not the scheduler,
and takes seconds at 100 resources and much longer beyond, so it is off by default.

The script prints figures; it never judges them. The target we track is 1,000 resources
on 32 nodes under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusters import build_cluster, describe
from hafailover.config.model import ClusterConfig, Node, Properties
from hafailover.core.state import ClusterState, NodeState
from hafailover.core.transition import Transition

SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (100, 1_000)
NODE_COUNTS = (3, 16, 32)
TARGET = (1_000, 32, 100.0)  # resources, nodes, milliseconds


def runs_for(resources: int) -> int:
    return 20 if resources <= 100 else 10 if resources <= 1_000 else 3


def pacemaker_runs_for(resources: int) -> int:
    return 5 if resources <= 100 else 3 if resources <= 1_000 else 1


@dataclass
class Timing:
    best_ms: float | None = None
    median_ms: float | None = None
    runs: int = 0
    note: str = ""

    @classmethod
    def of(cls, samples: list[float]) -> Timing:
        return cls(min(samples) * 1000, statistics.median(samples) * 1000, len(samples))

    def cell(self) -> str:
        if self.best_ms is None or self.median_ms is None:
            return self.note or "-"
        return f"{self.best_ms:9.1f} {self.median_ms:9.1f}"


@dataclass
class Row:
    resources: int
    nodes: int
    counts: dict[str, int]
    hafailover: Timing
    profile: Timing = field(default_factory=Timing)  # crm_simulate -P, per run
    process: Timing = field(default_factory=Timing)  # crm_simulate -R -Q, wall
    simulate: Timing | None = None  # crm_simulate -S -Q, wall (--simulate)
    actions: int | None = None


def time_calls(call: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def time_schedule(config: ClusterConfig, state: ClusterState, runs: int) -> tuple[Timing, int]:
    from hafailover.core.scheduler import schedule
    from hafailover.gc_pause import collector_paused

    def run() -> Transition:
        with collector_paused():  # as the agent runs it
            return schedule(config, state)

    try:
        transition = run()  # warm-up
    except NotImplementedError as exc:
        return Timing(note=f"not implemented ({exc})"), 0
    return Timing.of(time_calls(run, runs)), len(transition.actions)


def time_crm_simulate(cib: Path, runs: int, timeout: float, mode: str = "-R") -> Timing:
    """Wall time of ``crm_simulate -x CIB MODE -Q`` processes."""
    command = ["crm_simulate", "-x", str(cib), mode, "-Q"]

    def once() -> None:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"crm_simulate {mode} exited {proc.returncode}: "
                               f"{proc.stderr.strip()[-200:]}")

    try:
        return Timing.of(time_calls(once, runs))
    except subprocess.TimeoutExpired:
        return Timing(note=f"timeout {timeout:.0f}s")
    except RuntimeError as exc:
        return Timing(note=str(exc))


_PROFILE_LINE = re.compile(r"Testing .* \.\.\. ([0-9.]+) secs")


def time_crm_profile(cib: Path, runs: int, timeout: float) -> Timing:
    """Pacemaker's scheduler alone: ``crm_simulate -P DIR -N RUNS``, total / RUNS."""
    with tempfile.TemporaryDirectory(prefix="hafailover-profile-") as tmp:
        shutil.copy(cib, tmp)
        try:
            proc = subprocess.run(["crm_simulate", "-P", tmp, "-N", str(runs)],
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return Timing(note=f"timeout {timeout:.0f}s")
    found = _PROFILE_LINE.search(proc.stdout + proc.stderr)
    if proc.returncode != 0 or found is None:
        return Timing(note=f"crm_simulate -P exited {proc.returncode}")
    per_run = float(found.group(1)) * 1000 / runs
    return Timing(per_run, per_run, runs, note="total / runs")


def write_cib_file(config: ClusterConfig, state: ClusterState, directory: Path) -> Path | None:
    try:
        from hafailover.pacemaker.cib_export import write_cib
    except ImportError:
        return None
    path = directory / f"{config.name}.xml"
    path.write_text(write_cib(config, state))
    return path


def startup_cost(directory: Path, runs: int, timeout: float) -> Timing:
    """crm_simulate on a one-node cluster with no resources: its fixed cost."""
    config = ClusterConfig(name="empty", nodes=(Node("node01", 1),),
                           properties=Properties(stonith_enabled=False))
    cib = write_cib_file(config, ClusterState(nodes=(NodeState("node01"),)), directory)
    if cib is None:
        return Timing(note="write_cib not available")
    return time_crm_simulate(cib, runs, timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only 100 and 1,000 resources")
    parser.add_argument("--sizes", type=int, nargs="+", help="resource counts to run")
    parser.add_argument("--nodes", type=int, nargs="+", help="node counts to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, help="timed runs per size (default: by size)")
    parser.add_argument("--no-pacemaker", action="store_true", help="skip crm_simulate")
    parser.add_argument("--pacemaker-profile", action="store_true",
                        help="also time crm_simulate -P (profiling mode; slow on large CIBs)")
    parser.add_argument("--simulate", action="store_true",
                        help="also time crm_simulate -S -Q (plays the actions; slow)")
    parser.add_argument("--pacemaker-timeout", type=float, default=900.0,
                        help="seconds before a crm_simulate run is abandoned")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)

    sizes = tuple(args.sizes or (QUICK_SIZES if args.quick else SIZES))
    node_counts = tuple(args.nodes or NODE_COUNTS)
    crm_simulate = None if args.no_pacemaker else shutil.which("crm_simulate")
    if not args.no_pacemaker and crm_simulate is None:
        print("crm_simulate not found (package pacemaker-cli-utils): Pacemaker column skipped")

    rows: list[Row] = []
    startup = Timing(note="skipped")
    with tempfile.TemporaryDirectory(prefix="hafailover-bench-") as tmp:
        directory = Path(tmp)
        if crm_simulate:
            startup = startup_cost(directory, 5, args.pacemaker_timeout)
        for resources in sizes:
            for nodes in node_counts:
                config, state = build_cluster(resources, nodes, args.seed)
                runs = args.runs or runs_for(resources)
                timing, actions = time_schedule(config, state, runs)
                row = Row(resources, nodes, describe(config, state), timing, actions=actions)
                if crm_simulate:
                    measure_pacemaker(row, config, state, directory, args)
                rows.append(row)
                print_row(row, header=len(rows) == 1)
                sys.stdout.flush()

    print()
    if crm_simulate:
        print("crm_simulate -R startup (empty one-node cluster), best/median ms: "
              f"{startup.cell().strip()}")
    target = next((r for r in rows if (r.resources, r.nodes) == TARGET[:2]), None)
    if target is not None and target.hafailover.median_ms is not None:
        print(f"target: {TARGET[0]:,} resources x {TARGET[1]} nodes under {TARGET[2]:.0f} ms; "
              f"measured median {target.hafailover.median_ms:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(report(rows, startup, args.seed), indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 0


def measure_pacemaker(row: Row, config: ClusterConfig, state: ClusterState,
                      directory: Path, args: argparse.Namespace) -> None:
    cib = write_cib_file(config, state, directory)
    if cib is None:
        row.profile = row.process = Timing(note="write_cib not available")
        return
    runs = args.runs or pacemaker_runs_for(row.resources)
    if args.pacemaker_profile:
        row.profile = time_crm_profile(cib, max(runs, 3), args.pacemaker_timeout)
    row.process = time_crm_simulate(cib, runs, args.pacemaker_timeout, "-R")
    if args.simulate:
        row.simulate = time_crm_simulate(cib, 1, args.pacemaker_timeout, "-S")


def print_row(row: Row, *, header: bool) -> None:
    if header:
        print(f"{'resources':>9} {'nodes':>5} {'active':>7} {'actions':>7} | "
              f"{'schedule() ms':^19} | {'crm_simulate ms':^31}")
        print(f"{'':>9} {'':>5} {'':>7} {'':>7} | {'best':>9} {'median':>9} | "
              f"{'-P/run':>9} {'-R best':>9} {'-R median':>9}"
              + (f" {'-S':>9}" if row.simulate is not None else ""))
        print("-" * (96 if row.simulate is not None else 86))
    actions = "-" if row.actions is None else str(row.actions)
    profile = (f"{row.profile.best_ms:9.1f}" if row.profile.best_ms is not None
               else row.profile.note or "-")
    line = (f"{row.resources:>9,} {row.nodes:>5} {row.counts['active_instances']:>7,} "
            f"{actions:>7} | {row.hafailover.cell():>19} | {profile:>9} "
            f"{row.process.cell():>19}")
    if row.simulate is not None:
        simulate = (f"{row.simulate.best_ms:9.1f}" if row.simulate.best_ms is not None
                    else row.simulate.note)
        line += f" {simulate:>9}"
    print(line)


def report(rows: list[Row], startup: Timing, seed: int) -> dict[str, Any]:
    return {
        "seed": seed,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "target": {"resources": TARGET[0], "nodes": TARGET[1], "ms": TARGET[2]},
        "crm_simulate_startup": vars(startup),
        "rows": [
            {"resources": r.resources, "nodes": r.nodes, "counts": r.counts,
             "actions": r.actions, "schedule": vars(r.hafailover),
             "crm_simulate_profile_per_run": vars(r.profile),
             "crm_simulate_run_process": vars(r.process),
             "crm_simulate_simulate_process": vars(r.simulate) if r.simulate else None}
            for r in rows
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
