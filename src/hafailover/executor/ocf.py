"""The OCF Resource Agent API 1.1 as data: exit codes, what they mean, and severities.

Pure: no clock, no process, no environment. ``classify`` turns an agent's exit code into
an ``Outcome`` (status, severity, the role the agent reported) the way Pacemaker does
(``include/crm/services.h``, ``lib/services/services_ocf.c``, ``lib/pengine/unpack.c``);
``recovery_for`` turns a severity into what must happen to the resource.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hafailover.config.model import Role


class OcfExit(enum.IntEnum):
    """The exit codes an OCF agent may return (OCF RA API 1.1 and Pacemaker's 190/191)."""

    OK = 0
    ERR_GENERIC = 1
    ERR_ARGS = 2
    ERR_UNIMPLEMENTED = 3
    ERR_PERM = 4
    ERR_INSTALLED = 5
    ERR_CONFIGURED = 6
    NOT_RUNNING = 7
    RUNNING_PROMOTED = 8
    FAILED_PROMOTED = 9
    DEGRADED = 190
    DEGRADED_PROMOTED = 191


DESCRIPTIONS: dict[OcfExit, str] = {
    OcfExit.OK: "ok",
    OcfExit.ERR_GENERIC: "generic error",
    OcfExit.ERR_ARGS: "invalid parameter",
    OcfExit.ERR_UNIMPLEMENTED: "unimplemented feature",
    OcfExit.ERR_PERM: "insufficient privileges",
    OcfExit.ERR_INSTALLED: "not installed",
    OcfExit.ERR_CONFIGURED: "not configured",
    OcfExit.NOT_RUNNING: "not running",
    OcfExit.RUNNING_PROMOTED: "promoted",
    OcfExit.FAILED_PROMOTED: "promoted (failed)",
    OcfExit.DEGRADED: "degraded",
    OcfExit.DEGRADED_PROMOTED: "promoted (degraded)",
}


class ExecStatus(enum.StrEnum):
    """How an operation ended, independent of the agent's exit code."""

    OK = "ok"
    ERROR = "error"  # the agent ran and reported a failure (see severity)
    TIMEOUT = "timeout"  # killed at its timeout
    NOT_INSTALLED = "not-installed"  # the agent (or what it needs) is missing
    NOT_SUPPORTED = "not-supported"  # standard or action this executor cannot run
    CANCELLED = "cancelled"  # a recurring monitor cancelled while running


class Severity(enum.StrEnum):
    """How bad a failure is, which decides the scope of recovery."""

    SOFT = "soft"  # recover in place (restart), until migration-threshold
    HARD = "hard"  # the resource cannot run on this node: ban the node
    FATAL = "fatal"  # the configuration is wrong: stop the resource everywhere


class Recovery(enum.StrEnum):
    """What a severity alone asks for (on-fail policies refine it: ``failures.decide``)."""

    RECOVER_IN_PLACE = "recover-in-place"
    BAN_NODE = "ban-node"
    STOP_EVERYWHERE = "stop-everywhere"


_RECOVERY = {
    Severity.SOFT: Recovery.RECOVER_IN_PLACE,
    Severity.HARD: Recovery.BAN_NODE,
    Severity.FATAL: Recovery.STOP_EVERYWHERE,
}

_SEVERITY = {
    OcfExit.ERR_GENERIC: Severity.SOFT,
    OcfExit.ERR_ARGS: Severity.HARD,
    OcfExit.ERR_UNIMPLEMENTED: Severity.HARD,
    OcfExit.ERR_PERM: Severity.HARD,
    OcfExit.ERR_INSTALLED: Severity.HARD,
    OcfExit.ERR_CONFIGURED: Severity.FATAL,
    OcfExit.NOT_RUNNING: Severity.SOFT,
    OcfExit.RUNNING_PROMOTED: Severity.SOFT,
    OcfExit.FAILED_PROMOTED: Severity.SOFT,
}


def recovery_for(severity: Severity) -> Recovery:
    return _RECOVERY[severity]


def normalize_rc(rc: int) -> OcfExit:
    """An exit code outside the OCF set (negative, 10-189, >191) is a generic error."""
    try:
        return OcfExit(rc)
    except ValueError:
        return OcfExit.ERR_GENERIC


def effective_rc(rc: OcfExit) -> OcfExit:
    """Degraded results count as their healthy counterpart (Pacemaker's pcmk__effective_rc)."""
    if rc is OcfExit.DEGRADED:
        return OcfExit.OK
    if rc is OcfExit.DEGRADED_PROMOTED:
        return OcfExit.RUNNING_PROMOTED
    return rc


def severity_of(rc: int) -> Severity | None:
    """The severity of an exit code where it is a failure; None for 0 and 190, never failures.

    191 (degraded promoted) is a failure wherever 8 (promoted) is one.
    """
    code = effective_rc(normalize_rc(rc))
    if code is OcfExit.OK:
        return None
    return _SEVERITY[code]


def describe(rc: int) -> str:
    code = normalize_rc(rc)
    if code is OcfExit.ERR_GENERIC and rc != 1:
        return f"generic error (unknown exit code {rc})"
    return DESCRIPTIONS[code]


@dataclass(frozen=True)
class Outcome:
    """What one exit code means for one action."""

    status: ExecStatus
    severity: Severity | None  # None when the operation succeeded
    observed: Role | None = None  # monitors: the role the agent reported; None if unknown
    unexpected: bool = False  # monitors: active where it was expected stopped (not a failure)
    warning: str | None = None  # ok, but worth saying (degraded, stop returned 7...)
    detail: str = ""  # a short phrase for the reason sentence

    @property
    def ok(self) -> bool:
        return self.status is ExecStatus.OK


def _failure(rc: OcfExit, detail: str, *, interval: float = 0.0, action: str = "",
             observed: Role | None = None) -> Outcome:
    severity = _SEVERITY.get(rc, Severity.SOFT)
    status = ExecStatus.ERROR
    if rc is OcfExit.ERR_INSTALLED:
        status = ExecStatus.NOT_INSTALLED
    elif rc is OcfExit.ERR_UNIMPLEMENTED and action == "monitor" and interval > 0:
        status = ExecStatus.NOT_SUPPORTED
    return Outcome(status, severity, observed=observed, detail=detail)


def _reported_role(code: OcfExit, promotable: bool) -> Role | None:
    if code is OcfExit.OK:
        return Role.UNPROMOTED if promotable else Role.STARTED
    if code is OcfExit.NOT_RUNNING:
        return Role.STOPPED
    if code in (OcfExit.RUNNING_PROMOTED, OcfExit.FAILED_PROMOTED):
        return Role.PROMOTED
    return None


def _same_role(observed: Role, expected: Role) -> bool:
    active = {Role.STARTED, Role.UNPROMOTED}
    return observed == expected or (observed in active and expected in active)


def classify(action: str, rc: int, *, interval: float = 0.0, expected: Role | None = None,
             promotable: bool = False) -> Outcome:
    """Map an agent's exit code for ``action`` to an ``Outcome``.

    ``expected`` is the role the caller believes the resource has, for monitors:
    None for a probe with no expectation (any clean answer is information, not failure).
    """
    raw = normalize_rc(rc)
    code = effective_rc(raw)
    detail = describe(rc)
    warning = f"agent reports {DESCRIPTIONS[raw]}" if raw is not code else None

    if action == "monitor":
        return _classify_monitor(raw, code, detail, warning, interval=interval,
                                 expected=expected, promotable=promotable)
    if code is OcfExit.OK:
        return Outcome(ExecStatus.OK, None, warning=warning, detail=detail)
    if action == "stop" and code is OcfExit.NOT_RUNNING:
        # The goal of stop is reached; the OCF API asks for 0 here, so say so.
        return Outcome(ExecStatus.OK, None, observed=Role.STOPPED, detail=detail,
                       warning="stop returned 7 (not running); the OCF API expects 0")
    if action == "promote" and code is OcfExit.RUNNING_PROMOTED:
        return Outcome(ExecStatus.OK, None, observed=Role.PROMOTED, warning=warning,
                       detail=detail)
    if action == "start" and code is OcfExit.NOT_RUNNING:
        return _failure(code, "not running after start")
    return _failure(code, detail, interval=interval, action=action)


def _classify_monitor(raw: OcfExit, code: OcfExit, detail: str, warning: str | None, *,
                      interval: float, expected: Role | None, promotable: bool) -> Outcome:
    observed = _reported_role(code, promotable)
    if code is OcfExit.FAILED_PROMOTED:
        return Outcome(ExecStatus.ERROR, Severity.SOFT, observed=Role.PROMOTED, detail=detail)
    if observed is None:
        if raw is OcfExit.ERR_INSTALLED and interval == 0 and expected in (None, Role.STOPPED):
            # A probe that finds the software missing: it cannot be running here.
            return Outcome(ExecStatus.OK, None, observed=Role.STOPPED, detail=detail,
                           warning="probe: agent reports not installed; treated as stopped")
        return _failure(code, detail, interval=interval, action="monitor")
    if expected is None:
        return Outcome(ExecStatus.OK, None, observed=observed, warning=warning, detail=detail)
    if _same_role(observed, expected):
        return Outcome(ExecStatus.OK, None, observed=observed, warning=warning, detail=detail)
    if expected is Role.STOPPED:
        # Active where it should not be: information for the scheduler, not a failure.
        return Outcome(ExecStatus.OK, None, observed=observed, unexpected=True,
                       warning=warning, detail=f"{detail} (expected stopped)")
    what = f"{detail} (expected {expected.value.lower()})"
    return Outcome(ExecStatus.ERROR, Severity.SOFT, observed=observed, detail=what)
