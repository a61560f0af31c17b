"""The short end of a lab timeout report: a few lines per node that say what each agent
did last and where it waits, for when only the end of a long test output is read.

The agent logs where its tasks wait on SIGUSR1 (``hafailover.diagnostics``); the lab
asks for that before it writes the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hafailover.diagnostics import WHERE_WAITING

LINE_WIDTH = 150
_MAIN_FIELDS = ("action", "resource", "node", "transition", "error", "reason")
# frames of tasks that run actions (a transition's, or an agent process): the ones a
# stuck cluster waits for; idle loops and servers are left out
_INTERESTING = ("in _execute", "in run_action", "executor.py:", "runner.py:")


def short_time(timestamp: object) -> str:
    """"2026-11-26T12:28:36.909815Z" -> "12:28:36.909"."""
    text = str(timestamp)
    return text[11:23] if len(text) >= 23 else text


def last_events(node: str, records: Iterable[Mapping[str, Any]], count: int) -> list[str]:
    """The node's last ``count`` log records, one short line each."""
    kept = [r for r in records if r.get("event") != WHERE_WAITING][-count:]
    return [f"{node} {short_time(r.get('timestamp'))} {_sentence(r)}"[:LINE_WIDTH]
            for r in kept]


def _sentence(record: Mapping[str, Any]) -> str:
    """The event, with its main fields when it is a bare word ("action")."""
    event = str(record.get("event"))
    if " " in event:
        return event
    fields = [f"{k}={record[k]}" for k in _MAIN_FIELDS if record.get(k) not in (None, "")]
    return " ".join([event, *fields])


def busy_tasks(node: str, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """From the node's last SIGUSR1 dump: the tasks busy with resources or the cluster,
    each with its innermost frames."""
    dumps = [r for r in records if r.get("event") == WHERE_WAITING]
    if not dumps:
        return [f"{node} (no record of where the agent waits)"]
    lines = []
    for task in dumps[-1].get("tasks", []):
        frames = [str(f) for f in task.get("waits_in", [])]
        if any(marker in frame for frame in frames for marker in _INTERESTING):
            inner = " > ".join(f.split(" in ")[-1] for f in frames[-5:-1])
            where = frames[-2] if len(frames) >= 2 else ""
            lines.append(f"{node} waits: {task.get('task')}: {inner} [{where}] "
                         f"{frames[-1] if frames else ''}"[:LINE_WIDTH])
    return lines


def digest(records_by_node: Mapping[str, list[dict[str, Any]]], events: int = 6) -> list[str]:
    lines = []
    for node, records in records_by_node.items():
        lines.extend(last_events(node, records, events))
        lines.extend(busy_tasks(node, records))
    return lines


def overdue_reports(root: Path) -> list[str]:
    """Every action an agent under ``root`` logged as overdue (``kind: diagnostics``,
    level error), one line each: which log, what, and where it waited."""
    lines = []
    for log in sorted(root.glob("**/agent.log")):
        try:
            text = log.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if '"diagnostics"' not in line or '"error"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("kind") != "diagnostics" or record.get("level") != "error":
                continue
            waits_in = record.get("waits_in") or []
            lines.append(f"{log.relative_to(root)}: {record.get('event')} "
                         f"[{' > '.join(str(f) for f in waits_in[-4:])}]")
    return lines
