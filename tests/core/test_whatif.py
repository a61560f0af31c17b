"""What-if events change a cluster state the way the real events would."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.strategies import cluster_inputs
from hafailover.config.model import (
    AgentRef,
    Clone,
    ClusterConfig,
    Group,
    Location,
    Node,
    Primitive,
    Properties,
    Role,
    frozen_map,
)
from hafailover.config.scores import INFINITY
from hafailover.core.quorum import has_quorum
from hafailover.core.state import (
    ClusterState,
    FailCount,
    NodeState,
    ResourceInstance,
    state_to_json,
)
from hafailover.core.whatif import (
    Event,
    Fail,
    NodeDown,
    NodeUp,
    Standby,
    apply_events,
    check_events,
    check_state_json,
    fail,
    initial_state,
    node_down,
    node_up,
    parse_fail,
    reconcile_state,
    standby,
)

pytestmark = pytest.mark.tier0

DUMMY = AgentRef("ocf", "heartbeat", "Dummy")


def config(stonith: bool = True) -> ClusterConfig:
    return ClusterConfig(
        name="demo",
        nodes=(Node("n1", 1), Node("n2", 2), Node("n3", 3)),
        properties=Properties(stonith_enabled=stonith),
        resources=(
            Group("web", (Primitive("vip", DUMMY), Primitive("haproxy", DUMMY))),
            Clone("backend-clone", Primitive("backend", DUMMY)),
            Clone("app-clone", Group("app", (Primitive("app-a", DUMMY),))),
        ),
    )


def running() -> ClusterState:
    return ClusterState(
        nodes=(NodeState("n1"), NodeState("n2"), NodeState("n3")),
        resources=(ResourceInstance("vip", "n1"), ResourceInstance("haproxy", "n1")),
        now=1000.0,
    )


def node(state: ClusterState, name: str) -> NodeState:
    found = state.node(name)
    assert found is not None
    return found


# --- initial state -----------------------------------------------------------------------


def test_initial_state_has_every_configured_node_online_and_nothing_running() -> None:
    state = initial_state(config(), now=42.0)
    assert [n.name for n in state.nodes] == ["n1", "n2", "n3"]
    assert all(n.online and not n.unclean and not n.standby for n in state.nodes)
    assert state.resources == ()
    assert state.failures == ()
    assert state.quorate
    assert state.now == 42.0


# --- single events -----------------------------------------------------------------------


def test_node_down_with_stonith_leaves_the_node_unclean() -> None:
    state = node_down(config(stonith=True), running(), "n1")
    assert not node(state, "n1").online
    assert node(state, "n1").unclean


def test_node_down_without_stonith_is_a_clean_departure() -> None:
    state = node_down(config(stonith=False), running(), "n1")
    assert not node(state, "n1").online
    assert not node(state, "n1").unclean


def test_node_down_keeps_the_resources_last_reported_there() -> None:
    state = node_down(config(), running(), "n1")
    assert {(r.resource, r.node) for r in state.resources} == {("vip", "n1"), ("haproxy", "n1")}


def test_node_up_brings_an_unclean_offline_node_back_clean() -> None:
    down = running().with_node("n2", online=False, unclean=True)
    state = node_up(down, "n2")
    assert node(state, "n2").online
    assert not node(state, "n2").unclean


def test_node_up_adds_a_configured_node_missing_from_the_state() -> None:
    state = node_up(replace(running(), nodes=running().nodes[:2]), "n3")
    assert node(state, "n3").online


def test_standby_keeps_the_node_online_but_unable_to_run_resources() -> None:
    state = standby(running(), "n2")
    assert node(state, "n2").online
    assert not node(state, "n2").can_run_resources


def test_fail_marks_the_running_instance_failed_and_counts_one_failure() -> None:
    state = fail(running(), "vip", "n1")
    assert ResourceInstance("vip", "n1", failed=True) in state.resources
    assert len(state.resources) == 2
    assert state.failures == (FailCount("vip", "n1", count=1, last_failure=1000.0),)


def test_fail_adds_to_an_existing_fail_count_and_stamps_the_time() -> None:
    before = replace(running(), failures=(FailCount("vip", "n1", 2, last_failure=5.0),))
    state = fail(before, "vip", "n1")
    assert state.failures == (FailCount("vip", "n1", count=3, last_failure=1000.0),)


def test_fail_count_stays_at_infinity() -> None:
    before = replace(running(), failures=(FailCount("vip", "n1", INFINITY, 5.0),))
    assert fail(before, "vip", "n1").failures[0].count == INFINITY


def test_fail_where_not_running_records_a_failed_instance() -> None:
    state = fail(running(), "vip", "n2")
    assert ResourceInstance("vip", "n2", failed=True) in state.resources
    assert ResourceInstance("vip", "n1") in state.resources


def test_fail_leaves_other_fail_counts_alone() -> None:
    other = FailCount("haproxy", "n1", 1, 5.0)
    state = fail(replace(running(), failures=(other,)), "vip", "n1")
    assert other in state.failures


# --- several events ------------------------------------------------------------------------


def test_losing_two_of_three_nodes_loses_quorum() -> None:
    result = apply_events(config(), running(), [NodeDown("n1"), NodeDown("n2")])
    assert not result.state.quorate
    assert result.log[-1] == "Quorum lost (1 of 3 votes)"


def test_bringing_a_node_back_regains_quorum() -> None:
    lost = replace(running().with_node("n1", online=False).with_node("n2", online=False),
                   quorate=False)
    result = apply_events(config(), lost, [NodeUp("n2")])
    assert result.state.quorate
    assert result.log == ("Bringing node n2 online", "Quorum regained (2 of 3 votes)")


def test_events_without_membership_change_keep_the_given_quorum() -> None:
    given = replace(running(), quorate=False)
    assert not apply_events(config(), given, [Standby("n2")]).state.quorate


def test_events_apply_up_then_down_then_standby_then_failures() -> None:
    result = apply_events(config(), running(), [Fail("vip", "n1"), Standby("n2"), NodeDown("n3")])
    assert result.log == (
        "Taking node n3 offline (unclean: it must be fenced)",
        "Putting node n2 in standby",
        "Failing vip on n1, fail count now 1",
        "Quorum unchanged: quorate (2 of 3 votes)",
    )


def test_node_down_of_an_offline_node_changes_nothing() -> None:
    before = running().with_node("n3", online=False)
    result = apply_events(config(), before, [NodeDown("n3")])
    assert not node(result.state, "n3").unclean
    assert result.log[0] == "Node n3 is already offline: nothing to change"


def test_failing_a_clone_fails_its_primitive() -> None:
    result = apply_events(config(), running(), [Fail("backend-clone", "n2")])
    assert ResourceInstance("backend", "n2", failed=True) in result.state.resources
    assert result.log == (
        "Failing backend on n2, fail count now 1 (it was not running there: recorded as failed)",)


# --- checking events -----------------------------------------------------------------------


def test_parse_fail_splits_resource_and_node_at_the_last_colon() -> None:
    assert parse_fail("vip:n1") == Fail("vip", "n1")
    assert parse_fail("backend:0:n2") == Fail("backend:0", "n2")


@pytest.mark.parametrize("text", ["vip", "vip:", ":n1", ""])
def test_parse_fail_rejects_a_missing_part(text: str) -> None:
    assert parse_fail(text) is None


def test_known_names_pass_the_check() -> None:
    events: list[Event] = [NodeDown("n1"), NodeUp("n2"), Standby("n3"), Fail("vip", "n1")]
    assert check_events(config(), events) == []


def test_unknown_node_is_reported_with_a_suggestion() -> None:
    [report] = check_events(config(), [NodeDown("n11")])
    assert report.code == "UNKNOWN_NODE"
    assert report.as_text() == (
        "error: --node-down: no node 'n11' in the configuration; allowed: n1, n2, n3; "
        "did you mean 'n1'? [UNKNOWN_NODE]")


def test_unknown_resource_is_reported_with_a_suggestion() -> None:
    [report] = check_events(config(), [Fail("vipp", "n1")])
    assert report.code == "UNKNOWN_RESOURCE"
    assert report.hint == "did you mean 'vip'?"


def test_failing_a_group_asks_for_one_of_its_members() -> None:
    [report] = check_events(config(), [Fail("web", "n1")])
    assert report.code == "FAIL_NOT_PRIMITIVE"
    assert report.allowed == "vip, haproxy"


def test_failing_a_clone_of_a_group_asks_for_one_of_its_members() -> None:
    [report] = check_events(config(), [Fail("app-clone", "n1")])
    assert report.code == "FAIL_NOT_PRIMITIVE"
    assert report.allowed == "app-a"


def test_a_node_both_up_and_down_is_a_contradiction() -> None:
    [report] = check_events(config(), [NodeDown("n1"), NodeUp("n1")])
    assert report.code == "CONFLICTING_EVENTS"


def test_every_problem_is_reported_together() -> None:
    reports = check_events(config(), [NodeDown("x"), Fail("y", "z"), Standby("w")])
    assert [r.code for r in reports] == [
        "UNKNOWN_NODE", "UNKNOWN_NODE", "UNKNOWN_RESOURCE", "UNKNOWN_NODE"]


# --- reconciling a loaded state ------------------------------------------------------------


def test_reconcile_adds_missing_configured_nodes_as_offline() -> None:
    partial = replace(running(), nodes=running().nodes[:2])
    state, reports = reconcile_state(config(), partial)
    assert not node(state, "n3").online
    assert [r.code for r in reports] == ["STATE_MISSING_NODE"]


def test_reconcile_drops_nodes_the_configuration_does_not_know() -> None:
    extra = replace(running(), nodes=(*running().nodes, NodeState("n4")))
    state, reports = reconcile_state(config(), extra)
    assert state.node("n4") is None
    assert [r.code for r in reports] == ["STATE_UNKNOWN_NODE"]


def test_reconcile_keeps_orphan_resources_with_a_warning() -> None:
    orphan = replace(running(), resources=(ResourceInstance("old", "n1"),))
    state, reports = reconcile_state(config(), orphan)
    assert state.resources == orphan.resources
    assert [r.code for r in reports] == ["STATE_UNKNOWN_RESOURCE"]


def test_reconcile_of_a_matching_state_changes_nothing() -> None:
    assert reconcile_state(config(), running()) == (running(), [])


# --- checking a state document -------------------------------------------------------------


def test_a_state_written_by_state_to_json_passes_the_check() -> None:
    full = replace(
        running(),
        nodes=(NodeState("n1", attributes=frozen_map({"rack": "a"})),
               NodeState("n2", standby=True)),
        resources=(ResourceInstance("db", "n1", Role.PROMOTED, failed=True, blocked=True),),
        failures=(FailCount("db", "n1", INFINITY, 1.5),),
        runtime_locations=(Location("ban", "db", node="n2", score=-INFINITY, role=Role.PROMOTED),
                           Location("rule", "db")),
    )
    assert check_state_json(state_to_json(full), "state.json") == []


def test_the_demo_state_document_passes_the_check() -> None:
    assert check_state_json({"nodes": [{"name": "n1", "online": True}], "now": 5}) == []


def test_a_number_is_not_a_boolean_nor_a_boolean_a_number() -> None:
    reports = check_state_json({"quorate": 1, "now": True})
    assert [(r.path, r.message, r.found) for r in reports] == [
        ("quorate", "expected true/false", "integer"),
        ("now", "expected a number", "true/false"),
    ]


def test_state_problems_name_the_file_and_key_path() -> None:
    [report] = check_state_json({"failures": [{"resource": "vip", "node": "n1"}]}, "s.json")
    assert report.as_text() == (
        "s.json: error: failures[0].count: required key is missing [STATE_INVALID]")


def test_a_list_item_that_is_not_an_object_is_reported() -> None:
    [report] = check_state_json({"nodes": ["n1"]})
    assert (report.path, report.found) == ("nodes[0]", "string")


# --- any cluster ---------------------------------------------------------------------------

Inputs = tuple[ClusterConfig, ClusterState]
ANY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ANY
@given(cluster_inputs(), st.data())
def test_node_down_changes_that_node_only_and_recomputes_quorum(
        inputs: Inputs, data: st.DataObject) -> None:
    config, state = inputs
    name = data.draw(st.sampled_from(config.node_names()))
    after = apply_events(config, state, [NodeDown(name)]).state
    assert not node(after, name).online
    assert [n for n in after.nodes if n.name != name] == [
        n for n in state.nodes if n.name != name]
    assert after.resources == state.resources
    assert after.quorate == has_quorum(config, [n.name for n in after.nodes if n.online])


@ANY
@given(cluster_inputs(), st.data())
def test_fail_adds_exactly_one_failure(inputs: Inputs, data: st.DataObject) -> None:
    config, state = inputs
    primitive = data.draw(st.sampled_from([p.id for p in config.primitives()]))
    name = data.draw(st.sampled_from(config.node_names()))
    before = sum(f.count for f in state.failures if (f.resource, f.node) == (primitive, name))
    after = fail(state, primitive, name)
    counts = [f.count for f in after.failures if (f.resource, f.node) == (primitive, name)]
    assert counts == [min(INFINITY, before + 1)]
    assert any(r.failed for r in after.resources if (r.resource, r.node) == (primitive, name))


@ANY
@given(cluster_inputs())
def test_any_state_written_as_json_passes_the_check(inputs: Inputs) -> None:
    _, state = inputs
    assert check_state_json(state_to_json(state)) == []
