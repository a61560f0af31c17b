"""The faults of a chaos run and their seeded plan: pure, no engine, no clock.

A fault acts on one target. A target is a node (``n2``) or a role resolved when the
fault is applied: ``@web``, the node that runs the group ``web`` (VIP and haproxy), and
``@store``, a node that runs an instance of the record store. A step is one fault, or two
at once on different targets.

Two node faults at once would leave a 3-node cluster without quorum, and its service
stopped on purpose (``no-quorum-policy: stop``), so a step of two faults pairs a node
fault with a service fault: the cluster must ride out both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    KILL = "kill"                # SIGKILL the container; undo: start it
    PAUSE = "pause"              # freeze every process; undo: unpause (or start, if fenced)
    RESTART = "restart"          # stop (SIGTERM, a clean leave) and start again
    DISCONNECT = "disconnect"    # take its interface down; undo: up again (or start it)
    KILL_AGENT = "kill-agent"    # SIGKILL the hafailover agent inside it
    KILL_HAPROXY = "kill-haproxy"  # SIGKILL haproxy where it runs
    KILL_STORE = "kill-store"    # SIGKILL one record store instance

    @property
    def node_level(self) -> bool:
        """The node leaves the membership (and may be fenced)."""
        return self in NODE_FAULTS


NODE_FAULTS = (Kind.KILL, Kind.PAUSE, Kind.RESTART, Kind.DISCONNECT, Kind.KILL_AGENT)
SERVICE_FAULTS = (Kind.KILL_HAPROXY, Kind.KILL_STORE)
WEB = "@web"
STORE = "@store"


@dataclass(frozen=True)
class Fault:
    kind: Kind
    target: str  # a node name, WEB or STORE

    def describe(self) -> str:
        where = {WEB: "the node running web", STORE: "a node running the store"}
        return f"{self.kind.value} {where.get(self.target, self.target)}"


@dataclass(frozen=True)
class Step:
    number: int
    faults: tuple[Fault, ...]

    def describe(self) -> str:
        return " + ".join(f.describe() for f in self.faults)


def _node_fault(rng: random.Random, nodes: tuple[str, ...]) -> Fault:
    kind = rng.choice(NODE_FAULTS)
    # half of the node faults hit the node that serves: that is where failover happens
    target = WEB if rng.random() < 0.5 else rng.choice(nodes)
    return Fault(kind, target)


def _service_fault(rng: random.Random) -> Fault:
    kind = rng.choice(SERVICE_FAULTS)
    return Fault(kind, WEB if kind is Kind.KILL_HAPROXY else STORE)


def plan(seed: int, count: int, nodes: tuple[str, ...]) -> list[Step]:
    """``count`` steps: the first half single faults (node or service), the rest a node
    fault and a service fault at once. The same seed gives the same plan."""
    if len(nodes) < 3:
        raise ValueError("a chaos plan needs at least 3 nodes (one may fail, quorum stays)")
    rng = random.Random(seed)
    steps = []
    singles = (count + 1) // 2
    for number in range(1, count + 1):
        if number <= singles:
            fault = _node_fault(rng, nodes) if rng.random() < 0.75 else _service_fault(rng)
            steps.append(Step(number, (fault,)))
        else:
            steps.append(Step(number, (_node_fault(rng, nodes), _service_fault(rng))))
    return steps
