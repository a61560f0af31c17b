"""The text layout of ``hactl status`` on fixed status documents (golden files).

Regenerate after an intended change with ``HAFAILOVER_UPDATE_GOLDEN=1 pytest
tests/cli/test_status_text.py`` and review the diff.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from hafailover.cli.status_text import duration, render_status

pytestmark = pytest.mark.tier0

GOLDEN = Path(__file__).parent / "golden"
NOW = 1_800_000_000.0


def _node(name: str, node_id: int, **fields: Any) -> dict[str, Any]:
    entry = {"name": name, "id": node_id, "votes": 1, "member": True, "standby": False,
             "maintenance": False, "state": "online", "links": {"ring0": "up", "ring1": "up"},
             "last_heard_ms": 40}
    entry.update(fields)
    return entry


def _instance(resource: str, node: str, role: str = "Started", failed: bool = False,
              blocked: bool = False) -> dict[str, Any]:
    return {"resource": resource, "node": node, "role": role, "failed": failed,
            "blocked": blocked}


def _primitive(rid: str, target_role: str | None = None) -> dict[str, Any]:
    return {"id": rid, "target_role": target_role, "kind": "primitive",
            "agent": "ocf:heartbeat:Dummy"}


HEALTHY: dict[str, Any] = {
    "format": 1, "cluster": "prod", "node": "n1", "incarnation": 1, "protocol": 1,
    "software": "hafailover 0.1.0", "uptime_s": 3600.0,
    "view": {"number": 3, "members": ["n1", "n2", "n3"], "coordinator": "n1",
             "quorate": True, "votes": 3, "expected_votes": 3},
    "detection": {"interval_ms": 100, "dead_time_ms": 500, "probe_timeout_ms": 250,
                  "detection_time_ms": 600, "loss_time_ms": 850, "transport": "multicast"},
    "nodes": [_node("n1", 1, links={"ring0": "local", "ring1": "local"}),
              _node("n2", 2), _node("n3", 3)],
    "state": {"version": "0.4.2", "origin": "n1", "digest": "ab", "recovering": False,
              "came_from": "received from n1", "node_attributes": {},
              "runtime_locations": []},
    "resources": {"local": [], "probed": True},
    "cluster_status": {
        "coordinator": "n1", "stonith_enabled": True, "maintenance_mode": False,
        "no_quorum_policy": "stop",
        "resources": [_instance("ip", "n2"), _instance("proxy", "n2"),
                      _instance("ping", "n1"), _instance("ping", "n2"),
                      _instance("ping", "n3"), _instance("db", "n1", "Promoted"),
                      _instance("db", "n3", "Unpromoted")],
        "resource_tree": [
            {"id": "web", "target_role": None, "kind": "group",
             "members": [_primitive("ip"), _primitive("proxy")]},
            {"id": "ping-clone", "target_role": None, "kind": "clone", "promotable": False,
             "clone_max": None, "child": _primitive("ping")},
            {"id": "db-clone", "target_role": None, "kind": "clone", "promotable": True,
             "clone_max": 2, "child": _primitive("db")},
            _primitive("batch", "Stopped"),
        ],
        "failed_actions": [], "fail_counts": [], "constraints": [],
        "overrides": {"resource_meta": {}, "cluster_properties": {}},
        "transition": {"number": 7, "running": False, "idle": True,
                       "last": "transition 7 complete", "last_failed": False},
    },
    "events": [
        {"time": NOW - 65, "kind": "transition", "message": "transition 7: 2 action(s)",
         "details": {}},
        {"time": NOW - 64.5, "kind": "action", "message": "start ip on n2: ok",
         "details": {}},
        {"time": NOW - 64.2, "kind": "transition", "message": "transition 7 complete",
         "details": {}},
    ],
}


def _degraded() -> dict[str, Any]:
    status = copy.deepcopy(HEALTHY)
    status["view"].update(members=["n1", "n2"], votes=2, number=4)
    status["nodes"][1].update(standby=True)
    status["nodes"][2].update(member=False, state="lost", unclean=True,
                              links={"ring0": "down", "ring1": "down"}, last_heard_ms=2606)
    cluster = status["cluster_status"]
    cluster["maintenance_mode"] = True
    cluster["resources"] = [_instance("ip", "n1"), _instance("proxy", "n1", failed=True),
                            _instance("ping", "n1"), _instance("ping", "n2"),
                            _instance("db", "n1", "Promoted")]
    cluster["failed_actions"] = [
        {"resource": "proxy", "node": "n1", "action": "monitor", "interval_ms": 10000,
         "rc": 7, "status": "not running", "reason": "No process state file found",
         "time": NOW - 12}]
    cluster["fail_counts"] = [
        {"resource": "proxy", "node": "n1", "count": 1, "last_failure": NOW - 12},
        {"resource": "ip", "node": "n3", "count": 1_000_000, "last_failure": NOW - 7200}]
    cluster["constraints"] = [
        {"id": "cli-prefer-web", "resource": "web", "node": "n1", "score": 1_000_000,
         "expires": None, "until_moved": False},
        {"id": "cli-ban-batch-on-n2", "resource": "batch", "node": "n2",
         "score": -1_000_000, "expires": NOW + 1800, "until_moved": False}]
    cluster["transition"] = {"number": 9, "running": True, "idle": False,
                             "last": "transition 8 failed", "last_failed": True}
    return status


def _no_quorum() -> dict[str, Any]:
    status = copy.deepcopy(HEALTHY)
    status["node"] = "n3"
    status["view"].update(members=["n3"], votes=1, quorate=False, coordinator="n3")
    status["nodes"][2]["links"] = {"ring0": "local", "ring1": "local"}
    status["nodes"][2].pop("last_heard_ms")
    for entry in status["nodes"][:2]:
        entry.update(member=False, state="suspected", last_heard_ms=900,
                     links={"ring0": "down", "ring1": "up"})
    status["cluster_status"] = None
    status["cluster_status_error"] = "CoordinatorStatus to n1 failed: UNAVAILABLE"
    status["events"] = []
    return status


def _fencing_fails() -> dict[str, Any]:
    status = copy.deepcopy(HEALTHY)
    status["view"].update(members=["n1", "n3"], votes=2, number=5)
    status["nodes"][1].update(member=False, state="lost", unclean=True,
                              links={"ring0": "down", "ring1": "down"}, last_heard_ms=31000)
    cluster = status["cluster_status"]
    cluster["resources"] = [_instance("ping", "n1"), _instance("ping", "n3"),
                            _instance("db", "n1", "Promoted")]
    cluster["fencing"] = {
        "history": [
            {"target": "n3", "action": "off", "ok": True, "devices": ["ipmi-n3"],
             "message": "n3 was fenced (off) by ipmi-n3", "requested_by": "n1",
             "reason": "node left the cluster uncleanly", "time": NOW - 86400},
            {"target": "n2", "action": "off", "ok": False, "devices": ["ipmi-n2"],
             "message": "n2 could not be fenced (off): level 1: ipmi-n2 timed out after 20s",
             "requested_by": "n1", "reason": "node left the cluster uncleanly",
             "time": NOW - 5}],
        "failing": {"n2": "level 1: ipmi-n2 timed out after 20s"},
        "in_progress": []}
    return status


CASES = {"healthy": HEALTHY, "degraded": _degraded(), "no_quorum": _no_quorum(),
         "fencing_fails": _fencing_fails()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_status_text_matches_the_golden_file(name: str) -> None:
    text = render_status(CASES[name], NOW)
    path = GOLDEN / f"status_{name}.txt"
    if os.environ.get("HAFAILOVER_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_a_healthy_group_and_clones_fold_into_one_line_each() -> None:
    lines = render_status(HEALTHY, NOW).splitlines()
    assert any(line.split()[:1] == ["web"] and "Started n2 (ip, proxy)" in line
               for line in lines)
    assert not any(line.strip().startswith("ip ") for line in lines)
    assert any("ping-clone" in line and "Started n1, n2, n3" in line for line in lines)
    assert any("db-clone" in line and "Promoted n1; Unpromoted n3" in line for line in lines)


def test_a_group_with_a_failed_member_is_shown_member_by_member() -> None:
    text = render_status(_degraded(), NOW)
    assert "    proxy" in text and "FAILED n1" in text


def test_constraints_left_in_place_are_warned_about() -> None:
    text = render_status(_degraded(), NOW)
    assert "! 2 move/ban constraints still in force (batch, web)" in text
    assert "expires in 30m 00s" in text


def test_a_resource_no_node_can_take_over_is_warned_about_with_the_reason() -> None:
    doc = copy.deepcopy(HEALTHY)
    doc["cluster_status"]["redundancy"] = [
        {"resource": "vip", "node": "n1", "takeover": [], "redundant": False,
         "reason": "vip: no node can take over if n1 fails: n2: vip failed INFINITY "
                   "time(s) here, migration-threshold is INFINITY; n3: node standby"},
        {"resource": "web", "node": "n2", "takeover": ["n3"], "redundant": True,
         "reason": "web: n3 would take over if n2 fails"}]
    text = render_status(doc, NOW)
    assert "  ! vip: no node can take over if n1 fails: n2: vip failed INFINITY" in text
    assert "web: n3 would take over" not in text


def test_a_status_from_an_agent_that_does_not_say_where_its_state_came_from_renders() -> None:
    older = copy.deepcopy(HEALTHY)
    del older["state"]["came_from"]
    assert "  State:        version 0.4.2\n" in render_status(older, NOW)
    assert "  State:        version 0.4.2, received from n1\n" in render_status(HEALTHY, NOW)


def test_the_same_document_renders_the_same_text() -> None:
    assert render_status(_degraded(), NOW) == render_status(_degraded(), NOW)


def test_durations_are_short_and_readable() -> None:
    assert [duration(s) for s in (2.6, 42, 245, 12000, 200000)] == \
        ["2.6s", "42s", "4m 05s", "3h 20m", "2d 7h"]
