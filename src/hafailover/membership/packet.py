"""The heartbeat packet, version 1: a fixed 84-byte, HMAC-signed datagram. Pure.

Layout (network byte order; docs/protocol.md is the reference):

=======  ====  ==========================================================
offset   size  field
=======  ====  ==========================================================
0        4     magic ``b"HAFO"``
4        1     protocol version (1)
5        1     kind: 1 heartbeat, 2 leave (a clean goodbye), 3 probe (a heartbeat that
               asks the receiver to send its next heartbeat at once)
6        2     flags (bit 0: sender is the coordinator; bit 1: sender is quorate)
8        4     cluster id (CRC-32 of the cluster name)
12       4     node id
16       8     incarnation (changes at every start of the agent)
24       8     sequence number (grows by one per packet within an incarnation)
32       2     priority
34       8     membership view number
42       8     configuration epoch
50       2     link index the packet was sent on
52       32    HMAC-SHA256 of bytes 0..51 with the cluster key
=======  ====  ==========================================================

``decode`` never raises: malformed input gives a ``Drop`` with a reason code, so that
the receiver can count and log it and carry on.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import struct
import zlib
from dataclasses import dataclass

MAGIC = b"HAFO"
VERSION = 1
_HEADER = struct.Struct("!4sBBHIIQQHQQH")
MAC_SIZE = 32
SIZE = _HEADER.size + MAC_SIZE

FLAG_COORDINATOR = 0x1
FLAG_QUORATE = 0x2


class Kind(enum.IntEnum):
    HEARTBEAT = 1
    LEAVE = 2
    PROBE = 3  # a heartbeat sent to a late peer only: "answer with a heartbeat now"


class DropReason(enum.StrEnum):
    TRUNCATED = "truncated"
    OVERSIZED = "oversized"
    BAD_MAGIC = "bad-magic"
    VERSION = "version"
    BAD_KIND = "bad-kind"
    BAD_SIGNATURE = "bad-signature"
    OTHER_CLUSTER = "other-cluster"
    UNKNOWN_NODE = "unknown-node"
    OWN_PACKET = "own-packet"
    OLD_INCARNATION = "old-incarnation"
    REPLAYED = "replayed"


@dataclass(frozen=True)
class Heartbeat:
    cluster_id: int
    node_id: int
    incarnation: int
    sequence: int
    kind: Kind = Kind.HEARTBEAT
    flags: int = 0
    priority: int = 100
    view: int = 0
    config_epoch: int = 0
    link: int = 0

    @property
    def is_coordinator(self) -> bool:
        return bool(self.flags & FLAG_COORDINATOR)

    @property
    def is_quorate(self) -> bool:
        return bool(self.flags & FLAG_QUORATE)


@dataclass(frozen=True)
class Drop:
    reason: DropReason
    detail: str = ""
    version: int | None = None  # the sender's protocol version, when that is the problem


def cluster_id(name: str) -> int:
    return zlib.crc32(name.encode("utf-8")) & 0xFFFFFFFF


def encode(hb: Heartbeat, key: bytes) -> bytes:
    header = _HEADER.pack(MAGIC, VERSION, int(hb.kind), hb.flags, hb.cluster_id, hb.node_id,
                          hb.incarnation, hb.sequence, hb.priority, hb.view, hb.config_epoch,
                          hb.link)
    return header + hmac.new(key, header, hashlib.sha256).digest()


def decode(data: bytes, key: bytes, expected_cluster: int) -> Heartbeat | Drop:
    """Check and parse one datagram; the signature is checked before anything is trusted."""
    if len(data) < SIZE:
        if len(data) >= 5 and data[:4] == MAGIC and data[4] != VERSION:
            return Drop(DropReason.VERSION, f"protocol version {data[4]}", version=data[4])
        return Drop(DropReason.TRUNCATED, f"{len(data)} bytes, expected {SIZE}")
    if len(data) > SIZE:
        if data[:4] == MAGIC and data[4] != VERSION:
            return Drop(DropReason.VERSION, f"protocol version {data[4]}", version=data[4])
        return Drop(DropReason.OVERSIZED, f"{len(data)} bytes, expected {SIZE}")
    header, mac = data[:_HEADER.size], data[_HEADER.size:]
    magic, version, kind, flags, cluster, node, incarnation, sequence, priority, view, \
        epoch, link = _HEADER.unpack(header)
    if magic != MAGIC:
        return Drop(DropReason.BAD_MAGIC, repr(magic))
    if version != VERSION:
        return Drop(DropReason.VERSION, f"protocol version {version}", version=version)
    if not hmac.compare_digest(mac, hmac.new(key, header, hashlib.sha256).digest()):
        return Drop(DropReason.BAD_SIGNATURE, f"claims node id {node}")
    if cluster != expected_cluster:
        return Drop(DropReason.OTHER_CLUSTER, f"cluster id {cluster:#010x}")
    try:
        kind_value = Kind(kind)
    except ValueError:
        return Drop(DropReason.BAD_KIND, f"kind {kind}")
    return Heartbeat(cluster_id=cluster, node_id=node, incarnation=incarnation,
                     sequence=sequence, kind=kind_value, flags=flags, priority=priority,
                     view=view, config_epoch=epoch, link=link)


class ReplayGuard:
    """Accepts each (node, link, incarnation, sequence) once, moving forward only.

    Each link carries its own copy of every heartbeat, so sequences are tracked per link
    (the link index is signed, and the receiver checks it against the link a packet
    arrived on). Probes travel another path than heartbeats (unicast to this node's
    address rather than to the group), so one may overtake the other: the sequences of
    probes are tracked apart from those of the other kinds. A packet from an older
    incarnation than the newest seen (a restarted node's stale packets, or a replay) or
    with a sequence not above the last accepted one of its path is refused. Pure state,
    no clock.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[int, int, bool], tuple[int, int]] = {}

    def check(self, hb: Heartbeat) -> DropReason | None:
        key = (hb.node_id, hb.link, hb.kind is Kind.PROBE)
        last = self._last.get(key)
        if last is not None:
            incarnation, sequence = last
            if hb.incarnation < incarnation:
                return DropReason.OLD_INCARNATION
            if hb.incarnation == incarnation and hb.sequence <= sequence:
                return DropReason.REPLAYED
        self._last[key] = (hb.incarnation, hb.sequence)
        return None

    def forget(self, node_id: int) -> None:
        for key in [k for k in self._last if k[0] == node_id]:
            del self._last[key]
