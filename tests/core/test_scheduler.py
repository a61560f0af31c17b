"""Scheduler scenarios: one semantic each, written as config + state -> expected transition."""

from __future__ import annotations

import pytest

from core.builders import clone, coloc, config, group, loc, order, prim, state
from hafailover.config.model import Expression, Group, Location, Role, Rule
from hafailover.config.scores import INFINITY
from hafailover.core.scheduler import schedule
from hafailover.core.transition import ActionKind, ChangeKind, Transition

pytestmark = pytest.mark.tier0


def where(t: Transition, resource: str) -> str | None:
    return t.node_of(resource)


def nodes(t: Transition, resource: str, role: Role | None = None) -> list[str]:
    return sorted(a.node for a in t.instances(resource) if role is None or a.role is role)


def kinds(t: Transition) -> list[tuple[str, str | None, str]]:
    return [(a.kind.value, a.resource, a.node) for a in t.actions]


def action(t: Transition, kind: str, resource: str | None, node: str) -> int:
    return next(a.id for a in t.actions
                if a.kind.value == kind and a.resource == resource and a.node == node)


def happens_before(t: Transition, first: int, then: int) -> bool:
    """True when ``then`` (transitively) waits for ``first``."""
    deps = {a.id: set(a.after) for a in t.actions}
    todo, seen = [then], set()
    while todo:
        current = todo.pop()
        if first in deps[current]:
            return True
        for d in deps[current] - seen:
            seen.add(d)
            todo.append(d)
    return False


# --- basic placement ------------------------------------------------------------------


def test_new_resources_spread_over_nodes_by_load_then_name() -> None:
    cfg = config([prim("a"), prim("b"), prim("c")])
    t = schedule(cfg, state(cfg))
    assert [where(t, r) for r in "abc"] == ["n1", "n2", "n3"]
    assert {(c.kind, c.resource) for c in t.changes} == {
        (ChangeKind.START, "a"), (ChangeKind.START, "b"), (ChangeKind.START, "c")}


def test_location_preference_places_the_resource() -> None:
    cfg = config([prim("web")], locations=[loc("web", "n3", 100)])
    assert where(schedule(cfg, state(cfg)), "web") == "n3"


def test_minus_infinity_location_is_never_violated() -> None:
    cfg = config([prim("web")], nodes=("n1", "n2"),
                 locations=[loc("web", "n1", -INFINITY), loc("web", "n2", -INFINITY)])
    t = schedule(cfg, state(cfg, [("web", "n1")]))
    assert where(t, "web") is None
    assert kinds(t) == [("stop", "web", "n1")]


def test_negative_finite_score_forbids_the_node_like_pacemaker() -> None:
    cfg = config([prim("web")], nodes=("n1",), locations=[loc("web", "n1", -10)])
    assert where(schedule(cfg, state(cfg)), "web") is None


def test_location_rule_on_node_attributes() -> None:
    rule = Rule(score=-INFINITY, expressions=(Expression("role", "ne", "lb"),))
    cfg = config([prim("vip")], attributes={"n3": {"role": "lb"}},
                 locations=[Location(id="vip-on-lb", resource="vip", rules=(rule,))])
    assert where(schedule(cfg, state(cfg)), "vip") == "n3"


def test_integer_rule_comparison() -> None:
    rule = Rule(score=100, expressions=(Expression("cores", "gt", "8", type="integer"),))
    cfg = config([prim("db")], attributes={"n1": {"cores": "16"}, "n2": {"cores": "9"},
                                           "n3": {"cores": "4"}},
                 locations=[Location(id="big", resource="db", rules=(rule,)),
                            loc("db", "n2", 50)])
    assert where(schedule(cfg, state(cfg)), "db") == "n2"  # 100 + 50 beats 100


# --- stickiness and stability ---------------------------------------------------------


