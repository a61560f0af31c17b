"""Redundancy: which nodes could take a resource over if the node it runs on failed now.
Pure.

For every primitive and group that runs (clones are left out: they are redundant by
their instances), the cluster as it will be once the current transition has run is
taken, its node is taken down as ``hactl simulate --node-down`` does, and the scheduler
is asked where the resource would go. No node means no failover target; the reason
comes from the scheduler's own explanation of each other node's score (a ban after
failures, a location constraint, a node that is down or in standby).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hafailover.config.model import Clone, ClusterConfig, Group
from hafailover.config.scores import INFINITY
from hafailover.core.scheduler import schedule
from hafailover.core.state import ClusterState, ResourceInstance
from hafailover.core.transition import Transition
from hafailover.core.whatif import NodeDown, apply_events


@dataclass(frozen=True)
class Redundancy:
    """Where one resource could go if the node it runs on failed."""

    resource: str
    node: str  # where it runs (or will, once the current transition has run)
    takeover: tuple[str, ...]  # the node(s) it would run on instead; empty: none
    reason: str  # for people: the target, or why there is none

    @property
    def redundant(self) -> bool:
        return bool(self.takeover)


def redundancy(config: ClusterConfig, state: ClusterState,
               planned: Transition | None = None) -> tuple[Redundancy, ...]:
    """Every running primitive and group, with its failover target, in configuration
    order. One scheduler run per node that runs something.

    ``planned`` is the transition for ``state`` if the caller has it (else it is
    computed): the resources are taken where it places them.
    """
    planned = planned or schedule(config, state)
    settled = _applied(state, planned)
    placed = {(a.resource, a.node) for a in planned.assignments}
    on_node: dict[str, list[tuple[str, str]]] = {}
    order = []
    for resource in config.resources:
        if isinstance(resource, Clone):
            continue
        lead = resource.members[0].id if isinstance(resource, Group) else resource.id
        nodes = [node for rid, node in placed if rid == lead]
        if len(nodes) == 1:  # running nowhere: nothing to take over
            on_node.setdefault(nodes[0], []).append((resource.id, lead))
            order.append(resource.id)
    found: dict[str, Redundancy] = {}
    for node, running in on_node.items():
        after = schedule(config, apply_events(config, settled, [NodeDown(node)]).state)
        for rid, lead in running:
            found[rid] = _target(after, rid, lead, node)
    return tuple(found[rid] for rid in order)


def _target(after: Transition, resource: str, lead: str, node: str) -> Redundancy:
    takeover = tuple(sorted({a.node for a in after.assignments
                             if a.resource == lead and a.node != node}))
    if takeover:
        return Redundancy(resource, node, takeover,
                          f"{resource}: {', '.join(takeover)} would take over if {node} fails")
    why = _why_nowhere(after, lead, node)
    return Redundancy(resource, node, (),
                      f"{resource}: no node can take over if {node} fails"
                      + (f": {why}" if why else ""))


def _why_nowhere(after: Transition, lead: str, failed: str) -> str:
    """Each other node, with what keeps the resource off it."""
    if lead not in after.scores:
        return "; ".join(after.notes)
    reasons = []
    for node, score in sorted(after.scores[lead].items()):
        if node == failed:
            continue
        bans = [part.source for part in score.parts if part.score <= -INFINITY]
        if bans:
            reasons.append(f"{node}: {', '.join(dict.fromkeys(bans))}")
        elif score.total < 0:
            reasons.append(f"{node}: score {score.total}")
    return "; ".join(reasons) or "; ".join(after.notes)


def _applied(state: ClusterState, planned: Transition) -> ClusterState:
    """The state once ``planned`` has run: exactly its assignments, healthy; the nodes
    it fences are down and clean; fail counts unchanged."""
    fenced = set(planned.fenced)
    nodes = tuple(replace(n, online=False, unclean=False) if n.name in fenced else n
                  for n in state.nodes)
    resources = tuple(ResourceInstance(a.resource, a.node, a.role) for a in planned.assignments)
    return replace(state, nodes=nodes, resources=resources)
