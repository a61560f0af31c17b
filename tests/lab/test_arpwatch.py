"""The ARP watcher counts the hosts that answer its question, not announcements."""

from __future__ import annotations

import pytest
from scapy.layers.l2 import ARP, Ether

from hafailover.agents.neighbour import gratuitous_arp
from hafailover.lab.arpwatch import reply_sender

pytestmark = pytest.mark.tier0

VIP = "10.60.0.100"
WATCHER = bytes.fromhex("020000000001")
WATCHER_MAC = "02:00:00:00:00:01"


def reply(sender: str, to_mac: str) -> bytes:
    return bytes(Ether(src=sender, dst=to_mac)
                 / ARP(op=2, hwsrc=sender, psrc=VIP, hwdst=to_mac, pdst="10.60.0.5"))


def test_a_reply_to_the_watcher_names_the_host_that_holds_the_address() -> None:
    assert reply_sender(reply("02:00:00:00:00:0a", WATCHER_MAC), VIP, WATCHER) == \
        "02:00:00:00:00:0a"


def test_a_new_holders_announcement_is_not_an_answer() -> None:
    frames = [bytes(f) for f in gratuitous_arp("02:00:00:00:00:0b", VIP)]
    assert frames, "the VIP agent announces itself"
    assert [reply_sender(f, VIP, WATCHER) for f in frames] == [None] * len(frames)


def test_a_reply_to_someone_else_or_for_another_address_is_not_counted() -> None:
    assert reply_sender(reply("02:00:00:00:00:0a", "02:00:00:00:00:99"), VIP, WATCHER) is None
    assert reply_sender(reply("02:00:00:00:00:0a", WATCHER_MAC), "10.60.0.101", WATCHER) is None
