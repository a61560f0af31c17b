"""The status document (docs/status.md): what ``hactl status`` and the lab read."""

from __future__ import annotations

import time
from typing import Any

from hafailover import __version__
from hafailover.agent.ports import StatusHost
from hafailover.config.model import Group, Primitive, Resource
from hafailover.peer.version import LOCAL
from hafailover.store.document import fence_record_json

STATUS_FORMAT = 1
RECENT_EVENTS = 10


def build_status(agent: StatusHost) -> dict[str, Any]:
    config = agent.boot_config
    membership = agent.membership
    view = membership.view
    now = time.monotonic()
    detector = agent.heartbeat.detector
    document = agent.state.document
    unclean = set(agent.unclean_nodes())
    nodes = []
    for node in agent.state.config.nodes:
        attributes = dict(document.node_attributes.get(node.name, {}))
        entry: dict[str, Any] = {
            "name": node.name, "id": node.node_id, "votes": node.votes,
            "member": node.name in view.members,
            "standby": attributes.get("standby") in ("on", "true"),
            "maintenance": attributes.get("maintenance") in ("on", "true"),
        }
        entry["unclean"] = node.name in unclean
        entry["fenced_at"] = document.fenced_nodes.get(node.name)
        if node.name == agent.node:
            entry["state"] = "online"
            entry["links"] = {link: "local" for link in detector.links}
        else:
            entry["state"] = membership.peers[node.name].value
            entry["links"] = {link: "up" if detector.link_up(node.name, link, now) else "down"
                              for link in detector.links}
            heard = detector.last_heard(node.name)
            entry["last_heard_ms"] = None if heard is None else round((now - heard) * 1000)
        nodes.append(entry)
    beat = config.heartbeat
    stats = agent.heartbeat.stats
    return {
        "format": STATUS_FORMAT,
        "cluster": config.name,
        "node": agent.node,
        "incarnation": agent.incarnation,
        "software": f"hafailover {__version__}",
        "protocol": LOCAL.major,
        "uptime_s": round(time.time() - agent.started, 3),
        "view": {"number": view.number, "members": list(view.members),
                 "coordinator": view.coordinator, "quorate": view.quorate,
                 "votes": view.votes, "expected_votes": view.expected_votes},
        "detection": {"interval_ms": round(beat.interval * 1000),
                      "dead_time_ms": round(beat.dead_time * 1000),
                      "probe_timeout_ms": round(config.peer.probe_timeout * 1000),
                      "detection_time_ms": round(beat.detection_time * 1000),
                      "loss_time_ms": round(config.loss_time * 1000),
                      "transport": beat.transport},
        "nodes": nodes,
        "state": {"version": str(document.version), "origin": document.origin,
                  "came_from": agent.state_came_from,
                  "digest": document.digest, "recovering": agent.recovering,
                  "node_attributes": {n: dict(a) for n, a in document.node_attributes.items()},
                  "runtime_locations": [
                      {"id": r.location.id, "resource": r.location.resource,
                       "node": r.location.node, "score": r.location.score,
                       "expires": r.expires} for r in document.runtime_locations]},
        "resources": {"local": [
                          {"resource": r.resource, "role": r.role, "failed": r.failed,
                           "blocked": r.blocked} for r in agent.resources.statuses()],
                      "probed": agent.resources.probed},
        "cluster_status": cluster_section(agent) if membership.is_coordinator else None,
        "heartbeat": {"sent": stats.sent, "received": stats.received,
                      "send_errors": stats.send_errors, "dropped": dict(stats.dropped),
                      "max_lateness_ms": round(stats.max_lateness * 1000, 3),
                      "probes_sent": stats.probes_sent,
                      "probes_answered": stats.probes_answered,
                      "priority": agent.heartbeat.priority},
        "events": [e.as_json() for e in agent.events.last(RECENT_EVENTS)],
    }


def resource_tree(resource: Resource) -> dict[str, Any]:
    """A resource and what it contains, for folding groups and clones in status."""
    entry: dict[str, Any] = {"id": resource.id, "target_role": resource.meta.target_role}
    if isinstance(resource, Primitive):
        entry |= {"kind": "primitive", "agent": str(resource.agent)}
    elif isinstance(resource, Group):
        entry |= {"kind": "group", "members": [resource_tree(m) for m in resource.members]}
    else:
        entry |= {"kind": "clone", "promotable": resource.promotable,
                  "clone_max": resource.clone_max, "child": resource_tree(resource.child)}
    return entry


def cluster_section(agent: StatusHost) -> dict[str, Any]:
    """What the coordinator knows of the whole cluster: resources, failures, constraints."""
    driver = agent.driver
    document = agent.state.document
    config = agent.state.effective_config
    return {
        "coordinator": agent.node,
        "stonith_enabled": config.properties.stonith_enabled,
        "maintenance_mode": config.properties.maintenance_mode,
        "no_quorum_policy": config.properties.no_quorum_policy,
        "resources": driver.resources.as_json(),
        "resource_tree": [resource_tree(r) for r in config.resources],
        "failed_actions": sorted(driver.failed_actions.values(),
                                 key=lambda f: (str(f["resource"]), str(f["node"]))),
        "fail_counts": [{"resource": f.resource, "node": f.node, "count": f.count,
                         "last_failure": f.last_failure} for f in document.failures],
        "constraints": [
            {"id": r.location.id, "resource": r.location.resource, "node": r.location.node,
             "score": r.location.score, "expires": r.expires,
             "until_moved": r.until_moved} for r in document.runtime_locations],
        "overrides": {"resource_meta": {k: dict(v) for k, v in document.resource_meta.items()},
                      "cluster_properties": dict(document.cluster_properties)},
        "fencing": {"history": [fence_record_json(r) for r in document.fence_history[-10:]],
                    "failing": agent.fencing.failing(),
                    "in_progress": sorted(agent.fencing.running)},
        "redundancy": [{"resource": r.resource, "node": r.node, "takeover": list(r.takeover),
                        "redundant": r.redundant, "reason": r.reason}
                       for r in driver.redundancy.values()],
        "transition": {"number": driver.number, "running": driver.running is not None,
                       "idle": driver.idle.is_set(), "last": driver.last_outcome,
                       "last_failed": driver.last_failed},
    }
