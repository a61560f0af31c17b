"""Node scores of a placement unit, with where every part came from.

A ``ScoreSheet`` holds, per node, the total (Pacemaker arithmetic) and the list of
parts that made it, so that ``hactl simulate --scores`` can explain every placement.
Whether a node can run anything at all (online, clean, not standby) is kept apart
from scores, as in Pacemaker, and checked when a node is chosen.

Sheets are sparse: most nodes of a large cluster score 0 for most resources, so only
nodes with a part are stored, which keeps copies cheap (the scheduler copies a sheet
for every rollback it may need).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hafailover.core.scores import INFINITY, add_scores
from hafailover.core.transition import NodeScore, ScorePart

ZERO = NodeScore(0, ())


class ScoreSheet:
    __slots__ = ("allowed", "nodes", "parts", "totals")

    def __init__(self, nodes: Sequence[str], *, opt_in: bool = False) -> None:
        self.nodes = nodes
        self.totals: dict[str, int] = {}
        self.parts: dict[str, list[ScorePart]] = {}
        # opt-in clusters: a node is allowed only once a location constraint names it;
        # None means every node is allowed (symmetric clusters)
        self.allowed: set[str] | None = set() if opt_in else None

    def add(self, node: str, score: int, source: str, *, allow: bool = False) -> None:
        if allow and self.allowed is not None:
            self.allowed.add(node)
        self.totals[node] = add_scores(self.totals.get(node, 0), score)
        self.parts.setdefault(node, []).append(ScorePart(source, score))

    def is_allowed(self, node: str) -> bool:
        return self.allowed is None or node in self.allowed

    def score(self, node: str) -> int:
        if self.allowed is not None and node not in self.allowed:
            return -INFINITY
        return self.totals.get(node, 0)

    def copy(self) -> ScoreSheet:
        other = ScoreSheet(self.nodes)
        other.totals = dict(self.totals)
        other.parts = {n: list(p) for n, p in self.parts.items()}
        other.allowed = None if self.allowed is None else set(self.allowed)
        return other

    def eligible(self, available: Sequence[str]) -> list[str]:
        """Of the nodes that can run resources, those where this unit scores >= 0."""
        totals, allowed = self.totals, self.allowed
        if allowed is None:
            return [n for n in available if totals.get(n, 0) >= 0]
        return [n for n in available if n in allowed and totals.get(n, 0) >= 0]

    def export(self, unavailable: Mapping[str, str]) -> dict[str, NodeScore]:
        result: dict[str, NodeScore] = dict.fromkeys(self.nodes, ZERO)
        special = set(self.parts) | set(unavailable)
        if self.allowed is not None:
            special |= set(self.nodes) - self.allowed
        for node in special & result.keys():
            parts = self.parts.get(node)
            banned = not self.is_allowed(node)
            total = self.totals.get(node, 0)
            listed = list(parts or ())
            if banned:
                listed.append(ScorePart("opt-in cluster: no location constraint allows it",
                                        -INFINITY))
                total = -INFINITY
            if node in unavailable:
                listed.append(ScorePart(f"node {unavailable[node]}", -INFINITY))
                total = -INFINITY
            result[node] = NodeScore(total, tuple(listed))
        return result