def test_stickiness_keeps_a_resource_where_it_runs() -> None:
    cfg = config([prim("web")], stickiness=100, locations=[loc("web", "n2", 50)])
    t = schedule(cfg, state(cfg, [("web", "n1")]))
    assert where(t, "web") == "n1"
    assert t.actions == ()


def test_a_stronger_location_beats_stickiness() -> None:
    cfg = config([prim("web")], stickiness=100, locations=[loc("web", "n2", 200)])
    t = schedule(cfg, state(cfg, [("web", "n1")]))
    assert where(t, "web") == "n2"
    (change,) = t.changes
    assert (change.kind, change.from_node, change.to_node) == (ChangeKind.MOVE, "n1", "n2")
    assert "n2 scores higher" in change.reason


def test_nothing_moves_when_nothing_changed() -> None:
    cfg = config([prim("a"), prim("b"), group("g", "g1", "g2"), clone("c", "cc")])
    first = schedule(cfg, state(cfg))
    running = [(a.resource, a.node) for a in first.assignments]
    second = schedule(cfg, state(cfg, running))
    assert second.actions == () and second.changes == ()


# --- node states ----------------------------------------------------------------------


def test_standby_node_gives_up_its_resources() -> None:
    cfg = config([prim("web")], stickiness=100)
    t = schedule(cfg, state(cfg, [("web", "n1")], standby=["n1"]))
    assert where(t, "web") == "n2"
    assert happens_before(t, action(t, "stop", "web", "n1"), action(t, "start", "web", "n2"))
    assert "n1 cannot run it (in standby)" in t.changes[0].reason


def test_offline_clean_node_resources_start_elsewhere_without_fencing() -> None:
    cfg = config([prim("web")])
    t = schedule(cfg, state(cfg, [("web", "n1")], offline=["n1"]))
    assert where(t, "web") == "n2"
    assert t.fenced == ()
    assert kinds(t) == [("start", "web", "n2")]


def test_unclean_node_is_fenced_before_its_resources_start_elsewhere() -> None:
    cfg = config([group("web", "vip", "haproxy")])
    t = schedule(cfg, state(cfg, [("vip", "n1"), ("haproxy", "n1")], unclean=["n1"]))
    assert t.fenced == ("n1",)
    fence = action(t, "fence", None, "n1")
    for r in ("vip", "haproxy"):
        assert happens_before(t, fence, action(t, "start", r, where(t, r) or ""))
    assert not any(a.kind is ActionKind.STOP for a in t.actions)
    assert t.changes[0].kind is ChangeKind.FENCE


def test_without_stonith_an_unclean_offline_node_is_assumed_down() -> None:
    cfg = config([prim("web")], stonith_enabled=False)
    t = schedule(cfg, state(cfg, [("web", "n1")], unclean=["n1"]))
    assert t.fenced == ()
    assert where(t, "web") == "n2"
    assert any("stonith-enabled is false" in n for n in t.notes)


def test_maintenance_node_resources_are_left_alone() -> None:
    cfg = config([prim("web"), prim("db")])
    t = schedule(cfg, state(cfg, [("web", "n1")], maintenance=["n1"]))
    assert where(t, "web") == "n1"
    assert where(t, "db") in ("n2", "n3")
    assert not any(a.node == "n1" for a in t.actions)


def test_a_node_that_left_in_maintenance_keeps_its_resources_where_they_are() -> None:
    cfg = config([group("web", "ip", "proxy"), prim("db")])
    st = state(cfg, [("ip", "n1"), ("proxy", "n1"), ("db", "n1")], maintenance=["n1"])
    st = st.with_node("n1", online=False)
    t = schedule(cfg, st)
    assert where(t, "ip") == "n1" and where(t, "db") == "n1"
    assert t.actions == ()


def test_a_node_that_left_cleanly_outside_maintenance_loses_its_resources() -> None:
    cfg = config([prim("db")])
    st = state(cfg, [("db", "n1")]).with_node("n1", online=False)
    t = schedule(cfg, st)
    assert where(t, "db") in ("n2", "n3")


