"""Cycles among Mandatory orders: a configuration whose start (or stop) order can never
be satisfied. Pure; ``validate`` reports each cycle with the orders that make it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hafailover.config.model import Clone, ClusterConfig, Group, Resource

Step = tuple[str, str, bool]  # (resource id, action, completed?) for groups and clones
INVERSE = {"start": "stop", "stop": "start", "promote": "demote", "demote": "promote"}
PAST = {"start": "started", "stop": "stopped", "promote": "promoted", "demote": "demoted"}


@dataclass(frozen=True)
class OrderCycle:
    orders: tuple[int, ...]  # indexes into config.constraints.orders, in cycle order
    steps: tuple[str, ...]  # "start a", "web started", ..., back to the first step


def find_order_cycles(config: ClusterConfig) -> list[OrderCycle]:
    """Cycles among Mandatory orders, including their symmetrical (stop) halves and the
    implicit order of group members; each distinct set of orders is reported once."""
    graph = _OrderGraph(config)
    cycles: list[OrderCycle] = []
    reported: set[frozenset[int]] = set()
    for component in graph.components():
        cycle = graph.cycle_in(component)
        labels = [label for label in cycle[1] if label is not None]
        key = frozenset(labels)
        if labels and key not in reported:
            reported.add(key)
            cycles.append(OrderCycle(tuple(dict.fromkeys(labels)),
                                     tuple(_describe_step(s) for s in cycle[0])))
    return cycles


def _describe_step(step: Step) -> str:
    rid, action, done = step
    return f"{rid} {PAST[action]}" if done else f"{action} {rid}"


class _OrderGraph:
    def __init__(self, config: ClusterConfig) -> None:
        self.edges: dict[Step, dict[Step, int | None]] = {}
        containers = set()
        for resource in config.iter_resources():
            if isinstance(resource, Group | Clone):
                containers.add(resource.id)
                for action in INVERSE:
                    self._structure(resource, action, containers)
        ids = {r.id for r in config.iter_resources()}

        def begin(rid: str, action: str) -> Step:
            return (rid, action, False)

        def done(rid: str, action: str) -> Step:
            return (rid, action, rid in containers)

        for index, order in enumerate(config.constraints.orders):
            if (order.kind != "Mandatory" or order.first == order.then
                    or order.first not in ids or order.then not in ids):
                continue
            first_action, then_action = order.first_action, order.effective_then_action
            self.add(done(order.first, first_action), begin(order.then, then_action), index)
            if order.is_symmetrical:
                self.add(done(order.then, INVERSE[then_action]),
                         begin(order.first, INVERSE[first_action]), index)
        self.containers = containers

    def _structure(self, resource: Group | Clone, action: str, containers: set[str]) -> None:
        children: list[Resource] = (list(resource.members) if isinstance(resource, Group)
                                    else [resource.child])
        if action in ("stop", "demote"):
            children.reverse()
        previous: Step = (resource.id, action, False)
        for child in children:
            self.add(previous, (child.id, action, False), None)
            previous = (child.id, action, isinstance(child, Group | Clone))
        self.add(previous, (resource.id, action, True), None)

    def add(self, source: Step, target: Step, label: int | None) -> None:
        targets = self.edges.setdefault(source, {})
        if targets.get(target) is None:
            targets[target] = label
        self.edges.setdefault(target, {})

    def components(self) -> list[list[Step]]:
        """Strongly connected components with a cycle (Tarjan, iteratively)."""
        index: dict[Step, int] = {}
        low: dict[Step, int] = {}
        stack: list[Step] = []
        on_stack: set[Step] = set()
        found: list[list[Step]] = []
        for root in self.edges:
            if root in index:
                continue
            work: list[tuple[Step, list[Step]]] = [(root, list(self.edges[root]))]
            index[root] = low[root] = len(index)
            stack.append(root)
            on_stack.add(root)
            while work:
                node, pending = work[-1]
                if pending:
                    nxt = pending.pop()
                    if nxt not in index:
                        index[nxt] = low[nxt] = len(index)
                        stack.append(nxt)
                        on_stack.add(nxt)
                        work.append((nxt, list(self.edges[nxt])))
                    elif nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
        return found

    def cycle_in(self, component: list[Step]) -> tuple[list[Step], list[int | None]]:
        """One cycle through the component's first explicit order edge: steps and labels."""
        members = set(component)
        inside = [(label, source, target) for source in component
                  for target, label in self.edges[source].items()
                  if target in members and label is not None]
        _label, source, target = min(inside, key=lambda edge: (edge[0] or 0, edge[1], edge[2]))
        previous: dict[Step, Step] = {target: target}
        queue = [target]
        while queue and source not in previous:
            node = queue.pop(0)
            for nxt in self.edges[node]:
                if nxt in members and nxt not in previous:
                    previous[nxt] = node
                    queue.append(nxt)
        path = [source]
        while path[-1] != target:
            path.append(previous[path[-1]])
        path.reverse()  # target ... source
        steps = [source, *path]
        labels = [self.edges[a][b] for a, b in itertools.pairwise(steps)]
        return steps, labels
