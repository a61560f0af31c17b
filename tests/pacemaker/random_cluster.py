"""Small random clusters (configuration and state) for round trips and scheduler comparison.

Everything both ``write_cib`` and ``read_cib`` support, kept to what Pacemaker accepts:
colocations only point from later to earlier resources (no cycles), anonymous clones run
one instance per node, promoted instances only in promotable clones.
"""

from __future__ import annotations

import random

from hafailover.config.model import (
    AgentRef,
    Clone,
    ClusterConfig,
    Colocation,
    Constraints,
    Expression,
    Group,
    Location,
    Meta,
    Node,
    Operation,
    Order,
    Primitive,
    Properties,
    Resource,
    ResourceDefaults,
    Role,
    Rule,
    TargetRole,
)
from hafailover.config.scores import INFINITY
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance

SCORES = (-INFINITY, -100, -10, 0, 10, 50, 100, INFINITY)
NOW = 1_700_000_000.0
DUMMY = AgentRef("ocf", "pacemaker", "Dummy")
STATEFUL = AgentRef("ocf", "pacemaker", "Stateful")


def _meta(rng: random.Random) -> Meta:
    role: TargetRole = "Stopped" if rng.random() < 0.1 else "Started"
    return Meta(target_role=role,
                resource_stickiness=rng.choice([None, None, 0, 50, 200]),
                priority=rng.choice([None, None, 5]),
                migration_threshold=rng.choice([None, None, 1, 3]),
                failure_timeout=rng.choice([None, None, 60.0]))


def _primitive(rng: random.Random, rid: str, agent: AgentRef = DUMMY) -> Primitive:
    ops = (Operation("monitor", interval=10.0, timeout=20.0),) if rng.random() < 0.3 else ()
    params = {"ip": f"192.0.2.{rng.randint(1, 250)}"} if rng.random() < 0.2 else {}
    return Primitive(rid, agent, params=params, operations=ops, meta=_meta(rng))


def random_config(rng: random.Random) -> ClusterConfig:
    nodes = tuple(Node(f"n{i}", i, attributes={"rack": str(rng.randint(1, 3))})
                  for i in range(1, rng.randint(2, 4) + 1))
    names = [n.name for n in nodes]
    resources: list[Resource] = [_primitive(rng, f"r{i}") for i in range(rng.randint(1, 4))]
    if rng.random() < 0.4:
        resources.append(Group("g", (_primitive(rng, "g1"), _primitive(rng, "g2"))))
    if rng.random() < 0.4:
        promotable = rng.random() < 0.6
        resources.append(Clone("c", Primitive("cp", STATEFUL if promotable else DUMMY),
                               promotable=promotable, clone_max=rng.choice([None, 1, 2])))
    ids = [r.id for r in resources]
    locations: list[Location] = []
    for i in range(rng.randint(0, 4)):
        if rng.random() < 0.2:
            rule = Rule(rng.choice(SCORES), (Expression("rack", "eq", str(rng.randint(1, 3))),))
            locations.append(Location(f"l{i}", rng.choice(ids), rules=(rule,)))
        else:
            locations.append(Location(f"l{i}", rng.choice(ids), rng.choice(SCORES),
                                      node=rng.choice(names)))
    clone = next((r for r in resources if isinstance(r, Clone)), None)
    if clone is not None and clone.promotable and rng.random() < 0.7:
        locations.append(Location("lp", clone.id, rng.choice([10, 50, 100]),
                                  node=rng.choice(names), role=Role.PROMOTED))
    colocations: list[Colocation] = []
    orders: list[Order] = []
    for i in range(rng.randint(0, 3)):
        if len(ids) < 2:
            break
        first, second = sorted(rng.sample(range(len(ids)), 2))
        dependent, primary = ids[second], ids[first]
        if any(c.resource == dependent and c.with_resource == primary for c in colocations):
            continue
        with_role = (Role.PROMOTED if clone is not None and primary == clone.id
                     and clone.promotable and rng.random() < 0.5 else None)
        colocations.append(Colocation(f"co{i}", dependent, primary,
                                      rng.choice([-INFINITY, -50, 50, INFINITY]),
                                      with_role=with_role))
        if rng.random() < 0.3:
            orders.append(Order(f"o{i}", primary, dependent))
    properties = Properties(stonith_enabled=False, symmetric_cluster=rng.random() < 0.85,
                            no_quorum_policy=rng.choice(["stop", "freeze", "ignore"]))
    defaults = ResourceDefaults(resource_stickiness=rng.choice([0, 0, 100]),
                                migration_threshold=rng.choice([INFINITY, 2]))
    return ClusterConfig("random", nodes, properties=properties, defaults=defaults,
                         resources=tuple(resources),
                         constraints=Constraints(tuple(locations), tuple(colocations),
                                                 tuple(orders)))


def random_state(rng: random.Random, config: ClusterConfig) -> ClusterState:
    nodes: list[NodeState] = []
    for node in config.nodes:
        draw = rng.random()
        nodes.append(NodeState(node.name, online=draw > 0.15, standby=0.15 < draw < 0.25,
                               attributes={"zone": "a"} if rng.random() < 0.2 else {}))
    online = [n.name for n in nodes if n.online]
    instances: list[ResourceInstance] = []
    failures: list[FailCount] = []
    clone = next((r for r in config.resources if isinstance(r, Clone)), None)
    for primitive in config.primitives():
        if clone is not None and primitive.id == clone.child.id:
            promoted = False
            for name in online:
                if rng.random() < 0.5:
                    role = Role.STARTED
                    if clone.promotable:
                        role = Role.UNPROMOTED
                        if not promoted and rng.random() < 0.5:
                            role, promoted = Role.PROMOTED, True
                    instances.append(ResourceInstance(primitive.id, name, role))
            continue
        if online and rng.random() < 0.5:
            name = rng.choice(online)
            instances.append(ResourceInstance(primitive.id, name, failed=rng.random() < 0.2))
            if rng.random() < 0.3:
                failures.append(FailCount(primitive.id, name, rng.choice([1, 2, 3, INFINITY]),
                                          NOW - rng.choice([30.0, 600.0])))
    return ClusterState(tuple(nodes), tuple(instances), tuple(failures),
                        quorate=rng.random() < 0.9, now=NOW)


def random_cluster(seed: int) -> tuple[ClusterConfig, ClusterState]:
    rng = random.Random(seed)
    config = random_config(rng)
    return config, random_state(rng, config)
