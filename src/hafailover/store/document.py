"""The replicated cluster-state document: what every node keeps a copy of.

Pure: no clock, file or socket. The coordinator (DC) changes the document with the
functions below, each of which returns a new document with a higher ``Version``; the
agent replicates it to every node and ``hafailover.store.persist`` keeps it on disk.

The version follows Pacemaker's CIB: ``(admin_epoch, epoch, updates)``, compared in that
order. ``epoch`` counts changes of intent (the configuration text, moves and bans) and
resets ``updates``; ``updates`` counts status changes (node attributes, fail counts);
``admin_epoch`` is raised only by an operator who wants one copy to win over all others.
When copies meet, ``choose`` keeps the one with the highest version (docs/state.md).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal, TypeVar, cast

from hafailover.config.model import (
    Clone,
    ClusterConfig,
    Expression,
    Group,
    Location,
    Primitive,
    Resource,
    Role,
    Rule,
    TargetRole,
    frozen_map,
)
from hafailover.core.state import ClusterState, FailCount, NodeState, ResourceInstance

FORMAT = 1  # the "format" of to_json's output; raised when the layout changes
TRUE_VALUES = frozenset({"on", "true"})  # node attribute values that switch standby/maintenance
STANDBY = "standby"
TARGET_ROLE = "target-role"
# node attribute: what a node left running when its agent stopped in maintenance,
# "resource:Role,..." (the next coordinator must know it still runs there)
LEFT_RUNNING = "left-running"
MAINTENANCE_MODE = "maintenance-mode"
MAINTENANCE = "maintenance"


class DocumentError(ValueError):
    """A document in JSON form is malformed; the message names the key that is wrong."""


@dataclass(frozen=True, order=True)
class Version:
    admin_epoch: int = 0
    epoch: int = 0
    updates: int = 0

    def __str__(self) -> str:
        return f"{self.admin_epoch}.{self.epoch}.{self.updates}"


@dataclass(frozen=True)
class RuntimeLocation:
    """A move or ban made with ``hactl``; it lives in the state, not the configuration file."""

    location: Location
    expires: float | None = None  # seconds since the epoch; None: until cleared
    until_moved: bool = False  # a move: removed once the resource runs where it was sent

    def expired(self, now: float) -> bool:
        return self.expires is not None and self.expires <= now


def _freeze_attributes(
    attributes: Mapping[str, Mapping[str, str]],
) -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType({node: frozen_map(values) for node, values in attributes.items()})


@dataclass(frozen=True)
class FenceRecord:
    """One fencing attempt, kept in the state so that every node can show it."""

    target: str
    action: str  # off, reboot, confirm (an operator said the node is down)
    ok: bool
    devices: tuple[str, ...]  # the devices of the level that succeeded, or tried
    message: str
    requested_by: str  # the node (or "operator") that asked
    reason: str
    time: float  # seconds since the epoch, when it ended


FENCE_HISTORY = 50  # records kept


@dataclass(frozen=True)
class Document:
    version: Version
    config_yaml: str  # the configuration file's text, as applied
    node_attributes: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )  # node -> attribute -> value, e.g. {"n1": {"standby": "on"}}
    runtime_locations: tuple[RuntimeLocation, ...] = ()
    failures: tuple[FailCount, ...] = ()
    origin: str = ""  # the node that made this version
    # hactl start/stop: resource id -> meta-attribute -> value, over the file's meta
    resource_meta: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({}))
    # hactl maintenance on/off (cluster-wide): property -> value, over the file's
    cluster_properties: Mapping[str, str] = field(default_factory=frozen_map)
    fence_history: tuple[FenceRecord, ...] = ()  # oldest first, the last FENCE_HISTORY
    # nodes known to be down since they were fenced (or confirmed down), with the time;
    # a node leaves this list when it rejoins
    fenced_nodes: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of the content: everything except ``version`` and ``origin``.

        Computed over a canonical form, so equal content gives an equal digest whatever
        order the runtime locations, failures or attributes are held in.
        """
        content = _content_json(self)
        content["runtime_locations"].sort(key=lambda item: item["id"])
        content["failures"].sort(key=lambda item: (item["resource"], item["node"],
                                                   item["count"], item["last_failure"]))
        return hashlib.sha256(canonical_json(content)).hexdigest()


