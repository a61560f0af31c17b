"""Fail counts and on-fail policies: what a failed operation means for the cluster. Pure.

Follows Pacemaker: a soft failure adds one to the resource's fail count on the node, a
hard or fatal failure (and, with start-failure-is-fatal, any failed start) sets it to
INFINITY; once the count reaches migration-threshold the node is banned for the
resource; failures older than failure-timeout expire. The on-fail policy of the failed
operation (or the default for the action) picks the recovery; the severity picks how
far a ban reaches. Every decision carries a sentence saying why.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hafailover.config.model import OnFail, Operation, Primitive, ResourceDefaults, Role
from hafailover.config.scores import INFINITY
from hafailover.core.state import FailCount
from hafailover.executor.ocf import Severity

# --- fail counts ----------------------------------------------------------------------


def add_counts(a: int, b: int) -> int:
    return min(INFINITY, a + b)


@dataclass(frozen=True)
class FailTable:
    """Fail counts per (resource, node); every change returns a new table."""

    entries: Mapping[tuple[str, str], FailCount] = field(
        default_factory=lambda: MappingProxyType({}))

    def get(self, resource: str, node: str) -> FailCount | None:
        return self.entries.get((resource, node))

    def count(self, resource: str, node: str, *, now: float, failure_timeout: float) -> int:
        """The fail count that still counts at ``now`` (0 once the failures expired)."""
        entry = self.get(resource, node)
        if entry is None or is_expired(entry, now=now, failure_timeout=failure_timeout):
            return 0
        return entry.count

    def record(self, resource: str, node: str, *, now: float, increment: int) -> FailTable:
        old = self.get(resource, node)
        count = add_counts(old.count if old else 0, increment)
        return self._with((resource, node), FailCount(resource, node, count, now))

    def clear(self, resource: str, node: str | None = None) -> FailTable:
        """Forget the failures of ``resource`` on ``node`` (every node if None)."""
        return FailTable(MappingProxyType({
            k: v for k, v in self.entries.items()
            if not (k[0] == resource and (node is None or k[1] == node))}))

    def expire(self, failure_timeouts: Mapping[str, float], *, now: float,
               ) -> tuple[FailTable, tuple[FailCount, ...]]:
        """Drop expired entries; ``failure_timeouts`` maps resource -> failure-timeout."""
        expired = tuple(e for e in self.entries.values()
                        if is_expired(e, now=now,
                                      failure_timeout=failure_timeouts.get(e.resource, 0.0)))
        if not expired:
            return self, ()
        gone = {(e.resource, e.node) for e in expired}
        kept = {k: v for k, v in self.entries.items() if k not in gone}
        return FailTable(MappingProxyType(kept)), expired

    def as_tuple(self) -> tuple[FailCount, ...]:
        """For ``ClusterState.failures``."""
        return tuple(sorted(self.entries.values(), key=lambda f: (f.resource, f.node)))

    @classmethod
    def of(cls, counts: Iterable[FailCount]) -> FailTable:
        return cls(MappingProxyType({(c.resource, c.node): c for c in counts}))

    def _with(self, key: tuple[str, str], entry: FailCount) -> FailTable:
        return FailTable(MappingProxyType({**self.entries, key: entry}))


def is_expired(entry: FailCount, *, now: float, failure_timeout: float) -> bool:
    """failure-timeout 0 means failures never expire."""
    return failure_timeout > 0 and now - entry.last_failure >= failure_timeout


def fail_increment(action: str, severity: Severity, *, start_failure_is_fatal: bool = True) -> int:
    if severity is not Severity.SOFT:
        return INFINITY
    if action == "start" and start_failure_is_fatal:
        return INFINITY
    return 1


def threshold_reached(count: int, migration_threshold: int) -> bool:
    """migration-threshold 0 (or less) disables migration on failure."""
    return migration_threshold > 0 and count >= migration_threshold


@dataclass(frozen=True)
class FailurePolicy:
    migration_threshold: int
    failure_timeout: float


def policy_for(primitive: Primitive, defaults: ResourceDefaults) -> FailurePolicy:
    """The resource's meta-attributes, falling back to resource-defaults."""
    meta = primitive.meta
    return FailurePolicy(
        migration_threshold=(meta.migration_threshold if meta.migration_threshold is not None
                             else defaults.migration_threshold),
        failure_timeout=(meta.failure_timeout if meta.failure_timeout is not None
                         else defaults.failure_timeout))


# --- on-fail ------------------------------------------------------------------------------


def default_on_fail(action: str, *, fencing_enabled: bool,
                    operations: Iterable[Operation] = ()) -> OnFail:
    """Pacemaker's default on-fail for ``action``.

    stop: fence when fencing is enabled, block otherwise (a resource that did not stop
    may still be running; only fencing makes it safe to start it elsewhere).
    demote: the on-fail of the Promoted-role recurring monitor if there is one,
    restart otherwise. Everything else: restart.
    """
    if action == "stop":
        return "fence" if fencing_enabled else "block"
    if action == "demote":
        for op in operations:
            if op.name == "monitor" and op.interval > 0 and op.role is Role.PROMOTED \
                    and op.on_fail is not None:
                return op.on_fail
    return "restart"


