"""The cluster configuration: a typed, immutable model.

Frozen dataclasses (not pydantic): the model belongs to the pure core, has no runtime
dependency, and its validation is done by ``hafailover.config.validate``, which collects
every problem with file, line and key path instead of stopping at the first
(see docs/design/config-model.md).

Durations are float seconds. Scores are ints in [-INFINITY, INFINITY]
(``hafailover.config.scores``). Mappings are read-only ``types.MappingProxyType`` or
tuples of pairs so that a model can be shared between threads and hashed where needed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from hafailover.config.scores import INFINITY


def frozen_map(data: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(data or {}))


class Role(enum.StrEnum):
    """A resource instance's role, as Pacemaker names them."""

    STOPPED = "Stopped"
    STARTED = "Started"
    UNPROMOTED = "Unpromoted"
    PROMOTED = "Promoted"

    @property
    def is_active(self) -> bool:
        return self is not Role.STOPPED


TargetRole = Literal["Started", "Stopped", "Promoted", "Unpromoted"]
NoQuorumPolicy = Literal["stop", "freeze", "ignore"]
OnFail = Literal["restart", "stop", "ignore", "block", "standby", "fence"]
OrderKind = Literal["Mandatory", "Optional", "Serialize"]
ActionName = Literal["start", "stop", "promote", "demote"]
# what to do with a primitive found active on more than one node (Pacemaker's meta)
MultipleActive = Literal["stop_start", "stop_unexpected", "block"]
DEFAULT_MULTIPLE_ACTIVE: MultipleActive = "stop_start"
Transport = Literal["multicast", "unicast"]


# --- nodes and heartbeats -------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    node_id: int
    addresses: Mapping[str, str] = field(default_factory=frozen_map)  # link name -> IP
    attributes: Mapping[str, str] = field(default_factory=frozen_map)
    votes: int = 1


@dataclass(frozen=True)
class HeartbeatLink:
    name: str
    multicast_group: str | None = None  # used with transport multicast
    port: int = 5405
    interface: str | None = None


@dataclass(frozen=True)
class Heartbeat:
    interval: float = 0.1
    dead_time: float = 0.5
    transport: Transport = "multicast"
    links: tuple[HeartbeatLink, ...] = (
        HeartbeatLink(name="ring0", multicast_group="239.192.88.1"),
    )

    @property
    def detection_time(self) -> float:
        """Worst-case time from a node's death to its suspicion by every peer.

        The last heartbeat may have been sent just before death; a peer suspects the
        node once ``dead_time`` has passed since the last heartbeat it received, and
        checks liveness once per ``interval``.
        """
        return self.dead_time + self.interval


@dataclass(frozen=True)
class Peer:
    """The gRPC peer channel: nodes reach each other at their address on the first link."""

    port: int = 7405
    probe_timeout: float = 0.25  # a silent node must answer a probe within this to stay


@dataclass(frozen=True)
class Quorum:
    two_node: bool = False  # default: on for exactly 2 nodes (default_quorum)
    wait_for_all: bool = False  # default: as two_node
    expected_votes: int | None = None  # default: sum of configured votes


# A two-node cluster's fence race: the node that runs resources wins when the node that
# fences it first waits this long. It covers a fence device that powers a node off in up
# to about 4 s (IPMI usually does); it is also added to the failover when the node that
# runs the resources dies. docs/configuration.md says when to change it.
TWO_NODE_FENCE_RACE_DELAY = 5.0


def default_quorum(node_count: int) -> Quorum:
    """corosync's rule as pcs applies it: a cluster of exactly two nodes gets two-node
    quorum (one vote keeps it) and wait-for-all; any other size, majority."""
    two = node_count == 2
    return Quorum(two_node=two, wait_for_all=two)


def default_priority_fencing_delay(quorum: Quorum, stonith_enabled: bool) -> float:
    """A two-node cluster that fences gets a fence-race delay; others need none."""
    return TWO_NODE_FENCE_RACE_DELAY if quorum.two_node and stonith_enabled else 0.0


# --- properties and defaults -----------------------------------------------------------