def test_online_unclean_node_is_fenced_too() -> None:
    cfg = config([prim("web")])
    st = state(cfg, [("web", "n1")])
    st = st.with_node("n1", unclean=True)
    t = schedule(cfg, st)
    assert t.fenced == ("n1",)
    assert where(t, "web") != "n1"


# --- target role, management ------------------------------------------------------------------


def test_target_role_stopped_stops_the_resource() -> None:
    cfg = config([prim("web", target_role="Stopped")])
    t = schedule(cfg, state(cfg, [("web", "n1")]))
    assert where(t, "web") is None
    (change,) = t.changes
    assert change.kind is ChangeKind.STOP and "target-role is Stopped" in change.reason


def test_unmanaged_resource_is_not_touched() -> None:
    cfg = config([prim("web", is_managed=False)])
    t = schedule(cfg, state(cfg, [("web", "n1")], standby=["n1"]))
    assert where(t, "web") == "n1"
    assert t.actions == ()


def test_maintenance_mode_touches_nothing() -> None:
    cfg = config([prim("web"), prim("db")], maintenance_mode=True)
    t = schedule(cfg, state(cfg, [("web", "n1")], standby=["n1"]))
    assert t.actions == ()
    assert where(t, "db") is None


def test_a_resource_running_twice_is_stopped_everywhere_then_started_once() -> None:
    """multiple-active=stop_start, Pacemaker's default (cibs/82-multiple-active-stop-start
    shows crm_simulate doing the same): neither copy can be trusted."""
    cfg = config([prim("web")], stickiness=100)
    t = schedule(cfg, state(cfg, [("web", "n1"), ("web", "n2")]))
    assert len(t.instances("web")) == 1
    stops = [a for a in t.actions if a.kind is ActionKind.STOP]
    [start] = [a for a in t.actions if a.kind is ActionKind.START]
    assert sorted(a.node for a in stops) == ["n1", "n2"]
    assert set(start.after) >= {a.id for a in stops}
    assert all("active on n1, n2 (multiple-active=stop_start)" in c.reason for c in t.changes)


def test_multiple_active_stop_unexpected_keeps_the_copy_where_it_is_placed() -> None:
    cfg = config([prim("web", multiple_active="stop_unexpected")], stickiness=100)
    t = schedule(cfg, state(cfg, [("web", "n1"), ("web", "n2")]))
    assert len(t.instances("web")) == 1
    assert [a.kind for a in t.actions] == [ActionKind.STOP]


def test_multiple_active_block_leaves_every_copy_alone_and_says_so() -> None:
    cfg = config([group("web", "ip", "proxy", multiple_active="block")])
    t = schedule(cfg, state(cfg, [("ip", "n1"), ("ip", "n2"), ("proxy", "n1")]))
    assert not [a for a in t.actions if a.resource == "ip"]
    assert not [c for c in t.changes if c.resource == "ip"]
    assert any(n.startswith("ip: active on n1, n2 (multiple-active=block): blocked")
               and "hactl cleanup ip" in n for n in t.notes)


def test_orphaned_resource_is_stopped() -> None:
    cfg = config([prim("web")])
    t = schedule(cfg, state(cfg, [("web", "n1"), ("old", "n2")]))
    assert ("stop", "old", "n2") in kinds(t)
    assert any(c.reason == "no longer in the configuration" for c in t.changes)


# --- failures -------------------------------------------------------------------------


def test_failed_resource_recovers_in_place_below_the_threshold() -> None:
    cfg = config([prim("web")], stickiness=100, migration_threshold=3)
    t = schedule(cfg, state(cfg, [("web", "n1")], failed=[("web", "n1")],
                             failures=[("web", "n1", 1, 999_990.0)]))
    assert where(t, "web") == "n1"
    assert kinds(t) == [("stop", "web", "n1"), ("start", "web", "n1")]
    assert t.changes[0].kind is ChangeKind.RECOVER