def effective_on_fail(action: str, configured: OnFail | None, *, fencing_enabled: bool,
                      operations: Iterable[Operation] = ()) -> OnFail:
    if configured == "fence" and not fencing_enabled:
        # Pacemaker resets it to stop; a failed stop cannot be stopped again, so block.
        return "block" if action == "stop" else "stop"
    if configured is not None:
        return configured
    return default_on_fail(action, fencing_enabled=fencing_enabled, operations=operations)


class DecisionKind(enum.StrEnum):
    IGNORE = "ignore"  # on-fail=ignore: the failure is counted, nothing else happens
    RECOVER_IN_PLACE = "recover-in-place"  # stop and start again on this node
    MOVE_AWAY = "move-away"  # stop here; the node is banned, start it elsewhere
    STOP_EVERYWHERE = "stop-everywhere"  # fatal: stop it and start it nowhere
    STOP = "stop"  # on-fail=stop: stop it and do not start it elsewhere
    BLOCK = "block"  # on-fail=block: no further operations until cleaned up
    STANDBY_NODE = "standby-node"  # on-fail=standby: move every resource off the node
    FENCE_NODE = "fence-node"  # on-fail=fence: fence the node the resource failed on


class BanScope(enum.StrEnum):
    NONE = "none"
    NODE = "node"  # -INFINITY for this resource on this node
    EVERYWHERE = "everywhere"  # -INFINITY on every node


@dataclass(frozen=True)
class FailedOperation:
    """The facts about one failure that a decision needs."""

    resource: str
    node: str
    action: str
    interval: float
    severity: Severity
    detail: str  # e.g. "not running", "timed out after 20.0s"
    rc: int | None = None


@dataclass(frozen=True)
class FailureDecision:
    """What should happen after a failure, and why. Sent to the coordinator."""

    kind: DecisionKind
    ban: BanScope
    resource: str
    node: str
    action: str
    interval: float
    severity: Severity
    on_fail: OnFail
    fail_count: int
    migration_threshold: int
    reason: str
    rc: int | None = None


def _count_text(count: int) -> str:
    return "INFINITY" if count >= INFINITY else str(count)


def _op_name(action: str, interval: float) -> str:
    return f"{action} (every {interval:g}s)" if interval > 0 else action


def decide(failure: FailedOperation, *, on_fail: OnFail, fail_count: int,
           migration_threshold: int) -> FailureDecision:
    """The recovery for a failure, given the on-fail policy and the fail count after it.

    on-fail ignore wins over everything (Pacemaker pretends the operation succeeded);
    fence, block, standby and stop choose the recovery whatever the severity; with
    restart, the severity and the fail count choose: fatal stops the resource
    everywhere, hard (or migration-threshold reached) moves it away, soft restarts it
    in place. The ban scope always follows the severity and the threshold.
    """
    f = failure
    if f.severity is Severity.FATAL:
        ban = BanScope.EVERYWHERE
    elif f.severity is Severity.HARD or threshold_reached(fail_count, migration_threshold):
        ban = BanScope.NODE
    else:
        ban = BanScope.NONE

    what = (f"{_op_name(f.action, f.interval)} of {f.resource} on {f.node} failed "
            f"({f.detail}; {f.severity.value})")
    counted = (f"fail count {_count_text(fail_count)}, migration-threshold "
               f"{_count_text(migration_threshold) if migration_threshold > 0 else 'disabled'}")

    if on_fail == "ignore":
        kind, then = DecisionKind.IGNORE, "ignored (on-fail=ignore)"
        ban = BanScope.NONE
    elif on_fail == "fence":
        kind, then = DecisionKind.FENCE_NODE, f"fence {f.node} (on-fail=fence)"
    elif on_fail == "block":
        kind, then = (DecisionKind.BLOCK,
                      "block: no further operations until cleanup (on-fail=block)")
    elif on_fail == "standby":
        kind, then = DecisionKind.STANDBY_NODE, f"put {f.node} in standby (on-fail=standby)"
    elif on_fail == "stop":
        kind, then = DecisionKind.STOP, "stop it and keep it stopped (on-fail=stop)"
    elif ban is BanScope.EVERYWHERE:
        kind, then = DecisionKind.STOP_EVERYWHERE, "stop it on every node: fix its configuration"
    elif ban is BanScope.NODE:
        why = ("it cannot run there" if f.severity is not Severity.SOFT
               else "migration-threshold reached")
        kind, then = DecisionKind.MOVE_AWAY, f"ban {f.node} and move it away ({why})"
    else:
        kind, then = DecisionKind.RECOVER_IN_PLACE, f"restart it on {f.node}"
    return FailureDecision(kind=kind, ban=ban, resource=f.resource, node=f.node, action=f.action,
                           interval=f.interval, severity=f.severity, on_fail=on_fail,
                           fail_count=fail_count, migration_threshold=migration_threshold,
                           reason=f"{what}; {counted}; {then}", rc=f.rc)
