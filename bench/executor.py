"""How much the executor costs per monitor, and how many monitors per second it sustains.

    python3 bench/executor.py [--runs 300] [--resources 64] [--seconds 5]

1. Overhead: a monitor of a trivial agent (``exit 0``) through ``Executor.run`` against
   the same script run with ``subprocess.run`` directly, sequentially, median and mean.
2. Throughput: ocf:heartbeat:Dummy monitors (``probe_all`` over many resources, again and
   again) at several concurrency limits, in completed monitors per second.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from hafailover.config.model import AgentRef, Primitive, frozen_map
from hafailover.executor import (
    Executor,
    ExecutorOptions,
    FailureDecision,
    MonitorChange,
    OperationResult,
    system_gateway,
)
from hafailover.log import configure_logging


class Quiet:
    def operation_completed(self, result: OperationResult) -> None:
        pass

    def monitor_changed(self, change: MonitorChange) -> None:
        pass

    def failure_decided(self, decision: FailureDecision) -> None:
        pass


def summary(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (f"median {statistics.median(ms):7.3f} ms   mean {statistics.fmean(ms):7.3f} ms   "
            f"p95 {sorted(ms)[int(len(ms) * 0.95) - 1]:7.3f} ms")


def overhead(root: Path, runs: int) -> None:
    script = root / "resource.d" / "bench" / "trivial"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    p = Primitive("trivial", AgentRef("ocf", "bench", "trivial"))
    ex = Executor(ExecutorOptions(node="bench", ocf_root=str(root)),
                  system_gateway(Quiet()))
    env = {"PATH": "/usr/bin:/bin", "OCF_ROOT": str(root)}

    direct = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([str(script), "monitor"], env=env, capture_output=True, check=False)
        direct.append(time.perf_counter() - t)

    async def through_executor() -> list[float]:
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            result = await ex.run(p, "monitor")
            samples.append(time.perf_counter() - t)
            assert result.ok
        return samples

    executed = asyncio.run(through_executor())
    print(f"monitor of a trivial agent ({runs} runs, sequential)")
    print(f"  subprocess.run directly : {summary(direct)}")
    print(f"  through the executor    : {summary(executed)}")
    print(f"  executor overhead       : "
          f"{(statistics.median(executed) - statistics.median(direct)) * 1000:+.3f} ms median, "
          f"{(statistics.fmean(executed) - statistics.fmean(direct)) * 1000:+.3f} ms mean")


def throughput(root: Path, resources: int, seconds: float) -> None:
    if not os.path.exists("/usr/lib/ocf/resource.d/heartbeat/Dummy"):
        print("ocf:heartbeat:Dummy not installed: throughput skipped")
        return
    prims = [Primitive(f"d{i}", AgentRef("ocf", "heartbeat", "Dummy"),
                       params=frozen_map({"state": str(root / f"d{i}.state")}))
             for i in range(resources)]
    for i in range(0, resources, 2):  # half running, half stopped
        (root / f"d{i}.state").touch()
    cpus = os.cpu_count() or 1
    print(f"\nconcurrent ocf:heartbeat:Dummy monitors ({resources} resources, "
          f"{seconds:g}s per setting, {cpus} CPUs)")
    for concurrency in (1, 4, 16, 64):
        ex = Executor(ExecutorOptions(node="bench", probe_concurrency=concurrency),
                      system_gateway(Quiet()))

        async def loop(executor: Executor = ex) -> tuple[int, float]:
            done, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                found = await executor.probe_all(prims)
                done += len(found)
            return done, time.perf_counter() - start

        done, elapsed = asyncio.run(loop())
        print(f"  concurrency {concurrency:3d}: {done / elapsed:8.1f} monitors/s "
              f"({done} in {elapsed:.1f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--resources", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    configure_logging(level="ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        overhead(Path(tmp) / "ocf", args.runs)
        throughput(Path(tmp), args.resources, args.seconds)


if __name__ == "__main__":
    main()