def test_reaching_migration_threshold_bans_the_node() -> None:
    cfg = config([prim("web")], stickiness=100, migration_threshold=3)
    t = schedule(cfg, state(cfg, [("web", "n1")], failed=[("web", "n1")],
                             failures=[("web", "n1", 3, 999_990.0)]))
    assert where(t, "web") == "n2"
    (change,) = t.changes
    assert (change.kind, change.from_node, change.to_node) == (ChangeKind.RECOVER, "n1", "n2")
    parts = [p.source for p in t.scores["web"]["n1"].parts]
    assert any("migration-threshold is 3" in p for p in parts)


def test_expired_failures_no_longer_count() -> None:
    cfg = config([prim("web")], migration_threshold=1, failure_timeout=60.0,
                 locations=[loc("web", "n1", 100)])
    recent = state(cfg, failures=[("web", "n1", 1, 999_990.0)], now=1_000_000.0)
    expired = state(cfg, failures=[("web", "n1", 1, 999_900.0)], now=1_000_000.0)
    assert where(schedule(cfg, recent), "web") != "n1"
    assert where(schedule(cfg, expired), "web") == "n1"


def test_group_member_failing_too_often_moves_the_whole_group() -> None:
    cfg = config([group("web", "vip", "haproxy")], stickiness=100, migration_threshold=2)
    t = schedule(cfg, state(cfg, [("vip", "n1"), ("haproxy", "n1")],
                             failures=[("haproxy", "n1", 2, 999_999.0)]))
    assert where(t, "vip") == where(t, "haproxy") != "n1"


# --- colocation -----------------------------------------------------------------------


def test_infinity_colocation_places_the_dependent_with_its_target() -> None:
    cfg = config([prim("db"), prim("vip")], colocations=[coloc("vip", "db", INFINITY)],
                 locations=[loc("db", "n3", 10)])
    t = schedule(cfg, state(cfg))
    assert where(t, "vip") == where(t, "db") == "n3"


def test_the_target_takes_its_dependents_preferences_into_account() -> None:
    cfg = config([prim("haproxy"), prim("vip")],
                 colocations=[coloc("vip", "haproxy", INFINITY)],
                 locations=[loc("vip", "n2", 100)])
    t = schedule(cfg, state(cfg))
    assert where(t, "vip") == where(t, "haproxy") == "n2"


def test_dependent_stops_when_its_target_cannot_run() -> None:
    cfg = config([prim("db", target_role="Stopped"), prim("vip")],
                 colocations=[coloc("vip", "db", INFINITY)])
    t = schedule(cfg, state(cfg, [("vip", "n1")]))
    assert where(t, "vip") is None


def test_minus_infinity_colocation_keeps_resources_apart() -> None:
    cfg = config([prim("a"), prim("b")], nodes=("n1", "n2"),
                 colocations=[coloc("b", "a", -INFINITY)], locations=[loc("b", "n1", 100)])
    t = schedule(cfg, state(cfg))
    assert where(t, "a") != where(t, "b")
    assert where(t, "b") == "n1"  # a takes b's preference into account and avoids n1


def test_anti_colocation_stops_the_lower_priority_resource_when_only_one_node_is_left() -> None:
    cfg = config([prim("low", priority=1), prim("high", priority=10)], nodes=("n1", "n2"),
                 colocations=[coloc("low", "high", -INFINITY)])
    t = schedule(cfg, state(cfg, [("low", "n1"), ("high", "n2")], offline=["n2"]))
    assert where(t, "high") == "n1"
    assert where(t, "low") is None


def test_finite_colocation_is_a_preference() -> None:
    cfg = config([prim("a"), prim("b")], colocations=[coloc("b", "a", 50)],
                 locations=[loc("a", "n2", 10), loc("b", "n3", 20)])
    t = schedule(cfg, state(cfg))
    assert where(t, "b") == "n2"  # 50 with a beats 20 on n3


# --- groups ---------------------------------------------------------------------------


