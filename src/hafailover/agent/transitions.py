"""The coordinator's side of resources: what runs where, the scheduler, and the graph.

On every membership change, resource event or command the coordinator builds the
scheduler's input (``hafailover.store.document.snapshot``), runs ``schedule`` and drives
the transition's actions over the peer channel in dependency order. When something new
happens while a transition runs, no further action is started; the running ones finish
and the scheduler runs again on the new facts (the transition is aborted, not undone).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from hafailover.agent.cluster_resources import ClusterResources
from hafailover.agent.errors import ChangeRefusedError
from hafailover.agent.peer_channels import PeerError
from hafailover.agent.ports import DriverHost
from hafailover.agent.replication import version_message
from hafailover.config.model import (
    Clone,
    Group,
    Location,
    Primitive,
    Resource,
    frozen_map,
)
from hafailover.config.scores import INFINITY
from hafailover.config.values import format_duration
from hafailover.core.expiry import expired_failures, failure_timeouts, next_failure_expiry
from hafailover.core.redundancy import Redundancy, redundancy
from hafailover.core.scheduler import schedule
from hafailover.core.state import ClusterState, FailCount
from hafailover.core.transition import Action, ActionKind, Change, ChangeKind, Transition
from hafailover.executor.executor import DEFAULT_TIMEOUT, find_operation
from hafailover.executor.failures import fail_increment
from hafailover.executor.ocf import Severity
from hafailover.gc_pause import collector_paused
from hafailover.log import get_logger
from hafailover.store import document as doc_ops
from hafailover.v1 import peer_pb2

log = get_logger(__name__)

RPC_MARGIN = 10.0  # seconds on top of an operation's timeout before the call gives up
FAILED_RETRY_DELAY = 1.0  # seconds before rescheduling after a transition with failures
RECHECK_MARGIN = 0.05  # seconds past an expiry before the recheck, so that it has passed


class TransitionDriver:
    def __init__(self, agent: DriverHost) -> None:
        self.agent = agent
        self.resources = ClusterResources()
        self.requested = asyncio.Event()
        self.number = 0
        self.running: Transition | None = None
        self.last_outcome = "none yet"
        self.last_failed = False
        self.redundancy: dict[str, Redundancy] = {}  # resource -> its failover target, once settled
        self.idle = asyncio.Event()  # set when a computation found nothing to do
        # (resource, node, action) -> the last failure, until cleaned up
        self.failed_actions: dict[tuple[str, str, str], dict[str, object]] = {}

    def request(self) -> None:
        self.idle.clear()
        self.requested.set()

    async def wait_idle(self, timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self.idle.wait()
        except TimeoutError:
            return False
        return True

    def forget_failures(self, resource: str, node: str | None = None) -> None:
        for key in [k for k in self.failed_actions
                    if k[0] == resource and node in (None, k[1])]:
            del self.failed_actions[key]

    async def run_forever(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._until_recheck()):
                    await self.requested.wait()
            except TimeoutError:
                pass  # a failure or a move expires now, or the periodic recheck is due
            self.requested.clear()
            if not self.agent.ready_to_schedule():
                continue
            await self._forget_expired_failures()
            ok = await self.run_once()
            if not ok:  # an action failed: give the failure a moment to be counted
                await asyncio.sleep(FAILED_RETRY_DELAY)
                self.requested.set()

    def _until_recheck(self) -> float:
        """Seconds until the next failure or move/ban expires, at most the
        cluster-recheck-interval: the scheduler then runs without waiting for an event."""
        agent = self.agent
        now = time.time()
        document = agent.state.document
        due = [now + agent.state.config.properties.cluster_recheck_interval]
        failure = next_failure_expiry(agent.state.config, document.failures, now)
        if failure is not None:
            due.append(failure)
        due += [r.expires for r in document.runtime_locations
                if r.expires is not None and r.expires > now]
        return max(RECHECK_MARGIN, min(due) - now + RECHECK_MARGIN)

    async def _forget_expired_failures(self) -> None:
        """As coordinator: drop the fail counts past their failure-timeout from the state,
        saying which, so that status no longer shows them and the node is eligible."""
        agent = self.agent
        config = agent.state.config
        expired = expired_failures(config, agent.state.document.failures, time.time())
        if not expired:
            return
        timeouts = failure_timeouts(config)
        gone = {(f.resource, f.node) for f in expired}
        what = "failures expired: " + ", ".join(
            f"{f.resource} on {f.node} (failure-timeout {format_duration(timeouts[f.resource])})"
            for f in expired)

        def drop(doc: doc_ops.Document) -> doc_ops.Document:
            kept = [f for f in doc.failures if (f.resource, f.node) not in gone]
            return doc_ops.set_failures(doc, kept, agent.node)

        try:
            await agent.change(drop, what)
        except ChangeRefusedError as exc:
            log.info("expired failures kept in the state", reason=str(exc))
            return
        agent.events.record("failures", what, resources=sorted({f.resource for f in expired}))

    def compute(self) -> Transition:
        with collector_paused():
            return schedule(self.agent.state.effective_config, self._state())

    def _state(self) -> ClusterState:
        """The scheduler's input: the cluster as this coordinator knows it now."""
        agent = self.agent
        view = agent.membership.view
        peers = agent.membership.peers
        online = [m for m in view.members if m == agent.node or peers[m].member]
        state = doc_ops.snapshot(agent.state.document, agent.state.config,
                                 members=online, unclean=agent.unclean_nodes(),
                                 resources=self.resources.all(), quorate=view.quorate,
                                 now=time.time())
        for node in agent.leaving:
            state = state.with_node(node, standby=True)
        for node_state in state.nodes:
            scores = self.resources.promotion_attributes(node_state.name)
            if scores:
                merged = frozen_map({**node_state.attributes, **scores})
                state = state.with_node(node_state.name, attributes=merged)
        return state

    def _check_redundancy(self, planned: Transition) -> None:
        """Once settled: where each resource would go if its node failed now; each
        change between "has a failover target" and "has none" is an event."""
        config = self.agent.state.effective_config
        with collector_paused():
            found = {r.resource: r for r in redundancy(config, self._state(), planned)}
        for resource, now in found.items():
            before = self.redundancy.get(resource)
            if now.redundant and before is not None and not before.redundant:
                self.agent.events.record("redundancy", f"redundant again: {now.reason}",
                                         resource=resource, takeover=list(now.takeover))
            elif not now.redundant and (before is None or before.redundant):
                self.agent.events.record("redundancy", now.reason, level="warning",
                                         resource=resource, node=now.node)
        self.redundancy = found

    def consequences(self) -> list[str]:
        """What the cluster will do now, in words ("Move web (n1 -> n2)")."""
        transition = self.compute()
        return [describe_change(c) for c in transition.changes] or ["nothing to do"]

    async def reprobe(self, resource: str, node: str | None) -> None:
        """After a cleanup: ask each node again whether the resource runs there."""
        agent = self.agent
        nodes = [node] if node else list(agent.membership.view.members)
        config = agent.state.config
        found = config.find(resource)
        primitives = [p.id for p in iter_primitives(found)] if found is not None else []
        for target in nodes:
            for primitive in primitives:
                request = peer_pb2.ActionRequest(action="probe", resource=primitive)
                try:
                    result = await self._run_on(target, request, DEFAULT_TIMEOUT)
                except PeerError as exc:
                    log.warning("re-probe failed", resource=primitive, node=target,
                                error=str(exc))
                    continue
                self.resources.update(result)
        self.request()

    async def run_once(self) -> bool:
        """Compute and run one transition; False when an action failed (an aborted
        transition is not a failed one)."""
        transition = self.compute()
        if not transition.actions:
            self._check_redundancy(transition)
            await self._clear_finished_moves()
            if not self.requested.is_set():
                self.idle.set()
            return True
        self.number += 1
        number = self.number
        summary = [f"{describe_change(c)}: {c.reason}" for c in transition.changes]
        self.agent.events.record("transition", f"transition {number}: "
                                 f"{len(transition.actions)} action(s)",
                                 transition=number, changes=summary,
                                 notes=list(transition.notes))
        self.running = transition
        try:
            ok, aborted = await self._execute(number, transition)
        finally:
            self.running = None
        outcome = "failed" if not ok else "aborted by a newer event" if aborted \
            else "complete"
        self.last_outcome = f"transition {number} {outcome}"
        self.last_failed = not ok
        self.agent.events.record("transition", self.last_outcome, transition=number,
                                 level="info" if ok else "warning")
        self.requested.set()  # run again: confirm nothing is left to do
        return ok

    async def _clear_finished_moves(self) -> None:
        """Moves made to be removed once done (hactl move without --keep)."""
        agent = self.agent
        config = agent.state.config
        running = {(i.resource, i.node) for i in self.resources.all() if not i.failed}
        done = []
        for item in agent.state.document.runtime_locations:
            location = item.location
            if not item.until_moved or location.node is None:
                continue
            resource = config.find(location.resource)
            if resource is None:
                continue
            primitives = [p.id for p in iter_primitives(resource)]
            if primitives and all((p, location.node) in running for p in primitives):
                done.append(item)
        for item in done:
            location = item.location

            def remove(doc: doc_ops.Document, location: Location = location) -> doc_ops.Document:
                kept = [i for i in doc.runtime_locations if i.location.id != location.id]
                return doc_ops.replace_runtime_locations(doc, kept, agent.node)

            try:
                await agent.change(remove, f"{location.resource} runs on {location.node}: "
                                   f"its move constraint {location.id} is removed")
            except ChangeRefusedError as exc:
                log.warning("move constraint kept", reason=str(exc))

    async def _execute(self, number: int, transition: Transition) -> tuple[bool, bool]:
        """Run the graph; (no action failed, some actions were left out)."""
        pending = {a.id: a for a in transition.actions}
        done: set[int] = set()
        running: dict[asyncio.Task[bool], Action] = {}
        ok = True
        while pending or running:
            if ok and not self.requested.is_set() and self.agent.membership.is_coordinator:
                for action in [a for a in pending.values() if set(a.after) <= done]:
                    del pending[action.id]
                    task = asyncio.ensure_future(self._run(number, action))
                    running[task] = action
            if not running:
                break
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                action = running.pop(task)
                if task.result():
                    done.add(action.id)
                else:
                    ok = False
        return ok, bool(pending)

    async def _run(self, number: int, action: Action) -> bool:
        agent = self.agent
        if action.kind is ActionKind.FENCE:
            ok, _ = await agent.fencing.fence(action.node, reason=action.reason,
                                              requested_by=agent.node)
            return ok
        primitive = agent.state.config.find(action.resource or "")
        op = find_operation(primitive, action.kind.value) \
            if isinstance(primitive, Primitive) else None
        timeout = op.timeout if op is not None else DEFAULT_TIMEOUT
        request = peer_pb2.ActionRequest(
            transition=number, action_id=action.id, action=action.kind.value,
            resource=action.resource or "", timeout_ms=round(timeout * 1000), copy=action.copy,
            config=version_message(agent.state.version))
        log.info("action", transition=number, action=action.kind.value,
                 resource=action.resource, node=action.node, reason=action.reason)
        try:
            result = await self._run_on(action.node, request, timeout)
        except PeerError as exc:
            agent.events.record("action", f"{action.kind.value} {action.resource} on "
                                f"{action.node}: {exc}", level="warning")
            return False
        if result.status == "refused":
            agent.events.record("action", f"{action.node} refused {action.kind.value} "
                                f"{action.resource}: {result.exit_reason}", level="warning")
            return False
        if not agent.membership.is_coordinator:
            # another node took over while the action ran: it planned on what ran before
            agent.report(result)
        self.result_arrived(result, from_transition=True)
        return bool(result.status == "ok")

    async def _run_on(self, node: str, request: peer_pb2.ActionRequest,
                      timeout: float) -> peer_pb2.ActionResult:
        """Run an action on ``node`` (this one, or a peer over the channel) with the same
        deadline either way: a hung action must not hold the cluster. Raises PeerError
        either way too."""
        agent = self.agent
        deadline = timeout + RPC_MARGIN
        if node == agent.node:
            try:
                async with asyncio.timeout(deadline):
                    return await agent.resources.run_action(request)
            except TimeoutError:
                raise PeerError(node, "RunAction", TimeoutError(
                    f"no result within {deadline:g}s; abandoned")) from None
        result: peer_pb2.ActionResult = await agent.peers.call(node, "RunAction", request,
                                                               deadline)
        return result

    def result_arrived(self, result: peer_pb2.ActionResult, *,
                       from_transition: bool = False) -> None:
        """An action's result, or a monitor's report of a change: remember, count, react."""
        agent = self.agent
        self.resources.update(result)
        ok = result.status == "ok"
        key = (result.resource, result.node, result.action)
        if ok and result.action in ("start", "stop", "promote", "demote"):
            self.failed_actions.pop(key, None)
        elif not ok:
            self.failed_actions[key] = {
                "resource": result.resource, "node": result.node, "action": result.action,
                "interval_ms": result.interval_ms, "rc": result.rc, "status": result.status,
                "reason": result.exit_reason or result.status, "time": time.time()}
        what = f"{result.action} {result.instance or result.resource} on {result.node}"
        if result.action == "monitor" and result.interval_ms:
            what = f"monitor {result.instance or result.resource} on {result.node}"
        agent.events.record(
            "action", f"{what}: {'ok' if ok else result.exit_reason or result.status}",
            level="info" if ok else "warning", resource=result.resource, node=result.node,
            action=result.action, rc=result.rc, status=result.status,
            transition=result.transition or None)
        if not ok:
            agent.spawn(self._count_failure(result))
            if result.action == "stop":
                agent.fencing.stop_failed(result.node)
        if not from_transition:
            self.request()

    async def _count_failure(self, result: peer_pb2.ActionResult) -> None:
        agent = self.agent
        if not agent.membership.view.quorate:
            return
        try:
            severity = Severity(result.severity) if result.severity else Severity.SOFT
        except ValueError:
            severity = Severity.SOFT
        increment = fail_increment(result.action, severity)
        now = time.time()

        def count(doc: doc_ops.Document) -> doc_ops.Document:
            failures = {(f.resource, f.node): f for f in doc.failures}
            old = failures.get((result.resource, result.node))
            total = min(INFINITY, (old.count if old else 0) + increment)
            failures[(result.resource, result.node)] = FailCount(
                result.resource, result.node, total, now)
            return doc_ops.set_failures(doc, failures.values(), agent.node)

        try:
            await agent.change(count, f"fail count of {result.resource} on {result.node}")
        except ChangeRefusedError as exc:
            log.warning("fail count not recorded", reason=str(exc))
        self.request()

    def node_fenced(self, node: str) -> None:
        """It is down: nothing runs there any more."""
        self.resources.forget(node)
        self.request()

    def node_gone(self, node: str, *, clean: bool) -> None:
        """A node left (clean: its resources were stopped) or was lost (kept: unclean)."""
        if clean:
            self.resources.forget(node)
        self.request()



def iter_primitives(resource: Resource) -> Iterable[Primitive]:
    if isinstance(resource, Primitive):
        yield resource
    elif isinstance(resource, Group):
        yield from resource.members
    elif isinstance(resource, Clone):
        yield from iter_primitives(resource.child)


def describe_change(change: Change) -> str:
    """One change in the words of crm_simulate's summary: "Move web (n1 -> n2)"."""
    what = change.resource or ""
    if change.kind is ChangeKind.FENCE:
        return f"Fence {change.to_node or change.from_node}"
    if change.from_node and change.to_node and change.from_node != change.to_node:
        return f"{change.kind.value} {what} ({change.from_node} -> {change.to_node})"
    return f"{change.kind.value} {what} ({change.to_node or change.from_node})"
