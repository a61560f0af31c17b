"""AgentRef -> argv, or a reason it cannot run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hafailover.config.model import AgentRef
from hafailover.executor.ocf import ExecStatus
from hafailover.executor.resolve import Resolved, Unresolved, resolve

pytestmark = pytest.mark.tier0


def make_agent(root: Path, provider: str, name: str, mode: int = 0o755) -> Path:
    path = root / "resource.d" / provider / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(mode)
    return path


def test_ocf_agent_resolves_to_its_file_under_ocf_root(tmp_path: Path) -> None:
    path = make_agent(tmp_path, "acme", "web")
    assert resolve(AgentRef("ocf", "acme", "web"), ocf_root=str(tmp_path)) == Resolved(
        (str(path),))


def test_missing_ocf_agent_is_not_installed_and_the_reason_names_the_path(tmp_path: Path) -> None:
    r = resolve(AgentRef("ocf", "acme", "nope"), ocf_root=str(tmp_path))
    assert isinstance(r, Unresolved)
    assert (r.status, r.rc) == (ExecStatus.NOT_INSTALLED, 5)
    assert str(tmp_path / "resource.d" / "acme" / "nope") in r.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root may execute anything")
def test_agent_that_is_not_executable_is_not_installed(tmp_path: Path) -> None:
    make_agent(tmp_path, "acme", "web", mode=0o644)
    r = resolve(AgentRef("ocf", "acme", "web"), ocf_root=str(tmp_path))
    assert isinstance(r, Unresolved) and "not executable" in r.reason


@pytest.mark.parametrize("ref", [AgentRef("ocf", None, "web"), AgentRef("ocf", "..", "web"),
                                 AgentRef("ocf", "acme", "../../bin/sh")])
def test_ocf_names_that_could_escape_ocf_root_are_refused(ref: AgentRef, tmp_path: Path) -> None:
    r = resolve(ref, ocf_root=str(tmp_path))
    assert isinstance(r, Unresolved) and r.status is ExecStatus.NOT_INSTALLED


def test_builtin_agent_runs_its_module_with_this_interpreter() -> None:
    assert resolve(AgentRef("builtin", None, "vip")) == Resolved(
        (sys.executable, "-m", "hafailover.agents.vip"))


def test_missing_builtin_agent_is_not_installed() -> None:
    r = resolve(AgentRef("builtin", None, "nosuchagent"))
    assert isinstance(r, Unresolved) and r.status is ExecStatus.NOT_INSTALLED
    assert "hafailover.agents.nosuchagent" in r.reason


@pytest.mark.parametrize("standard", ["lsb", "systemd", "service"])
def test_lsb_and_systemd_are_not_supported_yet(standard: str) -> None:
    r = resolve(AgentRef(standard, None, "nginx"))
    assert isinstance(r, Unresolved) and r.status is ExecStatus.NOT_SUPPORTED
    assert "not supported yet" in r.reason


def test_unknown_standard_lists_the_allowed_ones() -> None:
    r = resolve(AgentRef("bogus", None, "x"))
    assert isinstance(r, Unresolved) and "allowed: ocf, builtin" in r.reason