def test_group_members_run_together_and_start_in_order() -> None:
    cfg = config([group("web", "vip", "haproxy", "app")])
    t = schedule(cfg, state(cfg))
    assert len({where(t, r) for r in ("vip", "haproxy", "app")}) == 1
    node = where(t, "vip") or ""
    assert happens_before(t, action(t, "start", "vip", node), action(t, "start", "haproxy", node))
    assert happens_before(t, action(t, "start", "haproxy", node), action(t, "start", "app", node))


def test_group_stops_in_reverse_order() -> None:
    cfg = config([group("web", "vip", "haproxy", target_role="Stopped")])
    t = schedule(cfg, state(cfg, [("vip", "n1"), ("haproxy", "n1")]))
    assert happens_before(t, action(t, "stop", "haproxy", "n1"), action(t, "stop", "vip", "n1"))


def test_group_member_stopped_stops_the_members_after_it() -> None:
    web = Group(id="web", members=(prim("vip"), prim("haproxy", target_role="Stopped"),
                                   prim("app")))
    cfg = config([web])
    t = schedule(cfg, state(cfg))
    assert where(t, "vip") is not None
    assert where(t, "haproxy") is None and where(t, "app") is None


def test_recovering_a_group_member_restarts_the_members_after_it() -> None:
    cfg = config([group("web", "vip", "haproxy")], stickiness=100)
    t = schedule(cfg, state(cfg, [("vip", "n1"), ("haproxy", "n1")], failed=[("vip", "n1")]))
    assert where(t, "vip") == "n1"
    assert ("stop", "haproxy", "n1") in kinds(t) and ("start", "haproxy", "n1") in kinds(t)
    assert happens_before(t, action(t, "start", "vip", "n1"), action(t, "start", "haproxy", "n1"))
    assert any(c.kind is ChangeKind.RESTART and c.resource == "haproxy" for c in t.changes)


def test_group_stickiness_adds_up_over_its_members() -> None:
    cfg = config([group("web", "vip", "haproxy")], stickiness=60,
                 locations=[loc("web", "n2", 100)])
    t = schedule(cfg, state(cfg, [("vip", "n1"), ("haproxy", "n1")]))
    assert where(t, "vip") == "n1"  # 2 x 60 > 100


# --- clones ---------------------------------------------------------------------------


def test_clone_runs_on_every_node_by_default() -> None:
    cfg = config([clone("tomcat-clone", "tomcat")])
    assert nodes(schedule(cfg, state(cfg)), "tomcat") == ["n1", "n2", "n3"]


def test_clone_max_limits_instances_and_keeps_running_ones() -> None:
    cfg = config([clone("c", "x", clone_max=2)])
    t = schedule(cfg, state(cfg, [("x", "n2"), ("x", "n3")]))
    assert nodes(t, "x") == ["n2", "n3"]
    assert t.actions == ()


def test_clone_node_max_allows_several_instances_per_node() -> None:
    cfg = config([clone("c", "x", clone_max=4, clone_node_max=2)], nodes=("n1", "n2"))
    assert nodes(schedule(cfg, state(cfg)), "x") == ["n1", "n1", "n2", "n2"]


def test_clone_instance_of_a_lost_node_moves_to_a_free_node() -> None:
    cfg = config([clone("c", "x", clone_max=2)])
    t = schedule(cfg, state(cfg, [("x", "n1"), ("x", "n2")], offline=["n1"]))
    assert nodes(t, "x") == ["n2", "n3"]


def test_primitive_colocated_with_a_clone_goes_where_an_instance_runs() -> None:
    cfg = config([clone("c", "x", clone_max=1), prim("vip")],
                 colocations=[coloc("vip", "c", INFINITY)], locations=[loc("c", "n3", 5)])
    t = schedule(cfg, state(cfg))
    assert nodes(t, "x") == ["n3"] and where(t, "vip") == "n3"


