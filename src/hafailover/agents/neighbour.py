"""Telling the segment where an address now lives: gratuitous ARP (IPv4) and unsolicited
neighbour advertisements (IPv6), built and sent with scapy.

Hosts and routers on the segment keep the old owner's MAC in their ARP/neighbour caches for
minutes; until they learn otherwise they keep sending the VIP's traffic to the node that
gave it up. These frames rewrite those entries at once. scapy takes a few hundred
milliseconds to import, so it is imported here, inside the functions that send, and never
on the monitor path.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
ZERO_MAC = "00:00:00:00:00:00"
ALL_NODES = "ff02::1"
ALL_NODES_MAC = "33:33:00:00:00:01"


def _quiet_scapy() -> None:
    # scapy logs warnings about routes and interfaces at import; an agent's stderr is for
    # the one-line reasons the cluster manager reads.
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    logging.getLogger("scapy.loading").setLevel(logging.ERROR)


def load_scapy() -> None:
    """Import the parts of scapy an announcement uses (a second or so, once)."""
    _quiet_scapy()
    import scapy.layers.inet6
    import scapy.layers.l2
    import scapy.sendrecv  # noqa: F401


def gratuitous_arp(mac: str, ip: str) -> list[Any]:
    """Both forms, broadcast, sender = target = VIP, from ``mac``.

    The request form (target MAC zero, RFC 5227's ARP announcement) is what most stacks
    act on; some older devices only take replies. The reply form carries target MAC =
    sender MAC because Linux only treats a reply as gratuitous (and lets it override the
    neighbour ``locktime``) when the two are equal.
    """
    _quiet_scapy()
    from scapy.layers.l2 import ARP, Ether

    request = (Ether(src=mac, dst=BROADCAST_MAC)
               / ARP(op=1, hwsrc=mac, psrc=ip, hwdst=ZERO_MAC, pdst=ip))
    reply = (Ether(src=mac, dst=BROADCAST_MAC)
             / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=mac, pdst=ip))
    return [request, reply]


def unsolicited_na(mac: str, ip: str) -> list[Any]:
    """An ICMPv6 neighbour advertisement to all nodes: target = VIP, override flag set,
    solicited and router flags clear, with the target link-layer address option.

    Hop limit 255 is required: receivers drop neighbour discovery with any other value.
    """
    _quiet_scapy()
    from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
    from scapy.layers.l2 import Ether

    frame = (Ether(src=mac, dst=ALL_NODES_MAC)
             / IPv6(src=ip, dst=ALL_NODES, hlim=255)
             / ICMPv6ND_NA(tgt=ip, R=0, S=0, O=1)
             / ICMPv6NDOptDstLLAddr(lladdr=mac))
    return [frame]


def announcement(mac: str, ip: str) -> list[Any]:
    """The frames that announce ``ip`` at ``mac``: ARP for IPv4, NA for IPv6."""
    if ipaddress.ip_address(ip).version == 4:
        return gratuitous_arp(mac, ip)
    return unsolicited_na(mac, ip)


def announce(ifname: str, mac: str, ip: str, *, count: int, interval_ms: int,
             sleep: Callable[[float], None] = time.sleep) -> int:
    """Send the announcement ``count`` times, ``interval_ms`` apart, on ``ifname``.

    Returns the number of frames sent. Raises OSError when the interface cannot send
    (down, gone, no permission).
    """
    if count <= 0:
        return 0
    frames = announcement(mac, ip)
    from scapy.sendrecv import sendp

    sent = 0
    for round_number in range(count):
        if round_number:
            sleep(interval_ms / 1000)
        sendp(frames, iface=ifname, verbose=False)
        sent += len(frames)
    return sent
