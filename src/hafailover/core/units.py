"""Placement units: the top-level resources the scheduler places, with effective meta.

A unit is a top-level primitive, a group (its members move together) or a clone (copies of
a primitive or group). Meta-attributes are inherited the way Pacemaker inherits them:
the member's own value, else its group's, else its clone's, else resource-defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from hafailover.config.model import (
    DEFAULT_MULTIPLE_ACTIVE,
    Clone,
    ClusterConfig,
    Group,
    Meta,
    MultipleActive,
    Primitive,
    Resource,
)
from hafailover.config.scores import INFINITY


@dataclass(frozen=True)
class MemberMeta:
    """Effective meta of one primitive, after inheritance."""

    stickiness: int
    migration_threshold: int
    failure_timeout: float
    stopped: bool  # target-role Stopped here or on a parent
    managed: bool
    multiple_active: MultipleActive  # found active on more than one node: what to do


@dataclass(frozen=True)
class Unit:
    id: str
    resource: Resource
    members: tuple[Primitive, ...]  # primitives in start order (one for a primitive)
    member_meta: tuple[MemberMeta, ...]
    priority: int
    clone: Clone | None
    stopped: bool  # the whole unit's target role is Stopped
    managed: bool
    no_promotion: bool  # target-role Unpromoted on a promotable clone

    @property
    def will_stop(self) -> bool:
        """Its target role (or its first member's) is Stopped: it runs nowhere."""
        return self.stopped or self.member_meta[0].stopped

    @property
    def is_clone(self) -> bool:
        return self.clone is not None

    @property
    def promotable(self) -> bool:
        return self.clone is not None and self.clone.promotable

    def clone_max(self, node_count: int) -> int:
        if self.clone is None:
            return 1
        return node_count if self.clone.clone_max is None else self.clone.clone_max


def _chain(*metas: Meta | None) -> list[Meta]:
    return [m for m in metas if m is not None]


def _effective(config: ClusterConfig, primitive: Primitive, chain: list[Meta]) -> MemberMeta:
    defaults = config.defaults

    def pick(attr: str, default: int | float) -> int | float:
        for meta in chain:
            value = getattr(meta, attr)
            if value is not None:
                return value  # type: ignore[no-any-return]
        return default

    threshold = int(pick("migration_threshold", defaults.migration_threshold))
    return MemberMeta(
        stickiness=int(pick("resource_stickiness", defaults.resource_stickiness)),
        migration_threshold=INFINITY if threshold == 0 else threshold,
        failure_timeout=float(pick("failure_timeout", defaults.failure_timeout)),
        stopped=any(m.target_role == "Stopped" for m in chain),
        managed=all(m.is_managed for m in chain) and not config.properties.maintenance_mode,
        multiple_active=next((m.multiple_active for m in chain if m.multiple_active is not None),
                             DEFAULT_MULTIPLE_ACTIVE),
    )


def build_units(config: ClusterConfig) -> list[Unit]:
    """One unit per top-level resource, in configuration order."""
    units: list[Unit] = []
    for resource in config.resources:
        clone = resource if isinstance(resource, Clone) else None
        inner: Primitive | Group = resource.child if isinstance(resource, Clone) else resource
        parents = _chain(clone.meta if clone else None)
        if isinstance(inner, Group):
            members = inner.members
            group_chain = [inner.meta, *parents]
        else:
            members = (inner,)
            group_chain = parents
        metas = tuple(_effective(config, m, [m.meta, *group_chain]) for m in members)
        top_chain = [resource.meta] if clone is None else [inner.meta, clone.meta]
        priority = next((m.priority for m in top_chain if m.priority is not None),
                        config.defaults.priority)
        units.append(Unit(
            id=resource.id,
            resource=resource,
            members=members,
            member_meta=metas,
            priority=priority,
            clone=clone,
            stopped=any(m.target_role == "Stopped" for m in [*top_chain, *parents]),
            managed=all(m.managed for m in metas),
            no_promotion=any(m.target_role == "Unpromoted" for m in [*top_chain, *parents]),
        ))
    return units
