"""The short end of a lab timeout report, from agent log records (pure)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from hafailover.diagnostics import WHERE_WAITING
from hafailover.lab.diagnosis import busy_tasks, digest, last_events, overdue_reports

pytestmark = pytest.mark.tier0

T = "2026-11-26T12:28:36.909815Z"


def test_last_events_are_short_lines_and_bare_words_get_their_fields() -> None:
    records: list[dict[str, object]] = [{"event": f"event {i}", "timestamp": T}
                                        for i in range(10)]
    records.append({"event": "action", "action": "promote", "resource": "db",
                    "node": "n1", "transition": 2, "timestamp": T})
    lines = last_events("n1", records, 3)
    assert lines == ["n1 12:28:36.909 event 8", "n1 12:28:36.909 event 9",
                     "n1 12:28:36.909 action action=promote resource=db node=n1 "
                     "transition=2"]


def test_busy_tasks_are_those_running_actions_with_where_they_wait() -> None:
    dump = {"event": WHERE_WAITING, "timestamp": T, "tasks": [
        {"task": "Task-7", "waits_in": ["transitions.py:131 in run_forever",
                                        "locks.py:213 in wait", "waiting for Future"]},
        {"task": "Task-9", "waits_in": ["transitions.py:290 in _execute",
                                        "transitions.py:320 in _run",
                                        "resources.py:210 in run_action",
                                        "executor.py:212 in execute",
                                        "monitors.py:110 in cancel",
                                        "waiting for _GatheringFuture"]}]}
    lines = busy_tasks("n1", [{"event": "x", "timestamp": T}, dump])
    assert len(lines) == 1
    assert lines[0].startswith("n1 waits: Task-9: _run > run_action > execute > cancel")
    assert "[monitors.py:110 in cancel]" in lines[0]
    assert lines[0].endswith("waiting for _GatheringFuture")


def test_without_a_dump_the_digest_says_so() -> None:
    lines = digest({"n2": [{"event": "n2 is online", "timestamp": T}]})
    assert lines == ["n2 12:28:36.909 n2 is online",
                     "n2 (no record of where the agent waits)"]


def test_lines_are_cut_to_a_readable_width() -> None:
    (line,) = last_events("n1", [{"event": "x " * 200, "timestamp": T}], 1)
    assert len(line) == 150


def test_overdue_reports_list_the_error_records_of_every_agent_log() -> None:
    # not under pytest's tmp_path: the session's own summary reads the agent logs there
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        log = root / "promotion0" / "n1" / "agent.log"
        log.parent.mkdir(parents=True)
        overdue = {"event": "promote of db on n1 has run 25s, past its 20s timeout: still "
                   "waiting", "kind": "diagnostics", "level": "error",
                   "waits_in": ["resources.py:224 in run_action", "runner.py:120 in run",
                                "tasks.py:476 in wait_for", "waiting for Future"]}
        dump = {"event": WHERE_WAITING, "kind": "diagnostics", "level": "warning"}
        log.write_text("\n".join([json.dumps({"event": "n1 started"}), json.dumps(dump),
                                  "not json", json.dumps(overdue)]) + "\n")
        (root / "other.log").write_text(json.dumps(overdue) + "\n")
        assert overdue_reports(root) == [
            "promotion0/n1/agent.log: promote of db on n1 has run 25s, past its 20s "
            "timeout: still waiting [resources.py:224 in run_action > runner.py:120 in run "
            "> tasks.py:476 in wait_for > waiting for Future]"]
