"""Valid files load into the model a user expects; problems are all reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from hafailover.config import (
    ConfigPaths,
    load_config,
    load_config_file,
    load_config_text,
    validate_config,
)
from hafailover.config.model import (
    AgentRef,
    Clone,
    ClusterConfig,
    Group,
    Node,
    Order,
    Primitive,
    Role,
)
from hafailover.config.scores import INFINITY
from hafailover.reports import ReportedError, Severity

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo" / "cluster.yaml"
FULL = Path(__file__).parent / "fixtures" / "full.yaml"


def test_demo_cluster_loads_with_its_nodes_resources_and_constraints() -> None:
    result = load_config_file(DEMO)

    config = result.config
    assert config is not None
    assert config.name == "demo"
    assert config.node_names() == ("n1", "n2", "n3")
    assert [n.node_id for n in config.nodes] == [1, 2, 3]
    assert dict(config.nodes[2].attributes) == {"role": "app"}
    assert dict(config.nodes[0].addresses) == {"ring0": "10.88.0.11"}
    assert config.heartbeat.interval == 0.1
    assert config.heartbeat.dead_time == 0.5
    assert config.heartbeat.detection_time == pytest.approx(0.6)
    assert config.defaults.migration_threshold == 3
    assert config.defaults.failure_timeout == 60.0
    web = config.top_resource("web")
    assert isinstance(web, Group)
    assert [m.id for m in web.members] == ["vip", "haproxy"]
    assert web.members[0].agent == AgentRef("builtin", None, "vip")
    assert dict(web.members[0].params) == {"ip": "10.88.0.100", "cidr_netmask": "24"}
    assert web.members[1].operations[0].on_fail == "restart"
    backends = config.top_resource("backend-clone")
    assert isinstance(backends, Clone) and backends.clone_max == 2
    rule = config.constraints.locations[1].rules[0]
    assert rule.score == -INFINITY
    assert rule.expressions[0].operation == "ne"
    assert config.constraints.orders[0].kind == "Optional"


def test_the_demo_loads_without_any_report() -> None:
    result = load_config_file(DEMO)

    assert result.config is not None
    assert result.reports == ()


def test_fencing_disabled_is_a_warning_not_an_error() -> None:
    text = DEMO.read_text(encoding="utf-8").replace("stonith-enabled: true",
                                                    "stonith-enabled: false")
    result = load_config_text(text, "demo.yaml")

    assert result.config is not None
    assert [(r.code, r.severity) for r in result.reports] == [
        ("CONFIG_STONITH_DISABLED", Severity.WARNING)]


def test_every_option_of_the_full_example_reaches_the_model() -> None:
    config = load_config(FULL)

    db2 = config.node("db2")
    assert db2 is not None
    assert (db2.node_id, db2.votes) == (12, 2)
    assert dict(db2.addresses) == {"ring0": "10.0.0.2", "ring1": "fd00::2"}
    assert config.nodes[2].node_id == 3  # default: its position in the list
    assert dict(config.nodes[0].attributes) == {"role": "db", "rack": "1"}
    assert config.heartbeat.transport == "unicast"
    assert [(link.name, link.port, link.interface) for link in config.heartbeat.links] == [
        ("ring0", 5405, "eth0"), ("ring1", 5407, None)]
    assert config.quorum.expected_votes == 3 and config.quorum.wait_for_all
    assert config.properties.no_quorum_policy == "freeze"
    assert config.properties.cluster_recheck_interval == 300.0
    assert not config.properties.stop_orphan_resources
    assert config.defaults.resource_stickiness == INFINITY
    assert config.defaults.migration_threshold == INFINITY  # 0 means never, like INFINITY
    assert config.defaults.failure_timeout == 600.0
    pg_clone = config.top_resource("pg-clone")
    assert isinstance(pg_clone, Clone)
    assert pg_clone.promotable and pg_clone.clone_max == 2 and pg_clone.meta.priority == 10
    assert isinstance(pg_clone.child, Primitive)
    ops = pg_clone.child.operations
    assert [(o.name, o.interval, o.timeout, o.role) for o in ops] == [
        ("start", 0.0, 120.0, None), ("monitor", 10.0, 30.0, Role.PROMOTED),
        ("monitor", 11.0, 30.0, Role.UNPROMOTED), ("monitor", 0.0, 30.0, None)]
    assert ops[1].on_fail == "fence"
    front = config.top_resource("front")
    assert isinstance(front, Group)
    assert front.meta.resource_stickiness == 50 and front.meta.migration_threshold == 2
    assert front.members[1].agent == AgentRef("systemd", None, "pgbouncer")
    assert front.members[1].meta.failure_timeout == 90.0
    report = config.top_resource("report")
    assert report is not None and report.meta.target_role == "Stopped"
    assert not report.meta.is_managed
    assert config.fence_devices[0].targets == ("db1", "db2")
    assert config.fence_devices[0].timeout == 90.0


def test_constraints_without_ids_get_readable_generated_ids() -> None:
    config = load_config(FULL)

    assert [c.id for c in config.constraints.locations] == [
        "location-pg-clone-app1", "location-front-rule-1", "pg-promote-rack"]
    assert [c.id for c in config.constraints.colocations] == [
        "colocation-front-pg-clone", "report-apart"]
    assert config.constraints.orders[0] == Order(
        id="order-pg-clone-front", first="pg-clone", then="front", first_action="promote",
        then_action="start")


def test_generated_ids_never_collide() -> None:
    text = """\
