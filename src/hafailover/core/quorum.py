"""Quorum: does a set of online nodes hold a majority of the votes? Pure.

Follows corosync's votequorum: a partition is quorate when its votes are more than
half of the expected votes. With ``two_node`` set on a two-vote cluster, one vote of
two is enough (the other node is fenced before anything is recovered).
"""

from __future__ import annotations

from collections.abc import Iterable

from hafailover.config.model import ClusterConfig


def online_votes(config: ClusterConfig, online_node_names: Iterable[str]) -> int:
    """Votes of the online nodes; names not in the configuration have no vote."""
    online = set(online_node_names)
    return sum(node.votes for node in config.nodes if node.name in online)


def has_quorum(config: ClusterConfig, online_node_names: Iterable[str]) -> bool:
    votes = online_votes(config, online_node_names)
    expected = config.expected_votes
    if config.quorum.two_node and expected == 2:
        return votes >= 1
    return 2 * votes > expected
