"""From target placement to an ordered action graph and a summary of changes.

Ordering rules, each a reason a resource never runs twice or starts too early:
- on one node: demote before stop, stop before start (recovery), start before promote;
- a primitive (not a clone) stops everywhere before it starts anywhere else;
- a promotable clone demotes everywhere before it promotes anywhere;
- every start and promote waits for every fence of this transition;
- group members start in order and stop in reverse order;
- order constraints: ``then`` actions wait for ``first`` actions, and when symmetrical the
  inverse actions (stop, demote) go the other way;
- a Mandatory order (and a group) restarts ``then`` when ``first`` restarts.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from hafailover.config.model import Order, Role
from hafailover.config.scores import format_score
from hafailover.core.assign import Placement
from hafailover.core.context import Context
from hafailover.core.state import ResourceInstance
from hafailover.core.transition import Action, ActionKind, Change, ChangeKind
from hafailover.core.units import Unit

INVERSE = {
    ActionKind.START: ActionKind.STOP, ActionKind.PROMOTE: ActionKind.DEMOTE,
    ActionKind.STOP: ActionKind.START, ActionKind.DEMOTE: ActionKind.PROMOTE,
}


@dataclass
class _Draft:
    kind: ActionKind
    node: str
    resource: str | None
    reason: str
    copy: int = 0
    after: set[int] = field(default_factory=set)


class GraphBuilder:
    def __init__(self, ctx: Context, units: list[Unit], placed: dict[str, Placement],
                 promotion: dict[str, dict[str, int]]) -> None:
        self.ctx = ctx
        self.units = units
        self.placed = placed
        self.promotion = promotion
        self.drafts: list[_Draft] = []
        # (kind, primitive, node, copy): copy numbers the instances of a clone that runs
        # more than once on a node (clone-node-max > 1); 0 everywhere else
        self.index: dict[tuple[ActionKind, str | None, str, int], int] = {}
        self.by_resource: dict[str | None, list[int]] = defaultdict(list)
        self.changes: list[Change] = []
        self.unit_of: dict[str, Unit] = {m.id: u for u in units for m in u.members}
        self.position = {n: i for i, n in enumerate(ctx.nodes)}

    # --- actions ---------------------------------------------------------------------

    def _add(self, kind: ActionKind, node: str, resource: str | None, reason: str,
             copy: int = 0) -> int:
        key = (kind, resource, node, copy)
        if key in self.index:
            return self.index[key]
        self.drafts.append(_Draft(kind, node, resource, reason, copy))
        self.index[key] = len(self.drafts) - 1
        self.by_resource[resource].append(self.index[key])
        return self.index[key]

    def _ids(self, resource: str, kind: ActionKind) -> list[int]:
        return [i for i in self.by_resource.get(resource, ()) if self.drafts[i].kind is kind]

    def _order(self, before: int | None, after: int | None) -> None:
        if before is not None and after is not None and before != after:
            self.drafts[after].after.add(before)

    def build(self) -> tuple[tuple[Action, ...], tuple[Change, ...]]:
        for node in self.ctx.fence:
            self._add(ActionKind.FENCE, node, None, self.ctx.fence_reasons[node])
            self.changes.append(Change(ChangeKind.FENCE, None, node, None,
                                       self.ctx.fence_reasons[node]))
        for unit in self.units:
            placement = self.placed[unit.id]
            if placement.pinned:
                continue
            for member in unit.members:
                self._primitive(unit, member.id, placement)
        for inst in self.ctx.orphans:
            self._add(ActionKind.STOP, inst.node, inst.resource,
                      "no longer in the configuration")
            self.changes.append(Change(ChangeKind.STOP, inst.resource, inst.node, None,
                                       "no longer in the configuration"))
        self._propagate_restarts()
        self._wire()
        return self._freeze(), tuple(self.changes)

    def _target(self, resource: str, placement: Placement) -> dict[str, list[Role]]:
        """Node -> the roles of the copies wanted there (promoted first)."""
        target: dict[str, list[Role]] = defaultdict(list)
        for inst in placement.instances:
            if resource in inst.members:
                target[inst.node].append(inst.role)
        for roles in target.values():
            roles.sort(key=lambda r: r is not Role.PROMOTED)
        return target

    def _primitive(self, unit: Unit, resource: str, placement: Placement) -> None:
        current: dict[str, list[ResourceInstance]] = defaultdict(list)
        for inst in self.ctx.current.get(resource, []):
            current[inst.node].append(inst)
        if not unit.is_clone and len(current) > 1 and self._multiply_active(
                unit, resource, placement, current):
            return
        fenced = [i.node for i in self.ctx.fenced_instances.get(resource, [])]
        target = self._target(resource, placement)
        stops: list[ResourceInstance] = []
        starts: list[tuple[str, Role]] = []
        for node in sorted(set(current) | set(target), key=self.position.__getitem__):
            if self.ctx.in_maintenance(node):
                continue  # nothing is ever done on a node in maintenance
            have = sorted(current.get(node, []), key=lambda i: i.role is not Role.PROMOTED)
            want = target.get(node, [])
            for copy, inst in enumerate(have):
                if copy >= len(want):
                    stops.append(inst)
                    if inst.role is Role.PROMOTED:
                        self._add(ActionKind.DEMOTE, node, resource, placement.reason, copy)
                    self._add(ActionKind.STOP, node, resource,
                              self._stop_reason(node, placement), copy)
                else:
                    self._keep(unit, resource, inst, want[copy], placement, copy)
            for copy in range(len(have), len(want)):
                starts.append((node, want[copy]))
                self._add(ActionKind.START, node, resource, placement.reason, copy)
                if want[copy] is Role.PROMOTED:
                    self._add(ActionKind.PROMOTE, node, resource,
                              "highest promotion priority", copy)
        self._summarise(unit, resource, placement, stops, fenced, starts)

    def _multiply_active(self, unit: Unit, resource: str, placement: Placement,
                         current: Mapping[str, list[ResourceInstance]]) -> bool:
        """A primitive found active on more than one node (a node back with leftovers,
        probes that disagree): Pacemaker's multiple-active. True when handled here;
        ``stop_unexpected`` leaves it to the usual path, which keeps the copy where it
        is placed and stops the others."""
        nodes = sorted(current, key=self.position.__getitem__)
        policy = unit.member_meta[[m.id for m in unit.members].index(resource)].multiple_active
        found = f"active on {', '.join(nodes)} (multiple-active={policy})"
        if policy == "stop_unexpected":
            return False
        if policy == "block":  # no change to show: a note says why nothing happens
            self.ctx.notes.append(f"{resource}: {found}: blocked, nothing is done to it; stop "
                                  f"the extra copies by hand, then 'hactl cleanup {resource}'")
            return True
        target = [node for node, roles in self._target(resource, placement).items() if roles]
        for node in nodes:
            if self.ctx.in_maintenance(node):
                continue
            for copy, inst in enumerate(current[node]):
                if inst.role is Role.PROMOTED:
                    self._add(ActionKind.DEMOTE, node, resource, found, copy)
                self._add(ActionKind.STOP, node, resource,
                          f"{found}: every copy stops first", copy)
        for node in target:
            self._add(ActionKind.START, node, resource,
                      f"{found}: started once, {placement.reason}")
        where = f"then started on {target[0]}" if target else "and not started again"
        for node in nodes:
            self.changes.append(Change(ChangeKind.STOP, resource, node, None,
                                       f"{found}: every copy is stopped, {where}"))
        for node in target:
            self.changes.append(Change(ChangeKind.START, resource, None, node,
                                       f"{found}: {placement.reason}"))
        return True

    def _keep(self, unit: Unit, resource: str, inst: ResourceInstance, wanted: Role,
              placement: Placement, copy: int) -> None:
        """An instance that stays on its node: recover it, or change its role."""
        node = inst.node
        if inst.failed:
            why = "recovering a failure"
            if inst.role is Role.PROMOTED:
                self._add(ActionKind.DEMOTE, node, resource, why, copy)
            self._add(ActionKind.STOP, node, resource, why, copy)
            self._add(ActionKind.START, node, resource, why, copy)
            if wanted is Role.PROMOTED:
                self._add(ActionKind.PROMOTE, node, resource, why, copy)
            self.changes.append(Change(ChangeKind.RECOVER, resource, node, node,
                                       "the last operation failed: restarting it here "
                                       f"({placement.reason})"))
        elif inst.role is Role.PROMOTED and wanted is not Role.PROMOTED:
            self._add(ActionKind.DEMOTE, node, resource, "another instance is preferred", copy)
            self.changes.append(Change(ChangeKind.DEMOTE, resource, node, node,
                                       self._promotion_reason(unit, node)))
        elif inst.role is not Role.PROMOTED and wanted is Role.PROMOTED:
            self._add(ActionKind.PROMOTE, node, resource, "highest promotion priority", copy)
            self.changes.append(Change(ChangeKind.PROMOTE, resource, node, node,
                                       self._promotion_reason(unit, node)))

    def _stop_reason(self, node: str, placement: Placement) -> str:
        why = self.ctx.unavailable.get(node)
        if why:
            return f"{node} is {why}"
        return placement.reason

    def _promotion_reason(self, unit: Unit, node: str) -> str:
        scores = self.promotion.get(unit.id, {})
        ranked = ", ".join(f"{n} {format_score(s)}" for n, s in
                           sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))
        return f"promotion priority: {ranked}" if ranked else "promotion priority"

    def _summarise(self, unit: Unit, resource: str, placement: Placement,
                   stops: list[ResourceInstance], fenced: list[str],
                   starts: list[tuple[str, Role]]) -> None:
        gone = [(i.node, i.failed) for i in stops] + [(n, False) for n in fenced]
        if not unit.is_clone and len(gone) == 1 and len(starts) == 1:
            node, failed = gone[0]
            kind = ChangeKind.RECOVER if failed else ChangeKind.MOVE
            why = placement.reason
            if node in fenced:
                why = f"{node} is fenced; {why}"
            self.changes.append(Change(kind, resource, node, starts[0][0], why))
            return
        for node, _failed in gone:
            why = (f"{node} is fenced" if node in fenced
                   else self._stop_reason(node, placement))
            self.changes.append(Change(ChangeKind.STOP, resource, node, None, why))
        for node, role in starts:
            kind = ChangeKind.PROMOTE if role is Role.PROMOTED else ChangeKind.START
            self.changes.append(Change(kind, resource, None, node, placement.reason))

    # --- restarts ----------------------------------------------------------------------

    def _mandatory_pairs(self) -> list[tuple[list[str], list[str], bool]]:
        """(first primitives, then primitives, same node only) for start->start orders."""
        pairs: list[tuple[list[str], list[str], bool]] = []
        for unit in self.units:
            ids = [m.id for m in unit.members]
            pairs.extend(([a], [b], True) for a, b in itertools.pairwise(ids))
        by_id = {u.id: u for u in self.units}
        for order in self.ctx.config.constraints.orders:
            if (order.kind == "Mandatory" and order.first_action == "start"
                    and order.effective_then_action == "start"
                    and order.first in by_id and order.then in by_id):
                pairs.append(([m.id for m in by_id[order.first].members],
                              [m.id for m in by_id[order.then].members], False))
        return pairs

    def _propagate_restarts(self) -> None:
        pairs = self._mandatory_pairs()
        changed = True
        while changed:
            changed = False
            for firsts, thens, same_node in pairs:
                restarted = {(r, self.drafts[i].node) for r in firsts
                             for i in self._ids(r, ActionKind.STOP)}
                if not restarted:
                    continue
                nodes = {n for _, n in restarted}
                for then in thens:
                    unit = self.unit_of[then]
                    if self.placed[unit.id].pinned:
                        continue
                    target = self._target(then, self.placed[unit.id])
                    copies: dict[str, int] = defaultdict(int)
                    for inst in self.ctx.current.get(then, []):
                        copy = copies[inst.node]
                        copies[inst.node] += 1
                        if (same_node and inst.node not in nodes) or self.ctx.in_maintenance(
                                inst.node):
                            continue
                        if (ActionKind.STOP, then, inst.node, copy) in self.index:
                            continue
                        if copy >= len(target.get(inst.node, [])):
                            continue
                        why = f"{firsts[0]} restarts and {then} must start after it"
                        if inst.role is Role.PROMOTED:
                            self._add(ActionKind.DEMOTE, inst.node, then, why, copy)
                        self._add(ActionKind.STOP, inst.node, then, why, copy)
                        self._add(ActionKind.START, inst.node, then, why, copy)
                        if target[inst.node][copy] is Role.PROMOTED:
                            self._add(ActionKind.PROMOTE, inst.node, then, why, copy)
                        self.changes.append(Change(ChangeKind.RESTART, then, inst.node,
                                                   inst.node, why))
                        changed = True

    # --- dependencies ----------------------------------------------------------------------

    def _wire(self) -> None:
        fences = [i for i, d in enumerate(self.drafts) if d.kind is ActionKind.FENCE]
        for i, d in enumerate(self.drafts):
            if d.resource is None:
                continue
            here = {k: self.index.get((k, d.resource, d.node, d.copy)) for k in ActionKind}
            if d.kind is ActionKind.STOP:
                self._order(here[ActionKind.DEMOTE], i)
            elif d.kind is ActionKind.START:
                self._order(here[ActionKind.STOP], i)
                for f in fences:
                    self._order(f, i)
                if self.unit_of.get(d.resource) is None or not self.unit_of[d.resource].is_clone:
                    for s in self._ids(d.resource, ActionKind.STOP):
                        self._order(s, i)
            elif d.kind is ActionKind.PROMOTE:
                self._order(here[ActionKind.START], i)
                for f in fences:
                    self._order(f, i)
                for s in self._ids(d.resource, ActionKind.DEMOTE):
                    self._order(s, i)
        for unit in self.units:
            ids = [m.id for m in unit.members]
            for a, b in itertools.pairwise(ids):
                self._between(a, ActionKind.START, b, ActionKind.START)
                self._between(b, ActionKind.STOP, a, ActionKind.STOP)
        by_id = {u.id: u for u in self.units}
        for order in self.ctx.config.constraints.orders:
            if order.first in by_id and order.then in by_id:
                self._constraint(order, by_id[order.first], by_id[order.then])

    def _between(self, first: str, first_kind: ActionKind, then: str,
                 then_kind: ActionKind) -> None:
        for a in self._ids(first, first_kind):
            for b in self._ids(then, then_kind):
                self._order(a, b)

    def _constraint(self, order: Order, first: Unit, then: Unit) -> None:
        a = ActionKind(order.first_action)
        b = ActionKind(order.effective_then_action)
        for f in first.members:
            for t in then.members:
                self._between(f.id, a, t.id, b)
                if order.is_symmetrical and order.kind != "Serialize":
                    self._between(t.id, INVERSE[b], f.id, INVERSE[a])

    def _freeze(self) -> tuple[Action, ...]:
        """Drop dependency cycles (they would deadlock the graph) and number the actions."""
        order = self._topological()
        position = {old: new for new, old in enumerate(order)}
        actions = []
        for old in order:
            d = self.drafts[old]
            after = tuple(sorted(position[a] for a in d.after if position[a] < position[old]))
            actions.append(Action(position[old], d.kind, d.node, d.resource, d.reason, after,
                                  d.copy))
        return tuple(actions)

    def _topological(self) -> list[int]:
        """Kahn's algorithm, lowest index first for determinism; cycles broken by index."""
        remaining = {i: set(d.after) for i, d in enumerate(self.drafts)}
        users: dict[int, set[int]] = defaultdict(set)
        for i, deps in remaining.items():
            for dep in deps:
                users[dep].add(i)
        ready = sorted(i for i, deps in remaining.items() if not deps)
        result: list[int] = []
        done: set[int] = set()
        while len(result) < len(self.drafts):
            if not ready:
                ready = [min(i for i in remaining if i not in done)]
            node = ready.pop(0)
            if node in done:
                continue
            done.add(node)
            result.append(node)
            for user in sorted(users[node]):
                remaining[user].discard(node)
                if not remaining[user] and user not in done and user not in ready:
                    ready.append(user)
            ready.sort()
        return result
