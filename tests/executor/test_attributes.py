"""The crm_attribute / crm_master stand-ins that keep the promotion scores of OCF agents,
and what the coordinator makes of the scores the agents report.

The pure parts (reading a score, installing, ClusterResources) are tier0; running the
stand-in shell scripts, and ocf-shellfuncs' ocf_promotion_score, starts processes: tier1.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hafailover.agent.cluster_resources import ClusterResources
from hafailover.config.model import Role
from hafailover.executor import attributes
from hafailover.v1 import peer_pb2

SHELLFUNCS = Path("/usr/lib/ocf/lib/heartbeat/ocf-shellfuncs")

tier0 = pytest.mark.tier0
tier1 = pytest.mark.tier1


class StandIns:
    """The stand-ins installed in a temporary directory, run as agent db:1 would."""

    def __init__(self, root: Path) -> None:
        self.sbin = root / "sbin"
        self.dir = root / "attributes"
        attributes.install(self.sbin, self.dir)

    def env(self, instance: str = "db:1") -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "OCF_RESOURCE_INSTANCE": instance,
                "HAFAILOVER_ATTRIBUTE_DIR": str(self.dir)}

    def run(self, command: str, *args: str,
            instance: str = "db:1") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.sbin / command), *args], env=self.env(instance),
                              capture_output=True, text=True, timeout=10, check=False)

    def file(self, primitive: str = "db") -> Path:
        return self.dir / f"master-{primitive}"


@pytest.fixture()
def stand_ins(tmp_path: Path) -> StandIns:
    return StandIns(tmp_path)


# --- the stand-ins, run for real --------------------------------------------------------


@tier1
def test_install_writes_both_commands_executable(stand_ins: StandIns) -> None:
    for command in attributes.COMMANDS:
        path = stand_ins.sbin / command
        assert path.read_text() == attributes.STAND_IN
        assert os.access(path, os.X_OK)
    assert stand_ins.dir.is_dir() and not list(stand_ins.dir.iterdir())
    assert not list(stand_ins.sbin.glob("*.tmp"))


@tier1
def test_crm_attribute_p_sets_the_score_of_the_primitive_not_of_the_copy(
        stand_ins: StandIns) -> None:
    done = stand_ins.run("crm_attribute", "-p", "-v", "100")
    assert done.returncode == 0, done.stderr
    assert stand_ins.file().read_text() == "100\n"
    assert attributes.promotion_score(stand_ins.dir, "db") == "100"
    assert [p.name for p in stand_ins.dir.iterdir()] == ["master-db"]  # no temporary left


@tier1
def test_crm_master_l_reboot_overwrites_the_score(stand_ins: StandIns) -> None:
    assert stand_ins.run("crm_attribute", "-p", "-v", "100").returncode == 0
    done = stand_ins.run("crm_master", "-l", "reboot", "-v", "1000")
    assert done.returncode == 0, done.stderr
    assert attributes.promotion_score(stand_ins.dir, "db") == "1000"


@tier1
def test_long_promotion_option_as_the_stateful_agent_uses_it(stand_ins: StandIns) -> None:
    done = stand_ins.run("crm_attribute", "--promotion", "-v", "5")
    assert done.returncode == 0, done.stderr
    assert attributes.promotion_score(stand_ins.dir, "db") == "5"


@tier1
def test_a_resource_that_is_not_a_clone_copy_keeps_its_own_name(stand_ins: StandIns) -> None:
    assert stand_ins.run("crm_attribute", "-p", "-v", "7", instance="web").returncode == 0
    assert attributes.promotion_score(stand_ins.dir, "web") == "7"


@pytest.mark.parametrize("score", ["INFINITY", "-INFINITY", "+INFINITY", "-5", "0"])
@tier1
def test_scores_pacemaker_accepts_are_kept(stand_ins: StandIns, score: str) -> None:
    assert stand_ins.run("crm_attribute", "-p", "-v", score).returncode == 0
    assert attributes.promotion_score(stand_ins.dir, "db") == score


@tier1
def test_query_prints_the_value_quietly_or_as_crm_attribute_does(stand_ins: StandIns) -> None:
    assert stand_ins.run("crm_master", "-l", "reboot", "-v", "42").returncode == 0
    quiet = stand_ins.run("crm_attribute", "-p", "-G", "-q")
    assert (quiet.returncode, quiet.stdout) == (0, "42\n")
    master = stand_ins.run("crm_master", "-l", "reboot", "-G", "-q")
    assert (master.returncode, master.stdout) == (0, "42\n")
    loud = stand_ins.run("crm_attribute", "--promotion", "--query")
    assert loud.returncode == 0
    assert "name=master-db" in loud.stdout and "value=42" in loud.stdout


@tier1
def test_delete_removes_the_score_and_a_query_then_exits_105(stand_ins: StandIns) -> None:
    assert stand_ins.run("crm_attribute", "-p", "-v", "100").returncode == 0
    done = stand_ins.run("crm_attribute", "--promotion", "-D")
    assert done.returncode == 0, done.stderr
    assert not stand_ins.file().exists()
    assert attributes.promotion_score(stand_ins.dir, "db") == ""
    query = stand_ins.run("crm_attribute", "-p", "-G", "-q")
    assert query.returncode == 105
    assert query.stdout == "" and "No such device or address" in query.stderr
    again = stand_ins.run("crm_master", "-l", "reboot", "-D")  # deleting twice is fine
    assert again.returncode == 0, again.stderr


@tier1
def test_another_attribute_than_a_promotion_score_is_refused(stand_ins: StandIns) -> None:
    done = stand_ins.run("crm_attribute", "-n", "foo", "-v", "1")
    assert done.returncode != 0
    assert "crm_attribute" in done.stderr and "promotion scores" in done.stderr
    assert not list(stand_ins.dir.iterdir())


@tier1
def test_a_name_with_a_slash_is_refused(stand_ins: StandIns) -> None:
    done = stand_ins.run("crm_attribute", "-n", "master-../../x", "-v", "1")
    assert done.returncode != 0 and "bad name" in done.stderr
    assert not (stand_ins.dir.parent / "x").exists()


@pytest.mark.parametrize("value", ["high", "", "-", "INFINITYx", "1e3", "5abc", "12.5",
                                   "9999999999"])
@tier1
def test_a_value_that_is_not_a_score_is_refused(stand_ins: StandIns, value: str) -> None:
    assert stand_ins.run("crm_attribute", "-p", "-v", "10").returncode == 0
    done = stand_ins.run("crm_attribute", "-p", "-v", value)
    assert done.returncode != 0
    assert "is not a score" in done.stderr
    assert attributes.promotion_score(stand_ins.dir, "db") == "10"  # unchanged


@tier1
def test_without_the_attribute_directory_the_stand_in_fails_loudly(
        stand_ins: StandIns) -> None:
    env = stand_ins.env()
    del env["HAFAILOVER_ATTRIBUTE_DIR"]
    done = subprocess.run([str(stand_ins.sbin / "crm_attribute"), "-p", "-v", "1"], env=env,
                          capture_output=True, text=True, timeout=10, check=False)
    assert done.returncode != 0 and "HAFAILOVER_ATTRIBUTE_DIR" in done.stderr


@tier1
@pytest.mark.skipif(not SHELLFUNCS.is_file(), reason="resource-agents is not installed")
@pytest.mark.parametrize("feature_set", ["", "3.19.0"])
def test_ocf_promotion_score_of_ocf_shellfuncs_reaches_the_stand_ins(
        stand_ins: StandIns, tmp_path: Path, feature_set: str) -> None:
    # the two paths of ocf_promotion_score: crm_attribute -p (crm_feature_set >= 3.10.0,
    # or no crm_master on PATH), or crm_master -l reboot
    script = tmp_path / "agent.sh"
    script.write_text(f". {SHELLFUNCS}\nocf_promotion_score -v 42\n"
                      "ocf_promotion_score -G -q\n")
    env = stand_ins.env() | {"HA_SBIN_DIR": str(stand_ins.sbin),
                             "OCF_ROOT": str(SHELLFUNCS.parents[2]),
                             "OCF_RESKEY_crm_feature_set": feature_set}
    done = subprocess.run(["/bin/sh", str(script)], env=env, capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert stand_ins.file().read_text() == "42\n"
    assert done.stdout.strip().splitlines()[-1] == "42"


# --- reading the scores, installing (pure) ----------------------------------------------


@tier0
@pytest.mark.parametrize("text", ["garbage\n", "", "12.5\n", "1 2\n", "99999999999\n"])
def test_promotion_score_ignores_what_is_not_a_score(tmp_path: Path, text: str) -> None:
    (tmp_path / "master-db").write_text(text)
    assert attributes.promotion_score(tmp_path, "db") == ""


@tier0
def test_promotion_score_of_a_missing_file_or_directory_is_empty(tmp_path: Path) -> None:
    assert attributes.promotion_score(tmp_path, "db") == ""
    assert attributes.promotion_score(tmp_path / "nowhere", "db") == ""
    (tmp_path / "master-bin").write_bytes(b"\xff\xfe\n")
    assert attributes.promotion_score(tmp_path, "bin") == ""


@tier0
@pytest.mark.parametrize("text", ["100\n", " -INFINITY \n", "+7"])
def test_promotion_score_reads_a_score(tmp_path: Path, text: str) -> None:
    (tmp_path / "master-db").write_text(text)
    assert attributes.promotion_score(tmp_path, "db") == text.strip()


@tier0
def test_install_clears_the_scores_of_a_previous_run(tmp_path: Path) -> None:
    sbin, scores = tmp_path / "sbin", tmp_path / "attributes"
    attributes.install(sbin, scores)
    (scores / "master-db").write_text("100\n")
    (sbin / "crm_attribute").write_text("old\n")
    attributes.install(sbin, scores)
    assert scores.is_dir() and not list(scores.iterdir())
    assert attributes.promotion_score(scores, "db") == ""
    assert (sbin / "crm_attribute").read_text() == attributes.STAND_IN


# --- the coordinator's view of the scores (pure) ----------------------------------------


def status(resource: str, role: str, score: str = "") -> peer_pb2.ResourceStatus:
    return peer_pb2.ResourceStatus(resource=resource, role=role, promotion_score=score)


def result(action: str, role: str, score: str = "", node: str = "n1",
           status: str = "ok") -> peer_pb2.ActionResult:
    return peer_pb2.ActionResult(node=node, resource="db", action=action, status=status,
                                 role=role, promotion_score=score)


@tier0
def test_a_node_report_carries_its_scores_to_the_promotion_attributes() -> None:
    resources = ClusterResources()
    resources.replace_node("n1", [status("db", "Unpromoted", "5"), status("web", "Started")])
    resources.replace_node("n2", [status("db", "Promoted", "10")])
    assert resources.promotion_attributes("n1") == {"master-db": "5"}
    assert resources.promotion_attributes("n2") == {"master-db": "10"}
    assert resources.promotion_attributes("n3") == {}
    assert {(i.node, i.resource, i.role) for i in resources.all()} == {
        ("n1", "db", Role.UNPROMOTED), ("n1", "web", Role.STARTED),
        ("n2", "db", Role.PROMOTED)}


@tier0
def test_a_new_report_of_a_node_replaces_its_scores() -> None:
    resources = ClusterResources()
    resources.replace_node("n1", [status("db", "Unpromoted", "5")])
    resources.replace_node("n1", [status("db", "Unpromoted")])  # the agent deleted it
    assert resources.promotion_attributes("n1") == {}
    resources.replace_node("n1", [status("db", "Promoted", "10")])
    resources.replace_node("n1", [])
    assert resources.promotion_attributes("n1") == {} and resources.all() == ()


@tier0
def test_action_results_set_change_and_drop_the_score() -> None:
    resources = ClusterResources()
    resources.update(result("start", "Unpromoted", "5"))
    assert resources.promotion_attributes("n1") == {"master-db": "5"}
    resources.update(result("promote", "Promoted", "10"))
    assert resources.promotion_attributes("n1") == {"master-db": "10"}
    resources.update(result("monitor", "Promoted"))  # no score reported: none any more
    assert resources.promotion_attributes("n1") == {}
    resources.update(result("demote", "Unpromoted", "5"))
    resources.update(result("stop", "Stopped"))
    assert resources.promotion_attributes("n1") == {} and resources.all() == ()


@tier0
def test_results_of_one_node_leave_the_scores_of_the_others_alone() -> None:
    resources = ClusterResources()
    resources.replace_node("n2", [status("db", "Promoted", "10")])
    resources.update(result("start", "Unpromoted", "5", node="n1"))
    resources.update(result("stop", "Stopped", node="n1"))
    assert resources.promotion_attributes("n2") == {"master-db": "10"}
    assert resources.promotion_attributes("n1") == {}


@tier0
def test_forgetting_a_node_forgets_its_scores() -> None:
    resources = ClusterResources()
    resources.replace_node("n1", [status("db", "Promoted", "10")])
    resources.replace_node("n2", [status("db", "Unpromoted", "5")])
    resources.forget("n1")
    assert resources.promotion_attributes("n1") == {}
    assert resources.promotion_attributes("n2") == {"master-db": "5"}
    assert [i.node for i in resources.all()] == ["n2"]
    resources.forget("n1")  # twice is fine
