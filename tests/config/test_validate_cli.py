"""``hafailover validate FILE``: what an operator sees and the exit code scripts get."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hafailover.cli.hafailover import cli

pytestmark = pytest.mark.tier0

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "examples" / "demo" / "cluster.yaml")
BROKEN = """\
cluster: {name: t}
nodes:
  - name: n1
    adresses: {ring0: 10.0.0.1}
heartbeat: {interval: 100ms, dead-time: 50ms}
"""


@pytest.fixture
def broken(tmp_path: Path) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    return str(path)


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_a_valid_file_exits_0_and_states_detection_time_and_counts() -> None:
    code, output = run(DEMO)

    assert code == 0
    assert ("failure detection within 600 ms (dead-time 500 ms + interval 100 ms)"
            in output)
    assert "cluster 'demo' with 3 nodes, 5 resources, 3 constraints" in output


@pytest.fixture
def without_fencing(tmp_path: Path) -> str:
    text = Path(DEMO).read_text(encoding="utf-8")
    assert "stonith-enabled: true" in text
    path = tmp_path / "no-fencing.yaml"
    path.write_text(text.replace("stonith-enabled: true", "stonith-enabled: false"),
                    encoding="utf-8")
    return str(path)


def test_warnings_are_printed_but_do_not_fail_validation(without_fencing: str) -> None:
    code, output = run(without_fencing)

    assert code == 0
    assert "warning: properties.stonith-enabled" in output
    assert "[CONFIG_STONITH_DISABLED]" in output
    assert "1 warning" in output


def test_an_invalid_file_exits_1_and_lists_each_problem_with_its_line(broken: str) -> None:
    code, output = run(broken)

    assert code == 1
    assert (f"{broken}:4: error: nodes[0].adresses: unknown key" in output
            and "did you mean 'addresses'?" in output)
    assert f"{broken}:5: error: heartbeat.dead-time: dead-time must be longer" in output
    assert "not valid: 2 errors" in output


def test_json_output_for_a_valid_file() -> None:
    code, output = run(DEMO, "--format", "json")

    data = json.loads(output)
    assert code == 0
    assert data["valid"] is True and data["file"] == DEMO
    assert data["summary"]["nodes"] == 3
    assert data["summary"]["detection_time_s"] == pytest.approx(0.6)
    assert data["reports"] == []


def test_json_output_for_an_invalid_file(broken: str) -> None:
    code, output = run(broken, "--format", "json")

    data = json.loads(output)
    assert code == 1
    assert data["valid"] is False
    assert data["summary"]["errors"] == 2
    first = data["reports"][0]
    assert (first["code"], first["line"], first["path"]) == (
        "CONFIG_UNKNOWN_KEY", 4, "nodes[0].adresses")
    assert first["hint"] == "did you mean 'addresses'?"


def test_a_missing_file_is_reported_and_exits_1(tmp_path: Path) -> None:
    code, output = run(str(tmp_path / "nope.yaml"))

    assert code == 1
    assert "cannot read the configuration" in output and "[CONFIG_FILE]" in output


def test_standard_input_is_read_for_a_dash() -> None:
    code, output = run("-", stdin="cluster: {name: t}\nnodes: [{name: n1}]\n")

    assert code == 0
    assert "<stdin>: valid: cluster 't' with 1 node" in output


def test_a_yaml_syntax_error_is_one_clear_line() -> None:
    code, output = run("-", stdin="cluster: [\n")

    assert code == 1
    assert "<stdin>:2: error: YAML syntax error" in output
    assert "Traceback" not in output
