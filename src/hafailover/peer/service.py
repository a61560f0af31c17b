"""Version negotiation on the peer channel (Hello), on both sides; the agent daemon
serves the rest of the Peer service (hafailover.agent.peer_service)."""

from __future__ import annotations

import grpc

from hafailover.log import get_logger
from hafailover.peer.version import LOCAL, Version, compatibility
from hafailover.v1 import peer_pb2, peer_pb2_grpc

log = get_logger(__name__)


def version_message(local: Version = LOCAL) -> peer_pb2.ProtocolVersion:
    return peer_pb2.ProtocolVersion(major=local.major, minor=local.minor,
                                    software=local.software)


def answer_hello(cluster: str, node: str,
                 request: peer_pb2.HelloRequest) -> peer_pb2.HelloReply:
    """The reply to a peer's hello; an incompatible peer is told why, and it is logged."""
    reply = peer_pb2.HelloReply(cluster=cluster, node=node, version=version_message(),
                                compatible=True)
    if request.cluster != cluster:
        reply.compatible = False
        reply.message = (f"{request.node} belongs to cluster '{request.cluster}', "
                         f"this node {node} to '{cluster}'")
    else:
        peer = Version(request.version.major, request.version.minor,
                       request.version.software)
        problem = compatibility(node, LOCAL, request.node, peer)
        if problem:
            reply.compatible = False
            reply.message = problem
    if not reply.compatible:
        log.error("peer refused", peer=request.node, reason=reply.message)
    return reply


class PeerService(peer_pb2_grpc.PeerServicer):
    """Hello alone, on a synchronous server (the agent serves the whole service)."""

    def __init__(self, cluster: str, node: str) -> None:
        self.cluster = cluster
        self.node = node

    def Hello(self, request: peer_pb2.HelloRequest,  # noqa: N802 (gRPC method name)
              context: grpc.ServicerContext) -> peer_pb2.HelloReply:
        return answer_hello(self.cluster, self.node, request)


def hello(channel: grpc.Channel, cluster: str, node: str, incarnation: int,
          timeout: float = 5.0, local: Version = LOCAL) -> str | None:
    """Say hello to a peer; None when compatible, else the reason (logged here too)."""
    stub = peer_pb2_grpc.PeerStub(channel)  # type: ignore[no-untyped-call]
    reply = stub.Hello(peer_pb2.HelloRequest(
        cluster=cluster, node=node, incarnation=incarnation,
        version=version_message(local)), timeout=timeout)
    return check_hello_reply(node, reply, local)


def check_hello_reply(node: str, reply: peer_pb2.HelloReply,
                      local: Version = LOCAL) -> str | None:
    """None when the peer that sent ``reply`` is compatible, else why (logged here too)."""
    if reply.compatible:
        problem = compatibility(node, local, reply.node,
                                Version(reply.version.major, reply.version.minor,
                                        reply.version.software))
    else:
        problem = reply.message
    if problem:
        log.error("peer refused", peer=reply.node, reason=problem)
    return problem
