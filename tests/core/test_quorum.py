"""Quorum: a majority of the expected votes, and the two-node exception."""

from __future__ import annotations

import pytest

from hafailover.config.model import ClusterConfig, Node, Quorum
from hafailover.core.quorum import has_quorum, online_votes

pytestmark = pytest.mark.tier0


def cluster(count: int, quorum: Quorum | None = None, votes: int = 1) -> ClusterConfig:
    nodes = tuple(Node(name=f"n{i}", node_id=i, votes=votes) for i in range(1, count + 1))
    return ClusterConfig(name="c", nodes=nodes, quorum=quorum or Quorum())


def test_two_of_three_nodes_are_quorate() -> None:
    assert has_quorum(cluster(3), ["n1", "n2"])


def test_one_of_three_nodes_is_not_quorate() -> None:
    assert not has_quorum(cluster(3), ["n1"])


def test_half_of_four_nodes_is_not_quorate() -> None:
    assert not has_quorum(cluster(4), ["n1", "n2"])


def test_one_of_two_nodes_is_not_quorate_without_two_node() -> None:
    assert not has_quorum(cluster(2), ["n1"])


def test_one_of_two_nodes_is_quorate_with_two_node() -> None:
    assert has_quorum(cluster(2, Quorum(two_node=True)), ["n2"])


def test_no_node_of_two_is_not_quorate_even_with_two_node() -> None:
    assert not has_quorum(cluster(2, Quorum(two_node=True)), [])


def test_two_node_does_not_lower_quorum_of_a_larger_cluster() -> None:
    assert not has_quorum(cluster(3, Quorum(two_node=True)), ["n1"])


def test_expected_votes_from_the_configuration_override_the_node_count() -> None:
    config = cluster(3, Quorum(expected_votes=5))
    assert not has_quorum(config, ["n1", "n2"])
    assert has_quorum(config, ["n1", "n2", "n3"])


def test_votes_are_weighted_per_node() -> None:
    config = ClusterConfig(name="c", nodes=(Node("big", 1, votes=3), Node("a", 2), Node("b", 3)))
    assert has_quorum(config, ["big"])
    assert not has_quorum(config, ["a", "b"])


def test_unknown_names_bring_no_vote() -> None:
    config = cluster(3)
    assert online_votes(config, ["n1", "stranger", "n1"]) == 1
    assert not has_quorum(config, ["n1", "stranger"])


def test_a_cluster_without_nodes_has_no_quorum() -> None:
    assert not has_quorum(ClusterConfig(name="c", nodes=()), [])
