"""``hactl simulate``: its text layout (golden files), its JSON document and its errors.

Rendering tests use configurations built from the dataclasses and hand-written
transitions, so they pin the layout whatever the scheduler decides. Regenerate the
golden files after an intended layout change with
``HAFAILOVER_UPDATE_GOLDEN=1 python3 -m pytest tests/cli/test_simulate.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings

from core.strategies import cluster_inputs
from hafailover.cli.hactl import cli
from hafailover.cli.simulate_cmd import SimulatePorts
from hafailover.cli.transition_text import (
    Simulation,
    reason_clause,
    render_text,
    transition_json,
)
from hafailover.config.model import (
    AgentRef,
    Clone,
    ClusterConfig,
    Group,
    Meta,
    Node,
    Primitive,
    Role,
)
from hafailover.config.scores import INFINITY
from hafailover.core.scheduler import schedule
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance
from hafailover.core.transition import (
    Action,
    ActionKind,
    Assignment,
    Change,
    ChangeKind,
    NodeScore,
    ScorePart,
    Transition,
)
from hafailover.core.whatif import NodeDown, apply_events, initial_state

GOLDEN = Path(__file__).parent / "golden"
DUMMY = AgentRef("ocf", "heartbeat", "Dummy")
VIP = AgentRef("builtin", None, "vip")
HAPROXY = AgentRef("ocf", "hafailover", "haproxy")
STATEFUL = AgentRef("ocf", "pacemaker", "Stateful")

tier0 = pytest.mark.tier0


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("HAFAILOVER_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


# --- inputs --------------------------------------------------------------------------------


def demo_config() -> ClusterConfig:
    return ClusterConfig(
        name="demo",
        nodes=(Node("n1", 1), Node("n2", 2), Node("n3", 3)),
        resources=(
            Group("web", (Primitive("vip", VIP), Primitive("haproxy", HAPROXY))),
            Clone("backend-clone", Primitive("backend", DUMMY), clone_max=2),
            Clone("db-clone", Primitive("db", STATEFUL), promotable=True),
        ),
    )


def demo_state() -> ClusterState:
    return ClusterState(
        nodes=(NodeState("n1"), NodeState("n2"), NodeState("n3")),
        resources=(
            ResourceInstance("vip", "n1"), ResourceInstance("haproxy", "n1"),
            ResourceInstance("backend", "n1"), ResourceInstance("backend", "n2"),
            ResourceInstance("db", "n1", Role.PROMOTED),
            ResourceInstance("db", "n2", Role.UNPROMOTED),
        ),
        now=1000.0,
    )


def failover_transition() -> Transition:
    """What a scheduler plans when n1 of the demo cluster dies uncleanly."""
    return Transition(
        assignments=(
            Assignment("vip", "n2", Role.STARTED), Assignment("haproxy", "n2", Role.STARTED),
            Assignment("backend", "n2", Role.STARTED), Assignment("backend", "n3", Role.STARTED),
            Assignment("db", "n2", Role.PROMOTED), Assignment("db", "n3", Role.UNPROMOTED),
        ),
        actions=(
            Action(1, ActionKind.FENCE, "n1", None, "n1 left the membership uncleanly"),
            Action(2, ActionKind.START, "n2", "vip", "web moves to n2", (1,)),
            Action(3, ActionKind.START, "n2", "haproxy", "web moves to n2", (2,)),
            Action(4, ActionKind.START, "n3", "backend", "backend-clone runs 2 copies", (1,)),
            Action(5, ActionKind.PROMOTE, "n2", "db", "db-clone has no promoted copy", (1,)),
            Action(6, ActionKind.START, "n3", "db", "db-clone runs a copy per node", (1,)),
        ),
        changes=(
            Change(ChangeKind.FENCE, None, None, "n1", "node left uncleanly"),
            Change(ChangeKind.MOVE, "vip", "n1", "n2", "n1 is down; n2 scores highest (0)"),
            Change(ChangeKind.MOVE, "haproxy", "n1", "n2", "it follows vip in group web"),
            Change(ChangeKind.START, "backend", None, "n3", "backend-clone runs 2 copies"),
            Change(ChangeKind.PROMOTE, "db", "n2", "n2", "db-clone has no promoted copy."),
            Change(ChangeKind.START, "db", None, "n3", "Because db-clone runs everywhere"),
        ),
        fenced=("n1",),
        scores=MappingProxyType({
            "web": MappingProxyType({
                "n3": NodeScore(50, (ScorePart("location web-prefers-n3", 50),)),
                "n1": NodeScore(-INFINITY, (ScorePart("node n1 is offline", -INFINITY),)),
                "n2": NodeScore(0),
            }),
            "vip": MappingProxyType({
                "n2": NodeScore(INFINITY, (ScorePart("colocation with web", INFINITY),
                                           ScorePart("stickiness", 100))),
            }),
        }),
        notes=("n1 is fenced before its resources are recovered",),
    )


def failover_simulation(show_scores: bool = False) -> Simulation:
    config, before = demo_config(), demo_state()
    whatif = apply_events(config, before, [NodeDown("n1")])
    return Simulation(config, before, whatif.state, failover_transition(), whatif.log,
                      show_scores)


def troubled_config() -> ClusterConfig:
    return ClusterConfig(
        name="troubled",
        nodes=tuple(Node(f"n{i}", i) for i in range(1, 7)),
        resources=(
            Primitive("vip", VIP),
            Primitive("haproxy", HAPROXY),
            Primitive("reports", DUMMY, meta=Meta(target_role="Stopped")),
            Primitive("legacy", DUMMY, meta=Meta(is_managed=False)),
            Clone("app-clone", Group("app", (Primitive("app-a", DUMMY),
                                              Primitive("app-b", DUMMY)))),
            Clone("db-clone", Primitive("db", STATEFUL), promotable=True),
        ),
    )


def troubled_state() -> ClusterState:
    return ClusterState(
        nodes=(
            NodeState("n1"), NodeState("n2", standby=True), NodeState("n3", maintenance=True),
            NodeState("n4", online=False, unclean=True), NodeState("n5", online=False),
            NodeState("n6", unclean=True),
        ),
        resources=(
            ResourceInstance("vip", "n1", failed=True),
            ResourceInstance("haproxy", "n4"),
            ResourceInstance("legacy", "n1", blocked=True),
            ResourceInstance("app-a", "n1"), ResourceInstance("app-b", "n1"),
            ResourceInstance("app-a", "n6"),
            ResourceInstance("app-a", "n2", failed=True), ResourceInstance("app-b", "n2"),
            ResourceInstance("db", "n1", Role.PROMOTED), ResourceInstance("db", "n2", failed=True),
            ResourceInstance("old-cron", "n1"),
        ),
        failures=(FailCount("vip", "n1", 2, 900.0), FailCount("app-a", "n2", INFINITY, 900.0)),
        quorate=False,
    )


def troubled_transition() -> Transition:
    return Transition(
        assignments=(Assignment("vip", "n1", Role.STARTED), Assignment("app-a", "n1", Role.STARTED),
                     Assignment("app-b", "n1", Role.STARTED),
                     Assignment("db", "n1", Role.UNPROMOTED)),
        actions=(),
        changes=(
            Change(ChangeKind.RECOVER, "vip", "n1", "n1", "its monitor failed on n1"),
            Change(ChangeKind.STOP, "haproxy", "n4", None, "no quorum: no-quorum-policy=stop"),
            Change(ChangeKind.RECOVER, "app-a", "n2", "n1", ""),
            Change(ChangeKind.RESTART, "app-b", "n1", "n1", "app-a before it restarts"),
            Change(ChangeKind.DEMOTE, "db", "n1", "n1", "no quorum"),
            Change(ChangeKind.STOP, "old-cron", "n1", None, "it is no longer configured"),
        ),
        fenced=("n4", "n6"),
        notes=("no quorum and no-quorum-policy=stop: stopping everything",
               "n4 and n6 are fenced first"),
    )


# --- text layout ---------------------------------------------------------------------------


@tier0
def test_text_of_a_failover_matches_the_golden_file() -> None:
    assert_golden("failover", render_text(failover_simulation()))


@tier0
def test_text_with_scores_matches_the_golden_file() -> None:
    assert_golden("failover_scores", render_text(failover_simulation(show_scores=True)))


@tier0
def test_text_of_a_cluster_in_trouble_matches_the_golden_file() -> None:
    config = troubled_config()
    sim = Simulation(config, troubled_state(), troubled_state(), troubled_transition())
    assert_golden("troubled", render_text(sim))


@tier0
def test_text_of_a_quiet_cluster_matches_the_golden_file() -> None:
    config = demo_config()
    state = initial_state(config, now=0.0)
    quiet = Transition(assignments=(), actions=(), changes=(), fenced=())
    assert_golden("quiet", render_text(Simulation(config, state, state, quiet)))


@tier0
def test_every_change_reason_is_in_the_text() -> None:
    text = render_text(failover_simulation())
    assert "because n1 is down; n2 scores highest (0)" in text
    assert "'node left uncleanly'" in text
    assert "because db-clone runs everywhere" in text  # no "because Because"


@tier0
def test_every_action_reason_and_note_is_in_the_text() -> None:
    text = render_text(failover_simulation())
    for action in failover_transition().actions:
        assert action.reason in text
    assert "  * n1 is fenced before its resources are recovered" in text


@tier0
def test_revised_status_shows_a_fenced_node_offline_and_clean() -> None:
    revised = render_text(failover_simulation()).split("Revised Cluster Status:")[1]
    assert "* OFFLINE: [ n1 ]" in revised
    assert "UNCLEAN" not in revised


@tier0
def test_current_status_is_the_state_before_the_events() -> None:
    current = render_text(failover_simulation()).split("Performing Requested")[0]
    assert "* Online: [ n1 n2 n3 ]" in current


@tier0
def test_scores_section_appears_only_when_asked() -> None:
    assert "Allocation Scores:" not in render_text(failover_simulation())
    assert "Allocation Scores:" in render_text(failover_simulation(show_scores=True))


@tier0
def test_a_fence_without_a_change_still_shows_in_the_summary() -> None:
    text = render_text(Simulation(troubled_config(), troubled_state(), troubled_state(),
                                  troubled_transition()))
    assert "  * Fence (off) n4\n" in text


# --- JSON document -------------------------------------------------------------------------


def failover_json(show_scores: bool = False) -> dict[str, Any]:
    return transition_json(demo_config(), failover_transition(), show_scores)


@tier0
def test_json_has_exactly_placement_actions_fence_and_notes() -> None:
    assert list(failover_json()) == ["placement", "actions", "fence", "notes"]


@tier0
def test_json_has_scores_only_when_asked() -> None:
    assert list(failover_json(show_scores=True)) == [
        "placement", "actions", "fence", "notes", "scores"]


@tier0
def test_json_placement_names_group_members_and_clones() -> None:
    assert failover_json()["placement"] == {
        "vip": "n2",
        "haproxy": "n2",
        "backend-clone": [{"node": "n2", "role": "Started"}, {"node": "n3", "role": "Started"}],
        "db-clone": [{"node": "n2", "role": "Promoted"}, {"node": "n3", "role": "Unpromoted"}],
    }


@tier0
def test_json_placement_of_a_stopped_primitive_is_null() -> None:
    placement = transition_json(troubled_config(), troubled_transition())["placement"]
    assert placement["haproxy"] is None
    assert placement["reports"] is None


@tier0
def test_json_placement_of_a_cloned_group_has_one_instance_per_node() -> None:
    config = troubled_config()
    transition = Transition(
        assignments=(Assignment("app-b", "n3", Role.STARTED),
                     Assignment("app-a", "n3", Role.STARTED),
                     Assignment("app-a", "n1", Role.STARTED)),
        actions=(), changes=(), fenced=())
    assert transition_json(config, transition)["placement"]["app-clone"] == [
        {"node": "n1", "role": "Started"}, {"node": "n3", "role": "Started"}]


@tier0
def test_json_actions_come_from_the_changes() -> None:
    actions = failover_json()["actions"]
    assert actions[0] == {"action": "fence", "resource": None, "from": None, "to": "n1",
                          "reason": "node left uncleanly"}
    assert actions[1] == {"action": "move", "resource": "vip", "from": "n1", "to": "n2",
                          "reason": "n1 is down; n2 scores highest (0)"}
    assert [a["action"] for a in actions] == [
        "fence", "move", "move", "start", "promote", "start"]


@tier0
def test_json_fence_and_notes() -> None:
    data = failover_json()
    assert data["fence"] == ["n1"]
    assert data["notes"] == ["n1 is fenced before its resources are recovered"]


@tier0
def test_json_scores_have_totals_and_parts_in_node_order() -> None:
    scores = failover_json(show_scores=True)["scores"]
    assert list(scores) == ["web", "vip"]
    assert list(scores["web"]) == ["n1", "n2", "n3"]
    assert scores["web"]["n1"] == {
        "total": -INFINITY, "parts": [{"source": "node n1 is offline", "score": -INFINITY}]}
    assert scores["web"]["n2"] == {"total": 0, "parts": []}


@tier0
def test_json_is_serialisable() -> None:
    text = json.dumps(failover_json(show_scores=True))
    assert json.loads(text) == failover_json(show_scores=True)


# --- the command, with a recording scheduler ---------------------------------------------


class RecordingScheduler:
    """Returns a fixed transition and keeps the states it was asked about."""

    def __init__(self, transition: Transition | None = None) -> None:
        self.transition = transition or Transition(
            assignments=(), actions=(), changes=(), fenced=())
        self.states: list[ClusterState] = []

    def __call__(self, config: ClusterConfig, state: ClusterState) -> Transition:
        self.states.append(state)
        return self.transition


CIB = """\
<cib crm_feature_set="3.17.4" validate-with="pacemaker-3.9" epoch="1" num_updates="0"
     admin_epoch="0" have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="true"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/><node id="3" uname="n3"/></nodes>
    <resources>
      <group id="web">
        <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
          <instance_attributes id="vip-ia">
            <nvpair id="vip-ip" name="ip" value="10.0.0.1"/>
          </instance_attributes>
        </primitive>
        <primitive id="haproxy" class="ocf" provider="heartbeat" type="Dummy"/>
      </group>
      <clone id="backend-clone">
        <primitive id="backend" class="ocf" provider="heartbeat" type="Dummy"/>
      </clone>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="3" uname="n3" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>
