"""The Peer gRPC service. Hello (version negotiation) is here; the rest comes with the
agent daemon, which implements the calls it drives (join, replication, actions, fencing)."""

from __future__ import annotations

import grpc

from hafailover.log import get_logger
from hafailover.peer.version import LOCAL, Version, compatibility
from hafailover.v1 import peer_pb2, peer_pb2_grpc

log = get_logger(__name__)


class PeerService(peer_pb2_grpc.PeerServicer):
    def __init__(self, cluster: str, node: str) -> None:
        self.cluster = cluster
        self.node = node

    def _version(self) -> peer_pb2.ProtocolVersion:
        return peer_pb2.ProtocolVersion(major=LOCAL.major, minor=LOCAL.minor,
                                        software=LOCAL.software)

    def Hello(self, request: peer_pb2.HelloRequest,  # noqa: N802 (gRPC method name)
              context: grpc.ServicerContext) -> peer_pb2.HelloReply:
        reply = peer_pb2.HelloReply(cluster=self.cluster, node=self.node,
                                    version=self._version(), compatible=True)
        if request.cluster != self.cluster:
            reply.compatible = False
            reply.message = (f"{request.node} belongs to cluster '{request.cluster}', "
                             f"this node {self.node} to '{self.cluster}'")
        else:
            peer = Version(request.version.major, request.version.minor,
                           request.version.software)
            problem = compatibility(self.node, LOCAL, request.node, peer)
            if problem:
                reply.compatible = False
                reply.message = problem
        if not reply.compatible:
            log.error("peer refused", peer=request.node, reason=reply.message)
        return reply


def hello(channel: grpc.Channel, cluster: str, node: str, incarnation: int,
          timeout: float = 5.0, local: Version = LOCAL) -> str | None:
    """Say hello to a peer; None when compatible, else the reason (logged here too)."""
    stub = peer_pb2_grpc.PeerStub(channel)  # type: ignore[no-untyped-call]
    reply = stub.Hello(peer_pb2.HelloRequest(
        cluster=cluster, node=node, incarnation=incarnation,
        version=peer_pb2.ProtocolVersion(major=local.major, minor=local.minor,
                                         software=local.software)), timeout=timeout)
    if reply.compatible:
        problem = compatibility(node, local, reply.node,
                                Version(reply.version.major, reply.version.minor,
                                        reply.version.software))
    else:
        problem = reply.message
    if problem:
        log.error("peer refused", peer=reply.node, reason=problem)
    return problem
