"""Bad heartbeat packets sent from outside the cluster are dropped, counted by reason and
change nothing: every agent keeps running and the membership view stays the same.

A 3-node lab per heartbeat transport; the packets are crafted with scapy and sent from
the lab's client namespace, to the multicast group or to every node's address.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from hafailover.lab.cluster import CLIENT, HEARTBEAT_PORT, Lab, LabSpec, Statuses
from hafailover.membership.packet import SIZE, Heartbeat, Kind, cluster_id, encode
from hafailover.security.material import read_cluster_key

pytestmark = pytest.mark.tier1

COPIES = 3  # each bad packet is sent this many times
FORM_TIMEOUT = 20.0
COUNT_TIMEOUT = 10.0
QUIET = 0.5  # seconds the counters and views are watched after the expected drops
IMPERSONATED = "n2"

# Sends the hex payloads in argv[1] (JSON) to each destination as UDP from eth0.
SENDER = r"""
import json, sys
from scapy.all import IP, UDP, Ether, Raw, conf, getmacbyip, sendp
conf.verb = 0
spec = json.loads(sys.argv[1])
frames = []
for dst in spec["destinations"]:
    octets = [int(x) for x in dst.split(".")]
    if octets[0] >= 224:
        mac = "01:00:5e:%02x:%02x:%02x" % (octets[1] & 0x7F, octets[2], octets[3])
    else:
        mac = getmacbyip(dst)
    for payload in spec["payloads"]:
        frames.append(Ether(dst=mac) / IP(src=spec["source"], dst=dst, ttl=1)
                      / UDP(sport=spec["port"], dport=spec["port"])
                      / Raw(bytes.fromhex(payload)))
for _ in range(spec["copies"]):
    sendp(frames, iface="eth0")
"""

# Prints the UDP payload of one heartbeat from argv[2] to port argv[1] seen on eth0.
CAPTURE = r"""
import sys
from scapy.all import IP, UDP, sniff
port, source = int(sys.argv[1]), sys.argv[2]
found = sniff(iface="eth0", count=1, timeout=10, lfilter=lambda p: IP in p and UDP in p
              and p[IP].src == source and p[UDP].dport == port)
