"""Calls to the local agent over its control socket (a root-only unix socket)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc

from hafailover.v1 import control_pb2, control_pb2_grpc


def _stub(socket_path: Path) -> tuple[grpc.Channel, control_pb2_grpc.ControlStub]:
    channel = grpc.insecure_channel(f"unix:{socket_path}")
    return channel, control_pb2_grpc.ControlStub(channel)  # type: ignore[no-untyped-call]


def fetch_status(socket_path: Path, timeout: float = 2.0) -> dict[str, Any]:
    """The agent's status document (docs/status.md); raises grpc.RpcError if it is down."""
    channel, stub = _stub(socket_path)
    with channel:
        reply = stub.Status(control_pb2.StatusRequest(), timeout=timeout)
    data: dict[str, Any] = json.loads(reply.json)
    return data


def command(socket_path: Path, request: control_pb2.CommandRequest,
            timeout: float = 30.0) -> control_pb2.CommandReply:
    channel, stub = _stub(socket_path)
    with channel:
        reply: control_pb2.CommandReply = stub.Command(request, timeout=timeout)
    return reply


def apply_config(socket_path: Path, text: str, *, dry_run: bool = False,
                 timeout: float = 30.0) -> control_pb2.ApplyConfigReply:
    channel, stub = _stub(socket_path)
    with channel:
        reply: control_pb2.ApplyConfigReply = stub.ApplyConfig(
            control_pb2.ApplyConfigRequest(config_yaml=text, dry_run=dry_run),
            timeout=timeout)
    return reply
