"""The Control service as the agent serves it (hactl's calls)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TypeAlias

from hafailover.agent.commands import apply_config_text, run_command
from hafailover.agent.status import build_status
from hafailover.v1 import control_pb2, control_pb2_grpc

if TYPE_CHECKING:
    from hafailover.agent.daemon import Agent

Context: TypeAlias = Any  # grpc.aio.ServicerContext (grpc ships no type information)


class ControlService(control_pb2_grpc.ControlServicer):
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def Status(self, request: control_pb2.StatusRequest,  # noqa: N802 (gRPC names)
                     context: Context) -> control_pb2.StatusReply:
        return control_pb2.StatusReply(json=json.dumps(build_status(self.agent)))

    async def Command(self, request: control_pb2.CommandRequest,  # noqa: N802
                      context: Context) -> control_pb2.CommandReply:
        return await run_command(self.agent, request)

    async def ApplyConfig(self, request: control_pb2.ApplyConfigRequest,  # noqa: N802
                          context: Context) -> control_pb2.ApplyConfigReply:
        outcome = await apply_config_text(self.agent, request.config_yaml, "<hactl>",
                                          dry_run=request.dry_run)
        return control_pb2.ApplyConfigReply(applied=outcome.applied, diff=outcome.diff,
                                            reports_json=outcome.reports_json)

    async def Events(self, request: control_pb2.EventsRequest,  # noqa: N802
                     context: Context) -> AsyncIterator[control_pb2.Event]:
        def message(event: Any) -> control_pb2.Event:
            return control_pb2.Event(time=event.time, kind=event.kind, message=event.message,
                                     json=json.dumps(event.details))

        if not request.follow:
            for event in self.agent.events.since(request.since):
                yield message(event)
            return
        async for event in self.agent.events.follow(request.since):
            yield message(event)
