"""Session-wide: after the run, show what the lab agents reported about themselves.

An agent logs ``kind: diagnostics`` at level error when an action runs well past its
timeout: a fault in hafailover even when the test around it recovered and passed. Those
records are listed at the end of the run so that they are seen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hafailover.lab.diagnosis import overdue_reports

MAX_SHOWN = 10
BASETEMP = pytest.StashKey[Path]()


@pytest.fixture(scope="session", autouse=True)
def remember_basetemp(tmp_path_factory: pytest.TempPathFactory,
                      pytestconfig: pytest.Config) -> None:
    pytestconfig.stash[BASETEMP] = tmp_path_factory.getbasetemp()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    root = config.stash.get(BASETEMP, None)
    if root is None:
        return
    reports = overdue_reports(root)
    if not reports:
        return
    terminalreporter.section("agents that reported overdue actions", sep="-")
    for line in reports[:MAX_SHOWN]:
        terminalreporter.write_line(line[:300])
    if len(reports) > MAX_SHOWN:
        terminalreporter.write_line(f"... and {len(reports) - MAX_SHOWN} more")
