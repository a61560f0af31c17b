"""A snapshot of the cluster as the coordinator sees it: the scheduler's second input.

Pure data. The daemon builds it from membership, the executor's results and the
replicated cluster state; tests and ``hactl simulate`` build it from JSON
(``state_from_json`` / ``state_to_json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hafailover.config.model import Location, Role, frozen_map


@dataclass(frozen=True)
class NodeState:
    name: str
    online: bool = True
    unclean: bool = False  # left without a clean stop: must be fenced before recovery
    standby: bool = False
    maintenance: bool = False
    attributes: Mapping[str, str] = field(default_factory=frozen_map)  # transient, override config

    @property
    def can_run_resources(self) -> bool:
        return self.online and not self.unclean and not self.standby


@dataclass(frozen=True)
class ResourceInstance:
    """A primitive (or a clone's primitive) active on a node, as last reported."""

    resource: str  # primitive id
    node: str
    role: Role = Role.STARTED
    failed: bool = False  # the last operation failed: needs recovery
    blocked: bool = False  # on-fail=block: leave it alone until cleaned up


@dataclass(frozen=True)
class FailCount:
    resource: str  # primitive id
    node: str
    count: int  # INFINITY for hard failures
    last_failure: float  # seconds since the epoch


@dataclass(frozen=True)
class ClusterState:
    nodes: tuple[NodeState, ...]
    resources: tuple[ResourceInstance, ...] = ()
    failures: tuple[FailCount, ...] = ()
    quorate: bool = True
    now: float = 0.0  # seconds since the epoch; passed in, never read from a clock
    # move/ban constraints made with hactl; they live in the replicated state, not the file
    runtime_locations: tuple[Location, ...] = ()

    def node(self, name: str) -> NodeState | None:
        return next((n for n in self.nodes if n.name == name), None)

    def with_node(self, name: str, **changes: Any) -> ClusterState:
        nodes = tuple(replace(n, **changes) if n.name == name else n for n in self.nodes)
        return replace(self, nodes=nodes)


def state_to_json(state: ClusterState) -> dict[str, Any]:
    return {
        "quorate": state.quorate,
        "now": state.now,
        "nodes": [
            {"name": n.name, "online": n.online, "unclean": n.unclean, "standby": n.standby,
             "maintenance": n.maintenance, "attributes": dict(n.attributes)}
            for n in state.nodes
        ],
        "resources": [
            {"resource": r.resource, "node": r.node, "role": r.role.value, "failed": r.failed,
             "blocked": r.blocked}
            for r in state.resources
        ],
        "failures": [
            {"resource": f.resource, "node": f.node, "count": f.count,
             "last_failure": f.last_failure}
            for f in state.failures
        ],
        "runtime_locations": [
            {"id": loc.id, "resource": loc.resource, "node": loc.node, "score": loc.score,
             "role": loc.role.value if loc.role else None}
            for loc in state.runtime_locations
        ],
    }


def state_from_json(data: Mapping[str, Any]) -> ClusterState:
    """Inverse of ``state_to_json``; raises KeyError/ValueError/TypeError on bad input."""
    return ClusterState(
        quorate=bool(data.get("quorate", True)),
        now=float(data.get("now", 0.0)),
        nodes=tuple(
            NodeState(name=str(n["name"]), online=bool(n.get("online", True)),
                      unclean=bool(n.get("unclean", False)),
                      standby=bool(n.get("standby", False)),
                      maintenance=bool(n.get("maintenance", False)),
                      attributes=frozen_map({str(k): str(v) for k, v in
                                             (n.get("attributes") or {}).items()}))
            for n in data.get("nodes", [])
        ),
        resources=tuple(
            ResourceInstance(resource=str(r["resource"]), node=str(r["node"]),
                             role=Role(r.get("role", "Started")),
                             failed=bool(r.get("failed", False)),
                             blocked=bool(r.get("blocked", False)))
            for r in data.get("resources", [])
        ),
        failures=tuple(
            FailCount(resource=str(f["resource"]), node=str(f["node"]), count=int(f["count"]),
                      last_failure=float(f.get("last_failure", 0.0)))
            for f in data.get("failures", [])
        ),
        runtime_locations=tuple(
            Location(id=str(loc["id"]), resource=str(loc["resource"]), node=loc.get("node"),
                     score=int(loc.get("score", 0)),
                     role=Role(loc["role"]) if loc.get("role") else None)
            for loc in data.get("runtime_locations", [])
        ),
    )
