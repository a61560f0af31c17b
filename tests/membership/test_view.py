"""Views and coordinator election."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.builders import config
from hafailover.config.model import Quorum
from hafailover.membership.view import make_view, next_view

pytestmark = pytest.mark.tier0

NODES = ("n1", "n2", "n3", "n4", "n5")


def test_lowest_node_id_is_coordinator_and_majority_is_quorate() -> None:
    cfg = config(nodes=NODES)
    view = make_view(cfg, ["n5", "n3", "n4"], 7)
    assert view.members == ("n3", "n4", "n5")
    assert view.coordinator == "n3"
    assert view.quorate and (view.votes, view.expected_votes) == (3, 5)
    minority = make_view(cfg, ["n1", "n2"], 7)
    assert minority.coordinator == "n1" and not minority.quorate
    assert "NOT quorate (2 of 5 expected votes)" in minority.describe()


@given(st.sets(st.sampled_from(NODES)), st.sets(st.sampled_from(NODES)))
def test_two_disjoint_partitions_are_never_both_quorate(a: set[str], b: set[str]) -> None:
    cfg = config(nodes=NODES)
    b = b - a
    assert not (make_view(cfg, a, 1).quorate and make_view(cfg, b, 1).quorate)


def test_two_node_mode_keeps_quorum_with_one_node_after_both_were_seen() -> None:
    cfg = replace(config(nodes=("n1", "n2")), quorum=Quorum(two_node=True, wait_for_all=True))
    assert not make_view(cfg, ["n1"], 1, seen_all=False).quorate  # cold start: wait for all
    assert make_view(cfg, ["n1"], 2, seen_all=True).quorate


def test_view_number_grows_only_on_change_and_above_anything_seen() -> None:
    cfg = config(nodes=NODES)
    v1 = make_view(cfg, NODES, 1)
    assert next_view(cfg, v1, NODES) is v1
    v2 = next_view(cfg, v1, ["n1", "n2", "n3"])
    assert v2.number == 2
    merged = next_view(cfg, v2, NODES, highest_seen=9)
    assert merged.number == 10 and merged.members == NODES
