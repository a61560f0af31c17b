"""Fence devices are checked against their agents' metadata when the file is validated."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tier0

CONFIG = """\
cluster: {name: c}
nodes: [{name: n1, addresses: {ring0: 10.0.0.1}}, {name: n2, addresses: {ring0: 10.0.0.2}}]
fencing:
  devices:
%s
"""


def validate(tmp_path: Path, devices: str, *extra: str) -> tuple[int, dict[str, object]]:
    path = tmp_path / "cluster.yaml"
    path.write_text(CONFIG % devices)
    result = subprocess.run([sys.executable, "-m", "hafailover", "validate", str(path),
                             "--format", "json", *extra],
                            check=False, capture_output=True, text=True, timeout=60)
    return result.returncode, json.loads(result.stdout)


def codes(report: dict[str, object]) -> list[tuple[str, str]]:
    return [(r["code"], r["path"]) for r in report["reports"]]  # type: ignore[attr-defined]


def test_a_misspelt_parameter_of_a_builtin_agent_is_an_error_with_a_hint(
        tmp_path: Path) -> None:
    rc, report = validate(tmp_path, '    - {id: lab, agent: fence_lab, '
                                    'params: {namespac: "x-{plug}"}}')
    assert rc == 1
    (problem,) = [r for r in report["reports"]  # type: ignore[attr-defined]
                  if r["code"] == "CONFIG_FENCE_PARAMS"]
    assert problem["path"] == "fencing.devices[0].params"
    assert "did you mean 'namespace'" in problem["message"]


def test_the_check_can_be_skipped(tmp_path: Path) -> None:
    rc, _ = validate(tmp_path, '    - {id: lab, agent: fence_lab, params: {namespac: x}}',
                     "--no-agent-checks")
    assert rc == 0


def test_an_agent_that_is_not_installed_is_a_warning(tmp_path: Path) -> None:
    rc, report = validate(tmp_path, "    - {id: gone, agent: fence_no_such_agent}")
    assert rc == 0
    assert ("CONFIG_FENCE_AGENT", "fencing.devices[0].agent") in codes(report)


@pytest.mark.skipif(shutil.which("fence_ipmilan", path="/usr/sbin:/sbin:/usr/bin") is None,
                    reason="fence-agents is installed by scripts/setup.sh")
def test_debian_fence_agents_metadata_is_read(tmp_path: Path) -> None:
    rc, report = validate(tmp_path, "    - {id: ipmi, agent: fence_ipmilan, "
                                    "params: {ip: 10.1.1.1, usernmae: admin}}")
    assert rc == 1
    messages = [r["message"] for r in report["reports"]]  # type: ignore[attr-defined]
    assert any("did you mean 'username'" in m for m in messages)
    rc, _ = validate(tmp_path, "    - {id: ipmi, agent: fence_ipmilan, "
                               "params: {ip: 10.1.1.1, username: admin, password: x}}")
    assert rc == 0
