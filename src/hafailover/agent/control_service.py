"""The Control service as the agent serves it (hactl's calls)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

from hafailover.agent.commands import apply_config_text, run_command
from hafailover.agent.peer_channels import PeerError
from hafailover.agent.ports import CommandHost, ControlHost
from hafailover.agent.status import build_status
from hafailover.v1 import control_pb2, control_pb2_grpc

Context: TypeAlias = Any  # grpc.aio.ServicerContext (grpc ships no type information)

STATUS_TIMEOUT = 3.0  # seconds to get the coordinator's part of a status


async def wait_idle(agent: CommandHost, timeout: float) -> control_pb2.WaitReply:
    """As coordinator: wait until nothing is left to do, and say how it ended."""
    driver = agent.driver
    if not await driver.wait_idle(timeout):
        return control_pb2.WaitReply(
            complete=False, failed=driver.last_failed,
            message=f"not settled after {timeout:g}s; last: {driver.last_outcome}")
    return control_pb2.WaitReply(complete=True, failed=driver.last_failed,
                                 message=driver.last_outcome)


class ControlService(control_pb2_grpc.ControlServicer):
    def __init__(self, agent: ControlHost) -> None:
        self.agent = agent

    async def Status(self, request: control_pb2.StatusRequest,  # noqa: N802 (gRPC names)
                     context: Context) -> control_pb2.StatusReply:
        agent = self.agent
        status = build_status(agent)
        coordinator = agent.membership.view.coordinator
        if status["cluster_status"] is None and coordinator is not None:
            try:
                reply = await agent.peers.call(coordinator, "CoordinatorStatus",
                                               control_pb2.StatusRequest(), STATUS_TIMEOUT)
                status["cluster_status"] = json.loads(reply.json)
            except PeerError as exc:
                status["cluster_status_error"] = str(exc)
        return control_pb2.StatusReply(json=json.dumps(status))

    async def WaitTransition(self, request: control_pb2.WaitRequest,  # noqa: N802
                             context: Context) -> control_pb2.WaitReply:
        agent = self.agent
        coordinator = agent.membership.view.coordinator
        if coordinator == agent.node:
            return await wait_idle(agent, request.timeout)
        if coordinator is None:
            return control_pb2.WaitReply(complete=False, failed=True,
                                         message="no coordinator: the cluster is forming")
        try:
            reply: control_pb2.WaitReply = await agent.peers.call(
                coordinator, "WaitIdle", request, request.timeout + STATUS_TIMEOUT)
        except PeerError as exc:
            return control_pb2.WaitReply(complete=False, failed=True, message=str(exc))
        return reply

    async def Command(self, request: control_pb2.CommandRequest,  # noqa: N802
                      context: Context) -> control_pb2.CommandReply:
        return await run_command(self.agent, request)

    async def ApplyConfig(self, request: control_pb2.ApplyConfigRequest,  # noqa: N802
                          context: Context) -> control_pb2.ApplyConfigReply:
        outcome = await apply_config_text(self.agent, request.config_yaml, "<hactl>",
                                          dry_run=request.dry_run)
        return control_pb2.ApplyConfigReply(applied=outcome.applied, diff=outcome.diff,
                                            reports_json=outcome.reports_json,
                                            message=outcome.summary,
                                            consequences=outcome.consequences)

    async def GetConfig(self, request: control_pb2.GetConfigRequest,  # noqa: N802
                        context: Context) -> control_pb2.GetConfigReply:
        document = self.agent.state.document
        return control_pb2.GetConfigReply(config_yaml=document.config_yaml,
                                          version=str(document.version))

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
