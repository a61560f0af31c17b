"""Every ``hactl`` command against a real 3-node cluster in network namespaces.

``hactl`` runs as a separate process, as an operator runs it, against one node's agent
(``--socket``), or from the client namespace over TLS (``--endpoint``). Resources are
``ocf:heartbeat:Dummy``; ``broken`` cannot start anywhere (its state file cannot be
written), to see a failed transition.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hafailover.lab.cluster import CLIENT, Lab, LabSpec, Statuses, holders

pytestmark = pytest.mark.tier1

PEER_PORT = 7405  # the configuration's default peer.port
RESOURCES = """\
properties: {stonith-enabled: false}
resource-defaults: {resource-stickiness: 100}
resources:
  - group: web
    members:
      - primitive: ip
        agent: ocf:heartbeat:Dummy
        operations: [{name: monitor, interval: 1s, timeout: 10s}]
      - primitive: proxy
        agent: ocf:heartbeat:Dummy
        operations: [{name: monitor, interval: 1s, timeout: 10s}]
  - primitive: db
    agent: ocf:heartbeat:Dummy
    operations: [{name: monitor, interval: 1s, timeout: 10s}]
  - primitive: broken
    agent: ocf:heartbeat:Dummy
    params: {state: /proc/hafailover-no-such-dir/broken.state}
    meta: {target-role: Stopped}
"""
EXTRA = """\
  - primitive: extra
    agent: ocf:heartbeat:Dummy
    operations: [{name: monitor, interval: 1s, timeout: 10s}]
"""


def hactl(lab: Lab | None, node: str, *args: str,
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``hactl ARGS --socket <node's socket>`` as a separate process (no --socket
    without a lab)."""
    socket = ["--socket", str(lab.control_socket(node))] if lab is not None else []
    return subprocess.run(
        [sys.executable, "-m", "hafailover.cli.hactl", *args, *socket],
        capture_output=True, text=True, timeout=timeout, check=False,
        stdin=subprocess.DEVNULL)


def ok(result: subprocess.CompletedProcess[str], code: int = 0) -> str:
    assert result.returncode == code, (
        f"exit {result.returncode}, expected {code}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}")
    assert "Traceback" not in result.stderr
    return result.stdout


def flat(text: str) -> str:
    """The text with each run of spaces made one (columns are aligned with spaces)."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def local(statuses: Statuses) -> dict[str, list[str]]:
    return {node: sorted(r["resource"] for r in s["resources"]["local"])
            for node, s in statuses.items() if s is not None}


def coordinator_part(lab: Lab) -> dict[str, Any]:
    part: dict[str, Any] = lab.status("n1")["cluster_status"]
    return part


def settled(lab: Lab) -> str:
    """Wait until web runs on one node, db runs, nothing is left to do; web's node."""
    def check(statuses: Statuses) -> bool:
        if any(s is None for s in statuses.values()):
            return False
        where = local(statuses)
        web = [n for n, names in where.items() if "ip" in names and "proxy" in names]
        dbs = [n for n, names in where.items() if "db" in names]
        part = statuses["n1"]["cluster_status"] if statuses["n1"] else None
        return (len(web) == 1 and len(dbs) == 1 and part is not None
                and part["transition"]["idle"])
    statuses = lab.wait_until(check, what="web and db running, the cluster idle",
                              timeout=25)
    return next(n for n, names in local(statuses).items() if "ip" in names)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = LabSpec(prefix="thc", subnet=110, extra_yaml=RESOURCES)
    with Lab(spec, tmp_path_factory.mktemp("hactl")) as lab, lab.agents_running():
        yield lab


@pytest.fixture()
def cluster(lab: Lab) -> Lab:
    lab.heal()
    lab.start_stopped()
    lab.wait_until(lambda s: all(x is not None and len(x["view"]["members"]) == 3
                                 for x in s.values()), what="every node a member", timeout=25)
    settled(lab)
    return lab


def other_than(lab: Lab, node: str) -> str:
    return next(n for n in lab.node_names if n != node)


# --- status -----------------------------------------------------------------------------


