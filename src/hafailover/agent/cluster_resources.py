"""What runs on each node, as the coordinator knows it: the scheduler's picture of the
cluster's resources, kept up to date from the nodes' reports and action results."""

from __future__ import annotations

from collections.abc import Iterable

from hafailover.config.model import Role
from hafailover.core.state import ResourceInstance
from hafailover.v1 import peer_pb2


class ClusterResources:
    """What runs on each node, as the coordinator knows it."""

    def __init__(self) -> None:
        self.by_node: dict[str, dict[str, ResourceInstance]] = {}
        # node -> primitive -> the promotion score its agent set there (transient: it
        # lives as long as the copy runs, like Pacemaker's "reboot" lifetime)
        self.scores: dict[str, dict[str, str]] = {}

    def replace_node(self, node: str, statuses: Iterable[peer_pb2.ResourceStatus]) -> None:
        listed = list(statuses)
        self.by_node[node] = {
            s.resource: ResourceInstance(resource=s.resource, node=node,
                                         role=Role(s.role) if s.role else Role.STARTED,
                                         failed=s.failed, blocked=s.blocked)
            for s in listed}
        self.scores[node] = {s.resource: s.promotion_score for s in listed
                             if s.promotion_score}

    def forget(self, node: str) -> None:
        self.by_node.pop(node, None)
        self.scores.pop(node, None)

    def promotion_attributes(self, node: str) -> dict[str, str]:
        """The node attributes ``master-<primitive>`` the scheduler promotes by."""
        return {f"master-{rid}": score for rid, score in self.scores.get(node, {}).items()}

    def update(self, result: peer_pb2.ActionResult) -> None:
        scores = self.scores.setdefault(result.node, {})
        if result.promotion_score:
            scores[result.resource] = result.promotion_score
        else:
            scores.pop(result.resource, None)
        node = self.by_node.setdefault(result.node, {})
        failed = result.status != "ok"
        role = Role(result.role) if result.role else Role.STOPPED
        if role is Role.STOPPED and not failed:
            node.pop(result.resource, None)
            return
        if role is Role.STOPPED:
            role = Role.STARTED  # a failed instance whose state is unknown: must be stopped
        node[result.resource] = ResourceInstance(resource=result.resource, node=result.node,
                                                 role=role, failed=failed, blocked=result.block)

    def nodes_of(self, primitives: Iterable[str]) -> list[str]:
        """The nodes where every one of ``primitives`` runs (a group's members, say)."""
        wanted = list(primitives)
        return sorted(node for node, instances in self.by_node.items()
                      if wanted and all(p in instances and not instances[p].failed
                                        for p in wanted))

    def all(self) -> tuple[ResourceInstance, ...]:
        return tuple(i for node in self.by_node.values() for i in node.values())

    def as_json(self) -> list[dict[str, object]]:
        return [{"resource": i.resource, "node": i.node, "role": i.role.value,
                 "failed": i.failed, "blocked": i.blocked} for i in self.all()]
