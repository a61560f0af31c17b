"""Real agent processes: timeouts kill the whole group, output is bounded, env is clean."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import textwrap
import time
from pathlib import Path

import pytest
from executor_fakes import RecordingCoordinator

from hafailover.config.model import AgentRef, Primitive, frozen_map
from hafailover.executor import (
    ExecStatus,
    Executor,
    ExecutorOptions,
    OperationResult,
    system_gateway,
)
from hafailover.executor.runner import live_group_members

pytestmark = pytest.mark.tier1


def agent(root: Path, name: str, body: str) -> Primitive:
    path = root / "resource.d" / "test" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return Primitive(name, AgentRef("ocf", "test", name),
                     params=frozen_map({"dir": str(root)}))


def executor(root: Path, *, kill_grace: float = 0.3) -> Executor:
    gateway = system_gateway(RecordingCoordinator(), kill_grace=kill_grace)
    return Executor(ExecutorOptions(node="n1", ocf_root=str(root)), gateway)


def run(root: Path, p: Primitive, action: str = "start", timeout: float = 5.0,
        **kwargs: float) -> OperationResult:
    return asyncio.run(executor(root, **kwargs).run(p, action, timeout=timeout))


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


HANG = """\
    sleep 60 &
    echo $! > "$OCF_RESKEY_dir/child.pid"
    echo $$ > "$OCF_RESKEY_dir/agent.pid"
    sleep 60
"""


def test_hanging_agent_is_killed_at_its_timeout_with_its_whole_group(tmp_path: Path) -> None:
    p = agent(tmp_path, "hang", HANG)
    result = run(tmp_path, p, timeout=0.5)
    assert result.status is ExecStatus.TIMEOUT and result.rc is None
    assert 0.5 <= result.duration < 2.0
    assert "timed out after" in result.reason and "(timeout 0.5s)" in result.reason
    agent_pid = int((tmp_path / "agent.pid").read_text())
    child_pid = int((tmp_path / "child.pid").read_text())
    assert not alive(agent_pid) and not alive(child_pid)
    assert live_group_members(agent_pid) == []


def test_agent_ignoring_sigterm_is_killed_after_the_grace_time(tmp_path: Path) -> None:
    p = agent(tmp_path, "stubborn", "trap '' TERM\n" + textwrap.dedent(HANG))
    result = run(tmp_path, p, timeout=0.3, kill_grace=0.3)
    assert result.status is ExecStatus.TIMEOUT
    assert 0.6 <= result.duration < 2.5  # timeout + grace, then SIGKILL
    child_pid = int((tmp_path / "child.pid").read_text())
    assert not alive(child_pid)


def test_agent_writing_megabytes_completes_with_output_capped(tmp_path: Path) -> None:
    p = agent(tmp_path, "chatty", """\
        head -c 20000000 /dev/zero | tr '\\0' o
        head -c 20000000 /dev/zero | tr '\\0' e >&2
        echo >&2
        echo "ocf-exit-reason:wrote a lot" >&2
        exit 1
    """)
    started = time.monotonic()
    result = run(tmp_path, p, timeout=30)
    assert time.monotonic() - started < 15
    assert (result.status, result.rc, result.exit_reason) == (ExecStatus.ERROR, 1, "wrote a lot")
    assert result.stdout.total_bytes == 20_000_000
    assert len(result.stdout.text) == 64 * 1024 and set(result.stdout.text) == {"o"}
    assert result.stdout.dropped_bytes == 20_000_000 - 64 * 1024
    assert result.stderr.text.endswith("ocf-exit-reason:wrote a lot\n")
    assert "(agent: wrote a lot)" in result.reason


def test_agent_sees_a_clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAEMON_SECRET", "do-not-leak")
    p = agent(tmp_path, "env", 'env > "$OCF_RESKEY_dir/env.txt"\n')
    assert run(tmp_path, p).ok
    names = {line.split("=", 1)[0] for line in (tmp_path / "env.txt").read_text().splitlines()}
    added_by_shell = {"PWD", "SHLVL", "_"}
    assert {n for n in names - added_by_shell if n != "PATH" and not n.startswith("OCF_")} == set()
    assert {"OCF_ROOT", "OCF_RESOURCE_INSTANCE", "OCF_RESKEY_dir"} <= names


def test_a_child_left_holding_the_pipes_does_not_hold_up_the_result(tmp_path: Path) -> None:
    p = agent(tmp_path, "daemonizes", """\
        sleep 30 &
        echo $! > "$OCF_RESKEY_dir/child.pid"
        exit 0
    """)
    started = time.monotonic()
    result = run(tmp_path, p)
    try:
        assert result.ok and time.monotonic() - started < 3
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int((tmp_path / "child.pid").read_text()), signal.SIGKILL)


def test_agent_that_cannot_be_executed_is_not_installed(tmp_path: Path) -> None:
    p = agent(tmp_path, "badinterp", "exit 0\n")
    path = tmp_path / "resource.d" / "test" / "badinterp"
    path.write_text("#!/nonexistent/interpreter\n")
    result = run(tmp_path, p)
    assert result.status is ExecStatus.NOT_INSTALLED and "cannot run" in result.reason


def test_agent_killed_by_a_signal_is_a_soft_error(tmp_path: Path) -> None:
    p = agent(tmp_path, "suicide", "kill -KILL $$\n")
    result = run(tmp_path, p)
    assert result.status is ExecStatus.ERROR and "killed by SIGKILL" in result.reason


def test_builtin_agent_runs_as_a_python_module(tmp_path: Path) -> None:
    p = Primitive("vip", AgentRef("builtin", None, "vip"))
    result = run(tmp_path, p, "meta-data", timeout=20)
    assert result.ok, result.stderr.text
    assert "<resource-agent" in result.stdout.text


def test_cancelling_a_running_operation_kills_its_group(tmp_path: Path) -> None:
    p = agent(tmp_path, "hang", HANG)

    async def scenario() -> None:
        task = asyncio.create_task(executor(tmp_path).run(p, "start", timeout=30))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if (tmp_path / "child.pid").exists() and (tmp_path / "agent.pid").exists():
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert not alive(int((tmp_path / "child.pid").read_text()))
    assert live_group_members(int((tmp_path / "agent.pid").read_text())) == []
