"""Who is in the cluster, as this node sees it, and the views its coordinator publishes. Pure.

Inputs are the failure detector's events, the answers to liveness probes over the peer
channel, the view numbers peers advertise in their heartbeats and the views coordinators
publish; time is passed in. Outputs are what the I/O shell must do: probe a silent peer,
publish a new view. The rules (docs/protocol.md, "Membership"):

- A peer heard on any link is a member. A peer silent on every link for ``dead-time``
  is *suspected* and probed over the peer channel: if it answers it stays a member (the
  heartbeat path is broken, which is logged as a warning), if not it is *lost*. A peer
  that said goodbye has *left* at once.
- The coordinator of a partition is its member with the lowest node id. Only the
  coordinator makes views: when its members change, it numbers a new view above every
  view number it has seen (its own, heartbeats, refusals) and publishes it.
- A node adopts a view published by that view's coordinator when the view includes it
  and is newer than the one it holds.
- For ``dead-time`` after start a node only listens, so that it learns who is alive and
  the current view number before it would make views of its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hafailover.config.model import ClusterConfig
from hafailover.membership.view import View, make_view


class PeerState(enum.StrEnum):
    UNKNOWN = "unknown"  # not heard since this agent started
    ONLINE = "online"
    SUSPECTED = "suspected"  # silent on every link; a probe is out
    PROBE_ONLY = "probe-only"  # silent on every link, but answers probes: a member
    LOST = "lost"  # silent and did not answer the probe
    LEFT = "left"  # said goodbye
    INCOMPATIBLE = "incompatible"  # runs another protocol version

    @property
    def member(self) -> bool:
        return self in (PeerState.ONLINE, PeerState.SUSPECTED, PeerState.PROBE_ONLY)


@dataclass(frozen=True)
class Probe:
    node: str


@dataclass(frozen=True)
class Publish:
    view: View


Output = Probe | Publish


class Membership:
    def __init__(self, config: ClusterConfig, me: str, now: float) -> None:
        if config.node(me) is None:
            raise ValueError(f"node '{me}' is not in the configuration")
        self.config = config
        self.me = me
        self.started = now
        self.peers = {n.name: PeerState.UNKNOWN for n in config.nodes if n.name != me}
        self.ids = {n.name: n.node_id for n in config.nodes}
        self.highest_seen = 0
        self.seen_all = len(self.peers) == 0
        self.view = make_view(config, [me], 0, seen_all=self.seen_all)
        self._outnumbered = False  # a member holds a view numbered like ours or higher

    # --- inputs -------------------------------------------------------------------------

    def alive(self, node: str) -> None:
        if node in self.peers and self.peers[node] is not PeerState.INCOMPATIBLE:
            self.peers[node] = PeerState.ONLINE
            self._note_seen_all()

    def suspected(self, node: str) -> list[Output]:
        """Silent on every link: probe it before calling it lost."""
        if node not in self.peers or not self.peers[node].member:
            return []
        self.peers[node] = PeerState.SUSPECTED
        return [Probe(node)]

    def probed(self, node: str, answered: bool) -> None:
        state = self.peers.get(node)
        if state not in (PeerState.SUSPECTED, PeerState.PROBE_ONLY):
            return  # heartbeats came back meanwhile, or it left
        self.peers[node] = PeerState.PROBE_ONLY if answered else PeerState.LOST

    def probes_due(self) -> list[Output]:
        """Members heard only over the peer channel are probed again (every dead-time)."""
        return [Probe(p) for p, s in self.peers.items() if s is PeerState.PROBE_ONLY]

    def left(self, node: str) -> None:
        if node in self.peers:
            self.peers[node] = PeerState.LEFT

    def heard_view_number(self, number: int) -> None:
        self.highest_seen = max(self.highest_seen, number)

    def restarted(self, node: str) -> None:
        """Its agent restarted (a new incarnation) without being missed: it holds no view,
        so the coordinator makes a new one that includes it again."""
        if node in self.peers and self.peers[node] is not PeerState.INCOMPATIBLE:
            self.peers[node] = PeerState.ONLINE
            self._outnumbered = True

    def unreachable(self, node: str) -> None:
        """Heard on the heartbeat links but silent on the peer channel for too long: it
        cannot take part in the cluster, so it counts as lost."""
        if node in self.peers and self.peers[node].member:
            self.peers[node] = PeerState.LOST

    def incompatible(self, node: str) -> None:
        """It speaks another protocol version: never a member until it is upgraded."""
        if node in self.peers:
            self.peers[node] = PeerState.INCOMPATIBLE

    # --- views --------------------------------------------------------------------------

    def members(self) -> tuple[str, ...]:
        names = [self.me, *(p for p, s in self.peers.items() if s.member)]
        return tuple(sorted(names, key=self.ids.__getitem__))

    def coordinator(self) -> str:
        return self.members()[0]

    @property
    def is_coordinator(self) -> bool:
        return self.view.coordinator == self.me

    def settled(self, now: float) -> bool:
        return now - self.started >= self.config.heartbeat.dead_time

    def reconcile(self, now: float) -> list[Output]:
        """A new view to publish, when this node is the coordinator and its view is stale."""
        if not self.settled(now) or self.coordinator() != self.me:
            return []
        members = self.members()
        candidate = make_view(self.config, members, self.view.number, seen_all=self.seen_all)
        if (self.view.number > 0 and self.view.coordinator == self.me
                and candidate == self.view and self.highest_seen <= self.view.number
                and not self._outnumbered):
            return []
        number = max(self.view.number, self.highest_seen) + 1
        self.view = make_view(self.config, members, number, seen_all=self.seen_all)
        self.highest_seen = number
        self._outnumbered = False
        return [Publish(self.view)]

    def receive_view(self, view: View, sender: str) -> str | None:
        """Adopt a published view; None when adopted, else why not (sent back to the sender)."""
        self.heard_view_number(view.number)
        if sender not in self.peers:
            return f"{sender} is not a peer of {self.me} in this cluster's configuration"
        if sender != view.coordinator:
            return f"{sender} sent a view whose coordinator is {view.coordinator}"
        if self.me not in view.members:
            return f"view {view.number} does not include {self.me}"
        if view.number < self.view.number or (view.number == self.view.number
                                              and view != self.view):
            return (f"{self.me} already holds view {self.view.number}; "
                    f"view {view.number} is older")
        if self.ids.get(sender, 0) > self.ids[self.coordinator()]:
            lower = self.coordinator()
            return (f"{self.me} sees {lower} alive, which has a lower node id than {sender} "
                    "and coordinates instead")
        self.view = view
        if not self.peers[sender].member:
            # it just reached us over the peer channel: a member, whose heartbeats we miss
            self.peers[sender] = PeerState.PROBE_ONLY
        self._note_seen_all()
        return None

    def refused(self, number: int) -> None:
        """A member refused our view because it holds ``number``: number above it next time."""
        self.heard_view_number(number)
        if number >= self.view.number:
            self._outnumbered = True

    def _note_seen_all(self) -> None:
        if not self.seen_all and all(s.member for s in self.peers.values()):
            self.seen_all = True