print(bytes(found[0][UDP].payload).hex() if found else "")
"""


@pytest.fixture(scope="module", params=["multicast", "unicast"])
def lab(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    transport = str(request.param)
    spec = LabSpec(prefix="tbp" if transport == "multicast" else "tbpu", nodes=3,
                   transport=transport, subnet=110 if transport == "multicast" else 112,
                   extra_yaml="properties: {stonith-enabled: false}\n")
    workdir = tmp_path_factory.mktemp(f"bad-packets-{transport}")
    with Lab(spec, workdir) as lab, lab.agents_running():
        yield lab


@pytest.fixture
def formed(lab: Lab) -> Statuses:
    """Every agent runs and holds the same view of all three nodes."""
    lab.start_stopped()
    names = list(lab.node_names)

    def one_view(statuses: Statuses) -> bool:
        views = [s["view"] if s else None for s in statuses.values()]
        return (all(v is not None and v["members"] == names for v in views)
                and len({v["number"] for v in views if v}) == 1)

    return lab.wait_until(one_view, timeout=FORM_TIMEOUT, what="one view of n1, n2, n3")


# --- crafting ---------------------------------------------------------------------------


def destinations(lab: Lab) -> list[str]:
    if lab.spec.transport == "multicast":
        return [f"239.192.{lab.spec.subnet}.1"]
    return [lab.address(node) for node in lab.node_names]


def send(lab: Lab, payloads: list[bytes], copies: int = COPIES) -> None:
    spec = {"destinations": destinations(lab), "payloads": [p.hex() for p in payloads],
            "source": lab.address(CLIENT), "port": HEARTBEAT_PORT, "copies": copies}
    lab.netns(CLIENT).run([sys.executable, "-c", SENDER, json.dumps(spec)])


def capture(lab: Lab, sender: str) -> bytes:
    """A heartbeat ``sender`` really sent, as it was on the wire: seen by the client
    (multicast) or by a node it sends to (unicast)."""
    where = CLIENT if lab.spec.transport == "multicast" else next(
        n for n in lab.node_names if n != sender)
    result = lab.netns(where).run(
        [sys.executable, "-c", CAPTURE, str(HEARTBEAT_PORT), lab.address(sender)])
    packet = bytes.fromhex(result.stdout.strip())
    assert len(packet) == SIZE, f"no heartbeat of {sender} captured: {result.stdout!r}"
    return packet


def key(lab: Lab) -> bytes:
    return read_cluster_key(lab.key_dir / "cluster.key")


def node_id(lab: Lab, node: str) -> int:
    return lab.node_names.index(node) + 1  # lab nodes have positional ids


def impersonation(lab: Lab, **fields: Any) -> Heartbeat:
    """A heartbeat that claims to come from IMPERSONATED, at its current incarnation and a
    sequence far ahead (so that only the field under test can make it wrong)."""
    status = lab.status(IMPERSONATED)
    hb = Heartbeat(cluster_id=cluster_id(lab.spec.cluster_name),
                   node_id=node_id(lab, IMPERSONATED), incarnation=int(status["incarnation"]),
                   sequence=10**12, view=int(status["view"]["number"]))
    return replace(hb, **fields)


@dataclass(frozen=True)
class Case:
    payloads: Callable[[Lab], list[bytes]]
    reason: str  # the drop reason every node counts
    impersonated_reason: str | None = None  # what IMPERSONATED itself counts, if different


def unsigned(lab: Lab) -> list[bytes]:
    signed = encode(impersonation(lab), key(lab))
    return [signed[:-32] + bytes(32)]


def garbage_signature(lab: Lab) -> list[bytes]:
    signed = encode(impersonation(lab), key(lab))
    return [signed[:-32] + os.urandom(32)]


def wrong_key(lab: Lab) -> list[bytes]:
    return [encode(impersonation(lab), os.urandom(32))]


def truncated(lab: Lab) -> list[bytes]:
    return [capture(lab, IMPERSONATED)[:60], encode(impersonation(lab), key(lab))[:SIZE - 1]]


def oversized(lab: Lab) -> list[bytes]:
    return [encode(impersonation(lab), key(lab)) + b"\0", capture(lab, IMPERSONATED) * 2]


def replayed(lab: Lab) -> list[bytes]:
    return [capture(lab, IMPERSONATED)]


def old_incarnation(lab: Lab) -> list[bytes]:
    current = impersonation(lab)
    older = replace(current, incarnation=current.incarnation - 1)
    return [encode(older, key(lab)), encode(replace(older, kind=Kind.LEAVE), key(lab))]


def random_bytes(lab: Lab) -> list[bytes]:
    return [os.urandom(SIZE) for _ in range(4)]


def other_cluster(lab: Lab) -> list[bytes]:
    return [encode(impersonation(lab, cluster_id=cluster_id("another")), key(lab))]


def unknown_node(lab: Lab) -> list[bytes]:
    return [encode(impersonation(lab, node_id=99), key(lab))]


def bad_kind(lab: Lab) -> list[bytes]:
    return [encode(impersonation(lab, kind=7), key(lab))]


CASES = {
    "unsigned": Case(unsigned, "bad-signature"),
    "garbage-signature": Case(garbage_signature, "bad-signature"),
    "wrong-key": Case(wrong_key, "bad-signature"),
    "truncated": Case(truncated, "truncated"),
    "oversized": Case(oversized, "oversized"),
    "replayed": Case(replayed, "replayed", impersonated_reason="own-packet"),
    "old-incarnation": Case(old_incarnation, "old-incarnation",
                            impersonated_reason="own-packet"),
    "random-bytes": Case(random_bytes, "bad-magic"),
    "other-cluster": Case(other_cluster, "other-cluster"),
    "unknown-node": Case(unknown_node, "unknown-node"),
    "bad-kind": Case(bad_kind, "bad-kind"),
}


# --- checking -----------------------------------------------------------------------------


def dropped(statuses: Statuses) -> dict[str, dict[str, int]]:
    return {n: dict(s["heartbeat"]["dropped"]) if s else {} for n, s in statuses.items()}


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {r: after.get(r, 0) - before.get(r, 0) for r in set(after) | set(before)
            if after.get(r, 0) != before.get(r, 0)}


def views(statuses: Statuses) -> dict[str, Any]:
    return {n: s["view"] if s else None for n, s in statuses.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_heartbeat_is_dropped_counted_by_reason_and_changes_nothing(
        lab: Lab, formed: Statuses, case: str) -> None:
    spec = CASES[case]
    payloads = spec.payloads(lab)
    before = lab.statuses()
    expected = {node: {spec.impersonated_reason if node == IMPERSONATED
                       and spec.impersonated_reason else spec.reason:
                       COPIES * len(payloads)}
                for node in lab.node_names}

    send(lab, payloads)

    def counted(statuses: Statuses) -> bool:
        now = dropped(statuses)
        return all(delta(now[n], dropped(before)[n]) == expected[n] for n in lab.node_names)

    try:
        lab.wait_until(counted, timeout=COUNT_TIMEOUT, what=f"{case} packets counted")
    except AssertionError:
        now = lab.statuses()
        got = {n: delta(dropped(now)[n], dropped(before)[n]) for n in lab.node_names}
        raise AssertionError(f"{case}: expected drops {expected}, counted {got}") from None
    time.sleep(QUIET)
    after = lab.statuses()
    assert all(lab.running(n) for n in lab.node_names), "an agent stopped"
    assert {n: delta(dropped(after)[n], dropped(before)[n]) for n in lab.node_names} == \
        expected, "drops other than the bad packets were counted"
    assert views(after) == views(before), "a bad packet changed the membership view"
    for node in lab.node_names:
        current, earlier = after[node], before[node]
        assert current is not None and earlier is not None
        assert all(e["state"] == "online" for e in current["nodes"]), current["nodes"]
        assert current["heartbeat"]["received"] > earlier["heartbeat"]["received"], (
            f"{node} stopped accepting real heartbeats")


def test_a_flood_of_bad_packets_is_all_counted_but_logged_at_a_rate_limit(
        lab: Lab, formed: Statuses) -> None:
    marks = {n: len(lab.log_records(n)) for n in lab.node_names}
    before = lab.statuses()
    send(lab, [os.urandom(SIZE - 10) for _ in range(50)], copies=2)
    lab.wait_until(lambda s: all(delta(dropped(s)[n], dropped(before)[n]) == {"truncated": 100}
                                 for n in lab.node_names),
                   timeout=COUNT_TIMEOUT, what="100 truncated packets counted on every node")
    for node in lab.node_names:
        lines = [r for r in lab.log_records(node)[marks[node]:]
                 if r.get("event") == "heartbeat dropped" and r.get("reason") == "truncated"]
        assert len(lines) <= 1, f"{node} logged {len(lines)} lines for one burst"
    assert views(lab.statuses()) == views(before)
