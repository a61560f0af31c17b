"""This node's resources: the executor, run for the coordinator, reporting back to it.

At start every configured primitive is probed, so that a service left running (by an
agent that was restarted) is found and adopted, never started twice. Afterwards the
coordinator asks for actions over the peer channel (``RunAction``), and a recurring
monitor that sees a failure is reported to it (``ReportResult``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import structlog

from hafailover import settings
from hafailover.config.model import Clone, ClusterConfig, Primitive, Role, iter_tree
from hafailover.diagnostics import await_chain, describe_tasks
from hafailover.executor import attributes
from hafailover.executor.environment import CloneInstance
from hafailover.executor.executor import (
    DEFAULT_TIMEOUT,
    Executor,
    ExecutorOptions,
    ProbeTarget,
)
from hafailover.executor.failures import DecisionKind, FailureDecision
from hafailover.executor.inprocess import InProcessRunner
from hafailover.executor.ports import ExecutorGateway
from hafailover.executor.results import (
    Discovered,
    MonitorChange,
    OperationResult,
    ProbeResult,
)
from hafailover.executor.runner import system_gateway
from hafailover.fencing.watchdog_client import StopCommand
from hafailover.v1 import peer_pb2

Report = Callable[[peer_pb2.ActionResult], None]
# seconds past an action's timeout (enforced by the executor, which then kills the agent's
# process group within a few seconds) after which it is reported as hanging
OVERDUE_AFTER = 5.0
log = structlog.get_logger(__name__)


def clones_by_primitive(config: ClusterConfig) -> dict[str, Clone]:
    """Primitive id -> the clone it is a copy of (directly, or as a cloned group's member)."""
    found: dict[str, Clone] = {}
    for resource in config.iter_resources():
        if isinstance(resource, Clone):
            for inner in iter_tree(resource):
                if isinstance(inner, Primitive):
                    found[inner.id] = resource
    return found


def result_message(result: OperationResult, role: Role | None, blocked: bool = False,
                   promotion_score: str = "") -> peer_pb2.ActionResult:
    output = (result.stderr.text or result.stdout.text)[-2000:]
    return peer_pb2.ActionResult(
        node=result.node, resource=result.resource, instance=result.instance,
        action=result.action, rc=-1 if result.rc is None else result.rc,
        status=result.status.value, exit_reason=result.exit_reason or result.reason,
        output=output, duration=result.duration, interval_ms=round(result.interval * 1000),
        severity=result.severity.value if result.severity else "",
        role=(role or Role.STOPPED).value, block=blocked,
        promotion_score=promotion_score if role not in (None, Role.STOPPED) else "")


class LocalResources:
    """Implements the executor's Coordinator protocol by reporting to the coordinator."""

    def __init__(self, node: str, config: ClusterConfig, report: Report,
                 run_dir: Path | None = None) -> None:
        self.node = node
        self.config = config
        self.clones = clones_by_primitive(config)
        self.report = report
        self.failed: set[str] = set()  # instances whose last operation or monitor failed
        self.blocked: set[str] = set()
        self.probed = False
        self.orphans: dict[str, Primitive] = {}  # removed from the configuration, running
        self.on_change: Callable[[], None] = lambda: None  # what runs here changed
        # promotion scores set by the agents (hafailover.executor.attributes)
        run = run_dir or Path(settings.RUN_DIR)
        self.attribute_dir = run / "attributes"
        sbin_dir = run / "sbin"
        try:
            attributes.install(sbin_dir, self.attribute_dir)
        except OSError as exc:
            log.error("cannot install crm_attribute for the agents: promotable clones "
                      "will not be promoted", directory=str(sbin_dir), error=str(exc))
        system = system_gateway(self)
        self.executor = Executor(
            ExecutorOptions(node=node, fencing_enabled=config.properties.stonith_enabled,
                            defaults=config.defaults, sbin_dir=str(sbin_dir),
                            attribute_dir=str(self.attribute_dir)),
            ExecutorGateway(clock=system.clock, coordinator=self,
                            runner=InProcessRunner(system.runner, system.clock)))

    def builtin_modules(self) -> list[str]:
        """The modules of the built-in agents this configuration uses."""
        return sorted({f"{settings.BUILTIN_AGENT_PACKAGE}.{p.agent.type}"
                       for p in self.config.primitives() if p.agent.standard == "builtin"})

    def reconfigure(self, config: ClusterConfig) -> None:
        """A new configuration: a primitive removed from it while it runs here is kept
        (as an orphan) until it is stopped, so that it can be."""
        for primitive in self.config.primitives():
            if config.find(primitive.id) is None and any(
                    i.split(":")[0] == primitive.id for i in self.running()):
                self.orphans[primitive.id] = primitive
        self.config = config
        self.clones = clones_by_primitive(config)

    def primitive(self, rid: str) -> Primitive | None:
        resource = self.config.find(rid)
        if isinstance(resource, Primitive):
            return resource
        return self.orphans.get(rid)

    def clone_instance(self, rid: str, copy: int) -> CloneInstance | None:
        clone = self.clones.get(rid)
        if clone is None:
            return None
        return CloneInstance.of(clone, copy, node_count=len(self.config.nodes))

    # --- what runs here -------------------------------------------------------------------

    async def probe_everything(self) -> list[str]:
        """Probe every configured primitive; adopt what runs. Returns what was found."""
        targets = []
        for primitive in self.config.primitives():
            targets.append(ProbeTarget(primitive, self.clone_instance(primitive.id, 0)))
        results = await self.executor.probe_all(targets)
        found = []
        for target in targets:
            instance = target.primitive.id if target.clone is None \
                else f"{target.primitive.id}:{target.clone.number}"
            probe = results[instance]
            if probe.discovered is Discovered.FAILED:
                self.failed.add(instance)
                found.append(f"{instance} failed ({probe.reason})")
            elif probe.discovered.role not in (None, Role.STOPPED):
                role = probe.discovered.role
                assert role is not None
                self.executor.adopt(target.primitive, role, target.clone)
                found.append(f"{instance} {role.value}")
        self.probed = True
        self.on_change()
        return found

    def statuses(self) -> list[peer_pb2.ResourceStatus]:
        out = []
        for primitive in [*self.config.primitives(), *self.orphans.values()]:
            for copy in range(self._copies(primitive.id)):
                instance = self._instance(primitive.id, copy)
                role = self.executor.role_of(instance)
                failed = instance in self.failed
                if role is None and not failed:
                    continue
                out.append(peer_pb2.ResourceStatus(
                    resource=primitive.id, role=(role or Role.STARTED).value, failed=failed,
                    blocked=primitive.id in self.blocked,
                    promotion_score=self.promotion_score(primitive.id)))
        return out

    def promotion_score(self, rid: str) -> str:
        """The score the agent of ``rid`` set here, if it is a promotable clone's."""
        clone = self.clones.get(rid)
        if clone is None or not clone.promotable:
            return ""
        return attributes.promotion_score(self.attribute_dir, rid)

    def _copies(self, rid: str) -> int:
        if rid in self.orphans:
            return 1
        clone = self.clones.get(rid)
        return 1 if clone is None else max(1, clone.clone_node_max)

    def _instance(self, rid: str, copy: int) -> str:
        return rid if self.clones.get(rid) is None else f"{rid}:{copy}"

    async def stop_everything(self) -> None:
        """Stop whatever runs here (no quorum, or leaving with nobody to take over)."""
        for primitive in reversed(list(self.config.primitives())):
            for copy in range(self._copies(primitive.id)):
                instance = self._instance(primitive.id, copy)
                if self.executor.role_of(instance) is not None:
                    await self.executor.stop(primitive, self.clone_instance(primitive.id, copy))
        self.on_change()

    def stop_commands(self) -> list[StopCommand]:
        """How to stop what runs here, last started first: for the watchdog."""
        commands = []
        for primitive in reversed([*self.config.primitives(), *self.orphans.values()]):
            for copy in range(self._copies(primitive.id)):
                instance = self._instance(primitive.id, copy)
                if self.executor.role_of(instance) is None:
                    continue
                try:
                    argv, env, timeout = self.executor.command(
                        primitive, "stop", clone=self.clone_instance(primitive.id, copy))
                except ValueError:
                    continue  # an agent that cannot be found cannot be run by anyone
                commands.append(StopCommand(instance, tuple(argv), env, timeout))
        return commands

    def running(self) -> list[str]:
        return [i for p in self.config.primitives() for c in range(self._copies(p.id))
                if self.executor.role_of(i := self._instance(p.id, c)) is not None]

    # --- the coordinator's requests -------------------------------------------------------

    async def run_action(self, request: peer_pb2.ActionRequest) -> peer_pb2.ActionResult:
        """Run what the coordinator asked. One that runs well past its timeout (which the
        executor enforces) is a fault in the agent: it is logged with where it waits."""
        timeout = request.timeout_ms / 1000 if request.timeout_ms else DEFAULT_TIMEOUT
        task = asyncio.current_task()
        overdue = asyncio.get_running_loop().call_later(
            timeout + OVERDUE_AFTER, self._overdue, request, task, timeout)
        try:
            return await self._run_action(request)
        finally:
            overdue.cancel()

    def _overdue(self, request: peer_pb2.ActionRequest, task: asyncio.Task[object] | None,
                 timeout: float) -> None:
        log.error(f"{request.action} of {request.resource} on {self.node} has run "
                  f"{timeout + OVERDUE_AFTER:g}s, past its {timeout:g}s timeout: still waiting",
                  kind="diagnostics", resource=request.resource, action=request.action,
                  transition=request.transition,
                  waits_in=await_chain(task) if task is not None else [],
                  tasks=describe_tasks())

    async def _run_action(self, request: peer_pb2.ActionRequest) -> peer_pb2.ActionResult:
        primitive = self.primitive(request.resource)
        if primitive is None:
            return peer_pb2.ActionResult(
                transition=request.transition, action_id=request.action_id, node=self.node,
                resource=request.resource, action=request.action, rc=5, status="error",
                severity="fatal",
                exit_reason=f"resource '{request.resource}' is not in the configuration "
                            f"that {self.node} holds")
        clone = self.clone_instance(primitive.id, request.copy)
        instance = self._instance(primitive.id, request.copy)
        if request.action == "probe":
            return await self._probe_message(await self.executor.probe(primitive, clone),
                                             primitive, clone, instance)
        result = await self.executor.execute(primitive, request.action, clone=clone)
        if result.ok:
            self.failed.discard(instance)
            if request.action == "stop":
                self.blocked.discard(primitive.id)
                self.orphans.pop(primitive.id, None)
        else:
            self.failed.add(instance)
        self.on_change()
        message = result_message(result, self.executor.role_of(instance),
                                 primitive.id in self.blocked,
                                 self.promotion_score(primitive.id))
        message.transition = request.transition
        message.action_id = request.action_id
        return message

    async def _probe_message(self, probe: ProbeResult, primitive: Primitive,
                       clone: CloneInstance | None, instance: str) -> peer_pb2.ActionResult:
        """A probe asked for after a cleanup: adopt or forget what it found."""
        role = probe.discovered.role
        if probe.discovered is Discovered.FAILED:
            self.failed.add(instance)
        else:
            self.failed.discard(instance)
            self.blocked.discard(primitive.id)
            if role not in (None, Role.STOPPED):
                assert role is not None
                self.executor.adopt(primitive, role, clone)
            elif self.executor.role_of(instance) is not None:
                await self.executor.forget(primitive, clone)
        return result_message(probe.result, self.executor.role_of(instance),
                              promotion_score=self.promotion_score(primitive.id))

    # --- the executor's Coordinator protocol ----------------------------------------------

    def operation_completed(self, result: OperationResult) -> None:
        pass  # the result goes back in the RunAction reply

    def monitor_changed(self, change: MonitorChange) -> None:
        result = change.result
        if not result.ok:
            self.failed.add(change.instance)
        self.on_change()
        self.report(result_message(result, self.executor.role_of(change.instance),
                                   change.resource in self.blocked,
                                   self.promotion_score(change.resource)))

    def failure_decided(self, decision: FailureDecision) -> None:
        if decision.kind is DecisionKind.BLOCK:
            self.blocked.add(decision.resource)

    async def close(self) -> None:
        await self.executor.close()
        await asyncio.sleep(0)
