"""A client of an agent's Control service: over its root-only unix socket, or over the
peer port with mutual TLS and the cluster's ``admin`` certificate.

Every failure to reach the agent is raised as ``ControlError`` with a sentence that says
what to do about it; callers never see a raw ``grpc.RpcError``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from hafailover import settings
from hafailover.v1 import control_pb2, control_pb2_grpc

START_HINT = ("start it with 'systemctl start hafailover' (or, in the foreground, "
              "'hafailover agent --node NAME')")


class ControlError(Exception):
    """The agent could not be reached or did not answer; the message says why."""

    def __init__(self, message: str, *, permission: bool = False) -> None:
        super().__init__(message)
        self.permission = permission


@dataclass(frozen=True)
class ControlEvent:
    time: float  # seconds since the epoch
    kind: str
    message: str
    details: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"time": self.time, "kind": self.kind, "message": self.message,
                "details": self.details}


def default_socket() -> Path:
    return Path(settings.RUN_DIR) / settings.CONTROL_SOCKET_NAME


class ControlClient:
    """One agent's Control service. Use ``ControlClient.unix`` or ``ControlClient.tls``;
    close it (or use it as a context manager) when done."""

    def __init__(self, channel: grpc.Channel, where: str, *,
                 socket_path: Path | None = None) -> None:
        self.channel = channel
        self.where = where  # for messages: "the agent at /run/hafailover/control.sock"
        self.socket_path = socket_path
        self.stub = control_pb2_grpc.ControlStub(channel)  # type: ignore[no-untyped-call]

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def unix(cls, socket_path: Path | None = None) -> ControlClient:
        """The local agent's socket; checked first, so that a missing agent or a missing
        permission is said plainly instead of as a gRPC error."""
        path = socket_path or default_socket()
        check_socket(path)
        return cls(grpc.insecure_channel(f"unix:{path}"), f"the agent at {path}",
                   socket_path=path)

    @classmethod
    def tls(cls, endpoint: str, key_dir: Path, *,
            server_name: str | None = None) -> ControlClient:
        """Any node's agent over its peer port, as the cluster's ``admin``."""
        from hafailover.peer.tls import channel_credentials

        if ":" not in endpoint.strip("[]") and not endpoint.startswith("["):
            raise ControlError(f"--endpoint '{endpoint}' needs a port: HOST:PORT "
                               "(the peer port, 7405 by default)")
        try:
            credentials = channel_credentials(key_dir, "admin")
        except FileNotFoundError as exc:
            raise ControlError(f"{exc} (hactl needs ca.crt, admin.crt and admin.key)") from None
        except PermissionError as exc:
            raise ControlError(f"cannot read the admin certificate: {exc}",
                               permission=True) from None
        options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
        return cls(grpc.secure_channel(endpoint, credentials, options=options),
                   f"the agent at {endpoint}")

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- calls --------------------------------------------------------------------------

    def status(self, timeout: float = 5.0) -> dict[str, Any]:
        """The agent's status document (docs/status.md)."""
        reply = self._call("Status", control_pb2.StatusRequest(), timeout)
        data: dict[str, Any] = json.loads(reply.json)
        return data

    def command(self, request: control_pb2.CommandRequest,
                timeout: float = 30.0) -> control_pb2.CommandReply:
        reply: control_pb2.CommandReply = self._call("Command", request, timeout)
        return reply

    def apply_config(self, text: str, *, dry_run: bool = False,
                     timeout: float = 30.0) -> control_pb2.ApplyConfigReply:
        reply: control_pb2.ApplyConfigReply = self._call(
            "ApplyConfig", control_pb2.ApplyConfigRequest(config_yaml=text, dry_run=dry_run),
            timeout)
        return reply

    def wait(self, timeout: float) -> control_pb2.WaitReply:
        """Returns once the coordinator has nothing left to do, or after ``timeout``."""
        reply: control_pb2.WaitReply = self._call(
            "WaitTransition", control_pb2.WaitRequest(timeout=timeout), timeout + 10.0)
        return reply

    def events(self, since: float = 0.0, *, follow: bool = False) -> Iterator[ControlEvent]:
        """The decision history from ``since`` (seconds since the epoch); with ``follow``,
        then every new event until the caller stops iterating."""
        request = control_pb2.EventsRequest(since=since, follow=follow)
        try:
            for event in self.stub.Events(request, timeout=None if follow else 10.0):
                yield ControlEvent(event.time, event.kind, event.message,
                                   json.loads(event.json) if event.json else {})
        except grpc.RpcError as exc:
            if exc.code() is grpc.StatusCode.CANCELLED:  # the caller stopped
                return
            raise self._error(exc) from None

    def running_config(self, timeout: float = 10.0) -> str:
        """The configuration the cluster runs (its replicated text)."""
        reply: control_pb2.GetConfigReply = self._call(
            "GetConfig", control_pb2.GetConfigRequest(), timeout)
        return reply.config_yaml

    def _call(self, method: str, request: Any, timeout: float) -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise self._error(exc) from None

    def _error(self, exc: grpc.RpcError) -> ControlError:
        code = exc.code()
        details = exc.details() or code.name
        if "permission denied" in details.lower():
            return ControlError(f"permission denied on {self.where}: hactl talks to the "
                                "agent as root (run it with sudo)", permission=True)
        if code is grpc.StatusCode.UNAVAILABLE:
            if self.socket_path is not None:
                return ControlError(f"{self.where} does not answer ({details}): is the "
                                    f"agent running? {START_HINT}")
            return ControlError(f"{self.where} does not answer ({details}): is the agent "
                                "running there, is the port open, and are ca.crt/admin.crt "
                                "from this cluster?")
        if code is grpc.StatusCode.DEADLINE_EXCEEDED:
            return ControlError(f"{self.where} did not answer in time: the agent may be "
                                "overloaded or stuck; see its log (journalctl -u hafailover)")
        return ControlError(f"{self.where} failed: {code.name}: {details}")