def test_cloned_group_runs_all_members_on_each_node() -> None:
    cfg = config([clone("c", group("g", "g1", "g2"), clone_max=2)])
    t = schedule(cfg, state(cfg))
    assert nodes(t, "g1") == nodes(t, "g2") == ["n1", "n2"]


# --- promotable clones ----------------------------------------------------------------


def db_config(**kw: object) -> object:
    return clone("db-clone", "db", promotable=True, clone_max=2, **kw)


def test_promotable_clone_promotes_the_highest_promotion_score() -> None:
    cfg = config([db_config()], nodes=("n1", "n2"))  # type: ignore[list-item]
    st = state(cfg, [("db", "n1", "Unpromoted"), ("db", "n2", "Unpromoted")],
               transient={"n1": {"master-db": "5"}, "n2": {"master-db": "10"}})
    t = schedule(cfg, st)
    assert nodes(t, "db", Role.PROMOTED) == ["n2"]
    assert nodes(t, "db", Role.UNPROMOTED) == ["n1"]
    assert kinds(t) == [("promote", "db", "n2")]


def test_no_promotion_without_a_score_or_a_promoted_location() -> None:
    cfg = config([db_config()], nodes=("n1", "n2"))  # type: ignore[list-item]
    t = schedule(cfg, state(cfg))
    assert nodes(t, "db", Role.PROMOTED) == []
    assert nodes(t, "db") == ["n1", "n2"]


def test_promoted_role_location_chooses_the_promoted_node() -> None:
    cfg = config([db_config()], nodes=("n1", "n2"),  # type: ignore[list-item]
                 locations=[Location(id="prom-n1", resource="db-clone", node="n1", score=100,
                                     role=Role.PROMOTED)])
    t = schedule(cfg, state(cfg))
    assert nodes(t, "db", Role.PROMOTED) == ["n1"]


def test_vip_follows_the_promoted_database() -> None:
    cfg = config([db_config(), prim("db-vip")],  # type: ignore[list-item]
                 colocations=[coloc("db-vip", "db-clone", INFINITY, with_role=Role.PROMOTED)])
    st = state(cfg, [("db", "n1", "Promoted"), ("db", "n2", "Unpromoted"), ("db-vip", "n1")],
               transient={"n1": {"master-db": "10"}, "n2": {"master-db": "5"}})
    assert where(schedule(cfg, st), "db-vip") == "n1"
    failover = schedule(cfg, st.with_node("n1", online=False, unclean=True))
    assert nodes(failover, "db", Role.PROMOTED) == ["n2"]
    assert where(failover, "db-vip") == "n2"
    fence = action(failover, "fence", None, "n1")
    assert happens_before(failover, fence, action(failover, "promote", "db", "n2"))
    assert happens_before(failover, fence, action(failover, "start", "db-vip", "n2"))


def test_promotion_moves_after_demotion_never_two_promoted() -> None:
    cfg = config([db_config()], nodes=("n1", "n2"))  # type: ignore[list-item]
    st = state(cfg, [("db", "n1", "Promoted"), ("db", "n2", "Unpromoted")],
               transient={"n1": {"master-db": "1"}, "n2": {"master-db": "10"}})
    t = schedule(cfg, st)
    assert nodes(t, "db", Role.PROMOTED) == ["n2"]
    assert happens_before(t, action(t, "demote", "db", "n1"), action(t, "promote", "db", "n2"))


def test_target_role_unpromoted_prevents_promotion() -> None:
    cfg = config([clone("db-clone", "db", promotable=True, meta={"target_role": "Unpromoted"})],
                 nodes=("n1", "n2"))
    st = state(cfg, transient={"n1": {"master-db": "10"}})
    assert nodes(schedule(cfg, st), "db", Role.PROMOTED) == []


# --- quorum ---------------------------------------------------------------------------


def test_without_quorum_policy_stop_stops_everything() -> None:
    cfg = config([prim("web"), prim("db")])
    t = schedule(cfg, state(cfg, [("web", "n1"), ("db", "n2")], quorate=False))
    assert t.assignments == ()
    assert sorted(kinds(t)) == [("stop", "db", "n2"), ("stop", "web", "n1")]
    assert t.fenced == ()


