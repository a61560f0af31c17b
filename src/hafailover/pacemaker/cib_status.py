"""The status section of a CIB, read the way Pacemaker's scheduler reads it
(``lib/pengine/unpack.c``): node membership from ``node_state`` (in_ccm, crmd, join,
expected), node attributes from ``transient_attributes``, and each resource's current
role on each node from its operation history, replayed in call-id order.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from hafailover.config.model import Clone, ClusterConfig, Group, Primitive, Role, frozen_map
from hafailover.config.scores import INFINITY, parse_score
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance
from hafailover.pacemaker.cib_values import parse_bool, primitive_id_of
from hafailover.report_codes import Code
from hafailover.reports import Severity

_NODE_STATE_ATTRS_SKIPPED = frozenset({"shutdown", "terminate", "probe_complete",
                                       "#feature-set", "last-failure", "fail-count"})
_FAIL_COUNT = re.compile(r"^fail-count-(.+?)(?:#(.+))?$")
_LAST_FAILURE = re.compile(r"^last-failure-(.+?)(?:#(.+))?$")

PCMK_OK = 0
PCMK_NOT_RUNNING = 7
PCMK_RUNNING_PROMOTED = 8
PCMK_FAILED_PROMOTED = 9


class CibReader(Protocol):
    """What the status reader uses of the configuration's reader: its reports, its
    attribute sets, and which primitives are fence devices."""

    @property
    def fence_ids(self) -> set[str]: ...

    def report(self, code: Code, message: str, element: ET.Element | None = None, *,
               severity: Severity = Severity.WARNING, found: str | None = None,
               allowed: str | None = None, hint: str | None = None) -> None: ...

    def unsupported(self, code: Code, what: str, element: ET.Element,
                    hint: str | None = None, severity: Severity = Severity.WARNING) -> None: ...

    def nvpairs(self, parent: ET.Element, set_tag: str
                ) -> tuple[dict[str, str], dict[str, ET.Element]]: ...


@dataclass
class _History:
    role: Role = Role.STOPPED
    failed: bool = False
    failed_task: str | None = None


def _target_rc(op: ET.Element) -> int | None:
    key = op.get("transition-key")
    if key:
        parts = key.split(":")
        if len(parts) >= 3 and parts[2].lstrip("-").isdigit():
            return int(parts[2])
    return None


def _replay(ops: list[ET.Element], expired_before: float | None = None) -> _History:
    """Replay one resource's operations on one node, oldest first (lib/pengine/unpack.c).

    A failure that ended before ``expired_before`` (now minus failure-timeout) has
    expired: Pacemaker ignores the operation, as if it had not happened.
    """
    history = _History()
    for op in ops:
        task = op.get("operation", "")
        try:
            rc = int(op.get("rc-code", "0"))
            status = int(op.get("op-status", "0"))
            interval = int(op.get("interval", "0"))
        except ValueError:
            continue
        if status in (-1, 1):  # pending or cancelled: nothing happened yet
            continue
        probe = task == "monitor" and interval == 0
        expected = _target_rc(op)
        if expected is None:
            expected = PCMK_NOT_RUNNING if task == "stop" and rc == PCMK_NOT_RUNNING else (
                rc if probe or rc in (PCMK_OK, PCMK_RUNNING_PROMOTED) else PCMK_OK)
        if probe and rc in (PCMK_OK, PCMK_NOT_RUNNING, PCMK_RUNNING_PROMOTED):
            expected = rc  # a probe only discovers
        succeeded = rc == expected and status == 0
        if not succeeded and expired_before is not None:
            try:
                changed = float(op.get("last-rc-change") or op.get("last-run") or "0")
            except ValueError:
                changed = 0.0
            if changed < expired_before:
                continue
        if succeeded:
            history.failed, history.failed_task = False, None
            if rc == PCMK_NOT_RUNNING or task == "stop":
                history.role = Role.STOPPED
            elif rc == PCMK_RUNNING_PROMOTED or task == "promote":
                history.role = Role.PROMOTED
            elif task == "demote":
                history.role = Role.UNPROMOTED
            elif task == "start" or (task == "monitor" and history.role is Role.STOPPED):
                history.role = Role.STARTED
            continue
        # a failure: the resource is left in an unknown, active state
        history.failed, history.failed_task = True, task
        if rc in (PCMK_RUNNING_PROMOTED, PCMK_FAILED_PROMOTED) or task in ("promote", "demote"):
            history.role = Role.PROMOTED
        elif history.role is Role.STOPPED or task == "start":
            history.role = Role.STARTED
    return history


def _call_id(op: ET.Element) -> int:
    try:
        return int(op.get("call-id", "0"))
    except ValueError:
        return 0


class StatusReader:
    def __init__(self, reader: CibReader, config: ClusterConfig, node_ids: Mapping[str, str],
                 config_standby: set[str], config_maintenance: set[str]) -> None:
        self.reader = reader
        self.config = config
        self.node_ids = node_ids
        self.config_standby = config_standby
        self.config_maintenance = config_maintenance
        self.primitives = {p.id: p for p in config.primitives()}
        self.now = 0.0
        self.promotable_children: set[str] = set()
        for resource in config.iter_resources():
            if isinstance(resource, Clone) and resource.promotable:
                child = resource.child
                members = child.members if isinstance(child, Group) else (child,)
                self.promotable_children.update(m.id for m in members)

    def read(self, root: ET.Element) -> ClusterState:
        status = root.find("status")
        have_quorum = root.get("have-quorum")
        quorate = bool(parse_bool(have_quorum))
        if have_quorum is None:
            self.reader.report(Code.PCMK_NO_QUORUM_ATTRIBUTE, "the cib has no have-quorum; "
                               "Pacemaker reads that as no quorum", root)
        now = 0.0
        date = root.get("execution-date")
        if date is not None:
            try:
                now = float(date)
            except ValueError:
                self.reader.report(Code.PCMK_INVALID_EXECUTION_DATE, "execution-date is not "
                                   "seconds since the epoch", root, found=date)
        self.now = now
        seen: dict[str, ET.Element] = {}
        if status is not None:
            for node_state in status.findall("node_state"):
                name = node_state.get("uname") or self.node_ids.get(node_state.get("id", ""))
                if name is None or self.config.node(name) is None:
                    self.reader.report(Code.PCMK_UNKNOWN_NODE, "node_state for a node that is "
                                       "not configured; ignored", node_state,
                                       found=node_state.get("uname"))
                    continue
                seen[name] = node_state
        nodes: list[NodeState] = []
        instances: list[ResourceInstance] = []
        failures: list[FailCount] = []
        for node in self.config.nodes:
            entry = seen.get(node.name)
            state, transient = self.node_state(node.name, entry)
            nodes.append(state)
            failures.extend(self.fail_counts(node.name, transient, entry))
            if entry is not None and (state.online or state.unclean):
                active, effects = self.history(node.name, entry)
                instances.extend(active)
                if effects:
                    nodes[-1] = replace(state, unclean=state.unclean or "unclean" in effects,
                                        standby=state.standby or "standby" in effects)
            elif entry is not None and self.config.properties.stonith_enabled:
                # unpack_node_history: with fencing, a resource still recorded as active
                # on an offline node makes the node unclean ("thought to be active there")
                active, _ = self.history(node.name, entry)
                if active:
                    self.reader.report(
                        Code.PCMK_OFFLINE_NODE_ACTIVE, f"node {node.name} is offline but "
                        f"{active[0].resource} is recorded as active there: read as unclean, "
                        "as Pacemaker does (it fences the node)", entry, severity=Severity.INFO)
                    nodes[-1] = replace(state, unclean=True)
                    instances.extend(active)
        return ClusterState(nodes=tuple(nodes), resources=tuple(instances),
                            failures=tuple(failures), quorate=quorate, now=now)

    def node_state(self, name: str, element: ET.Element | None
                   ) -> tuple[NodeState, dict[str, str]]:
        transient: dict[str, str] = {}
        where: dict[str, ET.Element] = {}
        if element is not None:
            block = element.find("transient_attributes")
            if block is not None:
                transient, where = self.reader.nvpairs(block, "instance_attributes")
        standby = name in self.config_standby
        maintenance = name in self.config_maintenance
        if "standby" in transient:
            standby = bool(parse_bool(transient["standby"]))
        if "maintenance" in transient:
            maintenance = bool(parse_bool(transient["maintenance"]))
        attributes = {k: v for k, v in transient.items()
                      if k not in ("standby", "maintenance") and not k.startswith("#")
                      and k not in _NODE_STATE_ATTRS_SKIPPED
                      and not _FAIL_COUNT.match(k) and not _LAST_FAILURE.match(k)}
        shutdown = transient.get("shutdown")
        if shutdown not in (None, "", "0") and parse_bool(shutdown) is not False:
            self.reader.unsupported(Code.PCMK_UNSUPPORTED_NODE_SHUTDOWN,
                                    "a node shutting down", where["shutdown"])
        terminate = transient.get("terminate") or ""
        # unpack.c: true, or a time() value, requests that the node be fenced
        terminating = bool(parse_bool(terminate)) or (
            terminate[:1].isdigit() and not terminate.startswith("0"))
        online, unclean = self.membership(name, element, terminating)
        if online and element is not None and not standby:
            join = (element.get("join") or "").lower()
            expected = (element.get("expected") or "down").lower()
            if join in ("pending", "down") or expected == "down":
                self.reader.report(Code.PCMK_NODE_PENDING, f"node {name} is online but not ready "
                                   "to run resources; read as standby", element,
                                   severity=Severity.INFO)
                standby = True
        return NodeState(name=name, online=online, unclean=unclean, standby=standby,
                         maintenance=maintenance, attributes=frozen_map(attributes)), transient

    def membership(self, name: str, element: ET.Element | None,
                   terminating: bool = False) -> tuple[bool, bool]:
        """(online, unclean) as Pacemaker's determine_online_status decides them."""
        fencing = self.config.properties.stonith_enabled
        if element is None:
            # all nodes are unclean until their status is seen (startup-fencing)
            if fencing:
                self.reader.report(Code.PCMK_NODE_NEVER_SEEN, f"node {name} has no node_state: "
                                   "Pacemaker fences it (startup-fencing)", None,
                                   severity=Severity.INFO)
            return False, fencing
        in_ccm = element.get("in_ccm")
        crmd_online = (element.get("crmd") or "").lower() == "online"
        join = (element.get("join") or "").lower()
        expected = (element.get("expected") or "down").lower()
        member = bool(parse_bool(in_ccm))
        if not fencing:
            if not member:
                return False, False
            if crmd_online:
                return join == "member", False
            return False, expected == "member"
        if in_ccm is None:
            return False, True
        if join == "banned":
            return member, True
        if expected == "down" and not terminating:
            return member or crmd_online, False
        if terminating and join == "down" and not member and not crmd_online:
            return False, False  # just fenced
        if not member or not crmd_online or terminating:
            return member, True
        if join in ("member", "pending", "down"):
            return True, False
        return True, True

    def fail_counts(self, node: str, transient: Mapping[str, str],
                    element: ET.Element | None) -> list[FailCount]:
        counts: dict[str, int] = {}
        last: dict[str, float] = {}
        for name, value in transient.items():
            match = _FAIL_COUNT.match(name)
            if match:
                rid = primitive_id_of(match.group(1))
                try:
                    count = parse_score(value)
                except ValueError:
                    self.reader.report(Code.PCMK_INVALID_FAIL_COUNT, f"{name} is not a count",
                                       element, found=value)
                    continue
                counts[rid] = min(INFINITY, counts.get(rid, 0) + max(count, 0))
                continue
            match = _LAST_FAILURE.match(name)
            if match:
                rid = primitive_id_of(match.group(1))
                try:
                    last[rid] = max(last.get(rid, 0.0), float(value))
                except ValueError:
                    self.reader.report(Code.PCMK_INVALID_FAIL_COUNT, f"{name} is not a time",
                                       element, found=value)
        result = []
        for rid, count in counts.items():
            if rid not in self.primitives:
                if rid not in self.reader.fence_ids:
                    self.reader.report(Code.PCMK_ORPHAN_FAIL_COUNT, f"fail count for unknown "
                                       f"resource {rid} on {node}; ignored", element)
                continue
            if count > 0:
                result.append(FailCount(resource=rid, node=node, count=count,
                                        last_failure=last.get(rid, 0.0)))
        return result

    def history(self, node: str, element: ET.Element
                ) -> tuple[list[ResourceInstance], set[str]]:
        """Active instances on ``node`` and what their failures do to the node.

        The second item holds "unclean" when a failure's on-fail is fence (a failed stop
        with fencing enabled, by default) and "standby" for on-fail=standby, as
        Pacemaker's unpack_rsc_op_failure applies them.
        """
        instances: list[ResourceInstance] = []
        effects: set[str] = set()
        lrm_resources = element.find("lrm/lrm_resources")
        if lrm_resources is None:
            return instances, effects
        for lrm_resource in lrm_resources.findall("lrm_resource"):
            raw = lrm_resource.get("id", "")
            rid = primitive_id_of(raw)
            primitive = self.primitives.get(rid)
            if primitive is None:
                if rid not in self.reader.fence_ids:
                    self.reader.report(Code.PCMK_ORPHAN_RESOURCE, f"history of {raw} on {node}, "
                                       "which is not configured; ignored", lrm_resource)
                continue
            ops = sorted(lrm_resource.findall("lrm_rsc_op"), key=_call_id)
            for op in ops:
                if op.get("operation") in ("migrate_to", "migrate_from"):
                    self.reader.unsupported(Code.PCMK_UNSUPPORTED_MIGRATION,
                                            "live migration history", op)
            timeout = primitive.meta.failure_timeout
            if timeout is None:
                timeout = self.config.defaults.failure_timeout
            now = self.now
            history = _replay(ops, now - timeout if timeout > 0 and now > 0 else None)
            if history.role is Role.STOPPED:
                continue
            blocked = False
            if history.failed and history.failed_task is not None:
                action = self.on_fail(primitive, history.failed_task)
                if action == "ignore":
                    history.failed = False
                elif action == "block":
                    blocked = True
                elif action in ("fence", "standby"):
                    effects.add("unclean" if action == "fence" else "standby")
                    self.reader.report(
                        Code.PCMK_FAILURE_AFFECTS_NODE, f"{history.failed_task} of {rid} failed "
                        f"on {node} with on-fail={action}: node read as "
                        f"{'unclean' if action == 'fence' else 'standby'}, as Pacemaker does",
                        lrm_resource, severity=Severity.INFO)
            role = history.role
            if rid in self.promotable_children and role is Role.STARTED:
                role = Role.UNPROMOTED
            elif rid not in self.promotable_children and role is not Role.STARTED:
                role = Role.STARTED
            instances.append(ResourceInstance(resource=rid, node=node, role=role,
                                              failed=history.failed, blocked=blocked))
        return instances, effects

    def on_fail(self, primitive: Primitive, task: str) -> str:
        """The effective on-fail of a failed operation (Pacemaker's defaults included)."""
        fencing = self.config.properties.stonith_enabled
        configured = next((op.on_fail for op in primitive.operations
                           if op.name == task and op.on_fail), None)
        action = configured or ("fence" if task == "stop" and fencing else
                                "block" if task == "stop" else "restart")
        if action == "fence" and not fencing:
            return "block"
        return action
