"""The peer channel over real gRPC with mutual TLS: who gets in, and version mismatches."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from hafailover.peer import version as version_module
from hafailover.peer.service import PeerService, hello
from hafailover.peer.tls import channel_credentials, server_credentials
from hafailover.peer.version import Version
from hafailover.security.material import Identity, generate
from hafailover.v1 import peer_pb2, peer_pb2_grpc

pytestmark = pytest.mark.tier0


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    generate(directory, "demo", [Identity("n1", ("127.0.0.1",)), Identity("n2"),
                                 Identity("admin", server=False)])
    return directory


@pytest.fixture(scope="module")
def server(keys: Path) -> Iterator[int]:
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    peer_pb2_grpc.add_PeerServicer_to_server(PeerService("demo", "n1"), srv)
    port = srv.add_secure_port("127.0.0.1:0", server_credentials(keys, "n1"))
    srv.start()
    yield port
    srv.stop(None)


def channel(port: int, creds: grpc.ChannelCredentials) -> grpc.Channel:
    return grpc.secure_channel(f"127.0.0.1:{port}", creds,
                               options=[("grpc.ssl_target_name_override", "n1")])


def test_a_cluster_peer_is_welcome(server: int, keys: Path) -> None:
    with channel(server, channel_credentials(keys, "n2")) as ch:
        assert hello(ch, "demo", "n2", incarnation=1) is None


def test_a_client_without_a_certificate_is_refused(server: int, keys: Path) -> None:
    creds = grpc.ssl_channel_credentials(root_certificates=(keys / "ca.crt").read_bytes())
    with channel(server, creds) as ch, pytest.raises(grpc.RpcError) as failure:
        peer_pb2_grpc.PeerStub(ch).Hello(peer_pb2.HelloRequest(cluster="demo"), timeout=5)
    assert failure.value.code() is grpc.StatusCode.UNAVAILABLE


def test_a_certificate_of_another_cluster_is_refused(server: int, keys: Path,
                                                     tmp_path: Path) -> None:
    generate(tmp_path, "other", [Identity("n2")])
    creds = grpc.ssl_channel_credentials(
        root_certificates=(keys / "ca.crt").read_bytes(),
        private_key=(tmp_path / "n2.key").read_bytes(),
        certificate_chain=(tmp_path / "n2.crt").read_bytes())
    with channel(server, creds) as ch, pytest.raises(grpc.RpcError):
        peer_pb2_grpc.PeerStub(ch).Hello(peer_pb2.HelloRequest(cluster="demo"), timeout=5)


def test_an_incompatible_peer_gets_an_explicit_error(server: int, keys: Path) -> None:
    with channel(server, channel_credentials(keys, "n2")) as ch:
        problem = hello(ch, "demo", "n2", incarnation=1,
                        local=Version(2, 0, "hafailover 9.0"))
    assert problem is not None
    assert "n2 runs protocol 2" in problem and "n1 runs protocol 1" in problem
    assert "upgrade n1" in problem


def test_a_peer_of_another_cluster_name_is_told_so(server: int, keys: Path) -> None:
    with channel(server, channel_credentials(keys, "n2")) as ch:
        problem = hello(ch, "prod", "n2", incarnation=1)
    assert problem == "n2 belongs to cluster 'prod', this node n1 to 'demo'"


def test_compatibility_sentence_names_who_to_upgrade() -> None:
    old, new = Version(1, 0, "hafailover 0.1"), Version(2, 0, "hafailover 0.2")
    assert version_module.compatibility("n1", old, "n3", old) is None
    message = version_module.compatibility("n1", old, "n3", new)
    assert message == ("n3 runs protocol 2 (hafailover 0.2), this node n1 runs protocol 1 "
                       "(hafailover 0.1): upgrade n1 to the version n3 runs, one node at a "
                       "time")