def test_without_quorum_nobody_is_fenced() -> None:
    cfg = config([prim("web")])
    t = schedule(cfg, state(cfg, [("web", "n1")], unclean=["n1"], quorate=False))
    assert t.fenced == () and t.actions == ()


def test_without_quorum_policy_freeze_keeps_running_resources_and_starts_nothing() -> None:
    cfg = config([prim("web"), prim("db")], no_quorum_policy="freeze")
    t = schedule(cfg, state(cfg, [("web", "n1")], quorate=False))
    assert where(t, "web") == "n1" and where(t, "db") is None
    assert t.actions == ()


def test_without_quorum_policy_ignore_carries_on() -> None:
    cfg = config([prim("web")], no_quorum_policy="ignore")
    t = schedule(cfg, state(cfg, [("web", "n1")], offline=["n1"], quorate=False))
    assert where(t, "web") == "n2"


# --- opt-in clusters -----------------------------------------------------------------------------


def test_opt_in_cluster_runs_resources_only_where_allowed() -> None:
    cfg = config([prim("web"), prim("db")], symmetric_cluster=False,
                 locations=[loc("web", "n3", 0)])
    t = schedule(cfg, state(cfg))
    assert where(t, "web") == "n3"
    assert where(t, "db") is None


# --- ordering -------------------------------------------------------------------------


def test_order_constraint_starts_then_after_first() -> None:
    cfg = config([prim("db"), prim("app")], orders=[order("db", "app")])
    t = schedule(cfg, state(cfg))
    assert happens_before(t, action(t, "start", "db", where(t, "db") or ""),
                          action(t, "start", "app", where(t, "app") or ""))


def test_symmetrical_order_stops_then_before_first() -> None:
    cfg = config([prim("db", target_role="Stopped"), prim("app", target_role="Stopped")],
                 orders=[order("db", "app")])
    t = schedule(cfg, state(cfg, [("db", "n1"), ("app", "n2")]))
    assert happens_before(t, action(t, "stop", "app", "n2"), action(t, "stop", "db", "n1"))


def test_mandatory_order_stops_then_when_first_cannot_run() -> None:
    cfg = config([prim("db", target_role="Stopped"), prim("app")], orders=[order("db", "app")])
    t = schedule(cfg, state(cfg, [("app", "n2")]))
    assert where(t, "app") is None
    assert "order ord-db-app: db cannot start" in t.changes[0].reason


def test_optional_order_does_not_stop_then() -> None:
    cfg = config([prim("db", target_role="Stopped"), prim("app")],
                 orders=[order("db", "app", kind="Optional")])
    assert where(schedule(cfg, state(cfg, [("app", "n2")])), "app") == "n2"


def test_mandatory_order_restarts_then_when_first_restarts() -> None:
    cfg = config([prim("db"), prim("app")], stickiness=100, orders=[order("db", "app")])
    t = schedule(cfg, state(cfg, [("db", "n1"), ("app", "n2")], failed=[("db", "n1")]))
    assert ("stop", "app", "n2") in kinds(t) and ("start", "app", "n2") in kinds(t)
    assert happens_before(t, action(t, "start", "db", "n1"), action(t, "start", "app", "n2"))
    assert happens_before(t, action(t, "stop", "app", "n2"), action(t, "stop", "db", "n1"))


def test_promote_then_start_order() -> None:
    cfg = config([db_config(), prim("app")], nodes=("n1", "n2"),  # type: ignore[list-item]
                 orders=[order("db-clone", "app", first_action="promote", then_action="start")])
    none_promoted = schedule(cfg, state(cfg))
    assert where(none_promoted, "app") is None
    st = state(cfg, transient={"n2": {"master-db": "10"}})
    t = schedule(cfg, st)
    app_node = where(t, "app") or ""
    assert happens_before(t, action(t, "promote", "db", "n2"), action(t, "start", "app", app_node))


