"""Realistic benchmark clusters: N primitives over M nodes, deterministic from a seed.

``build_cluster(resources, nodes, seed)`` returns a (ClusterConfig, ClusterState) pair
shaped like a production cluster rather than a random one:

* nodes carry ``role`` (lb / app / db) and ``rack`` attributes;
* resources are a mix of units: standalone primitives (about 40 % of units), groups of
  three (vip, fs, service; about 40 %), clones of a primitive (12 %: a few on every node,
  most on 2-4 nodes) and promotable clones (8 %: three instances, one promoted);
* constraints: most units prefer a home node (location, finite score) or a node role
  (rule), a few ban a node; groups follow a promoted database or a clone (INFINITY
  colocation, ordered after it), some primitives keep apart (-INFINITY colocation) or
  loosely together (finite colocation). Colocations and orders only point to earlier
  units, so neither has cycles;
* the current state: about 90 % of units run (mostly on their home node), a few
  instances have failed, some resources have fail counts; every node is online.

The resource count is the number of configured primitives (a clone's child counts once;
its instances do not). Fencing is disabled, so Pacemaker, given the same cluster through
``write_cib``, starts resources without a fence device.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hafailover.config.model import (
    AgentRef,
    Clone,
    ClusterConfig,
    Colocation,
    Constraints,
    Expression,
    Group,
    Location,
    Node,
    Operation,
    Order,
    Primitive,
    Properties,
    Resource,
    ResourceDefaults,
    Role,
    Rule,
    frozen_map,
)
from hafailover.config.scores import INFINITY
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance

NOW = 1_764_000_000.0
DUMMY = AgentRef("ocf", "heartbeat", "Dummy")
STATEFUL = AgentRef("ocf", "pacemaker", "Stateful")
MONITOR = (Operation("monitor", interval=10.0, timeout=20.0),)
NODE_ROLES = ("lb", "app", "db")


@dataclass
class _Builder:
    rng: random.Random
    nodes: tuple[str, ...]
    resources: list[Resource] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    colocations: list[Colocation] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    instances: list[ResourceInstance] = field(default_factory=list)
    failures: list[FailCount] = field(default_factory=list)
    home: dict[str, str] = field(default_factory=dict)  # top-level id -> preferred node
    promoted_clones: list[str] = field(default_factory=list)
    clones: list[str] = field(default_factory=list)
    primitives: list[str] = field(default_factory=list)  # standalone primitive ids
    count: int = 0  # primitives configured so far

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{len(self.resources) + 1}"

    def node_near(self, index: int) -> str:
        return self.nodes[index % len(self.nodes)]

    # ---- units

    def primitive(self) -> None:
        rid = self.next_id("rsc")
        self.resources.append(Primitive(rid, DUMMY, frozen_map({"state": f"/run/{rid}"}),
                                        MONITOR))
        self.count += 1
        self.prefer(rid)
        if self.primitives and self.rng.random() < 0.10:
            other = self.rng.choice(self.primitives)
            self.colocations.append(Colocation(f"{rid}-apart-{other}", rid, other, -INFINITY))
        elif self.primitives and self.rng.random() < 0.10:
            other = self.rng.choice(self.primitives)
            self.colocations.append(Colocation(f"{rid}-near-{other}", rid, other, 100))
        self.primitives.append(rid)
        self.run(rid, [rid])

    def group(self) -> None:
        gid = self.next_id("grp")
        members = tuple(
            Primitive(f"{gid}-{part}", DUMMY, frozen_map({"state": f"/run/{gid}-{part}"}),
                      MONITOR)
            for part in ("vip", "fs", "svc"))
        self.resources.append(Group(gid, members))
        self.count += 3
        self.prefer(gid)
        roll = self.rng.random()
        if self.promoted_clones and roll < 0.25:
            db = self.rng.choice(self.promoted_clones)
            self.colocations.append(Colocation(f"{gid}-with-{db}", gid, db, INFINITY,
                                               with_role=Role.PROMOTED))
            self.orders.append(Order(f"{db}-before-{gid}", db, gid, first_action="promote",
                                     then_action="start"))
        elif self.clones and roll < 0.45:
            base = self.rng.choice(self.clones)
            self.colocations.append(Colocation(f"{gid}-with-{base}", gid, base, INFINITY))
            self.orders.append(Order(f"{base}-before-{gid}", base, gid))
        self.run(gid, [m.id for m in members])

    def clone(self, *, promotable: bool) -> None:
        cid = self.next_id("ms" if promotable else "cln")
        child = Primitive(f"{cid}-rsc", STATEFUL if promotable else DUMMY, frozen_map(),
                          MONITOR)
        n = len(self.nodes)
        if promotable:
            clone_max: int | None = min(3, n)
        elif self.rng.random() < 0.2:
            clone_max = None  # one on every node
        else:
            clone_max = min(n, self.rng.randint(2, 4))
        self.resources.append(Clone(cid, child, clone_max=clone_max, promotable=promotable))
        self.count += 1
        start = self.rng.randrange(n)
        hosts = [self.node_near(start + i) for i in range(clone_max or n)]
        if promotable:
            self.locations.append(Location(f"{cid}-promote-on-{hosts[0]}", cid, 100,
                                           node=hosts[0], role=Role.PROMOTED))
            self.promoted_clones.append(cid)
        else:
            self.clones.append(cid)
        if self.rng.random() < 0.9:
            for i, host in enumerate(hosts):
                role = Role.STARTED
                if promotable:
                    role = Role.PROMOTED if i == 0 else Role.UNPROMOTED
                self.instances.append(ResourceInstance(child.id, host, role))

    # ---- constraints and state

    def prefer(self, rid: str) -> None:
        home = self.rng.choice(self.nodes)
        self.home[rid] = home
        roll = self.rng.random()
        if roll < 0.55:
            self.locations.append(Location(f"{rid}-prefers-{home}", rid,
                                            self.rng.choice((50, 100, 200)), node=home))
        elif roll < 0.85:
            role = self.rng.choice(NODE_ROLES)
            rule = Rule(200, (Expression("role", "eq", role),))
            self.locations.append(Location(f"{rid}-on-{role}", rid, rules=(rule,)))
        if self.rng.random() < 0.05 and len(self.nodes) > 1:
            banned = self.rng.choice([n for n in self.nodes if n != home])
            self.locations.append(Location(f"{rid}-avoids-{banned}", rid, -INFINITY,
                                           node=banned))

    def run(self, rid: str, primitive_ids: list[str]) -> None:
        if self.rng.random() >= 0.9:
            return  # stopped: the scheduler has to place it
        node = self.home[rid] if self.rng.random() < 0.8 else self.rng.choice(self.nodes)
        for pid in primitive_ids:
            failed = self.rng.random() < 0.02
            self.instances.append(ResourceInstance(pid, node, failed=failed))
            if failed:
                self.failures.append(FailCount(pid, node, 1, NOW - 30.0))
            elif self.rng.random() < 0.01:
                self.failures.append(FailCount(pid, self.rng.choice(self.nodes), 1,
                                               NOW - 3600.0))


def build_cluster(resources: int, nodes: int, seed: int = 1) -> tuple[ClusterConfig, ClusterState]:
    """A cluster with about ``resources`` primitives (never fewer) over ``nodes`` nodes."""
    rng = random.Random(f"{seed}-{resources}-{nodes}")
    names = tuple(f"node{i + 1:02d}" for i in range(nodes))
    builder = _Builder(rng, names)
    while builder.count < resources:
        roll = rng.random()
        if roll < 0.40:
            builder.primitive()
        elif roll < 0.80:
            builder.group()
        elif roll < 0.92:
            builder.clone(promotable=False)
        else:
            builder.clone(promotable=True)

    config = ClusterConfig(
        name=f"bench-{resources}x{nodes}",
        nodes=tuple(
            Node(name=name, node_id=i + 1,
                 addresses=frozen_map({"ring0": f"10.1.{i // 250}.{i % 250 + 1}"}),
                 attributes=frozen_map({"role": NODE_ROLES[i % len(NODE_ROLES)],
                                        "rack": f"r{i % 4 + 1}"}))
            for i, name in enumerate(names)),
        properties=Properties(stonith_enabled=False),
        defaults=ResourceDefaults(resource_stickiness=100, migration_threshold=3),
        resources=tuple(builder.resources),
        constraints=Constraints(tuple(builder.locations), tuple(builder.colocations),
                                tuple(builder.orders)),
    )
    state = ClusterState(
        nodes=tuple(NodeState(name) for name in names),
        resources=tuple(builder.instances),
        failures=tuple(builder.failures),
        quorate=True,
        now=NOW,
    )
    return config, state


def describe(config: ClusterConfig, state: ClusterState) -> dict[str, int]:
    """Counts that say what a generated cluster holds."""
    return {
        "primitives": sum(1 for _ in config.primitives()),
        "top_level": len(config.resources),
        "groups": sum(isinstance(r, Group) for r in config.resources),
        "clones": sum(isinstance(r, Clone) and not r.promotable for r in config.resources),
        "promotable": sum(isinstance(r, Clone) and r.promotable for r in config.resources),
        "locations": len(config.constraints.locations),
        "colocations": len(config.constraints.colocations),
        "orders": len(config.constraints.orders),
        "nodes": len(config.nodes),
        "active_instances": len(state.resources),
    }
