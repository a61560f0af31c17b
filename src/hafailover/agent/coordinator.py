"""The coordinator's part of the daemon: views and the replicated cluster state.

As coordinator, it holds each new view and delivers it to the members, learns from
their answers which resources they run and which copy of the state they hold, and
makes sure every member stores the winning copy; on every node it takes the views and
state pushes the coordinator sends. A state change (``change``) returns once nodes with
a majority of the votes have stored it. The scheduler runs (``ready_to_schedule``) only
once every member has acknowledged the view with its probed resources.

Its collaborators are handed in by the daemon; it starts no task of its own but through
``spawn``, and wakes the daemon's membership loop through ``wake``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from hafailover.agent.errors import ChangeRefusedError
from hafailover.agent.events import EventLog
from hafailover.agent.fencing_policy import FencingPolicy
from hafailover.agent.peer_channels import PeerError, Peers
from hafailover.agent.replication import (
    RejectedDocumentError,
    ReplicatedState,
    from_message,
    to_message,
    version_of,
)
from hafailover.agent.resources import LocalResources
from hafailover.agent.transitions import TransitionDriver
from hafailover.agent.views import view_message
from hafailover.config.model import ClusterConfig
from hafailover.log import get_logger
from hafailover.membership.tracker import Membership
from hafailover.membership.transport import HeartbeatLoop
from hafailover.membership.view import View
from hafailover.store.document import Document, Version
from hafailover.v1 import peer_pb2

log = get_logger(__name__)

PUBLISH_TIMEOUT = 2.0  # seconds a member has to acknowledge a view or a state push


class Coordinator:
    def __init__(self, *, node: str, boot_config: ClusterConfig, membership: Membership,
                 peers: Peers, state: ReplicatedState, events: EventLog,
                 heartbeat: HeartbeatLoop, resources: LocalResources,
                 driver: TransitionDriver, fencing: FencingPolicy,
                 spawn: Callable[[Awaitable[None]], None], wake: asyncio.Event,
                 recovering: bool, came_from: str) -> None:
        self.node = node
        self.boot_config = boot_config
        self.membership = membership
        self.peers = peers
        self.state = state
        self.events = events
        self.heartbeat = heartbeat
        self.resources = resources
        self.driver = driver
        self.fencing = fencing
        self.spawn = spawn
        self._wake = wake
        self.recovering = recovering  # the saved state was unusable; not recovered yet
        self.came_from = came_from  # where the copy this node holds came from, for people
        self.last_consequences: list[str] = []  # what the last change makes the cluster do
        self._held_view = View(0, (), None, False, 0, 0)
        self._unconfirmed: set[str] = set()  # members that have not acknowledged our view
        self._in_flight: set[str] = set()  # members a view is being sent to
        self._acked: dict[str, int] = {}  # member -> view acknowledged, probed and synced
        self._silent_since: dict[str, float] = {}
        self._synchronising = asyncio.Lock()
        self._last_said: dict[str, float] = {}

    def republish(self) -> None:
        """As coordinator, send the view again to the members that have not confirmed it."""
        if self.membership.is_coordinator and self._unconfirmed:
            self.publish(self.membership.view, only=set(self._unconfirmed))

    def heard_from(self, member: str) -> None:
        """``member`` began a new life (or was lost): its silence on the peer channel
        counts afresh."""
        self._silent_since.pop(member, None)

    def adopt_view(self, view: View) -> None:
        """This node now holds ``view``: advertise it and say what changed."""
        previous, self._held_view = self._held_view, view
        self.heartbeat.advertise(view=view.number, coordinator=view.coordinator == self.node,
                                 quorate=view.quorate, config_epoch=self.state.version.epoch)
        if view == previous:
            return
        self.events.record("view", view.describe(), view=view.number,
                           members=list(view.members), coordinator=view.coordinator,
                           quorate=view.quorate, votes=view.votes,
                           expected_votes=view.expected_votes)
        if view.quorate != previous.quorate or previous.number == 0:
            if view.quorate:
                self.events.record("quorum", f"quorum: {view.votes} of {view.expected_votes} "
                                   "expected votes present", votes=view.votes)
            else:
                self.events.record(
                    "quorum", f"NO QUORUM: {view.votes} of {view.expected_votes} expected "
                    f"votes present; no-quorum-policy is "
                    f"{self.state.config.properties.no_quorum_policy}", level="warning",
                    votes=view.votes)

    def publish(self, view: View, only: set[str] | None = None) -> None:
        """Hold ``view`` and send it to its members (or to ``only`` those again). Never
        waits: a member that does not answer must not delay the next view, nor the
        others' copy of this one."""
        if only is None:
            self.adopt_view(view)
            self.driver.resources.replace_node(self.node, self.resources.statuses())
            self.driver.request()
            if self.state.document.fenced_nodes:
                self.spawn(self.fencing.forget_rejoined(view.members))
        for member in view.members:
            if member != self.node and (only is None or member in only) \
                    and member not in self._in_flight:
                self._in_flight.add(member)
                self.spawn(self._deliver(view, member))

    async def _deliver(self, view: View, member: str) -> None:
        try:
            result = await self.peers.call(member, "PublishView",
                                           view_message(view, self.node), PUBLISH_TIMEOUT)
        except PeerError as exc:
            result = exc
        finally:
            self._in_flight.discard(member)
        current = self.membership.view
        if current != view:  # a newer view was made meanwhile: the member needs that one
            if current.coordinator == self.node and member in current.members:
                self._unconfirmed.add(member)
                self._wake.set()
            return
        if isinstance(result, PeerError):
            now = time.monotonic()
            self._unconfirmed.add(member)
            self._silent_since.setdefault(member, now)
            self._member_silent(member, view, str(result), now)
            return
        self._silent_since.pop(member, None)
        if not result.accepted:
            self._unconfirmed.add(member)
            self.membership.refused(result.view)
            self._wake.set()
            if self._rate_limited(f"refused-{member}", 2.0):
                log.warning("view refused", member=member, view=view.number,
                            reason=result.message)
            return
        if result.probed:
            self._unconfirmed.discard(member)
            self.driver.resources.replace_node(member, result.resources)
            self.driver.request()
        else:
            self._unconfirmed.add(member)  # asked again until its probes are done
        async with self._synchronising:
            await self._synchronise(member, version_of(result.have))
        if result.probed and self.membership.view == view:
            self._acked[member] = view.number  # its resources and state are known now
            self.driver.request()

    def _member_silent(self, member: str, view: View, error: str, now: float) -> None:
        """A member heard on the heartbeat links does not answer on the peer channel."""
        silent = now - self._silent_since[member]
        if silent >= max(PUBLISH_TIMEOUT, self.boot_config.loss_time):
            del self._silent_since[member]
            self._unconfirmed.discard(member)
            self.membership.unreachable(member)
            self.fencing.node_lost(member)
            self.driver.node_gone(member, clean=False)
            self.events.record(
                "membership", f"{member} lost: its heartbeats arrive but it has not answered "
                f"on the peer channel for {silent:.1f}s ({error}); check that TCP port "
                f"{self.boot_config.peer.port} is open between the nodes", level="warning",
                node=member)
            self._wake.set()
        elif self._rate_limited(f"silent-{member}"):
            log.warning("view not acknowledged", member=member, view=view.number,
                        error=error)

    def _rate_limited(self, key: str, every: float = 10.0) -> bool:
        """True at most once per ``every`` seconds for ``key``: for repeated warnings."""
        now = time.monotonic()
        if now - self._last_said.get(key, -every) < every:
            return False
        self._last_said[key] = now
        return True

    async def _synchronise(self, member: str, have: Version) -> None:
        """As coordinator: make sure ``member`` and this node hold the winning copy."""
        if have > self.state.version:
            try:
                message = await self.peers.call(
                    member, "FetchState", peer_pb2.FetchStateRequest(from_node=self.node),
                    PUBLISH_TIMEOUT)
                document = from_message(message)
            except (PeerError, RejectedDocumentError) as exc:
                self.events.record("state", f"cannot take the cluster state from "
                                   f"{member}: {exc}", level="error")
                return
            if self.state.adopt(document):
                self.state_adopted(document, f"taken from {member}")
                others = [m for m in self.membership.view.members
                          if m not in (self.node, member)]
                await self._push(others)
        elif have != self.state.version:
            await self._push([member])

    async def _push(self, members: list[str]) -> set[str]:
        """Send our copy to ``members``; the set of those that stored it."""
        request = peer_pb2.PushStateRequest(document=to_message(self.state.document),
                                            view=self.membership.view.number)
        results = await asyncio.gather(*(
            self.peers.call(m, "PushState", request, PUBLISH_TIMEOUT) for m in members),
            return_exceptions=True)
        stored = set()
        for member, result in zip(members, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("state push failed", member=member, error=str(result))
            elif result.accepted:
                stored.add(member)
            elif version_of(result.have) > self.state.version:
                self._unconfirmed.add(member)  # it has a newer copy: the next round takes it
                self._wake.set()
            else:
                log.warning("state push refused", member=member, reason=result.message)
        return stored

    def state_adopted(self, document: Document, how: str) -> None:
        self.recovering = False
        self.came_from = how
        self.resources.reconfigure(self.state.config)
        self.driver.request()
        self.heartbeat.advertise(view=self.membership.view.number,
                                 coordinator=self.membership.is_coordinator,
                                 quorate=self.membership.view.quorate,
                                 config_epoch=document.version.epoch)
        self.events.record("state", f"cluster state {document.version} {how} "
                           f"(made by {document.origin or 'the configuration file'})",
                           version=str(document.version), origin=document.origin)

    async def catch_up(self, coordinator: str) -> None:
        """Take the coordinator's copy now (an action arrived before its state push)."""
        try:
            message = await self.peers.call(
                coordinator, "FetchState", peer_pb2.FetchStateRequest(from_node=self.node),
                PUBLISH_TIMEOUT)
            self.receive_state(from_message(message), coordinator)
        except (PeerError, RejectedDocumentError) as exc:
            log.warning("cannot take the coordinator's state", error=str(exc))

    def receive_state(self, document: Document, sender: str | None) -> tuple[bool, str]:
        """A push from the coordinator; (stored, why not)."""
        if sender is not None and sender != self.membership.view.coordinator:
            return False, (f"{sender} is not the coordinator of view "
                           f"{self.membership.view.number}")
        try:
            changed = self.state.adopt(document)
        except RejectedDocumentError as exc:
            return False, str(exc)
        if changed:
            self.state_adopted(document, f"received from {sender or 'the coordinator'}")
            return True, ""
        if document.digest == self.state.document.digest:
            return True, ""
        return False, f"{self.node} holds a newer copy ({self.state.version})"

    async def change(self, make: Callable[[Document], Document], what: str) -> str:
        """Make a state change as the coordinator; returns once a majority stored it.
        ``self.last_consequences`` then says what the cluster does because of it."""
        view = self.membership.view
        if view.coordinator != self.node:
            raise ChangeRefusedError(f"{self.node} is not the coordinator ({view.coordinator})")
        if not view.quorate and self.state.config.properties.no_quorum_policy != "ignore":
            raise ChangeRefusedError(
                f"this partition has no quorum ({view.votes} of {view.expected_votes} "
                "expected votes): changes are refused so that none can be lost when the "
                "partitions merge")
        document = make(self.state.document)
        if document is self.state.document:
            self.last_consequences = ["nothing to do"]
            return f"{what}: nothing to change"
        self.state.adopt(document)
        self.state_adopted(document, f"made here: {what}")
        # before anything awaits, so that no transition has run yet
        self.last_consequences = self.driver.consequences()
        members = [m for m in view.members if m != self.node]
        stored = await self._push(members)
        votes = {n.name: n.votes for n in self.boot_config.nodes}
        have = votes[self.node] + sum(votes[m] for m in stored)
        if 2 * have <= view.expected_votes:
            raise ChangeRefusedError(f"{what}: stored on nodes with only {have} of "
                                f"{view.expected_votes} votes; it may be lost")
        return f"{what} (cluster state {document.version})"

    def ready_to_schedule(self) -> bool:
        """As coordinator, once every member of the view has acknowledged it with its
        probed resources and holds the winning state: never plan on half the facts."""
        view = self.membership.view
        return (view.coordinator == self.node and self.resources.probed
                and all(self._acked.get(m) == view.number
                        for m in view.members if m != self.node))
