"""The chaos suite's one port to the outside world: the container engine and compose.

``Engine`` runs the podman or docker command line (the same subcommands on both) and
the matching compose tool (``podman-compose`` or ``docker compose``). With podman it also
provides what Docker has by itself: the Docker-compatible API socket that the nodes'
``fence_container`` uses (``podman system service``), and the containers.conf that this
kind of host needs (runc, lower rlimits) when the caller set none.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

PODMAN_SOCKET = Path("/run/hafailover-chaos/podman.sock")
COMMAND_TIMEOUT = 120.0


class EngineError(RuntimeError):
    """A container engine command failed; the message has its output."""


def detect_engine() -> str:
    """``docker`` when a Docker engine answers, else ``podman`` when it is installed."""
    if shutil.which("docker"):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            if subprocess.run(["docker", "info"], capture_output=True, timeout=20,
                              check=False).returncode == 0:
                return "docker"
    if shutil.which("podman"):
        return "podman"
    raise EngineError("neither a Docker engine nor podman is available")


def default_containers_conf() -> Path | None:
    """``deploy/podman-containers.conf`` of the checkout this package runs from."""
    candidate = Path(__file__).resolve().parents[3] / "deploy" / "podman-containers.conf"
    return candidate if candidate.is_file() else None


class Engine:
    def __init__(self, name: str, compose_file: Path, project: str) -> None:
        if name not in ("podman", "docker"):
            raise EngineError(f"engine must be podman or docker, not {name!r}")
        self.name = name
        self.compose_file = compose_file
        self.project = project
        self.env = dict(os.environ) | {"HAFAILOVER_PROJECT": project}
        self._service: subprocess.Popen[bytes] | None = None
        if name == "podman":
            conf = os.environ.get("CONTAINERS_CONF") or default_containers_conf()
            if conf:
                self.env["CONTAINERS_CONF"] = str(conf)

    # --- commands ---------------------------------------------------------------------

    def run(self, args: Sequence[str], *, timeout: float = COMMAND_TIMEOUT,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(list(args), capture_output=True, text=True,
                                    env=self.env, timeout=timeout, check=False,
                                    stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"{' '.join(args)}: {exc}") from None
        if check and result.returncode != 0:
            raise EngineError(f"{' '.join(args)} exited {result.returncode}: "
                              f"{(result.stderr or result.stdout).strip()[-2000:]}")
        return result

    def cli(self, *args: str, timeout: float = COMMAND_TIMEOUT,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run([self.name, *args], timeout=timeout, check=check)

    def compose(self, *args: str, timeout: float = 600.0) -> subprocess.CompletedProcess[str]:
        tool = ["podman-compose"] if self.name == "podman" else ["docker", "compose"]
        return self.run([*tool, "-p", self.project, "-f", str(self.compose_file), *args],
                        timeout=timeout)

    def container(self, service: str) -> str:
        return f"{self.project}-{service}"

    def network(self) -> str:
        return f"{self.project}-net"

    def popen(self, args: Sequence[str]) -> subprocess.Popen[str]:
        """A long-running command whose standard output is read line by line."""
        return subprocess.Popen(list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                text=True, env=self.env, bufsize=1)

    def exec_argv(self, service: str, *argv: str) -> list[str]:
        return [self.name, "exec", self.container(service), *argv]

    def exec(self, service: str, *argv: str, timeout: float = 30.0,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(self.exec_argv(service, *argv), timeout=timeout, check=check)

    def state(self, service: str) -> str:
        """``running``, ``paused``, ``exited``... or ``missing``."""
        result = self.cli("inspect", "-f", "{{.State.Status}}", self.container(service),
                          check=False)
        return result.stdout.strip() if result.returncode == 0 else "missing"

    # --- the podman API socket for fence_container -------------------------------------

    def start_api_service(self) -> None:
        """With podman, serve the Docker-compatible API where the compose file's
        ``HAFAILOVER_ENGINE_SOCKET`` points; Docker has its own socket."""
        if self.name != "podman":
            return
        socket_path = Path(self.env.get("HAFAILOVER_ENGINE_SOCKET") or PODMAN_SOCKET)
        self.env["HAFAILOVER_ENGINE_SOCKET"] = str(socket_path)
        socket_path.parent.mkdir(parents=True, exist_ok=True)
        if socket_path.exists() and self._socket_answers(socket_path):
            return
        socket_path.unlink(missing_ok=True)
        self._service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        while not self._socket_answers(socket_path):
            if time.monotonic() > deadline or self._service.poll() is not None:
                raise EngineError(f"podman system service did not answer on {socket_path}")
            time.sleep(0.2)

    @staticmethod
    def _socket_answers(path: Path) -> bool:
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            try:
                sock.connect(str(path))
                sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return b"OK" in sock.recv(1024)
            except OSError:
                return False

    def stop_api_service(self) -> None:
        if self._service is not None and self._service.poll() is None:
            self._service.terminate()
            try:
                self._service.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._service.kill()
                self._service.wait()
        self._service = None
