"""Rendering of a simulated transition: text like crm_simulate's, and a JSON document.

Pure: a configuration, the states before and after the what-if events, and the
scheduler's ``Transition`` in; a string or a JSON-ready dict out. The layout is
described in docs/simulate.md and pinned by the golden files in tests/cli/golden/.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hafailover.config.model import Clone, ClusterConfig, Group, Primitive, Role
from hafailover.config.scores import format_score
from hafailover.core.state import ClusterState, FailCount, NodeState
from hafailover.core.transition import Action, Change, ChangeKind, NodeScore, Transition

INDENT = "  "
_ROLE_RANK = {Role.STOPPED: 0, Role.STARTED: 1, Role.UNPROMOTED: 2, Role.PROMOTED: 3}


@dataclass(frozen=True)
class Placed:
    """A primitive instance to show: active in ``role`` on ``node``."""

    resource: str
    node: str
    role: Role
    failed: bool = False
    blocked: bool = False


@dataclass(frozen=True)
class StatusView:
    """What one "cluster status" section shows."""

    nodes: tuple[NodeState, ...]
    placed: tuple[Placed, ...]
    quorate: bool
    failures: tuple[FailCount, ...] = ()


@dataclass(frozen=True)
class Simulation:
    """Everything the text output is made from."""

    config: ClusterConfig
    before: ClusterState  # as loaded, before the what-if events
    after: ClusterState  # after the events: the scheduler's input
    transition: Transition
    modifications: tuple[str, ...] = ()  # one sentence per event applied
    show_scores: bool = False


# --- views -----------------------------------------------------------------------------


def current_view(state: ClusterState) -> StatusView:
    placed = tuple(Placed(r.resource, r.node, r.role, r.failed, r.blocked)
                   for r in state.resources if r.role.is_active)
    return StatusView(nodes=state.nodes, placed=placed, quorate=state.quorate,
                      failures=state.failures)


def revised_view(state: ClusterState, transition: Transition) -> StatusView:
    """The cluster once the transition has run: fenced nodes are off, assignments active."""
    fenced = set(transition.fenced)
    nodes = tuple(NodeState(name=n.name, online=False, attributes=n.attributes)
                  if n.name in fenced else n for n in state.nodes)
    placed = tuple(Placed(a.resource, a.node, a.role) for a in transition.assignments)
    return StatusView(nodes=nodes, placed=placed, quorate=state.quorate,
                      failures=state.failures)


# --- the whole text --------------------------------------------------------------------


def render_text(sim: Simulation) -> str:
    sections = [render_status("Current cluster status:", sim.config, current_view(sim.before))]
    if sim.modifications:
        sections.append(_bullets("Performing Requested Modifications:", sim.modifications))
    if sim.show_scores:
        sections.append(render_scores(sim.config, sim.transition))
    sections.append(render_summary(sim.transition))
    if sim.transition.notes:
        sections.append(_bullets("Notes:", sim.transition.notes))
    if sim.transition.actions:
        sections.append(render_actions(sim.transition.actions))
    sections.append(render_status("Revised Cluster Status:", sim.config,
                                  revised_view(sim.after, sim.transition)))
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _bullets(title: str, items: Iterable[str]) -> list[str]:
    return [title, *(f"{INDENT}* {item}" for item in items)]


# --- cluster status --------------------------------------------------------------------


def render_status(title: str, config: ClusterConfig, view: StatusView) -> list[str]:
    lines = [title]
    if not view.quorate:
        lines.append(f"{INDENT}* Partition WITHOUT quorum")
    lines.append(f"{INDENT}* Node List:")
    lines.extend(f"{INDENT * 2}* {line}" for line in node_lists(config, view.nodes))
    lines.append(f"{INDENT}* Full List of Resources:")
    lines.extend(f"{INDENT * 2}{line}" for line in resource_lines(config, view))
    if view.failures:
        lines.append(f"{INDENT}* Fail Counts:")
        lines.extend(f"{INDENT * 2}* {f.resource} on {f.node}: {format_score(f.count)}"
                     for f in view.failures)
    return lines


def node_lists(config: ClusterConfig, nodes: Sequence[NodeState]) -> list[str]:
    """``Online: [ n1 n2 ]`` and the like, one line per non-empty category."""
    categories: dict[str, list[str]] = {
        "Online": [], "Standby": [], "Maintenance": [],
        "UNCLEAN (online)": [], "UNCLEAN (offline)": [], "OFFLINE": []}
    for node in _in_config_order(config, nodes):
        categories[_node_category(node)].append(node.name)
    return [f"{label}: [ {' '.join(names)} ]" for label, names in categories.items() if names]


def _node_category(node: NodeState) -> str:
    if node.unclean:
        return "UNCLEAN (online)" if node.online else "UNCLEAN (offline)"
    if not node.online:
        return "OFFLINE"
    if node.maintenance:
        return "Maintenance"
    if node.standby:
        return "Standby"
    return "Online"


def _in_config_order(config: ClusterConfig, nodes: Sequence[NodeState]) -> list[NodeState]:
    order = {name: i for i, name in enumerate(config.node_names())}
    return sorted(nodes, key=lambda n: (order.get(n.name, len(order)), n.name))


@dataclass(frozen=True)
class _Columns:
    """Widths that line up the id, agent and status columns of primitive lines."""

    id_width: int
    agent_width: int

    @classmethod
    def of(cls, config: ClusterConfig, extra_ids: Iterable[str]) -> _Columns:
        ids = [p.id for p in config.primitives()] + list(extra_ids)
        agents = [_agent_text(p) for p in config.primitives()] + ["(ORPHANED):"]
        return cls(max(map(len, ids), default=0), max(map(len, agents), default=0))

    def line(self, rid: str, agent: str, status: str) -> str:
        return f"* {rid:<{self.id_width}}  {agent:<{self.agent_width}}  {status}"


def _agent_text(primitive: Primitive) -> str:
    return f"({primitive.agent}):"


def resource_lines(config: ClusterConfig, view: StatusView) -> list[str]:
    """The "Full List of Resources", one nesting level per group or clone."""
    known = {p.id for p in config.primitives()}
    orphans = sorted({p.resource for p in view.placed} - known)
    columns = _Columns.of(config, orphans)
    lines: list[str] = []
    for resource in config.resources:
        if isinstance(resource, Primitive):
            lines.append(_primitive_line(resource, view, columns))
        elif isinstance(resource, Group):
            lines.extend(_group_lines(resource, view, columns))
        else:
            lines.extend(_clone_lines(config, resource, view, columns))
    for orphan in orphans:
        instances = [p for p in view.placed if p.resource == orphan]
        lines.append(columns.line(orphan, "(ORPHANED):", _instances_text(instances, view)))
    return lines or ["* No resources"]


def _primitive_line(primitive: Primitive, view: StatusView, columns: _Columns) -> str:
    instances = [p for p in view.placed if p.resource == primitive.id]
    status = _instances_text(instances, view)
    if not instances and primitive.meta.target_role == "Stopped":
        status += " (disabled)"
    if not primitive.meta.is_managed:
        status += " (unmanaged)"
    return columns.line(primitive.id, _agent_text(primitive), status)


def _instances_text(instances: Sequence[Placed], view: StatusView) -> str:
    if not instances:
        return "Stopped"
    return ", ".join(_instance_text(p, view) for p in instances)


def _instance_text(placed: Placed, view: StatusView) -> str:
    text = f"{'FAILED' if placed.failed else placed.role.value} {placed.node}"
    node = next((n for n in view.nodes if n.name == placed.node), None)
    if node is not None and node.unclean:
        text += " (UNCLEAN)"
    if placed.blocked:
        text += " (blocked)"
    return text


def _group_lines(group: Group, view: StatusView, columns: _Columns) -> list[str]:
    return [f"* Resource Group: {group.id}:",
            *(f"{INDENT}{_primitive_line(m, view, columns)}" for m in group.members)]


def _clone_lines(config: ClusterConfig, clone: Clone, view: StatusView,
                 columns: _Columns) -> list[str]:
    promotable = " (promotable)" if clone.promotable else ""
    header = f"* Clone Set: {clone.id} [{clone.child.id}]{promotable}:"
    members = _members(clone.child)
    by_role: dict[Role, list[str]] = {Role.PROMOTED: [], Role.UNPROMOTED: [], Role.STARTED: []}
    detail: list[str] = []
    stopped: list[str] = []
    for node in _in_config_order(config, view.nodes):
        here = [p for p in view.placed if p.node == node.name and p.resource in members]
        role = _uniform_role(here, len(members))
        if not here:
            stopped.append(node.name)
        elif role is not None:
            by_role[role].append(node.name)
        else:
            detail.extend(columns.line(p.resource, _agent_text(_member(clone, p.resource)),
                                       _instance_text(p, view)) for p in here)
    lists = [f"* {role.value}: [ {' '.join(names)} ]" for role, names in by_role.items() if names]
    if stopped:
        lists.append(f"* Stopped: [ {' '.join(stopped)} ]")
    return [header, *(f"{INDENT}{line}" for line in detail + lists)]


def _members(child: Primitive | Group) -> dict[str, Primitive]:
    primitives = child.members if isinstance(child, Group) else (child,)
    return {p.id: p for p in primitives}


def _member(clone: Clone, rid: str) -> Primitive:
    return _members(clone.child)[rid]


def _uniform_role(here: Sequence[Placed], member_count: int) -> Role | None:
    """The role of a healthy, complete instance on one node; None when it needs detail."""
    roles = {p.role for p in here}
    healthy = not any(p.failed or p.blocked for p in here)
    if healthy and len(here) == member_count and len(roles) == 1:
        return roles.pop()
    return None


# --- transition summary, actions, scores -----------------------------------------------


_DETAIL_KINDS = {ChangeKind.PROMOTE: "Unpromoted -> Promoted",
                 ChangeKind.DEMOTE: "Promoted -> Unpromoted"}


def render_summary(transition: Transition) -> list[str]:
    """``* Move  vip  ( n1 -> n2 )  because ...``, reasons lined up in one column."""
    changes = _unexplained_fences(transition) + list(transition.changes)
    if not changes:
        return ["Transition Summary:", f"{INDENT}* Nothing to do"]
    width = max((len(c.resource or "") for c in changes), default=0)
    rows = [(_change_text(c, width), _reason_text(c)) for c in changes]
    left = max(len(text) for text, _ in rows)
    lines = [f"{INDENT}* {text:<{left}}  {reason}".rstrip() for text, reason in rows]
    return ["Transition Summary:", *lines]


def _unexplained_fences(transition: Transition) -> list[Change]:
    explained = {_change_node(c) for c in transition.changes if c.kind is ChangeKind.FENCE}
    return [Change(ChangeKind.FENCE, None, None, node, "")
            for node in transition.fenced if node not in explained]


def _change_node(change: Change) -> str:
    return change.to_node or change.from_node or "?"


def _change_text(change: Change, width: int) -> str:
    if change.kind is ChangeKind.FENCE:
        return f"Fence (off) {_change_node(change)}"
    return f"{change.kind.value:<10} {change.resource or '':<{width}} ( {_where(change)} )"


def _where(change: Change) -> str:
    moved = change.from_node and change.to_node and change.from_node != change.to_node
    if moved:
        return f"{change.from_node} -> {change.to_node}"
    node = change.to_node or change.from_node or "?"
    roles = _DETAIL_KINDS.get(change.kind)
    return f"{roles} {node}" if roles else node


def _reason_text(change: Change) -> str:
    reason = reason_clause(change.reason)
    if not reason:
        return ""
    return f"'{reason}'" if change.kind is ChangeKind.FENCE else f"because {reason}"


def reason_clause(reason: str) -> str:
    """A reason as a clause that reads after "because": no leading "because", no full stop."""
    text = reason.strip().rstrip(".")
    if text.lower().startswith("because "):
        text = text[len("because "):]
    return text


def render_actions(actions: Sequence[Action]) -> list[str]:
    """Every action with what it waits for and why, in the scheduler's order."""
    rows = [(f"#{a.id}", a.kind.value, _action_target(a), _after_text(a), reason_clause(a.reason))
            for a in actions]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["Actions:"]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False) if width]
        lines.append(f"{INDENT}* {'  '.join([*cells, row[4]])}".rstrip())
    return lines