@dataclass(frozen=True)
class Properties:
    no_quorum_policy: NoQuorumPolicy = "stop"
    stonith_enabled: bool = True
    symmetric_cluster: bool = True
    maintenance_mode: bool = False
    cluster_recheck_interval: float = 900.0
    stop_orphan_resources: bool = True
    # two-node fence races: fencing the node that runs more resources (or, when that is
    # not known, the one with the lower node id) waits this long, so that it wins
    priority_fencing_delay: float = 0.0
    # self-fencing: a node whose agent stops petting its watchdog for this long stops its
    # resources; a lost node no device can fence counts as fenced after twice this. 0: off
    watchdog_timeout: float = 0.0


# A failure stops counting against its node after this long: a fault that healed by
# itself (a link that flapped, a disk full for a minute) gives the node back without a
# cleanup, and a resource that keeps failing moves at most once per period.
DEFAULT_FAILURE_TIMEOUT = 600.0


@dataclass(frozen=True)
class ResourceDefaults:
    resource_stickiness: int = 0
    migration_threshold: int = INFINITY  # INFINITY: never ban for failures
    # 0: failures never expire (Pacemaker's default); docs/configuration.md says why not
    failure_timeout: float = DEFAULT_FAILURE_TIMEOUT
    priority: int = 0


# --- resources -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRef:
    """An agent name split in parts.

    ``ocf:heartbeat:IPaddr2`` -> (ocf, heartbeat, IPaddr2); ``builtin:vip`` -> (builtin, None, vip).
    """

    standard: str
    provider: str | None
    type: str

    def __str__(self) -> str:
        if self.provider:
            return f"{self.standard}:{self.provider}:{self.type}"
        return f"{self.standard}:{self.type}"


@dataclass(frozen=True)
class Operation:
    name: str  # start, stop, monitor, promote, demote, notify, ...
    interval: float = 0.0
    timeout: float = 20.0
    on_fail: OnFail | None = None  # None: Pacemaker's default for the action
    role: Role | None = None  # monitors may be per-role (Promoted / Unpromoted)


@dataclass(frozen=True)
class Meta:
    """Resource meta-attributes. ``None`` means "inherit from resource-defaults"."""

    target_role: TargetRole = "Started"
    resource_stickiness: int | None = None
    migration_threshold: int | None = None
    failure_timeout: float | None = None
    priority: int | None = None
    is_managed: bool = True
    multiple_active: MultipleActive | None = None  # None: inherited, else stop_start


@dataclass(frozen=True)
class Primitive:
    id: str
    agent: AgentRef
    params: Mapping[str, str] = field(default_factory=frozen_map)
    operations: tuple[Operation, ...] = ()
    meta: Meta = Meta()


@dataclass(frozen=True)
class Group:
    """Ordered members, each colocated with and started after the previous one."""

    id: str
    members: tuple[Primitive, ...]
    meta: Meta = Meta()


@dataclass(frozen=True)
class Clone:
    """Copies of a primitive or group on several nodes; ``promotable`` adds roles."""

    id: str
    child: Primitive | Group
    clone_max: int | None = None  # None: number of nodes
    clone_node_max: int = 1
    promotable: bool = False
    promoted_max: int = 1
    promoted_node_max: int = 1
    meta: Meta = Meta()


Resource = Primitive | Group | Clone


# --- constraints -----------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """``attribute op value`` on node attributes (``#uname`` is the node name)."""

    attribute: str
    operation: Literal["eq", "ne", "lt", "gt", "lte", "gte", "defined", "not_defined"]
    value: str | None = None
    type: Literal["string", "integer", "number", "version"] = "string"


@dataclass(frozen=True)
class Rule:
    score: int
    expressions: tuple[Expression, ...]
    boolean_op: Literal["and", "or"] = "and"
    role: Role | None = None


@dataclass(frozen=True)
class Location:
    id: str
    resource: str
    score: int = 0
    node: str | None = None  # exactly one of node / rules is set
    rules: tuple[Rule, ...] = ()
    role: Role | None = None


