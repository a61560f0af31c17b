"""Membership views and the choice of coordinator. Pure.

A view is a numbered set of members. Every partition elects a coordinator (DC): the
member with the lowest node id. A partition without quorum has one too, so that it can
apply ``no-quorum-policy`` (stop its resources); only a quorate partition recovers
resources and fences. View numbers only grow: a new view is numbered above every view
its members have seen, so that when partitions merge the merged view wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hafailover.config.model import ClusterConfig
from hafailover.core.quorum import has_quorum, online_votes


@dataclass(frozen=True)
class View:
    number: int
    members: tuple[str, ...]  # in node-id order
    coordinator: str | None
    quorate: bool
    votes: int
    expected_votes: int

    def describe(self) -> str:
        quorum = "quorate" if self.quorate else "NOT quorate"
        return (f"view {self.number}: members {', '.join(self.members) or '(none)'}; "
                f"coordinator {self.coordinator or '(none)'}; {quorum} "
                f"({self.votes} of {self.expected_votes} expected votes)")


def elect_coordinator(config: ClusterConfig, members: Iterable[str]) -> str | None:
    ids = {n.name: n.node_id for n in config.nodes}
    known = [m for m in members if m in ids]
    return min(known, key=lambda m: ids[m]) if known else None


def make_view(config: ClusterConfig, members: Iterable[str], number: int, *,
              seen_all: bool = True) -> View:
    """The view of ``members``; ``seen_all`` is false until every configured node has
    been seen once since cluster start (``wait_for_all``)."""
    order = {n.name: n.node_id for n in config.nodes}
    ordered = tuple(sorted((m for m in set(members) if m in order), key=order.__getitem__))
    quorate = has_quorum(config, ordered)
    if config.quorum.wait_for_all and not seen_all:
        quorate = False
    return View(number=number, members=ordered,
                coordinator=elect_coordinator(config, ordered), quorate=quorate,
                votes=online_votes(config, ordered), expected_votes=config.expected_votes)


def next_view(config: ClusterConfig, previous: View, members: Iterable[str],
              highest_seen: int = 0, *, seen_all: bool = True) -> View:
    """The same view when nothing changed, else a new one numbered above all seen."""
    candidate = make_view(config, members, previous.number, seen_all=seen_all)
    if (candidate.members == previous.members and candidate.quorate == previous.quorate
            and highest_seen <= previous.number):
        return previous
    return make_view(config, members, max(previous.number, highest_seen) + 1,
                     seen_all=seen_all)
