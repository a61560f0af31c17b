"""fence_container: a node that is a container is killed, started and asked about
through the podman (or docker) command line.

The real-runtime tests run a container from an image made on the spot (``sleep`` and its
libraries, imported with ``podman import``: no registry needed); they need podman and
runc. The others put a stand-in runtime on PATH that records what it was asked.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hafailover.config.model import FenceDevice, frozen_map
from hafailover.fencing.agents import run_fence_agent

AGENT = [sys.executable, "-m", "hafailover.fencing.fence_container"]
IMAGE = "localhost/hafailover-fence-test:latest"
PREFIX = "tfc"
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
"""


# --- with a stand-in runtime -------------------------------------------------------------

FAKE_RUNTIME = f"""#!{sys.executable}
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "argv"), "a") as f:
    f.write(os.path.basename(sys.argv[0]) + " " + " ".join(sys.argv[1:]) + "\\n")
state = os.path.join(here, "running")
args = sys.argv[1:]
if args[0] == "kill":
    if not os.path.exists(state):
        sys.exit("Error: can only kill running containers")
    os.unlink(state)
elif args[0] == "start":
    open(state, "w").close()
elif args[0] == "inspect":
    print("true" if os.path.exists(state) else "false")
elif args[0] == "ps":
    print("tfc-n1\\ntfc-n2\\nunrelated")
"""


def fake_runtime(tmp_path: Path, name: str, *, running: bool) -> Path:
    path = tmp_path / name
    path.write_text(FAKE_RUNTIME)
    path.chmod(0o755)
    if running:
        (tmp_path / "running").touch()
    return tmp_path / "argv"


def run_agent(path: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(AGENT, input=stdin, capture_output=True, text=True, check=False,
                          env={"PATH": str(path)}, timeout=60)


@pytest.mark.tier0
def test_off_kills_the_container_with_sigkill(tmp_path: Path) -> None:
    argv = fake_runtime(tmp_path, "podman", running=True)
    result = run_agent(tmp_path, "action=off\nplug=n1\ncontainer=tfc-{plug}\n")
    assert result.returncode == 0, result.stderr
    assert argv.read_text().splitlines() == ["podman kill --signal KILL tfc-n1"]


@pytest.mark.tier0
def test_off_of_a_stopped_container_succeeds(tmp_path: Path) -> None:
    argv = fake_runtime(tmp_path, "podman", running=False)
    result = run_agent(tmp_path, "action=off\nplug=n1\ncontainer=tfc-{plug}\n")
    assert result.returncode == 0, result.stderr
    assert argv.read_text().splitlines() == [
        "podman kill --signal KILL tfc-n1", "podman inspect -f {{.State.Running}} tfc-n1"]


@pytest.mark.tier0
def test_docker_is_used_when_asked_for_or_when_podman_is_absent(tmp_path: Path) -> None:
    argv = fake_runtime(tmp_path, "docker", running=False)
    result = run_agent(tmp_path, "action=status\nplug=n1\n")
    assert result.returncode == 2 and "Status: OFF" in result.stdout
    assert argv.read_text().splitlines() == ["docker inspect -f {{.State.Running}} n1"]
    result = run_agent(tmp_path, "action=status\nplug=n1\nruntime=podman\n")
    assert result.returncode == 1 and "podman not found on PATH" in result.stderr


@pytest.mark.tier0
def test_list_names_the_plugs_matching_the_container_format(tmp_path: Path) -> None:
    fake_runtime(tmp_path, "podman", running=True)
    result = run_agent(tmp_path, "action=list\ncontainer=tfc-{plug}\n")
    assert result.stdout.splitlines() == ["n1,tfc-n1", "n2,tfc-n2"]


@pytest.mark.tier0
def test_an_unknown_runtime_is_refused(tmp_path: Path) -> None:
    result = run_agent(tmp_path, "action=off\nplug=n1\nruntime=lxc\n")
    assert result.returncode == 1 and "runtime must be podman or docker" in result.stderr


# --- with podman ---------------------------------------------------------------------------


def podman(*args: str, check: bool = True) -> str:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, check=False,
                            timeout=120)
    if check and result.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def sleep_rootfs(path: Path) -> Path:
    """A tarball holding /bin/sleep and the libraries it loads."""
    files = [os.path.realpath("/bin/sleep")]
    ldd = subprocess.run(["ldd", "/bin/sleep"], capture_output=True, text=True, check=True)
    files += [word for word in ldd.stdout.split() if word.startswith("/")]
    tarball = path / "rootfs.tar"
    with tarfile.open(tarball, "w") as tar:
        tar.add(files[0], arcname="bin/sleep")
        for lib in files[1:]:
            tar.add(os.path.realpath(lib), arcname=lib.lstrip("/"))
    return tarball


