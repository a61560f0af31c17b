"""ocf:hafailover:glusterd against a real, private glusterd in its own network namespace.

The agent runs glusterd with a working directory of its own (working_directory), so the
host's /var/lib/glusterd is never touched. A one-brick volume created with ``force`` in a
temp dir gives the volume check something to look at.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import OcfAgent, require_root_and, wait_for, world_readable_tempdir
from hafailover.lab.netns import Netns, add_bridge, namespace

pytestmark = pytest.mark.tier1
require_root_and("glusterd", "gluster")

OCF_SUCCESS, OCF_ERR_GENERIC, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED, OCF_NOT_RUNNING = 0, 1, 5, 6, 7
ADDRESS = "10.232.0.1"
VOLUME = "hfvol"


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    path = world_readable_tempdir("hafailover-glusterd-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def brick_sockets(ns: Netns) -> list[Path]:
    """The sockets brick processes of NS were told to create (-S): they live in
    /var/run/gluster whatever the working directory, so the test removes them."""
    sockets = []
    for pid in ns.pids():
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"-S" in argv:
                sockets.append(Path(argv[argv.index(b"-S") + 1].decode()))
    return sockets


@pytest.fixture(scope="module")
def ns() -> Iterator[Netns]:
    with namespace(f"hfg-{os.getpid()}") as ns:
        # glusterd only accepts bricks on an address it saw at startup, and never loopback.
        add_bridge(ns, "br0")
        ns.run(["ip", "addr", "add", f"{ADDRESS}/24", "dev", "br0"])
        yield ns
        leftovers = brick_sockets(ns)
        ns.kill_all()
        for path in leftovers:
            path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def glusterd(make_agent, ns: Netns, workdir: Path) -> Iterator[OcfAgent]:  # type: ignore[no-untyped-def]
    agent: OcfAgent = make_agent("glusterd", ns, {"working_directory": str(workdir / "state")})
    result = agent.run("start")
    assert result.rc == OCF_SUCCESS, result
    yield agent
    agent.run("stop")


def gluster(agent: OcfAgent, *args: str) -> str:
    state = Path(agent.params["working_directory"])
    result = agent.ns.run(["gluster", "--mode=script",
                           f"--glusterd-sock={state}/run/glusterd.socket",
                           f"--log-file={state}/log/cli.log", *args])
    return result.stdout


@pytest.fixture(scope="module")
def volume(glusterd: OcfAgent, workdir: Path) -> str:
    brick = workdir / "bricks" / "b1"
    brick.parent.mkdir()
    gluster(glusterd, "volume", "create", VOLUME, f"{ADDRESS}:{brick}", "force")
    gluster(glusterd, "volume", "start", VOLUME)
    return VOLUME


def daemon_pid(agent: OcfAgent) -> int:
    return agent.pid_from(f"{agent.params['working_directory']}/run/glusterd.pid")


def brick_pid(agent: OcfAgent) -> int:
    pidfiles = list(Path(agent.params["working_directory"], "run", "vols", VOLUME).glob("*.pid"))
    assert len(pidfiles) == 1, pidfiles
    return agent.pid_from(str(pidfiles[0]))


def gone(pid: int) -> bool:
    try:
        return not Path(f"/proc/{pid}/cmdline").read_bytes()  # a zombie has no cmdline
    except OSError:
        return True


def test_started_glusterd_monitors_as_running(glusterd: OcfAgent) -> None:
    assert glusterd.run("monitor").rc == OCF_SUCCESS
    assert "localhost" in gluster(glusterd, "pool", "list")


def test_start_of_a_running_glusterd_succeeds(glusterd: OcfAgent) -> None:
    pid = daemon_pid(glusterd)
    assert glusterd.run("start").rc == OCF_SUCCESS
    assert daemon_pid(glusterd) == pid


def test_killed_glusterd_monitors_as_not_running_and_restarts(glusterd: OcfAgent) -> None:
    pid = daemon_pid(glusterd)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: gone(pid), timeout=10)
    assert glusterd.run("monitor").rc == OCF_NOT_RUNNING
    assert glusterd.run("start").rc == OCF_SUCCESS
    assert glusterd.run("monitor").rc == OCF_SUCCESS
    assert daemon_pid(glusterd) != pid


def test_volume_with_its_brick_online_passes_the_monitor(glusterd: OcfAgent, volume: str) -> None:
    assert glusterd.run("monitor", volume=volume).rc == OCF_SUCCESS


def test_killed_brick_fails_the_monitor_and_names_the_brick(glusterd: OcfAgent, volume: str,
                                                            workdir: Path) -> None:
    pid = brick_pid(glusterd)
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: gone(pid), timeout=10)
    result = glusterd.run("monitor", volume=volume)
    assert result.rc == OCF_ERR_GENERIC, result
    assert "brick offline" in result.exit_reason
    assert str(workdir / "bricks" / "b1") in result.exit_reason
    # Without the volume check glusterd itself is still healthy.
    assert glusterd.run("monitor").rc == OCF_SUCCESS
    # glusterd takes a brick whose pid still exists (a zombie not yet reaped) for running.
    assert wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=20)
    gluster(glusterd, "volume", "start", volume, "force")  # brings the brick back
    back = wait_for(lambda: glusterd.run("monitor", volume=volume).rc == OCF_SUCCESS,
                    timeout=45, interval=1)
    log = Path(glusterd.params["working_directory"], "log", "glusterd.log")
    assert back, "".join(log.read_text().splitlines(keepends=True)[-15:])


def test_volume_that_does_not_exist_fails_the_monitor(glusterd: OcfAgent) -> None:
    result = glusterd.run("monitor", volume="no-such-volume")
    assert result.rc == OCF_ERR_GENERIC, result
    assert "no-such-volume" in result.exit_reason


def test_missing_binary_is_reported_as_not_installed(glusterd: OcfAgent) -> None:
    for action in ("start", "validate-all"):
        result = glusterd.run(action, binary="/nonexistent/glusterd")
        assert result.rc == OCF_ERR_INSTALLED, result
        assert "/nonexistent/glusterd" in result.exit_reason


@pytest.mark.parametrize("interval", ["0", "10000"], ids=["probe", "recurring"])
def test_monitor_without_the_binary_reports_a_stopped_glusterd_as_not_running(  # type: ignore[no-untyped-def]
        make_agent, ns: Netns, workdir: Path, interval: str) -> None:
    agent: OcfAgent = make_agent("glusterd", ns, {"working_directory": str(workdir / "other")})
    result = agent.run("monitor", binary="/nonexistent/glusterd", CRM_meta_interval=interval)
    assert result.rc == OCF_NOT_RUNNING, result


def test_monitor_of_a_running_glusterd_without_the_cli_is_not_installed(
        glusterd: OcfAgent) -> None:
    result = glusterd.run("monitor", cli_binary="/nonexistent/gluster")
    assert result.rc == OCF_ERR_INSTALLED, result
    assert "/nonexistent/gluster" in result.exit_reason


def test_working_directory_on_a_file_is_a_configuration_error(glusterd: OcfAgent,
                                                              workdir: Path) -> None:
    a_file = workdir / "not-a-directory"
    a_file.write_text("")
    result = glusterd.run("start", working_directory=str(a_file))
    assert result.rc == OCF_ERR_CONFIGURED, result
    assert "not a directory" in result.exit_reason


def test_ocf_tester_passes_with_the_volume_check(glusterd: OcfAgent, volume: str) -> None:
    glusterd.params["volume"] = volume
    try:
        result = glusterd.ocf_tester()
    finally:
        del glusterd.params["volume"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed all tests" in result.stdout + result.stderr
