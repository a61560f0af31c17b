"""Calls to the other agents over the peer channel (grpc.aio with mutual TLS).

One channel per peer, opened lazily and kept; every call has a deadline and failures are
returned as ``PeerError`` with a sentence, never raised into the daemon's loop unseen.
"""

from __future__ import annotations

from typing import Any

import grpc
from grpc import aio

from hafailover.config.model import ClusterConfig
from hafailover.v1 import peer_pb2, peer_pb2_grpc

# the peer certificate names the node; its address is not in the certificate's names
# when a node is reached over an address added later, so we check the name instead
_OPTIONS = (("grpc.keepalive_time_ms", 10000),
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.min_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 1000),
            ("grpc.max_receive_message_length", 64 * 1024 * 1024))


class PeerError(Exception):
    def __init__(self, node: str, call: str, error: grpc.RpcError | Exception) -> None:
        if isinstance(error, aio.AioRpcError):
            detail = f"{error.code().name}: {error.details()}"
        else:
            detail = str(error) or type(error).__name__
        super().__init__(f"{call} to {node} failed: {detail}")
        self.node = node
        self.call = call
        self.unavailable = (isinstance(error, aio.AioRpcError)
                            and error.code() in (grpc.StatusCode.UNAVAILABLE,
                                                 grpc.StatusCode.DEADLINE_EXCEEDED))


class Peers:
    def __init__(self, config: ClusterConfig, me: str,
                 credentials: grpc.ChannelCredentials) -> None:
        self.config = config
        self.me = me
        self.credentials = credentials
        self._stubs: dict[str, peer_pb2_grpc.PeerStub] = {}
        self._channels: dict[str, aio.Channel] = {}

    def target(self, node: str) -> str:
        address = self.config.peer_address(node)
        if address is None:
            raise KeyError(f"node '{node}' has no address for the peer channel")
        host = f"[{address}]" if ":" in address else address
        return f"{host}:{self.config.peer.port}"

    def stub(self, node: str) -> peer_pb2_grpc.PeerStub:
        stub = self._stubs.get(node)
        if stub is None:
            options = (*_OPTIONS, ("grpc.ssl_target_name_override", node))
            channel = aio.secure_channel(self.target(node), self.credentials, options=options)
            self._channels[node] = channel
            stub = peer_pb2_grpc.PeerStub(channel)  # type: ignore[no-untyped-call]
            self._stubs[node] = stub
        return stub

    async def call(self, node: str, method: str, request: Any, timeout: float) -> Any:
        try:
            return await getattr(self.stub(node), method)(request, timeout=timeout)
        except (grpc.RpcError, OSError, KeyError) as exc:
            raise PeerError(node, method, exc) from None

    async def probe(self, node: str, view: int, timeout: float) -> peer_pb2.ProbeReply:
        reply: peer_pb2.ProbeReply = await self.call(
            node, "Probe", peer_pb2.ProbeRequest(from_node=self.me, view=view), timeout)
        return reply

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()
        self._stubs.clear()


def certificate_name(context: Any) -> str | None:
    """The common name of the calling peer's certificate (None over the unix socket)."""
    auth = context.auth_context()
    names = auth.get("x509_common_name") or []
    return names[0].decode() if names else None