cluster: {name: t}
nodes: [{name: n1}]
properties: {stonith-enabled: false}
resources:
  - {primitive: a, agent: builtin:vip}
  - {primitive: b, agent: builtin:vip}
constraints:
  order:
    - {first: a, then: b, kind: Optional}
    - {first: a, then: b, first-action: stop, kind: Optional}
    - {id: order-a-b-2, first: a, then: b, kind: Optional}
"""
    config = load_config_text(text).config

    assert config is not None
    assert [o.id for o in config.constraints.orders] == [
        "order-a-b", "order-a-b-1", "order-a-b-2"]


def test_single_rule_shorthand_equals_a_list_of_one_rule() -> None:
    config = load_config(FULL)

    rules = config.constraints.locations[1].rules
    assert len(rules) == 1 and rules[0].boolean_op == "or" and rules[0].score == 100


def test_wait_for_all_defaults_to_true_with_two_node() -> None:
    text = """\
cluster: {name: pair}
nodes: [{name: a}, {name: b}]
quorum: {two-node: true}
properties: {stonith-enabled: false}
"""
    config = load_config_text(text).config

    assert config is not None
    assert config.quorum.two_node and config.quorum.wait_for_all


def test_a_file_with_many_problems_reports_every_one_in_file_order() -> None:
    text = """\
cluster: {name: t}
nodes:
  - name: n1
  - name: n1
heartbeat: {interval: 1s, dead-time: 500ms, transprot: unicast}
resources:
  - {primitive: vip, agent: 'ocf:IPaddr2'}
  - {primitive: db, agent: builtin:vip, operations: [{name: monitor, timeout: -5s}]}
constraints:
  location:
    - {resource: vpi, node: n9, score: 10}
  colocation:
    - {resource: db, with: db}
"""
    result = load_config_text(text, "many.yaml")

    assert result.config is None
    problems = [(r.line, r.code, r.path) for r in result.reports
                if r.severity is Severity.ERROR]
    assert problems == [
        (4, "CONFIG_DUPLICATE_NAME", "nodes[1].name"),
        (5, "CONFIG_UNKNOWN_KEY", "heartbeat.transprot"),
        (5, "CONFIG_TIMING", "heartbeat.dead-time"),
        (7, "CONFIG_AGENT", "resources[0].agent"),
        (8, "CONFIG_VALUE", "resources[1].operations[0].timeout"),
        (11, "CONFIG_UNKNOWN_RESOURCE", "constraints.location[0].resource"),
        (11, "CONFIG_UNKNOWN_NODE", "constraints.location[0].node"),
        (13, "CONFIG_SELF_REFERENCE", "constraints.colocation[0].with"),
    ]


def test_a_bad_value_does_not_cause_follow_on_reports() -> None:
    text = """\
cluster: {name: t}
nodes: [{name: n1}]
properties: {stonith-enabled: false}
heartbeat: {interval: soon, dead-time: 500ms}
resources:
  - {primitive: vip, agent: 'nope'}
constraints:
  location:
    - {resource: vip, node: n1, score: 10}
