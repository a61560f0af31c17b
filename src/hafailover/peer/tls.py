"""gRPC credentials from the cluster's key directory (see hafailover.security.material)."""

from __future__ import annotations

from pathlib import Path

import grpc


def _read(directory: Path, name: str) -> bytes:
    path = directory / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is missing; create the cluster's keys with: "
                                "hafailover keygen --config CONFIG --out "
                                f"{directory}") from None


def server_credentials(key_dir: Path, node: str) -> grpc.ServerCredentials:
    """Serve as ``node``; accept only clients with a certificate from the cluster CA."""
    return grpc.ssl_server_credentials(
        [(_read(key_dir, f"{node}.key"), _read(key_dir, f"{node}.crt"))],
        root_certificates=_read(key_dir, "ca.crt"),
        require_client_auth=True,
    )


def channel_credentials(key_dir: Path, identity: str) -> grpc.ChannelCredentials:
    """Connect as ``identity`` (a node, or ``admin`` for hactl), trusting the cluster CA."""
    return grpc.ssl_channel_credentials(
        root_certificates=_read(key_dir, "ca.crt"),
        private_key=_read(key_dir, f"{identity}.key"),
        certificate_chain=_read(key_dir, f"{identity}.crt"),
    )
