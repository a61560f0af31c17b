"""Reading Pacemaker CIBs, writing them back, and ``hactl import pacemaker``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from hafailover.cli.hactl import cli
from hafailover.config.loader import load_config_text
from hafailover.config.model import (
    AgentRef,
    Clone,
    ClusterConfig,
    Expression,
    Group,
    Operation,
    Primitive,
    Role,
    Rule,
)
from hafailover.config.scores import INFINITY
from hafailover.config.validate import validate_config
from hafailover.core.state import ClusterState, FailCount, ResourceInstance, state_from_json
from hafailover.pacemaker.cib_export import op_digest, write_cib
from hafailover.pacemaker.cib_import import CibImport, read_cib
from hafailover.pacemaker.cib_values import parse_duration
from hafailover.reports import Severity
from pacemaker.random_cluster import random_cluster

pytestmark = pytest.mark.tier0

CIB_DIR = Path(__file__).parent / "cibs"
CIBS = sorted(CIB_DIR.glob("*.xml"))


def load(name: str) -> CibImport:
    path = next(CIB_DIR.glob(f"{name}*.xml"))
    return read_cib(path.read_text(encoding="utf-8"), path.name)


def config_of(result: CibImport) -> ClusterConfig:
    assert result.config is not None, [r.as_text() for r in result.reports]
    return result.config


def state_of(result: CibImport) -> ClusterState:
    assert result.state is not None, [r.as_text() for r in result.reports]
    return result.state


def primitive(config: ClusterConfig, rid: str) -> Primitive:
    found = config.find(rid)
    assert isinstance(found, Primitive)
    return found


def codes(result: CibImport) -> set[str]:
    return {r.code for r in result.reports}


def wrap(configuration: str, status: str = "", cib_attrs: str = 'have-quorum="1"') -> str:
    return (f'<cib validate-with="pacemaker-3.7" {cib_attrs}><configuration>'
            f"{configuration}</configuration><status>{status}</status></cib>")


NODES = '<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>'
ONLINE = ('<node_state id="{id}" uname="{name}" in_ccm="true" crmd="online" join="member" '
          'expected="member">{body}</node_state>')


# --- every hand-written CIB --------------------------------------------------------------


@pytest.mark.parametrize("cib", CIBS, ids=[p.stem for p in CIBS])
def test_every_cib_imports_without_errors_into_a_valid_configuration(cib: Path) -> None:
    result = read_cib(cib.read_text(encoding="utf-8"), cib.name)
    assert not [r for r in result.reports if r.severity is Severity.ERROR]
    config = config_of(result)
    assert result.ok
    assert validate_config(config) == [] or not [
        r for r in validate_config(config) if r.severity is Severity.ERROR]
    assert all(dict(n.addresses) == {} for n in config.nodes)


@pytest.mark.parametrize("cib", CIBS, ids=[p.stem for p in CIBS])
def test_write_cib_then_read_cib_gives_back_the_same_config_and_state(cib: Path) -> None:
    first = read_cib(cib.read_text(encoding="utf-8"), cib.name)
    config, state = config_of(first), state_of(first)
    again = read_cib(write_cib(config, state), "written.xml")
    assert config_of(again) == config
    assert normalized(state_of(again)) == normalized(state)


def normalized(state: ClusterState) -> ClusterState:
    return replace(state,
                   resources=tuple(sorted(state.resources, key=lambda r: (r.resource, r.node))),
                   failures=tuple(sorted(state.failures, key=lambda f: (f.resource, f.node))))


# --- configuration ----------------------------------------------------------------------


def test_cluster_properties_are_read() -> None:
    assert config_of(load("11-")).properties.symmetric_cluster is False
    assert config_of(load("11-")).properties.stonith_enabled is False
    assert config_of(load("38-")).properties.stonith_enabled is True
    for name, policy in (("47-", "stop"), ("48-", "freeze"), ("49-", "ignore")):
        assert config_of(load(name)).properties.no_quorum_policy == policy


def test_cluster_name_comes_from_the_cluster_name_property() -> None:
    assert config_of(load("01-")).name == "single"
    assert config_of(load("02-")).name == "02-load-spreading.xml".removesuffix(".xml")


def test_resource_defaults_are_read() -> None:
    assert config_of(load("03-")).defaults.resource_stickiness == 100
    defaults = config_of(load("21-")).defaults
    assert (defaults.resource_stickiness, defaults.migration_threshold) == (100, 1)


def test_primitive_agent_params_and_operations() -> None:
    config = config_of(load("13-"))
    vip = primitive(config, "vip")
    assert vip.agent == AgentRef("ocf", "heartbeat", "IPaddr2")
    assert dict(vip.params) == {"ip": "192.0.2.10"}
    web = primitive(config_of(load("01-")), "web")
    assert web.operations == (Operation(name="monitor", interval=10.0, timeout=20.0),)
    roles = [op.role for op in primitive(config_of(load("28-")), "db").operations]
    assert roles == [Role.PROMOTED, Role.UNPROMOTED]


def test_meta_attributes_are_read() -> None:
    assert primitive(config_of(load("17-")), "web").meta.target_role == "Stopped"
    assert primitive(config_of(load("50-")), "high").meta.priority == 10
    assert primitive(config_of(load("04-")), "web").meta.resource_stickiness == 100
    meta = primitive(config_of(load("45-")), "web").meta
    assert (meta.migration_threshold, meta.failure_timeout) == (3, 60.0)


def test_groups_keep_their_members_in_order() -> None:
    group = config_of(load("20-")).top_resource("grp")
    assert isinstance(group, Group)
    assert [m.id for m in group.members] == ["fs", "db", "vip"]
    sticky = config_of(load("23-")).top_resource("grp")
    assert isinstance(sticky, Group) and sticky.meta.resource_stickiness == 60


def test_clone_options_are_read() -> None:
    clone = config_of(load("25-")).top_resource("ping-clone")
    assert isinstance(clone, Clone) and clone.clone_max == 2 and not clone.promotable
    result = load("26-")
    clone = config_of(result).top_resource("worker-clone")
    # Pacemaker allows one instance per node of an anonymous clone
    assert isinstance(clone, Clone) and (clone.clone_max, clone.clone_node_max) == (4, 1)
    assert "PCMK_CLONE_NODE_MAX_IGNORED" in codes(result)
    clone = config_of(load("29-")).top_resource("db-clone")
    assert isinstance(clone, Clone) and clone.promotable and clone.promoted_max == 2


def test_legacy_master_is_a_promotable_clone_and_master_is_promoted() -> None:
    result = load("19-")
    config = config_of(result)
    clone = config.top_resource("db-ms")
    assert isinstance(clone, Clone) and clone.promotable and clone.promoted_max == 1
    assert config.constraints.locations[0].role is Role.PROMOTED
    assert config.constraints.colocations[0].with_role is Role.PROMOTED
    assert "PCMK_DEPRECATED_MASTER" in codes(result)


def test_location_by_node_with_a_role() -> None:
    location = config_of(load("18-")).constraints.locations[0]
    assert (location.resource, location.node, location.score, location.role) == (
        "db-clone", "n2", 100, Role.PROMOTED)
    banned = config_of(load("06-")).constraints.locations
    assert [(loc.node, loc.score) for loc in banned] == [("n1", -INFINITY), ("n2", -INFINITY)]


def test_location_rules_are_read_with_their_expressions() -> None:
    location = config_of(load("08-")).constraints.locations[0]
    assert location.node is None
    assert location.rules == (Rule(score=100, boolean_op="or", expressions=(
        Expression("memory", "gt", "16", "integer"), Expression("rack", "eq", "b"))),)
    rule = config_of(load("09-")).constraints.locations[0].rules[0]
    assert rule == Rule(score=-INFINITY, expressions=(Expression("web-ok", "not_defined"),))
    uname = config_of(load("10-")).constraints.locations[0].rules[0].expressions[0]
    assert uname == Expression("#uname", "eq", "n3")


def test_node_attributes_come_from_the_nodes_section() -> None:
    config = config_of(load("07-"))
    assert dict(config.nodes[2].attributes) == {"disk": "ssd"}


def test_colocation_roles_and_scores() -> None:
    colocation = config_of(load("18-")).constraints.colocations[0]
    assert (colocation.resource, colocation.with_resource, colocation.score) == (
        "vip", "db-clone", INFINITY)
    assert (colocation.resource_role, colocation.with_role) == (None, Role.PROMOTED)
    reverse = config_of(load("53-")).constraints.colocations[0]
    assert (reverse.resource_role, reverse.with_role) == (Role.PROMOTED, None)
    assert config_of(load("15-")).constraints.colocations[0].score == 50


def test_order_kind_from_kind_or_legacy_score() -> None:
    orders = config_of(load("32-")).constraints.orders
    assert [(o.first, o.then, o.kind) for o in orders] == [
        ("a", "b", "Optional"), ("b", "c", "Mandatory")]
    assert orders[1].then_action == "start" and orders[1].symmetrical is False
    assert config_of(load("31-")).constraints.orders[0].kind == "Mandatory"


def test_stonith_primitives_become_fence_devices() -> None:
    result = load("37-")
    config = config_of(result)
    assert [p.id for p in config.primitives()] == ["web"]
    device = config.fence_devices[0]
    assert (device.id, device.agent, device.targets) == ("fence", "fence_dummy",
                                                        ("n1", "n2", "n3"))
    assert "PCMK_IGNORED_CONSTRAINT" in codes(result)  # fence-on-n2 names the device


# --- status -----------------------------------------------------------------------------


def node_flags(state: ClusterState) -> dict[str, tuple[bool, bool]]:
    """node -> (online, unclean)"""
    return {n.name: (n.online, n.unclean) for n in state.nodes}


def test_node_membership_is_decided_like_pacemaker() -> None:
    assert node_flags(state_of(load("38-")))["n3"] == (False, True)  # left while expected
    assert node_flags(state_of(load("37-")))["n3"] == (False, False)  # left cleanly
    assert node_flags(state_of(load("39-")))["n3"] == (False, False)  # no fencing: just down
    assert node_flags(state_of(load("52-")))["n3"] == (False, True)  # never seen


def test_offline_node_with_an_active_resource_is_unclean_when_fencing() -> None:
    result = load("41-")
    state = state_of(result)
    assert node_flags(state)["n3"] == (False, True)
    assert ResourceInstance("web", "n3") in state.resources
    assert "PCMK_OFFLINE_NODE_ACTIVE" in codes(result)


def test_standby_from_transient_or_configured_attribute() -> None:
    assert state_of(load("34-")).node("n1").standby  # type: ignore[union-attr]
    state = state_of(load("35-"))
    assert [n.name for n in state.nodes if n.standby] == ["n2"]
    assert "standby" not in config_of(load("35-")).nodes[1].attributes


def test_maintenance_and_transient_attributes() -> None:
    assert state_of(load("36-")).node("n1").maintenance  # type: ignore[union-attr]
    assert dict(state_of(load("10-")).node("n2").attributes) == {  # type: ignore[union-attr]
        "zone": "dmz"}


def test_resource_roles_come_from_the_operation_history() -> None:
    assert state_of(load("03-")).resources == (ResourceInstance("web", "n2"),)
    assert set(state_of(load("30-")).resources) == {
        ResourceInstance("db", "n1", Role.PROMOTED), ResourceInstance("db", "n2", Role.UNPROMOTED)}


def test_a_failed_monitor_marks_the_instance_failed() -> None:
    state = state_of(load("21-"))
    assert ResourceInstance("db", "n1", failed=True) in state.resources
    assert ResourceInstance("fs", "n1") in state.resources


def test_fail_counts_and_last_failure_from_transient_attributes() -> None:
    assert state_of(load("42-")).failures == (FailCount("web", "n1", 3, 1699999990.0),)


def test_quorum_and_execution_date() -> None:
    assert state_of(load("47-")).quorate is False
    assert state_of(load("01-")).quorate is True
    assert state_of(load("01-")).now == 1700000000.0


def test_clone_instance_names_map_to_the_primitive() -> None:
    status = ONLINE.format(id=1, name="n1", body=(
        '<transient_attributes id="1"><instance_attributes id="s1">'
        '<nvpair id="s1a" name="fail-count-db:0#monitor_10000" value="2"/>'
        '<nvpair id="s1b" name="fail-count-db:0#start_0" value="INFINITY"/>'
        "</instance_attributes></transient_attributes>"
        '<lrm id="1"><lrm_resources><lrm_resource id="db:0" class="ocf" provider="pacemaker" '
        'type="Stateful"><lrm_rsc_op id="db_last_0" operation="monitor" interval="0" '
        'call-id="4" rc-code="8" op-status="0" transition-key="4:1:8:x"/>'
        "</lrm_resource></lrm_resources></lrm>"))
    result = read_cib(wrap(NODES + '<resources><clone id="c"><meta_attributes id="m">'
                           '<nvpair id="m1" name="promotable" value="true"/></meta_attributes>'
                           '<primitive id="db" class="ocf" provider="pacemaker" type="Stateful"/>'
                           "</clone></resources>", status))
    state = state_of(result)
    assert state.resources == (ResourceInstance("db", "n1", Role.PROMOTED),)
    assert state.failures == (FailCount("db", "n1", INFINITY, 0.0),)


def test_history_is_replayed_in_call_id_order_not_document_order() -> None:
    ops = ('<lrm_rsc_op id="a" operation="stop" interval="0" call-id="9" rc-code="0" '
           'op-status="0" transition-key="9:1:0:x"/>'
           '<lrm_rsc_op id="b" operation="start" interval="0" call-id="3" rc-code="0" '
           'op-status="0" transition-key="3:1:0:x"/>')
    status = ONLINE.format(id=1, name="n1", body=(
        '<lrm id="1"><lrm_resources><lrm_resource id="web" class="ocf" type="Dummy">'
        f"{ops}</lrm_resource></lrm_resources></lrm>"))
    result = read_cib(wrap(NODES + '<resources><primitive id="web" class="ocf" '
                           'provider="pacemaker" type="Dummy"/></resources>', status))
    assert state_of(result).resources == ()


def test_failed_stop_with_fencing_makes_the_node_unclean() -> None:
    result = load("63-")
    state = state_of(result)
    assert node_flags(state)["n1"] == (True, True)
    assert ResourceInstance("web", "n1", failed=True) in state.resources
    assert "PCMK_FAILURE_AFFECTS_NODE" in codes(result)


def test_failure_with_on_fail_block_is_blocked() -> None:
    assert state_of(load("62-")).resources == (
        ResourceInstance("web", "n1", failed=True, blocked=True),)


def test_terminate_attribute_requests_fencing_of_an_online_node() -> None:
    status = ONLINE.format(id=1, name="n1", body=(
        '<transient_attributes id="1"><instance_attributes id="s1">'
        '<nvpair id="s1t" name="terminate" value="true"/>'
        "</instance_attributes></transient_attributes>"))
    state = state_of(read_cib(wrap(NODES, status)))
    assert node_flags(state)["n1"] == (True, True)


def test_pending_node_cannot_run_resources() -> None:
    # without fencing Pacemaker counts a joining node as offline
    assert node_flags(state_of(load("67-")))["n1"] == (False, False)
    # with fencing it is online but not ready: standby
    pending = ('<node_state id="1" uname="n1" in_ccm="true" crmd="online" join="pending" '
               'expected="member"/>')
    result = read_cib(wrap(NODES, pending))
    node = state_of(result).node("n1")
    assert node is not None and node.online and node.standby
    assert "PCMK_NODE_PENDING" in codes(result)


def test_role_on_a_rule_becomes_the_location_role() -> None:
    location = config_of(load("64-")).constraints.locations[0]
    assert location.role is Role.PROMOTED
    assert location.rules[0].role is None
    assert location.rules[0].expressions[1] == Expression("kernel", "gte", "5.10", "version")


def test_role_on_a_rule_based_location_is_dropped_like_pacemaker_does() -> None:
    result = load("68-")
    assert config_of(result).constraints.locations[0].role is None
    assert "PCMK_LOCATION_ROLE_WITH_RULES" in codes(result)


# --- unsupported features and malformed input -------------------------------------------


UNSUPPORTED = wrap(
    NODES
    + '<resources><primitive id="web" class="ocf" provider="pacemaker" type="Dummy"/>'
    '<primitive id="db" class="ocf" provider="pacemaker" type="Dummy"/>'
    '<bundle id="httpd-bundle"><docker image="httpd"/></bundle>'
    '<clone id="uc"><meta_attributes id="uc-m"><nvpair id="uc-m1" name="globally-unique" '
    'value="true"/></meta_attributes><primitive id="u" class="ocf" provider="pacemaker" '
    'type="Dummy"/></clone></resources>'
    "<constraints>"
    '<rsc_colocation id="set-colo" score="INFINITY"><resource_set id="s1">'
    '<resource_ref id="web"/><resource_ref id="db"/></resource_set></rsc_colocation>'
    '<rsc_ticket id="t1" rsc="web" ticket="ticketA"/>'
    '<rsc_location id="by-attr" rsc="web"><rule id="r1" score-attribute="weight">'
    '<expression id="e1" attribute="weight" operation="defined"/></rule></rsc_location>'
    '<rsc_location id="by-date" rsc="db"><rule id="r2" score="10">'
    '<date_expression id="d1" operation="in_range" start="2024-01-01"/></rule></rsc_location>'
    '<rsc_location id="ok" rsc="db" node="n2" score="5"/>'
    "</constraints>")


def test_unsupported_features_are_reported_by_element_and_id_and_left_out() -> None:
    result = read_cib(UNSUPPORTED, "unsupported.xml")
    by_code = {r.code: r for r in result.reports}
    for code, path in (("PCMK_UNSUPPORTED_BUNDLE", "bundle id=httpd-bundle"),
                       ("PCMK_UNSUPPORTED_RESOURCE_SET", "rsc_colocation id=set-colo"),
                       ("PCMK_UNSUPPORTED_TICKET", "rsc_ticket id=t1"),
                       ("PCMK_UNSUPPORTED_SCORE_ATTRIBUTE", "rule id=r1"),
                       ("PCMK_UNSUPPORTED_RULE_EXPRESSION", "date_expression id=d1"),
                       ("PCMK_UNSUPPORTED_UNIQUE_CLONE", "clone id=uc")):
        assert code in by_code, code
        assert by_code[code].path == path
        assert by_code[code].file == "unsupported.xml"
    config = config_of(result)
    assert [r.id for r in config.resources] == ["web", "db"]
    assert [loc.id for loc in config.constraints.locations] == ["ok"]
    assert config.constraints.colocations == ()


def test_unknown_resource_in_a_constraint_is_dropped_like_pacemaker_does() -> None:
    result = read_cib(wrap(NODES + "<resources/><constraints>"
                           '<rsc_location id="l" rsc="ghost" node="n1" score="1"/>'
                           "</constraints>"))
    assert config_of(result).constraints.locations == ()
    assert "PCMK_UNKNOWN_RESOURCE" in codes(result)


MALFORMED = {
    "not xml": "this is not a CIB",
    "truncated": '<cib><configuration><nodes><node id="1" uname="n1"/>',
    "empty": "",
    "wrong root": "<crm_mon/>",
    "no configuration": "<cib><status/></cib>",
    "bad score": wrap(NODES + '<resources><primitive id="w" class="ocf" type="Dummy"/>'
                      '</resources><constraints><rsc_location id="l" rsc="w" node="n1" '
                      'score="lots"/></constraints>'),
    "bad boolean": wrap('<crm_config><cluster_property_set id="o"><nvpair id="o1" '
                        'name="stonith-enabled" value="maybe"/></cluster_property_set>'
                        "</crm_config>" + NODES),
    "primitive without type": wrap(NODES + '<resources><primitive id="w" class="ocf"/>'
                                   "</resources>"),
    "nvpair without name": wrap('<nodes><node id="1" uname="n1"><instance_attributes id="a">'
                                '<nvpair id="a1" value="x"/></instance_attributes></node>'
                                "</nodes>"),
    "no nodes": wrap("<resources/>"),
    "bad duration": wrap(NODES + '<resources><primitive id="w" class="ocf" type="D">'
                         '<operations><op id="o" name="monitor" interval="often"/>'
                         "</operations></primitive></resources>"),
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_cib_gives_error_reports_not_exceptions(text: str) -> None:
    result = read_cib(text, "bad.xml")
    errors = [r for r in result.reports if r.severity is Severity.ERROR]
    assert errors, [r.as_text() for r in result.reports]
    assert not result.ok
    assert all(r.file == "bad.xml" for r in errors)


def test_unreadable_operation_history_is_skipped() -> None:
    text = wrap(NODES + '<resources><primitive id="w" class="ocf" type="D"/></resources>',
                ONLINE.format(id=1, name="n1", body=(
                    '<lrm id="1"><lrm_resources><lrm_resource id="w">'
                    '<lrm_rsc_op id="x" operation="start" call-id="soon" rc-code="zero" '
                    'interval="?"/></lrm_resource></lrm_resources></lrm>')))
    result = read_cib(text, "bad.xml")
    assert state_of(result).resources == ()


def test_xml_errors_carry_the_line_number() -> None:
    result = read_cib("<cib>\n<configuration>\n<nodes>\n</cib>", "broken.xml")
    assert result.config is None
    (report,) = result.reports
    assert (report.code, report.line) == ("PCMK_XML_INVALID", 4)


@pytest.mark.parametrize("cib", CIBS[::7], ids=[p.stem for p in CIBS[::7]])
def test_any_prefix_of_a_cib_is_reported_not_raised(cib: Path) -> None:
    text = cib.read_text(encoding="utf-8")
    for end in range(0, len(text), 53):
        result = read_cib(text[:end], "cut.xml")
        assert result.config is None or result.state is not None


def test_durations_in_pacemaker_notation() -> None:
    assert parse_duration("10") == 10.0
    assert parse_duration("500ms") == 0.5
    assert parse_duration("2min") == 120.0
    assert parse_duration("1h") == 3600.0
    assert parse_duration("PT1M30S") == 90.0
    assert parse_duration("soon") is None


# --- writer -----------------------------------------------------------------------------


def test_op_digest_matches_what_pacemaker_computes() -> None:
    # Values taken from crm_simulate 2.1.5 output for the same parameters.
    assert op_digest({}) == "f2317cad3d54cec5d7d7aa7d0bf35cf8"
    assert op_digest({"zeta": "1", "alpha": "x&y"}) == "14808ca0f6953a4dd8e68c021cc2eb0e"


def test_written_cib_records_failures_and_roles() -> None:
    config = config_of(load("30-"))
    state = replace(state_of(load("30-")), failures=(FailCount("db", "n2", 2, 1699999000.0),),
                    resources=(ResourceInstance("db", "n1", Role.PROMOTED, failed=True),))
    text = write_cib(config, state)
    assert 'name="fail-count-db#start_0" value="2"' in text
    assert 'operation="promote"' in text and 'rc-code="1"' in text
    assert normalized(state_of(read_cib(text))) == normalized(state)


# --- hactl import pacemaker -------------------------------------------------------------


def test_hactl_import_writes_a_config_and_state_that_load_back(tmp_path: Path) -> None:
    cib = next(CIB_DIR.glob("21-*.xml"))
    result = CliRunner().invoke(cli, ["import", "pacemaker", str(cib), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'cluster.yaml'}" in result.output
    imported = read_cib(cib.read_text(encoding="utf-8"), str(cib))
    loaded = load_config_text((tmp_path / "cluster.yaml").read_text(), "cluster.yaml")
    assert loaded.config == imported.config
    state = state_from_json(json.loads((tmp_path / "state.json").read_text()))
    assert state == imported.state


def test_hactl_import_prints_reports_and_writes_nothing_on_errors(tmp_path: Path) -> None:
    cib = tmp_path / "bad.xml"
    cib.write_text(UNSUPPORTED, encoding="utf-8")  # globally-unique clone is an error
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["import", "pacemaker", str(cib), "-o", str(out)])
    assert result.exit_code == 1
    assert "PCMK_UNSUPPORTED_UNIQUE_CLONE" in result.output
    assert "PCMK_UNSUPPORTED_BUNDLE" in result.output
    assert not out.exists()


def test_hactl_import_does_not_overwrite_without_force(tmp_path: Path) -> None:
    cib = str(next(CIB_DIR.glob("01-*.xml")))
    runner = CliRunner()
    assert runner.invoke(cli, ["import", "pacemaker", cib, "-o", str(tmp_path)]).exit_code == 0
    again = runner.invoke(cli, ["import", "pacemaker", cib, "-o", str(tmp_path)])
    assert again.exit_code == 1 and "IMPORT_WOULD_OVERWRITE" in again.output
    forced = runner.invoke(cli, ["import", "pacemaker", cib, "-o", str(tmp_path), "--force"])
    assert forced.exit_code == 0


def test_hactl_import_json_output(tmp_path: Path) -> None:
    cib = str(next(CIB_DIR.glob("37-*.xml")))
    result = CliRunner().invoke(cli, ["import", "pacemaker", cib, "-o", str(tmp_path),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["written"] == [str(tmp_path / "cluster.yaml"), str(tmp_path / "state.json")]
    assert {r["code"] for r in data["reports"]} == {"PCMK_IGNORED_CONSTRAINT"}


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_random_clusters_survive_write_cib_then_read_cib(seed: int) -> None:
    config, state = random_cluster(seed)
    again = read_cib(write_cib(config, state), "random.xml")
    assert not [r for r in again.reports if r.severity is Severity.ERROR]
    assert config_of(again) == config
    assert normalized(state_of(again)) == normalized(state)


@pytest.mark.parametrize(("policy", "kept"), [("block", "block"),
                                              ("stop_unexpected", "stop_unexpected"),
                                              ("stop_only", None)])
def test_multiple_active_is_imported_and_stop_only_is_said_to_be_left_out(
        policy: str, kept: str | None) -> None:
    text = (CIB_DIR / "82-multiple-active-stop-start.xml").read_text(encoding="utf-8")
    text = text.replace('type="Dummy"/>', 'type="Dummy"><meta_attributes id="web-meta">'
                        f'<nvpair id="web-ma" name="multiple-active" value="{policy}"/>'
                        '</meta_attributes></primitive>', 1)
    imported = read_cib(text, "82.xml")
    assert imported.config is not None
    assert imported.config.resources[0].meta.multiple_active == kept
    left_out = [r for r in imported.reports if r.code == "PCMK_UNSUPPORTED_META"]
    assert bool(left_out) == (kept is None)
    if kept is not None:
        written = write_cib(imported.config, imported.state)  # type: ignore[arg-type]
        assert f'name="multiple-active" value="{policy}"' in written
