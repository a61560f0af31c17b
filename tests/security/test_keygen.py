"""keygen: private files stay private, and only this cluster's certificates pass mutual TLS."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from hafailover.cli.hafailover import cli
from hafailover.security.material import Identity, generate, read_cluster_key

pytestmark = pytest.mark.tier0

CONFIG = """
cluster: {name: demo}
nodes:
  - {name: n1, addresses: {ring0: 127.0.0.1}}
  - {name: n2, addresses: {ring0: 10.88.0.12}}
properties: {stonith-enabled: false}
"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("keys")
    (base / "cluster.yaml").write_text(CONFIG)
    result = CliRunner().invoke(cli, ["keygen", "--config", str(base / "cluster.yaml"),
                                      "--out", str(base / "keys")])
    assert result.exit_code == 0, result.output
    return base / "keys"


def test_keygen_writes_private_files_for_the_owner_only(keys: Path) -> None:
    for name in ("cluster.key", "ca.key", "n1.key", "n2.key", "admin.key"):
        assert stat.S_IMODE((keys / name).stat().st_mode) == 0o600, name
    assert len(read_cluster_key(keys / "cluster.key")) == 32
    assert {p.name for p in keys.iterdir()} >= {"ca.crt", "n1.crt", "n2.crt", "admin.crt"}


def test_keygen_refuses_to_replace_keys_without_force(keys: Path) -> None:
    config = keys.parent / "cluster.yaml"
    result = CliRunner().invoke(cli, ["keygen", "--config", str(config), "--out", str(keys)])
    assert result.exit_code == 1
    assert "already holds cluster keys" in result.output and "--force" in result.output


def test_a_cluster_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "cluster.key"
    key.write_bytes(b"x" * 32)
    key.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        read_cluster_key(key)


def server_context(keys: Path, node: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(keys / f"{node}.crt", keys / f"{node}.key")
    ctx.load_verify_locations(keys / "ca.crt")
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def client_context(ca_dir: Path, cert_dir: Path | None, who: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca_dir / "ca.crt")
    ctx.check_hostname = False
    if cert_dir is not None:
        ctx.load_cert_chain(cert_dir / f"{who}.crt", cert_dir / f"{who}.key")
    return ctx


def handshake(server: ssl.SSLContext, client: ssl.SSLContext) -> bool:
    """True when a TLS connection between the two contexts carries data both ways."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    outcome: dict[str, bool] = {}

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(tls.recv(4))
                outcome["server"] = True
        except (ssl.SSLError, OSError):
            outcome["server"] = False

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", port)) as raw, \
                client.wrap_socket(raw) as tls:
            tls.sendall(b"ping")
            ok = tls.recv(4) == b"ping"
    except (ssl.SSLError, OSError):
        ok = False
    thread.join(5)
    listener.close()
    return ok and outcome.get("server", False)


def test_two_nodes_of_the_cluster_complete_mutual_tls(keys: Path) -> None:
    assert handshake(server_context(keys, "n1"), client_context(keys, keys, "n2"))
    assert handshake(server_context(keys, "n1"), client_context(keys, keys, "admin"))


def test_a_client_without_a_certificate_is_refused(keys: Path) -> None:
    assert not handshake(server_context(keys, "n1"), client_context(keys, None, "n2"))


def test_a_certificate_from_another_cluster_is_refused(keys: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate(other, "other", [Identity("n2", ("127.0.0.1",))])
    client = client_context(keys, other, "n2")  # trusts our CA, presents the other's cert
    assert not handshake(server_context(keys, "n1"), client)