def check_socket(path: Path) -> None:
    """Raise ControlError unless ``path`` looks like a socket this user may use."""
    directory = path.parent
    if directory.exists() and not os.access(directory, os.X_OK):
        raise ControlError(f"permission denied on {directory}: the control socket is "
                           "root-only; run hactl as root (sudo hactl ...)", permission=True)
    if not path.exists():
        raise ControlError(f"no agent socket at {path}: the agent is not running on this "
                           f"node; {START_HINT}. From another host, use --endpoint "
                           "HOST:PORT with the cluster's admin certificate.")
    if not os.access(path, os.R_OK | os.W_OK):
        raise ControlError(f"permission denied on {path}: the control socket is root-only; "
                           "run hactl as root (sudo hactl ...)", permission=True)


def wait_until_settled(client: ControlClient, timeout: float, *,
                       step: float = 1.0) -> Iterator[tuple[float, control_pb2.WaitReply]]:
    """Ask in steps of ``step`` seconds until settled or ``timeout``; yields each
    (elapsed, reply), the last one being complete or timed out."""
    start = time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        left = timeout - elapsed
        reply = client.wait(max(0.0, min(step, left)))
        elapsed = time.monotonic() - start
        yield elapsed, reply
        if reply.complete or elapsed >= timeout or unanswerable(reply):
            return


def unanswerable(reply: control_pb2.WaitReply) -> bool:
    """The wait could not be made at all (no coordinator, the coordinator unreachable),
    as opposed to a wait that timed out ("not settled after ...")."""
    return not reply.complete and not reply.message.startswith("not settled")


# --- the calls as functions, for the lab and for scripts --------------------------------


def fetch_status(socket_path: Path, timeout: float = 2.0) -> dict[str, Any]:
    """The agent's status document (docs/status.md); raises ControlError if it is down."""
    with ControlClient.unix(socket_path) as client:
        return client.status(timeout)


def command(socket_path: Path, request: control_pb2.CommandRequest,
            timeout: float = 30.0) -> control_pb2.CommandReply:
    with ControlClient.unix(socket_path) as client:
        return client.command(request, timeout)


def apply_config(socket_path: Path, text: str, *, dry_run: bool = False,
                 timeout: float = 30.0) -> control_pb2.ApplyConfigReply:
    with ControlClient.unix(socket_path) as client:
        return client.apply_config(text, dry_run=dry_run, timeout=timeout)
