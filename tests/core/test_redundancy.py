"""Which node would take a resource over if its node failed now, and why none would."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.builders import clone, config, group, loc, prim, state
from hafailover.config.scores import INFINITY
from hafailover.core.redundancy import redundancy
from hafailover.core.state import FailCount

pytestmark = pytest.mark.tier0


def test_each_running_primitive_and_group_has_the_node_that_would_take_it_over() -> None:
    cfg = config([prim("vip"), group("web", "ip", "proxy"), clone("agents", "agent")])
    found = redundancy(cfg, state(cfg, [("vip", "n1"), ("ip", "n2"), ("proxy", "n2")]))
    assert [(r.resource, r.node, r.redundant) for r in found] == [
        ("vip", "n1", True), ("web", "n2", True)]
    assert all(r.node not in r.takeover for r in found)


def test_bans_after_failures_on_every_other_node_leave_no_target_and_say_so() -> None:
    cfg = config([prim("vip")])
    failed = replace(state(cfg, [("vip", "n1")]), failures=(
        FailCount("vip", "n2", INFINITY, 0.0), FailCount("vip", "n3", INFINITY, 0.0)))
    [vip] = redundancy(cfg, failed)
    assert not vip.redundant
    assert vip.reason.startswith("vip: no node can take over if n1 fails: n2: vip failed")
    assert "; n3: vip failed" in vip.reason


def test_a_node_in_standby_or_a_location_ban_is_named_as_the_reason() -> None:
    cfg = config([prim("db")], nodes=("n1", "n2", "n3"),
                 locations=[loc("db", "n3", -INFINITY)])
    [db] = redundancy(cfg, state(cfg, [("db", "n1")], standby=["n2"]))
    assert not db.redundant
    assert "n2: node" in db.reason and "standby" in db.reason
    assert "n3: location loc-db-n3" in db.reason


def test_a_resource_that_runs_nowhere_is_not_listed() -> None:
    cfg = config([prim("vip", target_role="Stopped")])
    assert redundancy(cfg, state(cfg)) == ()


def test_a_resource_about_to_start_is_judged_where_it_will_run() -> None:
    cfg = config([prim("vip")])
    [vip] = redundancy(cfg, state(cfg))
    assert vip.redundant and vip.node == "n1"