def _action_target(action: Action) -> str:
    return f"{action.resource} on {action.node}" if action.resource else action.node


def _after_text(action: Action) -> str:
    return "after " + ", ".join(f"#{i}" for i in action.after) if action.after else ""


def render_scores(config: ClusterConfig, transition: Transition) -> list[str]:
    """Per resource, each node's total score and the parts it is made of."""
    lines = ["Allocation Scores:"]
    for rid in _score_order(config, transition):
        lines.append(f"{INDENT}* {rid}:")
        nodes = _node_order(config, transition.scores[rid])
        name_width = max(len(n) for n in nodes) + 1
        total_width = max(len(format_score(transition.scores[rid][n].total)) for n in nodes)
        for node in nodes:
            score = transition.scores[rid][node]
            text = f"{node + ':':<{name_width}} {format_score(score.total):>{total_width}}"
            parts = _parts_text(score)
            lines.append(f"{INDENT * 2}* {text}{'  (' + parts + ')' if parts else ''}")
    if len(lines) == 1:
        lines.append(f"{INDENT}* No scores")
    return lines


def _parts_text(score: NodeScore) -> str:
    return ", ".join(f"{p.source}: {format_score(p.score)}" for p in score.parts)


def _score_order(config: ClusterConfig, transition: Transition) -> list[str]:
    in_config = [r.id for r in config.iter_resources() if r.id in transition.scores]
    others = sorted(set(transition.scores) - set(in_config))
    return [rid for rid in in_config + others if transition.scores[rid]]


