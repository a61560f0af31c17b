"""Heartbeat sockets and the loop that sends, receives and detects: the membership I/O shell.

The loop runs on its own thread (or process) and owns its sockets, its failure detector
and its replay guard; it only hands events out through a callback, so a busy daemon
(a slow agent action, a large configuration push) cannot delay a heartbeat. It keeps
figures the daemon shows: packets sent and received, drops by reason, and the worst
lateness of a send (jitter).

A peer whose heartbeats are late (more than 1.5 intervals of silence) is sent *probe*
heartbeats, unicast, every fifth of an interval; a node answers a probe with a
heartbeat at once. On a lossy link each probe is another chance to hear the peer before
``dead-time`` runs out, so random loss rarely ends in a suspicion, while a dead peer
answers nothing and is suspected exactly as before. The probes stop once a peer has
been silent for the loss time (``dead-time + interval + peer.probe-timeout``).
"""

from __future__ import annotations

import os
import selectors
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from hafailover.config.model import ClusterConfig
from hafailover.log import get_logger
from hafailover.membership.detector import DetectorEvent, FailureDetector
from hafailover.membership.packet import (
    FLAG_COORDINATOR,
    FLAG_QUORATE,
    Drop,
    DropReason,
    Heartbeat,
    Kind,
    ReplayGuard,
    cluster_id,
    decode,
    encode,
)

log = get_logger(__name__)

MAX_DATAGRAM = 2048
REALTIME_PRIORITY = 10
DROP_LOG_INTERVAL = 10.0  # seconds between two log lines about the same drop reason


@dataclass(frozen=True)
class LinkEndpoint:
    name: str
    index: int
    local_address: str
    port: int
    group: str | None  # multicast group, or None for unicast
    peers: tuple[str, ...]  # unicast destinations
    peer_addresses: tuple[tuple[str, str], ...] = ()  # (node, its address on this link)

    def address_of(self, node: str) -> str | None:
        return dict(self.peer_addresses).get(node)


def endpoints(config: ClusterConfig, node_name: str) -> list[LinkEndpoint]:
    """This node's end of every heartbeat link, from the configuration."""
    me = config.node(node_name)
    if me is None:
        raise ValueError(f"node '{node_name}' is not in the configuration")
    result = []
    for index, link in enumerate(config.heartbeat.links):
        local = me.addresses.get(link.name)
        if local is None:
            continue
        named = tuple((n.name, n.addresses[link.name]) for n in config.nodes
                      if n.name != node_name and link.name in n.addresses)
        group = link.multicast_group if config.heartbeat.transport == "multicast" else None
        result.append(LinkEndpoint(link.name, index, local, link.port, group,
                                   tuple(address for _, address in named), named))
    return result


def _udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setblocking(False)
    return sock


def open_socket(ep: LinkEndpoint) -> socket.socket:
    """The link's socket: joined to its multicast group, or bound to this node's address
    on the link (unicast)."""
    sock = _udp_socket()
    if ep.group:
        sock.bind((ep.group, ep.port))
        membership = struct.pack("4s4s", socket.inet_aton(ep.group),
                                 socket.inet_aton(ep.local_address))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                        socket.inet_aton(ep.local_address))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)  # link-local scope
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    else:
        sock.bind((ep.local_address, ep.port))
    return sock


def raise_priority() -> str:
    """Give the calling thread real-time priority (SCHED_RR, like corosync) so that CPU
    saturation cannot delay heartbeats; fall back to a lower nice value. Says what it got."""
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(REALTIME_PRIORITY))
        return f"SCHED_RR priority {REALTIME_PRIORITY}"
    except (OSError, AttributeError):
        pass
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), -10)
        return "nice -10"
    except OSError as exc:
        return f"normal priority ({exc.strerror})"


def open_direct_socket(ep: LinkEndpoint, link_socket: socket.socket) -> socket.socket:
    """The socket probes are sent from and received on: this node's own address on the
    link. A unicast link's socket is that already; a multicast one gets a second socket,
    since a socket bound to the group receives nothing sent to the node's address."""
    if not ep.group:
        return link_socket
    sock = _udp_socket()
    sock.bind((ep.local_address, ep.port))
    return sock


