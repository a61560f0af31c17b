"""The heartbeat packet: round trip, and every kind of bad input dropped with its reason."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hafailover.membership.packet import (
    MAGIC,
    SIZE,
    Drop,
    DropReason,
    Heartbeat,
    Kind,
    ReplayGuard,
    cluster_id,
    decode,
    encode,
)

pytestmark = pytest.mark.tier0

KEY = b"k" * 32
CLUSTER = cluster_id("demo")

heartbeats = st.builds(
    Heartbeat,
    cluster_id=st.just(CLUSTER),
    node_id=st.integers(0, 2**32 - 1),
    incarnation=st.integers(0, 2**64 - 1),
    sequence=st.integers(0, 2**64 - 1),
    kind=st.sampled_from(Kind),
    flags=st.integers(0, 3),
    priority=st.integers(0, 2**16 - 1),
    view=st.integers(0, 2**64 - 1),
    config_epoch=st.integers(0, 2**64 - 1),
    link=st.integers(0, 7),
)


@given(heartbeats)
def test_encode_then_decode_gives_back_the_heartbeat(hb: Heartbeat) -> None:
    data = encode(hb, KEY)
    assert len(data) == SIZE
    assert decode(data, KEY, CLUSTER) == hb


@given(heartbeats, st.integers(0, SIZE - 1), st.integers(1, 255))
def test_any_flipped_byte_is_dropped(hb: Heartbeat, offset: int, xor: int) -> None:
    data = bytearray(encode(hb, KEY))
    data[offset] ^= xor
    assert isinstance(decode(bytes(data), KEY, CLUSTER), Drop)


@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert isinstance(decode(data, KEY, CLUSTER), Drop)


def sample(**kw: int) -> Heartbeat:
    fields = {"cluster_id": CLUSTER, "node_id": 2, "incarnation": 10, "sequence": 5}
    fields.update(kw)
    return Heartbeat(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("data", "reason"), [
    (encode(sample(), KEY)[:40], DropReason.TRUNCATED),
    (encode(sample(), KEY) + b"x", DropReason.OVERSIZED),
    (b"XXXX" + encode(sample(), KEY)[4:], DropReason.BAD_MAGIC),
    (encode(sample(), b"other key"), DropReason.BAD_SIGNATURE),
    (encode(sample(), KEY)[:-32] + b"\0" * 32, DropReason.BAD_SIGNATURE),
    (encode(sample(cluster_id=cluster_id("other")), KEY), DropReason.OTHER_CLUSTER),
    (MAGIC + bytes([2]) + b"\0" * 100, DropReason.VERSION),
])
def test_bad_packets_are_dropped_with_their_reason(data: bytes, reason: DropReason) -> None:
    result = decode(data, KEY, CLUSTER)
    assert isinstance(result, Drop) and result.reason is reason


def test_a_newer_protocol_version_is_named() -> None:
    body = encode(sample(), KEY)
    newer = body[:4] + bytes([3]) + body[5:]
    result = decode(newer, KEY, CLUSTER)
    assert isinstance(result, Drop) and result.version == 3


def test_unknown_kind_is_dropped_even_when_signed() -> None:
    import hashlib
    import hmac

    header = bytearray(encode(sample(), KEY)[:-32])
    struct.pack_into("!B", header, 5, 9)
    data = bytes(header) + hmac.new(KEY, bytes(header), hashlib.sha256).digest()
    result = decode(data, KEY, CLUSTER)
    assert isinstance(result, Drop) and result.reason is DropReason.BAD_KIND


def test_replays_and_old_incarnations_are_refused() -> None:
    guard = ReplayGuard()
    assert guard.check(sample(sequence=5)) is None
    assert guard.check(sample(sequence=5)) is DropReason.REPLAYED
    assert guard.check(sample(sequence=4)) is DropReason.REPLAYED
    assert guard.check(sample(sequence=6)) is None
    assert guard.check(sample(incarnation=11, sequence=1)) is None  # restarted node
    assert guard.check(sample(incarnation=10, sequence=99)) is DropReason.OLD_INCARNATION


def test_each_link_has_its_own_sequence() -> None:
    guard = ReplayGuard()
    assert guard.check(sample(sequence=5, link=0)) is None
    assert guard.check(sample(sequence=5, link=1)) is None
    assert guard.check(sample(sequence=5, link=1)) is DropReason.REPLAYED


def test_a_probe_overtaken_by_a_later_heartbeat_is_accepted_but_never_twice() -> None:
    guard = ReplayGuard()
    probe = Heartbeat(cluster_id=CLUSTER, node_id=2, incarnation=10, sequence=7,
                      kind=Kind.PROBE)
    assert guard.check(sample(sequence=8)) is None  # the heartbeat sent after it, first
    assert guard.check(probe) is None  # probes are unicast: their own path
    assert guard.check(probe) is DropReason.REPLAYED
    assert guard.check(sample(sequence=8)) is DropReason.REPLAYED
    assert guard.check(sample(sequence=9)) is None