"""

STATE = {
    "now": 1000.0,
    "nodes": [{"name": "n1"}, {"name": "n2"}, {"name": "n3"}],
    "resources": [{"resource": "vip", "node": "n1"}, {"resource": "haproxy", "node": "n1"}],
}


@pytest.fixture
def cib(tmp_path: Path) -> Path:
    path = tmp_path / "cib.xml"
    path.write_text(CIB, encoding="utf-8")
    return path


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    return path


def hactl(args: Sequence[str], scheduler: RecordingScheduler | None = None) -> Result:
    ports = SimulatePorts(schedule=scheduler or RecordingScheduler(), now=lambda: 500.0)
    return CliRunner().invoke(cli, ["simulate", *args], obj=ports)


def assert_clean_failure(result: Result, code: int = 1) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@tier0
def test_help_shows_examples_and_every_option() -> None:
    result = CliRunner().invoke(cli, ["simulate", "--help"])
    assert result.exit_code == 0
    for word in ("Examples:", "--node-down", "--node-up", "--fail", "--standby", "--scores",
                 "--state", "--pacemaker-cib", "--format", "hactl simulate cluster.yaml"):
        assert word in result.output


@tier0
def test_without_config_or_cib_asks_the_agent_and_says_when_it_is_not_running(
        tmp_path: Path) -> None:
    result = hactl(["--socket", str(tmp_path / "control.sock")])
    assert_clean_failure(result, code=3)
    assert "the agent is not running" in result.output


@tier0
def test_config_and_cib_together_are_refused(cib: Path) -> None:
    result = hactl(["cluster.yaml", "--pacemaker-cib", str(cib)])
    assert_clean_failure(result, code=2)
    assert "not both" in result.output


@tier0
def test_cib_events_reach_the_scheduler(cib: Path) -> None:
    scheduler = RecordingScheduler()
    result = hactl(["--pacemaker-cib", str(cib), "--node-down", "n1", "--standby", "n2"],
                   scheduler)
    assert result.exit_code == 0, result.output
    [state] = scheduler.states
    assert state.node("n1") == NodeState("n1", online=False, unclean=True)
    assert state.node("n2") == NodeState("n2", standby=True)
    assert state.quorate


@tier0
def test_fail_reaches_the_scheduler_as_a_failed_instance(cib: Path, state_file: Path) -> None:
    scheduler = RecordingScheduler()
    result = hactl(["--pacemaker-cib", str(cib), "--state", str(state_file),
                    "--fail", "vip:n1"], scheduler)
    assert result.exit_code == 0, result.output
    [state] = scheduler.states
    assert ResourceInstance("vip", "n1", failed=True) in state.resources
    assert [(f.resource, f.node, f.count, f.last_failure) for f in state.failures] == [
        ("vip", "n1", 1, 1000.0)]


@tier0
def test_text_output_has_every_section(cib: Path) -> None:
    result = hactl(["--pacemaker-cib", str(cib), "--node-down", "n3"])
    assert result.exit_code == 0, result.output
    for title in ("Current cluster status:", "Performing Requested Modifications:",
                  "Transition Summary:", "Revised Cluster Status:"):
        assert title in result.stdout


@tier0
def test_json_output_is_the_documented_document(cib: Path) -> None:
    result = hactl(["--pacemaker-cib", str(cib), "--format", "json", "--scores"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == {
        "placement": {"vip": None, "haproxy": None, "backend-clone": []},
        "actions": [], "fence": [], "notes": [], "scores": {}}


@tier0
def test_unknown_node_is_an_error_with_a_suggestion(cib: Path) -> None:
    result = hactl(["--pacemaker-cib", str(cib), "--node-down", "n11"])
    assert_clean_failure(result)
    assert "--node-down: no node 'n11' in the configuration" in result.output
    assert "did you mean 'n1'?" in result.output


@tier0
def test_unknown_resource_in_fail_is_an_error_with_a_suggestion(cib: Path) -> None:
    result = hactl(["--pacemaker-cib", str(cib), "--fail", "vipp:n1"])
    assert_clean_failure(result)
    assert "--fail: no resource 'vipp' in the configuration" in result.output
    assert "did you mean 'vip'?" in result.output


@tier0
def test_fail_without_a_node_is_an_error(cib: Path) -> None:
    result = hactl(["--pacemaker-cib", str(cib), "--fail", "vip"])
    assert_clean_failure(result)
    assert "--fail takes RESOURCE:NODE (found: vip)" in result.output


@tier0
def test_every_problem_is_reported_at_once(cib: Path) -> None:
    result = hactl(["--pacemaker-cib", str(cib), "--node-down", "x1", "--fail", "y:n1",
                    "--standby", "z"])
    assert_clean_failure(result)
    assert [line.rsplit("[", 1)[1] for line in result.output.splitlines()] == [
        "UNKNOWN_NODE]", "UNKNOWN_NODE]", "UNKNOWN_RESOURCE]"]


@tier0
def test_errors_in_json_format_are_reports(cib: Path) -> None:
    result = hactl(["--pacemaker-cib", str(cib), "--node-up", "n9", "--format", "json"])
    assert_clean_failure(result)
    [report] = json.loads(result.stdout)["reports"]
    assert report["code"] == "UNKNOWN_NODE"
    assert report["severity"] == "error"


@tier0
def test_state_that_is_not_json_is_an_error_with_its_line(cib: Path, tmp_path: Path) -> None:
    bad = tmp_path / "state.json"
    bad.write_text('{\n  "nodes": [\n    {"name": "n1",}\n  ]\n}\n', encoding="utf-8")
    result = hactl(["--pacemaker-cib", str(cib), "--state", str(bad)])
    assert_clean_failure(result)
    assert f"{bad}:3: error: not valid JSON" in result.output
    assert "[STATE_BAD_JSON]" in result.output


@tier0
def test_state_with_wrong_keys_and_types_is_an_error_with_key_paths(
        cib: Path, tmp_path: Path) -> None:
    bad = tmp_path / "state.json"
    bad.write_text(json.dumps({
        "nodes": [{"name": "n1", "onlin": False}, {"online": "yes"}],
        "resources": [{"resource": "vip", "node": "n1", "role": "Master"}],
    }), encoding="utf-8")
    result = hactl(["--pacemaker-cib", str(cib), "--state", str(bad)])
    assert_clean_failure(result)
    output = result.output
    assert "nodes[0].onlin: unknown key" in output
    assert "did you mean 'online'?" in output
    assert "nodes[1].name: required key is missing" in output
    assert "nodes[1].online: expected true/false (found: string)" in output
    assert "resources[0].role: not a role (found: Master)" in output


@tier0
def test_state_that_is_not_an_object_is_an_error(cib: Path, tmp_path: Path) -> None:
    bad = tmp_path / "state.json"
    bad.write_text("[]", encoding="utf-8")
    result = hactl(["--pacemaker-cib", str(cib), "--state", str(bad)])
    assert_clean_failure(result)
    assert "a state is a JSON object (found: list)" in result.output


@tier0
def test_missing_state_file_is_an_error(cib: Path, tmp_path: Path) -> None:
    result = hactl(["--pacemaker-cib", str(cib), "--state", str(tmp_path / "nope.json")])
    assert_clean_failure(result)
    assert "cannot read the state file: No such file or directory" in result.output


@tier0
def test_state_and_event_problems_are_reported_together(cib: Path, tmp_path: Path) -> None:
    bad = tmp_path / "state.json"
    bad.write_text("{", encoding="utf-8")
    result = hactl(["--pacemaker-cib", str(cib), "--state", str(bad), "--node-down", "n9"])
    assert_clean_failure(result)
    assert "[STATE_BAD_JSON]" in result.output
    assert "[UNKNOWN_NODE]" in result.output


@tier0
def test_missing_cib_file_is_an_error(tmp_path: Path) -> None:
    result = hactl(["--pacemaker-cib", str(tmp_path / "cib.xml")])
    assert_clean_failure(result)
    assert "cannot read the cib file: No such file or directory" in result.output


@tier0
def test_broken_cib_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "cib.xml"
    broken.write_text("<cib><configuration>", encoding="utf-8")
    result = hactl(["--pacemaker-cib", str(broken)])
    assert_clean_failure(result)
    assert "error" in result.output


@tier0
def test_state_warnings_go_to_stderr_and_output_stays_json(cib: Path, tmp_path: Path) -> None:
    partial = tmp_path / "state.json"
    partial.write_text(json.dumps({"nodes": [{"name": "n1"}, {"name": "n2"}]}),
                       encoding="utf-8")
    result = hactl(["--pacemaker-cib", str(cib), "--state", str(partial), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "node 'n3' is in the configuration but not in the state" in result.stderr
    assert json.loads(result.stdout)["fence"] == []


# --- YAML configuration ------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "examples" / "demo" / "cluster.yaml"
DEMO_STATE = REPO / "examples" / "demo" / "state.json"


def demo_without_stonith(tmp_path: Path) -> Path:
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    assert "stonith-enabled: true" in text
    path = tmp_path / "no-stonith.yaml"
    path.write_text(text.replace("stonith-enabled: true", "stonith-enabled: false"),
                    encoding="utf-8")
    return path


@tier0
def test_demo_node_down_is_unclean_with_stonith_and_clean_without(tmp_path: Path) -> None:
    scheduler = RecordingScheduler()
    result = hactl([str(DEMO_CONFIG), "--state", str(DEMO_STATE), "--node-down", "n1"],
                   scheduler)
    assert result.exit_code == 0, result.output
    assert scheduler.states[0].node("n1") == NodeState("n1", online=False, unclean=True)
    result = hactl([str(demo_without_stonith(tmp_path)), "--state", str(DEMO_STATE),
                    "--node-down", "n1"], scheduler)
    assert result.exit_code == 0, result.output
    state = scheduler.states[1]
    assert state.node("n1") == NodeState("n1", online=False, unclean=False)
    assert ResourceInstance("vip", "n1") in state.resources
    assert state.quorate


@tier0
def test_without_state_the_scheduler_sees_a_fresh_cluster_at_the_current_time() -> None:
    scheduler = RecordingScheduler()
    result = hactl([str(DEMO_CONFIG)], scheduler)
    assert result.exit_code == 0, result.output
    [state] = scheduler.states
    assert [n.name for n in state.nodes if n.online] == ["n1", "n2", "n3"]
    assert state.resources == ()
    assert state.now == 500.0


@tier0
def test_configuration_warnings_go_to_stderr(tmp_path: Path) -> None:
    result = hactl([str(demo_without_stonith(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "CONFIG_STONITH_DISABLED" in result.stderr
    assert "CONFIG_STONITH_DISABLED" not in result.stdout


@tier0
def test_missing_configuration_file_is_an_error(tmp_path: Path) -> None:
    result = hactl([str(tmp_path / "cluster.yaml")])
    assert_clean_failure(result)
    assert "cannot read the configuration" in result.output


@tier0
def test_broken_configuration_is_reported_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "cluster.yaml"
    broken.write_text("cluster:\n  name: demo\nnodes:\n  - name: n1\n    wieght: 3\n",
                      encoding="utf-8")
    result = hactl([str(broken), "--node-down", "n1"])
    assert_clean_failure(result)
    assert f"{broken}:5:" in result.output


@tier0
def test_configuration_errors_stop_before_the_events_are_checked(tmp_path: Path) -> None:
    broken = tmp_path / "cluster.yaml"
    broken.write_text("cluster: [\n", encoding="utf-8")
    result = hactl([str(broken), "--node-down", "n9"])
    assert_clean_failure(result)
    assert "UNKNOWN_NODE" not in result.output


# --- end to end, with the real scheduler ---------------------------------------------------


def real_hactl(args: Sequence[str]) -> Result:
    return CliRunner().invoke(cli, ["simulate", *args])


def demo_json(*events: str) -> dict[str, Any]:
    result = real_hactl([str(DEMO_CONFIG), "--state", str(DEMO_STATE), "--format", "json",
                         *events])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@tier0
def test_demo_as_it_is_keeps_web_on_n1_and_changes_nothing() -> None:
    data = demo_json()
    assert data["placement"] == {
        "vip": "n1", "haproxy": "n1",
        "backend-clone": [{"node": "n1", "role": "Started"}, {"node": "n2", "role": "Started"}]}
    assert data["actions"] == []
    assert data["fence"] == []


@tier0
def test_demo_node_down_n1_fences_it_and_moves_the_web_group_to_n2() -> None:
    data = demo_json("--node-down", "n1")
    assert (data["placement"]["vip"], data["placement"]["haproxy"]) == ("n2", "n2")
    web = [a for a in data["actions"] if a["resource"] in ("vip", "haproxy")]
    assert [(a["resource"], a["action"], a["from"], a["to"]) for a in web] == [
        ("vip", "move", "n1", "n2"), ("haproxy", "move", "n1", "n2")]
    assert all(a["reason"] for a in data["actions"])
    assert data["fence"] == ["n1"]


@tier0
def test_demo_node_down_n1_text_reports_the_move_with_reasons() -> None:
    result = real_hactl([str(DEMO_CONFIG), "--state", str(DEMO_STATE), "--node-down", "n1"])
    assert result.exit_code == 0, result.output
    summary = result.stdout.split("Transition Summary:")[1].split("\n\n")[0]
    vip = next(line for line in summary.splitlines() if " vip " in line)
    assert "n2 )" in vip
    assert "because " in vip
    revised = result.stdout.split("Revised Cluster Status:")[1]
    assert "* OFFLINE: [ n1 ]" in revised
    assert "Started n2" in revised


@tier0
def test_demo_three_failures_reach_the_migration_threshold_and_move_web() -> None:
    once = demo_json("--fail", "vip:n1")
    assert once["placement"]["vip"] == "n1"
    assert once["actions"][0]["action"] == "recover"
    thrice = demo_json("--fail", "vip:n1", "--fail", "vip:n1", "--fail", "vip:n1")
    assert thrice["placement"]["vip"] == "n2"


@tier0
def test_demo_standby_n2_moves_its_backend_to_n3() -> None:
    data = demo_json("--standby", "n2")
    assert data["placement"]["backend-clone"] == [
        {"node": "n1", "role": "Started"}, {"node": "n3", "role": "Started"}]


@tier0
def test_demo_losing_two_nodes_loses_quorum_and_stops_everything() -> None:
    data = demo_json("--node-down", "n1", "--node-down", "n2")
    assert data["placement"] == {"vip": None, "haproxy": None, "backend-clone": []}
    assert any("no quorum" in note for note in data["notes"])


@tier0
def test_demo_scores_show_why_n3_cannot_run_web() -> None:
    scores = demo_json("--scores")["scores"]
    assert scores["web"]["n3"]["total"] == -INFINITY
    assert {"source": "location web-prefers-n1", "score": 50} in scores["web"]["n1"]["parts"]


@tier0
def test_demo_script_command_prints_every_section() -> None:
    result = real_hactl([str(DEMO_CONFIG), "--state", str(DEMO_STATE), "--node-down", "n1",
                         "--scores"])
    assert result.exit_code == 0, result.output
    titles = [line for line in result.stdout.splitlines() if line and not line[0].isspace()]
    assert titles == ["Current cluster status:", "Performing Requested Modifications:",
                      "Allocation Scores:", "Transition Summary:", "Notes:", "Actions:",
                      "Revised Cluster Status:"]


# --- any cluster the scheduler can be given ------------------------------------------------

Inputs = tuple[ClusterConfig, ClusterState]


@tier0
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cluster_inputs())
def test_any_transition_renders_with_every_reason(inputs: Inputs) -> None:
    config, state = inputs
    transition = schedule(config, state)
    text = render_text(Simulation(config, state, state, transition, show_scores=True))
    reasons = [c.reason for c in transition.changes] + [a.reason for a in transition.actions]
    for reason in reasons:
        assert reason_clause(reason) in text
    for note in transition.notes:
        assert f"  * {note}\n" in text
    assert text.count("Full List of Resources:") == 2


@tier0
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cluster_inputs())
def test_any_transition_gives_the_documented_json(inputs: Inputs) -> None:
    config, state = inputs
    transition = schedule(config, state)
    data = json.loads(json.dumps(transition_json(config, transition, show_scores=True)))
    clones = {r.id for r in config.resources if isinstance(r, Clone)}
    singles = {p.id for p in config.primitives()} - {
        p.id for r in config.resources if isinstance(r, Clone) for p in _clone_primitives(r)}
    assert set(data["placement"]) == clones | singles
    for rid in clones:
        nodes = [i["node"] for i in data["placement"][rid]]
        assert nodes == sorted(set(nodes))
        assert {i["role"] for i in data["placement"][rid]} <= {"Started", "Promoted", "Unpromoted"}
    assert len(data["actions"]) == len(transition.changes)
    assert data["fence"] == list(transition.fenced)


def _clone_primitives(clone: Clone) -> tuple[Primitive, ...]:
    return clone.child.members if isinstance(clone.child, Group) else (clone.child,)
