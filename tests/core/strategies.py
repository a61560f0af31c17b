"""Hypothesis strategies for the scheduler's inputs: valid (ClusterConfig, ClusterState) pairs.

``cluster_inputs()`` draws a small cluster (1-6 nodes in every condition a node can be in)
with primitives, groups, clones and promotable clones, constraints of every kind, and a
current state in which some resources run, some failed and some nodes must be fenced.

What is generated is always valid:

* ids are unique across nodes, resources at every level and constraints;
* constraints name top-level resources only (never a group member or a clone child);
* colocations and orders are acyclic (colocations point from a later resource to an
  earlier one, orders follow a random permutation);
* the state respects clone-max, clone-node-max and promoted-max, runs a non-clone
  primitive on at most one node, runs group members as a prefix on one node, and puts
  nothing on a node that left cleanly (offline, not unclean);
* every failed instance has a recent fail count on its node;
* promotable clones get promotion scores (``master-<primitive>`` node attributes) on
  some nodes, as their agent would set them.

``encode`` / ``decode`` turn the inputs into JSON and back, so that an example can be
replayed in another process (the determinism test runs the scheduler under several
``PYTHONHASHSEED`` values) or pasted into a bug report.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from functools import cache
from typing import Any

from hypothesis import strategies as st

from hafailover.config.model import (
    ActionName,
    AgentRef,
    Clone,
    ClusterConfig,
    Colocation,
    Constraints,
    Expression,
    FenceDevice,
    FenceLevel,
    Group,
    Heartbeat,
    HeartbeatLink,
    Location,
    Meta,
    Node,
    NoQuorumPolicy,
    Operation,
    Order,
    OrderKind,
    Peer,
    Primitive,
    Properties,
    Quorum,
    Resource,
    ResourceDefaults,
    Role,
    Rule,
    frozen_map,
)
from hafailover.config.scores import INFINITY
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance

NOW = 1_764_000_000.0
RECENT = NOW - 10.0  # a failure 10 s ago: inside every failure-timeout generated
LONG_AGO = NOW - 100_000.0  # outside every failure-timeout generated
NODE_ROLES = ("lb", "app", "db")
NODE_CONDITIONS = ("ok", "offline", "standby", "unclean", "maintenance")

DUMMY = AgentRef("ocf", "heartbeat", "Dummy")
STATEFUL = AgentRef("ocf", "pacemaker", "Stateful")

FINITE_SCORES = (-500, -100, -1, 0, 1, 50, 100, 200, 1000)
LOCATION_SCORES = (-INFINITY, *FINITE_SCORES, INFINITY)
COLOCATION_SCORES = (-INFINITY, -200, -50, 50, 200, INFINITY)


@cache
def _one_of(*values: Any) -> st.SearchStrategy[Any]:
    """A cached ``sampled_from``: strategies built once draw much faster than new ones."""
    return st.sampled_from(values)


@cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def _pick(draw: st.DrawFn, *values: Any) -> Any:
    return draw(_one_of(*values))


def _int(draw: st.DrawFn, low: int, high: int) -> int:
    return draw(_ints(low, high))


def _coin(draw: st.DrawFn) -> bool:
    return bool(draw(_ints(0, 1)))


@cache
def _permutation(values: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.permutations(values)


# --- resources -------------------------------------------------------------------------


def _metas(target_roles: tuple[str, ...]) -> tuple[Meta, ...]:
    """Every combination of the meta-attributes we vary, plain ones first (shrinking
    goes there); drawn as one choice, which keeps generation fast."""
    return tuple(
        Meta(target_role=role, resource_stickiness=stickiness,  # type: ignore[arg-type]
             migration_threshold=threshold, failure_timeout=timeout)
        for role in target_roles
        for stickiness in (None, None, 0, 10, 100, INFINITY)
        for threshold in (None, None, None, 1, 2, 3)
        for timeout in (None, None, None, 60.0)
    )


_ROLES = ("Started",) * 8 + ("Stopped",)
TOP_METAS = _metas(_ROLES)
PROMOTABLE_METAS = _metas((*_ROLES, "Unpromoted", "Promoted"))
INNER_METAS = _metas(("Started",))
MEMBER_METAS = tuple(
    Meta(target_role=role, migration_threshold=threshold)
    for role in ("Started",) * 9 + ("Stopped",)
    for threshold in (None, None, None, None, 1, 2)
)
NODE_ATTRIBUTES = tuple(
    {**({"role": role} if role else {}), **({"rack": rack} if rack else {})}
    for role in (*NODE_ROLES, *NODE_ROLES, None)
    for rack in (None, "r1", "r2")
)
CLONE_SHAPES = tuple(
    (clone_max, node_max, promoted_max)
    for clone_max in (None, None, 1, 2, 3)
    for node_max in (1, 1, 1, 2)
    for promoted_max in (1, 1, 2)
)


_TOP_META = st.sampled_from(TOP_METAS)
_PROMOTABLE_META = st.sampled_from(PROMOTABLE_METAS)
_INNER_META = st.sampled_from(INNER_METAS)
_MEMBER_META = st.sampled_from(MEMBER_METAS)
_NODE_ATTRIBUTES = st.sampled_from(NODE_ATTRIBUTES)
_CLONE_SHAPE = st.sampled_from(CLONE_SHAPES)


def _meta(draw: st.DrawFn, *, promotable: bool = False, top: bool = True) -> Meta:
    if not top:
        return draw(_INNER_META)
    return draw(_PROMOTABLE_META if promotable else _TOP_META)


def _primitive(rid: str, meta: Meta, agent: AgentRef = DUMMY) -> Primitive:
    return Primitive(
        id=rid,
        agent=agent,
        operations=(Operation("monitor", interval=10.0, timeout=20.0),),
        meta=meta,
    )


def _member_meta(draw: st.DrawFn) -> Meta:
    """Group members: mostly plain, sometimes stopped or with their own threshold."""
    return draw(_MEMBER_META)


def _group(draw: st.DrawFn, gid: str, *, top: bool) -> Group:
    size = _int(draw, 2, 3)
    members = tuple(
        _primitive(f"{gid}-{chr(ord('a') + i)}", _member_meta(draw)) for i in range(size)
    )
    return Group(id=gid, members=members, meta=_meta(draw, top=top))


def _resource(draw: st.DrawFn, index: int) -> Resource:
    kind = _pick(draw, *("primitive",) * 4, "group", "group", "clone", "promotable")
    if kind == "primitive":
        return _primitive(f"rsc{index}", _meta(draw))
    if kind == "group":
        return _group(draw, f"grp{index}", top=True)
    cid = f"cln{index}"
    promotable = kind == "promotable"
    if not promotable and _int(draw, 0, 3) == 0:
        child: Primitive | Group = _group(draw, f"{cid}-grp", top=False)
    else:
        child = _primitive(f"{cid}-rsc", Meta(), STATEFUL if promotable else DUMMY)
    clone_max, node_max, promoted_max = draw(_CLONE_SHAPE)
    return Clone(
        id=cid,
        child=child,
        clone_max=clone_max,
        clone_node_max=node_max,
        promotable=promotable,
        promoted_max=promoted_max if promotable else 1,
        promoted_node_max=1,
        meta=_meta(draw, promotable=promotable),
    )


# --- constraints -----------------------------------------------------------------------


def _rule(draw: st.DrawFn, nodes: tuple[str, ...]) -> Rule:
    kind = _pick(draw, "role-eq", "role-ne", "defined", "not-defined", "uname")
    if kind == "role-eq":
        expr = Expression("role", "eq", _pick(draw, *NODE_ROLES))
    elif kind == "role-ne":
        expr = Expression("role", "ne", _pick(draw, *NODE_ROLES))
    elif kind == "defined":
        expr = Expression("rack", "defined")
    elif kind == "not-defined":
        expr = Expression("rack", "not_defined")
    else:
        expr = Expression("#uname", "eq", _pick(draw, *nodes))
    return Rule(score=_pick(draw, *LOCATION_SCORES), expressions=(expr,))


def _constraints(
    draw: st.DrawFn, resources: tuple[Resource, ...], nodes: tuple[str, ...],
    colocation_scores: tuple[int, ...] = COLOCATION_SCORES,
) -> Constraints:
    ids = [r.id for r in resources]
    promotable = {r.id for r in resources if isinstance(r, Clone) and r.promotable}

    locations: list[Location] = []
    for i in range(_int(draw, 0, 2 * len(ids))):
        rid = _pick(draw, *ids)
        if _coin(draw):
            role = Role.PROMOTED if rid in promotable and _coin(draw) else None
            locations.append(Location(
                id=f"loc{i}", resource=rid, node=_pick(draw, *nodes),
                score=_pick(draw, *LOCATION_SCORES), role=role,
            ))
        else:
            locations.append(Location(id=f"loc{i}", resource=rid, rules=(_rule(draw, nodes),)))

    colocations: list[Colocation] = []
    if len(ids) >= 2:
        for i in range(_int(draw, 0, len(ids))):
            dependent = _int(draw, 1, len(ids) - 1)
            target = _int(draw, 0, dependent - 1)
            with_role = None
            if ids[target] in promotable and _int(draw, 0, 2) == 0:
                with_role = Role.PROMOTED
            colocations.append(Colocation(
                id=f"col{i}", resource=ids[dependent], with_resource=ids[target],
                score=_pick(draw, *colocation_scores), with_role=with_role,
            ))

    orders: list[Order] = []
    if len(ids) >= 2:
        sequence = draw(_permutation(tuple(ids)))
        for i in range(_int(draw, 0, len(ids))):
            then = _int(draw, 1, len(ids) - 1)
            first = _int(draw, 0, then - 1)
            first_action: ActionName = "start"
            if sequence[first] in promotable and _int(draw, 0, 2) == 0:
                first_action = "promote"
            kind: OrderKind = _pick(draw, "Mandatory", "Mandatory", "Optional")
            orders.append(Order(
                id=f"ord{i}", first=sequence[first], then=sequence[then],
                first_action=first_action,
                then_action="start",
                kind=kind,
            ))
    return Constraints(tuple(locations), tuple(colocations), tuple(orders))


# --- the current state -----------------------------------------------------------------


def _member_ids(resource: Primitive | Group) -> tuple[str, ...]:
    if isinstance(resource, Group):
        return tuple(m.id for m in resource.members)
    return (resource.id,)


def _placed(
    draw: st.DrawFn, resources: tuple[Resource, ...], hosts: tuple[str, ...], n_nodes: int
) -> list[ResourceInstance]:
    """Instances currently active, on nodes that can report them (online or unclean)."""
    placed: list[ResourceInstance] = []
    if not hosts:
        return placed

    def prefix(ids: tuple[str, ...], node: str, role: Role) -> None:
        running = _int(draw, 1, len(ids)) if len(ids) > 1 else 1
        for rid in ids[:running]:
            failed = _pick(draw, *(False,) * 7, True)
            placed.append(ResourceInstance(rid, node, role, failed=failed))

    for resource in resources:
        if _int(draw, 0, 9) < 3:  # stopped now
            continue
        if isinstance(resource, Clone):
            limit = resource.clone_max if resource.clone_max is not None else n_nodes
            per_node: dict[str, int] = {}
            promoted = 0
            for _ in range(_int(draw, 1, max(1, limit))):
                node = _pick(draw, *hosts)
                if per_node.get(node, 0) >= resource.clone_node_max:
                    continue
                per_node[node] = per_node.get(node, 0) + 1
                role = Role.STARTED
                if resource.promotable:
                    role = Role.UNPROMOTED
                    on_node = sum(
                        1 for p in placed
                        if p.node == node and p.role is Role.PROMOTED
                        and p.resource == resource.child.id
                    )
                    if (promoted < resource.promoted_max
                            and on_node < resource.promoted_node_max and _coin(draw)):
                        role = Role.PROMOTED
                        promoted += 1
                prefix(_member_ids(resource.child), node, role)
        else:
            prefix(_member_ids(resource) if isinstance(resource, Group) else (resource.id,),
                   _pick(draw, *hosts), Role.STARTED)
    return placed


def _failures(
    draw: st.DrawFn, placed: list[ResourceInstance], primitive_ids: list[str],
    nodes: tuple[str, ...],
) -> tuple[FailCount, ...]:
    counts: dict[tuple[str, str], FailCount] = {}
    for inst in placed:
        if inst.failed:
            counts[(inst.resource, inst.node)] = FailCount(
                inst.resource, inst.node, _pick(draw, 1, 1, 2, 3, INFINITY), RECENT)
    for _ in range(_int(draw, 0, 3)):
        key = (_pick(draw, *primitive_ids), _pick(draw, *nodes))
        if key not in counts:
            counts[key] = FailCount(
                key[0], key[1], _pick(draw, 1, 2, 3, INFINITY),
                _pick(draw, RECENT, LONG_AGO))
    return tuple(counts.values())


# --- the whole input -------------------------------------------------------------------


@st.composite
def cluster_inputs(
    draw: st.DrawFn,
    *,
    quorate: bool | None = None,
    no_quorum_policy: NoQuorumPolicy | None = None,
    symmetric_cluster: bool | None = None,
    finite_anti_colocations: bool = True,
) -> tuple[ClusterConfig, ClusterState]:
    """A valid (configuration, state) pair for ``schedule``.

    The keyword arguments pin a cluster-wide setting, for properties that only apply
    under it (drawing it and discarding the rest would waste most examples).
    ``finite_anti_colocations=False`` leaves out colocations with a negative finite
    score (see the stability property for why).
    """
    n_nodes = _int(draw, 1, 6)
    names = tuple(f"n{i + 1}" for i in range(n_nodes))
    nodes: list[Node] = []
    for i, name in enumerate(names):
        attributes = draw(_NODE_ATTRIBUTES)
        nodes.append(Node(name=name, node_id=i + 1,
                          addresses=frozen_map({"ring0": f"10.0.0.{i + 1}"}),
                          attributes=frozen_map(attributes)))

    node_states: list[NodeState] = []
    for name in names:
        condition = _pick(draw, *NODE_CONDITIONS, "ok", "ok", "ok", "ok")
        transient: dict[str, str] = {}
        if _int(draw, 0, 5) == 0:  # a transient attribute overrides the configured one
            transient["role"] = _pick(draw, *NODE_ROLES)
        node_states.append(NodeState(
            name=name,
            online=condition not in ("offline", "unclean"),
            unclean=condition == "unclean",
            standby=condition == "standby",
            maintenance=condition == "maintenance",
            attributes=frozen_map(transient),
        ))
    # a node that left cleanly reports nothing; an unclean one is still believed to run things
    hosts = tuple(n.name for n in node_states if n.online or n.unclean)

    resources = tuple(_resource(draw, i + 1) for i in range(_int(draw, 1, 7)))
    scores = COLOCATION_SCORES if finite_anti_colocations else tuple(
        score for score in COLOCATION_SCORES if score > 0 or score <= -INFINITY)
    constraints = _constraints(draw, resources, names, scores)
    # promotion scores, as a promotable agent sets them (crm_master): master-<primitive>
    for clone in resources:
        if isinstance(clone, Clone) and clone.promotable:
            for i, ns in enumerate(node_states):
                score = _pick(draw, None, None, "5", "10", "100")
                if score is not None:
                    node_states[i] = replace(ns, attributes=frozen_map(
                        {**ns.attributes, f"master-{clone.child.id}": score}))
    primitive_ids = [p.id for r in resources for p in _primitives_of(r)]

    properties = Properties(
        no_quorum_policy=no_quorum_policy or _pick(draw, "stop", "freeze", "ignore"),
        stonith_enabled=_pick(draw, True, True, False),
        symmetric_cluster=(symmetric_cluster if symmetric_cluster is not None
                           else _pick(draw, True, True, False)),
    )
    defaults = ResourceDefaults(
        resource_stickiness=_pick(draw, 0, 0, 50, 100),
        migration_threshold=_pick(draw, INFINITY, INFINITY, 1, 3),
        failure_timeout=_pick(draw, 0.0, 0.0, 120.0),
    )
    fence_devices: tuple[FenceDevice, ...] = ()
    if properties.stonith_enabled:
        fence_devices = (FenceDevice(id="fence-all", agent="fence_dummy"),)
    config = ClusterConfig(
        name="prop",
        nodes=tuple(nodes),
        heartbeat=Heartbeat(links=(HeartbeatLink(name="ring0", multicast_group="239.192.88.1"),)),
        quorum=Quorum(),
        properties=properties,
        defaults=defaults,
        resources=resources,
        constraints=constraints,
        fence_devices=fence_devices,
    )

    placed = _placed(draw, resources, hosts, n_nodes)
    failures = _failures(draw, placed, primitive_ids, names)
    runtime: tuple[Location, ...] = ()
    if _int(draw, 0, 5) == 0:  # a ban made with ``hactl ban``
        banned = _pick(draw, *(r.id for r in resources))
        runtime = (Location(id="cli-ban-1", resource=banned, node=_pick(draw, *names),
                            score=-INFINITY),)
    state = ClusterState(
        nodes=tuple(node_states),
        resources=tuple(placed),
        failures=failures,
        quorate=quorate if quorate is not None else _pick(draw, True, True, True, False),
        now=NOW,
        runtime_locations=runtime,
    )
    return config, state


def _primitives_of(resource: Resource) -> list[Primitive]:
    if isinstance(resource, Primitive):
        return [resource]
    if isinstance(resource, Group):
        return list(resource.members)
    return _primitives_of(resource.child)


# --- JSON codec, to replay an example in another process -------------------------------

_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        AgentRef, ClusterConfig, Clone, Colocation, Constraints, Expression, FenceDevice,
        FenceLevel, Group, Heartbeat, HeartbeatLink, Location, Meta, Node, Operation, Order,
        Peer, Primitive, Properties, Quorum, ResourceDefaults, Rule,
        ClusterState, FailCount, NodeState, ResourceInstance,
    )
}
_ENUMS: dict[str, type[enum.Enum]] = {"Role": Role}


def encode(value: Any) -> Any:
    """A JSON-ready form of a configuration or state that ``decode`` turns back."""
    if is_dataclass(value) and not isinstance(value, type):
        encoded = {f.name: encode(getattr(value, f.name)) for f in fields(value)}
        return {"__type__": type(value).__name__, **encoded}
    if isinstance(value, enum.Enum):
        return {"__enum__": type(value).__name__, "value": value.value}
    if isinstance(value, Mapping):
        return {"__map__": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    return value


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return tuple(decode(v) for v in data)
    if isinstance(data, dict):
        if "__type__" in data:
            cls = _TYPES[data["__type__"]]
            return cls(**{k: decode(v) for k, v in data.items() if k != "__type__"})
        if "__enum__" in data:
            return _ENUMS[data["__enum__"]](data["value"])
        if "__map__" in data:
            return frozen_map({k: decode(v) for k, v in data["__map__"].items()})
        raise ValueError(f"cannot decode {data!r}")
    return data
