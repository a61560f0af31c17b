"""What the executor reports: one ``OperationResult`` per operation, monitor changes, probes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from hafailover.config.model import Role
from hafailover.executor.ocf import ExecStatus, Severity
from hafailover.executor.output import EMPTY, Captured


@dataclass(frozen=True)
class OperationResult:
    resource: str  # primitive id
    instance: str  # OCF_RESOURCE_INSTANCE: the id, or id:N for a clone instance
    agent: str
    action: str
    interval: float  # seconds; 0 for one-shot operations and probes
    node: str
    rc: int | None  # the agent's exit code; None if it did not exit by itself or never ran
    status: ExecStatus
    severity: Severity | None  # None on success
    reason: str  # one sentence for people: what happened
    detail: str  # the short phrase inside the reason: "not running (expected started)"
    started: float  # monotonic
    finished: float  # monotonic
    started_wall: float
    finished_wall: float
    exit_reason: str | None = None  # the agent's own ocf-exit-reason
    observed: Role | None = None  # monitors: the role the agent reported
    unexpected: bool = False  # monitor found it active where it was expected stopped
    warning: str | None = None
    stdout: Captured = EMPTY
    stderr: Captured = EMPTY

    @property
    def ok(self) -> bool:
        return self.status is ExecStatus.OK

    @property
    def duration(self) -> float:
        return self.finished - self.started

    def as_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource, "instance": self.instance, "agent": self.agent,
            "action": self.action, "interval": self.interval, "node": self.node,
            "rc": self.rc, "status": self.status.value,
            "severity": self.severity.value if self.severity else None,
            "reason": self.reason, "exit_reason": self.exit_reason,
            "observed": self.observed.value if self.observed else None,
            "unexpected": self.unexpected, "warning": self.warning,
            "started_wall": self.started_wall, "finished_wall": self.finished_wall,
            "duration": round(self.duration, 6),
            "stdout": {"tail": self.stdout.text, "bytes": self.stdout.total_bytes,
                       "dropped": self.stdout.dropped_bytes},
            "stderr": {"tail": self.stderr.text, "bytes": self.stderr.total_bytes,
                       "dropped": self.stderr.dropped_bytes},
        }


@dataclass(frozen=True)
class MonitorChange:
    """A recurring monitor's result that differs from the expected state, reported once."""

    resource: str
    instance: str
    node: str
    interval: float
    expected: Role
    result: OperationResult
    reason: str


class Discovered(enum.StrEnum):
    """What a probe found."""

    STOPPED = "Stopped"
    STARTED = "Started"
    UNPROMOTED = "Unpromoted"
    PROMOTED = "Promoted"
    FAILED = "failed"  # the agent reported a failure or did not answer: needs recovery

    @property
    def role(self) -> Role | None:
        """The role for ``ResourceInstance``; None for FAILED (the role is unknown)."""
        return None if self is Discovered.FAILED else Role(self.value)


@dataclass(frozen=True)
class ProbeResult:
    resource: str
    instance: str
    node: str
    discovered: Discovered
    result: OperationResult

    @property
    def reason(self) -> str:
        return self.result.reason
