"""Write a configuration model back as YAML that loads to an equal model.

Used by ``hactl import pacemaker`` and ``hactl config`` to show a configuration as a file;
settings equal to their defaults are left out, except the heartbeat timing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import yaml

from hafailover.config.model import (
    Clone,
    ClusterConfig,
    Colocation,
    Expression,
    FenceDevice,
    Group,
    Heartbeat,
    HeartbeatLink,
    Location,
    Meta,
    Node,
    Operation,
    Order,
    Peer,
    Primitive,
    Properties,
    Resource,
    ResourceDefaults,
    Role,
    Rule,
    default_priority_fencing_delay,
    default_quorum,
)
from hafailover.config.scores import INFINITY, format_score
from hafailover.config.values import format_duration

Yaml = dict[str, object]


def dump_config(config: ClusterConfig) -> str:
    """YAML text for ``config`` in the format above; it loads back to an equal model.

    Settings equal to their defaults are left out, except the heartbeat timing, which is
    always written so that a reader sees it.
    """
    data: Yaml = {"cluster": {"name": config.name}}
    data["nodes"] = [_dump_node(n, i) for i, n in enumerate(config.nodes)]
    beat = config.heartbeat
    heartbeat: Yaml = {"interval": format_duration(beat.interval),
                       "dead-time": format_duration(beat.dead_time),
                       "transport": beat.transport}
    unicast_default = (HeartbeatLink(name="ring0"),)
    if beat.links != (Heartbeat().links if beat.transport == "multicast" else unicast_default):
        heartbeat["links"] = [_changed(link, HeartbeatLink(name=link.name), {
            "name": "name", "multicast_group": "multicast-group", "port": "port",
            "interface": "interface"}, always=("name",)) for link in beat.links]
    data["heartbeat"] = heartbeat
    _put(data, "peer", _changed(config.peer, Peer(), {"port": "port",
                                                      "probe_timeout": "probe-timeout"}))
    quorum = _changed(config.quorum, default_quorum(len(config.nodes)), {
        "two_node": "two-node", "wait_for_all": "wait-for-all",
        "expected_votes": "expected-votes"})
    if config.quorum.wait_for_all != config.quorum.two_node:
        quorum["wait-for-all"] = config.quorum.wait_for_all
    elif "wait-for-all" in quorum:
        del quorum["wait-for-all"]
    _put(data, "quorum", quorum)
    defaults = dataclasses.replace(Properties(), priority_fencing_delay=(
        default_priority_fencing_delay(config.quorum, config.properties.stonith_enabled)))
    _put(data, "properties", _changed(config.properties, defaults, {
        "no_quorum_policy": "no-quorum-policy", "stonith_enabled": "stonith-enabled",
        "symmetric_cluster": "symmetric-cluster", "maintenance_mode": "maintenance-mode",
        "cluster_recheck_interval": "cluster-recheck-interval",
        "stop_orphan_resources": "stop-orphan-resources",
        "priority_fencing_delay": "priority-fencing-delay",
        "watchdog_timeout": "watchdog-timeout"}))
    _put(data, "resource-defaults", _changed(config.defaults, ResourceDefaults(), {
        "resource_stickiness": "resource-stickiness",
        "migration_threshold": "migration-threshold",
        "failure_timeout": "failure-timeout", "priority": "priority"}))
    _put(data, "resources", [_dump_resource(r) for r in config.resources])
    constraints: Yaml = {}
    _put(constraints, "location", [_dump_location(c) for c in config.constraints.locations])
    _put(constraints, "colocation", [_changed(c, Colocation("", "", ""), {
        "id": "id", "resource": "resource", "with_resource": "with", "score": "score",
        "resource_role": "resource-role", "with_role": "with-role"},
        always=("id", "resource", "with_resource")) for c in config.constraints.colocations])
    _put(constraints, "order", [_changed(o, Order("", "", ""), {
        "id": "id", "first": "first", "first_action": "first-action", "then": "then",
        "then_action": "then-action", "kind": "kind", "symmetrical": "symmetrical"},
        always=("id", "first", "then")) for o in config.constraints.orders])
    _put(data, "constraints", constraints)
    devices = [_changed(d, FenceDevice("", ""), {
        "id": "id", "agent": "agent", "params": "params", "targets": "targets",
        "timeout": "timeout"}, always=("id", "agent")) for d in config.fence_devices]
    fencing: Yaml = {}
    _put(fencing, "devices", devices)
    topology: dict[str, list[list[str]]] = {}
    for level in sorted(config.fence_topology, key=lambda lv: lv.index):
        topology.setdefault(level.target, []).append(list(level.devices))
    _put(fencing, "topology", [{"target": t, "levels": lv} for t, lv in topology.items()])
    _put(data, "fencing", fencing)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, allow_unicode=True,
                          width=100)


def _put(data: Yaml, key: str, value: Yaml | list[Yaml]) -> None:
    if value:
        data[key] = value


def _plain(value: object) -> object:
    """A model value as YAML data: enums as text, mappings as dicts, tuples as lists."""
    if isinstance(value, Role):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _score(score: int) -> int | str:
    return format_score(score) if abs(score) >= INFINITY else score


_DURATION_FIELDS = ("interval", "timeout", "failure_timeout", "cluster_recheck_interval",
                    "probe_timeout", "priority_fencing_delay", "watchdog_timeout")
_SCORE_FIELDS = ("score", "resource_stickiness", "migration_threshold")


def _changed(item: object, default: object, keys: dict[str, str],
             always: tuple[str, ...] = ()) -> Yaml:
    """The fields of ``item`` that differ from ``default`` (and ``always``), as YAML keys."""
    out: Yaml = {}
    for attr, key in keys.items():
        value = getattr(item, attr)
        if attr not in always and value == getattr(default, attr):
            continue
        if value is None:
            continue
        if attr in _DURATION_FIELDS:
            out[key] = format_duration(value)
        elif attr in _SCORE_FIELDS:
            out[key] = _score(value)
        else:
            out[key] = _plain(value)
    return out


def _dump_node(node: Node, index: int) -> Yaml:
    out: Yaml = {"name": node.name}
    if node.node_id != index + 1:
        out["id"] = node.node_id
    _put(out, "addresses", _plain(node.addresses))  # type: ignore[arg-type]
    _put(out, "attributes", _plain(node.attributes))  # type: ignore[arg-type]
    if node.votes != 1:
        out["votes"] = node.votes
    return out


_META_KEYS = {"target_role": "target-role", "resource_stickiness": "resource-stickiness",
              "migration_threshold": "migration-threshold", "failure_timeout": "failure-timeout",
              "priority": "priority", "is_managed": "is-managed",
              "multiple_active": "multiple-active"}


def _dump_resource(resource: Resource) -> Yaml:
    out: Yaml
    if isinstance(resource, Primitive):
        out = {"primitive": resource.id, "agent": str(resource.agent)}
        _put(out, "params", _plain(resource.params))  # type: ignore[arg-type]
        _put(out, "operations", [_changed(op, Operation(op.name), {
            "name": "name", "interval": "interval", "timeout": "timeout",
            "on_fail": "on-fail", "role": "role"}, always=("name",))
            for op in resource.operations])
    elif isinstance(resource, Group):
        out = {"group": resource.id, "members": [_dump_resource(m) for m in resource.members]}
    else:
        out = {"clone": resource.id, "resource": _dump_resource(resource.child)}
        out.update(_changed(resource, Clone(resource.id, resource.child), {
            "clone_max": "clone-max", "clone_node_max": "clone-node-max",
            "promotable": "promotable", "promoted_max": "promoted-max",
            "promoted_node_max": "promoted-node-max"}))
    _put(out, "meta", _changed(resource.meta, Meta(), _META_KEYS))
    return out


def _dump_location(location: Location) -> Yaml:
    out: Yaml = {"id": location.id, "resource": location.resource}
    if location.node is not None:
        out["node"] = location.node
        out["score"] = _score(location.score)
    else:
        out["rules"] = [_dump_rule(rule) for rule in location.rules]
    if location.role is not None:
        out["role"] = location.role.value
    return out


def _dump_rule(rule: Rule) -> Yaml:
    out: Yaml = {"score": _score(rule.score)}
    if rule.boolean_op != "and":
        out["boolean-op"] = rule.boolean_op
    if rule.role is not None:
        out["role"] = rule.role.value
    out["expressions"] = [_changed(e, Expression(e.attribute, e.operation), {
        "attribute": "attribute", "operation": "op", "value": "value", "type": "type"},
        always=("attribute", "operation")) for e in rule.expressions]
    return out
