"""The cluster's secrets: the heartbeat key, a cluster CA and certificates for mutual TLS.

``hafailover keygen`` writes, into one directory:

- ``cluster.key``: 32 random bytes that sign heartbeats (HMAC-SHA256), mode 0600;
- ``ca.crt`` / ``ca.key``: the cluster CA; only certificates it signed are accepted by a
  peer, so a node of another cluster (or a stranger) is refused at the TLS handshake;
- ``NODE.crt`` / ``NODE.key`` for every node (client and server use, the node name and
  its addresses in the subjectAltName);
- ``admin.crt`` / ``admin.key``: a client certificate for ``hactl --endpoint``.

Private keys are written with mode 0600 through a temporary file and a rename, so a
half-written key never exists under its final name.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLUSTER_KEY_FILE = "cluster.key"
CLUSTER_KEY_BYTES = 32
VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class Identity:
    """One certificate subject: a node (with its addresses) or the admin client."""

    name: str
    addresses: tuple[str, ...] = ()
    server: bool = True


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only, atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def new_cluster_key() -> bytes:
    return secrets.token_bytes(CLUSTER_KEY_BYTES)


def read_cluster_key(path: Path) -> bytes:
    """The heartbeat key; refuses a key that others can read or of the wrong size."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(f"{path} is readable by others (mode {mode:o}); "
                              f"fix with: chmod 600 {path}")
    data = path.read_bytes()
    if len(data) != CLUSTER_KEY_BYTES:
        raise ValueError(f"{path} holds {len(data)} bytes, expected {CLUSTER_KEY_BYTES}; "
                         "regenerate it with: hafailover keygen")
    return data


def _name(common_name: str, cluster: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"hafailover {cluster}"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca(cluster: str, now: datetime.datetime) -> tuple[x509.Certificate,
                                                         ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"{cluster} cluster CA", cluster)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_certificate(identity: Identity, cluster: str, ca: x509.Certificate,
                     ca_key: ec.EllipticCurvePrivateKey, now: datetime.datetime,
                     ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = [x509.DNSName(identity.name)]
    for address in identity.addresses:
        alt.append(x509.IPAddress(ipaddress.ip_address(address)))
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if identity.server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    cert = (x509.CertificateBuilder().subject_name(_name(identity.name, cluster))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def generate(directory: Path, cluster: str, identities: Sequence[Identity], *,
             now: datetime.datetime | None = None, force: bool = False) -> list[Path]:
    """Write the cluster key, the CA and one certificate per identity; return the files."""
    now = now or datetime.datetime.now(datetime.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    existing = [directory / CLUSTER_KEY_FILE, directory / "ca.key"]
    if not force and any(p.exists() for p in existing):
        raise FileExistsError(
            f"{directory} already holds cluster keys; replacing them cuts every node off "
            "until all have the new ones: use --force to do it anyway")
    written: list[Path] = []
    write_private(directory / CLUSTER_KEY_FILE, new_cluster_key())
    written.append(directory / CLUSTER_KEY_FILE)
    ca, ca_key = make_ca(cluster, now)
    write_private(directory / "ca.key", _pem_key(ca_key))
    write_public(directory / "ca.crt", ca.public_bytes(serialization.Encoding.PEM))
    written += [directory / "ca.key", directory / "ca.crt"]
    for identity in identities:
        cert, key = make_certificate(identity, cluster, ca, ca_key, now)
        write_private(directory / f"{identity.name}.key", _pem_key(key))
        write_public(directory / f"{identity.name}.crt",
                     cert.public_bytes(serialization.Encoding.PEM))
        written += [directory / f"{identity.name}.key", directory / f"{identity.name}.crt"]
    return written
