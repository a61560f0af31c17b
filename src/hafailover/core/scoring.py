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

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

from hafailover.config.scores import INFINITY, add_scores
from hafailover.core.transition import NodeScore, ScorePart

ZERO = NodeScore(0, ())


class ScoreSheet:
    __slots__ = ("allowed", "nodes", "parts", "totals")

    def __init__(self, nodes: Sequence[str], *, opt_in: bool = False) -> None:
        self.nodes = nodes
        self.totals: dict[str, int] = {}
        self.parts: dict[str, list[tuple[str, int]]] = {}  # (source, score)
        # opt-in clusters: a node is allowed only once a location constraint names it;
        # None means every node is allowed (symmetric clusters)
        self.allowed: set[str] | None = set() if opt_in else None

    def add(self, node: str, score: int, source: str, *, allow: bool = False) -> None:
        if allow and self.allowed is not None:
            self.allowed.add(node)
        before = self.totals.get(node, 0)
        total = before + score
        if not (-INFINITY < before < INFINITY and -INFINITY < score < INFINITY
                and -INFINITY < total < INFINITY):
            total = add_scores(before, score)  # INFINITY rules
        self.totals[node] = total
        self.parts.setdefault(node, []).append((source, score))

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
            listed = [ScorePart(source, score) for source, score in parts or ()]
            if banned:
                listed.append(ScorePart("opt-in cluster: no location constraint allows it",
                                        -INFINITY))
                total = -INFINITY
            if node in unavailable:
                listed.append(ScorePart(f"node {unavailable[node]}", -INFINITY))
                total = -INFINITY
            result[node] = NodeScore(total, tuple(listed))
        return result


class ExplainedScores(Mapping[str, Mapping[str, NodeScore]]):
    """Resource -> node -> score with its parts, built from the sheets on first access.

    Most transitions are never explained (the coordinator only acts on them), so the
    scores are turned into ``NodeScore`` objects only when someone reads them.
    """

    def __init__(self, sheets: Mapping[str, ScoreSheet], unavailable: Mapping[str, str]) -> None:
        self._sheets = dict(sheets)
        self._unavailable = dict(unavailable)
        self._done: dict[str, Mapping[str, NodeScore]] = {}

    def __getitem__(self, resource: str) -> Mapping[str, NodeScore]:
        if resource not in self._done:
            self._done[resource] = MappingProxyType(
                self._sheets[resource].export(self._unavailable))
        return self._done[resource]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sheets)

    def __len__(self) -> int:
        return len(self._sheets)
