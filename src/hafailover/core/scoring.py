"""Node scores of a placement unit, with where every part came from.

A ``ScoreSheet`` holds, per node, the total (Pacemaker arithmetic) and the list of
parts that made it, so that ``hactl simulate --scores`` can explain every placement.
Whether a node can run anything at all (online, clean, not standby) is kept apart
from scores, as in Pacemaker, and checked when a node is chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hafailover.core.scores import INFINITY, add_scores
from hafailover.core.transition import NodeScore, ScorePart


class ScoreSheet:
    __slots__ = ("allowed", "parts", "totals")

    def __init__(self, nodes: Iterable[str], *, opt_in: bool = False) -> None:
        self.totals: dict[str, int] = dict.fromkeys(nodes, 0)
        self.parts: dict[str, list[ScorePart]] = {n: [] for n in self.totals}
        # opt-in clusters: a node is allowed only once a location constraint names it
        self.allowed: set[str] = set() if opt_in else set(self.totals)

    def add(self, node: str, score: int, source: str, *, allow: bool = False) -> None:
        if allow:
            self.allowed.add(node)
        self.totals[node] = add_scores(self.totals[node], score)
        self.parts[node].append(ScorePart(source, score))

    def score(self, node: str) -> int:
        return self.totals[node] if node in self.allowed else -INFINITY

    def copy(self) -> ScoreSheet:
        other = ScoreSheet(())
        other.totals = dict(self.totals)
        other.parts = {n: list(p) for n, p in self.parts.items()}
        other.allowed = set(self.allowed)
        return other

    def eligible(self, available: Mapping[str, bool]) -> list[str]:
        """Nodes that may run the unit: available and a score of at least zero."""
        return [n for n in self.totals if available[n] and self.score(n) >= 0]

    def export(self, unavailable: Mapping[str, str]) -> dict[str, NodeScore]:
        result: dict[str, NodeScore] = {}
        for node, raw in self.totals.items():
            total = raw
            parts = list(self.parts[node])
            if node not in self.allowed:
                parts.append(ScorePart("opt-in cluster: no location constraint allows it",
                                       -INFINITY))
                total = -INFINITY
            if node in unavailable:
                parts.append(ScorePart(f"node {unavailable[node]}", -INFINITY))
                total = -INFINITY
            result[node] = NodeScore(total, tuple(parts))
        return result