# --- the graph ------------------------------------------------------------------------


def test_a_moving_resource_stops_before_it_starts_elsewhere() -> None:
    cfg = config([prim("vip")], stickiness=0, locations=[loc("vip", "n2", 100)])
    t = schedule(cfg, state(cfg, [("vip", "n1")]))
    assert happens_before(t, action(t, "stop", "vip", "n1"), action(t, "start", "vip", "n2"))


def test_graph_dependencies_point_backwards_only() -> None:
    cfg = config([group("g", "a", "b"), clone("c", "x"), prim("p")],
                 orders=[order("c", "g")], locations=[loc("g", "n2", 10)])
    t = schedule(cfg, state(cfg, [("a", "n1"), ("b", "n1"), ("p", "n1")], unclean=["n3"]))
    for a in t.actions:
        assert all(dep < a.id for dep in a.after)


def test_scores_explain_where_each_part_came_from() -> None:
    cfg = config([prim("web")], stickiness=100, locations=[loc("web", "n2", 50)])
    t = schedule(cfg, state(cfg, [("web", "n1")], standby=["n3"]))
    n1 = t.scores["web"]["n1"]
    assert n1.total == 100
    assert [p.source for p in n1.parts] == ["resource-stickiness: running here"]
    assert t.scores["web"]["n2"].total == 50
    assert t.scores["web"]["n3"].total == -INFINITY
    assert "node in standby" in [p.source for p in t.scores["web"]["n3"].parts]


def test_same_input_gives_the_same_output() -> None:
    cfg = config([group("g", "a", "b"), clone("c", "x", clone_max=2), prim("p"), prim("q")],
                 colocations=[coloc("q", "p", -INFINITY)])
    st = state(cfg, [("a", "n2"), ("x", "n3")], unclean=["n1"])
    assert schedule(cfg, st) == schedule(cfg, st)


def test_minus_infinity_stays_minus_infinity_whatever_is_added_after() -> None:
    cfg = config([prim("web")], nodes=("n1", "n2"),
                 locations=[loc("web", "n1", -INFINITY),
                            Location(id="plus", resource="web", node="n1", score=5),
                            Location(id="inf", resource="web", node="n1", score=INFINITY)])
    t = schedule(cfg, state(cfg))
    assert t.scores["web"]["n1"].total == -INFINITY
    assert where(t, "web") == "n2"


@pytest.mark.xfail(strict=True, reason="known limitation kept from Pacemaker: a finite "
                   "anti-colocation rounds a dependent's stickiness to -1, never 0")
def test_a_finite_anti_colocation_does_not_move_a_clone_one_transition_late() -> None:
    cfg = config([clone("web-clone", "web"), prim("batch", resource_stickiness=10)],
                 nodes=("n1", "n2", "n3"),
                 colocations=[coloc("batch", "web-clone", -200)])
    first = schedule(cfg, state(cfg))
    running = [(a.resource, a.node) for a in first.assignments]
    second = schedule(cfg, state(cfg, running))
    assert second.actions == ()



@pytest.mark.xfail(strict=True, reason="known, found by the outcome-again property: a clone "
                   "is placed around where a mandatory anti-colocated dependent runs now, "
                   "then the dependent moves away, and the clone takes that node one "
                   "transition later")
def test_a_dependent_that_moves_away_from_a_clone_does_not_grow_it_one_transition_late(
        ) -> None:
    cfg = config([clone("web-clone", group("web", "a", "b")),
                  prim("batch", resource_stickiness=10)],
                 nodes=("n1", "n2", "n3", "n4"),
                 locations=[loc("batch", "n1", 50)],
                 colocations=[coloc("batch", "web-clone", -INFINITY)])
    first = schedule(cfg, state(cfg, [("batch", "n2")]))
    running = [(a.resource, a.node) for a in first.assignments]
    second = schedule(cfg, state(cfg, running))
    assert second.actions == ()