@dataclass(frozen=True)
class Colocation:
    """Place ``resource`` relative to ``with_resource`` (the dependent follows its target)."""

    id: str
    resource: str
    with_resource: str
    score: int = INFINITY
    resource_role: Role | None = None
    with_role: Role | None = None


@dataclass(frozen=True)
class Order:
    id: str
    first: str
    then: str
    first_action: ActionName = "start"
    then_action: ActionName | None = None  # None: same as first_action
    kind: OrderKind = "Mandatory"
    symmetrical: bool | None = None  # None: True unless kind is Serialize

    @property
    def effective_then_action(self) -> ActionName:
        return self.then_action or self.first_action

    @property
    def is_symmetrical(self) -> bool:
        if self.symmetrical is None:
            return self.kind != "Serialize"
        return self.symmetrical


@dataclass(frozen=True)
class Constraints:
    locations: tuple[Location, ...] = ()
    colocations: tuple[Colocation, ...] = ()
    orders: tuple[Order, ...] = ()


# --- fencing (devices are filled in by the fencing issue) ------------------------------


@dataclass(frozen=True)
class FenceDevice:
    id: str
    agent: str
    params: Mapping[str, str] = field(default_factory=frozen_map)
    targets: tuple[str, ...] = ()  # node names this device can fence; empty: all
    timeout: float = 60.0


@dataclass(frozen=True)
class FenceLevel:
    """One level of a node's fencing topology: every device must succeed."""

    target: str
    index: int  # levels are tried in increasing index order
    devices: tuple[str, ...]


# --- the whole configuration -----------------------------------------------------------


@dataclass(frozen=True)
class ClusterConfig:
    name: str
    nodes: tuple[Node, ...]
    heartbeat: Heartbeat = Heartbeat()
    peer: Peer = Peer()
    quorum: Quorum = Quorum()
    properties: Properties = Properties()
    defaults: ResourceDefaults = ResourceDefaults()
    resources: tuple[Resource, ...] = ()
    constraints: Constraints = Constraints()
    fence_devices: tuple[FenceDevice, ...] = ()
    fence_topology: tuple[FenceLevel, ...] = ()

    def node(self, name: str) -> Node | None:
        return next((n for n in self.nodes if n.name == name), None)

    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    def top_resource(self, rid: str) -> Resource | None:
        return next((r for r in self.resources if r.id == rid), None)

    def iter_resources(self) -> Iterator[Resource]:
        """Every resource at every level: top-level, group members, clone children."""
        for resource in self.resources:
            yield from iter_tree(resource)

    def find(self, rid: str) -> Resource | None:
        return next((r for r in self.iter_resources() if r.id == rid), None)

    def primitives(self) -> Iterator[Primitive]:
        for r in self.iter_resources():
            if isinstance(r, Primitive):
                yield r

    @property
    def loss_time(self) -> float:
        """Worst-case time from a node's death to every peer declaring it lost: detection,
        then a probe over the peer channel that must go unanswered."""
        return self.heartbeat.detection_time + self.peer.probe_timeout

    def peer_address(self, name: str) -> str | None:
        """Where node ``name`` serves the peer channel: its address on the first link."""
        node = self.node(name)
        if node is None:
            return None
        for link in self.heartbeat.links:
            if link.name in node.addresses:
                return node.addresses[link.name]
        return next(iter(node.addresses.values()), None)

    @property
    def expected_votes(self) -> int:
        if self.quorum.expected_votes is not None:
            return self.quorum.expected_votes
        return sum(n.votes for n in self.nodes)


def iter_tree(resource: Resource) -> Iterator[Resource]:
    yield resource
    if isinstance(resource, Group):
        yield from resource.members
    elif isinstance(resource, Clone):
        yield from iter_tree(resource.child)


def parent_map(config: ClusterConfig) -> dict[str, str]:
    """Child resource id -> id of its group or clone."""
    parents: dict[str, str] = {}
    for resource in config.iter_resources():
        if isinstance(resource, Group):
            for member in resource.members:
                parents[member.id] = resource.id
        elif isinstance(resource, Clone):
            parents[resource.child.id] = resource.id
    return parents
