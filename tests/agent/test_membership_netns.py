"""Membership between real agents in network namespaces: forming, leaving, losing nodes,
links and partitions, as the nodes' status and logs report them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conftest import (
    DEAD_TIME,
    INTERVAL,
    LogMark,
    hold,
    lowest_id,
    node_entry,
    one_view,
    present,
    records,
    wait_for_record,
    wait_formed,
)
from hafailover.lab.cluster import Lab, Statuses

pytestmark = pytest.mark.tier1

ALL_LABS = ["mcast", "ucast", "five"]
THREE_NODE_LABS = ["mcast", "ucast"]


def view_numbers(statuses: Mapping[str, dict[str, Any] | None]) -> set[int]:
    return {s["view"]["number"] for s in present(statuses).values()}


@pytest.mark.parametrize("cluster", ALL_LABS, indirect=True)
def test_a_cold_start_forms_one_quorate_view_coordinated_by_the_lowest_id(
        cluster: Lab) -> None:
    with ThreadPoolExecutor(max_workers=len(cluster.node_names)) as pool:
        list(pool.map(cluster.stop, cluster.node_names))
    for node in cluster.node_names:
        cluster.start(node)

    statuses = present(wait_formed(cluster, what="a cold-started cluster formed"))

    assert len(statuses) == len(cluster.node_names)
    views = [s["view"] for s in statuses.values()]
    assert len({v["number"] for v in views}) == 1
    for view in views:
        assert view["members"] == list(cluster.node_names)
        assert view["coordinator"] == "n1"
        assert view["quorate"] is True
        assert view["votes"] == view["expected_votes"] == len(cluster.node_names)
    for node, status in statuses.items():
        others = [e for e in status["nodes"] if e["name"] != node]
        assert {e["state"] for e in others} == {"online"}, (node, others)


@pytest.mark.parametrize("cluster", THREE_NODE_LABS, indirect=True)
def test_a_stopped_node_leaves_cleanly_and_rejoins_when_started(cluster: Lab) -> None:
    mark = LogMark.now(cluster)
    before = cluster.status("n1")["view"]["number"]

    assert cluster.stop("n3") == 0
    survivors = ["n1", "n2"]
    statuses = present(wait_formed(cluster, survivors, what="a view without n3"))

    for node, status in statuses.items():
        assert status["view"]["number"] > before
        assert status["view"]["quorate"] is True
        assert node_entry(status, "n3")["state"] == "left"
        about_n3 = [r["event"] for r in records(cluster, node, mark, kind="membership",
                                                about="n3")]
        assert any("left the cluster cleanly" in e for e in about_n3), about_n3
        assert not [e for e in about_n3 if "suspected" in e or "lost" in e], about_n3

    cluster.start("n3")
    statuses = present(wait_formed(cluster, what="n3 back in the view"))
    assert len(view_numbers(statuses)) == 1
    assert all(s["view"]["coordinator"] == "n1" for s in statuses.values())


@pytest.mark.parametrize("cluster", THREE_NODE_LABS, indirect=True)
def test_survivors_of_a_killed_member_agree_on_a_quorate_view_without_it(
        cluster: Lab) -> None:
    before = cluster.status("n1")["view"]["number"]

    cluster.kill("n3")
    statuses = present(wait_formed(cluster, ["n1", "n2"], what="a view without n3"))

    assert set(statuses) == {"n1", "n2"}
    for status in statuses.values():
        assert status["view"]["number"] > before
        assert status["view"]["coordinator"] == "n1"
        assert status["view"]["quorate"] is True
        assert node_entry(status, "n3")["member"] is False


@pytest.mark.parametrize("cluster", ALL_LABS, indirect=True)
def test_the_next_lowest_id_coordinates_after_the_coordinator_is_killed(
        cluster: Lab) -> None:
    survivors = [n for n in cluster.node_names if n != "n1"]

    cluster.kill("n1")
    statuses = present(wait_formed(cluster, survivors, what="a view without n1"))

    assert set(statuses) == set(survivors)
    assert len(view_numbers(statuses)) == 1
    for status in statuses.values():
        assert status["view"]["coordinator"] == lowest_id(cluster, survivors) == "n2"
        assert status["view"]["members"] == survivors
        assert status["view"]["quorate"] is True


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_one_of_two_links_down_is_a_warning_and_no_membership_change(cluster: Lab) -> None:
    start = present(cluster.statuses())
    number = start["n1"]["view"]["number"]
    mark = LogMark.now(cluster)

    cluster.link_down("n3", 1)
    warning = wait_for_record(
        cluster, "n1", mark,
        lambda r: r.get("kind") == "link" and r.get("node") == "n3"
        and r.get("link") == "ring1" and r.get("level") == "warning",
        what="a warning that n3's link ring1 is down")
    assert "ring1" in warning["event"] and "ring0" in warning["event"], warning

    hold(cluster, lambda s: one_view(s, cluster.node_names) and view_numbers(s) == {number},
         2 * DEAD_TIME + 0.2, what=f"view {number} of every node on every node")
    links = node_entry(cluster.status("n1"), "n3")["links"]
    assert links == {"ring0": "up", "ring1": "down"}
    for node in cluster.node_names:
        assert not [r for r in records(cluster, node, mark, kind="membership")
                    if r.get("level") != "info"], node

    cluster.link_up("n3", 1)
    wait_for_record(
        cluster, "n1", mark,
        lambda r: r.get("kind") == "link" and r.get("node") == "n3"
        and r.get("link") == "ring1" and r.get("level") == "info",
        what="n3's link ring1 up again")
    assert view_numbers(cluster.statuses()) == {number}


def quorate_with_lost_members(status: dict[str, Any]) -> list[str]:
    """The members of the node's view that the node itself reports lost or left, when
    it claims quorum with that view."""
    if not status["view"]["quorate"]:
        return []
    gone = {e["name"] for e in status["nodes"] if e["state"] in ("lost", "left")}
    return sorted(gone & set(status["view"]["members"]))


def wait_minority_without_quorum(lab: Lab, minority: list[str],
                                 timeout: float = 15.0) -> Statuses:
    """Poll the minority until none of its nodes claims quorum. A node may report a peer
    lost an instant before it drops it from its view, but never count it towards quorum
    for longer than a dead time."""
    since: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while True:
        statuses = lab.statuses(minority)
        now = time.monotonic()
        for node, status in present(statuses).items():
            claimed = quorate_with_lost_members(status)
            if not claimed:
                since.pop(node, None)
                continue
            first = since.setdefault(node, now)
            assert now - first <= DEAD_TIME, (
                f"{node} has claimed quorum for {now - first:.2f} s with view "
                f"{status['view']} although it reports {', '.join(claimed)} lost")
        if all(s and not s["view"]["quorate"] for s in statuses.values()):
            return statuses
        assert now < deadline, f"the minority still claims quorum: {statuses}"
        time.sleep(INTERVAL / 2)


@pytest.mark.parametrize(("cluster", "majority", "minority"), [
    ("mcast", ["n2", "n3"], ["n1"]),
    ("ucast", ["n1", "n2"], ["n3"]),
    ("five", ["n3", "n4", "n5"], ["n1", "n2"]),
], indirect=["cluster"], ids=["mcast-2|1", "ucast-2|1", "five-3|2"])
def test_in_a_partition_only_the_majority_keeps_quorum(
        cluster: Lab, majority: list[str], minority: list[str]) -> None:
    cluster.partition(majority, minority)

    inside = present(wait_formed(cluster, majority, what="the majority's own view"))
    coordinator = lowest_id(cluster, majority)
    for status in inside.values():
        assert status["view"]["quorate"] is True
        assert status["view"]["coordinator"] == coordinator
    outside = present(wait_minority_without_quorum(cluster, minority))
    assert set(outside) == set(minority)
    for status in outside.values():
        assert set(status["view"]["members"]) <= set(minority)


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_a_coordinator_cut_off_from_its_peers_one_after_the_other_loses_quorum(
        cluster: Lab) -> None:
    # A switch failing port by port: n1 loses n3, then, before it notices, n2 too.
    cluster.partition(["n1"], ["n3"])
    time.sleep(2 * INTERVAL)
    cluster.partition(["n1"], ["n2", "n3"])

    wait_formed(cluster, ["n2", "n3"], what="the majority's own view")
    wait_minority_without_quorum(cluster, ["n1"])


@pytest.mark.parametrize("cluster", ["mcast"], indirect=True)
def test_after_a_partition_heals_one_view_and_one_coordinator_on_every_node(
        cluster: Lab) -> None:
    cluster.partition(["n2", "n3"], ["n1"])
    wait_formed(cluster, ["n2", "n3"], what="the majority's own view")
    cluster.wait_until(lambda s: all(st and not st["view"]["quorate"] for st in s.values()),
                       nodes=["n1"], what="n1 without quorum")

    cluster.heal()
    statuses = present(wait_formed(cluster, what="one view after the heal"))
    assert {s["view"]["coordinator"] for s in statuses.values()} == {"n1"}
    assert len(view_numbers(statuses)) == 1
    assert all(s["view"]["quorate"] for s in statuses.values())

