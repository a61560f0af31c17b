"""Commands as state changes (pure): what each does to the replicated document."""

from __future__ import annotations

import pytest

from hafailover.agent.commands import CommandError, plan
from hafailover.config.loader import load_config_text
from hafailover.config.model import ClusterConfig
from hafailover.config.scores import INFINITY
from hafailover.core.state import FailCount
from hafailover.store import document as doc_ops
from hafailover.store.document import Version
from hafailover.v1 import control_pb2

pytestmark = pytest.mark.tier0

TEXT = """\
cluster: {name: c}
nodes: [{name: n1}, {name: n2}, {name: n3}]
properties: {stonith-enabled: false}
resources:
  - group: web
    members:
      - {primitive: vip, agent: ocf:heartbeat:Dummy}
      - {primitive: haproxy, agent: ocf:heartbeat:Dummy}
"""


@pytest.fixture(scope="module")
def config() -> ClusterConfig:
    result = load_config_text(TEXT)
    assert result.config is not None
    return result.config


def run(config: ClusterConfig, doc: doc_ops.Document, now: float = 1000.0,
        **fields: object) -> tuple[doc_ops.Document, str]:
    change, what = plan(config, control_pb2.CommandRequest(**fields), "n1", now)  # type: ignore[arg-type]
    return change(doc), what


def test_standby_and_unstandby_set_and_remove_the_node_attribute(
        config: ClusterConfig) -> None:
    doc = doc_ops.initial(TEXT, "n1")
    on, what = run(config, doc, command="standby", node="n2")
    assert on.node_attributes == {"n2": {"standby": "on"}}
    assert on.version == Version(0, 0, 1) and what == "standby n2"
    off, _ = run(config, on, command="unstandby", node="n2")
    assert off.node_attributes == {} and off.version == Version(0, 0, 2)


def test_a_command_that_changes_nothing_makes_no_new_version(config: ClusterConfig) -> None:
    doc = doc_ops.initial(TEXT, "n1")
    same, _ = run(config, doc, command="unstandby", node="n2")
    assert same is doc


def test_move_prefers_the_node_for_its_lifetime_and_clear_removes_it(
        config: ClusterConfig) -> None:
    doc = doc_ops.initial(TEXT, "n1")
    moved, what = run(config, doc, now=100.0, command="move", resource="web", node="n3",
                      lifetime=60.0)
    (runtime,) = moved.runtime_locations
    assert (runtime.location.node, runtime.location.score) == ("n3", INFINITY)
    assert runtime.expires == 160.0 and what == "move web to n3"
    cleared, _ = run(config, moved, command="clear", resource="web")
    assert cleared.runtime_locations == ()


def test_a_move_without_a_node_bans_the_resource_from_where_it_runs(
        config: ClusterConfig) -> None:
    change, what = plan(config, control_pb2.CommandRequest(command="move", resource="web"),
                        "n1", 0.0, running_on=lambda rid: ["n2"])
    (runtime,) = change(doc_ops.initial(TEXT, "n1")).runtime_locations
    assert (runtime.location.node, runtime.location.score) == ("n2", -INFINITY)
    assert what == "move web away from n2 (a ban, until cleared)"


def test_a_move_is_removed_once_done_unless_kept(config: ClusterConfig) -> None:
    doc = doc_ops.initial(TEXT, "n1")
    moved, _ = run(config, doc, command="move", resource="web", node="n3")
    kept, _ = run(config, doc, command="move", resource="web", node="n3", keep=True)
    assert moved.runtime_locations[0].until_moved
    assert not kept.runtime_locations[0].until_moved


def test_stop_and_start_override_the_target_role(config: ClusterConfig) -> None:
    doc = doc_ops.initial(TEXT, "n1")
    stopped, _ = run(config, doc, command="stop", resource="web")
    effective = doc_ops.effective_config(config, stopped)
    web = effective.find("web")
    assert web is not None and web.meta.target_role == "Stopped"
    started, _ = run(config, stopped, command="start", resource="web")
    web = doc_ops.effective_config(config, started).find("web")
    assert web is not None and web.meta.target_role == "Started"


def test_cluster_wide_maintenance_overrides_the_property(config: ClusterConfig) -> None:
    on, what = run(config, doc_ops.initial(TEXT, "n1"), command="maintenance", on=True)
    assert doc_ops.effective_config(config, on).properties.maintenance_mode
    assert what == "maintenance on for the whole cluster"
    off, _ = run(config, on, command="maintenance", on=False)
    assert not doc_ops.effective_config(config, off).properties.maintenance_mode


def test_ban_keeps_the_resource_off_one_node(config: ClusterConfig) -> None:
    doc = doc_ops.initial(TEXT, "n1")
    banned, _ = run(config, doc, command="ban", resource="vip", node="n1")
    (runtime,) = banned.runtime_locations
    assert runtime.location.score == -INFINITY and runtime.expires is None


def test_cleanup_forgets_the_failures_of_one_resource_only(config: ClusterConfig) -> None:
    doc = doc_ops.set_failures(doc_ops.initial(TEXT, "n1"), [
        FailCount("vip", "n1", 2, 1.0), FailCount("vip", "n2", 1, 1.0),
        FailCount("haproxy", "n1", 1, 1.0)], "n1")
    one_node, _ = run(config, doc, command="cleanup", resource="vip", node="n2")
    assert {(f.resource, f.node) for f in one_node.failures} == {("vip", "n1"),
                                                                ("haproxy", "n1")}
    everywhere, _ = run(config, doc, command="cleanup", resource="vip")
    assert [(f.resource, f.node) for f in everywhere.failures] == [("haproxy", "n1")]


@pytest.mark.parametrize(("fields", "message"), [
    ({"command": "standby", "node": "n4"}, "no node 'n4' in this cluster"),
    ({"command": "move", "resource": "wbe", "node": "n2"}, "did you mean 'web'?"),
    ({"command": "stnadby", "node": "n2"}, "did you mean 'standby'?"),
    ({"command": "move", "resource": "web"}, "web runs on no node: name the node"),
    ({"command": "standby"}, "a node name is needed"),
])
def test_a_wrong_name_is_refused_with_a_hint(config: ClusterConfig, fields: dict[str, str],
                                             message: str) -> None:
    with pytest.raises(CommandError, match=message):
        plan(config, control_pb2.CommandRequest(**fields), "n1", 0.0)  # type: ignore[arg-type]
