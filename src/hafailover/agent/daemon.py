"""``hafailover agent``: one node's daemon.

Threads and tasks:

- the heartbeat thread (``HeartbeatLoop``) sends, receives and detects at real-time
  priority and hands detector events to the asyncio loop;
- the asyncio loop serves the peer channel and the control socket (one grpc.aio
  server), probes suspected peers, and runs the coordinator's work in one task
  (``_coordinate``) so that views and state changes are made one at a time.

The daemon builds its parts here and hands each the narrow port it uses
(``hafailover.agent.ports``). The membership rules are in
``hafailover.membership.tracker`` (pure); views and the replicated state, as the
coordinator spreads them, in ``hafailover.agent.coordinator``; the state itself in
``hafailover.agent.replication`` and ``hafailover.store``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from grpc import aio

from hafailover import settings
from hafailover.agent.commands import apply_config_text, run_command
from hafailover.agent.control_service import ControlService
from hafailover.agent.coordinator import PUBLISH_TIMEOUT, Coordinator
from hafailover.agent.events import EventLog
from hafailover.agent.fencing_policy import FencingPolicy
from hafailover.agent.peer_channels import PeerError, Peers
from hafailover.agent.peer_service import PeerService
from hafailover.agent.replication import (
    ReplicatedState,
    load_at_start,
)
from hafailover.agent.resources import LocalResources
from hafailover.agent.transitions import TransitionDriver
from hafailover.config.model import ClusterConfig
from hafailover.diagnostics import WHERE_WAITING, describe_tasks, thread_stacks
from hafailover.executor.inprocess import warm_up
from hafailover.fencing.watchdog_client import WatchdogClient
from hafailover.log import get_logger
from hafailover.membership.detector import DetectorEvent
from hafailover.membership.tracker import Membership, PeerState, Probe, Publish
from hafailover.membership.transport import HeartbeatLoop
from hafailover.membership.view import View
from hafailover.peer.service import check_hello_reply, version_message
from hafailover.peer.tls import channel_credentials, server_credentials
from hafailover.security.material import read_cluster_key
from hafailover.store.document import Document
from hafailover.v1 import control_pb2, control_pb2_grpc, peer_pb2, peer_pb2_grpc

log = get_logger(__name__)

HAND_OVER_TIMEOUT = 120.0  # seconds a leaving node waits for its resources to move away


@dataclass(frozen=True)
class AgentPaths:
    config: Path
    key_dir: Path
    state_dir: Path
    run_dir: Path

    @property
    def state_file(self) -> Path:
        return self.state_dir / settings.STATE_FILE_NAME

    @property
    def control_socket(self) -> Path:
        return self.run_dir / settings.CONTROL_SOCKET_NAME


class Agent:
    def __init__(self, paths: AgentPaths, node: str, config_text: str) -> None:
        self.paths = paths
        self.node = node
        self.config_text = config_text
        self.incarnation = time.time_ns() // 1000
        self.started = time.time()
        self.events = EventLog()
        startup = load_at_start(paths.state_file, config_text, node, str(paths.config))
        if startup.file_differs:
            self.events.record(
                "config", f"the saved cluster state {startup.document.version} runs, not "
                f"{paths.config}: that file differs from the configuration the cluster "
                f"agreed on (last made by {startup.document.origin or 'the configuration file'}). "
                f"To run the file's configuration: hactl config apply {paths.config}",
                level="warning", file=str(paths.config), version=str(startup.document.version))
        if startup.problem is not None:
            self.events.record(
                "state", f"cannot use the saved cluster state: {startup.problem}; it was "
                f"moved to {startup.quarantined}; the state will be recovered from the "
                "peers", level="error", file=str(paths.state_file))
        self.state = ReplicatedState(paths.state_file, startup.document)
        if not paths.state_file.exists():
            self.state.save()  # from now on a restart starts from the cluster's copy
        # The configuration this agent started with: its membership settings (cluster
        # name, nodes, heartbeat, peer channel) hold until the agent restarts. Everything
        # else is read from the live configuration, ``self.state.config``.
        self.boot_config: ClusterConfig = self.state.config
        if self.boot_config.node(node) is None:
            raise ValueError(f"node '{node}' is not in the cluster's configuration "
                             f"({', '.join(self.boot_config.node_names())})")
        self.membership = Membership(self.boot_config, node, time.monotonic())
        self.key = read_cluster_key(paths.key_dir / "cluster.key")
        self.heartbeat = HeartbeatLoop(self.boot_config, node, self.key,
                                       incarnation=self.incarnation,
                                       on_event=self._from_heartbeat_thread)
        self.peers = Peers(self.boot_config, node, channel_credentials(paths.key_dir, node))
        self.resources = LocalResources(node, self.state.config, self.report)
        self.driver = TransitionDriver(self)
        self.fencing = FencingPolicy(self)
        self.watchdog: WatchdogClient | None = None
        self.resources.on_change = self.arm_watchdog
        self.leaving: set[str] = set()  # nodes moving their resources away before they stop
        self.server: aio.Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._compatible: dict[str, str | None] = {}
        self._last_probe_round = 0.0
        self.coordinator = Coordinator(
            node=node, boot_config=self.boot_config, membership=self.membership,
            peers=self.peers, state=self.state, events=self.events,
            heartbeat=self.heartbeat, resources=self.resources, driver=self.driver,
            fencing=self.fencing, spawn=self.spawn, wake=self._wake,
            recovering=startup.problem is not None, came_from=startup.came_from)

    # --- what the parts' ports name on the daemon, answered by the coordinator ----------

    @property
    def recovering(self) -> bool:
        """The saved state was unusable and no peer's copy has been taken yet."""
        return self.coordinator.recovering

    @property
    def state_came_from(self) -> str:
        """Where this node's copy of the state came from: the saved state, the file,
        a peer, or a change made here."""
        return self.coordinator.came_from

    @property
    def last_consequences(self) -> list[str]:
        return self.coordinator.last_consequences

    def adopt_view(self, view: View) -> None:
        self.coordinator.adopt_view(view)

    async def catch_up(self, coordinator: str) -> None:
        await self.coordinator.catch_up(coordinator)

    def receive_state(self, document: Document, sender: str | None) -> tuple[bool, str]:
        return self.coordinator.receive_state(document, sender)

    async def change(self, make: Callable[[Document], Document], what: str) -> str:
        return await self.coordinator.change(make, what)

    def ready_to_schedule(self) -> bool:
        return self.coordinator.ready_to_schedule()

    # --- life cycle -----------------------------------------------------------------------

    async def run(self) -> int:
        self.loop = asyncio.get_running_loop()
        await self._serve()
        thread = threading.Thread(target=self.heartbeat.run, name="heartbeat", daemon=True)
        thread.start()
        for sig, handler in ((signal.SIGTERM, self.request_stop),
                             (signal.SIGINT, self.request_stop),
                             (signal.SIGHUP, self._reload),
                             (signal.SIGUSR1, self.log_where_waiting)):
            self.loop.add_signal_handler(sig, handler)
        beat = self.boot_config.heartbeat
        self.events.record(
            "agent", f"{self.node} started (incarnation {self.incarnation})",
            node=self.node, incarnation=self.incarnation, cluster=self.boot_config.name,
            state_version=str(self.state.version),
            detection_time_ms=round(beat.detection_time * 1000),
            loss_time_ms=round(self.boot_config.loss_time * 1000),
            interval_ms=round(beat.interval * 1000), dead_time_ms=round(beat.dead_time * 1000),
            transport=beat.transport)
        self._start_watchdog()
        self.spawn(self._coordinate())
        self.spawn(self._tick())
        self.spawn(self.driver.run_forever())
        self.spawn(self._probe_local())
        self.spawn(self._warm_up())
        await self._stopping.wait()
        await self._leave(thread)
        return 0

    def log_where_waiting(self) -> None:
        """SIGUSR1: log where every task and thread of the agent waits (for "it hangs")."""
        log.warning(WHERE_WAITING, kind="diagnostics",
                    tasks=describe_tasks(), threads=thread_stacks())

    def request_stop(self) -> None:
        self.events.record("agent", f"{self.node} leaving the cluster (SIGTERM)")
        self._stopping.set()

    async def _hand_over(self) -> None:
        """Before leaving: let the coordinator move this node's resources away, or stop
        them here when no quorate partition can take them."""
        if not self.resources.running():
            return
        if self.in_maintenance():
            running = self.resources.statuses()
            reply = await run_command(self, control_pb2.CommandRequest(
                command="left-running", node=self.node,
                resource=",".join(f"{r.resource}:{r.role}" for r in running)))
            self.events.record(
                "agent", "this node is in maintenance: its resources are left running, "
                "unmanaged (" + ", ".join(self.resources.running()) + "); they are found "
                "again by the probes when the agent starts"
                + ("" if reply.ok else f" (not recorded in the cluster: {reply.message})"),
                level="warning")
            return
        told: str | None = None  # the coordinator that knows this node is leaving
        deadline = time.monotonic() + HAND_OVER_TIMEOUT
        while self.resources.running() and time.monotonic() < deadline:
            view = self.membership.view
            if not view.quorate or len(view.members) < 2:
                break
            if view.coordinator != told:
                # the first coordinator, or a new one: only a coordinator that knows this
                # node is leaving moves its resources away (a coordinator that took over
                # meanwhile would otherwise keep them here and the wait would never end)
                reply = await run_command(self, control_pb2.CommandRequest(
                    command="shutdown", node=self.node))
                if not reply.ok:
                    self.events.record("agent", f"cannot hand over: {reply.message}",
                                       level="warning")
                    break
                self.events.record("agent", f"moving resources away: {reply.message}"
                                   + ("" if told is None else
                                      f" (the coordinator is now {view.coordinator})"))
                told = view.coordinator
            await asyncio.sleep(0.1)
        if self.resources.running():
            self.events.record("agent", "stopping what still runs here: "
                               + ", ".join(self.resources.running()), level="warning")
            await self.resources.stop_everything()

    async def _leave(self, thread: threading.Thread) -> None:
        await self._hand_over()
        self.heartbeat.stop()  # sends a goodbye on every link
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 5.0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.server is not None:
            await self.server.stop(1.0)
        await self.peers.close()
        await self.resources.close()
        if self.watchdog is not None:
            self.watchdog.close()
        with contextlib.suppress(FileNotFoundError):
            self.paths.control_socket.unlink()
        self.events.record("agent", f"{self.node} stopped")

    async def _serve(self) -> None:
        server = aio.server(options=(("grpc.max_receive_message_length", 64 * 1024 * 1024),
                                     ("grpc.so_reuseport", 0)))
        peer_pb2_grpc.add_PeerServicer_to_server(  # type: ignore[no-untyped-call]
            PeerService(self), server)
        control_pb2_grpc.add_ControlServicer_to_server(  # type: ignore[no-untyped-call]
            ControlService(self), server)
        address = self.boot_config.peer_address(self.node)
        host = f"[{address}]" if address and ":" in address else address
        server.add_secure_port(f"{host}:{self.boot_config.peer.port}",
                               server_credentials(self.paths.key_dir, self.node))
        self.paths.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            self.paths.control_socket.unlink()
        old_umask = os.umask(0o077)
        try:
            server.add_insecure_port(f"unix:{self.paths.control_socket}")
            await server.start()
        finally:
            os.umask(old_umask)
        os.chmod(self.paths.control_socket, 0o600)
        self.server = server

    def spawn(self, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("internal task failed", error=repr(exc), exc_info=exc)

    def _reload(self) -> None:
        self.spawn(self._reload_config())

    async def _reload_config(self) -> None:
        try:
            text = self.paths.config.read_text()
        except OSError as exc:
            self.events.record("config", f"SIGHUP: cannot read {self.paths.config}: {exc}",
                               level="error")
            return
        outcome = await apply_config_text(self, text, str(self.paths.config))
        level = "info" if outcome.applied or not outcome.errors else "error"
        self.events.record("config", f"SIGHUP: {outcome.summary}", level=level)

    def local_resources(self) -> list[peer_pb2.ResourceStatus]:
        """What this node's executor runs (reported to the coordinator with each view)."""
        return self.resources.statuses()

    async def _probe_local(self) -> None:
        found = await self.resources.probe_everything()
        self.events.record("resources", "probed every resource on this node: "
                           + (", ".join(found) if found else "nothing runs here"),
                           found=found)
        if self.membership.is_coordinator:  # the last thing the scheduler waited for
            self.driver.resources.replace_node(self.node, self.resources.statuses())
            self.driver.request()
        self._wake.set()

    async def _warm_up(self) -> None:
        """Import the built-in agents now, not during the first takeover."""
        modules = self.resources.builtin_modules()
        try:
            await asyncio.to_thread(warm_up, modules)
        except Exception as exc:  # a missing package is reported when the agent runs
            log.warning("built-in agents not preloaded", modules=modules, error=str(exc))

    def report(self, result: peer_pb2.ActionResult) -> None:
        """A result the coordinator did not ask for (a monitor saw a change, or an action
        asked by the coordinator before it ended): tell the coordinator."""
        coordinator = self.membership.view.coordinator
        if coordinator == self.node:
            self.driver.result_arrived(result)
        elif coordinator is not None:
            self.spawn(self._report_to(coordinator, result))

    async def _report_to(self, coordinator: str, result: peer_pb2.ActionResult) -> None:
        try:
            await self.peers.call(coordinator, "ReportResult", result, PUBLISH_TIMEOUT)
        except PeerError as exc:
            log.warning("report not delivered", coordinator=coordinator, error=str(exc))

    def in_maintenance(self, node: str | None = None) -> bool:
        """This node (or ``node``) in maintenance, or the whole cluster."""
        document = self.state.document
        attributes = document.node_attributes.get(node or self.node, {})
        return (attributes.get("maintenance", "").lower() in ("on", "true")
                or self.state.effective_config.properties.maintenance_mode)

    def unclean_nodes(self) -> list[str]:
        """Peers lost without a goodbye and not fenced since (they may still run
        resources), and members whose stop failed."""
        return self.fencing.unclean(
            [p for p, s in self.membership.peers.items() if s is PeerState.LOST])

    # --- heartbeats and membership --------------------------------------------------------

    def _from_heartbeat_thread(self, event: DetectorEvent) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._detector_event, event)

    def _detector_event(self, event: DetectorEvent) -> None:
        if event.kind in ("alive", "restarted", "left"):
            self.coordinator.heard_from(event.node)  # a new life: silence counts afresh
        if event.kind == "alive":
            self.membership.alive(event.node)
            self.fencing.node_back(event.node)
            self.events.record("membership", f"{event.node} is online", node=event.node)
            self.spawn(self._hello(event.node))
        elif event.kind == "suspected":
            self.events.record("membership", event.message, level="warning", node=event.node)
            self._act(self.membership.suspected(event.node))
        elif event.kind == "left":
            self.membership.left(event.node)
            self.leaving.discard(event.node)
            # a node that leaves in maintenance leaves its resources running, unmanaged
            self.driver.node_gone(event.node, clean=not self.in_maintenance(event.node))
            self.events.record("membership", event.message, node=event.node)
        elif event.kind == "restarted":
            self.membership.restarted(event.node)
            self.fencing.node_back(event.node)
            self._compatible.pop(event.node, None)
            self.events.record("membership", event.message, node=event.node)
            self.spawn(self._hello(event.node))
        elif event.kind == "link-down":
            self.events.record("link", event.message, level="warning", node=event.node,
                               link=event.link)
        else:
            self.events.record("link", event.message, node=event.node, link=event.link)
        self._wake.set()

    def _act(self, outputs: list[Probe | Publish]) -> None:
        for output in outputs:
            if isinstance(output, Probe):
                self.spawn(self._probe(output.node))

    async def _probe(self, node: str) -> None:
        timeout = self.boot_config.peer.probe_timeout
        try:
            reply = await self.peers.probe(node, self.membership.view.number, timeout)
        except PeerError as exc:
            was = self.membership.peers.get(node)
            self.membership.probed(node, answered=False)
            if was is PeerState.LOST or self.membership.peers.get(node) is not PeerState.LOST:
                return  # its heartbeats came back meanwhile, it left, or it is known lost
            self.coordinator.heard_from(node)
            self.fencing.node_lost(node)
            self.driver.node_gone(node, clean=False)
            self.events.record(
                "membership", f"{node} lost: no heartbeat on any link and no answer "
                f"over the peer channel ({exc})", level="warning", node=node)
        else:
            was = self.membership.peers.get(node)
            self.membership.probed(node, answered=True)
            if was is not None and was.value == "suspected":
                self.events.record(
                    "membership", f"{node} sends no heartbeat that reaches {self.node}, but "
                    f"answers over the peer channel (incarnation {reply.incarnation}): kept "
                    "as a member; check multicast, firewalls and the heartbeat links",
                    level="warning", node=node)
        self._wake.set()

    async def _hello(self, node: str) -> None:
        request = peer_pb2.HelloRequest(cluster=self.boot_config.name, node=self.node,
                                        incarnation=self.incarnation,
                                        version=version_message())
        try:
            reply = await self.peers.call(node, "Hello", request, PUBLISH_TIMEOUT)
        except PeerError as exc:
            log.info("hello not answered yet", peer=node, error=str(exc))
            return
        problem = check_hello_reply(self.node, reply)
        if problem != self._compatible.get(node, None) or node not in self._compatible:
            self._compatible[node] = problem
            if problem:
                self.membership.incompatible(node)
                self.events.record("membership", f"{problem}; {node} is kept out of the "
                                   "cluster until then", level="error", node=node)
                self._wake.set()

    def _start_watchdog(self) -> None:
        timeout = self.boot_config.properties.watchdog_timeout
        if timeout <= 0:
            return
        device = settings.WATCHDOG_DEVICE if os.path.exists(settings.WATCHDOG_DEVICE) \
            else None
        self.watchdog = WatchdogClient()
        self.watchdog.start(timeout, agent_pid=os.getpid(), device=device)
        self.events.record("agent", f"watchdog armed: without this agent's pet for "
                           f"{timeout:g}s it stops this node's resources"
                           + (f" (kernel watchdog {device})" if device else
                              " (software watchdog)"), timeout=timeout)

    def _pet_watchdog(self) -> None:
        """Pet while this node may keep its resources: quorate, or allowed to without
        quorum (no-quorum-policy freeze or ignore), or running nothing."""
        if self.watchdog is None:
            return
        view = self.membership.view
        policy = self.state.config.properties.no_quorum_policy
        if view.quorate or policy != "stop" or not self.resources.running():
            self.watchdog.pet()

    def arm_watchdog(self) -> None:
        """Tell the watchdog what to stop if it fires: what runs here now."""
        if self.watchdog is not None:
            self.watchdog.arm(self.resources.stop_commands())

    async def _tick(self) -> None:
        """Wake the coordinator's task every interval; re-probe peers heard only by gRPC;
        pet the watchdog."""
        interval = self.boot_config.heartbeat.interval
        while True:
            await asyncio.sleep(interval)
            self._pet_watchdog()
            self.membership.heard_view_number(self.heartbeat.highest_view)
            now = time.monotonic()
            if now - self._last_probe_round >= self.boot_config.heartbeat.dead_time:
                self._last_probe_round = now
                self._act(self.membership.probes_due())
            self._wake.set()

    async def _coordinate(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            for output in self.membership.reconcile(time.monotonic()):
                if isinstance(output, Publish):
                    self.coordinator.publish(output.view)
            self.coordinator.republish()
