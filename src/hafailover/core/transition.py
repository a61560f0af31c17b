"""The scheduler's output: target placement, an action graph and the reason for each decision."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hafailover.config.model import Role


class ActionKind(enum.StrEnum):
    STOP = "stop"
    DEMOTE = "demote"
    START = "start"
    PROMOTE = "promote"
    FENCE = "fence"


@dataclass(frozen=True)
class Action:
    """One step of a transition: an operation on one primitive on one node, or a fence.

    ``after`` holds the ids of actions that must have completed first.
    """

    id: int
    kind: ActionKind
    node: str
    resource: str | None  # primitive id; None for fence
    reason: str
    after: tuple[int, ...] = ()
    copy: int = 0  # which copy, for a clone running several times on one node


class ChangeKind(enum.StrEnum):
    """The crm_simulate summary verbs people know."""

    START = "Start"
    STOP = "Stop"
    MOVE = "Move"
    RECOVER = "Recover"
    RESTART = "Restart"
    PROMOTE = "Promote"
    DEMOTE = "Demote"
    FENCE = "Fence"


@dataclass(frozen=True)
class Change:
    """One line of the summary: ``* Move web ( n1 -> n2 )`` with its reason."""

    kind: ChangeKind
    resource: str | None  # primitive id; None for fence
    from_node: str | None
    to_node: str | None
    reason: str


@dataclass(frozen=True)
class Assignment:
    """A primitive instance the scheduler wants active: where and in which role."""

    resource: str  # primitive id
    node: str
    role: Role  # Started, Promoted or Unpromoted


@dataclass(frozen=True)
class ScorePart:
    source: str  # e.g. "location loc-web-n1", "stickiness", "colocation vip-with-db"
    score: int


@dataclass(frozen=True)
class NodeScore:
    total: int
    parts: tuple[ScorePart, ...] = ()


@dataclass(frozen=True)
class Transition:
    assignments: tuple[Assignment, ...]
    actions: tuple[Action, ...]
    changes: tuple[Change, ...]
    fenced: tuple[str, ...]
    # resource id (primitive, group or clone) -> node -> score with its parts
    scores: Mapping[str, Mapping[str, NodeScore]] = field(
        default_factory=lambda: MappingProxyType({}))
    # cluster-wide decisions, e.g. "no quorum and no-quorum-policy=stop: stopping everything"
    notes: tuple[str, ...] = ()

    def node_of(self, resource: str) -> str | None:
        """Node of a non-clone primitive, or None when it is to be stopped."""
        return next((a.node for a in self.assignments if a.resource == resource), None)

    def instances(self, resource: str) -> tuple[Assignment, ...]:
        return tuple(a for a in self.assignments if a.resource == resource)