@dataclass
class HeartbeatStats:
    sent: int = 0
    received: int = 0
    send_errors: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    max_lateness: float = 0.0  # seconds a send left after its due time, worst seen
    probes_sent: int = 0  # probe heartbeats sent to late peers
    probes_answered: int = 0  # heartbeats sent at once because a peer probed this node


class HeartbeatLoop:
    """Send every interval on every link, receive, detect; report through ``on_event``."""

    def __init__(self, config: ClusterConfig, node_name: str, key: bytes, *,
                 incarnation: int, on_event: Callable[[DetectorEvent], None],
                 on_drop: Callable[[str, Drop], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        me = config.node(node_name)
        if me is None:
            raise ValueError(f"node '{node_name}' is not in the configuration")
        self.config = config
        self.node = me
        self.key = key
        self.incarnation = incarnation
        self.on_event = on_event
        self.on_drop = on_drop
        self.clock = clock
        self.cluster = cluster_id(config.name)
        self.interval = config.heartbeat.interval
        self.endpoints = endpoints(config, node_name)
        self.by_id = {n.node_id: n.name for n in config.nodes if n.name != node_name}
        self.detector = FailureDetector(self.by_id.values(),
                                        [ep.name for ep in self.endpoints],
                                        config.heartbeat.dead_time)
        self.guard = ReplayGuard()
        self.stats = HeartbeatStats()
        self.view = 0
        self.highest_view = 0  # the highest view number a peer advertised
        self.flags = 0
        self.config_epoch = 0
        self._sequence = 0
        self._last_drop_log: dict[str, float] = {}
        self._incarnations: dict[str, int] = {}  # the newest incarnation heard per peer
        self._stop = threading.Event()
        self.priority = "not started"
        self.late_after = 1.5 * self.interval  # silence after which a peer is probed
        self.probe_every = self.interval / 5
        self.give_up_after = config.loss_time  # a peer this silent is not probed any more
        self._probed_at: dict[str, float] = {}
        self._answer_due = False
        self._answered_at = float("-inf")

    # the daemon updates these from its own thread; plain attribute writes are atomic
    def advertise(self, *, view: int, coordinator: bool, quorate: bool,
                  config_epoch: int) -> None:
        self.view = view
        self.flags = (FLAG_COORDINATOR if coordinator else 0) | (FLAG_QUORATE if quorate else 0)
        self.config_epoch = config_epoch

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        self.priority = raise_priority()
        sockets = [(ep, open_socket(ep)) for ep in self.endpoints]
        direct = [(ep, open_direct_socket(ep, sock)) for ep, sock in sockets]
        for_probes = [(ep, sock) for (ep, sock), (_, link_socket)
                      in zip(direct, sockets, strict=True) if sock is not link_socket]
        selector = selectors.DefaultSelector()
        for ep, sock in sockets + for_probes:
            selector.register(sock, selectors.EVENT_READ, ep)
        try:
            next_send = self.clock()
            while not self._stop.is_set():
                now = self.clock()
                if now >= next_send:
                    self.stats.max_lateness = max(self.stats.max_lateness, now - next_send)
                    self._send_all(sockets, Kind.HEARTBEAT)
                    self._answer_due = False  # this heartbeat answers any probe as well
                    next_send += self.interval
                    if next_send < now:  # fell behind: do not burst to catch up
                        next_send = now + self.interval
                wake = next_send
                if self._probe_late(direct, now):
                    wake = min(wake, now + self.probe_every)
                if self._answer_due:
                    wake = min(wake, self._answered_at + self.probe_every / 2)
                for key, _ in selector.select(timeout=max(0.0, wake - self.clock())):
                    self._receive(key.fileobj, key.data)  # type: ignore[arg-type]
                if self._answer_due:
                    self._answer_probe(sockets)
                for event in self.detector.changes(self.clock()):
                    self.on_event(event)
            self._send_all(sockets, Kind.LEAVE)
        finally:
            selector.close()
            for _, sock in sockets + for_probes:
                sock.close()

    def _probe_late(self, direct: list[tuple[LinkEndpoint, socket.socket]],
                    now: float) -> bool:
        """Send a probe to every late peer not probed for ``probe_every``; True when some
        peer is late (the loop then wakes up in time for the next probe)."""
        late = self.detector.late_peers(now, self.late_after, self.give_up_after)
        for name in late:
            if now - self._probed_at.get(name, float("-inf")) < self.probe_every:
                continue
            self._probed_at[name] = now
            self._sequence += 1
            for ep, sock in direct:
                address = ep.address_of(name)
                if address is not None:
                    self._send(sock, ep, address, self._packet(Kind.PROBE, ep))
                    self.stats.probes_sent += 1
        return bool(late)

    def _answer_probe(self, sockets: list[tuple[LinkEndpoint, socket.socket]]) -> None:
        """A peer probed this node: a heartbeat now, on every link (at most one per half
        probe period, however many peers ask)."""
        now = self.clock()
        if now - self._answered_at < self.probe_every / 2:
            return
        self._answer_due = False
        self._answered_at = now
        self._send_all(sockets, Kind.HEARTBEAT)
        self.stats.probes_answered += 1

    def _send_all(self, sockets: list[tuple[LinkEndpoint, socket.socket]], kind: Kind) -> None:
        self._sequence += 1
        for ep, sock in sockets:
            packet = self._packet(kind, ep)
            for address in [ep.group] if ep.group else list(ep.peers):
                self._send(sock, ep, address, packet)

    def _packet(self, kind: Kind, ep: LinkEndpoint) -> bytes:
        return encode(Heartbeat(
            cluster_id=self.cluster, node_id=self.node.node_id,
            incarnation=self.incarnation, sequence=self._sequence, kind=kind,
            flags=self.flags, view=self.view, config_epoch=self.config_epoch,
            link=ep.index), self.key)

    def _send(self, sock: socket.socket, ep: LinkEndpoint, address: str,
              packet: bytes) -> None:
        try:
            sock.sendto(packet, (address, ep.port))
            self.stats.sent += 1
        except OSError as exc:
            self.stats.send_errors += 1
            self._rate_limited(f"send-{ep.name}", "heartbeat send failed",
                               link=ep.name, destination=address, error=str(exc))

    def _receive(self, sock: socket.socket, ep: LinkEndpoint) -> None:
        while True:
            try:
                data, (source, _port) = sock.recvfrom(MAX_DATAGRAM)
            except BlockingIOError:
                return
            except OSError as exc:
                self._rate_limited(f"recv-{ep.name}", "heartbeat receive failed",
                                   link=ep.name, error=str(exc))
                return
            result = decode(data, self.key, self.cluster)
            if isinstance(result, Heartbeat):
                result = self._accept(result, ep)
            if isinstance(result, Drop):
                self.stats.dropped[result.reason.value] += 1
                if self.on_drop is not None:
                    self.on_drop(source, result)
                self._rate_limited(result.reason.value, "heartbeat dropped",
                                   reason=result.reason.value, source=source,
                                   link=ep.name, detail=result.detail)
                continue
            self.stats.received += 1

    def _accept(self, hb: Heartbeat, ep: LinkEndpoint) -> Heartbeat | Drop:
        if hb.node_id == self.node.node_id:
            return Drop(DropReason.OWN_PACKET)
        name = self.by_id.get(hb.node_id)
        if name is None:
            return Drop(DropReason.UNKNOWN_NODE, f"node id {hb.node_id}")
        if hb.link != ep.index:
            return Drop(DropReason.REPLAYED, f"sent on link {hb.link}, received on {ep.index}")
        replay = self.guard.check(hb)
        if replay is not None:
            return Drop(replay, f"from {name}")
        self.highest_view = max(self.highest_view, hb.view)
        known = self._incarnations.get(name)
        self._incarnations[name] = hb.incarnation
        if known is not None and hb.incarnation != known and hb.kind is not Kind.LEAVE:
            self.on_event(DetectorEvent(
                "restarted", name, None,
                f"{name} restarted (incarnation {known} -> {hb.incarnation})"))
        if hb.kind is Kind.LEAVE:
            self.detector.forget(name)
        else:
            self.detector.heard(name, ep.name, self.clock())
        if hb.kind is Kind.PROBE:
            self._answer_due = True
        return hb

    def _rate_limited(self, key: str, message: str, **fields: object) -> None:
        now = self.clock()
        if now - self._last_drop_log.get(key, -DROP_LOG_INTERVAL) >= DROP_LOG_INTERVAL:
            self._last_drop_log[key] = now
            log.warning(message, **fields)
