"""Shared fixtures for the tier-1 tests of our OCF agents (haproxy, varnish, tomcat).

The agents are installed with ``hafailover agents install`` into a temporary OCF root
whose ``lib`` links to Debian's ``/usr/lib/ocf/lib`` (ocf-shellfuncs), and are run the
way a cluster runs them: the action as the only argument, parameters in OCF_RESKEY_*,
inside the network namespace of the server under test.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from hafailover.cli.agents_cmd import agents_group
from hafailover.lab.netns import Netns

DEBIAN_OCF_LIB = Path("/usr/lib/ocf/lib")


def require_root_and(*binaries: str) -> None:
    """Skip the calling test module unless we are root and every binary is installed."""
    if os.geteuid() != 0:
        pytest.skip("tier-1 agent tests need root (network namespaces)", allow_module_level=True)
    missing = [b for b in ("ip", "ocf-tester", "curl", *binaries) if shutil.which(b) is None]
    if missing or not (DEBIAN_OCF_LIB / "heartbeat" / "ocf-shellfuncs").is_file():
        pytest.skip(f"missing {', '.join(missing) or 'resource-agents'} "
                    "(run scripts/setup.sh)", allow_module_level=True)


def world_readable_tempdir(prefix: str) -> Path:
    """A temp dir others can traverse: ocf-tester runs meta-data as 'nobody', and
    varnish and tomcat read their files after dropping privileges."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def ocf_root() -> Iterator[Path]:
    root = world_readable_tempdir("hafailover-ocf-")
    (root / "lib").symlink_to(DEBIAN_OCF_LIB)
    result = CliRunner().invoke(agents_group, ["install", "--ocf-root", str(root)])
    assert result.exit_code == 0, result.output
    yield root
    shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class OcfResult:
    rc: int
    stdout: str
    stderr: str

    @property
    def exit_reason(self) -> str:
        """What the agent gave as ocf_exit_reason (empty if none)."""
        return " | ".join(line.split(":", 1)[1] for line in self.stderr.splitlines()
                          if line.startswith("ocf-exit-reason:"))

    def __str__(self) -> str:
        return f"rc={self.rc}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


@dataclass
class OcfAgent:
    """One resource: an agent, its parameters, and the namespace it runs in."""

    name: str
    path: Path
    ocf_root: Path
    ns: Netns
    params: dict[str, str] = field(default_factory=dict)
    instance: str = "test"

    def env(self, overrides: Mapping[str, str] | None = None,
            timeout_ms: int = 60000) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "OCF_ROOT": str(self.ocf_root),
            "OCF_RA_VERSION_MAJOR": "1",
            "OCF_RA_VERSION_MINOR": "1",
            "OCF_RESOURCE_INSTANCE": self.instance,
            "OCF_RESOURCE_TYPE": self.name,
            "OCF_RESOURCE_PROVIDER": "hafailover",
            "OCF_RESKEY_CRM_meta_timeout": str(timeout_ms),
            "OCF_RESKEY_CRM_meta_interval": "10000",
        }
        for key, value in {**self.params, **(overrides or {})}.items():
            env[f"OCF_RESKEY_{key}"] = value
        return env

    def run(self, action: str, timeout: float = 90, **overrides: str) -> OcfResult:
        result = self.ns.run([str(self.path), action], check=False, timeout=timeout,
                             env=self.env(overrides, int(timeout * 1000)))
        return OcfResult(result.returncode, result.stdout, result.stderr)

    def started(self) -> OcfAgent:
        """Start (a no-op when it runs) and insist on success; the agent, for chaining."""
        result = self.run("start")
        assert result.rc == 0, result
        return self

    def ocf_tester(self, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        argv = ["ocf-tester", "-n", self.instance]
        for key, value in self.params.items():
            argv += ["-o", f"{key}={value}"]
        env = {"PATH": os.environ.get("PATH", ""), "OCF_ROOT": str(self.ocf_root)}
        return self.ns.run([*argv, str(self.path)], check=False, timeout=timeout, env=env)

    def pid_from(self, pidfile: str) -> int:
        return int(Path(pidfile).read_text().split()[0])


MakeAgent = Callable[[str, Netns, dict[str, str]], "OcfAgent"]


@pytest.fixture(scope="session")
def make_agent(ocf_root: Path) -> MakeAgent:
    """make_agent(name, ns, params): our installed agent NAME, run inside NS with PARAMS."""
    def make(name: str, ns: Netns, params: dict[str, str]) -> OcfAgent:
        path = ocf_root / "resource.d" / "hafailover" / name
        assert path.is_file(), f"{name} was not installed into {path.parent}"
        return OcfAgent(name, path, ocf_root, ns, dict(params), instance=f"{name}-test")
    return make


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0,
             interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def curl(ns: Netns, url: str, timeout: float = 5) -> subprocess.CompletedProcess[str]:
    return ns.run(["curl", "-sS", "-m", str(timeout), url], check=False, timeout=timeout + 5)


def start_http_backend(ns: Netns, directory: Path, port: int) -> subprocess.Popen[bytes]:
    """A static web server (python3 http.server) inside the namespace, answering when returned."""
    proc = ns.popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                     "--directory", str(directory)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    if not wait_for(lambda: curl(ns, url, timeout=1).returncode == 0, timeout=15):
        proc.kill()
        raise RuntimeError(f"backend on {url} did not answer")
    return proc


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# Runs inside a namespace: fetch URL over new connections for SECONDS, print "ok fail error".
REQUEST_LOOP = """
import sys, time, urllib.request
url, seconds = sys.argv[1], float(sys.argv[2])
ok = fail = 0
first = ""
end = time.monotonic() + seconds
while time.monotonic() < end:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            answer.read()
        ok += 1
    except Exception as exc:
        fail += 1
        first = first or repr(exc)
print(ok, fail, first)
"""


def request_loop(ns: Netns, url: str, seconds: float) -> subprocess.Popen[bytes]:
    """Start a client hammering URL; communicate() gives 'ok fail first-error'."""
    return ns.popen([sys.executable, "-c", REQUEST_LOOP, url, str(seconds)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
