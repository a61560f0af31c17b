"""``hactl status`` for people: the status document (docs/status.md) as text. Pure.

``render_status(status, now)`` reads no clock: every "ago" and "in" is measured from the
``now`` it is given (seconds since the epoch), so a fixed document renders the same text
every time (tests/cli/golden/status_*.txt).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Doc = Mapping[str, Any]

RECENT_EVENTS = 5
INFINITY = 1_000_000

_PEER_STATES = {
    "online": "online",
    "suspected": "online, suspected (heartbeats late)",
    "probe-only": "online, probe-only (heartbeats do not arrive)",
    "lost": "offline (lost without a goodbye)",
    "incompatible": "offline (another protocol version)",
    "left": "offline (left cleanly)",
    "unknown": "offline (never heard)",
}


def duration(seconds: float) -> str:
    """``2.6s``, ``4m 05s``, ``3h 20m``, ``2d 4h``."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600}h"


def ago(when: float | None, now: float) -> str:
    return "never" if when is None else f"{duration(now - when)} ago"


def render_status(status: Doc, now: float) -> str:
    cluster = status.get("cluster_status")
    sections = [_header(status, cluster), _warnings(status, cluster, now), _nodes(status),
                _resources(status, cluster), _failures(cluster, now),
                _constraints(cluster, now), _fencing(cluster, now), _events(status, now)]
    return "\n".join(s for s in sections if s)


def _header(status: Doc, cluster: Doc | None) -> str:
    view = status["view"]
    detection = status["detection"]
    quorum = "yes" if view["quorate"] else "NO"
    lines = [f"Cluster {status['cluster']} ({status['software']}), as seen from "
             f"{status['node']}",
             f"  Quorum:       {quorum}, {view['votes']} of {view['expected_votes']} "
             f"expected votes (view {view['number']})",
             f"  Coordinator:  {view['coordinator'] or 'none (the cluster is forming)'}",
             f"  Detection:    a dead node is suspected within "
             f"{_ms(detection['detection_time_ms'])} and declared lost within "
             f"{_ms(detection['loss_time_ms'])} (heartbeat every "
             f"{_ms(detection['interval_ms'])}, {detection['transport']})",
             f"  State:        version {status['state']['version']}"
             + (f", {came_from}" if (came_from := status["state"].get("came_from")) else "")]
    if cluster is not None:
        transition = cluster["transition"]
        doing = (f"transition {transition['number']} running" if transition["running"]
                 else f"idle; last: {transition['last']}" if transition["idle"]
                 else f"scheduling; last: {transition['last']}")
        lines.append(f"  Transitions:  {doing}")
        lines.append(f"  Fencing:      {'enabled' if cluster['stonith_enabled'] else 'disabled'}")
    return "\n".join(lines) + "\n"


def _ms(value: int) -> str:
    return f"{value / 1000:g}s" if value >= 1000 else f"{value}ms"


def _warnings(status: Doc, cluster: Doc | None, now: float) -> str:
    view = status["view"]
    found = []
    if not view["quorate"]:
        found.append("this partition has no quorum: it changes nothing and applies "
                     "no-quorum-policy")
    if cluster is None:
        reason = status.get("cluster_status_error") or "no coordinator"
        found.append(f"the coordinator's view is unavailable: {reason}")
    else:
        if cluster["maintenance_mode"]:
            found.append("maintenance mode is on for the whole cluster: resources are "
                         "neither started, stopped nor monitored ('hactl maintenance off')")
        kept = [c for c in cluster["constraints"] if not _expired(c, now)]
        if kept:
            names = ", ".join(sorted({c["resource"] for c in kept}))
            found.append(f"{len(kept)} move/ban constraint{'s' if len(kept) > 1 else ''} "
                         f"still in force ({names}): 'hactl clear RESOURCE' removes them")
        if cluster["failed_actions"]:
            found.append(f"{len(cluster['failed_actions'])} failed action(s): "
                         "'hactl cleanup RESOURCE' forgets them once fixed")
        if not cluster["stonith_enabled"]:
            found.append("fencing is disabled (stonith-enabled: false): a node that stops "
                         "answering may keep running what is started elsewhere")
        found += [entry["reason"] for entry in cluster.get("redundancy", ())
                  if not entry["redundant"]]
        for node, why in sorted(cluster.get("fencing", {}).get("failing", {}).items()):
            found.append(f"FENCING OF {node} FAILS ({why}); its resources are not "
                         f"recovered: once it is powered off, 'hactl fence confirm {node}'")
    unclean = [n["name"] for n in status["nodes"] if n.get("unclean")]
    if unclean:
        found.append(f"unclean: {', '.join(unclean)} may still run resources; they are "
                     "recovered once fenced")
    if status["state"].get("recovering"):
        found.append("this node's saved state was damaged; it waits for a copy from the "
                     "cluster")
    if not found:
        return ""
    return "Warnings\n" + "".join(f"  ! {w}\n" for w in found)