def canonical_json(data: Mapping[str, Any]) -> bytes:
    """The one byte form of ``data`` that digests and checksums are computed over."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return text.encode("utf-8")


# --- changes ---------------------------------------------------------------------------


def initial(config_yaml: str, origin: str) -> Document:
    return Document(version=Version(), config_yaml=config_yaml, origin=origin)


def _next_epoch(version: Version) -> Version:
    return replace(version, epoch=version.epoch + 1, updates=0)


def _next_update(version: Version) -> Version:
    return replace(version, updates=version.updates + 1)


def replace_config(doc: Document, config_yaml: str, origin: str) -> Document:
    if config_yaml == doc.config_yaml:
        return doc
    return replace(doc, version=_next_epoch(doc.version), config_yaml=config_yaml,
                   origin=origin)


def _with_entry(table: Mapping[str, Mapping[str, str]], key: str, name: str,
                value: str | None) -> Mapping[str, Mapping[str, str]] | None:
    """``table`` with ``table[key][name]`` set to ``value`` (None removes it, and an
    emptied ``key`` goes too); None when that changes nothing."""
    current = table.get(key, {})
    if current.get(name) == value:
        return None
    values = {k: v for k, v in current.items() if k != name}
    if value is not None:
        values[name] = value
    rows = {k: v for k, v in table.items() if k != key}
    if values:
        rows[key] = values
    return _freeze_attributes(dict(sorted(rows.items())))


def set_node_attribute(
    doc: Document, node: str, name: str, value: str | None, origin: str
) -> Document:
    """Set ``name`` on ``node`` to ``value``; ``None`` removes the attribute."""
    attributes = _with_entry(doc.node_attributes, node, name, value)
    if attributes is None:
        return doc
    return replace(doc, version=_next_update(doc.version), node_attributes=attributes,
                   origin=origin)


def set_resource_meta(doc: Document, resource: str, name: str, value: str | None,
                      origin: str) -> Document:
    """Override meta-attribute ``name`` of ``resource`` (None: back to the file's value).
    A change of intent, like a move: the epoch is raised."""
    meta = _with_entry(doc.resource_meta, resource, name, value)
    if meta is None:
        return doc
    return replace(doc, version=_next_epoch(doc.version), resource_meta=meta, origin=origin)


def set_cluster_property(doc: Document, name: str, value: str | None,
                         origin: str) -> Document:
    """Override cluster property ``name`` (None: back to the file's value)."""
    if doc.cluster_properties.get(name) == value:
        return doc
    values = {key: val for key, val in doc.cluster_properties.items() if key != name}
    if value is not None:
        values[name] = value
    return replace(doc, version=_next_epoch(doc.version),
                   cluster_properties=frozen_map(dict(sorted(values.items()))), origin=origin)


def record_fence(doc: Document, record: FenceRecord, origin: str) -> Document:
    """Add a fencing attempt to the history; a success marks the node as down."""
    history = (*doc.fence_history, record)[-FENCE_HISTORY:]
    fenced = dict(doc.fenced_nodes)
    if record.ok:
        fenced[record.target] = record.time
    return replace(doc, version=_next_update(doc.version), fence_history=history,
                   fenced_nodes=MappingProxyType(dict(sorted(fenced.items()))), origin=origin)


def clear_fenced(doc: Document, node: str, origin: str) -> Document:
    """``node`` is back: it is no longer known to be down."""
    if node not in doc.fenced_nodes:
        return doc
    fenced = {n: t for n, t in doc.fenced_nodes.items() if n != node}
    return replace(doc, version=_next_update(doc.version),
                   fenced_nodes=MappingProxyType(fenced), origin=origin)


def effective_config(config: ClusterConfig, doc: Document) -> ClusterConfig:
    """The file's configuration with the overrides made by commands (target roles,
    cluster-wide maintenance): what the scheduler works from."""
    if not doc.resource_meta and not doc.cluster_properties:
        return config

    def override(resource: Resource) -> Resource:
        if isinstance(resource, Group):
            resource = replace(resource, members=tuple(
                cast(Primitive, override(m)) for m in resource.members))
        elif isinstance(resource, Clone):
            resource = replace(resource, child=cast(Primitive | Group, override(resource.child)))
        role = doc.resource_meta.get(resource.id, {}).get(TARGET_ROLE)
        if role is None:
            return resource
        return replace(resource, meta=replace(resource.meta,
                                              target_role=cast(TargetRole, role)))

    properties = config.properties
    maintenance = doc.cluster_properties.get(MAINTENANCE_MODE)
    if maintenance is not None:
        properties = replace(properties, maintenance_mode=maintenance in TRUE_VALUES)
    return replace(config, properties=properties,
                   resources=tuple(override(r) for r in config.resources))


def replace_runtime_locations(doc: Document, locations: Iterable[RuntimeLocation],
                              origin: str) -> Document:
    """Exactly these moves and bans (a change of intent: the epoch is raised)."""
    return _with_runtime_locations(doc, locations, origin)


def _with_runtime_locations(
    doc: Document, locations: Iterable[RuntimeLocation], origin: str
) -> Document:
    ordered = tuple(sorted(locations, key=lambda item: item.location.id))
    if ordered == doc.runtime_locations:
        return doc
    return replace(doc, version=_next_epoch(doc.version), runtime_locations=ordered,
                   origin=origin)


def add_runtime_location(
    doc: Document, runtime_location: RuntimeLocation, origin: str
) -> Document:
    """Add a move or ban; one with the same location id is replaced."""
    kept = [item for item in doc.runtime_locations
            if item.location.id != runtime_location.location.id]
    return _with_runtime_locations(doc, [*kept, runtime_location], origin)


def _split(
    doc: Document, remove: Iterable[RuntimeLocation]
) -> tuple[list[RuntimeLocation], tuple[RuntimeLocation, ...]]:
    removed = tuple(remove)
    kept = [item for item in doc.runtime_locations if item not in removed]
    return kept, removed


def remove_runtime_locations(
    doc: Document, origin: str, *, resource: str, node: str | None = None
) -> tuple[Document, tuple[RuntimeLocation, ...]]:
    """Clear the moves and bans of ``resource`` (only those naming ``node`` if given)."""
    kept, removed = _split(doc, (
        item for item in doc.runtime_locations
        if item.location.resource == resource and node in (None, item.location.node)
    ))
    if not removed:
        return doc, ()
    return _with_runtime_locations(doc, kept, origin), removed


def expire_runtime_locations(
    doc: Document, now: float, origin: str
) -> tuple[Document, tuple[RuntimeLocation, ...]]:
    """Drop the moves and bans whose lifetime ended at or before ``now``."""
    kept, removed = _split(doc, (item for item in doc.runtime_locations if item.expired(now)))
    if not removed:
        return doc, ()
    return _with_runtime_locations(doc, kept, origin), removed


def _failure_key(failure: FailCount) -> tuple[str, str, int, float]:
    return failure.resource, failure.node, failure.count, failure.last_failure


def set_failures(doc: Document, failures: Iterable[FailCount], origin: str) -> Document:
    """Replace the fail counts; they are kept in one canonical order."""
    ordered = tuple(sorted(failures, key=_failure_key))
    if ordered == doc.failures:
        return doc
    return replace(doc, version=_next_update(doc.version), failures=ordered, origin=origin)


def bump_admin_epoch(doc: Document, origin: str) -> Document:
    """An operator's override: this copy now wins over every copy made before it."""
    version = replace(doc.version, admin_epoch=doc.version.admin_epoch + 1)
    return replace(doc, version=version, origin=origin)


def choose(documents: Iterable[Document]) -> Document:
    """The copy to keep when copies meet (a partition heals, a node rejoins).

    The highest version wins. Copies with an equal version but different content can
    only come from coordinators that ran without quorum (docs/state.md); among them the
    lowest digest wins, then the lowest origin, so the choice never depends on the order
    the copies arrived in.
    """
    candidates = list(documents)
    if not candidates:
        raise ValueError("choose() needs at least one document")
    highest = max(doc.version for doc in candidates)
    return min((doc for doc in candidates if doc.version == highest),
               key=lambda doc: (doc.digest, doc.origin))


# --- the scheduler's input -------------------------------------------------------------


def _switched_on(attributes: Mapping[str, str], name: str) -> bool:
    return attributes.get(name, "").strip().lower() in TRUE_VALUES


def snapshot(
    doc: Document,
    config: ClusterConfig,
    *,
    members: Iterable[str],
    unclean: Iterable[str] = (),
    resources: Iterable[ResourceInstance] = (),
    quorate: bool,
    now: float,
) -> ClusterState:
    """The cluster as the scheduler sees it: membership and reported resources from the
    caller, node attributes, fail counts and unexpired moves and bans from ``doc``."""
    online, fenced = frozenset(members), frozenset(unclean)
    nodes = []
    for node in config.nodes:
        attributes = doc.node_attributes.get(node.name, {})
        nodes.append(NodeState(
            name=node.name,
            online=node.name in online,
            unclean=node.name in fenced,
            standby=_switched_on(attributes, STANDBY),
            maintenance=_switched_on(attributes, MAINTENANCE),
            attributes=frozen_map({key: value for key, value in attributes.items()
                                   if key not in (STANDBY, MAINTENANCE, LEFT_RUNNING)}),
        ))
    reported = tuple(resources)
    known = {(r.resource, r.node) for r in reported}
    left = tuple(
        ResourceInstance(resource=rid, node=node, role=Role(role or "Started"))
        for node, attributes in doc.node_attributes.items() if node not in online
        for item in attributes.get(LEFT_RUNNING, "").split(",") if item
        for rid, _, role in [item.partition(":")] if (rid, node) not in known)
    return ClusterState(
        nodes=tuple(nodes),
        resources=reported + left,
        failures=doc.failures,
        quorate=quorate,
        now=now,
        runtime_locations=tuple(item.location for item in doc.runtime_locations
                                if not item.expired(now)),
    )


# --- JSON ------------------------------------------------------------------------------


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "score": rule.score,
        "boolean_op": rule.boolean_op,
        "role": rule.role.value if rule.role else None,
        "expressions": [
            {"attribute": e.attribute, "operation": e.operation, "value": e.value,
             "type": e.type}
            for e in rule.expressions
        ],
    }


def _runtime_location_json(item: RuntimeLocation) -> dict[str, Any]:
    location = item.location
    return {
        "id": location.id,
        "resource": location.resource,
        "score": location.score,
        "node": location.node,
        "role": location.role.value if location.role else None,
        "rules": [_rule_json(rule) for rule in location.rules],
        "expires": item.expires,
        "until_moved": item.until_moved,
    }


def _content_json(doc: Document) -> dict[str, Any]:
    return {
        "config_yaml": doc.config_yaml,
        "node_attributes": {node: dict(values) for node, values in doc.node_attributes.items()},
        "runtime_locations": [_runtime_location_json(item) for item in doc.runtime_locations],
        "failures": [
            {"resource": f.resource, "node": f.node, "count": f.count,
             "last_failure": f.last_failure}
            for f in doc.failures
        ],
        "resource_meta": {rid: dict(values) for rid, values in doc.resource_meta.items()},
        "cluster_properties": dict(doc.cluster_properties),
        "fence_history": [fence_record_json(r) for r in doc.fence_history],
        "fenced_nodes": dict(doc.fenced_nodes),
    }


def fence_record_json(record: FenceRecord) -> dict[str, Any]:
    return {"target": record.target, "action": record.action, "ok": record.ok,
            "devices": list(record.devices), "message": record.message,
            "requested_by": record.requested_by, "reason": record.reason,
            "time": record.time}


def to_json(doc: Document) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": {"admin_epoch": doc.version.admin_epoch, "epoch": doc.version.epoch,
                    "updates": doc.version.updates},
        "origin": doc.origin,
        **_content_json(doc),
    }


