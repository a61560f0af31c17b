"""Watch who answers ARP for an address, every few milliseconds: the split-brain detector.

Run inside the lab's client namespace::

    python -m hafailover.lab.arpwatch --ip 10.60.0.100 --interface eth0 --every 0.02

Every ``--every`` seconds it broadcasts one ARP request for the address and collects the
replies to it until the next one; each probe prints a JSON line ``{"t": wall time,
"macs": [...]}``. Two MAC addresses in one probe means two nodes answered the request:
both held the address at once. Only replies addressed to this watcher count: a new
holder's broadcast announcement (a gratuitous ARP reply) is not an answer, and during a
hand-over faster than one probe it would otherwise be counted beside the old holder's
answer. On SIGTERM or SIGINT it prints a summary line ``{"summary": {...}}`` and exits.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import struct
import sys
import time

from hafailover.stopping import StopOnSignal

ETH_P_ARP = 0x0806
_ARP = struct.Struct("!HHBBH6s4s6s4s")


def request_frame(mac: bytes, ip: str, target: str) -> bytes:
    arp = _ARP.pack(1, 0x0800, 6, 4, 1, mac, socket.inet_aton(ip), b"\0" * 6,
                    socket.inet_aton(target))
    return b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP) + arp


def reply_sender(frame: bytes, target: str, asker: bytes) -> str | None:
    """The MAC that answers ``asker``'s request for ``target`` in ``frame``, if it is such
    a reply (an announcement, addressed to no one, is not)."""
    if len(frame) < 14 + _ARP.size or frame[12:14] != struct.pack("!H", ETH_P_ARP):
        return None
    _, _, _, _, op, sha, spa, tha, _ = _ARP.unpack(frame[14:14 + _ARP.size])
    if op != 2 or spa != socket.inet_aton(target) or tha != asker:
        return None
    return ":".join(f"{b:02x}" for b in sha)


def interface_ipv4(interface: str) -> str:
    import fcntl

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        packed = fcntl.ioctl(probe.fileno(), 0x8915,  # SIOCGIFADDR
                             struct.pack("256s", interface.encode()[:15]))
    finally:
        probe.close()
    return socket.inet_ntoa(packed[20:24])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ip", required=True, help="the address to watch (the VIP)")
    parser.add_argument("--interface", default="eth0")
    parser.add_argument("--every", type=float, default=0.02, help="seconds between probes")
    args = parser.parse_args(argv)

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    sock.bind((args.interface, 0))
    mac = sock.getsockname()[4]
    frame = request_frame(mac, interface_ipv4(args.interface), args.ip)
    stop = StopOnSignal()
    probes = answered = doubled = 0
    most = 0
    seen: set[str] = set()
    while not stop.requested:
        sent = time.monotonic()
        sock.send(frame)
        macs: set[str] = set()
        while (left := sent + args.every - time.monotonic()) > 0 and not stop.requested:
            ready, _, _ = select.select([sock], [], [], left)
            if ready:
                sender = reply_sender(sock.recv(2048), args.ip, mac)
                if sender is not None:
                    macs.add(sender)
        probes += 1
        answered += bool(macs)
        doubled += len(macs) > 1
        most = max(most, len(macs))
        seen |= macs
        print(json.dumps({"t": time.time(), "macs": sorted(macs)}), flush=True)
    print(json.dumps({"summary": {"probes": probes, "answered": answered,
                                  "probes_with_two_or_more": doubled,
                                  "most_in_one_probe": most, "macs_seen": sorted(seen)}}),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