def test_status_shows_quorum_detection_nodes_and_folded_resources(cluster: Lab) -> None:
    holder = settled(cluster)
    text = flat(ok(hactl(cluster, "n2", "status")))
    assert "Cluster lab" in text and "as seen from n2" in text
    assert "Quorum: yes, 3 of 3 expected votes" in text
    assert "Coordinator: n1" in text
    assert "declared lost within 850ms" in text
    assert "n2 online (this node) links: ring0 local" in text
    assert "n3 online links: ring0 up" in text
    assert f"web group of 2 Started {holder} (ip, proxy)" in text
    assert "broken ocf:heartbeat:Dummy Stopped (target-role Stopped)" in text
    assert "Recent events" in text


def test_status_json_is_the_status_document(cluster: Lab) -> None:
    document = json.loads(ok(hactl(cluster, "n3", "status", "--format", "json")))
    assert document["format"] == 1
    assert document["node"] == "n3"
    assert document["view"]["coordinator"] == "n1"
    assert {t["id"] for t in document["cluster_status"]["resource_tree"]} == \
        {"web", "db", "broken"}


# --- move, ban, clear ---------------------------------------------------------------------


def test_move_with_wait_runs_it_there_and_then_drops_its_constraint(cluster: Lab) -> None:
    target = other_than(cluster, settled(cluster))
    out = ok(hactl(cluster, "n2", "move", "web", target, "--wait", "30"))
    assert f"Done: move web to {target}" in out
    assert "The cluster will now:" in out or "nothing to do" in out
    assert "Settled after" in out
    statuses = cluster.statuses()
    assert holders(statuses, "ip") == [target] and holders(statuses, "proxy") == [target]
    cluster.wait_until(lambda s: s["n1"] is not None
                       and not s["n1"]["cluster_status"]["constraints"],
                       nodes=["n1"], what="the move constraint removed", timeout=10)
    assert "Constraints from move/ban" not in ok(hactl(cluster, "n1", "status"))


def test_a_kept_move_shows_in_status_until_clear_removes_it(cluster: Lab) -> None:
    target = other_than(cluster, settled(cluster))
    ok(hactl(cluster, "n3", "move", "web", target, "--keep", "--wait", "30"))
    text = flat(ok(hactl(cluster, "n1", "status")))
    assert "1 move/ban constraint still in force (web)" in text
    assert f"cli-prefer-web web prefers {target} until cleared" in text

    out = ok(hactl(cluster, "n1", "clear", "web", "--wait", "30"))
    assert "Done: clear the move/ban constraints of web" in out
    assert coordinator_part(cluster)["constraints"] == []
    assert "still in force" not in ok(hactl(cluster, "n1", "status"))


def test_ban_keeps_it_off_the_node_and_says_so_in_json(cluster: Lab) -> None:
    holder = settled(cluster)
    reply = json.loads(ok(hactl(cluster, "n2", "ban", "web", holder, "--wait", "30",
                                "--format", "json")))
    assert reply["ok"] is True and reply["message"].startswith(f"ban web from {holder}")
    assert reply["consequences"]  # what the cluster will do, in words
    assert reply["wait"]["complete"] is True and reply["wait"]["failed"] is False
    assert holder not in holders(cluster.statuses(), "ip")
    text = ok(hactl(cluster, "n2", "status"))
    assert f"web is banned from {holder}" in text
    ok(hactl(cluster, "n2", "clear", "web", "--wait", "30"))
    assert coordinator_part(cluster)["constraints"] == []


def test_a_timed_out_wait_exits_4(cluster: Lab) -> None:
    target = other_than(cluster, settled(cluster))
    result = hactl(cluster, "n1", "move", "web", target, "--wait", "0.01")
    ok(result, code=4)
    assert "has not settled after 0.01s" in result.stderr
    settled(cluster)


def test_an_unknown_resource_or_node_is_refused_with_a_suggestion(cluster: Lab) -> None:
    result = hactl(cluster, "n2", "move", "wbe", "n3")
    ok(result, code=1)
    assert "no resource 'wbe' in this cluster; did you mean 'web'?" in result.stderr
    result = hactl(cluster, "n2", "standby", "n4")
    ok(result, code=1)
    assert "no node 'n4'" in result.stderr


# --- nodes --------------------------------------------------------------------------------