T = TypeVar("T")
C = TypeVar("C", bound=str)


class _Reader:
    """Reads one JSON object, naming the key path in every error."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise DocumentError(f"{path or 'document'}: expected an object, found {data!r}")
        self.data: Mapping[str, Any] = data
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def only(self, *names: str) -> None:
        for name in self.data:
            if name not in names:
                raise DocumentError(f"{self.key(str(name))}: unknown key")

    def raw(self, name: str, default: object = ...) -> object:
        if name in self.data:
            return self.data[name]
        if default is ...:
            raise DocumentError(f"{self.key(name)}: missing")
        return default

    def typed(self, name: str, kind: type[T], label: str, default: object = ...) -> T:
        value = self.raw(name, default)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise DocumentError(f"{self.key(name)}: expected {label}, found {value!r}")
        return value

    def string(self, name: str, default: object = ...) -> str:
        return self.typed(name, str, "a string", default)

    def optional_string(self, name: str) -> str | None:
        return None if self.raw(name, None) is None else self.string(name)

    def integer(self, name: str, default: object = ...) -> int:
        return self.typed(name, int, "an integer", default)

    def number(self, name: str) -> float:
        value = self.raw(name)
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value)):
            raise DocumentError(f"{self.key(name)}: expected a finite number, found {value!r}")
        return float(value)

    def optional_number(self, name: str) -> float | None:
        return None if self.raw(name, None) is None else self.number(name)

    def choice(self, name: str, allowed: tuple[C, ...], default: object = ...) -> C:
        value = self.raw(name, default)
        for option in allowed:
            if value == option:
                return option
        raise DocumentError(f"{self.key(name)}: expected one of {', '.join(allowed)}, "
                            f"found {value!r}")

    def role(self, name: str) -> Role | None:
        if self.raw(name, None) is None:
            return None
        return Role(self.choice(name, ROLES))

    def items(self, name: str) -> list[_Reader]:
        value = self.raw(name, [])
        if not isinstance(value, list):
            raise DocumentError(f"{self.key(name)}: expected a list, found {value!r}")
        return [_Reader(item, f"{self.key(name)}[{index}]") for index, item in enumerate(value)]

    def child(self, name: str, default: object = ...) -> _Reader:
        return _Reader(self.raw(name, default), self.key(name))


ExpressionOperation = Literal["eq", "ne", "lt", "gt", "lte", "gte", "defined", "not_defined"]
ExpressionType = Literal["string", "integer", "number", "version"]
BooleanOp = Literal["and", "or"]
EXPRESSION_OPERATIONS: tuple[ExpressionOperation, ...] = (
    "eq", "ne", "lt", "gt", "lte", "gte", "defined", "not_defined")
EXPRESSION_TYPES: tuple[ExpressionType, ...] = ("string", "integer", "number", "version")
BOOLEAN_OPS: tuple[BooleanOp, ...] = ("and", "or")
ROLES = tuple(role.value for role in Role)


def _expression_from_json(reader: _Reader) -> Expression:
    reader.only("attribute", "operation", "value", "type")
    return Expression(
        attribute=reader.string("attribute"),
        operation=reader.choice("operation", EXPRESSION_OPERATIONS),
        value=reader.optional_string("value"),
        type=reader.choice("type", EXPRESSION_TYPES, "string"),
    )


def _rule_from_json(reader: _Reader) -> Rule:
    reader.only("score", "boolean_op", "role", "expressions")
    return Rule(
        score=reader.integer("score"),
        boolean_op=reader.choice("boolean_op", BOOLEAN_OPS, "and"),
        role=reader.role("role"),
        expressions=tuple(_expression_from_json(item) for item in reader.items("expressions")),
    )


def _runtime_location_from_json(reader: _Reader) -> RuntimeLocation:
    reader.only("id", "resource", "score", "node", "role", "rules", "expires", "until_moved")
    location = Location(
        id=reader.string("id"),
        resource=reader.string("resource"),
        score=reader.integer("score", 0),
        node=reader.optional_string("node"),
        role=reader.role("role"),
        rules=tuple(_rule_from_json(item) for item in reader.items("rules")),
    )
    return RuntimeLocation(location=location, expires=reader.optional_number("expires"),
                           until_moved=reader.typed("until_moved", bool, "true or false",
                                                    False))


def _failure_from_json(reader: _Reader) -> FailCount:
    reader.only("resource", "node", "count", "last_failure")
    return FailCount(resource=reader.string("resource"), node=reader.string("node"),
                     count=reader.integer("count"), last_failure=reader.number("last_failure"))


def _node_attributes_from_json(reader: _Reader) -> Mapping[str, Mapping[str, str]]:
    attributes: dict[str, dict[str, str]] = {}
    for node in reader.data:
        values = reader.child(node)
        attributes[node] = {name: values.string(name) for name in values.data}
    return _freeze_attributes(attributes)


def _version_from_json(reader: _Reader) -> Version:
    reader.only("admin_epoch", "epoch", "updates")
    numbers = {name: reader.integer(name) for name in ("admin_epoch", "epoch", "updates")}
    for name, number in numbers.items():
        if number < 0:
            raise DocumentError(f"{reader.key(name)}: expected 0 or more, found {number}")
    return Version(**numbers)


def from_json(data: Mapping[str, Any]) -> Document:
    """Inverse of ``to_json``; raises ``DocumentError`` naming the key that is wrong."""
    reader = _Reader(data, "")
    fmt = reader.integer("format")
    if fmt != FORMAT:
        raise DocumentError(f"format: this hafailover reads format {FORMAT}, found {fmt}")
    reader.only("format", "version", "origin", "config_yaml", "node_attributes",
                "runtime_locations", "failures", "resource_meta", "cluster_properties",
                "fence_history", "fenced_nodes")
    properties = reader.child("cluster_properties", {})
    fenced = reader.child("fenced_nodes", {})
    return Document(
        version=_version_from_json(reader.child("version")),
        config_yaml=reader.string("config_yaml"),
        node_attributes=_node_attributes_from_json(reader.child("node_attributes", {})),
        runtime_locations=tuple(_runtime_location_from_json(item)
                                for item in reader.items("runtime_locations")),
        failures=tuple(_failure_from_json(item) for item in reader.items("failures")),
        origin=reader.string("origin", ""),
        resource_meta=_node_attributes_from_json(reader.child("resource_meta", {})),
        cluster_properties=frozen_map({name: properties.string(name)
                                       for name in properties.data}),
        fence_history=tuple(_fence_record_from_json(item)
                            for item in reader.items("fence_history")),
        fenced_nodes=MappingProxyType({name: fenced.number(name) for name in fenced.data}),
    )


def _fence_record_from_json(reader: _Reader) -> FenceRecord:
    reader.only("target", "action", "ok", "devices", "message", "requested_by", "reason",
                "time")
    devices = reader.raw("devices", [])
    if not isinstance(devices, list) or not all(isinstance(d, str) for d in devices):
        raise DocumentError(f"{reader.key('devices')}: expected a list of names")
    return FenceRecord(target=reader.string("target"), action=reader.string("action"),
                       ok=reader.typed("ok", bool, "true or false"), devices=tuple(devices),
                       message=reader.string("message", ""),
                       requested_by=reader.string("requested_by", ""),
                       reason=reader.string("reason", ""), time=reader.number("time"))
