"""What the scheduler knows before placing anything: nodes, fencing, current instances.

Built once per run from the configuration and the state snapshot. Decides which nodes
can run resources, which must be fenced, and which reported instances are real
(an instance on a cleanly offline node is gone, unless that node left in maintenance,
which leaves its resources running unmanaged; one on a node about to be fenced is gone
once the fence completes; one on an unclean node that cannot be fenced now is stranded:
it may still run, so it is neither stopped nor started elsewhere).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hafailover.config.model import ClusterConfig, Location, Properties, parent_map
from hafailover.core.rules import node_attributes
from hafailover.core.state import ClusterState, NodeState, ResourceInstance


@dataclass
class Context:
    config: ClusterConfig
    state: ClusterState
    nodes: tuple[str, ...]
    node_states: dict[str, NodeState]
    attributes: dict[str, dict[str, str]]
    available: dict[str, bool]
    usable: list[str]  # the nodes that can run resources, in configuration order
    unavailable: dict[str, str]  # node -> why it cannot run resources
    fence: list[str]
    fence_reasons: dict[str, str]
    current: dict[str, list[ResourceInstance]]  # primitive -> live instances
    fenced_instances: dict[str, list[ResourceInstance]]  # primitive -> stopped by a fence
    stranded: dict[str, list[ResourceInstance]]  # primitive -> on unclean, unfenceable nodes
    orphans: list[ResourceInstance]
    failures: dict[tuple[str, str], tuple[int, float]]  # (primitive, node) -> (count, last)
    failed_nodes: dict[str, list[str]]  # primitive -> nodes where it has a fail count
    locations: tuple[Location, ...]
    parents: dict[str, str]
    stop_all: bool = False  # no quorum and no-quorum-policy=stop
    freeze: bool = False  # no quorum and no-quorum-policy=freeze
    notes: list[str] = field(default_factory=list)

    def in_maintenance(self, node: str) -> bool:
        """Nothing is started, stopped or moved on a node in maintenance."""
        state = self.node_states.get(node)
        return state is not None and state.maintenance


def build_context(config: ClusterConfig, state: ClusterState) -> Context:
    props = config.properties
    nodes = config.node_names()
    states = {n: state.node(n) or NodeState(name=n, online=False) for n in nodes}
    quorum = _quorum(props, state.quorate)
    notes = list(quorum.notes)
    availability = _availability(nodes, states, quorum.can_fence)
    if props.maintenance_mode:
        notes.append("maintenance-mode is on: no resource is started, stopped or moved")
    if not props.stonith_enabled and any(states[n].unclean for n in nodes):
        notes.append("stonith-enabled is false: unclean offline nodes are assumed to be down, "
                     "which risks running a resource twice")
    instances = _instances(config, state, states, availability.fence)
    failures, failed_nodes = _failures(state, states)
    attributes = {
        n: node_attributes(n, (config.node(n).attributes if config.node(n) else {}),  # type: ignore[union-attr]
                           states[n].attributes)
        for n in nodes
    }
    return Context(
        config=config, state=state, nodes=nodes, node_states=states, attributes=attributes,
        available=availability.available,
        usable=[n for n in nodes if availability.available[n]],
        unavailable=availability.unavailable, fence=availability.fence,
        fence_reasons=availability.fence_reasons, current=instances.current,
        fenced_instances=instances.fenced, stranded=instances.stranded,
        orphans=instances.orphans, failures=failures, failed_nodes=failed_nodes,
        locations=config.constraints.locations + state.runtime_locations,
        parents=parent_map(config), stop_all=quorum.stop_all, freeze=quorum.freeze,
        notes=notes,
    )


@dataclass(frozen=True)
class _Quorum:
    stop_all: bool
    freeze: bool
    can_fence: bool
    notes: tuple[str, ...]


def _quorum(props: Properties, quorate: bool) -> _Quorum:
    """What the partition may do: no-quorum-policy when it has no quorum."""
    policy = props.no_quorum_policy
    notes: tuple[str, ...] = ()
    if not quorate:
        effect = {
            "stop": "stopping every resource in this partition",
            "freeze": "keeping running resources where they are, starting nothing",
            "ignore": "carrying on as if quorate",
        }[policy]
        notes = (f"no quorum and no-quorum-policy={policy}: {effect}",)
    return _Quorum(stop_all=not quorate and policy == "stop",
                   freeze=not quorate and policy == "freeze",
                   can_fence=props.stonith_enabled and (quorate or policy == "ignore"),
                   notes=notes)


@dataclass(frozen=True)
class _Availability:
    available: dict[str, bool]
    unavailable: dict[str, str]  # node -> why it cannot run resources
    fence: list[str]
    fence_reasons: dict[str, str]


def _availability(nodes: Sequence[str], states: Mapping[str, NodeState],
                  can_fence: bool) -> _Availability:
    """Which nodes can run resources, why the others cannot, and which to fence."""
    result = _Availability({}, {}, [], {})
    for name in nodes:
        ns = states[name]
        reason = None
        if ns.unclean:
            reason = "unclean"
            if can_fence:
                result.fence.append(name)
                result.fence_reasons[name] = (
                    "node is online but unclean (an operation failed and left it in an "
                    "unknown state)" if ns.online else "node left the cluster uncleanly")
        elif not ns.online:
            reason = "offline"
        elif ns.maintenance:
            reason = "in maintenance"
        elif ns.standby:
            reason = "in standby"
        result.available[name] = reason is None
        if reason:
            result.unavailable[name] = reason
    return result


@dataclass(frozen=True)
class _Instances:
    current: dict[str, list[ResourceInstance]]
    fenced: dict[str, list[ResourceInstance]]  # on nodes to fence: gone once fenced
    stranded: dict[str, list[ResourceInstance]]  # on unclean nodes that cannot be fenced
    orphans: list[ResourceInstance]  # of resources no longer configured


def _instances(config: ClusterConfig, state: ClusterState,
               states: Mapping[str, NodeState], fence: list[str]) -> _Instances:
    """The reported instances, sorted by what they mean for placement."""
    stonith = config.properties.stonith_enabled
    current: dict[str, list[ResourceInstance]] = defaultdict(list)
    fenced: dict[str, list[ResourceInstance]] = defaultdict(list)
    stranded: dict[str, list[ResourceInstance]] = defaultdict(list)
    known = {p.id for p in config.primitives()}
    orphans: list[ResourceInstance] = []
    for inst in state.resources:
        if not inst.role.is_active or inst.node not in states:
            continue
        ns = states[inst.node]
        if ns.unclean:
            if inst.node in fence:
                fenced[inst.resource].append(inst)
            elif not stonith and not ns.online:
                pass  # assumed down
            else:
                stranded[inst.resource].append(inst)
            continue
        if not ns.online:
            if ns.maintenance and inst.resource in known:
                # its agent left in maintenance and left it running, unmanaged: it is
                # still there, and nothing starts it elsewhere
                current[inst.resource].append(inst)
            continue
        if inst.resource not in known:
            orphans.append(inst)
            continue
        current[inst.resource].append(inst)
    return _Instances(dict(current), dict(fenced), dict(stranded), orphans)


def _failures(state: ClusterState, states: Mapping[str, NodeState],
              ) -> tuple[dict[tuple[str, str], tuple[int, float]], dict[str, list[str]]]:
    """(primitive, node) -> (fail count, last failure), and each primitive's failed nodes."""
    failures: dict[tuple[str, str], tuple[int, float]] = {}
    failed_nodes: dict[str, list[str]] = defaultdict(list)
    for fc in state.failures:
        key = (fc.resource, fc.node)
        if key not in failures and fc.node in states:
            failed_nodes[fc.resource].append(fc.node)
        count, last = failures.get(key, (0, 0.0))
        failures[key] = (count + fc.count, max(last, fc.last_failure))
    return failures, dict(failed_nodes)