def test_standby_empties_the_node_and_unstandby_lets_it_run_again(cluster: Lab) -> None:
    holder = settled(cluster)
    out = ok(hactl(cluster, "n1", "standby", holder, "--wait", "30"))
    assert f"Done: standby {holder}" in out
    assert holder not in holders(cluster.statuses(), "ip")
    text = flat(ok(hactl(cluster, "n1", "status")).replace(" (this node)", ""))
    assert f"{holder} online, standby links:" in text
    ok(hactl(cluster, "n1", "unstandby", holder, "--wait", "30"))
    assert not any(n["standby"] for n in cluster.status("n1")["nodes"])


def test_maintenance_on_and_off_for_a_node_and_the_cluster(cluster: Lab) -> None:
    ok(hactl(cluster, "n2", "maintenance", "on", "--node", "n3", "--wait", "30"))
    assert "n3 online, maintenance links:" in flat(ok(hactl(cluster, "n2", "status")))
    assert next(n for n in cluster.status("n2")["nodes"] if n["name"] == "n3")["maintenance"]
    ok(hactl(cluster, "n2", "maintenance", "off", "--node", "n3", "--wait", "30"))
    ok(hactl(cluster, "n2", "maintenance", "on", "--wait", "30"))
    assert "maintenance mode is on for the whole cluster" in ok(hactl(cluster, "n2", "status"))
    ok(hactl(cluster, "n2", "maintenance", "off", "--wait", "30"))
    assert coordinator_part(cluster)["maintenance_mode"] is False


# --- start, stop, cleanup -----------------------------------------------------------------


def test_stop_and_start_with_wait(cluster: Lab) -> None:
    out = ok(hactl(cluster, "n3", "stop", "db", "--wait", "30"))
    assert "Done: stop db (target-role Stopped)" in out
    assert holders(cluster.statuses(), "db") == []
    assert "Stopped (target-role Stopped)" in ok(hactl(cluster, "n3", "status"))
    out = ok(hactl(cluster, "n3", "start", "db", "--wait", "30"))
    assert "Done: start db (target-role Started)" in out
    assert len(holders(cluster.statuses(), "db")) == 1


def test_a_failed_start_exits_5_and_cleanup_forgets_it(cluster: Lab) -> None:
    result = hactl(cluster, "n1", "start", "broken", "--wait", "40")
    ok(result, code=5)
    assert "the transition failed" in result.stderr and "start broken on" in result.stderr
    text = flat(ok(hactl(cluster, "n1", "status")))
    assert "Failed actions" in text and "broken start on" in text
    assert "Fail counts" in text
    ok(hactl(cluster, "n1", "stop", "broken", "--wait", "30"))
    out = ok(hactl(cluster, "n1", "cleanup", "broken", "--wait", "30"))
    assert "Done: cleanup broken" in out
    part = coordinator_part(cluster)
    assert not [f for f in part["failed_actions"] if f["resource"] == "broken"]
    assert not [f for f in part["fail_counts"] if f["resource"] == "broken"]


# --- configuration ------------------------------------------------------------------------


def test_config_show_prints_the_running_configuration(cluster: Lab) -> None:
    assert ok(hactl(cluster, "n2", "config", "show")) == cluster.config_path.read_text()


def test_config_validate_reports_errors_with_their_line(cluster: Lab) -> None:
    good = cluster.config_path
    assert "valid" in ok(hactl(None, "", "config", "validate", str(good)))
    bad = good.parent / "bad.yaml"
    bad.write_text(good.read_text() + "  - primitive: web\n    agent: ocf:heartbeat:Dummy\n")
    result = hactl(None, "", "config", "validate", str(bad))
    ok(result, code=1)
    assert "bad.yaml" in result.stdout and "web" in result.stdout


def test_config_apply_of_a_file_with_an_error_changes_nothing_anywhere(cluster: Lab) -> None:
    before = {n: (s["state"]["version"], s["state"]["digest"])
              for n, s in cluster.statuses().items() if s}
    bad = cluster.config_path.parent / "broken.yaml"
    bad.write_text(cluster.config_path.read_text() + EXTRA
                   + "    meta: {resource-stickiness: lots}\n")
    result = hactl(cluster, "n3", "config", "apply", str(bad), "--force")
    ok(result, code=1)
    assert "nothing was applied" in result.stderr
    assert "resource-stickiness" in result.stdout
    time.sleep(0.5)
    after = {n: (s["state"]["version"], s["state"]["digest"])
             for n, s in cluster.statuses().items() if s}
    assert after == before and len(after) == 3
    assert holders(cluster.statuses(), "extra") == []