def _node_order(config: ClusterConfig, scores: Iterable[str]) -> list[str]:
    order = {name: i for i, name in enumerate(config.node_names())}
    return sorted(scores, key=lambda n: (order.get(n, len(order)), n))


# --- JSON ------------------------------------------------------------------------------


def transition_json(config: ClusterConfig, transition: Transition,
                    show_scores: bool = False) -> dict[str, Any]:
    """The documented JSON document (docs/simulate.md)."""
    data: dict[str, Any] = {
        "placement": placement_json(config, transition),
        "actions": [_change_json(c) for c in transition.changes],
        "fence": list(transition.fenced),
        "notes": list(transition.notes),
    }
    if show_scores:
        data["scores"] = scores_json(config, transition)
    return data


def placement_json(config: ClusterConfig, transition: Transition) -> dict[str, Any]:
    """Primitive id -> node or None; clone id -> its instances sorted by node."""
    placement: dict[str, Any] = {}
    for resource in config.resources:
        if isinstance(resource, Clone):
            placement[resource.id] = _clone_instances(resource, transition)
            continue
        members = resource.members if isinstance(resource, Group) else (resource,)
        for member in members:
            placement[member.id] = transition.node_of(member.id)
    return placement


def _clone_instances(clone: Clone, transition: Transition) -> list[dict[str, str]]:
    """One entry per node; for a cloned group its highest member role on that node."""
    roles: dict[str, Role] = {}
    for rid in _members(clone.child):
        for assignment in transition.instances(rid):
            best = roles.get(assignment.node, Role.STOPPED)
            if _ROLE_RANK[assignment.role] > _ROLE_RANK[best]:
                roles[assignment.node] = assignment.role
    return [{"node": node, "role": roles[node].value} for node in sorted(roles)]


def _change_json(change: Change) -> dict[str, str | None]:
    return {"action": change.kind.value.lower(), "resource": change.resource,
            "from": change.from_node, "to": change.to_node, "reason": change.reason}


def scores_json(config: ClusterConfig, transition: Transition) -> dict[str, Any]:
    return {
        rid: {node: {"total": transition.scores[rid][node].total,
                     "parts": [{"source": p.source, "score": p.score}
                               for p in transition.scores[rid][node].parts]}
              for node in _node_order(config, transition.scores[rid])}
        for rid in _score_order(config, transition)
    }
