"""The Peer service as the agent serves it: each call handed to the daemon's logic."""

from __future__ import annotations

import json
from typing import Any, TypeAlias

import grpc

from hafailover.agent.commands import run_command
from hafailover.agent.control_service import wait_idle
from hafailover.agent.peer_channels import certificate_name
from hafailover.agent.ports import PeerHost
from hafailover.agent.replication import (
    RejectedDocumentError,
    from_message,
    to_message,
    version_message,
    version_of,
)
from hafailover.agent.status import cluster_section
from hafailover.agent.views import view_of
from hafailover.peer.service import answer_hello
from hafailover.v1 import control_pb2, peer_pb2, peer_pb2_grpc

Context: TypeAlias = Any  # grpc.aio.ServicerContext (grpc ships no type information)


class PeerService(peer_pb2_grpc.PeerServicer):
    def __init__(self, agent: PeerHost) -> None:
        self.agent = agent

    async def Hello(self, request: peer_pb2.HelloRequest,  # noqa: N802 (gRPC names)
                    context: Context) -> peer_pb2.HelloReply:
        reply = answer_hello(self.agent.boot_config.name, self.agent.node, request)
        if not reply.compatible:
            self.agent.events.record("membership", reply.message, level="error",
                                     node=request.node)
        return reply

    async def Probe(self, request: peer_pb2.ProbeRequest,  # noqa: N802
                    context: Context) -> peer_pb2.ProbeReply:
        membership = self.agent.membership
        return peer_pb2.ProbeReply(node=self.agent.node, incarnation=self.agent.incarnation,
                                   view=membership.view.number,
                                   alive_peers=[m for m in membership.members()
                                                if m != self.agent.node])

    async def PublishView(self, request: peer_pb2.ViewMessage,  # noqa: N802
                          context: Context) -> peer_pb2.ViewAck:
        agent = self.agent
        sender = certificate_name(context) or request.from_node
        view = view_of(request)
        problem = agent.membership.receive_view(view, sender)
        if problem is None:
            agent.adopt_view(view)
        return peer_pb2.ViewAck(accepted=problem is None, node=agent.node,
                                view=agent.membership.view.number,
                                have=version_message(agent.state.version),
                                resources=agent.local_resources(), message=problem or "",
                                probed=agent.resources.probed)

    async def FetchState(self, request: peer_pb2.FetchStateRequest,  # noqa: N802
                         context: Context) -> peer_pb2.ClusterDocument:
        return to_message(self.agent.state.document)

    async def PushState(self, request: peer_pb2.PushStateRequest,  # noqa: N802
                        context: Context) -> peer_pb2.PushStateReply:
        agent = self.agent
        try:
            document = from_message(request.document)
        except RejectedDocumentError as exc:
            stored, message = False, str(exc)
        else:
            stored, message = agent.receive_state(document, certificate_name(context))
        return peer_pb2.PushStateReply(accepted=stored,
                                       have=version_message(agent.state.version),
                                       message=message)

    async def RunAction(self, request: peer_pb2.ActionRequest,  # noqa: N802
                        context: Context) -> peer_pb2.ActionResult:
        agent = self.agent
        sender = certificate_name(context)
        coordinator = agent.membership.view.coordinator
        if sender is not None and sender != coordinator:
            # a coordinator that has not yet seen that it was replaced: never obey two
            agent.events.record("action", f"refused {request.action} {request.resource} "
                                f"from {sender}: the coordinator is {coordinator}",
                                level="warning")
            return peer_pb2.ActionResult(
                transition=request.transition, action_id=request.action_id, node=agent.node,
                resource=request.resource, action=request.action, rc=1, status="refused",
                exit_reason=f"{sender} is not the coordinator of view "
                            f"{agent.membership.view.number} ({coordinator})")
        if request.HasField("config") and version_of(request.config) > agent.state.version \
                and coordinator is not None:
            await agent.catch_up(coordinator)  # the action was planned on a newer state
        result = await agent.resources.run_action(request)
        if agent.membership.view.coordinator not in (sender, None):
            # a new coordinator took over while the action ran, and it knows only what
            # ran here when it did: it must hear how the action ended, too
            agent.report(result)
        return result

    async def ReportResult(self, request: peer_pb2.ActionResult,  # noqa: N802
                           context: Context) -> peer_pb2.Ack:
        agent = self.agent
        if agent.membership.view.coordinator != agent.node:
            return peer_pb2.Ack(ok=False, message=f"{agent.node} is not the coordinator")
        agent.driver.result_arrived(request)
        return peer_pb2.Ack(ok=True)

    async def CoordinatorStatus(self, request: control_pb2.StatusRequest,  # noqa: N802
                                context: Context) -> control_pb2.StatusReply:
        agent = self.agent
        if not agent.membership.is_coordinator:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION,
                                f"{agent.node} is not the coordinator")
        return control_pb2.StatusReply(json=json.dumps(cluster_section(agent)))

    async def WaitIdle(self, request: control_pb2.WaitRequest,  # noqa: N802
                       context: Context) -> control_pb2.WaitReply:
        return await wait_idle(self.agent, request.timeout)

    async def Submit(self, request: control_pb2.CommandRequest,  # noqa: N802
                     context: Context) -> control_pb2.CommandReply:
        return await run_command(self.agent, request, forwarded=True)
