"""The report of a chaos run: text for people, JSON for machines (``format`` 1)."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from hafailover.chaos.checks import Violation
from hafailover.stats import percentile


@dataclass
class StepResult:
    number: int
    faults: list[str]  # as applied: "pause n2", "kill-store n3"
    started: float
    recovery_s: float  # longest outage the client saw; 0: none
    healthy: bool
    healthy_after_s: float | None  # from the undo to healthy
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    seed: int
    compose_file: str
    engine: str
    started: float
    duration_s: float
    bound_s: float
    steps: list[StepResult]
    writes: int
    acknowledged: int
    violations: list[Violation]
    stopped_early: str | None = None  # why the run ended before its planned steps

    @property
    def faults(self) -> int:
        return sum(len(step.faults) for step in self.steps)

    @property
    def lost_writes(self) -> int:
        return sum(v.code == "lost-write" for v in self.violations)

    @property
    def other_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.code != "lost-write"]

    def recovery(self) -> dict[str, float | None]:
        values = [s.recovery_s for s in self.steps if math.isfinite(s.recovery_s)]
        return {"p50": percentile(values, 50) if values else None,
                "p95": percentile(values, 95) if values else None,
                "max": max((s.recovery_s for s in self.steps), default=None)}

    @property
    def passed(self) -> bool:
        return not self.violations and self.stopped_early is None

    def to_json(self) -> dict[str, Any]:
        recovery = self.recovery()
        return {
            "format": 1,
            "passed": self.passed,
            "seed": self.seed,
            "compose_file": self.compose_file,
            "engine": self.engine,
            "started": self.started,
            "duration_s": round(self.duration_s, 1),
            "vip_bound_s": self.bound_s,
            "steps": len(self.steps),
            "faults": self.faults,
            "recovery_s": {k: _num(v) for k, v in recovery.items()},
            "violations": len(self.other_violations),
            "lost_writes": self.lost_writes,
            "writes": {"sent": self.writes, "acknowledged": self.acknowledged},
            "stopped_early": self.stopped_early,
            "violation_list": [asdict(v) for v in self.violations],
            "step_list": [{**asdict(s), "recovery_s": _num(s.recovery_s)}
                          for s in self.steps],
        }

    def to_text(self) -> str:
        recovery = self.recovery()
        lines = [f"chaos run: seed {self.seed}, {self.compose_file} on {self.engine}, "
                 f"{self.duration_s:.0f} s"]
        for step in self.steps:
            healthy = (f"healthy after {step.healthy_after_s:.1f} s" if step.healthy
                       else "NOT healthy again")
            lines.append(f"  step {step.number:3d}: {' + '.join(step.faults):40s} "
                         f"recovery {_fmt(step.recovery_s)}, {healthy}"
                         + "".join(f"; {n}" for n in step.notes))
        lines += [
            f"faults: {self.faults} in {len(self.steps)} steps",
            f"recovery: p50 {_fmt(recovery['p50'])}, p95 {_fmt(recovery['p95'])}, "
            f"max {_fmt(recovery['max'])} (VIP bound {self.bound_s:g} s)",
            f"writes: {self.writes} sent, {self.acknowledged} acknowledged",
            f"violations: {len(self.other_violations)}",
            f"lost writes: {self.lost_writes}",
        ]
        faults = {step.number: " + ".join(step.faults) for step in self.steps}
        lines += [f"  {v.code}: {_where(v, faults)}{v.message}" for v in self.violations[:50]]
        if len(self.violations) > 50:
            lines.append(f"  ... and {len(self.violations) - 50} more (see the JSON report)")
        if self.stopped_early:
            lines.append(f"stopped early: {self.stopped_early}")
        lines.append("PASSED" if self.passed else "FAILED")
        return "\n".join(lines)


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 3)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return "never"
    return f"{value:.2f} s"


def _where(violation: Violation, faults: dict[int, str]) -> str:
    """``step 19 (kill-store n3 + disconnect n2) at 22:56:17.123: `` when known."""
    parts = []
    if violation.step is not None:
        fault = faults.get(violation.step)
        parts.append(f"step {violation.step}" + (f" ({fault})" if fault else ""))
    if violation.t is not None:
        parts.append("at " + time.strftime("%H:%M:%S", time.localtime(violation.t))
                     + f".{int(violation.t * 1000) % 1000:03d}")
    return " ".join(parts) + ": " if parts else ""