@pytest.fixture(scope="module")
def containers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Containers tfc-n1 and tfc-n2; yields the environment the agent needs."""
    if os.geteuid() != 0 or shutil.which("podman") is None or shutil.which("runc") is None:
        pytest.skip("needs root, podman and runc (Debian packages podman runc)")
    work = tmp_path_factory.mktemp("containers")
    conf = work / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    env = {"CONTAINERS_CONF": str(conf)}
    old = os.environ.get("CONTAINERS_CONF")
    os.environ["CONTAINERS_CONF"] = str(conf)
    names = [f"{PREFIX}-n1", f"{PREFIX}-n2"]
    try:
        podman("rm", "-f", "-t", "0", *names, check=False)
        with sleep_rootfs(work).open("rb") as tarball:
            subprocess.run(["podman", "import", "-", IMAGE], stdin=tarball,
                           capture_output=True, check=True, timeout=120)
        for name in names:
            podman("run", "-d", "--name", name, "--network", "none", IMAGE,
                   "/bin/sleep", "600")
        yield env
    finally:
        podman("rm", "-f", "-t", "0", *names, check=False)
        podman("rmi", "-f", IMAGE, check=False)
        if old is None:
            os.environ.pop("CONTAINERS_CONF", None)
        else:
            os.environ["CONTAINERS_CONF"] = old


DEVICE = FenceDevice("containers", "fence_container",
                     frozen_map({"runtime": "podman", "container": f"{PREFIX}-{{plug}}"}),
                     timeout=60)


def agent(env: dict[str, str], action: str, plug: str = "n1") -> tuple[int | None, str]:
    result = asyncio.run(run_fence_agent(DEVICE, action, plug, env=env))
    return result.rc, result.output


def running(name: str) -> bool:
    return podman("inspect", "-f", "{{.State.Running}}", name) == "true"


@pytest.mark.tier1
def test_podman_off_kills_a_running_container_and_status_says_off(
        containers: dict[str, str]) -> None:
    podman("start", f"{PREFIX}-n1")
    assert agent(containers, "status") == (0, "Status: ON\n")
    rc, output = agent(containers, "off")
    assert rc == 0, output
    assert not running(f"{PREFIX}-n1")
    assert agent(containers, "status") == (2, "Status: OFF\n")
    assert running(f"{PREFIX}-n2")  # the other node is untouched


@pytest.mark.tier1
def test_podman_off_of_a_stopped_container_succeeds(containers: dict[str, str]) -> None:
    agent(containers, "off")
    rc, output = agent(containers, "off")
    assert rc == 0, output


@pytest.mark.tier1
def test_podman_on_starts_the_container_again(containers: dict[str, str]) -> None:
    agent(containers, "off")
    rc, output = agent(containers, "on")
    assert rc == 0, output
    assert running(f"{PREFIX}-n1")


@pytest.mark.tier1
def test_podman_reboot_leaves_a_new_process_running(containers: dict[str, str]) -> None:
    podman("start", f"{PREFIX}-n1")
    pid_before = podman("inspect", "-f", "{{.State.Pid}}", f"{PREFIX}-n1")
    rc, output = agent(containers, "reboot")
    assert rc == 0, output
    assert running(f"{PREFIX}-n1")
    assert podman("inspect", "-f", "{{.State.Pid}}", f"{PREFIX}-n1") != pid_before


@pytest.mark.tier1
def test_podman_list_and_monitor(containers: dict[str, str]) -> None:
    rc, output = agent(containers, "list")
    assert rc == 0 and {"n1,tfc-n1", "n2,tfc-n2"} <= set(output.splitlines())
    assert agent(containers, "monitor")[0] == 0


@pytest.mark.tier1
def test_podman_off_of_a_missing_container_fails(containers: dict[str, str]) -> None:
    rc, output = agent(containers, "off", plug="n9")
    assert rc == 1 and "tfc-n9" in output
