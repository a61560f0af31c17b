"""Assigning units to nodes: scores, colocation, node choice, clone instances, promotion.

Follows Pacemaker's scheduler (lib/pacemaker/pcmk_sched_*.c), which is the reference
operators know:

- units are assigned by priority, then in configuration order;
- before a unit is placed, the units it is colocated *with* are placed (recursively), and
  the colocation is applied to its scores (INFINITY: only the target's nodes;
  -INFINITY: never the target's nodes; finite: a bonus or malus there);
- a unit also takes in the preferences of the units colocated with *it*, scaled by
  score/INFINITY, unless that would leave it nowhere to run (rollback);
- a node may run a unit when it can run resources and the unit's score there is >= 0;
  among those, the highest score wins, then the node with fewer resources assigned in
  this run, then the node where it already runs, then the node name; with a positive
  best score, the current node wins any tie;
- a clone keeps running instances where they are when their node is still among the
  best, then places the rest; promotion goes to the instances with the highest
  promotion priority (the agent's ``master-<id>`` attribute, else -1, plus Promoted-role
  locations and colocations), at most promoted-max of them, each at least 0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from hafailover.config.model import Colocation, Location, Role, Rule
from hafailover.config.scores import INFINITY, add_scores, format_score, parse_score
from hafailover.core.context import Context
from hafailover.core.rules import rule_matches
from hafailover.core.scoring import ScoreSheet
from hafailover.core.state import ResourceInstance
from hafailover.core.units import Unit


@dataclass
class Instance:
    node: str
    members: list[str]  # primitive ids that run here, a prefix of the unit's members
    role: Role


@dataclass
class Placement:
    instances: list[Instance] = field(default_factory=list)
    reason: str = ""
    pinned: bool = False  # unmanaged or frozen: left exactly as it is


ROLE_FREE = (None, Role.STARTED)


class Assigner:
    def __init__(self, ctx: Context, units: list[Unit]) -> None:
        self.ctx = ctx
        self.units = {u.id: u for u in units}
        self.order = sorted(units, key=lambda u: -u.priority)  # stable: config order
        self.load: dict[str, int] = dict.fromkeys(ctx.nodes, 0)
        self.placed: dict[str, Placement] = {}
        self.sheets: dict[str, ScoreSheet] = {}
        self.promotion: dict[str, dict[str, int]] = {}
        self.blocked: dict[str, str] = {}  # unit -> why an order keeps it from starting
        self._rule_nodes: dict[Rule, list[str]] = {}  # a rule evaluated once per run
        self._busy: set[str] = set()
        self.as_dependent: dict[str, list[Colocation]] = defaultdict(list)
        self.as_primary: dict[str, list[Colocation]] = defaultdict(list)
        for c in ctx.config.constraints.colocations:
            if c.resource in self.units and c.with_resource in self.units:
                self.as_dependent[c.resource].append(c)
                self.as_primary[c.with_resource].append(c)
        self.locations: dict[str, list[Location]] = defaultdict(list)
        for loc in ctx.locations:
            self.locations[loc.resource].append(loc)
        self.base = {u.id: self._base_sheet(u) for u in units}

    # --- scores before colocation --------------------------------------------------

    def _base_sheet(self, unit: Unit, *, sticky: bool = True) -> ScoreSheet:
        """Locations, stickiness (unless ``sticky`` is false) and fail-count bans."""
        ctx = self.ctx
        sheet = ScoreSheet(ctx.nodes, opt_in=not ctx.config.properties.symmetric_cluster)
        for loc in self.locations[unit.id]:
            if loc.role not in ROLE_FREE:
                continue
            for node, score, source in self._location_hits(loc):
                sheet.add(node, score, source, allow=True)
        for index, (member, meta) in enumerate(zip(unit.members, unit.member_meta, strict=True)):
            contribution: list[tuple[str, int, str]] = []
            who = "" if len(unit.members) == 1 else f" ({member.id})"
            running = [i for i in ctx.current.get(member.id, [])]
            if (sticky and not unit.is_clone and meta.managed and meta.stickiness
                    and len(running) == 1
                    and sheet.is_allowed(running[0].node)):
                contribution.append((running[0].node, meta.stickiness,
                                     f"resource-stickiness{who}: running here"))
            for node in ctx.failed_nodes.get(member.id, ()):
                failed = self._failure_ban(member.id, node, meta.migration_threshold,
                                           meta.failure_timeout)
                if failed:
                    contribution.append((node, -INFINITY, failed))
            if index and contribution:
                trial = sheet.copy()
                for node, score, source in contribution:
                    trial.add(node, score, source)
                if not trial.eligible(ctx.usable):
                    continue  # Pacemaker rolls back a member that would leave nowhere to run
            for node, score, source in contribution:
                sheet.add(node, score, source)
        return sheet

    def _location_hits(self, loc: Location) -> list[tuple[str, int, str]]:
        if loc.node is not None:
            if loc.node in self.ctx.available:
                return [(loc.node, loc.score, f"location {loc.id}")]
            return []
        hits: list[tuple[str, int, str]] = []
        for rule in loc.rules:
            matching = self._rule_nodes.get(rule)
            if matching is None:
                matching = [n for n in self.ctx.nodes
                            if rule_matches(rule, self.ctx.attributes[n])]
                self._rule_nodes[rule] = matching
            hits.extend((node, rule.score, f"location {loc.id} (rule matches)")
                        for node in matching)
        return hits

    def _failure_ban(self, primitive: str, node: str, threshold: int,
                     failure_timeout: float) -> str | None:
        entry = self.ctx.failures.get((primitive, node))
        if entry is None:
            return None
        count, last = entry
        if failure_timeout > 0 and self.ctx.state.now >= last + failure_timeout:
            return None
        if count >= threshold:
            return (f"{primitive} failed {format_score(count)} time(s) here, "
                    f"migration-threshold is {format_score(threshold)}")
        return None

    # --- placement -----------------------------------------------------------------

    def run(self) -> None:
        """Place every unit. A unit that an order or colocation keeps from starting is
        then placed nowhere and the rest placed again, so that it takes no share of the
        load: otherwise where it would have gone depends on where it last ran, and an
        unchanged cluster would not schedule the same twice."""
        for _ in range(len(self.units) + 1):
            self.placed, self.sheets, self.promotion = {}, {}, {}
            self.load = dict.fromkeys(self.ctx.nodes, 0)
            for unit in self.order:
                self.assign(unit)
            known = len(self.blocked)
            self.enforce_orders()
            if len(self.blocked) == known:
                return

    def nodes_of(self, unit_id: str, role: Role | None) -> set[str]:
        placement = self.placed.get(unit_id)
        if placement is None:
            return set()
        return {i.node for i in placement.instances
                if role in ROLE_FREE or i.role is role}

    def assign(self, unit: Unit) -> None:
        if unit.id in self.placed or unit.id in self._busy:
            return
        self._busy.add(unit.id)
        sheet = self.base[unit.id].copy()
        for c in self.as_dependent[unit.id]:
            if c.resource_role not in ROLE_FREE:
                continue  # a role-specific colocation decides promotion, not placement
            self.assign(self.units[c.with_resource])
            if c.with_resource not in self.placed:
                continue  # a colocation loop: Pacemaker skips a target not yet placed
            archive = sheet.copy() if -INFINITY < c.score < 0 else None
            self._apply_colocation(sheet, c, self.nodes_of(c.with_resource, c.with_role))
            if archive is not None and not sheet.eligible(self.ctx.usable):
                sheet = archive
        parent = self.base[unit.id].copy() if unit.is_clone else None
        # every copy of a clone takes in a dependent's preferences only when the clone
        # does not run everywhere, or for mandatory and negative colocations
        all_coloc = unit.clone_max(len(self.ctx.nodes)) < len(self.ctx.usable)
        for c in self.as_primary[unit.id]:
            if c.with_role not in ROLE_FREE:
                continue  # with our Promoted (or Unpromoted) role: weighs on promotion only
            dependent = self.units[c.resource]
            source = f"colocation {c.id}"
            if parent is None or all_coloc or c.score < 0 or c.score >= INFINITY:
                sheet = self._merge(sheet, dependent, c.score / INFINITY, {unit.id}, source)
            if parent is not None:
                parent = self._merge(parent, dependent, c.score / INFINITY, {unit.id},
                                     source, only_positive=True)
        self.sheets[unit.id] = sheet
        pinned = self._pinned(unit)
        if pinned is not None:
            self.placed[unit.id] = pinned
        elif parent is not None:
            self.placed[unit.id] = self._distribute(unit, sheet, parent)
        else:
            self.placed[unit.id] = self._choose(unit, sheet)
        self._busy.discard(unit.id)

    def _cannot_start(self, primitive: str) -> bool:
        """No quorum with no-quorum-policy=freeze: what runs nowhere may not start
        (Pacemaker refuses to "elevate" a resource's role; running ones may move)."""
        return self.ctx.freeze and not self.ctx.current.get(primitive)

    def _merge(self, target: ScoreSheet, dependent: Unit, factor: float, seen: set[str],
               source: str, *, only_positive: bool = False) -> ScoreSheet:
        """Take in a dependent's node preferences, scaled by ``factor``, and recursively
        those of its own dependents; rolled back when it would leave nowhere to run.

        Pacemaker's merge_weights: a product is rounded, and never rounded away to 0
        (it becomes 1 with the sign of the factor); a negative preference of an
        anti-colocated dependent is not turned into a positive one.
        """
        if dependent.id in seen or factor == 0 or dependent.will_stop:
            return target  # a resource to be stopped has no say in where others run
        work = target.copy()
        theirs = self.base[dependent.id]
        usable = set(self.ctx.usable)
        raised: list[str] = []
        for node in self.ctx.nodes:
            if not work.is_allowed(node):
                continue
            score = theirs.score(node) if node in usable else -INFINITY
            if factor < 0 and score < 0:
                continue
            product = factor * score
            weight = int(product - 0.5) if product < 0 else int(product + 0.5)
            if weight == 0 and score != 0:
                weight = 1 if factor > 0 else -1
            current = work.score(node)
            if only_positive and add_scores(weight, current) < 0:
                if current > 0:
                    raised.append(node)
                continue
            work.add(node, weight, f"{source}: preference of {dependent.id}")
        if not work.eligible(self.ctx.usable):
            return target
        # the dependents of a dependent count too, but only along mandatory (INFINITY)
        # colocations, which keep them all on one node: Pacemaker follows every
        # colocation at full strength, so that through a weak one or an anti-colocation
        # a resource's stickiness moves an unrelated resource one transition after it
        # has started (a deliberate difference: an unchanged cluster schedules the same
        # twice)
        if factor >= 1:
            for c in self.as_primary[dependent.id]:
                if c.score < INFINITY:
                    continue
                work = self._merge(work, self.units[c.resource], c.score / INFINITY,
                                   seen | {dependent.id}, f"colocation {c.id}",
                                   only_positive=only_positive)
        for node in raised:
            work.add(node, 1 - work.score(node), f"{source}: kept usable")
        return work

    def _apply_colocation(self, sheet: ScoreSheet, c: Colocation, nodes: set[str]) -> None:
        where = f"{c.with_resource}" + (f" ({c.with_role.value})" if c.with_role else "")
        for node in self.ctx.nodes:
            if c.score >= INFINITY:
                if node not in nodes:
                    sheet.add(node, -INFINITY, f"colocation {c.id}: {where} is not here")
            elif node in nodes:
                sheet.add(node, c.score, f"colocation {c.id}: {where} is here")

    def _pinned(self, unit: Unit) -> Placement | None:
        """Units left exactly as they are: unmanaged, blocked, on a maintenance node
        (a clone only pins its instances there), or stranded on an unclean node."""
        ctx = self.ctx
        instances = [i for m in unit.members for i in ctx.current.get(m.id, [])]
        stranded = [i for m in unit.members for i in ctx.stranded.get(m.id, [])]
        why = None
        if not unit.managed:
            why = ("maintenance-mode is on" if ctx.config.properties.maintenance_mode
                   else "is-managed is false")
        elif any(i.blocked for i in instances):
            why = "an operation failed with on-fail=block: cleanup needed"
        elif not unit.is_clone and any(self.ctx.in_maintenance(i.node) for i in instances):
            why = "it runs on a node in maintenance"
        elif stranded and not unit.is_clone:
            # it may still run there: neither stopped (unreachable) nor started elsewhere;
            # instances on nodes in maintenance stay as they are
            kept = [i for i in instances if self.ctx.in_maintenance(i.node)]
            return Placement(self._as_instances(unit, kept),
                             f"left alone: it may still run on {stranded[0].node}, "
                             "which is unclean and cannot be fenced now", pinned=True)
        if why is None:
            return None
        return Placement(self._as_instances(unit, instances), f"left alone: {why}",
                         pinned=True)

    def _as_instances(self, unit: Unit, running: list[ResourceInstance]) -> list[Instance]:
        """Reported instances as placement instances: one per copy of the first member,
        with the members that run beside it."""
        first = unit.members[0].id
        copies: dict[tuple[str, str], int] = defaultdict(int)
        for inst in running:
            copies[(inst.resource, inst.node)] += 1
        seen: dict[str, int] = defaultdict(int)
        result: list[Instance] = []
        for inst in running:
            if inst.resource != first:
                continue
            copy = seen[inst.node]
            seen[inst.node] += 1
            members = [m.id for m in unit.members if copies[(m.id, inst.node)] > copy]
            result.append(Instance(inst.node, members, inst.role))
        return result

    def _stop_reason(self, unit: Unit, sheet: ScoreSheet) -> str | None:
        if self.ctx.stop_all:
            return "no quorum and no-quorum-policy=stop"
        if unit.id in self.blocked:
            return self.blocked[unit.id]
        if unit.stopped:
            return "target-role is Stopped"
        if not sheet.eligible(self.ctx.usable):
            return "no node can run it"
        return None

    def _rank(self, sheet: ScoreSheet, candidates: list[str],
              current: str | None) -> list[str]:
        scores = {n: sheet.score(n) for n in candidates}
        load = self.load
        return sorted(candidates, key=lambda n: (-scores[n], load[n], n != current, n))

    def _choose(self, unit: Unit, sheet: ScoreSheet) -> Placement:
        stop = self._stop_reason(unit, sheet)
        if stop:
            return Placement([], stop)
        first = unit.members[0].id
        running = [i.node for i in self.ctx.current.get(first, [])]
        current = running[0] if len(running) == 1 else None
        ranked = self._rank(sheet, sheet.eligible(self.ctx.usable), current)
        best = ranked[0]
        if (sheet.score(best) > 0 and current in ranked
                and sheet.score(current) == sheet.score(best)):
            best = current
        members = self._members_on(unit, best)
        if not members:
            return Placement([], self._member_stop_reason(unit, best))
        self.load[best] += len(members)
        why = self._choice_reason(sheet, ranked, best, current)
        return Placement([Instance(best, members, Role.STARTED)], why)

    def _members_on(self, unit: Unit, node: str) -> list[str]:
        """The prefix of a group's members that can run on the group's node."""
        members = []
        for member, meta in zip(unit.members, unit.member_meta, strict=True):
            if meta.stopped or self._cannot_start(member.id) or (
                    node in self.ctx.failed_nodes.get(member.id, ())
                    and self._failure_ban(member.id, node, meta.migration_threshold,
                                          meta.failure_timeout)):
                break
            members.append(member.id)
        return members

    def _member_stop_reason(self, unit: Unit, node: str) -> str:
        first, meta = unit.members[0], unit.member_meta[0]
        if meta.stopped:
            return "target-role is Stopped"
        if self._cannot_start(first.id):
            return "no quorum and no-quorum-policy=freeze: it does not run, so it cannot start"
        return f"{first.id} cannot run on {node}"

    def _choice_reason(self, sheet: ScoreSheet, ranked: list[str], best: str,
                       current: str | None) -> str:
        score = format_score(sheet.score(best))
        if best == current:
            return f"stays on {best} (score {score})"
        lead = ""
        if current and current not in ranked:
            why = self.ctx.unavailable.get(current) or self._worst_part(sheet, current)
            lead = f"{current} cannot run it ({why}); "
        elif current:
            return (f"{best} scores higher ({score}) than {current} "
                    f"({format_score(sheet.score(current))})")
        others = [n for n in ranked if n != best]
        if others and sheet.score(others[0]) == sheet.score(best):
            return (f"{lead}placed on {best} (score {score}, tied with {others[0]}: "
                    "fewer resources assigned, or first by name)")
        return f"{lead}placed on {best} (best score, {score})"

    @staticmethod
    def _worst_part(sheet: ScoreSheet, node: str) -> str:
        parts = sheet.parts.get(node)
        if not sheet.is_allowed(node) or not parts:
            return "no location constraint allows it there"
        source, score = min(parts, key=lambda p: p[1])
        return f"{source}: {format_score(score)}"

    # --- clones ----------------------------------------------------------------------

    def _distribute(self, unit: Unit, sheet: ScoreSheet, parent: ScoreSheet) -> Placement:
        """Place a clone's instances. ``sheet`` holds the instances' scores (with the
        clone's colocations); ``parent`` the clone's own, which must not be negative
        where an instance runs (Pacemaker's can_run_instance)."""
        clone = unit.clone
        assert clone is not None
        ctx = self.ctx
        first = unit.members[0].id
        everywhere = [*ctx.current.get(first, [])]
        # instances on nodes in maintenance are unmanaged: they stay exactly as they are
        fixed = self._as_instances(unit, [i for m in unit.members
                                          for i in ctx.current.get(m.id, [])
                                          if self.ctx.in_maintenance(i.node)])
        stop = self._stop_reason(unit, sheet)
        if stop:
            return Placement(fixed, stop)
        limit = unit.clone_max(len(ctx.nodes))
        per_node = max(1, clone.clone_node_max)
        eligible = [n for n in sheet.eligible(ctx.usable) if parent.score(n) >= 0]
        optimal = max(1, limit // max(1, sum(ctx.available.values())))
        counts: dict[str, int] = defaultdict(int)
        stickiness = unit.member_meta[0].stickiness if unit.managed else 0
        running = [i for i in everywhere if not self.ctx.in_maintenance(i.node)]
        healthy = [i.node for i in running if not i.failed]
        failed = {i.node for i in running if i.failed}
        nodes: list[str] = []
        # copies stranded on an unclean node that cannot be fenced may still run: they
        # count against clone-max (and promoted-max) but are not ours to place
        stranded = ctx.stranded.get(first, [])
        limit = max(0, limit - len(fixed) - len(stranded))
        if ctx.freeze:  # no new instance may start: only the running ones can be placed
            limit = min(limit, len(running))
        score_of = {n: sheet.score(n) for n in ctx.nodes}
        for node in sorted(healthy, key=lambda n: (-score_of[n], n)):
            if len(nodes) >= limit or node not in eligible:
                continue
            if counts[node] >= min(per_node, optimal):
                continue
            best_other = max((score_of[n] for n in eligible
                              if n != node and counts[n] < per_node), default=-INFINITY)
            if score_of[node] + stickiness < best_other:
                continue
            counts[node] += 1
            nodes.append(node)
        while len(nodes) < limit:
            free = [n for n in eligible if counts[n] < per_node]
            if not free:
                break
            node = min(free, key=lambda n: (-(score_of[n] + (stickiness if n in failed else 0)),
                                            self.load[n], n not in failed, n))
            counts[node] += 1
            nodes.append(node)
        instances = []
        # under freeze no member may run more copies than it runs now
        budget = {m.id: sum(1 for i in ctx.current.get(m.id, [])
                            if not self.ctx.in_maintenance(i.node)) for m in unit.members}
        for node in nodes:
            members = self._members_on(unit, node)
            if ctx.freeze:
                kept = []
                for member in members:
                    if budget[member] <= 0:
                        break
                    budget[member] -= 1
                    kept.append(member)
                members = kept
            if not members:
                continue
            self.load[node] += len(members)
            instances.append(Instance(node, members, Role.STARTED))
        if clone.promotable:
            held = [*fixed, *(Instance(i.node, [first], i.role) for i in stranded)]
            self._promote(unit, instances, held)
        instances += fixed
        limit += len(fixed) + len(stranded)
        placed = ", ".join(sorted(i.node for i in instances)) or "nowhere"
        why = (f"{len(instances)} of clone-max {limit} instance(s) on {placed}")
        if len(instances) < limit:
            why += f" (only {len(eligible)} node(s) can run it)"
        return Placement(sorted(instances, key=lambda i: ctx.nodes.index(i.node)), why)

    def _promote(self, unit: Unit, instances: list[Instance], held: list[Instance]) -> None:
        """Choose the promoted instances; ``held`` are copies we do not manage (on a node
        in maintenance, or stranded) whose Promoted role still counts."""
        clone = unit.clone
        assert clone is not None
        ctx = self.ctx
        first = unit.members[0].id
        priority: dict[str, int] = {}
        for inst in instances:
            raw = ctx.attributes[inst.node].get(f"master-{first}")
            try:
                priority[inst.node] = parse_score(raw) if raw is not None else -1
            except ValueError:
                priority[inst.node] = -1
        sheet = ScoreSheet(ctx.nodes)
        for node, value in priority.items():
            sheet.add(node, value, f"promotion score master-{first}" if value != -1
                      else "no promotion score")
        for loc in self.locations[unit.id]:
            if loc.role is Role.PROMOTED:
                for node, score, source in self._location_hits(loc):
                    if node in priority:
                        sheet.add(node, score, source)
        for c in self.as_dependent[unit.id]:
            if c.resource_role is Role.PROMOTED:
                self.assign(self.units[c.with_resource])
                if c.with_resource not in self.placed:
                    continue
                there = self.nodes_of(c.with_resource, c.with_role)
                where = f"{c.with_resource}" + (f" ({c.with_role.value})" if c.with_role else "")
                for node in priority:
                    if node in there:
                        sheet.add(node, c.score, f"colocation {c.id}: {where} is here")
                    elif c.score >= INFINITY:
                        sheet.add(node, -INFINITY, f"colocation {c.id}: {where} is not here")
        for c in self.as_primary[unit.id]:
            if c.with_role is Role.PROMOTED and c.score > 0:
                # a dependent's stickiness is left out (a deliberate difference from
                # Pacemaker): otherwise promotion would change once the dependent runs,
                # and a second transition would undo what the first one decided
                dependent = self._base_sheet(self.units[c.resource], sticky=False)
                for node in priority:
                    weight = int(c.score / INFINITY * dependent.score(node))
                    if weight > 0:
                        sheet.add(node, weight, f"colocation {c.id}: preference of {c.resource}")
        currently = {i.node for i in ctx.current.get(first, []) if i.role is Role.PROMOTED}
        if ctx.freeze:
            for node in priority:
                if node not in currently:
                    sheet.add(node, -INFINITY, "no quorum and no-quorum-policy=freeze: "
                                               "nothing new is promoted")
        order = sorted(instances, key=lambda i: (-sheet.score(i.node), i.node not in currently,
                                                 ctx.nodes.index(i.node)))
        promoted_max = 0 if unit.no_promotion else clone.promoted_max
        per_node: dict[str, int] = defaultdict(int)
        for inst in held:
            if inst.role is Role.PROMOTED:
                per_node[inst.node] += 1
        promoted = sum(per_node.values())
        for inst in order:
            inst.role = Role.UNPROMOTED
            if (promoted < promoted_max and sheet.score(inst.node) >= 0
                    and per_node[inst.node] < clone.promoted_node_max
                    and len(inst.members) == len(unit.members)):
                inst.role = Role.PROMOTED
                promoted += 1
                per_node[inst.node] += 1
        self.promotion[unit.id] = {n: sheet.score(n) for n in priority}
        self.sheets[f"{unit.id} (promotion)"] = sheet

    # --- orders ------------------------------------------------------------------------

    def enforce_orders(self) -> None:
        """A Mandatory order's ``then`` cannot start (or promote) while ``first`` cannot;
        an INFINITY colocation's dependent cannot run once its target cannot."""
        config = self.ctx.config
        changed = True
        while changed:
            changed = False
            for order in config.constraints.orders:
                if (order.kind != "Mandatory" or order.first not in self.units
                        or order.then not in self.units):
                    continue
                first_action, then_action = order.first_action, order.effective_then_action
                if first_action not in ("start", "promote"):
                    continue
                role = Role.PROMOTED if first_action == "promote" else None
                if self.nodes_of(order.first, role):
                    continue
                why = f"order {order.id}: {order.first} cannot {first_action}"
                changed |= self._block(order.then, then_action, why)
            for c in config.constraints.colocations:
                if (c.score >= INFINITY and c.resource in self.units
                        and c.with_resource in self.units
                        and not self.nodes_of(c.with_resource, c.with_role)):
                    why = f"colocation {c.id}: {c.with_resource} cannot run"
                    action = "promote" if c.resource_role is Role.PROMOTED else "start"
                    changed |= self._block(c.resource, action, why)

    def _block(self, unit_id: str, action: str, why: str) -> bool:
        placement = self.placed[unit_id]
        if placement.pinned:
            return False
        managed = [i for i in placement.instances if not self.ctx.in_maintenance(i.node)]
        if action == "start" and managed:
            placement.instances = [i for i in placement.instances if i not in managed]
            placement.reason = why
            self.blocked.setdefault(unit_id, why)
            return True
        if action == "promote":
            promoted = [i for i in managed if i.role is Role.PROMOTED]
            for inst in promoted:
                inst.role = Role.UNPROMOTED
            if promoted:
                placement.reason = why
            return bool(promoted)
        return False