def _expired(constraint: Doc, now: float) -> bool:
    expires = constraint.get("expires")
    return expires is not None and expires <= now


def _nodes(status: Doc) -> str:
    rows = []
    for node in status["nodes"]:
        state = _PEER_STATES.get(node["state"], node["state"])
        if node["name"] == status["node"]:
            state = "online (this node)"
        if node.get("unclean"):
            state = f"UNCLEAN, {state}"
        elif node.get("fenced_at") is not None and node["state"] != "online":
            state = f"{state}, fenced"
        flags = [f for f in ("standby", "maintenance") if node[f]]
        links = ", ".join(f"{name} {health}" for name, health in node["links"].items())
        heard = node.get("last_heard_ms")
        extra = f"; last heard {duration(heard / 1000)} ago" \
            if heard is not None and node["state"] != "online" else ""
        rows.append((node["name"], state + "".join(f", {f}" for f in flags),
                     f"links: {links}{extra}"))
    return "Nodes\n" + _table(rows)


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        out.append((indent + "  ".join(cells)).rstrip() + "\n")
    return "".join(out)


# --- resources --------------------------------------------------------------------------


def _resources(status: Doc, cluster: Doc | None) -> str:
    if cluster is None:
        return "Resources\n  unknown: the coordinator did not answer\n"
    instances: dict[str, list[Doc]] = {}
    for instance in cluster["resources"]:
        instances.setdefault(instance["resource"], []).append(instance)
    rows: list[tuple[str, str, str]] = []
    for tree in cluster["resource_tree"]:
        rows.extend(_resource_rows(tree, instances, ""))
    if not rows:
        return "Resources\n  none configured\n"
    return "Resources\n" + _table(rows)


def _where(instances: Iterable[Doc]) -> str:
    """``Started n1, n2``; ``FAILED n3``; roles in a fixed order."""
    by_role: dict[str, list[str]] = {}
    for instance in instances:
        role = instance["role"]
        if instance["failed"]:
            role = "FAILED"
        elif instance["blocked"]:
            role = f"{role} (blocked)"
        by_role.setdefault(role, []).append(instance["node"])
    if not by_role:
        return "Stopped"
    order = ["Promoted", "Started", "Unpromoted"]
    roles = sorted(by_role, key=lambda r: (order.index(r) if r in order else len(order), r))
    return "; ".join(f"{role} {', '.join(sorted(by_role[role]))}" for role in roles)


def _primitives(tree: Doc) -> list[str]:
    if tree["kind"] == "primitive":
        return [tree["id"]]
    if tree["kind"] == "group":
        return [p for m in tree["members"] for p in _primitives(m)]
    return _primitives(tree["child"])


def _target(tree: Doc) -> str:
    role = tree.get("target_role")
    return f" (target-role {role})" if role and role != "Started" else ""


