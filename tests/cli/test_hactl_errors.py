"""``hactl``'s errors: one clear sentence, a documented exit code, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from hafailover.cli.hactl import cli

pytestmark = pytest.mark.tier0

COMMANDS = [["status"], ["move"], ["ban"], ["clear"], ["start"], ["stop"], ["cleanup"],
            ["standby"], ["unstandby"], ["maintenance"], ["config", "show"],
            ["config", "validate"], ["config", "apply"], ["events"], ["simulate"]]


def hactl(args: Sequence[str]) -> Result:
    return CliRunner().invoke(cli, list(args))


def clean(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


@pytest.fixture
def stale_socket(tmp_path: Path) -> Iterator[Path]:
    """A socket file nobody listens on (the agent died without removing it)."""
    path = tmp_path / "control.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()
    yield path


@pytest.mark.parametrize("args", [["status"], ["move", "web", "n2"], ["standby", "n1"],
                                  ["config", "show"], ["events"]])
def test_no_agent_socket_says_the_agent_is_not_running_and_how_to_start_it(
        tmp_path: Path, args: list[str]) -> None:
    output = clean(hactl([*args, "--socket", str(tmp_path / "control.sock")]), 3)
    assert "the agent is not running on this node" in output
    assert "systemctl start hafailover" in output


def test_a_socket_nobody_answers_on_is_reported_as_an_agent_not_running(
        stale_socket: Path) -> None:
    output = clean(hactl(["status", "--socket", str(stale_socket)]), 3)
    assert "does not answer" in output and "is the agent running?" in output


def test_a_user_other_than_root_is_told_the_socket_is_root_only(
        stale_socket: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as a user without access to the root-only socket (the tests run as root)
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != stale_socket)
    output = clean(hactl(["status", "--socket", str(stale_socket)]), 3)
    assert f"permission denied on {stale_socket}" in output
    assert "run hactl as root" in output


def test_an_endpoint_without_the_admin_certificate_says_which_file_is_missing(
        tmp_path: Path) -> None:
    output = clean(hactl(["status", "--endpoint", "10.0.0.1:7405", "--key-dir",
                          str(tmp_path)]), 3)
    assert "ca.crt is missing" in output and "hafailover keygen" in output


def test_an_endpoint_without_a_port_is_refused(tmp_path: Path) -> None:
    output = clean(hactl(["status", "--endpoint", "node1"]), 3)
    assert "HOST:PORT" in output


def test_socket_and_endpoint_together_are_a_usage_error() -> None:
    clean(hactl(["status", "--socket", "/x", "--endpoint", "h:1"]), 2)


@pytest.mark.parametrize("args", [["move"], ["ban", "web"], ["maintenance", "maybe"],
                                  ["move", "web", "n2", "--lifetime", "soon"],
                                  ["move", "web", "n2", "--wait", "-3"],
                                  ["events", "--since", "last tuesday"], ["frobnicate"]])
def test_usage_mistakes_exit_2(args: list[str]) -> None:
    clean(hactl(args), 2)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_examples(command: list[str]) -> None:
    output = clean(hactl([*command, "--help"]), 0)
    assert "Examples:" in output


def test_the_exit_codes_are_listed() -> None:
    output = clean(hactl(["--help-exit-codes"]), 0)
    for code in range(6):
        assert f"{code}  " in output


def test_config_validate_of_a_missing_file_exits_1(tmp_path: Path) -> None:
    clean(hactl(["config", "validate", str(tmp_path / "none.yaml")]), 1)


def test_config_apply_of_an_unreadable_file_exits_1_before_asking_the_agent(
        tmp_path: Path) -> None:
    output = clean(hactl(["config", "apply", str(tmp_path / "none.yaml"), "--socket",
                          str(tmp_path / "control.sock")]), 1)
    assert "cannot read" in output


def test_shell_completion_lists_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from hafailover.cli.hactl import main; main()"],
        env={"_HACTL_COMPLETE": "bash_complete", "COMP_WORDS": "hactl sta",
             "COMP_CWORD": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False)
    assert "status" in result.stdout and "standby" in result.stdout
    assert isinstance(cli, click.Group)
