"""Small builders for scheduler scenarios: a config and a state in a few lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from hafailover.config.model import (
    AgentRef,
    Clone,
    ClusterConfig,
    Colocation,
    Constraints,
    Group,
    Location,
    Meta,
    Node,
    Order,
    Primitive,
    Properties,
    Resource,
    ResourceDefaults,
    Role,
    frozen_map,
)
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance

DUMMY = AgentRef("ocf", "heartbeat", "Dummy")


def prim(rid: str, **meta: Any) -> Primitive:
    return Primitive(id=rid, agent=DUMMY, meta=Meta(**meta))


def group(gid: str, *members: str, **meta: Any) -> Group:
    return Group(id=gid, members=tuple(prim(m) for m in members), meta=Meta(**meta))


def clone(cid: str, child: str | Primitive | Group, **options: Any) -> Clone:
    inner = prim(child) if isinstance(child, str) else child
    meta = Meta(**options.pop("meta", {}))
    return Clone(id=cid, child=inner, meta=meta, **options)


def config(resources: Sequence[Resource] = (), *, nodes: Sequence[str] = ("n1", "n2", "n3"),
           attributes: Mapping[str, Mapping[str, str]] | None = None,
           locations: Iterable[Location] = (), colocations: Iterable[Colocation] = (),
           orders: Iterable[Order] = (), stickiness: int = 0,
           migration_threshold: int | None = None, failure_timeout: float = 0.0,
           **properties: Any) -> ClusterConfig:
    attributes = attributes or {}
    defaults = ResourceDefaults(resource_stickiness=stickiness, failure_timeout=failure_timeout)
    if migration_threshold is not None:
        defaults = replace(defaults, migration_threshold=migration_threshold)
    return ClusterConfig(
        name="test",
        nodes=tuple(Node(name=n, node_id=i + 1, attributes=frozen_map(attributes.get(n, {})))
                    for i, n in enumerate(nodes)),
        properties=Properties(**properties),
        defaults=defaults,
        resources=tuple(resources),
        constraints=Constraints(tuple(locations), tuple(colocations), tuple(orders)),
    )


def loc(resource: str, node: str, score: int, **kw: Any) -> Location:
    return Location(id=f"loc-{resource}-{node}", resource=resource, node=node, score=score, **kw)


def coloc(resource: str, with_resource: str, score: int, **kw: Any) -> Colocation:
    return Colocation(id=f"col-{resource}-{with_resource}", resource=resource,
                      with_resource=with_resource, score=score, **kw)


def order(first: str, then: str, **kw: Any) -> Order:
    return Order(id=f"ord-{first}-{then}", first=first, then=then, **kw)


def state(cfg: ClusterConfig, running: Iterable[tuple[str, str] | tuple[str, str, str]] = (),
          *, offline: Iterable[str] = (), unclean: Iterable[str] = (),
          standby: Iterable[str] = (), maintenance: Iterable[str] = (),
          failed: Iterable[tuple[str, str]] = (),
          failures: Iterable[tuple[str, str, int, float]] = (), quorate: bool = True,
          now: float = 1_000_000.0,
          transient: Mapping[str, Mapping[str, str]] | None = None) -> ClusterState:
    """``running``: (resource, node) or (resource, node, role) triples."""
    offline, unclean = set(offline), set(unclean)
    standby, maintenance = set(standby), set(maintenance)
    failed_set = set(failed)
    transient = transient or {}
    instances = []
    for entry in running:
        resource, node = entry[0], entry[1]
        role = Role(entry[2]) if len(entry) == 3 else Role.STARTED  # type: ignore[misc]
        instances.append(ResourceInstance(resource, node, role,
                                          failed=(resource, node) in failed_set))
    return ClusterState(
        nodes=tuple(NodeState(n, online=n not in offline and n not in unclean,
                              unclean=n in unclean, standby=n in standby,
                              maintenance=n in maintenance,
                              attributes=frozen_map(transient.get(n, {})))
                    for n in cfg.node_names()),
        resources=tuple(instances),
        failures=tuple(FailCount(r, n, c, t) for r, n, c, t in failures),
        quorate=quorate,
        now=now,
    )