def _actions(lab: Lab, node: str, since: int) -> list[dict[str, Any]]:
    return [r for r in lab.log_records(node)[since:] if r.get("action")]


def test_config_apply_adding_a_resource_leaves_the_running_ones_untouched(
        cluster: Lab) -> None:
    settled(cluster)
    original = cluster.config_path.read_text()
    marks = {n: len(cluster.log_records(n)) for n in cluster.node_names}
    new = cluster.config_path.parent / "with-extra.yaml"
    new.write_text(original + EXTRA)

    dry = ok(hactl(cluster, "n2", "config", "apply", str(new), "--dry-run"))
    assert "+  - primitive: extra" in dry and "Start extra" in dry
    out = ok(hactl(cluster, "n2", "config", "apply", str(new), "--force", "--wait", "30"))
    assert "Done: configuration from" in out and "Start extra" in out
    assert len(holders(cluster.statuses(), "extra")) == 1
    time.sleep(2.5)  # a few monitor intervals of the running resources

    others = {"ip", "proxy", "db"}
    for node in cluster.node_names:
        for record in _actions(cluster, node, marks[node]):
            if record.get("resource") not in others:
                continue
            assert record["action"] == "monitor", f"{node}: {record}"
            assert record.get("rc") in (0, None) and record.get("status", "ok") == "ok", \
                f"{node}: a monitor failed: {record}"
    versions = {s["state"]["digest"] for s in cluster.statuses().values() if s}
    assert len(versions) == 1

    # stopped first: the agent cannot stop a resource no longer in the configuration
    ok(hactl(cluster, "n2", "stop", "extra", "--wait", "30"))
    new.write_text(original)
    ok(hactl(cluster, "n2", "config", "apply", str(new), "--force", "--wait", "30"))
    assert holders(cluster.statuses(), "extra") == []


# --- events, simulate, TLS ----------------------------------------------------------------


def test_events_show_the_history_and_follow_new_ones(cluster: Lab) -> None:
    text = ok(hactl(cluster, "n1", "events"))
    assert "transition" in text and "start ip on" in text
    since = time.time()
    follower = subprocess.Popen(
        [sys.executable, "-m", "hafailover.cli.hactl", "events", "--follow", "--since",
         str(since), "--format", "json", "--socket", str(cluster.control_socket("n1"))],
        stdout=subprocess.PIPE, text=True)
    try:
        ok(hactl(cluster, "n2", "cleanup", "db"))
        assert follower.stdout is not None
        deadline = time.monotonic() + 10
        seen = []
        while time.monotonic() < deadline:
            event = json.loads(follower.stdout.readline())
            seen.append(event)
            if event["kind"] == "command":
                break
        assert seen[-1]["kind"] == "command" and "cleanup db" in seen[-1]["message"]
    finally:
        follower.terminate()
        follower.wait(timeout=5)


def test_simulate_without_a_file_uses_the_live_cluster(cluster: Lab) -> None:
    holder = settled(cluster)
    out = ok(hactl(cluster, "n3", "simulate", "--node-down", holder))
    text = flat(out)
    assert f"* ip (ocf:heartbeat:Dummy): Started {holder}" in text  # as it runs now
    assert f"OFFLINE: [ {holder} ]" in text
    assert "* Start ip (" in text and "* Start proxy (" in text
    plan = json.loads(ok(hactl(cluster, "n3", "simulate", "--node-down", holder,
                               "--format", "json")))
    assert plan  # the transition as JSON
    assert holders(cluster.statuses(), "ip") == [holder]  # nothing was changed


def test_status_over_tls_from_an_admin_host(cluster: Lab) -> None:
    result = cluster.netns(CLIENT).run(
        [sys.executable, "-m", "hafailover.cli.hactl", "status", "--format", "json",
         "--endpoint", f"{cluster.address('n2')}:{PEER_PORT}",
         "--key-dir", str(cluster.key_dir)], check=False)
    ok(result)
    assert json.loads(result.stdout)["node"] == "n2"