def _resource_rows(tree: Doc, instances: Mapping[str, list[Doc]],
                   indent: str) -> list[tuple[str, str, str]]:
    kind = tree["kind"]
    name = indent + tree["id"]
    if kind == "primitive":
        return [(name, tree.get("agent", ""), _where(instances.get(tree["id"], [])) +
                 _target(tree))]
    members = _primitives(tree)
    all_instances = [i for p in members for i in instances.get(p, [])]
    if kind == "group":
        wheres = {_where(instances.get(p, [])) for p in members}
        label = f"group of {len(tree['members'])}"
        if len(wheres) == 1 and not any(i["failed"] or i["blocked"] for i in all_instances):
            where = wheres.pop()
            if where == "Stopped" or (where.count(" ") == 1 and "," not in where):
                return [(name, label, f"{where}{_target(tree)} ({', '.join(members)})")]
        rows = [(name, label, _target(tree).strip())]
        for member in tree["members"]:
            rows.extend(_resource_rows(member, instances, indent + "  "))
        return rows
    label = f"{'promotable ' if tree.get('promotable') else ''}clone"
    if tree.get("clone_max"):
        label += f" (max {tree['clone_max']})"
    child = tree["child"]
    if child["kind"] == "primitive" or not any(i["failed"] or i["blocked"]
                                               for i in all_instances):
        # one line: the child's instances, by role; a group child by its first member
        first = _primitives(child)[0]
        return [(name, label, _where(instances.get(first, [])) + _target(tree))]
    rows = [(name, label, _target(tree).strip())]
    rows.extend(_resource_rows(child, instances, indent + "  "))
    return rows


# --- failures, constraints, events --------------------------------------------------------


def _failures(cluster: Doc | None, now: float) -> str:
    if cluster is None:
        return ""
    out = ""
    failed = cluster["failed_actions"]
    if failed:
        rows = []
        for action in failed:
            what = action["action"]
            if action["action"] == "monitor" and action.get("interval_ms"):
                what = f"monitor ({_ms(action['interval_ms'])})"
            rows.append((f"{action['resource']} {what} on {action['node']}",
                         f"rc {action['rc']} ({action['status']})",
                         f"{action['reason']}; {ago(action.get('time'), now)}"))
        out += "Failed actions\n" + _table(rows)
    counts = cluster["fail_counts"]
    if counts:
        rows = [(f"{c['resource']} on {c['node']}",
                 "INFINITY" if c["count"] >= INFINITY else str(c["count"]),
                 f"last failure {ago(c['last_failure'], now)}") for c in counts]
        out += ("" if not out else "\n") + "Fail counts\n" + _table(rows)
    return out


def _constraints(cluster: Doc | None, now: float) -> str:
    if cluster is None or not cluster["constraints"]:
        return ""
    rows = []
    for item in sorted(cluster["constraints"], key=lambda c: c["id"]):
        move = item["score"] > 0
        what = (f"{item['resource']} {'prefers' if move else 'is banned from'} "
                f"{item['node']}")
        if item.get("expires") is None:
            lasts = "until the resource has moved" if item.get("until_moved") \
                else "until cleared"
        elif _expired(item, now):
            lasts = "expired"
        else:
            lasts = f"expires in {duration(item['expires'] - now)}"
        rows.append((item["id"], what, lasts))
    return ("Constraints from move/ban (remove with 'hactl clear RESOURCE')\n"
            + _table(rows))


def _fencing(cluster: Doc | None, now: float) -> str:
    history = (cluster or {}).get("fencing", {}).get("history") or []
    if not history:
        return ""
    rows = [(ago(h["time"], now), h["target"],
             ("ok" if h["ok"] else "FAILED") + f" ({h['action']}"
             + (f" {'by' if h['ok'] else 'with'} {', '.join(h['devices'])}"
                if h["devices"] else "") + ")",
             f"asked by {h['requested_by']}: {h['reason']}")
            for h in history[-RECENT_EVENTS:]]
    return "Fencing history\n" + _table(rows)


def _events(status: Doc, now: float) -> str:
    events = list(status.get("events") or [])[-RECENT_EVENTS:]
    if not events:
        return ""
    rows = [(ago(e["time"], now), e["kind"], e["message"]) for e in events]
    return "Recent events\n" + _table(rows)
