"""``hafailover agents install`` and ``hafailover agents list`` on a temporary OCF root."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from hafailover.agents.ocf_dir import shipped_agents, shipped_agents_dir
from hafailover.cli.agents_cmd import agents_group

pytestmark = pytest.mark.tier0

OUR_AGENTS = {"haproxy", "varnish", "tomcat"}


def invoke(*args: str) -> str:
    result = CliRunner().invoke(agents_group, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_agents_directory_is_found_and_holds_our_agents() -> None:
    names = {p.name for p in shipped_agents(shipped_agents_dir())}
    assert names >= OUR_AGENTS


def test_install_copies_every_agent_executable(tmp_path: Path) -> None:
    output = invoke("install", "--ocf-root", str(tmp_path))
    target = tmp_path / "resource.d" / "hafailover"
    for agent in shipped_agents():
        copy = target / agent.name
        assert copy.read_bytes() == agent.read_bytes()
        assert stat.S_IMODE(copy.stat().st_mode) == 0o755
        assert f"installed  {agent.name}" in output


def test_install_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    invoke("install", "--ocf-root", str(tmp_path))
    report = json.loads(invoke("install", "--ocf-root", str(tmp_path), "--format", "json"))
    assert {a["action"] for a in report["agents"]} == {"unchanged"}
    assert report["counts"]["unchanged"] == len(shipped_agents())


def test_install_repairs_a_modified_or_non_executable_copy(tmp_path: Path) -> None:
    invoke("install", "--ocf-root", str(tmp_path))
    target = tmp_path / "resource.d" / "hafailover"
    (target / "haproxy").write_text("#!/bin/sh\nexit 1\n")
    (target / "varnish").chmod(0o644)

    report = json.loads(invoke("install", "--ocf-root", str(tmp_path), "--format", "json"))
    actions = {a["name"]: a["action"] for a in report["agents"]}
    assert actions["haproxy"] == "updated"
    assert actions["varnish"] == "updated"
    assert actions["tomcat"] == "unchanged"
    assert stat.S_IMODE((target / "varnish").stat().st_mode) == 0o755


def test_list_shows_what_is_missing_and_what_is_installed(tmp_path: Path) -> None:
    before = json.loads(invoke("list", "--ocf-root", str(tmp_path), "--format", "json"))
    assert {a["state"] for a in before["agents"]} == {"not installed"}

    invoke("install", "--ocf-root", str(tmp_path))
    text = invoke("list", "--ocf-root", str(tmp_path))
    assert "not installed" not in text
    for name in OUR_AGENTS:
        assert any(line.split()[:2] == [name, "installed"] for line in text.splitlines())