"""
    result = load_config_text(text)

    assert [r.path for r in result.reports if r.severity is Severity.ERROR] == [
        "heartbeat.interval", "resources[0].agent"]


def test_load_config_raises_with_every_report_for_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("cluster: {name: t}\nnodes: [{name: n1}, {name: n1}]\nextra: 1\n")

    with pytest.raises(ReportedError) as caught:
        load_config(path)

    assert {r.code for r in caught.value.reports} >= {"CONFIG_DUPLICATE_NAME",
                                                      "CONFIG_UNKNOWN_KEY"}
    assert f"{path}:2" in str(caught.value)


def test_an_unreadable_file_is_a_report_not_an_exception(tmp_path: Path) -> None:
    result = load_config_file(tmp_path / "missing.yaml")

    assert result.config is None
    [report] = result.reports
    assert report.code == "CONFIG_FILE" and "missing.yaml" in report.as_text()


def test_a_directory_is_a_report_not_an_exception(tmp_path: Path) -> None:
    result = load_config_file(tmp_path)

    assert [r.code for r in result.reports] == ["CONFIG_FILE"]


def test_yaml_merge_keys_share_settings_between_items() -> None:
    text = """\
cluster: {name: t}
nodes: [{name: n1}]
properties: {stonith-enabled: false}
resources:
  - primitive: a
    agent: builtin:vip
    operations:
      - &mon {name: monitor, interval: 5s, timeout: 30s}
  - primitive: b
    agent: builtin:vip
    operations:
      - {<<: *mon, interval: 7s}
"""
    config = load_config_text(text).config

    assert config is not None
    first, second = (p.operations[0] for p in config.primitives())
    assert (first.interval, second.interval, second.timeout) == (5.0, 7.0, 30.0)


def test_validate_config_checks_a_model_built_without_yaml() -> None:
    vip = Primitive(id="vip", agent=AgentRef("ocf", None, "IPaddr2"))
    config = ClusterConfig(name="t", nodes=(Node("n1", 1),), resources=(vip,))

    reports = validate_config(config)

    agent = [r for r in reports if r.code == "CONFIG_AGENT"]
    assert agent and agent[0].path == "resources[0].agent" and agent[0].line is None
    assert ConfigPaths.from_model(config).resources == ["resources[0]"]


def test_a_dropped_resource_neither_shifts_later_paths_nor_orphans_constraints() -> None:
    text = """\
cluster: {name: t}
nodes: [{name: n1}]
properties: {stonith-enabled: false}
resources:
  - clone: c2
    resource: {clone: x, resource: {primitive: y, agent: builtin:vip}}
  - {primitive: p, agent: "ocf:x"}
constraints:
  colocation:
    - {resource: c2, with: p}
"""
    result = load_config_text(text)

    assert [(r.line, r.path) for r in result.reports if r.severity is Severity.ERROR] == [
        (6, "resources[0].resource"), (7, "resources[1].agent")]


def test_peer_section_and_the_loss_time_it_implies() -> None:
    config = load_config(FULL)

    assert config.peer.port == 7500 and config.peer.probe_timeout == 0.3
    assert config.loss_time == pytest.approx(1.5 + 0.2 + 0.3)
    assert config.peer_address(config.nodes[0].name) == config.nodes[0].addresses["ring0"]


def test_a_probe_longer_than_dead_time_is_a_warning_that_names_the_key() -> None:
    text = """\
cluster: {name: c}
nodes: [{name: a, addresses: {ring0: 10.0.0.1}}]
peer: {probe-timeout: 2s}
properties: {stonith-enabled: false}
"""
    result = load_config_text(text, "c.yaml")

    assert result.config is not None
    codes = {(r.code, r.path) for r in result.reports}
    assert ("CONFIG_TIMING_MARGIN", "peer.probe-timeout") in codes


def test_multiple_active_takes_pacemakers_policies_but_stop_only() -> None:
    base = ("cluster: {name: c}\nnodes: [{name: a}]\nresources:\n"
            "  - {primitive: vip, agent: 'ocf:heartbeat:Dummy', meta: {multiple-active: %s}}\n")
    for policy in ("stop_start", "stop_unexpected", "block"):
        config = load_config_text(base % policy).config
        assert config is not None and config.resources[0].meta.multiple_active == policy
    refused = load_config_text(base % "stop_only")
    assert refused.config is None
    [report] = [r for r in refused.reports if r.code == "CONFIG_VALUE"]
    assert report.path == "resources[0].meta.multiple-active"
