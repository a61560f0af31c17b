"""The executor: runs resource agent actions on this node for the agent daemon.

``Executor.run`` runs one action and says what it meant; the lifecycle methods
(``start``, ``stop``, ``promote``, ``demote``, ``execute``) also keep the recurring
monitors, fail counts and the coordinator up to date; ``probe_all`` discovers what is
already running. All I/O goes through the ``ExecutorGateway``.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hafailover import settings
from hafailover.config.model import Operation, Primitive, ResourceDefaults, Role
from hafailover.core.state import FailCount
from hafailover.executor import failures
from hafailover.executor.environment import (
    AgentEnvironment,
    CloneInstance,
    NotifyData,
    build_env,
    instance_name,
    unpassable_params,
)
from hafailover.executor.failures import FailedOperation, FailTable
from hafailover.executor.monitors import MonitorSpec, RecurringMonitors, monitors_for
from hafailover.executor.ocf import ExecStatus, OcfExit, Outcome, Severity, classify
from hafailover.executor.ports import ExecutorGateway, ProcessOutcome
from hafailover.executor.resolve import Unresolved, resolve
from hafailover.executor.results import (
    Discovered,
    MonitorChange,
    OperationResult,
    ProbeResult,
)
from hafailover.log import get_logger

log = get_logger(__name__)

DEFAULT_TIMEOUT = 20.0  # Pacemaker's default operation timeout


def netns_prefix(namespace: str) -> tuple[str, ...]:
    """An argv prefix that runs agents inside network namespace ``namespace``."""
    return (settings.IP_BINARY, "netns", "exec", namespace)


@dataclass(frozen=True)
class ExecutorOptions:
    node: str  # this node's name (OCF_RESKEY_CRM_meta_on_node, fail counts)
    ocf_root: str = settings.OCF_ROOT
    functions_dir: str = settings.OCF_FUNCTIONS_DIR
    agent_path: str = settings.AGENT_PATH
    resource_tmp: str = settings.RESOURCE_TMP
    sbin_dir: str = ""  # see AgentEnvironment
    attribute_dir: str = ""
    argv_prefix: tuple[str, ...] = ()  # e.g. netns_prefix("n1")
    fencing_enabled: bool = True
    start_failure_is_fatal: bool = True
    defaults: ResourceDefaults = field(default_factory=ResourceDefaults)
    probe_concurrency: int = 8
    default_timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class ProbeTarget:
    """A resource instance to probe, and the role it is believed to have (None: unknown)."""

    primitive: Primitive
    clone: CloneInstance | None = None
    expected: Role | None = None


def find_operation(primitive: Primitive, action: str, interval: float = 0.0,
                   role: Role | None = None) -> Operation | None:
    """The configured operation for (action, interval, role).

    A probe (monitor, interval 0) without its own configuration uses the monitor with the
    shortest interval, as Pacemaker does for its timeout.
    """
    candidates = [op for op in primitive.operations
                  if op.name == action and op.interval == interval]
    found = next((op for op in candidates if op.role == role), None) or \
        next(iter(candidates), None)
    if found is None and action == "monitor" and interval == 0:
        monitors = [op for op in primitive.operations if op.name == "monitor"]
        found = min(monitors, key=lambda op: op.interval, default=None)
    return found


def _role_after(action: str, clone: CloneInstance | None) -> Role | None:
    """The role an instance has after ``action`` succeeded; None if it does not change."""
    active = Role.UNPROMOTED if clone is not None and clone.promotable else Role.STARTED
    return {"start": active, "stop": Role.STOPPED, "promote": Role.PROMOTED,
            "demote": Role.UNPROMOTED, "migrate_from": active,
            "migrate_to": Role.STOPPED}.get(action)


class Executor:
    def __init__(self, options: ExecutorOptions, gateway: ExecutorGateway) -> None:
        self.options = options
        self.gateway = gateway
        self._host = AgentEnvironment(options.ocf_root, options.functions_dir,
                                      options.agent_path, options.resource_tmp,
                                      options.sbin_dir, options.attribute_dir)
        self._failures = FailTable()
        self._roles: dict[str, Role] = {}  # instance -> role after our last operation
        self._locks: dict[str, asyncio.Lock] = {}
        self.monitors = RecurringMonitors(gateway.clock, self._run_monitor,
                                          self._monitor_changed)

    # --- running one action -----------------------------------------------------------

    def command(self, primitive: Primitive, action: str, *,
                clone: CloneInstance | None = None) -> tuple[list[str], dict[str, str], float]:
        """The argv, environment and timeout of one action, without running it (the
        watchdog keeps the stop commands to run when the agent cannot)."""
        op = find_operation(primitive, action)
        timeout = op.timeout if op is not None else self.options.default_timeout
        resolved = resolve(primitive.agent, ocf_root=self.options.ocf_root)
        if isinstance(resolved, Unresolved):
            raise ValueError(f"{primitive.id}: {resolved.reason}")
        env = build_env(primitive, action, node=self.options.node, interval=0.0,
                        timeout=timeout, host=self._host, clone=clone)
        return [*self.options.argv_prefix, *resolved.argv, action], env, timeout

    async def run(self, primitive: Primitive, action: str, *, interval: float = 0.0,
                  timeout: float | None = None, clone: CloneInstance | None = None,
                  role: Role | None = None, expected: Role | None = None,
                  notify: NotifyData | None = None) -> OperationResult:
        """Run one action and interpret its result. Reports nothing, records nothing."""
        op = find_operation(primitive, action, interval, role)
        if timeout is None:
            timeout = op.timeout if op is not None else self.options.default_timeout
        resolved = resolve(primitive.agent, ocf_root=self.options.ocf_root)
        if isinstance(resolved, Unresolved):
            return self._not_run(primitive, clone, action, interval, resolved.rc,
                                 Outcome(resolved.status, Severity.HARD, detail=resolved.reason))
        bad = unpassable_params(primitive)
        if bad:
            detail = f"parameters that cannot be passed to an agent: {', '.join(map(repr, bad))}"
            return self._not_run(primitive, clone, action, interval, int(OcfExit.ERR_CONFIGURED),
                                 Outcome(ExecStatus.ERROR, Severity.FATAL, detail=detail))
        env = build_env(primitive, action, node=self.options.node, interval=interval,
                        timeout=timeout, host=self._host, clone=clone, role=role, notify=notify)
        argv = (*self.options.argv_prefix, *resolved.argv, action)
        process = await self.gateway.runner.run(argv, env, timeout)
        promotable = clone is not None and clone.promotable
        if process.spawn_error is not None:
            outcome = Outcome(ExecStatus.NOT_INSTALLED, Severity.HARD, detail=process.spawn_error)
        elif process.timed_out:
            outcome = Outcome(ExecStatus.TIMEOUT, Severity.SOFT,
                              detail=f"timed out after {process.duration:.1f}s "
                                     f"(timeout {timeout:g}s); its process group was killed")
        elif process.signal is not None:
            name = signal.Signals(process.signal).name if process.signal in \
                signal.valid_signals() else str(process.signal)
            outcome = Outcome(ExecStatus.ERROR, Severity.SOFT, detail=f"killed by {name}")
        else:
            assert process.rc is not None
            outcome = classify(action, process.rc, interval=interval, expected=expected,
                               promotable=promotable)
        return self._result(primitive, clone, action, interval, rc=process.rc,
                            outcome=outcome, process=process)

    def _not_run(self, primitive: Primitive, clone: CloneInstance | None, action: str,
                 interval: float, rc: int, outcome: Outcome) -> OperationResult:
        """The result of an operation refused before anything was spawned."""
        now, wall = self.gateway.clock.monotonic(), self.gateway.clock.time()
        return self._result(primitive, clone, action, interval, rc=rc, outcome=outcome,
                            process=ProcessOutcome(rc=None, started=now, finished=now,
                                                   started_wall=wall, finished_wall=wall))

    def _result(self, primitive: Primitive, clone: CloneInstance | None, action: str,
                interval: float, *, rc: int | None, outcome: Outcome,
                process: ProcessOutcome) -> OperationResult:
        instance = instance_name(primitive.id, clone)
        what = f"{action} (every {interval:g}s)" if interval > 0 else action
        if outcome.ok:
            reason = f"{what} of {instance} on {self.options.node}: {outcome.detail}"
        else:
            reason = f"{what} of {instance} on {self.options.node} failed: {outcome.detail}"
        if process.exit_reason:
            reason += f" (agent: {process.exit_reason})"
        return OperationResult(
            resource=primitive.id, instance=instance, agent=str(primitive.agent), action=action,
            interval=interval, node=self.options.node, rc=rc, status=outcome.status,
            severity=outcome.severity, reason=reason, detail=outcome.detail,
            started=process.started, finished=process.finished, started_wall=process.started_wall,
            finished_wall=process.finished_wall, exit_reason=process.exit_reason,
            observed=outcome.observed, unexpected=outcome.unexpected, warning=outcome.warning,
            stdout=process.stdout, stderr=process.stderr)

    # --- lifecycle ----------------------------------------------------------------------

    async def execute(self, primitive: Primitive, action: str, *,
                      clone: CloneInstance | None = None,
                      notify: NotifyData | None = None) -> OperationResult:
        """Run a one-shot action the coordinator asked for, with everything that follows.

        Monitors of the instance are cancelled before stop/demote/promote/migrate and
        started for the new role after a success; the result goes to the coordinator;
        a failure updates the fail count and sends a ``FailureDecision``.
        """
        instance = instance_name(primitive.id, clone)
        lock = self._locks.setdefault(instance, asyncio.Lock())
        async with lock:
            changes_role = _role_after(action, clone) is not None
            previous = self._roles.get(instance)
            if changes_role:
                await self.monitors.cancel(instance)
            result = await self.run(primitive, action, clone=clone, notify=notify)
            self.gateway.coordinator.operation_completed(result)
            self._log(result)
            new_role = _role_after(action, clone)
            if result.ok and new_role is not None:
                self._set_role(primitive, clone, new_role)
            elif not result.ok:
                decision = self._record_failure(primitive, result)
                if decision.kind is failures.DecisionKind.IGNORE and changes_role \
                        and previous is not None:
                    self._set_role(primitive, clone, previous)
            return result

    async def start(self, primitive: Primitive, clone: CloneInstance | None = None,
                    ) -> OperationResult:
        return await self.execute(primitive, "start", clone=clone)

    async def stop(self, primitive: Primitive, clone: CloneInstance | None = None,
                   ) -> OperationResult:
        return await self.execute(primitive, "stop", clone=clone)

    async def promote(self, primitive: Primitive, clone: CloneInstance | None = None,
                      ) -> OperationResult:
        return await self.execute(primitive, "promote", clone=clone)

    async def demote(self, primitive: Primitive, clone: CloneInstance | None = None,
                     ) -> OperationResult:
        return await self.execute(primitive, "demote", clone=clone)

    def adopt(self, primitive: Primitive, role: Role,
              clone: CloneInstance | None = None) -> None:
        """Take over an instance found running (by a probe): monitor it, do not restart it."""
        self._set_role(primitive, clone, role)

    async def forget(self, primitive: Primitive, clone: CloneInstance | None = None) -> None:
        """A probe found it stopped: stop believing it runs (and stop monitoring it)."""
        instance = instance_name(primitive.id, clone)
        await self.monitors.cancel(instance)
        self._roles.pop(instance, None)

    def role_of(self, instance: str) -> Role | None:
        return self._roles.get(instance)

    def _set_role(self, primitive: Primitive, clone: CloneInstance | None, role: Role) -> None:
        instance = instance_name(primitive.id, clone)
        if role is Role.STOPPED:
            self._roles.pop(instance, None)
            return
        self._roles[instance] = role
        self.monitors.start(monitors_for(primitive, role, clone))

    # --- probes -------------------------------------------------------------------------

    async def probe(self, primitive: Primitive, clone: CloneInstance | None = None,
                    expected: Role | None = None) -> ProbeResult:
        """A one-shot monitor (interval 0): what state is this instance in right now?"""
        result = await self.run(primitive, "monitor", clone=clone, expected=expected)
        self.gateway.coordinator.operation_completed(result)
        self._log(result)
        if result.ok and result.observed is not None:
            discovered = Discovered(result.observed.value)
        else:
            discovered = Discovered.FAILED
            self._record_failure(primitive, result)
        return ProbeResult(primitive.id, result.instance, self.options.node, discovered, result)

    async def probe_all(self, targets: Iterable[Primitive | ProbeTarget],
                        ) -> dict[str, ProbeResult]:
        """Probe every target concurrently (at most ``probe_concurrency`` at a time).

        Returns instance name -> what was found. Nothing is started or stopped.
        """
        limit = asyncio.Semaphore(max(1, self.options.probe_concurrency))

        async def one(target: ProbeTarget) -> ProbeResult:
            async with limit:
                return await self.probe(target.primitive, target.clone, target.expected)

        items = [t if isinstance(t, ProbeTarget) else ProbeTarget(t) for t in targets]
        results = await asyncio.gather(*(one(t) for t in items))
        return {r.instance: r for r in results}

    # --- recurring monitors -------------------------------------------------------------

    async def _run_monitor(self, spec: MonitorSpec) -> OperationResult:
        return await self.run(spec.primitive, "monitor", interval=spec.operation.interval,
                              timeout=spec.operation.timeout, clone=spec.clone,
                              role=spec.operation.role, expected=spec.expected)

    def _monitor_changed(self, spec: MonitorSpec, result: OperationResult) -> None:
        self._log(result)
        self.gateway.coordinator.monitor_changed(MonitorChange(
            resource=spec.primitive.id, instance=spec.instance, node=self.options.node,
            interval=spec.operation.interval, expected=spec.expected, result=result,
            reason=result.reason))
        if not result.ok:
            self._record_failure(spec.primitive, result, spec.operation)

    async def set_maintenance(self, on: bool) -> None:
        """Maintenance mode pauses every recurring monitor; leaving it resumes them."""
        if on:
            await self.monitors.pause()
        else:
            self.monitors.resume()

    # --- failures -----------------------------------------------------------------------

    def _record_failure(self, primitive: Primitive, result: OperationResult,
                        op: Operation | None = None) -> failures.FailureDecision:
        severity = result.severity or Severity.SOFT
        now = self.gateway.clock.time()
        policy = failures.policy_for(primitive, self.options.defaults)
        increment = failures.fail_increment(
            result.action, severity, start_failure_is_fatal=self.options.start_failure_is_fatal)
        self._failures = self._failures.record(primitive.id, self.options.node, now=now,
                                               increment=increment)
        count = self._failures.count(primitive.id, self.options.node, now=now,
                                     failure_timeout=policy.failure_timeout)
        if op is None:
            op = find_operation(primitive, result.action, result.interval)
        on_fail = failures.effective_on_fail(
            result.action, op.on_fail if op is not None else None,
            fencing_enabled=self.options.fencing_enabled, operations=primitive.operations)
        decision = failures.decide(
            FailedOperation(resource=primitive.id, node=self.options.node, action=result.action,
                            interval=result.interval, severity=severity, detail=result.detail,
                            rc=result.rc),
            on_fail=on_fail, fail_count=count, migration_threshold=policy.migration_threshold)
        log.warning("operation failed", resource=primitive.id, decision=decision.kind.value,
                    reason=decision.reason)
        self.gateway.coordinator.failure_decided(decision)
        return decision

    def fail_counts(self) -> tuple[FailCount, ...]:
        """For ``ClusterState.failures``."""
        return self._failures.as_tuple()

    def fail_count(self, primitive: Primitive) -> int:
        """The current (unexpired) fail count of ``primitive`` on this node."""
        policy = failures.policy_for(primitive, self.options.defaults)
        return self._failures.count(primitive.id, self.options.node,
                                    now=self.gateway.clock.time(),
                                    failure_timeout=policy.failure_timeout)

    def clear_failures(self, resource: str, node: str | None = None) -> None:
        self._failures = self._failures.clear(resource, node)

    def expire_failures(self, primitives: Iterable[Primitive]) -> tuple[FailCount, ...]:
        """Forget failures older than their resource's failure-timeout; returns them."""
        timeouts: Mapping[str, float] = {
            p.id: failures.policy_for(p, self.options.defaults).failure_timeout
            for p in primitives}
        self._failures, expired = self._failures.expire(timeouts, now=self.gateway.clock.time())
        for entry in expired:
            log.info("failures expired", resource=entry.resource, node=entry.node,
                     count=entry.count)
        return expired

    async def close(self) -> None:
        await self.monitors.close()

    def _log(self, result: OperationResult) -> None:
        fields = {"resource": result.instance, "action": result.action,
                  "interval": result.interval, "rc": result.rc, "status": result.status.value,
                  "duration": round(result.duration, 3)}
        if result.ok:
            log.info(result.reason, **fields, warning=result.warning)
        else:
            log.warning(result.reason, **fields, exit_reason=result.exit_reason)
