"""What-if events applied to a cluster state, for ``hactl simulate``. Pure.

Each event changes a ``ClusterState`` the way the real event would be seen by the
coordinator, with Pacemaker's ``crm_simulate`` semantics:

* node down: the node leaves the membership. With stonith enabled it left uncleanly
  and must be fenced before its resources are recovered (``--node-fail``); with stonith
  disabled it is taken as cleanly gone. Its resources stay in the state as last
  reported: the scheduler decides what that means.
* node up: the node joins, clean.
* fail RSC:NODE: the resource's last operation on the node failed and its fail count
  grows by one, as ``crm_simulate -i`` injects a failed operation; if the resource is
  not running there a failed instance is recorded anyway.
* standby NODE: the node may no longer run resources.

Events are checked first (``check_events``, every problem reported together), then
applied in a fixed order (``apply_events``): nodes up, nodes down, standby, failures.
Quorum is recomputed when membership changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from hafailover.config.model import Clone, ClusterConfig, Group, Primitive, Role
from hafailover.config.scores import INFINITY
from hafailover.core.quorum import has_quorum, online_votes
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance
from hafailover.report_codes import Code
from hafailover.reports import Report, Severity, did_you_mean


@dataclass(frozen=True)
class NodeUp:
    node: str


@dataclass(frozen=True)
class NodeDown:
    node: str


@dataclass(frozen=True)
class Standby:
    node: str


@dataclass(frozen=True)
class Fail:
    resource: str  # a primitive id, or a clone of a primitive (taken as that primitive)
    node: str


Event = NodeUp | NodeDown | Standby | Fail

_ORDER: tuple[type, ...] = (NodeUp, NodeDown, Standby, Fail)


@dataclass(frozen=True)
class WhatIf:
    """The state after the events, and one sentence per change made."""

    state: ClusterState
    log: tuple[str, ...]


# --- building a state ------------------------------------------------------------------


def initial_state(config: ClusterConfig, now: float) -> ClusterState:
    """Every configured node online and clean, nothing running, no failures."""
    names = config.node_names()
    return ClusterState(
        nodes=tuple(NodeState(name=name) for name in names),
        quorate=has_quorum(config, names),
        now=now,
    )


def reconcile_state(
    config: ClusterConfig, state: ClusterState,
) -> tuple[ClusterState, list[Report]]:
    """Fit a loaded state to the configuration, with a warning for each difference.

    Configured nodes missing from the state are added as offline; nodes the
    configuration does not know are dropped. Resources the configuration does not know
    are kept (the scheduler stops orphans) but reported.
    """
    reports: list[Report] = []
    known = set(config.node_names())
    in_state = {n.name for n in state.nodes}
    for node in state.nodes:
        if node.name not in known:
            reports.append(_warning(
                Code.STATE_UNKNOWN_NODE, f"node '{node.name}' is in the state but not in the "
                "configuration; ignored", hint=did_you_mean(node.name, known)))
    missing = [name for name in config.node_names() if name not in in_state]
    for name in missing:
        reports.append(_warning(
            Code.STATE_MISSING_NODE, f"node '{name}' is in the configuration but not in the "
            "state; taken as offline"))
    primitives = {p.id for p in config.primitives()}
    for orphan in sorted({r.resource for r in state.resources} - primitives):
        reports.append(_warning(
            Code.STATE_UNKNOWN_RESOURCE, f"resource '{orphan}' is in the state but not in the "
            "configuration (an orphan)", hint=did_you_mean(orphan, primitives)))
    nodes = tuple(n for n in state.nodes if n.name in known) + tuple(
        NodeState(name=name, online=False) for name in missing)
    return replace(state, nodes=nodes), reports


# --- checking events -------------------------------------------------------------------


def parse_fail(text: str) -> Fail | None:
    """``RSC:NODE`` -> Fail; None when either part is missing."""
    resource, sep, node = text.rpartition(":")
    if not sep or not resource or not node:
        return None
    return Fail(resource=resource, node=node)


def check_events(config: ClusterConfig, events: Sequence[Event]) -> list[Report]:
    """Every problem with the events: unknown names, failures of groups, contradictions."""
    reports: list[Report] = []
    nodes = config.node_names()
    for event in events:
        if event.node not in nodes:
            reports.append(_error(
                Code.UNKNOWN_NODE, f"{_option(event)}: no node '{event.node}' in the "
                "configuration", allowed=", ".join(nodes), hint=did_you_mean(event.node, nodes)))
        if isinstance(event, Fail):
            reports.extend(_check_fail_resource(config, event))
    up = {e.node for e in events if isinstance(e, NodeUp)}
    for node in sorted(up & {e.node for e in events if isinstance(e, NodeDown)}):
        reports.append(_error(
            Code.CONFLICTING_EVENTS, f"node '{node}' is asked to go both up and down"))
    return reports


def _check_fail_resource(config: ClusterConfig, event: Fail) -> list[Report]:
    resource = config.find(event.resource)
    if resource is None:
        candidates = [r.id for r in config.iter_resources()]
        return [_error(
            Code.UNKNOWN_RESOURCE, f"--fail: no resource '{event.resource}' in the configuration",
            hint=did_you_mean(event.resource, candidates))]
    if _failable(config, event.resource) is None:
        members = ", ".join(p.id for p in _primitives_of(resource))
        return [_error(
            Code.FAIL_NOT_PRIMITIVE, f"--fail: '{event.resource}' is a {_kind(resource)}; "
            "a failure happens to one primitive", allowed=members)]
    return []


def _failable(config: ClusterConfig, rid: str) -> str | None:
    """The primitive id a failure of ``rid`` applies to (a clone of a primitive: its child)."""
    resource = config.find(rid)
    if isinstance(resource, Primitive):
        return resource.id
    if isinstance(resource, Clone) and isinstance(resource.child, Primitive):
        return resource.child.id
    return None


def _primitives_of(resource: Primitive | Group | Clone) -> list[Primitive]:
    if isinstance(resource, Primitive):
        return [resource]
    if isinstance(resource, Group):
        return list(resource.members)
    return _primitives_of(resource.child)


def _kind(resource: Primitive | Group | Clone) -> str:
    if isinstance(resource, Group):
        return "group"
    if isinstance(resource, Clone):
        return "clone of a group"
    return "primitive"


def _option(event: Event) -> str:
    return {NodeUp: "--node-up", NodeDown: "--node-down", Standby: "--standby",
            Fail: "--fail"}[type(event)]


# --- applying events -------------------------------------------------------------------


def apply_events(config: ClusterConfig, state: ClusterState, events: Sequence[Event]) -> WhatIf:
    """Apply checked events in the order nodes up, nodes down, standby, failures."""
    log: list[str] = []
    ordered = sorted(events, key=lambda e: _ORDER.index(type(e)))
    for event in ordered:
        state, line = _apply(config, state, event)
        log.append(line)
    if any(isinstance(e, NodeUp | NodeDown) for e in events):
        state, line = _recompute_quorum(config, state)
        log.append(line)
    return WhatIf(state=state, log=tuple(log))


def _apply(config: ClusterConfig, state: ClusterState, event: Event) -> tuple[ClusterState, str]:
    if isinstance(event, NodeUp):
        return node_up(state, event.node), f"Bringing node {event.node} online"
    if isinstance(event, NodeDown):
        before = state.node(event.node)
        if before is not None and not before.online:
            return state, f"Node {event.node} is already offline: nothing to change"
        how = ("unclean: it must be fenced" if config.properties.stonith_enabled
               else "clean: stonith-enabled is false")
        return node_down(config, state, event.node), f"Taking node {event.node} offline ({how})"
    if isinstance(event, Standby):
        return standby(state, event.node), f"Putting node {event.node} in standby"
    primitive = _failable(config, event.resource) or event.resource
    new = fail(state, primitive, event.node)
    running = any(r.resource == primitive and r.node == event.node for r in state.resources)
    where = "" if running else " (it was not running there: recorded as failed)"
    return new, (f"Failing {primitive} on {event.node}, fail count now "
                 f"{_fail_count(new, primitive, event.node)}{where}")


def node_up(state: ClusterState, name: str) -> ClusterState:
    """The node joins the membership, clean."""
    return _with_node(state, name, online=True, unclean=False)


def node_down(config: ClusterConfig, state: ClusterState, name: str) -> ClusterState:
    """The node leaves; unclean (to be fenced) when stonith is enabled."""
    return _with_node(state, name, online=False,
                      unclean=config.properties.stonith_enabled)


def standby(state: ClusterState, name: str) -> ClusterState:
    return _with_node(state, name, standby=True)


def fail(state: ClusterState, resource: str, node: str) -> ClusterState:
    """Mark the instance failed (recording one if absent) and add one to its fail count."""
    instance = ResourceInstance(resource=resource, node=node, failed=True)
    if any(r.resource == resource and r.node == node for r in state.resources):
        resources = tuple(replace(r, failed=True) if (r.resource, r.node) == (resource, node)
                          else r for r in state.resources)
    else:
        resources = (*state.resources, instance)
    count = FailCount(resource=resource, node=node, last_failure=state.now,
                      count=min(INFINITY, _fail_count(state, resource, node) + 1))
    failures = tuple(f for f in state.failures if (f.resource, f.node) != (resource, node))
    return replace(state, resources=resources, failures=(*failures, count))


def _recompute_quorum(config: ClusterConfig, state: ClusterState) -> tuple[ClusterState, str]:
    online = [n.name for n in state.nodes if n.online]
    quorate = has_quorum(config, online)
    votes = f"{online_votes(config, online)} of {config.expected_votes} votes"
    if quorate == state.quorate:
        line = f"Quorum unchanged: {'quorate' if quorate else 'not quorate'} ({votes})"
    else:
        line = f"Quorum {'regained' if quorate else 'lost'} ({votes})"
    return replace(state, quorate=quorate), line


def _fail_count(state: ClusterState, resource: str, node: str) -> int:
    return next((f.count for f in state.failures
                 if f.resource == resource and f.node == node), 0)


def _with_node(state: ClusterState, name: str, **changes: bool) -> ClusterState:
    if state.node(name) is None:
        state = replace(state, nodes=(*state.nodes, NodeState(name=name, online=False)))
    return state.with_node(name, **changes)


def _error(code: Code, message: str, allowed: str | None = None,
           hint: str | None = None) -> Report:
    return Report(code=code, severity=Severity.ERROR, message=message, allowed=allowed,
                  hint=hint)


def _warning(code: Code, message: str, hint: str | None = None) -> Report:
    return Report(code=code, severity=Severity.WARNING, message=message, hint=hint)


# --- reading a state document ------------------------------------------------------------

_BOOL = (bool,)
_NUMBER = (int, float)
_TEXT = (str,)
_STATE_KEYS: dict[str, tuple[type, ...]] = {
    "quorate": _BOOL, "now": _NUMBER, "nodes": (list,), "resources": (list,),
    "failures": (list,), "runtime_locations": (list,)}
_ITEM_KEYS: dict[str, dict[str, tuple[type, ...]]] = {
    "nodes": {"name": _TEXT, "online": _BOOL, "unclean": _BOOL, "standby": _BOOL,
              "maintenance": _BOOL, "attributes": (dict,)},
    "resources": {"resource": _TEXT, "node": _TEXT, "role": _TEXT, "failed": _BOOL,
                  "blocked": _BOOL},
    "failures": {"resource": _TEXT, "node": _TEXT, "count": (int,), "last_failure": _NUMBER},
    "runtime_locations": {"id": _TEXT, "resource": _TEXT, "node": (str, type(None)),
                          "score": (int,), "role": (str, type(None))},
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "nodes": ("name",), "resources": ("resource", "node"),
    "failures": ("resource", "node", "count"), "runtime_locations": ("id", "resource")}
_ROLES = tuple(role.value for role in Role)


def check_state_json(data: object, filename: str | None = None) -> list[Report]:
    """Every problem in a state document (see ``state_to_json``), with its key path."""
    if not isinstance(data, dict):
        return [_state_error(filename, None, "a state is a JSON object",
                             found=_json_type(data))]
    reports = _check_keys(data, _STATE_KEYS, None, filename)
    for section, keys in _ITEM_KEYS.items():
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            path = f"{section}[{index}]"
            if not isinstance(item, dict):
                reports.append(_state_error(filename, path, "expected a JSON object",
                                            found=_json_type(item)))
                continue
            reports.extend(_check_item(section, item, keys, path, filename))
    return reports


def _check_item(section: str, item: dict[str, object], keys: dict[str, tuple[type, ...]],
                path: str, filename: str | None) -> list[Report]:
    reports = [_state_error(filename, f"{path}.{key}", "required key is missing")
               for key in _REQUIRED[section] if key not in item]
    reports.extend(_check_keys(item, keys, path, filename))
    role = item.get("role")
    if isinstance(role, str) and role not in _ROLES:
        reports.append(_state_error(filename, f"{path}.role", "not a role", found=role,
                                    allowed=", ".join(_ROLES)))
    return reports


def _check_keys(data: dict[str, object], keys: dict[str, tuple[type, ...]], path: str | None,
                filename: str | None) -> list[Report]:
    reports: list[Report] = []
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in keys:
            reports.append(_state_error(filename, where, "unknown key",
                                        allowed=", ".join(keys), hint=did_you_mean(key, keys)))
        elif not _is_instance(value, keys[key]):
            expected = ("a number" if keys[key] == _NUMBER
                        else " or ".join(_TYPE_NAMES[t] for t in keys[key]))
            reports.append(_state_error(filename, where, f"expected {expected}",
                                        found=_json_type(value)))
    return reports


_TYPE_NAMES: dict[type, str] = {bool: "true/false", int: "an integer", float: "a number",
                                str: "a string", list: "a list", dict: "an object",
                                type(None): "null"}


def _is_instance(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # JSON true is not a number
    return isinstance(value, types)


def _json_type(value: object) -> str:
    return {bool: "true/false", int: "integer", float: "number", str: "string",
            list: "list", dict: "object"}.get(type(value), "null")


def _state_error(filename: str | None, path: str | None, message: str, *,
                 found: str | None = None, allowed: str | None = None,
                 hint: str | None = None) -> Report:
    return Report(code=Code.STATE_INVALID, severity=Severity.ERROR, message=message,
                  file=filename, path=path, found=found, allowed=allowed, hint=hint)
