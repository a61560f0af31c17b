"""The coordinator's fencing policy: when a node may count as down, and how it is made so.

A node that left uncleanly (lost without a goodbye, or online after a stop that failed)
is *unclean*: its resources may still run there, so nothing of it is recovered until it
is fenced. Fencing is done by the configured devices (``hafailover.fencing.fencer``),
or, with no device for that node and a watchdog configured, by waiting until its
watchdog must have stopped everything (twice ``watchdog-timeout`` after it was lost).
An operator may confirm by hand that a node is down (``hactl fence confirm``).

Every attempt goes into the replicated state's fence history; a success also marks the
node as down until it rejoins. A failed attempt is retried with a growing pause and is
reported loudly, and the node's resources stay where they are.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from hafailover.agent.errors import ChangeRefusedError
from hafailover.agent.ports import FencingHost
from hafailover.fencing.fencer import Fencer
from hafailover.fencing.topology import can_fence
from hafailover.log import get_logger
from hafailover.membership.tracker import PeerState
from hafailover.store import document as doc_ops
from hafailover.store.document import FenceRecord

log = get_logger(__name__)

FIRST_RETRY = 2.0  # seconds before a failed fence is tried again; doubles up to MAX_RETRY
MAX_RETRY = 30.0


@dataclass
class Retry:
    failures: int
    next_attempt: float  # monotonic
    message: str


class FencingPolicy:
    def __init__(self, agent: FencingHost) -> None:
        self.agent = agent
        self.lost_since: dict[str, float] = {}  # monotonic time each node was lost
        self.lost_at: dict[str, float] = {}  # the same, wall time (fence records carry it)
        self.unclean_online: set[str] = set()  # members whose stop failed
        self.retries: dict[str, Retry] = {}
        self.running: dict[str, asyncio.Future[bool]] = {}

    # --- who is unclean ---------------------------------------------------------------

    def node_lost(self, node: str) -> None:
        self.lost_since.setdefault(node, time.monotonic())
        self.lost_at.setdefault(node, time.time())

    def node_back(self, node: str) -> None:
        self.lost_since.pop(node, None)
        self.lost_at.pop(node, None)
        self.retries.pop(node, None)

    def fenced(self, node: str) -> bool:
        """Fenced (or confirmed down) since it was last lost: an older mark, left from
        before it rejoined, does not count."""
        when = self.agent.state.document.fenced_nodes.get(node)
        return when is not None and when >= self.lost_at.get(node, 0.0)

    def stop_failed(self, node: str) -> None:
        """A stop failed on a member: it is in an unknown state until fenced."""
        if self.agent.state.config.properties.stonith_enabled:
            self.unclean_online.add(node)

    def unclean(self, lost: list[str]) -> list[str]:
        return sorted({n for n in lost if not self.fenced(n)} | self.unclean_online)

    def failing(self) -> dict[str, str]:
        return {node: retry.message for node, retry in self.retries.items()}

    # --- fencing ----------------------------------------------------------------------

    async def fence(self, target: str, *, reason: str, requested_by: str,
                    action: str = "off", manual: bool = False) -> tuple[bool, str]:
        """Fence ``target`` once (or join an attempt already running); (ok, message)."""
        if not manual and self.fenced(target) and target not in self.unclean_online:
            return True, f"{target} is already fenced"
        retry = self.retries.get(target)
        if not manual and retry is not None and time.monotonic() < retry.next_attempt:
            return False, retry.message
        if not manual and not await self._quorum_is_solid():
            # not a failed fence: the next transition, on the settled membership, decides
            return False, (f"fencing of {target} held back: this partition may be losing "
                           "its quorum (members not heard from lately)")
        running = self.running.get(target)
        if running is not None:
            return await running, f"{target}: fencing already in progress"
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.running[target] = future
        try:
            ok, message, devices = await self._fence(target, reason, action)
        finally:
            del self.running[target]
        future.set_result(ok)
        await self._record(FenceRecord(target=target, action=action, ok=ok, devices=devices,
                                       message=message, requested_by=requested_by,
                                       reason=reason, time=time.time()))
        if ok:
            self.retries.pop(target, None)
            self.unclean_online.discard(target)
            self.agent.driver.node_fenced(target)
            self.agent.events.record("fence", message, target=target, devices=list(devices),
                                     requested_by=requested_by)
        else:
            failures = (retry.failures if retry else 0) + 1
            pause = min(MAX_RETRY, FIRST_RETRY * 2 ** (failures - 1))
            self.retries[target] = Retry(failures, time.monotonic() + pause, message)
            self.agent.events.record(
                "fence", f"FENCING OF {target} FAILED ({failures} attempt(s)): {message}; "
                f"its resources are not recovered; next attempt in {pause:g}s, or confirm "
                f"by hand once it is powered off: hactl fence confirm {target}",
                level="error", target=target, attempts=failures)
        return ok, message

    async def _quorum_is_solid(self) -> bool:
        """True once this partition's quorum is beyond doubt: quorate, and every other
        member heard from within two heartbeat intervals. When a partition splits, its
        peers are lost one by one a few milliseconds apart; a node on the losing side
        may hold a quorate view for that moment, and must not fence a node of the
        winning side in it. Waits at most the loss time for the doubt to clear."""
        agent = self.agent
        beat = agent.boot_config.heartbeat
        deadline = time.monotonic() + agent.boot_config.loss_time
        while True:
            view = agent.membership.view
            policy = agent.state.config.properties.no_quorum_policy
            if not view.quorate and policy != "ignore":
                return False
            now = time.monotonic()
            detector = agent.heartbeat.detector
            peers = agent.membership.peers
            doubtful = [m for m in view.members if m != agent.node
                        and peers[m] is not PeerState.PROBE_ONLY  # answers its probes
                        and ((heard := detector.last_heard(m)) is None
                             or now - heard > 2 * beat.interval)]
            if not doubtful:
                return True
            if now >= deadline:
                log.warning("fencing held back", doubtful=doubtful, view=view.number)
                return False
            await asyncio.sleep(beat.interval / 2)

    async def _fence(self, target: str, reason: str,
                     action: str) -> tuple[bool, str, tuple[str, ...]]:
        agent = self.agent
        config = agent.state.config
        delay = self._race_delay(target)
        if delay > 0:
            agent.events.record("fence", f"fencing {target} in {delay:g}s "
                                "(priority-fencing-delay: it may be the node that should "
                                "survive a fence race)", target=target)
            await asyncio.sleep(delay)
        if can_fence(config, target):
            outcome = await Fencer(config).fence(target, action, reason=reason,
                                                 requested_by=agent.node)
            return outcome.ok, outcome.message, outcome.devices
        watchdog = config.properties.watchdog_timeout
        if watchdog > 0 and target in self.lost_since:
            wait = self.lost_since[target] + 2 * watchdog - time.monotonic()
            if wait > 0:
                agent.events.record(
                    "fence", f"{target} has no fence device: waiting {wait:.1f}s for its "
                    f"watchdog to have stopped everything (2 x watchdog-timeout "
                    f"{watchdog:g}s since it was lost)", target=target)
                await asyncio.sleep(wait)
            if target in self.lost_since:  # still gone: it cannot have kept anything
                return True, (f"{target} counts as fenced: lost for 2 x watchdog-timeout "
                              f"({2 * watchdog:g}s), its watchdog has stopped its resources"
                              ), ("watchdog",)
            return False, f"{target} came back while waiting for its watchdog", ()
        return False, (f"no fence device can fence {target} and no watchdog is configured"
                       ), ()

    def _race_delay(self, target: str) -> float:
        """priority-fencing-delay applies when fencing the node that should survive a
        race: the one running more resources, as this node knows them; on a tie, the
        one with the lower node id."""
        agent = self.agent
        delay = agent.state.config.properties.priority_fencing_delay
        if delay <= 0:
            return 0.0
        by_node = agent.driver.resources.by_node
        theirs, mine = len(by_node.get(target, {})), len(by_node.get(agent.node, {}))
        if theirs != mine:
            return delay if theirs > mine else 0.0
        ids = {n.name: n.node_id for n in agent.state.config.nodes}
        return delay if ids.get(target, 0) < ids.get(agent.node, 0) else 0.0

    async def confirm(self, target: str, requested_by: str) -> str:
        """An operator says ``target`` is powered off."""
        await self._record(FenceRecord(
            target=target, action="confirm", ok=True, devices=(),
            message=f"{target} confirmed down by {requested_by}",
            requested_by=requested_by, reason="manual confirmation", time=time.time()))
        self.retries.pop(target, None)
        self.unclean_online.discard(target)
        self.agent.driver.node_fenced(target)
        self.agent.events.record("fence", f"{target} confirmed down by {requested_by}: "
                                 "its resources are recovered", level="warning",
                                 target=target)
        return f"{target} is recorded as down; its resources are recovered elsewhere"

    async def _record(self, record: FenceRecord) -> None:
        try:
            await self.agent.change(
                lambda doc: doc_ops.record_fence(doc, record, self.agent.node),
                f"fencing of {record.target}: {'done' if record.ok else 'failed'}")
        except ChangeRefusedError as exc:
            log.warning("fencing not recorded in the cluster state", target=record.target,
                        reason=str(exc))

    async def forget_rejoined(self, members: tuple[str, ...]) -> None:
        """Nodes marked down that are members again: they are up."""
        origin = self.agent.node
        for node in members:
            if node in self.agent.state.document.fenced_nodes:
                def clear(doc: doc_ops.Document, node: str = node) -> doc_ops.Document:
                    return doc_ops.clear_fenced(doc, node, origin)

                try:
                    await self.agent.change(clear, f"{node} is back after fencing")
                except ChangeRefusedError as exc:
                    log.warning("fenced mark kept", node=node, reason=str(exc))
